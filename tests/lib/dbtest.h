/*
 * What the C tests against a real database server share: running the shell
 * helper that makes the server (tests/lib/mariadb.sh, tests/lib/pg.sh), the
 * KEY=VALUE file it writes, and URLs. Include after lib/testlib.h.
 */
#ifndef DEVSTACK_DBTEST_H
#define DEVSTACK_DBTEST_H

#include "db/db.h"
#include "util/kvlist.h"

/*
 * bash tests/lib/SCRIPT ARGS... (a NULL-terminated list; stops at the first
 * NULL), standard input /dev/null, its output appended to `log`. Returns its
 * exit status, -1 when it did not exit.
 */
int test_db_helper(const char *script, const char *log, const char *const *args);
/* The helper's log, on standard error under a line naming it (nothing when there is none). */
void test_db_print_log(const char *script, const char *log);
/* KEY=VALUE lines of `path` into *env (cleared first); fails the test when unreadable. */
void test_db_load_env(struct kvlist *env, const char *path);
/* Parse `text` into *url; fails the test when it does not parse. */
void test_db_parse_url(struct db_url *url, const char *text);
/* A copy of `base` with another password, database or port (NULL, 0: base's). */
void test_db_url_with(struct db_url *url, const struct db_url *base, const char *password,
                      const char *database, unsigned port);

#endif
