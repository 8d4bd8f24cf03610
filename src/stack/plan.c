/*
 * The plan: from the model and what the engine holds, the actions that make
 * them agree. Pure: no I/O, so every case can be tested without an engine.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stack/stack.h"
#include "util/alloc.h"
#include "util/duration.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/banned.h"

const char *stack_action_name(enum stack_action_kind k)
{
    static const char *const names[] = {
            [ACT_CREATE_NETWORK] = "create network",
            [ACT_CREATE_VOLUME] = "create volume",
            [ACT_PULL] = "pull",
            [ACT_BUILD] = "build",
            [ACT_CREATE] = "create",
            [ACT_RECREATE] = "recreate",
            [ACT_START] = "start",
            [ACT_RESTART] = "restart",
            [ACT_REMOVE_ORPHAN] = "remove orphan",
            [ACT_SCALE_DOWN] = "scale down",
    };
    return names[k];
}

void stack_plan_release(struct stack_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        free(plan->actions[i].service);
        free(plan->actions[i].target);
        free(plan->actions[i].container);
        free(plan->actions[i].reason);
    }
    free(plan->actions);
    strvec_clear(&plan->orphans);
    strvec_clear(&plan->services);
    memset(plan, 0, sizeof(*plan));
}

static struct stack_action *add(struct stack_plan *plan, enum stack_action_kind kind,
                                const char *service, const char *target, int layer)
{
    struct stack_action *a;

    plan->actions = xrealloc(plan->actions, (plan->n + 1) * sizeof(*plan->actions));
    a = &plan->actions[plan->n++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->service = service ? xstrdup(service) : NULL;
    a->target = target ? xstrdup(target) : NULL;
    a->layer = layer;
    a->number = 1;
    return a;
}

static struct stack_action *find_action(struct stack_plan *plan, const char *service)
{
    for (size_t i = 0; i < plan->n; i++)
        if (plan->actions[i].service && !strcmp(plan->actions[i].service, service) &&
            plan->actions[i].kind >= ACT_CREATE && plan->actions[i].kind <= ACT_RESTART)
            return &plan->actions[i];
    return NULL;
}

static bool has_image_action(const struct stack_plan *plan, const char *service)
{
    for (size_t i = 0; i < plan->n; i++)
        if ((plan->actions[i].kind == ACT_PULL || plan->actions[i].kind == ACT_BUILD) &&
            !strcmp(plan->actions[i].service, service))
            return true;
    return false;
}

/* The targets: the named services and, unless --no-deps, everything they need. */
static void select_targets(const struct compose_project *p, const struct stack_options *o,
                           struct strvec *targets)
{
    bool grew = true;

    if (!o->services || !o->services->n) {
        for (size_t i = 0; i < p->n_services; i++)
            if (p->services[i].enabled)
                strvec_push(targets, p->services[i].name);
        return;
    }
    strvec_copy(targets, o->services);
    while (grew && !o->no_deps) {
        grew = false;
        for (size_t i = 0; i < targets->n; i++) {
            const struct compose_service *s = compose_find_service(p, targets->v[i]);

            for (size_t d = 0; s && d < s->n_depends_on; d++) {
                if (!strvec_contains(targets, s->depends_on[d].service)) {
                    strvec_push(targets, s->depends_on[d].service);
                    grew = true;
                }
            }
        }
    }
}

static bool observed_network(const struct stack_observed *o, const char *name)
{
    for (size_t i = 0; i < o->n_networks; i++)
        if (!strcmp(o->networks[i].name, name))
            return true;
    return false;
}

static bool observed_volume(const struct stack_observed *o, const char *name)
{
    for (size_t i = 0; i < o->n_volumes; i++)
        if (!strcmp(o->volumes[i].name, name))
            return true;
    return false;
}

/* The keys on which two maps differ (one lacks it, or the values differ), after `what`. */
static void differing_keys(struct buf *why, const char *what, const struct kvlist *want,
                           const struct kvlist *have, const char *skip_prefix)
{
    const struct kvlist *sides[2] = {want, have};
    struct strvec keys = STRVEC_INIT;

    for (int side = 0; side < 2; side++) {
        for (size_t i = 0; i < sides[side]->n; i++) {
            const char *key = sides[side]->items[i].key;
            const char *a = kvlist_get(want, key), *b = kvlist_get(have, key);

            if ((skip_prefix && str_starts_with(key, skip_prefix)) ||
                !strcmp(key, LABEL_DEVSTACK_DATABASE))
                continue;
            if ((!a || !b || strcmp(a, b)) && !strvec_contains(&keys, key))
                strvec_push(&keys, key);
        }
    }
    strvec_sort(&keys);
    for (size_t i = 0; i < keys.n; i++)
        buf_addf(why, "%s%s.%s", why->len ? ", " : "", what, keys.v[i]);
    strvec_clear(&keys);
}

size_t stack_volume_drift(const struct compose_project *p, const struct stack_observed *o,
                          struct strvec *names, struct strvec *why)
{
    struct buf b = BUF_INIT;
    size_t n = 0;

    for (size_t i = 0; i < p->n_volumes; i++) {
        const struct compose_volume *vol = &p->volumes[i];
        const char *want = vol->driver && *vol->driver ? vol->driver : "local";

        if (vol->external)
            continue;
        for (size_t k = 0; k < o->n_volumes; k++) {
            const struct stack_object *have = &o->volumes[k];

            if (strcmp(have->name, vol->name))
                continue;
            buf_reset(&b);
            if (have->driver && strcmp(have->driver, want))
                buf_addf(&b, "driver %s, not %s", have->driver, want);
            differing_keys(&b, "driver_opts", &vol->driver_opts, &have->options, NULL);
            /* the project's own labels are devstack's (or Compose's) to set, and the
             * database label devstack adds to a data directory's volume */
            differing_keys(&b, "labels", &vol->labels, &have->labels, "com.docker.compose.");
            if (b.len) {
                strvec_push(names, vol->name);
                strvec_push(why, b.buf);
                n++;
            }
            break;
        }
    }
    buf_release(&b);
    return n;
}

/*
 * The container of service and number: the one named as it should be, or
 * one under another name (a temporary container an interrupted recreate
 * left, a container_name since changed).
 */
static const struct stack_container *observed_container(const struct stack_observed *o,
                                                        const char *service, int number,
                                                        const char *name)
{
    const struct stack_container *other = NULL;

    for (size_t i = 0; i < o->n_containers; i++) {
        const struct stack_container *c = &o->containers[i];

        if (c->oneoff || strcmp(c->service, service) || c->number != number)
            continue;
        if (!strcmp(c->name, name))
            return c;
        if (!other)
            other = c;
    }
    return other;
}

/* <12 hex digits>_<name>: the name a recreate gives the new container until the old one is gone */
static bool temporary_name(const char *got, const char *name)
{
    return strlen(got) > 13 && strspn(got, "0123456789abcdef") == 12 && got[12] == '_' &&
           !strcmp(got + 13, name);
}

static int plan_images(const struct compose_project *p, const struct stack_observed *o,
                       const struct stack_options *opts, const struct compose_service *s,
                       struct stack_plan *plan, struct ds_error *err)
{
    const struct stack_image *img = stack_observed_image(o, s->name);
    bool present = img && img->id;
    const char *ref = img ? img->ref : s->image;
    enum stack_pull pull = opts->pull;

    if (pull == PULL_POLICY_DEFAULT) {
        const char *policy = s->pull_policy ? s->pull_policy : "missing";

        if (!strcmp(policy, "always"))
            pull = PULL_ALWAYS;
        else if (!strcmp(policy, "never"))
            pull = PULL_NEVER;
        else if (s->pull_interval > 0 && present)
            /* daily, weekly, every_<d>: pull when the local image is older than that */
            pull = img->tagged && time(NULL) - img->tagged < s->pull_interval / NS_PER_SEC
                           ? PULL_MISSING
                           : PULL_ALWAYS;
        else
            pull = PULL_MISSING;
    }
    if (s->build) {
        bool always = opts->build || (s->pull_policy && !strcmp(s->pull_policy, "build")) ||
                      (opts->build_develop && s->ext->develop);

        if (opts->no_build && !present)
            return ds_error_set(err, DS_ENOTFOUND,
                                "service '%s': image '%s' is not in the engine and --no-build "
                                "was given",
                                s->name, ref);
        if ((always && !opts->no_build) || !present) {
            /* refused before anything is created, not when its turn comes */
            int rc = stack_build_check(p, s, err);

            if (rc < 0)
                return rc;
            add(plan, ACT_BUILD, s->name, ref, -1);
        }
        return 0;
    }
    if (pull == PULL_ALWAYS || (pull == PULL_MISSING && !present)) {
        add(plan, ACT_PULL, s->name, ref, -1);
        return 0;
    }
    if (!present) {
        ds_error_set(err, DS_ENOTFOUND,
                     "service '%s': image '%s' is not in the engine, and the pull policy is never",
                     s->name, ref);
        ds_error_hint(err, "pull or build the image first, or drop --pull never");
        return DS_ENOTFOUND;
    }
    return 0;
}

/* Does the observable configuration of a container another tool made match the file? */
static const char *foreign_difference(const struct compose_project *p,
                                      const struct compose_service *s,
                                      const struct stack_container *c, const char *image_id)
{
    if (!c->inspected)
        return "cannot inspect it";
    if (image_id && c->image_id && strcmp(image_id, c->image_id))
        return "image changed";
    for (size_t i = 0; i < s->environment.n; i++) {
        struct buf pair = BUF_INIT;
        bool found;

        buf_addf(&pair, "%s=%s", s->environment.items[i].key,
                 s->environment.items[i].value ? s->environment.items[i].value : "");
        found = strvec_contains(&c->env, pair.buf);
        buf_release(&pair);
        if (!found)
            return "environment changed";
    }
    if (s->command_set && !strvec_equal(&s->command, &c->cmd))
        return "command changed";
    for (size_t i = 0; i < s->n_ports; i++) {
        const struct compose_port *port = &s->ports[i];
        bool found = false;

        if (!port->published)
            continue;
        for (size_t k = 0; k < c->port_specs.n && !found; k++) {
            struct buf want = BUF_INIT;
            const char *spec = c->port_specs.v[k];

            /*
             * the file's own host IP, or (none given) any of the usual ones. An
             * ephemeral port ("127.0.0.1::80") is "" where Docker keeps what was
             * asked, the port it chose where Podman keeps that.
             */
            buf_addf(&want, ":%s:%u/%s", port->published, (unsigned)port->target,
                     port->protocol ? port->protocol : "tcp");
            if (!*port->published && !str_ends_with(spec, want.buf + 1)) {
                buf_release(&want);
                continue;
            }
            if (!*port->published) {
                /* ":PORT:80/tcp" at the end: the host port as if the file had said it */
                const char *end = spec + strlen(spec) - (want.len - 1);
                const char *digits = end;

                while (digits > spec && digits[-1] >= '0' && digits[-1] <= '9')
                    digits--;
                if (digits < end && digits > spec && digits[-1] == ':') {
                    buf_reset(&want);
                    buf_adds(&want, digits - 1);
                }
            }
            if (strstr(spec, want.buf)) {
                size_t iplen = strlen(spec) - want.len;
                const char *ip = spec;

                if (port->host_ip && *port->host_ip)
                    found = iplen == strlen(port->host_ip) && !strncmp(ip, port->host_ip, iplen);
                else
                    found = iplen == 0 || !strncmp(ip, "0.0.0.0", iplen) ||
                            !strncmp(ip, "127.0.0.1", iplen);
            }
            buf_release(&want);
        }
        if (!found)
            return "ports changed";
    }
    for (size_t i = 0; i < s->n_volumes; i++)
        if (!strvec_contains(&c->mount_targets, s->volumes[i].target))
            return "volumes changed";
    (void)p;
    return NULL;
}

static void plan_container(const struct compose_project *p, const struct stack_observed *o,
                           const struct stack_options *opts, const struct compose_service *s,
                           int number, int layer, bool image_pending, struct stack_plan *plan)
{
    const struct stack_image *img = stack_observed_image(o, s->name);
    const char *image_id = img ? img->id : NULL;
    char *name = stack_container_name(p, s, number);
    const struct stack_container *c = observed_container(o, s->name, number, name);
    struct stack_action *a = NULL;
    const char *reason = NULL;
    bool running = c && !strcmp(c->state, "running");

    if (!c) {
        a = add(plan, ACT_CREATE, s->name, name, layer);
        a->after_image = image_pending;
    } else if (opts->no_recreate) {
        if (!running)
            a = add(plan, ACT_START, s->name, name, layer);
    } else {
        const char *dir = kvlist_get(&c->labels, LABEL_WORKING_DIR);

        if (opts->force_recreate)
            reason = "--force-recreate";
        else if (opts->recreate_deps && opts->services && opts->services->n &&
                 !strvec_contains(opts->services, s->name))
            reason = "--always-recreate-deps";
        else if (temporary_name(c->name, name))
            reason = "an interrupted recreate left it under a temporary name";
        else if (opts->take_over && dir && *dir && strcmp(dir, p->working_dir))
            reason = "taken over from another checkout";
        else if (image_pending)
            reason = "its image is being pulled or built";
        else if (c->hash) {
            char *want = stack_config_hash(p, s, image_id, opts);

            if (strcmp(want, c->hash))
                reason = image_id && c->image_id && strcmp(image_id, c->image_id)
                                 ? "image changed"
                                 : "configuration changed";
            free(want);
        } else {
            reason = foreign_difference(p, s, c, image_id);
        }
        if (reason) {
            a = add(plan, ACT_RECREATE, s->name, name, layer);
            a->reason = xstrdup(reason);
            a->after_image = image_pending;
        } else if (!running) {
            a = add(plan, ACT_START, s->name, name, layer);
        }
    }
    if (a) {
        a->number = number;
        if (c)
            a->container = xstrdup(c->id);
    }
    free(name);
}

/* Does s name dep's container (network_mode, ipc, pid service:dep, volumes_from dep)? */
static bool shares_container(const struct compose_service *s, const char *dep)
{
    const char *const modes[] = {s->network_mode, s->ext->ipc, s->ext->pid};
    const char *name;

    for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
        if (modes[i] && str_skip_prefix(modes[i], "service:", &name) && !strcmp(name, dep))
            return true;
    for (size_t i = 0; i < s->ext->volumes_from.n; i++) {
        const char *v = s->ext->volumes_from.v[i];
        size_t len = strcspn(v, ":");

        if (!str_starts_with(v, "container:") && len == strlen(dep) && !strncmp(v, dep, len))
            return true;
    }
    return false;
}

int stack_plan(const struct compose_project *p, const struct stack_observed *o,
               const struct stack_options *opts, struct stack_plan *out, struct ds_error *err)
{
    struct strvec targets = STRVEC_INIT;
    struct compose_layers layers = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->orphans);
    strvec_init(&out->services);
    select_targets(p, opts, &targets);
    rc = compose_check_services(p, &targets, err);
    if (rc == 0)
        rc = compose_layers(p, &layers, err);
    if (rc < 0)
        goto done;

    /* orphans: containers of services the files no longer have */
    for (size_t i = 0; i < o->n_containers; i++) {
        const struct stack_container *c = &o->containers[i];

        /* one-off containers of a service that is gone are orphans too, as in Compose */
        if (compose_find_service(p, c->service))
            continue;
        strvec_push(&out->orphans, c->name);
        if (opts->remove_orphans) {
            struct stack_action *a = add(out, ACT_REMOVE_ORPHAN, NULL, c->name, -1);
            a->container = xstrdup(c->id);
        }
    }

    /* images */
    for (size_t i = 0; !opts->images_resolved && i < targets.n; i++) {
        rc = plan_images(p, o, opts, compose_find_service(p, targets.v[i]), out, err);
        if (rc < 0)
            goto done;
    }

    /* networks and volumes the targets use */
    for (size_t i = 0; i < p->n_networks; i++) {
        const struct compose_network *net = &p->networks[i];
        bool used = false;

        for (size_t t = 0; t < targets.n && !used; t++) {
            const struct compose_service *s = compose_find_service(p, targets.v[t]);

            if (s->network_mode)
                continue;
            used = !s->n_networks && !strcmp(net->key, "default");
            for (size_t k = 0; k < s->n_networks && !used; k++)
                used = !strcmp(s->networks[k].name, net->key);
        }
        if (used && !net->external && !observed_network(o, net->name))
            add(out, ACT_CREATE_NETWORK, NULL, net->name, -1);
    }
    for (size_t i = 0; i < p->n_volumes; i++) {
        const struct compose_volume *vol = &p->volumes[i];
        bool used = false;

        for (size_t t = 0; t < targets.n && !used; t++) {
            const struct compose_service *s = compose_find_service(p, targets.v[t]);

            for (size_t k = 0; k < s->n_volumes && !used; k++)
                used = s->volumes[k].type == COMPOSE_MOUNT_VOLUME && s->volumes[k].source &&
                       !strcmp(s->volumes[k].source, vol->key);
        }
        if (used && !vol->external && !observed_volume(o, vol->name))
            add(out, ACT_CREATE_VOLUME, NULL, vol->name, -1);
    }

    /* containers, layer by layer */
    for (size_t l = 0; l < layers.n; l++) {
        for (size_t k = 0; k < layers.layers[l].n; k++) {
            const char *name = layers.layers[l].v[k];
            const struct compose_service *s = compose_find_service(p, name);
            int scale = compose_service_scale(s);

            if (!strvec_contains(&targets, name) ||
                (opts->run_service && !strcmp(name, opts->run_service)))
                continue;
            strvec_push(&out->services, name);
            for (int n = 1; n <= scale; n++)
                plan_container(p, o, opts, s, n, (int)l, has_image_action(out, name), out);
            /* scaled down: the containers numbered above go, before anything starts */
            for (size_t i = 0; i < o->n_containers; i++) {
                const struct stack_container *c = &o->containers[i];
                struct stack_action *a;

                if (c->oneoff || strcmp(c->service, name) || c->number <= scale)
                    continue;
                a = add(out, ACT_SCALE_DOWN, name, c->name, -1);
                a->number = c->number;
                a->container = xstrdup(c->id);
            }
        }
    }

    /*
     * A recreated dependency restarts what depends on it with `restart: true`;
     * a container that shares its namespace or volumes (by container id) is
     * recreated, as Compose does, since the id it names is gone.
     */
    for (size_t i = 0; i < out->services.n; i++) {
        const struct compose_service *s = compose_find_service(p, out->services.v[i]);
        struct stack_action *mine = find_action(out, s->name);

        if (mine && mine->kind != ACT_START)
            continue;
        for (size_t d = 0; d < s->n_depends_on; d++) {
            struct stack_action *dep = find_action(out, s->depends_on[d].service);
            bool shares = shares_container(s, s->depends_on[d].service);
            enum stack_action_kind kind = shares ? ACT_RECREATE : ACT_RESTART;

            if (!dep || !(shares ? dep->kind == ACT_RECREATE || dep->kind == ACT_CREATE
                                 : s->depends_on[d].restart && dep->kind == ACT_RECREATE))
                continue;
            if (!mine) {
                char *name = stack_container_name(p, s, 1);
                const struct stack_container *c = observed_container(o, s->name, 1, name);
                int layer = 0;

                free(name);
                for (size_t l = 0; l < layers.n; l++)
                    if (strvec_contains(&layers.layers[l], s->name))
                        layer = (int)l;
                mine = add(out, kind, s->name, c ? c->name : s->name, layer);
                if (c)
                    mine->container = xstrdup(c->id);
            } else {
                mine->kind = kind;
            }
            free(mine->reason);
            mine->reason = xstrdup(shares ? "it shares the container of a service made anew"
                                          : "a dependency was recreated");
            break;
        }
    }

done:
    strvec_clear(&targets);
    compose_layers_release(&layers);
    if (rc < 0)
        stack_plan_release(out);
    return rc;
}
