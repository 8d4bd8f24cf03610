/* Building a service's image: the context as a tar stream to POST /build. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "engine/buildkit.h"
#include "engine/session.h"
#include "stack/build_order.h"
#include "stack/build_sources.h"
#include "stack/buildkit_view.h"
#include "stack/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/ignore.h"
#include "util/lines.h"
#include "util/strutil.h"
#include "util/tar.h"
#include "util/banned.h"

struct build_output {
    const struct stack_apply_options *ao;
    const char *service;
    struct lines lines;
    struct buf shown; /* one line without its carriage returns */
    /* BuildKit: */
    struct buildkit_view *view; /* the build's own, or the one of the builds it runs beside */
    struct buildkit_trace trace;
    struct buf plain;
    bool traced; /* a trace message came: BuildKit's `stream` repeats what they said */
    bool warned; /* about a progress message that did not decode */
};

static int on_output_line(const char *line, size_t len, bool split, void *ud)
{
    struct build_output *b = ud;

    (void)split;
    buf_reset(&b->shown);
    for (size_t i = 0; i < len; i++)
        if (line[i] != '\r')
            buf_addch(&b->shown, line[i]);
    if (b->shown.len)
        stack_emit(b->ao, EV_BUILD_OUTPUT, b->service, NULL, b->shown.buf, 0);
    return 0;
}

static void on_trace(struct build_output *b, const char *text)
{
    struct ds_error err = DS_ERROR_INIT;

    if (buildkit_trace_decode(&b->trace, text, strlen(text), &err) < 0) {
        /* the build goes on; what it shows misses a step's progress */
        if (!b->warned)
            stack_emit(b->ao, EV_WARNING, b->service, NULL, err.msg, 0);
        b->warned = true;
        ds_error_release(&err);
        return;
    }
    b->traced = true;
    /* builds beside this one update the same view: nothing reads it half-updated */
    stack_emit_hold();
    buf_reset(&b->plain);
    buildkit_view_update_as(b->view, b->service, &b->trace, &b->plain);
    stack_emit_build(b->ao, EV_BUILD_TRACE, b->service, NULL, b->view, b->plain.buf, 0);
    stack_emit_release();
}

static int on_build_line(const struct engine_progress *p, void *ud)
{
    struct build_output *b = ud;

    if (p->id && !strcmp(p->id, "moby.buildkit.trace") && cJSON_IsString(p->aux)) {
        on_trace(b, p->aux->valuestring);
        return 0;
    }
    /* `stream` pieces are not lines: join them and report whole lines (BuildKit's say "Successfully
     * tagged" again) */
    if (p->stream && !b->traced)
        lines_feed(&b->lines, p->stream, strlen(p->stream), on_output_line, b);
    return 0;
}

/*
 * Why devstack cannot act on a build key that needs more of BuildKit than
 * POST /build?version=2 with a session serving secrets and ssh offers (the
 * session's file sync, an exporter, an entitlement). secrets and ssh are
 * served (build_sources.c, engine/session.c).
 */
static const struct {
    const char *key, *why, *instead;
} buildkit_only[BUILD_KEY_COUNT] = {
        [BUILD_KEY_PRIVILEGED] = {"privileged",
                                  "RUN steps run privileged only under BuildKit (its "
                                  "security.insecure entitlement)",
                                  NULL},
        [BUILD_KEY_CACHE_TO] = {"cache_to",
                                "exporting the build cache needs BuildKit's cache "
                                "exporter",
                                NULL},
        [BUILD_KEY_ADDITIONAL_CONTEXTS] = {"additional_contexts",
                                           "named contexts are sent by a BuildKit session's "
                                           "file sync",
                                           NULL},
        [BUILD_KEY_ENTITLEMENTS] = {"entitlements", "entitlements are granted by BuildKit", NULL},
};

/* The first additional context of a kind (a prefix): an image or a service has a way round. */
static const struct kv *first_context(const struct compose_build *b, const char *kind)
{
    for (size_t i = 0; i < b->additional_contexts.n; i++)
        if (str_starts_with(b->additional_contexts.items[i].value, kind))
            return &b->additional_contexts.items[i];
    return NULL;
}

/* The classic builder has no session: Compose's refusal, at the key. */
static int refuse_classic(const struct compose_service *s, struct ds_error *err)
{
    const struct compose_build *b = s->build;
    enum compose_build_buildkit_key k = b->n_secrets ? BUILD_KEY_SECRETS : BUILD_KEY_SSH;
    const struct compose_pos *at = &b->buildkit_pos[k];

    ds_error_set(err, DS_EUNSUPPORTED,
                 "%s:%d:%d: services.%s.build.%s: the classic builder doesn't support %s; "
                 "BuildKit does",
                 at->file, at->line, at->col, s->name, k == BUILD_KEY_SECRETS ? "secrets" : "ssh",
                 k == BUILD_KEY_SECRETS ? "secrets" : "SSH keys");
    ds_error_hint(err, "%s",
                  getenv("DOCKER_BUILDKIT")
                          ? "DOCKER_BUILDKIT chose the classic builder: unset it, or set "
                            "DOCKER_BUILDKIT=1"
                          : "this engine has no BuildKit (API 1.39, Docker 18.09, or newer)");
    return DS_EUNSUPPORTED;
}

static bool classic_asked(void)
{
    const char *env = getenv("DOCKER_BUILDKIT");

    return env && *env && (!strcmp(env, "0") || !strcasecmp(env, "false"));
}

int stack_build_check(const struct compose_project *p, const struct compose_service *s,
                      struct ds_error *err)
{
    const struct compose_build *b = s->build;
    const struct compose_pos *at;
    const struct kv *ctx;
    struct stack_build_sources sources = STACK_BUILD_SOURCES_INIT;
    int rc;

    if (!b)
        return 0;
    for (int k = 0; k < BUILD_KEY_COUNT; k++) {
        at = &b->buildkit_pos[k];
        if (!at->line || !buildkit_only[k].key)
            continue;
        ds_error_set(err, DS_EUNSUPPORTED,
                     "%s:%d:%d: services.%s.build.%s: %s, and devstack's builder (the Engine "
                     "API's /build, with a session for secrets and ssh) does not do that: not "
                     "supported yet",
                     at->file, at->line, at->col, s->name, buildkit_only[k].key,
                     buildkit_only[k].why);
        if (k == BUILD_KEY_ADDITIONAL_CONTEXTS && (ctx = first_context(b, "docker-image://")))
            ds_error_hint(err,
                          "where the Dockerfile names '%s' (FROM, COPY --from=), write the image "
                          "'%s' itself; or remove build.%s, or build this service with `docker "
                          "compose build %s`",
                          ctx->key, ctx->value + strlen("docker-image://"), buildkit_only[k].key,
                          s->name);
        else if (k == BUILD_KEY_ADDITIONAL_CONTEXTS && (ctx = first_context(b, "service:")))
            ds_error_hint(err,
                          "where the Dockerfile names '%s' (FROM, COPY --from=), write the image "
                          "service '%s' builds (and build it first); or "
                          "remove build.%s, or build this service with `docker compose build %s`",
                          ctx->key, ctx->value + strlen("service:"), buildkit_only[k].key, s->name);
        else if (buildkit_only[k].instead)
            ds_error_hint(err,
                          "%s; or remove build.%s, or build this service with `docker "
                          "compose build %s`",
                          buildkit_only[k].instead, buildkit_only[k].key, s->name);
        else
            ds_error_hint(err,
                          "remove build.%s, or build this service with `docker compose build "
                          "%s`",
                          buildkit_only[k].key, s->name);
        return DS_EUNSUPPORTED;
    }
    if (b->platforms.n > 1) {
        at = &b->platforms_pos;
        ds_error_set(err, DS_EUNSUPPORTED,
                     "%s:%d:%d: services.%s.build.platforms: %zu platforms: a multi-platform "
                     "image needs BuildKit's image exporter, and devstack builds one platform",
                     at->file, at->line, at->col, s->name, b->platforms.n);
        ds_error_hint(err,
                      "keep one platform in build.platforms, or build this service with "
                      "`docker compose build %s`",
                      s->name);
        return DS_EUNSUPPORTED;
    }
    if (!stack_build_needs_session(s))
        return 0;
    if (classic_asked())
        return refuse_classic(s, err);
    /* resolved here to be checked before anything is built; read again for the build */
    rc = stack_build_sources_resolve(&sources, p, s, getenv("SSH_AUTH_SOCK"), false, err);
    stack_build_sources_release(&sources);
    return rc;
}

/* A Dockerfile is text a person wrote; one larger than this is a mistake. */
#define DOCKERFILE_MAX (16u << 20)

/* Is `rel` (the Dockerfile, relative to the context) inside the context? */
static bool stays_inside(const char *rel)
{
    int depth = 0;
    struct strvec parts = STRVEC_INIT;
    bool ok = rel[0] != '/';

    strvec_split(&parts, rel, '/');
    for (size_t i = 0; i < parts.n && ok; i++) {
        if (!strcmp(parts.v[i], ".."))
            ok = --depth >= 0;
        else if (strcmp(parts.v[i], "."))
            depth++;
    }
    strvec_clear(&parts);
    return ok;
}

/*
 * The name dockerfile_inline goes under in the context: hidden, from the
 * text's SHA-256 (the same text, the same name), and no file of a real
 * context is called that.
 */
static char *inline_dockerfile_name(const char *text)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    struct buf name = BUF_INIT;

    EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
    buf_adds(&name, ".dockerfile.inline.");
    for (unsigned int i = 0; i < 10 && i < len; i++)
        buf_addf(&name, "%02x", md[i]);
    return buf_detach(&name, NULL);
}

/*
 * Put the inline Dockerfile into the context under `name`, and `name` into
 * the context's .dockerignore, so that the engine leaves it out of what
 * COPY and ADD see, as the docker CLI does with a Dockerfile from stdin.
 */
static int add_inline_dockerfile(struct tar_stream *tar, const char *context, const char *name,
                                 const char *text, struct ds_error *err)
{
    struct buf ignore = BUF_INIT, path = BUF_INIT;
    struct stat st;
    long long mtime = 0;
    int rc;

    buf_addf(&path, "%s/.dockerignore", context);
    if (lstat(path.buf, &st) == 0 && S_ISREG(st.st_mode)) {
        rc = buf_read_file(&ignore, path.buf, 1 << 20);
        if (rc < 0) {
            rc = ds_error_errno(err, -rc, "cannot read '%s'", path.buf);
            goto done;
        }
        mtime = (long long)st.st_mtime;
        if (ignore.len && ignore.buf[ignore.len - 1] != '\n')
            buf_addch(&ignore, '\n');
    }
    buf_addf(&ignore, "%s\n", name);
    rc = tar_stream_add_file(tar, ".dockerignore", ignore.buf, ignore.len, 0644, mtime);
    if (rc == 0)
        rc = tar_stream_add_file(tar, name, text, strlen(text), 0644, 0);
    if (rc < 0)
        rc = ds_error_set(err, DS_EINVAL, "cannot add the inline Dockerfile to the context");
done:
    buf_release(&ignore);
    buf_release(&path);
    return rc;
}

/*
 * BuildKit, as the docker CLI and Compose choose it: DOCKER_BUILDKIT when
 * set (0 or false: the classic builder), else the builder /_ping names
 * (Builder-Version), else every engine whose API has it (1.39, Docker 18.09)
 * but Podman, which builds with Buildah behind the classic API whatever its
 * API version says (it takes version=2 and answers as the classic builder).
 */
bool stack_build_uses_buildkit(struct engine *e)
{
    const char *env = getenv("DOCKER_BUILDKIT");

    if (env && *env)
        return strcmp(env, "0") && strcasecmp(env, "false");
    if (engine_builder_version(e))
        return engine_builder_version(e) == 2;
    return !engine_is_podman(e) && engine_server_api_version(e) >= 1039;
}

/*
 * What BuildKit, reached through /build without a session, would get wrong
 * and the classic builder gets right: it leaves the hidden file an inline
 * Dockerfile (or one outside the context) travels as in what COPY sees,
 * where the classic builder applies the .dockerignore that hides it; and
 * Engine 20.10's ignores shm_size and ulimits. Such a build goes to the
 * classic builder unless DOCKER_BUILDKIT asks otherwise. (A Dockerfile the
 * .dockerignore names, as a "*" with exceptions does, stays with BuildKit:
 * only a COPY of the whole context would see it.)
 */
static bool needs_classic(const struct compose_build *b, bool inline_dockerfile)
{
    return inline_dockerfile || b->shm_size > 0 || b->n_ulimits;
}

/* BuildKit's clock: nanoseconds since the epoch. */
static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One build, its BuildKit progress into `view` (which other builds may share). */
static int build_one(struct engine *e, const struct compose_project *p,
                     const struct compose_service *s, const struct stack_options *opts,
                     const struct stack_apply_options *ao, struct buildkit_view *view,
                     struct ds_error *err)
{
    const struct compose_build *b = s->build;
    const char *dockerfile = b->dockerfile ? b->dockerfile : "Dockerfile";
    const char *always[] = {dockerfile, ".dockerignore", NULL};
    struct engine_build_opts o = {.tags = STRVEC_INIT, .dockerfile = dockerfile};
    struct build_output out = {.ao = ao,
                               .service = s->name,
                               .lines = LINES_INIT,
                               .shown = BUF_INIT,
                               .view = view,
                               .plain = BUF_INIT};
    struct engine_ulimit *ulimits = NULL;
    struct ignore *ig = NULL;
    struct tar_stream *tar = NULL;
    struct buf path = BUF_INIT;
    struct stat st;
    char *ref = stack_image_ref(p, s), *id = NULL, *inline_name = NULL;
    struct buf outside = BUF_INIT, failure = BUF_INIT;
    char *failed_step = NULL;
    const char *text = NULL; /* the Dockerfile sent under inline_name */
    struct stack_build_sources sources = STACK_BUILD_SOURCES_INIT;
    struct engine_session *session = NULL;
    double since = clock_seconds();
    int rc = stack_build_check(p, s, err);

    if (rc < 0)
        goto done;
    if (strstr(b->context, "://") || str_starts_with(b->context, "git@")) {
        rc = ds_error_set(err, DS_EUNSUPPORTED,
                          "service '%s': building from a remote context ('%s') is not supported",
                          s->name, b->context);
        goto done;
    }
    if (stat(b->context, &st) < 0 || !S_ISDIR(st.st_mode)) {
        rc = ds_error_set(err, DS_ENOTFOUND,
                          "service '%s': the build context '%s' does not exist or is not a "
                          "directory",
                          s->name, b->context);
        goto done;
    }
    if (b->dockerfile_inline) {
        text = b->dockerfile_inline;
        inline_name = inline_dockerfile_name(text);
        o.dockerfile = inline_name;
        always[0] = ".dockerignore";
        always[1] = NULL;
    } else {
        if (dockerfile[0] == '/')
            buf_adds(&path, dockerfile);
        else
            buf_addf(&path, "%s/%s", b->context, dockerfile);
        if (stat(path.buf, &st) < 0 || !S_ISREG(st.st_mode)) {
            rc = ds_error_set(err, DS_ENOTFOUND, "service '%s': no Dockerfile at '%s'", s->name,
                              path.buf);
            goto done;
        }
    }
    if (!b->dockerfile_inline && !stays_inside(dockerfile)) {
        /* outside the context: sent inside it as an inline one, as the docker CLI and Compose do */
        rc = buf_read_file(&outside, path.buf, DOCKERFILE_MAX);
        if (rc < 0) {
            rc = ds_error_errno(err, -rc, "service '%s': cannot read the Dockerfile '%s'", s->name,
                                path.buf);
            goto done;
        }
        text = outside.buf;
        inline_name = inline_dockerfile_name(text);
        o.dockerfile = inline_name;
        always[0] = ".dockerignore";
        always[1] = NULL;
    }
    rc = ignore_load(&ig, b->context, err);
    if (rc == 0)
        rc = tar_stream_open(&tar, b->context, ig, always, err);
    if (rc == 0 && inline_name)
        rc = add_inline_dockerfile(tar, b->context, inline_name, text, err);
    if (rc < 0) {
        ds_error_wrap(err, "service '%s'", s->name);
        goto done;
    }

    /* the image's name first, then every tag of build.tags */
    strvec_push(&o.tags, ref);
    for (size_t i = 0; i < b->tags.n; i++)
        if (!strvec_contains(&o.tags, b->tags.v[i]))
            strvec_push(&o.tags, b->tags.v[i]);
    o.target = b->target;
    /* one platform of build.platforms (the service's, when it has one: compose_load checked) */
    o.platform = b->platforms.n == 1 ? b->platforms.v[0] : s->platform;
    o.cache_from = &b->cache_from;
    o.network = b->network;
    o.no_cache = b->no_cache || opts->build_no_cache;
    o.pull = b->pull || opts->build_pull;
    o.extra_hosts = &b->extra_hosts;
    o.shm_size = b->shm_size;
    o.isolation = b->isolation;
    ulimits = xcalloc(b->n_ulimits + 1, sizeof(*ulimits));
    for (size_t i = 0; i < b->n_ulimits; i++) {
        ulimits[i].name = b->ulimits[i].name;
        ulimits[i].soft = b->ulimits[i].soft;
        ulimits[i].hard = b->ulimits[i].hard;
    }
    o.ulimits = ulimits;
    o.n_ulimits = b->n_ulimits;
    for (size_t i = 0; i < b->args.n; i++) {
        const struct kv *kv = &b->args.items[i];
        /* an arg without a value takes the environment's, as Compose does */
        const char *v = kv->value ? kv->value : kvlist_get(&p->environment, kv->key);

        if (v)
            kvlist_set(&o.build_args, kv->key, v);
    }
    if (opts->build_args)
        kvlist_copy(&o.build_args, opts->build_args);
    kvlist_copy(&o.labels, &b->labels);
    kvlist_set(&o.labels, LABEL_PROJECT, p->name);
    kvlist_set(&o.labels, LABEL_SERVICE, s->name);

    /* secrets and ssh need BuildKit's session: they win over what would choose the classic builder
     */
    o.buildkit = stack_build_uses_buildkit(e) &&
                 (getenv("DOCKER_BUILDKIT") || stack_build_needs_session(s) ||
                  !needs_classic(b, inline_name != NULL));
    if (stack_build_needs_session(s)) {
        if (!o.buildkit) {
            rc = refuse_classic(s, err);
            goto done;
        }
        rc = stack_build_sources_resolve(&sources, p, s, getenv("SSH_AUTH_SOCK"), true, err);
        if (rc == 0)
            rc = engine_session_start(&session, e, s->name, &sources.view, ao->cancel, err);
        if (rc < 0) {
            ds_error_wrap(err, "service '%s'", s->name);
            goto done;
        }
        o.session = engine_session_id(session);
    }
    /* a BuildKit build is announced with its view and ends with it, BUILT or BUILD_FAILED */
    stack_emit_build(ao, EV_BUILDING, s->name, ref, o.buildkit ? view : NULL, NULL, 0);
    rc = engine_image_build(e, &o, tar_stream_read, tar, on_build_line, &out, &id, err);
    /* the build is over: nothing asks the session for anything more */
    engine_session_free(session);
    session = NULL;
    lines_flush(&out.lines, on_output_line, &out);
    if (rc < 0 && o.buildkit) {
        const struct buildkit_view_step *failed;

        stack_emit_hold();
        /* what still ran is CANCELED: plain lines of their own, then the failure */
        buf_reset(&out.plain);
        buildkit_view_cancel_as(view, s->name, now_ns(), &out.plain);
        if (out.plain.len)
            stack_emit_build(ao, EV_BUILD_TRACE, s->name, NULL, view, out.plain.buf, 0);
        failed = buildkit_view_failed_as(view, s->name);
        buildkit_view_step_failure(failed, &failure);
        failed_step = failed ? xstrdup(failed->name) : NULL;
        stack_emit_build(ao, EV_BUILD_FAILED, s->name, ref, view, failure.buf, since);
        stack_emit_release();
        if (failed_step)
            ds_error_wrap(err, "build failed at '%s'", failed_step);
    }
    if (rc < 0 && tar_stream_error(tar) && tar_stream_error(tar)->msg) {
        ds_error_set(err, DS_EIO, "%s", tar_stream_error(tar)->msg);
        rc = DS_EIO;
    }
    if (rc < 0 && o.buildkit && err->msg && strstr(err->msg, "dockerfile parse error") &&
        engine_api_version(e) < ENGINE_API_DOCKERFILE_1_4)
        ds_error_hint(err, "this engine's own Dockerfile frontend predates COPY --link, heredocs "
                           "and other newer Dockerfile syntax: Docker Engine 23.0 or newer has "
                           "them (a `# syntax=docker/dockerfile:1` line would fetch a newer "
                           "frontend from a registry)");
    if (rc < 0 && !o.buildkit && err->msg && strstr(err->msg, "requires BuildKit"))
        ds_error_hint(err, "%s",
                      getenv("DOCKER_BUILDKIT")
                              ? "DOCKER_BUILDKIT=0 chose the classic builder: unset it to build "
                                "with BuildKit"
                              : "this engine has no BuildKit (API 1.39, Docker 18.09, or newer)");
    if (rc < 0) {
        ds_error_wrap(err, "service '%s'", s->name);
        goto done;
    }
    stack_emit_build(ao, EV_BUILT, s->name, ref, o.buildkit ? view : NULL, NULL, since);

done:
    engine_session_free(session);
    stack_build_sources_release(&sources);
    tar_stream_free(tar);
    ignore_free(ig);
    strvec_clear(&o.tags);
    kvlist_clear(&o.build_args);
    kvlist_clear(&o.labels);
    lines_release(&out.lines);
    buf_release(&out.shown);
    buildkit_trace_release(&out.trace);
    buf_release(&failure);
    free(failed_step);
    buf_release(&out.plain);
    buf_release(&path);
    free(ulimits); /* the names are the model's */
    free(inline_name);
    buf_release(&outside);
    free(ref);
    free(id);
    return rc;
}

int stack_build(struct engine *e, const struct compose_project *p, const struct compose_service *s,
                const struct stack_options *opts, const struct stack_apply_options *ao,
                struct ds_error *err)
{
    struct buildkit_view view;
    int rc;

    buildkit_view_init(&view, s->name);
    rc = build_one(e, p, s, opts, ao, &view, err);
    buildkit_view_release(&view);
    return rc;
}

/* ---- several builds at once ------------------------------------------------------ */

/* How often the clock of a build's panel moves while no message comes. */
#define TICK_MS 100

struct build_run;

struct build_job {
    const struct compose_service *s;
    struct build_run *r;
    size_t index;
    pthread_t thread;
    struct ds_error err;
    unsigned failed_as; /* the how-manieth failure it was; 0: none */
    bool joinable;      /* its thread started */
};

struct build_run {
    struct engine *e;
    const struct compose_project *p;
    const struct stack_options *opts;
    const struct stack_apply_options *ao;
    struct buildkit_view view; /* all of them, as buildx shows a bake */
    struct build_job *jobs;
    enum stack_build_state *states;
    size_t n, running;
    unsigned failures;
    volatile sig_atomic_t stop; /* a build failed, or the user interrupted: the others end */
    pthread_mutex_t lock;
    pthread_cond_t changed;
};

static void *build_job_main(void *arg)
{
    struct build_job *j = arg;
    struct build_run *r = j->r;
    struct engine *e = NULL;
    int rc = engine_clone(&e, r->e, &j->err);

    if (rc == 0) {
        engine_set_cancel_flag(e, &r->stop);
        rc = build_one(e, r->p, j->s, r->opts, r->ao, &r->view, &j->err);
    }
    engine_free(e);
    pthread_mutex_lock(&r->lock);
    r->states[j->index] = rc < 0 ? BUILD_FAILED : BUILD_DONE;
    if (rc < 0) {
        j->failed_as = ++r->failures;
        /* as Compose: the first failure cancels the builds that run beside it */
        r->stop = 1;
    }
    r->running--;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* COMPOSE_PARALLEL_LIMIT, as Compose reads it: an integer, 0 or less for no limit. */
static int parallel_limit(int asked, size_t *limit, struct ds_error *err)
{
    const char *env = getenv("COMPOSE_PARALLEL_LIMIT");
    int v = 0;

    *limit = asked > 0 ? (size_t)asked : 0;
    if (asked > 0 || !env)
        return 0;
    if (str_to_int(env, -1000000, 1000000, &v) < 0)
        return ds_error_set(err, DS_EINVAL,
                            "COMPOSE_PARALLEL_LIMIT must be an integer (found: "
                            "\"%s\")",
                            env);
    *limit = v > 0 ? (size_t)v : 0;
    return 0;
}

/* The images the Dockerfile of s reads (none when it cannot be read: its build says why). */
static void read_dockerfile_images(const struct compose_service *s, struct strvec *out)
{
    const struct compose_build *b = s->build;
    const char *dockerfile = b->dockerfile ? b->dockerfile : "Dockerfile";
    struct buf path = BUF_INIT, text = BUF_INIT;

    if (b->dockerfile_inline) {
        stack_dockerfile_images(b->dockerfile_inline, out);
        return;
    }
    if (dockerfile[0] == '/')
        buf_adds(&path, dockerfile);
    else
        buf_addf(&path, "%s/%s", b->context, dockerfile);
    if (buf_read_file(&text, path.buf, DOCKERFILE_MAX) >= 0)
        stack_dockerfile_images(text.buf, out);
    buf_release(&path);
    buf_release(&text);
}

/*
 * Which build waits for which: every enabled service of the project takes
 * part, as in Compose's walk of depends_on; a service's Dockerfile that
 * reads the image another service builds waits for it too.
 */
static int order_builds(const struct compose_project *p, const struct strvec *names, bool **after,
                        size_t **index, size_t *n_nodes, struct ds_error *err)
{
    struct stack_build_node *nodes = xcalloc(p->n_services + 1, sizeof(*nodes));
    struct strvec *deps = xcalloc(p->n_services + 1, sizeof(*deps));
    struct strvec *reads = xcalloc(p->n_services + 1, sizeof(*reads));
    char **images = xcalloc(p->n_services + 1, sizeof(*images));
    bool *all = NULL;
    size_t n = 0;
    int rc;

    *index = xcalloc(names->n + 1, sizeof(**index));
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];
        bool built = strvec_contains(names, s->name);

        if (!s->enabled && !built)
            continue;
        strvec_init(&deps[n]);
        strvec_init(&reads[n]);
        for (size_t d = 0; d < s->n_depends_on; d++)
            strvec_push(&deps[n], s->depends_on[d].service);
        if (built)
            read_dockerfile_images(s, &reads[n]);
        images[n] = stack_image_ref(p, s);
        nodes[n] = (struct stack_build_node){s->name, images[n], &deps[n], &reads[n], built};
        n++;
    }
    all = xcalloc(n * n + 1, sizeof(*all));
    rc = stack_build_order(nodes, n, all, err);
    /* the jobs in the order of `names`, each with what it waits for */
    *after = xcalloc(names->n * names->n + 1, sizeof(**after));
    for (size_t i = 0; i < names->n; i++)
        for (size_t k = 0; k < n; k++)
            if (!strcmp(nodes[k].name, names->v[i]))
                (*index)[i] = k;
    for (size_t i = 0; i < names->n; i++)
        for (size_t k = 0; k < names->n; k++)
            (*after)[i * names->n + k] = all[(*index)[i] * n + (*index)[k]];
    for (size_t i = 0; i < n; i++) {
        strvec_clear(&deps[i]);
        strvec_clear(&reads[i]);
        free(images[i]);
    }
    free(nodes);
    free(deps);
    free(reads);
    free(images);
    free(all);
    *n_nodes = n;
    return rc;
}

/*
 * The error of the first build to fail; the builds it cancelled fail with
 * DS_EINTR after it, and are not what went wrong.
 */
static int first_failure(const struct build_run *r, struct ds_error *err)
{
    const struct ds_error *first = NULL;
    unsigned at = 0;

    for (size_t i = 0; i < r->n; i++) {
        const struct build_job *j = &r->jobs[i];
        bool cancelled = j->err.code == DS_EINTR;

        if (!j->failed_as)
            continue;
        if (!first || (first->code == DS_EINTR && !cancelled) ||
            ((first->code == DS_EINTR) == cancelled && j->failed_as < at)) {
            first = &j->err;
            at = j->failed_as;
        }
    }
    ds_error_set(err, first->code ? first->code : DS_ERR, "%s", first->msg ? first->msg : "failed");
    if (first->hint)
        ds_error_hint(err, "%s", first->hint);
    return err->code;
}

int stack_build_run(struct engine *e, const struct compose_project *p, const struct strvec *names,
                    const struct stack_options *opts, const struct stack_apply_options *ao,
                    size_t *built, struct ds_error *err)
{
    struct build_run r = {.e = e, .p = p, .opts = opts, .ao = ao, .n = names->n};
    bool *after = NULL;
    size_t *index = NULL, n_nodes = 0, limit = 0, n_built = 0;
    bool interrupted = false;
    int rc = parallel_limit(ao->parallel, &limit, err), next;

    if (rc == 0)
        rc = order_builds(p, names, &after, &index, &n_nodes, err);
    free(index);
    if (rc < 0 || !names->n) {
        free(after);
        return rc;
    }
    buildkit_view_init(&r.view, NULL);
    r.jobs = xcalloc(r.n, sizeof(*r.jobs));
    r.states = xcalloc(r.n, sizeof(*r.states));
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.changed, NULL);
    for (size_t i = 0; i < r.n; i++) {
        r.jobs[i].s = compose_find_service(p, names->v[i]);
        r.jobs[i].r = &r;
        r.jobs[i].index = i;
        r.jobs[i].err = (struct ds_error)DS_ERROR_INIT;
    }

    pthread_mutex_lock(&r.lock);
    for (;;) {
        struct timespec until;

        if (ao->cancel && *ao->cancel && !interrupted) {
            interrupted = true;
            r.stop = 1;
        }
        while (!r.stop && (next = stack_build_next(after, r.states, r.n, limit)) >= 0) {
            int e_thread;

            r.states[next] = BUILD_RUNNING;
            r.running++;
            r.jobs[next].joinable = true;
            e_thread = pthread_create(&r.jobs[next].thread, NULL, build_job_main, &r.jobs[next]);
            if (e_thread) {
                ds_error_errno(&r.jobs[next].err, e_thread, "service '%s': cannot start its build",
                               names->v[next]);
                r.states[next] = BUILD_FAILED;
                r.jobs[next].failed_as = ++r.failures;
                r.jobs[next].joinable = false;
                r.running--;
                r.stop = 1;
            }
        }
        if (!r.running)
            break;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&r.changed, &r.lock, &until) == ETIMEDOUT) {
            /* no message for a while: a terminal's panel still shows the time go by */
            pthread_mutex_unlock(&r.lock);
            stack_emit_build(ao, EV_BUILD_TICK, NULL, NULL, &r.view, NULL, 0);
            pthread_mutex_lock(&r.lock);
        }
    }
    pthread_mutex_unlock(&r.lock);
    for (size_t i = 0; i < r.n; i++)
        if (r.jobs[i].joinable)
            pthread_join(r.jobs[i].thread, NULL);

    if (r.failures && !interrupted)
        rc = first_failure(&r, err);
    else if (r.failures || interrupted)
        rc = ds_error_set(err, DS_EINTR, "interrupted");
    for (size_t i = 0; i < r.n; i++) {
        n_built += r.states[i] == BUILD_DONE;
        ds_error_release(&r.jobs[i].err);
    }
    if (built)
        *built = n_built;
    pthread_mutex_destroy(&r.lock);
    pthread_cond_destroy(&r.changed);
    buildkit_view_release(&r.view);
    free(r.jobs);
    free(r.states);
    free(after);
    return rc;
}

int stack_build_services(struct engine *e, const struct compose_project *p,
                         const struct strvec *services, const struct stack_options *opts,
                         const struct stack_apply_options *ao, size_t *built, struct ds_error *err)
{
    volatile sig_atomic_t *old = engine_set_cancel_flag(e, ao->cancel);
    bool named = services && services->n;
    struct strvec names = STRVEC_INIT;
    int rc = compose_check_services(p, services, err);

    /* what the builder cannot do is refused before anything is built */
    for (size_t i = 0; rc == 0 && i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];

        if (s->build && (named ? strvec_contains(services, s->name) : s->enabled))
            rc = stack_build_check(p, s, err);
    }
    for (size_t i = 0; rc == 0 && i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];

        if (named ? !strvec_contains(services, s->name) : !s->enabled)
            continue;
        if (!s->build) {
            if (named)
                stack_emit(ao, EV_WARNING, s->name, NULL,
                           "it has no build section; nothing to build", 0);
            continue;
        }
        strvec_push(&names, s->name);
    }
    if (built)
        *built = 0;
    if (rc == 0)
        rc = stack_build_run(e, p, &names, opts, ao, built, err);
    strvec_clear(&names);
    engine_set_cancel_flag(e, old);
    return rc;
}
