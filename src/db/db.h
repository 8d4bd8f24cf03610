/*
 * The application database over libmysqlclient or libpq: SQLAlchemy URLs, readiness,
 * and the few queries devstack runs itself (alembic_version, table lists).
 */
#ifndef DEVSTACK_DB_H
#define DEVSTACK_DB_H

#include <signal.h>
#include <stdbool.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/kvlist.h"
#include "util/strvec.h"

/* ---- URLs (src/db/url.c) ---------------------------------------------- */

/* mysql+pymysql://user:pass@host:port/db?charset=utf8mb4 and its kin. */
/* The server a URL's dialect speaks to. */
enum db_engine {
    DB_MYSQL,    /* mysql, mariadb */
    DB_POSTGRES, /* postgresql, postgres */
};

struct db_url {
    enum db_engine engine;
    char *scheme;      /* "mysql+pymysql", "mariadb+mariadbconnector", "postgresql+psycopg2", ... */
    char *user;        /* percent-decoded; NULL when absent */
    char *password;    /* percent-decoded; NULL when absent */
    char *host;        /* NULL when absent (localhost) */
    unsigned port;     /* when absent: 3306, or 5432 for PostgreSQL */
    bool port_given;   /* the URL named a port */
    char *database;    /* NULL when absent */
    char *unix_socket; /* the `unix_socket` query parameter, or NULL */
    struct kvlist query; /* every query parameter, decoded, in URL order */
};

/*
 * Parse a SQLAlchemy URL for MySQL or MariaDB (`mysql`, `mysql+<driver>`,
 * `mariadb`, `mariadb+<driver>`) or PostgreSQL (`postgresql`, `postgres`,
 * each with or without `+<driver>`). Errors say what is wrong and never
 * contain the password.
 */
int db_url_parse(struct db_url *url, const char *text, struct ds_error *err);
void db_url_release(struct db_url *url);
/*
 * The URL as SQLAlchemy renders it (str(engine.url)): password shown as
 * "***" when hide_password, query parameters sorted by key. Where SQLAlchemy
 * would show a `password` query parameter (PostgreSQL's drivers take one),
 * hide_password hides it too.
 */
void db_url_render(struct buf *out, const struct db_url *url, bool hide_password);

/*
 * What the driver connects to, borrowed from the URL: its fields, with the
 * query's say over them as the drivers give it. For PostgreSQL (psycopg2,
 * psycopg, asyncpg, pg8000 all take them) `user`, `password`, `host`, `port`
 * and `dbname` win over the URL's own; a host that is a directory (starts
 * with '/') is where the server's Unix socket is. For MySQL, `unix_socket`.
 */
struct db_target {
    const char *user, *password, *host, *database;
    unsigned port;
    const char *unix_socket; /* MySQL: the socket file; PostgreSQL: its directory */
};
int db_url_target(const struct db_url *url, struct db_target *out, struct ds_error *err);

/* ---- connections (src/db/conn.c) --------------------------------------- */

/* Why an attempt to reach the database failed, from the client's error. */
enum db_reason {
    DB_OK = 0,
    DB_REFUSED,      /* nothing listens (or the init server has networking off) */
    DB_NO_ROUTE,     /* host unreachable, name not resolved */
    DB_LOOKUP_LATER, /* the resolver had no answer for now (EAI_AGAIN) */
    DB_HANDSHAKE,    /* connected, but the server hung up or spoke nonsense */
    DB_AUTH_DENIED,  /* the server refused the user or the password */
    DB_UNKNOWN_DB,   /* the user got in but the database does not exist */
    DB_TIMEOUT,      /* no answer within the connect timeout */
    DB_QUERY,        /* connected, but SELECT 1 failed */
    DB_STARTING,     /* the server is starting up (or shutting down, or recovering) */
    DB_TOO_MANY,     /* the server has no connection slot left */
    DB_OTHER,
};

/* "refused", "no route", "handshake", "auth denied", ... */
const char *db_reason_name(enum db_reason reason);
/* Will waiting fix it? False for auth denied and unknown database. */
bool db_reason_transient(enum db_reason reason);

struct db_conn;

/*
 * Connect, authenticate and select the database; `timeout_ms` bounds the
 * connect (rounded up to whole seconds by the client library, at least 1 s;
 * libpq makes that at least 2 s) and, on MySQL, after it each read and write
 * on the connection. A name lookup the resolver could not answer for now
 * (DB_LOOKUP_LATER) is tried again for up to 5 s (timeout_ms if less), and
 * at least once: a container's DNS server can drop queries for a moment, as
 * Podman 4's aardvark-dns does while it reloads for each container that
 * joins the network, and a dropped query costs the resolver's whole timeout.
 * On failure *why (if non-NULL) classifies it and err carries the server's
 * message.
 */
int db_connect(struct db_conn **out, const struct db_url *url, unsigned timeout_ms,
               enum db_reason *why, struct ds_error *err);
void db_close(struct db_conn *conn);

/* Run a statement that returns no rows. */
int db_exec(struct db_conn *conn, const char *sql, struct ds_error *err);
/* Run a query and append the first column of each row (NULL as ""). */
int db_query_column(struct db_conn *conn, const char *sql, struct strvec *out,
                    struct ds_error *err);

/*
 * The rows of alembic_version (the applied heads), in table order.
 * *exists is false, and out left empty, when the table is missing.
 */
int db_alembic_versions(struct db_conn *conn, struct strvec *out, bool *exists,
                        struct ds_error *err);
/*
 * The same from the table `name` (NULL: alembic_version) in `schema` (NULL:
 * where an unqualified name goes: MySQL's current database, PostgreSQL's
 * search_path), as env.py's version_table and version_table_schema say.
 */
int db_alembic_versions_at(struct db_conn *conn, const char *name, const char *schema,
                           struct strvec *out, bool *exists, struct ds_error *err);
/* The names of the base tables of the current database. */
int db_tables(struct db_conn *conn, struct strvec *out, struct ds_error *err);

/* ---- readiness (src/db/wait.c) ----------------------------------------- */

struct db_wait_result {
    unsigned attempts;
    unsigned elapsed_ms;
    enum db_reason last; /* DB_OK when ready */
    char *last_message;  /* the last failure as db_connect() words it (with the
                            client's message), or NULL */
};

/*
 * Poll until the app user authenticates and `SELECT 1` succeeds in the
 * database: every 100 ms, connect timeout 1 s, until timeout_ms (0: one
 * attempt). Returns DS_OK when ready; DS_ETIMEDOUT with the last reason;
 * DS_EPERM / DS_ENOTFOUND at once for auth denied / unknown database over
 * TCP (the init servers of the mysql and postgres images do not listen on
 * TCP, so a TCP answer comes from the real server; over the socket those
 * mean "not yet" for 2 s); DS_EINTR when *cancel becomes non-zero.
 */
int db_wait(const struct db_url *url, unsigned timeout_ms, const volatile sig_atomic_t *cancel,
            struct db_wait_result *res, struct ds_error *err);
void db_wait_result_release(struct db_wait_result *res);

#endif
