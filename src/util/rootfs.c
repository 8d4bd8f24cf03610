/*
 * Writing inside a root. Only the parent of a name is resolved by path, and
 * inside the root (resolve_dir); its last component is then handled relative to that
 * parent with calls that never follow a symlink there (O_CREAT | O_EXCL,
 * O_NOFOLLOW, renameat, unlinkat, mkdirat, AT_SYMLINK_NOFOLLOW), so that
 * what the container holds cannot redirect a write to the host's files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/rootfs.h"
#include "util/strvec.h"
#include "util/banned.h"

/* The most of a /proc file looked at. */
#define PROC_FILE_MAX (64u << 10)

/* Symlinks followed in one resolution, at most (the kernel's MAXSYMLINKS). */
#define LINKS_MAX 40

/*
 * The directory `path` inside root, as an O_PATH descriptor, resolved a
 * component at a time: each opened without following it, a symlink read
 * and its target resolved in its place (an absolute one from root), ".."
 * going back to the directory before but never above root. What openat2's
 * RESOLVE_IN_ROOT does, without needing Linux 5.6 (or a valgrind that knows
 * the call). -1 with errno set.
 */
static int resolve_dir(int root, const char *path)
{
    struct buf rest = BUF_INIT;
    int *stack = NULL, fd = -1, links = 0, e = 0;
    size_t n = 0, alloc = 0, pos = 0;

    buf_adds(&rest, path);
    while (pos < rest.len) {
        size_t len;
        char *comp;
        struct stat st;

        while (pos < rest.len && rest.buf[pos] == '/')
            pos++;
        len = strcspn(rest.buf + pos, "/");
        if (!len || (len == 1 && rest.buf[pos] == '.')) {
            pos += len;
            continue;
        }
        if (len == 2 && !memcmp(rest.buf + pos, "..", 2)) {
            if (n)
                close(stack[--n]);
            pos += len;
            continue;
        }
        comp = xstrndup(rest.buf + pos, len);
        pos += len;
        fd = openat(n ? stack[n - 1] : root, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        free(comp);
        if (fd < 0 || fstat(fd, &st) < 0) {
            e = errno;
            goto done;
        }
        if (S_ISLNK(st.st_mode)) {
            struct buf target = BUF_INIT;
            char link[4096];
            ssize_t got = readlinkat(fd, "", link, sizeof(link));

            close(fd);
            fd = -1;
            if (++links > LINKS_MAX || got < 0 || (size_t)got >= sizeof(link)) {
                e = got < 0 ? errno : ELOOP;
                goto done;
            }
            /* the target takes the link's place; an absolute one starts at root again */
            if (link[0] == '/')
                while (n)
                    close(stack[--n]);
            buf_add(&target, link, (size_t)got);
            buf_addch(&target, '/');
            buf_add(&target, rest.buf + pos, rest.len - pos);
            buf_release(&rest);
            rest = target;
            pos = 0;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            close(fd);
            fd = -1;
            e = ENOTDIR;
            goto done;
        }
        stack = xgrow(stack, &alloc, n + 1, sizeof(*stack));
        stack[n++] = fd;
        fd = -1;
    }
    fd = n ? stack[--n] : openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        e = errno;
done:
    while (n)
        close(stack[--n]);
    free(stack);
    buf_release(&rest);
    errno = e;
    return fd;
}

int rootfs_proc_root(int proc)
{
    return openat(proc, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* A small file of /proc into b; false when it cannot be read. */
static bool read_proc(int dfd, const char *name, struct buf *b)
{
    char chunk[4096];
    ssize_t n = 0;
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    while (b->len < PROC_FILE_MAX && (n = read(fd, chunk, sizeof(chunk))) > 0)
        buf_add(b, chunk, (size_t)n);
    close(fd);
    return n == 0 || b->len >= PROC_FILE_MAX;
}

/*
 * Is the process in container id (its cgroup path names it), and are its
 * user ids ours (no user namespace remapping: the owners the archive API
 * would map are the ones written)?
 */
static bool is_container_process(int proc, const char *id)
{
    struct buf cgroup = BUF_INIT, theirs = BUF_INIT, ours = BUF_INIT;
    bool ok = strlen(id) >= 12 && read_proc(proc, "cgroup", &cgroup) && strstr(cgroup.buf, id) &&
              read_proc(proc, "uid_map", &theirs) &&
              read_proc(AT_FDCWD, "/proc/self/uid_map", &ours) && !strcmp(theirs.buf, ours.buf);

    buf_release(&cgroup);
    buf_release(&theirs);
    buf_release(&ours);
    return ok;
}

int rootfs_open_process(int *proc, int pid, const char *id, struct ds_error *err)
{
    char path[32];
    int fd, root;

    *proc = -1;
    snprintf(path, sizeof(path), "/proc/%d", pid);
    fd = pid > 0 ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd < 0)
        return ds_error_set(err, DS_ENOTFOUND, "process %d cannot be seen from here", pid);
    if (!is_container_process(fd, id)) {
        close(fd);
        return ds_error_set(err, DS_ENOTFOUND,
                            "process %d is not one of container %.12s, or has other user ids", pid,
                            id);
    }
    root = rootfs_proc_root(fd);
    if (root < 0) {
        /* no permission: the ptrace access rules */
        ds_error_set(err, DS_ENOTFOUND, "cannot open the root of process %d: %s", pid,
                     strerror(errno));
        close(fd);
        return DS_ENOTFOUND;
    }
    close(root);
    *proc = fd;
    return 0;
}

/* Each component of an absolute name is a real one: not empty, ".", "..". */
static bool name_ok(const char *name)
{
    if (*name != '/')
        return false;
    for (const char *p = name + 1; *p;) {
        size_t len = strcspn(p, "/");

        if (!len || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += len;
        if (*p == '/' && !*++p)
            return false;
    }
    return true;
}

/* The directory `dir` (absolute, "" for the root) inside root, made with its parents when missing.
 */
static int open_dir(int root, const char *dir)
{
    const char *slash;
    char *parent;
    int pfd, fd = resolve_dir(root, *dir ? dir : "/");

    if (fd >= 0 || errno != ENOENT || !*dir)
        return fd;
    slash = strrchr(dir, '/');
    parent = xstrndup(dir, (size_t)(slash - dir));
    pfd = open_dir(root, parent);
    free(parent);
    if (pfd < 0)
        return -1;
    if (mkdirat(pfd, slash + 1, 0755) < 0 && errno != EEXIST) {
        int e = errno;

        close(pfd);
        errno = e;
        return -1;
    }
    close(pfd);
    return resolve_dir(root, dir);
}

/* rm -rf of `base` in directory dfd, never following a symlink. */
static int remove_at(int dfd, const char *base)
{
    struct strvec names = STRVEC_INIT;
    struct stat st;
    struct dirent *de;
    DIR *d;
    int fd, rc = 0;

    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dfd, base, 0) < 0 && errno != ENOENT ? -1 : 0;
    fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    /* the names first: removing while reading may skip some */
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            strvec_push(&names, de->d_name);
    for (size_t i = 0; rc == 0 && i < names.n; i++)
        rc = remove_at(dirfd(d), names.v[i]);
    closedir(d);
    strvec_clear(&names);
    if (rc == 0 && unlinkat(dfd, base, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

/* The owner of the host's file where the caller may give it (root may); else the caller's. */
static void set_owner(int fd, const struct stat *st)
{
    if (fchown(fd, st->st_uid, st->st_gid) < 0) {
        /* not root, or an id the namespace does not map: the file stays the caller's */
    }
}

static int copy_fd(int in, int out)
{
    char chunk[64 << 10];
    ssize_t n;

    while ((n = read(in, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, chunk + off, (size_t)(n - off));

            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return -1;
            off += w;
        }
    }
    return 0;
}

static int put_file(int pfd, const char *base, const char *host, struct ds_error *err,
                    const char *name)
{
    struct stat st;
    struct timespec times[2];
    char tmp[64];
    int in, out = -1, rc = 0;

    in = open(host, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (in < 0)
        return errno == ENOENT || errno == ELOOP || errno == ENOTDIR
                       ? 0 /* gone since: its removal is the next change */
                       : ds_error_errno(err, errno, "cannot read '%s'", host);
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(in);
        return 0;
    }
    /* beside the file, then renamed over it: a reader sees the old file or the new one */
    snprintf(tmp, sizeof(tmp), ".devstack-sync-%ld", (long)getpid());
    out = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0 && errno == EEXIST && unlinkat(pfd, tmp, 0) == 0)
        out = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        rc = ds_error_errno(err, errno, "cannot write '%s'", name);
        goto done;
    }
    times[0] = st.st_atim;
    times[1] = st.st_mtim;
    if (copy_fd(in, out) < 0) {
        rc = ds_error_errno(err, errno, "cannot copy '%s' to '%s'", host, name);
        goto done;
    }
    set_owner(out, &st);
    if (fchmod(out, st.st_mode & 07777) < 0 || futimens(out, times) < 0) {
        rc = ds_error_errno(err, errno, "cannot set the mode of '%s'", name);
        goto done;
    }
    if (close(out) < 0) {
        out = -1;
        rc = ds_error_errno(err, errno, "cannot write '%s'", name);
        goto done;
    }
    out = -1;
    if (renameat(pfd, tmp, pfd, base) < 0) {
        /* a directory stands there: it goes, as the archive API removes it */
        bool dir = errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST;

        if (!dir || remove_at(pfd, base) < 0 || renameat(pfd, tmp, pfd, base) < 0)
            rc = ds_error_errno(err, errno, "cannot replace '%s'", name);
    }
done:
    if (out >= 0)
        close(out);
    if (rc < 0)
        unlinkat(pfd, tmp, 0);
    close(in);
    return rc;
}

static int put_dir(int pfd, const char *base, const struct stat *st, struct ds_error *err,
                   const char *name)
{
    struct stat now;
    int fd;

    if (fstatat(pfd, base, &now, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(now.st_mode) &&
        remove_at(pfd, base) < 0)
        return ds_error_errno(err, errno, "cannot replace '%s'", name);
    if (mkdirat(pfd, base, st->st_mode & 07777) < 0 && errno != EEXIST)
        return ds_error_errno(err, errno, "cannot make directory '%s'", name);
    fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ds_error_errno(err, errno, "cannot open directory '%s'", name);
    set_owner(fd, st);
    if (fchmod(fd, st->st_mode & 07777) < 0) {
        close(fd);
        return ds_error_errno(err, errno, "cannot set the mode of '%s'", name);
    }
    close(fd);
    return 0;
}

static int put_link(int pfd, const char *base, const struct stat *st, const char *link,
                    struct ds_error *err, const char *name)
{
    if (remove_at(pfd, base) < 0 || symlinkat(link, pfd, base) < 0)
        return ds_error_errno(err, errno, "cannot make symlink '%s'", name);
    if (fchownat(pfd, base, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
        /* as set_owner(): the caller's when it cannot be the host's */
    }
    return 0;
}

/* The parent of name, made when missing, and name's last component. */
static int open_parent(int root, const char *name, const char **base, struct ds_error *err)
{
    const char *slash;
    char *dir;
    int pfd;

    if (!name_ok(name) || !name[1])
        return ds_error_set(err, DS_EINVAL, "'%s' is not a path to write in a container", name);
    slash = strrchr(name, '/');
    dir = xstrndup(name, (size_t)(slash - name));
    pfd = open_dir(root, dir);
    if (pfd < 0)
        pfd = ds_error_errno(err, errno, "cannot open directory '%s'", *dir ? dir : "/");
    free(dir);
    *base = slash + 1;
    return pfd;
}

int rootfs_put(int root, const char *name, const char *host, const struct stat *st,
               const char *link, struct ds_error *err)
{
    const char *base = NULL;
    int pfd, rc;

    if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) && !(S_ISLNK(st->st_mode) && link))
        return ds_error_set(err, DS_EINVAL, "'%s' is neither a file, a directory nor a symlink",
                            host);
    if (!strcmp(name, "/") && S_ISDIR(st->st_mode))
        return 0; /* the root itself: there */
    pfd = open_parent(root, name, &base, err);
    if (pfd < 0)
        return pfd;
    if (S_ISREG(st->st_mode))
        rc = put_file(pfd, base, host, err, name);
    else if (S_ISDIR(st->st_mode))
        rc = put_dir(pfd, base, st, err, name);
    else
        rc = put_link(pfd, base, st, link, err, name);
    close(pfd);
    return rc;
}

int rootfs_remove(int root, const char *name, struct ds_error *err)
{
    const char *base = NULL;
    char *dir;
    int pfd, rc = 0;

    if (!name_ok(name) || !name[1])
        return ds_error_set(err, DS_EINVAL, "'%s' is not a path to remove in a container", name);
    base = strrchr(name, '/');
    dir = xstrndup(name, (size_t)(base - name));
    pfd = resolve_dir(root, *dir ? dir : "/");
    if (pfd < 0 && errno != ENOENT && errno != ENOTDIR)
        rc = ds_error_errno(err, errno, "cannot open directory '%s'", *dir ? dir : "/");
    else if (pfd >= 0 && remove_at(pfd, base + 1) < 0)
        rc = ds_error_errno(err, errno, "cannot remove '%s'", name);
    if (pfd >= 0)
        close(pfd);
    free(dir);
    return rc; /* no parent: nothing to remove */
}
