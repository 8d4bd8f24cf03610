#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/kvlist.h"
#include "util/banned.h"

void kvlist_add(struct kvlist *l, const char *key, const char *value)
{
    l->items = xgrow(l->items, &l->alloc, l->n + 1, sizeof(*l->items));
    l->items[l->n].key = xstrdup(key);
    l->items[l->n].value = value ? xstrdup(value) : NULL;
    l->n++;
}

struct kv *kvlist_find(const struct kvlist *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].key, key))
            return &l->items[i];
    return NULL;
}

void kvlist_set(struct kvlist *l, const char *key, const char *value)
{
    struct kv *kv = kvlist_find(l, key);
    char *copy;

    if (!kv) {
        kvlist_add(l, key, value);
        return;
    }
    copy = value ? xstrdup(value) : NULL; /* value may be kv->value itself */
    free(kv->value);
    kv->value = copy;
}

const char *kvlist_get(const struct kvlist *l, const char *key)
{
    struct kv *kv = kvlist_find(l, key);
    return kv ? kv->value : NULL;
}

bool kvlist_remove(struct kvlist *l, const char *key)
{
    struct kv *kv = kvlist_find(l, key);
    size_t i;

    if (!kv)
        return false;
    i = (size_t)(kv - l->items);
    free(kv->key);
    free(kv->value);
    memmove(&l->items[i], &l->items[i + 1], (l->n - i - 1) * sizeof(*l->items));
    l->n--;
    return true;
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

void kvlist_sort(struct kvlist *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof(*l->items), kv_cmp);
}

void kvlist_copy(struct kvlist *dst, const struct kvlist *src)
{
    for (size_t i = 0; i < src->n; i++)
        kvlist_set(dst, src->items[i].key, src->items[i].value);
}

void kvlist_clear(struct kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
    l->alloc = 0;
}
