/*
 * Unit tests for src/compose/interp.c: Compose variable interpolation.
 *
 * The table runs every row against a fake environment, prints each mismatch
 * (naming the row by its template) and fails once at the end.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "compose/interp.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/banned.h"

/* The fake environment: FOO and BAR set, EMPTY set but empty, the rest unset. */
static const char *const fake_env[][2] = {
        {"FOO", "foo"},   {"BAR", "bar"},
        {"EMPTY", ""},    {"SPACE", " "},
        {"lower", "low"}, {"DOLLAR", "$FOO ${BAR}"}, /* a value is never interpolated again */
        {"BRACE", "}"},
};

static int lookups;

static const char *fake_lookup(const char *name, void *ud)
{
    (void)ud;
    lookups++;
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
        else if ((unsigned char)*s < 0x20)
            buf_addf(&b, "\\x%02x", (unsigned char)*s);
        else
            buf_addch(&b, *s);
    }
    return buf_detach(&b, NULL);
}

static char *joined(const struct strvec *sv)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < sv->n; i++) {
        if (i)
            buf_addch(&b, ',');
        buf_adds(&b, sv->v[i]);
    }
    return buf_detach(&b, NULL);
}

struct interp_case {
    const char *in;
    int rc;            /* 0 or DS_EINVAL */
    const char *want;  /* the output, or the exact error message */
    const char *unset; /* the names reported unset, comma-joined */
};

#define OK(in, want, unset)                                                                        \
    {                                                                                              \
        in, 0, want, unset                                                                         \
    }
#define ERR(in, msg, unset)                                                                        \
    {                                                                                              \
        in, DS_EINVAL, msg, unset                                                                  \
    }
#define BAD(in, text)                                                                              \
    {                                                                                              \
        in, DS_EINVAL, "invalid interpolation format: \"" text "\"", ""                            \
    }

static const struct interp_case cases[] = {
        /* plain text and simple variables */
        OK("", "", ""),
        OK("plain text", "plain text", ""),
        OK("$FOO", "foo", ""),
        OK("${FOO}", "foo", ""),
        OK("a${FOO}b", "afoob", ""),
        OK("$FOO$BAR", "foobar", ""),
        OK("$FOO-bar", "foo-bar", ""),
        OK("$FOO.bar/$BAR:1", "foo.bar/bar:1", ""),
        OK("$FOO_BAR", "", "FOO_BAR"),
        OK("${FOO}_BAR", "foo_BAR", ""),
        OK("$FOO1", "", "FOO1"),
        OK("${FOO}1", "foo1", ""),
        OK("$lower and ${lower}", "low and low", ""),
        OK("$foo", "", "foo"),
        OK("$_", "", "_"),
        OK("[$SPACE]", "[ ]", ""),
        OK("$DOLLAR", "$FOO ${BAR}", ""),
        OK("${BRACE}}", "}}", ""),
        /* unset and empty */
        OK("$UNSET", "", "UNSET"),
        OK("${UNSET}", "", "UNSET"),
        OK("x${EMPTY}y", "xy", ""),
        OK("$EMPTY", "", ""),
        OK("${UNSET}${UNSET}$UNSET", "", "UNSET"),
        OK("$UNSET $OTHER ${UNSET}", "  ", "UNSET,OTHER"),
        /* a '$' that starts nothing stays */
        OK("a $ b", "a $ b", ""),
        OK("$1", "$1", ""),
        OK("$", "$", ""),
        OK("trailing $", "trailing $", ""),
        OK("$}", "$}", ""),
        OK("$-x", "$-x", ""),
        OK("^REGEX$", "^REGEX$", ""),
        OK("$ {FOO}", "$ {FOO}", ""),
        OK("$\n$FOO", "$\nfoo", ""),
        /* $$ */
        OK("$$", "$", ""),
        OK("$$FOO", "$FOO", ""),
        OK("$${FOO}", "${FOO}", ""),
        OK("$$$FOO", "$foo", ""),
        OK("$$$$", "$$", ""),
        OK("$$$", "$$", ""),
        OK("a$$b", "a$b", ""),
        OK("echo $$((1+2))", "echo $((1+2))", ""),
        OK("$${UNSET:?not an error}", "${UNSET:?not an error}", ""),
        OK("${UNSET:-$$x}", "$x", ""),
        OK("${FOO:+$${FOO}}", "${FOO}", ""),
        /* ${VAR:-default} and ${VAR-default} */
        OK("${FOO:-def}", "foo", ""),
        OK("${EMPTY:-def}", "def", ""),
        OK("${UNSET:-def}", "def", ""),
        OK("${UNSET:-}", "", ""),
        OK("${FOO-def}", "foo", ""),
        OK("${EMPTY-def}", "", ""),
        OK("${UNSET-def}", "def", ""),
        OK("${UNSET-}", "", ""),
        OK("-ok ${EMPTY:-d} :-", "-ok d :-", ""),
        OK("${UNSET:-/non:-alphanumeric}", "/non:-alphanumeric", ""),
        OK("${UNSET:-a b  c}", "a b  c", ""),
        OK("${UNSET:-a}b}", "ab}", ""),
        OK("${UNSET:-{x}}", "{x}", ""),
        OK("${UNSET:-{\"k\": [1]}}", "{\"k\": [1]}", ""),
        OK("${UNSET:-a}${UNSET:-b}", "ab", ""),
        OK("${UNSET-myerror?msg}", "myerror?msg", ""),
        /* ${VAR:+alt} and ${VAR+alt} */
        OK("${FOO:+alt}", "alt", ""),
        OK("${EMPTY:+alt}", "", ""),
        OK("${UNSET:+alt}", "", ""),
        OK("${FOO+alt}", "alt", ""),
        OK("${EMPTY+alt}", "alt", ""),
        OK("${UNSET+alt}", "", ""),
        /* ${VAR:?msg} and ${VAR?msg} */
        OK("${FOO:?msg}", "foo", ""),
        OK("${FOO?msg}", "foo", ""),
        OK("${EMPTY?msg}", "", ""),
        ERR("${EMPTY:?msg}", "required variable EMPTY is missing a value: msg", ""),
        ERR("${UNSET:?msg}", "required variable UNSET is missing a value: msg", ""),
        ERR("${UNSET?msg}", "required variable UNSET is missing a value: msg", ""),
        ERR("${UNSET:?}", "required variable UNSET is missing a value", ""),
        ERR("${UNSET?}", "required variable UNSET is missing a value", ""),
        ERR("x ${UNSET?bar-baz} y", "required variable UNSET is missing a value: bar-baz", ""),
        ERR("${UNSET:?need ${FOO} set}", "required variable UNSET is missing a value: need foo set",
            ""),
        ERR("${UNSET:?$NOPE}", "required variable UNSET is missing a value", "NOPE"),
        ERR("${UNSET:-${EMPTY:?inner}}", "required variable EMPTY is missing a value: inner", ""),
        ERR("$FOO ${BAR:+${UNSET?}}", "required variable UNSET is missing a value", ""),
        /* nesting */
        OK("${UNSET:-${FOO}}", "foo", ""),
        OK("${UNSET:-$FOO}", "foo", ""),
        OK("${UNSET:-${UNSET2:-x}}", "x", ""),
        OK("${UNSET:-pre-${BAR}-post}", "pre-bar-post", ""),
        OK("${UNSET:-${UNSET2:-${FOO}}}", "foo", ""),
        OK("${UNSET:-${EMPTY:-${UNSET2-deep}}}x", "deepx", ""),
        OK("${UNSET:-${UNSET2}}", "", "UNSET2"),
        OK("${UNSET-${FOO} ${FOO}}", "foo foo", ""),
        OK("${FOO+$BAR ${BAR:+second}}", "bar second", ""),
        OK("${UNSET:-${FOO:+${BAR}}}", "bar", ""),
        OK("${UNSET:-${UNSET2:-a}-${UNSET3:-b}}", "a-b", ""),
        /* the text after an operator is interpolated only when it is used */
        OK("${FOO:-${UNSET:?boom}}", "foo", ""),
        OK("${FOO:-${NOPE}}", "foo", ""),
        OK("${UNSET:+${NOPE}}", "", ""),
        OK("${FOO?${NOPE}}", "foo", ""),
        OK("${FOO:-${}}", "foo", ""),
        /* malformed */
        BAD("${", "${"),
        BAD("${}", "${}"),
        BAD("${ }", "${ }"),
        BAD("${ FOO}", "${ FOO}"),
        BAD("${FOO }", "${FOO }"),
        BAD("${1X}", "${1X}"),
        BAD("${-x}", "${-x}"),
        BAD("${FOO", "${FOO"),
        BAD("a ${FOO b", "${FOO b"),
        BAD("ok $FOO then ${", "${"),
        BAD("${FOO:}", "${FOO:}"),
        BAD("${FOO!}", "${FOO!}"),
        BAD("${FOO!y}", "${FOO!y}"),
        BAD("${FOO:1}", "${FOO:1}"),
        BAD("${FOO/a/b}", "${FOO/a/b}"),
        BAD("${FOO#x}", "${FOO#x}"),
        BAD("${FOO.BAR}", "${FOO.BAR}"),
        BAD("x ${UNSET:-${}} y", "${}"),
        BAD("${UNSET:-${BAR", "${UNSET:-${BAR"),
        BAD("${UNSET:-{}", "${UNSET:-{}"),
        BAD("$FOO ${UNSET:-a}${:-b}", "${:-b}"),
        BAD("${UNSET?${}}", "${}"),
};

static void test_interp_table(void **state)
{
    int failures = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct interp_case *c = &cases[i];
        struct buf out = BUF_INIT;
        struct strvec unset = STRVEC_INIT;
        struct ds_error err = DS_ERROR_INIT;
        int rc = interp_expand(&out, c->in, fake_lookup, NULL, &unset, &err);
        const char *got = rc == 0 ? out.buf : err.msg;
        char *names = joined(&unset);
        char *in = shown(c->in), *want = shown(c->want), *was = shown(got);

        if (rc != c->rc) {
            print_error("'%s': rc %d, expected %d (%s)\n", in, rc, c->rc, was);
            failures++;
        } else if (!got || strcmp(got, c->want)) {
            print_error("'%s': %s '%s', expected '%s'\n", in, rc ? "error" : "output", was, want);
            failures++;
        } else if (strcmp(names, c->unset)) {
            print_error("'%s': unset '%s', expected '%s'\n", in, names, c->unset);
            failures++;
        } else if (rc == 0 && err.msg) {
            print_error("'%s': error '%s' set on success\n", in, err.msg);
            failures++;
        }
        free(in);
        free(want);
        free(was);
        free(names);
        strvec_clear(&unset);
        ds_error_release(&err);
        buf_release(&out);
    }
    if (failures)
        fail_msg("%d of %zu rows failed", failures, ARRAY_SIZE(cases));
}

/* ${U0:-${U1:-...${Un-1:-x}...}}: n levels, every one of them evaluated. */
static char *nested(int n, const char *first)
{
    struct buf b = BUF_INIT;

    for (int i = 0; i < n; i++) {
        if (i == 0 && first)
            buf_addf(&b, "${%s:-", first);
        else
            buf_addf(&b, "${U%d:-", i);
    }
    buf_adds(&b, "x");
    for (int i = 0; i < n; i++)
        buf_addch(&b, '}');
    return buf_detach(&b, NULL);
}

static void test_interp_nesting_limit(void **state)
{
    struct buf out = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;
    char *s;

    (void)state;
    s = nested(64, NULL);
    assert_int_equal(interp_expand(&out, s, fake_lookup, NULL, NULL, &err), 0);
    assert_string_equal(out.buf, "x");
    free(s);

    buf_reset(&out);
    s = nested(65, NULL);
    assert_int_equal(interp_expand(&out, s, fake_lookup, NULL, NULL, &err), DS_EINVAL);
    assert_string_equal(err.msg, "interpolation nested too deeply");
    ds_error_release(&err);
    free(s);

    /* deep but never evaluated: FOO is set, so its default is not looked at */
    buf_reset(&out);
    s = nested(100000, "FOO");
    assert_int_equal(interp_expand(&out, s, fake_lookup, NULL, NULL, &err), 0);
    assert_string_equal(out.buf, "foo");
    free(s);

    /* a long run of unterminated "${" fails at once, without recursion */
    buf_reset(&out);
    {
        struct buf open = BUF_INIT;

        for (int i = 0; i < 100000; i++)
            buf_adds(&open, "${");
        assert_int_equal(interp_expand(&out, open.buf, fake_lookup, NULL, NULL, &err), DS_EINVAL);
        assert_true(!strncmp(err.msg, "invalid interpolation format: \"${${", 34));
        ds_error_release(&err);
        buf_release(&open);
    }
    buf_release(&out);
}

static void test_interp_appends_and_dedups(void **state)
{
    struct buf out = BUF_INIT;
    struct strvec unset = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    buf_adds(&out, "keep:");
    strvec_push(&unset, "UNSET");
    assert_int_equal(interp_expand(&out, "$FOO$UNSET$NEW", fake_lookup, NULL, &unset, &err), 0);
    assert_string_equal(out.buf, "keep:foo");
    assert_int_equal(unset.n, 2);
    assert_string_equal(unset.v[0], "UNSET");
    assert_string_equal(unset.v[1], "NEW");
    assert_null(err.msg);
    strvec_clear(&unset);
    buf_release(&out);
}

static void test_interp_optional_arguments(void **state)
{
    struct buf out = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    /* no lookup: everything is unset */
    assert_int_equal(interp_expand(&out, "[$FOO${BAR:-d}]", NULL, NULL, NULL, &err), 0);
    assert_string_equal(out.buf, "[d]");
    /* no error object: the code still comes back */
    assert_int_equal(interp_expand(&out, "${", fake_lookup, NULL, NULL, NULL), DS_EINVAL);
    assert_int_equal(interp_expand(&out, "${X?}", fake_lookup, NULL, NULL, NULL), DS_EINVAL);
    buf_release(&out);
}

static void test_interp_no_lookup_without_dollar(void **state)
{
    struct buf out = BUF_INIT;

    (void)state;
    lookups = 0;
    assert_int_equal(interp_expand(&out, "FOO {FOO} $$FOO", fake_lookup, NULL, NULL, NULL), 0);
    assert_string_equal(out.buf, "FOO {FOO} $FOO");
    assert_int_equal(lookups, 0);
    /* a used default looks the variable up once, the nested one once */
    assert_int_equal(interp_expand(&out, "${UNSET:-$FOO}", fake_lookup, NULL, NULL, NULL), 0);
    assert_int_equal(lookups, 2);
    buf_release(&out);
}

static void test_interp_needed(void **state)
{
    (void)state;
    assert_false(interp_needed(NULL));
    assert_false(interp_needed(""));
    assert_false(interp_needed("plain {FOO}"));
    assert_true(interp_needed("$"));
    assert_true(interp_needed("a$b"));
    assert_true(interp_needed("$$"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_interp_table),
            cmocka_unit_test(test_interp_nesting_limit),
            cmocka_unit_test(test_interp_appends_and_dedups),
            cmocka_unit_test(test_interp_optional_arguments),
            cmocka_unit_test(test_interp_no_lookup_without_dollar),
            cmocka_unit_test(test_interp_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
