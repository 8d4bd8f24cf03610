/* What the files of src/db share and nothing else sees. */
#ifndef DEVSTACK_DB_INTERNAL_H
#define DEVSTACK_DB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <mysql.h>

#include "db/db.h"
#include "util/buf.h"
#include "util/strvec.h"

/* One connection, of the backend its URL's engine names (conn.c dispatches). */
struct db_conn {
    enum db_engine engine;
    MYSQL *mysql; /* DB_MYSQL: owned */
    PGconn *pg;   /* DB_POSTGRES: owned */
    char *where;  /* 'user'@'host:port', for messages */
};

/* What a server's image does with the user and the database: the hints of a failed connect. */
struct db_image_hints {
    const char *auth;       /* access denied */
    const char *unknown_db; /* unknown database */
};

/*
 * A failed connect to `where`, as "cannot connect to WHERE: PHRASE (MSG)"
 * (the reason's phrase, the client library's message) with the reason's
 * DS_E* status, which it returns, and the image's hint for the reason.
 */
int db_connect_failed(struct ds_error *err, const char *where, enum db_reason reason,
                      const char *msg, const struct db_image_hints *hints);

/*
 * The PostgreSQL backend (conn_pg.c), behind the functions of db.h. connect
 * fills conn (whose engine is set) and leaves it for db_close() on failure.
 */
int db_pg_connect(struct db_conn *conn, const struct db_url *url, unsigned timeout_ms,
                  enum db_reason *why, struct ds_error *err);
void db_pg_close(struct db_conn *conn);
int db_pg_error(struct db_conn *conn, struct ds_error *err);
int db_pg_exec(struct db_conn *conn, const char *sql, struct ds_error *err);
int db_pg_query_column(struct db_conn *conn, const char *sql, struct strvec *out,
                       struct ds_error *err);
int db_pg_alembic_versions(struct db_conn *conn, const char *name, const char *schema,
                           struct strvec *out, bool *exists, struct ds_error *err);
int db_pg_tables(struct db_conn *conn, struct strvec *out, struct ds_error *err);
/*
 * Why a PostgreSQL connection failed: from the SQLSTATE when there is one
 * (NULL or "" when not), else from libpq's message (libpq 15 keeps no
 * SQLSTATE for a failed connection), and needs_password
 * (PQconnectionNeedsPassword).
 */
enum db_reason db_pg_classify(const char *sqlstate, const char *message, bool needs_password);
/* Why a MySQL connection failed: from the client's error code and message. */
enum db_reason db_mysql_classify(unsigned code, const char *message);

/* The connection's MySQL handle (borrowed; NULL for PostgreSQL) and its 'user'@'host:port'. */
MYSQL *db_conn_mysql(struct db_conn *conn);
const char *db_conn_where(const struct db_conn *conn);
/* 0 for a MySQL connection; else DS_EUNSUPPORTED, err saying `what` needs MySQL for now. */
int db_conn_need_mysql(const struct db_conn *conn, const char *what, struct ds_error *err);
/* err from the connection's last error: "query on ... failed: <server message> (error N)". */
int db_conn_error(struct db_conn *conn, struct ds_error *err);

/*
 * Where a dump's text goes (sink.c): buffered writes to fd, or gzip at
 * `level` (0: 6) deflated in a thread of its own. add() and finish() return
 * -1 once a write failed; db_sink_error() is its errno (ECANCELED when the
 * sink was freed unfinished). finish() writes what is left (and the gzip
 * trailer); free() without finish() abandons the output.
 */
struct db_sink;
int db_sink_open(struct db_sink **out, int fd, bool gzip, int level);
int db_sink_add(struct db_sink *s, const char *data, size_t len);
int db_sink_finish(struct db_sink *s);
void db_sink_free(struct db_sink *s);
int db_sink_error(struct db_sink *s);
uint64_t db_sink_raw(const struct db_sink *s);     /* bytes added */
uint64_t db_sink_written(const struct db_sink *s); /* bytes written (compressed) */

/*
 * PostgreSQL's dumps, restores and census (dump_pg.c), behind db_dump_file(),
 * db_restore() and db_census(). db_pg_dump() writes the dump's text into sink.
 */
struct db_dump_options;
struct db_dump_stats;
struct db_restore_options;
struct db_restore_stats;
struct db_census;
int db_pg_dump(struct db_conn *conn, struct db_sink *sink, const struct db_dump_options *o,
               struct db_dump_stats *stats, struct ds_error *err);
int db_pg_restore(struct db_conn *conn, int fd, const struct db_restore_options *o,
                  struct db_restore_stats *stats, struct ds_error *err);
int db_pg_census(struct db_conn *conn, struct db_census *out, struct ds_error *err);
/*
 * The name of a database beside `base` ("app_restore_123"): base and
 * suffix within PostgreSQL's 63 bytes, base cut at a UTF-8 character
 * boundary when it must be. Caller frees.
 */
char *db_pg_side_name(const char *base, const char *suffix);
/*
 * Is `candidate` a database a restore of `base` made beside it and left
 * (killed before it finished): base's side name for "_restore_PID" (a
 * partial load; *replaced false) or "_replaced_PID" (the data the restore
 * swapped out; *replaced true)?
 */
bool db_pg_is_side_name(const char *base, const char *candidate, bool *replaced);

/* A `quoted` identifier (backquotes doubled inside), appended to b. */
void db_add_ident(struct buf *b, const char *name);

#endif
