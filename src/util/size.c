/* Byte counts as people read them. */
#include "util/size.h"
#include "util/banned.h"

void size_format(struct buf *out, uint64_t bytes)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = (double)bytes;
    unsigned u = 0;

    if (bytes < 1000) {
        buf_addf(out, "%u B", (unsigned)bytes);
        return;
    }
    while (v >= 999.5 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1000;
        u++;
    }
    buf_addf(out, v < 9.95 ? "%.1f %s" : "%.0f %s", v, units[u]);
}
