/*
 * docker stats' figures from one engine sample (CPU from the two samples'
 * deltas, memory without the inactive page cache) and the sizes as docker
 * prints them.
 */
#include <math.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/control.h"
#include "util/buf.h"
#include "util/size.h"
#include "util/banned.h"

static void test_compute(void **state)
{
    static const struct {
        struct engine_stats in;
        double cpu, mem;
        uint64_t usage;
    } cases[] = {
            /* 2 CPUs, 1/4 of the host's time delta: 50% */
            {{.cpu_total = 2000,
              .precpu_total = 1000,
              .system_cpu = 8000,
              .presystem_cpu = 4000,
              .online_cpus = 2,
              .mem_usage = 1000,
              .mem_limit = 4000},
             50.0,
             25.0,
             1000},
            /* cgroup v1 cache left out */
            {{.mem_usage = 1000,
              .mem_limit = 2000,
              .mem_inactive_file = 500,
              .has_inactive_file = true},
             0.0,
             25.0,
             500},
            /* a cache larger than the usage is not subtracted */
            {{.mem_usage = 100,
              .mem_limit = 1000,
              .mem_inactive_file = 500,
              .has_inactive_file = true},
             0.0,
             10.0,
             100},
            /* no system delta (first sample) and no limit: zeros */
            {{.cpu_total = 10, .precpu_total = 5, .mem_usage = 7}, 0.0, 0.0, 7},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stack_stats_row row;

        memset(&row, 0, sizeof(row));
        stack_stats_compute(&cases[i].in, &row);
        assert_true(fabs(row.cpu_percent - cases[i].cpu) < 1e-9);
        assert_true(fabs(row.mem_percent - cases[i].mem) < 1e-9);
        assert_int_equal(row.mem_usage, cases[i].usage);
    }
}

static void test_docker_sizes(void **state)
{
    static const struct {
        uint64_t bytes;
        enum size_style style;
        const char *want;
    } cases[] = {
            {0, SIZE_DOCKER, "0B"},
            {999, SIZE_DOCKER, "999B"},
            {1600, SIZE_DOCKER, "1.6kB"},
            {1984172, SIZE_DOCKER, "1.98MB"},
            {0, SIZE_DOCKER_BINARY, "0B"},
            {479232, SIZE_DOCKER_BINARY, "468KiB"},
            {25275645952ull, SIZE_DOCKER_BINARY, "23.54GiB"},
            {1536, SIZE_DOCKER_BINARY, "1.5KiB"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b = BUF_INIT;

        size_format(&b, cases[i].bytes, cases[i].style);
        assert_string_equal(b.buf, cases[i].want);
        buf_release(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_compute),
            cmocka_unit_test(test_docker_sizes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
