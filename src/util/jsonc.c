/* JSON with comments to JSON: one pass that knows strings, comments and commas. */
#include <string.h>

#include "util/jsonc.h"
#include "util/banned.h"

static int line_of(const char *text, const char *at)
{
    int line = 1;

    for (const char *p = text; p < at; p++)
        if (*p == '\n')
            line++;
    return line;
}

int jsonc_to_json(struct buf *out, const char *text, size_t len, struct ds_error *err)
{
    const char *p = text, *end = text + len;
    /* where the last comma went in `out`, until something shows whether it trails */
    size_t comma = 0;
    bool pending = false;

    while (p < end) {
        char c = *p;

        if (c == '/' && p + 1 < end && p[1] == '/') {
            while (p < end && *p != '\n') {
                buf_addch(out, ' ');
                p++;
            }
            continue;
        }
        if (c == '/' && p + 1 < end && p[1] == '*') {
            const char *start = p;

            buf_add(out, "  ", 2);
            p += 2;
            while (p < end && !(*p == '*' && p + 1 < end && p[1] == '/')) {
                buf_addch(out, *p == '\n' ? '\n' : ' ');
                p++;
            }
            if (p >= end)
                return ds_error_set(err, DS_EINVAL, "line %d: a comment that is never closed",
                                    line_of(text, start));
            buf_add(out, "  ", 2);
            p += 2;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            buf_addch(out, c);
            p++;
            continue;
        }
        if (pending && (c == '}' || c == ']'))
            out->buf[comma] = ' ';
        pending = false;
        if (c == ',') {
            comma = out->len;
            pending = true;
        }
        if (c == '"') {
            const char *start = p;

            buf_addch(out, *p++);
            while (p < end && *p != '"' && *p != '\n') {
                if (*p == '\\' && p + 1 < end)
                    buf_addch(out, *p++);
                buf_addch(out, *p++);
            }
            if (p >= end || *p != '"')
                return ds_error_set(err, DS_EINVAL, "line %d: a string that is never closed",
                                    line_of(text, start));
        }
        buf_addch(out, *p++);
    }
    return 0;
}
