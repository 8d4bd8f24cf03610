/*
 * libFuzzer target for .dockerignore rules: any bytes as the file, then
 * paths matched against them (fixed ones and each line of the input taken
 * as a path). Besides the sanitizers it checks that errors name the file,
 * and that pruning is safe: a directory that is excluded and below which
 * nothing may be included again has every path below it excluded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/ignore.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
        "a",
        "a/b",
        "a/b/c.log",
        "node_modules/x/y.js",
        ".git/HEAD",
        "dist",
        "src/main.c",
        "x.tmp",
        "deep/er/and/deeper/file",
        "[a]",
        "a*b",
        "-",
        "..",
        ".",
        "./a",
        "/a",
};

static void check_path(const struct ignore *ig, const char *path)
{
    struct buf below = BUF_INIT;

    if (!*path)
        return;
    if (ignore_excludes(ig, path) && !ignore_may_include_below(ig, path)) {
        buf_addf(&below, "%s/child", path);
        if (!ignore_excludes(ig, below.buf))
            abort();
    }
    buf_release(&below);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ignore *ig = NULL;
    struct ds_error err = DS_ERROR_INIT;
    int rc = ignore_parse(&ig, (const char *)data, size, "fuzz.dockerignore", &err);

    if (rc == 0 && (!ig || err.msg))
        abort();
    if (rc != 0 && (ig || !err.msg || !strstr(err.msg, "fuzz.dockerignore")))
        abort();
    if (ig) {
        char *text = xmalloc(size + 1);
        char *line, *next;

        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
            check_path(ig, paths[i]);
        if (size)
            memcpy(text, data, size);
        text[size] = '\0';
        /* each line of the input as a path (up to a NUL byte) */
        for (line = text; line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            check_path(ig, line);
        }
        free(text);
    }
    ignore_free(ig);
    ds_error_release(&err);
    return 0;
}
