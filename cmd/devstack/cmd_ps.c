/* devstack ps: the project's containers with their state, health, uptime and ports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "devstack.h"
#include "stack/display.h"
#include "stack/stack.h"
#include "util/buf.h"
#include "util/banned.h"

static bool all, quiet, list_services;
static const char *format;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_ps_options[] = {
        {OPT_BOOL, "all", 'a', &all, NULL, "also stopped containers, and one-off ones (run)"},
        {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only the container ids"},
        {OPT_BOOL, "services", 0, &list_services, NULL, "only the service names"},
        {OPT_CHOICE, "format", 0, &format, "FORMAT", "table (default) or json", 0, "table|json"},
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct stack_container *)a)->name,
                  ((const struct stack_container *)b)->name);
}

static cJSON *json_row(const struct stack_container *c, const char *project, const char *health)
{
    cJSON *o = cJSON_CreateObject(), *pubs;

    cJSON_AddStringToObject(o, "ID", c->id);
    cJSON_AddStringToObject(o, "Name", c->name);
    cJSON_AddStringToObject(o, "Project", project);
    cJSON_AddStringToObject(o, "Service", c->service);
    cJSON_AddStringToObject(o, "Image", c->image);
    cJSON_AddStringToObject(o, "State", c->state);
    cJSON_AddStringToObject(o, "Health", health);
    cJSON_AddNumberToObject(o, "ExitCode", stack_status_exit_code(c->status));
    cJSON_AddStringToObject(o, "Status", c->status);
    pubs = cJSON_AddArrayToObject(o, "Publishers");
    for (size_t k = 0; k < c->n_ports; k++) {
        cJSON *pub = cJSON_CreateObject();

        cJSON_AddStringToObject(pub, "URL", c->ports[k].host_ip ? c->ports[k].host_ip : "");
        cJSON_AddNumberToObject(pub, "TargetPort", c->ports[k].target);
        cJSON_AddNumberToObject(pub, "PublishedPort", c->ports[k].host_port);
        cJSON_AddStringToObject(pub, "Protocol",
                                c->ports[k].protocol ? c->ports[k].protocol : "tcp");
        cJSON_AddItemToArray(pubs, pub);
    }
    return o;
}

int cmd_ps(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_container_list l = {0};
    cJSON *json = NULL;
    int status;

    if (stack_list_containers(ctx->engine, ctx->project->name,
                              all ? STACK_LIST_ALL | STACK_LIST_ONEOFF : 0, &l, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    qsort(l.items, l.n, sizeof(*l.items), cmp_name);
    if (format && !strcmp(format, "json"))
        json = cJSON_CreateArray();
    else if (!quiet && !list_services)
        printf("%-28s %-16s %-10s %-10s %-16s %s\n", "NAME", "SERVICE", "STATE", "HEALTH", "UPTIME",
               "PORTS");
    for (size_t i = 0; i < l.n; i++) {
        const struct stack_container *c = &l.items[i];
        struct buf uptime = BUF_INIT, health = BUF_INIT, ports = BUF_INIT, state = BUF_INIT;

        if (services.n && !strvec_contains(&services, c->service))
            continue;
        stack_status_split(c->status, &uptime, &health);
        stack_ports_text(&ports, c->ports, c->n_ports);
        stack_status_state(&state, c->state, c->status);
        if (json)
            cJSON_AddItemToArray(json, json_row(c, ctx->project->name, health.buf));
        else if (quiet)
            printf("%s\n", c->id);
        else if (list_services)
            printf("%s\n", c->service);
        else
            printf("%-28s %-16s %-10s %-10s %-16s %s\n", c->name, c->service, state.buf,
                   health.len ? health.buf : "-", uptime.len ? uptime.buf : "-", ports.buf);
        buf_release(&uptime);
        buf_release(&health);
        buf_release(&ports);
        buf_release(&state);
    }
    if (json) {
        char *text = cJSON_Print(json);

        printf("%s\n", text);
        cJSON_free(text);
    }
    status = EXIT_OK;

done:
    cJSON_Delete(json);
    stack_container_list_release(&l);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
