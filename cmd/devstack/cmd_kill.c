/* devstack kill: send a signal (SIGKILL by default) to the services' running containers. */
#include <stdio.h>

#include "devstack.h"
#include "progress.h"
#include "stack/control.h"
#include "util/banned.h"

static const char *signal_name;
static bool remove_orphans;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_kill_options[] = {
        {OPT_STRING, "signal", 's', &signal_name, "SIGNAL",
         "the signal to send (default SIGKILL): a name or a number"},
        {OPT_BOOL, "remove-orphans", 0, &remove_orphans, NULL,
         "also the containers of services the files no longer have"},
        CMD_TAKE_OVER_OPTION,
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

int cmd_kill(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct progress *prog = progress_new(stderr, PROGRESS_AUTO);
    struct stack_apply_options ao = {.on_event = progress_event, .ud = prog, .stop_timeout = -1};
    size_t n = 0;
    int rc, status = EXIT_OK;

    rc = stack_kill(ctx->engine, ctx->project, &services, signal_name, remove_orphans, &ao, &n,
                    &err);
    progress_finish(prog);
    if (rc < 0)
        status = cmd_error(&err);
    else if (!n)
        fprintf(stderr, "No container to kill\n");
    progress_free(prog);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
