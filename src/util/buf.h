/*
 * A growable byte buffer. `buf` is never NULL and always NUL-terminated, so a
 * struct buf can be handed to any function that takes a C string.
 *
 * A buffer may carry a cap (curl's dynbuf calls it `toobig`): anything read
 * from the network or a child goes into a capped buffer, and an addition that
 * would take it past the cap fails with DS_EIO and leaves it unchanged. An
 * uncapped buffer only grows (running out of memory aborts), so callers of
 * one may ignore the results.
 */
#ifndef DEVSTACK_BUF_H
#define DEVSTACK_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *buf;
    size_t len;
    size_t alloc;
    size_t cap; /* the most `len` may reach; 0: no cap */
};

extern char buf_empty[];
#define BUF_INIT                                                                                   \
    {                                                                                              \
        buf_empty, 0, 0, 0                                                                         \
    }

/* An empty, uncapped buffer with room for `hint` bytes. */
void buf_init(struct buf *b, size_t hint);
/* An empty buffer that never holds more than `cap` bytes (0: no cap). */
void buf_init_capped(struct buf *b, size_t cap);
/* Free the contents and leave `b` as BUF_INIT (uncapped). */
void buf_release(struct buf *b);
/* Hand the contents to the caller (free() them); `b` is left as BUF_INIT (uncapped). */
char *buf_detach(struct buf *b, size_t *len);

/*
 * Make room for `extra` more bytes (and the NUL). The functions that add
 * return 0, or DS_EIO when the cap does not allow it (nothing is added).
 */
int buf_grow(struct buf *b, size_t extra);
void buf_setlen(struct buf *b, size_t len);
#define buf_reset(b) buf_setlen((b), 0)

int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, int c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
void buf_rtrim(struct buf *b);

/*
 * Read a whole file into b (appending). Fails with -errno, or -EFBIG when the
 * file holds more than `cap` bytes (0: no cap) or more than b's own cap
 * allows; b is then as it was.
 */
int buf_read_file(struct buf *b, const char *path, size_t cap);
/* The same for path relative to the directory dirfd (openat(2)). */
int buf_read_fileat(struct buf *b, int dirfd, const char *path, size_t cap);

bool buf_ends_with(const struct buf *b, const char *suffix);

#endif
