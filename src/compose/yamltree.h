/*
 * A YAML document as a tree that remembers where each node came from: libyaml
 * parses, this resolves aliases and `<<` merge keys, rejects duplicate keys,
 * and keeps file:line:col on every node for error messages.
 * Internal to src/compose/.
 */
#ifndef DEVSTACK_COMPOSE_YAMLTREE_H
#define DEVSTACK_COMPOSE_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/error.h"
#include "util/strmap.h"

enum ynode_kind { YNODE_NULL, YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

/* The YAML tags Compose acts on when it merges files; others are not kept. */
enum ynode_tag { YTAG_NONE, YTAG_RESET, YTAG_OVERRIDE };

struct ynode {
    enum ynode_kind kind;
    struct arena *arena; /* where the whole tree lives; ytree_free() on the root releases it */
    char *text;          /* scalars: the value, NUL-terminated (NUL bytes inside are rejected) */
    bool plain;          /* scalars: written without quotes, so "true", "8080", "null" are typed */
    enum ynode_tag tag;  /* `!reset` or `!override` as written */
    int line, col;       /* 1-based position of the node in `file` */
    const char *file;
    /* sequences: items; mappings: keys[i] -> items[i] (keys are scalar nodes) */
    struct ynode **items;
    struct ynode **keys;
    size_t n, alloc;
    struct strmap *index; /* mappings with many keys: key text -> position */
};

/* Aliases expanded beyond this many nodes make a document an attack, not a compose file. */
#define YTREE_MAX_NODES 1000000

/*
 * Parse one YAML document. `file` (kept by pointer, must outlive the tree)
 * names the file in errors: "compose.yaml:3:5: duplicate key 'image'". An
 * empty document is a tree of kind YNODE_NULL.
 */
int ytree_parse(struct ynode **out, const char *text, size_t len, const char *file,
                struct ds_error *err);
/* Free the tree whose root `root` is (all nodes live in one arena). */
void ytree_free(struct ynode *root);

/* Replace a scalar's text (the tree keeps a copy). */
void ytree_set_text(struct ynode *n, const char *text);

/*
 * Building and changing trees while merging them. A new node lives in
 * `like`'s arena and takes its position; items pushed may come from
 * other trees, which must then outlive this one.
 */
struct ynode *ytree_new(const struct ynode *like, enum ynode_kind kind);
struct ynode *ytree_new_scalar(const struct ynode *like, const char *text);
/* Append to a sequence (key NULL) or a mapping. */
void ytree_push(struct ynode *parent, struct ynode *key, struct ynode *value);
/* Remove the i-th item (and key) of a sequence or a mapping. */
void ytree_remove(struct ynode *parent, size_t i);
/* Replace the value of a mapping's i-th key. */
void ytree_set_item(struct ynode *parent, size_t i, struct ynode *value);
/* A deep copy of `n` in `n`'s arena. */
struct ynode *ytree_copy(const struct ynode *n);
/* The position of key in a mapping, or -1. */
long ytree_find(const struct ynode *map, const char *key);

/* The value for key in a mapping, or NULL. */
struct ynode *ytree_get(const struct ynode *map, const char *key);

/* A null node, or a plain scalar null / Null / NULL / ~ (or empty). */
bool ytree_is_null(const struct ynode *n);

#endif
