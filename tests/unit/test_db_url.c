/*
 * SQLAlchemy URLs for MySQL and MariaDB: every field as SQLAlchemy 1.4.46
 * (Debian bookworm) parses it, and the URL as str(url) and repr(url) render
 * it. The expected values were recorded with /usr/bin/python3 and
 * sqlalchemy.engine.make_url(); the query is listed in URL order as
 * urllib.parse.parse_qsl() gives it. Then the URLs devstack refuses, each with
 * its message, which never shows the password.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "db/db.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

static void assert_field(const char *what, const char *field, const char *got, const char *want)
{
    if (!want && !got)
        return;
    if (!want || !got || strcmp(want, got))
        fail_msg("%s: %s is %s%s%s, want %s%s%s", what, field, got ? "'" : "", got ? got : "NULL",
                 got ? "'" : "", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
}

static void test_parse_and_render(void **state)
{
    static const struct {
        const char *what, *url;
        const char *scheme, *user, *password, *host;
        unsigned port; /* 0: not in the URL */
        const char *database;
        const char *query; /* "key=value\n" per parameter, in URL order */
        const char *unix_socket;
        const char *str, *repr;
    } cases[] = {
            {"the usual", "mysql+pymysql://app:secret@127.0.0.1:3306/app", "mysql+pymysql", "app",
             "secret", "127.0.0.1", 3306, "app", "", NULL,
             "mysql+pymysql://app:secret@127.0.0.1:3306/app",
             "mysql+pymysql://app:***@127.0.0.1:3306/app"},
            {"with a charset", "mysql+pymysql://app:secret@db:3306/app?charset=utf8mb4",
             "mysql+pymysql", "app", "secret", "db", 3306, "app", "charset=utf8mb4\n", NULL,
             "mysql+pymysql://app:secret@db:3306/app?charset=utf8mb4",
             "mysql+pymysql://app:***@db:3306/app?charset=utf8mb4"},
            {"mariadb dialect", "mariadb+mariadbconnector://u:p@db/x", "mariadb+mariadbconnector",
             "u", "p", "db", 0, "x", "", NULL, "mariadb+mariadbconnector://u:p@db/x",
             "mariadb+mariadbconnector://u:***@db/x"},
            {"mariadb, no driver, no password", "mariadb://u@db", "mariadb", "u", NULL, "db", 0,
             NULL, "", NULL, "mariadb://u@db", "mariadb://u@db"},
            {"mysql, host only", "mysql://localhost", "mysql", NULL, NULL, "localhost", 0, NULL, "",
             NULL, "mysql://localhost", "mysql://localhost"},
            {"nothing at all", "mysql://", "mysql", NULL, NULL, NULL, 0, NULL, "", NULL, "mysql://",
             "mysql://"},
            {"an empty database", "mysql://db/", "mysql", NULL, NULL, "db", 0, "", "", NULL,
             "mysql://db/", "mysql://db/"},
            {"no host, a database", "mysql:///app", "mysql", NULL, NULL, NULL, 0, "app", "", NULL,
             "mysql:///app", "mysql:///app"},
            {"no host, a port", "mysql://:3307/app", "mysql", NULL, NULL, NULL, 3307, "app", "",
             NULL, "mysql://:3307/app", "mysql://:3307/app"},
            {"empty password", "mysql://u:@db/x", "mysql", "u", "", "db", 0, "x", "", NULL,
             "mysql://u:@db/x", "mysql://u:***@db/x"},
            {"empty user", "mysql://:pw@db/x", "mysql", "", "pw", "db", 0, "x", "", NULL,
             "mysql://:pw@db/x", "mysql://:***@db/x"},
            {"percent-encoded ':' '@' '/' in the password", "mysql://u:p%40ss%3Aw%2Frd@db:3307/x",
             "mysql", "u", "p@ss:w/rd", "db", 3307, "x", "", NULL,
             "mysql://u:p%40ss%3Aw%2Frd@db:3307/x", "mysql://u:***@db:3307/x"},
            {"a bare ':' in the password", "mysql://u:p:w@db/x", "mysql", "u", "p:w", "db", 0, "x",
             "", NULL, "mysql://u:p%3Aw@db/x", "mysql://u:***@db/x"},
            {"a bare '/' in the password", "mysql://u:p/w@db/x", "mysql", "u", "p/w", "db", 0, "x",
             "", NULL, "mysql://u:p%2Fw@db/x", "mysql://u:***@db/x"},
            {"a bare '?' in the password", "mysql://u:p?w@db/x?a=1", "mysql", "u", "p?w", "db", 0,
             "x", "a=1\n", NULL, "mysql://u:p?w@db/x?a=1", "mysql://u:***@db/x?a=1"},
            {"'@' in the user name without a password", "mysql://a@b@db/x", "mysql", "a@b", NULL,
             "db", 0, "x", "", NULL, "mysql://a%40b@db/x", "mysql://a%40b@db/x"},
            {"'@' in the user name with a password", "mysql://a@b:pw@db/x", "mysql", "a@b", "pw",
             "db", 0, "x", "", NULL, "mysql://a%40b:pw@db/x", "mysql://a%40b:***@db/x"},
            {"'%' sequences that are not escapes stay", "mysql://us%65r:p%zz%4@db/x", "mysql",
             "user", "p%zz%4", "db", 0, "x", "", NULL, "mysql://user:p%zz%4@db/x",
             "mysql://user:***@db/x"},
            {"'%25' is a percent sign", "mysql://u:100%25@db/x", "mysql", "u", "100%", "db", 0, "x",
             "", NULL, "mysql://u:100%@db/x", "mysql://u:***@db/x"},
            {"'+' is not a space in the password", "mysql://u:a+b@db/x", "mysql", "u", "a+b", "db",
             0, "x", "", NULL, "mysql://u:a+b@db/x", "mysql://u:***@db/x"},
            {"UTF-8, raw and encoded", "mysql://%C3%BC:p%C3%A4%E2%82%AC@h%C3%A9/d%C3%A9", "mysql",
             "ü", "pä€", "h%C3%A9", 0, "d%C3%A9", "", NULL, "mysql://ü:pä€@h%C3%A9/d%C3%A9",
             "mysql://ü:***@h%C3%A9/d%C3%A9"},
            {"UTF-8 as is", "mysql://ü:pä€@hé/dé", "mysql", "ü", "pä€", "hé", 0, "dé", "", NULL,
             "mysql://ü:pä€@hé/dé", "mysql://ü:***@hé/dé"},
            {"the database is not decoded", "mysql://db/x%20y", "mysql", NULL, NULL, "db", 0,
             "x%20y", "", NULL, "mysql://db/x%20y", "mysql://db/x%20y"},
            {"a '/' in the database", "mysql://db/a/b", "mysql", NULL, NULL, "db", 0, "a/b", "",
             NULL, "mysql://db/a/b", "mysql://db/a/b"},
            {"IPv6", "mysql://[::1]:3306/app", "mysql", NULL, NULL, "::1", 3306, "app", "", NULL,
             "mysql://[::1]:3306/app", "mysql://[::1]:3306/app"},
            {"IPv6 with credentials", "mysql://u:p@[::1]/app", "mysql", "u", "p", "::1", 0, "app",
             "", NULL, "mysql://u:p@[::1]/app", "mysql://u:***@[::1]/app"},
            {"IPv6 with a zone", "mysql://u:p@[fe80::1%25eth0]:3306/app", "mysql", "u", "p",
             "fe80::1%25eth0", 3306, "app", "", NULL, "mysql://u:p@[fe80::1%25eth0]:3306/app",
             "mysql://u:***@[fe80::1%25eth0]:3306/app"},
            {"port with leading zeros", "mysql://u:p@h:03306/x", "mysql", "u", "p", "h", 3306, "x",
             "", NULL, "mysql://u:p@h:3306/x", "mysql://u:***@h:3306/x"},
            {"highest port", "mysql://u:p@h:65535/x", "mysql", "u", "p", "h", 65535, "x", "", NULL,
             "mysql://u:p@h:65535/x", "mysql://u:***@h:65535/x"},
            {"port 1", "mysql://h:1", "mysql", NULL, NULL, "h", 1, NULL, "", NULL, "mysql://h:1",
             "mysql://h:1"},
            {"query sorted by key, repeated keys kept", "mysql://db/x?b=2&a=1&b=1&a=0", "mysql",
             NULL, NULL, "db", 0, "x", "b=2\na=1\nb=1\na=0\n", NULL, "mysql://db/x?a=1&a=0&b=2&b=1",
             "mysql://db/x?a=1&a=0&b=2&b=1"},
            {"repeated charset", "mysql://db?charset=utf8mb4&charset=latin1&a=1", "mysql", NULL,
             NULL, "db", 0, NULL, "charset=utf8mb4\ncharset=latin1\na=1\n", NULL,
             "mysql://db?a=1&charset=utf8mb4&charset=latin1",
             "mysql://db?a=1&charset=utf8mb4&charset=latin1"},
            {"unix_socket",
             "mysql+pymysql://app:pw@localhost/app?unix_socket=/run/mysqld/mysqld.sock",
             "mysql+pymysql", "app", "pw", "localhost", 0, "app",
             "unix_socket=/run/mysqld/mysqld.sock\n", "/run/mysqld/mysqld.sock",
             "mysql+pymysql://app:pw@localhost/app?unix_socket=%2Frun%2Fmysqld%2Fmysqld.sock",
             "mysql+pymysql://app:***@localhost/app?unix_socket=%2Frun%2Fmysqld%2Fmysqld.sock"},
            {"unix_socket without host", "mysql+mysqldb://root@/app?unix_socket=/cloudsql/p:i",
             "mysql+mysqldb", "root", NULL, NULL, 0, "app", "unix_socket=/cloudsql/p:i\n",
             "/cloudsql/p:i", "mysql+mysqldb://root@/app?unix_socket=%2Fcloudsql%2Fp%3Ai",
             "mysql+mysqldb://root@/app?unix_socket=%2Fcloudsql%2Fp%3Ai"},
            {"blank values and bare keys dropped", "mysql://db/x?empty=&noeq&=v&k=v%20w+x", "mysql",
             NULL, NULL, "db", 0, "x", "=v\nk=v w x\n", NULL, "mysql://db/x?=v&k=v+w+x",
             "mysql://db/x?=v&k=v+w+x"},
            {"'+' is a space in the query", "mysql://db/x?sp=a+b&plus=%2B", "mysql", NULL, NULL,
             "db", 0, "x", "sp=a b\nplus=+\n", NULL, "mysql://db/x?plus=%2B&sp=a+b",
             "mysql://db/x?plus=%2B&sp=a+b"},
            {"quote_plus in the rendering", "mysql://db/x?enc=%2F%3F%26%3D&k=a/b:c@d~e_f.g-h",
             "mysql", NULL, NULL, "db", 0, "x", "enc=/?&=\nk=a/b:c@d~e_f.g-h\n", NULL,
             "mysql://db/x?enc=%2F%3F%26%3D&k=a%2Fb%3Ac%40d~e_f.g-h",
             "mysql://db/x?enc=%2F%3F%26%3D&k=a%2Fb%3Ac%40d~e_f.g-h"},
            {"UTF-8 in the query", "mysql://db/x?k=%E2%82%AC&%C3%A9=1", "mysql", NULL, NULL, "db",
             0, "x", "k=€\né=1\n", NULL, "mysql://db/x?k=%E2%82%AC&%C3%A9=1",
             "mysql://db/x?k=%E2%82%AC&%C3%A9=1"},
            {"empty pairs", "mysql://h?&&a=1&&", "mysql", NULL, NULL, "h", 0, NULL, "a=1\n", NULL,
             "mysql://h?a=1", "mysql://h?a=1"},
            {"'=' in a value", "mysql://h?a=1=2", "mysql", NULL, NULL, "h", 0, NULL, "a=1=2\n",
             NULL, "mysql://h?a=1%3D2", "mysql://h?a=1%3D2"},
            {"a lone '%2' in the query", "mysql+pymysql://u:p@h:1/d?x=%2", "mysql+pymysql", "u",
             "p", "h", 1, "d", "x=%2\n", NULL, "mysql+pymysql://u:p@h:1/d?x=%252",
             "mysql+pymysql://u:***@h:1/d?x=%252"},
            {"PostgreSQL, user and password in the query (hidden in repr too)",
             "postgresql://localhost:5432/postgres_db?user=postgres&password=1234", "postgresql",
             NULL, NULL, "localhost", 5432, "postgres_db", "user=postgres\npassword=1234\n", NULL,
             "postgresql://localhost:5432/postgres_db?password=1234&user=postgres",
             "postgresql://localhost:5432/postgres_db?password=***&user=postgres"},
            {"PostgreSQL through psycopg2", "postgresql+psycopg2://u:p@db/x", "postgresql+psycopg2",
             "u", "p", "db", 0, "x", "", NULL, "postgresql+psycopg2://u:p@db/x",
             "postgresql+psycopg2://u:***@db/x"},
            {"libpq's spelling", "postgres://u:p@db/x", "postgres", "u", "p", "db", 0, "x", "",
             NULL, "postgres://u:p@db/x", "postgres://u:***@db/x"},
            {"asyncpg, a socket directory as host",
             "postgresql+asyncpg://u:p@/x?host=/var/run/postgresql", "postgresql+asyncpg", "u", "p",
             NULL, 0, "x", "host=/var/run/postgresql\n", NULL,
             "postgresql+asyncpg://u:p@/x?host=%2Fvar%2Frun%2Fpostgresql",
             "postgresql+asyncpg://u:***@/x?host=%2Fvar%2Frun%2Fpostgresql"},
            {"pg8000, a port", "postgresql+pg8000://u@h:5433/d", "postgresql+pg8000", "u", NULL,
             "h", 5433, "d", "", NULL, "postgresql+pg8000://u@h:5433/d",
             "postgresql+pg8000://u@h:5433/d"},
            {"psycopg 3, all empty", "postgresql+psycopg://:@/", "postgresql+psycopg", "", "", NULL,
             0, "", "", NULL, "postgresql+psycopg://:@/", "postgresql+psycopg://:***@/"},
            {"unix_socket is MySQL's", "postgresql://db/x?unix_socket=/s", "postgresql", NULL, NULL,
             "db", 0, "x", "unix_socket=/s\n", NULL, "postgresql://db/x?unix_socket=%2Fs",
             "postgresql://db/x?unix_socket=%2Fs"},
            {"ssl parameters",
             "mysql+pymysql://u:p@db/x?ssl_ca=/etc/ca.pem&ssl_check_hostname=false",
             "mysql+pymysql", "u", "p", "db", 0, "x",
             "ssl_ca=/etc/ca.pem\nssl_check_hostname=false\n", NULL,
             "mysql+pymysql://u:p@db/x?ssl_ca=%2Fetc%2Fca.pem&ssl_check_hostname=false",
             "mysql+pymysql://u:***@db/x?ssl_ca=%2Fetc%2Fca.pem&ssl_check_hostname=false"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct db_url url;
        struct ds_error err = DS_ERROR_INIT;
        struct buf query = BUF_INIT, str = BUF_INIT, repr = BUF_INIT;

        if (db_url_parse(&url, cases[i].url, &err) < 0)
            fail_msg("%s: '%s': %s", cases[i].what, cases[i].url, err.msg);
        assert_field(cases[i].what, "scheme", url.scheme, cases[i].scheme);
        assert_field(cases[i].what, "user", url.user, cases[i].user);
        assert_field(cases[i].what, "password", url.password, cases[i].password);
        assert_field(cases[i].what, "host", url.host, cases[i].host);
        if (url.port_given != (cases[i].port != 0) ||
            url.port != (cases[i].port               ? cases[i].port
                         : url.engine == DB_POSTGRES ? 5432
                                                     : 3306))
            fail_msg("%s: port %u (given: %d), want %u", cases[i].what, url.port, url.port_given,
                     cases[i].port);
        assert_field(cases[i].what, "database", url.database, cases[i].database);
        for (size_t k = 0; k < url.query.n; k++)
            buf_addf(&query, "%s=%s\n", url.query.items[k].key, url.query.items[k].value);
        assert_field(cases[i].what, "query", query.buf, cases[i].query);
        assert_field(cases[i].what, "unix_socket", url.unix_socket, cases[i].unix_socket);
        db_url_render(&str, &url, false);
        assert_field(cases[i].what, "str()", str.buf, cases[i].str);
        db_url_render(&repr, &url, true);
        assert_field(cases[i].what, "repr()", repr.buf, cases[i].repr);

        /* what str() gives parses back to the same URL */
        {
            struct db_url again;
            struct buf str2 = BUF_INIT;

            if (db_url_parse(&again, str.buf, &err) < 0)
                fail_msg("%s: '%s' does not parse again: %s", cases[i].what, str.buf, err.msg);
            db_url_render(&str2, &again, false);
            assert_field(cases[i].what, "str() of str()", str2.buf, str.buf);
            buf_release(&str2);
            db_url_release(&again);
        }
        buf_release(&query);
        buf_release(&str);
        buf_release(&repr);
        db_url_release(&url);
    }
}

static void test_refused(void **state)
{
    static const struct {
        const char *url;
        int code;
        const char *msg;
        const char *secret; /* must not be in the message */
    } cases[] = {
            {"PostgreSQL://u:hunter2@h/db", DS_EINVAL,
             "invalid database URL: write the dialect 'PostgreSQL' in lower case", "hunter2"},
            {"sqlite:///foo.db", DS_EUNSUPPORTED,
             "unsupported database 'sqlite' in URL: devstack speaks MySQL, MariaDB and PostgreSQL",
             "foo"},
            {"mssql+pyodbc://u:hunter2@dsn", DS_EUNSUPPORTED,
             "unsupported database 'mssql' in URL: devstack speaks MySQL, MariaDB and PostgreSQL",
             "hunter2"},
            {"MySQL://u:hunter2@h/db", DS_EINVAL,
             "invalid database URL: write the dialect 'MySQL' in lower case", "hunter2"},
            {"MariaDB+pymysql://h", DS_EINVAL,
             "invalid database URL: write the dialect 'MariaDB' in lower case", NULL},
            {"", DS_EINVAL,
             "invalid database URL: expected <dialect>[+<driver>]://, as in "
             "mysql+pymysql://user:password@host:3306/database",
             NULL},
            {"hunter2", DS_EINVAL,
             "invalid database URL: expected <dialect>[+<driver>]://, as in "
             "mysql+pymysql://user:password@host:3306/database",
             "hunter2"},
            {"mysql:/u:hunter2@h", DS_EINVAL,
             "invalid database URL: expected <dialect>[+<driver>]://, as in "
             "mysql+pymysql://user:password@host:3306/database",
             "hunter2"},
            {"://u:hunter2@h", DS_EINVAL,
             "invalid database URL: expected <dialect>[+<driver>]://, as in "
             "mysql+pymysql://user:password@host:3306/database",
             "hunter2"},
            {"+pymysql://h", DS_EINVAL,
             "invalid database URL: expected <dialect>[+<driver>]://, as in "
             "mysql+pymysql://user:password@host:3306/database",
             NULL},
            {"my-sql://h", DS_EINVAL,
             "invalid database URL: expected <dialect>[+<driver>]://, as in "
             "mysql+pymysql://user:password@host:3306/database",
             NULL},
            {"mysql+://u:hunter2@h", DS_EINVAL,
             "invalid database URL: bad driver in 'mysql+' (expected mysql+<driver>)", "hunter2"},
            {"mariadb+a+b://h", DS_EINVAL,
             "invalid database URL: bad driver in 'mariadb+a+b' (expected mariadb+<driver>)", NULL},
            {"mysql://u:hunter2@h:/db", DS_EINVAL, "invalid database URL: the port is empty",
             "hunter2"},
            {"mysql://u:hunter2@h:33o6/db", DS_EINVAL,
             "invalid database URL: the port is not a number", "33o6"},
            {"mysql://h:+3306/db", DS_EINVAL, "invalid database URL: the port is not a number",
             NULL},
            {"mysql://h: 3306/db", DS_EINVAL, "invalid database URL: the port is not a number",
             NULL},
            {"mysql://h:0/db", DS_EINVAL,
             "invalid database URL: the port is out of range (1-65535)", NULL},
            {"mysql://h:65536/db", DS_EINVAL,
             "invalid database URL: the port is out of range (1-65535)", NULL},
            {"mysql://h:99999999999999999999999/db", DS_EINVAL,
             "invalid database URL: the port is out of range (1-65535)", NULL},
            /* no '@': "123456" is a port to SQLAlchemy, but it looks like a password */
            {"mysql://root:123456/db", DS_EINVAL,
             "invalid database URL: the port is out of range (1-65535)", "123456"},
            {"mysql://root:hunter2/db", DS_EINVAL, "invalid database URL: the port is not a number",
             "hunter2"},
            /* a bare '@' in the password: SQLAlchemy would take host "r2@db" */
            {"mysql://u:hunt@r2@db/x", DS_EINVAL,
             "invalid database URL: '@' after the host; write '@' in a user name or password as "
             "%40",
             "r2"},
            {"mysql://u:hunt@r2:x@db:3306/x", DS_EINVAL,
             "invalid database URL: '@' after the host; write '@' in a user name or password as "
             "%40",
             "r2"},
            {"mysql://u:hunt@[r2@db]/x", DS_EINVAL,
             "invalid database URL: '@' after the host; write '@' in a user name or password as "
             "%40",
             "r2"},
            {"mysql://u:hunter2@[::1/db", DS_EINVAL,
             "invalid database URL: '[' without ']' around an IPv6 address", "hunter2"},
            {"mysql://u:hunter2@[]/db", DS_EINVAL,
             "invalid database URL: '[' without ']' around an IPv6 address", "hunter2"},
            {"mysql://u:hunter2@[::1]x/db", DS_EINVAL,
             "invalid database URL: unexpected text after the IPv6 address", "hunter2"},
            {"mysql://u:hunter2%00@h/db", DS_EINVAL, "invalid database URL: %00 in the password",
             "hunter2"},
            {"mysql://u%00:hunter2@h/db", DS_EINVAL, "invalid database URL: %00 in the user name",
             "hunter2"},
            {"mysql://u%00@h/db", DS_EINVAL, "invalid database URL: %00 in the user name", NULL},
            {"mysql://u:hunter2@h/db?k=%00", DS_EINVAL, "invalid database URL: %00 in the query",
             "hunter2"},
            {"mysql://u:hunter2@h/db?unix_socket=/a&unix_socket=/b", DS_EINVAL,
             "invalid database URL: 'unix_socket' is given twice", "hunter2"},
            {"mysql://u:hunter2@h/d\tb", DS_EINVAL,
             "invalid database URL: it contains a control character", "hunter2"},
            {"mysql://u:hunter2@h/db\n", DS_EINVAL,
             "invalid database URL: it contains a control character", "hunter2"},
            {"mysql://u:hunter2\x7f@h/db", DS_EINVAL,
             "invalid database URL: it contains a control character", "hunter2"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct db_url url;
        struct ds_error err = DS_ERROR_INIT;
        int rc = db_url_parse(&url, cases[i].url, &err);

        if (rc != cases[i].code)
            fail_msg("'%s': status %d, want %d (%s)", cases[i].url, rc, cases[i].code,
                     err.msg ? err.msg : "no message");
        assert_field(cases[i].url, "message", err.msg, cases[i].msg);
        if (cases[i].secret && strstr(err.msg, cases[i].secret))
            fail_msg("'%s': the message shows '%s'", cases[i].url, cases[i].secret);
        /* a failed parse leaves nothing behind */
        assert_null(url.scheme);
        assert_null(url.user);
        assert_null(url.password);
        assert_null(url.host);
        assert_null(url.database);
        assert_int_equal(url.query.n, 0);
        db_url_release(&url);
        ds_error_release(&err);
    }
}

/* A URL put together field by field (as stack/dbinfo.c does) renders as SQLAlchemy would. */
static void test_render_built(void **state)
{
    struct db_url url;
    struct buf b = BUF_INIT;

    (void)state;
    memset(&url, 0, sizeof(url));
    db_url_release(&url); /* a zeroed URL may be released, twice */
    db_url_release(&url);
    assert_int_equal(url.port, 3306);

    url.scheme = xstrdup("mysql+pymysql");
    url.user = xstrdup("app");
    url.password = xstrdup("p@ss:w/rd%");
    url.host = xstrdup("127.0.0.1");
    url.port = 3307;
    url.port_given = true;
    url.database = xstrdup("app");
    db_url_render(&b, &url, false);
    /* URL.create(...).render_as_string(hide_password=False) */
    assert_string_equal(b.buf, "mysql+pymysql://app:p%40ss%3Aw%2Frd%@127.0.0.1:3307/app");
    buf_reset(&b);
    db_url_render(&b, &url, true);
    assert_string_equal(b.buf, "mysql+pymysql://app:***@127.0.0.1:3307/app");
    buf_reset(&b);

    free(url.host);
    url.host = xstrdup("::1");
    url.port_given = false;
    kvlist_add(&url.query, "z", "1 2");
    kvlist_add(&url.query, "a", "é");
    kvlist_add(&url.query, "z", "0");
    db_url_render(&b, &url, true);
    assert_string_equal(b.buf, "mysql+pymysql://app:***@[::1]/app?a=%C3%A9&z=1+2&z=0");
    buf_reset(&b);

    /* no user: no password either, even when set */
    free(url.user);
    url.user = NULL;
    db_url_render(&b, &url, false);
    assert_string_equal(b.buf, "mysql+pymysql://[::1]/app?a=%C3%A9&z=1+2&z=0");
    buf_release(&b);
    db_url_release(&url);
    assert_null(url.password);
}

/* db_url_target: what the driver connects to, the query's say included, as the drivers read it. */
static void test_target(void **state)
{
    static const struct {
        const char *url;
        const char *user, *password, *host, *database;
        unsigned port;
        const char *unix_socket;
        const char *error; /* NULL: a target */
    } cases[] = {
            {"mysql+pymysql://app:pw@db:3307/app?user=ignored", "app", "pw", "db", "app", 3307,
             NULL},
            {"mysql://root@/app?unix_socket=/run/mysqld/mysqld.sock", "root", NULL, NULL, "app",
             3306, "/run/mysqld/mysqld.sock"},
            {"postgresql://localhost:5432/postgres_db?user=postgres&password=1234", "postgres",
             "1234", "localhost", "postgres_db", 5432, NULL},
            {"postgresql+psycopg2://u:p@db/x?user=v&password=q&dbname=y&port=6000&host=other", "v",
             "q", "other", "y", 6000, NULL},
            {"postgresql+asyncpg://u:p@/x?host=/var/run/postgresql", "u", "p", NULL, "x", 5432,
             "/var/run/postgresql"},
            {"postgresql://u@/x?host=%2Ftmp", "u", NULL, NULL, "x", 5432, "/tmp"},
            {"postgres://db", NULL, NULL, "db", NULL, 5432, NULL},
            {"postgresql://db/x?port=0", NULL, NULL, NULL, NULL, 0, NULL,
             "invalid database URL: the port is out of range (1-65535)"},
            {"postgresql://db/x?port=x", NULL, NULL, NULL, NULL, 0, NULL,
             "invalid database URL: the port is not a number"},
            {"postgresql://db/x?user=a&user=b", NULL, NULL, NULL, NULL, 0, NULL,
             "invalid database URL: 'user' is given twice"},
            {"postgresql://db/x?password=a&password=hunter2", NULL, NULL, NULL, NULL, 0, NULL,
             "invalid database URL: 'password' is given twice"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct db_url url;
        struct db_target t;
        struct ds_error err = DS_ERROR_INIT;

        if (db_url_parse(&url, cases[i].url, &err) < 0)
            fail_msg("'%s': %s", cases[i].url, err.msg);
        if (cases[i].error) {
            if (db_url_target(&url, &t, &err) == 0)
                fail_msg("'%s': a target, want '%s'", cases[i].url, cases[i].error);
            assert_string_equal(err.msg, cases[i].error);
            assert_null(strstr(err.msg, "hunter2"));
            ds_error_release(&err);
            db_url_release(&url);
            continue;
        }
        if (db_url_target(&url, &t, &err) < 0)
            fail_msg("'%s': %s", cases[i].url, err.msg);
        assert_field(cases[i].url, "user", t.user, cases[i].user);
        assert_field(cases[i].url, "password", t.password, cases[i].password);
        assert_field(cases[i].url, "host", t.host, cases[i].host);
        assert_field(cases[i].url, "database", t.database, cases[i].database);
        assert_field(cases[i].url, "unix_socket", t.unix_socket, cases[i].unix_socket);
        if (t.port != cases[i].port)
            fail_msg("'%s': port %u, want %u", cases[i].url, t.port, cases[i].port);
        db_url_release(&url);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_and_render),
            cmocka_unit_test(test_refused),
            cmocka_unit_test(test_render_built),
            cmocka_unit_test(test_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
