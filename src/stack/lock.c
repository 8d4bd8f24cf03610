/*
 * A project's lock: flock(2) on a file keyed by engine endpoint and project
 * name. A directory's lock: flock(2) on the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "stack/lock.h"
#include "util/alloc.h"
#include "util/path.h"
#include "util/strutil.h"
#include "util/banned.h"

#define POLL_NS       100000000L /* how often a waiting command looks again */
#define HOLDER_MAX    4096       /* what is read of a lock file */
#define LOCK_NAME_MAX 64         /* of the project's name in the file's */

/* ---- the holder's description ------------------------------------------------------ */

/* A value on one line: control characters would end it or fake another key. */
static void add_value(struct buf *out, const char *s)
{
    for (; s && *s; s++)
        buf_addch(out, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

void stack_lock_holder_format(struct buf *out, const struct stack_lock_holder *h,
                              const char *endpoint, const char *project)
{
    buf_addf(out, "pid=%ld\nsince=%lld\ncommand=", h->pid, (long long)h->since);
    add_value(out, h->command);
    /* for a person who reads the file; the parser needs only the three above */
    buf_adds(out, "\nendpoint=");
    add_value(out, endpoint);
    buf_adds(out, "\nproject=");
    add_value(out, project);
    buf_addch(out, '\n');
}

int stack_lock_holder_parse(struct stack_lock_holder *h, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    int64_t pid = 0, since = -1;

    memset(h, 0, sizeof(*h));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *value;

        eq = memchr(p, '=', n);
        if (eq) {
            size_t klen = (size_t)(eq - p);

            value = xstrndup(eq + 1, n - klen - 1);
            if (klen == 3 && !strncmp(p, "pid", 3)) {
                if (str_to_int64(value, 1, INT32_MAX, &pid) < 0)
                    pid = 0;
            } else if (klen == 5 && !strncmp(p, "since", 5)) {
                if (str_to_int64(value, 0, INT64_MAX, &since) < 0)
                    since = -1;
            } else if (klen == 7 && !strncmp(p, "command", 7) && *value && !h->command) {
                h->command = value;
                value = NULL;
            }
            free(value);
        }
        p += n + 1;
    }
    if (!pid || since < 0 || !h->command) {
        stack_lock_holder_release(h);
        return DS_EINVAL;
    }
    h->pid = (long)pid;
    h->since = (time_t)since;
    return 0;
}

void stack_lock_holder_release(struct stack_lock_holder *h)
{
    free(h->command);
    memset(h, 0, sizeof(*h));
}

void stack_lock_holder_describe(struct buf *out, const struct stack_lock_holder *h)
{
    char when[16] = "";
    struct tm tm;

    if (!h) {
        buf_adds(out, "another devstack command");
        return;
    }
    if (!h->since || !localtime_r(&h->since, &tm)) {
        buf_addf(out, "'%s' (pid %ld)", h->command, h->pid);
        return;
    }
    strftime(when, sizeof(when), "%H:%M:%S", &tm);
    buf_addf(out, "'%s' (pid %ld, since %s)", h->command, h->pid, when);
}

/* ---- where --------------------------------------------------------------------------- */

char *stack_lock_dir(uid_t uid, bool run_user)
{
    struct buf b = BUF_INIT;

    if (uid == 0)
        buf_adds(&b, "/run/devstack");
    else if (run_user)
        buf_addf(&b, "/run/user/%lu/devstack", (unsigned long)uid);
    else
        buf_addf(&b, "/tmp/devstack-%lu", (unsigned long)uid);
    return buf_detach(&b, NULL);
}

char *stack_lock_path(const char *dir, const char *endpoint, const char *project)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    struct buf b = BUF_INIT;

    /* the name for a person; the digest of both for uniqueness */
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, endpoint, strlen(endpoint));
    EVP_DigestUpdate(ctx, "\n", 1);
    EVP_DigestUpdate(ctx, project, strlen(project));
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    buf_addf(&b, "%s/", dir);
    /* a file name has 255 bytes at most; the digest tells long names apart */
    for (const char *p = project; *p && p - project < LOCK_NAME_MAX; p++)
        buf_addch(&b, (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'
                              ? *p
                              : '_');
    buf_addch(&b, '-');
    for (unsigned int i = 0; i < 8 && i < len; i++)
        buf_addf(&b, "%02x", md[i]);
    buf_adds(&b, ".lock");
    return buf_detach(&b, NULL);
}

/* A directory only `uid` can write into, or an error saying what is wrong with it. */
static int private_dir(const char *dir, uid_t uid, bool create, struct ds_error *err)
{
    struct stat st;

    if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
        return ds_error_errno(err, errno, "cannot create '%s'", dir);
    if (lstat(dir, &st) < 0)
        return ds_error_errno(err, errno, "cannot use '%s'", dir);
    if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 022)) {
        ds_error_set(err, DS_EPERM, "'%s' is not a directory of this user's alone", dir);
        ds_error_hint(err, "remove it, or make it a directory owned by uid %lu with mode 700",
                      (unsigned long)uid);
        return DS_EPERM;
    }
    return 0;
}

/* The lock directory of this user, made when missing. */
static char *lock_dir(struct ds_error *err)
{
    uid_t uid = geteuid();
    struct ds_error ignored = DS_ERROR_INIT;
    bool run_user = false;
    char *dir;

    if (uid != 0) {
        dir = stack_lock_dir(uid, true);
        *strrchr(dir, '/') = '\0';
        run_user = private_dir(dir, uid, false, &ignored) == 0;
        ds_error_release(&ignored);
        free(dir);
    }
    dir = stack_lock_dir(uid, run_user);
    if (private_dir(dir, uid, true, err) < 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

/* One engine reached by two names (/var/run is /run) is one key. */
static char *canonical_endpoint(const char *endpoint)
{
    const char *sock;
    char *real;
    struct buf b = BUF_INIT;

    if (!endpoint)
        return xstrdup("");
    if (!str_skip_prefix(endpoint, "unix://", &sock) || !(real = realpath(sock, NULL)))
        return xstrdup(endpoint);
    buf_addf(&b, "unix://%s", real);
    free(real);
    return buf_detach(&b, NULL);
}

/* ---- taking it ------------------------------------------------------------------------ */

/* The description in the lock file; NULL when it cannot be read yet (being written). */
static struct stack_lock_holder *read_holder(int fd, struct stack_lock_holder *h)
{
    char text[HOLDER_MAX];
    ssize_t n = pread(fd, text, sizeof(text), 0);

    if (n <= 0 || stack_lock_holder_parse(h, text, (size_t)n) < 0)
        return NULL;
    return h;
}

static bool same_holder(const struct stack_lock_holder *a, const struct stack_lock_holder *b)
{
    return a->pid == b->pid && a->since == b->since && a->command && b->command &&
           !strcmp(a->command, b->command);
}

static void copy_holder(struct stack_lock_holder *to, const struct stack_lock_holder *from)
{
    stack_lock_holder_release(to);
    if (!from)
        return;
    to->pid = from->pid;
    to->since = from->since;
    to->command = xstrdup(from->command);
}

/* ---- a directory's holder, from /proc ------------------------------------------------ */

long stack_lock_proc_holder(const char *text, unsigned long major, unsigned long minor,
                            unsigned long ino)
{
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        char type[16], mode[16];
        unsigned long maj, min, i;
        long pid;

        /* "2: FLOCK  ADVISORY  WRITE 12249 fe:00:13836760 0 EOF"; a waiter's has "->" for type */
        if (sscanf(line, "%*u: %15s %*15s %15s %ld %lx:%lx:%lu", type, mode, &pid, &maj, &min,
                   &i) == 6 &&
            !strcmp(type, "FLOCK") && !strcmp(mode, "WRITE") && pid > 0 && maj == major &&
            min == minor && i == ino)
            return pid;
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

void stack_lock_proc_command(struct buf *out, const char *cmdline, size_t len)
{
    const char *p = cmdline, *end = cmdline + len, *base;
    unsigned words = 0;

    if (!len || !*cmdline)
        return;
    base = strrchr(cmdline, '/');
    buf_adds(out, base ? base + 1 : cmdline);
    for (p += strnlen(p, (size_t)(end - p)) + 1; p < end && *p != '-' && words < 3; words++) {
        size_t n = strnlen(p, (size_t)(end - p));

        buf_addch(out, ' ');
        for (size_t k = 0; k < n; k++)
            buf_addch(out, (unsigned char)p[k] < 0x20 || p[k] == 0x7f ? '?' : p[k]);
        p += n + 1;
    }
}

/* When process `pid` started, from its stat (clock ticks after boot) and the boot time. */
static time_t proc_start(long pid)
{
    struct buf stat = BUF_INIT, sys = BUF_INIT;
    char path[64];
    const char *p;
    unsigned long long ticks;
    long long btime;
    long hz = sysconf(_SC_CLK_TCK);
    time_t t = 0;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    /* the command's name, in parentheses, may hold spaces: the fields follow the last ')' */
    if (hz > 0 && buf_read_file(&stat, path, 4096) == 0 && (p = strrchr(stat.buf, ')')) &&
        sscanf(p + 1,
               " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
               "%*d %llu",
               &ticks) == 1 &&
        buf_read_file(&sys, "/proc/stat", 1u << 20) == 0 && (p = strstr(sys.buf, "\nbtime ")) &&
        sscanf(p, "\nbtime %lld", &btime) == 1)
        t = (time_t)(btime + (long long)(ticks / (unsigned long long)hz));
    buf_release(&stat);
    buf_release(&sys);
    return t;
}

/* Who holds the lock on the directory open at fd; NULL when /proc does not tell. */
static struct stack_lock_holder *dir_holder(int fd, struct stack_lock_holder *h)
{
    struct buf locks = BUF_INIT, cmdline = BUF_INIT, command = BUF_INIT;
    struct stat st;
    char path[64];
    long pid = 0;

    if (fstat(fd, &st) == 0 && buf_read_file(&locks, "/proc/locks", 16u << 20) == 0)
        pid = stack_lock_proc_holder(locks.buf, major(st.st_dev), minor(st.st_dev),
                                     (unsigned long)st.st_ino);
    buf_release(&locks);
    if (pid <= 0)
        return NULL;
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    if (buf_read_file(&cmdline, path, 1u << 16) == 0)
        stack_lock_proc_command(&command, cmdline.buf, cmdline.len);
    buf_release(&cmdline);
    memset(h, 0, sizeof(*h));
    h->pid = pid;
    h->since = proc_start(pid);
    h->command = command.len ? buf_detach(&command, NULL) : xstrdup("another command");
    buf_release(&command);
    return h;
}

/* ---- waiting ---------------------------------------------------------------------------- */

static int interrupted(const char *what, struct ds_error *err)
{
    return ds_error_set(err, DS_EINTR, "interrupted while waiting for %s", what);
}

/*
 * Wait for the lock on fd, telling o->waiting about each holder (`holder`
 * finds it). `what` names the thing locked in errors.
 */
static int wait_for(int fd, const struct stack_lock_options *o, const char *what,
                    struct stack_lock_holder *(*holder)(int, struct stack_lock_holder *),
                    struct ds_error *err)
{
    struct stack_lock_holder told = {0}, now = {0};
    bool told_any = false;
    int rc = 0;

    for (unsigned polls = 0;; polls++) {
        struct timespec pause = {0, POLL_NS};
        const struct stack_lock_holder *h;

        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            rc = ds_error_errno(err, errno, "cannot lock %s", what);
            break;
        }
        h = holder(fd, &now);
        if (o->no_wait) {
            struct buf who = BUF_INIT;

            stack_lock_holder_describe(&who, h);
            rc = ds_error_set(err, DS_ECONFLICT, "%s is busy: %s is changing it", what, who.buf);
            buf_release(&who);
            break;
        }
        /* a description that does not read is being written: tell who once it reads */
        if (h ? !told_any || !same_holder(h, &told) : !told_any && polls == 10) {
            copy_holder(&told, h);
            told_any = true;
            if (o->waiting)
                o->waiting(h ? &told : NULL, o->ud);
        }
        stack_lock_holder_release(&now);
        if (o->cancel && *o->cancel) {
            rc = interrupted(what, err);
            break;
        }
        nanosleep(&pause, NULL);
        if (o->cancel && *o->cancel) {
            rc = interrupted(what, err);
            break;
        }
    }
    stack_lock_holder_release(&now);
    stack_lock_holder_release(&told);
    return rc;
}

/*
 * Replace the lock file's text (NULL: empty it). A failure leaves a text
 * that does not read: waiters say "another devstack command", and the
 * lock holds all the same.
 */
static bool write_description(int fd, const struct buf *text)
{
    return ftruncate(fd, 0) == 0 &&
           (!text || pwrite(fd, text->buf, text->len, 0) == (ssize_t)text->len);
}

int stack_lock_acquire(struct stack_lock *l, const struct stack_lock_options *o,
                       struct ds_error *err)
{
    char *dir = NULL, *endpoint = canonical_endpoint(o->endpoint);
    struct stack_lock_holder me = {.pid = (long)getpid(), .since = time(NULL)};
    struct buf text = BUF_INIT, what = BUF_INIT;
    struct stat st;
    int fd = -1, rc = 0;

    l->fd = -1;
    l->path = NULL;
    if (!(dir = lock_dir(err))) {
        rc = err->code;
        goto done;
    }
    l->path = stack_lock_path(dir, endpoint, o->project);
    buf_addf(&what, "project '%s'", o->project);
    for (;;) {
        struct stat now;

        fd = open(l->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
        if (fd < 0) {
            rc = ds_error_errno(err, errno, "cannot open the lock file '%s'", l->path);
            goto done;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            rc = ds_error_set(err, DS_EINVAL, "the lock file '%s' is not a regular file", l->path);
            goto done;
        }
        if ((rc = wait_for(fd, o, what.buf, read_holder, err)) < 0)
            goto done;
        /*
         * The holder before us removes the file as it lets go: a lock on a
         * file no longer at the path guards nothing. Open the path again.
         */
        if (stat(l->path, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino)
            break;
        close(fd);
        fd = -1;
    }
    /* ours now: say who we are, for the next one */
    me.command = (char *)o->command;
    stack_lock_holder_format(&text, &me, endpoint, o->project);
    write_description(fd, &text);
    l->fd = fd;
    fd = -1;

done:
    if (fd >= 0)
        close(fd);
    if (rc < 0) {
        free(l->path);
        l->path = NULL;
    }
    buf_release(&text);
    buf_release(&what);
    free(endpoint);
    free(dir);
    return rc;
}

int stack_lock_acquire_dir(struct stack_lock *l, const char *dir, const char *what,
                           const struct stack_lock_options *o, struct ds_error *err)
{
    int fd, rc;

    l->fd = -1;
    l->path = NULL;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ds_error_errno(err, errno, "cannot open %s", what);
    if ((rc = wait_for(fd, o, what, dir_holder, err)) < 0) {
        close(fd);
        return rc;
    }
    l->fd = fd;
    return 0;
}

void stack_lock_release(struct stack_lock *l)
{
    if (l->fd >= 0) {
        /*
         * Removed while held, so that the directory does not keep a file for
         * every project ever locked; whoever waits on it opens the path again.
         * Where removing fails, the description goes, so nobody reads a stale one.
         */
        if (l->path && unlink(l->path) < 0)
            write_description(l->fd, NULL);
        close(l->fd);
    }
    free(l->path);
    l->fd = -1;
    l->path = NULL;
}
