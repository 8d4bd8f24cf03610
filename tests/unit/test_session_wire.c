/*
 * The session's HTTP/2 server on the wire, with an nghttp2 client in the
 * engine's place over a socketpair: each call of the table on a stream of
 * one connection, at the same time, answered with the gRPC status (in the
 * trailers, or trailers-only for a failure) and the bytes BuildKit's
 * protobuf has; ForwardAgent relays a message to an agent socket and the
 * agent's answer back, then ends with status 0 when the agent hangs up.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "lib/testlib.h"
#include "engine/session.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

#define LIT(s) (const unsigned char *)(s), sizeof(s) - 1

static const struct {
    const char *name, *method, *ssh_id;
    const unsigned char *body;
    size_t len;
    const char *status; /* grpc-status */
    const unsigned char *data;
    size_t data_len;
} calls[] = {
        {"health", "/grpc.health.v1.Health/Check", NULL, LIT("\0\0\0\0\0"), "0",
         LIT("\0\0\0\0\x02\x08\x01")},
        {"a secret", "/moby.buildkit.secrets.v1.Secrets/GetSecret", NULL,
         LIT("\0\0\0\0\x07\x0a\x05token"), "0", LIT("\0\0\0\0\x07\x0a\x05hello")},
        {"a secret not given", "/moby.buildkit.secrets.v1.Secrets/GetSecret", NULL,
         LIT("\0\0\0\0\x05\x0a\x03nop"), "5", LIT("")},
        {"an unknown method", "/moby.filesync.v1.FileSync/DiffCopy", NULL, LIT("\0\0\0\0\0"), "12",
         LIT("")},
        {"the agent, by its id", "/moby.sshforward.v1.SSH/ForwardAgent", "gh",
         LIT("\0\0\0\0\x06\x0a\x04ping"), "0", LIT("\0\0\0\0\x0b\x0a\x09pong:ping")},
        {"an agent not given", "/moby.sshforward.v1.SSH/ForwardAgent", "gl",
         LIT("\0\0\0\0\x06\x0a\x04ping"), "5", LIT("")},
};

struct call_state {
    int32_t stream;
    size_t sent;
    struct buf data;
    char status[8];
    bool closed;
};

struct client {
    int fd;
    struct call_state st[sizeof(calls) / sizeof(calls[0])];
};

static struct call_state *state_of(struct client *c, int32_t stream)
{
    for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
        if (c->st[i].stream == stream)
            return &c->st[i];
    return NULL;
}

static ssize_t client_send(nghttp2_session *h2, const uint8_t *data, size_t len, int flags,
                           void *ud)
{
    struct client *c = ud;
    ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

    (void)h2, (void)flags;
    return n < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : n;
}

static ssize_t read_body(nghttp2_session *h2, int32_t stream, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *source, void *ud)
{
    size_t i = (size_t)source->ptr;
    struct call_state *st = &((struct client *)ud)->st[i];
    size_t n = calls[i].len - st->sent < len ? calls[i].len - st->sent : len;

    (void)h2, (void)stream;
    memcpy(buf, calls[i].body + st->sent, n);
    st->sent += n;
    if (st->sent == calls[i].len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    struct call_state *st = state_of(ud, frame->hd.stream_id);

    (void)h2, (void)flags;
    if (st && namelen == 11 && !memcmp(name, "grpc-status", 11) && valuelen < sizeof(st->status))
        memcpy(st->status, value, valuelen);
    return 0;
}

static int on_data(nghttp2_session *h2, uint8_t flags, int32_t stream, const uint8_t *data,
                   size_t len, void *ud)
{
    struct call_state *st = state_of(ud, stream);

    (void)h2, (void)flags;
    if (st)
        buf_add(&st->data, data, len);
    return 0;
}

static int on_close(nghttp2_session *h2, int32_t stream, uint32_t code, void *ud)
{
    struct call_state *st = state_of(ud, stream);

    (void)h2, (void)code;
    if (st)
        st->closed = true;
    return 0;
}

/* The agent: one connection, read to its end, answer "pong:" and what it read, hang up. */
static void *agent(void *ud)
{
    int lfd = *(int *)ud, fd = accept(lfd, NULL, NULL);
    struct buf got = BUF_INIT;
    char chunk[256];
    ssize_t n;

    if (fd < 0)
        return NULL;
    buf_adds(&got, "pong:");
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        buf_add(&got, chunk, (size_t)n);
    /* one write, so one read and one message on the other side; a short one shows in the test */
    if (write(fd, got.buf, got.len) < 0)
        got.len = 0;
    buf_release(&got);
    close(fd);
    return NULL;
}

#define NV(n, v)                                                                                   \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE                 \
    }

static void test_wire(void **state)
{
    static const unsigned char hello[] = "hello";
    char *dir = test_mkdtemp();
    struct buf sock_path = BUF_INIT;
    struct engine_session_secret secrets[] = {{"token", hello, 5}};
    struct engine_session_ssh agents[] = {{"gh", NULL}};
    struct engine_session_sources src = {secrets, 1, agents, 1};
    struct engine_session *s = NULL;
    struct ds_error err = DS_ERROR_INIT;
    struct client c = {0};
    nghttp2_session_callbacks *cb = NULL;
    nghttp2_session *h2 = NULL;
    pthread_t agent_thread;
    int fds[2], lfd;
    bool done = false;

    (void)state;
    buf_addf(&sock_path, "%s/agent.sock", dir);
    agents[0].socket = sock_path.buf;
    lfd = test_make_socket(sock_path.buf);
    assert_int_equal(pthread_create(&agent_thread, NULL, agent, &lfd), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    assert_int_equal(engine_session_serve_socket(&s, fds[0], &src, &err), 0);

    c.fd = fds[1];
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, client_send);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    nghttp2_session_client_new(&h2, cb, &c);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(h2, NGHTTP2_FLAG_NONE, NULL, 0);
    for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
        nghttp2_nv nv[] = {NV(":method", "POST"),
                           NV(":scheme", "http"),
                           NV(":path", calls[i].method),
                           NV(":authority", "localhost"),
                           NV("content-type", "application/grpc"),
                           NV("te", "trailers"),
                           NV("buildkit.ssh.id", calls[i].ssh_id ? calls[i].ssh_id : "")};
        nghttp2_data_provider body = {.source.ptr = (void *)i, .read_callback = read_body};

        buf_init(&c.st[i].data, 0);
        c.st[i].stream = nghttp2_submit_request(h2, NULL, nv, calls[i].ssh_id ? 7 : 6, &body, NULL);
        assert_true(c.st[i].stream > 0);
    }
    for (int turn = 0; turn < 100 && !done; turn++) {
        struct pollfd p = {.fd = c.fd, .events = POLLIN};
        unsigned char chunk[4096];
        ssize_t n;

        assert_int_equal(nghttp2_session_send(h2), 0);
        if (poll(&p, 1, 50) > 0) {
            n = read(c.fd, chunk, sizeof(chunk));
            assert_true(n > 0);
            assert_true(nghttp2_session_mem_recv(h2, chunk, (size_t)n) == n);
        }
        done = true;
        for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
            done = done && c.st[i].closed;
    }
    for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
        if (!c.st[i].closed)
            fail_msg("case '%s': the stream did not end", calls[i].name);
        if (strcmp(c.st[i].status, calls[i].status))
            fail_msg("case '%s': grpc-status '%s', want '%s'", calls[i].name, c.st[i].status,
                     calls[i].status);
        if (c.st[i].data.len != calls[i].data_len ||
            memcmp(c.st[i].data.buf, calls[i].data, calls[i].data_len))
            fail_msg("case '%s': %zu bytes of data, want %zu", calls[i].name, c.st[i].data.len,
                     calls[i].data_len);
        buf_release(&c.st[i].data);
    }
    nghttp2_session_del(h2);
    engine_session_free(s);
    pthread_join(agent_thread, NULL);
    close(fds[0]);
    close(fds[1]);
    close(lfd);
    buf_release(&sock_path);
    test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_wire),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
