/*
 * Registry credentials: which registry a reference names, and the
 * X-Registry-Auth header built from config.json fixtures
 * (tests/fixtures/pull/auth/<case>/config.json).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/testlib.h"
#include "engine/engine.h"
#include "util/alloc.h"
#include "util/banned.h"

static void test_registry_of(void **state)
{
    static const struct {
        const char *ref, *registry;
    } cases[] = {
            {"mysql", "docker.io"},
            {"mysql:8.0", "docker.io"},
            {"library/mysql", "docker.io"},
            {"library/mysql:8.0", "docker.io"},
            {"docker.io/library/mysql", "docker.io"},
            {"index.docker.io/library/mysql:8.0", "docker.io"},
            {"registry-1.docker.io/library/mysql", "registry-1.docker.io"},
            {"ghcr.io/o/r:1", "ghcr.io"},
            {"localhost:5000/x", "localhost:5000"},
            {"localhost/x:1", "localhost"},
            {"registry.example.com:443/a/b@sha256:"
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             "registry.example.com:443"},
            {"my-registry/x", "docker.io"},
            {"my-registry:5000/x", "my-registry:5000"},
            {"bitnami/mysql:8.0@sha256:abc", "docker.io"},
            {"mysql@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             "docker.io"},
            {"123456789.dkr.ecr.us-east-1.amazonaws.com/app:v2",
             "123456789.dkr.ecr.us-east-1.amazonaws.com"},
            {"[::1]:5000/img", "[::1]:5000"},
            {"Upper/img", "Upper"}, /* not lowercase: a host, as distribution/reference says */
            {"devstack/python:3.11-fastapi", "docker.io"},
            {"quay.io/prometheus/node-exporter", "quay.io"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *got = engine_registry_of(cases[i].ref);

        if (strcmp(got, cases[i].registry))
            fail_msg("'%s': registry '%s', want '%s'", cases[i].ref, got, cases[i].registry);
        free(got);
    }
}

/* The environment of one case: DOCKER_CONFIG and HOME, "@" standing for the fixtures. */
static const char *env_config, *env_home;
static struct strvec env_values;

static const char *expand(const char *v)
{
    struct buf b = BUF_INIT;

    if (!v)
        return NULL;
    for (; *v; v++) {
        if (*v == '@')
            buf_addf(&b, "%s/fixtures/pull/auth", test_dir());
        else
            buf_addch(&b, *v);
    }
    strvec_push_nodup(&env_values, buf_detach(&b, NULL));
    return env_values.v[env_values.n - 1];
}

static const char *fake_getenv(const char *name)
{
    if (!strcmp(name, "DOCKER_CONFIG"))
        return expand(env_config);
    if (!strcmp(name, "HOME"))
        return expand(env_home);
    return NULL;
}

/* Undo base64url; the header must use only the URL-safe alphabet. */
static char *decode_header(const char *header)
{
    size_t len = strlen(header), pad = 0;
    char *std = xstrdup(header);
    unsigned char *out = xmalloc(len / 4 * 3 + 1);
    int n;

    assert_int_equal(len % 4, 0);
    assert_null(strchr(header, '+'));
    assert_null(strchr(header, '/'));
    for (size_t i = 0; i < len; i++)
        std[i] = header[i] == '-' ? '+' : header[i] == '_' ? '/' : header[i];
    while (pad < len && std[len - 1 - pad] == '=')
        pad++;
    n = EVP_DecodeBlock(out, (unsigned char *)std, (int)len);
    assert_true(n >= 0);
    out[n - (int)pad] = '\0';
    free(std);
    return (char *)out;
}

struct auth_case {
    const char *name;
    const char *config, *home; /* DOCKER_CONFIG and HOME; "@" is tests/fixtures/pull/auth */
    const char *ref;
    int rc;
    const char *json;    /* the decoded header; NULL: no header */
    const char *warning; /* a part of the warning; NULL: none */
    const char *error;   /* a part of the error */
    const char *secret;  /* must not appear in the warning or the error */
};

static const struct auth_case auth_cases[] = {
        {"hub by its v1 key", "@/auths", NULL, "mysql:8.0", 0,
         "{\"username\":\"alice\",\"password\":\"s3cret\","
         "\"serveraddress\":\"https://index.docker.io/v1/\"}",
         NULL, NULL, NULL},
        {"hub, fully qualified", "@/auths", NULL, "docker.io/library/mysql", 0,
         "{\"username\":\"alice\",\"password\":\"s3cret\","
         "\"serveraddress\":\"https://index.docker.io/v1/\"}",
         NULL, NULL, NULL},
        {"a password with a colon", "@/auths", NULL, "ghcr.io/o/r:1", 0,
         "{\"username\":\"bob\",\"password\":\"tok:en\",\"serveraddress\":\"ghcr.io\"}", NULL, NULL,
         NULL},
        {"an http:// key, url-safe alphabet needed", "@/auths", NULL, "localhost:5000/x", 0,
         "{\"username\":\"carol\",\"password\":\"pw?\?>>\",\"serveraddress\":\"localhost:5000\"}",
         NULL, NULL, NULL},
        {"username and password fields, key with path", "@/auths", NULL,
         "registry.example.com:443/a/b@sha256:"
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         0,
         "{\"username\":\"dave\",\"password\":\"p@ss\","
         "\"serveraddress\":\"registry.example.com:443\"}",
         NULL, NULL, NULL},
        {"an identity token", "@/auths", NULL, "tokens.example.io/team/app", 0,
         "{\"username\":\"\",\"password\":\"\",\"serveraddress\":\"tokens.example.io\","
         "\"identitytoken\":\"idtok-123\"}",
         NULL, NULL, NULL},
        {"an empty entry", "@/auths", NULL, "empty.example.io/x", 0, NULL, NULL, NULL, NULL},
        {"another registry", "@/auths", NULL, "quay.io/x/y", 0, NULL, NULL, NULL, NULL},
        {"my-registry/x is on the hub", "@/auths", NULL, "my-registry/x", 0,
         "{\"username\":\"alice\",\"password\":\"s3cret\","
         "\"serveraddress\":\"https://index.docker.io/v1/\"}",
         NULL, NULL, NULL},
        {"the exact hub key wins", "@/hub-keys", NULL, "mysql", 0,
         "{\"username\":\"first\",\"password\":\"y\","
         "\"serveraddress\":\"https://index.docker.io/v1/\"}",
         NULL, NULL, NULL},
        {"the hub as docker.io", "@/hub-short-key", NULL, "library/nginx", 0,
         "{\"username\":\"erin\",\"password\":\"pw\","
         "\"serveraddress\":\"https://index.docker.io/v1/\"}",
         NULL, NULL, NULL},
        {"no auths", "@/none", NULL, "mysql:8.0", 0, NULL, NULL, NULL, NULL},
        {"no config.json", "@/missing", NULL, "mysql:8.0", 0, NULL, NULL, NULL, NULL},
        {"neither DOCKER_CONFIG nor HOME", NULL, NULL, "mysql:8.0", 0, NULL, NULL, NULL, NULL},
        {"HOME/.docker", NULL, "@/home", "mysql:8.0", 0,
         "{\"username\":\"homer\",\"password\":\"d0h\","
         "\"serveraddress\":\"https://index.docker.io/v1/\"}",
         NULL, NULL, NULL},
        {"DOCKER_CONFIG before HOME", "@/none", "@/home", "mysql:8.0", 0, NULL, NULL, NULL, NULL},
        {"credsStore", "@/creds-store", NULL, "ghcr.io/o/r", 0, NULL,
         "credential helpers are not supported yet; pulling 'ghcr.io/o/r' without credentials",
         NULL, NULL},
        {"credsStore names the helper", "@/creds-store", NULL, "mysql:8.0", 0, NULL,
         "names the credsStore 'desktop'", NULL, NULL},
        {"credHelpers for the registry", "@/cred-helpers", NULL, "ghcr.io/o/r:2", 0, NULL,
         "credential helpers are not supported yet; pulling 'ghcr.io/o/r:2' without "
         "credentials",
         NULL, NULL},
        {"credHelpers for another registry", "@/cred-helpers", NULL, "mysql:8.0", 0,
         "{\"username\":\"alice\",\"password\":\"s3cret\","
         "\"serveraddress\":\"https://index.docker.io/v1/\"}",
         NULL, NULL, NULL},
        {"malformed base64", "@/bad-base64", NULL, "ghcr.io/o/r", DS_EINVAL, NULL, NULL,
         "fixtures/pull/auth/bad-base64/config.json': its 'auth' is not base64", "bm90"},
        {"base64 without a colon", "@/no-colon", NULL, "ghcr.io/o/r", DS_EINVAL, NULL, NULL,
         "cannot read the credentials for 'ghcr.io'", "justauser"},
        {"a malformed entry elsewhere is not read", "@/bad-base64", NULL, "mysql", 0, NULL, NULL,
         NULL, NULL},
        {"malformed JSON", "@/malformed-json", NULL, "mysql", DS_EINVAL, NULL, NULL,
         "cannot parse '", "Ym9iOng="},
        {"not an object", "@/not-object", NULL, "mysql", DS_EINVAL, NULL, NULL,
         "not-object/config.json': not a JSON object", NULL},
};

static void test_registry_auth(void **state)
{
    struct engine_resolve_env env = {.getenv = fake_getenv};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(auth_cases); i++) {
        const struct auth_case *c = &auth_cases[i];
        struct ds_error err = DS_ERROR_INIT;
        char *header = (char *)"unset", *warning = (char *)"unset";
        int rc;

        env_config = c->config;
        env_home = c->home;
        rc = engine_registry_auth(&header, &warning, c->ref, &env, &err);
        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc, err.msg ? err.msg : "");
        if (c->json) {
            char *json;

            if (!header)
                fail_msg("%s: no header", c->name);
            json = decode_header(header);
            if (strcmp(json, c->json))
                fail_msg("%s: header %s, want %s", c->name, json, c->json);
            free(json);
        } else if (header) {
            fail_msg("%s: a header, want none", c->name);
        }
        if (c->warning) {
            if (!warning || !strstr(warning, c->warning))
                fail_msg("%s: warning '%s', want '%s'", c->name, warning ? warning : "(none)",
                         c->warning);
        } else if (warning) {
            fail_msg("%s: warning '%s', want none", c->name, warning);
        }
        if (c->error) {
            if (!err.msg || !strstr(err.msg, c->error))
                fail_msg("%s: error '%s', want '%s'", c->name, err.msg ? err.msg : "(none)",
                         c->error);
            if (!strstr(err.msg, "config.json"))
                fail_msg("%s: the error does not name the file: %s", c->name, err.msg);
        } else if (err.msg) {
            fail_msg("%s: error '%s'", c->name, err.msg);
        }
        if (c->secret) {
            if ((err.msg && strstr(err.msg, c->secret)) ||
                (err.hint && strstr(err.hint, c->secret)) ||
                (warning && strstr(warning, c->secret)))
                fail_msg("%s: a message shows the secret", c->name);
        }
        free(header);
        free(warning);
        ds_error_release(&err);
    }
}

/* Without a warning out-parameter the helper case still succeeds without a header. */
static void test_registry_auth_no_warning_out(void **state)
{
    struct engine_resolve_env env = {.getenv = fake_getenv};
    struct ds_error err = DS_ERROR_INIT;
    char *header = NULL;

    (void)state;
    env_config = "@/creds-store";
    env_home = NULL;
    assert_int_equal(engine_registry_auth(&header, NULL, "mysql", &env, &err), 0);
    assert_null(header);
    assert_null(err.msg);
}

static int setup(void **state)
{
    (void)state;
    strvec_init(&env_values);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    strvec_clear(&env_values);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_registry_of),
            cmocka_unit_test(test_registry_auth),
            cmocka_unit_test(test_registry_auth_no_warning_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
