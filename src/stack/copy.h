/*
 * Copying between a service's container and the local machine, as
 * `docker compose cp` (and `docker cp`) do, over the engine's archive
 * API: a tar of the path from the container, extracted here (or handed
 * out as it is for "-"), or a tar made here and extracted there.
 */
#ifndef DEVSTACK_STACK_COPY_H
#define DEVSTACK_STACK_COPY_H

#include <stdbool.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "util/error.h"

struct stack_copy {
    const char *service;
    int index;                  /* the container number; 0: the first (from), all (to) */
    bool to_container;          /* local -> container; else container -> local */
    const char *container_path; /* SRC or DEST in the container */
    const char *local;          /* the local path; "-": a tar on in_fd (to) or to `out` (from) */
    bool archive;               /* keep the owners (uid:gid) */
    bool follow_link;           /* -L: copy what a symlink SRC points to */
    int in_fd;
    engine_output_fn out; /* the tar, for local "-"; non-zero stops */
    void *ud;
};

/*
 * Copy. A missing source is DS_ENOTFOUND naming it (and the container); a
 * service without a container too.
 */
int stack_copy(struct engine *e, const struct compose_project *p, const struct stack_copy *c,
               struct ds_error *err);

#endif
