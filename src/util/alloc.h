/* Allocation that never returns NULL: out of memory ends the process, as in git. */
#ifndef DEVSTACK_ALLOC_H
#define DEVSTACK_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow *array so that it holds at least `need` elements of `elem` bytes. */
void *xgrow(void *array, size_t *alloc, size_t need, size_t elem);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
