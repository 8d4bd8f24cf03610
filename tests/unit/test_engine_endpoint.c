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
/* sha256 of "remote-ssh" */
#define SSH_DIGEST "d15305d4736631701753f47c8471ae2847c881f4e4784deeca1a7b3e500963f3"
/* sha256 of "skip-bare", "skip-files", "verify-files" */
#define SKIP_BARE_DIGEST    "93cbedf6231f5c3de6d30791af10d6411854ddddd39514b2cc2e95af95af366c"
#define SKIP_FILES_DIGEST   "21113c2ac7831c95e47de22962aea9e9bb6325ca39dbdce4ff26938afae7ff7c"
#define VERIFY_FILES_DIGEST "818195684d5dff5a0c6bd517fc0f28cb3bd3581e668b9a3bb5b5fabe4dcb5d5f"

/* The fake environment the resolver reads; "@" in a value stands for the temp dir. */
static const char *const *fake_env;
static char *tmp;
static struct strvec env_values; /* like getenv(3)'s, the strings outlive the call */

/* s with "@/" standing for the temp dir ("@/home"); an '@' before anything else is itself */
static void expand(struct buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (p[0] == '@' && p[1] == '/')
            buf_adds(b, tmp);
        else
            buf_addch(b, *p);
    }
}

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);

    for (const char *const *e = fake_env; e && *e; e++) {
        if (!strncmp(*e, name, n) && (*e)[n] == '=') {
            struct buf value = BUF_INIT;

            expand(&value, *e + n + 1);
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
    /* contexts with TLS: skipping verification with and without files, and verifying */
    test_write_file(tmp, "home/.docker/contexts/meta/" SKIP_BARE_DIGEST "/meta.json",
                    "{\"Endpoints\":{\"docker\":{\"Host\":\"tcp://h:2376\","
                    "\"SkipTLSVerify\":true}}}");
    test_write_file(tmp, "home/.docker/contexts/meta/" SKIP_FILES_DIGEST "/meta.json",
                    "{\"Endpoints\":{\"docker\":{\"Host\":\"tcp://h:2376\","
                    "\"SkipTLSVerify\":true}}}");
    test_write_file(tmp, "home/.docker/contexts/meta/" SSH_DIGEST "/meta.json",
                    "{\"Name\":\"remote-ssh\",\"Endpoints\":{\"docker\":"
                    "{\"Host\":\"ssh://deploy@build.example:2222\",\"SkipTLSVerify\":false}}}");
    test_write_file(tmp, "home/.docker/contexts/meta/" VERIFY_FILES_DIGEST "/meta.json",
                    "{\"Endpoints\":{\"docker\":{\"Host\":\"tcp://h:2376\"}}}");
    static const char *const digests[] = {SKIP_FILES_DIGEST, VERIFY_FILES_DIGEST};
    for (size_t i = 0; i < ARRAY_SIZE(digests); i++) {
        struct buf dir = BUF_INIT;

        buf_addf(&dir, "home/.docker/contexts/tls/%s/docker/", digests[i]);
        for (const char *const *f = (const char *const[]){"ca.pem", "cert.pem", "key.pem", NULL};
             *f; f++) {
            struct buf path = BUF_INIT;
            buf_addf(&path, "%s%s", dir.buf, *f);
            test_write_file(tmp, path.buf, "x");
            buf_release(&path);
        }
        buf_release(&dir);
    }
    /* DOCKER_CERT_PATH directories: whole, no CA, half a client pair; ~/.docker whole */
    test_write_file(tmp, "certs/ca.pem", "x");
    test_write_file(tmp, "certs/cert.pem", "x");
    test_write_file(tmp, "certs/key.pem", "x");
    test_write_file(tmp, "noca/cert.pem", "x");
    test_write_file(tmp, "noca/key.pem", "x");
    test_write_file(tmp, "half/ca.pem", "x");
    test_write_file(tmp, "half/cert.pem", "x");
    test_write_file(tmp, "home/.docker/ca.pem", "x");
    test_write_file(tmp, "home/.docker/cert.pem", "x");
    test_write_file(tmp, "home/.docker/key.pem", "x");
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
    const char *env[7];
    int rc;
    const char *host, *socket, *base_url; /* "@" stands for the temp dir */
    bool tls, verify;
    const char *ca, *cert, *key; /* "-": must be unset; NULL: not checked */
    const char *source_has, *error_has;
    const char *warning_has; /* NULL: no warning at all */
    const char *transport;   /* engine_endpoint_transport(); NULL: not checked */
    int remote;              /* 1: local, 2: remote; 0: not checked */
    const char *ssh_argv;    /* the ssh command, words joined by spaces; NULL: not ssh */
};

static void expect_str(const char *want, const char *got, const char *what, const char *name)
{
    struct buf w = BUF_INIT;

    if (!want || !strcmp(want, "-")) {
        if (want && got)
            fail_msg("%s: %s should be unset, is '%s'", name, what, got);
        return;
    }
    expand(&w, want);
    if (!got || strcmp(w.buf, got))
        fail_msg("%s: %s is '%s', expected '%s'", name, what, got ? got : "(null)", w.buf);
    buf_release(&w);
}

#define PLAIN_WARNING      "is not encrypted"
#define UNVERIFIED_WARNING "without verifying its certificate"

/* environment and context inputs -> address, scheme, verification, files, warning */
static void test_resolve_table(void **state)
{
    static const struct resolve_case cases[] = {
            {.name = "DOCKER_HOST unix",
             .env = {"DOCKER_HOST=unix:///tmp/d.sock", "HOME=@/home"},
             .host = "unix:///tmp/d.sock",
             .socket = "/tmp/d.sock",
             .base_url = "http://localhost",
             .source_has = "DOCKER_HOST"},
            {.name = "TLS settings do not apply to a unix socket",
             .env = {"DOCKER_HOST=unix:///tmp/d.sock", "DOCKER_TLS_VERIFY=1", "HOME=@/home"},
             .host = "unix:///tmp/d.sock",
             .base_url = "http://localhost",
             .ca = "-"},
            {.name = "DOCKER_HOST tcp with port: plain, with a warning",
             .env = {"DOCKER_HOST=tcp://1.2.3.4:2375"},
             .host = "tcp://1.2.3.4:2375",
             .base_url = "http://1.2.3.4:2375",
             .ca = "-",
             .source_has = "DOCKER_HOST",
             .warning_has = "'tcp://1.2.3.4:2375' " PLAIN_WARNING},
            {.name = "DOCKER_HOST tcp without port",
             .env = {"DOCKER_HOST=tcp://docker.local"},
             .host = "tcp://docker.local",
             .base_url = "http://docker.local:2375",
             .warning_has = PLAIN_WARNING},
            {.name = "DOCKER_TLS_VERIFY: verified, files from DOCKER_CERT_PATH",
             .env = {"DOCKER_HOST=tcp://docker.local", "DOCKER_TLS_VERIFY=1",
                     "DOCKER_CERT_PATH=@/certs"},
             .host = "tcp://docker.local",
             .base_url = "https://docker.local:2375", /* the docker CLI's default port */
             .tls = true,
             .verify = true,
             .ca = "@/certs/ca.pem",
             .cert = "@/certs/cert.pem",
             .key = "@/certs/key.pem",
             .source_has = "verified, files from @/certs"},
            {.name = "DOCKER_TLS_VERIFY=0 verifies too (any value, as the docker CLI)",
             .env = {"DOCKER_HOST=tcp://h:1", "DOCKER_TLS_VERIFY=0", "DOCKER_CERT_PATH=@/certs"},
             .base_url = "https://h:1",
             .tls = true,
             .verify = true,
             .ca = "@/certs/ca.pem"},
            {.name = "DOCKER_TLS_VERIFY: certs default to ~/.docker",
             .env = {"DOCKER_HOST=tcp://h:1234", "DOCKER_TLS_VERIFY=1", "HOME=@/home"},
             .host = "tcp://h:1234",
             .base_url = "https://h:1234",
             .tls = true,
             .verify = true,
             .ca = "@/home/.docker/ca.pem",
             .cert = "@/home/.docker/cert.pem"},
            {.name = "DOCKER_TLS_VERIFY: certs in DOCKER_CONFIG when set",
             .env = {"DOCKER_HOST=tcp://h:1234", "DOCKER_TLS_VERIFY=1", "DOCKER_CONFIG=@/certs",
                     "HOME=@/home"},
             .tls = true,
             .verify = true,
             .ca = "@/certs/ca.pem"},
            {.name = "DOCKER_TLS_VERIFY without a ca.pem: an error naming it",
             .env = {"DOCKER_HOST=tcp://h:1", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=@/noca"},
             .rc = DS_ENOTFOUND,
             .error_has = "no CA certificate '@/noca/ca.pem'"},
            {.name = "DOCKER_TLS_VERIFY, cert.pem without key.pem: no client certificate",
             .env = {"DOCKER_HOST=tcp://h:1", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=@/half"},
             .tls = true,
             .verify = true,
             .ca = "@/half/ca.pem",
             .cert = "-",
             .key = "-",
             .warning_has = "'@/half/cert.pem' without '@/half/key.pem'"},
            {.name = "DOCKER_TLS: TLS without verification, client certificate kept, a warning",
             .env = {"DOCKER_HOST=tcp://h:1", "DOCKER_TLS=1", "DOCKER_CERT_PATH=@/certs"},
             .base_url = "https://h:1",
             .tls = true,
             .ca = "-",
             .cert = "@/certs/cert.pem",
             .key = "@/certs/key.pem",
             .source_has = "not verified",
             .warning_has = "'tcp://h:1' " UNVERIFIED_WARNING " (DOCKER_TLS is set"},
            {.name = "DOCKER_TLS needs no ca.pem",
             .env = {"DOCKER_HOST=tcp://h:1", "DOCKER_TLS=yes", "DOCKER_CERT_PATH=@/noca"},
             .tls = true,
             .ca = "-",
             .cert = "@/noca/cert.pem",
             .warning_has = UNVERIFIED_WARNING},
            {.name = "DOCKER_TLS and DOCKER_TLS_VERIFY: verified",
             .env = {"DOCKER_HOST=tcp://h:1", "DOCKER_TLS=1", "DOCKER_TLS_VERIFY=1",
                     "DOCKER_CERT_PATH=@/certs"},
             .tls = true,
             .verify = true,
             .ca = "@/certs/ca.pem"},
            {.name = "empty DOCKER_TLS is unset",
             .env = {"DOCKER_HOST=tcp://h:1", "DOCKER_TLS=", "DOCKER_CERT_PATH=@/certs"},
             .base_url = "http://h:1",
             .warning_has = PLAIN_WARNING},
            {.name = "https:// is verified against the system's CAs",
             .env = {"DOCKER_HOST=https://h", "DOCKER_CERT_PATH=@/noca"},
             .base_url = "https://h:2376",
             .tls = true,
             .verify = true,
             .ca = "-"},
            {.name = "DOCKER_TLS_VERIFY without DOCKER_HOST: the docker CLI's tcp://localhost:2376",
             .env = {"DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=@/certs", "HOME=@/home"},
             .host = "tcp://localhost:2376",
             .socket = "-",
             .base_url = "https://localhost:2376",
             .tls = true,
             .verify = true,
             .ca = "@/certs/ca.pem",
             .source_has = "without DOCKER_HOST"},
            {.name = "a context wins over DOCKER_TLS_VERIFY",
             .env = {"DOCKER_TLS_VERIFY=1", "DOCKER_CONTEXT=ctx", "HOME=@/home"},
             .host = "unix:///run/ctx.sock",
             .base_url = "http://localhost"},
            {.name = "DOCKER_HOST IPv6",
             .env = {"DOCKER_HOST=tcp://[::1]:2375"},
             .host = "tcp://[::1]:2375",
             .base_url = "http://[::1]:2375",
             .warning_has = PLAIN_WARNING},
            {.name = "empty DOCKER_HOST is unset",
             .env = {"DOCKER_HOST=", "DOCKER_CONTEXT=ctx", "HOME=@/home"},
             .host = "unix:///run/ctx.sock",
             .socket = "/run/ctx.sock",
             .base_url = "http://localhost",
             .source_has = "docker context 'ctx' (DOCKER_CONTEXT)"},
            {.name = "DOCKER_HOST wins over DOCKER_CONTEXT",
             .env = {"DOCKER_HOST=unix:///a.sock", "DOCKER_CONTEXT=ctx", "HOME=@/home"},
             .host = "unix:///a.sock",
             .socket = "/a.sock",
             .source_has = "DOCKER_HOST"},
            {.name = "relative unix path",
             .env = {"DOCKER_HOST=unix://run/d.sock"},
             .rc = DS_EINVAL,
             .error_has = "absolute path"},
            {.name = "unknown scheme",
             .env = {"DOCKER_HOST=docker.sock"},
             .rc = DS_EINVAL,
             .error_has = "invalid engine address"},
            {.name = "ssh with a user: docker system dial-stdio over ssh, remote",
             .env = {"DOCKER_HOST=ssh://me@host"},
             .host = "ssh://me@host",
             .socket = "-",
             .base_url = "http://localhost",
             .source_has = "DOCKER_HOST",
             .transport = "ssh",
             .remote = 2,
             .ssh_argv = "ssh -o ConnectTimeout=30 -T -l me -- host docker system dial-stdio"},
            {.name = "ssh with a port, no user: the ssh config's user",
             .env = {"DOCKER_HOST=ssh://build.example:2222"},
             .transport = "ssh",
             .ssh_argv = "ssh -o ConnectTimeout=30 -T -p 2222 -- build.example docker system "
                         "dial-stdio"},
            {.name = "ssh to an IPv6 address: ssh takes it without brackets",
             .env = {"DOCKER_HOST=ssh://u@[::1]:22"},
             .ssh_argv = "ssh -o ConnectTimeout=30 -T -l u -p 22 -- ::1 docker system dial-stdio"},
            {.name = "ssh with a trailing slash",
             .env = {"DOCKER_HOST=ssh://u@h/"},
             .ssh_argv = "ssh -o ConnectTimeout=30 -T -l u -- h docker system dial-stdio"},
            {.name = "ssh ignores the TLS settings",
             .env = {"DOCKER_HOST=ssh://u@h", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=@/certs"},
             .ca = "-",
             .transport = "ssh"},
            {.name = "ssh with a password is refused",
             .env = {"DOCKER_HOST=ssh://u:secret@h"},
             .rc = DS_EINVAL,
             .error_has = "may not hold a password"},
            {.name = "ssh with a path is refused",
             .env = {"DOCKER_HOST=ssh://u@h/var/run/docker.sock"},
             .rc = DS_EINVAL,
             .error_has = "a path after the host ('/var/run/docker.sock')"},
            {.name = "ssh without a host",
             .env = {"DOCKER_HOST=ssh://"},
             .rc = DS_EINVAL,
             .error_has = "no host"},
            {.name = "a context with an ssh endpoint",
             .env = {"DOCKER_CONTEXT=remote-ssh", "HOME=@/home"},
             .host = "ssh://deploy@build.example:2222",
             .source_has = "docker context 'remote-ssh'",
             .transport = "ssh",
             .remote = 2,
             .ssh_argv = "ssh -o ConnectTimeout=30 -T -l deploy -p 2222 -- build.example docker "
                         "system dial-stdio"},
            {.name = "npipe is not supported",
             .env = {"DOCKER_HOST=npipe:////./pipe/docker_engine"},
             .rc = DS_EUNSUPPORTED,
             .error_has = "not supported"},
            {.name = "tcp to loopback is this machine",
             .env = {"DOCKER_HOST=tcp://127.0.0.1:2375"},
             .warning_has = PLAIN_WARNING,
             .transport = "tcp",
             .remote = 1},
            {.name = "tcp to localhost is this machine",
             .env = {"DOCKER_HOST=tcp://localhost:2375"},
             .warning_has = PLAIN_WARNING,
             .remote = 1},
            {.name = "tcp to [::1] is this machine",
             .env = {"DOCKER_HOST=tcp://[::1]:2375"},
             .warning_has = PLAIN_WARNING,
             .remote = 1},
            {.name = "tcp to another address is remote",
             .env = {"DOCKER_HOST=tcp://10.0.0.5:2376", "DOCKER_TLS_VERIFY=1",
                     "DOCKER_CERT_PATH=@/certs"},
             .tls = true,
             .verify = true,
             .transport = "tcp + TLS",
             .remote = 2},
            {.name = "a host named like loopback is remote",
             .env = {"DOCKER_HOST=tcp://localhost.example:2375"},
             .warning_has = PLAIN_WARNING,
             .remote = 2},
            {.name = "tcp without host",
             .env = {"DOCKER_HOST=tcp://"},
             .rc = DS_EINVAL,
             .error_has = "no host"},
            {.name = "context with a ca.pem: verified against it",
             .env = {"DOCKER_CONTEXT=remote-tls", "HOME=@/home"},
             .host = "tcp://10.0.0.5:2376",
             .base_url = "https://10.0.0.5:2376",
             .tls = true,
             .verify = true,
             .ca = "@/home/.docker/contexts/tls/" TLS_DIGEST "/docker/ca.pem",
             .cert = "-",
             .source_has = "remote-tls"},
            {.name = "context with files: verified, client certificate",
             .env = {"DOCKER_CONTEXT=verify-files", "HOME=@/home"},
             .base_url = "https://h:2376",
             .tls = true,
             .verify = true,
             .source_has = "(TLS, verified)",
             .ca = "@/home/.docker/contexts/tls/" VERIFY_FILES_DIGEST "/docker/ca.pem",
             .cert = "@/home/.docker/contexts/tls/" VERIFY_FILES_DIGEST "/docker/cert.pem",
             .key = "@/home/.docker/contexts/tls/" VERIFY_FILES_DIGEST "/docker/key.pem"},
            {.name = "context with SkipTLSVerify and files: TLS, not verified, a warning",
             .env = {"DOCKER_CONTEXT=skip-files", "HOME=@/home"},
             .base_url = "https://h:2376",
             .tls = true,
             .ca = "-",
             .cert = "@/home/.docker/contexts/tls/" SKIP_FILES_DIGEST "/docker/cert.pem",
             .key = "@/home/.docker/contexts/tls/" SKIP_FILES_DIGEST "/docker/key.pem",
             .source_has = "docker context 'skip-files' (DOCKER_CONTEXT) (TLS, not verified)",
             .warning_has = UNVERIFIED_WARNING " (docker context 'skip-files' has SkipTLSVerify)"},
            {.name = "context with SkipTLSVerify and no files: still TLS",
             .env = {"DOCKER_CONTEXT=skip-bare", "HOME=@/home"},
             .base_url = "https://h:2376",
             .tls = true,
             .ca = "-",
             .cert = "-",
             .warning_has = UNVERIFIED_WARNING},
            {.name = "a context ignores DOCKER_TLS and DOCKER_CERT_PATH",
             .env = {"DOCKER_CONTEXT=skip-bare", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=@/certs",
                     "HOME=@/home"},
             .tls = true,
             .ca = "-",
             .warning_has = UNVERIFIED_WARNING},
            {.name = "currentContext from DOCKER_CONFIG: plain tcp, a warning",
             .env = {"DOCKER_CONFIG=@/cfghome", "HOME=@/home"},
             .host = "tcp://ctx.example:2375",
             .base_url = "http://ctx.example:2375",
             .source_has = "currentContext in config.json",
             .warning_has = "'tcp://ctx.example:2375' " PLAIN_WARNING},
            {.name = "DOCKER_CONTEXT beats currentContext",
             .env = {"DOCKER_CONFIG=@/cfghome", "DOCKER_CONTEXT=remote-tls"},
             .rc = DS_ENOTFOUND,
             .error_has = "'remote-tls'"},
            {.name = "missing context",
             .env = {"DOCKER_CONTEXT=nope", "HOME=@/home"},
             .rc = DS_ENOTFOUND,
             .error_has = "docker context 'nope'"},
            {.name = "malformed config.json",
             .env = {"DOCKER_CONFIG=@/badcfg"},
             .rc = DS_EINVAL,
             .error_has = "config.json': not valid JSON"},
            {.name = "context without a docker endpoint",
             .env = {"DOCKER_CONFIG=@/nohost"},
             .rc = DS_EINVAL,
             .error_has = "Endpoints.docker.Host"},
    };
    struct engine_resolve_env env = {fake_getenv, "/nonexistent-root"};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct resolve_case *c = &cases[i];
        struct engine_endpoint ep;
        struct ds_error err = DS_ERROR_INIT;
        struct buf warnings = BUF_INIT, want = BUF_INIT;
        int rc;

        fake_env = c->env;
        rc = engine_endpoint_resolve(&ep, &env, &err);
        if (rc != c->rc)
            fail_msg("%s: rc %d, expected %d (%s)", c->name, rc, c->rc, err.msg ? err.msg : "");
        if (rc < 0) {
            expand(&want, c->error_has);
            if (!err.msg || !strstr(err.msg, want.buf))
                fail_msg("%s: error '%s' lacks '%s'", c->name, err.msg, want.buf);
            buf_release(&want);
            ds_error_release(&err);
            continue;
        }
        expect_str(c->host, ep.host, "host", c->name);
        expect_str(c->socket, ep.socket_path, "socket", c->name);
        expect_str(c->base_url, ep.base_url, "base_url", c->name);
        if (ep.tls != c->tls || ep.tls_verify != c->verify)
            fail_msg("%s: tls %d verify %d", c->name, ep.tls, ep.tls_verify);
        expect_str(c->ca, ep.tls_ca, "tls_ca", c->name);
        expect_str(c->cert, ep.tls_cert, "tls_cert", c->name);
        expect_str(c->key, ep.tls_key, "tls_key", c->name);
        expect_str(c->transport, engine_endpoint_transport(&ep), "transport", c->name);
        if (c->remote && ep.remote != (c->remote == 2))
            fail_msg("%s: remote is %d", c->name, ep.remote);
        if (c->ssh_argv || ep.ssh_host) {
            struct strvec argv = STRVEC_INIT;
            struct buf words = BUF_INIT;

            engine_endpoint_ssh_argv(&ep, &argv);
            for (size_t k = 0; k < argv.n; k++)
                buf_addf(&words, "%s%s", k ? " " : "", argv.v[k]);
            expect_str(c->ssh_argv, ep.ssh_host ? words.buf : NULL, "ssh argv", c->name);
            strvec_clear(&argv);
            buf_release(&words);
        }
        if (c->source_has) {
            expand(&want, c->source_has);
            if (!strstr(ep.source, want.buf))
                fail_msg("%s: source '%s' lacks '%s'", c->name, ep.source, want.buf);
            buf_reset(&want);
        }
        /* one warning at most: it is printed once per run, not per request */
        for (size_t k = 0; k < ep.warnings.n; k++)
            buf_addf(&warnings, "%s%s", k ? " | " : "", ep.warnings.v[k]);
        if (!c->warning_has && ep.warnings.n)
            fail_msg("%s: unexpected warning '%s'", c->name, warnings.buf);
        if (c->warning_has) {
            expand(&want, c->warning_has);
            if (ep.warnings.n != 1 || !strstr(warnings.buf, want.buf))
                fail_msg("%s: warnings '%s', expected one with '%s'", c->name, warnings.buf,
                         want.buf);
        }
        buf_release(&want);
        buf_release(&warnings);
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
