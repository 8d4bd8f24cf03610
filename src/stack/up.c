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

int stack_up(struct engine *e, const struct compose_project *p, const struct stack_options *opts,
             const struct stack_apply_options *ao, struct strvec *orphans, struct ds_error *err)
{
    struct stack_observed o;
    struct stack_plan plan;
    struct stack_options second = *opts;
    volatile sig_atomic_t *old = engine_set_cancel_flag(e, ao->cancel);
    int rc;

    rc = stack_observe(e, p, &o, err);
    if (rc < 0)
        goto done;
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
    if (rc == 0 && engine_api_version(e))
        rc = check_engine_version(e, p, &plan, opts, err);
    if (rc < 0) {
        stack_plan_release(&plan);
        stack_observed_release(&o);
        goto done;
    }
    if (orphans && !opts->remove_orphans)
        strvec_copy(orphans, &plan.orphans);

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
