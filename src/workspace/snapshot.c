/* Snapshots of the workspace's database, and restores that keep what was there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workspace/internal.h"
#include "workspace/snapshot.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/path.h"
#include "util/size.h"
#include "util/banned.h"

int workspace_dump(const struct workspace *ws, struct db_conn *conn, const char *path, bool replace,
                   volatile sig_atomic_t *cancel, struct db_dump_stats *stats, struct ds_error *err)
{
    struct db_dump_options o = {.cancel = cancel, .replace = replace};
    struct db_pg_tools pg;
    struct buf where = BUF_INIT;
    char *rev = workspace_revision(ws, conn);
    int rc;

    workspace_pg_tools(ws, &pg, &where);
    o.pg = &pg;
    o.revision = rev;
    rc = db_dump_file(conn, path, &o, stats, err);
    free(rev);
    buf_release(&where);
    return rc;
}

char *workspace_snapshot_dir(const struct workspace *ws)
{
    return db_snapshot_dir(ws->project ? ws->project->working_dir : ".");
}

char *workspace_revision(const struct workspace *ws, struct db_conn *conn)
{
    struct strvec v = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct buf b = BUF_INIT;
    bool exists = false;

    if (workspace_alembic_versions(ws, conn, &v, &exists, &err) == 0)
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

int workspace_snapshot_take(const struct workspace *ws, struct db_conn *conn, const char *label,
                            volatile sig_atomic_t *cancel, char **path_out,
                            struct db_dump_stats *stats, struct ds_error *err)
{
    struct db_dump_options o = {.cancel = cancel};
    struct db_pg_tools pg;
    struct buf name = BUF_INIT, where = BUF_INIT;
    char *dir = workspace_snapshot_dir(ws), *path = NULL, *rev = workspace_revision(ws, conn);
    const char *database = ws->url.url.database;
    time_t now = time(NULL);
    int rc;

    *path_out = NULL;
    workspace_pg_tools(ws, &pg, &where);
    o.pg = &pg;
    o.revision = rev;
    rc = db_snapshot_dir_prepare(dir, err);
    for (unsigned n = 1; rc == 0; n++) {
        buf_reset(&name);
        rc = db_snapshot_name(&name,
                              ws->project ? ws->project->name
                              : database  ? database
                                          : "db",
                              now, n, rev, label, err);
        free(path);
        path = rc < 0 ? NULL : path_join(dir, name.buf);
        if (rc < 0 || access(path, F_OK) < 0 || n == 100)
            break;
    }
    if (rc < 0)
        goto done;
    rc = db_dump_file(conn, path, &o, stats, err);
    if (rc < 0) {
        ds_error_wrap(err, "snapshot of database '%s'", database ? database : "");
        goto done;
    }
    *path_out = path;
    path = NULL;

done:
    free(dir);
    free(path);
    free(rev);
    buf_release(&name);
    buf_release(&where);
    return rc;
}

void workspace_note_snapshot(const struct workspace_notes *n, const char *path,
                             const struct db_dump_stats *s)
{
    struct buf what = BUF_INIT, size = BUF_INIT;

    size_format(&size, s->file_bytes, SIZE_DECIMAL);
    db_dump_describe(&what, s);
    workspace_note(n, WORKSPACE_NOTE, "snapshot: %s (%s; %s)", path, size.buf, what.buf);
    if (s->events_skipped)
        workspace_note(n, WORKSPACE_WARNING, "%zu scheduled %s left out: dumps hold no events",
                       s->events_skipped, s->events_skipped == 1 ? "event" : "events");
    buf_release(&what);
    buf_release(&size);
}

int workspace_snapshot_before(const struct workspace *ws, const char *what,
                              volatile sig_atomic_t *cancel, char **path,
                              struct db_dump_stats *stats, struct ds_error *err)
{
    struct db_conn *conn = NULL;
    struct buf label = BUF_INIT;
    int rc;

    *path = NULL;
    if (!ws->project || !ws->services.db)
        return 0;
    buf_addf(&label, "before-%s", what);
    rc = workspace_connect_for_work(ws, &conn, err);
    if (rc == 0)
        rc = workspace_snapshot_take(ws, conn, label.buf, cancel, path, stats, err);
    if (rc == DS_EINTR) {
        ds_error_set(err, DS_EINTR, "interrupted while taking the snapshot: nothing was deleted");
    } else if (rc < 0) {
        ds_error_wrap(err, "cannot keep a snapshot of the database, so nothing was deleted");
        ds_error_hint(err, "start the database ('devstack up') and try again, or pass "
                           "--no-snapshot to go on without a snapshot");
    } else {
        rc = 1;
    }
    db_close(conn);
    buf_release(&label);
    return rc;
}

static bool listed(const struct stack_clear_list *l, enum stack_clear_kind kind, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].kind == kind && !strcmp(l->items[i].id, id))
            return true;
    return false;
}

const struct compose_service *workspace_clear_at_risk(const struct workspace *ws,
                                                      const struct stack_clear_list *l)
{
    const struct compose_project *p = ws->project;
    const struct compose_service *db = ws->services.db;
    bool container_goes = false, anonymous = false, kept_elsewhere = false;

    if (!p || !db)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        const struct stack_clear_item *it = &l->items[i];

        if (it->kind == CLEAR_CONTAINER && it->service && !strcmp(it->service, db->name) &&
            it->project && !strcmp(it->project, p->name))
            container_goes = true;
    }
    for (size_t i = 0; i < db->n_volumes; i++) {
        const struct compose_mount *m = &db->volumes[i];
        const struct compose_volume *v;

        if (m->type == COMPOSE_MOUNT_BIND) {
            kept_elsewhere = true;
        } else if (m->type == COMPOSE_MOUNT_VOLUME && !m->source) {
            anonymous = true;
        } else if (m->type == COMPOSE_MOUNT_VOLUME) {
            v = compose_find_volume(p, m->source);
            if (listed(l, CLEAR_VOLUME, v ? v->name : m->source))
                return db;
            kept_elsewhere = true;
        }
    }
    /* no mount for the data: it is in the anonymous volume the image declares */
    if (container_goes && (anonymous || !kept_elsewhere))
        return db;
    return NULL;
}

void workspace_restore_plan(struct workspace_restore_plan *out, const char *path,
                            const struct db_census *census, bool no_snapshot)
{
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    out->from_stdin = !strcmp(path, "-");
    out->source = out->from_stdin ? "standard input" : path;
    out->before = *census;
    out->replaces = census->tables || census->views || census->routines;
    out->snapshot = out->replaces && !no_snapshot;
}

int workspace_restore_files(const struct workspace_revision_files *in, const char **bring_back,
                            struct ds_error *err)
{
    *bring_back = NULL;
    if (!in->revision || (in->uses_alembic && in->here))
        return 0;
    if (in->moved) {
        *bring_back = in->moved;
        return 0;
    }
    if (!in->uses_alembic)
        return 0; /* no migration files to disagree with */
    ds_error_set(err, DS_ENOTFOUND,
                 "the dump is at revision '%s', which no revision file has, here or in a folder "
                 "reset moved aside",
                 in->revision);
    ds_error_hint(err, "nothing was changed: after this restore Alembic could not find the "
                       "database's revision; check out the revision files that have it (git "
                       "log --all -- <scripts folder>), then restore again");
    return DS_ENOTFOUND;
}

/* Do the revision files of the ini at `ini_path` have every head of `revision` ("a+b")? */
static bool files_have(const char *ini_path, const char *section, const char *revision)
{
    struct alembic_ini ini;
    struct revmap map = REVMAP_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct strvec ids = STRVEC_INIT;
    bool all = false;

    if (alembic_ini_load(&ini, ini_path, section, &err) == 0) {
        if (revmap_load(&map, &ini, &err) == 0) {
            strvec_split(&ids, revision, '+');
            all = ids.n > 0;
            for (size_t i = 0; all && i < ids.n; i++)
                all = revmap_get(&map, ids.v[i]) != NULL;
            strvec_clear(&ids);
        }
        revmap_release(&map);
        alembic_ini_release(&ini);
    }
    ds_error_release(&err);
    return all;
}

static int newest_first(const void *a, const void *b)
{
    return strcmp(*(const char *const *)b, *(const char *const *)a);
}

/* The newest folder reset moved alembic.ini to whose files have `revision`; NULL: none. */
static char *moved_with(const struct workspace *ws, const char *revision)
{
    char *snapdir = workspace_snapshot_dir(ws), *home = path_dirname(snapdir), *found = NULL;
    const char *ini_name = path_basename(ws->ini_path);
    struct strvec dirs = STRVEC_INIT;
    DIR *d = opendir(home);
    struct dirent *e;

    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "reset-", 6))
            strvec_push(&dirs, e->d_name);
    if (d)
        closedir(d);
    qsort(dirs.v, dirs.n, sizeof(*dirs.v), newest_first);
    for (size_t i = 0; !found && i < dirs.n; i++) {
        char *dir = path_join(home, dirs.v[i]), *ini = path_join(dir, ini_name);

        if (path_is_file(ini) && files_have(ini, NULL, revision))
            found = xstrdup(dir);
        free(ini);
        free(dir);
    }
    strvec_clear(&dirs);
    free(snapdir);
    free(home);
    return found;
}

/* Standard input, copied to a file that goes when it is closed: read twice, checked first. */
static int spool_stdin(int *fd_out, volatile sig_atomic_t *cancel, struct ds_error *err)
{
    const char *tmp = getenv("TMPDIR");
    struct buf path = BUF_INIT;
    char chunk[64 << 10];
    int fd;

    buf_addf(&path, "%s/devstack-restore-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    fd = mkostemp(path.buf, O_CLOEXEC);
    if (fd < 0) {
        int rc = ds_error_errno(err, errno,
                                "cannot make a temporary file '%s' for standard "
                                "input",
                                path.buf);
        buf_release(&path);
        return rc;
    }
    unlink(path.buf);
    buf_release(&path);
    for (;;) {
        ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR && !(cancel && *cancel))
            continue;
        if (n < 0 || (cancel && *cancel)) {
            int rc = cancel && *cancel ? ds_error_set(err, DS_EINTR,
                                                      "interrupted while reading "
                                                      "standard input")
                                       : ds_error_errno(err, errno, "reading standard input");
            close(fd);
            return rc;
        }
        if (n == 0)
            break;
        if (file_write_all(fd, chunk, (size_t)n) < 0) {
            int rc = ds_error_errno(err, errno, "copying standard input to a temporary file");
            close(fd);
            return rc;
        }
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        int rc = ds_error_errno(err, errno, "reading standard input back");

        close(fd);
        return rc;
    }
    *fd_out = fd;
    return 0;
}

int workspace_restore_prepare(const struct workspace *ws, struct db_conn *conn, const char *path,
                              bool no_snapshot, struct workspace_restore_plan *out,
                              struct ds_error *err)
{
    struct db_census census;
    struct db_dump_check dump;
    struct workspace_revision_files files = {.uses_alembic = ws->ini_loaded};
    const char *bring_back = NULL;
    char *moved = NULL;
    int fd = -1, rc;

    memset(out, 0, sizeof(*out));
    out->fd = -1;
    if (!strcmp(path, "-"))
        rc = spool_stdin(&fd, NULL, err);
    else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        rc = ds_error_errno(err, errno, "cannot open '%s'", path);
    else
        rc = 0;
    if (rc < 0)
        return rc;
    rc = db_restore_check(fd, strcmp(path, "-") ? path : "standard input", &dump, err);
    if (rc == 0 && dump.engine != ws->url.url.engine) {
        rc = ds_error_set(err, DS_EINVAL, "'%s' is a %s dump, and the database is %s", path,
                          dump.engine == DB_POSTGRES ? "PostgreSQL" : "MySQL",
                          ws->url.url.engine == DB_POSTGRES ? "PostgreSQL" : "MySQL");
        ds_error_hint(err, "nothing was changed: a dump loads into the kind of server it was "
                           "made on");
    }
    if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
        rc = ds_error_errno(err, errno, "cannot read '%s' again", path);
    if (rc == 0)
        rc = db_census(conn, &census, err);
    if (rc == 0) {
        files.revision = dump.revision;
        if (dump.revision && ws->ini_loaded)
            files.here = files_have(ws->ini_path, NULL, dump.revision);
        if (dump.revision && !files.here)
            files.moved = moved = moved_with(ws, dump.revision);
        rc = workspace_restore_files(&files, &bring_back, err);
    }
    if (rc < 0) {
        close(fd);
        db_dump_check_release(&dump);
        free(moved);
        return rc;
    }
    workspace_restore_plan(out, path, &census, no_snapshot);
    out->dump = dump;
    out->fd = fd;
    if (bring_back) {
        out->bring_back = xstrdup(bring_back);
        out->aside = workspace_aside_dir(ws, "restore");
        out->ini = xstrdup(ws->ini_path);
        out->scripts = workspace_scripts_dir(ws);
    }
    free(moved);
    return 0;
}

void workspace_restore_plan_release(struct workspace_restore_plan *p)
{
    if (p->fd >= 0)
        close(p->fd);
    db_dump_check_release(&p->dump);
    free(p->bring_back);
    free(p->aside);
    free(p->ini);
    free(p->scripts);
    memset(p, 0, sizeof(*p));
    p->fd = -1;
}

/* The moved files come back where the workspace looks for them; the current ones go aside. */
static int bring_back(const struct workspace_restore_plan *plan, struct ds_error *err)
{
    const char *const current[] = {plan->ini, plan->scripts};
    const char *const names[] = {path_basename(plan->ini), path_basename(plan->scripts)};
    int rc = workspace_move_into(plan->aside, current, ARRAY_SIZE(current), err);

    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(names); i++) {
        char *from = path_join(plan->bring_back, names[i]);

        if (access(from, F_OK) == 0 && rename(from, current[i]) < 0)
            rc = ds_error_errno(err, errno, "cannot move '%s' back to '%s'", from, current[i]);
        free(from);
    }
    if (rc == 0)
        rmdir(plan->bring_back); /* empty now, unless it held more */
    return rc;
}

/* workspace_restore() with the restore's options made. */
static int restore(const struct workspace *ws, struct db_conn *conn,
                   const struct workspace_restore_plan *plan, volatile sig_atomic_t *cancel,
                   const struct db_restore_options *ro, struct workspace_restore_result *out,
                   struct ds_error *err)
{
    int rc;

    if (plan->snapshot) {
        rc = workspace_snapshot_take(ws, conn, "before-restore", cancel, &out->snapshot,
                                     &out->snapshot_stats, err);
        if (rc < 0) {
            ds_error_hint(err, "nothing was changed; --no-snapshot restores without keeping "
                               "what the database holds");
            return rc;
        }
    }
    if (cancel && *cancel)
        return ds_error_set(err, DS_EINTR, "interrupted: the database was not changed");
    /* PostgreSQL's restore replaces the database itself, once the dump has loaded */
    if ((!db_restore_replaces(conn) && (rc = db_recreate(conn, err)) < 0) ||
        (rc = db_restore(conn, plan->fd, ro, &out->stats, err)) < 0) {
        if (out->snapshot) {
            const char *base = path_basename(out->snapshot);

            ds_error_hint(err,
                          "what the database held before is in snapshot '%s': devstack db "
                          "snapshot restore %s",
                          base, base);
        }
        return rc;
    }
    if (plan->bring_back) {
        if ((rc = bring_back(plan, err)) < 0) {
            ds_error_hint(err,
                          "the database is restored; move alembic.ini and the scripts "
                          "folder from '%s' back by hand",
                          plan->bring_back);
            return rc;
        }
        out->brought_back = true;
    }
    return db_census(conn, &out->after, err);
}

int workspace_restore(const struct workspace *ws, struct db_conn *conn,
                      const struct workspace_restore_plan *plan, volatile sig_atomic_t *cancel,
                      struct workspace_restore_result *out, struct ds_error *err)
{
    struct db_restore_options ro = {.name = plan->source, .cancel = cancel};
    struct db_pg_tools pg;
    struct buf where = BUF_INIT;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    workspace_pg_tools(ws, &pg, &where);
    ro.pg = &pg;
    rc = restore(ws, conn, plan, cancel, &ro, out, err);
    buf_release(&where);
    return rc;
}

void workspace_restore_result_release(struct workspace_restore_result *r)
{
    free(r->snapshot);
    memset(r, 0, sizeof(*r));
}
