/*
 * Acting on the project's existing containers one by one, as Compose's
 * kill, rm, pause, unpause, port, wait, top and images do: select them by
 * service, then ask the engine about each or act on each, all at once.
 */
#ifndef DEVSTACK_STACK_CONTROL_H
#define DEVSTACK_STACK_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "stack/stack.h"
#include "util/error.h"
#include "util/strvec.h"

/* stack_select() flags */
#define STACK_SELECT_ALL     0x1u /* stopped containers too, not only running (and paused) ones */
#define STACK_SELECT_ONEOFF  0x2u /* one-off containers (`run`) too */
#define STACK_SELECT_ORPHANS 0x4u /* containers of services the files no longer have */

/*
 * The containers of project `p` of `services` (NULL or empty: every
 * service), sorted by service and number.
 */
int stack_select(struct engine *e, const struct compose_project *p, const struct strvec *services,
                 unsigned flags, struct stack_container_list *out, struct ds_error *err);

/*
 * Send `signal` (NULL: SIGKILL) to the running containers of `services`,
 * with `orphans` those of services the files no longer have too.
 * *n counts them: 0 when there was none.
 */
int stack_kill(struct engine *e, const struct compose_project *p, const struct strvec *services,
               const char *signal, bool orphans, const struct stack_apply_options *ao, size_t *n,
               struct ds_error *err);

/* Pause (or unpause) the running containers of `services`; *n counts them. */
int stack_pause(struct engine *e, const struct compose_project *p, const struct strvec *services,
                bool unpause, const struct stack_apply_options *ao, size_t *n,
                struct ds_error *err);

/*
 * The containers of `services` that `rm` removes: not running (as inspect
 * says now, not as the list said), one-off ones left out.
 */
int stack_removable(struct engine *e, const struct compose_project *p,
                    const struct strvec *services, struct stack_container_list *out,
                    struct ds_error *err);
/* Remove the containers `l`, with `volumes` their anonymous volumes too, all at once. */
int stack_remove_containers(struct engine *e, const struct compose_project *p,
                            const struct stack_container_list *l, bool volumes,
                            const struct stack_apply_options *ao, struct ds_error *err);

/*
 * The running container number `index` (0: the first) of `service`, from
 * `l`, or NULL with err saying the service is not running.
 */
const struct stack_container *stack_pick(const struct stack_container_list *l, const char *service,
                                         int index, struct ds_error *err);

/* ---- attach ------------------------------------------------------------------- */

struct stack_attach {
    const char *service;
    int index;               /* the container number; 0: the first */
    const char *detach_keys; /* NULL: the engine's (ctrl-p,ctrl-q) */
    int in_fd;               /* streamed to the container's stdin; -1: none */
    bool local_terminal;     /* stdin and stdout are a terminal: a container's TTY is used as one */
    bool sig_proxy;          /* without a TTY, the signals in *signal go to the container */
    engine_output_fn out;    /* the container's output */
    void *ud;                /* for out, on_tty and size */
    /* when the container's TTY is used, before the stream (the terminal made raw); may be NULL */
    int (*on_tty)(void *ud, struct ds_error *err);
    int (*size)(void *ud, int *height, int *width); /* the local terminal's; 0 when known */
    volatile sig_atomic_t *winch;                   /* set on SIGWINCH: the TTY resized to size() */
    volatile sig_atomic_t *signal; /* the signal got: passed on (sig_proxy, no TTY), else stops */
    volatile sig_atomic_t *stop;   /* set: stop attaching (DS_EINTR) */
};

struct stack_attach_result {
    bool tty;      /* the container has a TTY, and it was used as the local terminal */
    bool stopped;  /* the output ended because the container stopped */
    int exit_code; /* then its exit code */
};

/*
 * Connect to the main process of the running container number a->index of
 * a->service in `p`, as `docker compose attach` does: its output to a->out,
 * a->in_fd to its stdin, until the output ends (the container stopped, or
 * the detach keys) or DS_EINTR.
 */
int stack_attach(struct engine *e, const struct compose_project *p, const struct stack_attach *a,
                 struct stack_attach_result *res, struct ds_error *err);

/*
 * Where the private `port`/`protocol` of the running container number
 * `index` (0: the first) of `service` is published: *host_ip (caller frees)
 * and *host_port. DS_ENOTFOUND naming the container's ports when it is not.
 */
int stack_port(struct engine *e, const struct compose_project *p, const char *service, int index,
               int port, const char *protocol, char **host_ip, int *host_port,
               struct ds_error *err);

/*
 * Wait until the first of the running containers of `services` stops:
 * *id (caller frees) is that container's id, *exit_code its status.
 */
int stack_wait_first(struct engine *e, const struct compose_project *p,
                     const struct strvec *services, volatile sig_atomic_t *cancel, char **id,
                     int *exit_code, struct ds_error *err);

/* ---- images, top --------------------------------------------------------------- */

/* The image a container was created from, as `docker compose images` lists it. */
struct stack_container_image {
    char *container;
    char *id;               /* "sha256:..." */
    char *repository, *tag; /* of its first tag; "" when it has none */
    int64_t size;
};

struct stack_container_images {
    struct stack_container_image *items;
    size_t n;
};

/*
 * The image of every container of `services` (NULL or empty: all, stopped
 * and one-off ones too), in the engine's order. Each image is inspected once.
 */
int stack_container_images(struct engine *e, const struct compose_project *p,
                           const struct strvec *services, struct stack_container_images *out,
                           struct ds_error *err);
void stack_container_images_release(struct stack_container_images *l);

/* The processes of one running container. */
struct stack_top {
    char *container;
    struct engine_top top;
};

struct stack_tops {
    struct stack_top *items;
    size_t n;
};

/* The processes of each running container of `services`, sorted by container name. */
int stack_top(struct engine *e, const struct compose_project *p, const struct strvec *services,
              struct stack_tops *out, struct ds_error *err);
void stack_tops_release(struct stack_tops *t);

/* ---- stats ----------------------------------------------------------------------- */

/* A container's resource use as `docker stats` computes it from two samples. */
struct stack_stats_row {
    char *id, *name;
    bool running; /* else every figure is 0 */
    double cpu_percent, mem_percent;
    uint64_t mem_usage, mem_limit; /* usage without the inactive page cache */
    uint64_t net_rx, net_tx, blk_read, blk_write, pids;
};

struct stack_stats {
    struct stack_stats_row *items;
    size_t n;
};

/*
 * One row for each running container of `services` (with `all` stopped ones
 * too), in the engine's order; the engine's samples are taken at once, in
 * about a second.
 */
int stack_stats(struct engine *e, const struct compose_project *p, const struct strvec *services,
                bool all, struct stack_stats *out, struct ds_error *err);
void stack_stats_release(struct stack_stats *s);
/* docker stats' figures from one engine sample. Pure. */
void stack_stats_compute(const struct engine_stats *s, struct stack_stats_row *row);

/* ---- events ---------------------------------------------------------------------- */

/* A container event of the project, as Compose reports it. Borrowed for the callback. */
struct stack_container_event {
    int64_t time_ns; /* unix nanoseconds */
    const char *service, *id, *action;
    struct kvlist attributes; /* the actor's, Compose's own labels left out; sorted by key */
};

typedef int (*stack_event_record_fn)(const struct stack_container_event *ev, void *ud);

/*
 * Follow the engine's container events of project `p` from now on, one-off
 * containers left out, those of `services` only (NULL or empty: all), until
 * `fn` returns non-zero (that is returned) or the engine's cancel flag is
 * set (DS_EINTR).
 */
int stack_events(struct engine *e, const struct compose_project *p, const struct strvec *services,
                 stack_event_record_fn fn, void *ud, struct ds_error *err);

#endif
