/* Endpoint resolution (environment, contexts, default sockets) and API version negotiation. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "engine/engine.h"
#include "util/alloc.h"
#include "util/banned.h"

/* sha256("ctx") and sha256("remote-tls"), computed outside devstack */
#define CTX_DIGEST "0230c6b1d833c51cc426492022677b74c60d82891931221a42db9e7bb06205e9"
#define TLS_DIGEST "23c8f454b38298f642b47a0456a0e58c24d1b48f79c40bd9bddac2451cd459e8"

/* The fake environment the resolver reads; "@" in a value stands for the temp dir. */
static const char *const *fake_env;
static char *tmp;
static struct strvec env_values; /* like getenv(3)'s, the strings outlive the call */

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);

    for (const char *const *e = fake_env; e && *e; e++) {
        if (!strncmp(*e, name, n) && (*e)[n] == '=') {
            struct buf value = BUF_INIT;

            for (const char *v = *e + n + 1; *v; v++) {
                if (*v == '@')
                    buf_adds(&value, tmp);
                else
                    buf_addch(&value, *v);
            }
            strvec_push_nodup(&env_values, buf_detach(&value, NULL));
            return env_values.v[env_values.n - 1];
        }
    }
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    strvec_init(&env_values);
    tmp = test_mkdtemp();
    /* a home with two contexts and a config that selects one */
    test_write_file(tmp, "home/.docker/contexts/meta/" CTX_DIGEST "/meta.json",
                    "{\"Name\":\"ctx\",\"Metadata\":{},\"Endpoints\":{\"docker\":"
                    "{\"Host\":\"unix:///run/ctx.sock\",\"SkipTLSVerify\":false}}}");
    test_write_file(tmp, "home/.docker/contexts/meta/" TLS_DIGEST "/meta.json",
                    "{\"Name\":\"remote-tls\",\"Endpoints\":{\"docker\":"
                    "{\"Host\":\"tcp://10.0.0.5:2376\",\"SkipTLSVerify\":false}}}");
    test_write_file(tmp, "home/.docker/contexts/tls/" TLS_DIGEST "/docker/ca.pem", "x");
    test_write_file(tmp, "cfghome/config.json", "{\"auths\":{},\"currentContext\":\"ctx\"}");
    test_write_file(tmp, "cfghome/contexts/meta/" CTX_DIGEST "/meta.json",
                    "{\"Endpoints\":{\"docker\":{\"Host\":\"tcp://ctx.example:2375\"}}}");
    test_write_file(tmp, "badcfg/config.json", "{\"currentContext\": ");
    test_write_file(tmp, "nohost/config.json", "{\"currentContext\":\"ctx\"}");
    test_write_file(tmp, "nohost/contexts/meta/" CTX_DIGEST "/meta.json", "{\"Endpoints\":{}}");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(tmp);
    free(tmp);
    strvec_clear(&env_values);
    return 0;
}

struct resolve_case {
    const char *name;
    const char *env[6];
    int rc;
    const char *host, *socket, *base_url; /* "@" stands for the temp dir */
    bool tls;
    const char *ca;
    const char *source_has, *error_has;
};

static void expect_str(const char *want, const char *got, const char *what, const char *name)
{
    struct buf w = BUF_INIT;

    if (!want) {
        if (got)
            fail_msg("%s: %s should be unset, is '%s'", name, what, got);
        return;
    }
    for (const char *p = want; *p; p++) {
        if (*p == '@')
            buf_adds(&w, tmp);
        else
            buf_addch(&w, *p);
    }
    if (!got || strcmp(w.buf, got))
        fail_msg("%s: %s is '%s', expected '%s'", name, what, got ? got : "(null)", w.buf);
    buf_release(&w);
}

static void test_resolve_table(void **state)
{
    static const struct resolve_case cases[] = {
            {"DOCKER_HOST unix",
             {"DOCKER_HOST=unix:///tmp/d.sock", "HOME=@/home"},
             0,
             "unix:///tmp/d.sock",
             "/tmp/d.sock",
             "http://localhost",
             false,
             NULL,
             "DOCKER_HOST",
             NULL},
            {"DOCKER_HOST tcp with port",
             {"DOCKER_HOST=tcp://1.2.3.4:2375"},
             0,
             "tcp://1.2.3.4:2375",
             NULL,
             "http://1.2.3.4:2375",
             false,
             NULL,
             "DOCKER_HOST",
             NULL},
            {"DOCKER_HOST tcp without port",
             {"DOCKER_HOST=tcp://docker.local"},
             0,
             "tcp://docker.local",
             NULL,
             "http://docker.local:2375",
             false,
             NULL,
             NULL,
             NULL},
            {"DOCKER_HOST tcp with TLS and cert path",
             {"DOCKER_HOST=tcp://docker.local", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=/certs"},
             0,
             "tcp://docker.local",
             NULL,
             "https://docker.local:2376",
             true,
             "/certs/ca.pem",
             "TLS",
             NULL},
            {"DOCKER_HOST TLS certs default to ~/.docker",
             {"DOCKER_HOST=tcp://h:1234", "DOCKER_TLS_VERIFY=1", "HOME=@/home"},
             0,
             "tcp://h:1234",
             NULL,
             "https://h:1234",
             true,
             "@/home/.docker/ca.pem",
             NULL,
             NULL},
            {"DOCKER_HOST IPv6",
             {"DOCKER_HOST=tcp://[::1]:2375"},
             0,
             "tcp://[::1]:2375",
             NULL,
             "http://[::1]:2375",
             false,
             NULL,
             NULL,
             NULL},
            {"empty DOCKER_HOST is unset",
             {"DOCKER_HOST=", "DOCKER_CONTEXT=ctx", "HOME=@/home"},
             0,
             "unix:///run/ctx.sock",
             "/run/ctx.sock",
             "http://localhost",
             false,
             NULL,
             "docker context 'ctx' (DOCKER_CONTEXT)",
             NULL},
            {"DOCKER_HOST wins over DOCKER_CONTEXT",
             {"DOCKER_HOST=unix:///a.sock", "DOCKER_CONTEXT=ctx", "HOME=@/home"},
             0,
             "unix:///a.sock",
             "/a.sock",
             NULL,
             false,
             NULL,
             "DOCKER_HOST",
             NULL},
            {"relative unix path",
             {"DOCKER_HOST=unix://run/d.sock"},
             DS_EINVAL,
             NULL,
             NULL,
             NULL,
             false,
             NULL,
             NULL,
             "absolute path"},
            {"unknown scheme",
             {"DOCKER_HOST=docker.sock"},
             DS_EINVAL,
             NULL,
             NULL,
             NULL,
             false,
             NULL,
             NULL,
             "invalid engine address"},
            {"ssh is not supported",
             {"DOCKER_HOST=ssh://me@host"},
             DS_EUNSUPPORTED,
             NULL,
             NULL,
             NULL,
             false,
             NULL,
             NULL,
             "not supported"},
            {"tcp without host",
             {"DOCKER_HOST=tcp://"},
             DS_EINVAL,
             NULL,
             NULL,
             NULL,
             false,
             NULL,
             NULL,
             "no host"},
            {"DOCKER_CONTEXT with TLS material",
             {"DOCKER_CONTEXT=remote-tls", "HOME=@/home"},
             0,
             "tcp://10.0.0.5:2376",
             NULL,
             "https://10.0.0.5:2376",
             true,
             "@/home/.docker/contexts/tls/" TLS_DIGEST "/docker/ca.pem",
             "remote-tls",
             NULL},
            {"currentContext from DOCKER_CONFIG",
             {"DOCKER_CONFIG=@/cfghome", "HOME=@/home"},
             0,
             "tcp://ctx.example:2375",
             NULL,
             "http://ctx.example:2375",
             false,
             NULL,
             "currentContext in config.json",
             NULL},
            {"DOCKER_CONTEXT beats currentContext",
             {"DOCKER_CONFIG=@/cfghome", "DOCKER_CONTEXT=remote-tls"},
             DS_ENOTFOUND,
             NULL,
             NULL,
             NULL,
             false,
             NULL,
             NULL,
             "'remote-tls'"},
            {"missing context",
             {"DOCKER_CONTEXT=nope", "HOME=@/home"},
             DS_ENOTFOUND,
             NULL,
             NULL,
             NULL,
             false,
             NULL,
             NULL,
             "docker context 'nope'"},
            {"malformed config.json",
             {"DOCKER_CONFIG=@/badcfg"},
             DS_EINVAL,
             NULL,
             NULL,
             NULL,
             false,
             NULL,
             NULL,
             "config.json': not valid JSON"},
            {"context without a docker endpoint",
             {"DOCKER_CONFIG=@/nohost"},
             DS_EINVAL,
             NULL,
             NULL,
             NULL,
             false,
             NULL,
             NULL,
             "Endpoints.docker.Host"},
    };
    struct engine_resolve_env env = {fake_getenv, "/nonexistent-root"};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct resolve_case *c = &cases[i];
        struct engine_endpoint ep;
        struct ds_error err = DS_ERROR_INIT;
        int rc;

        fake_env = c->env;
        rc = engine_endpoint_resolve(&ep, &env, &err);
        if (rc != c->rc)
            fail_msg("%s: rc %d, expected %d (%s)", c->name, rc, c->rc, err.msg ? err.msg : "");
        if (rc < 0) {
            if (!err.msg || !strstr(err.msg, c->error_has))
                fail_msg("%s: error '%s' lacks '%s'", c->name, err.msg, c->error_has);
            ds_error_release(&err);
            continue;
        }
        expect_str(c->host, ep.host, "host", c->name);
        expect_str(c->socket, ep.socket_path, "socket", c->name);
        if (c->base_url)
            expect_str(c->base_url, ep.base_url, "base_url", c->name);
        if (ep.tls != c->tls)
            fail_msg("%s: tls %d", c->name, ep.tls);
        if (c->ca)
            expect_str(c->ca, ep.tls_ca, "tls_ca", c->name);
        if (c->source_has && !strstr(ep.source, c->source_has))
            fail_msg("%s: source '%s' lacks '%s'", c->name, ep.source, c->source_has);
        engine_endpoint_release(&ep);
    }
}

static void test_resolve_default_sockets(void **state)
{
    static const char *const env_vars[] = {"HOME=/home/u", "XDG_RUNTIME_DIR=/run/user/1000", NULL};
    struct engine_resolve_env env = {fake_getenv, NULL};
    struct engine_endpoint ep;
    struct ds_error err = DS_ERROR_INIT;
    struct buf root = BUF_INIT, path = BUF_INIT;
    static const struct {
        const char *create; /* a socket to add under the root, in this order */
        const char *expect;
    } steps[] = {
            {NULL, "/var/run/docker.sock"}, /* none exists: the first default, listed as tried */
            {"/run/podman/podman.sock", "/run/podman/podman.sock"},
            {"/run/user/1000/podman/podman.sock", "/run/user/1000/podman/podman.sock"},
            {"/run/user/1000/docker.sock", "/run/user/1000/docker.sock"},
            {"/home/u/.docker/run/docker.sock", "/home/u/.docker/run/docker.sock"},
            {"/var/run/docker.sock", "/var/run/docker.sock"},
    };
    int fds[ARRAY_SIZE(steps)];

    (void)state;
    fake_env = env_vars;
    buf_addf(&root, "%s/root", tmp);
    env.root = root.buf;
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        fds[i] = -1;
        if (steps[i].create) {
            buf_reset(&path);
            buf_addf(&path, "%s%s", root.buf, steps[i].create);
            fds[i] = test_make_socket(path.buf);
        }
        assert_int_equal(engine_endpoint_resolve(&ep, &env, &err), 0);
        if (strcmp(ep.socket_path, steps[i].expect))
            fail_msg("step %zu: chose '%s', expected '%s'", i, ep.socket_path, steps[i].expect);
        if (i == 0) {
            assert_int_equal(ep.tried.n, 5);
            assert_string_equal(ep.tried.v[1], "/home/u/.docker/run/docker.sock");
            assert_string_equal(ep.tried.v[3], "/run/user/1000/podman/podman.sock");
            assert_non_null(strstr(ep.source, "none of the default sockets exists"));
        } else {
            assert_int_equal(ep.tried.n, 0);
        }
        engine_endpoint_release(&ep);
    }
    /* a regular file where the socket should be is not an engine */
    buf_reset(&root);
    buf_addf(&root, "%s/root2", tmp);
    env.root = root.buf;
    test_write_file(root.buf, "var/run/docker.sock", "");
    assert_int_equal(engine_endpoint_resolve(&ep, &env, &err), 0);
    assert_int_equal(ep.tried.n, 5);
    engine_endpoint_release(&ep);
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    buf_release(&root);
    buf_release(&path);
}

static void test_api_version_parse(void **state)
{
    static const struct {
        const char *text;
        int rc, value;
    } cases[] = {
            {"1.41", 0, 1041},  {"1.47", 0, 1047}, {"1.9", 0, 1009},  {"2.0", 0, 2000},
            {"1.100", 0, 1100}, {"", -1, 0},       {"1", -1, 0},      {"1.", -1, 0},
            {".41", -1, 0},     {"a.b", -1, 0},    {"1.41.2", -1, 0}, {"-1.41", -1, 0},
            {"1.-4", -1, 0},    {"1.41 ", -1, 0},  {"v1.41", -1, 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int v = -7;
        int rc = engine_api_version_parse(cases[i].text, &v);

        if (rc != cases[i].rc || (rc == 0 && v != cases[i].value))
            fail_msg("'%s': rc %d value %d", cases[i].text, rc, v);
    }
    assert_int_equal(engine_api_version_parse(NULL, &(int){0}), -1);
}

static void test_api_version_format(void **state)
{
    char out[16];

    (void)state;
    engine_api_version_format(1041, out, sizeof(out));
    assert_string_equal(out, "1.41");
    engine_api_version_format(1009, out, sizeof(out));
    assert_string_equal(out, "1.9");
    engine_api_version_format(2000, out, sizeof(out));
    assert_string_equal(out, "2.0");
}

static void test_api_negotiate(void **state)
{
    static const struct {
        const char *server;
        int rc, chosen;
    } cases[] = {
            {"1.41", 0, 1041},           /* Debian's Docker 20.10 */
            {"1.43", 0, 1043},           /* Docker 24 */
            {"1.47", 0, 1047},           /* Docker 27 */
            {"1.51", 0, ENGINE_API_MAX}, /* newer than we know: speak our newest */
            {"2.3", 0, ENGINE_API_MAX},
            {"1.40", DS_EUNSUPPORTED, 0},
            {"1.24", DS_EUNSUPPORTED, 0},
            {NULL, 0, ENGINE_API_MIN}, /* no header */
            {"garbage", 0, ENGINE_API_MIN},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        int chosen = -1;
        int rc = engine_api_negotiate(cases[i].server, &chosen, &err);

        if (rc != cases[i].rc)
            fail_msg("server %s: rc %d", cases[i].server ? cases[i].server : "(none)", rc);
        if (rc == 0 && chosen != cases[i].chosen)
            fail_msg("server %s: chose %d, expected %d", cases[i].server, chosen, cases[i].chosen);
        if (rc < 0) {
            assert_non_null(strstr(err.msg, "older than the 1.41"));
            assert_non_null(err.hint);
        }
        ds_error_release(&err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_resolve_table),
            cmocka_unit_test(test_resolve_default_sockets),
            cmocka_unit_test(test_api_version_parse),
            cmocka_unit_test(test_api_version_format),
            cmocka_unit_test(test_api_negotiate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
