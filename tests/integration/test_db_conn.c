/*
 * The database layer against a real MariaDB server (Debian's mariadb-server):
 * connecting, classifying what goes wrong, readiness, TLS, alembic_version
 * and the table list; and MySQL 8's caching_sha2_password over plain TCP
 * against a stand-in for that part of the protocol. The program starts its
 * own server through tests/lib/mariadb.sh (bash, fork + exec) on 127.0.0.1
 * and a free port, so it runs the same way under `make integration`,
 * `make asan` and `make valgrind`; the server is stopped and its directory
 * removed at the end. Without mariadbd the group setup fails: these tests
 * never skip.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "lib/testlib.h"
#include "lib/dbtest.h"
#include "db/db.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/kvlist.h"
#include "util/banned.h"

#define WRONG_PASSWORD "wr0ng-Pw-4711"

static struct {
    char *dir;          /* the server's directory (mariadb.sh) */
    struct kvlist env;  /* MARIADB_* from <dir>/env */
    struct db_url tcp;  /* the app user over TCP */
    struct db_url sock; /* the app user over the Unix socket */
    bool started;
} S;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *env(const char *key)
{
    const char *v = kvlist_get(&S.env, key);

    if (!v)
        fail_msg("%s/env has no %s", S.dir, key);
    return v;
}

static void print_helper_log(void)
{
    struct buf log = BUF_INIT;

    buf_addf(&log, "%s/helper.log", S.dir);
    test_db_print_log("mariadb.sh", log.buf);
    buf_release(&log);
}

/* bash tests/lib/mariadb.sh CMD DIR [ARG...]: output into DIR/helper.log. Returns the exit status.
 */
static int mariadb_sh(const char *cmd, const char *arg1, const char *arg2)
{
    const char *args[] = {cmd, S.dir, arg1, arg2, NULL};
    struct buf log = BUF_INIT;
    int rc;

    buf_addf(&log, "%s/helper.log", S.dir);
    rc = test_db_helper("mariadb.sh", log.buf, args);
    buf_release(&log);
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

static void sql(const char *statements)
{
    if (mariadb_sh("sql", statements, NULL) != 0) {
        print_helper_log();
        fail_msg("mariadb.sh sql failed: %s", statements);
    }
}

static void assert_no_secret(const char *msg)
{
    if (!msg)
        return;
    if (strstr(msg, env("MARIADB_PASSWORD")) || strstr(msg, WRONG_PASSWORD) ||
        strstr(msg, env("MARIADB_ROOT_PASSWORD")))
        fail_msg("a password in the message: %s", msg);
}

static int group_setup(void **state)
{
    (void)state;
    S.dir = test_mkdtemp();
    if (mariadb_sh("start", NULL, NULL) != 0) {
        print_helper_log();
        fprintf(stderr, "cannot start a MariaDB server for the tests; they need Debian's "
                        "mariadb-server (apt-get install mariadb-server)\n");
        mariadb_sh("stop", NULL, NULL); /* whatever a half start left */
        test_rmtree(S.dir);
        return -1;
    }
    S.started = true;
    load_env();
    test_db_parse_url(&S.tcp, env("MARIADB_URL"));
    test_db_parse_url(&S.sock, env("MARIADB_SOCKET_URL"));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (S.started && mariadb_sh("stop", NULL, NULL) != 0)
        print_helper_log();
    test_rmtree(S.dir);
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

static void test_ready_at_once(void **state)
{
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    enum db_reason why = DB_OTHER;
    struct strvec rows = STRVEC_INIT;

    (void)state;
    assert_int_equal(db_wait(&S.tcp, 10000, NULL, &res, &err), DS_OK);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(res.last, DB_OK);
    assert_null(res.last_message);
    assert_null(err.msg);
    db_wait_result_release(&res);

    if (db_connect(&conn, &S.tcp, 2000, &why, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(why, DB_OK);
    /* as the app user, in the app database, in utf8mb4 */
    if (db_query_column(conn,
                        "SELECT CONCAT_WS(' ', @@session.character_set_client, DATABASE(), "
                        "CURRENT_USER())",
                        &rows, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.v[0], "utf8mb4 app app@%");
    strvec_clear(&rows);
    db_close(conn);
}

/* The client's host as the server sees it: "127.0.0.1:<port>" over TCP, "localhost" over the
 * socket. */
static char *peer_host(const struct db_url *url)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct strvec rows = STRVEC_INIT;
    char *host;

    if (db_connect(&conn, url, 2000, NULL, &err) < 0 ||
        db_query_column(conn,
                        "SELECT host FROM information_schema.processlist "
                        "WHERE id = CONNECTION_ID()",
                        &rows, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(rows.n, 1);
    host = xstrdup(rows.v[0]);
    strvec_clear(&rows);
    db_close(conn);
    return host;
}

/* As PyMySQL does: "localhost" is TCP too; only unix_socket= takes the socket. */
static void test_localhost_is_tcp(void **state)
{
    struct db_url url;
    char *host;

    (void)state;
    host = peer_host(&S.tcp);
    assert_true(!strncmp(host, "127.0.0.1:", 10));
    free(host);
    tcp_url_with(&url, NULL, NULL, 0);
    free(url.host);
    url.host = xstrdup("localhost");
    host = peer_host(&url);
    assert_true(!strncmp(host, "127.0.0.1:", 10));
    free(host);
    db_url_release(&url);
}

static void test_unix_socket(void **state)
{
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    char *host;

    (void)state;
    assert_int_equal(db_wait(&S.sock, 10000, NULL, &res, &err), DS_OK);
    assert_int_equal(res.attempts, 1);
    db_wait_result_release(&res);
    host = peer_host(&S.sock);
    assert_string_equal(host, "localhost");
    free(host);
}

static void test_wrong_password_fails_fast(void **state)
{
    struct db_url url;
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    enum db_reason why = DB_OK;
    struct buf want = BUF_INIT;

    (void)state;
    tcp_url_with(&url, WRONG_PASSWORD, NULL, 0);
    assert_int_equal(db_connect(&conn, &url, 2000, &why, &err), DS_EPERM);
    assert_null(conn);
    assert_int_equal(why, DB_AUTH_DENIED);
    buf_addf(&want,
             "cannot connect to 'app'@'127.0.0.1:%s': access denied (Access denied for user "
             "'app'@'127.0.0.1' (using password: YES))",
             env("MARIADB_PORT"));
    assert_string_equal(err.msg, want.buf);
    assert_non_null(err.hint);
    assert_no_secret(err.msg);
    ds_error_release(&err);

    assert_int_equal(db_wait(&url, 20000, NULL, &res, &err), DS_EPERM);
    assert_int_equal(res.last, DB_AUTH_DENIED);
    assert_int_equal(res.attempts, 1);
    assert_true(res.elapsed_ms < 5000);
    assert_string_equal(err.msg, want.buf);
    assert_string_equal(res.last_message, want.buf);
    db_wait_result_release(&res);
    ds_error_release(&err);
    buf_release(&want);
    db_url_release(&url);
}

/* Over the socket the init server of the mysql image may answer: "denied" counts as "not yet" for 2
 * s. */
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
    db_wait_result_release(&res);
    ds_error_release(&err);
    buf_release(&text);
    db_url_release(&url);
}

static void test_missing_database_fails_fast(void **state)
{
    struct db_url url;
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    enum db_reason why = DB_OK;
    struct db_conn *conn = NULL;

    (void)state;
    /* a user who may see every database is told it does not exist ... */
    sql("CREATE USER IF NOT EXISTS 'wide'@'%' IDENTIFIED BY 'wide-pw'; "
        "GRANT SELECT ON *.* TO 'wide'@'%'");
    tcp_url_with(&url, "wide-pw", "nosuchdb", 0);
    free(url.user);
    url.user = xstrdup("wide");
    assert_int_equal(db_connect(&conn, &url, 2000, &why, &err), DS_ENOTFOUND);
    assert_int_equal(why, DB_UNKNOWN_DB);
    assert_non_null(strstr(err.msg, "unknown database (Unknown database 'nosuchdb')"));
    ds_error_release(&err);
    assert_int_equal(db_wait(&url, 20000, NULL, &res, &err), DS_ENOTFOUND);
    assert_int_equal(res.last, DB_UNKNOWN_DB);
    assert_int_equal(res.attempts, 1);
    assert_true(res.elapsed_ms < 5000);
    db_wait_result_release(&res);
    ds_error_release(&err);
    db_url_release(&url);

    /* ... the app user, who may see only its own, that access is denied */
    tcp_url_with(&url, NULL, "nosuchdb", 0);
    assert_int_equal(db_wait(&url, 20000, NULL, &res, &err), DS_EPERM);
    assert_int_equal(res.last, DB_AUTH_DENIED);
    assert_non_null(strstr(err.msg, "to database 'nosuchdb'"));
    assert_no_secret(err.msg);
    db_wait_result_release(&res);
    ds_error_release(&err);
    db_url_release(&url);
}

static void test_nothing_listening_times_out(void **state)
{
    struct db_url url;
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    enum db_reason why = DB_OK;
    struct db_conn *conn = NULL;
    uint64_t t0;

    (void)state;
    tcp_url_with(&url, NULL, NULL, free_port());
    assert_int_equal(db_connect(&conn, &url, 1000, &why, &err), DS_EUNREACHABLE);
    assert_int_equal(why, DB_REFUSED);
    assert_non_null(
            strstr(err.msg, ": connection refused (Can't connect to server on '127.0.0.1'"));
    ds_error_release(&err);

    t0 = now_ms();
    assert_int_equal(db_wait(&url, 700, NULL, &res, &err), DS_ETIMEDOUT);
    assert_int_equal(res.last, DB_REFUSED);
    assert_true(now_ms() - t0 >= 700);
    assert_true(res.elapsed_ms >= 700 && res.elapsed_ms < 3000);
    assert_true(res.attempts >= 4); /* every 100 ms */
    assert_non_null(strstr(err.msg, "the database was not ready within 700ms ("));
    assert_non_null(strstr(err.msg, "connection refused"));
    assert_non_null(res.last_message);
    assert_no_secret(err.msg);
    db_wait_result_release(&res);
    ds_error_release(&err);

    /* 0: one attempt */
    assert_int_equal(db_wait(&url, 0, NULL, &res, &err), DS_ETIMEDOUT);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(res.last, DB_REFUSED);
    db_wait_result_release(&res);
    ds_error_release(&err);

    /* nor over a socket file that is not there */
    db_url_release(&url);
    test_db_parse_url(&url, "mysql://app:pw@localhost/app?unix_socket=/nonexistent/mysqld.sock");
    assert_int_equal(db_connect(&conn, &url, 1000, &why, &err), DS_EUNREACHABLE);
    assert_int_equal(why, DB_REFUSED);
    ds_error_release(&err);
    db_url_release(&url);
}

struct closer {
    int fd, stop[2];
    pthread_t thread;
};

/* Accept every connection and close it at once. */
static void *closer_main(void *arg)
{
    struct closer *c = arg;
    struct pollfd p[2] = {{c->fd, POLLIN, 0}, {c->stop[0], POLLIN, 0}};

    while (poll(p, 2, -1) >= 0 && !(p[1].revents & POLLIN)) {
        int fd = accept(c->fd, NULL, NULL);

        if (fd >= 0)
            close(fd);
    }
    return NULL;
}

static void test_handshake_and_silence(void **state)
{
    struct closer c;
    struct db_url url;
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    enum db_reason why = DB_OK;
    struct db_conn *conn = NULL;
    unsigned port;
    uint64_t t0;
    int silent;

    (void)state;
    c.fd = listen_socket(&port);
    if (pipe(c.stop) < 0 || pthread_create(&c.thread, NULL, closer_main, &c) != 0)
        fail_msg("cannot start the closer");
    tcp_url_with(&url, NULL, NULL, port);
    assert_int_equal(db_connect(&conn, &url, 1000, &why, &err), DS_EPROTO);
    assert_int_equal(why, DB_HANDSHAKE);
    assert_non_null(strstr(err.msg, "handshake failed ("));
    ds_error_release(&err);
    assert_int_equal(db_wait(&url, 400, NULL, &res, &err), DS_ETIMEDOUT);
    assert_int_equal(res.last, DB_HANDSHAKE);
    assert_true(res.attempts >= 2);
    db_wait_result_release(&res);
    ds_error_release(&err);
    if (write(c.stop[1], "x", 1) != 1 || pthread_join(c.thread, NULL) != 0)
        fail_msg("cannot stop the closer");
    close(c.stop[0]);
    close(c.stop[1]);
    close(c.fd);
    db_url_release(&url);

    /* the kernel accepts for a listener that never speaks: the greeting times out */
    silent = listen_socket(&port);
    tcp_url_with(&url, NULL, NULL, port);
    t0 = now_ms();
    assert_int_equal(db_connect(&conn, &url, 1000, &why, &err), DS_ETIMEDOUT);
    assert_int_equal(why, DB_TIMEOUT);
    assert_true(now_ms() - t0 >= 900);
    assert_non_null(strstr(err.msg, "timed out ("));
    ds_error_release(&err);
    close(silent);
    db_url_release(&url);
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

    if (db_exec(conn,
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
                &err) < 0 ||
        db_exec(conn, "INSERT INTO alembic_version VALUES ('ae1027a6acf'), ('27c6a30d7c24')",
                &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_alembic_versions(conn, &v, &exists, &err), 0);
    assert_true(exists);
    assert_int_equal(v.n, 2);
    /* the primary key's order, as MySQL gives the rows back */
    assert_string_equal(v.v[0], "27c6a30d7c24");
    assert_string_equal(v.v[1], "ae1027a6acf");
    strvec_clear(&v);

    if (db_exec(conn, "DELETE FROM alembic_version", &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_alembic_versions(conn, &v, &exists, &err), 0);
    assert_true(exists);
    assert_int_equal(v.n, 0);

    if (db_exec(conn, "DROP TABLE alembic_version", &err) < 0)
        fail_msg("%s", err.msg);
    db_close(conn);
}

static void test_tables_and_queries(void **state)
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
        db_exec(conn, "CREATE TABLE Accounts (id INT PRIMARY KEY)", &err) < 0 ||
        db_exec(conn, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)", &err) <
                0 ||
        db_exec(conn, "CREATE VIEW user_names AS SELECT name FROM users", &err) < 0 ||
        db_exec(conn, "INSERT INTO users VALUES (1, 'ada'), (2, NULL), (3, 'zoë')", &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_tables(conn, &v, &err), 0);
    assert_int_equal(v.n, 3); /* not the view */
    assert_string_equal(v.v[0], "Accounts");
    assert_string_equal(v.v[1], "alembic_version");
    assert_string_equal(v.v[2], "users");
    strvec_clear(&v);

    /* appends; NULL reads as ""; utf8mb4 both ways */
    strvec_push(&v, "before");
    assert_int_equal(db_query_column(conn, "SELECT name FROM users ORDER BY id", &v, &err), 0);
    assert_int_equal(v.n, 4);
    assert_string_equal(v.v[0], "before");
    assert_string_equal(v.v[1], "ada");
    assert_string_equal(v.v[2], "");
    assert_string_equal(v.v[3], "zoë");
    strvec_clear(&v);

    /* errors leave out alone and say what the server said */
    strvec_push(&v, "kept");
    assert_int_equal(db_query_column(conn, "SELECT x FROM nosuchtable", &v, &err), DS_ENOTFOUND);
    assert_int_equal(v.n, 1);
    assert_non_null(strstr(err.msg, "Table 'app.nosuchtable' doesn't exist (error 1146)"));
    ds_error_release(&err);
    assert_int_equal(db_exec(conn, "CREATE DATABASE other", &err), DS_EPERM);
    ds_error_release(&err);
    assert_int_equal(db_exec(conn, "SELEKT 1", &err), DS_ERR);
    assert_non_null(strstr(err.msg, "error 1064"));
    ds_error_release(&err);
    /* a statement with rows through db_exec, and one without through db_query_column */
    assert_int_equal(db_exec(conn, "SELECT * FROM users", &err), 0);
    assert_int_equal(db_query_column(conn, "DO 1", &v, &err), 0);
    assert_int_equal(v.n, 1);
    strvec_clear(&v);

    if (db_exec(conn, "DROP VIEW user_names", &err) < 0 ||
        db_exec(conn, "DROP TABLE users, Accounts, alembic_version", &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(db_tables(conn, &v, &err), 0);
    assert_int_equal(v.n, 0);
    db_close(conn);
}

static volatile sig_atomic_t cancel_flag;

static void *cancel_later(void *arg)
{
    struct timespec ts = {0, 300 * 1000000L};

    (void)arg;
    nanosleep(&ts, NULL);
    cancel_flag = 1;
    return NULL;
}

static void test_cancel(void **state)
{
    struct db_url url;
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    pthread_t thread;
    uint64_t t0;

    (void)state;
    tcp_url_with(&url, NULL, NULL, free_port());
    cancel_flag = 1;
    assert_int_equal(db_wait(&url, 10000, &cancel_flag, &res, &err), DS_EINTR);
    assert_int_equal(res.attempts, 0);
    assert_string_equal(err.msg, "waiting for the database: interrupted");
    db_wait_result_release(&res);
    ds_error_release(&err);

    cancel_flag = 0;
    t0 = now_ms();
    if (pthread_create(&thread, NULL, cancel_later, NULL) != 0)
        fail_msg("pthread_create");
    assert_int_equal(db_wait(&url, 20000, &cancel_flag, &res, &err), DS_EINTR);
    pthread_join(thread, NULL);
    assert_true(now_ms() - t0 >= 300);
    assert_true(now_ms() - t0 < 3000);
    assert_true(res.attempts >= 1);
    assert_int_equal(res.last, DB_REFUSED);
    db_wait_result_release(&res);
    ds_error_release(&err);
    db_url_release(&url);
}

/* ---- TLS: only when the URL asks (ssl_*), and then required ---------------------------- */

static char *tls_cipher(const struct db_url *url, enum db_reason *why, struct ds_error *err)
{
    struct db_conn *conn = NULL;
    struct strvec rows = STRVEC_INIT;
    char *cipher;

    if (db_connect(&conn, url, 2000, why, err) < 0)
        return NULL;
    if (db_query_column(conn,
                        "SELECT variable_value FROM information_schema.session_status "
                        "WHERE variable_name = 'Ssl_cipher'",
                        &rows, err) < 0)
        fail_msg("%s", err->msg);
    assert_int_equal(rows.n, 1);
    cipher = xstrdup(rows.v[0]);
    strvec_clear(&rows);
    db_close(conn);
    return cipher;
}

static void url_with_query(struct db_url *url, const char *host, const char *key1,
                           const char *value1, const char *key2, const char *value2)
{
    tcp_url_with(url, NULL, NULL, 0);
    if (host) {
        free(url->host);
        url->host = xstrdup(host);
    }
    kvlist_add(&url->query, key1, value1);
    if (key2)
        kvlist_add(&url->query, key2, value2);
}

static void test_tls(void **state)
{
    struct db_url url;
    struct ds_error err = DS_ERROR_INIT;
    enum db_reason why = DB_OK;
    char *cipher;

    (void)state;
    /* a server without TLS: a URL that asks for it gets no connection */
    url_with_query(&url, NULL, "ssl_cipher", "ECDHE-RSA-AES128-GCM-SHA256", NULL, NULL);
    assert_null(tls_cipher(&url, &why, &err));
    assert_int_equal(err.code, DS_EPROTO);
    assert_int_equal(why, DB_HANDSHAKE);
    assert_non_null(
            strstr(err.msg, "the URL asks for TLS (ssl_*) but the server does not offer it"));
    ds_error_release(&err);
    db_url_release(&url);
    url_with_query(&url, NULL, "ssl_ca", "/etc/ssl/certs/ca-certificates.crt", NULL, NULL);
    assert_null(tls_cipher(&url, &why, &err));
    assert_int_equal(why, DB_HANDSHAKE);
    ds_error_release(&err);
    db_url_release(&url);

    if (mariadb_sh("restart", "--tls", NULL) != 0) {
        print_helper_log();
        fail_msg("mariadb.sh restart --tls failed");
    }
    load_env();

    /* no ssl_* parameter: plain TCP, as PyMySQL, even when the server offers TLS */
    cipher = tls_cipher(&S.tcp, &why, &err);
    assert_non_null(cipher);
    assert_string_equal(cipher, "");
    free(cipher);

    /* ssl_ca: TLS, the certificate checked against the CA and the host name */
    url_with_query(&url, NULL, "ssl_ca", env("MARIADB_TLS_CA"), NULL, NULL);
    cipher = tls_cipher(&url, &why, &err);
    if (!cipher)
        fail_msg("%s", err.msg);
    assert_true(*cipher);
    free(cipher);
    db_url_release(&url);

    /* the certificate names 127.0.0.1 only */
    url_with_query(&url, "localhost", "ssl_ca", env("MARIADB_TLS_CA"), NULL, NULL);
    assert_null(tls_cipher(&url, &why, &err));
    assert_int_equal(why, DB_HANDSHAKE);
    assert_non_null(strstr(err.msg, "TLS/SSL error"));
    ds_error_release(&err);
    db_url_release(&url);
    url_with_query(&url, "localhost", "ssl_ca", env("MARIADB_TLS_CA"), "ssl_check_hostname",
                   "false");
    cipher = tls_cipher(&url, &why, &err);
    if (!cipher)
        fail_msg("%s", err.msg);
    assert_true(*cipher);
    free(cipher);
    db_url_release(&url);

    /* another CA */
    url_with_query(&url, NULL, "ssl_ca", "/etc/ssl/certs/ca-certificates.crt", NULL, NULL);
    assert_null(tls_cipher(&url, &why, &err));
    assert_int_equal(why, DB_HANDSHAKE);
    assert_no_secret(err.msg);
    ds_error_release(&err);
    db_url_release(&url);
}

/* ---- caching_sha2_password over plain TCP --------------------------------------------------- */

/*
 * There is no MySQL 8 here, so a small stand-in speaks the part of its
 * protocol that matters: the greeting names caching_sha2_password, the fast
 * path is refused (0x01 0x04: "perform full authentication", as for a user not
 * in the server's cache), and over plain TCP the client must then ask for the
 * server's RSA public key (0x02) and send the password encrypted with it
 * (RSA-OAEP, XORed with the nonce). Then OK, or ERR 1045.
 */
struct sha2_server {
    int fd;
    EVP_PKEY *key;
    char *pem;
    const char *password;
    unsigned connections, key_requests, passed;
    pthread_t thread;
};

static bool read_full(int fd, unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);

        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool send_packet(int fd, unsigned seq, const void *data, size_t len)
{
    unsigned char h[4] = {len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, seq & 0xff};

    return write(fd, h, 4) == 4 && write(fd, data, len) == (ssize_t)len;
}

/* One packet into buf (at most size bytes); its length, or -1. */
static ssize_t recv_packet(int fd, unsigned *seq, unsigned char *buf, size_t size)
{
    unsigned char h[4];
    size_t len;

    if (!read_full(fd, h, 4))
        return -1;
    len = h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    *seq = h[3];
    if (len > size || !read_full(fd, buf, len))
        return -1;
    return (ssize_t)len;
}

static void sha2_session(struct sha2_server *s, int fd)
{
    unsigned char nonce[20], buf[4096], plain[512], greeting[128];
    uint32_t caps = 0x1 | 0x2 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x20000 | 0x80000 |
                    0x200000; /* no CLIENT_SSL */
    size_t n = 0, plain_len = sizeof(plain);
    EVP_PKEY_CTX *ctx = NULL;
    unsigned seq;
    ssize_t len;

    for (size_t i = 0; i < sizeof(nonce); i++)
        nonce[i] = (unsigned char)(1 + rand() % 250);
    greeting[n++] = 10;
    memcpy(greeting + n, "8.0.36-standin", 15);
    n += 15;
    memcpy(greeting + n, "\x07\0\0\0", 4);
    n += 4;
    memcpy(greeting + n, nonce, 8);
    n += 8;
    greeting[n++] = 0;
    greeting[n++] = caps & 0xff;
    greeting[n++] = (caps >> 8) & 0xff;
    greeting[n++] = 255; /* utf8mb4_0900_ai_ci */
    greeting[n++] = 2;   /* SERVER_STATUS_AUTOCOMMIT */
    greeting[n++] = 0;
    greeting[n++] = (caps >> 16) & 0xff;
    greeting[n++] = (caps >> 24) & 0xff;
    greeting[n++] = 21;
    memset(greeting + n, 0, 10);
    n += 10;
    memcpy(greeting + n, nonce + 8, 12);
    n += 12;
    greeting[n++] = 0;
    memcpy(greeting + n, "caching_sha2_password", 22);
    n += 22;

    if (!send_packet(fd, 0, greeting, n) || recv_packet(fd, &seq, buf, sizeof(buf)) < 0 ||
        !send_packet(fd, seq + 1, "\x01\x04", 2) ||
        (len = recv_packet(fd, &seq, buf, sizeof(buf))) < 0)
        return;
    if (len != 1 || buf[0] != 2)
        return; /* not a request for the key: the stand-in gives up, the client sees a hangup */
    s->key_requests++;
    buf[0] = 1;
    memcpy(buf + 1, s->pem, strlen(s->pem));
    if (!send_packet(fd, seq + 1, buf, 1 + strlen(s->pem)) ||
        (len = recv_packet(fd, &seq, buf, sizeof(buf))) < 0)
        return;
    ctx = EVP_PKEY_CTX_new(s->key, NULL);
    if (ctx && EVP_PKEY_decrypt_init(ctx) > 0 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
        EVP_PKEY_decrypt(ctx, plain, &plain_len, buf, (size_t)len) > 0) {
        for (size_t i = 0; i < plain_len; i++)
            plain[i] ^= nonce[i % sizeof(nonce)];
        if (plain_len == strlen(s->password) + 1 && !memcmp(plain, s->password, plain_len)) {
            s->passed++;
            send_packet(fd, seq + 1, "\x00\x00\x00\x02\x00\x00\x00", 7);
            recv_packet(fd, &seq, buf, sizeof(buf)); /* COM_QUIT */
            EVP_PKEY_CTX_free(ctx);
            return;
        }
    }
    EVP_PKEY_CTX_free(ctx);
    n = 0;
    memcpy(buf, "\xff\x15\x04#28000", 9);
    n = 9;
    memcpy(buf + n, "Access denied for user 'app'@'localhost' (using password: YES)", 62);
    send_packet(fd, seq + 1, buf, n + 62);
}

static void *sha2_main(void *arg)
{
    struct sha2_server *s = arg;
    int fd;

    while ((fd = accept(s->fd, NULL, NULL)) >= 0) {
        struct timeval tv = {5, 0};

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        s->connections++;
        sha2_session(s, fd);
        close(fd);
    }
    return NULL;
}

static void test_caching_sha2_over_plain_tcp(void **state)
{
    struct sha2_server s = {.password = "s3cr@t:pw"};
    struct db_url url;
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    enum db_reason why = DB_OTHER;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem;
    long pem_len;
    unsigned port;

    (void)state;
    s.key = EVP_RSA_gen(
            1024); /* MySQL's is 2048 bits; the protocol is the same, valgrind is faster */
    if (!s.key || !bio || PEM_write_bio_PUBKEY(bio, s.key) != 1)
        fail_msg("cannot make an RSA key");
    pem_len = BIO_get_mem_data(bio, &pem);
    s.pem = xstrndup(pem, (size_t)pem_len);
    BIO_free(bio);
    s.fd = listen_socket(&port);
    if (pthread_create(&s.thread, NULL, sha2_main, &s) != 0)
        fail_msg("pthread_create");

    test_db_parse_url(&url, "mysql+pymysql://app:s3cr%40t%3Apw@127.0.0.1:1/app");
    url.port = port;
    if (db_connect(&conn, &url, 5000, &why, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(why, DB_OK);
    db_close(conn);
    free(url.password);
    url.password = xstrdup(WRONG_PASSWORD);
    assert_int_equal(db_connect(&conn, &url, 5000, &why, &err), DS_EPERM);
    assert_int_equal(why, DB_AUTH_DENIED);
    ds_error_release(&err);

    shutdown(s.fd, SHUT_RDWR);
    pthread_join(s.thread, NULL);
    close(s.fd);
    assert_int_equal(s.connections, 2);
    assert_int_equal(s.key_requests, 2); /* the client asked for the key itself */
    assert_int_equal(s.passed, 1);
    EVP_PKEY_free(s.key);
    free(s.pem);
    db_url_release(&url);
}

/* Last: the server goes away and comes back 3 s later on the same port and datadir. */
static void test_server_starts_late(void **state)
{
    struct db_wait_result res = {0};
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct strvec v = STRVEC_INIT;
    uint64_t launched, ready;

    (void)state;
    if (db_connect(&conn, &S.tcp, 2000, NULL, &err) < 0 ||
        db_exec(conn, "CREATE TABLE kept (id INT)", &err) < 0)
        fail_msg("%s", err.msg);
    db_close(conn);
    if (mariadb_sh("restart", "--delay", "3") != 0) {
        print_helper_log();
        fail_msg("mariadb.sh restart --delay 3 failed");
    }
    launched = now_ms();
    load_env();

    assert_int_equal(db_wait(&S.tcp, 500, NULL, &res, &err), DS_ETIMEDOUT);
    assert_int_equal(res.last, DB_REFUSED);
    assert_true(res.attempts >= 3);
    db_wait_result_release(&res);
    ds_error_release(&err);

    assert_int_equal(db_wait(&S.tcp, 60000, NULL, &res, &err), DS_OK);
    ready = now_ms();
    assert_null(err.msg);
    assert_int_equal(res.last, DB_OK);
    assert_true(res.attempts > 10);
    if (ready - launched < 3000)
        fail_msg("ready %u ms after the launch, before the server started",
                 (unsigned)(ready - launched));
    if (ready - launched > 30000)
        fail_msg("ready only %u ms after the launch", (unsigned)(ready - launched));
    db_wait_result_release(&res);

    /* the same datadir */
    if (db_connect(&conn, &S.tcp, 2000, NULL, &err) < 0 || db_tables(conn, &v, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.v[0], "kept");
    strvec_clear(&v);
    if (db_exec(conn, "DROP TABLE kept", &err) < 0)
        fail_msg("%s", err.msg);
    db_close(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ready_at_once),
            cmocka_unit_test(test_localhost_is_tcp),
            cmocka_unit_test(test_unix_socket),
            cmocka_unit_test(test_wrong_password_fails_fast),
            cmocka_unit_test(test_wrong_password_over_socket_waits_2s),
            cmocka_unit_test(test_missing_database_fails_fast),
            cmocka_unit_test(test_nothing_listening_times_out),
            cmocka_unit_test(test_handshake_and_silence),
            cmocka_unit_test(test_alembic_versions),
            cmocka_unit_test(test_tables_and_queries),
            cmocka_unit_test(test_cancel),
            cmocka_unit_test(test_caching_sha2_over_plain_tcp),
            cmocka_unit_test(test_tls),
            cmocka_unit_test(test_server_starts_late),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
