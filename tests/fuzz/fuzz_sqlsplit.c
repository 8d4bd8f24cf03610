/*
 * libFuzzer target for sqlsplit_feed() and sqlsplit_finish(): any bytes as a
 * SQL dump. Besides the sanitizers it checks that the input fed in two pieces
 * (cut where its first byte says) and fed a byte at a time gives the
 * statements, lines and error that it gives fed whole, and that every
 * statement is non-empty, trimmed, NUL-terminated and within max_statement.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/sqlsplit.h"
#include "util/buf.h"
#include "util/banned.h"

#define MAX_STATEMENT 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Append "<line> <len>:" and the statement's bytes, then a NUL as the separator. */
static int collect(const char *stmt, size_t len, unsigned long line, void *ud, struct ds_error *err)
{
    struct buf *out = ud;

    (void)err;
    if (!len || len > MAX_STATEMENT || stmt[len] != '\0' || is_space(stmt[0]) ||
        is_space(stmt[len - 1]) || !line)
        abort();
    buf_addf(out, "%lu %zu:", line, len);
    buf_add(out, stmt, len);
    buf_addch(out, '\0');
    return 0;
}

/* Feed data[0, cut) at once, then the rest `step` bytes at a time (0: at once). */
static void split(struct buf *out, const char *data, size_t size, size_t cut, size_t step)
{
    struct sqlsplit s;
    struct ds_error err = DS_ERROR_INIT;
    size_t off = cut;
    int rc;

    sqlsplit_init(&s, MAX_STATEMENT);
    rc = sqlsplit_feed(&s, data, cut, collect, out, &err);
    while (!rc && off < size) {
        size_t n = step && size - off > step ? step : size - off;

        rc = sqlsplit_feed(&s, data + off, n, collect, out, &err);
        off += n;
    }
    if (!rc)
        rc = sqlsplit_finish(&s, collect, out, &err);
    if (rc) {
        if (rc != DS_EINVAL || err.code != DS_EINVAL || !err.msg || strncmp(err.msg, "line ", 5))
            abort();
        buf_addf(out, "error: %s", err.msg);
    } else if (err.msg) {
        abort();
    }
    ds_error_release(&err);
    sqlsplit_release(&s);
}

static bool same(const struct buf *a, const struct buf *b)
{
    return a->len == b->len && !memcmp(a->buf, b->buf, a->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct buf whole = BUF_INIT, cut = BUF_INIT, bytes = BUF_INIT;

    split(&whole, text, size, size, 0);
    split(&cut, text, size, size ? (size_t)data[0] * (size + 1) / 256 : 0, 0);
    split(&bytes, text, size, 0, 1);
    if (!same(&whole, &cut) || !same(&whole, &bytes))
        abort();
    buf_release(&whole);
    buf_release(&cut);
    buf_release(&bytes);
    return 0;
}
