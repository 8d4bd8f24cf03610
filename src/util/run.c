/* Child processes: fork + execvp from an argv array (git's run-command in small). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/file.h"
#include "util/run.h"
#include "util/size.h"
#include "util/banned.h"

char *run_which(const char *name)
{
    const char *path = getenv("PATH");
    struct strvec dirs = STRVEC_INIT;
    char *found = NULL;

    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    strvec_split(&dirs, path && *path ? path : "/usr/local/bin:/usr/bin:/bin", ':');
    for (size_t i = 0; i < dirs.n && !found; i++) {
        struct buf b = BUF_INIT;
        struct stat st;

        buf_addf(&b, "%s/%s", dirs.v[i], name);
        if (stat(b.buf, &st) == 0 && S_ISREG(st.st_mode) && access(b.buf, X_OK) == 0)
            found = buf_detach(&b, NULL);
        buf_release(&b);
    }
    strvec_clear(&dirs);
    return found;
}

/* In the child: only async-signal-safe calls until exec. */
static void child_fail(int fd, int errnum)
{
    ssize_t unused = write(fd, &errnum, sizeof(errnum));
    (void)unused;
    _exit(127);
}

/*
 * Read the pipes into the (capped) buffers until the child closes them. What
 * does not fit is read and dropped, so that the child is not stuck on a full
 * pipe; full[i] says that happened.
 */
static void drain(int *fds, struct buf *bufs, bool *full, size_t n)
{
    struct pollfd pfd[2];
    size_t open = 0;

    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0)
            open++;
    while (open) {
        size_t k = 0;
        int map[2];

        for (size_t i = 0; i < n; i++)
            if (fds[i] >= 0) {
                pfd[k].fd = fds[i];
                pfd[k].events = POLLIN;
                map[k++] = (int)i;
            }
        if (poll(pfd, k, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t j = 0; j < k; j++) {
            char chunk[8192];
            ssize_t r;
            int i = map[j];

            if (!(pfd[j].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            r = read(fds[i], chunk, sizeof(chunk));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                close(fds[i]);
                fds[i] = -1;
                open--;
                continue;
            }
            if (!full[i] && buf_add(&bufs[i], chunk, (size_t)r) < 0)
                full[i] = true;
        }
    }
}

static int too_much_output(struct ds_error *err, const char *program, const char *stream,
                           size_t max)
{
    struct buf size = BUF_INIT;

    size_format(&size, max, SIZE_BINARY);
    ds_error_set(err, DS_EIO, "the %s of '%s' is larger than %s", stream, program, size.buf);
    buf_release(&size);
    return DS_EIO;
}

int run_command(const struct strvec *argv, const struct run_options *o, struct ds_error *err)
{
    static const struct run_options none = {0};
    int report[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1};
    int fds[2], status, errnum = 0, rc;
    struct buf captured[2];
    bool full[2] = {false, false};
    size_t max;
    pid_t pid;
    ssize_t got;

    if (!o)
        o = &none;
    if (!argv->n)
        return ds_error_set(err, DS_EINVAL, "no command to run");
    if (o->input && strlen(o->input) > RUN_INPUT_MAX)
        return ds_error_set(err, DS_EINVAL, "the input for '%s' is larger than %u bytes",
                            argv->v[0], RUN_INPUT_MAX);
    if (pipe2(report, O_CLOEXEC) < 0 || (o->out && pipe2(outp, O_CLOEXEC) < 0) ||
        (o->errout && pipe2(errp, O_CLOEXEC) < 0) || (o->input && pipe2(inp, O_CLOEXEC) < 0)) {
        errnum = errno;
        goto fail_pipes;
    }
    if (o->input) {
        /* small enough for the pipe: no writer thread, no deadlock with the capture */
        size_t len = strlen(o->input);

        errnum = -file_write_all(inp[1], o->input, len);
        if (errnum) {
            goto fail_pipes;
        }
        close(inp[1]);
        inp[1] = -1;
    }

    /* what we printed comes before what the child prints */
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        errnum = errno;
        goto fail_pipes;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);

        signal(SIGPIPE, SIG_DFL);
        if (o->input ? dup2(inp[0], 0) < 0 : o->null_stdin && (devnull < 0 || dup2(devnull, 0) < 0))
            child_fail(report[1], errno);
        if (o->out ? dup2(outp[1], 1) < 0 : o->quiet && dup2(devnull, 1) < 0)
            child_fail(report[1], errno);
        if (o->errout ? dup2(errp[1], 2) < 0 : o->quiet && dup2(devnull, 2) < 0)
            child_fail(report[1], errno);
        if (o->dir && chdir(o->dir) < 0)
            child_fail(report[1], errno);
        for (size_t i = 0; o->env && i < o->env->n; i++) {
            const char *kv = o->env->v[i];
            const char *eq = strchr(kv, '=');

            /* putenv keeps the pointer: fine, the child execs or exits */
            if (eq ? putenv((char *)kv) != 0 : unsetenv(kv) != 0)
                child_fail(report[1], errno);
        }
        execvp(argv->v[0], argv->v);
        child_fail(report[1], errno);
    }

    close(report[1]);
    report[1] = -1;
    if (inp[0] >= 0)
        close(inp[0]);
    if (outp[1] >= 0)
        close(outp[1]);
    if (errp[1] >= 0)
        close(errp[1]);
    fds[0] = outp[0];
    fds[1] = errp[0];
    max = o->capture_max ? o->capture_max : RUN_CAPTURE_MAX;
    buf_init_capped(&captured[0], max);
    buf_init_capped(&captured[1], max);
    drain(fds, captured, full, 2);

    do
        got = read(report[0], &errnum, sizeof(errnum));
    while (got < 0 && errno == EINTR);
    close(report[0]);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            rc = ds_error_errno(err, errno, "cannot wait for '%s'", argv->v[0]);
            goto done;
        }
    }
    if (got == (ssize_t)sizeof(errnum)) {
        if (errnum == ENOENT)
            rc = ds_error_set(err, DS_ENOTFOUND, "cannot run '%s': no such program", argv->v[0]);
        else
            rc = ds_error_errno(err, errnum, "cannot run '%s'", argv->v[0]);
        goto done;
    }
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    for (int i = 0; i < 2; i++) {
        struct buf *to = i ? o->errout : o->out;

        if (!to)
            continue;
        /* a capped buffer of the caller's may refuse it too */
        if (!full[i] && buf_add(to, captured[i].buf, captured[i].len) < 0)
            full[i] = true;
        if (full[i] && rc >= 0)
            rc = too_much_output(err, argv->v[0], i ? "error output" : "output", max);
    }

done:
    buf_release(&captured[0]);
    buf_release(&captured[1]);
    return rc;

fail_pipes:
    for (int i = 0; i < 2; i++) {
        if (report[i] >= 0)
            close(report[i]);
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
        if (inp[i] >= 0)
            close(inp[i]);
    }
    return ds_error_errno(err, errnum, "cannot run '%s'", argv->v[0]);
}
