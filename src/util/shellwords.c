#include <stdbool.h>
#include <string.h>

#include "util/buf.h"
#include "util/shellwords.h"
#include "util/banned.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int shellwords_split(struct strvec *out, const char *s, struct ds_error *err)
{
    struct buf word = BUF_INIT;
    bool in_word = false;

    for (const char *p = s; *p; p++) {
        if (is_blank(*p)) {
            if (in_word)
                strvec_push(out, word.buf);
            buf_reset(&word);
            in_word = false;
            continue;
        }
        in_word = true;
        if (*p == '\\') {
            if (!p[1])
                goto trailing_backslash;
            buf_addch(&word, *++p);
        } else if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');

            if (!end)
                goto unterminated;
            buf_add(&word, p + 1, (size_t)(end - p - 1));
            p = end;
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                    p++;
                buf_addch(&word, *p);
            }
            if (!*p)
                goto unterminated;
        } else {
            buf_addch(&word, *p);
        }
    }
    if (in_word)
        strvec_push(out, word.buf);
    buf_release(&word);
    return 0;

unterminated:
    buf_release(&word);
    return ds_error_set(err, DS_EINVAL, "unterminated quote in '%s'", s);
trailing_backslash:
    buf_release(&word);
    return ds_error_set(err, DS_EINVAL, "a backslash ends '%s'", s);
}
