/*
 * Pulling the images of a project's services, several at once, each pull's
 * progress told by a pure state machine fed the engine's progress lines.
 */
#ifndef DEVSTACK_STACK_PULL_H
#define DEVSTACK_STACK_PULL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"

/* Where a layer of an image being pulled is, from the engine's progress lines. */
enum stack_layer_state {
    LAYER_WAITING,     /* "Pulling fs layer", "Waiting" */
    LAYER_DOWNLOADING, /* "Downloading", "Retrying in N seconds" */
    LAYER_VERIFYING,   /* "Verifying Checksum" */
    LAYER_DOWNLOADED,  /* "Download complete" */
    LAYER_EXTRACTING,  /* "Extracting" */
    LAYER_DONE,        /* "Pull complete" */
    LAYER_EXISTS,      /* "Already exists": nothing to fetch */
};

struct stack_pull_layer {
    char *id;
    enum stack_layer_state state;
    int64_t size; /* compressed bytes; -1 until the engine says */
    int64_t downloaded, extracted;
    bool retrying; /* the last download attempt failed; the engine tries again */
};

enum stack_pull_outcome {
    PULL_OUTCOME_PENDING,
    PULL_OUTCOME_PULLED,     /* "Status: Downloaded newer image for ..." (or a clean end) */
    PULL_OUTCOME_UP_TO_DATE, /* "Status: Image is up to date for ..." */
    PULL_OUTCOME_FAILED,
};

/* One image's pull as its progress lines tell it. Pure: fed lines, no I/O. */
struct stack_pull_state {
    struct stack_pull_layer *layers;
    size_t n_layers, alloc;
    enum stack_pull_outcome outcome;
    char *error;  /* PULL_OUTCOME_FAILED: why, as the engine said it */
    char *digest; /* "sha256:...", once the engine named it */
};

/* What a pull has done so far, summed over its layers. */
struct stack_pull_totals {
    int64_t total;      /* compressed bytes of the layers whose size is known */
    int64_t downloaded; /* of those */
    int64_t extracted;
    int64_t done;        /* downloaded + extracted: the work is done at 2 * total */
    size_t layers;       /* every layer the engine named, "Already exists" included */
    size_t layers_done;  /* pulled or already there */
    size_t layers_sized; /* whose size is known */
    size_t layers_exist; /* "Already exists" */
    const char *phase;   /* "Waiting", "Downloading", "Verifying", "Extracting", "Retrying"... */
};

void stack_pull_state_init(struct stack_pull_state *s);
void stack_pull_state_release(struct stack_pull_state *s);
/* Take one progress line of the image's pull stream. */
void stack_pull_state_feed(struct stack_pull_state *s, const struct engine_progress *p);
/* The pull failed outside the stream (an HTTP error, a lost connection). */
void stack_pull_state_fail(struct stack_pull_state *s, const char *why);
void stack_pull_state_totals(const struct stack_pull_state *s, struct stack_pull_totals *out);
/*
 * Append "[=======>      ]  45.2MB/120.0MB  Downloading" (a bar `width`
 * characters wide, bytes of the current phase), or only the phase while no
 * layer size is known.
 */
void stack_pull_state_describe(const struct stack_pull_state *s, int width, struct buf *out);

/* Why a pull failed, from the engine's message. */
enum stack_pull_failure {
    PULL_FAILURE_OTHER,
    PULL_FAILURE_UNREACHABLE, /* DNS, dial, TLS or timeout errors: no registry answered */
    PULL_FAILURE_NOT_FOUND,   /* no such repository, tag or manifest */
    PULL_FAILURE_AUTH,        /* the registry wants (other) credentials */
};
enum stack_pull_failure stack_pull_classify(const char *message);
/* "registry unreachable", "image not found", "not authorized"; NULL for OTHER. */
const char *stack_pull_failure_name(enum stack_pull_failure f);
/* What to do about it (static text); NULL for OTHER. */
const char *stack_pull_failure_hint(enum stack_pull_failure f);

/* One image to pull, for every service that runs it. */
struct stack_pull_job {
    char *ref, *platform; /* platform: NULL for the engine's own */
    struct strvec services;
    bool optional; /* each of its services can build it: a failure is only a warning */
    /* filled in by stack_pull_images() */
    bool started, finished;
    double started_at, elapsed; /* seconds */
    struct stack_pull_state state;
    enum stack_pull_failure failure;
    struct ds_error err; /* when it failed: the engine's reason, with a hint */
    char *warning;       /* e.g. the credentials could not be used */
};

/* A service `devstack pull` leaves alone, and why ("pull_policy is never"). */
struct stack_pull_skip {
    char *service, *image; /* image: NULL when it has none */
    char *reason;
};

struct stack_pull_list {
    struct stack_pull_job *jobs;
    size_t n;
    struct stack_pull_skip *skipped;
    size_t n_skipped;
};

/*
 * The images `devstack pull` fetches for `services` (empty: every enabled
 * service), as Compose chooses them: services without image: are skipped
 * (build only), so are pull_policy never and build, and missing /
 * if_not_present when the engine has the image (`e` may be NULL: then
 * nothing counts as present). A service that also builds pulls, but its
 * failure is only a warning. One job per image and platform.
 */
int stack_pull_select(struct engine *e, const struct compose_project *p,
                      const struct strvec *services, struct stack_pull_list *out,
                      struct ds_error *err);

/* stack_pull_choose() flags */
#define STACK_PULL_IGNORE_BUILDABLE 0x1u /* skip a service that has build: as well */

/* stack_pull_select() with flags. */
int stack_pull_choose(struct engine *e, const struct compose_project *p,
                      const struct strvec *services, unsigned flags, struct stack_pull_list *out,
                      struct ds_error *err);
void stack_pull_list_release(struct stack_pull_list *l);
void stack_pull_job_init(struct stack_pull_job *j, const char *ref, const char *platform);
void stack_pull_job_release(struct stack_pull_job *j);

/*
 * Called when a pull starts, after each of its progress lines, and when it
 * ends. Calls never overlap, and no job changes during one: the callback may
 * look at all of them.
 */
typedef void (*stack_pull_update_fn)(const struct stack_pull_job *jobs, size_t n, size_t index,
                                     void *ud);

struct stack_pull_options {
    int parallel;                         /* pulls at once; 0: 4 */
    const struct engine_resolve_env *env; /* where config.json is; NULL: the process's */
    volatile sig_atomic_t *cancel;
    stack_pull_update_fn on_update;
    void *ud;
};

/*
 * Pull the jobs, each with its registry's credentials, `parallel` at once,
 * one engine client per thread. Returns 0 when every job that is not
 * optional was pulled; else the first failure in job order (err: "service
 * 'db': cannot pull 'x': registry unreachable: ...", with a hint), or
 * DS_EINTR. Each job tells its own outcome.
 */
int stack_pull_images(struct engine *e, struct stack_pull_job *jobs, size_t n,
                      const struct stack_pull_options *o, struct ds_error *err);

#endif
