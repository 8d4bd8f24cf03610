/*
 * A build's BuildKit session without an engine: gRPC messages found in a
 * byte stream (split, back to back, compressed, too long), the answers to
 * the unary calls the engine makes (health, GetSecret, CheckAgent, an
 * unknown method) byte for byte as BuildKit's protobuf has them, and the
 * resolution of build.secrets and build.ssh into ids, values and agent
 * sockets, with the errors a user gets for what is missing.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "compose/compose.h"
#include "engine/session.h"
#include "stack/build_sources.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/banned.h"

#define LIT(s) (const unsigned char *)(s), sizeof(s) - 1

static const struct {
    const char *name;
    const unsigned char *in;
    size_t len;
    int want; /* 1 found, 0 needs more, DS_EPROTO */
    size_t msg_len, used;
} frames[] = {
        {"nothing yet", LIT(""), 0, 0, 0},
        {"half a prefix", LIT("\0\0\0"), 0, 0, 0},
        {"a prefix without its message",
         LIT("\0\0\0\0\x03"
             "ab"),
         0, 0, 0},
        {"an empty message", LIT("\0\0\0\0\0"), 1, 0, 5},
        {"one message",
         LIT("\0\0\0\0\x02"
             "ab"),
         1, 2, 7},
        {"two back to back: the first",
         LIT("\0\0\0\0\x01"
             "a\0\0\0\0\x01"
             "b"),
         1, 1, 6},
        {"a length over 2^24", LIT("\0\x01\0\0\0"), DS_EPROTO, 0, 0},
        {"compressed",
         LIT("\x01\0\0\0\x01"
             "a"),
         DS_EPROTO, 0, 0},
};

static void test_grpc_next(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(frames); i++) {
        const unsigned char *msg = NULL;
        size_t msg_len = 0, used = 0;
        struct ds_error err = DS_ERROR_INIT;
        int rc = engine_grpc_next(frames[i].in, frames[i].len, 1u << 20, &msg, &msg_len, &used,
                                  &err);

        if (rc != frames[i].want)
            fail_msg("case '%s': got %d, want %d", frames[i].name, rc, frames[i].want);
        if (rc == 1 &&
            (msg_len != frames[i].msg_len || used != frames[i].used || msg != frames[i].in + 5))
            fail_msg("case '%s': message of %zu bytes using %zu", frames[i].name, msg_len, used);
        if ((rc < 0) != (err.msg != NULL))
            fail_msg("case '%s': an error without a message, or the reverse", frames[i].name);
        ds_error_release(&err);
    }
}

static const unsigned char hello[] = "hello";
static const struct engine_session_secret secrets[] = {
        {"token", hello, 5},
        {"empty", hello, 0},
};
static const struct engine_session_ssh agents[] = {{"default", "/tmp/agent.sock"},
                                                   {"gh", "/tmp/gh.sock"}};
static const struct engine_session_sources sources = {secrets, 2, agents, 2};

static const struct {
    const char *name, *method;
    const unsigned char *body;
    size_t len;
    int status;
    const unsigned char *reply;
    size_t reply_len;
} calls[] = {
        {"health: serving", "/grpc.health.v1.Health/Check", LIT("\0\0\0\0\0"), ENGINE_GRPC_OK,
         LIT("\0\0\0\0\x02\x08\x01")},
        {"health of a named service", "/grpc.health.v1.Health/Check", LIT("\0\0\0\0\x03\x0a\x01x"),
         ENGINE_GRPC_OK, LIT("\0\0\0\0\x02\x08\x01")},
        {"a secret by its id", "/moby.buildkit.secrets.v1.Secrets/GetSecret",
         LIT("\0\0\0\0\x07\x0a\x05token"), ENGINE_GRPC_OK, LIT("\0\0\0\0\x07\x0a\x05hello")},
        {"a secret asked with annotations", "/moby.buildkit.secrets.v1.Secrets/GetSecret",
         LIT("\0\0\0\0\x0f\x0a\x05token\x12\x06\x0a\x01k\x12\x01v"), ENGINE_GRPC_OK,
         LIT("\0\0\0\0\x07\x0a\x05hello")},
        {"an empty secret", "/moby.buildkit.secrets.v1.Secrets/GetSecret",
         LIT("\0\0\0\0\x07\x0a\x05"
             "empty"),
         ENGINE_GRPC_OK, LIT("\0\0\0\0\0")},
        {"a secret not given", "/moby.buildkit.secrets.v1.Secrets/GetSecret",
         LIT("\0\0\0\0\x05\x0a\x03nop"), ENGINE_GRPC_NOT_FOUND, LIT("")},
        {"the default agent", "/moby.sshforward.v1.SSH/CheckAgent", LIT("\0\0\0\0\0"),
         ENGINE_GRPC_OK, LIT("\0\0\0\0\0")},
        {"an agent by its id", "/moby.sshforward.v1.SSH/CheckAgent", LIT("\0\0\0\0\x04\x0a\x02gh"),
         ENGINE_GRPC_OK, LIT("\0\0\0\0\0")},
        {"an agent not given", "/moby.sshforward.v1.SSH/CheckAgent", LIT("\0\0\0\0\x04\x0a\x02gl"),
         ENGINE_GRPC_NOT_FOUND, LIT("")},
        {"an unknown method", "/moby.filesync.v1.FileSync/DiffCopy", LIT("\0\0\0\0\0"),
         ENGINE_GRPC_UNIMPLEMENTED, LIT("")},
        {"two messages for a unary call", "/grpc.health.v1.Health/Check",
         LIT("\0\0\0\0\0\0\0\0\0\0"), ENGINE_GRPC_INVALID_ARGUMENT, LIT("")},
        {"a cut message", "/moby.buildkit.secrets.v1.Secrets/GetSecret",
         LIT("\0\0\0\0\x07\x0a\x05tok"), ENGINE_GRPC_INVALID_ARGUMENT, LIT("")},
        {"not protobuf", "/moby.buildkit.secrets.v1.Secrets/GetSecret", LIT("\0\0\0\0\x02\x0a\x09"),
         ENGINE_GRPC_INVALID_ARGUMENT, LIT("")},
};

static void test_session_answer(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
        struct buf reply = BUF_INIT;
        const char *message = NULL;
        int status = engine_session_answer(&sources, calls[i].method, calls[i].body, calls[i].len,
                                           &reply, &message);

        if (status != calls[i].status)
            fail_msg("case '%s': status %d, want %d (%s)", calls[i].name, status, calls[i].status,
                     message ? message : "");
        if (reply.len != calls[i].reply_len || memcmp(reply.buf, calls[i].reply, reply.len))
            fail_msg("case '%s': a reply of %zu bytes, want %zu", calls[i].name, reply.len,
                     calls[i].reply_len);
        if ((status != ENGINE_GRPC_OK) != (message != NULL))
            fail_msg("case '%s': a failure without a message, or the reverse", calls[i].name);
        /* the value of a secret is never in a message */
        if (message && strstr(message, "hello"))
            fail_msg("case '%s': the secret in '%s'", calls[i].name, message);
        buf_release(&reply);
    }
}

/* ---- build.secrets and build.ssh ---------------------------------------------- */

/* "@" in a case's text is the test's directory. */
static char *at_dir(const char *text, const char *dir)
{
    struct buf b = BUF_INIT;

    for (const char *p = text; *p; p++) {
        if (*p == '@')
            buf_adds(&b, dir);
        else
            buf_addch(&b, *p);
    }
    return buf_detach(&b, NULL);
}

#define SECRETS_TOP                                                                                \
    "secrets:\n  tok: {file: ./token.txt}\n  env: {environment: MY_SECRET}\n"                      \
    "  unset: {environment: NOT_SET}\n  gone: {file: ./missing.txt}\n"                             \
    "  big: {file: ./big.txt}\n"

static const struct {
    const char *name, *yaml;
    const char *ssh_auth_sock; /* NULL: unset */
    const char *want;          /* "id=value;..." then "|ssh id=socket;...", or the error */
    const char *hint;          /* NULL: none */
} resolve_cases[] = {
        {"a file secret under its name",
         "services:\n  s:\n    build:\n      context: .\n      secrets: [tok]\n" SECRETS_TOP, NULL,
         "tok=file value\n;|", NULL},
        {"target renames it; environment gives the value",
         "services:\n  s:\n    build:\n      context: .\n      secrets:\n        - tok\n"
         "        - {source: env, target: renamed}\n" SECRETS_TOP,
         NULL, "tok=file value\n;renamed=from the env;|", NULL},
        {"the agent of SSH_AUTH_SOCK, and one by its id",
         "services:\n  s:\n    build:\n      context: .\n      ssh: [default, gh=./gh.sock]\n",
         "@/agent.sock", "|default=@/agent.sock;gh=@/gh.sock;", NULL},
        {"default=PATH needs no SSH_AUTH_SOCK",
         "services:\n  s:\n    build:\n      context: .\n      ssh: {default: ./gh.sock}\n", NULL,
         "|default=@/gh.sock;", NULL},
        {"a variable that is not set",
         "services:\n  s:\n    build:\n      context: .\n      secrets: [tok, unset]\n" SECRETS_TOP,
         NULL,
         "@/compose.yaml:5:22: services.s.build.secrets: secret 'unset' takes the variable "
         "'NOT_SET', which is not set (set it in the shell or in .env)",
         NULL},
        {"a file that is not there",
         "services:\n  s:\n    build:\n      context: .\n      secrets:\n        - "
         "gone\n" SECRETS_TOP,
         NULL,
         "@/compose.yaml:6:11: services.s.build.secrets: secret 'gone': cannot read "
         "'@/missing.txt': No such file or directory",
         NULL},
        {"a file larger than BuildKit takes",
         "services:\n  s:\n    build:\n      context: .\n      secrets: [big]\n" SECRETS_TOP, NULL,
         "@/compose.yaml:5:17: services.s.build.secrets: secret 'big': cannot read "
         "'@/big.txt': larger than BuildKit's 500 KiB",
         NULL},
        {"no agent to forward",
         "services:\n  s:\n    build:\n      context: .\n      ssh: [default]\n", NULL,
         "@/compose.yaml:5:7: services.s.build.ssh: 'default' forwards the SSH agent, and "
         "SSH_AUTH_SOCK is not set",
         "start an agent (ssh-agent, then ssh-add), or write default=PATH with the agent's "
         "socket or a key file"},
        {"SSH_AUTH_SOCK names nothing",
         "services:\n  s:\n    build:\n      context: .\n      ssh: [default]\n", "@/nowhere",
         "@/compose.yaml:5:7: services.s.build.ssh: 'default': cannot use '@/nowhere': No such "
         "file or directory",
         NULL},
        {"a key file: checked, loaded into an agent only for the build",
         "services:\n  s:\n    build:\n      context: .\n      ssh: [key=./token.txt]\n", NULL,
         "|key=@/token.txt;", NULL},
        {"a directory", "services:\n  s:\n    build:\n      context: .\n      ssh: [key=.]\n", NULL,
         "@/compose.yaml:5:7: services.s.build.ssh: 'key': '@' is neither an SSH agent's socket "
         "nor a key file",
         NULL},
};

static struct compose_project *load_in(const char *dir, const char *yaml)
{
    char *env[] = {"MY_SECRET=from the env", NULL};
    struct compose_options o = {.environ = env, .project_directory = dir};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;
    char *file = at_dir("@/compose.yaml", dir);

    if (compose_load_text(&p, yaml, strlen(yaml), file, &o, &err) < 0)
        fail_msg("cannot load '%s': %s", yaml, err.msg);
    free(file);
    return p;
}

static void describe(struct buf *got, const struct stack_build_sources *b)
{
    for (size_t i = 0; i < b->view.n_secrets; i++) {
        buf_addf(got, "%s=", b->view.secrets[i].id);
        buf_add(got, b->view.secrets[i].data, b->view.secrets[i].len);
        buf_addch(got, ';');
    }
    buf_addch(got, '|');
    for (size_t i = 0; i < b->view.n_ssh; i++)
        buf_addf(got, "%s=%s;", b->view.ssh[i].id, b->view.ssh[i].socket);
}

static void test_resolve(void **state)
{
    char *dir = test_mkdtemp();
    char *big = xmalloc((500u << 10) + 2);
    char *path = at_dir("@/agent.sock", dir);
    int fds[2];

    (void)state;
    memset(big, 'x', (500u << 10) + 1);
    big[(500u << 10) + 1] = '\0';
    test_write_file(dir, "token.txt", "file value\n");
    test_write_file(dir, "big.txt", big);
    fds[0] = test_make_socket(path);
    free(path);
    path = at_dir("@/gh.sock", dir);
    fds[1] = test_make_socket(path);
    for (size_t i = 0; i < ARRAY_SIZE(resolve_cases); i++) {
        struct compose_project *p = load_in(dir, resolve_cases[i].yaml);
        struct stack_build_sources b = STACK_BUILD_SOURCES_INIT;
        struct ds_error err = DS_ERROR_INIT;
        char *sock =
                resolve_cases[i].ssh_auth_sock ? at_dir(resolve_cases[i].ssh_auth_sock, dir) : NULL;
        char *want = at_dir(resolve_cases[i].want, dir);
        char *hint = resolve_cases[i].hint ? at_dir(resolve_cases[i].hint, dir) : NULL;
        struct buf got = BUF_INIT;
        int rc =
                stack_build_sources_resolve(&b, p, compose_find_service(p, "s"), sock, false, &err);

        if (rc == 0)
            describe(&got, &b);
        else
            buf_adds(&got, err.msg ? err.msg : "(no message)");
        if (strcmp(got.buf, want))
            fail_msg("case '%s' (rc %d)\n  got:  %s\n  want: %s", resolve_cases[i].name, rc,
                     got.buf, want);
        if (hint ? !err.hint || strcmp(err.hint, hint) : err.hint != NULL)
            fail_msg("case '%s': hint\n  got:  %s\n  want: %s", resolve_cases[i].name,
                     err.hint ? err.hint : "(none)", hint ? hint : "(none)");
        /* a failed resolution leaves nothing to release, and releasing twice is harmless */
        stack_build_sources_release(&b);
        ds_error_release(&err);
        buf_release(&got);
        free(sock);
        free(want);
        free(hint);
        compose_project_free(p);
    }
    close(fds[0]);
    close(fds[1]);
    free(path);
    free(big);
    test_rmtree(dir);
    free(dir);
}

/* The classic builder, asked for with DOCKER_BUILDKIT=0, is refused before planning goes on. */
static void test_classic_refused(void **state)
{
    char *dir = test_mkdtemp();
    struct compose_project *p;
    struct ds_error err = DS_ERROR_INIT;
    char *want;

    (void)state;
    test_write_file(dir, "token.txt", "file value\n");
    p = load_in(dir, "services:\n  s:\n    build:\n      context: .\n      secrets: [tok]\n"
                     "secrets:\n  tok: {file: ./token.txt}\n");
    assert_int_equal(stack_build_check(p, compose_find_service(p, "s"), &err), 0);
    setenv("DOCKER_BUILDKIT", "0", 1);
    assert_int_equal(stack_build_check(p, compose_find_service(p, "s"), &err), DS_EUNSUPPORTED);
    unsetenv("DOCKER_BUILDKIT");
    want = at_dir("@/compose.yaml:5:7: services.s.build.secrets: the classic builder doesn't "
                  "support secrets; BuildKit does",
                  dir);
    assert_string_equal(err.msg, want);
    assert_string_equal(err.hint, "DOCKER_BUILDKIT chose the classic builder: unset it, or set "
                                  "DOCKER_BUILDKIT=1");
    free(want);
    ds_error_release(&err);
    compose_project_free(p);
    test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_grpc_next),
            cmocka_unit_test(test_session_answer),
            cmocka_unit_test(test_resolve),
            cmocka_unit_test(test_classic_refused),
    };

    unsetenv("DOCKER_BUILDKIT");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
