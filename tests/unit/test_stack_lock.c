/* A project's lock: the holder's description, the directory and the file it lives in. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_holder_round_trip),
            cmocka_unit_test(test_holder_parse),
            cmocka_unit_test(test_holder_describe),
            cmocka_unit_test(test_lock_dir),
            cmocka_unit_test(test_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
