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
/* A path made absolute against the file's directory (~ is the home directory). Caller frees. */
char *load_abs_path(struct loader *ld, const char *path);

/* A YAML value as JSON, plain scalars typed as Compose's YAML library types them. Caller frees. */
cJSON *compose_ynode_to_json(const struct ynode *n);
/* Keep a top-level x-* key's value in p->extensions (a later one replaces it). */
void compose_extension_set(struct compose_project *p, const char *key, const struct ynode *value);
/* The same with the value as JSON, which p takes. */
void compose_extension_put(struct compose_project *p, const char *key, cJSON *value);

/* Parse "1g", "64m", "512k", "100" into bytes; -1 when malformed. */
int parse_bytes(const char *s, int64_t *out);
/* Append s (taking what it owns) to p's services, and to the index by name. */
void compose_add_service(struct compose_project *p, const struct compose_service *s);

/* The services: mapping of one file into p->services (appending). */
int load_services(struct loader *ld, const struct ynode *services);
void compose_service_init(struct compose_service *s);
void compose_service_release(struct compose_service *s);
/* Merge `over` (a later file's definition) into `base`; `over` is emptied. */
void compose_service_merge(struct compose_service *base, struct compose_service *over);

/* Parse a short port spec ("127.0.0.1:8080:80/udp") into one or more ports. */
int compose_parse_port(const char *spec, struct compose_port **ports, size_t *n,
                       struct ds_error *err);
void compose_port_release(struct compose_port *p);
void compose_mount_release(struct compose_mount *m);

#endif
