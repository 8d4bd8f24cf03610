/* Building a service's image: the context as a tar stream to POST /build. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static int on_build_line(const struct engine_progress *p, void *ud)
{
    struct build_output *b = ud;

    /* `stream` pieces are not lines: join them and report whole lines */
    if (p->stream)
        lines_feed(&b->lines, p->stream, strlen(p->stream), on_output_line, b);
    return 0;
}

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

int stack_build(struct engine *e, const struct compose_project *p, const struct compose_service *s,
                const struct stack_options *opts, const struct stack_apply_options *ao,
                struct ds_error *err)
{
    const struct compose_build *b = s->build;
    const char *dockerfile = b->dockerfile ? b->dockerfile : "Dockerfile";
    const char *always[] = {dockerfile, ".dockerignore", NULL};
    struct engine_build_opts o = {.tags = STRVEC_INIT, .dockerfile = dockerfile};
    struct build_output out = {ao, s->name, LINES_INIT, BUF_INIT};
    struct ignore *ig = NULL;
    struct tar_stream *tar = NULL;
    struct buf path = BUF_INIT;
    struct stat st;
    char *ref = stack_image_ref(p, s), *id = NULL;
    double since = clock_seconds();
    int rc;

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
    if (!stays_inside(dockerfile)) {
        rc = ds_error_set(err, DS_EINVAL,
                          "service '%s': the Dockerfile '%s' is outside the build context '%s'",
                          s->name, dockerfile, b->context);
        ds_error_hint(err, "give build.dockerfile relative to build.context, inside it");
        goto done;
    }
    buf_addf(&path, "%s/%s", b->context, dockerfile);
    if (stat(path.buf, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = ds_error_set(err, DS_ENOTFOUND, "service '%s': no Dockerfile at '%s'", s->name,
                          path.buf);
        goto done;
    }
    rc = ignore_load(&ig, b->context, err);
    if (rc == 0)
        rc = tar_stream_open(&tar, b->context, ig, always, err);
    if (rc < 0) {
        ds_error_wrap(err, "service '%s'", s->name);
        goto done;
    }

    strvec_push(&o.tags, ref);
    o.target = b->target;
    o.platform = s->platform;
    o.cache_from = &b->cache_from;
    o.network = b->network;
    o.no_cache = b->no_cache || opts->build_no_cache;
    o.pull = b->pull || opts->build_pull;
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

    stack_emit(ao, EV_BUILDING, s->name, ref, NULL, 0);
    rc = engine_image_build(e, &o, tar_stream_read, tar, on_build_line, &out, &id, err);
    lines_flush(&out.lines, on_output_line, &out);
    if (rc < 0 && tar_stream_error(tar) && tar_stream_error(tar)->msg) {
        ds_error_set(err, DS_EIO, "%s", tar_stream_error(tar)->msg);
        rc = DS_EIO;
    }
    if (rc < 0) {
        ds_error_wrap(err, "service '%s'", s->name);
        goto done;
    }
    stack_emit(ao, EV_BUILT, s->name, ref, NULL, since);

done:
    tar_stream_free(tar);
    ignore_free(ig);
    strvec_clear(&o.tags);
    kvlist_clear(&o.build_args);
    kvlist_clear(&o.labels);
    lines_release(&out.lines);
    buf_release(&out.shown);
    buf_release(&path);
    free(ref);
    free(id);
    return rc;
}

int stack_build_services(struct engine *e, const struct compose_project *p,
                         const struct strvec *services, const struct stack_options *opts,
                         const struct stack_apply_options *ao, size_t *built, struct ds_error *err)
{
    volatile sig_atomic_t *old = engine_set_cancel_flag(e, ao->cancel);
    bool named = services && services->n;
    size_t n = 0;
    int rc = compose_check_services(p, services, err);

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
        rc = stack_build(e, p, s, opts, ao, err);
        if (rc == 0)
            n++;
    }
    engine_set_cancel_flag(e, old);
    if (built)
        *built = n;
    return rc;
}
