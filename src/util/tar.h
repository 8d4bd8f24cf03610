/*
 * A build context as a tar stream, produced piece by piece as the reader
 * asks for it, never held whole in memory: POSIX ustar with pax extended
 * headers for what ustar cannot say (long names and link targets, large
 * sizes). Regular files, directories and symlinks (stored as symlinks),
 * modes and mtimes kept; owner root:root, as Docker's client sends it.
 */
#ifndef DEVSTACK_TAR_H
#define DEVSTACK_TAR_H

#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/ignore.h"

struct tar_stream;

/*
 * Walk `dir` (sorted, so the stream is the same for the same tree), leaving
 * out what `ig` excludes (may be NULL). Paths in `always` (relative to dir,
 * e.g. the Dockerfile and .dockerignore) are sent even when excluded, with
 * what lies below them. An excluded directory is still walked when an
 * exception may bring back something below it, and sent only if one does.
 * Symlinks are not followed; sockets, fifos and devices are left out.
 * Fails when dir is missing or not a directory.
 */
int tar_stream_open(struct tar_stream **out, const char *dir, const struct ignore *ig,
                    const char *const *always, struct ds_error *err);
/*
 * Fill up to `size` bytes; 0 at the end of the stream, -1 on an error that
 * tar_stream_error() then describes (a file vanished or changed size since
 * the walk, a read failed). Bytes produced before an error are returned
 * first; the stream stops before the entry that failed and stays failed.
 * Matches engine_read_fn.
 */
ssize_t tar_stream_read(char *buf, size_t size, void *stream);
/*
 * Give each entry its owner on the host, by number, rather than root:root
 * (`cp -a`, where the engine keeps them with copyUIDGID). Before reading.
 */
void tar_stream_keep_owners(struct tar_stream *t);
const struct ds_error *tar_stream_error(const struct tar_stream *t);
/*
 * Add a regular file whose content is in memory (copied), sent after the
 * walked entries; a walked entry of the same path is left out for it.
 * `name` is relative, as the walk spells paths. Before the first read only;
 * -1 when the name is empty or absolute, or the content 8 GiB or more.
 */
int tar_stream_add_file(struct tar_stream *t, const char *name, const void *data, size_t len,
                        unsigned mode, long long mtime);
/*
 * An empty stream to fill with tar_stream_add_host(): entries named freely,
 * each read from its own path on the host (for copying a set of changed
 * files into a container).
 */
struct tar_stream *tar_stream_new(void);
/*
 * Add `host` as `name` (a leading '/' dropped), as `st` (lstat) describes
 * it: a regular file, a directory, or a symlink to `link`. The owner by
 * number is kept. A file is looked at again when its turn comes: its size,
 * mode and owner then are sent, it is left out when it is gone or no longer
 * a regular file, and what it loses while read is sent as zeros (the change
 * that did it is the caller's to see). Before the first read only; -1 for
 * other kinds of file or an empty name.
 */
struct stat;
int tar_stream_add_host(struct tar_stream *t, const char *name, const char *host,
                        const struct stat *st, const char *link);
/* Start again from the first entry, to send the same archive once more. */
void tar_stream_rewind(struct tar_stream *t);
/* How many entries and file bytes the stream holds. */
size_t tar_stream_entries(const struct tar_stream *t);
unsigned long long tar_stream_file_bytes(const struct tar_stream *t);
void tar_stream_free(struct tar_stream *t);

/*
 * A whole archive of one regular file, in memory (appended to `out`): `name`
 * relative (a leading '/' is dropped), owner uid:gid, permission bits `mode`.
 * For copying generated content into a container. Fails (-1) when the name
 * does not fit a ustar header (255 bytes) or the content 8 GiB.
 */
int tar_one_file(struct buf *out, const char *name, const void *data, size_t len, unsigned mode,
                 unsigned uid, unsigned gid, long long mtime);

/* The same for one directory entry (nothing below it). */
int tar_one_dir(struct buf *out, const char *name, unsigned mode, unsigned uid, unsigned gid,
                long long mtime);

#endif
