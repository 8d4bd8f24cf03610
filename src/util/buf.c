#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/banned.h"

char buf_empty[1];

void buf_init(struct buf *b, size_t hint)
{
    buf_init_capped(b, 0);
    if (hint)
        buf_grow(b, hint);
}

void buf_init_capped(struct buf *b, size_t cap)
{
    b->buf = buf_empty;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
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

int buf_grow(struct buf *b, size_t extra)
{
    bool fresh = b->alloc == 0;

    if (b->cap && extra > b->cap - b->len)
        return DS_EIO;
    if (b->len + extra + 1 < b->len)
        abort(); /* size_t overflow: a bug, not a user error */
    if (fresh)
        b->buf = NULL;
    b->buf = xgrow(b->buf, &b->alloc, b->len + extra + 1, 1);
    if (fresh)
        b->buf[0] = '\0';
    return 0;
}

void buf_setlen(struct buf *b, size_t len)
{
    if (len > (b->alloc ? b->alloc - 1 : 0) || (b->cap && len > b->cap))
        abort();
    b->len = len;
    if (b->alloc)
        b->buf[len] = '\0';
}

int buf_add(struct buf *b, const void *data, size_t len)
{
    int rc;

    if (!len)
        return 0;
    rc = buf_grow(b, len);
    if (rc < 0)
        return rc;
    memcpy(b->buf + b->len, data, len);
    buf_setlen(b, b->len + len);
    return 0;
}

int buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, int c)
{
    int rc = buf_grow(b, 1);

    if (rc < 0)
        return rc;
    b->buf[b->len] = (char)c;
    buf_setlen(b, b->len + 1);
    return 0;
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    size_t room = b->alloc ? b->alloc - b->len : 0;
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(b->buf + b->len, room, fmt, cp);
    va_end(cp);
    if (n < 0)
        abort();
    if (b->cap && (size_t)n > b->cap - b->len) {
        /* vsnprintf wrote into the spare room: end the string where it ended */
        if (b->alloc)
            b->buf[b->len] = '\0';
        return DS_EIO;
    }
    if ((size_t)n >= room) {
        buf_grow(b, (size_t)n); /* the cap allows it */
        n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
    }
    buf_setlen(b, b->len + (size_t)n);
    return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
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
    return buf_read_fileat(b, AT_FDCWD, path, cap);
}

int buf_read_fileat(struct buf *b, int dirfd, const char *path, size_t cap)
{
    size_t start = b->len;
    char chunk[8192];
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC), e = 0;

    if (fd < 0)
        return -errno;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            break;
        }
        if (n == 0)
            break;
        if ((cap && b->len - start + (size_t)n > cap) || buf_add(b, chunk, (size_t)n) < 0) {
            e = EFBIG;
            break;
        }
    }
    close(fd);
    if (e) {
        buf_setlen(b, start);
        return -e;
    }
    return 0;
}

bool buf_ends_with(const struct buf *b, const char *suffix)
{
    size_t n = strlen(suffix);
    return b->len >= n && memcmp(b->buf + b->len - n, suffix, n) == 0;
}
