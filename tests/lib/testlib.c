#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <spawn.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "compose/compose.h"
#include "util/alloc.h"
#include "util/banned.h"

const char *test_dir(void)
{
    const char *d = getenv("TESTS_DIR");
    return d && *d ? d : "tests";
}

void test_read_fixture(struct buf *b, const char *relpath)
{
    struct buf path = BUF_INIT;
    int rc;

    buf_addf(&path, "%s/%s", test_dir(), relpath);
    rc = buf_read_file(b, path.buf, 0);
    if (rc < 0)
        fail_msg("cannot read fixture '%s': %s", path.buf, strerror(-rc));
    buf_release(&path);
}

cJSON *test_load_json(const char *relpath)
{
    struct buf b = BUF_INIT;
    cJSON *doc;

    test_read_fixture(&b, relpath);
    doc = cJSON_ParseWithLength(b.buf, b.len);
    if (!doc)
        fail_msg("fixture '%s' is not valid JSON", relpath);
    buf_release(&b);
    return doc;
}

void test_assert_json_equal(const cJSON *expected, const cJSON *actual, const char *what)
{
    if (!cJSON_Compare(expected, actual, 1)) {
        char *e = cJSON_Print(expected), *a = cJSON_Print(actual);
        print_error("%s: JSON differs\n--- expected\n%s\n--- actual\n%s\n", what, e, a);
        cJSON_free(e);
        cJSON_free(a);
        fail();
    }
}

char *test_mkdtemp(void)
{
    const char *tmp = getenv("TMPDIR");
    struct buf b = BUF_INIT;

    buf_addf(&b, "%s/devstack-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(b.buf))
        fail_msg("mkdtemp: %s", strerror(errno));
    return buf_detach(&b, NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void test_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void test_write_file(const char *dir, const char *relpath, const char *content)
{
    struct buf path = BUF_INIT;
    FILE *f;

    buf_addf(&path, "%s/%s", dir, relpath);
    for (char *p = path.buf + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path.buf, 0755);
        *p = '/';
    }
    f = fopen(path.buf, "w");
    if (!f)
        fail_msg("cannot write '%s': %s", path.buf, strerror(errno));
    fputs(content, f);
    fclose(f);
    buf_release(&path);
}

int test_make_socket(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct buf dir = BUF_INIT;
    int fd;

    buf_adds(&dir, path);
    for (char *p = dir.buf + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(dir.buf, 0755);
        *p = '/';
    }
    buf_release(&dir);
    if (strlen(path) >= sizeof(sa.sun_path))
        fail_msg("socket path too long: %s", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
        fail_msg("cannot make socket '%s': %s", path, strerror(errno));
    return fd;
}

const char *test_run_id(void)
{
    static char id[32];

    if (!id[0])
        snprintf(id, sizeof(id), "%ld", (long)getpid());
    return id;
}

void test_tar_dir(const char *dir, const char *out_path)
{
    char *argv[] = {"tar", "-C", (char *)dir, "-cf", (char *)out_path, ".", NULL};
    extern char **environ;
    pid_t pid;
    int status;

    if (posix_spawnp(&pid, "tar", NULL, NULL, argv, environ) != 0)
        fail_msg("cannot run tar");
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("tar of '%s' failed", dir);
}

ssize_t test_file_read(char *buf, size_t size, void *file)
{
    size_t n = fread(buf, 1, size, file);
    return ferror((FILE *)file) ? -1 : (ssize_t)n;
}

struct compose_project *test_load_compose(const char *yaml)
{
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;

    if (compose_load_text(&p, yaml, strlen(yaml), "/p/compose.yaml", &o, &err) < 0)
        fail_msg("cannot load the test project: %s", err.msg);
    return p;
}
