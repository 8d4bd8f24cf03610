/* Durations as Compose writes them ("1m30s", "500ms") and as Go prints them. */
#ifndef DEVSTACK_DURATION_H
#define DEVSTACK_DURATION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NS_PER_SEC 1000000000LL

/*
 * Parse a Go-style duration: a sequence of decimal numbers with units h, m,
 * s, ms, us (or µs), ns, like "1h30m", "1.5s", "500ms". A bare whole number
 * is seconds, as in older compose files. Returns 0 or -1.
 */
int duration_parse(const char *s, int64_t *ns);

/* Format as Go's time.Duration.String() does: "1m30s", "1h0m0s", "500ms", "0s". */
void duration_format(int64_t ns, char *out, size_t size);

/*
 * A point in time as `logs --since/--until` take it, in unix seconds: a
 * duration back from `now` ("10m", "1h30m"), unix seconds ("1700000000",
 * fraction allowed), or an RFC 3339 date ("2026-11-21T10:00:00Z",
 * "2026-11-21T10:00:00.5+01:00", "2026-11-21" for midnight UTC). Returns 0
 * or -1.
 */
int time_parse(const char *s, int64_t now, int64_t *out);
/* An RFC 3339 date as the engine writes them, to the nanosecond. Returns 0 or -1. */
int time_parse_ns(const char *s, int64_t *sec, int64_t *nsec);

#endif
