#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/duration.h"
#include "util/banned.h"

static const struct {
    const char *name;
    int64_t ns;
} units[] = {
        {"ns", 1},           {"us", 1000},      {"\xc2\xb5s", 1000}, /* µs */
        {"\xce\xbcs", 1000},                                         /* μs, the Greek letter */
        {"ms", 1000000},     {"s", NS_PER_SEC}, {"m", 60 * NS_PER_SEC}, {"h", 3600 * NS_PER_SEC},
};

int duration_parse(const char *s, int64_t *ns)
{
    int64_t total = 0;
    bool bare = true;
    const char *p = s;

    if (!s || !*s)
        return -1;
    for (const char *q = s; *q; q++)
        if (*q < '0' || *q > '9')
            bare = false;
    if (bare) {
        int64_t v = 0;

        for (; *p; p++) {
            if (v > (INT64_MAX / NS_PER_SEC - (*p - '0')) / 10)
                return -1;
            v = v * 10 + (*p - '0');
        }
        *ns = v * NS_PER_SEC;
        return 0;
    }
    while (*p) {
        int64_t whole = 0, frac = 0, scale = 1, unit = 0;
        bool digits = false;
        size_t best = 0;

        for (; *p >= '0' && *p <= '9'; p++, digits = true) {
            if (whole > (INT64_MAX - (*p - '0')) / 10)
                return -1;
            whole = whole * 10 + (*p - '0');
        }
        if (*p == '.') {
            for (p++; *p >= '0' && *p <= '9'; p++, digits = true) {
                if (scale < 1000000000000000LL) {
                    frac = frac * 10 + (*p - '0');
                    scale *= 10;
                }
            }
        }
        if (!digits)
            return -1;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t n = strlen(units[i].name);

            /* the longest unit that matches: "ms" before "m" */
            if (n > best && !strncmp(p, units[i].name, n)) {
                best = n;
                unit = units[i].ns;
            }
        }
        if (!best)
            return -1;
        p += best;
        if (whole > INT64_MAX / unit)
            return -1;
        whole *= unit;
        {
            /* the fraction adds less than one unit */
            int64_t part = (int64_t)((double)frac * (double)unit / (double)scale);

            if (whole > INT64_MAX - part || total > INT64_MAX - whole - part)
                return -1;
            total += whole + part;
        }
    }
    *ns = total;
    return 0;
}

/* Print v / 10^prec with the trailing zeros of the fraction dropped, as Go does. */
static size_t fmt_frac(char *buf, size_t end, uint64_t *v, int prec)
{
    bool print = false;

    for (int i = 0; i < prec; i++) {
        int digit = (int)(*v % 10);

        print = print || digit != 0;
        if (print)
            buf[--end] = (char)('0' + digit);
        *v /= 10;
    }
    if (print)
        buf[--end] = '.';
    return end;
}

static size_t fmt_int(char *buf, size_t end, uint64_t v)
{
    if (v == 0) {
        buf[--end] = '0';
        return end;
    }
    while (v > 0) {
        buf[--end] = (char)('0' + v % 10);
        v /= 10;
    }
    return end;
}

void duration_format(int64_t ns, char *out, size_t size)
{
    char buf[32];
    size_t w = sizeof(buf);
    uint64_t u = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
    bool neg = ns < 0;

    if (u < (uint64_t)NS_PER_SEC) {
        int prec = 0;

        buf[--w] = 's';
        if (u == 0) {
            snprintf(out, size, "0s");
            return;
        } else if (u < 1000) {
            buf[--w] = 'n';
        } else if (u < 1000000) {
            prec = 3;
            buf[--w] = '\xb5'; /* µ, as Go prints it */
            buf[--w] = '\xc2';
        } else {
            prec = 6;
            buf[--w] = 'm';
        }
        w = fmt_frac(buf, w, &u, prec);
        w = fmt_int(buf, w, u);
    } else {
        buf[--w] = 's';
        w = fmt_frac(buf, w, &u, 9);
        w = fmt_int(buf, w, u % 60);
        u /= 60;
        if (u > 0) {
            buf[--w] = 'm';
            w = fmt_int(buf, w, u % 60);
            u /= 60;
            if (u > 0) {
                buf[--w] = 'h';
                w = fmt_int(buf, w, u);
            }
        }
    }
    if (neg)
        buf[--w] = '-';
    snprintf(out, size, "%.*s", (int)(sizeof(buf) - w), buf + w);
}

int time_parse(const char *s, int64_t now, int64_t *out)
{
    struct tm tm;
    const char *p, *dot;
    int64_t d;
    long offset = 0;

    /* every form starts with a digit: no space, sign, "nan" or "inf" that a library call skips or
     * takes */
    if (!s || *s < '0' || *s > '9')
        return -1;
    /* unix seconds, perhaps with a fraction */
    dot = strchr(s, '.');
    if (strspn(s, "0123456789") == (dot ? (size_t)(dot - s) : strlen(s)) &&
        (!dot || strspn(dot + 1, "0123456789") == strlen(dot + 1)) && s[0] != '.') {
        int64_t v = 0;

        for (p = s; *p && *p != '.'; p++) {
            if (v > INT64_MAX / 10 - 9)
                return -1;
            v = v * 10 + (*p - '0');
        }
        /* digits are a timestamp, as Docker reads them, not a duration */
        *out = v;
        return 0;
    }
    if (duration_parse(s, &d) == 0) {
        *out = now - d / NS_PER_SEC;
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    p = strptime(s, "%Y-%m-%d", &tm);
    if (!p)
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p = strptime(p + 1, "%H:%M:%S", &tm);
        if (!p)
            return -1;
        if (*p == '.')
            p += 1 + strspn(p + 1, "0123456789");
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int hh, mm;

            if (strlen(p) != 6 || p[3] != ':' || strspn(p + 1, "0123456789") != 2 ||
                strspn(p + 4, "0123456789") != 2)
                return -1;
            hh = (p[1] - '0') * 10 + (p[2] - '0');
            mm = (p[4] - '0') * 10 + (p[5] - '0');
            if (hh > 23 || mm > 59)
                return -1;
            offset = (p[0] == '+' ? 1 : -1) * (hh * 3600L + mm * 60L);
            p += 6;
        }
    }
    if (*p)
        return -1;
    *out = (int64_t)timegm(&tm) - offset;
    return 0;
}

int time_parse_ns(const char *s, int64_t *sec, int64_t *nsec)
{
    const char *dot = s ? strchr(s, '.') : NULL;
    int64_t frac = 0;
    int digits = 0;

    if (!s || strspn(s, "0123456789") == strlen(s) || time_parse(s, 0, sec) < 0)
        return -1;
    if (dot) {
        for (const char *p = dot + 1; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
            frac = frac * 10 + (*p - '0');
        for (; digits < 9; digits++)
            frac *= 10;
    }
    *nsec = frac;
    return 0;
}
