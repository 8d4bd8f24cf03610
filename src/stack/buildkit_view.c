/* BuildKit's progress as buildx shows it (see buildkit_view.h). */
#include <stdlib.h>
#include <string.h>

#include "stack/buildkit_view.h"
#include "util/alloc.h"
#include "util/term.h"
#include "util/banned.h"

/* Lines of output kept per step: what a terminal shows under it and an error quotes. */
#define TAIL_LINES 10
/* Lines of a running step's output shown under it on a terminal, as buildx does. */
#define TTY_LOG_LINES 6
#define NS            1e9

void buildkit_view_init(struct buildkit_view *v, const char *prefix)
{
    memset(v, 0, sizeof(*v));
    v->prefix = prefix ? xstrdup(prefix) : NULL;
}

void buildkit_view_release(struct buildkit_view *v)
{
    for (size_t i = 0; i < v->n; i++) {
        struct buildkit_view_step *s = &v->steps[i];

        free(s->digest);
        free(s->name);
        free(s->error);
        free(s->owner);
        for (size_t j = 0; j < s->n_statuses; j++)
            free(s->statuses[j].id);
        free(s->statuses);
        buf_release(&s->partial);
        strvec_clear(&s->tail);
    }
    free(v->steps);
    free(v->prefix);
    memset(v, 0, sizeof(*v));
}

static struct buildkit_view_step *step_for(struct buildkit_view *v, const char *digest, bool add)
{
    struct buildkit_view_step *s;

    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->steps[i].digest, digest))
            return &v->steps[i];
    if (!add)
        return NULL;
    v->steps = xrealloc(v->steps, (v->n + 1) * sizeof(*v->steps));
    s = &v->steps[v->n];
    memset(s, 0, sizeof(*s));
    s->digest = xstrdup(digest);
    s->name = xstrdup("");
    s->number = (int)++v->n;
    buf_init(&s->partial, 0);
    strvec_init(&s->tail);
    return s;
}

/* "[2/3] RUN x" -> "[backend 2/3] RUN x"; "load" -> "[backend] load" (buildx's prefixing). */
static char *prefixed(const char *prefix, const char *name)
{
    struct buf b = BUF_INIT;

    if (!prefix)
        buf_adds(&b, name);
    else if (name[0] == '[')
        buf_addf(&b, "[%s %s", prefix, name + 1);
    else
        buf_addf(&b, "[%s] %s", prefix, name);
    return buf_detach(&b, NULL);
}

/*
 * Start a plain block about `s`: a blank line between blocks about
 * different steps; as buildx, "#N ..." under a step left while it runs, and
 * its name again over a step come back to.
 */
static void plain_about(struct buildkit_view *v, const struct buildkit_view_step *s,
                        struct buf *plain)
{
    const struct buildkit_view_step *last = v->last_shown ? &v->steps[v->last_shown - 1] : NULL;

    if (last && last != s) {
        if (last->header_shown && !last->end_shown)
            buf_addf(plain, "#%d ...\n", last->number);
        buf_addch(plain, '\n');
        if (s->header_shown)
            buf_addf(plain, "#%d %s\n", s->number, s->name);
    }
    v->last_shown = s->number;
}

static void plain_header(struct buildkit_view *v, struct buildkit_view_step *s, struct buf *plain)
{
    if (s->header_shown)
        return;
    plain_about(v, s, plain);
    buf_addf(plain, "#%d %s\n", s->number, s->name);
    s->header_shown = true;
}

/* go-units' HumanSize as buildx prints sizes: 2B, 2.05kB, 1.23MB. */
static void add_size(struct buf *out, int64_t n)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double d = (double)n;
    size_t u = 0;

    while (d >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
        d /= 1000;
        u++;
    }
    if (u == 0)
        buf_addf(out, "%lldB", (long long)n);
    else
        buf_addf(out, "%.2f%s", d, units[u]);
}

static void status_text(const struct buildkit_view_status *st, struct buf *out)
{
    buf_adds(out, st->id);
    if (st->total > 0) {
        buf_addch(out, ' ');
        add_size(out, st->current);
        buf_adds(out, " / ");
        add_size(out, st->total);
    } else if (st->current > 0) {
        buf_addch(out, ' ');
        add_size(out, st->current);
    }
}

static void keep_line(struct buildkit_view_step *s, const char *line)
{
    if (s->tail.n == TAIL_LINES) {
        free(s->tail.v[0]);
        memmove(s->tail.v, s->tail.v + 1, (s->tail.n - 1) * sizeof(*s->tail.v));
        s->tail.v[--s->tail.n] = NULL;
    }
    strvec_push(&s->tail, line);
}

static void take_vertex(struct buildkit_view *v, const char *prefix,
                        const struct buildkit_vertex *x, struct buf *plain)
{
    struct buildkit_view_step *s = step_for(v, x->digest, true);

    /* a step two builds share goes under the name of the last to report it, as in buildx */
    if (x->name && *x->name && (!*s->name || (prefix && (!s->owner || strcmp(s->owner, prefix))))) {
        free(s->name);
        free(s->owner);
        s->name = prefixed(prefix, x->name);
        s->owner = prefix ? xstrdup(prefix) : NULL;
    }
    s->cached = s->cached || x->cached;
    if (x->started && !x->completed && !x->cached && s->completed && x->started > s->completed) {
        /* a step two builds share runs again for the second: it ends again */
        s->completed = 0;
        s->end_shown = false;
    }
    if (x->started)
        s->started = x->started;
    if (x->completed)
        s->completed = x->completed;
    if (x->error && !s->error)
        s->error = xstrdup(x->error);
    if (s->started || s->cached)
        plain_header(v, s, plain);
}

/* A step's last line, once its statuses and output of the same message are out. */
static void plain_end(struct buildkit_view *v, struct buildkit_view_step *s, struct buf *plain)
{
    if (s->end_shown || !s->header_shown || (!s->completed && !s->cached))
        return;
    plain_about(v, s, plain);
    if (s->partial.len) {
        /* output that lacked its newline still belongs to the step */
        keep_line(s, s->partial.buf);
        buf_addf(plain, "#%d %s\n", s->number, s->partial.buf);
        buf_reset(&s->partial);
    }
    if (s->error)
        buf_addf(plain, "#%d ERROR: %s\n", s->number, s->error);
    else if (s->cached)
        buf_addf(plain, "#%d CACHED\n", s->number);
    else
        buf_addf(plain, "#%d DONE %.1fs\n", s->number, (double)(s->completed - s->started) / NS);
    s->end_shown = true;
}

static void take_status(struct buildkit_view *v, const struct buildkit_status *x, struct buf *plain)
{
    struct buildkit_view_step *s = step_for(v, x->vertex, true);
    struct buildkit_view_status *st = NULL;

    for (size_t i = 0; i < s->n_statuses && !st; i++)
        if (!strcmp(s->statuses[i].id, x->id))
            st = &s->statuses[i];
    if (!st) {
        s->statuses = xrealloc(s->statuses, (s->n_statuses + 1) * sizeof(*s->statuses));
        st = &s->statuses[s->n_statuses++];
        memset(st, 0, sizeof(*st));
        st->id = xstrdup(x->name && *x->name ? x->name : x->id);
    }
    st->current = x->current;
    st->total = x->total;
    if (x->started)
        st->started = x->started;
    if (x->completed)
        st->completed = x->completed;
    if (!st->completed || st->shown)
        return;
    plain_header(v, s, plain);
    plain_about(v, s, plain);
    buf_addf(plain, "#%d ", s->number);
    status_text(st, plain);
    /* buildx leaves out a time too short to show */
    if (st->started && st->completed - st->started >= 50000000)
        buf_addf(plain, " %.1fs", (double)(st->completed - st->started) / NS);
    buf_adds(plain, " done\n");
    st->shown = true;
}

static void take_log(struct buildkit_view *v, const struct buildkit_log *x, struct buf *plain)
{
    struct buildkit_view_step *s = step_for(v, x->vertex, true);
    double at =
            s->started && x->timestamp > s->started ? (double)(x->timestamp - s->started) / NS : 0;

    for (size_t i = 0; i < x->len; i++) {
        char c = x->msg[i];

        if (c == '\r') /* a progress bar redrawn in place: keep its last state */
            buf_reset(&s->partial);
        else if (c != '\n')
            buf_addch(&s->partial, c);
        if (c != '\n')
            continue;
        plain_header(v, s, plain);
        plain_about(v, s, plain);
        buf_addf(plain, "#%d %.3f %s\n", s->number, at, s->partial.buf);
        keep_line(s, s->partial.buf);
        buf_reset(&s->partial);
    }
}

void buildkit_view_update(struct buildkit_view *v, const struct buildkit_trace *t,
                          struct buf *plain)
{
    buildkit_view_update_as(v, v->prefix, t, plain);
}

void buildkit_view_update_as(struct buildkit_view *v, const char *prefix,
                             const struct buildkit_trace *t, struct buf *plain)
{
    /* buildx's order: steps begin, their statuses and output, then they end */
    for (size_t i = 0; i < t->n_vertexes; i++)
        take_vertex(v, prefix, &t->vertexes[i], plain);
    for (size_t i = 0; i < t->n_statuses; i++)
        take_status(v, &t->statuses[i], plain);
    for (size_t i = 0; i < t->n_logs; i++)
        take_log(v, &t->logs[i], plain);
    for (size_t i = 0; i < t->n_warnings; i++) {
        struct buildkit_view_step *s = step_for(v, t->warnings[i].vertex, true);

        plain_about(v, s, plain);
        buf_addf(plain, "#%d WARNING: %s\n", s->number, t->warnings[i].text);
    }
    for (size_t i = 0; i < t->n_vertexes; i++)
        plain_end(v, step_for(v, t->vertexes[i].digest, false), plain);
}

/* One panel line: " => TEXT" and the time at the right edge of `width`. */
static void panel_line(struct buf *out, const char *lead, const char *text, double secs,
                       bool show_time, int width, const char *color)
{
    struct buf left = BUF_INIT, right = BUF_INIT;
    int room;

    buf_addf(&left, " %s%s", lead, text);
    if (show_time)
        buf_addf(&right, "%.1fs", secs);
    room = width - (int)right.len - 1;
    if (room < 10)
        room = 10;
    if ((int)left.len > room)
        buf_setlen(&left, (size_t)room);
    buf_addf(out, "%s%-*s%s%s%s\n", color ? color : "", room, left.buf, right.len ? " " : "",
             right.buf, color ? TERM_RESET : "");
    buf_release(&left);
    buf_release(&right);
}

void buildkit_view_render(const struct buildkit_view *v, int64_t began, int64_t now, int width,
                          size_t max_lines, bool finished, bool color, struct buf *out)
{
    struct buf body = BUF_INIT, text = BUF_INIT;
    size_t done = 0, lines = 0, skip = 0;
    const char *p;

    for (size_t i = 0; i < v->n; i++)
        if (v->steps[i].completed || v->steps[i].cached)
            done++;
    buf_addf(out, "[+] Building %.1fs (%zu/%zu)%s\n", (double)(now - began) / NS, done, v->n,
             finished ? " FINISHED" : "");
    for (size_t i = 0; i < v->n; i++) {
        const struct buildkit_view_step *s = &v->steps[i];
        int64_t end = s->completed ? s->completed : now;
        const char *c = !color         ? NULL
                        : s->error     ? TERM_RED
                        : s->cancelled ? TERM_YELLOW
                        : s->completed ? TERM_BLUE
                                       : NULL;

        if (!s->started && !s->cached)
            continue; /* buildx shows a step once it starts */
        buf_reset(&text);
        buf_addf(&text, "%s%s",
                 s->error       ? "ERROR "
                 : s->cancelled ? "CANCELED "
                 : s->cached    ? "CACHED "
                                : "",
                 s->name);
        panel_line(&body, "=> ", text.buf, s->started ? (double)(end - s->started) / NS : 0, true,
                   width, c);
        for (size_t j = 0; j < s->n_statuses; j++) {
            const struct buildkit_view_status *st = &s->statuses[j];
            int64_t st_end = st->completed ? st->completed : now;

            buf_reset(&text);
            status_text(st, &text);
            panel_line(&body, "=> => ", text.buf,
                       st->started ? (double)(st_end - st->started) / NS : 0, st->started != 0,
                       width, c);
        }
        if (s->completed || s->cached)
            continue;
        for (size_t j = s->tail.n > TTY_LOG_LINES ? s->tail.n - TTY_LOG_LINES : 0; j < s->tail.n;
             j++)
            panel_line(&body, "=> => # ", s->tail.v[j], 0, false, width, NULL);
    }
    /* too tall for the terminal: the last lines, where the build is */
    for (p = body.buf; *p; p++)
        lines += *p == '\n';
    if (max_lines > 1 && lines > max_lines - 1)
        skip = lines - (max_lines - 1);
    for (p = body.buf; skip && *p; p++)
        if (*p == '\n')
            skip--;
    buf_adds(out, p);
    buf_release(&body);
    buf_release(&text);
}

void buildkit_view_cancel_as(struct buildkit_view *v, const char *prefix, int64_t now,
                             struct buf *plain)
{
    for (size_t i = 0; i < v->n; i++) {
        struct buildkit_view_step *s = &v->steps[i];

        if (!s->started || s->completed || s->cached || s->error ||
            (s->owner && prefix ? strcmp(s->owner, prefix) : s->owner != prefix))
            continue;
        s->cancelled = true;
        s->completed = now;
        if (s->header_shown && !s->end_shown) {
            plain_about(v, s, plain);
            buf_addf(plain, "#%d CANCELED\n", s->number);
            s->end_shown = true;
        }
    }
}

const struct buildkit_view_step *buildkit_view_failed(const struct buildkit_view *v)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->steps[i].error)
            return &v->steps[i];
    return NULL;
}

const struct buildkit_view_step *buildkit_view_failed_as(const struct buildkit_view *v,
                                                         const char *prefix)
{
    if (!prefix)
        prefix = v->prefix;
    for (size_t i = 0; i < v->n; i++) {
        const struct buildkit_view_step *s = &v->steps[i];

        if (s->error && (s->owner && prefix ? !strcmp(s->owner, prefix) : !s->owner && !prefix))
            return s;
    }
    return NULL;
}

void buildkit_view_failure(const struct buildkit_view *v, struct buf *out)
{
    buildkit_view_step_failure(buildkit_view_failed(v), out);
}

void buildkit_view_step_failure(const struct buildkit_view_step *s, struct buf *out)
{
    if (!s)
        return;
    buf_addf(out, "------\n > %s:\n", s->name);
    for (size_t i = 0; i < s->tail.n; i++)
        buf_addf(out, "%s\n", s->tail.v[i]);
    if (s->partial.len)
        buf_addf(out, "%s\n", s->partial.buf);
    buf_adds(out, "------\n");
}
