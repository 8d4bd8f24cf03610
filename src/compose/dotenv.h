/*
 * .env files (the project's .env, --env-file, a service's env_file), as
 * Compose reads them: KEY=value lines with comments, `export`, quoting,
 * escapes in double quotes, multi-line quoted values, and interpolation of
 * ${X} from the process environment first, then from keys read earlier in
 * the same file.
 */
#ifndef DEVSTACK_COMPOSE_DOTENV_H
#define DEVSTACK_COMPOSE_DOTENV_H

#include <stddef.h>

#include "compose/interp.h"
#include "util/error.h"
#include "util/kvlist.h"

/*
 * Parse `len` bytes of .env text. Pairs are appended to `out` in file order
 * (a later duplicate replaces an earlier one, keeping its first position);
 * on error `out` is left as it was. `lookup` gives the process environment
 * (NULL: none): ${X} looks there first, then at keys read earlier in this
 * text (not at what `out` held before). A line with only a key takes the
 * key's value from `lookup`, or is left out. `name` is used in errors, all
 * DS_EINVAL: "<name>:<line>: <what>", e.g.
 * ".env:3: unterminated double-quoted value" (the line where the value starts).
 */
int dotenv_parse(struct kvlist *out, const char *text, size_t len, const char *name,
                 interp_lookup_fn lookup, void *ud, struct ds_error *err);

/*
 * Read and parse the file at `path` (at most 16 MiB; errors name the path).
 * A missing file is DS_ENOTFOUND "cannot read '<path>': No such file or directory".
 */
int dotenv_load(struct kvlist *out, const char *path, interp_lookup_fn lookup, void *ud,
                struct ds_error *err);

/*
 * The `format: raw` of an env_file, as `docker run --env-file` reads it:
 * KEY=value lines taken verbatim (no quotes, escapes or interpolation),
 * blank lines and lines starting with '#' skipped, a line with only a key
 * taking its value from `lookup`. A key with whitespace is DS_EINVAL
 * "<name>:<line>: variable 'a b' contains whitespace".
 */
int dotenv_parse_raw(struct kvlist *out, const char *text, size_t len, const char *name,
                     interp_lookup_fn lookup, void *ud, struct ds_error *err);
int dotenv_load_raw(struct kvlist *out, const char *path, interp_lookup_fn lookup, void *ud,
                    struct ds_error *err);

#endif
