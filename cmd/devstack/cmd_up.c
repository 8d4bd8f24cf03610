/* devstack up: create what is missing, recreate what drifted, start in dependency order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/term.h"
#include "util/banned.h"

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
    stop_ao.cancel = &sig_forced;
    engine_set_cancel_flag(ds.engine, &sig_forced);
    rc = stack_observe(ds.engine, p, &o, err);
    if (rc < 0)
        return rc;
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
    if (cmd_connect_engine(&err) < 0 || cmd_load_project(&p, false, &services, &err) < 0) {
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
