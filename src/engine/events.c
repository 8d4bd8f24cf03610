/* The engine's event stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/banned.h"

struct event_sink {
    struct engine_jsonlines lines;
    engine_json_fn fn;
    void *ud;
};

static int on_events(const char *data, size_t len, void *ud, struct ds_error *err)
{
    struct event_sink *s = ud;
    return engine_jsonlines_feed(&s->lines, data, len, s->fn, s->ud, err);
}

int engine_events(struct engine *e, int64_t since, const cJSON *filters, engine_json_fn fn,
                  void *ud, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    struct event_sink sink = {.fn = fn, .ud = ud};
    struct engine_request req = {.method = "GET", .on_data = on_events, .data_ud = &sink};
    struct engine_response resp;
    char num[32];
    int rc;

    buf_adds(&path, "/events");
    if (since > 0) {
        snprintf(num, sizeof(num), "%lld", (long long)since);
        engine_query_add(&path, "since", num);
    }
    if (filters) {
        char *text = cJSON_PrintUnformatted(filters);
        engine_query_add(&path, "filters", text);
        cJSON_free(text);
    }
    engine_jsonlines_init(&sink.lines, 0);
    req.path = path.buf;
    rc = engine_do(e, &req, &resp, err);
    engine_response_release(&resp);
    engine_jsonlines_release(&sink.lines);
    buf_release(&path);
    return rc;
}
