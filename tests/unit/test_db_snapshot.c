/*
 * The pure parts of dumps and snapshots: snapshot file names (made, read
 * back, looked up), where the snapshot directory is, DEFINER clauses left
 * out of SHOW CREATE statements, and byte counts as people read them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "db/dump.h"
#include "db/snapshot.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/path.h"
#include "util/size.h"
#include "util/banned.h"

#define T_2026 1795342500 /* 2026-11-22 10:15:00 UTC */

static void test_names(void **state)
{
    static const struct {
        const char *project;
        time_t when;
        unsigned n;
        const char *revision, *label;
        const char *want; /* NULL: refused */
    } cases[] = {
            {"shop", T_2026, 1, "3f2a1b9c0d4e", NULL, "shop.20261122T101500Z.3f2a1b9c0d4e.sql.gz"},
            {"shop", T_2026, 1, NULL, NULL, "shop.20261122T101500Z.none.sql.gz"},
            {"shop", T_2026, 1, "", "nightly", "shop.20261122T101500Z.none.nightly.sql.gz"},
            {"my_proj-2", T_2026, 1, "ae1027a6acf+27c6a30d7c24", "before-reset",
             "my_proj-2.20261122T101500Z.ae1027a6acf+27c6a30d7c24.before-reset.sql.gz"},
            {"shop", T_2026, 2, "abc", "before-restore",
             "shop.20261122T101500Z-2.abc.before-restore.sql.gz"},
            /* a free-text revision id keeps to what a file name can carry */
            {"shop", T_2026, 1, "rev/with.dots and space", NULL,
             "shop.20261122T101500Z.rev-with-dots-and-space.sql.gz"},
            {"shop", 0, 1, "a1", "x_Y-9", "shop.19700101T000000Z.a1.x_Y-9.sql.gz"},
            {"shop", T_2026, 1, "a1", "bad name", NULL},
            {"shop", T_2026, 1, "a1", "dots.not.allowed", NULL},
            {"shop", T_2026, 1, "a1", "", NULL},
            {"shop", T_2026, 1, "a1", "ü", NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;
        struct ds_error err = DS_ERROR_INIT;
        int rc = db_snapshot_name(&b, cases[i].project, cases[i].when, cases[i].n,
                                  cases[i].revision, cases[i].label, &err);

        if (!cases[i].want) {
            if (rc != DS_EINVAL || !strstr(err.msg, "letters, digits"))
                fail_msg("case %zu: want a refusal, got %d '%s'", i, rc, b.buf);
        } else if (rc != 0 || strcmp(b.buf, cases[i].want)) {
            fail_msg("case %zu: got %d '%s', want '%s'", i, rc, b.buf, cases[i].want);
        }
        buf_release(&b);
        ds_error_release(&err);
    }
}

static void assert_str(size_t i, const char *field, const char *got, const char *want)
{
    if ((!got) != (!want) || (got && strcmp(got, want)))
        fail_msg("case %zu: %s is '%s', want '%s'", i, field, got ? got : "NULL",
                 want ? want : "NULL");
}

static void test_parse(void **state)
{
    static const struct {
        const char *file;
        const char *name, *project, *revision, *label;
        time_t taken; /* -1: not from the name */
    } cases[] = {
            {"shop.20261122T101500Z.3f2a1b9c0d4e.sql.gz", "shop.20261122T101500Z.3f2a1b9c0d4e",
             "shop", "3f2a1b9c0d4e", NULL, T_2026},
            {"shop.20261122T101500Z.none.nightly.sql.gz", "shop.20261122T101500Z.none.nightly",
             "shop", NULL, "nightly", T_2026},
            {"shop.20261122T101500Z-2.abc.before-restore.sql.gz",
             "shop.20261122T101500Z-2.abc.before-restore", "shop", "abc", "before-restore", T_2026},
            {"my_proj-2.20261122T101500Z.a+b.before-reset",
             "my_proj-2.20261122T101500Z.a+b.before-reset", "my_proj-2", "a+b", "before-reset",
             T_2026},
            /* files named otherwise are listed by name alone */
            {"backup.sql.gz", "backup", NULL, NULL, NULL, -1},
            {"app-20261122-101500.sql.gz", "app-20261122-101500", NULL, NULL, NULL, -1},
            {"shop.2026112T101500Z.abc.sql.gz", "shop.2026112T101500Z.abc", NULL, NULL, NULL, -1},
            {"shop.20261122T101500Z.sql.gz", "shop.20261122T101500Z", NULL, NULL, NULL, -1},
            {".20261122T101500Z.abc.sql.gz", ".20261122T101500Z.abc", NULL, NULL, NULL, -1},
            {"shop.20261122T101500Z..sql.gz", "shop.20261122T101500Z.", NULL, NULL, NULL, -1},
            {"shop.20261122T101500Z-x.abc.sql.gz", "shop.20261122T101500Z-x.abc", NULL, NULL, NULL,
             -1},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct db_snapshot s;

        db_snapshot_parse(&s, cases[i].file);
        assert_str(i, "name", s.name, cases[i].name);
        assert_str(i, "project", s.project, cases[i].project);
        assert_str(i, "revision", s.revision, cases[i].revision);
        assert_str(i, "label", s.label, cases[i].label);
        if (s.taken != cases[i].taken)
            fail_msg("case %zu: taken %lld, want %lld", i, (long long)s.taken,
                     (long long)cases[i].taken);
        db_snapshot_release(&s);
    }
}

/* A name made and read back gives what went in. */
static void test_name_round_trip(void **state)
{
    static const char *const revisions[] = {NULL, "3f2a1b9c0d4e", "a+b", "x_y"};
    static const char *const labels[] = {NULL, "nightly", "before-reset", "a_b"};

    (void)state;
    for (size_t r = 0; r < ARRAY_SIZE(revisions); r++)
        for (size_t l = 0; l < ARRAY_SIZE(labels); l++)
            for (unsigned n = 1; n <= 3; n++) {
                struct buf b = BUF_INIT;
                struct db_snapshot s;

                assert_int_equal(db_snapshot_name(&b, "proj", T_2026 + (time_t)r, n, revisions[r],
                                                  labels[l], NULL),
                                 0);
                db_snapshot_parse(&s, b.buf);
                assert_str(r, "project", s.project, "proj");
                assert_str(r, "revision", s.revision, revisions[r]);
                assert_str(l, "label", s.label, labels[l]);
                assert_int_equal(s.taken, T_2026 + (time_t)r);
                db_snapshot_release(&s);
                buf_release(&b);
            }
}

static void test_find(void **state)
{
    static const char *const files[] = {
            "shop.20261120T080000Z.aaa.nightly.sql.gz",
            "shop.20261121T080000Z.bbb.nightly.sql.gz",
            "shop.20261122T080000Z.ccc.before-reset.sql.gz",
            "shop.20261122T090000Z.ccc.sql.gz",
    };
    static const struct {
        const char *query;
        int want; /* index into files; -1: error */
        const char *message;
    } cases[] = {
            {"shop.20261122T090000Z.ccc", 3, NULL},
            {"shop.20261122T090000Z.ccc.sql.gz", 3, NULL},
            {"nightly", 1, NULL}, /* the newest with that label */
            {"before-reset", 2, NULL},
            {"shop.20261120", 0, NULL}, /* a unique prefix */
            {"shop.20261122", -1, "ambiguous"},
            {"shop.2026112", -1, "ambiguous"},
            {"nope", -1, "no snapshot 'nope'"},
            {"", -1, "ambiguous"},
    };
    struct db_snapshots l = {0};

    (void)state;
    l.items = xcalloc(ARRAY_SIZE(files), sizeof(*l.items));
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        db_snapshot_parse(&l.items[i], files[i]);
        l.items[i].path = xstrdup(files[i]);
    }
    l.n = ARRAY_SIZE(files);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        const struct db_snapshot *s = db_snapshot_find(&l, cases[i].query, &err);

        if (cases[i].want >= 0) {
            if (!s || strcmp(s->path, files[cases[i].want]))
                fail_msg("case %zu '%s': got %s", i, cases[i].query, s ? s->path : err.msg);
        } else if (s || !strstr(err.msg, cases[i].message)) {
            fail_msg("case %zu '%s': want an error with '%s', got %s", i, cases[i].query,
                     cases[i].message, s ? s->path : err.msg);
        }
        ds_error_release(&err);
    }
    db_snapshots_release(&l);
}

/* Listing: oldest first, dead dumps' partial files removed, locked ones and strangers left. */
static void test_list(void **state)
{
    char *dir = test_mkdtemp(), *stale = NULL, *live = NULL;
    struct db_snapshots l = {0};
    struct buf name = BUF_INIT;
    int held;

    (void)state;
    test_write_file(dir, "p.20261122T090000Z.none.sql.gz", "x");
    test_write_file(dir, "p.20261120T090000Z.abc.sql.gz", "xyz");
    test_write_file(dir, "notes.txt", "not a snapshot");
    /* pid 2^22+1 is above Linux's pid_max: no process has it */
    test_write_file(dir, ".p.20261122T100000Z.none.sql.gz.partial-4194305.locked", "half");
    buf_addf(&name, ".p.20261122T110000Z.none.sql.gz.partial-%ld.locked", (long)getpid());
    test_write_file(dir, name.buf, "being written");
    live = path_join(dir, name.buf);
    held = open(live, O_RDONLY | O_CLOEXEC);
    assert_int_equal(flock(held, LOCK_EX), 0);
    assert_int_equal(db_snapshot_list(dir, &l, NULL), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].name, "p.20261120T090000Z.abc");
    assert_int_equal(l.items[0].size, 3);
    assert_string_equal(l.items[1].name, "p.20261122T090000Z.none");
    assert_int_equal(l.removed.n, 1);
    assert_string_equal(l.removed.v[0], ".p.20261122T100000Z.none.sql.gz.partial-4194305.locked");
    stale = path_join(dir, l.removed.v[0]);
    assert_int_not_equal(access(stale, F_OK), 0);
    assert_int_equal(access(live, F_OK), 0);
    close(held);
    db_snapshots_release(&l);

    /* two in the same second: the file's time orders them, not the name */
    test_write_file(dir, "p.20261123T090000Z.zzz.first.sql.gz", "1");
    test_write_file(dir, "p.20261123T090000Z.aaa.second.sql.gz", "2");
    {
        char *first = path_join(dir, "p.20261123T090000Z.zzz.first.sql.gz");
        struct timespec times[2] = {{.tv_sec = 1000, .tv_nsec = 0}, {.tv_sec = 1000, .tv_nsec = 0}};

        assert_int_equal(utimensat(AT_FDCWD, first, times, 0), 0);
        free(first);
    }
    assert_int_equal(db_snapshot_list(dir, &l, NULL), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.items[2].name, "p.20261123T090000Z.zzz.first");
    assert_string_equal(l.items[3].name, "p.20261123T090000Z.aaa.second");
    db_snapshots_release(&l);

    /* a directory that is not there holds no snapshots */
    free(stale);
    stale = path_join(dir, "missing");
    assert_int_equal(db_snapshot_list(stale, &l, NULL), 0);
    assert_int_equal(l.n, 0);
    db_snapshots_release(&l);
    test_rmtree(dir);
    free(dir);
    free(stale);
    free(live);
    buf_release(&name);
}

/*
 * Which partial files a listing removes. The PID in a name is the writer's
 * in its own PID namespace (the host's or a dev container's): only the
 * writer's lock says it is alive. Files of earlier versions, which took no
 * lock, go when their PID is gone here and they were not written for an hour.
 */
static void test_list_partials(void **state)
{
    enum { FILE_, DIR_, SYMLINK_ };
    static const struct {
        const char *name; /* "PID": this process's, alive here */
        int kind;
        bool locked;
        int age; /* seconds since it was written */
        bool removed;
    } cases[] = {
            /* the writer's lock decides, whatever the PID */
            {".a.sql.gz.partial-PID.locked", FILE_, false, 0, true},
            {".b.sql.gz.partial-4194305.locked", FILE_, false, 0, true},
            {".c.sql.gz.partial-4194305.locked", FILE_, true, 0, false},
            {".d.sql.gz.partial-4194305.locked", FILE_, true, 7200, false},
            {".e.sql.gz.partial-PID.locked", FILE_, true, 0, false},
            /* earlier versions' files: maybe an old writer in another PID namespace */
            {".f.sql.gz.partial-4194305", FILE_, false, 0, false},
            {".g.sql.gz.partial-4194305", FILE_, false, 3000, false},
            {".h.sql.gz.partial-4194305", FILE_, false, 7200, true},
            {".i.sql.gz.partial-PID", FILE_, false, 7200, false},
            {".j.sql.gz.partial-4194305", FILE_, true, 7200, false},
            /* strangers */
            {".k.sql.gz.partial-abc", FILE_, false, 7200, false},
            {".l.sql.gz.partial-0", FILE_, false, 7200, false},
            {"m.sql.gz.partial-4194305.locked", FILE_, false, 7200, false},
            {".n.sql.gz.partial-4194305.locked", DIR_, false, 7200, false},
            {".o.sql.gz.partial-4194305.locked", SYMLINK_, false, 7200, false},
            {".p.sql.gz.partial-4194305.lock", FILE_, false, 7200, false},
    };
    char *dir = test_mkdtemp(), *target = path_join(dir, "target");
    int held[ARRAY_SIZE(cases)];
    char *paths[ARRAY_SIZE(cases)];
    struct db_snapshots l = {0};

    (void)state;
    test_write_file(dir, "target", "a file a link points at");
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf name = BUF_INIT;
        time_t when = time(NULL) - cases[i].age;
        struct timespec times[2] = {{.tv_sec = when}, {.tv_sec = when}};

        const char *pid = strstr(cases[i].name, "PID");

        if (pid)
            buf_addf(&name, "%.*s%ld%s", (int)(pid - cases[i].name), cases[i].name, (long)getpid(),
                     pid + 3);
        else
            buf_adds(&name, cases[i].name);
        paths[i] = path_join(dir, name.buf);
        if (cases[i].kind == DIR_)
            assert_int_equal(mkdir(paths[i], 0700), 0);
        else if (cases[i].kind == SYMLINK_)
            assert_int_equal(symlink(target, paths[i]), 0);
        else
            test_write_file(dir, name.buf, "part of a dump");
        assert_int_equal(utimensat(AT_FDCWD, paths[i], times, AT_SYMLINK_NOFOLLOW), 0);
        /* a lock of another open file, as another process's would be */
        held[i] = -1;
        if (cases[i].locked) {
            held[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
            assert_int_equal(flock(held[i], LOCK_EX), 0);
        }
        buf_release(&name);
    }
    assert_int_equal(db_snapshot_list(dir, &l, NULL), 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        bool gone = faccessat(AT_FDCWD, paths[i], F_OK, AT_SYMLINK_NOFOLLOW) != 0, reported = false;

        for (size_t j = 0; j < l.removed.n; j++)
            reported |= !strcmp(l.removed.v[j], path_basename(paths[i]));
        if (gone != cases[i].removed || reported != cases[i].removed)
            fail_msg("'%s': %s, %s; want it %s", path_basename(paths[i]), gone ? "removed" : "kept",
                     reported ? "reported" : "not reported", cases[i].removed ? "removed" : "kept");
    }
    assert_int_equal(l.n, 0);
    db_snapshots_release(&l);

    /* the lock let go, the file is a dead dump's */
    close(held[2]);
    held[2] = -1;
    assert_int_equal(db_snapshot_list(dir, &l, NULL), 0);
    assert_int_equal(l.removed.n, 1);
    assert_string_equal(l.removed.v[0], path_basename(paths[2]));
    db_snapshots_release(&l);

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (held[i] >= 0)
            close(held[i]);
        free(paths[i]);
    }
    test_rmtree(dir);
    free(target);
    free(dir);
}

/* The repository's top when there is one, else the directory itself. */
static void test_snapshot_dir(void **state)
{
    char *root = test_mkdtemp(), *sub, *got, *want, *real;
    struct buf b = BUF_INIT;

    (void)state;
    real = realpath(root, NULL);
    test_write_file(root, "repo/compose/docker-compose.yml", "services: {}\n");
    test_write_file(root, "repo/.git/HEAD", "ref: refs/heads/main\n");
    test_write_file(root, "plain/compose/docker-compose.yml", "services: {}\n");
    buf_addf(&b, "%s/repo/compose", root);
    got = db_snapshot_dir(b.buf);
    want = path_join(real, "repo/.devstack/snapshots");
    assert_string_equal(got, want);
    free(got);
    free(want);
    buf_setlen(&b, 0);
    buf_addf(&b, "%s/plain/compose", root);
    got = db_snapshot_dir(b.buf);
    want = path_join(real, "plain/compose/.devstack/snapshots");
    assert_string_equal(got, want);
    free(got);
    free(want);

    /* prepared: the directory, and a .gitignore that ignores all of .devstack */
    sub = path_join(real, "plain/compose/.devstack/snapshots");
    assert_int_equal(db_snapshot_dir_prepare(sub, NULL), 0);
    assert_true(path_is_dir(sub));
    buf_setlen(&b, 0);
    assert_int_equal(buf_read_file(&b, "/dev/null", 16), 0);
    free(sub);
    sub = path_join(real, "plain/compose/.devstack/.gitignore");
    assert_int_equal(buf_read_file(&b, sub, 1024), 0);
    assert_non_null(strstr(b.buf, "\n*\n"));
    test_rmtree(root);
    free(root);
    free(real);
    free(sub);
    buf_release(&b);
}

static void test_strip_definer(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
            {"CREATE DEFINER=`app`@`%` TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1",
             "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1"},
            {"CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v` "
             "AS select 1 AS `1`",
             "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1 AS `1`"},
            {"CREATE DEFINER=`we``ird`@`10.0.%` PROCEDURE `p`()\nBEGIN END",
             "CREATE PROCEDURE `p`()\nBEGIN END"},
            {"CREATE DEFINER='app'@'%' FUNCTION f() RETURNS INT RETURN 1",
             "CREATE FUNCTION f() RETURNS INT RETURN 1"},
            {"CREATE DEFINER=`app`@`%` FUNCTION `f`() RETURNS int RETURN 'DEFINER=`x`@`y` '",
             "CREATE FUNCTION `f`() RETURNS int RETURN 'DEFINER=`x`@`y` '"},
            /* nothing to strip, or not a definer clause */
            {"CREATE TABLE `t` (`a` int)", "CREATE TABLE `t` (`a` int)"},
            {"CREATE VIEW v AS SELECT 'DEFINER=' AS d", "CREATE VIEW v AS SELECT 'DEFINER=' AS d"},
            {"CREATE DEFINER=`unterminated", "CREATE DEFINER=`unterminated"},
            {"CREATE DEFINER=`a`", "CREATE DEFINER=`a`"},
            {"", ""},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;

        db_strip_definer(&b, cases[i].in, strlen(cases[i].in));
        if (strcmp(b.buf, cases[i].want))
            fail_msg("case %zu: got '%s', want '%s'", i, b.buf, cases[i].want);
        buf_release(&b);
    }
}

static void test_partial_name(void **state)
{
    char *a = db_dump_partial_name("dir/sub/app.sql.gz", 42);
    char *b = db_dump_partial_name("app.sql", 7);

    (void)state;
    assert_string_equal(a, "dir/sub/.app.sql.gz.partial-42.locked");
    assert_string_equal(b, ".app.sql.partial-7.locked");
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names),
            cmocka_unit_test(test_parse),
            cmocka_unit_test(test_name_round_trip),
            cmocka_unit_test(test_find),
            cmocka_unit_test(test_list),
            cmocka_unit_test(test_snapshot_dir),
            cmocka_unit_test(test_strip_definer),
            cmocka_unit_test(test_partial_name),
            cmocka_unit_test(test_list_partials),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
