/*
 * Compose loading, table-driven from tests/fixtures/compose/cases.yaml. Each
 * case writes its files into a fresh directory, loads them as devstack would
 * (compose.yaml, then override.yaml if given), and compares with what it
 * expects:
 *
 *   - name: ports, short syntax
 *     env: {TAG: "1.0"}             # the process environment (nothing else is seen)
 *     files: {".env": "A=1\n"}     # more files in the project directory
 *     input: |                      # compose.yaml
 *       services: ...
 *     override: |                   # a second -f file, optional
 *     dir: My_App                   # the project directory's name (default: a temp name)
 *     input_path: compose/x.yml     # where compose.yaml goes, relative to the directory
 *     override_path: dev/y.yml      # ... and override.yaml
 *     compose_files: [a.yaml, b/c.yaml] # the -f files instead (written by `files:`)
 *     discover: true                # no -f: the files are found from `cwd` (default: the
 * directory) cwd: app/src                  # ... where the user stands, relative to the directory
 *     project_directory: sub        # --project-directory, relative to the directory
 *     layers: [[db], [api, web]]    # the start order
 *     args: [--profile, x]          # profiles / services: profiles: [..], services: [..]
 *     service: {...}                # `config --format json` of services.s
 *     services: {...}               # ... or of all services
 *     project: {...}                # ... or a subset of the top level (name, networks, volumes)
 *     error: "compose.yaml:3:7: ..." # ... or the exact error
 *     warnings: ["substring", ...]  # every warning, in order, by a substring
 *
 * In expected strings "@" stands for the case's directory.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/testlib.h"
#include "compose/compose.h"
#include "compose/yamltree.h"
#include "util/alloc.h"
#include "util/path.h"
#include "util/strutil.h"
#include "util/strvec.h"
#include "util/banned.h"

static char *expand_at(const char *s, const char *dir)
{
    struct buf b = BUF_INIT;

    for (; *s; s++) {
        if (*s == '@')
            buf_adds(&b, dir);
        else
            buf_addch(&b, *s);
    }
    return buf_detach(&b, NULL);
}

/* The expected values are written in YAML: plain scalars are typed as JSON would have them. */
static cJSON *yaml_to_json(const struct ynode *n, const char *dir)
{
    cJSON *out;
    char *end;

    switch (n->kind) {
    case YNODE_NULL:
        return cJSON_CreateNull();
    case YNODE_SEQ:
        out = cJSON_CreateArray();
        for (size_t i = 0; i < n->n; i++)
            cJSON_AddItemToArray(out, yaml_to_json(n->items[i], dir));
        return out;
    case YNODE_MAP:
        out = cJSON_CreateObject();
        for (size_t i = 0; i < n->n; i++)
            cJSON_AddItemToObject(out, n->keys[i]->text, yaml_to_json(n->items[i], dir));
        return out;
    case YNODE_SCALAR:
        break;
    }
    if (n->plain) {
        if (ytree_is_null(n))
            return cJSON_CreateNull();
        if (!strcmp(n->text, "true") || !strcmp(n->text, "false"))
            return cJSON_CreateBool(!strcmp(n->text, "true"));
        /* numbers as JSON writes them: not "inf", "nan" or "0x10" */
        if ((n->text[0] >= '0' && n->text[0] <= '9') ||
            (n->text[0] == '-' && n->text[1] >= '0' && n->text[1] <= '9')) {
            double v = strtod(n->text, &end);
            if (!*end && !strpbrk(n->text, "xX"))
                return cJSON_CreateNumber(v);
        }
    }
    {
        char *s = expand_at(n->text, dir);
        out = cJSON_CreateString(s);
        free(s);
        return out;
    }
}

static const char *scalar(const struct ynode *map, const char *key)
{
    const struct ynode *v = ytree_get(map, key);
    return v && v->kind == YNODE_SCALAR ? v->text : NULL;
}

struct run {
    int cases, failures;
};

static void fail_case(struct run *r, const char *name, const char *what, const char *detail)
{
    r->failures++;
    print_error("case '%s': %s\n%s\n", name, what, detail ? detail : "");
}

static void check_json(struct run *r, const char *name, const char *what, const cJSON *expected,
                       const cJSON *actual)
{
    if (!cJSON_Compare(expected, actual, 1)) {
        char *e = cJSON_Print(expected), *a = actual ? cJSON_Print(actual) : xstrdup("(none)");
        struct buf d = BUF_INIT;

        buf_addf(&d, "--- expected %s\n%s\n--- actual\n%s", what, e, a);
        fail_case(r, name, "output differs", d.buf);
        buf_release(&d);
        cJSON_free(e);
        cJSON_free(a);
    }
}

static void run_case(struct run *r, const struct ynode *c)
{
    const char *name = scalar(c, "name");
    const struct ynode *env = ytree_get(c, "env"), *files = ytree_get(c, "files");
    const struct ynode *args = ytree_get(c, "profiles"), *svc = ytree_get(c, "services_args");
    const struct ynode *want_warnings = ytree_get(c, "warnings");
    struct strvec environ_vec = STRVEC_INIT, file_list = STRVEC_INIT, profiles = STRVEC_INIT,
                  services = STRVEC_INIT;
    struct compose_options o = {0};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;
    char *top = test_mkdtemp(), *dir;
    const char *expect_error = scalar(c, "error");
    const char *input_path = scalar(c, "input_path") ? scalar(c, "input_path") : "compose.yaml";
    const char *override_path =
            scalar(c, "override_path") ? scalar(c, "override_path") : "override.yaml";
    int rc;

    r->cases++;
    if (!name)
        name = "(unnamed)";
    if (scalar(c, "dir")) {
        struct buf d = BUF_INIT;

        buf_addf(&d, "%s/%s", top, scalar(c, "dir"));
        mkdir(d.buf, 0755);
        dir = buf_detach(&d, NULL);
    } else {
        dir = xstrdup(top);
    }
    const struct ynode *compose_files = ytree_get(c, "compose_files");
    bool discover = scalar(c, "discover") && !strcmp(scalar(c, "discover"), "true");
    char *cwd = NULL, *project_dir = NULL;

    if (scalar(c, "input") || (!compose_files && !discover))
        test_write_file(dir, input_path, scalar(c, "input") ? scalar(c, "input") : "");
    for (size_t i = 0; compose_files && i < compose_files->n; i++)
        strvec_push(&file_list, compose_files->items[i]->text);
    if (!compose_files && !discover)
        strvec_push(&file_list, input_path);
    if (scalar(c, "override")) {
        test_write_file(dir, override_path, scalar(c, "override"));
        strvec_push(&file_list, override_path);
    }
    for (size_t i = 0; files && i < files->n; i++)
        test_write_file(dir, files->keys[i]->text, files->items[i]->text);
    for (size_t i = 0; env && i < env->n; i++) {
        char *v = expand_at(env->items[i]->kind == YNODE_SCALAR ? env->items[i]->text : "", dir);
        strvec_pushf(&environ_vec, "%s=%s", env->keys[i]->text, v);
        free(v);
    }
    for (size_t i = 0; args && i < args->n; i++)
        strvec_push(&profiles, args->items[i]->text);
    for (size_t i = 0; svc && i < svc->n; i++)
        strvec_push(&services, svc->items[i]->text);

    cwd = scalar(c, "cwd") ? path_join(dir, scalar(c, "cwd")) : xstrdup(dir);
    if (scalar(c, "project_directory"))
        project_dir = path_join(dir, scalar(c, "project_directory"));
    o.files = &file_list;
    o.working_directory = cwd;
    o.project_directory = project_dir;
    o.environ = environ_vec.v;
    o.profiles = &profiles;
    o.services = &services;
    o.project_name = scalar(c, "project_name");
    rc = compose_load(&p, &o, &err);

    if (expect_error) {
        char *want = expand_at(expect_error, dir);

        if (rc == 0)
            fail_case(r, name, "loaded, but an error was expected", want);
        else if (strcmp(err.msg, want)) {
            struct buf d = BUF_INIT;

            buf_addf(&d, "expected: %s\nactual:   %s", want, err.msg);
            fail_case(r, name, "wrong error", d.buf);
            buf_release(&d);
        }
        free(want);
    } else if (rc < 0) {
        fail_case(r, name, "failed to load", err.msg);
    } else {
        cJSON *doc = compose_to_json(p);
        const struct ynode *want;

        if ((want = ytree_get(c, "service"))) {
            cJSON *e = yaml_to_json(want, dir);
            check_json(r, name, "services.s", e,
                       cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(doc, "services"), "s"));
            cJSON_Delete(e);
        }
        if ((want = ytree_get(c, "services"))) {
            cJSON *e = yaml_to_json(want, dir);
            check_json(r, name, "services", e, cJSON_GetObjectItemCaseSensitive(doc, "services"));
            cJSON_Delete(e);
        }
        if ((want = ytree_get(c, "layers"))) {
            struct compose_layers layers;
            cJSON *e = yaml_to_json(want, dir), *actual = cJSON_CreateArray();

            assert_int_equal(compose_layers(p, &layers, &err), 0);
            for (size_t i = 0; i < layers.n; i++) {
                cJSON *layer = cJSON_CreateArray();

                for (size_t k = 0; k < layers.layers[i].n; k++)
                    cJSON_AddItemToArray(layer, cJSON_CreateString(layers.layers[i].v[k]));
                cJSON_AddItemToArray(actual, layer);
            }
            check_json(r, name, "layers", e, actual);
            compose_layers_release(&layers);
            cJSON_Delete(e);
            cJSON_Delete(actual);
        }
        if ((want = ytree_get(c, "project"))) {
            cJSON *e = yaml_to_json(want, dir), *item;

            cJSON_ArrayForEach(item, e)
            {
                check_json(r, name, item->string, item,
                           cJSON_GetObjectItemCaseSensitive(doc, item->string));
            }
            cJSON_Delete(e);
        }
        cJSON_Delete(doc);
    }

    /* warnings are checked on success and failure alike */
    {
        size_t want_n = want_warnings ? want_warnings->n : 0;
        size_t have_n = p ? p->warnings.n : 0;

        if (!p && want_n)
            fail_case(r, name, "warnings expected, but no project holds them", NULL);
        if (p && want_n != have_n) {
            struct buf d = BUF_INIT;

            for (size_t i = 0; i < have_n; i++)
                buf_addf(&d, "  %s\n", p->warnings.v[i]);
            buf_addf(&d, "(expected %zu warnings, got %zu)", want_n, have_n);
            fail_case(r, name, "warnings differ", d.buf);
            buf_release(&d);
        }
        for (size_t i = 0; p && i < want_n && i < have_n; i++) {
            char *want = expand_at(want_warnings->items[i]->text, dir);

            if (!strstr(p->warnings.v[i], want)) {
                struct buf d = BUF_INIT;

                buf_addf(&d, "expected a warning with: %s\nactual: %s", want, p->warnings.v[i]);
                fail_case(r, name, "wrong warning", d.buf);
                buf_release(&d);
            }
            free(want);
        }
    }

    compose_project_free(p);
    ds_error_release(&err);
    strvec_clear(&environ_vec);
    strvec_clear(&file_list);
    strvec_clear(&profiles);
    strvec_clear(&services);
    test_rmtree(top);
    free(top);
    free(dir);
    free(cwd);
    free(project_dir);
}

static void run_file(const char *fixture, int min_cases)
{
    struct buf text = BUF_INIT;
    struct ynode *cases = NULL;
    struct ds_error err = DS_ERROR_INIT;
    struct run r = {0};

    test_read_fixture(&text, fixture);
    if (ytree_parse(&cases, text.buf, text.len, fixture, &err) < 0)
        fail_msg("cannot parse %s: %s", fixture, err.msg);
    assert_int_equal(cases->kind, YNODE_SEQ);
    for (size_t i = 0; i < cases->n; i++)
        run_case(&r, cases->items[i]);
    print_message("%s: %d cases, %d failures\n", fixture, r.cases, r.failures);
    ytree_free(cases);
    buf_release(&text);
    assert_true(r.cases >= min_cases);
    assert_int_equal(r.failures, 0);
}

static void test_keys(void **state)
{
    (void)state;
    run_file("fixtures/compose/keys.yaml", 40);
}

static void test_service_keys(void **state)
{
    (void)state;
    run_file("fixtures/compose/service_keys.yaml", 20);
}

static void test_service_key_errors(void **state)
{
    (void)state;
    run_file("fixtures/compose/service_key_errors.yaml", 20);
}

/* Every key of build:, and its bad values. */
static void test_build_keys(void **state)
{
    (void)state;
    run_file("fixtures/compose/build_keys.yaml", 25);
}

/* A service's network keys and a network's IPAM options, bad values included. */
static void test_network_keys(void **state)
{
    (void)state;
    run_file("fixtures/compose/network_keys.yaml", 20);
}

static void test_errors(void **state)
{
    (void)state;
    run_file("fixtures/compose/errors.yaml", 25);
}

static void test_merge(void **state)
{
    (void)state;
    run_file("fixtures/compose/merge.yaml", 12);
}

/* Finding files, !reset and !override, include and extends. */
static void test_load(void **state)
{
    (void)state;
    run_file("fixtures/compose/load.yaml", 30);
}

static void test_project(void **state)
{
    (void)state;
    run_file("fixtures/compose/project.yaml", 15);
}

static void test_secrets(void **state)
{
    (void)state;
    run_file("fixtures/compose/secrets.yaml", 25);
}

/* Naming services: checked with one wording, selected with what they depend on, profiles listed. */
static void test_service_names(void **state)
{
    static const char yaml[] = "services:\n"
                               "  web: {image: x, depends_on: [api], profiles: [front]}\n"
                               "  api: {image: x, depends_on: [db]}\n"
                               "  db: {image: x}\n"
                               "  tools: {image: x, profiles: [debug, front]}\n";
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;
    struct strvec names = STRVEC_INIT, profiles = STRVEC_INIT;

    (void)state;
    assert_int_equal(compose_load_text(&p, yaml, sizeof(yaml) - 1, "/p/compose.yaml", &o, &err), 0);
    strvec_push(&names, "api");
    assert_int_equal(compose_check_services(p, &names, &err), 0);
    assert_int_equal(compose_check_services(p, NULL, &err), 0);
    strvec_push(&names, "nope");
    assert_int_equal(compose_check_services(p, &names, &err), DS_ENOTFOUND);
    assert_string_equal(err.msg, "no such service: 'nope'");
    assert_string_equal(err.hint, "the services of project 'p' are: web, api, db, tools");
    ds_error_release(&err);

    strvec_clear(&names);
    strvec_push(&names, "api");
    compose_select_services(p, &names);
    assert_false(compose_find_service(p, "web")->enabled);
    assert_true(compose_find_service(p, "api")->enabled);
    assert_true(compose_find_service(p, "db")->enabled);
    assert_false(compose_find_service(p, "tools")->enabled);

    compose_profiles(p, &profiles);
    assert_int_equal(profiles.n, 2);
    assert_string_equal(profiles.v[0], "debug");
    assert_string_equal(profiles.v[1], "front");

    strvec_clear(&names);
    strvec_clear(&profiles);
    compose_project_free(p);
}

/*
 * The keys few services set live out of line: a service without any shares
 * one empty set (what keeps a project of many services small), and a key of
 * that set (or a bad value for one) gives the service its own.
 */
static void test_service_ext(void **state)
{
    static const char yaml[] = "services:\n"
                               "  plain: {image: x, environment: [A=1]}\n"
                               "  tuned: {image: x, ipc: host, cpus: 1.5, tmpfs: [/run]}\n"
                               "  limited: {image: x, ulimits: {nofile: 1024}}\n";
    static const char bad[] = "services:\n"
                              "  s: {image: x, pids_limit: lots}\n";
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;
    const struct compose_service *s;

    (void)state;
    assert_int_equal(compose_load_text(&p, yaml, sizeof(yaml) - 1, "/p/compose.yaml", &o, &err), 0);
    s = compose_find_service(p, "plain");
    assert_ptr_equal(s->ext, &compose_service_ext_none);
    assert_null(s->ext->ipc);
    assert_int_equal(s->ext->tmpfs.n, 0);
    assert_int_equal(s->ext->oom_kill_disable, -1);
    s = compose_find_service(p, "tuned");
    assert_ptr_not_equal(s->ext, &compose_service_ext_none);
    assert_string_equal(s->ext->ipc, "host");
    assert_true(s->ext->cpus == 1.5);
    assert_int_equal(s->ext->tmpfs.n, 1);
    assert_string_equal(s->ext->tmpfs.v[0], "/run");
    assert_int_equal(s->ext->oom_kill_disable, -1);
    s = compose_find_service(p, "limited");
    assert_int_equal(s->ext->n_ulimits, 1);
    assert_string_equal(s->ext->ulimits[0].name, "nofile");
    assert_null(compose_service_ext_none.ipc);
    assert_int_equal(compose_service_ext_none.n_ulimits, 0);
    compose_project_free(p);

    p = NULL;
    assert_int_equal(compose_load_text(&p, bad, sizeof(bad) - 1, "/p/compose.yaml", &o, &err),
                     DS_EINVAL);
    assert_non_null(strstr(err.msg, "/p/compose.yaml:2:"));
    assert_non_null(strstr(err.msg, "pids_limit"));
    ds_error_release(&err);
    compose_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_keys),         cmocka_unit_test(test_errors),
            cmocka_unit_test(test_merge),        cmocka_unit_test(test_load),
            cmocka_unit_test(test_project),      cmocka_unit_test(test_service_names),
            cmocka_unit_test(test_service_ext),  cmocka_unit_test(test_secrets),
            cmocka_unit_test(test_service_keys), cmocka_unit_test(test_service_key_errors),
            cmocka_unit_test(test_build_keys),   cmocka_unit_test(test_network_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
