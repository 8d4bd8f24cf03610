/*
 * The order of concurrent builds, as plain functions over plain data: which
 * build waits for which (Compose's depends_on, and a Dockerfile that reads
 * another service's image), and which may start next.
 */
#ifndef DEVSTACK_STACK_BUILD_ORDER_H
#define DEVSTACK_STACK_BUILD_ORDER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "util/strvec.h"

/*
 * The images a Dockerfile reads: FROM's (not its own stages), COPY and ADD
 * --from=, RUN --mount=...,from=. A reference holding a variable (`$`) is
 * left out: its value is the builder's to know. Appended to out.
 */
void stack_dockerfile_images(const char *text, struct strvec *out);

/* Do two references name the same image: "x", "x:latest", "docker.io/library/x:latest"? */
bool stack_image_ref_same(const char *a, const char *b);

struct stack_build_node {
    const char *name;                /* the service */
    const char *image;               /* the image it runs (and is built as) */
    const struct strvec *depends_on; /* the services it depends on; NULL: none */
    const struct strvec *reads;      /* the images its Dockerfile reads; NULL: none */
    bool build;                      /* built in this run */
};

/*
 * Fill after[i * n + k] (n * n of them): the build of node i starts once
 * the build of node k is done, because i depends on k (directly or through
 * services that are not built, as Compose walks depends_on), or because i's
 * Dockerfile reads k's image. A circle of builds is DS_EINVAL naming two of
 * its services.
 */
int stack_build_order(const struct stack_build_node *nodes, size_t n, bool *after,
                      struct ds_error *err);

enum stack_build_state { BUILD_PENDING, BUILD_RUNNING, BUILD_DONE, BUILD_FAILED };

/*
 * The first pending build whose every build it waits for is done; -1 when
 * none can start now (running == limit counts as none; limit 0: no limit).
 */
int stack_build_next(const bool *after, const enum stack_build_state *states, size_t n,
                     size_t limit);

#endif
