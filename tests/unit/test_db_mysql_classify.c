/*
 * Unit tests for db_mysql_classify() (src/db/conn.c): why a MySQL or MariaDB
 * connection failed, from the client library's error code and message. The
 * messages are MariaDB Connector/C 3.3's (Debian's libmysqlclient), word for
 * word.
 */
#include <stdio.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "lib/testlib.h"
#include "db/db.h"
#include "db/internal.h"
#include "util/alloc.h"
#include "util/banned.h"

static const struct {
    const char *name;
    unsigned code;
    const char *message;
    enum db_reason want;
} cases[] = {
        {"no error", 0, "", DB_OK},
        {"access denied", ER_ACCESS_DENIED_ERROR,
         "Access denied for user 'app'@'172.18.0.3' (using password: YES)", DB_AUTH_DENIED},
        {"unknown database", ER_BAD_DB_ERROR, "Unknown database 'app'", DB_UNKNOWN_DB},
        {"refused", CR_CONN_HOST_ERROR, "Can't connect to server on '127.0.0.1' (111)", DB_REFUSED},
        {"refused, asynchronous connect", CR_CONN_HOST_ERROR,
         "Can't connect to server on '127.0.0.1' (115)", DB_REFUSED},
        {"no socket file", CR_CONNECTION_ERROR,
         "Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)", DB_REFUSED},
        {"host unreachable", CR_CONN_HOST_ERROR, "Can't connect to server on '10.1.2.3' (113)",
         DB_NO_ROUTE},
        {"connect timed out", CR_CONN_HOST_ERROR, "Can't connect to server on '10.1.2.3' (110)",
         DB_TIMEOUT},
        /* getaddrinfo()'s error last: EAI_NONAME (-2) is final, EAI_AGAIN (-3) is for now */
        {"unknown host", CR_UNKNOWN_HOST, "Unknown server host 'db.invalid' (-2)", DB_NO_ROUTE},
        {"name lookup failed for now", CR_UNKNOWN_HOST, "Unknown server host 'db' (-3)",
         DB_LOOKUP_LATER},
        {"unknown host, other resolver error", CR_UNKNOWN_HOST, "Unknown server host 'db' (-5)",
         DB_NO_ROUTE},
        {"unknown host, no number", CR_UNKNOWN_HOST, "Unknown server host 'db'", DB_NO_ROUTE},
        {"a -3 elsewhere", CR_UNKNOWN_HOST, "Unknown server host 'db-3' (-2)", DB_NO_ROUTE},
        {"starting up", ER_SERVER_SHUTDOWN, "Server shutdown in progress", DB_STARTING},
        {"too many", ER_CON_COUNT_ERROR, "Too many connections", DB_TOO_MANY},
        {"server lost", CR_SERVER_LOST,
         "Lost connection to server at 'handshake: reading "
         "initial communication packet', system error: 104",
         DB_HANDSHAKE},
};

static void test_classify(void **state)
{
    int failures = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        enum db_reason got = db_mysql_classify(cases[i].code, cases[i].message);

        if (got != cases[i].want) {
            fprintf(stderr, "%s: got '%s', want '%s'\n", cases[i].name, db_reason_name(got),
                    db_reason_name(cases[i].want));
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Waiting fixes a lookup the resolver could not answer for now; it reads as such. */
static void test_lookup_later(void **state)
{
    (void)state;
    assert_true(db_reason_transient(DB_LOOKUP_LATER));
    assert_string_equal(db_reason_name(DB_LOOKUP_LATER), "name lookup failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_classify),
            cmocka_unit_test(test_lookup_later),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
