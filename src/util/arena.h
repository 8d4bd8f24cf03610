/*
 * A region allocator: many small allocations that all die together (a parsed
 * YAML tree) cost one free per 64 KiB instead of one per node.
 */
#ifndef DEVSTACK_ARENA_H
#define DEVSTACK_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;
    size_t used; /* bytes taken from head */
};

#define ARENA_INIT                                                                                 \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Zeroed memory, aligned for any type; never NULL (out of memory ends the process). */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Free everything; the arena is empty and reusable. */
void arena_release(struct arena *a);

#endif
