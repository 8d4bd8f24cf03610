/* devstack down: stop and remove the project's containers and networks (and, with -v, volumes). */
#include <stdio.h>
#include <string.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "util/banned.h"

int cmd_down(int argc, char **argv)
{
    static bool volumes, remove_orphans;
    static const char *rmi, *progress_mode;
    static int timeout = -1;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "volumes", 'v', &volumes, NULL,
             "also remove the named volumes the files declare, and anonymous ones"},
            {OPT_STRING, "rmi", 0, &rmi, "WHICH",
             "remove images: local (built for the project) or all"},
            {OPT_BOOL, "remove-orphans", 0, &remove_orphans, NULL,
             "also remove containers of services the files no longer have"},
            {OPT_INT, "timeout", 't', &timeout, "SECONDS", "stop timeout"},
            {OPT_STRING, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct stack_observed o = {0};
    struct stack_down_options d = {.timeout = -1};
    struct stack_apply_options ao = {0};
    struct progress *prog = NULL;
    enum progress_mode mode;
    int status;

    if (!cmd_parse("down", opts, argc, argv, 0, NULL, &status))
        return status;
    if (rmi && strcmp(rmi, "local") && strcmp(rmi, "all"))
        return cmd_usage_error("down", opts, "--rmi takes local or all, not '%s'", rmi);
    if (progress_mode_parse(progress_mode, &mode) < 0)
        return cmd_usage_error("down", opts, "unknown progress mode '%s'", progress_mode);
    d.volumes = volumes;
    d.remove_orphans = remove_orphans;
    d.timeout = timeout;
    d.rmi = !rmi ? 0 : !strcmp(rmi, "local") ? 1 : 2;

    if (cmd_connect_engine(&err) < 0 || cmd_load_project(&p, false, NULL, &err) < 0 ||
        stack_observe(ds.engine, p, &o, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();
    prog = progress_new(stderr, mode);
    ao.on_event = progress_event;
    ao.ud = prog;
    ao.cancel = &sig_forced;
    status = stack_down(ds.engine, p, &o, &d, &ao, &err) < 0 ? cmd_error(&err) : EXIT_OK;
    progress_finish(prog);

done:
    progress_free(prog);
    stack_observed_release(&o);
    compose_project_free(p);
    ds_error_release(&err);
    return status;
}
