/*
 * develop.watch, as `docker compose watch` does it: the files under each
 * rule's path are watched on the host; after a short quiet period the
 * changes are acted on, per service: `rebuild` builds the image and
 * recreates the service's containers, `sync` copies the changed files into
 * them (a tar through the archive API; what was deleted is removed there
 * with `rm -rf`), `restart` restarts them, `sync+restart` and `sync+exec`
 * sync and then restart them or run the rule's command in them.
 *
 * Which paths count: those under the rule's path that its include: (when
 * given) matches, and that neither its ignore:, the .dockerignore of the
 * service's build context, nor Compose's list of editor temporary files
 * exclude.
 */
#ifndef DEVSTACK_STACK_WATCH_H
#define DEVSTACK_STACK_WATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "stack/stack.h"
#include "util/error.h"
#include "util/ignore.h"
#include "util/strvec.h"
#include "util/tar.h"

/*
 * How long the files must stay quiet before a batch is acted on. Compose
 * waits 500 ms; an editor's save (write, or write and rename) is over in
 * well under a millisecond, so a short period keeps a save one batch and
 * the file in the container soon after.
 */
#define WATCH_QUIET_MS 20
/* A batch is acted on after this long even when changes keep coming (a checkout). */
#define WATCH_BATCH_MAX_MS 1000

/* A rule of a service, with its matchers. */
struct watch_rule {
    const struct compose_service *service;
    const struct compose_watch *w;
    struct ignore *ignore;       /* the rule's ignore:, relative to its path; NULL: none */
    struct ignore *include;      /* the rule's include:; NULL: everything */
    struct ignore *dockerignore; /* of the build context; NULL: none */
    char *context;               /* the build context (absolute); NULL: none */
};

/* Changed paths collected until they have been quiet long enough. */
struct watch_batch {
    struct strvec paths; /* each once, oldest change first */
    uint64_t first_ms, last_ms;
};

/* ---- pure parts -------------------------------------------------------------------- */

/* One of the editors' temporary files Compose never syncs (`.x.swp`, `x~`, `#x#`, ...)? */
bool watch_is_ephemeral(const char *path);
/*
 * Does the change of `host` (absolute) concern rule r? When it does and the
 * rule has a target, *container (caller frees) is where it goes there, else
 * NULL.
 */
bool watch_rule_match(const struct watch_rule *r, const char *host, char **container);
/* Build a rule's matchers (ignore:, include:, the context's .dockerignore). */
int watch_rule_init(struct watch_rule *r, const struct compose_service *s,
                    const struct compose_watch *w, struct ds_error *err);
void watch_rule_release(struct watch_rule *r);

void watch_batch_init(struct watch_batch *b);
void watch_batch_release(struct watch_batch *b);
/* A path changed at now_ms (a path already in the batch moves to the end). */
void watch_batch_add(struct watch_batch *b, const char *path, uint64_t now_ms);
/* Milliseconds until the batch is due (0: now), or -1 when it is empty. */
long watch_batch_due_in(const struct watch_batch *b, uint64_t now_ms, unsigned quiet_ms,
                        unsigned max_ms);
/* Move the paths out (appended to out) and start a new batch. */
void watch_batch_take(struct watch_batch *b, struct strvec *out);

/*
 * What a sync sends to a container: the changed paths that exist (what is
 * below a directory too, as far as its rule lets it), each with its lstat,
 * and those that are gone. Nothing is read yet: files are read as they are
 * sent, so a large sync never sits in memory.
 */
struct watch_sync_entry {
    char *host; /* absolute path on the host */
    char *name; /* absolute path in the container */
    char *link; /* a symlink's target; NULL for the others */
    struct stat st;
};
struct watch_sync_set {
    struct watch_sync_entry *v;
    size_t n, alloc;
    struct strvec gone; /* paths in the container to remove */
};

void watch_sync_set_init(struct watch_sync_set *s);
void watch_sync_set_release(struct watch_sync_set *s);
/*
 * Add host (absolute) as `name` in the container: when it is gone, to
 * `gone`; when it is a directory, with what rule r takes below it. Sockets,
 * fifos and devices are left out.
 */
int watch_sync_set_add(struct watch_sync_set *s, const struct watch_rule *r, const char *host,
                       const char *name, struct ds_error *err);
/* The set as a tar stream to extract at "/" with copyUIDGID (caller frees); NULL when empty. */
struct tar_stream *watch_sync_set_tar(const struct watch_sync_set *s);
/*
 * The set written straight into the tree at `root` (a container's root,
 * see rootfs.h): gone paths removed, the others put.
 */
int watch_sync_set_put(const struct watch_sync_set *s, int root, struct ds_error *err);

/* ---- watching ------------------------------------------------------------------------ */

struct watch;

/*
 * The rules of `services` (empty: every enabled service with develop.watch).
 * A named service without rules, no rules at all, a rule's path that does
 * not exist, rebuild without a build section, sync+exec without a command:
 * DS_EINVAL saying which and what to do.
 */
int watch_new(struct watch **out, const struct compose_project *p, const struct strvec *services,
              struct ds_error *err);
void watch_free(struct watch *w);

/* Messages for the user ("Watch enabled", "Syncing service ..."); is_error for failures. */
typedef void (*watch_log_fn)(const char *msg, bool is_error, void *ud);

struct watch_options {
    const struct stack_options *so;       /* for rebuilds: build options, then recreate */
    const struct stack_apply_options *ao; /* events of builds and recreates */
    volatile sig_atomic_t *cancel;        /* set: stop watching */
    /*
     * Sync only through the Engine's archive API, even into containers whose
     * root can be written to from here (rootfs.h), which is far quicker.
     */
    bool archive_only;
    watch_log_fn log;
    /*
     * Around a restart or a rebuild, which change containers: take (true) and
     * let go of (false) the project's lock; 0 or a DS_E* code. NULL: none.
     */
    int (*lock)(bool take, void *ud);
    void *ud; /* for log and lock */
};

/*
 * Sync what initial_sync asks for, then watch until *o->cancel is set.
 * A batch that fails is reported through o->log and watching goes on, as
 * in Compose; 0 when stopped by the flag, negative when watching itself
 * failed.
 */
int watch_run(struct watch *w, struct engine *e, const struct watch_options *o,
              struct ds_error *err);

#endif
