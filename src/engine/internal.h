/* Shared by the files of src/engine/ only; the module's API is engine.h. */
#ifndef DEVSTACK_ENGINE_INTERNAL_H
#define DEVSTACK_ENGINE_INTERNAL_H

#include <curl/curl.h>

#include "engine/engine.h"

#ifndef DEVSTACK_VERSION
#define DEVSTACK_VERSION "0.0.0"
#endif
/* Sent with every request. */
#define ENGINE_USER_AGENT "devstack/" DEVSTACK_VERSION

/* The most a non-streamed response body may hold. */
#define ENGINE_BODY_MAX (64u << 20)
/* The longest JSON line of a progress stream. */
#define ENGINE_LINE_MAX (4u << 20)

/* Called with response bytes of a 2xx answer as they arrive. Non-zero aborts. */
typedef int (*engine_write_fn)(const char *data, size_t len, void *ud, struct ds_error *err);

struct engine_request {
    const char *method;
    const char *path; /* without the version prefix, query included */
    bool unversioned; /* /_ping */
    const char *content_type;
    const char *body; /* in-memory body, or NULL */
    size_t body_len;
    engine_read_fn read_body; /* streamed (chunked) body */
    void *read_ud;
    const char *registry_auth; /* X-Registry-Auth */
    engine_write_fn on_data;   /* stream a 2xx body here instead of collecting it */
    void *data_ud;
    long timeout_ms; /* 0: none */
};

struct engine_response {
    long status;
    struct buf body;   /* the body when not streamed, or an error body */
    char *api_version; /* the API-Version header, when sent */
    char *os_type;
    char *server;
    char *builder_version;
    char *content_type;
    char *path_stat; /* X-Docker-Container-Path-Stat: base64 of the path's JSON stat */
};

void engine_response_release(struct engine_response *r);

/*
 * Set what every connection to the endpoint needs on a curl handle: no
 * signals, the connect timeout, the unix socket, or TLS with the
 * endpoint's certificates.
 */
void engine_curl_set_endpoint(CURL *c, const struct engine_endpoint *ep);

/*
 * Set err from an answer that is not the one asked for: the code from the
 * status (400 DS_EINVAL, 401 and 403 DS_EPERM, 404 DS_ENOTFOUND, 409
 * DS_ECONFLICT, other errors DS_EENGINE, but DS_ECONFLICT for a message that
 * says a name is taken; below 400 DS_EPROTO), the message from the body's
 * JSON "message", else from its text (errors only), else from the status.
 * Returns the code.
 */
int engine_error_from_answer(struct ds_error *err, long status, const char *body, size_t len);

/*
 * Perform one request. Statuses >= 400 (and 3xx but 304) become errors as
 * engine_error_from_answer() says; 304 is returned as success with
 * resp->status == 304.
 */
int engine_do(struct engine *e, const struct engine_request *req, struct engine_response *resp,
              struct ds_error *err);

/* GET/DELETE/POST with an optional JSON body; parse a JSON answer into *out (caller frees). */
int engine_call_json(struct engine *e, const char *method, const char *path, const cJSON *body,
                     cJSON **out, long *status, struct ds_error *err);

/* Append "key=value" to a query string, URL-encoded, with '?' or '&' as needed. */
void engine_query_add(struct buf *path, const char *key, const char *value);
/* Append "/<collection>/<id, URL-encoded>" and "/<verb>" when given. */
void engine_path_object(struct buf *path, const char *collection, const char *id, const char *verb);
/* POST /<kind>/<id>/resize: a container's or an exec's TTY to height x width. */
int engine_tty_resize(struct engine *e, const char *kind, const char *id, int height, int width,
                      struct ds_error *err);
/* GET /<collection>/<id>[/<verb>] and parse the JSON answer into *out (caller frees). */
int engine_get_object(struct engine *e, const char *collection, const char *id, const char *verb,
                      cJSON **out, struct ds_error *err);
/*
 * GET a list: *items is the array (the answer itself, or its `member`), NULL
 * when the engine had nothing; *out owns it all (caller frees).
 */
int engine_get_list(struct engine *e, const char *path, const char *member, const char *what,
                    cJSON **out, const cJSON **items, struct ds_error *err);
/* filters={"label":[...]} for a list call. */
void engine_query_label_filters(struct buf *path, const struct strvec *labels, bool dangling);

/* Stream a framed (or, with `raw`, unframed) answer from `path` to `out`. */
int engine_stream_output(struct engine *e, const char *method, const char *path, const char *body,
                         bool raw, engine_output_fn out, void *ud, struct ds_error *err);

/* Turn a whole progress stream into calls of fn; the first `error` line fails it. */
struct engine_progress_sink {
    struct engine_jsonlines lines;
    engine_progress_fn fn;
    void *ud;
    char *error;     /* the stream's error message, once seen */
    char *aux_id;    /* aux.ID of a build */
    char *last_step; /* the last "Step N/M : ..." of a build, to name a failed step */
};
void engine_progress_sink_init(struct engine_progress_sink *s, engine_progress_fn fn, void *ud);
void engine_progress_sink_release(struct engine_progress_sink *s);
int engine_progress_sink_write(const char *data, size_t len, void *ud, struct ds_error *err);
/* Parse a last line without its newline. */
int engine_progress_sink_finish(struct engine_progress_sink *s, struct ds_error *err);

/* Parse engine answers (exposed for the unit tests). info_from_json takes ownership of doc. */
void engine_container_info_from_json(cJSON *doc, struct engine_container_info *out);
void engine_container_summary_from_json(const cJSON *o, struct engine_container_summary *s);
void engine_image_info_from_json(const cJSON *doc, struct engine_image_info *out);
void engine_network_info_from_json(const cJSON *doc, struct engine_network_info *out);
void engine_volume_info_from_json(const cJSON *doc, struct engine_volume_info *out);

/*
 * A container's EndpointSettings on one network for API `api_version`
 * (fields the engine does not know yet left out), with `mac` as its MAC
 * address. Caller owns the result.
 */
cJSON *engine_endpoint_json(const struct engine_network_attachment *a, const char *mac,
                            int api_version);

/*
 * ssh:// engines (ssh.c). Parse "ssh://[user@]host[:port]" into its parts
 * (user and port NULL when not given); a password, path or query is an error.
 */
int engine_ssh_parse(const char *url, char **user, char **host, char **port, struct ds_error *err);
/* Make each connection curl opens to ep's engine one ssh process. */
void engine_ssh_set_curl(CURL *c, const struct engine_endpoint *ep);
/* Why the last ssh that failed failed ("ssh exited with status 255: ..."), or NULL. Caller frees.
 */
char *engine_ssh_take_error(void);
/* Set err from the last ssh that failed, with how to try it by hand; false when none did. */
bool engine_explain_ssh_failure(const struct engine_endpoint *ep, struct ds_error *err);
/* Reap the ssh processes that have ended (those still running are reaped at exit). */
void engine_ssh_reap(void);

/* The docker CLI's configuration directory: $DOCKER_CONFIG, else ~/.docker; NULL without HOME. */
char *engine_docker_config_dir(const struct engine_resolve_env *env);
/* Read a small JSON file (config.json, meta.json); a missing one is *out == NULL and success. */
int engine_read_json_file(const char *path, cJSON **out, struct ds_error *err);

/* A connection of its own that an upgrade handed over (engine_upgrade_open). */
struct engine_upgraded {
    CURL *curl;         /* owns the connection: curl_easy_cleanup() closes it */
    curl_socket_t sock; /* for poll(); bytes go through curl_easy_send/recv (TLS) */
    struct buf early;   /* bytes of the new protocol that came with the answer's head */
};

/*
 * POST `path_tail` (versioned) with `headers` ("Name: value\r\n" each, may be
 * NULL) on a new connection and ask to upgrade it to `protocol`; after the
 * engine's 101 the connection is the caller's, in *out. An error answer
 * carries the engine's message. `cancel` (may be NULL) set: DS_EINTR.
 */
int engine_upgrade_open(struct engine *e, const char *path_tail, const char *protocol,
                        const char *headers, volatile sig_atomic_t *cancel,
                        struct engine_upgraded *out, struct ds_error *err);

#endif
