/* The compose projects on an engine, as `ls` shows them: found by their containers' labels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/display.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/kvlist.h"
#include "util/banned.h"

struct counting {
    struct stack_project_row row;
    struct kvlist states; /* state -> count, as text */
};

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const struct stack_project_row *)a)->name,
                  ((const struct stack_project_row *)b)->name);
}

void stack_project_rows(const struct stack_container_list *l, bool all,
                        struct stack_project_rows *out)
{
    struct counting *c = xcalloc(l->n + 1, sizeof(*c));
    size_t n = 0;

    for (size_t i = 0; i < l->n; i++) {
        const struct stack_container *ct = &l->items[i];
        const char *files = kvlist_get(&ct->labels, LABEL_CONFIG_FILES);
        const char *state = *ct->state ? ct->state : "unknown";
        struct counting *row = NULL;
        const char *count;
        char num[24];

        for (size_t k = 0; k < n && !row; k++)
            if (!strcmp(c[k].row.name, ct->project))
                row = &c[k];
        if (!row) {
            row = &c[n++];
            row->row.name = xstrdup(ct->project);
            row->row.config_files = xstrdup(files ? files : "");
        }
        count = kvlist_get(&row->states, state);
        snprintf(num, sizeof(num), "%ld", (count ? strtol(count, NULL, 10) : 0) + 1);
        kvlist_set(&row->states, state, num);
        if (!strcmp(state, "running"))
            row->row.running++;
    }

    out->items = xcalloc(n + 1, sizeof(*out->items));
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        struct buf status = BUF_INIT;

        if (!all && !c[i].row.running) {
            free(c[i].row.name);
            free(c[i].row.config_files);
            kvlist_clear(&c[i].states);
            continue;
        }
        kvlist_sort(&c[i].states);
        for (size_t k = 0; k < c[i].states.n; k++)
            buf_addf(&status, "%s%s(%s)", k ? ", " : "", c[i].states.items[k].key,
                     c[i].states.items[k].value);
        c[i].row.status = buf_detach(&status, NULL);
        out->items[out->n++] = c[i].row;
        kvlist_clear(&c[i].states);
    }
    free(c);
    qsort(out->items, out->n, sizeof(*out->items), cmp_row);
}

void stack_project_rows_release(struct stack_project_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].name);
        free(r->items[i].status);
        free(r->items[i].config_files);
    }
    free(r->items);
    memset(r, 0, sizeof(*r));
}
