/*
 * devstack reset: the "delete alembic/, alembic.ini and mysql/data" ritual,
 * made safe (src/workspace/reset.h): the plan is printed, asked about (or
 * --yes), carried out after a snapshot of the database.
 */
#include <stdio.h>

#include "confirm.h"
#include "devstack.h"
#include "progress.h"
#include "signals.h"
#include "util/buf.h"
#include "util/path.h"
#include "workspace/reset.h"
#include "util/banned.h"

static bool yes, no_snapshot, keep_data, stack_db;

const struct opt_spec cmd_reset_options[] = {
        {OPT_BOOL, "yes", 'y', &yes, NULL, "do not ask (needed without a terminal)"},
        {OPT_BOOL, "no-snapshot", 0, &no_snapshot, NULL,
         "go on without a snapshot of the database (when it cannot be taken)"},
        {OPT_BOOL, "keep-data", 0, &keep_data, NULL,
         "reset only the Alembic state: keep the data, stamp a new initial revision"},
        {OPT_BOOL, "stack-db", 0, &stack_db, NULL,
         "use the stack's database even when DATABASE_URL names another"},
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        {0},
};

static void print_plan(const struct workspace_reset_plan *r, const struct workspace *ws)
{
    struct buf db = BUF_INIT;

    workspace_describe_db(ws, &db);
    fprintf(stderr, "reset of project '%s':\n", ws->project->name);
    if (r->snapshot)
        fprintf(stderr, "  - first, a snapshot of %s\n", db.buf);
    buf_release(&db);
    if (!r->keep_data) {
        fprintf(stderr, "  - stop and remove the project's %zu %s\n", r->containers,
                r->containers == 1 ? "container" : "containers");
        if (r->volume)
            fprintf(stderr, "  - DELETE the database's data: volume '%s'\n", r->volume);
        else if (r->bind_dir)
            fprintf(stderr, "  - DELETE the database's data: everything in '%s'\n", r->bind_dir);
        else
            fprintf(stderr, "  - the database's data is in an anonymous volume: it goes with "
                            "its container\n");
    } else {
        fprintf(stderr, "  - keep the database's data; drop its alembic_version table\n");
    }
    if (r->move_alembic)
        fprintf(stderr, "  - move %s and %s/ to %s/\n", r->ini, r->scripts, r->aside);
    else if (r->kept_why)
        fprintf(stderr, "  - keep %s and %s/: %s\n", r->ini, r->scripts, r->kept_why);
    fprintf(stderr, r->keep_data ? "  - generate a new initial revision from the models and stamp "
                                   "the database with it\n"
                                 : "  - bring the stack up again: a new database, migrations "
                                   "bootstrapped from the models\n");
}

static void note(enum workspace_note_kind kind, const char *text, void *ud)
{
    (void)ud;
    fprintf(stderr, "%s%s\n", kind == WORKSPACE_WARNING ? "warning: " : "", text);
}

static int exec_in_app(const char *service, const struct strvec *cmd, const struct strvec *env,
                       void *ud)
{
    return cmd_exec_in(ud, service, cmd, env);
}

int cmd_reset(struct cmd_context *ctx)
{
    const struct workspace_notes notes = {note, NULL};
    struct ds_error err = DS_ERROR_INIT;
    struct workspace_reset_plan plan = {0};
    struct workspace_reset_result res = {0};
    struct stack_options up = {.bind_all = cmd_bind_all()};
    struct stack_apply_options ao = {.cancel = &sig_forced, .on_event = progress_event};
    struct workspace_reset_options o = {
            .ao = &ao,
            .up = &up,
            .exec = exec_in_app,
            .ud = ctx,
            .cancel = &sig_interrupted,
            .notes = &notes,
    };
    struct progress *prog = NULL;
    int status = EXIT_OK, rc;

    if (workspace_use_stack_db(ctx->ws, "reset", stack_db, &err) < 0 ||
        workspace_reset_prepare(&plan, ctx->ws, ctx->engine, keep_data, no_snapshot, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    print_plan(&plan, ctx->ws);
    if (confirm("Reset?", NULL, yes, "--yes", &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();
    prog = progress_new(stderr, PROGRESS_AUTO);
    ao.ud = prog;
    ctx->ws->engine = ctx->engine; /* its snapshot of a PostgreSQL database runs pg_dump there */
    rc = workspace_reset(ctx->ws, ctx->engine, &plan, &o, &res, &err);
    progress_finish(prog);
    if (rc < 0) {
        status = cmd_error(&err);
        if (res.snapshot)
            fprintf(stderr, "the snapshot taken before: %s\n", res.snapshot);
        goto done;
    }
    if (res.ready.service)
        fprintf(stderr, "%s: ready: '%s' answers queries as '%s'\n", res.ready.service,
                res.ready.database ? res.ready.database : "", res.ready.user);
    if (res.came_up && cmd_show_services(ctx, &err) < 0) {
        fprintf(stderr, "warning: cannot list the services: %s\n", err.msg);
        ds_error_release(&err);
    }
    printf("reset done\n");
    if (res.snapshot) {
        const char *base = path_basename(res.snapshot);

        printf("the database before the reset: %s\n", res.snapshot);
        printf("bring it back with: devstack db snapshot restore %s\n", base);
        if (res.moved)
            printf("its alembic.ini and migrations are in %s/\n", plan.aside);
    }

done:
    progress_free(prog);
    workspace_reset_result_release(&res);
    workspace_reset_plan_release(&plan);
    ds_error_release(&err);
    return status;
}
