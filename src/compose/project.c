/*
 * A compose project from its files: find them, read .env, interpolate each
 * file, read it into the model, merge the files in order, then resolve names,
 * environments and profiles and check what only the whole project can tell.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/dotenv.h"
#include "compose/internal.h"
#include "util/alloc.h"
#include "util/strutil.h"
#include "util/path.h"
#include "util/banned.h"

/* Compose files are small; a larger file is a mistake, not a project. */
#define COMPOSE_FILE_MAX (16u << 20)

extern char **environ;

static const char *const discovery_names[] = {"compose.yaml", "compose.yml", "docker-compose.yml",
                                              "docker-compose.yaml"};
/* Beside the file found, in this order whichever name that has (as Compose looks). */
static const char *const override_names[] = {"compose.override.yml", "compose.override.yaml",
                                             "docker-compose.override.yml",
                                             "docker-compose.override.yaml"};

/* ---- small helpers ------------------------------------------------------------ */

static char *absolute(const char *cwd, const char *path)
{
    struct loader ld = {.dir = cwd};
    return load_abs_path(&ld, path);
}

static const char *env_lookup(const char *name, void *ud)
{
    return kvlist_get(ud, name);
}

struct compose_service *compose_find_service(const struct compose_project *p, const char *name)
{
    size_t at;

    if (p->service_index)
        return strmap_get(p->service_index, name, &at) ? &p->services[at] : NULL;
    for (size_t i = 0; i < p->n_services; i++)
        if (!strcmp(p->services[i].name, name))
            return &p->services[i];
    return NULL;
}

/* Below this many services a search is as quick as a hash */
#define INDEX_FROM 16

void compose_add_service(struct compose_project *p)
{
    const struct compose_service *s = &p->services[p->n_services++];

    if (p->n_services > p->alloc_services)
        abort();
    if (!p->service_index && p->n_services == INDEX_FROM) {
        p->service_index = xcalloc(1, sizeof(*p->service_index));
        for (size_t i = 0; i < p->n_services; i++)
            strmap_add(p->service_index, p->services[i].name, i, NULL);
    } else if (p->service_index) {
        strmap_add(p->service_index, s->name, p->n_services - 1, NULL);
    }
}

int compose_check_services(const struct compose_project *p, const struct strvec *names,
                           struct ds_error *err)
{
    struct buf all = BUF_INIT;

    for (size_t i = 0; names && i < names->n; i++) {
        if (compose_find_service(p, names->v[i]))
            continue;
        for (size_t k = 0; k < p->n_services; k++)
            buf_addf(&all, "%s%s", k ? ", " : "", p->services[k].name);
        ds_error_set(err, DS_ENOTFOUND, "no such service: '%s'", names->v[i]);
        if (all.len)
            ds_error_hint(err, "the services of project '%s' are: %s", p->name, all.buf);
        else
            ds_error_hint(err, "project '%s' has no services", p->name);
        buf_release(&all);
        return DS_ENOTFOUND;
    }
    return 0;
}

struct compose_volume *compose_find_volume(const struct compose_project *p, const char *key)
{
    for (size_t i = 0; i < p->n_volumes; i++)
        if (!strcmp(p->volumes[i].key, key))
            return &p->volumes[i];
    return NULL;
}

struct compose_network *compose_find_network(const struct compose_project *p, const char *key)
{
    for (size_t i = 0; i < p->n_networks; i++)
        if (!strcmp(p->networks[i].key, key))
            return &p->networks[i];
    return NULL;
}

/* ---- names ------------------------------------------------------------------ */

char *compose_normalize_project_name(const char *s)
{
    struct buf b = BUF_INIT;

    for (; *s; s++) {
        char c = *s;

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
            if (!b.len && (c == '_' || c == '-'))
                continue;
            buf_addch(&b, c);
        }
    }
    return buf_detach(&b, NULL);
}

bool compose_valid_project_name(const char *s)
{
    if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

/* ---- freeing ------------------------------------------------------------------ */

static void volume_release(struct compose_volume *v)
{
    free(v->key);
    free(v->name);
    free(v->driver);
    kvlist_clear(&v->driver_opts);
    kvlist_clear(&v->labels);
}

static void network_release(struct compose_network *n)
{
    free(n->key);
    free(n->name);
    free(n->driver);
    kvlist_clear(&n->driver_opts);
    kvlist_clear(&n->labels);
    free(n->ipam_driver);
    kvlist_clear(&n->ipam_options);
    for (size_t i = 0; i < n->n_ipam_config; i++) {
        free(n->ipam_config[i].subnet);
        free(n->ipam_config[i].ip_range);
        free(n->ipam_config[i].gateway);
        kvlist_clear(&n->ipam_config[i].aux_addresses);
    }
    free(n->ipam_config);
}

/* A network's `ipam:` (driver, config: [{subnet, ip_range, gateway, aux_addresses}]). */
static int load_ipam(struct loader *ld, const struct ynode *n, struct compose_network *net)
{
    int rc = 0;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping (driver, config, options)");
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "driver")) {
            rc = load_string(ld, v, &net->ipam_driver);
        } else if (!strcmp(key, "config")) {
            if (!ytree_is_null(v) && v->kind != YNODE_SEQ)
                rc = load_fail(ld, v, "must be a list of address pools");
            for (size_t k = 0; rc == 0 && v->kind == YNODE_SEQ && k < v->n; k++) {
                const struct ynode *e = v->items[k];
                struct compose_ipam_pool *pool;
                size_t saved2 = load_path_index(ld, k);

                net->ipam_config = xrealloc(net->ipam_config,
                                            (net->n_ipam_config + 1) * sizeof(*net->ipam_config));
                pool = &net->ipam_config[net->n_ipam_config++];
                memset(pool, 0, sizeof(*pool));
                if (e->kind != YNODE_MAP)
                    rc = load_fail(ld, e,
                                   "must be a mapping (subnet, ip_range, gateway, "
                                   "aux_addresses)");
                for (size_t j = 0; rc == 0 && j < e->n; j++) {
                    const char *pk = e->keys[j]->text;
                    size_t saved3 = load_path_key(ld, pk);

                    if (!strcmp(pk, "subnet"))
                        rc = load_string(ld, e->items[j], &pool->subnet);
                    else if (!strcmp(pk, "ip_range"))
                        rc = load_string(ld, e->items[j], &pool->ip_range);
                    else if (!strcmp(pk, "gateway"))
                        rc = load_string(ld, e->items[j], &pool->gateway);
                    else if (!strcmp(pk, "aux_addresses"))
                        rc = load_kv(ld, e->items[j], '=', &pool->aux_addresses);
                    else if (!str_starts_with(pk, "x-"))
                        rc = load_fail(ld, e->keys[j],
                                       "unknown key (subnet, ip_range, gateway, "
                                       "aux_addresses)");
                    load_path_pop(ld, saved3);
                }
                load_path_pop(ld, saved2);
            }
        } else if (!strcmp(key, "options")) {
            rc = load_options(ld, v, &net->ipam_options);
        } else if (!str_starts_with(key, "x-")) {
            rc = load_fail(ld, n->keys[i], "unknown key (driver, config, options)");
        }
        load_path_pop(ld, saved);
    }
    return rc;
}

static void project_release(struct compose_project *p)
{
    free(p->name);
    free(p->working_dir);
    strvec_clear(&p->config_files);
    strvec_clear(&p->file_names);
    strvec_clear(&p->env_files);
    kvlist_clear(&p->environment);
    for (size_t i = 0; i < p->n_services; i++)
        compose_service_release(&p->services[i]);
    free(p->services);
    if (p->service_index)
        strmap_release(p->service_index);
    free(p->service_index);
    for (size_t i = 0; i < p->n_volumes; i++)
        volume_release(&p->volumes[i]);
    free(p->volumes);
    for (size_t i = 0; i < p->n_networks; i++)
        network_release(&p->networks[i]);
    free(p->networks);
    compose_file_objects_release(p);
    strvec_clear(&p->profiles);
    cJSON_Delete(p->extensions);
    compose_devcontainer_free(p->devcontainer);
    strvec_clear(&p->warnings);
}

void compose_project_free(struct compose_project *p)
{
    if (!p)
        return;
    project_release(p);
    free(p);
}

static struct compose_project *project_new(void)
{
    struct compose_project *p = xcalloc(1, sizeof(*p));

    strvec_init(&p->config_files);
    strvec_init(&p->file_names);
    strvec_init(&p->env_files);
    strvec_init(&p->profiles);
    strvec_init(&p->warnings);
    return p;
}

/* ---- interpolation of a file's tree ---------------------------------------------- */

struct interp_walk {
    struct loader *ld;
    struct kvlist *env;
    struct strvec unset;
    /* the way down to the node at hand; made into ld->path only for a message */
    const struct ynode *parents[256];
    size_t index[256];
    size_t depth;
};

static void walk_path(struct interp_walk *w)
{
    buf_reset(&w->ld->path);
    for (size_t i = 0; i < w->depth; i++) {
        const struct ynode *p = w->parents[i];

        if (p->kind == YNODE_MAP)
            load_path_key(w->ld, p->keys[w->index[i]]->text);
        else
            load_path_index(w->ld, w->index[i]);
    }
}

static int interpolate_node(struct interp_walk *w, struct ynode *n)
{
    struct loader *ld = w->ld;

    if (n->kind == YNODE_SCALAR) {
        struct buf out = BUF_INIT;
        size_t before = w->unset.n;
        int rc;

        if (!interp_needed(n->text))
            return 0;
        rc = interp_expand(&out, n->text, env_lookup, w->env, &w->unset, ld->err);
        if (rc < 0 || w->unset.n > before)
            walk_path(w);
        if (rc < 0) {
            char *msg = xstrdup(ld->err->msg);
            const char *rest;

            if (str_skip_prefix(msg, "invalid interpolation format", &rest)) {
                rc = ds_error_set(ld->err, DS_EINVAL,
                                  "%s:%d:%d: invalid interpolation format for %s%s", n->file,
                                  n->line, n->col, ld->path.buf, rest);
                ds_error_hint(ld->err, "write a literal $ as $$");
            } else {
                rc = load_fail(ld, n, "%s", msg);
            }
            free(msg);
            buf_release(&out);
            buf_reset(&ld->path);
            return rc;
        }
        for (size_t i = before; i < w->unset.n; i++)
            load_warn(ld, n, "the \"%s\" variable is not set, defaulting to a blank string",
                      w->unset.v[i]);
        buf_reset(&ld->path);
        ytree_set_text(n, out.buf);
        buf_release(&out);
        /* what interpolation made is a string: "${NOPE:+x}" is "", never null */
        n->plain = false;
        return 0;
    }
    if (w->depth == ARRAY_SIZE(w->parents))
        return load_fail(ld, n, "nested too deeply");
    w->parents[w->depth++] = n;
    for (size_t i = 0; i < n->n; i++) {
        int rc;

        w->index[w->depth - 1] = i;
        rc = interpolate_node(w, n->items[i]);
        if (rc < 0) {
            w->depth--;
            return rc;
        }
    }
    w->depth--;
    return 0;
}

/* ---- top-level volumes and networks -------------------------------------------- */

static int load_external(struct loader *ld, const struct ynode *v, bool *external, char **name)
{
    int flag = -1;

    if (ytree_is_null(v))
        return 0;
    if (v->kind == YNODE_MAP) { /* the old `external: {name: x}` */
        *external = true;
        return load_string(ld, ytree_get(v, "name"), name);
    }
    if (load_bool(ld, v, &flag) < 0)
        return DS_EINVAL;
    *external = flag == 1;
    return 0;
}

static int load_top_volumes(struct loader *ld, const struct ynode *n, struct compose_project *p)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping of volume names");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *def = n->items[i];
        struct compose_volume v = {0};
        size_t saved = load_path_key(ld, n->keys[i]->text);
        int rc = 0;

        v.key = xstrdup(n->keys[i]->text);
        v.pos = (struct compose_pos){n->keys[i]->file, n->keys[i]->line, n->keys[i]->col};
        if (def->kind == YNODE_MAP) {
            for (size_t k = 0; k < def->n && rc == 0; k++) {
                const char *key = def->keys[k]->text;
                size_t saved2 = load_path_key(ld, key);

                if (!strcmp(key, "name"))
                    rc = load_string(ld, def->items[k], &v.name);
                else if (!strcmp(key, "external"))
                    rc = load_external(ld, def->items[k], &v.external, &v.name);
                else if (!strcmp(key, "driver"))
                    rc = load_string(ld, def->items[k], &v.driver);
                else if (!strcmp(key, "driver_opts"))
                    rc = load_kv(ld, def->items[k], '=', &v.driver_opts);
                else if (!strcmp(key, "labels"))
                    rc = load_kv(ld, def->items[k], '=', &v.labels);
                else if (!str_starts_with(key, "x-"))
                    rc = load_unknown_key(ld, def->keys[k]);
                load_path_pop(ld, saved2);
            }
        } else if (!ytree_is_null(def)) {
            rc = load_fail(ld, def, "must be a mapping or empty");
        }
        load_path_pop(ld, saved);
        if (rc < 0) {
            volume_release(&v);
            return rc;
        }
        p->volumes = xrealloc(p->volumes, (p->n_volumes + 1) * sizeof(*p->volumes));
        p->volumes[p->n_volumes++] = v;
    }
    return 0;
}

static int load_top_networks(struct loader *ld, const struct ynode *n, struct compose_project *p)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping of network names");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *def = n->items[i];
        struct compose_network net = {.enable_ipv4 = -1, .enable_ipv6 = -1};
        size_t saved = load_path_key(ld, n->keys[i]->text);
        int rc = 0, flag;

        net.key = xstrdup(n->keys[i]->text);
        net.pos = (struct compose_pos){n->keys[i]->file, n->keys[i]->line, n->keys[i]->col};
        if (def->kind == YNODE_MAP) {
            for (size_t k = 0; k < def->n && rc == 0; k++) {
                const char *key = def->keys[k]->text;
                const struct ynode *v = def->items[k];
                size_t saved2 = load_path_key(ld, key);

                flag = -1;
                if (!strcmp(key, "name"))
                    rc = load_string(ld, v, &net.name);
                else if (!strcmp(key, "external"))
                    rc = load_external(ld, v, &net.external, &net.name);
                else if (!strcmp(key, "driver"))
                    rc = load_string(ld, v, &net.driver);
                else if (!strcmp(key, "driver_opts"))
                    rc = load_kv(ld, v, '=', &net.driver_opts);
                else if (!strcmp(key, "labels"))
                    rc = load_kv(ld, v, '=', &net.labels);
                else if (!strcmp(key, "internal")) {
                    rc = load_bool(ld, v, &flag);
                    net.internal = flag == 1;
                } else if (!strcmp(key, "attachable")) {
                    rc = load_bool(ld, v, &flag);
                    net.attachable = flag == 1;
                } else if (!strcmp(key, "enable_ipv4")) {
                    rc = load_bool(ld, v, &net.enable_ipv4);
                } else if (!strcmp(key, "enable_ipv6")) {
                    rc = load_bool(ld, v, &net.enable_ipv6);
                } else if (!strcmp(key, "ipam")) {
                    rc = load_ipam(ld, v, &net);
                } else if (!str_starts_with(key, "x-")) {
                    rc = load_unknown_key(ld, def->keys[k]);
                }
                load_path_pop(ld, saved2);
            }
        } else if (!ytree_is_null(def)) {
            rc = load_fail(ld, def, "must be a mapping or empty");
        }
        load_path_pop(ld, saved);
        if (rc < 0) {
            network_release(&net);
            return rc;
        }
        p->networks = xrealloc(p->networks, (p->n_networks + 1) * sizeof(*p->networks));
        p->networks[p->n_networks++] = net;
    }
    return 0;
}

/* ---- one file ------------------------------------------------------------------ */

/* Read the project's tree (its files merged) into `part`. */
static int load_tree(struct loader *ld, struct ynode *root, struct compose_project *part,
                     char **name)
{
    int rc = 0;

    if (ytree_is_null(root))
        return ds_error_set(ld->err, DS_EINVAL, "%s: the file is empty", ld->file);
    if (root->kind != YNODE_MAP)
        return load_fail(ld, root, "a compose file must be a mapping (services:, volumes:, ...)");
    for (size_t i = 0; i < root->n && rc == 0; i++) {
        const char *key = root->keys[i]->text;
        const struct ynode *v = root->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "services"))
            rc = load_services(ld, v);
        else if (!strcmp(key, "volumes"))
            rc = load_top_volumes(ld, v, part);
        else if (!strcmp(key, "networks"))
            rc = load_top_networks(ld, v, part);
        else if (!strcmp(key, "name"))
            rc = load_string(ld, v, name);
        else if (!strcmp(key, "version"))
            ; /* accepted and ignored, as Compose does */
        else if (!strcmp(key, "configs") || !strcmp(key, "secrets"))
            rc = load_file_objects(ld, key, v, part);
        else if (str_starts_with(key, "x-"))
            compose_extension_set(part, key, v);
        else
            rc = load_unknown_key(ld, root->keys[i]);
        load_path_pop(ld, saved);
    }
    return rc;
}

/* ---- reading files into one tree ------------------------------------------------ */

/* A file read for `extends: {file: ...}`, kept for the other services that name it. */
struct extends_file {
    char *path;
    struct ynode *root;
};

struct tree_load {
    struct compose_project *p; /* warnings; the names of the files read */
    const char *cwd;
    bool interpolate;
    struct ynode **trees; /* every tree read: the merged tree points into them */
    size_t n_trees, alloc_trees;
    struct extends_file *extends;
    size_t n_extends;
    struct strvec includes;  /* the files including the one at hand, outermost first */
    struct strvec extending; /* "file:line:col service" of the services being extended */
    struct ds_error *err;
};

static void tree_load_release(struct tree_load *tl)
{
    for (size_t i = 0; i < tl->n_trees; i++)
        ytree_free(tl->trees[i]);
    free(tl->trees);
    for (size_t i = 0; i < tl->n_extends; i++)
        free(tl->extends[i].path);
    free(tl->extends);
    strvec_clear(&tl->includes);
    strvec_clear(&tl->extending);
}

/* The name messages give a file: relative to where the user stands when under it. */
static const char *shown_name(struct tree_load *tl, const char *path)
{
    const char *rest;

    for (size_t i = 0; i < tl->p->config_files.n && i < tl->p->file_names.n; i++)
        if (!strcmp(tl->p->config_files.v[i], path))
            return tl->p->file_names.v[i];
    for (size_t i = tl->p->config_files.n; i < tl->p->file_names.n; i++) {
        const char *name = tl->p->file_names.v[i];

        if (!strcmp(name, path) ||
            (str_skip_prefix(path, tl->cwd, &rest) && rest[0] == '/' && !strcmp(name, rest + 1)))
            return name;
    }
    if (str_skip_prefix(path, tl->cwd, &rest) && rest[0] == '/')
        strvec_push(&tl->p->file_names, rest + 1);
    else
        strvec_push(&tl->p->file_names, path);
    return tl->p->file_names.v[tl->p->file_names.n - 1];
}

/* Parse and interpolate one file's text with `env`; the tree is kept in tl. */
static int parse_tree(struct tree_load *tl, const char *shown, const char *text, size_t len,
                      const struct kvlist *env, struct ynode **out)
{
    struct loader ld = {.p = tl->p, .file = shown, .path = BUF_INIT, .err = tl->err};
    struct ynode *root = NULL;
    int rc;

    *out = NULL;
    rc = ytree_parse(&root, text, len, shown, tl->err);
    if (rc < 0)
        return rc;
    tl->trees = xgrow(tl->trees, &tl->alloc_trees, tl->n_trees + 1, sizeof(*tl->trees));
    tl->trees[tl->n_trees++] = root;
    if (ytree_is_null(root)) {
        *out = root; /* the caller says whether it may be */
        return 0;
    }
    if (root->kind != YNODE_MAP)
        return load_fail(&ld, root, "a compose file must be a mapping (services:, volumes:, ...)");
    if (tl->interpolate) {
        struct interp_walk *w = xcalloc(1, sizeof(*w));

        w->ld = &ld;
        w->env = (struct kvlist *)env;
        strvec_init(&w->unset);
        rc = interpolate_node(w, root);
        strvec_clear(&w->unset);
        free(w);
    }
    buf_release(&ld.path);
    if (rc == 0)
        *out = root;
    return rc;
}

/* Read one file (`path` absolute): parse_tree(). */
static int read_tree(struct tree_load *tl, const char *path, const struct kvlist *env,
                     struct ynode **out)
{
    const char *shown = shown_name(tl, path);
    struct buf text = BUF_INIT;
    int rc;

    *out = NULL;
    rc = buf_read_file(&text, path, COMPOSE_FILE_MAX);
    if (rc == -EFBIG)
        rc = ds_error_set(tl->err, DS_EINVAL, "'%s' is larger than %u MiB", shown,
                          COMPOSE_FILE_MAX >> 20);
    else if (rc < 0)
        rc = ds_error_errno(tl->err, -rc, "cannot read compose file '%s'", shown);
    else
        rc = parse_tree(tl, shown, text.buf, text.len, env, out);
    buf_release(&text);
    return rc;
}

static int tree_fail(struct tree_load *tl, const struct ynode *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int tree_fail(struct tree_load *tl, const struct ynode *n, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    buf_addf(&b, "%s:%d:%d: ", n->file, n->line, n->col);
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    ds_error_set(tl->err, DS_EINVAL, "%s", b.buf);
    buf_release(&b);
    return DS_EINVAL;
}

static char *resolve_against(const char *dir, const char *path)
{
    char *joined = path_join(dir, path), *clean = path_normalize(joined);

    free(joined);
    return clean;
}

/* ---- extends ----------------------------------------------------------------------- */

/* The services of a file named by `extends: {file: ...}`: read once, its paths made absolute. */
static int extends_services(struct tree_load *tl, const char *path, const struct kvlist *env,
                            const struct ynode *at, struct ynode **out)
{
    struct ynode *root;
    char *dir;
    int rc;

    for (size_t i = 0; i < tl->n_extends; i++) {
        if (!strcmp(tl->extends[i].path, path)) {
            *out = ytree_get(tl->extends[i].root, "services");
            return 0;
        }
    }
    if (!path_is_file(path))
        return tree_fail(tl, at, "extends: cannot read '%s': no such file", path);
    rc = read_tree(tl, path, env, &root);
    if (rc < 0)
        return rc;
    dir = path_dirname(path);
    if (ytree_is_null(root))
        root = ytree_new(root, YNODE_MAP);
    compose_tree_strip_resets(root);
    compose_tree_rebase(root, dir);
    free(dir);
    tl->extends = xrealloc(tl->extends, (tl->n_extends + 1) * sizeof(*tl->extends));
    tl->extends[tl->n_extends].path = xstrdup(path);
    tl->extends[tl->n_extends++].root = root;
    *out = ytree_get(root, "services");
    return 0;
}

static int extend_service(struct tree_load *tl, struct ynode *services, size_t i, const char *dir,
                          const struct kvlist *env);

/*
 * Resolve `extends` of services->items[i], a service of the file whose
 * relative `extends.file` starts at dir: the service becomes its base with
 * the service merged onto it, as Compose's rules merge a later file.
 */
static int extend_service(struct tree_load *tl, struct ynode *services, size_t i, const char *dir,
                          const struct kvlist *env)
{
    struct ynode *s = services->items[i], *ext, *from = services, *base_n, *copy;
    const struct ynode *service = NULL, *file = NULL;
    const char *name = services->keys[i]->text;
    char *path = NULL, *base_dir = NULL;
    struct buf who = BUF_INIT, self = BUF_INIT;
    long at_ext, at_base;
    int rc = 0;

    if (s->kind != YNODE_MAP || (at_ext = ytree_find(s, "extends")) < 0)
        return 0;
    ext = s->items[at_ext];
    if (ext->kind == YNODE_SCALAR) {
        service = ext;
    } else if (ext->kind == YNODE_MAP) {
        for (size_t k = 0; k < ext->n; k++) {
            const char *key = ext->keys[k]->text;

            if (!strcmp(key, "service"))
                service = ext->items[k];
            else if (!strcmp(key, "file"))
                file = ext->items[k];
            else
                return tree_fail(tl, ext->keys[k], "services.%s.extends: unknown key '%s'", name,
                                 key);
        }
    }
    if (!service || service->kind != YNODE_SCALAR || !*service->text)
        return tree_fail(tl, ext,
                         "services.%s.extends: name the service to extend: 'extends: NAME' or "
                         "'extends: {service: NAME, file: FILE}'",
                         name);
    if (file && (file->kind != YNODE_SCALAR || !*file->text))
        return tree_fail(tl, file, "services.%s.extends.file: must be a file name", name);
    if (file)
        path = resolve_against(dir, file->text);
    buf_addf(&who, "%s:%s", file ? shown_name(tl, path) : s->file, service->text);
    buf_addf(&self, "%s:%s", s->file, name);
    if (!strcmp(who.buf, self.buf) || strvec_contains(&tl->extending, who.buf)) {
        struct buf chain = BUF_INIT;
        size_t k = 0;

        while (k < tl->extending.n && strcmp(tl->extending.v[k], who.buf))
            k++;
        for (; k < tl->extending.n; k++)
            buf_addf(&chain, "%s -> ", strrchr(tl->extending.v[k], ':') + 1);
        buf_addf(&chain, "%s -> %s", name, service->text);
        rc = tree_fail(tl, ext, "services.%s.extends: extends cycle: %s", name, chain.buf);
        buf_release(&chain);
        goto done;
    }
    strvec_push(&tl->extending, self.buf);
    if (file) {
        base_dir = path_dirname(path);
        rc = extends_services(tl, path, env, file, &from);
        if (rc < 0)
            goto pop;
    } else {
        base_dir = xstrdup(dir);
    }
    at_base = ytree_find(from, service->text);
    if (at_base < 0) {
        rc = tree_fail(tl, service, "services.%s.extends: no service '%s' in '%s'", name,
                       service->text, file ? shown_name(tl, path) : s->file);
        goto pop;
    }
    rc = extend_service(tl, from, (size_t)at_base, base_dir, env);
    if (rc < 0)
        goto pop;
    base_n = from->items[at_base];
    if (base_n->kind != YNODE_MAP && !ytree_is_null(base_n)) {
        rc = tree_fail(tl, base_n, "services.%s: a service must be a mapping", service->text);
        goto pop;
    }
    copy = base_n->kind == YNODE_MAP ? ytree_copy(base_n) : ytree_new(s, YNODE_MAP);
    ytree_remove(s, (size_t)at_ext);
    rc = compose_tree_extend(copy, s, name, tl->err);
    if (rc == 0)
        ytree_set_item(services, i, copy);
pop:
    free(tl->extending.v[--tl->extending.n]);
done:
    free(path);
    free(base_dir);
    buf_release(&who);
    buf_release(&self);
    return rc;
}

static int apply_extends(struct tree_load *tl, struct ynode *root, const char *dir,
                         const struct kvlist *env)
{
    struct ynode *services = ytree_get(root, "services");
    int rc = 0;

    for (size_t i = 0; services && services->kind == YNODE_MAP && i < services->n && rc == 0; i++)
        rc = extend_service(tl, services, i, dir, env);
    return rc;
}

/* ---- include ------------------------------------------------------------------------ */

static int load_files(struct tree_load *tl, const struct strvec *paths, const char *dir,
                      const struct kvlist *env, struct ynode **out);

/* The same value, as Compose compares what two projects define (mappings in any order). */
static bool tree_equal(const struct ynode *a, const struct ynode *b)
{
    if (ytree_is_null(a) || ytree_is_null(b))
        return ytree_is_null(a) && ytree_is_null(b);
    if (a->kind != b->kind || a->n != b->n)
        return false;
    if (a->kind == YNODE_SCALAR)
        return !strcmp(a->text, b->text);
    for (size_t i = 0; i < a->n; i++) {
        const struct ynode *other =
                a->kind == YNODE_MAP ? ytree_get(b, a->keys[i]->text) : b->items[i];

        if (!other || !tree_equal(a->items[i], other))
            return false;
    }
    return true;
}

/* Add what an included project defines to the including file's tree: a name defined twice,
 * differently, is an error. */
static int import_resources(struct tree_load *tl, struct ynode *root, struct ynode *included,
                            const struct ynode *at)
{
    static const char *const kinds[] = {"services", "volumes", "networks", "secrets", "configs"};

    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        struct ynode *from = ytree_get(included, kinds[k]), *to;

        if (!from || from->kind != YNODE_MAP || !from->n)
            continue;
        to = ytree_get(root, kinds[k]);
        if (!to || ytree_is_null(to)) {
            long pos = ytree_find(root, kinds[k]);

            to = ytree_new(from, YNODE_MAP);
            if (pos >= 0)
                ytree_set_item(root, (size_t)pos, to);
            else
                ytree_push(root, ytree_new_scalar(from, kinds[k]), to);
        }
        if (to->kind != YNODE_MAP)
            return tree_fail(tl, to, "%s: must be a mapping", kinds[k]);
        for (size_t i = 0; i < from->n; i++) {
            long mine = ytree_find(to, from->keys[i]->text);
            const struct ynode *key;

            if (mine < 0) {
                ytree_push(to, from->keys[i], from->items[i]);
                continue;
            }
            if (tree_equal(to->items[mine], from->items[i]))
                continue;
            key = to->keys[mine];
            return tree_fail(tl, at,
                             "include: %s.%s of '%s' (line %d) is also defined at %s:%d:%d; "
                             "define it once",
                             kinds[k], from->keys[i]->text, from->keys[i]->file,
                             from->keys[i]->line, key->file, key->line, key->col);
        }
    }
    return 0;
}

/* Strings of a `path` or `env_file` entry: one string or a list of them. */
static int include_strings(struct tree_load *tl, const struct ynode *n, const char *what,
                           struct strvec *out, const char *dir)
{
    if (n->kind == YNODE_SCALAR) {
        strvec_push_nodup(out, resolve_against(dir, n->text));
        return 0;
    }
    if (n->kind != YNODE_SEQ || !n->n)
        return tree_fail(tl, n, "include.%s: must be a file name or a list of them", what);
    for (size_t i = 0; i < n->n; i++) {
        if (n->items[i]->kind != YNODE_SCALAR || !*n->items[i]->text)
            return tree_fail(tl, n->items[i], "include.%s: must be a file name", what);
        strvec_push_nodup(out, resolve_against(dir, n->items[i]->text));
    }
    return 0;
}

/* One entry of `include:` (its position `at`), relative paths starting at dir. */
static int include_one(struct tree_load *tl, struct ynode *root, const struct ynode *entry,
                       const char *dir, const struct kvlist *env)
{
    struct strvec paths = STRVEC_INIT, env_files = STRVEC_INIT;
    struct kvlist own = KVLIST_INIT, from_files = KVLIST_INIT;
    const struct ynode *project_dir = NULL;
    struct ynode *tree = NULL;
    char *pdir = NULL;
    int rc = 0;

    if (entry->kind == YNODE_SCALAR) {
        rc = include_strings(tl, entry, "path", &paths, dir);
    } else if (entry->kind == YNODE_MAP) {
        for (size_t k = 0; k < entry->n && rc == 0; k++) {
            const char *key = entry->keys[k]->text;
            const struct ynode *v = entry->items[k];

            if (!strcmp(key, "path"))
                rc = include_strings(tl, v, "path", &paths, dir);
            else if (!strcmp(key, "env_file"))
                rc = include_strings(tl, v, "env_file", &env_files, dir);
            else if (!strcmp(key, "project_directory") && v->kind == YNODE_SCALAR)
                project_dir = v;
            else
                rc = tree_fail(tl, entry->keys[k], "include: unknown key '%s'", key);
        }
        if (rc == 0 && !paths.n)
            rc = tree_fail(tl, entry, "include: an entry needs a 'path'");
    } else {
        rc = tree_fail(tl, entry, "include: an entry is a file name or a mapping with 'path'");
    }
    if (rc < 0)
        goto done;
    if (strvec_contains(&tl->includes, paths.v[0])) {
        struct buf chain = BUF_INIT;
        size_t k = 0;

        while (strcmp(tl->includes.v[k], paths.v[0]))
            k++;
        for (; k < tl->includes.n; k++)
            buf_addf(&chain, "%s -> ", shown_name(tl, tl->includes.v[k]));
        buf_adds(&chain, shown_name(tl, paths.v[0]));
        rc = tree_fail(tl, entry, "include cycle: %s", chain.buf);
        buf_release(&chain);
        goto done;
    }
    for (size_t i = 0; i < paths.n; i++) {
        if (!path_is_file(paths.v[i])) {
            rc = tree_fail(tl, entry, "include: cannot read '%s': no such file", paths.v[i]);
            goto done;
        }
    }
    pdir = project_dir ? resolve_against(dir, project_dir->text) : path_dirname(paths.v[0]);
    /* the included project's variables: its env files (or .env) under what the includer sees */
    if (!env_files.n) {
        char *dotenv = path_join(pdir, ".env");

        if (path_is_file(dotenv))
            strvec_push_nodup(&env_files, dotenv);
        else
            free(dotenv);
    }
    for (size_t i = 0; i < env_files.n && rc == 0; i++) {
        rc = dotenv_load(&from_files, env_files.v[i], env_lookup, (void *)env, tl->err);
        if (rc < 0)
            ds_error_wrap(tl->err, "%s:%d:%d: include.env_file", entry->file, entry->line,
                          entry->col);
    }
    if (rc < 0)
        goto done;
    kvlist_copy(&own, &from_files);
    kvlist_copy(&own, env);
    rc = load_files(tl, &paths, pdir, &own, &tree);
    if (rc == 0) {
        compose_tree_rebase(tree, pdir);
        rc = import_resources(tl, root, tree, entry);
    }
done:
    free(pdir);
    strvec_clear(&paths);
    strvec_clear(&env_files);
    kvlist_clear(&own);
    kvlist_clear(&from_files);
    return rc;
}

static int apply_include(struct tree_load *tl, struct ynode *root, const char *dir,
                         const struct kvlist *env)
{
    long at = ytree_find(root, "include");
    struct ynode *list;
    int rc = 0;

    if (at < 0)
        return 0;
    list = root->items[at];
    ytree_remove(root, (size_t)at);
    if (ytree_is_null(list))
        return 0;
    if (list->kind != YNODE_SEQ)
        return tree_fail(tl, list, "include: must be a list of files");
    for (size_t i = 0; i < list->n && rc == 0; i++)
        rc = include_one(tl, root, list->items[i], dir, env);
    return rc;
}

/* A file's `extends` and then its `include`, as Compose does, before it is merged. */
static int resolve_tree(struct tree_load *tl, struct ynode *root, const char *path, const char *dir,
                        const struct kvlist *env)
{
    int rc = apply_extends(tl, root, dir, env);

    if (rc < 0)
        return rc;
    strvec_push(&tl->includes, path);
    rc = apply_include(tl, root, dir, env);
    free(tl->includes.v[--tl->includes.n]);
    return rc;
}

/*
 * The files of one project (absolute paths) as one tree: each read,
 * interpolated with env, its `extends` and `include` resolved, then merged
 * in order. Relative paths of extends.file and include start at dir.
 */
static int load_files(struct tree_load *tl, const struct strvec *paths, const char *dir,
                      const struct kvlist *env, struct ynode **out)
{
    struct ynode *merged = NULL;
    int rc = 0;

    for (size_t i = 0; i < paths->n && rc == 0; i++) {
        struct ynode *root;

        rc = read_tree(tl, paths->v[i], env, &root);
        if (rc == 0 && ytree_is_null(root)) {
            /* as in Compose: a later or included file may be empty, the project's first not */
            if (i == 0 && !tl->includes.n)
                rc = ds_error_set(tl->err, DS_EINVAL, "%s: the file is empty", root->file);
            else
                continue;
        }
        if (rc == 0)
            rc = resolve_tree(tl, root, paths->v[i], dir, env);
        if (rc < 0)
            break;
        if (!merged) {
            compose_tree_strip_resets(root);
            merged = root;
        } else {
            rc = compose_tree_merge(merged, root, tl->err);
        }
    }
    if (rc == 0)
        compose_tree_unique(merged);
    *out = rc == 0 ? merged : NULL;
    return rc;
}

/* ---- after the merge ------------------------------------------------------------ */

/* A build arg without a value takes the environment's, as Compose resolves it; unset, none. */
static void resolve_build_args(const struct compose_project *p, struct compose_service *s)
{
    struct kvlist *args = s->build ? &s->build->args : NULL;

    for (size_t i = 0; args && i < args->n;) {
        const char *v;

        if (args->items[i].value) {
            i++;
        } else if ((v = kvlist_get(&p->environment, args->items[i].key))) {
            kvlist_set(args, args->items[i].key, v);
            i++;
        } else {
            kvlist_remove(args, args->items[i].key);
        }
    }
}

/* env_file values first, then `environment`; a key without a value comes from the environment. */
static int resolve_environment(struct compose_project *p, struct compose_service *s,
                               struct ds_error *err)
{
    struct kvlist resolved = KVLIST_INIT;

    for (size_t i = 0; i < s->n_env_files; i++) {
        const struct compose_env_file *f = &s->env_files[i];
        int rc;

        if (!path_is_file(f->path) && !f->required)
            continue;
        rc = (f->raw ? dotenv_load_raw : dotenv_load)(&resolved, f->path, env_lookup,
                                                      &p->environment, err);
        if (rc < 0) {
            kvlist_clear(&resolved);
            return ds_error_wrap(err, "%s:%d:%d: services.%s.env_file", s->pos.file, s->pos.line,
                                 s->pos.col, s->name);
        }
    }
    for (size_t i = 0; i < s->environment.n; i++) {
        const struct kv *kv = &s->environment.items[i];
        const char *v = kv->value ? kv->value : kvlist_get(&p->environment, kv->key);

        if (v)
            kvlist_set(&resolved, kv->key, v);
    }
    kvlist_clear(&s->environment);
    s->environment = resolved;
    resolve_build_args(p, s);
    return 0;
}

static char *scoped_name(const char *project, const char *key)
{
    struct buf b = BUF_INIT;

    buf_addf(&b, "%s_%s", project, key);
    return buf_detach(&b, NULL);
}

static bool uses_default_network(const struct compose_service *s)
{
    if (s->network_mode)
        return false;
    if (!s->n_networks)
        return true;
    for (size_t i = 0; i < s->n_networks; i++)
        if (!strcmp(s->networks[i].name, "default"))
            return true;
    return false;
}

static int check_services(struct compose_project *p, struct ds_error *err)
{
    for (size_t i = 0; i < p->n_services; i++) {
        struct compose_service *s = &p->services[i];

        if (!s->image && !s->build)
            return compose_fail_at(err, s->pos,
                                   "service '%s' has neither an image nor a build context; add "
                                   "'image:' or 'build:'",
                                   s->name);
        for (size_t d = 0; d < s->n_depends_on; d++)
            if (!compose_find_service(p, s->depends_on[d].service))
                return compose_fail_at(err, s->depends_on[d].pos,
                                       "services.%s.depends_on: service '%s' depends on undefined "
                                       "service '%s'",
                                       s->name, s->name, s->depends_on[d].service);
        for (size_t v = 0; v < s->n_volumes; v++) {
            const struct compose_mount *m = &s->volumes[v];

            if (m->type == COMPOSE_MOUNT_VOLUME && m->source && !compose_find_volume(p, m->source))
                return compose_fail_at(
                        err, m->pos,
                        "services.%s.volumes: service '%s' refers to undefined volume "
                        "'%s'; declare it under the top-level 'volumes:'",
                        s->name, s->name, m->source);
        }
        for (size_t n = 0; n < s->n_networks; n++)
            if (strcmp(s->networks[n].name, "default") &&
                !compose_find_network(p, s->networks[n].name))
                return compose_fail_at(
                        err, s->pos,
                        "services.%s.networks: service '%s' refers to undefined network "
                        "'%s'; declare it under the top-level 'networks:'",
                        s->name, s->name, s->networks[n].name);
    }
    return 0;
}

static void enable(struct compose_project *p, struct compose_service *s)
{
    if (s->enabled)
        return;
    s->enabled = true;
    for (size_t d = 0; d < s->n_depends_on; d++) {
        struct compose_service *dep = compose_find_service(p, s->depends_on[d].service);
        if (dep)
            enable(p, dep);
    }
}

static int apply_profiles(struct compose_project *p, const struct compose_options *o,
                          struct ds_error *err)
{
    const char *env = kvlist_get(&p->environment, "COMPOSE_PROFILES");

    if (o->profiles && o->profiles->n) {
        for (size_t i = 0; i < o->profiles->n; i++)
            strvec_split(&p->profiles, o->profiles->v[i], ',');
    } else if (env) {
        strvec_split(&p->profiles, env, ',');
    }
    if (compose_check_services(p, o->services, err) < 0)
        return DS_ENOTFOUND;
    for (size_t i = 0; o->services && i < o->services->n; i++)
        enable(p, compose_find_service(p, o->services->v[i]));
    for (size_t i = 0; i < p->n_services; i++) {
        struct compose_service *s = &p->services[i];
        bool on = s->profiles.n == 0 || strvec_contains(&p->profiles, "*");

        for (size_t k = 0; !on && k < s->profiles.n; k++)
            on = strvec_contains(&p->profiles, s->profiles.v[k]);
        if (on)
            enable(p, s);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void compose_profiles(const struct compose_project *p, struct strvec *out)
{
    size_t start = out->n;

    for (size_t i = 0; i < p->n_services; i++)
        for (size_t k = 0; k < p->services[i].profiles.n; k++)
            if (!strvec_contains(out, p->services[i].profiles.v[k]))
                strvec_push(out, p->services[i].profiles.v[k]);
    /* sorted, as a list a user scans */
    qsort(out->v + start, out->n - start, sizeof(*out->v), cmp_str);
}

void compose_select_services(struct compose_project *p, const struct strvec *names)
{
    for (size_t i = 0; i < p->n_services; i++)
        p->services[i].enabled = false;
    for (size_t i = 0; i < names->n; i++) {
        struct compose_service *s = compose_find_service(p, names->v[i]);

        if (s)
            enable(p, s);
    }
}

static int finish(struct compose_project *p, const struct compose_options *o, char *file_name,
                  struct ds_error *err)
{
    const char *explicit_name =
            o->project_name ? o->project_name : kvlist_get(&p->environment, "COMPOSE_PROJECT_NAME");
    struct compose_layers layers = {0};
    bool need_default = false;
    int rc;

    if (!explicit_name || !*explicit_name)
        explicit_name = file_name;
    if (explicit_name && *explicit_name) {
        if (!compose_valid_project_name(explicit_name)) {
            ds_error_set(err, DS_EINVAL, "invalid project name '%s'", explicit_name);
            ds_error_hint(err, "use lowercase letters, digits, '-' and '_', starting with a "
                               "letter or digit");
            return DS_EINVAL;
        }
        p->name = xstrdup(explicit_name);
    } else {
        p->name = compose_normalize_project_name(path_basename(p->working_dir));
        if (!*p->name) {
            ds_error_set(err, DS_EINVAL, "cannot make a project name from the directory '%s'",
                         p->working_dir);
            ds_error_hint(err, "name the project with -p NAME or a top-level 'name:'");
            return DS_EINVAL;
        }
    }

    for (size_t i = 0; i < p->n_volumes; i++) {
        struct compose_volume *v = &p->volumes[i];
        if (!v->name)
            v->name = v->external ? xstrdup(v->key) : scoped_name(p->name, v->key);
    }
    for (size_t i = 0; i < p->n_services; i++)
        need_default = need_default || uses_default_network(&p->services[i]);
    if (need_default && !compose_find_network(p, "default")) {
        struct compose_network net = {.enable_ipv4 = -1, .enable_ipv6 = -1};

        net.key = xstrdup("default");
        p->networks = xrealloc(p->networks, (p->n_networks + 1) * sizeof(*p->networks));
        p->networks[p->n_networks++] = net;
    }
    for (size_t i = 0; i < p->n_networks; i++) {
        struct compose_network *n = &p->networks[i];
        if (!n->name)
            n->name = n->external ? xstrdup(n->key) : scoped_name(p->name, n->key);
    }

    rc = compose_finish_file_objects(p, err);
    for (size_t i = 0; rc == 0 && i < p->n_services; i++)
        rc = compose_service_finish(p, &p->services[i], err);
    if (rc == 0)
        rc = check_services(p, err);
    for (size_t i = 0; rc == 0 && i < p->n_services; i++)
        rc = resolve_environment(p, &p->services[i], err);
    if (rc == 0)
        rc = apply_profiles(p, o, err);
    if (rc == 0)
        rc = compose_layers(p, &layers, err); /* refuses cycles */
    compose_layers_release(&layers);
    return rc;
}

struct layered_env {
    const struct kvlist *first, *then;
};

/* The shell environment, then what earlier .env files set. */
static const char *layered_lookup(const char *name, void *ud)
{
    const struct layered_env *l = ud;
    const char *v = kvlist_get(l->first, name);

    return v ? v : kvlist_get(l->then, name);
}

/* The process environment over the .env files. */
static int read_environment(struct compose_project *p, const struct compose_options *o,
                            const char *cwd, struct ds_error *err)
{
    char *const *envp = o->environ ? o->environ : environ;
    struct kvlist shell = KVLIST_INIT, dotenv = KVLIST_INIT;
    int rc = 0;

    for (char *const *e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        char *key;

        if (!eq || eq == *e)
            continue;
        key = xstrndup(*e, (size_t)(eq - *e));
        kvlist_set(&shell, key, eq + 1);
        free(key);
    }
    if (o->env_files && o->env_files->n) {
        for (size_t i = 0; i < o->env_files->n; i++)
            strvec_push_nodup(&p->env_files, absolute(cwd, o->env_files->v[i]));
    } else {
        char *path = path_join(p->working_dir, ".env");

        if (path_is_file(path))
            strvec_push_nodup(&p->env_files, path);
        else
            free(path);
    }
    for (size_t i = 0; i < p->env_files.n && rc == 0; i++) {
        struct layered_env layers = {&shell, &dotenv};

        rc = dotenv_load(&dotenv, p->env_files.v[i], layered_lookup, &layers, err);
    }
    /* the shell environment wins over .env */
    kvlist_copy(&p->environment, &dotenv);
    kvlist_copy(&p->environment, &shell);
    kvlist_clear(&shell);
    kvlist_clear(&dotenv);
    return rc;
}

/*
 * The first of `names` in dir (NULL: none), with a warning when several
 * are there, as Compose gives. Caller frees.
 */
static char *first_of(struct compose_project *p, const char *dir, const char *const *names,
                      size_t n)
{
    struct strvec found = STRVEC_INIT;
    char *winner = NULL;

    for (size_t i = 0; i < n; i++) {
        char *path = path_join(dir, names[i]);

        if (path_is_file(path))
            strvec_push_nodup(&found, path);
        else
            free(path);
    }
    if (found.n > 1) {
        struct buf b = BUF_INIT;

        for (size_t i = 0; i < found.n; i++)
            buf_addf(&b, "%s%s", i ? ", " : "", path_basename(found.v[i]));
        buf_addf(&b, " are all in '%s'; using %s", dir, path_basename(found.v[0]));
        strvec_push_nodup(&p->warnings, buf_detach(&b, NULL));
    }
    if (found.n)
        winner = xstrdup(found.v[0]);
    strvec_clear(&found);
    return winner;
}

/*
 * No -f and no COMPOSE_FILE: a compose file in `start`, else in its
 * compose/ folder, else in each parent directory the same way, as Compose
 * looks (the compose/ folder is devstack's); with it the override file
 * beside it.
 */
static int discover(struct compose_project *p, const char *start, const char *cwd,
                    struct ds_error *err)
{
    char *dir = absolute(cwd, start);

    for (;;) {
        static const char *const subdirs[] = {"", "compose"};
        char *parent;

        for (size_t d = 0; d < ARRAY_SIZE(subdirs); d++) {
            char *in = *subdirs[d] ? path_join(dir, subdirs[d]) : xstrdup(dir);
            char *file = first_of(p, in, discovery_names, ARRAY_SIZE(discovery_names));
            char *over;

            if (!file) {
                free(in);
                continue;
            }
            strvec_push_nodup(&p->config_files, file);
            over = first_of(p, in, override_names, ARRAY_SIZE(override_names));
            if (over)
                strvec_push_nodup(&p->config_files, over);
            free(in);
            free(dir);
            return 0;
        }
        parent = path_dirname(dir);
        if (!strcmp(parent, dir)) {
            free(parent);
            break;
        }
        free(dir);
        dir = parent;
    }
    free(dir);
    dir = absolute(cwd, start);
    ds_error_set(err, DS_ENOTFOUND,
                 "no compose file found in '%s', its compose/ folder or any parent directory", dir);
    ds_error_hint(err, "name one with -f FILE, or create compose.yaml");
    free(dir);
    return DS_ENOTFOUND;
}

static int find_files(struct compose_project *p, const struct compose_options *o, const char *cwd,
                      struct ds_error *err)
{
    const char *env_files = NULL;
    char *const *envp = o->environ ? o->environ : environ;

    if (o->files && o->files->n) {
        for (size_t i = 0; i < o->files->n; i++)
            strvec_push_nodup(&p->config_files, absolute(cwd, o->files->v[i]));
    } else {
        for (char *const *e = envp; e && *e; e++)
            if (str_skip_prefix(*e, "COMPOSE_FILE=", &env_files))
                break;
        if (env_files && *env_files) {
            struct strvec parts = STRVEC_INIT;

            strvec_split(&parts, env_files, ':');
            for (size_t i = 0; i < parts.n; i++)
                strvec_push_nodup(&p->config_files, absolute(cwd, parts.v[i]));
            strvec_clear(&parts);
        } else {
            const char *base = o->project_directory ? o->project_directory : cwd;
            int rc = discover(p, base, cwd, err);

            if (rc < 0)
                return rc;
        }
    }
    for (size_t i = 0; i < p->config_files.n; i++) {
        if (!path_is_file(p->config_files.v[i])) {
            ds_error_errno(err, ENOENT, "cannot read compose file '%s'", p->config_files.v[i]);
            return DS_ENOTFOUND;
        }
    }
    return 0;
}

static int current_dir(char **out, const struct compose_options *o, struct ds_error *err)
{
    char cwd_buf[PATH_MAX];

    if (o->working_directory)
        *out = xstrdup(o->working_directory);
    else if (getcwd(cwd_buf, sizeof(cwd_buf)))
        *out = xstrdup(cwd_buf);
    else
        return ds_error_errno(err, errno, "cannot find the current directory");
    return 0;
}

/* --project-directory, else the first compose file's directory (find_files() ran). */
static char *project_dir(const struct compose_project *p, const struct compose_options *o,
                         const char *cwd)
{
    return o->project_directory ? absolute(cwd, o->project_directory)
                                : path_dirname(p->config_files.v[0]);
}

int compose_project_dir(char **out, const struct compose_options *o, struct ds_error *err)
{
    struct compose_project *p = project_new();
    char *cwd = NULL;
    int rc;

    *out = NULL;
    rc = current_dir(&cwd, o, err);
    if (rc == 0)
        rc = find_files(p, o, cwd, err);
    if (rc == 0)
        *out = project_dir(p, o, cwd);
    free(cwd);
    compose_project_free(p);
    return rc;
}

/* The merged tree of the project's files into the model, then what only the whole project can tell.
 */
static int build_model(struct compose_project *p, struct tree_load *tl, struct ynode *root,
                       const struct compose_options *o, struct ds_error *err)
{
    struct loader ld = {.p = p,
                        .file = p->file_names.v[0],
                        .dir = p->working_dir,
                        .path = BUF_INIT,
                        .err = err};
    char *name = NULL;
    int rc;

    (void)tl;
    ld.home = kvlist_get(&p->environment, "HOME");
    rc = load_tree(&ld, root, p, &name);
    buf_release(&ld.path);
    if (rc == 0)
        rc = finish(p, o, name, err);
    free(name);
    return rc;
}

/* Which files an error came from, when there are several. */
static void hint_files(const struct compose_project *p, struct ds_error *err)
{
    struct buf b = BUF_INIT;

    if (p->config_files.n < 2 || err->hint)
        return;
    for (size_t i = 0; i < p->config_files.n; i++)
        buf_addf(&b, "%s%s", i ? ", " : "", p->file_names.v[i]);
    ds_error_hint(err, "the files read, in order: %s", b.buf);
    buf_release(&b);
}

/*
 * The files (find_files()), the project directory, the environment
 * interpolation sees, and the files' names as messages give them: relative
 * to where the user stands.
 */
static int locate(struct compose_project *p, const struct compose_options *o, const char *cwd,
                  struct ds_error *err)
{
    int rc = find_files(p, o, cwd, err);

    if (rc < 0)
        return rc;
    p->working_dir = project_dir(p, o, cwd);
    rc = read_environment(p, o, cwd, err);
    for (size_t i = 0; i < p->config_files.n; i++) {
        const char *rest;

        if (str_skip_prefix(p->config_files.v[i], cwd, &rest) && rest[0] == '/')
            strvec_push(&p->file_names, rest + 1);
        else
            strvec_push(&p->file_names, p->config_files.v[i]);
    }
    return rc;
}

int compose_locate(struct compose_project **out, const struct compose_options *o,
                   struct ds_error *err)
{
    struct compose_project *p = project_new();
    char *cwd = NULL;
    int rc;

    *out = NULL;
    rc = current_dir(&cwd, o, err);
    if (rc == 0)
        rc = locate(p, o, cwd, err);
    free(cwd);
    if (rc < 0) {
        compose_project_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int compose_load(struct compose_project **out, const struct compose_options *o,
                 struct ds_error *err)
{
    struct compose_project *p = project_new();
    struct tree_load tl = {.p = p, .interpolate = !o->no_interpolate, .err = err};
    struct ynode *root = NULL;
    char *cwd = NULL;
    int rc;

    *out = NULL;
    strvec_init(&tl.includes);
    strvec_init(&tl.extending);
    rc = current_dir(&cwd, o, err);
    if (rc < 0)
        goto done;
    tl.cwd = cwd;
    rc = locate(p, o, cwd, err);
    if (rc == 0)
        rc = load_files(&tl, &p->config_files, p->working_dir, &p->environment, &root);
    if (rc == 0)
        rc = build_model(p, &tl, root, o, err);
    if (rc == 0)
        compose_find_devcontainer(p);
    if (rc < 0)
        hint_files(p, err);

done:
    tree_load_release(&tl);
    free(cwd);
    /* a failed load still hands back its warnings: they may explain the error */
    *out = p;
    return rc;
}

int compose_load_text(struct compose_project **out, const char *text, size_t len, const char *path,
                      const struct compose_options *o, struct ds_error *err)
{
    struct compose_project *p = project_new();
    struct tree_load tl = {.p = p, .interpolate = !o->no_interpolate, .err = err};
    struct ynode *root = NULL;
    int rc;

    *out = NULL;
    strvec_init(&tl.includes);
    strvec_init(&tl.extending);
    strvec_push(&p->config_files, path);
    strvec_push(&p->file_names, path);
    p->working_dir = o->project_directory ? xstrdup(o->project_directory) : path_dirname(path);
    tl.cwd = p->working_dir;
    rc = read_environment(p, o, p->working_dir, err);
    if (rc == 0)
        rc = parse_tree(&tl, p->file_names.v[0], text, len, &p->environment, &root);
    if (rc == 0 && ytree_is_null(root))
        rc = ds_error_set(err, DS_EINVAL, "%s: the file is empty", path);
    if (rc == 0)
        rc = resolve_tree(&tl, root, path, p->working_dir, &p->environment);
    if (rc == 0) {
        compose_tree_strip_resets(root);
        compose_tree_unique(root);
        rc = build_model(p, &tl, root, o, err);
    }
    tree_load_release(&tl);
    if (rc < 0) {
        compose_project_free(p);
        return rc;
    }
    *out = p;
    return 0;
}
