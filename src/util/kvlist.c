#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/kvlist.h"
#include "util/strmap.h"
#include "util/banned.h"

/* Below this many entries a search is as quick as a hash */
#define INDEX_FROM 16

/*
 * Make the index again from the list, once it is long enough. Only what
 * changes the list touches the index: a search never writes, so threads
 * may search one list at once.
 */
static void index_rebuild(struct kvlist *l)
{
    if (l->index) {
        strmap_release(l->index);
        free(l->index);
        l->index = NULL;
    }
    if (l->n < INDEX_FROM)
        return;
    l->index = xcalloc(1, sizeof(*l->index));
    /* the first entry of a key is the one found, as a search from the start finds it */
    for (size_t i = 0; i < l->n; i++)
        strmap_add(l->index, l->items[i].key, i, NULL);
}

void kvlist_add(struct kvlist *l, const char *key, const char *value)
{
    l->items = xgrow(l->items, &l->alloc, l->n + 1, sizeof(*l->items));
    l->items[l->n].key = xstrdup(key);
    l->items[l->n].value = value ? xstrdup(value) : NULL;
    l->n++;
    if (l->index)
        strmap_add(l->index, l->items[l->n - 1].key, l->n - 1, NULL);
    else if (l->n == INDEX_FROM)
        index_rebuild(l);
}

struct kv *kvlist_find(const struct kvlist *l, const char *key)
{
    size_t at;

    if (l->index)
        return strmap_get(l->index, key, &at) ? &l->items[at] : NULL;
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
    index_rebuild(l); /* the positions moved */
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
    index_rebuild(l);
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
    index_rebuild(l);
}
