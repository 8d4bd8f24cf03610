/* kill, rm, pause, unpause, port and wait: the project's containers one by one. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "stack/control.h"
#include "stack/internal.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/banned.h"

int stack_select(struct engine *e, const struct compose_project *p, const struct strvec *services,
                 unsigned flags, struct stack_container_list *out, struct ds_error *err)
{
    unsigned list = 0;
    size_t kept = 0;
    int rc;

    if (flags & STACK_SELECT_ALL)
        list |= STACK_LIST_ALL;
    if (flags & STACK_SELECT_ONEOFF)
        list |= STACK_LIST_ONEOFF;
    rc = stack_list_containers(e, p->name, list, out, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < out->n; i++) {
        struct stack_container *c = &out->items[i];
        bool wanted = (!services || !services->n || strvec_contains(services, c->service)) &&
                      ((flags & STACK_SELECT_ORPHANS) || compose_find_service(p, c->service));

        if (!wanted) {
            stack_container_release(c);
            continue;
        }
        if (kept != i)
            out->items[kept] = *c;
        kept++;
    }
    out->n = kept;
    return 0;
}

/* ---- one operation on many containers, at once ------------------------------------ */

typedef int (*container_op)(struct engine *e, const struct stack_container *c, const void *arg,
                            struct ds_error *err);

struct job {
    struct engine *base;
    const struct stack_container *c;
    container_op op;
    const void *arg;
    const struct stack_apply_options *ao;
    enum stack_event_kind before, after; /* EV_ERROR: none */
    struct ds_error err;
    int rc;
    pthread_t thread;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    struct engine *e = NULL;
    double since = clock_seconds();

    j->rc = engine_clone(&e, j->base, &j->err);
    if (j->rc == 0 && j->before != EV_ERROR)
        stack_emit(j->ao, j->before, j->c->service, j->c->name, NULL, 0);
    if (j->rc == 0)
        j->rc = j->op(e, j->c, j->arg, &j->err);
    if (j->rc == 0 && j->after != EV_ERROR)
        stack_emit(j->ao, j->after, j->c->service, j->c->name, NULL, since);
    engine_free(e);
    return NULL;
}

/* Run op on each container of `l` in a thread of its own; the first failure names its container.
 */
static int each_container(struct engine *e, const struct stack_container_list *l, container_op op,
                          const void *arg, enum stack_event_kind before,
                          enum stack_event_kind after, const struct stack_apply_options *ao,
                          struct ds_error *err)
{
    struct job *jobs = xcalloc(l->n + 1, sizeof(*jobs));
    int rc = 0;

    for (size_t i = 0; i < l->n; i++) {
        jobs[i] = (struct job){.base = e,
                               .c = &l->items[i],
                               .op = op,
                               .arg = arg,
                               .ao = ao,
                               .before = before,
                               .after = after,
                               .err = DS_ERROR_INIT};
        pthread_create(&jobs[i].thread, NULL, run_job, &jobs[i]);
    }
    for (size_t i = 0; i < l->n; i++)
        pthread_join(jobs[i].thread, NULL);
    for (size_t i = 0; i < l->n; i++) {
        if (jobs[i].rc < 0 && rc == 0) {
            rc = ds_error_set(err, jobs[i].rc, "%s: %s", jobs[i].c->name,
                              jobs[i].err.msg ? jobs[i].err.msg : "failed");
            if (jobs[i].err.hint)
                ds_error_hint(err, "%s", jobs[i].err.hint);
        }
        ds_error_release(&jobs[i].err);
    }
    free(jobs);
    return rc;
}

/* ---- kill, pause, unpause, rm ----------------------------------------------------- */

static int kill_one(struct engine *e, const struct stack_container *c, const void *signal,
                    struct ds_error *err)
{
    return engine_container_kill(e, c->id, signal, err);
}

int stack_kill(struct engine *e, const struct compose_project *p, const struct strvec *services,
               const char *signal, bool orphans, const struct stack_apply_options *ao, size_t *n,
               struct ds_error *err)
{
    struct stack_container_list l = {0};
    int rc;

    rc = stack_select(e, p, services, STACK_SELECT_ONEOFF | (orphans ? STACK_SELECT_ORPHANS : 0),
                      &l, err);
    if (rc == 0)
        rc = each_container(e, &l, kill_one, signal ? signal : "SIGKILL", EV_KILLING, EV_KILLED, ao,
                            err);
    *n = l.n;
    stack_container_list_release(&l);
    return rc;
}

static int pause_one(struct engine *e, const struct stack_container *c, const void *arg,
                     struct ds_error *err)
{
    (void)arg;
    return engine_container_pause(e, c->id, err);
}

static int unpause_one(struct engine *e, const struct stack_container *c, const void *arg,
                       struct ds_error *err)
{
    (void)arg;
    return engine_container_unpause(e, c->id, err);
}

int stack_pause(struct engine *e, const struct compose_project *p, const struct strvec *services,
                bool unpause, const struct stack_apply_options *ao, size_t *n, struct ds_error *err)
{
    struct stack_container_list l = {0};
    int rc = stack_select(e, p, services, 0, &l, err);

    if (rc == 0)
        rc = each_container(e, &l, unpause ? unpause_one : pause_one, NULL, EV_ERROR,
                            unpause ? EV_UNPAUSED : EV_PAUSED, ao, err);
    *n = l.n;
    stack_container_list_release(&l);
    return rc;
}

int stack_removable(struct engine *e, const struct compose_project *p,
                    const struct strvec *services, struct stack_container_list *out,
                    struct ds_error *err)
{
    size_t kept = 0;
    int rc = stack_select(e, p, services, STACK_SELECT_ALL, out, err);

    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        struct stack_container *c = &out->items[i];
        struct engine_container_info info;
        bool stopped = false;

        /* the list may be a moment old: the state is asked again */
        rc = engine_container_inspect(e, c->id, &info, err);
        if (rc == DS_ENOTFOUND) {
            ds_error_release(err);
            rc = 0;
        } else if (rc == 0) {
            stopped = !info.running;
            engine_container_info_release(&info);
        }
        if (!stopped) {
            stack_container_release(c);
            continue;
        }
        if (kept != i)
            out->items[kept] = *c;
        kept++;
    }
    if (rc < 0) {
        for (size_t i = kept; i < out->n; i++)
            stack_container_release(&out->items[i]);
    }
    out->n = kept;
    return rc;
}

struct remove_arg {
    const struct compose_project *p;
    bool volumes;
};

static int remove_one(struct engine *e, const struct stack_container *c, const void *arg,
                      struct ds_error *err)
{
    const struct remove_arg *r = arg;
    int rc = stack_remove_container(e, c->id, r->volumes, r->p, err);

    if (rc == DS_ENOTFOUND) { /* gone meanwhile: what was wanted */
        ds_error_release(err);
        rc = 0;
    }
    return rc;
}

int stack_remove_containers(struct engine *e, const struct compose_project *p,
                            const struct stack_container_list *l, bool volumes,
                            const struct stack_apply_options *ao, struct ds_error *err)
{
    struct remove_arg r = {p, volumes};

    return each_container(e, l, remove_one, &r, EV_REMOVING, EV_REMOVED, ao, err);
}

/* ---- attach ------------------------------------------------------------------- */

struct attached {
    const struct stack_attach *a;
    struct engine *e;
    const char *id;
};

static int attached_output(int stream, const char *data, size_t len, void *ud)
{
    struct attached *at = ud;

    return at->a->out(stream, data, len, at->a->ud);
}

/* The container's process decides what the signal means. */
static void pass_signal(void *ud)
{
    struct attached *at = ud;
    struct ds_error err = DS_ERROR_INIT;
    int sig = *at->a->signal;

    engine_container_kill(at->e, at->id,
                          sig == SIGINT    ? "SIGINT"
                          : sig == SIGTERM ? "SIGTERM"
                                           : "SIGHUP",
                          &err);
    ds_error_release(&err);
}

static void resize_tty(void *ud)
{
    struct attached *at = ud;
    struct ds_error err = DS_ERROR_INIT;
    int height = 0, width = 0;

    if (at->a->size(at->a->ud, &height, &width) == 0 && height > 0 && width > 0)
        engine_container_resize(at->e, at->id, height, width, &err);
    ds_error_release(&err);
}

int stack_attach(struct engine *e, const struct compose_project *p, const struct stack_attach *a,
                 struct stack_attach_result *res, struct ds_error *err)
{
    struct stack_container_list l = {0};
    struct engine_container_info info = {0};
    const struct stack_container *c;
    struct attached at = {.a = a, .e = e};
    struct engine_wait *exited = NULL;
    bool proxy;
    int rc;

    memset(res, 0, sizeof(*res));
    rc = stack_list_containers(e, p->name, 0, &l, err);
    if (rc < 0)
        return rc;
    if (!(c = stack_pick(&l, a->service, a->index, err))) {
        rc = err->code;
        goto done;
    }
    at.id = c->id;
    rc = engine_container_inspect(e, c->id, &info, err);
    if (rc < 0)
        goto done;
    res->tty = info.tty && a->local_terminal && a->in_fd >= 0;
    proxy = a->sig_proxy && !res->tty && a->signal;
    if (res->tty && a->on_tty && (rc = a->on_tty(a->ud, err)) < 0)
        goto done;
    /*
     * Without stdin no detach keys can end the output: only the container's
     * stop does, and an engine may list it as running a moment longer
     * (Podman). Its exit is waited for, asked before attaching, as the docker
     * CLI does, so that a restart policy's next start cannot hide it.
     */
    if (a->in_fd < 0 && (rc = engine_container_wait_begin(e, c->id, "next-exit", &exited, err)) < 0)
        goto done;
    {
        struct engine_attach ea = {
                .tty = info.tty,
                .in_fd = a->in_fd,
                .out = attached_output,
                .ud = &at,
                .winch = res->tty && a->size ? a->winch : NULL,
                .on_winch = res->tty && a->size ? resize_tty : NULL,
                /* with a TTY the keys are bytes for the container; without, a signal is ours */
                .cancel = proxy ? a->stop : a->signal,
                .notice = proxy ? a->signal : NULL,
                .on_notice = proxy ? pass_signal : NULL,
        };

        rc = engine_container_attach(e, c->id, a->detach_keys, &ea, err);
    }
    if (rc < 0)
        goto done;
    /* the output ended: the container stopped (its exit code), or the detach keys */
    engine_container_info_release(&info);
    if (engine_container_inspect(e, at.id, &info, err) == 0 && !info.running) {
        res->stopped = true;
        res->exit_code = info.exit_code;
    } else if (exited) {
        ds_error_release(err);
        rc = engine_container_wait_end(exited, a->stop, &res->exit_code, err);
        if (rc < 0)
            goto done;
        res->stopped = true;
    }
    ds_error_release(err);

done:
    engine_wait_free(exited);
    engine_container_info_release(&info);
    stack_container_list_release(&l);
    return rc;
}

/* ---- port ------------------------------------------------------------------------ */

const struct stack_container *stack_pick(const struct stack_container_list *l, const char *service,
                                         int index, struct ds_error *err)
{
    const struct stack_container *found = NULL;

    for (size_t i = 0; i < l->n; i++) {
        const struct stack_container *c = &l->items[i];

        if (c->oneoff || strcmp(c->service, service))
            continue;
        if (index > 0 ? c->number == index : !found || c->number < found->number)
            found = c;
    }
    if (!found && index > 0)
        ds_error_set(err, DS_ENOTFOUND, "service '%s' has no running container number %d", service,
                     index);
    else if (!found)
        ds_error_set(err, DS_ENOTFOUND, "service '%s' is not running", service);
    if (!found)
        ds_error_hint(err, "start it with 'devstack up -d %s'", service);
    return found;
}

int stack_port(struct engine *e, const struct compose_project *p, const char *service, int index,
               int port, const char *protocol, char **host_ip, int *host_port, struct ds_error *err)
{
    struct stack_container_list l = {0};
    const struct stack_container *c;
    struct strvec published = STRVEC_INIT;
    struct buf ports = BUF_INIT;
    int rc;

    *host_ip = NULL;
    *host_port = 0;
    rc = stack_list_containers(e, p->name, 0, &l, err);
    if (rc < 0)
        return rc;
    c = stack_pick(&l, service, index, err);
    if (!c) {
        rc = err->code;
        goto done;
    }
    for (size_t i = 0; i < c->n_ports; i++) {
        const struct engine_published_port *pp = &c->ports[i];
        const char *proto = pp->protocol ? pp->protocol : "tcp";

        if (pp->target == port && !strcmp(proto, protocol)) {
            *host_ip = xstrdup(pp->host_ip ? pp->host_ip : "");
            *host_port = pp->host_port;
            goto done;
        }
        buf_reset(&ports);
        buf_addf(&ports, "%05d/%s", pp->target, proto);
        if (!strvec_contains(&published, ports.buf))
            strvec_push(&published, ports.buf);
    }
    /* the engine's order is a map's: by port, each once (IPv4 and IPv6 bindings are one) */
    strvec_sort(&published);
    buf_reset(&ports);
    for (size_t i = 0; i < published.n; i++) {
        const char *text = published.v[i];

        text += strspn(text, "0");
        buf_addf(&ports, "%s%s", i ? ", " : "", text);
    }
    rc = ds_error_set(err, DS_ENOTFOUND, "no port %d/%s for container %s: %s", port, protocol,
                      c->name, ports.len ? ports.buf : "none is published");

done:
    buf_release(&ports);
    strvec_clear(&published);
    stack_container_list_release(&l);
    return rc;
}

/* ---- wait ------------------------------------------------------------------------ */

struct waiter {
    struct engine *base;
    const struct stack_container *c;
    volatile sig_atomic_t *done; /* set by the first to see its container stop */
    pthread_mutex_t *lock;
    const struct stack_container **first;
    int exit_code;
    struct ds_error err;
    int rc;
    pthread_t thread;
};

static void *wait_one(void *arg)
{
    struct waiter *w = arg;
    struct engine *e = NULL;

    w->rc = engine_clone(&e, w->base, &w->err);
    if (w->rc == 0) {
        engine_set_cancel_flag(e, w->done);
        w->rc = engine_container_wait(e, w->c->id, "not-running", &w->exit_code, &w->err);
    }
    pthread_mutex_lock(w->lock);
    if (!*w->first && (w->rc == 0 || !*w->done)) {
        *w->first = w->c;
        *w->done = 1;
    }
    pthread_mutex_unlock(w->lock);
    engine_free(e);
    return NULL;
}

int stack_wait_first(struct engine *e, const struct compose_project *p,
                     const struct strvec *services, volatile sig_atomic_t *cancel, char **id,
                     int *exit_code, struct ds_error *err)
{
    struct stack_container_list l = {0};
    struct waiter *ws = NULL;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    const struct stack_container *first = NULL;
    volatile sig_atomic_t done = 0;
    int rc;

    *id = NULL;
    *exit_code = 0;
    rc = stack_select(e, p, services, STACK_SELECT_ONEOFF, &l, err);
    if (rc < 0)
        return rc;
    if (!l.n) {
        rc = ds_error_set(err, DS_ENOTFOUND, "no running containers for project '%s'%s", p->name,
                          services && services->n ? " of those services" : "");
        ds_error_hint(err, "start them with 'devstack up -d'");
        goto done;
    }
    ws = xcalloc(l.n, sizeof(*ws));
    for (size_t i = 0; i < l.n; i++) {
        ws[i] = (struct waiter){.base = e,
                                .c = &l.items[i],
                                .done = &done,
                                .lock = &lock,
                                .first = &first,
                                .err = DS_ERROR_INIT};
        pthread_create(&ws[i].thread, NULL, wait_one, &ws[i]);
    }
    while (!done) {
        if (cancel && *cancel)
            done = 1;
        else
            clock_sleep_ms(50);
    }
    for (size_t i = 0; i < l.n; i++)
        pthread_join(ws[i].thread, NULL);
    for (size_t i = 0; i < l.n; i++) {
        if (&l.items[i] != first)
            continue;
        if (ws[i].rc < 0) {
            rc = ds_error_set(err, ws[i].rc, "waiting for %s: %s", first->name,
                              ws[i].err.msg ? ws[i].err.msg : "failed");
        } else {
            *id = xstrdup(first->id);
            *exit_code = ws[i].exit_code;
        }
    }
    if (!first)
        rc = ds_error_set(err, DS_EINTR, "interrupted");
    for (size_t i = 0; i < l.n; i++)
        ds_error_release(&ws[i].err);

done:
    free(ws);
    stack_container_list_release(&l);
    return rc;
}

/* ---- images, top --------------------------------------------------------------- */

/* "docker.io/library/x:1" -> repository "x", tag "1"; a digest or no tag: tag "". */
static void split_tag(const char *ref, char **repository, char **tag)
{
    const char *colon = strrchr(ref, ':'), *slash = strrchr(ref, '/');

    if (!strncmp(ref, "docker.io/", 10))
        ref += 10;
    if (!strncmp(ref, "library/", 8))
        ref += 8;
    if (colon && (!slash || colon > slash) && colon > ref) {
        *repository = xstrndup(ref, (size_t)(colon - ref));
        *tag = xstrdup(colon + 1);
    } else {
        *repository = xstrdup(ref);
        *tag = xstrdup("");
    }
}

int stack_container_images(struct engine *e, const struct compose_project *p,
                           const struct strvec *services, struct stack_container_images *out,
                           struct ds_error *err)
{
    struct stack_container_list l = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = stack_select(e, p, services, STACK_SELECT_ALL | STACK_SELECT_ONEOFF | STACK_SELECT_ORPHANS,
                      &l, err);
    if (rc < 0)
        return rc;
    out->items = xcalloc(l.n + 1, sizeof(*out->items));
    for (size_t i = 0; i < l.n; i++) {
        const struct stack_container *c = &l.items[i];
        struct stack_container_image *img = &out->items[out->n];
        struct engine_image_info info;
        bool known = false;

        /* the same image as an earlier container's: asked once */
        for (size_t k = 0; k < out->n && !known; k++) {
            if (!strcmp(out->items[k].id, c->image_id)) {
                img->id = xstrdup(out->items[k].id);
                img->repository = xstrdup(out->items[k].repository);
                img->tag = xstrdup(out->items[k].tag);
                img->size = out->items[k].size;
                known = true;
            }
        }
        if (!known) {
            rc = engine_image_inspect(e, c->image_id, &info, err);
            if (rc == DS_ENOTFOUND) { /* removed under the container: not listed, as Compose */
                ds_error_release(err);
                rc = 0;
                continue;
            }
            if (rc < 0) {
                ds_error_wrap(err, "image of container '%s'", c->name);
                break;
            }
            img->id = xstrdup(info.id ? info.id : c->image_id);
            if (info.repo_tags.n)
                split_tag(info.repo_tags.v[0], &img->repository, &img->tag);
            else {
                img->repository = xstrdup("");
                img->tag = xstrdup("");
            }
            img->size = info.size;
            engine_image_info_release(&info);
        }
        img->container = xstrdup(c->name);
        out->n++;
    }
    stack_container_list_release(&l);
    if (rc < 0)
        stack_container_images_release(out);
    return rc;
}

void stack_container_images_release(struct stack_container_images *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].container);
        free(l->items[i].id);
        free(l->items[i].repository);
        free(l->items[i].tag);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct stack_container *)a)->name,
                  ((const struct stack_container *)b)->name);
}

int stack_top(struct engine *e, const struct compose_project *p, const struct strvec *services,
              struct stack_tops *out, struct ds_error *err)
{
    struct stack_container_list l = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = stack_select(e, p, services, STACK_SELECT_ONEOFF, &l, err);
    if (rc < 0)
        return rc;
    qsort(l.items, l.n, sizeof(*l.items), by_name);
    out->items = xcalloc(l.n + 1, sizeof(*out->items));
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        struct stack_top *t = &out->items[out->n];

        rc = engine_container_top(e, l.items[i].id, &t->top, err);
        if (rc == DS_ENOTFOUND || rc == DS_ECONFLICT) { /* stopped meanwhile */
            ds_error_release(err);
            rc = 0;
            continue;
        }
        if (rc < 0) {
            ds_error_wrap(err, "processes of '%s'", l.items[i].name);
            break;
        }
        t->container = xstrdup(l.items[i].name);
        out->n++;
    }
    stack_container_list_release(&l);
    if (rc < 0)
        stack_tops_release(out);
    return rc;
}

void stack_tops_release(struct stack_tops *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->items[i].container);
        engine_top_release(&t->items[i].top);
    }
    free(t->items);
    memset(t, 0, sizeof(*t));
}

/* ---- events ---------------------------------------------------------------------- */

struct events {
    const struct strvec *services;
    stack_event_record_fn fn;
    void *ud;
};

static int on_engine_event(const cJSON *obj, void *ud)
{
    struct events *w = ud;
    const cJSON *actor = cJSON_GetObjectItemCaseSensitive(obj, "Actor");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes"), *a;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "Type");
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(obj, "Action");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(actor, "ID");
    const cJSON *oneoff = cJSON_GetObjectItemCaseSensitive(attrs, LABEL_ONEOFF);
    const cJSON *service = cJSON_GetObjectItemCaseSensitive(attrs, LABEL_SERVICE);
    const cJSON *nano = cJSON_GetObjectItemCaseSensitive(obj, "timeNano");
    const cJSON *secs = cJSON_GetObjectItemCaseSensitive(obj, "time");
    struct stack_container_event ev = {.attributes = KVLIST_INIT};
    int rc;

    if (!cJSON_IsString(type) || strcmp(type->valuestring, "container") ||
        (cJSON_IsString(oneoff) && !strcmp(oneoff->valuestring, "True")))
        return 0;
    ev.service = cJSON_IsString(service) ? service->valuestring : "";
    if (w->services && w->services->n && !strvec_contains(w->services, ev.service))
        return 0;
    ev.id = cJSON_IsString(id) ? id->valuestring : "";
    ev.action = cJSON_IsString(action) ? action->valuestring : "";
    ev.time_ns = cJSON_IsNumber(nano) && nano->valuedouble > 0 ? (int64_t)nano->valuedouble
                 : cJSON_IsNumber(secs) ? (int64_t)secs->valuedouble * 1000000000
                                        : 0;
    cJSON_ArrayForEach(a, attrs)
    {
        if (cJSON_IsString(a) && strncmp(a->string, "com.docker.compose.", 19))
            kvlist_add(&ev.attributes, a->string, a->valuestring);
    }
    kvlist_sort(&ev.attributes);
    rc = w->fn(&ev, w->ud);
    kvlist_clear(&ev.attributes);
    return rc;
}

int stack_events(struct engine *e, const struct compose_project *p, const struct strvec *services,
                 stack_event_record_fn fn, void *ud, struct ds_error *err)
{
    struct events w = {services, fn, ud};
    cJSON *filters = cJSON_CreateObject();
    cJSON *labels = cJSON_AddArrayToObject(filters, "label");
    struct buf label = BUF_INIT;
    int rc;

    buf_addf(&label, "%s=%s", LABEL_PROJECT, p->name);
    cJSON_AddItemToArray(labels, cJSON_CreateString(label.buf));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(filters, "type"), cJSON_CreateString("container"));
    rc = engine_events(e, 0, filters, on_engine_event, &w, err);
    cJSON_Delete(filters);
    buf_release(&label);
    return rc;
}

/* ---- stats ----------------------------------------------------------------------- */

void stack_stats_compute(const struct engine_stats *s, struct stack_stats_row *row)
{
    double cpu_delta = (double)s->cpu_total - (double)s->precpu_total;
    double system_delta = (double)s->system_cpu - (double)s->presystem_cpu;

    row->cpu_percent = 0;
    if (cpu_delta > 0 && system_delta > 0)
        row->cpu_percent = cpu_delta / system_delta * (double)s->online_cpus * 100.0;
    row->mem_usage = s->mem_usage;
    if (s->has_inactive_file && s->mem_inactive_file < s->mem_usage)
        row->mem_usage = s->mem_usage - s->mem_inactive_file;
    row->mem_limit = s->mem_limit;
    row->mem_percent = s->mem_limit ? (double)row->mem_usage / (double)s->mem_limit * 100.0 : 0;
    row->net_rx = s->net_rx;
    row->net_tx = s->net_tx;
    row->blk_read = s->blk_read;
    row->blk_write = s->blk_write;
    row->pids = s->pids;
}

static int sample_one(struct engine *e, const struct stack_container *c, const void *arg,
                      struct ds_error *err)
{
    const struct stack_stats *out = arg;
    struct stack_stats_row *row = NULL;
    struct engine_stats s;
    int rc;

    for (size_t i = 0; i < out->n && !row; i++)
        if (!strcmp(out->items[i].id, c->id))
            row = &out->items[i];
    if (!row || !row->running)
        return 0;
    rc = engine_container_stats(e, c->id, &s, err);
    if (rc == DS_ENOTFOUND || rc == DS_ECONFLICT) { /* gone or stopped meanwhile */
        ds_error_release(err);
        row->running = false;
        return 0;
    }
    if (rc == 0)
        stack_stats_compute(&s, row);
    return rc;
}

int stack_stats(struct engine *e, const struct compose_project *p, const struct strvec *services,
                bool all, struct stack_stats *out, struct ds_error *err)
{
    struct stack_container_list l = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = stack_select(e, p, services, STACK_SELECT_ONEOFF | (all ? STACK_SELECT_ALL : 0), &l, err);
    if (rc < 0)
        return rc;
    out->items = xcalloc(l.n + 1, sizeof(*out->items));
    for (size_t i = 0; i < l.n; i++) {
        out->items[i].id = xstrdup(l.items[i].id);
        out->items[i].name = xstrdup(l.items[i].name);
        out->items[i].running =
                !strcmp(l.items[i].state, "running") || !strcmp(l.items[i].state, "paused");
    }
    out->n = l.n;
    /* each row is written by its own thread only */
    rc = each_container(e, &l, sample_one, out, EV_ERROR, EV_ERROR, NULL, err);
    stack_container_list_release(&l);
    if (rc < 0)
        stack_stats_release(out);
    return rc;
}

void stack_stats_release(struct stack_stats *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].id);
        free(s->items[i].name);
    }
    free(s->items);
    memset(s, 0, sizeof(*s));
}
