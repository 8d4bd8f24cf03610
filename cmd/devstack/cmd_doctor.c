/* devstack doctor: check what devstack depends on and say how to fix what is wrong. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>

#include "dbcmd.h"
#include "devstack.h"
#include "util/buf.h"
#include "util/size.h"
#include "util/term.h"
#include "util/banned.h"

/* Less free space than this in the engine's data root is trouble for image builds. */
#define DISK_LOW_BYTES (5ULL << 30)

enum verdict { CHECK_OK, CHECK_WARN, CHECK_FAIL };

struct report {
    bool color;
    int failed, warned;
};

static void check(struct report *r, enum verdict v, const char *what, const char *hint,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void check(struct report *r, enum verdict v, const char *what, const char *hint,
                  const char *fmt, ...)
{
    static const char *const words[] = {"ok", "warn", "FAIL"};
    static const char *const colors[] = {TERM_GREEN, TERM_YELLOW, TERM_RED};
    struct buf detail = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vaddf(&detail, fmt, ap);
    va_end(ap);
    printf("  %s%-4s%s  %-16s %s\n", r->color ? colors[v] : "", words[v],
           r->color ? TERM_RESET : "", what, detail.buf);
    if (hint && v != CHECK_OK)
        printf("        %-16s fix: %s\n", "", hint);
    if (v == CHECK_FAIL)
        r->failed++;
    if (v == CHECK_WARN)
        r->warned++;
    buf_release(&detail);
}

/* Docker reports Go's architecture names; uname reports the kernel's. */
static bool same_arch(const char *engine, const char *machine)
{
    static const char *const pairs[][2] = {
            {"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"}, {"i686", "386"}};

    if (!strcmp(engine, machine))
        return true;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        if ((!strcmp(engine, pairs[i][0]) || !strcmp(engine, pairs[i][1])) &&
            (!strcmp(machine, pairs[i][0]) || !strcmp(machine, pairs[i][1])))
            return true;
    return false;
}

static void check_engine(struct report *r)
{
    struct ds_error err = DS_ERROR_INIT;
    struct engine_info info = {0};
    const struct engine_endpoint *ep;
    char api[16], server_api[16];
    struct utsname uts;

    if (cmd_connect_engine(&err) < 0) {
        check(r, CHECK_FAIL, "engine", err.hint, "%s", err.msg);
        ds_error_release(&err);
        return;
    }
    ep = engine_get_endpoint(ds.engine);
    check(r, CHECK_OK, "engine", NULL, "reachable at %s (%s)", ep->host ? ep->host : ep->base_url,
          ep->source);

    engine_api_version_format(engine_api_version(ds.engine), api, sizeof(api));
    engine_api_version_format(engine_server_api_version(ds.engine), server_api, sizeof(server_api));
    check(r, CHECK_OK, "API version", NULL, "%s (the engine offers %s)", api, server_api);

    if (engine_info(ds.engine, &info, &err) < 0) {
        check(r, CHECK_FAIL, "engine info", err.hint, "%s", err.msg);
        ds_error_release(&err);
        return;
    }
    if (!info.storage_driver)
        check(r, CHECK_WARN, "storage driver", NULL, "not reported by the engine");
    else if (!strcmp(info.storage_driver, "vfs"))
        check(r, CHECK_WARN, "storage driver",
              "run the engine on a filesystem that supports overlay (ext4, xfs)",
              "vfs: every layer is a full copy, slow and disk-hungry");
    else
        check(r, CHECK_OK, "storage driver", NULL, "%s", info.storage_driver);

    if (info.docker_root_dir) {
        struct statvfs st;

        if (statvfs(info.docker_root_dir, &st) == 0) {
            unsigned long long avail = (unsigned long long)st.f_bavail * st.f_frsize;
            unsigned long long total = (unsigned long long)st.f_blocks * st.f_frsize;
            struct buf a = BUF_INIT, t = BUF_INIT;

            size_format(&a, avail, SIZE_BINARY);
            size_format(&t, total, SIZE_BINARY);
            check(r, avail < DISK_LOW_BYTES ? CHECK_WARN : CHECK_OK, "free disk",
                  "free space: 'devstack clear' removes this project's containers and images",
                  "%s free of %s in %s", a.buf, t.buf, info.docker_root_dir);
            buf_release(&a);
            buf_release(&t);
        } else {
            check(r, CHECK_WARN, "free disk", NULL,
                  "cannot look at %s from here (a remote or rootless engine)",
                  info.docker_root_dir);
        }
    }

    if (uname(&uts) == 0 && info.architecture && !same_arch(info.architecture, uts.machine))
        check(r, CHECK_WARN, "architecture", "use images built for the engine's architecture",
              "engine %s, this machine %s", info.architecture, uts.machine);
    else
        check(r, CHECK_OK, "architecture", NULL, "%s", info.architecture ? info.architecture : "?");
    engine_info_release(&info);
}

/* The migration state, when there is an Alembic project or a database to look at. */
static void check_database(struct report *r)
{
    static const enum verdict verdicts[] = {
            [DBD_OK] = CHECK_OK, [DBD_WARN] = CHECK_WARN, [DBD_FAIL] = CHECK_FAIL};
    struct ds_error err = DS_ERROR_INIT;
    struct db_findings f = {0};
    struct db_target t;

    if (db_target_open(&t, NULL, NULL, 0, &err) < 0) {
        printf("\nDatabase\n");
        check(r, CHECK_FAIL, "project", err.hint, "%s", err.msg);
        goto done;
    }
    /* nothing to say about a directory that has neither */
    if (!t.ini_exists && !t.have_url && !(t.project && t.info.db))
        goto done;
    printf("\nDatabase\n");
    db_diagnose(&t, &f);
    for (size_t i = 0; i < f.n; i++)
        check(r, verdicts[f.items[i].verdict], f.items[i].what, f.items[i].fix, "%s",
              f.items[i].detail);

done:
    db_findings_release(&f);
    db_target_release(&t);
    ds_error_release(&err);
}

int cmd_doctor(int argc, char **argv)
{
    static const struct opt_spec opts[] = {{0}};
    struct report r = {.color = term_use_color(stdout)};
    int status;

    if (!cmd_parse("doctor", opts, argc, argv, 0, NULL, &status))
        return status;
    printf("Engine\n");
    check_engine(&r);
    check_database(&r);
    printf("\n%d problem%s, %d warning%s\n", r.failed, r.failed == 1 ? "" : "s", r.warned,
           r.warned == 1 ? "" : "s");
    return r.failed ? EXIT_ERROR : EXIT_OK;
}
