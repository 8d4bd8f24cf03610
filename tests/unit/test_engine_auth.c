/*
 * Registry credentials: which registry a reference names, and the
 * X-Registry-Auth header built from config.json fixtures
 * (tests/fixtures/pull/auth/<case>/config.json), with the credential
 * helpers of tests/fixtures/pull/auth/bin on PATH.
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
        {"a credsStore that is not installed", "@/creds-store", NULL, "ghcr.io/o/r", DS_ENOTFOUND,
         NULL, NULL,
         "cannot find the credential helper 'docker-credential-desktop' for 'ghcr.io' "
         "(credsStore in '",
         "Ym9iOng="},
        {"a credHelpers entry that is not installed", "@/cred-helpers", NULL, "ghcr.io/o/r:2",
         DS_ENOTFOUND, NULL, NULL,
         "cannot find the credential helper 'docker-credential-gh' for 'ghcr.io' (credHelpers in '",
         "Ym9iOng="},
        {"a helper's answer, the host on its stdin", "@/helpers", NULL, "ghcr.io/o/r:2", 0,
         "{\"username\":\"user-for-ghcr.io\",\"password\":\"helper-s3cret\","
         "\"serveraddress\":\"ghcr.io\"}",
         NULL, NULL, NULL},
        {"a helper's identity token", "@/helpers", NULL, "tokens.example.io/team/app", 0,
         "{\"username\":\"\",\"password\":\"\",\"serveraddress\":\"tokens.example.io\","
         "\"identitytoken\":\"idtok-helper\"}",
         NULL, NULL, NULL},
        {"a helper without credentials: anonymous, silently", "@/helpers", NULL, "127.0.0.1:5000/x",
         0, NULL, NULL, NULL, NULL},
        {"a helper that fails: anonymous, with a warning", "@/helpers", NULL, "broken.example.io/x",
         0, NULL,
         "the credential helper 'docker-credential-tmbroken' failed for 'broken.example.io' "
         "(exit status 1, credHelpers in '",
         NULL, "leaked-s3cret"},
        {"a helper that answers no JSON", "@/helpers", NULL, "garbage.example.io/x", DS_EPROTO,
         NULL, NULL,
         "cannot read the answer of the credential helper 'docker-credential-tmgarbage' for "
         "'garbage.example.io' (credHelpers in '",
         "leaked-s3cret"},
        {"a helper that is not installed", "@/helpers", NULL, "gone.example.io/x", DS_ENOTFOUND,
         NULL, NULL, "'docker-credential-tmnosuch' for 'gone.example.io' (credHelpers in '", NULL},
        {"no helper for the hub: auths", "@/helpers", NULL, "mysql", 0,
         "{\"username\":\"alice\",\"password\":\"s3cret\","
         "\"serveraddress\":\"https://index.docker.io/v1/\"}",
         NULL, NULL, NULL},
        {"credsStore for the hub: Docker Hub's v1 URL on its stdin", "@/store", NULL,
         "library/mysql:8.0", 0,
         "{\"username\":\"user-for-https://index.docker.io/v1/\",\"password\":\"helper-"
         "s3cret\",\"serveraddress\":\"https://index.docker.io/v1/\"}",
         NULL, NULL, NULL},
        {"credHelpers before credsStore", "@/store", NULL, "ghcr.io/x", 0,
         "{\"username\":\"\",\"password\":\"\",\"serveraddress\":\"ghcr.io\","
         "\"identitytoken\":\"idtok-helper\"}",
         NULL, NULL, NULL},
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

/* Which source a registry's credentials come from: credHelpers, credsStore, auths. */
static void test_credential_source(void **state)
{
    static const struct {
        const char *config, *registry;
        enum engine_cred_source source;
        const char *name;
    } cases[] = {
            {"{}", "docker.io", ENGINE_CRED_NONE, NULL},
            {"{\"auths\":{\"ghcr.io\":{}}}", "docker.io", ENGINE_CRED_NONE, NULL},
            {"{\"auths\":{\"ghcr.io\":{}}}", "ghcr.io", ENGINE_CRED_AUTHS, NULL},
            {"{\"auths\":{\"https://ghcr.io/v1/\":{}}}", "ghcr.io", ENGINE_CRED_AUTHS, NULL},
            {"{\"auths\":{\"https://index.docker.io/v1/\":{}}}", "docker.io", ENGINE_CRED_AUTHS,
             NULL},
            {"{\"auths\":{\"https://index.docker.io/v1/\":{}}}", "registry-1.docker.io",
             ENGINE_CRED_AUTHS, NULL},
            {"{\"auths\":{\"registry-1.docker.io\":{}}}", "docker.io", ENGINE_CRED_AUTHS, NULL},
            {"{\"credsStore\":\"pass\",\"auths\":{\"ghcr.io\":{}}}", "ghcr.io", ENGINE_CRED_STORE,
             "pass"},
            {"{\"credsStore\":\"pass\"}", "docker.io", ENGINE_CRED_STORE, "pass"},
            {"{\"credsStore\":\"\",\"auths\":{\"ghcr.io\":{}}}", "ghcr.io", ENGINE_CRED_AUTHS,
             NULL},
            {"{\"credsStore\":\"pass\",\"credHelpers\":{\"ghcr.io\":\"gh\"}}", "ghcr.io",
             ENGINE_CRED_HELPER, "gh"},
            {"{\"credsStore\":\"pass\",\"credHelpers\":{\"ghcr.io\":\"gh\"}}", "quay.io",
             ENGINE_CRED_STORE, "pass"},
            {"{\"credHelpers\":{\"ghcr.io\":\"gh\"},\"auths\":{\"quay.io\":{}}}", "quay.io",
             ENGINE_CRED_AUTHS, NULL},
            {"{\"credsStore\":\"pass\",\"credHelpers\":{\"ghcr.io\":\"\"}}", "ghcr.io",
             ENGINE_CRED_STORE, "pass"},
            {"{\"credHelpers\":{\"https://index.docker.io/v1/\":\"hub\"}}", "docker.io",
             ENGINE_CRED_HELPER, "hub"},
            {"{\"credHelpers\":{\"docker.io\":\"hub\"}}", "docker.io", ENGINE_CRED_HELPER, "hub"},
            {"{\"credHelpers\":{\"index.docker.io\":\"hub\"}}", "docker.io", ENGINE_CRED_HELPER,
             "hub"},
            {"{\"credHelpers\":{\"registry-1.docker.io\":\"hub\"}}", "docker.io",
             ENGINE_CRED_HELPER, "hub"},
            {"{\"credHelpers\":{\"docker.io\":\"short\",\"https://index.docker.io/v1/\":"
             "\"exact\"}}",
             "docker.io", ENGINE_CRED_HELPER, "exact"},
            {"{\"credHelpers\":{\"docker.io\":\"hub\"}}", "ghcr.io", ENGINE_CRED_NONE, NULL},
            {"{\"credHelpers\":{\"localhost:5000\":\"local\"}}", "localhost:5000",
             ENGINE_CRED_HELPER, "local"},
            {"{\"credHelpers\":{\"localhost:5000\":\"local\"}}", "localhost", ENGINE_CRED_NONE,
             NULL},
            {"{\"credHelpers\":{\"GHCR.io\":\"gh\"}}", "ghcr.io", ENGINE_CRED_HELPER, "gh"},
            {"{\"credHelpers\":[\"gh\"],\"credsStore\":\"pass\"}", "ghcr.io", ENGINE_CRED_STORE,
             "pass"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cJSON *config = cJSON_Parse(cases[i].config);
        const char *name = "unset";
        enum engine_cred_source got;

        assert_non_null(config);
        got = engine_credential_source(&name, config, cases[i].registry);
        if (got != cases[i].source || (name == NULL) != (cases[i].name == NULL) ||
            (name && strcmp(name, cases[i].name)))
            fail_msg("case %zu (%s for %s): source %d '%s', want %d '%s'", i, cases[i].config,
                     cases[i].registry, got, name ? name : "(null)", cases[i].source,
                     cases[i].name ? cases[i].name : "(null)");
        cJSON_Delete(config);
    }
    assert_string_equal(engine_registry_server_url("docker.io"), "https://index.docker.io/v1/");
    assert_string_equal(engine_registry_server_url("registry-1.docker.io"),
                        "https://index.docker.io/v1/");
    assert_string_equal(engine_registry_server_url("127.0.0.1:5000"), "127.0.0.1:5000");
}

/* Without a warning out-parameter a helper that fails still means no header. */
static void test_registry_auth_no_warning_out(void **state)
{
    struct engine_resolve_env env = {.getenv = fake_getenv};
    struct ds_error err = DS_ERROR_INIT;
    char *header = NULL;

    (void)state;
    env_config = "@/helpers";
    env_home = NULL;
    assert_int_equal(engine_registry_auth(&header, NULL, "broken.example.io/x", &env, &err), 0);
    assert_null(header);
    assert_null(err.msg);
}

static int setup(void **state)
{
    struct buf path = BUF_INIT;

    (void)state;
    strvec_init(&env_values);
    /* the helpers are found on PATH, as the docker CLI finds them */
    buf_addf(&path, "%s/fixtures/pull/auth/bin:%s", test_dir(),
             getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path.buf, 1);
    buf_release(&path);
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
            cmocka_unit_test(test_credential_source),
            cmocka_unit_test(test_registry_auth),
            cmocka_unit_test(test_registry_auth_no_warning_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
