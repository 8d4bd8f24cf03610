/* A NULL-terminated vector of owned strings: argv arrays, env lists, tags. */
#ifndef DEVSTACK_STRVEC_H
#define DEVSTACK_STRVEC_H

#include <stdbool.h>
#include <stddef.h>

struct strvec {
    char **v; /* never NULL; v[n] == NULL */
    size_t n;
    size_t alloc;
};

extern char *strvec_empty[];
#define STRVEC_INIT                                                                                \
    {                                                                                              \
        strvec_empty, 0, 0                                                                         \
    }

void strvec_init(struct strvec *sv);
void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append every string of a NULL-terminated array. */
void strvec_pushv(struct strvec *sv, const char *const *v);
/* Take ownership of s (allocated with malloc). */
void strvec_push_nodup(struct strvec *sv, char *s);
void strvec_clear(struct strvec *sv);
void strvec_copy(struct strvec *dst, const struct strvec *src);
bool strvec_contains(const struct strvec *sv, const char *s);
bool strvec_equal(const struct strvec *a, const struct strvec *b);
/* In strcmp order. */
void strvec_sort(struct strvec *sv);
/* Split s at every `sep` (empty pieces dropped) and append the pieces. */
void strvec_split(struct strvec *sv, const char *s, char sep);

#endif
