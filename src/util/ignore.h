/*
 * .dockerignore rules, with Docker's semantics: one pattern per line, `#`
 * comments, blank lines skipped, surrounding whitespace trimmed, paths
 * cleaned (a leading `/` or `./` means the context root), `*` `?` `[...]`
 * as in Go's filepath.Match, `**` for any number of directories, and `!`
 * for an exception; the last matching line wins. A pattern matches a path
 * or any of its parent directories.
 */
#ifndef DEVSTACK_IGNORE_H
#define DEVSTACK_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct ignore;

/* Parse the text of a .dockerignore file. `name` is used in errors ("bad pattern on line 3"). */
int ignore_parse(struct ignore **out, const char *text, size_t len, const char *name,
                 struct ds_error *err);
/* The largest .dockerignore read: each path of a build context is matched against every line. */
#define IGNORE_FILE_MAX (1u << 20)

/*
 * Rules from <dir>/.dockerignore; a missing file gives rules that exclude
 * nothing, one larger than IGNORE_FILE_MAX is an error.
 */
int ignore_load(struct ignore **out, const char *dir, struct ds_error *err);
void ignore_free(struct ignore *ig);

/* Is `path` (relative to the context, '/'-separated, no leading "./") excluded? */
bool ignore_excludes(const struct ignore *ig, const char *path);
/*
 * Could anything below directory `dir` be included again by an exception?
 * When not, an excluded directory need not be walked at all. Conservative:
 * true whenever some exception might match below dir, wildcards included.
 * (Docker's own walker only keeps walking for exceptions that spell dir out,
 * so it loses what "!vendor/?/LICENSE" brings back: moby#30018.)
 */
bool ignore_may_include_below(const struct ignore *ig, const char *dir);

#endif
