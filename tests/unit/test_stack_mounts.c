/*
 * stack_inherit_mounts(): the old container's mounts, the image's VOLUME
 * paths and the service's volumes give the mounts of the container that
 * replaces it, as Compose v2 decides them (pkg/compose/create.go,
 * buildContainerMountOptions). Each case: the service's `volumes:`, the old
 * container's Mounts (inspect's JSON), the image's volumes, -V, and the new
 * container's mounts plus the old anonymous volumes left behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

#define A1 "1111111111111111111111111111111111111111111111111111111111111111"
#define A2 "2222222222222222222222222222222222222222222222222222222222222222"

struct mounts_case {
    const char *name;
    const char *volumes;       /* the service's `volumes:` in flow style */
    const char *old;           /* the old container's Mounts */
    const char *image_volumes; /* space-separated */
    bool renew;
    const char *expect; /* "kind source target[ ro]" per mount, "-" for no source */
    const char *left;   /* "NAME TARGET" per line */
};

static const struct mounts_case cases[] = {
        {"a file's anonymous volume takes the old one", "[/data]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Destination\":\"/data\",\"RW\":true}]", "",
         false, "volume " A1 " /data\n", ""},
        {"-V gives a new one and leaves the old one", "[/data]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Destination\":\"/data\",\"RW\":true}]", "",
         true, "volume - /data\n", A1 " /data\n"},
        {"targets are compared as paths", "[/data/]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Destination\":\"/data\",\"RW\":true}]", "",
         false, "volume " A1 " /data\n", ""},
        {"an image VOLUME the file mounts nothing at takes the old one", "[]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1
         "\",\"Destination\":\"/var/lib/mysql\",\"RW\":true}]",
         "/var/lib/mysql", false, "volume " A1 " /var/lib/mysql\n", ""},
        {"-V: a new one at the image VOLUME", "[]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1
         "\",\"Destination\":\"/var/lib/mysql\",\"RW\":true}]",
         "/var/lib/mysql", true, "", A1 " /var/lib/mysql\n"},
        {"a named volume of the file at the image VOLUME wins", "[db-data:/var/lib/mysql]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1
         "\",\"Destination\":\"/var/lib/mysql\",\"RW\":true}]",
         "/var/lib/mysql", false, "volume p_db-data /var/lib/mysql\n", A1 " /var/lib/mysql\n"},
        {"a bind of the file at the image VOLUME wins", "[/srv/my:/var/lib/mysql]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1
         "\",\"Destination\":\"/var/lib/mysql\",\"RW\":true}]",
         "/var/lib/mysql", false, "bind /srv/my /var/lib/mysql\n", A1 " /var/lib/mysql\n"},
        {"both kinds at once, the file's named volume untouched", "[/data, cache:/cache]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Destination\":\"/data\",\"RW\":true},"
         "{\"Type\":\"volume\",\"Name\":\"p_cache\",\"Destination\":\"/cache\",\"RW\":true},"
         "{\"Type\":\"volume\",\"Name\":\"" A2 "\",\"Destination\":\"/vol\",\"RW\":true}]",
         "/vol", false, "volume " A1 " /data\nvolume p_cache /cache\nvolume " A2 " /vol\n", ""},
        {"a path the file no longer mounts leaves the old volume", "[]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Destination\":\"/data\",\"RW\":true}]", "",
         false, "", A1 " /data\n"},
        {"a new anonymous path gets a new volume", "[/data, /other]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Destination\":\"/data\",\"RW\":true}]", "",
         false, "volume " A1 " /data\nvolume - /other\n", ""},
        {"no old mounts: nothing changes", "[/data]", "[]", "/vol", false, "volume - /data\n", ""},
        {"the old mount's read-only flag is kept", "[/data]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Destination\":\"/data\",\"RW\":false}]", "",
         false, "volume " A1 " /data ro\n", ""},
        {"an old tmpfs is never carried", "[/data]",
         "[{\"Type\":\"tmpfs\",\"Destination\":\"/data\",\"RW\":true}]", "/data", false,
         "volume - /data\n", ""},
        {"a tmpfs of the file stays a tmpfs", "[{type: tmpfs, target: /data}]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Destination\":\"/data\",\"RW\":true}]", "",
         false, "tmpfs - /data\n", A1 " /data\n"},
        /* Compose carries whatever the old container had at the path, binds and named volumes too
         */
        {"an old bind at an anonymous path is carried, as Compose does", "[/data]",
         "[{\"Type\":\"bind\",\"Source\":\"/srv/x\",\"Destination\":\"/data\",\"RW\":true}]", "",
         false, "bind /srv/x /data\n", ""},
        {"an old named volume at an image VOLUME is carried, as Compose does", "[]",
         "[{\"Type\":\"volume\",\"Name\":\"p_db-data\",\"Destination\":\"/var/lib/mysql\","
         "\"RW\":true}]",
         "/var/lib/mysql", false, "volume p_db-data /var/lib/mysql\n", ""},
        {"an old volume without a name is not carried", "[/data]",
         "[{\"Type\":\"volume\",\"Destination\":\"/data\",\"RW\":true}]", "", false,
         "volume - /data\n", ""},
        {"entries without a destination are skipped", "[/data]",
         "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"RW\":true}, 7, {\"Destination\":\"\"}]", "",
         false, "volume - /data\n", ""},
};

static struct compose_project *load(const char *volumes)
{
    struct buf yaml = BUF_INIT;
    char *env[] = {NULL};
    struct strvec prof = STRVEC_INIT;
    struct compose_options o = {.environ = env, .profiles = &prof, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;

    buf_addf(&yaml,
             "name: p\nservices:\n  s:\n    image: busybox\n    volumes: %s\n"
             "volumes:\n  db-data:\n  cache:\n",
             volumes);
    if (compose_load_text(&p, yaml.buf, yaml.len, "/p/compose.yaml", &o, &err) < 0)
        fail_msg("cannot load the case's project: %s", err.msg);
    buf_release(&yaml);
    return p;
}

static void describe(const struct engine_container_config *c, struct buf *out)
{
    static const char *const kinds[] = {[ENGINE_MOUNT_BIND] = "bind",
                                        [ENGINE_MOUNT_VOLUME] = "volume",
                                        [ENGINE_MOUNT_TMPFS] = "tmpfs"};

    for (size_t i = 0; i < c->n_mounts; i++)
        buf_addf(out, "%s %s %s%s\n", kinds[c->mounts[i].type],
                 c->mounts[i].source ? c->mounts[i].source : "-", c->mounts[i].target,
                 c->mounts[i].read_only ? " ro" : "");
}

static void test_inherit_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct mounts_case *mc = &cases[i];
        struct compose_project *p = load(mc->volumes);
        struct engine_container_config c;
        struct stack_mount_points old;
        struct strvec image_volumes = STRVEC_INIT, left = STRVEC_INIT;
        struct buf got = BUF_INIT, got_left = BUF_INIT;
        cJSON *json = cJSON_Parse(mc->old);
        char *words = xstrdup(mc->image_volumes);

        if (!json)
            fail_msg("case '%s': bad JSON", mc->name);
        for (char *w = words, *end; *w; w = end) {
            end = w + strcspn(w, " ");
            if (*end)
                *end++ = '\0';
            strvec_push(&image_volumes, w);
        }
        stack_mount_points_from_json(json, &old);
        stack_container_config(p, compose_find_service(p, "s"), 1, NULL, NULL, &c);
        stack_inherit_mounts(&c, &old, &image_volumes, mc->renew, &left);
        describe(&c, &got);
        for (size_t k = 0; k < left.n; k++)
            buf_addf(&got_left, "%s\n", left.v[k]);
        if (strcmp(got.buf, mc->expect) || strcmp(got_left.buf, mc->left))
            fail_msg("case '%s':\nmounts expected:\n%sgot:\n%sleft expected:\n%sgot:\n%s", mc->name,
                     mc->expect, got.buf, mc->left, got_left.buf);
        engine_container_config_release(&c);
        stack_mount_points_release(&old);
        strvec_clear(&image_volumes);
        strvec_clear(&left);
        buf_release(&got);
        buf_release(&got_left);
        cJSON_Delete(json);
        free(words);
        compose_project_free(p);
    }
}

/* The JSON reader keeps what the decision needs from a real inspect document's Mounts. */
static void test_mount_points_from_json(void **state)
{
    const char *doc = "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Source\":\"/var/lib/docker/"
                      "volumes/" A1 "/_data\",\"Destination\":\"/data\",\"Driver\":\"local\","
                      "\"Mode\":\"z\",\"RW\":true,\"Propagation\":\"\"},"
                      "{\"Type\":\"bind\",\"Source\":\"/srv\",\"Destination\":\"/srv\","
                      "\"Mode\":\"\",\"RW\":false,\"Propagation\":\"rprivate\"}]";
    cJSON *json = cJSON_Parse(doc);
    struct stack_mount_points m;

    (void)state;
    stack_mount_points_from_json(json, &m);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.items[0].type, "volume");
    assert_string_equal(m.items[0].name, A1);
    assert_string_equal(m.items[0].destination, "/data");
    assert_true(m.items[0].rw);
    assert_string_equal(m.items[1].type, "bind");
    assert_null(m.items[1].name);
    assert_string_equal(m.items[1].source, "/srv");
    assert_false(m.items[1].rw);
    stack_mount_points_release(&m);
    stack_mount_points_from_json(NULL, &m);
    assert_int_equal(m.n, 0);
    stack_mount_points_release(&m);
    cJSON_Delete(json);
}

/* What `down -v` removes itself: engine-named volumes the project does not name. */
static void test_anonymous_volumes(void **state)
{
    const char *doc =
            "[{\"Type\":\"volume\",\"Name\":\"" A1 "\",\"Destination\":\"/data\",\"RW\":true},"
            "{\"Type\":\"volume\",\"Name\":\"p_cache\",\"Destination\":\"/cache\",\"RW\":true},"
            "{\"Type\":\"bind\",\"Source\":\"/srv\",\"Destination\":\"/srv\",\"RW\":true},"
            "{\"Type\":\"volume\",\"Name\":\"" A2 "\",\"Destination\":\"/ext\",\"RW\":true},"
            "{\"Type\":\"volume\",\"Name\":\"ABCDEF" A1 "\",\"Destination\":\"/x\",\"RW\":true},"
            "{\"Type\":\"tmpfs\",\"Destination\":\"/tmp\",\"RW\":true}]";
    const char *yaml = "name: p\nservices:\n  s: {image: busybox}\n"
                       "volumes:\n  cache:\n  ext: {external: true, name: " A2 "}\n";
    char *env[] = {NULL};
    struct strvec prof = STRVEC_INIT, got = STRVEC_INIT;
    struct compose_options o = {.environ = env, .profiles = &prof, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;
    cJSON *json = cJSON_Parse(doc);
    struct stack_mount_points m;

    (void)state;
    if (compose_load_text(&p, yaml, strlen(yaml), "/p/compose.yaml", &o, &err) < 0)
        fail_msg("cannot load: %s", err.msg);
    stack_mount_points_from_json(json, &m);
    /* an external volume that happens to have an engine-like name is the project's to keep */
    stack_anonymous_volumes(&m, p, &got);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0], A1);
    strvec_clear(&got);
    stack_anonymous_volumes(&m, NULL, &got);
    assert_int_equal(got.n, 2);
    strvec_clear(&got);
    stack_mount_points_release(&m);
    cJSON_Delete(json);
    compose_project_free(p);
}

/* HostConfig.Mounts: what a container was created with; volumes by name only. */
static void test_config_mounts(void **state)
{
    const char *doc = "[{\"Type\":\"volume\",\"Source\":\"" A1 "\",\"Target\":\"/data\"},"
                      "{\"Type\":\"bind\",\"Source\":\"/srv\",\"Target\":\"/srv\","
                      "\"ReadOnly\":true},"
                      "{\"Type\":\"volume\",\"Target\":\"/fresh\"},{\"Type\":\"tmpfs\"}]";
    cJSON *json = cJSON_Parse(doc);
    struct stack_mount_points m;
    struct strvec anonymous = STRVEC_INIT;

    (void)state;
    stack_mount_points_from_config_json(json, &m);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.items[0].name, A1);
    assert_true(m.items[0].rw);
    assert_string_equal(m.items[1].source, "/srv");
    assert_null(m.items[1].name);
    assert_false(m.items[1].rw);
    assert_null(m.items[2].name);
    /* only the one given by name is one the engine would keep */
    stack_anonymous_volumes(&m, NULL, &anonymous);
    assert_int_equal(anonymous.n, 1);
    assert_string_equal(anonymous.v[0], A1);
    strvec_clear(&anonymous);
    stack_mount_points_release(&m);
    cJSON_Delete(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_inherit_table),
            cmocka_unit_test(test_mount_points_from_json),
            cmocka_unit_test(test_anonymous_volumes),
            cmocka_unit_test(test_config_mounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
