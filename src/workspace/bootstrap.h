/*
 * Migrations from the models: what backend.sh and `make db-migrate` did.
 *
 * Bootstrap (run on every start of the app container, idempotent) makes
 * what is missing of alembic.ini and the scripts folder, the first revision
 * when there is none, and brings the database to head. Migrate refuses
 * unless the database is at head, autogenerates a revision, shows its
 * operations and upgrades. Both plan first, from what the files and the
 * database say, then carry the plan out.
 */
#ifndef DEVSTACK_WORKSPACE_BOOTSTRAP_H
#define DEVSTACK_WORKSPACE_BOOTSTRAP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "workspace/workspace.h"

/* ---- the files ------------------------------------------------------------------ */

enum workspace_setup_step {
    WORKSPACE_INIT,         /* alembic init the scripts folder (alembic.ini with it) */
    WORKSPACE_INIT_ASIDE,   /* the folder has files: alembic init elsewhere, keep its alembic.ini */
    WORKSPACE_INI_SETTINGS, /* script_location = %(here)s/NAME, sqlalchemy.url emptied */
    WORKSPACE_ENV_TEMPLATE, /* install the team's env.py over the generated one */
    WORKSPACE_ENV_PATCH,    /* teach Alembic's generic env.py to read DATABASE_URL */
    WORKSPACE_VERSIONS,     /* make the versions folder */
};
#define WORKSPACE_SETUP_MAX 6

/* What exists of the Alembic setup. */
struct workspace_setup_state {
    bool ini_exists;
    bool scripts_exist;  /* the scripts folder */
    bool versions_exist; /* its versions folder */
    bool have_template;  /* an env.py template to install */
};

/* The steps that make what is missing, in order; none when everything is there. */
size_t workspace_setup_plan(const struct workspace_setup_state *s,
                            enum workspace_setup_step steps[WORKSPACE_SETUP_MAX]);

/* ---- the revisions and the database ------------------------------------------------ */

enum workspace_db_step {
    WORKSPACE_GENERATE,       /* revision --autogenerate -m initial */
    WORKSPACE_GENERATE_EMPTY, /* revision -m initial: env.py gives autogenerate no target */
    WORKSPACE_STAMP,          /* stamp head: the tables are there already (--adopt) */
    WORKSPACE_UPGRADE,        /* upgrade head */
};
#define WORKSPACE_DB_STEPS_MAX 2

/* What the revision files and the database say, for bootstrap and migrate. */
struct workspace_db_state {
    size_t revisions;    /* revision files */
    size_t heads;        /* heads of the graph */
    const char *head;    /* the head when there is one, for messages */
    size_t versions;     /* rows in alembic_version */
    const char *unknown; /* a version no revision file has, or NULL */
    bool at_heads;       /* the versions are exactly the heads */
    size_t user_tables;  /* tables other than alembic_version */
    bool env_has_metadata;
    bool adopt; /* bootstrap --adopt: the tables belong to the first revision */
};

/*
 * Bootstrap's steps for the database, none when it is at head already.
 * Refused (err with the reason and the fix): a version no file has, tables
 * without any revision applied (upgrade would stop at "Table ... already
 * exists"), several heads.
 */
int workspace_bootstrap_plan(const struct workspace_db_state *s,
                             enum workspace_db_step steps[WORKSPACE_DB_STEPS_MAX], size_t *n,
                             struct ds_error *err);

/*
 * May `migrate` generate a revision? Refused (err with the reason and the
 * fix): a version no file has, several heads, the database behind, env.py
 * without target_metadata.
 */
int workspace_migrate_check(const struct workspace_db_state *s, const char *env_py,
                            struct ds_error *err);

/* ---- what a generated revision does ------------------------------------------------- */

struct workspace_op {
    char *text; /* the statement, its indentation inside upgrade() kept */
    bool drop;  /* op.drop_*: something goes */
    bool is_op; /* an op.* call, not a line that continues one */
};

struct workspace_ops {
    struct workspace_op *items;
    size_t n, alloc;
    size_t ops, drops;
};

/* The lines of upgrade() in a revision file's text: no comments, no `pass`. */
void workspace_revision_ops(const char *text, struct workspace_ops *out);
void workspace_ops_release(struct workspace_ops *ops);

/* ---- carrying them out ---------------------------------------------------------------- */

struct workspace_bootstrap_options {
    const char *template; /* env.py to install; NULL: $DEVSTACK_ENV_TEMPLATE, templates/env.py */
    unsigned wait_ms;     /* how long to wait for the database */
    bool adopt;
    volatile sig_atomic_t *cancel;
    const struct workspace_notes *notes;
};

/*
 * Wait for the database, make what is missing of the setup, generate the
 * first revision when there is none, bring the database to head (or stamp
 * it, with adopt). A second run says there is nothing to do.
 */
int workspace_bootstrap(struct workspace *ws, const struct workspace_bootstrap_options *o,
                        struct ds_error *err);

/*
 * Autogenerate a revision with `message`, show its operations, upgrade to
 * it; an empty revision is removed instead.
 */
int workspace_migrate(struct workspace *ws, const char *message,
                      const struct workspace_notes *notes, struct ds_error *err);

#endif
