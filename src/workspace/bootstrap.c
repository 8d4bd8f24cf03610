/* Migrations from the models: the bootstrap backend.sh did, and `migrate`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workspace/bootstrap.h"
#include "workspace/diagnose.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/path.h"
#include "util/banned.h"

#define SCRIPT_DIR_NAME "migrations"

/* ---- plans --------------------------------------------------------------------------- */

size_t workspace_setup_plan(const struct workspace_setup_state *s,
                            enum workspace_setup_step steps[WORKSPACE_SETUP_MAX])
{
    size_t n = 0;

    if (!s->scripts_exist) {
        /* alembic init writes alembic.ini beside the folder, unless there is one */
        steps[n++] = WORKSPACE_INIT;
        if (!s->ini_exists)
            steps[n++] = WORKSPACE_INI_SETTINGS;
        steps[n++] = s->have_template ? WORKSPACE_ENV_TEMPLATE : WORKSPACE_ENV_PATCH;
        return n;
    }
    if (!s->ini_exists) {
        /* init refuses a folder that has files: the folder stays as it is */
        steps[n++] = WORKSPACE_INIT_ASIDE;
        steps[n++] = WORKSPACE_INI_SETTINGS;
    }
    if (!s->versions_exist)
        steps[n++] = WORKSPACE_VERSIONS;
    return n;
}

static int unknown_version(const char *rev, struct ds_error *err)
{
    ds_error_set(err, DS_ENOTFOUND,
                 "the database is at '%s', which no revision file has (Can't locate revision "
                 "identified by '%s')",
                 rev, rev);
    ds_error_hint(err, "record a head: devstack db stamp --purge head; or start over: "
                       "devstack reset");
    return DS_ENOTFOUND;
}

static int several_heads(size_t heads, const char *first, struct ds_error *err)
{
    ds_error_set(err, DS_ECONFLICT, "the scripts have %zu heads", heads);
    ds_error_hint(err, "join them%s: devstack db merge -m 'merge heads' heads", first);
    return DS_ECONFLICT;
}

int workspace_bootstrap_plan(const struct workspace_db_state *s,
                             enum workspace_db_step steps[WORKSPACE_DB_STEPS_MAX], size_t *n,
                             struct ds_error *err)
{
    *n = 0;
    if (s->unknown)
        return unknown_version(s->unknown, err);
    if (!s->versions && s->revisions && s->user_tables) {
        ds_error_set(err, DS_ECONFLICT,
                     "the database has %zu table%s but no revision applied: upgrading would stop "
                     "at 'Table ... already exists'",
                     s->user_tables, s->user_tables == 1 ? "" : "s");
        ds_error_hint(err, "if the tables match a revision, record it with 'devstack db stamp REV' "
                           "(e.g. head), then run this again; or start over: devstack reset");
        return DS_ECONFLICT;
    }
    if (!s->revisions) {
        /* the first revision is the only head, and the database has no version yet */
        steps[(*n)++] = s->env_has_metadata ? WORKSPACE_GENERATE : WORKSPACE_GENERATE_EMPTY;
        steps[(*n)++] = s->adopt ? WORKSPACE_STAMP : WORKSPACE_UPGRADE;
        return 0;
    }
    if (s->heads > 1)
        return several_heads(s->heads, "", err);
    if (s->at_heads)
        return 0;
    steps[(*n)++] = s->adopt && !s->versions ? WORKSPACE_STAMP : WORKSPACE_UPGRADE;
    return 0;
}

int workspace_migrate_check(const struct workspace_db_state *s, const char *env_py,
                            struct ds_error *err)
{
    if (s->unknown)
        return unknown_version(s->unknown, err);
    if (s->heads > 1)
        return several_heads(s->heads, " first", err);
    if (!s->at_heads) {
        ds_error_set(err, DS_ECONFLICT,
                     "the database is not at head %s (Alembic: Target database is not up to date)",
                     s->head ? s->head : "base");
        ds_error_hint(err, "apply the pending revisions first: devstack db upgrade");
        return DS_ECONFLICT;
    }
    if (!s->env_has_metadata) {
        ds_error_set(err, DS_EINVAL,
                     "'%s' sets no target_metadata: autogenerate has nothing to compare the "
                     "database with",
                     env_py);
        ds_error_hint(err, "set target_metadata = Base.metadata and import every models module "
                           "in env.py");
        return DS_EINVAL;
    }
    return 0;
}

/* ---- what a generated revision does --------------------------------------------------- */

static void add_op(struct workspace_ops *ops, const char *text, size_t len, bool drop, bool is_op)
{
    struct workspace_op *op;

    ops->items = xgrow(ops->items, &ops->alloc, ops->n + 1, sizeof(*ops->items));
    op = &ops->items[ops->n++];
    op->text = xstrndup(text, len);
    op->drop = drop;
    op->is_op = is_op;
}

void workspace_revision_ops(const char *text, struct workspace_ops *out)
{
    const char *p, *body, *end;

    memset(out, 0, sizeof(*out));
    body = strstr(text, "def upgrade()");
    if (!body)
        return;
    end = strstr(body, "\ndef downgrade()");
    if (!end)
        end = text + strlen(text);
    for (p = strchr(body, '\n'); p && p < end; p = strchr(p + 1, '\n')) {
        const char *s = p + 1, *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s), lead = 0;
        bool is_op, drop;

        if (s >= end)
            break;
        while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
            lead++;
        /* blank, a comment, or the `pass` of an empty revision */
        if (lead == n || s[lead] == '#' || !strncmp(s + lead, "pass", n - lead))
            continue;
        is_op = !strncmp(s + lead, "op.", 3);
        drop = !strncmp(s + lead, "op.drop_", 8);
        out->ops += is_op;
        out->drops += drop;
        if (drop)
            add_op(out, s + lead, n - lead, true, true);
        else /* inside upgrade(): one level of indentation less */
            add_op(out, n > 4 ? s + 4 : s, n > 4 ? n - 4 : n, false, is_op);
    }
}

void workspace_ops_release(struct workspace_ops *ops)
{
    for (size_t i = 0; i < ops->n; i++)
        free(ops->items[i].text);
    free(ops->items);
    memset(ops, 0, sizeof(*ops));
}

/* ---- the setup -------------------------------------------------------------------------- */

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
        ds_error_errno(err, -rc, "cannot read '%s'", path);
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
        rc = ds_error_set(err, DS_EPROTO, "'%s' has no '%s' in [alembic]", path, key);
        goto out;
    }
    rc = file_write_atomic(path, out.buf, out.len, 0644, err);

out:
    buf_release(&in);
    buf_release(&out);
    return rc;
}

/* The project's env.py template: the option, $DEVSTACK_ENV_TEMPLATE, templates/env.py. */
static char *find_template(const char *given, const char *dir)
{
    const char *env = getenv("DEVSTACK_ENV_TEMPLATE");
    char *path;

    if (given)
        return xstrdup(given);
    if (env && *env)
        return xstrdup(env);
    path = path_join(dir, "templates/env.py");
    if (path_is_file(path))
        return path;
    free(path);
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
    int rc;

    if ((rc = buf_read_file(&in, env_py, 1u << 20)) < 0) {
        buf_release(&in);
        return ds_error_errno(err, -rc, "cannot read '%s'", env_py);
    }
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

static int alembic_step(const struct workspace *ws, const char *const *argv, struct ds_error *err)
{
    struct strvec args = STRVEC_INIT;
    int rc;

    strvec_pushv(&args, argv);
    rc = workspace_alembic(ws, &args, NULL, NULL, err);
    if (rc > 0)
        rc = ds_error_set(err, DS_ERR, "alembic %s failed (exit %d)", argv[0], rc);
    strvec_clear(&args);
    return rc;
}

/* `alembic init` into a fresh folder beside alembic.ini, for its alembic.ini only. */
static int init_aside(const struct workspace *ws, const char *dir, struct ds_error *err)
{
    struct buf tmp = BUF_INIT;
    int rc;

    buf_addf(&tmp, "%s/.devstack-init-%ld", dir, (long)getpid());
    if (mkdir(tmp.buf, 0755) < 0) {
        rc = ds_error_errno(err, errno, "cannot create '%s'", tmp.buf);
        buf_release(&tmp);
        return rc;
    }
    buf_adds(&tmp, "/" SCRIPT_DIR_NAME);
    rc = alembic_step(ws, (const char *const[]){"init", tmp.buf, NULL}, err);
    /* only the temporary folder we made */
    buf_setlen(&tmp, tmp.len - strlen("/" SCRIPT_DIR_NAME));
    file_remove_tree(tmp.buf, NULL);
    buf_release(&tmp);
    return rc;
}

static int reload_ini(struct workspace *ws, struct ds_error *err)
{
    int rc;

    if (ws->ini_loaded)
        alembic_ini_release(&ws->ini);
    ws->ini_loaded = false;
    rc = alembic_ini_load(&ws->ini, ws->ini_path, NULL, err);
    if (rc < 0)
        return rc;
    ws->ini_loaded = true;
    ws->ini_exists = true;
    return 0;
}

/* Make what is missing of alembic.ini and the scripts folder. */
static int setup(struct workspace *ws, const char *template_opt,
                 const struct workspace_notes *notes, struct ds_error *err)
{
    enum workspace_setup_step steps[WORKSPACE_SETUP_MAX];
    struct workspace_setup_state st = {.ini_exists = ws->ini_exists};
    char *dir = path_dirname(ws->ini_path), *template = NULL, *scripts = NULL, *versions = NULL;
    size_t n;
    int rc = 0;

    scripts = ws->ini_loaded ? xstrdup(ws->ini.script_location) : path_join(dir, SCRIPT_DIR_NAME);
    versions = path_join(scripts, "versions");
    template = find_template(template_opt, dir);
    st.scripts_exist = path_is_dir(scripts);
    st.versions_exist = path_is_dir(versions);
    st.have_template = template != NULL;
    n = workspace_setup_plan(&st, steps);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct buf b = BUF_INIT;

        switch (steps[i]) {
        case WORKSPACE_INIT:
            rc = alembic_step(ws, (const char *const[]){"init", scripts, NULL}, err);
            break;
        case WORKSPACE_INIT_ASIDE:
            rc = init_aside(ws, dir, err);
            break;
        case WORKSPACE_INI_SETTINGS:
            buf_addf(&b, "%%(here)s/%s", path_basename(scripts));
            rc = ini_set(ws->ini_path, "script_location", b.buf, err);
            /* the URL comes from DATABASE_URL: no password in a file that is committed */
            if (rc == 0)
                rc = ini_set(ws->ini_path, "sqlalchemy.url", "", err);
            if (rc == 0)
                workspace_note(notes, WORKSPACE_NOTE, "created %s", ws->ini_path);
            break;
        case WORKSPACE_ENV_TEMPLATE:
            buf_addf(&b, "%s/env.py", scripts);
            rc = file_copy(template, b.buf, 0644, err);
            if (rc == 0)
                workspace_note(notes, WORKSPACE_NOTE, "created %s/ (env.py from %s)", scripts,
                               template);
            break;
        case WORKSPACE_ENV_PATCH:
            buf_addf(&b, "%s/env.py", scripts);
            rc = patch_generic_env(b.buf, err);
            if (rc == 0)
                workspace_note(notes, WORKSPACE_NOTE,
                               "created %s/ (Alembic's generic env.py, URL from DATABASE_URL; "
                               "set target_metadata there for autogenerate)",
                               scripts);
            break;
        case WORKSPACE_VERSIONS:
            if (mkdir(versions, 0755) < 0 && errno != EEXIST)
                rc = ds_error_errno(err, errno, "cannot create '%s'", versions);
            break;
        }
        buf_release(&b);
    }
    /* what init wrote */
    if (rc == 0)
        rc = reload_ini(ws, err);
    free(dir);
    free(template);
    free(scripts);
    free(versions);
    return rc;
}

/* ---- the state of the revisions and the database ------------------------------------------ */

struct state {
    struct revmap map;
    struct strvec versions;
    struct workspace_db_state s;
};

static void state_release(struct state *st)
{
    revmap_release(&st->map);
    strvec_clear(&st->versions);
}

static int user_tables(const struct workspace *ws, size_t *n, struct ds_error *err)
{
    struct db_conn *conn = NULL;
    struct strvec tables = STRVEC_INIT;
    int rc = workspace_connect(ws, &conn, 0, NULL, err);

    *n = 0;
    if (rc == 0)
        rc = db_tables(conn, &tables, err);
    db_close(conn);
    for (size_t i = 0; rc == 0 && i < tables.n; i++)
        if (strcmp(tables.v[i], "alembic_version") != 0)
            (*n)++;
    strvec_clear(&tables);
    return rc;
}

static int read_state(const struct workspace *ws, bool adopt, struct state *st,
                      struct ds_error *err)
{
    bool exists;
    int rc;

    memset(st, 0, sizeof(*st));
    st->map = (struct revmap)REVMAP_INIT;
    if ((rc = workspace_revmap(ws, &st->map, err)) < 0 ||
        (rc = workspace_versions(ws, &st->versions, &exists, err)) < 0)
        return rc;
    st->s.revisions = st->map.n;
    st->s.heads = st->map.nheads;
    st->s.head = st->map.nheads ? st->map.heads[0]->id : NULL;
    st->s.versions = st->versions.n;
    for (size_t i = 0; i < st->versions.n && !st->s.unknown; i++)
        if (!revmap_get(&st->map, st->versions.v[i]))
            st->s.unknown = st->versions.v[i];
    st->s.at_heads = workspace_at_heads(&st->map, &st->versions);
    st->s.env_has_metadata = workspace_env_has_metadata(ws);
    st->s.adopt = adopt;
    /* tables without a version matter only before the first upgrade */
    if (!st->versions.n && st->map.n)
        rc = user_tables(ws, &st->s.user_tables, err);
    return rc;
}

/* A refusal over a version no file has: name the git command that brings the file back. */
static void hint_lost_revision(const struct workspace *ws, const char *rev, struct ds_error *err)
{
    struct strvec restore = STRVEC_INIT;

    workspace_find_lost_revision(ws, rev, &restore);
    if (restore.n)
        ds_error_hint(err,
                      "restore the file: %s; or record a head: devstack db stamp --purge head; "
                      "or start over: devstack reset",
                      restore.v[0]);
    strvec_clear(&restore);
}

/* The revision in `after` that `before` did not have. */
static const struct revision *new_revision(const struct revmap *before, const struct revmap *after)
{
    for (size_t i = 0; i < after->n; i++)
        if (!revmap_get(before, after->revs[i]->id))
            return after->revs[i];
    return NULL;
}

/* Tell the operations of a generated revision; returns how many there are. */
static size_t tell_ops(const char *path, const struct workspace_notes *notes, size_t *drops)
{
    struct buf text = BUF_INIT;
    struct workspace_ops ops;
    size_t n;

    *drops = 0;
    if (buf_read_file(&text, path, 16u << 20) < 0) {
        buf_release(&text);
        return 0;
    }
    workspace_revision_ops(text.buf, &ops);
    for (size_t i = 0; i < ops.n; i++)
        workspace_note(notes, ops.items[i].drop ? WORKSPACE_DROP : WORKSPACE_OP, "%s",
                       ops.items[i].text);
    n = ops.ops;
    *drops = ops.drops;
    workspace_ops_release(&ops);
    buf_release(&text);
    return n;
}

/* ---- bootstrap -------------------------------------------------------------------------- */

static int wait_ready(const struct workspace *ws, const struct workspace_bootstrap_options *o,
                      struct ds_error *err)
{
    struct db_wait_result res = {0};
    int rc;

    if ((rc = workspace_require(ws, WORKSPACE_NEED_URL, err)) < 0)
        return rc;
    rc = db_wait(&ws->url.url, o->wait_ms, o->cancel, &res, err);
    if (rc == 0 && res.attempts > 1)
        workspace_note(o->notes, WORKSPACE_NOTE, "database '%s' ready after %u.%01u s",
                       ws->url.url.database ? ws->url.url.database : "", res.elapsed_ms / 1000,
                       res.elapsed_ms % 1000 / 100);
    db_wait_result_release(&res);
    return rc;
}

/* The first revision, generated from the models (or empty, without a target). */
static int generate_initial(struct workspace *ws, struct state *st, bool autogenerate, bool adopt,
                            const struct workspace_notes *notes, struct ds_error *err)
{
    struct revmap after = REVMAP_INIT;
    const struct revision *rev;
    size_t drops;
    int rc;

    /* the template's env.py hides the reflected tables: the revision creates them all */
    if (adopt)
        setenv("DEVSTACK_AUTOGENERATE_FROM_EMPTY", "1", 1);
    rc = autogenerate
                 ? alembic_step(ws,
                                (const char *const[]){"revision", "--autogenerate", "-m", "initial",
                                                      NULL},
                                err)
                 : alembic_step(ws, (const char *const[]){"revision", "-m", "initial", NULL}, err);
    unsetenv("DEVSTACK_AUTOGENERATE_FROM_EMPTY");
    if (rc < 0)
        return rc;
    if (!autogenerate)
        workspace_note(notes, WORKSPACE_WARNING,
                       "env.py sets no target_metadata, so autogenerate finds no tables: the "
                       "initial revision is empty; set target_metadata (and import the models) in "
                       "env.py, then run devstack migrate");
    if ((rc = workspace_revmap(ws, &after, err)) < 0)
        return rc;
    rev = new_revision(&st->map, &after);
    if (rev) {
        workspace_note(notes, WORKSPACE_NOTE, "generated %s (%s)", rev->path, rev->id);
        if (tell_ops(rev->path, notes, &drops) == 0 && autogenerate)
            workspace_note(notes, WORKSPACE_WARNING,
                           "autogenerate found no tables: does env.py set target_metadata and "
                           "import the models?");
    }
    revmap_release(&st->map);
    st->map = after;
    return 0;
}

int workspace_bootstrap(struct workspace *ws, const struct workspace_bootstrap_options *o,
                        struct ds_error *err)
{
    enum workspace_db_step steps[WORKSPACE_DB_STEPS_MAX];
    struct state st = {.map = REVMAP_INIT};
    size_t n;
    int rc;

    if ((rc = wait_ready(ws, o, err)) < 0 || (rc = setup(ws, o->template, o->notes, err)) < 0 ||
        (rc = read_state(ws, o->adopt, &st, err)) < 0)
        goto done;
    rc = workspace_bootstrap_plan(&st.s, steps, &n, err);
    if (rc < 0) {
        if (st.s.unknown)
            hint_lost_revision(ws, st.s.unknown, err);
        goto done;
    }
    if (!n) {
        workspace_note(o->notes, WORKSPACE_NOTE, "database at head %s: nothing to do",
                       st.s.head ? st.s.head : "base");
        goto done;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *head;

        switch (steps[i]) {
        case WORKSPACE_GENERATE:
        case WORKSPACE_GENERATE_EMPTY:
            rc = generate_initial(ws, &st, steps[i] == WORKSPACE_GENERATE, o->adopt, o->notes, err);
            if (rc == 0 && !st.map.nheads) {
                /* nothing was generated: there is nothing to apply either */
                workspace_note(o->notes, WORKSPACE_NOTE, "database at head base: nothing to do");
                goto done;
            }
            break;
        case WORKSPACE_STAMP:
            head = st.map.heads[0]->id;
            rc = alembic_step(ws, (const char *const[]){"stamp", "head", NULL}, err);
            if (rc == 0)
                workspace_note(o->notes, WORKSPACE_NOTE,
                               "database stamped with head %s: its tables were kept", head);
            break;
        case WORKSPACE_UPGRADE:
            head = st.map.heads[0]->id;
            rc = alembic_step(ws, (const char *const[]){"upgrade", "head", NULL}, err);
            if (rc == 0)
                workspace_note(o->notes, WORKSPACE_NOTE, "database upgraded to head %s", head);
            break;
        }
    }

done:
    state_release(&st);
    return rc;
}

/* ---- migrate ------------------------------------------------------------------------------ */

int workspace_migrate(struct workspace *ws, const char *message,
                      const struct workspace_notes *notes, struct ds_error *err)
{
    struct state st = {.map = REVMAP_INIT};
    struct revmap after = REVMAP_INIT;
    struct buf env_py = BUF_INIT;
    const struct revision *rev;
    size_t drops = 0;
    int rc;

    if ((rc = read_state(ws, false, &st, err)) < 0)
        goto done;
    buf_addf(&env_py, "%s/env.py", ws->ini.script_location);
    if ((rc = workspace_migrate_check(&st.s, env_py.buf, err)) < 0) {
        if (st.s.unknown)
            hint_lost_revision(ws, st.s.unknown, err);
        goto done;
    }
    if ((rc = alembic_step(ws,
                           (const char *const[]){"revision", "--autogenerate", "-m", message, NULL},
                           err)) < 0 ||
        (rc = workspace_revmap(ws, &after, err)) < 0)
        goto done;
    rev = new_revision(&st.map, &after);
    if (!rev) {
        rc = ds_error_set(err, DS_ERR, "alembic revision wrote no new revision file");
        goto done;
    }
    workspace_note(notes, WORKSPACE_NOTE, "generated %s (%s)", rev->path, rev->id);
    if (tell_ops(rev->path, notes, &drops) == 0) {
        /* an empty revision is noise in the history: take it back */
        if (unlink(rev->path) < 0) {
            rc = ds_error_errno(err, errno, "cannot remove the empty revision '%s'", rev->path);
            goto done;
        }
        workspace_note(notes, WORKSPACE_NOTE,
                       "no changes between the models and the database: removed the empty "
                       "revision");
        goto done;
    }
    if (drops)
        workspace_note(notes, WORKSPACE_WARNING,
                       "%zu drop%s above: review %s before it reaches other databases", drops,
                       drops == 1 ? "" : "s", rev->path);
    if ((rc = alembic_step(ws, (const char *const[]){"upgrade", "head", NULL}, err)) < 0)
        goto done;
    workspace_note(notes, WORKSPACE_NOTE, "database upgraded to %s", rev->id);

done:
    buf_release(&env_py);
    revmap_release(&after);
    state_release(&st);
    return rc;
}
