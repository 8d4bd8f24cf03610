/*
 * What is wrong with a project's migration state, and the fix: the checks
 * behind `devstack doctor` and the hints of failing db commands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbcmd.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/run.h"
#include "util/banned.h"

static void add(struct db_findings *f, enum db_verdict v, const char *what, const char *fix,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct db_findings *f, enum db_verdict v, const char *what, const char *fix,
                const char *fmt, ...)
{
    struct db_finding *it;
    struct buf b = BUF_INIT;
    va_list ap;

    f->items = xgrow(f->items, &f->alloc, f->n + 1, sizeof(*f->items));
    it = &f->items[f->n++];
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    it->verdict = v;
    it->what = xstrdup(what);
    it->detail = buf_detach(&b, NULL);
    it->fix = fix ? xstrdup(fix) : NULL;
}

void db_findings_release(struct db_findings *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].what);
        free(f->items[i].detail);
        free(f->items[i].fix);
    }
    free(f->items);
    memset(f, 0, sizeof(*f));
}

/* git's answer to argv (run in dir), first line, or NULL. */
static char *git_line(const char *dir, const struct strvec *argv)
{
    struct buf out = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct run_options o = {.dir = dir, .null_stdin = true, .out = &out, .quiet = true};
    char *line = NULL, *nl;

    if (run_command(argv, &o, &err) == 0 && out.len) {
        nl = strchr(out.buf, '\n');
        line = xstrndup(out.buf, nl ? (size_t)(nl - out.buf) : out.len);
    }
    ds_error_release(&err);
    buf_release(&out);
    return line;
}

void db_find_lost_revision(const struct db_target *t, const char *rev, struct strvec *out)
{
    struct strvec argv = STRVEC_INIT;
    struct buf pick = BUF_INIT, log = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;
    char *git = run_which("git"), *top = NULL;
    char *commit = NULL, *path = NULL;

    if (!git || !t->ini_loaded)
        goto done;
    strvec_pushv(&argv, (const char *const[]){"git", "rev-parse", "--show-toplevel", NULL});
    top = git_line(t->ini.here, &argv);
    if (!top)
        goto done;

    /* the newest commit that added or removed the revision's id under a version location */
    strvec_clear(&argv);
    strvec_pushv(&argv, (const char *const[]){"git", "log", "--all", "-n", "1", "--format=%H",
                                              "--name-only", NULL});
    buf_addf(&pick, "-S%s", rev);
    strvec_push(&argv, pick.buf);
    strvec_push(&argv, "--");
    for (size_t i = 0; i < t->ini.version_locations.n; i++)
        strvec_push(&argv, t->ini.version_locations.v[i]);
    {
        struct run_options o = {.dir = top, .null_stdin = true, .out = &log, .quiet = true};
        char *save = NULL, *line;

        if (run_command(&argv, &o, &err) != 0 || !log.len)
            goto done;
        for (line = strtok_r(log.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (!commit)
                commit = xstrdup(line);
            else if (!path && strstr(line, ".py"))
                path = xstrdup(line);
        }
    }
    if (!commit || !path)
        goto done;

    /* present in that commit (another branch): take it from there; else from its parent */
    strvec_clear(&argv);
    buf_reset(&pick);
    buf_addf(&pick, "%s:%s", commit, path);
    strvec_pushv(&argv, (const char *const[]){"git", "cat-file", "-e", pick.buf, NULL});
    {
        struct run_options o = {.dir = top, .null_stdin = true, .quiet = true};
        bool present = run_command(&argv, &o, &err) == 0;

        strvec_pushf(out, "git -C %s checkout %.12s%s -- %s", top, commit, present ? "" : "^",
                     path);
    }

done:
    ds_error_release(&err);
    buf_release(&pick);
    buf_release(&log);
    strvec_clear(&argv);
    free(commit);
    free(path);
    free(top);
    free(git);
}

/*
 * Does env.py give autogenerate a target: a top-level `target_metadata = X`
 * with X not None? -1 when env.py cannot be read.
 */
static int env_metadata(const char *env_py, bool *found, bool *none)
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

bool db_env_has_metadata(const struct db_target *t)
{
    struct buf path = BUF_INIT;
    bool found, none;
    int rc;

    buf_addf(&path, "%s/env.py", t->ini.script_location);
    rc = env_metadata(path.buf, &found, &none);
    buf_release(&path);
    return rc == 0 && found && !none;
}

/* env.py that autogenerate cannot use: no target_metadata, or None. */
static void check_env_py(const struct db_target *t, struct db_findings *f)
{
    struct buf path = BUF_INIT;
    bool found, none;

    buf_addf(&path, "%s/env.py", t->ini.script_location);
    if (env_metadata(path.buf, &found, &none) < 0) {
        add(f, DBD_FAIL, "env.py", "create the migration setup with 'devstack migrate --bootstrap'",
            "cannot read '%s'", path.buf);
        goto done;
    }
    if (!found || none)
        add(f, DBD_WARN, "env.py",
            "set target_metadata = Base.metadata in env.py and import every models module "
            "there (the team's template does both)",
            "'%s' %s: autogenerate will find no tables", path.buf,
            found ? "sets target_metadata = None" : "has no target_metadata");
    else
        add(f, DBD_OK, "env.py", NULL, "'%s' sets target_metadata", path.buf);

done:
    buf_release(&path);
}

static void check_state(struct db_target *t, const struct revmap *map, struct db_findings *f)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct strvec versions = STRVEC_INIT, tables = STRVEC_INIT, heads = STRVEC_INIT;
    enum db_reason why = DB_OK;
    struct buf hl = BUF_INIT, fix = BUF_INIT;
    bool exists = false;
    size_t user_tables = 0;

    if (!t->have_url) {
        add(f, DBD_FAIL, "database",
            "set DATABASE_URL=mysql+pymysql://USER:PASSWORD@HOST:PORT/DB or sqlalchemy.url in "
            "alembic.ini",
            "%s", t->no_url ? t->no_url : "no database URL");
        goto done;
    }
    if (db_target_connect(t, &conn, 3000, &why, &err) < 0) {
        add(f, DBD_FAIL, "database", err.hint, "unreachable (%s): %s", db_reason_name(why),
            err.msg);
        goto done;
    }
    add(f, DBD_OK, "database", NULL, "'%s' reachable (URL from %s)",
        t->url.database ? t->url.database : "", t->url_source);
    if (db_alembic_versions(conn, &versions, &exists, &err) < 0 ||
        db_tables(conn, &tables, &err) < 0) {
        add(f, DBD_FAIL, "database", NULL, "%s", err.msg);
        goto done;
    }
    for (size_t i = 0; i < tables.n; i++)
        if (strcmp(tables.v[i], "alembic_version") != 0)
            user_tables++;
    if (db_resolved_heads(map, &heads, &err) < 0) {
        add(f, DBD_FAIL, "revisions", NULL, "%s", err.msg);
        goto done;
    }
    for (size_t i = 0; i < heads.n; i++)
        buf_addf(&hl, "%s%s", i ? ", " : "", heads.v[i]);

    for (size_t i = 0; i < versions.n; i++) {
        struct strvec restore = STRVEC_INIT;

        if (revmap_get(map, versions.v[i]))
            continue;
        buf_reset(&fix);
        db_find_lost_revision(t, versions.v[i], &restore);
        if (restore.n)
            buf_addf(&fix, "restore its file: %s; or ", restore.v[0]);
        if (heads.n == 1)
            buf_addf(&fix, "record the head instead: devstack db stamp --purge %s; ", heads.v[0]);
        buf_adds(&fix, "or start over: devstack reset");
        add(f, DBD_FAIL, "revision", fix.buf,
            "the database is at '%s', which no revision file has (Alembic: Can't locate "
            "revision identified by '%s'); a branch switch or a deleted file",
            versions.v[i], versions.v[i]);
        strvec_clear(&restore);
        goto done;
    }

    if (!versions.n) {
        if (user_tables && map->n) {
            buf_reset(&fix);
            buf_addf(&fix,
                     "if the tables match a revision, record it: devstack db stamp REV "
                     "(e.g. %s), then devstack db upgrade",
                     heads.n ? heads.v[0] : "head");
            add(f, DBD_FAIL, "alembic_version", fix.buf,
                "%zu table%s but %s: the schema was made outside Alembic, and upgrade would "
                "stop at 'Table ... already exists'",
                user_tables, user_tables == 1 ? "" : "s",
                exists ? "alembic_version is empty" : "no alembic_version table");
        } else if (map->n) {
            add(f, DBD_WARN, "revision", "apply them: devstack db upgrade",
                "no revision applied yet; head%s %s", heads.n > 1 ? "s" : "", hl.buf);
        } else {
            add(f, DBD_WARN, "revision",
                "generate the first one: devstack migrate --bootstrap (or devstack migrate -m "
                "MESSAGE)",
                "no revision files yet");
        }
    } else {
        if (db_at_heads(map, &versions))
            add(f, DBD_OK, "revision", NULL, "at head%s %s", heads.n > 1 ? "s" : "", hl.buf);
        else
            add(f, DBD_WARN, "revision", "apply them: devstack db upgrade",
                "the database is behind: at %s, head%s %s", versions.v[0], heads.n > 1 ? "s" : "",
                hl.buf);
    }

done:
    buf_release(&hl);
    buf_release(&fix);
    strvec_clear(&heads);
    strvec_clear(&versions);
    strvec_clear(&tables);
    db_close(conn);
    ds_error_release(&err);
}

void db_diagnose(struct db_target *t, struct db_findings *f)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;

    if (!t->ini_loaded) {
        add(f, DBD_WARN, "alembic.ini", "create it: devstack migrate --bootstrap",
            "no alembic.ini at '%s'", t->ini_path);
        goto done;
    }
    add(f, DBD_OK, "alembic.ini", NULL, "'%s' (scripts in '%s')", t->ini_path,
        t->ini.script_location);
    if (!t->ini.url && !getenv("DATABASE_URL") && !(t->project && t->info.have_url))
        add(f, DBD_WARN, "alembic.ini",
            "set sqlalchemy.url, or DATABASE_URL in the environment (env.py reads it)",
            "'%s' has no sqlalchemy.url and DATABASE_URL is not set", t->ini_path);
    check_env_py(t, f);
    if (revmap_load(&map, &t->ini, &err) < 0) {
        add(f, DBD_FAIL, "revisions", err.hint, "%s", err.msg);
        goto done;
    }
    if (map.nheads > 1) {
        struct buf hl = BUF_INIT;

        for (size_t i = 0; i < map.nheads; i++)
            buf_addf(&hl, "%s%s", i ? ", " : "", map.heads[i]->id);
        add(f, DBD_WARN, "heads", "join them: devstack db merge -m 'merge heads' heads",
            "%zu heads (%s): 'upgrade head' is ambiguous (Alembic: Multiple head revisions "
            "are present)",
            map.nheads, hl.buf);
        buf_release(&hl);
    } else {
        add(f, DBD_OK, "revisions", NULL, "%zu revision%s, one head", map.n, map.n == 1 ? "" : "s");
    }
    check_state(t, &map, f);

done:
    revmap_release(&map);
    ds_error_release(&err);
}
