#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

char buf_empty[1];

void buf_init(struct buf *b, size_t hint)
{
    b->buf = buf_empty;
    b->len = 0;
    b->alloc = 0;
    if (hint)
        buf_grow(b, hint);
}

void buf_release(struct buf *b)
{
    if (b->alloc)
        free(b->buf);
    buf_init(b, 0);
}

char *buf_detach(struct buf *b, size_t *len)
{
    char *p;

    if (len)
        *len = b->len;
    if (!b->alloc)
        buf_grow(b, 0);
    p = b->buf;
    buf_init(b, 0);
    return p;
}

void buf_grow(struct buf *b, size_t extra)
{
    bool fresh = b->alloc == 0;

    if (b->len + extra + 1 < b->len)
        abort(); /* size_t overflow: a bug, not a user error */
    if (fresh)
        b->buf = NULL;
    b->buf = xgrow(b->buf, &b->alloc, b->len + extra + 1, 1);
    if (fresh)
        b->buf[0] = '\0';
}

void buf_setlen(struct buf *b, size_t len)
{
    if (len > (b->alloc ? b->alloc - 1 : 0))
        abort();
    b->len = len;
    if (b->alloc)
        b->buf[len] = '\0';
}

void buf_add(struct buf *b, const void *data, size_t len)
{
    if (!len)
        return;
    buf_grow(b, len);
    memcpy(b->buf + b->len, data, len);
    buf_setlen(b, b->len + len);
}

void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, int c)
{
    buf_grow(b, 1);
    b->buf[b->len] = (char)c;
    buf_setlen(b, b->len + 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(b->buf + b->len, b->alloc ? b->alloc - b->len : 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        abort();
    if ((size_t)n >= (b->alloc ? b->alloc - b->len : 0)) {
        buf_grow(b, (size_t)n);
        n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
    }
    buf_setlen(b, b->len + (size_t)n);
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_vaddf(b, fmt, ap);
    va_end(ap);
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        buf_reset(b);
        return;
    }
    memmove(b->buf, b->buf + n, b->len - n);
    buf_setlen(b, b->len - n);
}

void buf_rtrim(struct buf *b)
{
    size_t n = b->len;

    while (n && (b->buf[n - 1] == ' ' || b->buf[n - 1] == '\t' || b->buf[n - 1] == '\n' ||
                 b->buf[n - 1] == '\r'))
        n--;
    if (b->alloc)
        buf_setlen(b, n);
}

int buf_read_file(struct buf *b, const char *path, size_t cap)
{
    size_t start = b->len;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    for (;;) {
        ssize_t n;

        buf_grow(b, 8192);
        n = read(fd, b->buf + b->len, b->alloc - b->len - 1);
        if (n < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            close(fd);
            buf_setlen(b, start);
            return -e;
        }
        if (n == 0)
            break;
        buf_setlen(b, b->len + (size_t)n);
        if (cap && b->len - start > cap) {
            close(fd);
            buf_setlen(b, start);
            return -EFBIG;
        }
    }
    close(fd);
    return 0;
}

bool buf_ends_with(const struct buf *b, const char *suffix)
{
    size_t n = strlen(suffix);
    return b->len >= n && memcmp(b->buf + b->len - n, suffix, n) == 0;
}
