/* File-system paths: joining, splitting, and what is at one. */
#ifndef DEVSTACK_PATH_H
#define DEVSTACK_PATH_H

#include <stdbool.h>

/* os.path.join(dir, name): an absolute name stands alone. Caller frees. */
char *path_join(const char *dir, const char *name);
/* The directory part: "." without a slash, "/" for a file in the root. Caller frees. */
char *path_dirname(const char *path);
/* What follows the last slash (all of path without one); a pointer into path. */
const char *path_basename(const char *path);
/*
 * An absolute path written without ".", ".." or repeated slashes, read
 * lexically ("/a/b/../c" is "/a/c"; ".." at the root stays there). Caller frees.
 */
char *path_normalize(const char *path);
/* The path with symlinks resolved when it exists (realpath), else normalized. Caller frees. */
char *path_resolve(const char *path);
/* Is `path` `root` or under it (strictly: under it only)? Both absolute and normalized. */
bool path_within(const char *path, const char *root, bool strictly);
/* path made absolute against the current directory (not normalized). Caller frees. */
char *path_absolute(const char *path);
/* A regular file (after symlinks)? */
bool path_is_file(const char *path);
/* A directory (after symlinks)? */
bool path_is_dir(const char *path);

#endif
