/* devstack logs: the output of the project's services, interleaved, with a service prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devstack.h"
#include "signals.h"
#include "stack/logs.h"
#include "stack/stack.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/term.h"
#include "util/banned.h"

static bool follow, timestamps, no_prefix, no_color;
static const char *tail, *since, *until;
static int index_;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_logs_options[] = {
        {OPT_BOOL, "follow", 'f', &follow, NULL,
         "keep following, also containers that start later"},
        {OPT_STRING, "tail", 'n', &tail, "N", "only the last N lines of each container"},
        {OPT_STRING, "since", 0, &since, "TIME",
         "only since TIME (10m, 1h30m, 2026-11-21T10:00:00Z, unix seconds)"},
        {OPT_STRING, "until", 0, &until, "TIME", "only until TIME"},
        {OPT_BOOL, "timestamps", 't', &timestamps, NULL, "show timestamps"},
        {OPT_BOOL, "no-log-prefix", 0, &no_prefix, NULL, "no service prefix"},
        {OPT_BOOL, "no-color", 0, &no_color, NULL, "no colors"},
        {OPT_INT, "index", 0, &index_, "N", "only the service's container number N"},
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

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
    /* following, a line is for now: into a pipe or a file too, as up's attached output */
    if (follow)
        fflush(stdout);
}

int cmd_logs(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_container_list l = {0};
    struct stack_log_sources src = {0};
    struct stack_logs_options lo = {0};
    struct printer pr = {.line = BUF_INIT};
    int64_t now = time(NULL);
    const char *only = NULL; /* --index: its container's id */
    int status, rc;

    if (tail && strcmp(tail, "all") && strspn(tail, "0123456789") != strlen(tail)) {
        status = cmd_usage_error(ctx, "--tail takes a number or 'all', not '%s'", tail);
        goto done;
    }
    if (since && time_parse(since, now, &lo.since) < 0) {
        status = cmd_usage_error(ctx, "--since: cannot read the time '%s'", since);
        goto done;
    }
    if (until && time_parse(until, now, &lo.until) < 0) {
        status = cmd_usage_error(ctx, "--until: cannot read the time '%s'", until);
        goto done;
    }
    if (index_ > 0 && services.n != 1) {
        status = cmd_usage_error(ctx, "--index requires one service to be selected");
        goto done;
    }
    if (stack_list_containers(ctx->engine, ctx->project->name, STACK_LIST_ALL, &l, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    for (size_t i = 0; index_ > 0 && i < l.n; i++)
        if (l.items[i].number == index_ && !l.items[i].oneoff &&
            !strcmp(l.items[i].service, services.v[0]))
            only = l.items[i].id;
    if (index_ > 0 && !only) {
        ds_error_set(&err, DS_ENOTFOUND, "service '%s' has no container #%d", services.v[0],
                     index_);
        status = cmd_error(&err);
        goto done;
    }
    stack_log_sources(ctx->project, &l, &services, 0, &src);
    if (only) {
        size_t kept = 0;

        /* --index: that container's output, not its siblings' */
        for (size_t i = 0; i < src.n; i++)
            if (!strcmp(src.items[i].container, only))
                src.items[kept++] = src.items[i];
        src.n = kept;
    }
    pr.width = src.width;
    pr.prefix = !no_prefix;
    pr.color = !no_color && term_use_color(stdout);

    signals_catch();
    lo.follow = follow;
    lo.timestamps = timestamps;
    lo.tail = tail;
    lo.watch_project = follow ? ctx->project->name : NULL;
    lo.services = &services;
    lo.cancel = &sig_interrupted;
    rc = stack_logs(ctx->engine, src.items, src.n, &lo, print_line, &pr, &err);
    fflush(stdout);
    /* Ctrl-C ends a follow: that is how it is meant to end */
    status = rc < 0 && rc != DS_EINTR ? cmd_error(&err) : EXIT_OK;

done:
    stack_log_sources_release(&src);
    stack_container_list_release(&l);
    buf_release(&pr.line);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
