/* Helpers shared by the cmocka tests. Include after <cmocka.h>'s prerequisites. */
#ifndef DEVSTACK_TESTLIB_H
#define DEVSTACK_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "util/buf.h"

/* The repository's tests/ directory (from the TESTS_DIR env var, else "tests"). */
const char *test_dir(void);

struct compose_project;
/* `yaml` loaded as /p/compose.yaml with an empty environment; the test fails if it does not load.
 */
struct compose_project *test_load_compose(const char *yaml);
/* Read tests/<relpath> into b; fails the test if it cannot. */
void test_read_fixture(struct buf *b, const char *relpath);
/* Parse tests/<relpath> as JSON; fails the test if it cannot. Caller frees. */
cJSON *test_load_json(const char *relpath);
/* Assert that two JSON documents are equal, printing both when not. */
void test_assert_json_equal(const cJSON *expected, const cJSON *actual, const char *what);
/* A fresh directory under $TMPDIR; test_rmtree() removes it. Caller frees the path. */
char *test_mkdtemp(void);
void test_rmtree(const char *path);
/* Write a file (creating parent directories). */
void test_write_file(const char *dir, const char *relpath, const char *content);
/* Create a listening unix socket at path (so stat() sees S_ISSOCK); returns its fd. */
int test_make_socket(const char *path);

/* Write a tar of dir's contents to out_path with the system's tar. */
void test_tar_dir(const char *dir, const char *out_path);
/* An engine_read_fn over a FILE *. */
ssize_t test_file_read(char *buf, size_t size, void *file);

/* A value that differs per run, for names of engine objects. */
const char *test_run_id(void);

#endif
