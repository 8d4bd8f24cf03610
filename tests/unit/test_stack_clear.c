/* `devstack clear`'s list: its order, its counts in words, its total. */
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "lib/testlib.h"
#include "stack/clear.h"
#include "util/alloc.h"
#include "util/banned.h"

static void test_describe_counts(void **state)
{
    static const struct {
        size_t counts[CLEAR_KINDS];
        const char *want;
    } cases[] = {
            {{0, 0, 0, 0, 0}, "nothing"},
            {{1, 0, 0, 0, 0}, "1 container"},
            {{3, 1, 2, 1, 0}, "3 containers, 1 network, 2 volumes, 1 image"},
            {{0, 2, 1, 0, 0}, "2 networks, 1 volume"},
            {{0, 0, 0, 5, 1}, "5 images, build cache"},
            {{0, 0, 0, 0, 1}, "build cache"},
            {{2, 0, 0, 0, 1}, "2 containers, build cache"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;

        stack_clear_describe_counts(&b, cases[i].counts);
        if (strcmp(b.buf, cases[i].want))
            fail_msg("case %zu: got '%s', want '%s'", i, b.buf, cases[i].want);
        buf_release(&b);
    }
}

static void test_sort_count_total(void **state)
{
    static const struct {
        enum stack_clear_kind kind;
        const char *name;
        int64_t size, created;
    } in[] = {
            {CLEAR_BUILD_CACHE, "dangling build cache", -1, 0},
            {CLEAR_IMAGE, "base:1", 1000, 100},
            {CLEAR_VOLUME, "p_data", 2048, 0},
            {CLEAR_IMAGE, "child:1", 500, 300},
            {CLEAR_CONTAINER, "p-web-1", 10, 0},
            {CLEAR_NETWORK, "p_default", -1, 0},
            {CLEAR_IMAGE, "<none> abc", 0, 200},
            {CLEAR_CONTAINER, "p-db-1", -1, 0},
            {CLEAR_VOLUME, "p_cache", -1, 0},
    };
    /* kinds in removal order; by name, but images newest (children) first */
    static const char *const want[] = {"p-db-1",     "p-web-1", "p_default",
                                       "p_cache",    "p_data",  "child:1",
                                       "<none> abc", "base:1",  "dangling build cache"};
    struct stack_clear_list l = {0};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(in); i++)
        stack_clear_add(&l, in[i].kind, in[i].name, in[i].name, in[i].size)->created =
                in[i].created;
    stack_clear_sort(&l);
    assert_int_equal(l.n, ARRAY_SIZE(want));
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.items[i].name, want[i]))
            fail_msg("position %zu: got '%s', want '%s'", i, l.items[i].name, want[i]);
    assert_int_equal(stack_clear_count(&l, CLEAR_CONTAINER), 2);
    assert_int_equal(stack_clear_count(&l, CLEAR_NETWORK), 1);
    assert_int_equal(stack_clear_count(&l, CLEAR_VOLUME), 2);
    assert_int_equal(stack_clear_count(&l, CLEAR_IMAGE), 3);
    assert_int_equal(stack_clear_count(&l, CLEAR_BUILD_CACHE), 1);
    /* unknown sizes (-1) count for nothing */
    assert_int_equal(stack_clear_total(&l), 10 + 2048 + 1000 + 500);
    assert_string_equal(stack_clear_kind_name(CLEAR_VOLUME, 1), "volume");
    assert_string_equal(stack_clear_kind_name(CLEAR_VOLUME, 2), "volumes");
    assert_string_equal(stack_clear_kind_name(CLEAR_BUILD_CACHE, 2), "build cache");
    stack_clear_list_release(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_describe_counts),
            cmocka_unit_test(test_sort_count_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
