/*
 * One-off containers, as `docker compose run` makes them: the service's
 * configuration with the command line's changes on top, named
 * <project>-<service>-run-<slug:12>, labelled oneoff=True with the slug, so
 * that Compose and devstack each list and remove what the other ran. The
 * dependencies are brought up (and waited on) as `up` would first. The local
 * terminal (raw mode, its size) is the caller's.
 */
#ifndef DEVSTACK_STACK_RUN_H
#define DEVSTACK_STACK_RUN_H

#include <signal.h>
#include <stdbool.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "stack/stack.h"
#include "util/error.h"
#include "util/kvlist.h"
#include "util/strvec.h"

#define LABEL_SLUG "com.docker.compose.slug"

/* What the command line changes in the service for the one-off container (all borrowed). */
struct stack_run {
    const char *service;
    const struct strvec *cmd;        /* NULL or empty: the service's command */
    const struct strvec *entrypoint; /* NULL: the service's; empty: none (and no command) */
    const char *name;                /* NULL: <project>-<service>-run-<slug:12> */
    const char *user, *working_dir;  /* NULL: the service's */
    const struct kvlist *env;        /* over the service's environment; may be NULL */
    const struct kvlist *labels;     /* over the service's labels; may be NULL */
    const struct strvec *volumes;    /* [SOURCE:]TARGET[:ro|rw], added; may be NULL */
    const struct strvec *publish;    /* port specs, published instead of the service's */
    const struct strvec *cap_add, *cap_drop;
    bool service_ports; /* publish the service's ports (never with publish) */
    bool use_aliases;   /* the service's network aliases too, not only the container's name */
    bool no_deps;       /* neither start nor wait for its dependencies */
    bool tty, interactive;
    bool detach;      /* started, not attached to */
    bool auto_remove; /* the engine removes it, and its anonymous volumes, when it exits (--rm) */
};

/*
 * Bring up the dependencies of r->service as `up` would (`up` options in
 * opts, events through ao; *orphans, may be NULL, gets the orphans left),
 * unless r->no_deps; pull or build its image as `up` would; wait on its
 * depends_on conditions; then create its one-off container, not started.
 * *id and *name (caller frees) are the container's.
 */
int stack_run_create(struct engine *e, const struct compose_project *p, const struct stack_run *r,
                     const struct stack_options *opts, const struct stack_apply_options *ao,
                     struct strvec *orphans, char **id, char **name, struct ds_error *err);

/* How stack_run_attach() connects the container to the caller. */
struct stack_run_io {
    bool tty;
    int in_fd;                    /* streamed to its stdin until EOF; -1: none */
    engine_output_fn out;         /* its output; a non-zero return stops */
    void *ud;                     /* for out, size and ready */
    volatile sig_atomic_t *winch; /* set when the local terminal changed size */
    int (*size)(void *ud, int *height, int *width);
    /* called once attached, before the container starts: e.g. the terminal goes raw */
    int (*ready)(void *ud, struct ds_error *err);
    volatile sig_atomic_t *cancel;
    /*
     * Set by a signal handler: next_signal() then gives each signal caught
     * (0 when none is left), which the container's process gets, as the
     * docker CLI's sig-proxy passes them on. NULL: none.
     */
    volatile sig_atomic_t *notice;
    int (*next_signal)(void *ud);
};

/*
 * Attach to the created container `id`, start it (its exit waited for from
 * before the start, so that an auto-removal cannot hide it), stream until it
 * exits and return its exit code in *exit_code as soon as the engine tells
 * it. Cancelled (DS_EINTR), the container is stopped first.
 */
int stack_run_attach(struct engine *e, const char *id, const struct stack_run_io *io,
                     int *exit_code, struct ds_error *err);

/* Start the created container `id` without attaching (run -d). */
int stack_run_start(struct engine *e, const char *id, struct ds_error *err);

/* Remove the one-off container and its anonymous volumes, whatever state it is in. */
int stack_run_remove(struct engine *e, const char *id, struct ds_error *err);

/* A slug as Compose makes it: 64 random hex digits whose first 12 are not a number. */
void stack_run_slug(char out[65]);

#endif
