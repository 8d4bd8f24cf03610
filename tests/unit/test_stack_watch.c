/*
 * develop.watch's pure parts: which changed paths a rule takes and where
 * they go in the container (Compose's maybeFileEvent / watchRule.Matches:
 * include, then ignore, the context's .dockerignore and the editors'
 * temporary files), how changes are batched (batchDebounceEvents: one
 * entry per path, in order of its last change, due after a quiet period),
 * and what a sync sends: the set of paths, streamed as a tar from the files
 * as they are when read, or written straight into a container's root.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "stack/watch.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/tar.h"
#include "util/banned.h"

static char root[] = "/tmp/test_stack_watch.XXXXXX";

struct match_case {
    const char *path;             /* the rule's path, below root */
    const char *target;           /* NULL: none (rebuild, restart) */
    const char *ignore, *include; /* one pattern each; NULL: none */
    const char *changed;          /* below root */
    bool taken;
    const char *container; /* expected; NULL: none */
};

static void test_match_table(void **state)
{
    static const struct match_case cases[] = {
            /* below the path: mapped onto the target */
            {"src", "/app", NULL, NULL, "src/a.py", true, "/app/a.py"},
            {"src", "/app", NULL, NULL, "src/sub/b.txt", true, "/app/sub/b.txt"},
            {"src", "/app", NULL, NULL, "src", true, "/app"},
            {"src", "/app/", NULL, NULL, "src/a.py", true, "/app/a.py"},
            {"src", "/", NULL, NULL, "src/a.py", true, "/a.py"},
            /* not below it */
            {"src", "/app", NULL, NULL, "srcx/a.py", false, NULL},
            {"src", "/app", NULL, NULL, "other/a.py", false, NULL},
            {"src", "/app", NULL, NULL, "", false, NULL},
            /* ignore: relative to the rule's path, a directory takes what is below it */
            {"src", "/app", "__pycache__/", NULL, "src/__pycache__/m.pyc", false, NULL},
            {"src", "/app", "__pycache__/", NULL, "src/sub/__pycache__/m.pyc", true,
             "/app/sub/__pycache__/m.pyc"},
            {"src", "/app", "**/*.log", NULL, "src/sub/x.log", false, NULL},
            {"src", "/app", "*.log", NULL, "src/x.txt", true, "/app/x.txt"},
            /* include: only what it matches */
            {"src", "/app", NULL, "*.py", "src/a.py", true, "/app/a.py"},
            {"src", "/app", NULL, "*.py", "src/a.txt", false, NULL},
            {"src", "/app", "b.py", "*.py", "src/b.py", false, NULL},
            /* the context's .dockerignore (the context is root: "secret*" and "*.tmp") */
            {"src", "/app", NULL, NULL, "src/secret.txt", true, "/app/secret.txt"},
            {".", "/app", NULL, NULL, "secret.txt", false, NULL},
            {".", "/app", NULL, NULL, "sub/x.tmp", true, "/app/sub/x.tmp"},
            {".", "/app", NULL, NULL, "x.tmp", false, NULL},
            /* editors' temporary files */
            {"src", "/app", NULL, NULL, "src/.a.py.swp", false, NULL},
            {"src", "/app", NULL, NULL, "src/a.py~", false, NULL},
            {"src", "/app", NULL, NULL, "src/4913", false, NULL},
            {"src", "/app", NULL, NULL, "src/.#a.py", false, NULL},
            {"src", "/app", NULL, NULL, "src/.idea/workspace.xml", false, NULL},
            /* a file rule without a target (rebuild) */
            {"requirements.txt", NULL, NULL, NULL, "requirements.txt", true, NULL},
            {"requirements.txt", NULL, NULL, NULL, "requirements.txt.bak", false, NULL},
            {"requirements.txt", "/app/requirements.txt", NULL, NULL, "requirements.txt", true,
             "/app/requirements.txt"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct match_case *c = &cases[i];
        struct compose_build build = {.context = root};
        struct compose_service s = {.name = "app", .build = &build};
        struct compose_watch w = {.action = "sync", .initial_sync = -1};
        struct watch_rule r;
        struct ds_error err = DS_ERROR_INIT;
        struct buf path = BUF_INIT, changed = BUF_INIT;
        char *container = (char *)"unset";
        bool taken;

        strvec_init(&w.ignore);
        strvec_init(&w.include);
        buf_addf(&path, "%s%s%s", root, strcmp(c->path, ".") ? "/" : "",
                 strcmp(c->path, ".") ? c->path : "");
        buf_addf(&changed, "%s%s%s", root, *c->changed ? "/" : "", c->changed);
        w.path = path.buf;
        w.target = (char *)c->target;
        if (c->ignore)
            strvec_push(&w.ignore, c->ignore);
        if (c->include)
            strvec_push(&w.include, c->include);
        assert_int_equal(watch_rule_init(&r, &s, &w, &err), 0);
        taken = watch_rule_match(&r, changed.buf, &container);
        if (taken != c->taken)
            fail_msg("case %zu: '%s' under rule '%s': taken %d, want %d", i, c->changed, c->path,
                     taken, c->taken);
        if (c->container)
            assert_non_null(container), assert_string_equal(container, c->container);
        else
            assert_null(container);
        free(container);
        watch_rule_release(&r);
        strvec_clear(&w.ignore);
        strvec_clear(&w.include);
        buf_release(&path);
        buf_release(&changed);
    }
}

static void test_ephemeral_table(void **state)
{
    static const struct {
        const char *path;
        bool ephemeral;
    } cases[] = {
            {"a.py", false},          {".a.py.swp", true},
            {".a.py.swx", true},      {"a.swp", false},
            {"a.py~", true},          {"4913", true},
            {"49130", false},         {".#a.py", true},
            {"#a.py#", true},         {"#", false},
            {"x___jb_tmp___", true},  {"x___jb_old___", true},
            {"d/.idea/ws.xml", true}, {".idea", false},
            {"m-go-tmp-umask", true}, {".x.kate-swp", true},
            {"dir~/file", true},      {".swp", false},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (watch_is_ephemeral(cases[i].path) != cases[i].ephemeral)
            fail_msg("'%s': ephemeral %d, want %d", cases[i].path, !cases[i].ephemeral,
                     cases[i].ephemeral);
}

/* A change: path at time ms; "?" asks due_in at ms and expects `due`; "!" takes the batch. */
struct step {
    const char *path;
    uint64_t ms;
    long due;
    const char *batch; /* "!": the paths taken, space-separated */
};

static void test_batch_table(void **state)
{
    static const struct {
        const char *name;
        struct step steps[8];
    } cases[] = {
            {"empty", {{"?", 0, -1, NULL}}},
            {"one save",
             {{"a", 100, 0, NULL},
              {"?", 100, 20, NULL},
              {"?", 119, 1, NULL},
              {"?", 120, 0, NULL},
              {"!", 0, 0, "a"},
              {"?", 200, -1, NULL}}},
            {"write then rename: one batch",
             {{"a.tmp", 100, 0, NULL},
              {"a", 101, 0, NULL},
              {"?", 110, 11, NULL},
              {"?", 121, 0, NULL},
              {"!", 0, 0, "a.tmp a"}}},
            {"a path again moves last and restarts the quiet period",
             {{"a", 100, 0, NULL},
              {"b", 105, 0, NULL},
              {"a", 110, 0, NULL},
              {"?", 125, 5, NULL},
              {"!", 0, 0, "b a"}}},
            {"changes that keep coming are taken after the longest wait",
             {{"a", 0, 0, NULL},
              {"b", 500, 0, NULL},
              {"c", 990, 0, NULL},
              {"?", 995, 5, NULL},
              {"?", 1000, 0, NULL},
              {"!", 0, 0, "a b c"}}},
            {"a new batch starts its own clock",
             {{"a", 0, 0, NULL}, {"!", 0, 0, "a"}, {"b", 5000, 0, NULL}, {"?", 5010, 10, NULL}}},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct watch_batch b;

        watch_batch_init(&b);
        for (size_t k = 0; k < 8 && cases[i].steps[k].path; k++) {
            const struct step *st = &cases[i].steps[k];

            if (!strcmp(st->path, "?")) {
                long due = watch_batch_due_in(&b, st->ms, 20, 1000);

                if (due != st->due)
                    fail_msg("%s, step %zu: due in %ld, want %ld", cases[i].name, k, due, st->due);
            } else if (!strcmp(st->path, "!")) {
                struct strvec out = STRVEC_INIT;
                struct buf got = BUF_INIT;

                watch_batch_take(&b, &out);
                for (size_t j = 0; j < out.n; j++)
                    buf_addf(&got, "%s%s", j ? " " : "", out.v[j]);
                if (strcmp(got.buf, st->batch))
                    fail_msg("%s: batch '%s', want '%s'", cases[i].name, got.buf, st->batch);
                strvec_clear(&out);
                buf_release(&got);
            } else {
                watch_batch_add(&b, st->path, st->ms);
            }
        }
        watch_batch_release(&b);
    }
}

/* ---- the sync set ---------------------------------------------------------------------- */

/* A tree for the sync tests: src/{a.txt, x.log, fifo, sub/b.txt, sub/link -> a.txt}. */
static char *sync_tree(void)
{
    char *dir;
    struct buf p = BUF_INIT;

    umask(022); /* the modes the tests expect */
    dir = test_mkdtemp();
    test_write_file(dir, "src/a.txt", "alpha");
    test_write_file(dir, "src/x.log", "noise");
    test_write_file(dir, "src/sub/b.txt", "beta");
    buf_addf(&p, "%s/src/sub/link", dir);
    assert_int_equal(symlink("a.txt", p.buf), 0);
    buf_reset(&p);
    buf_addf(&p, "%s/src/fifo", dir);
    assert_int_equal(mkfifo(p.buf, 0600), 0);
    buf_release(&p);
    return dir;
}

/* The rule ./src -> /app, ignore *.log, of a service without a build context. */
struct sync_rule {
    struct compose_service s;
    struct compose_watch w;
    struct watch_rule r;
    struct buf path;
};

static void sync_rule_init(struct sync_rule *sr, const char *dir)
{
    struct ds_error err = DS_ERROR_INIT;

    memset(sr, 0, sizeof(*sr));
    sr->s.name = "app";
    sr->path = (struct buf)BUF_INIT;
    buf_addf(&sr->path, "%s/src", dir);
    sr->w = (struct compose_watch){.action = "sync", .target = "/app", .initial_sync = -1};
    sr->w.path = sr->path.buf;
    strvec_init(&sr->w.ignore);
    strvec_init(&sr->w.include);
    strvec_push(&sr->w.ignore, "*.log");
    assert_int_equal(watch_rule_init(&sr->r, &sr->s, &sr->w, &err), 0);
}

static void sync_rule_release(struct sync_rule *sr)
{
    watch_rule_release(&sr->r);
    strvec_clear(&sr->w.ignore);
    strvec_clear(&sr->w.include);
    buf_release(&sr->path);
}

/* The set of one batch: the directory src and src/gone.txt, deleted. */
static void sync_set_of(struct watch_sync_set *set, const struct sync_rule *sr, const char *dir)
{
    struct ds_error err = DS_ERROR_INIT;
    struct buf p = BUF_INIT;

    watch_sync_set_init(set);
    buf_addf(&p, "%s/src", dir);
    assert_int_equal(watch_sync_set_add(set, &sr->r, p.buf, "/app", &err), 0);
    buf_addf(&p, "/gone.txt");
    assert_int_equal(watch_sync_set_add(set, &sr->r, p.buf, "/app/gone.txt", &err), 0);
    buf_release(&p);
}

static unsigned long long octal(const char *s, size_t n)
{
    unsigned long long v = 0;

    for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '7'; i++)
        v = v * 8 + (unsigned long long)(s[i] - '0');
    return v;
}

/*
 * Read the whole stream in odd-sized pieces and list it, one line per entry:
 * "<type> <name> <uid> <mode>[ <content> | -> <target>]"; the trailer must end it.
 */
static void list_stream(struct tar_stream *t, struct buf *out)
{
    struct buf tar = BUF_INIT;
    char piece[700];
    ssize_t n;
    size_t off = 0;

    while ((n = tar_stream_read(piece, sizeof(piece), t)) > 0)
        buf_add(&tar, piece, (size_t)n);
    assert_int_equal(n, 0);
    assert_int_equal(tar.len % 512, 0);
    buf_reset(out);
    while (off + 512 <= tar.len && tar.buf[off]) {
        const char *h = tar.buf + off;
        unsigned long long size = octal(h + 124, 12);

        buf_addf(out, "%c %.155s%s%.100s %llu %llo", h[156], h + 345, h[345] ? "/" : "", h,
                 octal(h + 108, 8), octal(h + 100, 8));
        if (h[156] == '2')
            buf_addf(out, " -> %.100s", h + 157);
        if (h[156] == '0')
            buf_addf(out, " %.*s", (int)size, h + 512);
        buf_addch(out, '\n');
        off += 512 + (size + 511) / 512 * 512;
    }
    /* two zero blocks end it, and nothing follows */
    assert_int_equal(tar.len, off + 1024);
    for (size_t i = off; i < tar.len; i++)
        assert_int_equal(tar.buf[i], 0);
    buf_release(&tar);
}

static void test_sync_set_tar(void **state)
{
    char *dir = sync_tree();
    struct sync_rule sr;
    struct watch_sync_set set;
    struct tar_stream *t;
    struct buf got = BUF_INIT, want = BUF_INIT, p = BUF_INIT;
    unsigned uid = (unsigned)getuid();
    (void)state;

    sync_rule_init(&sr, dir);
    sync_set_of(&set, &sr, dir);
    /* nothing is read before the stream is */
    assert_int_equal(set.n, 5);
    assert_int_equal(set.gone.n, 1);
    assert_string_equal(set.gone.v[0], "/app/gone.txt");
    t = watch_sync_set_tar(&set);
    assert_non_null(t);
    list_stream(t, &got);
    /* sorted, the rule's ignore: and the fifo left out, owners and modes kept */
    buf_addf(&want,
             "5 app/ %u 755\n0 app/a.txt %u 644 alpha\n5 app/sub/ %u 755\n"
             "0 app/sub/b.txt %u 644 beta\n2 app/sub/link %u 777 -> a.txt\n",
             uid, uid, uid, uid, uid);
    assert_string_equal(got.buf, want.buf);

    /* sent again: each file as it is by then; one that is gone is left out */
    test_write_file(dir, "src/a.txt", "alpha, longer now");
    buf_addf(&p, "%s/src/sub/b.txt", dir);
    assert_int_equal(unlink(p.buf), 0);
    buf_reset(&p);
    buf_addf(&p, "%s/src/a.txt", dir);
    assert_int_equal(chmod(p.buf, 0600), 0);
    tar_stream_rewind(t);
    list_stream(t, &got);
    buf_reset(&want);
    buf_addf(&want,
             "5 app/ %u 755\n0 app/a.txt %u 600 alpha, longer now\n5 app/sub/ %u 755\n"
             "2 app/sub/link %u 777 -> a.txt\n",
             uid, uid, uid, uid);
    assert_string_equal(got.buf, want.buf);

    tar_stream_free(t);
    watch_sync_set_release(&set);
    /* an empty set has no archive */
    assert_null(watch_sync_set_tar(&set));
    sync_rule_release(&sr);
    test_rmtree(dir);
    free(dir);
    buf_release(&got);
    buf_release(&want);
    buf_release(&p);
}

static void test_sync_set_put(void **state)
{
    char *dir = sync_tree(), *croot = test_mkdtemp();
    struct sync_rule sr;
    struct watch_sync_set set;
    struct ds_error err = DS_ERROR_INIT;
    struct buf p = BUF_INIT, content = BUF_INIT;
    struct stat st;
    char link[64] = "";
    int rootfd;
    (void)state;

    sync_rule_init(&sr, dir);
    sync_set_of(&set, &sr, dir);
    /* in the "container": the file deleted on the host, and a stale one */
    test_write_file(croot, "app/gone.txt", "old");
    test_write_file(croot, "app/a.txt", "stale");
    rootfd = open(croot, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(rootfd >= 0);
    assert_int_equal(watch_sync_set_put(&set, rootfd, &err), 0);
    close(rootfd);

    buf_addf(&p, "%s/app/a.txt", croot);
    assert_int_equal(buf_read_file(&content, p.buf, 1024), 0);
    assert_string_equal(content.buf, "alpha");
    buf_reset(&p);
    buf_reset(&content);
    buf_addf(&p, "%s/app/sub/b.txt", croot);
    assert_int_equal(buf_read_file(&content, p.buf, 1024), 0);
    assert_string_equal(content.buf, "beta");
    buf_reset(&p);
    buf_addf(&p, "%s/app/sub/link", croot);
    assert_int_equal(readlink(p.buf, link, sizeof(link) - 1), 5);
    assert_string_equal(link, "a.txt");
    buf_reset(&p);
    buf_addf(&p, "%s/app/gone.txt", croot);
    assert_int_equal(lstat(p.buf, &st), -1);
    buf_reset(&p);
    buf_addf(&p, "%s/app/x.log", croot);
    assert_int_equal(lstat(p.buf, &st), -1);
    buf_reset(&p);
    buf_addf(&p, "%s/app/fifo", croot);
    assert_int_equal(lstat(p.buf, &st), -1);

    watch_sync_set_release(&set);
    sync_rule_release(&sr);
    test_rmtree(dir);
    test_rmtree(croot);
    free(dir);
    free(croot);
    buf_release(&p);
    buf_release(&content);
}

static int setup(void **state)
{
    struct buf p = BUF_INIT;
    FILE *f;

    (void)state;
    if (!mkdtemp(root))
        return -1;
    buf_addf(&p, "%s/.dockerignore", root);
    f = fopen(p.buf, "w");
    if (!f)
        return -1;
    fputs("secret*\n*.tmp\n", f);
    fclose(f);
    buf_release(&p);
    return 0;
}

static int teardown(void **state)
{
    struct buf p = BUF_INIT;

    (void)state;
    buf_addf(&p, "%s/.dockerignore", root);
    unlink(p.buf);
    rmdir(root);
    buf_release(&p);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_match_table),  cmocka_unit_test(test_ephemeral_table),
            cmocka_unit_test(test_batch_table),  cmocka_unit_test(test_sync_set_tar),
            cmocka_unit_test(test_sync_set_put),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
