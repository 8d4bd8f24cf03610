/*
 * A project's lock: the holder's description, the directory and the file it
 * lives in. A directory's lock: its holder as /proc tells it, and the lock
 * itself between processes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "stack/lock.h"
#include "util/alloc.h"
#include "util/banned.h"

/* What a holder writes is what a waiter reads, whatever its command holds. */
static void test_holder_round_trip(void **state)
{
    static const struct {
        const char *command, *endpoint, *project;
        const char *read_back; /* the command as parsed */
    } cases[] = {
            {"devstack up", "unix:///run/docker.sock", "shop", "devstack up"},
            {"devstack db snapshot restore", "tcp://10.0.0.5:2376", "a-b_c",
             "devstack db snapshot restore"},
            /* a newline would end the value and could fake a key of its own */
            {"devstack up\npid=1", "unix:///x", "p", "devstack up?pid=1"},
            {"devstack\tup\r", NULL, NULL, "devstack?up?"},
            {"devstack = up", "", "", "devstack = up"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct stack_lock_holder h = {.pid = 4242, .since = 1764641958}, back;
        struct buf text = BUF_INIT;

        h.command = (char *)cases[i].command;
        stack_lock_holder_format(&text, &h, cases[i].endpoint, cases[i].project);
        if (stack_lock_holder_parse(&back, text.buf, text.len) < 0)
            fail_msg("case %zu: '%s' does not read back", i, text.buf);
        assert_int_equal(back.pid, 4242);
        assert_int_equal(back.since, 1764641958);
        if (strcmp(back.command, cases[i].read_back))
            fail_msg("case %zu: command '%s', want '%s'", i, back.command, cases[i].read_back);
        /* one line per key, nothing else */
        assert_int_equal(strchr(text.buf, '\0') - text.buf, (long)text.len);
        stack_lock_holder_release(&back);
        buf_release(&text);
    }
}

/* What a waiter may find in the file: a description being written, an old or foreign one. */
static void test_holder_parse(void **state)
{
    static const struct {
        const char *text;
        long pid; /* 0: DS_EINVAL */
        const char *command;
    } cases[] = {
            {"pid=1\nsince=0\ncommand=devstack up\n", 1, "devstack up"},
            {"pid=7\nsince=5\ncommand=devstack down", 7, "devstack down"}, /* no final newline */
            {"command=devstack up\nsince=5\npid=9\n", 9, "devstack up"},   /* any order */
            {"pid=9\nsince=5\ncommand=devstack up\nendpoint=x\nproject=y\nfuture=1\n", 9,
             "devstack up"},
            {"pid=9\nsince=5\ncommand=a=b\n", 9, "a=b"}, /* the first '=' splits */
            {"pid=9\nsince=5\ncommand=first\ncommand=second\n", 9, "first"},
            {"", 0, NULL},                               /* truncated by the holder */
            {"pid=9\nsince=5\n", 0, NULL},               /* cut before the command */
            {"pid=9\nsince=5\ncommand=\n", 0, NULL},     /* an empty command */
            {"pid=9\ncommand=devstack up\n", 0, NULL},   /* no time */
            {"since=5\ncommand=devstack up\n", 0, NULL}, /* no pid */
            {"pid=0\nsince=5\ncommand=devstack up\n", 0, NULL},
            {"pid=-3\nsince=5\ncommand=devstack up\n", 0, NULL},
            {"pid=12x\nsince=5\ncommand=devstack up\n", 0, NULL},
            {"pid=99999999999\nsince=5\ncommand=devstack up\n", 0, NULL},
            {"pid=9\nsince=-1\ncommand=devstack up\n", 0, NULL},
            {"pid=9\nsince=soon\ncommand=devstack up\n", 0, NULL},
            {"pid 9\nsince 5\ncommand devstack up\n", 0, NULL},
            {"\n\n\n=\n==\n", 0, NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct stack_lock_holder h;
        int rc = stack_lock_holder_parse(&h, cases[i].text, strlen(cases[i].text));

        if (!cases[i].pid) {
            if (rc != DS_EINVAL || h.command)
                fail_msg("case %zu: '%s' was read (rc %d)", i, cases[i].text, rc);
            continue;
        }
        if (rc < 0)
            fail_msg("case %zu: '%s' does not read", i, cases[i].text);
        assert_int_equal(h.pid, cases[i].pid);
        assert_string_equal(h.command, cases[i].command);
        stack_lock_holder_release(&h);
    }
}

/* The waiting line names the command, its pid and when it began, in local time. */
static void test_holder_describe(void **state)
{
    struct stack_lock_holder h = {.pid = 42, .since = 1764641702, .command = (char *)"devstack up"};
    struct buf b = BUF_INIT;

    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    stack_lock_holder_describe(&b, &h);
    assert_string_equal(b.buf, "'devstack up' (pid 42, since 02:15:02)");
    buf_reset(&b);
    setenv("TZ", "Asia/Kolkata", 1); /* +05:30 */
    tzset();
    stack_lock_holder_describe(&b, &h);
    assert_string_equal(b.buf, "'devstack up' (pid 42, since 07:45:02)");
    buf_reset(&b);
    stack_lock_holder_describe(&b, NULL);
    assert_string_equal(b.buf, "another devstack command");
    buf_reset(&b);
    h.since = 0; /* not known: /proc did not tell */
    stack_lock_holder_describe(&b, &h);
    assert_string_equal(b.buf, "'devstack up' (pid 42)");
    buf_release(&b);
    unsetenv("TZ");
    tzset();
}

static void test_lock_dir(void **state)
{
    static const struct {
        uid_t uid;
        bool run_user;
        const char *dir;
    } cases[] = {
            {0, false, "/run/devstack"},
            /* root under sudo or in a login session: one place either way */
            {0, true, "/run/devstack"},
            {1000, true, "/run/user/1000/devstack"},
            {1000, false, "/tmp/devstack-1000"},
            {4294967294u, false, "/tmp/devstack-4294967294"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *dir = stack_lock_dir(cases[i].uid, cases[i].run_user);

        if (strcmp(dir, cases[i].dir))
            fail_msg("uid %lu: got '%s', want '%s'", (unsigned long)cases[i].uid, dir,
                     cases[i].dir);
        free(dir);
    }
}

/* Keyed by engine and project, not by directory: equal keys one file, any difference another. */
static void test_path(void **state)
{
    static const struct {
        const char *endpoint, *project;
        const char *prefix; /* what the path starts with, before the 16 hex digits */
    } cases[] = {
            {"unix:///run/docker.sock", "shop", "/d/shop-"},
            {"unix:///run/engine26/docker.sock", "shop", "/d/shop-"},
            {"tcp://127.0.0.1:2375", "shop", "/d/shop-"},
            {"unix:///run/docker.sock", "shop2", "/d/shop2-"},
            {"unix:///run/docker.sock", "my_app-1", "/d/my_app-1-"},
            /* names come validated; anything else still stays one file name */
            {"unix:///run/docker.sock", "../../etc/x", "/d/______etc_x-"},
            {"unix:///run/docker.sock", "Shop", "/d/_hop-"},
            {"", "shop", "/d/shop-"},
            /* long names are cut, and still apart */
            {"", "a123456789b123456789c123456789d123456789e123456789f123456789g123456789h",
             "/d/a123456789b123456789c123456789d123456789e123456789f123456789g123-"},
            {"", "a123456789b123456789c123456789d123456789e123456789f123456789g123456789i",
             "/d/a123456789b123456789c123456789d123456789e123456789f123456789g123-"},
    };
    char *paths[ARRAY_SIZE(cases)];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *hex;

        paths[i] = stack_lock_path("/d", cases[i].endpoint, cases[i].project);
        if (strncmp(paths[i], cases[i].prefix, strlen(cases[i].prefix)))
            fail_msg("case %zu: '%s' does not start with '%s'", i, paths[i], cases[i].prefix);
        hex = paths[i] + strlen(cases[i].prefix);
        assert_int_equal(strspn(hex, "0123456789abcdef"), 16);
        assert_string_equal(hex + 16, ".lock");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(paths[i], paths[j]))
                fail_msg("cases %zu and %zu share '%s'", j, i, paths[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *again = stack_lock_path("/d", cases[i].endpoint, cases[i].project);

        assert_string_equal(again, paths[i]);
        free(again);
        free(paths[i]);
    }
}

/* The holder of a directory's lock in /proc/locks: a flock write lock on that file alone. */
static void test_proc_holder(void **state)
{
    static const char locks[] =
            "1: OFDLCK ADVISORY  READ -1 00:06:3 0 EOF\n"
            "2: POSIX  ADVISORY  WRITE 700 fe:00:4242 0 EOF\n"
            "3: FLOCK  ADVISORY  READ  701 fe:00:4243 0 EOF\n"
            "4: FLOCK  ADVISORY  WRITE 12249 fe:00:13836760 0 EOF\n"
            "4: -> FLOCK  ADVISORY  WRITE 12250 fe:00:13836760 0 EOF\n"
            "5: FLOCK  ADVISORY  WRITE 0 00:2e:77 0 EOF\n"
            "6: FLOCK  ADVISORY  WRITE 31 103:1a:99 0 EOF"; /* no final newline */
    static const struct {
        unsigned long major, minor, ino;
        long pid;
    } cases[] = {
            {0xfe, 0, 13836760, 12249}, /* the holder, not the waiter after it */
            {0xfe, 0, 4242, 0},         /* a POSIX lock is not a flock */
            {0xfe, 0, 4243, 0},         /* a shared flock is not the lock */
            {0xfe, 1, 13836760, 0},     /* another device */
            {0, 0x2e, 77, 0},           /* a holder in a PID namespace not seen here */
            {0x103, 0x1a, 99, 31},      /* hex device numbers */
            {0xfe, 0, 1383676, 0},      /* a prefix of an inode is not the inode */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        long pid = stack_lock_proc_holder(locks, cases[i].major, cases[i].minor, cases[i].ino);

        if (pid != cases[i].pid)
            fail_msg("case %zu: pid %ld, want %ld", i, pid, cases[i].pid);
    }
    assert_int_equal(stack_lock_proc_holder("", 0xfe, 0, 1), 0);
    assert_int_equal(stack_lock_proc_holder("garbage\n\n1:\n", 0xfe, 0, 1), 0);
}

/* The holder's command as a waiter tells it: the program and its words, no option's value. */
static void test_proc_command(void **state)
{
    static const struct {
        const char *cmdline; /* '|' for NUL */
        const char *want;
    } cases[] = {
            {"/usr/local/bin/devstack|migrate|--bootstrap|", "devstack migrate"},
            {"devstack|db|upgrade|head|", "devstack db upgrade head"},
            {"devstack|db|upgrade|head|extra|", "devstack db upgrade head"},
            {"devstack|--url|mysql://u:secret@db/app|db|upgrade|", "devstack"},
            {"/bin/flock|", "flock"},
            {"devstack|a\nb|", "devstack a?b"},
            {"devstack|migrate", "devstack migrate"}, /* no final NUL */
            {"", ""},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char text[128];
        size_t len = strlen(cases[i].cmdline);
        struct buf out = BUF_INIT;

        memcpy(text, cases[i].cmdline, len + 1);
        for (size_t k = 0; k < len; k++)
            if (text[k] == '|')
                text[k] = '\0';
        stack_lock_proc_command(&out, text, len);
        if (strcmp(out.len ? out.buf : "", cases[i].want))
            fail_msg("case %zu: '%s', want '%s'", i, out.len ? out.buf : "", cases[i].want);
        buf_release(&out);
    }
}

struct waiter {
    pid_t parent;
    int tell; /* a pipe to the parent: one byte when the child waits for it */
    int waits;
};

static void count_wait(const struct stack_lock_holder *h, void *ud)
{
    struct waiter *w = ud;

    /* the holder is the parent, found in /proc */
    if (h && h->pid == w->parent && h->since > 0)
        w->waits++;
    if (write(w->tell, "w", 1) != 1)
        _exit(1);
}

/*
 * child: take `dir`'s lock (at once, or waiting); exit 0 done, 2 busy, 3
 * waited unseen, 1 other. held: the parent's descriptor, which fork() shares
 * (its lock with it): closed first, as exec closes it in a command's child.
 */
static void child_locks(int held, const char *dir, bool no_wait, pid_t parent, int tell)
{
    struct stack_lock l = STACK_LOCK_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct waiter w = {parent, tell, 0};
    struct stack_lock_options o = {.no_wait = no_wait, .waiting = count_wait, .ud = &w};
    char want[64];
    int rc;

    close(held);
    rc = stack_lock_acquire_dir(&l, dir, "the directory 'd'", &o, &err);
    snprintf(want, sizeof(want), "(pid %ld, since ", (long)parent);
    if (rc == DS_ECONFLICT)
        /* the command is this program's (valgrind's, under valgrind) */
        _exit(strstr(err.msg, "the directory 'd' is busy: '") && strstr(err.msg, want) ? 2 : 1);
    if (rc < 0)
        _exit(1);
    stack_lock_release(&l);
    _exit(no_wait || w.waits == 1 ? 0 : 3);
}

static int child_status(pid_t pid)
{
    int status = 0;

    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The lock between processes: a second is refused or waits, naming the first; the file stays. */
static void test_dir_lock(void **state)
{
    char dir[] = "/tmp/test_stack_lock.XXXXXX";
    struct stack_lock l = STACK_LOCK_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct stack_lock_options o = {0};
    pid_t child;
    int tell[2];
    char byte;

    (void)state;
    assert_int_equal(pipe(tell), 0);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(stack_lock_acquire_dir(&l, dir, "the directory 'd'", &o, &err), 0);
    if ((child = fork()) == 0)
        child_locks(l.fd, dir, true, getppid(), tell[1]);
    assert_int_equal(child_status(child), 2);
    if ((child = fork()) == 0)
        child_locks(l.fd, dir, false, getppid(), tell[1]);
    /* let go once the child waits */
    assert_int_equal(read(tell[0], &byte, 1), 1);
    stack_lock_release(&l);
    assert_int_equal(child_status(child), 0);
    /* the directory is kept: its lock is no file of its own */
    assert_int_equal(rmdir(dir), 0);
    /* a directory that is not there: an error naming it */
    assert_int_equal(stack_lock_acquire_dir(&l, dir, "the directory 'd'", &o, &err), DS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "cannot open the directory 'd'"));
    ds_error_release(&err);
    close(tell[0]);
    close(tell[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_holder_round_trip),
            cmocka_unit_test(test_holder_parse),
            cmocka_unit_test(test_holder_describe),
            cmocka_unit_test(test_lock_dir),
            cmocka_unit_test(test_path),
            cmocka_unit_test(test_proc_holder),
            cmocka_unit_test(test_proc_command),
            cmocka_unit_test(test_dir_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
