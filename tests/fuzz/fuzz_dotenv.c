/*
 * libFuzzer target for dotenv_parse(): any bytes, a small fixed environment.
 * Besides the sanitizers it checks that errors are well formed and name the
 * file, that a failed parse adds nothing, and that every key is valid.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/dotenv.h"
#include "util/alloc.h"
#include "util/kvlist.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const env[][2] = {
        {"HOME", "/home/u"},
        {"A", "env-a"},
        {"EMPTY", ""},
        {"X", "${A}"},
};

static const char *lookup(const char *name, void *ud)
{
    (void)ud;
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
        if (!strcmp(env[i][0], name))
            return env[i][1];
    return NULL;
}

static bool is_key(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              strchr("_.-[]", *s)))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size + 1);
    struct kvlist out = KVLIST_INIT;
    struct ds_error err = DS_ERROR_INIT;
    int rc;

    if (size)
        memcpy(text, data, size);
    text[size] = '\0';

    rc = dotenv_parse(&out, text, size, "fuzz.env", lookup, NULL, &err);
    if (rc == 0 && err.msg)
        abort();
    if (rc != 0 && (rc != DS_EINVAL || !err.msg || strncmp(err.msg, "fuzz.env:", 9) || out.n))
        abort();
    for (size_t i = 0; i < out.n; i++) {
        if (!is_key(out.items[i].key) || !out.items[i].value)
            abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out.items[i].key, out.items[j].key))
                abort();
    }

    ds_error_release(&err);
    kvlist_clear(&out);
    free(text);
    return 0;
}
