/* What doctor says about the engine and the machine, from what it found: one table. */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "workspace/diagnose.h"
#include "util/banned.h"

static void test_engine_findings(void **state)
{
    static const struct ds_error refused = {DS_EUNREACHABLE, (char *)"no engine at unix:///x.sock",
                                            (char *)"start one: make setup"};
    static const struct ds_error info_failed = {DS_EENGINE, (char *)"info: 500", NULL};
    static const struct {
        const char *what;
        const struct ds_error *unreachable, *info_failed;
        const char *driver, *root, *arch, *machine;
        bool disk_known;
        uint64_t free, total;
        bool remote; /* over ssh, else the unix socket */
        /* each finding as "verdict what: detail", joined with " | " */
        const char *want;
    } cases[] = {
            {"all well", NULL, NULL, "overlay2", "/var/lib/docker", "x86_64", "x86_64", true,
             80ULL << 30, 252ULL << 30, false,
             "ok engine: reachable at unix:///var/run/docker.sock (DOCKER_HOST) | "
             "ok engine location: this machine, unix socket | "
             "ok API version: "
             "1.41 (the engine offers 1.45) | ok storage driver: overlay2 | ok free disk: 80.0 GiB "
             "free of 252.0 GiB in /var/lib/docker | ok architecture: x86_64"},
            {"not reachable: one failure with the fix", &refused, NULL, NULL, NULL, NULL, NULL,
             false, 0, 0, false, "FAIL engine: no engine at unix:///x.sock"},
            {"info fails", NULL, &info_failed, NULL, NULL, NULL, NULL, false, 0, 0, false,
             "ok engine: reachable at unix:///var/run/docker.sock (DOCKER_HOST) | "
             "ok engine location: this machine, unix socket | "
             "ok API version: "
             "1.41 (the engine offers 1.45) | FAIL engine info: info: 500"},
            {"vfs, low disk, Go's names for the same architecture", NULL, NULL, "vfs",
             "/var/lib/docker", "amd64", "x86_64", true, 1ULL << 30, 20ULL << 30, false,
             "ok engine: reachable at unix:///var/run/docker.sock (DOCKER_HOST) | "
             "ok engine location: this machine, unix socket | "
             "ok API version: "
             "1.41 (the engine offers 1.45) | warn storage driver: vfs: every layer is a full "
             "copy, slow and disk-hungry | warn free disk: 1.0 GiB free of 20.0 GiB in "
             "/var/lib/docker | ok architecture: amd64"},
            {"a remote engine's disk, another architecture, no driver", NULL, NULL, NULL,
             "/var/lib/docker", "arm64", "x86_64", false, 0, 0, true,
             "ok engine: reachable at unix:///var/run/docker.sock (DOCKER_HOST) | "
             "ok engine location: remote, ssh: ssh -o ConnectTimeout=30 -T -- h docker system "
             "dial-stdio | "
             "ok API version: "
             "1.41 (the engine offers 1.45) | warn storage driver: not reported by the engine | "
             "warn free disk: cannot look at /var/lib/docker from here (a remote or rootless "
             "engine) | warn architecture: engine arm64, this machine x86_64"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        static const char *const words[] = {"ok", "warn", "FAIL"};
        struct stack_engine_facts f = {.endpoint = "unix:///var/run/docker.sock",
                                       .source = "DOCKER_HOST",
                                       .api = "1.41",
                                       .server_api = "1.45",
                                       .have_info = !cases[i].info_failed,
                                       .transport = cases[i].remote ? "ssh" : "unix socket",
                                       .remote = cases[i].remote,
                                       .ssh_command = cases[i].remote
                                                              ? "ssh -o ConnectTimeout=30 -T -- h "
                                                                "docker system dial-stdio"
                                                              : NULL};
        struct workspace_engine_state s = {.unreachable = cases[i].unreachable,
                                           .facts = cases[i].unreachable ? NULL : &f,
                                           .info_failed = cases[i].info_failed,
                                           .machine = cases[i].machine,
                                           .disk_known = cases[i].disk_known,
                                           .disk_free = cases[i].free,
                                           .disk_total = cases[i].total};
        struct workspace_findings out = {0};
        struct buf got = BUF_INIT;

        f.info.storage_driver = (char *)cases[i].driver;
        f.info.docker_root_dir = (char *)cases[i].root;
        f.info.architecture = (char *)cases[i].arch;
        workspace_engine_findings(&s, &out);
        for (size_t k = 0; k < out.n; k++)
            buf_addf(&got, "%s%s %s: %s", k ? " | " : "", words[out.items[k].verdict],
                     out.items[k].what, out.items[k].detail);
        if (strcmp(got.buf, cases[i].want))
            fail_msg("%s:\n got  %s\n want %s", cases[i].what, got.buf, cases[i].want);
        /* every problem comes with its fix where one is known */
        for (size_t k = 0; k < out.n; k++)
            if (out.items[k].verdict != WORKSPACE_OK && !strcmp(out.items[k].what, "engine") &&
                (!out.items[k].fix || strcmp(out.items[k].fix, "start one: make setup")))
                fail_msg("%s: the engine's failure lacks its fix", cases[i].what);
        buf_release(&got);
        workspace_findings_release(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_engine_findings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
