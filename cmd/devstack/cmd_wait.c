/*
 * devstack wait: block until the first of the services' containers stops,
 * and exit with its status (--down-project: take the project down then).
 */
#include <stdio.h>
#include <stdlib.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/control.h"
#include "util/banned.h"

static bool down_project;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_wait_options[] = {
        {OPT_BOOL, "down-project", 0, &down_project, NULL,
         "take the project down once the first container stops"},
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "the services whose containers to wait for",
         OPT_REQUIRED},
        {0},
};

int cmd_wait(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    char *id = NULL;
    int exit_code = 0, status;

    signals_catch();
    if (stack_wait_first(ctx->engine, ctx->project, &services, &sig_interrupted, &id, &exit_code,
                         &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    printf("container \"%s\" exited with status code %d\n", id, exit_code);
    fflush(stdout);
    status = exit_code >= 0 && exit_code <= 255 ? exit_code : EXIT_ERROR;
    if (down_project) {
        struct progress *prog = progress_new(stderr, PROGRESS_AUTO);
        struct stack_apply_options ao = {.on_event = progress_event, .ud = prog};
        struct stack_down_options d = {.remove_orphans = true, .timeout = -1};

        ao.stop_timeout = -1;
        if (stack_down(ctx->engine, ctx->project, &d, &ao, &err) < 0)
            status = cmd_error(&err);
        progress_finish(prog);
        progress_free(prog);
    }

done:
    free(id);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
