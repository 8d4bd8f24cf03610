/*
 * `devstack db history --graph`: the revision graph drawn as `git log
 * --graph` draws commits. The idea is git's graph.c: a row of lanes, each
 * waiting for the revision it leads to; a revision takes the leftmost lane
 * waiting for it (or a new one on the right when it is a head), lanes that
 * waited for it too join it ("|/"), a merge opens a lane per extra down
 * revision ("|\"), a base closes its lane. Lanes that move draw "/" or "\"
 * between columns, one column a row. The drawing is ours; only the picture
 * is git's.
 *
 * Order: newest first, every revision above its down revisions, following
 * the first down revision's line before turning to another head (git's
 * --topo-order). depends_on is not a lane: it is a note on the line, so the
 * lanes stay the down_revision tree Alembic walks.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/internal.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/banned.h"

#define COLOR_CURRENT "\033[1;32m"
#define COLOR_HEAD    "\033[33m"
#define COLOR_RESET   "\033[m"

struct lanes {
    const struct revision **v; /* what each lane waits for */
    size_t n, alloc;
};

static void lanes_insert(struct lanes *l, size_t at, const struct revision *rev)
{
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? 2 * l->alloc : 8;
        l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
    }
    memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof(*l->v));
    l->v[at] = rev;
    l->n++;
}

static void lanes_remove(struct lanes *l, size_t at)
{
    memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(*l->v));
    l->n--;
}

/* A row of 2 characters per lane, spaces at first. */
static char *row_new(size_t lanes)
{
    char *row = xmalloc(2 * lanes + 2);

    memset(row, ' ', 2 * lanes + 1);
    row[2 * lanes + 1] = '\0';
    return row;
}

static void row_emit(struct buf *out, char *row)
{
    size_t len = strlen(row);

    while (len && row[len - 1] == ' ')
        len--;
    buf_add(out, row, len);
    buf_addch(out, '\n');
    free(row);
}

/*
 * Draw lanes moving from position i to dest[i] (-1: the lane ends there), as
 * git does: one row per column of the longest move, each lane moving at most
 * one column a row, "/" when it moves left, "\\" right, "|" when it stays.
 * Nothing is drawn when nothing moves.
 */
static void draw_moves(struct buf *out, const int *dest, size_t n)
{
    int *pos = xmalloc((n + 1) * sizeof(*pos));

    for (size_t i = 0; i < n; i++)
        pos[i] = (int)i;
    for (;;) {
        bool moving = false;
        char *row;

        for (size_t i = 0; i < n; i++)
            if (dest[i] >= 0 && pos[i] != dest[i])
                moving = true;
        if (!moving)
            break;
        row = row_new(n + 1);
        for (size_t i = 0; i < n; i++) {
            if (dest[i] < 0)
                continue;
            if (pos[i] == dest[i]) {
                if (row[2 * pos[i]] == ' ')
                    row[2 * pos[i]] = '|';
            } else if (pos[i] > dest[i]) {
                row[2 * pos[i] - 1] = '/';
                pos[i]--;
            } else {
                row[2 * pos[i] + 1] = '\\';
                pos[i]++;
            }
        }
        row_emit(out, row);
    }
    free(pos);
}

/* The order to draw in: every revision after all its children (git's --topo-order). */
static const struct revision **draw_order(const struct revmap *map)
{
    const struct revision **order = xcalloc(map->n + 1, sizeof(*order));
    const struct revision **stack = xcalloc(map->n + 1, sizeof(*stack));
    size_t *waiting = xcalloc(map->n + 1, sizeof(*waiting)), n = 0, top = 0;

    for (size_t i = 0; i < map->n; i++)
        waiting[i] = map->revs[i]->nnextrev;
    /* the first head in load order on top */
    for (size_t i = map->nheads; i > 0; i--)
        stack[top++] = map->heads[i - 1];
    while (top) {
        const struct revision *rev = stack[--top];

        order[n++] = rev;
        for (size_t p = rev->down.n; p > 0; p--) {
            const struct revision *parent = rev->parents[p - 1];

            if (parent && --waiting[parent->index] == 0)
                stack[top++] = parent;
        }
    }
    free(stack);
    free(waiting);
    return order;
}

static bool is_current(const struct strvec *current, const struct revision *rev)
{
    for (size_t i = 0; current && i < current->n; i++)
        if (!strcmp(current->v[i], rev->id))
            return true;
    return false;
}

static void describe(struct buf *out, const struct revision *rev, const struct strvec *current,
                     bool color)
{
    bool cur = is_current(current, rev);

    buf_addf(out, "%s%s%s", color && cur ? COLOR_CURRENT : "", rev->id,
             color && cur ? COLOR_RESET : "");
    if (rev->branch_labels.n) {
        buf_adds(out, " (");
        for (size_t i = 0; i < rev->branch_labels.n; i++)
            buf_addf(out, "%s%s", i ? ", " : "", rev->branch_labels.v[i]);
        buf_addch(out, ')');
    }
    if (!rev->nnextrev)
        buf_addf(out, " %s(head)%s", color ? COLOR_HEAD : "", color ? COLOR_RESET : "");
    if (cur)
        buf_addf(out, " %s(current)%s", color ? COLOR_CURRENT : "", color ? COLOR_RESET : "");
    if (*rev->doc)
        buf_addf(out, " %.*s", (int)strcspn(rev->doc, "\n"), rev->doc);
    if (rev->ndeps) {
        buf_adds(out, " (depends on: ");
        for (size_t i = 0; i < rev->ndeps; i++)
            buf_addf(out, "%s%s", i ? ", " : "", rev->deps[i]->id);
        buf_addch(out, ')');
    }
}

int alembic_format_graph(struct buf *out, const struct revmap *map, const struct strvec *current,
                         bool color, struct ds_error *err)
{
    const struct revision **order;
    struct lanes l = {0};
    int *dest = NULL;

    (void)err;
    if (!map->n)
        return 0;
    order = draw_order(map);
    for (size_t k = 0; order[k]; k++) {
        const struct revision *rev = order[k];
        size_t col = l.n, width, nparents = 0, octopus;
        char *row;

        /* the lanes waiting for it join the leftmost; a head opens a lane */
        for (size_t i = 0; i < l.n; i++)
            if (l.v[i] == rev) {
                col = i;
                break;
            }
        if (col == l.n) {
            lanes_insert(&l, l.n, rev);
        } else {
            size_t kept = 0;

            dest = xrealloc(dest, (l.n + 1) * sizeof(*dest));
            for (size_t i = 0; i < l.n; i++)
                dest[i] = l.v[i] == rev && i != col ? (int)col : (int)kept++;
            draw_moves(out, dest, l.n);
            for (size_t i = l.n; i > col + 1; i--)
                if (l.v[i - 1] == rev)
                    lanes_remove(&l, i - 1);
        }

        for (size_t p = 0; p < rev->down.n; p++)
            if (rev->parents[p])
                nparents++;
        /*
         * The line: its lane a "*", padded to the lanes after a merge. A
         * merge of three or more reaches over to its last lane as git draws
         * an octopus ("*-." for three, "*---." for four); lanes to its right
         * stand after it.
         */
        width = l.n + (nparents > 1 ? nparents - 1 : 0);
        row = row_new(width);
        octopus = nparents > 2 ? nparents - 2 : 0;
        for (size_t i = 0; i < l.n; i++)
            row[2 * (i > col ? i + octopus : i)] = i == col ? '*' : '|';
        for (size_t j = 1; j < 2 * octopus; j++)
            row[2 * col + j] = '-';
        if (octopus)
            row[2 * (col + octopus)] = '.';
        row[2 * width] = '\0';
        buf_adds(out, row);
        free(row);
        describe(out, rev, current, color);
        buf_addch(out, '\n');

        /* the lane now waits for its down revisions: more lanes for a merge, none for a base */
        if (!nparents) {
            dest = xrealloc(dest, (l.n + 1) * sizeof(*dest));
            for (size_t i = 0; i < l.n; i++)
                dest[i] = i < col ? (int)i : i == col ? -1 : (int)i - 1;
            draw_moves(out, dest, l.n);
            lanes_remove(&l, col);
            continue;
        }
        if (nparents > 1) {
            row = row_new(l.n + nparents);
            for (size_t i = 0; i <= col; i++)
                row[2 * i] = '|';
            for (size_t j = 1; j < nparents; j++)
                row[2 * (col + j) - 1] = '\\';
            for (size_t i = col + 1; i < l.n; i++)
                row[2 * (i + nparents - 1) - 1] = '\\';
            row_emit(out, row);
        }
        {
            size_t at = col;

            l.v[col] = NULL;
            for (size_t p = 0; p < rev->down.n; p++) {
                if (!rev->parents[p])
                    continue;
                if (l.v[col] == NULL)
                    l.v[col] = rev->parents[p];
                else
                    lanes_insert(&l, ++at, rev->parents[p]);
            }
        }
    }
    free(dest);
    free(l.v);
    free(order);
    return 0;
}
