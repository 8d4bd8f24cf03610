/*
 * Variable interpolation as the Compose specification defines it:
 * $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message},
 * ${VAR?message}, ${VAR:+alt}, ${VAR+alt}, nesting inside the default and
 * alt texts, and $$ for a literal $.
 */
#ifndef DEVSTACK_COMPOSE_INTERP_H
#define DEVSTACK_COMPOSE_INTERP_H

#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"

/* The value of a variable, or NULL when it is unset. */
typedef const char *(*interp_lookup_fn)(const char *name, void *ud);

/*
 * Append the interpolation of `in` to `out`.
 *
 * A variable that is unset and has no default becomes "" and its name is
 * added to `unset` (when not NULL, and once per name), so the caller can warn
 * as Compose does; ${X:-d}, ${X-d}, ${X:+a} and ${X+a} never warn. The text
 * after an operator is interpolated only when it is used, and such nesting
 * stops at 64 levels. `lookup` may be NULL (everything unset). Errors (out is
 * then unspecified):
 *   DS_EINVAL "invalid interpolation format: \"<the bad ${...}>\""
 *   DS_EINVAL "required variable NAME is missing a value: message"
 *             (or without ": message" when the message is empty)
 *   DS_EINVAL "interpolation nested too deeply"
 * The caller adds where ("services.web.image") with ds_error_wrap().
 */
int interp_expand(struct buf *out, const char *in, interp_lookup_fn lookup, void *ud,
                  struct strvec *unset, struct ds_error *err);

/* True when `in` has anything to interpolate (a '$'): lets callers skip copies. */
int interp_needed(const char *in);

#endif
