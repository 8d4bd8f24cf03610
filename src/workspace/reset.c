/* reset: plan what goes and what stays, then snapshot, delete, move aside, come up again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "workspace/internal.h"
#include "workspace/reset.h"
#include "workspace/snapshot.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/path.h"
#include "util/run.h"
#include "util/banned.h"

/* Where the database keeps its files (stack_data_dir_database: MySQL's, PostgreSQL's). */
static bool is_data_dir(const char *target)
{
    return stack_data_dir_database(target) != NULL;
}

/* Why reset may not delete the named volume `v` (NULL: it may). */
static int refuse_volume(const struct compose_project *p, const struct compose_volume *v,
                         const struct workspace_reset_inputs *in, struct ds_error *err)
{
    if (v->external)
        ds_error_set(err, DS_EPERM,
                     "volume '%s' is external: its data is not project '%s''s to delete", v->name,
                     p->name);
    else if (in->volume_exists && (!in->volume_project || strcmp(in->volume_project, p->name)))
        ds_error_set(err, DS_EPERM, "volume '%s' was made by %s%s%s, not by project '%s'", v->name,
                     in->volume_project ? "project '" : "something else",
                     in->volume_project ? in->volume_project : "", in->volume_project ? "'" : "",
                     p->name);
    else if (in->volume_exists && in->volume_key && strcmp(in->volume_key, v->key))
        ds_error_set(err, DS_EPERM, "volume '%s' is the project's volume '%s', not '%s'", v->name,
                     in->volume_key, v->key);
    else
        return 0;
    ds_error_hint(err,
                  "if its data is meant to go, remove it by hand once nothing uses it: docker "
                  "volume rm %s; 'devstack reset --keep-data' resets only the Alembic state",
                  v->name);
    return DS_EPERM;
}

/* Why reset may not empty the bind directory (NULL: it may). */
static const char *bind_refusal(const struct workspace_reset_inputs *in)
{
    char *git_dir = in->git_top ? path_join(in->git_top, ".git") : NULL;
    const char *why = NULL;

    if (!path_within(in->bind_real, in->project_dir, true) &&
        !(in->git_top && path_within(in->bind_real, in->git_top, true)))
        why = "it is not a directory inside the project or its git work tree";
    else if (path_within(in->project_dir, in->bind_real, false))
        why = "it holds the project's compose files";
    else if (in->bind_holds_git || (git_dir && path_within(git_dir, in->bind_real, false)))
        why = "it holds a git repository";
    else if (in->snapshot_dir && path_within(in->snapshot_dir, in->bind_real, false))
        why = "it holds the database snapshots";
    free(git_dir);
    return why;
}

int workspace_reset_plan(struct workspace_reset_plan *out, const struct workspace *ws,
                         const struct workspace_reset_inputs *in, struct ds_error *err)
{
    const struct compose_project *p = ws->project;

    memset(out, 0, sizeof(*out));
    out->db = ws->services.db;
    if (!p || !out->db) {
        ds_error_set(err, DS_ENOTFOUND, "project '%s' has no database service", p ? p->name : "");
        ds_error_hint(err, "reset needs a service with MYSQL_DATABASE or MARIADB_DATABASE in its "
                           "environment, or a PostgreSQL one (POSTGRES_DB, POSTGRES_USER)");
        return DS_ENOTFOUND;
    }
    out->app = ws->services.app;
    out->keep_data = in->keep_data;
    out->snapshot = !in->no_snapshot;
    out->containers = in->containers;
    for (size_t i = 0; i < out->db->n_volumes; i++) {
        const struct compose_mount *m = &out->db->volumes[i];
        const struct compose_volume *v;

        if (!is_data_dir(m->target) || !m->source)
            continue;
        if (m->type == COMPOSE_MOUNT_VOLUME && (v = compose_find_volume(p, m->source))) {
            if (!in->keep_data && refuse_volume(p, v, in, err) < 0)
                goto refused;
            free(out->volume);
            out->volume = xstrdup(v->name);
        } else if (m->type == COMPOSE_MOUNT_BIND) {
            const char *why = in->keep_data || !in->bind_real ? NULL : bind_refusal(in);

            if (why) {
                ds_error_set(err, DS_EPERM,
                             "refusing to empty '%s' (service '%s' mounts it at %s): %s",
                             in->bind_real, out->db->name, m->target, why);
                ds_error_hint(err, "check the bind source in the compose file (a variable such "
                                   "as MYSQL_DATA set to the wrong path?); to delete the "
                                   "database's files anyway, stop the stack and remove them by "
                                   "hand");
                goto refused;
            }
            free(out->bind_dir);
            out->bind_dir = xstrdup(m->source);
        }
    }
    if (ws->ini_path) {
        out->ini = xstrdup(ws->ini_path);
        out->scripts = workspace_scripts_dir(ws);
    }
    if (out->ini && (in->ini_exists || in->scripts_exist)) {
        if (in->git_tracks)
            out->kept_why = xstrdup("git tracks them: they are the project's migration history");
        else
            out->move_alembic = true;
    }
    out->aside = in->aside ? xstrdup(in->aside) : NULL;
    return 0;

refused:
    workspace_reset_plan_release(out);
    return DS_EPERM;
}

void workspace_reset_plan_release(struct workspace_reset_plan *p)
{
    free(p->volume);
    free(p->bind_dir);
    free(p->ini);
    free(p->scripts);
    free(p->kept_why);
    free(p->aside);
    memset(p, 0, sizeof(*p));
}

/* Does git track `path` (asked in its directory)? False outside a repository. */
static bool git_tracks(const char *path)
{
    struct strvec argv = STRVEC_INIT;
    struct run_options o = {.null_stdin = true, .quiet = true};
    struct ds_error err = DS_ERROR_INIT;
    char *dir = path_dirname(path);
    int rc;

    strvec_pushv(&argv, (const char *const[]){"git", "-C", dir, "ls-files", "--error-unmatch", "--",
                                              path_basename(path), NULL});
    rc = run_command(&argv, &o, &err);
    ds_error_release(&err);
    strvec_clear(&argv);
    free(dir);
    return rc == 0;
}

/* The git work tree `dir` is in, or NULL. */
static char *git_top(const char *dir)
{
    struct strvec argv = STRVEC_INIT;
    struct run_options o = {.null_stdin = true, .quiet = true};
    struct ds_error err = DS_ERROR_INIT;
    struct buf out = BUF_INIT;
    char *top = NULL;

    o.out = &out;
    strvec_pushv(&argv,
                 (const char *const[]){"git", "-C", dir, "rev-parse", "--show-toplevel", NULL});
    if (run_command(&argv, &o, &err) == 0) {
        buf_rtrim(&out);
        if (out.len)
            top = path_resolve(out.buf);
    }
    ds_error_release(&err);
    strvec_clear(&argv);
    buf_release(&out);
    return top;
}

/* The database's data mount, as the plan will read it. */
static const struct compose_mount *data_mount(const struct compose_service *db)
{
    const struct compose_mount *found = NULL;

    for (size_t i = 0; db && i < db->n_volumes; i++)
        if (is_data_dir(db->volumes[i].target) && db->volumes[i].source)
            found = &db->volumes[i];
    return found;
}

int workspace_reset_prepare(struct workspace_reset_plan *out, const struct workspace *ws,
                            struct engine *e, bool keep_data, bool no_snapshot,
                            struct ds_error *err)
{
    struct workspace_reset_inputs in = {.keep_data = keep_data, .no_snapshot = no_snapshot};
    struct stack_container_list l = {0};
    const struct compose_mount *m;
    const struct compose_volume *v;
    char *scripts = NULL, *aside = NULL, *vol_project = NULL, *vol_key = NULL;
    char *bind_real = NULL, *project_dir = NULL, *top = NULL, *snapdir = NULL, *snapreal = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!ws->project) {
        ds_error_set(err, DS_ENOTFOUND, "no compose project here");
        ds_error_hint(err, ws->inside_app ? "run 'devstack reset' on the host"
                                          : "run it in the project, or name the file with -f");
        return DS_ENOTFOUND;
    }
    rc = stack_list_containers(e, ws->project->name, STACK_LIST_ALL, &l, err);
    if (rc < 0)
        return rc;
    in.containers = l.n;
    stack_container_list_release(&l);

    m = data_mount(ws->services.db);
    if (m && m->type == COMPOSE_MOUNT_VOLUME && (v = compose_find_volume(ws->project, m->source)) &&
        !v->external) {
        rc = stack_volume_owner(e, v->name, &vol_project, &vol_key, err);
        if (rc < 0)
            goto done;
        in.volume_exists = rc == 1;
        in.volume_project = vol_project;
        in.volume_key = vol_key;
    } else if (m && m->type == COMPOSE_MOUNT_BIND) {
        char *git_path;

        in.bind_real = bind_real = path_resolve(m->source);
        git_path = path_join(bind_real, ".git");
        in.bind_holds_git = access(git_path, F_OK) == 0;
        free(git_path);
        in.project_dir = project_dir = path_resolve(ws->project->working_dir);
        in.git_top = top = git_top(project_dir);
        snapdir = workspace_snapshot_dir(ws);
        in.snapshot_dir = snapreal = path_resolve(snapdir);
    }

    if (ws->ini_path) {
        scripts = workspace_scripts_dir(ws);
        in.ini_exists = path_is_file(ws->ini_path);
        in.scripts_exist = path_is_dir(scripts);
        in.git_tracks = (in.ini_exists || in.scripts_exist) &&
                        (git_tracks(ws->ini_path) || git_tracks(scripts));
    }
    aside = workspace_aside_dir(ws, "reset");
    in.aside = aside;
    rc = workspace_reset_plan(out, ws, &in, err);

done:
    free(scripts);
    free(aside);
    free(vol_project);
    free(vol_key);
    free(bind_real);
    free(project_dir);
    free(top);
    free(snapdir);
    free(snapreal);
    return rc;
}

/* ---- carrying it out ----------------------------------------------------------------- */

/* Move alembic.ini and the scripts folder into `aside`. */
static int move_alembic(const struct workspace_reset_plan *p, struct ds_error *err)
{
    const char *const from[] = {p->ini, p->scripts};

    return workspace_move_into(p->aside, from, ARRAY_SIZE(from), err);
}

/* Empty a bind-mounted data directory, keeping the directory itself. */
static int empty_dir(const char *dir, struct ds_error *err)
{
    struct stat st;
    int rc;

    if (stat(dir, &st) < 0)
        return errno == ENOENT ? 0 : ds_error_errno(err, errno, "cannot read '%s'", dir);
    if ((rc = file_remove_tree(dir, err)) < 0)
        return rc;
    if (mkdir(dir, st.st_mode & 07777) < 0)
        return ds_error_errno(err, errno, "cannot create '%s'", dir);
    if (chown(dir, st.st_uid, st.st_gid) < 0 && errno != EPERM)
        return ds_error_errno(err, errno, "cannot give '%s' back to its owner", dir);
    return 0;
}

/* Ctrl-C: stop before the next destructive step, saying what state things are in. */
static bool interrupted(const struct workspace_reset_options *o, const char *state,
                        struct ds_error *err)
{
    if (!o->cancel || !*o->cancel)
        return false;
    ds_error_set(err, DS_EINTR, "interrupted: %s", state);
    return true;
}

/* The containers go (the data's with them) and the networks; then the data itself. */
static int delete_data(const struct workspace *ws, struct engine *e,
                       const struct workspace_reset_plan *p,
                       const struct workspace_reset_options *o, struct ds_error *err)
{
    struct stack_down_options d = {.timeout = -1};
    int rc;

    /*
     * The stop runs to its end (a first Ctrl-C does not cut the engine's
     * stop short, which would leave a container still stopping while the
     * next `up` looks at it); nothing is removed after a Ctrl-C.
     */
    rc = stack_stop(e, ws->project, NULL, -1, o->ao, err);
    if (rc == 0 && !interrupted(o,
                                "the stack is stopped and no data was deleted; 'devstack "
                                "up' brings it back",
                                err))
        rc = stack_down(e, ws->project, &d, o->ao, err);
    else if (rc == 0)
        rc = DS_EINTR;
    if (rc < 0)
        return rc;
    if (interrupted(o,
                    "the containers were removed but no data was deleted; 'devstack up' "
                    "brings the stack back",
                    err))
        return DS_EINTR;
    if (p->volume) {
        rc = stack_remove_volume(e, p->volume, err);
        if (rc == 1)
            workspace_note(o->notes, WORKSPACE_NOTE, "deleted volume %s", p->volume);
    } else if (p->bind_dir) {
        rc = empty_dir(p->bind_dir, err);
        if (rc == 0)
            workspace_note(o->notes, WORKSPACE_NOTE, "deleted the contents of %s", p->bind_dir);
        else
            ds_error_hint(err, "the server's files belong to its user in the container: run "
                               "reset as root, or delete them yourself");
    }
    return rc < 0 ? rc : 0;
}

/* keep_data: drop alembic_version, bootstrap over the tables that are there. */
static int reset_alembic_state(const struct workspace *ws, const struct workspace_reset_plan *p,
                               const struct workspace_reset_options *o, struct ds_error *err)
{
    struct db_conn *conn = NULL;
    struct strvec cmd = STRVEC_INIT;
    int rc = workspace_connect(ws, &conn, 0, NULL, err);

    if (rc == 0)
        rc = db_exec(conn, "DROP TABLE IF EXISTS alembic_version", err);
    db_close(conn);
    if (rc < 0)
        return rc;
    if (!p->app) {
        ds_error_set(err, DS_ENOTFOUND, "no service runs Alembic (none has DATABASE_URL)");
        return DS_ENOTFOUND;
    }
    strvec_pushv(&cmd,
                 (const char *const[]){"devstack", "migrate", "--bootstrap", "--adopt", NULL});
    rc = o->exec(p->app->name, &cmd, NULL, o->ud);
    strvec_clear(&cmd);
    if (rc != 0)
        return ds_error_set(err, DS_ERR, "the bootstrap in service '%s' failed (exit %d)",
                            p->app->name, rc);
    return 0;
}

/* How long the stack's database may take to accept the app user after it started. */
#define READY_TIMEOUT_MS 180000u

/* The stack again: a new database, the app's container bootstraps the migrations. */
static int come_up(const struct workspace *ws, struct engine *e,
                   const struct workspace_reset_options *o, struct workspace_reset_result *out,
                   struct ds_error *err)
{
    struct stack_options so = {0};
    struct stack_apply_options ao = *o->ao;
    int rc;

    if (o->up)
        so = *o->up;
    ao.wait = true;
    ao.cancel = o->cancel;
    rc = stack_up(e, ws->project, &so, &ao, NULL, err);
    if (rc == 0)
        rc = workspace_wait_db(ws->project, NULL, false, READY_TIMEOUT_MS, o->cancel, &out->ready,
                               err);
    if (rc < 0)
        ds_error_hint(err, "the data is gone and the stack did not come up; fix what this says "
                           "and run 'devstack up'");
    else
        out->came_up = true;
    return rc;
}

int workspace_reset(const struct workspace *ws, struct engine *e,
                    const struct workspace_reset_plan *plan,
                    const struct workspace_reset_options *o, struct workspace_reset_result *out,
                    struct ds_error *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (plan->snapshot) {
        workspace_note(o->notes, WORKSPACE_NOTE, "snapshot: dumping the database before reset");
        rc = workspace_snapshot_before(ws, "reset", o->cancel, &out->snapshot, &out->snapshot_stats,
                                       err);
        if (rc < 0)
            return rc;
        if (out->snapshot)
            workspace_note_snapshot(o->notes, out->snapshot, &out->snapshot_stats);
    }
    if (interrupted(o, "nothing was deleted", err))
        return DS_EINTR;

    if (plan->keep_data) {
        if (plan->move_alembic && (rc = move_alembic(plan, err)) < 0)
            return rc;
        out->moved = plan->move_alembic;
        if (interrupted(o,
                        out->moved ? "the Alembic files were moved aside and the database "
                                     "is unchanged; 'devstack migrate --bootstrap --adopt' "
                                     "finishes the reset"
                                   : "nothing was changed",
                        err))
            return DS_EINTR;
        return reset_alembic_state(ws, plan, o, err);
    }
    if ((rc = delete_data(ws, e, plan, o, err)) < 0)
        return rc;
    if (interrupted(o,
                    "the data was deleted; 'devstack up' brings the stack up with a new "
                    "database",
                    err))
        return DS_EINTR;
    if (plan->move_alembic) {
        if ((rc = move_alembic(plan, err)) < 0)
            return rc;
        out->moved = true;
        workspace_note(o->notes, WORKSPACE_NOTE, "moved %s and %s/ to %s/", plan->ini,
                       plan->scripts, plan->aside);
    }
    if (interrupted(o,
                    "the data was deleted and the Alembic files moved aside; 'devstack up' "
                    "brings the stack up with a new database and bootstraps the migrations",
                    err))
        return DS_EINTR;
    return come_up(ws, e, o, out, err);
}

void workspace_reset_result_release(struct workspace_reset_result *r)
{
    free(r->snapshot);
    memset(r, 0, sizeof(*r));
}
