/*
 * Connections to PostgreSQL through libpq, behind the API of db.h.
 *
 * We connect to what db_url_target() says the URL's driver connects to
 * (psycopg2, psycopg, asyncpg and pg8000 agree on it), through
 * PQconnectdbParams: the values go over as parameters, never spliced into a
 * conninfo string, and expand_dbname is off so that a database name is never
 * read as one. What the URL leaves out libpq takes from its defaults and the
 * PG* environment, as psycopg2 (libpq too) does for the application.
 *
 * libpq 15 keeps no SQLSTATE for a connection that failed: the server's
 * ErrorResponse during start-up only reaches PQerrorMessage(), as text. So a
 * failed connect is classified by that text (the server's English messages
 * and libpq's own) and PQconnectionNeedsPassword(); queries are classified by
 * their SQLSTATE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "db/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

/* what one query may bring back; devstack's own queries are tiny */
#define RESULT_CAP (16u << 20)

/* SQLSTATEs (PostgreSQL's errcodes.txt) */
#define SQLSTATE_UNDEFINED_TABLE "42P01"
#define SQLSTATE_INVALID_SCHEMA  "3F000"

static const struct {
    const char *sqlstate;
    enum db_reason reason;
} sqlstate_reasons[] = {
        {"28P01", DB_AUTH_DENIED}, /* invalid_password */
        {"28000", DB_AUTH_DENIED}, /* invalid_authorization_specification: no role, pg_hba */
        {"3D000", DB_UNKNOWN_DB},  /* invalid_catalog_name */
        {"57P03", DB_STARTING},    /* cannot_connect_now */
        {"57P01", DB_STARTING},    /* admin_shutdown: a fast shutdown or a restart */
        {"53300", DB_TOO_MANY},    /* too_many_connections */
        {"08001", DB_REFUSED},     /* sqlclient_unable_to_establish_sqlconnection */
        {"08004", DB_AUTH_DENIED}, /* sqlserver_rejected_establishment_of_sqlconnection */
        {"08006", DB_HANDSHAKE},   /* connection_failure */
};

/*
 * Pieces of the messages of a failed connect. The server's (FATAL: ...) come
 * first: libpq puts its own "connection to server at ... failed:" before them.
 */
static const struct {
    const char *text;
    enum db_reason reason;
} message_reasons[] = {
        {"password authentication failed", DB_AUTH_DENIED},
        {"no password supplied", DB_AUTH_DENIED},
        {"no pg_hba.conf entry", DB_AUTH_DENIED},
        {"is not permitted to log in", DB_AUTH_DENIED},
        {"authentication failed for user", DB_AUTH_DENIED}, /* md5, ident, peer, cert, ... */
        {"SCRAM authentication", DB_AUTH_DENIED},
        {"the database system is starting up", DB_STARTING},
        {"the database system is not yet accepting connections", DB_STARTING},
        {"the database system is not accepting connections", DB_STARTING},
        {"the database system is in recovery mode", DB_STARTING},
        {"the database system is shutting down", DB_STARTING},
        {"too many clients already", DB_TOO_MANY},
        {"too many connections for", DB_TOO_MANY}, /* a role's or a database's limit */
        {"remaining connection slots are reserved", DB_TOO_MANY},
        {"Connection refused", DB_REFUSED},
        {"No such file or directory", DB_REFUSED},                 /* no socket file (yet) */
        {"Temporary failure in name resolution", DB_LOOKUP_LATER}, /* EAI_AGAIN */
        {"could not translate host name", DB_NO_ROUTE},
        {"No route to host", DB_NO_ROUTE},
        {"Network is unreachable", DB_NO_ROUTE},
        {"Cannot assign requested address", DB_NO_ROUTE},
        {"timeout expired", DB_TIMEOUT},
        {"Connection timed out", DB_TIMEOUT},
        {"server closed the connection unexpectedly", DB_HANDSHAKE},
        {"Connection reset by peer", DB_HANDSHAKE},
        {"expected authentication request from server", DB_HANDSHAKE},
        {"received invalid response to SSL negotiation", DB_HANDSHAKE},
        {"SSL SYSCALL error", DB_HANDSHAKE},
};

/* `FATAL:  <what> "<name>" does not exist`, the name being anything */
static bool names_missing(const char *msg, const char *what)
{
    struct buf prefix = BUF_INIT;
    const char *p;
    bool found = false;

    buf_addf(&prefix, "FATAL:  %s \"", what);
    for (p = strstr(msg, prefix.buf); p && !found; p = strstr(p + 1, prefix.buf)) {
        const char *end = strchr(p + prefix.len, '\n');
        const char *tail = strstr(p + prefix.len, "\" does not exist");

        found = tail && (!end || tail < end);
    }
    buf_release(&prefix);
    return found;
}

enum db_reason db_pg_classify(const char *sqlstate, const char *message, bool needs_password)
{
    const char *msg = message ? message : "";

    if (sqlstate && *sqlstate) {
        for (size_t i = 0; i < ARRAY_SIZE(sqlstate_reasons); i++)
            if (!strcmp(sqlstate, sqlstate_reasons[i].sqlstate))
                return sqlstate_reasons[i].reason;
        if (!strncmp(sqlstate, "28", 2))
            return DB_AUTH_DENIED;
        if (!strncmp(sqlstate, "08", 2))
            return DB_HANDSHAKE;
        return DB_OTHER;
    }
    if (names_missing(msg, "database"))
        return DB_UNKNOWN_DB;
    if (names_missing(msg, "role"))
        return DB_AUTH_DENIED;
    for (size_t i = 0; i < ARRAY_SIZE(message_reasons); i++)
        if (strstr(msg, message_reasons[i].text))
            return message_reasons[i].reason;
    return needs_password ? DB_AUTH_DENIED : DB_OTHER;
}

/*
 * libpq's message on one line: its lines joined by "; ", without the
 * tab-indented advice it adds ("Is the server running on that host ...?")
 */
static char *one_line(const char *msg)
{
    struct buf b = BUF_INIT;
    const char *p = msg ? msg : "";

    while (*p) {
        size_t len = strcspn(p, "\n");

        if (*p != '\t' && len) {
            if (b.len)
                buf_adds(&b, "; ");
            buf_add(&b, p, len);
        }
        p += len;
        if (*p)
            p++;
    }
    buf_rtrim(&b);
    return buf_detach(&b, NULL);
}

/* 'user'@'host:port' or 'user'@'<dir>/.s.PGSQL.<port>', as libpq chose them */
static char *describe_target(PGconn *pg, const struct db_target *t)
{
    struct buf b = BUF_INIT;
    const char *user = pg && PQuser(pg) ? PQuser(pg) : t->user ? t->user : "";
    const char *host = pg && PQhost(pg) && *PQhost(pg) ? PQhost(pg)
                       : t->unix_socket                ? t->unix_socket
                       : t->host                       ? t->host
                                                       : "localhost";
    const char *port = pg && PQport(pg) && *PQport(pg) ? PQport(pg) : NULL;

    buf_addf(&b, "'%s'@'", user);
    if (host[0] == '/')
        buf_addf(&b, "%s/.s.PGSQL.", host);
    else
        buf_addf(&b, strchr(host, ':') ? "[%s]:" : "%s:", host);
    if (port)
        buf_adds(&b, port);
    else
        buf_addf(&b, "%u", t->port);
    buf_addch(&b, '\'');
    return buf_detach(&b, NULL);
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static const struct db_image_hints postgres_hints = {
        "check the user and password; the postgres image sets them only when its data "
        "directory is first initialized",
        "the postgres image creates POSTGRES_DB only when its data directory is first "
        "initialized",
};

/* a parameter for PQconnectdbParams, when it has a value (else libpq's default) */
static void add_param(const char **keys, const char **values, size_t *n, const char *key,
                      const char *value)
{
    if (!value)
        return;
    keys[*n] = key;
    values[(*n)++] = value;
}

int db_pg_connect(struct db_conn *conn, const struct db_url *url, unsigned timeout_ms,
                  enum db_reason *why, struct ds_error *err)
{
    struct db_target t;
    const char *keys[10], *values[10];
    char port[16], timeout[16];
    size_t n = 0;
    unsigned secs = timeout_ms ? (timeout_ms + 999) / 1000 : 1;
    enum db_reason reason;
    char *msg = NULL;
    int rc;

    *why = DB_OTHER;
    if (db_url_target(url, &t, err) < 0)
        return DS_EINVAL;
    snprintf(port, sizeof(port), "%u", t.port);
    /* libpq's minimum is 2 s: it reads 1 as 2 */
    snprintf(timeout, sizeof(timeout), "%u", secs);
    add_param(keys, values, &n, "host",
              t.unix_socket       ? t.unix_socket
              : t.host && *t.host ? t.host
                                  : NULL);
    add_param(keys, values, &n, "port", port);
    add_param(keys, values, &n, "user", t.user && *t.user ? t.user : NULL);
    add_param(keys, values, &n, "password", t.password);
    add_param(keys, values, &n, "dbname", t.database && *t.database ? t.database : NULL);
    add_param(keys, values, &n, "connect_timeout", timeout);
    add_param(keys, values, &n, "client_encoding", "UTF8");
    add_param(keys, values, &n, "application_name", "devstack");
    keys[n] = NULL;
    values[n] = NULL;

    conn->pg = PQconnectdbParams(keys, values, 0);
    conn->where = describe_target(conn->pg, &t);
    if (!conn->pg)
        return ds_error_set(err, DS_ERR, "cannot connect to %s: out of memory", conn->where);
    if (PQstatus(conn->pg) == CONNECTION_OK) {
        /* NOTICEs (DROP ... CASCADE says what else it dropped) are not ours to print */
        PQsetNoticeProcessor(conn->pg, ignore_notice, NULL);
        *why = DB_OK;
        return 0;
    }
    msg = one_line(PQerrorMessage(conn->pg));
    reason = db_pg_classify(NULL, msg, PQconnectionNeedsPassword(conn->pg));
    rc = db_connect_failed(err, conn->where, reason, msg, &postgres_hints);
    *why = reason;
    free(msg);
    return rc;
}

void db_pg_close(struct db_conn *conn)
{
    if (conn->pg)
        PQfinish(conn->pg);
    conn->pg = NULL;
}

static int query_status(const char *sqlstate, PGconn *pg)
{
    if (!sqlstate || !*sqlstate)
        return PQstatus(pg) == CONNECTION_BAD ? DS_EIO : DS_ERR;
    if (!strcmp(sqlstate, SQLSTATE_UNDEFINED_TABLE) || !strcmp(sqlstate, "3D000"))
        return DS_ENOTFOUND;
    if (!strcmp(sqlstate, "42501") || !strncmp(sqlstate, "28", 2))
        return DS_EPERM;
    if (!strncmp(sqlstate, "08", 2) || !strncmp(sqlstate, "57P", 3))
        return DS_EIO;
    return DS_ERR;
}

/* err from a failed result (or, res NULL, the connection's last error) */
static int result_error(struct db_conn *conn, const PGresult *res, struct ds_error *err)
{
    const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    /* the server's own words, without "ERROR:" and the LINE/caret lines */
    const char *text = primary                             ? primary
                       : res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
                                                           : PQerrorMessage(conn->pg);
    char *msg = one_line(text);
    int rc;

    if (sqlstate)
        rc = ds_error_set(err, query_status(sqlstate, conn->pg),
                          "query on %s failed: %s (SQLSTATE %s)", conn->where, msg, sqlstate);
    else
        rc = ds_error_set(err, query_status(NULL, conn->pg), "query on %s failed: %s", conn->where,
                          msg);
    free(msg);
    return rc;
}

int db_pg_error(struct db_conn *conn, struct ds_error *err)
{
    return result_error(conn, NULL, err);
}

int db_pg_exec(struct db_conn *conn, const char *sql, struct ds_error *err)
{
    PGresult *res = PQexec(conn->pg, sql); /* owned */
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        rc = result_error(conn, res, err);
    PQclear(res);
    return rc;
}

/*
 * The first column of every row into out (left alone on error); *sqlstate
 * the error's SQLSTATE ("" when none).
 */
static int query_column(struct db_conn *conn, const char *sql, struct strvec *out, char sqlstate[6],
                        struct ds_error *err)
{
    PGresult *res = PQexec(conn->pg, sql); /* owned */
    ExecStatusType st = PQresultStatus(res);
    size_t total = 0;
    int rows, rc = 0;

    sqlstate[0] = '\0';
    if (st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY)
        goto done; /* a statement without rows */
    if (st != PGRES_TUPLES_OK) {
        const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

        if (s && strlen(s) == 5)
            memcpy(sqlstate, s, 6);
        rc = result_error(conn, res, err);
        goto done;
    }
    rows = PQntuples(res);
    for (int i = 0; i < rows && PQnfields(res) > 0; i++)
        total += (size_t)PQgetlength(res, i, 0) + 1;
    if (total > RESULT_CAP) {
        rc = ds_error_set(err, DS_EIO, "query on %s: more than %u MiB of results", conn->where,
                          RESULT_CAP >> 20);
        goto done;
    }
    for (int i = 0; i < rows && PQnfields(res) > 0; i++)
        strvec_push_nodup(out, xstrndup(PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0)));

done:
    PQclear(res);
    return rc;
}

int db_pg_query_column(struct db_conn *conn, const char *sql, struct strvec *out,
                       struct ds_error *err)
{
    char sqlstate[6];

    return query_column(conn, sql, out, sqlstate, err);
}

/* "name" quoted for PostgreSQL, appended to b. */
static void add_ident(struct buf *b, const char *name)
{
    buf_addch(b, '"');
    for (; *name; name++) {
        if (*name == '"')
            buf_addch(b, '"');
        buf_addch(b, *name);
    }
    buf_addch(b, '"');
}

int db_pg_alembic_versions(struct db_conn *conn, const char *name, const char *schema,
                           struct strvec *out, bool *exists, struct ds_error *err)
{
    struct buf sql = BUF_INIT;
    char sqlstate[6];
    int rc;

    /* unqualified without version_table_schema, as Alembic: the search_path finds it */
    buf_adds(&sql, "SELECT version_num FROM ");
    if (schema) {
        add_ident(&sql, schema);
        buf_addch(&sql, '.');
    }
    add_ident(&sql, name ? name : "alembic_version");
    rc = query_column(conn, sql.buf, out, sqlstate, err);
    buf_release(&sql);
    *exists = rc == 0;
    /* no schema, no table */
    if (rc < 0 && (!strcmp(sqlstate, SQLSTATE_UNDEFINED_TABLE) ||
                   !strcmp(sqlstate, SQLSTATE_INVALID_SCHEMA))) {
        ds_error_release(err);
        return 0;
    }
    return rc;
}

int db_pg_tables(struct db_conn *conn, struct strvec *out, struct ds_error *err)
{
    char sqlstate[6];

    /* the schema unqualified names go to (MySQL's current database), by bytes */
    return query_column(conn,
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
                        "ORDER BY table_name COLLATE \"C\"",
                        out, sqlstate, err);
}
