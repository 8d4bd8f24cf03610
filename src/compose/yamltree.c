/*
 * libyaml's event stream, built straight into a tree with positions, merged
 * keys and expanded aliases. Events rather than libyaml's document loader:
 * one tree in memory instead of two, and about a third less work.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "compose/yamltree.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

/* A mapping with this many keys gets a hash index; below, a search is as quick. */
#define INDEX_FROM 16

/* Deeper than this is an attack; compose files are shallow. */
#define MAX_DEPTH 256

static struct ynode *ynode_new(struct arena *a, enum ynode_kind kind, const char *file,
                               const yaml_mark_t *mark)
{
    struct ynode *n = arena_alloc(a, sizeof(*n));

    n->arena = a;
    n->kind = kind;
    n->file = file;
    n->line = (int)mark->line + 1;
    n->col = (int)mark->column + 1;
    return n;
}

void ytree_push(struct ynode *parent, struct ynode *key, struct ynode *value)
{
    if (parent->n == parent->alloc) {
        size_t alloc = parent->alloc ? parent->alloc * 2 : 4;
        struct ynode **items = arena_alloc(parent->arena, alloc * sizeof(*items));

        /* the old arrays stay in the arena: at most as much again, freed with the tree */
        if (parent->n)
            memcpy(items, parent->items, parent->n * sizeof(*items));
        parent->items = items;
        if (parent->kind == YNODE_MAP) {
            struct ynode **keys = arena_alloc(parent->arena, alloc * sizeof(*keys));

            if (parent->n)
                memcpy(keys, parent->keys, parent->n * sizeof(*keys));
            parent->keys = keys;
        }
        parent->alloc = alloc;
    }
    if (parent->kind == YNODE_MAP)
        parent->keys[parent->n] = key;
    parent->items[parent->n++] = value;
    if (parent->kind != YNODE_MAP)
        return;
    /* a long mapping gets a hash index (in the arena), so that finding a key stays quick */
    if (!parent->index && parent->n == INDEX_FROM) {
        parent->index = arena_alloc(parent->arena, sizeof(*parent->index));
        strmap_init_arena(parent->index, parent->arena);
        for (size_t i = 0; i < parent->n; i++)
            strmap_add(parent->index, parent->keys[i]->text, i, NULL);
    } else if (parent->index) {
        strmap_add(parent->index, key->text, parent->n - 1, NULL);
    }
}

void ytree_free(struct ynode *root)
{
    struct arena *a;

    if (!root)
        return;
    a = root->arena;
    arena_release(a);
    free(a);
}

void ytree_set_text(struct ynode *n, const char *text)
{
    n->text = arena_strdup(n->arena, text);
}

static size_t ytree_count(const struct ynode *n)
{
    size_t count = 1;

    for (size_t i = 0; i < n->n; i++)
        count += ytree_count(n->items[i]) + (n->keys ? 1 : 0);
    return count;
}

struct ynode *ytree_copy(const struct ynode *n)
{
    struct ynode *c = arena_alloc(n->arena, sizeof(*c));

    c->arena = n->arena;
    c->kind = n->kind;
    c->file = n->file;
    c->line = n->line;
    c->col = n->col;
    c->plain = n->plain;
    c->tag = n->tag;
    c->text = n->text; /* strings are never changed in place: share them */
    for (size_t i = 0; i < n->n; i++)
        ytree_push(c, n->keys ? ytree_copy(n->keys[i]) : NULL, ytree_copy(n->items[i]));
    return c;
}

long ytree_find(const struct ynode *map, const char *key)
{
    size_t at;

    if (!map || map->kind != YNODE_MAP)
        return -1;
    if (map->index)
        return strmap_get(map->index, key, &at) ? (long)at : -1;
    for (size_t i = 0; i < map->n; i++)
        if (!strcmp(map->keys[i]->text, key))
            return (long)i;
    return -1;
}

struct ynode *ytree_get(const struct ynode *map, const char *key)
{
    long at = ytree_find(map, key);

    return at < 0 ? NULL : map->items[at];
}

struct ynode *ytree_new(const struct ynode *like, enum ynode_kind kind)
{
    struct ynode *n = arena_alloc(like->arena, sizeof(*n));

    n->arena = like->arena;
    n->kind = kind;
    n->file = like->file;
    n->line = like->line;
    n->col = like->col;
    return n;
}

struct ynode *ytree_new_scalar(const struct ynode *like, const char *text)
{
    struct ynode *n = ytree_new(like, YNODE_SCALAR);

    n->text = arena_strdup(like->arena, text);
    return n;
}

void ytree_remove(struct ynode *parent, size_t i)
{
    memmove(parent->items + i, parent->items + i + 1, (parent->n - i - 1) * sizeof(*parent->items));
    if (parent->keys)
        memmove(parent->keys + i, parent->keys + i + 1,
                (parent->n - i - 1) * sizeof(*parent->keys));
    parent->n--;
    if (!parent->index)
        return;
    /* positions moved: index again (rare, and only while merging) */
    strmap_reset(parent->index);
    for (size_t k = 0; k < parent->n; k++)
        strmap_add(parent->index, parent->keys[k]->text, k, NULL);
}

void ytree_set_item(struct ynode *parent, size_t i, struct ynode *value)
{
    parent->items[i] = value;
}

bool ytree_is_null(const struct ynode *n)
{
    if (!n || n->kind == YNODE_NULL)
        return true;
    if (n->kind != YNODE_SCALAR || !n->plain)
        return false;
    return !*n->text || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
           !strcmp(n->text, "Null") || !strcmp(n->text, "NULL");
}

/* ---- building ------------------------------------------------------------------ */

struct anchor {
    char *name;
    const struct ynode *node; /* in the tree being built; aliases copy it */
};

/* An open sequence or mapping. */
struct frame {
    struct ynode *node;
    char *anchor;
    struct ynode *key;     /* a mapping's key waiting for its value */
    bool merge_key;        /* ... and that key is `<<` */
    struct ynode **merges; /* mappings to merge in when the mapping ends */
    size_t n_merges;
};

struct builder {
    struct arena *arena;
    const char *file;
    struct ds_error *err;
    struct frame stack[MAX_DEPTH];
    size_t depth;
    struct anchor *anchors;
    size_t n_anchors, anchors_alloc;
    size_t nodes;
    struct ynode *root;
};

static int fail_at(struct builder *b, const yaml_mark_t *mark, const char *what)
{
    return ds_error_set(b->err, DS_EINVAL, "%s:%zu:%zu: %s", b->file, mark->line + 1,
                        mark->column + 1, what);
}

static void add_anchor(struct builder *b, char *name, const struct ynode *node)
{
    /* a later anchor of the same name replaces the earlier one, as YAML says */
    for (size_t i = 0; i < b->n_anchors; i++) {
        if (!strcmp(b->anchors[i].name, name)) {
            free(b->anchors[i].name);
            b->anchors[i].name = name;
            b->anchors[i].node = node;
            return;
        }
    }
    b->anchors = xgrow(b->anchors, &b->anchors_alloc, b->n_anchors + 1, sizeof(*b->anchors));
    b->anchors[b->n_anchors].name = name;
    b->anchors[b->n_anchors++].node = node;
}

/* Add the pairs of `src` whose keys `map` lacks; explicit keys win over merged ones. */
static void merge_missing(struct ynode *map, const struct ynode *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (!ytree_get(map, src->keys[i]->text))
            ytree_push(map, ytree_copy(src->keys[i]), ytree_copy(src->items[i]));
}

/* Attach a finished node to the open container, or make it the root. Takes `n`. */
static int attach(struct builder *b, struct ynode *n, const yaml_mark_t *mark)
{
    struct frame *f;

    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    f = &b->stack[b->depth - 1];
    if (f->node->kind == YNODE_SEQ) {
        ytree_push(f->node, NULL, n);
        return 0;
    }
    if (!f->key) {
        if (n->kind != YNODE_SCALAR)
            return fail_at(b, mark, "a key must be a plain value, not a list or a mapping");
        if (n->plain && !strcmp(n->text, "<<")) {
            f->merge_key = true;
        } else if (ytree_get(f->node, n->text)) {
            struct buf msg = BUF_INIT;

            buf_addf(&msg, "duplicate key '%s'", n->text);
            fail_at(b, mark, msg.buf);
            buf_release(&msg);
            return DS_EINVAL;
        }
        f->key = n;
        return 0;
    }
    if (f->merge_key) {
        bool ok = n->kind == YNODE_MAP || (n->kind == YNODE_SEQ && n->n > 0);

        for (size_t i = 0; n->kind == YNODE_SEQ && i < n->n; i++)
            ok = ok && n->items[i]->kind == YNODE_MAP;
        f->key = NULL;
        f->merge_key = false;
        if (!ok)
            return fail_at(b, mark, "the value of '<<' must be a mapping or a list of mappings");
        f->merges = xrealloc(f->merges, (f->n_merges + 1) * sizeof(*f->merges));
        f->merges[f->n_merges++] = n;
        return 0;
    }
    ytree_push(f->node, f->key, n);
    f->key = NULL;
    return 0;
}

static enum ynode_tag tag_of(const yaml_char_t *tag)
{
    if (tag && !strcmp((const char *)tag, "!reset"))
        return YTAG_RESET;
    if (tag && !strcmp((const char *)tag, "!override"))
        return YTAG_OVERRIDE;
    return YTAG_NONE;
}

static int open_node(struct builder *b, enum ynode_kind kind, const yaml_event_t *ev,
                     const yaml_char_t *anchor, const yaml_char_t *tag)
{
    struct frame *f;

    if (b->depth == MAX_DEPTH)
        return fail_at(b, &ev->start_mark, "nested too deeply");
    if (++b->nodes > YTREE_MAX_NODES)
        return fail_at(b, &ev->start_mark, "the document has too many nodes");
    f = &b->stack[b->depth++];
    memset(f, 0, sizeof(*f));
    f->node = ynode_new(b->arena, kind, b->file, &ev->start_mark);
    f->node->tag = tag_of(tag);
    f->anchor = anchor ? xstrdup((const char *)anchor) : NULL;
    return 0;
}

static int close_node(struct builder *b, const yaml_event_t *ev)
{
    struct frame *f = &b->stack[--b->depth];
    struct ynode *n = f->node;
    int rc;

    for (size_t i = 0; i < f->n_merges; i++) {
        const struct ynode *m = f->merges[i];

        /* earlier sources win over later ones */
        if (m->kind == YNODE_MAP)
            merge_missing(n, m);
        for (size_t k = 0; m->kind == YNODE_SEQ && k < m->n; k++)
            merge_missing(n, m->items[k]);
    }
    free(f->merges);
    rc = attach(b, n, &ev->start_mark);
    if (rc == 0 && f->anchor)
        add_anchor(b, f->anchor, n);
    else
        free(f->anchor);
    return rc;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
    struct ynode *n;
    int rc;

    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        if (++b->nodes > YTREE_MAX_NODES)
            return fail_at(b, &ev->start_mark, "the document has too many nodes");
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
            return fail_at(b, &ev->start_mark, "a value contains a NUL character");
        n = ynode_new(b->arena, YNODE_SCALAR, b->file, &ev->start_mark);
        n->text = arena_strndup(b->arena, (const char *)ev->data.scalar.value,
                                ev->data.scalar.length);
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->tag = tag_of(ev->data.scalar.tag);
        rc = attach(b, n, &ev->start_mark);
        if (rc == 0 && ev->data.scalar.anchor)
            add_anchor(b, xstrdup((const char *)ev->data.scalar.anchor), n);
        return rc;
    case YAML_SEQUENCE_START_EVENT:
        return open_node(b, YNODE_SEQ, ev, ev->data.sequence_start.anchor,
                         ev->data.sequence_start.tag);
    case YAML_MAPPING_START_EVENT:
        return open_node(b, YNODE_MAP, ev, ev->data.mapping_start.anchor,
                         ev->data.mapping_start.tag);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return close_node(b, ev);
    case YAML_ALIAS_EVENT:
        for (size_t i = b->n_anchors; i-- > 0;) {
            if (strcmp(b->anchors[i].name, (const char *)ev->data.alias.anchor))
                continue;
            b->nodes += ytree_count(b->anchors[i].node);
            if (b->nodes > YTREE_MAX_NODES)
                return fail_at(b, &ev->start_mark,
                               "the document expands to too many nodes (aliases of aliases?)");
            return attach(b, ytree_copy(b->anchors[i].node), &ev->start_mark);
        }
        return fail_at(b, &ev->start_mark, "found undefined alias");
    default:
        return 0;
    }
}

static int parser_error(yaml_parser_t *p, const char *file, struct ds_error *err)
{
    const char *problem = p->problem ? p->problem : "malformed YAML";

    if (p->context)
        return ds_error_set(err, DS_EINVAL, "%s:%zu:%zu: %s %s (line %zu)", file,
                            p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
                            p->context, p->context_mark.line + 1);
    return ds_error_set(err, DS_EINVAL, "%s:%zu:%zu: %s", file, p->problem_mark.line + 1,
                        p->problem_mark.column + 1, problem);
}

static void builder_release(struct builder *b)
{
    while (b->depth) {
        struct frame *f = &b->stack[--b->depth];

        free(f->merges);
        free(f->anchor);
    }
    for (size_t i = 0; i < b->n_anchors; i++)
        free(b->anchors[i].name);
    free(b->anchors);
}

int ytree_parse(struct ynode **out, const char *text, size_t len, const char *file,
                struct ds_error *err)
{
    struct builder *b = xcalloc(1, sizeof(*b));
    yaml_parser_t parser;
    yaml_event_t ev;
    int documents = 0, rc = 0;
    bool done = false;

    *out = NULL;
    b->arena = xcalloc(1, sizeof(*b->arena));
    b->file = file;
    b->err = err;
    if (!yaml_parser_initialize(&parser)) {
        free(b);
        return ds_error_set(err, DS_ERR, "cannot initialise the YAML parser");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = parser_error(&parser, file, err);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            /* a second document would be silently ignored: say so instead */
            if (++documents > 1)
                rc = ds_error_set(err, DS_EINVAL,
                                  "%s:%zu:%zu: a second YAML document ('---'); a compose file "
                                  "holds one",
                                  file, ev.start_mark.line + 1, ev.start_mark.column + 1);
            break;
        default:
            rc = on_event(b, &ev);
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc == 0) {
        *out = b->root ? b->root : ynode_new(b->arena, YNODE_NULL, file, &(yaml_mark_t){0, 0, 0});
    } else {
        arena_release(b->arena);
        free(b->arena);
    }
    builder_release(b);
    free(b);
    return rc;
}
