/*
 * inotify, made recursive: one watch per directory, a table from watch
 * descriptor to the directory's path, and a new watch for each directory
 * that appears. A file is watched through its directory, which is watched
 * alone (not what is below it) unless something else asks for it whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/fswatch.h"
#include "util/path.h"
#include "util/banned.h"

#define DIR_MASK                                                                                   \
    (IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE | IN_MOVED_FROM |              \
     IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW | IN_ONLYDIR)

struct fswatch_dir {
    int wd;
    char *path;
    bool recursive;
};

struct fswatch {
    int fd;
    struct fswatch_dir *dirs;
    size_t n, alloc;
    struct strvec roots; /* what was asked for, reported whole after an overflow */
};

int fswatch_new(struct fswatch **out, struct ds_error *err)
{
    struct fswatch *w;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

    *out = NULL;
    if (fd < 0)
        return ds_error_errno(err, errno, "cannot watch files (inotify)");
    w = xcalloc(1, sizeof(*w));
    w->fd = fd;
    strvec_init(&w->roots);
    *out = w;
    return 0;
}

void fswatch_free(struct fswatch *w)
{
    if (!w)
        return;
    close(w->fd);
    for (size_t i = 0; i < w->n; i++)
        free(w->dirs[i].path);
    free(w->dirs);
    strvec_clear(&w->roots);
    free(w);
}

int fswatch_fd(const struct fswatch *w)
{
    return w->fd;
}

static struct fswatch_dir *find_wd(struct fswatch *w, int wd)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->dirs[i].wd == wd)
            return &w->dirs[i];
    return NULL;
}

/* Watch one directory; 1 when it was watched whole before (nothing to walk), 0 when not. */
static int watch_dir(struct fswatch *w, const char *path, bool recursive, struct ds_error *err)
{
    struct fswatch_dir *d;
    int wd = inotify_add_watch(w->fd, path, DIR_MASK);

    if (wd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1; /* gone already: its removal is reported by its parent */
        if (errno == ENOSPC) {
            ds_error_set(err, DS_ERR, "cannot watch '%s': the limit of inotify watches is reached",
                         path);
            ds_error_hint(err, "raise fs.inotify.max_user_watches (sysctl), or watch fewer "
                               "files (ignore: in develop.watch, .dockerignore)");
            return DS_ERR;
        }
        return ds_error_errno(err, errno, "cannot watch '%s'", path);
    }
    d = find_wd(w, wd);
    if (d) {
        bool was = d->recursive;

        d->recursive = d->recursive || recursive;
        return was || !recursive;
    }
    w->dirs = xgrow(w->dirs, &w->alloc, w->n + 1, sizeof(*w->dirs));
    d = &w->dirs[w->n++];
    d->wd = wd;
    d->path = xstrdup(path);
    d->recursive = recursive;
    return 0;
}

/* Watch dir and every directory below it; `found` (may be NULL) receives what is there. */
static int watch_tree(struct fswatch *w, const char *dir, struct strvec *found,
                      struct ds_error *err)
{
    struct strvec subdirs = STRVEC_INIT;
    struct dirent *de;
    DIR *dp;
    int rc = watch_dir(w, dir, true, err);

    if (rc != 0)
        return rc < 0 ? rc : 0;
    dp = opendir(dir);
    if (!dp)
        return 0; /* removed meanwhile */
    while ((de = readdir(dp))) {
        struct stat st;
        char *p;

        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        p = path_join(dir, de->d_name);
        if (found)
            strvec_push(found, p);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            strvec_push_nodup(&subdirs, p);
        else
            free(p);
    }
    closedir(dp);
    for (size_t i = 0; rc == 0 && i < subdirs.n; i++)
        rc = watch_tree(w, subdirs.v[i], found, err);
    strvec_clear(&subdirs);
    return rc;
}

int fswatch_add(struct fswatch *w, const char *path, struct ds_error *err)
{
    struct stat st;
    char *dir;
    int rc;

    if (stat(path, &st) < 0)
        return ds_error_errno(err, errno, "cannot watch '%s'", path);
    strvec_push(&w->roots, path);
    if (S_ISDIR(st.st_mode))
        return watch_tree(w, path, NULL, err);
    dir = path_dirname(path);
    rc = watch_dir(w, dir, false, err);
    free(dir);
    return rc < 0 ? rc : 0;
}

static void forget_wd(struct fswatch *w, int wd)
{
    for (size_t i = 0; i < w->n; i++) {
        if (w->dirs[i].wd != wd)
            continue;
        free(w->dirs[i].path);
        w->dirs[i] = w->dirs[--w->n];
        return;
    }
}

int fswatch_read(struct fswatch *w, struct strvec *paths, struct ds_error *err)
{
    char ev_buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

    for (;;) {
        ssize_t n = read(w->fd, ev_buf, sizeof(ev_buf));

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                return DS_EINTR;
            return ds_error_errno(err, errno, "cannot read file changes (inotify)");
        }
        for (char *p = ev_buf; p < ev_buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            struct fswatch_dir *d;
            char *full;
            int rc;

            p += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                /* changes were lost: report everything, the caller syncs it again */
                for (size_t i = 0; i < w->roots.n; i++)
                    strvec_push(paths, w->roots.v[i]);
                continue;
            }
            if (ev->mask & IN_IGNORED) {
                forget_wd(w, ev->wd);
                continue;
            }
            d = find_wd(w, ev->wd);
            if (!d || !ev->len)
                continue; /* the directory itself: its parent reports it */
            full = path_join(d->path, ev->name);
            strvec_push(paths, full);
            if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && d->recursive) {
                /* what was made in it before its watch existed is reported with it */
                rc = watch_tree(w, full, paths, err);
                if (rc < 0) {
                    free(full);
                    return rc;
                }
            }
            free(full);
        }
    }
}
