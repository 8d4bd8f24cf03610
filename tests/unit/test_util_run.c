/*
 * run_command's capture cap, with real children: output past capture_max is
 * an error once the child has ended, not silently dropped, and the buffer of
 * that stream is left as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/run.h"
#include "util/banned.h"

/* Did run_command reap its child? Then this process has none left. */
static bool no_children_left(void)
{
    int status;

    return waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

static void test_run_capture_cap(void **state)
{
    static const struct {
        const char *what;
        const char *const argv[5];
        size_t capture_max; /* 0: the default */
        bool capture_err;
        int rc;
        size_t out_len, err_len; /* what the buffers hold afterwards */
        const char *msg;         /* part of the error message, when rc < 0 */
    } cases[] = {
            {"exact fit", {"head", "-c", "1000", "/dev/zero"}, 1000, false, 0, 1000, 0, NULL},
            {"one byte past",
             {"head", "-c", "1001", "/dev/zero"},
             1000,
             false,
             DS_EIO,
             0,
             0,
             "the output of 'head' is larger than 1000 B"},
            {"far past",
             {"head", "-c", "100000", "/dev/zero"},
             1000,
             false,
             DS_EIO,
             0,
             0,
             "the output of 'head' is larger than 1000 B"},
            /* the exit status does not hide the overflow */
            {"past, then a failure",
             {"/bin/sh", "-c", "head -c 5000 /dev/zero; exit 3"},
             4096,
             false,
             DS_EIO,
             0,
             0,
             "the output of '/bin/sh' is larger than 4.0 KiB"},
            /* the child is read to its end: what it writes after the cap still counts */
            {"past, then stderr",
             {"/bin/sh", "-c", "head -c 100000 /dev/zero; echo done >&2"},
             1000,
             true,
             DS_EIO,
             0,
             5,
             "the output of '/bin/sh' is larger than 1000 B"},
            {"stderr past",
             {"/bin/sh", "-c", "echo out; head -c 2000 /dev/zero >&2"},
             1000,
             true,
             DS_EIO,
             4,
             0,
             "the error output of '/bin/sh' is larger than 1000 B"},
            {"under the default",
             {"head", "-c", "100000", "/dev/zero"},
             0,
             false,
             0,
             100000,
             0,
             NULL},
            {"exit status kept", {"/bin/sh", "-c", "echo hi; exit 7"}, 16, true, 7, 3, 0, NULL},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strvec argv = STRVEC_INIT;
        struct buf out = BUF_INIT, errout = BUF_INIT;
        struct ds_error err = DS_ERROR_INIT;
        struct run_options o = {.null_stdin = true,
                                .out = &out,
                                .errout = cases[i].capture_err ? &errout : NULL,
                                .capture_max = cases[i].capture_max};
        int rc;

        strvec_pushv(&argv, cases[i].argv);
        rc = run_command(&argv, &o, &err);
        if (rc != cases[i].rc) {
            print_error("case %zu (%s): rc %d (%s), expected %d\n", i, cases[i].what, rc,
                        err.msg ? err.msg : "no message", cases[i].rc);
            bad++;
        } else if (out.len != cases[i].out_len || errout.len != cases[i].err_len) {
            print_error("case %zu (%s): captured %zu and %zu bytes, expected %zu and %zu\n", i,
                        cases[i].what, out.len, errout.len, cases[i].out_len, cases[i].err_len);
            bad++;
        } else if (cases[i].msg && (!err.msg || strcmp(err.msg, cases[i].msg) != 0)) {
            print_error("case %zu (%s): message \"%s\", expected \"%s\"\n", i, cases[i].what,
                        err.msg ? err.msg : "(none)", cases[i].msg);
            bad++;
        } else if (!no_children_left()) {
            print_error("case %zu (%s): the child was not reaped\n", i, cases[i].what);
            bad++;
        }
        strvec_clear(&argv);
        buf_release(&out);
        buf_release(&errout);
        ds_error_release(&err);
    }
    if (bad)
        fail_msg("%d run_command capture cases failed", bad);
}

/* Output the caller's buffer already held is kept, and does not count against the cap. */
static void test_run_capture_appends(void **state)
{
    static const char *const argv_text[] = {"/bin/sh", "-c", "printf abc", NULL};
    struct strvec argv = STRVEC_INIT;
    struct buf out = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct run_options o = {.null_stdin = true, .out = &out, .capture_max = 3};

    (void)state;
    strvec_pushv(&argv, argv_text);
    buf_adds(&out, "before:");
    assert_int_equal(run_command(&argv, &o, &err), 0);
    assert_string_equal(out.buf, "before:abc");
    strvec_clear(&argv);
    buf_release(&out);
    ds_error_release(&err);
}

/* The input becomes the child's stdin, without a newline added; too much is refused. */
static void test_run_input(void **state)
{
    static const char *const argv_text[] = {"/bin/sh", "-c", "cat; echo .", NULL};
    struct strvec argv = STRVEC_INIT;
    struct buf out = BUF_INIT, big = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct run_options o = {.input = "https://index.docker.io/v1/", .out = &out};

    (void)state;
    strvec_pushv(&argv, argv_text);
    assert_int_equal(run_command(&argv, &o, &err), 0);
    assert_string_equal(out.buf, "https://index.docker.io/v1/.\n");
    for (size_t i = 0; i <= RUN_INPUT_MAX; i++)
        buf_addch(&big, 'x');
    o.input = big.buf;
    assert_int_equal(run_command(&argv, &o, &err), DS_EINVAL);
    assert_true(no_children_left());
    strvec_clear(&argv);
    buf_release(&out);
    buf_release(&big);
    ds_error_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_run_input),
            cmocka_unit_test(test_run_capture_cap),
            cmocka_unit_test(test_run_capture_appends),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
