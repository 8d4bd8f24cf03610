/* The framed output stream and the JSON-lines progress stream, fed in every way. */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

struct collected {
    struct buf out, err;
    struct buf order; /* "1" or "2" per delivery, to check streams never mix in a piece */
    int stop_after;   /* return non-zero after this many deliveries; 0: never */
    int calls;
};

static int collect(int stream, const char *data, size_t len, void *ud)
{
    struct collected *c = ud;

    c->calls++;
    assert_true(stream == 1 || stream == 2);
    buf_add(stream == 1 ? &c->out : &c->err, data, len);
    buf_addch(&c->order, '0' + stream);
    if (c->stop_after && c->calls >= c->stop_after)
        return 42;
    return 0;
}

static void collected_release(struct collected *c)
{
    buf_release(&c->out);
    buf_release(&c->err);
    buf_release(&c->order);
}

static void add_frame(struct buf *b, int stream, const char *data, size_t len)
{
    unsigned char h[8] = {(unsigned char)stream,
                          0,
                          0,
                          0,
                          (unsigned char)(len >> 24),
                          (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8),
                          (unsigned char)len};

    buf_add(b, h, 8);
    buf_add(b, data, len);
}

/* A stream with small, empty, binary and large frames on both streams. */
static void make_stream(struct buf *s, struct buf *want_out, struct buf *want_err)
{
    static const char bin[] = {'\0', '\1', '\xff', '\n', '\0'};
    struct buf big = BUF_INIT;

    add_frame(s, 1, "hello\n", 6);
    buf_adds(want_out, "hello\n");
    add_frame(s, 2, "warning: x\n", 11);
    buf_adds(want_err, "warning: x\n");
    add_frame(s, 1, "", 0);
    add_frame(s, 2, bin, sizeof(bin));
    buf_add(want_err, bin, sizeof(bin));
    for (int i = 0; i < 70000; i++)
        buf_addch(&big, 'a' + i % 26);
    add_frame(s, 1, big.buf, big.len);
    buf_add(want_out, big.buf, big.len);
    add_frame(s, 0, "stdin-echo", 10); /* stream 0 is shown as stdout */
    buf_adds(want_out, "stdin-echo");
    add_frame(s, 2, "bye\n", 4);
    buf_adds(want_err, "bye\n");
    buf_release(&big);
}

static void feed_in_pieces(const struct buf *s, const size_t *cuts, size_t n_cuts,
                           struct collected *c)
{
    struct engine_demux d;
    struct ds_error err = DS_ERROR_INIT;
    size_t pos = 0;

    engine_demux_init(&d);
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : s->len;

        assert_int_equal(engine_demux_feed(&d, s->buf + pos, end - pos, collect, c, &err), 0);
        pos = end;
    }
    assert_true(engine_demux_at_boundary(&d));
    assert_null(err.msg);
}

static void test_demux_whole(void **state)
{
    struct buf s = BUF_INIT, out = BUF_INIT, errs = BUF_INIT;
    struct collected c = {BUF_INIT, BUF_INIT, BUF_INIT, 0, 0};

    (void)state;
    make_stream(&s, &out, &errs);
    feed_in_pieces(&s, NULL, 0, &c);
    assert_int_equal(c.out.len, out.len);
    assert_memory_equal(c.out.buf, out.buf, out.len);
    assert_int_equal(c.err.len, errs.len);
    assert_memory_equal(c.err.buf, errs.buf, errs.len);
    assert_string_equal(c.order.buf, "122112");
    collected_release(&c);
    buf_release(&s);
    buf_release(&out);
    buf_release(&errs);
}

static void test_demux_one_byte_at_a_time(void **state)
{
    struct buf s = BUF_INIT, out = BUF_INIT, errs = BUF_INIT;
    struct collected c = {BUF_INIT, BUF_INIT, BUF_INIT, 0, 0};
    struct engine_demux d;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    make_stream(&s, &out, &errs);
    engine_demux_init(&d);
    for (size_t i = 0; i < s.len; i++) {
        assert_int_equal(engine_demux_feed(&d, s.buf + i, 1, collect, &c, &err), 0);
        /* inside a header or payload we are not at a boundary */
        if (i == 3)
            assert_false(engine_demux_at_boundary(&d));
    }
    assert_true(engine_demux_at_boundary(&d));
    assert_int_equal(c.out.len, out.len);
    assert_memory_equal(c.out.buf, out.buf, out.len);
    assert_int_equal(c.err.len, errs.len);
    assert_memory_equal(c.err.buf, errs.buf, errs.len);
    collected_release(&c);
    buf_release(&s);
    buf_release(&out);
    buf_release(&errs);
}

static void test_demux_random_splits(void **state)
{
    struct buf s = BUF_INIT, out = BUF_INIT, errs = BUF_INIT;
    unsigned seed = 12345;

    (void)state;
    make_stream(&s, &out, &errs);
    for (int round = 0; round < 500; round++) {
        struct collected c = {BUF_INIT, BUF_INIT, BUF_INIT, 0, 0};
        size_t cuts[64], n = (size_t)(rand_r(&seed) % 64);

        for (size_t i = 0; i < n; i++)
            cuts[i] = (size_t)rand_r(&seed) % (s.len + 1);
        /* ascending cut points; duplicates give empty feeds, which must be harmless */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
                size_t t = cuts[j];
                cuts[j] = cuts[j - 1];
                cuts[j - 1] = t;
            }
        feed_in_pieces(&s, cuts, n, &c);
        if (c.out.len != out.len || memcmp(c.out.buf, out.buf, out.len) || c.err.len != errs.len ||
            memcmp(c.err.buf, errs.buf, errs.len))
            fail_msg("round %d with %zu cuts: output differs", round, n);
        collected_release(&c);
    }
    buf_release(&s);
    buf_release(&out);
    buf_release(&errs);
}

static void test_demux_errors(void **state)
{
    struct collected c = {BUF_INIT, BUF_INIT, BUF_INIT, 0, 0};
    struct ds_error err = DS_ERROR_INIT;
    struct engine_demux d;
    struct buf s = BUF_INIT;
    static const char bad_stream[] = {7, 0, 0, 0, 0, 0, 0, 1, 'x'};
    static const char bad_padding[] = {1, 0, 9, 0, 0, 0, 0, 1, 'x'};

    (void)state;
    /* a stream byte other than 0, 1, 2 */
    engine_demux_init(&d);
    assert_int_equal(engine_demux_feed(&d, bad_stream, sizeof(bad_stream), collect, &c, &err),
                     DS_EPROTO);
    assert_non_null(strstr(err.msg, "bad frame header"));
    ds_error_release(&err);

    engine_demux_init(&d);
    assert_int_equal(engine_demux_feed(&d, bad_padding, sizeof(bad_padding), collect, &c, &err),
                     DS_EPROTO);
    ds_error_release(&err);

    /* cut inside a payload: not at a boundary */
    add_frame(&s, 1, "abcdef", 6);
    engine_demux_init(&d);
    assert_int_equal(engine_demux_feed(&d, s.buf, s.len - 2, collect, &c, &err), 0);
    assert_false(engine_demux_at_boundary(&d));

    /* the callback stops the stream */
    collected_release(&c);
    c.calls = 0;
    c.stop_after = 1;
    engine_demux_init(&d);
    add_frame(&s, 2, "more", 4);
    assert_int_equal(engine_demux_feed(&d, s.buf, s.len, collect, &c, &err), 42);
    assert_int_equal(c.calls, 1);
    collected_release(&c);
    buf_release(&s);
}

/* ---- JSON lines and progress --------------------------------------------- */

struct lines {
    int n;
    struct buf statuses;
};

static int count_line(const cJSON *obj, void *ud)
{
    struct lines *l = ud;
    const char *status = json_str(obj, "status");

    l->n++;
    if (status)
        buf_addf(&l->statuses, "%s|", status);
    return 0;
}

static void test_jsonlines_splits(void **state)
{
    static const char text[] = "{\"status\":\"a\"}\n\r\n{\"status\":\"b\"}\r\n   \n"
                               "{\"status\":\"c\",\"x\":{\"y\":[1,2,3]}}\n{\"status\":\"d\"}";
    unsigned seed = 7;

    (void)state;
    for (int round = 0; round < 300; round++) {
        struct engine_jsonlines jl;
        struct lines l = {0, BUF_INIT};
        struct ds_error err = DS_ERROR_INIT;
        size_t pos = 0, len = sizeof(text) - 1;

        engine_jsonlines_init(&jl, 0);
        while (pos < len) {
            size_t take = round == 0 ? 1 : 1 + (size_t)rand_r(&seed) % 20;
            if (take > len - pos)
                take = len - pos;
            assert_int_equal(engine_jsonlines_feed(&jl, text + pos, take, count_line, &l, &err), 0);
            pos += take;
        }
        assert_int_equal(l.n, 3); /* the last line has no newline yet */
        assert_int_equal(engine_jsonlines_finish(&jl, count_line, &l, &err), 0);
        assert_int_equal(l.n, 4);
        assert_string_equal(l.statuses.buf, "a|b|c|d|");
        engine_jsonlines_release(&jl);
        buf_release(&l.statuses);
    }
}

static void test_jsonlines_errors(void **state)
{
    struct engine_jsonlines jl;
    struct lines l = {0, BUF_INIT};
    struct ds_error err = DS_ERROR_INIT;
    static const char not_json[] = "{\"status\":\"ok\"}\n{oops\n";
    char longline[200];

    (void)state;
    engine_jsonlines_init(&jl, 0);
    assert_int_equal(engine_jsonlines_feed(&jl, not_json, strlen(not_json), count_line, &l, &err),
                     DS_EPROTO);
    assert_int_equal(l.n, 1);
    assert_non_null(strstr(err.msg, "{oops"));
    ds_error_release(&err);
    engine_jsonlines_release(&jl);

    /* a value followed by anything but another value */
    static const char *const trailing[] = {"true garbage\n", "{\"status\":\"ok\"} x\n",
                                           "{\"status\":\"ok\"},\n", "[1]]\n"};
    for (size_t i = 0; i < ARRAY_SIZE(trailing); i++) {
        l.n = 0;
        engine_jsonlines_init(&jl, 0);
        assert_int_equal(
                engine_jsonlines_feed(&jl, trailing[i], strlen(trailing[i]), count_line, &l, &err),
                DS_EPROTO);
        assert_non_null(strstr(err.msg, "not JSON"));
        ds_error_release(&err);
        engine_jsonlines_release(&jl);
    }

    /* values back to back on one line are each a message, as a JSON decoder reads them */
    static const char two[] = "{\"status\":\"a\"}{\"status\":\"b\"} {\"status\":\"c\"}\r\n";
    l.n = 0;
    buf_reset(&l.statuses);
    engine_jsonlines_init(&jl, 0);
    assert_int_equal(engine_jsonlines_feed(&jl, two, strlen(two), count_line, &l, &err), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.statuses.buf, "a|b|c|");
    engine_jsonlines_release(&jl);

    memset(longline, 'x', sizeof(longline));
    engine_jsonlines_init(&jl, 100);
    assert_int_equal(engine_jsonlines_feed(&jl, longline, 60, count_line, &l, &err), 0);
    assert_int_equal(engine_jsonlines_feed(&jl, longline, 60, count_line, &l, &err), DS_EPROTO);
    assert_non_null(strstr(err.msg, "longer than 100 bytes"));
    ds_error_release(&err);
    engine_jsonlines_release(&jl);
    buf_release(&l.statuses);
}

/* The line cap: a line of exactly max_line bytes passes, one byte more fails, however it is cut. */
static void test_jsonlines_cap(void **state)
{
    static const struct {
        size_t line_len; /* of {"status":"x..."}, without the newline */
        size_t chunk;    /* bytes per feed; 0: all at once */
        int rc;
    } cases[] = {
            {100, 0, 0},           {100, 1, 0},           {100, 7, 0},         {100, 100, 0},
            {100, 101, 0},         {101, 0, DS_EPROTO},   {101, 1, DS_EPROTO}, {101, 7, DS_EPROTO},
            {101, 100, DS_EPROTO}, {101, 102, DS_EPROTO},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct engine_jsonlines jl;
        struct lines l = {0, BUF_INIT};
        struct ds_error err = DS_ERROR_INIT;
        struct buf text = BUF_INIT;
        size_t pos = 0;
        int rc = 0;

        buf_adds(&text, "{\"status\":\"");
        while (text.len < cases[i].line_len - 2)
            buf_addch(&text, 'x');
        buf_adds(&text, "\"}\n{\"status\":\"next\"}\n");
        engine_jsonlines_init(&jl, 100);
        while (pos < text.len && rc == 0) {
            size_t take = cases[i].chunk ? cases[i].chunk : text.len;

            if (take > text.len - pos)
                take = text.len - pos;
            rc = engine_jsonlines_feed(&jl, text.buf + pos, take, count_line, &l, &err);
            pos += take;
        }
        if (rc != cases[i].rc || l.n != (rc ? 0 : 2) ||
            (rc && (!err.msg || !strstr(err.msg, "longer than 100 bytes")))) {
            print_error("case %zu (line %zu, chunks of %zu): rc %d, %d lines, message \"%s\"\n", i,
                        cases[i].line_len, cases[i].chunk, rc, l.n, err.msg ? err.msg : "(none)");
            bad++;
        }
        engine_jsonlines_release(&jl);
        buf_release(&l.statuses);
        buf_release(&text);
        ds_error_release(&err);
    }
    if (bad)
        fail_msg("%d line cap cases failed", bad);
}

struct progress_log {
    int lines, with_detail;
    int64_t last_current, last_total;
    struct buf text;
};

static int on_progress(const struct engine_progress *p, void *ud)
{
    struct progress_log *log = ud;

    log->lines++;
    if (p->current >= 0) {
        log->with_detail++;
        log->last_current = p->current;
        log->last_total = p->total;
    }
    if (p->stream)
        buf_adds(&log->text, p->stream);
    return 0;
}

/* Feed a whole fixture through a progress sink in random pieces. */
static void run_sink(const char *fixture, struct engine_progress_sink *sink,
                     struct progress_log *log, unsigned seed)
{
    struct buf data = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;
    size_t pos = 0;

    test_read_fixture(&data, fixture);
    engine_progress_sink_init(sink, on_progress, log);
    while (pos < data.len) {
        size_t take = 1 + (size_t)rand_r(&seed) % 37;
        if (take > data.len - pos)
            take = data.len - pos;
        assert_int_equal(engine_progress_sink_write(data.buf + pos, take, sink, &err), 0);
        pos += take;
    }
    assert_int_equal(engine_progress_sink_finish(sink, &err), 0);
    buf_release(&data);
}

static void test_progress_streams(void **state)
{
    static const struct {
        const char *fixture;
        int lines, with_detail;
        const char *error, *step, *id;
    } cases[] = {
            {"fixtures/engine/pull-ok.jsonl", 8, 2, NULL, NULL, NULL},
            {"fixtures/engine/pull-error.jsonl", 4, 1, "unauthorized: authentication required",
             NULL, NULL},
            {"fixtures/engine/build-ok.jsonl", 0, 0, NULL, "Step 2/2 : RUN echo hi",
             "sha256:cff1a8f1809e4a0bb59d8db945c62b983b0e3abf915fa10914952241d38f18b5"},
            {"fixtures/engine/build-fail.jsonl", 13, 0,
             "The command '/bin/sh -c exit 3' returned a non-zero code: 3", "Step 3/3 : RUN exit 3",
             NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        for (unsigned seed = 1; seed < 20; seed++) {
            struct engine_progress_sink sink;
            struct progress_log log = {0, 0, 0, 0, BUF_INIT};

            run_sink(cases[i].fixture, &sink, &log, seed);
            if (cases[i].lines)
                assert_int_equal(log.lines, cases[i].lines);
            assert_int_equal(log.with_detail, cases[i].with_detail);
            if (cases[i].error)
                assert_string_equal(sink.error, cases[i].error);
            else
                assert_null(sink.error);
            if (cases[i].step)
                assert_string_equal(sink.last_step, cases[i].step);
            if (cases[i].id)
                assert_string_equal(sink.aux_id, cases[i].id);
            if (i == 0) {
                assert_int_equal(log.last_current, 4096);
                assert_int_equal(log.last_total, 4096);
            }
            engine_progress_sink_release(&sink);
            buf_release(&log.text);
        }
    }
}

static void test_progress_parse_fields(void **state)
{
    static const char line[] =
            "{\"status\":\"Downloading\",\"id\":\"l1\",\"progress\":\"[=>  ]\","
            "\"progressDetail\":{\"current\":5,\"total\":10},\"aux\":{\"ID\":\"sha256:abc\"}}";
    static const char error_only[] = "{\"error\":\"plain error text\"}";
    cJSON *obj = cJSON_Parse(line);
    struct engine_progress p;

    (void)state;
    engine_progress_parse(obj, &p);
    assert_string_equal(p.status, "Downloading");
    assert_string_equal(p.id, "l1");
    assert_string_equal(p.progress, "[=>  ]");
    assert_int_equal(p.current, 5);
    assert_int_equal(p.total, 10);
    assert_string_equal(json_str(p.aux, "ID"), "sha256:abc");
    assert_null(p.error);
    assert_null(p.stream);
    cJSON_Delete(obj);

    obj = cJSON_Parse(error_only);
    engine_progress_parse(obj, &p);
    assert_string_equal(p.error, "plain error text");
    assert_int_equal(p.current, -1);
    assert_int_equal(p.total, -1);
    cJSON_Delete(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_demux_whole),
            cmocka_unit_test(test_demux_one_byte_at_a_time),
            cmocka_unit_test(test_demux_random_splits),
            cmocka_unit_test(test_demux_errors),
            cmocka_unit_test(test_jsonlines_splits),
            cmocka_unit_test(test_jsonlines_errors),
            cmocka_unit_test(test_jsonlines_cap),
            cmocka_unit_test(test_progress_streams),
            cmocka_unit_test(test_progress_parse_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
