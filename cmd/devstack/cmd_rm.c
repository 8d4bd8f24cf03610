/*
 * devstack rm: remove the services' stopped containers, after listing them
 * and asking (unless -f); -s stops them first, -v takes their anonymous
 * volumes along.
 */
#include <stdio.h>

#include "confirm.h"
#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/control.h"
#include "util/buf.h"
#include "util/banned.h"

static bool force, stop, volumes;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_rm_options[] = {
        {OPT_BOOL, "force", 'f', &force, NULL, "do not ask before removing"},
        {OPT_BOOL, "stop", 's', &stop, NULL, "stop the containers first, where they run"},
        {OPT_BOOL, "volumes", 'v', &volumes, NULL, "remove their anonymous volumes too"},
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

int cmd_rm(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct progress *prog = progress_new(stderr, PROGRESS_AUTO);
    struct stack_apply_options ao = {.on_event = progress_event, .ud = prog, .stop_timeout = -1};
    struct stack_container_list l = {0};
    struct buf names = BUF_INIT;
    int rc = 0, status = EXIT_OK;

    signals_catch();
    ao.cancel = &sig_interrupted;
    if (stop)
        rc = stack_stop(ctx->engine, ctx->project, &services, -1, &ao, &err);
    if (rc == 0)
        rc = stack_removable(ctx->engine, ctx->project, &services, &l, &err);
    if (rc < 0)
        goto done;
    if (!l.n) {
        progress_finish(prog);
        fprintf(stderr, "No stopped containers\n");
        goto done;
    }
    buf_adds(&names, "Going to remove ");
    for (size_t i = 0; i < l.n; i++)
        buf_addf(&names, "%s%s", i ? ", " : "", l.items[i].name);
    progress_finish(prog);
    if (force) {
        printf("%s\n", names.buf);
        fflush(stdout);
    } else {
        fprintf(stderr, "%s\n", names.buf);
        rc = confirm("Are you sure?", NULL, false, "-f", &err);
        if (rc < 0)
            goto done;
    }
    rc = stack_remove_containers(ctx->engine, ctx->project, &l, volumes, &ao, &err);
    progress_finish(prog);

done:
    if (rc < 0)
        status = cmd_error(&err);
    progress_free(prog);
    buf_release(&names);
    stack_container_list_release(&l);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
