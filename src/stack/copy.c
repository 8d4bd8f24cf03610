/* cp: the archive API both ways. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack/control.h"
#include "stack/copy.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/path.h"
#include "util/tar.h"
#include "util/untar.h"
#include "util/banned.h"

/* The largest single file copied into a container: it is sent from memory. */
#define COPY_FILE_MAX (1ull << 30)

static const char *base_name(const char *path)
{
    const char *end = path + strlen(path), *slash;

    while (end > path + 1 && end[-1] == '/')
        end--;
    for (slash = end; slash > path && slash[-1] != '/'; slash--)
        ;
    return slash;
}

/* "a/b/" -> "a/b", "/a/b" -> "/a", "b" -> "." */
static char *dir_name(const char *path)
{
    const char *base = base_name(path);
    size_t len = (size_t)(base - path);

    while (len > 1 && path[len - 1] == '/')
        len--;
    return len ? xstrndup(path, len) : xstrdup(".");
}

/* `base` without trailing slashes. */
static char *name_of(const char *path)
{
    const char *base = base_name(path);
    size_t len = strlen(base);

    while (len > 1 && base[len - 1] == '/')
        len--;
    return xstrndup(base, len);
}

/* ---- container -> local ---------------------------------------------------------- */

static int to_untar(int stream, const char *data, size_t len, void *ud)
{
    struct {
        struct untar *u;
        struct ds_error *err;
    } *x = ud;

    (void)stream;
    return untar_feed(x->u, data, len, x->err);
}

static int copy_from(struct engine *e, const struct stack_container *c, const struct stack_copy *cp,
                     struct ds_error *err)
{
    struct engine_path_stat st;
    struct stat local;
    char *path = xstrdup(cp->container_path), *root = NULL;
    struct {
        struct untar *u;
        struct ds_error *err;
    } x = {NULL, err};
    bool exists;
    int rc;

    rc = engine_container_stat_path(e, c->id, path, &st, err);
    if (rc == 0 && cp->follow_link && (st.mode & ENGINE_MODE_SYMLINK) && st.link_target &&
        *st.link_target) {
        free(path);
        path = xstrdup(st.link_target);
        engine_path_stat_release(&st);
        rc = engine_container_stat_path(e, c->id, path, &st, err);
    }
    if (rc == DS_ENOTFOUND) {
        ds_error_release(err);
        rc = ds_error_set(err, DS_ENOTFOUND, "no such file or directory '%s' in container %s", path,
                          c->name);
        goto done;
    }
    if (rc < 0)
        goto done;
    if (!strcmp(cp->local, "-")) {
        rc = engine_container_get_archive(e, c->id, path, cp->out, cp->ud, err);
        goto done;
    }
    exists = stat(cp->local, &local) == 0;
    if (!exists && errno != ENOENT) {
        rc = ds_error_errno(err, errno, "cannot copy to '%s'", cp->local);
    } else if (exists && S_ISDIR(local.st_mode)) {
        struct buf b = BUF_INIT;

        buf_addf(&b, "%s/%s", cp->local, st.name ? st.name : "copy");
        root = buf_detach(&b, NULL);
    } else if (exists && (st.mode & ENGINE_MODE_DIR)) {
        rc = ds_error_set(err, DS_EINVAL, "cannot copy directory '%s' to file '%s'", path,
                          cp->local);
    } else if (!exists && cp->local[strlen(cp->local) - 1] == '/') {
        rc = ds_error_set(err, DS_ENOTFOUND, "destination directory '%s' does not exist",
                          cp->local);
    } else {
        root = xstrdup(cp->local);
    }
    if (rc < 0)
        goto done;
    x.u = untar_new(root, cp->archive);
    rc = engine_container_get_archive(e, c->id, path, to_untar, &x, err);
    if (rc == 0)
        rc = untar_finish(x.u, err);

done:
    untar_free(x.u);
    engine_path_stat_release(&st);
    free(path);
    free(root);
    return rc;
}

/* ---- local -> container ---------------------------------------------------------- */

struct fd_reader {
    int fd;
    int error;
};

static ssize_t read_fd(char *buf, size_t size, void *ud)
{
    struct fd_reader *r = ud;

    for (;;) {
        ssize_t n = read(r->fd, buf, size);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            r->error = errno;
        return n;
    }
}

struct mem_reader {
    const struct buf *b;
    size_t off;
};

static ssize_t read_mem(char *buf, size_t size, void *ud)
{
    struct mem_reader *r = ud;
    size_t n = r->b->len - r->off < size ? r->b->len - r->off : size;

    memcpy(buf, r->b->buf + r->off, n);
    r->off += n;
    return (ssize_t)n;
}

static int put_buf(struct engine *e, const char *id, const char *dir, const struct buf *tar,
                   bool archive, struct ds_error *err)
{
    struct mem_reader r = {tar, 0};

    return engine_container_put_archive_stream(e, id, dir, read_mem, &r, archive, err);
}

static int copy_to(struct engine *e, const struct stack_container *c, const struct stack_copy *cp,
                   struct ds_error *err)
{
    struct engine_path_stat dest = {0};
    struct stat st;
    struct buf tar = BUF_INIT, content = BUF_INIT, inner = BUF_INIT;
    char *put_dir = NULL, *name = NULL;
    struct tar_stream *ts = NULL;
    bool dest_exists;
    int rc;

    rc = engine_container_stat_path(e, c->id, cp->container_path, &dest, err);
    if (rc == DS_ENOTFOUND) {
        ds_error_release(err);
        rc = 0;
        dest_exists = false;
    } else {
        dest_exists = rc == 0;
    }
    if (rc < 0)
        goto done;

    if (!strcmp(cp->local, "-")) {
        struct fd_reader r = {cp->in_fd, 0};

        if (!dest_exists || !(dest.mode & ENGINE_MODE_DIR)) {
            rc = ds_error_set(err, DS_EINVAL,
                              "destination '%s' in container %s must be a directory to extract "
                              "a tar into",
                              cp->container_path, c->name);
            goto done;
        }
        rc = engine_container_put_archive_stream(e, c->id, cp->container_path, read_fd, &r,
                                                 cp->archive, err);
        if (r.error)
            rc = ds_error_errno(err, r.error, "cannot read the archive from stdin");
        goto done;
    }

    if ((cp->follow_link ? stat(cp->local, &st) : lstat(cp->local, &st)) < 0) {
        rc = ds_error_errno(err, errno, "cannot copy '%s'", cp->local);
        if (errno == ENOENT)
            err->code = rc = DS_ENOTFOUND;
        goto done;
    }
    if (dest_exists && (dest.mode & ENGINE_MODE_DIR)) {
        put_dir = xstrdup(cp->container_path);
        name = name_of(cp->local);
    } else if (dest_exists && S_ISDIR(st.st_mode)) {
        rc = ds_error_set(err, DS_EINVAL, "cannot copy directory '%s' to file '%s' in container %s",
                          cp->local, cp->container_path, c->name);
        goto done;
    } else {
        put_dir = dir_name(cp->container_path);
        name = name_of(cp->container_path);
    }

    if (S_ISDIR(st.st_mode)) {
        /* the directory first, then what is in it, below it */
        rc = tar_one_dir(&tar, name, st.st_mode & 07777, cp->archive ? st.st_uid : 0,
                         cp->archive ? st.st_gid : 0, (long long)st.st_mtime) < 0
                     ? ds_error_set(err, DS_EINVAL, "cannot put '%s' in an archive", name)
                     : put_buf(e, c->id, put_dir, &tar, cp->archive, err);
        if (rc == 0)
            rc = tar_stream_open(&ts, cp->local, NULL, NULL, err);
        if (rc == 0 && cp->archive)
            tar_stream_keep_owners(ts);
        if (rc == 0) {
            buf_addf(&inner, "%s%s%s", put_dir, put_dir[strlen(put_dir) - 1] == '/' ? "" : "/",
                     name);
            rc = engine_container_put_archive_stream(e, c->id, inner.buf, tar_stream_read, ts,
                                                     cp->archive, err);
            if (tar_stream_error(ts) && tar_stream_error(ts)->code) {
                ds_error_release(err);
                rc = ds_error_set(err, tar_stream_error(ts)->code, "%s", tar_stream_error(ts)->msg);
            }
        }
    } else if (S_ISLNK(st.st_mode)) {
        rc = ds_error_set(err, DS_EUNSUPPORTED,
                          "'%s' is a symbolic link: copy what it points to "
                          "with -L",
                          cp->local);
    } else if (S_ISREG(st.st_mode)) {
        rc = buf_read_file(&content, cp->local, COPY_FILE_MAX);
        if (rc < 0)
            rc = ds_error_errno(err, errno, "cannot read '%s'", cp->local);
        else if (tar_one_file(&tar, name, content.buf, content.len, st.st_mode & 07777,
                              cp->archive ? st.st_uid : 0, cp->archive ? st.st_gid : 0,
                              (long long)st.st_mtime) < 0)
            rc = ds_error_set(err, DS_EINVAL, "cannot put '%s' in an archive", cp->local);
        else
            rc = put_buf(e, c->id, put_dir, &tar, cp->archive, err);
    } else {
        rc = ds_error_set(err, DS_EUNSUPPORTED, "'%s' is not a file or a directory", cp->local);
    }

done:
    tar_stream_free(ts);
    engine_path_stat_release(&dest);
    buf_release(&tar);
    buf_release(&content);
    buf_release(&inner);
    free(put_dir);
    free(name);
    return rc;
}

int stack_copy(struct engine *e, const struct compose_project *p, const struct stack_copy *cp,
               struct ds_error *err)
{
    struct stack_container_list l = {0};
    const struct strvec one = {.v = (char *[]){(char *)cp->service, NULL}, .n = 1};
    size_t done = 0;
    int rc;

    rc = stack_select(e, p, &one, STACK_SELECT_ALL, &l, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        const struct stack_container *c = &l.items[i];
        bool first = cp->index == 0 && !cp->to_container;

        if (l.items[i].oneoff || (cp->index > 0 && c->number != cp->index))
            continue;
        if (first) { /* the lowest number */
            for (size_t k = 0; k < l.n; k++)
                if (!l.items[k].oneoff && l.items[k].number < c->number)
                    c = &l.items[k];
        }
        rc = cp->to_container ? copy_to(e, c, cp, err) : copy_from(e, c, cp, err);
        done++;
        if (first)
            break;
    }
    if (rc == 0 && !done) {
        if (cp->index > 0)
            rc = ds_error_set(err, DS_ENOTFOUND, "service '%s' has no container number %d",
                              cp->service, cp->index);
        else
            rc = ds_error_set(err, DS_ENOTFOUND, "service '%s' has no container", cp->service);
        ds_error_hint(err, "create it with 'devstack up -d %s'", cp->service);
    }
    stack_container_list_release(&l);
    return rc;
}
