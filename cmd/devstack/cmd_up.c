/* devstack up: create what is missing, recreate what drifted, start in dependency order. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devstack.h"
#include "stack/dbinfo.h"
#include "progress.h"
#include "signals.h"
#include "stack/display.h"
#include "stack/logs.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/strutil.h"
#include "util/term.h"
#include "util/banned.h"

/* ---- .env from .env.example ------------------------------------------------------- */

/* dir/name as the user would write it: relative to the current directory when below it. */
static char *shown_path(const char *dir, const char *name)
{
    char cwd[PATH_MAX];
    const char *rest;
    struct buf b = BUF_INIT;

    buf_addf(&b, "%s/%s", dir, name);
    if (getcwd(cwd, sizeof(cwd)) && str_skip_prefix(b.buf, cwd, &rest) && rest[0] == '/')
        buf_consume(&b, (size_t)(rest + 1 - b.buf));
    return buf_detach(&b, NULL);
}

/*
 * A project that ships .env.example and git-ignores .env: its first `up`
 * makes the .env, before the project is loaded so that interpolation sees
 * it. Owner-only: it holds passwords.
 */
static int create_dotenv(struct ds_error *err)
{
    struct compose_options o = {.files = &ds.files, .project_directory = ds.project_directory};
    char *dir = NULL, *example = NULL, *dotenv = NULL;
    struct stat st;
    int rc;

    if (ds.env_files.n)
        return 0; /* --env-file: the project's .env would not be read */
    rc = compose_project_dir(&dir, &o, err);
    if (rc < 0)
        return rc;
    example = shown_path(dir, ".env.example");
    dotenv = shown_path(dir, ".env");
    if (lstat(example, &st) < 0 && errno == ENOENT)
        goto done;
    rc = file_copy_new(example, dotenv, 0600, err);
    if (rc == 1)
        fprintf(stderr, "created %s from .env.example (edit it, not the example)\n", dotenv);

done:
    free(dir);
    free(example);
    free(dotenv);
    return rc < 0 ? rc : 0;
}

/* ---- the services and their URLs, when up is done ----------------------------------- */

struct row {
    const char *service;
    struct buf state;
    struct strvec urls;
};

/* The container a service's row shows: its first (Compose's container number). */
static const struct engine_container_summary *
first_container(const struct engine_container_list *list, const char *service)
{
    const struct engine_container_summary *first = NULL;
    int first_number = INT_MAX;

    for (size_t i = 0; i < list->n; i++) {
        const char *s = kvlist_get(&list->items[i].labels, LABEL_SERVICE);
        const char *label = kvlist_get(&list->items[i].labels, LABEL_NUMBER);
        int number = INT_MAX;

        if (!s || strcmp(s, service))
            continue;
        if (label)
            str_to_int(label, 0, INT_MAX, &number);
        if (!first || number < first_number) {
            first = &list->items[i];
            first_number = number;
        }
    }
    return first;
}

/* Aligned columns; a service with several URLs takes one line for each. */
static void print_rows(const struct row *rows, size_t n)
{
    bool bold = term_use_color(stdout);
    int sw = (int)strlen("SERVICE"), tw = (int)strlen("STATE");

    for (size_t i = 0; i < n; i++) {
        if ((int)strlen(rows[i].service) > sw)
            sw = (int)strlen(rows[i].service);
        if ((int)rows[i].state.len > tw)
            tw = (int)rows[i].state.len;
    }
    printf("%s%-*s   %-*s   URL%s\n", bold ? TERM_BOLD : "", sw, "SERVICE", tw, "STATE",
           bold ? TERM_RESET : "");
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].urls.n)
            printf("%-*s   %s\n", sw, rows[i].service, rows[i].state.buf);
        for (size_t k = 0; k < rows[i].urls.n; k++)
            printf("%-*s   %-*s   %s\n", sw, k ? "" : rows[i].service, tw,
                   k ? "" : rows[i].state.buf, rows[i].urls.v[k]);
    }
    fflush(stdout);
}

/*
 * Each enabled service with its state and where to reach it, from what the
 * engine says now: a port published without a host port shows the one it got.
 */
static int show_services(const struct compose_project *p, struct ds_error *err)
{
    struct engine_container_list list = {0};
    struct strvec filter = STRVEC_INIT;
    struct row *rows = xcalloc(p->n_services + 1, sizeof(*rows));
    size_t n = 0;
    int rc;

    strvec_pushf(&filter, "%s=%s", LABEL_PROJECT, p->name);
    strvec_pushf(&filter, "%s=False", LABEL_ONEOFF);
    rc = engine_container_list(ds.engine, &filter, true, &list, err);
    for (size_t i = 0; rc == 0 && i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];
        const struct engine_container_summary *c;
        struct row *r = &rows[n];

        if (!s->enabled)
            continue;
        r->service = s->name;
        r->state = (struct buf)BUF_INIT;
        strvec_init(&r->urls);
        n++;
        c = first_container(&list, s->name);
        if (!c) {
            buf_adds(&r->state, "-");
            continue;
        }
        stack_status_summary(&r->state, c->state, c->status);
        stack_service_urls(&r->urls, kvlist_get(&s->labels, LABEL_DEVSTACK_URL), c->ports,
                           c->n_ports);
    }
    if (rc == 0)
        print_rows(rows, n);
    for (size_t i = 0; i < n; i++) {
        buf_release(&rows[i].state);
        strvec_clear(&rows[i].urls);
    }
    free(rows);
    strvec_clear(&filter);
    engine_container_list_release(&list);
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
static int attach_logs(struct compose_project *p, const struct stack_options *opts, time_t started,
                       struct ds_error *err)
{
    struct stack_observed o;
    struct stack_log_source *src = NULL;
    struct attach a = {.color = term_use_color(stdout), .line = BUF_INIT};
    struct stack_logs_options lo = {.follow = true, .cancel = &sig_interrupted};
    struct buf names = BUF_INIT;
    size_t n = 0;
    int rc;

    rc = stack_observe(ds.engine, p, &o, err);
    if (rc < 0)
        return rc;
    src = xcalloc(o.n_containers + 1, sizeof(*src));
    for (size_t i = 0; i < o.n_containers; i++) {
        const struct stack_container *c = &o.containers[i];
        const struct compose_service *s = compose_find_service(p, c->service);

        if (!s || !s->enabled || c->oneoff)
            continue;
        if (opts->services && opts->services->n && !strvec_contains(opts->services, c->service))
            continue;
        src[n].service = c->service;
        src[n].container = c->id;
        src[n].name = c->name;
        src[n].tty = s->tty == 1;
        if (strlen(c->service) > a.width)
            a.width = strlen(c->service);
        buf_addf(&names, "%s%s", n ? ", " : "", c->name);
        n++;
    }
    printf("Attaching to %s\n", names.buf);
    fflush(stdout);
    /* what the containers said since this `up` began; older output is `devstack logs` */
    lo.since = started - 1;
    rc = stack_logs(ds.engine, src, n, &lo, print_line, &a, err);
    buf_release(&a.line);
    free(src);
    buf_release(&names);
    stack_observed_release(&o);
    return rc;
}

/* Ctrl-C while attached: stop gracefully; a second Ctrl-C kills. */
static int stop_after_interrupt(struct compose_project *p, int timeout,
                                const struct stack_apply_options *ao, struct ds_error *err)
{
    struct stack_observed o;
    struct stack_apply_options stop_ao = *ao;
    int rc;

    fprintf(stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
    /* What to stop (or kill) is listed before a second Ctrl-C may cut the
       engine's answers short: one during the listing must still kill. */
    engine_set_cancel_flag(ds.engine, NULL);
    rc = stack_observe(ds.engine, p, &o, err);
    if (rc < 0)
        return rc;
    stop_ao.cancel = &sig_forced;
    engine_set_cancel_flag(ds.engine, &sig_forced);
    rc = stack_stop(ds.engine, p, &o, NULL, timeout, &stop_ao, err);
    if (sig_forced) {
        ds_error_release(err);
        engine_set_cancel_flag(ds.engine, NULL);
        for (size_t i = 0; i < o.n_containers; i++) {
            struct ds_error kerr = DS_ERROR_INIT;

            if (engine_container_kill(ds.engine, o.containers[i].id, "SIGKILL", &kerr) == 0)
                fprintf(stderr, " Container %s  Killed\n", o.containers[i].name);
            ds_error_release(&kerr);
        }
        rc = 0;
    }
    stack_observed_release(&o);
    return rc;
}

static int parse_pull(const char *s, enum stack_pull *out)
{
    if (!s)
        *out = PULL_POLICY_DEFAULT;
    else if (!strcmp(s, "always"))
        *out = PULL_ALWAYS;
    else if (!strcmp(s, "missing"))
        *out = PULL_MISSING;
    else if (!strcmp(s, "never"))
        *out = PULL_NEVER;
    else
        return -1;
    return 0;
}

bool cmd_bind_all(void)
{
    const char *v = getenv("DEVSTACK_BIND_ALL");
    return v && (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"));
}

/* How long `up` waits for the database to take queries after its container started. */
#define DB_READY_TIMEOUT_MS 180000u

static uint64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The database is up when the app user can query the app database, not when
 * its container runs: wait for that and say how long it took from the start.
 */
static int wait_for_database(const struct compose_project *p, const struct stack_options *so,
                             uint64_t started_ms, struct ds_error *err)
{
    struct stack_db_info info;
    struct db_wait_result res = {0};
    int rc = 0;

    stack_db_info(&info, p);
    if (!info.db || !info.have_url ||
        (so->services->n && !strvec_contains(so->services, info.db->name) && so->no_deps))
        goto done;
    rc = db_wait(&info.url, DB_READY_TIMEOUT_MS, &sig_interrupted, &res, err);
    if (rc < 0) {
        ds_error_wrap(err, "service '%s'", info.db->name);
        if (!err->hint)
            ds_error_hint(err, "see its log: devstack logs %s", info.db->name);
        goto done;
    }
    fprintf(stderr, "%s: ready: '%s' answers queries as '%s', %.1f s after up started\n",
            info.db->name, info.url.database, info.url.user,
            (double)(monotonic_ms() - started_ms) / 1000.0);

done:
    db_wait_result_release(&res);
    stack_db_info_release(&info);
    return rc;
}

int cmd_up(int argc, char **argv)
{
    static bool detach, build, no_build, wait, force_recreate, no_recreate, no_deps, no_start,
            remove_orphans;
    static const char *pull, *progress_mode;
    static int wait_timeout, timeout = -1, parallel;
    static struct strvec services = STRVEC_INIT;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "detach", 'd', &detach, NULL, "run in the background"},
            {OPT_BOOL, "build", 0, &build, NULL, "build images before starting"},
            {OPT_BOOL, "no-build", 0, &no_build, NULL,
             "never build; fail when an image is missing"},
            {OPT_STRING, "pull", 0, &pull, "POLICY", "pull images: always, missing or never"},
            {OPT_BOOL, "wait", 0, &wait, NULL, "wait until services are running or healthy"},
            {OPT_INT, "wait-timeout", 0, &wait_timeout, "SECONDS", "give up waiting after this"},
            {OPT_BOOL, "force-recreate", 0, &force_recreate, NULL, "recreate every container"},
            {OPT_BOOL, "no-recreate", 0, &no_recreate, NULL, "never recreate a container"},
            {OPT_BOOL, "no-deps", 0, &no_deps, NULL, "leave out the named services' dependencies"},
            {OPT_BOOL, "no-start", 0, &no_start, NULL, "create, but do not start"},
            {OPT_BOOL, "remove-orphans", 0, &remove_orphans, NULL,
             "remove containers of services the files no longer have"},
            {OPT_INT, "timeout", 't', &timeout, "SECONDS", "stop timeout when recreating"},
            {OPT_INT, "parallel", 0, &parallel, "N", "at most N engine operations at once"},
            {OPT_STRING, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet"},
            {OPT_ARGS, "SERVICE", 0, &services, NULL,
             "only these services (and their dependencies)"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct stack_options so = {0};
    struct stack_apply_options ao = {0};
    struct strvec orphans = STRVEC_INIT;
    struct progress *prog = NULL;
    enum progress_mode mode;
    time_t started = time(NULL);
    uint64_t started_ms = monotonic_ms();
    int status, rc;

    if (!cmd_parse("up", opts, argc, argv, 0, NULL, &status))
        return status;
    if (parse_pull(pull, &so.pull) < 0) {
        status = cmd_usage_error("up", opts, "unknown pull policy '%s' (always, missing, never)",
                                 pull);
        goto done;
    }
    if (progress_mode_parse(progress_mode, &mode) < 0) {
        status = cmd_usage_error("up", opts, "unknown progress mode '%s'", progress_mode);
        goto done;
    }
    if (build && no_build) {
        status = cmd_usage_error("up", opts, "--build and --no-build contradict each other");
        goto done;
    }
    if (force_recreate && no_recreate) {
        status = cmd_usage_error("up", opts,
                                 "--force-recreate and --no-recreate contradict each other");
        goto done;
    }
    if (cmd_connect_engine(&err) < 0 || create_dotenv(&err) < 0 ||
        cmd_load_project(&p, false, &services, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();
    engine_set_cancel_flag(ds.engine, &sig_interrupted);

    so.services = &services;
    so.build = build;
    so.no_build = no_build;
    so.force_recreate = force_recreate;
    so.no_recreate = no_recreate;
    so.no_deps = no_deps;
    so.no_start = no_start;
    so.remove_orphans = remove_orphans;
    so.bind_all = cmd_bind_all();
    prog = progress_new(stderr, mode);
    ao.parallel = parallel;
    ao.wait = wait;
    ao.wait_timeout = wait_timeout;
    ao.stop_timeout = timeout;
    ao.cancel = &sig_interrupted;
    ao.on_event = progress_event;
    ao.ud = prog;

    rc = stack_up(ds.engine, p, &so, &ao, &orphans, &err);
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
    if ((detach || wait) && !no_start && wait_for_database(p, &so, started_ms, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    /* even when nothing changed: `up` is how one finds the URLs again */
    if (mode != PROGRESS_QUIET && show_services(p, &err) < 0) {
        fprintf(stderr, "warning: cannot list the services: %s\n", err.msg);
        ds_error_release(&err);
    }
    if (detach || no_start)
        goto done;

    rc = attach_logs(p, &so, started, &err);
    if (rc == DS_EINTR || sig_interrupted) {
        ds_error_release(&err);
        rc = stop_after_interrupt(p, timeout, &ao, &err);
        status = rc < 0 ? cmd_error(&err) : EXIT_INTERRUPTED;
    } else if (rc < 0) {
        status = cmd_error(&err);
    }

done:
    progress_free(prog);
    compose_project_free(p);
    strvec_clear(&services);
    strvec_clear(&orphans);
    ds_error_release(&err);
    return status;
}
