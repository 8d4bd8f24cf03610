/* What the files of src/db share and nothing else sees. */
#ifndef DEVSTACK_DB_INTERNAL_H
#define DEVSTACK_DB_INTERNAL_H

#include <mysql.h>

#include "db/db.h"
#include "util/buf.h"

/* The connection's handle (borrowed) and its 'user'@'host:port' for messages. */
MYSQL *db_conn_mysql(struct db_conn *conn);
const char *db_conn_where(const struct db_conn *conn);
/* err from the connection's last error: "query on ... failed: <server message> (error N)". */
int db_conn_error(struct db_conn *conn, struct ds_error *err);

/* A `quoted` identifier (backquotes doubled inside), appended to b. */
void db_add_ident(struct buf *b, const char *name);

#endif
