/*
 * Where PostgreSQL's own tools (pg_dump, psql) run for the workspace's
 * database: in the database service's container, through an exec (the
 * client there always matches the server, and it reaches the server over
 * its socket), when the workspace's URL is the stack's database and the
 * engine is at hand; else on this host, as a child process, against the
 * URL's server. Either way the command is an argv list and the password
 * goes through the environment (PGPASSWORD), never the command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stack/exec.h"
#include "workspace/internal.h"
#include "workspace/snapshot.h"
#include "util/alloc.h"
#include "util/banned.h"

#define ERROUT_MAX (64u << 10)
#define CHUNK      (64u << 10)

/* Keep at most ERROUT_MAX of a tool's standard error: enough to say why it failed. */
static void keep_errout(struct buf *errout, const char *data, size_t len)
{
    if (errout->len < ERROUT_MAX)
        buf_add(errout, data, len < ERROUT_MAX - errout->len ? len : ERROUT_MAX - errout->len);
}

/* ---- in the database's container ----------------------------------------------------------- */

struct exec_out {
    int (*out)(const char *data, size_t len, void *ud);
    void *ud;
    struct buf *errout;
};

static int exec_output(int stream, const char *data, size_t len, void *ud)
{
    struct exec_out *o = ud;

    if (stream == 2) {
        keep_errout(o->errout, data, len);
        return 0;
    }
    return o->out ? o->out(data, len, o->ud) : 0;
}

static int run_in_container(void *ud, const struct strvec *argv, const struct strvec *env,
                            int in_fd, int (*out)(const char *, size_t, void *), void *out_ud,
                            struct buf *errout, const volatile sig_atomic_t *cancel,
                            struct ds_error *err)
{
    const struct workspace *ws = ud;
    struct exec_out o = {.out = out, .ud = out_ud, .errout = errout};
    struct stack_exec x = {.service = ws->services.db->name,
                           .index = 1,
                           .cmd = argv,
                           .env = env,
                           .in_fd = in_fd,
                           .out = exec_output,
                           .ud = &o,
                           .cancel = (volatile sig_atomic_t *)cancel};
    struct stack_exec_result res;
    int rc = stack_exec_run(ws->engine, ws->project, &x, &res, err);

    if (rc < 0 && res.exit_code == 127)
        return 127;
    return rc < 0 ? rc : res.exit_code;
}

/* ---- on this host ------------------------------------------------------------------------ */

static void child(const struct strvec *argv, const struct strvec *env, int in_fd, int out_fd,
                  int err_fd)
{
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

    signal(SIGPIPE, SIG_DFL);
    if (dup2(in_fd >= 0 ? in_fd : devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        _exit(126);
    for (size_t i = 0; i < env->n; i++)
        if (putenv(env->v[i]) != 0) /* the child execs or exits: the pointer lives long enough */
            _exit(126);
    execvp(argv->v[0], argv->v);
    _exit(errno == ENOENT ? 127 : 126);
}

static int run_here(void *ud, const struct strvec *argv, const struct strvec *env, int in_fd,
                    int (*out)(const char *, size_t, void *), void *out_ud, struct buf *errout,
                    const volatile sig_atomic_t *cancel, struct ds_error *err)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, status, rc = 0;
    char *chunk = NULL;
    bool stopped = false;
    pid_t pid;

    (void)ud;
    if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        rc = ds_error_errno(err, errno, "cannot run '%s'", argv->v[0]);
        goto done;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        rc = ds_error_errno(err, errno, "cannot run '%s'", argv->v[0]);
        goto done;
    }
    if (pid == 0)
        child(argv, env, in_fd, outp[1], errp[1]);
    close(outp[1]);
    close(errp[1]);
    outp[1] = errp[1] = -1;
    chunk = xmalloc(CHUNK);
    for (int open_fds = 2; open_fds > 0;) {
        struct pollfd pfd[2] = {{.fd = outp[0], .events = POLLIN},
                                {.fd = errp[0], .events = POLLIN}};

        if (!stopped && cancel && *cancel) {
            kill(pid, SIGTERM);
            stopped = true;
            rc = ds_error_set(err, DS_EINTR, "interrupted");
        }
        if (poll(pfd, 2, 200) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            ssize_t n;

            if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            n = read(pfd[i].fd, chunk, CHUNK);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                close(i ? errp[0] : outp[0]);
                *(i ? &errp[0] : &outp[0]) = -1;
                open_fds--;
                continue;
            }
            if (i == 1) {
                keep_errout(errout, chunk, (size_t)n);
            } else if (!stopped && out && out(chunk, (size_t)n, out_ud) != 0) {
                /* the taker failed (a write): stop the tool */
                kill(pid, SIGTERM);
                stopped = true;
                rc = DS_EIO;
            }
        }
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            rc = ds_error_errno(err, errno, "cannot wait for '%s'", argv->v[0]);
            goto done;
        }
    /* Ctrl-C reaches the tool too: it may have ended before we saw the flag */
    if (rc == 0 && cancel && *cancel)
        rc = ds_error_set(err, DS_EINTR, "interrupted");
    else if (rc == 0)
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

done:
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    free(chunk);
    return rc;
}

void workspace_pg_tools(const struct workspace *ws, struct db_pg_tools *out, struct buf *where)
{
    bool stack_db = ws->project && ws->services.db && ws->engine && !ws->inside_app &&
                    (ws->url.source == WORKSPACE_URL_SERVICE ||
                     (ws->services.have_url && workspace_stack_db(&ws->url, &ws->services, false) ==
                                                       WORKSPACE_STACK_DB_CHOSEN));

    memset(out, 0, sizeof(*out));
    buf_reset(where);
    if (stack_db) {
        out->run = run_in_container;
        out->ud = (void *)ws;
        out->beside_server = true;
        out->port = ws->services.db_port;
        buf_addf(where, "in service '%s'", ws->services.db->name);
    } else {
        out->run = run_here;
        buf_adds(where, "on this host");
    }
    out->where = where->buf;
}
