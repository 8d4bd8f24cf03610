/* A project's lock: flock(2) on a file keyed by engine endpoint and project name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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
    if (localtime_r(&h->since, &tm))
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

static int interrupted(const struct stack_lock_options *o, struct ds_error *err)
{
    return ds_error_set(err, DS_EINTR, "interrupted while waiting for project '%s'", o->project);
}

/* Wait for the lock, telling o->waiting about each holder. */
static int wait_for(int fd, const struct stack_lock_options *o, struct ds_error *err)
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
            rc = ds_error_errno(err, errno, "cannot lock project '%s'", o->project);
            break;
        }
        h = read_holder(fd, &now);
        if (o->no_wait) {
            struct buf who = BUF_INIT;

            stack_lock_holder_describe(&who, h);
            rc = ds_error_set(err, DS_ECONFLICT, "project '%s' is busy: %s is changing it",
                              o->project, who.buf);
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
            rc = interrupted(o, err);
            break;
        }
        nanosleep(&pause, NULL);
        if (o->cancel && *o->cancel) {
            rc = interrupted(o, err);
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
    struct buf text = BUF_INIT;
    struct stat st;
    int fd = -1, rc = 0;

    l->fd = -1;
    l->path = NULL;
    if (!(dir = lock_dir(err))) {
        rc = err->code;
        goto done;
    }
    l->path = stack_lock_path(dir, endpoint, o->project);
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
        if ((rc = wait_for(fd, o, err)) < 0)
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
    free(endpoint);
    free(dir);
    return rc;
}

void stack_lock_release(struct stack_lock *l)
{
    if (l->fd >= 0) {
        /*
         * Removed while held, so that the directory does not keep a file for
         * every project ever locked; whoever waits on it opens the path again.
         * Where removing fails, the description goes, so nobody reads a stale one.
         */
        if (unlink(l->path) < 0)
            write_description(l->fd, NULL);
        close(l->fd);
    }
    free(l->path);
    l->fd = -1;
    l->path = NULL;
}
