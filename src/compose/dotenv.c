/*
 * .env files, read the way compose-go's dotenv package reads them
 * (github.com/compose-spec/compose-go/v2/dotenv/parser.go), with a few
 * leniencies of that parser turned into errors (each marked below).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compose/dotenv.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

#define DOTENV_MAX_SIZE (16u << 20)

struct dotenv {
    const char *p, *end;
    int line;
    const char *name;
    struct kvlist pairs; /* this file's pairs so far: what ${X} sees after the environment */
    interp_lookup_fn lookup;
    void *ud;
    struct ds_error *err;
};

static bool is_hspace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * compose-go accepts Unicode letters and digits plus "_.-[]"; we keep to
 * ASCII, so a key with a non-ASCII letter is an error here.
 */
static bool is_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '[' || c == ']';
}

static int fail(struct dotenv *d, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(struct dotenv *d, int line, const char *fmt, ...)
{
    struct buf msg = BUF_INIT;
    va_list ap;

    buf_addf(&msg, "%s:%d: ", d->name, line);
    va_start(ap, fmt);
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    ds_error_set(d->err, DS_EINVAL, "%s", msg.buf);
    buf_release(&msg);
    return DS_EINVAL;
}

/* Append s for an error message: control and non-ASCII bytes as \xNN, at most 40 bytes. */
static void add_shown(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (i == 40) {
            buf_adds(b, "...");
            break;
        }
        if (c < 0x20 || c >= 0x7f)
            buf_addf(b, "\\x%02x", c);
        else
            buf_addch(b, (char)c);
    }
}

static void skip_hspace(struct dotenv *d)
{
    while (d->p < d->end && is_hspace(*d->p))
        d->p++;
}

/* The first '\n' at or after p, or end. */
static const char *line_end(const char *p, const char *end)
{
    const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;

    return nl ? nl : end;
}

/* Move to the end of the line, leaving the '\n' for the caller to count. */
static void skip_to_eol(struct dotenv *d)
{
    d->p = line_end(d->p, d->end);
}

static const char *dotenv_lookup(const char *name, void *ud)
{
    struct dotenv *d = ud;
    const char *v = d->lookup ? d->lookup(name, d->ud) : NULL;

    return v ? v : kvlist_get(&d->pairs, name);
}

static int set_interpolated(struct dotenv *d, const char *key, const char *raw, int line)
{
    struct buf value = BUF_INIT;
    int rc = interp_expand(&value, raw, dotenv_lookup, d, NULL, d->err);

    if (rc < 0)
        ds_error_wrap(d->err, "%s:%d", d->name, line);
    else
        kvlist_set(&d->pairs, key, value.buf);
    buf_release(&value);
    return rc;
}

/*
 * The escapes of a double-quoted value, as compose-go's expandEscapes: \a \b
 * \f \n \r \t \v \\ \" \$ and \0NNN (octal), anything else kept as written.
 * \$ becomes $$ so that interpolation leaves a literal $.
 */
static int unescape_double(struct dotenv *d, struct buf *out, const char *s, size_t n, int line)
{
    static const char from[] = "abfnrtv\\\"";
    static const char to[] = "\a\b\f\n\r\t\v\\\"";

    for (size_t i = 0; i < n; i++) {
        const char *hit;

        if (s[i] != '\\' || i + 1 == n) {
            buf_addch(out, s[i]);
            continue;
        }
        if (s[i + 1] == '$') {
            buf_adds(out, "$$");
            i++;
        } else if (s[i + 1] == '0') {
            size_t digits = 0;
            unsigned value = 0;
            bool octal = true;

            while (digits < 3 && i + 2 + digits < n && s[i + 2 + digits] >= '0' &&
                   s[i + 2 + digits] <= '9') {
                octal = octal && s[i + 2 + digits] <= '7';
                value = value * 8 + (unsigned)(s[i + 2 + digits] - '0');
                digits++;
            }
            if (digits == 3 && octal && value <= 0xff) {
                /* judgment call: a NUL cannot live in a C string or an environment */
                if (!value)
                    return fail(d, line, "escape '\\0000' would put a NUL byte in the value");
                buf_addch(out, (char)value);
            } else {
                buf_add(out, s + i, 2 + digits); /* not a valid escape: kept as written */
            }
            i += 1 + digits;
        } else if (s[i + 1] && (hit = strchr(from, s[i + 1]))) {
            buf_addch(out, to[hit - from]);
            i++;
        } else {
            buf_addch(out, '\\'); /* unknown escape: the backslash stays, as in compose-go */
        }
    }
    return 0;
}

static int parse_quoted(struct dotenv *d, const char *key, int line)
{
    char quote = *d->p++;
    struct buf raw = BUF_INIT, unescaped = BUF_INIT;
    bool escaped = false, closed = false;
    int rc = 0;

    while (d->p < d->end) {
        char c = *d->p++;

        if (c == '\n')
            d->line++;
        if (escaped) {
            /*
             * An escaped quote loses its backslash, other escapes wait for
             * unescape_double. Judgment call: this holds in single quotes too
             * ('Let\'s go' as in compose-go and Docker's docs), which are
             * otherwise literal; a CR inside quotes is kept, as in compose-go.
             */
            escaped = false;
            if (c != quote)
                buf_addch(&raw, '\\');
            buf_addch(&raw, c);
        } else if (c == '\\') {
            escaped = true;
        } else if (c == quote) {
            closed = true;
            break;
        } else {
            buf_addch(&raw, c);
        }
    }
    if (!closed) {
        rc = fail(d, line, "unterminated %s-quoted value", quote == '"' ? "double" : "single");
        goto done;
    }
    skip_hspace(d);
    if (d->p < d->end && *d->p == '#') {
        skip_to_eol(d);
    } else if (d->p < d->end && *d->p != '\n') {
        /* judgment call: compose-go would start a new KEY=value statement here */
        struct buf shown = BUF_INIT;

        add_shown(&shown, d->p, (size_t)(line_end(d->p, d->end) - d->p));
        rc = fail(d, d->line, "unexpected '%s' after the closing quote", shown.buf);
        buf_release(&shown);
        goto done;
    }
    if (quote == '\'') {
        kvlist_set(&d->pairs, key, raw.buf);
        goto done;
    }
    rc = unescape_double(d, &unescaped, raw.buf, raw.len, line);
    if (rc == 0)
        rc = set_interpolated(d, key, unescaped.buf, line);
done:
    buf_release(&raw);
    buf_release(&unescaped);
    return rc;
}

static int parse_value(struct dotenv *d, const char *key, int line)
{
    const char *start = d->p; /* just after '=' or ':' */
    const char *eol, *vend;
    char *raw;
    int rc;

    skip_hspace(d);
    if (d->p < d->end && (*d->p == '"' || *d->p == '\''))
        return parse_quoted(d, key, line);

    eol = line_end(d->p, d->end);
    vend = eol;
    /*
     * A comment starts at a '#' after a blank. Judgment calls: compose-go
     * only knows " #" (not tab) and skips the blanks after '=' first, so
     * "A= # x" is "# x" there; here it is an empty value, as the docs say.
     */
    for (const char *c = d->p; c < eol; c++) {
        if (*c == '#' && c > start && (c[-1] == ' ' || c[-1] == '\t')) {
            vend = c;
            break;
        }
    }
    while (vend > d->p && is_hspace(vend[-1]))
        vend--;
    raw = xstrndup(d->p, (size_t)(vend - d->p));
    d->p = eol;
    rc = set_interpolated(d, key, raw, line);
    free(raw);
    return rc;
}

static int bad_key(struct dotenv *d, const char *key, int line)
{
    const char *end = key, *bad = NULL;
    struct buf shown = BUF_INIT;
    int rc;

    while (end < d->end && *end != '=' && *end != ':' && *end != '\n')
        end++;
    while (end > key && is_hspace(end[-1]))
        end--;
    for (const char *c = key; c < end && !bad; c++)
        if (!is_key_char(*c) && !is_hspace(*c))
            bad = c;
    add_shown(&shown, key, (size_t)(end - key));
    if (bad) {
        struct buf ch = BUF_INIT;

        add_shown(&ch, bad, 1);
        rc = fail(d, line, "unexpected character '%s' in variable name '%s'", ch.buf, shown.buf);
        buf_release(&ch);
    } else {
        rc = fail(d, line, "variable name '%s' contains a space", shown.buf);
    }
    buf_release(&shown);
    return rc;
}

static int parse_statement(struct dotenv *d)
{
    int line = d->line;
    const char *key, *kend;
    char *name = NULL;
    int rc = 0;

    /* "export" needs a blank after it: "exportFOO=1" and "export=1" are plain keys */
    if (d->end - d->p > 6 && !memcmp(d->p, "export", 6) && (d->p[6] == ' ' || d->p[6] == '\t')) {
        d->p += 6;
        skip_hspace(d);
    }
    key = d->p;
    while (d->p < d->end && is_key_char(*d->p))
        d->p++;
    kend = d->p;
    skip_hspace(d);

    if (kend == key) {
        /* judgment call: compose-go accepts "=value" as the key "" */
        if (d->p < d->end && (*d->p == '=' || *d->p == ':'))
            return fail(d, line, "missing variable name before '%c'", *d->p);
        if (d->p == d->end || *d->p == '\n')
            return fail(d, line, "missing variable name after 'export'");
        return bad_key(d, key, line);
    }
    if (d->p < d->end && *d->p != '\n' && *d->p != '=' && *d->p != ':')
        return bad_key(d, key, line);

    name = xstrndup(key, (size_t)(kend - key));
    if (d->p == d->end || *d->p == '\n') {
        /*
         * A key alone takes its value from the environment, or is left out
         * (compose-go); also at the end of the text, where compose-go reads
         * the key as the value of the key "".
         */
        const char *value = d->lookup ? d->lookup(name, d->ud) : NULL;

        if (value)
            kvlist_set(&d->pairs, name, value);
    } else {
        d->p++;
        rc = parse_value(d, name, line);
    }
    free(name);
    return rc;
}

int dotenv_parse(struct kvlist *out, const char *text, size_t len, const char *name,
                 interp_lookup_fn lookup, void *ud, struct ds_error *err)
{
    struct dotenv d = {NULL, NULL, 1, name ? name : ".env", KVLIST_INIT, lookup, ud, err};
    const char *nul;
    int rc = 0;

    if (!text) {
        text = "";
        len = 0;
    }
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
        text += 3;
        len -= 3;
    }
    d.p = text;
    d.end = text + len;
    nul = memchr(text, '\0', len);
    if (nul) { /* judgment call: values are C strings, so no NUL anywhere */
        for (const char *c = text; c < nul; c++)
            d.line += *c == '\n';
        return fail(&d, d.line, "unexpected NUL byte");
    }
    for (;;) {
        while (d.p < d.end && (is_hspace(*d.p) || *d.p == '\n'))
            d.line += *d.p++ == '\n';
        if (d.p == d.end)
            break;
        if (*d.p == '#') {
            skip_to_eol(&d);
            continue;
        }
        rc = parse_statement(&d);
        if (rc < 0)
            break;
    }
    if (rc == 0)
        kvlist_copy(out, &d.pairs);
    kvlist_clear(&d.pairs);
    return rc;
}

int dotenv_parse_raw(struct kvlist *out, const char *text, size_t len, const char *name,
                     interp_lookup_fn lookup, void *ud, struct ds_error *err)
{
    struct kvlist got = KVLIST_INIT;
    const char *p = text, *end = text + len;
    int line = 0;

    /* as `docker run --env-file`: no quotes, escapes or ${X}; a value runs to the line's end */
    if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end, *eq;
        char *key;

        line++;
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        if (p == stop || *p == '#') {
            p = nl ? nl + 1 : end;
            continue;
        }
        eq = memchr(p, '=', (size_t)(stop - p));
        key = xstrndup(p, (size_t)((eq ? eq : stop) - p));
        if (!eq) { /* a key alone: blanks after it are not part of it */
            size_t n = strlen(key);

            while (n && strchr(" \t\r", key[n - 1]))
                key[--n] = '\0';
        }
        if (!eq && !*key) { /* a blank line ending in \r\n */
            free(key);
            p = nl ? nl + 1 : end;
            continue;
        }
        if (!*key || key[strcspn(key, " \t\r")]) {
            if (*key)
                ds_error_set(err, DS_EINVAL, "%s:%d: variable '%s' contains whitespace", name, line,
                             key);
            else
                ds_error_set(err, DS_EINVAL, "%s:%d: a line with no variable name before '='", name,
                             line);
            free(key);
            kvlist_clear(&got);
            return DS_EINVAL;
        }
        if (eq) {
            char *value = xstrndup(eq + 1, (size_t)(stop - eq - 1));
            size_t vlen = strlen(value);

            if (vlen && value[vlen - 1] == '\r')
                value[vlen - 1] = '\0';
            kvlist_set(&got, key, value);
            free(value);
        } else {
            const char *v = lookup ? lookup(key, ud) : NULL;

            if (v)
                kvlist_set(&got, key, v);
        }
        free(key);
        p = nl ? nl + 1 : end;
    }
    for (size_t i = 0; i < got.n; i++)
        kvlist_set(out, got.items[i].key, got.items[i].value);
    kvlist_clear(&got);
    return 0;
}

static int load_file(struct kvlist *out, const char *path, bool raw, interp_lookup_fn lookup,
                     void *ud, struct ds_error *err)
{
    struct buf text = BUF_INIT;
    int rc = buf_read_file(&text, path, DOTENV_MAX_SIZE);

    if (rc == -EFBIG)
        rc = ds_error_set(err, DS_EINVAL, "cannot read '%s': larger than 16 MiB", path);
    else if (rc < 0)
        rc = ds_error_errno(err, -rc, "cannot read '%s'", path);
    else if (raw)
        rc = dotenv_parse_raw(out, text.buf, text.len, path, lookup, ud, err);
    else
        rc = dotenv_parse(out, text.buf, text.len, path, lookup, ud, err);
    buf_release(&text);
    return rc;
}

int dotenv_load(struct kvlist *out, const char *path, interp_lookup_fn lookup, void *ud,
                struct ds_error *err)
{
    return load_file(out, path, false, lookup, ud, err);
}

int dotenv_load_raw(struct kvlist *out, const char *path, interp_lookup_fn lookup, void *ud,
                    struct ds_error *err)
{
    return load_file(out, path, true, lookup, ud, err);
}
