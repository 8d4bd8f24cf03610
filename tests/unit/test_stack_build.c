/*
 * What devstack's builder (BuildKit or the classic builder, through the
 * Engine API's /build) refuses: each build key that needs more of
 * BuildKit than a session for secrets and ssh, and several platforms, with the
 * position where it was written, the key, why and what to do; and that `up`
 * refuses it while planning, before anything is created, but not when the
 * image is there and nothing is built.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "compose/compose.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

#define WHY_CLASSIC                                                                                \
    ", and devstack's builder (the Engine API's /build, with a session for secrets and ssh) does " \
    "not do that: not supported yet"
#define HINT(key) "remove build." key ", or build this service with `docker compose build s`"

static const struct {
    const char *name, *yaml;
    const char *error; /* NULL: built */
    const char *hint;
} cases[] = {
        {"the keys the classic builder takes",
         "services:\n  s:\n    build:\n      dockerfile_inline: FROM x\n      shm_size: 64m\n"
         "      extra_hosts: [a:10.0.0.1]\n      isolation: default\n      tags: [x:1, x:2]\n"
         "      platforms: [linux/amd64]\n      ulimits: {nofile: 10}\n      privileged: false\n"
         "      cache_to: []\n      ssh: []\n",
         NULL, NULL},
        {"privileged", "services:\n  s:\n    build:\n      context: .\n      privileged: true\n",
         "/p/compose.yaml:5:7: services.s.build.privileged: RUN steps run privileged only under "
         "BuildKit (its security.insecure entitlement)" WHY_CLASSIC,
         HINT("privileged")},
        {"cache_to", "services:\n  s:\n    build:\n      cache_to: [type=local,dest=/tmp/c]\n",
         "/p/compose.yaml:4:7: services.s.build.cache_to: exporting the build cache needs "
         "BuildKit's cache exporter" WHY_CLASSIC,
         HINT("cache_to")},
        {"additional_contexts: an image, named in the hint",
         "services:\n  s:\n    build:\n      additional_contexts: [src=./src, "
         "base=docker-image://x:1]\n",
         "/p/compose.yaml:4:7: services.s.build.additional_contexts: named contexts are sent by a "
         "BuildKit session's file sync" WHY_CLASSIC,
         "where the Dockerfile names 'base' (FROM, COPY --from=), write the image 'x:1' itself; "
         "or " HINT("additional_contexts")},
        {"additional_contexts: a service",
         "services:\n  s:\n    build:\n      additional_contexts: {app: \"service:t\"}\n"
         "  t:\n    build: .\n",
         "/p/compose.yaml:4:7: services.s.build.additional_contexts: named contexts are sent by a "
         "BuildKit session's file sync" WHY_CLASSIC,
         "where the Dockerfile names 'app' (FROM, COPY --from=), write the image service 't' "
         "builds (and build it first); or " HINT("additional_contexts")},
        {"additional_contexts: a directory",
         "services:\n  s:\n    build:\n      additional_contexts: {src: ../src}\n",
         "/p/compose.yaml:4:7: services.s.build.additional_contexts: named contexts are sent by a "
         "BuildKit session's file sync" WHY_CLASSIC,
         HINT("additional_contexts")},
        {"entitlements", "services:\n  s:\n    build:\n      entitlements: [network.host]\n",
         "/p/compose.yaml:4:7: services.s.build.entitlements: entitlements are granted by "
         "BuildKit" WHY_CLASSIC,
         HINT("entitlements")},
        {"several platforms",
         "services:\n  s:\n    build:\n      platforms: [linux/amd64, linux/arm64]\n",
         "/p/compose.yaml:4:7: services.s.build.platforms: 2 platforms: a multi-platform image "
         "needs BuildKit's image exporter, and devstack builds one platform",
         "keep one platform in build.platforms, or build this service with `docker compose build "
         "s`"},
        {"several of them: one error (privileged before ssh)",
         "services:\n  s:\n    build:\n      ssh: [default]\n      privileged: true\n",
         "/p/compose.yaml:5:7: services.s.build.privileged: RUN steps run privileged only under "
         "BuildKit (its security.insecure entitlement)" WHY_CLASSIC,
         HINT("privileged")},
};

static struct compose_project *load(const char *yaml)
{
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;

    if (compose_load_text(&p, yaml, strlen(yaml), "/p/compose.yaml", &o, &err) < 0)
        fail_msg("cannot load '%s': %s", yaml, err.msg);
    return p;
}

static void test_build_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct compose_project *p = load(cases[i].yaml);
        struct ds_error err = DS_ERROR_INIT;
        int rc = stack_build_check(p, compose_find_service(p, "s"), &err);

        if (!cases[i].error && rc != 0)
            fail_msg("case '%s': refused: %s", cases[i].name, err.msg);
        if (cases[i].error) {
            if (rc != DS_EUNSUPPORTED || !err.msg || strcmp(err.msg, cases[i].error))
                fail_msg("case '%s': rc %d\n  got:  %s\n  want: %s", cases[i].name, rc,
                         err.msg ? err.msg : "(none)", cases[i].error);
            if (!err.hint || strcmp(err.hint, cases[i].hint))
                fail_msg("case '%s': hint\n  got:  %s\n  want: %s", cases[i].name,
                         err.hint ? err.hint : "(none)", cases[i].hint);
        }
        ds_error_release(&err);
        compose_project_free(p);
    }
}

/* `up` refuses while planning when the image must be built, not when it is there. */
static void test_plan_refuses(void **state)
{
    static const char yaml[] = "services:\n  s:\n    build:\n      cache_to: [type=inline]\n";
    struct compose_project *p = load(yaml);
    struct stack_image img = {.service = "s", .ref = "p-s", .id = NULL};
    struct stack_observed o = {.images = &img, .n_images = 1};
    struct stack_options opts = {0};
    struct stack_plan plan;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    assert_int_equal(stack_plan(p, &o, &opts, &plan, &err), DS_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "/p/compose.yaml:4:7: services.s.build.cache_to:"));
    ds_error_release(&err);

    img.id = "sha256:there";
    assert_int_equal(stack_plan(p, &o, &opts, &plan, &err), 0);
    stack_plan_release(&plan);

    opts.build = true; /* up --build */
    assert_int_equal(stack_plan(p, &o, &opts, &plan, &err), DS_EUNSUPPORTED);
    ds_error_release(&err);
    compose_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_build_check),
            cmocka_unit_test(test_plan_refuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
