/*
 * Where a compose project keeps its database and its Alembic scripts: the
 * service that runs MySQL or MariaDB (found by the image contract's
 * MYSQL_DATABASE / MARIADB_DATABASE), how the host reaches it (its published
 * port), and the service that runs Alembic (DATABASE_URL in its environment)
 * with its working directory on the host through a bind mount.
 */
#ifndef DEVSTACK_STACK_DBINFO_H
#define DEVSTACK_STACK_DBINFO_H

#include <stdbool.h>

#include "compose/compose.h"
#include "db/db.h"
#include "util/error.h"

struct stack_db_info {
    const struct compose_service *db; /* NULL: no database service */
    struct db_url url;                /* from the host; valid when have_url */
    bool have_url;
    char *no_url;                      /* why there is no URL from the host, or NULL */
    const struct compose_service *app; /* runs Alembic; NULL: none */
    char *app_dir;                     /* its working_dir on the host, or NULL */
};

/* Fill *info from the model; never fails on a project without a database. */
void stack_db_info(struct stack_db_info *info, const struct compose_project *p);
void stack_db_info_release(struct stack_db_info *info);

#endif
