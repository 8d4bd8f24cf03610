/* devstack pause and unpause: freeze and thaw the services' running containers. */
#include <stdio.h>

#include "devstack.h"
#include "progress.h"
#include "stack/control.h"
#include "util/banned.h"

static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_pause_options[] = {
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};
const struct opt_spec cmd_unpause_options[] = {
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

static int run(struct cmd_context *ctx, bool unpause)
{
    struct ds_error err = DS_ERROR_INIT;
    struct progress *prog = progress_new(stderr, PROGRESS_AUTO);
    struct stack_apply_options ao = {.on_event = progress_event, .ud = prog, .stop_timeout = -1};
    size_t n = 0;
    int rc, status = EXIT_OK;

    rc = stack_pause(ctx->engine, ctx->project, &services, unpause, &ao, &n, &err);
    progress_finish(prog);
    if (rc < 0)
        status = cmd_error(&err);
    progress_free(prog);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}

int cmd_pause(struct cmd_context *ctx)
{
    return run(ctx, false);
}

int cmd_unpause(struct cmd_context *ctx)
{
    return run(ctx, true);
}
