/*
 * Loading a dump back: the file is read through zlib (which passes plain
 * text through unchanged), split into statements as the mysql client splits
 * them, and each statement is sent on its own. Memory holds one chunk and
 * the statement being read, whatever the size of the dump.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <mysql.h>
#include <mysqld_error.h>
#include <zlib.h>

#include "db/dump.h"
#include "db/internal.h"
#include "db/pgscan.h"
#include "db/sqlsplit.h"
#include "util/alloc.h"
#include "util/strutil.h"
#include "util/banned.h"

#define READ_CHUNK    (64u << 10)
#define STATEMENT_MAX (256u << 20) /* what a server's max_allowed_packet can take at most */
#define TAIL          256
#define OUR_HEADER    "-- devstack db dump\n"
#define OUR_TRAILER   "-- devstack db dump complete:"

struct restore {
    struct db_conn *conn;
    const struct db_restore_options *o;
    struct db_restore_stats *stats;
};

/* The statement's start on one line, for messages. */
static void snippet(struct buf *out, const char *stmt, size_t len)
{
    size_t n = len < 60 ? len : 60;

    for (size_t i = 0; i < n; i++)
        buf_addch(out, stmt[i] == '\n' || stmt[i] == '\r' || stmt[i] == '\t' ? ' '
                       : (unsigned char)stmt[i] < 0x20                       ? '?'
                                                                             : stmt[i]);
    if (n < len)
        buf_adds(out, "...");
}

/* A statement that would leave the application database: refused, naming where it is. */
static int refuse_switch(const char *name, const char *stmt, size_t len, unsigned long line,
                         struct ds_error *err)
{
    struct buf what = BUF_INIT;

    snippet(&what, stmt, len);
    ds_error_set(err, DS_EINVAL, "%s:%lu: the dump switches databases ('%s')", name, line,
                 what.buf);
    ds_error_hint(err, "restore loads into the application database only: make the dump of "
                       "one database, without --databases or --all-databases");
    buf_release(&what);
    return DS_EINVAL;
}

static int run_statement(const char *stmt, size_t len, unsigned long line, void *ud,
                         struct ds_error *err)
{
    struct restore *r = ud;
    MYSQL *m = db_conn_mysql(r->conn);
    struct buf what = BUF_INIT;
    int status;

    if (r->o->cancel && *r->o->cancel)
        return ds_error_set(err, DS_EINTR, "interrupted at line %lu of '%s'", line, r->o->name);
    if (sqlsplit_switches_database(stmt, len))
        return refuse_switch(r->o->name, stmt, len, line, err);
    if (mysql_real_query(m, stmt, (unsigned long)len) != 0) {
        /* a MariaDB-only executable comment is an empty query to MySQL */
        if (mysql_errno(m) == ER_EMPTY_QUERY)
            return 0;
        goto failed;
    }
    do {
        MYSQL_RES *res = mysql_store_result(m); /* owned: rows a statement returned */

        if (res)
            mysql_free_result(res);
        else if (mysql_field_count(m) != 0)
            goto failed;
    } while ((status = mysql_next_result(m)) == 0);
    if (status > 0)
        goto failed;
    r->stats->statements++;
    return 0;

failed:
    snippet(&what, stmt, len);
    ds_error_set(err, DS_EIO, "%s:%lu: %s (error %u) in '%s'", r->o->name, line, mysql_error(m),
                 mysql_errno(m), what.buf);
    buf_release(&what);
    return DS_EIO;
}

/* The header's "-- revision: X" line of a devstack dump: X, or NULL for "none". */
static char *header_revision(const char *chunk, size_t n)
{
    static const char key[] = "\n-- revision: ";
    const char *at = memmem(chunk, n, key, strlen(key)), *v, *nl;

    if (!at)
        return NULL;
    v = at + strlen(key);
    nl = memchr(v, '\n', n - (size_t)(v - chunk));
    if (!nl || nl == v || (nl - v == 4 && !memcmp(v, "none", 4)))
        return NULL;
    return xstrndup(v, (size_t)(nl - v));
}

/* A PostgreSQL dump that would leave the database it loads into: refused, naming the line. */
static int refuse_pg_switch(const char *name, const struct pgscan *scan, struct ds_error *err)
{
    struct buf what = BUF_INIT;

    snippet(&what, scan->switch_text, strlen(scan->switch_text));
    ds_error_set(err, DS_EINVAL, "%s:%lu: the dump switches databases ('%s')", name,
                 scan->switch_line, what.buf);
    ds_error_hint(err, "restore loads into the application database only: make the dump with "
                       "pg_dump without --create (-C)");
    buf_release(&what);
    return DS_EINVAL;
}

/*
 * Read the dump on fd (plain or gzip) to its end, calling fn for each
 * statement: a gzip stream cut short, a devstack dump without its final
 * line and a read error are errors. *revision (may be NULL) gets the
 * header's revision of a devstack dump. pg_dump's plain format (told by
 * its first chunk) is not split into statements (fn is not called): *pg
 * (may be NULL) says so, and the scan says what it holds; without
 * pg_dump's final comment it is cut short.
 */
static int read_dump(int fd, const char *name, sqlsplit_fn fn, void *ud,
                     struct db_restore_stats *stats, char **revision, bool *pg,
                     struct ds_error *err)
{
    struct pgscan scan;
    bool is_pg = false;
    struct sqlsplit split;
    gzFile gz = NULL;
    char *chunk = NULL, tail[TAIL];
    size_t tail_len = 0;
    bool first = true;
    int fd2, zerr, rc = 0;

    memset(stats, 0, sizeof(*stats));
    sqlsplit_init(&split, STATEMENT_MAX);
    fd2 = dup(fd);
    if (fd2 < 0 || !(gz = gzdopen(fd2, "rb"))) {
        if (fd2 >= 0)
            close(fd2);
        rc = ds_error_errno(err, errno, "cannot read '%s'", name);
        goto done;
    }
    gzbuffer(gz, READ_CHUNK);
    chunk = xmalloc(READ_CHUNK);
    for (;;) {
        int n = gzread(gz, chunk, READ_CHUNK);

        if (n < 0) {
            const char *msg = gzerror(gz, &zerr);

            rc = zerr == Z_ERRNO ? ds_error_errno(err, errno, "reading '%s'", name)
                                 : ds_error_set(err, DS_EIO, "reading '%s': %s", name, msg);
            goto done;
        }
        if (n == 0)
            break;
        if (first) {
            stats->ours = (size_t)n >= strlen(OUR_HEADER) &&
                          !memcmp(chunk, OUR_HEADER, strlen(OUR_HEADER));
            if (stats->ours && revision)
                *revision = header_revision(chunk, (size_t)n);
            is_pg = pgscan_is_pg_dump(chunk, (size_t)n);
            pgscan_init(&scan);
            if (n >= 5 && !memcmp(chunk, "PGDMP", 5)) {
                rc = ds_error_set(err, DS_EINVAL,
                                  "'%s' is in pg_dump's custom (or tar) format, not SQL", name);
                ds_error_hint(err,
                              "make a plain dump (pg_dump -Fp), or turn this one into "
                              "SQL with: pg_restore -f FILE.sql '%s'",
                              name);
                goto done;
            }
        }
        first = false;
        stats->bytes += (uint64_t)n;
        /* the last TAIL bytes, where a devstack dump has its final line */
        if ((size_t)n >= TAIL) {
            memcpy(tail, chunk + n - TAIL, TAIL);
            tail_len = TAIL;
        } else {
            size_t keep = tail_len + (size_t)n > TAIL ? TAIL - (size_t)n : tail_len;

            memmove(tail, tail + tail_len - keep, keep);
            memcpy(tail + keep, chunk, (size_t)n);
            tail_len = keep + (size_t)n;
        }
        if (is_pg) {
            pgscan_feed(&scan, chunk, (size_t)n);
            continue;
        }
        rc = sqlsplit_feed(&split, chunk, (size_t)n, fn, ud, err);
        if (rc < 0)
            goto done;
    }
    /* a gzip stream cut short reads as its end with an error kept aside */
    (void)gzerror(gz, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END) {
        rc = ds_error_set(err, DS_EIO, "'%s' is cut short (its gzip stream ends early)", name);
        goto done;
    }
    /* before the statement left without a delimiter, which a cut would leave */
    if (stats->ours && !memmem(tail, tail_len, OUR_TRAILER, strlen(OUR_TRAILER))) {
        rc = ds_error_set(err, DS_EIO,
                          "'%s' is incomplete: the dump has no final line, so it was cut short",
                          name);
        goto done;
    }
    if (is_pg) {
        pgscan_finish(&scan);
        stats->statements = scan.statements;
        if (scan.switch_line)
            rc = refuse_pg_switch(name, &scan, err);
        else if (!scan.complete || scan.in_copy)
            rc = ds_error_set(err, DS_EIO,
                              "'%s' is incomplete: pg_dump's final line (\"-- PostgreSQL "
                              "database dump complete\") is missing, so it was cut short",
                              name);
        goto done;
    }
    rc = sqlsplit_finish(&split, fn, ud, err);

done:
    if (pg)
        *pg = is_pg;
    if (rc < 0 && rc != DS_EINTR && !strstr(err->msg ? err->msg : "", name))
        ds_error_wrap(err, "restoring '%s'", name);
    if (gz)
        gzclose(gz);
    free(chunk);
    sqlsplit_release(&split);
    return rc;
}

int db_restore(struct db_conn *conn, int fd, const struct db_restore_options *o,
               struct db_restore_stats *stats, struct ds_error *err)
{
    struct restore r = {.conn = conn, .o = o, .stats = stats};
    int rc;

    memset(stats, 0, sizeof(*stats));
    if (conn->engine == DB_POSTGRES)
        return db_pg_restore(conn, fd, o, stats, err);
    rc = read_dump(fd, o->name, run_statement, &r, stats, NULL, NULL, err);
    if (rc == DS_EIO && stats->ours && strstr(err->msg, "no final line"))
        ds_error_hint(err, "what it held up to there was loaded");
    return rc;
}

struct check {
    const char *name;
    struct db_dump_check *out;
};

static int check_statement(const char *stmt, size_t len, unsigned long line, void *ud,
                           struct ds_error *err)
{
    struct check *c = ud;

    if (sqlsplit_switches_database(stmt, len))
        return refuse_switch(c->name, stmt, len, line, err);
    c->out->statements++;
    return 0;
}

int db_restore_check(int fd, const char *name, struct db_dump_check *out, struct ds_error *err)
{
    struct check c = {.name = name, .out = out};
    struct db_restore_stats stats;
    bool pg = false;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = read_dump(fd, name, check_statement, &c, &stats, &out->revision, &pg, err);
    out->engine = pg ? DB_POSTGRES : DB_MYSQL;
    if (pg)
        out->statements = stats.statements;
    out->ours = stats.ours;
    out->bytes = stats.bytes;
    if (rc < 0 && err->hint)
        ds_error_hint(err, "nothing was changed; %s", err->hint);
    else if (rc < 0)
        ds_error_hint(err, "nothing was changed: the dump is read to its end before the "
                           "database is touched");
    return rc;
}

void db_dump_check_release(struct db_dump_check *c)
{
    free(c->revision);
    memset(c, 0, sizeof(*c));
}

/* The one value of a one-row, one-column query; NULL (err set) otherwise. */
static char *query_value(struct db_conn *conn, const char *sql, struct ds_error *err)
{
    struct strvec v = STRVEC_INIT;
    char *value = NULL;

    if (db_query_column(conn, sql, &v, err) == 0) {
        if (v.n == 1 && *v.v[0])
            value = xstrdup(v.v[0]);
        else
            ds_error_set(err, DS_EINVAL, "no database selected");
    }
    strvec_clear(&v);
    return value;
}

bool db_restore_replaces(const struct db_conn *conn)
{
    return conn->engine == DB_POSTGRES;
}

int db_recreate(struct db_conn *conn, struct ds_error *err)
{
    struct buf create = BUF_INIT, drop = BUF_INIT;
    char *name = NULL, *charset = NULL, *collation = NULL;
    int rc = DS_EINVAL;

    if (db_conn_need_mysql(conn, "recreating databases", err) < 0)
        return DS_EUNSUPPORTED;
    /* everything needed to create it again is known before it is dropped */
    if (!(name = query_value(conn, "SELECT DATABASE()", err)) ||
        !(charset =
                  query_value(conn,
                              "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
                              "WHERE SCHEMA_NAME = DATABASE()",
                              err)) ||
        !(collation = query_value(conn,
                                  "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
                                  "WHERE SCHEMA_NAME = DATABASE()",
                                  err)))
        goto done;
    buf_adds(&drop, "DROP DATABASE ");
    db_add_ident(&drop, name);
    buf_adds(&create, "CREATE DATABASE ");
    db_add_ident(&create, name);
    buf_adds(&create, " CHARACTER SET ");
    db_add_ident(&create, charset);
    buf_adds(&create, " COLLATE ");
    db_add_ident(&create, collation);
    if ((rc = db_exec(conn, drop.buf, err)) < 0 || (rc = db_exec(conn, create.buf, err)) < 0) {
        ds_error_wrap(err, "recreating database '%s'", name);
        if (rc == DS_EPERM)
            ds_error_hint(err, "the user needs the DROP and CREATE privileges on the database "
                               "(the mysql and mariadb images grant ALL on MYSQL_DATABASE)");
        goto done;
    }
    if (mysql_select_db(db_conn_mysql(conn), name) != 0)
        rc = db_conn_error(conn, err);

done:
    free(name);
    free(charset);
    free(collation);
    buf_release(&create);
    buf_release(&drop);
    return rc;
}

int db_census(struct db_conn *conn, struct db_census *out, struct ds_error *err)
{
    struct strvec v = STRVEC_INIT;
    int rc;

    memset(out, 0, sizeof(*out));
    if (conn->engine == DB_POSTGRES)
        return db_pg_census(conn, out, err);
    rc = db_query_column(conn,
                         "SELECT CONCAT_WS(' ', SUM(TABLE_TYPE NOT IN ('VIEW', 'SEQUENCE')), "
                         "SUM(TABLE_TYPE = 'VIEW'), "
                         "COALESCE(SUM(TABLE_ROWS), 0), "
                         "COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0)) "
                         "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
                         &v, err);
    if (rc == 0 && v.n == 1) {
        unsigned long long t = 0, w = 0, r = 0, b = 0;

        if (sscanf(v.v[0], "%llu %llu %llu %llu", &t, &w, &r, &b) == 4) {
            out->tables = (size_t)t;
            out->views = (size_t)w;
            out->rows_estimate = r;
            out->bytes = b;
        }
    }
    strvec_clear(&v);
    if (rc < 0)
        return rc;
    rc = db_query_column(conn,
                         "SELECT COUNT(*) FROM information_schema.ROUTINES "
                         "WHERE ROUTINE_SCHEMA = DATABASE()",
                         &v, err);
    if (rc == 0 && v.n == 1)
        out->routines = (size_t)strtoull(v.v[0], NULL, 10);
    strvec_clear(&v);
    return rc;
}
