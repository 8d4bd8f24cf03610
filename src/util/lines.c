/* Lines out of a byte stream, at most `max` bytes each. */
#include <string.h>

#include "util/lines.h"
#include "util/banned.h"

void lines_init(struct lines *l, size_t max)
{
    l->max = max ? max : LINES_MAX;
    buf_init(&l->held, 0);
}

void lines_release(struct lines *l)
{
    buf_release(&l->held);
}

static int emit(const char *line, size_t len, bool split, lines_fn fn, void *ud)
{
    if (!split && len && line[len - 1] == '\r')
        len--;
    return fn(line, len, split, ud);
}

int lines_feed(struct lines *l, const char *data, size_t len, lines_fn fn, void *ud)
{
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        size_t room = l->max - l->held.len;
        int rc;

        if (take > room) {
            /* past the cap: what fills it is a line of its own, the rest goes on */
            if (l->held.len) {
                buf_add(&l->held, data, room);
                rc = emit(l->held.buf, l->held.len, true, fn, ud);
                buf_reset(&l->held);
            } else {
                rc = emit(data, room, true, fn, ud);
            }
            if (rc)
                return rc;
            data += room;
            len -= room;
            continue;
        }
        if (!nl) {
            buf_add(&l->held, data, take);
            return 0;
        }
        if (l->held.len) {
            buf_add(&l->held, data, take);
            rc = emit(l->held.buf, l->held.len, false, fn, ud);
            buf_reset(&l->held);
        } else {
            rc = emit(data, take, false, fn, ud);
        }
        if (rc)
            return rc;
        data += take + 1;
        len -= take + 1;
    }
    return 0;
}

int lines_flush(struct lines *l, lines_fn fn, void *ud)
{
    int rc = 0;

    if (l->held.len)
        rc = emit(l->held.buf, l->held.len, false, fn, ud);
    buf_reset(&l->held);
    return rc;
}
