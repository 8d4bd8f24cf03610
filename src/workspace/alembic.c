/* Running Alembic: here, or (on the host of a compose project) in the app service's container. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workspace/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/path.h"
#include "util/run.h"
#include "util/banned.h"

const char *workspace_alembic_service(const struct workspace *ws)
{
    const struct workspace_services *svc = &ws->services;
    char *dir;
    bool inside;

    if (!ws->project || ws->inside_app || ws->force_local || !svc->app || !svc->app_dir)
        return NULL;
    dir = path_dirname(ws->ini_path);
    inside = !strcmp(dir, svc->app_dir);
    free(dir);
    return inside ? svc->app->name : NULL;
}

void workspace_app_command(int argc, char **argv, struct strvec *cmd, struct strvec *env)
{
    strvec_push(cmd, "devstack");
    for (int i = 0; i < argc; i++)
        strvec_push(cmd, argv[i]);
    /* the devstack in there runs Alembic itself instead of coming back here */
    strvec_push(env, "DEVSTACK_DEVCONTAINER=1");
}

/*
 * Alembic's command: DEVSTACK_ALEMBIC, else `alembic` on PATH, else the first
 * python3 that can import it (`python3 -m alembic`).
 */
static int alembic_command(struct strvec *out, struct ds_error *err)
{
    static const char *const pythons[] = {"python3", "/usr/bin/python3"};
    const char *env = getenv("DEVSTACK_ALEMBIC");
    char *path;

    if (env && *env) {
        strvec_push(out, env);
        return 0;
    }
    if ((path = run_which("alembic"))) {
        strvec_push_nodup(out, path);
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(pythons); i++) {
        struct strvec probe = STRVEC_INIT;
        struct run_options o = {.null_stdin = true, .quiet = true};
        struct ds_error perr = DS_ERROR_INIT;
        int rc;

        strvec_pushv(&probe, (const char *const[]){pythons[i], "-c", "import alembic", NULL});
        rc = run_command(&probe, &o, &perr);
        strvec_clear(&probe);
        ds_error_release(&perr);
        if (rc == 0) {
            strvec_pushv(out, (const char *const[]){pythons[i], "-m", "alembic", NULL});
            return 0;
        }
    }
    ds_error_set(err, DS_ENOTFOUND,
                 "cannot find Alembic: no 'alembic' on PATH and no python3 that imports it");
    ds_error_hint(err, "install it (Debian: apt-get install python3-alembic; pip install "
                       "alembic), or run this in the dev container");
    return DS_ENOTFOUND;
}

int workspace_alembic(const struct workspace *ws, const struct strvec *args, struct buf *out,
                      struct buf *errout, struct ds_error *err)
{
    struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
    struct buf url = BUF_INIT;
    char *dir = path_dirname(ws->ini_path);
    struct run_options o = {.dir = dir, .env = &env, .out = out, .errout = errout};
    int rc;

    if ((rc = alembic_command(&argv, err)) < 0)
        goto done;
    strvec_push(&argv, "-c");
    strvec_push(&argv, ws->ini_path);
    for (size_t i = 0; i < args->n; i++)
        strvec_push(&argv, args->v[i]);
    /* the team's env.py takes the URL from DATABASE_URL; the password stays off argv */
    if (ws->url.source != WORKSPACE_URL_NONE) {
        db_url_render(&url, &ws->url.url, false);
        strvec_pushf(&env, "DATABASE_URL=%s", url.buf);
    }
    rc = run_command(&argv, &o, err);

done:
    strvec_clear(&argv);
    strvec_clear(&env);
    buf_release(&url);
    free(dir);
    return rc;
}

int workspace_heads(const struct revmap *map, struct strvec *ids, struct ds_error *err)
{
    struct revision **revs = NULL;
    size_t n = 0;
    int rc = revmap_resolve(map, "heads", NULL, &revs, &n, err);

    for (size_t i = 0; rc == 0 && i < n; i++)
        strvec_push(ids, revs[i]->id);
    free(revs);
    return rc;
}

bool workspace_at_heads(const struct revmap *map, const struct strvec *versions)
{
    struct strvec heads = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;
    bool at = workspace_heads(map, &heads, &err) == 0 && versions->n == heads.n;

    for (size_t i = 0; at && i < versions->n; i++)
        at = strvec_contains(&heads, versions->v[i]);
    strvec_clear(&heads);
    ds_error_release(&err);
    return at;
}

int workspace_env_metadata(const char *env_py, bool *found, bool *none)
{
    struct buf text = BUF_INIT;
    const char *p;

    *found = *none = false;
    if (buf_read_file(&text, env_py, 1u << 20) < 0) {
        buf_release(&text);
        return -1;
    }
    for (p = text.buf; (p = strstr(p, "target_metadata")); p++) {
        const char *q = p + strlen("target_metadata");
        bool line_start = p == text.buf || p[-1] == '\n';

        while (*q == ' ' || *q == '\t')
            q++;
        if (!line_start || *q != '=' || q[1] == '=')
            continue;
        *found = true;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        *none = !strncmp(q, "None", 4);
    }
    buf_release(&text);
    return 0;
}

int workspace_version_table(const struct workspace *ws, struct alembic_version_table *vt,
                            struct ds_error *err)
{
    struct buf path = BUF_INIT, text = BUF_INIT;
    int rc = 0;

    memset(vt, 0, sizeof(*vt));
    if (ws->ini_loaded) {
        buf_addf(&path, "%s/env.py", ws->ini.script_location);
        rc = buf_read_file(&text, path.buf, 1u << 20);
        if (rc == -ENOENT)
            rc = 0; /* no env.py: Alembic's defaults */
        else if (rc < 0)
            rc = ds_error_set(err, DS_EIO, "cannot read '%s': %s", path.buf, strerror(-rc));
        else
            rc = alembic_env_version_table(vt, path.buf, text.buf, text.len, err);
    }
    if (rc == 0 && !vt->name)
        vt->name = xstrdup("alembic_version");
    buf_release(&path);
    buf_release(&text);
    return rc;
}

int workspace_alembic_versions(const struct workspace *ws, struct db_conn *conn,
                               struct strvec *versions, bool *table_exists, struct ds_error *err)
{
    struct alembic_version_table vt;
    int rc = workspace_version_table(ws, &vt, err);

    if (rc == 0)
        rc = db_alembic_versions_at(conn, vt.name, vt.schema, versions, table_exists, err);
    alembic_version_table_release(&vt);
    return rc;
}

bool workspace_env_has_metadata(const struct workspace *ws)
{
    struct buf path = BUF_INIT;
    bool found, none;
    int rc;

    if (!ws->ini_loaded)
        return false;
    buf_addf(&path, "%s/env.py", ws->ini.script_location);
    rc = workspace_env_metadata(path.buf, &found, &none);
    buf_release(&path);
    return rc == 0 && found && !none;
}
