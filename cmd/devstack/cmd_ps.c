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

static bool all, quiet, list_services, orphans = true;
static const char *format, *filter;
static struct strvec services = STRVEC_INIT, statuses = STRVEC_INIT;

/* The engine's container states, as --status takes them. */
static const char *const states[] = {"paused", "restarting", "removing", "running",
                                     "dead",   "created",    "exited"};

const struct opt_spec cmd_ps_options[] = {
        {OPT_BOOL, "all", 'a', &all, NULL, "also stopped containers, and one-off ones (run)"},
        {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only the container ids"},
        {OPT_BOOL, "services", 0, &list_services, NULL, "only the service names"},
        {OPT_CHOICE, "format", 0, &format, "FORMAT", "table (default) or json", 0, "table|json"},
        {OPT_LIST, "status", 0, &statuses, "STATUS",
         "only containers in this state (repeatable): paused, restarting, removing, running, "
         "dead, created or exited"},
        {OPT_STRING, "filter", 0, &filter, "KEY=VALUE", "only containers so (status=STATUS)"},
        {OPT_BOOL, "orphans", 0, &orphans, NULL,
         "also services the files no longer have (default; --orphans=false leaves them out)"},
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

/* --filter KEY=VALUE as Compose takes it: only status; and every --status a state. */
static int check_filters(struct cmd_context *ctx)
{
    if (filter) {
        const char *eq = strchr(filter, '=');

        if (!eq)
            return cmd_usage_error(ctx, "arguments to --filter should be in form KEY=VAL");
        if ((size_t)(eq - filter) != strlen("status") || strncmp(filter, "status", 6))
            return cmd_usage_error(ctx, "unknown filter %.*s (the one there is: status)",
                                   (int)(eq - filter), filter);
        strvec_push(&statuses, eq + 1);
    }
    for (size_t i = 0; i < statuses.n; i++) {
        bool known = false;

        for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
            known = known || !strcmp(statuses.v[i], states[k]);
        if (!known)
            return cmd_usage_error(ctx,
                                   "invalid status '%s': paused, restarting, removing, running, "
                                   "dead, created or exited",
                                   statuses.v[i]);
    }
    return 0;
}

int cmd_ps(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_container_list l = {0};
    cJSON *json = NULL;
    struct strvec listed = STRVEC_INIT;
    int status;

    if (check_filters(ctx) != 0) {
        status = EXIT_USAGE;
        goto done;
    }
    /* a state asked for is looked for among the stopped ones too, as Compose does */
    if (stack_list_containers(ctx->engine, ctx->project->name,
                              (all || statuses.n ? STACK_LIST_ALL : 0) |
                                      (all ? STACK_LIST_ONEOFF : 0),
                              &l, &err) < 0) {
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
        if (statuses.n && !strvec_contains(&statuses, c->state))
            continue;
        if (!orphans && !compose_find_service(ctx->project, c->service))
            continue;
        stack_status_split(c->status, &uptime, &health);
        stack_ports_text(&ports, c->ports, c->n_ports);
        stack_status_state(&state, c->state, c->status);
        if (json)
            cJSON_AddItemToArray(json, json_row(c, ctx->project->name, health.buf));
        else if (quiet)
            printf("%s\n", c->id);
        else if (list_services && !strvec_contains(&listed, c->service))
            printf("%s\n", c->service);
        else if (!list_services)
            printf("%-28s %-16s %-10s %-10s %-16s %s\n", c->name, c->service, state.buf,
                   health.len ? health.buf : "-", uptime.len ? uptime.buf : "-", ports.buf);
        /* each service once, as Compose lists them */
        if (list_services)
            strvec_push(&listed, c->service);
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
    strvec_clear(&statuses);
    strvec_clear(&listed);
    ds_error_release(&err);
    return status;
}
