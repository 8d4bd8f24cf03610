/*
 * devstack db dump | restore | snapshot | snapshots | shell: the data of the
 * application database. MySQL dumps are native (src/db/dump.c) and reach the
 * database as the other db commands do: from the host through the database
 * service's published port, in the dev container through DATABASE_URL.
 * PostgreSQL's run pg_dump and psql (src/db/dump_pg.c), in the database
 * service's container when it is the stack's, else on this host.
 * The shell runs the server's own client in its container.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confirm.h"
#include "devstack.h"
#include "signals.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/path.h"
#include "util/size.h"
#include "workspace/snapshot.h"
#include "util/banned.h"

static bool force, yes, no_snapshot, latest, quiet, root;
static const char *file, *name, *label;

const struct opt_spec cmd_db_dump_options[] = {
        {OPT_BOOL, "force", 0, &force, NULL, "replace FILE when it exists"},
        {OPT_ARG, "FILE", 0, &file, NULL,
         "where to write: .gz compresses, - is standard output (default: DB-TIME.sql.gz)"},
        {0},
};

const struct opt_spec cmd_db_restore_options[] = {
        {OPT_BOOL, "yes", 'y', &yes, NULL, "do not ask before replacing the database"},
        {OPT_BOOL, "no-snapshot", 0, &no_snapshot, NULL,
         "do not keep a snapshot of what the database holds first"},
        {OPT_ARG, "FILE", 0, &file, NULL, "the dump (.sql or .sql.gz; - for stdin)", OPT_REQUIRED},
        CMD_LOCK_OPTION,
        {0},
};

const struct opt_spec cmd_db_snapshot_options[] = {
        {OPT_ARG, "NAME", 0, &label, NULL, "a label for the snapshot (letters, digits, - and _)"},
        {0},
};

const struct opt_spec cmd_db_snapshot_restore_options[] = {
        {OPT_BOOL, "latest", 0, &latest, NULL, "the newest snapshot"},
        {OPT_BOOL, "yes", 'y', &yes, NULL, "do not ask before replacing the database"},
        {OPT_BOOL, "no-snapshot", 0, &no_snapshot, NULL,
         "do not keep a snapshot of what the database holds first"},
        {OPT_ARG, "NAME", 0, &name, NULL, "the snapshot: its name, label or a prefix"},
        CMD_LOCK_OPTION,
        {0},
};

const struct opt_spec cmd_db_snapshot_rm_options[] = {
        {OPT_ARG, "NAME", 0, &name, NULL, "the snapshot: its full name", OPT_REQUIRED},
        {0},
};

const struct opt_spec cmd_db_snapshots_options[] = {
        {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only the names"},
        {0},
};

const struct opt_spec cmd_db_shell_options[] = {
        {OPT_BOOL, "root", 0, &root, NULL,
         "as root (MYSQL_ROOT_PASSWORD), or PostgreSQL's superuser (POSTGRES_USER), not the app "
         "user"},
        {0},
};

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static char *size_text(uint64_t bytes)
{
    struct buf b = BUF_INIT;

    size_format(&b, bytes, SIZE_DECIMAL);
    return buf_detach(&b, NULL);
}

static const char *database_of(const struct cmd_context *ctx)
{
    return ctx->ws->url.url.database ? ctx->ws->url.url.database : "";
}

static void warn_events(const struct db_dump_stats *s)
{
    if (s->events_skipped)
        fprintf(stderr, "warning: %zu scheduled %s left out: dumps hold no events\n",
                s->events_skipped, plural(s->events_skipped, "event", "events"));
}

/* Notes to the FILE in their user data. */
static void note(enum workspace_note_kind kind, const char *text, void *ud)
{
    if (kind == WORKSPACE_WARNING)
        fprintf(stderr, "warning: %s\n", text);
    else
        fprintf(ud, "%s\n", text);
}

/* "snapshot: NAME (1.2 MB; 12 tables, ...)" */
static void print_snapshot(FILE *f, const char *path, const struct db_dump_stats *s)
{
    const struct workspace_notes notes = {note, f};

    workspace_note_snapshot(&notes, path, s);
}

static void report_removed(const struct db_snapshots *l)
{
    for (size_t i = 0; i < l->removed.n; i++)
        fprintf(stderr, "note: removed '%s', left by a dump that did not finish\n",
                l->removed.v[i]);
}

/*
 * A PostgreSQL database's dumps and restores run pg_dump and psql in its
 * service's container when it is the stack's: that needs the engine.
 */
static void use_engine(struct cmd_context *ctx)
{
    if (ctx->ws->url.url.engine == DB_POSTGRES && ctx->ws->project && ctx->ws->services.db)
        ctx->ws->engine = cmd_engine(ctx);
}

/* ---- db dump --------------------------------------------------------------------- */

int cmd_db_dump(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct db_dump_stats stats;
    struct buf default_name = BUF_INIT, what = BUF_INIT;
    char *size = NULL, *raw = NULL;
    double start = clock_seconds();
    bool to_stdout;
    int status;

    if (workspace_connect_for_work(ctx->ws, &conn, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (!file) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        buf_addf(&default_name, "%s-%s.sql.gz", *database_of(ctx) ? database_of(ctx) : "db", stamp);
        file = default_name.buf;
    }
    signals_catch();
    use_engine(ctx);
    if (workspace_dump(ctx->ws, conn, file, force, &sig_interrupted, &stats, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    db_dump_describe(&what, &stats);
    size = size_text(stats.file_bytes);
    raw = size_text(stats.sql_bytes);
    /* on stdout the dump itself goes there: the summary goes to stderr */
    to_stdout = !strcmp(file, "-");
    fprintf(to_stdout ? stderr : stdout, "dumped '%s' to %s: %s (%s; %s of SQL) in %.1f s\n",
            database_of(ctx), to_stdout ? "standard output" : file, size, what.buf, raw,
            clock_seconds() - start);
    warn_events(&stats);
    status = EXIT_OK;

done:
    db_close(conn);
    buf_release(&default_name);
    buf_release(&what);
    free(size);
    free(raw);
    ds_error_release(&err);
    return status;
}

/* ---- db restore and db snapshot restore -------------------------------------------------- */

/*
 * Replace the database with the dump in `path` ("-": stdin): say what will
 * be replaced, ask, keep a snapshot of what is there, recreate, load.
 */
static int restore_from(struct cmd_context *ctx, struct db_conn *conn, const char *path,
                        struct ds_error *err)
{
    struct workspace_restore_plan plan;
    struct workspace_restore_result res = {0};
    const char *db = database_of(ctx);
    double start;
    int rc;

    if (!strcmp(path, "-") && !yes) {
        ds_error_set(err, DS_EPERM, "restoring from standard input needs --yes");
        ds_error_hint(err, "the terminal cannot be asked while stdin is the dump");
        return DS_EPERM;
    }
    rc = workspace_restore_prepare(ctx->ws, conn, path, no_snapshot, &plan, err);
    if (rc < 0)
        return rc;
    if (plan.replaces) {
        char *size = size_text(plan.before.bytes);

        fprintf(stderr,
                "This drops database '%s' (%zu %s, about %" PRIu64 " rows, %s) and loads '%s' "
                "into it.\n",
                db, plan.before.tables, plural(plan.before.tables, "table", "tables"),
                plan.before.rows_estimate, size, plan.source);
        free(size);
    } else {
        fprintf(stderr, "This loads '%s' into the empty database '%s'.\n", plan.source, db);
    }
    {
        struct buf where = BUF_INIT;

        workspace_describe_db(ctx->ws, &where);
        fprintf(stderr, "That is %s.\n", where.buf);
        buf_release(&where);
    }
    if (plan.bring_back)
        fprintf(stderr,
                "The dump is at revision %s, whose files reset moved to %s/: they come back, "
                "and %s and %s/ move to %s/.\n",
                plan.dump.revision, plan.bring_back, plan.ini, plan.scripts, plan.aside);
    if ((rc = confirm("Go on?", NULL, yes, "--yes", err)) < 0)
        goto done;
    if (plan.snapshot)
        fprintf(stderr, "snapshot: keeping what '%s' holds now\n", db);
    start = clock_seconds();
    rc = workspace_restore(ctx->ws, conn, &plan, &sig_interrupted, &res, err);
    if (res.snapshot)
        print_snapshot(stderr, res.snapshot, &res.snapshot_stats);
    if (rc < 0)
        goto done;
    printf("restored '%s' from %s: %zu %s, %zu %s, %" PRIu64 " statements in %.1f s\n", db,
           plan.source, res.after.tables, plural(res.after.tables, "table", "tables"),
           res.after.views, plural(res.after.views, "view", "views"), res.stats.statements,
           clock_seconds() - start);
    if (res.brought_back)
        printf("revision files: %s and %s/ are back from %s/ (the ones they replaced are in "
               "%s/)\n",
               plan.ini, plan.scripts, plan.bring_back, plan.aside);
    if (res.snapshot)
        printf("what it held before: %s\n", res.snapshot);

done:
    workspace_restore_plan_release(&plan);
    workspace_restore_result_release(&res);
    return rc;
}

int cmd_db_restore(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    int status = EXIT_OK;

    if (strcmp(file, "-") && access(file, R_OK) < 0) {
        ds_error_errno(&err, errno, "cannot read '%s'", file);
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();
    use_engine(ctx);
    if (workspace_connect_for_work(ctx->ws, &conn, &err) < 0 ||
        restore_from(ctx, conn, file, &err) < 0)
        status = cmd_error(&err);

done:
    db_close(conn);
    ds_error_release(&err);
    return status;
}

/* The snapshot list (partial files of dead dumps removed and reported). */
static int list_snapshots(const struct cmd_context *ctx, struct db_snapshots *l, char **dir,
                          struct ds_error *err)
{
    int rc;

    *dir = workspace_snapshot_dir(ctx->ws);
    rc = db_snapshot_list(*dir, l, err);
    if (rc == 0)
        report_removed(l);
    return rc;
}

int cmd_db_snapshot(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct db_dump_stats stats;
    struct db_snapshots l = {0};
    char *path = NULL, *dir = NULL;
    int status;

    signals_catch();
    use_engine(ctx);
    if (workspace_connect_for_work(ctx->ws, &conn, &err) < 0 ||
        workspace_snapshot_take(ctx->ws, conn, label, &sig_interrupted, &path, &stats, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (list_snapshots(ctx, &l, &dir, &err) < 0)
        ds_error_release(&err);
    print_snapshot(stdout, path, &stats);
    printf("restore it with: devstack db snapshot restore %s\n", path_basename(path));
    status = EXIT_OK;

done:
    db_snapshots_release(&l);
    db_close(conn);
    free(path);
    free(dir);
    ds_error_release(&err);
    return status;
}

int cmd_db_snapshot_restore(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct db_snapshots l = {0};
    const struct db_snapshot *s = NULL;
    char *dir = NULL, *path = NULL;
    int status;

    if (!name == !latest)
        return cmd_usage_error(ctx, "give a NAME or --latest");
    signals_catch();
    if (list_snapshots(ctx, &l, &dir, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (latest && !l.n) {
        ds_error_set(&err, DS_ENOTFOUND, "no snapshots in '%s'", dir);
        ds_error_hint(&err, "'devstack db snapshot' takes one");
        status = cmd_error(&err);
        goto done;
    }
    s = latest ? &l.items[l.n - 1] : db_snapshot_find(&l, name, &err);
    if (!s) {
        status = cmd_error(&err);
        goto done;
    }
    /* the list is rewritten by the safety snapshot: keep the path */
    path = xstrdup(s->path);
    use_engine(ctx);
    if (workspace_connect_for_work(ctx->ws, &conn, &err) < 0 ||
        restore_from(ctx, conn, path, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    status = EXIT_OK;

done:
    db_snapshots_release(&l);
    db_close(conn);
    free(dir);
    free(path);
    ds_error_release(&err);
    return status;
}

int cmd_db_snapshot_rm(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_snapshots l = {0};
    const struct db_snapshot *s;
    char *dir = NULL;
    int status;

    if (list_snapshots(ctx, &l, &dir, &err) < 0 || !(s = db_snapshot_find(&l, name, &err))) {
        status = cmd_error(&err);
        goto done;
    }
    /* deleting takes the exact name: a label or prefix could name another one tomorrow */
    if (strcmp(s->name, name) && strcmp(path_basename(s->path), name)) {
        ds_error_set(&err, DS_EINVAL, "'%s' is not a snapshot's full name", name);
        ds_error_hint(&err, "did you mean '%s'?", s->name);
        status = cmd_error(&err);
        goto done;
    }
    if (unlink(s->path) < 0) {
        ds_error_errno(&err, errno, "cannot remove '%s'", s->path);
        status = cmd_error(&err);
        goto done;
    }
    printf("removed snapshot %s\n", s->name);
    status = EXIT_OK;

done:
    db_snapshots_release(&l);
    free(dir);
    ds_error_release(&err);
    return status;
}

int cmd_db_snapshots(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_snapshots l = {0};
    char *dir = NULL;
    size_t width = 4;
    int status;

    if (list_snapshots(ctx, &l, &dir, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (!l.n && !quiet)
        fprintf(stderr, "no snapshots in %s\n", dir);
    for (size_t i = 0; i < l.n; i++)
        if (strlen(l.items[i].name) > width)
            width = strlen(l.items[i].name);
    if (l.n && !quiet)
        printf("%-*s  %-16s  %8s  %s\n", (int)width, "NAME", "TAKEN", "SIZE", "REVISION");
    for (size_t i = 0; i < l.n; i++) {
        const struct db_snapshot *s = &l.items[i];
        char when[32];
        struct tm tm;
        char *size;

        if (quiet) {
            printf("%s\n", s->name);
            continue;
        }
        localtime_r(&s->taken, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
        size = size_text((uint64_t)s->size);
        printf("%-*s  %-16s  %8s  %s\n", (int)width, s->name, when, size,
               s->revision  ? s->revision
               : s->project ? "none"
                            : "?");
        free(size);
    }
    status = EXIT_OK;

done:
    db_snapshots_release(&l);
    free(dir);
    ds_error_release(&err);
    return status;
}

/* ---- db shell ------------------------------------------------------------------------------ */

int cmd_db_shell(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct strvec cmd = STRVEC_INIT, env = STRVEC_INIT;
    const struct compose_service *db = ctx->ws->services.db;
    int status;

    if (!ctx->ws->project || !db) {
        ds_error_set(&err, DS_ENOTFOUND, "no database service to open a shell in");
        ds_error_hint(&err, ctx->ws->inside_app
                                    ? "run 'devstack db shell' on the host"
                                    : "the compose file needs a service with MYSQL_DATABASE "
                                      "or MARIADB_DATABASE in its environment, or a "
                                      "PostgreSQL one (a postgres image, POSTGRES_DB, "
                                      "POSTGRES_USER)");
        status = cmd_error(&err);
        goto done;
    }
    workspace_db_client(ctx->ws, root, &cmd, &env);
    status = cmd_exec_in(ctx, db->name, &cmd, &env);

done:
    strvec_clear(&cmd);
    strvec_clear(&env);
    ds_error_release(&err);
    return status;
}
