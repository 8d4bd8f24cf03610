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
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "util/term.h"
#include "workspace/workspace.h"
#include "util/banned.h"

/* How long `up` waits for the database to take queries after its container started. */
#define DB_READY_TIMEOUT_MS 180000u

static bool watch_files;
static bool detach, build, no_build, wait, force_recreate, no_recreate, no_deps, no_start,
        remove_orphans, renew_anon_volumes, yes;
static const char *pull, *progress_mode;
static int wait_timeout, timeout = -1, parallel;
static struct strvec services = STRVEC_INIT;
/* the attached output, and how it ends */
static bool abort_on_exit, abort_on_failure, no_log_prefix, timestamps, no_color,
        always_recreate_deps;
static const char *exit_code_from;
static struct strvec attach_services = STRVEC_INIT, no_attach_services = STRVEC_INIT,
                     scales = STRVEC_INIT;

const struct opt_spec cmd_up_options[] = {
        {OPT_BOOL, "detach", 'd', &detach, NULL, "run in the background"},
        {OPT_BOOL, "build", 0, &build, NULL, "build images before starting"},
        {OPT_BOOL, "no-build", 0, &no_build, NULL, "never build; fail when an image is missing"},
        {OPT_CHOICE, "pull", 0, &pull, "POLICY", "pull images: always, missing or never", 0,
         "always|missing|never"},
        {OPT_BOOL, "wait", 0, &wait, NULL,
         "wait until services are running or healthy (implies --detach)"},
        {OPT_INT, "wait-timeout", 0, &wait_timeout, "SECONDS", "give up waiting after this"},
        {OPT_BOOL, "force-recreate", 0, &force_recreate, NULL, "recreate every container"},
        {OPT_BOOL, "no-recreate", 0, &no_recreate, NULL, "never recreate a container"},
        {OPT_BOOL, "renew-anon-volumes", 'V', &renew_anon_volumes, NULL,
         "recreated containers get new, empty anonymous volumes"},
        {OPT_BOOL, "yes", 'y', &yes, NULL,
         "make volumes the file no longer matches afresh (their data is lost)"},
        {OPT_BOOL, "watch", 'w', &watch_files, NULL,
         "watch the services' files and sync, restart or rebuild them (develop.watch)"},
        {OPT_BOOL, "no-deps", 0, &no_deps, NULL, "leave out the named services' dependencies"},
        {OPT_BOOL, "always-recreate-deps", 0, &always_recreate_deps, NULL,
         "recreate the named services' dependencies too"},
        {OPT_LIST, "scale", 0, &scales, "SERVICE=NUM",
         "run NUM containers of SERVICE, over the file's scale or deploy.replicas"},
        {OPT_BOOL, "no-start", 0, &no_start, NULL, "create, but do not start"},
        {OPT_BOOL, "remove-orphans", 0, &remove_orphans, NULL,
         "remove containers of services the files no longer have"},
        {OPT_INT, "timeout", 't', &timeout, "SECONDS", "stop timeout when recreating"},
        {OPT_BOOL, "abort-on-container-exit", 0, &abort_on_exit, NULL,
         "stop every container when one stops; exit with its code"},
        {OPT_BOOL, "abort-on-container-failure", 0, &abort_on_failure, NULL,
         "stop every container when one exits with a failure; exit with its code"},
        {OPT_STRING, "exit-code-from", 0, &exit_code_from, "SERVICE",
         "exit with SERVICE's exit code; implies --abort-on-container-exit"},
        {OPT_LIST, "attach", 0, &attach_services, "SERVICE",
         "show only these services' output (repeatable)"},
        {OPT_LIST, "no-attach", 0, &no_attach_services, "SERVICE",
         "do not show this service's output (repeatable)"},
        {OPT_BOOL, "no-log-prefix", 0, &no_log_prefix, NULL, "no service prefix on output lines"},
        {OPT_BOOL, "timestamps", 0, &timestamps, NULL, "show the engine's timestamp of each line"},
        {OPT_BOOL, "no-color", 0, &no_color, NULL, "no colors"},
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
    const struct compose_project *p;
    bool color;
    size_t width;
    struct buf line;
    /* --abort-on-container-exit or -failure: the first container that stopped so */
    bool aborting;
    int exit_code;
    /* --exit-code-from: its service's exit code, once it stopped while we followed */
    bool have_from;
    int from_code;
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

/* Is the service's output shown: --attach, else its attach: key; never with --no-attach. */
static bool attached(const struct compose_project *p, const char *service)
{
    const struct compose_service *s = compose_find_service(p, service);

    if (strvec_contains(&no_attach_services, service))
        return false;
    if (attach_services.n)
        return strvec_contains(&attach_services, service);
    return (!services.n || strvec_contains(&services, service)) && s && s->attach != 0;
}

/*
 * Does its stopping count for the abort flags and --exit-code-from: as in
 * Compose, a service named on the command line, else an attached one.
 */
static bool watched(const struct compose_project *p, const char *service)
{
    return services.n ? strvec_contains(&services, service) : attached(p, service);
}

static void print_line(const struct stack_log_source *src, int stream, const char *line, size_t len,
                       void *ud)
{
    struct attach *a = ud;

    (void)stream;
    /* once aborting, the containers' last words are not shown, as in Compose */
    if (a->aborting || !attached(a->p, src->service))
        return;
    buf_reset(&a->line);
    stack_log_format(&a->line, src->service, a->width,
                     a->color ? cmd_service_color(src->service) : NULL, !no_log_prefix, line, len);
    fwrite(a->line.buf, 1, a->line.len, stdout);
    fflush(stdout);
}

static void print_exit(const struct stack_log_source *src, int exit_code, void *ud)
{
    struct attach *a = ud;
    bool abort_now = abort_on_exit || (abort_on_failure && exit_code != 0);

    if (!a->aborting && attached(a->p, src->service)) {
        printf("%s%s exited with code %d%s\n", a->color ? cmd_service_color(src->service) : "",
               src->service, exit_code, a->color ? TERM_RESET : "");
        fflush(stdout);
    }
    if (!watched(a->p, src->service))
        return;
    if (exit_code_from && !a->have_from && !strcmp(src->service, exit_code_from)) {
        a->have_from = true;
        a->from_code = exit_code;
    }
    if (a->aborting || !abort_now)
        return;
    a->aborting = true;
    a->exit_code = exit_code;
    /* the end of following, as a Ctrl-C is; cmd_up then stops the project */
    sig_interrupted = 1;
}

/*
 * Follow the attached services' output until the containers stop or the user
 * presses Ctrl-C; with an abort flag also the other containers, for their exit.
 */
static int attach_logs(struct cmd_context *ctx, time_t started, struct attach *a,
                       struct ds_error *err)
{
    struct stack_container_list l = {0};
    struct stack_log_sources src = {0};
    struct stack_logs_options lo = {.follow = true, .cancel = &sig_interrupted};
    bool aborts = abort_on_exit || abort_on_failure || exit_code_from;
    struct buf names = BUF_INIT;
    size_t kept = 0;
    int rc;

    rc = stack_list_containers(ctx->engine, ctx->project->name, STACK_LIST_ALL, &l, err);
    if (rc < 0)
        return rc;
    stack_log_sources(ctx->project, &l, NULL, STACK_LOGS_ENABLED | STACK_LOGS_DETACHED, &src);
    a->width = 0;
    for (size_t i = 0; i < src.n; i++) {
        const struct stack_log_source *s = &src.items[i];
        bool shown = attached(ctx->project, s->service);

        if (!shown && !(aborts && watched(ctx->project, s->service)))
            continue;
        if (shown) {
            buf_addf(&names, "%s%s", names.len ? ", " : "", s->name);
            if (strlen(s->service) > a->width)
                a->width = strlen(s->service);
        }
        src.items[kept++] = *s;
    }
    src.n = kept;
    printf("Attaching to %s\n", names.buf);
    fflush(stdout);
    /* what the containers said since this `up` began; older output is `devstack logs` */
    lo.since = started - 1;
    lo.timestamps = timestamps;
    lo.on_exit = print_exit;
    if (watch_files) {
        /* a rebuild recreates containers: their successors' output follows theirs */
        lo.watch_project = ctx->project->name;
        lo.services = &services;
    }
    rc = stack_logs(ctx->engine, src.items, src.n, &lo, print_line, a, err);
    buf_release(&names);
    stack_log_sources_release(&src);
    stack_container_list_release(&l);
    return rc;
}

/* After an abort: the exit code of --exit-code-from's service, stopped by now. */
static int exit_code_of(struct cmd_context *ctx, const struct attach *a, struct ds_error *err)
{
    struct stack_container_list l = {0};
    int code = a->exit_code;

    if (!exit_code_from || a->have_from)
        return exit_code_from ? a->from_code : code;
    if (!watched(ctx->project, exit_code_from))
        return 0;
    if (stack_list_containers(ctx->engine, ctx->project->name, STACK_LIST_ALL, &l, err) < 0)
        return -1;
    code = 0;
    for (size_t i = 0; i < l.n; i++) {
        int waited;

        if (l.items[i].oneoff || strcmp(l.items[i].service, exit_code_from))
            continue;
        code = stack_status_exit_code(l.items[i].status);
        /*
         * The list can still call a container just stopped running (Engine
         * 26.1's does, for a moment), with no code yet: the engine's wait
         * answers once it has one.
         */
        if (engine_container_wait(ctx->engine, l.items[i].id, "not-running", &waited, err) == 0)
            code = waited;
        else
            ds_error_release(err);
    }
    stack_container_list_release(&l);
    return code;
}

/* --scale SERVICE=NUM (up, create): over the file's scale and deploy.replicas. */
int cmd_apply_scales(struct cmd_context *ctx, const struct strvec *list)
{
    for (size_t i = 0; i < list->n; i++) {
        const char *eq = strchr(list->v[i], '=');
        struct compose_service *s = NULL;
        char *name;
        int64_t n;

        if (!eq || eq == list->v[i] || str_to_int64(eq + 1, 0, 1000, &n) < 0)
            return cmd_usage_error(ctx, "--scale: '%s' is not SERVICE=NUM (NUM from 0 to 1000)",
                                   list->v[i]);
        name = xstrndup(list->v[i], (size_t)(eq - list->v[i]));
        s = compose_find_service(ctx->project, name);
        free(name);
        if (!s)
            return cmd_usage_error(ctx, "--scale: no service '%.*s' in the project",
                                   (int)(eq - list->v[i]), list->v[i]);
        if (n > 1 && s->container_name)
            return cmd_usage_error(ctx,
                                   "--scale '%s': service '%s' has a container_name, which %d "
                                   "containers cannot share",
                                   list->v[i], s->name, (int)n);
        s->scale = (int)n;
    }
    return EXIT_OK;
}

/* The warning of up and create about containers of services the files no longer have. */
void cmd_warn_orphans(const struct strvec *orphans)
{
    struct buf list = BUF_INIT;

    if (!orphans->n)
        return;
    for (size_t i = 0; i < orphans->n; i++)
        buf_addf(&list, "%s%s", i ? ", " : "", orphans->v[i]);
    fprintf(stderr,
            "warning: found orphan containers (%s) for this project; if you removed or "
            "renamed their service, remove them with --remove-orphans\n",
            list.buf);
    buf_release(&list);
}

/* The combinations Compose refuses, in its words; 0 when the flags go together. */
static int check_flags(struct cmd_context *ctx)
{
    if (always_recreate_deps && no_recreate)
        return cmd_usage_error(ctx, "--always-recreate-deps and --no-recreate are incompatible");
    if (renew_anon_volumes && no_recreate)
        return cmd_usage_error(ctx, "--no-recreate and --renew-anon-volumes are incompatible");
    if (exit_code_from && !abort_on_failure)
        abort_on_exit = true;
    if (abort_on_exit && abort_on_failure)
        return cmd_usage_error(ctx, "--abort-on-container-failure cannot be combined with "
                                    "--abort-on-container-exit");
    if (wait && (abort_on_exit || abort_on_failure || attach_services.n || watch_files))
        return cmd_usage_error(ctx, "--wait cannot be combined with --abort-on-container-exit, "
                                    "--abort-on-container-failure, --attach or --watch");
    /* as in Compose: what is waited for is then left running in the background */
    if (wait)
        detach = true;
    if (detach && (abort_on_exit || abort_on_failure || attach_services.n))
        return cmd_usage_error(ctx, "--detach cannot be combined with --abort-on-container-exit, "
                                    "--abort-on-container-failure or --attach");
    if (exit_code_from && !compose_find_service(ctx->project, exit_code_from))
        return cmd_usage_error(ctx, "--exit-code-from: no service '%s' in the project",
                               exit_code_from);
    for (size_t i = 0; i < attach_services.n; i++) {
        const struct compose_service *s = compose_find_service(ctx->project, attach_services.v[i]);

        if (!s || !s->enabled)
            return cmd_usage_error(ctx, "cannot attach to services not included in up: %s",
                                   attach_services.v[i]);
    }
    return cmd_apply_scales(ctx, &scales);
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
    struct attach a = {.line = BUF_INIT};
    int status, rc;

    if (build && no_build)
        return cmd_usage_error(ctx, "--build and --no-build contradict each other");
    if (force_recreate && no_recreate)
        return cmd_usage_error(ctx, "--force-recreate and --no-recreate contradict each other");
    if (check_flags(ctx) != 0)
        return EXIT_USAGE;
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
    so.recreate_volumes = yes;
    so.take_over = cmd_take_over;
    so.no_recreate = no_recreate;
    so.no_deps = no_deps;
    so.recreate_deps = always_recreate_deps;
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
    cmd_warn_orphans(&orphans);
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
    a.p = ctx->project;
    a.color = !no_color && term_use_color(stdout);
    rc = attach_logs(ctx, started, &a, &err);
    cmd_watch_stop(watcher);
    if (a.aborting) {
        ds_error_release(&err);
        fprintf(stderr, "Aborting on container exit...\n");
        sig_interrupted = 0;
        cmd_relock(ctx);
        rc = stack_stop_or_kill(ctx->engine, ctx->project, timeout, &ao, &sig_forced, &err);
        status = rc < 0 ? cmd_error(&err) : exit_code_of(ctx, &a, &err);
        /* an exit code the engine could not tell is a failure, not a success */
        if (status < 0)
            status = err.msg ? cmd_error(&err) : EXIT_ERROR;
    } else if (rc == DS_EINTR || sig_interrupted) {
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
    buf_release(&a.line);
    strvec_clear(&attach_services);
    strvec_clear(&no_attach_services);
    strvec_clear(&scales);
    strvec_clear(&services);
    strvec_clear(&orphans);
    ds_error_release(&err);
    return status;
}
