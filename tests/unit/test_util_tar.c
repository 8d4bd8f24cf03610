/*
 * The build-context tar stream, checked against GNU tar: build a tree, stream
 * it, list and extract the archive with the system's tar, and compare the
 * result with what should be there.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/ignore.h"
#include "util/strvec.h"
#include "util/tar.h"
#include "util/banned.h"

#define T0 1500000000 /* mtimes of the test trees start here */

struct node {
    char *path;
    char type;       /* 'f' file, 'd' directory, 'l' symlink, 's' socket, 'p' fifo */
    struct buf data; /* file contents or link target */
    unsigned mode;
    bool present; /* expected in the archive */
};

struct tree {
    char *root;
    struct node *v;
    size_t n, alloc;
    int sockets[4];
    size_t nsockets;
};

static void tree_add(struct tree *t, const char *path, char type, const char *data, size_t len,
                     unsigned mode, bool present)
{
    struct node *n;

    t->v = xgrow(t->v, &t->alloc, t->n + 1, sizeof(*t->v));
    n = &t->v[t->n++];
    n->path = xstrdup(path);
    n->type = type;
    buf_init(&n->data, 0);
    if (data)
        buf_add(&n->data, data, len);
    n->mode = mode;
    n->present = present;
}

static void tree_file(struct tree *t, const char *path, const char *content, unsigned mode,
                      bool present)
{
    tree_add(t, path, 'f', content, strlen(content), mode, present);
}

static void must(int rc, const char *what, const char *path)
{
    if (rc < 0)
        fail_msg("%s '%s': %s", what, path, strerror(errno));
}

/* Create the nodes on disk, in order, then give them mtimes, children first. */
static void tree_create(struct tree *t)
{
    struct buf p = BUF_INIT;

    t->root = test_mkdtemp();
    for (size_t i = 0; i < t->n; i++) {
        struct node *n = &t->v[i];
        int fd;

        buf_reset(&p);
        buf_addf(&p, "%s/%s", t->root, n->path);
        switch (n->type) {
        case 'd':
            must(mkdir(p.buf, 0700), "mkdir", p.buf);
            break;
        case 'f':
            fd = open(p.buf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            must(fd, "create", p.buf);
            if (write(fd, n->data.buf, n->data.len) != (ssize_t)n->data.len)
                fail_msg("cannot write '%s'", p.buf);
            close(fd);
            break;
        case 'l':
            must(symlink(n->data.buf, p.buf), "symlink", p.buf);
            break;
        case 's':
            t->sockets[t->nsockets++] = test_make_socket(p.buf);
            break;
        case 'p':
            must(mkfifo(p.buf, 0644), "mkfifo", p.buf);
            break;
        }
    }
    for (size_t i = t->n; i-- > 0;) {
        struct node *n = &t->v[i];
        struct timespec ts[2] = {{T0 + (time_t)i * 1000, 0}, {T0 + (time_t)i * 1000, 0}};

        buf_reset(&p);
        buf_addf(&p, "%s/%s", t->root, n->path);
        if (n->type == 'f' || n->type == 'd')
            must(chmod(p.buf, n->mode), "chmod", p.buf);
        must(utimensat(AT_FDCWD, p.buf, ts, AT_SYMLINK_NOFOLLOW), "utimensat", p.buf);
    }
    buf_release(&p);
}

static void tree_free(struct tree *t)
{
    for (size_t i = 0; i < t->nsockets; i++)
        close(t->sockets[i]);
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].path);
        buf_release(&t->v[i].data);
    }
    free(t->v);
    test_rmtree(t->root);
    free(t->root);
}

/* Run argv (no shell), stdout into out_path (or /dev/null); fail the test unless it exits 0. */
static void run(const char *const *argv, const char *out_path)
{
    posix_spawn_file_actions_t fa;
    extern char **environ;
    pid_t pid;
    int status, rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fail_msg("cannot run %s: %s", argv[0], strerror(rc));
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s %s %s failed", argv[0], argv[1], argv[2] ? argv[2] : "");
}

/* Stream dir into out_path with reads of `chunk` bytes; returns the stream's entry count. */
static size_t stream_to_file(const char *dir, const struct ignore *ig, const char *const *always,
                             size_t chunk, const char *out_path)
{
    struct ds_error err = DS_ERROR_INIT;
    struct tar_stream *t = NULL;
    char *buf = xmalloc(chunk);
    FILE *f = fopen(out_path, "wb");
    size_t entries;
    ssize_t n;

    if (!f)
        fail_msg("cannot write '%s'", out_path);
    if (tar_stream_open(&t, dir, ig, always, &err) < 0)
        fail_msg("tar_stream_open: %s", err.msg);
    while ((n = tar_stream_read(buf, chunk, t)) > 0) {
        assert_true((size_t)n <= chunk);
        assert_int_equal(fwrite(buf, 1, (size_t)n, f), (size_t)n);
    }
    if (n < 0)
        fail_msg("tar_stream_read: %s", tar_stream_error(t)->msg);
    assert_int_equal(tar_stream_read(buf, chunk, t), 0); /* stays at the end */
    entries = tar_stream_entries(t);
    tar_stream_free(t);
    fclose(f);
    free(buf);
    return entries;
}

static void read_all(struct buf *b, const char *path)
{
    int rc = buf_read_file(b, path, 0);

    if (rc < 0)
        fail_msg("cannot read '%s': %s", path, strerror(-rc));
}

static unsigned long long parse_octal(const char *s, size_t n)
{
    unsigned long long v = 0;

    for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '7'; i++)
        v = v * 8 + (unsigned)(s[i] - '0');
    return v;
}

struct archive_stats {
    size_t entries;  /* pax headers not counted */
    size_t prefixed; /* entries whose path uses ustar's prefix field */
    size_t pax;      /* pax headers */
};

/* Check every header of an archive by hand: checksum, magic, owner, pax record lengths. */
static struct archive_stats check_archive(const char *path)
{
    struct archive_stats stats = {0};
    struct buf a = BUF_INIT;
    size_t off = 0;
    unsigned long long pax_size = 0;
    bool have_pax_size = false;

    read_all(&a, path);
    assert_int_equal(a.len % 512, 0);
    for (;;) {
        const unsigned char *h = (const unsigned char *)a.buf + off;
        unsigned long long size, sum = 0;
        bool zero = true;

        assert_true(off + 512 <= a.len);
        for (size_t i = 0; i < 512; i++)
            zero &= h[i] == 0;
        if (zero) {
            /* the end: exactly two zero blocks */
            assert_int_equal(a.len, off + 1024);
            for (size_t i = 512; i < 1024; i++)
                assert_int_equal(h[i], 0);
            break;
        }
        for (size_t i = 0; i < 512; i++)
            sum += i >= 148 && i < 156 ? ' ' : h[i];
        assert_int_equal(parse_octal((const char *)h + 148, 8), sum);
        assert_memory_equal(h + 257,
                            "ustar\0"
                            "00",
                            8);
        assert_string_equal((const char *)h + 108, "0000000"); /* uid */
        assert_string_equal((const char *)h + 116, "0000000"); /* gid */
        assert_string_equal((const char *)h + 265, "root");
        size = parse_octal((const char *)h + 124, 12);
        off += 512;
        if (h[156] == 'x') {
            /* records: "<len> key=value\n", len counting the whole record */
            size_t p = off;

            stats.pax++;
            while (p < off + size) {
                char *end;
                unsigned long len = strtoul(a.buf + p, &end, 10);

                assert_true(*end == ' ' && len > 0 && p + len <= off + size);
                assert_int_equal(a.buf[p + len - 1], '\n');
                if (!strncmp(end + 1, "size=", 5)) {
                    pax_size = strtoull(end + 6, NULL, 10);
                    have_pax_size = true;
                }
                p += len;
            }
            assert_int_equal(p, off + size);
        } else {
            stats.entries++;
            stats.prefixed += h[345] != 0;
            if (have_pax_size)
                size = pax_size;
            have_pax_size = false;
            if (h[156] != '0')
                assert_int_equal(size, 0);
        }
        off += (size + 511) / 512 * 512;
    }
    buf_release(&a);
    return stats;
}

struct seen {
    const char *root;
    struct strvec *paths;
};
static struct seen seen_ctx;

static int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    if (strlen(path) > strlen(seen_ctx.root))
        strvec_push(seen_ctx.paths, path + strlen(seen_ctx.root) + 1);
    return 0;
}

/* Compare an extracted tree with the nodes expected in it. */
static void tree_compare(const struct tree *t, const char *dst)
{
    struct strvec found = STRVEC_INIT;
    struct buf p = BUF_INIT, q = BUF_INIT;

    for (size_t i = 0; i < t->n; i++) {
        const struct node *n = &t->v[i];
        struct stat st;
        bool exists;

        buf_reset(&p);
        buf_addf(&p, "%s/%s", dst, n->path);
        exists = lstat(p.buf, &st) == 0;
        if (exists != n->present)
            fail_msg("'%s' should %sbe in the archive", n->path, n->present ? "" : "not ");
        if (!exists)
            continue;
        switch (n->type) {
        case 'f':
            assert_true(S_ISREG(st.st_mode));
            buf_reset(&q);
            if (buf_read_file(&q, p.buf, 0) < 0)
                fail_msg("cannot read '%s'", p.buf);
            if (q.len != n->data.len || memcmp(q.buf, n->data.buf, q.len))
                fail_msg("'%s': contents differ (%zu bytes, expected %zu)", n->path, q.len,
                         n->data.len);
            break;
        case 'd':
            assert_true(S_ISDIR(st.st_mode));
            break;
        case 'l':
            assert_true(S_ISLNK(st.st_mode));
            buf_reset(&q);
            buf_grow(&q, 8192);
            {
                ssize_t len = readlink(p.buf, q.buf, 8191);
                assert_true(len >= 0);
                buf_setlen(&q, (size_t)len);
            }
            assert_string_equal(q.buf, n->data.buf);
            continue;
        default:
            fail_msg("'%s': a special file came through", n->path);
        }
        if ((st.st_mode & 07777) != n->mode)
            fail_msg("'%s': mode %o, expected %o", n->path, st.st_mode & 07777, n->mode);
        if (st.st_mtime != T0 + (time_t)i * 1000)
            fail_msg("'%s': mtime %lld, expected %lld", n->path, (long long)st.st_mtime,
                     (long long)(T0 + (time_t)i * 1000));
    }
    /* and nothing else */
    seen_ctx.root = dst;
    seen_ctx.paths = &found;
    nftw(dst, collect, 16, FTW_PHYS);
    for (size_t i = 0; i < found.n; i++) {
        bool known = false;

        for (size_t j = 0; j < t->n && !known; j++)
            known = t->v[j].present && !strcmp(t->v[j].path, found.v[i]);
        if (!known)
            fail_msg("'%s' should not be in the archive", found.v[i]);
    }
    strvec_clear(&found);
    buf_release(&p);
    buf_release(&q);
}

static void build_big_tree(struct tree *t, struct buf *name)
{
    struct buf bin = BUF_INIT, deep = BUF_INIT, s = BUF_INIT;

    tree_file(t, ".dockerignore",
              "# what the build does not need\n"
              "*.log\n"
              "build\n"
              "!build/keep/\n"
              "secret*\n"
              "!secret-ok.txt\n"
              "Dockerfile\n"
              ".dockerignore\n"
              "node_modules\n"
              "**/*.tmp\n",
              0644, true);
    tree_file(t, "Dockerfile", "FROM scratch\nCOPY . /\n", 0644, true);
    tree_file(t, "app.log", "noise\n", 0644, false);
    tree_add(t, "build", 'd', NULL, 0, 0750, true); /* leads to build/keep */
    tree_file(t, "build/out.o", "obj", 0644, false);
    tree_add(t, "build/keep", 'd', NULL, 0, 0755, true);
    tree_file(t, "build/keep/a.txt", "kept\n", 0644, true);
    tree_file(t, "build/keep/b.log", "a log\n", 0644, true); /* "!build/keep/" comes later */
    tree_file(t, "build/keep/c.tmp", "tmp\n", 0644, false);  /* the .tmp rule comes later still */
    tree_add(t, "build/other", 'd', NULL, 0, 0755, false);
    tree_file(t, "build/other/x", "x", 0644, false);
    tree_file(t, "secret.txt", "s3cr3t", 0600, false);
    tree_file(t, "secret-ok.txt", "fine", 0600, true);
    tree_add(t, "node_modules", 'd', NULL, 0, 0755, false);
    tree_add(t, "node_modules/pkg", 'd', NULL, 0, 0755, false);
    tree_file(t, "node_modules/pkg/index.js", "js", 0644, false);
    tree_add(t, "src", 'd', NULL, 0, 0700, true);
    tree_file(t, "src/main.c", "int main(void) { return 0; }\n", 0644, true);
    tree_file(t, "src/scratch.tmp", "tmp", 0644, false);
    tree_file(t, "src/empty", "", 0644, true);
    tree_file(t, "src/run.sh", "#!/bin/sh\necho hi\n", 0755, true);
    tree_add(t, "src/link", 'l', "main.c", 6, 0777, true);
    tree_add(t, "src/dangling", 'l', "../nowhere/at/all", 17, 0777, true);
    tree_add(t, "src/sock", 's', NULL, 0, 0, false);
    tree_add(t, "src/fifo", 'p', NULL, 0, 0, false);
    /* binary: every byte value, NULs included, across several 64 KiB reads */
    for (size_t i = 0; i < 300000; i++)
        buf_addch(&bin, (int)((i * 7 + i / 256) & 0xff));
    tree_add(t, "src/blob.bin", 'f', bin.buf, bin.len, 0644, true);
    /* 512 bytes exactly: no padding */
    buf_reset(&bin);
    for (size_t i = 0; i < 512; i++)
        buf_addch(&bin, (int)(i & 0xff));
    tree_add(t, "src/block", 'f', bin.buf, bin.len, 0444, true);

    /*
     * long names: a 141-byte path (ustar's prefix and name fields), a 150-byte
     * file name (no ustar split can hold it: pax), a path over 255 bytes (pax)
     */
    buf_reset(&s);
    buf_adds(&s, "src/");
    for (int i = 0; i < 80; i++)
        buf_addch(&s, 'p');
    tree_add(t, s.buf, 'd', NULL, 0, 0755, true);
    buf_addch(&s, '/');
    for (int i = 0; i < 56; i++)
        buf_addch(&s, 'q');
    tree_file(t, s.buf, "split\n", 0644, true);
    buf_reset(name);
    for (int i = 0; i < 150; i++)
        buf_addch(name, 'n');
    buf_reset(&s);
    buf_addf(&s, "src/%s", name->buf);
    tree_file(t, s.buf, "pax name\n", 0644, true);
    buf_reset(&s);
    buf_adds(&s, "long");
    for (int i = 0; i < 200; i++)
        buf_addch(&s, 'd');
    tree_add(t, s.buf, 'd', NULL, 0, 0755, true);
    buf_addf(&s, "/%s", name->buf); /* 355 bytes */
    tree_file(t, s.buf, "pax path\n", 0640, true);
    /* a symlink whose target is over 100 bytes (pax linkpath) */
    buf_reset(&s);
    for (int i = 0; i < 30; i++)
        buf_adds(&s, "../x/");
    buf_adds(&s, "target");
    tree_add(t, "src/farlink", 'l', s.buf, s.len, 0777, true);
    /* a 120-byte directory name: with its '/', only pax can hold it */
    buf_reset(&s);
    for (int i = 0; i < 120; i++)
        buf_addch(&s, 'D');
    tree_add(t, s.buf, 'd', NULL, 0, 0755, true);

    /* a deep directory */
    buf_reset(&deep);
    for (int i = 0; i < 60; i++) {
        if (i)
            buf_addch(&deep, '/');
        buf_addf(&deep, "d%02d", i);
        tree_add(t, deep.buf, 'd', NULL, 0, 0755, true);
    }
    buf_addf(&deep, "/bottom.txt");
    tree_file(t, deep.buf, "deep\n", 0644, true);

    buf_release(&bin);
    buf_release(&deep);
    buf_release(&s);
}

static void test_tree_roundtrip(void **state)
{
    static const char *const always[] = {"Dockerfile", ".dockerignore", NULL};
    static const size_t chunks[] = {1, 7, 512, 65536};
    struct tree t = {0};
    struct buf name = BUF_INIT, out = BUF_INIT, first = BUF_INIT, listing = BUF_INIT, b = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct ignore *ig = NULL;
    char *work = test_mkdtemp(), *dst;
    size_t entries = 0, present = 0;
    struct archive_stats stats;

    (void)state;
    build_big_tree(&t, &name);
    tree_create(&t);
    assert_int_equal(ignore_load(&ig, t.root, &err), 0);

    /* every read size gives the same bytes */
    for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
        buf_reset(&out);
        buf_addf(&out, "%s/ctx-%zu.tar", work, chunks[i]);
        entries = stream_to_file(t.root, ig, always, chunks[i], out.buf);
        if (i == 0) {
            buf_adds(&first, out.buf);
            continue;
        }
        run((const char *const[]){"cmp", "-s", first.buf, out.buf, NULL}, NULL);
    }
    for (size_t i = 0; i < t.n; i++)
        present += t.v[i].present;
    assert_int_equal(entries, present);
    stats = check_archive(first.buf);
    assert_int_equal(stats.entries, entries);
    assert_int_equal(stats.prefixed, 1 + 36); /* the 141-byte path, the deep tree's longest */
    assert_int_equal(stats.pax, 5); /* 150-byte name, 355-byte path, link, 2 directories */

    /* GNU tar lists it: one line per entry, all owned by root */
    buf_addf(&listing, "%s/listing", work);
    run((const char *const[]){"tar", "-tvf", first.buf, NULL}, listing.buf);
    read_all(&b, listing.buf);
    {
        size_t lines = 0;

        for (const char *l = b.buf; *l; l = strchr(l, '\n') + 1) {
            if (!strstr(l, " root/root ") || strstr(l, " root/root ") > strchr(l, '\n'))
                fail_msg("not owned by root: %.*s", (int)(strchr(l, '\n') - l), l);
            lines++;
        }
        assert_int_equal(lines, entries);
    }
    assert_non_null(strstr(b.buf, name.buf));
    assert_non_null(strstr(b.buf, "src/link -> main.c\n"));

    /* ... and extracts it to the same tree, less what .dockerignore leaves out */
    dst = test_mkdtemp();
    run((const char *const[]){"tar", "-xpf", first.buf, "-C", dst, NULL}, NULL);
    tree_compare(&t, dst);

    test_rmtree(dst);
    free(dst);
    ignore_free(ig);
    tree_free(&t);
    test_rmtree(work);
    free(work);
    buf_release(&name);
    buf_release(&out);
    buf_release(&first);
    buf_release(&listing);
    buf_release(&b);
}

static void test_deterministic(void **state)
{
    struct tree t = {0};
    struct buf a = BUF_INIT, b = BUF_INIT, name = BUF_INIT;
    char *work = test_mkdtemp();

    (void)state;
    build_big_tree(&t, &name);
    tree_create(&t);
    buf_addf(&a, "%s/one.tar", work);
    buf_addf(&b, "%s/two.tar", work);
    /* no rules: everything but the special files */
    stream_to_file(t.root, NULL, NULL, 4096, a.buf);
    stream_to_file(t.root, NULL, NULL, 1000, b.buf);
    run((const char *const[]){"cmp", "-s", a.buf, b.buf, NULL}, NULL);
    assert_int_equal(check_archive(a.buf).entries, t.n - 2);
    tree_free(&t);
    test_rmtree(work);
    free(work);
    buf_release(&a);
    buf_release(&b);
    buf_release(&name);
}

/* A file the walk found must still be there, whole, when its turn comes. */
static void test_changed_files(void **state)
{
    static const struct {
        const char *what;
        int action; /* 0 unlink, 1 truncate, 2 grow, 3 replace with a directory */
        const char *error_has;
    } cases[] = {
            {"vanished", 0, "b.txt': No such file or directory"},
            {"shrank", 1, "b.txt' changed size while the context was sent: 70000 bytes, now 10"},
            {"grew", 2, "b.txt' changed size while the context was sent: 70000 bytes, now 70001"},
            {"became a directory", 3, "b.txt' is no longer a regular file"},
    };
    struct buf content = BUF_INIT, path = BUF_INIT;

    (void)state;
    for (int i = 0; i < 70000; i++)
        buf_addch(&content, 'a' + i % 26);
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        struct ds_error err = DS_ERROR_INIT;
        struct tar_stream *t = NULL;
        char *dir = test_mkdtemp(), buf[300];
        size_t total = 0;
        ssize_t n;

        test_write_file(dir, "a.txt", "first\n");
        test_write_file(dir, "b.txt", content.buf);
        assert_int_equal(tar_stream_open(&t, dir, NULL, NULL, &err), 0);
        assert_int_equal(tar_stream_file_bytes(t), 70006);
        buf_reset(&path);
        buf_addf(&path, "%s/b.txt", dir);
        switch (cases[c].action) {
        case 0:
            must(unlink(path.buf), "unlink", path.buf);
            break;
        case 1:
            must(truncate(path.buf, 10), "truncate", path.buf);
            break;
        case 2:
            must(truncate(path.buf, 70001), "truncate", path.buf);
            break;
        case 3:
            must(unlink(path.buf), "unlink", path.buf);
            must(mkdir(path.buf, 0755), "mkdir", path.buf);
            break;
        }
        while ((n = tar_stream_read(buf, sizeof(buf), t)) > 0)
            total += (size_t)n;
        assert_int_equal(n, -1);
        /* a.txt went out whole; not one byte of b.txt's header did */
        assert_int_equal(total, 1024);
        if (!strstr(tar_stream_error(t)->msg, cases[c].error_has))
            fail_msg("%s: error '%s'", cases[c].what, tar_stream_error(t)->msg);
        assert_int_equal(tar_stream_read(buf, sizeof(buf), t), -1); /* and stays failed */
        tar_stream_free(t);
        test_rmtree(dir);
        free(dir);
    }
    buf_release(&content);
    buf_release(&path);
}

static void test_shrinks_while_read(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct tar_stream *t = NULL;
    struct buf content = BUF_INIT, path = BUF_INIT;
    char *dir = test_mkdtemp(), buf[7];
    size_t total = 0;
    ssize_t n;

    (void)state;
    for (int i = 0; i < 100000; i++)
        buf_addch(&content, 'x');
    test_write_file(dir, "big", content.buf);
    assert_int_equal(tar_stream_open(&t, dir, NULL, NULL, &err), 0);
    while (total < 512 + 5000 && (n = tar_stream_read(buf, sizeof(buf), t)) > 0)
        total += (size_t)n;
    buf_addf(&path, "%s/big", dir);
    must(truncate(path.buf, 6000), "truncate", path.buf);
    while ((n = tar_stream_read(buf, sizeof(buf), t)) > 0)
        total += (size_t)n;
    assert_int_equal(n, -1);
    assert_int_equal(total, 512 + 6000);
    assert_non_null(strstr(tar_stream_error(t)->msg,
                           "big' shrank while the context was sent: 100000 bytes expected, 6000 "
                           "read"));
    tar_stream_free(t);
    test_rmtree(dir);
    free(dir);
    buf_release(&content);
    buf_release(&path);
}

static void test_open_errors(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct tar_stream *t = (struct tar_stream *)&err;
    char *dir = test_mkdtemp();
    struct buf p = BUF_INIT;

    (void)state;
    buf_addf(&p, "%s/missing", dir);
    assert_int_equal(tar_stream_open(&t, p.buf, NULL, NULL, &err), DS_ENOTFOUND);
    assert_null(t);
    assert_non_null(strstr(err.msg, "cannot open context directory '"));
    assert_non_null(strstr(err.msg, "/missing': No such file or directory"));

    test_write_file(dir, "file", "x");
    buf_reset(&p);
    buf_addf(&p, "%s/file", dir);
    assert_int_equal(tar_stream_open(&t, p.buf, NULL, NULL, &err), DS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "/file': Not a directory"));
    ds_error_release(&err);

    /* an unreadable directory inside the context (root reads anything) */
    if (geteuid() != 0) {
        test_write_file(dir, "ctx/locked/x", "x");
        buf_reset(&p);
        buf_addf(&p, "%s/ctx/locked", dir);
        must(chmod(p.buf, 0), "chmod", p.buf);
        buf_setlen(&p, p.len - strlen("/locked"));
        assert_int_equal(tar_stream_open(&t, p.buf, NULL, NULL, &err), DS_EPERM);
        assert_non_null(strstr(err.msg, "/locked': Permission denied"));
        ds_error_release(&err);
        buf_addf(&p, "/locked");
        chmod(p.buf, 0755);
    }
    test_rmtree(dir);
    free(dir);
    buf_release(&p);
}

/*
 * An excluded directory is not walked when no exception can reach into it;
 * when one can, only what comes back is sent, with the directories above it.
 */
static void test_excluded_directories(void **state)
{
    static const char *const always[] = {"docker/Dockerfile", NULL};
    struct ds_error err = DS_ERROR_INIT;
    struct tar_stream *t = NULL;
    struct ignore *ig = NULL;
    struct tree tr = {0};
    struct buf out = BUF_INIT, b = BUF_INIT;
    char *work = test_mkdtemp();
    static const char rules[] = "docker\n"
                                "vendor\n"
                                "!vendor/*/LICENSE\n"
                                "cache\n";

    (void)state;
    tree_add(&tr, "docker", 'd', NULL, 0, 0755, true);
    tree_file(&tr, "docker/Dockerfile", "FROM x\n", 0644, true);
    tree_file(&tr, "docker/notes", "n", 0644, false);
    tree_add(&tr, "vendor", 'd', NULL, 0, 0755, true);
    tree_add(&tr, "vendor/lib", 'd', NULL, 0, 0755, true);
    tree_file(&tr, "vendor/lib/LICENSE", "MIT", 0644, true);
    tree_file(&tr, "vendor/lib/code.c", "c", 0644, false);
    tree_add(&tr, "vendor/empty", 'd', NULL, 0, 0755, false); /* nothing comes back from it */
    tree_file(&tr, "vendor/empty/README", "r", 0644, false);
    tree_add(&tr, "cache", 'd', NULL, 0, 0755, false);
    tree_add(&tr, "cache/locked", 'd', NULL, 0, 0755, false);
    tree_file(&tr, "keep.txt", "k", 0644, true);
    tree_create(&tr);
    if (geteuid() != 0) {
        /* were cache/ walked, this would fail */
        buf_addf(&b, "%s/cache/locked", tr.root);
        must(chmod(b.buf, 0), "chmod", b.buf);
    }

    assert_int_equal(ignore_parse(&ig, rules, strlen(rules), "t", &err), 0);
    assert_int_equal(tar_stream_open(&t, tr.root, ig, always, &err), 0);
    assert_int_equal(tar_stream_entries(t), 6);
    assert_int_equal(tar_stream_file_bytes(t), 7 + 3 + 1);
    tar_stream_free(t);

    buf_addf(&out, "%s/ctx.tar", work);
    stream_to_file(tr.root, ig, always, 333, out.buf);
    buf_reset(&b);
    buf_addf(&b, "%s/x", work);
    must(mkdir(b.buf, 0755), "mkdir", b.buf);
    run((const char *const[]){"tar", "-xpf", out.buf, "-C", b.buf, NULL}, NULL);
    tree_compare(&tr, b.buf);
    if (geteuid() != 0) {
        buf_reset(&b);
        buf_addf(&b, "%s/cache/locked", tr.root);
        chmod(b.buf, 0755);
    }

    ignore_free(ig);
    tree_free(&tr);
    test_rmtree(work);
    free(work);
    buf_release(&out);
    buf_release(&b);
}

/* Sizes over 8 GiB - 1 do not fit ustar's 11 octal digits: a pax "size" record says it. */
static void test_huge_file_header(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct tar_stream *t = NULL;
    char *dir = test_mkdtemp(), head[1536];
    struct buf p = BUF_INIT;
    size_t got = 0;
    int fd;

    (void)state;
    buf_addf(&p, "%s/huge", dir);
    fd = open(p.buf, O_WRONLY | O_CREAT, 0644);
    must(fd, "create", p.buf);
    if (ftruncate(fd, 8589934592LL) < 0) { /* sparse: takes no space */
        close(fd);
        test_rmtree(dir);
        free(dir);
        buf_release(&p);
        skip();
    }
    close(fd);
    assert_int_equal(tar_stream_open(&t, dir, NULL, NULL, &err), 0);
    assert_int_equal(tar_stream_file_bytes(t), 8589934592ULL);
    while (got < sizeof(head)) {
        ssize_t n = tar_stream_read(head + got, sizeof(head) - got, t);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_int_equal(head[156], 'x');
    assert_memory_equal(head + 512, "19 size=8589934592\n", 19);
    assert_int_equal(head[1024 + 156], '0');
    assert_string_equal(head + 1024, "huge");
    assert_string_equal(head + 1024 + 124, "00000000000"); /* left to the pax record */
    tar_stream_free(t);
    test_rmtree(dir);
    free(dir);
    buf_release(&p);
}

/* One file for a container: the owner and mode asked for, as GNU tar lists them; bad input refused.
 */
static void test_one_file(void **state)
{
    static const struct {
        const char *name;
        unsigned mode, uid, gid;
        const char *listing; /* tar -tv --numeric-owner, the date cut off */
    } cases[] = {
            {"/run/secrets/token", 0400, 1000, 1001, "-r-------- 1000/1001"},
            {"inline", 0444, 0, 0, "-r--r--r-- 0/0"},
            {"/etc/app/env.conf", 04600, 7, 8, "-rwS------ 7/8"},
    };
    char *dir = test_mkdtemp();
    struct buf path = BUF_INIT, out = BUF_INIT, listing = BUF_INIT, tar = BUF_INIT;
    char long_name[300];

    (void)state;
    buf_addf(&path, "%s/one.tar", dir);
    buf_addf(&out, "%s/listing", dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FILE *f;
        const char *want_name = cases[i].name[0] == '/' ? cases[i].name + 1 : cases[i].name;

        buf_reset(&tar);
        assert_int_equal(tar_one_file(&tar, cases[i].name, "s3cret\n", 7, cases[i].mode,
                                      cases[i].uid, cases[i].gid, 1700000000),
                         0);
        assert_int_equal(tar.len % 512, 0);
        f = fopen(path.buf, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(tar.buf, 1, tar.len, f), tar.len);
        fclose(f);
        run((const char *const[]){"tar", "--numeric-owner", "-tvf", path.buf, NULL}, out.buf);
        buf_reset(&listing);
        read_all(&listing, out.buf);
        if (strncmp(listing.buf, cases[i].listing, strlen(cases[i].listing)) ||
            !strstr(listing.buf, want_name) || !strstr(listing.buf, " 7 "))
            fail_msg("%s: tar lists '%s', want '%s ... 7 ... %s'", cases[i].name, listing.buf,
                     cases[i].listing, want_name);
    }
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(tar_one_file(&tar, long_name, "x", 1, 0444, 0, 0, 0), -1);
    assert_int_equal(tar_one_file(&tar, "/", "x", 1, 0444, 0, 0, 0), -1);
    buf_release(&path);
    buf_release(&out);
    buf_release(&listing);
    buf_release(&tar);
    test_rmtree(dir);
    free(dir);
}

/*
 * Files given in memory (an inline Dockerfile, an amended .dockerignore):
 * sent after the walk, one replacing the walked file of its path, every
 * size padded right; read in small and odd pieces; bad names refused.
 */
static void test_added_files(void **state)
{
    static const size_t sizes[] = {0, 1, 511, 512, 513, 1500};
    static const size_t chunks[] = {1, 7, 512, 100000};
    struct ds_error err = DS_ERROR_INIT;
    char *work = test_mkdtemp(), *data = xmalloc(1500);
    struct buf root = BUF_INIT, out = BUF_INIT, x = BUF_INIT, got = BUF_INIT, name = BUF_INIT;

    (void)state;
    for (size_t i = 0; i < 1500; i++)
        data[i] = (char)('a' + i % 26);
    buf_addf(&root, "%s/ctx", work);
    must(mkdir(root.buf, 0755), "mkdir", root.buf);
    test_write_file(root.buf, ".dockerignore", "secret\n");
    test_write_file(root.buf, "keep.txt", "keep");
    buf_addf(&out, "%s/ctx.tar", work);
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        struct tar_stream *t = NULL;
        char *chunk = xmalloc(chunks[c]);
        FILE *f = fopen(out.buf, "wb");
        ssize_t n;

        assert_non_null(f);
        assert_int_equal(tar_stream_open(&t, root.buf, NULL, NULL, &err), 0);
        assert_int_equal(tar_stream_entries(t), 2);
        assert_int_equal(tar_stream_add_file(t, ".dockerignore", "secret\nDf\n", 10, 0644, 5), 0);
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            buf_reset(&name);
            buf_addf(&name, "Df.%zu", sizes[i]);
            assert_int_equal(tar_stream_add_file(t, name.buf, data, sizes[i], 0600, 0), 0);
        }
        assert_int_equal(tar_stream_entries(t), 2 + sizeof(sizes) / sizeof(sizes[0]));
        assert_int_equal(tar_stream_add_file(t, "", "x", 1, 0644, 0), -1);
        assert_int_equal(tar_stream_add_file(t, "/abs", "x", 1, 0644, 0), -1);
        while ((n = tar_stream_read(chunk, chunks[c], t)) > 0)
            assert_int_equal(fwrite(chunk, 1, (size_t)n, f), (size_t)n);
        assert_int_equal(n, 0);
        /* once read, the stream is what it is */
        assert_int_equal(tar_stream_add_file(t, "late", "x", 1, 0644, 0), -1);
        fclose(f);
        tar_stream_free(t);
        free(chunk);

        buf_reset(&x);
        buf_addf(&x, "%s/x%zu", work, c);
        must(mkdir(x.buf, 0755), "mkdir", x.buf);
        run((const char *const[]){"tar", "-xpf", out.buf, "-C", x.buf, NULL}, NULL);
        buf_reset(&name);
        buf_addf(&name, "%s/.dockerignore", x.buf);
        buf_reset(&got);
        read_all(&got, name.buf);
        assert_int_equal(got.len, 10);
        assert_memory_equal(got.buf, "secret\nDf\n", 10);
        buf_reset(&name);
        buf_addf(&name, "%s/keep.txt", x.buf);
        buf_reset(&got);
        read_all(&got, name.buf);
        assert_int_equal(got.len, 4);
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            struct stat st;

            buf_reset(&name);
            buf_addf(&name, "%s/Df.%zu", x.buf, sizes[i]);
            buf_reset(&got);
            read_all(&got, name.buf);
            assert_int_equal(got.len, sizes[i]);
            if (sizes[i])
                assert_memory_equal(got.buf, data, sizes[i]);
            must(stat(name.buf, &st), "stat", name.buf);
            assert_int_equal(st.st_mode & 07777, 0600);
        }
    }
    free(data);
    test_rmtree(work);
    free(work);
    buf_release(&root);
    buf_release(&out);
    buf_release(&x);
    buf_release(&got);
    buf_release(&name);
}

/*
 * Entries named freely, each read from its own path (what `watch` syncs):
 * names with a leading '/' made relative, a directory, a file with its
 * owner and mode, a symlink, a name too long for ustar (pax), a file gone
 * before its turn left out; GNU tar reads it back. Other kinds of file and
 * an empty name are refused.
 */
static const char *host_path(struct buf *b, const char *dir, const char *rel)
{
    buf_reset(b);
    buf_addf(b, "%s/h/%s", dir, rel);
    return b->buf;
}

static void add_host(struct tar_stream *t, const char *name, const char *dir, const char *rel,
                     const char *link, int want)
{
    struct buf host = BUF_INIT;
    struct stat st;

    assert_int_equal(lstat(host_path(&host, dir, rel), &st), 0);
    assert_int_equal(tar_stream_add_host(t, name, host.buf, &st, link), want);
    buf_release(&host);
}

static void test_host_entries(void **state)
{
    char *dir = test_mkdtemp();
    struct buf path = BUF_INIT, out = BUF_INIT, listing = BUF_INIT, owner = BUF_INIT;
    struct buf x = BUF_INIT, got = BUF_INIT, long_name = BUF_INIT, host = BUF_INIT;
    struct tar_stream *t = tar_stream_new();
    char target[256], chunk[1000];
    ssize_t n;
    FILE *fp;

    (void)state;
    buf_adds(&long_name, "/app/");
    for (int i = 0; i < 30; i++)
        buf_adds(&long_name, "segment/");
    buf_adds(&long_name, "deep.txt");
    test_write_file(dir, "h/d/f.txt", "hello\n");
    test_write_file(dir, "h/deep.txt", "deep");
    test_write_file(dir, "h/gone.txt", "gone");
    assert_int_equal(chmod(host_path(&host, dir, "d"), 0750), 0);
    assert_int_equal(chmod(host_path(&host, dir, "d/f.txt"), 0640), 0);
    assert_int_equal(symlink("d/f.txt", host_path(&host, dir, "l")), 0);
    assert_int_equal(mkfifo(host_path(&host, dir, "fifo"), 0644), 0);

    add_host(t, "/app/d", dir, "d", NULL, 0);
    add_host(t, "/app/d/f.txt", dir, "d/f.txt", NULL, 0);
    add_host(t, "app/l", dir, "l", "d/f.txt", 0);
    add_host(t, long_name.buf, dir, "deep.txt", NULL, 0);
    add_host(t, "/app/gone.txt", dir, "gone.txt", NULL, 0);
    assert_int_equal(unlink(host_path(&host, dir, "gone.txt")), 0);
    add_host(t, "/app/fifo", dir, "fifo", NULL, -1);
    add_host(t, "/", dir, "d/f.txt", NULL, -1);

    buf_addf(&path, "%s/sync.tar", dir);
    buf_addf(&out, "%s/listing", dir);
    buf_addf(&x, "%s/x", dir);
    fp = fopen(path.buf, "wb");
    assert_non_null(fp);
    while ((n = tar_stream_read(chunk, sizeof(chunk), t)) > 0)
        assert_int_equal(fwrite(chunk, 1, (size_t)n, fp), (size_t)n);
    assert_int_equal(n, 0);
    fclose(fp);
    run((const char *const[]){"tar", "--numeric-owner", "-tvf", path.buf, NULL}, out.buf);
    read_all(&listing, out.buf);
    buf_addf(&owner, " %u/%u ", (unsigned)getuid(), (unsigned)getgid());
    if (!strstr(listing.buf, "drwxr-x---") || !strstr(listing.buf, "-rw-r-----") ||
        !strstr(listing.buf, owner.buf) || !strstr(listing.buf, "app/l -> d/f.txt") ||
        !strstr(listing.buf, "segment/deep.txt") || strstr(listing.buf, "fifo") ||
        strstr(listing.buf, "gone"))
        fail_msg("tar lists:\n%s", listing.buf);
    assert_int_equal(mkdir(x.buf, 0700), 0);
    run((const char *const[]){"tar", "-xf", path.buf, "-C", x.buf, NULL}, NULL);
    buf_reset(&path);
    buf_addf(&path, "%s/app/d/f.txt", x.buf);
    read_all(&got, path.buf);
    assert_string_equal(got.buf, "hello\n");
    buf_reset(&path);
    buf_addf(&path, "%s%s", x.buf, long_name.buf);
    buf_reset(&got);
    read_all(&got, path.buf);
    assert_string_equal(got.buf, "deep");
    buf_reset(&path);
    buf_addf(&path, "%s/app/l", x.buf);
    n = readlink(path.buf, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "d/f.txt");
    tar_stream_free(t);
    buf_release(&path);
    buf_release(&out);
    buf_release(&listing);
    buf_release(&owner);
    buf_release(&x);
    buf_release(&got);
    buf_release(&long_name);
    buf_release(&host);
    test_rmtree(dir);
    free(dir);
}

/* `cp -a`: each entry carries its owner on the host, by number; without it, root:root. */
static void test_kept_owners(void **state)
{
    static const struct {
        const char *path, *content; /* NULL: a directory */
        unsigned uid, gid;          /* as root: set to these; else the files are ours */
    } files[] = {
            {"d", NULL, 1234, 2345},
            {"d/f", "f\n", 1234, 2345},
            {"d/sub", NULL, 1234, 2345},
            {"d/sub/g", "g\n", 4321, 5432},
    };
    struct buf path = BUF_INIT, tarfile = BUF_INIT, listing = BUF_INIT, b = BUF_INIT,
               want = BUF_INIT;
    char *work = test_mkdtemp(), buf[4096];
    bool root = geteuid() == 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        buf_reset(&path);
        buf_addf(&path, "%s/%s", work, files[i].path);
        if (files[i].content)
            test_write_file(work, files[i].path, files[i].content);
        else
            assert_int_equal(mkdir(path.buf, 0755), 0);
        if (root)
            assert_int_equal(lchown(path.buf, files[i].uid, files[i].gid), 0);
    }
    for (int keep = 0; keep <= 1; keep++) {
        struct ds_error err = DS_ERROR_INIT;
        struct tar_stream *t = NULL;
        FILE *f;
        ssize_t n;

        buf_reset(&path);
        buf_addf(&path, "%s/d", work);
        buf_reset(&tarfile);
        buf_addf(&tarfile, "%s/out-%d.tar", work, keep);
        assert_int_equal(tar_stream_open(&t, path.buf, NULL, NULL, &err), 0);
        if (keep)
            tar_stream_keep_owners(t);
        assert_non_null(f = fopen(tarfile.buf, "wb"));
        while ((n = tar_stream_read(buf, sizeof(buf), t)) > 0)
            assert_int_equal(fwrite(buf, 1, (size_t)n, f), (size_t)n);
        assert_int_equal(n, 0);
        fclose(f);
        tar_stream_free(t);

        buf_reset(&listing);
        buf_addf(&listing, "%s/listing-%d", work, keep);
        run((const char *const[]){"tar", "--numeric-owner", "-tvf", tarfile.buf, NULL},
            listing.buf);
        buf_reset(&b);
        read_all(&b, listing.buf);
        for (size_t i = 1; i < ARRAY_SIZE(files); i++) {
            unsigned uid = root ? files[i].uid : (unsigned)getuid();
            unsigned gid = root ? files[i].gid : (unsigned)getgid();
            const char *l = strstr(b.buf, files[i].path + 2);

            assert_non_null(l);
            while (l > b.buf && l[-1] != '\n')
                l--;
            buf_reset(&want);
            buf_addf(&want, " %u/%u ", keep ? uid : 0, keep ? gid : 0);
            if (!strstr(l, want.buf) || strstr(l, want.buf) > strchr(l, '\n'))
                fail_msg("%s: want owner%s, got: %.*s", files[i].path, want.buf,
                         (int)(strchr(l, '\n') - l), l);
        }
    }
    test_rmtree(work);
    free(work);
    buf_release(&path);
    buf_release(&tarfile);
    buf_release(&listing);
    buf_release(&b);
    buf_release(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_tree_roundtrip),   cmocka_unit_test(test_deterministic),
            cmocka_unit_test(test_changed_files),    cmocka_unit_test(test_shrinks_while_read),
            cmocka_unit_test(test_open_errors),      cmocka_unit_test(test_excluded_directories),
            cmocka_unit_test(test_huge_file_header), cmocka_unit_test(test_one_file),
            cmocka_unit_test(test_added_files),      cmocka_unit_test(test_host_entries),
            cmocka_unit_test(test_kept_owners),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
