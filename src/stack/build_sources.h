/*
 * What a build's BuildKit session hands out: the values of build.secrets
 * (from the top-level secrets' file: or environment:) under the id
 * RUN --mount=type=secret asks for, and the SSH agents of build.ssh.
 */
#ifndef DEVSTACK_STACK_BUILD_SOURCES_H
#define DEVSTACK_STACK_BUILD_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "compose/compose.h"
#include "engine/session.h"
#include "util/error.h"

/* BuildKit's own cap on a secret (secretsprovider's MaxSecretSize). */
#define STACK_BUILD_SECRET_MAX (500u << 10)

struct stack_build_sources {
    struct engine_session_secret *secrets; /* ids and values owned (values wiped on release) */
    struct engine_session_ssh *ssh;        /* ids and sockets owned */
    struct engine_session_sources view;    /* the two arrays, as a session takes them */
    /* per build.ssh entry: the ssh-agent started for a key file (0: none) and its directory */
    int *agent_pids;
    char **agent_dirs;
    size_t n_agents;
};
#define STACK_BUILD_SOURCES_INIT                                                                   \
    {                                                                                              \
        NULL, NULL, {NULL, 0, NULL, 0}, NULL, NULL, 0                                              \
    }

/* Does the service's build need a session (build.secrets or build.ssh)? */
bool stack_build_needs_session(const struct compose_service *s);

/*
 * Resolve the service's build.secrets and build.ssh: a secret's id is its
 * target, else its source (as Compose hands them to buildx), its value the
 * file's content or the project environment's variable; `default` with no
 * path is $SSH_AUTH_SOCK (from `ssh_auth_sock`, may be NULL), a path is an
 * agent's socket or a private key file. With `load_keys`, each key file is
 * loaded (ssh-add) into an ssh-agent started for it, whose socket the
 * session forwards, stopped by release; without, a key file only has to be
 * readable (its socket is then the key's path). What is missing (a file, a
 * variable, a socket) is an error naming file:line:col and
 * services.<name>.build.secrets / .ssh.
 */
int stack_build_sources_resolve(struct stack_build_sources *out, const struct compose_project *p,
                                const struct compose_service *s, const char *ssh_auth_sock,
                                bool load_keys, struct ds_error *err);
/* Wipe the secrets, stop the agents started for key files, free. */
void stack_build_sources_release(struct stack_build_sources *b);

#endif
