/*
 * Connections to MySQL and MariaDB through libmysqlclient, which on Debian is
 * MariaDB Connector/C 3.3, and the API of db.h, which hands connections to
 * PostgreSQL to conn_pg.c.
 *
 * We connect the way SQLAlchemy with PyMySQL does, so that devstack reaches
 * the server the application reaches: over TCP, also for "localhost" (where
 * libmysqlclient on its own would take the default Unix socket), unless the
 * URL names a `unix_socket`.
 *
 * MySQL 8's caching_sha2_password over plain TCP: Connector/C's
 * caching_sha2_password plugin (libmariadb3/plugin/caching_sha2_password.so,
 * built with OpenSSL on Debian) asks the server for its RSA public key by
 * itself when the fast path (a cached hash) fails and the connection is
 * neither TLS nor a Unix socket. It has no MYSQL_OPT_GET_SERVER_PUBLIC_KEY
 * switch, and needs none; MYSQL_SERVER_PUBLIC_KEY (a PEM file) would only
 * save that round trip. PyMySQL does the same.
 *
 * TLS: none unless the URL asks for it with the ssl_* parameters that
 * SQLAlchemy's MySQL dialects pass on (ssl_ca, ssl_cert, ssl_key,
 * ssl_capath, ssl_cipher, ssl_check_hostname), as PyMySQL does; then it is
 * required. We do not try TLS opportunistically: Connector/C 3.3 would fall
 * back to plain TCP when the server has no TLS, and its caching_sha2_password
 * plugin then takes "TLS was asked for" as "the connection is secure" and
 * sends the password in clear text. For the same reason a URL with ssl_*
 * parameters gets a connection with TLS or none: 3.3 falls back to plain TCP
 * unless it verifies the certificate, so we check after the handshake.
 */
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "db/db.h"
#include "db/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "util/banned.h"

#define DEFAULT_PORT 3306
/* what one query may bring back; devstack's own queries are tiny */
#define RESULT_CAP (16u << 20)
/* how long, and how often, a name lookup that failed for now is tried again */
#define LOOKUP_RETRY_MS 5000u
#define LOOKUP_POLL_MS  200u

const char *db_reason_name(enum db_reason reason)
{
    switch (reason) {
    case DB_OK:
        return "ok";
    case DB_REFUSED:
        return "refused";
    case DB_NO_ROUTE:
        return "no route";
    case DB_LOOKUP_LATER:
        return "name lookup failed";
    case DB_HANDSHAKE:
        return "handshake";
    case DB_AUTH_DENIED:
        return "auth denied";
    case DB_UNKNOWN_DB:
        return "unknown database";
    case DB_TIMEOUT:
        return "timeout";
    case DB_QUERY:
        return "query";
    case DB_STARTING:
        return "starting up";
    case DB_TOO_MANY:
        return "too many connections";
    case DB_OTHER:
        break;
    }
    return "other";
}

bool db_reason_transient(enum db_reason reason)
{
    return reason != DB_OK && reason != DB_AUTH_DENIED && reason != DB_UNKNOWN_DB;
}

/* How the reason reads in "cannot connect to ...: <phrase> (<client message>)". */
static const char *reason_phrase(enum db_reason reason)
{
    switch (reason) {
    case DB_REFUSED:
        return "connection refused";
    case DB_NO_ROUTE:
        return "unreachable";
    case DB_LOOKUP_LATER:
        return "the name lookup failed for now";
    case DB_HANDSHAKE:
        return "handshake failed";
    case DB_AUTH_DENIED:
        return "access denied";
    case DB_UNKNOWN_DB:
        return "unknown database";
    case DB_TIMEOUT:
        return "timed out";
    case DB_STARTING:
        return "the server is starting up";
    case DB_TOO_MANY:
        return "too many connections";
    default:
        return NULL;
    }
}

static int reason_status(enum db_reason reason)
{
    switch (reason) {
    case DB_REFUSED:
    case DB_NO_ROUTE:
    case DB_LOOKUP_LATER:
    case DB_STARTING:
        return DS_EUNREACHABLE;
    case DB_HANDSHAKE:
        return DS_EPROTO;
    case DB_TOO_MANY:
        return DS_ECONFLICT;
    case DB_AUTH_DENIED:
        return DS_EPERM;
    case DB_UNKNOWN_DB:
        return DS_ENOTFOUND;
    case DB_TIMEOUT:
        return DS_ETIMEDOUT;
    default:
        return DS_ERR;
    }
}

int db_connect_failed(struct ds_error *err, const char *where, enum db_reason reason,
                      const char *msg, const struct db_image_hints *hints)
{
    const char *phrase = reason_phrase(reason);
    int rc = reason_status(reason);

    if (phrase)
        ds_error_set(err, rc, "cannot connect to %s: %s (%s)", where, phrase, msg);
    else
        ds_error_set(err, rc, "cannot connect to %s: %s", where, msg);
    if (reason == DB_AUTH_DENIED)
        ds_error_hint(err, "%s", hints->auth);
    else if (reason == DB_UNKNOWN_DB)
        ds_error_hint(err, "%s", hints->unknown_db);
    return rc;
}

/*
 * The system error the client library put into its message: "... (111)" for
 * CR_CONNECTION_ERROR / CR_CONN_HOST_ERROR, "..., system error: 110" for
 * CR_SERVER_LOST_EXTENDED. -1 when there is none.
 */
static int message_errno(const char *msg)
{
    const char *p;
    size_t len = strlen(msg);
    int64_t v;
    char digits[16];

    if ((p = strstr(msg, "system error: "))) {
        p += strlen("system error: ");
        len = strspn(p, "0123456789");
    } else if (len > 2 && msg[len - 1] == ')') {
        size_t n = 0;

        while (n < len - 1 && msg[len - 2 - n] >= '0' && msg[len - 2 - n] <= '9')
            n++;
        if (!n || n >= len - 1 || msg[len - 2 - n] != '(')
            return -1;
        p = msg + len - 1 - n;
        len = n;
    } else {
        return -1;
    }
    if (!len || len >= sizeof(digits))
        return -1;
    memcpy(digits, p, len);
    digits[len] = '\0';
    return str_to_int64(digits, 0, 100000, &v) < 0 ? -1 : (int)v;
}

static enum db_reason classify_errno(int e, enum db_reason otherwise)
{
    switch (e) {
    case ECONNREFUSED:
    case ENOENT: /* no socket file (yet) */
    /*
     * Connector/C 3.3 reports an asynchronous connect() failure with the
     * errno of the connect() call itself: a refused TCP port reads "(115)".
     * A timeout reads "(110)".
     */
    case EINPROGRESS:
        return DB_REFUSED;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EADDRNOTAVAIL:
    case ENETDOWN:
        return DB_NO_ROUTE;
    case ETIMEDOUT:
        return DB_TIMEOUT;
    case ECONNRESET:
    case EPIPE:
        return DB_HANDSHAKE;
    default:
        return otherwise;
    }
}

/*
 * "Unknown server host 'db' (-3)": Connector/C puts getaddrinfo()'s error
 * last, and EAI_AGAIN means the resolver had no answer, not that the name
 * does not exist.
 */
static bool lookup_failed_for_now(const char *msg)
{
    char tail[16];

    snprintf(tail, sizeof(tail), "(%d)", EAI_AGAIN);
    return str_ends_with(msg, tail);
}

enum db_reason db_mysql_classify(unsigned code, const char *msg)
{
    switch (code) {
    case 0:
        return DB_OK;
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
    case ER_HOST_NOT_PRIVILEGED:
    case ER_ACCOUNT_HAS_BEEN_LOCKED:
        return DB_AUTH_DENIED;
    case ER_BAD_DB_ERROR:
        return DB_UNKNOWN_DB;
    case ER_SERVER_SHUTDOWN:
        return DB_STARTING;
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
        return DB_TOO_MANY;
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
        return classify_errno(message_errno(msg), DB_OTHER);
    case CR_UNKNOWN_HOST:
        return lookup_failed_for_now(msg) ? DB_LOOKUP_LATER : DB_NO_ROUTE;
    case CR_IPSOCK_ERROR:
        return DB_NO_ROUTE;
    case CR_SERVER_LOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST_EXTENDED:
    case CR_SERVER_HANDSHAKE_ERR:
    case CR_MALFORMED_PACKET:
    case CR_VERSION_ERROR:
    case CR_SSL_CONNECTION_ERROR:
    case CR_AUTH_PLUGIN_CANNOT_LOAD:
    case CR_AUTH_PLUGIN_ERR:
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
        /*
         * A read that timed out is a timeout, whatever the stage. Any other
         * "system error" here is a stale errno (a server that hung up at once
         * reads "system error: 11" or "115").
         */
        return message_errno(msg) == ETIMEDOUT ? DB_TIMEOUT : DB_HANDSHAKE;
    default:
        if (strstr(msg, "reading initial communication packet") || strstr(msg, "handshake"))
            return DB_HANDSHAKE;
        return DB_OTHER;
    }
}

static char *describe_target(const struct db_url *url)
{
    struct buf b = BUF_INIT;
    unsigned port = url->port ? url->port : DEFAULT_PORT;
    const char *host = url->host && *url->host ? url->host : "localhost";

    buf_addf(&b, "'%s'@'", url->user ? url->user : "");
    if (url->unix_socket)
        buf_adds(&b, url->unix_socket);
    else
        buf_addf(&b, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
    buf_addch(&b, '\'');
    return buf_detach(&b, NULL);
}

/* Python's bool() of a query value as SQLAlchemy's coerce_kw_type reads it. */
static bool query_false(const char *v)
{
    return v && (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
                 !strcmp(v, "0"));
}

/* The ssl_* URL parameters. Returns whether any asks for TLS. */
static bool set_tls_options(MYSQL *m, const struct db_url *url)
{
    static const struct {
        const char *key;
        enum mysql_option option;
    } files[] = {
            {"ssl_ca", MYSQL_OPT_SSL_CA},         {"ssl_capath", MYSQL_OPT_SSL_CAPATH},
            {"ssl_cert", MYSQL_OPT_SSL_CERT},     {"ssl_key", MYSQL_OPT_SSL_KEY},
            {"ssl_cipher", MYSQL_OPT_SSL_CIPHER},
    };
    bool tls = false;
    my_bool on = 1;

    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        const char *v = kvlist_get(&url->query, files[i].key);

        if (v) {
            mysql_optionsv(m, files[i].option, v);
            tls = true;
        }
    }
    if (!tls)
        return false;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
    /*
     * PyMySQL checks the certificate against a CA it is given, and the host
     * name unless ssl_check_hostname says not to
     */
    if ((kvlist_get(&url->query, "ssl_ca") || kvlist_get(&url->query, "ssl_capath")) &&
        !query_false(kvlist_get(&url->query, "ssl_check_hostname")))
        mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    return true;
}

static const struct db_image_hints mysql_hints = {
        "check the user and password; the mysql and mariadb images set them only when their "
        "data volume is first initialized",
        "the mysql and mariadb images create MYSQL_DATABASE only when their data volume is "
        "first initialized",
};

static int connect_once(struct db_conn **out, const struct db_url *url, unsigned timeout_ms,
                        enum db_reason *why, struct ds_error *err)
{
    struct db_conn *conn = NULL;
    enum db_reason reason = DB_OTHER;
    unsigned secs = timeout_ms ? (timeout_ms + 999) / 1000 : 1;
    unsigned protocol = url->unix_socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
    unsigned port = url->port ? url->port : DEFAULT_PORT;
    const char *host = url->unix_socket || !url->host || !*url->host ? "localhost" : url->host;
    const char *database = url->database && *url->database ? url->database : NULL;
    my_bool off = 0;
    unsigned no_local_files = 0; /* this option takes an unsigned int, not a my_bool */
    bool tls;
    int rc = DS_ERR;

    *out = NULL;
    conn = xcalloc(1, sizeof(*conn));
    conn->engine = url->engine;
    if (url->engine == DB_POSTGRES) {
        rc = db_pg_connect(conn, url, timeout_ms, &reason, err);
        if (rc == 0) {
            *out = conn;
            conn = NULL;
        }
        goto done;
    }

    conn->where = describe_target(url);
    conn->mysql = mysql_init(NULL);
    if (!conn->mysql) {
        rc = ds_error_set(err, DS_ERR, "cannot connect to %s: out of memory", conn->where);
        goto done;
    }
    mysql_optionsv(conn->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
    /* bounds the authentication exchange and every later read and write */
    mysql_optionsv(conn->mysql, MYSQL_OPT_READ_TIMEOUT, &secs);
    mysql_optionsv(conn->mysql, MYSQL_OPT_WRITE_TIMEOUT, &secs);
    mysql_optionsv(conn->mysql, MYSQL_OPT_PROTOCOL, &protocol);
    mysql_optionsv(conn->mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(conn->mysql, MYSQL_OPT_LOCAL_INFILE, &no_local_files);
    mysql_optionsv(conn->mysql, MYSQL_OPT_RECONNECT, &off);
    tls = set_tls_options(conn->mysql, url);

    /* an empty password, never NULL: NULL makes the library read $MYSQL_PWD */
    if (!mysql_real_connect(conn->mysql, host, url->user, url->password ? url->password : "",
                            database, port, url->unix_socket, 0)) {
        const char *msg = mysql_error(conn->mysql);

        reason = db_mysql_classify(mysql_errno(conn->mysql), msg);
        rc = db_connect_failed(err, conn->where, reason, msg, &mysql_hints);
        goto done;
    }
    if (tls && !mysql_get_ssl_cipher(conn->mysql)) {
        reason = DB_HANDSHAKE;
        rc = ds_error_set(err, DS_EPROTO,
                          "cannot connect to %s: the URL asks for TLS (ssl_*) but the server "
                          "does not offer it",
                          conn->where);
        goto done;
    }
    reason = DB_OK;
    rc = 0;
    *out = conn;
    conn = NULL;

done:
    *why = reason;
    db_close(conn);
    return rc;
}

int db_connect(struct db_conn **out, const struct db_url *url, unsigned timeout_ms,
               enum db_reason *why, struct ds_error *err)
{
    uint64_t start = clock_ms();
    unsigned budget = timeout_ms < LOOKUP_RETRY_MS ? timeout_ms : LOOKUP_RETRY_MS;
    enum db_reason reason;
    int rc;

    /*
     * Connector/C asks the resolver again by itself within the connect
     * timeout, libpq does not; and one lookup can take all of that timeout
     * when the query was dropped. So: again within the budget, and at
     * least once more after the first.
     */
    for (unsigned tries = 1;; tries++) {
        rc = connect_once(out, url, timeout_ms, &reason, err);
        if (reason != DB_LOOKUP_LATER ||
            (tries > 1 && clock_ms() + LOOKUP_POLL_MS > start + budget))
            break;
        ds_error_release(err);
        clock_sleep_ms(LOOKUP_POLL_MS);
    }
    if (why)
        *why = reason;
    return rc;
}

void db_close(struct db_conn *conn)
{
    if (!conn)
        return;
    if (conn->engine == DB_POSTGRES)
        db_pg_close(conn);
    if (conn->mysql)
        mysql_close(conn->mysql);
    free(conn->where);
    free(conn);
}

static int query_status(unsigned code)
{
    switch (code) {
    case ER_NO_SUCH_TABLE:
    case ER_BAD_DB_ERROR:
        return DS_ENOTFOUND;
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
        return DS_EPERM;
    case CR_SERVER_LOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST_EXTENDED:
        return DS_EIO;
    default:
        return DS_ERR;
    }
}

static int query_error(struct db_conn *conn, struct ds_error *err)
{
    unsigned code = mysql_errno(conn->mysql);

    return ds_error_set(err, query_status(code), "query on %s failed: %s (error %u)", conn->where,
                        mysql_error(conn->mysql), code);
}

MYSQL *db_conn_mysql(struct db_conn *conn)
{
    return conn->mysql;
}

int db_conn_need_mysql(const struct db_conn *conn, const char *what, struct ds_error *err)
{
    if (conn->engine == DB_MYSQL)
        return 0;
    return ds_error_set(err, DS_EUNSUPPORTED, "%s of PostgreSQL databases are not supported yet",
                        what);
}

const char *db_conn_where(const struct db_conn *conn)
{
    return conn->where;
}

int db_conn_error(struct db_conn *conn, struct ds_error *err)
{
    if (conn->engine == DB_POSTGRES)
        return db_pg_error(conn, err);
    return query_error(conn, err);
}

int db_exec(struct db_conn *conn, const char *sql, struct ds_error *err)
{
    MYSQL_RES *res; /* owned: a statement that did return rows */

    if (conn->engine == DB_POSTGRES)
        return db_pg_exec(conn, sql, err);
    if (mysql_real_query(conn->mysql, sql, strlen(sql)) != 0)
        return query_error(conn, err);
    res = mysql_use_result(conn->mysql);
    if (res)
        mysql_free_result(res); /* reads the rows and drops them */
    else if (mysql_field_count(conn->mysql) != 0)
        return query_error(conn, err);
    return 0;
}

/* The first column of every row into out (which is left alone on error). */
static int query_column(struct db_conn *conn, const char *sql, struct strvec *out, unsigned *code,
                        struct ds_error *err)
{
    MYSQL_RES *res = NULL; /* owned */
    struct strvec rows = STRVEC_INIT;
    MYSQL_ROW row;
    size_t total = 0;
    int rc = 0;

    *code = 0;
    if (mysql_real_query(conn->mysql, sql, strlen(sql)) != 0) {
        *code = mysql_errno(conn->mysql);
        rc = query_error(conn, err);
        goto done;
    }
    res = mysql_use_result(conn->mysql);
    if (!res) {
        if (mysql_field_count(conn->mysql) != 0) {
            *code = mysql_errno(conn->mysql);
            rc = query_error(conn, err);
        }
        goto done; /* a statement without rows */
    }
    while ((row = mysql_fetch_row(res))) {
        unsigned long *lengths = mysql_fetch_lengths(res);
        size_t len = row[0] && lengths ? lengths[0] : 0;

        total += len + 1;
        if (total > RESULT_CAP) {
            rc = ds_error_set(err, DS_EIO, "query on %s: more than %u MiB of results", conn->where,
                              RESULT_CAP >> 20);
            goto done;
        }
        strvec_push_nodup(&rows, row[0] ? xstrndup(row[0], len) : xstrdup(""));
    }
    if (mysql_errno(conn->mysql)) {
        *code = mysql_errno(conn->mysql);
        rc = query_error(conn, err);
        goto done;
    }
    for (size_t i = 0; i < rows.n; i++) {
        strvec_push_nodup(out, rows.v[i]);
        rows.v[i] = NULL;
    }
    rows.n = 0;

done:
    if (res)
        mysql_free_result(res); /* also reads what is left of an unfinished result */
    strvec_clear(&rows);
    return rc;
}

int db_query_column(struct db_conn *conn, const char *sql, struct strvec *out, struct ds_error *err)
{
    unsigned code;

    if (conn->engine == DB_POSTGRES)
        return db_pg_query_column(conn, sql, out, err);
    return query_column(conn, sql, out, &code, err);
}

int db_alembic_versions_at(struct db_conn *conn, const char *name, const char *schema,
                           struct strvec *out, bool *exists, struct ds_error *err)
{
    struct buf sql = BUF_INIT;
    unsigned code;
    int rc;

    if (conn->engine == DB_POSTGRES)
        return db_pg_alembic_versions(conn, name, schema, out, exists, err);
    buf_adds(&sql, "SELECT version_num FROM ");
    if (schema) {
        db_add_ident(&sql, schema);
        buf_addch(&sql, '.');
    }
    db_add_ident(&sql, name ? name : "alembic_version");
    rc = query_column(conn, sql.buf, out, &code, err);
    buf_release(&sql);
    *exists = rc == 0;
    /* ER_BAD_DB_ERROR: the schema is missing, so is the table */
    if (rc < 0 && (code == ER_NO_SUCH_TABLE || code == ER_BAD_DB_ERROR)) {
        ds_error_release(err);
        return 0;
    }
    return rc;
}

int db_alembic_versions(struct db_conn *conn, struct strvec *out, bool *exists,
                        struct ds_error *err)
{
    return db_alembic_versions_at(conn, NULL, NULL, out, exists, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int db_tables(struct db_conn *conn, struct strvec *out, struct ds_error *err)
{
    struct strvec names = STRVEC_INIT;
    unsigned code;
    int rc;

    if (conn->engine == DB_POSTGRES)
        return db_pg_tables(conn, out, err);
    rc = query_column(conn,
                      "SELECT table_name FROM information_schema.tables "
                      "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
                      &names, &code, err);
    if (rc == 0) {
        /* by bytes, whatever the collation of information_schema on this server */
        qsort(names.v, names.n, sizeof(*names.v), cmp_str);
        for (size_t i = 0; i < names.n; i++) {
            strvec_push_nodup(out, names.v[i]);
            names.v[i] = NULL;
        }
        names.n = 0;
    }
    strvec_clear(&names);
    return rc;
}
