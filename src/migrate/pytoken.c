/*
 * Python's tokens, as far as Alembic's revision files need them: a tokenizer
 * that knows enough of Python's lexical rules (strings of every kind,
 * comments, line joining inside brackets and after a backslash, indentation)
 * to cut a module into logical lines, and the decoding of str literals.
 */
#include <stdbool.h>
#include <string.h>

#include "migrate/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/banned.h"

#define lex_fail(lx, line, ...) source_fail((lx)->err, DS_EINVAL, (lx)->path, (line), __VA_ARGS__)

/* ---- the source text ---------------------------------------------------- */

/* Text with "\r\n" and "\r" turned into "\n", a UTF-8 BOM dropped, NUL refused. */
static int normalize(struct buf *out, const char *path, const char *text, size_t len,
                     struct ds_error *err)
{
    const char *p = text, *end = text + len;

    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
        p += 3;
    buf_grow(out, (size_t)(end - p));
    while (p < end) {
        const char *q = p;

        while (q < end && *q != '\r' && *q != '\0')
            q++;
        buf_add(out, p, (size_t)(q - p));
        if (q == end)
            break;
        if (*q == '\0') {
            unsigned line = 1;

            for (const char *c = out->buf; *c; c++)
                line += *c == '\n';
            return source_fail(err, DS_EINVAL, path, line, "source code cannot contain null bytes");
        }
        buf_addch(out, '\n');
        p = q + 1 + (q + 1 < end && q[1] == '\n');
    }
    return DS_OK;
}

int lexer_init(struct lexer *lx, struct buf *src, const char *path, const char *text, size_t len,
               struct ds_error *err)
{
    int rc = normalize(src, path, text, len, err);

    memset(lx, 0, sizeof(*lx));
    if (rc < 0)
        return rc;
    lx->path = path;
    lx->p = src->buf;
    lx->end = src->buf + src->len;
    lx->line = 1;
    lx->need_indent = true;
    lx->err = err;
    return DS_OK;
}

/* ---- logical lines ------------------------------------------------------ */

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* The flags of a string prefix (r, u, b, f, br, rb, fr, rf in any case), or -1. */
static int string_prefix(const char *s, size_t n)
{
    unsigned flags = 0;

    if (n > 2)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned f;

        switch (s[i]) {
        case 'r':
        case 'R':
            f = STR_RAW;
            break;
        case 'b':
        case 'B':
            f = STR_BYTES;
            break;
        case 'f':
        case 'F':
            f = STR_FORMAT;
            break;
        case 'u':
        case 'U':
            if (n != 1)
                return -1;
            f = 0;
            break;
        default:
            return -1;
        }
        if (flags & f)
            return -1;
        flags |= f;
    }
    if ((flags & STR_BYTES) && (flags & STR_FORMAT))
        return -1;
    return (int)flags;
}

static struct token *logline_push(struct logline *ll, enum tok_type type, const char *s, size_t len,
                                  unsigned line, unsigned depth)
{
    struct token *t;

    if (ll->discard)
        ll->n = 0; /* a function body may hold megabytes of literals */
    ll->t = xgrow(ll->t, &ll->alloc, ll->n + 1, sizeof(*ll->t));
    t = &ll->t[ll->n++];
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->s = s;
    t->len = len;
    t->line = line;
    t->depth = depth;
    return t;
}

/* A string literal whose opening quote is at lx->p; the prefix starts at `start`. */
static int lex_string(struct lexer *lx, struct logline *ll, const char *start, unsigned flags)
{
    const char *p = lx->p;
    char q = *p;
    bool triple = p[1] == q && p[2] == q;
    unsigned line = lx->line;
    const char *body;
    struct token *t;

    p += triple ? 3 : 1;
    body = p;
    for (;;) {
        if (p >= lx->end)
            return lex_fail(lx, line,
                            triple ? "unterminated triple-quoted string literal"
                                   : "unterminated string literal");
        if (*p == '\\') {
            /* even in a raw string a backslash keeps the next character in */
            if (p + 1 < lx->end && p[1] == '\n')
                lx->line++;
            p += p + 1 < lx->end ? 2 : 1;
            continue;
        }
        if (*p == '\n') {
            if (!triple)
                return lex_fail(lx, line, "unterminated string literal");
            lx->line++;
            p++;
            continue;
        }
        if (*p == q && (!triple || (p[1] == q && p[2] == q)))
            break;
        p++;
    }
    t = logline_push(ll, TOK_STRING, start, 0, line, lx->depth);
    t->flags = flags;
    t->body = body;
    t->body_len = (size_t)(p - body);
    p += triple ? 3 : 1;
    t->len = (size_t)(p - start);
    lx->p = p;
    return DS_OK;
}

/* The length of the operator at p: **= //= >>= <<= ... and the two-character ones. */
static size_t op_length(const char *p)
{
    char a = p[0], b = a ? p[1] : '\0';

    if ((a == '*' || a == '/' || a == '<' || a == '>') && b == a)
        return p[2] == '=' ? 3 : 2;
    if (a == '.' && b == '.' && p[2] == '.')
        return 3;
    if (b == '=' && a && strchr("=!<>:+-*/%&|^@", a))
        return 2;
    if (a == '-' && b == '>')
        return 2;
    return 1;
}

static int lex_bracket(struct lexer *lx, char c)
{
    static const char pairs[] = "()[]{}";
    const char *at = strchr(pairs, c);

    if ((at - pairs) % 2 == 0) {
        if (lx->depth == LEX_MAX_NESTING)
            return lex_fail(lx, lx->line, "too many nested parentheses");
        lx->open[lx->depth] = c;
        lx->open_line[lx->depth++] = lx->line;
        return DS_OK;
    }
    if (!lx->depth)
        return lex_fail(lx, lx->line, "unmatched '%c'", c);
    if (lx->open[lx->depth - 1] != at[-1])
        return lex_fail(lx, lx->line,
                        "closing parenthesis '%c' does not match opening parenthesis '%c'", c,
                        lx->open[lx->depth - 1]);
    lx->depth--;
    return DS_OK;
}

int lex_line(struct lexer *lx, struct logline *ll)
{
    ll->n = 0;
    for (;;) {
        const char *p;
        unsigned char c;

        if (lx->need_indent) {
            unsigned col = 0;

            for (p = lx->p; p < lx->end; p++) {
                if (*p == ' ')
                    col++;
                else if (*p == '\t')
                    col = (col / 8 + 1) * 8;
                else if (*p == '\f')
                    col = 0;
                else
                    break;
            }
            lx->p = p;
            if (p < lx->end && *p == '#')
                while (lx->p < lx->end && *lx->p != '\n')
                    lx->p++;
            if (lx->p == lx->end)
                return 0;
            if (*lx->p == '\n') {
                lx->p++;
                lx->line++;
                continue;
            }
            ll->indent = col;
            ll->discard = col > 0 && lx->skip_indented;
            lx->need_indent = false;
        }
        while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\f'))
            lx->p++;
        if (lx->p == lx->end) {
            if (lx->depth)
                return lex_fail(lx, lx->open_line[lx->depth - 1], "'%c' was never closed",
                                lx->open[lx->depth - 1]);
            lx->need_indent = true;
            return ll->n ? 1 : 0;
        }
        p = lx->p;
        c = (unsigned char)*p;
        if (c == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
            continue;
        }
        if (c == '\\') {
            if (p + 1 < lx->end && p[1] == '\n') {
                lx->p += 2;
                lx->line++;
                continue;
            }
            if (p + 1 == lx->end)
                return lex_fail(lx, lx->line, "unexpected end of file after a line continuation");
            return lex_fail(lx, lx->line, "unexpected character after line continuation character");
        }
        if (c == '\n') {
            lx->p++;
            lx->line++;
            if (lx->depth || !ll->n)
                continue;
            lx->need_indent = true;
            return 1;
        }
        if (is_ident_start(c)) {
            const char *q = p;
            int flags;

            while (q < lx->end && is_ident_char((unsigned char)*q))
                q++;
            if ((*q == '\'' || *q == '"') && (flags = string_prefix(p, (size_t)(q - p))) >= 0) {
                int rc;

                lx->p = q;
                rc = lex_string(lx, ll, p, (unsigned)flags);
                if (rc < 0)
                    return rc;
                continue;
            }
            logline_push(ll, TOK_NAME, p, (size_t)(q - p), lx->line, lx->depth);
            lx->p = q;
            continue;
        }
        if ((c >= '0' && c <= '9') || (c == '.' && p[1] >= '0' && p[1] <= '9')) {
            const char *q = p;

            while (q < lx->end && (is_ident_char((unsigned char)*q) || *q == '.'))
                q++;
            logline_push(ll, TOK_NUMBER, p, (size_t)(q - p), lx->line, lx->depth);
            lx->p = q;
            continue;
        }
        if (c == '\'' || c == '"') {
            int rc = lex_string(lx, ll, p, 0);

            if (rc < 0)
                return rc;
            continue;
        }
        if (strchr("([{", c) && c) {
            logline_push(ll, TOK_OP, p, 1, lx->line, lx->depth);
            if (lex_bracket(lx, (char)c) < 0)
                return DS_EINVAL;
            lx->p++;
            continue;
        }
        if (strchr(")]}", c) && c) {
            if (lex_bracket(lx, (char)c) < 0)
                return DS_EINVAL;
            logline_push(ll, TOK_OP, p, 1, lx->line, lx->depth);
            lx->p++;
            continue;
        }
        {
            size_t n = op_length(p);

            logline_push(ll, TOK_OP, p, n, lx->line, lx->depth);
            lx->p += n;
        }
    }
}

bool tok_is(const struct token *t, enum tok_type type, const char *s)
{
    return t->type == type && t->len == strlen(s) && !memcmp(t->s, s, t->len);
}

bool tok_op(const struct token *t, const char *s)
{
    return tok_is(t, TOK_OP, s);
}

/* ---- string literals ------------------------------------------------------ */

static void add_utf8(struct buf *b, unsigned long cp)
{
    if (cp < 0x80) {
        buf_addch(b, (char)cp);
    } else if (cp < 0x800) {
        buf_addch(b, (char)(0xc0 | (cp >> 6)));
        buf_addch(b, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        buf_addch(b, (char)(0xe0 | (cp >> 12)));
        buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_addch(b, (char)(0x80 | (cp & 0x3f)));
    } else {
        buf_addch(b, (char)(0xf0 | (cp >> 18)));
        buf_addch(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
        buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_addch(b, (char)(0x80 | (cp & 0x3f)));
    }
}

int string_decode(struct buf *out, const struct token *t, bool names_verbatim, const char *path,
                  struct ds_error *err)
{
    const char *p = t->body, *end = t->body + t->body_len;
    unsigned line = t->line;

    if (t->flags & STR_RAW) {
        buf_add(out, p, t->body_len);
        return DS_OK;
    }
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        char c;

        if (!bs) {
            buf_add(out, p, (size_t)(end - p));
            break;
        }
        buf_add(out, p, (size_t)(bs - p));
        for (const char *q = p; q < bs; q++)
            line += *q == '\n';
        p = bs + 1;
        if (p == end) {
            buf_addch(out, '\\');
            break;
        }
        c = *p++;
        switch (c) {
        case '\n':
            line++;
            break;
        case '\\':
        case '\'':
        case '"':
            buf_addch(out, c);
            break;
        case 'a':
            buf_addch(out, '\a');
            break;
        case 'b':
            buf_addch(out, '\b');
            break;
        case 'f':
            buf_addch(out, '\f');
            break;
        case 'n':
            buf_addch(out, '\n');
            break;
        case 'r':
            buf_addch(out, '\r');
            break;
        case 't':
            buf_addch(out, '\t');
            break;
        case 'v':
            buf_addch(out, '\v');
            break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
            unsigned long v = (unsigned long)(c - '0');

            for (int k = 0; k < 2 && p < end && *p >= '0' && *p <= '7'; k++)
                v = v * 8 + (unsigned long)(*p++ - '0');
            add_utf8(out, v);
            break;
        }
        case 'x':
        case 'u':
        case 'U': {
            int digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            unsigned long v = 0;

            for (int k = 0; k < digits; k++) {
                int h = p < end ? str_hex_value(*p) : -1;

                if (h < 0)
                    return source_fail(err, DS_EINVAL, path, line,
                                       "truncated \\%c escape in a string", c);
                v = v * 16 + (unsigned long)h;
                p++;
            }
            if (v > 0x10ffff)
                return source_fail(err, DS_EINVAL, path, line,
                                   "illegal Unicode character in a string");
            add_utf8(out, v);
            break;
        }
        case 'N':
            if (!names_verbatim)
                return source_fail(err, DS_EINVAL, path, line, "cannot decode a \\N{...} escape");
            buf_addch(out, '\\');
            buf_addch(out, c);
            break;
        default:
            /* an unknown escape keeps its backslash */
            buf_addch(out, '\\');
            buf_addch(out, c);
            break;
        }
    }
    return DS_OK;
}
