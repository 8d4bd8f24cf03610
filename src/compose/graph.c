/*
 * Start order from depends_on: layers of services whose dependencies are all
 * in earlier layers. Linear in services + dependencies: a 300-service chain
 * must not cost 300 passes over 300 services.
 */
#include <stdlib.h>
#include <string.h>

#include "compose/internal.h"
#include "util/alloc.h"
#include "util/banned.h"

void compose_layers_release(struct compose_layers *l)
{
    for (size_t i = 0; i < l->n; i++)
        strvec_clear(&l->layers[i]);
    free(l->layers);
    l->layers = NULL;
    l->n = 0;
}

enum mark { UNSEEN, ON_PATH, DONE };

struct graph {
    const struct compose_project *p;
    size_t **deps; /* deps[i]: indices of the enabled services i depends on */
    size_t *n_deps;
    size_t **dep_entry; /* the depends_on entry behind each edge, for messages */
    enum mark *marks;
    size_t *stack;
    size_t *layer;
};

static size_t index_of(const struct compose_project *p, const char *name)
{
    const struct compose_service *s = compose_find_service(p, name);

    return s ? (size_t)(s - p->services) : (size_t)-1;
}

/* Depth-first: find a cycle (naming it in err) or give every service its layer. */
static int visit(struct graph *g, size_t at, size_t depth, struct ds_error *err)
{
    size_t layer = 0;

    g->marks[at] = ON_PATH;
    g->stack[depth] = at;
    for (size_t k = 0; k < g->n_deps[at]; k++) {
        size_t next = g->deps[at][k];

        if (g->marks[next] == ON_PATH) {
            const struct compose_dependency *d =
                    &g->p->services[at].depends_on[g->dep_entry[at][k]];
            struct buf chain = BUF_INIT;
            size_t from = 0;

            while (g->stack[from] != next)
                from++;
            for (size_t i = from; i <= depth; i++)
                buf_addf(&chain, "%s -> ", g->p->services[g->stack[i]].name);
            buf_adds(&chain, g->p->services[next].name);
            ds_error_set(err, DS_EINVAL, "%s:%d:%d: dependency cycle: %s", d->pos.file, d->pos.line,
                         d->pos.col, chain.buf);
            ds_error_hint(err, "remove one of these depends_on entries");
            buf_release(&chain);
            return DS_EINVAL;
        }
        if (g->marks[next] == UNSEEN && visit(g, next, depth + 1, err) < 0)
            return DS_EINVAL;
        if (g->layer[next] + 1 > layer)
            layer = g->layer[next] + 1;
    }
    g->layer[at] = layer;
    g->marks[at] = DONE;
    return 0;
}

int compose_layers(const struct compose_project *p, struct compose_layers *out,
                   struct ds_error *err)
{
    size_t n = p->n_services, deepest = 0;
    struct graph g = {.p = p};
    int rc = 0;

    memset(out, 0, sizeof(*out));
    g.deps = xcalloc(n + 1, sizeof(*g.deps));
    g.dep_entry = xcalloc(n + 1, sizeof(*g.dep_entry));
    g.n_deps = xcalloc(n + 1, sizeof(*g.n_deps));
    g.marks = xcalloc(n + 1, sizeof(*g.marks));
    g.stack = xcalloc(n + 1, sizeof(*g.stack));
    g.layer = xcalloc(n + 1, sizeof(*g.layer));
    for (size_t i = 0; i < n; i++) {
        const struct compose_service *s = &p->services[i];

        if (!s->enabled)
            continue;
        g.deps[i] = xcalloc(s->n_depends_on + 1, sizeof(**g.deps));
        g.dep_entry[i] = xcalloc(s->n_depends_on + 1, sizeof(**g.dep_entry));
        for (size_t d = 0; d < s->n_depends_on; d++) {
            size_t j = index_of(p, s->depends_on[d].service);

            if (j != (size_t)-1 && p->services[j].enabled) {
                g.dep_entry[i][g.n_deps[i]] = d;
                g.deps[i][g.n_deps[i]++] = j;
            }
        }
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        if (p->services[i].enabled && g.marks[i] == UNSEEN)
            rc = visit(&g, i, 0, err);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            if (p->services[i].enabled && g.layer[i] + 1 > deepest)
                deepest = g.layer[i] + 1;
        out->layers = xcalloc(deepest + 1, sizeof(*out->layers));
        out->n = deepest;
        for (size_t l = 0; l < deepest; l++)
            strvec_init(&out->layers[l]);
        /* within a layer, services keep the order of the file */
        for (size_t i = 0; i < n; i++)
            if (p->services[i].enabled)
                strvec_push(&out->layers[g.layer[i]], p->services[i].name);
    }
    for (size_t i = 0; i < n; i++) {
        free(g.deps[i]);
        free(g.dep_entry[i]);
    }
    free(g.deps);
    free(g.dep_entry);
    free(g.n_deps);
    free(g.marks);
    free(g.stack);
    free(g.layer);
    return rc;
}
