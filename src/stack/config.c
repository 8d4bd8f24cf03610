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
    char *text = cJSON_PrintUnformatted(doc);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    struct buf extra = BUF_INIT, hex = BUF_INIT;

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
            break;
        case COMPOSE_MOUNT_VOLUME: {
            const struct compose_volume *vol = v->source ? compose_find_volume(p, v->source) : NULL;

            m->type = ENGINE_MOUNT_VOLUME;
            m->source = vol ? xstrdup(vol->name) : NULL; /* NULL: anonymous */
            m->volume_nocopy = v->nocopy;
            break;
        }
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
