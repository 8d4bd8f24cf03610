/* Typed reads of the engine's JSON documents, and the pieces request bodies share. */
#include <stdlib.h>

#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

const cJSON *json_obj(const cJSON *obj, const char *key)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsObject(v) ? v : NULL;
}

cJSON *json_parse(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, false);

    if (!doc)
        return NULL;
    for (; end < text + len; end++)
        if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
            cJSON_Delete(doc);
            return NULL;
        }
    return doc;
}

const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *json_strdup(const cJSON *obj, const char *key)
{
    const char *s = json_str(obj, key);
    return s ? xstrdup(s) : NULL;
}

int64_t json_int(const cJSON *obj, const char *key, int64_t fallback)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    /* 1e400 is inf to cJSON: a number out of int64_t's range (or NaN) has no value to cast */
    if (!cJSON_IsNumber(v) ||
        !(v->valuedouble >= -9223372036854775808.0 && v->valuedouble < 9223372036854775808.0))
        return fallback;
    return (int64_t)v->valuedouble;
}

bool json_bool(const cJSON *obj, const char *key)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsTrue(v);
}

void json_labels(const cJSON *obj, struct kvlist *out)
{
    const cJSON *item;

    if (!cJSON_IsObject(obj))
        return;
    cJSON_ArrayForEach(item, obj)
    {
        if (item->string && cJSON_IsString(item))
            kvlist_add(out, item->string, item->valuestring);
    }
}

cJSON *json_from_kvlist(const struct kvlist *l, bool null_for_missing)
{
    cJSON *o = cJSON_CreateObject();

    for (size_t i = 0; i < l->n; i++) {
        const char *v = l->items[i].value;

        if (v)
            cJSON_AddStringToObject(o, l->items[i].key, v);
        else if (null_for_missing)
            cJSON_AddNullToObject(o, l->items[i].key);
        else
            cJSON_AddStringToObject(o, l->items[i].key, "");
    }
    return o;
}

void json_add_strvec(cJSON *obj, const char *key, const struct strvec *sv)
{
    cJSON *arr = cJSON_AddArrayToObject(obj, key);

    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(sv->v[i]));
}
