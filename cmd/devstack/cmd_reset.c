/*
 * devstack reset: the "delete alembic/, alembic.ini and mysql/data" ritual,
 * made safe. It lists what goes, asks (or takes --yes), keeps a snapshot of
 * the database first (refusing to go on without one unless --no-snapshot),
 * stops the stack, deletes the database's data (its volume or bind
 * directory), moves alembic.ini and the migrations folder aside when the
 * bootstrap made them (not when git tracks them: they are the project's
 * history), and brings the stack up again, whose app container bootstraps
 * Alembic from the models. --keep-data resets only the Alembic state: the
 * files move aside, alembic_version goes, and a fresh initial revision is
 * generated from the models and stamped on the data that is there.
 *
 * Interrupted anywhere, what is left is the old state or one `devstack up`
 * repairs: the snapshot is whole or absent (db_dump_file), and the steps
 * after it only remove what `up` and the bootstrap make again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compose/compose.h"
#include "confirm.h"
#include "db/snapshot.h"
#include "dbcmd.h"
#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/path.h"
#include "util/run.h"
#include "util/banned.h"

/* What reset removes, found before anything is touched. */
struct reset_plan {
    const struct compose_service *db;
    char *volume;   /* the engine's name of the db's named volume, or NULL */
    char *bind_dir; /* or its bind-mounted data directory on the host, or NULL */
    const struct compose_service *app;
    char *ini, *scripts; /* alembic.ini and the migrations folder (may not exist) */
    bool move_alembic;   /* they exist and git does not track them */
    char *kept_why;      /* why they stay, when they exist and stay */
    size_t containers;
};

static void plan_release(struct reset_plan *r)
{
    free(r->volume);
    free(r->bind_dir);
    free(r->ini);
    free(r->scripts);
    free(r->kept_why);
}

/* Does git track `path` (run in its directory)? False outside a repository. */
static bool git_tracks(const char *path)
{
    struct strvec argv = STRVEC_INIT;
    struct run_options o = {.null_stdin = true, .quiet = true};
    struct ds_error err = DS_ERROR_INIT;
    char *dir = path_dirname(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int rc;

    strvec_pushv(&argv, (const char *const[]){"git", "-C", dir, "ls-files", "--error-unmatch", "--",
                                              base, NULL});
    rc = run_command(&argv, &o, &err);
    ds_error_release(&err);
    strvec_clear(&argv);
    free(dir);
    return rc == 0;
}

static int make_plan(struct reset_plan *r, const struct compose_project *p,
                     const struct db_target *t, const struct stack_observed *o,
                     struct ds_error *err)
{
    memset(r, 0, sizeof(*r));
    r->db = t->info.db;
    if (!r->db) {
        ds_error_set(err, DS_ENOTFOUND, "project '%s' has no database service", p->name);
        ds_error_hint(err, "reset needs a service with MYSQL_DATABASE or MARIADB_DATABASE in its "
                           "environment");
        return DS_ENOTFOUND;
    }
    for (size_t i = 0; i < r->db->n_volumes; i++) {
        const struct compose_mount *m = &r->db->volumes[i];
        const struct compose_volume *v;

        if (strcmp(m->target, "/var/lib/mysql") && strcmp(m->target, "/var/lib/mysql/"))
            continue;
        if (m->type == COMPOSE_MOUNT_VOLUME && m->source && (v = compose_find_volume(p, m->source)))
            r->volume = xstrdup(v->name);
        else if (m->type == COMPOSE_MOUNT_BIND && m->source)
            r->bind_dir = xstrdup(m->source);
    }
    r->app = t->info.app;
    if (t->ini_path) {
        r->ini = xstrdup(t->ini_path);
        if (t->ini_loaded && t->ini.script_location)
            r->scripts = xstrdup(t->ini.script_location);
        else {
            char *dir = path_dirname(t->ini_path);

            r->scripts = path_join(dir, "migrations");
            free(dir);
        }
    }
    if (r->ini && (path_is_file(r->ini) || path_is_dir(r->scripts))) {
        if (git_tracks(r->ini) || git_tracks(r->scripts))
            r->kept_why = xstrdup("git tracks them: they are the project's migration history");
        else
            r->move_alembic = true;
    }
    for (size_t i = 0; i < o->n_containers; i++)
        if (!o->containers[i].oneoff)
            r->containers++;
    return 0;
}

static void print_plan(const struct reset_plan *r, const struct compose_project *p,
                       const char *aside, bool keep_data, bool no_snapshot)
{
    fprintf(stderr, "reset of project '%s':\n", p->name);
    if (!no_snapshot)
        fprintf(stderr, "  - first, a snapshot of the database of service '%s'\n", r->db->name);
    if (!keep_data) {
        fprintf(stderr, "  - stop and remove the project's %zu %s\n", r->containers,
                r->containers == 1 ? "container" : "containers");
        if (r->volume)
            fprintf(stderr, "  - DELETE the database's data: volume '%s'\n", r->volume);
        else if (r->bind_dir)
            fprintf(stderr, "  - DELETE the database's data: everything in '%s'\n", r->bind_dir);
        else
            fprintf(stderr, "  - the database's data is in an anonymous volume: it goes with "
                            "its container\n");
    } else {
        fprintf(stderr, "  - keep the database's data; drop its alembic_version table\n");
    }
    if (r->move_alembic)
        fprintf(stderr, "  - move %s and %s/ to %s/\n", r->ini, r->scripts, aside);
    else if (r->kept_why)
        fprintf(stderr, "  - keep %s and %s/: %s\n", r->ini, r->scripts, r->kept_why);
    fprintf(stderr, keep_data ? "  - generate a new initial revision from the models and stamp "
                                "the database with it\n"
                              : "  - bring the stack up again: a new database, migrations "
                                "bootstrapped from the models\n");
}

/* Move alembic.ini and the scripts folder into `aside` (made for it). */
static int move_alembic(const struct reset_plan *r, const char *aside, struct ds_error *err)
{
    const char *const from[] = {r->ini, r->scripts};
    int rc;

    if ((rc = db_snapshot_dir_prepare(aside, err)) < 0)
        return rc;
    for (size_t i = 0; i < 2; i++) {
        const char *base = strrchr(from[i], '/') ? strrchr(from[i], '/') + 1 : from[i];
        char *to;

        if (access(from[i], F_OK) < 0)
            continue;
        to = path_join(aside, base);
        rc = rename(from[i], to) < 0
                     ? ds_error_errno(err, errno, "cannot move '%s' to '%s'", from[i], to)
                     : 0;
        free(to);
        if (rc < 0)
            return rc;
    }
    return 0;
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

static int delete_data(const struct reset_plan *r, const struct compose_project *p,
                       struct ds_error *err)
{
    struct stack_observed o = {0};
    struct stack_down_options d = {.timeout = -1};
    struct stack_apply_options ao = {.cancel = &sig_forced};
    struct progress *prog = progress_new(stderr, PROGRESS_AUTO);
    int rc;

    ao.on_event = progress_event;
    ao.ud = prog;
    /* containers go (the data's with them) and the networks; other volumes stay */
    rc = stack_observe(ds.engine, p, &o, err);
    if (rc == 0)
        rc = stack_down(ds.engine, p, &o, &d, &ao, err);
    progress_finish(prog);
    progress_free(prog);
    stack_observed_release(&o);
    if (rc < 0)
        return rc;
    if (r->volume) {
        rc = engine_volume_remove(ds.engine, r->volume, false, err);
        if (rc == DS_ENOTFOUND) {
            ds_error_release(err);
            rc = 0;
        } else if (rc == 0) {
            fprintf(stderr, "deleted volume %s\n", r->volume);
        }
    } else if (r->bind_dir) {
        rc = empty_dir(r->bind_dir, err);
        if (rc == 0)
            fprintf(stderr, "deleted the contents of %s\n", r->bind_dir);
        else
            ds_error_hint(err, "the server's files belong to its user in the container: run "
                               "reset as root, or delete them yourself");
    }
    return rc;
}

/* --keep-data: drop alembic_version, bootstrap over the tables that are there. */
static int reset_alembic_state(struct db_target *t, const struct reset_plan *r,
                               struct ds_error *err)
{
    struct db_conn *conn = NULL;
    struct strvec cmd = STRVEC_INIT;
    int rc = db_target_connect(t, &conn, 0, NULL, err);

    if (rc == 0)
        rc = db_exec(conn, "DROP TABLE IF EXISTS alembic_version", err);
    db_close(conn);
    if (rc < 0)
        return rc;
    if (!r->app) {
        ds_error_set(err, DS_ENOTFOUND, "no service runs Alembic (none has DATABASE_URL)");
        return DS_ENOTFOUND;
    }
    strvec_pushv(&cmd,
                 (const char *const[]){"devstack", "migrate", "--bootstrap", "--adopt", NULL});
    rc = cmd_exec_service(r->app->name, &cmd, NULL);
    strvec_clear(&cmd);
    if (rc != 0)
        return ds_error_set(err, DS_ERR, "the bootstrap in service '%s' failed (exit %d)",
                            r->app->name, rc);
    return 0;
}

int cmd_reset(int argc, char **argv)
{
    static bool yes, no_snapshot, keep_data;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "yes", 'y', &yes, NULL, "do not ask (needed without a terminal)"},
            {OPT_BOOL, "no-snapshot", 0, &no_snapshot, NULL,
             "go on without a snapshot of the database (when it cannot be taken)"},
            {OPT_BOOL, "keep-data", 0, &keep_data, NULL,
             "reset only the Alembic state: keep the data, stamp a new initial revision"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t = {0};
    struct stack_observed o = {0};
    struct reset_plan r = {0};
    struct buf aside = BUF_INIT;
    char *snapshot = NULL, *snapdir = NULL;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    int status = EXIT_ERROR;

    if (!cmd_parse("reset", opts, argc, argv, 0, NULL, &status))
        return status;
    if (cmd_connect_engine(&err) < 0 || db_target_open(&t, NULL, NULL, 0, &err) < 0)
        goto fail;
    if (!t.project) {
        ds_error_set(&err, DS_ENOTFOUND, "no compose project here");
        ds_error_hint(&err, t.in_devcontainer ? "run 'devstack reset' on the host"
                                              : "run it in the project, or name the file with -f");
        goto fail;
    }
    if (stack_observe(ds.engine, t.project, &o, &err) < 0 ||
        make_plan(&r, t.project, &t, &o, &err) < 0)
        goto fail;
    snapdir = db_snapshot_dir(t.project->working_dir);
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    {
        /* beside the snapshots: .devstack/reset-<time>[-n]/ */
        char *home = path_dirname(snapdir);

        for (unsigned n = 1; n == 1 || access(aside.buf, F_OK) == 0; n++) {
            buf_setlen(&aside, 0);
            buf_addf(&aside, "%s/reset-%s", home, stamp);
            if (n > 1)
                buf_addf(&aside, "-%u", n);
        }
        free(home);
    }
    print_plan(&r, t.project, aside.buf, keep_data, no_snapshot);
    if (confirm("Reset?", NULL, yes, "--yes", &err) < 0)
        goto fail;
    signals_catch();

    if (!no_snapshot && db_snapshot_before(t.project, "reset", &snapshot, &err) < 0)
        goto fail;
    if (sig_interrupted) {
        status = EXIT_INTERRUPTED;
        goto done;
    }
    if (keep_data) {
        if (r.move_alembic && move_alembic(&r, aside.buf, &err) < 0)
            goto fail;
        if (reset_alembic_state(&t, &r, &err) < 0)
            goto fail;
    } else {
        if (delete_data(&r, t.project, &err) < 0)
            goto fail;
        if (r.move_alembic && move_alembic(&r, aside.buf, &err) < 0)
            goto fail;
        if (r.move_alembic)
            fprintf(stderr, "moved %s and %s/ to %s/\n", r.ini, r.scripts, aside.buf);
        {
            char *up_argv[] = {"up", "-d", "--wait", NULL};

            status = cmd_up(3, up_argv);
            if (status != EXIT_OK) {
                fprintf(stderr, "hint: the data is gone and the stack did not come up; fix what "
                                "'up' says and run 'devstack up'\n");
                goto snapshot_note;
            }
        }
    }
    printf("reset done\n");
    status = EXIT_OK;

snapshot_note:
    if (snapshot) {
        const char *base = strrchr(snapshot, '/') ? strrchr(snapshot, '/') + 1 : snapshot;

        printf("the database before the reset: %s\n", snapshot);
        printf("bring it back with: devstack db snapshot restore %s\n", base);
        if (r.move_alembic)
            printf("its alembic.ini and migrations are in %s/\n", aside.buf);
    }
    goto done;

fail:
    status = cmd_error(&err);
    if (snapshot)
        fprintf(stderr, "the snapshot taken before: %s\n", snapshot);

done:
    plan_release(&r);
    stack_observed_release(&o);
    db_target_release(&t);
    buf_release(&aside);
    free(snapshot);
    free(snapdir);
    ds_error_release(&err);
    return status;
}
