/* devstack start, stop, restart: existing containers, in dependency order. */
#include <stdio.h>
#include <string.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "util/clock.h"
#include "util/banned.h"

static int timeout = -1, wait_timeout;
static bool wait, no_deps;
static const char *progress_mode;
static struct strvec services = STRVEC_INIT;

#define PROGRESS_OPTION                                                                            \
    {                                                                                              \
        OPT_CHOICE, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet", 0,         \
                PROGRESS_CHOICES                                                                   \
    }
#define SERVICES_OPTION                                                                            \
    {                                                                                              \
        OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"                             \
    }

const struct opt_spec cmd_start_options[] = {
        {OPT_BOOL, "wait", 0, &wait, NULL, "wait until services are running or healthy"},
        {OPT_INT, "wait-timeout", 0, &wait_timeout, "SECONDS", "give up waiting after this"},
        PROGRESS_OPTION,
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        SERVICES_OPTION,
        {0},
};
const struct opt_spec cmd_stop_options[] = {
        {OPT_INT, "timeout", 't', &timeout, "SECONDS", "stop timeout"},
        PROGRESS_OPTION,
        CMD_LOCK_OPTION,
        SERVICES_OPTION,
        CMD_TAKE_OVER_OPTION,
        {0},
};
const struct opt_spec cmd_restart_options[] = {
        {OPT_INT, "timeout", 't', &timeout, "SECONDS", "stop timeout"},
        {OPT_BOOL, "no-deps", 0, &no_deps, NULL,
         "not also the services that depend on them with restart: true"},
        PROGRESS_OPTION,
        CMD_LOCK_OPTION,
        SERVICES_OPTION,
        CMD_TAKE_OVER_OPTION,
        {0},
};

enum verb { START, STOP, RESTART };

static int run(struct cmd_context *ctx, enum verb verb)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_apply_options ao = {.stop_timeout = -1};
    struct progress *prog = progress_new(stderr, progress_mode_of(progress_mode));
    uint64_t started_ms = clock_ms();
    int status, rc;

    signals_catch();
    ao.on_event = progress_event;
    ao.ud = prog;
    ao.cancel = &sig_interrupted;
    ao.wait = wait;
    ao.wait_timeout = wait_timeout;
    /* as Compose: what depends on a restarted service with restart: true restarts too */
    if (verb == RESTART && services.n && !no_deps)
        stack_restart_dependents(ctx->project, &services);
    rc = verb == STOP    ? stack_stop(ctx->engine, ctx->project, &services, timeout, &ao, &err)
         : verb == START ? stack_start(ctx->engine, ctx->project, &services, &ao, &err)
                         : stack_restart(ctx->engine, ctx->project, &services, timeout, &ao, &err);
    progress_finish(prog);
    /* started again: the database counts when it takes queries, as after `up -d` */
    if (rc == 0 && verb != STOP)
        rc = cmd_wait_db(ctx, &services, true, started_ms, &err);
    status = rc < 0 ? cmd_error(&err) : EXIT_OK;
    progress_free(prog);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}

int cmd_start(struct cmd_context *ctx)
{
    return run(ctx, START);
}

int cmd_stop(struct cmd_context *ctx)
{
    return run(ctx, STOP);
}

int cmd_restart(struct cmd_context *ctx)
{
    return run(ctx, RESTART);
}
