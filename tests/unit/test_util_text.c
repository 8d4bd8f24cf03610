/* Durations (Go's syntax both ways), shell word splitting, byte sizes (parsed and shown), the
 * arena. */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "compose/internal.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/duration.h"
#include "util/shellwords.h"
#include "util/size.h"
#include "util/banned.h"

static void test_duration_parse(void **state)
{
    static const struct {
        const char *text;
        int rc;
        int64_t ns;
    } cases[] = {
            {"10s", 0, 10 * NS_PER_SEC},
            {"1m30s", 0, 90 * NS_PER_SEC},
            {"1h", 0, 3600 * NS_PER_SEC},
            {"1h2m3s", 0, 3723 * NS_PER_SEC},
            {"500ms", 0, 500000000},
            {"1.5s", 0, 1500000000},
            {"0.25m", 0, 15 * NS_PER_SEC},
            {"2us", 0, 2000},
            {"2\xc2\xb5s", 0, 2000},
            {"100ns", 0, 100},
            {"1m0.5s", 0, 60500000000LL},
            {"0", 0, 0},
            {"30", 0, 30 * NS_PER_SEC}, /* a bare number is seconds */
            {"0s", 0, 0},
            {"", -1, 0},
            {"s", -1, 0},
            {"10", 0, 10 * NS_PER_SEC},
            {"10 s", -1, 0},
            {"10sec", -1, 0},
            {"-5s", -1, 0},
            {"1d", -1, 0},
            {"1.s", 0, NS_PER_SEC},
            {".5s", 0, 500000000},
            {"1e3s", -1, 0},
            {"99999999999999999999h", -1, 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t ns = -7;
        int rc = duration_parse(cases[i].text, &ns);

        if (rc != cases[i].rc || (rc == 0 && ns != cases[i].ns))
            fail_msg("'%s': rc %d ns %lld", cases[i].text, rc, (long long)ns);
    }
}

static void test_duration_format(void **state)
{
    static const struct {
        int64_t ns;
        const char *text;
    } cases[] = {
            {0, "0s"},
            {1, "1ns"},
            {1500, "1.5\xc2\xb5s"},
            {500000000, "500ms"},
            {1500000, "1.5ms"},
            {NS_PER_SEC, "1s"},
            {1500000000, "1.5s"},
            {10 * NS_PER_SEC, "10s"},
            {90 * NS_PER_SEC, "1m30s"},
            {60 * NS_PER_SEC, "1m0s"},
            {3600 * NS_PER_SEC, "1h0m0s"},
            {3723 * NS_PER_SEC, "1h2m3s"},
            {100 * 3600 * NS_PER_SEC, "100h0m0s"},
            {60500000000LL, "1m0.5s"},
            {-NS_PER_SEC, "-1s"},
    };
    char out[64];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        duration_format(cases[i].ns, out, sizeof(out));
        if (strcmp(out, cases[i].text))
            fail_msg("%lld ns: '%s', expected '%s'", (long long)cases[i].ns, out, cases[i].text);
    }
}

static void test_shellwords(void **state)
{
    static const struct {
        const char *in;
        const char *words; /* joined with '|'; NULL: an error */
    } cases[] = {
            {"echo hello", "echo|hello"},
            {"  spaced   out  ", "spaced|out"},
            {"", ""},
            {"a 'b c' d", "a|b c|d"},
            {"a \"b c\" d", "a|b c|d"},
            {"'it''s'", "its"},
            {"\"say \\\"hi\\\"\"", "say \"hi\""},
            {"\"keep \\n\"", "keep \\n"},
            {"\"\\$HOME\"", "$HOME"},
            {"'$HOME'", "$HOME"},
            {"a\\ b", "a b"},
            {"x=\"1 2\"y", "x=1 2y"},
            {"''", ""},
            {"a '' b", "a||b"},
            {"tab\tsep\nline", "tab|sep|line"},
            {"uvicorn app.main:app --host 0.0.0.0", "uvicorn|app.main:app|--host|0.0.0.0"},
            {"sh -c 'echo $$ && exit 1'", "sh|-c|echo $$ && exit 1"},
            {"'unterminated", NULL},
            {"\"unterminated", NULL},
            {"trailing\\", NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strvec words = STRVEC_INIT;
        struct ds_error err = DS_ERROR_INIT;
        struct buf joined = BUF_INIT;
        int rc = shellwords_split(&words, cases[i].in, &err);

        if (!cases[i].words) {
            if (rc != DS_EINVAL)
                fail_msg("'%s': should fail", cases[i].in);
        } else {
            for (size_t k = 0; k < words.n; k++)
                buf_addf(&joined, "%s%s", k ? "|" : "", words.v[k]);
            if (rc != 0 || strcmp(joined.buf, cases[i].words))
                fail_msg("'%s': got '%s' (rc %d), expected '%s'", cases[i].in, joined.buf, rc,
                         cases[i].words);
        }
        strvec_clear(&words);
        buf_release(&joined);
        ds_error_release(&err);
    }
}

static void test_parse_bytes(void **state)
{
    static const struct {
        const char *text;
        int rc;
        int64_t bytes;
    } cases[] = {
            {"100", 0, 100},      {"1k", 0, 1024},       {"64m", 0, 64 << 20}, {"64M", 0, 64 << 20},
            {"1g", 0, 1LL << 30}, {"2gb", 0, 2LL << 30}, {"512b", 0, 512},     {"1.5k", 0, 1536},
            {"", -1, 0},          {"m", -1, 0},          {"-1m", -1, 0},       {"10x", -1, 0},
            {"1t", -1, 0},        {"10 m", -1, 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t v = -7;
        int rc = parse_bytes(cases[i].text, &v);

        if (rc != cases[i].rc || (rc == 0 && v != cases[i].bytes))
            fail_msg("'%s': rc %d value %lld", cases[i].text, rc, (long long)v);
    }
}

static void test_arena(void **state)
{
    struct arena a = ARENA_INIT;
    char *first = NULL;

    (void)state;
    /* many small pieces and a few big ones, all usable and zeroed */
    for (int i = 0; i < 20000; i++) {
        unsigned char *p = arena_alloc(&a, (size_t)(i % 97) + 1);

        for (int k = 0; k < i % 97 + 1; k++)
            assert_int_equal(p[k], 0);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)(i % 97) + 1);
        if (i == 0)
            first = (char *)p;
        if (i % 5000 == 0) {
            unsigned char *big = arena_alloc(&a, 100000);
            assert_int_equal(big[99999], 0);
            memset(big, 1, 100000);
        }
    }
    assert_int_equal((unsigned char)first[0], 0xab); /* earlier pieces are not moved */
    assert_string_equal(arena_strdup(&a, "hello"), "hello");
    assert_string_equal(arena_strndup(&a, "hello world", 5), "hello");
    arena_release(&a);
    assert_null(a.head);
    /* reusable after release */
    assert_string_equal(arena_strdup(&a, "again"), "again");
    arena_release(&a);
}

/* One formatter, three styles: listings, pull progress (docker's), and disk space. */
static void test_size_format(void **state)
{
    static const struct {
        uint64_t bytes;
        enum size_style style;
        const char *want;
    } cases[] = {
            {0, SIZE_DECIMAL, "0 B"},
            {999, SIZE_DECIMAL, "999 B"},
            {1000, SIZE_DECIMAL, "1.0 kB"},
            {1499, SIZE_DECIMAL, "1.5 kB"},
            {9949, SIZE_DECIMAL, "9.9 kB"},
            {9950, SIZE_DECIMAL, "10 kB"},
            {999499, SIZE_DECIMAL, "999 kB"},
            {999500, SIZE_DECIMAL, "1.0 MB"},
            {123456789, SIZE_DECIMAL, "123 MB"},
            {1200000000, SIZE_DECIMAL, "1.2 GB"},
            {UINT64_MAX, SIZE_DECIMAL, "18 EB"},
            {0, SIZE_PROGRESS, "0B"},
            {999, SIZE_PROGRESS, "999B"},
            {1000, SIZE_PROGRESS, "1.0kB"},
            {4096, SIZE_PROGRESS, "4.1kB"},
            {45200000, SIZE_PROGRESS, "45.2MB"},
            {120000000, SIZE_PROGRESS, "120.0MB"},
            {999949, SIZE_PROGRESS, "999.9kB"},
            {999960, SIZE_PROGRESS, "1.0MB"},
            {1300000000, SIZE_PROGRESS, "1.3GB"},
            {2500000000000, SIZE_PROGRESS, "2.5TB"},
            {7000000000000000, SIZE_PROGRESS, "7000.0TB"},
            {0, SIZE_BINARY, "0 B"},
            {1023, SIZE_BINARY, "1023 B"},
            {1024, SIZE_BINARY, "1.0 KiB"},
            {1536, SIZE_BINARY, "1.5 KiB"},
            {5ULL << 30, SIZE_BINARY, "5.0 GiB"},
            {(252ULL << 30) + (512ULL << 20), SIZE_BINARY, "252.5 GiB"},
            {3ULL << 40, SIZE_BINARY, "3.0 TiB"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;

        size_format(&b, cases[i].bytes, cases[i].style);
        if (strcmp(b.buf, cases[i].want))
            fail_msg("%llu bytes, style %d: got '%s', want '%s'",
                     (unsigned long long)cases[i].bytes, (int)cases[i].style, b.buf, cases[i].want);
        buf_release(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_duration_parse), cmocka_unit_test(test_duration_format),
            cmocka_unit_test(test_shellwords),     cmocka_unit_test(test_parse_bytes),
            cmocka_unit_test(test_arena),          cmocka_unit_test(test_size_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
