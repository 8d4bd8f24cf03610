/* What `devstack clear` removes, collected into one list, and removing it one object at a time. */
#include <stdlib.h>
#include <string.h>

#include "engine/json.h"
#include "stack/clear.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

/* Networks every engine has and that cannot be removed (Podman calls its bridge "podman"). */
static const char *const predefined_networks[] = {"bridge", "host", "none", "podman"};

struct stack_clear_item *stack_clear_add(struct stack_clear_list *l, enum stack_clear_kind kind,
                                         const char *id, const char *name, int64_t size)
{
    struct stack_clear_item *it;

    l->items = xgrow(l->items, &l->alloc, l->n + 1, sizeof(*l->items));
    it = &l->items[l->n++];
    memset(it, 0, sizeof(*it));
    it->kind = kind;
    it->id = xstrdup(id);
    it->name = xstrdup(name ? name : id);
    it->size = size;
    strvec_init(&it->refs);
    return it;
}

void stack_clear_list_release(struct stack_clear_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct stack_clear_item *it = &l->items[i];

        free(it->id);
        free(it->name);
        free(it->detail);
        free(it->project);
        free(it->service);
        strvec_clear(&it->refs);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static int cmp_item(const void *a, const void *b)
{
    const struct stack_clear_item *x = a, *y = b;

    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    /* an image built on another goes first, or the engine refuses to remove its parent */
    if (x->kind == CLEAR_IMAGE && x->created != y->created)
        return x->created > y->created ? -1 : 1;
    return strcmp(x->name, y->name);
}

void stack_clear_sort(struct stack_clear_list *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof(*l->items), cmp_item);
}

size_t stack_clear_count(const struct stack_clear_list *l, enum stack_clear_kind kind)
{
    size_t n = 0;

    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].kind == kind)
            n++;
    return n;
}

int64_t stack_clear_total(const struct stack_clear_list *l)
{
    int64_t total = 0;

    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].size > 0)
            total += l->items[i].size;
    return total;
}

const char *stack_clear_kind_name(enum stack_clear_kind kind, size_t count)
{
    switch (kind) {
    case CLEAR_CONTAINER:
        return count == 1 ? "container" : "containers";
    case CLEAR_NETWORK:
        return count == 1 ? "network" : "networks";
    case CLEAR_VOLUME:
        return count == 1 ? "volume" : "volumes";
    case CLEAR_IMAGE:
        return count == 1 ? "image" : "images";
    case CLEAR_BUILD_CACHE:
        return "build cache";
    }
    return "object";
}

void stack_clear_describe_counts(struct buf *out, const size_t counts[CLEAR_KINDS])
{
    bool first = true;

    for (int k = 0; k < CLEAR_KINDS; k++) {
        if (!counts[k])
            continue;
        if (!first)
            buf_adds(out, ", ");
        first = false;
        if (k == CLEAR_BUILD_CACHE)
            buf_adds(out, "build cache");
        else
            buf_addf(out, "%zu %s", counts[k],
                     stack_clear_kind_name((enum stack_clear_kind)k, counts[k]));
    }
    if (first)
        buf_adds(out, "nothing");
}

static const struct stack_clear_item *find_item(const struct stack_clear_list *l,
                                                enum stack_clear_kind kind, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].kind == kind && !strcmp(l->items[i].id, id))
            return &l->items[i];
    return NULL;
}

/* ---- collecting -------------------------------------------------------------------- */

static void add_image(struct stack_clear_list *l, const struct engine_image_info *img, bool by_tag)
{
    struct stack_clear_item *it;
    struct buf name = BUF_INIT;
    const char *id = img->id ? img->id : "";
    const char *hex = strncmp(id, "sha256:", 7) ? id : id + 7;

    for (size_t i = 0; i < img->repo_tags.n; i++)
        buf_addf(&name, "%s%s", i ? ", " : "", img->repo_tags.v[i]);
    if (!name.len)
        buf_addf(&name, "<none> %.12s", hex);
    it = stack_clear_add(l, CLEAR_IMAGE, id, name.buf, img->size);
    if (img->created)
        it->created = strtoll(img->created, NULL, 10);
    if (by_tag)
        strvec_copy(&it->refs, &img->repo_tags);
    buf_release(&name);
}

/* The images named <project>-<service> that the project's services build, when not found yet. */
static int collect_built_images(struct engine *e, const struct compose_project *p,
                                struct stack_clear_list *out, struct ds_error *err)
{
    for (size_t i = 0; p && i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];
        struct engine_image_info info;
        struct stack_clear_item *it;
        char *ref;
        int rc;

        /* with image: the build is tagged with a name of the user's choosing: its label says */
        if (!s->build || s->image)
            continue;
        ref = stack_image_ref(p, s);
        rc = engine_image_inspect(e, ref, &info, err);
        if (rc == DS_ENOTFOUND) {
            ds_error_release(err);
            free(ref);
            continue;
        }
        if (rc < 0) {
            ds_error_wrap(err, "looking at image '%s'", ref);
            free(ref);
            return rc;
        }
        if (info.id && !find_item(out, CLEAR_IMAGE, info.id)) {
            it = stack_clear_add(out, CLEAR_IMAGE, info.id, ref, info.size);
            strvec_push(&it->refs, ref); /* only this tag: others may be the user's */
        }
        engine_image_info_release(&info);
        free(ref);
    }
    return 0;
}

static bool predefined_network(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(predefined_networks); i++)
        if (!strcmp(name, predefined_networks[i]))
            return true;
    return false;
}

/* The volumes in an inspect's Mounts (what the engine made) as HostConfig.Mounts says them */
static cJSON *volume_mounts_made(const cJSON *inspect)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *mount;

    cJSON_ArrayForEach(mount, cJSON_GetObjectItemCaseSensitive(inspect, "Mounts"))
    {
        cJSON *m;

        if (!json_str(mount, "Name") || !json_str(mount, "Destination") ||
            strcmp(json_str(mount, "Type") ? json_str(mount, "Type") : "", "volume") != 0)
            continue;
        m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "Type", "volume");
        cJSON_AddStringToObject(m, "Source", json_str(mount, "Name"));
        cJSON_AddStringToObject(m, "Target", json_str(mount, "Destination"));
        cJSON_AddItemToArray(out, m);
    }
    return out;
}

/*
 * The anonymous volumes a recreate handed to the containers by name: they
 * carry no label and the engine keeps them when the container goes, so they
 * are listed (and removed) here. Those the files name are not anonymous.
 */
static void collect_handed_over(struct engine *e, const struct compose_project *p,
                                const struct engine_container_list *cl,
                                const struct engine_disk_usage *du, struct stack_clear_list *out)
{
    for (size_t i = 0; i < cl->n; i++) {
        struct engine_container_info info;
        struct stack_mount_points m;
        struct strvec anonymous = STRVEC_INIT;
        struct ds_error ierr = DS_ERROR_INIT;

        if (engine_container_inspect(e, cl->items[i].id, &info, &ierr) < 0) {
            ds_error_release(&ierr); /* gone meanwhile: nothing of it to list */
            continue;
        }
        const cJSON *sent = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(info.raw, "HostConfig"), "Mounts");
        cJSON *kept = NULL;

        /* Podman keeps no HostConfig.Mounts: its volumes, as the mounts it made */
        if (!cJSON_IsArray(sent))
            sent = kept = volume_mounts_made(info.raw);
        stack_mount_points_from_config_json(sent, &m);
        cJSON_Delete(kept);
        stack_anonymous_volumes(&m, p, &anonymous);
        for (size_t k = 0; k < anonymous.n; k++) {
            bool listed = false;

            for (size_t j = 0; j < out->n && !listed; j++)
                listed = out->items[j].kind == CLEAR_VOLUME &&
                         !strcmp(out->items[j].id, anonymous.v[k]);
            if (!listed)
                stack_clear_add(out, CLEAR_VOLUME, anonymous.v[k], NULL,
                                engine_usage_size(du->volumes, du->n_volumes, anonymous.v[k]));
        }
        strvec_clear(&anonymous);
        stack_mount_points_release(&m);
        engine_container_info_release(&info);
    }
}

int stack_clear_collect(struct engine *e, const char *project, const struct compose_project *p,
                        bool all, struct stack_clear_list *out, struct ds_error *err)
{
    struct strvec filter = STRVEC_INIT;
    const struct strvec *f = all ? NULL : &filter;
    struct engine_container_list cl = {0};
    struct engine_network_list nl = {0};
    struct engine_volume_list vl = {0};
    struct engine_image_list il = {0};
    struct engine_disk_usage du = {0};
    struct ds_error df_err = DS_ERROR_INIT;
    bool have_df, cache = false;
    int64_t cache_size = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    out->all = all;
    if (!all)
        strvec_pushf(&filter, "%s=%s", LABEL_PROJECT, project);
    /* sizes are a nicety: an engine that cannot tell them does not stop the clear */
    have_df = engine_system_df(e, &du, &df_err) == 0;
    ds_error_release(&df_err);

    rc = engine_container_list(e, f, true, &cl, err);
    if (rc < 0) {
        ds_error_wrap(err, "listing containers");
        goto done;
    }
    for (size_t i = 0; i < cl.n; i++) {
        const struct engine_container_summary *c = &cl.items[i];
        struct stack_clear_item *it;
        const char *v;

        it = stack_clear_add(out, CLEAR_CONTAINER, c->id, c->name ? c->name : c->id,
                             engine_usage_size(du.containers, du.n_containers, c->id));
        it->detail = c->state ? xstrdup(c->state) : NULL;
        if ((v = kvlist_get(&c->labels, LABEL_PROJECT)))
            it->project = xstrdup(v);
        if ((v = kvlist_get(&c->labels, LABEL_SERVICE)))
            it->service = xstrdup(v);
    }

    rc = engine_network_list(e, f, &nl, err);
    if (rc < 0) {
        ds_error_wrap(err, "listing networks");
        goto done;
    }
    for (size_t i = 0; i < nl.n; i++)
        if (nl.items[i].name && !predefined_network(nl.items[i].name))
            stack_clear_add(out, CLEAR_NETWORK, nl.items[i].id ? nl.items[i].id : nl.items[i].name,
                            nl.items[i].name, -1);

    rc = engine_volume_list(e, f, &vl, err);
    if (rc < 0) {
        ds_error_wrap(err, "listing volumes");
        goto done;
    }
    for (size_t i = 0; i < vl.n; i++)
        if (vl.items[i].name)
            stack_clear_add(out, CLEAR_VOLUME, vl.items[i].name, NULL,
                            engine_usage_size(du.volumes, du.n_volumes, vl.items[i].name));

    if (!all)
        collect_handed_over(e, p, &cl, &du, out);

    rc = engine_image_list(e, f, false, &il, err);
    if (rc < 0) {
        ds_error_wrap(err, "listing images");
        goto done;
    }
    for (size_t i = 0; i < il.n; i++)
        if (il.items[i].id)
            add_image(out, &il.items[i], !all);
    if (!all && (rc = collect_built_images(e, p, out, err)) < 0)
        goto done;

    /* the build cache: when the engine says there is some to prune, or cannot say */
    if (!have_df || !du.has_build_cache) {
        cache = true;
        cache_size = -1;
    }
    for (size_t i = 0; have_df && i < du.n_build_cache; i++) {
        if (du.build_cache[i].in_use)
            continue;
        cache = true;
        if (du.build_cache[i].size > 0)
            cache_size += du.build_cache[i].size;
    }
    /* the dangling cache is the engine's, not the project's: prune it along, not alone */
    if (cache && (all || out->n))
        stack_clear_add(out, CLEAR_BUILD_CACHE, all ? "all" : "dangling",
                        all ? "build cache" : "dangling build cache", all ? cache_size : -1);
    stack_clear_sort(out);

done:
    if (rc < 0)
        stack_clear_list_release(out);
    strvec_clear(&filter);
    engine_container_list_release(&cl);
    engine_network_list_release(&nl);
    engine_volume_list_release(&vl);
    engine_image_list_release(&il);
    engine_disk_usage_release(&du);
    return rc;
}

/* ---- removing ---------------------------------------------------------------------- */

/* Does a failed prune mean the engine has no BuildKit builder (off, or Podman)? */
static bool no_buildkit(const struct ds_error *err)
{
    static const char *const needles[] = {"buildkit", "not implemented", "not supported",
                                          "builder"};

    if (err->code == DS_ENOTFOUND || err->code == DS_EUNSUPPORTED)
        return true;
    for (size_t i = 0; err->msg && i < ARRAY_SIZE(needles); i++)
        if (strcasestr(err->msg, needles[i]))
            return true;
    return false;
}

static int remove_image(struct engine *e, const struct stack_clear_list *l,
                        const struct stack_clear_item *it, struct ds_error *err)
{
    int rc = 0;

    if (l->all || !it->refs.n)
        return engine_image_remove(e, it->id, l->all, NULL, err);
    /* one tag at a time: the last one removes the image; none of them needs force */
    for (size_t i = 0; i < it->refs.n && rc == 0; i++)
        rc = engine_image_remove(e, it->refs.v[i], false, NULL, err);
    return rc;
}

int stack_clear_remove(struct engine *e, const struct stack_clear_list *l,
                       const struct stack_clear_item *it, enum stack_clear_outcome *outcome,
                       int64_t *reclaimed, struct ds_error *err)
{
    int64_t freed = it->size > 0 ? it->size : 0;
    int rc = 0;

    *outcome = CLEAR_REMOVED;
    *reclaimed = 0;
    switch (it->kind) {
    case CLEAR_CONTAINER:
        rc = engine_container_remove(e, it->id, true, true, err);
        break;
    case CLEAR_NETWORK:
        rc = engine_network_remove(e, it->id, err);
        break;
    case CLEAR_VOLUME:
        rc = engine_volume_remove(e, it->id, false, err);
        break;
    case CLEAR_IMAGE:
        rc = remove_image(e, l, it, err);
        if (rc == DS_ECONFLICT && !l->all) {
            *outcome = CLEAR_KEPT; /* used by a container of another project */
            return 0;
        }
        break;
    case CLEAR_BUILD_CACHE:
        rc = engine_build_prune(e, l->all, &freed, err);
        if (rc < 0 && rc != DS_EINTR && no_buildkit(err)) {
            *outcome = CLEAR_SKIPPED;
            return 0;
        }
        break;
    }
    if (rc == DS_ENOTFOUND) {
        ds_error_release(err);
        *outcome = CLEAR_ALREADY_GONE;
        return 0;
    }
    if (rc < 0)
        return rc;
    *reclaimed = freed;
    return 0;
}

/* ---- removing ------------------------------------------------------------------------ */

int stack_clear_apply(struct engine *e, const struct stack_clear_list *l,
                      volatile sig_atomic_t *stop, volatile sig_atomic_t *abort, stack_clear_fn fn,
                      void *ud, struct stack_clear_report *report)
{
    volatile sig_atomic_t *old = engine_set_cancel_flag(e, abort);
    int rc = 0;

    memset(report, 0, sizeof(*report));
    for (size_t i = 0; i < l->n; i++) {
        const struct stack_clear_item *it = &l->items[i];
        struct ds_error err = DS_ERROR_INIT;
        enum stack_clear_outcome outcome = CLEAR_REMOVED;
        int64_t freed = 0;

        if (stop && *stop) {
            rc = DS_EINTR;
            break;
        }
        rc = stack_clear_remove(e, l, it, &outcome, &freed, &err);
        if (rc == DS_EINTR) {
            ds_error_release(&err);
            break;
        }
        report->done++;
        if (rc < 0) {
            ds_error_wrap(&err, "removing %s '%s'", stack_clear_kind_name(it->kind, 1), it->name);
            report->failed++;
            if (fn)
                fn(it, outcome, 0, &err, NULL, ud);
            ds_error_release(&err);
            rc = 0;
            continue;
        }
        if (outcome == CLEAR_REMOVED || outcome == CLEAR_ALREADY_GONE) {
            report->removed[it->kind]++;
            report->reclaimed += freed;
        }
        if (fn)
            fn(it, outcome, freed, NULL, err.msg, ud);
        ds_error_release(&err);
    }
    engine_set_cancel_flag(e, old);
    return rc;
}
