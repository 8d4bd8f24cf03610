/*
 * Every parser of a size, number, duration or time, on the inputs that a
 * library call (strtod, strtoll, sscanf, strptime) takes too readily: nan,
 * inf, overflow, leading space or sign, empty, hex, exponents. One table per
 * parser; every row runs, each mismatch is printed, the test fails once.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "compose/internal.h"
#include "util/alloc.h"
#include "util/duration.h"
#include "util/opt.h"
#include "util/strutil.h"
#include "util/banned.h"

struct row {
    const char *text;
    int rc; /* 0 or -1 */
    int64_t value;
};

/* The inputs every parser here must refuse. */
static const char *const bad_everywhere[] = {
        "",    " ",  "nan", "NaN", "-nan", "inf", "-inf", "+inf", "infinity", " 5", "5 ", "\t5",
        "\n5", "+5", "-5",  " -5", "0x10", "1e3", "1e30", "5\n",  "five",     ".",  "-",  "--5",
};

typedef int (*parse_fn)(const char *s, int64_t *out);

static int check_rows(const char *name, parse_fn fn, const struct row *rows, size_t n)
{
    int bad = 0;

    for (size_t i = 0; i < n; i++) {
        int64_t out = 12345;
        int rc = fn(rows[i].text, &out);

        if (rc != rows[i].rc || (rc == 0 && out != rows[i].value)) {
            print_error("%s(\"%s\"): rc %d value %lld, expected rc %d value %lld\n", name,
                        rows[i].text, rc, (long long)out, rows[i].rc, (long long)rows[i].value);
            bad++;
        } else if (rc < 0 && out != 12345) {
            print_error("%s(\"%s\"): failed but wrote %lld\n", name, rows[i].text, (long long)out);
            bad++;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad_everywhere); i++) {
        int64_t out = 12345;

        if (fn(bad_everywhere[i], &out) == 0) {
            print_error("%s(\"%s\"): accepted as %lld\n", name, bad_everywhere[i], (long long)out);
            bad++;
        }
    }
    return bad;
}

/* ---- sizes (shm_size, tmpfs size) ------------------------------------------ */

static void test_parse_bytes(void **state)
{
    static const struct row rows[] = {
            {"0", 0, 0},
            {"1024", 0, 1024},
            {"1b", 0, 1},
            {"64m", 0, 64LL << 20},
            {"64M", 0, 64LL << 20},
            {"64mb", 0, 64LL << 20},
            {"1k", 0, 1024},
            {"1KB", 0, 1024},
            {"1.5g", 0, 3LL << 29},
            {"0.5k", 0, 512},
            {"8388608g", 0, 1LL << 53}, /* the most: what a JSON number carries exactly */
            {"9007199254740992", 0, 1LL << 53},
            {"9007199254740993", -1, 0},
            {"8388608.5g", -1, 0},
            {"9223372036854775807", -1, 0},
            {"9223372036854775808", -1, 0},
            {"8589934592g", -1, 0}, /* 2^63 */
            {"99999999999999999999", -1, 0},
            {"1.", -1, 0},
            {".5k", -1, 0},
            {"1.5.5", -1, 0},
            {"1kk", -1, 0},
            {"1bb", -1, 0},
            {"1t", -1, 0},
            {"1 m", -1, 0},
            {"64m ", -1, 0},
            {"nanm", -1, 0},
    };

    (void)state;
    assert_int_equal(check_rows("parse_bytes", parse_bytes, rows, ARRAY_SIZE(rows)), 0);
}

/* ---- durations (compose files, --timeout) ---------------------------------- */

static void test_duration_bounds(void **state)
{
    static const struct row rows[] = {
            {"0", 0, 0},
            {"90", 0, 90 * NS_PER_SEC},
            {"1m30s", 0, 90 * NS_PER_SEC},
            {"1.5s", 0, 1500000000},
            {"4294967296ms", 0, 4294967296LL * 1000000},
            {"9223372036s", 0, 9223372036LL * NS_PER_SEC},
            {"9223372036.854775s", 0, 9223372036854775000LL},
            {"9223372036.9s", -1, 0},
            {"9223372037s", -1, 0},
            {"2562048h", -1, 0},
            {"9223372036854775807ns", 0, INT64_MAX},
            {"9223372036854775808ns", -1, 0},
            {"9223372036", 0, 9223372036LL * NS_PER_SEC}, /* a bare number is seconds */
            {"9223372037", -1, 0},
            {"99999999999999999999", -1, 0},
            {"1h1h", 0, 7200 * NS_PER_SEC},
            {"5x", -1, 0},
            {"s", -1, 0},
            {".s", -1, 0},
            {"1e3s", -1, 0},
            {"nans", -1, 0},
            {"infs", -1, 0},
    };

    (void)state;
    assert_int_equal(check_rows("duration_parse", duration_parse, rows, ARRAY_SIZE(rows)), 0);
}

/* ---- times (logs --since/--until) ------------------------------------------ */

static int time_at_0(const char *s, int64_t *out)
{
    return time_parse(s, 1800000000, out);
}

static void test_time_bounds(void **state)
{
    static const struct row rows[] = {
            {"1700000000", 0, 1700000000},
            {"10m", 0, 1800000000 - 600},
            {"2026-11-21T10:00:00Z", 0, 1795255200},
            {"2026-11-21T11:00:00+01:00", 0, 1795255200},
            {"2026-11-21T11:00:00+-1:00", -1, 0},
            {"2026-11-21T11:00:00+ 1:00", -1, 0},
            {"2026-11-21T11:00:00+24:00", -1, 0},
            {"2026-11-21T11:00:00+01:60", -1, 0},
            {" 2026-11-21", -1, 0},
            {"+2026-11-21", -1, 0},
            {"-2026-11-21", -1, 0},
            {"99999999999999999999", -1, 0},
    };

    (void)state;
    assert_int_equal(check_rows("time_parse", time_at_0, rows, ARRAY_SIZE(rows)), 0);
}

/* ---- whole numbers (ports, scale, --tail-like options) -------------------- */

static int int_0_65535(const char *s, int64_t *out)
{
    return str_to_int64(s, 0, 65535, out);
}

static void test_int_bounds(void **state)
{
    static const struct row rows[] = {
            {"0", 0, 0},
            {"65535", 0, 65535},
            {"65536", -1, 0},
            {"007", 0, 7},
            {"9223372036854775808", -1, 0},
            {"1.5", -1, 0},
            {"-0", 0, 0}, /* strtoll's "-0" is 0: within any range that has 0 */
    };

    (void)state;
    assert_int_equal(check_rows("str_to_int64", int_0_65535, rows, ARRAY_SIZE(rows)), 0);
}

/* ---- command-line durations and numbers: the option is named -------------- */

static void test_opt_bounds(void **state)
{
    static int64_t timeout;
    static int count;
    static const struct opt_spec specs[] = {
            {OPT_DURATION, "timeout", 't', &timeout, "DURATION", "how long"},
            {OPT_INT, "count", 'n', &count, "N", "how many"},
            {0},
    };
    static const struct {
        const char *arg;
        int rc;
        const char *message; /* a part of the error */
    } rows[] = {
            {"--timeout=24h", OPT_OK, NULL},
            {"--timeout=4294967296ms", OPT_USAGE_ERROR,
             "invalid --timeout '4294967296ms': longer than 24h"},
            {"--timeout=24h1ns", OPT_USAGE_ERROR, "longer than 24h"},
            {"--timeout=nan", OPT_USAGE_ERROR, "invalid --timeout 'nan'"},
            {"--timeout=inf", OPT_USAGE_ERROR, "invalid --timeout 'inf'"},
            {"--timeout= 5s", OPT_USAGE_ERROR, "invalid --timeout ' 5s'"},
            {"--timeout=-5s", OPT_USAGE_ERROR, "invalid --timeout '-5s'"},
            {"--timeout=", OPT_USAGE_ERROR, "invalid --timeout ''"},
            {"--count=5", OPT_OK, NULL},
            {"--count= 5", OPT_USAGE_ERROR, "'--count' expects a number, not ' 5'"},
            {"--count=-5", OPT_USAGE_ERROR, "'--count' expects a number"},
            {"--count=+5", OPT_USAGE_ERROR, "'--count' expects a number"},
            {"--count=nan", OPT_USAGE_ERROR, "'--count' expects a number"},
            {"--count=4294967296", OPT_USAGE_ERROR, "'--count' expects a number"},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        char *argv[] = {(char *)rows[i].arg, NULL};
        struct ds_error err = DS_ERROR_INIT;
        int consumed = 0;
        int rc = opt_parse(specs, 1, argv, 0, &consumed, &err);

        if (rc != rows[i].rc ||
            (rows[i].message && (!err.msg || !strstr(err.msg, rows[i].message)))) {
            print_error("%s: rc %d '%s', expected rc %d '%s'\n", rows[i].arg, rc,
                        err.msg ? err.msg : "", rows[i].rc, rows[i].message ? rows[i].message : "");
            bad++;
        }
        ds_error_release(&err);
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_bytes), cmocka_unit_test(test_duration_bounds),
            cmocka_unit_test(test_time_bounds), cmocka_unit_test(test_int_bounds),
            cmocka_unit_test(test_opt_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
