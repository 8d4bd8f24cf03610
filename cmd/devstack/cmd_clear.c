/*
 * devstack clear: remove everything the project created (containers,
 * networks, volumes, the images built for it, the dangling build cache), or
 * with --all everything on the engine. What goes is listed first, the same
 * for a dry run and a real one; then asked about, then removed object by
 * object. The project's database is snapshotted before its data goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "confirm.h"
#include "devstack.h"
#include "signals.h"
#include "stack/clear.h"
#include "stack/stack.h"
#include "stack/system.h"
#include "util/buf.h"
#include "util/size.h"
#include "workspace/snapshot.h"
#include "util/banned.h"

#define NAME_WIDTH_MAX 48

static bool all, dry_run, yes, no_snapshot, stack_db;

const struct opt_spec cmd_clear_options[] = {
        {OPT_BOOL, "all", 0, &all, NULL,
         "every container, image, volume and network on the engine, and the build cache"},
        {OPT_BOOL, "dry-run", 0, &dry_run, NULL, "list what would go and change nothing"},
        {OPT_BOOL, "yes", 'y', &yes, NULL, "do not ask for confirmation"},
        {OPT_BOOL, "no-snapshot", 0, &no_snapshot, NULL,
         "do not snapshot the project's database before its data goes"},
        {OPT_BOOL, "stack-db", 0, &stack_db, NULL,
         "snapshot the stack's database even when DATABASE_URL names another"},
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        {0},
};

static const char *const group_titles[CLEAR_KINDS] = {"containers", "networks", "volumes", "images",
                                                      "build cache"};

static void print_size(int64_t size)
{
    struct buf b = BUF_INIT;

    size_format(&b, (uint64_t)size, SIZE_DECIMAL);
    fputs(b.buf, stdout);
    buf_release(&b);
}

/* "  name  state  size", without trailing blanks when the columns on the right are empty. */
static void print_item(const struct stack_clear_item *it, size_t width)
{
    struct buf line = BUF_INIT;

    buf_addf(&line, "  %-*s", (int)width, it->name);
    if (it->kind == CLEAR_CONTAINER)
        buf_addf(&line, "  %-10s", it->detail ? it->detail : "");
    if (it->size >= 0) {
        buf_adds(&line, "  ");
        size_format(&line, (uint64_t)it->size, SIZE_DECIMAL);
    }
    buf_rtrim(&line);
    puts(line.buf);
    buf_release(&line);
}

static void print_listing(const struct stack_clear_list *l, const char *scope,
                          const struct workspace *ws, const struct compose_service *db)
{
    size_t counts[CLEAR_KINDS] = {0}, width = 0;
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < l->n; i++) {
        size_t len = strlen(l->items[i].name);

        counts[l->items[i].kind]++;
        if (len > width)
            width = len;
    }
    if (width > NAME_WIDTH_MAX)
        width = NAME_WIDTH_MAX;
    if (l->all)
        printf("everything on this engine (%s) will be removed:\n", scope);
    else
        printf("everything of project '%s' will be removed:\n", scope);
    for (int k = 0; k < CLEAR_KINDS; k++) {
        if (!counts[k])
            continue;
        if (k == CLEAR_BUILD_CACHE)
            printf("%s:\n", group_titles[k]);
        else
            printf("%s (%zu):\n", group_titles[k], counts[k]);
        for (size_t i = 0; i < l->n; i++)
            if ((int)l->items[i].kind == k)
                print_item(&l->items[i], width);
    }
    stack_clear_describe_counts(&b, counts);
    printf("total: %s; ", b.buf);
    print_size(stack_clear_total(l));
    fputc('\n', stdout);
    if (db) {
        buf_reset(&b);
        workspace_describe_db(ws, &b);
        printf("first, a snapshot of %s (--no-snapshot: none)\n", b.buf);
    }
    buf_release(&b);
}

static void note(enum workspace_note_kind kind, const char *text, void *ud)
{
    (void)ud;
    fprintf(stderr, "%s%s\n", kind == WORKSPACE_WARNING ? "warning: " : "", text);
}

/* As each object goes. */
static void on_item(const struct stack_clear_item *it, enum stack_clear_outcome outcome,
                    int64_t freed, const struct ds_error *failure, const char *why, void *ud)
{
    const char *kind = stack_clear_kind_name(it->kind, 1);

    (void)ud;
    if (failure) {
        cmd_error(failure);
        return;
    }
    switch (outcome) {
    case CLEAR_REMOVED:
    case CLEAR_ALREADY_GONE:
        if (it->kind == CLEAR_BUILD_CACHE) {
            printf("pruned the %s", it->name);
            if (freed > 0) {
                fputs(" (", stdout);
                print_size(freed);
                fputc(')', stdout);
            }
            fputc('\n', stdout);
        } else {
            printf("removed %s %s%s\n", kind, it->name,
                   outcome == CLEAR_ALREADY_GONE ? " (it was gone already)" : "");
        }
        break;
    case CLEAR_KEPT:
        fprintf(stderr, "warning: kept %s '%s': %s\n", kind, it->name, why ? why : "still in use");
        break;
    case CLEAR_SKIPPED:
        fprintf(stderr, "note: skipped the %s: %s\n", it->name,
                why ? why : "the engine cannot prune it");
        break;
    }
    fflush(stdout);
}

/*
 * Which project: the one loaded, else (with -p and a project that would
 * not load) the label alone; NULL with --all. Fails when there is none.
 */
static int scope(struct cmd_context *ctx, const char **project, struct ds_error *err)
{
    const struct ds_error *load = &ctx->project_error;
    const char *named = ctx->globals->project_name;

    *project = ctx->project ? ctx->project->name : NULL;
    if (ctx->project || !load->code)
        return *project || all ? 0 : ds_error_set(err, DS_ENOTFOUND, "no compose project here");
    if (all) {
        /* --all needs no project; one that is there but broken loses its snapshot */
        if (load->code != DS_ENOTFOUND && !no_snapshot)
            fprintf(stderr, "warning: %s: the database is not snapshotted\n", load->msg);
        return 0;
    }
    if (named && compose_valid_project_name(named)) {
        fprintf(stderr, "warning: %s; going by the label %s=%s alone\n", load->msg, LABEL_PROJECT,
                named);
        *project = named;
        return 0;
    }
    ds_error_set(err, load->code, "%s", load->msg);
    if (load->hint)
        ds_error_hint(err, "%s", load->hint);
    return load->code;
}

int cmd_clear(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_clear_list l = {0};
    struct stack_clear_report report;
    struct stack_engine_facts facts;
    const struct compose_service *db = NULL;
    const char *project;
    char *snapshot = NULL;
    struct buf b = BUF_INIT;
    int status, rc;

    if (!dry_run && (status = cmd_lock(ctx)) != EXIT_OK)
        return status;
    stack_engine_facts(ctx->engine, 0, &facts, &err);
    if (scope(ctx, &project, &err) < 0 ||
        stack_clear_collect(ctx->engine, project, ctx->project, all, &l, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (!l.n) {
        if (all)
            printf("nothing to remove: the engine holds no containers, images, volumes, "
                   "networks or build cache\n");
        else
            printf("nothing to remove: project '%s' has nothing on this engine\n", project);
        status = EXIT_OK;
        goto done;
    }
    if (!no_snapshot && ctx->ws && (db = workspace_clear_at_risk(ctx->ws, &l)) &&
        workspace_use_stack_db(ctx->ws, "clear", stack_db, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (dry_run)
        printf("dry run: nothing will be changed\n");
    print_listing(&l, all ? facts.endpoint : project, ctx->ws, db);
    if (dry_run) {
        status = EXIT_OK;
        goto done;
    }
    fflush(stdout);

    if (all)
        rc = confirm("This removes everything listed above from the engine, other projects' "
                     "data included.",
                     "yes", yes, "--yes", &err);
    else
        rc = confirm("Remove all of this?", NULL, yes, "--yes", &err);
    if (rc < 0) {
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();
    if (db) {
        struct db_dump_stats stats;

        fprintf(stderr, "snapshot: dumping the database before clear\n");
        ctx->ws->engine = ctx->engine; /* pg_dump runs in the database's container */
        rc = workspace_snapshot_before(ctx->ws, "clear", &sig_interrupted, &snapshot, &stats, &err);
        if (rc < 0) {
            /* it says nothing was deleted, and names --no-snapshot */
            status = cmd_error(&err);
            goto done;
        }
        if (snapshot) {
            const struct workspace_notes notes = {note, NULL};

            workspace_note_snapshot(&notes, snapshot, &stats);
            printf("snapshot of the database: %s\n", snapshot);
        }
    }

    rc = stack_clear_apply(ctx->engine, &l, &sig_interrupted, &sig_forced, on_item, NULL, &report);
    stack_clear_describe_counts(&b, report.removed);
    printf("removed %s; reclaimed ", b.buf);
    print_size(report.reclaimed);
    fputc('\n', stdout);
    fflush(stdout);
    if (rc == DS_EINTR) {
        size_t left = l.n - report.done;

        fprintf(stderr, "interrupted: %zu object%s left as %s\n", left, left == 1 ? "" : "s",
                left == 1 ? "it was" : "they were");
        if (!all)
            fputs("hint: 'devstack up' recreates what the project needs; "
                  "'devstack clear' again removes the rest\n",
                  stderr);
        status = EXIT_INTERRUPTED;
    } else if (report.failed) {
        fprintf(stderr, "error: %zu object%s could not be removed\n", report.failed,
                report.failed == 1 ? "" : "s");
        status = EXIT_ERROR;
    } else {
        status = EXIT_OK;
    }

done:
    buf_release(&b);
    free(snapshot);
    stack_engine_facts_release(&facts);
    stack_clear_list_release(&l);
    ds_error_release(&err);
    return status;
}
