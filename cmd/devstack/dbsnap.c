/*
 * devstack db dump | restore | snapshot | snapshots | shell, and the
 * snapshot that clear and reset take before they destroy a database.
 *
 * Dumps are native (src/db/dump.c over libmysqlclient) and reach the
 * database the way the other db commands do: from the host through the
 * database service's published port, in the dev container through
 * DATABASE_URL. The shell runs the server's own client in its container.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compose/compose.h"
#include "confirm.h"
#include "db/dump.h"
#include "db/snapshot.h"
#include "dbcmd.h"
#include "devstack.h"
#include "signals.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/path.h"
#include "util/size.h"
#include "util/banned.h"

/* A first connection says quickly why the server cannot be reached ... */
#define PROBE_TIMEOUT_MS 5000
/* ... the one that dumps or loads waits as long as a big statement takes */
#define WORK_TIMEOUT_MS (3600u * 1000)

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *size_string(uint64_t bytes)
{
    struct buf b = BUF_INIT;

    size_format(&b, bytes, SIZE_DECIMAL);
    return buf_detach(&b, NULL);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* Connect for a long job: a quick probe for the error, then the real connection. */
static int connect_for_work(struct db_target *t, struct db_conn **conn, struct ds_error *err)
{
    struct db_conn *probe = NULL;
    int rc = db_target_connect(t, &probe, PROBE_TIMEOUT_MS, NULL, err);

    db_close(probe);
    if (rc < 0)
        return rc;
    return db_target_connect(t, conn, WORK_TIMEOUT_MS, NULL, err);
}

static int open_and_connect(struct db_target *t, struct db_conn **conn, struct ds_error *err)
{
    int rc = db_target_open(t, NULL, NULL, DBT_NEED_URL, err);

    return rc < 0 ? rc : connect_for_work(t, conn, err);
}

/* The heads in alembic_version joined by "+", or NULL without a table. */
static char *current_revision(struct db_conn *conn)
{
    struct strvec v = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct buf b = BUF_INIT;
    bool exists = false;

    if (db_alembic_versions(conn, &v, &exists, &err) == 0)
        for (size_t i = 0; i < v.n; i++)
            buf_addf(&b, "%s%s", i ? "+" : "", v.v[i]);
    ds_error_release(&err);
    strvec_clear(&v);
    if (!b.len) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

static char *snapshot_dir_of(const struct db_target *t)
{
    return db_snapshot_dir(t->project ? t->project->working_dir : ".");
}

/* "12 tables, 3456 rows, 2 triggers, 1 routine, 1 view" */
static void describe_dump(struct buf *out, const struct db_dump_stats *s)
{
    buf_addf(out, "%zu %s, %" PRIu64 " %s", s->tables, plural(s->tables, "table", "tables"),
             s->rows, plural(s->rows, "row", "rows"));
    if (s->views)
        buf_addf(out, ", %zu %s", s->views, plural(s->views, "view", "views"));
    if (s->triggers)
        buf_addf(out, ", %zu %s", s->triggers, plural(s->triggers, "trigger", "triggers"));
    if (s->routines)
        buf_addf(out, ", %zu %s", s->routines, plural(s->routines, "routine", "routines"));
    if (s->sequences)
        buf_addf(out, ", %zu %s", s->sequences, plural(s->sequences, "sequence", "sequences"));
}

static void warn_events(const struct db_dump_stats *s)
{
    if (s->events_skipped)
        fprintf(stderr, "warning: %zu scheduled %s left out: dumps hold no events\n",
                s->events_skipped, plural(s->events_skipped, "event", "events"));
}

/*
 * Dump into the snapshot directory with `label`; *path_out (caller frees)
 * names the file.
 */
static int take_snapshot(struct db_target *t, struct db_conn *conn, const char *label,
                         char **path_out, struct db_dump_stats *stats, struct ds_error *err)
{
    struct db_dump_options o = {.cancel = &sig_interrupted};
    struct buf name = BUF_INIT;
    char *dir = snapshot_dir_of(t), *path = NULL, *rev = current_revision(conn);
    time_t now = time(NULL);
    const char *project =
            t->project ? t->project->name : (t->url.database ? t->url.database : "db");
    int rc;

    *path_out = NULL;
    o.revision = rev;
    rc = db_snapshot_dir_prepare(dir, err);
    for (unsigned n = 1; rc == 0; n++) {
        buf_setlen(&name, 0);
        rc = db_snapshot_name(&name, project, now, n, rev, label, err);
        free(path);
        path = rc < 0 ? NULL : path_join(dir, name.buf);
        if (rc < 0 || access(path, F_OK) < 0 || n == 100)
            break;
    }
    if (rc < 0)
        goto done;
    rc = db_dump_file(conn, path, &o, stats, err);
    if (rc < 0) {
        ds_error_wrap(err, "snapshot of database '%s'", t->url.database ? t->url.database : "");
        goto done;
    }
    *path_out = path;
    path = NULL;

done:
    free(dir);
    free(path);
    free(rev);
    buf_release(&name);
    return rc;
}

/* Print what a snapshot holds: "snapshot: NAME (1.2 MB; 12 tables, ...)". */
static void print_snapshot(FILE *f, const char *prefix, const char *path,
                           const struct db_dump_stats *s)
{
    struct buf what = BUF_INIT;
    char *size = size_string(s->file_bytes);

    describe_dump(&what, s);
    fprintf(f, "%s%s (%s; %s)\n", prefix, path, size, what.buf);
    warn_events(s);
    free(size);
    buf_release(&what);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* ---- db dump --------------------------------------------------------------------- */

int db_dump_cmd(int argc, char **argv)
{
    static bool force;
    static const char *file;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "force", 0, &force, NULL, "replace FILE when it exists"},
            {OPT_ARG, "FILE", 0, &file, NULL,
             "where to write: .gz compresses, - is standard output (default: DB-TIME.sql.gz)"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t = {0};
    struct db_conn *conn = NULL;
    struct db_dump_stats stats;
    struct db_dump_options o = {.cancel = &sig_interrupted};
    struct buf name = BUF_INIT, what = BUF_INIT;
    char *rev = NULL, *size = NULL, *raw = NULL;
    double start = now_s();
    int status;

    if (!cmd_parse("db dump", opts, argc, argv, 0, NULL, &status))
        return status;
    if (open_and_connect(&t, &conn, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (!file) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        buf_addf(&name, "%s-%s.sql.gz", t.url.database ? t.url.database : "db", stamp);
        file = name.buf;
    }
    rev = current_revision(conn);
    o.revision = rev;
    o.replace = force;
    signals_catch();
    if (db_dump_file(conn, file, &o, &stats, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    describe_dump(&what, &stats);
    size = size_string(stats.file_bytes);
    raw = size_string(stats.sql_bytes);
    /* on stdout the dump itself goes there: the summary goes to stderr */
    fprintf(strcmp(file, "-") ? stdout : stderr,
            "dumped '%s' to %s: %s (%s; %s of SQL) in %.1f s\n",
            t.url.database ? t.url.database : "", strcmp(file, "-") ? file : "standard output",
            size, what.buf, raw, now_s() - start);
    warn_events(&stats);
    status = EXIT_OK;

done:
    db_close(conn);
    db_target_release(&t);
    buf_release(&name);
    buf_release(&what);
    free(rev);
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
static int restore_from(struct db_target *t, struct db_conn *conn, const char *path, bool yes,
                        bool no_snapshot, struct ds_error *err)
{
    struct db_census c;
    struct db_restore_options ro = {.cancel = &sig_interrupted};
    struct db_restore_stats rs;
    struct db_dump_stats ds_stats;
    struct buf question = BUF_INIT;
    char *safety = NULL, *size = NULL;
    const char *db = t->url.database ? t->url.database : "";
    bool from_stdin = !strcmp(path, "-");
    double start;
    int fd = -1, rc;

    ro.name = from_stdin ? "standard input" : path;
    fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = ds_error_errno(err, errno, "cannot open '%s'", path);
        goto done;
    }
    rc = db_census(conn, &c, err);
    if (rc < 0)
        goto done;
    size = size_string(c.bytes);
    if (c.tables || c.views || c.routines)
        buf_addf(&question,
                 "This drops database '%s' (%zu %s, about %" PRIu64 " rows, %s) and loads '%s' "
                 "into it.",
                 db, c.tables, plural(c.tables, "table", "tables"), c.rows_estimate, size, ro.name);
    else
        buf_addf(&question, "This loads '%s' into the empty database '%s'.", ro.name, db);
    fprintf(stderr, "%s\n", question.buf);
    if (from_stdin && !yes) {
        rc = ds_error_set(err, DS_EPERM, "restoring from standard input needs --yes");
        ds_error_hint(err, "the terminal cannot be asked while stdin is the dump");
        goto done;
    }
    if ((rc = confirm("Go on?", NULL, yes, "--yes", err)) < 0)
        goto done;
    if ((c.tables || c.views || c.routines) && !no_snapshot) {
        fprintf(stderr, "snapshot: keeping what '%s' holds now\n", db);
        rc = take_snapshot(t, conn, "before-restore", &safety, &ds_stats, err);
        if (rc < 0) {
            ds_error_hint(err, "nothing was changed; --no-snapshot restores without keeping "
                               "what the database holds");
            goto done;
        }
        print_snapshot(stderr, "snapshot: ", safety, &ds_stats);
    }
    start = now_s();
    if ((rc = db_recreate(conn, err)) < 0 || (rc = db_restore(conn, fd, &ro, &rs, err)) < 0) {
        if (safety)
            ds_error_hint(err,
                          "what the database held before is in snapshot '%s': "
                          "devstack db snapshot restore %s",
                          base_name(safety), base_name(safety));
        goto done;
    }
    rc = db_census(conn, &c, err);
    if (rc < 0)
        goto done;
    printf("restored '%s' from %s: %zu %s, %zu %s, %" PRIu64 " statements in %.1f s\n", db, ro.name,
           c.tables, plural(c.tables, "table", "tables"), c.views, plural(c.views, "view", "views"),
           rs.statements, now_s() - start);
    if (safety)
        printf("what it held before: %s\n", safety);

done:
    if (fd >= 0 && !from_stdin)
        close(fd);
    free(safety);
    free(size);
    buf_release(&question);
    return rc;
}

int db_restore_cmd(int argc, char **argv)
{
    static bool yes, no_snapshot;
    static const char *file;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "yes", 'y', &yes, NULL, "do not ask before replacing the database"},
            {OPT_BOOL, "no-snapshot", 0, &no_snapshot, NULL,
             "do not keep a snapshot of what the database holds first"},
            {OPT_ARG, "FILE", 0, &file, NULL, "the dump (.sql or .sql.gz; - for stdin)",
             OPT_REQUIRED},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t = {0};
    struct db_conn *conn = NULL;
    int status;

    if (!cmd_parse("db restore", opts, argc, argv, 0, NULL, &status))
        return status;
    if (strcmp(file, "-") && access(file, R_OK) < 0) {
        ds_error_errno(&err, errno, "cannot read '%s'", file);
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();
    if (open_and_connect(&t, &conn, &err) < 0 ||
        restore_from(&t, conn, file, yes, no_snapshot, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    status = EXIT_OK;

done:
    db_close(conn);
    db_target_release(&t);
    ds_error_release(&err);
    return status;
}

/* ---- db snapshot, db snapshots ------------------------------------------------------------- */

static void report_removed(const struct db_snapshots *l)
{
    for (size_t i = 0; i < l->removed.n; i++)
        fprintf(stderr, "note: removed '%s', left by a dump that did not finish\n",
                l->removed.v[i]);
}

static int snapshot_take(int argc, char **argv)
{
    static const char *label;
    static const struct opt_spec opts[] = {
            {OPT_ARG, "NAME", 0, &label, NULL,
             "a label for the snapshot (letters, digits, - and _)"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t = {0};
    struct db_conn *conn = NULL;
    struct db_dump_stats stats;
    struct db_snapshots l = {0};
    char *path = NULL, *dir = NULL;
    int status;

    if (!cmd_parse("db snapshot", opts, argc, argv, 0, NULL, &status))
        return status;
    signals_catch();
    if (open_and_connect(&t, &conn, &err) < 0 ||
        take_snapshot(&t, conn, label, &path, &stats, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    dir = snapshot_dir_of(&t);
    if (db_snapshot_list(dir, &l, &err) == 0)
        report_removed(&l);
    ds_error_release(&err);
    print_snapshot(stdout, "snapshot: ", path, &stats);
    printf("restore it with: devstack db snapshot restore %s\n", base_name(path));
    status = EXIT_OK;

done:
    db_snapshots_release(&l);
    db_close(conn);
    db_target_release(&t);
    free(path);
    free(dir);
    ds_error_release(&err);
    return status;
}

/* The target (no connection) and its snapshot list. */
static int open_snapshots(struct db_target *t, struct db_snapshots *l, char **dir,
                          struct ds_error *err)
{
    int rc = db_target_open(t, NULL, NULL, 0, err);

    if (rc < 0)
        return rc;
    *dir = snapshot_dir_of(t);
    rc = db_snapshot_list(*dir, l, err);
    if (rc == 0)
        report_removed(l);
    return rc;
}

static int snapshot_restore(int argc, char **argv)
{
    static bool yes, no_snapshot, latest;
    static const char *name;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "latest", 0, &latest, NULL, "the newest snapshot"},
            {OPT_BOOL, "yes", 'y', &yes, NULL, "do not ask before replacing the database"},
            {OPT_BOOL, "no-snapshot", 0, &no_snapshot, NULL,
             "do not keep a snapshot of what the database holds first"},
            {OPT_ARG, "NAME", 0, &name, NULL, "the snapshot: its name, label or a prefix"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t = {0};
    struct db_conn *conn = NULL;
    struct db_snapshots l = {0};
    const struct db_snapshot *s = NULL;
    char *dir = NULL, *path = NULL;
    int status;

    if (!cmd_parse("db snapshot restore", opts, argc, argv, 0, NULL, &status))
        return status;
    if (!name == !latest)
        return cmd_usage_error("db snapshot restore", opts, "give a NAME or --latest");
    signals_catch();
    if (open_snapshots(&t, &l, &dir, &err) < 0) {
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
    if (connect_for_work(&t, &conn, &err) < 0 ||
        restore_from(&t, conn, path, yes, no_snapshot, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    status = EXIT_OK;

done:
    db_snapshots_release(&l);
    db_close(conn);
    db_target_release(&t);
    free(dir);
    free(path);
    ds_error_release(&err);
    return status;
}

static int snapshot_rm(int argc, char **argv)
{
    static const char *name;
    static const struct opt_spec opts[] = {
            {OPT_ARG, "NAME", 0, &name, NULL, "the snapshot: its full name", OPT_REQUIRED},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t = {0};
    struct db_snapshots l = {0};
    const struct db_snapshot *s;
    char *dir = NULL;
    int status;

    if (!cmd_parse("db snapshot rm", opts, argc, argv, 0, NULL, &status))
        return status;
    if (open_snapshots(&t, &l, &dir, &err) < 0 || !(s = db_snapshot_find(&l, name, &err))) {
        status = cmd_error(&err);
        goto done;
    }
    /* deleting takes the exact name: a label or prefix could name another one tomorrow */
    if (strcmp(s->name, name) && strcmp(base_name(s->path), name)) {
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
    db_target_release(&t);
    free(dir);
    ds_error_release(&err);
    return status;
}

int db_snapshot_cmd(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "restore"))
        return snapshot_restore(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "rm"))
        return snapshot_rm(argc - 1, argv + 1);
    if (argc > 1 && (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list")))
        return db_snapshots_cmd(argc - 1, argv + 1);
    return snapshot_take(argc, argv);
}

int db_snapshots_cmd(int argc, char **argv)
{
    static bool quiet;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only the names"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t = {0};
    struct db_snapshots l = {0};
    char *dir = NULL;
    size_t width = 4;
    int status;

    if (!cmd_parse("db snapshots", opts, argc, argv, 0, NULL, &status))
        return status;
    if (open_snapshots(&t, &l, &dir, &err) < 0) {
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
        size = size_string((uint64_t)s->size);
        printf("%-*s  %-16s  %8s  %s\n", (int)width, s->name, when, size,
               s->revision  ? s->revision
               : s->project ? "none"
                            : "?");
        free(size);
    }
    status = EXIT_OK;

done:
    db_snapshots_release(&l);
    db_target_release(&t);
    free(dir);
    ds_error_release(&err);
    return status;
}

/* ---- db shell ------------------------------------------------------------------------------ */

/* mariadb's images name the client mariadb (11 has no mysql); MySQL's, mysql. */
static const char *client_of(const struct compose_service *db)
{
    for (size_t i = 0; i < db->environment.n; i++)
        if (!strncmp(db->environment.items[i].key, "MARIADB_", 8))
            return "mariadb";
    if (db->image && strstr(db->image, "mariadb"))
        return "mariadb";
    return "mysql";
}

int db_shell_cmd(int argc, char **argv)
{
    static bool root;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "root", 0, &root, NULL, "as root (MYSQL_ROOT_PASSWORD), not the app user"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t = {0};
    struct strvec cmd = STRVEC_INIT, env = STRVEC_INIT;
    const char *password = NULL;
    int status;

    if (!cmd_parse("db shell", opts, argc, argv, 0, NULL, &status))
        return status;
    if (db_target_open(&t, NULL, NULL, 0, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (!t.project || !t.info.db) {
        ds_error_set(&err, DS_ENOTFOUND, "no database service to open a shell in");
        ds_error_hint(&err, t.in_devcontainer
                                    ? "run 'devstack db shell' on the host"
                                    : "the compose file needs a service with MYSQL_DATABASE "
                                      "or MARIADB_DATABASE in its environment");
        status = cmd_error(&err);
        goto done;
    }
    strvec_push(&cmd, client_of(t.info.db));
    if (root) {
        password = kvlist_get(&t.info.db->environment, "MARIADB_ROOT_PASSWORD");
        if (!password)
            password = kvlist_get(&t.info.db->environment, "MYSQL_ROOT_PASSWORD");
        strvec_pushv(&cmd, (const char *const[]){"-u", "root", NULL});
    } else if (t.info.have_url) {
        password = t.info.url.password;
        strvec_pushf(&cmd, "-u%s", t.info.url.user ? t.info.url.user : "");
    }
    if (t.info.have_url && t.info.url.database)
        strvec_push(&cmd, t.info.url.database);
    /* in the exec's environment, never in its argv: ps shows argv to everyone */
    if (password)
        strvec_pushf(&env, "MYSQL_PWD=%s", password);
    status = cmd_exec_service(t.info.db->name, &cmd, &env);

done:
    strvec_clear(&cmd);
    strvec_clear(&env);
    db_target_release(&t);
    ds_error_release(&err);
    return status;
}

/* ---- before clear and reset --------------------------------------------------------------- */

int db_snapshot_before(struct compose_project *p, const char *what, char **path,
                       struct ds_error *err)
{
    struct db_target t = {0};
    struct db_conn *conn = NULL;
    struct db_dump_stats stats;
    struct stack_db_info info;
    struct buf label = BUF_INIT;
    int rc;

    *path = NULL;
    stack_db_info(&info, p);
    rc = info.db ? 1 : 0;
    stack_db_info_release(&info);
    if (!rc)
        return 0;
    buf_addf(&label, "before-%s", what);
    fprintf(stderr, "snapshot: dumping the database before %s\n", what);
    rc = db_target_open(&t, NULL, NULL, DBT_NEED_URL, err);
    if (rc == 0)
        rc = connect_for_work(&t, &conn, err);
    if (rc == 0)
        rc = take_snapshot(&t, conn, label.buf, path, &stats, err);
    if (rc == DS_EINTR) {
        ds_error_set(err, DS_EINTR, "interrupted while taking the snapshot: nothing was deleted");
    } else if (rc < 0) {
        ds_error_wrap(err, "cannot keep a snapshot of the database, so nothing was deleted");
        ds_error_hint(err, "start the database ('devstack up') and try again, or pass "
                           "--no-snapshot to go on without a snapshot");
    } else {
        print_snapshot(stderr, "snapshot: ", *path, &stats);
        rc = 1;
    }
    db_close(conn);
    db_target_release(&t);
    buf_release(&label);
    return rc;
}
