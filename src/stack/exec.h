/*
 * Running a command in a service's running container, as `docker compose
 * exec` does: the command goes to the engine as an argv list (no shell in
 * between), stdin is streamed to it, its output handed back, its exit code
 * returned. The local terminal (raw mode, its size) is the caller's.
 */
#ifndef DEVSTACK_STACK_EXEC_H
#define DEVSTACK_STACK_EXEC_H

#include <signal.h>
#include <stdbool.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "util/error.h"
#include "util/strvec.h"

struct stack_exec {
    const char *service;
    int index; /* the container number, from 1 */
    const struct strvec *cmd;
    const struct strvec *env; /* "KEY=VALUE"; may be NULL */
    const char *user, *working_dir;
    bool privileged;
    bool detach; /* start it and return */
    bool tty;    /* give it a TTY of height x width */
    int height, width;
    int in_fd;                    /* streamed to its stdin until EOF; -1: none */
    engine_output_fn out;         /* its output; a non-zero return stops */
    void *ud;                     /* for out, size and ready */
    volatile sig_atomic_t *winch; /* set when the local terminal changed size */
    /* the local terminal's size now, for a resize; 0 when unknown */
    int (*size)(void *ud, int *height, int *width);
    /* called once the exec exists, before it starts: e.g. the terminal goes raw */
    int (*ready)(void *ud, struct ds_error *err);
    volatile sig_atomic_t *cancel;
};

struct stack_exec_result {
    /* the command's exit code; after a failed start 126 (cannot run) or 127 (not found)
       when that is why, else 0 */
    int exit_code;
    bool still_running; /* it closed its output but goes on (as docker exec, exit code 0) */
};

/*
 * Run x->cmd in the running container number x->index of x->service in
 * project p. Returns 0 when the command ran (its code in res), or a
 * negative code with err set: no such running container, the engine
 * refused (res->exit_code tells a missing or unusable executable),
 * the output callback failed (DS_EIO), or DS_EINTR.
 */
int stack_exec_run(struct engine *e, const struct compose_project *p, const struct stack_exec *x,
                   struct stack_exec_result *res, struct ds_error *err);

#endif
