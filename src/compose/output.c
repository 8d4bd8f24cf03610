/*
 * The resolved project as `docker compose config` shows it: long forms for
 * ports, volumes and depends_on, environment as a map of strings, Go-style
 * durations, absolute paths. Keys of a service are in alphabetical order,
 * services and the top-level maps sorted by name, so output is stable.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>

#include <yaml.h>

#include "compose/internal.h"
#include "util/alloc.h"
#include "util/duration.h"
#include "util/strutil.h"
#include "util/banned.h"

static void sort_object(cJSON *obj);

static void add_strvec(cJSON *obj, const char *key, const struct strvec *sv)
{
    cJSON *arr = cJSON_AddArrayToObject(obj, key);

    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(sv->v[i]));
}

/* A map of strings, keys sorted; with `nulls`, a key without a value is null. */
static void add_kv(cJSON *obj, const char *key, const struct kvlist *l, bool nulls)
{
    struct kvlist sorted = KVLIST_INIT;
    cJSON *map;

    if (!l->n)
        return;
    for (size_t i = 0; i < l->n; i++)
        kvlist_add(&sorted, l->items[i].key, l->items[i].value);
    kvlist_sort(&sorted);
    map = cJSON_AddObjectToObject(obj, key);
    for (size_t i = 0; i < sorted.n; i++) {
        if (sorted.items[i].value)
            cJSON_AddStringToObject(map, sorted.items[i].key, sorted.items[i].value);
        else if (nulls)
            cJSON_AddNullToObject(map, sorted.items[i].key);
        else
            cJSON_AddStringToObject(map, sorted.items[i].key, "");
    }
    kvlist_clear(&sorted);
}

static void add_duration(cJSON *obj, const char *key, int64_t ns)
{
    char text[64];

    if (ns < 0)
        return;
    duration_format(ns, text, sizeof(text));
    cJSON_AddStringToObject(obj, key, text);
}

static void add_tristate(cJSON *obj, const char *key, int v)
{
    if (v >= 0)
        cJSON_AddBoolToObject(obj, key, v);
}

static void add_string(cJSON *obj, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(obj, key, v);
}

static void add_ulimits(cJSON *obj, const struct compose_ulimit *v, size_t n)
{
    cJSON *u;

    if (!n)
        return;
    u = cJSON_AddObjectToObject(obj, "ulimits");
    for (size_t i = 0; i < n; i++) {
        const struct compose_ulimit *l = &v[i];
        cJSON *o;

        if (l->single) {
            cJSON_AddNumberToObject(u, l->name, (double)l->soft);
            continue;
        }
        o = cJSON_AddObjectToObject(u, l->name);
        cJSON_AddNumberToObject(o, "soft", (double)l->soft);
        cJSON_AddNumberToObject(o, "hard", (double)l->hard);
    }
}

static int cmp_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "host:ip" as Compose prints a hosts list: "host=ip" (brackets off an IPv6 address), sorted. */
/* a byte size, as Compose prints one: a string of the number */
static void add_bytes(cJSON *obj, const char *key, int64_t v)
{
    char text[32];

    if (!v)
        return;
    snprintf(text, sizeof(text), "%lld", (long long)v);
    cJSON_AddStringToObject(obj, key, text);
}

static void add_hosts(cJSON *obj, const char *key, const struct strvec *hosts)
{
    struct strvec shown = STRVEC_INIT;
    cJSON *arr;

    if (!hosts->n)
        return;
    for (size_t i = 0; i < hosts->n; i++) {
        const char *h = hosts->v[i], *colon = strchr(h, ':'), *ip = colon + 1;
        size_t len = strlen(ip);

        if (len > 2 && ip[0] == '[' && ip[len - 1] == ']')
            strvec_pushf(&shown, "%.*s=%.*s", (int)(colon - h), h, (int)(len - 2), ip + 1);
        else
            strvec_pushf(&shown, "%.*s=%s", (int)(colon - h), h, ip);
    }
    qsort(shown.v, shown.n, sizeof(*shown.v), cmp_strings);
    arr = cJSON_AddArrayToObject(obj, key);
    for (size_t i = 0; i < shown.n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(shown.v[i]));
    strvec_clear(&shown);
}

static void add_file_refs(cJSON *obj, const char *key, const struct compose_file_ref *refs,
                          size_t n);

static cJSON *build_json(const struct compose_build *b)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "context", b->context);
    if (b->dockerfile || !b->dockerfile_inline)
        cJSON_AddStringToObject(o, "dockerfile", b->dockerfile ? b->dockerfile : "Dockerfile");
    add_string(o, "dockerfile_inline", b->dockerfile_inline);
    add_kv(o, "args", &b->args, true);
    if (b->ssh.n) {
        /* Compose cannot print an ID=PATH key as JSON (its marshaller writes "id": path
           into a list); devstack prints the short syntax, which reads back the same */
        cJSON *arr = cJSON_AddArrayToObject(o, "ssh");
        struct buf k = BUF_INIT;

        for (size_t i = 0; i < b->ssh.n; i++) {
            buf_reset(&k);
            buf_adds(&k, b->ssh.items[i].key);
            if (b->ssh.items[i].value)
                buf_addf(&k, "=%s", b->ssh.items[i].value);
            cJSON_AddItemToArray(arr, cJSON_CreateString(k.buf));
        }
        buf_release(&k);
    }
    add_string(o, "target", b->target);
    add_kv(o, "labels", &b->labels, false);
    if (b->cache_from.n)
        add_strvec(o, "cache_from", &b->cache_from);
    if (b->cache_to.n)
        add_strvec(o, "cache_to", &b->cache_to);
    add_string(o, "network", b->network);
    if (b->no_cache)
        cJSON_AddBoolToObject(o, "no_cache", 1);
    if (b->pull)
        cJSON_AddBoolToObject(o, "pull", 1);
    add_kv(o, "additional_contexts", &b->additional_contexts, false);
    add_hosts(o, "extra_hosts", &b->extra_hosts);
    add_string(o, "isolation", b->isolation);
    if (b->privileged)
        cJSON_AddBoolToObject(o, "privileged", 1);
    add_file_refs(o, "secrets", b->secrets, b->n_secrets);
    add_bytes(o, "shm_size", b->shm_size);
    if (b->tags.n)
        add_strvec(o, "tags", &b->tags);
    add_ulimits(o, b->ulimits, b->n_ulimits);
    if (b->platforms.n)
        add_strvec(o, "platforms", &b->platforms);
    if (b->entitlements.n)
        add_strvec(o, "entitlements", &b->entitlements);
    return o;
}

static cJSON *port_json(const struct compose_port *p)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "mode", p->mode ? p->mode : "ingress");
    add_string(o, "host_ip", p->host_ip);
    cJSON_AddNumberToObject(o, "target", p->target);
    if (p->published)
        cJSON_AddStringToObject(o, "published", p->published);
    cJSON_AddStringToObject(o, "protocol", p->protocol ? p->protocol : "tcp");
    add_string(o, "name", p->name);
    add_string(o, "app_protocol", p->app_protocol);
    return o;
}

static cJSON *mount_json(const struct compose_mount *m)
{
    static const char *const types[] = {"volume", "bind", "tmpfs", "image"};
    cJSON *o = cJSON_CreateObject(), *sub;

    cJSON_AddStringToObject(o, "type", types[m->type]);
    add_string(o, "source", m->source);
    cJSON_AddStringToObject(o, "target", m->target);
    if (m->read_only)
        cJSON_AddBoolToObject(o, "read_only", 1);
    add_string(o, "consistency", m->consistency);
    switch (m->type) {
    case COMPOSE_MOUNT_BIND:
        /* as Compose: no bind options and no `bind:` in the file, no bind object */
        if (!m->propagation && !m->create_host_path && !m->selinux && !m->recursive &&
            !m->bind_given)
            break;
        sub = cJSON_AddObjectToObject(o, "bind");
        add_string(sub, "propagation", m->propagation);
        if (m->create_host_path)
            cJSON_AddBoolToObject(sub, "create_host_path", 1);
        add_string(sub, "selinux", m->selinux);
        add_string(sub, "recursive", m->recursive);
        break;
    case COMPOSE_MOUNT_VOLUME:
        sub = cJSON_AddObjectToObject(o, "volume");
        if (m->nocopy)
            cJSON_AddBoolToObject(sub, "nocopy", 1);
        add_string(sub, "subpath", m->subpath);
        break;
    case COMPOSE_MOUNT_IMAGE:
        if (m->subpath)
            add_string(cJSON_AddObjectToObject(o, "image"), "subpath", m->subpath);
        break;
    case COMPOSE_MOUNT_TMPFS:
        sub = cJSON_AddObjectToObject(o, "tmpfs");
        if (m->tmpfs_size) { /* Compose's byte sizes are strings */
            char size[32];

            snprintf(size, sizeof(size), "%lld", (long long)m->tmpfs_size);
            cJSON_AddStringToObject(sub, "size", size);
        }
        if (m->tmpfs_mode)
            cJSON_AddNumberToObject(sub, "mode", m->tmpfs_mode);
        break;
    }
    return o;
}

/* source, target, uid, gid, mode: Compose's order; the mode as a number (0440 is 288) */
static void add_file_refs(cJSON *obj, const char *key, const struct compose_file_ref *refs,
                          size_t n)
{
    cJSON *arr;

    if (!n)
        return;
    arr = cJSON_AddArrayToObject(obj, key);
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "source", refs[i].source);
        add_string(o, "target", refs[i].target);
        add_string(o, "uid", refs[i].uid);
        add_string(o, "gid", refs[i].gid);
        if (refs[i].mode >= 0)
            cJSON_AddNumberToObject(o, "mode", refs[i].mode);
        cJSON_AddItemToArray(arr, o);
    }
}

static bool uses(const struct compose_project *p, const char *key, bool is_secret)
{
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];
        const struct compose_file_ref *refs = is_secret ? s->secrets : s->configs;
        size_t n = is_secret ? s->n_secrets : s->n_configs;

        for (size_t k = 0; s->enabled && k < n; k++)
            if (!strcmp(refs[k].source, key))
                return true;
        for (size_t k = 0; is_secret && s->enabled && s->build && k < s->build->n_secrets; k++)
            if (!strcmp(s->build->secrets[k].source, key))
                return true;
    }
    return false;
}

/* Those the enabled services use, as Compose shows them. */
static void add_file_objects(cJSON *root, const char *key, const struct compose_project *p,
                             const struct compose_file_object *v, size_t n)
{
    cJSON *map = NULL;

    for (size_t i = 0; i < n; i++) {
        const struct compose_file_object *f = &v[i];
        cJSON *o;

        if (!uses(p, f->key, !strcmp(key, "secrets")))
            continue;
        if (!map)
            map = cJSON_AddObjectToObject(root, key);
        o = cJSON_AddObjectToObject(map, f->key);
        cJSON_AddStringToObject(o, "name", f->name);
        add_string(o, "file", f->file);
        add_string(o, "environment", f->environment);
        add_string(o, "content", f->content);
        if (f->external)
            cJSON_AddBoolToObject(o, "external", 1);
        add_kv(o, "labels", &f->labels, false);
        add_string(o, "driver", f->driver);
        add_kv(o, "driver_opts", &f->driver_opts, false);
        add_string(o, "template_driver", f->template_driver);
    }
    if (map)
        sort_object(map);
}

static cJSON *healthcheck_json(const struct compose_healthcheck *h)
{
    cJSON *o = cJSON_CreateObject();

    if (h->disable)
        cJSON_AddBoolToObject(o, "disable", 1);
    if (h->test.n)
        add_strvec(o, "test", &h->test);
    add_duration(o, "interval", h->interval);
    add_duration(o, "timeout", h->timeout);
    if (h->retries >= 0)
        cJSON_AddNumberToObject(o, "retries", h->retries);
    add_duration(o, "start_period", h->start_period);
    add_duration(o, "start_interval", h->start_interval);
    return o;
}

static int cmp_dep(const void *a, const void *b)
{
    return strcmp(((const struct compose_dependency *)a)->service,
                  ((const struct compose_dependency *)b)->service);
}

static int cmp_net(const void *a, const void *b)
{
    return strcmp(((const struct compose_service_network *)a)->name,
                  ((const struct compose_service_network *)b)->name);
}

/* Sizes as Compose prints them: a string of bytes. */
static void add_number(cJSON *obj, const char *key, double v)
{
    if (v)
        cJSON_AddNumberToObject(obj, key, v);
}

static void add_list(cJSON *obj, const char *key, const struct strvec *sv)
{
    if (sv->n)
        add_strvec(obj, key, sv);
}

static cJSON *device_request_json(const struct compose_device_request *r)
{
    cJSON *o = cJSON_CreateObject();

    add_list(o, "capabilities", &r->capabilities);
    add_string(o, "driver", r->driver);
    add_number(o, "count", (double)r->count);
    add_list(o, "device_ids", &r->device_ids);
    add_kv(o, "options", &r->options, false);
    return o;
}

static void add_device_requests(cJSON *obj, const char *key,
                                const struct compose_device_request *list, size_t n)
{
    cJSON *arr;

    if (!n)
        return;
    arr = cJSON_AddArrayToObject(obj, key);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, device_request_json(&list[i]));
}

static void add_resource(cJSON *obj, const char *key, const struct compose_resource *r)
{
    cJSON *o;

    if (!r)
        return;
    o = cJSON_AddObjectToObject(obj, key);
    add_number(o, "cpus", r->cpus);
    add_bytes(o, "memory", r->memory);
    add_number(o, "pids", (double)r->pids);
    add_device_requests(o, "devices", r->devices, r->n_devices);
}

static cJSON *deploy_json(const struct compose_deploy *d)
{
    cJSON *o = cJSON_CreateObject();

    if (d->replicas >= 0)
        cJSON_AddNumberToObject(o, "replicas", d->replicas);
    if (d->limits || d->reservations) {
        cJSON *r = cJSON_AddObjectToObject(o, "resources");

        add_resource(r, "limits", d->limits);
        add_resource(r, "reservations", d->reservations);
    }
    if (d->restart_condition || d->restart_max_attempts >= 0 || d->restart_delay >= 0 ||
        d->restart_window >= 0) {
        cJSON *rp = cJSON_AddObjectToObject(o, "restart_policy");

        add_string(rp, "condition", d->restart_condition);
        add_duration(rp, "delay", d->restart_delay);
        if (d->restart_max_attempts >= 0)
            cJSON_AddNumberToObject(rp, "max_attempts", (double)d->restart_max_attempts);
        add_duration(rp, "window", d->restart_window);
    }
    /* Compose prints its (swarm-only) placement always, empty when not set */
    cJSON_AddObjectToObject(o, "placement");
    return o;
}

static cJSON *blkio_json(const struct compose_blkio *b)
{
    static const char *const names[] = {"weight_device", "device_read_bps", "device_read_iops",
                                        "device_write_bps", "device_write_iops"};
    cJSON *o = cJSON_CreateObject();

    add_number(o, "weight", (double)b->weight);
    for (size_t l = 0; l < ARRAY_SIZE(names); l++) {
        cJSON *arr;

        if (!b->n[l])
            continue;
        arr = cJSON_AddArrayToObject(o, names[l]);
        for (size_t i = 0; i < b->n[l]; i++) {
            cJSON *d = cJSON_CreateObject();
            char rate[32];

            /* Compose prints these with Go's field names, and rates as strings */
            cJSON_AddStringToObject(d, "Path", b->lists[l][i].path);
            if (l == BLKIO_WEIGHT_DEVICE) {
                cJSON_AddNumberToObject(d, "Weight", (double)b->lists[l][i].value);
            } else {
                snprintf(rate, sizeof(rate), "%lld", (long long)b->lists[l][i].value);
                cJSON_AddStringToObject(d, "Rate", rate);
            }
            cJSON_AddItemToArray(arr, d);
        }
    }
    return o;
}

/* A hook as Compose prints one: its command always, null when unset. */
static cJSON *hook_json(const struct compose_hook *h)
{
    cJSON *o = cJSON_CreateObject();

    if (h->command.n)
        add_strvec(o, "command", &h->command);
    else
        cJSON_AddNullToObject(o, "command");
    add_string(o, "user", h->user);
    if (h->privileged)
        cJSON_AddBoolToObject(o, "privileged", 1);
    add_string(o, "working_dir", h->working_dir);
    add_kv(o, "environment", &h->environment, false);
    return o;
}

static void add_hooks(cJSON *obj, const char *key, const struct compose_hook *h, size_t n)
{
    cJSON *arr;

    if (!n)
        return;
    arr = cJSON_AddArrayToObject(obj, key);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, hook_json(&h[i]));
}

/* develop: as Compose prints it (a rule's exec always there, its command null when unset). */
static void add_develop(cJSON *obj, const struct compose_service_ext *e)
{
    cJSON *d, *arr;

    if (!e->develop)
        return;
    d = cJSON_AddObjectToObject(obj, "develop");
    if (!e->n_watch)
        return;
    arr = cJSON_AddArrayToObject(d, "watch");
    for (size_t i = 0; i < e->n_watch; i++) {
        const struct compose_watch *w = &e->watch[i];
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "path", w->path);
        cJSON_AddStringToObject(o, "action", w->action);
        add_string(o, "target", w->target);
        cJSON_AddItemToObject(o, "exec", hook_json(&w->exec));
        add_list(o, "ignore", &w->ignore);
        add_list(o, "include", &w->include);
        add_tristate(o, "initial_sync", w->initial_sync);
        cJSON_AddItemToArray(arr, o);
    }
}

/* The resource, namespace and runtime keys, in no particular order (the caller sorts). */
static void add_more(cJSON *o, const struct compose_service *s)
{
    add_kv(o, "annotations", &s->ext->annotations, false);
    add_tristate(o, "attach", s->attach);
    if (s->ext->blkio)
        cJSON_AddItemToObject(o, "blkio_config", blkio_json(s->ext->blkio));
    add_string(o, "cgroup", s->ext->cgroup);
    add_string(o, "cgroup_parent", s->ext->cgroup_parent);
    add_number(o, "cpu_count", (double)s->ext->cpu_count);
    add_number(o, "cpu_percent", s->ext->cpu_percent);
    add_number(o, "cpu_period", (double)s->ext->cpu_period);
    add_number(o, "cpu_quota", (double)s->ext->cpu_quota);
    add_number(o, "cpu_rt_period", (double)s->ext->cpu_rt_period);
    add_number(o, "cpu_rt_runtime", (double)s->ext->cpu_rt_runtime);
    add_number(o, "cpu_shares", (double)s->ext->cpu_shares);
    add_number(o, "cpus", s->ext->cpus);
    add_string(o, "cpuset", s->ext->cpuset);
    if (s->deploy)
        cJSON_AddItemToObject(o, "deploy", deploy_json(s->deploy));
    add_list(o, "device_cgroup_rules", &s->ext->device_cgroup_rules);
    if (s->ext->n_devices) {
        cJSON *arr = cJSON_AddArrayToObject(o, "devices");

        for (size_t i = 0; i < s->ext->n_devices; i++) {
            cJSON *d = cJSON_CreateObject();

            cJSON_AddStringToObject(d, "source", s->ext->devices[i].source);
            cJSON_AddStringToObject(d, "target", s->ext->devices[i].target);
            cJSON_AddStringToObject(d, "permissions", s->ext->devices[i].permissions);
            cJSON_AddItemToArray(arr, d);
        }
    }
    add_list(o, "dns_opt", &s->ext->dns_opt);
    add_list(o, "dns_search", &s->ext->dns_search);
    add_list(o, "external_links", &s->ext->external_links);
    add_device_requests(o, "gpus", s->ext->gpus, s->ext->n_gpus);
    add_list(o, "group_add", &s->ext->group_add);
    add_string(o, "ipc", s->ext->ipc);
    add_string(o, "isolation", s->ext->isolation);
    add_list(o, "links", &s->ext->links);
    if (s->logging) {
        cJSON *l = cJSON_AddObjectToObject(o, "logging");

        add_string(l, "driver", s->logging->driver);
        add_kv(l, "options", &s->logging->options, false);
    }
    add_string(o, "mac_address", s->ext->mac_address);
    add_bytes(o, "mem_limit", s->ext->mem_limit);
    add_bytes(o, "mem_reservation", s->ext->mem_reservation);
    add_bytes(o, "mem_swappiness", s->ext->mem_swappiness);
    add_bytes(o, "memswap_limit", s->ext->memswap_limit);
    if (s->ext->oom_kill_disable == 1)
        cJSON_AddBoolToObject(o, "oom_kill_disable", 1);
    add_number(o, "oom_score_adj", (double)s->ext->oom_score_adj);
    add_string(o, "pid", s->ext->pid);
    add_number(o, "pids_limit", (double)s->ext->pids_limit);
    add_develop(o, s->ext);
    add_hooks(o, "post_start", s->ext->post_start, s->ext->n_post_start);
    add_hooks(o, "pre_stop", s->ext->pre_stop, s->ext->n_pre_stop);
    add_string(o, "runtime", s->ext->runtime);
    add_kv(o, "storage_opt", &s->ext->storage_opt, false);
    add_kv(o, "sysctls", &s->ext->sysctls, false);
    add_list(o, "tmpfs", &s->ext->tmpfs);
    add_ulimits(o, s->ext->ulimits, s->ext->n_ulimits);
    add_string(o, "userns_mode", s->ext->userns_mode);
    add_string(o, "uts", s->ext->uts);
    add_list(o, "volumes_from", &s->ext->volumes_from);
}

static void sort_object(cJSON *obj);

cJSON *compose_service_to_json(const struct compose_service *s)
{
    cJSON *o = cJSON_CreateObject();

    if (s->build)
        cJSON_AddItemToObject(o, "build", build_json(s->build));
    if (s->cap_add.n)
        add_strvec(o, "cap_add", &s->cap_add);
    if (s->cap_drop.n)
        add_strvec(o, "cap_drop", &s->cap_drop);
    if (s->command_set)
        add_strvec(o, "command", &s->command);
    add_file_refs(o, "configs", s->configs, s->n_configs);
    add_string(o, "container_name", s->container_name);
    if (s->n_depends_on) {
        struct compose_dependency *deps = xcalloc(s->n_depends_on, sizeof(*deps));
        cJSON *map = cJSON_AddObjectToObject(o, "depends_on");

        memcpy(deps, s->depends_on, s->n_depends_on * sizeof(*deps));
        qsort(deps, s->n_depends_on, sizeof(*deps), cmp_dep);
        for (size_t i = 0; i < s->n_depends_on; i++) {
            cJSON *d = cJSON_AddObjectToObject(map, deps[i].service);

            cJSON_AddStringToObject(d, "condition", deps[i].condition);
            if (deps[i].restart)
                cJSON_AddBoolToObject(d, "restart", 1);
            cJSON_AddBoolToObject(d, "required", deps[i].required);
        }
        free(deps);
    }
    if (s->dns.n)
        add_strvec(o, "dns", &s->dns);
    add_string(o, "domainname", s->domainname);
    if (s->entrypoint_set)
        add_strvec(o, "entrypoint", &s->entrypoint);
    add_kv(o, "environment", &s->environment, false);
    if (s->expose.n)
        add_strvec(o, "expose", &s->expose);
    add_hosts(o, "extra_hosts", &s->extra_hosts);
    if (s->healthcheck)
        cJSON_AddItemToObject(o, "healthcheck", healthcheck_json(s->healthcheck));
    add_string(o, "hostname", s->hostname);
    add_string(o, "image", s->image);
    add_tristate(o, "init", s->init);
    add_kv(o, "labels", &s->labels, false);
    add_string(o, "network_mode", s->network_mode);
    if (!s->network_mode) {
        cJSON *map = cJSON_AddObjectToObject(o, "networks");

        if (!s->n_networks) {
            cJSON_AddNullToObject(map, "default");
        } else {
            struct compose_service_network *nets = xcalloc(s->n_networks, sizeof(*nets));

            memcpy(nets, s->networks, s->n_networks * sizeof(*nets));
            qsort(nets, s->n_networks, sizeof(*nets), cmp_net);
            for (size_t i = 0; i < s->n_networks; i++) {
                const struct compose_service_network *n = &nets[i];
                cJSON *v;

                if (!n->mapping) {
                    cJSON_AddNullToObject(map, n->name);
                    continue;
                }
                v = cJSON_AddObjectToObject(map, n->name);
                if (n->priority)
                    cJSON_AddNumberToObject(v, "priority", n->priority);
                if (n->gw_priority)
                    cJSON_AddNumberToObject(v, "gw_priority", n->gw_priority);
                if (n->aliases.n)
                    add_strvec(v, "aliases", &n->aliases);
                add_string(v, "ipv4_address", n->ipv4_address);
                add_string(v, "ipv6_address", n->ipv6_address);
                if (n->link_local_ips.n)
                    add_strvec(v, "link_local_ips", &n->link_local_ips);
                add_string(v, "mac_address", n->mac_address);
                add_kv(v, "driver_opts", &n->driver_opts, false);
            }
            free(nets);
        }
    }
    add_string(o, "platform", s->platform);
    if (s->n_ports) {
        cJSON *arr = cJSON_AddArrayToObject(o, "ports");

        for (size_t i = 0; i < s->n_ports; i++)
            cJSON_AddItemToArray(arr, port_json(&s->ports[i]));
    }
    add_tristate(o, "privileged", s->privileged);
    if (s->profiles.n)
        add_strvec(o, "profiles", &s->profiles);
    add_string(o, "pull_policy", s->pull_policy);
    add_tristate(o, "read_only", s->read_only);
    add_string(o, "restart", s->restart);
    if (s->scale >= 0)
        cJSON_AddNumberToObject(o, "scale", s->scale);
    add_file_refs(o, "secrets", s->secrets, s->n_secrets);
    if (s->security_opt.n)
        add_strvec(o, "security_opt", &s->security_opt);
    add_bytes(o, "shm_size", s->shm_size);
    add_tristate(o, "stdin_open", s->stdin_open);
    add_duration(o, "stop_grace_period", s->stop_grace_period);
    add_string(o, "stop_signal", s->stop_signal);
    add_tristate(o, "tty", s->tty);
    add_string(o, "user", s->user);
    if (s->n_volumes) {
        cJSON *arr = cJSON_AddArrayToObject(o, "volumes");

        for (size_t i = 0; i < s->n_volumes; i++)
            cJSON_AddItemToArray(arr, mount_json(&s->volumes[i]));
    }
    add_string(o, "working_dir", s->working_dir);
    add_more(o, s);
    sort_object(o);
    return o;
}

static int cmp_service(const void *a, const void *b)
{
    return strcmp((*(const struct compose_service *const *)a)->name,
                  (*(const struct compose_service *const *)b)->name);
}

static int cmp_cjson_key(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* Sort an object's members by key, in place. */
static void sort_object(cJSON *obj)
{
    size_t n = (size_t)cJSON_GetArraySize(obj), i = 0;
    cJSON **items, *item;

    if (n < 2)
        return;
    items = xcalloc(n, sizeof(*items));
    cJSON_ArrayForEach(item, obj) items[i++] = item;
    qsort(items, n, sizeof(*items), cmp_cjson_key);
    for (i = 0; i < n; i++) {
        items[i]->prev = i ? items[i - 1] : items[n - 1];
        items[i]->next = i + 1 < n ? items[i + 1] : NULL;
    }
    obj->child = items[0];
    free(items);
}

cJSON *compose_to_json(const struct compose_project *p)
{
    cJSON *root = cJSON_CreateObject(), *services, *networks, *volumes;
    const struct compose_service **sorted = xcalloc(p->n_services + 1, sizeof(*sorted));
    size_t n = 0;

    cJSON_AddStringToObject(root, "name", p->name);
    services = cJSON_AddObjectToObject(root, "services");
    for (size_t i = 0; i < p->n_services; i++)
        if (p->services[i].enabled)
            sorted[n++] = &p->services[i];
    qsort(sorted, n, sizeof(*sorted), cmp_service);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToObject(services, sorted[i]->name, compose_service_to_json(sorted[i]));
    free(sorted);

    for (const cJSON *x = p->extensions ? p->extensions->child : NULL; x; x = x->next)
        cJSON_AddItemToObject(root, x->string, cJSON_Duplicate(x, true));
    if (p->n_networks) {
        networks = cJSON_AddObjectToObject(root, "networks");
        for (size_t i = 0; i < p->n_networks; i++) {
            const struct compose_network *net = &p->networks[i];
            cJSON *o = cJSON_AddObjectToObject(networks, net->key);

            cJSON_AddStringToObject(o, "name", net->name);
            add_string(o, "driver", net->driver);
            add_kv(o, "driver_opts", &net->driver_opts, false);
            if (net->external)
                cJSON_AddBoolToObject(o, "external", 1);
            if (net->internal)
                cJSON_AddBoolToObject(o, "internal", 1);
            if (net->attachable)
                cJSON_AddBoolToObject(o, "attachable", 1);
            if (net->enable_ipv4 >= 0)
                cJSON_AddBoolToObject(o, "enable_ipv4", net->enable_ipv4);
            if (net->enable_ipv6 >= 0)
                cJSON_AddBoolToObject(o, "enable_ipv6", net->enable_ipv6);
            if (net->ipam_driver || net->n_ipam_config || net->ipam_options.n) {
                cJSON *ipam = cJSON_AddObjectToObject(o, "ipam"), *pools = NULL;

                add_string(ipam, "driver", net->ipam_driver);
                if (net->n_ipam_config)
                    pools = cJSON_AddArrayToObject(ipam, "config");
                for (size_t k = 0; k < net->n_ipam_config; k++) {
                    const struct compose_ipam_pool *pool = &net->ipam_config[k];
                    cJSON *c = cJSON_CreateObject();

                    add_string(c, "subnet", pool->subnet);
                    add_string(c, "gateway", pool->gateway);
                    add_string(c, "ip_range", pool->ip_range);
                    add_kv(c, "aux_addresses", &pool->aux_addresses, false);
                    cJSON_AddItemToArray(pools, c);
                }
                add_kv(ipam, "options", &net->ipam_options, false);
            }
            add_kv(o, "labels", &net->labels, false);
        }
        sort_object(networks);
    }
    if (p->n_volumes) {
        volumes = cJSON_AddObjectToObject(root, "volumes");
        for (size_t i = 0; i < p->n_volumes; i++) {
            const struct compose_volume *v = &p->volumes[i];
            cJSON *o = cJSON_AddObjectToObject(volumes, v->key);

            cJSON_AddStringToObject(o, "name", v->name);
            add_string(o, "driver", v->driver);
            add_kv(o, "driver_opts", &v->driver_opts, false);
            if (v->external)
                cJSON_AddBoolToObject(o, "external", 1);
            add_kv(o, "labels", &v->labels, false);
        }
        sort_object(volumes);
    }
    add_file_objects(root, "secrets", p, p->secrets, p->n_secrets);
    add_file_objects(root, "configs", p, p->configs, p->n_configs);
    return root;
}

char *compose_json_text(const cJSON *doc)
{
    char *text = cJSON_Print(doc);
    struct buf b = BUF_INIT;

    if (!text)
        return NULL;
    /*
     * cJSON indents with tabs and writes "key":<tab>value. A tab inside a
     * string is always escaped, so every raw tab is layout: two spaces, as
     * `docker compose config --format json` indents.
     */
    for (const char *c = text; *c; c++) {
        if (*c != '\t')
            buf_addch(&b, *c);
        else if (c > text && c[-1] == ':')
            buf_addch(&b, ' ');
        else
            buf_adds(&b, "  ");
    }
    cJSON_free(text);
    return buf_detach(&b, NULL);
}

/* ---- YAML ------------------------------------------------------------------ */

/* Would a plain scalar with this text read back as something other than a string? */
static bool needs_quotes(const char *s)
{
    static const char *const special[] = {"true", "false", "yes", "no", "on",
                                          "off",  "null",  "~",   "y",  "n"};
    char *end;

    if (!*s)
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(special); i++)
        if (!strcasecmp(s, special[i]))
            return true;
    (void)strtod(s, &end);
    if (!*end)
        return true;
    /* "8080:80" is a sexagesimal number in YAML 1.1 */
    if (strchr("0123456789+-.", s[0]) && strchr(s, ':'))
        return true;
    return false;
}

struct emit {
    yaml_emitter_t emitter;
    struct buf out;
    bool failed;
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    buf_add(&((struct emit *)data)->out, buffer, size);
    return 1;
}

static void emit_scalar(struct emit *em, const char *text, bool quote)
{
    yaml_event_t ev;

    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
                                 quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
    if (!yaml_emitter_emit(&em->emitter, &ev))
        em->failed = true;
}

static void emit_node(struct emit *em, const cJSON *n)
{
    yaml_event_t ev;
    const cJSON *child;
    char num[64];

    if (em->failed)
        return;
    if (cJSON_IsObject(n)) {
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        if (!yaml_emitter_emit(&em->emitter, &ev)) {
            em->failed = true;
            return;
        }
        cJSON_ArrayForEach(child, n)
        {
            emit_scalar(em, child->string, needs_quotes(child->string));
            emit_node(em, child);
        }
        yaml_mapping_end_event_initialize(&ev);
    } else if (cJSON_IsArray(n)) {
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        if (!yaml_emitter_emit(&em->emitter, &ev)) {
            em->failed = true;
            return;
        }
        cJSON_ArrayForEach(child, n) emit_node(em, child);
        yaml_sequence_end_event_initialize(&ev);
    } else if (cJSON_IsString(n)) {
        emit_scalar(em, n->valuestring, needs_quotes(n->valuestring));
        return;
    } else if (cJSON_IsNumber(n)) {
        double d = n->valuedouble;

        /* whole numbers as such; the cast only where it is defined */
        if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(long long)d)
            snprintf(num, sizeof(num), "%lld", (long long)n->valuedouble);
        else
            snprintf(num, sizeof(num), "%.17g", n->valuedouble);
        emit_scalar(em, num, false);
        return;
    } else if (cJSON_IsBool(n)) {
        emit_scalar(em, cJSON_IsTrue(n) ? "true" : "false", false);
        return;
    } else {
        emit_scalar(em, "null", false);
        return;
    }
    if (!yaml_emitter_emit(&em->emitter, &ev))
        em->failed = true;
}

char *compose_json_to_yaml(const cJSON *doc)
{
    struct emit em = {.out = BUF_INIT};
    yaml_event_t ev;

    yaml_emitter_initialize(&em.emitter);
    yaml_emitter_set_output(&em.emitter, write_handler, &em);
    yaml_emitter_set_unicode(&em.emitter, 1);
    yaml_emitter_set_width(&em.emitter, -1);
    yaml_emitter_set_indent(&em.emitter, 2);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    em.failed = !yaml_emitter_emit(&em.emitter, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    em.failed = em.failed || !yaml_emitter_emit(&em.emitter, &ev);
    emit_node(&em, doc);
    yaml_document_end_event_initialize(&ev, 1);
    em.failed = em.failed || !yaml_emitter_emit(&em.emitter, &ev);
    yaml_stream_end_event_initialize(&ev);
    em.failed = em.failed || !yaml_emitter_emit(&em.emitter, &ev);
    yaml_emitter_delete(&em.emitter);
    if (em.failed) {
        buf_release(&em.out);
        return NULL;
    }
    return buf_detach(&em.out, NULL);
}
