/*
 * A BuildKit session, as the docker CLI and buildx attach one to a build:
 * POST /session with Upgrade: h2c and the X-Docker-Expose-Session-* headers
 * (its id, name, shared key, and one Grpc-Method per method served); after
 * 101 the engine's session manager dials gRPC over the connection, so the
 * engine is the HTTP/2 client and we are the server (moby/buildkit
 * session/manager.go, grpc.go). A build that names the session
 * (POST /build?session=<id>) makes the solver call us: GetSecret for
 * RUN --mount=type=secret, CheckAgent and ForwardAgent (a stream of bytes
 * to and from an SSH agent) for RUN --mount=type=ssh; the manager also
 * checks health every 5 s and drops the session after two failed checks.
 *
 * HTTP/2 is libnghttp2's; the socket is libcurl's (CURLOPT_CONNECT_ONLY,
 * see hijack.c), served by one thread with poll() until the build is over.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "engine/internal.h"
#include "engine/session.h"
#include "engine/session.pb-c.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

#define M_HEALTH        "/grpc.health.v1.Health/Check"
#define M_GET_SECRET    "/moby.buildkit.secrets.v1.Secrets/GetSecret"
#define M_CHECK_AGENT   "/moby.sshforward.v1.SSH/CheckAgent"
#define M_FORWARD_AGENT "/moby.sshforward.v1.SSH/ForwardAgent"
/* the gRPC metadata that names the ssh id of a ForwardAgent call (sshforward.KeySSHID) */
#define SSH_ID_HEADER  "buildkit.ssh.id"
#define SSH_DEFAULT_ID "default"

#define GRPC_MSG_MAX (4u << 20) /* gRPC's default largest message */
#define IO_CHUNK     (64u << 10)
#define TICK_MS      100 /* how often the stop flag is looked at */

/* ---- gRPC messages ------------------------------------------------------------- */

int engine_grpc_next(const unsigned char *in, size_t len, size_t max, const unsigned char **msg,
                     size_t *msg_len, size_t *used, struct ds_error *err)
{
    size_t n;

    if (len < 5)
        return 0;
    if (in[0] != 0)
        return ds_error_set(err, DS_EPROTO, "a compressed gRPC message, and none was agreed");
    n = (size_t)in[1] << 24 | (size_t)in[2] << 16 | (size_t)in[3] << 8 | (size_t)in[4];
    if (n > max)
        return ds_error_set(err, DS_EPROTO, "a gRPC message of %zu bytes (at most %zu)", n, max);
    if (len - 5 < n)
        return 0;
    *msg = in + 5;
    *msg_len = n;
    *used = 5 + n;
    return 1;
}

void engine_grpc_frame(struct buf *out, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    unsigned char head[5] = {0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                             (unsigned char)(n >> 8), (unsigned char)n};

    buf_add(out, head, sizeof(head));
    buf_grow(out, n);
    protobuf_c_message_pack(m, (uint8_t *)out->buf + out->len);
    buf_setlen(out, out->len + n);
}

/* The one message of a unary call's body; NULL when it is not exactly one. */
static const unsigned char *unary_message(const unsigned char *body, size_t len, size_t *msg_len)
{
    const unsigned char *msg = NULL;
    size_t used = 0;
    struct ds_error err = DS_ERROR_INIT;
    int r = engine_grpc_next(body, len, GRPC_MSG_MAX, &msg, msg_len, &used, &err);

    ds_error_release(&err);
    return r == 1 && used == len ? msg : NULL;
}

static const struct engine_session_ssh *find_ssh(const struct engine_session_sources *src,
                                                 const char *id)
{
    if (!id || !*id)
        id = SSH_DEFAULT_ID;
    for (size_t i = 0; i < src->n_ssh; i++)
        if (!strcmp(src->ssh[i].id, id))
            return &src->ssh[i];
    return NULL;
}

static int answer_health(struct buf *reply)
{
    Devstack__Session__HealthCheckResponse r = DEVSTACK__SESSION__HEALTH_CHECK_RESPONSE__INIT;

    r.status = DEVSTACK__SESSION__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    engine_grpc_frame(reply, &r.base);
    return ENGINE_GRPC_OK;
}

int engine_session_answer(const struct engine_session_sources *src, const char *method,
                          const unsigned char *body, size_t len, struct buf *reply,
                          const char **message)
{
    const unsigned char *msg;
    size_t msg_len = 0;
    int status = ENGINE_GRPC_OK;

    *message = NULL;
    if (strcmp(method, M_HEALTH) && strcmp(method, M_GET_SECRET) && strcmp(method, M_CHECK_AGENT)) {
        *message = "unknown method";
        return ENGINE_GRPC_UNIMPLEMENTED;
    }
    msg = unary_message(body, len, &msg_len);
    if (!msg) {
        *message = "not one gRPC message";
        return ENGINE_GRPC_INVALID_ARGUMENT;
    }
    if (!strcmp(method, M_HEALTH))
        return answer_health(reply);
    if (!strcmp(method, M_GET_SECRET)) {
        Devstack__Session__GetSecretRequest *q =
                devstack__session__get_secret_request__unpack(NULL, msg_len, msg);
        Devstack__Session__GetSecretResponse r = DEVSTACK__SESSION__GET_SECRET_RESPONSE__INIT;
        size_t i = 0;

        if (!q) {
            *message = "malformed GetSecretRequest";
            return ENGINE_GRPC_INVALID_ARGUMENT;
        }
        while (i < src->n_secrets && strcmp(src->secrets[i].id, q->id))
            i++;
        if (i == src->n_secrets) {
            *message = "secret not found";
            status = ENGINE_GRPC_NOT_FOUND;
        } else {
            r.data.data = (uint8_t *)src->secrets[i].data;
            r.data.len = src->secrets[i].len;
            engine_grpc_frame(reply, &r.base);
        }
        devstack__session__get_secret_request__free_unpacked(q, NULL);
        return status;
    }
    /* CheckAgent */
    {
        Devstack__Session__CheckAgentRequest *q =
                devstack__session__check_agent_request__unpack(NULL, msg_len, msg);
        Devstack__Session__CheckAgentResponse r = DEVSTACK__SESSION__CHECK_AGENT_RESPONSE__INIT;

        if (!q) {
            *message = "malformed CheckAgentRequest";
            return ENGINE_GRPC_INVALID_ARGUMENT;
        }
        if (!find_ssh(src, q->id)) {
            *message = "no ssh agent with that id";
            status = ENGINE_GRPC_NOT_FOUND;
        } else {
            engine_grpc_frame(reply, &r.base);
        }
        devstack__session__check_agent_request__free_unpacked(q, NULL);
        return status;
    }
}

/* ---- the HTTP/2 server ----------------------------------------------------------- */

struct stream {
    int32_t id;
    char *method;
    char *ssh_id;
    struct buf in;  /* the request's bytes: gRPC messages */
    struct buf out; /* the answer's bytes not yet sent */
    size_t out_off;
    bool responded; /* headers submitted */
    bool out_done;  /* nothing more goes into out: then the trailers */
    bool deferred;  /* the data provider waits for out */
    int status;
    const char *message;
    int agent_fd; /* ForwardAgent: the agent's socket; -1: none or closed */
    struct stream *next;
};

struct engine_session {
    char id[32];
    const struct engine_session_sources *src;
    struct engine_upgraded conn;
    nghttp2_session *h2;
    struct stream *streams;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    bool send_blocked; /* the socket took no more: wait for POLLOUT */
    bool peer_closed;
    unsigned char *io;
};

static struct stream *find_stream(struct engine_session *s, int32_t id)
{
    for (struct stream *st = s->streams; st; st = st->next)
        if (st->id == id)
            return st;
    return NULL;
}

static void stream_free(struct stream *st)
{
    if (st->agent_fd >= 0)
        close(st->agent_fd);
    free(st->method);
    free(st->ssh_id);
    /* a GetSecret answer held a secret's value */
    if (st->out.len)
        explicit_bzero(st->out.buf, st->out.len);
    buf_release(&st->in);
    buf_release(&st->out);
    free(st);
}

/*
 * Bytes to and from the engine: through curl, which may hold the TLS
 * session, or straight on a socket of the caller's. 1 moved *n bytes (0
 * at the end of a read), 0 would block, -1 failed.
 */
static int conn_io(struct engine_session *s, bool sending, void *data, size_t len, size_t *n)
{
    ssize_t r;

    *n = 0;
    if (s->conn.curl) {
        CURLcode cc = sending ? curl_easy_send(s->conn.curl, data, len, n)
                              : curl_easy_recv(s->conn.curl, data, len, n);

        return cc == CURLE_AGAIN ? 0 : cc == CURLE_OK ? 1 : -1;
    }
    do {
        r = sending ? send(s->conn.sock, data, len, MSG_DONTWAIT | MSG_NOSIGNAL)
                    : recv(s->conn.sock, data, len, MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    *n = (size_t)r;
    return 1;
}

static ssize_t on_send(nghttp2_session *h2, const uint8_t *data, size_t len, int flags, void *ud)
{
    struct engine_session *s = ud;
    size_t n = 0;
    int r = conn_io(s, true, (void *)data, len, &n);

    (void)h2, (void)flags;
    if (r == 0) {
        s->send_blocked = true;
        return NGHTTP2_ERR_WOULDBLOCK;
    }
    return r < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : (ssize_t)n;
}

static ssize_t on_read_data(nghttp2_session *h2, int32_t stream_id, uint8_t *out, size_t len,
                            uint32_t *flags, nghttp2_data_source *source, void *ud)
{
    struct stream *st = source->ptr;
    size_t left = st->out.len - st->out_off;
    size_t n = left < len ? left : len;

    (void)ud;
    if (n) {
        memcpy(out, st->out.buf + st->out_off, n);
        st->out_off += n;
        if (st->out_off == st->out.len) {
            explicit_bzero(st->out.buf, st->out.len);
            buf_reset(&st->out);
            st->out_off = 0;
        }
        return (ssize_t)n;
    }
    if (!st->out_done) {
        st->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    {
        char code[16];
        nghttp2_nv trailers[2] = {
                {(uint8_t *)"grpc-status", (uint8_t *)code, 11, 0, NGHTTP2_NV_FLAG_NONE},
                {(uint8_t *)"grpc-message", (uint8_t *)(st->message ? st->message : ""), 12,
                 st->message ? strlen(st->message) : 0, NGHTTP2_NV_FLAG_NONE},
        };

        trailers[0].valuelen = (size_t)snprintf(code, sizeof(code), "%d", st->status);
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        nghttp2_submit_trailer(h2, stream_id, trailers, st->message ? 2 : 1);
    }
    return 0;
}

#define NV(name, value)                                                                            \
    {                                                                                              \
        (uint8_t *)(name), (uint8_t *)(value), sizeof(name) - 1, strlen(value),                    \
                NGHTTP2_NV_FLAG_NONE                                                               \
    }

/* The answer's headers, then `out` as it fills, then the trailers (with out_done). */
static void respond(struct engine_session *s, struct stream *st)
{
    nghttp2_nv headers[] = {NV(":status", "200"), NV("content-type", "application/grpc")};
    nghttp2_data_provider data = {.source.ptr = st, .read_callback = on_read_data};

    st->responded = true;
    nghttp2_submit_response(s->h2, st->id, headers, 2, &data);
}

/* A call that failed before any answer: only headers, which end the stream (trailers-only). */
static void respond_error(struct engine_session *s, struct stream *st, int status,
                          const char *message)
{
    char code[16];
    nghttp2_nv headers[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
                            NV("grpc-status", ""), NV("grpc-message", message)};

    headers[2].value = (uint8_t *)code;
    headers[2].valuelen = (size_t)snprintf(code, sizeof(code), "%d", status);
    st->responded = true;
    nghttp2_submit_response(s->h2, st->id, headers, 4, NULL);
}

static void resume(struct engine_session *s, struct stream *st)
{
    if (st->deferred) {
        st->deferred = false;
        nghttp2_session_resume_data(s->h2, st->id);
    }
}

/* ForwardAgent: connect to the agent and answer; the bytes flow from then on. */
static void start_forward(struct engine_session *s, struct stream *st)
{
    const struct engine_session_ssh *ssh = find_ssh(s->src, st->ssh_id);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = -1;

    if (!ssh) {
        respond_error(s, st, ENGINE_GRPC_NOT_FOUND, "no ssh agent with that id");
        return;
    }
    if (strlen(ssh->socket) >= sizeof(addr.sun_path) ||
        (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        respond_error(s, st, ENGINE_GRPC_UNAVAILABLE, "cannot reach the ssh agent");
        return;
    }
    memcpy(addr.sun_path, ssh->socket, strlen(ssh->socket) + 1);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        respond_error(s, st, ENGINE_GRPC_UNAVAILABLE, "cannot reach the ssh agent");
        return;
    }
    st->agent_fd = fd;
    respond(s, st);
}

/* Whole messages of a ForwardAgent stream go to the agent. */
static int forward_to_agent(struct stream *st)
{
    const unsigned char *msg;
    size_t msg_len, used;
    struct ds_error err = DS_ERROR_INIT;
    int r;

    while ((r = engine_grpc_next((const unsigned char *)st->in.buf, st->in.len, GRPC_MSG_MAX, &msg,
                                 &msg_len, &used, &err)) == 1) {
        Devstack__Session__BytesMessage *m =
                devstack__session__bytes_message__unpack(NULL, msg_len, msg);
        size_t off = 0;

        if (!m) {
            r = -1;
            break;
        }
        while (st->agent_fd >= 0 && off < m->data.len) {
            ssize_t n = write(st->agent_fd, m->data.data + off, m->data.len - off);

            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        devstack__session__bytes_message__free_unpacked(m, NULL);
        buf_consume(&st->in, used);
    }
    ds_error_release(&err);
    return r < 0 ? -1 : 0;
}

/* The agent said something (or hung up): to the engine as a BytesMessage. */
static void agent_readable(struct engine_session *s, struct stream *st)
{
    ssize_t n = read(st->agent_fd, s->io, IO_CHUNK);

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n > 0) {
        Devstack__Session__BytesMessage m = DEVSTACK__SESSION__BYTES_MESSAGE__INIT;

        m.data.data = s->io;
        m.data.len = (size_t)n;
        engine_grpc_frame(&st->out, &m.base);
    } else {
        close(st->agent_fd);
        st->agent_fd = -1;
        st->out_done = true;
        st->status = ENGINE_GRPC_OK;
    }
    resume(s, st);
}

/* The request is complete (END_STREAM): answer a unary call. */
static void request_done(struct engine_session *s, struct stream *st)
{
    const char *message = NULL;
    int status;

    if (!st->method)
        return;
    if (!strcmp(st->method, M_FORWARD_AGENT)) {
        /* the build's side hung up: so does the agent's, which then ends the stream */
        if (st->agent_fd >= 0)
            shutdown(st->agent_fd, SHUT_WR);
        return;
    }
    status = engine_session_answer(s->src, st->method, (const unsigned char *)st->in.buf,
                                   st->in.len, &st->out, &message);
    if (status != ENGINE_GRPC_OK) {
        respond_error(s, st, status, message);
        return;
    }
    st->out_done = true;
    st->status = ENGINE_GRPC_OK;
    respond(s, st);
}

static int on_begin_headers(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
    struct engine_session *s = ud;
    struct stream *st;

    (void)h2;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    st = xcalloc(1, sizeof(*st));
    st->id = frame->hd.stream_id;
    st->agent_fd = -1;
    buf_init_capped(&st->in, GRPC_MSG_MAX + 5);
    buf_init(&st->out, 0);
    st->next = s->streams;
    s->streams = st;
    return 0;
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    struct stream *st = find_stream(ud, frame->hd.stream_id);

    (void)h2, (void)flags;
    if (!st || frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (namelen == 5 && !memcmp(name, ":path", 5) && !st->method)
        st->method = xstrndup((const char *)value, valuelen);
    else if (namelen == strlen(SSH_ID_HEADER) && !memcmp(name, SSH_ID_HEADER, namelen) &&
             !st->ssh_id)
        st->ssh_id = xstrndup((const char *)value, valuelen);
    return 0;
}

static int on_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t stream_id, const uint8_t *data,
                         size_t len, void *ud)
{
    struct engine_session *s = ud;
    struct stream *st = find_stream(s, stream_id);

    (void)flags;
    if (!st)
        return 0;
    if (buf_add(&st->in, data, len) < 0) {
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    if (st->method && !strcmp(st->method, M_FORWARD_AGENT) && forward_to_agent(st) < 0)
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_PROTOCOL_ERROR);
    return 0;
}

static int on_frame_recv(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
    struct engine_session *s = ud;
    struct stream *st;

    (void)h2;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    st = find_stream(s, frame->hd.stream_id);
    if (!st)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !st->responded && st->method &&
        !strcmp(st->method, M_FORWARD_AGENT))
        start_forward(s, st);
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        request_done(s, st);
    return 0;
}

static int on_stream_close(nghttp2_session *h2, int32_t stream_id, uint32_t error_code, void *ud)
{
    struct engine_session *s = ud;

    (void)h2, (void)error_code;
    for (struct stream **p = &s->streams; *p; p = &(*p)->next) {
        if ((*p)->id == stream_id) {
            struct stream *st = *p;

            *p = st->next;
            stream_free(st);
            break;
        }
    }
    return 0;
}

static int feed(struct engine_session *s, const unsigned char *data, size_t len)
{
    ssize_t r = nghttp2_session_mem_recv(s->h2, data, len);

    return r < 0 ? -1 : 0;
}

/* Everything the socket holds now (TLS may hold more than poll() sees). */
static int read_socket(struct engine_session *s)
{
    for (;;) {
        size_t n = 0;
        int r = conn_io(s, false, s->io, IO_CHUNK, &n);

        if (r == 0)
            return 0;
        if (r < 0 || n == 0) {
            s->peer_closed = true;
            return 0;
        }
        if (feed(s, s->io, n) < 0)
            return -1;
    }
}

static void *serve(void *ud)
{
    struct engine_session *s = ud;

    while (!atomic_load(&s->stop) && !s->peer_closed) {
        struct pollfd fds[64];
        int32_t agents[64]; /* by id: reading the socket may close a stream */
        nfds_t n = 1;
        int r;

        s->send_blocked = false;
        if (nghttp2_session_send(s->h2) != 0)
            break;
        if (!nghttp2_session_want_read(s->h2) && !nghttp2_session_want_write(s->h2))
            break;
        fds[0].fd = s->conn.sock;
        fds[0].events = POLLIN | (s->send_blocked ? POLLOUT : 0);
        fds[0].revents = 0;
        for (struct stream *st = s->streams; st && n < 64; st = st->next) {
            /* the agent is read only when what it said before has gone: the engine sets the pace */
            if (st->agent_fd < 0 || st->out.len)
                continue;
            fds[n].fd = st->agent_fd;
            fds[n].events = POLLIN;
            fds[n].revents = 0;
            agents[n++] = st->id;
        }
        r = poll(fds, n, TICK_MS);
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && read_socket(s) < 0)
            break;
        for (nfds_t i = 1; i < n; i++) {
            struct stream *st = find_stream(s, agents[i]);

            if (fds[i].revents && st && st->agent_fd == fds[i].fd)
                agent_readable(s, st);
        }
    }
    return NULL;
}

/* ---- opening and closing ----------------------------------------------------------- */

/* An id like BuildKit's (identity.NewID): 25 characters of [0-9a-z] from 128 random bits. */
static int make_id(char *out, size_t size, struct ds_error *err)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    unsigned char rnd[25];

    if (size < sizeof(rnd) + 1)
        return ds_error_set(err, DS_ERR, "no room for a session id");
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return ds_error_errno(err, errno, "cannot make a session id");
    for (size_t i = 0; i < sizeof(rnd); i++)
        out[i] = digits[rnd[i] % 36];
    out[sizeof(rnd)] = '\0';
    return 0;
}

/* A header value must be one line of printable text. */
static void add_header(struct buf *h, const char *name, const char *value)
{
    buf_addf(h, "%s: ", name);
    for (const char *p = value; *p; p++)
        buf_addch(h, (unsigned char)*p >= 0x20 && *p != 0x7f ? *p : '_');
    buf_adds(h, "\r\n");
}

static int h2_open(struct engine_session *s, struct ds_error *err)
{
    nghttp2_session_callbacks *cb = NULL;
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
    int r;

    if (nghttp2_session_callbacks_new(&cb) != 0)
        return ds_error_set(err, DS_ERR, "out of memory");
    nghttp2_session_callbacks_set_send_callback(cb, on_send);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    r = nghttp2_session_server_new(&s->h2, cb, s);
    nghttp2_session_callbacks_del(cb);
    if (r != 0)
        return ds_error_set(err, DS_ERR, "cannot start HTTP/2: %s", nghttp2_strerror(r));
    r = nghttp2_submit_settings(s->h2, NGHTTP2_FLAG_NONE, settings, 1);
    if (r == 0 && s->conn.early.len &&
        feed(s, (const unsigned char *)s->conn.early.buf, s->conn.early.len) < 0)
        r = NGHTTP2_ERR_PROTO;
    if (r != 0)
        return ds_error_set(err, DS_EPROTO, "the session's HTTP/2 failed: %s", nghttp2_strerror(r));
    return 0;
}

/* HTTP/2 on the connection, and the thread that serves it. */
static int serve_start(struct engine_session *s, struct ds_error *err)
{
    sigset_t all, old;
    int rc = h2_open(s, err);

    if (rc < 0)
        return rc;
    /* signals stay with the threads that wait for them */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&s->thread, NULL, serve, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return ds_error_errno(err, rc, "cannot start the BuildKit session's thread");
    s->started = true;
    return 0;
}

int engine_session_serve_socket(struct engine_session **out, int fd,
                                const struct engine_session_sources *src, struct ds_error *err)
{
    struct engine_session *s = xcalloc(1, sizeof(*s));
    int rc;

    *out = NULL;
    s->src = src;
    s->conn.sock = fd;
    buf_init(&s->conn.early, 0);
    atomic_init(&s->stop, false);
    s->io = xmalloc(IO_CHUNK);
    rc = serve_start(s, err);
    if (rc < 0)
        engine_session_free(s);
    else
        *out = s;
    return rc;
}

int engine_session_start(struct engine_session **out, struct engine *e, const char *name,
                         const struct engine_session_sources *src, volatile sig_atomic_t *cancel,
                         struct ds_error *err)
{
    struct engine_session *s = xcalloc(1, sizeof(*s));
    struct buf headers = BUF_INIT;
    int rc;

    *out = NULL;
    s->src = src;
    s->conn.sock = CURL_SOCKET_BAD;
    buf_init(&s->conn.early, 0);
    atomic_init(&s->stop, false);
    s->io = xmalloc(IO_CHUNK);
    rc = make_id(s->id, sizeof(s->id), err);
    if (rc < 0)
        goto done;
    add_header(&headers, "X-Docker-Expose-Session-Uuid", s->id);
    add_header(&headers, "X-Docker-Expose-Session-Name", name);
    add_header(&headers, "X-Docker-Expose-Session-Sharedkey", s->id);
    add_header(&headers, "X-Docker-Expose-Session-Grpc-Method", M_HEALTH);
    if (src->n_secrets)
        add_header(&headers, "X-Docker-Expose-Session-Grpc-Method", M_GET_SECRET);
    if (src->n_ssh) {
        add_header(&headers, "X-Docker-Expose-Session-Grpc-Method", M_CHECK_AGENT);
        add_header(&headers, "X-Docker-Expose-Session-Grpc-Method", M_FORWARD_AGENT);
    }
    rc = engine_upgrade_open(e, "/session", "h2c", headers.buf, cancel, &s->conn, err);
    if (rc < 0) {
        ds_error_wrap(err, "opening a BuildKit session");
        goto done;
    }
    rc = serve_start(s, err);

done:
    buf_release(&headers);
    if (rc < 0)
        engine_session_free(s);
    else
        *out = s;
    return rc;
}

const char *engine_session_id(const struct engine_session *s)
{
    return s->id;
}

void engine_session_free(struct engine_session *s)
{
    if (!s)
        return;
    if (s->started) {
        atomic_store(&s->stop, true);
        /* wakes the poll at once; the engine sees the session end */
        if (s->conn.sock != CURL_SOCKET_BAD)
            shutdown(s->conn.sock, SHUT_RDWR);
        pthread_join(s->thread, NULL);
    }
    while (s->streams) {
        struct stream *st = s->streams;

        s->streams = st->next;
        stream_free(st);
    }
    nghttp2_session_del(s->h2);
    if (s->conn.curl)
        curl_easy_cleanup(s->conn.curl);
    buf_release(&s->conn.early);
    free(s->io);
    free(s);
}
