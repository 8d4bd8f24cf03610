/*
 * devstack attach: connect the local stdin, stdout and stderr to a
 * service's running container (its main process), as `docker compose
 * attach` does: for a breakpoint() in a server, or a REPL. With a TTY the
 * terminal goes raw and the engine's detach keys (ctrl-p,ctrl-q, or
 * --detach-keys) let go; without one, Ctrl-C is passed on to the container
 * (--sig-proxy, the default) rather than ending the attach.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "devstack.h"
#include "stack/control.h"
#include "term_attach.h"
#include "util/banned.h"

static const char *detach_keys, *service, *sig_proxy_value;
static bool no_stdin;
static int number;

const struct opt_spec cmd_attach_options[] = {
        {OPT_STRING, "detach-keys", 0, &detach_keys, "KEYS",
         "the keys that detach (default ctrl-p,ctrl-q)"},
        {OPT_BOOL, "no-stdin", 0, &no_stdin, NULL, "do not attach stdin"},
        {OPT_CHOICE, "sig-proxy", 0, &sig_proxy_value, "BOOL",
         "pass the signals devstack gets on to the container (default true)", 0, "true|false"},
        {OPT_INT, "index", 0, &number, "N",
         "the service's container number N (default: the first)"},
        {OPT_ARG, "SERVICE", 0, &service, NULL, "the service", OPT_REQUIRED},
        {0},
};

static volatile sig_atomic_t got_signal, got_winch, stop_now;

static void on_signal(int sig)
{
    if (got_signal == sig) { /* the second: stop attaching */
        stop_now = 1;
        cmd_term_restore();
        return;
    }
    got_signal = sig;
}

static void on_winch(int sig)
{
    (void)sig;
    got_winch = 1;
}

/* The container's TTY is the terminal's: resizes follow it, keys go through raw. */
static int use_tty(void *ud, struct ds_error *err)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, NULL);
    return cmd_term_make_raw(ud, err);
}

int cmd_attach(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_attach a = {
            .service = service,
            .index = number,
            .detach_keys = detach_keys,
            .in_fd = no_stdin ? -1 : STDIN_FILENO,
            .local_terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO),
            .sig_proxy = !sig_proxy_value || !strcmp(sig_proxy_value, "true"),
            .out = cmd_term_write_output,
            .on_tty = use_tty,
            .size = cmd_term_size,
            .winch = &got_winch,
            .signal = &got_signal,
            .stop = &stop_now,
    };
    struct stack_attach_result res;
    struct sigaction sa;
    int rc, status = EXIT_OK;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    rc = stack_attach(ctx->engine, ctx->project, &a, &res, &err);
    cmd_term_restore();
    if (rc == DS_EINTR)
        status = EXIT_INTERRUPTED;
    else if (rc < 0)
        status = cmd_error(&err);
    else if (res.stopped) /* its exit code is ours; after the detach keys, 0 */
        status = res.exit_code >= 0 && res.exit_code <= 255 ? res.exit_code : EXIT_ERROR;
    ds_error_release(&err);
    return status;
}
