/*
 * The relations of the revision graph and Alembic's way of following them
 * (alembic/script/revision.py, _iterate_related_revisions): lists of
 * revisions, ancestors and descendants as marks or in visiting order, shared
 * lineage. revmap.c, resolve.c and walk.c are built on these.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/internal.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/banned.h"

/* ---- lists of revisions ------------------------------------------------- */

/* Alembic's "base" where a walk goes below the bases (a string there). */
struct revision rev_base_mark;

void rlist_push(struct rlist *l, struct revision *r)
{
    l->v = xgrow(l->v, &l->alloc, l->n + 1, sizeof(*l->v));
    l->v[l->n++] = r;
}

void rev_array_push(struct revision ***v, size_t *n, struct revision *r)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = r;
}

bool rev_array_has(struct revision *const *v, size_t n, const struct revision *r)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == r)
            return true;
    return false;
}

bool rlist_has(const struct rlist *l, const struct revision *r)
{
    return rev_array_has(l->v, l->n, r);
}

void rlist_push_unique(struct rlist *l, struct revision *r)
{
    if (!rlist_has(l, r))
        rlist_push(l, r);
}

void rlist_release(struct rlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->alloc = 0;
}

/* ---- relations ----------------------------------------------------------- */

void related(struct rlist *out, const struct revision *r, enum rel how)
{
    out->n = 0;
    switch (how) {
    case REL_DOWN:
        for (size_t i = 0; i < r->down.n; i++)
            rlist_push(out, r->parents[i]);
        break;
    case REL_ALL_DOWN:
    case REL_NORM_DOWN: {
        struct revision **deps = how == REL_ALL_DOWN ? r->deps : r->norm_deps;
        size_t ndeps = how == REL_ALL_DOWN ? r->ndeps : r->nnorm_deps;

        for (size_t i = 0; i < r->down.n; i++)
            rlist_push_unique(out, r->parents[i]);
        for (size_t i = 0; i < ndeps; i++)
            rlist_push_unique(out, deps[i]);
        break;
    }
    case REL_NEXT:
        for (size_t i = 0; i < r->nnextrev; i++)
            rlist_push(out, r->nextrev[i]);
        break;
    case REL_ALL_NEXT:
        for (size_t i = 0; i < r->nall_nextrev; i++)
            rlist_push(out, r->all_nextrev[i]);
        break;
    }
}

/* Alembic's assertion where a relative walk went past the end of the revisions. */
int walked_too_far(struct ds_error *err)
{
    return ds_error_set(err, DS_EINVAL, "Walked too far");
}

/* Is every entry a revision, not where a walk went past the end (NULL, REV_BASE)? */
int check_walked(const struct rlist *l, struct ds_error *err)
{
    for (size_t i = 0; i < l->n; i++)
        if (!l->v[i] || l->v[i] == REV_BASE)
            return walked_too_far(err);
    return DS_OK;
}

/*
 * Alembic's _iterate_related_revisions: depth first from each target in
 * turn, with one seen-set for all. Visited revisions are marked in seen
 * (map->n entries) and appended to order (may be NULL) in Alembic's order.
 * With check, a target that reaches another target is an error.
 */
int iterate_related(const struct revmap *map, enum rel how, struct revision *const *targets,
                    size_t ntargets, bool check, bool *seen, struct rlist *order,
                    struct ds_error *err)
{
    struct rlist pending = RLIST_INIT, next = RLIST_INIT;
    bool *per_target = check ? xcalloc(map->n, sizeof(*per_target)) : NULL;
    int rc = DS_OK;

    for (size_t t = 0; t < ntargets; t++) {
        if (!targets[t] || targets[t] == REV_BASE) {
            /* Alembic asserts here: a relative end went past the revisions */
            rc = walked_too_far(err);
            break;
        }
        if (check)
            memset(per_target, 0, map->n * sizeof(*per_target));
        rlist_push(&pending, targets[t]);
        while (pending.n) {
            struct revision *r = pending.v[--pending.n];

            if (check)
                per_target[r->index] = true;
            if (seen[r->index])
                continue;
            seen[r->index] = true;
            related(&next, r, how);
            for (size_t i = 0; i < next.n; i++)
                rlist_push(&pending, next.v[i]);
            if (order)
                rlist_push(order, r);
        }
        if (check) {
            struct buf overlaps = BUF_INIT;

            for (size_t i = 0; i < ntargets; i++)
                if (targets[i] && targets[i] != REV_BASE && targets[i] != targets[t] &&
                    per_target[targets[i]->index] && !rev_array_has(targets, i, targets[i]))
                    buf_addf(&overlaps, "%s%s", overlaps.len ? ", " : "", targets[i]->id);
            if (overlaps.len)
                rc = ds_error_set(err, DS_EINVAL,
                                  "Requested revision %s overlaps with other requested "
                                  "revisions %s",
                                  targets[t]->id, overlaps.buf);
            buf_release(&overlaps);
            if (rc < 0)
                break;
        }
    }
    rlist_release(&pending);
    rlist_release(&next);
    free(per_target);
    return rc;
}

/* The marks (map->n, caller frees) of what iterate_related() visits. */
bool *related_marks(const struct revmap *map, enum rel how, struct revision *const *targets,
                    size_t ntargets)
{
    bool *seen = xcalloc(map->n, sizeof(*seen));

    iterate_related(map, how, targets, ntargets, false, seen, NULL, NULL);
    return seen;
}

/* The revisions iterate_related() visits, appended to order in its order. */
void related_order(const struct revmap *map, enum rel how, struct revision *const *targets,
                   size_t ntargets, struct rlist *order)
{
    bool *seen = xcalloc(map->n, sizeof(*seen));

    iterate_related(map, how, targets, ntargets, false, seen, order, NULL);
    free(seen);
}

/* Alembic's _shares_lineage without dependencies: is any of `against` above or below target? */
bool shares_lineage(const struct revmap *map, struct revision *target,
                    struct revision *const *against, size_t nagainst)
{
    bool *up, *down, found = false;

    if (!nagainst)
        return true;
    up = related_marks(map, REL_NEXT, &target, 1);
    down = related_marks(map, REL_DOWN, &target, 1);
    for (size_t i = 0; i < nagainst && !found; i++)
        found = against[i] && (up[against[i]->index] || down[against[i]->index]);
    free(up);
    free(down);
    return found;
}
