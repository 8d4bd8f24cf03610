/* File-system paths: joining, splitting, and what is at one. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/path.h"
#include "util/banned.h"

char *path_join(const char *dir, const char *name)
{
    struct buf b = BUF_INIT;
    size_t n = strlen(dir);

    if (name[0] == '/' || !n)
        return xstrdup(name);
    buf_addf(&b, "%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
    return buf_detach(&b, NULL);
}

char *path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

const char *path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

char *path_absolute(const char *path)
{
    char *cwd, *out;

    if (path[0] == '/' || !(cwd = getcwd(NULL, 0)))
        return xstrdup(path);
    out = path_join(cwd, path);
    free(cwd);
    return out;
}

bool path_is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool path_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *path_normalize(const char *path)
{
    struct buf b = BUF_INIT;
    const char *p = path;

    buf_addch(&b, '/');
    while (*p) {
        const char *end;
        size_t n;

        while (*p == '/')
            p++;
        end = strchrnul(p, '/');
        n = (size_t)(end - p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            char *slash = strrchr(b.buf, '/');

            b.len = slash && slash > b.buf ? (size_t)(slash - b.buf) : 1;
            b.buf[b.len] = '\0';
        } else {
            if (b.buf[b.len - 1] != '/')
                buf_addch(&b, '/');
            buf_add(&b, p, n);
        }
        p = end;
    }
    return buf_detach(&b, NULL);
}

char *path_resolve(const char *path)
{
    char *abs = path_absolute(path), *real = realpath(abs, NULL), *out;

    if (real) {
        free(abs);
        out = xstrdup(real);
        free(real);
        return out;
    }
    out = path_normalize(abs);
    free(abs);
    return out;
}

bool path_within(const char *path, const char *root, bool strictly)
{
    size_t n = strlen(root);

    while (n > 1 && root[n - 1] == '/')
        n--;
    if (strncmp(path, root, n))
        return false;
    if (path[n] == '\0')
        return !strictly;
    return path[n] == '/' || (n == 1 && root[0] == '/' && path[1] != '\0');
}
