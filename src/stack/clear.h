/*
 * What `devstack clear` removes: everything a project created (found by its
 * label, and the images its services build), or everything on the engine.
 * One list, collected first, that the command prints and then carries out
 * object by object: a dry run and a real run show the same thing.
 */
#ifndef DEVSTACK_STACK_CLEAR_H
#define DEVSTACK_STACK_CLEAR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"

/* In the order they are listed and removed. */
enum stack_clear_kind {
    CLEAR_CONTAINER,
    CLEAR_NETWORK,
    CLEAR_VOLUME,
    CLEAR_IMAGE,
    CLEAR_BUILD_CACHE,
};
#define CLEAR_KINDS 5

struct stack_clear_item {
    enum stack_clear_kind kind;
    char *id;        /* what the engine knows it by: container, network or image id; volume name */
    char *name;      /* as shown */
    int64_t size;    /* bytes; -1: unknown */
    char *detail;    /* containers: their state; may be NULL */
    char *project;   /* containers: their project label; may be NULL */
    char *service;   /* containers: their service label; may be NULL */
    int64_t created; /* images: unix seconds, for the order */
    struct strvec refs; /* images in project scope: the tags to remove (none: the id) */
};

struct stack_clear_list {
    struct stack_clear_item *items;
    size_t n, alloc;
    bool all; /* everything on the engine, removed by force */
};

/*
 * Collect what goes. Project scope (`all` false): the containers (one-offs
 * too), networks and volumes with the label com.docker.compose.project=
 * `project`, the images carrying that label, the images named
 * <project>-<service> that services of `p` (may be NULL) build, and the
 * dangling build cache when there is any (only with something else to go).
 * `all`: every container, image, volume, network but bridge, host and none,
 * and the build cache. Sizes come from /images/json and /system/df; an
 * engine that cannot say leaves them unknown. The list is sorted.
 */
int stack_clear_collect(struct engine *e, const char *project, const struct compose_project *p,
                        bool all, struct stack_clear_list *out, struct ds_error *err);
void stack_clear_list_release(struct stack_clear_list *l);

/* Append an item (strings copied; refs start empty); returns it. */
struct stack_clear_item *stack_clear_add(struct stack_clear_list *l, enum stack_clear_kind kind,
                                         const char *id, const char *name, int64_t size);
/* Kinds in removal order; by name within a kind, but images newest first (children first). */
void stack_clear_sort(struct stack_clear_list *l);

size_t stack_clear_count(const struct stack_clear_list *l, enum stack_clear_kind kind);
/* The sum of the known sizes. */
int64_t stack_clear_total(const struct stack_clear_list *l);
/* "container" / "containers", ..., "build cache". */
const char *stack_clear_kind_name(enum stack_clear_kind kind, size_t count);
/*
 * "3 containers, 1 network, 2 volumes, 1 image, build cache" from counts per
 * kind (kinds with 0 left out); "nothing" when all are 0. Appended.
 */
void stack_clear_describe_counts(struct buf *out, const size_t counts[CLEAR_KINDS]);

enum stack_clear_outcome {
    CLEAR_REMOVED,
    CLEAR_ALREADY_GONE, /* the engine no longer had it */
    CLEAR_KEPT,         /* an image still used by a container (project scope): err says so */
    CLEAR_SKIPPED,      /* build cache on an engine without BuildKit: err says why */
};

/*
 * Remove one item: containers by force with their anonymous volumes;
 * images in project scope not by force. Returns 0 with *outcome (and, for
 * KEPT and SKIPPED, the reason in err, which the caller releases), or a
 * negative code. *reclaimed: the bytes freed as far as known.
 */
int stack_clear_remove(struct engine *e, const struct stack_clear_list *l,
                       const struct stack_clear_item *it, enum stack_clear_outcome *outcome,
                       int64_t *reclaimed, struct ds_error *err);

/* What stack_clear_apply() did. */
struct stack_clear_report {
    size_t removed[CLEAR_KINDS]; /* removed or gone already */
    size_t failed;
    size_t done; /* items looked at; fewer than the list's when interrupted */
    int64_t reclaimed;
};

/*
 * Told of each item as it is done: its outcome and the bytes freed, or a
 * failure (`failure` set: what went wrong, "removing volume 'x': ...").
 * With KEPT and SKIPPED, `why` says why (may be NULL).
 */
typedef void (*stack_clear_fn)(const struct stack_clear_item *it, enum stack_clear_outcome outcome,
                               int64_t freed, const struct ds_error *failure, const char *why,
                               void *ud);

/*
 * Remove the list's items in order, telling `fn` of each. A failure is
 * counted and the next item goes on. *stop set ends it between items;
 * *abort set also cuts short what the engine is doing (both may be NULL).
 * Returns DS_EINTR when it ended early, else 0 (failures are in report).
 */
int stack_clear_apply(struct engine *e, const struct stack_clear_list *l,
                      volatile sig_atomic_t *stop, volatile sig_atomic_t *abort, stack_clear_fn fn,
                      void *ud, struct stack_clear_report *report);

#endif
