/*
 * Compose files merged as trees, before any is read into the model, with the
 * rules of Compose: mappings merge key by key, lists add up, and some keys
 * have rules of their own (command is replaced, environment merges by
 * variable, volumes by target, ...). `!reset` removes what earlier files set,
 * `!override` replaces it whole. Also: the lists Compose keeps unique, and
 * relative paths made absolute for trees read from another directory.
 */
#include <stdlib.h>
#include <string.h>

#include "compose/internal.h"
#include "util/alloc.h"
#include "util/path.h"
#include "util/strutil.h"
#include "util/banned.h"

/* Where a mapping sits decides the rules for its keys. */
enum level {
    L_ROOT,
    L_SERVICES,  /* services: */
    L_RESOURCES, /* volumes:, networks:, secrets:, configs: */
    L_SERVICE,
    L_RESOURCE, /* one volume, network, secret or config */
    L_BUILD,
    L_HEALTHCHECK,
    L_ULIMITS,
    L_OTHER,
};

struct merger {
    struct buf path;
    struct ds_error *err;
};

static struct ynode *merge_value(struct merger *m, enum level level, const char *key,
                                 struct ynode *base, struct ynode *over);

static bool is_one_of(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(key, *list))
            return true;
    return false;
}

void compose_tree_strip_resets(struct ynode *n)
{
    if (n->kind != YNODE_MAP && n->kind != YNODE_SEQ)
        return;
    for (size_t i = 0; i < n->n;) {
        if (n->items[i]->tag == YTAG_RESET) {
            ytree_remove(n, i);
            continue;
        }
        /* what `!override` brings is taken as written */
        if (n->items[i]->tag != YTAG_OVERRIDE)
            compose_tree_strip_resets(n->items[i]);
        i++;
    }
}

static int cmp_text(const void *a, const void *b)
{
    const char *x = (*(struct ynode *const *)a)->text, *y = (*(struct ynode *const *)b)->text;

    return strcmp(x ? x : "", y ? y : "");
}

/* A mapping as "key=value" items (sorted, as Compose has them), a value as a list of one. */
static struct ynode *to_sequence(struct ynode *n)
{
    struct ynode *seq;
    struct buf b = BUF_INIT;

    if (n->kind == YNODE_SEQ)
        return n;
    seq = ytree_new(n, YNODE_SEQ);
    if (n->kind == YNODE_SCALAR) {
        ytree_push(seq, NULL, n);
        return seq;
    }
    for (size_t i = 0; n->kind == YNODE_MAP && i < n->n; i++) {
        struct ynode *v = n->items[i];
        const char *key = n->keys[i]->text;

        if (ytree_is_null(v)) {
            ytree_push(seq, NULL, ytree_new_scalar(n->keys[i], key));
            continue;
        }
        for (size_t k = 0; k < (v->kind == YNODE_SEQ ? v->n : 1); k++) {
            struct ynode *one = v->kind == YNODE_SEQ ? v->items[k] : v;

            if (one->kind != YNODE_SCALAR) {
                ytree_push(seq, NULL, one); /* as it is, for the model to refuse where it stands */
                continue;
            }
            buf_reset(&b);
            buf_addf(&b, "%s=%s", key, one->text);
            ytree_push(seq, NULL, ytree_new_scalar(one, b.buf));
        }
    }
    buf_release(&b);
    qsort(seq->items, seq->n, sizeof(*seq->items), cmp_text);
    return seq;
}

/* A list of names as a mapping: name -> null, or name -> what depends_on means by default. */
static struct ynode *to_mapping(struct ynode *n, bool dependency)
{
    struct ynode *map;

    if (n->kind != YNODE_SEQ)
        return n;
    map = ytree_new(n, YNODE_MAP);
    for (size_t i = 0; i < n->n; i++) {
        struct ynode *item = n->items[i], *v;

        if (item->kind != YNODE_SCALAR)
            return n; /* left for the model to refuse */
        if (dependency) {
            struct ynode *yes = ytree_new_scalar(item, "true");

            v = ytree_new(item, YNODE_MAP);
            yes->plain = true;
            ytree_push(v, ytree_new_scalar(item, "condition"),
                       ytree_new_scalar(item, "service_started"));
            ytree_push(v, ytree_new_scalar(item, "required"), yes);
        } else {
            v = ytree_new(item, YNODE_NULL);
        }
        if (ytree_find(map, item->text) < 0)
            ytree_push(map, item, v);
    }
    return map;
}

static struct ynode *to_build(struct ynode *n)
{
    struct ynode *map;

    if (n->kind != YNODE_SCALAR)
        return n;
    map = ytree_new(n, YNODE_MAP);
    ytree_push(map, ytree_new_scalar(n, "context"), n);
    return map;
}

static struct ynode *cannot_merge(struct merger *m, const struct ynode *base,
                                  const struct ynode *over)
{
    ds_error_set(m->err, DS_EINVAL, "%s:%d:%d: %s: cannot merge %s onto %s (%s:%d:%d)", over->file,
                 over->line, over->col, m->path.buf, load_kind_name(over), load_kind_name(base),
                 base->file, base->line, base->col);
    ds_error_hint(m->err, "write the same kind of value, or replace it with '!override'");
    return NULL;
}

/* Merge the mapping `over` into the mapping `base` (changed in place). */
static int merge_map(struct merger *m, enum level level, struct ynode *base, struct ynode *over)
{
    for (size_t i = 0; i < over->n; i++) {
        struct ynode *key = over->keys[i], *v = over->items[i], *merged;
        long at = ytree_find(base, key->text);
        size_t saved = m->path.len;

        if (v->tag == YTAG_RESET) {
            if (at >= 0)
                ytree_remove(base, (size_t)at);
            continue;
        }
        if (at < 0 || v->tag == YTAG_OVERRIDE) {
            compose_tree_strip_resets(v);
            if (at < 0)
                ytree_push(base, key, v);
            else
                ytree_set_item(base, (size_t)at, v);
            continue;
        }
        if (m->path.len)
            buf_addch(&m->path, '.');
        buf_adds(&m->path, key->text);
        merged = merge_value(m, level, key->text, base->items[at], v);
        buf_setlen(&m->path, saved);
        if (!merged)
            return DS_EINVAL;
        ytree_set_item(base, (size_t)at, merged);
    }
    return 0;
}

/* Compose's default: mappings merge, lists add up, anything else is replaced. */
static struct ynode *merge_plain(struct merger *m, enum level level, struct ynode *base,
                                 struct ynode *over)
{
    if (base->kind == YNODE_MAP) {
        if (over->kind != YNODE_MAP)
            return cannot_merge(m, base, over);
        return merge_map(m, level, base, over) < 0 ? NULL : base;
    }
    compose_tree_strip_resets(over);
    if (base->kind == YNODE_SEQ) {
        if (over->kind != YNODE_SEQ)
            return cannot_merge(m, base, over);
        for (size_t i = 0; i < over->n; i++)
            ytree_push(base, NULL, over->items[i]);
        return base;
    }
    return over;
}

static struct ynode *append(struct ynode *base, struct ynode *over)
{
    struct ynode *seq = to_sequence(base), *more = to_sequence(over);

    if (seq == base) { /* a list of the file's own: add to a new one, the file may name it twice */
        seq = ytree_new(base, YNODE_SEQ);
        for (size_t i = 0; i < base->n; i++)
            ytree_push(seq, NULL, base->items[i]);
    }
    for (size_t i = 0; i < more->n; i++)
        ytree_push(seq, NULL, more->items[i]);
    return seq;
}

static struct ynode *merge_service_key(struct merger *m, const char *key, struct ynode *base,
                                       struct ynode *over)
{
    /* lists of "key=value" (or of values) that add up, later values winning by key */
    static const char *const sequences[] = {
            "annotations", "dns",    "dns_opt",    "dns_search", "env_file", "environment",
            "extra_hosts", "labels", "label_file", "sysctls",    "tmpfs",    NULL};
    static const char *const replaced[] = {"command", "entrypoint", NULL};

    if (is_one_of(key, replaced))
        return over;
    if (is_one_of(key, sequences))
        return append(base, over);
    if (!strcmp(key, "build"))
        return merge_plain(m, L_BUILD, to_build(base), to_build(over));
    if (!strcmp(key, "depends_on"))
        return merge_plain(m, L_OTHER, to_mapping(base, true), to_mapping(over, true));
    if (!strcmp(key, "networks"))
        return merge_plain(m, L_OTHER, to_mapping(base, false), to_mapping(over, false));
    if (!strcmp(key, "healthcheck"))
        return merge_plain(m, L_HEALTHCHECK, base, over);
    if (!strcmp(key, "ulimits"))
        return merge_plain(m, L_ULIMITS, base, over);
    if (!strcmp(key, "logging") && base->kind == YNODE_MAP && over->kind == YNODE_MAP) {
        const struct ynode *a = ytree_get(base, "driver"), *b = ytree_get(over, "driver");

        /* options of another driver mean nothing to this one */
        if (a && b && a->kind == YNODE_SCALAR && b->kind == YNODE_SCALAR &&
            strcmp(a->text, b->text))
            return over;
    }
    return merge_plain(m, L_OTHER, base, over);
}

/* Merge the value of `key` in a mapping at `level`. */
static struct ynode *merge_value(struct merger *m, enum level level, const char *key,
                                 struct ynode *base, struct ynode *over)
{
    static const char *const resources[] = {"volumes", "networks", "secrets", "configs", NULL};
    static const char *const build_sequences[] = {"args", "labels", "additional_contexts",
                                                  "extra_hosts", NULL};

    if (ytree_is_null(over))
        return base; /* an empty value changes nothing, as in Compose */
    if (base->kind != YNODE_MAP || over->kind != YNODE_MAP)
        compose_tree_strip_resets(over);
    switch (level) {
    case L_ROOT:
        if (!strcmp(key, "services"))
            return merge_plain(m, L_SERVICES, base, over);
        return merge_plain(m, is_one_of(key, resources) ? L_RESOURCES : L_OTHER, base, over);
    case L_SERVICES:
        return merge_plain(m, L_SERVICE, base, over);
    case L_RESOURCES:
        return merge_plain(m, L_RESOURCE, base, over);
    case L_SERVICE:
        return merge_service_key(m, key, base, over);
    case L_RESOURCE:
        if (!strcmp(key, "labels"))
            return append(base, over);
        break;
    case L_BUILD:
        if (is_one_of(key, build_sequences))
            return append(base, over);
        break;
    case L_HEALTHCHECK:
        if (!strcmp(key, "test"))
            return over;
        break;
    case L_ULIMITS:
        return over;
    case L_OTHER:
        break;
    }
    return merge_plain(m, L_OTHER, base, over);
}

int compose_tree_merge(struct ynode *base, struct ynode *over, struct ds_error *err)
{
    struct merger m = {BUF_INIT, err};
    int rc;

    rc = merge_map(&m, L_ROOT, base, over);
    buf_release(&m.path);
    return rc;
}

int compose_tree_extend(struct ynode *base, struct ynode *service, const char *name,
                        struct ds_error *err)
{
    struct merger m = {BUF_INIT, err};
    int rc;

    buf_addf(&m.path, "services.%s", name);
    rc = merge_map(&m, L_SERVICE, base, service);
    buf_release(&m.path);
    return rc;
}

/* ---- lists kept unique ----------------------------------------------------------- */

/* What makes an item of a list the same as another: the later one replaces the earlier. */
enum identity { BY_KEY, BY_VALUE, BY_TARGET, BY_PORT, BY_PATH, BY_SECRET, BY_CONFIG };

static void identity_of(struct buf *b, enum identity how, const struct ynode *n)
{
    const struct ynode *v;
    const char *colon;

    if (n->kind == YNODE_SCALAR) {
        switch (how) {
        case BY_KEY:
            buf_add(b, n->text, strcspn(n->text, "="));
            return;
        case BY_TARGET: /* "source:target[:mode]" or "target" */
            colon = strchr(n->text, ':');
            if (colon)
                buf_add(b, colon + 1, strcspn(colon + 1, ":"));
            else
                buf_adds(b, n->text);
            return;
        case BY_SECRET:
            buf_addf(b, "/run/secrets/%s", n->text);
            return;
        case BY_CONFIG:
            buf_addf(b, "/%s", n->text);
            return;
        default:
            buf_adds(b, n->text);
            return;
        }
    }
    if (n->kind != YNODE_MAP) {
        buf_addf(b, "\\n%p", (const void *)n); /* unlike any other: kept, for the model to judge */
        return;
    }
    switch (how) {
    case BY_TARGET:
        v = ytree_get(n, "target");
        break;
    case BY_PATH:
        v = ytree_get(n, "path");
        break;
    case BY_SECRET:
    case BY_CONFIG:
        v = ytree_get(n, "target");
        if (!v || v->kind != YNODE_SCALAR) {
            v = ytree_get(n, "source");
            buf_adds(b, how == BY_SECRET ? "/run/secrets/" : "/");
        }
        break;
    case BY_PORT: {
        const struct ynode *ip = ytree_get(n, "host_ip"), *pub = ytree_get(n, "published");
        const struct ynode *target = ytree_get(n, "target"), *proto = ytree_get(n, "protocol");

        buf_addf(b, "%s:%s:%s/%s", ip && ip->kind == YNODE_SCALAR ? ip->text : "0.0.0.0",
                 pub && pub->kind == YNODE_SCALAR ? pub->text : "",
                 target && target->kind == YNODE_SCALAR ? target->text : "",
                 proto && proto->kind == YNODE_SCALAR ? proto->text : "tcp");
        return;
    }
    default:
        v = NULL;
    }
    if (v && v->kind == YNODE_SCALAR)
        buf_adds(b, v->text);
    else
        buf_addf(b, "\\n%p", (const void *)n);
}

/* Below this many items a search is quicker than a hash */
#define UNIQUE_HASH_FROM 16

/* `scratch` holds the identities, NUL-separated: one buffer for every list. */
static void make_unique(struct ynode *seq, enum identity how, struct buf *scratch)
{
    size_t small[UNIQUE_HASH_FROM], *ids, kept = 0;
    struct strmap index = {0};
    bool hash;

    if (!seq || seq->kind != YNODE_SEQ || seq->n < 2)
        return;
    hash = seq->n >= UNIQUE_HASH_FROM;
    ids = hash ? xcalloc(seq->n, sizeof(*ids)) : small;
    buf_reset(scratch);
    for (size_t i = 0; i < seq->n; i++) {
        ids[i] = scratch->len;
        identity_of(scratch, how, seq->items[i]);
        buf_add(scratch, "", 1);
    }
    /* ids[0..kept) become the identities of the items kept, in place */
    for (size_t i = 0; i < seq->n; i++) {
        const char *id = scratch->buf + ids[i];
        size_t at = 0;
        bool seen;

        if (hash) {
            seen = strmap_get(&index, id, &at);
        } else {
            while (at < kept && strcmp(scratch->buf + ids[at], id))
                at++;
            seen = at < kept;
        }
        if (seen) {
            seq->items[at] = seq->items[i]; /* the later one, where the first stood */
            continue;
        }
        if (hash)
            strmap_put(&index, id, kept);
        ids[kept] = ids[i];
        seq->items[kept++] = seq->items[i];
    }
    seq->n = kept;
    strmap_release(&index);
    if (hash)
        free(ids);
}

/* Which lists of a mapping are kept unique, and how; NULL `key` ends a table. */
struct unique_rule {
    const char *key;
    enum identity how;
};

static const struct unique_rule service_rules[] = {
        {"annotations", BY_KEY}, {"cap_add", BY_KEY},     {"cap_drop", BY_KEY},
        {"configs", BY_CONFIG},  {"dns", BY_KEY},         {"dns_opt", BY_KEY},
        {"dns_search", BY_KEY},  {"env_file", BY_PATH},   {"environment", BY_KEY},
        {"expose", BY_VALUE},    {"extra_hosts", BY_KEY}, {"labels", BY_KEY},
        {"links", BY_KEY},       {"ports", BY_PORT},      {"profiles", BY_KEY},
        {"secrets", BY_SECRET},  {"sysctls", BY_KEY},     {"tmpfs", BY_KEY},
        {"volumes", BY_TARGET},  {NULL, BY_KEY},
};
static const struct unique_rule build_rules[] = {
        {"additional_contexts", BY_KEY},
        {"args", BY_KEY},
        {"extra_hosts", BY_KEY},
        {"labels", BY_KEY},
        {"platforms", BY_KEY},
        {"tags", BY_KEY},
        {NULL, BY_KEY},
};
static const struct unique_rule alias_rules[] = {
        {"aliases", BY_KEY}, {"link_local_ips", BY_KEY}, {NULL, BY_KEY}};
static const struct unique_rule label_rules[] = {{"labels", BY_KEY}, {NULL, BY_KEY}};

/* One pass over the mapping's keys (only lists have anything to do). */
static void unique_in(struct ynode *map, const struct unique_rule *rules, struct buf *scratch)
{
    for (size_t i = 0; map && map->kind == YNODE_MAP && i < map->n; i++) {
        const char *key = map->keys[i]->text;

        if (map->items[i]->kind != YNODE_SEQ)
            continue;
        for (const struct unique_rule *r = rules; r->key; r++) {
            if (r->key[0] == key[0] && !strcmp(r->key, key)) {
                make_unique(map->items[i], r->how, scratch);
                break;
            }
        }
    }
}

void compose_tree_unique(struct ynode *root)
{
    struct ynode *services = ytree_get(root, "services"), *networks = ytree_get(root, "networks");
    struct buf scratch = BUF_INIT;

    for (size_t i = 0; services && services->kind == YNODE_MAP && i < services->n; i++) {
        struct ynode *s = services->items[i], *nets;

        if (s->kind != YNODE_MAP)
            continue;
        unique_in(s, service_rules, &scratch);
        unique_in(ytree_get(s, "build"), build_rules, &scratch);
        nets = ytree_get(s, "networks");
        for (size_t k = 0; nets && nets->kind == YNODE_MAP && k < nets->n; k++)
            unique_in(nets->items[k], alias_rules, &scratch);
    }
    for (size_t i = 0; networks && networks->kind == YNODE_MAP && i < networks->n; i++)
        unique_in(networks->items[i], label_rules, &scratch);
    buf_release(&scratch);
}

/* ---- relative paths of a tree read from elsewhere ---------------------------------- */

static bool is_relative(const char *path)
{
    return *path && *path != '/' && *path != '~';
}

/* `n` (a scalar) made absolute against dir, normalized: "./data" -> "/dir/data". */
static void rebase_scalar(struct ynode *n, const char *dir)
{
    char *joined, *clean;

    if (!n || n->kind != YNODE_SCALAR || !is_relative(n->text))
        return;
    joined = path_join(dir, n->text);
    clean = path_normalize(joined);
    ytree_set_text(n, clean);
    free(joined);
    free(clean);
}

static bool is_remote(const char *s)
{
    return strstr(s, "://") || str_starts_with(s, "git@") || str_starts_with(s, "github.com/");
}

static void rebase_volume(struct ynode *v, const char *dir)
{
    const struct ynode *type;
    struct buf b = BUF_INIT;
    const char *colon;
    char *joined, *clean;

    if (v->kind == YNODE_MAP) {
        type = ytree_get(v, "type");
        if (type && type->kind == YNODE_SCALAR && !strcmp(type->text, "bind"))
            rebase_scalar(ytree_get(v, "source"), dir);
        return;
    }
    /* the short syntax: a source that starts with "." is a path, anything else a volume's name */
    if (v->kind != YNODE_SCALAR || v->text[0] != '.' || !(colon = strchr(v->text, ':')))
        return;
    buf_add(&b, v->text, (size_t)(colon - v->text));
    joined = path_join(dir, b.buf);
    clean = path_normalize(joined);
    buf_reset(&b);
    buf_addf(&b, "%s%s", clean, colon);
    ytree_set_text(v, b.buf);
    free(joined);
    free(clean);
    buf_release(&b);
}

/* A relative path that a build's additional context or ssh key names, as rebase_scalar. */
static void rebase_build_path(struct ynode *n, const char *dir)
{
    if (n && n->kind == YNODE_SCALAR && !is_remote(n->text) &&
        !str_starts_with(n->text, "service:"))
        rebase_scalar(n, dir);
}

/* The same in a "name=path" list item. */
static void rebase_build_item(struct ynode *n, const char *dir)
{
    const char *eq = n->kind == YNODE_SCALAR ? strchr(n->text, '=') : NULL;
    struct buf b = BUF_INIT;
    char *joined, *clean;

    if (!eq || !is_relative(eq + 1) || is_remote(eq + 1) || str_starts_with(eq + 1, "service:"))
        return;
    joined = path_join(dir, eq + 1);
    clean = path_normalize(joined);
    buf_add(&b, n->text, (size_t)(eq - n->text) + 1);
    buf_adds(&b, clean);
    ytree_set_text(n, b.buf);
    free(joined);
    free(clean);
    buf_release(&b);
}

static void rebase_build(struct ynode *build, const char *dir)
{
    static const char *const keyed[] = {"additional_contexts", "ssh"};

    for (size_t k = 0; k < ARRAY_SIZE(keyed); k++) {
        struct ynode *n = ytree_get(build, keyed[k]);

        for (size_t i = 0; n && n->kind == YNODE_MAP && i < n->n; i++)
            rebase_build_path(n->items[i], dir);
        for (size_t i = 0; n && n->kind == YNODE_SEQ && i < n->n; i++)
            rebase_build_item(n->items[i], dir);
    }
}

static void rebase_service(struct ynode *s, const char *dir)
{
    struct ynode *build = ytree_get(s, "build"), *env_file = ytree_get(s, "env_file");
    struct ynode *volumes = ytree_get(s, "volumes"), *extends = ytree_get(s, "extends");

    if (build && build->kind == YNODE_SCALAR && !is_remote(build->text))
        rebase_scalar(build, dir);
    if (build && build->kind == YNODE_MAP) {
        struct ynode *context = ytree_get(build, "context");

        if (context && context->kind == YNODE_SCALAR && !is_remote(context->text))
            rebase_scalar(context, dir);
        rebase_build(build, dir);
    }
    if (env_file && env_file->kind == YNODE_SCALAR)
        rebase_scalar(env_file, dir);
    for (size_t i = 0; env_file && env_file->kind == YNODE_SEQ && i < env_file->n; i++) {
        struct ynode *f = env_file->items[i];

        rebase_scalar(f->kind == YNODE_MAP ? ytree_get(f, "path") : f, dir);
    }
    for (size_t i = 0; volumes && volumes->kind == YNODE_SEQ && i < volumes->n; i++)
        rebase_volume(volumes->items[i], dir);
    if (extends && extends->kind == YNODE_MAP)
        rebase_scalar(ytree_get(extends, "file"), dir);
}

void compose_tree_rebase_service(struct ynode *service, const char *dir)
{
    if (service && service->kind == YNODE_MAP)
        rebase_service(service, dir);
}

void compose_tree_rebase(struct ynode *root, const char *dir)
{
    static const char *const files[] = {"secrets", "configs"};
    struct ynode *services = ytree_get(root, "services");

    for (size_t i = 0; services && services->kind == YNODE_MAP && i < services->n; i++)
        compose_tree_rebase_service(services->items[i], dir);
    for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
        struct ynode *top = ytree_get(root, files[k]);

        for (size_t i = 0; top && top->kind == YNODE_MAP && i < top->n; i++)
            rebase_scalar(ytree_get(top->items[i], "file"), dir);
    }
}
