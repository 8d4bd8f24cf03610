/* Log lines: split across frames and reads in any way, prefixed and aligned; --since times. */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/logs.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/duration.h"
#include "util/term.h"
#include "util/banned.h"

struct collected {
    struct buf text; /* "1:line\n" per line */
};

static void collect(int stream, const char *line, size_t len, void *ud)
{
    struct collected *c = ud;

    buf_addf(&c->text, "%d:%.*s\n", stream, (int)len, line);
}

/* Output of two streams, interleaved as a container writes it. */
static const struct {
    int stream;
    const char *data;
} pieces[] = {
        {1, "first line\nsecond "},
        {2, "err one"},
        {1, "line continued\n"},
        {2, " still err\r\n"},
        {1, "\n"}, /* an empty line */
        {1, "a\nb\nc\nno newline at the end"},
        {2, "last error without newline"},
};

static const char expected[] = "1:first line\n"
                               "1:second line continued\n"
                               "2:err one still err\n"
                               "1:\n"
                               "1:a\n"
                               "1:b\n"
                               "1:c\n"
                               "1:no newline at the end\n"
                               "2:last error without newline\n";

static void test_lines_whole_pieces(void **state)
{
    struct stack_lines l;
    struct collected c = {BUF_INIT};

    (void)state;
    stack_lines_init(&l);
    for (size_t i = 0; i < ARRAY_SIZE(pieces); i++)
        stack_lines_feed(&l, pieces[i].stream, pieces[i].data, strlen(pieces[i].data), collect, &c);
    stack_lines_flush(&l, collect, &c);
    assert_string_equal(c.text.buf, expected);
    stack_lines_release(&l);
    buf_release(&c.text);
}

/* Each piece cut further, one byte at a time and at random: the same lines come out. */
static void test_lines_any_split(void **state)
{
    unsigned seed = 99;

    (void)state;
    for (int round = 0; round < 200; round++) {
        struct stack_lines l;
        struct collected c = {BUF_INIT};

        stack_lines_init(&l);
        for (size_t i = 0; i < ARRAY_SIZE(pieces); i++) {
            const char *d = pieces[i].data;
            size_t len = strlen(d), pos = 0;

            while (pos < len) {
                size_t take = round == 0 ? 1 : 1 + (size_t)rand_r(&seed) % 6;
                if (take > len - pos)
                    take = len - pos;
                stack_lines_feed(&l, pieces[i].stream, d + pos, take, collect, &c);
                pos += take;
            }
        }
        stack_lines_flush(&l, collect, &c);
        if (strcmp(c.text.buf, expected))
            fail_msg("round %d:\n%s", round, c.text.buf);
        stack_lines_release(&l);
        buf_release(&c.text);
    }
}

static void test_log_format(void **state)
{
    static const struct {
        const char *service;
        size_t width;
        const char *color;
        bool prefix;
        const char *line, *expect;
    } cases[] = {
            {"db", 7, NULL, true, "ready", "db      | ready\n"},
            {"backend", 7, NULL, true, "started", "backend | started\n"},
            {"nginx", 5, NULL, true, "", "nginx | \n"},
            {"longername", 3, NULL, true, "x", "longername | x\n"}, /* never cut */
            {"db", 7, NULL, false, "ready", "ready\n"},
            {"db", 2, "\033[36m", true, "ready", "\033[36mdb |" TERM_RESET " ready\n"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf out = BUF_INIT;

        stack_log_format(&out, cases[i].service, cases[i].width, cases[i].color, cases[i].prefix,
                         cases[i].line, strlen(cases[i].line));
        if (strcmp(out.buf, cases[i].expect))
            fail_msg("case %zu: '%s'", i, out.buf);
        buf_release(&out);
    }
}

static void test_time_parse(void **state)
{
    static const struct {
        const char *text;
        int rc;
        int64_t value;
    } cases[] = {
            {"10m", 0, 1800000000 - 600},
            {"1h30m", 0, 1800000000 - 5400},
            {"45s", 0, 1800000000 - 45},
            {"1700000000", 0, 1700000000},
            {"1700000000.5", 0, 1700000000},
            {"2026-11-21T10:00:00Z", 0, 1795255200},
            {"2026-11-21T10:00:00.123456789Z", 0, 1795255200},
            {"2026-11-21T11:00:00+01:00", 0, 1795255200},
            {"2026-11-21T09:30:00-00:30", 0, 1795255200},
            {"2026-11-21", 0, 1795219200},
            {"", -1, 0},
            {"yesterday", -1, 0},
            {"2026-13-45", -1, 0},
            {"2026-11-21T10:00", -1, 0},
            {"2026-11-21T10:00:00+0100", -1, 0},
            {"10 m", -1, 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t v = -7;
        int rc = time_parse(cases[i].text, 1800000000, &v);

        if (rc != cases[i].rc || (rc == 0 && v != cases[i].value))
            fail_msg("'%s': rc %d value %lld, expected %d %lld", cases[i].text, rc, (long long)v,
                     cases[i].rc, (long long)cases[i].value);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lines_whole_pieces),
            cmocka_unit_test(test_lines_any_split),
            cmocka_unit_test(test_log_format),
            cmocka_unit_test(test_time_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
