#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/banned.h"

char *strvec_empty[1];

void strvec_init(struct strvec *sv)
{
    sv->v = strvec_empty;
    sv->n = 0;
    sv->alloc = 0;
}

void strvec_push_nodup(struct strvec *sv, char *s)
{
    if (!sv->alloc)
        sv->v = NULL;
    sv->v = xgrow(sv->v, &sv->alloc, sv->n + 2, sizeof(*sv->v));
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
    strvec_push_nodup(sv, xstrdup(s));
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    strvec_push_nodup(sv, buf_detach(&b, NULL));
}

void strvec_pushv(struct strvec *sv, const char *const *v)
{
    for (; v && *v; v++)
        strvec_push(sv, *v);
}

void strvec_clear(struct strvec *sv)
{
    if (sv->alloc) {
        for (size_t i = 0; i < sv->n; i++)
            free(sv->v[i]);
        free(sv->v);
    }
    strvec_init(sv);
}

void strvec_copy(struct strvec *dst, const struct strvec *src)
{
    for (size_t i = 0; i < src->n; i++)
        strvec_push(dst, src->v[i]);
}

bool strvec_contains(const struct strvec *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (!strcmp(sv->v[i], s))
            return true;
    return false;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strvec_sort(struct strvec *sv)
{
    if (sv->n > 1)
        qsort(sv->v, sv->n, sizeof(*sv->v), compare_strings);
}

bool strvec_equal(const struct strvec *a, const struct strvec *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]))
            return false;
    return true;
}

void strvec_split(struct strvec *sv, const char *s, char sep)
{
    while (s && *s) {
        const char *end = strchr(s, sep);
        size_t len = end ? (size_t)(end - s) : strlen(s);

        if (len)
            strvec_push_nodup(sv, xstrndup(s, len));
        s = end ? end + 1 : NULL;
    }
}
