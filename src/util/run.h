/*
 * Child processes from argv arrays: fork + execvp, no shell in between,
 * optional working directory, extra environment and captured output.
 */
#ifndef DEVSTACK_RUN_H
#define DEVSTACK_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"

struct run_options {
    const char *dir;          /* working directory of the child, NULL: ours */
    const struct strvec *env; /* "KEY=VALUE" set on top of ours; "KEY" alone unsets */
    bool null_stdin;          /* stdin from /dev/null (else inherited) */
    const char *input;        /* stdin is this text instead (at most RUN_INPUT_MAX bytes) */
    struct buf *out;          /* capture stdout here (NULL: inherited) */
    struct buf *errout;       /* capture stderr here (NULL: inherited) */
    bool quiet;               /* stdout and stderr to /dev/null unless captured */
    size_t capture_max;       /* the most taken from each captured stream; 0: RUN_CAPTURE_MAX */
};

/* Input is written into the pipe before the child starts, so it must fit in one. */
#define RUN_INPUT_MAX 4096u

/* Output of a child is small text (Alembic's messages); more is an error. */
#define RUN_CAPTURE_MAX (64u << 20)

/*
 * Run argv and wait for it. Returns its exit status (0-255), 128+N when a
 * signal N ended it, or a negative DS_E* code when it could not be started
 * (DS_ENOTFOUND: no such program) or wrote more than capture_max bytes to a
 * captured stream (DS_EIO, once it has ended; that stream's buffer is left
 * as it was).
 */
int run_command(const struct strvec *argv, const struct run_options *o, struct ds_error *err);

/* The full path of an executable found on PATH, or NULL. */
char *run_which(const char *name);

#endif
