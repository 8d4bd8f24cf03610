/*
 * devstack db: the application database and its Alembic migration state.
 * current, heads, history, check and wait are native (no Python); upgrade,
 * downgrade, stamp, sql, revision and merge run Alembic, in the app's
 * container when we are on the host of a compose project.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devstack.h"
#include "signals.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/term.h"
#include "workspace/diagnose.h"
#include "util/banned.h"

#define DB_WAIT_DEFAULT_NS (120 * NS_PER_SEC)

static bool verbose, resolve, indicate, purge, autogenerate, graph;
static const char *range, *revision, *message;
static int64_t wait_timeout = DB_WAIT_DEFAULT_NS;
static struct strvec revisions = STRVEC_INIT;

const struct opt_spec cmd_db_current_options[] = {
        {OPT_BOOL, "verbose", 'v', &verbose, NULL, "show each revision in full"},
        CMD_ALEMBIC_OPTIONS,
        {0},
};

const struct opt_spec cmd_db_heads_options[] = {
        {OPT_BOOL, "verbose", 'v', &verbose, NULL, "show each revision in full"},
        {OPT_BOOL, "resolve-dependencies", 0, &resolve, NULL,
         "treat dependencies as down revisions"},
        CMD_ALEMBIC_OPTIONS,
        {0},
};

const struct opt_spec cmd_db_history_options[] = {
        {OPT_STRING, "rev-range", 'r', &range, "[START]:[END]",
         "only these revisions (ids, heads, base, current, -N, +N)"},
        {OPT_BOOL, "verbose", 'v', &verbose, NULL, "show each revision in full"},
        {OPT_BOOL, "indicate-current", 'i', &indicate, NULL,
         "mark the database's revisions (current)"},
        {OPT_BOOL, "graph", 0, &graph, NULL,
         "draw the revision graph as git log --graph does, the database's revisions marked"},
        CMD_ALEMBIC_OPTIONS,
        {0},
};

const struct opt_spec cmd_db_check_options[] = {CMD_ALEMBIC_OPTIONS, {0}};

const struct opt_spec cmd_db_wait_options[] = {
        {OPT_DURATION, "timeout", 't', &wait_timeout, "DURATION",
         "give up after this long (default 120s; 0: one attempt)"},
        CMD_ALEMBIC_OPTIONS,
        {0},
};

const struct opt_spec cmd_db_upgrade_options[] = {
        {OPT_ARG, "REVISION", 0, &revision, NULL, "target (default: head; +N, an id, heads)"},
        CMD_ALEMBIC_OPTIONS,
        CMD_LOCK_OPTION,
        {0},
};

const struct opt_spec cmd_db_downgrade_options[] = {
        {OPT_ARG, "REVISION", 0, &revision, NULL, "target (default: -1; an id, base)"},
        CMD_ALEMBIC_OPTIONS,
        CMD_LOCK_OPTION,
        {0},
};

const struct opt_spec cmd_db_stamp_options[] = {
        {OPT_BOOL, "purge", 0, &purge, NULL, "empty alembic_version first"},
        {OPT_ARG, "REVISION", 0, &revision, NULL, "the revision to record (head, base, an id)",
         OPT_REQUIRED},
        CMD_ALEMBIC_OPTIONS,
        CMD_LOCK_OPTION,
        {0},
};

const struct opt_spec cmd_db_sql_options[] = {
        {OPT_ARG, "[START:]END", 0, &range, NULL, "what to render (default: head)"},
        CMD_ALEMBIC_OPTIONS,
        {0},
};

const struct opt_spec cmd_db_revision_options[] = {
        {OPT_STRING, "message", 'm', &message, "MESSAGE", "what the revision does"},
        {OPT_BOOL, "autogenerate", 0, &autogenerate, NULL,
         "fill it from the difference between the models and the database"},
        CMD_ALEMBIC_OPTIONS,
        {0},
};

const struct opt_spec cmd_db_merge_options[] = {
        {OPT_STRING, "message", 'm', &message, "MESSAGE", "what the merge is for"},
        {OPT_ARGS, "REVISION", 0, &revisions, NULL, "the revisions to join (default: heads)"},
        CMD_ALEMBIC_OPTIONS,
        {0},
};

/* What the diagnosis finds wrong with the state behind a failure, as hints. */
static void print_diagnosis_hints(const struct workspace *ws)
{
    struct workspace_findings f = {0};

    if (!ws->ini_loaded || ws->url.source == WORKSPACE_URL_NONE)
        return;
    workspace_diagnose(ws, &f);
    for (size_t i = 0; i < f.n; i++)
        if (f.items[i].verdict != WORKSPACE_OK && f.items[i].fix)
            fprintf(stderr, "hint: %s: %s\n", f.items[i].detail, f.items[i].fix);
    workspace_findings_release(&f);
}

/* Print an error with what the diagnosis says about the state behind it. */
static int fail_with_diagnosis(const struct workspace *ws, const struct ds_error *err)
{
    int status = cmd_error(err);

    print_diagnosis_hints(ws);
    return status;
}

/* Print what a native verb made, or its error. */
static int finish(const struct buf *out, int rc, const struct ds_error *err)
{
    if (rc < 0)
        return cmd_error(err);
    fwrite(out->buf, 1, out->len, stdout);
    return EXIT_OK;
}

/* ---- native verbs ------------------------------------------------------------- */

int cmd_db_current(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT;
    struct buf out = BUF_INIT;
    bool exists;
    int status;

    if (workspace_revmap(ctx->ws, &map, &err) < 0 ||
        workspace_versions(ctx->ws, &versions, &exists, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (verbose) {
        buf_adds(&out, "Current revision(s) for ");
        workspace_url_shown(ctx->ws, &out);
        buf_adds(&out, ":\n");
    }
    if (alembic_format_current(&out, &map, &versions, verbose, &err) < 0) {
        status = fail_with_diagnosis(ctx->ws, &err);
        goto done;
    }
    status = finish(&out, 0, &err);

done:
    buf_release(&out);
    strvec_clear(&versions);
    revmap_release(&map);
    ds_error_release(&err);
    return status;
}

int cmd_db_heads(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct buf out = BUF_INIT;
    int rc, status;

    rc = workspace_revmap(ctx->ws, &map, &err);
    if (rc == 0)
        rc = alembic_format_heads(&out, &map, verbose, resolve, &err);
    status = finish(&out, rc, &err);
    buf_release(&out);
    revmap_release(&map);
    ds_error_release(&err);
    return status;
}

/*
 * --graph: every revision, so no range; the database's revisions are marked
 * when it answers, and the graph is drawn without them when it does not.
 */
static int history_graph(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT;
    struct buf out = BUF_INIT;
    bool exists, known = true;
    int rc, status;

    if (range || verbose || indicate) {
        status = cmd_usage_error(ctx, "--graph draws every revision and marks the current "
                                      "ones: it takes neither -r, -v nor -i");
        goto done;
    }
    rc = workspace_revmap(ctx->ws, &map, &err);
    if (rc < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (workspace_versions(ctx->ws, &versions, &exists, &err) < 0) {
        fprintf(stderr, "note: the database's revisions are not marked: %s\n", err.msg);
        ds_error_release(&err);
        known = false;
    }
    rc = alembic_format_graph(&out, &map, known ? &versions : NULL, term_use_color(stdout), &err);
    status = finish(&out, rc, &err);

done:
    buf_release(&out);
    strvec_clear(&versions);
    revmap_release(&map);
    ds_error_release(&err);
    return status;
}

int cmd_db_history(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT;
    struct buf out = BUF_INIT;
    /* the database is read only when asked for: history works offline otherwise */
    bool exists, need_db = indicate || (range && strstr(range, "current"));
    int rc, status;

    if (graph)
        return history_graph(ctx);
    rc = workspace_revmap(ctx->ws, &map, &err);
    if (rc == 0 && need_db)
        rc = workspace_versions(ctx->ws, &versions, &exists, &err);
    if (rc == 0)
        rc = alembic_format_history_db(&out, &map, range, verbose, need_db ? &versions : NULL,
                                       indicate, &err);
    status = finish(&out, rc, &err);
    buf_release(&out);
    strvec_clear(&versions);
    revmap_release(&map);
    ds_error_release(&err);
    return status;
}

static void join(struct buf *out, const struct strvec *v, const char *sep)
{
    for (size_t i = 0; i < v->n; i++)
        buf_addf(out, "%s%s", i ? sep : "", v->v[i]);
}

int cmd_db_check(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct revmap map = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT, heads = STRVEC_INIT;
    struct buf list = BUF_INIT, at = BUF_INIT;
    bool exists;
    int status;

    if (workspace_revmap(ctx->ws, &map, &err) < 0 ||
        workspace_versions(ctx->ws, &versions, &exists, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    for (size_t i = 0; i < versions.n; i++) {
        if (!revmap_get(&map, versions.v[i])) {
            ds_error_set(&err, DS_ENOTFOUND, "Can't locate revision identified by '%s'",
                         versions.v[i]);
            status = fail_with_diagnosis(ctx->ws, &err);
            goto done;
        }
    }
    if (workspace_heads(&map, &heads, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    join(&list, &heads, ", ");
    join(&at, &versions, ", ");
    if (workspace_at_heads(&map, &versions)) {
        printf("database is up to date: at %s %s\n", heads.n > 1 ? "heads" : "head",
               list.len ? list.buf : "base (no revisions)");
        status = EXIT_OK;
    } else if (!versions.n) {
        fprintf(stderr, "database is not up to date: no revision applied%s; head%s %s\n",
                exists ? "" : " (no alembic_version table)", heads.n > 1 ? "s" : "", list.buf);
        fprintf(stderr, "hint: apply them with 'devstack db upgrade'\n");
        status = EXIT_ERROR;
    } else {
        fprintf(stderr, "database is not up to date: at %s; head%s %s\n", at.buf,
                heads.n > 1 ? "s" : "", list.buf);
        if (heads.n > 1)
            fprintf(stderr,
                    "hint: the scripts have %zu heads: apply them all with 'devstack db "
                    "upgrade heads', or join them with 'devstack db merge -m MESSAGE heads'\n",
                    heads.n);
        else
            fprintf(stderr, "hint: apply them with 'devstack db upgrade'\n");
        status = EXIT_ERROR;
    }

done:
    buf_release(&list);
    buf_release(&at);
    strvec_clear(&heads);
    strvec_clear(&versions);
    revmap_release(&map);
    ds_error_release(&err);
    return status;
}

int cmd_db_wait(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_wait_result res = {0};
    const struct db_url *url = &ctx->ws->url.url;
    int status, rc;

    signals_catch();
    rc = workspace_wait(ctx->ws, (unsigned)(wait_timeout / 1000000), &sig_interrupted, &res, &err);
    if (rc == DS_EINTR) {
        status = EXIT_INTERRUPTED;
    } else if (rc < 0) {
        status = cmd_error(&err);
    } else {
        printf("database '%s' ready after %u.%01u s (%u attempt%s)\n",
               url->database ? url->database : "", res.elapsed_ms / 1000,
               res.elapsed_ms % 1000 / 100, res.attempts, res.attempts == 1 ? "" : "s");
        status = EXIT_OK;
    }
    db_wait_result_release(&res);
    ds_error_release(&err);
    return status;
}

/* ---- verbs that run Alembic ---------------------------------------------------- */

/*
 * Run Alembic with args: here (holding the migrations' lock, for the verbs
 * that change something), or (on the host of a compose project) by running
 * this command line again in the app's container.
 */
static int run_alembic(struct cmd_context *ctx, const struct strvec *args)
{
    struct ds_error err = DS_ERROR_INIT;
    const char *app = workspace_alembic_service(ctx->ws);
    int status;

    if (app)
        return cmd_rerun_in(ctx, app);
    if ((status = cmd_lock_migrations(ctx)) != EXIT_OK)
        return status;
    status = workspace_alembic(ctx->ws, args, NULL, NULL, &err);
    if (status < 0)
        status = cmd_error(&err);
    else if (status != 0)
        print_diagnosis_hints(ctx->ws);
    ds_error_release(&err);
    return status;
}

static int alembic_verb(struct cmd_context *ctx, const char *const *argv)
{
    struct strvec args = STRVEC_INIT;
    int status;

    for (; *argv; argv++)
        if (**argv)
            strvec_push(&args, *argv);
    status = run_alembic(ctx, &args);
    strvec_clear(&args);
    return status;
}

int cmd_db_upgrade(struct cmd_context *ctx)
{
    return alembic_verb(ctx, (const char *const[]){"upgrade", revision ? revision : "head", NULL});
}

int cmd_db_downgrade(struct cmd_context *ctx)
{
    return alembic_verb(ctx, (const char *const[]){"downgrade", revision ? revision : "-1", NULL});
}

int cmd_db_stamp(struct cmd_context *ctx)
{
    return alembic_verb(ctx,
                        (const char *const[]){"stamp", purge ? "--purge" : "", revision, NULL});
}

int cmd_db_sql(struct cmd_context *ctx)
{
    return alembic_verb(ctx,
                        (const char *const[]){"upgrade", range ? range : "head", "--sql", NULL});
}

int cmd_db_revision(struct cmd_context *ctx)
{
    if (!message)
        return cmd_usage_error(ctx, "missing -m MESSAGE");
    return alembic_verb(ctx, (const char *const[]){"revision", "-m", message,
                                                   autogenerate ? "--autogenerate" : "", NULL});
}

int cmd_db_merge(struct cmd_context *ctx)
{
    struct strvec args = STRVEC_INIT;
    int status;

    if (!message) {
        status = cmd_usage_error(ctx, "missing -m MESSAGE");
        goto done;
    }
    strvec_pushv(&args, (const char *const[]){"merge", "-m", message, NULL});
    if (revisions.n)
        for (size_t i = 0; i < revisions.n; i++)
            strvec_push(&args, revisions.v[i]);
    else
        strvec_push(&args, "heads");
    status = run_alembic(ctx, &args);

done:
    strvec_clear(&args);
    strvec_clear(&revisions);
    return status;
}
