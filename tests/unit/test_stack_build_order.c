/*
 * Building several services at once: the images a Dockerfile reads, which
 * build waits for which (depends_on, also through services not built, and
 * a Dockerfile that reads another service's image), a circle of builds
 * refused, which build starts next under a limit; and one BuildKit view
 * shared by two builds: steps prefixed with their service, numbered across
 * both, plain lines interleaved as buildx's printer interleaves them.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/build_order.h"
#include "stack/buildkit_view.h"
#include "util/alloc.h"
#include "util/banned.h"

static const struct {
    const char *dockerfile, *images; /* comma-joined */
} dockerfiles[] = {
        {"FROM x\nRUN y\n", "x"},
        {"FROM --platform=$BUILDPLATFORM base:1 AS build\nFROM build\nCOPY --from=build /a /b\n"
         "COPY --chown=1 --from=other:2 /x /y\n",
         "base:1,other:2"},
        {"# syntax=docker/dockerfile:1\n\n  from\ttproj-a:latest\n", "tproj-a:latest"},
        {"FROM \\\n  img \\\n  AS s\nFROM s\n", "img"},
        {"RUN a \\\n# a comment inside\n b\nFROM z", "z"},
        {"ARG BASE=x\nFROM ${BASE}\nFROM scratch\n", ""},
        {"FROM a\nRUN --mount=type=bind,from=tools,target=/t ls\nADD --from=a2 x y\n",
         "a,tools,a2"},
        {"FROM a\nFROM a\n", "a"},
        {"", ""},
};

static void test_dockerfile_images(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(dockerfiles) / sizeof(dockerfiles[0]); i++) {
        struct strvec got = STRVEC_INIT;
        struct buf joined = BUF_INIT;

        stack_dockerfile_images(dockerfiles[i].dockerfile, &got);
        for (size_t k = 0; k < got.n; k++)
            buf_addf(&joined, "%s%s", k ? "," : "", got.v[k]);
        if (strcmp(joined.buf, dockerfiles[i].images))
            fail_msg("case %zu: got '%s', want '%s'", i, joined.buf, dockerfiles[i].images);
        strvec_clear(&got);
        buf_release(&joined);
    }
}

static const struct {
    const char *a, *b;
    bool same;
} refs[] = {
        {"p-a", "p-a:latest", true},
        {"docker.io/library/p-a:latest", "p-a", true},
        {"docker.io/me/app", "me/app:latest", true},
        {"p-a:1", "p-a", false},
        {"registry:5000/app", "registry:5000/app:latest", true},
        {"registry:5000/app", "app", false},
        {"p-a", "p-b", false},
};

static void test_image_ref_same(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
        if (stack_image_ref_same(refs[i].a, refs[i].b) != refs[i].same)
            fail_msg("'%s' and '%s': want %s", refs[i].a, refs[i].b,
                     refs[i].same ? "the same" : "different");
}

/* A service: "name image built depends,on reads,these" as fields. */
struct node_spec {
    const char *name, *image;
    bool build;
    const char *depends_on, *reads;
};

#define MAX_NODES 4
static const struct {
    const char *title;
    struct node_spec nodes[MAX_NODES];
    const char *after; /* "b>a c>a": b waits for a, ...; NULL with error */
    const char *error;
} orders[] = {
        {"independent builds", {{"a", "p-a", true, "", ""}, {"b", "p-b", true, "", ""}}, "", NULL},
        {"a Dockerfile FROM another service's image",
         {{"a", "p-a", true, "", "busybox"}, {"b", "p-b", true, "", "docker.io/library/p-a"}},
         "b>a",
         NULL},
        {"depends_on, as Compose orders builds",
         {{"a", "p-a", true, "b", ""}, {"b", "p-b", true, "", ""}},
         "a>b",
         NULL},
        {"depends_on through a service that is not built",
         {{"c", "p-c", true, "db", ""},
          {"db", "mysql", false, "a", ""},
          {"a", "p-a", true, "", ""}},
         "c>a",
         NULL},
        {"an image no build makes",
         {{"a", "p-a", true, "", "mysql"}, {"db", "mysql", false, "", ""}},
         "",
         NULL},
        {"a chain: c reads b's, b reads a's",
         {{"c", "p-c", true, "", "p-b"},
          {"b", "p-b", true, "", "p-a:latest"},
          {"a", "p-a", true, "", ""}},
         "c>b c>a b>a",
         NULL},
        {"its own image is no order", {{"a", "p-a", true, "", "p-a"}}, "", NULL},
        {"a circle of builds",
         {{"a", "p-a", true, "", "p-b"}, {"b", "p-b", true, "", "p-a"}},
         NULL,
         "the builds of services 'a' and 'b' wait for each other"},
};

static void test_build_order(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(orders) / sizeof(orders[0]); c++) {
        struct stack_build_node nodes[MAX_NODES];
        struct strvec deps[MAX_NODES], reads[MAX_NODES];
        bool after[MAX_NODES * MAX_NODES];
        struct ds_error err = DS_ERROR_INIT;
        struct buf got = BUF_INIT;
        size_t n = 0;
        int rc;

        for (; n < MAX_NODES && orders[c].nodes[n].name; n++) {
            const struct node_spec *s = &orders[c].nodes[n];

            strvec_init(&deps[n]);
            strvec_init(&reads[n]);
            strvec_split(&deps[n], s->depends_on, ',');
            strvec_split(&reads[n], s->reads, ',');
            nodes[n] = (struct stack_build_node){s->name, s->image, &deps[n], &reads[n], s->build};
        }
        rc = stack_build_order(nodes, n, after, &err);
        if (orders[c].error) {
            if (rc != DS_EINVAL || !err.msg || !strstr(err.msg, orders[c].error))
                fail_msg("%s: want the error '%s', got %d '%s'", orders[c].title, orders[c].error,
                         rc, err.msg ? err.msg : "");
        } else {
            if (rc != 0)
                fail_msg("%s: %s", orders[c].title, err.msg);
            for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < n; k++)
                    if (after[i * n + k])
                        buf_addf(&got, "%s%s>%s", got.len ? " " : "", nodes[i].name, nodes[k].name);
            if (strcmp(got.buf, orders[c].after))
                fail_msg("%s: got '%s', want '%s'", orders[c].title, got.buf, orders[c].after);
        }
        for (size_t i = 0; i < n; i++) {
            strvec_clear(&deps[i]);
            strvec_clear(&reads[i]);
        }
        buf_release(&got);
        ds_error_release(&err);
    }
}

/* after as "b>a" pairs over nodes named a, b, c, d; states one letter each: P R D F. */
static const struct {
    const char *after, *states;
    size_t limit;
    int next;
} nexts[] = {
        {"", "PP", 0, 0},          {"", "RP", 0, 1},   {"", "RP", 1, -1}, /* the limit reached */
        {"", "RPP", 2, 1},                                                /* room for one more */
        {"a>b", "PR", 0, -1},                          /* a waits for b, which runs */
        {"a>b", "PD", 0, 0},                           /* b done: a may start */
        {"a>b", "PF", 0, -1},                          /* b failed: a never starts */
        {"a>b b>c", "PPD", 0, 1},  {"", "DDF", 0, -1}, /* nothing pending */
        {"a>c b>c", "PPR", 0, -1},
};

static void test_build_next(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(nexts) / sizeof(nexts[0]); c++) {
        size_t n = strlen(nexts[c].states);
        bool after[16] = {false};
        enum stack_build_state states[4];
        int got;

        for (const char *p = nexts[c].after; *p; p += p[3] ? 4 : 3)
            after[(size_t)(p[0] - 'a') * n + (size_t)(p[2] - 'a')] = true;
        for (size_t i = 0; i < n; i++)
            states[i] = nexts[c].states[i] == 'P'   ? BUILD_PENDING
                        : nexts[c].states[i] == 'R' ? BUILD_RUNNING
                        : nexts[c].states[i] == 'D' ? BUILD_DONE
                                                    : BUILD_FAILED;
        got = stack_build_next(after, states, n, nexts[c].limit);
        if (got != nexts[c].next)
            fail_msg("case %zu (%s, %s, limit %zu): got %d, want %d", c, nexts[c].after,
                     nexts[c].states, nexts[c].limit, got, nexts[c].next);
    }
}

/* ---- two builds in one view ---------------------------------------------------------- */

#define SEC 1000000000LL

/* One trace message: a vertex (started/completed 0: not said) and perhaps a line of output. */
struct message {
    const char *build; /* its prefix */
    const char *digest, *name;
    int64_t started, completed;
    const char *log;
};

static const struct message bake[] = {
        {"a", "sha256:a1", "[1/2] FROM docker.io/library/busybox", 1 * SEC, 1 * SEC, NULL},
        {"a", "sha256:a2", "[2/2] RUN sleep 2", 2 * SEC, 0, NULL},
        {"b", "sha256:b2", "[2/2] RUN sleep 2", 2 * SEC, 0, NULL},
        {"a", "sha256:a2", "[2/2] RUN sleep 2", 0, 0, "slept a\n"},
        {"b", "sha256:b2", "[2/2] RUN sleep 2", 0, 0, "slept b\n"},
        {"b", "sha256:b2", "[2/2] RUN sleep 2", 2 * SEC, 4 * SEC, NULL},
        {"a", "sha256:a2", "[2/2] RUN sleep 2", 2 * SEC, 4 * SEC + SEC / 2, NULL},
};

static const char bake_plain[] = "#1 [a 1/2] FROM docker.io/library/busybox\n"
                                 "#1 DONE 0.0s\n"
                                 "\n"
                                 "#2 [a 2/2] RUN sleep 2\n"
                                 "#2 ...\n"
                                 "\n"
                                 "#3 [b 2/2] RUN sleep 2\n"
                                 "#3 ...\n"
                                 "\n"
                                 "#2 [a 2/2] RUN sleep 2\n"
                                 "#2 0.000 slept a\n"
                                 "#2 ...\n"
                                 "\n"
                                 "#3 [b 2/2] RUN sleep 2\n"
                                 "#3 0.000 slept b\n"
                                 "#3 DONE 2.0s\n"
                                 "\n"
                                 "#2 [a 2/2] RUN sleep 2\n"
                                 "#2 DONE 2.5s\n";

static void test_shared_view(void **state)
{
    struct buildkit_view v;
    struct buf plain = BUF_INIT, panel = BUF_INIT;
    const struct buildkit_view_step *failed;

    (void)state;
    buildkit_view_init(&v, NULL);
    for (size_t i = 0; i < sizeof(bake) / sizeof(bake[0]); i++) {
        const struct message *m = &bake[i];
        struct buildkit_vertex x = {(char *)m->digest, (char *)m->name, NULL, false,
                                    m->started,        m->completed};
        struct buildkit_log l = {(char *)m->digest, m->started, 1, (char *)m->log,
                                 m->log ? strlen(m->log) : 0};
        struct buildkit_trace t = {0};

        if (m->log) {
            t.logs = &l;
            t.n_logs = 1;
        } else {
            t.vertexes = &x;
            t.n_vertexes = 1;
        }
        buildkit_view_update_as(&v, m->build, &t, &plain);
    }
    assert_string_equal(plain.buf, bake_plain);
    assert_int_equal(v.n, 3);

    /* one panel: both builds' steps, each named after its service */
    buildkit_view_render(&v, 1 * SEC, 5 * SEC, 60, 0, true, false, &panel);
    assert_true(!strncmp(panel.buf, "[+] Building 4.0s (3/3) FINISHED\n", 33));
    assert_non_null(strstr(panel.buf, " => [a 1/2] FROM docker.io/library/busybox"));
    assert_non_null(strstr(panel.buf, " => [a 2/2] RUN sleep 2"));
    assert_non_null(strstr(panel.buf, " => [b 2/2] RUN sleep 2"));
    assert_true(strstr(panel.buf, "[a 2/2]") < strstr(panel.buf, "[b 2/2]"));
    assert_null(buildkit_view_failed(&v));

    /* a step both builds share (one digest) is one step, named after the last to report it */
    {
        struct buildkit_vertex x = {
                "sha256:a1", "[1/2] FROM docker.io/library/busybox", NULL, false, 1 * SEC, 1 * SEC};
        struct buildkit_trace t = {.vertexes = &x, .n_vertexes = 1};

        buildkit_view_update_as(&v, "b", &t, &plain);
        assert_int_equal(v.n, 3);
        assert_string_equal(v.steps[0].name, "[b 1/2] FROM docker.io/library/busybox");
    }

    /* b fails: its step is b's failure, and a has none */
    {
        struct buildkit_vertex x = {"sha256:b3", "[3/3] RUN false", "exit code: 1",
                                    false,       5 * SEC,           6 * SEC};
        struct buildkit_trace t = {.vertexes = &x, .n_vertexes = 1};

        buildkit_view_update_as(&v, "b", &t, &plain);
    }
    failed = buildkit_view_failed_as(&v, "b");
    assert_non_null(failed);
    assert_string_equal(failed->name, "[b 3/3] RUN false");
    assert_null(buildkit_view_failed_as(&v, "a"));

    /* a's build is cancelled while a step of it runs: CANCELED, in plain and on the panel */
    {
        struct buildkit_vertex x = {"sha256:a3", "[3/3] RUN sleep 9", NULL, false, 5 * SEC, 0};
        struct buildkit_trace t = {.vertexes = &x, .n_vertexes = 1};

        buildkit_view_update_as(&v, "a", &t, &plain);
        buf_reset(&plain);
        buildkit_view_cancel_as(&v, "b", 7 * SEC, &plain);
        assert_int_equal(plain.len, 0); /* b's steps have all ended */
        buildkit_view_cancel_as(&v, "a", 7 * SEC, &plain);
        assert_string_equal(plain.buf, "#5 CANCELED\n");
        buf_reset(&panel);
        buildkit_view_render(&v, 1 * SEC, 8 * SEC, 60, 0, false, false, &panel);
        assert_non_null(strstr(panel.buf, " => CANCELED [a 3/3] RUN sleep 9"));
        assert_non_null(strstr(panel.buf, "2.0s\n"));
    }
    buildkit_view_release(&v);
    buf_release(&plain);
    buf_release(&panel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dockerfile_images), cmocka_unit_test(test_image_ref_same),
            cmocka_unit_test(test_build_order),       cmocka_unit_test(test_build_next),
            cmocka_unit_test(test_shared_view),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
