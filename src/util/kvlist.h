/* An ordered list of key/value pairs: labels, environment, build args, options. */
#ifndef DEVSTACK_KVLIST_H
#define DEVSTACK_KVLIST_H

#include <stdbool.h>
#include <stddef.h>

struct kv {
    char *key;
    char *value; /* may be NULL: "key present, no value" */
};

struct strmap;

struct kvlist {
    struct kv *items;
    size_t n;
    size_t alloc;
    /* key -> position, made once the list is long enough for a search to cost */
    struct strmap *index;
};

#define KVLIST_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, NULL                                                                           \
    }

/* Set key to value (copied), replacing an existing entry in place. */
void kvlist_set(struct kvlist *l, const char *key, const char *value);
/* Append without looking for an existing key. */
void kvlist_add(struct kvlist *l, const char *key, const char *value);
/* The entry for key, or NULL. */
struct kv *kvlist_find(const struct kvlist *l, const char *key);
/* The value for key, or NULL when absent (or present without a value). */
const char *kvlist_get(const struct kvlist *l, const char *key);
bool kvlist_remove(struct kvlist *l, const char *key);
void kvlist_sort(struct kvlist *l);
/* Merge src into dst with kvlist_set(): later keys win, duplicates collapse. */
void kvlist_copy(struct kvlist *dst, const struct kvlist *src);
void kvlist_clear(struct kvlist *l);

#endif
