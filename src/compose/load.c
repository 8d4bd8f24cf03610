/* Typed reads of YAML nodes, with file:line:col and the key path in every message. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compose/internal.h"
#include "util/alloc.h"
#include "util/duration.h"
#include "util/strutil.h"
#include "util/banned.h"

static void describe(struct buf *b, struct loader *ld, const struct ynode *n, const char *fmt,
                     va_list ap) __attribute__((format(printf, 4, 0)));

static void describe(struct buf *b, struct loader *ld, const struct ynode *n, const char *fmt,
                     va_list ap)
{
    if (n)
        buf_addf(b, "%s:%d:%d: ", n->file ? n->file : ld->file, n->line, n->col);
    else
        buf_addf(b, "%s: ", ld->file);
    if (ld->path.len)
        buf_addf(b, "%s: ", ld->path.buf);
    buf_vaddf(b, fmt, ap);
}

int compose_fail_at(struct ds_error *err, struct compose_pos pos, const char *what, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    if (pos.file)
        buf_addf(&b, "%s:%d:%d: ", pos.file, pos.line, pos.col);
    va_start(ap, what);
    buf_vaddf(&b, what, ap);
    va_end(ap);
    ds_error_set(err, DS_EINVAL, "%s", b.buf);
    buf_release(&b);
    return DS_EINVAL;
}

int load_fail(struct loader *ld, const struct ynode *n, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    describe(&b, ld, n, fmt, ap);
    va_end(ap);
    ds_error_set(ld->err, DS_EINVAL, "%s", b.buf);
    buf_release(&b);
    return DS_EINVAL;
}

void load_warn(struct loader *ld, const struct ynode *n, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    describe(&b, ld, n, fmt, ap);
    va_end(ap);
    strvec_push_nodup(&ld->p->warnings, buf_detach(&b, NULL));
}

int load_unknown_key(struct loader *ld, const struct ynode *key)
{
    if (str_starts_with(key->text, "x-"))
        return 0;
    return load_fail(ld, key,
                     "unknown key; Compose does not allow it here (a key of your own "
                     "starts with x-)");
}

size_t load_path_key(struct loader *ld, const char *key)
{
    size_t saved = ld->path.len;

    if (ld->path.len)
        buf_addch(&ld->path, '.');
    buf_adds(&ld->path, key);
    return saved;
}

size_t load_path_index(struct loader *ld, size_t i)
{
    size_t saved = ld->path.len;
    char digits[24];
    size_t n = sizeof(digits);

    /* by hand: this runs for every list item, and vsnprintf costs more than the rest */
    do {
        digits[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    buf_addch(&ld->path, '[');
    buf_add(&ld->path, digits + n, sizeof(digits) - n);
    buf_addch(&ld->path, ']');
    return saved;
}

void load_path_pop(struct loader *ld, size_t saved)
{
    buf_setlen(&ld->path, saved);
}

const char *load_kind_name(const struct ynode *n)
{
    switch (n->kind) {
    case YNODE_SEQ:
        return "a list";
    case YNODE_MAP:
        return "a mapping";
    default:
        return "a value";
    }
}

int load_string(struct loader *ld, const struct ynode *n, char **out)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SCALAR)
        return load_fail(ld, n, "must be a string, not %s", load_kind_name(n));
    free(*out);
    *out = xstrdup(n->text);
    return 0;
}

int load_bool(struct loader *ld, const struct ynode *n, int *out)
{
    static const char *const yes[] = {"true", "yes", "y", "on", "1"};
    static const char *const no[] = {"false", "no", "n", "off", "0"};

    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_SCALAR) {
        /* interpolated values are strings: "${TTY:-true}" must still be a bool */
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
            if (!strcasecmp(n->text, yes[i])) {
                *out = 1;
                return 0;
            }
            if (!strcasecmp(n->text, no[i])) {
                *out = 0;
                return 0;
            }
        }
    }
    if (n->kind == YNODE_SCALAR)
        return load_fail(ld, n, "must be a boolean (true or false), not \"%s\"", n->text);
    return load_fail(ld, n, "must be a boolean (true or false), not %s", load_kind_name(n));
}

int load_int(struct loader *ld, const struct ynode *n, int64_t min, int64_t max, int64_t *out)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SCALAR || str_to_int64(n->text, min, max, out) < 0)
        return load_fail(ld, n, "must be a whole number from %lld to %lld, not %s%s%s",
                         (long long)min, (long long)max, n->kind == YNODE_SCALAR ? "\"" : "",
                         n->kind == YNODE_SCALAR ? n->text : load_kind_name(n),
                         n->kind == YNODE_SCALAR ? "\"" : "");
    return 0;
}

int load_duration(struct loader *ld, const struct ynode *n, int64_t *out)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SCALAR || duration_parse(n->text, out) < 0)
        return load_fail(ld, n, "invalid duration %s%s%s (write it like 1m30s, 10s or 500ms)",
                         n->kind == YNODE_SCALAR ? "\"" : "",
                         n->kind == YNODE_SCALAR ? n->text : load_kind_name(n),
                         n->kind == YNODE_SCALAR ? "\"" : "");
    return 0;
}

#define BYTES_MAX (INT64_C(1) << 53)

int parse_bytes(const char *s, int64_t *out)
{
    static const char units[] = "bkmg";
    const char *p = s, *unit;
    int64_t whole = 0, frac = 0, scale = 1, mult = 1;

    /* digits first, as Compose's "64m": no sign, space, "nan", "inf" or hex that strtod takes */
    if (!s || *p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > (INT64_MAX - (*p - '0')) / 10)
            return -1;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '9')
            return -1;
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (scale < 1000000000000LL) {
                frac = frac * 10 + (*p - '0');
                scale *= 10;
            }
        }
    }
    if (*p && (unit = strchr(units, *p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p)) != NULL) {
        for (const char *u = units + 1; u <= unit; u++)
            mult *= 1024;
        p++;
        if (mult > 1 && (*p == 'b' || *p == 'B'))
            p++;
    }
    if (*p || whole > INT64_MAX / mult)
        return -1;
    {
        /* the fraction of the unit, in bytes: less than the unit itself */
        int64_t part = (int64_t)((double)frac * (double)mult / (double)scale);

        /* at most 2^53 (8 PiB), which the JSON of the engine's API carries exactly */
        if (whole * mult > BYTES_MAX - part)
            return -1;
        *out = whole * mult + part;
    }
    return 0;
}

int load_bytes(struct loader *ld, const struct ynode *n, int64_t *out)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SCALAR || parse_bytes(n->text, out) < 0)
        return load_fail(ld, n, "invalid size %s%s%s (write it like 64m, 1g or a number of bytes)",
                         n->kind == YNODE_SCALAR ? "\"" : "",
                         n->kind == YNODE_SCALAR ? n->text : load_kind_name(n),
                         n->kind == YNODE_SCALAR ? "\"" : "");
    return 0;
}

int load_strings(struct loader *ld, const struct ynode *n, bool allow_string, struct strvec *out)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_SCALAR && allow_string) {
        strvec_push(out, n->text);
        return 0;
    }
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a list%s, not %s", allow_string ? " or a string" : "",
                         load_kind_name(n));
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *item = n->items[i];

        if (item->kind != YNODE_SCALAR || ytree_is_null(item)) {
            size_t saved = load_path_index(ld, i);
            int rc = load_fail(ld, item, "must be a string, not %s",
                               item->kind == YNODE_SCALAR ? "null" : load_kind_name(item));
            load_path_pop(ld, saved);
            return rc;
        }
        strvec_push(out, item->text);
    }
    return 0;
}

int load_kv(struct loader *ld, const struct ynode *n, char sep, struct kvlist *out)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_MAP) {
        for (size_t i = 0; i < n->n; i++) {
            const struct ynode *v = n->items[i];

            if (v->kind != YNODE_SCALAR && v->kind != YNODE_NULL) {
                size_t saved = load_path_key(ld, n->keys[i]->text);
                int rc = load_fail(ld, v, "must be a string, a number, a boolean or null, not %s",
                                   load_kind_name(v));
                load_path_pop(ld, saved);
                return rc;
            }
            kvlist_set(out, n->keys[i]->text, ytree_is_null(v) ? NULL : v->text);
        }
        return 0;
    }
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a mapping or a list of \"KEY%cvalue\", not %s", sep,
                         load_kind_name(n));
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *item = n->items[i];
        const char *eq;
        struct buf key = BUF_INIT;

        if (item->kind != YNODE_SCALAR || !*item->text) {
            size_t saved = load_path_index(ld, i);
            int rc = load_fail(ld, item, "must be \"KEY%cvalue\", not %s", sep,
                               item->kind == YNODE_SCALAR ? "an empty string"
                                                          : load_kind_name(item));
            load_path_pop(ld, saved);
            return rc;
        }
        eq = strchr(item->text, sep);
        buf_add(&key, item->text, eq ? (size_t)(eq - item->text) : strlen(item->text));
        kvlist_set(out, key.buf, eq ? eq + 1 : NULL);
        buf_release(&key);
    }
    return 0;
}

int load_options(struct loader *ld, const struct ynode *n, struct kvlist *out)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping of option names to values, not %s",
                         load_kind_name(n));
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *v = n->items[i];

        if (v->kind != YNODE_SCALAR || ytree_is_null(v)) {
            size_t saved = load_path_key(ld, n->keys[i]->text);
            int rc = load_fail(
                    ld, v, "must be a string or a number, not %s",
                    v->kind == YNODE_SCALAR || v->kind == YNODE_NULL ? "null" : load_kind_name(v));
            load_path_pop(ld, saved);
            return rc;
        }
        kvlist_set(out, n->keys[i]->text, v->text);
    }
    return 0;
}

char *load_abs_path(struct loader *ld, const char *path)
{
    struct buf b = BUF_INIT;
    const char *rest;

    if (path[0] == '/') {
        buf_adds(&b, path);
    } else if ((!strcmp(path, "~") || str_skip_prefix(path, "~/", &rest)) && ld->home) {
        buf_addf(&b, "%s%s%s", ld->home, path[1] ? "/" : "", path[1] ? rest : "");
    } else {
        buf_addf(&b, "%s/%s", ld->dir, path);
    }
    /* clean "/./", "//", trailing "/." and "/..": config output shows these paths */
    {
        struct strvec parts = STRVEC_INIT, kept = STRVEC_INIT;
        struct buf clean = BUF_INIT;

        strvec_split(&parts, b.buf, '/');
        for (size_t i = 0; i < parts.n; i++) {
            if (!strcmp(parts.v[i], "."))
                continue;
            if (!strcmp(parts.v[i], "..")) {
                if (kept.n) {
                    free(kept.v[--kept.n]);
                    kept.v[kept.n] = NULL;
                }
                continue;
            }
            strvec_push(&kept, parts.v[i]);
        }
        for (size_t i = 0; i < kept.n; i++)
            buf_addf(&clean, "/%s", kept.v[i]);
        if (!clean.len)
            buf_addch(&clean, '/');
        strvec_clear(&parts);
        strvec_clear(&kept);
        buf_release(&b);
        return buf_detach(&clean, NULL);
    }
}
