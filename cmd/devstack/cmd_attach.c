/*
 * devstack attach: connect the local stdin, stdout and stderr to a
 * service's running container (its main process), as `docker compose
 * attach` does: for a breakpoint() in a server, or a REPL. With a TTY the
 * terminal goes raw and the engine's detach keys (ctrl-p,ctrl-q, or
 * --detach-keys) let go; without one, Ctrl-C is passed on to the container
 * (--sig-proxy, the default) rather than ending the attach.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
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

struct attach {
    struct engine *e;
    const char *id;
    bool tty;
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

static void forward_signal(void *ud)
{
    struct attach *a = ud;
    struct ds_error err = DS_ERROR_INIT;
    int sig = got_signal;

    /* the container's process decides what the signal means */
    engine_container_kill(a->e, a->id,
                          sig == SIGINT    ? "SIGINT"
                          : sig == SIGTERM ? "SIGTERM"
                                           : "SIGHUP",
                          &err);
    ds_error_release(&err);
    got_signal = 0;
}

static void resize(void *ud)
{
    struct attach *a = ud;
    struct ds_error err = DS_ERROR_INIT;
    int height = 0, width = 0;

    if (cmd_term_size(NULL, &height, &width) == 0 && height > 0 && width > 0)
        engine_container_resize(a->e, a->id, height, width, &err);
    ds_error_release(&err);
}

int cmd_attach(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_container_list l = {0};
    struct engine_container_info info = {0};
    const struct stack_container *c;
    struct attach at = {.e = ctx->engine};
    bool sig_proxy = !sig_proxy_value || !strcmp(sig_proxy_value, "true");
    struct sigaction sa;
    int rc, status = EXIT_OK;

    rc = stack_list_containers(ctx->engine, ctx->project->name, 0, &l, &err);
    if (rc < 0 || !(c = stack_pick(&l, service, number, &err))) {
        status = cmd_error(&err);
        goto done;
    }
    rc = engine_container_inspect(ctx->engine, c->id, &info, &err);
    if (rc < 0) {
        status = cmd_error(&err);
        goto done;
    }
    at.id = c->id;
    at.tty = info.tty && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !no_stdin;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_winch;
    if (at.tty)
        sigaction(SIGWINCH, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    if (at.tty && cmd_term_make_raw(NULL, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    {
        struct engine_attach a = {
                .tty = info.tty,
                .in_fd = no_stdin ? -1 : STDIN_FILENO,
                .out = cmd_term_write_output,
                .ud = &at,
                .winch = at.tty ? &got_winch : NULL,
                .on_winch = at.tty ? resize : NULL,
                /* with a TTY the keys are bytes for the container; without, a signal is ours */
                .cancel = sig_proxy && !at.tty ? &stop_now : &got_signal,
                .notice = sig_proxy && !at.tty ? &got_signal : NULL,
                .on_notice = sig_proxy && !at.tty ? forward_signal : NULL,
        };

        rc = engine_container_attach(ctx->engine, c->id, detach_keys, &a, &err);
    }
    cmd_term_restore();
    if (rc == DS_EINTR) {
        status = EXIT_INTERRUPTED;
        goto done;
    }
    if (rc < 0) {
        status = cmd_error(&err);
        goto done;
    }
    /* the output ended: the container stopped (its exit code is ours), or we detached */
    engine_container_info_release(&info);
    if (engine_container_inspect(ctx->engine, at.id, &info, &err) == 0 && !info.running)
        status = info.exit_code >= 0 && info.exit_code <= 255 ? info.exit_code : EXIT_ERROR;
    ds_error_release(&err);

done:
    engine_container_info_release(&info);
    stack_container_list_release(&l);
    ds_error_release(&err);
    return status;
}
