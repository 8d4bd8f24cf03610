/*
 * What the database commands share (db, migrate, doctor, up): where the
 * Alembic project and the database are, how to run Alembic, and the
 * diagnosis of migration trouble.
 */
#ifndef DEVSTACK_DBCMD_H
#define DEVSTACK_DBCMD_H

#include <stdbool.h>

#include "db/db.h"
#include "migrate/migrate.h"
#include "stack/dbinfo.h"
#include "util/error.h"
#include "util/strvec.h"

struct compose_project;

struct db_target {
    struct compose_project *project; /* NULL: a plain Alembic project */
    struct stack_db_info info;       /* valid with a project */
    bool in_devcontainer;            /* DEVSTACK_DEVCONTAINER is set: we are the app */

    char *ini_path; /* alembic.ini, absolute; it may not exist yet (bootstrap) */
    bool ini_exists;
    struct alembic_ini ini; /* when ini_loaded */
    bool ini_loaded;

    struct db_url url; /* when have_url */
    bool have_url;
    char *url_source; /* where the URL came from, for messages */
    char *no_url;     /* why there is none, when !have_url */
};

/* db_target_open() flags */
#define DBT_NEED_INI 0x1u /* alembic.ini must exist and load */
#define DBT_NEED_URL 0x2u /* a database URL must be known */

/*
 * Find the project: alembic.ini from `config` (-c), $ALEMBIC_CONFIG, the
 * current directory, or the compose project's Alembic service directory; the
 * URL from $DATABASE_URL, the compose project's database service, or
 * alembic.ini. `section` is -n (NULL: alembic).
 */
int db_target_open(struct db_target *t, const char *config, const char *section, unsigned flags,
                   struct ds_error *err);
void db_target_release(struct db_target *t);

/* Connect with the target's URL (err says how the URL was found on failure). */
int db_target_connect(struct db_target *t, struct db_conn **out, unsigned timeout_ms,
                      enum db_reason *why, struct ds_error *err);

/* Load the revision files of the target's alembic.ini. */
int db_target_revmap(struct db_target *t, struct revmap *map, struct ds_error *err);

/*
 * Should Alembic run in the compose project's app container (we are on the
 * host and the project has one)? Then *service names it.
 */
bool db_target_remote(const struct db_target *t, const char **service);

/*
 * Run Alembic with args (after "alembic -c INI") in the target's directory,
 * with DATABASE_URL set to the target's URL. Returns Alembic's exit status or
 * a negative code. out/errout capture when non-NULL.
 */
int db_run_alembic(const struct db_target *t, const struct strvec *args, struct buf *out,
                   struct buf *errout, struct ds_error *err);

/*
 * Re-run this devstack command (argv) in the app service's container: what
 * the host does for commands that need the app's Python.
 */
int db_exec_remote(const struct db_target *t, const char *service, int argc, char **argv);

/* ---- diagnosis (dbdiag.c) ------------------------------------------------ */

enum db_verdict { DBD_OK, DBD_WARN, DBD_FAIL };

struct db_finding {
    enum db_verdict verdict;
    char *what;   /* "database", "revision", "heads", ... */
    char *detail; /* what was found */
    char *fix;    /* what to do, or NULL */
};

struct db_findings {
    struct db_finding *items;
    size_t n, alloc;
};

/* Everything `doctor` says about the migration state of t. */
void db_diagnose(struct db_target *t, struct db_findings *out);
void db_findings_release(struct db_findings *f);

/*
 * For a database stamped with `rev` that no file has: the git commands that
 * would bring the file back, appended to `out` ("git checkout C -- PATH").
 */
void db_find_lost_revision(const struct db_target *t, const char *rev, struct strvec *out);

/*
 * The heads an up-to-date database is at: Alembic's get_revisions("heads"),
 * where a head that another branch depends on does not count.
 */
int db_resolved_heads(const struct revmap *map, struct strvec *ids, struct ds_error *err);
/* Are the database's versions exactly those heads? */
bool db_at_heads(const struct revmap *map, const struct strvec *versions);

/* Does the target's env.py set target_metadata (to something other than None)? */
bool db_env_has_metadata(const struct db_target *t);

/* Run the alembic_version query and the graph; the database's versions. */
int db_current_versions(struct db_target *t, struct strvec *versions, bool *table_exists,
                        struct ds_error *err);

/* ---- dumps, snapshots and the client (dbsnap.c) ---------------------------- */

/* The db verbs dump, restore, snapshot (take, restore, rm), snapshots and shell. */
int db_dump_cmd(int argc, char **argv);
int db_restore_cmd(int argc, char **argv);
int db_snapshot_cmd(int argc, char **argv);
int db_snapshots_cmd(int argc, char **argv);
int db_shell_cmd(int argc, char **argv);

/*
 * Before `what` ("clear", "reset") destroys the project's database: take a
 * snapshot of it under the project's .devstack/snapshots/. Returns 1 with
 * *path (caller frees) when one was taken; 0 when there is nothing to keep
 * (the project has no database service); a negative code when it failed
 * (the database cannot be reached, the disk is full): err says why, with a
 * hint naming --no-snapshot. Progress goes to stderr.
 */
int db_snapshot_before(struct compose_project *p, const char *what, char **path,
                       struct ds_error *err);

#endif
