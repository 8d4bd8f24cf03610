/*
 * The engine itself: choosing and connecting to it, and what it says about
 * itself, for `version` and `doctor`.
 */
#ifndef DEVSTACK_STACK_SYSTEM_H
#define DEVSTACK_STACK_SYSTEM_H

#include <signal.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "util/error.h"
#include "util/strvec.h"

/*
 * Resolve the endpoint (DOCKER_HOST, the docker context, the default
 * sockets), create a client and connect (ping, negotiate the API version).
 * Things the user should be told about the choice (an unreadable docker
 * config) are appended to `warnings`. When the connection fails *out is
 * still set (the caller frees it) so that the endpoint can be named; when
 * the endpoint cannot be resolved it is NULL.
 */
int stack_engine_open(struct engine **out, struct strvec *warnings, struct ds_error *err);
void stack_engine_close(struct engine *e);
/*
 * The endpoint stack_engine_open() would connect to ("unix:///var/run/docker.sock"),
 * resolved without connecting; NULL when none resolves. Caller frees.
 */
char *stack_engine_endpoint(void);

/* What the engine says about itself: each part may be missing. */
struct stack_engine_facts {
    const char *endpoint;  /* "unix:///var/run/docker.sock", "tcp://h:2376"; borrowed */
    const char *source;    /* why it was chosen ("DOCKER_HOST", ...); borrowed */
    const char *transport; /* "unix socket", "tcp", "tcp + TLS", "ssh"; borrowed */
    bool remote;           /* the engine is on another machine (ssh, tcp but loopback) */
    char *ssh_command;     /* ssh://: the command that reaches it, words joined by spaces */
    /* API versions as text ("1.41"): negotiated, the engine's own, what devstack speaks */
    char api[16], server_api[16], client_min[16], client_max[16];
    bool have_version, have_info;
    struct engine_version version;
    struct engine_info info;
};

/* stack_engine_facts(): what to ask the engine for, besides what the client knows */
#define STACK_FACTS_VERSION 0x1u /* GET /version */
#define STACK_FACTS_INFO    0x2u /* GET /info */

/*
 * Fill *out from `e` (NULL: only the client's versions): the endpoint and
 * the API versions without a request, the rest as `what` asks. Returns the
 * first failure (err set); what was read before it stays in *out.
 */
int stack_engine_facts(struct engine *e, unsigned what, struct stack_engine_facts *out,
                       struct ds_error *err);
void stack_engine_facts_release(struct stack_engine_facts *f);

#endif
