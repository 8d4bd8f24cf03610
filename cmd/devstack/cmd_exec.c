/*
 * devstack exec and shell: run a command in a service's running container,
 * with the local terminal (raw, sized, restored on every way out) or with
 * stdin, stdout and stderr as pipes; the command's exit code becomes ours.
 * The exec itself is stack_exec_run(); this file owns the terminal.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "devstack.h"
#include "stack/exec.h"
#include "stack/stack.h"
#include "workspace/workspace.h"
#include "util/banned.h"

/* 128 + SIGPIPE: what a shell reports for a writer whose reader went away */
#define EXIT_BROKEN_PIPE 141

/* What `shell` runs: bash where the image has it, sh elsewhere. */
#define SHELL_SCRIPT "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"

static bool no_tty, detach, privileged, interactive;
static const char *user, *working_dir, *service;
static int number = 1;
static struct strvec env = STRVEC_INIT, command = STRVEC_INIT;

const struct opt_spec cmd_exec_options[] = {
        {OPT_BOOL, "no-tty", 'T', &no_tty, NULL,
         "no pseudo-TTY (the default when stdin or stdout is not a terminal)"},
        {OPT_BOOL, "detach", 'd', &detach, NULL, "run the command in the background"},
        {OPT_STRING, "user", 'u', &user, "USER", "run as this user (name or uid[:gid])"},
        {OPT_STRING, "workdir", 'w', &working_dir, "DIR", "working directory of the command"},
        {OPT_LIST, "env", 'e', &env, "KEY=VALUE",
         "set an environment variable; KEY alone passes ours (repeatable)"},
        {OPT_BOOL, "privileged", 0, &privileged, NULL, "give the command extended privileges"},
        {OPT_INT, "index", 0, &number, "N", "the service's container number N (default 1)"},
        /* docker compose exec's -i is always on here */
        {OPT_BOOL, "interactive", 'i', &interactive, NULL, NULL, OPT_HIDDEN},
        {OPT_ARG, "SERVICE", 0, &service, NULL, "the service", OPT_REQUIRED},
        {OPT_ARGS, "COMMAND", 0, &command, NULL, "the command and its arguments", OPT_REQUIRED},
        {0},
};

const struct opt_spec cmd_shell_options[] = {
        {OPT_ARG, "SERVICE", 0, &service, NULL, "the service (default: backend)"},
        {0},
};

/* ---- the local terminal --------------------------------------------------------- */

static struct termios saved_termios;
static volatile sig_atomic_t term_is_raw;
static volatile sig_atomic_t got_winch;
static volatile sig_atomic_t got_signal; /* the signal that asks us to stop; cancels the engine */

/* Safe in a signal handler: tcsetattr() is async-signal-safe. */
void term_restore(void)
{
    if (term_is_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
        term_is_raw = 0;
    }
}

int term_make_raw(void *ud, struct ds_error *err)
{
    static bool at_exit_registered;
    struct termios raw;

    (void)ud;
    if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
        return ds_error_errno(err, errno, "cannot read the terminal's settings");
    if (!at_exit_registered) {
        /* also restored when something calls exit() (out of memory) */
        atexit(term_restore);
        at_exit_registered = true;
    }
    raw = saved_termios;
    /* keystrokes, Ctrl-C included, are bytes for the container's terminal */
    cfmakeraw(&raw);
    term_is_raw = 1;
    /* TCSANOW, not TCSAFLUSH: typed-ahead input belongs to the command */
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
        term_is_raw = 0;
        return ds_error_errno(err, errno, "cannot put the terminal in raw mode");
    }
    return 0;
}

int term_size(void *ud, int *height, int *width)
{
    struct winsize ws;

    (void)ud;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
        return -1;
    *height = ws.ws_row;
    *width = ws.ws_col;
    return 0;
}

static void on_winch(int sig)
{
    (void)sig;
    got_winch = 1;
}

static void on_stop_signal(int sig)
{
    if (got_signal) {
        /* a second one: do not wait for the engine, just leave the terminal usable */
        term_restore();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    got_signal = sig;
}

static void catch_signals(bool tty)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: a blocking call returns, and the loop sees the flag */
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    if (tty) {
        sa.sa_handler = on_winch;
        sigaction(SIGWINCH, &sa, NULL);
    }
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* ---- the command's output ------------------------------------------------------------ */

static int write_errno; /* why writing the command's output failed */

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                poll(&p, 1, 100);
                continue;
            }
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_output(int stream, const char *data, size_t len, void *ud)
{
    (void)ud;
    if (write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data, len) < 0) {
        write_errno = errno;
        return DS_EIO;
    }
    return 0;
}

/* ---- running it ---------------------------------------------------------------------- */

static int run(struct cmd_context *ctx, struct stack_exec *x)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_exec_result res;
    struct engine *e = cmd_engine(ctx);
    int status, rc;

    if (!e)
        return cmd_error(&ctx->engine_error);
    x->tty = !no_tty && !x->detach && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    x->in_fd = x->detach ? -1 : STDIN_FILENO;
    x->out = write_output;
    x->winch = &got_winch;
    x->size = term_size;
    x->ready = x->tty ? term_make_raw : NULL;
    x->cancel = &got_signal;
    if (x->tty)
        term_size(NULL, &x->height, &x->width);
    catch_signals(x->tty);
    write_errno = 0;
    rc = stack_exec_run(e, ctx->project, x, &res, &err);
    /* before anything is printed: raw mode would garble it */
    term_restore();
    if (rc < 0 && write_errno) {
        if (write_errno == EPIPE) {
            status = EXIT_BROKEN_PIPE;
            goto done;
        }
        ds_error_errno(&err, write_errno, "cannot write the command's output");
        status = cmd_error(&err);
        goto done;
    }
    if (rc < 0) {
        status = cmd_error(&err);
        /* a command that could not be run has docker exec's codes */
        if (res.exit_code && err.code != DS_EINTR)
            status = res.exit_code;
        goto done;
    }
    if (res.still_running)
        fprintf(stderr, "warning: the command closed its output and is still running\n");
    status = res.exit_code >= 0 && res.exit_code <= 255 ? res.exit_code : EXIT_ERROR;

done:
    ds_error_release(&err);
    return status;
}

int cmd_exec_in(struct cmd_context *ctx, const char *name, const struct strvec *cmd,
                const struct strvec *extra_env)
{
    struct stack_exec x = {.service = name, .index = 1, .cmd = cmd, .env = extra_env};

    return run(ctx, &x);
}

/*
 * The app's container must be this checkout's: Alembic in another
 * checkout's container would run that checkout's migration files.
 */
static int check_app_owner(struct cmd_context *ctx, struct ds_error *err)
{
    struct engine *e = cmd_engine(ctx);
    char *dir = NULL;
    int rc;

    if (!e || !ctx->project)
        return 0; /* exec says why it cannot run */
    rc = stack_check_owner(e, ctx->project, true, &dir, err);
    if (rc == 0 && dir) {
        ds_error_set(err, DS_ECONFLICT,
                     "project '%s' belongs to another checkout: its containers were made in "
                     "'%s', not in '%s', so Alembic there would run that checkout's migrations",
                     ctx->project->name, dir, ctx->project->working_dir);
        ds_error_hint(err,
                      "run it in '%s', or give this checkout a project name of its own (-p "
                      "NAME, or COMPOSE_PROJECT_NAME in its .env) and 'devstack up' it",
                      dir);
        rc = DS_ECONFLICT;
    }
    free(dir);
    return rc;
}

int cmd_rerun_in(struct cmd_context *ctx, const char *name)
{
    struct strvec cmd = STRVEC_INIT, vars = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;
    int status;

    if (check_app_owner(ctx, &err) < 0) {
        status = cmd_error(&err);
        ds_error_release(&err);
        return status;
    }
    workspace_app_command(ctx->line_argc, ctx->line_argv, &cmd, &vars);
    status = cmd_exec_in(ctx, name, &cmd, &vars);
    strvec_clear(&cmd);
    strvec_clear(&vars);
    return status;
}

int cmd_exec(struct cmd_context *ctx)
{
    struct stack_exec x = {.service = service, .cmd = &command};
    struct strvec vars = STRVEC_INIT;
    int status;

    if (number < 1) {
        status = cmd_usage_error(ctx, "--index must be 1 or more");
        goto done;
    }
    for (size_t i = 0; i < env.n; i++) {
        const char *value;

        if (strchr(env.v[i], '='))
            strvec_push(&vars, env.v[i]);
        else if ((value = getenv(env.v[i])))
            strvec_pushf(&vars, "%s=%s", env.v[i], value);
    }
    x.index = number;
    x.env = &vars;
    x.user = user;
    x.working_dir = working_dir;
    x.privileged = privileged;
    x.detach = detach;
    status = run(ctx, &x);

done:
    strvec_clear(&vars);
    strvec_clear(&env);
    strvec_clear(&command);
    return status;
}

int cmd_shell(struct cmd_context *ctx)
{
    struct strvec cmd = STRVEC_INIT;
    int status;

    strvec_pushv(&cmd, (const char *const[]){"/bin/sh", "-c", SHELL_SCRIPT, NULL});
    status = cmd_exec_in(ctx, service ? service : "backend", &cmd, NULL);
    strvec_clear(&cmd);
    return status;
}
