#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"
#include "util/banned.h"

int file_write_all(int fd, const void *buf, size_t len)
{
    const char *data = buf;

    while (len) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copy `in` to `out`; *reading tells which side failed. Returns 0 or -errno. */
static int copy_fd(int in, int out, bool *reading)
{
    char chunk[65536];

    for (;;) {
        ssize_t n = read(in, chunk, sizeof(chunk));
        int rc;

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *reading = true;
            return n < 0 ? -errno : 0;
        }
        rc = file_write_all(out, chunk, (size_t)n);
        if (rc < 0) {
            *reading = false;
            return rc;
        }
    }
}

/* Put the finished temporary file at dst unless something is there: 1 placed, 0 taken. */
static int place(const char *tmp, const char *dst, bool *renamed)
{
    if (link(tmp, dst) == 0)
        return 1;
    if (errno == EEXIST)
        return 0;
    if (errno != EPERM && errno != ENOTSUP && errno != ENOSYS)
        return -errno;
    /* a file system without hard links (vfat, some FUSE): an atomic rename that never replaces */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) == 0) {
        *renamed = true;
        return 1;
    }
    return errno == EEXIST ? 0 : -errno;
}

/*
 * Create `dst` (the caller saw none) with what `in` holds (in >= 0; `src` names
 * it in messages) or `data`: a temporary file beside it, synced, linked into
 * place so that `dst` is never half-written nor replaced.
 */
static int create_new(const char *dst, mode_t mode, int in, const char *src, const char *data,
                      size_t len, struct ds_error *err)
{
    struct buf tmp = BUF_INIT;
    bool reading = false, renamed = false;
    int out, rc;

    buf_addf(&tmp, "%s.XXXXXX", dst);
    out = mkostemp(tmp.buf, O_CLOEXEC);
    if (out < 0) {
        rc = ds_error_errno(err, errno, "cannot create '%s'", dst);
        buf_release(&tmp); /* nothing to remove */
        return rc;
    }
    rc = fchmod(out, mode) < 0 ? -errno
         : in >= 0             ? copy_fd(in, out, &reading)
                               : file_write_all(out, data, len);
    /* on disk before it has its name: a crash must not leave an empty file there */
    if (rc == 0 && fsync(out) < 0)
        rc = -errno;
    if (close(out) < 0 && rc == 0)
        rc = -errno;
    if (rc < 0) {
        rc = reading ? ds_error_errno(err, -rc, "cannot read '%s'", src)
                     : ds_error_errno(err, -rc, "cannot write '%s'", dst);
        goto done;
    }
    rc = place(tmp.buf, dst, &renamed);
    if (rc < 0)
        rc = ds_error_errno(err, -rc, "cannot create '%s'", dst);

done:
    if (!renamed)
        unlink(tmp.buf);
    buf_release(&tmp);
    return rc;
}

int file_copy_new(const char *src, const char *dst, mode_t mode, struct ds_error *err)
{
    struct stat st;
    int in, rc;

    if (lstat(dst, &st) == 0)
        return 0;
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ds_error_errno(err, errno, "cannot read '%s'", src);
    rc = create_new(dst, mode, in, src, NULL, 0, err);
    close(in);
    return rc;
}

int file_write_new(const char *dst, const char *data, size_t len, mode_t mode, struct ds_error *err)
{
    struct stat st;

    if (lstat(dst, &st) == 0)
        return 0;
    return create_new(dst, mode, -1, NULL, data, len, err);
}

int file_write_atomic(const char *path, const char *data, size_t len, mode_t mode,
                      struct ds_error *err)
{
    struct buf tmp = BUF_INIT;
    int out, rc;

    buf_addf(&tmp, "%s.XXXXXX", path);
    out = mkostemp(tmp.buf, O_CLOEXEC);
    if (out < 0) {
        rc = ds_error_errno(err, errno, "cannot create '%s'", path);
        buf_release(&tmp);
        return rc;
    }
    rc = fchmod(out, mode) < 0 ? -errno : file_write_all(out, data, len);
    if (rc == 0 && fsync(out) < 0)
        rc = -errno;
    if (close(out) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp.buf, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp.buf);
        rc = ds_error_errno(err, -rc, "cannot write '%s'", path);
    }
    buf_release(&tmp);
    return rc;
}

static bool is_stream(mode_t m)
{
    return S_ISFIFO(m) || S_ISCHR(m);
}

/* A FIFO or character device: opened without creating or truncating anything, then checked. */
static int write_stream(const char *path, bool follow, const char *data, size_t len,
                        struct ds_error *err)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
    int rc;

    if (fd < 0)
        return ds_error_errno(err, errno, "cannot write '%s'", path);
    /* what was opened, not what was looked at: the path may have changed since */
    if (fstat(fd, &st) < 0 || !is_stream(st.st_mode)) {
        close(fd);
        ds_error_set(err, DS_EINVAL, "cannot write '%s': it changed while being opened", path);
        return DS_EINVAL;
    }
    rc = file_write_all(fd, data, len);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc < 0)
        return ds_error_errno(err, -rc, "cannot write '%s'", path);
    return 0;
}

int file_write_output(const char *path, const char *data, size_t len, mode_t mode,
                      struct ds_error *err)
{
    struct stat st, target;
    char link[4096];
    ssize_t n;

    if (lstat(path, &st) < 0) {
        if (errno != ENOENT)
            return ds_error_errno(err, errno, "cannot write '%s'", path);
        return file_write_atomic(path, data, len, mode, err);
    }
    if (S_ISREG(st.st_mode))
        return file_write_atomic(path, data, len, mode, err);
    if (is_stream(st.st_mode))
        return write_stream(path, false, data, len, err);
    if (S_ISLNK(st.st_mode)) {
        if (stat(path, &target) == 0 && is_stream(target.st_mode))
            return write_stream(path, true, data, len, err);
        n = readlink(path, link, sizeof(link) - 1);
        link[n < 0 ? 0 : n] = '\0';
        ds_error_set(err, DS_EINVAL,
                     "refusing to write '%s': it is a symbolic link (to '%s'), and the output "
                     "would land wherever it points",
                     path, link);
        ds_error_hint(err, "remove the link, or name the file itself with -o");
        return DS_EINVAL;
    }
    ds_error_set(err, DS_EINVAL, "cannot write '%s': it is %s, not a file", path,
                 S_ISDIR(st.st_mode) ? "a directory" : "neither a file nor a stream");
    return DS_EINVAL;
}

int file_copy(const char *src, const char *dst, mode_t mode, struct ds_error *err)
{
    struct buf text = BUF_INIT;
    int rc;

    if (buf_read_file(&text, src, 64u << 20) < 0) {
        rc = ds_error_errno(err, errno, "cannot read '%s'", src);
        buf_release(&text);
        return rc;
    }
    rc = file_write_atomic(dst, text.buf, text.len, mode, err);
    buf_release(&text);
    return rc;
}

static int remove_at(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (fd < 0) {
        /* not a directory (or a symlink to one): the entry itself goes */
        if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
            return -errno;
        return 0;
    }
    d = fdopendir(fd);
    if (!d) {
        rc = -errno;
        close(fd);
        return rc;
    }
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if ((rc = remove_at(dirfd(d), e->d_name)) < 0)
            break;
    }
    closedir(d);
    if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = -errno;
    return rc;
}

int file_remove_tree(const char *path, struct ds_error *err)
{
    int rc = remove_at(AT_FDCWD, path);

    if (rc < 0 && err)
        return ds_error_errno(err, -rc, "cannot remove '%s'", path);
    return rc;
}
