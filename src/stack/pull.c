/*
 * Pulling images: which ones (as `docker compose pull` chooses them), several
 * at once with their registry credentials, and what each pull's progress
 * stream adds up to. The engine reports per layer; users want one line per
 * image, so the layers are summed here, without I/O, where tests can feed it
 * recorded streams.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "stack/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/size.h"
#include "util/strutil.h"
#include "util/banned.h"

#define PULL_PARALLEL 4

/* ---- one image's progress ---------------------------------------------------- */

void stack_pull_state_init(struct stack_pull_state *s)
{
    memset(s, 0, sizeof(*s));
}

void stack_pull_state_release(struct stack_pull_state *s)
{
    for (size_t i = 0; i < s->n_layers; i++)
        free(s->layers[i].id);
    free(s->layers);
    free(s->error);
    free(s->digest);
    memset(s, 0, sizeof(*s));
}

static struct stack_pull_layer *layer_for(struct stack_pull_state *s, const char *id)
{
    struct stack_pull_layer *l;

    for (size_t i = 0; i < s->n_layers; i++)
        if (!strcmp(s->layers[i].id, id))
            return &s->layers[i];
    s->layers = xgrow(s->layers, &s->alloc, s->n_layers + 1, sizeof(*s->layers));
    l = &s->layers[s->n_layers++];
    memset(l, 0, sizeof(*l));
    l->id = xstrdup(id);
    l->state = LAYER_WAITING;
    l->size = -1;
    return l;
}

/* The layer state a status names; -1 for lines that are not about a layer. */
static int layer_status(const char *status)
{
    static const struct {
        const char *prefix;
        enum stack_layer_state state;
    } table[] = {
            {"Pulling fs layer", LAYER_WAITING},     {"Waiting", LAYER_WAITING},
            {"Downloading", LAYER_DOWNLOADING},      {"Retrying in ", LAYER_DOWNLOADING},
            {"Verifying Checksum", LAYER_VERIFYING}, {"Download complete", LAYER_DOWNLOADED},
            {"Extracting", LAYER_EXTRACTING},        {"Pull complete", LAYER_DONE},
            {"Already exists", LAYER_EXISTS},
    };

    for (size_t i = 0; i < ARRAY_SIZE(table); i++)
        if (str_starts_with(status, table[i].prefix))
            return (int)table[i].state;
    return -1;
}

static void fail(struct stack_pull_state *s, const char *why)
{
    if (s->outcome == PULL_OUTCOME_FAILED)
        return; /* the first reason is the one that matters */
    s->outcome = PULL_OUTCOME_FAILED;
    free(s->error);
    s->error = xstrdup(why && *why ? why : "the pull failed");
}

void stack_pull_state_fail(struct stack_pull_state *s, const char *why)
{
    fail(s, why);
}

static void layer_feed(struct stack_pull_layer *l, enum stack_layer_state state,
                       const struct engine_progress *p)
{
    /* a finished layer stays finished, whatever arrives late */
    if (l->state == LAYER_DONE || l->state == LAYER_EXISTS)
        return;
    l->retrying = str_starts_with(p->status, "Retrying");
    switch (state) {
    case LAYER_WAITING:
        return; /* the engine never moves a layer back to waiting */
    case LAYER_DOWNLOADING:
        l->state = LAYER_DOWNLOADING;
        if (p->total > 0)
            l->size = p->total;
        if (l->retrying)
            l->downloaded = 0;
        else if (p->current >= 0)
            l->downloaded = l->size >= 0 && p->current > l->size ? l->size : p->current;
        return;
    case LAYER_VERIFYING:
    case LAYER_DOWNLOADED:
        l->state = state;
        if (l->size >= 0)
            l->downloaded = l->size;
        return;
    case LAYER_EXTRACTING:
        l->state = LAYER_EXTRACTING;
        if (l->size < 0 && p->total > 0)
            l->size = p->total;
        if (l->size >= 0)
            l->downloaded = l->size;
        /* counted in the layer's compressed bytes whatever unit the engine uses */
        if (p->current >= 0 && p->total > 0 && l->size >= 0) {
            int64_t cur = p->current > p->total ? p->total : p->current;
            l->extracted = (int64_t)((double)l->size * (double)cur / (double)p->total);
        }
        return;
    case LAYER_DONE:
        l->state = LAYER_DONE;
        if (l->size >= 0)
            l->downloaded = l->extracted = l->size;
        return;
    case LAYER_EXISTS:
        l->state = LAYER_EXISTS;
        l->size = -1; /* nothing of it is fetched */
        l->downloaded = l->extracted = 0;
        return;
    }
}

void stack_pull_state_feed(struct stack_pull_state *s, const struct engine_progress *p)
{
    const char *status = p->status, *rest;
    int state;

    if (p->error) {
        fail(s, p->error);
        return;
    }
    if (!status)
        return;
    if (str_skip_prefix(status, "Digest: ", &rest)) {
        free(s->digest);
        s->digest = xstrdup(rest);
        return;
    }
    if (str_starts_with(status, "Status: Downloaded newer image")) {
        if (s->outcome != PULL_OUTCOME_FAILED)
            s->outcome = PULL_OUTCOME_PULLED;
        return;
    }
    if (str_starts_with(status, "Status: Image is up to date")) {
        if (s->outcome != PULL_OUTCOME_FAILED)
            s->outcome = PULL_OUTCOME_UP_TO_DATE;
        return;
    }
    /* "Pulling from library/mysql" has the tag as its id: not a layer */
    state = p->id ? layer_status(status) : -1;
    if (state < 0)
        return;
    layer_feed(layer_for(s, p->id), (enum stack_layer_state)state, p);
}

void stack_pull_state_totals(const struct stack_pull_state *s, struct stack_pull_totals *out)
{
    size_t waiting = 0, downloading = 0, retrying = 0, verifying = 0, extracting = 0;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < s->n_layers; i++) {
        const struct stack_pull_layer *l = &s->layers[i];

        out->layers++;
        switch (l->state) {
        case LAYER_EXISTS:
            out->layers_exist++;
            out->layers_done++;
            continue;
        case LAYER_DONE:
            out->layers_done++;
            break;
        case LAYER_WAITING:
            waiting++;
            break;
        case LAYER_DOWNLOADING:
            downloading++;
            retrying += l->retrying;
            break;
        case LAYER_VERIFYING:
            verifying++;
            break;
        case LAYER_DOWNLOADED:
        case LAYER_EXTRACTING:
            extracting++;
            break;
        }
        if (l->size >= 0) {
            out->layers_sized++;
            out->total += l->size;
            out->downloaded += l->downloaded;
            out->extracted += l->extracted;
        }
    }
    out->done = out->downloaded + out->extracted;
    if (downloading)
        out->phase = retrying == downloading ? "Retrying" : "Downloading";
    else if (verifying)
        out->phase = "Verifying";
    else if (extracting)
        out->phase = "Extracting";
    else if (waiting)
        out->phase = "Waiting";
    else if (out->layers)
        out->phase = "Pull complete";
    else
        out->phase = "Pulling";
}

void stack_pull_state_describe(const struct stack_pull_state *s, int width, struct buf *out)
{
    struct stack_pull_totals t;
    int64_t shown;
    double frac;
    int filled;

    switch (s->outcome) {
    case PULL_OUTCOME_PULLED:
        buf_adds(out, "Pulled");
        return;
    case PULL_OUTCOME_UP_TO_DATE:
        buf_adds(out, "Up to date");
        return;
    case PULL_OUTCOME_FAILED:
        buf_addf(out, "Error: %s", s->error);
        return;
    case PULL_OUTCOME_PENDING:
        break;
    }
    stack_pull_state_totals(s, &t);
    if (t.total <= 0) {
        buf_adds(out, t.phase);
        return;
    }
    frac = (double)t.done / (2.0 * (double)t.total);
    if (frac > 1)
        frac = 1;
    if (width < 1)
        width = 1;
    filled = (int)(frac * width);
    buf_addch(out, '[');
    for (int i = 0; i < width; i++)
        buf_addch(out, i < filled ? '=' : i == filled ? '>' : ' ');
    buf_adds(out, "]  ");
    /* the bytes of the phase the user sees named */
    shown = !strcmp(t.phase, "Extracting")      ? t.extracted
            : !strcmp(t.phase, "Pull complete") ? t.total
                                                : t.downloaded;
    size_format(out, shown > 0 ? (uint64_t)shown : 0, SIZE_PROGRESS);
    buf_addch(out, '/');
    size_format(out, t.total > 0 ? (uint64_t)t.total : 0, SIZE_PROGRESS);
    buf_addf(out, "  %s", t.phase);
}

/* ---- why a pull failed ------------------------------------------------------- */

static bool has_any(const char *msg, const char *const *needles)
{
    for (; *needles; needles++)
        if (strcasestr(msg, *needles))
            return true;
    return false;
}

enum stack_pull_failure stack_pull_classify(const char *message)
{
    static const char *const unreachable[] = {"dial tcp",
                                              "no such host",
                                              "connection refused",
                                              "i/o timeout",
                                              "network is unreachable",
                                              "no route to host",
                                              "TLS handshake timeout",
                                              "Client.Timeout exceeded",
                                              "server misbehaving",
                                              "connection reset by peer",
                                              "temporary failure in name resolution",
                                              "context deadline exceeded",
                                              NULL};
    /* Docker Hub says this for private and for missing repositories alike */
    static const char *const missing[] = {"manifest unknown",
                                          "not found",
                                          "does not exist",
                                          "name unknown",
                                          "no such image",
                                          "pull access denied",
                                          "repository name not known",
                                          NULL};
    static const char *const auth[] = {"unauthorized",
                                       "authentication required",
                                       "incorrect username or password",
                                       "denied",
                                       "forbidden",
                                       "no basic auth credentials",
                                       NULL};

    if (!message)
        return PULL_FAILURE_OTHER;
    if (has_any(message, unreachable))
        return PULL_FAILURE_UNREACHABLE;
    if (has_any(message, missing))
        return PULL_FAILURE_NOT_FOUND;
    if (has_any(message, auth))
        return PULL_FAILURE_AUTH;
    return PULL_FAILURE_OTHER;
}

const char *stack_pull_failure_name(enum stack_pull_failure f)
{
    switch (f) {
    case PULL_FAILURE_UNREACHABLE:
        return "registry unreachable";
    case PULL_FAILURE_NOT_FOUND:
        return "image not found";
    case PULL_FAILURE_AUTH:
        return "not authorized";
    case PULL_FAILURE_OTHER:
        break;
    }
    return NULL;
}

const char *stack_pull_failure_hint(enum stack_pull_failure f)
{
    switch (f) {
    case PULL_FAILURE_UNREACHABLE:
        return "no registry answers from this machine. On a registry-free machine, build the "
               "stand-in images with scripts/standin-images.sh (devstack/mariadb:10.11, "
               "devstack/nginx:bookworm, devstack/phpmyadmin:bookworm, "
               "devstack/python:3.11-fastapi) and point image: at them; 'devstack up --pull "
               "never' (or pull_policy: never) uses the images the engine has";
    case PULL_FAILURE_NOT_FOUND:
        return "check the image name and tag; a private image needs credentials ('docker "
               "login REGISTRY' stores them in ~/.docker/config.json)";
    case PULL_FAILURE_AUTH:
        return "log in with 'docker login REGISTRY'; devstack reads "
               "$DOCKER_CONFIG/config.json (default ~/.docker) as the docker CLI does: "
               "credHelpers, credsStore, then auths";
    case PULL_FAILURE_OTHER:
        break;
    }
    return NULL;
}

/* ---- which images ------------------------------------------------------------- */

void stack_pull_job_init(struct stack_pull_job *j, const char *ref, const char *platform)
{
    memset(j, 0, sizeof(*j));
    j->ref = xstrdup(ref);
    j->platform = platform ? xstrdup(platform) : NULL;
    strvec_init(&j->services);
    stack_pull_state_init(&j->state);
}

void stack_pull_job_release(struct stack_pull_job *j)
{
    free(j->ref);
    free(j->platform);
    strvec_clear(&j->services);
    stack_pull_state_release(&j->state);
    ds_error_release(&j->err);
    free(j->warning);
    memset(j, 0, sizeof(*j));
    strvec_init(&j->services);
}

void stack_pull_list_release(struct stack_pull_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        stack_pull_job_release(&l->jobs[i]);
    for (size_t i = 0; i < l->n_skipped; i++) {
        free(l->skipped[i].service);
        free(l->skipped[i].image);
        free(l->skipped[i].reason);
    }
    free(l->jobs);
    free(l->skipped);
    memset(l, 0, sizeof(*l));
}

static void skip(struct stack_pull_list *l, const struct compose_service *s, const char *reason)
{
    struct stack_pull_skip *k;

    l->skipped = xrealloc(l->skipped, (l->n_skipped + 1) * sizeof(*l->skipped));
    k = &l->skipped[l->n_skipped++];
    k->service = xstrdup(s->name);
    k->image = s->image ? xstrdup(s->image) : NULL;
    k->reason = xstrdup(reason);
}

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

int stack_pull_select(struct engine *e, const struct compose_project *p,
                      const struct strvec *services, struct stack_pull_list *out,
                      struct ds_error *err)
{
    return stack_pull_choose(e, p, services, 0, out, err);
}

int stack_pull_choose(struct engine *e, const struct compose_project *p,
                      const struct strvec *services, unsigned flags, struct stack_pull_list *out,
                      struct ds_error *err)
{
    bool named = services && services->n;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];
        const char *policy = s->pull_policy ? s->pull_policy : "";
        struct stack_pull_job *job = NULL;

        if (named ? !strvec_contains(services, s->name) : !s->enabled)
            continue;
        if (!s->image || !*s->image) {
            skip(out, s, "no image to pull (it is built from source)");
            continue;
        }
        if (s->build && (flags & STACK_PULL_IGNORE_BUILDABLE)) {
            skip(out, s, "the image can be built (--ignore-buildable)");
            continue;
        }
        if (!strcmp(policy, "never") || !strcmp(policy, "build")) {
            skip(out, s,
                 !strcmp(policy, "never") ? "pull_policy is never" : "pull_policy is build");
            continue;
        }
        if (e && (!strcmp(policy, "missing") || !strcmp(policy, "if_not_present"))) {
            struct engine_image_info info;
            int rc = engine_image_inspect(e, s->image, &info, err);

            engine_image_info_release(&info);
            if (rc == 0) {
                skip(out, s, "the image is present and pull_policy is missing");
                continue;
            }
            if (rc != DS_ENOTFOUND) {
                stack_pull_list_release(out);
                return ds_error_wrap(err, "service '%s': looking for image '%s'", s->name,
                                     s->image);
            }
            ds_error_release(err);
        }
        for (size_t k = 0; k < out->n && !job; k++)
            if (!strcmp(out->jobs[k].ref, s->image) && same(out->jobs[k].platform, s->platform))
                job = &out->jobs[k];
        if (!job) {
            out->jobs = xrealloc(out->jobs, (out->n + 1) * sizeof(*out->jobs));
            job = &out->jobs[out->n++];
            stack_pull_job_init(job, s->image, s->platform);
            job->optional = true;
        }
        strvec_push(&job->services, s->name);
        /* as Compose: an image the service can build instead is no reason to fail */
        job->optional = job->optional && s->build;
    }
    return 0;
}

/* ---- pulling, several at once ------------------------------------------------- */

struct puller {
    struct engine *e;
    struct stack_pull_job *jobs;
    size_t n, next;
    const struct stack_pull_options *o;
    pthread_mutex_t lock;
};

struct line_ctx {
    struct puller *pl;
    size_t index;
};

static bool interrupted(const struct puller *pl)
{
    return pl->o->cancel && *pl->o->cancel;
}

/* With the lock held. */
static void notify(struct puller *pl, size_t index)
{
    if (pl->o->on_update)
        pl->o->on_update(pl->jobs, pl->n, index, pl->o->ud);
}

static int on_line(const struct engine_progress *p, void *ud)
{
    struct line_ctx *c = ud;

    pthread_mutex_lock(&c->pl->lock);
    stack_pull_state_feed(&c->pl->jobs[c->index].state, p);
    notify(c->pl, c->index);
    pthread_mutex_unlock(&c->pl->lock);
    return 0;
}

/* engine_image_pull() says "pulling 'ref': why"; the job already names the image. */
static const char *reason_of(const struct ds_error *err, const char *ref)
{
    struct buf prefix = BUF_INIT;
    const char *msg = err->msg ? err->msg : "the pull failed", *rest = msg;

    buf_addf(&prefix, "pulling '%s': ", ref);
    str_skip_prefix(msg, prefix.buf, &rest);
    buf_release(&prefix);
    return rest;
}

/* The id of the image `ref` names on the engine, NULL when it has none. */
static char *image_id_of(struct engine *e, const char *ref)
{
    struct engine_image_info info;
    struct ds_error err = DS_ERROR_INIT;
    char *id = NULL;

    if (engine_image_inspect(e, ref, &info, &err) == 0) {
        id = info.id ? xstrdup(info.id) : NULL;
        engine_image_info_release(&info);
    }
    ds_error_release(&err);
    return id;
}

static void run_job(struct puller *pl, struct engine *e, const struct ds_error *clone_err,
                    size_t index)
{
    struct stack_pull_job *job = &pl->jobs[index];
    struct line_ctx ctx = {pl, index};
    struct ds_error err = DS_ERROR_INIT;
    char *auth = NULL, *warning = NULL, *before = NULL, *after;
    double start = clock_seconds();
    int rc;

    pthread_mutex_lock(&pl->lock);
    job->started = true;
    job->started_at = start;
    notify(pl, index);
    pthread_mutex_unlock(&pl->lock);

    if (!e) {
        rc = ds_error_set(&err, clone_err->code, "%s", clone_err->msg);
    } else {
        /* Podman never says "up to date": the image's id before and after the pull tells */
        if (engine_is_podman(e))
            before = image_id_of(e, job->ref);
        rc = engine_registry_auth(&auth, &warning, job->ref, pl->o->env, &err);
        if (rc == 0)
            rc = engine_image_pull(e, job->ref, job->platform, auth, on_line, &ctx, &err);
    }
    if (auth) {
        OPENSSL_cleanse(auth, strlen(auth));
        free(auth);
    }

    after = rc == 0 && before ? image_id_of(e, job->ref) : NULL;
    pthread_mutex_lock(&pl->lock);
    job->warning = warning;
    job->elapsed = clock_seconds() - start;
    if (rc < 0) {
        const char *hint;

        stack_pull_state_fail(&job->state,
                              rc == DS_EINTR ? "interrupted" : reason_of(&err, job->ref));
        job->failure = rc == DS_EINTR ? PULL_FAILURE_OTHER : stack_pull_classify(job->state.error);
        ds_error_set(&job->err, rc, "%s", job->state.error);
        hint = stack_pull_failure_hint(job->failure);
        if (hint)
            ds_error_hint(&job->err, "%s", hint);
        else if (err.hint)
            ds_error_hint(&job->err, "%s", err.hint);
    } else if (job->state.outcome == PULL_OUTCOME_PENDING) {
        /* Podman ends without a Status line */
        job->state.outcome =
                after && !strcmp(after, before) ? PULL_OUTCOME_UP_TO_DATE : PULL_OUTCOME_PULLED;
    }
    free(before);
    free(after);
    job->finished = true;
    notify(pl, index);
    pthread_mutex_unlock(&pl->lock);
    ds_error_release(&err);
}

static void *pull_worker(void *arg)
{
    struct puller *pl = arg;
    struct engine *e = NULL;
    struct ds_error clone_err = DS_ERROR_INIT;

    /* threads never share a client; a failed clone fails the jobs it takes, with its reason */
    engine_clone(&e, pl->e, &clone_err);
    for (;;) {
        size_t index;

        pthread_mutex_lock(&pl->lock);
        if (pl->next >= pl->n || interrupted(pl)) {
            pthread_mutex_unlock(&pl->lock);
            break;
        }
        index = pl->next++;
        pthread_mutex_unlock(&pl->lock);
        run_job(pl, e, &clone_err, index);
    }
    engine_free(e);
    ds_error_release(&clone_err);
    return NULL;
}

int stack_pull_images(struct engine *e, struct stack_pull_job *jobs, size_t n,
                      const struct stack_pull_options *o, struct ds_error *err)
{
    struct puller pl = {.e = e, .jobs = jobs, .n = n, .o = o};
    size_t n_threads = (size_t)(o->parallel > 0 ? o->parallel : PULL_PARALLEL);
    volatile sig_atomic_t *old;
    pthread_t *threads;
    int rc = 0;

    if (!n)
        return 0;
    if (n_threads > n)
        n_threads = n;
    /* the workers' clients are clones: they watch the flag the engine watches now */
    old = engine_set_cancel_flag(e, o->cancel);
    pthread_mutex_init(&pl.lock, NULL);
    threads = xcalloc(n_threads, sizeof(*threads));
    for (size_t i = 0; i < n_threads; i++)
        pthread_create(&threads[i], NULL, pull_worker, &pl);
    for (size_t i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    pthread_mutex_destroy(&pl.lock);
    engine_set_cancel_flag(e, old);

    if (interrupted(&pl))
        return ds_error_set(err, DS_EINTR, "interrupted");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct stack_pull_job *job = &jobs[i];
        const char *kind = stack_pull_failure_name(job->failure);

        if (!job->err.code || job->optional)
            continue;
        rc = ds_error_set(err, job->err.code, "service '%s': cannot pull '%s': %s%s%s",
                          job->services.n ? job->services.v[0] : "?", job->ref, kind ? kind : "",
                          kind ? ": " : "", job->err.msg);
        if (job->err.hint)
            ds_error_hint(err, "%s", job->err.hint);
    }
    return rc;
}
