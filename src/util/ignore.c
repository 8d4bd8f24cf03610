/*
 * .dockerignore, as Docker's client reads it (buildkit's dockerignore.ReadAll)
 * and matches it (moby/patternmatcher, MatchesOrParentMatches).
 *
 * Each line is cleaned twice like Go's filepath.Clean (once by the reader,
 * once by the matcher, with the '!' still attached the second time), checked
 * against filepath.Match's syntax, and compiled into a few tokens. Docker
 * turns a pattern into a regular expression over the whole path; we run the
 * same language as a small NFA, so no pattern can make matching exponential:
 *
 *     *    any run of characters other than '/'
 *     ?    one character other than '/'
 *     [..] one character in (or with '^', not in) the class; may be '/'
 *     **   at the end: anything; elsewhere: nothing, or anything ending in
 *          '/' (a '/' right after it is part of it)
 *
 * Where Docker's translation misbehaves we keep filepath.Match's meaning:
 * '*' and '?' inside a class are literal, "\x" is the character x even when
 * x is a letter (Docker would hand "\d" to the regexp engine), and '^' outside
 * a class is an ordinary character (to Docker's regexp it is an anchor).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/ignore.h"
#include "util/banned.h"

#define RUNE_ERROR 0xFFFDu

enum tok_kind {
    TOK_LIT,       /* one given character */
    TOK_ANY,       /* `?` */
    TOK_CLASS,     /* `[...]` */
    TOK_STAR,      /* `*` */
    TOK_DSTAR,     /* `**` followed by more pattern */
    TOK_DSTAR_END, /* `**` at the end */
};

struct tok {
    enum tok_kind kind;
    bool negated;         /* TOK_CLASS */
    uint32_t rune;        /* TOK_LIT */
    size_t first, nrange; /* TOK_CLASS: its ranges in pattern.ranges */
};

struct range {
    uint32_t lo, hi;
};

struct pattern {
    char *text; /* cleaned, without the '!' */
    struct tok *toks;
    size_t ntoks, toks_alloc;
    struct range *ranges;
    size_t nranges, ranges_alloc;
    /*
     * Docker matches "**" followed by plain characters as a string suffix
     * ("**foo" excludes "barfoo"); NULL when that shortcut does not apply.
     */
    const char *suffix;
    bool exception;
};

struct ignore {
    struct pattern *v;
    size_t n, alloc;
    bool exceptions;
};

/* Decode one UTF-8 character; an invalid byte is RUNE_ERROR of length 1, as in Go. */
static size_t decode_rune(const char *s, size_t len, uint32_t *out)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t r, min;
    size_t n;

    if (p[0] < 0x80) {
        *out = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0) {
        n = 2, r = p[0] & 0x1Fu, min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        n = 3, r = p[0] & 0x0Fu, min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        n = 4, r = p[0] & 0x07u, min = 0x10000;
    } else {
        goto bad;
    }
    if (len < n)
        goto bad;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            goto bad;
        r = r << 6 | (p[i] & 0x3Fu);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        goto bad;
    *out = r;
    return n;
bad:
    *out = RUNE_ERROR;
    return 1;
}

/* unicode.IsSpace, which strings.TrimSpace uses */
static bool is_space(uint32_t r)
{
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return r >= 0x2000 && r <= 0x200A;
    }
}

static void trim_space(const char **s, size_t *len)
{
    uint32_t r;
    size_t n;

    while (*len && (n = decode_rune(*s, *len, &r)) && is_space(r))
        *s += n, *len -= n;
    while (*len) {
        size_t start = *len - 1;

        /* back up to the first byte of the last character */
        while (start > 0 && *len - start < 4 && ((unsigned char)(*s)[start] & 0xC0) == 0x80)
            start--;
        n = decode_rune(*s + start, *len - start, &r);
        if (start + n != *len)
            r = RUNE_ERROR; /* the last byte on its own: not a space */
        if (!is_space(r))
            break;
        *len = start;
    }
}

/* Go's path.Clean of s[0..len) into out (replacing its contents). */
static void clean_path(struct buf *out, const char *s, size_t len)
{
    bool rooted = len > 0 && s[0] == '/';
    size_t r = 0, dotdot = 0;

    buf_reset(out);
    if (rooted) {
        buf_addch(out, '/');
        r = dotdot = 1;
    }
    while (r < len) {
        if (s[r] == '/') {
            r++;
        } else if (s[r] == '.' && (r + 1 == len || s[r + 1] == '/')) {
            r++;
        } else if (s[r] == '.' && s[r + 1] == '.' && (r + 2 == len || s[r + 2] == '/')) {
            r += 2;
            if (out->len > dotdot) {
                size_t w = out->len - 1;

                while (w > dotdot && out->buf[w] != '/')
                    w--;
                buf_setlen(out, w);
            } else if (!rooted) {
                if (out->len > 0)
                    buf_addch(out, '/');
                buf_adds(out, "..");
                dotdot = out->len;
            }
        } else {
            if (out->len != (rooted ? 1u : 0u))
                buf_addch(out, '/');
            while (r < len && s[r] != '/')
                buf_addch(out, s[r++]);
        }
    }
    if (out->len == 0)
        buf_addch(out, '.');
}

static void push_tok(struct pattern *p, struct tok t)
{
    p->toks = xgrow(p->toks, &p->toks_alloc, p->ntoks + 1, sizeof(*p->toks));
    p->toks[p->ntoks++] = t;
}

/* One possibly escaped character of a class, as filepath.Match's getEsc reads it. */
static const char *class_char(const char *s, size_t len, size_t *i, uint32_t *out)
{
    size_t n;

    if (*i == len)
        return "unterminated character class";
    if (s[*i] == '-' || s[*i] == ']')
        return "malformed character class";
    if (s[*i] == '\\' && ++*i == len)
        return "unterminated character class";
    n = decode_rune(s + *i, len - *i, out);
    if (*out == RUNE_ERROR && n == 1)
        return "invalid UTF-8 in character class";
    *i += n;
    if (*i == len)
        return "unterminated character class";
    return NULL;
}

static const char *compile_class(struct pattern *p, const char *s, size_t len, size_t *i)
{
    struct tok t = {.kind = TOK_CLASS, .first = p->nranges};
    const char *why;

    if (++*i == len)
        return "unterminated character class";
    if (s[*i] == '^') {
        t.negated = true;
        ++*i;
    }
    for (;;) {
        struct range r;

        if (*i < len && s[*i] == ']' && t.nrange > 0) {
            ++*i;
            break;
        }
        if ((why = class_char(s, len, i, &r.lo)))
            return why;
        r.hi = r.lo;
        if (s[*i] == '-') {
            ++*i;
            if ((why = class_char(s, len, i, &r.hi)))
                return why;
        }
        p->ranges = xgrow(p->ranges, &p->ranges_alloc, p->nranges + 1, sizeof(*p->ranges));
        p->ranges[p->nranges++] = r;
        t.nrange++;
    }
    push_tok(p, t);
    return NULL;
}

/* Compile a cleaned pattern; returns why it is malformed, or NULL. */
static const char *compile(struct pattern *p, const char *s, size_t len)
{
    size_t i = 0;
    const char *why;

    while (i < len) {
        struct tok t = {.kind = TOK_LIT};

        if (s[i] == '*') {
            if (i + 1 < len && s[i + 1] == '*') {
                i += 2;
                if (i < len && s[i] == '/')
                    i++;
                t.kind = i == len ? TOK_DSTAR_END : TOK_DSTAR;
            } else {
                i++;
                t.kind = TOK_STAR;
            }
        } else if (s[i] == '?') {
            i++;
            t.kind = TOK_ANY;
        } else if (s[i] == '[') {
            if ((why = compile_class(p, s, len, &i)))
                return why;
            continue;
        } else {
            if (s[i] == '\\' && ++i == len)
                return "trailing backslash";
            i += decode_rune(s + i, len - i, &t.rune);
        }
        push_tok(p, t);
    }
    if (len > 2 && s[0] == '*' && s[1] == '*' && s[2] != '/' && !memchr(s, '\0', len) &&
        !strpbrk(s + 2, "*?[]\\"))
        p->suffix = p->text + 2;
    return NULL;
}

static bool class_has(const struct pattern *p, const struct tok *t, uint32_t r)
{
    bool in = false;

    for (size_t i = 0; i < t->nrange && !in; i++)
        in = p->ranges[t->first + i].lo <= r && r <= p->ranges[t->first + i].hi;
    return in != t->negated;
}

/*
 * The NFA's states: at[i] "before token i" for i in 0..ntoks (at[ntoks]
 * accepts), and in[i] "inside the `**` of token i", which eats any character
 * and may leave after a '/'.
 */
struct nfa {
    const struct pattern *p;
    uint8_t *at, *in, *next_at, *next_in;
    uint8_t small[4][64];
    uint8_t *heap;
};

static void nfa_init(struct nfa *m, const struct pattern *p)
{
    size_t n = p->ntoks + 1;

    m->p = p;
    m->heap = NULL;
    if (n <= sizeof(m->small[0])) {
        m->at = m->small[0], m->in = m->small[1];
        m->next_at = m->small[2], m->next_in = m->small[3];
    } else {
        m->heap = xmalloc(4 * n);
        m->at = m->heap, m->in = m->heap + n, m->next_at = m->heap + 2 * n;
        m->next_in = m->heap + 3 * n;
    }
    memset(m->at, 0, n);
    memset(m->in, 0, n);
    m->at[0] = 1;
}

/* Follow the empty moves; they only go forward, so one pass is enough. */
static void nfa_close(const struct pattern *p, uint8_t *at, uint8_t *in)
{
    for (size_t i = 0; i < p->ntoks; i++) {
        if (!at[i])
            continue;
        switch (p->toks[i].kind) {
        case TOK_DSTAR:
            in[i] = 1;
            at[i + 1] = 1;
            break;
        case TOK_STAR:
        case TOK_DSTAR_END:
            at[i + 1] = 1;
            break;
        default:
            break;
        }
    }
}

/* Consume one character; false when no state is left. */
static bool nfa_step(struct nfa *m, uint32_t r)
{
    const struct pattern *p = m->p;
    size_t n = p->ntoks + 1;
    bool alive = false;
    uint8_t *swap;

    memset(m->next_at, 0, n);
    memset(m->next_in, 0, n);
    for (size_t i = 0; i < p->ntoks; i++) {
        const struct tok *t = &p->toks[i];

        if (m->in[i]) {
            m->next_in[i] = 1;
            if (r == '/')
                m->next_at[i + 1] = 1;
        }
        if (!m->at[i])
            continue;
        switch (t->kind) {
        case TOK_LIT:
            if (r == t->rune)
                m->next_at[i + 1] = 1;
            break;
        case TOK_ANY:
            if (r != '/')
                m->next_at[i + 1] = 1;
            break;
        case TOK_CLASS:
            if (class_has(p, t, r))
                m->next_at[i + 1] = 1;
            break;
        case TOK_STAR:
            if (r != '/')
                m->next_at[i] = 1;
            break;
        case TOK_DSTAR_END:
            m->next_at[i] = 1;
            break;
        case TOK_DSTAR:
            break; /* its in[] state does the work */
        }
    }
    nfa_close(p, m->next_at, m->next_in);
    swap = m->at, m->at = m->next_at, m->next_at = swap;
    swap = m->in, m->in = m->next_in, m->next_in = swap;
    for (size_t i = 0; i < n && !alive; i++)
        alive = m->at[i] || m->in[i];
    return alive;
}

static bool suffix_matches(const char *suffix, const char *path, size_t len)
{
    size_t n = strlen(suffix);

    /* the path and each of its parents */
    for (size_t end = len; end > 0; end--) {
        if ((end == len || path[end] == '/') && end >= n && !memcmp(path + end - n, suffix, n))
            return true;
    }
    return false;
}

/*
 * Does the pattern match `path` or one of its parent directories? With
 * `below`, also: could it match something inside directory `path`?
 */
static bool pattern_matches(const struct pattern *p, const char *path, size_t len, bool below)
{
    struct nfa m;
    bool alive = true, hit = false;
    size_t i = 0;

    if (p->suffix)
        return below || suffix_matches(p->suffix, path, len);
    nfa_init(&m, p);
    nfa_close(p, m.at, m.in);
    while (i < len && alive && !hit) {
        uint32_t r;

        if (path[i] == '/' && i > 0 && m.at[p->ntoks]) {
            hit = true; /* a parent directory matches */
            break;
        }
        i += decode_rune(path + i, len - i, &r);
        alive = nfa_step(&m, r);
    }
    if (!hit && alive)
        hit = m.at[p->ntoks] || (below && nfa_step(&m, '/'));
    free(m.heap);
    return hit;
}

static void pattern_release(struct pattern *p)
{
    free(p->text);
    free(p->toks);
    free(p->ranges);
}

void ignore_free(struct ignore *ig)
{
    if (!ig)
        return;
    for (size_t i = 0; i < ig->n; i++)
        pattern_release(&ig->v[i]);
    free(ig->v);
    free(ig);
}

/* One line, as buildkit's ReadAll and then patternmatcher.New take it. */
static int add_line(struct ignore *ig, const char *s, size_t len, unsigned line, const char *name,
                    struct buf *tmp, struct buf *pat, struct ds_error *err)
{
    struct pattern p = {0};
    const char *orig = s, *why;
    size_t orig_len;
    bool invert;

    if (len && s[0] == '#')
        return 0;
    trim_space(&s, &len);
    if (!len)
        return 0;
    orig = s, orig_len = len;
    buf_reset(pat);
    invert = s[0] == '!';
    if (invert) {
        s++, len--;
        trim_space(&s, &len);
        buf_addch(pat, '!');
    }
    if (len) {
        clean_path(tmp, s, len);
        if (tmp->len > 1 && tmp->buf[0] == '/')
            buf_add(pat, tmp->buf + 1, tmp->len - 1);
        else
            buf_add(pat, tmp->buf, tmp->len);
    }
    /* patternmatcher.New cleans again, '!' included: "!/" becomes "!" */
    clean_path(tmp, pat->buf, pat->len);
    s = tmp->buf, len = tmp->len;
    if (s[0] == '!') {
        if (len == 1) {
            why = "'!' needs a pattern after it";
            goto bad;
        }
        p.exception = true;
        s++, len--;
    }
    p.text = xstrndup(s, len);
    if ((why = compile(&p, s, len))) {
        pattern_release(&p);
        goto bad;
    }
    ig->v = xgrow(ig->v, &ig->alloc, ig->n + 1, sizeof(*ig->v));
    ig->v[ig->n++] = p;
    ig->exceptions |= p.exception;
    return 0;
bad:
    return ds_error_set(err, DS_EINVAL, "bad pattern '%.*s' on line %u of '%s': %s", (int)orig_len,
                        orig, line, name ? name : ".dockerignore", why);
}

int ignore_parse(struct ignore **out, const char *text, size_t len, const char *name,
                 struct ds_error *err)
{
    struct ignore *ig = xcalloc(1, sizeof(*ig));
    struct buf tmp = BUF_INIT, pat = BUF_INIT;
    size_t pos = 0;
    unsigned line = 0;
    int rc = 0;

    *out = NULL;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        pos = 3;
    while (pos < len) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;

        pos += n + (nl ? 1 : 0);
        if (n && s[n - 1] == '\r')
            n--; /* bufio.ScanLines drops it */
        rc = add_line(ig, s, n, ++line, name, &tmp, &pat, err);
        if (rc < 0)
            goto done;
    }
    *out = ig;
    ig = NULL;
done:
    ignore_free(ig);
    buf_release(&tmp);
    buf_release(&pat);
    return rc;
}

int ignore_load(struct ignore **out, const char *dir, struct ds_error *err)
{
    struct buf path = BUF_INIT, text = BUF_INIT;
    int rc;

    *out = NULL;
    buf_addf(&path, "%s/.dockerignore", dir);
    rc = buf_read_file(&text, path.buf, IGNORE_FILE_MAX);
    if (rc == -ENOENT) {
        *out = xcalloc(1, sizeof(**out));
        rc = 0;
    } else if (rc == -EFBIG) {
        rc = ds_error_set(err, DS_EINVAL, "'%s' is larger than %u MiB", path.buf,
                          IGNORE_FILE_MAX >> 20);
        ds_error_hint(err, "a .dockerignore of patterns is a few kB; is a generated list in it?");
    } else if (rc < 0) {
        rc = ds_error_errno(err, -rc, "cannot read '%s'", path.buf);
    } else {
        rc = ignore_parse(out, text.buf, text.len, path.buf, err);
    }
    buf_release(&path);
    buf_release(&text);
    return rc;
}

/* The path cleaned as Docker cleans it, without a leading '/'; false for the context root. */
static bool clean_query(struct buf *b, const char *path)
{
    clean_path(b, path, strlen(path));
    if (b->buf[0] == '/')
        buf_consume(b, 1);
    return b->len && strcmp(b->buf, ".") != 0;
}

bool ignore_excludes(const struct ignore *ig, const char *path)
{
    struct buf p = BUF_INIT;
    bool matched = false;

    if (!ig || !ig->n || !clean_query(&p, path))
        goto done;
    for (size_t i = 0; i < ig->n; i++) {
        const struct pattern *pat = &ig->v[i];

        /* an exclusion cannot change "excluded", an exception cannot change "included" */
        if (pat->exception != matched)
            continue;
        if (pattern_matches(pat, p.buf, p.len, false))
            matched = !pat->exception;
    }
done:
    buf_release(&p);
    return matched;
}

bool ignore_may_include_below(const struct ignore *ig, const char *dir)
{
    struct buf p = BUF_INIT;
    bool may = false;

    if (!ig || !ig->exceptions)
        return false;
    if (!clean_query(&p, dir)) {
        may = true; /* the root: an exception matches something below it */
        goto done;
    }
    for (size_t i = 0; i < ig->n && !may; i++)
        may = ig->v[i].exception && pattern_matches(&ig->v[i], p.buf, p.len, true);
done:
    buf_release(&p);
    return may;
}
