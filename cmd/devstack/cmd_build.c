/*
 * devstack build: build the images of services that have a build section,
 * at once where no build waits for another's image, as Compose does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/kvlist.h"
#include "util/banned.h"

static bool no_cache, pull;
static int parallel;
static const char *progress_mode;
static struct strvec build_args = STRVEC_INIT, services = STRVEC_INIT;

const struct opt_spec cmd_build_options[] = {
        {OPT_BOOL, "no-cache", 0, &no_cache, NULL, "do not use the engine's build cache"},
        {OPT_BOOL, "pull", 0, &pull, NULL, "pull newer base images"},
        {OPT_LIST, "build-arg", 0, &build_args, "KEY=VALUE",
         "set a build argument (KEY alone: from the environment); repeatable"},
        {OPT_CHOICE, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet", 0,
         PROGRESS_CHOICES},
        {OPT_INT, "parallel", 0, &parallel, "N",
         "at most N builds at once (default: COMPOSE_PARALLEL_LIMIT, else all)"},
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        CMD_TAKE_OVER_OPTION,
        {0},
};

int cmd_build(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_options so = {0};
    struct stack_apply_options ao = {0};
    struct kvlist args = KVLIST_INIT;
    struct progress *prog = progress_new(stderr, progress_mode_of(progress_mode));
    size_t built = 0;
    int status;

    for (size_t i = 0; i < build_args.n; i++) {
        const char *eq = strchr(build_args.v[i], '=');
        char *key = eq ? xstrndup(build_args.v[i], (size_t)(eq - build_args.v[i]))
                       : xstrdup(build_args.v[i]);
        const char *value = eq ? eq + 1 : getenv(key);

        if (value)
            kvlist_set(&args, key, value);
        free(key);
    }
    signals_catch();
    so.build_no_cache = no_cache;
    so.build_pull = pull;
    so.build_args = &args;
    ao.parallel = parallel;
    ao.on_event = progress_event;
    ao.ud = prog;
    ao.cancel = &sig_interrupted;
    status = stack_build_services(ctx->engine, ctx->project, &services, &so, &ao, &built, &err) < 0
                     ? cmd_error(&err)
                     : EXIT_OK;
    progress_finish(prog);
    if (status == EXIT_OK && !built && !services.n)
        fprintf(stderr, "no service has a build section; nothing to build\n");
    progress_free(prog);
    kvlist_clear(&args);
    strvec_clear(&build_args);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
