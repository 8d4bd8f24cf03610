/* devstack up: create what is missing, recreate what drifted, start in dependency order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/display.h"
#include "stack/logs.h"
#include "stack/stack.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/term.h"
#include "workspace/workspace.h"
#include "util/banned.h"

/* How long `up` waits for the database to take queries after its container started. */
#define DB_READY_TIMEOUT_MS 180000u

static bool watch_files;
static bool detach, build, no_build, wait, force_recreate, no_recreate, no_deps, no_start,
        remove_orphans, renew_anon_volumes;
static const char *pull, *progress_mode;
static int wait_timeout, timeout = -1, parallel;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_up_options[] = {
        {OPT_BOOL, "detach", 'd', &detach, NULL, "run in the background"},
        {OPT_BOOL, "build", 0, &build, NULL, "build images before starting"},
        {OPT_BOOL, "no-build", 0, &no_build, NULL, "never build; fail when an image is missing"},
        {OPT_CHOICE, "pull", 0, &pull, "POLICY", "pull images: always, missing or never", 0,
         "always|missing|never"},
        {OPT_BOOL, "wait", 0, &wait, NULL, "wait until services are running or healthy"},
        {OPT_INT, "wait-timeout", 0, &wait_timeout, "SECONDS", "give up waiting after this"},
        {OPT_BOOL, "force-recreate", 0, &force_recreate, NULL, "recreate every container"},
        {OPT_BOOL, "no-recreate", 0, &no_recreate, NULL, "never recreate a container"},
        {OPT_BOOL, "renew-anon-volumes", 'V', &renew_anon_volumes, NULL,
         "recreated containers get new, empty anonymous volumes"},
        {OPT_BOOL, "watch", 'w', &watch_files, NULL,
         "watch the services' files and sync, restart or rebuild them (develop.watch)"},
        {OPT_BOOL, "no-deps", 0, &no_deps, NULL, "leave out the named services' dependencies"},
        {OPT_BOOL, "no-start", 0, &no_start, NULL, "create, but do not start"},
        {OPT_BOOL, "remove-orphans", 0, &remove_orphans, NULL,
         "remove containers of services the files no longer have"},
        {OPT_INT, "timeout", 't', &timeout, "SECONDS", "stop timeout when recreating"},
        {OPT_INT, "parallel", 0, &parallel, "N", "at most N engine operations at once"},
        {OPT_CHOICE, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet", 0,
         PROGRESS_CHOICES},
        CMD_LOCK_OPTION,
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services (and their dependencies)"},
        CMD_TAKE_OVER_OPTION,
        {0},
};

static enum stack_pull pull_policy(const char *s)
{
    if (!s)
        return PULL_POLICY_DEFAULT;
    return !strcmp(s, "always") ? PULL_ALWAYS : !strcmp(s, "missing") ? PULL_MISSING : PULL_NEVER;
}

bool cmd_bind_all(void)
{
    const char *v = getenv("DEVSTACK_BIND_ALL");
    return v && (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"));
}

/* ---- the services and their URLs, when up is done ----------------------------------- */

/* Aligned columns; a service with several URLs takes one line for each. */
static void print_rows(const struct stack_service_rows *r)
{
    bool bold = term_use_color(stdout);
    int sw = (int)strlen("SERVICE"), tw = (int)strlen("STATE");

    for (size_t i = 0; i < r->n; i++) {
        if ((int)strlen(r->items[i].service) > sw)
            sw = (int)strlen(r->items[i].service);
        if ((int)r->items[i].state.len > tw)
            tw = (int)r->items[i].state.len;
    }
    printf("%s%-*s   %-*s   URL%s\n", bold ? TERM_BOLD : "", sw, "SERVICE", tw, "STATE",
           bold ? TERM_RESET : "");
    for (size_t i = 0; i < r->n; i++) {
        const struct stack_service_row *row = &r->items[i];

        if (!row->urls.n)
            printf("%-*s   %s\n", sw, row->service, row->state.buf);
        for (size_t k = 0; k < row->urls.n; k++)
            printf("%-*s   %-*s   %s\n", sw, k ? "" : row->service, tw, k ? "" : row->state.buf,
                   row->urls.v[k]);
    }
    fflush(stdout);
}

int cmd_show_services(struct cmd_context *ctx, struct ds_error *err)
{
    struct stack_container_list l = {0};
    struct stack_service_rows rows = {0};
    int rc = stack_list_containers(ctx->engine, ctx->project->name, STACK_LIST_ALL, &l, err);

    if (rc == 0) {
        stack_service_rows(ctx->project, &l, &rows);
        print_rows(&rows);
    }
    stack_service_rows_release(&rows);
    stack_container_list_release(&l);
    return rc;
}

int cmd_wait_db(struct cmd_context *ctx, const struct strvec *named, bool only_named,
                uint64_t started_ms, struct ds_error *err)
{
    struct workspace_ready ready;
    int rc = workspace_wait_db(ctx->project, named, only_named, DB_READY_TIMEOUT_MS,
                               &sig_interrupted, &ready, err);

    if (rc == 0 && ready.service)
        fprintf(stderr, "%s: ready: '%s' answers queries as '%s', %.1f s after %s started\n",
                ready.service, ready.database ? ready.database : "", ready.user,
                (double)(clock_ms() - started_ms) / 1000.0, ctx->name);
    return rc;
}

/* ---- attached logs -------------------------------------------------------------- */

struct attach {
    bool color;
    size_t width;
    struct buf line;
};

static const char *const service_colors[] = {"\033[36m", "\033[33m", "\033[32m",
                                             "\033[35m", "\033[34m", "\033[96m"};

const char *cmd_service_color(const char *service)
{
    unsigned h = 5381;

    /* stable per name: the same service has the same color every time */
    for (const char *c = service; *c; c++)
        h = h * 33 + (unsigned char)*c;
    return service_colors[h % (sizeof(service_colors) / sizeof(service_colors[0]))];
}

static void print_line(const struct stack_log_source *src, int stream, const char *line, size_t len,
                       void *ud)
{
    struct attach *a = ud;

    (void)stream;
    buf_reset(&a->line);
    stack_log_format(&a->line, src->service, a->width,
                     a->color ? cmd_service_color(src->service) : NULL, true, line, len);
    fwrite(a->line.buf, 1, a->line.len, stdout);
    fflush(stdout);
}

/* Follow every service's output until the containers stop or the user presses Ctrl-C. */
static int attach_logs(struct cmd_context *ctx, time_t started, struct ds_error *err)
{
    struct stack_container_list l = {0};
    struct stack_log_sources src = {0};
    struct attach a = {.color = term_use_color(stdout), .line = BUF_INIT};
    struct stack_logs_options lo = {.follow = true, .cancel = &sig_interrupted};
    struct buf names = BUF_INIT;
    int rc;

    rc = stack_list_containers(ctx->engine, ctx->project->name, STACK_LIST_ALL, &l, err);
    if (rc < 0)
        return rc;
    stack_log_sources(ctx->project, &l, &services, STACK_LOGS_ENABLED, &src);
    a.width = src.width;
    for (size_t i = 0; i < src.n; i++)
        buf_addf(&names, "%s%s", i ? ", " : "", src.items[i].name);
    printf("Attaching to %s\n", names.buf);
    fflush(stdout);
    /* what the containers said since this `up` began; older output is `devstack logs` */
    lo.since = started - 1;
    rc = stack_logs(ctx->engine, src.items, src.n, &lo, print_line, &a, err);
    buf_release(&a.line);
    buf_release(&names);
    stack_log_sources_release(&src);
    stack_container_list_release(&l);
    return rc;
}

int cmd_up(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_options so = {0};
    struct stack_apply_options ao = {0};
    struct strvec orphans = STRVEC_INIT;
    struct progress *prog = NULL;
    struct cmd_watcher *watcher = NULL;
    time_t started = time(NULL);
    uint64_t started_ms = clock_ms();
    int status, rc;

    if (build && no_build)
        return cmd_usage_error(ctx, "--build and --no-build contradict each other");
    if (force_recreate && no_recreate)
        return cmd_usage_error(ctx, "--force-recreate and --no-recreate contradict each other");
    if (watch_files && (detach || no_start || no_build))
        return cmd_usage_error(ctx, "--watch needs the attached, building `up`: not with "
                                    "--detach, --no-start or --no-build");
    if (watch_files && cmd_watch_check(ctx, &services, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();

    so.services = &services;
    so.pull = pull_policy(pull);
    so.build = build;
    so.no_build = no_build;
    so.force_recreate = force_recreate;
    so.renew_anon_volumes = renew_anon_volumes;
    so.take_over = cmd_take_over;
    so.no_recreate = no_recreate;
    so.no_deps = no_deps;
    so.no_start = no_start;
    so.remove_orphans = remove_orphans;
    so.bind_all = cmd_bind_all();
    prog = progress_new(stderr, progress_mode_of(progress_mode));
    ao.parallel = parallel;
    ao.wait = wait;
    ao.wait_timeout = wait_timeout;
    ao.stop_timeout = timeout;
    ao.cancel = &sig_interrupted;
    ao.on_event = progress_event;
    ao.ud = prog;

    rc = stack_up(ctx->engine, ctx->project, &so, &ao, &orphans, &err);
    progress_finish(prog);
    if (orphans.n) {
        struct buf list = BUF_INIT;

        for (size_t i = 0; i < orphans.n; i++)
            buf_addf(&list, "%s%s", i ? ", " : "", orphans.v[i]);
        fprintf(stderr,
                "warning: found orphan containers (%s) for this project; if you removed or "
                "renamed their service, remove them with --remove-orphans\n",
                list.buf);
        buf_release(&list);
    }
    if (rc < 0) {
        if (rc == DS_EINTR)
            fprintf(stderr, "interrupted: what was done stays; 'devstack up' again finishes it\n");
        status = cmd_error(&err);
        goto done;
    }
    status = EXIT_OK;
    /* the database is up when the app user can query the app database, not when it runs */
    if ((detach || wait) && !no_start &&
        cmd_wait_db(ctx, &services, no_deps, started_ms, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    /* even when nothing changed: `up` is how one finds the URLs again */
    if (!progress_is_quiet(prog) && cmd_show_services(ctx, &err) < 0) {
        fprintf(stderr, "warning: cannot list the services: %s\n", err.msg);
        ds_error_release(&err);
    }
    if (detach || no_start)
        goto done;

    /* following the output changes nothing: a `restart` elsewhere need not wait for it */
    cmd_unlock();
    if (watch_files && (rc = cmd_watch_start(&watcher, ctx, &services, &err)) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    rc = attach_logs(ctx, started, &err);
    cmd_watch_stop(watcher);
    if (rc == DS_EINTR || sig_interrupted) {
        ds_error_release(&err);
        fprintf(stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
        /* stopping changes the project: not while another command is at it */
        cmd_relock(ctx);
        rc = stack_stop_or_kill(ctx->engine, ctx->project, timeout, &ao, &sig_forced, &err);
        status = rc < 0 ? cmd_error(&err) : EXIT_INTERRUPTED;
    } else if (rc < 0) {
        status = cmd_error(&err);
    }

done:
    progress_free(prog);
    strvec_clear(&services);
    strvec_clear(&orphans);
    ds_error_release(&err);
    return status;
}
