/*
 * Summing an image's pull: recorded progress streams (tests/fixtures/pull/)
 * fed whole, line by line, byte by byte and in random pieces, with the totals
 * checked after given lines; the outcome; how failures are told apart.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/pull.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

/* The state after `line` lines; phase and describe NULL: not checked. */
struct checkpoint {
    size_t line;
    int64_t total, downloaded, extracted;
    size_t layers, layers_done, layers_exist, layers_sized;
    const char *phase;
    const char *describe; /* with a bar 10 wide */
    enum stack_pull_outcome outcome;
};

struct stream_case {
    const char *fixture;
    size_t lines;
    const struct checkpoint *checkpoints;
    size_t n_checkpoints;
    enum stack_pull_outcome outcome;
    const char *error;
    enum stack_pull_failure failure;
    const char *digest_prefix;
};

/* fresh-3-layers: layers of 3401613, 1073 and 9994524 bytes */
#define FRESH_TOTAL 13397210
static const struct checkpoint fresh[] = {
        {1, 0, 0, 0, 0, 0, 0, 0, "Pulling", "Pulling", PULL_OUTCOME_PENDING},
        {5, 0, 0, 0, 3, 0, 0, 0, "Waiting", "Waiting", PULL_OUTCOME_PENDING},
        {6, 3401613, 32768, 0, 3, 0, 0, 1, "Downloading", NULL, PULL_OUTCOME_PENDING},
        {9, 3402686, 33841, 0, 3, 0, 0, 2, "Downloading", NULL, PULL_OUTCOME_PENDING},
        {11, FRESH_TOTAL, 1770545, 0, 3, 0, 0, 3, "Downloading",
         "[>         ]  1.8MB/13.4MB  Downloading", PULL_OUTCOME_PENDING},
        {16, FRESH_TOTAL, 8383422, 32768, 3, 0, 0, 3, "Downloading", NULL, PULL_OUTCOME_PENDING},
        {20, FRESH_TOTAL, 8383422, 3402686, 3, 2, 0, 3, "Downloading",
         "[====>     ]  8.4MB/13.4MB  Downloading", PULL_OUTCOME_PENDING},
        {23, FRESH_TOTAL, FRESH_TOTAL, 3402686, 3, 2, 0, 3, "Extracting", NULL,
         PULL_OUTCOME_PENDING},
        {25, FRESH_TOTAL, FRESH_TOTAL, 8416190, 3, 2, 0, 3, "Extracting",
         "[========> ]  8.4MB/13.4MB  Extracting", PULL_OUTCOME_PENDING},
        {27, FRESH_TOTAL, FRESH_TOTAL, FRESH_TOTAL, 3, 3, 0, 3, "Pull complete",
         "[==========]  13.4MB/13.4MB  Pull complete", PULL_OUTCOME_PENDING},
        {29, FRESH_TOTAL, FRESH_TOTAL, FRESH_TOTAL, 3, 3, 0, 3, "Pull complete", "Pulled",
         PULL_OUTCOME_PULLED},
};

static const struct checkpoint up_to_date[] = {
        {1, 0, 0, 0, 0, 0, 0, 0, "Pulling", "Pulling", PULL_OUTCOME_PENDING},
        {3, 0, 0, 0, 0, 0, 0, 0, "Pulling", "Up to date", PULL_OUTCOME_UP_TO_DATE},
};

/* already-exists: three layers present, one of 1300000 bytes fetched */
static const struct checkpoint exists[] = {
        {4, 0, 0, 0, 3, 3, 3, 0, "Pull complete", "Pull complete", PULL_OUTCOME_PENDING},
        {5, 0, 0, 0, 4, 3, 3, 0, "Waiting", "Waiting", PULL_OUTCOME_PENDING},
        {6, 1300000, 520000, 0, 4, 3, 3, 1, "Downloading",
         "[==>       ]  520.0kB/1.3MB  Downloading", PULL_OUTCOME_PENDING},
        {8, 1300000, 1300000, 0, 4, 3, 3, 1, "Verifying", NULL, PULL_OUTCOME_PENDING},
        {10, 1300000, 1300000, 650000, 4, 3, 3, 1, "Extracting",
         "[=======>  ]  650.0kB/1.3MB  Extracting", PULL_OUTCOME_PENDING},
        {14, 1300000, 1300000, 1300000, 4, 4, 3, 1, "Pull complete", "Pulled", PULL_OUTCOME_PULLED},
};

static const struct checkpoint unauthorized[] = {
        {3, 0, 0, 0, 2, 0, 0, 0, "Waiting", NULL, PULL_OUTCOME_PENDING},
        {4, 5000, 1000, 0, 2, 0, 0, 1, "Downloading", "[=>        ]  1.0kB/5.0kB  Downloading",
         PULL_OUTCOME_PENDING},
        {5, 5000, 1000, 0, 2, 0, 0, 1, "Downloading",
         "Error: unauthorized: authentication required", PULL_OUTCOME_FAILED},
};

static const struct checkpoint manifest_unknown[] = {
        {1, 0, 0, 0, 0, 0, 0, 0, "Pulling",
         "Error: manifest for mysql:9.9 not found: manifest unknown: manifest unknown",
         PULL_OUTCOME_FAILED},
};

/*
 * recorded-local-registry: Docker 20.10 pulling from a local registry (the
 * fake one of tests/integration/test_pull.sh), its base layer present
 */
static const struct checkpoint recorded[] = {
        {2, 0, 0, 0, 1, 1, 1, 0, "Pull complete", "Pull complete", PULL_OUTCOME_PENDING},
        {3, 0, 0, 0, 2, 1, 1, 0, "Waiting", "Waiting", PULL_OUTCOME_PENDING},
        {4, 300335, 3797, 0, 2, 1, 1, 1, "Downloading", "[>         ]  3.8kB/300.3kB  Downloading",
         PULL_OUTCOME_PENDING},
        {7, 300335, 300335, 0, 2, 1, 1, 1, "Extracting", NULL, PULL_OUTCOME_PENDING},
        {9, 300335, 300335, 163840, 2, 1, 1, 1, "Extracting",
         "[=======>  ]  163.8kB/300.3kB  Extracting", PULL_OUTCOME_PENDING},
        {12, 300335, 300335, 300335, 2, 2, 1, 1, "Pull complete", NULL, PULL_OUTCOME_PENDING},
        {14, 300335, 300335, 300335, 2, 2, 1, 1, "Pull complete", "Pulled", PULL_OUTCOME_PULLED},
};

static const struct stream_case cases[] = {
        {"fixtures/pull/fresh-3-layers.jsonl", 29, fresh, ARRAY_SIZE(fresh), PULL_OUTCOME_PULLED,
         NULL, PULL_FAILURE_OTHER, "sha256:1d3a5e8a"},
        {"fixtures/pull/up-to-date.jsonl", 3, up_to_date, ARRAY_SIZE(up_to_date),
         PULL_OUTCOME_UP_TO_DATE, NULL, PULL_FAILURE_OTHER, "sha256:3fbc6321"},
        {"fixtures/pull/already-exists.jsonl", 14, exists, ARRAY_SIZE(exists), PULL_OUTCOME_PULLED,
         NULL, PULL_FAILURE_OTHER, "sha256:9d8a3f1b"},
        {"fixtures/pull/recorded-local-registry.jsonl", 14, recorded, ARRAY_SIZE(recorded),
         PULL_OUTCOME_PULLED, NULL, PULL_FAILURE_OTHER, "sha256:2f26c981"},
        {"fixtures/pull/unauthorized.jsonl", 5, unauthorized, ARRAY_SIZE(unauthorized),
         PULL_OUTCOME_FAILED, "unauthorized: authentication required", PULL_FAILURE_AUTH, NULL},
        {"fixtures/pull/manifest-unknown.jsonl", 1, manifest_unknown, ARRAY_SIZE(manifest_unknown),
         PULL_OUTCOME_FAILED,
         "manifest for mysql:9.9 not found: manifest unknown: manifest unknown",
         PULL_FAILURE_NOT_FOUND, NULL},
};

struct feeder {
    const struct stream_case *c;
    struct stack_pull_state state;
    size_t lines, next_checkpoint;
    const char *how;
};

static void check_point(const struct feeder *f, const struct checkpoint *cp)
{
    struct stack_pull_totals t;
    struct buf text = BUF_INIT;

    stack_pull_state_totals(&f->state, &t);
    if (t.total != cp->total || t.downloaded != cp->downloaded || t.extracted != cp->extracted ||
        t.done != cp->downloaded + cp->extracted || t.layers != cp->layers ||
        t.layers_done != cp->layers_done || t.layers_exist != cp->layers_exist ||
        t.layers_sized != cp->layers_sized || f->state.outcome != cp->outcome)
        fail_msg("%s (%s), after line %zu: total %lld downloaded %lld extracted %lld layers "
                 "%zu done %zu exist %zu sized %zu outcome %d",
                 f->c->fixture, f->how, cp->line, (long long)t.total, (long long)t.downloaded,
                 (long long)t.extracted, t.layers, t.layers_done, t.layers_exist, t.layers_sized,
                 (int)f->state.outcome);
    if (cp->phase && strcmp(t.phase, cp->phase))
        fail_msg("%s (%s), after line %zu: phase '%s', want '%s'", f->c->fixture, f->how, cp->line,
                 t.phase, cp->phase);
    if (cp->describe) {
        stack_pull_state_describe(&f->state, 10, &text);
        if (strcmp(text.buf, cp->describe))
            fail_msg("%s (%s), after line %zu: '%s', want '%s'", f->c->fixture, f->how, cp->line,
                     text.buf, cp->describe);
    }
    buf_release(&text);
}

static int feed_line(const cJSON *obj, void *ud)
{
    struct feeder *f = ud;
    struct engine_progress p;

    engine_progress_parse(obj, &p);
    stack_pull_state_feed(&f->state, &p);
    f->lines++;
    while (f->next_checkpoint < f->c->n_checkpoints &&
           f->c->checkpoints[f->next_checkpoint].line == f->lines)
        check_point(f, &f->c->checkpoints[f->next_checkpoint++]);
    return 0;
}

/* Feed the fixture in pieces of 1..max bytes (max 0: whole; SIZE_MAX: line by line). */
static void run_case(const struct stream_case *c, const char *how, size_t max, unsigned seed)
{
    struct feeder f = {.c = c, .how = how};
    struct engine_jsonlines jl;
    struct ds_error err = DS_ERROR_INIT;
    struct buf data = BUF_INIT;
    size_t pos = 0;

    test_read_fixture(&data, c->fixture);
    stack_pull_state_init(&f.state);
    engine_jsonlines_init(&jl, 0);
    while (pos < data.len) {
        size_t take = data.len - pos;

        if (max == SIZE_MAX) {
            const char *nl = memchr(data.buf + pos, '\n', data.len - pos);
            take = nl ? (size_t)(nl - (data.buf + pos)) + 1 : take;
        } else if (max) {
            take = 1 + (size_t)rand_r(&seed) % max;
            if (take > data.len - pos)
                take = data.len - pos;
        }
        assert_int_equal(engine_jsonlines_feed(&jl, data.buf + pos, take, feed_line, &f, &err), 0);
        pos += take;
    }
    assert_int_equal(engine_jsonlines_finish(&jl, feed_line, &f, &err), 0);
    assert_int_equal(f.lines, c->lines);
    assert_int_equal(f.next_checkpoint, c->n_checkpoints);
    assert_int_equal(f.state.outcome, c->outcome);
    if (c->error) {
        assert_string_equal(f.state.error, c->error);
        assert_int_equal(stack_pull_classify(f.state.error), c->failure);
    } else {
        assert_null(f.state.error);
    }
    if (c->digest_prefix)
        assert_true(f.state.digest &&
                    !strncmp(f.state.digest, c->digest_prefix, strlen(c->digest_prefix)));
    else
        assert_null(f.state.digest);
    engine_jsonlines_release(&jl);
    stack_pull_state_release(&f.state);
    buf_release(&data);
}

static void test_streams_whole_and_by_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        run_case(&cases[i], "whole", 0, 0);
        run_case(&cases[i], "line by line", SIZE_MAX, 0);
        run_case(&cases[i], "byte by byte", 1, 0);
    }
}

static void test_streams_random_splits(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        for (unsigned seed = 1; seed <= 50; seed++)
            run_case(&cases[i], "random pieces", 1 + seed % 97, seed);
}

/* ---- single lines ------------------------------------------------------------- */

static void feed_json(struct stack_pull_state *s, const char *json)
{
    cJSON *obj = cJSON_Parse(json);
    struct engine_progress p;

    assert_non_null(obj);
    engine_progress_parse(obj, &p);
    stack_pull_state_feed(s, &p);
    cJSON_Delete(obj);
}

static void test_state_edges(void **state)
{
    struct stack_pull_state s;
    struct stack_pull_totals t;
    struct buf text = BUF_INIT;

    (void)state;
    stack_pull_state_init(&s);
    /* a retry starts the layer's bytes again and says so */
    feed_json(&s, "{\"status\":\"Downloading\",\"id\":\"l1\","
                  "\"progressDetail\":{\"current\":600,\"total\":1000}}");
    feed_json(&s, "{\"status\":\"Retrying in 5 seconds\",\"id\":\"l1\",\"progressDetail\":{}}");
    stack_pull_state_totals(&s, &t);
    assert_int_equal(t.downloaded, 0);
    assert_int_equal(t.total, 1000);
    assert_string_equal(t.phase, "Retrying");
    /* current beyond total is clamped; a size that is unknown adds nothing */
    feed_json(&s, "{\"status\":\"Downloading\",\"id\":\"l1\","
                  "\"progressDetail\":{\"current\":1500,\"total\":1000}}");
    feed_json(&s, "{\"status\":\"Downloading\",\"id\":\"l2\",\"progressDetail\":{\"current\":77}}");
    stack_pull_state_totals(&s, &t);
    assert_int_equal(t.downloaded, 1000);
    assert_int_equal(t.total, 1000);
    assert_int_equal(t.layers, 2);
    assert_int_equal(t.layers_sized, 1);
    assert_string_equal(t.phase, "Downloading");
    /* a finished layer does not go back; a status without id is not a layer */
    feed_json(&s, "{\"status\":\"Pull complete\",\"id\":\"l1\",\"progressDetail\":{}}");
    feed_json(&s, "{\"status\":\"Downloading\",\"id\":\"l1\","
                  "\"progressDetail\":{\"current\":10,\"total\":1000}}");
    feed_json(&s, "{\"status\":\"Downloading\"}");
    feed_json(&s, "{\"status\":\"Pulling from library/x\",\"id\":\"1.0\"}");
    stack_pull_state_totals(&s, &t);
    assert_int_equal(t.layers, 2);
    assert_int_equal(t.layers_done, 1);
    assert_int_equal(t.downloaded, 1000);
    assert_int_equal(t.extracted, 1000);
    /* the first error is kept; a later Status line does not hide it */
    feed_json(&s, "{\"error\":\"first\"}");
    feed_json(&s, "{\"errorDetail\":{\"message\":\"second\"},\"error\":\"second\"}");
    feed_json(&s, "{\"status\":\"Status: Downloaded newer image for x:1.0\"}");
    assert_int_equal(s.outcome, PULL_OUTCOME_FAILED);
    assert_string_equal(s.error, "first");
    stack_pull_state_fail(&s, "third");
    assert_string_equal(s.error, "first");
    stack_pull_state_release(&s);

    /* an HTTP error: nothing streamed, the reason from the answer */
    stack_pull_state_init(&s);
    stack_pull_state_fail(&s, "manifest for nginx:0.0 not found: manifest unknown: manifest "
                              "unknown");
    stack_pull_state_describe(&s, 10, &text);
    assert_string_equal(text.buf,
                        "Error: manifest for nginx:0.0 not found: manifest unknown: manifest "
                        "unknown");
    assert_int_equal(stack_pull_classify(s.error), PULL_FAILURE_NOT_FOUND);
    stack_pull_state_release(&s);
    stack_pull_state_init(&s);
    stack_pull_state_fail(&s, NULL);
    assert_string_equal(s.error, "the pull failed");
    stack_pull_state_release(&s);
    buf_release(&text);
}

static void test_describe_bar(void **state)
{
    static const struct {
        int64_t current, total;
        int width;
        const char *want;
    } cases_[] = {
            {0, 100, 4, "[>   ]  0B/100B  Downloading"},
            {50, 100, 4, "[=>  ]  50B/100B  Downloading"},
            {100, 100, 4, "[==> ]  100B/100B  Downloading"},
            {99, 100, 0, "[>]  99B/100B  Downloading"},
            {999999, 1000000, 8, "[===>    ]  1.0MB/1.0MB  Downloading"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases_); i++) {
        struct stack_pull_state s;
        struct engine_progress p = {.id = "l", .status = "Downloading"};
        struct buf text = BUF_INIT;

        p.current = cases_[i].current;
        p.total = cases_[i].total;
        stack_pull_state_init(&s);
        stack_pull_state_feed(&s, &p);
        stack_pull_state_describe(&s, cases_[i].width, &text);
        if (strcmp(text.buf, cases_[i].want))
            fail_msg("case %zu: '%s', want '%s'", i, text.buf, cases_[i].want);
        buf_release(&text);
        stack_pull_state_release(&s);
    }
}

static void test_classify(void **state)
{
    static const struct {
        const char *msg;
        enum stack_pull_failure want;
    } cases_[] = {
            {"Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on "
             "10.255.255.53:53: no such host",
             PULL_FAILURE_UNREACHABLE},
            {"Get \"https://ghcr.io/v2/\": dial tcp 140.82.121.33:443: connect: connection refused",
             PULL_FAILURE_UNREACHABLE},
            {"Get \"https://r.example/v2/\": net/http: TLS handshake timeout",
             PULL_FAILURE_UNREACHABLE},
            {"Get \"https://r.example/v2/\": net/http: request canceled while waiting for "
             "connection (Client.Timeout exceeded while awaiting headers)",
             PULL_FAILURE_UNREACHABLE},
            {"manifest for mysql:9.9 not found: manifest unknown: manifest unknown",
             PULL_FAILURE_NOT_FOUND},
            {"pull access denied for nosuch/image, repository does not exist or may require "
             "'docker login': denied: requested access to the resource is denied",
             PULL_FAILURE_NOT_FOUND},
            {"unauthorized: authentication required", PULL_FAILURE_AUTH},
            {"Head \"https://ghcr.io/v2/o/r/manifests/1\": unauthorized", PULL_FAILURE_AUTH},
            {"unauthorized: incorrect username or password", PULL_FAILURE_AUTH},
            {"Head \"http://127.0.0.1:5000/v2/t/b/manifests/1.0\": no basic auth credentials",
             PULL_FAILURE_AUTH},
            {"failed to register layer: no space left on device", PULL_FAILURE_OTHER},
            {NULL, PULL_FAILURE_OTHER},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases_); i++)
        if (stack_pull_classify(cases_[i].msg) != cases_[i].want)
            fail_msg("'%s': %d, want %d", cases_[i].msg ? cases_[i].msg : "(null)",
                     (int)stack_pull_classify(cases_[i].msg), (int)cases_[i].want);
    /* the unreachable hint names the stand-ins and the way to use what is present */
    assert_non_null(
            strstr(stack_pull_failure_hint(PULL_FAILURE_UNREACHABLE), "scripts/standin-images.sh"));
    assert_non_null(strstr(stack_pull_failure_hint(PULL_FAILURE_UNREACHABLE), "--pull never"));
    assert_non_null(strstr(stack_pull_failure_hint(PULL_FAILURE_UNREACHABLE),
                           "devstack/python:3.11-fastapi"));
    assert_null(stack_pull_failure_hint(PULL_FAILURE_OTHER));
    assert_null(stack_pull_failure_name(PULL_FAILURE_OTHER));
    assert_string_equal(stack_pull_failure_name(PULL_FAILURE_NOT_FOUND), "image not found");
}

/* ---- which images `pull` takes --------------------------------------------------- */

static void test_select(void **state)
{
    static const char yaml[] =
            "services:\n"
            "  db:\n    image: mysql:8.0\n"
            "  db2:\n    image: mysql:8.0\n"
            "  arm:\n    image: mysql:8.0\n    platform: linux/arm64\n"
            "  api:\n    build: .\n"
            "  web:\n    image: shop/web:1\n    build: .\n"
            "  never:\n    image: x/never:1\n    pull_policy: never\n"
            "  built:\n    image: x/built:1\n    build: .\n    pull_policy: build\n"
            "  missing:\n    image: x/missing:1\n    pull_policy: missing\n"
            "  extra:\n    image: x/extra:1\n    profiles: [extra]\n";
    struct compose_project *p = NULL;
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/shop"};
    struct stack_pull_list l;
    struct strvec names = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    if (compose_load_text(&p, yaml, strlen(yaml), "/shop/compose.yaml", &o, &err) < 0)
        fail_msg("%s", err.msg);
    /* without an engine nothing counts as present */
    assert_int_equal(stack_pull_select(NULL, p, NULL, &l, &err), 0);
    assert_int_equal(l.n, 4); /* extra's profile is not enabled */
    assert_string_equal(l.jobs[0].ref, "mysql:8.0");
    assert_null(l.jobs[0].platform);
    assert_int_equal(l.jobs[0].services.n, 2);
    assert_string_equal(l.jobs[0].services.v[1], "db2");
    assert_false(l.jobs[0].optional);
    assert_string_equal(l.jobs[1].ref, "mysql:8.0");
    assert_string_equal(l.jobs[1].platform, "linux/arm64");
    assert_string_equal(l.jobs[2].ref, "shop/web:1");
    assert_true(l.jobs[2].optional);
    assert_string_equal(l.jobs[3].ref, "x/missing:1");
    assert_int_equal(l.n_skipped, 3);
    assert_string_equal(l.skipped[0].service, "api");
    assert_null(l.skipped[0].image);
    assert_string_equal(l.skipped[1].service, "never");
    assert_string_equal(l.skipped[1].reason, "pull_policy is never");
    assert_string_equal(l.skipped[2].service, "built");
    stack_pull_list_release(&l);

    /* named services only */
    strvec_push(&names, "web");
    strvec_push(&names, "api");
    assert_int_equal(stack_pull_select(NULL, p, &names, &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.jobs[0].services.v[0], "web");
    assert_int_equal(l.n_skipped, 1);
    stack_pull_list_release(&l);
    strvec_clear(&names);
    compose_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_streams_whole_and_by_line),
            cmocka_unit_test(test_streams_random_splits),
            cmocka_unit_test(test_state_edges),
            cmocka_unit_test(test_describe_bar),
            cmocka_unit_test(test_classify),
            cmocka_unit_test(test_select),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
