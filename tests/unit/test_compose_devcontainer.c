/*
 * devcontainer.json: JSON with comments read as the devcontainers CLI reads
 * it, and which service of a project it makes the dev container
 * (tests/fixtures/devcontainer/<case>/).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lib/testlib.h"
#include "compose/compose.h"
#include "util/alloc.h"
#include "util/jsonc.h"
#include "util/path.h"
#include "util/banned.h"

static void test_jsonc(void **state)
{
    static const struct {
        const char *text, *json; /* json NULL: an error with `error` in it */
        const char *error;
    } cases[] = {
            {"{}", "{}", NULL},
            {"{\"a\": 1} // end", "{\"a\": 1}       ", NULL},
            {"// first\n{\"a\": 1}", "        \n{\"a\": 1}", NULL},
            {"{/* x */\"a\": 1}", "{       \"a\": 1}", NULL},
            {"{/* a\nb */\"a\": 1}", "{    \n    \"a\": 1}", NULL},
            {"{\"a\": \"// kept\"}", "{\"a\": \"// kept\"}", NULL},
            {"{\"a\": \"/* kept */\"}", "{\"a\": \"/* kept */\"}", NULL},
            {"{\"a\": \"q\\\"//\"}", "{\"a\": \"q\\\"//\"}", NULL},
            {"{\"a\": \"\\\\\"// gone\n}", "{\"a\": \"\\\\\"       \n}", NULL},
            {"{\"a\": 1,}", "{\"a\": 1 }", NULL},
            {"[1, 2,\n]", "[1, 2 \n]", NULL},
            {"[1, 2, // trailing\n]",
             "[1, 2"
             "             "
             "\n]",
             NULL},
            {"[1, 2, /* c */ ]", "[1, 2          ]", NULL},
            {"{\"a\": [1,], \"b\": {\"c\": 2,},}", "{\"a\": [1 ], \"b\": {\"c\": 2 } }", NULL},
            {"[\",]\", 1]", "[\",]\", 1]", NULL},
            {"{\"a\": 1 /* never\n closed", NULL, "line 1: a comment that is never closed"},
            {"{\n\"a\": \"open\n}", NULL, "line 2: a string that is never closed"},
            {"1 / 2", "1 / 2", NULL},
            {"", "", NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf out = BUF_INIT;
        struct ds_error err = DS_ERROR_INIT;
        int rc = jsonc_to_json(&out, cases[i].text, strlen(cases[i].text), &err);

        if (cases[i].json) {
            if (rc != 0 || strcmp(out.buf, cases[i].json))
                fail_msg("case %zu: rc %d, '%s', want '%s'", i, rc, out.buf, cases[i].json);
            if (*cases[i].json && cases[i].json[0] != '1' && !strstr(cases[i].json, "\\\"")) {
                cJSON *doc = cJSON_Parse(out.buf);

                if (!doc)
                    fail_msg("case %zu: cJSON cannot parse '%s'", i, out.buf);
                cJSON_Delete(doc);
            }
        } else if (rc != DS_EINVAL || !err.msg || strcmp(err.msg, cases[i].error)) {
            fail_msg("case %zu: rc %d, error '%s', want '%s'", i, rc, err.msg ? err.msg : "",
                     cases[i].error);
        }
        buf_release(&out);
        ds_error_release(&err);
    }
}

/* Load <case>/<compose> as the project and look for its dev container. */
static char *fixtures;

static struct compose_project *load(const char *compose)
{
    struct compose_options o = {0};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;
    struct buf path = BUF_INIT, text = BUF_INIT;

    buf_addf(&path, "%s/%s", fixtures, compose);
    assert_int_equal(buf_read_file(&text, path.buf, 0), 0);
    if (compose_load_text(&p, text.buf, text.len, path.buf, &o, &err) < 0)
        fail_msg("%s: %s", compose, err.msg);
    compose_find_devcontainer(p);
    buf_release(&path);
    buf_release(&text);
    return p;
}

static void test_find(void **state)
{
    static const struct {
        const char *compose;
        const char *service, *folder, *config; /* folder, config: under the fixtures */
        const char *warning;
    } cases[] = {
            {"nested/compose/compose.yaml", "app", "nested",
             "nested/.devcontainer/devcontainer.json", NULL},
            {"flat/compose.yaml", "web", "flat", "flat/.devcontainer.json", NULL},
            /* its devcontainer.json names another project's file */
            {"other/compose.yaml", NULL, NULL, NULL, NULL},
            {"broken/compose.yaml", NULL, NULL, NULL,
             "broken/.devcontainer.json': line 3: a comment that is never closed; its dev "
             "container is not labelled"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct compose_project *p = load(cases[i].compose);
        const struct compose_devcontainer *d = p->devcontainer;

        if (!cases[i].service) {
            if (d)
                fail_msg("%s: dev container '%s', want none", cases[i].compose, d->service);
        } else {
            struct buf folder = BUF_INIT, config = BUF_INIT;

            buf_addf(&folder, "%s/%s", fixtures, cases[i].folder);
            buf_addf(&config, "%s/%s", fixtures, cases[i].config);
            if (!d || strcmp(d->service, cases[i].service) || strcmp(d->local_folder, folder.buf) ||
                strcmp(d->config_file, config.buf))
                fail_msg("%s: %s %s %s, want %s %s %s", cases[i].compose, d ? d->service : "-",
                         d ? d->local_folder : "-", d ? d->config_file : "-", cases[i].service,
                         folder.buf, config.buf);
            buf_release(&folder);
            buf_release(&config);
        }
        if (cases[i].warning) {
            if (p->warnings.n != 1 || !strstr(p->warnings.v[0], cases[i].warning))
                fail_msg("%s: warnings %zu ('%s'), want '%s'", cases[i].compose, p->warnings.n,
                         p->warnings.n ? p->warnings.v[0] : "", cases[i].warning);
        } else if (p->warnings.n) {
            fail_msg("%s: warning '%s'", cases[i].compose, p->warnings.v[0]);
        }
        compose_project_free(p);
    }
}

/* the paths a project holds are absolute */
static int setup(void **state)
{
    struct buf path = BUF_INIT;

    (void)state;
    buf_addf(&path, "%s/fixtures/devcontainer", test_dir());
    fixtures = path_resolve(path.buf);
    buf_release(&path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(fixtures);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_jsonc),
            cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
