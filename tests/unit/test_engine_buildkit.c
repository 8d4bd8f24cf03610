/*
 * BuildKit's progress messages: recorded build streams
 * (tests/fixtures/buildkit/, POST /build?version=2 on Engine 20.10) decoded
 * line by line and checked against what the messages held; the plain
 * rendering of a whole build against buildx's --progress=plain form; the
 * terminal panel; a failed step's summary; bad base64 and protobuf.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/buildkit.h"
#include "lib/testlib.h"
#include "stack/buildkit_view.h"
#include "util/alloc.h"
#include "util/banned.h"

/* Call fn with the decoded trace of every moby.buildkit.trace line of a fixture. */
typedef void (*trace_fn)(size_t line, const struct buildkit_trace *t, void *ud);

static void each_trace(const char *fixture, trace_fn fn, void *ud)
{
    struct buf text = BUF_INIT;
    struct buildkit_trace t = BUILDKIT_TRACE_INIT;
    size_t line = 0;
    char *p, *nl;

    test_read_fixture(&text, fixture);
    for (p = text.buf; *p; p = nl + 1) {
        struct ds_error err = DS_ERROR_INIT;
        cJSON *doc;
        const cJSON *id, *aux;

        nl = strchr(p, '\n');
        assert_non_null(nl);
        *nl = '\0';
        line++;
        doc = cJSON_Parse(p);
        assert_non_null(doc);
        id = cJSON_GetObjectItemCaseSensitive(doc, "id");
        aux = cJSON_GetObjectItemCaseSensitive(doc, "aux");
        if (cJSON_IsString(id) && !strcmp(id->valuestring, "moby.buildkit.trace")) {
            assert_true(cJSON_IsString(aux));
            if (buildkit_trace_decode(&t, aux->valuestring, strlen(aux->valuestring), &err) < 0)
                fail_msg("%s:%zu: %s", fixture, line, err.msg);
            fn(line, &t, ud);
        }
        cJSON_Delete(doc);
        ds_error_release(&err);
    }
    buildkit_trace_release(&t);
    buf_release(&text);
}

/* What one line's message held; NULL/-1: not checked. */
struct expect_line {
    const char *fixture;
    size_t line;
    size_t vertexes, statuses, logs;
    const char *name;   /* the first vertex's */
    int cached;         /* the first vertex's */
    int started, ended; /* the first vertex has a start / completion time */
    const char *error;  /* the first vertex's, prefix */
    const char *log;    /* the first log's text */
    int stream;         /* the first log's */
    const char *status; /* the first status's id, prefix */
};

#define OK   "fixtures/buildkit/build-ok.jsonl"
#define FAIL "fixtures/buildkit/build-fail.jsonl"

static const struct expect_line lines[] = {
        {OK, 1, 1, 0, 0, "[internal] load remote build context", 0, 0, 0, NULL, NULL, 0, NULL},
        {OK, 2, 1, 0, 0, "[internal] load remote build context", 0, 1, 0, NULL, NULL, 0, NULL},
        {OK, 3, 1, 0, 0, "[internal] load remote build context", 0, 1, 1, NULL, NULL, 0, NULL},
        {OK, 10, 2, 0, 0, "[base 1/2] FROM docker.io/devstack-test/busybox:latest", 0, 0, 0, NULL,
         NULL, 0, NULL},
        {OK, 11, 3, 0, 0, "[stage-1 2/4] COPY --from=base /bin/busybox /opt/bb", 0, 0, 0, NULL,
         NULL, 0, NULL},
        {OK, 13, 1, 0, 0, "[base 1/2] FROM docker.io/devstack-test/busybox:latest", 1, 1, 0, NULL,
         NULL, 0, NULL},
        {OK, 15, 1, 0, 0,
         "[base 2/2] RUN --mount=type=cache,target=/cache echo cached-run > /cache/x && cat "
         "/cache/x",
         0, 1, 0, NULL, NULL, 0, NULL},
        {OK, 16, 0, 0, 1, NULL, -1, -1, -1, NULL, "cached-run\n", 1, NULL},
        {OK, 23, 0, 0, 1, NULL, -1, -1, -1, NULL, "line-one\n", 1, NULL},
        {OK, 24, 0, 0, 1, NULL, -1, -1, -1, NULL, "line-two\n", 2, NULL},
        {OK, 26, 1, 1, 0, "exporting to image", 0, 1, 0, NULL, NULL, 0, "exporting layers"},
        {OK, 27, 0, 2, 0, NULL, -1, -1, -1, NULL, NULL, 0, "exporting layers"},
        {OK, 29, 1, 2, 0, "exporting to image", 0, 1, 1, NULL, NULL, 0, "writing image sha256:"},
        {FAIL, 13, 1, 0, 0, "[2/2] RUN echo about to fail && echo on-stderr >&2 && exit 3", 0, 1, 1,
         "executor failed running [/bin/sh -c echo about to fail", NULL, 0, NULL},
};

struct check {
    const struct expect_line *want;
    size_t seen;
};

static void check_line(size_t line, const struct buildkit_trace *t, void *ud)
{
    struct check *c = ud;
    const struct expect_line *w = c->want;

    if (line != w->line)
        return;
    c->seen++;
    assert_int_equal(t->n_vertexes, w->vertexes);
    assert_int_equal(t->n_statuses, w->statuses);
    assert_int_equal(t->n_logs, w->logs);
    if (w->name) {
        const struct buildkit_vertex *v = &t->vertexes[0];

        assert_string_equal(v->name, w->name);
        assert_true(!strncmp(v->digest, "sha256:", 7));
        assert_int_equal(v->cached, w->cached);
        assert_int_equal(v->started != 0, w->started);
        assert_int_equal(v->completed != 0, w->ended);
        if (w->started && w->ended)
            assert_true(v->completed >= v->started);
        if (w->error) {
            assert_non_null(v->error);
            assert_true(!strncmp(v->error, w->error, strlen(w->error)));
        } else {
            assert_null(v->error);
        }
    }
    if (w->log) {
        assert_int_equal(t->logs[0].len, strlen(w->log));
        assert_string_equal(t->logs[0].msg, w->log);
        assert_int_equal(t->logs[0].stream, w->stream);
        assert_true(t->logs[0].timestamp > 0);
        assert_true(!strncmp(t->logs[0].vertex, "sha256:", 7));
    }
    if (w->status)
        assert_true(!strncmp(t->statuses[0].id, w->status, strlen(w->status)));
}

static void test_decode_recorded(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct check c = {&lines[i], 0};

        each_trace(lines[i].fixture, check_line, &c);
        assert_int_equal(c.seen, 1);
    }
}

struct render {
    struct buildkit_view view;
    struct buf plain;
};

static void feed(size_t line, const struct buildkit_trace *t, void *ud)
{
    struct render *r = ud;

    (void)line;
    buildkit_view_update(&r->view, t, &r->plain);
}

static const struct {
    const char *fixture, *prefix, *plain, *summary, *failed;
    size_t steps;
} renders[] = {
        {OK, "backend", "fixtures/buildkit/build-ok.plain", NULL, NULL, 9},
        {FAIL, NULL, "fixtures/buildkit/build-fail.plain", "fixtures/buildkit/build-fail.summary",
         "[2/2] RUN echo about to fail && echo on-stderr >&2 && exit 3", 5},
};

static void test_plain_rendering(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(renders) / sizeof(renders[0]); i++) {
        struct render r = {.plain = BUF_INIT};
        struct buf want = BUF_INIT, summary = BUF_INIT;
        const struct buildkit_view_step *failed;

        buildkit_view_init(&r.view, renders[i].prefix);
        each_trace(renders[i].fixture, feed, &r);
        test_read_fixture(&want, renders[i].plain);
        assert_string_equal(r.plain.buf, want.buf);
        assert_int_equal(r.view.n, renders[i].steps);
        failed = buildkit_view_failed(&r.view);
        buildkit_view_failure(&r.view, &summary);
        if (renders[i].failed) {
            assert_non_null(failed);
            assert_string_equal(failed->name, renders[i].failed);
            buf_reset(&want);
            test_read_fixture(&want, renders[i].summary);
            assert_string_equal(summary.buf, want.buf);
        } else {
            assert_null(failed);
            assert_int_equal(summary.len, 0);
        }
        buildkit_view_release(&r.view);
        buf_release(&r.plain);
        buf_release(&want);
        buf_release(&summary);
    }
}

/* The panel: header with done/total, a line per started step with its time, fitted to the width. */
static void test_terminal_panel(void **state)
{
    struct render r = {.plain = BUF_INIT};
    struct buf panel = BUF_INIT;
    int64_t began, end;
    const char *p;

    (void)state;
    buildkit_view_init(&r.view, "backend");
    each_trace(OK, feed, &r);
    began = r.view.steps[0].started;
    end = r.view.steps[r.view.n - 1].completed;
    buildkit_view_render(&r.view, began, end, 60, 0, true, false, &panel);
    assert_true(!strncmp(panel.buf, "[+] Building ", 13));
    assert_non_null(strstr(panel.buf, " (9/9) FINISHED\n"));
    assert_non_null(strstr(panel.buf, " => CACHED [backend base 1/2] FROM docker.io/"));
    assert_non_null(strstr(panel.buf, " => => exporting layers"));
    for (p = strchr(panel.buf, '\n') + 1; *p; p = strchr(p, '\n') + 1)
        assert_int_equal(strchr(p, '\n') - p, 60);
    /* a step's name is cut to leave room for its time at the right edge */
    p = strstr(panel.buf, " => [backend stage-1 4/4] RUN echo line-one &");
    assert_non_null(p);
    assert_true(!strncmp(strchr(p, '\n') - 5, " 1.9s", 5));

    /* too tall: the header and the last lines */
    buf_reset(&panel);
    buildkit_view_render(&r.view, began, end, 60, 4, false, false, &panel);
    assert_true(!strncmp(panel.buf, "[+] Building ", 13));
    assert_null(strstr(panel.buf, "FINISHED"));
    assert_non_null(strstr(panel.buf, "=> => naming to docker.io/library/tbuildkit-fixture"));
    assert_null(strstr(panel.buf, "load remote build context"));
    buildkit_view_release(&r.view);
    buf_release(&r.plain);
    buf_release(&panel);
}

static const struct {
    const char *b64;
    const char *error; /* a part of the message */
} bad[] = {
        {"Q", "truncated base64"},
        {"CtMCCkdzaGEy", "not a StatusResponse"}, /* cut inside the first vertex */
        {"CtMCCkdzaGEyNTY", "truncated base64"},  /* cut inside a base64 group */
        {"!!!!", "invalid base64"},               /* not base64 at all */
        {"////", "not a StatusResponse"},         /* bytes 0xff: no valid tag */
        {"CgYKA2FiYw==", "not a StatusResponse"}, /* a vertex longer than its message */
        {"CAE=", "not a StatusResponse"},         /* field 1 as a varint, not bytes */
        {"GgQiBQoA", "not a StatusResponse"},     /* a log whose msg overruns */
        {"Cv////8P", "not a StatusResponse"},     /* a length of 4 GiB */
};

static void test_bad_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct buildkit_trace t = BUILDKIT_TRACE_INIT;
        struct ds_error err = DS_ERROR_INIT;

        assert_int_equal(buildkit_trace_decode(&t, bad[i].b64, strlen(bad[i].b64), &err),
                         DS_EPROTO);
        if (!strstr(err.msg, bad[i].error))
            fail_msg("'%s': got '%s', want '%s'", bad[i].b64, err.msg, bad[i].error);
        assert_int_equal(t.n_vertexes + t.n_statuses + t.n_logs + t.n_warnings, 0);
        buildkit_trace_release(&t);
        ds_error_release(&err);
    }
}

/* An empty message is an empty update, as protobuf has it; a warning keeps its text. */
static void test_empty_and_warning(void **state)
{
    struct buildkit_trace t = BUILDKIT_TRACE_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct buildkit_view v;
    struct buf plain = BUF_INIT;

    (void)state;
    assert_int_equal(buildkit_trace_decode(&t, "", 0, &err), 0);
    assert_int_equal(t.n_vertexes + t.n_statuses + t.n_logs + t.n_warnings, 0);
    /* warnings { vertex: "sha256:a" short: "old syntax" } */
    assert_int_equal(buildkit_trace_decode(&t, "IhYKCHNoYTI1NjphGgpvbGQgc3ludGF4", 32, &err), 0);
    assert_int_equal(t.n_warnings, 1);
    assert_string_equal(t.warnings[0].vertex, "sha256:a");
    assert_string_equal(t.warnings[0].text, "old syntax");
    buildkit_view_init(&v, NULL);
    buildkit_view_update(&v, &t, &plain);
    assert_string_equal(plain.buf, "#1 WARNING: old syntax\n");
    buildkit_view_release(&v);
    buildkit_trace_release(&t);
    buf_release(&plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_decode_recorded),   cmocka_unit_test(test_plain_rendering),
            cmocka_unit_test(test_terminal_panel),    cmocka_unit_test(test_bad_input),
            cmocka_unit_test(test_empty_and_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
