/*
 * Registry credentials for pulls, found as the docker CLI finds them in
 * config.json: the registry's credHelpers entry, else credsStore, else its
 * `auths` entry; sent as the X-Registry-Auth header. A helper is the program
 * docker-credential-<name>, run with `get` and the server URL on stdin
 * (docker/docker-credential-helpers' protocol).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/run.h"
#include "util/strutil.h"
#include "util/banned.h"

#define HUB_DOMAIN "docker.io"
/* Docker Hub's key in config.json, and the serveraddress the docker CLI sends for it */
#define HUB_KEY "https://index.docker.io/v1/"
/* what a helper prints (and exits non-zero) when it has nothing for the server */
#define HELPER_NOT_FOUND "credentials not found in native keychain"
/* a helper's Username that says its Secret is an identity token */
#define HELPER_TOKEN_USER "<token>"

char *engine_registry_of(const char *image_ref)
{
    const char *slash = strchr(image_ref, '/');
    size_t len = slash ? (size_t)(slash - image_ref) : 0;
    bool lowercase = true;

    if (!slash)
        return xstrdup(HUB_DOMAIN);
    for (size_t i = 0; i < len; i++)
        if (isupper((unsigned char)image_ref[i]))
            lowercase = false;
    /* distribution/reference's splitDockerDomain: otherwise it is a path ("my-registry/x") */
    if (!memchr(image_ref, '.', len) && !memchr(image_ref, ':', len) &&
        !(len == 9 && !memcmp(image_ref, "localhost", 9)) && lowercase)
        return xstrdup(HUB_DOMAIN);
    if (len == 15 && !memcmp(image_ref, "index.docker.io", 15))
        return xstrdup(HUB_DOMAIN);
    return xstrndup(image_ref, len);
}

static bool is_hub_host(const char *host)
{
    return !strcasecmp(host, "docker.io") || !strcasecmp(host, "index.docker.io") ||
           !strcasecmp(host, "registry-1.docker.io");
}

/* Does a config.json key ("https://ghcr.io/v1/", "ghcr.io", "http://host:5000") name `registry`? */
static bool key_names(const char *key, const char *registry)
{
    const char *rest = key;
    struct buf host = BUF_INIT;
    bool yes;

    if (!str_skip_prefix(key, "https://", &rest))
        str_skip_prefix(key, "http://", &rest);
    buf_add(&host, rest, strcspn(rest, "/"));
    yes = is_hub_host(registry) ? is_hub_host(host.buf) : !strcasecmp(host.buf, registry);
    buf_release(&host);
    return yes;
}

/* The member of `obj` for `registry`: the exact key first, as the docker CLI looks. */
static const cJSON *entry_for(const cJSON *obj, const char *registry)
{
    const char *exact = is_hub_host(registry) ? HUB_KEY : registry;
    const cJSON *item;

    if (!cJSON_IsObject(obj))
        return NULL;
    item = cJSON_GetObjectItemCaseSensitive(obj, exact);
    if (item)
        return item;
    cJSON_ArrayForEach(item, obj)
    {
        if (item->string && key_names(item->string, registry))
            return item;
    }
    return NULL;
}

static void cleanse_free(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

/* Wipe the encoded credentials of a parsed config.json before it is freed. */
static void forget_secrets(cJSON *config)
{
    static const char *const secret[] = {"auth", "password", "identitytoken", "registrytoken"};
    cJSON *entry, *item;

    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(config, "auths"))
    {
        cJSON_ArrayForEach(item, entry)
        {
            for (size_t i = 0; i < ARRAY_SIZE(secret); i++)
                if (item->string && !strcmp(item->string, secret[i]) && item->valuestring)
                    OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
        }
    }
}

/* Split base64("user:password"); -1 when it is not that. */
static int decode_auth(const char *b64, char **user, char **password)
{
    size_t len = strlen(b64), pad = 0;
    unsigned char *out;
    const char *colon;
    int n;

    while (len && isspace((unsigned char)b64[len - 1]))
        len--;
    while (len && isspace((unsigned char)*b64)) {
        b64++;
        len--;
    }
    if (!len || len % 4 || len > (1u << 16))
        return -1;
    for (size_t i = len; i > 0 && b64[i - 1] == '=' && pad < 2; i--)
        pad++;
    out = xmalloc(len / 4 * 3 + 1);
    n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
    if (n < 0 || (size_t)n < pad) {
        free(out);
        return -1;
    }
    n -= (int)pad; /* EVP_DecodeBlock counts the padding as bytes */
    out[n] = '\0';
    colon = memchr(out, ':', (size_t)n);
    if (!colon || memchr(out, '\0', (size_t)n)) {
        OPENSSL_cleanse(out, (size_t)n);
        free(out);
        return -1;
    }
    *user = xstrndup((const char *)out, (size_t)(colon - (const char *)out));
    *password = xstrndup(colon + 1, (size_t)n - (size_t)(colon - (const char *)out) - 1);
    OPENSSL_cleanse(out, (size_t)n);
    free(out);
    return 0;
}

/* base64url (with padding), as the docker CLI encodes X-Registry-Auth. */
static char *base64url(const char *text)
{
    size_t len = strlen(text);
    unsigned char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    int n = EVP_EncodeBlock(out, (const unsigned char *)text, (int)len);

    for (int i = 0; i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    out[n] = '\0';
    return (char *)out;
}

/* The header for these credentials (any may be NULL); NULL when there are none. */
static char *header_build(const char *user, const char *password, const char *token,
                          const char *registry)
{
    cJSON *doc, *item;
    char *text, *header;

    if (!(user && *user) && !(token && *token))
        return NULL;
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "username", user ? user : "");
    cJSON_AddStringToObject(doc, "password", password ? password : "");
    cJSON_AddStringToObject(doc, "serveraddress", engine_registry_server_url(registry));
    if (token && *token)
        cJSON_AddStringToObject(doc, "identitytoken", token);
    text = cJSON_PrintUnformatted(doc);
    header = base64url(text);

    OPENSSL_cleanse(text, strlen(text));
    cJSON_free(text);
    cJSON_ArrayForEach(item, doc)
    {
        if (item->valuestring)
            OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
    }
    cJSON_Delete(doc);
    return header;
}

/* Build the header from an `auths` entry; *out stays NULL when it holds no credentials. */
static int header_from_entry(char **out, const cJSON *entry, const char *registry, const char *path,
                             struct ds_error *err)
{
    const char *auth = json_str(entry, "auth");
    const char *token = json_str(entry, "identitytoken");
    char *user = NULL, *password = NULL;

    if (auth && *auth) {
        if (decode_auth(auth, &user, &password) < 0) {
            ds_error_set(err, DS_EINVAL,
                         "cannot read the credentials for '%s' in '%s': its 'auth' is not "
                         "base64 of user:password",
                         registry, path);
            ds_error_hint(err, "log in again with 'docker login %s', or remove the entry",
                          registry);
            return DS_EINVAL;
        }
    } else if (json_str(entry, "username") && *json_str(entry, "username")) {
        user = xstrdup(json_str(entry, "username"));
        password = xstrdup(json_str(entry, "password") ? json_str(entry, "password") : "");
    }
    *out = header_build(user, password, token, registry);
    cleanse_free(user);
    cleanse_free(password);
    return 0;
}

const char *engine_registry_server_url(const char *registry)
{
    return is_hub_host(registry) ? HUB_KEY : registry;
}

enum engine_cred_source engine_credential_source(const char **name_out, const cJSON *config,
                                                 const char *registry)
{
    const cJSON *helper = entry_for(json_obj(config, "credHelpers"), registry);
    const char *store = json_str(config, "credsStore");

    *name_out = NULL;
    if (cJSON_IsString(helper) && *helper->valuestring) {
        *name_out = helper->valuestring;
        return ENGINE_CRED_HELPER;
    }
    if (store && *store) {
        *name_out = store;
        return ENGINE_CRED_STORE;
    }
    if (cJSON_IsObject(entry_for(json_obj(config, "auths"), registry)))
        return ENGINE_CRED_AUTHS;
    return ENGINE_CRED_NONE;
}

/* Forget what a helper printed: it holds the secret. */
static void cleanse_buf(struct buf *b)
{
    OPENSSL_cleanse(b->buf, b->len);
    buf_release(b);
}

/*
 * Ask docker-credential-<helper> for the registry's credentials and build the
 * header from its answer. A helper that has none, or fails, means an anonymous
 * pull (the second with a warning); one that is not installed is an error.
 * Neither its answer nor its output reaches a message: both may hold the secret.
 */
static int header_from_helper(char **out, struct buf *warning, const char *helper,
                              const char *origin, const char *registry, const char *image_ref,
                              struct ds_error *err)
{
    const char *server = engine_registry_server_url(registry);
    struct strvec argv = STRVEC_INIT;
    struct buf answer = BUF_INIT, errout = BUF_INIT, program = BUF_INIT;
    struct run_options o = {
            .input = server, .out = &answer, .errout = &errout, .capture_max = 1u << 20};
    cJSON *doc = NULL;
    const char *user, *secret;
    int rc;

    buf_addf(&program, "docker-credential-%s", helper);
    strvec_push(&argv, program.buf);
    strvec_push(&argv, "get");
    rc = run_command(&argv, &o, err);
    if (rc == DS_ENOTFOUND) {
        ds_error_set(err, DS_ENOTFOUND,
                     "cannot find the credential helper '%s' for '%s' (%s): no such program on "
                     "PATH",
                     program.buf, registry, origin);
        ds_error_hint(err, "install '%s', or remove it from config.json to pull without it",
                      program.buf);
        goto done;
    }
    if (rc < 0) {
        ds_error_wrap(err, "asking the credential helper '%s' for '%s'", program.buf, registry);
        goto done;
    }
    if (rc != 0) {
        buf_rtrim(&answer);
        /* as docker-credential-helpers' client: "not found" is no credentials */
        if (strcmp(answer.buf + strspn(answer.buf, " \t\r\n"), HELPER_NOT_FOUND))
            buf_addf(warning,
                     "the credential helper '%s' failed for '%s' (exit status %d, %s); pulling "
                     "'%s' without credentials",
                     program.buf, registry, rc, origin, image_ref);
        rc = 0;
        goto done;
    }
    doc = cJSON_ParseWithLength(answer.buf, answer.len);
    if (!cJSON_IsObject(doc)) {
        rc = ds_error_set(err, DS_EPROTO,
                          "cannot read the answer of the credential helper '%s' for '%s' (%s): "
                          "not a JSON object",
                          program.buf, registry, origin);
        goto done;
    }
    user = json_str(doc, "Username");
    secret = json_str(doc, "Secret");
    if (user && !strcmp(user, HELPER_TOKEN_USER))
        *out = header_build(NULL, NULL, secret, registry);
    else
        *out = header_build(user, secret, NULL, registry);

done:
    if (doc) {
        cJSON *item;

        cJSON_ArrayForEach(item, doc)
        {
            if (item->valuestring)
                OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
        }
    }
    cJSON_Delete(doc);
    cleanse_buf(&answer);
    cleanse_buf(&errout);
    buf_release(&program);
    strvec_clear(&argv);
    return rc;
}

int engine_registry_auth(char **header_out, char **warning_out, const char *image_ref,
                         const struct engine_resolve_env *env, struct ds_error *err)
{
    char *dir = engine_docker_config_dir(env), *registry = engine_registry_of(image_ref);
    struct buf path = BUF_INIT, warning = BUF_INIT, origin = BUF_INIT;
    cJSON *config = NULL;
    const char *name;
    int rc = 0;

    *header_out = NULL;
    if (warning_out)
        *warning_out = NULL;
    if (!dir)
        goto done;
    buf_addf(&path, "%s/config.json", dir);
    rc = engine_read_json_file(path.buf, &config, err);
    if (rc == DS_EPERM) {
        /* as the docker CLI does: go on without it, and say so */
        buf_addf(&warning, "%s; pulling '%s' without credentials", err->msg, image_ref);
        ds_error_release(err);
        rc = 0;
        goto done;
    }
    if (rc < 0 || !config)
        goto done;
    if (!cJSON_IsObject(config)) {
        rc = ds_error_set(err, DS_EINVAL, "cannot parse '%s': not a JSON object", path.buf);
        goto done;
    }

    switch (engine_credential_source(&name, config, registry)) {
    case ENGINE_CRED_HELPER:
        buf_addf(&origin, "credHelpers in '%s'", path.buf);
        rc = header_from_helper(header_out, &warning, name, origin.buf, registry, image_ref, err);
        break;
    case ENGINE_CRED_STORE:
        buf_addf(&origin, "credsStore in '%s'", path.buf);
        rc = header_from_helper(header_out, &warning, name, origin.buf, registry, image_ref, err);
        break;
    case ENGINE_CRED_AUTHS:
        rc = header_from_entry(header_out, entry_for(json_obj(config, "auths"), registry), registry,
                               path.buf, err);
        break;
    case ENGINE_CRED_NONE:
        break;
    }

done:
    if (warning.len && warning_out)
        *warning_out = buf_detach(&warning, NULL);
    buf_release(&warning);
    buf_release(&origin);
    buf_release(&path);
    if (cJSON_IsObject(config))
        forget_secrets(config);
    cJSON_Delete(config);
    free(registry);
    free(dir);
    return rc;
}
