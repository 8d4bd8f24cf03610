/* devstack start, stop, restart: existing containers, in dependency order. */
#include <stdio.h>
#include <string.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "util/banned.h"

enum verb { START, STOP, RESTART };

static int run(enum verb verb, int argc, char **argv)
{
    static const char *const names[] = {"start", "stop", "restart"};
    static int timeout = -1;
    static const char *progress_mode;
    static struct strvec services = STRVEC_INIT;
    static const struct opt_spec start_opts[] = {
            {OPT_STRING, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet"},
            {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
            {0},
    };
    static const struct opt_spec stop_opts[] = {
            {OPT_INT, "timeout", 't', &timeout, "SECONDS", "stop timeout"},
            {OPT_STRING, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet"},
            {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct stack_observed o = {0};
    struct stack_apply_options ao = {.stop_timeout = -1};
    struct progress *prog = NULL;
    enum progress_mode mode;
    int status, rc = 0;

    if (!cmd_parse(names[verb], verb == START ? start_opts : stop_opts, argc, argv, 0, NULL,
                   &status))
        return status;
    if (progress_mode_parse(progress_mode, &mode) < 0) {
        status = cmd_usage_error(names[verb], verb == START ? start_opts : stop_opts,
                                 "unknown progress mode '%s'", progress_mode);
        goto done;
    }
    if (cmd_connect_engine(&err) < 0 || cmd_load_project(&p, false, &services, &err) < 0 ||
        stack_observe(ds.engine, p, &o, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();
    engine_set_cancel_flag(ds.engine, &sig_interrupted);
    prog = progress_new(stderr, mode);
    ao.on_event = progress_event;
    ao.ud = prog;
    ao.cancel = &sig_interrupted;
    if (verb == STOP || verb == RESTART)
        rc = stack_stop(ds.engine, p, &o, &services, timeout, &ao, &err);
    if (rc == 0 && (verb == START || verb == RESTART)) {
        stack_observed_release(&o);
        rc = stack_observe(ds.engine, p, &o, &err);
        if (rc == 0)
            rc = stack_start(ds.engine, p, &o, &services, &ao, &err);
    }
    progress_finish(prog);
    status = rc < 0 ? cmd_error(&err) : EXIT_OK;

done:
    progress_free(prog);
    stack_observed_release(&o);
    compose_project_free(p);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}

int cmd_start(int argc, char **argv)
{
    return run(START, argc, argv);
}

int cmd_stop(int argc, char **argv)
{
    return run(STOP, argc, argv);
}

int cmd_restart(int argc, char **argv)
{
    return run(RESTART, argc, argv);
}
