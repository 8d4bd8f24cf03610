/* The workspace's Alembic files on disk: where the scripts are, and moving them aside and back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "db/snapshot.h"
#include "workspace/internal.h"
#include "workspace/snapshot.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/path.h"
#include "util/banned.h"

char *workspace_scripts_dir(const struct workspace *ws)
{
    char *dir, *scripts;

    if (ws->ini_loaded && ws->ini.script_location)
        return xstrdup(ws->ini.script_location);
    dir = path_dirname(ws->ini_path);
    scripts = path_join(dir, "migrations");
    free(dir);
    return scripts;
}

char *workspace_aside_dir(const struct workspace *ws, const char *what)
{
    char *snapdir = workspace_snapshot_dir(ws), *home = path_dirname(snapdir);
    struct buf b = BUF_INIT;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    for (unsigned n = 1; n == 1 || access(b.buf, F_OK) == 0; n++) {
        buf_reset(&b);
        buf_addf(&b, "%s/%s-%s", home, what, stamp);
        if (n > 1)
            buf_addf(&b, "-%u", n);
    }
    free(snapdir);
    free(home);
    return buf_detach(&b, NULL);
}

int workspace_move_into(const char *dir, const char *const *paths, size_t n, struct ds_error *err)
{
    int rc;

    if ((rc = db_snapshot_dir_prepare(dir, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        char *to;

        if (access(paths[i], F_OK) < 0)
            continue;
        to = path_join(dir, path_basename(paths[i]));
        rc = rename(paths[i], to) < 0
                     ? ds_error_errno(err, errno, "cannot move '%s' to '%s'", paths[i], to)
                     : 0;
        free(to);
        if (rc < 0)
            return rc;
    }
    return 0;
}
