/* Aligned columns, the way docker and Compose print their tables. */
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "util/alloc.h"
#include "util/banned.h"

void table_add(struct table *t, const char *const *cells, size_t n, bool tab_ended)
{
    struct table_row *row;

    if (t->n == t->alloc) {
        t->alloc = t->alloc ? 2 * t->alloc : 8;
        t->rows = xrealloc(t->rows, t->alloc * sizeof(*t->rows));
    }
    row = &t->rows[t->n++];
    strvec_init(&row->cells);
    for (size_t i = 0; i < n; i++)
        strvec_push(&row->cells, cells[i] ? cells[i] : "");
    row->tab_ended = tab_ended;
}

void table_add_strvec(struct table *t, const struct strvec *cells, bool tab_ended)
{
    table_add(t, (const char *const *)cells->v, cells->n, tab_ended);
}

static bool padded(const struct table_row *row, size_t col)
{
    return col + 1 < row->cells.n || row->tab_ended;
}

void table_print(FILE *out, const struct table *t, size_t min_width, size_t padding)
{
    size_t cols = 0, *width;

    for (size_t r = 0; r < t->n; r++)
        if (t->rows[r].cells.n > cols)
            cols = t->rows[r].cells.n;
    width = xcalloc(cols + 1, sizeof(*width));
    for (size_t r = 0; r < t->n; r++) {
        for (size_t c = 0; c < t->rows[r].cells.n; c++) {
            size_t w = strlen(t->rows[r].cells.v[c]) + padding;

            if (padded(&t->rows[r], c) && w > width[c])
                width[c] = w;
        }
    }
    for (size_t r = 0; r < t->n; r++) {
        const struct table_row *row = &t->rows[r];

        for (size_t c = 0; c < row->cells.n; c++) {
            if (padded(row, c))
                fprintf(out, "%-*s", (int)(width[c] > min_width ? width[c] : min_width),
                        row->cells.v[c]);
            else
                fputs(row->cells.v[c], out);
        }
        fputc('\n', out);
    }
    free(width);
}

void table_release(struct table *t)
{
    for (size_t r = 0; r < t->n; r++)
        strvec_clear(&t->rows[r].cells);
    free(t->rows);
    memset(t, 0, sizeof(*t));
}
