/*
 * The hash index (src/util/strmap.c): against a plain list, on the heap and
 * in an arena, and as the index of a long kvlist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/kvlist.h"
#include "util/strmap.h"
#include "util/strvec.h"
#include "util/banned.h"

static void test_strmap_basics(void **state)
{
    static const struct {
        const char *op, *key; /* "put", "add", "get" */
        size_t value;
        bool expect; /* get: found; add: added */
        size_t expect_value;
    } steps[] = {
            {"get", "a", 0, false, 0},    {"put", "a", 1, true, 0},  {"get", "a", 0, true, 1},
            {"get", "", 0, false, 0},     {"put", "", 2, true, 0},   {"get", "", 0, true, 2},
            {"add", "a", 9, false, 1},    {"get", "a", 0, true, 1},  {"put", "a", 3, true, 0},
            {"get", "a", 0, true, 3},     {"add", "b", 4, true, 0},  {"get", "b", 0, true, 4},
            {"get", "ab", 0, false, 0},   {"get", "A", 0, false, 0}, {"put", "a\xff", 5, true, 0},
            {"get", "a\xff", 0, true, 5}, {"get", "a", 0, true, 3},
    };
    struct strmap m = STRMAP_INIT;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        size_t v = 12345;

        if (!strcmp(steps[i].op, "put")) {
            strmap_put(&m, steps[i].key, steps[i].value);
        } else if (!strcmp(steps[i].op, "add")) {
            if (strmap_add(&m, steps[i].key, steps[i].value, &v) != steps[i].expect ||
                (!steps[i].expect && v != steps[i].expect_value))
                fail_msg("step %zu: add '%s'", i, steps[i].key);
        } else if (strmap_get(&m, steps[i].key, &v) != steps[i].expect ||
                   (steps[i].expect && v != steps[i].expect_value)) {
            fail_msg("step %zu: get '%s' gave %zu", i, steps[i].key, v);
        }
    }
    assert_int_equal(m.n, 4);
    strmap_reset(&m);
    assert_int_equal(m.n, 0);
    assert_false(strmap_get(&m, "a", NULL));
    strmap_put(&m, "a", 7);
    assert_true(strmap_get(&m, "a", NULL));
    strmap_release(&m);
    assert_false(strmap_get(&m, "a", NULL));
    strmap_release(&m); /* twice is fine */
}

/* Many keys, some repeated, through growth: the map agrees with a linear search every time. */
static void run_against_list(struct strmap *m)
{
    struct strvec keys = STRVEC_INIT;
    unsigned seed = 3;

    for (int i = 0; i < 20000; i++) {
        char key[32];
        size_t v, first = (size_t)-1;

        snprintf(key, sizeof(key), "k%u", (unsigned)rand_r(&seed) % 15000);
        for (size_t k = 0; k < keys.n && first == (size_t)-1; k++)
            if (!strcmp(keys.v[k], key))
                first = k;
        if (first == (size_t)-1) {
            strvec_push(&keys, key);
            assert_true(strmap_add(m, keys.v[keys.n - 1], keys.n - 1, NULL));
        } else {
            /* added again: refused, the first position stays */
            assert_false(strmap_add(m, keys.v[first], 999999, &v));
            assert_int_equal(v, first);
            assert_true(strmap_get(m, key, &v));
            assert_int_equal(v, first);
        }
        assert_int_equal(m->n, keys.n);
    }
    for (size_t k = 0; k < keys.n; k++) {
        size_t v;

        assert_true(strmap_get(m, keys.v[k], &v));
        assert_int_equal(v, k);
    }
    assert_false(strmap_get(m, "k15000", NULL));
    strmap_release(m);
    strvec_clear(&keys);
}

static void test_strmap_heap(void **state)
{
    struct strmap m = STRMAP_INIT;

    (void)state;
    run_against_list(&m);
}

static void test_strmap_arena(void **state)
{
    struct arena a = ARENA_INIT;
    struct strmap m;

    (void)state;
    strmap_init_arena(&m, &a);
    run_against_list(&m);
    arena_release(&a);
}

/* What a search from the start finds: the first entry of the key. */
static struct kv *linear_find(const struct kvlist *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].key, key))
            return &l->items[i];
    return NULL;
}

/*
 * A kvlist long enough for its index, through every call that changes it
 * (set, add of a duplicate, remove, sort, clear): a lookup finds what a
 * search from the start finds, and the order of the entries stays theirs.
 */
static void test_kvlist_index(void **state)
{
    struct kvlist l = KVLIST_INIT;
    unsigned seed = 11;

    (void)state;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5000; i++) {
            char key[16], value[16];
            unsigned op = (unsigned)rand_r(&seed) % 10;

            snprintf(key, sizeof(key), "K%u", (unsigned)rand_r(&seed) % 300);
            snprintf(value, sizeof(value), "%d", i);
            if (op < 6)
                kvlist_set(&l, key, value);
            else if (op < 8)
                kvlist_add(&l, key, value);
            else if (op < 9)
                kvlist_remove(&l, key);
            else if (i % 500 == 0)
                kvlist_sort(&l);
            for (unsigned k = 0; k < 300; k += 37) {
                snprintf(key, sizeof(key), "K%u", k);
                if (kvlist_find(&l, key) != linear_find(&l, key))
                    fail_msg("round %d step %d: '%s' found at a different entry", round, i, key);
            }
        }
        assert_true(l.n > 16);
        assert_non_null(l.index);
        kvlist_clear(&l);
        assert_null(l.index);
        assert_null(kvlist_find(&l, "K1"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_strmap_basics),
            cmocka_unit_test(test_strmap_heap),
            cmocka_unit_test(test_strmap_arena),
            cmocka_unit_test(test_kvlist_index),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
