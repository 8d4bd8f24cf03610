/*
 * One Alembic revision file read without Python: the module docstring and
 * the module-level assignments Alembic reads from the imported module
 * (alembic/script/base.py, Script.__init__), from the logical lines of
 * pytoken.c; and the lifetime of a struct revision.
 *
 * What it cannot be sure of is an error naming path:line, never a guess: an
 * assignment to one of the four names whose value is not a literal, or that
 * only runs under a condition.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/internal.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/banned.h"

/* A copy of [s, s + len) with str.strip() applied. */
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

/* What a logical line opens: a def or class (decorated, async), another compound statement. */
enum opens { OPENS_NOTHING, OPENS_DEF, OPENS_COMPOUND };

/* *kw: the line's keyword, after an `async` */
static enum opens line_opens(const struct token *t, size_t n, const struct token **kw)
{
    bool is_async = tok_is(&t[0], TOK_NAME, "async") && n > 1;

    *kw = is_async ? &t[1] : &t[0];
    if (tok_op(&t[0], "@") || is_keyword(*kw, def_words))
        return OPENS_DEF;
    if (is_keyword(*kw, compound_words) || tok_op(&t[n - 1], ":"))
        return OPENS_COMPOUND;
    return OPENS_NOTHING;
}

/* The statements after a compound statement's header on its own line: `if x: revision = 'a'`. */
static int header_rest(struct parser *ps, const struct token *t, size_t n)
{
    size_t colon = header_end(t, 0, n);

    if (colon + 1 < n)
        return simple_statements(ps, t, colon + 1, n, ps->block_kw);
    return DS_OK;
}

static int logical_line(struct parser *ps, const struct logline *ll)
{
    const struct token *t = ll->t, *kw;
    size_t n = ll->n;
    bool first = !ps->first_statement_done;
    enum opens opens = line_opens(t, n, &kw);

    ps->first_statement_done = true;
    if (ll->indent == 0) {
        ps->nested_def_indent = -1;
        if (opens == OPENS_DEF) {
            ps->block = B_DEF;
            return DS_OK;
        }
        if (opens == OPENS_COMPOUND) {
            size_t klen = kw->len < sizeof(ps->block_kw) ? kw->len : sizeof(ps->block_kw) - 1;

            ps->block = B_COND;
            memcpy(ps->block_kw, kw->s, klen);
            ps->block_kw[klen] = '\0';
            return header_rest(ps, t, n);
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
    if (opens == OPENS_DEF) {
        ps->nested_def_indent = ll->indent;
        return DS_OK;
    }
    if (opens == OPENS_COMPOUND)
        return header_rest(ps, t, n);
    return simple_statements(ps, t, 0, n, ps->block_kw);
}

/* ---- a revision's lifetime ------------------------------------------------------ */

/* An empty revision of the file at path, as revision_free() takes it. */
static struct revision *revision_new(const char *path)
{
    struct revision *rev = xcalloc(1, sizeof(*rev));

    strvec_init(&rev->down);
    strvec_init(&rev->branch_labels);
    strvec_init(&rev->depends_on);
    rev->path = xstrdup(path);
    return rev;
}

void revision_links_release(struct revision *rev)
{
    free(rev->deps);
    free(rev->norm_deps);
    free(rev->nextrev);
    free(rev->all_nextrev);
    free(rev->parents);
    rev->deps = rev->norm_deps = rev->nextrev = rev->all_nextrev = rev->parents = NULL;
    rev->ndeps = rev->nnorm_deps = rev->nnextrev = rev->nall_nextrev = 0;
    /* a revision that was never in a built map has no labels vector */
    if (rev->labels.v)
        strvec_clear(&rev->labels);
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
    revision_links_release(rev);
    free(rev);
}

/* ---- the file ---------------------------------------------------------------------- */

int revfile_parse(struct revision **out, struct revfile_names *names, const char *path,
                  const char *text, size_t len, struct ds_error *err)
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
    ps.rev = revision_new(path);

    rc = lexer_init(&lx, &src, path, text, len, err);
    if (rc < 0)
        goto done;
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
    names->revision = ps.have[T_REVISION];
    names->down_revision = ps.have[T_DOWN];
    names->revision_line = ps.revision_line;
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
    struct revfile_names names;
    struct revision *rev;
    int rc;

    *out = NULL;
    rc = revfile_parse(&rev, &names, path, text, len, err);
    if (rc < 0)
        return rc;
    if (!names.revision) {
        revision_free(rev);
        return DS_OK;
    }
    if (!names.down_revision) {
        /* Script.__init__ reads module.down_revision without a default */
        revision_free(rev);
        return source_fail(err, DS_EINVAL, path, names.revision_line,
                           "'revision' is set but 'down_revision' is not");
    }
    *out = rev;
    return DS_OK;
}
