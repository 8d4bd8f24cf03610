/* Volumes: create, inspect, list, remove. */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

void engine_volume_info_from_json(const cJSON *doc, struct engine_volume_info *out)
{
    memset(out, 0, sizeof(*out));
    out->name = json_strdup(doc, "Name");
    out->driver = json_strdup(doc, "Driver");
    out->mountpoint = json_strdup(doc, "Mountpoint");
    out->scope = json_strdup(doc, "Scope");
    out->created_at = json_strdup(doc, "CreatedAt");
    json_labels(cJSON_GetObjectItemCaseSensitive(doc, "Labels"), &out->labels);
    json_labels(cJSON_GetObjectItemCaseSensitive(doc, "Options"), &out->options);
}

int engine_volume_create(struct engine *e, const struct engine_volume_config *c,
                         struct engine_volume_info *out, struct ds_error *err)
{
    cJSON *body = cJSON_CreateObject(), *answer = NULL;
    int rc;

    if (c->name)
        cJSON_AddStringToObject(body, "Name", c->name);
    cJSON_AddStringToObject(body, "Driver", c->driver ? c->driver : "local");
    cJSON_AddItemToObject(body, "Labels", json_from_kvlist(&c->labels, false));
    if (c->driver_opts.n)
        cJSON_AddItemToObject(body, "DriverOpts", json_from_kvlist(&c->driver_opts, false));
    rc = engine_call_json(e, "POST", "/volumes/create", body, &answer, NULL, err);
    if (rc == 0 && out)
        engine_volume_info_from_json(answer, out);
    cJSON_Delete(body);
    cJSON_Delete(answer);
    return rc;
}

int engine_volume_inspect(struct engine *e, const char *name, struct engine_volume_info *out,
                          struct ds_error *err)
{
    cJSON *doc = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = engine_get_object(e, "volumes", name, NULL, &doc, err);
    if (rc < 0)
        return rc;
    engine_volume_info_from_json(doc, out);
    cJSON_Delete(doc);
    return 0;
}

void engine_volume_info_release(struct engine_volume_info *v)
{
    free(v->name);
    free(v->driver);
    free(v->mountpoint);
    free(v->scope);
    free(v->created_at);
    kvlist_clear(&v->labels);
    kvlist_clear(&v->options);
    memset(v, 0, sizeof(*v));
}

int engine_volume_list(struct engine *e, const struct strvec *label_filters,
                       struct engine_volume_list *out, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *doc = NULL;
    const cJSON *vols, *item;
    int rc;

    memset(out, 0, sizeof(*out));
    buf_adds(&path, "/volumes");
    engine_query_label_filters(&path, label_filters, false);
    rc = engine_get_list(e, path.buf, "Volumes", "volumes", &doc, &vols, err);
    buf_release(&path);
    if (rc < 0)
        return rc;
    out->items = xcalloc((size_t)cJSON_GetArraySize(vols) + 1, sizeof(*out->items));
    cJSON_ArrayForEach(item, vols) engine_volume_info_from_json(item, &out->items[out->n++]);
    cJSON_Delete(doc);
    return 0;
}

void engine_volume_list_release(struct engine_volume_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        engine_volume_info_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

int engine_volume_remove(struct engine *e, const char *name, bool force, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    int rc;

    engine_path_object(&path, "volumes", name, NULL);
    if (force)
        engine_query_add(&path, "force", "1");
    rc = engine_call_json(e, "DELETE", path.buf, NULL, NULL, NULL, err);
    buf_release(&path);
    return rc;
}
