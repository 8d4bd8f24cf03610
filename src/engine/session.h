/*
 * A BuildKit session: what a build asks its client for while it runs
 * (secrets, the SSH agent), served over a connection the engine upgraded
 * to HTTP/2, on which the engine is the gRPC client and devstack the server.
 */
#ifndef DEVSTACK_ENGINE_SESSION_H
#define DEVSTACK_ENGINE_SESSION_H

#include <signal.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "engine/engine.h"
#include "util/buf.h"
#include "util/error.h"

/* The gRPC status codes a session answers with. */
enum engine_grpc_status {
    ENGINE_GRPC_OK = 0,
    ENGINE_GRPC_INVALID_ARGUMENT = 3,
    ENGINE_GRPC_NOT_FOUND = 5,
    ENGINE_GRPC_UNIMPLEMENTED = 12,
    ENGINE_GRPC_UNAVAILABLE = 14,
};

/* A build secret: RUN --mount=type=secret,id=<id> reads `data`. Borrowed. */
struct engine_session_secret {
    const char *id;
    const unsigned char *data;
    size_t len;
};

/* An SSH agent RUN --mount=type=ssh,id=<id> reaches: its Unix socket. Borrowed. */
struct engine_session_ssh {
    const char *id;
    const char *socket;
};

/* What a session serves; the arrays (and their strings) outlive the session. */
struct engine_session_sources {
    const struct engine_session_secret *secrets;
    size_t n_secrets;
    const struct engine_session_ssh *ssh;
    size_t n_ssh;
};

/*
 * Find one gRPC message (1 byte compressed flag, 4 bytes big-endian length,
 * the protobuf) at the start of in[0..len): 1 and *msg, *msg_len, *used
 * when it is all there; 0 when more bytes are needed; DS_EPROTO for a
 * compressed message (none is negotiated) or one longer than `max`.
 */
int engine_grpc_next(const unsigned char *in, size_t len, size_t max, const unsigned char **msg,
                     size_t *msg_len, size_t *used, struct ds_error *err);
/* Append `m` to `out` as one gRPC message. */
void engine_grpc_frame(struct buf *out, const ProtobufCMessage *m);

/*
 * The answer to a unary call of `method` ("/package.Service/Method") whose
 * request body (gRPC messages) is body[0..len): the status; on
 * ENGINE_GRPC_OK the framed response is appended to `reply`, else
 * *message (static or borrowed from the request's id; never a secret's
 * value) says why.
 */
int engine_session_answer(const struct engine_session_sources *src, const char *method,
                          const unsigned char *body, size_t len, struct buf *reply,
                          const char **message);

struct engine_session;

/*
 * Open a session on the engine (POST /session, upgraded to h2c) named
 * `name`, serving `src` on a thread of its own until engine_session_free().
 * Builds that use it pass engine_session_id() as session=.
 */
int engine_session_start(struct engine_session **out, struct engine *e, const char *name,
                         const struct engine_session_sources *src, volatile sig_atomic_t *cancel,
                         struct ds_error *err);
/*
 * Serve `src` on `fd`, a connected socket whose peer speaks HTTP/2 as the
 * engine does after the upgrade (for tests; the fd stays the caller's).
 */
int engine_session_serve_socket(struct engine_session **out, int fd,
                                const struct engine_session_sources *src, struct ds_error *err);
const char *engine_session_id(const struct engine_session *s);
/* Stop serving (the thread is joined), close the connection and free. NULL is fine. */
void engine_session_free(struct engine_session *s);

#endif
