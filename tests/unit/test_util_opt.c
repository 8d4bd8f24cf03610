/*
 * Unit tests for src/util/opt.c: one spec table, many argv vectors.
 *
 * opt_parse()'s argv does not include the program name: argv[0] is the first
 * argument. Table-driven tests run every row, print each mismatch and fail once
 * at the end.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/duration.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/opt.h"
#include "util/strvec.h"
#include "util/banned.h"

#define MAX_ARGS 12

/* ---- the targets every spec table below writes to --------------------------- */

static bool o_detach, o_quiet, o_secret;
static const char *o_name, *o_source, *o_dest;
static struct strvec o_labels = STRVEC_INIT, o_services = STRVEC_INIT;
static int o_timeout, o_count;

static void reset_targets(void)
{
    o_detach = o_quiet = o_secret = false;
    o_name = o_source = o_dest = NULL;
    strvec_clear(&o_labels);
    strvec_clear(&o_services);
    o_timeout = o_count = -1;
}

/* Options of every kind, a required and an optional positional, and the rest. */
static const struct opt_spec full_opts[] = {
        {OPT_BOOL, "detach", 'd', &o_detach, NULL, "run in the background"},
        {OPT_BOOL, "quiet", 'q', &o_quiet, NULL, "say less"},
        {OPT_STRING, "name", 'n', &o_name, "NAME", "a name"},
        {OPT_LIST, "label", 'l', &o_labels, "LABEL", "a label (repeatable)"},
        {OPT_INT, "timeout", 't', &o_timeout, "SECONDS", "shutdown timeout"},
        {OPT_INT, "count", 0, &o_count, NULL, "how many"},
        {OPT_BOOL, "secret", 0, &o_secret, NULL, "not shown", OPT_HIDDEN},
        {OPT_ARG, "SOURCE", 0, &o_source, NULL, "where from", OPT_REQUIRED},
        {OPT_ARG, "DEST", 0, &o_dest, NULL, "where to"},
        {OPT_ARGS, "SERVICE", 0, &o_services, NULL, "services"},
        {0},
};

/* No OPT_ARGS: a positional beyond SOURCE and DEST is an error. */
static const struct opt_spec fixed_opts[] = {
        {OPT_BOOL, "detach", 'd', &o_detach, NULL, "run in the background"},
        {OPT_ARG, "SOURCE", 0, &o_source, NULL, "where from", OPT_REQUIRED},
        {OPT_ARG, "DEST", 0, &o_dest, NULL, "where to"},
        {0},
};

/* A required OPT_ARGS. */
static const struct opt_spec required_rest_opts[] = {
        {OPT_BOOL, "quiet", 'q', &o_quiet, NULL, "say less"},
        {OPT_ARGS, "SERVICE", 0, &o_services, NULL, "services", OPT_REQUIRED},
        {0},
};

/* ---- helpers ------------------------------------------------------------------ */

static int argv_count(const char *const *argv)
{
    int n = 0;

    while (n < MAX_ARGS && argv[n])
        n++;
    return n;
}

/* "a b c" for failure messages; caller frees. */
static char *join_argv(const char *const *argv)
{
    struct buf b = BUF_INIT;

    for (int i = 0; i < MAX_ARGS && argv[i]; i++)
        buf_addf(&b, "%s'%s'", i ? " " : "", argv[i]);
    if (!b.len)
        buf_adds(&b, "(no arguments)");
    return buf_detach(&b, NULL);
}

/* The strvec joined with ','; caller frees. */
static char *join_vec(const struct strvec *sv)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < sv->n; i++)
        buf_addf(&b, "%s%s", i ? "," : "", sv->v[i]);
    return buf_detach(&b, NULL);
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return !strcmp(a, b);
}

/* An OPT_INT target as text, NULL while it holds the "not given" value -1; caller frees. */
static char *int_or_null(int v)
{
    struct buf b = BUF_INIT;

    if (v == -1)
        return NULL;
    buf_addf(&b, "%d", v);
    return buf_detach(&b, NULL);
}

static const char *show(const char *s)
{
    return s ? s : "(null)";
}

/* ---- the parse table -------------------------------------------------------- */

enum spec_id { FULL, FIXED, REQUIRED_REST };

struct parse_case {
    enum spec_id spec;
    const char *argv[MAX_ARGS]; /* NULL-terminated */
    int rc;
    /* OPT_USAGE_ERROR: substrings err.msg must contain */
    const char *err1, *err2;
    /* OPT_OK: the values the targets must end up with */
    bool detach, quiet, secret;
    const char *name;
    const char *labels;          /* joined with ','; NULL: none */
    const char *timeout, *count; /* the number; NULL: not given */
    const char *source, *dest;
    const char *services; /* joined with ','; NULL: none */
};

static const struct parse_case parse_cases[] = {
        /* positionals */
        {FULL, {"src"}, OPT_OK, .source = "src"},
        {FULL, {"src", "dst"}, OPT_OK, .source = "src", .dest = "dst"},
        {FULL, {"src", "dst", "a", "b"}, OPT_OK, .source = "src", .dest = "dst", .services = "a,b"},
        {FULL, {"-"}, OPT_OK, .source = "-"},
        {FULL, {"src", "-", "-"}, OPT_OK, .source = "src", .dest = "-", .services = "-"},
        /* OPT_BOOL */
        {FULL, {"--detach", "src"}, OPT_OK, .detach = true, .source = "src"},
        {FULL, {"-d", "src"}, OPT_OK, .detach = true, .source = "src"},
        {FULL, {"src", "-q"}, OPT_OK, .quiet = true, .source = "src"},
        {FULL, {"-d", "--detach", "src"}, OPT_OK, .detach = true, .source = "src"},
        {FULL, {"-dq", "src"}, OPT_OK, .detach = true, .quiet = true, .source = "src"},
        {FULL, {"-qd", "src"}, OPT_OK, .detach = true, .quiet = true, .source = "src"},
        {FULL, {"--secret", "src"}, OPT_OK, .secret = true, .source = "src"},
        /* OPT_STRING */
        {FULL, {"--name", "v", "src"}, OPT_OK, .name = "v", .source = "src"},
        {FULL, {"--name=v", "src"}, OPT_OK, .name = "v", .source = "src"},
        {FULL, {"--name=", "src"}, OPT_OK, .name = "", .source = "src"},
        {FULL, {"--name=a=b", "src"}, OPT_OK, .name = "a=b", .source = "src"},
        {FULL, {"-n", "v", "src"}, OPT_OK, .name = "v", .source = "src"},
        {FULL, {"-nv", "src"}, OPT_OK, .name = "v", .source = "src"},
        {FULL, {"-n", "a", "--name=b", "src"}, OPT_OK, .name = "b", .source = "src"},
        {FULL, {"--name", "-x", "src"}, OPT_OK, .name = "-x", .source = "src"},
        {FULL, {"-n", "-", "src"}, OPT_OK, .name = "-", .source = "src"},
        {FULL, {"--name", "-h", "src"}, OPT_OK, .name = "-h", .source = "src"},
        /* OPT_LIST */
        {FULL,
         {"-l", "a", "--label", "b", "--label=c", "-ld", "src"},
         OPT_OK,
         .labels = "a,b,c,d",
         .source = "src"},
        {FULL, {"--label", "x", "src", "--label", "x"}, OPT_OK, .labels = "x,x", .source = "src"},
        /* OPT_INT */
        {FULL, {"--timeout", "30", "src"}, OPT_OK, .timeout = "30", .source = "src"},
        {FULL, {"--timeout=0", "src"}, OPT_OK, .timeout = "0", .source = "src"},
        {FULL, {"-t", "5", "src"}, OPT_OK, .timeout = "5", .source = "src"},
        {FULL, {"-t5", "src"}, OPT_OK, .timeout = "5", .source = "src"},
        {FULL, {"--count", "7", "src"}, OPT_OK, .count = "7", .source = "src"},
        /* bundles with a value option last */
        {FULL, {"-dt5", "src"}, OPT_OK, .detach = true, .timeout = "5", .source = "src"},
        {FULL, {"-dt", "5", "src"}, OPT_OK, .detach = true, .timeout = "5", .source = "src"},
        {FULL,
         {"-dqnfoo", "src"},
         OPT_OK,
         .detach = true,
         .quiet = true,
         .name = "foo",
         .source = "src"},
        {FULL, {"-ndq", "src"}, OPT_OK, .name = "dq", .source = "src"},
        /* options and positionals interleaved */
        {FULL,
         {"src", "-d", "dst", "--name", "v", "a", "-q", "b"},
         OPT_OK,
         .detach = true,
         .quiet = true,
         .name = "v",
         .source = "src",
         .dest = "dst",
         .services = "a,b"},
        /* "--" ends the options */
        {FULL, {"--", "-d", "--name"}, OPT_OK, .source = "-d", .dest = "--name"},
        {FULL,
         {"-q", "--", "-d", "x", "--help"},
         OPT_OK,
         .quiet = true,
         .source = "-d",
         .dest = "x",
         .services = "--help"},
        {FULL, {"src", "--", "-q"}, OPT_OK, .source = "src", .dest = "-q"},
        {FULL, {"--", "src", "--"}, OPT_OK, .source = "src", .dest = "--"},
        {FULL, {"--", "-h"}, OPT_OK, .source = "-h"},
        /* help, anywhere among valid arguments, even without the required positional */
        {FULL, {"-h"}, OPT_HELP},
        {FULL, {"--help"}, OPT_HELP},
        {FULL, {"src", "-d", "-h"}, OPT_HELP},
        {FULL, {"--name", "v", "--help", "extra"}, OPT_HELP},
        {FULL, {"-d", "--help", "src", "dst", "svc"}, OPT_HELP},
        {FIXED, {"a", "--help"}, OPT_HELP},
        {REQUIRED_REST, {"-h"}, OPT_HELP},
        /* unknown options */
        {FULL, {"--bogus", "src"}, OPT_USAGE_ERROR, "'--bogus'"},
        {FULL, {"--bogus=1", "src"}, OPT_USAGE_ERROR, "'--bogus'"},
        {FULL, {"--detac", "src"}, OPT_USAGE_ERROR, "'--detac'"},
        {FULL, {"-x", "src"}, OPT_USAGE_ERROR, "'-x'"},
        {FULL, {"-dx", "src"}, OPT_USAGE_ERROR, "'-x'"},
        {FULL, {"src", "-D"}, OPT_USAGE_ERROR, "'-D'"},
        /* a value option without its value */
        {FULL, {"src", "--name"}, OPT_USAGE_ERROR, "'--name'", "needs a value"},
        {FULL, {"src", "-n"}, OPT_USAGE_ERROR, "'-n'", "needs a value"},
        {FULL, {"src", "-dn"}, OPT_USAGE_ERROR, "'-n'", "needs a value"},
        {FULL, {"src", "--label"}, OPT_USAGE_ERROR, "'--label'", "needs a value"},
        {FULL, {"src", "-t"}, OPT_USAGE_ERROR, "'-t'", "needs a value"},
        /* OPT_INT values that are not non-negative numbers */
        {FULL, {"--timeout", "abc", "src"}, OPT_USAGE_ERROR, "'--timeout'", "'abc'"},
        {FULL, {"--timeout=abc", "src"}, OPT_USAGE_ERROR, "'--timeout'", "'abc'"},
        {FULL, {"-t", "abc", "src"}, OPT_USAGE_ERROR, "'-t'", "'abc'"},
        {FULL, {"-tabc", "src"}, OPT_USAGE_ERROR, "'-t'", "'abc'"},
        {FULL, {"--timeout", "-5", "src"}, OPT_USAGE_ERROR, "'--timeout'", "'-5'"},
        {FULL, {"-t", "-1", "src"}, OPT_USAGE_ERROR, "'-t'", "'-1'"},
        {FULL, {"--timeout", "5s", "src"}, OPT_USAGE_ERROR, "'--timeout'", "'5s'"},
        {FULL, {"--timeout", "", "src"}, OPT_USAGE_ERROR, "'--timeout'"},
        {FULL, {"--count", "99999999999", "src"}, OPT_USAGE_ERROR, "'--count'", "'99999999999'"},
        /* a value given to a boolean */
        {FULL, {"--detach=x", "src"}, OPT_USAGE_ERROR, "'--detach'", "true or false, not 'x'"},
        {FULL, {"--detach=", "src"}, OPT_USAGE_ERROR, "'--detach'", "true or false, not ''"},
        /* true and false, as Go's flags (strconv.ParseBool) read a boolean's value */
        {FULL, {"--detach=true", "src"}, OPT_OK, .detach = true, .source = "src"},
        {FULL, {"-d", "--detach=false", "src"}, OPT_OK, .detach = false, .source = "src"},
        {FULL, {"-d", "--detach=0", "src"}, OPT_OK, .detach = false, .source = "src"},
        {FULL, {"-d", "--detach=F", "src"}, OPT_OK, .detach = false, .source = "src"},
        {FULL, {"-d", "--detach=FALSE", "src"}, OPT_OK, .detach = false, .source = "src"},
        {FULL, {"--detach=1", "src"}, OPT_OK, .detach = true, .source = "src"},
        {FULL, {"--detach=True", "src"}, OPT_OK, .detach = true, .source = "src"},
        {FULL, {"--detach=yes", "src"}, OPT_USAGE_ERROR, "'--detach'", "true or false, not 'yes'"},
        /* the short form with '=', as pflag reads it: the value ends the word */
        {FULL, {"-d", "-d=false", "src"}, OPT_OK, .detach = false, .source = "src"},
        {FULL, {"-d=true", "src"}, OPT_OK, .detach = true, .source = "src"},
        {FULL, {"-d=t", "src"}, OPT_OK, .detach = true, .source = "src"},
        {FULL, {"-qd=false", "src"}, OPT_OK, .quiet = true, .detach = false, .source = "src"},
        {FULL, {"-d=false", "-q", "src"}, OPT_OK, .quiet = true, .source = "src"},
        {FULL, {"-d=x", "src"}, OPT_USAGE_ERROR, "'-d'", "true or false, not 'x'"},
        {FULL, {"-d=", "src"}, OPT_USAGE_ERROR, "'-d'", "true or false, not ''"},
        {FULL, {"-d=falseq", "src"}, OPT_USAGE_ERROR, "'-d'", "not 'falseq'"},
        /* a value option's "-n=v" keeps the '=' (only booleans read it as Go does) */
        {FULL, {"-n=v", "src"}, OPT_OK, .name = "=v", .source = "src"},
        /* positionals: missing, or one too many */
        {FULL, {NULL}, OPT_USAGE_ERROR, "missing", "SOURCE"},
        {FULL, {"-d", "-q"}, OPT_USAGE_ERROR, "missing", "SOURCE"},
        {FULL, {"--name", "src"}, OPT_USAGE_ERROR, "missing", "SOURCE"},
        {FIXED, {"a"}, OPT_OK, .source = "a"},
        {FIXED, {"a", "b"}, OPT_OK, .source = "a", .dest = "b"},
        {FIXED, {"-d", "a", "b"}, OPT_OK, .detach = true, .source = "a", .dest = "b"},
        {FIXED, {"a", "b", "c"}, OPT_USAGE_ERROR, "unexpected", "'c'"},
        {FIXED, {"--", "a", "b", "-d"}, OPT_USAGE_ERROR, "unexpected", "'-d'"},
        {FIXED, {NULL}, OPT_USAGE_ERROR, "missing", "SOURCE"},
        {FIXED, {"-d"}, OPT_USAGE_ERROR, "missing", "SOURCE"},
        {REQUIRED_REST, {"a"}, OPT_OK, .services = "a"},
        {REQUIRED_REST, {"a", "b", "c"}, OPT_OK, .services = "a,b,c"},
        {REQUIRED_REST, {NULL}, OPT_USAGE_ERROR, "missing", "SERVICE"},
        {REQUIRED_REST, {"-q"}, OPT_USAGE_ERROR, "missing", "SERVICE"},
};

static const struct opt_spec *spec_table(enum spec_id id)
{
    switch (id) {
    case FIXED:
        return fixed_opts;
    case REQUIRED_REST:
        return required_rest_opts;
    default:
        return full_opts;
    }
}

static const char *rc_name(int rc)
{
    switch (rc) {
    case OPT_OK:
        return "OPT_OK";
    case OPT_HELP:
        return "OPT_HELP";
    case OPT_USAGE_ERROR:
        return "OPT_USAGE_ERROR";
    default:
        return "?";
    }
}

/* Compare the targets with a row; print and count each difference. */
static int check_targets(size_t i, const char *args, const struct parse_case *c)
{
    char *labels = join_vec(&o_labels), *services = join_vec(&o_services);
    char *timeout = int_or_null(o_timeout), *count = int_or_null(o_count);
    int bad = 0;

#define CHECK_BOOL(field)                                                                          \
    do {                                                                                           \
        if (o_##field != c->field) {                                                               \
            print_error("case %zu (%s): " #field " is %d, expected %d\n", i, args, o_##field,      \
                        c->field);                                                                 \
            bad++;                                                                                 \
        }                                                                                          \
    } while (0)
#define CHECK_STR(actual, expected, what)                                                          \
    do {                                                                                           \
        if (!str_eq(actual, expected)) {                                                           \
            print_error("case %zu (%s): %s is \"%s\", expected \"%s\"\n", i, args, what,           \
                        show(actual), show(expected));                                             \
            bad++;                                                                                 \
        }                                                                                          \
    } while (0)

    CHECK_BOOL(detach);
    CHECK_BOOL(quiet);
    CHECK_BOOL(secret);
    CHECK_STR(timeout, c->timeout, "timeout");
    CHECK_STR(count, c->count, "count");
    CHECK_STR(o_name, c->name, "name");
    CHECK_STR(o_source, c->source, "SOURCE");
    CHECK_STR(o_dest, c->dest, "DEST");
    CHECK_STR(labels, c->labels ? c->labels : "", "labels");
    CHECK_STR(services, c->services ? c->services : "", "SERVICE...");
    if (o_labels.v[o_labels.n] || o_services.v[o_services.n]) {
        print_error("case %zu (%s): a list is not NULL-terminated\n", i, args);
        bad++;
    }

#undef CHECK_BOOL
#undef CHECK_STR
    free(labels);
    free(services);
    free(timeout);
    free(count);
    return bad;
}

static void test_opt_parse_table(void **state)
{
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
        const struct parse_case *c = &parse_cases[i];
        struct ds_error err = DS_ERROR_INIT;
        char *argv[MAX_ARGS + 1] = {NULL};
        int argc = argv_count(c->argv), consumed = -1, rc;
        char *args = join_argv(c->argv);

        for (int k = 0; k < argc; k++)
            argv[k] = (char *)c->argv[k];
        reset_targets();
        rc = opt_parse(spec_table(c->spec), argc, argv, 0, &consumed, &err);

        if (rc != c->rc) {
            print_error("case %zu (%s): returned %s (%d), expected %s; err \"%s\"\n", i, args,
                        rc_name(rc), rc, rc_name(c->rc), show(err.msg));
            bad++;
        } else if (rc == OPT_USAGE_ERROR) {
            if (!err.msg || err.code != DS_EINVAL) {
                print_error("case %zu (%s): usage error with code %d, message \"%s\"\n", i, args,
                            err.code, show(err.msg));
                bad++;
            } else if (!strstr(err.msg, c->err1) || (c->err2 && !strstr(err.msg, c->err2))) {
                print_error("case %zu (%s): message \"%s\" should contain \"%s\"%s%s%s\n", i, args,
                            err.msg, c->err1, c->err2 ? " and \"" : "", show(c->err2),
                            c->err2 ? "\"" : "");
                bad++;
            }
        } else if (rc == OPT_OK) {
            bad += check_targets(i, args, c);
            if (err.msg) {
                print_error("case %zu (%s): OPT_OK but err says \"%s\"\n", i, args, err.msg);
                bad++;
            }
            if (consumed != argc) {
                print_error("case %zu (%s): consumed %d of %d\n", i, args, consumed, argc);
                bad++;
            }
        }
        ds_error_release(&err);
        free(args);
    }
    reset_targets();
    if (bad)
        fail_msg("%d mismatches in %zu opt_parse cases", bad, ARRAY_SIZE(parse_cases));
}

/* OPT_STRING and OPT_ARG values point into argv, not at copies. */
static void test_opt_parse_points_into_argv(void **state)
{
    char name[] = "--name", value[] = "v", src[] = "src";
    char *argv[] = {name, value, src, NULL};
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    reset_targets();
    assert_int_equal(opt_parse(full_opts, 3, argv, 0, NULL, &err), OPT_OK);
    assert_true(o_name == argv[1]);
    assert_true(o_source == argv[2]);
    assert_null(err.msg);
    reset_targets();
}

/* ---- OPT_PARSE_STOP_AT_ARG ------------------------------------------------------- */

static struct strvec g_files = STRVEC_INIT;
static const char *g_project;
static bool g_debug;

static const struct opt_spec global_opts[] = {
        {OPT_LIST, "file", 'f', &g_files, "FILE", "compose file (repeatable)"},
        {OPT_STRING, "project-name", 'p', &g_project, "NAME", "project name"},
        {OPT_BOOL, "debug", 'd', &g_debug, NULL, "debug output"},
        {0},
};

static void test_opt_parse_stop_at_arg(void **state)
{
    static const struct {
        const char *argv[MAX_ARGS];
        int rc;
        int consumed;
        const char *files, *project;
        bool debug;
    } cases[] = {
            {{"-f", "a", "-p", "x", "up", "-d"}, OPT_OK, 4, "a", "x", false},
            {{"-f", "a", "--", "up", "-d"}, OPT_OK, 3, "a", NULL, false},
            {{"-f", "a", "-p", "x", "--", "up", "-d"}, OPT_OK, 5, "a", "x", false},
            {{"--file=a", "--project-name", "x", "-d", "up", "--file", "b"},
             OPT_OK,
             4,
             "a",
             "x",
             true},
            {{"-f", "a", "-f", "b", "up", "-f", "c"}, OPT_OK, 4, "a,b", NULL, false},
            {{"up", "-d"}, OPT_OK, 0, "", NULL, false},
            {{"up"}, OPT_OK, 0, "", NULL, false},
            {{NULL}, OPT_OK, 0, "", NULL, false},
            {{"-d"}, OPT_OK, 1, "", NULL, true},
            {{"-d", "-", "x"}, OPT_OK, 1, "", NULL, true},
            {{"--"}, OPT_OK, 1, "", NULL, false},
            {{"--", "--", "-d"}, OPT_OK, 1, "", NULL, false},
            {{"--", "-d"}, OPT_OK, 1, "", NULL, false},
            {{"up", "--help"}, OPT_OK, 0, "", NULL, false},
            {{"-h", "up"}, OPT_HELP, -1, "", NULL, false},
            {{"-d", "--help"}, OPT_HELP, -1, "", NULL, true},
            {{"--bogus", "up"}, OPT_USAGE_ERROR, -1, "", NULL, false},
            {{"-f"}, OPT_USAGE_ERROR, -1, "", NULL, false},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        char *argv[MAX_ARGS + 1] = {NULL};
        int argc = argv_count(cases[i].argv), consumed = -1, rc;
        char *args = join_argv(cases[i].argv);
        char *files;

        for (int k = 0; k < argc; k++)
            argv[k] = (char *)cases[i].argv[k];
        strvec_clear(&g_files);
        g_project = NULL;
        g_debug = false;
        rc = opt_parse(global_opts, argc, argv, OPT_PARSE_STOP_AT_ARG, &consumed, &err);
        files = join_vec(&g_files);

        if (rc != cases[i].rc) {
            print_error("case %zu (%s): returned %s, expected %s; err \"%s\"\n", i, args,
                        rc_name(rc), rc_name(cases[i].rc), show(err.msg));
            bad++;
        } else if (rc == OPT_USAGE_ERROR && !err.msg) {
            print_error("case %zu (%s): usage error without a message\n", i, args);
            bad++;
        } else if (rc == OPT_OK) {
            if (consumed != cases[i].consumed) {
                print_error("case %zu (%s): consumed %d, expected %d (stopped at '%s')\n", i, args,
                            consumed, cases[i].consumed,
                            consumed >= 0 && consumed < argc ? argv[consumed] : "(end)");
                bad++;
            }
            if (strcmp(files, cases[i].files) != 0 || !str_eq(g_project, cases[i].project) ||
                g_debug != cases[i].debug) {
                print_error("case %zu (%s): files \"%s\" project \"%s\" debug %d, expected "
                            "\"%s\" \"%s\" %d\n",
                            i, args, files, show(g_project), g_debug, cases[i].files,
                            show(cases[i].project), cases[i].debug);
                bad++;
            }
        }
        free(files);
        free(args);
        ds_error_release(&err);
    }
    strvec_clear(&g_files);
    if (bad)
        fail_msg("%d mismatches in %zu OPT_PARSE_STOP_AT_ARG cases", bad, ARRAY_SIZE(cases));
}

/*
 * A short-only option ({OPT_BOOL, NULL, 'v', ...}) is understood by the short
 * parser and by opt_print_help() ("-v"), so a long option after it in the same
 * table must still parse.
 */
static void test_opt_short_only_option(void **state)
{
    static bool verbose, all;
    const struct opt_spec specs[] = {
            {OPT_BOOL, NULL, 'v', &verbose, NULL, "verbose"},
            {OPT_BOOL, "all", 'a', &all, NULL, "everything"},
            {0},
    };
    char arg_v[] = "-v", arg_all[] = "--all";
    char *argv1[] = {arg_v, NULL}, *argv2[] = {arg_all, NULL};
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    verbose = all = false;
    assert_int_equal(opt_parse(specs, 1, argv1, 0, NULL, &err), OPT_OK);
    assert_true(verbose);
    assert_int_equal(opt_parse(specs, 1, argv2, 0, NULL, &err), OPT_OK);
    assert_true(all);
    ds_error_release(&err);
}

/* ---- usage and help ------------------------------------------------------------ */

static bool up_detach, up_secret;
static const char *up_timeout, *up_pull;
static struct strvec up_services = STRVEC_INIT;

static const struct opt_spec up_opts[] = {
        {OPT_BOOL, "detach", 'd', &up_detach, NULL, "run in the background"},
        {OPT_STRING, "timeout", 't', &up_timeout, "SECONDS", "shutdown timeout"},
        {OPT_STRING, "pull", 0, &up_pull, NULL, "when to pull images"},
        {OPT_BOOL, "internal-secret", 'Z', &up_secret, NULL, "do not show me", OPT_HIDDEN},
        {OPT_ARGS, "SERVICE", 0, &up_services, NULL, "services to start"},
        {0},
};

/* Run a printer against a memory stream and return what it wrote; caller frees. */
static char *capture_usage(const char *command, const struct opt_spec *specs)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    if (!f)
        fail_msg("open_memstream failed");
    opt_print_usage(f, command, specs);
    if (fclose(f) != 0)
        fail_msg("fclose failed");
    return out;
}

static char *capture_help(const char *command, const char *summary, const struct opt_spec *specs)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    if (!f)
        fail_msg("open_memstream failed");
    opt_print_help(f, command, summary, specs);
    if (fclose(f) != 0)
        fail_msg("fclose failed");
    return out;
}

static bool starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* The whole line of text that contains needle, or NULL; caller frees. */
static char *line_with(const char *text, const char *needle)
{
    const char *p = strstr(text, needle), *start, *end;

    if (!p)
        return NULL;
    for (start = p; start > text && start[-1] != '\n'; start--)
        ;
    end = strchr(p, '\n');
    return xstrndup(start, end ? (size_t)(end - start) : strlen(start));
}

static void test_opt_print_usage(void **state)
{
    static const char *dummy;
    static struct strvec dummy_vec = STRVEC_INIT;
    static const struct opt_spec no_options[] = {
            {OPT_ARGS, "SERVICE", 0, &dummy_vec, NULL, "services"},
            {0},
    };
    static const struct opt_spec hidden_only[] = {
            {OPT_BOOL, "secret", 0, &up_secret, NULL, "hidden", OPT_HIDDEN},
            {OPT_ARG, "NAME", 0, &dummy, NULL, "name", OPT_REQUIRED},
            {0},
    };
    static const struct opt_spec exec_like[] = {
            {OPT_BOOL, "detach", 'd', &up_detach, NULL, "run in the background"},
            {OPT_ARG, "SERVICE", 0, &dummy, NULL, "service", OPT_REQUIRED},
            {OPT_ARGS, "COMMAND", 0, &dummy_vec, NULL, "command", OPT_REQUIRED},
            {0},
    };
    static const struct opt_spec empty[] = {{0}};
    static const struct {
        const char *command;
        const struct opt_spec *specs;
        const char *expected;
    } cases[] = {
            {"devstack up", up_opts, "usage: devstack up [OPTIONS] [SERVICE...]\n"},
            {"devstack cp", full_opts, "usage: devstack cp [OPTIONS] SOURCE [DEST] [SERVICE...]\n"},
            {"devstack ps", no_options, "usage: devstack ps [SERVICE...]\n"},
            {"devstack logs", hidden_only, "usage: devstack logs NAME\n"},
            {"devstack exec", exec_like, "usage: devstack exec [OPTIONS] SERVICE COMMAND...\n"},
            {"devstack version", empty, "usage: devstack version\n"},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *out = capture_usage(cases[i].command, cases[i].specs);

        if (!out || strcmp(out, cases[i].expected) != 0) {
            print_error("case %zu (%s): printed \"%s\", expected \"%s\"\n", i, cases[i].command,
                        show(out), cases[i].expected);
            bad++;
        }
        free(out);
    }
    if (bad)
        fail_msg("%d opt_print_usage cases failed", bad);
}

static void test_opt_print_help(void **state)
{
    static const struct {
        const char *needle; /* a line containing this ... */
        const char *help;   /* ... also contains this */
    } lines[] = {
            {"-d, --detach", "run in the background"},
            {"-t, --timeout SECONDS", "shutdown timeout"},
            {"    --pull VALUE", "when to pull images"},
            {"-h, --help", "show this help"},
    };
    char *out = capture_help("devstack up", "Create and start the services.", up_opts);
    int bad = 0;

    (void)state;
    assert_non_null(out);
    /* The usage line comes first, then the summary. */
    if (!starts_with(out, "usage: devstack up [OPTIONS] [SERVICE...]\n")) {
        print_error("help does not start with the usage line:\n%s\n", out);
        bad++;
    }
    if (!strstr(out, "\nCreate and start the services.\n")) {
        print_error("help lacks the summary:\n%s\n", out);
        bad++;
    }
    if (!strstr(out, "\nOptions:\n")) {
        print_error("help lacks \"Options:\":\n%s\n", out);
        bad++;
    }
    for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
        char *line = line_with(out, lines[i].needle);

        if (!line || !strstr(line, lines[i].help)) {
            print_error("line %zu: no line with \"%s\" and \"%s\" in:\n%s\n", i, lines[i].needle,
                        lines[i].help, out);
            bad++;
        }
        free(line);
    }
    /* Hidden options stay hidden; positionals are not listed as options. */
    if (strstr(out, "internal-secret") || strstr(out, "-Z") || strstr(out, "do not show me")) {
        print_error("help shows the hidden option:\n%s\n", out);
        bad++;
    }
    if (strstr(out, "services to start")) {
        print_error("help lists the positional as an option:\n%s\n", out);
        bad++;
    }
    free(out);

    /* Without a summary or options there is still the usage line and -h. */
    out = capture_help("devstack version", NULL, (const struct opt_spec[]){{0}});
    assert_non_null(out);
    if (!starts_with(out, "usage: devstack version\n") || !strstr(out, "-h, --help")) {
        print_error("minimal help is wrong:\n%s\n", out);
        bad++;
    }
    free(out);
    if (bad)
        fail_msg("%d opt_print_help checks failed", bad);
}

/* A positional with choices ("devstack completion bash|zsh") is checked like an option's. */
static void test_opt_positional_choice(void **state)
{
    static const char *shell_name;
    static const struct opt_spec shell_opts[] = {
            {OPT_ARG, "SHELL", 0, &shell_name, NULL, "the shell", OPT_REQUIRED, "bash|zsh"},
            {0},
    };
    static const struct {
        const char *arg;
        int rc;
        const char *want; /* the value, or what err.msg says */
    } cases[] = {
            {"bash", OPT_OK, "bash"},
            {"zsh", OPT_OK, "zsh"},
            {"fish", OPT_USAGE_ERROR, "unknown shell 'fish' (bash or zsh)"},
            {"bas", OPT_USAGE_ERROR, "unknown shell 'bas'"},
            {"", OPT_USAGE_ERROR, "unknown shell ''"},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        char *argv[] = {(char *)cases[i].arg, NULL};
        int rc;

        shell_name = NULL;
        rc = opt_parse(shell_opts, 1, argv, 0, NULL, &err);
        if (rc != cases[i].rc ||
            (rc == OPT_OK ? !str_eq(shell_name, cases[i].want)
                          : !err.msg || !strstr(err.msg, cases[i].want) || shell_name)) {
            print_error("case %zu ('%s'): returned %d, value %s, message '%s'\n", i, cases[i].arg,
                        rc, show(shell_name), show(err.msg));
            bad++;
        }
        ds_error_release(&err);
    }
    if (bad)
        fail_msg("%d positional choice cases failed", bad);
}

/* ---- values checked while parsing: choices, durations, negative numbers ---------- */

static const char *v_format, *v_rev;
static int64_t v_timeout;

static const struct opt_spec value_opts[] = {
        {OPT_CHOICE, "format", 0, &v_format, "FORMAT", "table or json", 0, "table|json"},
        {OPT_DURATION, "timeout", 't', &v_timeout, "DURATION", "how long"},
        {OPT_ARG, "REVISION", 0, &v_rev, NULL, "a revision"},
        {0},
};

/* A digit as a short option: then "-1" is that option, not a positional. */
static bool v_one;
static const struct opt_spec digit_opts[] = {
        {OPT_BOOL, "one", '1', &v_one, NULL, "the first"},
        {OPT_ARG, "REVISION", 0, &v_rev, NULL, "a revision"},
        {0},
};

static void test_opt_values(void **state)
{
    static const struct {
        bool digits;
        const char *argv[4];
        int rc;
        const char *format, *rev, *err; /* what the targets hold, or what err.msg contains */
        int64_t timeout;
        bool one;
    } cases[] = {
            {false, {"--format", "json"}, OPT_OK, "json", NULL, NULL, -1, false},
            {false, {"--format=table"}, OPT_OK, "table", NULL, NULL, -1, false},
            {false,
             {"--format", "yaml"},
             OPT_USAGE_ERROR,
             NULL,
             NULL,
             "--format: unknown format 'yaml' (table or json)",
             -1,
             false},
            {false,
             {"--format", "jso"},
             OPT_USAGE_ERROR,
             NULL,
             NULL,
             "unknown format 'jso'",
             -1,
             false},
            {false, {"--format", ""}, OPT_USAGE_ERROR, NULL, NULL, "unknown format ''", -1, false},
            {false, {"-t", "90s"}, OPT_OK, NULL, NULL, NULL, 90 * NS_PER_SEC, false},
            {false, {"--timeout=1m30s"}, OPT_OK, NULL, NULL, NULL, 90 * NS_PER_SEC, false},
            {false, {"--timeout", "0"}, OPT_OK, NULL, NULL, NULL, 0, false},
            {false,
             {"--timeout", "soon"},
             OPT_USAGE_ERROR,
             NULL,
             NULL,
             "invalid --timeout 'soon' (a duration",
             -1,
             false},
            {false, {"-t", "-5s"}, OPT_USAGE_ERROR, NULL, NULL, "invalid -t '-5s'", -1, false},
            /* Alembic's relative revisions are arguments, as argparse takes them */
            {false, {"-1"}, OPT_OK, NULL, "-1", NULL, -1, false},
            {false, {"-t", "5s", "-12"}, OPT_OK, NULL, "-12", NULL, 5 * NS_PER_SEC, false},
            {false, {"-1x"}, OPT_USAGE_ERROR, NULL, NULL, "unknown option '-1'", -1, false},
            {false, {"-"}, OPT_OK, NULL, "-", NULL, -1, false},
            {true, {"-1"}, OPT_OK, NULL, NULL, NULL, -1, true},
            {true, {"--", "-1"}, OPT_OK, NULL, "-1", NULL, -1, false},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        char *argv[5] = {NULL};
        int argc = 0, rc;

        while (argc < 4 && cases[i].argv[argc]) {
            argv[argc] = (char *)cases[i].argv[argc];
            argc++;
        }
        v_format = v_rev = NULL;
        v_timeout = -1;
        v_one = false;
        rc = opt_parse(cases[i].digits ? digit_opts : value_opts, argc, argv, 0, NULL, &err);
        if (rc != cases[i].rc) {
            print_error("case %zu: returned %d, want %d (%s)\n", i, rc, cases[i].rc, show(err.msg));
            bad++;
        } else if (rc == OPT_USAGE_ERROR && (!err.msg || !strstr(err.msg, cases[i].err))) {
            print_error("case %zu: message '%s' lacks '%s'\n", i, show(err.msg), cases[i].err);
            bad++;
        } else if (rc == OPT_OK &&
                   (!str_eq(v_format, cases[i].format) || !str_eq(v_rev, cases[i].rev) ||
                    v_timeout != cases[i].timeout || v_one != cases[i].one)) {
            print_error("case %zu: format %s, revision %s, timeout %lld, one %d\n", i,
                        show(v_format), show(v_rev), (long long)v_timeout, v_one);
            bad++;
        }
        ds_error_release(&err);
    }
    if (bad)
        fail_msg("%d of %zu cases wrong", bad, ARRAY_SIZE(cases));
}

/* OPT_PARSE_STOP_AT_ARG with positionals: the first one ends the options, the rest is verbatim. */
static void test_opt_stop_at_arg_positionals(void **state)
{
    static const char *service;
    static struct strvec command = STRVEC_INIT;
    static bool tty;
    static const struct opt_spec exec_opts[] = {
            {OPT_BOOL, "no-tty", 'T', &tty, NULL, "no TTY"},
            {OPT_ARG, "SERVICE", 0, &service, NULL, "the service", OPT_REQUIRED},
            {OPT_ARGS, "COMMAND", 0, &command, NULL, "the command", OPT_REQUIRED},
            {0},
    };
    static const struct {
        const char *argv[6];
        int rc;
        const char *service, *command, *err;
        bool tty;
        int consumed;
    } cases[] = {
            {{"db", "mysql", "-e", "select 1"}, OPT_OK, "db", "mysql,-e,select 1", NULL, false, 0},
            {{"-T", "app", "ls", "-l"}, OPT_OK, "app", "ls,-l", NULL, true, 1},
            {{"-T", "--", "-app", "x"}, OPT_OK, "-app", "x", NULL, true, 2},
            {{"app", "-T"}, OPT_OK, "app", "-T", NULL, false, 0},
            {{"-T"}, OPT_USAGE_ERROR, NULL, NULL, "missing argument SERVICE", true, -1},
            {{"app"}, OPT_USAGE_ERROR, NULL, NULL, "missing argument COMMAND", false, -1},
            {{"--bogus", "app", "x"},
             OPT_USAGE_ERROR,
             NULL,
             NULL,
             "unknown option '--bogus'",
             false,
             -1},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        char *argv[7] = {NULL};
        int argc = 0, consumed = -1, rc;
        char *joined;

        while (argc < 6 && cases[i].argv[argc]) {
            argv[argc] = (char *)cases[i].argv[argc];
            argc++;
        }
        service = NULL;
        tty = false;
        strvec_clear(&command);
        rc = opt_parse(exec_opts, argc, argv, OPT_PARSE_STOP_AT_ARG, &consumed, &err);
        joined = join_vec(&command);
        if (rc != cases[i].rc) {
            print_error("case %zu: returned %d, want %d (%s)\n", i, rc, cases[i].rc, show(err.msg));
            bad++;
        } else if (rc == OPT_USAGE_ERROR && (!err.msg || !strstr(err.msg, cases[i].err))) {
            print_error("case %zu: message '%s' lacks '%s'\n", i, show(err.msg), cases[i].err);
            bad++;
        } else if (rc == OPT_OK &&
                   (!str_eq(service, cases[i].service) || strcmp(joined, cases[i].command) ||
                    tty != cases[i].tty || consumed != cases[i].consumed)) {
            print_error("case %zu: service %s, command '%s', tty %d, consumed %d\n", i,
                        show(service), joined, tty, consumed);
            bad++;
        }
        free(joined);
        ds_error_release(&err);
    }
    strvec_clear(&command);
    if (bad)
        fail_msg("%d of %zu cases wrong", bad, ARRAY_SIZE(cases));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_opt_parse_table),
            cmocka_unit_test(test_opt_parse_points_into_argv),
            cmocka_unit_test(test_opt_parse_stop_at_arg),
            cmocka_unit_test(test_opt_print_usage),
            cmocka_unit_test(test_opt_print_help),
            cmocka_unit_test(test_opt_short_only_option),
            cmocka_unit_test(test_opt_values),
            cmocka_unit_test(test_opt_positional_choice),
            cmocka_unit_test(test_opt_stop_at_arg_positionals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
