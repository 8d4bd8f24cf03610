/*
 * Following the output of several containers at once, as whole lines; with
 * a project to watch, also the containers that start while we follow.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stack/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/term.h"
#include "util/banned.h"

/* ---- lines ------------------------------------------------------------------ */

void stack_lines_init(struct stack_lines *l)
{
    lines_init(&l->stream[0], 0);
    lines_init(&l->stream[1], 0);
}

void stack_lines_release(struct stack_lines *l)
{
    lines_release(&l->stream[0]);
    lines_release(&l->stream[1]);
}

struct line_sink {
    int stream;
    stack_line_fn fn;
    void *ud;
};

static int on_piece(const char *line, size_t len, bool split, void *ud)
{
    struct line_sink *s = ud;

    (void)split;
    s->fn(s->stream, line, len, s->ud);
    return 0;
}

void stack_lines_feed(struct stack_lines *l, int stream, const char *data, size_t len,
                      stack_line_fn fn, void *ud)
{
    struct line_sink s = {stream == 2 ? 2 : 1, fn, ud};

    lines_feed(&l->stream[s.stream - 1], data, len, on_piece, &s);
}

void stack_lines_flush(struct stack_lines *l, stack_line_fn fn, void *ud)
{
    for (int i = 0; i < 2; i++) {
        struct line_sink s = {i + 1, fn, ud};

        lines_flush(&l->stream[i], on_piece, &s);
    }
}

void stack_log_format(struct buf *out, const char *service, size_t width, const char *color,
                      bool prefix, const char *line, size_t len)
{
    if (prefix) {
        size_t n = strlen(service);

        if (color)
            buf_adds(out, color);
        buf_adds(out, service);
        for (; n < width; n++)
            buf_addch(out, ' ');
        buf_adds(out, " |");
        if (color)
            buf_adds(out, TERM_RESET);
        buf_addch(out, ' ');
    }
    buf_add(out, line, len);
    buf_addch(out, '\n');
}

/* ---- followers ------------------------------------------------------------- */

struct follower {
    struct follower *next;
    struct logs *logs;
    struct stack_log_source src; /* strings owned here */
    char *service, *container, *name;
    bool from_event; /* started while we followed: all its output since `since` */
    int64_t since, since_ns;
    int64_t again_since, again_ns; /* it started again while we read: read on from then */
    struct stack_lines lines;
    struct ds_error err;
    int rc;
    bool done;
    pthread_t thread;
};

struct logs {
    struct engine *base;
    const struct stack_logs_options *o;
    stack_log_line_fn fn;
    void *ud;
    pthread_mutex_t lock; /* the list, and calls of fn */
    struct follower *followers;
};

static void on_line(int stream, const char *line, size_t len, void *ud)
{
    struct follower *f = ud;

    pthread_mutex_lock(&f->logs->lock);
    f->logs->fn(&f->src, stream, line, len, f->logs->ud);
    pthread_mutex_unlock(&f->logs->lock);
}

static int on_output(int stream, const char *data, size_t len, void *ud)
{
    struct follower *f = ud;

    stack_lines_feed(&f->lines, stream, data, len, on_line, f);
    return 0;
}

static void *follow(void *arg)
{
    struct follower *f = arg;
    const struct stack_logs_options *o = f->logs->o;
    struct engine *e = NULL;
    struct engine_logs_opts lo = {
            .follow = o->follow,
            .timestamps = o->timestamps,
            .tail = f->from_event ? NULL : o->tail,
            .since = f->from_event ? f->since : o->since,
            .since_ns = f->from_event ? f->since_ns : 0,
            .until = o->until,
            .tty = f->src.tty,
    };

    f->rc = engine_clone(&e, f->logs->base, &f->err);
    if (f->rc == 0)
        engine_set_cancel_flag(e, o->cancel);
    while (f->rc == 0) {
        f->rc = engine_container_logs(e, f->src.container, &lo, on_output, f, &f->err);
        stack_lines_flush(&f->lines, on_line, f);
        pthread_mutex_lock(&f->logs->lock);
        if (f->rc == 0 && f->again_since) {
            /* restarted while we read (a stop ends a follow): its new run from its start */
            lo.since = f->again_since;
            lo.since_ns = f->again_ns;
            lo.tail = NULL;
            /* a restart without a past end would read the whole log again: skip that */
            if (!lo.since)
                lo.since = time(NULL);
            f->again_since = 0;
            pthread_mutex_unlock(&f->logs->lock);
            continue;
        }
        f->done = true;
        pthread_mutex_unlock(&f->logs->lock);
        break;
    }
    if (f->rc < 0) {
        pthread_mutex_lock(&f->logs->lock);
        f->done = true;
        pthread_mutex_unlock(&f->logs->lock);
    } else if (o->follow && o->on_exit) {
        struct ds_error werr = DS_ERROR_INIT;
        int code = -1;

        /* the stream can end a moment before the engine records the exit */
        if (engine_container_wait(e, f->src.container, "not-running", &code, &werr) < 0)
            code = -1;
        ds_error_release(&werr);
        pthread_mutex_lock(&f->logs->lock);
        o->on_exit(&f->src, code, f->logs->ud);
        pthread_mutex_unlock(&f->logs->lock);
    }
    engine_free(e);
    return NULL;
}

/* Start following a container (the list's lock held by the caller, or no thread yet). */
static void start_follower(struct logs *l, const char *service, const char *container,
                           const char *name, bool tty, bool from_event, int64_t since,
                           int64_t since_ns)
{
    struct follower *f = xcalloc(1, sizeof(*f));

    f->logs = l;
    f->service = xstrdup(service);
    f->container = xstrdup(container);
    f->name = xstrdup(name);
    f->src.service = f->service;
    f->src.container = f->container;
    f->src.name = f->name;
    f->src.tty = tty;
    f->from_event = from_event;
    f->since = since;
    f->since_ns = since_ns;
    stack_lines_init(&f->lines);
    f->next = l->followers;
    l->followers = f;
    pthread_create(&f->thread, NULL, follow, f);
}

struct watch {
    struct logs *l;
    struct engine *events;  /* busy streaming the events */
    struct engine *inspect; /* a second client: a handle cannot be used from its own callback */
};

/* An event: a container of the project started; follow it unless we already do. */
static int on_event(const cJSON *ev, void *ud)
{
    struct watch *w = ud;
    struct logs *l = w->l;
    const cJSON *actor = cJSON_GetObjectItemCaseSensitive(ev, "Actor");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(actor, "ID");
    const cJSON *service = cJSON_GetObjectItemCaseSensitive(attrs, LABEL_SERVICE);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(attrs, "name");
    const cJSON *oneoff = cJSON_GetObjectItemCaseSensitive(attrs, LABEL_ONEOFF);
    int64_t when = 0, when_ns = 0;
    const struct stack_logs_options *o = l->o;
    struct engine_container_info info;
    struct ds_error err = DS_ERROR_INIT;
    bool following = false, tty = false;

    if (!cJSON_IsString(id) || !cJSON_IsString(service) || !cJSON_IsString(name))
        return 0;
    if (cJSON_IsString(oneoff) && !strcmp(oneoff->valuestring, "True"))
        return 0;
    if (o->services && o->services->n && !strvec_contains(o->services, service->valuestring))
        return 0;
    if (engine_container_inspect(w->inspect, id->valuestring, &info, &err) == 0) {
        int64_t s, ns;

        tty = info.tty;
        /*
         * This run's output is what came after the last run ended: its first
         * lines can predate both the start event and StartedAt. A container
         * that never ran before (FinishedAt in year 1) shows all of it.
         */
        if (info.finished_at && time_parse_ns(info.finished_at, &s, &ns) == 0 && s > 0) {
            when = s;
            when_ns = ns + 1;
            if (when_ns >= 1000000000) {
                when++;
                when_ns = 0;
            }
        }
        engine_container_info_release(&info);
    }
    ds_error_release(&err);
    pthread_mutex_lock(&l->lock);
    for (struct follower *f = l->followers; f; f = f->next) {
        if (!strcmp(f->container, id->valuestring) && !f->done) {
            /* still reading its last run: read on from this start when that ends */
            following = true;
            f->again_since = when;
            f->again_ns = when_ns;
        }
    }
    /* from its start: what it wrote before we noticed is part of this run */
    if (!following)
        start_follower(l, service->valuestring, id->valuestring, name->valuestring, tty, true, when,
                       when_ns);
    pthread_mutex_unlock(&l->lock);
    return 0;
}

int stack_logs(struct engine *e, const struct stack_log_source *sources, size_t n,
               const struct stack_logs_options *o, stack_log_line_fn fn, void *ud,
               struct ds_error *err)
{
    struct logs l = {.base = e, .o = o, .fn = fn, .ud = ud};
    int rc = 0;

    pthread_mutex_init(&l.lock, NULL);
    for (size_t i = 0; i < n; i++)
        start_follower(&l, sources[i].service, sources[i].container, sources[i].name,
                       sources[i].tty, false, 0, 0);

    if (o->follow && o->watch_project) {
        struct watch w = {&l, NULL, NULL};
        cJSON *filters = cJSON_CreateObject();
        struct ds_error werr = DS_ERROR_INIT;

        cJSON_AddItemToArray(cJSON_AddArrayToObject(filters, "type"),
                             cJSON_CreateString("container"));
        cJSON_AddItemToArray(cJSON_AddArrayToObject(filters, "event"), cJSON_CreateString("start"));
        {
            struct buf label = BUF_INIT;

            buf_addf(&label, "%s=%s", LABEL_PROJECT, o->watch_project);
            cJSON_AddItemToArray(cJSON_AddArrayToObject(filters, "label"),
                                 cJSON_CreateString(label.buf));
            buf_release(&label);
        }
        if (engine_clone(&w.events, e, &werr) == 0 && engine_clone(&w.inspect, e, &werr) == 0) {
            engine_set_cancel_flag(w.events, o->cancel);
            /* until Ctrl-C: new containers keep coming as long as the project lives */
            rc = engine_events(w.events, time(NULL), filters, on_event, &w, &werr);
            if (rc < 0 && rc != DS_EINTR)
                ds_error_set(err, rc, "%s", werr.msg ? werr.msg : "watching the engine failed");
        }
        ds_error_release(&werr);
        engine_free(w.events);
        engine_free(w.inspect);
        cJSON_Delete(filters);
    }

    /* no new follower can appear now: join them all */
    for (struct follower *f = l.followers; f; f = f->next)
        pthread_join(f->thread, NULL);
    while (l.followers) {
        struct follower *f = l.followers;

        /* a container removed while we read is not a failure of ours */
        if (f->rc < 0 && f->rc != DS_ENOTFOUND && f->rc != DS_EINTR && rc == 0) {
            rc = f->rc;
            ds_error_set(err, rc, "%s", f->err.msg ? f->err.msg : "reading logs failed");
        }
        l.followers = f->next;
        ds_error_release(&f->err);
        stack_lines_release(&f->lines);
        free(f->service);
        free(f->container);
        free(f->name);
        free(f);
    }
    if ((rc == 0 || rc == DS_EINTR) && o->cancel && *o->cancel)
        rc = ds_error_set(err, DS_EINTR, "interrupted");
    pthread_mutex_destroy(&l.lock);
    return rc;
}

void stack_log_sources(const struct compose_project *p, const struct stack_container_list *l,
                       const struct strvec *services, unsigned flags, struct stack_log_sources *out)
{
    bool named = services && services->n;

    memset(out, 0, sizeof(*out));
    out->items = xcalloc(l->n + 1, sizeof(*out->items));
    for (size_t i = 0; i < l->n; i++) {
        const struct stack_container *c = &l->items[i];
        const struct compose_service *s = compose_find_service(p, c->service);
        struct stack_log_source *src = &out->items[out->n];

        if (c->oneoff || (named && !strvec_contains(services, c->service)))
            continue;
        /* attach: false keeps a service out of a foreground up's output */
        if ((flags & STACK_LOGS_ENABLED) &&
            (!s || !s->enabled || (s->attach == 0 && !(flags & STACK_LOGS_DETACHED))))
            continue;
        src->service = c->service;
        src->container = c->id;
        src->name = c->name;
        src->tty = s && s->tty == 1;
        if (strlen(c->service) > out->width)
            out->width = strlen(c->service);
        out->n++;
    }
    if (flags & STACK_LOGS_ENABLED)
        return;
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];

        if ((named ? strvec_contains(services, s->name) : s->enabled) &&
            strlen(s->name) > out->width)
            out->width = strlen(s->name);
    }
}

void stack_log_sources_release(struct stack_log_sources *s)
{
    free(s->items);
    memset(s, 0, sizeof(*s));
}
