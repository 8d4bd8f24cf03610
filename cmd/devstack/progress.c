#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "stack/buildkit_view.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/term.h"
#include "util/banned.h"

struct line {
    char *key;  /* "Container shop-db-1", "Network shop_default" */
    char *text; /* its current state */
    int color;  /* 0 none, 1 green, 2 yellow, 3 red */
};

struct progress {
    FILE *out;
    bool tty, color, quiet;
    struct line *lines;
    size_t n, drawn;
    size_t key_width;
    /* BuildKit's panel, while builds run: one for all those at once, as buildx shows a bake */
    const struct buildkit_view *build;
    int64_t build_began;
    int builds;          /* announced on the panel and not ended */
    bool build_failed;   /* one of them failed: no FINISHED */
    char *build_failure; /* what the first failed step said, shown under the final panel */
};

enum progress_mode progress_mode_of(const char *s)
{
    if (s && !strcmp(s, "tty"))
        return PROGRESS_TTY;
    if (s && !strcmp(s, "plain"))
        return PROGRESS_PLAIN;
    if (s && !strcmp(s, "quiet"))
        return PROGRESS_QUIET;
    return PROGRESS_AUTO;
}

bool progress_is_quiet(const struct progress *p)
{
    return p->quiet;
}

struct progress *progress_new(FILE *out, enum progress_mode mode)
{
    struct progress *p = xcalloc(1, sizeof(*p));

    p->out = out;
    p->tty = mode == PROGRESS_TTY || (mode == PROGRESS_AUTO && isatty(fileno(out)) == 1);
    p->color = p->tty && term_use_color(out);
    p->quiet = mode == PROGRESS_QUIET;
    return p;
}

static struct line *line_for(struct progress *p, const char *key)
{
    size_t w = strlen(key);

    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->lines[i].key, key))
            return &p->lines[i];
    p->lines = xrealloc(p->lines, (p->n + 1) * sizeof(*p->lines));
    memset(&p->lines[p->n], 0, sizeof(p->lines[p->n]));
    p->lines[p->n].key = xstrdup(key);
    if (w > p->key_width)
        p->key_width = w;
    return &p->lines[p->n++];
}

static void draw(struct progress *p)
{
    static const char *const colors[] = {"", TERM_GREEN, TERM_YELLOW, TERM_RED};

    if (p->drawn)
        fprintf(p->out, "\033[%zuA", p->drawn);
    for (size_t i = 0; i < p->n; i++) {
        const struct line *l = &p->lines[i];

        fprintf(p->out, "\033[2K %-*s  %s%s%s\n", (int)p->key_width, l->key,
                p->color ? colors[l->color] : "", l->text, p->color ? TERM_RESET : "");
    }
    p->drawn = p->n;
    fflush(p->out);
}

static const char *word_for(enum stack_event_kind k, int *color)
{
    *color = 0;
    switch (k) {
    case EV_PULLING:
        return "Pulling";
    case EV_PULLED:
        *color = 1;
        return "Pulled";
    case EV_BUILDING:
        return "Building";
    case EV_BUILT:
        *color = 1;
        return "Built";
    case EV_NETWORK_CREATED:
    case EV_VOLUME_CREATED:
    case EV_CREATED:
        *color = 1;
        return "Created";
    case EV_CREATING:
        return "Creating";
    case EV_RECREATING:
        return "Recreating";
    case EV_STARTING:
        return "Starting";
    case EV_STARTED:
        *color = 1;
        return "Started";
    case EV_RUNNING:
        *color = 1;
        return "Running";
    case EV_WAITING:
        *color = 2;
        return "Waiting";
    case EV_HEALTHY:
        *color = 1;
        return "Healthy";
    case EV_EXITED:
        *color = 1;
        return "Exited";
    case EV_STOPPING:
        return "Stopping";
    case EV_STOPPED:
        *color = 1;
        return "Stopped";
    case EV_REMOVING:
        return "Removing";
    case EV_REMOVED:
        *color = 1;
        return "Removed";
    case EV_KILLING:
        return "Killing";
    case EV_KILLED:
        *color = 3;
        return "Killed";
    case EV_PAUSED:
        *color = 1;
        return "Paused";
    case EV_UNPAUSED:
        *color = 1;
        return "Unpaused";
    case EV_WARNING:
        *color = 2;
        return "Warning";
    case EV_ERROR:
        *color = 3;
        return "Error";
    case EV_BUILD_OUTPUT:
    case EV_BUILD_TRACE:
    case EV_BUILD_FAILED:
    case EV_BUILD_TICK:
        return "";
    }
    return "";
}

static void key_of(struct buf *key, const struct stack_event *ev)
{
    const char *kind = "Container";

    switch (ev->kind) {
    case EV_PULLING:
    case EV_PULLED:
    case EV_BUILDING:
    case EV_BUILT:
        kind = "Image";
        break;
    case EV_NETWORK_CREATED:
        kind = "Network";
        break;
    case EV_VOLUME_CREATED:
        kind = "Volume";
        break;
    case EV_REMOVING:
    case EV_REMOVED:
        if (ev->detail && (!strcmp(ev->detail, "network") || !strcmp(ev->detail, "volume") ||
                           !strcmp(ev->detail, "image")))
            kind = !strcmp(ev->detail, "network")  ? "Network"
                   : !strcmp(ev->detail, "volume") ? "Volume"
                                                   : "Image";
        break;
    default:
        break;
    }
    if (ev->kind == EV_WAITING) {
        /* "Container shop-web-1 Waiting for shop-db-1 (service_healthy)" reads best keyed by the
         * waiter */
        buf_addf(key, "Service %s", ev->service ? ev->service : "?");
        return;
    }
    if (ev->kind == EV_WARNING || ev->kind == EV_ERROR) {
        if (ev->object)
            buf_addf(key, "%s %s", ev->service ? "Container" : "", ev->object);
        else
            buf_addf(key, "Service %s", ev->service ? ev->service : "");
        return;
    }
    buf_addf(key, "%s %s", kind, ev->object ? ev->object : ev->service ? ev->service : "");
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The BuildKit panel in place of the status lines, as buildx draws it; with
 * `final`, left on the screen for good and the status lines drawn below.
 */
static void draw_build(struct progress *p, bool final, bool finished)
{
    struct winsize ws = {0};
    struct buf panel = BUF_INIT;
    int width = 80;
    size_t rows = 0, lines = 0;

    if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col) {
        width = ws.ws_col;
        rows = ws.ws_row;
    }
    buildkit_view_render(p->build, p->build_began, now_ns(), width, final ? 0 : rows, finished,
                         p->color, &panel);
    if (p->drawn)
        fprintf(p->out, "\033[%zuA\033[J", p->drawn);
    fputs(panel.buf, p->out);
    for (size_t i = 0; i < panel.len; i++)
        lines += panel.buf[i] == '\n';
    p->drawn = final ? 0 : lines;
    buf_release(&panel);
    if (final) {
        p->build = NULL;
        draw(p);
    }
    fflush(p->out);
}

/* The status lines, or the build panel in their place while builds run. */
static void redraw(struct progress *p)
{
    if (p->build)
        draw_build(p, false, false);
    else
        draw(p);
}

/* The last build on the panel ended: the panel stays, and what failed goes under it. */
static void end_builds(struct progress *p)
{
    draw_build(p, true, !p->build_failed);
    if (p->build_failure) {
        if (p->drawn)
            fprintf(p->out, "\033[%zuA\033[J", p->drawn);
        p->drawn = 0;
        fputs(p->build_failure, p->out);
        draw(p);
        free(p->build_failure);
        p->build_failure = NULL;
    }
    p->build_failed = false;
}

/*
 * BuildKit's progress: plain lines as buildx --progress=plain, or on a
 * terminal its panel of every build that runs, redrawn as messages come and
 * as the clock ticks.
 */
static void build_event(struct progress *p, const struct stack_event *ev)
{
    const char *text = ev->detail ? ev->detail : "";

    if (!p->tty) {
        fputs(text, p->out);
        fflush(p->out);
        return;
    }
    switch (ev->kind) {
    case EV_BUILDING:
        if (p->build != ev->build) {
            p->build = ev->build;
            p->build_began = now_ns();
            p->builds = 0;
        }
        p->builds++;
        return; /* its status line redraws the panel */
    case EV_BUILD_TRACE:
    case EV_BUILD_TICK:
        if (p->build)
            draw_build(p, false, false);
        return;
    case EV_BUILD_FAILED:
        p->build_failed = true;
        if (*text && !p->build_failure)
            p->build_failure = xstrdup(text);
        break;
    default:
        break;
    }
    if (p->build && --p->builds <= 0)
        end_builds(p);
}

void progress_event(const struct stack_event *ev, void *ud)
{
    struct progress *p = ud;
    struct buf key = BUF_INIT, text = BUF_INIT;
    const char *word;
    struct line *l;
    int color;

    if (p->quiet)
        return;
    if (ev->kind == EV_BUILD_TRACE || ev->kind == EV_BUILD_FAILED || ev->kind == EV_BUILD_TICK ||
        ((ev->kind == EV_BUILDING || ev->kind == EV_BUILT) && ev->build && p->tty))
        build_event(p, ev);
    if (ev->kind == EV_BUILD_TRACE || ev->kind == EV_BUILD_FAILED || ev->kind == EV_BUILD_TICK)
        return;
    if (ev->kind == EV_BUILD_OUTPUT) {
        /* build output scrolls above the status lines */
        if (p->tty && p->drawn) {
            fprintf(p->out, "\033[%zuA\033[J", p->drawn);
            p->drawn = 0;
        }
        fprintf(p->out, "%s  | %s\n", ev->service ? ev->service : "", ev->detail ? ev->detail : "");
        if (p->tty)
            redraw(p);
        return;
    }
    word = word_for(ev->kind, &color);
    key_of(&key, ev);
    buf_adds(&text, word);
    if (ev->kind == EV_WAITING)
        buf_addf(&text, " for %s (%s)", ev->object ? ev->object : "?",
                 ev->detail ? ev->detail : "");
    else if (ev->kind == EV_EXITED && ev->detail)
        buf_addf(&text, " (%s)", ev->detail);
    else if (ev->detail && ev->kind != EV_REMOVING && ev->kind != EV_REMOVED)
        buf_addf(&text, ": %s", ev->detail);
    if (ev->elapsed > 0.05)
        buf_addf(&text, "  %.1fs", ev->elapsed);

    if (!p->tty) {
        fprintf(p->out, " %s  %s\n", key.buf, text.buf);
        fflush(p->out);
    } else {
        l = line_for(p, key.buf);
        free(l->text);
        l->text = buf_detach(&text, NULL);
        l->color = color;
        redraw(p);
    }
    buf_release(&key);
    buf_release(&text);
}

void progress_finish(struct progress *p)
{
    if (p)
        fflush(p->out);
}

void progress_free(struct progress *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->lines[i].key);
        free(p->lines[i].text);
    }
    free(p->lines);
    free(p->build_failure);
    free(p);
}
