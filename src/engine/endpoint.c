/* Which engine to talk to, and which API version to speak with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    free(ep->source);
    strvec_clear(&ep->tried);
    strvec_clear(&ep->warnings);
    memset(ep, 0, sizeof(*ep));
    strvec_init(&ep->tried);
    strvec_init(&ep->warnings);
}

/*
 * Parse a DOCKER_HOST-style address into ep. `tls_dir` (may be NULL) holds
 * ca.pem, cert.pem and key.pem when `tls` is set.
 */
static int parse_host(struct engine_endpoint *ep, const char *host, bool tls, const char *tls_dir,
                      struct ds_error *err)
{
    const char *rest;
    struct buf b = BUF_INIT;

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
        if (str_starts_with(host, "https://"))
            tls = true;
        colon = memchr(rest, ':', len);
        if (rest[0] == '[') /* [::1]:2375 */
            colon = memchr(rest, ']', len) ? strchr(memchr(rest, ']', len), ':') : NULL;
        buf_addf(&b, "%s://%.*s", tls ? "https" : "http", (int)len, rest);
        if (!colon || colon >= rest + len)
            buf_addf(&b, ":%d", tls ? 2376 : 2375);
        ep->host = xstrdup(host);
        ep->base_url = buf_detach(&b, NULL);
        ep->tls = tls;
        if (tls && tls_dir) {
            ep->tls_ca = path_join(tls_dir, "ca.pem");
            ep->tls_cert = path_join(tls_dir, "cert.pem");
            ep->tls_key = path_join(tls_dir, "key.pem");
        }
        return 0;
    }
    if (str_starts_with(host, "ssh://") || str_starts_with(host, "npipe://") ||
        str_starts_with(host, "fd://")) {
        ds_error_set(err, DS_EUNSUPPORTED, "engine address '%s': this scheme is not supported",
                     host);
        ds_error_hint(err, "use a unix:// socket or tcp:// address (for ssh, forward the socket: "
                           "ssh -L /tmp/docker.sock:/var/run/docker.sock HOST)");
        return DS_EUNSUPPORTED;
    }
    ds_error_set(err, DS_EINVAL, "invalid engine address '%s'", host);
    ds_error_hint(err, "expected unix:///path/to/docker.sock or tcp://host:port");
    return DS_EINVAL;
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
    *out = cJSON_ParseWithLength(b.buf, b.len);
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
    cJSON *meta = NULL;
    const cJSON *docker;
    const char *host;
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
    {
        struct stat st;
        bool have_tls = stat(tls_dir.buf, &st) == 0 && S_ISDIR(st.st_mode);

        rc = parse_host(ep, host, have_tls && !json_bool(docker, "SkipTLSVerify"),
                        have_tls ? tls_dir.buf : NULL, err);
    }
    if (rc < 0) {
        ds_error_wrap(err, "docker context '%s'", name);
        goto done;
    }
    buf_addf(&source, "docker context '%s' (%s)", name, why);
    ep->source = buf_detach(&source, NULL);

done:
    cJSON_Delete(meta);
    buf_release(&meta_path);
    buf_release(&tls_dir);
    buf_release(&source);
    return rc;
}

static bool is_socket(const char *root, const char *path)
{
    struct buf b = BUF_INIT;
    struct stat st;
    bool yes;

    buf_addf(&b, "%s%s", root && strcmp(root, "/") ? root : "", path);
    yes = stat(b.buf, &st) == 0 && S_ISSOCK(st.st_mode);
    buf_release(&b);
    return yes;
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

    for (size_t i = 0; i < candidates.n && !chosen; i++)
        if (is_socket(env ? env->root : NULL, candidates.v[i]))
            chosen = candidates.v[i];

    if (chosen) {
        ep->source = xstrdup(strcmp(chosen, candidates.v[0]) ? "the first default socket found"
                                                             : "the default socket");
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

int engine_endpoint_resolve(struct engine_endpoint *out, const struct engine_resolve_env *env,
                            struct ds_error *err)
{
    const char *host = env_get(env, "DOCKER_HOST");
    const char *context = env_get(env, "DOCKER_CONTEXT");
    const char *why = "DOCKER_CONTEXT";
    char *config_dir = NULL, *context_owned = NULL;
    cJSON *config = NULL;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->tried);
    strvec_init(&out->warnings);

    if (host) {
        const char *cert_path = env_get(env, "DOCKER_CERT_PATH");
        bool tls = env_get(env, "DOCKER_TLS_VERIFY") != NULL;
        char *dir = cert_path ? xstrdup(cert_path) : engine_docker_config_dir(env);

        rc = parse_host(out, host, tls, dir, err);
        free(dir);
        if (rc < 0) {
            ds_error_wrap(err, "DOCKER_HOST");
            goto done;
        }
        out->source = xstrdup(tls ? "DOCKER_HOST (TLS from DOCKER_CERT_PATH)" : "DOCKER_HOST");
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
