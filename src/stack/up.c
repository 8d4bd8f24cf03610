/* `up` from start to end: two passes, so that a rebuilt image recreates only when its id changed.
 */
#include <string.h>

#include "stack/internal.h"
#include "util/banned.h"

/*
 * What the engine in use is too old for, in the networks the plan creates
 * and the containers it creates (a volume subpath, a MAC address on a later
 * network, gw_priority, enable_ipv4: false): refused before anything is made.
 */
static int check_engine_version(struct engine *e, const struct compose_project *p,
                                const struct stack_plan *plan, const struct stack_options *opts,
                                struct ds_error *err)
{
    int api = engine_api_version(e), rc = 0;

    for (size_t i = 0; rc == 0 && i < plan->n; i++) {
        const struct stack_action *a = &plan->actions[i];
        const struct compose_network *net = NULL;

        if (a->kind != ACT_CREATE_NETWORK)
            continue;
        for (size_t k = 0; k < p->n_networks; k++)
            if (!strcmp(p->networks[k].name, a->target))
                net = &p->networks[k];
        if (net && net->enable_ipv4 == 0 && api < 1048) {
            ds_error_set(err, DS_EUNSUPPORTED,
                         "network '%s': enable_ipv4: false needs Engine API 1.48 (Docker Engine "
                         "28.0 or newer); this engine speaks %d.%d",
                         net->name, api / 1000, api % 1000);
            ds_error_hint(err, "upgrade the engine, or leave enable_ipv4 out");
            rc = DS_EUNSUPPORTED;
        }
    }
    for (size_t i = 0; rc == 0 && i < plan->services.n; i++) {
        const struct compose_service *s = compose_find_service(p, plan->services.v[i]);
        struct engine_container_config c;

        stack_container_config(p, s, 1, NULL, opts, &c);
        rc = engine_container_config_check(&c, api, err);
        if (rc < 0)
            ds_error_wrap(err, "service '%s'", s->name);
        engine_container_config_release(&c);
    }
    return rc;
}

static bool has_image_actions(const struct stack_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++)
        if (plan->actions[i].kind == ACT_PULL || plan->actions[i].kind == ACT_BUILD)
            return true;
    return false;
}

/* Remove the project's containers that mount volume `name`, then the volume. */
static int remove_volume_and_users(struct engine *e, const struct compose_project *p,
                                   const struct stack_observed *o, const char *name,
                                   const struct stack_apply_options *ao, struct ds_error *err)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < o->n_containers; i++) {
        const struct stack_container *c = &o->containers[i];
        struct engine_container_info info;
        struct stack_mount_points mounts = {0};
        bool uses = false;

        if (engine_container_inspect(e, c->id, &info, err) < 0) {
            if (err->code != DS_ENOTFOUND)
                return rc = err->code;
            ds_error_release(err); /* gone meanwhile */
            continue;
        }
        stack_mount_points_from_json(cJSON_GetObjectItemCaseSensitive(info.raw, "Mounts"), &mounts);
        for (size_t k = 0; k < mounts.n && !uses; k++)
            uses = mounts.items[k].name && !strcmp(mounts.items[k].name, name);
        stack_mount_points_release(&mounts);
        engine_container_info_release(&info);
        if (!uses)
            continue;
        stack_emit(ao, EV_REMOVING, c->service, c->name, NULL, 0);
        rc = stack_remove_container(e, c->id, false, p, err);
        if (rc == 0)
            stack_emit(ao, EV_REMOVED, c->service, c->name, NULL, 0);
    }
    if (rc < 0)
        return rc;
    stack_emit(ao, EV_REMOVING, NULL, name, "volume", 0);
    rc = engine_volume_remove(e, name, false, err);
    if (rc == DS_ECONFLICT) {
        ds_error_wrap(err, "volume '%s' is in use by a container of another project", name);
        ds_error_hint(err,
                      "remove that container (docker ps -a --filter volume=%s lists it), then run "
                      "`up -y` again",
                      name);
    }
    if (rc == 0)
        stack_emit(ao, EV_REMOVED, NULL, name, "volume", 0);
    return rc;
}

/*
 * Volumes the file no longer matches (driver, driver_opts, labels) are kept
 * as they are, with a warning, as Compose keeps them unless told; with
 * `recreate_volumes` (up -y) they are made afresh, and the containers that
 * mount them recreated: their data is lost, which the caller has listed.
 * *changed: something was removed, `o` is out of date.
 */
static int volume_drift(struct engine *e, const struct compose_project *p,
                        const struct stack_observed *o, const struct stack_options *opts,
                        const struct stack_apply_options *ao, bool *changed, struct ds_error *err)
{
    struct strvec names = STRVEC_INIT, why = STRVEC_INIT;
    struct buf msg = BUF_INIT;
    int rc = 0;

    *changed = false;
    stack_volume_drift(p, o, &names, &why);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        buf_reset(&msg);
        if (!opts->recreate_volumes) {
            buf_addf(&msg,
                     "exists but does not match the file (%s): kept as it is; `up -y` makes it "
                     "afresh, and its data is lost",
                     why.v[i]);
            stack_emit(ao, EV_WARNING, NULL, names.v[i], msg.buf, 0);
            continue;
        }
        buf_addf(&msg, "does not match the file (%s): made afresh (-y), its data is lost",
                 why.v[i]);
        stack_emit(ao, EV_WARNING, NULL, names.v[i], msg.buf, 0);
        rc = remove_volume_and_users(e, p, o, names.v[i], ao, err);
        *changed = true;
    }
    buf_release(&msg);
    strvec_clear(&names);
    strvec_clear(&why);
    return rc;
}

/*
 * A remote engine mounts a bind from its own machine's disk: say so once
 * for each bind the file gives relative to the project, whose files are on
 * this machine.
 */
static void warn_remote_binds(const struct engine *e, const struct compose_project *p,
                              const struct strvec *services, const struct stack_apply_options *ao)
{
    const struct engine_endpoint *ep = engine_get_endpoint(e);
    struct buf msg = BUF_INIT;

    if (!ep->remote)
        return;
    for (size_t i = 0; i < services->n; i++) {
        const struct compose_service *s = compose_find_service(p, services->v[i]);

        for (size_t k = 0; s && k < s->n_volumes; k++) {
            const struct compose_mount *m = &s->volumes[k];

            if (m->type != COMPOSE_MOUNT_BIND || !m->relative)
                continue;
            buf_reset(&msg);
            buf_addf(&msg,
                     "the bind of '%s' (%s:%d:%d) mounts that path on the engine's machine (%s), "
                     "not this one: the files there are used, not yours; `devstack watch` syncs "
                     "your files into the container (develop.watch with action: sync)",
                     m->source, m->pos.file ? m->pos.file : "?", m->pos.line, m->pos.col, ep->host);
            stack_emit(ao, EV_WARNING, s->name, m->target, msg.buf, 0);
        }
    }
    buf_release(&msg);
}

int stack_up(struct engine *e, const struct compose_project *p, const struct stack_options *opts,
             const struct stack_apply_options *ao, struct strvec *orphans, struct ds_error *err)
{
    bool changed;

    struct stack_observed o;
    struct stack_plan plan;
    struct stack_options second = *opts;
    volatile sig_atomic_t *old = engine_set_cancel_flag(e, ao->cancel);
    int rc;

    rc = stack_observe(e, p, &o, err);
    if (rc < 0)
        goto done;
    rc = volume_drift(e, p, &o, opts, ao, &changed, err);
    if (rc == 0 && changed) {
        stack_observed_release(&o);
        rc = stack_observe(e, p, &o, err);
        if (rc < 0)
            goto done;
    }
    if (rc == 0)
        rc = stack_plan(p, &o, opts, &plan, err);
    if (rc < 0) {
        stack_observed_release(&o);
        goto done;
    }
    /* what Compose would refuse only when it comes to the service: before anything is made */
    for (size_t i = 0; rc == 0 && i < plan.services.n; i++) {
        const struct compose_service *s = compose_find_service(p, plan.services.v[i]);

        rc = compose_check_file_refs(p, s, err);
        if (rc == 0)
            rc = stack_check_engine_api(s, engine_api_version(e), err);
    }
    if (rc == 0)
        rc = stack_check_data_volumes(e, p, &o, &plan.services, err);
    if (rc == 0 && engine_api_version(e))
        rc = check_engine_version(e, p, &plan, opts, err);
    if (rc < 0) {
        stack_plan_release(&plan);
        stack_observed_release(&o);
        goto done;
    }
    if (orphans && !opts->remove_orphans)
        strvec_copy(orphans, &plan.orphans);
    warn_remote_binds(e, p, &plan.services, ao);

    if (has_image_actions(&plan)) {
        /* first pass: images, networks, volumes, orphans; no containers yet */
        struct strvec services = plan.services;

        strvec_init(&plan.services);
        rc = stack_apply(e, p, &o, &plan, opts, ao, err);
        plan.services = services;
        stack_plan_release(&plan);
        stack_observed_release(&o);
        if (rc < 0)
            goto done;
        /* second pass: the images exist now; their ids decide what to recreate */
        second.images_resolved = true;
        second.remove_orphans = false;
        rc = stack_observe(e, p, &o, err);
        if (rc < 0)
            goto done;
        rc = stack_plan(p, &o, &second, &plan, err);
        if (rc < 0) {
            stack_observed_release(&o);
            goto done;
        }
    }
    rc = stack_apply(e, p, &o, &plan, &second, ao, err);
    stack_plan_release(&plan);
    stack_observed_release(&o);

done:
    engine_set_cancel_flag(e, old);
    return rc;
}
