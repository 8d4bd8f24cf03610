/* devstack version: devstack's version, the endpoint and why, the engine, the API version. */
#include <stdio.h>
#include <string.h>

#include "devstack.h"
#include "util/banned.h"

static void print_json(const struct engine_endpoint *ep, const struct engine_version *v, int api,
                       int server_api, const struct ds_error *err)
{
    cJSON *root = cJSON_CreateObject(), *client, *server;
    char text[16];
    char *out;

    client = cJSON_AddObjectToObject(root, "Client");
    cJSON_AddStringToObject(client, "Version", devstack_version_string());
    engine_api_version_format(ENGINE_API_MAX, text, sizeof(text));
    cJSON_AddStringToObject(client, "MaxAPIVersion", text);
    engine_api_version_format(ENGINE_API_MIN, text, sizeof(text));
    cJSON_AddStringToObject(client, "MinAPIVersion", text);
    if (ep) {
        cJSON_AddStringToObject(client, "Endpoint", ep->host ? ep->host : ep->base_url);
        cJSON_AddStringToObject(client, "EndpointSource", ep->source ? ep->source : "");
    }
    if (err && err->msg) {
        cJSON_AddStringToObject(root, "Error", err->msg);
    } else if (v) {
        server = cJSON_AddObjectToObject(root, "Engine");
        cJSON_AddStringToObject(server, "Version", v->version ? v->version : "");
        cJSON_AddStringToObject(server, "Platform", v->platform ? v->platform : "");
        cJSON_AddStringToObject(server, "Os", v->os ? v->os : "");
        cJSON_AddStringToObject(server, "Arch", v->arch ? v->arch : "");
        engine_api_version_format(server_api, text, sizeof(text));
        cJSON_AddStringToObject(server, "APIVersion", text);
        engine_api_version_format(api, text, sizeof(text));
        cJSON_AddStringToObject(root, "NegotiatedAPIVersion", text);
    }
    out = cJSON_Print(root);
    printf("%s\n", out);
    cJSON_free(out);
    cJSON_Delete(root);
}

int cmd_version(int argc, char **argv)
{
    static const char *format;
    static bool short_only;
    static const struct opt_spec opts[] = {
            {OPT_STRING, "format", 0, &format, "FORMAT", "output format: text (default) or json"},
            {OPT_BOOL, "short", 0, &short_only, NULL, "print only devstack's version"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct engine_version v = {0};
    const struct engine_endpoint *ep = NULL;
    char api[16], server_api[16], lo[16], hi[16];
    bool have_version = false;
    int status, rc;

    if (!cmd_parse("version", opts, argc, argv, 0, NULL, &status))
        return status;
    if (format && strcmp(format, "text") && strcmp(format, "json"))
        return cmd_usage_error("version", opts, "unknown format '%s' (use text or json)", format);
    if (short_only) {
        printf("%s\n", devstack_version_string());
        return EXIT_OK;
    }

    rc = cmd_connect_engine(&err);
    if (ds.engine)
        ep = engine_get_endpoint(ds.engine);
    if (rc == 0 && engine_version(ds.engine, &v, &err) == 0)
        have_version = true;

    if (format && !strcmp(format, "json")) {
        print_json(ep, have_version ? &v : NULL, ds.engine ? engine_api_version(ds.engine) : 0,
                   ds.engine ? engine_server_api_version(ds.engine) : 0, &err);
        status = have_version ? EXIT_OK : EXIT_ERROR;
        goto done;
    }

    engine_api_version_format(ENGINE_API_MIN, lo, sizeof(lo));
    engine_api_version_format(ENGINE_API_MAX, hi, sizeof(hi));
    printf("devstack:     %s (API %s to %s)\n", devstack_version_string(), lo, hi);
    if (ep)
        printf("endpoint:     %s (%s)\n", ep->host ? ep->host : ep->base_url, ep->source);
    if (!have_version) {
        status = cmd_error(&err);
        goto done;
    }
    engine_api_version_format(engine_api_version(ds.engine), api, sizeof(api));
    engine_api_version_format(engine_server_api_version(ds.engine), server_api, sizeof(server_api));
    printf("engine:       %s %s (%s/%s)\n", v.platform && *v.platform ? v.platform : "Engine",
           v.version ? v.version : "?", v.os ? v.os : "?", v.arch ? v.arch : "?");
    printf("api version:  %s (the engine offers %s)\n", api,
           engine_server_api_version(ds.engine) ? server_api : "no version");
    status = EXIT_OK;

done:
    engine_version_release(&v);
    ds_error_release(&err);
    return status;
}
