/* What the engine holds for a project: containers, networks, volumes (by label), images. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack.h"
#include "util/alloc.h"
#include "util/duration.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/banned.h"

void stack_container_release(struct stack_container *c)
{
    free(c->id);
    free(c->name);
    free(c->service);
    free(c->project);
    free(c->state);
    free(c->status);
    free(c->image);
    free(c->image_id);
    free(c->hash);
    kvlist_clear(&c->labels);
    for (size_t i = 0; i < c->n_ports; i++) {
        free(c->ports[i].protocol);
        free(c->ports[i].host_ip);
    }
    free(c->ports);
    strvec_clear(&c->env);
    strvec_clear(&c->cmd);
    strvec_clear(&c->port_specs);
    strvec_clear(&c->mount_targets);
}

static void object_release(struct stack_object *o)
{
    free(o->name);
    kvlist_clear(&o->labels);
    free(o->driver);
    kvlist_clear(&o->options);
}

void stack_observed_release(struct stack_observed *o)
{
    for (size_t i = 0; i < o->n_containers; i++)
        stack_container_release(&o->containers[i]);
    free(o->containers);
    for (size_t i = 0; i < o->n_networks; i++)
        object_release(&o->networks[i]);
    free(o->networks);
    for (size_t i = 0; i < o->n_volumes; i++)
        object_release(&o->volumes[i]);
    free(o->volumes);
    for (size_t i = 0; i < o->n_images; i++) {
        free(o->images[i].service);
        free(o->images[i].ref);
        free(o->images[i].id);
    }
    free(o->images);
    memset(o, 0, sizeof(*o));
}

const struct stack_image *stack_observed_image(const struct stack_observed *o, const char *service)
{
    for (size_t i = 0; i < o->n_images; i++)
        if (!strcmp(o->images[i].service, service))
            return &o->images[i];
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_strvec(struct strvec *sv)
{
    if (sv->n > 1)
        qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
}

static void strings_of(const cJSON *arr, struct strvec *out)
{
    const cJSON *item;

    if (!cJSON_IsArray(arr))
        return;
    cJSON_ArrayForEach(item, arr)
    {
        if (cJSON_IsString(item))
            strvec_push(out, item->valuestring);
    }
}

/* What `up` compares on a container another tool made: env, command, ports, mounts. */
static void inspect_foreign(const struct engine_container_info *info, struct stack_container *c)
{
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(info->raw, "Config");
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(info->raw, "HostConfig");
    const cJSON *bindings = cJSON_GetObjectItemCaseSensitive(host, "PortBindings");
    const cJSON *mounts = cJSON_GetObjectItemCaseSensitive(info->raw, "Mounts");
    const cJSON *entry, *b;

    c->inspected = true;
    strings_of(cJSON_GetObjectItemCaseSensitive(config, "Env"), &c->env);
    strings_of(cJSON_GetObjectItemCaseSensitive(config, "Cmd"), &c->cmd);
    if (cJSON_IsObject(bindings)) {
        cJSON_ArrayForEach(entry, bindings)
        {
            cJSON_ArrayForEach(b, entry)
            {
                const cJSON *ip = cJSON_GetObjectItemCaseSensitive(b, "HostIp");
                const cJSON *port = cJSON_GetObjectItemCaseSensitive(b, "HostPort");

                strvec_pushf(&c->port_specs, "%s:%s:%s", cJSON_IsString(ip) ? ip->valuestring : "",
                             cJSON_IsString(port) ? port->valuestring : "", entry->string);
            }
        }
    }
    if (cJSON_IsArray(mounts)) {
        cJSON_ArrayForEach(entry, mounts)
        {
            const cJSON *dst = cJSON_GetObjectItemCaseSensitive(entry, "Destination");
            if (cJSON_IsString(dst))
                strvec_push(&c->mount_targets, dst->valuestring);
        }
    }
    sort_strvec(&c->env);
    sort_strvec(&c->port_specs);
    sort_strvec(&c->mount_targets);
}

static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

static void from_summary(struct stack_container *c, const struct engine_container_summary *s)
{
    const char *number = kvlist_get(&s->labels, LABEL_NUMBER);
    const char *hash = kvlist_get(&s->labels, LABEL_DEVSTACK_HASH);
    const char *oneoff = kvlist_get(&s->labels, LABEL_ONEOFF);

    c->id = xstrdup(s->id);
    c->name = xstrdup(s->name ? s->name : s->id);
    c->service = dup_or_empty(kvlist_get(&s->labels, LABEL_SERVICE));
    c->project = dup_or_empty(kvlist_get(&s->labels, LABEL_PROJECT));
    if (!number || str_to_int(number, 0, 1000000, &c->number) < 0)
        c->number = 1;
    c->state = dup_or_empty(s->state);
    c->status = dup_or_empty(s->status);
    c->image = dup_or_empty(s->image);
    c->image_id = s->image_id ? xstrdup(s->image_id) : NULL;
    c->hash = hash ? xstrdup(hash) : NULL;
    c->oneoff = oneoff && !strcmp(oneoff, "True");
    kvlist_copy(&c->labels, &s->labels);
    c->ports = xcalloc(s->n_ports + 1, sizeof(*c->ports));
    for (size_t i = 0; i < s->n_ports; i++) {
        c->ports[i] = s->ports[i];
        c->ports[i].protocol = s->ports[i].protocol ? xstrdup(s->ports[i].protocol) : NULL;
        c->ports[i].host_ip = s->ports[i].host_ip ? xstrdup(s->ports[i].host_ip) : NULL;
    }
    c->n_ports = s->n_ports;
}

int stack_list_containers(struct engine *e, const char *project, unsigned flags,
                          struct stack_container_list *out, struct ds_error *err)
{
    struct strvec filter = STRVEC_INIT;
    struct engine_container_list list = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    if (project)
        strvec_pushf(&filter, "%s=%s", LABEL_PROJECT, project);
    else
        strvec_push(&filter, LABEL_PROJECT);
    if (!(flags & STACK_LIST_ONEOFF))
        strvec_pushf(&filter, "%s=False", LABEL_ONEOFF);
    rc = engine_container_list(e, &filter, flags & STACK_LIST_ALL, &list, err);
    if (rc == 0) {
        out->items = xcalloc(list.n + 1, sizeof(*out->items));
        for (size_t i = 0; i < list.n; i++)
            from_summary(&out->items[out->n++], &list.items[i]);
    }
    engine_container_list_release(&list);
    strvec_clear(&filter);
    return rc;
}

void stack_container_list_release(struct stack_container_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        stack_container_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

const struct stack_container *stack_find_running(const struct stack_container_list *l,
                                                 const char *service, int index,
                                                 struct ds_error *err)
{
    const struct stack_container *found = NULL;

    for (size_t i = 0; i < l->n && !found; i++)
        if (!l->items[i].oneoff && !strcmp(l->items[i].service, service) &&
            l->items[i].number == index)
            found = &l->items[i];
    if (found && !strcmp(found->state, "running"))
        return found;
    if (index == 1)
        ds_error_set(err, DS_ENOTFOUND,
                     "service '%s' has no running container; start it with 'devstack up'", service);
    else
        ds_error_set(err, DS_ENOTFOUND,
                     "service '%s' has no running container number %d; start it with "
                     "'devstack up'",
                     service, index);
    return NULL;
}

/*
 * What stack_observe() asks on a second connection while the first lists the
 * containers: the networks, the volumes and the services' images, into
 * out's networks and images (volumes too), which the caller releases.
 */
struct observe_side {
    struct engine *e;
    const struct compose_project *p;
    const struct strvec *filter;
    struct stack_observed *out;
    int rc;
    struct ds_error err;
};

static int observe_images(struct engine *e, const struct compose_project *p,
                          struct stack_observed *out, struct ds_error *err)
{
    out->images = xcalloc(p->n_services + 1, sizeof(*out->images));
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];
        struct stack_image *img = &out->images[out->n_images++];
        struct engine_image_info info;
        int rc;

        img->service = xstrdup(s->name);
        img->ref = stack_image_ref(p, s);
        if (!s->enabled)
            continue;
        rc = engine_image_inspect(e, img->ref, &info, err);
        if (rc == 0) {
            img->id = xstrdup(info.id);
            /* an image never tagged has the zero time "0001-01-01T00:00:00Z" there */
            if (!info.last_tag_time || time_parse(info.last_tag_time, 0, &img->tagged) < 0 ||
                img->tagged <= 0)
                if (!info.created || time_parse(info.created, 0, &img->tagged) < 0)
                    img->tagged = 0;
            engine_image_info_release(&info);
        } else if (rc == DS_ENOTFOUND) {
            ds_error_release(err);
        } else {
            return rc;
        }
    }
    return 0;
}

static void *observe_side(void *arg)
{
    struct observe_side *side = arg;
    struct stack_observed *out = side->out;
    struct engine_network_list networks = {0};
    struct engine_volume_list volumes = {0};
    int rc;

    rc = engine_network_list(side->e, side->filter, &networks, &side->err);
    if (rc == 0)
        rc = engine_volume_list(side->e, side->filter, &volumes, &side->err);
    if (rc == 0) {
        out->networks = xcalloc(networks.n + 1, sizeof(*out->networks));
        for (size_t i = 0; i < networks.n; i++) {
            out->networks[i].name = xstrdup(networks.items[i].name);
            kvlist_copy(&out->networks[i].labels, &networks.items[i].labels);
        }
        out->n_networks = networks.n;
        out->volumes = xcalloc(volumes.n + 1, sizeof(*out->volumes));
        for (size_t i = 0; i < volumes.n; i++) {
            out->volumes[i].name = xstrdup(volumes.items[i].name);
            kvlist_copy(&out->volumes[i].labels, &volumes.items[i].labels);
            out->volumes[i].driver =
                    volumes.items[i].driver ? xstrdup(volumes.items[i].driver) : NULL;
            kvlist_copy(&out->volumes[i].options, &volumes.items[i].options);
        }
        out->n_volumes = volumes.n;
        rc = observe_images(side->e, side->p, out, &side->err);
    }
    engine_network_list_release(&networks);
    engine_volume_list_release(&volumes);
    side->rc = rc;
    return NULL;
}

int stack_observe(struct engine *e, const struct compose_project *p, struct stack_observed *out,
                  struct ds_error *err)
{
    struct strvec filter = STRVEC_INIT;
    struct stack_container_list containers = {0};
    struct observe_side side = {.p = p, .filter = &filter, .out = out, .err = DS_ERROR_INIT};
    struct engine *clone = NULL;
    pthread_t thread;
    bool threaded = false;
    int rc;

    memset(out, 0, sizeof(*out));
    strvec_pushf(&filter, "%s=%s", LABEL_PROJECT, p->name);
    /*
     * the rest does not depend on the containers: asked at once, on a
     * connection of its own, unless a connection costs more than it saves
     */
    if (!engine_connection_costly(e) && engine_clone(&clone, e, &side.err) == 0) {
        side.e = clone;
        threaded = pthread_create(&thread, NULL, observe_side, &side) == 0;
    }
    ds_error_release(&side.err);
    if (!threaded) {
        side.e = e;
        observe_side(&side);
    }
    rc = stack_list_containers(e, p->name, STACK_LIST_ALL | STACK_LIST_ONEOFF, &containers, err);
    if (rc == 0) {
        /* the list's containers become the observed ones */
        out->containers = containers.items;
        out->n_containers = containers.n;
        containers.items = NULL;
        containers.n = 0;
    }
    for (size_t i = 0; rc == 0 && i < out->n_containers; i++) {
        struct stack_container *c = &out->containers[i];

        if (!c->hash && !c->oneoff) {
            struct engine_container_info info;

            /* made by Compose or another tool: look closer, so it can be adopted */
            if (engine_container_inspect(e, c->id, &info, err) == 0) {
                inspect_foreign(&info, c);
                engine_container_info_release(&info);
            } else {
                ds_error_release(err); /* gone meanwhile: it is treated as changed */
            }
        }
    }
    if (threaded)
        pthread_join(thread, NULL);
    engine_free(clone);
    if (rc == 0 && side.rc < 0) {
        /* the error is the second connection's: err takes it over */
        ds_error_release(err);
        *err = side.err;
        memset(&side.err, 0, sizeof(side.err));
        rc = side.rc;
    }
    ds_error_release(&side.err);
    strvec_clear(&filter);
    stack_container_list_release(&containers);
    if (rc < 0)
        stack_observed_release(out);
    return rc;
}
