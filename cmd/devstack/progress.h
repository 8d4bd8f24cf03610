/*
 * Showing what `up`, `down`, `start` and `stop` do: on a terminal one line
 * per container, network or image, rewritten in place as it moves on
 * (Creating, Started, Waiting, Healthy, Error) with its elapsed time; plain
 * lines, one per step, otherwise.
 */
#ifndef DEVSTACK_PROGRESS_H
#define DEVSTACK_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "stack/stack.h"

struct progress;

enum progress_mode { PROGRESS_AUTO, PROGRESS_TTY, PROGRESS_PLAIN, PROGRESS_QUIET };

/* Parse --progress: auto, tty, plain, quiet. Returns -1 for anything else. */
int progress_mode_parse(const char *s, enum progress_mode *out);

struct progress *progress_new(FILE *out, enum progress_mode mode);
/* A stack_event_fn: pass `progress` as its user data. */
void progress_event(const struct stack_event *ev, void *progress);
/* Leave the cursor below the last line. */
void progress_finish(struct progress *p);
void progress_free(struct progress *p);

#endif
