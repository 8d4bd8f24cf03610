/*
 * Columns as docker and Compose align them (Go's text/tabwriter): a cell
 * that a tab ends is padded to its column's width, the widest such cell of
 * the column plus the padding and at least `min_width`; a row's last cell
 * is printed as it is unless the row ends with a tab too.
 */
#ifndef DEVSTACK_TABLE_H
#define DEVSTACK_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/strvec.h"

struct table_row {
    struct strvec cells;
    bool tab_ended; /* the last cell is padded as well */
};

struct table {
    struct table_row *rows;
    size_t n, alloc;
};

#define TABLE_INIT                                                                                 \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Add a row of `n` cells (copied); tab_ended: its last cell ends with a tab. */
void table_add(struct table *t, const char *const *cells, size_t n, bool tab_ended);
void table_add_strvec(struct table *t, const struct strvec *cells, bool tab_ended);
void table_print(FILE *out, const struct table *t, size_t min_width, size_t padding);
void table_release(struct table *t);

#endif
