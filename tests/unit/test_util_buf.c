/*
 * Unit tests for src/util/buf.c, src/util/strutil.c and src/util/error.c.
 *
 * Table-driven tests run every row, print each mismatch and fail once at the
 * end, so one bad row does not hide the others (and nothing is leaked when a
 * row fails).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/banned.h"

/* ---- helpers ------------------------------------------------------------- */

/* Assert the invariants every struct buf must keep. */
static void assert_buf_sane(const struct buf *b)
{
    assert_non_null(b->buf);
    assert_int_equal(b->buf[b->len], '\0');
    if (b->alloc)
        assert_true(b->len < b->alloc);
    else
        assert_int_equal(b->len, 0);
}

/* A printable rendering of bytes for failure messages; caller frees. */
static char *quote(const char *s, size_t len)
{
    struct buf q = BUF_INIT;

    if (!s)
        return xstrdup("(null)");
    buf_addch(&q, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\n')
            buf_adds(&q, "\\n");
        else if (c == '\t')
            buf_adds(&q, "\\t");
        else if (c == '\r')
            buf_adds(&q, "\\r");
        else if (c < 0x20 || c >= 0x7f)
            buf_addf(&q, "\\x%02x", c);
        else
            buf_addch(&q, c);
    }
    buf_addch(&q, '"');
    return buf_detach(&q, NULL);
}

/* ---- buf: initial state ---------------------------------------------------- */

static void test_buf_init_state(void **state)
{
    struct buf b = BUF_INIT;
    struct buf h;

    (void)state;
    assert_non_null(b.buf);
    assert_int_equal(b.buf[0], '\0');
    assert_int_equal(b.len, 0);
    assert_string_equal(b.buf, "");
    assert_false(buf_ends_with(&b, "x"));
    assert_true(buf_ends_with(&b, ""));
    buf_release(&b);
    assert_buf_sane(&b);

    buf_init(&b, 0);
    assert_non_null(b.buf);
    assert_string_equal(b.buf, "");
    assert_int_equal(b.len, 0);

    /* A size hint allocates at least that much room, still empty. */
    buf_init(&h, 100);
    assert_buf_sane(&h);
    assert_int_equal(h.len, 0);
    assert_string_equal(h.buf, "");
    assert_true(h.alloc >= 101);
    buf_adds(&h, "hinted");
    assert_string_equal(h.buf, "hinted");
    buf_release(&h);
    assert_buf_sane(&h);
    assert_int_equal(h.len, 0);
}

/* ---- buf: growth ------------------------------------------------------------ */

/* The i-th piece appended by test_buf_many_appends; returns its length. */
static size_t piece(size_t i, char *out, size_t size)
{
    switch (i % 4) {
    case 0:
        out[0] = (char)('a' + i % 26);
        out[1] = '\0';
        return 1;
    case 1:
        return (size_t)snprintf(out, size, "%s", "xy");
    case 2:
        return (size_t)snprintf(out, size, "%s", "pqr");
    default:
        return (size_t)snprintf(out, size, "<%zu>", i);
    }
}

static void test_buf_many_appends(void **state)
{
    enum { N = 100000 };
    struct buf b = BUF_INIT;
    size_t expected_len = 0, off = 0;
    char p[32];

    (void)state;
    for (size_t i = 0; i < N; i++) {
        size_t n = piece(i, p, sizeof(p));

        switch (i % 4) {
        case 0:
            buf_addch(&b, p[0]);
            break;
        case 1:
            buf_adds(&b, p);
            break;
        case 2:
            buf_add(&b, p, n);
            break;
        default:
            buf_addf(&b, "<%zu>", i);
            break;
        }
        expected_len += n;
        if (b.len != expected_len)
            fail_msg("after append %zu: len %zu, expected %zu", i, b.len, expected_len);
        if (b.buf[b.len] != '\0')
            fail_msg("after append %zu: not NUL-terminated", i);
    }
    assert_buf_sane(&b);
    assert_int_equal(strlen(b.buf), expected_len);
    for (size_t i = 0; i < N; i++) {
        size_t n = piece(i, p, sizeof(p));

        if (memcmp(b.buf + off, p, n) != 0)
            fail_msg("piece %zu at offset %zu differs: expected \"%s\", got \"%.*s\"", i, off, p,
                     (int)n, b.buf + off);
        off += n;
    }
    assert_int_equal(off, b.len);
    buf_release(&b);
}

static void test_buf_addf_long(void **state)
{
    /* Lengths around the allocation boundaries of a small buffer and of 8 KiB. */
    static const size_t lens[] = {0,  1,  7,  8,  15,  16,   17,   27,   28,   29,   60,    61,
                                  62, 63, 64, 65, 100, 1000, 8190, 8191, 8192, 8193, 100000};
    char *long_str = xmalloc(100001);
    int bad = 0;

    (void)state;
    memset(long_str, 'x', 100000);
    long_str[100000] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
        size_t len = lens[i];

        /* Twice: on an empty buffer, and after a prefix in a small hinted one. */
        for (int with_prefix = 0; with_prefix < 2; with_prefix++) {
            struct buf b = BUF_INIT;
            size_t pre = 0;

            if (with_prefix) {
                buf_init(&b, 16);
                buf_adds(&b, "pre-");
                pre = 4;
            }
            buf_addf(&b, "%.*s|%d", (int)len, long_str, 42);
            if (b.len != pre + len + 3 || b.buf[b.len] != '\0' ||
                (pre && memcmp(b.buf, "pre-", 4) != 0) || memcmp(b.buf + pre, long_str, len) != 0 ||
                memcmp(b.buf + pre + len, "|42", 3) != 0 || strlen(b.buf) != b.len) {
                print_error("case %zu (len %zu, prefix %d): len %zu, expected %zu\n", i, len,
                            with_prefix, b.len, pre + len + 3);
                bad++;
            }
            buf_release(&b);
        }
    }
    free(long_str);
    if (bad)
        fail_msg("%d buf_addf cases failed", bad);
}

static void test_buf_addf_formats(void **state)
{
    struct buf b = BUF_INIT;

    (void)state;
    buf_addf(&b, "%s", "");
    assert_buf_sane(&b);
    assert_string_equal(b.buf, "");
    assert_int_equal(b.len, 0);

    buf_addf(&b, "%d-%s-%c-%05.1f", -12, "abc", 'z', 3.5);
    assert_string_equal(b.buf, "-12-abc-z-003.5");
    assert_int_equal(b.len, strlen("-12-abc-z-003.5"));
    buf_addf(&b, "%%%zu", (size_t)7);
    assert_string_equal(b.buf, "-12-abc-z-003.5%7");
    buf_release(&b);
}

static void test_buf_embedded_nul(void **state)
{
    struct buf b = BUF_INIT;

    (void)state;
    buf_add(&b, "a\0b\0c", 5);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.buf, "a\0b\0c", 5);
    assert_int_equal(b.buf[5], '\0');
    assert_int_equal(strlen(b.buf), 1);

    buf_addch(&b, '\0');
    assert_int_equal(b.len, 6);
    buf_adds(&b, "de");
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.buf, "a\0b\0c\0de", 9);
    assert_true(buf_ends_with(&b, "de"));
    assert_false(buf_ends_with(&b, "cde"));

    /* Adding zero bytes changes nothing, even from a NULL-free empty buffer. */
    buf_add(&b, "zzz", 0);
    assert_int_equal(b.len, 8);
    buf_release(&b);

    buf_add(&b, "", 0);
    assert_buf_sane(&b);
    assert_int_equal(b.len, 0);
    buf_release(&b);
}

/* ---- buf: length changes ---------------------------------------------------- */

static void test_buf_setlen_reset(void **state)
{
    struct buf b = BUF_INIT;
    size_t alloc;

    (void)state;
    /* On the initial empty buffer. */
    buf_setlen(&b, 0);
    buf_reset(&b);
    assert_buf_sane(&b);
    assert_string_equal(b.buf, "");

    buf_adds(&b, "hello world");
    buf_setlen(&b, 5);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.buf, "hello");
    assert_buf_sane(&b);

    /* The grow-then-write-then-setlen pattern for filling the buffer directly. */
    buf_grow(&b, 10);
    assert_true(b.alloc - b.len > 10);
    memcpy(b.buf + b.len, "12345", 5);
    buf_setlen(&b, b.len + 5);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.buf, "hello12345");

    alloc = b.alloc;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.buf, "");
    assert_int_equal(b.alloc, alloc); /* keeps its memory */
    assert_buf_sane(&b);

    buf_adds(&b, "again");
    assert_string_equal(b.buf, "again");
    assert_int_equal(b.len, 5);
    buf_release(&b);
}

static void test_buf_consume(void **state)
{
    static const struct {
        size_t n;
        const char *expected;
    } cases[] = {
            {0, "abcdef"}, {1, "bcdef"}, {3, "def"}, {5, "f"},
            {6, ""},       {7, ""},      {100, ""},  {SIZE_MAX, ""},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;

        buf_adds(&b, "abcdef");
        buf_consume(&b, cases[i].n);
        if (strcmp(b.buf, cases[i].expected) != 0 || b.len != strlen(cases[i].expected) ||
            b.buf[b.len] != '\0') {
            print_error("case %zu (consume %zu of \"abcdef\"): got \"%s\" (len %zu), expected "
                        "\"%s\"\n",
                        i, cases[i].n, b.buf, b.len, cases[i].expected);
            bad++;
        }
        /* Still usable afterwards. */
        buf_adds(&b, "+");
        if (b.len != strlen(cases[i].expected) + 1 || !buf_ends_with(&b, "+")) {
            print_error("case %zu (consume %zu): append after consume gave \"%s\"\n", i, cases[i].n,
                        b.buf);
            bad++;
        }
        buf_release(&b);
    }

    /* Consuming from the initial empty buffer is harmless. */
    {
        struct buf e = BUF_INIT;

        buf_consume(&e, 0);
        buf_consume(&e, 5);
        assert_buf_sane(&e);
        assert_string_equal(e.buf, "");
        buf_release(&e);
    }
    if (bad)
        fail_msg("%d buf_consume cases failed", bad);
}

static void test_buf_rtrim(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
            {"", ""},          {"  ", ""},
            {"a \t\r\n", "a"}, {"a b  ", "a b"},
            {"abc", "abc"},    {" a", " a"},
            {"\n\n\n", ""},    {"x\r\n", "x"},
            {"\ta\t", "\ta"},  {"a\n b \n", "a\n b"},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;

        buf_adds(&b, cases[i].in);
        buf_rtrim(&b);
        if (strcmp(b.buf, cases[i].out) != 0 || b.len != strlen(cases[i].out)) {
            char *in = quote(cases[i].in, strlen(cases[i].in));
            char *got = quote(b.buf, b.len);

            print_error("case %zu (rtrim %s): got %s (len %zu), expected \"%s\"\n", i, in, got,
                        b.len, cases[i].out);
            free(in);
            free(got);
            bad++;
        }
        buf_release(&b);
    }

    /* The initial empty buffer. */
    {
        struct buf e = BUF_INIT;

        buf_rtrim(&e);
        assert_buf_sane(&e);
        assert_string_equal(e.buf, "");
    }
    if (bad)
        fail_msg("%d buf_rtrim cases failed", bad);
}

/* ---- buf: ownership ------------------------------------------------------------ */

static void test_buf_detach(void **state)
{
    struct buf b = BUF_INIT;
    size_t len = 99;
    char *p, *q, *e;

    (void)state;
    buf_adds(&b, "hello");
    p = buf_detach(&b, &len);
    assert_non_null(p);
    assert_string_equal(p, "hello");
    assert_int_equal(len, 5);

    /* b is left empty and can be reused independently of p. */
    assert_buf_sane(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.buf, "");
    assert_true(b.buf != p);
    buf_adds(&b, "again");
    assert_string_equal(b.buf, "again");
    assert_string_equal(p, "hello");

    q = buf_detach(&b, NULL);
    assert_string_equal(q, "again");
    assert_int_equal(b.len, 0);

    /* Detaching an empty buffer still gives the caller a string it can free. */
    len = 99;
    e = buf_detach(&b, &len);
    assert_non_null(e);
    assert_string_equal(e, "");
    assert_int_equal(len, 0);
    assert_true(e != buf_empty);
    assert_buf_sane(&b);

    free(p);
    free(q);
    free(e);
    buf_release(&b);
}

static void test_buf_release_idempotent(void **state)
{
    struct buf b = BUF_INIT;

    (void)state;
    buf_release(&b);
    buf_release(&b);
    assert_buf_sane(&b);

    buf_adds(&b, "something");
    buf_release(&b);
    assert_buf_sane(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.buf, "");
    buf_release(&b);
    assert_buf_sane(&b);

    /* Usable after release. */
    buf_addf(&b, "%d", 123);
    assert_string_equal(b.buf, "123");
    buf_release(&b);
    buf_release(&b);
    assert_string_equal(b.buf, "");
}

/* ---- buf: files -------------------------------------------------------------- */

enum { DATA_LEN = 20000 };

static unsigned char data_byte(size_t i)
{
    /* 31 is odd, so every byte value 0x00..0xff occurs. */
    return (unsigned char)(i * 31 + 7);
}

static void write_bytes(const char *dir, const char *name, const void *data, size_t len)
{
    struct buf path = BUF_INIT;
    FILE *f;

    buf_addf(&path, "%s/%s", dir, name);
    f = fopen(path.buf, "wb");
    if (!f)
        fail_msg("cannot create %s: %s", path.buf, strerror(errno));
    if (len && fwrite(data, 1, len, f) != len)
        fail_msg("cannot write %s", path.buf);
    if (fclose(f) != 0)
        fail_msg("cannot close %s", path.buf);
    buf_release(&path);
}

static void test_buf_read_file(void **state)
{
    static const struct {
        const char *file; /* relative to the temporary directory */
        size_t cap;
        int rc;
    } cases[] = {
            {"data", 0, 0},
            {"data", DATA_LEN, 0},
            {"data", DATA_LEN + 1, 0},
            {"data", DATA_LEN - 1, -EFBIG},
            {"data", 1, -EFBIG},
            {"small", 0, 0},
            {"small", 2, 0},
            {"small", 1, -EFBIG},
            {"empty", 0, 0},
            {"empty", 1, 0},
            {"missing", 0, -ENOENT},
            {"missing/x", 0, -ENOENT},
            {"small/x", 0, -ENOTDIR},
            {"subdir", 0, -EISDIR},
    };
    static const char prefix[] = "pre\0fix"; /* 7 bytes, one of them NUL */
    const size_t prefix_len = sizeof(prefix) - 1;
    unsigned char *data = xmalloc(DATA_LEN);
    char *dir = test_mkdtemp();
    struct buf path = BUF_INIT;
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < DATA_LEN; i++)
        data[i] = data_byte(i);
    write_bytes(dir, "data", data, DATA_LEN);
    write_bytes(dir, "small", "a\0", 2);
    write_bytes(dir, "empty", "", 0);
    buf_addf(&path, "%s/subdir", dir);
    if (mkdir(path.buf, 0700) != 0)
        fail_msg("mkdir %s: %s", path.buf, strerror(errno));

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const void *expected = NULL;
        size_t expected_len = 0;

        if (cases[i].rc == 0 && !strcmp(cases[i].file, "data")) {
            expected = data;
            expected_len = DATA_LEN;
        } else if (cases[i].rc == 0 && !strcmp(cases[i].file, "small")) {
            expected = "a\0";
            expected_len = 2;
        }
        buf_reset(&path);
        buf_addf(&path, "%s/%s", dir, cases[i].file);

        /* Once into an empty buffer, once appending after a prefix. */
        for (int with_prefix = 0; with_prefix < 2; with_prefix++) {
            struct buf b = BUF_INIT;
            size_t start = with_prefix ? prefix_len : 0;
            int rc;

            if (with_prefix)
                buf_add(&b, prefix, prefix_len);
            rc = buf_read_file(&b, path.buf, cases[i].cap);
            if (rc != cases[i].rc) {
                print_error("case %zu (%s, cap %zu, prefix %d): rc %d (%s), expected %d (%s)\n", i,
                            cases[i].file, cases[i].cap, with_prefix, rc, strerror(-rc),
                            cases[i].rc, strerror(-cases[i].rc));
                bad++;
            } else if (b.len != start + expected_len || b.buf[b.len] != '\0' ||
                       (start && memcmp(b.buf, prefix, prefix_len) != 0) ||
                       (expected_len && memcmp(b.buf + start, expected, expected_len) != 0)) {
                print_error("case %zu (%s, cap %zu, prefix %d): len %zu, expected %zu, or "
                            "contents differ\n",
                            i, cases[i].file, cases[i].cap, with_prefix, b.len,
                            start + expected_len);
                bad++;
            }
            buf_release(&b);
        }
    }
    free(data);
    buf_release(&path);
    test_rmtree(dir);
    free(dir);
    if (bad)
        fail_msg("%d buf_read_file cases failed", bad);
}

static void test_buf_ends_with(void **state)
{
    static const struct {
        const char *s, *suffix;
        bool expected;
    } cases[] = {
            {"hello", "lo", true},    {"hello", "", true},
            {"hello", "hello", true}, {"hello", "xhello", false},
            {"hello", "Lo", false},   {"hello", "hell", false},
            {"", "", true},           {"", "a", false},
            {"a.yml", ".yml", true},  {"a.yaml", ".yml", false},
            {"lo", "hello", false},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;

        buf_adds(&b, cases[i].s);
        if (buf_ends_with(&b, cases[i].suffix) != cases[i].expected) {
            print_error("case %zu (\"%s\" ends with \"%s\"): expected %s\n", i, cases[i].s,
                        cases[i].suffix, cases[i].expected ? "true" : "false");
            bad++;
        }
        buf_release(&b);
    }
    if (bad)
        fail_msg("%d buf_ends_with cases failed", bad);
}

/* ---- buf: the cap ------------------------------------------------------------ */

enum cap_op { CAP_ADD, CAP_ADDS, CAP_ADDCH, CAP_ADDF, CAP_GROW };

static int cap_apply(struct buf *b, enum cap_op op, const char *arg, size_t n)
{
    switch (op) {
    case CAP_ADD:
        return buf_add(b, arg, n);
    case CAP_ADDS:
        return buf_adds(b, arg);
    case CAP_ADDCH:
        return buf_addch(b, arg[0]);
    case CAP_ADDF:
        return buf_addf(b, "%s", arg);
    case CAP_GROW:
        break;
    }
    return buf_grow(b, n);
}

static void test_buf_cap(void **state)
{
    /* 100 bytes: more than a small cap, and past the 8 bytes a first allocation has */
    static const char x100[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    static const struct {
        const char *what;
        size_t cap;
        const char *before; /* added first; fits */
        enum cap_op op;
        const char *arg; /* bytes, string, char or %s argument */
        size_t n;        /* bytes of arg for add, room for grow */
        int rc;
        const char *after; /* NULL: the prefix and all n bytes of arg */
    } cases[] = {
            {"add: exact fit", 8, "abc", CAP_ADD, "defgh", 5, 0, "abcdefgh"},
            {"add: one byte past", 8, "abc", CAP_ADD, "defghi", 6, DS_EIO, "abc"},
            {"add: past from empty", 4, "", CAP_ADD, "abcde", 5, DS_EIO, ""},
            {"add: to a full buffer", 3, "abc", CAP_ADD, "d", 1, DS_EIO, "abc"},
            {"add: nothing to a full buffer", 3, "abc", CAP_ADD, "", 0, 0, "abc"},
            {"add: past a larger cap", 64, "", CAP_ADD, x100, 100, DS_EIO, ""},
            {"add: uncapped", 0, "abc", CAP_ADD, x100, 100, 0, NULL},
            {"adds: exact fit", 5, "abc", CAP_ADDS, "de", 0, 0, "abcde"},
            {"adds: one byte past", 5, "abc", CAP_ADDS, "def", 0, DS_EIO, "abc"},
            {"addch: exact fit", 4, "abc", CAP_ADDCH, "d", 0, 0, "abcd"},
            {"addch: one byte past", 3, "abc", CAP_ADDCH, "d", 0, DS_EIO, "abc"},
            {"addch: NUL past", 1, "a", CAP_ADDCH, "", 0, DS_EIO, "a"},
            {"addf: exact fit", 5, "abc", CAP_ADDF, "de", 0, 0, "abcde"},
            {"addf: one byte past", 5, "abc", CAP_ADDF, "def", 0, DS_EIO, "abc"},
            /* the text fits in memory the buffer has (8 bytes), not under the cap */
            {"addf: past in allocated room", 5, "abc", CAP_ADDF, "de", 0, 0, "abcde"},
            {"addf: one past in allocated room", 4, "abc", CAP_ADDF, "de", 0, DS_EIO, "abc"},
            {"addf: past, needing more memory", 16, "abc", CAP_ADDF, x100, 0, DS_EIO, "abc"},
            {"addf: nothing to a full buffer", 3, "abc", CAP_ADDF, "", 0, 0, "abc"},
            {"grow: exact fit", 8, "abc", CAP_GROW, NULL, 5, 0, "abc"},
            {"grow: one byte past", 8, "abc", CAP_GROW, NULL, 6, DS_EIO, "abc"},
            {"grow: nothing on a full buffer", 3, "abc", CAP_GROW, NULL, 0, 0, "abc"},
            {"grow: SIZE_MAX", 8, "", CAP_GROW, NULL, SIZE_MAX, DS_EIO, ""},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *after = cases[i].after;
        size_t after_len = after ? strlen(after) : strlen(cases[i].before) + cases[i].n;
        struct buf b;
        size_t alloc;
        int rc;

        buf_init_capped(&b, cases[i].cap);
        assert_int_equal(buf_adds(&b, cases[i].before), 0);
        alloc = b.alloc;
        rc = cap_apply(&b, cases[i].op, cases[i].arg, cases[i].n);
        if (rc != cases[i].rc) {
            print_error("case %zu (%s): rc %d, expected %d\n", i, cases[i].what, rc, cases[i].rc);
            bad++;
        } else if (b.len != after_len || (after && memcmp(b.buf, after, b.len) != 0)) {
            char *got = quote(b.buf, b.len);

            print_error("case %zu (%s): %s (len %zu), expected \"%s\" (len %zu)\n", i,
                        cases[i].what, got, b.len, after ? after : "...", after_len);
            free(got);
            bad++;
        } else if (b.buf[b.len] != '\0' || (b.alloc && b.len >= b.alloc) || b.cap != cases[i].cap) {
            print_error("case %zu (%s): not NUL-terminated, or len %zu alloc %zu cap %zu\n", i,
                        cases[i].what, b.len, b.alloc, b.cap);
            bad++;
        } else if (rc < 0 && b.alloc != alloc) {
            print_error("case %zu (%s): a failed add reallocated (%zu -> %zu)\n", i, cases[i].what,
                        alloc, b.alloc);
            bad++;
        }
        buf_release(&b);
    }
    if (bad)
        fail_msg("%d capped buf cases failed", bad);
}

static void test_buf_cap_lifetime(void **state)
{
    struct buf b;
    char *p;
    size_t len;

    (void)state;
    /* A failed add leaves a buffer that takes what still fits. */
    buf_init_capped(&b, 4);
    assert_int_equal(buf_adds(&b, "abc"), 0);
    assert_int_equal(buf_adds(&b, "de"), DS_EIO);
    assert_int_equal(buf_addch(&b, 'd'), 0);
    assert_string_equal(b.buf, "abcd");
    assert_int_equal(buf_addch(&b, 'e'), DS_EIO);

    /* reset and consume keep the cap */
    buf_reset(&b);
    assert_int_equal(b.cap, 4);
    assert_int_equal(buf_adds(&b, "wxyz"), 0);
    buf_consume(&b, 2);
    assert_int_equal(buf_adds(&b, "ab"), 0);
    assert_string_equal(b.buf, "yzab");
    assert_int_equal(buf_adds(&b, "c"), DS_EIO);

    /* release: BUF_INIT again, uncapped */
    buf_release(&b);
    assert_buf_sane(&b);
    assert_int_equal(b.cap, 0);
    assert_int_equal(buf_adds(&b, "longer than four"), 0);
    assert_string_equal(b.buf, "longer than four");
    buf_release(&b);

    /* detach: the string is the caller's, the buffer uncapped */
    buf_init_capped(&b, 3);
    assert_int_equal(buf_adds(&b, "abc"), 0);
    p = buf_detach(&b, &len);
    assert_string_equal(p, "abc");
    assert_int_equal(len, 3);
    assert_buf_sane(&b);
    assert_int_equal(b.cap, 0);
    assert_int_equal(buf_adds(&b, "abcdef"), 0);
    free(p);

    /* detach of an empty capped buffer still gives a string to free */
    buf_release(&b);
    buf_init_capped(&b, 1);
    p = buf_detach(&b, NULL);
    assert_string_equal(p, "");
    assert_int_equal(b.cap, 0);
    free(p);

    /* buf_init is uncapped, BUF_INIT too */
    buf_init(&b, 16);
    assert_int_equal(b.cap, 0);
    buf_release(&b);
    {
        struct buf i = BUF_INIT;
        assert_int_equal(i.cap, 0);
    }
}

static void test_buf_cap_read_file(void **state)
{
    static const struct {
        size_t cap;      /* of the buffer */
        size_t read_cap; /* buf_read_file's own */
        const char *before;
        int rc;
    } cases[] = {
            {12, 0, "", 0}, /* the 12-byte file, exactly */
            {11, 0, "", -EFBIG},   {15, 0, "abc", 0},   {14, 0, "abc", -EFBIG},
            {100, 11, "", -EFBIG}, {100, 12, "abc", 0}, {0, 0, "abc", 0},
    };
    char *dir = test_mkdtemp();
    struct buf path = BUF_INIT;
    int bad = 0;

    (void)state;
    write_bytes(dir, "twelve", "hello world\n", 12);
    buf_addf(&path, "%s/twelve", dir);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b;
        struct buf expected = BUF_INIT;
        int rc;

        buf_init_capped(&b, cases[i].cap);
        buf_adds(&b, cases[i].before);
        buf_adds(&expected, cases[i].before);
        if (cases[i].rc == 0)
            buf_adds(&expected, "hello world\n");
        rc = buf_read_file(&b, path.buf, cases[i].read_cap);
        if (rc != cases[i].rc || b.len != expected.len || strcmp(b.buf, expected.buf) != 0 ||
            b.cap != cases[i].cap) {
            print_error("case %zu (cap %zu, read cap %zu, prefix \"%s\"): rc %d len %zu, "
                        "expected rc %d len %zu\n",
                        i, cases[i].cap, cases[i].read_cap, cases[i].before, rc, b.len, cases[i].rc,
                        expected.len);
            bad++;
        }
        buf_release(&b);
        buf_release(&expected);
    }
    buf_release(&path);
    test_rmtree(dir);
    free(dir);
    if (bad)
        fail_msg("%d capped buf_read_file cases failed", bad);
}

/* ---- strutil ------------------------------------------------------------------ */

static void test_str_to_int64(void **state)
{
    static const struct {
        const char *s;
        int64_t min, max;
        int rc;
        int64_t value;
    } cases[] = {
            /* valid */
            {"0", INT64_MIN, INT64_MAX, 0, 0},
            {"42", INT64_MIN, INT64_MAX, 0, 42},
            {"-7", INT64_MIN, INT64_MAX, 0, -7},
            {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX},
            {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN},
            {"-0", INT64_MIN, INT64_MAX, 0, 0},
            {"007", INT64_MIN, INT64_MAX, 0, 7},
            /* not a whole base-10 number */
            {"", INT64_MIN, INT64_MAX, -1, 0},
            {" 1", INT64_MIN, INT64_MAX, -1, 0},
            {"1 ", INT64_MIN, INT64_MAX, -1, 0},
            {"\t1", INT64_MIN, INT64_MAX, -1, 0},
            {"1\n", INT64_MIN, INT64_MAX, -1, 0},
            {"0x10", INT64_MIN, INT64_MAX, -1, 0},
            {"1e3", INT64_MIN, INT64_MAX, -1, 0},
            {"1.5", INT64_MIN, INT64_MAX, -1, 0},
            {"+", INT64_MIN, INT64_MAX, -1, 0},
            {"-", INT64_MIN, INT64_MAX, -1, 0},
            {"+1", INT64_MIN, INT64_MAX, -1, 0},
            {"--1", INT64_MIN, INT64_MAX, -1, 0},
            {"-+1", INT64_MIN, INT64_MAX, -1, 0},
            {"- 1", INT64_MIN, INT64_MAX, -1, 0},
            {"12a", INT64_MIN, INT64_MAX, -1, 0},
            {"abc", INT64_MIN, INT64_MAX, -1, 0},
            /* overflow */
            {"9223372036854775808", INT64_MIN, INT64_MAX, -1, 0},
            {"-9223372036854775809", INT64_MIN, INT64_MAX, -1, 0},
            {"99999999999999999999999", INT64_MIN, INT64_MAX, -1, 0},
            /* range */
            {"0", 0, 10, 0, 0},
            {"10", 0, 10, 0, 10},
            {"11", 0, 10, -1, 0},
            {"-1", 0, 10, -1, 0},
            {"5", 5, 5, 0, 5},
            {"4", 5, 5, -1, 0},
            {"6", 5, 5, -1, 0},
            {"-5", -10, -1, 0, -5},
            {"0", -10, -1, -1, 0},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const int64_t sentinel = 12345;
        int64_t out = sentinel;
        int rc = str_to_int64(cases[i].s, cases[i].min, cases[i].max, &out);

        if (rc != cases[i].rc) {
            print_error("case %zu (\"%s\" in [%lld, %lld]): rc %d, expected %d\n", i, cases[i].s,
                        (long long)cases[i].min, (long long)cases[i].max, rc, cases[i].rc);
            bad++;
        } else if (rc == 0 && out != cases[i].value) {
            print_error("case %zu (\"%s\"): value %lld, expected %lld\n", i, cases[i].s,
                        (long long)out, (long long)cases[i].value);
            bad++;
        } else if (rc < 0 && out != sentinel) {
            print_error("case %zu (\"%s\"): failed but changed *out to %lld\n", i, cases[i].s,
                        (long long)out);
            bad++;
        }
    }
    if (bad)
        fail_msg("%d str_to_int64 cases failed", bad);
}

static void test_str_to_int(void **state)
{
    static const struct {
        const char *s;
        int min, max;
        int rc;
        int value;
    } cases[] = {
            {"0", INT_MIN, INT_MAX, 0, 0},
            {"42", INT_MIN, INT_MAX, 0, 42},
            {"-7", INT_MIN, INT_MAX, 0, -7},
            {"2147483647", INT_MIN, INT_MAX, 0, INT_MAX},
            {"-2147483648", INT_MIN, INT_MAX, 0, INT_MIN},
            {"2147483648", INT_MIN, INT_MAX, -1, 0},
            {"-2147483649", INT_MIN, INT_MAX, -1, 0},
            {"9223372036854775807", INT_MIN, INT_MAX, -1, 0},
            {"4294967296", INT_MIN, INT_MAX, -1, 0}, /* would wrap to 0 as int */
            {"", INT_MIN, INT_MAX, -1, 0},
            {" 1", INT_MIN, INT_MAX, -1, 0},
            {"1 ", INT_MIN, INT_MAX, -1, 0},
            {"0x10", INT_MIN, INT_MAX, -1, 0},
            {"1e3", INT_MIN, INT_MAX, -1, 0},
            {"+", INT_MIN, INT_MAX, -1, 0},
            {"-", INT_MIN, INT_MAX, -1, 0},
            {"12a", INT_MIN, INT_MAX, -1, 0},
            {"65535", 0, 65535, 0, 65535},
            {"65536", 0, 65535, -1, 0},
            {"-1", 0, 65535, -1, 0},
            {"1", 1, 1, 0, 1},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int out = 777;
        int rc = str_to_int(cases[i].s, cases[i].min, cases[i].max, &out);

        if (rc != cases[i].rc || (rc == 0 && out != cases[i].value) || (rc < 0 && out != 777)) {
            print_error("case %zu (\"%s\" in [%d, %d]): rc %d value %d, expected rc %d value %d\n",
                        i, cases[i].s, cases[i].min, cases[i].max, rc, out, cases[i].rc,
                        cases[i].rc == 0 ? cases[i].value : 777);
            bad++;
        }
    }
    if (bad)
        fail_msg("%d str_to_int cases failed", bad);
}

static void test_str_affixes(void **state)
{
    static const struct {
        const char *s, *affix;
        bool starts, ends;
    } cases[] = {
            {"hello", "he", true, false},
            {"hello", "lo", false, true},
            {"hello", "hello", true, true},
            {"hello", "", true, true},
            {"", "", true, true},
            {"", "a", false, false},
            {"he", "hello", false, false},
            {"hello", "He", false, false},
            {"abab", "ab", true, true},
            {"--name=x", "--", true, false},
            {"compose.yml", ".yml", false, true},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *rest = "untouched";
        bool starts = str_starts_with(cases[i].s, cases[i].affix);
        bool ends = str_ends_with(cases[i].s, cases[i].affix);
        bool skipped = str_skip_prefix(cases[i].s, cases[i].affix, &rest);

        if (starts != cases[i].starts) {
            print_error("case %zu: str_starts_with(\"%s\", \"%s\") = %d, expected %d\n", i,
                        cases[i].s, cases[i].affix, starts, cases[i].starts);
            bad++;
        }
        if (ends != cases[i].ends) {
            print_error("case %zu: str_ends_with(\"%s\", \"%s\") = %d, expected %d\n", i,
                        cases[i].s, cases[i].affix, ends, cases[i].ends);
            bad++;
        }
        if (skipped != cases[i].starts) {
            print_error("case %zu: str_skip_prefix(\"%s\", \"%s\") = %d, expected %d\n", i,
                        cases[i].s, cases[i].affix, skipped, cases[i].starts);
            bad++;
        } else if (skipped && rest != cases[i].s + strlen(cases[i].affix)) {
            print_error("case %zu: str_skip_prefix(\"%s\", \"%s\") rest \"%s\", expected \"%s\"\n",
                        i, cases[i].s, cases[i].affix, rest, cases[i].s + strlen(cases[i].affix));
            bad++;
        } else if (!skipped && strcmp(rest, "untouched") != 0) {
            print_error("case %zu: str_skip_prefix(\"%s\", \"%s\") failed but set rest\n", i,
                        cases[i].s, cases[i].affix);
            bad++;
        }
    }
    if (bad)
        fail_msg("%d affix cases failed", bad);
}

/* ---- error -------------------------------------------------------------------- */

static void test_error_set(void **state)
{
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    assert_int_equal(ds_error_set(&err, DS_EINVAL, "bad value '%s' (%d)", "x", 3), DS_EINVAL);
    assert_int_equal(err.code, DS_EINVAL);
    assert_non_null(err.msg);
    assert_string_equal(err.msg, "bad value 'x' (3)");
    assert_null(err.hint);

    /* A later error replaces the earlier one, hint included. */
    ds_error_hint(&err, "try again");
    assert_int_equal(ds_error_set(&err, DS_ENOTFOUND, "no such service '%s'", "db"), DS_ENOTFOUND);
    assert_int_equal(err.code, DS_ENOTFOUND);
    assert_string_equal(err.msg, "no such service 'db'");
    assert_null(err.hint);

    /* A long message is not truncated. */
    {
        char *long_str = xmalloc(5001);

        memset(long_str, 'm', 5000);
        long_str[5000] = '\0';
        ds_error_set(&err, DS_EIO, "%s!", long_str);
        assert_int_equal(strlen(err.msg), 5001);
        assert_memory_equal(err.msg, long_str, 5000);
        free(long_str);
    }
    ds_error_release(&err);
}

static void test_error_wrap(void **state)
{
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    ds_error_set(&err, DS_EUNREACHABLE, "connection refused");
    ds_error_hint(&err, "is the engine running?");

    assert_int_equal(ds_error_wrap(&err, "reading '%s'", "/run/x.sock"), DS_EUNREACHABLE);
    assert_string_equal(err.msg, "reading '/run/x.sock': connection refused");
    assert_int_equal(ds_error_wrap(&err, "starting service '%s'", "db"), DS_EUNREACHABLE);
    assert_string_equal(err.msg,
                        "starting service 'db': reading '/run/x.sock': connection refused");
    assert_int_equal(ds_error_wrap(&err, "up (%d services)", 3), DS_EUNREACHABLE);
    assert_string_equal(err.msg, "up (3 services): starting service 'db': reading '/run/x.sock': "
                                 "connection refused");
    /* The code and the hint survive wrapping. */
    assert_int_equal(err.code, DS_EUNREACHABLE);
    assert_non_null(err.hint);
    assert_string_equal(err.hint, "is the engine running?");
    ds_error_release(&err);

    /* Wrapping when nothing was set yet gives the context alone and a generic code. */
    assert_int_equal(ds_error_wrap(&err, "context %d", 1), DS_ERR);
    assert_int_equal(err.code, DS_ERR);
    assert_string_equal(err.msg, "context 1");
    ds_error_release(&err);
}

static void test_error_hint(void **state)
{
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    ds_error_set(&err, DS_EPERM, "permission denied");
    ds_error_hint(&err, "add yourself to the '%s' group", "docker");
    assert_string_equal(err.hint, "add yourself to the 'docker' group");
    assert_string_equal(err.msg, "permission denied");
    assert_int_equal(err.code, DS_EPERM);

    ds_error_hint(&err, "run '%s %s'", "devstack", "setup");
    assert_string_equal(err.hint, "run 'devstack setup'");
    assert_string_equal(err.msg, "permission denied");
    ds_error_release(&err);

    /* A hint on its own does not make an error. */
    ds_error_hint(&err, "%s", "just advice");
    assert_string_equal(err.hint, "just advice");
    assert_null(err.msg);
    assert_int_equal(err.code, 0);
    ds_error_release(&err);
}

static void test_error_errno(void **state)
{
    static const struct {
        int errnum;
        int code;
    } cases[] = {
            {ENOENT, DS_ENOTFOUND},
            {ENOTDIR, DS_ENOTFOUND},
            {EACCES, DS_EPERM},
            {EPERM, DS_EPERM},
            {EINVAL, DS_EINVAL},
            {EEXIST, DS_ECONFLICT},
            {ECONNREFUSED, DS_EUNREACHABLE},
            {EHOSTUNREACH, DS_EUNREACHABLE},
            {ENETUNREACH, DS_EUNREACHABLE},
            {ETIMEDOUT, DS_ETIMEDOUT},
            {EINTR, DS_EINTR},
            {EIO, DS_EIO},
            {ENOSPC, DS_EIO},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        struct buf expected = BUF_INIT;
        int rc;

        ds_error_set(&err, DS_EINVAL, "an earlier error");
        ds_error_hint(&err, "an earlier hint");
        rc = ds_error_errno(&err, cases[i].errnum, "opening '%s'", "compose.yml");
        buf_addf(&expected, "opening 'compose.yml': %s", strerror(cases[i].errnum));
        if (rc != cases[i].code || err.code != cases[i].code) {
            print_error("case %zu (errno %d, %s): rc %d code %d, expected %d\n", i, cases[i].errnum,
                        strerror(cases[i].errnum), rc, err.code, cases[i].code);
            bad++;
        }
        if (!err.msg || strcmp(err.msg, expected.buf) != 0) {
            print_error("case %zu (errno %d): msg \"%s\", expected \"%s\"\n", i, cases[i].errnum,
                        err.msg ? err.msg : "(null)", expected.buf);
            bad++;
        }
        if (err.hint) {
            print_error("case %zu (errno %d): the earlier hint \"%s\" survived\n", i,
                        cases[i].errnum, err.hint);
            bad++;
        }
        if (ds_status_from_errno(cases[i].errnum) != cases[i].code) {
            print_error("case %zu: ds_status_from_errno(%d) = %d, expected %d\n", i,
                        cases[i].errnum, ds_status_from_errno(cases[i].errnum), cases[i].code);
            bad++;
        }
        buf_release(&expected);
        ds_error_release(&err);
    }
    assert_int_equal(ds_status_from_errno(0), DS_OK);
    if (bad)
        fail_msg("%d ds_error_errno cases failed", bad);
}

static void test_error_release(void **state)
{
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    ds_error_release(&err);
    assert_int_equal(err.code, 0);
    assert_null(err.msg);
    assert_null(err.hint);

    ds_error_set(&err, DS_ECONFLICT, "port %d is allocated", 8080);
    ds_error_hint(&err, "stop the other service");
    ds_error_release(&err);
    assert_int_equal(err.code, DS_OK);
    assert_null(err.msg);
    assert_null(err.hint);
    ds_error_release(&err);
    assert_null(err.msg);

    /* Reusable after release. */
    ds_error_set(&err, DS_EIO, "again");
    assert_string_equal(err.msg, "again");
    ds_error_release(&err);
}

static void test_error_null(void **state)
{
    (void)state;
    assert_int_equal(ds_error_set(NULL, DS_EINVAL, "ignored %d", 1), DS_EINVAL);
    assert_int_equal(ds_error_set(NULL, DS_ETIMEDOUT, "ignored"), DS_ETIMEDOUT);
    assert_int_equal(ds_error_errno(NULL, ENOENT, "ignored"), DS_ENOTFOUND);
    assert_int_equal(ds_error_errno(NULL, EACCES, "ignored"), DS_EPERM);
    assert_true(ds_error_wrap(NULL, "ignored %s", "x") < 0);
    ds_error_hint(NULL, "ignored %s", "x");
    ds_error_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_buf_init_state),    cmocka_unit_test(test_buf_many_appends),
            cmocka_unit_test(test_buf_addf_long),     cmocka_unit_test(test_buf_addf_formats),
            cmocka_unit_test(test_buf_embedded_nul),  cmocka_unit_test(test_buf_setlen_reset),
            cmocka_unit_test(test_buf_consume),       cmocka_unit_test(test_buf_rtrim),
            cmocka_unit_test(test_buf_detach),        cmocka_unit_test(test_buf_release_idempotent),
            cmocka_unit_test(test_buf_read_file),     cmocka_unit_test(test_buf_ends_with),
            cmocka_unit_test(test_buf_cap),           cmocka_unit_test(test_buf_cap_lifetime),
            cmocka_unit_test(test_buf_cap_read_file), cmocka_unit_test(test_str_to_int64),
            cmocka_unit_test(test_str_to_int),        cmocka_unit_test(test_str_affixes),
            cmocka_unit_test(test_error_set),         cmocka_unit_test(test_error_wrap),
            cmocka_unit_test(test_error_hint),        cmocka_unit_test(test_error_errno),
            cmocka_unit_test(test_error_release),     cmocka_unit_test(test_error_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
