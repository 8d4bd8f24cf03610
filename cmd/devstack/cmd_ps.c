/* devstack ps: the project's containers with their state, health, uptime and ports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devstack.h"
#include "stack/display.h"
#include "stack/stack.h"
#include "util/buf.h"
#include "util/banned.h"

static void ports_text(const struct engine_container_summary *c, struct buf *out)
{
    for (size_t i = 0; i < c->n_ports; i++) {
        const struct engine_published_port *p = &c->ports[i];
        bool v6 = p->host_ip && strchr(p->host_ip, ':');

        /* the same port published on 0.0.0.0 and :: once is enough */
        if (v6 && c->n_ports > 1 && i > 0 && c->ports[i - 1].target == p->target &&
            c->ports[i - 1].host_port == p->host_port)
            continue;
        buf_addf(out, "%s%s%s%s:%u->%u/%s", out->len ? ", " : "", v6 ? "[" : "",
                 p->host_ip ? p->host_ip : "", v6 ? "]" : "", p->host_port, p->target,
                 p->protocol ? p->protocol : "tcp");
    }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct engine_container_summary *)a)->name,
                  ((const struct engine_container_summary *)b)->name);
}

int cmd_ps(int argc, char **argv)
{
    static bool all, quiet, list_services;
    static const char *format;
    static struct strvec services = STRVEC_INIT;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "all", 'a', &all, NULL, "also stopped containers"},
            {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only the container ids"},
            {OPT_BOOL, "services", 0, &list_services, NULL, "only the service names"},
            {OPT_STRING, "format", 0, &format, "FORMAT", "table (default) or json"},
            {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct engine_container_list list = {0};
    struct strvec filter = STRVEC_INIT;
    cJSON *json = NULL;
    int status;

    if (!cmd_parse("ps", opts, argc, argv, 0, NULL, &status))
        return status;
    if (format && strcmp(format, "table") && strcmp(format, "json")) {
        status = cmd_usage_error("ps", opts, "unknown format '%s' (table or json)", format);
        goto done;
    }
    if (cmd_connect_engine(&err) < 0 || cmd_load_project(&p, false, NULL, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    for (size_t i = 0; i < services.n; i++) {
        if (!compose_find_service(p, services.v[i])) {
            ds_error_set(&err, DS_ENOTFOUND, "no such service: '%s'", services.v[i]);
            status = cmd_error(&err);
            goto done;
        }
    }
    strvec_pushf(&filter, "%s=%s", LABEL_PROJECT, p->name);
    strvec_pushf(&filter, "%s=False", LABEL_ONEOFF);
    if (engine_container_list(ds.engine, &filter, all, &list, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    qsort(list.items, list.n, sizeof(*list.items), cmp_name);
    if (format && !strcmp(format, "json"))
        json = cJSON_CreateArray();
    else if (!quiet && !list_services)
        printf("%-28s %-16s %-10s %-10s %-16s %s\n", "NAME", "SERVICE", "STATE", "HEALTH", "UPTIME",
               "PORTS");
    for (size_t i = 0; i < list.n; i++) {
        const struct engine_container_summary *c = &list.items[i];
        const char *service = kvlist_get(&c->labels, LABEL_SERVICE);
        struct buf uptime = BUF_INIT, health = BUF_INIT, ports = BUF_INIT, state = BUF_INIT;

        service = service ? service : "";
        if (services.n && !strvec_contains(&services, service))
            continue;
        stack_status_split(c->status, &uptime, &health);
        ports_text(c, &ports);
        stack_status_state(&state, c->state, c->status);
        if (json) {
            cJSON *o = cJSON_CreateObject(), *pubs = NULL;

            cJSON_AddStringToObject(o, "ID", c->id);
            cJSON_AddStringToObject(o, "Name", c->name);
            cJSON_AddStringToObject(o, "Project", p->name);
            cJSON_AddStringToObject(o, "Service", service);
            cJSON_AddStringToObject(o, "Image", c->image ? c->image : "");
            cJSON_AddStringToObject(o, "State", c->state ? c->state : "");
            cJSON_AddStringToObject(o, "Health", health.buf);
            cJSON_AddNumberToObject(o, "ExitCode", stack_status_exit_code(c->status));
            cJSON_AddStringToObject(o, "Status", c->status ? c->status : "");
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
            cJSON_AddItemToArray(json, o);
        } else if (quiet) {
            printf("%s\n", c->id);
        } else if (list_services) {
            printf("%s\n", service);
        } else {
            printf("%-28s %-16s %-10s %-10s %-16s %s\n", c->name, service, state.buf,
                   health.len ? health.buf : "-", uptime.len ? uptime.buf : "-", ports.buf);
        }
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
    engine_container_list_release(&list);
    strvec_clear(&filter);
    strvec_clear(&services);
    compose_project_free(p);
    ds_error_release(&err);
    return status;
}
