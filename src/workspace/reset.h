/*
 * reset: the "delete alembic/, alembic.ini and mysql/data" ritual, made
 * safe. A plan says what goes and what stays before anything is touched;
 * carrying it out keeps a snapshot of the database first, stops the stack,
 * deletes the database's data (its volume or bind directory), moves
 * alembic.ini and the migrations folder aside when the bootstrap made them
 * (not when git tracks them: they are the project's history), and brings
 * the stack up again, whose app container bootstraps Alembic from the
 * models. With keep_data only the Alembic state goes: the files move aside,
 * alembic_version is dropped, and a fresh initial revision is generated
 * from the models and stamped on the data that is there.
 *
 * Interrupted anywhere, what is left is the old state or one `devstack up`
 * repairs: the snapshot is whole or absent, and the steps after it only
 * remove what `up` and the bootstrap make again.
 */
#ifndef DEVSTACK_WORKSPACE_RESET_H
#define DEVSTACK_WORKSPACE_RESET_H

#include <signal.h>
#include <stdbool.h>

#include "db/dump.h"
#include "stack/stack.h"
#include "workspace/workspace.h"

/* What the plan looks at besides the project: gathered by workspace_reset_prepare(). */
struct workspace_reset_inputs {
    bool ini_exists, scripts_exist; /* alembic.ini and the migrations folder */
    bool git_tracks;                /* git tracks either of them */
    size_t containers;              /* the project's containers (not one-offs) */
    const char *aside;              /* where the Alembic files would move */
    bool keep_data, no_snapshot;

    /* the database's named volume on the engine */
    bool volume_exists;
    const char *volume_project, *volume_key; /* its compose labels; NULL: none */

    /* its bind-mounted data directory: what it and the places it must not touch resolve to */
    const char *bind_real;    /* the directory, symlinks resolved */
    bool bind_holds_git;      /* it has a .git */
    const char *project_dir;  /* the project's directory, resolved */
    const char *git_top;      /* the git work tree the project is in, or NULL */
    const char *snapshot_dir; /* .devstack/snapshots, resolved */
};

struct workspace_reset_plan {
    const struct compose_service *db, *app; /* point into the project */
    bool snapshot;                          /* first, a snapshot of the database */
    bool keep_data;
    size_t containers; /* stopped and removed (not with keep_data) */
    char *volume;      /* the engine's name of the database's named volume: deleted */
    char *bind_dir;    /* or its bind-mounted data directory: emptied */
    /* neither: the data is in an anonymous volume that goes with its container */
    char *ini, *scripts; /* alembic.ini and the migrations folder */
    bool move_alembic;   /* they exist and git does not track them: moved to `aside` */
    char *kept_why;      /* why they stay, when they exist and stay */
    char *aside;
};

/*
 * Pure: what a reset of the workspace deletes and keeps. A project without
 * a database service cannot be reset (DS_ENOTFOUND, saying what it needs).
 * Data that is not the project's to delete is refused (DS_EPERM, saying how
 * to remove it by hand if that is meant): an external volume, a volume
 * another project (or none) made, a bind directory that is not strictly
 * inside the project or its git work tree, holds a .git, or holds the
 * snapshots or the git directory.
 */
int workspace_reset_plan(struct workspace_reset_plan *out, const struct workspace *ws,
                         const struct workspace_reset_inputs *in, struct ds_error *err);
void workspace_reset_plan_release(struct workspace_reset_plan *p);

/*
 * Look at the engine (the project's containers), git (does it track the
 * Alembic files?) and the snapshot directory (where the files would move:
 * .devstack/reset-<time>/), then plan.
 */
int workspace_reset_prepare(struct workspace_reset_plan *out, const struct workspace *ws,
                            struct engine *e, bool keep_data, bool no_snapshot,
                            struct ds_error *err);

struct workspace_reset_options {
    const struct stack_apply_options *ao; /* for stopping (its cancel) and bringing the stack up */
    const struct stack_options *up;       /* how the stack comes up again; NULL: as `up -d` */
    /*
     * Run `cmd` (with `env` added) in the app service's container: how the
     * new initial revision is made with keep_data. Returns its exit code.
     */
    int (*exec)(const char *service, const struct strvec *cmd, const struct strvec *env, void *ud);
    void *ud;
    volatile sig_atomic_t *cancel;
    const struct workspace_notes *notes;
};

struct workspace_reset_result {
    char *snapshot; /* the snapshot taken first; caller frees */
    struct db_dump_stats snapshot_stats;
    bool moved;   /* the Alembic files went to plan->aside */
    bool came_up; /* the stack was brought up again (not with keep_data) */
    struct workspace_ready ready;
};

/*
 * Carry out the plan. A failure after the snapshot leaves it in out (and
 * err says what failed); DS_EINTR when interrupted before anything was
 * deleted.
 */
int workspace_reset(const struct workspace *ws, struct engine *e,
                    const struct workspace_reset_plan *plan,
                    const struct workspace_reset_options *o, struct workspace_reset_result *out,
                    struct ds_error *err);
void workspace_reset_result_release(struct workspace_reset_result *r);

#endif
