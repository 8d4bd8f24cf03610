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

/* The database's Alembic revision: its heads joined by "+"; NULL without any. Caller frees. */
char *workspace_revision(struct db_conn *conn);

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
};

/* Pure: what restoring `path` ("-": stdin) over a database holding `census` does. */
void workspace_restore_plan(struct workspace_restore_plan *out, const char *path,
                            const struct db_census *census, bool no_snapshot);

/* Look at what the database holds and plan the restore of `path`. */
int workspace_restore_prepare(struct db_conn *conn, const char *path, bool no_snapshot,
                              struct workspace_restore_plan *out, struct ds_error *err);

struct workspace_restore_result {
    char *snapshot; /* what the database held before, when kept; caller frees */
    struct db_dump_stats snapshot_stats;
    struct db_restore_stats stats;
    struct db_census after;
};

/*
 * Carry out the plan with the dump open on `fd`: keep the snapshot, drop
 * and recreate the database, load the dump. A failure after the snapshot
 * names it in the hint.
 */
int workspace_restore(const struct workspace *ws, struct db_conn *conn,
                      const struct workspace_restore_plan *plan, int fd,
                      volatile sig_atomic_t *cancel, struct workspace_restore_result *out,
                      struct ds_error *err);
void workspace_restore_result_release(struct workspace_restore_result *r);

#endif
