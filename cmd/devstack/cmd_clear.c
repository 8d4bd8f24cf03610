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
#include "dbcmd.h"
#include "devstack.h"
#include "signals.h"
#include "stack/clear.h"
#include "stack/stack.h"
#include "util/buf.h"
#include "util/size.h"
#include "util/banned.h"

#define NAME_WIDTH_MAX 48

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

static void print_listing(const struct stack_clear_list *l, const char *project,
                          const struct compose_service *db)
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
        printf("everything on this engine (%s) will be removed:\n",
               engine_get_endpoint(ds.engine)->host);
    else
        printf("everything of project '%s' will be removed:\n", project);
    for (int k = 0; k < CLEAR_KINDS; k++) {
        if (!counts[k])
            continue;
        if (k == CLEAR_BUILD_CACHE)
            printf("%s:\n", group_titles[k]);
        else
            printf("%s (%zu):\n", group_titles[k], counts[k]);
        for (size_t i = 0; i < l->n; i++) {
            const struct stack_clear_item *it = &l->items[i];

            if ((int)it->kind != k)
                continue;
            print_item(it, width);
        }
    }
    stack_clear_describe_counts(&b, counts);
    printf("total: %s; ", b.buf);
    print_size(stack_clear_total(l));
    fputc('\n', stdout);
    if (db)
        printf("the database of service '%s' is snapshotted first (--no-snapshot: not)\n",
               db->name);
    buf_release(&b);
}

/* What is left after Ctrl-C, and what repairs it. */
static int interrupted(size_t left, bool all)
{
    fprintf(stderr, "interrupted: %zu object%s left as %s\n", left, left == 1 ? "" : "s",
            left == 1 ? "it was" : "they were");
    if (!all)
        fputs("hint: 'devstack up' recreates what the project needs; "
              "'devstack clear' again removes the rest\n",
              stderr);
    return EXIT_INTERRUPTED;
}

int cmd_clear(int argc, char **argv)
{
    static bool all, dry_run, yes, no_snapshot;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "all", 0, &all, NULL,
             "every container, image, volume and network on the engine, and the build cache"},
            {OPT_BOOL, "dry-run", 0, &dry_run, NULL, "list what would go and change nothing"},
            {OPT_BOOL, "yes", 'y', &yes, NULL, "do not ask for confirmation"},
            {OPT_BOOL, "no-snapshot", 0, &no_snapshot, NULL,
             "do not snapshot the project's database before its data goes"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT, load_err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct stack_clear_list l = {0};
    const struct compose_service *db = NULL;
    const char *project = NULL;
    char *snapshot = NULL;
    size_t removed[CLEAR_KINDS] = {0}, failed = 0, done = 0;
    int64_t reclaimed = 0;
    struct buf b = BUF_INIT;
    int status, rc;

    if (!cmd_parse("clear", opts, argc, argv, 0, NULL, &status))
        return status;
    if (cmd_connect_engine(&err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (cmd_load_project(&p, false, NULL, &load_err) < 0) {
        compose_project_free(p);
        p = NULL;
        if (all) {
            /* --all needs no project; one that is there but broken loses its snapshot */
            if (load_err.code != DS_ENOTFOUND && !no_snapshot)
                fprintf(stderr, "warning: %s: the database is not snapshotted\n", load_err.msg);
        } else if (ds.project_name && compose_valid_project_name(ds.project_name)) {
            fprintf(stderr, "warning: %s; going by the label %s=%s alone\n", load_err.msg,
                    LABEL_PROJECT, ds.project_name);
            project = ds.project_name;
        } else {
            status = cmd_error(&load_err);
            goto done;
        }
    }
    if (p)
        project = p->name;

    if (stack_clear_collect(ds.engine, project, p, all, &l, &err) < 0) {
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
    if (!no_snapshot)
        db = stack_clear_db_at_risk(&l, p);
    if (dry_run)
        printf("dry run: nothing will be changed\n");
    print_listing(&l, project, db);
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
    if (db) {
        rc = db_snapshot_before(p, "clear", &snapshot, &err);
        if (rc < 0) {
            /* it says nothing was deleted, and names --no-snapshot */
            status = cmd_error(&err);
            goto done;
        }
        if (rc > 0 && snapshot)
            printf("snapshot of the database: %s\n", snapshot);
    }

    signals_catch();
    engine_set_cancel_flag(ds.engine, &sig_forced);
    for (size_t i = 0; i < l.n; i++, done++) {
        const struct stack_clear_item *it = &l.items[i];
        const char *kind = stack_clear_kind_name(it->kind, 1);
        enum stack_clear_outcome outcome;
        int64_t freed = 0;

        if (sig_interrupted)
            break;
        rc = stack_clear_remove(ds.engine, &l, it, &outcome, &freed, &err);
        if (rc == DS_EINTR)
            break;
        if (rc < 0) {
            ds_error_wrap(&err, "removing %s '%s'", kind, it->name);
            cmd_error(&err);
            ds_error_release(&err);
            failed++;
            continue;
        }
        switch (outcome) {
        case CLEAR_REMOVED:
        case CLEAR_ALREADY_GONE:
            removed[it->kind]++;
            reclaimed += freed;
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
            fprintf(stderr, "warning: kept %s '%s': %s\n", kind, it->name,
                    err.msg ? err.msg : "still in use");
            break;
        case CLEAR_SKIPPED:
            fprintf(stderr, "note: skipped the %s: %s\n", it->name,
                    err.msg ? err.msg : "the engine cannot prune it");
            break;
        }
        ds_error_release(&err);
        fflush(stdout);
    }
    engine_set_cancel_flag(ds.engine, NULL);

    stack_clear_describe_counts(&b, removed);
    printf("removed %s; reclaimed ", b.buf);
    print_size(reclaimed);
    fputc('\n', stdout);
    fflush(stdout);
    if (done < l.n) {
        status = interrupted(l.n - done, all);
    } else if (failed) {
        fprintf(stderr, "error: %zu object%s could not be removed\n", failed,
                failed == 1 ? "" : "s");
        status = EXIT_ERROR;
    } else {
        status = EXIT_OK;
    }

done:
    buf_release(&b);
    free(snapshot);
    stack_clear_list_release(&l);
    compose_project_free(p);
    ds_error_release(&err);
    ds_error_release(&load_err);
    return status;
}
