/* The engine's streams: framed stdout/stderr, and JSON-lines progress. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

void engine_demux_init(struct engine_demux *d)
{
    memset(d, 0, sizeof(*d));
}

bool engine_demux_at_boundary(const struct engine_demux *d)
{
    return d->header_len == 0 && d->remaining == 0;
}

int engine_demux_feed(struct engine_demux *d, const char *data, size_t len, engine_output_fn out,
                      void *ud, struct ds_error *err)
{
    while (len) {
        if (d->remaining == 0) {
            size_t take = sizeof(d->header) - d->header_len;

            if (take > len)
                take = len;
            memcpy(d->header + d->header_len, data, take);
            d->header_len += take;
            data += take;
            len -= take;
            if (d->header_len < sizeof(d->header))
                return 0;
            d->header_len = 0;
            if (d->header[0] > 2 || d->header[1] || d->header[2] || d->header[3])
                return ds_error_set(err, DS_EPROTO,
                                    "malformed output stream: bad frame header %02x %02x %02x %02x",
                                    d->header[0], d->header[1], d->header[2], d->header[3]);
            d->stream = d->header[0] ? d->header[0] : 1;
            d->remaining = (uint32_t)d->header[4] << 24 | (uint32_t)d->header[5] << 16 |
                           (uint32_t)d->header[6] << 8 | (uint32_t)d->header[7];
            continue;
        }
        {
            size_t take = d->remaining < len ? d->remaining : len;
            int rc = out ? out(d->stream, data, take, ud) : 0;

            if (rc)
                return rc;
            d->remaining -= (uint32_t)take;
            data += take;
            len -= take;
        }
    }
    return 0;
}

void engine_progress_parse(const cJSON *line, struct engine_progress *out)
{
    const cJSON *detail = json_obj(line, "progressDetail");
    const cJSON *error_detail = json_obj(line, "errorDetail");
    const cJSON *aux = cJSON_GetObjectItemCaseSensitive(line, "aux");

    memset(out, 0, sizeof(*out));
    out->id = json_str(line, "id");
    out->status = json_str(line, "status");
    out->progress = json_str(line, "progress");
    out->stream = json_str(line, "stream");
    out->error = json_str(error_detail, "message");
    if (!out->error)
        out->error = json_str(line, "error");
    out->current = json_int(detail, "current", -1);
    out->total = json_int(detail, "total", -1);
    out->aux = aux && !cJSON_IsNull(aux) ? aux : NULL;
}

void engine_jsonlines_init(struct engine_jsonlines *jl, size_t max_line)
{
    buf_init_capped(&jl->line, max_line ? max_line : ENGINE_LINE_MAX);
}

void engine_jsonlines_release(struct engine_jsonlines *jl)
{
    buf_release(&jl->line);
}

/*
 * The values of one line, in order: one as the engine writes them, or
 * several back to back as a JSON decoder reads them (the docker CLI's does);
 * anything else on the line is an error.
 */
static int emit_line(const char *text, size_t len, engine_json_fn fn, void *ud,
                     struct ds_error *err)
{
    const char *end = text + len;
    int rc = 0;

    while (rc == 0) {
        const char *next = NULL;
        cJSON *obj;

        while (text < end && (*text == ' ' || *text == '\t' || *text == '\r'))
            text++;
        if (text == end)
            break;
        obj = cJSON_ParseWithLengthOpts(text, (size_t)(end - text), &next, false);
        if (!obj)
            return ds_error_set(err, DS_EPROTO,
                                "malformed progress stream: a line is not JSON: %.*s",
                                (int)(end - text > 80 ? 80 : end - text), text);
        rc = fn ? fn(obj, ud) : 0;
        cJSON_Delete(obj);
        text = next;
    }
    return rc;
}

int engine_jsonlines_feed(struct engine_jsonlines *jl, const char *data, size_t len,
                          engine_json_fn fn, void *ud, struct ds_error *err)
{
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        int rc;

        if (buf_add(&jl->line, data, take) < 0)
            return ds_error_set(err, DS_EPROTO,
                                "malformed progress stream: a line is longer than %zu bytes",
                                jl->line.cap);
        if (!nl)
            return 0;
        rc = emit_line(jl->line.buf, jl->line.len, fn, ud, err);
        buf_reset(&jl->line);
        if (rc)
            return rc;
        data += take + 1;
        len -= take + 1;
    }
    return 0;
}

int engine_jsonlines_finish(struct engine_jsonlines *jl, engine_json_fn fn, void *ud,
                            struct ds_error *err)
{
    int rc = emit_line(jl->line.buf, jl->line.len, fn, ud, err);

    buf_reset(&jl->line);
    return rc;
}

/* ---- progress sink: a JSON-lines stream that may carry an error ---------- */

void engine_progress_sink_init(struct engine_progress_sink *s, engine_progress_fn fn, void *ud)
{
    memset(s, 0, sizeof(*s));
    engine_jsonlines_init(&s->lines, ENGINE_LINE_MAX);
    s->fn = fn;
    s->ud = ud;
}

void engine_progress_sink_release(struct engine_progress_sink *s)
{
    engine_jsonlines_release(&s->lines);
    free(s->error);
    free(s->aux_id);
    free(s->last_step);
    memset(s, 0, sizeof(*s));
}

static int sink_line(const cJSON *obj, void *ud)
{
    struct engine_progress_sink *s = ud;
    struct engine_progress p;

    engine_progress_parse(obj, &p);
    if (p.error && !s->error)
        s->error = xstrdup(p.error);
    if (p.aux && json_str(p.aux, "ID")) {
        free(s->aux_id);
        s->aux_id = xstrdup(json_str(p.aux, "ID"));
    }
    if (p.stream && !s->aux_id && !strncmp(p.stream, "Successfully built ", 19)) {
        size_t n = strcspn(p.stream + 19, " \r\n");
        s->aux_id = xstrndup(p.stream + 19, n);
    }
    /* "Step 2/5 : RUN ..." (Docker's builder), "STEP 2/5: RUN ..." (Podman's) */
    if (p.stream && !strncasecmp(p.stream, "Step ", 5)) {
        free(s->last_step);
        s->last_step = xstrdup(p.stream);
    }
    return s->fn ? s->fn(&p, s->ud) : 0;
}

int engine_progress_sink_write(const char *data, size_t len, void *ud, struct ds_error *err)
{
    struct engine_progress_sink *s = ud;
    return engine_jsonlines_feed(&s->lines, data, len, sink_line, s, err);
}

int engine_progress_sink_finish(struct engine_progress_sink *s, struct ds_error *err)
{
    return engine_jsonlines_finish(&s->lines, sink_line, s, err);
}
