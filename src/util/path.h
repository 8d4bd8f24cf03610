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
/* path made absolute against the current directory (not normalized). Caller frees. */
char *path_absolute(const char *path);
/* A regular file (after symlinks)? */
bool path_is_file(const char *path);
/* A directory (after symlinks)? */
bool path_is_dir(const char *path);

#endif
