/* Images: inspect, list, remove, pull, build and import. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

void engine_image_info_from_json(const cJSON *doc, struct engine_image_info *out)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(doc, "RepoTags"), *t;
    const cJSON *config = json_obj(doc, "Config");
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(doc, "Created");

    memset(out, 0, sizeof(*out));
    strvec_init(&out->repo_tags);
    strvec_init(&out->volumes);
    out->id = json_strdup(doc, "Id");
    out->os = json_strdup(doc, "Os");
    out->architecture = json_strdup(doc, "Architecture");
    out->size = json_int(doc, "Size", 0);
    out->last_tag_time = json_strdup(json_obj(doc, "Metadata"), "LastTagTime");
    if (cJSON_IsString(created)) {
        out->created = xstrdup(created->valuestring);
    } else if (cJSON_IsNumber(created)) {
        struct buf b = BUF_INIT;
        buf_addf(&b, "%lld", (long long)json_int(doc, "Created", 0));
        out->created = buf_detach(&b, NULL);
    }
    if (cJSON_IsArray(tags)) {
        cJSON_ArrayForEach(t, tags)
        {
            if (cJSON_IsString(t) && strcmp(t->valuestring, "<none>:<none>"))
                strvec_push(&out->repo_tags, t->valuestring);
        }
    }
    /* inspect has Config.Labels, the list has Labels */
    json_labels(cJSON_GetObjectItemCaseSensitive(config ? config : doc, "Labels"), &out->labels);
    if (cJSON_IsObject(json_obj(config, "Volumes"))) {
        cJSON_ArrayForEach(t, json_obj(config, "Volumes"))
        {
            strvec_push(&out->volumes, t->string);
        }
    }
}

int engine_image_inspect(struct engine *e, const char *name, struct engine_image_info *out,
                         struct ds_error *err)
{
    cJSON *doc = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->repo_tags);
    strvec_init(&out->volumes);
    rc = engine_get_object(e, "images", name, "json", &doc, err);
    if (rc < 0)
        return rc;
    engine_image_info_from_json(doc, out);
    cJSON_Delete(doc);
    return 0;
}

void engine_image_info_release(struct engine_image_info *i)
{
    free(i->id);
    free(i->created);
    free(i->os);
    free(i->architecture);
    free(i->last_tag_time);
    strvec_clear(&i->repo_tags);
    strvec_clear(&i->volumes);
    kvlist_clear(&i->labels);
    memset(i, 0, sizeof(*i));
    strvec_init(&i->repo_tags);
    strvec_init(&i->volumes);
}

/* Does `labels` satisfy every filter ("key" or "key=value")? */
static bool labels_match(const struct kvlist *labels, const struct strvec *filters)
{
    for (size_t i = 0; filters && i < filters->n; i++) {
        const char *f = filters->v[i], *eq = strchr(f, '=');
        struct buf key = BUF_INIT;
        struct kv *kv;

        buf_add(&key, f, eq ? (size_t)(eq - f) : strlen(f));
        kv = kvlist_find(labels, key.buf);
        buf_release(&key);
        if (!kv || (eq && strcmp(kv->value ? kv->value : "", eq + 1)))
            return false;
    }
    return true;
}

int engine_image_list(struct engine *e, const struct strvec *label_filters, bool dangling_only,
                      struct engine_image_list *out, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    struct strvec first = STRVEC_INIT;
    cJSON *doc = NULL;
    const cJSON *items, *item;
    int rc;

    memset(out, 0, sizeof(*out));
    buf_adds(&path, "/images/json");
    /*
     * Podman 4.3 answers nothing to two label filters on images; the engine
     * filters by the first, we check them all.
     */
    if (label_filters && label_filters->n)
        strvec_push(&first, label_filters->v[0]);
    engine_query_label_filters(&path, &first, dangling_only);
    strvec_clear(&first);
    rc = engine_get_list(e, path.buf, NULL, "images", &doc, &items, err);
    buf_release(&path);
    if (rc < 0)
        return rc;
    out->items = xcalloc((size_t)cJSON_GetArraySize(items) + 1, sizeof(*out->items));
    cJSON_ArrayForEach(item, items)
    {
        struct engine_image_info *info = &out->items[out->n];

        engine_image_info_from_json(item, info);
        if (labels_match(&info->labels, label_filters))
            out->n++;
        else
            engine_image_info_release(info);
    }
    cJSON_Delete(doc);
    return 0;
}

void engine_image_list_release(struct engine_image_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        engine_image_info_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

int engine_image_remove(struct engine *e, const char *name, bool force, size_t *deleted,
                        struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *doc = NULL;
    int rc;

    engine_path_object(&path, "images", name, NULL);
    if (force)
        engine_query_add(&path, "force", "1");
    rc = engine_call_json(e, "DELETE", path.buf, NULL, &doc, NULL, err);
    buf_release(&path);
    if (rc == 0 && deleted)
        *deleted = cJSON_IsArray(doc) ? (size_t)cJSON_GetArraySize(doc) : 0;
    cJSON_Delete(doc);
    return rc;
}

/*
 * Run a request whose answer is a progress stream. An `error` line in the
 * stream fails it even though the HTTP status was 200.
 */
static int progress_request(struct engine *e, struct engine_request *req,
                            struct engine_progress_sink *sink, struct ds_error *err)
{
    struct engine_response resp;
    int rc;

    req->on_data = engine_progress_sink_write;
    req->data_ud = sink;
    rc = engine_do(e, req, &resp, err);
    engine_response_release(&resp);
    if (rc == 0)
        rc = engine_progress_sink_finish(sink, err);
    if (rc == 0 && sink->error)
        rc = ds_error_set(err, DS_EENGINE, "%s", sink->error);
    return rc;
}

/* POST a tar stream read from `body` to `path`; the answer is a progress stream. */
static int post_tar(struct engine *e, const char *path, engine_read_fn body, void *body_ud,
                    struct engine_progress_sink *sink, struct ds_error *err)
{
    struct engine_request req = {.method = "POST",
                                 .path = path,
                                 .content_type = "application/x-tar",
                                 .read_body = body,
                                 .read_ud = body_ud};

    return progress_request(e, &req, sink, err);
}

/* Split "name[:tag][@digest]" as the engine wants it: fromImage=name&tag=tag-or-digest. */
static void split_reference(const char *ref, struct buf *name, struct buf *tag)
{
    const char *at = strchr(ref, '@');
    const char *slash = strrchr(ref, '/');
    const char *colon = strrchr(ref, ':');

    if (at) {
        buf_add(name, ref, (size_t)(at - ref));
        buf_adds(tag, at + 1);
        return;
    }
    if (colon && (!slash || colon > slash)) {
        buf_add(name, ref, (size_t)(colon - ref));
        buf_adds(tag, colon + 1);
        return;
    }
    buf_adds(name, ref);
    buf_adds(tag, "latest"); /* an empty tag would pull every tag */
}

int engine_image_pull(struct engine *e, const char *ref, const char *platform, const char *auth,
                      engine_progress_fn fn, void *ud, struct ds_error *err)
{
    struct buf path = BUF_INIT, name = BUF_INIT, tag = BUF_INIT;
    struct engine_request req = {.method = "POST", .registry_auth = auth};
    struct engine_progress_sink sink;
    int rc;

    split_reference(ref, &name, &tag);
    buf_adds(&path, "/images/create");
    engine_query_add(&path, "fromImage", name.buf);
    engine_query_add(&path, "tag", tag.buf);
    if (platform)
        engine_query_add(&path, "platform", platform);
    req.path = path.buf;
    engine_progress_sink_init(&sink, fn, ud);
    rc = progress_request(e, &req, &sink, err);
    if (rc < 0)
        ds_error_wrap(err, "pulling '%s'", ref);
    engine_progress_sink_release(&sink);
    buf_release(&path);
    buf_release(&name);
    buf_release(&tag);
    return rc;
}

static char *kv_json_text(const struct kvlist *l)
{
    cJSON *o = json_from_kvlist(l, true);
    char *text, *copy;

    text = cJSON_PrintUnformatted(o);
    copy = xstrdup(text);
    cJSON_free(text);
    cJSON_Delete(o);
    return copy;
}

/* key=["a","b"] */
static void query_add_json_list(struct buf *path, const char *key, const struct strvec *v)
{
    cJSON *a = cJSON_CreateArray();
    char *text;

    for (size_t i = 0; i < v->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
    text = cJSON_PrintUnformatted(a);
    engine_query_add(path, key, text);
    cJSON_free(text);
    cJSON_Delete(a);
}

int engine_image_build(struct engine *e, const struct engine_build_opts *o, engine_read_fn body,
                       void *body_ud, engine_progress_fn fn, void *ud, char **id_out,
                       struct ds_error *err)
{
    struct buf path = BUF_INIT;
    struct engine_progress_sink sink;
    int rc;

    if (id_out)
        *id_out = NULL;
    buf_adds(&path, "/build");
    if (o->buildkit)
        engine_query_add(&path, "version", "2");
    if (o->buildkit && o->session)
        engine_query_add(&path, "session", o->session);
    for (size_t i = 0; i < o->tags.n; i++)
        engine_query_add(&path, "t", o->tags.v[i]);
    if (o->dockerfile)
        engine_query_add(&path, "dockerfile", o->dockerfile);
    if (o->target)
        engine_query_add(&path, "target", o->target);
    if (o->platform)
        engine_query_add(&path, "platform", o->platform);
    if (o->build_args.n) {
        char *args = kv_json_text(&o->build_args);
        engine_query_add(&path, "buildargs", args);
        free(args);
    }
    if (o->labels.n) {
        char *labels = kv_json_text(&o->labels);
        engine_query_add(&path, "labels", labels);
        free(labels);
    }
    if (o->cache_from && o->cache_from->n)
        query_add_json_list(&path, "cachefrom", o->cache_from);
    if (o->network)
        engine_query_add(&path, "networkmode", o->network);
    /* Docker takes one host per extrahosts; Podman one JSON list (a plain host is a bare 400) */
    if (o->extra_hosts && o->extra_hosts->n && engine_is_podman(e))
        query_add_json_list(&path, "extrahosts", o->extra_hosts);
    else
        for (size_t i = 0; o->extra_hosts && i < o->extra_hosts->n; i++)
            engine_query_add(&path, "extrahosts", o->extra_hosts->v[i]);
    if (o->shm_size > 0) {
        char text[32];

        snprintf(text, sizeof(text), "%lld", (long long)o->shm_size);
        engine_query_add(&path, "shmsize", text);
    }
    if (o->isolation)
        engine_query_add(&path, "isolation", o->isolation);
    if (o->n_ulimits && engine_is_podman(e)) {
        /* Podman takes the CLI's words, ["nofile=1234:2345"]; Docker's objects are a bare 400 */
        struct strvec words = STRVEC_INIT;

        for (size_t i = 0; i < o->n_ulimits; i++)
            strvec_pushf(&words, "%s=%lld:%lld", o->ulimits[i].name, (long long)o->ulimits[i].soft,
                         (long long)o->ulimits[i].hard);
        query_add_json_list(&path, "ulimits", &words);
        strvec_clear(&words);
    } else if (o->n_ulimits) {
        /* written by hand: a limit above 2^53 would lose digits as a cJSON number */
        struct buf text = BUF_INIT;

        buf_addch(&text, '[');
        for (size_t i = 0; i < o->n_ulimits; i++) {
            cJSON *name = cJSON_CreateString(o->ulimits[i].name);
            char *quoted = cJSON_PrintUnformatted(name);

            buf_addf(&text, "%s{\"Name\":%s,\"Hard\":%lld,\"Soft\":%lld}", i ? "," : "", quoted,
                     (long long)o->ulimits[i].hard, (long long)o->ulimits[i].soft);
            cJSON_free(quoted);
            cJSON_Delete(name);
        }
        buf_addch(&text, ']');
        engine_query_add(&path, "ulimits", text.buf);
        buf_release(&text);
    }
    if (o->no_cache)
        engine_query_add(&path, "nocache", "1");
    if (o->pull)
        engine_query_add(&path, "pull", "1");
    engine_query_add(&path, "rm", "1");
    engine_query_add(&path, "forcerm", "1");

    engine_progress_sink_init(&sink, fn, ud);
    rc = post_tar(e, path.buf, body, body_ud, &sink, err);
    if (rc < 0 && sink.error && sink.last_step) {
        struct buf step = BUF_INIT;

        buf_adds(&step, sink.last_step);
        buf_rtrim(&step);
        ds_error_wrap(err, "build failed at '%s'", step.buf);
        buf_release(&step);
    } else if (rc == 0 && id_out && sink.aux_id) {
        *id_out = sink.aux_id;
        sink.aux_id = NULL;
    }
    engine_progress_sink_release(&sink);
    buf_release(&path);
    return rc;
}

int engine_image_import(struct engine *e, const char *repo, const char *tag, engine_read_fn body,
                        void *body_ud, engine_progress_fn fn, void *ud, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    struct engine_progress_sink sink;
    int rc;

    buf_adds(&path, "/images/create");
    engine_query_add(&path, "fromSrc", "-");
    {
        /* "repo:tag" in repo, which Docker documents and Podman honours (it ignores tag=) */
        struct buf ref = BUF_INIT;

        buf_addf(&ref, "%s:%s", repo, tag ? tag : "latest");
        engine_query_add(&path, "repo", ref.buf);
        buf_release(&ref);
    }
    engine_progress_sink_init(&sink, fn, ud);
    rc = post_tar(e, path.buf, body, body_ud, &sink, err);
    if (rc < 0)
        ds_error_wrap(err, "importing '%s:%s'", repo, tag ? tag : "latest");
    engine_progress_sink_release(&sink);
    buf_release(&path);
    return rc;
}
