/*
 * JSON with comments, as VS Code and the devcontainers CLI read
 * devcontainer.json: line (//) and block comments and trailing commas in
 * objects and arrays, turned into plain JSON for cJSON.
 */
#ifndef DEVSTACK_JSONC_H
#define DEVSTACK_JSONC_H

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/*
 * Append `text` to `out` with every comment outside a string replaced by
 * spaces (newlines kept, so line numbers stay) and every trailing comma
 * dropped. An unterminated comment or string is DS_EINVAL naming the line
 * it starts on; nothing else is checked (cJSON does that on the result).
 */
int jsonc_to_json(struct buf *out, const char *text, size_t len, struct ds_error *err);

#endif
