/*
 * A checkout's own project name: workspace_checkout_name() (the directory's
 * name and six hex digits of SHA-256 over the project directory's path) and
 * workspace_dotenv_set_name() (written into a .env made from an example that
 * leaves COMPOSE_PROJECT_NAME empty, never over a name the user chose).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "workspace/workspace.h"
#include "util/banned.h"

static void test_checkout_name(void **state)
{
    static const struct {
        const char *top, *dir, *want;
    } cases[] = {
            /* two clones of one repository: same directory name, different names */
            {"/home/a/devstack", "/home/a/devstack/compose", "devstack-119406"},
            {"/home/b/devstack", "/home/b/devstack/compose", "devstack-3e114e"},
            /* made a valid project name: lowercase, [a-z0-9_-] kept, no leading '-' or '_' */
            {"/srv/_My App", "/srv/My App", "myapp-4b739b"},
            /* nothing left of the directory's name */
            {"/srv/...", "/srv/My App", "stack-4b739b"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = workspace_checkout_name(cases[i].top, cases[i].dir);

        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

static void test_dotenv_set_name(void **state)
{
    static const struct {
        const char *what, *text, *want; /* want NULL: left as it is */
    } cases[] = {
            {"an empty assignment gets the name", "# the project\nCOMPOSE_PROJECT_NAME=\nA=1\n",
             "# the project\nCOMPOSE_PROJECT_NAME=n-123abc\nA=1\n"},
            {"blanks and export count as empty", "A=1\n  export COMPOSE_PROJECT_NAME =  \r\n",
             "A=1\nCOMPOSE_PROJECT_NAME=n-123abc\n"},
            {"empty quotes too", "COMPOSE_PROJECT_NAME=\"\"", "COMPOSE_PROJECT_NAME=n-123abc\n"},
            {"a name the user chose stays", "COMPOSE_PROJECT_NAME=devstack\n", NULL},
            {"a quoted one too", "COMPOSE_PROJECT_NAME='mine'\n", NULL},
            {"a chosen name later in the file wins over an empty one",
             "COMPOSE_PROJECT_NAME=\nCOMPOSE_PROJECT_NAME=mine\n", NULL},
            {"no assignment: nothing to fill", "A=1\n# COMPOSE_PROJECT_NAME=\n", NULL},
            {"another key that starts the same", "COMPOSE_PROJECT_NAMES=\n", NULL},
            {"only the first of two empty ones", "COMPOSE_PROJECT_NAME=\nCOMPOSE_PROJECT_NAME=\n",
             "COMPOSE_PROJECT_NAME=n-123abc\nCOMPOSE_PROJECT_NAME=\n"},
            {"a last line without a newline is kept", "COMPOSE_PROJECT_NAME=\nA=1",
             "COMPOSE_PROJECT_NAME=n-123abc\nA=1"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = workspace_dotenv_set_name(cases[i].text, "n-123abc");

        if (!cases[i].want ? got != NULL : !got || strcmp(got, cases[i].want))
            fail_msg("case '%s': expected\n%s\ngot\n%s", cases[i].what,
                     cases[i].want ? cases[i].want : "(left alone)", got ? got : "(left alone)");
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_checkout_name),
            cmocka_unit_test(test_dotenv_set_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
