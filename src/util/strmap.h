/*
 * A hash index from strings to positions: what makes a lookup by name in
 * an ordered list (services, keys of a mapping, environment entries,
 * revisions) constant time, while the list keeps the order and the index
 * only says where a name is.
 *
 * Keys are borrowed: each must stay valid and unchanged while it is in the
 * map (point it at the string the list owns). Slots come from the heap, or
 * from an arena (strmap_init_arena) whose release frees them.
 */
#ifndef DEVSTACK_STRMAP_H
#define DEVSTACK_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

struct strmap_slot {
    const char *key; /* NULL: empty */
    uint64_t hash;
    size_t value;
};

struct strmap {
    struct strmap_slot *slots;
    size_t n, cap;       /* cap: a power of two, or 0 */
    struct arena *arena; /* NULL: the heap */
};

#define STRMAP_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, NULL                                                                           \
    }

/* An empty map whose slots live in `a` (strmap_release() then frees nothing). */
void strmap_init_arena(struct strmap *m, struct arena *a);
void strmap_release(struct strmap *m);
/* Forget every key, keep the slots. */
void strmap_reset(struct strmap *m);

/* Find key: true and *value (if value is not NULL) when present. */
bool strmap_get(const struct strmap *m, const char *key, size_t *value);
/* Set key to value, replacing the value of a key that is there. */
void strmap_put(struct strmap *m, const char *key, size_t value);
/* Add key with value unless it is there: true when added, else *old (if not NULL) is its value. */
bool strmap_add(struct strmap *m, const char *key, size_t value, size_t *old);

#endif
