/* Small string helpers that libc lacks. */
#ifndef DEVSTACK_STRUTIL_H
#define DEVSTACK_STRUTIL_H

#include <stdbool.h>
#include <stdint.h>

bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
/* If s starts with prefix, point *rest just past it and return true. */
bool str_skip_prefix(const char *s, const char *prefix, const char **rest);
/*
 * Parse a whole string as a base-10 integer within [min, max]. No sign games,
 * no trailing garbage, no empty string. Returns 0 or -1.
 */
int str_to_int64(const char *s, int64_t min, int64_t max, int64_t *out);
int str_to_int(const char *s, int min, int max, int *out);
/* The value of a hexadecimal digit (either case), or -1. */
int str_hex_value(int c);

#endif
