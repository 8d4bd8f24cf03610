/*
 * Changes below directories, from inotify: a watched directory is watched
 * with everything below it, directories made later included, so that a
 * caller learns of every file created, written, renamed or removed there.
 */
#ifndef DEVSTACK_FSWATCH_H
#define DEVSTACK_FSWATCH_H

#include "util/error.h"
#include "util/strvec.h"

struct fswatch;

int fswatch_new(struct fswatch **out, struct ds_error *err);
/*
 * Watch `path` (absolute): a directory with all below it, or a file, through
 * its directory (an editor that saves by renaming a new file over the old
 * one replaces the file, and a watch on the file would be lost with it).
 * A path that does not exist is DS_ENOTFOUND.
 */
int fswatch_add(struct fswatch *w, const char *path, struct ds_error *err);
/* The descriptor to poll for POLLIN. */
int fswatch_fd(const struct fswatch *w);
/*
 * Read what is pending, without blocking: the path of each file or
 * directory that changed is appended to `paths` (a directory made since is
 * watched from now on and reported once; its contents with it). When the
 * kernel's queue overflowed, every watched path is reported.
 */
int fswatch_read(struct fswatch *w, struct strvec *paths, struct ds_error *err);
void fswatch_free(struct fswatch *w);

#endif
