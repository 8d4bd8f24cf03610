/*
 * A hijacked exec start or container attach: stdin to the exec (or
 * container) and its output back over one connection, as `docker exec -i`
 * and `docker start -ai` do.
 *
 * libcurl 7.88 cannot keep a request's connection open both ways, so curl
 * only makes the connection (CURLOPT_CONNECT_ONLY: the socket, or TCP with
 * TLS) and moves the bytes (curl_easy_send/recv); the request is written
 * here and the answer's head is parsed with http_parser. After
 * "101 UPGRADED" (or "200 OK" with a raw stream from older engines) the
 * connection carries our stdin to the exec and its output, framed unless it
 * has a TTY, to us. EOF of stdin is told to the engine by shutting down our
 * write side; the output is then read until the engine closes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <http_parser.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/banned.h"

#define IO_CHUNK       (128u << 10)
#define ERROR_BODY_MAX (1u << 20) /* of an error answer: the engine's JSON message */
#define TICK_MS        100        /* how often the cancel flag is looked at */
#define ANSWER_TIMEOUT 60000      /* ms the engine has to answer the start */
#define READS_PER_TURN 16         /* then the loop looks at stdin, signals and resizes again */

struct hijack {
    const struct engine_attach *a;
    CURL *curl;
    curl_socket_t sock;
    bool tls;
    char curl_error[CURL_ERROR_SIZE];

    /* the answer's head, and the body of an error answer */
    http_parser parser;
    http_parser_settings settings;
    bool head_done, message_done;
    bool whole_answer; /* a 200's body is parsed too (a wait), not a stream */
    struct buf body;   /* capped at ERROR_BODY_MAX */

    /* the stream */
    struct engine_demux demux;
    char *out_buf; /* output read from the engine */
    char *in_buf;  /* stdin read but not yet sent */
    size_t in_len, in_off;
    int in_fd;        /* -1 once stdin is done with */
    bool sending;     /* our write side is open */
    bool send_failed; /* the engine stopped reading our side */
    bool more_output; /* the last turn stopped reading before the socket ran dry */
};

static bool cancelled(const struct hijack *h)
{
    return h->a->cancel && *h->a->cancel;
}

/* Wait until the socket is ready for `events`, looking at the cancel flag every tick. */
static int wait_socket(struct hijack *h, short events, long deadline, struct ds_error *err)
{
    for (;;) {
        struct pollfd p = {.fd = h->sock, .events = events};
        int r;

        if (cancelled(h))
            return ds_error_set(err, DS_EINTR, "interrupted");
        if (deadline && (long)clock_ms() >= deadline)
            return ds_error_set(err, DS_ETIMEDOUT, "the engine did not answer in time");
        r = poll(&p, 1, TICK_MS);
        if (r < 0 && errno != EINTR)
            return ds_error_errno(err, errno, "waiting for the engine");
        if (r > 0)
            return 0;
    }
}

/* ---- connecting and asking -------------------------------------------------------- */

/* While curl connects (up to its connect timeout over TCP): the cancel flag still counts. */
static int on_connect_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                               curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return cancelled(ud) ? 1 : 0;
}

static int hijack_connect(struct hijack *h, const struct engine_endpoint *ep, const char *url,
                          struct ds_error *err)
{
    curl_socket_t sock = CURL_SOCKET_BAD;
    CURLcode cc;

    h->curl = curl_easy_init();
    if (!h->curl)
        return ds_error_set(err, DS_ERR, "cannot create a libcurl handle");
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_CONNECT_ONLY, 1L);
    engine_curl_set_endpoint(h->curl, ep);
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->curl_error);
    curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_connect_progress);
    curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, h);
    h->tls = ep->tls;
    cc = curl_easy_perform(h->curl);
    if (cc == CURLE_ABORTED_BY_CALLBACK)
        return ds_error_set(err, DS_EINTR, "interrupted");
    if (cc != CURLE_OK && engine_explain_ssh_failure(ep, err))
        return err ? err->code : DS_EUNREACHABLE;
    if (cc != CURLE_OK)
        return ds_error_set(err, DS_EUNREACHABLE, "cannot connect to the Docker Engine at '%s': %s",
                            ep->host ? ep->host : ep->base_url,
                            h->curl_error[0] ? h->curl_error : curl_easy_strerror(cc));
    if (curl_easy_getinfo(h->curl, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK ||
        sock == CURL_SOCKET_BAD)
        return ds_error_set(err, DS_ERR, "libcurl made no connection to hand over");
    h->sock = sock;
    return 0;
}

/* The Host header: host[:port] of the base URL ("localhost" for sockets). */
static void add_host_header(struct buf *req, const char *base_url)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;

    if (u && curl_url_set(u, CURLUPART_URL, base_url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        buf_addf(req, "Host: %s", host);
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
            buf_addf(req, ":%s", port);
        buf_adds(req, "\r\n");
    } else {
        buf_adds(req, "Host: localhost\r\n");
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

/* POST `path`, asking to upgrade to `protocol` (NULL: no upgrade), with `headers` ("Name:
 * value\r\n" each, may be NULL). */
static void build_request(struct buf *req, const struct engine_endpoint *ep, const char *path,
                          const char *protocol, const char *headers, const char *body_text)
{
    buf_addf(req, "POST %s HTTP/1.1\r\n", path);
    add_host_header(req, ep->base_url);
    buf_addf(req,
             "User-Agent: " ENGINE_USER_AGENT "\r\n"
             "Content-Type: %s\r\n"
             "Content-Length: %zu\r\n",
             body_text ? "application/json" : "text/plain", body_text ? strlen(body_text) : 0);
    if (protocol)
        buf_addf(req, "Connection: Upgrade\r\nUpgrade: %s\r\n", protocol);
    buf_addf(req, "%s\r\n%s", headers ? headers : "", body_text ? body_text : "");
}

static int send_request(struct hijack *h, const struct buf *req, struct ds_error *err)
{
    size_t off = 0;
    long deadline = (long)clock_ms() + ANSWER_TIMEOUT;

    while (off < req->len) {
        size_t n = 0;
        CURLcode cc = curl_easy_send(h->curl, req->buf + off, req->len - off, &n);
        int rc;

        if (cc == CURLE_AGAIN) {
            rc = wait_socket(h, POLLOUT, deadline, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (cc != CURLE_OK)
            return ds_error_set(err, DS_EUNREACHABLE, "sending the request to the engine: %s",
                                curl_easy_strerror(cc));
        off += n;
    }
    return 0;
}

/* ---- the answer ---------------------------------------------------------------- */

static int on_headers_complete(http_parser *p)
{
    struct hijack *h = p->data;

    h->head_done = true;
    if (h->whole_answer)
        return 0;
    /*
     * 2 (not 1) makes http_parser stop right after the head even without an
     * Upgrade header (a 200 raw stream): 1 would parse the stream as the next
     * answer. An error's body is parsed: it ends by its length.
     */
    return p->status_code == 101 || p->status_code == 200 ? 2 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct hijack *h = p->data;

    /* past the cap the rest is dropped: the message is at the start */
    buf_add(&h->body, at, len);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct hijack *h = p->data;

    h->message_done = true;
    return 0;
}

static bool is_stream(const struct hijack *h)
{
    return h->parser.status_code == 101 || h->parser.status_code == 200;
}

/*
 * Read the answer's head. For a stream, bytes that came after the head are
 * moved to the start of out_buf and their count is *extra. For an error, its
 * body is read (to its end, or until the engine closes) and reported.
 */
static int read_answer(struct hijack *h, size_t *extra, struct ds_error *err)
{
    long deadline = (long)clock_ms() + ANSWER_TIMEOUT;

    *extra = 0;
    http_parser_init(&h->parser, HTTP_RESPONSE);
    h->parser.data = h;
    http_parser_settings_init(&h->settings);
    h->settings.on_headers_complete = on_headers_complete;
    h->settings.on_body = on_body;
    h->settings.on_message_complete = on_message_complete;

    while (!h->head_done || (!is_stream(h) && !h->message_done)) {
        size_t n = 0, parsed;
        CURLcode cc = curl_easy_recv(h->curl, h->out_buf, IO_CHUNK, &n);
        int rc;

        if (cc == CURLE_AGAIN) {
            rc = wait_socket(h, POLLIN, deadline, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (cc != CURLE_OK)
            return ds_error_set(err, DS_EUNREACHABLE, "reading the engine's answer: %s",
                                curl_easy_strerror(cc));
        if (n == 0) {
            /* the end of the connection ends a body without a length */
            http_parser_execute(&h->parser, &h->settings, NULL, 0);
            if (!h->head_done)
                return ds_error_set(err, DS_EPROTO,
                                    "the engine closed the connection without an answer");
            break;
        }
        parsed = http_parser_execute(&h->parser, &h->settings, h->out_buf, n);
        if (HTTP_PARSER_ERRNO(&h->parser) != HPE_OK)
            return ds_error_set(err, DS_EPROTO, "malformed answer from the engine: %s",
                                http_errno_description(HTTP_PARSER_ERRNO(&h->parser)));
        if (h->head_done && is_stream(h)) {
            /* a whole answer's body, if some came with its head, went to on_body */
            *extra = h->whole_answer ? 0 : n - parsed;
            memmove(h->out_buf, h->out_buf + parsed, *extra);
            return 0;
        }
    }
    if (is_stream(h))
        return 0;
    return engine_error_from_answer(err, h->parser.status_code, h->body.buf, h->body.len);
}

/* ---- the stream ------------------------------------------------------------------ */

static int deliver(struct hijack *h, const char *data, size_t len, struct ds_error *err)
{
    const struct engine_attach *a = h->a;
    int rc;

    if (a->tty)
        rc = a->out ? a->out(1, data, len, a->ud) : 0;
    else
        rc = engine_demux_feed(&h->demux, data, len, a->out, a->ud, err);
    if (rc && err && !err->msg)
        ds_error_set(err, rc < 0 ? rc : DS_ERR, "the output could not be written");
    return rc ? (rc < 0 ? rc : DS_ERR) : 0;
}

/* No more stdin: tell the engine, so the exec sees EOF on its stdin. */
static void close_write(struct hijack *h)
{
    h->in_fd = -1;
    if (!h->sending)
        return;
    h->sending = false;
    /*
     * Through TLS too: libcurl has no half-close of its own, but a TCP FIN
     * after a whole record is what the engine's TLS reader (Go's crypto/tls)
     * takes for the end of stdin, and it keeps sending the output, which
     * our side of the session still reads.
     */
    shutdown(h->sock, SHUT_WR);
}

/* Send what stdin gave us, as far as the socket takes it now. */
static void send_pending(struct hijack *h)
{
    while (h->in_off < h->in_len) {
        size_t n = 0;
        CURLcode cc = curl_easy_send(h->curl, h->in_buf + h->in_off, h->in_len - h->in_off, &n);

        if (cc == CURLE_AGAIN)
            return;
        if (cc != CURLE_OK) {
            /* the exec closed its stdin or ended: its output still tells the rest */
            h->send_failed = true;
            h->sending = false;
            h->in_fd = -1;
            h->in_off = h->in_len = 0;
            return;
        }
        h->in_off += n;
    }
    h->in_off = h->in_len = 0;
}

static void read_stdin(struct hijack *h)
{
    ssize_t n = read(h->in_fd, h->in_buf, IO_CHUNK);

    if (n > 0) {
        h->in_len = (size_t)n;
        h->in_off = 0;
        send_pending(h);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        /* EOF; a read error (a terminal hung up) ends stdin too */
        close_write(h);
    }
}

/*
 * Read the output there is now, up to READS_PER_TURN chunks so that a command
 * that never stops writing cannot starve the rest of the loop. *eof once the
 * engine closed the connection.
 */
static int read_output(struct hijack *h, bool *eof, struct ds_error *err)
{
    h->more_output = false;
    for (int turn = 0;; turn++) {
        size_t n = 0;
        CURLcode cc;
        int rc;

        if (turn == READS_PER_TURN) {
            /* TLS may hold decrypted bytes that poll() cannot see: come back at once */
            h->more_output = true;
            return 0;
        }
        cc = curl_easy_recv(h->curl, h->out_buf, IO_CHUNK, &n);
        if (cc == CURLE_AGAIN)
            return 0;
        if (cc != CURLE_OK) {
            /* a reset after the engine stopped reading our side is its way to end */
            if (h->send_failed) {
                *eof = true;
                return 0;
            }
            return ds_error_set(err, DS_EUNREACHABLE, "the connection to the engine broke: %s",
                                h->curl_error[0] ? h->curl_error : curl_easy_strerror(cc));
        }
        if (n == 0) {
            *eof = true;
            return 0;
        }
        rc = deliver(h, h->out_buf, n, err);
        if (rc)
            return rc;
    }
}

static int pump(struct hijack *h, struct ds_error *err)
{
    const struct engine_attach *a = h->a;

    for (;;) {
        struct pollfd fds[2];
        nfds_t nfds = 1;
        bool eof = false;
        int r, rc;

        if (cancelled(h))
            return ds_error_set(err, DS_EINTR, "interrupted");
        if (a->notice && *a->notice) {
            if (a->on_notice)
                a->on_notice(a->ud);
            *a->notice = 0;
        }
        if (a->winch && *a->winch) {
            *a->winch = 0;
            if (a->on_winch)
                a->on_winch(a->ud);
        }
        fds[0].fd = h->sock;
        fds[0].events = POLLIN | (h->in_off < h->in_len ? POLLOUT : 0);
        fds[0].revents = 0;
        /* stdin is read only when what it gave before is sent: the socket sets the pace */
        if (h->in_fd >= 0 && h->in_off == h->in_len) {
            fds[1].fd = h->in_fd;
            fds[1].events = POLLIN;
            fds[1].revents = 0;
            nfds = 2;
        }
        r = poll(fds, nfds, h->more_output ? 0 : TICK_MS);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return ds_error_errno(err, errno, "waiting for the exec's output");
        }
        if (r == 0 && !h->more_output)
            continue;
        if (h->more_output || (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            rc = read_output(h, &eof, err);
            if (rc)
                return rc;
            if (eof)
                break;
        }
        if (fds[0].revents & POLLOUT)
            send_pending(h);
        if (nfds == 2 && fds[1].revents) {
            if (fds[1].revents & POLLNVAL)
                close_write(h);
            else
                read_stdin(h);
        }
    }
    if (!a->tty && !engine_demux_at_boundary(&h->demux))
        return ds_error_set(err, DS_EPROTO, "the output stream ended in the middle of a frame");
    return 0;
}

/*
 * Connect on a connection of its own, POST `path_tail` (versioned) with
 * `body_text` (JSON, may be NULL), asking for an upgrade to a raw stream
 * unless `whole_answer`, and read the answer's head (the whole answer for an
 * error). *extra as read_answer() says.
 */
static int hijack_ask(struct engine *e, struct hijack *h, const char *path_tail,
                      const char *body_text, size_t *extra, struct ds_error *err)
{
    const struct engine_endpoint *ep = engine_get_endpoint(e);
    struct buf path = BUF_INIT, url = BUF_INIT, req = BUF_INIT;
    char version[16];
    int rc;

    if (!engine_api_version(e)) {
        rc = engine_connect(e, err);
        if (rc < 0)
            return rc;
    }
    engine_api_version_format(engine_api_version(e), version, sizeof(version));
    buf_addf(&path, "/v%s%s", version, path_tail);
    buf_addf(&url, "%s%s", ep->base_url, path.buf);
    build_request(&req, ep, path.buf, h->whole_answer ? NULL : "tcp", NULL, body_text);

    rc = hijack_connect(h, ep, url.buf, err);
    if (rc == 0)
        rc = send_request(h, &req, err);
    if (rc == 0)
        rc = read_answer(h, extra, err);
    buf_release(&path);
    buf_release(&url);
    buf_release(&req);
    return rc;
}

/*
 * POST `path` (versioned) with `body_text` (JSON, may be NULL) on a connection
 * of its own, upgraded to a raw stream, then connect it both ways until the
 * output ends.
 */
static int hijack_run(struct engine *e, const char *path_tail, const char *body_text,
                      const struct engine_attach *a, struct ds_error *err)
{
    struct hijack h = {.a = a, .sock = CURL_SOCKET_BAD, .body = BUF_INIT, .in_fd = -1};
    size_t extra = 0;
    int rc;

    engine_demux_init(&h.demux);
    buf_init_capped(&h.body, ERROR_BODY_MAX);
    h.out_buf = xmalloc(IO_CHUNK);
    h.in_buf = xmalloc(IO_CHUNK);

    rc = hijack_ask(e, &h, path_tail, body_text, &extra, err);
    if (rc < 0)
        goto done;
    /* attached to a container that is not running yet: the caller starts it now */
    if (a->on_attached && (rc = a->on_attached(a->ud, err)) < 0)
        goto done;

    /* the exec (or container) has started: the caller can size its TTY now */
    if (a->on_winch) {
        if (a->winch)
            *a->winch = 0;
        a->on_winch(a->ud);
    }
    if (extra) {
        rc = deliver(&h, h.out_buf, extra, err);
        if (rc)
            goto done;
    }
    h.in_fd = a->in_fd;
    h.sending = a->in_fd >= 0;
    rc = pump(&h, err);

done:
    curl_easy_cleanup(h.curl);
    buf_release(&h.body);
    free(h.out_buf);
    free(h.in_buf);
    return rc;
}

int engine_exec_start_attached(struct engine *e, const char *exec_id, const struct engine_attach *a,
                               struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *body = cJSON_CreateObject();
    char *body_text;
    int rc;

    engine_path_object(&path, "exec", exec_id, "start");
    cJSON_AddBoolToObject(body, "Detach", 0);
    cJSON_AddBoolToObject(body, "Tty", a->tty);
    body_text = cJSON_PrintUnformatted(body);
    if (!body_text)
        rc = ds_error_set(err, DS_ERR, "cannot serialise the request");
    else
        rc = hijack_run(e, path.buf, body_text, a, err);
    cJSON_free(body_text);
    cJSON_Delete(body);
    buf_release(&path);
    return rc;
}

int engine_container_attach(struct engine *e, const char *id, const char *detach_keys,
                            const struct engine_attach *a, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    int rc;

    engine_path_object(&path, "containers", id, "attach");
    engine_query_add(&path, "stream", "1");
    engine_query_add(&path, "stdin", a->in_fd >= 0 ? "1" : "0");
    engine_query_add(&path, "stdout", "1");
    engine_query_add(&path, "stderr", "1");
    if (detach_keys)
        engine_query_add(&path, "detachKeys", detach_keys);
    rc = hijack_run(e, path.buf, NULL, a, err);
    buf_release(&path);
    return rc;
}

int engine_upgrade_open(struct engine *e, const char *path_tail, const char *protocol,
                        const char *headers, volatile sig_atomic_t *cancel,
                        struct engine_upgraded *out, struct ds_error *err)
{
    const struct engine_endpoint *ep = engine_get_endpoint(e);
    struct engine_attach a = {.in_fd = -1, .cancel = cancel};
    struct hijack h = {.a = &a, .sock = CURL_SOCKET_BAD, .body = BUF_INIT, .in_fd = -1};
    struct buf path = BUF_INIT, url = BUF_INIT, req = BUF_INIT;
    char version[16];
    size_t extra = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    out->sock = CURL_SOCKET_BAD;
    buf_init(&out->early, 0);
    if (!engine_api_version(e)) {
        rc = engine_connect(e, err);
        if (rc < 0)
            return rc;
    }
    buf_init_capped(&h.body, ERROR_BODY_MAX);
    h.out_buf = xmalloc(IO_CHUNK);
    engine_api_version_format(engine_api_version(e), version, sizeof(version));
    buf_addf(&path, "/v%s%s", version, path_tail);
    buf_addf(&url, "%s%s", ep->base_url, path.buf);
    build_request(&req, ep, path.buf, protocol, headers, NULL);

    rc = hijack_connect(&h, ep, url.buf, err);
    if (rc == 0)
        rc = send_request(&h, &req, err);
    if (rc == 0)
        rc = read_answer(&h, &extra, err);
    if (rc == 0 && h.parser.status_code != 101)
        rc = ds_error_set(err, DS_EPROTO, "the engine did not switch to %s (status %u)", protocol,
                          h.parser.status_code);
    if (rc < 0) {
        curl_easy_cleanup(h.curl);
        goto done;
    }
    buf_add(&out->early, h.out_buf, extra);
    out->curl = h.curl;
    out->sock = h.sock;

done:
    buf_release(&h.body);
    free(h.out_buf);
    buf_release(&path);
    buf_release(&url);
    buf_release(&req);
    return rc;
}

/* ---- a wait asked before the start ------------------------------------------------ */

struct engine_wait {
    struct hijack h;
    struct engine_attach a; /* only its cancel flag counts */
    char *id;
};

void engine_wait_free(struct engine_wait *w)
{
    if (!w)
        return;
    curl_easy_cleanup(w->h.curl);
    buf_release(&w->h.body);
    free(w->h.out_buf);
    free(w->id);
    free(w);
}

int engine_container_wait_begin(struct engine *e, const char *id, const char *condition,
                                struct engine_wait **out, struct ds_error *err)
{
    struct engine_wait *w = xcalloc(1, sizeof(*w));
    struct buf path = BUF_INIT;
    size_t extra = 0;
    int rc;

    w->h.a = &w->a;
    w->h.sock = CURL_SOCKET_BAD;
    w->h.in_fd = -1;
    w->h.whole_answer = true;
    buf_init_capped(&w->h.body, ERROR_BODY_MAX);
    w->h.out_buf = xmalloc(IO_CHUNK);
    w->id = xstrdup(id);
    engine_path_object(&path, "containers", id, "wait");
    engine_query_add(&path, "condition", condition);
    /* the engine answers the head once the wait is registered, the body when it ends */
    rc = hijack_ask(e, &w->h, path.buf, NULL, &extra, err);
    buf_release(&path);
    if (rc < 0) {
        engine_wait_free(w);
        *out = NULL;
        return rc;
    }
    *out = w;
    return 0;
}

int engine_container_wait_end(struct engine_wait *w, volatile sig_atomic_t *cancel, int *exit_code,
                              struct ds_error *err)
{
    struct hijack *h = &w->h;
    cJSON *doc;
    const char *msg;
    int rc = 0;

    w->a.cancel = cancel;
    while (!h->message_done) {
        size_t n = 0;
        CURLcode cc = curl_easy_recv(h->curl, h->out_buf, IO_CHUNK, &n);

        if (cc == CURLE_AGAIN) {
            rc = wait_socket(h, POLLIN, 0, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (cc != CURLE_OK)
            return ds_error_set(err, DS_EUNREACHABLE, "waiting for container '%s': %s", w->id,
                                curl_easy_strerror(cc));
        http_parser_execute(&h->parser, &h->settings, n ? h->out_buf : NULL, n);
        if (HTTP_PARSER_ERRNO(&h->parser) != HPE_OK)
            return ds_error_set(err, DS_EPROTO, "malformed answer from the engine: %s",
                                http_errno_description(HTTP_PARSER_ERRNO(&h->parser)));
        if (n == 0 && !h->message_done)
            return ds_error_set(err, DS_EPROTO,
                                "waiting for container '%s': the engine closed the connection",
                                w->id);
    }
    doc = cJSON_ParseWithLength(h->body.buf, h->body.len);
    if (!doc)
        return ds_error_set(err, DS_EPROTO, "waiting for container '%s': malformed answer", w->id);
    msg = json_str(json_obj(doc, "Error"), "Message");
    if (msg && *msg)
        rc = ds_error_set(err, DS_EENGINE, "waiting for container '%s': %s", w->id, msg);
    else
        *exit_code = (int)json_int(doc, "StatusCode", -1);
    cJSON_Delete(doc);
    return rc;
}
