/*
 * SQLAlchemy database URLs, read as SQLAlchemy 1.4 reads them
 * (sqlalchemy/engine/url.py: _parse_url() and URL.render_as_string()):
 *
 *     <dialect>[+<driver>]://[<user>[:<password>]@][<host>|[<ipv6>]][:<port>][/<database>][?<query>]
 *
 * Only the user name, the password and the query are percent-decoded; the
 * host and the database are taken as written, as SQLAlchemy 1.4 does. Where
 * SQLAlchemy would accept something that can only fail later (a port that is
 * not a number, text after "[::1]", a password with a bare '@' that spills
 * into the host), this parser says so at once, and no error message ever
 * quotes a part of the URL that may hold the password.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/banned.h"

#define DEFAULT_PORT  3306
#define POSTGRES_PORT 5432

/* The dialects devstack speaks, as SQLAlchemy spells them (lower case). */
static const struct {
    const char *name;
    enum db_engine engine;
} dialects[] = {
        {"mysql", DB_MYSQL},
        {"mariadb", DB_MYSQL},
        {"postgresql", DB_POSTGRES},
        {"postgres", DB_POSTGRES}, /* libpq's spelling; SQLAlchemy 1.4 wants postgresql */
};

static int fail(struct ds_error *err, const char *what)
{
    return ds_error_set(err, DS_EINVAL, "invalid database URL: %s", what);
}

static bool is_word_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * urllib.parse.unquote() (optionally after '+' -> ' ', as parse_qsl does):
 * "%XX" with two hex digits becomes that byte, any other '%' stays. The bytes
 * are kept as they are: Python would turn invalid UTF-8 into U+FFFD, a
 * password no server would accept either. A %00 cannot live in a C string.
 */
static int unquote(char **out, const char *s, size_t len, bool plus, const char *what,
                   struct ds_error *err)
{
    struct buf b = BUF_INIT;

    buf_grow(&b, len);
    for (size_t i = 0; i < len; i++) {
        int hi, lo;

        if (s[i] == '%' && i + 2 < len && (hi = str_hex_value(s[i + 1])) >= 0 &&
            (lo = str_hex_value(s[i + 2])) >= 0) {
            if (!hi && !lo) {
                buf_release(&b);
                ds_error_set(err, DS_EINVAL, "invalid database URL: %%00 in the %s", what);
                return DS_EINVAL;
            }
            buf_addch(&b, hi << 4 | lo);
            i += 2;
        } else {
            buf_addch(&b, plus && s[i] == '+' ? ' ' : s[i]);
        }
    }
    *out = buf_detach(&b, NULL);
    return 0;
}

/* parse_qsl(): '&'-separated, pairs without '=' or with an empty value dropped. */
static int parse_query(struct db_url *url, const char *q, struct ds_error *err)
{
    while (*q) {
        const char *end = strchr(q, '&');
        const char *eq;
        size_t len = end ? (size_t)(end - q) : strlen(q);
        char *key = NULL, *value = NULL;

        eq = memchr(q, '=', len);
        if (eq && eq + 1 < q + len) {
            if (unquote(&key, q, (size_t)(eq - q), true, "query", err) < 0)
                return DS_EINVAL;
            if (unquote(&value, eq + 1, (size_t)(q + len - eq - 1), true, "query", err) < 0) {
                free(key);
                return DS_EINVAL;
            }
            kvlist_add(&url->query, key, value);
            free(key);
            free(value);
        }
        q += len + (end ? 1 : 0);
    }
    return 0;
}

static int parse_port(struct db_url *url, const char *s, size_t len, struct ds_error *err)
{
    unsigned long v = 0;

    if (!len)
        return fail(err, "the port is empty");
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(err, "the port is not a number");
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535)
            break;
    }
    /* never quote the port: "mysql://root:secret/db" has the password there */
    if (v < 1 || v > 65535)
        return fail(err, "the port is out of range (1-65535)");
    url->port = (unsigned)v;
    url->port_given = true;
    return 0;
}

static int parse_scheme(struct db_url *url, const char *text, const char **rest,
                        struct ds_error *err)
{
    const char *p = text, *plus = NULL;
    size_t dialect_len;
    bool found = false;

    while (is_word_char(*p) || *p == '+') {
        if (*p == '+' && !plus)
            plus = p;
        p++;
    }
    dialect_len = (size_t)((plus ? plus : p) - text);
    if (!dialect_len || strncmp(p, "://", 3) != 0)
        return fail(err, "expected <dialect>[+<driver>]://, as in "
                         "mysql+pymysql://user:password@host:3306/database");
    for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]) && !found; i++) {
        if (strlen(dialects[i].name) != dialect_len ||
            strncasecmp(text, dialects[i].name, dialect_len))
            continue;
        if (strncmp(text, dialects[i].name, dialect_len))
            return ds_error_set(err, DS_EINVAL,
                                "invalid database URL: write the dialect '%.*s' in lower case",
                                (int)dialect_len, text);
        url->engine = dialects[i].engine;
        url->port = url->engine == DB_POSTGRES ? POSTGRES_PORT : DEFAULT_PORT;
        found = true;
    }
    if (!found)
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "unsupported database '%.*s' in URL: devstack speaks MySQL, MariaDB "
                            "and PostgreSQL",
                            (int)dialect_len, text);
    if (plus && (plus + 1 == p || memchr(plus + 1, '+', (size_t)(p - plus - 1))))
        return ds_error_set(err, DS_EINVAL,
                            "invalid database URL: bad driver in '%.*s' (expected %.*s+<driver>)",
                            (int)(p - text), text, (int)dialect_len, text);
    url->scheme = xstrndup(text, (size_t)(p - text));
    *rest = p + 3;
    return 0;
}

/*
 * [user[:password]@], with the backtracking of SQLAlchemy's regular
 * expression: the user name runs to the first ':' or '/'; if a ':' follows and
 * an '@' comes after it, the password is what lies between; otherwise the
 * user name ends at the last '@' before that ':' or '/'.
 */
static int parse_userinfo(struct db_url *url, const char *s, const char **rest,
                          struct ds_error *err)
{
    size_t user_end = strcspn(s, ":/");
    const char *at = NULL;

    if (s[user_end] == ':' && (at = strchr(s + user_end + 1, '@'))) {
        if (unquote(&url->user, s, user_end, false, "user name", err) < 0 ||
            unquote(&url->password, s + user_end + 1, (size_t)(at - s - user_end - 1), false,
                    "password", err) < 0)
            return DS_EINVAL;
        *rest = at + 1;
        return 0;
    }
    for (size_t i = user_end; i-- > 0;) {
        if (s[i] == '@') {
            if (unquote(&url->user, s, i, false, "user name", err) < 0)
                return DS_EINVAL;
            *rest = s + i + 1;
            return 0;
        }
    }
    *rest = s;
    return 0;
}

static int parse_host(struct db_url *url, const char *s, const char **rest, struct ds_error *err)
{
    size_t len;

    /*
     * SQLAlchemy would take "mysql://u:p@ss@db/x" as password "p" on host
     * "ss@db"; the rest of that password would then show in every message
     */
    if (memchr(s, '@', strcspn(s, "/?")))
        return fail(err, "'@' after the host; write '@' in a user name or password as %40");

    if (*s == '[') {
        size_t span = strcspn(s + 1, "/?");
        const char *close = NULL;

        for (size_t i = span; i > 1; i--) {
            if (s[i] == ']') {
                close = s + i;
                break;
            }
        }
        if (!close)
            return fail(err, "'[' without ']' around an IPv6 address");
        url->host = xstrndup(s + 1, (size_t)(close - s - 1));
        s = close + 1;
        if (*s && !strchr(":/?", *s))
            return fail(err, "unexpected text after the IPv6 address");
    } else {
        len = strcspn(s, ":/?");
        if (len)
            url->host = xstrndup(s, len);
        s += len;
    }
    if (*s == ':') {
        len = strcspn(s + 1, "/?");
        if (parse_port(url, s + 1, len, err) < 0)
            return DS_EINVAL;
        s += 1 + len;
    }
    *rest = s;
    return 0;
}

static int parse(struct db_url *url, const char *text, struct ds_error *err)
{
    const char *p;
    const struct kv *socket = NULL;
    int rc;

    for (p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return fail(err, "it contains a control character");
    if ((rc = parse_scheme(url, text, &p, err)) < 0 || (rc = parse_userinfo(url, p, &p, err)) < 0 ||
        (rc = parse_host(url, p, &p, err)) < 0)
        return rc;
    if (*p == '/') {
        size_t len = strcspn(p + 1, "?");

        url->database = xstrndup(p + 1, len);
        p += 1 + len;
    }
    if (*p == '?' && parse_query(url, p + 1, err) < 0)
        return DS_EINVAL;
    for (size_t i = 0; i < url->query.n && url->engine == DB_MYSQL; i++) {
        if (strcmp(url->query.items[i].key, "unix_socket"))
            continue;
        if (socket)
            return fail(err, "'unix_socket' is given twice");
        socket = &url->query.items[i];
    }
    if (socket)
        url->unix_socket = xstrdup(socket->value);
    return 0;
}

int db_url_parse(struct db_url *url, const char *text, struct ds_error *err)
{
    int rc;

    memset(url, 0, sizeof(*url));
    url->port = DEFAULT_PORT;
    rc = parse(url, text ? text : "", err);
    if (rc < 0)
        db_url_release(url);
    return rc;
}

static void free_secret(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

void db_url_release(struct db_url *url)
{
    free(url->scheme);
    free(url->user);
    free_secret(url->password);
    free(url->host);
    free(url->database);
    free(url->unix_socket);
    kvlist_clear(&url->query);
    memset(url, 0, sizeof(*url));
    url->port = DEFAULT_PORT;
}

/* _sqla_url_quote(): only ':', '@' and '/' are escaped in the user and password. */
static void add_userinfo_quoted(struct buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == ':' || *s == '@' || *s == '/')
            buf_addf(out, "%%%X", (unsigned char)*s);
        else
            buf_addch(out, *s);
    }
}

/* urllib.parse.quote_plus(): all but letters, digits and "_.-~" escaped, ' ' as '+'. */
static void add_quote_plus(struct buf *out, const char *s)
{
    for (; *s; s++) {
        if (is_word_char(*s) || *s == '.' || *s == '-' || *s == '~')
            buf_addch(out, *s);
        else if (*s == ' ')
            buf_addch(out, '+');
        else
            buf_addf(out, "%%%02X", (unsigned char)*s);
    }
}

struct query_ref {
    const struct kv *kv;
    size_t pos;
};

/* By key, then by position: each key's values stay in URL order. */
static int cmp_query_ref(const void *a, const void *b)
{
    const struct query_ref *x = a, *y = b;
    int c = strcmp(x->kv->key, y->kv->key);

    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

void db_url_render(struct buf *out, const struct db_url *url, bool hide_password)
{
    buf_addf(out, "%s://", url->scheme ? url->scheme : "");
    if (url->user) {
        add_userinfo_quoted(out, url->user);
        if (url->password) {
            buf_addch(out, ':');
            if (hide_password)
                buf_adds(out, "***");
            else
                add_userinfo_quoted(out, url->password);
        }
        buf_addch(out, '@');
    }
    if (url->host)
        buf_addf(out, strchr(url->host, ':') ? "[%s]" : "%s", url->host);
    if (url->port_given)
        buf_addf(out, ":%u", url->port);
    if (url->database)
        buf_addf(out, "/%s", url->database);
    if (url->query.n) {
        struct query_ref *order = xcalloc(url->query.n, sizeof(*order));

        for (size_t i = 0; i < url->query.n; i++) {
            order[i].kv = &url->query.items[i];
            order[i].pos = i;
        }
        qsort(order, url->query.n, sizeof(*order), cmp_query_ref);
        for (size_t i = 0; i < url->query.n; i++) {
            const struct kv *kv = order[i].kv;

            buf_addch(out, i ? '&' : '?');
            add_quote_plus(out, kv->key);
            buf_addch(out, '=');
            if (hide_password && !strcmp(kv->key, "password"))
                buf_adds(out, "***");
            else
                add_quote_plus(out, kv->value ? kv->value : "");
        }
        free(order);
    }
}

/* The one value of query parameter `key`, or NULL; twice is an error (which one would win?). */
static int query_once(const struct db_url *url, const char *key, const char **out,
                      struct ds_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < url->query.n; i++) {
        if (strcmp(url->query.items[i].key, key))
            continue;
        if (*out)
            return ds_error_set(err, DS_EINVAL, "invalid database URL: '%s' is given twice", key);
        *out = url->query.items[i].value;
    }
    return 0;
}

int db_url_target(const struct db_url *url, struct db_target *out, struct ds_error *err)
{
    const char *user, *password, *host, *port, *dbname;

    memset(out, 0, sizeof(*out));
    out->user = url->user;
    out->password = url->password;
    out->host = url->host;
    out->port = url->port;
    out->database = url->database;
    if (url->engine == DB_MYSQL) {
        out->unix_socket = url->unix_socket;
        return 0;
    }
    if (query_once(url, "user", &user, err) < 0 ||
        query_once(url, "password", &password, err) < 0 ||
        query_once(url, "host", &host, err) < 0 || query_once(url, "port", &port, err) < 0 ||
        query_once(url, "dbname", &dbname, err) < 0)
        return DS_EINVAL;
    if (user)
        out->user = user;
    if (password)
        out->password = password;
    if (host)
        out->host = host;
    if (dbname)
        out->database = dbname;
    if (port) {
        struct db_url scratch = {0};

        if (parse_port(&scratch, port, strlen(port), err) < 0)
            return DS_EINVAL;
        out->port = scratch.port;
    }
    if (out->host && out->host[0] == '/') {
        out->unix_socket = out->host;
        out->host = NULL;
    }
    return 0;
}
