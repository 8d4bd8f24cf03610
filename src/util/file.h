/* Files written so that no reader ever sees half of one, and none is replaced by accident. */
#ifndef DEVSTACK_FILE_H
#define DEVSTACK_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Write all of buf to fd, through short writes and EINTR. Returns 0 or -errno. */
int file_write_all(int fd, const void *buf, size_t len);

/*
 * Create `dst` as a copy of `src` with permissions `mode`, unless `dst`
 * exists (a symlink counts, even a dangling one). The copy is written to a
 * temporary file beside `dst` and linked into place, so `dst` is never seen
 * half-written and never replaced, even when another process creates it
 * meanwhile. Returns 1 when it created `dst`, 0 when `dst` was there (left
 * as it was), or a DS_E* code with err naming the path.
 */
int file_copy_new(const char *src, const char *dst, mode_t mode, struct ds_error *err);
/* As file_copy_new(), with `data` for the contents. */
int file_write_new(const char *dst, const char *data, size_t len, mode_t mode,
                   struct ds_error *err);

/*
 * Replace (or create) `path` with `data`: written to a temporary file beside
 * it, synced, and renamed over it, so readers see the old or the new file.
 */
int file_write_atomic(const char *path, const char *data, size_t len, mode_t mode,
                      struct ds_error *err);
/*
 * Write a command's output (which may hold secrets) where the user asked:
 * - no file, or a regular file: replaced by a new file with `mode` through
 *   file_write_atomic(), so the old file's mode and hard links do not carry
 *   the data anywhere and no reader sees half of it;
 * - a FIFO or a character device (/dev/null, a terminal), also through a
 *   symbolic link (/dev/stdout, /dev/fd/N): written in place, nothing stays;
 * - a symbolic link to anything else (a file, nothing): refused, naming the
 *   link and its target; writing through it would put the data wherever the
 *   link points, and replacing it would undo a link its owner made;
 * - a directory, socket or block device: refused.
 */
int file_write_output(const char *path, const char *data, size_t len, mode_t mode,
                      struct ds_error *err);
/* Copy src over dst with file_write_atomic(). */
int file_copy(const char *src, const char *dst, mode_t mode, struct ds_error *err);
/*
 * Remove path and, for a directory, everything under it, without following
 * symlinks out of it. A missing path is not an error. err may be NULL.
 */
int file_remove_tree(const char *path, struct ds_error *err);

#endif
