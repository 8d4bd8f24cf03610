/*
 * Unit tests for src/compose/dotenv.c: .env files.
 *
 * Each table row gives a .env text and either the pairs it must produce, in
 * order, as "K1=v1|K2=v2", or a piece of the error message. Every row runs;
 * mismatches are printed with the row's name and the test fails once at the end.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "compose/dotenv.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/kvlist.h"
#include "util/banned.h"

/* The fake process environment. */
static const char *const fake_env[][2] = {
        {"PENV", "from-env"}, {"SHARED", "env-wins"}, {"EMPTYENV", ""},
        {"FROM_ENV", "yes"},  {"USER", "alice"},
};

static const char *fake_lookup(const char *name, void *ud)
{
    (void)ud;
    for (size_t i = 0; i < ARRAY_SIZE(fake_env); i++)
        if (!strcmp(fake_env[i][0], name))
            return fake_env[i][1];
    return NULL;
}

/* s with control bytes escaped, for failure messages; caller frees. */
static char *shown(const char *s)
{
    struct buf b = BUF_INIT;

    if (!s)
        return xstrdup("(null)");
    for (; *s; s++) {
        if (*s == '\n')
            buf_adds(&b, "\\n");
        else if (*s == '\r')
            buf_adds(&b, "\\r");
        else if (*s == '\t')
            buf_adds(&b, "\\t");
        else if ((unsigned char)*s < 0x20)
            buf_addf(&b, "\\x%02x", (unsigned char)*s);
        else
            buf_addch(&b, *s);
    }
    return buf_detach(&b, NULL);
}

/* The pairs as "K1=v1|K2=v2"; caller frees. */
static char *render(const struct kvlist *l)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < l->n; i++)
        buf_addf(&b, "%s%s=%s", i ? "|" : "", l->items[i].key,
                 l->items[i].value ? l->items[i].value : "(null)");
    return buf_detach(&b, NULL);
}

/* Print a mismatch and return false unless `got` holds exactly the pairs of `want`. */
static bool pairs_equal(const struct kvlist *got, const char *want, const char *row)
{
    char *have = render(got);
    bool same = !strcmp(have, want);

    if (!same) {
        char *h = shown(have), *w = shown(want);

        print_error("%s: pairs '%s', expected '%s'\n", row, h, w);
        free(h);
        free(w);
    }
    free(have);
    return same;
}

#define BOM "\xef\xbb\xbf"

struct dotenv_case {
    const char *name;
    const char *text;
    const char *pairs; /* "K=v|K2=v2", or NULL when an error is expected */
    const char *error; /* a piece of the message, when pairs is NULL */
};

static const struct dotenv_case cases[] = {
        /* layout, comments, export, separators */
        {"empty text", "", "", NULL},
        {"one pair", "A=1", "A=1", NULL},
        {"two lines", "A=1\nB=2\n", "A=1|B=2", NULL},
        {"blank lines", "\n\n  \n\t\nA=1\n\n", "A=1", NULL},
        {"full-line comments", "# c\nA=1\n  # indented\n#B=2\n", "A=1", NULL},
        {"export", "export A=1", "A=1", NULL},
        {"export with tab and indent", "export\tA=1\n  export B=2", "A=1|B=2", NULL},
        {"export is only a prefix with a blank", "exportA=1\nexport_B=2\nexport=3",
         "exportA=1|export_B=2|export=3", NULL},
        {"yaml-style colon", "A: 1\nB:2\nC: x=y", "A=1|B=2|C=x=y", NULL},
        {"colon in value", "A=1:B\nURL=http://h:80/", "A=1:B|URL=http://h:80/", NULL},
        {"equals in value", "A==b=", "A==b=", NULL},
        {"blanks around key and =", "  A  =  spaced value  \n\tB\t=\t2", "A=spaced value|B=2",
         NULL},
        {"key characters", "K.with-dots_and[0]=v\n1A=x", "K.with-dots_and[0]=v|1A=x", NULL},
        /* unquoted values and inline comments */
        {"inline comment", "A=bar # comment", "A=bar", NULL},
        {"inline comment without text", "A=bar #", "A=bar", NULL},
        {"# without blank is data", "A=a#b\nB=123#x y", "A=a#b|B=123#x y", NULL},
        {"value starting with #", "A=#b", "A=#b", NULL},
        {"comment right after =", "A= # only a comment", "A=", NULL},
        {"comment after a tab", "A=x\t# c", "A=x", NULL},
        {"unquoted keeps backslashes", "A=some\\tvalue", "A=some\\tvalue", NULL},
        {"unquoted keeps quotes inside", "A=x \"y\" 'z'", "A=x \"y\" 'z'", NULL},
        /* empty values */
        {"empty unquoted", "A=\nB=", "A=|B=", NULL},
        {"empty double-quoted", "A=\"\"", "A=", NULL},
        {"empty single-quoted", "A=''", "A=", NULL},
        /* quoting */
        {"double-quoted with # and comment", "A=\"bar#baz\" # comment", "A=bar#baz", NULL},
        {"single-quoted then # without blank", "A='bar#baz'#c", "A=bar#baz", NULL},
        {"blanks after closing quote", "A=\"a b\"   \nB='c'\t", "A=a b|B=c", NULL},
        {"blanks inside quotes kept", "A=\" padded \"", "A= padded ", NULL},
        {"quotes of the other kind", "A=\"it's\"\nB='say \"hi\"'", "A=it's|B=say \"hi\"", NULL},
        {"single quotes are literal", "A='$PENV ${PENV} \\n \\t'", "A=$PENV ${PENV} \\n \\t", NULL},
        {"escaped single quote", "A='Let\\'s go!'", "A=Let's go!", NULL},
        {"backslashes in single quotes", "A='a\\\\b'", "A=a\\\\b", NULL},
        /* escapes in double quotes */
        {"escaped double quote", "A=\"escaped\\\"quote\"\nB=\"\\\"q\\\"\"",
         "A=escaped\"quote|B=\"q\"", NULL},
        {"common escapes", "A=\"t\\tn\\nb\\\\d\\$PENV\"", "A=t\tn\nb\\d$PENV", NULL},
        {"all single-letter escapes", "A=\"\\a\\b\\f\\r\\v\"", "A=\a\b\f\r\v", NULL},
        {"octal escapes", "A=\"\\0101\\0123x\\00121\"", "A=ASx\n1", NULL},
        {"unknown escapes keep the backslash", "A=\"\\012\\0999\\x07\\u12e4\\q\\ \\c\"",
         "A=\\012\\0999\\x07\\u12e4\\q\\ \\c", NULL},
        {"trailing escaped backslash", "A=\"c:\\\\dir\\\\\"", "A=c:\\dir\\", NULL},
        /* multi-line values */
        {"multi-line double-quoted", "A=\"line1\nline2\"\nB=2", "A=line1\nline2|B=2", NULL},
        {"multi-line single-quoted", "A='line1\n  line2\n'", "A=line1\n  line2\n", NULL},
        {"# inside a multi-line value", "A=\"x\n# not a comment\n\"", "A=x\n# not a comment\n",
         NULL},
        {"multi-line then comment", "A=\"1\n2\"  # c\nB=3", "A=1\n2|B=3", NULL},
        /* interpolation */
        {"process environment", "A=$PENV\nB=\"${PENV}!\"", "A=from-env|B=from-env!", NULL},
        {"later key sees earlier key", "A=1\nB=${A}2\nC=\"$A-$B\"", "A=1|B=12|C=1-12", NULL},
        {"process env beats earlier key", "SHARED=file\nB=$SHARED", "SHARED=file|B=env-wins", NULL},
        {"a key does not see a later key", "B=${LATER:-none}\nLATER=x", "B=none|LATER=x", NULL},
        {"self reference", "A=a\nA=${A}b", "A=ab", NULL},
        {"unset becomes empty", "A=x${NOPE}y", "A=xy", NULL},
        {"empty env value and :-", "A=${EMPTYENV:-d}\nB=${EMPTYENV-d}", "A=d|B=", NULL},
        {"alternative value", "A=${PENV:+set}${NOPE:+x}", "A=set", NULL},
        {"$$ in unquoted", "A=$${PENV}", "A=${PENV}", NULL},
        {"\\$ in double quotes", "A=\"\\${PENV} $$\"", "A=${PENV} $", NULL},
        {"single quotes not interpolated", "A='${PENV}'", "A=${PENV}", NULL},
        /* duplicates */
        {"duplicate keeps first position", "A=1\nB=2\nA=3", "A=3|B=2", NULL},
        {"duplicate then reference", "A=1\nA=2\nB=$A", "A=2|B=2", NULL},
        /* a key alone */
        {"key alone from environment", "PENV\nA=1", "PENV=from-env|A=1", NULL},
        {"key alone not in environment", "NOT_IN_ENV\nA=1", "A=1", NULL},
        {"exported key alone", "export PENV  ", "PENV=from-env", NULL},
        {"key alone at end with CRLF", "A=1\r\nPENV\r\n", "A=1|PENV=from-env", NULL},
        /* line endings and BOM */
        {"CRLF", "A=1\r\nB=\"two\"\r\n# c\r\nC=3 # x\r\nD='4'\r\n", "A=1|B=two|C=3|D=4", NULL},
        {"CR kept inside quotes", "A=\"x\r\ny\"", "A=x\r\ny", NULL},
        {"BOM", BOM "A=1", "A=1", NULL},
        {"BOM only at the start", "A=" BOM, "A=" BOM, NULL},
        /* errors, with the line where the statement starts */
        {"unterminated double quote", "A=1\nB=\"unterminated\nC=3\n", NULL,
         ".env:2: unterminated double-quoted value"},
        {"unterminated single quote", "A=1\n\n# c\nB='oops", NULL,
         ".env:4: unterminated single-quoted value"},
        {"escaped closing quote", "A=\"value\\\"", NULL,
         ".env:1: unterminated double-quoted value"},
        {"escaped closing single quote", "A='value\\'", NULL,
         ".env:1: unterminated single-quoted value"},
        {"unterminated after CRLF and BOM", BOM "A=1\r\n\r\nB=\"x\r\n", NULL,
         ".env:3: unterminated double-quoted value"},
        {"space in key", "A=1\nFOO BAR=2", NULL,
         ".env:2: variable name 'FOO BAR' contains a space"},
        {"bad character in key", "lol$wut", NULL,
         ".env:1: unexpected character '$' in variable name 'lol$wut'"},
        {"quoted key", "\"A\"=1", NULL,
         ".env:1: unexpected character '\"' in variable name '\"A\"'"},
        {"non-ASCII key", "A=1\n\xc3\xa9=1", NULL,
         ".env:2: unexpected character '\\xc3' in variable name '\\xc3\\xa9'"},
        {"missing key", "A=1\n=value", NULL, ".env:2: missing variable name before '='"},
        {"export alone", "export ", NULL, ".env:1: missing variable name after 'export'"},
        {"text after closing double quote", "A=\"x\" y", NULL,
         ".env:1: unexpected 'y' after the closing quote"},
        {"text after closing single quote", "A='x'y=2\n", NULL,
         ".env:1: unexpected 'y=2' after the closing quote"},
        {"text after a multi-line value", "A=1\nB=\"multi\nline\" trailing\nC=3", NULL,
         ".env:3: unexpected 'trailing' after the closing quote"},
        {"invalid interpolation", "A=${", NULL, ".env:1: invalid interpolation format: \"${\""},
        {"required variable", "A=1\nB=${NOPE:?need it}", NULL,
         ".env:2: required variable NOPE is missing a value: need it"},
        {"required variable in quotes", "\n\nB=\"x\n${NOPE?}\"", NULL,
         ".env:3: required variable NOPE is missing a value"},
        {"comment cut before interpolation", "A=${NOPE:-x #y}", NULL,
         ".env:1: invalid interpolation format: \"${NOPE:-x\""},
        {"octal NUL", "A=\"\\0000\"", NULL, ".env:1: escape '\\0000' would put a NUL byte"},
};

static void test_dotenv_table(void **state)
{
    int failures = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct dotenv_case *c = &cases[i];
        struct kvlist out = KVLIST_INIT;
        struct ds_error err = DS_ERROR_INIT;
        int rc = dotenv_parse(&out, c->text, strlen(c->text), ".env", fake_lookup, NULL, &err);

        if (c->pairs) {
            if (rc != 0) {
                print_error("%s: rc %d (%s)\n", c->name, rc, err.msg);
                failures++;
            } else if (!pairs_equal(&out, c->pairs, c->name)) {
                failures++;
            }
        } else if (rc != DS_EINVAL) {
            char *got = render(&out);

            print_error("%s: rc %d, expected DS_EINVAL; pairs '%s'\n", c->name, rc, got);
            free(got);
            failures++;
        } else if (!err.msg || !strstr(err.msg, c->error)) {
            print_error("%s: error '%s' lacks '%s'\n", c->name, err.msg, c->error);
            failures++;
        } else if (out.n) {
            print_error("%s: %zu pairs added despite the error\n", c->name, out.n);
            failures++;
        }
        kvlist_clear(&out);
        ds_error_release(&err);
    }
    if (failures)
        fail_msg("%d of %zu rows failed", failures, ARRAY_SIZE(cases));
}

static void test_dotenv_out_is_merged_not_consulted(void **state)
{
    struct kvlist out = KVLIST_INIT;
    struct ds_error err = DS_ERROR_INIT;
    const char *text = "B=2\nA=${KEEP:-unseen}";

    (void)state;
    kvlist_set(&out, "KEEP", "old");
    kvlist_set(&out, "B", "old");
    assert_int_equal(dotenv_parse(&out, text, strlen(text), ".env", NULL, NULL, &err), 0);
    assert_true(pairs_equal(&out, "KEEP=old|B=2|A=unseen", "merge"));

    /* on error, out is left as it was */
    text = "C=3\nD=\"open";
    assert_int_equal(dotenv_parse(&out, text, strlen(text), "x.env", NULL, NULL, &err), DS_EINVAL);
    assert_string_equal(err.msg, "x.env:2: unterminated double-quoted value");
    assert_true(pairs_equal(&out, "KEEP=old|B=2|A=unseen", "after error"));
    ds_error_release(&err);
    kvlist_clear(&out);
}

static void test_dotenv_explicit_length(void **state)
{
    struct kvlist out = KVLIST_INIT;
    struct ds_error err = DS_ERROR_INIT;
    static const char text[] = "A=1\nB=2\0C=3";

    (void)state;
    /* only len bytes are read */
    assert_int_equal(dotenv_parse(&out, text, 3, NULL, NULL, NULL, &err), 0);
    assert_true(pairs_equal(&out, "A=1", "prefix"));
    kvlist_clear(&out);
    /* a NUL byte is an error, with its line */
    assert_int_equal(dotenv_parse(&out, text, sizeof(text) - 1, NULL, NULL, NULL, &err), DS_EINVAL);
    assert_string_equal(err.msg, ".env:2: unexpected NUL byte");
    assert_int_equal(out.n, 0);
    ds_error_release(&err);
    assert_int_equal(dotenv_parse(&out, NULL, 0, NULL, NULL, NULL, &err), 0);
    assert_int_equal(out.n, 0);
}

static void test_dotenv_load_fixtures(void **state)
{
    static const struct {
        const char *file, *pairs;
    } fixtures[] = {
            {"sample.env", "COMPOSE_PROJECT_NAME=demo|DB_HOST=db|DB_PORT=3306|"
                           "DB_URL=mysql://db:3306/app?x=1#frag|"
                           "GREETING=hello $USER # not a comment|"
                           "CERT=-----BEGIN-----\nline\ttwo\n-----END-----|FROM_ENV=yes|EMPTY=|"
                           "PRICE=$5"},
            {"crlf.env", "A=1|B=two|C=3"},
            {"bom.env", "BOM=yes"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
        struct kvlist out = KVLIST_INIT;
        struct ds_error err = DS_ERROR_INIT;
        struct buf path = BUF_INIT;

        buf_addf(&path, "%s/fixtures/dotenv/%s", test_dir(), fixtures[i].file);
        if (dotenv_load(&out, path.buf, fake_lookup, NULL, &err) < 0)
            fail_msg("%s: %s", path.buf, err.msg);
        if (!pairs_equal(&out, fixtures[i].pairs, fixtures[i].file))
            fail_msg("%s: unexpected pairs", path.buf);
        kvlist_clear(&out);
        buf_release(&path);
    }
}

static void test_dotenv_load_files(void **state)
{
    char *dir = test_mkdtemp();
    struct buf path = BUF_INIT, msg = BUF_INIT;
    struct kvlist out = KVLIST_INIT;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    /* a temporary file; errors name its path */
    test_write_file(dir, "app.env", "A=1\nB=\"two\nlines\"\nC='x\n");
    buf_addf(&path, "%s/app.env", dir);
    assert_int_equal(dotenv_load(&out, path.buf, NULL, NULL, &err), DS_EINVAL);
    buf_addf(&msg, "%s:4: unterminated single-quoted value", path.buf);
    assert_string_equal(err.msg, msg.buf);
    ds_error_release(&err);
    test_write_file(dir, "app.env", "A=1\nB=\"two\nlines\"\nC='x'\n");
    assert_int_equal(dotenv_load(&out, path.buf, NULL, NULL, &err), 0);
    assert_true(pairs_equal(&out, "A=1|B=two\nlines|C=x", "temp file"));
    kvlist_clear(&out);

    /* a missing file */
    buf_reset(&path);
    buf_reset(&msg);
    buf_addf(&path, "%s/missing.env", dir);
    assert_int_equal(dotenv_load(&out, path.buf, NULL, NULL, &err), DS_ENOTFOUND);
    buf_addf(&msg, "cannot read '%s': No such file or directory", path.buf);
    assert_string_equal(err.msg, msg.buf);
    assert_int_equal(out.n, 0);
    ds_error_release(&err);

    /* a directory */
    assert_true(dotenv_load(&out, dir, NULL, NULL, &err) < 0);
    assert_non_null(strstr(err.msg, "cannot read '"));
    ds_error_release(&err);

    /* over the 16 MiB cap */
    {
        struct buf big = BUF_INIT;

        buf_grow(&big, (16u << 20) + 16);
        while (big.len <= (16u << 20))
            buf_adds(&big, "# padding line\n");
        test_write_file(dir, "big.env", big.buf);
        buf_release(&big);
    }
    buf_reset(&path);
    buf_addf(&path, "%s/big.env", dir);
    assert_int_equal(dotenv_load(&out, path.buf, NULL, NULL, &err), DS_EINVAL);
    assert_non_null(strstr(err.msg, "larger than 16 MiB"));
    ds_error_release(&err);

    buf_release(&path);
    buf_release(&msg);
    test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dotenv_table),
            cmocka_unit_test(test_dotenv_out_is_merged_not_consulted),
            cmocka_unit_test(test_dotenv_explicit_length),
            cmocka_unit_test(test_dotenv_load_fixtures),
            cmocka_unit_test(test_dotenv_load_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
