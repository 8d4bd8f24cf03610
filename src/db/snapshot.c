/* The snapshot directory of a project: names, listing, lookup. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/dump.h"
#include "db/snapshot.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/path.h"
#include "util/strutil.h"
#include "util/banned.h"

char *db_snapshot_dir(const char *start)
{
    char *dir = realpath(start, NULL), *at, *home;

    if (!dir)
        dir = path_absolute(start);
    at = xstrdup(dir);

    /* the repository's top, where the host and the dev container both see it */
    for (;;) {
        char *git = path_join(at, ".git"), *up;
        bool found = access(git, F_OK) == 0;

        free(git);
        if (found || !strcmp(at, "/"))
            break;
        up = path_dirname(at);
        free(at);
        at = up;
    }
    home = path_join(strcmp(at, "/") || !access("/.git", F_OK) ? at : dir, ".devstack/snapshots");
    free(at);
    free(dir);
    return home;
}

static int make_dir(const char *dir, struct ds_error *err)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return ds_error_errno(err, errno, "cannot create '%s'", dir);
    return 0;
}

int db_snapshot_dir_prepare(const char *dir, struct ds_error *err)
{
    char *parent = path_dirname(dir), *ignore = path_join(parent, ".gitignore");
    static const char text[] = "# made by devstack: snapshots and state, never committed\n*\n";
    int rc;

    rc = make_dir(parent, err);
    if (rc == 0 && !path_is_file(ignore))
        rc = file_write_atomic(ignore, text, sizeof(text) - 1, 0644, err);
    if (rc == 0)
        rc = make_dir(dir, err);
    free(parent);
    free(ignore);
    return rc;
}

static bool label_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

int db_snapshot_name(struct buf *out, const char *project, time_t when, unsigned n,
                     const char *revision, const char *label, struct ds_error *err)
{
    char stamp[32];
    struct tm tm;

    if (label && !label_ok(label)) {
        ds_error_set(err, DS_EINVAL,
                     "snapshot name '%s' has characters other than letters, "
                     "digits, '-' and '_'",
                     label);
        return DS_EINVAL;
    }
    gmtime_r(&when, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    buf_addf(out, "%s.%s", project, stamp);
    if (n > 1)
        buf_addf(out, "-%u", n);
    buf_addch(out, '.');
    if (!revision || !*revision) {
        buf_adds(out, "none");
    } else {
        /* revision ids are free text in Alembic: keep what a file name can carry */
        for (const char *p = revision; *p; p++) {
            bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                         (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' || *p == '-';
            buf_addch(out, plain ? *p : '-');
        }
    }
    if (label)
        buf_addf(out, ".%s", label);
    buf_adds(out, DB_SNAPSHOT_SUFFIX);
    return 0;
}

/* "20261122T101500Z" (or "...Z-2", the second that second) as a time; -1 when it is not one. */
static time_t parse_stamp(const char *s, size_t len)
{
    struct tm tm = {0};
    const char *end;

    if (len > 17 && s[16] == '-' && strspn(s + 17, "0123456789") == len - 17)
        len = 16;
    if (len != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
    if (end != s + 16)
        return -1;
    return timegm(&tm);
}

void db_snapshot_parse(struct db_snapshot *s, const char *file_name)
{
    size_t len = strlen(file_name);
    const char *p, *dot1, *dot2, *dot3;
    time_t taken;

    memset(s, 0, sizeof(*s));
    s->taken = -1;
    if (str_ends_with(file_name, DB_SNAPSHOT_SUFFIX))
        len -= strlen(DB_SNAPSHOT_SUFFIX);
    s->name = xstrndup(file_name, len);
    p = s->name;
    if (!(dot1 = strchr(p, '.')) || !(dot2 = strchr(dot1 + 1, '.')))
        return;
    taken = parse_stamp(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (taken < 0 || dot1 == p)
        return;
    dot3 = strchr(dot2 + 1, '.');
    if (dot3 == dot2 + 1 || (!dot3 && !dot2[1]))
        return;
    s->taken = taken;
    s->project = xstrndup(p, (size_t)(dot1 - p));
    s->revision = dot3 ? xstrndup(dot2 + 1, (size_t)(dot3 - dot2 - 1)) : xstrdup(dot2 + 1);
    if (!strcmp(s->revision, "none")) {
        free(s->revision);
        s->revision = NULL;
    }
    if (dot3)
        s->label = xstrdup(dot3 + 1);
}

void db_snapshot_release(struct db_snapshot *s)
{
    free(s->name);
    free(s->path);
    free(s->project);
    free(s->revision);
    free(s->label);
    memset(s, 0, sizeof(*s));
}

/* A live dump of an earlier version writes all the time: one untouched this long is dead. */
#define UNLOCKED_PARTIAL_AGE 3600

/*
 * Is `name` a partial file of a dump that died, and removed? The host and a
 * dev container share this directory from different PID namespaces, so the
 * PID in a name says nothing here: a writer holds a flock on its file until
 * the file has its final name, and one that can be taken is a dead dump's.
 * ".NAME.partial-PID" of earlier versions, written without a lock, goes
 * only when that PID is gone here and the file is an hour old.
 */
static bool remove_dead_partial(const char *dir, const char *name)
{
    const char *dash = strrchr(name, '-');
    bool locked_kind = str_ends_with(name, DB_DUMP_LOCKED_SUFFIX), removed = false;
    struct stat opened, named;
    int64_t pid = 0;
    char *path;
    int fd;

    if (name[0] != '.' || !strstr(name, ".partial-") || !dash)
        return false;
    if (!locked_kind && str_to_int64(dash + 1, 1, INT32_MAX, &pid) < 0)
        return false;
    path = path_join(dir, name);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        goto done;
    if (fstat(fd, &opened) < 0 || !S_ISREG(opened.st_mode) || flock(fd, LOCK_EX | LOCK_NB) < 0)
        goto done;
    if (!locked_kind && (time(NULL) - opened.st_mtime < UNLOCKED_PARTIAL_AGE ||
                         kill((pid_t)pid, 0) == 0 || errno != ESRCH))
        goto done;
    /* removed while locked, and only the file that was judged */
    if (stat(path, &named) == 0 && named.st_dev == opened.st_dev && named.st_ino == opened.st_ino)
        removed = unlink(path) == 0;

done:
    if (fd >= 0)
        close(fd);
    free(path);
    return removed;
}

static int cmp_snapshot(const void *a, const void *b)
{
    const struct db_snapshot *x = a, *y = b;

    if (x->taken != y->taken)
        return x->taken < y->taken ? -1 : 1;
    if (x->mtime_ns != y->mtime_ns)
        return x->mtime_ns < y->mtime_ns ? -1 : 1;
    return strcmp(x->name, y->name);
}

int db_snapshot_list(const char *dir, struct db_snapshots *out, struct ds_error *err)
{
    DIR *d;
    struct dirent *e;
    size_t alloc = 0;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->removed);
    if (!(d = opendir(dir))) {
        if (errno == ENOENT)
            return 0;
        return ds_error_errno(err, errno, "cannot read '%s'", dir);
    }
    while ((e = readdir(d))) {
        struct db_snapshot *s;
        struct stat st;
        char *path;

        if (remove_dead_partial(dir, e->d_name)) {
            strvec_push(&out->removed, e->d_name);
            continue;
        }
        if (e->d_name[0] == '.' || !str_ends_with(e->d_name, DB_SNAPSHOT_SUFFIX))
            continue;
        path = path_join(dir, e->d_name);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        out->items = xgrow(out->items, &alloc, out->n + 1, sizeof(*out->items));
        s = &out->items[out->n++];
        db_snapshot_parse(s, e->d_name);
        s->path = path;
        s->size = (int64_t)st.st_size;
        s->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        if (s->taken < 0)
            s->taken = st.st_mtime;
    }
    closedir(d);
    if (out->n)
        qsort(out->items, out->n, sizeof(*out->items), cmp_snapshot);
    return 0;
}

void db_snapshots_release(struct db_snapshots *l)
{
    for (size_t i = 0; i < l->n; i++)
        db_snapshot_release(&l->items[i]);
    free(l->items);
    strvec_clear(&l->removed);
    memset(l, 0, sizeof(*l));
}

const struct db_snapshot *db_snapshot_find(const struct db_snapshots *l, const char *name,
                                           struct ds_error *err)
{
    const struct db_snapshot *by_label = NULL, *by_prefix = NULL;
    size_t len = strlen(name), prefixed = 0;
    struct buf candidates = BUF_INIT;

    if (str_ends_with(name, DB_SNAPSHOT_SUFFIX))
        len -= strlen(DB_SNAPSHOT_SUFFIX);
    for (size_t i = 0; i < l->n; i++) {
        const struct db_snapshot *s = &l->items[i];

        if (strlen(s->name) == len && !strncmp(s->name, name, len))
            return s;
        if (s->label && strlen(s->label) == len && !strncmp(s->label, name, len))
            by_label = s; /* oldest first: the last is the newest */
        if (!strncmp(s->name, name, len)) {
            by_prefix = s;
            prefixed++;
            buf_addf(&candidates, "%s%s", candidates.len ? ", " : "", s->name);
        }
    }
    if (by_label) {
        buf_release(&candidates);
        return by_label;
    }
    if (prefixed == 1) {
        buf_release(&candidates);
        return by_prefix;
    }
    if (prefixed > 1) {
        ds_error_set(err, DS_EINVAL, "snapshot '%.*s' is ambiguous: %s", (int)len, name,
                     candidates.buf);
        ds_error_hint(err, "give more of the name");
    } else {
        ds_error_set(err, DS_ENOTFOUND, "no snapshot '%.*s'", (int)len, name);
        ds_error_hint(err, l->n ? "'devstack db snapshots' lists them"
                                : "there are none yet; 'devstack db snapshot' takes one");
    }
    buf_release(&candidates);
    return NULL;
}
