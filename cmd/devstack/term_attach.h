/*
 * The local terminal of the commands that attach it to a container or an
 * exec (exec, shell, run): raw mode, its size, the signals.
 */
#ifndef DEVSTACK_CMD_TERM_ATTACH_H
#define DEVSTACK_CMD_TERM_ATTACH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* 128 + SIGPIPE: what a shell reports for a writer whose reader went away */
#define EXIT_BROKEN_PIPE 141

extern volatile sig_atomic_t cmd_term_winch;  /* the terminal changed size */
extern volatile sig_atomic_t cmd_term_signal; /* the signal that asks us to stop */
extern int cmd_term_write_errno;              /* why writing the command's output failed */

/* Put stdin's terminal in raw mode (restored at exit too); `ud` is unused. */
int cmd_term_make_raw(void *ud, struct ds_error *err);
/* Put it back; safe in a signal handler. */
void cmd_term_restore(void);
/* The terminal's size; -1 when there is none. */
int cmd_term_size(void *ud, int *height, int *width);
/* SIGINT, SIGTERM, SIGHUP, SIGQUIT set cmd_term_signal (a second one ends us); SIGWINCH with tty.
 */
void cmd_term_catch_signals(bool tty);
/*
 * From now on SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are to be
 * passed on to a container (the docker CLI's sig-proxy), however many come:
 * each sets cmd_term_notice, and cmd_term_next_signal() gives them back.
 */
void cmd_term_pass_signals(void);
extern volatile sig_atomic_t cmd_term_notice;
/* The next signal caught and not yet given back, 0 when none; `ud` is unused. */
int cmd_term_next_signal(void *ud);
/* engine_output_fn: stream 2 to stderr, the rest to stdout; a failure sets cmd_term_write_errno. */
int cmd_term_write_output(int stream, const char *data, size_t len, void *ud);

#endif
