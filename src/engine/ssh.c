/*
 * The Engine API over ssh, as the docker CLI reaches an ssh:// engine: each
 * connection is one `ssh [-l user] [-p port] -- host docker system
 * dial-stdio` speaking HTTP on its stdin and stdout. curl keeps a connection
 * alive between requests as it does a socket's, so one command starts one
 * ssh per connection it holds at once, not one per request.
 *
 * curl connects to a listening Unix socket of this process, in a directory
 * only its user may enter (and only this process's own connections are
 * accepted); a thread accepts each connection and starts ssh with the
 * accepted socket as its stdin and stdout, so no byte is copied on the way.
 * Handing curl a connected socketpair instead (CURL_SOCKOPT_ALREADY_CONNECTED)
 * would need no thread, but libcurl 7.88 (Debian 12's) calls connect() on
 * such a socket anyway and fails; and it never reuses a connection to an
 * abstract socket, which would cost one ssh per request.
 *
 * ssh runs in a session of its own, as the docker CLI's commandconn runs it:
 * a Ctrl-C at the terminal reaches devstack, which may still have things to
 * ask the engine, and not the connection. Its stderr is kept, so that a
 * connection that fails says what ssh said.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/path.h"
#include "util/strutil.h"
#include "util/banned.h"

extern char **environ;

/* The most of an ssh's stderr kept: its last lines say why it failed. */
#define STDERR_KEEP 2048
/* How long an ssh whose stderr has closed is given to exit, when asked why it failed. */
#define EXIT_WAIT_MS 200
/* How long the ssh processes are given to end on their own at exit before they are ended. */
#define REAP_WAIT_MS 2000

/* One ssh process, from its start until it is reaped. */
struct ssh_proc {
    pid_t pid;
    int err_fd; /* its stderr; -1 once at its end */
    struct buf errout;
    struct ssh_proc *next;
};

/* A listening socket for one ssh target, and the thread that serves it. */
struct ssh_listener {
    char *host; /* the endpoint's address, "ssh://..." */
    struct strvec argv;
    int fd;
    char *dir, *path; /* a private directory, and the socket in it */
    struct ssh_listener *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ssh_proc *procs;
static struct ssh_listener *listeners;
static char *last_error; /* the last ssh that failed: what it said */
static bool atexit_done;

int engine_ssh_parse(const char *url, char **user, char **host, char **port, struct ds_error *err)
{
    CURLU *u = curl_url();
    char *part = NULL;
    int rc = 0;

    *user = *host = *port = NULL;
    if (!u)
        return ds_error_set(err, DS_ERR, "cannot parse '%s': out of memory", url);
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK || !*part) {
        rc = ds_error_set(err, DS_EINVAL, "invalid engine address '%s': no host", url);
        ds_error_hint(err, "expected ssh://[user@]host[:port]");
        goto done;
    }
    /* "[::1]" is an address ssh takes without its brackets */
    if (part[0] == '[' && str_ends_with(part, "]"))
        *host = xstrndup(part + 1, strlen(part) - 2);
    else
        *host = xstrdup(part);
    curl_free(part);
    part = NULL;
    if (curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
        rc = ds_error_set(err, DS_EINVAL,
                          "invalid engine address: an ssh:// address may not hold a password");
        ds_error_hint(err, "use a key (ssh-agent, or IdentityFile in ~/.ssh/config)");
        goto done;
    }
    if (curl_url_get(u, CURLUPART_USER, &part, CURLU_URLDECODE) == CURLUE_OK && *part)
        *user = xstrdup(part);
    curl_free(part);
    part = NULL;
    if (curl_url_get(u, CURLUPART_PORT, &part, 0) == CURLUE_OK)
        *port = xstrdup(part);
    curl_free(part);
    part = NULL;
    if (curl_url_get(u, CURLUPART_PATH, &part, 0) == CURLUE_OK && strcmp(part, "/") && *part) {
        rc = ds_error_set(err, DS_EINVAL,
                          "invalid engine address '%s': a path after the host ('%s')", url, part);
        ds_error_hint(err, "expected ssh://[user@]host[:port]");
        goto done;
    }
    curl_free(part);
    part = NULL;
    if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
        rc = ds_error_set(err, DS_EINVAL, "invalid engine address '%s': a query or fragment", url);
        ds_error_hint(err, "expected ssh://[user@]host[:port]");
        goto done;
    }

done:
    curl_free(part);
    curl_url_cleanup(u);
    if (rc < 0) {
        free(*user);
        free(*host);
        free(*port);
        *user = *host = *port = NULL;
    }
    return rc;
}

void engine_endpoint_ssh_argv(const struct engine_endpoint *ep, struct strvec *argv)
{
    /* the docker CLI's: a connect timeout, no terminal; the user's ssh config does the rest */
    strvec_pushv(argv, (const char *const[]){"ssh", "-o", "ConnectTimeout=30", "-T", NULL});
    if (ep->ssh_user)
        strvec_pushv(argv, (const char *const[]){"-l", ep->ssh_user, NULL});
    if (ep->ssh_port)
        strvec_pushv(argv, (const char *const[]){"-p", ep->ssh_port, NULL});
    strvec_pushv(argv,
                 (const char *const[]){"--", ep->ssh_host, "docker", "system", "dial-stdio", NULL});
}

/* Take what ssh wrote to stderr so far, keeping the end. Lock held. */
static void drain_stderr(struct ssh_proc *c)
{
    char chunk[1024];
    ssize_t n;

    while (c->err_fd >= 0) {
        n = read(c->err_fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN: nothing more yet */
        if (n == 0) {
            close(c->err_fd);
            c->err_fd = -1;
            return;
        }
        buf_add(&c->errout, chunk, (size_t)n);
        if (c->errout.len > STDERR_KEEP)
            buf_consume(&c->errout, c->errout.len - STDERR_KEEP);
    }
}

/* ssh ended with `status`: remember why, when it failed. Lock held. */
static void note_exit(struct ssh_proc *c, int status)
{
    struct buf why = BUF_INIT;
    size_t len;

    drain_stderr(c);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    len = c->errout.len;
    while (len && strchr("\r\n ", c->errout.buf[len - 1]))
        len--;
    if (WIFEXITED(status))
        buf_addf(&why, "ssh exited with status %d", WEXITSTATUS(status));
    else
        buf_addf(&why, "ssh was ended by signal %d", WTERMSIG(status));
    if (len)
        buf_addf(&why, ": %.*s", (int)len, c->errout.buf);
    free(last_error);
    last_error = buf_detach(&why, NULL);
}

/* Has c's ssh ended within wait_ms? Then it is reaped. Lock held. */
static bool reaped(struct ssh_proc *c, long wait_ms)
{
    long deadline = (long)clock_ms() + wait_ms;
    int status;

    for (;;) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        long left;

        if (r == c->pid) {
            note_exit(c, status);
            return true;
        }
        if (r < 0 && errno != EINTR)
            return true; /* not ours to wait for any more */
        drain_stderr(c);
        left = deadline - (long)clock_ms();
        if (left <= 0)
            return false;
        if (c->err_fd >= 0) {
            struct pollfd p = {.fd = c->err_fd, .events = POLLIN};
            poll(&p, 1, (int)(left < 10 ? left : 10));
        } else {
            clock_sleep_ms(2);
        }
    }
}

/*
 * Reap the ssh processes that have ended: those whose stderr is at its end
 * get up to wait_ms to exit (stderr closes just before the exit). Lock held.
 */
static void reap_ended(long wait_ms)
{
    for (struct ssh_proc **p = &procs; *p;) {
        struct ssh_proc *c = *p;

        drain_stderr(c);
        if (reaped(c, c->err_fd < 0 ? wait_ms : 0)) {
            *p = c->next;
            if (c->err_fd >= 0)
                close(c->err_fd);
            buf_release(&c->errout);
            free(c);
        } else {
            p = &c->next;
        }
    }
}

/* Start ssh with `conn` as its stdin and stdout. */
static void spawn_ssh(struct ssh_listener *l, int conn)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t all, none;
    int errp[2], rc;
    struct ssh_proc *c;
    pid_t pid;

    if (pipe2(errp, O_CLOEXEC) < 0)
        return;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, conn, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, conn, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, errp[1], STDERR_FILENO);
    posix_spawnattr_init(&attr);
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    rc = posix_spawnp(&pid, l->argv.v[0], &actions, &attr, l->argv.v, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(errp[1]);
    pthread_mutex_lock(&lock);
    if (rc != 0) {
        struct buf why = BUF_INIT;

        buf_addf(&why, "cannot run '%s': %s", l->argv.v[0], strerror(rc));
        free(last_error);
        last_error = buf_detach(&why, NULL);
        close(errp[0]);
    } else {
        fcntl(errp[0], F_SETFL, fcntl(errp[0], F_GETFL) | O_NONBLOCK);
        c = xcalloc(1, sizeof(*c));
        c->pid = pid;
        c->err_fd = errp[0];
        buf_init(&c->errout, 0);
        c->next = procs;
        procs = c;
        reap_ended(0);
    }
    pthread_mutex_unlock(&lock);
}

/* The listener's thread: an ssh for each connection this process makes to it. */
static void *serve(void *arg)
{
    struct ssh_listener *l = arg;
    sigset_t all;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int conn = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);

        if (conn < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return NULL;
        }
        /* an abstract socket has no file mode: whoever else connects is turned away */
        if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid == getpid())
            spawn_ssh(l, conn);
        close(conn);
    }
}

/*
 * At exit: the sockets go, and as the connections are closed each ssh ends;
 * those that do not are ended.
 */
static void reap_at_exit(void)
{
    long deadline = (long)clock_ms() + REAP_WAIT_MS;

    pthread_mutex_lock(&lock);
    for (struct ssh_listener *l = listeners; l; l = l->next) {
        unlink(l->path);
        rmdir(l->dir);
    }
    for (struct ssh_proc *c = procs; c; c = c->next) {
        long left = deadline - (long)clock_ms();

        if (c->pid > 0 && !reaped(c, left > 0 ? left : 0)) {
            kill(c->pid, SIGTERM);
            waitpid(c->pid, NULL, 0);
        }
        c->pid = -1;
    }
    pthread_mutex_unlock(&lock);
}

/* The listener for ep's target, made (with its thread) on first use; NULL when it cannot be. */
/* The listener for ep's target, made (with its thread) on first use; NULL when it cannot be. */
static struct ssh_listener *listener_for(const struct engine_endpoint *ep)
{
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct ssh_listener *l;
    struct buf dir = BUF_INIT;
    pthread_attr_t attr;
    pthread_t thread;
    int saved;

    pthread_mutex_lock(&lock);
    for (l = listeners; l; l = l->next)
        if (!strcmp(l->host, ep->host))
            goto done;
    l = xcalloc(1, sizeof(*l));
    l->host = xstrdup(ep->host);
    l->fd = -1;
    strvec_init(&l->argv);
    engine_endpoint_ssh_argv(ep, &l->argv);
    buf_addf(&dir, "%s/devstack-ssh-XXXXXX",
             runtime && *runtime == '/' && strlen(runtime) < 64 ? runtime : "/tmp");
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (mkdtemp(dir.buf)) {
        l->dir = buf_detach(&dir, NULL);
        l->path = path_join(l->dir, "engine.sock");
        memcpy(addr.sun_path, l->path, strlen(l->path) + 1);
        l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
    if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(l->fd, 64) < 0 || (errno = pthread_create(&thread, &attr, serve, l)) != 0) {
        struct buf why = BUF_INIT;

        saved = errno;
        buf_addf(&why, "cannot make the socket that connects to ssh: %s", strerror(saved));
        free(last_error);
        last_error = buf_detach(&why, NULL);
        if (l->fd >= 0)
            close(l->fd);
        if (l->path)
            unlink(l->path);
        if (l->dir)
            rmdir(l->dir);
        strvec_clear(&l->argv);
        free(l->path);
        free(l->dir);
        free(l->host);
        free(l);
        l = NULL;
    } else {
        l->next = listeners;
        listeners = l;
        if (!atexit_done)
            atexit(reap_at_exit);
        atexit_done = true;
    }
    pthread_attr_destroy(&attr);
    buf_release(&dir);
done:
    pthread_mutex_unlock(&lock);
    return l;
}

void engine_ssh_set_curl(CURL *c, const struct engine_endpoint *ep)
{
    struct ssh_listener *l = listener_for(ep);

    /* no listener: curl finds no socket, and the error says why */
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, l ? l->path : "/nonexistent/devstack-ssh");
    curl_easy_setopt(c, CURLOPT_PROXY, "");
}

char *engine_ssh_take_error(void)
{
    char *why;

    pthread_mutex_lock(&lock);
    reap_ended(EXIT_WAIT_MS);
    why = last_error;
    last_error = NULL;
    pthread_mutex_unlock(&lock);
    return why;
}

void engine_ssh_reap(void)
{
    pthread_mutex_lock(&lock);
    reap_ended(0);
    pthread_mutex_unlock(&lock);
}
