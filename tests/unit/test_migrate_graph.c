/*
 * The Alembic revision graph (src/migrate/revmap.c, resolve.c, walk.c) and
 * what `alembic current|heads|history` print for it (src/migrate/format.c).
 *
 * The revisions are built in memory. The expected resolutions and texts were
 * recorded from Alembic 1.8.1 (Debian's python3-alembic) on projects holding
 * the same revisions as files /tmp/gfix/<fixture>/versions/<id>_x.py, whose
 * os.listdir() order is the load order the fixtures list; `current` and `-i`
 * read a SQLite database stamped with the versions given.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/banned.h"

#define MAX_REVS 10

/* One revision file: space-separated lists; doc is the stripped docstring. */
struct rdef {
    const char *id, *down, *labels, *deps, *doc;
};

struct fixture {
    const char *name;
    struct rdef revs[MAX_REVS]; /* in load order */
};

static const struct fixture fixtures[] = {
        {"linear",
         {{"ae1027a6acf0", "1975ea83b712", NULL, NULL,
           "add a column\n"
           "\n"
           "with a longer body\n"
           "  indented line\n"
           "\n"
           "and a third paragraph"},
          {"27c6a30d7c24", "ae1027a6acf0", NULL, NULL, ""},
          {"3a1f0c9b2d4e", "27c6a30d7c24", NULL, NULL, "last one"},
          {"1975ea83b712", NULL, NULL, NULL,
           "create account table\n"
           "\n"
           "Revision ID: 1975ea83b712\n"
           "Revises:\n"
           "Create Date: 2024-01-02 10:00:00"}}},
        {"branchy",
         {{"0a1b2c3d4e5f", NULL, NULL, NULL, "base"},
          {"1b2c3d4e5f60", "0a1b2c3d4e5f", NULL, NULL, "common"},
          {"5f60718293a4", NULL, "other", NULL, "other root"},
          {"3d4e0000aaaa", "4e5f60718293", NULL, NULL, "mainline two"},
          {"4e5f60718293", "1b2c3d4e5f60", NULL, NULL, "mainline"},
          {"3d4e5f607182", "2c3d4e5f6071", NULL, NULL, "feature more"},
          {"60718293a4b5", "5f60718293a4", NULL, NULL, "other next"},
          {"2c3d4e5f6071", "1b2c3d4e5f60", "feature", NULL, "feature start"}}},
        {"merge",
         {{"dddd00000001", "cccc00000001", NULL, "bees", "after merge"},
          {"aaaa00000001", NULL, NULL, NULL, "a one"},
          {"aaaa00000002", "aaaa00000001", NULL, NULL, "a two"},
          {"bbbb00000002", "bbbb00000001", NULL, "aaaa00000002", "b two"},
          {"cccc00000001", "aaaa00000002 bbbb00000002", NULL, NULL,
           "merge a and b\n"
           "\n"
           "the body"},
          {"bbbb00000001", NULL, "bees", NULL, "b one"}}},
        {"spread",
         {{"7001aaaaaaaa", NULL, NULL, NULL, "t one"},
          {"7002aaaaaaaa", "7001aaaaaaaa", "tee", NULL, "t two"},
          {"5002aaaaaaaa", "5001aaaaaaaa", NULL, NULL, "s two"},
          {"5001aaaaaaaa", NULL, NULL, NULL, "s one"},
          {"5005aaaaaaaa", "5002aaaaaaaa", NULL, NULL, "s five"},
          {"5003aaaaaaaa", "5002aaaaaaaa", "lab", NULL, "s three"},
          {"7003aaaaaaaa", "7002aaaaaaaa", NULL, NULL, "t three"},
          {"5004aaaaaaaa", "5003aaaaaaaa", NULL, NULL, "s four"}}},
        {"effective",
         {{"e0000000000b", "e0000000000a", NULL, NULL, "left head"},
          {"f0000000000a", NULL, NULL, "e0000000000b", "right base, needs left"},
          {"e0000000000a", NULL, NULL, NULL, "left base"},
          {"f0000000000b", "f0000000000a", NULL, NULL, "right head"}}},
};

static void split(struct strvec *sv, const char *list)
{
    if (list)
        strvec_split(sv, list, ' ');
}

static struct revision *rev_new(const char *name, const struct rdef *d)
{
    struct revision *r = xcalloc(1, sizeof(*r));
    const char *para = strstr(d->doc ? d->doc : "", "\n\n");
    struct buf path = BUF_INIT;

    r->id = xstrdup(d->id);
    strvec_init(&r->down);
    strvec_init(&r->branch_labels);
    strvec_init(&r->depends_on);
    split(&r->down, d->down);
    split(&r->branch_labels, d->labels);
    split(&r->depends_on, d->deps);
    r->longdoc = xstrdup(d->doc ? d->doc : "");
    r->doc = para ? xstrndup(r->longdoc, (size_t)(para - d->doc)) : xstrdup(r->longdoc);
    buf_addf(&path, "/tmp/gfix/%s/versions/%s_x.py", name, d->id);
    r->path = buf_detach(&path, NULL);
    return r;
}

/* Add the revisions in order and build; returns what revmap_build() does. */
static int map_from(struct revmap *map, const char *name, const struct rdef *revs, size_t n,
                    struct ds_error *err)
{
    for (size_t i = 0; i < n && revs[i].id; i++)
        revmap_add(map, rev_new(name, &revs[i]));
    return revmap_build(map, err);
}

static void map_load(struct revmap *map, const char *name)
{
    struct ds_error err = DS_ERROR_INIT;

    for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
        if (!strcmp(fixtures[i].name, name)) {
            if (map_from(map, name, fixtures[i].revs, MAX_REVS, &err) < 0)
                fail_msg("%s: %s", name, err.msg);
            return;
        }
    }
    fail_msg("no fixture '%s'", name);
}

static void join_ids(struct buf *b, struct revision *const *revs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_addf(b, "%s%s", i ? " " : "", revs[i]->id);
}

/* ---- the graph ---------------------------------------------------------- */

static void test_build(void **state)
{
    static const struct {
        const char *fixture, *heads, *bases;
    } cases[] = {
            {"linear", "3a1f0c9b2d4e", "1975ea83b712"},
            {"branchy", "3d4e0000aaaa 3d4e5f607182 60718293a4b5", "0a1b2c3d4e5f 5f60718293a4"},
            {"merge", "dddd00000001", "aaaa00000001 bbbb00000001"},
            {"effective", "e0000000000b f0000000000b", "f0000000000a e0000000000a"},
            {"spread", "5005aaaaaaaa 7003aaaaaaaa 5004aaaaaaaa", "7001aaaaaaaa 5001aaaaaaaa"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct revmap map = REVMAP_INIT;
        struct buf heads = BUF_INIT, bases = BUF_INIT;

        map_load(&map, cases[i].fixture);
        assert_true(map.built);
        join_ids(&heads, map.heads, map.nheads);
        join_ids(&bases, map.bases, map.nbases);
        if (strcmp(heads.buf, cases[i].heads) || strcmp(bases.buf, cases[i].bases))
            fail_msg("%s: heads '%s' bases '%s', want '%s' and '%s'", cases[i].fixture, heads.buf,
                     bases.buf, cases[i].heads, cases[i].bases);
        for (size_t k = 0; k < map.n; k++)
            assert_int_equal(map.revs[k]->index, k);
        buf_release(&heads);
        buf_release(&bases);
        revmap_release(&map);
    }
}

/* The links of one revision: children, dependencies, labels as Alembic spreads them. */
static void test_links(void **state)
{
    static const struct {
        const char *fixture, *id;
        const char *nextrev, *all_nextrev, *deps, *norm_deps, *labels;
    } cases[] = {
            {"linear", "ae1027a6acf0", "27c6a30d7c24", "27c6a30d7c24", "", "", ""},
            {"linear", "3a1f0c9b2d4e", "", "", "", "", ""},
            /* children in load order (Alembic: a frozenset) */
            {"branchy", "1b2c3d4e5f60", "4e5f60718293 2c3d4e5f6071", "4e5f60718293 2c3d4e5f6071",
             "", "", ""},
            {"branchy", "2c3d4e5f6071", "3d4e5f607182", "3d4e5f607182", "", "", "feature"},
            /* stops at the branch point below */
            {"branchy", "1b2c3d4e5f60", "4e5f60718293 2c3d4e5f6071", "4e5f60718293 2c3d4e5f6071",
             "", "", ""},
            {"branchy", "5f60718293a4", "60718293a4b5", "60718293a4b5", "", "", "other"},
            {"merge", "aaaa00000002", "cccc00000001", "bbbb00000002 cccc00000001", "", "", ""},
            {"merge", "bbbb00000002", "cccc00000001", "cccc00000001", "aaaa00000002",
             "aaaa00000002", "bees"},
            /* a dependency given by branch label resolves to the labelled revision */
            {"merge", "dddd00000001", "", "", "bbbb00000001", "bbbb00000001", "bees"},
            {"merge", "bbbb00000001", "bbbb00000002", "dddd00000001 bbbb00000002", "", "", "bees"},
            {"effective", "e0000000000b", "", "f0000000000a", "", "", ""},
            /* a label reaches down its straight line of ancestors */
            {"spread", "7001aaaaaaaa", "7002aaaaaaaa", "7002aaaaaaaa", "", "", "tee"},
            {"spread", "5002aaaaaaaa", "5005aaaaaaaa 5003aaaaaaaa", "5005aaaaaaaa 5003aaaaaaaa", "",
             "", ""},
            {"spread", "5004aaaaaaaa", "", "", "", "", "lab"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct revmap map = REVMAP_INIT;
        struct buf got = BUF_INIT, want = BUF_INIT;
        struct revision *r;

        map_load(&map, cases[i].fixture);
        r = revmap_get(&map, cases[i].id);
        assert_non_null(r);
        join_ids(&got, r->nextrev, r->nnextrev);
        buf_addch(&got, '|');
        join_ids(&got, r->all_nextrev, r->nall_nextrev);
        buf_addch(&got, '|');
        join_ids(&got, r->deps, r->ndeps);
        buf_addch(&got, '|');
        join_ids(&got, r->norm_deps, r->nnorm_deps);
        buf_addch(&got, '|');
        for (size_t k = 0; k < r->labels.n; k++)
            buf_addf(&got, "%s%s", k ? " " : "", r->labels.v[k]);
        buf_addf(&want, "%s|%s|%s|%s|%s", cases[i].nextrev, cases[i].all_nextrev, cases[i].deps,
                 cases[i].norm_deps, cases[i].labels);
        if (strcmp(got.buf, want.buf))
            fail_msg("%s %s: got '%s', want '%s'", cases[i].fixture, cases[i].id, got.buf,
                     want.buf);
        buf_release(&got);
        buf_release(&want);
        revmap_release(&map);
    }
}

/* A dependency that an ancestor has too is not a direct one. */
static void test_normalized_deps(void **state)
{
    static const struct rdef revs[] = {
            {"d1", NULL, NULL, NULL, ""},
            {"x1", NULL, NULL, NULL, ""},
            {"x2", "x1", NULL, "d1", ""},
            {"x3", "x2", NULL, "d1 x1", ""},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct revision *x3;

    (void)state;
    assert_int_equal(map_from(&map, "deps", revs, ARRAY_SIZE(revs), &err), DS_OK);
    x3 = revmap_get(&map, "x3");
    assert_int_equal(x3->ndeps, 2);
    /* d1 is x2's already; x1 is an ancestor but no ancestor depends on it */
    assert_int_equal(x3->nnorm_deps, 1);
    assert_string_equal(x3->norm_deps[0]->id, "x1");
    revmap_release(&map);
}

static void test_build_errors(void **state)
{
    static const struct {
        const char *what;
        struct rdef revs[4];
        const char *error;
    } cases[] = {
            {"duplicate id",
             {{"aaaa", NULL}, {"bbbb", "aaaa"}, {"aaaa", "bbbb"}},
             "Revision aaaa is present more than once (/tmp/gfix/err/versions/aaaa_x.py, "
             "/tmp/gfix/err/versions/aaaa_x.py)"},
            {"missing down revision",
             {{"aaaa", NULL}, {"bbbb", "zzzz"}},
             "Revision zzzz referenced from /tmp/gfix/err/versions/bbbb_x.py is not present"},
            {"a merge with one missing",
             {{"aaaa", NULL}, {"bbbb", "aaaa zzzz"}},
             "Revision zzzz referenced from /tmp/gfix/err/versions/bbbb_x.py is not present"},
            {"a down revision is no branch label",
             {{"aaaa", NULL, "lbl"}, {"bbbb", "lbl"}},
             "Revision lbl referenced from /tmp/gfix/err/versions/bbbb_x.py is not present"},
            {"missing dependency",
             {{"aaaa", NULL}, {"bbbb", "aaaa", NULL, "nope"}},
             "Dependency nope referenced from /tmp/gfix/err/versions/bbbb_x.py is not present"},
            {"two-revision cycle",
             {{"aaaa", "bbbb"}, {"bbbb", "aaaa"}},
             "Cycle is detected in revisions (aaaa, bbbb)"},
            {"a cycle beside a good line",
             {{"base0", NULL}, {"cccc", "bbbb"}, {"aaaa", "base0"}, {"bbbb", "cccc"}},
             "Cycle is detected in revisions (bbbb, cccc)"},
            {"dependency cycle",
             {{"aaaa", NULL}, {"bbbb", "aaaa", NULL, "cccc"}, {"cccc", "bbbb"}},
             "Dependency cycle is detected in revisions (aaaa, bbbb, cccc)"},
            {"self-loop",
             {{"aaaa", "aaaa"}},
             "/tmp/gfix/err/versions/aaaa_x.py: Self-loop is detected in revisions (aaaa)"},
            {"dependency self-loop",
             {{"aaaa", NULL, NULL, "aaaa"}},
             "/tmp/gfix/err/versions/aaaa_x.py: Dependency self-loop is detected in revisions "
             "(aaaa)"},
            {"illegal characters",
             {{"a-b@c", NULL}},
             "/tmp/gfix/err/versions/a-b@c_x.py: Character(s) '-, @' not allowed in revision "
             "identifier 'a-b@c'"},
            {"label used twice",
             {{"aaaa", NULL, "x"}, {"bbbb", "aaaa", "x"}},
             "Branch name 'x' in revision bbbb already used by revision aaaa"},
            {"label twice in one revision",
             {{"aaaa", NULL, "x x"}},
             "Branch name 'x' in revision aaaa already used by revision aaaa"},
            {"label that is a revision id",
             {{"aaaa", NULL}, {"bbbb", "aaaa"}, {"cccc", "aaaa", "bbbb"}},
             "Branch name 'bbbb' in revision cccc already used by revision bbbb"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        struct revmap map = REVMAP_INIT;
        int rc = map_from(&map, "err", cases[i].revs, ARRAY_SIZE(cases[i].revs), &err);

        if (rc >= 0)
            fail_msg("%s: built", cases[i].what);
        if (strcmp(err.msg, cases[i].error))
            fail_msg("%s: got '%s', want '%s'", cases[i].what, err.msg, cases[i].error);
        assert_false(map.built);
        ds_error_release(&err);
        revmap_release(&map);
    }
}

static void test_empty_map(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct revision **revs = NULL;
    struct buf out = BUF_INIT;
    size_t n = 0;

    (void)state;
    assert_int_equal(revmap_build(&map, &err), DS_OK);
    assert_int_equal(map.nheads + map.nbases, 0);
    assert_null(revmap_get(&map, "aaaa"));
    assert_int_equal(revmap_resolve(&map, "heads", NULL, &revs, &n, &err), DS_OK);
    assert_int_equal(revmap_resolve(&map, "head", NULL, &revs, &n, &err), DS_OK);
    assert_int_equal(revmap_resolve(&map, "base", NULL, &revs, &n, &err), DS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(alembic_format_heads(&out, &map, false, false, &err), DS_OK);
    assert_int_equal(alembic_format_history(&out, &map, NULL, true, NULL, &err), DS_OK);
    assert_int_equal(out.len, 0);
    free(revs);
    revmap_release(&map);
}

/* ---- resolving ---------------------------------------------------------------- */

static void test_resolve(void **state)
{
    /*
     * Alembic's get_revisions(spec) for an absolute spec; for a relative one,
     * _parse_upgrade_target(current, spec) going up and
     * _parse_downgrade_target(current, spec) going down. "" for none (base).
     */
    static const struct {
        const char *fixture, *spec, *current, *want, *error;
    } cases[] = {
            {"linear", "1975ea83b712", NULL, "1975ea83b712", NULL},
            {"linear", "ae10", NULL, "ae1027a6acf0", NULL},
            {"linear", "a", NULL, "ae1027a6acf0", NULL},
            {"linear", "zzzz", NULL, NULL, "Can't locate revision identified by 'zzzz'"},
            {"linear", "head", NULL, "3a1f0c9b2d4e", NULL},
            {"linear", "heads", NULL, "3a1f0c9b2d4e", NULL},
            {"linear", "base", NULL, "", NULL},
            {"linear", "-1", "27c6a30d7c24", "ae1027a6acf0", NULL},
            {"linear", "-2", "27c6a30d7c24", "1975ea83b712", NULL},
            {"linear", "-3", "27c6a30d7c24", "", NULL},
            {"linear", "-4", "27c6a30d7c24", NULL,
             "Relative revision -4 didn't produce 4 migrations"},
            {"linear", "-1", NULL, NULL, "Relative revision -1 didn't produce 1 migrations"},
            {"linear", "+1", "27c6a30d7c24", "3a1f0c9b2d4e", NULL},
            {"linear", "+2", NULL, "ae1027a6acf0", NULL},
            {"linear", "+5", NULL, NULL, "Relative revision +5 didn't produce 5 migrations"},
            {"linear", "+2", "27c6a30d7c24", NULL,
             "Relative revision +2 didn't produce 2 migrations"},
            {"linear", "head-1", NULL, "27c6a30d7c24", NULL},
            {"linear", "head-2", NULL, "ae1027a6acf0", NULL},
            {"linear", "ae10+1", NULL, "27c6a30d7c24", NULL},
            {"linear", "ae10+2", NULL, "3a1f0c9b2d4e", NULL},
            /* Alembic returns (None,) */
            {"linear", "ae10+3", NULL, NULL, "Relative revision +3 didn't produce 3 migrations"},
            {"linear", "ae10-1", NULL, "1975ea83b712", NULL},
            {"linear", "ae10-2", NULL, "", NULL},
            {"linear", "ae10-3", NULL, NULL, "Walked too far"},
            {"linear", "27c6@head", NULL, "3a1f0c9b2d4e", NULL},
            {"linear", "1975@base", NULL, "", NULL},
            /* Alembic's CLI: "Can't locate revision identified by '3d4e'" */
            {"branchy", "3d4e", NULL, NULL,
             "Multiple revisions start with '3d4e': '3d4e0000aaaa', '3d4e5f607182'..."},
            {"branchy", "3d4e5", NULL, "3d4e5f607182", NULL},
            {"branchy", "head", NULL, NULL,
             "Multiple head revisions are present for given argument 'head'; please specify a "
             "specific target revision, '<branchname>@head' to narrow to a specific head, or "
             "'heads' for all heads"},
            {"branchy", "heads", NULL, "3d4e0000aaaa 3d4e5f607182 60718293a4b5", NULL},
            {"branchy", "feature", NULL, "2c3d4e5f6071", NULL},
            {"branchy", "feature@head", NULL, "3d4e5f607182", NULL},
            {"branchy", "other@head", NULL, "60718293a4b5", NULL},
            {"branchy", "feature@heads", NULL, "3d4e5f607182", NULL},
            {"branchy", "nope@head", NULL, NULL, "Can't locate revision identified by 'nope'"},
            {"branchy", "1b2c@head", NULL, NULL,
             "Multiple head revisions are present for given argument '1b2c@head'; please specify a "
             "specific target revision, '<branchname>@1b2c@head' to narrow to a specific head, or "
             "'heads' for all heads"},
            {"branchy", "feature@3d4e", NULL, "3d4e5f607182", NULL},
            {"branchy", "feature@4e5f", NULL, NULL, "Can't locate revision identified by '4e5f'"},
            {"branchy", "feature@base", NULL, "", NULL},
            {"branchy", "1b2c+1", NULL, NULL, "Ambiguous walk"},
            {"branchy", "0a1b+1", NULL, "1b2c3d4e5f60", NULL},
            {"branchy", "+1", "1b2c3d4e5f60", NULL, "Ambiguous walk"},
            {"branchy", "feature@+1", "1b2c3d4e5f60", "2c3d4e5f6071", NULL},
            {"branchy", "feature@+2", "1b2c3d4e5f60", "3d4e5f607182", NULL},
            {"branchy", "other@+1", NULL, "5f60718293a4", NULL},
            {"branchy", "+1", "3d4e5f607182 60718293a4b5", NULL,
             "Ambiguous upgrade from multiple current revisions"},
            {"branchy", "-1", "3d4e5f607182 60718293a4b5", "2c3d4e5f6071", NULL},
            {"branchy", "feature@-1", "3d4e5f607182 60718293a4b5", "2c3d4e5f6071", NULL},
            {"branchy", "other@-1", "3d4e5f607182 60718293a4b5", "5f60718293a4", NULL},
            {"branchy", "other@-2", "3d4e5f607182 60718293a4b5", "", NULL},
            {"branchy", "head-1", NULL, NULL,
             "Multiple head revisions are present for given argument 'head'; please specify a "
             "specific target revision, '<branchname>@head' to narrow to a specific head, or "
             "'heads' for all heads"},
            {"branchy", "feature@head-1", NULL, "2c3d4e5f6071", NULL},
            {"branchy", "3d4e5f607182-2", NULL, "1b2c3d4e5f60", NULL},
            {"branchy", "3d4e5f607182-4", NULL, "", NULL},
            {"merge", "head", NULL, "dddd00000001", NULL},
            {"merge", "heads", NULL, "dddd00000001", NULL},
            {"merge", "bees", NULL, "bbbb00000001", NULL},
            {"merge", "bees@head", NULL, "dddd00000001", NULL},
            {"merge", "cccc-1", NULL, NULL, "Ambiguous walk"},
            {"merge", "aaaa", NULL, NULL,
             "Multiple revisions start with 'aaaa': 'aaaa00000001', 'aaaa00000002'..."},
            {"merge", "aaaa00000002+1", NULL, "cccc00000001", NULL},
            {"merge", "-1", "dddd00000001", "cccc00000001", NULL},
            {"merge", "-2", "dddd00000001", NULL, "Ambiguous walk"},
            {"spread", "tee@-1", "7003aaaaaaaa", "7002aaaaaaaa", NULL},
            {"spread", "lab@-2", "5004aaaaaaaa 7003aaaaaaaa", "5002aaaaaaaa", NULL},
            {"spread", "lab@+1", "5001aaaaaaaa", "5002aaaaaaaa", NULL},
            {"spread", "lab@+1", "5005aaaaaaaa", "5003aaaaaaaa", NULL},
            {"spread", "tee@head", NULL, "7003aaaaaaaa", NULL},
            {"spread", "5004@head", NULL, "5004aaaaaaaa", NULL},
            {"spread", "tee@5004", NULL, NULL, "Can't locate revision identified by '5004'"},
            {"spread", "heads", NULL, "5005aaaaaaaa 7003aaaaaaaa 5004aaaaaaaa", NULL},
            {"spread", "lab@heads", NULL, "5004aaaaaaaa", NULL},
            {"spread", "5002@heads", NULL, "5005aaaaaaaa 5004aaaaaaaa", NULL},
            {"spread", "5002aaaaaaaa+2", NULL, NULL, "Ambiguous walk"},
            {"spread", "5003+1", NULL, "5004aaaaaaaa", NULL},
            {"effective", "head", NULL, NULL,
             "Multiple head revisions are present for given argument 'head'; please specify a "
             "specific target revision, '<branchname>@head' to narrow to a specific head, or "
             "'heads' for all heads"},
            {"effective", "heads", NULL, "f0000000000b", NULL},
            {"effective", "-1", NULL, NULL, "Relative revision -1 didn't produce 1 migrations"},
            {"effective", "e000+1", NULL, NULL,
             "Multiple revisions start with 'e000': 'e0000000000b', 'e0000000000a'..."},
            {"effective", "+1", "e0000000000a", "e0000000000b", NULL},
            {"effective", "+1", NULL, NULL, "Ambiguous walk"},
    };

    size_t failures = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        struct revmap map = REVMAP_INIT;
        struct strvec current = STRVEC_INIT;
        struct revision **revs = NULL;
        struct buf got = BUF_INIT;
        size_t n = 0;
        int rc;

        map_load(&map, cases[i].fixture);
        split(&current, cases[i].current);
        rc = revmap_resolve(&map, cases[i].spec, &current, &revs, &n, &err);
        if (cases[i].error) {
            if (rc >= 0 || strcmp(err.msg, cases[i].error)) {
                print_error("%s '%s': got %d '%s', want '%s'\n", cases[i].fixture, cases[i].spec,
                            rc, err.msg ? err.msg : "", cases[i].error);
                failures++;
            }
        } else {
            join_ids(&got, revs, n);
            if (rc < 0 || strcmp(got.buf, cases[i].want)) {
                print_error("%s '%s': got '%s' (%s), want '%s'\n", cases[i].fixture, cases[i].spec,
                            got.buf, err.msg ? err.msg : "ok", cases[i].want);
                failures++;
            }
        }
        free(revs);
        buf_release(&got);
        strvec_clear(&current);
        ds_error_release(&err);
        revmap_release(&map);
    }
    if (failures)
        fail_msg("%zu of %zu cases failed", failures, ARRAY_SIZE(cases));
}

/* Results are appended; a failed resolution leaves what was there. */
static void test_resolve_appends(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct revision **revs = NULL;
    size_t n = 0;

    (void)state;
    map_load(&map, "branchy");
    assert_int_equal(revmap_resolve(&map, "feature", NULL, &revs, &n, &err), DS_OK);
    assert_int_equal(revmap_resolve(&map, "other@head", NULL, &revs, &n, &err), DS_OK);
    assert_true(revmap_resolve(&map, "zzzz", NULL, &revs, &n, &err) < 0);
    assert_int_equal(err.code, DS_ENOTFOUND);
    assert_int_equal(n, 2);
    assert_string_equal(revs[0]->id, "2c3d4e5f6071");
    assert_string_equal(revs[1]->id, "60718293a4b5");
    assert_ptr_equal(revmap_get(&map, "60718293a4b5"), revs[1]);
    assert_null(revmap_get(&map, "6071"));
    free(revs);
    ds_error_release(&err);
    revmap_release(&map);
}

/* ---- what alembic prints ------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Where Alembic's order comes from a set it is not Alembic's to keep: the
 * items of "Branches into:" and, with `unordered`, the entries of `current`.
 */
static char *normalize(const char *text, bool unordered)
{
    struct strvec lines = STRVEC_INIT, chunks = STRVEC_INIT;
    struct buf chunk = BUF_INIT, out = BUF_INIT;

    strvec_split(&lines, text, '\n');
    for (size_t i = 0; i < lines.n; i++) {
        const char *line = lines.v[i];

        if (!strncmp(line, "Branches into: ", 15)) {
            struct strvec items = STRVEC_INIT;

            strvec_split(&items, line + 15, ',');
            for (size_t k = 0; k < items.n; k++)
                while (items.v[k][0] == ' ')
                    memmove(items.v[k], items.v[k] + 1, strlen(items.v[k]));
            qsort(items.v, items.n, sizeof(*items.v), cmp_str);
            buf_adds(&chunk, "Branches into:");
            for (size_t k = 0; k < items.n; k++)
                buf_addf(&chunk, " %s", items.v[k]);
            buf_addch(&chunk, '\n');
            strvec_clear(&items);
            continue;
        }
        if (chunk.len && (strncmp(line, "Rev: ", 5) == 0 || strncmp(text, "Rev: ", 5) != 0)) {
            strvec_push(&chunks, chunk.buf);
            buf_reset(&chunk);
        }
        buf_addf(&chunk, "%s\n", line);
    }
    if (chunk.len)
        strvec_push(&chunks, chunk.buf);
    if (unordered)
        qsort(chunks.v, chunks.n, sizeof(*chunks.v), cmp_str);
    for (size_t i = 0; i < chunks.n; i++)
        buf_adds(&out, chunks.v[i]);
    strvec_clear(&lines);
    strvec_clear(&chunks);
    buf_release(&chunk);
    return buf_detach(&out, NULL);
}

static void test_format(void **state)
{
    /* versions: NULL when the command reads no database, else as stamped */
    static const struct {
        const char *fixture, *command, *versions, *out, *error;
    } cases[] = {
            {"linear", "heads", NULL, "3a1f0c9b2d4e (head)\n", NULL},
            {"linear", "heads -v", NULL,
             "Rev: 3a1f0c9b2d4e (head)\n"
             "Parent: 27c6a30d7c24\n"
             "Path: /tmp/gfix/linear/versions/3a1f0c9b2d4e_x.py\n"
             "\n"
             "    last one\n"
             "\n",
             NULL},
            {"linear", "history", NULL,
             "27c6a30d7c24 -> 3a1f0c9b2d4e (head), last one\n"
             "ae1027a6acf0 -> 27c6a30d7c24, \n"
             "1975ea83b712 -> ae1027a6acf0, add a column\n"
             "<base> -> 1975ea83b712, create account table\n",
             NULL},
            {"linear", "history -v", NULL,
             "Rev: 3a1f0c9b2d4e (head)\n"
             "Parent: 27c6a30d7c24\n"
             "Path: /tmp/gfix/linear/versions/3a1f0c9b2d4e_x.py\n"
             "\n"
             "    last one\n"
             "\n"
             "Rev: 27c6a30d7c24\n"
             "Parent: ae1027a6acf0\n"
             "Path: /tmp/gfix/linear/versions/27c6a30d7c24_x.py\n"
             "\n"
             "\n"
             "\n"
             "Rev: ae1027a6acf0\n"
             "Parent: 1975ea83b712\n"
             "Path: /tmp/gfix/linear/versions/ae1027a6acf0_x.py\n"
             "\n"
             "    add a column\n"
             "    \n"
             "    with a longer body\n"
             "      indented line\n"
             "    \n"
             "    and a third paragraph\n"
             "\n"
             "Rev: 1975ea83b712\n"
             "Parent: <base>\n"
             "Path: /tmp/gfix/linear/versions/1975ea83b712_x.py\n"
             "\n"
             "    create account table\n"
             "    \n"
             "    Revision ID: 1975ea83b712\n"
             "    Revises:\n"
             "    Create Date: 2024-01-02 10:00:00\n"
             "\n",
             NULL},
            {"linear", "history -r ae10:", NULL,
             "27c6a30d7c24 -> 3a1f0c9b2d4e (head), last one\n"
             "ae1027a6acf0 -> 27c6a30d7c24, \n"
             "1975ea83b712 -> ae1027a6acf0, add a column\n",
             NULL},
            {"linear", "history -r :ae1027a6acf0", NULL,
             "1975ea83b712 -> ae1027a6acf0, add a column\n"
             "<base> -> 1975ea83b712, create account table\n",
             NULL},
            {"linear", "history -r 1975:27c6", NULL,
             "ae1027a6acf0 -> 27c6a30d7c24, \n"
             "1975ea83b712 -> ae1027a6acf0, add a column\n"
             "<base> -> 1975ea83b712, create account table\n",
             NULL},
            {"linear", "history -r base:base", NULL, "", NULL},
            {"linear", "history -r 27c6:ae10", NULL, NULL,
             "Requested range 27c6:ae10 does not refer to ancestor/descendant revisions along the "
             "same branch"},
            {"linear", "history -r :+2", NULL,
             "1975ea83b712 -> ae1027a6acf0, add a column\n"
             "<base> -> 1975ea83b712, create account table\n",
             NULL},
            {"linear", "history -r ae10+1:", NULL, NULL,
             "Can't locate revision identified by 'ae10+1'"},
            {"linear", "history -r :head-1", NULL,
             "ae1027a6acf0 -> 27c6a30d7c24, \n"
             "1975ea83b712 -> ae1027a6acf0, add a column\n"
             "<base> -> 1975ea83b712, create account table\n",
             NULL},
            {"linear", "history -r zzzz:", NULL, NULL,
             "Can't locate revision identified by 'zzzz'"},
            {"linear", "history -r 3:", NULL, "27c6a30d7c24 -> 3a1f0c9b2d4e (head), last one\n",
             NULL},
            {"linear", "history -r nocolon", NULL, NULL,
             "History range requires [start]:[end], [start]:, or :[end]"},
            {"linear", "current", "ae1027a6acf0", "ae1027a6acf0\n", NULL},
            {"linear", "current -v", "ae1027a6acf0",
             "Rev: ae1027a6acf0\n"
             "Parent: 1975ea83b712\n"
             "Path: /tmp/gfix/linear/versions/ae1027a6acf0_x.py\n"
             "\n"
             "    add a column\n"
             "    \n"
             "    with a longer body\n"
             "      indented line\n"
             "    \n"
             "    and a third paragraph\n"
             "\n",
             NULL},
            {"linear", "current", "", "", NULL},
            {"linear", "current -v", "3a1f0c9b2d4e",
             "Rev: 3a1f0c9b2d4e (head)\n"
             "Parent: 27c6a30d7c24\n"
             "Path: /tmp/gfix/linear/versions/3a1f0c9b2d4e_x.py\n"
             "\n"
             "    last one\n"
             "\n",
             NULL},
            {"linear", "history -i", "ae1027a6acf0",
             "27c6a30d7c24 -> 3a1f0c9b2d4e (head), last one\n"
             "ae1027a6acf0 -> 27c6a30d7c24, \n"
             "1975ea83b712 -> ae1027a6acf0 (current), add a column\n"
             "<base> -> 1975ea83b712, create account table\n",
             NULL},
            {"linear", "history -i -v", "ae1027a6acf0",
             "Rev: 3a1f0c9b2d4e (head)\n"
             "Parent: 27c6a30d7c24\n"
             "Path: /tmp/gfix/linear/versions/3a1f0c9b2d4e_x.py\n"
             "\n"
             "    last one\n"
             "\n"
             "Rev: 27c6a30d7c24\n"
             "Parent: ae1027a6acf0\n"
             "Path: /tmp/gfix/linear/versions/27c6a30d7c24_x.py\n"
             "\n"
             "\n"
             "\n"
             "Rev: ae1027a6acf0 (current)\n"
             "Parent: 1975ea83b712\n"
             "Path: /tmp/gfix/linear/versions/ae1027a6acf0_x.py\n"
             "\n"
             "    add a column\n"
             "    \n"
             "    with a longer body\n"
             "      indented line\n"
             "    \n"
             "    and a third paragraph\n"
             "\n"
             "Rev: 1975ea83b712\n"
             "Parent: <base>\n"
             "Path: /tmp/gfix/linear/versions/1975ea83b712_x.py\n"
             "\n"
             "    create account table\n"
             "    \n"
             "    Revision ID: 1975ea83b712\n"
             "    Revises:\n"
             "    Create Date: 2024-01-02 10:00:00\n"
             "\n",
             NULL},
            {"linear", "history -r current:", "ae1027a6acf0",
             "27c6a30d7c24 -> 3a1f0c9b2d4e (head), last one\n"
             "ae1027a6acf0 -> 27c6a30d7c24, \n"
             "1975ea83b712 -> ae1027a6acf0, add a column\n",
             NULL},
            {"linear", "history -r :current", "ae1027a6acf0",
             "1975ea83b712 -> ae1027a6acf0, add a column\n"
             "<base> -> 1975ea83b712, create account table\n",
             NULL},
            {"linear", "history -i -r current:", "ae1027a6acf0",
             "27c6a30d7c24 -> 3a1f0c9b2d4e (head), last one\n"
             "ae1027a6acf0 -> 27c6a30d7c24, \n"
             "1975ea83b712 -> ae1027a6acf0 (current), add a column\n",
             NULL},
            {"linear", "history -r current:", "",
             "27c6a30d7c24 -> 3a1f0c9b2d4e (head), last one\n"
             "ae1027a6acf0 -> 27c6a30d7c24, \n"
             "1975ea83b712 -> ae1027a6acf0, add a column\n"
             "<base> -> 1975ea83b712, create account table\n",
             NULL},
            {"linear", "history --rev-range=-1:", NULL,
             "27c6a30d7c24 -> 3a1f0c9b2d4e (head), last one\n"
             "ae1027a6acf0 -> 27c6a30d7c24, \n",
             NULL},
            {"linear", "history --rev-range=-2:ae10", NULL,
             "1975ea83b712 -> ae1027a6acf0, add a column\n", NULL},
            {"branchy", "heads", NULL,
             "3d4e0000aaaa (head)\n"
             "3d4e5f607182 (feature) (head)\n"
             "60718293a4b5 (other) (head)\n",
             NULL},
            {"branchy", "heads -v", NULL,
             "Rev: 3d4e0000aaaa (head)\n"
             "Parent: 4e5f60718293\n"
             "Path: /tmp/gfix/branchy/versions/3d4e0000aaaa_x.py\n"
             "\n"
             "    mainline two\n"
             "\n"
             "Rev: 3d4e5f607182 (head)\n"
             "Parent: 2c3d4e5f6071\n"
             "Branch names: feature\n"
             "Path: /tmp/gfix/branchy/versions/3d4e5f607182_x.py\n"
             "\n"
             "    feature more\n"
             "\n"
             "Rev: 60718293a4b5 (head)\n"
             "Parent: 5f60718293a4\n"
             "Branch names: other\n"
             "Path: /tmp/gfix/branchy/versions/60718293a4b5_x.py\n"
             "\n"
             "    other next\n"
             "\n",
             NULL},
            {"branchy", "history", NULL,
             "4e5f60718293 -> 3d4e0000aaaa (head), mainline two\n"
             "1b2c3d4e5f60 -> 4e5f60718293, mainline\n"
             "2c3d4e5f6071 -> 3d4e5f607182 (feature) (head), feature more\n"
             "1b2c3d4e5f60 -> 2c3d4e5f6071 (feature), feature start\n"
             "0a1b2c3d4e5f -> 1b2c3d4e5f60 (branchpoint), common\n"
             "<base> -> 0a1b2c3d4e5f, base\n"
             "5f60718293a4 -> 60718293a4b5 (other) (head), other next\n"
             "<base> -> 5f60718293a4 (other), other root\n",
             NULL},
            {"branchy", "history -v", NULL,
             "Rev: 3d4e0000aaaa (head)\n"
             "Parent: 4e5f60718293\n"
             "Path: /tmp/gfix/branchy/versions/3d4e0000aaaa_x.py\n"
             "\n"
             "    mainline two\n"
             "\n"
             "Rev: 4e5f60718293\n"
             "Parent: 1b2c3d4e5f60\n"
             "Path: /tmp/gfix/branchy/versions/4e5f60718293_x.py\n"
             "\n"
             "    mainline\n"
             "\n"
             "Rev: 3d4e5f607182 (head)\n"
             "Parent: 2c3d4e5f6071\n"
             "Branch names: feature\n"
             "Path: /tmp/gfix/branchy/versions/3d4e5f607182_x.py\n"
             "\n"
             "    feature more\n"
             "\n"
             "Rev: 2c3d4e5f6071\n"
             "Parent: 1b2c3d4e5f60\n"
             "Branch names: feature\n"
             "Path: /tmp/gfix/branchy/versions/2c3d4e5f6071_x.py\n"
             "\n"
             "    feature start\n"
             "\n"
             "Rev: 1b2c3d4e5f60 (branchpoint)\n"
             "Parent: 0a1b2c3d4e5f\n"
             "Branches into: 4e5f60718293, 2c3d4e5f6071\n"
             "Path: /tmp/gfix/branchy/versions/1b2c3d4e5f60_x.py\n"
             "\n"
             "    common\n"
             "\n"
             "Rev: 0a1b2c3d4e5f\n"
             "Parent: <base>\n"
             "Path: /tmp/gfix/branchy/versions/0a1b2c3d4e5f_x.py\n"
             "\n"
             "    base\n"
             "\n"
             "Rev: 60718293a4b5 (head)\n"
             "Parent: 5f60718293a4\n"
             "Branch names: other\n"
             "Path: /tmp/gfix/branchy/versions/60718293a4b5_x.py\n"
             "\n"
             "    other next\n"
             "\n"
             "Rev: 5f60718293a4\n"
             "Parent: <base>\n"
             "Branch names: other\n"
             "Path: /tmp/gfix/branchy/versions/5f60718293a4_x.py\n"
             "\n"
             "    other root\n"
             "\n",
             NULL},
            {"branchy", "history -r feature:", NULL,
             "2c3d4e5f6071 -> 3d4e5f607182 (feature) (head), feature more\n"
             "1b2c3d4e5f60 -> 2c3d4e5f6071 (feature), feature start\n",
             NULL},
            {"branchy", "history -r feature@base:", NULL,
             "2c3d4e5f6071 -> 3d4e5f607182 (feature) (head), feature more\n"
             "1b2c3d4e5f60 -> 2c3d4e5f6071 (feature), feature start\n"
             "0a1b2c3d4e5f -> 1b2c3d4e5f60 (branchpoint), common\n"
             "<base> -> 0a1b2c3d4e5f, base\n",
             NULL},
            {"branchy", "history -r :feature@head", NULL,
             "2c3d4e5f6071 -> 3d4e5f607182 (feature) (head), feature more\n"
             "1b2c3d4e5f60 -> 2c3d4e5f6071 (feature), feature start\n"
             "0a1b2c3d4e5f -> 1b2c3d4e5f60 (branchpoint), common\n"
             "<base> -> 0a1b2c3d4e5f, base\n",
             NULL},
            {"branchy", "history -r other:", NULL,
             "5f60718293a4 -> 60718293a4b5 (other) (head), other next\n"
             "<base> -> 5f60718293a4 (other), other root\n",
             NULL},
            {"branchy", "history -r 1b2c:heads", NULL,
             "4e5f60718293 -> 3d4e0000aaaa (head), mainline two\n"
             "1b2c3d4e5f60 -> 4e5f60718293, mainline\n"
             "2c3d4e5f6071 -> 3d4e5f607182 (feature) (head), feature more\n"
             "1b2c3d4e5f60 -> 2c3d4e5f6071 (feature), feature start\n"
             "0a1b2c3d4e5f -> 1b2c3d4e5f60 (branchpoint), common\n",
             NULL},
            {"branchy", "history -r :head", NULL, NULL,
             "Multiple head revisions are present for given argument 'head'; please specify a "
             "specific target revision, '<branchname>@head' to narrow to a specific head, or "
             "'heads' for all heads"},
            {"branchy", "history -r head:", NULL, NULL,
             "Multiple head revisions are present for given argument 'heads'; please specify a "
             "specific target revision, '<branchname>@heads' to narrow to a specific head, or "
             "'heads' for all heads"},
            /* Alembic's CLI: "Can't locate revision identified by '3d4e'" */
            {"branchy", "history -r 3d4e:", NULL, NULL,
             "Multiple revisions start with '3d4e': '3d4e0000aaaa', '3d4e5f607182'..."},
            {"branchy", "history -r 4e5f:3d4e5f607182", NULL, NULL,
             "Requested range 4e5f:3d4e5f607182 does not refer to ancestor/descendant revisions "
             "along the same branch"},
            {"branchy", "history -r :1b2c+1", NULL, NULL, "Ambiguous walk"},
            {"branchy", "history -r :feature@+1", NULL, "<base> -> 0a1b2c3d4e5f, base\n", NULL},
            {"branchy", "history --rev-range=-1:", NULL,
             "4e5f60718293 -> 3d4e0000aaaa (head), mainline two\n"
             "1b2c3d4e5f60 -> 4e5f60718293, mainline\n"
             "2c3d4e5f6071 -> 3d4e5f607182 (feature) (head), feature more\n"
             "1b2c3d4e5f60 -> 2c3d4e5f6071 (feature), feature start\n"
             "5f60718293a4 -> 60718293a4b5 (other) (head), other next\n"
             "<base> -> 5f60718293a4 (other), other root\n",
             NULL},
            {"branchy", "current", "3d4e5f607182 60718293a4b5",
             "60718293a4b5 (head)\n"
             "3d4e5f607182 (head)\n",
             NULL},
            {"branchy", "current -v", "2c3d4e5f6071 4e5f60718293",
             "Rev: 2c3d4e5f6071\n"
             "Parent: 1b2c3d4e5f60\n"
             "Branch names: feature\n"
             "Path: /tmp/gfix/branchy/versions/2c3d4e5f6071_x.py\n"
             "\n"
             "    feature start\n"
             "\n"
             "Rev: 4e5f60718293\n"
             "Parent: 1b2c3d4e5f60\n"
             "Path: /tmp/gfix/branchy/versions/4e5f60718293_x.py\n"
             "\n"
             "    mainline\n"
             "\n",
             NULL},
            {"branchy", "history -i -r :current", "2c3d4e5f6071 4e5f60718293",
             "1b2c3d4e5f60 -> 4e5f60718293 (current), mainline\n"
             "1b2c3d4e5f60 -> 2c3d4e5f6071 (feature) (current), feature start\n"
             "0a1b2c3d4e5f -> 1b2c3d4e5f60 (branchpoint), common\n"
             "<base> -> 0a1b2c3d4e5f, base\n",
             NULL},
            {"branchy", "history -r current:", "2c3d4e5f6071 60718293a4b5",
             "2c3d4e5f6071 -> 3d4e5f607182 (feature) (head), feature more\n"
             "1b2c3d4e5f60 -> 2c3d4e5f6071 (feature), feature start\n"
             "5f60718293a4 -> 60718293a4b5 (other) (head), other next\n",
             NULL},
            {"merge", "heads", NULL, "dddd00000001 (bees) (head)\n", NULL},
            {"merge", "heads -v", NULL,
             "Rev: dddd00000001 (head)\n"
             "Parent: cccc00000001\n"
             "Also depends on: bees\n"
             "Branch names: bees\n"
             "Path: /tmp/gfix/merge/versions/dddd00000001_x.py\n"
             "\n"
             "    after merge\n"
             "\n",
             NULL},
            {"merge", "history", NULL,
             "cccc00000001 (bees) -> dddd00000001 (bees) (head), after merge\n"
             "aaaa00000002, bbbb00000002 -> cccc00000001 (bees) (mergepoint), merge a and b\n"
             "bbbb00000001 (aaaa00000002) -> bbbb00000002 (bees), b two\n"
             "<base> -> bbbb00000001 (bees), b one\n"
             "aaaa00000001 -> aaaa00000002, a two\n"
             "<base> -> aaaa00000001, a one\n",
             NULL},
            {"merge", "history -v", NULL,
             "Rev: dddd00000001 (head)\n"
             "Parent: cccc00000001\n"
             "Also depends on: bees\n"
             "Branch names: bees\n"
             "Path: /tmp/gfix/merge/versions/dddd00000001_x.py\n"
             "\n"
             "    after merge\n"
             "\n"
             "Rev: cccc00000001 (mergepoint)\n"
             "Merges: aaaa00000002, bbbb00000002\n"
             "Branch names: bees\n"
             "Path: /tmp/gfix/merge/versions/cccc00000001_x.py\n"
             "\n"
             "    merge a and b\n"
             "    \n"
             "    the body\n"
             "\n"
             "Rev: bbbb00000002\n"
             "Parent: bbbb00000001\n"
             "Also depends on: aaaa00000002\n"
             "Branch names: bees\n"
             "Path: /tmp/gfix/merge/versions/bbbb00000002_x.py\n"
             "\n"
             "    b two\n"
             "\n"
             "Rev: bbbb00000001\n"
             "Parent: <base>\n"
             "Branch names: bees\n"
             "Path: /tmp/gfix/merge/versions/bbbb00000001_x.py\n"
             "\n"
             "    b one\n"
             "\n"
             "Rev: aaaa00000002\n"
             "Parent: aaaa00000001\n"
             "Path: /tmp/gfix/merge/versions/aaaa00000002_x.py\n"
             "\n"
             "    a two\n"
             "\n"
             "Rev: aaaa00000001\n"
             "Parent: <base>\n"
             "Path: /tmp/gfix/merge/versions/aaaa00000001_x.py\n"
             "\n"
             "    a one\n"
             "\n",
             NULL},
            {"merge", "history -r bees:", NULL,
             "cccc00000001 (bees) -> dddd00000001 (bees) (head), after merge\n"
             "aaaa00000002, bbbb00000002 -> cccc00000001 (bees) (mergepoint), merge a and b\n"
             "bbbb00000001 (aaaa00000002) -> bbbb00000002 (bees), b two\n"
             "<base> -> bbbb00000001 (bees), b one\n",
             NULL},
            {"merge", "history -r :bbbb00000002", NULL,
             "bbbb00000001 (aaaa00000002) -> bbbb00000002 (bees), b two\n"
             "<base> -> bbbb00000001 (bees), b one\n"
             "aaaa00000001 -> aaaa00000002, a two\n"
             "<base> -> aaaa00000001, a one\n",
             NULL},
            {"merge", "history -r aaaa00000002:", NULL,
             "cccc00000001 (bees) -> dddd00000001 (bees) (head), after merge\n"
             "aaaa00000002, bbbb00000002 -> cccc00000001 (bees) (mergepoint), merge a and b\n"
             "aaaa00000001 -> aaaa00000002, a two\n",
             NULL},
            {"merge", "current", "bbbb00000002",
             "bbbb00000002\n"
             "aaaa00000002\n",
             NULL},
            {"merge", "current -v", "dddd00000001",
             "Rev: dddd00000001 (head)\n"
             "Parent: cccc00000001\n"
             "Also depends on: bees\n"
             "Branch names: bees\n"
             "Path: /tmp/gfix/merge/versions/dddd00000001_x.py\n"
             "\n"
             "    after merge\n"
             "\n",
             NULL},
            {"merge", "history -i", "aaaa00000002 bbbb00000002",
             "cccc00000001 (bees) -> dddd00000001 (bees) (head), after merge\n"
             "aaaa00000002, bbbb00000002 -> cccc00000001 (bees) (mergepoint), merge a and b\n"
             "bbbb00000001 (aaaa00000002) -> bbbb00000002 (bees) (current), b two\n"
             "<base> -> bbbb00000001 (bees), b one\n"
             "aaaa00000001 -> aaaa00000002 (current), a two\n"
             "<base> -> aaaa00000001, a one\n",
             NULL},
            {"spread", "heads", NULL,
             "5005aaaaaaaa (head)\n"
             "7003aaaaaaaa (tee) (head)\n"
             "5004aaaaaaaa (lab) (head)\n",
             NULL},
            {"spread", "history", NULL,
             "5002aaaaaaaa -> 5005aaaaaaaa (head), s five\n"
             "5003aaaaaaaa -> 5004aaaaaaaa (lab) (head), s four\n"
             "5002aaaaaaaa -> 5003aaaaaaaa (lab), s three\n"
             "7002aaaaaaaa -> 7003aaaaaaaa (tee) (head), t three\n"
             "7001aaaaaaaa -> 7002aaaaaaaa (tee), t two\n"
             "<base> -> 7001aaaaaaaa (tee), t one\n"
             "5001aaaaaaaa -> 5002aaaaaaaa (branchpoint), s two\n"
             "<base> -> 5001aaaaaaaa, s one\n",
             NULL},
            {"spread", "history -r tee@base:", NULL,
             "7002aaaaaaaa -> 7003aaaaaaaa (tee) (head), t three\n"
             "7001aaaaaaaa -> 7002aaaaaaaa (tee), t two\n"
             "<base> -> 7001aaaaaaaa (tee), t one\n",
             NULL},
            {"spread", "history -r lab@base:", NULL,
             "5003aaaaaaaa -> 5004aaaaaaaa (lab) (head), s four\n"
             "5002aaaaaaaa -> 5003aaaaaaaa (lab), s three\n"
             "5001aaaaaaaa -> 5002aaaaaaaa (branchpoint), s two\n"
             "<base> -> 5001aaaaaaaa, s one\n",
             NULL},
            {"spread", "history -r :lab@head", NULL,
             "5003aaaaaaaa -> 5004aaaaaaaa (lab) (head), s four\n"
             "5002aaaaaaaa -> 5003aaaaaaaa (lab), s three\n"
             "5001aaaaaaaa -> 5002aaaaaaaa (branchpoint), s two\n"
             "<base> -> 5001aaaaaaaa, s one\n",
             NULL},
            {"spread", "history -r 5002:", NULL,
             "5002aaaaaaaa -> 5005aaaaaaaa (head), s five\n"
             "5003aaaaaaaa -> 5004aaaaaaaa (lab) (head), s four\n"
             "5002aaaaaaaa -> 5003aaaaaaaa (lab), s three\n"
             "5001aaaaaaaa -> 5002aaaaaaaa (branchpoint), s two\n",
             NULL},
            {"spread", "current", "5004aaaaaaaa 5005aaaaaaaa",
             "5004aaaaaaaa (head)\n"
             "5005aaaaaaaa (head)\n",
             NULL},
            {"spread", "history -r :current", "5004aaaaaaaa 7001aaaaaaaa",
             "<base> -> 7001aaaaaaaa (tee), t one\n"
             "5003aaaaaaaa -> 5004aaaaaaaa (lab) (head), s four\n"
             "5002aaaaaaaa -> 5003aaaaaaaa (lab), s three\n"
             "5001aaaaaaaa -> 5002aaaaaaaa (branchpoint), s two\n"
             "<base> -> 5001aaaaaaaa, s one\n",
             NULL},
            {"effective", "heads", NULL,
             "e0000000000b (effective head)\n"
             "f0000000000b (head)\n",
             NULL},
            {"effective", "heads --resolve-dependencies", NULL, "f0000000000b (head)\n", NULL},
            {"effective", "heads -v", NULL,
             "Rev: e0000000000b (head)\n"
             "Parent: e0000000000a\n"
             "Path: /tmp/gfix/effective/versions/e0000000000b_x.py\n"
             "\n"
             "    left head\n"
             "\n"
             "Rev: f0000000000b (head)\n"
             "Parent: f0000000000a\n"
             "Path: /tmp/gfix/effective/versions/f0000000000b_x.py\n"
             "\n"
             "    right head\n"
             "\n",
             NULL},
            {"effective", "history", NULL,
             "f0000000000a -> f0000000000b (head), right head\n"
             "<base> (e0000000000b) -> f0000000000a, right base, needs left\n"
             "e0000000000a -> e0000000000b (effective head), left head\n"
             "<base> -> e0000000000a, left base\n",
             NULL},
            {"effective", "history -v", NULL,
             "Rev: f0000000000b (head)\n"
             "Parent: f0000000000a\n"
             "Path: /tmp/gfix/effective/versions/f0000000000b_x.py\n"
             "\n"
             "    right head\n"
             "\n"
             "Rev: f0000000000a\n"
             "Parent: <base>\n"
             "Also depends on: e0000000000b\n"
             "Path: /tmp/gfix/effective/versions/f0000000000a_x.py\n"
             "\n"
             "    right base, needs left\n"
             "\n"
             "Rev: e0000000000b (head)\n"
             "Parent: e0000000000a\n"
             "Path: /tmp/gfix/effective/versions/e0000000000b_x.py\n"
             "\n"
             "    left head\n"
             "\n"
             "Rev: e0000000000a\n"
             "Parent: <base>\n"
             "Path: /tmp/gfix/effective/versions/e0000000000a_x.py\n"
             "\n"
             "    left base\n"
             "\n",
             NULL},
            {"effective", "current", "e0000000000b", "e0000000000b (effective head)\n", NULL},
            {"effective", "current", "f0000000000b",
             "f0000000000b (head)\n"
             "e0000000000b (effective head)\n",
             NULL},
            /* Alembic's CLI: "Can't locate revision identified by 'e000'" */
            {"effective", "history -r e000:", NULL, NULL,
             "Multiple revisions start with 'e000': 'e0000000000b', 'e0000000000a'..."},
    };

    size_t failures = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        struct revmap map = REVMAP_INIT;
        struct strvec args = STRVEC_INIT, versions = STRVEC_INIT;
        struct buf out = BUF_INIT;
        bool verbose = false, indicate = false, resolve = false;
        const char *range = NULL;
        char *got = NULL, *want = NULL;
        int rc;

        map_load(&map, cases[i].fixture);
        split(&args, cases[i].command);
        split(&versions, cases[i].versions);
        for (size_t k = 1; k < args.n; k++) {
            if (!strcmp(args.v[k], "-v"))
                verbose = true;
            else if (!strcmp(args.v[k], "-i"))
                indicate = true;
            else if (!strcmp(args.v[k], "--resolve-dependencies"))
                resolve = true;
            else if (!strcmp(args.v[k], "-r") && k + 1 < args.n)
                range = args.v[++k];
            else if (!strncmp(args.v[k], "--rev-range=", 12))
                range = args.v[k] + 12;
            else
                fail_msg("%s: cannot run '%s'", cases[i].command, args.v[k]);
        }
        if (!strcmp(args.v[0], "heads"))
            rc = alembic_format_heads(&out, &map, verbose, resolve, &err);
        else if (!strcmp(args.v[0], "current"))
            rc = alembic_format_current(&out, &map, &versions, verbose, &err);
        else
            rc = alembic_format_history_db(&out, &map, range, verbose,
                                           cases[i].versions ? &versions : NULL, indicate, &err);
        if (cases[i].error) {
            if (rc >= 0 || strcmp(err.msg, cases[i].error))
                fail_msg("%s '%s': got %d '%s', want '%s'", cases[i].fixture, cases[i].command, rc,
                         err.msg ? err.msg : "", cases[i].error);
        } else {
            if (rc < 0)
                fail_msg("%s '%s': %s", cases[i].fixture, cases[i].command, err.msg);
            got = normalize(out.buf, !strcmp(args.v[0], "current"));
            want = normalize(cases[i].out, !strcmp(args.v[0], "current"));
            if (strcmp(got, want))
                fail_msg("%s '%s':\n--- got\n%s--- want\n%s", cases[i].fixture, cases[i].command,
                         out.buf, cases[i].out);
        }
        free(got);
        free(want);
        buf_release(&out);
        strvec_clear(&args);
        strvec_clear(&versions);
        ds_error_release(&err);
        revmap_release(&map);
    }
    if (failures)
        fail_msg("%zu of %zu cases failed", failures, ARRAY_SIZE(cases));
}

/* alembic_format_history() marks what it is given; a "current" end needs the versions. */
static void test_history_current(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT;
    struct buf out = BUF_INIT;

    (void)state;
    map_load(&map, "linear");
    strvec_push(&versions, "27c6a30d7c24");
    assert_int_equal(alembic_format_history(&out, &map, "current:", false, &versions, &err), DS_OK);
    assert_string_equal(out.buf, "27c6a30d7c24 -> 3a1f0c9b2d4e (head), last one\n"
                                 "ae1027a6acf0 -> 27c6a30d7c24 (current), \n");
    assert_true(alembic_format_history(&out, &map, ":current", false, NULL, &err) < 0);
    assert_string_equal(err.msg, "history range ':current' needs the database's current "
                                 "revisions");
    /* Alembic: "current:current" puts the versions at the top only */
    assert_true(alembic_format_history(&out, &map, "current:current", false, &versions, &err) < 0);
    assert_string_equal(err.msg, "Can't locate revision identified by 'current'");
    assert_true(alembic_format_history(&out, &map, "a:b:c", false, NULL, &err) < 0);
    assert_string_equal(err.msg, "History range requires [start]:[end], [start]:, or :[end]");
    assert_true(alembic_format_current(&out, &map, &versions, false, &err) == DS_OK);
    strvec_push(&versions, "ffffffffffff");
    buf_reset(&out);
    assert_true(alembic_format_current(&out, &map, &versions, false, &err) < 0);
    assert_string_equal(err.msg, "Can't locate revision identified by 'ffffffffffff'");
    buf_release(&out);
    strvec_clear(&versions);
    ds_error_release(&err);
    revmap_release(&map);
}

/*
 * A dependency cycle that Alembic's _detect_cycles lets through (every
 * revision lies between a head and a base): Alembic's `heads` works, its
 * `history` loops forever; here history fails naming the cycle.
 */
static void test_undetected_cycle(void **state)
{
    static const struct rdef revs[] = {
            {"b000", NULL, NULL, NULL, ""},   {"a000", "b000", NULL, "c000", ""},
            {"c000", "a000", NULL, NULL, ""}, {"ha00", "a000", NULL, NULL, ""},
            {"hc00", "c000", NULL, NULL, ""},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct buf out = BUF_INIT;

    (void)state;
    assert_int_equal(map_from(&map, "cycle", revs, ARRAY_SIZE(revs), &err), DS_OK);
    assert_int_equal(alembic_format_heads(&out, &map, false, false, &err), DS_OK);
    assert_string_equal(out.buf, "ha00 (head)\nhc00 (head)\n");
    assert_true(alembic_format_history(&out, &map, NULL, false, NULL, &err) < 0);
    assert_string_equal(err.msg, "Dependency cycle is detected in revisions (a000, c000)");
    buf_release(&out);
    ds_error_release(&err);
    revmap_release(&map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_build),           cmocka_unit_test(test_links),
            cmocka_unit_test(test_normalized_deps), cmocka_unit_test(test_build_errors),
            cmocka_unit_test(test_empty_map),       cmocka_unit_test(test_resolve),
            cmocka_unit_test(test_resolve_appends), cmocka_unit_test(test_format),
            cmocka_unit_test(test_history_current), cmocka_unit_test(test_undetected_cycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
