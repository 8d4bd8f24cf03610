/*
 * Lines out of a byte stream (src/util/lines.c): whole lines, lines cut at
 * their cap, whatever pieces the stream arrives in.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/lines.h"
#include "util/banned.h"

/* Each line as "[text]", a piece of a longer line as "[text>". */
static int collect(const char *line, size_t len, bool split, void *ud)
{
    struct buf *out = ud;

    buf_addch(out, '[');
    buf_add(out, line, len);
    buf_addch(out, split ? '>' : ']');
    return 0;
}

static const struct {
    size_t max;
    const char *in, *expect;
} cases[] = {
        {8, "", ""},
        {8, "a\nb\n", "[a][b]"},
        {8, "\n\n", "[][]"},
        {8, "crlf\r\n", "[crlf]"},
        {8, "no end", "[no end]"},
        {8, "12345678\n", "[12345678]"},     /* exactly the cap: one line */
        {8, "123456789\n", "[12345678>[9]"}, /* one past: cut */
        {8, "1234567890123456\n", "[12345678>[90123456]"},
        {8, "12345678901234567", "[12345678>[90123456>[7]"},
        {8, "1234567\r\n", "[1234567]"},
        {8, "a\n123456789012\nb", "[a][12345678>[9012][b]"},
        {1, "abc\n", "[a>[b>[c]"},
        {1, "\n", "[]"},
        {4, "abcd\r\n", "[abcd>[]"}, /* the '\r' past the cap ends the line it starts */
};

static char *run(size_t max, const char *in, unsigned *seed)
{
    struct lines l;
    struct buf out = BUF_INIT;
    size_t len = strlen(in), pos = 0;

    lines_init(&l, max);
    while (pos < len) {
        size_t take = seed ? 1 + (size_t)rand_r(seed) % 5 : len;

        if (take > len - pos)
            take = len - pos;
        assert_int_equal(lines_feed(&l, in + pos, take, collect, &out), 0);
        /* memory stays within the cap */
        assert_true(l.held.len <= max);
        pos += take;
    }
    assert_int_equal(lines_flush(&l, collect, &out), 0);
    assert_int_equal(l.held.len, 0);
    lines_release(&l);
    return buf_detach(&out, NULL);
}

static void test_lines_cases(void **state)
{
    unsigned seed = 7;
    int failed = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        for (int round = 0; round < 50; round++) {
            char *got = run(cases[i].max, cases[i].in, round ? &seed : NULL);

            if (strcmp(got, cases[i].expect)) {
                print_error("case %zu round %d: '%s', expected '%s'\n", i, round, got,
                            cases[i].expect);
                failed++;
                round = 50;
            }
            free(got);
        }
    }
    assert_int_equal(failed, 0);
}

/* 64 MiB without a newline in 64 kB pieces: cut at LINES_MAX, never more held. */
static void test_lines_long_line_flat(void **state)
{
    struct lines l = LINES_INIT;
    struct buf out = BUF_INIT;
    char *chunk = xmalloc(65536);
    size_t total = 0;

    (void)state;
    memset(chunk, 'x', 65536);
    for (int i = 0; i < 1024; i++) {
        assert_int_equal(lines_feed(&l, chunk, 65536, collect, &out), 0);
        assert_true(l.held.alloc <= 2 * (LINES_MAX + 1)); /* the buffer grows by doubling */
        total += out.len;
        buf_reset(&out);
    }
    assert_int_equal(lines_flush(&l, collect, &out), 0);
    total += out.len;
    /* 64 pieces of LINES_MAX bytes, two brackets each */
    assert_int_equal(total, 64u * (LINES_MAX + 2));
    lines_release(&l);
    buf_release(&out);
    free(chunk);
}

static int stop_at_second(const char *line, size_t len, bool split, void *ud)
{
    int *count = ud;

    (void)line;
    (void)len;
    (void)split;
    return ++*count == 2 ? -5 : 0;
}

static void test_lines_stop(void **state)
{
    struct lines l;
    int count = 0;

    (void)state;
    lines_init(&l, 0);
    assert_int_equal(lines_feed(&l, "a\nb\nc\n", 6, stop_at_second, &count), -5);
    assert_int_equal(count, 2);
    lines_release(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lines_cases),
            cmocka_unit_test(test_lines_long_line_flat),
            cmocka_unit_test(test_lines_stop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
