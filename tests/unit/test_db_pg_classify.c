/*
 * Unit tests for db_pg_classify() (src/db/conn_pg.c): why a PostgreSQL
 * connection failed, from a SQLSTATE or, for a failed connect (libpq 15
 * keeps no SQLSTATE for one), from libpq's message as PQerrorMessage() gives
 * it. The messages are libpq 15's and PostgreSQL 15's, word for word.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/testlib.h"
#include "db/db.h"
#include "db/internal.h"
#include "util/alloc.h"
#include "util/banned.h"

static const struct {
    const char *name;
    const char *sqlstate;
    const char *message;
    bool needs_password;
    enum db_reason want;
} cases[] = {
        /* SQLSTATEs, as a query's result carries them */
        {"28P01", "28P01", NULL, false, DB_AUTH_DENIED},
        {"28000", "28000", NULL, false, DB_AUTH_DENIED},
        {"class 28", "28999", NULL, false, DB_AUTH_DENIED},
        {"3D000", "3D000", NULL, false, DB_UNKNOWN_DB},
        {"57P03", "57P03", NULL, false, DB_STARTING},
        {"57P01", "57P01", NULL, false, DB_STARTING},
        {"53300", "53300", NULL, false, DB_TOO_MANY},
        {"08001", "08001", NULL, false, DB_REFUSED},
        {"08006", "08006", NULL, false, DB_HANDSHAKE},
        {"class 08", "08P01", NULL, false, DB_HANDSHAKE},
        {"other sqlstate", "42P01", "password authentication failed", false, DB_OTHER},
        /* libpq's messages of a failed connect */
        {"wrong password", "",
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password "
         "authentication failed for user \"app\"\n",
         false, DB_AUTH_DENIED},
        {"no such role (trust)", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  role \"nobody\" does "
         "not exist\n",
         false, DB_AUTH_DENIED},
        {"no pg_hba entry", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  no pg_hba.conf entry "
         "for host \"127.0.0.1\", user \"app\", database \"app\", no encryption\n",
         false, DB_AUTH_DENIED},
        {"no login", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  role \"app\" is not "
         "permitted to log in\n",
         false, DB_AUTH_DENIED},
        {"no password given", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: fe_sendauth: no password "
         "supplied\n",
         true, DB_AUTH_DENIED},
        {"needs a password, other text", NULL, "something libpq says", true, DB_AUTH_DENIED},
        {"unknown database", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"nope\" "
         "does not exist\n",
         false, DB_UNKNOWN_DB},
        {"database named like a role message", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"role \"x\" "
         "does not exist\n",
         false, DB_UNKNOWN_DB},
        {"starting up", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  the database system "
         "is starting up\n",
         false, DB_STARTING},
        {"not yet accepting", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  the database system "
         "is not yet accepting connections\nDETAIL:  Consistent recovery state has not been yet "
         "reached.\n",
         false, DB_STARTING},
        {"shutting down", NULL,
         "connection to server on socket \"/tmp/x/.s.PGSQL.5432\" failed: FATAL:  the database "
         "system is shutting down\n",
         false, DB_STARTING},
        {"too many clients", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  sorry, too many "
         "clients already\n",
         false, DB_TOO_MANY},
        {"role's limit", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  too many connections "
         "for role \"app\"\n",
         false, DB_TOO_MANY},
        {"reserved slots", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  remaining connection "
         "slots are reserved for non-replication superuser connections\n",
         false, DB_TOO_MANY},
        {"refused", NULL,
         "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the "
         "server running on that host and accepting TCP/IP connections?\n",
         false, DB_REFUSED},
        {"refused on both addresses", NULL,
         "connection to server at \"localhost\" (::1), port 1 failed: Connection refused\n\tIs "
         "the server running on that host and accepting TCP/IP connections?\nconnection to "
         "server at \"localhost\" (127.0.0.1), port 1 failed: Connection refused\n\tIs the "
         "server running on that host and accepting TCP/IP connections?\n",
         false, DB_REFUSED},
        {"no socket file", NULL,
         "connection to server on socket \"/tmp/x/.s.PGSQL.5432\" failed: No such file or "
         "directory\n\tIs the server running locally and accepting connections on that "
         "socket?\n",
         false, DB_REFUSED},
        {"unknown host", NULL,
         "could not translate host name \"db.invalid\" to address: Name or service not known\n",
         false, DB_NO_ROUTE},
        {"name lookup failed for now", NULL,
         "could not translate host name \"db\" to address: Temporary failure in name "
         "resolution\n",
         false, DB_LOOKUP_LATER},
        {"no route", NULL,
         "connection to server at \"10.1.2.3\", port 5432 failed: No route to host\n\tIs the "
         "server running on that host and accepting TCP/IP connections?\n",
         false, DB_NO_ROUTE},
        {"network unreachable", NULL,
         "connection to server at \"10.1.2.3\", port 5432 failed: Network is unreachable\n", false,
         DB_NO_ROUTE},
        {"timeout", NULL,
         "connection to server at \"10.1.2.3\", port 5432 failed: timeout expired\n", false,
         DB_TIMEOUT},
        {"server hung up", NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: server closed the connection "
         "unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or "
         "while processing the request.\n",
         false, DB_HANDSHAKE},
        {"not a postgres server", NULL,
         "connection to server at \"127.0.0.1\", port 3306 failed: received invalid response to "
         "SSL negotiation: J\n",
         false, DB_HANDSHAKE},
        {"empty", NULL, "", false, DB_OTHER},
        {"null", NULL, NULL, false, DB_OTHER},
        {"unknown text", NULL, "connection to server failed: FATAL:  something new\n", false,
         DB_OTHER},
};

static void test_classify(void **state)
{
    int failures = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        enum db_reason got =
                db_pg_classify(cases[i].sqlstate, cases[i].message, cases[i].needs_password);

        if (got != cases[i].want) {
            fprintf(stderr, "%s: got '%s', want '%s'\n", cases[i].name, db_reason_name(got),
                    db_reason_name(cases[i].want));
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_new_reasons(void **state)
{
    (void)state;
    assert_string_equal(db_reason_name(DB_STARTING), "starting up");
    assert_string_equal(db_reason_name(DB_TOO_MANY), "too many connections");
    /* waiting fixes both */
    assert_true(db_reason_transient(DB_STARTING));
    assert_true(db_reason_transient(DB_TOO_MANY));
    assert_false(db_reason_transient(DB_AUTH_DENIED));
    assert_false(db_reason_transient(DB_UNKNOWN_DB));
}

/* A URL whose target is bad is refused before libpq sees it, without a crash. */
static void test_bad_target(void **state)
{
    struct db_url url = {0};
    struct db_conn *conn = NULL;
    struct ds_error err = DS_ERROR_INIT;
    enum db_reason why = DB_OK;

    (void)state;
    assert_int_equal(db_url_parse(&url, "postgresql://u:pw@h/db?port=1&port=2", &err), 0);
    assert_int_equal(db_connect(&conn, &url, 1000, &why, &err), DS_EINVAL);
    assert_null(conn);
    assert_int_equal(why, DB_OTHER);
    assert_non_null(err.msg);
    assert_null(strstr(err.msg, "pw"));
    ds_error_release(&err);
    db_url_release(&url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_classify),
            cmocka_unit_test(test_new_reasons),
            cmocka_unit_test(test_bad_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
