/*
 * devstack pull: fetch the images of services, several at once. On a
 * terminal one line per image, rewritten in place with its layers summed
 * ("[=====>    ]  45.2MB/120.0MB  Downloading"), then its outcome; plain
 * output is a line when a pull starts and one when it ends.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "stack/pull.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "util/term.h"
#include "util/banned.h"

/* Redraw the terminal at most this often (seconds), except when a pull starts or ends. */
#define REDRAW_INTERVAL 0.1
#define BAR_WIDTH       24

struct view {
    FILE *out;
    bool tty, color, quiet;
    bool ignore_failures; /* failures are warnings */
    size_t drawn;         /* lines of the last redraw, to move back over */
    size_t key_width;     /* the longest image reference */
    double last_draw;
    bool *seen_start, *seen_end; /* per job: shown */
};

static size_t term_columns(FILE *f)
{
    struct winsize ws;
    int64_t cols;
    const char *env = getenv("COLUMNS");

    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    if (env && str_to_int64(env, 20, 1000, &cols) == 0)
        return (size_t)cols;
    return 80;
}

/* A job's line after its image: the outcome, or where it is; *color: an escape or "". */
static void job_text(const struct view *v, const struct stack_pull_job *job, size_t room,
                     struct buf *text, const char **color)
{
    bool warn = job->optional || v->ignore_failures;

    *color = "";
    if (!job->started) {
        buf_adds(text, "Waiting");
        return;
    }
    if (!job->finished) {
        /*
         * A narrow terminal gets a shorter bar before the bytes and the phase are cut; the
         * same width throughout ("[]  999.9kB/999.9kB  Pull complete" is 36 more) so that the
         * bar does not jitter.
         */
        stack_pull_state_describe(&job->state,
                                  room >= BAR_WIDTH + 36 ? BAR_WIDTH
                                  : room >= 6 + 36       ? (int)room - 36
                                                         : 6,
                                  text);
        return;
    }
    switch (job->state.outcome) {
    case PULL_OUTCOME_PULLED:
        buf_addf(text, "Pulled  %.1fs", job->elapsed);
        *color = TERM_GREEN;
        return;
    case PULL_OUTCOME_UP_TO_DATE:
        buf_adds(text, "Up to date");
        *color = TERM_GREEN;
        return;
    case PULL_OUTCOME_FAILED:
    case PULL_OUTCOME_PENDING:
        break;
    }
    /* a service that builds its image instead only warns, and so does --ignore-pull-failures */
    buf_addf(text, "%s: ", warn ? "Warning" : "Error");
    if (stack_pull_failure_name(job->failure))
        buf_addf(text, "%s: ", stack_pull_failure_name(job->failure));
    buf_adds(text, job->state.error ? job->state.error : "the pull failed");
    *color = warn ? TERM_YELLOW : TERM_RED;
}

/* Cut at `max` bytes without splitting a UTF-8 sequence, so a line never wraps. */
static void cut(struct buf *b, size_t max)
{
    size_t len = b->len;

    if (len <= max)
        return;
    len = max;
    while (len && ((unsigned char)b->buf[len] & 0xC0) == 0x80)
        len--;
    buf_setlen(b, len);
}

static void print_line(struct view *v, const char *key, const char *text, const char *color)
{
    if (v->tty)
        fprintf(v->out, "\033[2K");
    fprintf(v->out, " %-*s  %s%s%s\n", (int)v->key_width, key, v->color ? color : "", text,
            v->color && *color ? TERM_RESET : "");
}

static void redraw(struct view *v, const struct stack_pull_job *jobs, size_t n)
{
    size_t cols = term_columns(v->out);
    size_t room = cols > v->key_width + 4 + 10 ? cols - v->key_width - 4 : 10;

    if (v->drawn)
        fprintf(v->out, "\033[%zuA", v->drawn);
    for (size_t i = 0; i < n; i++) {
        struct buf text = BUF_INIT;
        const char *color;

        job_text(v, &jobs[i], room, &text, &color);
        cut(&text, room);
        print_line(v, jobs[i].ref, text.buf, color);
        buf_release(&text);
    }
    v->drawn = n;
    v->last_draw = clock_seconds();
    fflush(v->out);
}

/* A stack_pull_update_fn: called with the pulls' lock held. */
static void on_update(const struct stack_pull_job *jobs, size_t n, size_t index, void *ud)
{
    struct view *v = ud;
    const struct stack_pull_job *job = &jobs[index];
    bool started = job->started && !v->seen_start[index];
    bool ended = job->finished && !v->seen_end[index];

    v->seen_start[index] = job->started;
    v->seen_end[index] = job->finished;
    if (v->quiet)
        return;
    if (v->tty) {
        if (started || ended || clock_seconds() - v->last_draw >= REDRAW_INTERVAL)
            redraw(v, jobs, n);
        return;
    }
    if (started) {
        print_line(v, job->ref, "Pulling", "");
    } else if (ended) {
        struct buf text = BUF_INIT;
        const char *color;

        job_text(v, job, SIZE_MAX, &text, &color);
        print_line(v, job->ref, text.buf, color);
        buf_release(&text);
    }
    fflush(v->out);
}

static void print_skipped(struct view *v, const struct stack_pull_list *l)
{
    size_t width = v->key_width;

    for (size_t i = 0; i < l->n_skipped; i++)
        if (strlen(l->skipped[i].service) > width)
            width = strlen(l->skipped[i].service);
    for (size_t i = 0; i < l->n_skipped; i++)
        fprintf(v->out, " %-*s  Skipped: %s\n", (int)width, l->skipped[i].service,
                l->skipped[i].reason);
    fflush(v->out);
}

/* "service 'a'" or "services 'a', 'b'" */
static void name_services(struct buf *b, const struct strvec *services)
{
    buf_adds(b, services->n > 1 ? "services " : "service ");
    for (size_t i = 0; i < services->n; i++)
        buf_addf(b, "%s'%s'", i ? ", " : "", services->v[i]);
}

/*
 * After the pulls: each failure in full (the progress lines were cut to the
 * terminal), as an error or a warning, and each kind of advice once.
 */
static int report(const struct stack_pull_list *l, bool ignore_failures, bool quiet)
{
    bool color = term_use_color(stderr);
    struct strvec hints = STRVEC_INIT;
    int status = EXIT_OK;

    for (size_t i = 0; i < l->n; i++)
        if (l->jobs[i].warning && !quiet)
            fprintf(stderr, "warning: %s\n", l->jobs[i].warning);
    for (size_t i = 0; i < l->n; i++) {
        const struct stack_pull_job *job = &l->jobs[i];
        const char *kind = stack_pull_failure_name(job->failure);
        bool fatal = !job->optional && !ignore_failures;
        struct buf who = BUF_INIT;

        if (!job->err.code || job->err.code == DS_EINTR)
            continue;
        if (!fatal && quiet)
            continue;
        name_services(&who, &job->services);
        if (fatal) {
            fprintf(stderr, "%serror:%s cannot pull '%s' for %s: %s%s%s\n",
                    color ? TERM_RED TERM_BOLD : "", color ? TERM_RESET : "", job->ref, who.buf,
                    kind ? kind : "", kind ? ": " : "", job->err.msg);
            status = EXIT_ERROR;
        } else {
            fprintf(stderr, "warning: cannot pull '%s' for %s: %s%s%s%s\n", job->ref, who.buf,
                    kind ? kind : "", kind ? ": " : "", job->err.msg,
                    job->optional ? " (it is built from source instead: 'devstack build')" : "");
        }
        buf_release(&who);
        /* each piece of advice once, however many images it concerns */
        if (job->err.hint && !strvec_contains(&hints, job->err.hint) && (fatal || !quiet)) {
            strvec_push(&hints, job->err.hint);
            fprintf(stderr, "hint: %s\n", job->err.hint);
        }
    }
    strvec_clear(&hints);
    return status;
}

static bool ignore_failures, quiet, include_deps, ignore_buildable;
static const char *progress_mode;
static int parallel;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_pull_options[] = {
        {OPT_BOOL, "ignore-pull-failures", 0, &ignore_failures, NULL,
         "pull what can be pulled; failures are warnings"},
        {OPT_BOOL, "quiet", 'q', &quiet, NULL, "show nothing but errors"},
        {OPT_BOOL, "include-deps", 0, &include_deps, NULL,
         "also the images of the named services' dependencies"},
        {OPT_BOOL, "ignore-buildable", 0, &ignore_buildable, NULL,
         "skip the services that can build their image"},
        {OPT_CHOICE, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet", 0,
         PROGRESS_CHOICES},
        {OPT_INT, "parallel", 0, &parallel, "N", "at most N pulls at once (default 4)"},
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services' images"},
        {0},
};

int cmd_pull(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_pull_list list = {0};
    struct stack_pull_options po = {0};
    struct view v = {.out = stderr};
    enum progress_mode mode = progress_mode_of(progress_mode);
    int status, rc;

    /* as Compose: the named services alone, unless asked for what they depend on */
    for (size_t i = 0; include_deps && i < services.n; i++) {
        const struct compose_service *s = compose_find_service(ctx->project, services.v[i]);

        for (size_t d = 0; s && d < s->n_depends_on; d++)
            if (!strvec_contains(&services, s->depends_on[d].service))
                strvec_push(&services, s->depends_on[d].service);
    }
    if (stack_pull_choose(ctx->engine, ctx->project, &services,
                          ignore_buildable ? STACK_PULL_IGNORE_BUILDABLE : 0, &list, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();

    v.ignore_failures = ignore_failures;
    v.quiet = quiet || mode == PROGRESS_QUIET;
    v.tty = !v.quiet &&
            (mode == PROGRESS_TTY || (mode == PROGRESS_AUTO && isatty(fileno(v.out)) == 1));
    v.color = v.tty && term_use_color(v.out);
    v.seen_start = xcalloc(list.n + 1, sizeof(*v.seen_start));
    v.seen_end = xcalloc(list.n + 1, sizeof(*v.seen_end));
    for (size_t i = 0; i < list.n; i++)
        if (strlen(list.jobs[i].ref) > v.key_width)
            v.key_width = strlen(list.jobs[i].ref);
    if (!v.quiet)
        print_skipped(&v, &list);
    if (v.tty && list.n)
        redraw(&v, list.jobs, list.n);

    po.parallel = parallel;
    po.cancel = &sig_interrupted;
    po.on_update = on_update;
    po.ud = &v;
    rc = stack_pull_images(ctx->engine, list.jobs, list.n, &po, &err);
    if (v.tty && list.n)
        redraw(&v, list.jobs, list.n);
    if (rc == DS_EINTR) {
        fprintf(stderr, "interrupted: the images pulled so far stay\n");
        status = EXIT_INTERRUPTED;
        goto done;
    }
    status = report(&list, ignore_failures, v.quiet);

done:
    free(v.seen_start);
    free(v.seen_end);
    stack_pull_list_release(&list);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
