/*
 * libFuzzer target for db_url_parse() and db_url_render(): any bytes (up to
 * the first NUL) as a URL. Besides the sanitizers it checks that an error
 * quotes nothing of the URL but its scheme (so never a password) and leaves
 * the struct empty, that a parsed URL keeps its invariants, that repr() hides
 * the password, and that what str() gives parses again (when it can).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool only(const char *s, size_t len, const char *extra)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || (c && strchr(extra, c))))
            return false;
    }
    return true;
}

/* "<prefix>'X'<suffix>" with X made of word characters (and `extra`). */
static bool quotes_scheme(const char *msg, const char *prefix, const char *suffix,
                          const char *extra)
{
    size_t plen = strlen(prefix), slen = strlen(suffix), len = strlen(msg);

    if (len < plen + slen + 2 || strncmp(msg, prefix, plen) || msg[plen] != '\'' ||
        strcmp(msg + len - slen, suffix) || msg[len - slen - 1] != '\'')
        return false;
    return only(msg + plen + 1, len - plen - slen - 2, extra);
}

static bool known_error(const char *msg)
{
    static const char *const fixed[] = {
            ("expected <dialect>[+<driver>]://, as in "
             "mysql+pymysql://user:password@host:3306/database"),
            "the port is empty",
            "the port is not a number",
            "the port is out of range (1-65535)",
            "'@' after the host; write '@' in a user name or password as %40",
            "'[' without ']' around an IPv6 address",
            "unexpected text after the IPv6 address",
            "%00 in the user name",
            "%00 in the password",
            "%00 in the query",
            "'unix_socket' is given twice",
            "'user' is given twice",
            "'password' is given twice",
            "'host' is given twice",
            "'port' is given twice",
            "'dbname' is given twice",
            "it contains a control character",
    };
    const char *p = "invalid database URL: ";

    if (quotes_scheme(msg, "unsupported database ",
                      " in URL: devstack speaks MySQL, MariaDB and PostgreSQL", ""))
        return true;
    if (strncmp(msg, p, strlen(p)))
        return false;
    msg += strlen(p);
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (!strcmp(msg, fixed[i]))
            return true;
    if (quotes_scheme(msg, "write the dialect ", " in lower case", ""))
        return true;
    /* "bad driver in 'mysql+x+y' (expected mysql+<driver>)" */
    if (!strncmp(msg, "bad driver in '", 15)) {
        const char *end = strchr(msg + 15, '\'');

        return end && only(msg + 15, (size_t)(end - msg - 15), "+") &&
               (!strcmp(end, "' (expected mysql+<driver>)") ||
                !strcmp(end, "' (expected mariadb+<driver>)") ||
                !strcmp(end, "' (expected postgresql+<driver>)") ||
                !strcmp(end, "' (expected postgres+<driver>)"));
    }
    return false;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size + 1);
    struct db_url url, again;
    struct ds_error err = DS_ERROR_INIT;
    struct buf str = BUF_INIT, repr = BUF_INIT;
    int rc;

    if (size)
        memcpy(text, data, size);
    text[size] = '\0';

    rc = db_url_parse(&url, text, &err);
    if (rc < 0) {
        if ((rc != DS_EINVAL && rc != DS_EUNSUPPORTED) || !err.msg || !known_error(err.msg))
            abort();
        if (url.scheme || url.user || url.password || url.host || url.database || url.unix_socket ||
            url.query.n || url.port != 3306)
            abort();
        goto done;
    }
    if (err.msg || !url.scheme ||
        (url.engine == DB_MYSQL && strncmp(url.scheme, "mysql", 5) &&
         strncmp(url.scheme, "mariadb", 7)) ||
        (url.engine == DB_POSTGRES && strncmp(url.scheme, "postgres", 8)))
        abort();
    if (url.port < 1 || url.port > 65535 ||
        (!url.port_given && url.port != (url.engine == DB_POSTGRES ? 5432u : 3306u)))
        abort();
    if (url.host && !*url.host)
        abort();
    if (url.unix_socket && strcmp(url.unix_socket, kvlist_get(&url.query, "unix_socket")))
        abort();
    for (size_t i = 0; i < url.query.n; i++)
        if (!url.query.items[i].value || !*url.query.items[i].value)
            abort();

    db_url_render(&str, &url, false);
    db_url_render(&repr, &url, true);
    if (strncmp(str.buf, url.scheme, strlen(url.scheme)))
        abort();
    if (url.user && url.password && !strstr(repr.buf, ":***@"))
        abort();
    if (kvlist_get(&url.query, "password") && !strstr(repr.buf, "password=***"))
        abort();
    /* what the driver gets: the query's say, or a known error */
    {
        struct db_target t;

        if (db_url_target(&url, &t, &err) < 0) {
            if (url.engine != DB_POSTGRES || !err.msg || !known_error(err.msg))
                abort();
            ds_error_release(&err);
        } else if (t.port < 1 || t.port > 65535 ||
                   (url.engine == DB_POSTGRES && t.unix_socket &&
                    (t.host || t.unix_socket[0] != '/'))) {
            abort();
        }
    }
    /* a host of "[x" (from "[[x]") prints unbracketed, which reads as an unclosed '[' */
    if (!has_control(str.buf) && !(url.host && url.host[0] == '[' && !strchr(url.host, ':'))) {
        if (db_url_parse(&again, str.buf, &err) < 0)
            abort();
        if (strcmp(again.scheme, url.scheme) || again.port != url.port ||
            again.port_given != url.port_given || again.query.n != url.query.n ||
            !again.host != !url.host || !again.database != !url.database)
            abort();
        db_url_release(&again);
    }

done:
    buf_release(&str);
    buf_release(&repr);
    db_url_release(&url);
    ds_error_release(&err);
    free(text);
    return 0;
}
