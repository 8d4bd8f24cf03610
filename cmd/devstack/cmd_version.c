/* devstack version: devstack's version, the endpoint and why, the engine, the API version. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "devstack.h"
#include "stack/system.h"
#include "util/banned.h"

#ifndef DEVSTACK_VERSION
#define DEVSTACK_VERSION "0.0.0"
#endif

static const char *format;
static bool short_only;

const struct opt_spec cmd_version_options[] = {
        {OPT_CHOICE, "format", 0, &format, "FORMAT", "output format: text (default) or json", 0,
         "text|json"},
        {OPT_BOOL, "short", 0, &short_only, NULL, "print only devstack's version"},
        {0},
};

static void print_json(const struct stack_engine_facts *f, const struct ds_error *err)
{
    cJSON *root = cJSON_CreateObject(), *client, *server;
    char *out;

    client = cJSON_AddObjectToObject(root, "Client");
    cJSON_AddStringToObject(client, "Version", DEVSTACK_VERSION);
    cJSON_AddStringToObject(client, "MaxAPIVersion", f->client_max);
    cJSON_AddStringToObject(client, "MinAPIVersion", f->client_min);
    if (f->endpoint) {
        cJSON_AddStringToObject(client, "Endpoint", f->endpoint);
        cJSON_AddStringToObject(client, "EndpointSource", f->source);
        cJSON_AddStringToObject(client, "Transport", f->transport);
        cJSON_AddBoolToObject(client, "Remote", f->remote);
        if (f->ssh_command)
            cJSON_AddStringToObject(client, "SSHCommand", f->ssh_command);
    }
    if (err && err->msg) {
        cJSON_AddStringToObject(root, "Error", err->msg);
    } else if (f->have_version) {
        const struct engine_version *v = &f->version;

        server = cJSON_AddObjectToObject(root, "Engine");
        cJSON_AddStringToObject(server, "Version", v->version ? v->version : "");
        cJSON_AddStringToObject(server, "Platform", v->platform ? v->platform : "");
        cJSON_AddStringToObject(server, "Os", v->os ? v->os : "");
        cJSON_AddStringToObject(server, "Arch", v->arch ? v->arch : "");
        cJSON_AddStringToObject(server, "APIVersion", f->server_api);
        cJSON_AddStringToObject(root, "NegotiatedAPIVersion", f->api);
    }
    out = cJSON_Print(root);
    printf("%s\n", out);
    cJSON_free(out);
    cJSON_Delete(root);
}

int cmd_version(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_engine_facts f;
    const struct ds_error *why = &err;
    int status;

    if (short_only) {
        printf("%s\n", DEVSTACK_VERSION);
        return EXIT_OK;
    }
    if (cmd_engine(ctx)) {
        stack_engine_facts(ctx->engine, STACK_FACTS_VERSION, &f, &err);
    } else {
        /* not reachable: the endpoint still, when it could be resolved */
        stack_engine_facts(ctx->engine, 0, &f, &err);
        why = &ctx->engine_error;
    }

    if (format && !strcmp(format, "json")) {
        print_json(&f, why->code ? why : NULL);
        status = f.have_version ? EXIT_OK : EXIT_ERROR;
        goto done;
    }
    printf("devstack:     %s (API %s to %s)\n", DEVSTACK_VERSION, f.client_min, f.client_max);
    if (f.endpoint) {
        printf("endpoint:     %s (%s)\n", f.endpoint, f.source);
        printf("reached by:   %s, %s%s%s\n", f.transport,
               f.remote ? "a remote engine (binds name its machine's disk)" : "this machine",
               f.ssh_command ? ": " : "", f.ssh_command ? f.ssh_command : "");
    }
    if (!f.have_version) {
        status = cmd_error(why);
        goto done;
    }
    printf("engine:       %s %s (%s/%s)\n",
           f.version.product && *f.version.product ? f.version.product : "Engine",
           f.version.version ? f.version.version : "?", f.version.os ? f.version.os : "?",
           f.version.arch ? f.version.arch : "?");
    printf("api version:  %s (the engine offers %s)\n", f.api,
           *f.server_api ? f.server_api : "no version");
    status = EXIT_OK;

done:
    stack_engine_facts_release(&f);
    ds_error_release(&err);
    return status;
}
