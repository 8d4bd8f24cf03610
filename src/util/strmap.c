/* Open addressing with linear probing; at most half full. */
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/strmap.h"
#include "util/banned.h"

/* FNV-1a, 64 bits */
static uint64_t hash_of(const char *s)
{
    uint64_t h = 14695981039346656037ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void strmap_init_arena(struct strmap *m, struct arena *a)
{
    memset(m, 0, sizeof(*m));
    m->arena = a;
}

void strmap_release(struct strmap *m)
{
    if (!m->arena)
        free(m->slots);
    m->slots = NULL;
    m->n = m->cap = 0;
}

void strmap_reset(struct strmap *m)
{
    if (m->cap)
        memset(m->slots, 0, m->cap * sizeof(*m->slots));
    m->n = 0;
}

/* The slot of key, or the empty slot where it would go. */
static struct strmap_slot *slot_for(const struct strmap *m, const char *key, uint64_t hash)
{
    size_t i = (size_t)hash & (m->cap - 1);

    for (;; i = (i + 1) & (m->cap - 1)) {
        struct strmap_slot *s = &m->slots[i];

        if (!s->key || (s->hash == hash && !strcmp(s->key, key)))
            return s;
    }
}

static void grow(struct strmap *m)
{
    struct strmap_slot *old = m->slots;
    size_t old_cap = m->cap;

    m->cap = m->cap ? m->cap * 2 : 16;
    if (m->cap > SIZE_MAX / 2 / sizeof(*m->slots))
        abort();
    m->slots = m->arena ? arena_alloc(m->arena, m->cap * sizeof(*m->slots))
                        : xcalloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            *slot_for(m, old[i].key, old[i].hash) = old[i];
    if (!m->arena)
        free(old);
}

bool strmap_get(const struct strmap *m, const char *key, size_t *value)
{
    const struct strmap_slot *s;

    if (!m->n)
        return false;
    s = slot_for(m, key, hash_of(key));
    if (!s->key)
        return false;
    if (value)
        *value = s->value;
    return true;
}

static struct strmap_slot *insert(struct strmap *m, const char *key, bool *added)
{
    uint64_t hash = hash_of(key);
    struct strmap_slot *s;

    if ((m->n + 1) * 2 > m->cap)
        grow(m);
    s = slot_for(m, key, hash);
    *added = !s->key;
    if (*added) {
        s->key = key;
        s->hash = hash;
        m->n++;
    }
    return s;
}

void strmap_put(struct strmap *m, const char *key, size_t value)
{
    bool added;

    insert(m, key, &added)->value = value;
}

bool strmap_add(struct strmap *m, const char *key, size_t value, size_t *old)
{
    bool added;
    struct strmap_slot *s = insert(m, key, &added);

    if (added)
        s->value = value;
    else if (old)
        *old = s->value;
    return added;
}
