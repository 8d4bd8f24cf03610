/*
 * devstack migrate: what backend.sh and `make db-migrate` did. --bootstrap
 * creates the Alembic setup when it is missing, the first revision when
 * there is none, and upgrades to head; idempotent, run on every start of
 * the app container. Without it: refuse unless the database is at head,
 * autogenerate a revision, show its operations (drops flagged), upgrade.
 * On the host of a compose project it runs in the app service's container.
 * Two at once (the app container's entrypoint and the dev container's
 * postStartCommand both bootstrap) take turns: the second finds the first's
 * work done.
 */
#include <stdio.h>

#include "devstack.h"
#include "signals.h"
#include "util/duration.h"
#include "workspace/bootstrap.h"
#include "util/banned.h"

#define BOOTSTRAP_WAIT_NS (120 * NS_PER_SEC)

static bool bootstrap, adopt;
static const char *message, *template;
static int64_t timeout = BOOTSTRAP_WAIT_NS;

const struct opt_spec cmd_migrate_options[] = {
        {OPT_STRING, "message", 'm', &message, "MESSAGE", "what changed (default: \"auto\")"},
        {OPT_BOOL, "bootstrap", 0, &bootstrap, NULL,
         "create what is missing (alembic.ini, migrations/, the first revision), then upgrade to "
         "head"},
        {OPT_BOOL, "adopt", 0, &adopt, NULL,
         "with --bootstrap: the database has the tables; generate the first revision as if it "
         "were empty and stamp it instead of upgrading"},
        {OPT_STRING, "template", 0, &template, "FILE",
         "env.py to install on bootstrap (default: templates/env.py)"},
        {OPT_DURATION, "timeout", 't', &timeout, "DURATION",
         "how long bootstrap waits for the database (default 120s)"},
        {OPT_STRING, "config", 'c', &cmd_alembic_config, "FILE", "alembic.ini to use"},
        CMD_LOCK_OPTION,
        {0},
};

/* What the workspace tells on the way, as the old scripts printed it: on stdout. */
static void note(enum workspace_note_kind kind, const char *text, void *ud)
{
    (void)ud;
    switch (kind) {
    case WORKSPACE_NOTE:
        printf("%s\n", text);
        break;
    case WORKSPACE_WARNING:
        printf("warning: %s\n", text);
        break;
    case WORKSPACE_OP:
        printf("    %s\n", text);
        break;
    case WORKSPACE_DROP:
        printf("  ! %s\n", text);
        break;
    }
    fflush(stdout);
}

int cmd_migrate(struct cmd_context *ctx)
{
    const struct workspace_notes notes = {note, NULL};
    struct ds_error err = DS_ERROR_INIT;
    const char *app = workspace_alembic_service(ctx->ws);
    int status, rc;

    if (adopt && !bootstrap)
        return cmd_usage_error(ctx, "--adopt goes with --bootstrap");
    if (app)
        return cmd_rerun_in(ctx, app);
    signals_catch();
    if ((status = cmd_lock_migrations(ctx)) != EXIT_OK)
        return status;
    if (bootstrap) {
        struct workspace_bootstrap_options o = {
                .template = template,
                .wait_ms = (unsigned)(timeout / 1000000),
                .adopt = adopt,
                .cancel = &sig_interrupted,
                .notes = &notes,
        };

        rc = workspace_bootstrap(ctx->ws, &o, &err);
    } else {
        rc = workspace_require(ctx->ws, WORKSPACE_NEED_INI, &err);
        if (rc == 0)
            rc = workspace_migrate(ctx->ws, message ? message : "auto", &notes, &err);
    }
    if (rc == DS_EINTR)
        status = EXIT_INTERRUPTED;
    else
        status = rc < 0 ? cmd_error(&err) : EXIT_OK;
    ds_error_release(&err);
    return status;
}
