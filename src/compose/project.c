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

void compose_add_service(struct compose_project *p, const struct compose_service *s)
{
    p->services = xgrow(p->services, &p->alloc_services, p->n_services + 1, sizeof(*p->services));
    p->services[p->n_services++] = *s;
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
    strvec_clear(&p->profiles);
    cJSON_Delete(p->extensions);
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
                    load_warn(ld, def->keys[k], "unknown key, ignored");
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
        struct compose_network net = {0};
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
                } else if (!strcmp(key, "enable_ipv6")) {
                    rc = load_bool(ld, v, &flag);
                    net.enable_ipv6 = flag == 1;
                } else if (!strcmp(key, "ipam")) {
                    load_warn(ld, def->keys[k], "not supported by devstack, ignored");
                } else if (!str_starts_with(key, "x-")) {
                    load_warn(ld, def->keys[k], "unknown key, ignored");
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

/* Read one file's tree into `part` (a project of its own, merged by the caller). */
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
        else if (!strcmp(key, "configs") || !strcmp(key, "secrets") || !strcmp(key, "include"))
            load_warn(ld, root->keys[i], "not supported by devstack, ignored");
        else if (str_starts_with(key, "x-"))
            compose_extension_set(part, key, v);
        else
            load_warn(ld, root->keys[i], "unknown key, ignored");
        load_path_pop(ld, saved);
    }
    return rc;
}

/* Merge a file's part into the project, taking what it owns. */
static void merge_part(struct compose_project *p, struct compose_project *part)
{
    if (!p->services) {
        /* the first file's services, as they are: nothing to merge them with */
        p->services = part->services;
        p->n_services = part->n_services;
        p->alloc_services = part->alloc_services;
        p->service_index = part->service_index;
        part->services = NULL;
        part->n_services = part->alloc_services = 0;
        part->service_index = NULL;
    }
    for (size_t i = 0; i < part->n_services; i++) {
        struct compose_service *s = compose_find_service(p, part->services[i].name);

        if (s) {
            compose_service_merge(s, &part->services[i]);
            compose_service_release(&part->services[i]);
        } else {
            compose_add_service(p, &part->services[i]);
        }
    }
    part->n_services = 0;
    for (size_t i = 0; i < part->n_volumes; i++) {
        struct compose_volume *v = compose_find_volume(p, part->volumes[i].key);

        if (v) {
            volume_release(v);
            *v = part->volumes[i];
        } else {
            p->volumes = xrealloc(p->volumes, (p->n_volumes + 1) * sizeof(*p->volumes));
            p->volumes[p->n_volumes++] = part->volumes[i];
        }
    }
    part->n_volumes = 0;
    for (size_t i = 0; i < part->n_networks; i++) {
        struct compose_network *n = compose_find_network(p, part->networks[i].key);

        if (n) {
            network_release(n);
            *n = part->networks[i];
        } else {
            p->networks = xrealloc(p->networks, (p->n_networks + 1) * sizeof(*p->networks));
            p->networks[p->n_networks++] = part->networks[i];
        }
    }
    part->n_networks = 0;
    strvec_copy(&p->warnings, &part->warnings);
    if (part->extensions) {
        cJSON *x;

        while ((x = part->extensions->child)) {
            cJSON_DetachItemViaPointer(part->extensions, x);
            compose_extension_put(p, x->string, x);
        }
    }
}

/* `path` is absolute; `shown` is what messages call it. */
static int load_one(struct compose_project *p, const char *path, const char *shown,
                    const char *text, size_t len, bool interpolate, char **name,
                    struct ds_error *err)
{
    struct compose_project *part = project_new();
    char *dir = path_dirname(path);
    struct loader ld = {.p = part, .file = shown, .dir = dir, .path = BUF_INIT, .err = err};
    struct ynode *root = NULL;
    int rc;

    ld.home = kvlist_get(&p->environment, "HOME");
    rc = ytree_parse(&root, text, len, shown, err);
    if (rc == 0 && interpolate && !ytree_is_null(root)) {
        struct interp_walk *w = xcalloc(1, sizeof(*w));

        w->ld = &ld;
        w->env = &p->environment;
        strvec_init(&w->unset);
        rc = interpolate_node(w, root);
        strvec_clear(&w->unset);
        free(w);
    }
    if (rc == 0)
        rc = load_tree(&ld, root, part, name);
    if (rc == 0)
        merge_part(p, part);
    else
        strvec_copy(&p->warnings, &part->warnings);
    ytree_free(root);
    buf_release(&ld.path);
    compose_project_free(part);
    free(dir);
    return rc;
}

/* ---- after the merge ------------------------------------------------------------ */

static int fail_at(struct ds_error *err, struct compose_pos pos, const char *what, ...)
        __attribute__((format(printf, 3, 4)));

static int fail_at(struct ds_error *err, struct compose_pos pos, const char *what, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    if (pos.file)
        buf_addf(&b, "%s:%d:%d: ", pos.file, pos.line, pos.col);
    va_start(ap, what);
    buf_vaddf(&b, what, ap);
    va_end(ap);
    ds_error_set(err, DS_EINVAL, "%s", b.buf);
    buf_release(&b);
    return DS_EINVAL;
}

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
        rc = dotenv_load(&resolved, f->path, env_lookup, &p->environment, err);
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
            return fail_at(err, s->pos,
                           "service '%s' has neither an image nor a build context; add "
                           "'image:' or 'build:'",
                           s->name);
        for (size_t d = 0; d < s->n_depends_on; d++)
            if (!compose_find_service(p, s->depends_on[d].service))
                return fail_at(err, s->depends_on[d].pos,
                               "services.%s.depends_on: service '%s' depends on undefined "
                               "service '%s'",
                               s->name, s->name, s->depends_on[d].service);
        for (size_t v = 0; v < s->n_volumes; v++) {
            const struct compose_mount *m = &s->volumes[v];

            if (m->type == COMPOSE_MOUNT_VOLUME && m->source && !compose_find_volume(p, m->source))
                return fail_at(err, m->pos,
                               "services.%s.volumes: service '%s' refers to undefined volume "
                               "'%s'; declare it under the top-level 'volumes:'",
                               s->name, s->name, m->source);
        }
        for (size_t n = 0; n < s->n_networks; n++)
            if (strcmp(s->networks[n].name, "default") &&
                !compose_find_network(p, s->networks[n].name))
                return fail_at(err, s->pos,
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
        struct compose_network net = {0};

        net.key = xstrdup("default");
        p->networks = xrealloc(p->networks, (p->n_networks + 1) * sizeof(*p->networks));
        p->networks[p->n_networks++] = net;
    }
    for (size_t i = 0; i < p->n_networks; i++) {
        struct compose_network *n = &p->networks[i];
        if (!n->name)
            n->name = n->external ? xstrdup(n->key) : scoped_name(p->name, n->key);
    }

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
            static const char *const dirs[] = {"", "compose"};
            const char *base = o->project_directory ? o->project_directory : cwd;

            for (size_t d = 0; d < ARRAY_SIZE(dirs) && !p->config_files.n; d++) {
                for (size_t i = 0; i < ARRAY_SIZE(discovery_names); i++) {
                    struct buf b = BUF_INIT;
                    char *path;

                    buf_addf(&b, "%s%s%s", dirs[d], *dirs[d] ? "/" : "", discovery_names[i]);
                    path = absolute(base, b.buf);
                    buf_release(&b);
                    if (path_is_file(path)) {
                        strvec_push_nodup(&p->config_files, path);
                        break;
                    }
                    free(path);
                }
            }
            if (!p->config_files.n) {
                ds_error_set(err, DS_ENOTFOUND,
                             "no compose file found in '%s' or its compose/ folder", base);
                ds_error_hint(err, "name one with -f FILE, or create compose.yaml");
                return DS_ENOTFOUND;
            }
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

int compose_locate(struct compose_project **out, const struct compose_options *o,
                   struct ds_error *err)
{
    struct compose_project *p = project_new();
    char *cwd = NULL;
    int rc;

    *out = NULL;
    rc = current_dir(&cwd, o, err);
    if (rc == 0)
        rc = find_files(p, o, cwd, err);
    if (rc == 0) {
        p->working_dir = project_dir(p, o, cwd);
        rc = read_environment(p, o, cwd, err);
    }
    for (size_t i = 0; rc == 0 && i < p->config_files.n; i++) {
        const char *rest;

        if (str_skip_prefix(p->config_files.v[i], cwd, &rest) && rest[0] == '/')
            strvec_push(&p->file_names, rest + 1);
        else
            strvec_push(&p->file_names, p->config_files.v[i]);
    }
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
    char *cwd = NULL, *name = NULL;
    int rc;

    *out = NULL;
    rc = current_dir(&cwd, o, err);
    if (rc < 0)
        goto done;
    rc = find_files(p, o, cwd, err);
    if (rc < 0)
        goto done;
    p->working_dir = project_dir(p, o, cwd);
    rc = read_environment(p, o, cwd, err);
    for (size_t i = 0; i < p->config_files.n; i++) {
        const char *rest;

        /* messages name files as the user would: relative to where they stand */
        if (str_skip_prefix(p->config_files.v[i], cwd, &rest) && rest[0] == '/')
            strvec_push(&p->file_names, rest + 1);
        else
            strvec_push(&p->file_names, p->config_files.v[i]);
    }
    for (size_t i = 0; rc == 0 && i < p->config_files.n; i++) {
        struct buf text = BUF_INIT;
        const char *path = p->config_files.v[i];

        rc = buf_read_file(&text, path, COMPOSE_FILE_MAX);
        if (rc == -EFBIG)
            rc = ds_error_set(err, DS_EINVAL, "'%s' is larger than %u MiB", path,
                              COMPOSE_FILE_MAX >> 20);
        else if (rc < 0)
            rc = ds_error_errno(err, -rc, "cannot read compose file '%s'", path);
        else
            rc = load_one(p, path, p->file_names.v[i], text.buf, text.len, !o->no_interpolate,
                          &name, err);
        buf_release(&text);
    }
    if (rc == 0)
        rc = finish(p, o, name, err);

done:
    free(name);
    free(cwd);
    if (rc < 0) {
        compose_project_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int compose_load_text(struct compose_project **out, const char *text, size_t len, const char *path,
                      const struct compose_options *o, struct ds_error *err)
{
    struct compose_project *p = project_new();
    char *name = NULL;
    int rc;

    *out = NULL;
    strvec_push(&p->config_files, path);
    strvec_push(&p->file_names, path);
    p->working_dir = o->project_directory ? xstrdup(o->project_directory) : path_dirname(path);
    rc = read_environment(p, o, p->working_dir, err);
    if (rc == 0)
        rc = load_one(p, p->config_files.v[0], p->file_names.v[0], text, len, !o->no_interpolate,
                      &name, err);
    if (rc == 0)
        rc = finish(p, o, name, err);
    free(name);
    if (rc < 0) {
        compose_project_free(p);
        return rc;
    }
    *out = p;
    return 0;
}
