/* devstack build: build the images of services that have a build section. */
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

int cmd_build(int argc, char **argv)
{
    static bool no_cache, pull;
    static const char *progress_mode;
    static struct strvec build_args = STRVEC_INIT, services = STRVEC_INIT;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "no-cache", 0, &no_cache, NULL, "do not use the engine's build cache"},
            {OPT_BOOL, "pull", 0, &pull, NULL, "pull newer base images"},
            {OPT_LIST, "build-arg", 0, &build_args, "KEY=VALUE",
             "set a build argument (KEY alone: from the environment); repeatable"},
            {OPT_STRING, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet"},
            {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct stack_options so = {0};
    struct stack_apply_options ao = {0};
    struct kvlist args = KVLIST_INIT;
    struct progress *prog = NULL;
    enum progress_mode mode;
    int status, built = 0;

    if (!cmd_parse("build", opts, argc, argv, 0, NULL, &status))
        return status;
    if (progress_mode_parse(progress_mode, &mode) < 0) {
        status = cmd_usage_error("build", opts, "unknown progress mode '%s'", progress_mode);
        goto done;
    }
    for (size_t i = 0; i < build_args.n; i++) {
        const char *eq = strchr(build_args.v[i], '=');
        char *key = eq ? xstrndup(build_args.v[i], (size_t)(eq - build_args.v[i]))
                       : xstrdup(build_args.v[i]);
        const char *value = eq ? eq + 1 : getenv(key);

        if (value)
            kvlist_set(&args, key, value);
        free(key);
    }
    if (cmd_connect_engine(&err) < 0 || cmd_load_project(&p, false, &services, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();
    engine_set_cancel_flag(ds.engine, &sig_interrupted);
    so.build_no_cache = no_cache;
    so.build_pull = pull;
    so.build_args = &args;
    prog = progress_new(stderr, mode);
    ao.on_event = progress_event;
    ao.ud = prog;
    ao.cancel = &sig_interrupted;

    status = EXIT_OK;
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];

        if (services.n ? !strvec_contains(&services, s->name) : !s->enabled)
            continue;
        if (!s->build) {
            if (services.n)
                fprintf(stderr, "warning: service '%s' has no build section; nothing to build\n",
                        s->name);
            continue;
        }
        if (stack_build(ds.engine, p, s, &so, &ao, &err) < 0) {
            progress_finish(prog);
            status = cmd_error(&err);
            goto done;
        }
        built++;
    }
    progress_finish(prog);
    if (!built && !services.n)
        fprintf(stderr, "no service has a build section; nothing to build\n");

done:
    progress_free(prog);
    compose_project_free(p);
    kvlist_clear(&args);
    strvec_clear(&build_args);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
