/*
 * Unit tests for src/migrate/ini.c: alembic.ini as Alembic 1.8 reads it
 * through Python's configparser.
 *
 * Each table row is an alembic.ini text, written to a fresh directory, and
 * either what alembic_ini_load() must make of it or a piece of its error.
 * In expected values "{here}" stands for that directory and "{cwd}" for the
 * working directory. Every row runs; mismatches are printed with the row's
 * name and the test fails once at the end.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/banned.h"

/* s with "{here}" and "{cwd}" replaced; caller frees. NULL stays NULL. */
static char *expand(const char *s, const char *here, const char *cwd)
{
    struct buf b = BUF_INIT;

    if (!s)
        return NULL;
    while (*s) {
        if (!strncmp(s, "{here}", 6)) {
            buf_adds(&b, here);
            s += 6;
        } else if (!strncmp(s, "{cwd}", 5)) {
            buf_adds(&b, cwd);
            s += 5;
        } else {
            buf_addch(&b, *s++);
        }
    }
    return buf_detach(&b, NULL);
}

static char *joined(const struct strvec *sv)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < sv->n; i++)
        buf_addf(&b, "%s%s", i ? "|" : "", sv->v[i]);
    return buf_detach(&b, NULL);
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static const char generic_ini[] =
        "# A generic, single database configuration.\n"
        "\n"
        "[alembic]\n"
        "# path to migration scripts\n"
        "script_location = migrations\n"
        "\n"
        "# template used to generate migration files\n"
        "# file_template = %%(rev)s_%%(slug)s\n"
        "\n"
        "# sys.path path, will be prepended to sys.path if present.\n"
        "# defaults to the current working directory.\n"
        "prepend_sys_path = .\n"
        "\n"
        "# version location specification; This defaults\n"
        "# to migrations/versions.  When using multiple version\n"
        "# directories, initial revisions must be specified with --version-path.\n"
        "# The path separator used here should be the separator specified by "
        "\"version_path_separator\" below.\n"
        "# version_locations = %(here)s/bar:%(here)s/bat:migrations/versions\n"
        "\n"
        "version_path_separator = os  # Use os.pathsep. Default configuration used for new "
        "projects.\n"
        "\n"
        "sqlalchemy.url = driver://user:pass@localhost/dbname\n"
        "\n"
        "\n"
        "[post_write_hooks]\n"
        "\n"
        "# Logging configuration\n"
        "[loggers]\n"
        "keys = root,sqlalchemy,alembic\n"
        "\n"
        "[handlers]\n"
        "keys = console\n"
        "\n"
        "[logger_root]\n"
        "level = WARN\n"
        "handlers = console\n"
        "qualname =\n";

static void test_ini_cases(void **state)
{
    static const struct {
        const char *what;
        const char *ini;
        const char *section;           /* NULL: [alembic] */
        const char *script_location;   /* NULL: an error is expected */
        const char *version_locations; /* joined with "|" */
        bool recursive;
        const char *url;
        unsigned script_location_line, url_line;
        const char *error; /* a piece of the message */
        int code;
    } cases[] = {
            {"the generic template (alembic init)", generic_ini, NULL, "{cwd}/migrations",
             "{cwd}/migrations/versions", false, "driver://user:pass@localhost/dbname", 5, 22},
            {"%(here)s is the file's directory",
             "[alembic]\nscript_location = %(here)s/migrations\n", NULL, "{here}/migrations",
             "{here}/migrations/versions", false, NULL, 2, 0},
            {"%% is a percent sign; %(name)s from the section",
             "[alembic]\nscript_location = %(here)s/m\npw = p%%40ss\n"
             "sqlalchemy.url = mysql://root:%(pw)s@db/app?x=100%%\n",
             NULL, "{here}/m", "{here}/m/versions", false, "mysql://root:p%40ss@db/app?x=100%", 2,
             4},
            {"[DEFAULT] supplies options, referenced with any case",
             "[DEFAULT]\nBase = /srv/app\n\n[alembic]\nscript_location = %(BASE)s/db\n"
             "sqlalchemy.url = %(base)s\n",
             NULL, "/srv/app/db", "/srv/app/db/versions", false, "/srv/app", 5, 6},
            {"script_location itself from [DEFAULT]",
             "[DEFAULT]\nscript_location = /abs/mig\n[alembic]\n", NULL, "/abs/mig",
             "/abs/mig/versions", false, NULL, 2, 0},
            {"the section overrides [DEFAULT]",
             "[DEFAULT]\nv = default\n[alembic]\nv = section\nscript_location = /x/%(v)s\n", NULL,
             "/x/section", "/x/section/versions", false, NULL, 5, 0},
            {"[DEFAULT] may override here",
             "[DEFAULT]\nhere = /elsewhere\n[alembic]\nscript_location = %(here)s/m\n", NULL,
             "/elsewhere/m", "/elsewhere/m/versions", false, NULL, 4, 0},
            {"a value interpolated through others",
             "[alembic]\na = %(b)s/a\nb = %(c)s/b\nc = /c\nscript_location = %(a)s\n", NULL,
             "/c/b/a", "/c/b/a/versions", false, NULL, 5, 0},
            {"keys are case-insensitive, ':' is a delimiter",
             "[alembic]\nSCRIPT_LOCATION: /m\nSQLAlchemy.URL  :  sqlite:///x.db  \n", NULL, "/m",
             "/m/versions", false, "sqlite:///x.db", 2, 3},
            {"the first delimiter splits",
             "[alembic]\nscript_location = /m\nsqlalchemy.url = a=b:c\n", NULL, "/m", "/m/versions",
             false, "a=b:c", 2, 3},
            {"indented lines continue a value; empty lines inside it stay",
             "[alembic]\nscript_location = /m\nsqlalchemy.url = first\n  second\n\n\tthird\n\n\n"
             "other = x\n",
             NULL, "/m", "/m/versions", false, "first\nsecond\n\nthird", 2, 3},
            {"comment lines inside a value are dropped",
             "[alembic]\nscript_location = /m\nsqlalchemy.url = a\n  # not this\n  ; nor this\n"
             "  b\n",
             NULL, "/m", "/m/versions", false, "a\nb", 2, 3},
            {"an indented option line continues the one before",
             "[alembic]\nscript_location = /m\n  sqlalchemy.url = x\n", NULL,
             "/m\nsqlalchemy.url = x", "/m\nsqlalchemy.url = x/versions", false, NULL, 2, 0},
            {"inline comments are part of the value",
             "[alembic]\nscript_location = /m  # the scripts\nsqlalchemy.url = a ; b\n", NULL,
             "/m  # the scripts", "/m  # the scripts/versions", false, "a ; b", 2, 3},
            {"full-line comments, indented too",
             "; a comment\n# another\n[alembic]\n   # indented\nscript_location = /m\n", NULL, "/m",
             "/m/versions", false, NULL, 5, 0},
            {"an empty url is no url", "[alembic]\nscript_location = /m\nsqlalchemy.url =\n", NULL,
             "/m", "/m/versions", false, NULL, 2, 3},
            {"a url that interpolates to nothing",
             "[alembic]\nscript_location = /m\ne =\nsqlalchemy.url = %(e)s\n", NULL, "/m",
             "/m/versions", false, NULL, 2, 4},
            {"a header ends at the last ']'",
             "[alembic] ]\nscript_location = /m\n[alembic]x]\nscript_location = /n\n", "alembic] ",
             "/m", "/m/versions", false, NULL, 2, 0},
            {"another section, as -n",
             "[alembic]\nscript_location = /a\n[second]\nscript_location = /b\n", "second", "/b",
             "/b/versions", false, NULL, 4, 0},
            {"CRLF line ends", "[alembic]\r\nscript_location = /m\r\nsqlalchemy.url = u\r\n", NULL,
             "/m", "/m/versions", false, "u", 2, 3},

            /* paths */
            {"a relative script_location is taken from the working directory",
             "[alembic]\nscript_location = db/../migrations/./x/\n", NULL, "{cwd}/migrations/x",
             "{cwd}/migrations/x/versions", false, NULL, 2, 0},
            {"paths are normalized", "[alembic]\nscript_location = %(here)s/x/../y/.//z/\n", NULL,
             "{here}/y/z", "{here}/y/z/versions", false, NULL, 2, 0},
            {"'..' stops at the root", "[alembic]\nscript_location = /../../m\n", NULL, "/m",
             "/m/versions", false, NULL, 2, 0},
            {"two leading slashes stay, three do not",
             "[alembic]\nscript_location = ///m\nversion_locations = //v\n", NULL, "/m", "//v",
             false, NULL, 2, 0},

            /* version_locations */
            {"unset separator: split on spaces and commas",
             "[alembic]\nscript_location = /m\nversion_locations = /a, /b  /c,/d\n", NULL, "/m",
             "/a|/b|/c|/d", false, NULL, 2, 0},
            {"unset separator: empty pieces are the working directory",
             "[alembic]\nscript_location = /m\nversion_locations = /a , /b\n", NULL, "/m",
             "/a|{cwd}|/b", false, NULL, 2, 0},
            {"relative version locations, from the working directory",
             "[alembic]\nscript_location = /m\nversion_locations = v1 %(here)s/v2\n", NULL, "/m",
             "{cwd}/v1|{here}/v2", false, NULL, 2, 0},
            {"separator os is ':'",
             "[alembic]\nscript_location = /m\nversion_locations = /a:/b::/c d\n"
             "version_path_separator = os\n",
             NULL, "/m", "/a|/b|/c d", false, NULL, 2, 0},
            {"separator ':'",
             "[alembic]\nscript_location = /m\nversion_locations = /a:/b\n"
             "version_path_separator = :\n",
             NULL, "/m", "/a|/b", false, NULL, 2, 0},
            {"separator ';'",
             "[alembic]\nscript_location = /m\nversion_locations = /a;/b c;\n"
             "version_path_separator = ;\n",
             NULL, "/m", "/a|/b c", false, NULL, 2, 0},
            {"separator space",
             "[alembic]\nscript_location = /m\nversion_locations = /a  /b,/c\n"
             "version_path_separator = space\n",
             NULL, "/m", "/a|/b,/c", false, NULL, 2, 0},
            {"separator newline (Alembic 1.10)",
             "[alembic]\nscript_location = /m\nversion_locations =\n    /a\n    /b c\n"
             "version_path_separator = newline\n",
             NULL, "/m", "/a|/b c", false, NULL, 2, 0},
            {"empty version_locations: the default",
             "[alembic]\nscript_location = /m\nversion_locations =\n", NULL, "/m", "/m/versions",
             false, NULL, 2, 0},
            {"only separators: the default",
             "[alembic]\nscript_location = /m\nversion_locations = ::\n"
             "version_path_separator = :\n",
             NULL, "/m", "/m/versions", false, NULL, 2, 0},
            {"recursive_version_locations = true",
             "[alembic]\nscript_location = /m\nrecursive_version_locations = true\n", NULL, "/m",
             "/m/versions", true, NULL, 2, 0},
            {"recursive_version_locations is exactly 'true'",
             "[alembic]\nscript_location = /m\nrecursive_version_locations = True\n", NULL, "/m",
             "/m/versions", false, NULL, 2, 0},
            {"a bad '%' in an option nobody reads is no error",
             "[alembic]\nscript_location = /m\nfile_template = 100%\n", NULL, "/m", "/m/versions",
             false, NULL, 2, 0},

            /* errors */
            {"no [alembic] section", "[other]\nscript_location = /m\n", NULL, NULL, NULL, false,
             NULL, 0, 0, "alembic.ini: no section '[alembic]'", DS_EINVAL},
            {"[DEFAULT] is not a section to read", "[DEFAULT]\nscript_location = /m\n", "DEFAULT",
             NULL, NULL, false, NULL, 0, 0, "no section '[DEFAULT]'", DS_EINVAL},
            {"an empty file", "", NULL, NULL, NULL, false, NULL, 0, 0, "no section '[alembic]'",
             DS_EINVAL},
            {"no script_location", "# x\n[alembic]\nsqlalchemy.url = u\n", NULL, NULL, NULL, false,
             NULL, 0, 0, "alembic.ini:2: no 'script_location' in section '[alembic]'", DS_EINVAL},
            {"an empty script_location", "[alembic]\nscript_location =\n", NULL, NULL, NULL, false,
             NULL, 0, 0, "alembic.ini:2: 'script_location' is empty", DS_EINVAL},
            {"a package resource", "[alembic]\nscript_location = myapp:migrations\n", NULL, NULL,
             NULL, false, NULL, 0, 0,
             "alembic.ini:2: 'script_location' names a package resource ('myapp:migrations')",
             DS_EUNSUPPORTED},
            {"a package resource among the version locations",
             "[alembic]\nscript_location = /m\nversion_locations = /a pkg:versions\n", NULL, NULL,
             NULL, false, NULL, 0, 0,
             "alembic.ini:3: 'version_locations' names a package resource ('pkg:versions')",
             DS_EUNSUPPORTED},
            {"a bad separator",
             "[alembic]\nscript_location = /m\nversion_locations = /a\n"
             "version_path_separator = comma\n",
             NULL, NULL, NULL, false, NULL, 0, 0,
             "alembic.ini:4: 'comma' is not a valid value for 'version_path_separator'", DS_EINVAL},
            {"a line before any section", "script_location = /m\n[alembic]\n", NULL, NULL, NULL,
             false, NULL, 0, 0, "alembic.ini:1: no section header before this line", DS_EINVAL},
            {"a line without a delimiter", "[alembic]\nscript_location = /m\njust words\n", NULL,
             NULL, NULL, false, NULL, 0, 0,
             "alembic.ini:3: cannot parse 'just words': expected 'key = value'", DS_EINVAL},
            {"an option without a name", "[alembic]\n= value\n", NULL, NULL, NULL, false, NULL, 0,
             0, "alembic.ini:2: an option without a name", DS_EINVAL},
            {"a duplicate option", "[alembic]\nscript_location = /a\nScript_Location = /b\n", NULL,
             NULL, NULL, false, NULL, 0, 0,
             "alembic.ini:3: option 'script_location' in section 'alembic' already exists",
             DS_EINVAL},
            {"a duplicate section", "[alembic]\nscript_location = /a\n[x]\n[alembic]\n", NULL, NULL,
             NULL, false, NULL, 0, 0, "alembic.ini:4: section 'alembic' already exists", DS_EINVAL},
            {"a duplicate option across two [DEFAULT]s", "[DEFAULT]\na = 1\n[DEFAULT]\na = 2\n",
             NULL, NULL, NULL, false, NULL, 0, 0,
             "alembic.ini:4: option 'a' in section 'DEFAULT' already exists", DS_EINVAL},
            {"an unknown reference", "[alembic]\nscript_location = %(nope)s/m\n", NULL, NULL, NULL,
             false, NULL, 0, 0,
             "alembic.ini:2: the value of 'script_location' refers to '%(nope)s', which is not set "
             "in '[alembic]' or '[DEFAULT]'",
             DS_EINVAL},
            {"a lone '%'", "[alembic]\nscript_location = /m\nsqlalchemy.url = 100%\n", NULL, NULL,
             NULL, false, NULL, 0, 0,
             "alembic.ini:3: bad '%' in the value of 'sqlalchemy.url': '%' must be followed by '%' "
             "or '(', found '%'",
             DS_EINVAL},
            {"a reference that is not %(name)s", "[alembic]\nscript_location = %(here)d\n", NULL,
             NULL, NULL, false, NULL, 0, 0,
             "alembic.ini:2: bad reference in the value of 'script_location': '%(here)d'",
             DS_EINVAL},
            {"a reference to itself",
             "[alembic]\nscript_location = /m\na = %(b)s\nb = %(a)s\nsqlalchemy.url = %(a)s\n",
             NULL, NULL, NULL, false, NULL, 0, 0,
             "alembic.ini:5: the value of 'sqlalchemy.url' is nested too deeply", DS_EINVAL},
            {"the error of an option from [DEFAULT] names its line",
             "[DEFAULT]\nscript_location = %(x)s\n[alembic]\n", NULL, NULL, NULL, false, NULL, 0, 0,
             "alembic.ini:2: the value of 'script_location' refers to '%(x)s'", DS_EINVAL},
    };
    char *dir = test_mkdtemp();
    char *cwd = getcwd(NULL, 0);
    struct buf path = BUF_INIT;
    int failures = 0;

    (void)state;
    assert_non_null(cwd);
    buf_addf(&path, "%s/alembic.ini", dir);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct alembic_ini ini;
        struct ds_error err = DS_ERROR_INIT;
        char *want_loc = expand(cases[i].script_location, dir, cwd);
        char *want_vl = expand(cases[i].version_locations, dir, cwd);
        char *got_vl = NULL;
        int rc;

        test_write_file(dir, "alembic.ini", cases[i].ini);
        rc = alembic_ini_load(&ini, path.buf, cases[i].section, &err);
        if (cases[i].error) {
            if (rc != cases[i].code || !err.msg || !strstr(err.msg, cases[i].error)) {
                printf("# %s: got %d '%s', want %d '...%s...'\n", cases[i].what, rc,
                       err.msg ? err.msg : "(none)", cases[i].code, cases[i].error);
                failures++;
            } else if (strncmp(err.msg, path.buf, path.len) &&
                       strncmp(cases[i].error, "alembic.ini", 11) == 0) {
                printf("# %s: '%s' does not name the file\n", cases[i].what, err.msg);
                failures++;
            }
            if (rc == 0)
                alembic_ini_release(&ini);
        } else if (rc != 0) {
            printf("# %s: %s\n", cases[i].what, err.msg);
            failures++;
        } else {
            got_vl = joined(&ini.version_locations);
            if (strcmp(ini.path, path.buf) || strcmp(ini.here, dir) ||
                strcmp(ini.script_location, want_loc) || strcmp(got_vl, want_vl) ||
                ini.recursive_version_locations != cases[i].recursive ||
                !same(ini.url, cases[i].url) ||
                ini.script_location_line != cases[i].script_location_line ||
                ini.url_line != cases[i].url_line) {
                printf("# %s: got here '%s' script_location '%s' (line %u) version_locations "
                       "'%s' recursive %d url '%s' (line %u)\n",
                       cases[i].what, ini.here, ini.script_location, ini.script_location_line,
                       got_vl, ini.recursive_version_locations, ini.url ? ini.url : "(null)",
                       ini.url_line);
                printf("#   want script_location '%s' (line %u) version_locations '%s' "
                       "recursive %d url '%s' (line %u)\n",
                       want_loc, cases[i].script_location_line, want_vl, cases[i].recursive,
                       cases[i].url ? cases[i].url : "(null)", cases[i].url_line);
                failures++;
            }
            alembic_ini_release(&ini);
        }
        ds_error_release(&err);
        free(want_loc);
        free(want_vl);
        free(got_vl);
    }
    test_rmtree(dir);
    free(dir);
    free(cwd);
    buf_release(&path);
    if (failures)
        fail_msg("%d of %zu cases failed", failures, ARRAY_SIZE(cases));
}

/* A relative path to the file: `here` is still absolute. */
static void test_ini_relative_path(void **state)
{
    char *dir = test_mkdtemp();
    char *cwd = getcwd(NULL, 0);
    struct alembic_ini ini;
    struct ds_error err = DS_ERROR_INIT;
    struct buf want = BUF_INIT;

    (void)state;
    test_write_file(dir, "proj/alembic.ini", "[alembic]\nscript_location = %(here)s/mig\n");
    assert_int_equal(chdir(dir), 0);

    assert_int_equal(alembic_ini_load(&ini, "proj/alembic.ini", NULL, &err), 0);
    assert_string_equal(ini.path, "proj/alembic.ini");
    buf_addf(&want, "%s/proj", dir);
    assert_string_equal(ini.here, want.buf);
    buf_addf(&want, "/mig");
    assert_string_equal(ini.script_location, want.buf);
    alembic_ini_release(&ini);

    assert_int_equal(chdir("proj"), 0);
    assert_int_equal(alembic_ini_load(&ini, "alembic.ini", NULL, &err), 0);
    assert_string_equal(ini.script_location, want.buf);
    alembic_ini_release(&ini);
    assert_int_equal(alembic_ini_load(&ini, "../proj/./alembic.ini", NULL, &err), 0);
    assert_string_equal(ini.script_location, want.buf);
    alembic_ini_release(&ini);

    assert_int_equal(chdir(cwd), 0);
    test_rmtree(dir);
    free(dir);
    free(cwd);
    buf_release(&want);
}

static void test_ini_unreadable(void **state)
{
    char *dir = test_mkdtemp();
    struct alembic_ini ini;
    struct ds_error err = DS_ERROR_INIT;
    struct buf path = BUF_INIT, msg = BUF_INIT;

    (void)state;
    buf_addf(&path, "%s/missing.ini", dir);
    assert_int_equal(alembic_ini_load(&ini, path.buf, NULL, &err), DS_ENOTFOUND);
    buf_addf(&msg, "cannot read '%s': No such file or directory", path.buf);
    assert_string_equal(err.msg, msg.buf);
    ds_error_release(&err);
    /* released on failure: releasing again is harmless */
    alembic_ini_release(&ini);

    assert_true(alembic_ini_load(&ini, dir, NULL, &err) < 0);
    assert_non_null(strstr(err.msg, "cannot read '"));
    ds_error_release(&err);

    test_rmtree(dir);
    free(dir);
    buf_release(&path);
    buf_release(&msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ini_cases),
            cmocka_unit_test(test_ini_relative_path),
            cmocka_unit_test(test_ini_unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
