/*
 * The streaming tar extractor: archives made by GNU tar (long names, a
 * symlink, modes) and by util/tar.c, fed in slices of every size; names
 * that climb out, and streams cut short.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "util/buf.h"
#include "util/tar.h"
#include "util/untar.h"
#include "util/banned.h"

static const char *long_name(void)
{
    static char name[200];

    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    return name;
}

/* Feed `tar` to a new extractor at `root` in slices of `slice` bytes. */
static int extract(const struct buf *tar, const char *root, size_t slice, struct ds_error *err)
{
    struct untar *u = untar_new(root, false);
    int rc = 0;

    for (size_t off = 0; off < tar->len && rc == 0; off += slice)
        rc = untar_feed(u, tar->buf + off, tar->len - off < slice ? tar->len - off : slice, err);
    if (rc == 0)
        rc = untar_finish(u, err);
    untar_free(u);
    return rc;
}

static void read_back(struct buf *b, const char *root, const char *rel)
{
    struct buf path = BUF_INIT;

    buf_reset(b);
    buf_addf(&path, "%s/%s", root, rel);
    assert_int_equal(buf_read_file(b, path.buf, 0), 0);
    buf_release(&path);
}

static void test_gnu_tar(void **state)
{
    static const size_t slices[] = {1, 7, 511, 512, 513, 65536};
    char *dir = test_mkdtemp();
    struct buf src = BUF_INIT, tar_path = BUF_INIT, tar = BUF_INIT, root = BUF_INIT, got = BUF_INIT,
               rel = BUF_INIT, link_path = BUF_INIT;
    struct stat st;
    char target[64];

    (void)state;
    buf_addf(&src, "%s/src", dir);
    test_write_file(src.buf, "a", "alpha\n");
    test_write_file(src.buf, "sub/b", "beta\n");
    buf_addf(&rel, "sub/%s", long_name());
    test_write_file(src.buf, rel.buf, "long\n");
    buf_addf(&link_path, "%s/link", src.buf);
    assert_int_equal(symlink("a", link_path.buf), 0);
    buf_reset(&link_path);
    buf_addf(&link_path, "%s/a", src.buf);
    assert_int_equal(chmod(link_path.buf, 0604), 0);
    buf_addf(&tar_path, "%s/t.tar", dir);
    test_tar_dir(src.buf, tar_path.buf);
    assert_int_equal(buf_read_file(&tar, tar_path.buf, 0), 0);

    for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++) {
        struct ds_error err = DS_ERROR_INIT;

        buf_reset(&root);
        buf_addf(&root, "%s/out%zu", dir, i);
        assert_int_equal(extract(&tar, root.buf, slices[i], &err), 0);
        read_back(&got, root.buf, "a");
        assert_string_equal(got.buf, "alpha\n");
        read_back(&got, root.buf, "sub/b");
        assert_string_equal(got.buf, "beta\n");
        read_back(&got, root.buf, rel.buf);
        assert_string_equal(got.buf, "long\n");
        buf_reset(&link_path);
        buf_addf(&link_path, "%s/a", root.buf);
        assert_int_equal(stat(link_path.buf, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0604);
        buf_reset(&link_path);
        buf_addf(&link_path, "%s/link", root.buf);
        memset(target, 0, sizeof(target));
        assert_int_equal(readlink(link_path.buf, target, sizeof(target) - 1), 1);
        assert_string_equal(target, "a");
    }
    test_rmtree(dir);
    free(dir);
    buf_release(&src);
    buf_release(&tar_path);
    buf_release(&tar);
    buf_release(&root);
    buf_release(&got);
    buf_release(&rel);
    buf_release(&link_path);
}

/* One file renamed to the root, and a directory whose first component becomes the root. */
static void test_first_component(void **state)
{
    char *dir = test_mkdtemp();
    struct buf tar = BUF_INIT, root = BUF_INIT, got = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct stat st;

    (void)state;
    assert_int_equal(tar_one_file(&tar, "hello.txt", "hi\n", 3, 0640, 0, 0, 1700000000), 0);
    buf_addf(&root, "%s/renamed.txt", dir);
    assert_int_equal(extract(&tar, root.buf, 100, &err), 0);
    assert_int_equal(buf_read_file(&got, root.buf, 0), 0);
    assert_string_equal(got.buf, "hi\n");
    assert_int_equal(stat(root.buf, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(st.st_mtime, 1700000000);

    buf_reset(&tar);
    assert_int_equal(tar_one_dir(&tar, "d", 0750, 0, 0, 1700000000), 0);
    buf_reset(&root);
    buf_addf(&root, "%s/tree", dir);
    assert_int_equal(extract(&tar, root.buf, 512, &err), 0);
    assert_int_equal(stat(root.buf, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0750);
    test_rmtree(dir);
    free(dir);
    buf_release(&tar);
    buf_release(&root);
    buf_release(&got);
}

static void test_refused(void **state)
{
    static const char *const names[] = {"d/../../escape", "../x", "/etc/x"};
    char *dir = test_mkdtemp();
    struct buf tar = BUF_INIT, root = BUF_INIT;

    (void)state;
    buf_addf(&root, "%s/root", dir);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct ds_error err = DS_ERROR_INIT;

        buf_reset(&tar);
        assert_int_equal(tar_one_file(&tar, "x", "x", 1, 0644, 0, 0, 0), 0);
        /* the name written over the header's (the checksum is not checked) */
        memset(tar.buf, 0, 100);
        memcpy(tar.buf, names[i], strlen(names[i]));
        if (names[i][0] == '/')
            tar.buf[0] = '/';
        assert_int_not_equal(extract(&tar, root.buf, 512, &err), 0);
        assert_non_null(strstr(err.msg, "outside"));
        ds_error_release(&err);
    }
    /* cut short in the middle of the data */
    {
        struct ds_error err = DS_ERROR_INIT;

        buf_reset(&tar);
        assert_int_equal(tar_one_file(&tar, "x", "0123456789", 10, 0644, 0, 0, 0), 0);
        buf_setlen(&tar, 512 + 5);
        assert_int_not_equal(extract(&tar, root.buf, 512, &err), 0);
        assert_non_null(strstr(err.msg, "ended"));
        ds_error_release(&err);
    }
    test_rmtree(dir);
    free(dir);
    buf_release(&tar);
    buf_release(&root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gnu_tar),
            cmocka_unit_test(test_first_component),
            cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
