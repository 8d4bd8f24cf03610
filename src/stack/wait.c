/* Waiting on depends_on conditions, and explaining what went wrong when a wait fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/json.h"
#include "stack/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/duration.h"
#include "util/lines.h"
#include "util/strutil.h"
#include "util/banned.h"

static pthread_mutex_t emit_lock;
static pthread_once_t emit_once = PTHREAD_ONCE_INIT;

/* Nesting: a build holds it while it updates the view it then reports. */
static void emit_lock_init(void)
{
    pthread_mutexattr_t attr;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&emit_lock, &attr);
    pthread_mutexattr_destroy(&attr);
}

void stack_emit_hold(void)
{
    pthread_once(&emit_once, emit_lock_init);
    pthread_mutex_lock(&emit_lock);
}

void stack_emit_release(void)
{
    pthread_mutex_unlock(&emit_lock);
}

void stack_emit(const struct stack_apply_options *ao, enum stack_event_kind kind,
                const char *service, const char *object, const char *detail, double since)
{
    struct stack_event ev = {kind, service, object, detail, since ? clock_seconds() - since : 0,
                             NULL};

    if (!ao || !ao->on_event)
        return;
    stack_emit_hold();
    ao->on_event(&ev, ao->ud);
    stack_emit_release();
}

void stack_emit_build(const struct stack_apply_options *ao, enum stack_event_kind kind,
                      const char *service, const char *object, const struct buildkit_view *build,
                      const char *detail, double since)
{
    struct stack_event ev = {kind, service, object, detail, since ? clock_seconds() - since : 0,
                             build};

    if (!ao || !ao->on_event)
        return;
    stack_emit_hold();
    ao->on_event(&ev, ao->ud);
    stack_emit_release();
}

size_t stack_containers_of(const struct stack_observed *o, const char *service,
                           const struct stack_container **out, size_t max)
{
    size_t n = 0;

    for (int number = 1; number <= 1000 && n < max; number++) {
        bool found = false;

        for (size_t i = 0; i < o->n_containers; i++) {
            const struct stack_container *c = &o->containers[i];

            if (!c->oneoff && c->number == number && !strcmp(c->service, service)) {
                out[n++] = c;
                found = true;
                break;
            }
        }
        if (!found && number > 1)
            break;
    }
    return n;
}

/* A line of the tail on failure is for a person to read in a hint: of a longer one, its end. */
#define TAIL_LINE_MAX 1024u

/*
 * The last `n` lines of a container's output, in a ring: memory stays flat
 * whatever it wrote. Of a line longer than TAIL_LINE_MAX only the last
 * piece is kept, in the line's slot, marked as cut.
 */
struct tail {
    struct lines lines;
    struct buf *ring;
    bool *cut;
    size_t n, next, count;
    bool in_long; /* the last piece kept was the start of a line not ended yet */
};

static int keep_line(const char *line, size_t len, bool split, void *ud)
{
    struct tail *t = ud;
    bool cont = t->in_long;

    if (cont)
        t->next = (t->next + t->n - 1) % t->n; /* back to that line's slot */
    buf_reset(&t->ring[t->next]);
    buf_add(&t->ring[t->next], line, len);
    t->cut[t->next] = cont;
    t->in_long = split;
    t->next = (t->next + 1) % t->n;
    if (!cont && t->count < t->n)
        t->count++;
    return 0;
}

static int collect(int stream, const char *data, size_t len, void *ud)
{
    (void)stream;
    return lines_feed(&((struct tail *)ud)->lines, data, len, keep_line, ud);
}

char *stack_log_tail(struct engine *e, const char *id, const char *container, int lines)
{
    struct engine_container_info info;
    struct engine_logs_opts o = {0};
    struct ds_error err = DS_ERROR_INIT;
    struct tail t = {LINES_INIT, NULL, NULL, lines > 0 ? (size_t)lines : 1, 0, 0, false};
    struct buf out = BUF_INIT;
    size_t first, shown;
    char n[16];

    lines_init(&t.lines, TAIL_LINE_MAX);
    t.ring = xcalloc(t.n, sizeof(*t.ring));
    t.cut = xcalloc(t.n, sizeof(*t.cut));
    for (size_t i = 0; i < t.n; i++)
        buf_init(&t.ring[i], 0);
    snprintf(n, sizeof(n), "%zu", t.n);
    o.tail = n;
    if (engine_container_inspect(e, id, &info, &err) == 0) {
        o.tty = info.tty;
        engine_container_info_release(&info);
    }
    engine_container_logs(e, id, &o, collect, &t, &err);
    ds_error_release(&err);
    lines_flush(&t.lines, keep_line, &t);
    first = (t.next + t.n - t.count) % t.n;
    /* blank lines at the end say nothing */
    shown = t.count;
    while (shown) {
        struct buf *last = &t.ring[(first + shown - 1) % t.n];

        buf_rtrim(last);
        if (last->len)
            break;
        shown--;
    }
    if (shown) {
        buf_addf(&out, "last log lines of %s:", container);
        for (size_t i = 0; i < shown; i++) {
            size_t at = (first + i) % t.n;

            buf_addf(&out, "\n    | %s%.*s", t.cut[at] ? "..." : "", (int)t.ring[at].len,
                     t.ring[at].buf);
        }
    } else {
        buf_addf(&out, "%s wrote no output", container);
    }
    for (size_t i = 0; i < t.n; i++)
        buf_release(&t.ring[i]);
    free(t.ring);
    free(t.cut);
    lines_release(&t.lines);
    return buf_detach(&out, NULL);
}

/* Attach the container's last log lines (and health log) to err as its hint. */
static void add_evidence(struct engine *e, const char *id, const char *container,
                         const struct engine_container_info *info, struct ds_error *err)
{
    char *tail = stack_log_tail(e, id, container, 20);
    struct buf hint = BUF_INIT;

    buf_adds(&hint, tail);
    if (info && info->n_health_log) {
        buf_adds(&hint, "\nhealth checks:");
        for (size_t i = 0; i < info->n_health_log; i++) {
            struct buf out = BUF_INIT;

            buf_adds(&out, info->health_log[i].output ? info->health_log[i].output : "");
            buf_rtrim(&out);
            for (char *c = out.buf; *c; c++)
                if (*c == '\n')
                    *c = ' ';
            buf_addf(&hint, "\n    exit %d: %s", info->health_log[i].exit_code, out.buf);
            buf_release(&out);
        }
    }
    ds_error_hint(err, "%s", hint.buf);
    buf_release(&hint);
    free(tail);
}

/* Docker's and Podman's interval when the healthcheck gives none */
#define HEALTH_DEFAULT_INTERVAL_NS (30 * NS_PER_SEC)
/* what a check may be late before devstack runs it: a timer that runs it is never this late */
#define HEALTH_LATE_NS NS_PER_SEC

static bool unix_ns(const char *rfc3339, int64_t *out)
{
    int64_t sec, nsec;

    if (!rfc3339 || time_parse_ns(rfc3339, &sec, &nsec) < 0 || sec <= 0)
        return false;
    *out = sec * NS_PER_SEC + nsec;
    return true;
}

bool stack_health_overdue(const char *started_at, const char *last_end, int64_t interval_ns,
                          int64_t now_ns)
{
    int64_t since;

    if (!unix_ns(last_end, &since) && !unix_ns(started_at, &since))
        return false;
    if (interval_ns <= 0)
        interval_ns = HEALTH_DEFAULT_INTERVAL_NS;
    return now_ns - since >= interval_ns + HEALTH_LATE_NS;
}

void stack_health_run_overdue(struct engine *e, const char *id,
                              const struct engine_container_info *info)
{
    const cJSON *hc = json_obj(json_obj(info->raw, "Config"), "Healthcheck");
    const char *last_end = info->n_health_log ? info->health_log[info->n_health_log - 1].end : NULL;
    struct timespec now;
    struct ds_error err = DS_ERROR_INIT;

    if (!engine_is_podman(e) || !info->running || !info->health ||
        strcmp(info->health, "starting") != 0)
        return;
    clock_gettime(CLOCK_REALTIME, &now);
    if (!stack_health_overdue(info->started_at, last_end, json_int(hc, "Interval", 0),
                              (int64_t)now.tv_sec * NS_PER_SEC + now.tv_nsec))
        return;
    /* a check that cannot run now is tried again at the next poll; the wait reports the state */
    engine_container_healthcheck_run(e, id, &err);
    ds_error_release(&err);
}

int stack_wait_condition(struct engine *e, const char *id, const char *container,
                         const char *service, const char *condition, volatile sig_atomic_t *cancel,
                         struct ds_error *err)
{
    bool healthy = !strcmp(condition, "service_healthy");
    bool completed = !strcmp(condition, "service_completed_successfully");

    if (!healthy && !completed)
        return 0; /* service_started: started is enough */
    for (;;) {
        struct engine_container_info info;
        int rc;

        if (cancel && *cancel)
            return ds_error_set(err, DS_EINTR, "interrupted");
        rc = engine_container_inspect(e, id, &info, err);
        if (rc < 0)
            return ds_error_wrap(err, "waiting for service '%s'", service);
        if (completed) {
            if (!info.running && !info.restarting && strcmp(info.status, "created")) {
                int code = info.exit_code;

                engine_container_info_release(&info);
                if (code == 0)
                    return 0;
                rc = ds_error_set(err, DS_ERR,
                                  "service '%s' didn't complete successfully: exit %d (container "
                                  "%s)",
                                  service, code, container);
                add_evidence(e, id, container, NULL, err);
                return rc;
            }
        } else {
            stack_health_run_overdue(e, id, &info);
            if (!info.health) {
                engine_container_info_release(&info);
                return ds_error_set(err, DS_EINVAL,
                                    "container %s (service '%s') has no healthcheck configured, "
                                    "so it cannot become healthy",
                                    container, service);
            }
            if (!strcmp(info.health, "healthy")) {
                engine_container_info_release(&info);
                return 0;
            }
            if (!info.running && !info.restarting && strcmp(info.status, "created")) {
                rc = ds_error_set(err, DS_ERR, "container %s (service '%s') exited (%d)", container,
                                  service, info.exit_code);
                add_evidence(e, id, container, &info, err);
                engine_container_info_release(&info);
                return rc;
            }
            if (!strcmp(info.health, "unhealthy")) {
                rc = ds_error_set(err, DS_ERR, "container %s (service '%s') is unhealthy",
                                  container, service);
                add_evidence(e, id, container, &info, err);
                engine_container_info_release(&info);
                return rc;
            }
        }
        engine_container_info_release(&info);
        clock_sleep_ms(POLL_MS);
    }
}

/* The "host:port" in "Bind for 127.0.0.1:8080 failed" or "listen tcp4 0.0.0.0:80: bind". */
static char *port_in(const char *msg)
{
    const char *p;

    if ((p = strstr(msg, "Bind for "))) {
        const char *end = strstr(p, " failed");
        if (end)
            return xstrndup(p + 9, (size_t)(end - p - 9));
    }
    /* "listen tcp4 0.0.0.0:80: bind": the address after the protocol */
    if ((p = strstr(msg, "listen tcp"))) {
        const char *space = strchr(p + 7, ' ');
        const char *colon = space ? strstr(space, ": bind") : NULL;
        if (space && colon)
            return xstrndup(space + 1, (size_t)(colon - space - 1));
    }
    return NULL;
}

void stack_explain_engine_error(struct engine *e, const char *service, const char *container,
                                const char *project, struct ds_error *err)
{
    char *port;

    if (!err->msg)
        return;
    /* what the engine in use is too old for: the key is named, say whose it is */
    if (err->code == DS_EUNSUPPORTED) {
        ds_error_wrap(err, "service '%s'", service);
        return;
    }
    if ((strstr(err->msg, "port is already allocated") ||
         strstr(err->msg, "address already in use")) &&
        (port = port_in(err->msg))) {
        ds_error_set(err, DS_ECONFLICT,
                     "service '%s': cannot publish port %s: it is already in use", service, port);
        ds_error_hint(err, "stop what listens on %s, or publish another port in the compose file",
                      port);
        free(port);
        return;
    }
    /* Docker: "... is already in use by container \"ID\"", Podman: "... is already in use by ID" */
    if (err->code == DS_ECONFLICT && strstr(err->msg, "is already in use by ")) {
        struct engine_container_info info;
        struct ds_error ierr = DS_ERROR_INIT;
        const char *owner = NULL;

        if (engine_container_inspect(e, container, &info, &ierr) == 0) {
            owner = kvlist_get(&info.labels, LABEL_PROJECT);
            if (owner && strcmp(owner, project))
                ds_error_set(err, DS_ECONFLICT,
                             "service '%s': the container name '%s' is taken by a container of "
                             "project '%s'",
                             service, container, owner);
            else if (!owner)
                ds_error_set(err, DS_ECONFLICT,
                             "service '%s': the container name '%s' is taken by a container "
                             "that Compose did not create",
                             service, container);
            engine_container_info_release(&info);
        }
        ds_error_release(&ierr);
        ds_error_hint(err, "devstack leaves it alone: remove or rename it yourself, or set "
                           "another container_name");
    }
}
