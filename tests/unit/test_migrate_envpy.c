/*
 * Unit tests for src/migrate/envpy.c: the version table env.py gives
 * context.configure(), read from Python's tokens without running env.py.
 * Every row runs; mismatches are printed with the row's name and the test
 * fails once at the end.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/testlib.h"
#include "migrate/migrate.h"
#include "util/error.h"
#include "util/banned.h"

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

#define ONLINE(args)                                                                               \
    "from alembic import context\n"                                                                \
    "\n"                                                                                           \
    "def run_migrations_online():\n"                                                               \
    "    with connectable.connect() as connection:\n"                                              \
    "        context.configure(\n"                                                                 \
    "            connection=connection, target_metadata=target_metadata,\n" args "        )\n"     \
    "        with context.begin_transaction():\n"                                                  \
    "            context.run_migrations()\n"

static void test_version_table_cases(void **state)
{
    static const struct {
        const char *what;
        const char *text;
        const char *name, *schema; /* expected; name NULL: an error */
        unsigned name_line, schema_line;
        const char *error; /* a piece of the message */
    } cases[] = {
            {"nothing given: Alembic's defaults", ONLINE(""), "alembic_version", NULL, 0, 0, NULL},
            {"both as literals, inside a def",
             ONLINE("            version_table=\"migrations\",\n"
                    "            version_table_schema='meta',\n"),
             "migrations", "meta", 7, 8, NULL},
            {"a keyword on the call's first line",
             "context.configure(version_table_schema=\"s\", url=url)\n", "alembic_version", "s", 0,
             1, NULL},
            {"adjacent literals are one string, escapes decoded",
             ONLINE("            version_table='ver' \"sions\", version_table_schema='a\\x62c',\n"),
             "versions", "abc", 7, 7, NULL},
            {"None is the default", ONLINE("            version_table_schema=None,\n"),
             "alembic_version", NULL, 0, 7, NULL},
            {"offline and online agree",
             "context.configure(url=url, version_table_schema='app')\n"
             "def online():\n"
             "    context.configure(connection=c, version_table_schema=\"app\")\n",
             "alembic_version", "app", 0, 1, NULL},
            {"comments and strings that mention them do not count",
             "# context.configure(version_table_schema='no')\n"
             "doc = \"version_table_schema='no'\"\n"
             "context.configure(url=url)\n",
             "alembic_version", NULL, 0, 0, NULL},
            {"an assignment is not a keyword argument",
             "version_table_schema = 'x'\ncontext.configure(url=url)\n", "alembic_version", NULL, 0,
             0, NULL},
            {"an attribute keyword elsewhere, e.g. dict(version_table=...)",
             "opts = dict(other=1, version_table='t')\n", "t", NULL, 1, 0, NULL},
            {"an expression cannot be read",
             ONLINE("            version_table_schema=target_metadata.schema,\n"), NULL, NULL, 0, 0,
             "env.py:7: version_table_schema= is not a string literal"},
            {"a literal that starts an expression cannot be read either",
             ONLINE("            version_table='a' + suffix,\n"), NULL, NULL, 0, 0,
             "env.py:7: version_table= is not a string literal"},
            {"an f-string cannot be read", ONLINE("            version_table=f'{x}_version',\n"),
             NULL, NULL, 0, 0, "version_table= is not a string literal"},
            {"two different values",
             "context.configure(version_table_schema='a')\n"
             "context.configure(version_table_schema='b')\n",
             NULL, NULL, 0, 0, "env.py:2: version_table_schema= differs from the one on line 1"},
            {"an empty table name", "context.configure(version_table='')\n", NULL, NULL, 0, 0,
             "env.py:1: version_table= is empty"},
            {"a tokenizer error names the line", "context.configure(version_table='x)\n", NULL,
             NULL, 0, 0, "env.py:1"},
    };
    int failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct alembic_version_table vt;
        struct ds_error err = DS_ERROR_INIT;
        int rc = alembic_env_version_table(&vt, "env.py", cases[i].text, strlen(cases[i].text),
                                           &err);

        if (!cases[i].name) {
            if (rc >= 0 || !err.msg || !strstr(err.msg, cases[i].error)) {
                printf("# %s: rc %d, error '%s', expected '%s'\n", cases[i].what, rc,
                       err.msg ? err.msg : "", cases[i].error);
                failures++;
            }
        } else if (rc < 0) {
            printf("# %s: unexpected error '%s'\n", cases[i].what, err.msg);
            failures++;
        } else if (!same(vt.name, cases[i].name) || !same(vt.schema, cases[i].schema) ||
                   vt.name_line != cases[i].name_line || vt.schema_line != cases[i].schema_line) {
            printf("# %s: got %s/%s lines %u/%u, expected %s/%s lines %u/%u\n", cases[i].what,
                   vt.name, vt.schema ? vt.schema : "(null)", vt.name_line, vt.schema_line,
                   cases[i].name, cases[i].schema ? cases[i].schema : "(null)", cases[i].name_line,
                   cases[i].schema_line);
            failures++;
        }
        if (rc == 0)
            alembic_version_table_release(&vt);
        ds_error_release(&err);
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_version_table_cases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
