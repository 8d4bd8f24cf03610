/* What the files of src/db share and nothing else sees. */
#ifndef DEVSTACK_DB_INTERNAL_H
#define DEVSTACK_DB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <mysql.h>

#include "db/db.h"
#include "util/buf.h"

/* The connection's handle (borrowed) and its 'user'@'host:port' for messages. */
MYSQL *db_conn_mysql(struct db_conn *conn);
const char *db_conn_where(const struct db_conn *conn);
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

/* A `quoted` identifier (backquotes doubled inside), appended to b. */
void db_add_ident(struct buf *b, const char *name);

#endif
