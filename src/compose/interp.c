/*
 * Compose variable interpolation, following compose-go's template package
 * (github.com/compose-spec/compose-go/v2/template) with a hand-written
 * scanner instead of its regular expression.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compose/interp.h"
#include "util/alloc.h"
#include "util/banned.h"

/* Nesting of evaluated ${...} inside defaults, alternatives and messages. */
#define INTERP_MAX_DEPTH 64

struct interp {
    interp_lookup_fn lookup;
    void *ud;
    struct strvec *unset;
    struct ds_error *err;
    struct buf name; /* scratch: the NUL-terminated name handed to lookup */
};

static bool is_name_start(char c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static size_t name_len(const char *s, size_t len)
{
    size_t n = 0;

    if (!len || !is_name_start(s[0]))
        return 0;
    while (n < len && is_name_char(s[n]))
        n++;
    return n;
}

static const char *lookup_name(struct interp *in, const char *name, size_t len)
{
    if (!in->lookup)
        return NULL;
    buf_reset(&in->name);
    buf_add(&in->name, name, len);
    return in->lookup(in->name.buf, in->ud);
}

static void note_unset(struct interp *in, const char *name, size_t len)
{
    char *copy;

    if (!in->unset)
        return;
    copy = xstrndup(name, len);
    if (strvec_contains(in->unset, copy))
        free(copy);
    else
        strvec_push_nodup(in->unset, copy);
}

/* Judgment call: compose-go quotes the whole string; we quote the ${...} at fault. */
static int invalid(struct interp *in, const char *text, size_t len)
{
    struct buf msg = BUF_INIT;

    buf_adds(&msg, "invalid interpolation format: \"");
    buf_add(&msg, text, len);
    buf_addch(&msg, '"');
    ds_error_set(in->err, DS_EINVAL, "%s", msg.buf);
    buf_release(&msg);
    return DS_EINVAL;
}

/*
 * The index of the '}' that closes the '{' at s[open], or len when there is
 * none. Like compose-go (getFirstBraceClosingIndex), every '{' opens a level,
 * not only "${", so "${A:-{x}}" has the default "{x}". Judgment call: when
 * the braces do not balance, compose-go falls back to the last '}' on the
 * line ("${A:-{}" gives "{"); we call the template invalid.
 */
static size_t closing_brace(const char *s, size_t len, size_t open)
{
    size_t level = 0;

    for (size_t i = open; i < len; i++) {
        if (s[i] == '{') {
            level++;
        } else if (s[i] == '}') {
            if (--level == 0)
                return i;
        }
    }
    return len;
}

static int expand(struct interp *in, struct buf *out, const char *s, size_t len, int depth);

/* The body of ${...} (between the braces); `whole` is the ${...} text for errors. */
static int expand_braced(struct interp *in, struct buf *out, const char *body, size_t blen,
                         const char *whole, size_t wlen, int depth)
{
    size_t n = name_len(body, blen);
    const char *value, *arg;
    size_t i, alen;
    bool colon, set, nonempty;
    char op;

    if (!n)
        return invalid(in, whole, wlen);
    if (n == blen) {
        value = lookup_name(in, body, n);
        if (!value)
            note_unset(in, body, n);
        else
            buf_adds(out, value);
        return 0;
    }
    /* the operator is whatever follows the name: "${A-x:?y}" is a default */
    colon = body[n] == ':';
    i = n + colon;
    if (i >= blen || (body[i] != '-' && body[i] != '?' && body[i] != '+'))
        return invalid(in, whole, wlen);
    op = body[i];
    arg = body + i + 1;
    alen = blen - i - 1;

    value = lookup_name(in, body, n);
    set = value != NULL;
    nonempty = set && *value;

    /* the text after the operator is interpolated only when used, as in compose-go v2.13 */
    switch (op) {
    case '-':
        if (colon ? !nonempty : !set)
            return expand(in, out, arg, alen, depth + 1);
        buf_adds(out, value);
        return 0;
    case '+':
        if (colon ? nonempty : set)
            return expand(in, out, arg, alen, depth + 1);
        return 0;
    default: /* '?' */
        if (colon ? nonempty : set) {
            buf_adds(out, value);
            return 0;
        }
        {
            struct buf msg = BUF_INIT;
            int rc = expand(in, &msg, arg, alen, depth + 1);

            if (rc == 0 && msg.len)
                rc = ds_error_set(in->err, DS_EINVAL,
                                  "required variable %.*s is missing a value: %s", (int)n, body,
                                  msg.buf);
            else if (rc == 0)
                rc = ds_error_set(in->err, DS_EINVAL, "required variable %.*s is missing a value",
                                  (int)n, body);
            buf_release(&msg);
            return rc;
        }
    }
}

static int expand(struct interp *in, struct buf *out, const char *s, size_t len, int depth)
{
    size_t i = 0;

    if (depth > INTERP_MAX_DEPTH)
        return ds_error_set(in->err, DS_EINVAL, "interpolation nested too deeply");
    while (i < len) {
        const char *dollar = memchr(s + i, '$', len - i);
        size_t n;

        if (!dollar) {
            buf_add(out, s + i, len - i);
            break;
        }
        buf_add(out, s + i, (size_t)(dollar - (s + i)));
        i = (size_t)(dollar - s);
        if (i + 1 == len) {
            buf_addch(out, '$'); /* a trailing '$' stays */
            break;
        }
        if (s[i + 1] == '$') {
            buf_addch(out, '$');
            i += 2;
        } else if (s[i + 1] == '{') {
            size_t close = closing_brace(s, len, i + 1);
            int rc;

            if (close == len)
                return invalid(in, s + i, len - i);
            rc = expand_braced(in, out, s + i + 2, close - i - 2, s + i, close + 1 - i, depth);
            if (rc < 0)
                return rc;
            i = close + 1;
        } else if ((n = name_len(s + i + 1, len - i - 1))) {
            const char *value = lookup_name(in, s + i + 1, n);

            if (value)
                buf_adds(out, value);
            else
                note_unset(in, s + i + 1, n);
            i += 1 + n;
        } else {
            buf_addch(out, '$'); /* "$1", "$ ", "$}" are not variables */
            i++;
        }
    }
    return 0;
}

int interp_expand(struct buf *out, const char *in, interp_lookup_fn lookup, void *ud,
                  struct strvec *unset, struct ds_error *err)
{
    struct interp ctx = {lookup, ud, unset, err, BUF_INIT};
    int rc;

    rc = expand(&ctx, out, in, strlen(in), 0);
    buf_release(&ctx.name);
    return rc;
}

int interp_needed(const char *in)
{
    return in && strchr(in, '$') != NULL;
}
