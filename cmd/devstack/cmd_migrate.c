/*
 * devstack migrate: what backend.sh and `make db-migrate` did. --bootstrap
 * creates the Alembic setup when it is missing, the first revision when
 * there is none, and upgrades to head; idempotent, run on every start of
 * the app container. Without it: refuse unless the database is at head,
 * autogenerate a revision, show its operations (drops flagged), upgrade.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbcmd.h"
#include "devstack.h"
#include "signals.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/file.h"
#include "util/path.h"
#include "util/banned.h"

#define BOOTSTRAP_WAIT_MS 120000u
#define SCRIPT_DIR_NAME   "migrations"

/* Does any version location hold a revision file? */
static bool have_revisions(const struct revmap *map)
{
    return map->n > 0;
}

/*
 * Rewrite `key = value` in alembic.ini's [alembic] section (the file
 * `alembic init` wrote), keeping everything else byte for byte.
 */
static int ini_set(const char *path, const char *key, const char *value, struct ds_error *err)
{
    struct buf in = BUF_INIT, out = BUF_INIT;
    const char *line, *end;
    bool in_section = false, done = false;
    int rc;

    if ((rc = buf_read_file(&in, path, 1u << 20)) < 0) {
        ds_error_errno(err, errno, "cannot read '%s'", path);
        goto out;
    }
    for (line = in.buf; *line; line = end) {
        const char *nl = strchr(line, '\n');
        size_t klen = strlen(key);

        end = nl ? nl + 1 : line + strlen(line);
        if (*line == '[')
            in_section = !strncmp(line, "[alembic]", 9);
        if (in_section && !done && !strncmp(line, key, klen) &&
            (line[klen] == ' ' || line[klen] == '=')) {
            buf_addf(&out, "%s = %s\n", key, value);
            done = true;
            continue;
        }
        buf_add(&out, line, (size_t)(end - line));
    }
    if (!done) {
        ds_error_set(err, DS_EPROTO, "'%s' has no '%s' in [alembic]", path, key);
        rc = DS_EPROTO;
        goto out;
    }
    rc = file_write_atomic(path, out.buf, out.len, 0644, err);

out:
    buf_release(&in);
    buf_release(&out);
    return rc;
}

/* The project's env.py template: --template, $DEVSTACK_ENV_TEMPLATE, templates/env.py. */
static char *find_template(const char *given, const char *dir)
{
    const char *env = getenv("DEVSTACK_ENV_TEMPLATE");
    struct buf b = BUF_INIT;
    struct stat st;

    if (given)
        return xstrdup(given);
    if (env && *env)
        return xstrdup(env);
    buf_addf(&b, "%s/templates/env.py", dir);
    if (stat(b.buf, &st) == 0 && S_ISREG(st.st_mode))
        return buf_detach(&b, NULL);
    buf_release(&b);
    return NULL;
}

/*
 * Alembic's generic env.py reads sqlalchemy.url only; teach it DATABASE_URL
 * (as the team's env.py does) so that no password lands in alembic.ini.
 */
static int patch_generic_env(const char *env_py, struct ds_error *err)
{
    static const char anchor[] = "config = context.config\n";
    static const char patch[] =
            "\n# devstack: the URL comes from the environment, never from alembic.ini\n"
            "import os  # noqa: E402\n\n"
            "if os.environ.get(\"DATABASE_URL\"):\n"
            "    config.set_main_option(\"sqlalchemy.url\",\n"
            "                           os.environ[\"DATABASE_URL\"].replace(\"%\", \"%%\"))\n";
    struct buf in = BUF_INIT, out = BUF_INIT;
    const char *at;
    int rc = 0;

    if (buf_read_file(&in, env_py, 1u << 20) < 0)
        return ds_error_errno(err, errno, "cannot read '%s'", env_py);
    at = strstr(in.buf, anchor);
    if (!at) {
        rc = ds_error_set(err, DS_EPROTO, "'%s' has no line 'config = context.config'", env_py);
        goto done;
    }
    at += strlen(anchor);
    buf_add(&out, in.buf, (size_t)(at - in.buf));
    buf_adds(&out, patch);
    buf_adds(&out, at);
    rc = file_write_atomic(env_py, out.buf, out.len, 0644, err);

done:
    buf_release(&in);
    buf_release(&out);
    return rc;
}

/* `alembic init` what is missing of alembic.ini and the scripts folder. */
static int bootstrap_init(struct db_target *t, const char *template_opt, struct ds_error *err)
{
    char *dir = path_dirname(t->ini_path), *template = NULL, *scripts = NULL;
    struct strvec args = STRVEC_INIT;
    struct buf b = BUF_INIT, tmp = BUF_INIT, env_py = BUF_INIT;
    bool ini_was = t->ini_exists, scripts_were;
    int rc = 0;

    scripts = t->ini_loaded ? xstrdup(t->ini.script_location) : NULL;
    if (!scripts) {
        buf_addf(&b, "%s/%s", dir, SCRIPT_DIR_NAME);
        scripts = buf_detach(&b, NULL);
    }
    scripts_were = path_is_dir(scripts);
    if (ini_was && scripts_were)
        goto versions;

    /* init refuses a folder that has files: then let it write into a fresh one */
    if (scripts_were) {
        buf_addf(&tmp, "%s/.devstack-init-%ld", dir, (long)getpid());
        if (mkdir(tmp.buf, 0755) < 0) {
            rc = ds_error_errno(err, errno, "cannot create '%s'", tmp.buf);
            goto done;
        }
        buf_adds(&tmp, "/" SCRIPT_DIR_NAME);
    }
    strvec_push(&args, "init");
    strvec_push(&args, scripts_were ? tmp.buf : scripts);
    rc = db_run_alembic(t, &args, NULL, NULL, err);
    if (rc > 0)
        rc = ds_error_set(err, DS_ERR, "alembic init failed (exit %d)", rc);
    if (scripts_were && tmp.len) {
        struct strvec rm = STRVEC_INIT;

        /* only the temporary folder we made */
        buf_setlen(&tmp, tmp.len - strlen("/" SCRIPT_DIR_NAME));
        file_remove_tree(tmp.buf, NULL);
        strvec_clear(&rm);
    }
    if (rc < 0)
        goto done;
    if (!ini_was) {
        struct buf loc = BUF_INIT;
        const char *name = strrchr(scripts, '/') + 1;

        buf_addf(&loc, "%%(here)s/%s", name);
        rc = ini_set(t->ini_path, "script_location", loc.buf, err);
        /* the URL comes from DATABASE_URL: no password in a file that is committed */
        if (rc == 0)
            rc = ini_set(t->ini_path, "sqlalchemy.url", "", err);
        buf_release(&loc);
        if (rc < 0)
            goto done;
        printf("created %s\n", t->ini_path);
    }
    if (!scripts_were) {
        buf_addf(&env_py, "%s/env.py", scripts);
        template = find_template(template_opt, dir);
        if (template) {
            if ((rc = file_copy(template, env_py.buf, 0644, err)) < 0)
                goto done;
            printf("created %s/ (env.py from %s)\n", scripts, template);
        } else {
            if ((rc = patch_generic_env(env_py.buf, err)) < 0)
                goto done;
            printf("created %s/ (Alembic's generic env.py, URL from DATABASE_URL; set "
                   "target_metadata there for autogenerate)\n",
                   scripts);
        }
    }

versions:
    buf_reset(&b);
    buf_addf(&b, "%s/versions", scripts);
    if (!path_is_dir(b.buf) && mkdir(b.buf, 0755) < 0) {
        rc = ds_error_errno(err, errno, "cannot create '%s'", b.buf);
        goto done;
    }
    /* reload what init wrote */
    if (t->ini_loaded)
        alembic_ini_release(&t->ini);
    t->ini_loaded = false;
    if ((rc = alembic_ini_load(&t->ini, t->ini_path, NULL, err)) < 0)
        goto done;
    t->ini_loaded = true;
    t->ini_exists = true;

done:
    strvec_clear(&args);
    buf_release(&b);
    buf_release(&tmp);
    buf_release(&env_py);
    free(template);
    free(scripts);
    free(dir);
    return rc;
}

static int run_step(struct db_target *t, const char *const *argv, struct ds_error *err)
{
    struct strvec args = STRVEC_INIT;
    int rc;

    strvec_pushv(&args, argv);
    rc = db_run_alembic(t, &args, NULL, NULL, err);
    if (rc > 0)
        rc = ds_error_set(err, DS_ERR, "alembic %s failed (exit %d)", argv[0], rc);
    strvec_clear(&args);
    return rc;
}

/* The new revision: the one in `after` that `before` did not have. */
static const struct revision *new_revision(const struct revmap *before, const struct revmap *after)
{
    for (size_t i = 0; i < after->n; i++)
        if (!revmap_get(before, after->revs[i]->id))
            return after->revs[i];
    return NULL;
}

/*
 * Print the body of upgrade() in a generated file, drops flagged with "!".
 * Returns the number of operations (0: autogenerate found nothing).
 */
static int show_operations(const char *path, int *drops)
{
    struct buf text = BUF_INIT;
    const char *p, *body, *end;
    int ops = 0;

    *drops = 0;
    if (buf_read_file(&text, path, 16u << 20) < 0)
        return -1;
    body = strstr(text.buf, "def upgrade()");
    if (!body)
        goto done;
    end = strstr(body, "\ndef downgrade()");
    if (!end)
        end = text.buf + text.len;
    for (p = strchr(body, '\n'); p && p < end; p = strchr(p + 1, '\n')) {
        const char *s = p + 1, *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s), lead = 0;

        if (s >= end)
            break;
        while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
            lead++;
        if (lead == n || s[lead] == '#' || !strncmp(s + lead, "pass", n - lead))
            continue;
        if (!strncmp(s + lead, "op.", 3))
            ops++;
        if (!strncmp(s + lead, "op.drop_", 8)) {
            (*drops)++;
            printf("  ! %.*s\n", (int)(n - lead), s + lead);
        } else {
            printf("    %.*s\n", (int)(n > 4 ? n - 4 : n), n > 4 ? s + 4 : s);
        }
    }

done:
    buf_release(&text);
    return ops;
}

static int load_state(struct db_target *t, struct revmap *map, struct strvec *versions,
                      struct ds_error *err)
{
    bool exists;
    int rc;

    revmap_release(map);
    strvec_clear(versions);
    if ((rc = db_target_revmap(t, map, err)) < 0)
        return rc;
    return db_current_versions(t, versions, &exists, err);
}

/* Refuse what Alembic would refuse, with the reason and the fix. */
static int require_known(struct db_target *t, const struct revmap *map,
                         const struct strvec *versions, struct ds_error *err)
{
    for (size_t i = 0; i < versions->n; i++) {
        struct strvec restore = STRVEC_INIT;

        if (revmap_get(map, versions->v[i]))
            continue;
        ds_error_set(err, DS_ENOTFOUND,
                     "the database is at '%s', which no revision file has (Can't locate "
                     "revision identified by '%s')",
                     versions->v[i], versions->v[i]);
        db_find_lost_revision(t, versions->v[i], &restore);
        if (restore.n)
            ds_error_hint(err,
                          "restore the file: %s; or record a head: devstack db stamp "
                          "--purge head; or start over: devstack reset",
                          restore.v[0]);
        else
            ds_error_hint(err, "record a head: devstack db stamp --purge head; or start over: "
                               "devstack reset");
        strvec_clear(&restore);
        return DS_ENOTFOUND;
    }
    return 0;
}

static int refuse_tables_without_version(struct db_target *t, const struct revmap *map,
                                         const struct strvec *versions, struct ds_error *err)
{
    struct db_conn *conn = NULL;
    struct strvec tables = STRVEC_INIT;
    size_t user = 0;
    int rc;

    if (versions->n || !map->n)
        return 0;
    if ((rc = db_target_connect(t, &conn, 0, NULL, err)) < 0)
        return rc;
    rc = db_tables(conn, &tables, err);
    db_close(conn);
    for (size_t i = 0; rc == 0 && i < tables.n; i++)
        if (strcmp(tables.v[i], "alembic_version") != 0)
            user++;
    strvec_clear(&tables);
    if (rc < 0 || !user)
        return rc;
    ds_error_set(err, DS_ECONFLICT,
                 "the database has %zu table%s but no revision applied: upgrading would stop at "
                 "'Table ... already exists'",
                 user, user == 1 ? "" : "s");
    ds_error_hint(err, "if the tables match a revision, record it with 'devstack db stamp REV' "
                       "(e.g. head), then run this again; or start over: devstack reset");
    return DS_ECONFLICT;
}

static int wait_ready(struct db_target *t, unsigned timeout_ms, struct ds_error *err)
{
    struct db_wait_result res = {0};
    int rc;

    signals_catch();
    rc = db_wait(&t->url, timeout_ms, &sig_interrupted, &res, err);
    if (rc == 0 && res.attempts > 1)
        printf("database '%s' ready after %u.%01u s\n", t->url.database ? t->url.database : "",
               res.elapsed_ms / 1000, res.elapsed_ms % 1000 / 100);
    db_wait_result_release(&res);
    return rc;
}

/*
 * With `adopt` the database holds the tables already (reset --keep-data):
 * the initial revision is generated as if it were empty (the template's
 * env.py hides the reflected tables when DEVSTACK_AUTOGENERATE_FROM_EMPTY is
 * set), so that it creates the whole schema, and the database is stamped
 * with it rather than upgraded.
 */
static int bootstrap(struct db_target *t, const char *template, unsigned wait_ms, bool adopt,
                     struct ds_error *err)
{
    struct revmap map = REVMAP_INIT, after = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT;
    int rc;

    if ((rc = wait_ready(t, wait_ms, err)) < 0)
        goto done;
    if ((rc = bootstrap_init(t, template, err)) < 0)
        goto done;
    if ((rc = load_state(t, &map, &versions, err)) < 0 ||
        (rc = require_known(t, &map, &versions, err)) < 0 ||
        (rc = refuse_tables_without_version(t, &map, &versions, err)) < 0)
        goto done;

    if (!have_revisions(&map)) {
        const struct revision *rev;
        int drops, ops;

        bool autogenerate = db_env_has_metadata(t);

        if (adopt)
            setenv("DEVSTACK_AUTOGENERATE_FROM_EMPTY", "1", 1);
        /* without a target autogenerate refuses to run: start the history empty */
        rc = autogenerate
                     ? run_step(t,
                                (const char *const[]){"revision", "--autogenerate", "-m", "initial",
                                                      NULL},
                                err)
                     : run_step(t, (const char *const[]){"revision", "-m", "initial", NULL}, err);
        unsetenv("DEVSTACK_AUTOGENERATE_FROM_EMPTY");
        if (rc < 0)
            goto done;
        if (!autogenerate)
            printf("warning: env.py sets no target_metadata, so autogenerate finds no tables: "
                   "the initial revision is empty; set target_metadata (and import the models) "
                   "in env.py, then run devstack migrate\n");
        if ((rc = db_target_revmap(t, &after, err)) < 0)
            goto done;
        rev = new_revision(&map, &after);
        if (rev) {
            printf("generated %s (%s)\n", rev->path, rev->id);
            ops = show_operations(rev->path, &drops);
            if (ops == 0 && autogenerate)
                printf("warning: autogenerate found no tables: does env.py set "
                       "target_metadata and import the models?\n");
        }
        revmap_release(&map);
        map = after;
        after = (struct revmap)REVMAP_INIT;
    }
    if (map.nheads > 1) {
        rc = ds_error_set(err, DS_ECONFLICT, "the scripts have %zu heads", map.nheads);
        ds_error_hint(err, "join them: devstack db merge -m 'merge heads' heads");
        goto done;
    }
    if (db_at_heads(&map, &versions)) {
        printf("database at head %s: nothing to do\n", map.nheads ? map.heads[0]->id : "base");
        goto done;
    }
    if (adopt && !versions.n) {
        if ((rc = run_step(t, (const char *const[]){"stamp", "head", NULL}, err)) < 0)
            goto done;
        printf("database stamped with head %s: its tables were kept\n", map.heads[0]->id);
        goto done;
    }
    if ((rc = run_step(t, (const char *const[]){"upgrade", "head", NULL}, err)) < 0)
        goto done;
    printf("database upgraded to head %s\n", map.heads[0]->id);

done:
    revmap_release(&map);
    revmap_release(&after);
    strvec_clear(&versions);
    return rc;
}

static int migrate(struct db_target *t, const char *message, struct ds_error *err)
{
    struct revmap map = REVMAP_INIT, after = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT;
    const struct revision *rev;
    int rc, drops = 0, ops;

    if ((rc = load_state(t, &map, &versions, err)) < 0 ||
        (rc = require_known(t, &map, &versions, err)) < 0)
        goto done;
    if (map.nheads > 1) {
        rc = ds_error_set(err, DS_ECONFLICT, "the scripts have %zu heads", map.nheads);
        ds_error_hint(err, "join them first: devstack db merge -m 'merge heads' heads");
        goto done;
    }
    if (!db_at_heads(&map, &versions)) {
        rc = ds_error_set(err, DS_ECONFLICT,
                          "the database is not at head %s (Alembic: Target database is not up to "
                          "date)",
                          map.nheads ? map.heads[0]->id : "base");
        ds_error_hint(err, "apply the pending revisions first: devstack db upgrade");
        goto done;
    }
    if (!db_env_has_metadata(t)) {
        rc = ds_error_set(err, DS_EINVAL,
                          "'%s/env.py' sets no target_metadata: autogenerate has nothing to "
                          "compare the database with",
                          t->ini.script_location);
        ds_error_hint(err, "set target_metadata = Base.metadata and import every models module "
                           "in env.py");
        goto done;
    }
    if ((rc = run_step(t, (const char *const[]){"revision", "--autogenerate", "-m", message, NULL},
                       err)) < 0)
        goto done;
    if ((rc = db_target_revmap(t, &after, err)) < 0)
        goto done;
    rev = new_revision(&map, &after);
    if (!rev) {
        rc = ds_error_set(err, DS_ERR, "alembic revision wrote no new revision file");
        goto done;
    }
    printf("generated %s (%s)\n", rev->path, rev->id);
    ops = show_operations(rev->path, &drops);
    if (ops == 0) {
        /* an empty revision is noise in the history: take it back */
        if (unlink(rev->path) < 0) {
            rc = ds_error_errno(err, errno, "cannot remove the empty revision '%s'", rev->path);
            goto done;
        }
        printf("no changes between the models and the database: removed the empty revision\n");
        goto done;
    }
    if (drops)
        printf("warning: %d drop%s above: review %s before it reaches other databases\n", drops,
               drops == 1 ? "" : "s", rev->path);
    if ((rc = run_step(t, (const char *const[]){"upgrade", "head", NULL}, err)) < 0)
        goto done;
    printf("database upgraded to %s\n", rev->id);

done:
    revmap_release(&map);
    revmap_release(&after);
    strvec_clear(&versions);
    return rc;
}

int cmd_migrate(int argc, char **argv)
{
    static bool do_bootstrap, adopt;
    static const char *message, *config, *template, *timeout;
    static const struct opt_spec opts[] = {
            {OPT_STRING, "message", 'm', &message, "MESSAGE", "what changed (default: \"auto\")"},
            {OPT_BOOL, "bootstrap", 0, &do_bootstrap, NULL,
             "create what is missing (alembic.ini, migrations/, the first revision), then "
             "upgrade to head"},
            {OPT_BOOL, "adopt", 0, &adopt, NULL,
             "with --bootstrap: the database has the tables; generate the first revision as if "
             "it were empty and stamp it instead of upgrading"},
            {OPT_STRING, "template", 0, &template, "FILE",
             "env.py to install on bootstrap (default: templates/env.py)"},
            {OPT_STRING, "timeout", 't', &timeout, "DURATION",
             "how long bootstrap waits for the database (default 120s)"},
            {OPT_STRING, "config", 'c', &config, "FILE", "alembic.ini to use"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t;
    const char *service = NULL;
    int64_t ns = (int64_t)BOOTSTRAP_WAIT_MS * 1000000;
    int status, rc;

    if (!cmd_parse("migrate", opts, argc, argv, 0, NULL, &status))
        return status;
    if (timeout && duration_parse(timeout, &ns) < 0)
        return cmd_usage_error("migrate", opts, "invalid --timeout '%s' (e.g. 90s, 2m)", timeout);
    if (db_target_open(&t, config, NULL, DBT_NEED_URL | (do_bootstrap ? 0 : DBT_NEED_INI), &err) <
        0) {
        status = cmd_error(&err);
        goto done;
    }
    if (db_target_remote(&t, &service)) {
        status = db_exec_remote(&t, service, argc, argv);
        goto done;
    }
    if (adopt && !do_bootstrap)
        return cmd_usage_error("migrate", opts, "--adopt goes with --bootstrap");
    rc = do_bootstrap ? bootstrap(&t, template, (unsigned)(ns / 1000000), adopt, &err)
                      : migrate(&t, message ? message : "auto", &err);
    if (rc == DS_EINTR)
        status = EXIT_INTERRUPTED;
    else
        status = rc < 0 ? cmd_error(&err) : EXIT_OK;

done:
    db_target_release(&t);
    ds_error_release(&err);
    return status;
}
