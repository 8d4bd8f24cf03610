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

/* The values of --progress, for its OPT_CHOICE entry. */
#define PROGRESS_CHOICES "auto|tty|plain|quiet"
/* The mode a --progress value names; NULL (not given) is auto. */
enum progress_mode progress_mode_of(const char *s);

struct progress *progress_new(FILE *out, enum progress_mode mode);
/* A stack_event_fn: pass `progress` as its user data. */
void progress_event(const struct stack_event *ev, void *progress);
/* --progress quiet: nothing is shown. */
bool progress_is_quiet(const struct progress *p);
/* Leave the cursor below the last line. */
void progress_finish(struct progress *p);
void progress_free(struct progress *p);

#endif
