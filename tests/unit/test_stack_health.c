/* When devstack runs a healthcheck the engine has not run (Podman without systemd). */
#include <stdint.h>

#include "lib/testlib.h"
#include "stack/internal.h"
#include "util/alloc.h"
#include "util/duration.h"
#include "util/banned.h"

/* 2026-12-03T08:00:00Z */
#define T0 (INT64_C(1796284800) * NS_PER_SEC)
#define MS (NS_PER_SEC / 1000)

static void test_overdue(void **state)
{
    static const struct {
        const char *what;
        const char *started_at, *last_end;
        int64_t interval_ns, now_ns;
        bool overdue;
    } cases[] = {
            {"no check yet, started an interval and a second ago", "2026-12-03T08:00:00Z", NULL,
             NS_PER_SEC, T0 + 2 * NS_PER_SEC, true},
            {"no check yet, started an interval ago: a timer may still run it",
             "2026-12-03T08:00:00Z", NULL, NS_PER_SEC, T0 + 1999 * MS, false},
            {"no check yet, just started", "2026-12-03T08:00:00.5Z", NULL, NS_PER_SEC,
             T0 + 600 * MS, false},
            {"the last check ended long ago", "2026-12-03T07:00:00Z",
             "2026-12-03T08:00:00.250000000Z", 5 * NS_PER_SEC, T0 + 6250 * MS, true},
            {"the last check ended within the interval", "2026-12-03T07:00:00Z",
             "2026-12-03T08:00:00.250000000Z", 5 * NS_PER_SEC, T0 + 6249 * MS, false},
            {"the last check counts, not the start", "2026-12-03T07:00:00Z", "2026-12-03T08:00:00Z",
             NS_PER_SEC, T0 + 500 * MS, false},
            {"no interval given: 30s, as Docker and Podman", "2026-12-03T08:00:00Z", NULL, 0,
             T0 + 30 * NS_PER_SEC, false},
            {"no interval given: overdue after 31s", "2026-12-03T08:00:00Z", NULL, 0,
             T0 + 31 * NS_PER_SEC, true},
            {"nanoseconds as the engine writes them", "2026-12-03T07:59:57.98823495Z", NULL,
             NS_PER_SEC, T0, true},
            {"... to the nanosecond", "2026-12-03T07:59:58.000000001Z", NULL, NS_PER_SEC, T0,
             false},
            {"an offset", "2026-12-03T09:00:00+01:00", NULL, NS_PER_SEC, T0 + 2 * NS_PER_SEC, true},
            {"Go's zero time: never started", "0001-01-01T00:00:00Z", NULL, NS_PER_SEC, T0, false},
            {"no start time", NULL, NULL, NS_PER_SEC, T0, false},
            {"an unreadable start time", "yesterday", NULL, NS_PER_SEC, T0, false},
            {"an unreadable last end falls back on the start", "2026-12-03T07:00:00Z", "soon",
             NS_PER_SEC, T0, true},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        bool got = stack_health_overdue(cases[i].started_at, cases[i].last_end,
                                        cases[i].interval_ns, cases[i].now_ns);

        if (got != cases[i].overdue)
            fail_msg("%s: overdue is %d, want %d", cases[i].what, got, cases[i].overdue);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_overdue),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
