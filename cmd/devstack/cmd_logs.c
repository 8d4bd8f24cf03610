/* devstack logs: the output of the project's services, interleaved, with a service prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devstack.h"
#include "signals.h"
#include "stack/logs.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/term.h"
#include "util/banned.h"

struct printer {
    bool color, prefix;
    size_t width;
    struct buf line;
};

static void print_line(const struct stack_log_source *src, int stream, const char *line, size_t len,
                       void *ud)
{
    struct printer *pr = ud;

    (void)stream;
    buf_reset(&pr->line);
    stack_log_format(&pr->line, src->service, pr->width,
                     pr->color ? cmd_service_color(src->service) : NULL, pr->prefix, line, len);
    fwrite(pr->line.buf, 1, pr->line.len, stdout);
}

int cmd_logs(int argc, char **argv)
{
    static bool follow, timestamps, no_prefix, no_color;
    static const char *tail, *since, *until;
    static struct strvec services = STRVEC_INIT;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "follow", 'f', &follow, NULL,
             "keep following, also containers that start later"},
            {OPT_STRING, "tail", 'n', &tail, "N", "only the last N lines of each container"},
            {OPT_STRING, "since", 0, &since, "TIME",
             "only since TIME (10m, 1h30m, 2026-11-21T10:00:00Z, unix seconds)"},
            {OPT_STRING, "until", 0, &until, "TIME", "only until TIME"},
            {OPT_BOOL, "timestamps", 't', &timestamps, NULL, "show timestamps"},
            {OPT_BOOL, "no-log-prefix", 0, &no_prefix, NULL, "no service prefix"},
            {OPT_BOOL, "no-color", 0, &no_color, NULL, "no colors"},
            {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct stack_observed o = {0};
    struct stack_log_source *src = NULL;
    struct stack_logs_options lo = {0};
    struct printer pr = {.line = BUF_INIT};
    size_t n = 0;
    int status, rc;
    int64_t now = time(NULL);

    if (!cmd_parse("logs", opts, argc, argv, 0, NULL, &status))
        return status;
    if (tail && strcmp(tail, "all") && strspn(tail, "0123456789") != strlen(tail)) {
        status = cmd_usage_error("logs", opts, "--tail takes a number or 'all', not '%s'", tail);
        goto done;
    }
    if (since && time_parse(since, now, &lo.since) < 0) {
        status = cmd_usage_error("logs", opts, "--since: cannot read the time '%s'", since);
        goto done;
    }
    if (until && time_parse(until, now, &lo.until) < 0) {
        status = cmd_usage_error("logs", opts, "--until: cannot read the time '%s'", until);
        goto done;
    }
    if (cmd_connect_engine(&err) < 0 || cmd_load_project(&p, false, NULL, &err) < 0 ||
        stack_observe(ds.engine, p, &o, &err) < 0) {
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
    src = xcalloc(o.n_containers + 1, sizeof(*src));
    for (size_t i = 0; i < o.n_containers; i++) {
        const struct stack_container *c = &o.containers[i];
        const struct compose_service *s = compose_find_service(p, c->service);

        if (c->oneoff || (services.n && !strvec_contains(&services, c->service)))
            continue;
        src[n].service = c->service;
        src[n].container = c->id;
        src[n].name = c->name;
        src[n].tty = s && s->tty == 1;
        n++;
    }
    /* aligned on the services shown: the ones named, else the enabled ones
       and any with a container (a profile may since have been turned off) */
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];

        if ((services.n ? strvec_contains(&services, s->name) : s->enabled) &&
            strlen(s->name) > pr.width)
            pr.width = strlen(s->name);
    }
    for (size_t i = 0; i < n; i++)
        if (strlen(src[i].service) > pr.width)
            pr.width = strlen(src[i].service);
    pr.prefix = !no_prefix;
    pr.color = !no_color && term_use_color(stdout);

    signals_catch();
    lo.follow = follow;
    lo.timestamps = timestamps;
    lo.tail = tail;
    lo.watch_project = follow ? p->name : NULL;
    lo.services = &services;
    lo.cancel = &sig_interrupted;
    rc = stack_logs(ds.engine, src, n, &lo, print_line, &pr, &err);
    fflush(stdout);
    /* Ctrl-C ends a follow: that is how it is meant to end */
    status = rc < 0 && rc != DS_EINTR ? cmd_error(&err) : EXIT_OK;

done:
    free(src);
    buf_release(&pr.line);
    stack_observed_release(&o);
    compose_project_free(p);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
