/* devstack down: stop and remove the project's containers and networks (and, with -v, volumes). */
#include <stdio.h>
#include <string.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "util/banned.h"

static bool volumes, remove_orphans;
static const char *rmi, *progress_mode;
static int timeout = -1;

const struct opt_spec cmd_down_options[] = {
        {OPT_BOOL, "volumes", 'v', &volumes, NULL,
         "also remove the named volumes the files declare, and anonymous ones"},
        {OPT_CHOICE, "rmi", 0, &rmi, "WHICH", "remove images: local (built for the project) or all",
         0, "local|all"},
        {OPT_BOOL, "remove-orphans", 0, &remove_orphans, NULL,
         "also remove containers of services the files no longer have"},
        {OPT_INT, "timeout", 't', &timeout, "SECONDS", "stop timeout"},
        {OPT_CHOICE, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet", 0,
         PROGRESS_CHOICES},
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        {0},
};

int cmd_down(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_down_options d = {.volumes = volumes, .remove_orphans = remove_orphans};
    struct stack_apply_options ao = {0};
    struct progress *prog = progress_new(stderr, progress_mode_of(progress_mode));
    int status;

    d.timeout = timeout;
    d.rmi = !rmi ? 0 : !strcmp(rmi, "local") ? 1 : 2;
    signals_catch();
    ao.on_event = progress_event;
    ao.ud = prog;
    /* the first Ctrl-C lets the containers stop; a second one cuts it short */
    ao.cancel = &sig_forced;
    status = stack_down(ctx->engine, ctx->project, &d, &ao, &err) < 0 ? cmd_error(&err) : EXIT_OK;
    progress_finish(prog);
    progress_free(prog);
    ds_error_release(&err);
    return status;
}
