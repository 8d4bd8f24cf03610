/*
 * Where a dump's text goes: buffered writes to a file descriptor, or a gzip
 * stream. Compression runs in a thread of its own, fed 64 KiB chunks
 * through a small ring, so that deflating overlaps reading rows from the
 * server (what `mysqldump | gzip` gets from two processes); the ring holds
 * at most SLOTS chunks, so memory stays flat.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "db/internal.h"
#include "util/alloc.h"
#include "util/banned.h"

#define CHUNK (64u << 10)
#define SLOTS 4

struct db_sink {
    int fd;
    bool gzip;
    struct buf pending; /* filled by db_sink_add() */
    uint64_t raw;       /* bytes added */

    /* the compressor's: z, out and written until it is joined */
    z_stream z;
    bool z_ready;
    char out[CHUNK];
    uint64_t written;

    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    struct buf ring[SLOTS];
    size_t head, count;
    bool closing; /* no more chunks: the compressor ends when the ring is empty */
    int error;    /* errno of the first failed write; 0: none (under lock while threaded) */
};

static int write_all(struct db_sink *s, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(s->fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        data += n;
        len -= (size_t)n;
        s->written += (uint64_t)n;
    }
    return 0;
}

/* Deflate data and write what comes out; an errno value on failure. */
static int deflate_out(struct db_sink *s, const char *data, size_t len, int flush)
{
    s->z.next_in = (Bytef *)data;
    s->z.avail_in = (uInt)len;
    do {
        int e;

        s->z.next_out = (Bytef *)s->out;
        s->z.avail_out = sizeof(s->out);
        if (deflate(&s->z, flush) == Z_STREAM_ERROR)
            return EIO;
        if ((e = write_all(s, s->out, sizeof(s->out) - s->z.avail_out)))
            return e;
    } while (s->z.avail_out == 0 || (flush == Z_FINISH && s->z.avail_in));
    return 0;
}

static void *compressor(void *arg)
{
    struct db_sink *s = arg;
    struct buf work = BUF_INIT;

    for (;;) {
        int e;

        pthread_mutex_lock(&s->lock);
        while (!s->count && !s->closing)
            pthread_cond_wait(&s->not_empty, &s->lock);
        if (!s->count || s->error) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        /* take the chunk; leave our empty buffer in its slot for reuse */
        buf_setlen(&work, 0);
        {
            struct buf t = s->ring[s->head];

            s->ring[s->head] = work;
            work = t;
        }
        s->head = (s->head + 1) % SLOTS;
        s->count--;
        pthread_cond_signal(&s->not_full);
        pthread_mutex_unlock(&s->lock);

        if ((e = deflate_out(s, work.buf, work.len, Z_NO_FLUSH))) {
            pthread_mutex_lock(&s->lock);
            s->error = e;
            pthread_cond_broadcast(&s->not_full);
            pthread_mutex_unlock(&s->lock);
            break;
        }
    }
    buf_release(&work);
    return NULL;
}

int db_sink_open(struct db_sink **out, int fd, bool gzip, int level)
{
    struct db_sink *s = xcalloc(1, sizeof(*s));

    *out = s;
    s->fd = fd;
    s->gzip = gzip;
    buf_init(&s->pending, CHUNK);
    for (size_t i = 0; i < SLOTS; i++)
        buf_init(&s->ring[i], CHUNK);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->not_empty, NULL);
    pthread_cond_init(&s->not_full, NULL);
    if (!gzip)
        return 0;
    /* 15 + 16: a gzip header and trailer around the deflate stream */
    if (deflateInit2(&s->z, level ? level : 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    s->z_ready = true;
    if (pthread_create(&s->thread, NULL, compressor, s) != 0)
        return -1;
    s->started = true;
    return 0;
}

/* Hand the pending text on: to the compressor's ring, or straight to the file. */
static int push(struct db_sink *s)
{
    int e;

    if (!s->gzip) {
        e = s->error ? 0 : write_all(s, s->pending.buf, s->pending.len);
        buf_setlen(&s->pending, 0);
        if (e)
            s->error = e;
        return s->error ? -1 : 0;
    }
    pthread_mutex_lock(&s->lock);
    while (s->count == SLOTS && !s->error)
        pthread_cond_wait(&s->not_full, &s->lock);
    if (!s->error) {
        size_t tail = (s->head + s->count) % SLOTS;
        struct buf t = s->ring[tail];

        s->ring[tail] = s->pending;
        s->pending = t;
        buf_setlen(&s->pending, 0);
        s->count++;
        pthread_cond_signal(&s->not_empty);
    }
    e = s->error;
    pthread_mutex_unlock(&s->lock);
    return e ? -1 : 0;
}

int db_sink_add(struct db_sink *s, const char *data, size_t len)
{
    s->raw += len;
    buf_add(&s->pending, data, len);
    return s->pending.len >= CHUNK ? push(s) : 0;
}

/* Let the compressor finish what it has, and end it. */
static void join(struct db_sink *s)
{
    if (!s->started)
        return;
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    pthread_cond_signal(&s->not_empty);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    s->started = false;
}

int db_sink_finish(struct db_sink *s)
{
    int e;

    if (s->pending.len && push(s) < 0)
        return -1;
    if (!s->gzip)
        return s->error ? -1 : 0;
    join(s);
    if (s->error)
        return -1;
    /* the compressor is gone: the stream's end is ours to write */
    if ((e = deflate_out(s, NULL, 0, Z_FINISH)))
        s->error = e;
    return s->error ? -1 : 0;
}

void db_sink_free(struct db_sink *s)
{
    if (!s)
        return;
    if (s->started) {
        /* given up: let the compressor stop at the next chunk */
        pthread_mutex_lock(&s->lock);
        if (!s->error)
            s->error = ECANCELED;
        pthread_mutex_unlock(&s->lock);
        join(s);
    }
    if (s->z_ready)
        deflateEnd(&s->z);
    for (size_t i = 0; i < SLOTS; i++)
        buf_release(&s->ring[i]);
    buf_release(&s->pending);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->not_empty);
    pthread_cond_destroy(&s->not_full);
    free(s);
}

int db_sink_error(struct db_sink *s)
{
    int e;

    pthread_mutex_lock(&s->lock);
    e = s->error;
    pthread_mutex_unlock(&s->lock);
    return e;
}

uint64_t db_sink_raw(const struct db_sink *s)
{
    return s->raw;
}

uint64_t db_sink_written(const struct db_sink *s)
{
    return s->written;
}
