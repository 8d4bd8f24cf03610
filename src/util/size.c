/* Byte counts as people read them. */
#include <stdbool.h>

#include "util/alloc.h"
#include "util/size.h"
#include "util/banned.h"

static void format_decimal(struct buf *out, uint64_t bytes)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = (double)bytes;
    size_t u = 0;

    if (bytes < 1000) {
        buf_addf(out, "%u B", (unsigned)bytes);
        return;
    }
    while (v >= 999.5 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1000;
        u++;
    }
    buf_addf(out, v < 9.95 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void format_progress(struct buf *out, uint64_t bytes)
{
    static const char *const units[] = {"kB", "MB", "GB", "TB"};
    double v = (double)bytes;
    size_t u = 0;

    if (bytes < 1000) {
        buf_addf(out, "%uB", (unsigned)bytes);
        return;
    }
    v /= 1000.0;
    /* 999.96 kB would print as "1000.0kB": move on to the next unit first */
    while (v >= 999.95 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1000.0;
        u++;
    }
    buf_addf(out, "%.1f%s", v, units[u]);
}

static void format_binary(struct buf *out, uint64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;

    while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1024;
        u++;
    }
    buf_addf(out, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* docker's units.CustomSize: divide while at least `base`, then %.*g */
static void format_docker(struct buf *out, uint64_t bytes, bool binary)
{
    static const char *const decimal[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes, base = binary ? 1024 : 1000;
    size_t u = 0;

    while (v >= base && u + 1 < ARRAY_SIZE(units)) {
        v /= base;
        u++;
    }
    buf_addf(out, "%.*g%s", binary ? 4 : 3, v, binary ? units[u] : decimal[u]);
}

void size_format(struct buf *out, uint64_t bytes, enum size_style style)
{
    switch (style) {
    case SIZE_DOCKER:
    case SIZE_DOCKER_BINARY:
        format_docker(out, bytes, style == SIZE_DOCKER_BINARY);
        return;
    case SIZE_PROGRESS:
        format_progress(out, bytes);
        return;
    case SIZE_BINARY:
        format_binary(out, bytes);
        return;
    case SIZE_DECIMAL:
        break;
    }
    format_decimal(out, bytes);
}
