/*
 * Unit tests for src/util/strvec.c and src/util/kvlist.c.
 *
 * Table-driven tests run every row, print each mismatch and fail once at the
 * end, so one bad row does not hide the others.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/kvlist.h"
#include "util/strvec.h"
#include "util/banned.h"

#define MAX_ITEMS 8

/* ---- helpers ------------------------------------------------------------------ */

static const char *show(const char *s)
{
    return s ? s : "(null)";
}

/* Assert the strvec invariants: v is never NULL and v[n] == NULL. */
static void assert_strvec_sane(const struct strvec *sv)
{
    assert_non_null(sv->v);
    assert_null(sv->v[sv->n]);
    for (size_t i = 0; i < sv->n; i++)
        assert_non_null(sv->v[i]);
}

/* ["a", "b"] for failure messages; caller frees. */
static char *render_vec(const struct strvec *sv)
{
    struct buf b = BUF_INIT;

    buf_addch(&b, '[');
    for (size_t i = 0; i < sv->n; i++)
        buf_addf(&b, "%s\"%s\"", i ? ", " : "", sv->v[i]);
    buf_addch(&b, ']');
    return buf_detach(&b, NULL);
}

/* Does sv hold exactly the NULL-terminated list expected? */
static bool vec_is(const struct strvec *sv, const char *const *expected)
{
    size_t n = 0;

    while (n < MAX_ITEMS && expected[n])
        n++;
    if (sv->n != n || sv->v[n] != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(sv->v[i], expected[i]) != 0)
            return false;
    return true;
}

static void fill_vec(struct strvec *sv, const char *const *items)
{
    for (size_t i = 0; i < MAX_ITEMS && items[i]; i++)
        strvec_push(sv, items[i]);
}

/* ---- strvec ------------------------------------------------------------------ */

static void test_strvec_init(void **state)
{
    struct strvec a = STRVEC_INIT;
    struct strvec b;

    (void)state;
    assert_strvec_sane(&a);
    assert_int_equal(a.n, 0);
    assert_false(strvec_contains(&a, ""));

    strvec_init(&b);
    assert_strvec_sane(&b);
    assert_int_equal(b.n, 0);
    assert_true(strvec_equal(&a, &b));

    /* Clearing an empty vector is harmless. */
    strvec_clear(&a);
    strvec_clear(&a);
    assert_strvec_sane(&a);
    assert_int_equal(a.n, 0);
}

static void test_strvec_push(void **state)
{
    enum { N = 1000 };
    struct strvec sv = STRVEC_INIT;
    char src[32];

    (void)state;
    for (size_t i = 0; i < N; i++) {
        snprintf(src, sizeof(src), "item-%zu", i);
        strvec_push(&sv, src);
        if (sv.n != i + 1 || sv.v[sv.n] != NULL)
            fail_msg("after push %zu: n %zu, v[n] %s", i, sv.n, sv.v[sv.n] ? "set" : "NULL");
        /* push copies: the vector does not keep our buffer */
        assert_true(sv.v[i] != src);
    }
    /* Overwriting the source buffers did not change the stored copies. */
    for (size_t i = 0; i < N; i++) {
        snprintf(src, sizeof(src), "item-%zu", i);
        if (strcmp(sv.v[i], src) != 0)
            fail_msg("v[%zu] is \"%s\", expected \"%s\"", i, sv.v[i], src);
    }
    strvec_clear(&sv);
    assert_strvec_sane(&sv);
    assert_int_equal(sv.n, 0);
}

static void test_strvec_push_variants(void **state)
{
    static const char *const three[] = {"x", "y", "z", NULL};
    static const char *const none[] = {NULL};
    static const char *const expected[] = {"a", "b-2", "x", "y", "z", "owned", "", NULL};
    struct strvec sv = STRVEC_INIT;
    char *owned = xstrdup("owned");
    char *render;

    (void)state;
    strvec_push(&sv, "a");
    assert_null(sv.v[sv.n]);

    strvec_pushf(&sv, "%s-%d", "b", 2);
    assert_int_equal(sv.n, 2);
    assert_string_equal(sv.v[1], "b-2");
    assert_null(sv.v[sv.n]);

    strvec_pushv(&sv, three);
    assert_int_equal(sv.n, 5);
    assert_null(sv.v[sv.n]);
    assert_true(sv.v[2] != three[0]); /* copied */

    strvec_pushv(&sv, none);
    assert_int_equal(sv.n, 5);
    assert_null(sv.v[sv.n]);

    /* push_nodup takes the very pointer (and frees it on clear). */
    strvec_push_nodup(&sv, owned);
    assert_int_equal(sv.n, 6);
    assert_true(sv.v[5] == owned);
    assert_null(sv.v[sv.n]);

    strvec_push(&sv, "");
    assert_null(sv.v[sv.n]);

    render = render_vec(&sv);
    if (!vec_is(&sv, expected))
        print_error("got %s\n", render);
    free(render);
    assert_true(vec_is(&sv, expected));

    /* A vector built by pushv from its own kind of array. */
    {
        struct strvec copy = STRVEC_INIT;

        strvec_pushv(&copy, (const char *const *)sv.v);
        assert_true(strvec_equal(&copy, &sv));
        strvec_clear(&copy);
    }
    strvec_clear(&sv);
}

static void test_strvec_pushf_long(void **state)
{
    struct strvec sv = STRVEC_INIT;
    char *big = xmalloc(10001);

    (void)state;
    memset(big, 'q', 10000);
    big[10000] = '\0';
    strvec_pushf(&sv, "<%s>", big);
    assert_int_equal(sv.n, 1);
    assert_int_equal(strlen(sv.v[0]), 10002);
    assert_int_equal(sv.v[0][0], '<');
    assert_int_equal(sv.v[0][10001], '>');
    assert_null(sv.v[1]);
    free(big);
    strvec_clear(&sv);
}

static void test_strvec_clear_reuse(void **state)
{
    static const char *const first[] = {"one", "two", "three", NULL};
    static const char *const second[] = {"four", NULL};
    struct strvec sv = STRVEC_INIT;

    (void)state;
    fill_vec(&sv, first);
    assert_true(vec_is(&sv, first));
    strvec_clear(&sv);
    assert_strvec_sane(&sv);
    assert_int_equal(sv.n, 0);
    assert_false(strvec_contains(&sv, "one"));

    fill_vec(&sv, second);
    assert_true(vec_is(&sv, second));
    strvec_clear(&sv);
    strvec_clear(&sv);
    assert_strvec_sane(&sv);
}

static void test_strvec_copy(void **state)
{
    static const char *const items[] = {"a", "", "c c", NULL};
    struct strvec src = STRVEC_INIT, dst = STRVEC_INIT, empty = STRVEC_INIT;

    (void)state;
    fill_vec(&src, items);
    strvec_copy(&dst, &src);
    assert_true(strvec_equal(&dst, &src));
    assert_true(vec_is(&dst, items));
    /* A deep copy: the strings are not shared. */
    for (size_t i = 0; i < src.n; i++)
        assert_true(dst.v[i] != src.v[i]);
    strvec_clear(&src);
    assert_true(vec_is(&dst, items));
    strvec_clear(&dst);

    /* Copying an empty vector gives an empty, valid vector. */
    strvec_copy(&dst, &empty);
    assert_strvec_sane(&dst);
    assert_int_equal(dst.n, 0);
    strvec_clear(&dst);
}

static void test_strvec_contains(void **state)
{
    static const char *const items[] = {"web", "db", "", "cache", NULL};
    static const struct {
        const char *s;
        bool expected;
    } cases[] = {
            {"web", true}, {"db", true},    {"", true},    {"cache", true},
            {"we", false}, {"webs", false}, {"DB", false}, {"cache ", false},
    };
    struct strvec sv = STRVEC_INIT;
    int bad = 0;

    (void)state;
    fill_vec(&sv, items);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (strvec_contains(&sv, cases[i].s) != cases[i].expected) {
            print_error("case %zu (contains \"%s\"): expected %d\n", i, cases[i].s,
                        cases[i].expected);
            bad++;
        }
    }
    strvec_clear(&sv);
    if (bad)
        fail_msg("%d strvec_contains cases failed", bad);
}

static void test_strvec_equal(void **state)
{
    static const struct {
        const char *a[MAX_ITEMS], *b[MAX_ITEMS];
        bool expected;
    } cases[] = {
            {{NULL}, {NULL}, true},
            {{"a"}, {"a"}, true},
            {{"a", "b"}, {"a", "b"}, true},
            {{""}, {""}, true},
            {{"a"}, {"b"}, false},
            {{"a", "b"}, {"a"}, false},
            {{"a"}, {"a", "b"}, false},
            {{"a", "b"}, {"b", "a"}, false},
            {{""}, {NULL}, false},
            {{"ab"}, {"a"}, false},
            {{"a", "bc"}, {"ab", "c"}, false},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strvec a = STRVEC_INIT, b = STRVEC_INIT;

        fill_vec(&a, cases[i].a);
        fill_vec(&b, cases[i].b);
        if (strvec_equal(&a, &b) != cases[i].expected ||
            strvec_equal(&b, &a) != cases[i].expected) {
            char *ra = render_vec(&a), *rb = render_vec(&b);

            print_error("case %zu: equal(%s, %s) should be %d\n", i, ra, rb, cases[i].expected);
            free(ra);
            free(rb);
            bad++;
        }
        strvec_clear(&a);
        strvec_clear(&b);
    }
    if (bad)
        fail_msg("%d strvec_equal cases failed", bad);
}

static void test_strvec_split(void **state)
{
    static const struct {
        const char *s;
        char sep;
        const char *expected[MAX_ITEMS];
    } cases[] = {
            {"a:b", ':', {"a", "b"}},
            {"a::b", ':', {"a", "b"}},
            {":a:", ':', {"a"}},
            {"", ':', {NULL}},
            {"abc", ':', {"abc"}},
            {":", ':', {NULL}},
            {":::", ':', {NULL}},
            {"a:b:c", ':', {"a", "b", "c"}},
            {"a b", ':', {"a b"}},
            {"/usr/bin:/bin", ':', {"/usr/bin", "/bin"}},
            {"x,y,,z,", ',', {"x", "y", "z"}},
            {"a:b", ',', {"a:b"}},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strvec sv = STRVEC_INIT;

        strvec_split(&sv, cases[i].s, cases[i].sep);
        if (!sv.v || !vec_is(&sv, cases[i].expected)) {
            char *got = render_vec(&sv);

            print_error("case %zu (split \"%s\" at '%c'): got %s\n", i, cases[i].s, cases[i].sep,
                        got);
            free(got);
            bad++;
        }
        strvec_clear(&sv);
    }

    /* split appends to what is already there */
    {
        static const char *const expected[] = {"first", "a", "b", NULL};
        struct strvec sv = STRVEC_INIT;

        strvec_push(&sv, "first");
        strvec_split(&sv, "a:b", ':');
        if (!vec_is(&sv, expected)) {
            print_error("split after push did not append\n");
            bad++;
        }
        strvec_clear(&sv);
    }
    if (bad)
        fail_msg("%d strvec_split cases failed", bad);
}

/* ---- kvlist ------------------------------------------------------------------- */

struct kv_expect {
    const char *key, *value;
};

/* Does l hold exactly these pairs, in this order? (A NULL key ends the list.) */
static bool kvlist_is(const struct kvlist *l, const struct kv_expect *expected)
{
    size_t n = 0;

    while (n < MAX_ITEMS && expected[n].key)
        n++;
    if (l->n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *v = l->items[i].value, *e = expected[i].value;

        if (strcmp(l->items[i].key, expected[i].key) != 0)
            return false;
        if ((v == NULL) != (e == NULL) || (v && strcmp(v, e) != 0))
            return false;
    }
    return true;
}

static char *render_kvlist(const struct kvlist *l)
{
    struct buf b = BUF_INIT;

    buf_addch(&b, '{');
    for (size_t i = 0; i < l->n; i++)
        buf_addf(&b, "%s%s=%s", i ? ", " : "", l->items[i].key, show(l->items[i].value));
    buf_addch(&b, '}');
    return buf_detach(&b, NULL);
}

static void assert_kvlist_is(const struct kvlist *l, const struct kv_expect *expected)
{
    if (!kvlist_is(l, expected)) {
        char *got = render_kvlist(l);

        print_error("kvlist is %s\n", got);
        free(got);
        fail_msg("kvlist differs from the expected pairs");
    }
}

static void test_kvlist_set(void **state)
{
    static const struct kv_expect three[] = {{"a", "1"}, {"b", "2"}, {"c", "3"}, {NULL}};
    static const struct kv_expect replaced[] = {{"a", "1"}, {"b", "20"}, {"c", "3"}, {NULL}};
    static const struct kv_expect nulled[] = {{"a", "1"}, {"b", NULL}, {"c", "3"}, {NULL}};
    static const struct kv_expect back[] = {{"a", "1"}, {"b", "x"}, {"c", "3"}, {NULL}};
    struct kvlist l = KVLIST_INIT;

    (void)state;
    kvlist_set(&l, "a", "1");
    kvlist_set(&l, "b", "2");
    kvlist_set(&l, "c", "3");
    assert_kvlist_is(&l, three);

    /* Replaced in place: same position, same count. */
    kvlist_set(&l, "b", "20");
    assert_kvlist_is(&l, replaced);
    kvlist_set(&l, "b", NULL);
    assert_kvlist_is(&l, nulled);
    kvlist_set(&l, "b", "x");
    assert_kvlist_is(&l, back);

    /* The value is copied. */
    {
        char value[] = "mutable";

        kvlist_set(&l, "d", value);
        value[0] = 'X';
        assert_string_equal(kvlist_get(&l, "d"), "mutable");
    }
    kvlist_clear(&l);
}

static void test_kvlist_add_duplicates(void **state)
{
    static const struct kv_expect dup[] = {{"a", "1"}, {"b", "x"}, {"a", "2"}, {NULL}};
    static const struct kv_expect after_set[] = {{"a", "3"}, {"b", "x"}, {"a", "2"}, {NULL}};
    struct kvlist l = KVLIST_INIT;

    (void)state;
    kvlist_add(&l, "a", "1");
    kvlist_add(&l, "b", "x");
    kvlist_add(&l, "a", "2");
    assert_kvlist_is(&l, dup);

    /* find/get see the first entry for a key. */
    assert_true(kvlist_find(&l, "a") == &l.items[0]);
    assert_string_equal(kvlist_get(&l, "a"), "1");

    /* set replaces the first one and leaves the duplicate alone. */
    kvlist_set(&l, "a", "3");
    assert_kvlist_is(&l, after_set);

    /* remove drops the first; the second becomes visible. */
    assert_true(kvlist_remove(&l, "a"));
    assert_int_equal(l.n, 2);
    assert_string_equal(kvlist_get(&l, "a"), "2");
    kvlist_clear(&l);
}

static void test_kvlist_find_get(void **state)
{
    static const struct {
        const char *key;
        bool found;
        const char *value; /* what get returns */
    } cases[] = {
            {"a", true, "1"},         {"empty", true, ""},     {"novalue", true, NULL},
            {"missing", false, NULL}, {"A", false, NULL},      {"", false, NULL},
            {"emp", false, NULL},     {"emptyy", false, NULL},
    };
    struct kvlist l = KVLIST_INIT;
    int bad = 0;

    (void)state;
    /* An empty list finds nothing. */
    assert_null(kvlist_find(&l, "a"));
    assert_null(kvlist_get(&l, "a"));

    kvlist_set(&l, "a", "1");
    kvlist_set(&l, "empty", "");
    kvlist_set(&l, "novalue", NULL);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct kv *kv = kvlist_find(&l, cases[i].key);
        const char *v = kvlist_get(&l, cases[i].key);

        if ((kv != NULL) != cases[i].found) {
            print_error("case %zu (find \"%s\"): %s, expected %s\n", i, cases[i].key,
                        kv ? "found" : "not found", cases[i].found ? "found" : "not found");
            bad++;
        } else if (kv && (strcmp(kv->key, cases[i].key) != 0 ||
                          (kv->value == NULL) != (cases[i].value == NULL) ||
                          (kv->value && strcmp(kv->value, cases[i].value) != 0))) {
            print_error("case %zu (find \"%s\"): entry %s=%s\n", i, cases[i].key, kv->key,
                        show(kv->value));
            bad++;
        }
        if ((v == NULL) != (cases[i].value == NULL) || (v && strcmp(v, cases[i].value) != 0)) {
            print_error("case %zu (get \"%s\"): \"%s\", expected \"%s\"\n", i, cases[i].key,
                        show(v), show(cases[i].value));
            bad++;
        }
    }
    kvlist_clear(&l);
    if (bad)
        fail_msg("%d kvlist find/get cases failed", bad);
}

static void test_kvlist_remove(void **state)
{
    static const struct kv_expect start[] = {{"a", "1"}, {"b", NULL}, {"c", "3"}, {"d", "4"}, {0}};
    static const struct {
        const char *key;
        bool removed;
        struct kv_expect after[MAX_ITEMS];
    } cases[] = {
            {"a", true, {{"b", NULL}, {"c", "3"}, {"d", "4"}}},
            {"b", true, {{"a", "1"}, {"c", "3"}, {"d", "4"}}},
            {"c", true, {{"a", "1"}, {"b", NULL}, {"d", "4"}}},
            {"d", true, {{"a", "1"}, {"b", NULL}, {"c", "3"}}},
            {"zz", false, {{"a", "1"}, {"b", NULL}, {"c", "3"}, {"d", "4"}}},
            {"", false, {{"a", "1"}, {"b", NULL}, {"c", "3"}, {"d", "4"}}},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct kvlist l = KVLIST_INIT;
        bool removed;

        for (size_t k = 0; start[k].key; k++)
            kvlist_add(&l, start[k].key, start[k].value);
        removed = kvlist_remove(&l, cases[i].key);
        if (removed != cases[i].removed || !kvlist_is(&l, cases[i].after)) {
            char *got = render_kvlist(&l);

            print_error("case %zu (remove \"%s\"): returned %d, list %s\n", i, cases[i].key,
                        removed, got);
            free(got);
            bad++;
        }
        if (kvlist_find(&l, cases[i].key)) {
            print_error("case %zu (remove \"%s\"): key still found\n", i, cases[i].key);
            bad++;
        }
        kvlist_clear(&l);
    }

    /* Remove everything, then reuse. */
    {
        struct kvlist l = KVLIST_INIT;
        static const struct kv_expect reused[] = {{"z", "26"}, {NULL}};

        kvlist_set(&l, "x", "1");
        kvlist_set(&l, "y", "2");
        assert_true(kvlist_remove(&l, "y"));
        assert_true(kvlist_remove(&l, "x"));
        assert_false(kvlist_remove(&l, "x"));
        assert_int_equal(l.n, 0);
        assert_null(kvlist_get(&l, "x"));
        kvlist_set(&l, "z", "26");
        assert_kvlist_is(&l, reused);
        kvlist_clear(&l);
    }
    if (bad)
        fail_msg("%d kvlist_remove cases failed", bad);
}

static void test_kvlist_sort(void **state)
{
    static const struct {
        struct kv_expect in[MAX_ITEMS], out[MAX_ITEMS];
    } cases[] = {
            {{{NULL}}, {{NULL}}},
            {{{"only", "1"}}, {{"only", "1"}}},
            {{{"b", "2"}, {"a", "1"}}, {{"a", "1"}, {"b", "2"}}},
            {{{"c", "3"}, {"a", NULL}, {"b", "2"}, {"A", "big"}, {"", "empty"}},
             {{"", "empty"}, {"A", "big"}, {"a", NULL}, {"b", "2"}, {"c", "3"}}},
            {{{"PATH", "/bin"}, {"HOME", "/root"}, {"LANG", "C"}},
             {{"HOME", "/root"}, {"LANG", "C"}, {"PATH", "/bin"}}},
            {{{"a", "1"}, {"b", "2"}, {"c", "3"}}, {{"a", "1"}, {"b", "2"}, {"c", "3"}}},
            {{{"ab", "x"}, {"a", "y"}, {"abc", "z"}}, {{"a", "y"}, {"ab", "x"}, {"abc", "z"}}},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct kvlist l = KVLIST_INIT;

        for (size_t k = 0; cases[i].in[k].key; k++)
            kvlist_add(&l, cases[i].in[k].key, cases[i].in[k].value);
        kvlist_sort(&l);
        if (!kvlist_is(&l, cases[i].out)) {
            char *got = render_kvlist(&l);

            print_error("case %zu: sorted to %s\n", i, got);
            free(got);
            bad++;
        }
        kvlist_clear(&l);
    }
    if (bad)
        fail_msg("%d kvlist_sort cases failed", bad);
}

static void test_kvlist_copy(void **state)
{
    static const struct kv_expect pairs[] = {{"b", "2"}, {"a", NULL}, {"c", ""}, {NULL}};
    struct kvlist src = KVLIST_INIT, dst = KVLIST_INIT, empty = KVLIST_INIT;

    (void)state;
    for (size_t k = 0; pairs[k].key; k++)
        kvlist_set(&src, pairs[k].key, pairs[k].value);
    kvlist_copy(&dst, &src);
    assert_kvlist_is(&dst, pairs);

    /* A deep copy: nothing is shared, and dst outlives src. */
    for (size_t i = 0; i < src.n; i++) {
        assert_true(dst.items[i].key != src.items[i].key);
        if (src.items[i].value)
            assert_true(dst.items[i].value != src.items[i].value);
    }
    kvlist_clear(&src);
    assert_kvlist_is(&dst, pairs);
    kvlist_clear(&dst);

    /* Copying an empty list leaves an empty list. */
    kvlist_copy(&dst, &empty);
    assert_int_equal(dst.n, 0);
    assert_null(kvlist_find(&dst, "a"));
    kvlist_clear(&dst);
}

static void test_kvlist_clear_reuse(void **state)
{
    static const struct kv_expect again[] = {{"k", "v"}, {NULL}};
    struct kvlist l = KVLIST_INIT;

    (void)state;
    kvlist_clear(&l); /* on an empty list */
    assert_int_equal(l.n, 0);

    for (int i = 0; i < 100; i++) {
        char key[16];

        snprintf(key, sizeof(key), "key%d", i);
        kvlist_add(&l, key, i % 2 ? key : NULL);
    }
    assert_int_equal(l.n, 100);
    assert_string_equal(kvlist_get(&l, "key99"), "key99");
    assert_null(kvlist_get(&l, "key98"));
    assert_non_null(kvlist_find(&l, "key98"));

    kvlist_clear(&l);
    assert_int_equal(l.n, 0);
    assert_null(kvlist_find(&l, "key1"));
    assert_null(kvlist_get(&l, "key1"));

    kvlist_set(&l, "k", "v");
    assert_kvlist_is(&l, again);
    kvlist_clear(&l);
    kvlist_clear(&l);
    assert_int_equal(l.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_strvec_init),           cmocka_unit_test(test_strvec_push),
            cmocka_unit_test(test_strvec_push_variants),  cmocka_unit_test(test_strvec_pushf_long),
            cmocka_unit_test(test_strvec_clear_reuse),    cmocka_unit_test(test_strvec_copy),
            cmocka_unit_test(test_strvec_contains),       cmocka_unit_test(test_strvec_equal),
            cmocka_unit_test(test_strvec_split),          cmocka_unit_test(test_kvlist_set),
            cmocka_unit_test(test_kvlist_add_duplicates), cmocka_unit_test(test_kvlist_find_get),
            cmocka_unit_test(test_kvlist_remove),         cmocka_unit_test(test_kvlist_sort),
            cmocka_unit_test(test_kvlist_copy),           cmocka_unit_test(test_kvlist_clear_reuse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
