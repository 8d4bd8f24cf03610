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

struct ynode {
    enum ynode_kind kind;
    struct arena *arena; /* where the whole tree lives; ytree_free() on the root releases it */
    char *text;          /* scalars: the value, NUL-terminated (NUL bytes inside are rejected) */
    bool plain;          /* scalars: written without quotes, so "true", "8080", "null" are typed */
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

/* The value for key in a mapping, or NULL. */
struct ynode *ytree_get(const struct ynode *map, const char *key);

/* A null node, or a plain scalar null / Null / NULL / ~ (or empty). */
bool ytree_is_null(const struct ynode *n);

#endif
