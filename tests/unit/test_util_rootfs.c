/*
 * Writing inside a root (what watch does in a container's /proc/<pid>/root):
 * files, directories and symlinks put with the host's mode, owner and mtime,
 * replaced whole, parents made; and nothing the tree holds (an absolute or
 * climbing symlink on the way or at the name) leads a write or a removal
 * out of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "util/buf.h"
#include "util/rootfs.h"
#include "util/banned.h"

struct fixture {
    char *host; /* the files to put */
    char *root; /* the "container" */
    char *out;  /* outside the root: must stay untouched */
    int rootfd;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    umask(022);
    f->host = test_mkdtemp();
    f->root = test_mkdtemp();
    f->out = test_mkdtemp();
    f->rootfd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    *state = f;
    return f->rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    close(f->rootfd);
    test_rmtree(f->host);
    test_rmtree(f->root);
    test_rmtree(f->out);
    free(f->host);
    free(f->root);
    free(f->out);
    free(f);
    return 0;
}

static char *at(const char *dir, const char *rel)
{
    struct buf b = BUF_INIT;

    buf_addf(&b, "%s/%s", dir, rel);
    return buf_detach(&b, NULL);
}

/* The content of dir/rel, or "<none>" when it cannot be read. */
static char *content(const char *dir, const char *rel)
{
    char *p = at(dir, rel);
    struct buf b = BUF_INIT;

    if (buf_read_file(&b, p, 1 << 20) < 0) {
        buf_reset(&b);
        buf_adds(&b, "<none>");
    }
    free(p);
    return buf_detach(&b, NULL);
}

static void assert_content(const char *dir, const char *rel, const char *want)
{
    char *got = content(dir, rel);

    if (strcmp(got, want))
        fail_msg("%s/%s: '%s', want '%s'", dir, rel, got, want);
    free(got);
}

/* Put host file `rel` (written with `text` and `mode`) at `name`. */
static int put(struct fixture *f, const char *rel, const char *text, unsigned mode,
               const char *name, struct ds_error *err)
{
    char *p = at(f->host, rel);
    struct stat st;
    int rc;

    test_write_file(f->host, rel, text);
    assert_int_equal(chmod(p, mode), 0);
    assert_int_equal(lstat(p, &st), 0);
    rc = rootfs_put(f->rootfd, name, p, &st, NULL, err);
    free(p);
    return rc;
}

static void test_put_file(void **state)
{
    struct fixture *f = *state;
    struct ds_error err = DS_ERROR_INIT;
    struct timespec times[2] = {{.tv_sec = 1500000000}, {.tv_sec = 1500000000}};
    char *p = at(f->host, "a.txt"), *q = at(f->root, "app/deep/a.txt");
    struct stat st;

    test_write_file(f->host, "a.txt", "one");
    assert_int_equal(utimensat(AT_FDCWD, p, times, 0), 0);
    assert_int_equal(chmod(p, 0751), 0);
    assert_int_equal(lstat(p, &st), 0);
    /* parents made */
    assert_int_equal(rootfs_put(f->rootfd, "/app/deep/a.txt", p, &st, NULL, &err), 0);
    assert_content(f->root, "app/deep/a.txt", "one");
    assert_int_equal(stat(q, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0751);
    assert_int_equal(st.st_mtime, 1500000000);
    assert_int_equal(st.st_uid, getuid());
    /* replaced, and no temporary file stays beside it */
    assert_int_equal(put(f, "a.txt", "two", 0644, "/app/deep/a.txt", &err), 0);
    assert_content(f->root, "app/deep/a.txt", "two");
    free(p);
    p = at(f->root, "app/deep");
    {
        char *tmp = content(p, ".devstack-sync-0");
        assert_string_equal(tmp, "<none>");
        free(tmp);
    }
    /* a directory where the file goes is replaced by it */
    test_write_file(f->root, "app/d/inner.txt", "x");
    assert_int_equal(put(f, "d", "now a file", 0644, "/app/d", &err), 0);
    assert_content(f->root, "app/d", "now a file");
    /* a host file gone since it was seen is no error: its removal comes next */
    test_write_file(f->host, "vanish", "v");
    free(p);
    p = at(f->host, "vanish");
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(rootfs_put(f->rootfd, "/app/vanish", p, &st, NULL, &err), 0);
    assert_content(f->root, "app/vanish", "<none>");
    free(p);
    free(q);
}

static void test_put_dir_and_link(void **state)
{
    struct fixture *f = *state;
    struct ds_error err = DS_ERROR_INIT;
    char *d = at(f->host, "dir"), *l = at(f->host, "link"), *q = at(f->root, "app/dir");
    struct stat st;
    char target[64] = "";

    assert_int_equal(mkdir(d, 0700), 0);
    assert_int_equal(lstat(d, &st), 0);
    assert_int_equal(rootfs_put(f->rootfd, "/app/dir", d, &st, NULL, &err), 0);
    assert_int_equal(lstat(q, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    /* the root itself is there already */
    assert_int_equal(rootfs_put(f->rootfd, "/", d, &st, NULL, &err), 0);

    assert_int_equal(symlink("dir", l), 0);
    assert_int_equal(lstat(l, &st), 0);
    test_write_file(f->root, "app/link", "a file before");
    assert_int_equal(rootfs_put(f->rootfd, "/app/link", l, &st, "dir", &err), 0);
    free(q);
    q = at(f->root, "app/link");
    assert_int_equal(readlink(q, target, sizeof(target) - 1), 3);
    assert_string_equal(target, "dir");
    free(d);
    free(l);
    free(q);
}

static void test_no_way_out(void **state)
{
    struct fixture *f = *state;
    struct ds_error err = DS_ERROR_INIT;
    char *p = at(f->root, "abs"), *outside = at(f->out, "victim.txt");

    /* symlinks in the container that point at the host's directories */
    assert_int_equal(symlink(f->out, p), 0); /* absolute: the host's path */
    free(p);
    p = at(f->root, "up");
    assert_int_equal(symlink("../../../../../../..", p), 0);
    free(p);
    p = at(f->root, "victim.txt");
    assert_int_equal(symlink(outside, p), 0); /* the name itself is a symlink out */
    test_write_file(f->out, "victim.txt", "host data");
    test_write_file(f->out, "keep/k.txt", "keep");

    /* through them the writes land inside the root (where the host's path is made too) */
    {
        char *mirror = at(f->root, f->out + 1);

        test_write_file(mirror, "k.txt", "mirror");
        assert_int_equal(put(f, "a", "in", 0644, "/abs/victim.txt", &err), 0);
        assert_content(f->out, "victim.txt", "host data");
        assert_content(mirror, "victim.txt", "in");
        free(mirror);
    }
    assert_int_equal(put(f, "b", "in", 0644, "/up/b.txt", &err), 0);
    assert_content(f->root, "b.txt", "in");
    assert_int_equal(put(f, "c", "replaced", 0644, "/victim.txt", &err), 0);
    assert_content(f->out, "victim.txt", "host data");
    assert_content(f->root, "victim.txt", "replaced");
    /* and so do the removals */
    free(p);
    p = at(f->root, "keep");
    assert_int_equal(symlink(f->out, p), 0);
    assert_int_equal(rootfs_remove(f->rootfd, "/keep", &err), 0);
    assert_content(f->out, "keep/k.txt", "keep");
    assert_int_equal(rootfs_remove(f->rootfd, "/abs/keep", &err), 0);
    assert_content(f->out, "keep/k.txt", "keep");
    /* names that climb or are not absolute are refused */
    assert_int_equal(put(f, "d", "x", 0644, "/app/../../x", &err), DS_EINVAL);
    ds_error_release(&err);
    assert_int_equal(put(f, "d", "x", 0644, "app/x", &err), DS_EINVAL);
    ds_error_release(&err);
    assert_int_equal(rootfs_remove(f->rootfd, "/", &err), DS_EINVAL);
    ds_error_release(&err);
    free(p);
    free(outside);
}

static void test_remove(void **state)
{
    struct fixture *f = *state;
    struct ds_error err = DS_ERROR_INIT;
    char *p = at(f->root, "tree");
    struct stat st;

    test_write_file(f->root, "tree/a/b/c.txt", "c");
    test_write_file(f->root, "tree/d.txt", "d");
    test_write_file(f->root, "file.txt", "f");
    assert_int_equal(rootfs_remove(f->rootfd, "/tree", &err), 0);
    assert_int_equal(lstat(p, &st), -1);
    assert_int_equal(rootfs_remove(f->rootfd, "/file.txt", &err), 0);
    assert_content(f->root, "file.txt", "<none>");
    /* what is not there is no error, nor is a missing parent */
    assert_int_equal(rootfs_remove(f->rootfd, "/nothing/here", &err), 0);
    free(p);
    p = at(f->root, "nothing");
    assert_int_equal(lstat(p, &st), -1);
    free(p);
}

static void test_process_checks(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    int proc = 7;
    (void)state;

    /* our own process is in no container of that id */
    assert_int_equal(rootfs_open_process(&proc, (int)getpid(),
                                         "0123456789abcdef0123456789abcdef0123456789abcdef"
                                         "0123456789abcdef",
                                         &err),
                     DS_ENOTFOUND);
    assert_int_equal(proc, -1);
    ds_error_release(&err);
    assert_int_equal(rootfs_open_process(&proc, 0, "0123456789abcdef", &err), DS_ENOTFOUND);
    ds_error_release(&err);
    /* a /proc/<pid> kept open no longer gives a root once the process is gone */
    {
        pid_t child = fork();
        char path[32];
        int fd, root;

        if (child == 0)
            _exit(0);
        snprintf(path, sizeof(path), "/proc/%d", (int)child);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        root = rootfs_proc_root(fd);
        assert_true(root >= 0 || errno == ENOENT); /* it may have exited already */
        if (root >= 0)
            close(root);
        assert_int_equal(waitpid(child, NULL, 0), child);
        assert_int_equal(rootfs_proc_root(fd), -1);
        close(fd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_put_file, setup, teardown),
            cmocka_unit_test_setup_teardown(test_put_dir_and_link, setup, teardown),
            cmocka_unit_test_setup_teardown(test_no_way_out, setup, teardown),
            cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
            cmocka_unit_test(test_process_checks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
