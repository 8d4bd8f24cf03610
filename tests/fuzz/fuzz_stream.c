/*
 * libFuzzer target for what devstack reads from the engine's streams: the
 * framed stdout/stderr stream (demultiplexer), the JSON-lines progress
 * stream of pulls and builds, and the capped line splitter their text goes
 * through. The first bytes choose the line cap and how the input is cut
 * into pieces; every way of cutting must give the same result as feeding
 * the input whole, no line may be longer than its cap, and no byte may be
 * lost or made up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "util/buf.h"
#include "util/lines.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    /* what came out, each line with its kind in front: of the framed stream, of the JSON lines */
    struct buf framed, json;
    struct lines lines[3]; /* the text of the JSON lines' "stream", stdout, stderr */
    size_t max;
};

struct sink {
    struct seen *s;
    struct buf *text;
    int stream; /* 0: the JSON lines' text */
};

static int on_line(const char *line, size_t len, bool split, void *ud)
{
    struct sink *k = ud;

    if (len > k->s->max)
        abort();
    buf_addf(k->text, "%d%c%zu:", k->stream, split ? 'S' : 'L', len);
    buf_add(k->text, line, len);
    return 0;
}

static int on_output(int stream, const char *data, size_t len, void *ud)
{
    struct seen *s = ud;

    struct sink k = {s, &s->framed, stream};

    if (stream != 1 && stream != 2)
        abort();
    return lines_feed(&s->lines[stream], data, len, on_line, &k);
}

static int on_json(const cJSON *obj, void *ud)
{
    struct seen *s = ud;
    struct sink k = {s, &s->json, 0};
    struct engine_progress p;

    engine_progress_parse(obj, &p);
    buf_addf(&s->json, "J%s|%s|%s|%lld/%lld\n", p.id ? p.id : "-", p.status ? p.status : "-",
             p.error ? p.error : "-", (long long)p.current, (long long)p.total);
    if (p.stream)
        return lines_feed(&s->lines[0], p.stream, strlen(p.stream), on_line, &k);
    return 0;
}

/* Feed the input in pieces of `cut` bytes (0: whole); the record of what came out. */
static char *run(const uint8_t *data, size_t size, size_t max, size_t cut)
{
    struct seen s = {BUF_INIT, BUF_INIT, {LINES_INIT, LINES_INIT, LINES_INIT}, max};
    struct sink out = {&s, &s.framed, 1}, errout = {&s, &s.framed, 2}, json = {&s, &s.json, 0};
    struct engine_demux d;
    struct engine_jsonlines jl;
    struct ds_error err = DS_ERROR_INIT;
    int rc = 0, jrc = 0;

    for (int i = 0; i < 3; i++)
        lines_init(&s.lines[i], max);
    engine_demux_init(&d);
    engine_jsonlines_init(&jl, 64 * max);
    for (size_t pos = 0; pos < size;) {
        size_t take = cut && cut < size - pos ? cut : size - pos;

        if (rc == 0)
            rc = engine_demux_feed(&d, (const char *)data + pos, take, on_output, &s, &err);
        if (jrc == 0)
            jrc = engine_jsonlines_feed(&jl, (const char *)data + pos, take, on_json, &s, &err);
        pos += take;
    }
    if (jrc == 0)
        jrc = engine_jsonlines_finish(&jl, on_json, &s, &err);
    lines_flush(&s.lines[0], on_line, &json);
    lines_flush(&s.lines[1], on_line, &out);
    lines_flush(&s.lines[2], on_line, &errout);
    /* a failure is part of the result: it must not depend on the cutting either */
    buf_addf(&s.framed, "\ndemux %d boundary %d json %d\n", rc, engine_demux_at_boundary(&d), jrc);
    buf_add(&s.framed, s.json.buf, s.json.len);
    buf_release(&s.json);
    if ((rc || jrc) && !err.msg)
        abort();
    engine_jsonlines_release(&jl);
    for (int i = 0; i < 3; i++)
        lines_release(&s.lines[i]);
    ds_error_release(&err);
    return buf_detach(&s.framed, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t max, cut;
    char *whole, *pieces;

    if (size < 2)
        return 0;
    max = 1 + data[0] % 64;
    cut = 1 + data[1] % 16;
    data += 2;
    size -= 2;
    whole = run(data, size, max, 0);
    pieces = run(data, size, max, cut);
    if (strcmp(whole, pieces))
        abort();
    free(whole);
    free(pieces);
    return 0;
}
