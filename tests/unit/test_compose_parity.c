/*
 * What `config --variables` and `config --hash` compute, beside Compose: the
 * variables of a text under compose-go's extraction rules, and the Go JSON a
 * service's hash is taken of. Expected values come from docker compose 2.26.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "compose/hash.h"
#include "compose/variables.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

static void test_variables_scan(void **state)
{
    static const struct {
        const char *text;
        const char *want; /* "NAME|default|alternate|required;" each, sorted by name */
    } cases[] = {
            {"plain text", ""},
            {"$$HOME and $$$$", ""},
            {"$A", "A|||0;"},
            {"${A}", "A|||0;"},
            {"nginx:${TAG:-1.25}", "TAG|1.25||0;"},
            {"${A-x}", "A|x||0;"},
            {"${A:?say so}", "A|||1;"},
            {"${A?}", "A|||1;"},
            {"${DNS+1.1.1.1}", "DNS||1.1.1.1|0;"},
            {"${A:+yes}", "A||yes|0;"},
            {"$PLAIN-$Other", "Other|||0;PLAIN|||0;"},
            /* the text after the operator is searched too */
            {"${NEST:-${INNER:-z}}", "INNER|z||0;NEST|${INNER:-z}||0;"},
            /* the name ends at the first character outside [A-Za-z0-9_] */
            {"${C-u:?v}", "C|u:?v||0;"},
            /* two on a line: the first '}' closing the first '{' ends the first */
            {"${A:-x}/${B:-y}", "A|x||0;B|y||0;"},
            /* a later use of a name replaces the earlier */
            {"${A:-x} ${A}", "A|x||0;"},
            {"$1 and $ alone", ""},
            {"${not valid}", "|||0;"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct compose_variables vars = COMPOSE_VARIABLES_INIT;
        struct buf got = BUF_INIT;

        compose_variables_scan(&vars, cases[i].text);
        for (size_t a = 0; a < vars.n; a++) /* sorted, as the table shows them */
            for (size_t b = a + 1; b < vars.n; b++)
                if (strcmp(vars.v[b].name, vars.v[a].name) < 0) {
                    struct compose_variable t = vars.v[a];

                    vars.v[a] = vars.v[b];
                    vars.v[b] = t;
                }
        for (size_t k = 0; k < vars.n; k++)
            buf_addf(&got, "%s|%s|%s|%d;", vars.v[k].name, vars.v[k].default_value,
                     vars.v[k].alternate_value, vars.v[k].required);
        if (strcmp(got.buf, cases[i].want))
            fail_msg("'%s': got '%s', want '%s'", cases[i].text, got.buf, cases[i].want);
        buf_release(&got);
        compose_variables_release(&vars);
    }
}

static void test_hash_text(void **state)
{
    static const struct {
        const char *what;
        const char *service; /* as config --format json shows it */
        const char *want;    /* what Go's encoding/json makes of it */
    } cases[] = {
            {"unset command and entrypoint are null; the service's fields in Go's order",
             "{\"image\":\"x\",\"environment\":{\"B\":\"1\",\"A\":null},\"cap_add\":[\"NET_ADMIN\"]"
             "}",
             "{\"cap_add\":[\"NET_ADMIN\"],\"command\":null,\"entrypoint\":null,"
             "\"environment\":{\"A\":null,\"B\":\"1\"},\"image\":\"x\"}"},
            {"build, pull_policy, scale and deploy.replicas do not count",
             "{\"build\":{\"context\":\"/p\"},\"pull_policy\":\"always\",\"scale\":2,"
             "\"deploy\":{\"replicas\":2,\"mode\":\"replicated\"},\"command\":[\"a\"]}",
             "{\"command\":[\"a\"],\"deploy\":{\"mode\":\"replicated\"},\"entrypoint\":null}"},
            {"nested types in their declaration order",
             "{\"healthcheck\":{\"interval\":\"5s\",\"timeout\":\"2s\",\"test\":[\"CMD\",\"true\"]}"
             ","
             "\"ports\":[{\"target\":80,\"published\":\"8080\",\"mode\":\"ingress\","
             "\"protocol\":\"tcp\"}]}",
             "{\"command\":null,\"entrypoint\":null,\"healthcheck\":{\"test\":[\"CMD\",\"true\"],"
             "\"timeout\":\"2s\",\"interval\":\"5s\"},\"ports\":[{\"mode\":\"ingress\","
             "\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"}]}"},
            {"Go's escapes: HTML characters, control characters, U+2028",
             "{\"command\":[\"<a&b>\",\"t\\tn\\nx\\u0001\",\"\\u2028\",\"caf\\u00e9\","
             "\"q\\\"\\\\\"]}",
             "{\"command\":[\"\\u003ca\\u0026b\\u003e\",\"t\\tn\\nx\\u0001\",\"\\u2028\","
             "\"caf\xc3\xa9\",\"q\\\"\\\\\"],\"entrypoint\":null}"},
            {"labels and depends_on are maps, sorted; a dependency is a struct",
             "{\"labels\":{\"b\":\"2\",\"a\":\"1\"},\"depends_on\":{\"db\":{\"required\":true,"
             "\"condition\":\"service_healthy\"}}}",
             "{\"command\":null,\"depends_on\":{\"db\":{\"condition\":\"service_healthy\","
             "\"required\":true}},\"entrypoint\":null,\"labels\":{\"a\":\"1\",\"b\":\"2\"}}"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cJSON *service = cJSON_Parse(cases[i].service);
        struct buf got = BUF_INIT;

        assert_non_null(service);
        compose_hash_text(&got, service);
        if (strcmp(got.buf, cases[i].want))
            fail_msg("%s:\n got  %s\n want %s", cases[i].what, got.buf, cases[i].want);
        buf_release(&got);
        cJSON_Delete(service);
    }
}

/* The hash docker compose 2.26 prints for this service (`config --hash web`). */
static void test_hash_matches_compose(void **state)
{
    static const char yaml[] = "name: p\n"
                               "services:\n"
                               "  web:\n"
                               "    image: \"nginx:1.25\"\n"
                               "    command: [\"sh\", \"-c\", \"echo '<a&b>' $$HOME\"]\n"
                               "    environment:\n"
                               "      Z: \"1\"\n"
                               "      A: \"x\\ty\"\n"
                               "    ports: [\"127.0.0.1:8080:80\"]\n"
                               "    healthcheck:\n"
                               "      test: [\"CMD\", \"true\"]\n"
                               "      interval: 5s\n"
                               "      timeout: 2s\n"
                               "    pull_policy: always\n"
                               "    labels:\n"
                               "      b: \"2\"\n"
                               "      a: \"1\"\n";
    char *const env[] = {NULL};
    struct compose_options o = {.environ = env};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;
    char digest[65];

    (void)state;
    if (compose_load_text(&p, yaml, sizeof(yaml) - 1, "/p/compose.yaml", &o, &err) < 0)
        fail_msg("%s", err.msg);
    compose_hash_service(digest, compose_find_service(p, "web"));
    assert_string_equal(digest, "623013cef56accff5dcafb7e99af94dea82d2c2ba3c3136e32a68bbdc3fb0495");
    compose_project_free(p);
    ds_error_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_variables_scan),
            cmocka_unit_test(test_hash_text),
            cmocka_unit_test(test_hash_matches_compose),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
