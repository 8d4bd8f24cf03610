/* Paths read lexically: normalizing, and whether one is inside another. */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/path.h"
#include "util/banned.h"

static void test_path_normalize(void **state)
{
    static const struct {
        const char *in, *want;
    } paths[] = {
            {"/", "/"},
            {"/a/b", "/a/b"},
            {"/a/b/", "/a/b"},
            {"//a///b", "/a/b"},
            {"/a/./b/.", "/a/b"},
            {"/a/b/..", "/a"},
            {"/a/b/../../..", "/"},
            {"/a/compose/..", "/a"},
            {"/a/b/../c/./d/..", "/a/c"},
            {"/..", "/"},
            {"/a/..b", "/a/..b"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        char *got = path_normalize(paths[i].in);

        if (strcmp(got, paths[i].want))
            fail_msg("'%s': '%s', want '%s'", paths[i].in, got, paths[i].want);
        free(got);
    }
}

static void test_path_within(void **state)
{
    static const struct {
        const char *path, *root;
        bool within, strictly_within;
    } paths[] = {
            {"/p", "/p", true, false},      {"/p/data", "/p", true, true},
            {"/p/data", "/p/", true, true}, {"/p2/data", "/p", false, false},
            {"/", "/p", false, false},      {"/x", "/", true, true},
            {"/", "/", true, false},        {"/home/u", "/home/u/p", false, false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        if (path_within(paths[i].path, paths[i].root, false) != paths[i].within ||
            path_within(paths[i].path, paths[i].root, true) != paths[i].strictly_within)
            fail_msg("'%s' in '%s': want %d, strictly %d", paths[i].path, paths[i].root,
                     paths[i].within, paths[i].strictly_within);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_path_normalize),
            cmocka_unit_test(test_path_within),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
