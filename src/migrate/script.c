/*
 * Alembic's revision files, read without Python: a tokenizer that knows
 * enough of Python's lexical rules (strings of every kind, comments, line
 * joining inside brackets and after a backslash, indentation) to find the
 * module docstring and the module-level assignments Alembic reads from the
 * imported module (alembic/script/base.py, Script.__init__), and the
 * directory walk of ScriptDirectory._load_revisions().
 *
 * What it cannot be sure of is an error naming path:line, never a guess: an
 * assignment to one of the four names whose value is not a literal, or that
 * only runs under a condition.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrate/internal.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/path.h"
#include "util/strutil.h"
#include "util/banned.h"

#define REVFILE_MAX_SIZE (16u << 20)
/* CPython's limit on nested brackets (MAXLEVEL in the tokenizer) */
#define MAX_NESTING 200

/* ---- tokens ------------------------------------------------------------- */

enum tok_type { TOK_NAME, TOK_NUMBER, TOK_STRING, TOK_OP };

#define STR_RAW    1u
#define STR_BYTES  2u
#define STR_FORMAT 4u

struct token {
    enum tok_type type;
    const char *s; /* the text, prefix and quotes included for a string */
    size_t len;
    unsigned line;
    unsigned depth; /* brackets open around the token (a bracket is outside itself) */
    /* strings only */
    unsigned flags;
    const char *body; /* between the quotes, undecoded */
    size_t body_len;
};

/* One logical line: what Python calls a line after joining. */
struct logline {
    struct token *t;
    size_t n, alloc;
    unsigned indent; /* columns, tabs to multiples of 8 */
    bool discard;    /* nobody reads this line: keep only its last token */
};

struct lexer {
    const char *path;
    const char *p, *end; /* NUL-terminated, newlines normalized to \n */
    unsigned line;
    char open[MAX_NESTING];
    unsigned open_line[MAX_NESTING];
    unsigned depth;
    bool need_indent;   /* at the start of a logical line */
    bool skip_indented; /* indented lines are of a def or class: not worth keeping */
    struct ds_error *err;
};

#define lex_fail(lx, line, ...) source_fail((lx)->err, DS_EINVAL, (lx)->path, (line), __VA_ARGS__)

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
        if (lx->depth == MAX_NESTING)
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

/*
 * The next logical line into ll: 1, or 0 at the end of the file, or an error.
 * Blank lines and comments make no logical line.
 */
static int lex_line(struct lexer *lx, struct logline *ll)
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

static bool tok_is(const struct token *t, enum tok_type type, const char *s)
{
    return t->type == type && t->len == strlen(s) && !memcmp(t->s, s, t->len);
}

static bool tok_op(const struct token *t, const char *s)
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

/*
 * Append the value of a str literal (not bytes, not an f-string) to out,
 * escapes decoded as Python decodes them. \N{...} needs Unicode's name
 * table: kept as written when `names_verbatim`, else it is an error, as is a
 * malformed escape.
 */
static int string_decode(struct buf *out, const struct token *t, bool names_verbatim,
                         const char *path, struct ds_error *err)
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

/* ---- Python whitespace (str.strip()) over UTF-8 ---------------------------- */

static char *py_strip_dup(const char *s, size_t len)
{
    const char *e = s + len;

    py_strip(&s, &e);
    return xstrndup(s, (size_t)(e - s));
}

/* ---- statements ---------------------------------------------------------------- */

enum target { T_REVISION, T_DOWN, T_LABELS, T_DEPENDS, T_COUNT };

static const char *const target_names[T_COUNT] = {"revision", "down_revision", "branch_labels",
                                                  "depends_on"};

/* What a column-0 compound statement opened: whose indented lines follow. */
enum block { B_NONE, B_DEF, B_COND };

struct parser {
    const char *path;
    struct ds_error *err;
    struct revision *rev;
    bool have[T_COUNT];
    unsigned revision_line;
    bool first_statement_done;
    enum block block;
    char block_kw[16];      /* the keyword that opened a B_COND block */
    long nested_def_indent; /* inside a B_COND block: a def or class, else -1 */
};

#define ps_fail(ps, line, ...) source_fail((ps)->err, DS_EINVAL, (ps)->path, (line), __VA_ARGS__)

static int target_of(const struct token *t)
{
    if (t->type != TOK_NAME)
        return -1;
    for (int i = 0; i < T_COUNT; i++)
        if (tok_is(t, TOK_NAME, target_names[i]))
            return i;
    return -1;
}

enum vkind { V_NONE, V_STR, V_SEQ };

struct value {
    enum vkind kind;
    struct strvec items; /* V_STR: the one string */
};

struct vparse {
    struct parser *ps;
    const struct token *t;
    size_t i, end;
    const char *name;
};

static int value_fail(struct vparse *vp, size_t at)
{
    unsigned line = at < vp->end ? vp->t[at].line : vp->t[vp->end - 1].line;

    return ps_fail(vp->ps, line,
                   "cannot understand the value of '%s': expected a string, None, or a tuple or "
                   "list of strings",
                   vp->name);
}

/* One or more adjacent str literals, concatenated. */
static int parse_strings(struct vparse *vp, struct value *out)
{
    struct buf b = BUF_INIT;

    while (vp->i < vp->end && vp->t[vp->i].type == TOK_STRING) {
        const struct token *t = &vp->t[vp->i];

        if (t->flags & (STR_BYTES | STR_FORMAT)) {
            buf_release(&b);
            return value_fail(vp, vp->i);
        }
        if (string_decode(&b, t, false, vp->ps->path, vp->ps->err) < 0) {
            buf_release(&b);
            return DS_EINVAL;
        }
        vp->i++;
    }
    if (memchr(b.buf, '\0', b.len)) {
        buf_release(&b);
        return value_fail(vp, vp->i - 1);
    }
    out->kind = V_STR;
    strvec_push(&out->items, b.buf);
    buf_release(&b);
    return DS_OK;
}

static int parse_list(struct vparse *vp, struct value *out, const char *close);

/* atom := strings | None | '(' ')' | '(' list ')' | '[' ']' | '[' list ']' */
static int parse_atom(struct vparse *vp, struct value *out)
{
    const struct token *t;

    if (vp->i >= vp->end)
        return value_fail(vp, vp->i);
    t = &vp->t[vp->i];
    if (t->type == TOK_STRING)
        return parse_strings(vp, out);
    if (tok_is(t, TOK_NAME, "None")) {
        vp->i++;
        out->kind = V_NONE;
        return DS_OK;
    }
    if (tok_op(t, "(") || tok_op(t, "[")) {
        const char *close = tok_op(t, "(") ? ")" : "]";
        int rc;

        vp->i++;
        rc = parse_list(vp, out, close);
        if (rc < 0)
            return rc;
        if (vp->i >= vp->end || !tok_op(&vp->t[vp->i], close))
            return value_fail(vp, vp->i);
        vp->i++;
        return DS_OK;
    }
    return value_fail(vp, vp->i);
}

/*
 * Elements up to `close` (NULL: the end of the statement): one without a
 * comma is itself (a parenthesised value) unless in a list, else a sequence
 * of strings, trailing comma allowed.
 */
static int parse_list(struct vparse *vp, struct value *out, const char *close)
{
    bool list = close && !strcmp(close, "]");
    bool comma = false;
    size_t count = 0;

    out->kind = V_SEQ;
    for (;;) {
        struct value v = {V_NONE, STRVEC_INIT};
        size_t at = vp->i;
        int rc;

        if (vp->i >= vp->end || (close && tok_op(&vp->t[vp->i], close)))
            break;
        rc = parse_atom(vp, &v);
        if (rc < 0) {
            strvec_clear(&v.items);
            return rc;
        }
        count++;
        if (count == 1 && !list && (vp->i >= vp->end || !tok_op(&vp->t[vp->i], ","))) {
            /* a value in parentheses, not a tuple */
            strvec_clear(&out->items);
            *out = v;
            return DS_OK;
        }
        if (v.kind != V_STR) {
            strvec_clear(&v.items);
            return value_fail(vp, at);
        }
        strvec_push(&out->items, v.items.v[0]);
        strvec_clear(&v.items);
        comma = vp->i < vp->end && tok_op(&vp->t[vp->i], ",");
        if (!comma)
            break;
        vp->i++;
    }
    if (!count && !close)
        return value_fail(vp, vp->i);
    return DS_OK;
}

static bool has_illegal_id_char(const char *s, char *which)
{
    /* Revision.verify_rev_id(): _revision_illegal_chars */
    for (; *s; s++)
        if (*s == '@' || *s == '-' || *s == '+') {
            *which = *s;
            return true;
        }
    return false;
}

static int assign(struct parser *ps, int target, const struct token *t, size_t a, size_t b)
{
    struct vparse vp = {ps, t, a, b, target_names[target]};
    struct value v = {V_NONE, STRVEC_INIT};
    struct strvec *dst = NULL;
    int rc;

    if (a >= b)
        return ps_fail(ps, t[a ? a - 1 : 0].line, "cannot understand the value of '%s'",
                       target_names[target]);
    rc = parse_list(&vp, &v, NULL);
    if (rc < 0)
        goto done;
    if (vp.i != b) {
        rc = value_fail(&vp, vp.i);
        goto done;
    }
    switch (target) {
    case T_REVISION: {
        char bad;

        if (v.kind != V_STR || !*v.items.v[0]) {
            rc = ps_fail(ps, t[a].line,
                         "cannot understand the value of 'revision': expected a "
                         "non-empty string");
            goto done;
        }
        if (has_illegal_id_char(v.items.v[0], &bad)) {
            rc = ps_fail(ps, t[a].line, "character '%c' not allowed in revision identifier '%s'",
                         bad, v.items.v[0]);
            goto done;
        }
        free(ps->rev->id);
        ps->rev->id = xstrdup(v.items.v[0]);
        ps->revision_line = t[a].line;
        break;
    }
    case T_DOWN:
        dst = &ps->rev->down;
        break;
    case T_LABELS:
        dst = &ps->rev->branch_labels;
        break;
    case T_DEPENDS:
        dst = &ps->rev->depends_on;
        break;
    }
    if (dst) {
        strvec_clear(dst);
        /* tuple_rev_as_scalar(): a lone "" is None for down_revision and depends_on */
        if (v.kind == V_STR && !*v.items.v[0] && target != T_LABELS)
            v.kind = V_NONE;
        if (v.kind != V_NONE)
            strvec_copy(dst, &v.items);
    }
    ps->have[target] = true;

done:
    strvec_clear(&v.items);
    return rc;
}

/*
 * Is one of the four names a store target in t[a, b) other than as the whole
 * target? e.g. `revision, down_revision = ...` or `(revision) = ...`.
 */
static int nested_target(const struct token *t, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        int target = target_of(&t[i]);
        bool before, after;

        if (target < 0)
            continue;
        before = i == a || tok_op(&t[i - 1], ",") || tok_op(&t[i - 1], "*");
        if (!before && (tok_op(&t[i - 1], "(") || tok_op(&t[i - 1], "["))) {
            /* a bracket that groups targets, not one that calls or subscripts */
            before = i - 1 == a || (t[i - 2].type == TOK_OP && !tok_op(&t[i - 2], ")") &&
                                    !tok_op(&t[i - 2], "]"));
        }
        after = i + 1 == b || tok_op(&t[i + 1], ",") || tok_op(&t[i + 1], ")") ||
                tok_op(&t[i + 1], "]");
        if (before && after)
            return target;
    }
    return -1;
}

/*
 * One simple statement t[a, b). Assignments to the four names are taken, or,
 * when `cond` names the block they sit in, refused.
 */
static int simple_statement(struct parser *ps, const struct token *t, size_t a, size_t b,
                            const char *cond)
{
    size_t last_eq = b, start = a;
    unsigned depth = t[a].depth;
    bool first = true;
    int target;

    for (size_t i = a; i < b; i++)
        if (t[i].depth == depth && tok_op(&t[i], "="))
            last_eq = i;
    if (last_eq == b) {
        /* `revision += 'x'` and the like */
        target = target_of(&t[a]);
        if (target >= 0 && a + 1 < b && t[a + 1].type == TOK_OP && t[a + 1].len >= 2 &&
            t[a + 1].s[t[a + 1].len - 1] == '=' && !tok_op(&t[a + 1], "==") &&
            !tok_op(&t[a + 1], "<=") && !tok_op(&t[a + 1], ">=") && !tok_op(&t[a + 1], "!="))
            return ps_fail(ps, t[a].line,
                           "cannot understand the value of '%s': augmented assignment",
                           target_names[target]);
        return DS_OK;
    }
    /* targets = targets = ... = value */
    for (size_t i = a; i <= last_eq; i++) {
        size_t end = i;

        if (t[i].depth != depth || !tok_op(&t[i], "="))
            continue;
        if (first)
            for (size_t k = start; k < end; k++)
                if (t[k].depth == depth && tok_op(&t[k], ":")) {
                    end = k; /* an annotation: `revision: str = ...` */
                    break;
                }
        first = false;
        target = end == start + 1 ? target_of(&t[start]) : -1;
        if (target < 0) {
            target = nested_target(t, start, end);
            if (target >= 0)
                return ps_fail(ps, t[start].line, "cannot understand the assignment to '%s'",
                               target_names[target]);
        } else if (cond) {
            return ps_fail(ps, t[start].line,
                           "cannot understand the value of '%s': it is assigned inside an '%s' "
                           "block",
                           target_names[target], cond);
        } else {
            int rc = assign(ps, target, t, last_eq + 1, b);

            if (rc < 0)
                return rc;
        }
        start = i + 1;
    }
    return DS_OK;
}

/* Each `;`-separated statement of t[a, b). */
static int simple_statements(struct parser *ps, const struct token *t, size_t a, size_t b,
                             const char *cond)
{
    unsigned depth = a < b ? t[a].depth : 0;
    size_t start = a;

    for (size_t i = a; i <= b; i++) {
        if (i < b && !(t[i].depth == depth && tok_op(&t[i], ";")))
            continue;
        if (i > start) {
            int rc = simple_statement(ps, t, start, i, cond);

            if (rc < 0)
                return rc;
        }
        start = i + 1;
    }
    return DS_OK;
}

/* The module docstring: a first statement made only of str literals, maybe in parentheses. */
static int take_docstring(struct parser *ps, const struct token *t, size_t a, size_t b)
{
    struct buf doc = BUF_INIT;
    const char *dd;
    int rc = DS_OK;

    while (b - a >= 2 && tok_op(&t[a], "(") && tok_op(&t[b - 1], ")")) {
        bool outer = true;

        for (size_t i = a + 1; i < b - 1; i++)
            if (t[i].depth <= t[a].depth)
                outer = false;
        if (!outer)
            break;
        a++;
        b--;
    }
    if (a == b)
        return DS_OK;
    for (size_t i = a; i < b; i++)
        if (t[i].type != TOK_STRING || (t[i].flags & (STR_BYTES | STR_FORMAT)))
            return DS_OK;
    for (size_t i = a; i < b; i++) {
        rc = string_decode(&doc, &t[i], true, ps->path, ps->err);
        if (rc < 0)
            goto done;
    }
    free(ps->rev->longdoc);
    free(ps->rev->doc);
    free(ps->rev->create_date);
    ps->rev->create_date = NULL;
    ps->rev->longdoc = py_strip_dup(doc.buf, doc.len);
    dd = strstr(ps->rev->longdoc, "\n\n");
    ps->rev->doc = dd ? xstrndup(ps->rev->longdoc, (size_t)(dd - ps->rev->longdoc))
                      : xstrdup(ps->rev->longdoc);
    for (const char *l = ps->rev->longdoc; l && *l;) {
        const char *nl = strchr(l, '\n'), *s = l;
        size_t n = nl ? (size_t)(nl - l) : strlen(l);

        while (s < l + n && (*s == ' ' || *s == '\t'))
            s++;
        if (!strncmp(s, "Create Date:", 12) && (size_t)(s - l) + 12 <= n) {
            s += 12;
            while (s < l + n && (*s == ' ' || *s == '\t'))
                s++;
            ps->rev->create_date = py_strip_dup(s, n - (size_t)(s - l));
            break;
        }
        l = nl ? nl + 1 : NULL;
    }

done:
    buf_release(&doc);
    return rc;
}

static bool is_keyword(const struct token *t, const char *const *words)
{
    for (; *words; words++)
        if (tok_is(t, TOK_NAME, *words))
            return true;
    return false;
}

static const char *const def_words[] = {"def", "class", NULL};
static const char *const compound_words[] = {"if",  "elif",   "else",    "for",  "while",
                                             "try", "except", "finally", "with", NULL};

/* The first depth-0 ':' that ends a compound statement's header, or b. */
static size_t header_end(const struct token *t, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (t[i].depth == t[a].depth && tok_op(&t[i], ":"))
            return i;
    return b;
}

static int logical_line(struct parser *ps, const struct logline *ll)
{
    const struct token *t = ll->t;
    size_t n = ll->n;
    bool first = !ps->first_statement_done;

    ps->first_statement_done = true;
    if (ll->indent == 0) {
        bool is_async = tok_is(&t[0], TOK_NAME, "async") && n > 1;
        const struct token *kw = is_async ? &t[1] : &t[0];

        ps->nested_def_indent = -1;
        if (tok_op(&t[0], "@") || is_keyword(kw, def_words)) {
            ps->block = B_DEF;
            return DS_OK;
        }
        if (is_keyword(kw, compound_words) || tok_op(&t[n - 1], ":")) {
            size_t colon = header_end(t, 0, n);
            size_t klen = kw->len < sizeof(ps->block_kw) ? kw->len : sizeof(ps->block_kw) - 1;

            ps->block = B_COND;
            memcpy(ps->block_kw, kw->s, klen);
            ps->block_kw[klen] = '\0';
            if (colon + 1 < n)
                return simple_statements(ps, t, colon + 1, n, ps->block_kw);
            return DS_OK;
        }
        ps->block = B_NONE;
        if (first) {
            size_t end = 0;
            int rc;

            while (end < n && !(t[end].depth == 0 && tok_op(&t[end], ";")))
                end++;
            rc = take_docstring(ps, t, 0, end);
            if (rc < 0)
                return rc;
        }
        return simple_statements(ps, t, 0, n, NULL);
    }

    /* indented: the body of a column-0 compound statement */
    if (ps->block == B_NONE)
        return ps_fail(ps, t[0].line, "unexpected indent");
    if (ps->block != B_COND)
        return DS_OK;
    if (ps->nested_def_indent >= 0 && (long)ll->indent > ps->nested_def_indent)
        return DS_OK;
    ps->nested_def_indent = -1;
    {
        bool is_async = tok_is(&t[0], TOK_NAME, "async") && n > 1;
        const struct token *kw = is_async ? &t[1] : &t[0];

        if (tok_op(&t[0], "@") || is_keyword(kw, def_words)) {
            ps->nested_def_indent = ll->indent;
            return DS_OK;
        }
        if (is_keyword(kw, compound_words) || tok_op(&t[n - 1], ":")) {
            size_t colon = header_end(t, 0, n);

            if (colon + 1 < n)
                return simple_statements(ps, t, colon + 1, n, ps->block_kw);
            return DS_OK;
        }
    }
    return simple_statements(ps, t, 0, n, ps->block_kw);
}

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

/*
 * The file's revision, also when it has no `revision` (id NULL then); have
 * says which of the four names were assigned.
 */
static int parse_file(struct revision **out, bool have[T_COUNT], unsigned *revision_line,
                      const char *path, const char *text, size_t len, struct ds_error *err)
{
    struct buf src = BUF_INIT;
    struct logline ll = {NULL, 0, 0, 0, false};
    struct lexer lx;
    struct parser ps;
    int rc;

    *out = NULL;
    memset(&ps, 0, sizeof(ps));
    ps.path = path;
    ps.err = err;
    ps.nested_def_indent = -1;
    ps.rev = xcalloc(1, sizeof(*ps.rev));
    strvec_init(&ps.rev->down);
    strvec_init(&ps.rev->branch_labels);
    strvec_init(&ps.rev->depends_on);
    ps.rev->path = xstrdup(path);

    rc = normalize(&src, path, text, len, err);
    if (rc < 0)
        goto done;
    memset(&lx, 0, sizeof(lx));
    lx.path = path;
    lx.p = src.buf;
    lx.end = src.buf + src.len;
    lx.line = 1;
    lx.need_indent = true;
    lx.err = err;
    for (;;) {
        lx.skip_indented = ps.block == B_DEF;
        rc = lex_line(&lx, &ll);
        if (rc <= 0)
            break;
        rc = logical_line(&ps, &ll);
        if (rc < 0)
            break;
    }
    if (rc < 0)
        goto done;
    if (!ps.rev->longdoc) {
        ps.rev->longdoc = xstrdup("");
        ps.rev->doc = xstrdup("");
    }
    memcpy(have, ps.have, sizeof(ps.have));
    *revision_line = ps.revision_line;
    *out = ps.rev;
    ps.rev = NULL;

done:
    revision_free(ps.rev);
    free(ll.t);
    buf_release(&src);
    return rc;
}

int revision_parse(struct revision **out, const char *path, const char *text, size_t len,
                   struct ds_error *err)
{
    struct revision *rev;
    bool have[T_COUNT];
    unsigned line;
    int rc;

    *out = NULL;
    rc = parse_file(&rev, have, &line, path, text, len, err);
    if (rc < 0)
        return rc;
    if (!have[T_REVISION]) {
        revision_free(rev);
        return DS_OK;
    }
    if (!have[T_DOWN]) {
        /* Script.__init__ reads module.down_revision without a default */
        revision_free(rev);
        return source_fail(err, DS_EINVAL, path, line,
                           "'revision' is set but 'down_revision' is not");
    }
    *out = rev;
    return DS_OK;
}

void revision_free(struct revision *rev)
{
    if (!rev)
        return;
    free(rev->id);
    strvec_clear(&rev->down);
    strvec_clear(&rev->branch_labels);
    strvec_clear(&rev->depends_on);
    free(rev->longdoc);
    free(rev->doc);
    free(rev->create_date);
    free(rev->path);
    free(rev->deps);
    free(rev->norm_deps);
    free(rev->nextrev);
    free(rev->all_nextrev);
    free(rev);
}

/* ---- the version locations ------------------------------------------------------ */

struct loader {
    struct revmap *map;
    struct strvec seen; /* real paths loaded so far */
    struct ds_error *err;
};

/* _only_source_rev_file, (?!\.\#|__init__)(.*\.py)$, as re.match() applies it */
static bool is_script_name(const char *name)
{
    size_t n = strlen(name);

    if (!strncmp(name, ".#", 2) || !strncmp(name, "__init__", 8) || strchr(name, '\n'))
        return false;
    return n >= 3 && !strcmp(name + n - 3, ".py");
}

/* _legacy_rev, ([a-f0-9]+)\.py$: the revision id of an Alembic 0.1 file is its name */
static bool is_legacy_name(const char *name)
{
    size_t n = strspn(name, "0123456789abcdef");

    return n && !strcmp(name + n, ".py");
}

/*
 * Script._from_filename() for dir/name: not a script name is skipped; a file
 * without `revision` is an error unless its name is a legacy revision id.
 */
static int load_script(struct loader *ld, const char *dir, const char *name)
{
    struct buf text = BUF_INIT;
    struct revision *rev = NULL;
    char *path = path_join(dir, name);
    bool have[T_COUNT];
    unsigned line;
    int rc = DS_OK;

    if (!is_script_name(name))
        goto done;
    rc = source_read(&text, path, REVFILE_MAX_SIZE, ld->err);
    if (rc < 0)
        goto done;
    rc = parse_file(&rev, have, &line, path, text.buf, text.len, ld->err);
    if (rc < 0)
        goto done;
    if (!have[T_REVISION]) {
        if (!is_legacy_name(name)) {
            rc = source_fail(ld->err, DS_EINVAL, path, 0,
                             "cannot determine the revision id: no 'revision' "
                             "assignment");
            ds_error_hint(ld->err, "Alembic requires every .py file in a version location to "
                                   "be a revision script");
            goto done;
        }
        rev->id = xstrndup(name, strlen(name) - 3);
    }
    if (!have[T_DOWN]) {
        /* Script.__init__ reads module.down_revision without a default */
        rc = source_fail(ld->err, DS_EINVAL, path, line, "no 'down_revision' assignment");
        goto done;
    }
    revmap_add(ld->map, rev);
    rev = NULL;

done:
    revision_free(rev);
    buf_release(&text);
    free(path);
    return rc;
}

/* The first time a real path comes up: ScriptDirectory._load_revisions()'s `dupes`. */
static bool first_sight(struct loader *ld, const char *path, char **real_out)
{
    char *real = realpath(path, NULL);

    if (!real)
        real = xstrdup(path);
    if (strvec_contains(&ld->seen, real)) {
        free(real);
        return false;
    }
    strvec_push(&ld->seen, real);
    if (real_out)
        *real_out = real;
    else
        free(real);
    return true;
}

/* Alembic 1.8: os.listdir() order, which is readdir()'s. */
static int load_dir(struct loader *ld, const char *dir, bool must_exist)
{
    struct strvec names = STRVEC_INIT;
    struct dirent *e;
    DIR *d = opendir(dir);
    int rc = DS_OK;

    if (!d) {
        if (!must_exist && errno == ENOENT)
            return DS_OK;
        return ds_error_errno(ld->err, errno, "cannot list the version location '%s'", dir);
    }
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            strvec_push(&names, e->d_name);
    closedir(d);
    for (size_t i = 0; i < names.n && rc == DS_OK; i++) {
        char *path = path_join(dir, names.v[i]);

        if (first_sight(ld, path, NULL))
            rc = load_script(ld, dir, names.v[i]);
        free(path);
    }
    strvec_clear(&names);
    return rc;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * recursive_version_locations (Alembic 1.10 and later, Script._list_py_dir):
 * os.walk() top-down, each directory's files in sorted order and then its
 * subdirectories in sorted order, __pycache__ left out, symbolic links to
 * directories not followed, unreadable directories silently skipped; the
 * scripts are named by their real paths.
 */
static int walk_dir(struct loader *ld, const char *dir, unsigned depth)
{
    struct strvec files = STRVEC_INIT, dirs = STRVEC_INIT;
    size_t n = strlen(dir);
    struct dirent *e;
    DIR *d;
    int rc = DS_OK;

    if ((n >= 11 && !strcmp(dir + n - 11, "__pycache__")) || depth > 64)
        return DS_OK;
    d = opendir(dir);
    if (!d)
        return DS_OK;
    while ((e = readdir(d))) {
        char *path;
        struct stat st;

        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        path = path_join(dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (lstat(path, &st) == 0 && !S_ISLNK(st.st_mode))
                strvec_push(&dirs, e->d_name);
        } else {
            strvec_push(&files, e->d_name);
        }
        free(path);
    }
    closedir(d);
    qsort(files.v, files.n, sizeof(*files.v), compare_names);
    qsort(dirs.v, dirs.n, sizeof(*dirs.v), compare_names);
    for (size_t i = 0; i < files.n && rc == DS_OK; i++) {
        char *path = path_join(dir, files.v[i]), *real = NULL;

        if (first_sight(ld, path, &real)) {
            char *slash = strrchr(real, '/');
            char *rdir = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));

            rc = load_script(ld, rdir, slash + 1);
            free(rdir);
            free(real);
        }
        free(path);
    }
    for (size_t i = 0; i < dirs.n && rc == DS_OK; i++) {
        char *path = path_join(dir, dirs.v[i]);

        rc = walk_dir(ld, path, depth + 1);
        free(path);
    }
    strvec_clear(&files);
    strvec_clear(&dirs);
    return rc;
}

int revmap_load(struct revmap *map, const struct alembic_ini *ini, struct ds_error *err)
{
    struct loader ld = {map, STRVEC_INIT, err};
    struct buf def = BUF_INIT;
    bool defaulted;
    int rc = DS_OK;

    /* ScriptDirectory.__init__ */
    if (access(ini->script_location, F_OK) < 0) {
        if (ini->script_location_line)
            rc = ds_error_set(err, DS_ENOTFOUND, "%s:%u: script location '%s' does not exist",
                              ini->path, ini->script_location_line, ini->script_location);
        else
            rc = ds_error_set(err, DS_ENOTFOUND, "script location '%s' does not exist",
                              ini->script_location);
        ds_error_hint(err, "create it with 'alembic init', or fix 'script_location'");
        goto done;
    }
    /*
     * Alembic skips a version location that does not exist, except the
     * default <script_location>/versions, which it lists regardless.
     */
    buf_adds(&def, ini->script_location);
    if (!def.len || def.buf[def.len - 1] != '/')
        buf_addch(&def, '/');
    buf_adds(&def, "versions");
    defaulted = ini->version_locations.n == 1 && !strcmp(ini->version_locations.v[0], def.buf);
    for (size_t i = 0; i < ini->version_locations.n && rc == DS_OK; i++) {
        const char *loc = ini->version_locations.v[i];

        if (ini->recursive_version_locations)
            rc = walk_dir(&ld, loc, 0);
        else
            rc = load_dir(&ld, loc, defaulted);
    }
    if (rc == DS_OK)
        rc = revmap_build(map, err);

done:
    strvec_clear(&ld.seen);
    buf_release(&def);
    return rc;
}
