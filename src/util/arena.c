#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/arena.h"
#include "util/banned.h"

#define CHUNK_SIZE (64u << 10)
#define ALIGN      16u

struct arena_chunk {
    struct arena_chunk *next;
    size_t size;
    /* then the memory, aligned to ALIGN */
    _Alignas(16) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t size)
{
    struct arena_chunk *c;
    size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    void *p;

    if (need < size)
        abort();
    if (!a->head || a->used + need > a->head->size) {
        size_t chunk = need > CHUNK_SIZE / 4 ? need : CHUNK_SIZE;

        c = xmalloc(sizeof(*c) + chunk);
        c->size = chunk;
        if (a->head && need > CHUNK_SIZE / 4) {
            /* a big block gets a chunk of its own behind the current one */
            c->next = a->head->next;
            a->head->next = c;
            memset(c->data, 0, need);
            return c->data;
        }
        c->next = a->head;
        a->head = c;
        a->used = 0;
    }
    p = a->head->data + a->used;
    a->used += need;
    memset(p, 0, need);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

void arena_release(struct arena *a)
{
    while (a->head) {
        struct arena_chunk *next = a->head->next;

        free(a->head);
        a->head = next;
    }
    a->used = 0;
}
