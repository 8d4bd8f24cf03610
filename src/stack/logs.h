/*
 * Following the output of a project's containers: several streams at once,
 * split into whole lines, shown with an aligned service prefix.
 */
#ifndef DEVSTACK_STACK_LOGS_H
#define DEVSTACK_STACK_LOGS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "stack/stack.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/lines.h"
#include "util/strvec.h"

struct stack_log_source {
    const char *service, *container; /* container: id or name */
    const char *name;                /* shown */
    bool tty;                        /* its output is raw, not framed */
};

/* One complete line (without its newline) of a container's stdout (1) or stderr (2). */
/* The containers whose output `logs` (or `up` attached) shows, and the prefix width. */
struct stack_log_sources {
    struct stack_log_source *items; /* pointing into the container list */
    size_t n;
    size_t width; /* the longest service name shown */
};

/* stack_log_sources() flags */
#define STACK_LOGS_ENABLED  0x1u /* only services the project enables (up), not every one */
#define STACK_LOGS_DETACHED 0x2u /* with ENABLED: also services with attach: false */

/*
 * The project's containers in `l` (not one-offs) of `services` (empty: all),
 * as log sources. The width covers the services shown and, without
 * STACK_LOGS_ENABLED, also the services named or enabled that have no
 * container yet (a profile may since have been turned off).
 */
void stack_log_sources(const struct compose_project *p, const struct stack_container_list *l,
                       const struct strvec *services, unsigned flags,
                       struct stack_log_sources *out);
void stack_log_sources_release(struct stack_log_sources *s);

typedef void (*stack_log_line_fn)(const struct stack_log_source *src, int stream, const char *line,
                                  size_t len, void *ud);

struct stack_logs_options {
    bool follow, timestamps;
    const char *tail; /* NULL: all */
    int64_t since, until;
    /*
     * With follow: also follow containers of this project that start later
     * (recreated, started, scaled), found through the engine's events.
     * Only their services in `services` when that is not empty.
     */
    const char *watch_project;
    const struct strvec *services;
    volatile sig_atomic_t *cancel;
    /*
     * With follow: called, as fn is (with its ud, never at once with it),
     * when a container's output ended because it stopped, with its exit
     * code (-1 when the engine cannot tell).
     */
    void (*on_exit)(const struct stack_log_source *src, int exit_code, void *ud);
};

/*
 * Read the logs of several containers at once, one thread each, and hand
 * whole lines to `fn` in arrival order (calls never overlap). Lines split
 * across frames or reads are put together. Returns when every stream ended
 * (with `follow`: when the containers stop; with `watch_project`: only on
 * cancel) or on cancel (DS_EINTR).
 */
int stack_logs(struct engine *e, const struct stack_log_source *sources, size_t n,
               const struct stack_logs_options *o, stack_log_line_fn fn, void *ud,
               struct ds_error *err);

/*
 * Splitting a byte stream into lines, per stream, whatever the pieces it
 * arrives in; a line longer than LINES_MAX is handed on in pieces of that.
 */
struct stack_lines {
    struct lines stream[2]; /* stdout, stderr */
};
typedef void (*stack_line_fn)(int stream, const char *line, size_t len, void *ud);
void stack_lines_init(struct stack_lines *l);
void stack_lines_release(struct stack_lines *l);
void stack_lines_feed(struct stack_lines *l, int stream, const char *data, size_t len,
                      stack_line_fn fn, void *ud);
/* Hand on what is left without a final newline. */
void stack_lines_flush(struct stack_lines *l, stack_line_fn fn, void *ud);

/*
 * A log line as shown: "service  | line", the service padded to `width`,
 * in `color` (an escape sequence, or NULL) when given; without a prefix just
 * the line. Appended to out, with its newline.
 */
void stack_log_format(struct buf *out, const char *service, size_t width, const char *color,
                      bool prefix, const char *line, size_t len);

#endif
