/* Durations as Compose writes them ("1m30s", "500ms") and as Go prints them. */
#ifndef DEVSTACK_DURATION_H
#define DEVSTACK_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define NS_PER_SEC 1000000000LL

/*
 * Parse a Go-style duration: a sequence of decimal numbers with units h, m,
 * s, ms, us (or µs), ns, like "1h30m", "1.5s", "500ms". A bare whole number
 * is seconds, as in older compose files. Returns 0 or -1.
 */
int duration_parse(const char *s, int64_t *ns);

/* Format as Go's time.Duration.String() does: "1m30s", "1h0m0s", "500ms", "0s". */
void duration_format(int64_t ns, char *out, size_t size);

#endif
