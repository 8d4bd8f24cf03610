/*
 * The revision graph: Alembic 1.8's RevisionMap (alembic/script/revision.py)
 * over struct revision. The walks, resolutions and error texts follow
 * Alembic's, quirks included, because `devstack db history` and friends must
 * print what `alembic history` prints. Where Alembic iterates a Python set or
 * frozenset (nextrev, normalized dependencies, branch labels, the "overlaps"
 * list) its order is arbitrary; here it is load order.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/internal.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"
#include "util/banned.h"

/* ---- small helpers ------------------------------------------------------ */

struct rlist {
    struct revision **v;
    size_t n, alloc;
};

#define RLIST_INIT                                                                                 \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Alembic's "base" where a walk goes below the bases (a string there). */
static struct revision base_mark;
#define BASE (&base_mark)

static void rlist_push(struct rlist *l, struct revision *r)
{
    l->v = xgrow(l->v, &l->alloc, l->n + 1, sizeof(*l->v));
    l->v[l->n++] = r;
}

static bool array_has(struct revision *const *v, size_t n, const struct revision *r)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == r)
            return true;
    return false;
}

static bool rlist_has(const struct rlist *l, const struct revision *r)
{
    return array_has(l->v, l->n, r);
}

static void rlist_push_unique(struct rlist *l, struct revision *r)
{
    if (!rlist_has(l, r))
        rlist_push(l, r);
}

static void rlist_release(struct rlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->alloc = 0;
}

static void array_push(struct revision ***v, size_t *n, struct revision *r)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = r;
}

static bool nonempty(const char *s)
{
    return s && *s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- relations and walks -------------------------------------------------- */

enum rel {
    REL_DOWN,      /* down_revision */
    REL_ALL_DOWN,  /* down_revision and depends_on */
    REL_NORM_DOWN, /* down_revision and the dependencies no ancestor has */
    REL_NEXT,      /* children through down_revision */
    REL_ALL_NEXT,  /* children through down_revision or depends_on */
};

static void related(struct rlist *out, const struct revision *r, enum rel how)
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
static int walked_too_far(struct ds_error *err)
{
    return ds_error_set(err, DS_EINVAL, "Walked too far");
}

/* Is every entry a revision, not where a walk went past the end (NULL, BASE)? */
static int check_walked(const struct rlist *l, struct ds_error *err)
{
    for (size_t i = 0; i < l->n; i++)
        if (!l->v[i] || l->v[i] == BASE)
            return walked_too_far(err);
    return DS_OK;
}

/*
 * Alembic's _iterate_related_revisions: depth first from each target in
 * turn, with one seen-set for all. Visited revisions are marked in seen
 * (map->n entries) and appended to order (may be NULL) in Alembic's order.
 * With check, a target that reaches another target is an error.
 */
static int iterate_related(const struct revmap *map, enum rel how, struct revision *const *targets,
                           size_t ntargets, bool check, bool *seen, struct rlist *order,
                           struct ds_error *err)
{
    struct rlist pending = RLIST_INIT, next = RLIST_INIT;
    bool *per_target = check ? xcalloc(map->n, sizeof(*per_target)) : NULL;
    int rc = DS_OK;

    for (size_t t = 0; t < ntargets; t++) {
        if (!targets[t] || targets[t] == BASE) {
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
                if (targets[i] && targets[i] != BASE && targets[i] != targets[t] &&
                    per_target[targets[i]->index] && !array_has(targets, i, targets[i]))
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
static bool *related_marks(const struct revmap *map, enum rel how, struct revision *const *targets,
                           size_t ntargets)
{
    bool *seen = xcalloc(map->n, sizeof(*seen));

    iterate_related(map, how, targets, ntargets, false, seen, NULL, NULL);
    return seen;
}

/* The revisions iterate_related() visits, appended to order in its order. */
static void related_order(const struct revmap *map, enum rel how, struct revision *const *targets,
                          size_t ntargets, struct rlist *order)
{
    bool *seen = xcalloc(map->n, sizeof(*seen));

    iterate_related(map, how, targets, ntargets, false, seen, order, NULL);
    free(seen);
}

/* Alembic's _shares_lineage without dependencies: is any of `against` above or below target? */
static bool shares_lineage(const struct revmap *map, struct revision *target,
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

/* ---- the map -------------------------------------------------------------- */

void revmap_add(struct revmap *map, struct revision *rev)
{
    map->revs = xgrow(map->revs, &map->alloc, map->n + 1, sizeof(*map->revs));
    map->revs[map->n++] = rev;
    map->built = false;
}

struct revision *revmap_get(const struct revmap *map, const char *id)
{
    for (size_t i = 0; i < map->n; i++)
        if (!strcmp(map->revs[i]->id, id))
            return map->revs[i];
    return NULL;
}

int revmap_check_built(const struct revmap *map, struct ds_error *err)
{
    if (map->n && !map->built)
        return ds_error_set(err, DS_EINVAL, "the revision map is not built");
    return DS_OK;
}

static struct revision *lookup_label(const struct revmap *map, const char *label)
{
    for (size_t i = 0; i < map->n; i++)
        if (strvec_contains(&map->revs[i]->branch_labels, label))
            return map->revs[i];
    return NULL;
}

/* A key of Alembic's _revision_map: a revision id or a branch label. */
static struct revision *lookup_key(const struct revmap *map, const char *key)
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
    *map = (struct revmap)REVMAP_INIT;
}

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
                array_push(&r->norm_deps, &r->nnorm_deps, r->deps[d]);
        free(drop);
        rlist_release(&order);
    }
}

static void link_child(struct revision *parent, struct revision *child, bool versioned)
{
    if (!array_has(parent->all_nextrev, parent->nall_nextrev, child))
        array_push(&parent->all_nextrev, &parent->nall_nextrev, child);
    if (versioned && !array_has(parent->nextrev, parent->nnextrev, child))
        array_push(&parent->nextrev, &parent->nnextrev, child);
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
    for (size_t i = 0; i < map->n; i++)
        for (size_t k = 0; k < i; k++)
            if (!strcmp(map->revs[i]->id, map->revs[k]->id))
                return ds_error_set(
                        err, DS_ECONFLICT, "Revision %s is present more than once (%s, %s)",
                        map->revs[i]->id, rev_file(map->revs[k]), rev_file(map->revs[i]));
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];

        for (size_t l = 0; l < r->branch_labels.n; l++) {
            const char *label = r->branch_labels.v[l];
            struct revision *other = revmap_get(map, label);

            for (size_t k = 0; !other && k <= i; k++) {
                size_t upto = k < i ? map->revs[k]->branch_labels.n : l;

                for (size_t m = 0; m < upto && !other; m++)
                    if (!strcmp(map->revs[k]->branch_labels.v[m], label))
                        other = map->revs[k];
            }
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
            struct revision *dep = lookup_key(map, r->depends_on.v[d]);

            if (!dep)
                return ds_error_set(err, DS_ENOTFOUND,
                                    "Dependency %s referenced from %s is not present",
                                    r->depends_on.v[d], rev_file(r));
            if (!array_has(r->deps, r->ndeps, dep))
                array_push(&r->deps, &r->ndeps, dep);
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
            array_push(&map->heads, &map->nheads, r);
        if (!r->down.n)
            array_push(&map->bases, &map->nbases, r);
    }
    normalize_deps(map);
    if ((rc = detect_cycles(map, err)) < 0)
        return rc;
    spread_labels(map);
    map->built = true;
    return DS_OK;
}

/* ---- resolving what the user typed ---------------------------------------- */

/* Where a resolution happens: the error texts depend on it, as in Alembic's commands. */
struct rctx {
    const struct revmap *map;
    struct ds_error *err;
    const char *head_arg; /* walk_revisions' end for the multiple-heads text; NULL: the argument */
};

static int not_found(struct rctx *c, const char *argument)
{
    return ds_error_set(c->err, DS_ENOTFOUND, "Can't locate revision identified by '%s'", argument);
}

static int multiple_heads(struct rctx *c, const char *argument)
{
    const char *arg = c->head_arg ? c->head_arg : argument;

    return ds_error_set(c->err, DS_EINVAL,
                        "Multiple head revisions are present for given argument '%s'; please "
                        "specify a specific target revision, '<branchname>@%s' to narrow to a "
                        "specific head, or 'heads' for all heads",
                        arg, arg);
}

static int filter_for_lineage(struct rctx *c, struct revision *const *targets, size_t ntargets,
                              const char *check_against, struct rlist *out);
static int revision_for_ident(struct rctx *c, const char *id, const char *check_branch,
                              struct revision **out);

/* Alembic's get_current_head: the one head (on the branch); NULL when none. */
static int current_head(struct rctx *c, const char *branch, struct revision **out)
{
    struct rlist heads = RLIST_INIT;
    int rc = DS_OK;

    *out = NULL;
    if (nonempty(branch)) {
        rc = filter_for_lineage(c, c->map->heads, c->map->nheads, branch, &heads);
    } else {
        for (size_t i = 0; i < c->map->nheads; i++)
            rlist_push(&heads, c->map->heads[i]);
    }
    if (rc == DS_OK && heads.n > 1) {
        struct buf arg = BUF_INIT;

        if (nonempty(branch))
            buf_addf(&arg, "%s@head", branch);
        else
            buf_adds(&arg, "head");
        rc = multiple_heads(c, arg.buf);
        buf_release(&arg);
    } else if (rc == DS_OK && heads.n) {
        *out = heads.v[0];
    }
    rlist_release(&heads);
    return rc;
}

/*
 * Alembic's _resolve_revision_number: "branch@id", with "heads" (real heads,
 * or the heads on the branch), "head" and "base" worked out. The ids are
 * appended to `ids`; *branch is the part before "@" (caller frees) or NULL.
 */
static int resolve_number(struct rctx *c, const char *spec, struct strvec *ids, char **branch)
{
    const char *at = spec ? strchr(spec, '@') : NULL;
    const char *id = at ? at + 1 : spec;
    int rc = DS_OK;

    *branch = at ? xstrndup(spec, (size_t)(at - spec)) : NULL;
    if (id && !strcmp(id, "heads")) {
        if (nonempty(*branch)) {
            struct rlist heads = RLIST_INIT;

            rc = filter_for_lineage(c, c->map->heads, c->map->nheads, *branch, &heads);
            for (size_t i = 0; i < heads.n; i++)
                strvec_push(ids, heads.v[i]->id);
            rlist_release(&heads);
        } else {
            for (size_t i = 0; i < c->map->n; i++)
                if (!c->map->revs[i]->nall_nextrev)
                    strvec_push(ids, c->map->revs[i]->id);
        }
    } else if (id && !strcmp(id, "head")) {
        struct revision *head;

        rc = current_head(c, *branch, &head);
        if (rc == DS_OK && head)
            strvec_push(ids, head->id);
    } else if (id && strcmp(id, "base")) {
        strvec_push(ids, id);
    }
    if (rc < 0) {
        free(*branch);
        *branch = NULL;
    }
    return rc;
}

/* Alembic's filter_for_lineage: the targets above or below what check_against names. */
static int filter_for_lineage(struct rctx *c, struct revision *const *targets, size_t ntargets,
                              const char *check_against, struct rlist *out)
{
    struct strvec shares = STRVEC_INIT, ids = STRVEC_INIT;
    struct rlist against = RLIST_INIT;
    char *branch = NULL;
    int rc;

    if (!ntargets)
        return DS_OK;
    if ((rc = resolve_number(c, check_against, &ids, &branch)) < 0)
        goto done;
    if (nonempty(branch))
        strvec_push(&shares, branch);
    strvec_copy(&shares, &ids);
    for (size_t i = 0; i < shares.n; i++) {
        struct revision *r;

        if ((rc = revision_for_ident(c, shares.v[i], NULL, &r)) < 0)
            goto done;
        rlist_push(&against, r);
    }
    for (size_t i = 0; i < ntargets; i++)
        if (shares_lineage(c->map, targets[i], against.v, against.n))
            rlist_push(out, targets[i]);

done:
    strvec_clear(&shares);
    strvec_clear(&ids);
    rlist_release(&against);
    free(branch);
    return rc;
}

/* Alembic's _resolve_branch: a branch label, else a revision (id or prefix). */
static int resolve_branch(struct rctx *c, const char *label, struct revision **out)
{
    *out = lookup_key(c->map, label);
    if (*out)
        return DS_OK;
    if (revision_for_ident(c, label, NULL, out) < 0)
        return not_found(c, label);
    return DS_OK;
}

/*
 * Alembic's _revision_for_ident: an id or a branch label, else a unique
 * prefix of one; with check_branch, it must share that branch's lineage.
 * id NULL (Alembic's empty tuple) gives NULL.
 */
static int revision_for_ident(struct rctx *c, const char *id, const char *check_branch,
                              struct revision **out)
{
    struct revision *branch_rev = NULL, *r;
    int rc;

    *out = NULL;
    if (nonempty(check_branch) && (rc = resolve_branch(c, check_branch, &branch_rev)) < 0)
        return rc;
    if (!id)
        return DS_OK;
    r = lookup_key(c->map, id);
    if (!r) {
        /* Alembic's keys: the ids in load order, then the branch labels */
        struct strvec keys = STRVEC_INIT;
        struct rlist revs = RLIST_INIT, kept = RLIST_INIT;
        struct buf list = BUF_INIT;

        for (size_t i = 0; i < c->map->n; i++) {
            struct revision *k = c->map->revs[i];

            if (strlen(k->id) > 3 && !strncmp(k->id, id, strlen(id))) {
                strvec_push(&keys, k->id);
                rlist_push(&revs, k);
            }
        }
        for (size_t i = 0; i < c->map->n; i++) {
            struct revision *k = c->map->revs[i];

            for (size_t l = 0; l < k->branch_labels.n; l++) {
                const char *label = k->branch_labels.v[l];

                if (strlen(label) > 3 && !strncmp(label, id, strlen(id))) {
                    strvec_push(&keys, label);
                    rlist_push(&revs, k);
                }
            }
        }
        rc = DS_OK;
        if (branch_rev) {
            struct strvec kept_keys = STRVEC_INIT;

            for (size_t i = 0; i < revs.n; i++) {
                if (shares_lineage(c->map, revs.v[i], &branch_rev, 1)) {
                    rlist_push(&kept, revs.v[i]);
                    strvec_push(&kept_keys, keys.v[i]);
                }
            }
            strvec_clear(&keys);
            keys = kept_keys;
            rlist_release(&revs);
            revs = kept;
        }
        if (!revs.n) {
            rc = not_found(c, id);
        } else if (revs.n > 1) {
            for (size_t i = 0; i < keys.n && i < 3; i++)
                buf_addf(&list, "%s'%s'", i ? ", " : "", keys.v[i]);
            rc = ds_error_set(c->err, DS_EINVAL, "Multiple revisions start with '%s': %s...", id,
                              list.buf);
        } else {
            r = revs.v[0];
        }
        buf_release(&list);
        strvec_clear(&keys);
        rlist_release(&revs);
        if (rc < 0)
            return rc;
    }
    if (branch_rev && !shares_lineage(c->map, r, &branch_rev, 1)) {
        /* Alembic: "Revision X is not a member of branch 'Y'", shown as this */
        return not_found(c, id);
    }
    *out = r;
    return DS_OK;
}

/* Alembic's get_revision: one revision or NULL ("base"); several is an error. */
static int get_revision(struct rctx *c, const char *spec, struct revision **out)
{
    struct strvec ids = STRVEC_INIT;
    char *branch = NULL;
    int rc;

    *out = NULL;
    if ((rc = resolve_number(c, spec, &ids, &branch)) < 0)
        return rc;
    if (ids.n > 1)
        rc = multiple_heads(c, spec);
    else
        rc = revision_for_ident(c, ids.n ? ids.v[0] : NULL, branch, out);
    strvec_clear(&ids);
    free(branch);
    return rc;
}

/*
 * Alembic's _walk: `steps` up (> 0, through nextrev, from the bases when
 * start is NULL) or down (< 0, to BASE below a base). Past the end: NULL
 * with no_overwalk, else where the walk stopped.
 */
static int walk(struct rctx *c, struct revision *start, long long steps, const char *branch,
                bool no_overwalk, struct revision **out)
{
    struct revision *initial = start == BASE && steps > 0 ? NULL : start;
    struct rlist children = RLIST_INIT;
    long long count = steps < 0 ? -steps : steps;
    int rc = DS_OK;

    for (long long i = 0; i < count; i++) {
        children.n = 0;
        if (steps > 0) {
            struct revision *const *from = initial ? initial->nextrev : c->map->bases;
            size_t nfrom = initial ? initial->nnextrev : c->map->nbases;

            if (nonempty(branch)) {
                if ((rc = filter_for_lineage(c, from, nfrom, branch, &children)) < 0)
                    goto done;
            } else {
                for (size_t k = 0; k < nfrom; k++)
                    rlist_push(&children, from[k]);
            }
        } else if (initial != BASE) {
            struct revision *const *from = initial ? initial->parents : c->map->heads;
            size_t nfrom = initial ? initial->down.n : c->map->nheads;

            for (size_t k = 0; k < nfrom; k++)
                rlist_push(&children, from[k]);
            if (!children.n)
                rlist_push(&children, BASE);
        }
        if (!children.n) {
            initial = no_overwalk ? NULL : initial;
            break;
        }
        if (children.n > 1) {
            rc = ds_error_set(c->err, DS_EINVAL, "Ambiguous walk");
            goto done;
        }
        initial = children.v[0];
    }
    *out = initial;

done:
    rlist_release(&children);
    return rc;
}

/* Python's int() for what could be a relative number: "-1", " -2 ", "1_0". */
static bool parse_int(const char *s, long long *out)
{
    long long v = 0;
    bool neg = false, digit = false;

    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    for (; (*s >= '0' && *s <= '9') || (*s == '_' && digit && s[1] >= '0' && s[1] <= '9'); s++) {
        if (*s == '_')
            continue;
        digit = true;
        v = v > (LLONG_MAX - 9) / 10 ? LLONG_MAX : v * 10 + (*s - '0');
    }
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    if (!digit || *s)
        return false;
    *out = neg ? -v : v;
    return true;
}

/*
 * Alembic's get_revisions for one spec, appended to out: revisions, BASE,
 * or NULL where a "-N" walk from the heads went too far.
 */
static int get_revisions(struct rctx *c, const char *spec, struct rlist *out)
{
    struct strvec ids = STRVEC_INIT;
    char *branch = NULL;
    long long steps;
    int rc;

    if ((rc = resolve_number(c, spec, &ids, &branch)) < 0)
        return rc;
    if (ids.n == 1 && parse_int(ids.v[0], &steps) && steps < 0) {
        /* "-1", "branch@-1": down from each (real) head */
        for (size_t i = 0; i < c->map->n && rc == DS_OK; i++) {
            struct revision *head = c->map->revs[i], *r;

            if (head->nall_nextrev || (branch && !strvec_contains(&head->labels, branch)))
                continue;
            if ((rc = walk(c, head, steps, NULL, true, &r)) == DS_OK)
                rlist_push(out, r);
        }
    } else {
        for (size_t i = 0; i < ids.n && rc == DS_OK; i++) {
            struct revision *r;

            if ((rc = revision_for_ident(c, ids.v[i], branch, &r)) == DS_OK)
                rlist_push(out, r);
        }
    }
    strvec_clear(&ids);
    free(branch);
    return rc;
}

/* One end of a range: a spec as typed, or the database's versions (a tuple in Alembic). */
struct end {
    const char *spec;
    const struct strvec *versions;
};

static int end_revisions(struct rctx *c, const struct end *e, struct rlist *out)
{
    int rc = DS_OK;

    if (!e->versions)
        return get_revisions(c, e->spec, out);
    for (size_t i = 0; i < e->versions->n && rc == DS_OK; i++)
        rc = get_revisions(c, e->versions->v[i], out);
    return rc;
}

/* Alembic's `relative` pattern, (?:(.+?)@)?(\w+)?((?:\+|-)\d+), matched at the start. */
struct relative {
    char *branch; /* NULL when absent */
    char *symbol; /* NULL when absent */
    char *text;   /* "+2", "-1" */
    long long steps;
};

static bool is_word(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           ch == '_' || ch >= 0x80;
}

static bool match_symbol_relative(const char *s, size_t *symlen, size_t *rellen)
{
    size_t n = 0, d = 0;

    while (is_word((unsigned char)s[n]))
        n++;
    if (s[n] != '+' && s[n] != '-')
        return false;
    while (s[n + 1 + d] >= '0' && s[n + 1 + d] <= '9')
        d++;
    if (!d)
        return false;
    *symlen = n;
    *rellen = 1 + d;
    return true;
}

static bool parse_relative(const char *s, struct relative *rel)
{
    size_t start = 0, symlen = 0, rellen = 0;
    bool found = false;

    memset(rel, 0, sizeof(*rel));
    /* the lazy (.+?)@ takes the first "@" after which the rest matches */
    for (const char *at = strchr(s, '@'); at; at = strchr(at + 1, '@')) {
        if (at > s && !memchr(s, '\n', (size_t)(at - s)) &&
            match_symbol_relative(at + 1, &symlen, &rellen)) {
            start = (size_t)(at - s) + 1;
            found = true;
            break;
        }
    }
    if (!found && !match_symbol_relative(s, &symlen, &rellen))
        return false;
    if (found)
        rel->branch = xstrndup(s, start - 1);
    if (symlen)
        rel->symbol = xstrndup(s + start, symlen);
    rel->text = xstrndup(s + start + symlen, rellen);
    parse_int(rel->text, &rel->steps);
    return true;
}

static void relative_release(struct relative *rel)
{
    free(rel->branch);
    free(rel->symbol);
    free(rel->text);
}

static int relative_short(struct rctx *c, const char *text, long long steps)
{
    return ds_error_set(c->err, DS_EINVAL, "Relative revision %s didn't produce %lld migrations",
                        text, steps < 0 ? -steps : steps);
}

/* "branch@symbol" (symbol alone without a branch) for get_revision(). */
static int get_revision_on(struct rctx *c, const char *branch, const char *symbol,
                           struct revision **out)
{
    struct buf spec = BUF_INIT;
    int rc;

    if (branch)
        buf_addf(&spec, "%s@", branch);
    buf_adds(&spec, symbol);
    rc = get_revision(c, spec.buf, out);
    buf_release(&spec);
    return rc;
}

static int all_current(struct rctx *c, const struct strvec *versions, struct rlist *out);

/*
 * Alembic's _parse_downgrade_target for a relative target going down
 * ("-1", "label@-1", "rev-2", "head-1"): from `current` when no symbol.
 */
static int parse_downgrade_relative(struct rctx *c, const struct strvec *current,
                                    const struct relative *rel, bool assert_length,
                                    struct revision **out)
{
    struct rlist list = RLIST_INIT;
    struct revision *start = NULL;
    const char *symbol = rel->symbol, *branch = rel->branch;
    int rc = DS_OK;

    if (!symbol && nonempty(branch)) {
        struct rlist cur = RLIST_INIT;

        for (size_t i = 0; i < current->n && rc == DS_OK; i++)
            if ((rc = revision_for_ident(c, current->v[i], NULL, &start)) == DS_OK)
                rlist_push(&cur, start);
        if (rc == DS_OK)
            rc = filter_for_lineage(c, cur.v, cur.n, branch, &list);
        if (rc == DS_OK && !list.n) {
            cur.n = 0;
            rc = all_current(c, current, &cur);
            if (rc == DS_OK)
                rc = filter_for_lineage(c, cur.v, cur.n, branch, &list);
        }
        rlist_release(&cur);
        if (rc == DS_OK && list.n != 1)
            rc = ds_error_set(c->err, DS_EINVAL, "Ambiguous walk");
        if (rc == DS_OK)
            symbol = list.v[0]->id;
    } else if (!symbol) {
        if (!current->n) {
            rc = relative_short(c, rel->text, rel->steps);
        } else {
            /* Alembic warns that -1 from several heads is ambiguous and takes the first */
            symbol = current->v[0];
            branch = symbol;
        }
    }
    if (rc == DS_OK)
        rc = get_revision_on(c, branch, symbol, &start);
    if (rc == DS_OK)
        rc = walk(c, start, rel->steps, NULL, assert_length, out);
    if (rc == DS_OK && !*out)
        rc = rel->symbol ? walked_too_far(c->err) : relative_short(c, rel->text, rel->steps);
    rlist_release(&list);
    return rc;
}

/*
 * Alembic's _parse_upgrade_target: an absolute target, or a relative one
 * going up ("+1" from `current`, "rev+2", "label@+1"); appended to out.
 */
/*
 * Where "label@+N" starts when no current revision is on the branch: the
 * tips of the current revisions' ancestors that are (Alembic: a set).
 */
static int branch_tips(struct rctx *c, const struct rlist *cur, const char *branch,
                       struct rlist *out)
{
    struct rlist anc = RLIST_INIT, active = RLIST_INIT, down = RLIST_INIT;
    bool *below = xcalloc(c->map->n, sizeof(*below));
    int rc;

    related_order(c->map, REL_NORM_DOWN, cur->v, cur->n, &anc);
    rc = filter_for_lineage(c, anc.v, anc.n, branch, &active);
    for (size_t i = 0; i < active.n; i++) {
        related(&down, active.v[i], REL_NORM_DOWN);
        for (size_t k = 0; k < down.n; k++)
            below[down.v[k]->index] = true;
    }
    for (size_t i = 0; i < active.n; i++)
        if (!below[active.v[i]->index])
            rlist_push_unique(out, active.v[i]);
    free(below);
    rlist_release(&anc);
    rlist_release(&active);
    rlist_release(&down);
    return rc;
}

/* Where "+N" (no symbol) starts: the one current revision; NULL (below the bases) for none. */
static int upgrade_start(struct rctx *c, const struct end *current, const char *branch,
                         struct revision **from)
{
    struct rlist cur = RLIST_INIT, start = RLIST_INIT;
    int rc = DS_OK;

    *from = NULL;
    if (!nonempty(branch)) {
        size_t ncur = current->versions ? current->versions->n : 1;

        if (ncur > 1)
            return ds_error_set(c->err, DS_EINVAL,
                                "Ambiguous upgrade from multiple current revisions");
        if (ncur)
            rc = get_revision(c, current->versions ? current->versions->v[0] : current->spec, from);
        return rc;
    }
    if ((rc = end_revisions(c, current, &cur)) < 0)
        goto done;
    for (size_t i = 0; i < cur.n; i++) {
        /* what a "-N" end made of them: Alembic looks "base" up as a revision */
        if (cur.v[i] == BASE) {
            rc = not_found(c, "base");
            goto done;
        }
        if (!cur.v[i]) {
            rc = walked_too_far(c->err);
            goto done;
        }
    }
    if ((rc = filter_for_lineage(c, cur.v, cur.n, branch, &start)) < 0)
        goto done;
    if (!start.n && (rc = branch_tips(c, &cur, branch, &start)) < 0)
        goto done;
    if (start.n > 1)
        rc = ds_error_set(c->err, DS_EINVAL, "Ambiguous upgrade from multiple current revisions");
    else if (start.n)
        *from = start.v[0];

done:
    rlist_release(&cur);
    rlist_release(&start);
    return rc;
}

/*
 * Alembic's _parse_upgrade_target: an absolute target, or a relative one
 * ("+1" from `current`, "rev+2", "label@+1", "rev-1"); appended to out, NULL
 * where a walk went past the end.
 */
static int parse_upgrade_target(struct rctx *c, const struct end *current, const struct end *target,
                                bool assert_length, struct rlist *out)
{
    struct relative rel;
    struct revision *r = NULL;
    int rc;

    if (target->versions || !target->spec || !parse_relative(target->spec, &rel))
        return end_revisions(c, target, out);
    if (rel.steps > 0 && !rel.symbol) {
        rc = upgrade_start(c, current, rel.branch, &r);
        if (rc == DS_OK)
            rc = walk(c, r, rel.steps, rel.branch, assert_length, &r);
        if (rc == DS_OK && !r)
            rc = relative_short(c, rel.text, rel.steps);
    } else if (rel.steps > 0) {
        rc = get_revision(c, rel.symbol, &r);
        if (rc == DS_OK)
            rc = walk(c, r, rel.steps, rel.branch, assert_length, &r);
        /* Alembic hands on None here */
        if (rc == DS_OK && !r && assert_length)
            rc = relative_short(c, rel.text, rel.steps);
    } else if (!rel.symbol) {
        rc = relative_short(c, rel.text, rel.steps);
    } else {
        rc = get_revision_on(c, rel.branch, rel.symbol, &r);
        if (rc == DS_OK)
            rc = walk(c, r, rel.steps, NULL, assert_length, &r);
    }
    if (rc == DS_OK)
        rlist_push(out, r);
    relative_release(&rel);
    return rc;
}

/* ---- walking a range ------------------------------------------------------ */

/* Alembic's ancestors (or descendants) with their targets, as marks; check as in Alembic. */
static int closure(struct rctx *c, enum rel how, const struct rlist *targets, bool check,
                   bool **marks)
{
    *marks = xcalloc(c->map->n, sizeof(**marks));
    return iterate_related(c->map, how, targets->v, targets->n, check, *marks, NULL, c->err);
}

/*
 * A cycle through dependencies that Alembic's _detect_cycles lets through
 * (it only finds revisions no head or base reaches): its revisions, sorted.
 */
static int dependency_cycle(const struct revmap *map, struct ds_error *err)
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

/*
 * Alembic's _topological_sort: newest first, one branch at a time, taking
 * the heads in load order and a branch's turn only when no other pending
 * head needs the candidate as an ancestor.
 */
static int topological_sort(struct rctx *c, const bool *pending_in, const struct rlist *heads,
                            struct rlist *out)
{
    const struct revmap *map = c->map;
    bool *pending = xcalloc(map->n, sizeof(*pending));
    struct rlist current = RLIST_INIT, down = RLIST_INIT, add = RLIST_INIT;
    bool **ancestors = NULL;
    size_t nancestors = 0, idx = 0, left = 0, deferrals = 0;
    int rc = DS_OK;

    for (size_t i = 0; i < map->n; i++)
        left += (pending[i] = pending_in[i]);
    for (size_t i = 0; i < map->n; i++)
        if (pending[i] && rlist_has(heads, map->revs[i]))
            rlist_push(&current, map->revs[i]);
    ancestors = xcalloc(current.n ? current.n : 1, sizeof(*ancestors));
    for (size_t i = 0; i < current.n; i++)
        ancestors[nancestors++] = related_marks(map, REL_NORM_DOWN, &current.v[i], 1);

    while (current.n) {
        struct revision *candidate = current.v[idx];
        bool deferred = false;

        for (size_t k = 0; k < current.n; k++) {
            if (k != idx && ancestors[k][candidate->index]) {
                idx = k;
                deferred = true;
                break;
            }
        }
        /* in a DAG each deferral goes to a strictly later head; Alembic loops forever */
        if (deferred && ++deferrals > current.n) {
            rc = dependency_cycle(map, c->err);
            break;
        }
        if (deferred)
            continue;
        deferrals = 0;
        if (pending[candidate->index]) {
            rlist_push(out, candidate);
            pending[candidate->index] = false;
            left--;
        }
        related(&down, candidate, REL_NORM_DOWN);
        add.n = 0;
        for (size_t k = 0; k < down.n; k++)
            if (pending[down.v[k]->index] && !rlist_has(&current, down.v[k]))
                rlist_push(&add, down.v[k]);
        if (!add.n) {
            free(ancestors[idx]);
            memmove(&current.v[idx], &current.v[idx + 1],
                    (current.n - idx - 1) * sizeof(*current.v));
            memmove(&ancestors[idx], &ancestors[idx + 1],
                    (current.n - idx - 1) * sizeof(*ancestors));
            current.n--;
            nancestors--;
            idx = idx ? idx - 1 : 0;
        } else if (!candidate->nnorm_deps && candidate->down.n == 1) {
            current.v[idx] = add.v[0];
            ancestors[idx][candidate->index] = false;
        } else {
            current.v[idx] = add.v[0];
            free(ancestors[idx]);
            ancestors[idx] = related_marks(map, REL_NORM_DOWN, &add.v[0], 1);
            for (size_t k = 1; k < add.n; k++) {
                rlist_push(&current, add.v[k]);
                ancestors = xrealloc(ancestors, current.n * sizeof(*ancestors));
                ancestors[nancestors++] = related_marks(map, REL_NORM_DOWN, &add.v[k], 1);
            }
        }
    }
    if (rc == DS_OK && left)
        rc = ds_error_set(c->err, DS_EINVAL, "Dependency resolution failed; broken map");
    for (size_t i = 0; i < nancestors; i++)
        free(ancestors[i]);
    free(ancestors);
    free(pending);
    rlist_release(&current);
    rlist_release(&down);
    rlist_release(&add);
    return rc;
}

static void format_end(struct buf *b, const struct end *e)
{
    if (!e->versions) {
        buf_adds(b, e->spec ? e->spec : "None");
        return;
    }
    /* Alembic formats the tuple of versions with %s */
    buf_addch(b, '(');
    for (size_t i = 0; i < e->versions->n; i++)
        buf_addf(b, "%s'%s'", i ? ", " : "", e->versions->v[i]);
    buf_adds(b, e->versions->n == 1 ? ",)" : ")");
}

/*
 * Alembic's _collect_upgrade_revisions(upper, lower, inclusive=True,
 * implicit_base=False, assert_relative_length=False) and the topological
 * sort that iterate_revisions runs on it.
 */
static int collect_range(struct rctx *c, const struct end *lower, const struct end *upper,
                         struct rlist *out, bool *not_ancestor)
{
    const struct revmap *map = c->map;
    struct rlist targets = RLIST_INIT, cur = RLIST_INIT;
    struct end low = *lower;
    bool *required = NULL, *have = NULL, *below = NULL, *needs = NULL;
    char *lowered = NULL;
    int rc;

    if ((rc = parse_upgrade_target(c, lower, upper, false, &targets)) < 0)
        goto done;
    if ((rc = check_walked(&targets, c->err)) < 0)
        goto done;
    if (!lower->versions && lower->spec && strchr(lower->spec, '@')) {
        /* "label@base:" keeps the targets on that branch */
        const char *at = strchr(lower->spec, '@');
        char *branch = xstrndup(lower->spec, (size_t)(at - lower->spec));
        struct revision *branch_rev = NULL;
        struct rlist kept = RLIST_INIT;

        rc = get_revision(c, branch, &branch_rev);
        if (rc == DS_OK && branch_rev && !strcmp(branch_rev->id, branch)) {
            if (branch_rev->labels.n != 1) {
                rc = ds_error_set(c->err, DS_EINVAL,
                                  "revision '%s' used as a branch has %zu branch labels", branch,
                                  branch_rev->labels.n);
            } else {
                free(branch);
                branch = xstrdup(branch_rev->labels.v[0]);
            }
        }
        for (size_t i = 0; rc == DS_OK && i < targets.n; i++)
            if (strvec_contains(&targets.v[i]->labels, branch))
                rlist_push_unique(&kept, targets.v[i]);
        free(branch);
        rlist_release(&targets);
        targets = kept;
        if (rc < 0)
            goto done;
    }
    if ((rc = closure(c, REL_NORM_DOWN, &targets, true, &required)) < 0)
        goto done;
    if ((rc = end_revisions(c, &low, &cur)) < 0)
        goto done;
    for (size_t i = 0; i < cur.n; i++) {
        if (cur.v[i] && (cur.v[i] == BASE || !required[cur.v[i]->index])) {
            *not_ancestor = true;
            rc = DS_EINVAL;
            goto done;
        }
    }
    if (cur.n && !cur.v[0]) {
        /* a "-N" lower end that went past the heads: resolved as a downgrade target */
        struct relative rel;
        struct strvec up = STRVEC_INIT;
        struct revision *r = NULL;

        if (upper->versions)
            strvec_copy(&up, upper->versions);
        else if (upper->spec)
            strvec_push(&up, upper->spec);
        if (low.spec && !low.versions && parse_relative(low.spec, &rel)) {
            if (rel.steps < 0)
                rc = parse_downgrade_relative(c, &up, &rel, false, &r);
            else if (!rel.symbol)
                rc = relative_short(c, rel.text, rel.steps);
            else if ((rc = get_revision(c, rel.symbol, &r)) == DS_OK)
                rc = walk(c, r, rel.steps, rel.branch, false, &r);
            if (rc == DS_OK && !r)
                rc = walked_too_far(c->err);
            relative_release(&rel);
        } else {
            rc = walked_too_far(c->err);
        }
        strvec_clear(&up);
        if (rc < 0)
            goto done;
        cur.n = 0;
        if (r == BASE) {
            low.spec = NULL;
        } else {
            rlist_push(&cur, r);
            lowered = xstrdup(r->id);
            low.spec = lowered;
        }
        low.versions = NULL;
    }
    if ((rc = closure(c, REL_NORM_DOWN, &cur, true, &have)) < 0)
        goto done;
    needs = xcalloc(map->n, sizeof(*needs));
    for (size_t i = 0; i < map->n; i++)
        needs[i] = required[i] && !have[i];
    if (low.spec || low.versions) {
        struct rlist again = RLIST_INIT;

        rc = end_revisions(c, &low, &again);
        if (rc == DS_OK)
            rc = check_walked(&again, c->err);
        for (size_t i = 0; rc == DS_OK && i < again.n; i++)
            needs[again.v[i]->index] = true;
        rlist_release(&again);
        if (rc < 0)
            goto done;
    }
    if (cur.n) {
        if ((rc = closure(c, REL_NEXT, &cur, true, &below)) < 0)
            goto done;
        for (size_t i = 0; i < map->n; i++)
            needs[i] = needs[i] && below[i];
    }
    rc = topological_sort(c, needs, &targets, out);

done:
    free(required);
    free(have);
    free(below);
    free(needs);
    free(lowered);
    rlist_release(&targets);
    rlist_release(&cur);
    return rc;
}

int revmap_walk(const struct revmap *map, const char *lower, const struct strvec *lower_versions,
                const char *upper, const struct strvec *upper_versions, struct revision ***out,
                size_t *n, struct ds_error *err)
{
    struct end lo = {lower, lower_versions}, up = {upper, upper_versions};
    struct buf head_arg = BUF_INIT;
    struct rlist list = RLIST_INIT;
    struct rctx c = {map, err, NULL};
    bool not_ancestor = false;
    int rc;

    if ((rc = revmap_check_built(map, err)) < 0)
        return rc;
    format_end(&head_arg, &up);
    c.head_arg = head_arg.buf;
    rc = collect_range(&c, &lo, &up, &list, &not_ancestor);
    if (not_ancestor) {
        struct buf range = BUF_INIT;

        format_end(&range, &lo);
        buf_addch(&range, ':');
        format_end(&range, &up);
        rc = ds_error_set(err, DS_EINVAL,
                          "Requested range %s does not refer to ancestor/descendant revisions "
                          "along the same branch",
                          range.buf);
        buf_release(&range);
    }
    for (size_t i = 0; rc == DS_OK && i < list.n; i++)
        array_push(out, n, list.v[i]);
    rlist_release(&list);
    buf_release(&head_arg);
    return rc;
}

/* ---- current --------------------------------------------------------------- */

/*
 * Alembic's _get_all_current: the versions' revisions and their ancestors,
 * less every one with a descendant among them. Load order (Alembic: a set).
 */
static int all_current(struct rctx *c, const struct strvec *versions, struct rlist *out)
{
    const struct revmap *map = c->map;
    struct rlist top = RLIST_INIT;
    bool *set = NULL;
    int rc = DS_OK;

    for (size_t i = 0; i < versions->n && rc == DS_OK; i++)
        rc = get_revisions(c, versions->v[i], &top);
    if (rc == DS_OK)
        rc = check_walked(&top, c->err);
    if (rc < 0)
        goto done;
    set = related_marks(map, REL_NORM_DOWN, top.v, top.n);
    for (size_t i = 0; i < map->n; i++) {
        struct revision *r = map->revs[i];
        bool *below, covered = false;

        if (!set[i])
            continue;
        below = related_marks(map, REL_NEXT, &r, 1);
        for (size_t k = 0; k < map->n && !covered; k++)
            covered = k != i && set[k] && below[k];
        free(below);
        if (!covered)
            rlist_push(out, r);
    }

done:
    free(set);
    rlist_release(&top);
    return rc;
}

int revmap_current(const struct revmap *map, const struct strvec *versions, struct revision ***out,
                   size_t *n, struct ds_error *err)
{
    struct rctx c = {map, err, NULL};
    struct rlist list = RLIST_INIT;
    int rc;

    if ((rc = revmap_check_built(map, err)) < 0)
        return rc;
    rc = all_current(&c, versions, &list);
    for (size_t i = 0; rc == DS_OK && i < list.n; i++)
        array_push(out, n, list.v[i]);
    rlist_release(&list);
    return rc;
}

/* ---- revmap_resolve --------------------------------------------------------- */

int revmap_resolve(const struct revmap *map, const char *spec, const struct strvec *current,
                   struct revision ***out, size_t *n, struct ds_error *err)
{
    static const struct strvec none = STRVEC_INIT;
    struct rctx c = {map, err, NULL};
    struct rlist list = RLIST_INIT;
    struct relative rel;
    int rc;

    if ((rc = revmap_check_built(map, err)) < 0)
        return rc;
    if (!current)
        current = &none;
    if (!spec || !parse_relative(spec, &rel)) {
        rc = get_revisions(&c, spec, &list);
    } else if (rel.steps < 0 || (rel.steps == 0 && !rel.symbol)) {
        struct revision *r = NULL;

        if (rel.steps == 0)
            rc = relative_short(&c, rel.text, rel.steps);
        else
            rc = parse_downgrade_relative(&c, current, &rel, true, &r);
        if (rc == DS_OK)
            rlist_push(&list, r);
        relative_release(&rel);
    } else {
        struct end cur = {NULL, current}, target = {spec, NULL};

        relative_release(&rel);
        rc = parse_upgrade_target(&c, &cur, &target, true, &list);
    }
    for (size_t i = 0; rc == DS_OK && i < list.n; i++)
        if (!list.v[i])
            rc = walked_too_far(err);
    for (size_t i = 0; rc == DS_OK && i < list.n; i++)
        if (list.v[i] != BASE)
            array_push(out, n, list.v[i]);
    rlist_release(&list);
    return rc;
}
