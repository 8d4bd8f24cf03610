/*
 * Snapshots: compressed dumps kept in the project, under
 * .devstack/snapshots/ (see db_snapshot_dir()), named so that a listing says what each one is:
 *
 *     <project>.<YYYYMMDD>T<HHMMSS>Z[-<n>].<revision>[.<label>].sql.gz
 *
 * e.g. "shop.20261122T101500Z.3f2a1b9c0d4e.before-reset.sql.gz". The
 * revision is the database's Alembic revision when it was taken ("none"
 * without one; heads joined by "+"). The directory gets a .gitignore of its
 * own, so snapshots never end up in a commit.
 */
#ifndef DEVSTACK_DB_SNAPSHOT_H
#define DEVSTACK_DB_SNAPSHOT_H

#include <stdint.h>
#include <time.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"

#define DB_SNAPSHOT_SUFFIX ".sql.gz"

struct db_snapshot {
    char *name;       /* the file name without DB_SNAPSHOT_SUFFIX */
    char *path;       /* the file */
    char *project;    /* from the name; NULL for a file named otherwise */
    char *revision;   /* from the name; NULL for "none" or a file named otherwise */
    char *label;      /* from the name, or NULL */
    time_t taken;     /* from the name; the file's mtime for a file named otherwise */
    int64_t mtime_ns; /* the file's, for the order within one second */
    int64_t size;
};

struct db_snapshots {
    struct db_snapshot *items; /* oldest first */
    size_t n;
    struct strvec removed; /* partial files of dumps that died, removed while listing */
};

/*
 * Where the snapshots of the project in directory `start` live:
 * .devstack/snapshots at the top of the git repository that holds `start`
 * (so the host and a dev container with the repository mounted share
 * them), or under `start` itself outside a repository. Caller frees.
 */
char *db_snapshot_dir(const char *start);

/* Create the directory (and .devstack/.gitignore) when missing. */
int db_snapshot_dir_prepare(const char *dir, struct ds_error *err);

/*
 * The file name of a snapshot of `project` taken at `when` at `revision`
 * (NULL: none), with `label` (NULL: none; letters, digits, '-' and '_'
 * only, else DS_EINVAL), appended to out. `n` > 1 tells apart the n-th
 * snapshot of the same second ("...Z-2.").
 */
int db_snapshot_name(struct buf *out, const char *project, time_t when, unsigned n,
                     const char *revision, const char *label, struct ds_error *err);

/* Read the fields of a file name (with or without the suffix) into s (name, project, ...). */
void db_snapshot_parse(struct db_snapshot *s, const char *file_name);
void db_snapshot_release(struct db_snapshot *s);

/*
 * The snapshots in `dir` (no directory: none), oldest first. Partial files
 * of dumps that died (killed mid-dump: their lock is free) are removed and
 * named in out->removed.
 */
int db_snapshot_list(const char *dir, struct db_snapshots *out, struct ds_error *err);
void db_snapshots_release(struct db_snapshots *l);

/*
 * The snapshot `name` names: its full name (with or without the suffix),
 * its label, or a prefix of one name; the newest when a label names
 * several. NULL with err set (listing the candidates) otherwise.
 */
const struct db_snapshot *db_snapshot_find(const struct db_snapshots *l, const char *name,
                                           struct ds_error *err);

#endif
