/*
 * Typed reads of the engine's JSON documents, and the pieces request bodies
 * share. For the files of src/engine/ only.
 */
#ifndef DEVSTACK_ENGINE_JSON_H
#define DEVSTACK_ENGINE_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/kvlist.h"
#include "util/strvec.h"

/*
 * The JSON document that is text[0..len), whitespace around it allowed and
 * nothing else after it (cJSON stops at the end of the first value); NULL
 * when it is not one. Caller frees with cJSON_Delete().
 */
cJSON *json_parse(const char *text, size_t len);

/*
 * The member `key` of `obj` when it has the type asked for, else NULL, 0 /
 * `fallback` or false. `obj` may be NULL. Strings and objects are borrowed
 * from `obj`; json_strdup's copy is the caller's.
 */
const char *json_str(const cJSON *obj, const char *key);
char *json_strdup(const cJSON *obj, const char *key);
int64_t json_int(const cJSON *obj, const char *key, int64_t fallback);
bool json_bool(const cJSON *obj, const char *key);
const cJSON *json_obj(const cJSON *obj, const char *key);
/* Add the string members of `obj` (an object, or anything else: nothing) to `out`. */
void json_labels(const cJSON *obj, struct kvlist *out);
/* A JSON object of the list; entries without a value become null or "". Caller frees. */
cJSON *json_from_kvlist(const struct kvlist *l, bool null_for_missing);
/* Add a string array to `obj` (borrowed) under `key`. */
void json_add_strvec(cJSON *obj, const char *key, const struct strvec *sv);

#endif
