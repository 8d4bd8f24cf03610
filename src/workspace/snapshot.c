/* Snapshots of the workspace's database, and restores that keep what was there. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workspace/snapshot.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/path.h"
#include "util/size.h"
#include "util/banned.h"

int workspace_dump(const struct workspace *ws, struct db_conn *conn, const char *path, bool replace,
                   volatile sig_atomic_t *cancel, struct db_dump_stats *stats, struct ds_error *err)
{
    struct db_dump_options o = {.cancel = cancel, .replace = replace};
    char *rev = workspace_revision(conn);
    int rc;

    (void)ws;
    o.revision = rev;
    rc = db_dump_file(conn, path, &o, stats, err);
    free(rev);
    return rc;
}

char *workspace_snapshot_dir(const struct workspace *ws)
{
    return db_snapshot_dir(ws->project ? ws->project->working_dir : ".");
}

char *workspace_revision(struct db_conn *conn)
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

int workspace_snapshot_take(const struct workspace *ws, struct db_conn *conn, const char *label,
                            volatile sig_atomic_t *cancel, char **path_out,
                            struct db_dump_stats *stats, struct ds_error *err)
{
    struct db_dump_options o = {.cancel = cancel};
    struct buf name = BUF_INIT;
    char *dir = workspace_snapshot_dir(ws), *path = NULL, *rev = workspace_revision(conn);
    const char *database = ws->url.url.database;
    time_t now = time(NULL);
    int rc;

    *path_out = NULL;
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
    out->from_stdin = !strcmp(path, "-");
    out->source = out->from_stdin ? "standard input" : path;
    out->before = *census;
    out->replaces = census->tables || census->views || census->routines;
    out->snapshot = out->replaces && !no_snapshot;
}

int workspace_restore_prepare(struct db_conn *conn, const char *path, bool no_snapshot,
                              struct workspace_restore_plan *out, struct ds_error *err)
{
    struct db_census c;
    int rc = db_census(conn, &c, err);

    if (rc == 0)
        workspace_restore_plan(out, path, &c, no_snapshot);
    return rc;
}

int workspace_restore(const struct workspace *ws, struct db_conn *conn,
                      const struct workspace_restore_plan *plan, int fd,
                      volatile sig_atomic_t *cancel, struct workspace_restore_result *out,
                      struct ds_error *err)
{
    struct db_restore_options ro = {.name = plan->source, .cancel = cancel};
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (plan->snapshot) {
        rc = workspace_snapshot_take(ws, conn, "before-restore", cancel, &out->snapshot,
                                     &out->snapshot_stats, err);
        if (rc < 0) {
            ds_error_hint(err, "nothing was changed; --no-snapshot restores without keeping "
                               "what the database holds");
            return rc;
        }
    }
    if ((rc = db_recreate(conn, err)) < 0 ||
        (rc = db_restore(conn, fd, &ro, &out->stats, err)) < 0) {
        if (out->snapshot) {
            const char *base = path_basename(out->snapshot);

            ds_error_hint(err,
                          "what the database held before is in snapshot '%s': devstack db "
                          "snapshot restore %s",
                          base, base);
        }
        return rc;
    }
    return db_census(conn, &out->after, err);
}

void workspace_restore_result_release(struct workspace_restore_result *r)
{
    free(r->snapshot);
    memset(r, 0, sizeof(*r));
}
