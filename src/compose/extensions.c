/*
 * Top-level x-* keys, which Compose keeps and prints in `config` although
 * nothing acts on them: the YAML value as JSON, typed as Compose's YAML
 * library (yaml.v3) types plain scalars; interpolated and quoted scalars are
 * strings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/internal.h"
#include "util/alloc.h"
#include "util/banned.h"

static bool one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(s, *words))
            return true;
    return false;
}

/* An integer as yaml.v3 reads one (underscores dropped; 0x, 0o, 0b prefixes). */
static bool plain_int(const char *s, double *out)
{
    char digits[64], *end = NULL;
    size_t n = 0;
    const char *p = s;
    int base = 10;
    bool negative = false;
    long long v;

    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
        base = p[1] == 'x' ? 16 : p[1] == 'o' ? 8 : 2;
        p += 2;
    }
    for (; *p && n + 1 < sizeof(digits); p++)
        if (*p != '_')
            digits[n++] = *p;
    digits[n] = '\0';
    if (!n || *p || digits[0] == '+' || digits[0] == '-')
        return false;
    errno = 0;
    v = strtoll(digits, &end, base);
    if (errno || *end)
        return false;
    *out = negative ? -(double)v : (double)v;
    return true;
}

/* A float as yaml.v3 reads one: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool plain_float(const char *s, double *out)
{
    const char *p = s;
    bool digits = false;

    if (*p == '+' || *p == '-')
        p++;
    while (*p >= '0' && *p <= '9')
        p++, digits = true;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits = true;
    }
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return false;
    *out = strtod(s, NULL);
    return true;
}

cJSON *compose_ynode_to_json(const struct ynode *n)
{
    static const char *const truths[] = {"true", "True", "TRUE", NULL};
    static const char *const lies[] = {"false", "False", "FALSE", NULL};
    cJSON *out;
    double num;

    switch (n->kind) {
    case YNODE_NULL:
        return cJSON_CreateNull();
    case YNODE_SCALAR:
        if (!n->plain)
            return cJSON_CreateString(n->text);
        if (ytree_is_null(n))
            return cJSON_CreateNull();
        if (one_of(n->text, truths))
            return cJSON_CreateTrue();
        if (one_of(n->text, lies))
            return cJSON_CreateFalse();
        if (plain_int(n->text, &num) || plain_float(n->text, &num))
            return cJSON_CreateNumber(num);
        return cJSON_CreateString(n->text);
    case YNODE_SEQ:
        out = cJSON_CreateArray();
        for (size_t i = 0; i < n->n; i++)
            cJSON_AddItemToArray(out, compose_ynode_to_json(n->items[i]));
        return out;
    case YNODE_MAP:
        out = cJSON_CreateObject();
        for (size_t i = 0; i < n->n; i++)
            cJSON_AddItemToObject(out, n->keys[i]->text, compose_ynode_to_json(n->items[i]));
        return out;
    }
    return cJSON_CreateNull();
}

void compose_extension_set(struct compose_project *p, const char *key, const struct ynode *value)
{
    cJSON *json = compose_ynode_to_json(value);

    if (!p->extensions)
        p->extensions = cJSON_CreateObject();
    if (cJSON_HasObjectItem(p->extensions, key))
        cJSON_ReplaceItemInObjectCaseSensitive(p->extensions, key, json);
    else
        cJSON_AddItemToObject(p->extensions, key, json);
}
