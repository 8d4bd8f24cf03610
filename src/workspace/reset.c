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

/* Where the database keeps its files in the mysql and mariadb images. */
static bool is_data_dir(const char *target)
{
    return !strcmp(target, "/var/lib/mysql") || !strcmp(target, "/var/lib/mysql/");
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
                           "environment");
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
            free(out->volume);
            out->volume = xstrdup(v->name);
        } else if (m->type == COMPOSE_MOUNT_BIND) {
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

int workspace_reset_prepare(struct workspace_reset_plan *out, const struct workspace *ws,
                            struct engine *e, bool keep_data, bool no_snapshot,
                            struct ds_error *err)
{
    struct workspace_reset_inputs in = {.keep_data = keep_data, .no_snapshot = no_snapshot};
    struct stack_container_list l = {0};
    char *scripts = NULL, *aside = NULL;
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
    free(scripts);
    free(aside);
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

/* The containers go (the data's with them) and the networks; then the data itself. */
static int delete_data(const struct workspace *ws, struct engine *e,
                       const struct workspace_reset_plan *p,
                       const struct workspace_reset_options *o, struct ds_error *err)
{
    struct stack_down_options d = {.timeout = -1};
    int rc = stack_down(e, ws->project, &d, o->ao, err);

    if (rc < 0)
        return rc;
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
    if (o->cancel && *o->cancel)
        return ds_error_set(err, DS_EINTR, "interrupted: nothing was deleted");

    if (plan->keep_data) {
        if (plan->move_alembic && (rc = move_alembic(plan, err)) < 0)
            return rc;
        out->moved = plan->move_alembic;
        return reset_alembic_state(ws, plan, o, err);
    }
    if ((rc = delete_data(ws, e, plan, o, err)) < 0)
        return rc;
    if (plan->move_alembic) {
        if ((rc = move_alembic(plan, err)) < 0)
            return rc;
        out->moved = true;
        workspace_note(o->notes, WORKSPACE_NOTE, "moved %s and %s/ to %s/", plan->ini,
                       plan->scripts, plan->aside);
    }
    return come_up(ws, e, o, out, err);
}

void workspace_reset_result_release(struct workspace_reset_result *r)
{
    free(r->snapshot);
    memset(r, 0, sizeof(*r));
}
