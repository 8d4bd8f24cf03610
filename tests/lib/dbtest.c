/* See dbtest.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "lib/dbtest.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/banned.h"

int test_db_helper(const char *script, const char *log, const char *const *args)
{
    struct strvec argv = STRVEC_INIT;
    int status = -1;
    pid_t pid;

    strvec_push(&argv, "bash");
    strvec_pushf(&argv, "%s/lib/%s", test_dir(), script);
    for (; *args; args++)
        strvec_push(&argv, *args);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

        if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(126);
        execvp(argv.v[0], argv.v);
        _exit(127);
    }
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    strvec_clear(&argv);
    return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void test_db_print_log(const char *script, const char *log)
{
    struct buf text = BUF_INIT;

    if (buf_read_file(&text, log, 1 << 20) == 0)
        fprintf(stderr, "--- tests/lib/%s said:\n%s", script, text.buf);
    buf_release(&text);
}

void test_db_load_env(struct kvlist *env, const char *path)
{
    struct buf text = BUF_INIT;
    char *line, *next;

    kvlist_clear(env);
    if (buf_read_file(&text, path, 1 << 16) < 0)
        fail_msg("cannot read '%s'", path);
    for (line = text.buf; *line; line = next) {
        char *eq;

        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            kvlist_set(env, line, eq + 1);
        }
    }
    buf_release(&text);
}

void test_db_parse_url(struct db_url *url, const char *text)
{
    struct ds_error err = DS_ERROR_INIT;

    if (db_url_parse(url, text, &err) < 0)
        fail_msg("cannot parse '%s': %s", text, err.msg);
}

void test_db_url_with(struct db_url *url, const struct db_url *base, const char *password,
                      const char *database, unsigned port)
{
    struct buf b = BUF_INIT;

    db_url_render(&b, base, false);
    test_db_parse_url(url, b.buf);
    buf_release(&b);
    if (password) {
        free(url->password);
        url->password = xstrdup(password);
    }
    if (database) {
        free(url->database);
        url->database = xstrdup(database);
    }
    if (port)
        url->port = port;
}
