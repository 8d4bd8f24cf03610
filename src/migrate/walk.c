/*
 * A range of revisions in the order `alembic history` lists them: Alembic
 * 1.8's _collect_upgrade_revisions and the topological sort that
 * iterate_revisions runs on it, newest first, quirks included. Where Alembic
 * iterates a set (the "overlaps" list) the order here is load order.
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

/* Alembic's ancestors (or descendants) with their targets, as marks; check as in Alembic. */
static int closure(struct rctx *c, enum rel how, const struct rlist *targets, bool check,
                   bool **marks)
{
    *marks = xcalloc(c->map->n, sizeof(**marks));
    return iterate_related(c->map, how, targets->v, targets->n, check, *marks, NULL, c->err);
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
            rc = revmap_dependency_cycle(map, c->err);
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

/* An end as Alembic's messages show it: the spec, or the versions as a Python tuple. */
static void format_end(struct buf *b, const struct range_end *e)
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
static int collect_range(struct rctx *c, const struct range_end *lower,
                         const struct range_end *upper, struct rlist *out, bool *not_ancestor)
{
    const struct revmap *map = c->map;
    struct rlist targets = RLIST_INIT, cur = RLIST_INIT;
    struct range_end low = *lower;
    bool *required = NULL, *have = NULL, *below = NULL, *needs = NULL;
    char *lowered = NULL;
    int rc;

    if ((rc = resolve_upgrade_target(c, lower, upper, false, &targets)) < 0)
        goto done;
    if ((rc = check_walked(&targets, c->err)) < 0)
        goto done;
    if (!lower->versions && lower->spec && strchr(lower->spec, '@')) {
        /* "label@base:" keeps the targets on that branch */
        const char *at = strchr(lower->spec, '@');
        char *branch = xstrndup(lower->spec, (size_t)(at - lower->spec));
        struct revision *branch_rev = NULL;
        struct rlist kept = RLIST_INIT;

        rc = resolve_revision(c, branch, &branch_rev);
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
    if ((rc = resolve_end(c, &low, &cur)) < 0)
        goto done;
    for (size_t i = 0; i < cur.n; i++) {
        if (cur.v[i] && (cur.v[i] == REV_BASE || !required[cur.v[i]->index])) {
            *not_ancestor = true;
            rc = DS_EINVAL;
            goto done;
        }
    }
    if (cur.n && !cur.v[0]) {
        /* a "-N" lower end that went past the heads: resolved as a downgrade target */
        struct revision *r;

        if ((rc = resolve_lower_end(c, &low, upper, &r)) < 0)
            goto done;
        cur.n = 0;
        if (r == REV_BASE) {
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

        rc = resolve_end(c, &low, &again);
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
    struct range_end lo = {lower, lower_versions}, up = {upper, upper_versions};
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
        rev_array_push(out, n, list.v[i]);
    rlist_release(&list);
    buf_release(&head_arg);
    return rc;
}
