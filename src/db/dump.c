/*
 * A logical dump of one database over libmysqlclient, in the spirit of
 * mysqldump --single-transaction --routines --triggers, with what a dump
 * meant to be loaded back into a dev database needs:
 *
 * - one consistent view of the rows: REPEATABLE READ and START TRANSACTION
 *   WITH CONSISTENT SNAPSHOT before the first SELECT (InnoDB; the schema
 *   queries are not transactional, as with mysqldump);
 * - rows streamed with mysql_use_result() and written as they arrive, in
 *   INSERT statements of at most INSERT_MAX bytes, one row per line;
 * - explicit column lists without generated and system-versioning columns,
 *   binary strings as _binary literals, text as utf8mb4 (SET NAMES), TIMESTAMP
 *   values in UTC on both sides;
 * - triggers after their table's rows (loading must not fire them), then
 *   routines, then views over stand-in tables so that views of views load
 *   in any order;
 * - DEFINER clauses left out, so the user who restores owns the objects;
 * - a final line, so that a devstack dump cut short is recognised.
 *
 * The output goes through a sink (sink.c) that buffers and, for .gz names,
 * deflates with zlib into a gzip stream in a thread of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <zlib.h>

#include "db/dump.h"
#include "db/internal.h"
#include "util/alloc.h"
#include "util/path.h"
#include "util/strutil.h"
#include "util/banned.h"

#define INSERT_MAX  (1u << 20) /* bytes per INSERT statement */
#define CANCEL_ROWS 1024       /* check for a cancel this often */

/* ---- queries ------------------------------------------------------------------ */

/* A small result, whole: rows of n_cols cells, NULL cells as NULL. */
struct rows {
    char **cells;
    size_t n_rows, n_cols;
};

static void rows_release(struct rows *r)
{
    for (size_t i = 0; i < r->n_rows * r->n_cols; i++)
        free(r->cells[i]);
    free(r->cells);
    memset(r, 0, sizeof(*r));
}

static const char *cell(const struct rows *r, size_t row, size_t col)
{
    return r->cells[row * r->n_cols + col];
}

static int fetch_rows(struct db_conn *conn, const char *sql, struct rows *out, struct ds_error *err)
{
    MYSQL *m = db_conn_mysql(conn);
    MYSQL_RES *res = NULL; /* owned */
    MYSQL_ROW row;
    size_t alloc = 0;

    memset(out, 0, sizeof(*out));
    if (mysql_real_query(m, sql, strlen(sql)) != 0 || !(res = mysql_store_result(m)))
        return db_conn_error(conn, err);
    out->n_cols = mysql_num_fields(res);
    while ((row = mysql_fetch_row(res))) {
        unsigned long *lengths = mysql_fetch_lengths(res);

        if ((out->n_rows + 1) * out->n_cols > alloc) {
            alloc = (alloc + out->n_cols) * 2;
            out->cells = xrealloc(out->cells, alloc * sizeof(*out->cells));
        }
        for (size_t c = 0; c < out->n_cols; c++)
            out->cells[out->n_rows * out->n_cols + c] =
                    row[c] ? xstrndup(row[c], lengths[c]) : NULL;
        out->n_rows++;
    }
    mysql_free_result(res);
    return 0;
}

/* ---- SQL text ------------------------------------------------------------------- */

void db_add_ident(struct buf *b, const char *name)
{
    buf_addch(b, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`')
            buf_addch(b, '`');
        buf_addch(b, *p);
    }
    buf_addch(b, '`');
}

static void add_literal(struct buf *b, MYSQL *m, const char *s, size_t len)
{
    size_t at;

    buf_addch(b, '\'');
    buf_grow(b, len * 2 + 1);
    at = b->len;
    buf_setlen(b, at + mysql_real_escape_string(m, b->buf + at, s, (unsigned long)len));
    buf_addch(b, '\'');
}

static void add_hex(struct buf *b, const unsigned char *s, size_t len)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t at;

    if (!len) {
        buf_adds(b, "''");
        return;
    }
    buf_adds(b, "0x");
    buf_grow(b, len * 2);
    at = b->len;
    for (size_t i = 0; i < len; i++) {
        b->buf[at + 2 * i] = digits[s[i] >> 4];
        b->buf[at + 2 * i + 1] = digits[s[i] & 15];
    }
    buf_setlen(b, at + len * 2);
}

/* Skip a `quoted` identifier at p (doubled backquotes inside); NULL if there is none. */
static const char *skip_quoted(const char *p, const char *end)
{
    char q = *p;

    if (p >= end || (q != '`' && q != '\''))
        return NULL;
    for (p++; p < end; p++) {
        if (*p == q) {
            if (p + 1 < end && p[1] == q) {
                p++;
                continue;
            }
            return p + 1;
        }
    }
    return NULL;
}

void db_strip_definer(struct buf *out, const char *sql, size_t len)
{
    const char *end = sql + len, *p = sql, *at, *after;

    /* SHOW CREATE puts the clause before the object's name: search only there */
    while ((at = memmem(p, (size_t)(end - p), "DEFINER=", 8))) {
        const char *q = at + 8;

        if ((q = skip_quoted(q, end)) && q < end && *q == '@' && (q = skip_quoted(q + 1, end))) {
            after = q < end && *q == ' ' ? q + 1 : q;
            buf_add(out, sql, (size_t)(at - sql));
            buf_add(out, after, (size_t)(end - after));
            return;
        }
        p = at + 8;
    }
    buf_add(out, sql, len);
}

/* A delimiter that `body` does not contain, for DELIMITER blocks. */
static const char *pick_delimiter(const char *body)
{
    static const char *const choices[] = {";;", "$$", "//", "@@;", "#~#"};

    for (size_t i = 0; i < ARRAY_SIZE(choices); i++)
        if (!strstr(body, choices[i]))
            return choices[i];
    return NULL;
}

/* ---- the dumper ------------------------------------------------------------------ */

/*
 * How a column's values are written: numbers as the server prints them;
 * bits and geometries as hex; binary strings as _binary'...' (escaped, so
 * about the size of the data, where hex doubles it; the introducer keeps
 * the bytes from being read as utf8mb4); text as utf8mb4 literals.
 */
enum col_kind { COL_NUMBER, COL_HEX, COL_BINARY, COL_TEXT };

struct table {
    char *name;
    char *type;           /* BASE TABLE, VIEW, SEQUENCE, SYSTEM VERSIONED */
    struct strvec insert; /* the columns rows are dumped with */
    struct strvec all;    /* every column (for view stand-ins) */
    struct strvec triggers;
};

struct dumper {
    struct db_conn *conn;
    MYSQL *m;
    struct db_sink *sink;
    const struct db_dump_options *o;
    struct db_dump_stats *stats;
    struct table *tables;
    size_t n_tables;
    struct buf line, scratch;
};

static int cancelled(const struct dumper *d)
{
    return d->o->cancel && *d->o->cancel;
}

static int emit(struct dumper *d, const char *text)
{
    return db_sink_add(d->sink, text, strlen(text));
}

static int emit_buf(struct dumper *d, struct buf *b)
{
    int rc = db_sink_add(d->sink, b->buf, b->len);

    buf_setlen(b, 0);
    return rc;
}

static struct table *find_table(struct dumper *d, const char *name)
{
    for (size_t i = 0; i < d->n_tables; i++)
        if (!strcmp(d->tables[i].name, name))
            return &d->tables[i];
    return NULL;
}

static int cmp_table(const void *a, const void *b)
{
    return strcmp(((const struct table *)a)->name, ((const struct table *)b)->name);
}

/* The tables, views and sequences, their columns and their triggers. */
static int read_schema(struct dumper *d, struct ds_error *err)
{
    struct rows r = {0};
    int rc;

    rc = fetch_rows(d->conn,
                    "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = DATABASE()",
                    &r, err);
    if (rc < 0)
        return rc;
    d->tables = xcalloc(r.n_rows + 1, sizeof(*d->tables));
    for (size_t i = 0; i < r.n_rows; i++) {
        struct table *t = &d->tables[d->n_tables++];

        t->name = xstrdup(cell(&r, i, 0));
        t->type = xstrdup(cell(&r, i, 1) ? cell(&r, i, 1) : "BASE TABLE");
        strvec_init(&t->insert);
        strvec_init(&t->all);
        strvec_init(&t->triggers);
    }
    rows_release(&r);
    /* by bytes, whatever the collation of information_schema: the same order every time */
    qsort(d->tables, d->n_tables, sizeof(*d->tables), cmp_table);

    rc = fetch_rows(d->conn,
                    "SELECT TABLE_NAME, COLUMN_NAME, EXTRA FROM information_schema.COLUMNS "
                    "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
                    &r, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r.n_rows; i++) {
        struct table *t = find_table(d, cell(&r, i, 0));
        const char *extra = cell(&r, i, 2) ? cell(&r, i, 2) : "";

        if (!t)
            continue;
        strvec_push(&t->all, cell(&r, i, 1));
        /* the server computes these; MariaDB's system versioning keeps its own */
        if (!strstr(extra, "GENERATED") && !strstr(extra, "ROW START") && !strstr(extra, "ROW END"))
            strvec_push(&t->insert, cell(&r, i, 1));
    }
    rows_release(&r);

    rc = fetch_rows(d->conn,
                    "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME FROM information_schema.TRIGGERS "
                    "WHERE TRIGGER_SCHEMA = DATABASE() "
                    "ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER",
                    &r, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r.n_rows; i++) {
        struct table *t = find_table(d, cell(&r, i, 0));

        if (t)
            strvec_push(&t->triggers, cell(&r, i, 1));
    }
    rows_release(&r);
    return 0;
}

/* The one value of a SHOW CREATE statement's `col`-th column. */
static int show_create(struct dumper *d, const char *what, const char *name, size_t col,
                       struct rows *r, struct ds_error *err)
{
    struct buf sql = BUF_INIT;
    int rc;

    buf_addf(&sql, "SHOW CREATE %s ", what);
    db_add_ident(&sql, name);
    rc = fetch_rows(d->conn, sql.buf, r, err);
    buf_release(&sql);
    if (rc < 0)
        return ds_error_wrap(err, "reading the definition of %s '%s'", what, name);
    if (r->n_rows != 1 || r->n_cols <= col || !cell(r, 0, col)) {
        rows_release(r);
        ds_error_set(err, DS_EPERM, "cannot read the definition of %s '%s'", what, name);
        ds_error_hint(err, "the user needs to be the object's definer, or to have the "
                           "SHOW_ROUTINE (MySQL) or SELECT on mysql.proc privilege");
        return DS_EPERM;
    }
    return 0;
}

static int dump_header(struct dumper *d, struct ds_error *err)
{
    struct rows r = {0};
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    int rc;

    rc = fetch_rows(d->conn, "SELECT DATABASE(), VERSION()", &r, err);
    if (rc < 0)
        return rc;
    if (!cell(&r, 0, 0)) {
        rows_release(&r);
        return ds_error_set(err, DS_EINVAL, "no database selected to dump");
    }
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    buf_adds(&d->line, "-- devstack db dump\n-- database: ");
    db_add_ident(&d->line, cell(&r, 0, 0));
    buf_addf(&d->line, " on %s\n", cell(&r, 0, 1) ? cell(&r, 0, 1) : "?");
    buf_addf(&d->line, "-- revision: %s\n-- taken: %s\n",
             d->o->revision && *d->o->revision ? d->o->revision : "none", when);
    buf_adds(&d->line, "-- DEFINER clauses are left out: the user who restores owns the objects\n"
                       "\n"
                       "SET NAMES utf8mb4;\n"
                       "SET @OLD_TIME_ZONE=@@TIME_ZONE, TIME_ZONE='+00:00';\n"
                       "SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0;\n"
                       "SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0;\n"
                       "SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO';\n"
                       "SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0;\n");
    rows_release(&r);
    return emit_buf(d, &d->line);
}

static int dump_rows(struct dumper *d, struct table *t, struct ds_error *err)
{
    struct buf sql = BUF_INIT, head = BUF_INIT;
    MYSQL_RES *res = NULL; /* owned */
    MYSQL_FIELD *fields;
    MYSQL_ROW row;
    enum col_kind *kinds = NULL;
    size_t n_fields, in_statement = 0;
    uint64_t n = 0;
    int rc = 0;

    if (!t->insert.n)
        return 0;
    buf_adds(&sql, "SELECT ");
    buf_adds(&head, "INSERT INTO ");
    db_add_ident(&head, t->name);
    buf_adds(&head, " (");
    for (size_t i = 0; i < t->insert.n; i++) {
        if (i) {
            buf_addch(&sql, ',');
            buf_addch(&head, ',');
        }
        db_add_ident(&sql, t->insert.v[i]);
        db_add_ident(&head, t->insert.v[i]);
    }
    buf_adds(&sql, " FROM ");
    db_add_ident(&sql, t->name);
    buf_adds(&head, ") VALUES\n");

    if (mysql_real_query(d->m, sql.buf, sql.len) != 0 || !(res = mysql_use_result(d->m))) {
        rc = db_conn_error(d->conn, err);
        goto done;
    }
    n_fields = mysql_num_fields(res);
    fields = mysql_fetch_fields(res);
    kinds = xcalloc(n_fields + 1, sizeof(*kinds));
    for (size_t i = 0; i < n_fields; i++) {
        enum enum_field_types type = fields[i].type;
        bool binary = fields[i].charsetnr == 63;

        if (IS_NUM(type) && type != MYSQL_TYPE_TIMESTAMP)
            kinds[i] = COL_NUMBER;
        else if (type == MYSQL_TYPE_BIT || type == MYSQL_TYPE_GEOMETRY)
            kinds[i] = COL_HEX;
        else if (binary && (type == MYSQL_TYPE_STRING || type == MYSQL_TYPE_VAR_STRING ||
                            type == MYSQL_TYPE_VARCHAR || type == MYSQL_TYPE_BLOB ||
                            type == MYSQL_TYPE_TINY_BLOB || type == MYSQL_TYPE_MEDIUM_BLOB ||
                            type == MYSQL_TYPE_LONG_BLOB))
            kinds[i] = COL_BINARY;
        else
            kinds[i] = COL_TEXT;
    }

    while ((row = mysql_fetch_row(res))) {
        unsigned long *len = mysql_fetch_lengths(res);

        if (in_statement) {
            buf_adds(&d->line, ",\n");
        } else {
            buf_add(&d->line, head.buf, head.len);
        }
        buf_addch(&d->line, '(');
        for (size_t i = 0; i < n_fields; i++) {
            if (i)
                buf_addch(&d->line, ',');
            if (!row[i])
                buf_adds(&d->line, "NULL");
            else if (kinds[i] == COL_NUMBER)
                buf_add(&d->line, row[i], len[i]);
            else if (kinds[i] == COL_HEX)
                add_hex(&d->line, (const unsigned char *)row[i], len[i]);
            else if (kinds[i] == COL_BINARY) {
                buf_adds(&d->line, "_binary");
                add_literal(&d->line, d->m, row[i], len[i]);
            } else
                add_literal(&d->line, d->m, row[i], len[i]);
        }
        buf_addch(&d->line, ')');
        in_statement += d->line.len;
        if (in_statement >= INSERT_MAX) {
            buf_adds(&d->line, ";\n");
            in_statement = 0;
        }
        if (emit_buf(d, &d->line) < 0) {
            rc = DS_EIO; /* the caller words the write error */
            goto done;
        }
        if (++n % CANCEL_ROWS == 0 && cancelled(d)) {
            rc = ds_error_set(err, DS_EINTR, "interrupted");
            goto done;
        }
    }
    if (mysql_errno(d->m)) {
        rc = db_conn_error(d->conn, err);
        goto done;
    }
    if (in_statement && emit(d, ";\n") < 0)
        rc = DS_EIO;
    d->stats->rows += n;

done:
    if (rc < 0 && rc != DS_EIO)
        ds_error_wrap(err, "reading the rows of '%s'", t->name);
    if (res)
        mysql_free_result(res);
    free(kinds);
    buf_release(&sql);
    buf_release(&head);
    return rc;
}

/* CREATE statement `text` inside a DELIMITER block, with its sql_mode. */
static int emit_compound(struct dumper *d, const char *kind, const char *name, const char *mode,
                         const char *text, struct ds_error *err)
{
    const char *delim = pick_delimiter(text);

    if (!delim)
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "cannot dump %s '%s': its body contains every delimiter devstack "
                            "can choose",
                            kind, name);
    buf_setlen(&d->scratch, 0);
    add_literal(&d->scratch, d->m, mode ? mode : "", mode ? strlen(mode) : 0);
    buf_addf(&d->line, "SET @saved_sql_mode=@@SQL_MODE, SQL_MODE=%s;\nDELIMITER %s\n",
             d->scratch.buf, delim);
    db_strip_definer(&d->line, text, strlen(text));
    buf_addf(&d->line, "%s\nDELIMITER ;\nSET SQL_MODE=@saved_sql_mode;\n", delim);
    return emit_buf(d, &d->line) < 0 ? DS_EIO : 0;
}

static int dump_table(struct dumper *d, struct table *t, struct ds_error *err)
{
    struct rows r = {0};
    int rc;

    rc = show_create(d, "TABLE", t->name, 1, &r, err);
    if (rc < 0)
        return rc;
    buf_adds(&d->line, "\n-- table ");
    db_add_ident(&d->line, t->name);
    buf_adds(&d->line, "\nDROP TABLE IF EXISTS ");
    db_add_ident(&d->line, t->name);
    buf_addf(&d->line, ";\n%s;\n", cell(&r, 0, 1));
    rows_release(&r);
    if (emit_buf(d, &d->line) < 0)
        return DS_EIO;

    if (!strcmp(t->type, "SEQUENCE")) {
        struct buf sql = BUF_INIT;

        /* a sequence's state is one row: where it goes on from */
        buf_adds(&sql, "SELECT next_not_cached_value FROM ");
        db_add_ident(&sql, t->name);
        rc = fetch_rows(d->conn, sql.buf, &r, err);
        buf_release(&sql);
        if (rc < 0)
            return ds_error_wrap(err, "reading sequence '%s'", t->name);
        if (r.n_rows == 1 && cell(&r, 0, 0)) {
            buf_adds(&d->line, "SELECT SETVAL(");
            db_add_ident(&d->line, t->name);
            buf_addf(&d->line, ", %s, 0);\n", cell(&r, 0, 0));
        }
        rows_release(&r);
        d->stats->sequences++;
        return emit_buf(d, &d->line) < 0 ? DS_EIO : 0;
    }

    rc = dump_rows(d, t, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < t->triggers.n; i++) {
        rc = show_create(d, "TRIGGER", t->triggers.v[i], 2, &r, err);
        if (rc < 0)
            return rc;
        buf_adds(&d->line, "-- trigger ");
        db_add_ident(&d->line, t->triggers.v[i]);
        buf_addch(&d->line, '\n');
        rc = emit_compound(d, "trigger", t->triggers.v[i], cell(&r, 0, 1), cell(&r, 0, 2), err);
        rows_release(&r);
        if (rc < 0)
            return rc;
        d->stats->triggers++;
    }
    d->stats->tables++;
    return 0;
}

static int dump_routines(struct dumper *d, struct ds_error *err)
{
    struct rows list = {0}, r = {0};
    int rc;

    rc = fetch_rows(d->conn,
                    "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
                    "WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE IN "
                    "('FUNCTION', 'PROCEDURE') ORDER BY ROUTINE_TYPE, ROUTINE_NAME",
                    &list, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < list.n_rows && rc == 0; i++) {
        const char *type = cell(&list, i, 0), *name = cell(&list, i, 1);

        rc = show_create(d, type, name, 2, &r, err);
        if (rc < 0)
            break;
        buf_addf(&d->line, "\n-- %s ", !strcmp(type, "FUNCTION") ? "function" : "procedure");
        db_add_ident(&d->line, name);
        buf_addf(&d->line, "\nDROP %s IF EXISTS ", type);
        db_add_ident(&d->line, name);
        buf_adds(&d->line, ";\n");
        rc = emit_compound(d, !strcmp(type, "FUNCTION") ? "function" : "procedure", name,
                           cell(&r, 0, 1), cell(&r, 0, 2), err);
        rows_release(&r);
        d->stats->routines++;
    }
    rows_release(&list);
    return rc;
}

static int dump_views(struct dumper *d, struct ds_error *err)
{
    struct rows r = {0};
    bool any = false;
    int rc;

    /* stand-ins first: a view may name views that come after it */
    for (size_t i = 0; i < d->n_tables; i++) {
        struct table *t = &d->tables[i];

        if (strcmp(t->type, "VIEW"))
            continue;
        if (!any)
            buf_adds(&d->line, "\n-- stand-ins for the views, replaced below\n");
        any = true;
        buf_adds(&d->line, "CREATE TABLE IF NOT EXISTS ");
        db_add_ident(&d->line, t->name);
        buf_adds(&d->line, " (");
        for (size_t c = 0; c < t->all.n; c++) {
            if (c)
                buf_adds(&d->line, ", ");
            db_add_ident(&d->line, t->all.v[c]);
            buf_adds(&d->line, " tinyint");
        }
        if (!t->all.n)
            buf_adds(&d->line, "`devstack_stand_in` tinyint");
        buf_adds(&d->line, ");\n");
    }
    if (emit_buf(d, &d->line) < 0)
        return DS_EIO;
    for (size_t i = 0; i < d->n_tables; i++) {
        struct table *t = &d->tables[i];

        if (strcmp(t->type, "VIEW"))
            continue;
        rc = show_create(d, "VIEW", t->name, 1, &r, err);
        if (rc < 0)
            return rc;
        buf_adds(&d->line, "\n-- view ");
        db_add_ident(&d->line, t->name);
        buf_adds(&d->line, "\nDROP TABLE IF EXISTS ");
        db_add_ident(&d->line, t->name);
        buf_adds(&d->line, ";\n");
        db_strip_definer(&d->line, cell(&r, 0, 1), strlen(cell(&r, 0, 1)));
        buf_adds(&d->line, ";\n");
        rows_release(&r);
        if (emit_buf(d, &d->line) < 0)
            return DS_EIO;
        d->stats->views++;
    }
    return 0;
}

static int dump_database(struct dumper *d, struct ds_error *err)
{
    struct rows r = {0};
    int rc;

    /*
     * The session the dump reads with: SHOW CREATE in the standard quoting,
     * TIMESTAMPs in UTC (as the dump's header loads them), and patience
     * with a slow writer
     */
    static const char *const session[] = {
            "SET SESSION SQL_MODE=''",
            "SET SESSION SQL_QUOTE_SHOW_CREATE=1",
            "SET SESSION TIME_ZONE='+00:00'",
            "SET SESSION NET_WRITE_TIMEOUT=600",
            "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
            "START TRANSACTION WITH CONSISTENT SNAPSHOT",
    };

    for (size_t i = 0; i < ARRAY_SIZE(session); i++)
        if ((rc = db_exec(d->conn, session[i], err)) < 0)
            return rc;
    if ((rc = dump_header(d, err)) < 0 || (rc = read_schema(d, err)) < 0)
        return rc;
    for (size_t i = 0; i < d->n_tables; i++) {
        if (!strcmp(d->tables[i].type, "VIEW"))
            continue;
        if ((rc = dump_table(d, &d->tables[i], err)) < 0)
            return rc;
        if (cancelled(d))
            return ds_error_set(err, DS_EINTR, "interrupted");
    }
    if ((rc = dump_routines(d, err)) < 0 || (rc = dump_views(d, err)) < 0)
        return rc;
    if (fetch_rows(d->conn,
                   "SELECT COUNT(*) FROM information_schema.EVENTS "
                   "WHERE EVENT_SCHEMA = DATABASE()",
                   &r, err) == 0) {
        d->stats->events_skipped =
                (size_t)strtoull(cell(&r, 0, 0) ? cell(&r, 0, 0) : "0", NULL, 10);
        rows_release(&r);
    } else {
        ds_error_release(err);
    }
    (void)db_exec(d->conn, "COMMIT", err);
    ds_error_release(err);
    buf_addf(&d->line,
             "\nSET SQL_NOTES=@OLD_SQL_NOTES;\n"
             "SET SQL_MODE=@OLD_SQL_MODE;\n"
             "SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS;\n"
             "SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS;\n"
             "SET TIME_ZONE=@OLD_TIME_ZONE;\n"
             "-- devstack db dump complete: %zu tables, %" PRIu64 " rows\n",
             d->stats->tables, d->stats->rows);
    return emit_buf(d, &d->line) < 0 ? DS_EIO : 0;
}

static void tables_release(struct dumper *d)
{
    for (size_t i = 0; i < d->n_tables; i++) {
        free(d->tables[i].name);
        free(d->tables[i].type);
        strvec_clear(&d->tables[i].insert);
        strvec_clear(&d->tables[i].all);
        strvec_clear(&d->tables[i].triggers);
    }
    free(d->tables);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void db_dump_describe(struct buf *out, const struct db_dump_stats *s)
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

char *db_dump_partial_name(const char *path, long pid)
{
    struct buf b = BUF_INIT;
    const char *slash = strrchr(path, '/');

    if (slash)
        buf_add(&b, path, (size_t)(slash - path + 1));
    buf_addf(&b, ".%s.partial-%ld" DB_DUMP_LOCKED_SUFFIX, slash ? slash + 1 : path, pid);
    return buf_detach(&b, NULL);
}

/*
 * Create the partial file and take its lock, which is how a listing tells
 * it from a dead dump's (its PID says nothing in another PID namespace).
 * A listing may take the file for a dead dump's between the two and remove
 * it: then it is made again. Returns the file's descriptor, or -1 with err
 * set. Where the file system has no flock the file goes unlocked, and a
 * listing, unable to lock it either, leaves it alone.
 */
static int create_partial(const char *partial, struct ds_error *err)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        struct stat mine, named;

        if (fd < 0) {
            ds_error_errno(err, errno, "cannot create '%s'", partial);
            return -1;
        }
        if (flock(fd, LOCK_EX) < 0)
            return fd;
        if (fstat(fd, &mine) == 0 && stat(partial, &named) == 0 && mine.st_dev == named.st_dev &&
            mine.st_ino == named.st_ino)
            return fd;
        close(fd);
    }
    ds_error_set(err, DS_ECONFLICT, "cannot create '%s': it is removed as soon as it appears",
                 partial);
    return -1;
}

static int write_error(struct ds_error *err, const char *path, int errnum)
{
    ds_error_errno(err, errnum, "writing '%s'", path);
    if (errnum == ENOSPC || errnum == EDQUOT)
        ds_error_hint(err, "free some disk space and try again; the partial dump was removed");
    return DS_EIO;
}

/* Sync the directory that holds `path`, so a rename in it survives a crash. */
static void sync_dir(const char *path)
{
    char *dir = path_dirname(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int db_dump_file(struct db_conn *conn, const char *path, const struct db_dump_options *o,
                 struct db_dump_stats *stats, struct ds_error *err)
{
    struct dumper d = {.conn = conn, .m = db_conn_mysql(conn), .o = o, .stats = stats};
    struct db_sink *sink = NULL;
    bool to_stdout = !strcmp(path, "-");
    bool gzip = !to_stdout && str_ends_with(path, ".gz");
    char *partial = NULL;
    struct stat st;
    int fd = -1, held = -1, rc, write_errno = 0;

    memset(stats, 0, sizeof(*stats));
    if (!to_stdout && !o->replace && lstat(path, &st) == 0) {
        ds_error_set(err, DS_ECONFLICT, "'%s' exists", path);
        ds_error_hint(err, "choose another name, or pass --force to replace it");
        return DS_ECONFLICT;
    }
    if (to_stdout) {
        fd = STDOUT_FILENO;
    } else {
        partial = db_dump_partial_name(path, (long)getpid());
        fd = create_partial(partial, err);
        if (fd < 0) {
            free(partial);
            return err->code;
        }
        /* the lock lives until the partial name is gone, after fd is closed */
        held = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    }
    if (db_sink_open(&sink, fd, gzip, o->gzip_level) < 0) {
        rc = ds_error_set(err, DS_ERR, "cannot start gzip compression");
        goto done;
    }
    d.sink = sink;
    buf_init(&d.line, 64u << 10);
    rc = conn->engine == DB_POSTGRES ? db_pg_dump(conn, sink, o, stats, err)
                                     : dump_database(&d, err);
    if (rc == 0 && db_sink_finish(sink) < 0)
        rc = DS_EIO;
    write_errno = db_sink_error(sink);
    if (rc == 0 && !to_stdout && fsync(fd) < 0)
        write_errno = errno, rc = DS_EIO;
    if (rc == DS_EIO && write_errno)
        write_error(err, to_stdout ? "standard output" : path, write_errno);
    else if (rc == DS_EIO && !err->msg)
        ds_error_set(err, DS_EIO, "writing '%s' failed", path);
    stats->sql_bytes = db_sink_raw(sink);
    stats->file_bytes = db_sink_written(sink);

done:
    db_sink_free(sink);
    tables_release(&d);
    buf_release(&d.line);
    buf_release(&d.scratch);
    if (!to_stdout) {
        if (close(fd) < 0 && rc == 0)
            rc = write_error(err, path, errno);
        if (rc == 0) {
            if (o->replace)
                rc = rename(partial, path) < 0
                             ? ds_error_errno(err, errno, "renaming to '%s'", path)
                             : 0;
            else if (link(partial, path) < 0)
                rc = errno == EEXIST ? ds_error_set(err, DS_ECONFLICT,
                                                    "'%s' appeared while dumping; the dump "
                                                    "was not kept",
                                                    path)
                                     : ds_error_errno(err, errno, "naming '%s'", path);
        }
        unlink(partial);
        if (held >= 0)
            close(held);
        if (rc == 0)
            sync_dir(path);
        free(partial);
    }
    return rc;
}
