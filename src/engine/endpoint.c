/* Which engine to talk to, and which API version to speak with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/strutil.h"
#include "util/path.h"
#include "util/banned.h"

/* The configuration files we read are small; anything larger is not one. */
#define CONFIG_MAX (1u << 20)

static const char *env_get(const struct engine_resolve_env *env, const char *name)
{
    const char *v = env && env->getenv ? env->getenv(name) : getenv(name);
    return v && *v ? v : NULL;
}

void engine_endpoint_release(struct engine_endpoint *ep)
{
    free(ep->host);
    free(ep->socket_path);
    free(ep->base_url);
    free(ep->tls_ca);
    free(ep->tls_cert);
    free(ep->tls_key);
    free(ep->ssh_user);
    free(ep->ssh_host);
    free(ep->ssh_port);
    free(ep->source);
    strvec_clear(&ep->tried);
    strvec_clear(&ep->warnings);
    memset(ep, 0, sizeof(*ep));
    strvec_init(&ep->tried);
    strvec_init(&ep->warnings);
}

/* Is host[:port] (len bytes) this machine: localhost, 127.0.0.0/8, ::1? */
static bool is_loopback(const char *hostport, size_t len)
{
    size_t n = len;

    if (hostport[0] == '[') {
        const char *end = memchr(hostport, ']', len);
        return end && (size_t)(end - hostport) == 4 && !memcmp(hostport, "[::1", 4);
    }
    if (memchr(hostport, ':', len))
        n = (size_t)((const char *)memchr(hostport, ':', len) - hostport);
    return (n == 9 && !strncasecmp(hostport, "localhost", 9)) ||
           (n >= 4 && !memcmp(hostport, "127.", 4));
}

const char *engine_endpoint_transport(const struct engine_endpoint *ep)
{
    if (ep->socket_path)
        return "unix socket";
    if (ep->ssh_host)
        return "ssh";
    return ep->tls ? "tcp + TLS" : "tcp";
}

/*
 * Parse a DOCKER_HOST-style address into ep (host, socket_path, base_url).
 * TLS is decided by the caller, which then calls set_tls(); an https://
 * address asks for it itself (*https set).
 */
static int parse_host(struct engine_endpoint *ep, const char *host, bool *https,
                      struct ds_error *err)
{
    const char *rest;
    struct buf b = BUF_INIT;

    *https = false;
    if (str_skip_prefix(host, "unix://", &rest)) {
        if (*rest != '/')
            return ds_error_set(err, DS_EINVAL,
                                "invalid engine address '%s': a unix socket needs an absolute path "
                                "(unix:///var/run/docker.sock)",
                                host);
        ep->host = xstrdup(host);
        ep->socket_path = xstrdup(rest);
        ep->base_url = xstrdup("http://localhost");
        return 0;
    }
    if (str_skip_prefix(host, "tcp://", &rest) || str_skip_prefix(host, "http://", &rest) ||
        str_skip_prefix(host, "https://", &rest)) {
        size_t len = strcspn(rest, "/");
        const char *colon;

        if (!len)
            return ds_error_set(err, DS_EINVAL, "invalid engine address '%s': no host", host);
        *https = str_starts_with(host, "https://");
        colon = memchr(rest, ':', len);
        if (rest[0] == '[') /* [::1]:2375 */
            colon = memchr(rest, ']', len) ? strchr(memchr(rest, ']', len), ':') : NULL;
        /* "h:p" for now; set_tls() puts the scheme in front */
        buf_addf(&b, "%.*s", (int)len, rest);
        /*
         * tcp:// without a port is 2375 with or without TLS, as the docker CLI
         * has it (opts.ParseTCPAddr); https://, which it does not take, 2376
         */
        if (!colon || colon >= rest + len)
            buf_addf(&b, ":%d", *https ? 2376 : 2375);
        ep->host = xstrdup(host);
        ep->base_url = buf_detach(&b, NULL);
        ep->remote = !is_loopback(rest, len);
        return 0;
    }
    if (str_starts_with(host, "ssh://")) {
        int rc = engine_ssh_parse(host, &ep->ssh_user, &ep->ssh_host, &ep->ssh_port, err);

        if (rc < 0)
            return rc;
        ep->host = xstrdup(host);
        ep->base_url = xstrdup("http://localhost");
        ep->remote = true;
        return 0;
    }
    if (str_starts_with(host, "npipe://") || str_starts_with(host, "fd://")) {
        ds_error_set(err, DS_EUNSUPPORTED, "engine address '%s': this scheme is not supported",
                     host);
        ds_error_hint(err, "use a unix:// socket, a tcp:// address or ssh://[user@]host");
        return DS_EUNSUPPORTED;
    }
    ds_error_set(err, DS_EINVAL, "invalid engine address '%s'", host);
    ds_error_hint(err, "expected unix:///path/to/docker.sock or tcp://host:port");
    return DS_EINVAL;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* How to talk to a tcp:// engine, as the docker CLI decides it. */
struct tls_choice {
    bool on, verify;
    const char *dir;  /* ca.pem, cert.pem, key.pem; NULL: none */
    bool ca_required; /* verifying with DOCKER_TLS_VERIFY: no ca.pem is an error */
    const char *why_unverified, *how_to_encrypt;
};

/*
 * Finish a tcp:// endpoint: the scheme, and with TLS the files and whether
 * the engine's certificate is checked. Unverified TLS and plain TCP each
 * leave one warning, which the caller prints once per run.
 */
static int set_tls(struct engine_endpoint *ep, const struct tls_choice *tls, struct ds_error *err)
{
    char *hostport = ep->base_url;
    struct buf url = BUF_INIT;
    char *ca = NULL, *cert = NULL, *key = NULL;

    buf_addf(&url, "%s://%s", tls->on ? "https" : "http", hostport);
    free(hostport);
    ep->base_url = buf_detach(&url, NULL);
    ep->tls = tls->on;
    ep->tls_verify = tls->on && tls->verify;
    if (!tls->on) {
        strvec_pushf(&ep->warnings,
                     "the connection to the engine at '%s' is not encrypted: anyone on the "
                     "network path can read it and drive the engine (%s)",
                     ep->host, tls->how_to_encrypt);
        return 0;
    }
    if (tls->dir) {
        ca = path_join(tls->dir, "ca.pem");
        cert = path_join(tls->dir, "cert.pem");
        key = path_join(tls->dir, "key.pem");
    }
    if (ep->tls_verify && ca && is_file(ca)) {
        ep->tls_ca = ca;
        ca = NULL;
    } else if (ep->tls_verify && tls->ca_required) {
        ds_error_set(err, DS_ENOTFOUND,
                     "TLS verification is on (DOCKER_TLS_VERIFY), but there is no CA certificate "
                     "'%s'",
                     ca ? ca : "ca.pem");
        ds_error_hint(err, "set DOCKER_CERT_PATH to the directory that holds the engine's "
                           "ca.pem, cert.pem and key.pem");
        free(ca);
        free(cert);
        free(key);
        return DS_ENOTFOUND;
    }
    /* a client certificate needs both halves, as the docker CLI uses it */
    if (cert && key && is_file(cert) && is_file(key)) {
        ep->tls_cert = cert;
        ep->tls_key = key;
        cert = key = NULL;
    } else if (cert && key && (is_file(cert) || is_file(key))) {
        strvec_pushf(&ep->warnings, "'%s' without '%s': no client certificate is sent",
                     is_file(cert) ? cert : key, is_file(cert) ? key : cert);
    }
    if (!ep->tls_verify)
        strvec_pushf(&ep->warnings,
                     "TLS to the engine at '%s' without verifying its certificate (%s): anyone "
                     "on the network path can pose as the engine",
                     ep->host, tls->why_unverified);
    free(ca);
    free(cert);
    free(key);
    return 0;
}

static void sha256_hex(const char *s, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    static const char hex[] = "0123456789abcdef";

    EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < len && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

char *engine_docker_config_dir(const struct engine_resolve_env *env)
{
    const char *dir = env_get(env, "DOCKER_CONFIG");
    const char *home = env_get(env, "HOME");

    if (dir)
        return xstrdup(dir);
    if (!home)
        return NULL;
    return path_join(home, ".docker");
}

/* Read a JSON file; a missing file is *out == NULL and success. */
int engine_read_json_file(const char *path, cJSON **out, struct ds_error *err)
{
    struct buf b = BUF_INIT;
    int rc = buf_read_file(&b, path, CONFIG_MAX);

    *out = NULL;
    if (rc == -ENOENT || rc == -ENOTDIR) {
        buf_release(&b);
        return 0;
    }
    if (rc < 0) {
        buf_release(&b);
        return ds_error_errno(err, -rc, "cannot read '%s'", path);
    }
    *out = json_parse(b.buf, b.len);
    buf_release(&b);
    if (!*out)
        return ds_error_set(err, DS_EINVAL, "cannot parse '%s': not valid JSON", path);
    return 0;
}

static int resolve_context(struct engine_endpoint *ep, const struct engine_resolve_env *env,
                           const char *config_dir, const char *name, const char *why,
                           struct ds_error *err)
{
    char digest[65];
    struct buf meta_path = BUF_INIT, tls_dir = BUF_INIT, source = BUF_INIT;
    struct buf why_unverified = BUF_INIT;
    cJSON *meta = NULL;
    const cJSON *docker;
    const char *host;
    bool https;
    int rc;

    (void)env;
    sha256_hex(name, digest);
    buf_addf(&meta_path, "%s/contexts/meta/%s/meta.json", config_dir, digest);
    rc = engine_read_json_file(meta_path.buf, &meta, err);
    if (rc < 0)
        goto done;
    if (!meta) {
        rc = ds_error_set(err, DS_ENOTFOUND, "docker context '%s' (%s) not found: no '%s'", name,
                          why, meta_path.buf);
        ds_error_hint(err, "list contexts with 'docker context ls', or unset DOCKER_CONTEXT");
        goto done;
    }
    docker = json_obj(json_obj(meta, "Endpoints"), "docker");
    host = json_str(docker, "Host");
    if (!host) {
        rc = ds_error_set(err, DS_EINVAL, "docker context '%s': '%s' has no Endpoints.docker.Host",
                          name, meta_path.buf);
        goto done;
    }
    buf_addf(&tls_dir, "%s/contexts/tls/%s/docker", config_dir, digest);
    buf_addf(&why_unverified, "docker context '%s' has SkipTLSVerify", name);
    rc = parse_host(ep, host, &https, err);
    if (rc == 0 && !ep->socket_path && !ep->ssh_host) {
        /*
         * As the docker CLI: TLS when the context holds TLS files or asks to
         * skip verification, verified unless it asks; without a ca.pem the
         * system's CAs verify.
         */
        static const char *const files[] = {"ca.pem", "cert.pem", "key.pem"};
        bool skip_verify = json_bool(docker, "SkipTLSVerify");
        bool have_files = false;
        struct tls_choice tls = {.verify = !skip_verify,
                                 .dir = tls_dir.buf,
                                 .why_unverified = why_unverified.buf,
                                 .how_to_encrypt = "give the context TLS files: docker context "
                                                   "update NAME --docker host=tcp://HOST:2376,"
                                                   "ca=FILE,cert=FILE,key=FILE"};

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
            char *f = path_join(tls_dir.buf, files[i]);
            have_files = have_files || is_file(f);
            free(f);
        }
        tls.on = https || have_files || skip_verify;
        rc = set_tls(ep, &tls, err);
    }
    if (rc < 0) {
        ds_error_wrap(err, "docker context '%s'", name);
        goto done;
    }
    buf_addf(&source, "docker context '%s' (%s)", name, why);
    if (ep->tls)
        buf_addf(&source, " (TLS, %s)", ep->tls_verify ? "verified" : "not verified");
    ep->source = buf_detach(&source, NULL);

done:
    cJSON_Delete(meta);
    buf_release(&meta_path);
    buf_release(&tls_dir);
    buf_release(&why_unverified);
    buf_release(&source);
    return rc;
}

/* Is root/path a socket; with `usable`, one this user may connect to (write to)? */
static bool is_socket(const char *root, const char *path, bool usable)
{
    struct buf b = BUF_INIT;
    struct stat st;
    bool yes;

    buf_addf(&b, "%s%s", root && strcmp(root, "/") ? root : "", path);
    yes = stat(b.buf, &st) == 0 && S_ISSOCK(st.st_mode) && (!usable || access(b.buf, W_OK) == 0);
    buf_release(&b);
    return yes;
}

static const char *first_socket(const char *root, const struct strvec *candidates, bool usable)
{
    for (size_t i = 0; i < candidates->n; i++)
        if (is_socket(root, candidates->v[i], usable))
            return candidates->v[i];
    return NULL;
}

static void resolve_default(struct engine_endpoint *ep, const struct engine_resolve_env *env)
{
    const char *home = env_get(env, "HOME");
    const char *xdg = env_get(env, "XDG_RUNTIME_DIR");
    struct strvec candidates = STRVEC_INIT;
    const char *chosen = NULL;

    strvec_push(&candidates, "/var/run/docker.sock");
    if (home)
        strvec_pushf(&candidates, "%s/.docker/run/docker.sock", home);
    if (xdg) {
        strvec_pushf(&candidates, "%s/docker.sock", xdg);
        strvec_pushf(&candidates, "%s/podman/podman.sock", xdg);
    }
    strvec_push(&candidates, "/run/podman/podman.sock");

    /*
     * The first one this user may use: a rootless engine's socket in
     * XDG_RUNTIME_DIR, say, rather than the system engine's it may not
     * open. Else the first that exists, whose error then says why.
     */
    bool usable = true;

    chosen = first_socket(env ? env->root : NULL, &candidates, true);
    if (!chosen) {
        usable = false;
        chosen = first_socket(env ? env->root : NULL, &candidates, false);
    }
    if (chosen) {
        ep->source = xstrdup(!strcmp(chosen, candidates.v[0]) ? "the default socket"
                             : usable ? "the first default socket this user may use"
                                      : "the first default socket found");
    } else {
        chosen = candidates.v[0];
        ep->source = xstrdup("the default socket (none of the default sockets exists)");
        strvec_copy(&ep->tried, &candidates);
    }
    {
        struct buf host = BUF_INIT;
        buf_addf(&host, "unix://%s", chosen);
        ep->host = buf_detach(&host, NULL);
    }
    ep->socket_path = xstrdup(chosen);
    ep->base_url = xstrdup("http://localhost");
    strvec_clear(&candidates);
}

/* DOCKER_HOST (or the default TLS address) with TLS from the environment. */
static int resolve_tcp_env(struct engine_endpoint *ep, const struct engine_resolve_env *env,
                           const char *host, bool tls_verify, bool tls_any, const char *why,
                           struct ds_error *err)
{
    const char *cert_path = env_get(env, "DOCKER_CERT_PATH");
    char *dir = cert_path ? xstrdup(cert_path) : engine_docker_config_dir(env);
    struct tls_choice tls = {
            .dir = dir,
            .ca_required = tls_verify,
            .why_unverified = "DOCKER_TLS is set, DOCKER_TLS_VERIFY is not",
            .how_to_encrypt = "set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to a directory with "
                              "ca.pem, cert.pem and key.pem"};
    struct buf source = BUF_INIT;
    bool https;
    int rc = parse_host(ep, host, &https, err);

    if (rc == 0 && !ep->socket_path && !ep->ssh_host) {
        tls.on = tls_any || https;
        /* an https:// address is verified unless DOCKER_TLS alone asks otherwise */
        tls.verify = tls_verify || (https && !tls_any);
        rc = set_tls(ep, &tls, err);
    }
    if (rc == 0) {
        buf_adds(&source, why);
        if (ep->tls)
            buf_addf(&source, " (TLS, %s%s%s)", ep->tls_verify ? "verified" : "not verified",
                     ep->tls_ca || ep->tls_cert ? ", files from " : "",
                     ep->tls_ca || ep->tls_cert ? dir : "");
        ep->source = buf_detach(&source, NULL);
    }
    free(dir);
    return rc;
}

int engine_endpoint_resolve(struct engine_endpoint *out, const struct engine_resolve_env *env,
                            struct ds_error *err)
{
    const char *host = env_get(env, "DOCKER_HOST");
    const char *context = env_get(env, "DOCKER_CONTEXT");
    const char *why = "DOCKER_CONTEXT";
    char *config_dir = NULL, *context_owned = NULL;
    cJSON *config = NULL;
    bool tls_verify, tls_any;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->tried);
    strvec_init(&out->warnings);

    /*
     * As the docker CLI (cli/flags/options.go): DOCKER_TLS_VERIFY (any value)
     * means TLS with verification, DOCKER_TLS (any value) TLS without; the
     * files come from DOCKER_CERT_PATH, else the config directory. They apply
     * to DOCKER_HOST and to the default endpoint, never to a context.
     */
    tls_verify = env_get(env, "DOCKER_TLS_VERIFY") != NULL;
    tls_any = tls_verify || env_get(env, "DOCKER_TLS") != NULL;
    if (host) {
        rc = resolve_tcp_env(out, env, host, tls_verify, tls_any, "DOCKER_HOST", err);
        if (rc < 0)
            ds_error_wrap(err, "DOCKER_HOST");
        goto done;
    }

    config_dir = engine_docker_config_dir(env);
    if (!context && config_dir) {
        struct buf path = BUF_INIT;

        buf_addf(&path, "%s/config.json", config_dir);
        rc = engine_read_json_file(path.buf, &config, err);
        if (rc == DS_EPERM) {
            /* as the docker CLI does: say so and go on without it */
            strvec_pushf(&out->warnings, "%s; its currentContext is ignored", err->msg);
            ds_error_release(err);
            rc = 0;
        }
        buf_release(&path);
        if (rc < 0)
            goto done;
        if (json_str(config, "currentContext")) {
            context = context_owned = xstrdup(json_str(config, "currentContext"));
            why = "currentContext in config.json";
        }
    }
    if (context && strcmp(context, "default")) {
        if (!config_dir) {
            rc = ds_error_set(err, DS_EINVAL,
                              "docker context '%s' is set, but HOME and DOCKER_CONFIG are not",
                              context);
            goto done;
        }
        rc = resolve_context(out, env, config_dir, context, why, err);
        goto done;
    }
    if (tls_any) {
        /* the docker CLI's default address when TLS is asked for (opts.ParseHost) */
        rc = resolve_tcp_env(out, env, "tcp://localhost:2376", tls_verify, tls_any,
                             "DOCKER_TLS_VERIFY or DOCKER_TLS without DOCKER_HOST", err);
        goto done;
    }
    resolve_default(out, env);

done:
    if (rc < 0)
        engine_endpoint_release(out);
    cJSON_Delete(config);
    free(config_dir);
    free(context_owned);
    return rc;
}

int engine_api_version_parse(const char *s, int *out)
{
    int64_t major, minor;
    const char *dot = s ? strchr(s, '.') : NULL;
    char head[16];

    if (!dot || (size_t)(dot - s) >= sizeof(head))
        return -1;
    memcpy(head, s, (size_t)(dot - s));
    head[dot - s] = '\0';
    if (str_to_int64(head, 0, 99, &major) < 0 || str_to_int64(dot + 1, 0, 999, &minor) < 0)
        return -1;
    if (head[0] == '-' || dot[1] == '-')
        return -1;
    *out = (int)(major * 1000 + minor);
    return 0;
}

void engine_api_version_format(int version, char *out, size_t size)
{
    snprintf(out, size, "%d.%d", version / 1000, version % 1000);
}

const char *engine_api_docker_release(int version)
{
    static const struct {
        int api;
        const char *release;
    } releases[] = {
            {1041, "20.10"}, {1042, "23.0"}, {1043, "24.0"}, {1044, "25.0"}, {1045, "26.0"},
            {1046, "27.0"},  {1047, "27.3"}, {1048, "28.0"}, {1049, "28.1"},
    };

    for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++)
        if (releases[i].api == version)
            return releases[i].release;
    return NULL;
}

int engine_api_negotiate(const char *server_header, int *out, struct ds_error *err)
{
    int server;
    char have[16], need[16];

    if (!server_header || engine_api_version_parse(server_header, &server) < 0) {
        /* Very old engines send no header; anything we can talk to has 1.41. */
        *out = ENGINE_API_MIN;
        return 0;
    }
    if (server < ENGINE_API_MIN) {
        engine_api_version_format(server, have, sizeof(have));
        engine_api_version_format(ENGINE_API_MIN, need, sizeof(need));
        ds_error_set(err, DS_EUNSUPPORTED,
                     "the engine speaks API %s, older than the %s that devstack needs", have, need);
        ds_error_hint(err, "upgrade to Docker 20.10 or newer (or Podman 4)");
        return DS_EUNSUPPORTED;
    }
    *out = server < ENGINE_API_MAX ? server : ENGINE_API_MAX;
    return 0;
}
