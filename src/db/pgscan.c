/* pg_dump's plain format read line by line: see pgscan.h. */
#include <string.h>

#include "db/pgscan.h"
#include "util/banned.h"

#define COMPLETE "-- PostgreSQL database dump complete"

void pgscan_init(struct pgscan *s)
{
    memset(s, 0, sizeof(*s));
    s->line = 1;
}

static bool starts(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && !memcmp(line, prefix, n);
}

/* The line's last bytes before its newline (and a '\r'), as kept in tail. */
static bool line_ends_with(const struct pgscan *s, const char *suffix)
{
    size_t n = strlen(suffix), have = s->line_len < PGSCAN_TAIL ? s->line_len : PGSCAN_TAIL;
    char last[PGSCAN_TAIL];

    /* tail is a ring of the last PGSCAN_TAIL bytes: unroll it */
    for (size_t i = 0; i < have; i++)
        last[i] = s->tail[(s->line_len - have + i) % PGSCAN_TAIL];
    while (have && last[have - 1] == '\r')
        have--;
    return have >= n && !memcmp(last + have - n, suffix, n);
}

static void leaves_database(struct pgscan *s)
{
    if (s->switch_line)
        return;
    s->switch_line = s->line;
    memcpy(s->switch_text, s->head, s->head_len);
    s->switch_text[s->head_len] = '\0';
}

static void end_line(struct pgscan *s)
{
    const char *h = s->head;
    size_t n = s->head_len;

    while (n && h[n - 1] == '\r')
        n--;
    if (s->in_copy) {
        /* the data ends at a line that is only "\." */
        if (s->line_len == s->head_len && n == 2 && h[0] == '\\' && h[1] == '.')
            s->in_copy = false;
        else
            s->rows++;
        return;
    }
    if (starts(h, n, COMPLETE))
        s->complete = true;
    if (starts(h, n, "--") || !n)
        return;
    if (starts(h, n, "COPY ") && line_ends_with(s, "FROM stdin;")) {
        s->in_copy = true;
        s->copies++;
        s->statements++;
        return;
    }
    /* psql's \connect (or \c), and what only runs outside the database */
    if ((starts(h, n, "\\connect") || starts(h, n, "\\c ") || (n == 2 && starts(h, n, "\\c"))) ||
        starts(h, n, "CREATE DATABASE ") || starts(h, n, "DROP DATABASE "))
        leaves_database(s);
    else if (starts(h, n, "CREATE TABLE ") || starts(h, n, "CREATE UNLOGGED TABLE "))
        s->tables++;
    else if (starts(h, n, "CREATE VIEW ") || starts(h, n, "CREATE MATERIALIZED VIEW "))
        s->views++;
    else if (starts(h, n, "CREATE FUNCTION ") || starts(h, n, "CREATE PROCEDURE "))
        s->routines++;
    else if (starts(h, n, "CREATE TRIGGER ") || starts(h, n, "CREATE CONSTRAINT TRIGGER "))
        s->triggers++;
    else if (starts(h, n, "CREATE SEQUENCE "))
        s->sequences++;
    if (line_ends_with(s, ";"))
        s->statements++;
}

void pgscan_feed(struct pgscan *s, const char *data, size_t len)
{
    const char *end = data + len;

    while (data < end) {
        const char *nl = memchr(data, '\n', (size_t)(end - data));
        const char *stop = nl ? nl : end;
        size_t n = (size_t)(stop - data);

        if (s->head_len < PGSCAN_HEAD) {
            size_t take = PGSCAN_HEAD - s->head_len < n ? PGSCAN_HEAD - s->head_len : n;

            memcpy(s->head + s->head_len, data, take);
            s->head_len += take;
        }
        /* only the last PGSCAN_TAIL bytes matter: skip what is before them */
        for (size_t i = n > PGSCAN_TAIL ? n - PGSCAN_TAIL : 0; i < n; i++)
            s->tail[(s->line_len + i) % PGSCAN_TAIL] = data[i];
        s->line_len += n;
        data = stop;
        if (!nl)
            break;
        end_line(s);
        s->line++;
        s->head_len = 0;
        s->line_len = 0;
        data++;
    }
}

void pgscan_finish(struct pgscan *s)
{
    if (s->line_len) {
        end_line(s);
        s->head_len = 0;
        s->line_len = 0;
    }
}

bool pgscan_is_pg_dump(const char *start, size_t len)
{
    static const char mark[] = "\n-- PostgreSQL database dump\n";

    return memmem(start, len, mark, strlen(mark)) != NULL ||
           starts(start, len, "-- PostgreSQL database dump\n");
}
