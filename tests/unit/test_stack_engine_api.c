/*
 * Keys that need a newer Engine API than the one negotiated: `up` refuses
 * them by key, service, file:line:col and the Docker Engine they need
 * (stack_check_engine_api), the engine layer refuses the fields they become
 * (engine_container_config_min_api), and the create body carries them only
 * from the version that takes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char project_yaml[] =
        "name: p\n"
        "services:\n"
        "  plain:\n"
        "    image: busybox\n"
        "    healthcheck: {test: [CMD, \"true\"], start_period: 5s}\n"
        "    volumes:\n"
        "      - type: bind\n"
        "        source: /srv\n"
        "        target: /srv\n"
        "        bind: {recursive: disabled}\n"
        "  annotated:\n"
        "    image: busybox\n"
        "    annotations: {org.example.team: platform}\n"
        "  probed:\n"
        "    image: busybox\n"
        "    healthcheck:\n"
        "      test: [CMD, \"true\"]\n"
        "      start_interval: 2s\n"
        "  rbind:\n"
        "    image: busybox\n"
        "    volumes:\n"
        "      - type: bind\n"
        "        source: /srv\n"
        "        target: /srv\n"
        "        read_only: true\n"
        "        bind: {recursive: readonly}\n"
        "  wbind:\n"
        "    image: busybox\n"
        "    volumes:\n"
        "      - {type: bind, source: /srv, target: /srv, read_only: true, bind: {recursive: "
        "writable}}\n"
        "  sub:\n"
        "    image: busybox\n"
        "    volumes:\n"
        "      - type: volume\n"
        "        source: data\n"
        "        target: /data\n"
        "        volume: {subpath: one}\n"
        "  img:\n"
        "    image: busybox\n"
        "    volumes:\n"
        "      - {type: image, source: busybox, target: /img, image: {subpath: bin}}\n"
        "  all:\n"
        "    image: busybox\n"
        "    healthcheck: {test: [CMD, \"true\"], start_interval: 1s}\n"
        "    volumes:\n"
        "      - {type: volume, source: data, target: /data, volume: {subpath: one}}\n"
        "volumes:\n"
        "  data:\n";

static struct compose_project *load(void)
{
    return test_load_compose(project_yaml);
}

/* Each service against each API version: accepted, or refused with these words. */
static void test_check(void **state)
{
    static const struct {
        const char *service;
        int api;
        const char *error; /* NULL: accepted */
    } cases[] = {
            {"plain", 1041, NULL},
            {"plain", 1047, NULL},
            {"annotated", 1041,
             "compose.yaml:11:3: services.annotated.annotations needs Docker Engine 24.0 or "
             "newer (Engine API 1.43); this engine speaks Engine API 1.41"},
            {"annotated", 1042, "services.annotated.annotations needs Docker Engine 24.0"},
            {"annotated", 1043, NULL},
            {"probed", 1041,
             "compose.yaml:18:7: services.probed.healthcheck.start_interval needs Docker Engine "
             "25.0 or newer (Engine API 1.44); this engine speaks Engine API 1.41"},
            {"probed", 1043, "services.probed.healthcheck.start_interval needs Docker Engine 25.0"},
            {"probed", 1044, NULL},
            {"rbind", 1043,
             "compose.yaml:22:9: services.rbind.volumes[0].bind.recursive needs Docker Engine 25.0 "
             "or newer (Engine API 1.44); this engine speaks Engine API 1.43"},
            {"rbind", 1044, NULL},
            {"wbind", 1041, "services.wbind.volumes[0].bind.recursive needs Docker Engine 25.0"},
            {"wbind", 1044, NULL},
            {"sub", 1041,
             "compose.yaml:34:9: services.sub.volumes[0].volume.subpath needs Docker Engine 26.0 "
             "or newer (Engine API 1.45); this engine speaks Engine API 1.41"},
            {"sub", 1044, "services.sub.volumes[0].volume.subpath needs Docker Engine 26.0"},
            {"sub", 1045, NULL},
            {"img", 1045,
             "compose.yaml:41:9: services.img.volumes[0].type: image needs Docker Engine 28.0 or "
             "newer (Engine API 1.48); this engine speaks Engine API 1.45"},
            /* an engine that speaks 1.48 is held at what devstack speaks */
            {"img", 1047,
             "services.img.volumes[0].type: image needs Docker Engine 28.0 or newer (Engine API "
             "1.48); devstack speaks Engine API 1.47 at most"},
            {"img", 1048, NULL},
            /* the key written first is the one named */
            {"all", 1041, "compose.yaml:44:40: services.all.healthcheck.start_interval"},
            {"all", 1044, "compose.yaml:46:9: services.all.volumes[0].volume.subpath"},
            {"all", 1045, NULL},
    };
    struct compose_project *p = load();

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct compose_service *s = compose_find_service(p, cases[i].service);
        struct ds_error err = DS_ERROR_INIT;
        int rc;

        assert_non_null(s);
        rc = stack_check_engine_api(s, cases[i].api, &err);
        if (!cases[i].error) {
            if (rc != 0)
                fail_msg("%s at %d: refused: %s", cases[i].service, cases[i].api, err.msg);
            continue;
        }
        if (rc != DS_EUNSUPPORTED || !err.msg || !strstr(err.msg, cases[i].error))
            fail_msg("%s at %d: rc %d, message \"%s\", expected \"%s\"", cases[i].service,
                     cases[i].api, rc, err.msg ? err.msg : "", cases[i].error);
        assert_non_null(err.hint);
        assert_non_null(strstr(err.hint, cases[i].service));
        ds_error_release(&err);
    }
    compose_project_free(p);
}

/* The engine layer refuses the same fields by their API names (its own safety net). */
static void test_min_api(void **state)
{
    static const struct {
        const char *service;
        int api, need;
        const char *field, *at;
    } cases[] = {
            {"plain", 1041, 0, NULL, NULL},
            {"annotated", 1042, 1043, "HostConfig.Annotations", NULL},
            {"annotated", 1043, 0, NULL, NULL},
            {"probed", 1043, 1044, "Healthcheck.StartInterval", NULL},
            {"probed", 1044, 0, NULL, NULL},
            {"rbind", 1043, 1044, "BindOptions.ReadOnlyForceRecursive", "/srv"},
            {"wbind", 1043, 1044, "BindOptions.ReadOnlyNonRecursive", "/srv"},
            {"wbind", 1044, 0, NULL, NULL},
            {"sub", 1044, 1045, "VolumeOptions.Subpath", "/data"},
            {"sub", 1045, 0, NULL, NULL},
            {"img", 1047, 1048, "a mount of type image", "/img"},
            {"img", 1048, 0, NULL, NULL},
    };
    struct compose_project *p = load();

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct engine_container_config c;
        const char *field, *at;
        int need;

        stack_container_config(p, compose_find_service(p, cases[i].service), 1, NULL, NULL, &c);
        need = engine_container_config_min_api(&c, cases[i].api, &field, &at);
        if (need != cases[i].need)
            fail_msg("%s at %d: needs %d, expected %d", cases[i].service, cases[i].api, need,
                     cases[i].need);
        if (cases[i].field)
            assert_string_equal(field, cases[i].field);
        else
            assert_null(field);
        if (cases[i].at)
            assert_string_equal(at, cases[i].at);
        else
            assert_null(at);
        engine_container_config_release(&c);
    }
    compose_project_free(p);
}

/* The create body of service's container 1 at API `api`, as text without spaces. Caller frees. */
static char *body_text(struct compose_project *p, const char *service, int api)
{
    struct engine_container_config c;
    cJSON *body;
    char *text;

    stack_container_config(p, compose_find_service(p, service), 1, NULL, NULL, &c);
    body = engine_container_config_json(&c, api);
    text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    engine_container_config_release(&c);
    return text;
}

/* Each field only from the version that takes it; the mounts as Compose sends them. */
static void test_body(void **state)
{
    static const struct {
        const char *service;
        int api;
        const char *has, *lacks; /* NULL: not checked */
    } cases[] = {
            {"annotated", 1042, NULL, "\"Annotations\""},
            {"annotated", 1043, "\"Annotations\":{\"org.example.team\":\"platform\"}", NULL},
            {"probed", 1043, "\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"]}", "StartInterval"},
            {"probed", 1044, "\"StartInterval\":2000000000", NULL},
            /* recursion is a mount option: Mounts, not Binds */
            {"plain", 1041, "\"BindOptions\":{\"NonRecursive\":true}", "\"Binds\""},
            {"rbind", 1044, "\"ReadOnly\":true,\"BindOptions\":{\"ReadOnlyForceRecursive\":true}",
             "\"Binds\""},
            {"wbind", 1044, "\"BindOptions\":{\"ReadOnlyNonRecursive\":true}", NULL},
            {"sub", 1045, "\"VolumeOptions\":{\"Subpath\":\"one\"}", NULL},
            {"img", 1048,
             "{\"Type\":\"image\",\"Source\":\"busybox\",\"Target\":\"/img\",\"ImageOptions\":{"
             "\"Subpath\":\"bin\"}}",
             NULL},
    };
    struct compose_project *p = load();

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *text = body_text(p, cases[i].service, cases[i].api);

        if (cases[i].has && !strstr(text, cases[i].has))
            fail_msg("%s at %d: no %s in %s", cases[i].service, cases[i].api, cases[i].has, text);
        if (cases[i].lacks && strstr(text, cases[i].lacks))
            fail_msg("%s at %d: %s in %s", cases[i].service, cases[i].api, cases[i].lacks, text);
        free(text);
    }
    compose_project_free(p);
}

/* bind.recursive: only the four values Compose knows; unknown mount keys are said. */
static void test_recursive_values(void **state)
{
    static const struct {
        const char *value, *error; /* NULL: accepted */
    } cases[] = {
            {"enabled", NULL},
            {"disabled", NULL},
            {"writable", NULL},
            {"readonly", NULL},
            {"yes",
             "compose.yaml:6:27: services.s.volumes[0].bind.recursive: unknown value \"yes\" "
             "(enabled, disabled, writable or readonly)"},
    };
    char *env[] = {NULL};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct compose_options o = {.environ = env, .project_directory = "/p"};
        struct compose_project *p = NULL;
        struct ds_error err = DS_ERROR_INIT;
        struct buf y = BUF_INIT;
        int rc;

        buf_addf(&y,
                 "services:\n"
                 "  s:\n"
                 "    image: busybox\n"
                 "    volumes:\n"
                 "      - type: bind\n"
                 "        bind: {recursive: %s}\n"
                 "        source: /srv\n"
                 "        target: /srv\n",
                 cases[i].value);
        rc = compose_load_text(&p, y.buf, y.len, "/p/compose.yaml", &o, &err);
        if (!cases[i].error) {
            if (rc < 0)
                fail_msg("%s: %s", cases[i].value, err.msg);
            assert_string_equal(compose_find_service(p, "s")->volumes[0].recursive, cases[i].value);
        } else if (rc == 0 || !strstr(err.msg, cases[i].error)) {
            fail_msg("%s: rc %d, \"%s\", expected \"%s\"", cases[i].value, rc,
                     err.msg ? err.msg : "", cases[i].error);
        }
        compose_project_free(p);
        ds_error_release(&err);
        buf_release(&y);
    }
}

/* A key a mount's options do not have is refused at its line, as Compose's schema refuses it. */
static void test_unknown_mount_keys(void **state)
{
    static const struct {
        const char *mount, *error;
    } cases[] = {
            {"{type: bind, source: /srv, target: /a, bind: {recursiv: readonly}}",
             "compose.yaml:5:55: services.s.volumes[0].bind.recursiv: unknown key 'recursiv' in "
             "bind (propagation create_host_path selinux recursive)"},
            {"{type: volume, target: /b, volume: {sub_path: x}}",
             "compose.yaml:5:45: services.s.volumes[0].volume.sub_path: unknown key 'sub_path' in "
             "volume (nocopy subpath)"},
            {"{type: image, source: busybox, target: /c, image: {path: x}}",
             "compose.yaml:5:60: services.s.volumes[0].image.path: unknown key 'path' in image "
             "(subpath)"},
            {"{type: tmpfs, target: /d, tmpfs: {size: 1m, uid: 1}}",
             "compose.yaml:5:53: services.s.volumes[0].tmpfs.uid: unknown key 'uid' in tmpfs "
             "(size mode)"},
    };
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct compose_project *p = NULL;
        struct ds_error err = DS_ERROR_INIT;
        struct buf yaml = BUF_INIT;

        buf_addf(&yaml, "services:\n  s:\n    image: busybox\n    volumes:\n      - %s\n",
                 cases[i].mount);
        assert_int_equal(compose_load_text(&p, yaml.buf, yaml.len, "/p/compose.yaml", &o, &err),
                         DS_EINVAL);
        if (!err.msg || !strstr(err.msg, cases[i].error))
            fail_msg("%s:\n  got      %s\n  expected %s", cases[i].mount,
                     err.msg ? err.msg : "(none)", cases[i].error);
        ds_error_release(&err);
        compose_project_free(p);
        buf_release(&yaml);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_check),
            cmocka_unit_test(test_min_api),
            cmocka_unit_test(test_body),
            cmocka_unit_test(test_recursive_values),
            cmocka_unit_test(test_unknown_mount_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
