/*
 * HTTP to the engine through libcurl: one easy handle per client, so the
 * connection to the socket is reused between calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/strutil.h"
#include "util/banned.h"

#define CONNECT_TIMEOUT_MS 10000L

struct engine {
    CURL *curl;
    struct engine_endpoint ep;
    int api_version;
    int server_api_version;
    int builder_version; /* /_ping's Builder-Version: 1 classic, 2 BuildKit, 0 not said */
    bool podman;         /* /_ping's Server: "Libpod/4.3.1 (linux)" */
    char api_prefix[24]; /* "/v1.41" */
    volatile sig_atomic_t *cancel;
};

static void endpoint_copy(struct engine_endpoint *dst, const struct engine_endpoint *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->host = src->host ? xstrdup(src->host) : NULL;
    dst->socket_path = src->socket_path ? xstrdup(src->socket_path) : NULL;
    dst->base_url = xstrdup(src->base_url ? src->base_url : "http://localhost");
    dst->tls = src->tls;
    dst->tls_verify = src->tls_verify;
    dst->tls_ca = src->tls_ca ? xstrdup(src->tls_ca) : NULL;
    dst->tls_cert = src->tls_cert ? xstrdup(src->tls_cert) : NULL;
    dst->tls_key = src->tls_key ? xstrdup(src->tls_key) : NULL;
    dst->ssh_user = src->ssh_user ? xstrdup(src->ssh_user) : NULL;
    dst->ssh_host = src->ssh_host ? xstrdup(src->ssh_host) : NULL;
    dst->ssh_port = src->ssh_port ? xstrdup(src->ssh_port) : NULL;
    dst->remote = src->remote;
    dst->source = src->source ? xstrdup(src->source) : NULL;
    strvec_init(&dst->tried);
    strvec_copy(&dst->tried, &src->tried);
    strvec_init(&dst->warnings);
    strvec_copy(&dst->warnings, &src->warnings);
}

int engine_new(struct engine **out, const struct engine_endpoint *ep, struct ds_error *err)
{
    static bool global_done;
    struct engine *e;

    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return ds_error_set(err, DS_ERR, "cannot initialise libcurl");
        global_done = true;
    }
    e = xcalloc(1, sizeof(*e));
    e->curl = curl_easy_init();
    if (!e->curl) {
        free(e);
        return ds_error_set(err, DS_ERR, "cannot create a libcurl handle");
    }
    endpoint_copy(&e->ep, ep);
    *out = e;
    return 0;
}

int engine_clone(struct engine **out, const struct engine *e, struct ds_error *err)
{
    int rc = engine_new(out, &e->ep, err);

    if (rc < 0)
        return rc;
    (*out)->api_version = e->api_version;
    (*out)->server_api_version = e->server_api_version;
    (*out)->builder_version = e->builder_version;
    (*out)->podman = e->podman;
    memcpy((*out)->api_prefix, e->api_prefix, sizeof(e->api_prefix));
    (*out)->cancel = e->cancel;
    return 0;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    curl_easy_cleanup(e->curl);
    if (e->ep.ssh_host)
        engine_ssh_reap();
    engine_endpoint_release(&e->ep);
    free(e);
}

const struct engine_endpoint *engine_get_endpoint(const struct engine *e)
{
    return &e->ep;
}

int engine_api_version(const struct engine *e)
{
    return e->api_version;
}

bool engine_connection_costly(const struct engine *e)
{
    return e->ep.ssh_host != NULL;
}

int engine_builder_version(const struct engine *e)
{
    return e->builder_version;
}

bool engine_is_podman(const struct engine *e)
{
    return e->podman;
}

int engine_server_api_version(const struct engine *e)
{
    return e->server_api_version;
}

volatile sig_atomic_t *engine_set_cancel_flag(struct engine *e, volatile sig_atomic_t *flag)
{
    volatile sig_atomic_t *old = e->cancel;

    e->cancel = flag;
    return old;
}

void engine_response_release(struct engine_response *r)
{
    buf_release(&r->body);
    free(r->api_version);
    free(r->os_type);
    free(r->server);
    free(r->builder_version);
    free(r->content_type);
    free(r->path_stat);
    memset(r, 0, sizeof(*r));
    buf_init(&r->body, 0);
}

void engine_curl_set_endpoint(CURL *c, const struct engine_endpoint *ep)
{
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    if (ep->socket_path)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, ep->socket_path);
    if (ep->ssh_host)
        engine_ssh_set_curl(c, ep);
    if (ep->tls) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, ep->tls_verify ? 1L : 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, ep->tls_verify ? 2L : 0L);
        if (ep->tls_ca)
            curl_easy_setopt(c, CURLOPT_CAINFO, ep->tls_ca);
        if (ep->tls_cert)
            curl_easy_setopt(c, CURLOPT_SSLCERT, ep->tls_cert);
        if (ep->tls_key)
            curl_easy_setopt(c, CURLOPT_SSLKEY, ep->tls_key);
    }
}

struct transfer {
    struct engine *e;
    const struct engine_request *req;
    struct engine_response *resp;
    struct ds_error *err;
    int callback_status; /* set when one of our callbacks stopped the transfer */
    bool too_big;
};

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * nmemb;
    const char *colon = memchr(data, ':', len);
    char **slot = NULL;
    size_t name_len;

    if (!colon)
        return len;
    name_len = (size_t)(colon - data);
    if (name_len == 11 && !strncasecmp(data, "api-version", 11))
        slot = &t->resp->api_version;
    else if (name_len == 6 && !strncasecmp(data, "ostype", 6))
        slot = &t->resp->os_type;
    else if (name_len == 6 && !strncasecmp(data, "server", 6))
        slot = &t->resp->server;
    else if (name_len == 15 && !strncasecmp(data, "builder-version", 15))
        slot = &t->resp->builder_version;
    else if (name_len == 12 && !strncasecmp(data, "content-type", 12))
        slot = &t->resp->content_type;
    else if (name_len == 28 && !strncasecmp(data, "x-docker-container-path-stat", 28))
        slot = &t->resp->path_stat;
    if (slot) {
        const char *v = colon + 1, *end = data + len;

        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        free(*slot);
        *slot = xstrndup(v, (size_t)(end - v));
    }
    return len;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * nmemb;
    long status = 0;

    curl_easy_getinfo(t->e->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t->req->on_data && status >= 200 && status < 300) {
        int rc = t->req->on_data(data, len, t->req->data_ud, t->err);
        if (rc) {
            t->callback_status = rc < 0 ? rc : DS_ERR;
            return 0;
        }
        return len;
    }
    if (buf_add(&t->resp->body, data, len) < 0) {
        t->too_big = true;
        return 0;
    }
    return len;
}

static size_t on_read(char *buffer, size_t size, size_t nitems, void *ud)
{
    struct transfer *t = ud;
    ssize_t n = t->req->read_body(buffer, size * nitems, t->req->read_ud);

    if (n < 0) {
        t->callback_status = DS_EIO;
        if (t->err && !t->err->msg)
            ds_error_set(t->err, DS_EIO, "cannot read the request body");
        return CURL_READFUNC_ABORT;
    }
    return (size_t)n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct transfer *t = ud;

    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    if (t->e->cancel && *t->e->cancel) {
        t->callback_status = DS_EINTR;
        return 1;
    }
    return 0;
}

static void explain_connect_failure(struct engine *e, long os_errno, struct ds_error *err)
{
    const struct engine_endpoint *ep = &e->ep;
    const char *where = ep->host ? ep->host : ep->base_url;

    if (ep->socket_path && os_errno == ENOENT && ep->tried.n > 1) {
        struct buf list = BUF_INIT;

        for (size_t i = 0; i < ep->tried.n; i++)
            buf_addf(&list, "%s%s", i ? ", " : "", ep->tried.v[i]);
        ds_error_set(err, DS_EUNREACHABLE, "no Docker Engine socket found (tried %s)", list.buf);
        buf_release(&list);
    } else if (ep->socket_path && os_errno == ENOENT) {
        ds_error_set(err, DS_EUNREACHABLE,
                     "cannot connect to the Docker Engine at '%s': no such socket", where);
    } else if (os_errno == EACCES || os_errno == EPERM) {
        ds_error_set(err, DS_EPERM,
                     "cannot connect to the Docker Engine at '%s': permission denied", where);
        ds_error_hint(err, "add your user to the 'docker' group (sudo usermod -aG docker $USER, "
                           "then log in again), or run as root");
        return;
    } else if (os_errno == ECONNREFUSED) {
        ds_error_set(err, DS_EUNREACHABLE,
                     "cannot connect to the Docker Engine at '%s': connection refused", where);
    } else {
        ds_error_set(err, DS_EUNREACHABLE, "cannot connect to the Docker Engine at '%s': %s", where,
                     os_errno ? strerror((int)os_errno) : "connection failed");
    }
    ds_error_hint(err, "start the engine ('make setup' starts one as root, or 'sudo systemctl "
                       "start docker'), or point DOCKER_HOST at a running engine");
}

/*
 * A connection over ssh failed: say what ssh said, and how to try the same
 * by hand. Returns false when no ssh failed, so the failure is the engine's.
 */
bool engine_explain_ssh_failure(const struct engine_endpoint *ep, struct ds_error *err)
{
    char *why = ep->ssh_host ? engine_ssh_take_error() : NULL;
    struct strvec argv = STRVEC_INIT;
    struct buf cmd = BUF_INIT;

    if (!why)
        return false;
    engine_endpoint_ssh_argv(ep, &argv);
    for (size_t i = 0; i < argv.n; i++)
        buf_addf(&cmd, "%s%s", i ? " " : "", argv.v[i]);
    ds_error_set(err, DS_EUNREACHABLE, "cannot reach the Docker Engine at '%s': %s", ep->host, why);
    ds_error_hint(err,
                  "devstack runs '%s'; it must work from this shell without a password prompt "
                  "(a key in ssh-agent or ~/.ssh/config), and the remote user needs the docker CLI "
                  "and access to its engine",
                  cmd.buf);
    free(why);
    strvec_clear(&argv);
    buf_release(&cmd);
    return true;
}

static bool is_tls_failure(CURLcode cc)
{
    switch (cc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return true;
    default:
        return false;
    }
}

/*
 * A TLS handshake that failed, in the words of the TLS library (curl's error
 * buffer says which certificate and why), and what to check.
 */
static void explain_tls_failure(const struct engine *e, CURLcode cc, const char *detail,
                                struct ds_error *err)
{
    const struct engine_endpoint *ep = &e->ep;
    const char *where = ep->host ? ep->host : ep->base_url;

    ds_error_set(err, DS_EUNREACHABLE, "cannot connect to the Docker Engine at '%s': TLS: %s",
                 where, detail && *detail ? detail : curl_easy_strerror(cc));
    if (cc == CURLE_PEER_FAILED_VERIFICATION)
        ds_error_hint(err,
                      "the engine's certificate is not signed by the CA in '%s' or does not "
                      "name this host; check DOCKER_CERT_PATH (or the context's ca.pem)",
                      ep->tls_ca ? ep->tls_ca : "the system's CA store");
    else if (cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CACERT_BADFILE)
        ds_error_hint(err, "check the certificate files: ca.pem, cert.pem and key.pem in "
                           "DOCKER_CERT_PATH (or the context's)");
    else
        ds_error_hint(err,
                      "is the engine serving TLS on this port, and does it accept this "
                      "client certificate (%s)?",
                      ep->tls_cert ? ep->tls_cert : "none sent");
}

/* dockerd's answer to plain HTTP on a TLS port */
#define PLAIN_ON_TLS "Client sent an HTTP request to an HTTPS server"

int engine_do(struct engine *e, const struct engine_request *req, struct engine_response *resp,
              struct ds_error *err)
{
    struct transfer t = {.e = e, .req = req, .resp = resp, .err = err};
    struct curl_slist *headers = NULL;
    struct buf url = BUF_INIT, auth = BUF_INIT;
    char curl_error[CURL_ERROR_SIZE];
    CURL *c = e->curl;
    CURLcode cc;
    int rc = 0;

    if (!req->unversioned && !e->api_version) {
        rc = engine_connect(e, err);
        if (rc < 0)
            return rc;
    }

    memset(resp, 0, sizeof(*resp));
    buf_init_capped(&resp->body, ENGINE_BODY_MAX);
    buf_addf(&url, "%s%s%s", e->ep.base_url, req->unversioned ? "" : e->api_prefix, req->path);

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.buf);
    engine_curl_set_endpoint(c, &e->ep);
    curl_easy_setopt(c, CURLOPT_USERAGENT, ENGINE_USER_AGENT);
    if (req->timeout_ms)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);

    /* curl would wait for "100 Continue" before a large body; the engine never sends it. */
    headers = curl_slist_append(headers, "Expect:");
    if (req->content_type) {
        struct buf h = BUF_INIT;
        buf_addf(&h, "Content-Type: %s", req->content_type);
        headers = curl_slist_append(headers, h.buf);
        buf_release(&h);
    }
    if (req->registry_auth) {
        buf_addf(&auth, "X-Registry-Auth: %s", req->registry_auth);
        headers = curl_slist_append(headers, auth.buf);
    }

    if (!strcmp(req->method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        if (req->read_body) {
            curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(c, CURLOPT_READDATA, &t);
            headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
        } else {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)(req->body ? req->body_len : 0));
        }
    } else if (!strcmp(req->method, "PUT") && req->read_body) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &t);
        headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    } else if (!strcmp(req->method, "PUT")) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(req->body ? req->body_len : 0));
    } else if (!strcmp(req->method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(req->method, "GET")) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
    curl_error[0] = '\0';
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);

    if (cc != CURLE_OK) {
        long os_errno = 0;

        curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
        if (t.callback_status == DS_EINTR) {
            rc = ds_error_set(err, DS_EINTR, "interrupted");
        } else if (t.callback_status) {
            /* our callback said why; keep its message */
            rc = t.callback_status;
            if (!err || !err->msg)
                rc = ds_error_set(err, rc, "the transfer was stopped");
        } else if (t.too_big) {
            rc = ds_error_set(err, DS_EPROTO, "%s %s: the engine's answer is larger than %u MiB",
                              req->method, req->path, ENGINE_BODY_MAX >> 20);
        } else if (e->ep.ssh_host && engine_explain_ssh_failure(&e->ep, err)) {
            rc = err ? err->code : DS_EUNREACHABLE;
        } else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
            explain_connect_failure(e, os_errno, err);
            rc = err ? err->code : DS_EUNREACHABLE;
        } else if (e->ep.tls &&
                   (is_tls_failure(cc) || ((cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR) &&
                                           strstr(curl_error, "SSL")))) {
            /* a refused client certificate arrives as an alert on the first read */
            explain_tls_failure(e, cc, curl_error, err);
            rc = err ? err->code : DS_EUNREACHABLE;
        } else if (cc == CURLE_OPERATION_TIMEDOUT) {
            rc = ds_error_set(err, DS_ETIMEDOUT, "%s %s: the engine did not answer in time",
                              req->method, req->path);
        } else {
            rc = ds_error_set(err, DS_EUNREACHABLE, "%s %s: %s", req->method, req->path,
                              curl_easy_strerror(cc));
        }
        goto done;
    }
    if (resp->status == 400 && !e->ep.tls && resp->body.len &&
        memmem(resp->body.buf, resp->body.len, PLAIN_ON_TLS, strlen(PLAIN_ON_TLS))) {
        rc = ds_error_set(err, DS_EUNREACHABLE,
                          "cannot talk to the Docker Engine at '%s': it speaks TLS (https) and "
                          "devstack connected without TLS",
                          e->ep.host ? e->ep.host : e->ep.base_url);
        ds_error_hint(err, "set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the directory with "
                           "the engine's ca.pem, cert.pem and key.pem");
    } else if (resp->status >= 400 || (resp->status >= 300 && resp->status != 304)) {
        rc = engine_error_from_answer(err, resp->status, resp->body.buf, resp->body.len);
    }

done:
    curl_slist_free_all(headers);
    buf_release(&url);
    buf_release(&auth);
    return rc;
}

int engine_call_json(struct engine *e, const char *method, const char *path, const cJSON *body,
                     cJSON **out, long *status, struct ds_error *err)
{
    struct engine_request req = {.method = method, .path = path};
    struct engine_response resp;
    char *text = NULL;
    int rc;

    if (out)
        *out = NULL;
    if (body) {
        text = cJSON_PrintUnformatted(body);
        if (!text)
            return ds_error_set(err, DS_ERR, "cannot serialise the request");
        req.body = text;
        req.body_len = strlen(text);
        req.content_type = "application/json";
    }
    rc = engine_do(e, &req, &resp, err);
    if (status)
        *status = resp.status;
    if (rc == 0 && out && resp.body.len) {
        *out = json_parse(resp.body.buf, resp.body.len);
        if (!*out)
            rc = ds_error_set(err, DS_EPROTO, "%s %s: the engine's answer is not JSON", method,
                              path);
    }
    engine_response_release(&resp);
    cJSON_free(text);
    return rc;
}

/* "1" or "2"; anything else is not said */
static int atoi_builder(const char *s)
{
    return !strcmp(s, "1") ? 1 : !strcmp(s, "2") ? 2 : 0;
}

int engine_connect(struct engine *e, struct ds_error *err)
{
    struct engine_ping ping;
    int rc;

    rc = engine_ping(e, &ping, err);
    if (rc < 0)
        return rc;
    if (engine_api_version_parse(ping.api_version ? ping.api_version : "", &e->server_api_version) <
        0)
        e->server_api_version = 0;
    e->builder_version = ping.builder_version ? atoi_builder(ping.builder_version) : 0;
    e->podman = ping.server && str_starts_with(ping.server, "Libpod/");
    rc = engine_api_negotiate(ping.api_version, &e->api_version, err);
    engine_ping_release(&ping);
    if (rc < 0)
        return rc;
    {
        char v[16];
        engine_api_version_format(e->api_version, v, sizeof(v));
        snprintf(e->api_prefix, sizeof(e->api_prefix), "/v%s", v);
    }
    return 0;
}

int engine_ping(struct engine *e, struct engine_ping *out, struct ds_error *err)
{
    struct engine_request req = {
            .method = "GET", .path = "/_ping", .unversioned = true, .timeout_ms = 30000};
    struct engine_response resp;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = engine_do(e, &req, &resp, err);
    if (rc == 0) {
        out->api_version = resp.api_version;
        out->os_type = resp.os_type;
        out->server = resp.server;
        out->builder_version = resp.builder_version;
        resp.api_version = resp.os_type = resp.server = resp.builder_version = NULL;
    }
    engine_response_release(&resp);
    return rc;
}

void engine_ping_release(struct engine_ping *p)
{
    free(p->api_version);
    free(p->os_type);
    free(p->server);
    free(p->builder_version);
    memset(p, 0, sizeof(*p));
}

void engine_query_add(struct buf *path, const char *key, const char *value)
{
    char *k = curl_easy_escape(NULL, key, 0);
    char *v = curl_easy_escape(NULL, value, 0);

    buf_addf(path, "%c%s=%s", strchr(path->buf, '?') ? '&' : '?', k, v);
    curl_free(k);
    curl_free(v);
}

void engine_path_object(struct buf *path, const char *collection, const char *id, const char *verb)
{
    char *s = curl_easy_escape(NULL, id, 0);

    buf_addf(path, "/%s/%s", collection, s);
    if (verb)
        buf_addf(path, "/%s", verb);
    curl_free(s);
}

int engine_get_object(struct engine *e, const char *collection, const char *id, const char *verb,
                      cJSON **out, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    int rc;

    engine_path_object(&path, collection, id, verb);
    rc = engine_call_json(e, "GET", path.buf, NULL, out, NULL, err);
    buf_release(&path);
    return rc;
}

int engine_get_list(struct engine *e, const char *path, const char *member, const char *what,
                    cJSON **out, const cJSON **items, struct ds_error *err)
{
    int rc = engine_call_json(e, "GET", path, NULL, out, NULL, err);

    *items = NULL;
    if (rc < 0)
        return rc;
    *items = member ? cJSON_GetObjectItemCaseSensitive(*out, member) : *out;
    /* an engine with nothing to list may answer null where a list belongs */
    if (!*items || cJSON_IsNull(*items)) {
        *items = NULL;
        return 0;
    }
    if (!cJSON_IsArray(*items)) {
        cJSON_Delete(*out);
        *out = NULL;
        *items = NULL;
        return ds_error_set(err, DS_EPROTO, "listing %s: the engine's answer is not a list", what);
    }
    return 0;
}

void engine_query_label_filters(struct buf *path, const struct strvec *labels, bool dangling)
{
    cJSON *filters, *arr;
    char *text;

    if ((!labels || !labels->n) && !dangling)
        return;
    filters = cJSON_CreateObject();
    if (labels && labels->n) {
        arr = cJSON_AddArrayToObject(filters, "label");
        for (size_t i = 0; i < labels->n; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateString(labels->v[i]));
    }
    if (dangling) {
        arr = cJSON_AddArrayToObject(filters, "dangling");
        cJSON_AddItemToArray(arr, cJSON_CreateString("true"));
    }
    text = cJSON_PrintUnformatted(filters);
    engine_query_add(path, "filters", text);
    cJSON_free(text);
    cJSON_Delete(filters);
}
