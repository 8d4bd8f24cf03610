/*
 * What a BuildKit build shows, as buildx shows it: the steps (vertexes) of
 * the trace messages numbered in the order they appear, with their output,
 * statuses and timings. Pure: the caller feeds decoded traces and prints the
 * text it gets back, plain (`--progress=plain`) or a terminal's panel.
 */
#ifndef DEVSTACK_STACK_BUILDKIT_VIEW_H
#define DEVSTACK_STACK_BUILDKIT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/buildkit.h"
#include "util/buf.h"
#include "util/strvec.h"

/* A status line under a step: "transferring context: 2.05kB". */
struct buildkit_view_status {
    char *id;
    int64_t current, total, started, completed;
    bool shown; /* plain: its "done" line is out */
};

struct buildkit_view_step {
    char *digest, *name, *error;
    char *owner; /* the prefix of the build that named it first (NULL: none) */
    int number;  /* #N */
    bool cached;
    bool cancelled;             /* its build ended before it did */
    int64_t started, completed; /* ns since the epoch; 0: not yet */
    struct buildkit_view_status *statuses;
    size_t n_statuses;
    struct buf partial; /* output not yet ended by a newline */
    struct strvec tail; /* its last lines of output */
    bool header_shown, end_shown;
};

struct buildkit_view {
    char *prefix; /* "[backend 2/3] RUN ..." when set, as Compose names steps */
    struct buildkit_view_step *steps;
    size_t n;
    int last_shown; /* the step the last plain line was about */
};

/* `prefix`: the service name when several are built, else NULL. */
void buildkit_view_init(struct buildkit_view *v, const char *prefix);
void buildkit_view_release(struct buildkit_view *v);

/* Take in one trace and append the plain lines it gives (buildx's --progress=plain). */
void buildkit_view_update(struct buildkit_view *v, const struct buildkit_trace *t,
                          struct buf *plain);
/*
 * The same for one of several builds that share the view, as buildx shows a
 * bake: steps named "[prefix ...]", numbered #N across all of them, a step
 * two builds share (the same digest) shown once.
 */
void buildkit_view_update_as(struct buildkit_view *v, const char *prefix,
                             const struct buildkit_trace *t, struct buf *plain);

/*
 * The terminal panel at `now` (ns since the epoch) for a build begun at
 * `began`: "[+] Building 2.3s (5/8)" and a line per step, fitted to `width`
 * columns, at most `max_lines` lines (0: all); `finished` adds FINISHED.
 * `color` marks finished steps blue and failed ones red. Appended to out.
 */
void buildkit_view_render(const struct buildkit_view *v, int64_t began, int64_t now, int width,
                          size_t max_lines, bool finished, bool color, struct buf *out);

/*
 * The build of `prefix` ended (failed or cancelled) at `now`: its steps
 * still running are CANCELED, as buildx marks them; their plain lines are
 * appended to plain.
 */
void buildkit_view_cancel_as(struct buildkit_view *v, const char *prefix, int64_t now,
                             struct buf *plain);

/* The step that failed (its name, error, last output), or NULL. */
const struct buildkit_view_step *buildkit_view_failed(const struct buildkit_view *v);
/* The same among the steps the build of `prefix` named (NULL: the view's own prefix). */
const struct buildkit_view_step *buildkit_view_failed_as(const struct buildkit_view *v,
                                                         const char *prefix);

/*
 * What buildx prints above its error: the failed step's name and last
 * output lines between dashes. Appended to out; nothing when none failed.
 */
void buildkit_view_failure(const struct buildkit_view *v, struct buf *out);
/* The same for one step (NULL: nothing). */
void buildkit_view_step_failure(const struct buildkit_view_step *s, struct buf *out);

#endif
