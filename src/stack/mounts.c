/*
 * Anonymous volumes across a recreate. The engine gives a new container new
 * anonymous volumes, so without this a config change empties every `- /data`
 * and every image VOLUME (mysql's /var/lib/mysql) the file mounts nothing at.
 * Compose v2 (pkg/compose/create.go, buildContainerMountOptions) hands the old
 * container's mounts at those paths to the new one; so does devstack.
 */
#include <stdlib.h>
#include <string.h>

#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

void stack_mount_points_from_json(const cJSON *mounts, struct stack_mount_points *out)
{
    const cJSON *m;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsArray(mounts))
        return;
    out->items = xcalloc((size_t)cJSON_GetArraySize(mounts) + 1, sizeof(*out->items));
    cJSON_ArrayForEach(m, mounts)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(m, "Type");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "Name");
        const cJSON *source = cJSON_GetObjectItemCaseSensitive(m, "Source");
        const cJSON *dst = cJSON_GetObjectItemCaseSensitive(m, "Destination");
        struct stack_mount_point *p;

        if (!cJSON_IsString(dst) || !*dst->valuestring)
            continue;
        p = &out->items[out->n++];
        p->type = xstrdup(cJSON_IsString(type) ? type->valuestring : "");
        p->name = cJSON_IsString(name) && *name->valuestring ? xstrdup(name->valuestring) : NULL;
        p->source = cJSON_IsString(source) ? xstrdup(source->valuestring) : NULL;
        p->destination = xstrdup(dst->valuestring);
        p->rw = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "RW"));
    }
}

void stack_mount_points_from_config_json(const cJSON *mounts, struct stack_mount_points *out)
{
    const cJSON *m;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsArray(mounts))
        return;
    out->items = xcalloc((size_t)cJSON_GetArraySize(mounts) + 1, sizeof(*out->items));
    cJSON_ArrayForEach(m, mounts)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(m, "Type");
        const cJSON *source = cJSON_GetObjectItemCaseSensitive(m, "Source");
        const cJSON *target = cJSON_GetObjectItemCaseSensitive(m, "Target");
        struct stack_mount_point *p;
        bool volume = cJSON_IsString(type) && !strcmp(type->valuestring, "volume");

        if (!cJSON_IsString(target) || !*target->valuestring)
            continue;
        p = &out->items[out->n++];
        p->type = xstrdup(cJSON_IsString(type) ? type->valuestring : "");
        if (cJSON_IsString(source) && *source->valuestring)
            *(volume ? &p->name : &p->source) = xstrdup(source->valuestring);
        p->destination = xstrdup(target->valuestring);
        p->rw = !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ReadOnly"));
    }
}

void stack_mount_points_release(struct stack_mount_points *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->items[i].type);
        free(m->items[i].name);
        free(m->items[i].source);
        free(m->items[i].destination);
    }
    free(m->items);
    memset(m, 0, sizeof(*m));
}

/* "/data/", "/data//x/./y": Go's path.Clean without "..", which is what the targets differ by. */
static char *clean_path(const char *path)
{
    struct buf b = BUF_INIT;

    for (const char *p = path; *p;) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len && !(len == 1 && *p == '.')) {
            buf_addch(&b, '/');
            buf_add(&b, p, len);
        }
        p += len + (end ? 1 : 0);
    }
    if (!b.len)
        buf_addch(&b, '/');
    return buf_detach(&b, NULL);
}

static bool same_path(const char *a, const char *b)
{
    char *ca = clean_path(a), *cb = clean_path(b);
    bool same = !strcmp(ca, cb);

    free(ca);
    free(cb);
    return same;
}

/* A name the engine made for an anonymous volume: 64 lowercase hex digits. */
static bool anonymous_name(const char *name)
{
    size_t n = 0;

    for (; name && name[n]; n++)
        if (!((name[n] >= '0' && name[n] <= '9') || (name[n] >= 'a' && name[n] <= 'f')))
            return false;
    return n == 64;
}

static const struct stack_mount_point *old_mount_at(const struct stack_mount_points *old,
                                                    const char *target)
{
    for (size_t i = 0; i < old->n; i++)
        if (strcmp(old->items[i].type, "tmpfs") && same_path(old->items[i].destination, target))
            return &old->items[i];
    return NULL;
}

static struct engine_mount *new_mount_at(struct engine_container_config *c, const char *target)
{
    for (size_t i = 0; i < c->n_mounts; i++)
        if (same_path(c->mounts[i].target, target))
            return &c->mounts[i];
    return NULL;
}

/* Make `m` the old container's mount `from`, at the same target. */
static void take_over(struct engine_mount *m, const struct stack_mount_point *from)
{
    bool volume = !strcmp(from->type, "volume");

    free(m->source);
    free(m->bind_propagation);
    free(m->bind_selinux);
    m->type = volume ? ENGINE_MOUNT_VOLUME : ENGINE_MOUNT_BIND;
    m->source =
            xstrdup(volume ? (from->name ? from->name : "") : (from->source ? from->source : ""));
    m->read_only = !from->rw;
    m->bind_create_host_path = false;
    m->bind_propagation = NULL;
    m->bind_selinux = NULL;
    m->volume_nocopy = false;
}

void stack_inherit_mounts(struct engine_container_config *c, const struct stack_mount_points *old,
                          const struct strvec *image_volumes, bool renew, struct strvec *left)
{
    for (size_t i = 0; !renew && i < c->n_mounts; i++) {
        struct engine_mount *m = &c->mounts[i];
        const struct stack_mount_point *from;

        if (m->type != ENGINE_MOUNT_VOLUME || m->source)
            continue; /* only the file's anonymous volumes */
        from = old_mount_at(old, m->target);
        if (from && (strcmp(from->type, "volume") || from->name))
            take_over(m, from);
    }
    for (size_t i = 0; !renew && image_volumes && i < image_volumes->n; i++) {
        const struct stack_mount_point *from = old_mount_at(old, image_volumes->v[i]);
        struct engine_mount *m;

        /* a mount of the file at that path wins, as in Compose */
        if (!from || new_mount_at(c, image_volumes->v[i]) ||
            (!strcmp(from->type, "volume") && !from->name))
            continue;
        m = engine_container_config_add_mount(c);
        m->target = clean_path(from->destination);
        take_over(m, from);
    }
    for (size_t i = 0; left && i < old->n; i++) {
        const struct stack_mount_point *o = &old->items[i];
        bool kept = false;

        if (strcmp(o->type, "volume") || !anonymous_name(o->name))
            continue;
        for (size_t k = 0; k < c->n_mounts && !kept; k++)
            kept = c->mounts[k].type == ENGINE_MOUNT_VOLUME && c->mounts[k].source &&
                   !strcmp(c->mounts[k].source, o->name);
        if (!kept)
            strvec_pushf(left, "%s %s", o->name, o->destination);
    }
}

void stack_anonymous_volumes(const struct stack_mount_points *mounts,
                             const struct compose_project *p, struct strvec *out)
{
    for (size_t i = 0; i < mounts->n; i++) {
        const struct stack_mount_point *m = &mounts->items[i];
        bool declared = false;

        if (strcmp(m->type, "volume") || !anonymous_name(m->name))
            continue;
        for (size_t k = 0; p && k < p->n_volumes && !declared; k++)
            declared = p->volumes[k].name && !strcmp(p->volumes[k].name, m->name);
        if (!declared && !strvec_contains(out, m->name))
            strvec_push(out, m->name);
    }
}
