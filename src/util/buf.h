/*
 * A growable byte buffer. `buf` is never NULL and always NUL-terminated, so a
 * struct buf can be handed to any function that takes a C string.
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
};

extern char buf_empty[];
#define BUF_INIT                                                                                   \
    {                                                                                              \
        buf_empty, 0, 0                                                                            \
    }

void buf_init(struct buf *b, size_t hint);
/* Free the contents and leave `b` as BUF_INIT. */
void buf_release(struct buf *b);
/* Hand the contents to the caller (free() them); `b` is left empty. */
char *buf_detach(struct buf *b, size_t *len);

void buf_grow(struct buf *b, size_t extra);
void buf_setlen(struct buf *b, size_t len);
#define buf_reset(b) buf_setlen((b), 0)

void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
void buf_rtrim(struct buf *b);

/*
 * Read a whole file into b (appending). Fails with -errno, or -EFBIG when the
 * file holds more than `cap` bytes (0: no cap).
 */
int buf_read_file(struct buf *b, const char *path, size_t cap);

bool buf_ends_with(const struct buf *b, const char *suffix);

#endif
