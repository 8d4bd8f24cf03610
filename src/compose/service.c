/* One service's keys, read from a file's tree; and merging a later file's service into it. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "compose/internal.h"
#include "util/alloc.h"
#include "util/path.h"
#include "util/duration.h"
#include "util/shellwords.h"
#include "util/strutil.h"
#include "util/banned.h"

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
    s->tty = s->stdin_open = s->init = s->privileged = s->read_only = -1;
    s->stop_grace_period = -1;
    s->scale = -1;
}

void compose_mount_release(struct compose_mount *m)
{
    free(m->source);
    free(m->target);
    free(m->propagation);
    free(m->selinux);
    free(m->consistency);
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
    free(b->target);
    free(b->network);
    kvlist_clear(&b->args);
    kvlist_clear(&b->labels);
    strvec_clear(&b->cache_from);
    free(b);
}

static void network_release(struct compose_service_network *n)
{
    free(n->name);
    free(n->ipv4_address);
    free(n->ipv6_address);
    strvec_clear(&n->aliases);
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
            load_warn(ld, n->keys[i], "unknown key, ignored");
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
    else {
        size_t saved = load_path_key(ld, "type");

        rc = load_fail(ld, ytree_get(n, "type"),
                       "unsupported volume type \"%s\" (volume, bind or tmpfs)", type);
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
            rc = load_string(ld, ytree_get(v, "propagation"), &m->propagation);
            if (rc == 0)
                rc = load_bool(ld, ytree_get(v, "create_host_path"), &flag);
            m->create_host_path = flag == 1;
            if (rc == 0)
                rc = load_string(ld, ytree_get(v, "selinux"), &m->selinux);
        } else if (!strcmp(key, "volume") && v->kind == YNODE_MAP) {
            rc = load_bool(ld, ytree_get(v, "nocopy"), &flag);
            m->nocopy = flag == 1;
        } else if (!strcmp(key, "tmpfs") && v->kind == YNODE_MAP) {
            int64_t mode = 0;

            rc = load_bytes(ld, ytree_get(v, "size"), &m->tmpfs_size);
            if (rc == 0)
                rc = load_int(ld, ytree_get(v, "mode"), 0, 07777, &mode);
            m->tmpfs_mode = (uint32_t)mode;
        } else if (!strcmp(key, "bind") || !strcmp(key, "volume") || !strcmp(key, "tmpfs")) {
            rc = load_fail(ld, v, "must be a mapping");
        } else {
            load_warn(ld, n->keys[i], "unknown key, ignored");
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
                if (strcmp(key, "condition") && strcmp(key, "restart") && strcmp(key, "required"))
                    load_warn(ld, v->keys[k], "unknown key '%s', ignored", key);
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
        else if (!strcmp(key, "start_interval"))
            rc = load_duration(ld, v, &h->start_interval);
        else if (!strcmp(key, "retries")) {
            rc = load_int(ld, v, 0, 1000000, &retries);
            h->retries = (int)retries;
        } else if (!strcmp(key, "disable")) {
            rc = load_bool(ld, v, &disable);
            h->disable = disable == 1;
        } else
            load_warn(ld, n->keys[i], "unknown key, ignored");
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

static int load_build(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    struct compose_build *b;
    char *context = NULL;
    int rc = 0, flag = -1;

    if (ytree_is_null(n))
        return 0;
    b = xcalloc(1, sizeof(*b));
    strvec_init(&b->cache_from);
    if (n->kind == YNODE_SCALAR) {
        context = xstrdup(n->text);
    } else if (n->kind == YNODE_MAP) {
        for (size_t i = 0; i < n->n && rc == 0; i++) {
            const char *key = n->keys[i]->text;
            const struct ynode *v = n->items[i];
            size_t saved = load_path_key(ld, key);

            if (!strcmp(key, "context"))
                rc = load_string(ld, v, &context);
            else if (!strcmp(key, "dockerfile"))
                rc = load_string(ld, v, &b->dockerfile);
            else if (!strcmp(key, "args"))
                rc = load_kv(ld, v, '=', &b->args);
            else if (!strcmp(key, "target"))
                rc = load_string(ld, v, &b->target);
            else if (!strcmp(key, "labels"))
                rc = load_kv(ld, v, '=', &b->labels);
            else if (!strcmp(key, "cache_from"))
                rc = load_strings(ld, v, false, &b->cache_from);
            else if (!strcmp(key, "network"))
                rc = load_string(ld, v, &b->network);
            else if (!strcmp(key, "no_cache")) {
                rc = load_bool(ld, v, &flag);
                b->no_cache = flag == 1;
            } else if (!strcmp(key, "pull")) {
                rc = load_bool(ld, v, &flag);
                b->pull = flag == 1;
            } else
                load_warn(ld, n->keys[i], "not supported by devstack, ignored");
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
    struct compose_service_network *n;

    for (size_t i = 0; i < s->n_networks; i++) {
        if (!strcmp(s->networks[i].name, name)) {
            network_release(&s->networks[i]);
            n = &s->networks[i];
            memset(n, 0, sizeof(*n));
            n->name = xstrdup(name);
            strvec_init(&n->aliases);
            return n;
        }
    }
    s->networks = xrealloc(s->networks, (s->n_networks + 1) * sizeof(*s->networks));
    n = &s->networks[s->n_networks++];
    memset(n, 0, sizeof(*n));
    n->name = xstrdup(name);
    strvec_init(&n->aliases);
    return n;
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
        int64_t priority = 0;
        int rc = 0;

        if (v->kind == YNODE_MAP) {
            for (size_t k = 0; k < v->n && rc == 0; k++) {
                const char *key = v->keys[k]->text;
                size_t saved2 = load_path_key(ld, key);

                if (!strcmp(key, "aliases"))
                    rc = load_strings(ld, v->items[k], false, &net->aliases);
                else if (!strcmp(key, "ipv4_address"))
                    rc = load_string(ld, v->items[k], &net->ipv4_address);
                else if (!strcmp(key, "ipv6_address"))
                    rc = load_string(ld, v->items[k], &net->ipv6_address);
                else if (!strcmp(key, "priority")) {
                    rc = load_int(ld, v->items[k], -1000000, 1000000, &priority);
                    net->priority = (int)priority;
                } else
                    load_warn(ld, v->keys[k], "not supported by devstack, ignored");
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
        s->env_files[s->n_env_files++].required = true;
        return 0;
    }
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a path or a list");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *item = n->items[i];
        size_t saved = load_path_index(ld, i);
        char *path = NULL;
        int required = 1, rc = 0;

        if (item->kind == YNODE_SCALAR && *item->text) {
            path = xstrdup(item->text);
        } else if (item->kind == YNODE_MAP) {
            rc = load_string(ld, ytree_get(item, "path"), &path);
            if (rc == 0)
                rc = load_bool(ld, ytree_get(item, "required"), &required);
            if (rc == 0 && !path)
                rc = load_fail(ld, item, "an env_file entry needs a path");
        } else {
            rc = load_fail(ld, item, "must be a path or a mapping with a path");
        }
        load_path_pop(ld, saved);
        if (rc < 0) {
            free(path);
            return rc;
        }
        s->env_files = xrealloc(s->env_files, (s->n_env_files + 1) * sizeof(*s->env_files));
        s->env_files[s->n_env_files].path = load_abs_path(ld, path);
        s->env_files[s->n_env_files++].required = required == 1;
        free(path);
    }
    return 0;
}

static int load_extra_hosts(struct loader *ld, const struct ynode *n, struct compose_service *s)
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
                kvlist_set(&hosts, host, sep + 1);
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
        strvec_pushf(&s->extra_hosts, "%s:%s", hosts.items[i].key, hosts.items[i].value);
    }
    kvlist_clear(&hosts);
    return rc;
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
    return load_fail(ld, n, "unknown pull_policy \"%s\" (always, never, missing or build)",
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

/* ---- the service ------------------------------------------------------------------ */

static int set_string(struct loader *ld, const struct ynode *v, struct compose_service *s,
                      size_t offset)
{
    return load_string(ld, v, (char **)((char *)s + offset));
}

static int set_bool(struct loader *ld, const struct ynode *v, struct compose_service *s,
                    size_t offset)
{
    return load_bool(ld, v, (int *)((char *)s + offset));
}

enum key_kind { K_STRING, K_BOOL, K_FN, K_STRINGS, K_KV, K_UNSUPPORTED };

struct service_key {
    const char *name;
    enum key_kind kind;
    size_t offset;
    int (*fn)(struct loader *, const struct ynode *, struct compose_service *);
};

#define STR(k, f)                                                                                  \
    {                                                                                              \
        k, K_STRING, offsetof(struct compose_service, f), NULL                                     \
    }
#define BOOL(k, f)                                                                                 \
    {                                                                                              \
        k, K_BOOL, offsetof(struct compose_service, f), NULL                                       \
    }
#define FN(k, f)                                                                                   \
    {                                                                                              \
        k, K_FN, 0, f                                                                              \
    }
#define LIST(k, f)                                                                                 \
    {                                                                                              \
        k, K_STRINGS, offsetof(struct compose_service, f), NULL                                    \
    }
#define KV(k, f)                                                                                   \
    {                                                                                              \
        k, K_KV, offsetof(struct compose_service, f), NULL                                         \
    }
#define UNSUPPORTED(k)                                                                             \
    {                                                                                              \
        k, K_UNSUPPORTED, 0, NULL                                                                  \
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

static int load_user(struct loader *ld, const struct ynode *v, struct compose_service *s)
{
    return load_string(ld, v, &s->user);
}

/* The keys devstack reads, in one table. */
static const struct service_key keys[] = {
        FN("build", load_build),
        LIST("cap_add", cap_add),
        LIST("cap_drop", cap_drop),
        FN("command", load_command_key),
        STR("container_name", container_name),
        FN("depends_on", load_depends_on),
        LIST("dns", dns),
        STR("domainname", domainname),
        FN("entrypoint", load_entrypoint_key),
        FN("env_file", load_env_files),
        FN("environment", load_environment),
        FN("expose", load_expose),
        FN("extra_hosts", load_extra_hosts),
        FN("healthcheck", load_healthcheck),
        STR("hostname", hostname),
        STR("image", image),
        BOOL("init", init),
        KV("labels", labels),
        STR("network_mode", network_mode),
        FN("networks", load_service_networks),
        STR("platform", platform),
        FN("ports", load_ports),
        BOOL("privileged", privileged),
        FN("profiles", load_profiles),
        FN("pull_policy", load_pull_policy),
        BOOL("read_only", read_only),
        FN("restart", load_restart),
        FN("scale", load_scale),
        LIST("security_opt", security_opt),
        FN("shm_size", load_shm),
        BOOL("stdin_open", stdin_open),
        FN("stop_grace_period", load_grace),
        STR("stop_signal", stop_signal),
        BOOL("tty", tty),
        FN("user", load_user),
        FN("volumes", load_volumes),
        STR("working_dir", working_dir),
        /* Compose keys that devstack accepts but does not act on */
        UNSUPPORTED("annotations"),
        UNSUPPORTED("attach"),
        UNSUPPORTED("blkio_config"),
        UNSUPPORTED("cgroup"),
        UNSUPPORTED("cgroup_parent"),
        UNSUPPORTED("configs"),
        UNSUPPORTED("cpu_count"),
        UNSUPPORTED("cpu_percent"),
        UNSUPPORTED("cpu_period"),
        UNSUPPORTED("cpu_quota"),
        UNSUPPORTED("cpu_rt_period"),
        UNSUPPORTED("cpu_rt_runtime"),
        UNSUPPORTED("cpu_shares"),
        UNSUPPORTED("cpus"),
        UNSUPPORTED("cpuset"),
        UNSUPPORTED("credential_spec"),
        UNSUPPORTED("deploy"),
        UNSUPPORTED("develop"),
        UNSUPPORTED("device_cgroup_rules"),
        UNSUPPORTED("devices"),
        UNSUPPORTED("dns_opt"),
        UNSUPPORTED("dns_search"),
        UNSUPPORTED("external_links"),
        UNSUPPORTED("extends"),
        UNSUPPORTED("group_add"),
        UNSUPPORTED("ipc"),
        UNSUPPORTED("isolation"),
        UNSUPPORTED("links"),
        UNSUPPORTED("logging"),
        UNSUPPORTED("mac_address"),
        UNSUPPORTED("mem_limit"),
        UNSUPPORTED("mem_reservation"),
        UNSUPPORTED("mem_swappiness"),
        UNSUPPORTED("memswap_limit"),
        UNSUPPORTED("oom_kill_disable"),
        UNSUPPORTED("oom_score_adj"),
        UNSUPPORTED("pid"),
        UNSUPPORTED("pids_limit"),
        UNSUPPORTED("runtime"),
        UNSUPPORTED("secrets"),
        UNSUPPORTED("storage_opt"),
        UNSUPPORTED("sysctls"),
        UNSUPPORTED("tmpfs"),
        UNSUPPORTED("ulimits"),
        UNSUPPORTED("userns_mode"),
        UNSUPPORTED("uts"),
        UNSUPPORTED("volumes_from"),
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
            load_warn(ld, n->keys[i], "unknown key, ignored");
        } else {
            switch (k->kind) {
            case K_STRING:
                rc = set_string(ld, v, s, k->offset);
                break;
            case K_BOOL:
                rc = set_bool(ld, v, s, k->offset);
                break;
            case K_STRINGS:
                rc = load_strings(ld, v, true, (struct strvec *)((char *)s + k->offset));
                break;
            case K_KV:
                rc = load_kv(ld, v, '=', (struct kvlist *)((char *)s + k->offset));
                break;
            case K_FN:
                rc = k->fn(ld, v, s);
                break;
            case K_UNSUPPORTED:
                load_warn(ld, n->keys[i], "not supported by devstack, ignored");
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
    for (size_t i = 0; i < services->n; i++) {
        struct compose_service s;
        size_t saved = load_path_key(ld, services->keys[i]->text);
        int rc;

        compose_service_init(&s);
        rc = load_service(ld, services->keys[i], services->items[i], &s);
        load_path_pop(ld, saved);
        if (rc < 0) {
            compose_service_release(&s);
            return rc;
        }
        compose_add_service(p, &s);
    }
    return 0;
}

/* ---- merging ------------------------------------------------------------------ */

#define TAKE_STR(f)                                                                                \
    do {                                                                                           \
        if (over->f) {                                                                             \
            free(base->f);                                                                         \
            base->f = over->f;                                                                     \
            over->f = NULL;                                                                        \
        }                                                                                          \
    } while (0)
#define TAKE_INT(f)                                                                                \
    do {                                                                                           \
        if (over->f >= 0)                                                                          \
            base->f = over->f;                                                                     \
    } while (0)

static void merge_unique(struct strvec *base, struct strvec *over)
{
    for (size_t i = 0; i < over->n; i++)
        if (!strvec_contains(base, over->v[i]))
            strvec_push(base, over->v[i]);
}

static void merge_healthcheck(struct compose_service *base, struct compose_service *over)
{
    struct compose_healthcheck *b = base->healthcheck, *o = over->healthcheck;

    if (!o)
        return;
    if (!b) {
        base->healthcheck = o;
        over->healthcheck = NULL;
        return;
    }
    if (o->test.n) {
        strvec_clear(&b->test);
        strvec_copy(&b->test, &o->test);
    }
    if (o->interval >= 0)
        b->interval = o->interval;
    if (o->timeout >= 0)
        b->timeout = o->timeout;
    if (o->start_period >= 0)
        b->start_period = o->start_period;
    if (o->start_interval >= 0)
        b->start_interval = o->start_interval;
    if (o->retries >= 0)
        b->retries = o->retries;
    if (o->disable)
        b->disable = true;
}

static void merge_build(struct compose_service *base, struct compose_service *over)
{
    struct compose_build *b = base->build, *o = over->build;

    if (!o)
        return;
    if (!b) {
        base->build = o;
        over->build = NULL;
        return;
    }
    free(b->context);
    b->context = o->context;
    o->context = NULL;
    if (o->dockerfile) {
        free(b->dockerfile);
        b->dockerfile = o->dockerfile;
        o->dockerfile = NULL;
    }
    if (o->target) {
        free(b->target);
        b->target = o->target;
        o->target = NULL;
    }
    if (o->network) {
        free(b->network);
        b->network = o->network;
        o->network = NULL;
    }
    kvlist_copy(&b->args, &o->args);
    kvlist_copy(&b->labels, &o->labels);
    merge_unique(&b->cache_from, &o->cache_from);
    b->no_cache = b->no_cache || o->no_cache;
    b->pull = b->pull || o->pull;
}

static bool same_port(const struct compose_port *a, const struct compose_port *b)
{
    return a->target == b->target && !strcmp(a->protocol, b->protocol) &&
           !strcmp(a->host_ip ? a->host_ip : "", b->host_ip ? b->host_ip : "") &&
           !strcmp(a->published ? a->published : "", b->published ? b->published : "");
}

void compose_service_merge(struct compose_service *base, struct compose_service *over)
{
    TAKE_STR(image);
    merge_build(base, over);
    if (over->command_set) {
        strvec_clear(&base->command);
        strvec_copy(&base->command, &over->command);
        base->command_set = true;
    }
    if (over->entrypoint_set) {
        strvec_clear(&base->entrypoint);
        strvec_copy(&base->entrypoint, &over->entrypoint);
        base->entrypoint_set = true;
    }
    kvlist_copy(&base->environment, &over->environment);
    for (size_t i = 0; i < over->n_env_files; i++) {
        base->env_files =
                xrealloc(base->env_files, (base->n_env_files + 1) * sizeof(*base->env_files));
        base->env_files[base->n_env_files++] = over->env_files[i];
        over->env_files[i].path = NULL;
    }
    for (size_t i = 0; i < over->n_ports; i++) {
        bool dup = false;

        for (size_t j = 0; j < base->n_ports && !dup; j++)
            dup = same_port(&base->ports[j], &over->ports[i]);
        if (dup)
            continue;
        base->ports = xrealloc(base->ports, (base->n_ports + 1) * sizeof(*base->ports));
        base->ports[base->n_ports++] = over->ports[i];
        memset(&over->ports[i], 0, sizeof(over->ports[i]));
    }
    merge_unique(&base->expose, &over->expose);
    /* volumes: one per target, the later file's wins */
    for (size_t i = 0; i < over->n_volumes; i++) {
        struct compose_mount *slot = NULL;

        for (size_t j = 0; j < base->n_volumes && !slot; j++)
            if (!strcmp(base->volumes[j].target, over->volumes[i].target))
                slot = &base->volumes[j];
        if (slot) {
            compose_mount_release(slot);
        } else {
            base->volumes = xrealloc(base->volumes, (base->n_volumes + 1) * sizeof(*base->volumes));
            slot = &base->volumes[base->n_volumes++];
        }
        *slot = over->volumes[i];
        memset(&over->volumes[i], 0, sizeof(over->volumes[i]));
    }
    for (size_t i = 0; i < over->n_depends_on; i++) {
        struct compose_dependency *d = &over->depends_on[i];
        struct ynode at = {.file = d->pos.file, .line = d->pos.line, .col = d->pos.col};

        add_dependency(base, &at, d->service, d->condition, d->restart, d->required);
    }
    merge_healthcheck(base, over);
    TAKE_STR(restart);
    TAKE_STR(container_name);
    TAKE_STR(hostname);
    TAKE_STR(domainname);
    TAKE_STR(working_dir);
    TAKE_STR(user);
    TAKE_INT(tty);
    TAKE_INT(stdin_open);
    TAKE_INT(init);
    TAKE_INT(privileged);
    TAKE_INT(read_only);
    kvlist_copy(&base->labels, &over->labels);
    for (size_t i = 0; i < over->n_networks; i++) {
        struct compose_service_network *n = add_network(base, over->networks[i].name);

        strvec_copy(&n->aliases, &over->networks[i].aliases);
        n->ipv4_address = over->networks[i].ipv4_address;
        n->ipv6_address = over->networks[i].ipv6_address;
        over->networks[i].ipv4_address = over->networks[i].ipv6_address = NULL;
        n->priority = over->networks[i].priority;
    }
    TAKE_STR(network_mode);
    merge_unique(&base->extra_hosts, &over->extra_hosts);
    merge_unique(&base->dns, &over->dns);
    merge_unique(&base->cap_add, &over->cap_add);
    merge_unique(&base->cap_drop, &over->cap_drop);
    merge_unique(&base->security_opt, &over->security_opt);
    if (over->profiles.n) {
        strvec_clear(&base->profiles);
        strvec_copy(&base->profiles, &over->profiles);
    }
    TAKE_INT(stop_grace_period);
    TAKE_STR(stop_signal);
    TAKE_STR(pull_policy);
    TAKE_STR(platform);
    if (over->shm_size)
        base->shm_size = over->shm_size;
    TAKE_INT(scale);
}
