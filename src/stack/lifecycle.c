/* Stopping, starting and taking a project down, in (reverse) dependency order. */
#include <stdlib.h>
#include <string.h>

#include "stack/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/duration.h"
#include "util/banned.h"

struct stop_job {
    struct engine *base;
    const struct stack_container *c;
    int timeout;
    bool remove, volumes;
    const struct compose_project *p;
    const struct stack_apply_options *ao;
    struct ds_error err;
    int rc;
    pthread_t thread;
};

/*
 * Remove a container; with `volumes`, its anonymous volumes too, also those a
 * recreate handed it by name (which the engine's own `v=1` keeps). One still
 * in use elsewhere stays.
 */
int stack_remove_container(struct engine *e, const char *id, bool volumes,
                           const struct compose_project *p, struct ds_error *err)
{
    struct engine_container_info info;
    struct stack_mount_points mounts = {0};
    struct strvec anonymous = STRVEC_INIT;
    int rc;

    if (volumes && engine_container_inspect(e, id, &info, err) == 0) {
        stack_mount_points_from_json(cJSON_GetObjectItemCaseSensitive(info.raw, "Mounts"), &mounts);
        stack_anonymous_volumes(&mounts, p, &anonymous);
        engine_container_info_release(&info);
    }
    ds_error_release(err);
    rc = engine_container_remove(e, id, true, volumes, err);
    for (size_t i = 0; rc == 0 && i < anonymous.n; i++) {
        struct ds_error verr = DS_ERROR_INIT;

        /* gone with the container, or mounted by another: both fine */
        engine_volume_remove(e, anonymous.v[i], false, &verr);
        ds_error_release(&verr);
    }
    stack_mount_points_release(&mounts);
    strvec_clear(&anonymous);
    return rc;
}

static void *stop_one(void *arg)
{
    struct stop_job *j = arg;
    struct engine *e = NULL;
    double since = clock_seconds();

    j->rc = engine_clone(&e, j->base, &j->err);
    if (j->rc == 0 && !strcmp(j->c->state, "running")) {
        const struct compose_service *s = j->p ? compose_find_service(j->p, j->c->service) : NULL;

        stack_emit(j->ao, EV_STOPPING, j->c->service, j->c->name, NULL, 0);
        if (s && s->ext->n_pre_stop)
            j->rc = stack_run_hooks(e, s, "pre_stop", s->ext->pre_stop, s->ext->n_pre_stop,
                                    j->c->id, j->c->name, j->ao, &j->err);
        if (j->rc == DS_ENOTFOUND || j->rc == DS_ECONFLICT) { /* stopped meanwhile */
            ds_error_release(&j->err);
            j->rc = 0;
        }
        if (j->rc == 0)
            j->rc = engine_container_stop(e, j->c->id, j->timeout, &j->err);
        if (j->rc == 0)
            stack_emit(j->ao, EV_STOPPED, j->c->service, j->c->name, NULL, since);
    }
    if (j->rc == 0 && j->remove) {
        stack_emit(j->ao, EV_REMOVING, j->c->service, j->c->name, NULL, 0);
        j->rc = stack_remove_container(e, j->c->id, j->volumes, j->p, &j->err);
        if (j->rc == DS_ENOTFOUND) {
            ds_error_release(&j->err);
            j->rc = 0;
        }
        if (j->rc == 0)
            stack_emit(j->ao, EV_REMOVED, j->c->service, j->c->name, NULL, since);
    }
    if (j->rc == DS_ENOTFOUND) { /* gone meanwhile: what we wanted */
        ds_error_release(&j->err);
        j->rc = 0;
    }
    engine_free(e);
    return NULL;
}

/*
 * Stop (and remove) the given containers at once, each in its own thread.
 * `stopped` (may be NULL) gets the ids of those that were running and were
 * stopped.
 */
static int stop_batch(struct engine *e, const struct stack_container **cs, size_t n, int timeout,
                      bool remove, bool volumes, const struct compose_project *p,
                      const struct stack_apply_options *ao, struct strvec *stopped,
                      struct ds_error *err)
{
    struct stop_job *jobs = xcalloc(n + 1, sizeof(*jobs));
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        const struct compose_service *s = p ? compose_find_service(p, cs[i]->service) : NULL;

        jobs[i].base = e;
        jobs[i].c = cs[i];
        jobs[i].timeout = timeout >= 0 ? timeout
                          : s && s->stop_grace_period >= 0
                                  ? (int)(s->stop_grace_period / NS_PER_SEC)
                                  : -1;
        jobs[i].remove = remove;
        jobs[i].volumes = volumes;
        jobs[i].p = p;
        jobs[i].ao = ao;
        pthread_create(&jobs[i].thread, NULL, stop_one, &jobs[i]);
    }
    for (size_t i = 0; i < n; i++)
        pthread_join(jobs[i].thread, NULL);
    for (size_t i = 0; i < n; i++) {
        if (stopped && jobs[i].rc == 0 && !strcmp(jobs[i].c->state, "running"))
            strvec_push(stopped, jobs[i].c->id);
        if (jobs[i].rc < 0 && rc == 0) {
            rc = jobs[i].rc;
            ds_error_set(err, rc, "%s: %s", jobs[i].c->name,
                         jobs[i].err.msg ? jobs[i].err.msg : "failed");
        }
        ds_error_release(&jobs[i].err);
    }
    free(jobs);
    return rc;
}

/* The project's containers in reverse start order: group 0 goes first. */
struct groups {
    const struct stack_container ***of; /* of[g][i] */
    size_t *size;
    size_t n;
};

static void groups_release(struct groups *gs)
{
    for (size_t g = 0; g < gs->n; g++)
        free(gs->of[g]);
    free(gs->of);
    free(gs->size);
    memset(gs, 0, sizeof(*gs));
}

/*
 * `all` also takes containers of services the files no longer have (orphans,
 * first); `oneoffs` the one-off containers (run) of the services.
 */
static int reverse_groups(const struct compose_project *p, const struct stack_observed *o,
                          const struct strvec *services, bool all, bool oneoffs, struct groups *gs,
                          struct ds_error *err)
{
    struct compose_layers layers = {0};
    struct compose_project copy = *p;
    int rc;

    memset(gs, 0, sizeof(*gs));
    /* every service counts here, whatever its profile: its containers belong to the project */
    copy.services = xcalloc(p->n_services + 1, sizeof(*copy.services));
    memcpy(copy.services, p->services, p->n_services * sizeof(*copy.services));
    for (size_t i = 0; i < copy.n_services; i++)
        copy.services[i].enabled = true;
    rc = compose_layers(&copy, &layers, err);
    free(copy.services);
    if (rc < 0)
        return rc;

    gs->n = layers.n + 1;
    gs->of = xcalloc(gs->n, sizeof(*gs->of));
    gs->size = xcalloc(gs->n, sizeof(*gs->size));
    for (size_t g = 0; g < gs->n; g++)
        gs->of[g] = xcalloc(o->n_containers + 1, sizeof(*gs->of[g]));
    for (size_t i = 0; i < o->n_containers; i++) {
        const struct stack_container *c = &o->containers[i];
        size_t group = 0;
        bool known = false;

        if ((services && services->n && !strvec_contains(services, c->service)) ||
            (c->oneoff && !oneoffs))
            continue;
        for (size_t l = 0; l < layers.n; l++) {
            if (strvec_contains(&layers.layers[l], c->service)) {
                group = layers.n - l; /* the last layer stops first, after orphans */
                known = true;
            }
        }
        if (!known && !all)
            continue;
        gs->of[group][gs->size[group]++] = c;
    }
    compose_layers_release(&layers);
    return 0;
}

static int stop_observed(struct engine *e, const struct compose_project *p,
                         const struct stack_observed *o, const struct strvec *services, int timeout,
                         const struct stack_apply_options *ao, struct strvec *stopped,
                         struct ds_error *err)
{
    struct groups gs;
    int rc;

    rc = compose_check_services(p, services, err);
    if (rc == 0)
        /* one-off containers are not the service's: stop and restart leave them, as Compose */
        rc = reverse_groups(p, o, services, false, false, &gs, err);
    if (rc < 0)
        return rc;
    for (size_t g = 0; rc == 0 && g < gs.n; g++)
        if (gs.size[g])
            rc = stop_batch(e, gs.of[g], gs.size[g], timeout, false, false, p, ao, stopped, err);
    groups_release(&gs);
    return rc;
}

static int start_observed(struct engine *e, const struct compose_project *p,
                          const struct stack_observed *o, const struct strvec *services,
                          const struct stack_apply_options *ao, struct ds_error *err)
{
    struct stack_options opts = {
            .services = services, .images_resolved = true, .no_recreate = true};
    struct stack_plan plan;
    int rc;

    rc = stack_plan(p, o, &opts, &plan, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < plan.n; i++) {
        if (plan.actions[i].kind == ACT_CREATE) {
            rc = ds_error_set(err, DS_ENOTFOUND, "service '%s' has no container to start",
                              plan.actions[i].service);
            ds_error_hint(err, "create it with 'devstack up'");
            break;
        }
        if (plan.actions[i].kind != ACT_START) {
            /* networks and volumes: up makes them, start only starts */
            plan.actions[i].kind = ACT_START;
            free(plan.actions[i].service);
            plan.actions[i].service = NULL;
        }
    }
    if (rc == 0)
        rc = stack_apply(e, p, o, &plan, &opts, ao, err);
    stack_plan_release(&plan);
    return rc;
}

static int down_observed(struct engine *e, const struct compose_project *p,
                         const struct stack_observed *o, const struct stack_down_options *d,
                         const struct stack_apply_options *ao, struct ds_error *err)
{
    struct strvec orphans = STRVEC_INIT;
    struct groups gs;
    int rc;

    /* one-off containers too (Compose only with --remove-orphans): their network goes */
    rc = reverse_groups(p, o, NULL, d->remove_orphans, true, &gs, err);
    for (size_t g = 0; rc == 0 && g < gs.n; g++)
        if (gs.size[g])
            rc = stop_batch(e, gs.of[g], gs.size[g], d->timeout, true, d->volumes, p, ao, NULL,
                            err);
    groups_release(&gs);
    if (rc < 0)
        goto done;

    for (size_t i = 0; i < o->n_containers; i++)
        if (!o->containers[i].oneoff && !compose_find_service(p, o->containers[i].service) &&
            !d->remove_orphans)
            strvec_push(&orphans, o->containers[i].name);
    if (orphans.n) {
        struct buf list = BUF_INIT;

        for (size_t i = 0; i < orphans.n; i++)
            buf_addf(&list, "%s%s", i ? ", " : "", orphans.v[i]);
        stack_emit(ao, EV_WARNING, NULL, list.buf,
                   "orphan containers (their services are no longer in the files) stay; "
                   "--remove-orphans removes them",
                   0);
        buf_release(&list);
    }

    /* the project's networks: declared, not external, carrying its label */
    for (size_t i = 0; i < o->n_networks && !orphans.n; i++) {
        const struct stack_object *net = &o->networks[i];

        stack_emit(ao, EV_REMOVING, NULL, net->name, "network", 0);
        rc = engine_network_remove(e, net->name, err);
        if (rc == DS_ENOTFOUND) {
            ds_error_release(err);
            rc = 0;
        }
        if (rc < 0)
            goto done;
        stack_emit(ao, EV_REMOVED, NULL, net->name, "network", 0);
    }
    for (size_t i = 0; d->volumes && i < o->n_volumes; i++) {
        const struct stack_object *vol = &o->volumes[i];
        const char *key = kvlist_get(&vol->labels, LABEL_VOLUME);
        const struct compose_volume *decl = key ? compose_find_volume(p, key) : NULL;

        /* only what the files declare, never external volumes */
        if (!decl || decl->external || strcmp(decl->name, vol->name))
            continue;
        stack_emit(ao, EV_REMOVING, NULL, vol->name, "volume", 0);
        rc = engine_volume_remove(e, vol->name, false, err);
        if (rc == DS_ENOTFOUND) {
            ds_error_release(err);
            rc = 0;
        }
        if (rc < 0) {
            ds_error_wrap(err, "removing volume '%s'", vol->name);
            goto done;
        }
        stack_emit(ao, EV_REMOVED, NULL, vol->name, "volume", 0);
    }
    for (size_t i = 0; d->rmi && i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];
        char *ref;

        /* local: the images built for the project under its own name; all: every image */
        if (d->rmi == 1 && (s->image || !s->build))
            continue;
        ref = stack_image_ref(p, s);
        stack_emit(ao, EV_REMOVING, s->name, ref, "image", 0);
        rc = engine_image_remove(e, ref, false, NULL, err);
        if (rc == DS_ENOTFOUND || rc == DS_ECONFLICT) {
            /* gone already, or still used by a container of another project: leave it */
            if (rc == DS_ECONFLICT)
                stack_emit(ao, EV_WARNING, s->name, ref, err->msg, 0);
            ds_error_release(err);
            rc = 0;
        } else if (rc == 0) {
            stack_emit(ao, EV_REMOVED, s->name, ref, "image", 0);
        }
        free(ref);
        if (rc < 0)
            goto done;
    }

done:
    strvec_clear(&orphans);
    return rc;
}

/* The entry points: observe, act, with the engine watching the cancel flag meanwhile. */

enum verb { STOP, START, RESTART, DOWN };

static int lifecycle(enum verb verb, struct engine *e, const struct compose_project *p,
                     const struct strvec *services, int timeout, const struct stack_down_options *d,
                     const struct stack_apply_options *ao, struct ds_error *err)
{
    volatile sig_atomic_t *old = engine_set_cancel_flag(e, ao ? ao->cancel : NULL);
    struct strvec stopped = STRVEC_INIT;
    struct stack_observed o;
    int rc = stack_observe(e, p, &o, err);

    if (rc < 0)
        goto done;
    switch (verb) {
    case STOP:
    case RESTART:
        rc = stop_observed(e, p, &o, services, timeout, ao, &stopped, err);
        if (rc < 0 || verb == STOP)
            break;
        /* what stopped is looked at again: a container may have gone meanwhile */
        stack_observed_release(&o);
        rc = stack_observe(e, p, &o, err);
        if (rc < 0)
            goto done;
        /*
         * The engine has said each of them stopped, but its list can still
         * call one running for a moment (Engine 26.1 does): it is not.
         */
        for (size_t i = 0; i < o.n_containers; i++) {
            struct stack_container *c = &o.containers[i];

            if (!strcmp(c->state, "running") && strvec_contains(&stopped, c->id)) {
                free(c->state);
                c->state = xstrdup("exited");
            }
        }
        /* fall through */
    case START:
        rc = start_observed(e, p, &o, services, ao, err);
        break;
    case DOWN:
        rc = down_observed(e, p, &o, d, ao, err);
        break;
    }
    stack_observed_release(&o);

done:
    strvec_clear(&stopped);
    engine_set_cancel_flag(e, old);
    return rc;
}

int stack_stop(struct engine *e, const struct compose_project *p, const struct strvec *services,
               int timeout, const struct stack_apply_options *ao, struct ds_error *err)
{
    return lifecycle(STOP, e, p, services, timeout, NULL, ao, err);
}

int stack_start(struct engine *e, const struct compose_project *p, const struct strvec *services,
                const struct stack_apply_options *ao, struct ds_error *err)
{
    return lifecycle(START, e, p, services, -1, NULL, ao, err);
}

int stack_restart(struct engine *e, const struct compose_project *p, const struct strvec *services,
                  int timeout, const struct stack_apply_options *ao, struct ds_error *err)
{
    return lifecycle(RESTART, e, p, services, timeout, NULL, ao, err);
}

void stack_restart_dependents(const struct compose_project *p, struct strvec *services)
{
    bool added = true;

    while (added) {
        added = false;
        for (size_t i = 0; i < p->n_services; i++) {
            const struct compose_service *s = &p->services[i];

            if (strvec_contains(services, s->name))
                continue;
            for (size_t d = 0; d < s->n_depends_on && !added; d++) {
                if (s->depends_on[d].restart &&
                    strvec_contains(services, s->depends_on[d].service)) {
                    strvec_push(services, s->name);
                    added = true;
                }
            }
        }
    }
}

int stack_down(struct engine *e, const struct compose_project *p,
               const struct stack_down_options *d, const struct stack_apply_options *ao,
               struct ds_error *err)
{
    return lifecycle(DOWN, e, p, NULL, d->timeout, d, ao, err);
}

int stack_stop_or_kill(struct engine *e, const struct compose_project *p, int timeout,
                       const struct stack_apply_options *ao, volatile sig_atomic_t *forced,
                       struct ds_error *err)
{
    struct stack_apply_options stop_ao = *ao;
    volatile sig_atomic_t *old = engine_set_cancel_flag(e, NULL);
    struct stack_observed o;
    int rc;

    /* listed before a second Ctrl-C may cut the engine's answers short: one during the
       listing must still kill */
    rc = stack_observe(e, p, &o, err);
    if (rc < 0)
        goto done;
    stop_ao.cancel = forced;
    engine_set_cancel_flag(e, forced);
    rc = stop_observed(e, p, &o, NULL, timeout, &stop_ao, NULL, err);
    if (*forced) {
        ds_error_release(err);
        engine_set_cancel_flag(e, NULL);
        for (size_t i = 0; i < o.n_containers; i++) {
            struct ds_error kerr = DS_ERROR_INIT;

            if (o.containers[i].oneoff)
                continue;
            if (engine_container_kill(e, o.containers[i].id, "SIGKILL", &kerr) == 0)
                stack_emit(ao, EV_KILLED, o.containers[i].service, o.containers[i].name, NULL, 0);
            ds_error_release(&kerr);
        }
        rc = 0;
    }
    stack_observed_release(&o);

done:
    engine_set_cancel_flag(e, old);
    return rc;
}

int stack_remove_volume(struct engine *e, const char *name, struct ds_error *err)
{
    int rc = engine_volume_remove(e, name, false, err);

    if (rc == DS_ENOTFOUND) {
        ds_error_release(err);
        return 0;
    }
    return rc < 0 ? rc : 1;
}

int stack_volume_owner(struct engine *e, const char *name, char **project, char **key,
                       struct ds_error *err)
{
    struct engine_volume_info v;
    const char *value;
    int rc = engine_volume_inspect(e, name, &v, err);

    *project = *key = NULL;
    if (rc == DS_ENOTFOUND) {
        ds_error_release(err);
        return 0;
    }
    if (rc < 0)
        return rc;
    if ((value = kvlist_get(&v.labels, LABEL_PROJECT)))
        *project = xstrdup(value);
    if ((value = kvlist_get(&v.labels, LABEL_VOLUME)))
        *key = xstrdup(value);
    engine_volume_info_release(&v);
    return 1;
}
