/*
 * BuildKit's progress over the Engine API: a build with version=2 streams
 * {"id":"moby.buildkit.trace","aux":"<base64>"} lines whose bytes are a
 * protobuf StatusResponse (moby/buildkit control.proto). Decoded here into
 * plain structs that own their strings.
 */
#ifndef DEVSTACK_ENGINE_BUILDKIT_H
#define DEVSTACK_ENGINE_BUILDKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Times are nanoseconds since the epoch; 0 when the message had none. */
struct buildkit_vertex {
    char *digest, *name;
    char *error; /* NULL unless the step failed */
    bool cached;
    int64_t started, completed;
};

/* Progress inside a step: a layer being pulled, a context being sent. */
struct buildkit_status {
    char *id, *vertex, *name;
    int64_t current, total;
    int64_t timestamp, started, completed;
};

/* Output of a step: not a line, any piece of what the step wrote. */
struct buildkit_log {
    char *vertex;
    int64_t timestamp;
    int stream; /* 1 stdout, 2 stderr */
    char *msg;  /* len bytes, NUL-terminated */
    size_t len;
};

struct buildkit_warning {
    char *vertex;
    char *text; /* the short form */
};

struct buildkit_trace {
    struct buildkit_vertex *vertexes;
    struct buildkit_status *statuses;
    struct buildkit_log *logs;
    struct buildkit_warning *warnings;
    size_t n_vertexes, n_statuses, n_logs, n_warnings;
};

#define BUILDKIT_TRACE_INIT                                                                        \
    {                                                                                              \
        0                                                                                          \
    }

/*
 * Decode the base64 text `b64` (len bytes) of one trace message into `out`
 * (released first). Bad base64 or protobuf is DS_EPROTO, `out` left empty.
 */
int buildkit_trace_decode(struct buildkit_trace *out, const char *b64, size_t len,
                          struct ds_error *err);
void buildkit_trace_release(struct buildkit_trace *t);

#endif
