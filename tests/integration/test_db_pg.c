/*
 * The database layer against a real PostgreSQL 15 (Debian's postgresql-15):
 * connecting over TCP and the Unix socket, classifying what goes wrong,
 * readiness, alembic_version and the table list, as test_db_conn.c does for
 * MariaDB. The program makes and starts its own cluster through
 * tests/lib/pg.sh (bash, fork + exec) on 127.0.0.1 and a free port, so it
 * runs the same way under `make integration`, `make asan` and `make
 * valgrind`; the server is stopped and its directory removed at the end.
 * Without postgresql-15 the group setup fails: these tests never skip.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "lib/dbtest.h"
#include "db/db.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/kvlist.h"
#include "util/banned.h"

#define WRONG_PASSWORD "wr0ng-Pw-4711"

static struct {
    char *dir;          /* the server's directory (pg.sh) */
    struct kvlist env;  /* PG_* from <dir>/env */
    struct db_url tcp;  /* the app user over TCP */
    struct db_url sock; /* the app user over the Unix socket */
    bool started;
} S;

static const char *env(const char *key)
{
    const char *v = kvlist_get(&S.env, key);

    if (!v)
        fail_msg("%s/env has no %s", S.dir, key);
    return v;
}

/* The log of tests/lib/pg.sh: beside the server's directory, which the postgres user owns. */
static char *helper_log(void)
{
    struct buf log = BUF_INIT;

    buf_addf(&log, "%s.log", S.dir);
    return buf_detach(&log, NULL);
}

static void print_helper_log(void)
{
    char *log = helper_log();

    test_db_print_log("pg.sh", log);
    free(log);
}

/* bash tests/lib/pg.sh CMD DIR [ARG]. Returns the exit status. */
static int pg_sh(const char *cmd, const char *arg)
{
    const char *args[] = {cmd, S.dir, arg, NULL};
    char *log = helper_log();
    int rc = test_db_helper("pg.sh", log, args);

    free(log);
    return rc;
}

static void load_env(void)
{
    struct buf path = BUF_INIT;

    buf_addf(&path, "%s/env", S.dir);
    test_db_load_env(&S.env, path.buf);
    buf_release(&path);
}

/* A copy of the TCP URL with another password, database or port. */
static void tcp_url_with(struct db_url *url, const char *password, const char *database,
                         unsigned port)
{
    test_db_url_with(url, &S.tcp, password, database, port);
}

static void assert_no_secret(const char *msg)
{
    if (!msg)
        return;
    if (strstr(msg, env("PG_PASSWORD")) || strstr(msg, WRONG_PASSWORD) || strstr(msg, "s3cr%40t"))
        fail_msg("a password in the message: %s", msg);
}

static int group_setup(void **state)
{
    (void)state;
    S.dir = test_mkdtemp();
    if (pg_sh("start", NULL) != 0) {
        print_helper_log();
        fprintf(stderr, "cannot start a PostgreSQL server for the tests; they need Debian's "
                        "postgresql-15 (apt-get install postgresql-15)\n");
        pg_sh("stop", NULL); /* whatever a half start left */
        test_rmtree(S.dir);
        return -1;
    }
    S.started = true;
    load_env();
    test_db_parse_url(&S.tcp, env("PG_URL"));
    test_db_parse_url(&S.sock, env("PG_SOCKET_URL"));
    return 0;
}

static int group_teardown(void **state)
{
    struct buf log = BUF_INIT;

    (void)state;
    if (S.started && pg_sh("stop", NULL) != 0)
        print_helper_log();
    test_rmtree(S.dir);
    buf_addf(&log, "%s.log", S.dir);
    unlink(log.buf);
    buf_release(&log);
    free(S.dir);
    kvlist_clear(&S.env);
    db_url_release(&S.tcp);
    db_url_release(&S.sock);
    return 0;
}

/* A port on 127.0.0.1 that nothing listens on (just closed). */
static unsigned free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        fail_msg("socket: %s", strerror(errno));
    close(fd);
    return ntohs(sa.sin_port);
}

/* connect to url expecting failure: the reason, the status, and no password in the message */
static void expect_failure(const struct db_url *url, enum db_reason want, int want_rc,
                           const char *in_message)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    enum db_reason why = DB_OK;
    int rc = db_connect(&conn, url, 2000, &why, &err);

    if (rc != want_rc || why != want)
        fail_msg("got %d '%s', want %d '%s': %s", rc, db_reason_name(why), want_rc,
                 db_reason_name(want), err.msg ? err.msg : "(no message)");
    assert_null(conn);
    assert_non_null(err.msg);
    assert_no_secret(err.msg);
    assert_no_secret(err.hint);
    assert_null(strchr(err.msg, '\n'));
    if (in_message && !strstr(err.msg, in_message))
        fail_msg("'%s' not in: %s", in_message, err.msg);
    ds_error_release(&err);
}

/* What the resolver says of `host`: DB_LOOKUP_LATER for EAI_AGAIN, else DB_NO_ROUTE. */
static enum db_reason resolver_says(const char *host)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, "5432", &hints, &res);

    if (rc == 0) {
        freeaddrinfo(res);
        fail_msg("%s resolves here", host);
    }
    return rc == EAI_AGAIN ? DB_LOOKUP_LATER : DB_NO_ROUTE;
}

static void test_connect(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    enum db_reason why = DB_OTHER;
    struct strvec rows = STRVEC_INIT;
    struct db_wait_result res = {0};

    (void)state;
    if (db_connect(&conn, &S.tcp, 2000, &why, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(why, DB_OK);
    /* as the app user, in the app database, in UTF-8, over TCP */
    if (db_query_column(conn,
                        "SELECT concat_ws(' ', current_user, current_database(), "
                        "current_setting('client_encoding'), inet_server_addr())",
                        &rows, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.v[0], "app app UTF8 127.0.0.1");
    strvec_clear(&rows);
    /* NULL reads as "" */
    if (db_query_column(conn, "SELECT NULL UNION ALL SELECT 'zoë'", &rows, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(rows.n, 2);
    assert_string_equal(rows.v[0], "");
    assert_string_equal(rows.v[1], "zoë");
    strvec_clear(&rows);
    /* a query error names its SQLSTATE and leaves out alone */
    assert_int_equal(db_query_column(conn, "SELECT * FROM nowhere", &rows, &err), DS_ENOTFOUND);
    /* the server's words on one line, without libpq's LINE and caret lines */
    assert_non_null(strstr(err.msg, "relation \"nowhere\" does not exist (SQLSTATE 42P01)"));
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(rows.n, 0);
    ds_error_release(&err);
    assert_int_equal(db_exec(conn, "SELEC 1", &err), DS_ERR);
    assert_non_null(strstr(err.msg, "42601"));
    ds_error_release(&err);
    db_close(conn);

    /* readiness over the same path */
    assert_int_equal(db_wait(&S.tcp, 10000, NULL, &res, &err), DS_OK);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(res.last, DB_OK);
    db_wait_result_release(&res);
}

static void test_unix_socket(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct strvec rows = STRVEC_INIT;

    (void)state;
    if (db_connect(&conn, &S.sock, 2000, NULL, &err) < 0)
        fail_msg("%s", err.msg);
    /* no server address: the socket */
    if (db_query_column(conn, "SELECT coalesce(host(inet_server_addr()), 'socket')", &rows, &err) <
        0)
        fail_msg("%s", err.msg);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.v[0], "socket");
    strvec_clear(&rows);
    db_close(conn);
}

static void test_wrong_password(void **state)
{
    struct db_url url = {0};
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    tcp_url_with(&url, WRONG_PASSWORD, NULL, 0);
    expect_failure(&url, DB_AUTH_DENIED, DS_EPERM, "password authentication failed");
    /* readiness gives up at once: waiting does not fix a password */
    assert_int_equal(db_wait(&url, 10000, NULL, &res, &err), DS_EPERM);
    assert_int_equal(res.attempts, 1);
    assert_no_secret(err.msg);
    assert_no_secret(res.last_message);
    ds_error_release(&err);
    db_wait_result_release(&res);
    db_url_release(&url);

    /* no password at all */
    tcp_url_with(&url, NULL, NULL, 0);
    free(url.password);
    url.password = NULL;
    expect_failure(&url, DB_AUTH_DENIED, DS_EPERM, NULL);
    db_url_release(&url);
}

/* over the socket the postgres image's init server may answer: "not yet" for 2 s */
static void test_wrong_password_over_socket_waits_2s(void **state)
{
    struct db_url url;
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    struct buf text = BUF_INIT;

    (void)state;
    db_url_render(&text, &S.sock, false);
    test_db_parse_url(&url, text.buf);
    free(url.password);
    url.password = xstrdup(WRONG_PASSWORD);
    assert_int_equal(db_wait(&url, 20000, NULL, &res, &err), DS_EPERM);
    assert_int_equal(res.last, DB_AUTH_DENIED);
    assert_true(res.attempts > 5);
    assert_true(res.elapsed_ms >= 2000);
    assert_true(res.elapsed_ms < 8000);
    assert_no_secret(err.msg);
    assert_no_secret(res.last_message);
    db_wait_result_release(&res);
    ds_error_release(&err);
    buf_release(&text);
    db_url_release(&url);
}

static void test_unknown_database(void **state)
{
    struct db_url url = {0};

    (void)state;
    tcp_url_with(&url, NULL, "nope", 0);
    expect_failure(&url, DB_UNKNOWN_DB, DS_ENOTFOUND, "\"nope\" does not exist");
    db_url_release(&url);
}

static void test_nothing_listening(void **state)
{
    struct db_url url = {0}, sock = {0};
    struct buf b = BUF_INIT;

    (void)state;
    tcp_url_with(&url, NULL, NULL, free_port());
    expect_failure(&url, DB_REFUSED, DS_EUNREACHABLE, "failed: Connection refused)");
    db_url_release(&url);

    /* a socket directory without a server */
    buf_addf(&b, "postgresql://app:%s@/app?host=%s/none", "s3cr%40t%3Apw%2Fx", S.dir);
    test_db_parse_url(&sock, b.buf);
    expect_failure(&sock, DB_REFUSED, DS_EUNREACHABLE, NULL);
    db_url_release(&sock);
    buf_release(&b);

    /*
     * A name nothing resolves: the resolver says it does not exist, or, in a
     * network namespace that cannot reach the machine's DNS server (the side
     * engines' tiers), that it has no answer for now. The reason is the one
     * the resolver gives.
     */
    test_db_parse_url(&url, "postgresql://app:pw@db.invalid/app");
    expect_failure(&url, resolver_says("db.invalid"), DS_EUNREACHABLE, "db.invalid");
    db_url_release(&url);
}

/*
 * A stand-in for a server that turns every connection away as PostgreSQL
 * does during start-up: it declines SSL and GSS encryption ('N') and answers
 * the startup packet with an ErrorResponse (FATAL, `sqlstate`, `message`).
 */
struct refuser {
    int fd, stop[2];
    const char *sqlstate, *message;
    pthread_t thread;
};

static bool read_full(int fd, void *p, size_t len)
{
    while (len) {
        ssize_t r = read(fd, p, len);

        if (r <= 0)
            return false;
        p = (char *)p + r;
        len -= (size_t)r;
    }
    return true;
}

static void refuse_one(const struct refuser *r, int c)
{
    unsigned char head[8];
    char body[1024];

    for (;;) {
        uint32_t len;

        if (!read_full(c, head, 4))
            return;
        len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
        if (len < 8 || len - 4 > sizeof(body) || !read_full(c, body, len - 4))
            return;
        /* SSLRequest 80877103, GSSENCRequest 80877104: not here */
        if (len == 8 && (unsigned char)body[0] == 0x04 && (unsigned char)body[1] == 0xd2 &&
            (unsigned char)body[2] == 0x16 &&
            ((unsigned char)body[3] == 0x2f || (unsigned char)body[3] == 0x30)) {
            if (write(c, "N", 1) != 1)
                return;
            continue;
        }
        break;
    }
    {
        struct buf e = BUF_INIT;
        uint32_t n;

        buf_addch(&e, 'E');
        buf_add(&e, "\0\0\0\0", 4);
        buf_addf(&e, "SFATAL%cVFATAL%cC%s%cM%s%c%c", 0, 0, r->sqlstate, 0, r->message, 0, 0);
        n = (uint32_t)e.len - 1;
        e.buf[1] = (char)(n >> 24);
        e.buf[2] = (char)(n >> 16);
        e.buf[3] = (char)(n >> 8);
        e.buf[4] = (char)n;
        if (write(c, e.buf, e.len) != (ssize_t)e.len)
            fprintf(stderr, "stand-in server: short write\n");
        buf_release(&e);
    }
}

static void *refuser_main(void *arg)
{
    struct refuser *r = arg;

    for (;;) {
        struct pollfd p[2] = {{.fd = r->fd, .events = POLLIN},
                              {.fd = r->stop[0], .events = POLLIN}};
        int c;

        if (poll(p, 2, -1) < 0 || p[1].revents)
            break;
        c = accept(r->fd, NULL, NULL);
        if (c < 0)
            continue;
        refuse_one(r, c);
        close(c);
    }
    return NULL;
}

/* A listening socket on 127.0.0.1; *port gets its port. */
static int listen_socket(unsigned *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        fail_msg("socket: %s", strerror(errno));
    *port = ntohs(sa.sin_port);
    return fd;
}

/* a server turning connections away with sqlstate/message: a transient reason, waited out */
static void expect_turned_away(const char *sqlstate, const char *message, enum db_reason want)
{
    struct refuser r = {.sqlstate = sqlstate, .message = message};
    struct db_url url = {0};
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    unsigned port;

    r.fd = listen_socket(&port);
    if (pipe(r.stop) < 0 || pthread_create(&r.thread, NULL, refuser_main, &r) != 0)
        fail_msg("cannot start the stand-in server");
    tcp_url_with(&url, NULL, NULL, port);
    expect_failure(&url, want, want == DB_STARTING ? DS_EUNREACHABLE : DS_ECONFLICT, message);
    assert_true(db_reason_transient(want));
    /* readiness keeps polling */
    assert_int_equal(db_wait(&url, 400, NULL, &res, &err), DS_ETIMEDOUT);
    assert_int_equal(res.last, want);
    assert_true(res.attempts >= 2);
    assert_no_secret(res.last_message);
    db_wait_result_release(&res);
    ds_error_release(&err);
    if (write(r.stop[1], "x", 1) != 1 || pthread_join(r.thread, NULL) != 0)
        fail_msg("cannot stop the stand-in server");
    close(r.stop[0]);
    close(r.stop[1]);
    close(r.fd);
    db_url_release(&url);
}

static void test_starting_up(void **state)
{
    (void)state;
    expect_turned_away("57P03", "the database system is starting up", DB_STARTING);
}

static void test_too_many_connections(void **state)
{
    (void)state;
    expect_turned_away("53300", "sorry, too many clients already", DB_TOO_MANY);
}

static void sql(const char *statement)
{
    if (pg_sh("sql", statement) != 0) {
        print_helper_log();
        fail_msg("pg.sh sql failed: %s", statement);
    }
}

/* the real server's limit: a role allowed one connection, which is taken */
static void test_role_connection_limit(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *held = NULL;

    (void)state;
    sql("ALTER ROLE app CONNECTION LIMIT 1");
    if (db_connect(&held, &S.tcp, 2000, NULL, &err) < 0)
        fail_msg("%s", err.msg);
    expect_failure(&S.tcp, DB_TOO_MANY, DS_ECONFLICT, "too many connections for role");
    db_close(held);
    sql("ALTER ROLE app CONNECTION LIMIT -1");
}

static void test_alembic_versions(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct strvec v = STRVEC_INIT;
    bool exists = true;

    (void)state;
    if (db_connect(&conn, &S.tcp, 2000, NULL, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_alembic_versions(conn, &v, &exists, &err), 0);
    assert_false(exists);
    assert_int_equal(v.n, 0);
    assert_null(err.msg);

    /* as Alembic creates it on PostgreSQL */
    if (db_exec(conn,
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
                &err) < 0 ||
        db_exec(conn, "INSERT INTO alembic_version VALUES ('ae1027a6acf')", &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_alembic_versions(conn, &v, &exists, &err), 0);
    assert_true(exists);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.v[0], "ae1027a6acf");
    strvec_clear(&v);

    /* two heads */
    if (db_exec(conn, "INSERT INTO alembic_version VALUES ('27c6a30d7c24')", &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_alembic_versions(conn, &v, &exists, &err), 0);
    assert_true(exists);
    assert_int_equal(v.n, 2);
    assert_true((!strcmp(v.v[0], "ae1027a6acf") && !strcmp(v.v[1], "27c6a30d7c24")) ||
                (!strcmp(v.v[1], "ae1027a6acf") && !strcmp(v.v[0], "27c6a30d7c24")));
    strvec_clear(&v);

    /* an empty table exists, with no versions */
    if (db_exec(conn, "DELETE FROM alembic_version", &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_alembic_versions(conn, &v, &exists, &err), 0);
    assert_true(exists);
    assert_int_equal(v.n, 0);

    /* a failed query leaves the session usable (no transaction left aborted) */
    if (db_exec(conn, "DROP TABLE alembic_version", &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_alembic_versions(conn, &v, &exists, &err), 0);
    assert_false(exists);
    assert_int_equal(db_exec(conn, "SELECT 1", &err), 0);
    db_close(conn);
}

static void test_tables(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct strvec v = STRVEC_INIT;

    (void)state;
    if (db_connect(&conn, &S.tcp, 2000, NULL, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_tables(conn, &v, &err), 0);
    assert_int_equal(v.n, 0);
    if (db_exec(conn, "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(20))", &err) < 0 ||
        db_exec(conn, "CREATE TABLE \"Accounts\" (id INT PRIMARY KEY)", &err) < 0 ||
        db_exec(conn, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)", &err) <
                0 ||
        db_exec(conn, "CREATE VIEW user_names AS SELECT name FROM users", &err) < 0 ||
        db_exec(conn, "CREATE SCHEMA other", &err) < 0 ||
        db_exec(conn, "CREATE TABLE other.elsewhere (id INT)", &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_tables(conn, &v, &err), 0);
    /* the current schema's base tables, by bytes: not the view, not the other schema */
    assert_int_equal(v.n, 3);
    assert_string_equal(v.v[0], "Accounts");
    assert_string_equal(v.v[1], "alembic_version");
    assert_string_equal(v.v[2], "users");
    strvec_clear(&v);
    if (db_exec(conn,
                "DROP VIEW user_names; DROP TABLE users, \"Accounts\", alembic_version; "
                "DROP SCHEMA other CASCADE",
                &err) < 0)
        fail_msg("%s", err.msg);
    db_close(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_connect),
            cmocka_unit_test(test_unix_socket),
            cmocka_unit_test(test_wrong_password),
            cmocka_unit_test(test_wrong_password_over_socket_waits_2s),
            cmocka_unit_test(test_unknown_database),
            cmocka_unit_test(test_nothing_listening),
            cmocka_unit_test(test_starting_up),
            cmocka_unit_test(test_too_many_connections),
            cmocka_unit_test(test_role_connection_limit),
            cmocka_unit_test(test_alembic_versions),
            cmocka_unit_test(test_tables),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
