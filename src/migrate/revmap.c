/*
 * The revision map: Alembic 1.8's RevisionMap (alembic/script/revision.py)
 * built over struct revision. Ids and branch labels are looked up, down
 * revisions and dependencies linked, heads and bases found, branch labels
 * spread along their branches, and a map Alembic would refuse (illegal
 * characters, a duplicate, a missing revision, a cycle) is an error with
 * Alembic's text. Where Alembic iterates a Python set or frozenset (nextrev,
 * normalized dependencies, branch labels) its order is arbitrary; here it is
 * load order.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/internal.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"
#include "util/banned.h"

/* ---- the map -------------------------------------------------------------- */

void revmap_add(struct revmap *map, struct revision *rev)
{
    map->revs = xgrow(map->revs, &map->alloc, map->n + 1, sizeof(*map->revs));
    map->revs[map->n++] = rev;
    map->built = false;
    strmap_add(&map->ids, rev->id, map->n - 1, NULL);
    strmap_reset(&map->labels);
}

struct revision *revmap_get(const struct revmap *map, const char *id)
{
    size_t at;

    return strmap_get(&map->ids, id, &at) ? map->revs[at] : NULL;
}

int revmap_check_built(const struct revmap *map, struct ds_error *err)
{
    if (map->n && !map->built)
        return ds_error_set(err, DS_EINVAL, "the revision map is not built");
    return DS_OK;
}

static struct revision *lookup_label(const struct revmap *map, const char *label)
{
    size_t at;

    /* the index is whole once built, or from the check of the labels on while building */
    if (map->built || map->labels.n)
        return strmap_get(&map->labels, label, &at) ? map->revs[at] : NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strvec_contains(&map->revs[i]->branch_labels, label))
            return map->revs[i];
    return NULL;
}

/* A key of Alembic's _revision_map: a revision id or a branch label. */
struct revision *revmap_lookup_key(const struct revmap *map, const char *key)
{
    struct revision *r = revmap_get(map, key);

    return r ? r : lookup_label(map, key);
}

void revmap_release(struct revmap *map)
{
    for (size_t i = 0; i < map->n; i++)
        revision_free(map->revs[i]);
    free(map->revs);
    free(map->heads);
    free(map->bases);
    strmap_release(&map->ids);
    strmap_release(&map->labels);
    *map = (struct revmap)REVMAP_INIT;
}

/* ---- consistency ---------------------------------------------------------- */

static const char *rev_file(const struct revision *r)
{
    return r->path ? r->path : r->id;
}

static int check_revision(const struct revision *r, struct ds_error *err)
{
    static const char illegal[] = "+-@";
    struct buf found = BUF_INIT;

    /* Alembic lists the characters sorted: "+", "-", "@" */
    for (const char *c = illegal; *c; c++)
        if (strchr(r->id, *c))
            buf_addf(&found, "%s%c", found.len ? ", " : "", *c);
    if (found.len) {
        ds_error_set(err, DS_EINVAL, "Character(s) '%s' not allowed in revision identifier '%s'",
                     found.buf, r->id);
        buf_release(&found);
        return ds_error_wrap(err, "%s", rev_file(r));
    }
    if (strvec_contains(&r->down, r->id)) {
        ds_error_set(err, DS_EINVAL, "Self-loop is detected in revisions (%s)", r->id);
        return ds_error_wrap(err, "%s", rev_file(r));
    }
    if (strvec_contains(&r->depends_on, r->id)) {
        ds_error_set(err, DS_EINVAL, "Dependency self-loop is detected in revisions (%s)", r->id);
        return ds_error_wrap(err, "%s", rev_file(r));
    }
    return DS_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Alembic's CycleDetected and DependencyCycleDetected: "<kind> is detected
 * in revisions (a, b)", the ids sorted or in the order given.
 */
static int cycle_fail(struct ds_error *err, const char *kind, const char **ids, size_t n, bool sort)
{
    struct buf list = BUF_INIT;

    if (sort)
        qsort(ids, n, sizeof(*ids), cmp_str);
    for (size_t i = 0; i < n; i++)
        buf_addf(&list, "%s%s", i ? ", " : "", ids[i]);
    ds_error_set(err, DS_EINVAL, "%s is detected in revisions (%s)", kind, list.buf);
    buf_release(&list);
    return DS_EINVAL;
}

/* Every id not marked in both, sorted; without marks all of them, in load order. */
static int cycle_error(const struct revmap *map, const char *kind, const bool *a, const bool *b,
                       struct ds_error *err)
{
    const char **ids = xcalloc(map->n, sizeof(*ids));
    size_t n = 0;
    int rc = DS_OK;

    for (size_t i = 0; i < map->n; i++)
        if (!a || !b || !a[i] || !b[i])
            ids[n++] = map->revs[i]->id;
    if (n)
        rc = cycle_fail(err, kind, ids, n, a && b);
    free(ids);
    return rc;
}

/*
 * Alembic's _detect_cycles: every revision must lie between a head and a
 * base, first through down_revision alone, then with dependencies.
 */
static int detect_cycles(struct revmap *map, struct ds_error *err)
{
    static const struct {
        const char *kind;
        enum rel down, up;
        bool real;
    } passes[] = {
            {"Cycle", REL_DOWN, REL_NEXT, false},
            {"Dependency cycle", REL_ALL_DOWN, REL_ALL_NEXT, true},
    };
    int rc = DS_OK;

    for (size_t p = 0; p < ARRAY_SIZE(passes) && rc == DS_OK; p++) {
        struct rlist heads = RLIST_INIT, bases = RLIST_INIT;
        bool *from_heads, *from_bases;

        for (size_t i = 0; i < map->n; i++) {
            struct revision *r = map->revs[i];

            if (passes[p].real ? !r->nall_nextrev : !r->nnextrev)
                rlist_push(&heads, r);
            if (!r->down.n && (!passes[p].real || !r->depends_on.n))
                rlist_push(&bases, r);
        }
        if (!heads.n || !bases.n) {
            rc = cycle_error(map, passes[p].kind, NULL, NULL, err);
        } else {
            from_heads = related_marks(map, passes[p].down, heads.v, heads.n);
            from_bases = related_marks(map, passes[p].up, bases.v, bases.n);
            rc = cycle_error(map, passes[p].kind, from_heads, from_bases, err);
            free(from_heads);
            free(from_bases);
        }
        rlist_release(&heads);
        rlist_release(&bases);
    }
    return rc;
}

/*
 * A cycle through dependencies that Alembic's _detect_cycles lets through
 * (it only finds revisions no head or base reaches): its revisions, sorted.
 */
int revmap_dependency_cycle(const struct revmap *map, struct ds_error *err)
{
    const char **ids = xcalloc(map->n, sizeof(*ids));
    struct rlist down = RLIST_INIT;
    size_t n = 0;
    int rc;

    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];
        bool *below;

        related(&down, r, REL_NORM_DOWN);
        below = related_marks(map, REL_NORM_DOWN, down.v, down.n);
        if (below[i])
            ids[n++] = r->id;
        free(below);
    }
    rc = cycle_fail(err, "Dependency cycle", ids, n, true);
    rlist_release(&down);
    free(ids);
    return rc;
}

/* ---- building ------------------------------------------------------------- */

static void add_labels(struct strvec *to, const struct strvec *from)
{
    for (size_t i = 0; i < from->n; i++)
        if (!strvec_contains(to, from->v[i]))
            strvec_push(to, from->v[i]);
}

/*
 * Alembic's _add_branches: a revision's labels go to all its descendants,
 * then from the last descendant visited back down until a branch point or a
 * merge point, which reaches the labelled revision's ancestors on a straight
 * line.
 */
static void spread_labels(struct revmap *map)
{
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i], *parent;
        struct strvec labels = STRVEC_INIT;
        struct rlist order = RLIST_INIT;

        if (!r->branch_labels.n)
            continue;
        strvec_copy(&labels, &r->labels);
        related_order(map, REL_NEXT, &r, 1, &order);
        for (size_t k = 0; k < order.n; k++)
            add_labels(&order.v[k]->labels, &labels);
        parent = order.v[order.n - 1];
        while (parent && parent->nall_nextrev <= 1 && parent->down.n <= 1) {
            add_labels(&parent->labels, &labels);
            parent = parent->down.n ? parent->parents[0] : NULL;
        }
        rlist_release(&order);
        strvec_clear(&labels);
    }
}

/* Each dependency that no ancestor (through down_revision) depends on too. */
static void normalize_deps(struct revmap *map)
{
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];
        struct rlist order = RLIST_INIT;
        bool *drop;

        if (!r->ndeps)
            continue;
        drop = xcalloc(map->n, sizeof(*drop));
        related_order(map, REL_DOWN, &r, 1, &order);
        for (size_t k = 0; k < order.n; k++)
            if (order.v[k] != r)
                for (size_t d = 0; d < order.v[k]->ndeps; d++)
                    drop[order.v[k]->deps[d]->index] = true;
        for (size_t d = 0; d < r->ndeps; d++)
            if (!drop[r->deps[d]->index])
                rev_array_push(&r->norm_deps, &r->nnorm_deps, r->deps[d]);
        free(drop);
        rlist_release(&order);
    }
}

static void link_child(struct revision *parent, struct revision *child, bool versioned)
{
    if (!rev_array_has(parent->all_nextrev, parent->nall_nextrev, child))
        rev_array_push(&parent->all_nextrev, &parent->nall_nextrev, child);
    if (versioned && !rev_array_has(parent->nextrev, parent->nnextrev, child))
        rev_array_push(&parent->nextrev, &parent->nnextrev, child);
}

int revmap_build(struct revmap *map, struct ds_error *err)
{
    int rc;

    free(map->heads);
    free(map->bases);
    map->heads = map->bases = NULL;
    map->nheads = map->nbases = 0;
    map->built = false;
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];

        revision_links_release(r);
        strvec_init(&r->labels);
        r->index = (unsigned)i;
        if ((rc = check_revision(r, err)) < 0)
            return rc;
    }
    /* Alembic warns and keeps the last; two files claiming one id is a mistake */
    for (size_t i = 0; i < map->n; i++) {
        size_t first;

        if (strmap_get(&map->ids, map->revs[i]->id, &first) && first != i)
            return ds_error_set(err, DS_ECONFLICT, "Revision %s is present more than once (%s, %s)",
                                map->revs[i]->id, rev_file(map->revs[first]),
                                rev_file(map->revs[i]));
    }
    strmap_reset(&map->labels);
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];

        for (size_t l = 0; l < r->branch_labels.n; l++) {
            const char *label = r->branch_labels.v[l];
            struct revision *other = revmap_get(map, label);
            size_t at;

            /* else the first revision (this one included) that named it before */
            if (!other && !strmap_add(&map->labels, label, i, &at))
                other = map->revs[at];
            if (other)
                return ds_error_set(err, DS_ECONFLICT,
                                    "Branch name '%s' in revision %s already used by revision %s",
                                    label, r->id, other->id);
            if (!strvec_contains(&r->labels, label))
                strvec_push(&r->labels, label);
        }
    }
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];

        for (size_t d = 0; d < r->depends_on.n; d++) {
            struct revision *dep = revmap_lookup_key(map, r->depends_on.v[d]);

            if (!dep)
                return ds_error_set(err, DS_ENOTFOUND,
                                    "Dependency %s referenced from %s is not present",
                                    r->depends_on.v[d], rev_file(r));
            if (!rev_array_has(r->deps, r->ndeps, dep))
                rev_array_push(&r->deps, &r->ndeps, dep);
        }
    }
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];

        r->parents = xcalloc(r->down.n ? r->down.n : 1, sizeof(*r->parents));
        for (size_t d = 0; d < r->down.n; d++) {
            r->parents[d] = revmap_get(map, r->down.v[d]);
            if (!r->parents[d])
                return ds_error_set(err, DS_ENOTFOUND,
                                    "Revision %s referenced from %s is not present", r->down.v[d],
                                    rev_file(r));
        }
    }
    /* children in load order: Alembic's nextrev is a frozenset */
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];

        for (size_t d = 0; d < r->down.n; d++)
            link_child(r->parents[d], r, true);
        for (size_t d = 0; d < r->ndeps; d++)
            link_child(r->deps[d], r, false);
    }
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];

        if (!r->nnextrev)
            rev_array_push(&map->heads, &map->nheads, r);
        if (!r->down.n)
            rev_array_push(&map->bases, &map->nbases, r);
    }
    normalize_deps(map);
    if ((rc = detect_cycles(map, err)) < 0)
        return rc;
    spread_labels(map);
    map->built = true;
    return DS_OK;
}
