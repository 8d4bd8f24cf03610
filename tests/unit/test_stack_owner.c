/*
 * Whose checkout a project's containers are: stack_foreign_container() over
 * containers with (or without) Compose's working_dir label, and the refusal
 * stack_owner_error() words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

struct owner_case {
    const char *name;
    const char *dirs[4]; /* each container's working_dir label; "" for none; NULL ends */
    const char *here;
    bool with_same_dir;
    int foreign; /* index of the container reported, -1: none */
};

/* "/a/link" is another spelling of "/a/real" */
static bool same_dir(const char *a, const char *b)
{
    return (!strcmp(a, "/a/link") && !strcmp(b, "/a/real")) ||
           (!strcmp(a, "/a/real") && !strcmp(b, "/a/link"));
}

static const struct owner_case cases[] = {
        {"no containers: nothing to say", {NULL}, "/a/real", true, -1},
        {"all made here", {"/a/real", "/a/real", NULL}, "/a/real", true, -1},
        {"one made in another clone", {"/a/real", "/b/clone", NULL}, "/a/real", true, 1},
        {"the first foreign one is named", {"/b/one", "/c/two", NULL}, "/a/real", true, 0},
        {"no label: not another checkout's", {"", "/a/real", NULL}, "/a/real", true, -1},
        {"another spelling of this directory", {"/a/link", NULL}, "/a/real", true, -1},
        {"without a way to tell spellings apart, names differ",
         {"/a/link", NULL},
         "/a/real",
         false,
         0},
        {"a trailing slash is another directory only by name",
         {"/a/real/", NULL},
         "/a/real",
         false,
         0},
};

static void test_foreign_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct owner_case *oc = &cases[i];
        struct stack_container cs[4];
        size_t n = 0;
        const struct stack_container *got;

        memset(cs, 0, sizeof(cs));
        for (; n < 4 && oc->dirs[n]; n++)
            if (*oc->dirs[n])
                kvlist_set(&cs[n].labels, LABEL_WORKING_DIR, oc->dirs[n]);
        got = stack_foreign_container(cs, n, oc->here, oc->with_same_dir ? same_dir : NULL);
        if (oc->foreign < 0 ? got != NULL : got != &cs[oc->foreign])
            fail_msg("case '%s': expected container %d, got %d", oc->name, oc->foreign,
                     got ? (int)(got - cs) : -1);
        for (size_t k = 0; k < n; k++)
            kvlist_clear(&cs[k].labels);
    }
}

static void test_owner_error(void **state)
{
    struct stack_container c;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.name = "devstack-db-1";
    c.state = "running";
    kvlist_set(&c.labels, LABEL_WORKING_DIR, "/home/a/devstack/compose");
    kvlist_set(&c.labels, LABEL_CONFIG_FILES, "/home/a/devstack/compose/docker-compose.yml");
    assert_int_equal(stack_owner_error("devstack", "/home/b/devstack/compose", &c, true, &err),
                     DS_ECONFLICT);
    assert_string_equal(err.msg,
                        "project 'devstack' belongs to another checkout: its container "
                        "devstack-db-1 (running) was made in '/home/a/devstack/compose' with "
                        "'/home/a/devstack/compose/docker-compose.yml', not in "
                        "'/home/b/devstack/compose'");
    assert_non_null(strstr(err.hint, "run devstack in '/home/a/devstack/compose'"));
    assert_non_null(strstr(err.hint, "COMPOSE_PROJECT_NAME"));
    assert_non_null(strstr(err.hint, "--take-over"));
    ds_error_release(&err);

    /* the clone that made them is gone */
    stack_owner_error("devstack", "/home/b/devstack/compose", &c, false, &err);
    assert_non_null(strstr(err.msg, "'/home/a/devstack/compose', which no longer exists"));
    ds_error_release(&err);
    kvlist_clear(&c.labels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_foreign_table),
            cmocka_unit_test(test_owner_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
