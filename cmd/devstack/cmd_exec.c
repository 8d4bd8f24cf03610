/*
 * devstack exec and shell: run a command in a service's running container,
 * with the local terminal (raw, sized, restored on every way out) or with
 * stdin, stdout and stderr as pipes; the command's exit code becomes ours.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "devstack.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/banned.h"

/* 128 + SIGPIPE: what a shell reports for a writer whose reader went away */
#define EXIT_BROKEN_PIPE 141

/* What `shell` runs: bash where the image has it, sh elsewhere. */
#define SHELL_SCRIPT "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"

struct exec_request {
    const char *service;
    int index; /* the container number, from 1 */
    struct strvec cmd;
    struct strvec env;
    const char *user, *working_dir;
    bool privileged, detach, no_tty;
};

/* ---- the local terminal --------------------------------------------------------- */

static struct termios saved_termios;
static volatile sig_atomic_t term_is_raw;
static volatile sig_atomic_t got_winch;
static volatile sig_atomic_t got_signal; /* the signal that asks us to stop; cancels the engine */

/* Safe in a signal handler: tcsetattr() is async-signal-safe. */
static void term_restore(void)
{
    if (term_is_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
        term_is_raw = 0;
    }
}

static int term_make_raw(struct ds_error *err)
{
    static bool at_exit_registered;
    struct termios raw;

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

/* ---- the exec's output and its terminal size -------------------------------------- */

struct exec_io {
    const char *exec_id;
    int write_errno; /* why writing our output failed */
};

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
    struct exec_io *io = ud;

    if (write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data, len) < 0) {
        io->write_errno = errno;
        return DS_EIO;
    }
    return 0;
}

static void resize_tty(void *ud)
{
    struct exec_io *io = ud;
    struct ds_error err = DS_ERROR_INIT;
    struct winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
        return;
    if (!ws.ws_row || !ws.ws_col)
        return;
    /* a resize that fails (the command just ended) changes nothing worth telling */
    engine_exec_resize(ds.engine, io->exec_id, ws.ws_row, ws.ws_col, &err);
    ds_error_release(&err);
}

/* ---- finding the container ------------------------------------------------------- */

static int unknown_service(const struct compose_project *p, const char *service,
                           struct ds_error *err)
{
    struct buf names = BUF_INIT;

    for (size_t i = 0; i < p->n_services; i++)
        buf_addf(&names, "%s%s", i ? ", " : "", p->services[i].name);
    ds_error_set(err, DS_ENOTFOUND, "no such service '%s' in project '%s'", service, p->name);
    if (names.len)
        ds_error_hint(err, "the project's services are: %s", names.buf);
    else
        ds_error_hint(err, "the project has no services");
    buf_release(&names);
    return DS_ENOTFOUND;
}

/* The id (caller frees) of the service's running container number `index`. */
static int find_container(const struct compose_project *p, const struct exec_request *r,
                          char **id_out, struct ds_error *err)
{
    struct strvec filter = STRVEC_INIT;
    struct engine_container_list list = {0};
    const struct engine_container_summary *found = NULL;
    int rc;

    *id_out = NULL;
    strvec_pushf(&filter, "%s=%s", LABEL_PROJECT, p->name);
    strvec_pushf(&filter, "%s=%s", LABEL_SERVICE, r->service);
    strvec_pushf(&filter, "%s=False", LABEL_ONEOFF);
    rc = engine_container_list(ds.engine, &filter, true, &list, err);
    if (rc < 0)
        goto done;
    for (size_t i = 0; i < list.n && !found; i++) {
        const char *number = kvlist_get(&list.items[i].labels, LABEL_NUMBER);
        int n = 0;

        if (number && str_to_int(number, 1, 1 << 20, &n) == 0 && n == r->index)
            found = &list.items[i];
    }
    if (!found || !found->state || strcmp(found->state, "running")) {
        if (r->index == 1)
            rc = ds_error_set(err, DS_ENOTFOUND,
                              "service '%s' has no running container; start it with 'devstack up'",
                              r->service);
        else
            rc = ds_error_set(err, DS_ENOTFOUND,
                              "service '%s' has no running container number %d; start it with "
                              "'devstack up'",
                              r->service, r->index);
        goto done;
    }
    *id_out = xstrdup(found->id);

done:
    engine_container_list_release(&list);
    strvec_clear(&filter);
    return rc;
}

/* ---- running it ---------------------------------------------------------------------- */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/*
 * The command's exit code. Its output can end a moment before the engine
 * has recorded the exit, so a running exec is asked again for a while.
 */
static int exec_exit_code(const char *exec_id, int *code, struct ds_error *err)
{
    for (int attempt = 0;; attempt++) {
        struct engine_exec_info info;
        bool running;
        int rc = engine_exec_inspect(ds.engine, exec_id, &info, err);

        if (rc < 0)
            return rc;
        running = info.running;
        *code = info.exit_code;
        engine_exec_info_release(&info);
        if (!running)
            return 0;
        if (got_signal)
            return ds_error_set(err, DS_EINTR, "interrupted");
        if (attempt == 100) {
            /* it closed its output but goes on: docker exec also ends here */
            fprintf(stderr, "warning: the command closed its output and is still running\n");
            *code = 0;
            return 0;
        }
        sleep_ms(attempt < 10 ? 10 : 50);
    }
}

/*
 * The start failed, or the stream broke. Some engines refuse to start a
 * missing executable (others write the error into the output): then the exit
 * code is docker exec's, 127 (not found) or 126 (cannot run).
 */
static int start_failed(const char *exec_id, struct ds_error *err)
{
    struct engine_exec_info info;
    struct ds_error ierr = DS_ERROR_INIT;
    int code = 0;

    if (err->code == DS_EINTR)
        return cmd_error(err);
    if (engine_exec_inspect(ds.engine, exec_id, &info, &ierr) == 0) {
        if (!info.running && (info.exit_code == 126 || info.exit_code == 127))
            code = info.exit_code;
        engine_exec_info_release(&info);
    }
    ds_error_release(&ierr);
    if (!code && err->msg &&
        (strstr(err->msg, "executable file not found") ||
         strstr(err->msg, "no such file or directory")))
        code = 127;
    else if (!code && err->msg && strstr(err->msg, "permission denied"))
        code = 126;
    cmd_error(err);
    return code ? code : EXIT_ERROR;
}

static int exec_run(const struct exec_request *r)
{
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct engine_exec_config cfg = {.cmd = STRVEC_INIT, .env = STRVEC_INIT};
    struct exec_io io = {0};
    char *container = NULL, *exec_id = NULL;
    bool tty = !r->no_tty && !r->detach && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    int status, rc, code = 0;

    if (cmd_connect_engine(&err) < 0 || cmd_load_project(&p, false, NULL, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (!compose_find_service(p, r->service)) {
        unknown_service(p, r->service, &err);
        status = cmd_error(&err);
        goto done;
    }
    catch_signals(tty);
    engine_set_cancel_flag(ds.engine, &got_signal);
    if (find_container(p, r, &container, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }

    /* argv goes to the engine as a list: no shell between us and the command */
    strvec_copy(&cfg.cmd, &r->cmd);
    strvec_copy(&cfg.env, &r->env);
    cfg.user = r->user;
    cfg.working_dir = r->working_dir;
    cfg.privileged = r->privileged;
    cfg.tty = tty;
    cfg.attach_stdin = !r->detach;
    if (tty) {
        struct winsize ws;

        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ||
            ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
            cfg.console_height = ws.ws_row;
            cfg.console_width = ws.ws_col;
        }
    }
    if (engine_exec_create(ds.engine, container, &cfg, &exec_id, &err) < 0) {
        ds_error_wrap(&err, "service '%s'", r->service);
        status = cmd_error(&err);
        goto done;
    }
    io.exec_id = exec_id;

    if (r->detach) {
        if (engine_exec_start(ds.engine, exec_id, false, true, NULL, NULL, &err) < 0)
            status = start_failed(exec_id, &err);
        else
            status = EXIT_OK;
        goto done;
    }

    {
        struct engine_attach a = {
                .tty = tty,
                .in_fd = STDIN_FILENO,
                .out = write_output,
                .ud = &io,
                .winch = tty ? &got_winch : NULL,
                .on_winch = tty ? resize_tty : NULL,
                .cancel = &got_signal,
        };

        if (tty && term_make_raw(&err) < 0) {
            status = cmd_error(&err);
            goto done;
        }
        rc = engine_exec_start_attached(ds.engine, exec_id, &a, &err);
        /* before anything is printed: raw mode would garble it */
        term_restore();
    }
    if (rc < 0 && io.write_errno) {
        if (io.write_errno == EPIPE) {
            status = EXIT_BROKEN_PIPE;
            goto done;
        }
        ds_error_errno(&err, io.write_errno, "cannot write the command's output");
        status = cmd_error(&err);
        goto done;
    }
    if (rc < 0) {
        status = start_failed(exec_id, &err);
        goto done;
    }
    if (exec_exit_code(exec_id, &code, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    status = code >= 0 && code <= 255 ? code : EXIT_ERROR;

done:
    term_restore();
    engine_set_cancel_flag(ds.engine, NULL);
    free(container);
    free(exec_id);
    strvec_clear(&cfg.cmd);
    strvec_clear(&cfg.env);
    compose_project_free(p);
    ds_error_release(&err);
    return status;
}

int cmd_exec_service(const char *service, const struct strvec *cmd, const struct strvec *env)
{
    struct exec_request r = {.cmd = STRVEC_INIT, .env = STRVEC_INIT};
    int status;

    r.service = service;
    r.index = 1;
    strvec_copy(&r.cmd, cmd);
    if (env)
        strvec_copy(&r.env, env);
    status = exec_run(&r);
    strvec_clear(&r.cmd);
    strvec_clear(&r.env);
    return status;
}

int cmd_exec(int argc, char **argv)
{
    static bool no_tty, detach, privileged, interactive;
    static const char *user, *working_dir, *service_help;
    static int number = 1;
    static struct strvec env = STRVEC_INIT, command_help = STRVEC_INIT;
    static const struct opt_spec opts[] = {
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
            {OPT_ARG, "SERVICE", 0, &service_help, NULL, "the service", OPT_REQUIRED},
            {OPT_ARGS, "COMMAND", 0, &command_help, NULL, "the command and its arguments",
             OPT_REQUIRED},
            {0},
    };
    struct exec_request r = {.cmd = STRVEC_INIT, .env = STRVEC_INIT};
    int consumed = 0, status;

    if (!cmd_parse("exec", opts, argc, argv, OPT_PARSE_STOP_AT_ARG, &consumed, &status))
        goto done;
    /* options end at SERVICE; the rest is the command, verbatim */
    if (consumed >= argc) {
        status = cmd_usage_error("exec", opts, "missing argument SERVICE");
        goto done;
    }
    if (consumed + 1 >= argc) {
        status = cmd_usage_error("exec", opts, "missing argument COMMAND");
        goto done;
    }
    if (number < 1) {
        status = cmd_usage_error("exec", opts, "--index must be 1 or more");
        goto done;
    }
    r.service = argv[consumed];
    for (int i = consumed + 1; i < argc; i++)
        strvec_push(&r.cmd, argv[i]);
    for (size_t i = 0; i < env.n; i++) {
        const char *value;

        if (strchr(env.v[i], '='))
            strvec_push(&r.env, env.v[i]);
        else if ((value = getenv(env.v[i])))
            strvec_pushf(&r.env, "%s=%s", env.v[i], value);
    }
    r.index = number;
    r.user = user;
    r.working_dir = working_dir;
    r.privileged = privileged;
    r.detach = detach;
    r.no_tty = no_tty;
    status = exec_run(&r);

done:
    strvec_clear(&r.cmd);
    strvec_clear(&r.env);
    strvec_clear(&env);
    strvec_clear(&command_help);
    return status;
}

int cmd_shell(int argc, char **argv)
{
    static const char *service;
    static const struct opt_spec opts[] = {
            {OPT_ARG, "SERVICE", 0, &service, NULL, "the service (default: backend)"},
            {0},
    };
    struct exec_request r = {.index = 1, .cmd = STRVEC_INIT, .env = STRVEC_INIT};
    int status;

    if (!cmd_parse("shell", opts, argc, argv, 0, NULL, &status))
        return status;
    r.service = service ? service : "backend";
    strvec_push(&r.cmd, "/bin/sh");
    strvec_push(&r.cmd, "-c");
    strvec_push(&r.cmd, SHELL_SCRIPT);
    status = exec_run(&r);
    strvec_clear(&r.cmd);
    return status;
}
