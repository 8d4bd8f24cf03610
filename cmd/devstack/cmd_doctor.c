/* devstack doctor: check what devstack depends on and say how to fix what is wrong. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devstack.h"
#include "util/term.h"
#include "workspace/diagnose.h"
#include "util/banned.h"

const struct opt_spec cmd_doctor_options[] = {{0}};

struct report {
    bool color;
    int failed, warned;
};

static void print_findings(struct report *r, const struct workspace_findings *f)
{
    static const char *const words[] = {"ok", "warn", "FAIL"};
    static const char *const colors[] = {TERM_GREEN, TERM_YELLOW, TERM_RED};

    for (size_t i = 0; i < f->n; i++) {
        const struct workspace_finding *it = &f->items[i];

        printf("  %s%-4s%s  %-16s %s\n", r->color ? colors[it->verdict] : "", words[it->verdict],
               r->color ? TERM_RESET : "", it->what, it->detail);
        if (it->fix && it->verdict != WORKSPACE_OK)
            printf("        %-16s fix: %s\n", "", it->fix);
        r->failed += it->verdict == WORKSPACE_FAIL;
        r->warned += it->verdict == WORKSPACE_WARN;
    }
}

int cmd_doctor(struct cmd_context *ctx)
{
    struct report r = {.color = term_use_color(stdout)};
    struct workspace_findings engine = {0}, database = {0};
    const struct ds_error *load = &ctx->project_error;
    struct engine *e = cmd_engine(ctx);

    printf("Engine\n");
    workspace_check_engine(e, e ? NULL : &ctx->engine_error, &engine);
    print_findings(&r, &engine);

    /* a directory without a compose file is a plain Alembic project, unless -f named one */
    if (load->code && !(load->code == DS_ENOTFOUND && !ctx->globals->files.n))
        workspace_findings_add(&database, WORKSPACE_FAIL, "project", load->hint, "%s", load->msg);
    else if (ctx->ws && workspace_has_migrations(ctx->ws))
        workspace_diagnose(ctx->ws, &database);
    /* nothing to say about a directory that has neither */
    if (database.n) {
        printf("\nDatabase\n");
        print_findings(&r, &database);
    }
    printf("\n%d problem%s, %d warning%s\n", r.failed, r.failed == 1 ? "" : "s", r.warned,
           r.warned == 1 ? "" : "s");
    workspace_findings_release(&engine);
    workspace_findings_release(&database);
    return r.failed ? EXIT_ERROR : EXIT_OK;
}
