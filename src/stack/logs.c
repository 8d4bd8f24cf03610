/* Following the output of several containers at once, as whole lines. */
#include <stdlib.h>
#include <string.h>

#include "stack/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

struct follower {
    struct engine *base;
    const struct stack_log_source *src;
    const struct stack_logs_options *o;
    stack_log_line_fn fn;
    void *ud;
    pthread_mutex_t *lock;
    struct buf partial[3]; /* per stream: a line not finished yet */
    struct ds_error err;
    int rc;
    pthread_t thread;
};

static void emit_line(struct follower *f, int stream, const char *line, size_t len)
{
    if (len && line[len - 1] == '\r')
        len--;
    pthread_mutex_lock(f->lock);
    f->fn(f->src, stream, line, len, f->ud);
    pthread_mutex_unlock(f->lock);
}

static int on_output(int stream, const char *data, size_t len, void *ud)
{
    struct follower *f = ud;
    struct buf *partial = &f->partial[stream == 2 ? 2 : 1];

    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;

        if (!nl) {
            buf_add(partial, data, take);
            return 0;
        }
        if (partial->len) {
            buf_add(partial, data, take);
            emit_line(f, stream, partial->buf, partial->len);
            buf_reset(partial);
        } else {
            emit_line(f, stream, data, take);
        }
        data += take + 1;
        len -= take + 1;
    }
    return 0;
}

static void *follow(void *arg)
{
    struct follower *f = arg;
    struct engine *e = NULL;
    struct engine_logs_opts lo = {
            .follow = f->o->follow,
            .timestamps = f->o->timestamps,
            .tail = f->o->tail,
            .since = f->o->since,
            .until = f->o->until,
            .tty = f->src->tty,
    };

    f->rc = engine_clone(&e, f->base, &f->err);
    if (f->rc == 0) {
        engine_set_cancel_flag(e, f->o->cancel);
        f->rc = engine_container_logs(e, f->src->container, &lo, on_output, f, &f->err);
    }
    for (int s = 1; s <= 2; s++)
        if (f->partial[s].len)
            emit_line(f, s, f->partial[s].buf, f->partial[s].len);
    engine_free(e);
    return NULL;
}

int stack_logs(struct engine *e, const struct stack_log_source *sources, size_t n,
               const struct stack_logs_options *o, stack_log_line_fn fn, void *ud,
               struct ds_error *err)
{
    struct follower *fs = xcalloc(n + 1, sizeof(*fs));
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        fs[i].base = e;
        fs[i].src = &sources[i];
        fs[i].o = o;
        fs[i].fn = fn;
        fs[i].ud = ud;
        fs[i].lock = &lock;
        for (int s = 0; s < 3; s++)
            buf_init(&fs[i].partial[s], 0);
        pthread_create(&fs[i].thread, NULL, follow, &fs[i]);
    }
    for (size_t i = 0; i < n; i++)
        pthread_join(fs[i].thread, NULL);
    for (size_t i = 0; i < n; i++) {
        /* a container removed while we read is not a failure of ours */
        if (fs[i].rc < 0 && fs[i].rc != DS_ENOTFOUND && rc == 0) {
            rc = fs[i].rc;
            ds_error_set(err, rc, "%s", fs[i].err.msg ? fs[i].err.msg : "reading logs failed");
        }
        ds_error_release(&fs[i].err);
        for (int s = 0; s < 3; s++)
            buf_release(&fs[i].partial[s]);
    }
    if (rc == 0 && o->cancel && *o->cancel)
        rc = ds_error_set(err, DS_EINTR, "interrupted");
    free(fs);
    pthread_mutex_destroy(&lock);
    return rc;
}
