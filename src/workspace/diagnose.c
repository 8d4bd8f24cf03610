/*
 * What is wrong, and the fix: the engine and the machine, then the migration
 * state (alembic.ini, env.py, the revision graph, the database).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>

#include "db/dump.h"
#include "workspace/diagnose.h"
#include "workspace/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/run.h"
#include "util/size.h"
#include "util/banned.h"

#define add workspace_findings_add

void workspace_findings_add(struct workspace_findings *f, enum workspace_verdict v,
                            const char *what, const char *fix, const char *fmt, ...)
{
    struct workspace_finding *it;
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

void workspace_findings_release(struct workspace_findings *f)
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

void workspace_find_lost_revision(const struct workspace *ws, const char *rev, struct strvec *out)
{
    struct strvec argv = STRVEC_INIT;
    struct buf pick = BUF_INIT, log = BUF_INIT;
    struct ds_error err = DS_ERROR_INIT;
    char *git = run_which("git"), *top = NULL;
    char *commit = NULL, *path = NULL;

    if (!git || !ws->ini_loaded)
        goto done;
    strvec_pushv(&argv, (const char *const[]){"git", "rev-parse", "--show-toplevel", NULL});
    top = git_line(ws->ini.here, &argv);
    if (!top)
        goto done;

    /* the newest commit that added or removed the revision's id under a version location */
    strvec_clear(&argv);
    strvec_pushv(&argv, (const char *const[]){"git", "log", "--all", "-n", "1", "--format=%H",
                                              "--name-only", NULL});
    buf_addf(&pick, "-S%s", rev);
    strvec_push(&argv, pick.buf);
    strvec_push(&argv, "--");
    for (size_t i = 0; i < ws->ini.version_locations.n; i++)
        strvec_push(&argv, ws->ini.version_locations.v[i]);
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

/* env.py that autogenerate cannot use: no target_metadata, or None. */
static void check_env_py(const struct workspace *ws, struct workspace_findings *f)
{
    struct buf path = BUF_INIT;
    bool found, none;

    buf_addf(&path, "%s/env.py", ws->ini.script_location);
    if (workspace_env_metadata(path.buf, &found, &none) < 0) {
        add(f, WORKSPACE_FAIL, "env.py",
            "create the migration setup with 'devstack migrate --bootstrap'", "cannot read '%s'",
            path.buf);
        goto done;
    }
    if (!found || none)
        add(f, WORKSPACE_WARN, "env.py",
            "set target_metadata = Base.metadata in env.py and import every models module "
            "there (the team's template does both)",
            "'%s' %s: autogenerate will find no tables", path.buf,
            found ? "sets target_metadata = None" : "has no target_metadata");
    else
        add(f, WORKSPACE_OK, "env.py", NULL, "'%s' sets target_metadata", path.buf);

done:
    buf_release(&path);
}

/* Databases a killed restore left beside the app's (PostgreSQL): never dropped for the user. */
static void check_leftovers(const struct workspace *ws, struct db_conn *conn,
                            struct workspace_findings *f)
{
    struct strvec partial = STRVEC_INIT, replaced = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t;
    struct buf what = BUF_INIT, fix = BUF_INIT;

    if (db_url_target(&ws->url.url, &t, &err) < 0 ||
        db_restore_leftovers(conn, t.database, &partial, &replaced, &err) < 0 ||
        (!partial.n && !replaced.n))
        goto done;
    for (size_t i = 0; i < replaced.n; i++)
        buf_addf(&what, "%s'%s'", what.len ? ", " : "", replaced.v[i]);
    if (replaced.n)
        buf_addf(&what, " (the data %s replaced)", replaced.n == 1 ? "a restore" : "restores");
    for (size_t i = 0; i < partial.n; i++)
        buf_addf(&what, "%s'%s'", what.len ? ", " : "", partial.v[i]);
    if (partial.n)
        buf_addf(&what, " (%s)", partial.n == 1 ? "a partial load" : "partial loads");
    buf_adds(&fix, "look inside (devstack db shell --root, then \\c NAME), then DROP DATABASE "
                   "NAME; devstack never drops them itself");
    add(f, WORKSPACE_WARN, "restore", fix.buf, "a restore was killed before it finished: %s",
        what.buf);

done:
    strvec_clear(&partial);
    strvec_clear(&replaced);
    buf_release(&what);
    buf_release(&fix);
    ds_error_release(&err);
}

static void check_state(const struct workspace *ws, const struct revmap *map,
                        struct workspace_findings *f)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_conn *conn = NULL;
    struct strvec versions = STRVEC_INIT, tables = STRVEC_INIT, heads = STRVEC_INIT;
    enum db_reason why = DB_OK;
    struct buf hl = BUF_INIT, fix = BUF_INIT;
    struct alembic_version_table vt = {0};
    bool exists = false;
    size_t user_tables = 0;

    if (ws->url.source == WORKSPACE_URL_NONE) {
        add(f, WORKSPACE_FAIL, "database",
            "set DATABASE_URL=mysql+pymysql://USER:PASSWORD@HOST:PORT/DB (or "
            "postgresql+psycopg2://...) or sqlalchemy.url in alembic.ini",
            "%s", ws->url.why_none ? ws->url.why_none : "no database URL");
        goto done;
    }
    if (workspace_connect(ws, &conn, 3000, &why, &err) < 0) {
        add(f, WORKSPACE_FAIL, "database", err.hint, "unreachable (%s): %s", db_reason_name(why),
            err.msg);
        goto done;
    }
    add(f, WORKSPACE_OK, "database", NULL, "'%s' reachable (URL from %s)",
        ws->url.url.database ? ws->url.url.database : "", ws->url.origin);
    check_leftovers(ws, conn, f);
    if (workspace_version_table(ws, &vt, &err) < 0) {
        add(f, WORKSPACE_FAIL, "env.py", err.hint, "%s", err.msg);
        goto done;
    }
    if (db_alembic_versions_at(conn, vt.name, vt.schema, &versions, &exists, &err) < 0 ||
        db_tables(conn, &tables, &err) < 0) {
        add(f, WORKSPACE_FAIL, "database", NULL, "%s", err.msg);
        goto done;
    }
    for (size_t i = 0; i < tables.n; i++)
        if (strcmp(tables.v[i], vt.name) != 0)
            user_tables++;
    if (workspace_heads(map, &heads, &err) < 0) {
        add(f, WORKSPACE_FAIL, "revisions", NULL, "%s", err.msg);
        goto done;
    }
    for (size_t i = 0; i < heads.n; i++)
        buf_addf(&hl, "%s%s", i ? ", " : "", heads.v[i]);

    for (size_t i = 0; i < versions.n; i++) {
        struct strvec restore = STRVEC_INIT;

        if (revmap_get(map, versions.v[i]))
            continue;
        buf_reset(&fix);
        workspace_find_lost_revision(ws, versions.v[i], &restore);
        if (restore.n)
            buf_addf(&fix, "restore its file: %s; or ", restore.v[0]);
        if (heads.n == 1)
            buf_addf(&fix, "record the head instead: devstack db stamp --purge %s; ", heads.v[0]);
        buf_adds(&fix, "or start over: devstack reset");
        add(f, WORKSPACE_FAIL, "revision", fix.buf,
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
            add(f, WORKSPACE_FAIL, vt.name, fix.buf,
                "%zu table%s but %s%s%s: the schema was made outside Alembic, and upgrade "
                "would stop at 'Table ... already exists'",
                user_tables, user_tables == 1 ? "" : "s", exists ? "" : "no ", vt.name,
                exists ? " is empty" : " table");
        } else if (map->n) {
            add(f, WORKSPACE_WARN, "revision", "apply them: devstack db upgrade",
                "no revision applied yet; head%s %s", heads.n > 1 ? "s" : "", hl.buf);
        } else {
            add(f, WORKSPACE_WARN, "revision",
                "generate the first one: devstack migrate --bootstrap (or devstack migrate -m "
                "MESSAGE)",
                "no revision files yet");
        }
    } else {
        if (workspace_at_heads(map, &versions))
            add(f, WORKSPACE_OK, "revision", NULL, "at head%s %s", heads.n > 1 ? "s" : "", hl.buf);
        else
            add(f, WORKSPACE_WARN, "revision", "apply them: devstack db upgrade",
                "the database is behind: at %s, head%s %s", versions.v[0], heads.n > 1 ? "s" : "",
                hl.buf);
    }

done:
    buf_release(&hl);
    buf_release(&fix);
    strvec_clear(&heads);
    strvec_clear(&versions);
    strvec_clear(&tables);
    alembic_version_table_release(&vt);
    db_close(conn);
    ds_error_release(&err);
}

void workspace_diagnose(const struct workspace *ws, struct workspace_findings *f)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;

    if (!ws->ini_loaded) {
        add(f, WORKSPACE_WARN, "alembic.ini", "create it: devstack migrate --bootstrap",
            "no alembic.ini at '%s'", ws->ini_path);
        goto done;
    }
    add(f, WORKSPACE_OK, "alembic.ini", NULL, "'%s' (scripts in '%s')", ws->ini_path,
        ws->ini.script_location);
    if (!ws->ini.url && !getenv("DATABASE_URL") && !(ws->project && ws->services.have_url))
        add(f, WORKSPACE_WARN, "alembic.ini",
            "set sqlalchemy.url, or DATABASE_URL in the environment (env.py reads it)",
            "'%s' has no sqlalchemy.url and DATABASE_URL is not set", ws->ini_path);
    check_env_py(ws, f);
    if (revmap_load(&map, &ws->ini, &err) < 0) {
        add(f, WORKSPACE_FAIL, "revisions", err.hint, "%s", err.msg);
        goto done;
    }
    if (map.nheads > 1) {
        struct buf hl = BUF_INIT;

        for (size_t i = 0; i < map.nheads; i++)
            buf_addf(&hl, "%s%s", i ? ", " : "", map.heads[i]->id);
        add(f, WORKSPACE_WARN, "heads", "join them: devstack db merge -m 'merge heads' heads",
            "%zu heads (%s): 'upgrade head' is ambiguous (Alembic: Multiple head revisions "
            "are present)",
            map.nheads, hl.buf);
        buf_release(&hl);
    } else {
        add(f, WORKSPACE_OK, "revisions", NULL, "%zu revision%s, one head", map.n,
            map.n == 1 ? "" : "s");
    }
    check_state(ws, &map, f);

done:
    revmap_release(&map);
    ds_error_release(&err);
}

bool workspace_has_migrations(const struct workspace *ws)
{
    return ws->ini_exists || ws->url.source != WORKSPACE_URL_NONE ||
           (ws->project && ws->services.db);
}

/* ---- the engine and the machine ------------------------------------------------------ */

/* Docker reports Go's architecture names; uname reports the kernel's. */
static bool same_arch(const char *engine, const char *machine)
{
    static const char *const pairs[][2] = {
            {"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"}, {"i686", "386"}};

    if (!strcmp(engine, machine))
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
        if ((!strcmp(engine, pairs[i][0]) || !strcmp(engine, pairs[i][1])) &&
            (!strcmp(machine, pairs[i][0]) || !strcmp(machine, pairs[i][1])))
            return true;
    return false;
}

void workspace_engine_findings(const struct workspace_engine_state *s,
                               struct workspace_findings *out)
{
    const struct stack_engine_facts *f = s->facts;
    const struct engine_info *info = f ? &f->info : NULL;

    if (s->unreachable || !f) {
        add(out, WORKSPACE_FAIL, "engine", s->unreachable ? s->unreachable->hint : NULL, "%s",
            s->unreachable && s->unreachable->msg ? s->unreachable->msg : "not reachable");
        return;
    }
    add(out, WORKSPACE_OK, "engine", NULL, "reachable at %s (%s)", f->endpoint, f->source);
    add(out, WORKSPACE_OK, "engine location", NULL, "%s, %s%s%s",
        f->remote ? "remote" : "this machine", f->transport, f->ssh_command ? ": " : "",
        f->ssh_command ? f->ssh_command : "");
    add(out, WORKSPACE_OK, "API version", NULL, "%s (the engine offers %s)", f->api, f->server_api);
    if (s->info_failed || !f->have_info) {
        add(out, WORKSPACE_FAIL, "engine info", s->info_failed ? s->info_failed->hint : NULL, "%s",
            s->info_failed && s->info_failed->msg ? s->info_failed->msg : "no answer");
        return;
    }

    if (!info->storage_driver)
        add(out, WORKSPACE_WARN, "storage driver", NULL, "not reported by the engine");
    else if (!strcmp(info->storage_driver, "vfs"))
        add(out, WORKSPACE_WARN, "storage driver",
            "run the engine on a filesystem that supports overlay (ext4, xfs)",
            "vfs: every layer is a full copy, slow and disk-hungry");
    else
        add(out, WORKSPACE_OK, "storage driver", NULL, "%s", info->storage_driver);

    if (info->docker_root_dir && s->disk_known) {
        struct buf avail = BUF_INIT, total = BUF_INIT;

        size_format(&avail, s->disk_free, SIZE_BINARY);
        size_format(&total, s->disk_total, SIZE_BINARY);
        add(out, s->disk_free < WORKSPACE_DISK_LOW ? WORKSPACE_WARN : WORKSPACE_OK, "free disk",
            "free space: 'devstack clear' removes this project's containers and images",
            "%s free of %s in %s", avail.buf, total.buf, info->docker_root_dir);
        buf_release(&avail);
        buf_release(&total);
    } else if (info->docker_root_dir) {
        add(out, WORKSPACE_WARN, "free disk", NULL,
            "cannot look at %s from here (a remote or rootless engine)", info->docker_root_dir);
    }

    if (s->machine && info->architecture && !same_arch(info->architecture, s->machine))
        add(out, WORKSPACE_WARN, "architecture", "use images built for the engine's architecture",
            "engine %s, this machine %s", info->architecture, s->machine);
    else
        add(out, WORKSPACE_OK, "architecture", NULL, "%s",
            info->architecture ? info->architecture : "?");
}

void workspace_check_engine(struct engine *e, const struct ds_error *unreachable,
                            struct workspace_findings *out)
{
    struct workspace_engine_state s = {.unreachable = unreachable};
    struct stack_engine_facts facts;
    struct ds_error err = DS_ERROR_INIT;
    struct utsname uts;
    struct statvfs st;

    if (!unreachable && e) {
        if (stack_engine_facts(e, STACK_FACTS_INFO, &facts, &err) < 0)
            s.info_failed = &err;
        s.facts = &facts;
        if (uname(&uts) == 0)
            s.machine = uts.machine;
        /* the engine's directory is on its own machine: this one's says nothing of it */
        if (facts.have_info && facts.info.docker_root_dir && !facts.remote &&
            statvfs(facts.info.docker_root_dir, &st) == 0) {
            s.disk_known = true;
            s.disk_free = (uint64_t)st.f_bavail * st.f_frsize;
            s.disk_total = (uint64_t)st.f_blocks * st.f_frsize;
        }
    }
    workspace_engine_findings(&s, out);
    if (s.facts)
        stack_engine_facts_release(&facts);
    ds_error_release(&err);
}
