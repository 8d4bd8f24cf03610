/*
 * devstack create: what `up` does before it starts anything (images pulled
 * or built, networks, volumes, containers created or recreated), the same
 * plan and apply with nothing started: `up --no-start` under Compose's name.
 */
#include <stdio.h>
#include <string.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "util/banned.h"

static bool build, no_build, force_recreate, no_recreate, remove_orphans, quiet_pull, yes;
static const char *pull, *progress_mode;
static struct strvec scales = STRVEC_INIT, services = STRVEC_INIT;

const struct opt_spec cmd_create_options[] = {
        {OPT_BOOL, "build", 0, &build, NULL, "build images before creating containers"},
        {OPT_BOOL, "no-build", 0, &no_build, NULL, "never build; fail when an image is missing"},
        {OPT_CHOICE, "pull", 0, &pull, "POLICY", "pull images: always, missing or never", 0,
         "always|missing|never"},
        {OPT_BOOL, "quiet-pull", 0, &quiet_pull, NULL,
         "show no progress (of the pulls nor of the rest)"},
        {OPT_BOOL, "force-recreate", 0, &force_recreate, NULL, "recreate every container"},
        {OPT_BOOL, "no-recreate", 0, &no_recreate, NULL, "never recreate a container"},
        {OPT_BOOL, "remove-orphans", 0, &remove_orphans, NULL,
         "remove containers of services the files no longer have"},
        {OPT_BOOL, "yes", 'y', &yes, NULL,
         "make volumes the file no longer matches afresh (their data is lost)"},
        {OPT_LIST, "scale", 0, &scales, "SERVICE=N",
         "N containers of SERVICE, over the file's scale (repeatable)"},
        {OPT_CHOICE, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet", 0,
         PROGRESS_CHOICES},
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services (and their dependencies)"},
        {0},
};

int cmd_create(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_options so = {0};
    struct stack_apply_options ao = {.stop_timeout = -1};
    struct strvec orphans = STRVEC_INIT;
    struct progress *prog = NULL;
    int status;

    if (build && no_build)
        return cmd_usage_error(ctx, "--build and --no-build contradict each other");
    if (force_recreate && no_recreate)
        return cmd_usage_error(ctx, "--force-recreate and --no-recreate contradict each other");
    if ((status = cmd_apply_scales(ctx, &scales)) != EXIT_OK)
        goto done;
    signals_catch();
    so.services = &services;
    so.pull = !pull                      ? PULL_POLICY_DEFAULT
              : !strcmp(pull, "always")  ? PULL_ALWAYS
              : !strcmp(pull, "missing") ? PULL_MISSING
                                         : PULL_NEVER;
    so.build = build;
    so.no_build = no_build;
    so.force_recreate = force_recreate;
    so.no_recreate = no_recreate;
    so.remove_orphans = remove_orphans;
    so.recreate_volumes = yes;
    so.take_over = cmd_take_over;
    so.no_start = true;
    so.bind_all = cmd_bind_all();
    prog = progress_new(stderr,
                        progress_mode_of(quiet_pull && !progress_mode ? "quiet" : progress_mode));
    ao.cancel = &sig_interrupted;
    ao.on_event = progress_event;
    ao.ud = prog;

    status = EXIT_OK;
    if (stack_up(ctx->engine, ctx->project, &so, &ao, &orphans, &err) < 0)
        status = cmd_error(&err);
    progress_finish(prog);
    cmd_warn_orphans(&orphans);

done:
    progress_free(prog);
    strvec_clear(&services);
    strvec_clear(&scales);
    strvec_clear(&orphans);
    ds_error_release(&err);
    return status;
}
