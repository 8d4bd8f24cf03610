/* Shared by the files of src/compose/ only; the module's API is compose.h. */
#ifndef DEVSTACK_COMPOSE_INTERNAL_H
#define DEVSTACK_COMPOSE_INTERNAL_H

#include "compose/compose.h"
#include "compose/interp.h"
#include "compose/yamltree.h"
#include "util/buf.h"

/* Reading one file's tree into the model. */
struct loader {
    struct compose_project *p; /* warnings go here */
    const char *file;          /* as shown in messages */
    const char *dir;           /* the file's directory: relative paths start here */
    const char *home;          /* for ~ in paths; may be NULL */
    struct buf path;           /* the key path of the node at hand: "services.db.ports[1]" */
    struct ds_error *err;
};

/* "file:line:col: path: what" as an error (returns DS_EINVAL) or a warning. */
int load_fail(struct loader *ld, const struct ynode *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void load_warn(struct loader *ld, const struct ynode *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * A key the mapping at hand does not have: refused, as Compose's schema
 * refuses it, unless it is an extension (x-...), which is skipped (0).
 */
int load_unknown_key(struct loader *ld, const struct ynode *key);

/* "file:line:col: what" (no key path: for checks after the tree is gone) as DS_EINVAL. */
int compose_fail_at(struct ds_error *err, struct compose_pos pos, const char *what, ...)
        __attribute__((format(printf, 3, 4)));
/* "a list", "a mapping" or "a value": what a node is, for messages. */
const char *load_kind_name(const struct ynode *n);

/* Append ".key" or "[i]" to the path; restore with load_path_pop(ld, saved). */
size_t load_path_key(struct loader *ld, const char *key);
size_t load_path_index(struct loader *ld, size_t i);
void load_path_pop(struct loader *ld, size_t saved);

/* Typed reads of a node; a null node leaves *out alone (unset). */
int load_string(struct loader *ld, const struct ynode *n, char **out);
int load_bool(struct loader *ld, const struct ynode *n, int *out);
int load_int(struct loader *ld, const struct ynode *n, int64_t min, int64_t max, int64_t *out);
int load_duration(struct loader *ld, const struct ynode *n, int64_t *out);
int load_bytes(struct loader *ld, const struct ynode *n, int64_t *out);
/* A list of scalars (or, with allow_string, one scalar). */
int load_strings(struct loader *ld, const struct ynode *n, bool allow_string, struct strvec *out);
/* A mapping of scalars, or a list of "key<sep>value" ("key" alone: a NULL value). */
int load_kv(struct loader *ld, const struct ynode *n, char sep, struct kvlist *out);
/* A mapping of option names to scalar values (a driver's options), as Compose's schema has it. */
int load_options(struct loader *ld, const struct ynode *n, struct kvlist *out);
/* A path made absolute against the file's directory (~ is the home directory). Caller frees. */
char *load_abs_path(struct loader *ld, const char *path);

/* A YAML value as JSON, plain scalars typed as Compose's YAML library types them. Caller frees. */
cJSON *compose_ynode_to_json(const struct ynode *n);
/* Keep a top-level x-* key's value in p->extensions (a later one replaces it). */
void compose_extension_set(struct compose_project *p, const char *key, const struct ynode *value);

/* Parse "1g", "64m", "512k", "100" into bytes; -1 when malformed. */
int parse_bytes(const char *s, int64_t *out);
/*
 * Count in the service built at p->services[p->n_services] (room made by
 * the caller), and index it by name.
 */
void compose_add_service(struct compose_project *p);

/* The services: mapping of one file into p->services (appending). */
int load_services(struct loader *ld, const struct ynode *services);
void compose_service_init(struct compose_service *s);
void compose_service_release(struct compose_service *s);

/* ---- trees of several files (merge.c) ---- */

/*
 * Merge the tree of a later file into `base` (both roots, changed in place;
 * `over`'s nodes become base's) with Compose's rules and its !reset and
 * !override tags. DS_EINVAL when a value cannot merge with the earlier one.
 */
int compose_tree_merge(struct ynode *base, struct ynode *over, struct ds_error *err);
/* `service` (extends: ...) merged onto `base`, a copy of what it extends. */
int compose_tree_extend(struct ynode *base, struct ynode *service, const char *name,
                        struct ds_error *err);
/* Remove what `!reset` marks from a tree that no earlier one precedes. */
void compose_tree_strip_resets(struct ynode *n);
/* Keep one of the items Compose keeps unique (a variable, a volume's target, ...): the last. */
void compose_tree_unique(struct ynode *root);
/* Make the relative paths of a tree (or of one service) absolute against dir. */
void compose_tree_rebase(struct ynode *root, const char *dir);
void compose_tree_rebase_service(struct ynode *service, const char *dir);

/* Secrets and configs (secrets.c): the top-level `secrets:` or `configs:` (`section`) of a file. */
int load_file_objects(struct loader *ld, const char *section, const struct ynode *n,
                      struct compose_project *part);
/* A service's `secrets:` and `configs:`. */
int load_service_secrets(struct loader *ld, const struct ynode *n, struct compose_service *s);
int load_service_configs(struct loader *ld, const struct ynode *n, struct compose_service *s);
/* A service's `build.secrets` (as Compose, no default target). */
int load_build_secrets(struct loader *ld, const struct ynode *n, struct compose_build *b);
void compose_file_ref_list_free(struct compose_file_ref *list, size_t n);
void compose_file_objects_release(struct compose_project *p);
void compose_file_refs_release(struct compose_service *s);
/* After merging (the project named): their names, and every service's references defined. */
int compose_finish_file_objects(struct compose_project *p, struct ds_error *err);
/*
 * After merging: check the service's references to other services
 * (network_mode, ipc, pid, uts, cgroup "service:X", volumes_from, links),
 * make each a dependency as Compose does, and read its label_file files
 * into labels (the file's own labels win).
 */
int compose_service_finish(struct compose_project *p, struct compose_service *s,
                           struct ds_error *err);

void compose_mount_release(struct compose_mount *m);

#endif
