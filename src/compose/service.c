/* One service's keys, read from a file's tree; and merging a later file's service into it. */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stdarg.h>

#include "compose/dotenv.h"
#include "compose/internal.h"
#include "util/alloc.h"
#include "util/path.h"
#include "util/duration.h"
#include "util/shellwords.h"
#include "util/strutil.h"
#include "util/banned.h"

const struct compose_service_ext compose_service_ext_none = {
        .tmpfs = STRVEC_INIT,
        .links = STRVEC_INIT,
        .external_links = STRVEC_INIT,
        .volumes_from = STRVEC_INIT,
        .group_add = STRVEC_INIT,
        .dns_search = STRVEC_INIT,
        .dns_opt = STRVEC_INIT,
        .device_cgroup_rules = STRVEC_INIT,
        .label_files = STRVEC_INIT,
        .sysctls = KVLIST_INIT,
        .storage_opt = KVLIST_INIT,
        .annotations = KVLIST_INIT,
        .oom_kill_disable = -1,
};

void compose_service_init(struct compose_service *s)
{
    memset(s, 0, sizeof(*s));
    strvec_init(&s->command);
    strvec_init(&s->entrypoint);
    strvec_init(&s->expose);
    strvec_init(&s->extra_hosts);
    strvec_init(&s->dns);
    strvec_init(&s->cap_add);
    strvec_init(&s->cap_drop);
    strvec_init(&s->security_opt);
    strvec_init(&s->profiles);
    s->ext = &compose_service_ext_none;
    s->attach = -1;
    s->tty = s->stdin_open = s->init = s->privileged = s->read_only = -1;
    s->stop_grace_period = -1;
    s->scale = -1;
}

struct compose_service_ext *compose_service_ext_mut(struct compose_service *s)
{
    struct compose_service_ext *e;

    if (s->ext != &compose_service_ext_none)
        return (struct compose_service_ext *)s->ext; /* the service's own */
    e = xmalloc(sizeof(*e));
    *e = compose_service_ext_none;
    s->ext = e;
    return e;
}

static void blkio_free(struct compose_blkio *b);
static void logging_free(struct compose_logging *l);
static void deploy_free(struct compose_deploy *d);
static void hooks_free(struct compose_hook *h, size_t n);
static void watch_free(struct compose_watch *w, size_t n);
static void device_release(struct compose_device *d);
static void device_request_release(struct compose_device_request *r);

static void ext_free(const struct compose_service_ext *ce)
{
    struct compose_service_ext *e;

    if (ce == &compose_service_ext_none)
        return;
    e = (struct compose_service_ext *)ce;
    free(e->ipc);
    free(e->pid);
    free(e->uts);
    free(e->userns_mode);
    free(e->cgroup);
    free(e->cgroup_parent);
    free(e->runtime);
    free(e->isolation);
    free(e->mac_address);
    free(e->cpuset);
    strvec_clear(&e->tmpfs);
    strvec_clear(&e->links);
    strvec_clear(&e->external_links);
    strvec_clear(&e->volumes_from);
    strvec_clear(&e->group_add);
    strvec_clear(&e->dns_search);
    strvec_clear(&e->dns_opt);
    strvec_clear(&e->device_cgroup_rules);
    strvec_clear(&e->label_files);
    kvlist_clear(&e->sysctls);
    kvlist_clear(&e->storage_opt);
    kvlist_clear(&e->annotations);
    for (size_t i = 0; i < e->n_ulimits; i++)
        free(e->ulimits[i].name);
    free(e->ulimits);
    for (size_t i = 0; i < e->n_devices; i++)
        device_release(&e->devices[i]);
    free(e->devices);
    for (size_t i = 0; i < e->n_gpus; i++)
        device_request_release(&e->gpus[i]);
    free(e->gpus);
    blkio_free(e->blkio);
    hooks_free(e->post_start, e->n_post_start);
    hooks_free(e->pre_stop, e->n_pre_stop);
    watch_free(e->watch, e->n_watch);
    free(e);
}

void compose_mount_release(struct compose_mount *m)
{
    free(m->source);
    free(m->target);
    free(m->propagation);
    free(m->selinux);
    free(m->consistency);
    free(m->subpath);
    free(m->recursive);
    memset(m, 0, sizeof(*m));
}

static void healthcheck_free(struct compose_healthcheck *h)
{
    if (!h)
        return;
    strvec_clear(&h->test);
    free(h);
}

static void build_free(struct compose_build *b)
{
    if (!b)
        return;
    free(b->context);
    free(b->dockerfile);
    free(b->dockerfile_inline);
    free(b->target);
    free(b->network);
    free(b->isolation);
    kvlist_clear(&b->args);
    kvlist_clear(&b->labels);
    strvec_clear(&b->cache_from);
    strvec_clear(&b->cache_to);
    strvec_clear(&b->extra_hosts);
    strvec_clear(&b->tags);
    strvec_clear(&b->platforms);
    strvec_clear(&b->entitlements);
    for (size_t i = 0; i < b->n_ulimits; i++)
        free(b->ulimits[i].name);
    free(b->ulimits);
    kvlist_clear(&b->additional_contexts);
    compose_file_ref_list_free(b->secrets, b->n_secrets);
    kvlist_clear(&b->ssh);
    free(b);
}

static void network_release(struct compose_service_network *n)
{
    free(n->name);
    free(n->ipv4_address);
    free(n->ipv6_address);
    free(n->mac_address);
    strvec_clear(&n->aliases);
    strvec_clear(&n->link_local_ips);
    kvlist_clear(&n->driver_opts);
}

void compose_service_release(struct compose_service *s)
{
    free(s->name);
    free(s->image);
    build_free(s->build);
    strvec_clear(&s->command);
    strvec_clear(&s->entrypoint);
    kvlist_clear(&s->environment);
    for (size_t i = 0; i < s->n_env_files; i++)
        free(s->env_files[i].path);
    free(s->env_files);
    for (size_t i = 0; i < s->n_ports; i++)
        compose_port_release(&s->ports[i]);
    free(s->ports);
    strvec_clear(&s->expose);
    for (size_t i = 0; i < s->n_volumes; i++)
        compose_mount_release(&s->volumes[i]);
    free(s->volumes);
    compose_file_refs_release(s);
    for (size_t i = 0; i < s->n_depends_on; i++) {
        free(s->depends_on[i].service);
        free(s->depends_on[i].condition);
    }
    free(s->depends_on);
    healthcheck_free(s->healthcheck);
    free(s->restart);
    free(s->container_name);
    free(s->hostname);
    free(s->domainname);
    free(s->working_dir);
    free(s->user);
    kvlist_clear(&s->labels);
    for (size_t i = 0; i < s->n_networks; i++)
        network_release(&s->networks[i]);
    free(s->networks);
    free(s->network_mode);
    strvec_clear(&s->extra_hosts);
    strvec_clear(&s->dns);
    strvec_clear(&s->cap_add);
    strvec_clear(&s->cap_drop);
    strvec_clear(&s->security_opt);
    strvec_clear(&s->profiles);
    free(s->stop_signal);
    free(s->pull_policy);
    free(s->platform);
    deploy_free(s->deploy);
    logging_free(s->logging);
    ext_free(s->ext);
    compose_service_init(s);
}

static struct compose_pos pos_of(const struct ynode *n)
{
    struct compose_pos p = {n->file, n->line, n->col};
    return p;
}

/* ---- command, entrypoint ------------------------------------------------------ */

static int load_command(struct loader *ld, const struct ynode *n, struct strvec *out, bool *set)
{
    if (ytree_is_null(n))
        return 0;
    strvec_clear(out);
    *set = true;
    if (n->kind == YNODE_SCALAR) {
        if (shellwords_split(out, n->text, ld->err) < 0)
            return load_fail(ld, n, "%s", ld->err->msg);
        return 0;
    }
    return load_strings(ld, n, false, out);
}

/* ---- ports ------------------------------------------------------------------ */

static int load_port_long(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_port p = {0};
    int64_t target = 0;
    int rc = 0;

    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "target"))
            rc = load_int(ld, v, 1, 65535, &target);
        else if (!strcmp(key, "published")) {
            rc = load_string(ld, v, &p.published);
            if (rc == 0 && p.published && *p.published) {
                struct compose_port *tmp = NULL;
                size_t ntmp = 0;
                struct buf spec = BUF_INIT;

                /* reuse the short-syntax checks for "8080" and "8000-8010" */
                buf_addf(&spec, "%s:1", p.published);
                if (compose_parse_port(spec.buf, &tmp, &ntmp, ld->err) < 0)
                    rc = load_fail(ld, v, "invalid published port \"%s\"", p.published);
                for (size_t k = 0; k < ntmp; k++)
                    compose_port_release(&tmp[k]);
                free(tmp);
                buf_release(&spec);
            }
        } else if (!strcmp(key, "host_ip"))
            rc = load_string(ld, v, &p.host_ip);
        else if (!strcmp(key, "protocol")) {
            rc = load_string(ld, v, &p.protocol);
            if (rc == 0 && p.protocol && strcmp(p.protocol, "tcp") && strcmp(p.protocol, "udp") &&
                strcmp(p.protocol, "sctp"))
                rc = load_fail(ld, v, "unknown protocol \"%s\" (tcp, udp or sctp)", p.protocol);
        } else if (!strcmp(key, "mode")) {
            rc = load_string(ld, v, &p.mode);
            if (rc == 0 && p.mode && strcmp(p.mode, "host") && strcmp(p.mode, "ingress"))
                rc = load_fail(ld, v, "unknown mode \"%s\" (host or ingress)", p.mode);
        } else if (!strcmp(key, "name"))
            rc = load_string(ld, v, &p.name);
        else if (!strcmp(key, "app_protocol"))
            rc = load_string(ld, v, &p.app_protocol);
        else
            rc = load_unknown_key(ld, n->keys[i]);
        load_path_pop(ld, saved);
    }
    if (rc == 0 && !target)
        rc = load_fail(ld, n, "a port needs a target (the container port)");
    if (rc < 0) {
        compose_port_release(&p);
        return rc;
    }
    p.target = (uint16_t)target;
    if (!p.protocol)
        p.protocol = xstrdup("tcp");
    if (!p.mode)
        p.mode = xstrdup("ingress");
    s->ports = xrealloc(s->ports, (s->n_ports + 1) * sizeof(*s->ports));
    s->ports[s->n_ports++] = p;
    return 0;
}

static int load_ports(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a list");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *item = n->items[i];
        size_t saved = load_path_index(ld, i);
        int rc = 0;

        if (item->kind == YNODE_MAP)
            rc = load_port_long(ld, item, s);
        else if (item->kind == YNODE_SCALAR && *item->text) {
            if (compose_parse_port(item->text, &s->ports, &s->n_ports, ld->err) < 0)
                rc = load_fail(ld, item, "%s", ld->err->msg);
        } else
            rc = load_fail(ld, item, "a port must be a string like \"8080:80\" or a mapping");
        load_path_pop(ld, saved);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- volumes ------------------------------------------------------------------ */

static bool is_path_source(const char *s)
{
    return s[0] == '/' || s[0] == '.' || s[0] == '~';
}

static int mount_option(struct loader *ld, const struct ynode *n, struct compose_mount *m,
                        const char *opt)
{
    static const char *const propagations[] = {"shared",  "slave",  "private",
                                               "rshared", "rslave", "rprivate"};

    if (!strcmp(opt, "ro")) {
        m->read_only = true;
        return 0;
    }
    if (!strcmp(opt, "rw")) {
        m->read_only = false;
        return 0;
    }
    if (!strcmp(opt, "z") || !strcmp(opt, "Z")) {
        free(m->selinux);
        m->selinux = xstrdup(opt);
        return 0;
    }
    if (!strcmp(opt, "nocopy")) {
        m->nocopy = true;
        return 0;
    }
    /* macOS-era options, meaningless on Linux: Compose drops them from the short syntax */
    if (!strcmp(opt, "cached") || !strcmp(opt, "delegated") || !strcmp(opt, "consistent"))
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(propagations); i++) {
        if (!strcmp(opt, propagations[i])) {
            free(m->propagation);
            m->propagation = xstrdup(opt);
            return 0;
        }
    }
    return load_fail(ld, n, "unknown volume option \"%s\" in \"%s\"", opt, n->text);
}

/* "/data/" and "/data/." mount at /data: the target as Compose cleans it (path.Clean) */
static void clean_target(struct compose_mount *m)
{
    char *clean = path_normalize(m->target);

    free(m->target);
    m->target = clean;
}

static int load_volume_short(struct loader *ld, const struct ynode *n, struct compose_mount *m)
{
    struct strvec parts = STRVEC_INIT;
    const char *spec = n->text;
    int rc = 0;

    /* split on ':' but keep empty pieces out: "src:dst:ro" */
    for (const char *p = spec; *p;) {
        const char *c = strchr(p, ':');
        size_t len = c ? (size_t)(c - p) : strlen(p);

        strvec_push_nodup(&parts, xstrndup(p, len));
        if (!c)
            break;
        p = c + 1;
        if (!*p)
            strvec_push(&parts, "");
    }
    if (parts.n == 0 || parts.n > 3) {
        rc = load_fail(ld, n, "invalid volume \"%s\": expected [SOURCE:]TARGET[:MODE]", spec);
        goto done;
    }
    m->pos = pos_of(n);
    if (parts.n == 1) {
        m->type = COMPOSE_MOUNT_VOLUME; /* anonymous */
        m->target = xstrdup(parts.v[0]);
    } else {
        if (!*parts.v[0] || !*parts.v[1]) {
            rc = load_fail(ld, n, "invalid volume \"%s\": empty source or target", spec);
            goto done;
        }
        m->target = xstrdup(parts.v[1]);
        if (is_path_source(parts.v[0])) {
            m->type = COMPOSE_MOUNT_BIND;
            m->source = load_abs_path(ld, parts.v[0]);
            m->create_host_path = true;
            m->relative = parts.v[0][0] != '/' && parts.v[0][0] != '~';
        } else {
            m->type = COMPOSE_MOUNT_VOLUME;
            m->source = xstrdup(parts.v[0]);
        }
        if (parts.n == 3) {
            struct strvec opts = STRVEC_INIT;

            strvec_split(&opts, parts.v[2], ',');
            for (size_t i = 0; i < opts.n && rc == 0; i++)
                rc = mount_option(ld, n, m, opts.v[i]);
            strvec_clear(&opts);
            if (rc < 0)
                goto done;
        }
    }
    if (m->target[0] != '/')
        rc = load_fail(ld, n, "invalid volume \"%s\": the target must be an absolute path", spec);
    else
        clean_target(m);

done:
    strvec_clear(&parts);
    return rc;
}

/* volume.subpath, image.subpath: relative, and not out of the source */
/*
 * A key of a mount's bind:, volume:, tmpfs: or image: mapping that devstack
 * does not read is refused at its line, as Compose's schema refuses one it
 * does not know.
 */
static int check_mount_options(struct loader *ld, const char *what, const struct ynode *map,
                               const char *known)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < map->n; i++) {
        const char *key = map->keys[i]->text;
        size_t saved = load_path_key(ld, key);
        struct buf word = BUF_INIT;

        buf_addf(&word, " %s ", key);
        if (!str_starts_with(key, "x-") && !strstr(known, word.buf)) {
            rc = load_fail(ld, map->keys[i], "unknown key '%s' in %s (%.*s)", key, what,
                           (int)strlen(known) - 2, known + 1);
        }
        buf_release(&word);
        load_path_pop(ld, saved);
    }
    return rc;
}

static int load_subpath(struct loader *ld, const struct ynode *n, struct compose_mount *m)
{
    const struct ynode *v = ytree_get(n, "subpath");
    size_t saved = load_path_key(ld, "subpath");
    int rc = load_string(ld, v, &m->subpath);

    if (rc == 0 && m->subpath &&
        (m->subpath[0] == '/' || !strcmp(m->subpath, "..") || str_starts_with(m->subpath, "../") ||
         strstr(m->subpath, "/../")))
        rc = load_fail(ld, v, "subpath \"%s\" must be a relative path inside the source",
                       m->subpath);
    load_path_pop(ld, saved);
    return rc;
}

/* The keys of a mount's `bind:`, `volume:`, `image:` or `tmpfs:` that Compose knows of. */
static int load_bind_options(struct loader *ld, const struct ynode *n, struct compose_mount *m)
{
    static const char *const recursive[] = {"enabled", "disabled", "writable", "readonly"};
    const struct ynode *v = ytree_get(n, "recursive");
    int flag = -1, rc;

    m->bind_given = true;
    rc = check_mount_options(ld, "bind", n, " propagation create_host_path selinux recursive ");
    if (rc == 0)
        rc = load_string(ld, ytree_get(n, "propagation"), &m->propagation);
    if (rc == 0)
        rc = load_bool(ld, ytree_get(n, "create_host_path"), &flag);
    m->create_host_path = flag == 1;
    if (rc == 0)
        rc = load_string(ld, ytree_get(n, "selinux"), &m->selinux);
    if (rc == 0 && v) {
        size_t saved = load_path_key(ld, "recursive"), k = 0;

        rc = load_string(ld, v, &m->recursive);
        while (rc == 0 && m->recursive && k < 4 && strcmp(m->recursive, recursive[k]))
            k++;
        if (rc == 0 && m->recursive && k == 4)
            rc = load_fail(ld, v, "unknown value \"%s\" (enabled, disabled, writable or readonly)",
                           m->recursive);
        load_path_pop(ld, saved);
    }
    return rc;
}

static int load_volume_long(struct loader *ld, const struct ynode *n, struct compose_mount *m)
{
    char *type = NULL;
    int rc = 0;

    m->pos = pos_of(n);
    rc = load_string(ld, ytree_get(n, "type"), &type);
    if (rc < 0)
        return rc;
    if (!type)
        return load_fail(ld, n, "a volume needs a type (volume, bind or tmpfs)");
    if (!strcmp(type, "volume"))
        m->type = COMPOSE_MOUNT_VOLUME;
    else if (!strcmp(type, "bind"))
        m->type = COMPOSE_MOUNT_BIND;
    else if (!strcmp(type, "tmpfs"))
        m->type = COMPOSE_MOUNT_TMPFS;
    else if (!strcmp(type, "image"))
        m->type = COMPOSE_MOUNT_IMAGE;
    else {
        size_t saved = load_path_key(ld, "type");

        rc = load_fail(ld, ytree_get(n, "type"),
                       "unsupported volume type \"%s\" (volume, bind, tmpfs or image)", type);
        load_path_pop(ld, saved);
    }
    free(type);
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);
        int flag = -1;

        if (!strcmp(key, "type")) {
            /* read above */
        } else if (!strcmp(key, "source")) {
            rc = load_string(ld, v, &m->source);
            if (rc == 0 && m->source && m->type == COMPOSE_MOUNT_BIND) {
                char *abs = load_abs_path(ld, m->source);

                m->relative = m->source[0] != '/' && m->source[0] != '~';
                free(m->source);
                m->source = abs;
            }
        } else if (!strcmp(key, "target")) {
            rc = load_string(ld, v, &m->target);
        } else if (!strcmp(key, "read_only")) {
            rc = load_bool(ld, v, &flag);
            m->read_only = flag == 1;
        } else if (!strcmp(key, "consistency")) {
            rc = load_string(ld, v, &m->consistency);
        } else if (!strcmp(key, "bind") && v->kind == YNODE_MAP) {
            rc = load_bind_options(ld, v, m);
        } else if (!strcmp(key, "volume") && v->kind == YNODE_MAP) {
            rc = check_mount_options(ld, key, v, " nocopy subpath ");
            if (rc == 0)
                rc = load_bool(ld, ytree_get(v, "nocopy"), &flag);
            m->nocopy = flag == 1;
            if (rc == 0)
                rc = load_subpath(ld, v, m);
        } else if (!strcmp(key, "image") && v->kind == YNODE_MAP) {
            rc = check_mount_options(ld, key, v, " subpath ");
            if (rc == 0)
                rc = load_subpath(ld, v, m);
        } else if (!strcmp(key, "tmpfs") && v->kind == YNODE_MAP) {
            int64_t mode = 0;

            rc = check_mount_options(ld, key, v, " size mode ");
            if (rc == 0)
                rc = load_bytes(ld, ytree_get(v, "size"), &m->tmpfs_size);
            if (rc == 0)
                rc = load_int(ld, ytree_get(v, "mode"), 0, 07777, &mode);
            m->tmpfs_mode = (uint32_t)mode;
        } else if (!strcmp(key, "bind") || !strcmp(key, "volume") || !strcmp(key, "tmpfs") ||
                   !strcmp(key, "image")) {
            rc = load_fail(ld, v, "must be a mapping");
        } else {
            rc = load_unknown_key(ld, n->keys[i]);
        }
        load_path_pop(ld, saved);
    }
    if (rc < 0)
        return rc;
    if (!m->target || m->target[0] != '/')
        return load_fail(ld, n, "a volume needs an absolute target path");
    clean_target(m);
    if (m->type == COMPOSE_MOUNT_BIND && !m->source)
        return load_fail(ld, n, "a bind mount needs a source");
    if (m->type == COMPOSE_MOUNT_IMAGE && !m->source)
        return load_fail(ld, n, "an image mount needs a source (the image)");
    return 0;
}

static int load_volumes(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a list");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *item = n->items[i];
        struct compose_mount m = {0};
        size_t saved = load_path_index(ld, i);
        int rc;

        if (item->kind == YNODE_SCALAR && *item->text)
            rc = load_volume_short(ld, item, &m);
        else if (item->kind == YNODE_MAP)
            rc = load_volume_long(ld, item, &m);
        else
            rc = load_fail(ld, item,
                           "a volume must be a string like \"./src:/app\" or a "
                           "mapping");
        load_path_pop(ld, saved);
        if (rc < 0) {
            compose_mount_release(&m);
            return rc;
        }
        s->volumes = xrealloc(s->volumes, (s->n_volumes + 1) * sizeof(*s->volumes));
        s->volumes[s->n_volumes++] = m;
    }
    return 0;
}

/* ---- depends_on ------------------------------------------------------------------ */

static void add_dependency(struct compose_service *s, const struct ynode *at, const char *name,
                           const char *condition, bool restart, bool required)
{
    struct compose_dependency *d = NULL;

    for (size_t i = 0; i < s->n_depends_on; i++)
        if (!strcmp(s->depends_on[i].service, name))
            d = &s->depends_on[i];
    if (!d) {
        s->depends_on = xrealloc(s->depends_on, (s->n_depends_on + 1) * sizeof(*s->depends_on));
        d = &s->depends_on[s->n_depends_on++];
        memset(d, 0, sizeof(*d));
        d->service = xstrdup(name);
    }
    free(d->condition);
    d->condition = xstrdup(condition);
    d->restart = restart;
    d->required = required;
    d->pos = pos_of(at);
}

static int load_depends_on(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    static const char *const conditions[] = {"service_started", "service_healthy",
                                             "service_completed_successfully"};

    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            if (n->items[i]->kind != YNODE_SCALAR || !*n->items[i]->text) {
                size_t saved = load_path_index(ld, i);
                int rc = load_fail(ld, n->items[i], "must be a service name");
                load_path_pop(ld, saved);
                return rc;
            }
            add_dependency(s, n->items[i], n->items[i]->text, "service_started", false, true);
        }
        return 0;
    }
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a list of services or a mapping");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, n->keys[i]->text);
        char *condition = NULL;
        int restart = 0, required = 1, rc = 0;

        if (v->kind == YNODE_MAP) {
            rc = load_string(ld, ytree_get(v, "condition"), &condition);
            if (rc == 0)
                rc = load_bool(ld, ytree_get(v, "restart"), &restart);
            if (rc == 0)
                rc = load_bool(ld, ytree_get(v, "required"), &required);
            for (size_t k = 0; rc == 0 && k < v->n; k++) {
                const char *key = v->keys[k]->text;

                if (strcmp(key, "condition") && strcmp(key, "restart") && strcmp(key, "required")) {
                    size_t saved2 = load_path_key(ld, key);

                    rc = load_unknown_key(ld, v->keys[k]);
                    load_path_pop(ld, saved2);
                }
            }
            if (rc == 0 && condition) {
                bool known = false;

                for (size_t k = 0; k < ARRAY_SIZE(conditions); k++)
                    known = known || !strcmp(condition, conditions[k]);
                if (!known)
                    rc = load_fail(ld, ytree_get(v, "condition"),
                                   "unknown condition \"%s\" (service_started, service_healthy or "
                                   "service_completed_successfully)",
                                   condition);
            }
        } else if (!ytree_is_null(v)) {
            rc = load_fail(ld, v, "must be a mapping with a condition");
        }
        if (rc == 0)
            add_dependency(s, n->keys[i], n->keys[i]->text,
                           condition ? condition : "service_started", restart == 1, required == 1);
        free(condition);
        load_path_pop(ld, saved);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- healthcheck ------------------------------------------------------------------ */

static int load_healthcheck(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_healthcheck *h;
    int64_t retries = -1;
    int disable = 0, rc = 0;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping");
    h = xcalloc(1, sizeof(*h));
    strvec_init(&h->test);
    h->interval = h->timeout = h->start_period = h->start_interval = -1;
    h->retries = -1;
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "test")) {
            if (v->kind == YNODE_SCALAR && !ytree_is_null(v)) {
                strvec_push(&h->test, "CMD-SHELL");
                strvec_push(&h->test, v->text);
            } else {
                rc = load_strings(ld, v, false, &h->test);
                if (rc == 0 && h->test.n && strcmp(h->test.v[0], "CMD") &&
                    strcmp(h->test.v[0], "CMD-SHELL") && strcmp(h->test.v[0], "NONE"))
                    rc = load_fail(ld, v,
                                   "a test list starts with \"CMD\", \"CMD-SHELL\" or \"NONE\", "
                                   "not \"%s\"",
                                   h->test.v[0]);
                else if (rc == 0 && !h->test.n)
                    rc = load_fail(ld, v, "an empty test");
            }
        } else if (!strcmp(key, "interval"))
            rc = load_duration(ld, v, &h->interval);
        else if (!strcmp(key, "timeout"))
            rc = load_duration(ld, v, &h->timeout);
        else if (!strcmp(key, "start_period"))
            rc = load_duration(ld, v, &h->start_period);
        else if (!strcmp(key, "start_interval")) {
            rc = load_duration(ld, v, &h->start_interval);
            h->start_interval_pos = pos_of(n->keys[i]);
        } else if (!strcmp(key, "retries")) {
            rc = load_int(ld, v, 0, 1000000, &retries);
            h->retries = (int)retries;
        } else if (!strcmp(key, "disable")) {
            rc = load_bool(ld, v, &disable);
            h->disable = disable == 1;
        } else
            rc = load_unknown_key(ld, n->keys[i]);
        load_path_pop(ld, saved);
    }
    if (rc < 0) {
        healthcheck_free(h);
        return rc;
    }
    healthcheck_free(s->healthcheck);
    s->healthcheck = h;
    return 0;
}

/* ---- build ------------------------------------------------------------------ */

static bool is_remote_context(const char *s)
{
    return strstr(s, "://") || str_starts_with(s, "git@") || str_starts_with(s, "github.com/");
}

static int load_hosts(struct loader *ld, const struct ynode *n, struct strvec *out);
static int load_ulimit_list(struct loader *ld, const struct ynode *n, struct compose_ulimit **list,
                            size_t *count);

/* additional_contexts: a path (made absolute), a URL, docker-image://REF or service:NAME. */
static int load_additional_contexts(struct loader *ld, const struct ynode *n,
                                    struct compose_build *b)
{
    struct kvlist raw = KVLIST_INIT;
    int rc = load_kv(ld, n, '=', &raw);

    for (size_t i = 0; rc == 0 && i < raw.n; i++) {
        const char *v = raw.items[i].value;
        char *abs;

        if (!v || !*v) {
            rc = load_fail(ld, n,
                           "additional context '%s' says nowhere what it is (a path, a URL, "
                           "docker-image://REF or service:NAME)",
                           raw.items[i].key);
            break;
        }
        if (is_remote_context(v) || str_starts_with(v, "service:")) {
            kvlist_set(&b->additional_contexts, raw.items[i].key, v);
            continue;
        }
        abs = load_abs_path(ld, v);
        kvlist_set(&b->additional_contexts, raw.items[i].key, abs);
        free(abs);
    }
    kvlist_clear(&raw);
    return rc;
}

/* ssh: "default" (the SSH agent) or ID=PATH, as a list or a mapping; paths made absolute. */
static int load_ssh(struct loader *ld, const struct ynode *n, struct compose_build *b)
{
    struct kvlist raw = KVLIST_INIT;
    int rc = 0;

    if (n->kind == YNODE_SEQ) {
        for (size_t i = 0; i < n->n && rc == 0; i++) {
            const struct ynode *item = n->items[i];
            const char *eq = item->kind == YNODE_SCALAR ? strchr(item->text, '=') : NULL;
            size_t saved = load_path_index(ld, i);

            if (item->kind != YNODE_SCALAR || !*item->text ||
                (!eq && strcmp(item->text, "default")))
                rc = load_fail(ld, item, "an ssh entry is \"default\" or ID=PATH");
            else if (!eq) {
                kvlist_set(&raw, item->text, NULL);
            } else {
                char *id = xstrndup(item->text, (size_t)(eq - item->text));

                kvlist_set(&raw, id, eq + 1);
                free(id);
            }
            load_path_pop(ld, saved);
        }
    } else {
        rc = load_kv(ld, n, '=', &raw);
    }
    for (size_t i = 0; rc == 0 && i < raw.n; i++) {
        const char *path = raw.items[i].value;
        char *abs = path && *path ? load_abs_path(ld, path) : NULL;

        kvlist_set(&b->ssh, raw.items[i].key, abs);
        free(abs);
    }
    kvlist_clear(&raw);
    return rc;
}

static int load_build_key(struct loader *ld, const struct ynode *k, const struct ynode *v,
                          struct compose_build *b, char **context)
{
    const char *key = k->text;
    int flag = -1, rc = 0;
    int buildkit = -1;

    if (!strcmp(key, "context"))
        return load_string(ld, v, context);
    if (!strcmp(key, "dockerfile"))
        return load_string(ld, v, &b->dockerfile);
    if (!strcmp(key, "dockerfile_inline"))
        return load_string(ld, v, &b->dockerfile_inline);
    if (!strcmp(key, "args"))
        return load_kv(ld, v, '=', &b->args);
    if (!strcmp(key, "target"))
        return load_string(ld, v, &b->target);
    if (!strcmp(key, "labels"))
        return load_kv(ld, v, '=', &b->labels);
    if (!strcmp(key, "cache_from"))
        return load_strings(ld, v, false, &b->cache_from);
    if (!strcmp(key, "network"))
        return load_string(ld, v, &b->network);
    if (!strcmp(key, "no_cache")) {
        rc = load_bool(ld, v, &flag);
        b->no_cache = flag == 1;
        return rc;
    }
    if (!strcmp(key, "pull")) {
        rc = load_bool(ld, v, &flag);
        b->pull = flag == 1;
        return rc;
    }
    if (!strcmp(key, "shm_size"))
        return load_bytes(ld, v, &b->shm_size);
    if (!strcmp(key, "extra_hosts"))
        return load_hosts(ld, v, &b->extra_hosts);
    if (!strcmp(key, "isolation"))
        return load_string(ld, v, &b->isolation);
    if (!strcmp(key, "tags")) {
        rc = load_strings(ld, v, false, &b->tags);
        for (size_t i = 0; rc == 0 && i < b->tags.n; i++)
            if (!*b->tags.v[i])
                rc = load_fail(ld, v, "an empty tag");
    } else if (!strcmp(key, "platforms")) {
        b->platforms_pos = pos_of(k);
        rc = load_strings(ld, v, false, &b->platforms);
        for (size_t i = 0; rc == 0 && i < b->platforms.n; i++)
            if (!*b->platforms.v[i])
                rc = load_fail(ld, v, "an empty platform");
    } else if (!strcmp(key, "ulimits"))
        return load_ulimit_list(ld, v, &b->ulimits, &b->n_ulimits);
    else if (!strcmp(key, "privileged")) {
        rc = load_bool(ld, v, &flag);
        b->privileged = flag == 1;
        if (b->privileged)
            buildkit = BUILD_KEY_PRIVILEGED;
    } else if (!strcmp(key, "cache_to")) {
        rc = load_strings(ld, v, false, &b->cache_to);
        if (b->cache_to.n)
            buildkit = BUILD_KEY_CACHE_TO;
    } else if (!strcmp(key, "additional_contexts")) {
        rc = load_additional_contexts(ld, v, b);
        if (b->additional_contexts.n)
            buildkit = BUILD_KEY_ADDITIONAL_CONTEXTS;
    } else if (!strcmp(key, "secrets")) {
        rc = load_build_secrets(ld, v, b);
        if (b->n_secrets)
            buildkit = BUILD_KEY_SECRETS;
    } else if (!strcmp(key, "ssh")) {
        rc = ytree_is_null(v) ? 0 : load_ssh(ld, v, b);
        if (b->ssh.n)
            buildkit = BUILD_KEY_SSH;
    } else if (!strcmp(key, "entitlements")) {
        rc = load_strings(ld, v, false, &b->entitlements);
        if (b->entitlements.n)
            buildkit = BUILD_KEY_ENTITLEMENTS;
    } else if (!str_starts_with(key, "x-")) {
        /* Compose refuses a key its schema does not have; so does devstack, naming them */
        return load_fail(ld, k,
                         "unknown build key '%s' (context, dockerfile, dockerfile_inline, args, "
                         "ssh, labels, cache_from, cache_to, no_cache, additional_contexts, "
                         "network, pull, target, shm_size, extra_hosts, isolation, privileged, "
                         "secrets, tags, ulimits, platforms, entitlements or x-*)",
                         key);
    }
    if (rc == 0 && buildkit >= 0)
        b->buildkit_pos[buildkit] = pos_of(k);
    return rc;
}

static int load_build(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_build *b;
    char *context = NULL;
    int rc = 0;

    if (ytree_is_null(n))
        return 0;
    b = xcalloc(1, sizeof(*b));
    strvec_init(&b->cache_from);
    strvec_init(&b->cache_to);
    strvec_init(&b->extra_hosts);
    strvec_init(&b->tags);
    strvec_init(&b->platforms);
    strvec_init(&b->entitlements);
    if (n->kind == YNODE_SCALAR) {
        context = xstrdup(n->text);
    } else if (n->kind == YNODE_MAP) {
        const struct ynode *inline_key = NULL;

        for (size_t i = 0; i < n->n && rc == 0; i++) {
            size_t saved = load_path_key(ld, n->keys[i]->text);

            rc = load_build_key(ld, n->keys[i], n->items[i], b, &context);
            if (!strcmp(n->keys[i]->text, "dockerfile_inline"))
                inline_key = n->keys[i];
            load_path_pop(ld, saved);
        }
        if (rc == 0 && b->dockerfile && b->dockerfile_inline) {
            size_t saved = load_path_key(ld, "dockerfile_inline");

            rc = load_fail(ld, inline_key,
                           "dockerfile and dockerfile_inline are mutually exclusive; keep one");
            load_path_pop(ld, saved);
        }
    } else {
        rc = load_fail(ld, n, "must be a path or a mapping");
    }
    if (rc == 0) {
        if (!context)
            context = xstrdup(".");
        b->context = is_remote_context(context) ? xstrdup(context) : load_abs_path(ld, context);
        build_free(s->build);
        s->build = b;
        b = NULL;
    }
    free(context);
    build_free(b);
    return rc;
}

/* ---- networks ------------------------------------------------------------------ */

static struct compose_service_network *add_network(struct compose_service *s, const char *name)
{
    struct compose_service_network *n = NULL;

    for (size_t i = 0; i < s->n_networks; i++) {
        if (!strcmp(s->networks[i].name, name)) {
            network_release(&s->networks[i]);
            n = &s->networks[i];
            break;
        }
    }
    if (!n) {
        s->networks = xrealloc(s->networks, (s->n_networks + 1) * sizeof(*s->networks));
        n = &s->networks[s->n_networks++];
    }
    memset(n, 0, sizeof(*n));
    n->name = xstrdup(name);
    strvec_init(&n->aliases);
    strvec_init(&n->link_local_ips);
    n->driver_opts = (struct kvlist)KVLIST_INIT;
    return n;
}

/* Six hexadecimal pairs split by ':' (or '-'), as the engine reads a MAC address. */
static bool valid_mac(const char *s)
{
    char sep = s[0] && s[1] && s[2] == '-' ? '-' : ':';

    for (int i = 0; i < 6; i++, s += 3) {
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
            return false;
        if (s[2] != (i == 5 ? '\0' : sep))
            return false;
    }
    return true;
}

static int load_mac(struct loader *ld, const struct ynode *n, char **out)
{
    int rc = load_string(ld, n, out);

    if (rc == 0 && *out && !**out) {
        free(*out); /* empty: unset, as Compose takes it */
        *out = NULL;
    }
    if (rc == 0 && *out && !valid_mac(*out))
        rc = load_fail(ld, n, "\"%s\" is not a MAC address (write it like 02:42:ac:11:00:02)",
                       *out);
    return rc;
}

/* An address as the engine takes it: IPv4 dotted quad or IPv6, without a prefix length. */
static int load_address(struct loader *ld, const struct ynode *n, int family, char **out)
{
    unsigned char addr[sizeof(struct in6_addr)];
    int rc = load_string(ld, n, out);

    if (rc == 0 && *out && !**out) {
        free(*out); /* empty: unset, as Compose takes it */
        *out = NULL;
    }
    if (rc == 0 && *out && inet_pton(family, *out, addr) != 1)
        rc = load_fail(ld, n, "\"%s\" is not an %s address", *out,
                       family == AF_INET ? "IPv4" : "IPv6");
    return rc;
}

/* One key of a service's network: the keys of compose-go's ServiceNetworkConfig. */
static int load_network_key(struct loader *ld, const struct ynode *key, const struct ynode *v,
                            struct compose_service_network *net)
{
    const char *k = key->text;
    int64_t number = 0;
    int rc = 0;

    if (!strcmp(k, "aliases"))
        return load_strings(ld, v, false, &net->aliases);
    if (!strcmp(k, "ipv4_address"))
        return load_address(ld, v, AF_INET, &net->ipv4_address);
    if (!strcmp(k, "ipv6_address"))
        return load_address(ld, v, AF_INET6, &net->ipv6_address);
    if (!strcmp(k, "link_local_ips")) {
        rc = load_strings(ld, v, false, &net->link_local_ips);
        for (size_t i = 0; rc == 0 && i < net->link_local_ips.n; i++) {
            unsigned char addr[sizeof(struct in6_addr)];
            const char *ip = net->link_local_ips.v[i];

            if (inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1) {
                size_t saved = load_path_index(ld, i);

                rc = load_fail(ld, v->items[i], "\"%s\" is not an IP address", ip);
                load_path_pop(ld, saved);
            }
        }
        return rc;
    }
    if (!strcmp(k, "mac_address"))
        return load_mac(ld, v, &net->mac_address);
    if (!strcmp(k, "driver_opts"))
        return load_options(ld, v, &net->driver_opts);
    if (!strcmp(k, "priority") || !strcmp(k, "gw_priority")) {
        rc = load_int(ld, v, INT32_MIN, INT32_MAX, &number);
        *(!strcmp(k, "priority") ? &net->priority : &net->gw_priority) = (int)number;
        return rc;
    }
    if (str_starts_with(k, "x-"))
        return 0;
    return load_fail(ld, key,
                     "unknown key '%s' (aliases, ipv4_address, ipv6_address, link_local_ips, "
                     "mac_address, driver_opts, priority or gw_priority)",
                     k);
}

static int load_service_networks(struct loader *ld, const struct ynode *n,
                                 struct compose_service *s)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            if (n->items[i]->kind != YNODE_SCALAR || !*n->items[i]->text) {
                size_t saved = load_path_index(ld, i);
                int rc = load_fail(ld, n->items[i], "must be a network name");
                load_path_pop(ld, saved);
                return rc;
            }
            add_network(s, n->items[i]->text);
        }
        return 0;
    }
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a list or a mapping of networks");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *v = n->items[i];
        struct compose_service_network *net = add_network(s, n->keys[i]->text);
        size_t saved = load_path_key(ld, n->keys[i]->text);
        int rc = 0;

        if (v->kind == YNODE_MAP) {
            net->mapping = true;
            for (size_t k = 0; k < v->n && rc == 0; k++) {
                const char *key = v->keys[k]->text;
                size_t saved2 = load_path_key(ld, key);

                rc = load_network_key(ld, v->keys[k], v->items[k], net);
                load_path_pop(ld, saved2);
            }
        } else if (!ytree_is_null(v)) {
            rc = load_fail(ld, v, "must be a mapping or null");
        }
        load_path_pop(ld, saved);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- env_file, extra_hosts, restart, pull_policy, profiles ----------------------------- */

static int load_env_files(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_SCALAR) {
        s->env_files = xrealloc(s->env_files, (s->n_env_files + 1) * sizeof(*s->env_files));
        s->env_files[s->n_env_files].path = load_abs_path(ld, n->text);
        s->env_files[s->n_env_files].raw = false;
        s->env_files[s->n_env_files++].required = true;
        return 0;
    }
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a path or a list");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *item = n->items[i];
        size_t saved = load_path_index(ld, i);
        char *path = NULL, *format = NULL;
        int required = 1, rc = 0;

        if (item->kind == YNODE_SCALAR && *item->text) {
            path = xstrdup(item->text);
        } else if (item->kind == YNODE_MAP) {
            rc = load_string(ld, ytree_get(item, "path"), &path);
            if (rc == 0)
                rc = load_bool(ld, ytree_get(item, "required"), &required);
            if (rc == 0) {
                size_t saved2 = load_path_key(ld, "format");

                rc = load_string(ld, ytree_get(item, "format"), &format);
                if (rc == 0 && format && strcmp(format, "raw"))
                    rc = load_fail(ld, ytree_get(item, "format"),
                                   "unknown env_file format \"%s\" (raw, or leave it out)", format);
                load_path_pop(ld, saved2);
            }
            for (size_t k = 0; rc == 0 && k < item->n; k++)
                if (strcmp(item->keys[k]->text, "path") &&
                    strcmp(item->keys[k]->text, "required") &&
                    strcmp(item->keys[k]->text, "format"))
                    rc = load_fail(ld, item->keys[k], "unknown key '%s' (path, required or format)",
                                   item->keys[k]->text);
            if (rc == 0 && !path)
                rc = load_fail(ld, item, "an env_file entry needs a path");
        } else {
            rc = load_fail(ld, item, "must be a path or a mapping with a path");
        }
        load_path_pop(ld, saved);
        if (rc < 0) {
            free(path);
            free(format);
            return rc;
        }
        s->env_files = xrealloc(s->env_files, (s->n_env_files + 1) * sizeof(*s->env_files));
        s->env_files[s->n_env_files].path = load_abs_path(ld, path);
        s->env_files[s->n_env_files].raw = format != NULL;
        s->env_files[s->n_env_files++].required = required == 1;
        free(path);
        free(format);
    }
    return 0;
}

/* extra_hosts of a service or a build: "host:ip" into `out`, as the Engine API takes them. */
static int load_hosts(struct loader *ld, const struct ynode *n, struct strvec *out)
{
    struct kvlist hosts = KVLIST_INIT;
    int rc = 0;

    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_SEQ) {
        for (size_t i = 0; i < n->n && rc == 0; i++) {
            const struct ynode *item = n->items[i];
            const char *text = item->kind == YNODE_SCALAR ? item->text : "";
            /* "host=ip" or "host:ip" (the IP may be IPv6 and hold colons) */
            const char *sep = strchr(text, '=') ? strchr(text, '=') : strchr(text, ':');

            if (!sep || sep == text || !sep[1]) {
                size_t saved = load_path_index(ld, i);
                rc = load_fail(ld, item, "must be \"HOST:IP\"");
                load_path_pop(ld, saved);
                break;
            }
            {
                char *host = xstrndup(text, (size_t)(sep - text));
                kvlist_add(&hosts, host, sep + 1);
                free(host);
            }
        }
    } else {
        rc = load_kv(ld, n, '=', &hosts);
    }
    for (size_t i = 0; rc == 0 && i < hosts.n; i++) {
        if (!hosts.items[i].value) {
            rc = load_fail(ld, n, "host '%s' has no IP address", hosts.items[i].key);
            break;
        }
        strvec_pushf(out, "%s:%s", hosts.items[i].key, hosts.items[i].value);
    }
    kvlist_clear(&hosts);
    return rc;
}

static int load_extra_hosts(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    return load_hosts(ld, n, &s->extra_hosts);
}

static int load_restart(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    const char *rest;
    int64_t retries;
    int rc = load_string(ld, n, &s->restart);

    if (rc < 0 || !s->restart)
        return rc;
    if (!strcmp(s->restart, "no") || !strcmp(s->restart, "always") ||
        !strcmp(s->restart, "unless-stopped") || !strcmp(s->restart, "on-failure"))
        return 0;
    if (str_skip_prefix(s->restart, "on-failure:", &rest) &&
        str_to_int64(rest, 0, 1000000, &retries) == 0)
        return 0;
    return load_fail(ld, n,
                     "unknown restart policy \"%s\" (no, always, on-failure[:N] or unless-stopped)",
                     s->restart);
}

static int load_pull_policy(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    const char *rest;
    int rc = load_string(ld, n, &s->pull_policy);

    if (rc < 0 || !s->pull_policy)
        return rc;
    if (!strcmp(s->pull_policy, "if_not_present")) {
        free(s->pull_policy);
        s->pull_policy = xstrdup("missing");
    }
    if (!strcmp(s->pull_policy, "always") || !strcmp(s->pull_policy, "never") ||
        !strcmp(s->pull_policy, "missing") || !strcmp(s->pull_policy, "build"))
        return 0;
    /* pull when the local image is older than a day, a week or the duration */
    if (!strcmp(s->pull_policy, "daily")) {
        s->pull_interval = 24 * 3600 * NS_PER_SEC;
        return 0;
    }
    if (!strcmp(s->pull_policy, "weekly")) {
        s->pull_interval = 7 * 24 * 3600 * NS_PER_SEC;
        return 0;
    }
    if (str_skip_prefix(s->pull_policy, "every_", &rest) &&
        duration_parse(rest, &s->pull_interval) == 0 && s->pull_interval > 0)
        return 0;
    return load_fail(ld, n,
                     "unknown pull_policy \"%s\" (always, never, missing, build, daily, weekly "
                     "or every_<duration> like every_12h)",
                     s->pull_policy);
}

static int load_profiles(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    int rc;

    strvec_clear(&s->profiles);
    rc = load_strings(ld, n, false, &s->profiles);
    for (size_t i = 0; rc == 0 && i < s->profiles.n; i++) {
        const char *p = s->profiles.v[i];
        bool ok = (p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z') ||
                  (p[0] >= '0' && p[0] <= '9');

        for (const char *c = p; ok && *c; c++)
            ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *c);
        if (!ok)
            rc = load_fail(ld, n, "invalid profile name \"%s\"", p);
    }
    return rc;
}

/* ---- resources, devices, logging, deploy, hooks ------------------------------------ */

/* A number like 0.5 or "1.5" (Compose reads cpus either way), at least 0. */
static int load_float(struct loader *ld, const struct ynode *n, double *out)
{
    char *end = NULL;
    double d;

    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_SCALAR && *n->text) {
        d = strtod(n->text, &end);
        if (!*end && d >= 0 && d < 1e9) {
            *out = d;
            return 0;
        }
    }
    return load_fail(ld, n, "must be a number like 0.5 or 2, not %s%s%s",
                     n->kind == YNODE_SCALAR ? "\"" : "",
                     n->kind == YNODE_SCALAR ? n->text : "a list or mapping",
                     n->kind == YNODE_SCALAR ? "\"" : "");
}

static int load_memswap(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    struct compose_service_ext *e = compose_service_ext_mut(s);

    /* -1: unlimited swap */
    if (v->kind == YNODE_SCALAR && !strcmp(v->text, "-1")) {
        e->memswap_limit = -1;
        return 0;
    }
    return load_bytes(ld, v, &e->memswap_limit);
}

static int load_cgroup(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    struct compose_service_ext *e = compose_service_ext_mut(s);
    int rc = load_string(ld, v, &e->cgroup);

    if (rc == 0 && e->cgroup && strcmp(e->cgroup, "host") && strcmp(e->cgroup, "private"))
        return load_fail(ld, v, "unknown cgroup \"%s\" (host or private)", e->cgroup);
    return rc;
}

static int load_volumes_from(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    struct compose_service_ext *e = compose_service_ext_mut(s);
    int rc = load_strings(ld, v, false, &e->volumes_from);

    for (size_t i = 0; rc == 0 && i < e->volumes_from.n; i++) {
        struct strvec parts = STRVEC_INIT;
        const char *mode;

        size_t first, count;

        strvec_split(&parts, e->volumes_from.v[i], ':');
        first = parts.n >= 2 && !strcmp(parts.v[0], "container") ? 1 : 0;
        count = parts.n - first;
        mode = count == 2 ? parts.v[first + 1] : NULL;
        /* the split drops empty pieces: ":ro" and "a::ro" are checked by hand */
        if (count == 0 || count > 2 || !*parts.v[first] || e->volumes_from.v[i][0] == ':' ||
            strstr(e->volumes_from.v[i], "::") ||
            (mode && strcmp(mode, "ro") && strcmp(mode, "rw"))) {
            size_t saved = load_path_index(ld, i);

            rc = load_fail(ld, v->kind == YNODE_SEQ ? v->items[i] : v,
                           "invalid volumes_from \"%s\": expected SERVICE[:ro|rw] or "
                           "container:NAME[:ro|rw]",
                           e->volumes_from.v[i]);
            load_path_pop(ld, saved);
        }
        strvec_clear(&parts);
    }
    return rc;
}

/* ulimits of a service or a build, appended to *list. */
static int load_ulimit_list(struct loader *ld, const struct ynode *n, struct compose_ulimit **list,
                            size_t *count)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping of limit names to a number or {soft, hard}");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *v = n->items[i];
        struct compose_ulimit u = {0};
        size_t saved = load_path_key(ld, n->keys[i]->text);
        int rc = 0;

        if (v->kind == YNODE_MAP) {
            const struct ynode *soft = ytree_get(v, "soft"), *hard = ytree_get(v, "hard");

            rc = load_int(ld, soft, -1, INT64_MAX, &u.soft);
            if (rc == 0)
                rc = load_int(ld, hard, -1, INT64_MAX, &u.hard);
            for (size_t k = 0; rc == 0 && k < v->n; k++)
                if (strcmp(v->keys[k]->text, "soft") && strcmp(v->keys[k]->text, "hard"))
                    rc = load_fail(ld, v->keys[k], "unknown key '%s' (soft or hard)",
                                   v->keys[k]->text);
            if (rc == 0 && (ytree_is_null(soft) || ytree_is_null(hard)))
                rc = load_fail(ld, v, "a ulimit mapping needs both soft and hard");
            if (rc == 0 && u.soft > u.hard && u.hard >= 0)
                rc = load_fail(ld, v, "the soft limit %lld is above the hard limit %lld",
                               (long long)u.soft, (long long)u.hard);
        } else {
            rc = load_int(ld, v, -1, INT64_MAX, &u.soft);
            u.hard = u.soft;
            u.single = true;
            if (rc == 0 && ytree_is_null(v))
                rc = load_fail(ld, v, "must be a number or a mapping with soft and hard");
        }
        load_path_pop(ld, saved);
        if (rc < 0)
            return rc;
        u.name = xstrdup(n->keys[i]->text);
        *list = xrealloc(*list, (*count + 1) * sizeof(**list));
        (*list)[(*count)++] = u;
    }
    return 0;
}

static int load_ulimits(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_service_ext *e;

    if (ytree_is_null(n))
        return 0;
    e = compose_service_ext_mut(s);
    return load_ulimit_list(ld, n, &e->ulimits, &e->n_ulimits);
}

static void device_release(struct compose_device *d)
{
    free(d->source);
    free(d->target);
    free(d->permissions);
}

static bool valid_permissions(const char *p)
{
    if (!*p)
        return false;
    for (; *p; p++)
        if (!strchr("rwm", *p))
            return false;
    return true;
}

static int load_devices(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_service_ext *e;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a list");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *item = n->items[i];
        struct compose_device d = {0};
        size_t saved = load_path_index(ld, i);
        int rc = 0;

        if (item->kind == YNODE_SCALAR && *item->text) {
            struct strvec parts = STRVEC_INIT;

            /* SOURCE[:TARGET[:PERMISSIONS]]; as Compose, "a:rw" has the target "rw" */
            strvec_split(&parts, item->text, ':');
            if (parts.n > 3 || !*parts.v[0]) {
                rc = load_fail(ld, item,
                               "invalid device \"%s\": expected HOST_PATH[:CONTAINER_PATH[:rwm]]",
                               item->text);
            } else {
                d.source = xstrdup(parts.v[0]);
                if (parts.n >= 2)
                    d.target = xstrdup(parts.v[1]);
                if (parts.n == 3)
                    d.permissions = xstrdup(parts.v[2]);
            }
            strvec_clear(&parts);
        } else if (item->kind == YNODE_MAP) {
            rc = load_string(ld, ytree_get(item, "source"), &d.source);
            if (rc == 0)
                rc = load_string(ld, ytree_get(item, "target"), &d.target);
            if (rc == 0)
                rc = load_string(ld, ytree_get(item, "permissions"), &d.permissions);
            if (rc == 0 && !d.source)
                rc = load_fail(ld, item, "a device needs a source");
        } else {
            rc = load_fail(ld, item, "a device must be a string like \"/dev/fuse\" or a mapping");
        }
        if (rc == 0 && d.permissions && !valid_permissions(d.permissions))
            rc = load_fail(ld, item, "invalid device permissions \"%s\" (some of r, w and m)",
                           d.permissions);
        load_path_pop(ld, saved);
        if (rc < 0) {
            device_release(&d);
            return rc;
        }
        if (!d.target)
            d.target = xstrdup(d.source);
        if (!d.permissions)
            d.permissions = xstrdup("rwm");
        e = compose_service_ext_mut(s);
        e->devices = xrealloc(e->devices, (e->n_devices + 1) * sizeof(*e->devices));
        e->devices[e->n_devices++] = d;
    }
    return 0;
}

static void device_request_release(struct compose_device_request *r)
{
    free(r->driver);
    strvec_clear(&r->device_ids);
    strvec_clear(&r->capabilities);
    kvlist_clear(&r->options);
}

/* One entry of gpus: or deploy.resources.reservations.devices. */
static int load_device_request(struct loader *ld, const struct ynode *n,
                               struct compose_device_request *r)
{
    const struct ynode *count = ytree_get(n, "count");
    int rc = 0;

    if (n->kind != YNODE_MAP)
        return load_fail(ld, n,
                         "must be a mapping (capabilities, driver, count, device_ids, "
                         "options)");
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "driver"))
            rc = load_string(ld, v, &r->driver);
        else if (!strcmp(key, "capabilities"))
            rc = load_strings(ld, v, false, &r->capabilities);
        else if (!strcmp(key, "device_ids"))
            rc = load_strings(ld, v, false, &r->device_ids);
        else if (!strcmp(key, "options"))
            rc = load_kv(ld, v, '=', &r->options);
        else if (!strcmp(key, "count")) {
            if (v->kind == YNODE_SCALAR && !strcmp(v->text, "all"))
                r->count = -1;
            else
                rc = load_int(ld, v, 1, INT32_MAX, &r->count);
        } else
            rc = load_fail(ld, n->keys[i],
                           "unknown key '%s' (capabilities, driver, count, device_ids or options)",
                           key);
        load_path_pop(ld, saved);
    }
    if (rc == 0 && !ytree_is_null(count) && r->device_ids.n)
        rc = load_fail(ld, n, "count and device_ids cannot both be set");
    return rc;
}

static int load_device_requests(struct loader *ld, const struct ynode *n,
                                struct compose_device_request **list, size_t *len)
{
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a list");
    for (size_t i = 0; i < n->n; i++) {
        struct compose_device_request r = {0};
        size_t saved = load_path_index(ld, i);
        int rc;

        strvec_init(&r.device_ids);
        strvec_init(&r.capabilities);
        rc = load_device_request(ld, n->items[i], &r);
        load_path_pop(ld, saved);
        if (rc < 0) {
            device_request_release(&r);
            return rc;
        }
        *list = xrealloc(*list, (*len + 1) * sizeof(**list));
        (*list)[(*len)++] = r;
    }
    return 0;
}

static int load_gpus(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_service_ext *e;

    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_SCALAR) {
        struct compose_device_request r = {0};

        if (strcmp(n->text, "all"))
            return load_fail(ld, n, "must be \"all\" or a list of device requests, not \"%s\"",
                             n->text);
        r.count = -1;
        strvec_init(&r.device_ids);
        strvec_init(&r.capabilities);
        e = compose_service_ext_mut(s);
        e->gpus = xrealloc(e->gpus, (e->n_gpus + 1) * sizeof(*e->gpus));
        e->gpus[e->n_gpus++] = r;
        return 0;
    }
    e = compose_service_ext_mut(s);
    return load_device_requests(ld, n, &e->gpus, &e->n_gpus);
}

static const char *const blkio_lists[] = {"weight_device", "device_read_bps", "device_read_iops",
                                          "device_write_bps", "device_write_iops"};

static void blkio_free(struct compose_blkio *b)
{
    if (!b)
        return;
    for (size_t l = 0; l < ARRAY_SIZE(blkio_lists); l++) {
        for (size_t i = 0; i < b->n[l]; i++)
            free(b->lists[l][i].path);
        free(b->lists[l]);
    }
    free(b);
}

static int load_blkio_list(struct loader *ld, const struct ynode *n, struct compose_blkio *b,
                           size_t l)
{
    bool weight = l == BLKIO_WEIGHT_DEVICE;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a list of {path, %s}", weight ? "weight" : "rate");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *item = n->items[i];
        struct compose_blkio_device d = {0};
        size_t saved = load_path_index(ld, i);
        const struct ynode *value = ytree_get(item, weight ? "weight" : "rate");
        int rc = 0;

        if (item->kind != YNODE_MAP)
            rc = load_fail(ld, item, "must be a mapping with path and %s",
                           weight ? "weight" : "rate");
        if (rc == 0)
            rc = load_string(ld, ytree_get(item, "path"), &d.path);
        if (rc == 0 && weight)
            rc = load_int(ld, value, 10, 1000, &d.value);
        else if (rc == 0 && (l == BLKIO_READ_BPS || l == BLKIO_WRITE_BPS))
            rc = load_bytes(ld, value, &d.value);
        else if (rc == 0)
            rc = load_int(ld, value, 0, INT64_MAX, &d.value);
        if (rc == 0 && (!d.path || ytree_is_null(value)))
            rc = load_fail(ld, item, "needs both path and %s", weight ? "weight" : "rate");
        load_path_pop(ld, saved);
        if (rc < 0) {
            free(d.path);
            return rc;
        }
        b->lists[l] = xrealloc(b->lists[l], (b->n[l] + 1) * sizeof(*b->lists[l]));
        b->lists[l][b->n[l]++] = d;
    }
    return 0;
}

static int load_blkio(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_blkio *b;
    struct compose_service_ext *e;
    int rc = 0;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping");
    b = xcalloc(1, sizeof(*b));
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        size_t saved = load_path_key(ld, key), l;

        for (l = 0; l < ARRAY_SIZE(blkio_lists); l++)
            if (!strcmp(key, blkio_lists[l]))
                break;
        if (!strcmp(key, "weight"))
            rc = load_int(ld, n->items[i], 10, 1000, &b->weight);
        else if (l < ARRAY_SIZE(blkio_lists))
            rc = load_blkio_list(ld, n->items[i], b, l);
        else
            rc = load_fail(ld, n->keys[i],
                           "unknown key '%s' (weight, weight_device, device_read_bps, "
                           "device_read_iops, device_write_bps or device_write_iops)",
                           key);
        load_path_pop(ld, saved);
    }
    if (rc < 0) {
        blkio_free(b);
        return rc;
    }
    e = compose_service_ext_mut(s);
    blkio_free(e->blkio);
    e->blkio = b;
    return 0;
}

static void logging_free(struct compose_logging *l)
{
    if (!l)
        return;
    free(l->driver);
    kvlist_clear(&l->options);
    free(l);
}

static int load_logging(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_logging *l;
    int rc = 0;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping with driver and options");
    l = xcalloc(1, sizeof(*l));
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "driver"))
            rc = load_string(ld, n->items[i], &l->driver);
        else if (!strcmp(key, "options"))
            rc = load_kv(ld, n->items[i], '=', &l->options);
        else
            rc = load_fail(ld, n->keys[i], "unknown key '%s' (driver or options)", key);
        load_path_pop(ld, saved);
    }
    if (rc < 0) {
        logging_free(l);
        return rc;
    }
    logging_free(s->logging);
    s->logging = l;
    return 0;
}

static void resource_free(struct compose_resource *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_devices; i++)
        device_request_release(&r->devices[i]);
    free(r->devices);
    free(r);
}

static int load_resource(struct loader *ld, const struct ynode *n, bool limits,
                         struct compose_resource **out)
{
    struct compose_resource *r;
    int rc = 0;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping");
    r = xcalloc(1, sizeof(*r));
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "cpus"))
            rc = load_float(ld, v, &r->cpus);
        else if (!strcmp(key, "memory"))
            rc = load_bytes(ld, v, &r->memory);
        else if (!strcmp(key, "pids"))
            rc = load_int(ld, v, -1, INT64_MAX, &r->pids);
        else if (!strcmp(key, "devices") && !limits)
            rc = ytree_is_null(v) ? 0 : load_device_requests(ld, v, &r->devices, &r->n_devices);
        else if (!strcmp(key, "generic_resources"))
            load_warn(ld, n->keys[i], "a swarm setting, ignored on a single engine");
        else
            rc = load_fail(ld, n->keys[i], "unknown key '%s' (cpus, memory, pids%s)", key,
                           limits ? "" : " or devices");
        load_path_pop(ld, saved);
    }
    if (rc < 0) {
        resource_free(r);
        return rc;
    }
    resource_free(*out);
    *out = r;
    return 0;
}

static void deploy_free(struct compose_deploy *d)
{
    if (!d)
        return;
    resource_free(d->limits);
    resource_free(d->reservations);
    free(d->restart_condition);
    free(d);
}

static int load_restart_policy(struct loader *ld, const struct ynode *n, struct compose_deploy *d)
{
    int rc = 0;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping");
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "condition")) {
            rc = load_string(ld, v, &d->restart_condition);
            if (rc == 0 && d->restart_condition && strcmp(d->restart_condition, "none") &&
                strcmp(d->restart_condition, "on-failure") && strcmp(d->restart_condition, "any"))
                rc = load_fail(ld, v, "unknown condition \"%s\" (none, on-failure or any)",
                               d->restart_condition);
        } else if (!strcmp(key, "max_attempts"))
            rc = load_int(ld, v, 0, 1000000, &d->restart_max_attempts);
        else if (!strcmp(key, "delay"))
            rc = load_duration(ld, v, &d->restart_delay);
        else if (!strcmp(key, "window"))
            rc = load_duration(ld, v, &d->restart_window);
        else
            rc = load_fail(ld, n->keys[i],
                           "unknown key '%s' (condition, delay, max_attempts or window)", key);
        load_path_pop(ld, saved);
    }
    return rc;
}

static int load_deploy(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    static const char *const swarm_only[] = {"mode",
                                             "endpoint_mode",
                                             "labels",
                                             "placement",
                                             "update_config",
                                             "rollback_config",
                                             "max_replicas_per_node"};
    struct compose_deploy *d;
    int rc = 0;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping");
    d = xcalloc(1, sizeof(*d));
    d->replicas = -1;
    d->restart_max_attempts = d->restart_delay = d->restart_window = -1;
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);
        bool swarm = false;

        for (size_t k = 0; k < ARRAY_SIZE(swarm_only); k++)
            swarm = swarm || !strcmp(key, swarm_only[k]);
        if (!strcmp(key, "replicas")) {
            int64_t r = -1;

            rc = load_int(ld, v, 0, 1000, &r);
            d->replicas = (int)r;
        } else if (!strcmp(key, "resources")) {
            if (!ytree_is_null(v) && v->kind != YNODE_MAP)
                rc = load_fail(ld, v, "must be a mapping with limits and reservations");
            for (size_t k = 0; rc == 0 && !ytree_is_null(v) && k < v->n; k++) {
                const char *rkey = v->keys[k]->text;
                size_t saved2 = load_path_key(ld, rkey);

                if (!strcmp(rkey, "limits"))
                    rc = load_resource(ld, v->items[k], true, &d->limits);
                else if (!strcmp(rkey, "reservations"))
                    rc = load_resource(ld, v->items[k], false, &d->reservations);
                else
                    rc = load_fail(ld, v->keys[k], "unknown key '%s' (limits or reservations)",
                                   rkey);
                load_path_pop(ld, saved2);
            }
        } else if (!strcmp(key, "restart_policy")) {
            rc = load_restart_policy(ld, v, d);
        } else if (swarm) {
            load_warn(ld, n->keys[i], "a swarm setting, ignored on a single engine");
        } else {
            rc = load_fail(ld, n->keys[i], "unknown key '%s' in deploy", key);
        }
        load_path_pop(ld, saved);
    }
    if (rc < 0) {
        deploy_free(d);
        return rc;
    }
    deploy_free(s->deploy);
    s->deploy = d;
    return 0;
}

static void hook_release(struct compose_hook *h);

static void hooks_free(struct compose_hook *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hook_release(&h[i]);
    free(h);
}

static void hook_release(struct compose_hook *h)
{
    strvec_clear(&h->command);
    free(h->user);
    free(h->working_dir);
    kvlist_clear(&h->environment);
}

/* One hook (or a watch rule's exec): a mapping with a command. */
static int load_hook(struct loader *ld, const struct ynode *item, struct compose_hook *h)
{
    bool set = false;
    int flag = 0, rc = 0;

    memset(h, 0, sizeof(*h));
    strvec_init(&h->command);
    if (item->kind != YNODE_MAP)
        return load_fail(ld, item, "a hook must be a mapping with a command");
    for (size_t k = 0; rc == 0 && k < item->n; k++) {
        const char *key = item->keys[k]->text;
        const struct ynode *v = item->items[k];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "command"))
            rc = load_command(ld, v, &h->command, &set);
        else if (!strcmp(key, "user"))
            rc = load_string(ld, v, &h->user);
        else if (!strcmp(key, "working_dir"))
            rc = load_string(ld, v, &h->working_dir);
        else if (!strcmp(key, "environment"))
            rc = load_kv(ld, v, '=', &h->environment);
        else if (!strcmp(key, "privileged")) {
            rc = load_bool(ld, v, &flag);
            h->privileged = flag == 1;
        } else if (!str_starts_with(key, "x-"))
            rc = load_fail(ld, item->keys[k],
                           "unknown key '%s' (command, user, privileged, working_dir or "
                           "environment)",
                           key);
        load_path_pop(ld, saved);
    }
    if (rc == 0 && !h->command.n)
        rc = load_fail(ld, item, "a hook needs a command");
    return rc;
}

static int load_hooks(struct loader *ld, const struct ynode *n, struct compose_hook **out,
                      size_t *n_out)
{
    struct compose_hook *hooks = NULL;
    size_t len = 0;
    int rc = 0;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a list of hooks, each with a command");
    for (size_t i = 0; i < n->n && rc == 0; i++) {
        size_t saved = load_path_index(ld, i);

        hooks = xrealloc(hooks, (len + 1) * sizeof(*hooks));
        rc = load_hook(ld, n->items[i], &hooks[len++]);
        load_path_pop(ld, saved);
    }
    if (rc < 0) {
        hooks_free(hooks, len);
        return rc;
    }
    hooks_free(*out, *n_out);
    *out = hooks;
    *n_out = len;
    return 0;
}

static void watch_free(struct compose_watch *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(w[i].path);
        free(w[i].action);
        free(w[i].target);
        hook_release(&w[i].exec);
        strvec_clear(&w[i].ignore);
        strvec_clear(&w[i].include);
    }
    free(w);
}

/* One rule of develop.watch. */
static int load_watch_rule(struct loader *ld, const struct ynode *n, struct compose_watch *w)
{
    static const char *const actions[] = {"sync", "rebuild", "restart", "sync+restart",
                                          "sync+exec"};
    char *path = NULL;
    int rc = 0;

    memset(w, 0, sizeof(*w));
    strvec_init(&w->exec.command);
    strvec_init(&w->ignore);
    strvec_init(&w->include);
    w->initial_sync = -1;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "a watch rule must be a mapping with a path and an action");
    for (size_t i = 0; rc == 0 && i < n->n; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "path"))
            rc = load_string(ld, v, &path);
        else if (!strcmp(key, "action")) {
            size_t k = 0;

            rc = load_string(ld, v, &w->action);
            while (rc == 0 && w->action && k < ARRAY_SIZE(actions) && strcmp(w->action, actions[k]))
                k++;
            if (rc == 0 && w->action && k == ARRAY_SIZE(actions))
                rc = load_fail(ld, v,
                               "unknown action \"%s\" (sync, rebuild, restart, sync+restart or "
                               "sync+exec)",
                               w->action);
        } else if (!strcmp(key, "target"))
            rc = load_string(ld, v, &w->target);
        else if (!strcmp(key, "exec")) {
            hook_release(&w->exec);
            rc = load_hook(ld, v, &w->exec);
        } else if (!strcmp(key, "ignore"))
            rc = load_strings(ld, v, false, &w->ignore);
        else if (!strcmp(key, "include"))
            rc = load_strings(ld, v, false, &w->include);
        else if (!strcmp(key, "initial_sync"))
            rc = load_bool(ld, v, &w->initial_sync);
        else
            rc = load_unknown_key(ld, n->keys[i]);
        load_path_pop(ld, saved);
    }
    if (rc == 0 && (!path || !*path))
        rc = load_fail(ld, n, "a watch rule needs a path");
    if (rc == 0 && !w->action)
        rc = load_fail(ld, n, "a watch rule needs an action");
    if (rc == 0)
        w->path = load_abs_path(ld, path);
    free(path);
    return rc;
}

static int load_develop(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_service_ext *e = compose_service_ext_mut(s);
    int rc = 0;

    watch_free(e->watch, e->n_watch);
    e->watch = NULL;
    e->n_watch = 0;
    e->develop = true;
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping (watch:)");
    for (size_t i = 0; rc == 0 && i < n->n; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "watch")) {
            if (!ytree_is_null(v) && v->kind != YNODE_SEQ)
                rc = load_fail(ld, v, "must be a list of rules, each with a path and an action");
            for (size_t k = 0; rc == 0 && !ytree_is_null(v) && k < v->n; k++) {
                size_t saved2 = load_path_index(ld, k);

                e->watch = xrealloc(e->watch, (e->n_watch + 1) * sizeof(*e->watch));
                rc = load_watch_rule(ld, v->items[k], &e->watch[e->n_watch++]);
                load_path_pop(ld, saved2);
            }
        } else {
            rc = load_unknown_key(ld, n->keys[i]);
        }
        load_path_pop(ld, saved);
    }
    return rc;
}

static int load_post_start(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    struct compose_service_ext *e = compose_service_ext_mut(s);

    return load_hooks(ld, v, &e->post_start, &e->n_post_start);
}

static int load_pre_stop(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    struct compose_service_ext *e = compose_service_ext_mut(s);

    return load_hooks(ld, v, &e->pre_stop, &e->n_pre_stop);
}

static int load_label_files(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct strvec paths = STRVEC_INIT;
    int rc = load_strings(ld, n, true, &paths);

    for (size_t i = 0; rc == 0 && i < paths.n; i++)
        strvec_push_nodup(&compose_service_ext_mut(s)->label_files, load_abs_path(ld, paths.v[i]));
    strvec_clear(&paths);
    return rc;
}

/* ---- the service ------------------------------------------------------------------ */

enum key_kind { K_STRING, K_BOOL, K_FN, K_STRINGS, K_KV, K_INT, K_BYTES, K_FLOAT };

struct service_key {
    const char *name;
    enum key_kind kind;
    size_t offset;
    bool in_ext; /* offset is into struct compose_service_ext */
    int (*fn)(struct loader *, const struct ynode *, struct compose_service *);
    int64_t min, max; /* K_INT */
};

/* a field of struct compose_service, and one of struct compose_service_ext */
#define FIELD(kind, k, f, ...)                                                                     \
    {                                                                                              \
        k, kind, offsetof(struct compose_service, f), false, NULL, __VA_ARGS__                     \
    }
#define XFIELD(kind, k, f, ...)                                                                    \
    {                                                                                              \
        k, kind, offsetof(struct compose_service_ext, f), true, NULL, __VA_ARGS__                  \
    }
#define STR(k, f)          FIELD(K_STRING, k, f, 0, 0)
#define BOOL(k, f)         FIELD(K_BOOL, k, f, 0, 0)
#define LIST(k, f)         FIELD(K_STRINGS, k, f, 0, 0)
#define KV(k, f)           FIELD(K_KV, k, f, 0, 0)
#define INT(k, f, lo, hi)  FIELD(K_INT, k, f, lo, hi)
#define BYTES(k, f)        FIELD(K_BYTES, k, f, 0, 0)
#define FLOAT(k, f)        FIELD(K_FLOAT, k, f, 0, 0)
#define XSTR(k, f)         XFIELD(K_STRING, k, f, 0, 0)
#define XBOOL(k, f)        XFIELD(K_BOOL, k, f, 0, 0)
#define XLIST(k, f)        XFIELD(K_STRINGS, k, f, 0, 0)
#define XKV(k, f)          XFIELD(K_KV, k, f, 0, 0)
#define XINT(k, f, lo, hi) XFIELD(K_INT, k, f, lo, hi)
#define XBYTES(k, f)       XFIELD(K_BYTES, k, f, 0, 0)
#define XFLOAT(k, f)       XFIELD(K_FLOAT, k, f, 0, 0)
#define FN(k, f)                                                                                   \
    {                                                                                              \
        k, K_FN, 0, false, f                                                                       \
    }

static int load_command_key(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    return load_command(ld, v, &s->command, &s->command_set);
}

static int load_entrypoint_key(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    return load_command(ld, v, &s->entrypoint, &s->entrypoint_set);
}

static int load_environment(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    return load_kv(ld, v, '=', &s->environment);
}

static int load_expose(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    return load_strings(ld, v, false, &s->expose);
}

static int load_grace(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    int rc = load_duration(ld, v, &s->stop_grace_period);

    /* the engine takes it as an int of seconds */
    if (rc == 0 && s->stop_grace_period > (int64_t)INT_MAX * NS_PER_SEC)
        return load_fail(ld, v, "duration \"%s\" is too long (at most %dh)", v->text,
                         INT_MAX / 3600);
    return rc;
}

static int load_shm(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    return load_bytes(ld, v, &s->shm_size);
}

static int load_scale(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    int64_t n = -1;
    int rc = load_int(ld, v, 0, 1000, &n);

    s->scale = (int)n;
    return rc;
}

/*
 * Compose keeps credential_spec for Windows containers (a gMSA credential
 * spec) and sends nothing of it to a Linux engine: refused rather than
 * silently left out.
 */
static int load_credential_spec(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    (void)s;
    return load_fail(ld, v,
                     "credential_spec is for Windows containers, which devstack does not run; "
                     "remove it (or keep it in a file only Windows hosts use)");
}

static int load_mac_address(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    return load_mac(ld, v, &compose_service_ext_mut(s)->mac_address);
}

static int load_user(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    return load_string(ld, v, &s->user);
}

/* The keys devstack reads, in one table. */
static const struct service_key keys[] = {
        XKV("annotations", annotations),
        BOOL("attach", attach),
        FN("blkio_config", load_blkio),
        LIST("cap_add", cap_add),
        LIST("cap_drop", cap_drop),
        FN("build", load_build),
        FN("cgroup", load_cgroup),
        XSTR("cgroup_parent", cgroup_parent),
        FN("command", load_command_key),
        FN("configs", load_service_configs),
        STR("container_name", container_name),
        XINT("cpu_count", cpu_count, 0, INT64_MAX),
        XFLOAT("cpu_percent", cpu_percent),
        XINT("cpu_period", cpu_period, 0, INT64_MAX),
        XINT("cpu_quota", cpu_quota, -1, INT64_MAX),
        XINT("cpu_rt_period", cpu_rt_period, 0, INT64_MAX),
        XINT("cpu_rt_runtime", cpu_rt_runtime, -1, INT64_MAX),
        XINT("cpu_shares", cpu_shares, 0, 262144),
        XFLOAT("cpus", cpus),
        XSTR("cpuset", cpuset),
        FN("depends_on", load_depends_on),
        FN("deploy", load_deploy),
        XLIST("device_cgroup_rules", device_cgroup_rules),
        FN("devices", load_devices),
        LIST("dns", dns),
        XLIST("dns_opt", dns_opt),
        XLIST("dns_search", dns_search),
        STR("domainname", domainname),
        FN("entrypoint", load_entrypoint_key),
        FN("env_file", load_env_files),
        FN("environment", load_environment),
        FN("expose", load_expose),
        XLIST("external_links", external_links),
        FN("extra_hosts", load_extra_hosts),
        FN("gpus", load_gpus),
        XLIST("group_add", group_add),
        FN("healthcheck", load_healthcheck),
        STR("hostname", hostname),
        STR("image", image),
        BOOL("init", init),
        XSTR("ipc", ipc),
        XSTR("isolation", isolation),
        FN("label_file", load_label_files),
        KV("labels", labels),
        XLIST("links", links),
        FN("logging", load_logging),
        FN("mac_address", load_mac_address),
        XBYTES("mem_limit", mem_limit),
        XBYTES("mem_reservation", mem_reservation),
        XINT("mem_swappiness", mem_swappiness, 0, 100),
        FN("memswap_limit", load_memswap),
        STR("network_mode", network_mode),
        FN("networks", load_service_networks),
        XBOOL("oom_kill_disable", oom_kill_disable),
        XINT("oom_score_adj", oom_score_adj, -1000, 1000),
        XSTR("pid", pid),
        XINT("pids_limit", pids_limit, -1, INT64_MAX),
        STR("platform", platform),
        FN("ports", load_ports),
        FN("post_start", load_post_start),
        FN("pre_stop", load_pre_stop),
        BOOL("privileged", privileged),
        FN("profiles", load_profiles),
        FN("pull_policy", load_pull_policy),
        BOOL("read_only", read_only),
        FN("restart", load_restart),
        XSTR("runtime", runtime),
        FN("scale", load_scale),
        FN("secrets", load_service_secrets),
        LIST("security_opt", security_opt),
        FN("shm_size", load_shm),
        BOOL("stdin_open", stdin_open),
        FN("stop_grace_period", load_grace),
        STR("stop_signal", stop_signal),
        XKV("storage_opt", storage_opt),
        XKV("sysctls", sysctls),
        XLIST("tmpfs", tmpfs),
        BOOL("tty", tty),
        FN("ulimits", load_ulimits),
        FN("user", load_user),
        XSTR("userns_mode", userns_mode),
        XSTR("uts", uts),
        FN("volumes", load_volumes),
        FN("volumes_from", load_volumes_from),
        STR("working_dir", working_dir),
        FN("credential_spec", load_credential_spec),
        /* Compose keys that devstack accepts but does not act on */
        FN("develop", load_develop),
};

static int load_service(struct loader *ld, const struct ynode *key, const struct ynode *n,
                        struct compose_service *s)
{
    s->name = xstrdup(key->text);
    s->pos = pos_of(key);
    if (ytree_is_null(n))
        return 0; /* an override may name a service without changing it */
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "a service must be a mapping, not %s",
                         n->kind == YNODE_SEQ ? "a list" : "a value");
    for (size_t i = 0; i < n->n; i++) {
        const char *name = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        const struct service_key *k = NULL;
        size_t saved;
        int rc = 0;

        if (str_starts_with(name, "x-"))
            continue;
        for (size_t j = 0; j < ARRAY_SIZE(keys) && !k; j++)
            if (!strcmp(keys[j].name, name))
                k = &keys[j];
        saved = load_path_key(ld, name);
        if (!k) {
            rc = load_unknown_key(ld, n->keys[i]);
        } else {
            char *field = NULL;

            if (k->kind != K_FN)
                field = (k->in_ext ? (char *)compose_service_ext_mut(s) : (char *)s) + k->offset;
            switch (k->kind) {
            case K_STRING:
                rc = load_string(ld, v, (char **)field);
                break;
            case K_BOOL:
                rc = load_bool(ld, v, (int *)field);
                break;
            case K_STRINGS:
                rc = load_strings(ld, v, true, (struct strvec *)field);
                break;
            case K_KV:
                rc = load_kv(ld, v, '=', (struct kvlist *)field);
                break;
            case K_FN:
                rc = k->fn(ld, v, s);
                break;
            case K_INT:
                rc = load_int(ld, v, k->min, k->max, (int64_t *)field);
                break;
            case K_BYTES:
                rc = load_bytes(ld, v, (int64_t *)field);
                break;
            case K_FLOAT:
                rc = load_float(ld, v, (double *)field);
                break;
            }
        }
        load_path_pop(ld, saved);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int load_services(struct loader *ld, const struct ynode *services)
{
    struct compose_project *p = ld->p;

    if (ytree_is_null(services))
        return 0;
    if (services->kind != YNODE_MAP)
        return load_fail(ld, services, "must be a mapping of service names to services");
    /* each service is built in its place in the array, sized once */
    p->services = xgrow(p->services, &p->alloc_services, p->n_services + services->n,
                        sizeof(*p->services));
    for (size_t i = 0; i < services->n; i++) {
        struct compose_service *s = &p->services[p->n_services];
        size_t saved = load_path_key(ld, services->keys[i]->text);
        int rc;

        compose_service_init(s);
        rc = load_service(ld, services->keys[i], services->items[i], s);
        load_path_pop(ld, saved);
        if (rc < 0) {
            compose_service_release(s);
            return rc;
        }
        compose_add_service(p);
    }
    return 0;
}

/* ---- after merging: references to other services, label files -------------------- */

static int finish_fail(struct ds_error *err, const struct compose_service *s, const char *key,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int finish_fail(struct ds_error *err, const struct compose_service *s, const char *key,
                       const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    buf_addf(&b, "%s:%d:%d: services.%s.%s: ", s->pos.file ? s->pos.file : "compose file",
             s->pos.line, s->pos.col, s->name, key);
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    ds_error_set(err, DS_EINVAL, "%s", b.buf);
    buf_release(&b);
    return DS_EINVAL;
}

/* A dependency Compose adds for a reference, unless depends_on names the service already. */
static void imply_dependency(struct compose_service *s, const char *name, bool restart)
{
    struct ynode at = {.file = s->pos.file, .line = s->pos.line, .col = s->pos.col};

    for (size_t i = 0; i < s->n_depends_on; i++)
        if (!strcmp(s->depends_on[i].service, name))
            return;
    add_dependency(s, &at, name, "service_started", restart, true);
}

static int check_reference(struct compose_project *p, struct compose_service *s, const char *key,
                           const char *name, bool restart, struct ds_error *err)
{
    if (!compose_find_service(p, name))
        return finish_fail(err, s, key, "service '%s' refers to undefined service '%s'", s->name,
                           name);
    if (!strcmp(name, s->name))
        return finish_fail(err, s, key, "service '%s' refers to itself", s->name);
    imply_dependency(s, name, restart);
    return 0;
}

int compose_service_scale(const struct compose_service *s)
{
    if (s->scale > 0)
        return s->scale;
    if (s->scale < 0 && s->deploy && s->deploy->replicas > 0)
        return s->deploy->replicas;
    return 1;
}

/* Values that Compose takes from two places must agree, as Compose requires. */
static int check_deploy(const struct compose_service *s, struct ds_error *err)
{
    const struct compose_deploy *d = s->deploy;
    const struct compose_resource *lim = d ? d->limits : NULL, *res = d ? d->reservations : NULL;

    if (!d)
        return 0;
    if (s->scale >= 0 && d->replicas >= 0 && s->scale != d->replicas)
        return finish_fail(err, s, "scale", "scale %d and deploy.replicas %d differ; keep one",
                           s->scale, d->replicas);
    if (lim && s->ext->cpus && lim->cpus != s->ext->cpus)
        return finish_fail(err, s, "cpus",
                           "cpus and deploy.resources.limits.cpus differ; keep one");
    if (lim && s->ext->mem_limit && lim->memory != s->ext->mem_limit)
        return finish_fail(err, s, "mem_limit",
                           "mem_limit and deploy.resources.limits.memory differ; keep one");
    if (res && s->ext->mem_reservation && res->memory != s->ext->mem_reservation)
        return finish_fail(err, s, "mem_reservation",
                           "mem_reservation and deploy.resources.reservations.memory differ; keep "
                           "one");
    if (lim && s->ext->pids_limit && lim->pids != s->ext->pids_limit)
        return finish_fail(err, s, "pids_limit",
                           "pids_limit and deploy.resources.limits.pids differ; keep one");
    if (compose_service_scale(s) > 1 && s->container_name)
        return finish_fail(err, s, "container_name",
                           "a container_name cannot be shared by %d containers (deploy.replicas); "
                           "remove container_name or the replicas",
                           compose_service_scale(s));
    return 0;
}

/* What Compose checks of a build once the files are merged. */
static int check_build(const struct compose_project *p, const struct compose_service *s,
                       struct ds_error *err)
{
    const struct compose_build *b = s->build;
    const struct compose_pos ctx_pos = b ? b->buildkit_pos[BUILD_KEY_ADDITIONAL_CONTEXTS] : s->pos;

    if (!b)
        return 0;
    if (s->platform && b->platforms.n && !strvec_contains(&b->platforms, s->platform))
        return compose_fail_at(err, b->platforms_pos,
                               "services.%s.build.platforms: must include the service's platform "
                               "\"%s\", as Compose requires",
                               s->name, s->platform);
    for (size_t i = 0; i < b->additional_contexts.n; i++) {
        const struct kv *kv = &b->additional_contexts.items[i];
        const struct compose_service *other;
        const char *name;

        if (!str_skip_prefix(kv->value, "service:", &name))
            continue;
        other = compose_find_service(p, name);
        if (!other || !other->build)
            return compose_fail_at(err, ctx_pos,
                                   "services.%s.build.additional_contexts.%s: service '%s' %s; "
                                   "a service: context names a service that builds its image",
                                   s->name, kv->key, name,
                                   other ? "has no build section" : "is not defined");
    }
    return 0;
}

static int cmp_priority(const void *a, const void *b)
{
    const struct compose_service_network *x = a, *y = b;

    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

/*
 * The networks in Compose's order (highest priority first, then by name):
 * the container is created on the first. A service-level mac_address is
 * that network's, so the two cannot differ, as in Compose.
 */
static int order_networks(struct compose_service *s, struct ds_error *err)
{
    const struct compose_service_network *first = s->networks;

    if (s->n_networks > 1)
        qsort(s->networks, s->n_networks, sizeof(*s->networks), cmp_priority);
    if (s->ext->mac_address && s->n_networks && first->mac_address &&
        strcasecmp(s->ext->mac_address, first->mac_address))
        return finish_fail(err, s, "mac_address",
                           "\"%s\" differs from the mac_address of network '%s', the service's "
                           "first network (\"%s\"); keep one",
                           s->ext->mac_address, first->name, first->mac_address);
    return 0;
}

int compose_service_finish(struct compose_project *p, struct compose_service *s,
                           struct ds_error *err)
{
    const char *const namespaces[] = {"network_mode", "ipc", "pid", "uts", "cgroup"};
    const char *const values[] = {s->network_mode, s->ext->ipc, s->ext->pid, s->ext->uts,
                                  s->ext->cgroup};
    struct kvlist labels = KVLIST_INIT;
    int rc = check_deploy(s, err);

    if (rc == 0)
        rc = check_build(p, s, err);
    if (rc == 0)
        rc = order_networks(s, err);
    for (size_t i = 0; rc == 0 && i < s->ext->links.n; i++) {
        char *name = xstrndup(s->ext->links.v[i], strcspn(s->ext->links.v[i], ":"));

        rc = check_reference(p, s, "links", name, true, err);
        free(name);
    }
    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(namespaces); i++) {
        const char *name;

        if (values[i] && str_skip_prefix(values[i], "service:", &name))
            rc = check_reference(p, s, namespaces[i], name, true, err);
    }
    for (size_t i = 0; rc == 0 && i < s->ext->volumes_from.n; i++) {
        char *name;

        if (str_starts_with(s->ext->volumes_from.v[i], "container:"))
            continue;
        name = xstrndup(s->ext->volumes_from.v[i], strcspn(s->ext->volumes_from.v[i], ":"));
        rc = check_reference(p, s, "volumes_from", name, false, err);
        free(name);
    }
    /* label_file: the files in order, then the service's own labels over them */
    for (size_t i = 0; rc == 0 && i < s->ext->label_files.n; i++) {
        rc = dotenv_load(&labels, s->ext->label_files.v[i], NULL, NULL, err);
        if (rc < 0)
            ds_error_wrap(err, "%s:%d:%d: services.%s.label_file", s->pos.file, s->pos.line,
                          s->pos.col, s->name);
    }
    if (rc == 0 && s->ext->label_files.n) {
        kvlist_copy(&labels, &s->labels);
        kvlist_clear(&s->labels);
        s->labels = labels;
        labels = (struct kvlist)KVLIST_INIT;
    }
    kvlist_clear(&labels);
    return rc;
}
