/* A compose service as the engine's container configuration, its names and its hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/strutil.h"
#include "util/banned.h"

#ifndef DEVSTACK_VERSION
#define DEVSTACK_VERSION "0.0.0"
#endif

/*
 * Bumped when devstack translates a service differently, so containers made
 * by an older devstack are recreated rather than kept with old settings.
 */
#define HASH_SCHEME "devstack-container-v1"

/* The Compose version written in com.docker.compose.version, for tools that read it. */
#define COMPOSE_VERSION_LABEL "2.24.0"

char *stack_container_name(const struct compose_project *p, const struct compose_service *s,
                           int number)
{
    struct buf b = BUF_INIT;

    if (s->container_name)
        buf_adds(&b, s->container_name);
    else
        buf_addf(&b, "%s-%s-%d", p->name, s->name, number);
    return buf_detach(&b, NULL);
}

char *stack_image_ref(const struct compose_project *p, const struct compose_service *s)
{
    struct buf b = BUF_INIT;

    if (s->image)
        buf_adds(&b, s->image);
    else
        buf_addf(&b, "%s-%s", p->name, s->name);
    return buf_detach(&b, NULL);
}

/*
 * Where the service's secrets and configs come from (a file's path, a
 * variable's name, a config's content): changing one recreates the
 * container. What a file or a variable holds is not part of it, as with
 * Compose: a file is mounted and shows its new content as it is written.
 */
static void add_file_sources(struct buf *b, const struct compose_project *p,
                             const struct compose_service *s)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct compose_file_ref *refs = pass ? s->configs : s->secrets;
        size_t n = pass ? s->n_configs : s->n_secrets;

        for (size_t i = 0; i < n; i++) {
            const struct compose_file_object *o = pass ? compose_find_config(p, refs[i].source)
                                                       : compose_find_secret(p, refs[i].source);

            if (!o)
                continue;
            buf_addf(b, "%s %s file=%s environment=%s external=%d content=%zu:",
                     pass ? "config" : "secret", o->key, o->file ? o->file : "",
                     o->environment ? o->environment : "", o->external,
                     o->content ? strlen(o->content) : 0);
            if (o->content)
                buf_adds(b, o->content);
            buf_addch(b, '\n');
        }
    }
}

char *stack_config_hash(const struct compose_project *p, const struct compose_service *s,
                        const char *image_id, const struct stack_options *opts)
{
    cJSON *doc = compose_service_to_json(s);
    char *text;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    struct buf extra = BUF_INIT, hex = BUF_INIT;

    /* how many containers a service has changes none of them, as in Compose's hash */
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "scale");
    text = cJSON_PrintUnformatted(doc);
    /* what else shapes the container: the project, the published address, the image */
    buf_addf(&extra, "\n%s\n%s\n%s\n%s\n", HASH_SCHEME, p->name,
             opts && opts->bind_all ? "bind-all" : "bind-loopback", image_id ? image_id : "");
    add_file_sources(&extra, p, s);
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, text, strlen(text));
    EVP_DigestUpdate(ctx, extra.buf, extra.len);
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    for (unsigned int i = 0; i < len; i++)
        buf_addf(&hex, "%02x", md[i]);
    cJSON_free(text);
    cJSON_Delete(doc);
    buf_release(&extra);
    return buf_detach(&hex, NULL);
}

static char *join_files(const struct compose_project *p)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < p->config_files.n; i++)
        buf_addf(&b, "%s%s", i ? "," : "", p->config_files.v[i]);
    return buf_detach(&b, NULL);
}

static void add_mounts(const struct compose_project *p, const struct compose_service *s,
                       struct engine_container_config *c)
{
    for (size_t i = 0; i < s->n_volumes; i++) {
        const struct compose_mount *v = &s->volumes[i];
        struct engine_mount *m = engine_container_config_add_mount(c);

        m->target = xstrdup(v->target);
        m->read_only = v->read_only;
        switch (v->type) {
        case COMPOSE_MOUNT_BIND:
            m->type = ENGINE_MOUNT_BIND;
            m->source = xstrdup(v->source);
            m->bind_create_host_path = v->create_host_path;
            m->bind_propagation = v->propagation ? xstrdup(v->propagation) : NULL;
            m->bind_selinux = v->selinux ? xstrdup(v->selinux) : NULL;
            m->bind_recursive = !v->recursive                       ? ENGINE_BIND_RECURSIVE
                                : !strcmp(v->recursive, "disabled") ? ENGINE_BIND_NON_RECURSIVE
                                : !strcmp(v->recursive, "writable") ? ENGINE_BIND_WRITABLE
                                : !strcmp(v->recursive, "readonly") ? ENGINE_BIND_FORCE_READONLY
                                                                    : ENGINE_BIND_RECURSIVE;
            break;
        case COMPOSE_MOUNT_VOLUME: {
            const struct compose_volume *vol = v->source ? compose_find_volume(p, v->source) : NULL;

            m->type = ENGINE_MOUNT_VOLUME;
            m->source = vol ? xstrdup(vol->name) : NULL; /* NULL: anonymous */
            m->volume_nocopy = v->nocopy;
            m->subpath = v->subpath ? xstrdup(v->subpath) : NULL;
            break;
        }
        case COMPOSE_MOUNT_IMAGE:
            m->type = ENGINE_MOUNT_IMAGE;
            m->source = xstrdup(v->source);
            m->subpath = v->subpath ? xstrdup(v->subpath) : NULL;
            break;
        case COMPOSE_MOUNT_TMPFS:
            m->type = ENGINE_MOUNT_TMPFS;
            m->tmpfs_size = v->tmpfs_size;
            m->tmpfs_mode = v->tmpfs_mode;
            break;
        }
    }
}

static bool has_mount_at(const struct engine_container_config *c, const char *target)
{
    for (size_t i = 0; i < c->n_mounts; i++)
        if (!strcmp(c->mounts[i].target, target))
            return true;
    return false;
}

/*
 * File secrets and configs: read-only bind mounts, as Compose makes them; a
 * volume at the same path wins. The others are copied in after create.
 */
static void add_file_mounts(const struct compose_project *p, const struct compose_service *s,
                            struct engine_container_config *c)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct compose_file_ref *refs = pass ? s->configs : s->secrets;
        size_t n = pass ? s->n_configs : s->n_secrets;

        for (size_t i = 0; i < n; i++) {
            const struct compose_file_object *o = pass ? compose_find_config(p, refs[i].source)
                                                       : compose_find_secret(p, refs[i].source);
            char *target = compose_file_ref_path(&refs[i], !pass);
            struct engine_mount *m;

            if (!o || !o->file || has_mount_at(c, target)) {
                free(target);
                continue;
            }
            m = engine_container_config_add_mount(c);
            m->type = ENGINE_MOUNT_BIND;
            m->source = xstrdup(o->file);
            m->target = target;
            m->read_only = true;
        }
    }
}

static void add_ports(const struct compose_service *s, const struct stack_options *opts,
                      struct engine_container_config *c)
{
    for (size_t i = 0; i < s->n_ports; i++) {
        const struct compose_port *cp = &s->ports[i];
        struct engine_port *ep = engine_container_config_add_port(c);

        ep->target = cp->target;
        ep->protocol = xstrdup(cp->protocol ? cp->protocol : "tcp");
        ep->publish = cp->published != NULL;
        if (!ep->publish)
            continue;
        ep->host_port = xstrdup(cp->published);
        if (cp->host_ip && *cp->host_ip)
            ep->host_ip = xstrdup(cp->host_ip);
        else if (!(opts && opts->bind_all))
            /* a dev database must not face the network unless the file says so */
            ep->host_ip = xstrdup("127.0.0.1");
    }
    for (size_t i = 0; i < s->expose.n; i++) {
        const char *e = s->expose.v[i], *slash = strchr(e, '/');
        char *num = xstrndup(e, slash ? (size_t)(slash - e) : strlen(e));
        int lo = 0, hi = 0;
        const char *dash = strchr(num, '-');

        if (dash) {
            char *a = xstrndup(num, (size_t)(dash - num));
            if (str_to_int(a, 1, 65535, &lo) < 0 || str_to_int(dash + 1, 1, 65535, &hi) < 0)
                lo = hi = 0;
            free(a);
        } else if (str_to_int(num, 1, 65535, &lo) == 0) {
            hi = lo;
        }
        for (int port = lo; port && port <= hi; port++) {
            struct engine_port *ep = engine_container_config_add_port(c);

            ep->target = (uint16_t)port;
            ep->protocol = xstrdup(slash ? slash + 1 : "tcp");
        }
        free(num);
    }
}

static void add_networks(const struct compose_project *p, const struct compose_service *s,
                         struct engine_container_config *c)
{
    struct compose_service_network none = {.name = "default", .aliases = STRVEC_INIT};
    const struct compose_service_network *nets = s->n_networks ? s->networks : &none;
    size_t n = s->n_networks ? s->n_networks : 1;

    if (s->network_mode) {
        c->network_mode = xstrdup(s->network_mode);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct compose_network *net = compose_find_network(p, nets[i].name);
        struct engine_network_attachment *a =
                engine_container_config_add_network(c, net ? net->name : nets[i].name);

        /* the service name (and container_name, hostname) resolve on every network */
        strvec_push(&a->aliases, s->name);
        if (s->container_name && strcmp(s->container_name, s->name))
            strvec_push(&a->aliases, s->container_name);
        if (s->hostname && !strvec_contains(&a->aliases, s->hostname))
            strvec_push(&a->aliases, s->hostname);
        for (size_t k = 0; k < nets[i].aliases.n; k++)
            if (!strvec_contains(&a->aliases, nets[i].aliases.v[k]))
                strvec_push(&a->aliases, nets[i].aliases.v[k]);
        if (nets[i].ipv4_address)
            a->ipv4_address = xstrdup(nets[i].ipv4_address);
        if (nets[i].ipv6_address)
            a->ipv6_address = xstrdup(nets[i].ipv6_address);
        strvec_copy(&a->link_local_ips, &nets[i].link_local_ips);
        if (nets[i].mac_address)
            a->mac_address = xstrdup(nets[i].mac_address);
        kvlist_copy(&a->driver_opts, &nets[i].driver_opts);
        a->gw_priority = nets[i].gw_priority;
        /* the networks come by priority: the first is the one the container is created on */
        if (i == 0)
            c->network_mode = xstrdup(a->network);
    }
}

static void add_depends_label(const struct compose_service *s, struct kvlist *labels)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < s->n_depends_on; i++) {
        const struct compose_dependency *d = &s->depends_on[i];
        buf_addf(&b, "%s%s:%s:%s", i ? "," : "", d->service, d->condition,
                 d->restart ? "true" : "false");
    }
    kvlist_set(labels, LABEL_DEPENDS_ON, b.buf);
    buf_release(&b);
}

static void add_device_request(struct engine_resources *r, const struct compose_device_request *q,
                               bool gpu)
{
    struct engine_device_request *d;

    r->device_requests =
            xrealloc(r->device_requests, (r->n_device_requests + 1) * sizeof(*r->device_requests));
    d = &r->device_requests[r->n_device_requests++];
    memset(d, 0, sizeof(*d));
    d->driver = q->driver ? xstrdup(q->driver) : NULL;
    d->count = q->count;
    strvec_init(&d->device_ids);
    strvec_init(&d->capabilities);
    strvec_copy(&d->device_ids, &q->device_ids);
    strvec_copy(&d->capabilities, &q->capabilities);
    /* gpus: asks for the "gpu" capability on top of what it names, as Compose does */
    if (gpu && !strvec_contains(&d->capabilities, "gpu"))
        strvec_push(&d->capabilities, "gpu");
    kvlist_copy(&d->options, &q->options);
}

/*
 * Resources as Compose computes them: the service-level keys, then
 * deploy.resources over them (limits: memory, cpus, pids; reservations:
 * memory and devices), then gpus.
 */
static void add_resources(const struct compose_service *s, struct engine_resources *r)
{
    const struct compose_deploy *d = s->deploy;

    r->memory = s->ext->mem_limit;
    r->memory_swap = s->ext->memswap_limit;
    r->memory_reservation = s->ext->mem_reservation;
    r->memory_swappiness = s->ext->mem_swappiness ? s->ext->mem_swappiness : -1;
    r->nano_cpus = (int64_t)(s->ext->cpus * 1e9 + 0.5);
    r->cpu_shares = s->ext->cpu_shares;
    r->cpu_period = s->ext->cpu_period;
    r->cpu_quota = s->ext->cpu_quota;
    r->cpu_rt_period = s->ext->cpu_rt_period;
    r->cpu_rt_runtime = s->ext->cpu_rt_runtime;
    r->cpu_count = s->ext->cpu_count;
    r->cpu_percent = (int64_t)s->ext->cpu_percent;
    r->pids_limit = s->ext->pids_limit;
    r->oom_kill_disable = s->ext->oom_kill_disable == 1;
    r->cpuset_cpus = s->ext->cpuset ? xstrdup(s->ext->cpuset) : NULL;
    r->cgroup_parent = s->ext->cgroup_parent ? xstrdup(s->ext->cgroup_parent) : NULL;
    strvec_copy(&r->device_cgroup_rules, &s->ext->device_cgroup_rules);
    if (s->ext->blkio) {
        r->blkio_weight = s->ext->blkio->weight;
        for (size_t l = 0; l < 5; l++) {
            r->n_blkio[l] = s->ext->blkio->n[l];
            r->blkio[l] = xcalloc(s->ext->blkio->n[l] + 1, sizeof(*r->blkio[l]));
            for (size_t i = 0; i < s->ext->blkio->n[l]; i++) {
                r->blkio[l][i].path = xstrdup(s->ext->blkio->lists[l][i].path);
                r->blkio[l][i].value = s->ext->blkio->lists[l][i].value;
            }
        }
    }
    if (d && d->limits) {
        if (d->limits->memory)
            r->memory = d->limits->memory;
        if (d->limits->cpus)
            r->nano_cpus = (int64_t)(d->limits->cpus * 1e9 + 0.5);
        if (d->limits->pids > 0)
            r->pids_limit = d->limits->pids;
    }
    if (d && d->reservations) {
        if (d->reservations->memory)
            r->memory_reservation = d->reservations->memory;
        for (size_t i = 0; i < d->reservations->n_devices; i++)
            add_device_request(r, &d->reservations->devices[i], false);
    }
    r->n_devices = s->ext->n_devices;
    r->devices = xcalloc(s->ext->n_devices + 1, sizeof(*r->devices));
    for (size_t i = 0; i < s->ext->n_devices; i++) {
        r->devices[i].path_on_host = xstrdup(s->ext->devices[i].source);
        r->devices[i].path_in_container = xstrdup(s->ext->devices[i].target);
        r->devices[i].permissions = xstrdup(s->ext->devices[i].permissions);
    }
    for (size_t i = 0; i < s->ext->n_gpus; i++)
        add_device_request(r, &s->ext->gpus[i], true);
    r->n_ulimits = s->ext->n_ulimits;
    r->ulimits = xcalloc(s->ext->n_ulimits + 1, sizeof(*r->ulimits));
    for (size_t i = 0; i < s->ext->n_ulimits; i++) {
        r->ulimits[i].name = xstrdup(s->ext->ulimits[i].name);
        r->ulimits[i].soft = s->ext->ulimits[i].soft;
        r->ulimits[i].hard = s->ext->ulimits[i].hard;
    }
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Namespaces, runtime, logging and the lists that go to HostConfig as written. */
static void add_host_more(const struct compose_service *s, struct engine_container_config *c)
{
    c->ipc_mode = dup_or_null(s->ext->ipc);
    c->pid_mode = dup_or_null(s->ext->pid);
    c->uts_mode = dup_or_null(s->ext->uts);
    c->userns_mode = dup_or_null(s->ext->userns_mode);
    c->cgroupns_mode = dup_or_null(s->ext->cgroup);
    c->runtime = dup_or_null(s->ext->runtime);
    c->isolation = dup_or_null(s->ext->isolation);
    c->mac_address = dup_or_null(s->ext->mac_address);
    for (size_t i = 0; i < s->ext->tmpfs.n; i++) {
        const char *colon = strchr(s->ext->tmpfs.v[i], ':');
        char *path = xstrndup(s->ext->tmpfs.v[i], colon ? (size_t)(colon - s->ext->tmpfs.v[i])
                                                        : strlen(s->ext->tmpfs.v[i]));

        kvlist_set(&c->tmpfs, path, colon ? colon + 1 : "");
        free(path);
    }
    /* service references (links, volumes_from service, *:service:X) are resolved at create */
    strvec_copy(&c->links, &s->ext->links);
    for (size_t i = 0; i < s->ext->external_links.n; i++) {
        const char *e = s->ext->external_links.v[i];

        if (strchr(e, ':'))
            strvec_push(&c->links, e);
        else
            strvec_pushf(&c->links, "%s:%s", e, e);
    }
    strvec_copy(&c->volumes_from, &s->ext->volumes_from);
    strvec_copy(&c->group_add, &s->ext->group_add);
    strvec_copy(&c->dns_search, &s->ext->dns_search);
    strvec_copy(&c->dns_options, &s->ext->dns_opt);
    kvlist_copy(&c->sysctls, &s->ext->sysctls);
    kvlist_copy(&c->storage_opt, &s->ext->storage_opt);
    kvlist_copy(&c->annotations, &s->ext->annotations);
    if (s->logging) {
        c->log_driver = dup_or_null(s->logging->driver);
        kvlist_copy(&c->log_options, &s->logging->options);
    }
    c->oom_score_adj = (int)s->ext->oom_score_adj;
    add_resources(s, &c->resources);
}

void stack_container_config(const struct compose_project *p, const struct compose_service *s,
                            int number, const char *image_id, const struct stack_options *opts,
                            struct engine_container_config *c)
{
    char *hash = stack_config_hash(p, s, image_id, opts);
    char *files = join_files(p);
    char num[16];

    engine_container_config_init(c);
    c->name = stack_container_name(p, s, number);
    c->image = stack_image_ref(p, s);
    c->platform = s->platform ? xstrdup(s->platform) : NULL;
    c->hostname = s->hostname ? xstrdup(s->hostname) : NULL;
    c->domainname = s->domainname ? xstrdup(s->domainname) : NULL;
    c->user = s->user ? xstrdup(s->user) : NULL;
    c->working_dir = s->working_dir ? xstrdup(s->working_dir) : NULL;
    for (size_t i = 0; i < s->environment.n; i++)
        strvec_pushf(&c->env, "%s=%s", s->environment.items[i].key,
                     s->environment.items[i].value ? s->environment.items[i].value : "");
    if (s->command_set) {
        c->cmd_set = true;
        strvec_copy(&c->cmd, &s->command);
    }
    if (s->entrypoint_set) {
        c->entrypoint_set = true;
        strvec_copy(&c->entrypoint, &s->entrypoint);
    }

    kvlist_copy(&c->labels, &s->labels);
    kvlist_set(&c->labels, LABEL_PROJECT, p->name);
    kvlist_set(&c->labels, LABEL_SERVICE, s->name);
    snprintf(num, sizeof(num), "%d", number);
    kvlist_set(&c->labels, LABEL_NUMBER, num);
    kvlist_set(&c->labels, LABEL_ONEOFF, "False");
    kvlist_set(&c->labels, LABEL_WORKING_DIR, p->working_dir);
    kvlist_set(&c->labels, LABEL_CONFIG_FILES, files);
    /* Compose's own hash cannot be reproduced; ours serves both, read only by devstack */
    kvlist_set(&c->labels, LABEL_CONFIG_HASH, hash);
    kvlist_set(&c->labels, LABEL_DEVSTACK_HASH, hash);
    kvlist_set(&c->labels, LABEL_VERSION, COMPOSE_VERSION_LABEL);
    if (image_id)
        kvlist_set(&c->labels, LABEL_IMAGE, image_id);
    add_depends_label(s, &c->labels);

    c->tty = s->tty == 1;
    c->open_stdin = s->stdin_open == 1;
    c->stop_signal = s->stop_signal ? xstrdup(s->stop_signal) : NULL;
    c->stop_timeout = s->stop_grace_period >= 0 ? (int)(s->stop_grace_period / NS_PER_SEC) : -1;
    c->init = s->init;
    c->privileged = s->privileged == 1;
    c->read_only_rootfs = s->read_only == 1;
    strvec_copy(&c->cap_add, &s->cap_add);
    strvec_copy(&c->cap_drop, &s->cap_drop);
    strvec_copy(&c->dns, &s->dns);
    strvec_copy(&c->security_opt, &s->security_opt);
    strvec_copy(&c->extra_hosts, &s->extra_hosts);
    c->shm_size = s->shm_size;
    if (s->restart) {
        const char *colon = strchr(s->restart, ':');

        c->restart_policy =
                xstrndup(s->restart, colon ? (size_t)(colon - s->restart) : strlen(s->restart));
        if (colon)
            str_to_int(colon + 1, 0, 1000000, &c->restart_max_retries);
    }
    if (s->deploy && (s->deploy->restart_condition || s->deploy->restart_max_attempts >= 0)) {
        /* deploy.restart_policy wins over restart, in the engine's words */
        const char *cond = s->deploy->restart_condition ? s->deploy->restart_condition : "";

        free(c->restart_policy);
        c->restart_policy = xstrdup(!strcmp(cond, "none")  ? "no"
                                    : !strcmp(cond, "any") ? "always"
                                                           : cond);
        c->restart_max_retries =
                s->deploy->restart_max_attempts > 0 ? (int)s->deploy->restart_max_attempts : 0;
    }
    add_host_more(s, c);
    if (s->healthcheck) {
        const struct compose_healthcheck *h = s->healthcheck;

        c->healthcheck_set = true;
        if (h->disable)
            strvec_push(&c->healthcheck.test, "NONE");
        else
            strvec_copy(&c->healthcheck.test, &h->test);
        c->healthcheck.interval_ns = h->interval > 0 ? h->interval : 0;
        c->healthcheck.timeout_ns = h->timeout > 0 ? h->timeout : 0;
        c->healthcheck.start_period_ns = h->start_period > 0 ? h->start_period : 0;
        c->healthcheck.start_interval_ns = h->start_interval > 0 ? h->start_interval : 0;
        c->healthcheck.retries = h->retries > 0 ? h->retries : 0;
    }
    add_ports(s, opts, c);
    add_mounts(p, s, c);
    add_file_mounts(p, s, c);
    add_networks(p, s, c);
    free(hash);
    free(files);
}

static int no_container(const char *what, const char *service, const struct compose_service *s,
                        struct ds_error *err)
{
    ds_error_set(err, DS_ENOTFOUND, "service '%s': %s service '%s', which has no container",
                 s->name, what, service);
    ds_error_hint(err, "start '%s' first (devstack up %s)", service, service);
    return DS_ENOTFOUND;
}

static int resolve_one(const char *what, const char *service, const struct compose_service *s,
                       const struct stack_lookup *lookup, const char **id, const char **name,
                       struct ds_error *err)
{
    if (lookup->first(service, id, name, lookup->ud))
        return 0;
    return no_container(what, service, s, err);
}

/* links: X[:alias] names every container of X, each under the alias and Compose's two names. */
static int resolve_link(const struct compose_project *p, const struct compose_service *s,
                        int number, const char *link, const struct stack_lookup *lookup,
                        struct strvec *out, struct ds_error *err)
{
    const char *colon = strchr(link, ':');
    char *service = xstrndup(link, colon ? (size_t)(colon - link) : strlen(link));
    struct strvec names = STRVEC_INIT;
    int rc = lookup->all(service, &names, lookup->ud, err);

    if (rc == 0 && !names.n)
        rc = no_container("links to", service, s, err);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        strvec_pushf(out, "%s:%s", names.v[i], colon ? colon + 1 : service);
        strvec_pushf(out, "%s:%s-%d", names.v[i], service, number);
        strvec_pushf(out, "%s:%s-%s-%d", names.v[i], p->name, service, number);
    }
    strvec_clear(&names);
    free(service);
    return rc;
}

/* "service:X" in a namespace mode becomes "container:<id of X>". */
static int resolve_mode(char **mode, const char *what, const struct compose_service *s,
                        const struct stack_lookup *lookup, struct ds_error *err)
{
    const char *service, *id = NULL, *name = NULL;
    struct buf b = BUF_INIT;
    int rc;

    if (!*mode || !str_skip_prefix(*mode, "service:", &service))
        return 0;
    rc = resolve_one(what, service, s, lookup, &id, &name, err);
    if (rc < 0)
        return rc;
    buf_addf(&b, "container:%s", id);
    free(*mode);
    *mode = buf_detach(&b, NULL);
    return 0;
}

int stack_resolve_references(const struct compose_project *p, const struct compose_service *s,
                             int number, struct engine_container_config *c,
                             const struct stack_lookup *lookup, struct ds_error *err)
{
    struct strvec links = STRVEC_INIT;
    int rc;

    rc = resolve_mode(&c->network_mode, "network_mode shares the network of", s, lookup, err);
    if (rc == 0)
        rc = resolve_mode(&c->ipc_mode, "ipc shares the IPC namespace of", s, lookup, err);
    if (rc == 0)
        rc = resolve_mode(&c->pid_mode, "pid shares the PID namespace of", s, lookup, err);
    for (size_t i = 0; rc == 0 && i < c->volumes_from.n; i++) {
        const char *v = c->volumes_from.v[i], *rest, *id = NULL, *name = NULL;
        char *service, *resolved;
        struct buf b = BUF_INIT;

        if (str_skip_prefix(v, "container:", &rest)) {
            resolved = xstrdup(rest);
        } else {
            const char *colon = strchr(v, ':');

            service = xstrndup(v, colon ? (size_t)(colon - v) : strlen(v));
            rc = resolve_one("volumes_from takes the volumes of", service, s, lookup, &id, &name,
                             err);
            free(service);
            if (rc < 0)
                break;
            /* the mode stays: Compose drops it, and with it a read-only request */
            buf_addf(&b, "%s%s", id, colon ? colon : "");
            resolved = buf_detach(&b, NULL);
        }
        free(c->volumes_from.v[i]);
        c->volumes_from.v[i] = resolved;
    }
    /* links to services first, then external_links, which stack_container_config() appended */
    for (size_t i = 0; rc == 0 && i < c->links.n; i++) {
        if (i < s->ext->links.n)
            rc = resolve_link(p, s, number, c->links.v[i], lookup, &links, err);
        else
            strvec_push(&links, c->links.v[i]);
    }
    if (rc == 0) {
        strvec_clear(&c->links);
        c->links = links;
        /* on a user-defined network the engine keeps links in the endpoint, as Compose sends them
         */
        for (size_t i = 0; i < c->n_networks; i++)
            strvec_copy(&c->networks[i].links, &c->links);
    } else {
        strvec_clear(&links);
    }
    return rc;
}
