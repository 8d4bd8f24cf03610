/* Split a command string into words as a POSIX shell would, without expanding anything. */
#ifndef DEVSTACK_SHELLWORDS_H
#define DEVSTACK_SHELLWORDS_H

#include "util/error.h"
#include "util/strvec.h"

/*
 * Words are separated by blanks; 'single quotes' keep everything; "double
 * quotes" keep everything but \" \\ \$ \` (escapes); a backslash outside
 * quotes keeps the next character. `command: echo "a b" c` gives
 * {"echo", "a b", "c"}. An unterminated quote or a trailing backslash is
 * DS_EINVAL.
 */
int shellwords_split(struct strvec *out, const char *s, struct ds_error *err);

#endif
