/* Decoding BuildKit's progress messages (see buildkit.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "engine/buildkit.h"
#include "engine/buildkit.pb-c.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

/* A trace message carries one update; a larger one is not BuildKit's. */
#define TRACE_MAX (64u << 20)

typedef Devstack__Buildkit__StatusResponse pb_status_response;
typedef Devstack__Buildkit__Timestamp pb_timestamp;

/* Standard base64 with padding, as Go's encoding/json writes []byte. */
static int base64_decode(struct buf *out, const char *text, size_t len, struct ds_error *err)
{
    size_t pad = 0;
    int n;

    if (len % 4)
        return ds_error_set(err, DS_EPROTO, "truncated base64 (%zu characters)", len);
    if (len / 4 * 3 > TRACE_MAX)
        return ds_error_set(err, DS_EPROTO, "trace message of %zu bytes is too large", len);
    if (len > INT32_MAX)
        return ds_error_set(err, DS_EPROTO, "trace message too large");
    while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
        pad++;
    buf_grow(out, len / 4 * 3 + 1);
    /* EVP_DecodeBlock counts the padding's zero bytes; they are taken off below */
    n = EVP_DecodeBlock((unsigned char *)out->buf, (const unsigned char *)text, (int)len);
    if (n < 0 || (size_t)n < pad)
        return ds_error_set(err, DS_EPROTO, "invalid base64");
    out->len = (size_t)n - pad;
    out->buf[out->len] = '\0';
    return 0;
}

static int64_t nanos(const pb_timestamp *t)
{
    if (!t || (t->seconds <= 0 && t->nanos <= 0))
        return 0;
    return t->seconds * 1000000000LL + t->nanos;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

static char *dup_bytes(const ProtobufCBinaryData *d, size_t *len)
{
    char *s = xmalloc(d->len + 1);

    if (d->len)
        memcpy(s, d->data, d->len);
    s[d->len] = '\0';
    if (len)
        *len = d->len;
    return s;
}

static void copy_response(struct buildkit_trace *t, const pb_status_response *r)
{
    t->vertexes = xcalloc(r->n_vertexes + 1, sizeof(*t->vertexes));
    for (size_t i = 0; i < r->n_vertexes; i++) {
        const Devstack__Buildkit__Vertex *v = r->vertexes[i];
        struct buildkit_vertex *o = &t->vertexes[t->n_vertexes++];

        o->digest = xstrdup(v->digest);
        o->name = xstrdup(v->name);
        o->error = dup_or_null(v->error);
        o->cached = v->cached;
        o->started = nanos(v->started);
        o->completed = nanos(v->completed);
    }
    t->statuses = xcalloc(r->n_statuses + 1, sizeof(*t->statuses));
    for (size_t i = 0; i < r->n_statuses; i++) {
        const Devstack__Buildkit__VertexStatus *s = r->statuses[i];
        struct buildkit_status *o = &t->statuses[t->n_statuses++];

        o->id = xstrdup(s->id);
        o->vertex = xstrdup(s->vertex);
        o->name = xstrdup(s->name);
        o->current = s->current;
        o->total = s->total;
        o->timestamp = nanos(s->timestamp);
        o->started = nanos(s->started);
        o->completed = nanos(s->completed);
    }
    t->logs = xcalloc(r->n_logs + 1, sizeof(*t->logs));
    for (size_t i = 0; i < r->n_logs; i++) {
        const Devstack__Buildkit__VertexLog *l = r->logs[i];
        struct buildkit_log *o = &t->logs[t->n_logs++];

        o->vertex = xstrdup(l->vertex);
        o->timestamp = nanos(l->timestamp);
        o->stream = (int)l->stream;
        o->msg = dup_bytes(&l->msg, &o->len);
    }
    t->warnings = xcalloc(r->n_warnings + 1, sizeof(*t->warnings));
    for (size_t i = 0; i < r->n_warnings; i++) {
        const Devstack__Buildkit__VertexWarning *w = r->warnings[i];
        struct buildkit_warning *o = &t->warnings[t->n_warnings++];

        o->vertex = xstrdup(w->vertex);
        o->text = dup_bytes(&w->short_, NULL);
    }
}

int buildkit_trace_decode(struct buildkit_trace *out, const char *b64, size_t len,
                          struct ds_error *err)
{
    struct buf bytes = BUF_INIT;
    pb_status_response *r = NULL;
    int rc;

    buildkit_trace_release(out);
    rc = base64_decode(&bytes, b64, len, err);
    if (rc < 0)
        goto done;
    r = devstack__buildkit__status_response__unpack(NULL, bytes.len, (const uint8_t *)bytes.buf);
    if (!r) {
        rc = ds_error_set(err, DS_EPROTO,
                          "cannot decode a BuildKit progress message (%zu bytes): not a "
                          "StatusResponse",
                          bytes.len);
        goto done;
    }
    copy_response(out, r);
done:
    if (r)
        devstack__buildkit__status_response__free_unpacked(r, NULL);
    buf_release(&bytes);
    return rc;
}

void buildkit_trace_release(struct buildkit_trace *t)
{
    for (size_t i = 0; i < t->n_vertexes; i++) {
        free(t->vertexes[i].digest);
        free(t->vertexes[i].name);
        free(t->vertexes[i].error);
    }
    for (size_t i = 0; i < t->n_statuses; i++) {
        free(t->statuses[i].id);
        free(t->statuses[i].vertex);
        free(t->statuses[i].name);
    }
    for (size_t i = 0; i < t->n_logs; i++) {
        free(t->logs[i].vertex);
        free(t->logs[i].msg);
    }
    for (size_t i = 0; i < t->n_warnings; i++) {
        free(t->warnings[i].vertex);
        free(t->warnings[i].text);
    }
    free(t->vertexes);
    free(t->statuses);
    free(t->logs);
    free(t->warnings);
    memset(t, 0, sizeof(*t));
}
