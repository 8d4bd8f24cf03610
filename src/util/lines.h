/*
 * Splitting a byte stream into lines, whatever pieces it arrives in, with a
 * cap on what one line may hold: a line longer than the cap is handed on in
 * pieces of the cap, so that memory stays flat however long a line a
 * container (or a build, or a server) writes without a newline.
 */
#ifndef DEVSTACK_LINES_H
#define DEVSTACK_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* The default cap: longer than any line meant for a person, short enough to keep memory flat. */
#define LINES_MAX (1u << 20)

struct lines {
    struct buf held; /* the start of a line whose newline has not come yet */
    size_t max;
};

#define LINES_INIT                                                                                 \
    {                                                                                              \
        BUF_INIT, LINES_MAX                                                                        \
    }

/*
 * One line without its newline (and without the '\r' of a "\r\n" end), or,
 * when `split`, the first `max` bytes of a longer line whose rest follows.
 * A non-zero return stops the feed and is passed on.
 */
typedef int (*lines_fn)(const char *line, size_t len, bool split, void *ud);

/* max: the most one line holds (0: LINES_MAX, as LINES_INIT). */
void lines_init(struct lines *l, size_t max);
void lines_release(struct lines *l);
int lines_feed(struct lines *l, const char *data, size_t len, lines_fn fn, void *ud);
/* Hand on what is held (a last line without its newline), if anything. */
int lines_flush(struct lines *l, lines_fn fn, void *ud);

#endif
