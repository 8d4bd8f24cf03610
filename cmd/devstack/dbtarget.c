/* Where the Alembic project and its database are, and how to run Alembic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/compose.h"
#include "dbcmd.h"
#include "devstack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/run.h"
#include "util/strutil.h"
#include "util/path.h"
#include "util/banned.h"

/* How long a db command waits for a connection before saying why not. */
#define DB_CONNECT_TIMEOUT_MS 5000

static bool env_true(const char *name)
{
    const char *v = getenv(name);

    return v && *v && strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void url_copy(struct db_url *dst, const struct db_url *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->scheme = dup_or_null(src->scheme);
    dst->user = dup_or_null(src->user);
    dst->password = dup_or_null(src->password);
    dst->host = dup_or_null(src->host);
    dst->port = src->port;
    dst->port_given = src->port_given;
    dst->database = dup_or_null(src->database);
    dst->unix_socket = dup_or_null(src->unix_socket);
    kvlist_copy(&dst->query, &src->query);
}

static int load_compose(struct db_target *t, struct ds_error *err)
{
    struct ds_error cerr = DS_ERROR_INIT;
    int rc = cmd_load_project(&t->project, false, NULL, &cerr);

    if (rc == DS_ENOTFOUND && !ds.files.n) {
        /* no compose file: a plain Alembic project */
        compose_project_free(t->project);
        t->project = NULL;
        ds_error_release(&cerr);
        return 0;
    }
    if (rc < 0) {
        compose_project_free(t->project);
        t->project = NULL;
        *err = cerr;
        return rc;
    }
    stack_db_info(&t->info, t->project);
    return 0;
}

static int find_url(struct db_target *t, struct ds_error *err)
{
    const char *env = getenv("DATABASE_URL");
    struct buf why = BUF_INIT;

    if (env && *env) {
        if (db_url_parse(&t->url, env, err) < 0)
            return ds_error_wrap(err, "DATABASE_URL");
        t->have_url = true;
        t->url_source = xstrdup("DATABASE_URL");
        return 0;
    }
    if (t->project && t->info.have_url) {
        url_copy(&t->url, &t->info.url);
        t->have_url = true;
        t->url_source = xstrdup(t->info.db->name);
        return 0;
    }
    if (t->ini_loaded && t->ini.url) {
        if (db_url_parse(&t->url, t->ini.url, err) < 0)
            return ds_error_wrap(err, "%s:%u: sqlalchemy.url", t->ini.path, t->ini.url_line);
        t->have_url = true;
        t->url_source = xstrdup(t->ini.path);
        return 0;
    }

    buf_adds(&why, "no database URL: DATABASE_URL is not set");
    if (t->project && t->info.no_url)
        buf_addf(&why, ", %s", t->info.no_url);
    else if (t->project && !t->info.db)
        buf_adds(&why, ", the compose project has no MySQL or MariaDB service");
    if (t->ini_loaded)
        buf_addf(&why, " and '%s' has no sqlalchemy.url", t->ini_path);
    t->no_url = buf_detach(&why, NULL);
    return 0;
}

int db_target_open(struct db_target *t, const char *config, const char *section, unsigned flags,
                   struct ds_error *err)
{
    const char *env_config = getenv("ALEMBIC_CONFIG");
    int rc;

    memset(t, 0, sizeof(*t));
    t->in_devcontainer = env_true("DEVSTACK_DEVCONTAINER");

    if (config)
        t->ini_path = path_absolute(config);
    else if (env_config && *env_config)
        t->ini_path = path_absolute(env_config);
    else if (path_is_file("alembic.ini"))
        t->ini_path = path_absolute("alembic.ini");

    /* inside the dev container we are the app: the compose file is not ours to read */
    if (!t->in_devcontainer && (rc = load_compose(t, err)) < 0)
        return rc;
    if (!t->ini_path && t->project && t->info.app_dir) {
        struct buf b = BUF_INIT;

        buf_addf(&b, "%s/alembic.ini", t->info.app_dir);
        t->ini_path = buf_detach(&b, NULL);
    }
    if (!t->ini_path)
        t->ini_path = path_absolute("alembic.ini");
    t->ini_exists = path_is_file(t->ini_path);

    if (t->ini_exists) {
        if ((rc = alembic_ini_load(&t->ini, t->ini_path, section, err)) < 0)
            return rc;
        t->ini_loaded = true;
    } else if (flags & DBT_NEED_INI) {
        ds_error_set(err, DS_ENOTFOUND, "no alembic.ini at '%s'", t->ini_path);
        ds_error_hint(err, "create the migration setup with 'devstack migrate --bootstrap', "
                           "or name the file with -c FILE");
        return DS_ENOTFOUND;
    }

    if ((rc = find_url(t, err)) < 0)
        return rc;
    if ((flags & DBT_NEED_URL) && !t->have_url) {
        ds_error_set(err, DS_EINVAL, "%s", t->no_url);
        ds_error_hint(err, "set DATABASE_URL=mysql+pymysql://USER:PASSWORD@HOST:PORT/DB, "
                           "or sqlalchemy.url in alembic.ini");
        return DS_EINVAL;
    }
    return 0;
}

void db_target_release(struct db_target *t)
{
    if (t->project) {
        stack_db_info_release(&t->info);
        compose_project_free(t->project);
    }
    free(t->ini_path);
    if (t->ini_loaded)
        alembic_ini_release(&t->ini);
    db_url_release(&t->url);
    free(t->url_source);
    free(t->no_url);
    memset(t, 0, sizeof(*t));
}

int db_target_connect(struct db_target *t, struct db_conn **out, unsigned timeout_ms,
                      enum db_reason *why, struct ds_error *err)
{
    int rc;

    if (!t->have_url) {
        ds_error_set(err, DS_EINVAL, "%s", t->no_url ? t->no_url : "no database URL");
        ds_error_hint(err, "set DATABASE_URL=mysql+pymysql://USER:PASSWORD@HOST:PORT/DB");
        return DS_EINVAL;
    }
    rc = db_connect(out, &t->url, timeout_ms ? timeout_ms : DB_CONNECT_TIMEOUT_MS, why, err);
    if (rc < 0 && !err->hint) {
        if (t->project && t->info.db && !t->in_devcontainer &&
            !strcmp(t->url_source, t->info.db->name))
            ds_error_hint(err, "is the stack up? 'devstack up' starts service '%s'",
                          t->info.db->name);
        else
            ds_error_hint(err, "check the URL from %s and that the server runs", t->url_source);
    }
    return rc;
}

int db_target_revmap(struct db_target *t, struct revmap *map, struct ds_error *err)
{
    if (!t->ini_loaded) {
        ds_error_set(err, DS_ENOTFOUND, "no alembic.ini at '%s'", t->ini_path);
        ds_error_hint(err, "create the migration setup with 'devstack migrate --bootstrap'");
        return DS_ENOTFOUND;
    }
    return revmap_load(map, &t->ini, err);
}

int db_current_versions(struct db_target *t, struct strvec *versions, bool *table_exists,
                        struct ds_error *err)
{
    struct db_conn *conn = NULL;
    int rc = db_target_connect(t, &conn, 0, NULL, err);

    if (rc < 0)
        return rc;
    rc = db_alembic_versions(conn, versions, table_exists, err);
    db_close(conn);
    return rc;
}

bool db_target_remote(const struct db_target *t, const char **service)
{
    char *dir;
    bool inside;

    if (!t->project || t->in_devcontainer || !t->info.app || !t->info.app_dir ||
        env_true("DEVSTACK_LOCAL"))
        return false;
    dir = path_dirname(t->ini_path);
    inside = !strcmp(dir, t->info.app_dir);
    free(dir);
    if (inside && service)
        *service = t->info.app->name;
    return inside;
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

        strvec_push(&probe, pythons[i]);
        strvec_push(&probe, "-c");
        strvec_push(&probe, "import alembic");
        rc = run_command(&probe, &o, &perr);
        strvec_clear(&probe);
        ds_error_release(&perr);
        if (rc == 0) {
            strvec_push(out, pythons[i]);
            strvec_push(out, "-m");
            strvec_push(out, "alembic");
            return 0;
        }
    }
    ds_error_set(err, DS_ENOTFOUND,
                 "cannot find Alembic: no 'alembic' on PATH and no python3 "
                 "that imports it");
    ds_error_hint(err, "install it (Debian: apt-get install python3-alembic; pip install "
                       "alembic), or run this in the dev container");
    return DS_ENOTFOUND;
}

int db_run_alembic(const struct db_target *t, const struct strvec *args, struct buf *out,
                   struct buf *errout, struct ds_error *err)
{
    struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
    struct buf url = BUF_INIT;
    char *dir = path_dirname(t->ini_path);
    struct run_options o = {.dir = dir, .env = &env, .out = out, .errout = errout};
    int rc;

    if ((rc = alembic_command(&argv, err)) < 0)
        goto done;
    strvec_push(&argv, "-c");
    strvec_push(&argv, t->ini_path);
    for (size_t i = 0; i < args->n; i++)
        strvec_push(&argv, args->v[i]);
    /* the team's env.py takes the URL from DATABASE_URL; the password stays off argv */
    if (t->have_url) {
        db_url_render(&url, &t->url, false);
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

int db_exec_remote(const struct db_target *t, const char *service, int argc, char **argv)
{
    struct strvec cmd = STRVEC_INIT, env = STRVEC_INIT;
    int status;

    (void)t;
    strvec_push(&cmd, "devstack");
    for (int i = 0; i < argc; i++)
        strvec_push(&cmd, argv[i]);
    /* the devstack in there runs Alembic itself instead of coming back here */
    strvec_push(&env, "DEVSTACK_DEVCONTAINER=1");
    status = cmd_exec_service(service, &cmd, &env);
    strvec_clear(&cmd);
    strvec_clear(&env);
    return status;
}

int db_resolved_heads(const struct revmap *map, struct strvec *ids, struct ds_error *err)
{
    struct revision **revs = NULL;
    size_t n = 0;
    int rc = revmap_resolve(map, "heads", NULL, &revs, &n, err);

    for (size_t i = 0; rc == 0 && i < n; i++)
        strvec_push(ids, revs[i]->id);
    free(revs);
    return rc;
}

bool db_at_heads(const struct revmap *map, const struct strvec *versions)
{
    struct strvec heads = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;
    bool at = db_resolved_heads(map, &heads, &err) == 0 && versions->n == heads.n;

    for (size_t i = 0; at && i < versions->n; i++)
        at = strvec_contains(&heads, versions->v[i]);
    strvec_clear(&heads);
    ds_error_release(&err);
    return at;
}
