/* Python's notion of whitespace, over UTF-8. */
#include "migrate/internal.h"
#include "util/banned.h"

/*
 * The length of the whitespace character at p (str.isspace(): ASCII
 * \t\n\v\f\r, \x1c-\x1f, space, and the Unicode spaces), or 0.
 */
size_t py_space_at(const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t n = (size_t)(end - p);

    if (!n)
        return 0;
    if ((u[0] >= 0x09 && u[0] <= 0x0d) || (u[0] >= 0x1c && u[0] <= 0x20))
        return 1;
    if (n >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
        return 2;
    if (n >= 3) {
        unsigned cp;

        if ((u[0] & 0xf0) != 0xe0 || (u[1] & 0xc0) != 0x80 || (u[2] & 0xc0) != 0x80)
            return 0;
        cp = ((unsigned)(u[0] & 0x0f) << 12) | ((unsigned)(u[1] & 0x3f) << 6) | (u[2] & 0x3fu);
        if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
            cp == 0x202f || cp == 0x205f || cp == 0x3000)
            return 3;
    }
    return 0;
}

/* The length of the whitespace character ending at end, or 0. */
size_t py_space_before(const char *start, const char *end)
{
    for (size_t k = 1; k <= 3 && k <= (size_t)(end - start); k++)
        if (py_space_at(end - k, end) == k)
            return k;
    return 0;
}

/* str.strip(): narrow [*s, *e) */
void py_strip(const char **s, const char **e)
{
    size_t k;

    while ((k = py_space_at(*s, *e)))
        *s += k;
    while ((k = py_space_before(*s, *e)))
        *e -= k;
}
