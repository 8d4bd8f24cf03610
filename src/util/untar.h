/*
 * Extracting a tar stream as it arrives (what `docker cp` does with the
 * archive the engine sends): regular files, directories, symlinks and hard
 * links, with their modes and mtimes (and owners when asked). pax extended
 * headers and GNU long names are understood. The archive's first path
 * component is replaced by `root`: "hello.txt" and "dir/a" land at root and
 * root/a ("./a" at root/a). A name that climbs out with ".." is refused.
 */
#ifndef DEVSTACK_UNTAR_H
#define DEVSTACK_UNTAR_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct untar;

/* keep_owner: chown what is made to the archive's uid:gid (else it is the caller's). */
struct untar *untar_new(const char *root, bool keep_owner);
/* Feed any slice of the stream. */
int untar_feed(struct untar *u, const char *data, size_t len, struct ds_error *err);
/* The stream ended: it must have ended between entries. Directory mtimes are set now. */
int untar_finish(struct untar *u, struct ds_error *err);
void untar_free(struct untar *u);

#endif
