/* devstack watch: develop.watch, as `docker compose watch` (2.26) does it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "stack/watch.h"
#include "util/alloc.h"
#include "util/banned.h"

static bool no_up, quiet;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_watch_options[] = {
        {OPT_BOOL, "no-up", 0, &no_up, NULL, "do not build and start services before watching"},
        {OPT_BOOL, "quiet", 0, &quiet, NULL, "hide build output"},
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

/* Compose's watch lines: on stdout, each clearing the line first on a terminal. */
static void print_watch(const char *msg, bool is_error, void *ud)
{
    FILE *f = is_error ? stderr : stdout;

    (void)ud;
    fprintf(f, "%s%s\n", isatty(fileno(f)) ? "\033[2K" : "", msg);
    fflush(f);
}

/* `watch` holds the project's lock only while it restarts or recreates containers. */
static int lock_project(bool take, void *ud)
{
    if (!take) {
        cmd_unlock();
        return 0;
    }
    return cmd_relock(ud);
}

int cmd_watch_loop(struct cmd_context *ctx, struct engine *e, const struct strvec *named,
                   bool quiet_build, volatile sig_atomic_t *cancel, struct ds_error *err)
{
    struct stack_options so = {0};
    struct stack_apply_options ao = {0};
    struct progress *prog = progress_new(stderr, quiet_build ? PROGRESS_QUIET : PROGRESS_PLAIN);
    struct watch_options wo = {.so = &so, .ao = &ao, .cancel = cancel, .log = print_watch};
    struct watch *w = NULL;
    const char *archive = getenv("DEVSTACK_WATCH_ARCHIVE");
    int rc = watch_new(&w, ctx->project, named, err);

    if (rc == 0) {
        so.take_over = cmd_take_over;
        so.bind_all = cmd_bind_all();
        /* DEVSTACK_WATCH_ARCHIVE=1: every sync through the archive API, as Compose does it */
        wo.archive_only = archive && *archive && strcmp(archive, "0");
        ao.cancel = cancel;
        ao.stop_timeout = -1;
        ao.on_event = progress_event;
        ao.ud = prog;
        /* up --watch watches in a thread of its own, beside `up`, which holds no lock then */
        if (e == ctx->engine) {
            wo.lock = lock_project;
            wo.ud = ctx;
        }
        rc = watch_run(w, e, &wo, err);
    }
    watch_free(w);
    progress_free(prog);
    return rc;
}

int cmd_watch(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct watch *w = NULL;
    int status = EXIT_OK, rc;

    signals_catch();
    /* the rules first: a file without any says so before anything starts */
    rc = watch_new(&w, ctx->project, &services, &err);
    watch_free(w);
    if (rc < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (!no_up) {
        /* as Compose 2.26: the services with develop: and build: are built first, always */
        struct stack_options so = {
                .services = &services, .take_over = cmd_take_over, .build_develop = true};
        struct stack_apply_options ao = {.stop_timeout = -1, .cancel = &sig_interrupted};
        struct progress *prog = progress_new(stderr, PROGRESS_AUTO);

        so.bind_all = cmd_bind_all();
        ao.on_event = progress_event;
        ao.ud = prog;
        rc = stack_up(ctx->engine, ctx->project, &so, &ao, NULL, &err);
        progress_finish(prog);
        progress_free(prog);
        if (rc < 0) {
            status = cmd_error(&err);
            goto done;
        }
    }
    /* watching for hours must not hold up a `restart` in another terminal */
    cmd_unlock();
    rc = cmd_watch_loop(ctx, ctx->engine, &services, quiet, &sig_interrupted, &err);
    if (rc < 0 && !sig_interrupted)
        status = cmd_error(&err);
    else if (sig_interrupted) {
        fprintf(stderr, "canceled\n");
        status = EXIT_INTERRUPTED;
    }
done:
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}

/* ---- up --watch: watching beside the attached logs ------------------------------------- */

struct cmd_watcher {
    struct cmd_context *ctx;
    struct engine *engine; /* its own: threads must not share a client */
    const struct strvec *named;
    volatile sig_atomic_t stop;
    pthread_t thread;
    int rc;
    struct ds_error err;
};

int cmd_watch_check(struct cmd_context *ctx, const struct strvec *named, struct ds_error *err)
{
    struct watch *w = NULL;
    int rc = watch_new(&w, ctx->project, named, err);

    watch_free(w);
    return rc;
}

static void *watcher_main(void *arg)
{
    struct cmd_watcher *cw = arg;

    cw->rc = cmd_watch_loop(cw->ctx, cw->engine, cw->named, true, &cw->stop, &cw->err);
    return NULL;
}

int cmd_watch_start(struct cmd_watcher **out, struct cmd_context *ctx, const struct strvec *named,
                    struct ds_error *err)
{
    struct cmd_watcher *cw = xcalloc(1, sizeof(*cw));
    int rc;

    *out = NULL;
    cw->ctx = ctx;
    cw->named = named;
    cw->err = (struct ds_error)DS_ERROR_INIT;
    rc = engine_clone(&cw->engine, ctx->engine, err);
    if (rc == 0 && pthread_create(&cw->thread, NULL, watcher_main, cw) != 0)
        rc = ds_error_set(err, DS_ERR, "cannot start watching: no thread");
    if (rc < 0) {
        engine_free(cw->engine);
        free(cw);
        return rc;
    }
    *out = cw;
    return 0;
}

void cmd_watch_stop(struct cmd_watcher *cw)
{
    if (!cw)
        return;
    cw->stop = 1;
    pthread_join(cw->thread, NULL);
    if (cw->rc < 0)
        fprintf(stderr, "error: watch: %s\n", cw->err.msg);
    ds_error_release(&cw->err);
    engine_free(cw->engine);
    free(cw);
}
