/* Running a command in a service's running container. */
#include <stdlib.h>
#include <string.h>

#include "stack/exec.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/banned.h"

/* After the output ended: how often and how long to ask whether the command has exited. */
#define EXIT_POLLS 100

struct run {
    struct engine *e;
    const struct stack_exec *x;
    const char *exec_id;
};

static void resize(void *ud)
{
    struct run *r = ud;
    struct ds_error err = DS_ERROR_INIT;
    int height = 0, width = 0;

    if (!r->x->size || r->x->size(r->x->ud, &height, &width) < 0 || height <= 0 || width <= 0)
        return;
    /* a resize that fails (the command just ended) changes nothing worth telling */
    engine_exec_resize(r->e, r->exec_id, height, width, &err);
    ds_error_release(&err);
}

static int forward(int stream, const char *data, size_t len, void *ud)
{
    struct run *r = ud;

    return r->x->out ? r->x->out(stream, data, len, r->x->ud) : 0;
}

/*
 * The command's exit code. Its output can end a moment before the engine
 * has recorded the exit, so a running exec is asked again for a while.
 */
static int exit_code(struct engine *e, const char *exec_id, const volatile sig_atomic_t *cancel,
                     struct stack_exec_result *res, struct ds_error *err)
{
    for (int attempt = 0;; attempt++) {
        struct engine_exec_info info;
        bool running;
        int rc = engine_exec_inspect(e, exec_id, &info, err);

        if (rc < 0)
            return rc;
        running = info.running;
        res->exit_code = info.exit_code;
        engine_exec_info_release(&info);
        if (!running)
            return 0;
        if (cancel && *cancel)
            return ds_error_set(err, DS_EINTR, "interrupted");
        if (attempt == EXIT_POLLS) {
            /* it closed its output but goes on: docker exec also ends here */
            res->exit_code = 0;
            res->still_running = true;
            return 0;
        }
        clock_sleep_ms(attempt < 10 ? 10 : 50);
    }
}

/*
 * The start failed. Some engines refuse to start a missing executable
 * (others write the error into the output): then the exit code is docker
 * exec's, 127 (not found) or 126 (cannot run).
 */
static void start_failed(struct engine *e, const char *exec_id, const struct ds_error *err,
                         struct stack_exec_result *res)
{
    struct engine_exec_info info;
    struct ds_error ierr = DS_ERROR_INIT;

    if (err->code == DS_EINTR || err->code == DS_EIO)
        return;
    if (engine_exec_inspect(e, exec_id, &info, &ierr) == 0) {
        if (!info.running && (info.exit_code == 126 || info.exit_code == 127))
            res->exit_code = info.exit_code;
        engine_exec_info_release(&info);
    }
    ds_error_release(&ierr);
    if (res->exit_code || !err->msg)
        return;
    if (strstr(err->msg, "executable file not found") ||
        strstr(err->msg, "no such file or directory"))
        res->exit_code = 127;
    else if (strstr(err->msg, "permission denied"))
        res->exit_code = 126;
}

int stack_exec_run(struct engine *e, const struct compose_project *p, const struct stack_exec *x,
                   struct stack_exec_result *res, struct ds_error *err)
{
    struct stack_container_list l = {0};
    struct engine_exec_config cfg = {.cmd = STRVEC_INIT, .env = STRVEC_INIT};
    const struct stack_container *c;
    char *exec_id = NULL;
    struct run r = {.e = e, .x = x};
    volatile sig_atomic_t *old_cancel = engine_set_cancel_flag(e, x->cancel);
    int rc;

    memset(res, 0, sizeof(*res));
    rc = stack_list_containers(e, p->name, STACK_LIST_ALL, &l, err);
    if (rc < 0)
        goto done;
    c = stack_find_running(&l, x->service, x->index, err);
    if (!c) {
        rc = err->code;
        goto done;
    }

    strvec_copy(&cfg.cmd, x->cmd);
    if (x->env)
        strvec_copy(&cfg.env, x->env);
    cfg.user = x->user;
    cfg.working_dir = x->working_dir;
    cfg.privileged = x->privileged;
    cfg.tty = x->tty;
    cfg.attach_stdin = !x->detach;
    cfg.console_height = x->tty ? x->height : 0;
    cfg.console_width = x->tty ? x->width : 0;
    rc = engine_exec_create(e, c->id, &cfg, &exec_id, err);
    if (rc < 0) {
        ds_error_wrap(err, "service '%s'", x->service);
        goto done;
    }
    r.exec_id = exec_id;

    if (x->detach) {
        rc = engine_exec_start(e, exec_id, false, true, NULL, NULL, err);
        if (rc < 0)
            start_failed(e, exec_id, err, res);
        goto done;
    }
    if (x->ready && (rc = x->ready(x->ud, err)) < 0)
        goto done;
    {
        struct engine_attach a = {
                .tty = x->tty,
                .in_fd = x->in_fd,
                .out = forward,
                .ud = &r,
                .winch = x->tty ? x->winch : NULL,
                .on_winch = x->tty ? resize : NULL,
                .cancel = x->cancel,
        };

        rc = engine_exec_start_attached(e, exec_id, &a, err);
    }
    if (rc < 0) {
        start_failed(e, exec_id, err, res);
        goto done;
    }
    rc = exit_code(e, exec_id, x->cancel, res, err);

done:
    engine_set_cancel_flag(e, old_cancel);
    free(exec_id);
    strvec_clear(&cfg.cmd);
    strvec_clear(&cfg.env);
    stack_container_list_release(&l);
    return rc;
}
