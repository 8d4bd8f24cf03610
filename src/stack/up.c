/* `up` from start to end: two passes, so that a rebuilt image recreates only when its id changed.
 */
#include <string.h>

#include "stack/internal.h"
#include "util/banned.h"

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
