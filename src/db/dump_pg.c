/*
 * Dumps and restores of PostgreSQL databases with PostgreSQL's own tools,
 * run where struct db_pg_tools says (the database's container, through an
 * exec, or this host): pg_dump because it reproduces every kind of object
 * exactly in one consistent snapshot of its own, and the one in the
 * server's container always matches the server's version; psql because it
 * loads pg_dump's plain format as it is (COPY ... FROM stdin blocks, the
 * \restrict meta-commands of recent pg_dumps).
 *
 * A restore never empties the database it replaces. The dump is checked to
 * its end, then loaded into a new database (psql --single-transaction, with
 * ON_ERROR_STOP), and only once it has loaded are the old database's
 * sessions ended, from the maintenance database `postgres`, and the two
 * renamed in one transaction: a failed load, a dump cut short or an
 * interrupted restore leaves the database as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <zlib.h>

#include "db/dump.h"
#include "db/internal.h"
#include "db/pgscan.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/banned.h"

#define NAME_MAX_BYTES 63 /* NAMEDATALEN - 1 */
#define FEED_CHUNK     (64u << 10)
#define SWAP_ATTEMPTS  50 /* sessions that come back while the databases are renamed */

/* The PG* variables that point a tool at the connection's server, as its user, in `database`. */
static void tool_env(PGconn *pg, const struct db_pg_tools *t, const char *database,
                     struct strvec *env)
{
    const char *pass = PQpass(pg);

    strvec_pushf(env, "PGUSER=%s", PQuser(pg));
    strvec_pushf(env, "PGDATABASE=%s", database ? database : PQdb(pg));
    if (pass && *pass)
        strvec_pushf(env, "PGPASSWORD=%s", pass);
    if (!t->beside_server) {
        strvec_pushf(env, "PGHOST=%s", PQhost(pg));
        strvec_pushf(env, "PGPORT=%s", PQport(pg));
    } else if (t->port) {
        strvec_pushf(env, "PGPORT=%u", t->port); /* the socket's name: .s.PGSQL.<port> */
    }
    strvec_push(env, "PGAPPNAME=devstack");
    strvec_push(env, "PGCONNECT_TIMEOUT=10");
}

/* A tool's standard error, for a message: its ERROR or FATAL lines, else its first line. */
static void tool_message(struct buf *out, const struct buf *errout)
{
    const char *p = errout->buf, *end = errout->buf + errout->len;
    bool any = false;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);

        if (memmem(p, n, "ERROR:", 6) || memmem(p, n, "FATAL:", 6) || memmem(p, n, "error:", 6)) {
            buf_addf(out, "%s%.*s", any ? "; " : "", (int)(n > 300 ? 300 : n), p);
            any = true;
        }
        p = nl ? nl + 1 : end;
    }
    if (!any && errout->len) {
        const char *nl = memchr(errout->buf, '\n', errout->len);
        size_t n = nl ? (size_t)(nl - errout->buf) : errout->len;

        buf_addf(out, "%.*s", (int)(n > 300 ? 300 : n), errout->buf);
    }
    if (!out->len)
        buf_adds(out, "it said nothing");
}

/* err for a tool that could not run, or ran and failed with `code`. */
static int tool_failed(const char *tool, const struct db_pg_tools *t, int code,
                       const struct buf *errout, struct ds_error *err)
{
    struct buf msg = BUF_INIT;
    int rc;

    if (code == 127) {
        rc = ds_error_set(err, DS_ENOTFOUND, "%s is not there %s", tool, t->where);
        ds_error_hint(err, "the postgres image has it; on this host, install the PostgreSQL "
                           "client (Debian: postgresql-client)");
        return rc;
    }
    tool_message(&msg, errout);
    rc = ds_error_set(err, DS_ERR, "%s %s failed (exit %d): %s", tool, t->where, code, msg.buf);
    buf_release(&msg);
    return rc;
}

static int need_tools(const struct db_pg_tools *t, const char *what, struct ds_error *err)
{
    if (t && t->run)
        return 0;
    return ds_error_set(err, DS_EUNSUPPORTED,
                        "%s of PostgreSQL databases run pg_dump and psql, and devstack has no "
                        "way to run them here",
                        what);
}

/* ---- dumps ------------------------------------------------------------------------ */

struct dump_out {
    struct db_sink *sink;
    struct pgscan scan;
};

static int dump_chunk(const char *data, size_t len, void *ud)
{
    struct dump_out *d = ud;

    pgscan_feed(&d->scan, data, len);
    return db_sink_add(d->sink, data, len) < 0 ? -1 : 0;
}

int db_pg_dump(struct db_conn *conn, struct db_sink *sink, const struct db_dump_options *o,
               struct db_dump_stats *stats, struct ds_error *err)
{
    const struct db_pg_tools *t = o->pg;
    struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
    struct buf head = BUF_INIT, errout = BUF_INIT;
    struct dump_out d = {.sink = sink};
    const char *version = PQparameterStatus(conn->pg, "server_version");
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    char *ident = NULL;
    int rc;

    if ((rc = need_tools(t, "dumps", err)) < 0)
        return rc;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    ident = PQescapeIdentifier(conn->pg, PQdb(conn->pg), strlen(PQdb(conn->pg)));
    buf_addf(&head,
             "-- devstack db dump\n-- database: %s on PostgreSQL %s\n-- revision: %s\n"
             "-- taken: %s\n-- made by pg_dump %s (plain format, no owners or privileges: the "
             "user who restores owns the objects)\n\n",
             ident ? ident : "?", version ? version : "?",
             o->revision && *o->revision ? o->revision : "none", when, t->where);
    if (db_sink_add(sink, head.buf, head.len) < 0) {
        rc = DS_EIO;
        goto done;
    }
    pgscan_init(&d.scan);
    /* one snapshot of its own (a serializable, read-only transaction), as pg_dump always takes */
    strvec_pushv(&argv, (const char *const[]){"pg_dump", "--format=plain", "--no-owner",
                                              "--no-privileges", "--no-password", NULL});
    tool_env(conn->pg, t, NULL, &env);
    rc = t->run(t->ud, &argv, &env, -1, dump_chunk, &d, &errout, o->cancel, err);
    if (rc < 0) {
        if (db_sink_error(sink))
            rc = DS_EIO; /* the caller words the write error */
        goto done;
    }
    if (rc != 0) {
        rc = tool_failed("pg_dump", t, rc, &errout, err);
        goto done;
    }
    pgscan_finish(&d.scan);
    if (!d.scan.complete) {
        rc = ds_error_set(err, DS_EIO, "pg_dump %s ended without its final line", t->where);
        goto done;
    }
    stats->tables = (size_t)d.scan.tables;
    stats->views = (size_t)d.scan.views;
    stats->triggers = (size_t)d.scan.triggers;
    stats->routines = (size_t)d.scan.routines;
    stats->sequences = (size_t)d.scan.sequences;
    stats->rows = d.scan.rows;
    buf_reset(&head);
    buf_addf(&head, "-- devstack db dump complete: %zu tables, %" PRIu64 " rows\n", stats->tables,
             stats->rows);
    rc = db_sink_add(sink, head.buf, head.len) < 0 ? DS_EIO : 0;

done:
    PQfreemem(ident);
    strvec_clear(&argv);
    strvec_clear(&env);
    buf_release(&head);
    buf_release(&errout);
    return rc;
}

/* ---- the maintenance database ---------------------------------------------------------- */

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* A connection like conn's, to database `postgres`: where databases are created and renamed. */
static int connect_maintenance(struct db_conn *out, struct db_conn *conn, struct ds_error *err)
{
    PQconninfoOption *opts = PQconninfo(conn->pg); /* owned */
    const char **keys = NULL, **values = NULL;
    size_t n = 0, count = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->engine = DB_POSTGRES;
    out->where = xstrdup(conn->where);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        count++;
    keys = xcalloc(count + 2, sizeof(*keys));
    values = xcalloc(count + 2, sizeof(*values));
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val || !strcmp(o->keyword, "dbname"))
            continue;
        keys[n] = o->keyword;
        values[n++] = o->val;
    }
    keys[n] = "dbname";
    values[n++] = "postgres";
    out->pg = PQconnectdbParams(keys, values, 0);
    if (!out->pg || PQstatus(out->pg) != CONNECTION_OK) {
        rc = ds_error_set(err, DS_EIO,
                          "cannot connect to the maintenance database 'postgres' as %s: %s",
                          conn->where, out->pg ? PQerrorMessage(out->pg) : "out of memory");
        ds_error_hint(err, "a restore creates, renames and drops databases from there");
    } else
        PQsetNoticeProcessor(out->pg, ignore_notice, NULL); /* "... does not exist, skipping" */
    PQconninfoFree(opts);
    free(keys);
    free(values);
    return rc;
}

static void close_maintenance(struct db_conn *m)
{
    if (m->pg)
        PQfinish(m->pg);
    free(m->where);
    memset(m, 0, sizeof(*m));
}

/* `text` as an identifier or a literal, appended; false when libpq refuses it (bad encoding). */
static bool add_quoted(struct buf *b, PGconn *pg, const char *text, bool literal)
{
    char *q = literal ? PQescapeLiteral(pg, text, strlen(text))
                      : PQescapeIdentifier(pg, text, strlen(text));

    if (!q)
        return false;
    buf_adds(b, q);
    PQfreemem(q);
    return true;
}

char *db_pg_side_name(const char *base, const char *suffix)
{
    size_t room = NAME_MAX_BYTES - strlen(suffix), n = strlen(base);
    struct buf b = BUF_INIT;

    if (n > room) {
        n = room;
        while (n && ((unsigned char)base[n] & 0xC0) == 0x80)
            n--;
    }
    buf_add(&b, base, n);
    buf_adds(&b, suffix);
    return buf_detach(&b, NULL);
}

bool db_pg_is_side_name(const char *base, const char *candidate, bool *replaced)
{
    static const char *const kinds[] = {"_restore_", "_replaced_"};
    size_t len = strlen(candidate), digits = 0;

    while (digits < len && candidate[len - 1 - digits] >= '0' && candidate[len - 1 - digits] <= '9')
        digits++;
    if (!digits || digits > 10)
        return false;
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        size_t klen = strlen(kinds[k]), at;
        bool same;
        char *want;

        if (len < digits + klen)
            continue;
        at = len - digits - klen;
        if (strncmp(candidate + at, kinds[k], klen) != 0)
            continue;
        want = db_pg_side_name(base, candidate + at);
        same = !strcmp(want, candidate);
        free(want);
        if (same) {
            *replaced = k == 1;
            return true;
        }
    }
    return false;
}

int db_restore_leftovers(struct db_conn *conn, const char *base, struct strvec *partial,
                         struct strvec *replaced, struct ds_error *err)
{
    struct strvec names = STRVEC_INIT;
    int rc;

    if (conn->engine != DB_POSTGRES || !base)
        return 0;
    rc = db_pg_query_column(conn, "SELECT datname FROM pg_database ORDER BY datname", &names, err);

    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        bool was_replaced;

        if (db_pg_is_side_name(base, names.v[i], &was_replaced))
            strvec_push(was_replaced ? replaced : partial, names.v[i]);
    }
    strvec_clear(&names);
    return rc;
}

/* What the new database needs to be like the old one. */
struct db_shape {
    char *encoding, *collate, *ctype, *owner, *me;
};

static void shape_release(struct db_shape *s)
{
    free(s->encoding);
    free(s->collate);
    free(s->ctype);
    free(s->owner);
    free(s->me);
}

static int read_shape(struct db_conn *m, const char *name, struct db_shape *out,
                      struct ds_error *err)
{
    struct buf sql = BUF_INIT;
    struct strvec v = STRVEC_INIT;
    int rc;

    memset(out, 0, sizeof(*out));
    buf_adds(&sql, "SELECT x FROM pg_database d, LATERAL (VALUES (1, "
                   "pg_encoding_to_char(d.encoding)), (2, d.datcollate), (3, d.datctype), "
                   "(4, pg_get_userbyid(d.datdba)), (5, current_user::text)) AS t(i, x) "
                   "WHERE d.datname = ");
    add_quoted(&sql, m->pg, name, true);
    buf_adds(&sql, " ORDER BY i");
    rc = db_pg_query_column(m, sql.buf, &v, err);
    if (rc == 0 && v.n != 5)
        rc = ds_error_set(err, DS_ENOTFOUND, "database '%s' does not exist", name);
    if (rc == 0) {
        out->encoding = xstrdup(v.v[0]);
        out->collate = xstrdup(v.v[1]);
        out->ctype = xstrdup(v.v[2]);
        out->owner = xstrdup(v.v[3]);
        out->me = xstrdup(v.v[4]);
    }
    strvec_clear(&v);
    buf_release(&sql);
    return rc;
}

static int exec_sql(struct db_conn *m, const struct buf *sql, struct ds_error *err)
{
    return db_pg_exec(m, sql->buf, err);
}

/*
 * The settings whose values the server keeps as a list of quoted names
 * ('"$user", public'): written back as they are, not as one string, which
 * would make the list one name (as pg_dump's variable_is_guc_list_quote()).
 */
#define LIST_QUOTED                                                                                \
    "'search_path', 'temp_tablespaces', 'local_preload_libraries', "                               \
    "'session_preload_libraries', 'shared_preload_libraries', 'unix_socket_directories'"

/*
 * What a database has beside its contents, which pg_dump leaves out without
 * --create, made the new one's: its settings (ALTER DATABASE ... SET, and
 * ALTER ROLE ... IN DATABASE ... SET, which follow the database's OID, not
 * its name), connection limit, comment and privileges. The statements are
 * written by the server (format() quotes every name and value), in order:
 * privileges while the new database is still ours to grant on.
 */
static int copy_properties(struct db_conn *m, const char *name, const char *old,
                           struct ds_error *err)
{
    struct buf sql = BUF_INIT, n = BUF_INIT, o = BUF_INIT;
    struct strvec stmts = STRVEC_INIT;
    int rc;

    add_quoted(&n, m->pg, name, true);
    add_quoted(&o, m->pg, old, true);
    buf_addf(
            &sql,
            "WITH d AS (SELECT * FROM pg_database WHERE datname = %s), "
            "c AS (SELECT s.setrole, split_part(c, '=', 1) AS key, substr(c, strpos(c, '=') + 1) "
            "AS v "
            "FROM pg_db_role_setting s JOIN d ON d.oid = s.setdatabase, unnest(s.setconfig) AS c), "
            "s AS (SELECT setrole, key, CASE WHEN key IN (" LIST_QUOTED ") THEN v "
            "ELSE quote_literal(v) END AS value FROM c) "
            "SELECT stmt FROM ("
            "SELECT 1 AS k, format('ALTER DATABASE %%I SET %%I = %%s', %s, key, value) AS stmt "
            "FROM s WHERE setrole = 0 "
            "UNION ALL SELECT 2, format('ALTER ROLE %%I IN DATABASE %%I SET %%I = %%s', "
            "pg_get_userbyid(setrole), %s, key, value) FROM s WHERE setrole <> 0 "
            "UNION ALL SELECT 3, format('ALTER DATABASE %%I CONNECTION LIMIT %%s', %s, "
            "datconnlimit) FROM d WHERE datconnlimit <> -1 "
            "UNION ALL SELECT 4, format('COMMENT ON DATABASE %%I IS %%L', %s, "
            "shobj_description(oid, 'pg_database')) FROM d "
            "WHERE shobj_description(oid, 'pg_database') IS NOT NULL "
            "UNION ALL SELECT 5, format('REVOKE ALL ON DATABASE %%I FROM PUBLIC', %s) FROM d "
            "WHERE datacl IS NOT NULL "
            "UNION ALL SELECT 6, format('GRANT %%s ON DATABASE %%I TO %%s%%s', a.privilege_type, "
            "%s, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid("
            "a.grantee)) END, CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) "
            "FROM d, aclexplode(d.datacl) AS a) AS t ORDER BY k",
            o.buf, n.buf, n.buf, n.buf, n.buf, n.buf, n.buf);
    rc = db_pg_query_column(m, sql.buf, &stmts, err);
    for (size_t i = 0; rc == 0 && i < stmts.n; i++)
        rc = db_pg_exec(m, stmts.v[i], err);
    strvec_clear(&stmts);
    buf_release(&sql);
    buf_release(&n);
    buf_release(&o);
    return rc;
}

/* The new, empty database, with the old one's encoding, locale, properties and owner. */
static int create_like(struct db_conn *m, const char *name, const char *old,
                       const struct db_shape *s, struct ds_error *err)
{
    struct buf sql = BUF_INIT;
    int rc;

    buf_adds(&sql, "DROP DATABASE IF EXISTS ");
    add_quoted(&sql, m->pg, name, false);
    if ((rc = exec_sql(m, &sql, err)) < 0)
        goto done;
    buf_reset(&sql);
    buf_adds(&sql, "CREATE DATABASE ");
    add_quoted(&sql, m->pg, name, false);
    buf_adds(&sql, " TEMPLATE template0 ENCODING ");
    add_quoted(&sql, m->pg, s->encoding, true);
    buf_adds(&sql, " LC_COLLATE ");
    add_quoted(&sql, m->pg, s->collate, true);
    buf_adds(&sql, " LC_CTYPE ");
    add_quoted(&sql, m->pg, s->ctype, true);
    if ((rc = exec_sql(m, &sql, err)) < 0) {
        if (rc == DS_EPERM)
            ds_error_hint(err,
                          "a restore loads into a new database first, so that a failed load "
                          "loses nothing: the user needs CREATEDB (the postgres image's "
                          "POSTGRES_USER is a superuser): ALTER ROLE %s CREATEDB",
                          s->me);
        goto done;
    }
    if (rc == 0)
        rc = copy_properties(m, name, old, err);
    if (rc == 0 && strcmp(s->owner, s->me)) {
        buf_reset(&sql);
        buf_adds(&sql, "ALTER DATABASE ");
        add_quoted(&sql, m->pg, name, false);
        buf_adds(&sql, " OWNER TO ");
        add_quoted(&sql, m->pg, s->owner, false);
        rc = exec_sql(m, &sql, err);
    }
    if (rc < 0)
        ds_error_wrap(err, "making database '%s' like '%s'", name, old);

done:
    buf_release(&sql);
    return rc;
}

/* End every other session of database `name` (they would keep it from being renamed or dropped). */
static int end_sessions(struct db_conn *m, const char *name, struct ds_error *err)
{
    struct buf sql = BUF_INIT;
    struct strvec v = STRVEC_INIT;
    int rc;

    buf_adds(&sql, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ");
    add_quoted(&sql, m->pg, name, true);
    buf_adds(&sql, " AND pid <> pg_backend_pid()");
    rc = db_pg_query_column(m, sql.buf, &v, err);
    if (rc == DS_EPERM)
        ds_error_hint(err,
                      "another user's session is connected to '%s': only a superuser can "
                      "end it; close it and restore again",
                      name);
    strvec_clear(&v);
    buf_release(&sql);
    return rc;
}

static void drop_quietly(struct db_conn *m, const char *name)
{
    struct ds_error ignored = DS_ERROR_INIT;
    struct buf sql = BUF_INIT;

    (void)end_sessions(m, name, &ignored);
    ds_error_release(&ignored);
    buf_adds(&sql, "DROP DATABASE IF EXISTS ");
    add_quoted(&sql, m->pg, name, false);
    if (PQserverVersion(m->pg) >= 130000)
        buf_adds(&sql, " WITH (FORCE)");
    (void)db_pg_exec(m, sql.buf, &ignored);
    ds_error_release(&ignored);
    buf_release(&sql);
}

/*
 * `loaded` takes the place of `name`, which becomes `aside`: the other
 * sessions of `name` are ended and both renames commit together, again
 * while sessions come back in between.
 */
static int swap_in(struct db_conn *m, const char *name, const char *loaded, const char *aside,
                   struct ds_error *err)
{
    struct buf sql = BUF_INIT;
    int rc = 0;

    buf_adds(&sql, "BEGIN; ALTER DATABASE ");
    add_quoted(&sql, m->pg, name, false);
    buf_adds(&sql, " RENAME TO ");
    add_quoted(&sql, m->pg, aside, false);
    buf_adds(&sql, "; ALTER DATABASE ");
    add_quoted(&sql, m->pg, loaded, false);
    buf_adds(&sql, " RENAME TO ");
    add_quoted(&sql, m->pg, name, false);
    buf_adds(&sql, "; COMMIT");
    for (int attempt = 0; attempt < SWAP_ATTEMPTS; attempt++) {
        struct ds_error ignored = DS_ERROR_INIT;

        if ((rc = end_sessions(m, name, err)) < 0)
            break;
        ds_error_release(err);
        rc = db_pg_exec(m, sql.buf, err);
        if (rc < 0) {
            (void)db_pg_exec(m, "ROLLBACK", &ignored); /* out of the failed transaction */
            ds_error_release(&ignored);
        }
        /* 55006: "being accessed by other users", a session came back */
        if (rc == 0 || !strstr(err->msg ? err->msg : "", "55006"))
            break;
        clock_sleep_ms(100);
    }
    buf_release(&sql);
    return rc;
}

/* ---- loading --------------------------------------------------------------------------- */

/* The dump, decompressed, into a pipe that psql reads (standard input of an exec or a child). */
struct feeder {
    int fd;       /* the dump */
    int write_fd; /* the pipe */
    int error;    /* errno of a failed read; 0: none */
    bool gz_error;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    sigset_t pipe_only;
    char *chunk = xmalloc(FEED_CHUNK);
    int fd2 = dup(f->fd);
    gzFile gz = fd2 >= 0 ? gzdopen(fd2, "rb") : NULL;

    /* psql gone: the write fails with EPIPE instead of ending devstack */
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, NULL);
    if (!gz) {
        if (fd2 >= 0)
            close(fd2);
        f->error = errno ? errno : EIO;
    }
    while (gz) {
        int n = gzread(gz, chunk, FEED_CHUNK);
        const char *p = chunk;

        if (n <= 0) {
            if (n < 0)
                f->gz_error = true;
            break;
        }
        while (n > 0) {
            ssize_t w = write(f->write_fd, p, (size_t)n);

            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                goto out; /* psql stopped reading: its exit says why */
            p += w;
            n -= (int)w;
        }
    }
out:
    if (gz)
        gzclose(gz);
    close(f->write_fd);
    free(chunk);
    return NULL;
}

static int ignore_output(const char *data, size_t len, void *ud)
{
    (void)data;
    (void)len;
    (void)ud;
    return 0;
}

/* psql's "psql:<stdin>:12: ERROR: ..." as "NAME:12: ERROR: ...", as MySQL restores name lines. */
static void named_lines(struct buf *errout, const char *name)
{
    static const char mark[] = "psql:<stdin>:";
    struct buf b = BUF_INIT;
    const char *p = errout->buf, *end = errout->buf + errout->len, *at;

    while ((at = memmem(p, (size_t)(end - p), mark, strlen(mark)))) {
        buf_add(&b, p, (size_t)(at - p));
        buf_addf(&b, "%s:", name);
        p = at + strlen(mark);
    }
    buf_add(&b, p, (size_t)(end - p));
    buf_reset(errout);
    buf_add(errout, b.buf, b.len);
    buf_release(&b);
}

/* psql loads the dump on fd into `database`, in one transaction, stopping at the first error. */
static int load(struct db_conn *conn, int fd, const char *database,
                const struct db_restore_options *o, struct ds_error *err)
{
    const struct db_pg_tools *t = o->pg;
    struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
    struct buf errout = BUF_INIT;
    struct feeder f = {.fd = fd};
    pthread_t thread;
    int pipe_fds[2], rc;

    if (pipe2(pipe_fds, O_CLOEXEC) < 0)
        return ds_error_errno(err, errno, "cannot make a pipe for psql");
    f.write_fd = pipe_fds[1];
    if (pthread_create(&thread, NULL, feed, &f) != 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return ds_error_set(err, DS_ERR, "cannot start reading '%s'", o->name);
    }
    strvec_pushv(&argv, (const char *const[]){"psql", "--no-psqlrc", "--quiet", "--no-password",
                                              "--set=ON_ERROR_STOP=1", "--single-transaction",
                                              "--output=/dev/null", "--file=-", NULL});
    tool_env(conn->pg, t, database, &env);
    rc = t->run(t->ud, &argv, &env, pipe_fds[0], ignore_output, NULL, &errout, o->cancel, err);
    /* psql is done with the pipe: a feeder still writing gets EPIPE and ends */
    close(pipe_fds[0]);
    pthread_join(thread, NULL);
    if (rc > 0) {
        named_lines(&errout, o->name);
        rc = tool_failed("psql", t, rc, &errout, err);
    } else if (rc == 0 && (f.error || f.gz_error))
        rc = ds_error_set(err, DS_EIO, "reading '%s' failed while it loaded", o->name);
    if (rc < 0 && rc != DS_EINTR)
        ds_error_wrap(err, "loading '%s'", o->name);
    strvec_clear(&argv);
    strvec_clear(&env);
    buf_release(&errout);
    return rc;
}

int db_pg_restore(struct db_conn *conn, int fd, const struct db_restore_options *o,
                  struct db_restore_stats *stats, struct ds_error *err)
{
    struct db_dump_check check = {0};
    struct db_conn m = {0};
    struct db_shape shape = {0};
    char suffix[48], *name = xstrdup(PQdb(conn->pg)), *loaded = NULL, *aside = NULL;
    bool created = false;
    int rc;

    if ((rc = need_tools(o->pg, "restores", err)) < 0)
        goto done;
    /* the whole dump is read before anything is touched */
    rc = db_restore_check(fd, o->name, &check, err);
    if (rc == 0 && check.engine != DB_POSTGRES) {
        rc = ds_error_set(err, DS_EINVAL, "'%s' is not a PostgreSQL dump (pg_dump's plain format)",
                          o->name);
        ds_error_hint(err, "nothing was changed; a MySQL dump loads into MySQL only");
    }
    if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
        rc = ds_error_errno(err, errno, "cannot read '%s' again", o->name);
    if (rc < 0)
        goto done;
    stats->ours = check.ours;
    stats->bytes = check.bytes;
    stats->statements = check.statements;

    if ((rc = connect_maintenance(&m, conn, err)) < 0 ||
        (rc = read_shape(&m, name, &shape, err)) < 0)
        goto done;
    snprintf(suffix, sizeof(suffix), "_restore_%ld", (long)getpid());
    loaded = db_pg_side_name(name, suffix);
    snprintf(suffix, sizeof(suffix), "_replaced_%ld", (long)getpid());
    aside = db_pg_side_name(name, suffix);
    if ((rc = create_like(&m, loaded, name, &shape, err)) < 0)
        goto done;
    created = true;
    if ((rc = load(conn, fd, loaded, o, err)) < 0) {
        ds_error_hint(err, "nothing was changed: the dump was loaded into a new database, "
                           "which was dropped");
        goto done;
    }
    if (o->cancel && *o->cancel) {
        rc = ds_error_set(err, DS_EINTR, "interrupted: the database was not changed");
        goto done;
    }
    if ((rc = swap_in(&m, name, loaded, aside, err)) < 0) {
        ds_error_wrap(err, "putting the loaded database in the place of '%s'", name);
        ds_error_hint(err, "nothing was changed");
        goto done;
    }
    created = false;
    drop_quietly(&m, aside);
    /* the connection's session was on the old database: come back to the new one */
    PQreset(conn->pg);
    if (PQstatus(conn->pg) != CONNECTION_OK)
        rc = db_pg_error(conn, err);

done:
    if (created)
        drop_quietly(&m, loaded);
    close_maintenance(&m);
    shape_release(&shape);
    db_dump_check_release(&check);
    free(name);
    free(loaded);
    free(aside);
    return rc;
}

/* ---- census ---------------------------------------------------------------------------- */

/* The rows: the planner's estimate, or the statistics' live rows before the first ANALYZE. */
int db_pg_census(struct db_conn *conn, struct db_census *out, struct ds_error *err)
{
    static const char sql[] =
            "WITH rel AS (SELECT c.oid, c.relkind, c.reltuples FROM pg_class c JOIN "
            "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', "
            "'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%') "
            "SELECT concat_ws(' ', "
            "(SELECT count(*) FROM rel WHERE relkind IN ('r', 'p')), "
            "(SELECT count(*) FROM rel WHERE relkind IN ('v', 'm')), "
            "(SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT EXISTS "
            " (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND "
            " d.objid = p.oid AND d.deptype = 'e')), "
            "(SELECT COALESCE(sum(GREATEST(reltuples, pg_stat_get_live_tuples(oid), 0)), "
            "0)::bigint "
            " FROM rel "
            " WHERE relkind IN ('r', 'p')), "
            "(SELECT COALESCE(sum(pg_total_relation_size(oid)), 0)::bigint FROM rel "
            " WHERE relkind IN ('r', 'm')))";
    struct strvec v = STRVEC_INIT;
    int rc = db_pg_query_column(conn, sql, &v, err);

    if (rc == 0 && v.n == 1) {
        unsigned long long t = 0, w = 0, f = 0, r = 0, b = 0;

        if (sscanf(v.v[0], "%llu %llu %llu %llu %llu", &t, &w, &f, &r, &b) == 5) {
            out->tables = (size_t)t;
            out->views = (size_t)w;
            out->routines = (size_t)f;
            out->rows_estimate = r;
            out->bytes = b;
        }
    }
    strvec_clear(&v);
    return rc;
}
