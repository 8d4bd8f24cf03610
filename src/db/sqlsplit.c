/*
 * The statements of a SQL dump, split where the mysql command-line client
 * splits them (client/mysql.cc: read_and_execute(), add_line(),
 * com_delimiter()):
 *
 *  - the delimiter, ";" until a DELIMITER line sets another, ends a statement
 *    outside '...', "..." and `...` quotes and outside comments; a quote
 *    character doubled inside its quotes, and in '...' and "..." a backslash,
 *    escapes the next byte (the server's defaults, not NO_BACKSLASH_ESCAPES
 *    or ANSI_QUOTES);
 *  - comments are "#" and "-- " (two dashes and whitespace, or the end of
 *    the input) to the end of the line, and C-style ones; the executable
 *    comments mysqldump and mariadb-dump write (slash, star, then "!" or
 *    "M!") are statement text for the server, scanned as such, so that, as in
 *    the client, the delimiter ends a statement inside them;
 *  - whitespace and comments before a statement are dropped, those inside it
 *    are kept, and whitespace after it is trimmed: a statement of nothing
 *    else is no statement.
 *
 * The input comes in chunks cut anywhere, so the scan stops where it would
 * need a byte not fed yet ("-" or "-- "? ";" or ";;"?) and goes on from
 * there with the next chunk: the statements come out the same however the
 * input is cut.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/sqlsplit.h"
#include "util/buf.h"
#include "util/banned.h"

enum {
    SCAN_TEXT,
    SCAN_QUOTE, /* inside s->quote */
    SCAN_LINE_COMMENT,
    SCAN_BLOCK_COMMENT,
};

/* What a text step did: go on, wait for more input, or end a statement at s->pos. */
enum { STEP_ON = 0, STEP_WAIT = 1, STEP_END = 2 };

/* What peek() gives besides a byte. */
#define PEEK_END  (-1) /* the input ends there */
#define PEEK_MORE (-2) /* not fed yet */

static const char utf8_bom[] = "\xef\xbb\xbf";
static const char delimiter_word[] = "delimiter";

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int peek(const struct sqlsplit *s, size_t p, bool eof)
{
    if (p < s->in.len)
        return (unsigned char)s->in.buf[p];
    return eof ? PEEK_END : PEEK_MORE;
}

/* Do the n bytes of lit start at p? STEP_WAIT when that depends on input not fed yet. */
static int starts_with(const struct sqlsplit *s, size_t p, const char *lit, size_t n, bool eof,
                       bool *yes)
{
    size_t avail = s->in.len - p, k = avail < n ? avail : n;

    *yes = false;
    if (memcmp(s->in.buf + p, lit, k))
        return STEP_ON;
    if (k < n)
        return eof ? STEP_ON : STEP_WAIT;
    *yes = true;
    return STEP_ON;
}

/* "delimiter", in any case, then whitespace or the end of the input. */
static int starts_with_delimiter_command(const struct sqlsplit *s, size_t p, bool eof, bool *yes)
{
    const size_t n = sizeof(delimiter_word) - 1;

    *yes = false;
    for (size_t i = 0; i < n; i++) {
        int c = peek(s, p + i, eof);

        if (c == PEEK_MORE)
            return STEP_WAIT;
        if (c == PEEK_END || (c | 0x20) != delimiter_word[i])
            return STEP_ON;
    }
    switch (peek(s, p + n, eof)) {
    case PEEK_MORE:
        return STEP_WAIT;
    case PEEK_END:
        *yes = true;
        return STEP_ON;
    default:
        *yes = is_space(s->in.buf[p + n]);
        return STEP_ON;
    }
}

static int too_long(const struct sqlsplit *s, unsigned long line, struct ds_error *err)
{
    return ds_error_set(err, DS_EINVAL,
                        "line %lu: the statement starting here is longer than %zu bytes", line,
                        s->max);
}

/*
 * "DELIMITER xx" at s->pos: as in the client, the delimiter is the first
 * word after it, and the rest of the line is ignored.
 */
static int delimiter_command(struct sqlsplit *s, bool eof, struct ds_error *err)
{
    const char *line = s->in.buf + s->pos, *end = s->in.buf + s->in.len;
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    const char *eol = nl ? nl : end, *w, *we;

    if (s->max && (size_t)(eol - line) > s->max)
        return too_long(s, s->line, err);
    if (!nl && !eof)
        return STEP_WAIT;
    for (w = line + sizeof(delimiter_word) - 1; w < eol && is_space(*w); w++)
        ;
    for (we = w; we < eol && !is_space(*we); we++)
        ;
    if (w == we)
        return ds_error_set(err, DS_EINVAL, "line %lu: 'DELIMITER' must be followed by a delimiter",
                            s->line);
    if (memchr(w, '\\', (size_t)(we - w)))
        return ds_error_set(err, DS_EINVAL, "line %lu: a delimiter cannot contain a backslash",
                            s->line);
    if ((size_t)(we - w) > SQLSPLIT_DELIMITER_MAX)
        return ds_error_set(err, DS_EINVAL, "line %lu: the delimiter is longer than %d bytes",
                            s->line, SQLSPLIT_DELIMITER_MAX);
    s->delim_len = (size_t)(we - w);
    memcpy(s->delim, w, s->delim_len);
    s->delim[s->delim_len] = '\0';
    if (nl) {
        s->pos = (size_t)(nl + 1 - s->in.buf);
        s->line++;
    } else {
        s->pos = s->in.len;
    }
    return STEP_ON;
}

/* One step outside quotes and comments. */
static int text_step(struct sqlsplit *s, bool eof, struct ds_error *err)
{
    size_t p = s->pos;
    int c = (unsigned char)s->in.buf[p], next, rc;
    bool yes;

    if (!s->content) {
        if (is_space(c)) {
            if (c == '\n')
                s->line++;
            s->pos++;
            return STEP_ON;
        }
        if (c == 'd' || c == 'D') {
            rc = starts_with_delimiter_command(s, p, eof, &yes);
            if (rc != STEP_ON)
                return rc;
            if (yes)
                return delimiter_command(s, eof, err);
        }
    }
    rc = starts_with(s, p, s->delim, s->delim_len, eof, &yes);
    if (rc != STEP_ON || yes)
        return yes ? STEP_END : rc;

    switch (c) {
    case '\'':
    case '"':
    case '`':
        s->state = SCAN_QUOTE;
        s->quote = (char)c;
        s->open_line = s->line;
        break;
    case '#':
        s->state = SCAN_LINE_COMMENT;
        s->pos++;
        return STEP_ON;
    case '-':
        if ((next = peek(s, p + 1, eof)) == PEEK_MORE)
            return STEP_WAIT;
        if (next != '-')
            break;
        if ((next = peek(s, p + 2, eof)) == PEEK_MORE)
            return STEP_WAIT;
        if (next == PEEK_END || is_space(next)) {
            s->state = SCAN_LINE_COMMENT;
            s->pos += 2;
            return STEP_ON;
        }
        break;
    case '/':
        if ((next = peek(s, p + 1, eof)) == PEEK_MORE)
            return STEP_WAIT;
        if (next != '*')
            break;
        rc = starts_with(s, p, "/*!", 3, eof, &yes);
        if (rc == STEP_ON && !yes)
            rc = starts_with(s, p, "/*M!", 4, eof, &yes);
        if (rc != STEP_ON)
            return rc;
        if (yes)
            break; /* executable: text, its first byte taken below */
        s->state = SCAN_BLOCK_COMMENT;
        s->open_line = s->line;
        s->pos += 2;
        return STEP_ON;
    case '\n':
        s->line++;
        break;
    }
    if (!s->content) {
        s->content = true;
        s->stmt_line = s->line;
    }
    s->pos++;
    return STEP_ON;
}

/* Hand on in.buf[head, end), trimmed, with a NUL after it. */
static int emit(struct sqlsplit *s, size_t end, sqlsplit_fn fn, void *ud, struct ds_error *err)
{
    char *b = s->in.buf, saved;
    int rc;

    while (end > s->head && is_space(b[end - 1]))
        end--;
    /* the NUL goes over the delimiter (or the buffer's own NUL) during the call */
    saved = b[end];
    b[end] = '\0';
    rc = fn(b + s->head, end - s->head, s->stmt_line, ud, err);
    b[end] = saved;
    return rc;
}

/* Scan what has been fed; eof: nothing follows it. */
static int scan(struct sqlsplit *s, bool eof, sqlsplit_fn fn, void *ud, struct ds_error *err)
{
    int rc;

    if (!s->bom_checked) {
        bool yes;

        if (starts_with(s, 0, utf8_bom, 3, eof, &yes) == STEP_WAIT)
            return DS_OK;
        if (yes)
            s->pos = 3;
        s->bom_checked = true;
    }
    for (;;) {
        size_t p = s->pos;
        int c;

        if (!s->content)
            s->head = p; /* what comes before a statement is dropped as it is scanned */
        else if (s->max && p - s->head > s->max)
            return too_long(s, s->stmt_line, err);
        if (p >= s->in.len)
            return DS_OK;
        c = (unsigned char)s->in.buf[p];

        switch (s->state) {
        case SCAN_QUOTE:
            if (c == '\\' && s->quote != '`') {
                int next = peek(s, p + 1, eof);

                if (next == PEEK_MORE)
                    return DS_OK;
                if (next == '\n')
                    s->line++;
                s->pos += next == PEEK_END ? 1 : 2;
                break;
            }
            /* a doubled quote closes the string and opens another one at once */
            if (c == s->quote)
                s->state = SCAN_TEXT;
            else if (c == '\n')
                s->line++;
            s->pos++;
            break;
        case SCAN_LINE_COMMENT:
            if (c == '\n') {
                s->line++;
                s->state = SCAN_TEXT;
            }
            s->pos++;
            break;
        case SCAN_BLOCK_COMMENT:
            if (c == '*') {
                int next = peek(s, p + 1, eof);

                if (next == PEEK_MORE)
                    return DS_OK;
                if (next == '/') {
                    s->state = SCAN_TEXT;
                    s->pos += 2;
                    break;
                }
            } else if (c == '\n') {
                s->line++;
            }
            s->pos++;
            break;
        default:
            rc = text_step(s, eof, err);
            if (rc < 0)
                return rc;
            if (rc == STEP_WAIT)
                return DS_OK;
            if (rc == STEP_END) {
                bool had = s->content;

                s->pos += s->delim_len;
                s->content = false;
                if (had) {
                    rc = emit(s, p, fn, ud, err);
                    if (rc)
                        return rc;
                }
            }
            break;
        }
    }
}

void sqlsplit_init(struct sqlsplit *s, size_t max_statement)
{
    memset(s, 0, sizeof(*s));
    buf_init(&s->in, 0);
    s->max = max_statement;
    s->line = 1;
    s->delim[0] = ';';
    s->delim_len = 1;
    s->state = SCAN_TEXT;
}

void sqlsplit_release(struct sqlsplit *s)
{
    buf_release(&s->in);
}

int sqlsplit_feed(struct sqlsplit *s, const char *data, size_t len, sqlsplit_fn fn, void *ud,
                  struct ds_error *err)
{
    if (s->head) {
        buf_consume(&s->in, s->head);
        s->pos -= s->head;
        s->head = 0;
    }
    buf_add(&s->in, data, len);
    return scan(s, false, fn, ud, err);
}

int sqlsplit_finish(struct sqlsplit *s, sqlsplit_fn fn, void *ud, struct ds_error *err)
{
    int rc = scan(s, true, fn, ud, err);

    if (rc)
        return rc;
    if (s->state == SCAN_QUOTE)
        return ds_error_set(err, DS_EINVAL, "line %lu: unterminated %s started here", s->open_line,
                            s->quote == '`' ? "quoted identifier" : "string");
    if (s->state == SCAN_BLOCK_COMMENT)
        return ds_error_set(err, DS_EINVAL, "line %lu: unterminated comment started here",
                            s->open_line);
    if (!s->content)
        return DS_OK;
    s->content = false;
    return emit(s, s->in.len, fn, ud, err);
}

/* ---- what a statement does ------------------------------------------------------------ */

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

/*
 * The statement's next keyword, as the server reads it: past whitespace,
 * parentheses and comments, and past the markers of executable comments
 * (slash-star-! or M! with a version, and their closing star-slash), whose
 * contents the server runs. *len is 0 at the end.
 */
static const char *next_word(const char **p, const char *end, size_t *len)
{
    const char *s = *p, *w;

    for (;;) {
        while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\f' ||
                           *s == '\v' || *s == '('))
            s++;
        if (end - s >= 2 && s[0] == '/' && s[1] == '*') {
            const char *q = s + 2, *close;

            if (q < end && *q == '!')
                q++;
            else if (end - q >= 2 && q[0] == 'M' && q[1] == '!')
                q += 2;
            else
                q = NULL;
            if (q) { /* an executable comment: its text is the statement's */
                while (q < end && *q >= '0' && *q <= '9')
                    q++;
                s = q;
                continue;
            }
            close = memmem(s + 2, (size_t)(end - s - 2), "*/", 2);
            s = close ? close + 2 : end;
            continue;
        }
        if (end - s >= 2 && s[0] == '*' && s[1] == '/') {
            s += 2;
            continue;
        }
        if (s < end && (*s == '#' || (end - s >= 2 && s[0] == '-' && s[1] == '-' &&
                                      (end - s == 2 || (unsigned char)s[2] <= ' ')))) {
            const char *nl = memchr(s, '\n', (size_t)(end - s));

            s = nl ? nl + 1 : end;
            continue;
        }
        break;
    }
    for (w = s; s < end && is_word_char(*s); s++)
        ;
    *len = (size_t)(s - w);
    *p = s;
    return w;
}

static bool word_is(const char *w, size_t len, const char *keyword)
{
    return len == strlen(keyword) && !strncasecmp(w, keyword, len);
}

bool sqlsplit_switches_database(const char *stmt, size_t len)
{
    const char *p = stmt, *end = stmt + len, *w;
    size_t n;

    w = next_word(&p, end, &n);
    if (word_is(w, n, "USE"))
        return true;
    if (!word_is(w, n, "CREATE") && !word_is(w, n, "DROP") && !word_is(w, n, "ALTER") &&
        !word_is(w, n, "RENAME"))
        return false;
    w = next_word(&p, end, &n);
    if (word_is(w, n, "OR")) { /* MariaDB's CREATE OR REPLACE DATABASE */
        w = next_word(&p, end, &n);
        if (!word_is(w, n, "REPLACE"))
            return false;
        w = next_word(&p, end, &n);
    }
    return word_is(w, n, "DATABASE") || word_is(w, n, "SCHEMA");
}
