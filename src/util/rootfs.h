/*
 * Files put into a directory tree taken as a root: every path, and every
 * symlink met on the way, is resolved inside it (as openat2's RESOLVE_IN_ROOT
 * does),
 * so nothing the tree holds can lead a write out of it. For the root of a
 * running container as its first process sees it (/proc/<pid>/root, its
 * volumes and tmpfs mounts included), which takes a file in far sooner than
 * the Engine's archive API: that one starts a helper process per call.
 *
 * What is written matches what the archive API does with the same entry and
 * copyUIDGID: the owner by number and the mode of the host's file, its
 * mtime, missing parents made (0755, owned by the caller), and whatever of
 * another kind stood at the name removed first. A file is replaced whole
 * (written beside it and renamed over it), so a reader never sees half.
 */
#ifndef DEVSTACK_ROOTFS_H
#define DEVSTACK_ROOTFS_H

#include <stdbool.h>
#include <sys/stat.h>

#include "util/error.h"

/*
 * /proc/<pid> of the container `id`'s process `pid` in *proc (to close):
 * it keeps to that process, so rootfs_proc_root() on it fails once the
 * process is gone, whatever takes its number. DS_ENOTFOUND when the process
 * cannot be seen from here (another pid namespace), its root cannot be
 * opened (no permission), it is not in the container
 * (its cgroup does not name the id), or its user ids are not ours (a
 * remapping user namespace).
 */
int rootfs_open_process(int *proc, int pid, const char *id, struct ds_error *err);
/* The root directory of the process *proc is, as a new O_PATH descriptor; -1 when it is gone. */
int rootfs_proc_root(int proc);

/*
 * Put `host` at `name` (absolute, inside the root) as `st` (its lstat)
 * says: a regular file (read again now; gone since is no error), a
 * directory (made, or its owner and mode set), a symlink to `link`.
 * DS_EINVAL for a name with "." or ".." components or other kinds of file.
 */
int rootfs_put(int root, const char *name, const char *host, const struct stat *st,
               const char *link, struct ds_error *err);
/* `rm -rf name` inside the root; a name that is not there is no error. */
int rootfs_remove(int root, const char *name, struct ds_error *err);

#endif
