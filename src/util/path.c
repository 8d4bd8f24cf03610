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
