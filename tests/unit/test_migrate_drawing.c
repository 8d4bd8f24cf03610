/*
 * `devstack db history --graph` (src/migrate/graph.c): fixture revision
 * graphs built in memory, each with the exact drawing expected, as
 * `git log --graph` would draw the same commits.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/banned.h"

#define MAX_REVS 8

/* One revision: space-separated lists. */
struct rdef {
    const char *id, *down, *labels, *deps, *doc;
};

struct drawing {
    const char *name;
    struct rdef revs[MAX_REVS]; /* in load order */
    const char *current;        /* the database's versions, space-separated; NULL: unknown */
    bool color;
    const char *want;
};

static const struct drawing drawings[] = {
        {"linear",
         {{"a1", NULL, NULL, NULL, "first"},
          {"b2", "a1", NULL, NULL, "second\n\nbody"},
          {"c3", "b2", NULL, NULL, "third"}},
         NULL,
         false,
         "* c3 (head) third\n"
         "* b2 second\n"
         "* a1 first\n"},
        {"linear, the database at the middle one",
         {{"a1", NULL, NULL, NULL, "first"},
          {"b2", "a1", NULL, NULL, "second"},
          {"c3", "b2", NULL, NULL, "third"}},
         "b2",
         false,
         "* c3 (head) third\n"
         "* b2 (current) second\n"
         "* a1 first\n"},
        {"a branch point, two heads",
         {{"a1", NULL, NULL, NULL, "base"},
          {"b1", "a1", NULL, NULL, "left"},
          {"b2", "a1", NULL, NULL, "right"}},
         "b1 b2",
         false,
         "* b1 (head) (current) left\n"
         "| * b2 (head) (current) right\n"
         "|/\n"
         "* a1 base\n"},
        {"three heads on one revision",
         {{"a1", NULL, NULL, NULL, "base"},
          {"b1", "a1", NULL, NULL, "one"},
          {"b2", "a1", NULL, NULL, "two"},
          {"b3", "a1", NULL, NULL, "three"}},
         NULL,
         false,
         "* b1 (head) one\n"
         "| * b2 (head) two\n"
         "| | * b3 (head) three\n"
         "|/ /\n"
         "|/\n"
         "* a1 base\n"},
        {"a merge of three: git's octopus",
         {{"a1", NULL, NULL, NULL, "base"},
          {"b1", "a1", NULL, NULL, "one"},
          {"b2", "a1", NULL, NULL, "two"},
          {"b3", "a1", NULL, NULL, "three"},
          {"m1", "b1 b2 b3", NULL, NULL, "merge"},
          {"z1", "m1", NULL, NULL, "top"}},
         "z1",
         false,
         "* z1 (head) (current) top\n"
         "*-.   m1 merge\n"
         "|\\ \\\n"
         "* | | b1 one\n"
         "| * | b2 two\n"
         "| | * b3 three\n"
         "|/ /\n"
         "|/\n"
         "* a1 base\n"},
        {"a merge of four right of an open branch (as git draws it)",
         {{"a1", NULL, NULL, NULL, "base"},
          {"b1", "a1", NULL, NULL, "one"},
          {"b2", "a1", NULL, NULL, "two"},
          {"b3", "a1", NULL, NULL, "three"},
          {"b4", "a1", NULL, NULL, "four"},
          {"s1", "a1", NULL, NULL, "side"},
          {"m1", "b1 b2 b3 b4", NULL, NULL, "merge"},
          {"x1", "m1", NULL, NULL, "top"}},
         NULL,
         false,
         "* s1 (head) side\n"
         "| * x1 (head) top\n"
         "| *---.   m1 merge\n"
         "| |\\ \\ \\\n"
         "| * | | | b1 one\n"
         "| | * | | b2 two\n"
         "| | | * | b3 three\n"
         "| | | | * b4 four\n"
         "|/ / / /\n"
         "|/ / /\n"
         "|/ /\n"
         "|/\n"
         "* a1 base\n"},
        {"a merge",
         {{"a1", NULL, NULL, NULL, "base"},
          {"b1", "a1", NULL, NULL, "left"},
          {"c1", "a1", NULL, NULL, "right"},
          {"m1", "b1 c1", NULL, NULL, "merge left and right"},
          {"n1", "m1", NULL, NULL, "after"}},
         "n1",
         false,
         "* n1 (head) (current) after\n"
         "*   m1 merge left and right\n"
         "|\\\n"
         "* | b1 left\n"
         "| * c1 right\n"
         "|/\n"
         "* a1 base\n"},
        {"a merge of two roots: a lane ends, the next moves left",
         {{"a1", NULL, NULL, NULL, "root a"},
          {"c1", NULL, NULL, NULL, "root c"},
          {"b1", "c1", NULL, NULL, "on c"},
          {"m1", "a1 b1", NULL, NULL, "merge"}},
         NULL,
         false,
         "*   m1 (head) merge\n"
         "|\\\n"
         "* | a1 root a\n"
         " /\n"
         "* b1 on c\n"
         "* c1 root c\n"},
        {"two roots with branch labels",
         {{"x1", NULL, "one", NULL, "x one"},
          {"x2", "x1", NULL, NULL, "x two"},
          {"y1", NULL, "two extra", NULL, "y one"},
          {"y2", "y1", NULL, NULL, "y two"}},
         "x2 y1",
         false,
         "* x2 (head) (current) x two\n"
         "* x1 (one) x one\n"
         "* y2 (head) y two\n"
         "* y1 (two, extra) (current) y one\n"},
        {"depends_on: a note, not a lane",
         {{"a1", NULL, "core", NULL, "core base"},
          {"b1", "a1", NULL, NULL, "core next"},
          {"r1", NULL, "report", "b1", "report base"},
          {"r2", "r1", NULL, "core", "report next"}},
         NULL,
         false,
         "* b1 (head) core next\n"
         "* a1 (core) core base\n"
         "* r2 (head) report next (depends on: a1)\n"
         "* r1 (report) report base (depends on: b1)\n"},
        {"colors on a terminal",
         {{"a1", NULL, NULL, NULL, "first"}, {"b2", "a1", NULL, NULL, "second"}},
         "a1",
         true,
         "* b2 \033[33m(head)\033[m second\n"
         "* \033[1;32ma1\033[m \033[1;32m(current)\033[m first\n"},
        {"no message", {{"a1", NULL, NULL, NULL, ""}}, NULL, false, "* a1 (head)\n"},
};

static void split(struct strvec *sv, const char *list)
{
    if (list)
        strvec_split(sv, list, ' ');
}

static struct revision *rev_new(const struct rdef *d)
{
    struct revision *r = xcalloc(1, sizeof(*r));
    const char *para = strstr(d->doc, "\n\n");
    struct buf path = BUF_INIT;

    r->id = xstrdup(d->id);
    strvec_init(&r->down);
    strvec_init(&r->branch_labels);
    strvec_init(&r->depends_on);
    split(&r->down, d->down);
    split(&r->branch_labels, d->labels);
    split(&r->depends_on, d->deps);
    r->longdoc = xstrdup(d->doc);
    r->doc = para ? xstrndup(d->doc, (size_t)(para - d->doc)) : xstrdup(d->doc);
    buf_addf(&path, "versions/%s_x.py", d->id);
    r->path = buf_detach(&path, NULL);
    return r;
}

static void test_drawings(void **state)
{
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(drawings); i++) {
        const struct drawing *d = &drawings[i];
        struct revmap map = REVMAP_INIT;
        struct strvec current = STRVEC_INIT;
        struct ds_error err = DS_ERROR_INIT;
        struct buf out = BUF_INIT;

        for (size_t k = 0; k < MAX_REVS && d->revs[k].id; k++)
            revmap_add(&map, rev_new(&d->revs[k]));
        if (revmap_build(&map, &err) < 0)
            fail_msg("%s: %s", d->name, err.msg);
        split(&current, d->current);
        assert_int_equal(
                alembic_format_graph(&out, &map, d->current ? &current : NULL, d->color, &err), 0);
        if (strcmp(out.buf, d->want)) {
            print_error("%s: drew\n%s\nwant\n%s\n", d->name, out.buf, d->want);
            bad++;
        }
        buf_release(&out);
        strvec_clear(&current);
        revmap_release(&map);
        ds_error_release(&err);
    }
    if (bad)
        fail_msg("%d drawings differ", bad);
}

/* An empty versions/ draws nothing. */
static void test_empty(void **state)
{
    struct revmap map = REVMAP_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct buf out = BUF_INIT;

    (void)state;
    assert_int_equal(revmap_build(&map, &err), 0);
    assert_int_equal(alembic_format_graph(&out, &map, NULL, false, &err), 0);
    assert_string_equal(out.buf, "");
    revmap_release(&map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_drawings),
            cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
