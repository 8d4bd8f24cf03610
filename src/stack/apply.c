/*
 * Carrying out a plan. Networks, volumes, images and orphans first; then one
 * thread per service, each starting as soon as its own dependencies meet
 * their conditions, with at most `parallel` of them talking to the engine at
 * once. Threads never share an engine client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/duration.h"
#include "util/banned.h"

#ifndef DEVSTACK_VERSION
#define DEVSTACK_VERSION "0.0.0"
#endif

enum svc_state { SVC_PENDING, SVC_DONE, SVC_FAILED };

struct svc {
    const struct compose_service *s;
    enum svc_state state;
    char *container_id, *container_name; /* number 1, for dependents to look at */
    bool reported; /* its Healthy / Exited was shown once: other waiters stay quiet */
    struct ds_error err;
    pthread_t thread;
    struct runner *r;
};

struct runner {
    struct engine *e;
    const struct compose_project *p;
    const struct stack_observed *o;
    const struct stack_plan *plan;
    const struct stack_options *opts;
    const struct stack_apply_options *ao;
    struct svc *svcs;
    size_t n;
    int slots;
    pthread_mutex_t lock;
    pthread_cond_t changed;
};

static struct svc *find_svc(struct runner *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->svcs[i].s->name, name))
            return &r->svcs[i];
    return NULL;
}

static bool cancelled(const struct stack_apply_options *ao)
{
    return ao->cancel && *ao->cancel;
}

/* ---- setup: orphans, images, networks, volumes ---------------------------------- */

struct up_pull {
    const struct stack_apply_options *ao;
    double *last; /* per job: when its progress was last shown */
};

static void on_pull_update(const struct stack_pull_job *jobs, size_t n, size_t index, void *ud)
{
    struct up_pull *u = ud;
    const struct stack_pull_job *job = &jobs[index];
    struct buf text = BUF_INIT;
    double now = clock_seconds();

    (void)n;
    if (job->finished)
        return;
    if (!u->last[index]) {
        u->last[index] = now;
        stack_emit(u->ao, EV_PULLING, job->services.v[0], job->ref, NULL, 0);
        return;
    }
    /* a line a second is plenty for a progress display */
    if (now - u->last[index] < 1.0)
        return;
    u->last[index] = now;
    stack_pull_state_describe(&job->state, 20, &text);
    stack_emit(u->ao, EV_PULLING, job->services.v[0], job->ref, text.buf, job->started_at);
    buf_release(&text);
}

/*
 * The first pull of the plan pulls every image the plan pulls, in parallel
 * and with registry credentials; the later pull actions find theirs done.
 */
static int pull(struct runner *r, const struct stack_action *a, struct ds_error *err)
{
    struct stack_pull_job *jobs = NULL;
    struct up_pull u = {r->ao, NULL};
    struct stack_pull_options po = {.parallel = r->ao->parallel,
                                    .cancel = r->ao->cancel,
                                    .on_update = on_pull_update,
                                    .ud = &u};
    size_t n = 0;
    int rc;

    for (size_t i = 0; i < r->plan->n; i++) {
        const struct stack_action *b = &r->plan->actions[i];

        if (b->kind == ACT_PULL) {
            if (b != a)
                return 0;
            break;
        }
    }
    jobs = xcalloc(r->plan->n + 1, sizeof(*jobs));
    for (size_t i = 0; i < r->plan->n; i++) {
        const struct stack_action *b = &r->plan->actions[i];
        const char *platform;
        struct stack_pull_job *job = NULL;

        if (b->kind != ACT_PULL)
            continue;
        platform = compose_find_service(r->p, b->service)->platform;
        for (size_t k = 0; k < n && !job; k++)
            if (!strcmp(jobs[k].ref, b->target) &&
                (jobs[k].platform ? platform && !strcmp(jobs[k].platform, platform) : !platform))
                job = &jobs[k];
        if (!job)
            stack_pull_job_init(job = &jobs[n++], b->target, platform);
        strvec_push(&job->services, b->service);
    }
    u.last = xcalloc(n + 1, sizeof(*u.last));
    rc = stack_pull_images(r->e, jobs, n, &po, err);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].warning)
            stack_emit(r->ao, EV_WARNING, jobs[i].services.v[0], NULL, jobs[i].warning, 0);
        if (jobs[i].finished && !jobs[i].err.code)
            stack_emit(r->ao, EV_PULLED, jobs[i].services.v[0], jobs[i].ref,
                       jobs[i].state.outcome == PULL_OUTCOME_UP_TO_DATE ? "up to date" : NULL,
                       jobs[i].started_at);
        stack_pull_job_release(&jobs[i]);
    }
    free(jobs);
    free(u.last);
    return rc;
}

/* The first build of the plan builds every image the plan builds, at once. */
static int build(struct runner *r, const struct stack_action *a, struct ds_error *err)
{
    struct strvec names = STRVEC_INIT;
    int rc;

    for (size_t i = 0; i < r->plan->n; i++) {
        const struct stack_action *b = &r->plan->actions[i];

        if (b->kind != ACT_BUILD)
            continue;
        if (!names.n && b != a)
            return 0;
        if (!strvec_contains(&names, b->service))
            strvec_push(&names, b->service);
    }
    rc = stack_build_run(r->e, r->p, &names, r->opts, r->ao, NULL, err);
    strvec_clear(&names);
    return rc;
}

static int create_network(struct runner *r, const char *name, struct ds_error *err)
{
    struct engine_network_config c = {.name = name};
    const struct compose_network *net = NULL;
    struct engine_ipam_pool *pools = NULL;
    int rc;

    for (size_t i = 0; i < r->p->n_networks; i++)
        if (!strcmp(r->p->networks[i].name, name))
            net = &r->p->networks[i];
    if (net) {
        c.driver = net->driver;
        c.internal = net->internal;
        c.attachable = net->attachable;
        c.enable_ipv6 = net->enable_ipv6 == 1;
        c.options = &net->driver_opts;
        c.disable_ipv4 = net->enable_ipv4 == 0;
        c.ipam_driver = net->ipam_driver;
        c.ipam_options = &net->ipam_options;
        pools = xcalloc(net->n_ipam_config + 1, sizeof(*pools));
        for (size_t i = 0; i < net->n_ipam_config; i++)
            pools[i] = (struct engine_ipam_pool){
                    net->ipam_config[i].subnet, net->ipam_config[i].ip_range,
                    net->ipam_config[i].gateway, &net->ipam_config[i].aux_addresses};
        c.pools = pools;
        c.n_pools = net->n_ipam_config;
        kvlist_copy(&c.labels, &net->labels);
    }
    kvlist_set(&c.labels, LABEL_PROJECT, r->p->name);
    kvlist_set(&c.labels, LABEL_NETWORK, net ? net->key : name);
    kvlist_set(&c.labels, LABEL_VERSION, "2.24.0");
    rc = engine_network_create(r->e, &c, NULL, err);
    kvlist_clear(&c.labels);
    free(pools);
    if (rc == DS_ECONFLICT) {
        /* made by someone else under this name: use it, as Compose does, and say so */
        stack_emit(r->ao, EV_WARNING, NULL, name,
                   "a network of this name exists without this project's labels; using it", 0);
        ds_error_release(err);
        return 0;
    }
    if (rc < 0)
        return ds_error_wrap(err, "creating network '%s'", name);
    stack_emit(r->ao, EV_NETWORK_CREATED, NULL, name, NULL, 0);
    return 0;
}

static int create_volume(struct runner *r, const char *name, struct ds_error *err)
{
    struct engine_volume_config c = {.name = name};
    const struct compose_volume *vol = NULL;
    const char *database;
    int rc;

    for (size_t i = 0; i < r->p->n_volumes; i++)
        if (!strcmp(r->p->volumes[i].name, name))
            vol = &r->p->volumes[i];
    if (vol) {
        c.driver = vol->driver;
        kvlist_copy(&c.labels, &vol->labels);
        kvlist_copy(&c.driver_opts, &vol->driver_opts);
    }
    kvlist_set(&c.labels, LABEL_PROJECT, r->p->name);
    kvlist_set(&c.labels, LABEL_VOLUME, vol ? vol->key : name);
    kvlist_set(&c.labels, LABEL_VERSION, "2.24.0");
    if ((database = stack_volume_database(r->p, name)))
        kvlist_set(&c.labels, LABEL_DEVSTACK_DATABASE, database);
    rc = engine_volume_create(r->e, &c, NULL, err);
    kvlist_clear(&c.labels);
    kvlist_clear(&c.driver_opts);
    if (rc < 0)
        return ds_error_wrap(err, "creating volume '%s'", name);
    stack_emit(r->ao, EV_VOLUME_CREATED, NULL, name, NULL, 0);
    return 0;
}

static int setup(struct runner *r, struct ds_error *err)
{
    const struct stack_plan *plan = r->plan;
    int rc = 0;

    for (size_t i = 0; i < plan->n && rc == 0; i++) {
        const struct stack_action *a = &plan->actions[i];

        if (cancelled(r->ao))
            return ds_error_set(err, DS_EINTR, "interrupted");
        switch (a->kind) {
        case ACT_REMOVE_ORPHAN:
            stack_emit(r->ao, EV_REMOVING, NULL, a->target, "orphan", 0);
            rc = engine_container_remove(r->e, a->container, true, false, err);
            if (rc == DS_ENOTFOUND) {
                ds_error_release(err);
                rc = 0;
            }
            if (rc == 0)
                stack_emit(r->ao, EV_REMOVED, NULL, a->target, "orphan", 0);
            break;
        case ACT_SCALE_DOWN:
            /* stopped as `stop` would, then removed, as Compose scales down */
            stack_emit(r->ao, EV_REMOVING, a->service, a->target, NULL, 0);
            rc = engine_container_stop(r->e, a->container, r->ao->stop_timeout, err);
            if (rc == 0)
                rc = engine_container_remove(r->e, a->container, true, false, err);
            if (rc == DS_ENOTFOUND) {
                ds_error_release(err);
                rc = 0;
            }
            if (rc == 0)
                stack_emit(r->ao, EV_REMOVED, a->service, a->target, NULL, 0);
            break;
        case ACT_PULL:
            rc = pull(r, a, err);
            break;
        case ACT_BUILD:
            rc = build(r, a, err);
            break;
        case ACT_CREATE_NETWORK:
            rc = create_network(r, a->target, err);
            break;
        case ACT_CREATE_VOLUME:
            rc = create_volume(r, a->target, err);
            break;
        default:
            break;
        }
    }
    return rc;
}

/* ---- one service ----------------------------------------------------------------- */

static void acquire_slot(struct runner *r)
{
    pthread_mutex_lock(&r->lock);
    while (r->slots == 0)
        pthread_cond_wait(&r->changed, &r->lock);
    r->slots--;
    pthread_mutex_unlock(&r->lock);
}

static void release_slot(struct runner *r)
{
    pthread_mutex_lock(&r->lock);
    r->slots++;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

static void finish(struct svc *v, enum svc_state state)
{
    pthread_mutex_lock(&v->r->lock);
    v->state = state;
    pthread_cond_broadcast(&v->r->changed);
    pthread_mutex_unlock(&v->r->lock);
}

/* Wait for each dependency to be done, then for its depends_on condition. */
static int wait_dependencies(struct svc *v, struct engine *e)
{
    struct runner *r = v->r;
    const struct compose_service *s = v->s;

    for (size_t d = 0; d < s->n_depends_on; d++) {
        const struct compose_dependency *dep = &s->depends_on[d];
        struct svc *w = find_svc(r, dep->service);
        double since = clock_seconds();
        int rc;

        if (!w)
            continue; /* not part of this run (--no-deps): Compose does not wait either */
        pthread_mutex_lock(&r->lock);
        while (w->state == SVC_PENDING)
            pthread_cond_wait(&r->changed, &r->lock);
        pthread_mutex_unlock(&r->lock);
        if (w->state == SVC_FAILED) {
            if (!dep->required) {
                stack_emit(r->ao, EV_WARNING, s->name, dep->service,
                           "an optional dependency failed; going on", 0);
                continue;
            }
            return ds_error_set(&v->err, DS_ERR, "service '%s': dependency '%s' failed", s->name,
                                dep->service);
        }
        if (!w->container_id || !strcmp(dep->condition, "service_started"))
            continue;
        stack_emit(r->ao, EV_WAITING, s->name, w->container_name, dep->condition, 0);
        rc = stack_wait_condition(e, w->container_id, w->container_name, dep->service,
                                  dep->condition, r->ao->cancel, &v->err);
        if (rc < 0) {
            if (rc == DS_EINTR || dep->required)
                return rc;
            stack_emit(r->ao, EV_WARNING, s->name, dep->service, v->err.msg, 0);
            ds_error_release(&v->err);
            continue;
        }
        pthread_mutex_lock(&r->lock);
        if (!w->reported) {
            w->reported = true;
            pthread_mutex_unlock(&r->lock);
            if (!strcmp(dep->condition, "service_healthy"))
                stack_emit(r->ao, EV_HEALTHY, dep->service, w->container_name, NULL, since);
            else
                stack_emit(r->ao, EV_EXITED, dep->service, w->container_name, "0", since);
        } else {
            pthread_mutex_unlock(&r->lock);
        }
    }
    return 0;
}

/*
 * What a recreate carries over: the old container's mounts (read before it
 * is removed) and the VOLUME paths of the image the new one runs.
 */
struct inherited {
    struct stack_mount_points old;
    struct strvec image_volumes;
};

static int read_inherited(struct svc *v, struct engine *e, const struct stack_action *a,
                          struct inherited *in)
{
    const struct stack_image *img = stack_observed_image(v->r->o, v->s->name);
    struct engine_container_info info;
    struct engine_image_info image;
    char *ref = NULL;
    int rc;

    strvec_init(&in->image_volumes);
    memset(&in->old, 0, sizeof(in->old));
    rc = engine_container_inspect(e, a->container, &info, &v->err);
    if (rc == DS_ENOTFOUND) { /* gone meanwhile: nothing to carry */
        ds_error_release(&v->err);
        return 0;
    }
    if (rc < 0)
        return ds_error_wrap(&v->err, "service '%s': reading the mounts of %s", v->s->name,
                             a->target);
    stack_mount_points_from_json(cJSON_GetObjectItemCaseSensitive(info.raw, "Mounts"), &in->old);
    engine_container_info_release(&info);
    if (img && img->id)
        ref = xstrdup(img->id);
    else
        ref = stack_image_ref(v->r->p, v->s);
    rc = engine_image_inspect(e, ref, &image, &v->err);
    if (rc == 0) {
        strvec_copy(&in->image_volumes, &image.volumes);
        engine_image_info_release(&image);
    } else if (rc == DS_ENOTFOUND) { /* creating will say that the image is missing */
        ds_error_release(&v->err);
        rc = 0;
    }
    free(ref);
    return rc;
}

static void inherited_release(struct inherited *in)
{
    stack_mount_points_release(&in->old);
    strvec_clear(&in->image_volumes);
}

/* The container a reference to another service means: the one this run made, or the observed one.
 */
/* What the lookups of create_container() see: the service's thread and its engine client. */
struct lookup_ctx {
    struct svc *v;
    struct engine *e;
};

static int lookup_container(const char *service, const char **id, const char **name, void *ud)
{
    struct svc *v = ((struct lookup_ctx *)ud)->v;
    struct svc *w = find_svc(v->r, service);
    const struct stack_container *existing[1];

    if (w && w->container_id) {
        *id = w->container_id;
        *name = w->container_name;
        return 1;
    }
    if (stack_containers_of(v->r->o, service, existing, 1)) {
        *id = existing[0]->id;
        *name = existing[0]->name;
        return 1;
    }
    return 0;
}

/* Every container of the service, as Compose finds those a link names: asked of the engine. */
static int list_containers(const char *service, struct strvec *names, void *ud,
                           struct ds_error *err)
{
    struct lookup_ctx *ctx = ud;
    struct strvec filter = STRVEC_INIT;
    struct engine_container_list list;
    int rc;

    strvec_pushf(&filter, "%s=%s", LABEL_PROJECT, ctx->v->r->p->name);
    strvec_pushf(&filter, "%s=%s", LABEL_SERVICE, service);
    strvec_pushf(&filter, "%s=False", LABEL_ONEOFF);
    rc = engine_container_list(ctx->e, &filter, true, &list, err);
    for (size_t i = 0; rc == 0 && i < list.n; i++)
        strvec_push(names, list.items[i].name);
    if (rc == 0)
        engine_container_list_release(&list);
    else
        ds_error_wrap(err, "listing the containers of service '%s'", service);
    strvec_clear(&filter);
    return rc;
}

/*
 * Create the container of action a. `in`: when recreating, what the old
 * container leaves to the new one, and `name` the temporary name the new one
 * has until the old one is gone; NULL when creating.
 */
static int create_container(struct svc *v, struct engine *e, const struct stack_action *a,
                            const struct inherited *in, const char *name, char **id_out)
{
    struct runner *r = v->r;
    const struct stack_image *img = stack_observed_image(r->o, v->s->name);
    struct engine_container_config c;
    struct strvec warnings = STRVEC_INIT, left = STRVEC_INIT;
    struct lookup_ctx ctx = {v, e};
    const struct stack_lookup lookup = {lookup_container, list_containers, &ctx};
    int rc;

    stack_container_config(r->p, v->s, a->number, img ? img->id : NULL, r->opts, &c);
    rc = stack_resolve_references(r->p, v->s, a->number, &c, &lookup, &v->err);
    if (rc < 0) {
        engine_container_config_release(&c);
        return rc;
    }
    if (name) {
        free(c.name);
        c.name = xstrdup(name);
    }
    if (in)
        stack_inherit_mounts(&c, &in->old, &in->image_volumes, r->opts->renew_anon_volumes, &left);
    for (size_t i = 0; i < left.n; i++) {
        struct buf msg = BUF_INIT;
        const char *space = strchr(left.v[i], ' ');
        int len = (int)(space - left.v[i]);

        /* left as Compose leaves it, but not silently: its data may be wanted */
        buf_addf(&msg,
                 "the old container's anonymous volume at '%s' is no longer mounted; it is kept as "
                 "'%.*s' ('docker volume rm %.*s' deletes it)",
                 space + 1, len, left.v[i], len, left.v[i]);
        stack_emit(r->ao, EV_WARNING, v->s->name, a->target, msg.buf, 0);
        buf_release(&msg);
    }
    strvec_clear(&left);
    rc = engine_container_create(e, &c, id_out, &warnings, &v->err);
    for (size_t i = 0; i < warnings.n; i++)
        stack_emit(r->ao, EV_WARNING, v->s->name, a->target, warnings.v[i], 0);
    strvec_clear(&warnings);
    engine_container_config_release(&c);
    if (rc < 0) {
        stack_explain_engine_error(e, v->s->name, a->target, r->p->name, &v->err);
        return rc;
    }
    rc = stack_copy_file_refs(e, r->p, v->s, *id_out, &warnings, &v->err);
    for (size_t i = 0; i < warnings.n; i++)
        stack_emit(r->ao, EV_WARNING, v->s->name, a->target, warnings.v[i], 0);
    strvec_clear(&warnings);
    if (rc < 0) {
        /* a container without its secrets must not be started later by mistake */
        engine_container_remove(e, *id_out, true, true, NULL);
        free(*id_out);
        *id_out = NULL;
    }
    return rc;
}

/* Start the container (unless --no-start); since: when its action began. */
static int start_container(struct svc *v, struct engine *e, const struct stack_action *a,
                           const char *id, double since)
{
    struct runner *r = v->r;
    int rc;

    if (r->opts->no_start)
        return 0;
    stack_emit(r->ao, EV_STARTING, v->s->name, a->target, NULL, 0);
    rc = engine_container_start(e, id, &v->err);
    if (rc < 0) {
        stack_explain_engine_error(e, v->s->name, a->target, r->p->name, &v->err);
        return rc;
    }
    rc = stack_run_hooks(e, v->s, "post_start", v->s->ext->post_start, v->s->ext->n_post_start, id,
                         a->target, r->ao, &v->err);
    if (rc < 0)
        return rc;
    stack_emit(r->ao, EV_STARTED, v->s->name, a->target, NULL, since);
    return 0;
}

static int stop_timeout(const struct runner *r, const struct compose_service *s)
{
    if (r->ao->stop_timeout >= 0)
        return r->ao->stop_timeout;
    return s->stop_grace_period >= 0 ? (int)(s->stop_grace_period / NS_PER_SEC) : -1;
}

/*
 * Replace the container of a as Compose does: the new one is created beside
 * it under the name <old id:12>_<name>, with the old one's anonymous volumes;
 * then the old one is stopped and removed (not its volumes) and the new one
 * renamed. A create that fails leaves the old container as it was, running.
 * A temporary container left by an interrupted recreate is removed first.
 */
static int recreate(struct svc *v, struct engine *e, const struct stack_action *a, char **id)
{
    struct runner *r = v->r;
    struct inherited in;
    struct buf tmp = BUF_INIT;
    int rc;

    rc = read_inherited(v, e, a, &in);
    if (rc < 0)
        return rc;
    buf_addf(&tmp, "%.12s_%s", a->container, a->target);
    rc = create_container(v, e, a, &in, tmp.buf, id);
    if (rc == DS_ECONFLICT && engine_container_remove(e, tmp.buf, true, false, NULL) == 0) {
        ds_error_release(&v->err);
        rc = create_container(v, e, a, &in, tmp.buf, id);
    }
    inherited_release(&in);
    if (rc < 0)
        goto done;
    rc = stack_run_hooks(e, v->s, "pre_stop", v->s->ext->pre_stop, v->s->ext->n_pre_stop,
                         a->container, a->target, r->ao, &v->err);
    if (rc == DS_ENOTFOUND || rc == DS_ECONFLICT) { /* not running: nothing to run it in */
        ds_error_release(&v->err);
        rc = 0;
    }
    if (rc == 0)
        rc = engine_container_stop(e, a->container, stop_timeout(r, v->s), &v->err);
    /* not its volumes: the new container has taken its anonymous ones over */
    if (rc == 0 || rc == DS_ENOTFOUND) {
        ds_error_release(&v->err);
        rc = engine_container_remove(e, a->container, true, false, &v->err);
    }
    if (rc == DS_ENOTFOUND) {
        ds_error_release(&v->err);
        rc = 0;
    }
    if (rc < 0) {
        /* the old container stays; the next up tries again */
        engine_container_remove(e, *id, true, false, NULL);
        free(*id);
        *id = NULL;
        goto done;
    }
    rc = engine_container_rename(e, *id, a->target, &v->err);
    /* a rename that fails keeps the new container: the next up recreates it under its name */

done:
    buf_release(&tmp);
    return rc;
}

static int act(struct svc *v, struct engine *e, const struct stack_action *a, char **id)
{
    struct runner *r = v->r;
    double since = clock_seconds();
    int rc = 0;

    switch (a->kind) {
    case ACT_CREATE:
        stack_emit(r->ao, EV_CREATING, v->s->name, a->target, NULL, 0);
        rc = create_container(v, e, a, NULL, NULL, id);
        if (rc == 0) {
            stack_emit(r->ao, EV_CREATED, v->s->name, a->target, NULL, since);
            rc = start_container(v, e, a, *id, since);
        }
        return rc;
    case ACT_RECREATE:
        stack_emit(r->ao, EV_RECREATING, v->s->name, a->target, a->reason, 0);
        rc = recreate(v, e, a, id);
        if (rc == 0) {
            stack_emit(r->ao, EV_CREATED, v->s->name, a->target, NULL, since);
            rc = start_container(v, e, a, *id, since);
        }
        return rc;
    case ACT_START:
        *id = xstrdup(a->container);
        if (r->opts->no_start)
            return 0;
        stack_emit(r->ao, EV_STARTING, v->s->name, a->target, NULL, 0);
        rc = engine_container_start(e, a->container, &v->err);
        if (rc < 0) {
            stack_explain_engine_error(e, v->s->name, a->target, r->p->name, &v->err);
            return rc;
        }
        rc = stack_run_hooks(e, v->s, "post_start", v->s->ext->post_start, v->s->ext->n_post_start,
                             a->container, a->target, r->ao, &v->err);
        if (rc < 0)
            return rc;
        stack_emit(r->ao, EV_STARTED, v->s->name, a->target, NULL, since);
        return 0;
    case ACT_RESTART:
        *id = xstrdup(a->container);
        stack_emit(r->ao, EV_STOPPING, v->s->name, a->target, a->reason, 0);
        rc = engine_container_restart(e, a->container, stop_timeout(r, v->s), &v->err);
        /* started again: its post_start hooks run again, as Compose runs them */
        if (rc == 0)
            rc = stack_run_hooks(e, v->s, "post_start", v->s->ext->post_start,
                                 v->s->ext->n_post_start, a->container, a->target, r->ao, &v->err);
        if (rc == 0)
            stack_emit(r->ao, EV_STARTED, v->s->name, a->target, NULL, since);
        return rc;
    default:
        return 0;
    }
}

static void *run_service(void *arg)
{
    struct svc *v = arg;
    struct runner *r = v->r;
    struct engine *e = NULL;
    const struct stack_container *existing[64];
    size_t n_existing = stack_containers_of(r->o, v->s->name, existing, 64);
    bool acted = false;
    int rc;

    rc = engine_clone(&e, r->e, &v->err);
    if (rc == 0)
        rc = wait_dependencies(v, e);
    if (rc == 0) {
        acquire_slot(r);
        for (size_t i = 0; i < r->plan->n && rc == 0; i++) {
            const struct stack_action *a = &r->plan->actions[i];
            char *id = NULL;

            if (!a->service || strcmp(a->service, v->s->name) || a->kind < ACT_CREATE ||
                a->kind > ACT_RESTART)
                continue;
            if (cancelled(r->ao)) {
                rc = ds_error_set(&v->err, DS_EINTR, "interrupted");
                break;
            }
            acted = true;
            rc = act(v, e, a, &id);
            if (rc == 0 && a->number == 1 && id) {
                v->container_id = id;
                v->container_name = xstrdup(a->target);
                id = NULL;
            }
            free(id);
        }
        release_slot(r);
    }
    /* nothing to do: it runs already; dependents look at that container */
    if (rc == 0 && !v->container_id && n_existing) {
        v->container_id = xstrdup(existing[0]->id);
        v->container_name = xstrdup(existing[0]->name);
        if (!acted)
            stack_emit(r->ao, EV_RUNNING, v->s->name, existing[0]->name, NULL, 0);
    }
    if (rc < 0 && v->err.code != DS_EINTR)
        stack_emit(r->ao, EV_ERROR, v->s->name, v->container_name, v->err.msg, 0);
    engine_free(e);
    finish(v, rc < 0 ? SVC_FAILED : SVC_DONE);
    return NULL;
}

/* --wait: every service running, and healthy where it has a healthcheck. */
static int wait_ready(struct runner *r, struct ds_error *err)
{
    double deadline = r->ao->wait_timeout > 0 ? clock_seconds() + r->ao->wait_timeout : 0;

    for (size_t i = 0; i < r->n; i++) {
        struct svc *v = &r->svcs[i];
        bool awaited_once = false;

        if (!v->container_id)
            continue;
        /* a one-shot that others wait on to complete is done when it exits 0 */
        for (size_t k = 0; k < r->n; k++)
            for (size_t d = 0; d < r->svcs[k].s->n_depends_on; d++)
                if (!strcmp(r->svcs[k].s->depends_on[d].service, v->s->name) &&
                    !strcmp(r->svcs[k].s->depends_on[d].condition,
                            "service_completed_successfully"))
                    awaited_once = true;
        for (;;) {
            struct engine_container_info info;
            bool ready;

            if (cancelled(r->ao))
                return ds_error_set(err, DS_EINTR, "interrupted");
            if (engine_container_inspect(r->e, v->container_id, &info, err) < 0)
                return ds_error_wrap(err, "waiting for service '%s'", v->s->name);
            if (awaited_once && !info.running) {
                int code = info.exit_code;

                engine_container_info_release(&info);
                if (code == 0)
                    break;
                return ds_error_set(err, DS_ERR, "service '%s' exited (%d)", v->s->name, code);
            }
            if (!info.running && !info.restarting) {
                int code = info.exit_code;

                engine_container_info_release(&info);
                ds_error_set(err, DS_ERR, "container %s (service '%s') exited (%d)",
                             v->container_name, v->s->name, code);
                {
                    char *tail = stack_log_tail(r->e, v->container_id, v->container_name, 20);
                    ds_error_hint(err, "%s", tail);
                    free(tail);
                }
                return DS_ERR;
            }
            stack_health_run_overdue(r->e, v->container_id, &info);
            if (info.health && !strcmp(info.health, "unhealthy")) {
                engine_container_info_release(&info);
                return ds_error_set(err, DS_ERR, "container %s (service '%s') is unhealthy",
                                    v->container_name, v->s->name);
            }
            ready = !info.health || !strcmp(info.health, "healthy");
            engine_container_info_release(&info);
            if (ready)
                break;
            if (deadline && clock_seconds() > deadline)
                return ds_error_set(err, DS_ETIMEDOUT,
                                    "service '%s' did not become healthy within %d s", v->s->name,
                                    r->ao->wait_timeout);
            clock_sleep_ms(POLL_MS);
        }
        if (v->s->healthcheck && !v->s->healthcheck->disable)
            stack_emit(r->ao, EV_HEALTHY, v->s->name, v->container_name, NULL, 0);
    }
    return 0;
}

int stack_apply(struct engine *e, const struct compose_project *p, const struct stack_observed *o,
                const struct stack_plan *plan, const struct stack_options *opts,
                const struct stack_apply_options *ao, struct ds_error *err)
{
    struct runner r = {.e = e, .p = p, .o = o, .plan = plan, .opts = opts, .ao = ao};
    int rc;

    rc = setup(&r, err);
    if (rc < 0)
        return rc;

    r.slots = ao->parallel > 0 ? ao->parallel : 4;
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.changed, NULL);
    r.svcs = xcalloc(plan->services.n + 1, sizeof(*r.svcs));
    for (size_t i = 0; i < plan->services.n; i++) {
        r.svcs[r.n].s = compose_find_service(p, plan->services.v[i]);
        r.svcs[r.n].r = &r;
        r.n++;
    }
    for (size_t i = 0; i < r.n; i++)
        pthread_create(&r.svcs[i].thread, NULL, run_service, &r.svcs[i]);
    for (size_t i = 0; i < r.n; i++)
        pthread_join(r.svcs[i].thread, NULL);

    /* the first failure in start order is the one to report */
    for (size_t i = 0; i < r.n && rc == 0; i++) {
        if (r.svcs[i].state != SVC_FAILED)
            continue;
        rc = r.svcs[i].err.code ? r.svcs[i].err.code : DS_ERR;
        ds_error_set(err, rc, "%s", r.svcs[i].err.msg ? r.svcs[i].err.msg : "failed");
        if (r.svcs[i].err.hint)
            ds_error_hint(err, "%s", r.svcs[i].err.hint);
    }
    if (rc == 0 && ao->wait && !opts->no_start)
        rc = wait_ready(&r, err);

    for (size_t i = 0; i < r.n; i++) {
        free(r.svcs[i].container_id);
        free(r.svcs[i].container_name);
        ds_error_release(&r.svcs[i].err);
    }
    free(r.svcs);
    pthread_mutex_destroy(&r.lock);
    pthread_cond_destroy(&r.changed);
    return rc;
}
