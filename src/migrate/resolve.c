/*
 * What the user typed, resolved to revisions as Alembic 1.8's RevisionMap
 * resolves it (get_revisions, _resolve_revision_number, _revision_for_ident,
 * _walk, _parse_upgrade_target, _parse_downgrade_target): full ids, unique
 * prefixes, "head", "heads", "base", branch labels, "label@head", relative
 * "+N" and "-N" from a revision or from the database's current revisions;
 * and those current revisions themselves (_get_all_current). The error texts
 * are Alembic's, quirks included, because `devstack db ...` must print what
 * `alembic ...` prints.
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

static bool nonempty(const char *s)
{
    return s && *s;
}

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

/* ---- revision identifiers ------------------------------------------------- */

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
    *out = revmap_lookup_key(c->map, label);
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
    r = revmap_lookup_key(c->map, id);
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
int resolve_revision(struct rctx *c, const char *spec, struct revision **out)
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
 * start is NULL) or down (< 0, to REV_BASE below a base). Past the end: NULL
 * with no_overwalk, else where the walk stopped.
 */
static int walk(struct rctx *c, struct revision *start, long long steps, const char *branch,
                bool no_overwalk, struct revision **out)
{
    struct revision *initial = start == REV_BASE && steps > 0 ? NULL : start;
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
        } else if (initial != REV_BASE) {
            struct revision *const *from = initial ? initial->parents : c->map->heads;
            size_t nfrom = initial ? initial->down.n : c->map->nheads;

            for (size_t k = 0; k < nfrom; k++)
                rlist_push(&children, from[k]);
            if (!children.n)
                rlist_push(&children, REV_BASE);
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
 * Alembic's get_revisions for one spec, appended to out: revisions, REV_BASE,
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

int resolve_end(struct rctx *c, const struct range_end *e, struct rlist *out)
{
    int rc = DS_OK;

    if (!e->versions)
        return get_revisions(c, e->spec, out);
    for (size_t i = 0; i < e->versions->n && rc == DS_OK; i++)
        rc = get_revisions(c, e->versions->v[i], out);
    return rc;
}

/* ---- relative revisions --------------------------------------------------- */

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

/* "branch@symbol" (symbol alone without a branch) for resolve_revision(). */
static int get_revision_on(struct rctx *c, const char *branch, const char *symbol,
                           struct revision **out)
{
    struct buf spec = BUF_INIT;
    int rc;

    if (branch)
        buf_addf(&spec, "%s@", branch);
    buf_adds(&spec, symbol);
    rc = resolve_revision(c, spec.buf, out);
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
static int upgrade_start(struct rctx *c, const struct range_end *current, const char *branch,
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
            rc = resolve_revision(c, current->versions ? current->versions->v[0] : current->spec,
                                  from);
        return rc;
    }
    if ((rc = resolve_end(c, current, &cur)) < 0)
        goto done;
    for (size_t i = 0; i < cur.n; i++) {
        /* what a "-N" end made of them: Alembic looks "base" up as a revision */
        if (cur.v[i] == REV_BASE) {
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
int resolve_upgrade_target(struct rctx *c, const struct range_end *current,
                           const struct range_end *target, bool assert_length, struct rlist *out)
{
    struct relative rel;
    struct revision *r = NULL;
    int rc;

    if (target->versions || !target->spec || !parse_relative(target->spec, &rel))
        return resolve_end(c, target, out);
    if (rel.steps > 0 && !rel.symbol) {
        rc = upgrade_start(c, current, rel.branch, &r);
        if (rc == DS_OK)
            rc = walk(c, r, rel.steps, rel.branch, assert_length, &r);
        if (rc == DS_OK && !r)
            rc = relative_short(c, rel.text, rel.steps);
    } else if (rel.steps > 0) {
        rc = resolve_revision(c, rel.symbol, &r);
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

/*
 * A relative lower end of a range whose "-N" went past the heads, as
 * _collect_upgrade_revisions resolves it again: a downgrade target from the
 * upper end. *out is a revision or REV_BASE.
 */
int resolve_lower_end(struct rctx *c, const struct range_end *lower, const struct range_end *upper,
                      struct revision **out)
{
    struct strvec up = STRVEC_INIT;
    struct revision *r = NULL;
    struct relative rel;
    int rc;

    if (upper->versions)
        strvec_copy(&up, upper->versions);
    else if (upper->spec)
        strvec_push(&up, upper->spec);
    if (lower->spec && !lower->versions && parse_relative(lower->spec, &rel)) {
        if (rel.steps < 0)
            rc = parse_downgrade_relative(c, &up, &rel, false, &r);
        else if (!rel.symbol)
            rc = relative_short(c, rel.text, rel.steps);
        else if ((rc = resolve_revision(c, rel.symbol, &r)) == DS_OK)
            rc = walk(c, r, rel.steps, rel.branch, false, &r);
        if (rc == DS_OK && !r)
            rc = walked_too_far(c->err);
        relative_release(&rel);
    } else {
        rc = walked_too_far(c->err);
    }
    strvec_clear(&up);
    *out = r;
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
        rev_array_push(out, n, list.v[i]);
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
        struct range_end cur = {NULL, current}, target = {spec, NULL};

        relative_release(&rel);
        rc = resolve_upgrade_target(&c, &cur, &target, true, &list);
    }
    for (size_t i = 0; rc == DS_OK && i < list.n; i++)
        if (!list.v[i])
            rc = walked_too_far(err);
    for (size_t i = 0; rc == DS_OK && i < list.n; i++)
        if (list.v[i] != REV_BASE)
            rev_array_push(out, n, list.v[i]);
    rlist_release(&list);
    return rc;
}
