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
#include "util/run.h"
#include "util/banned.h"

/* Output of a child is small text (Alembic's messages); cap what we keep. */
#define RUN_CAPTURE_MAX (64u << 20)

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

static void drain(int *fds, struct buf **bufs, size_t n)
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
            if (bufs[i]->len + (size_t)r <= RUN_CAPTURE_MAX)
                buf_add(bufs[i], chunk, (size_t)r);
        }
    }
}

int run_command(const struct strvec *argv, const struct run_options *o, struct ds_error *err)
{
    static const struct run_options none = {0};
    int report[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    int fds[2], status, errnum = 0;
    struct buf *bufs[2];
    pid_t pid;
    ssize_t got;

    if (!o)
        o = &none;
    if (!argv->n)
        return ds_error_set(err, DS_EINVAL, "no command to run");
    if (pipe2(report, O_CLOEXEC) < 0 || (o->out && pipe2(outp, O_CLOEXEC) < 0) ||
        (o->errout && pipe2(errp, O_CLOEXEC) < 0)) {
        errnum = errno;
        goto fail_pipes;
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
        if (o->null_stdin && (devnull < 0 || dup2(devnull, 0) < 0))
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
    if (outp[1] >= 0)
        close(outp[1]);
    if (errp[1] >= 0)
        close(errp[1]);
    fds[0] = outp[0];
    fds[1] = errp[0];
    bufs[0] = o->out;
    bufs[1] = o->errout;
    drain(fds, bufs, 2);

    do
        got = read(report[0], &errnum, sizeof(errnum));
    while (got < 0 && errno == EINTR);
    close(report[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return ds_error_errno(err, errno, "cannot wait for '%s'", argv->v[0]);
    if (got == (ssize_t)sizeof(errnum)) {
        if (errnum == ENOENT)
            return ds_error_set(err, DS_ENOTFOUND, "cannot run '%s': no such program", argv->v[0]);
        return ds_error_errno(err, errnum, "cannot run '%s'", argv->v[0]);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);

fail_pipes:
    for (int i = 0; i < 2; i++) {
        if (report[i] >= 0)
            close(report[i]);
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    return ds_error_errno(err, errnum, "cannot run '%s'", argv->v[0]);
}
