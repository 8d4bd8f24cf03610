/* devstack watch: develop.watch, as `docker compose watch` (2.26) does it. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "stack/watch.h"
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

int cmd_watch_loop(struct cmd_context *ctx, struct engine *e, const struct strvec *named,
                   bool quiet_build, volatile sig_atomic_t *cancel, struct ds_error *err)
{
    struct stack_options so = {0};
    struct stack_apply_options ao = {0};
    struct progress *prog = progress_new(stderr, quiet_build ? PROGRESS_QUIET : PROGRESS_PLAIN);
    struct watch_options wo = {.so = &so, .ao = &ao, .cancel = cancel, .log = print_watch};
    struct watch *w = NULL;
    int rc = watch_new(&w, ctx->project, named, err);

    if (rc == 0) {
        so.take_over = cmd_take_over;
        so.bind_all = cmd_bind_all();
        ao.cancel = cancel;
        ao.stop_timeout = -1;
        ao.on_event = progress_event;
        ao.ud = prog;
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
        struct stack_options so = {.services = &services, .take_over = cmd_take_over};
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
