/*
 * One lock per project on an engine, held by the commands that change the
 * project's containers, networks, volumes or database, so that two of them
 * never interleave (two `up`s creating the same container: 409 conflicts,
 * half-recreated services).
 *
 * The lock is flock(2) on a file keyed by the engine endpoint and the
 * project name, not by the directory: two checkouts with one project name
 * share the engine's containers. The kernel releases it when its holder
 * dies, however it dies. The holder writes who it is into the file, so that
 * a second command can say whom it waits for.
 *
 * The files live in a directory of the user's own (stack_lock_dir()): the
 * lock keeps apart the commands of one user, not of root and a user.
 */
#ifndef DEVSTACK_STACK_LOCK_H
#define DEVSTACK_STACK_LOCK_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "util/buf.h"
#include "util/error.h"

/* Who holds a lock, as its file says. */
struct stack_lock_holder {
    long pid;      /* in the holder's PID namespace */
    time_t since;  /* when it took the lock */
    char *command; /* "devstack up" */
};

/* The holder's description as the lock file holds it: "key=value" lines. */
void stack_lock_holder_format(struct buf *out, const struct stack_lock_holder *h,
                              const char *endpoint, const char *project);
/* Read a description; DS_EINVAL when it lacks the pid, the time or the command. */
int stack_lock_holder_parse(struct stack_lock_holder *h, const char *text, size_t len);
void stack_lock_holder_release(struct stack_lock_holder *h);
/* "'devstack up' (pid 42, since 10:15:02)", local time; "another devstack command" for NULL. */
void stack_lock_holder_describe(struct buf *out, const struct stack_lock_holder *h);

/*
 * The directory of user `uid`'s lock files: /run/devstack for root,
 * /run/user/UID/devstack when `run_user` (that directory is the user's own),
 * else /tmp/devstack-UID. Not $XDG_RUNTIME_DIR: every session of the user
 * (a terminal, cron, an editor's task) must find the same file.
 */
char *stack_lock_dir(uid_t uid, bool run_user);
/*
 * The lock file of `project` on `endpoint` in `dir`: "<dir>/<project>-<16
 * hex digits of a digest of both>.lock", the name cut at 64 characters.
 */
char *stack_lock_path(const char *dir, const char *endpoint, const char *project);

struct stack_lock {
    int fd; /* -1: not held */
    char *path;
};
#define STACK_LOCK_INIT                                                                            \
    {                                                                                              \
        -1, NULL                                                                                   \
    }

struct stack_lock_options {
    const char *endpoint; /* as resolved; a unix socket's path is made canonical */
    const char *project;
    const char *command; /* "devstack up": for the holder's description */
    bool no_wait;        /* held by another: DS_ECONFLICT at once, naming it */
    /* while waiting: called first and whenever the holder changes (NULL: not known) */
    void (*waiting)(const struct stack_lock_holder *h, void *ud);
    void *ud;
    const volatile sig_atomic_t *cancel; /* non-zero: stop waiting (DS_EINTR) */
};

/*
 * Take the lock of o->project on o->endpoint, waiting for its holder unless
 * o->no_wait. Errors: DS_ECONFLICT (no_wait and held; err names the holder),
 * DS_EINTR, or the lock file could not be made (err says why; a caller may
 * go on without it).
 */
int stack_lock_acquire(struct stack_lock *l, const struct stack_lock_options *o,
                       struct ds_error *err);

/*
 * The lock of a directory: flock(2) on the directory itself, for the
 * commands that change what is in it (Alembic's scripts, with the database
 * they describe). It needs no file of its own, and holds wherever the
 * directory is seen from: a bind mount in a container is the same
 * directory. The holder writes no description; a waiter finds it in
 * /proc/locks (its pid, command and start), where its PID namespace shows
 * it. o->endpoint and o->project are not used; `what` names the directory
 * in errors ("the Alembic directory '/app'"). Errors as stack_lock_acquire().
 */
int stack_lock_acquire_dir(struct stack_lock *l, const char *dir, const char *what,
                           const struct stack_lock_options *o, struct ds_error *err);

/*
 * The pid that holds a flock(2) write lock on the file major:minor:ino,
 * as `text` (/proc/locks) shows it; 0 when none does (or the holder is in
 * a PID namespace this one does not see).
 */
long stack_lock_proc_holder(const char *text, unsigned long major, unsigned long minor,
                            unsigned long ino);
/*
 * "devstack db upgrade" of the command line `cmdline` (/proc/PID/cmdline:
 * NUL-separated): the program's base name and the words up to the first
 * option, three at most, so that no value of an option is shown.
 */
void stack_lock_proc_command(struct buf *out, const char *cmdline, size_t len);

void stack_lock_release(struct stack_lock *l);

#endif
