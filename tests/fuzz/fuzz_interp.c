/*
 * libFuzzer target for interp_expand(): any bytes, a small fixed environment.
 * Besides the sanitizers it checks that errors are well formed, that text
 * without '$' comes back unchanged, and that escaping every '$' as "$$"
 * gives the text back.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/interp.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const env[][2] = {
        {"A", "a"}, {"B", ""}, {"C", "${A}"}, {"D", "$"}, {"_1", "}"}, {"lower", "x y"},
};

static const char *lookup(const char *name, void *ud)
{
    (void)ud;
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
        if (!strcmp(env[i][0], name))
            return env[i][1];
    return NULL;
}

static bool is_name(const char *s)
{
    if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
        return false;
    for (s++; *s; s++)
        if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size + 1);
    struct buf out = BUF_INIT, escaped = BUF_INIT;
    struct strvec unset = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;
    int rc;

    if (size)
        memcpy(s, data, size);
    s[size] = '\0';

    rc = interp_expand(&out, s, lookup, NULL, &unset, &err);
    if (rc == 0 && err.msg)
        abort();
    if (rc != 0 && (rc != DS_EINVAL || !err.msg))
        abort();
    if (rc == 0 && strlen(out.buf) != out.len)
        abort();
    if (!interp_needed(s) && (rc != 0 || strcmp(out.buf, s)))
        abort();
    for (size_t i = 0; i < unset.n; i++) {
        if (!is_name(unset.v[i]) || lookup(unset.v[i], NULL))
            abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(unset.v[i], unset.v[j]))
                abort();
    }
    ds_error_release(&err);

    /* "$" -> "$$" everywhere: nothing left to interpolate */
    for (const char *p = s; *p; p++)
        buf_adds(&escaped, *p == '$' ? "$$" : (char[]){*p, '\0'});
    buf_reset(&out);
    strvec_clear(&unset);
    rc = interp_expand(&out, escaped.buf, lookup, NULL, &unset, &err);
    if (rc != 0 || strcmp(out.buf, s) || unset.n)
        abort();

    ds_error_release(&err);
    strvec_clear(&unset);
    buf_release(&escaped);
    buf_release(&out);
    free(s);
    return 0;
}
