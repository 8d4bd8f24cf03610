/*
 * The promise that nothing is deleted without a backup: snapshots of the
 * workspace's database (dumps kept in .devstack/snapshots/), the snapshot
 * taken before clear and reset destroy it, and restores that keep what the
 * database held before replacing it.
 */
#ifndef DEVSTACK_WORKSPACE_SNAPSHOT_H
#define DEVSTACK_WORKSPACE_SNAPSHOT_H

#include <signal.h>
#include <stdbool.h>

#include "db/dump.h"
#include "db/snapshot.h"
#include "stack/clear.h"
#include "workspace/workspace.h"

/*
 * How pg_dump and psql run for the workspace's PostgreSQL database: in the
 * database service's container when the URL is the stack's database and
 * ws->engine is set, else on this host. out->where points into `where`.
 */
void workspace_pg_tools(const struct workspace *ws, struct db_pg_tools *out, struct buf *where);

/*
 * The database's Alembic revision (from the version table env.py names): its
 * heads joined by "+"; NULL without any. Caller frees.
 */
char *workspace_revision(const struct workspace *ws, struct db_conn *conn);

/*
 * A dump of the workspace's database to `path` ("-": stdout; .gz
 * compresses), its header naming the Alembic revision.
 */
int workspace_dump(const struct workspace *ws, struct db_conn *conn, const char *path, bool replace,
                   volatile sig_atomic_t *cancel, struct db_dump_stats *stats,
                   struct ds_error *err);

/* Where the workspace's snapshots live (db_snapshot_dir() of its project). Caller frees. */
char *workspace_snapshot_dir(const struct workspace *ws);

/*
 * Dump the database into the snapshot directory, named after the project,
 * the time, the Alembic revision and `label` (may be NULL). *path (caller
 * frees) names the file; stats says what it holds.
 */
int workspace_snapshot_take(const struct workspace *ws, struct db_conn *conn, const char *label,
                            volatile sig_atomic_t *cancel, char **path, struct db_dump_stats *stats,
                            struct ds_error *err);

/* Tell of a snapshot taken: "snapshot: PATH (1.2 MB; 12 tables, ...)", and events left out. */
void workspace_note_snapshot(const struct workspace_notes *n, const char *path,
                             const struct db_dump_stats *s);

/*
 * Before `what` ("clear", "reset") destroys the project's database: a
 * snapshot labelled "before-<what>". Returns 1 with *path when one was
 * taken; 0 when there is nothing to keep (no database service); a negative
 * code when it failed (the database cannot be reached, the disk is full,
 * interrupted): err says that nothing was deleted and names --no-snapshot.
 */
int workspace_snapshot_before(const struct workspace *ws, const char *what,
                              volatile sig_atomic_t *cancel, char **path,
                              struct db_dump_stats *stats, struct ds_error *err);

/*
 * The database service whose data goes with what `clear` removes: one of
 * its named volumes is in the list, or its container is and keeps the data
 * in an anonymous volume (no bind or named volume mounted). NULL: none.
 */
const struct compose_service *workspace_clear_at_risk(const struct workspace *ws,
                                                      const struct stack_clear_list *l);

/* What a restore is about to do, before anything is asked or touched. */
struct workspace_restore_plan {
    const char *source;      /* the dump's name: its path, or "standard input" */
    bool from_stdin;         /* (--yes is needed: the terminal cannot be asked) */
    struct db_census before; /* what the database holds now */
    bool replaces;           /* it holds something: it is dropped first */
    bool snapshot;           /* keep a snapshot of it first */

    /* ---- filled by workspace_restore_prepare() ---- */
    struct db_dump_check dump; /* what the dump says of itself, read to its end */
    int fd;                    /* the dump, rewound (standard input copied to a file first) */
    char *bring_back;          /* the folder a reset moved alembic.ini and the scripts to, whose
                                  revision files have the dump's revision: they come back */
    char *aside;               /* where the current ones go then */
    char *ini, *scripts;       /* the workspace's alembic.ini and scripts folder */
};

/* Pure: what restoring `path` ("-": stdin) over a database holding `census` does. */
void workspace_restore_plan(struct workspace_restore_plan *out, const char *path,
                            const struct db_census *census, bool no_snapshot);

/* Where the revision files that agree with a dump's revision are. */
struct workspace_revision_files {
    const char *revision; /* the dump's (heads joined by "+"); NULL: it names none */
    bool uses_alembic;    /* the workspace has alembic.ini */
    bool here;            /* its revision files have all of `revision` */
    const char *moved;    /* else a folder reset moved the files to that has it; NULL: none */
};

/*
 * Pure: after a restore the database and the revision files must agree.
 * *bring_back is NULL when they will (or the dump names no revision), else
 * the folder whose files come back (in->moved). DS_ENOTFOUND, saying what to
 * do, when the dump's revision is in no file, here or moved aside.
 */
int workspace_restore_files(const struct workspace_revision_files *in, const char **bring_back,
                            struct ds_error *err);

/*
 * Open `path` ("-": standard input, copied to a temporary file), read the
 * dump to its end (db_restore_check(): nothing is touched for a dump that
 * is cut short or switches databases), look at what the database holds and
 * where the dump's revision files are, and plan the restore.
 */
int workspace_restore_prepare(const struct workspace *ws, struct db_conn *conn, const char *path,
                              bool no_snapshot, struct workspace_restore_plan *out,
                              struct ds_error *err);
void workspace_restore_plan_release(struct workspace_restore_plan *p);

struct workspace_restore_result {
    char *snapshot;    /* what the database held before, when kept; caller frees */
    bool brought_back; /* plan->bring_back's files are in place; the others in plan->aside */
    struct db_dump_stats snapshot_stats;
    struct db_restore_stats stats;
    struct db_census after;
};

/*
 * Carry out the plan: keep the snapshot, drop and recreate the database,
 * load the dump, bring the revision files back. A failure after the
 * snapshot names it in the hint.
 */
int workspace_restore(const struct workspace *ws, struct db_conn *conn,
                      const struct workspace_restore_plan *plan, volatile sig_atomic_t *cancel,
                      struct workspace_restore_result *out, struct ds_error *err);
void workspace_restore_result_release(struct workspace_restore_result *r);

#endif
