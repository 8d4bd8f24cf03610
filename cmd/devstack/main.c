/*
 * devstack: one binary for a Docker Compose dev stack with MySQL and Alembic.
 *
 * This file holds the command tables, the global options and the one
 * dispatcher that serves every level (devstack X, devstack db X, devstack db
 * snapshot X): it finds the command, parses its options with its table,
 * establishes what the table says the command needs (an engine, the compose
 * project with its SERVICE arguments checked, the workspace) and runs it
 * with that context. Each command lives in its own cmd_<name>.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "devstack.h"
#include "reference.h"
#include "signals.h"
#include "stack/lock.h"
#include "stack/stack.h"
#include "stack/system.h"
#include "util/buf.h"
#include "util/path.h"
#include "util/term.h"
#include "workspace/workspace.h"
#include "util/banned.h"

#ifndef DEVSTACK_VERSION
#define DEVSTACK_VERSION "0.0.0"
#endif

const char *cmd_alembic_config, *cmd_alembic_section;
bool cmd_no_interpolate, cmd_no_lock_wait, cmd_take_over;
static struct stack_lock project_lock = STACK_LOCK_INIT, migrations_lock = STACK_LOCK_INIT;

static int cmd_help(struct cmd_context *ctx);
static struct strvec help_topic = STRVEC_INIT;
static const struct opt_spec help_options[] = {
        {OPT_ARGS, "COMMAND", 0, &help_topic, NULL, "the command to explain (db current, ...)"},
        {0},
};

/* the hidden commands, given the tables below */
static int run_complete(struct cmd_context *ctx);
static int run_man(struct cmd_context *ctx);
static int run_commands(struct cmd_context *ctx);

#define DB_NEEDS (WANT_PROJECT | NEED_WORKSPACE)

static const struct command snapshot_commands[] = {
        {"restore", cmd_db_snapshot_restore, cmd_db_snapshot_restore_options, DB_NEEDS | NEED_LOCK,
         "Replace the database with a snapshot (its name, label or a prefix, or --latest)"},
        {"rm", cmd_db_snapshot_rm, cmd_db_snapshot_rm_options, DB_NEEDS,
         "Remove a snapshot (its full name)"},
        {"ls", cmd_db_snapshots, cmd_db_snapshots_options, DB_NEEDS, "List the snapshots"},
        {"list", cmd_db_snapshots, cmd_db_snapshots_options, DB_NEEDS, "List the snapshots"},
        {NULL},
};

static const struct command db_commands[] = {
        {"current", cmd_db_current, cmd_db_current_options, DB_NEEDS | NEED_INI | NEED_DB_URL,
         "Show the database's revision (native)"},
        {"heads", cmd_db_heads, cmd_db_heads_options, DB_NEEDS | NEED_INI,
         "Show the heads of the revision scripts (native)"},
        {"history", cmd_db_history, cmd_db_history_options, DB_NEEDS | NEED_INI,
         "List the revisions, newest first (native)"},
        {"check", cmd_db_check, cmd_db_check_options, DB_NEEDS | NEED_INI | NEED_DB_URL,
         "Exit 0 when the database is at the heads, 1 otherwise (native)"},
        {"wait", cmd_db_wait, cmd_db_wait_options, DB_NEEDS | NEED_DB_URL,
         "Wait until the app user can query the app database"},
        {"upgrade", cmd_db_upgrade, cmd_db_upgrade_options,
         DB_NEEDS | NEED_INI | NEED_LOCK | LOCK_MIGRATIONS,
         "Upgrade to a revision (default: head) with Alembic"},
        {"downgrade", cmd_db_downgrade, cmd_db_downgrade_options,
         DB_NEEDS | NEED_INI | NEED_LOCK | LOCK_MIGRATIONS,
         "Downgrade to a revision (default: -1) with Alembic"},
        {"stamp", cmd_db_stamp, cmd_db_stamp_options,
         DB_NEEDS | NEED_INI | NEED_LOCK | LOCK_MIGRATIONS,
         "Record a revision without running migrations"},
        {"sql", cmd_db_sql, cmd_db_sql_options, DB_NEEDS | NEED_INI,
         "Print the SQL of upgrades without running them (offline)"},
        {"revision", cmd_db_revision, cmd_db_revision_options,
         DB_NEEDS | NEED_INI | LOCK_MIGRATIONS,
         "Create a revision script (--autogenerate from the models)"},
        {"merge", cmd_db_merge, cmd_db_merge_options, DB_NEEDS | NEED_INI | LOCK_MIGRATIONS,
         "Create a merge revision joining heads"},
        {"dump", cmd_db_dump, cmd_db_dump_options, DB_NEEDS | NEED_DB_URL,
         "Write a consistent dump of the database (FILE, .gz, or -)"},
        {"restore", cmd_db_restore, cmd_db_restore_options, DB_NEEDS | NEED_DB_URL | NEED_LOCK,
         "Replace the database with a dump (asks, keeps a snapshot)"},
        {"snapshot", cmd_db_snapshot, cmd_db_snapshot_options, DB_NEEDS | NEED_DB_URL,
         "Keep a snapshot in .devstack/snapshots (snapshot restore NAME|--latest, snapshot rm)",
         snapshot_commands},
        {"snapshots", cmd_db_snapshots, cmd_db_snapshots_options, DB_NEEDS,
         "List the snapshots: name, date, size, revision"},
        {"shell", cmd_db_shell, cmd_db_shell_options, DB_NEEDS,
         "Open the database's client (mysql, psql) in its container (--root)"},
        {NULL},
};

#define STACK_NEEDS (NEED_ENGINE | NEED_PROJECT)
/* the commands that change the project: they stop at another checkout's containers */
#define STACK_CHANGES (STACK_NEEDS | CHANGES_PROJECT)

static const struct command commands[] = {
        {"__complete", run_complete, cmd_complete_options, HIDDEN_COMMAND,
         "Complete a command line for the shell (devstack completion)", NULL,
         OPT_PARSE_STOP_AT_ARG},
        {"__man", run_man, cmd_man_options, HIDDEN_COMMAND, "Print devstack(1) in roff"},
        {"__commands", run_commands, cmd_commands_options, HIDDEN_COMMAND,
         "List every command and its options"},
        {"attach", cmd_attach, cmd_attach_options, STACK_NEEDS,
         "Attach the terminal (or stdin and stdout) to a service's running container"},
        {"build", cmd_build, cmd_build_options, STACK_CHANGES,
         "Build the images of services that have a build section"},
        {"clear", cmd_clear, cmd_clear_options,
         NEED_ENGINE | WANT_PROJECT | KEEP_LOAD_ERROR | NEED_WORKSPACE | LOCK_ITSELF |
                 CHANGES_PROJECT,
         "Remove everything the project created (--all: the whole engine)"},
        {"completion", cmd_completion, cmd_completion_options, 0,
         "Print the shell's completion script: bash or zsh"},
        {"config", cmd_config, cmd_config_options, NEED_PROJECT,
         "Show the resolved compose model (interpolated and merged)"},
        {"cp", cmd_cp, cmd_cp_options, STACK_NEEDS,
         "Copy files between a service's container and here (SERVICE:SRC DEST, SRC SERVICE:DEST)"},
        {"create", cmd_create, cmd_create_options, STACK_CHANGES | NEED_LOCK,
         "Create the services' containers (images, networks, volumes) without starting them"},
        {"db", NULL, NULL, 0,
         "Database state and Alembic migrations: current, history, upgrade, ...", db_commands},
        {"doctor", cmd_doctor, cmd_doctor_options, WANT_PROJECT | KEEP_LOAD_ERROR | NEED_WORKSPACE,
         "Check the engine and the machine, and explain what is wrong"},
        {"down", cmd_down, cmd_down_options, STACK_CHANGES | NEED_LOCK,
         "Stop and remove the project's containers and networks"},
        {"events", cmd_events, cmd_events_options, STACK_NEEDS,
         "Follow the project's container events (--json)"},
        {"exec", cmd_exec, cmd_exec_options, STACK_NEEDS,
         "Run a command in a service's running container", NULL, OPT_PARSE_STOP_AT_ARG},
        {"help", cmd_help, help_options, 0, "Show help for devstack or one of its commands"},
        {"images", cmd_images, cmd_images_options, STACK_NEEDS,
         "List the images the project's containers were created from"},
        {"kill", cmd_kill, cmd_kill_options, STACK_CHANGES,
         "Force the services' containers to stop (SIGKILL, or -s SIGNAL)"},
        {"logs", cmd_logs, cmd_logs_options, STACK_NEEDS | SHOWS_PROJECT,
         "Show (and follow) the output of services"},
        {"ls", cmd_ls, cmd_ls_options, NEED_ENGINE, "List the compose projects on this engine"},
        {"migrate", cmd_migrate, cmd_migrate_options,
         DB_NEEDS | NEED_DB_URL | NEED_LOCK | LOCK_MIGRATIONS,
         "Generate a revision from the models and upgrade (--bootstrap)"},
        {"pause", cmd_pause, cmd_pause_options, STACK_CHANGES | NEED_LOCK,
         "Pause the services' containers"},
        {"port", cmd_port, cmd_port_options, STACK_NEEDS,
         "Print where a service's private port is published (HOST:PORT)"},
        {"ps", cmd_ps, cmd_ps_options, STACK_NEEDS | SHOWS_PROJECT,
         "List the project's containers"},
        {"pull", cmd_pull, cmd_pull_options, STACK_NEEDS, "Pull the images of services"},
        {"reset", cmd_reset, cmd_reset_options,
         NEED_ENGINE | DB_NEEDS | NEED_LOCK | CHANGES_PROJECT,
         "Start the database and migrations afresh, after a snapshot (--keep-data: migrations)"},
        {"restart", cmd_restart, cmd_restart_options, STACK_CHANGES | NEED_LOCK,
         "Restart services"},
        {"run", cmd_run, cmd_run_options, STACK_CHANGES | NEED_LOCK,
         "Run a one-off command in a new container of a service", NULL, OPT_PARSE_STOP_AT_ARG},
        {"rm", cmd_rm, cmd_rm_options, STACK_CHANGES | NEED_LOCK,
         "Remove the services' stopped containers (asks, unless -f)"},
        {"shell", cmd_shell, cmd_shell_options, STACK_NEEDS,
         "Open a shell in a service's container (backend by default)"},
        {"start", cmd_start, cmd_start_options, STACK_CHANGES | NEED_LOCK,
         "Start existing containers of services"},
        {"stats", cmd_stats, cmd_stats_options, STACK_NEEDS,
         "Show the resource use of the services' containers (CPU, memory, I/O, PIDs)"},
        {"stop", cmd_stop, cmd_stop_options, STACK_CHANGES | NEED_LOCK, "Stop services"},
        {"top", cmd_top, cmd_top_options, STACK_NEEDS,
         "Show the processes of the services' running containers"},
        {"unpause", cmd_unpause, cmd_unpause_options, STACK_CHANGES | NEED_LOCK,
         "Unpause the services' paused containers"},
        {"up", cmd_up, cmd_up_options, STACK_CHANGES | SEED_DOTENV | NEED_LOCK,
         "Create and start the stack, waiting on dependencies"},
        {"version", cmd_version, cmd_version_options, 0,
         "Show devstack's version, the engine and the API version"},
        {"watch", cmd_watch, cmd_watch_options, STACK_CHANGES | NEED_LOCK,
         "Watch the services' files and sync, restart or rebuild them (develop.watch)"},
        {"wait", cmd_wait, cmd_wait_options, STACK_NEEDS,
         "Block until the first container of the services stops; exit with its status"},
        {NULL},
};

static struct globals globals = {
        .files = STRVEC_INIT,
        .env_files = STRVEC_INIT,
        .profiles = STRVEC_INIT,
};

static bool show_version;

static const struct opt_spec global_options[] = {
        {OPT_LIST, "file", 'f', &globals.files, "FILE", "compose file (repeatable)"},
        {OPT_STRING, "project-name", 'p', &globals.project_name, "NAME", "project name"},
        {OPT_LIST, "env-file", 0, &globals.env_files, "FILE", "environment file (repeatable)"},
        {OPT_STRING, "project-directory", 0, &globals.project_directory, "DIR",
         "project directory (default: the first compose file's)"},
        {OPT_LIST, "profile", 0, &globals.profiles, "PROFILE", "enable a profile (repeatable)"},
        {OPT_BOOL, "version", 0, &show_version, NULL, "show the version and exit"},
        {0},
};

static const struct reference reference = {commands, global_options};

static int run_complete(struct cmd_context *ctx)
{
    return cmd_complete(ctx, &reference);
}

static int run_man(struct cmd_context *ctx)
{
    return cmd_man(ctx, &reference);
}

static int run_commands(struct cmd_context *ctx)
{
    return cmd_commands(ctx, &reference);
}

/* ---- errors and help ---------------------------------------------------------------- */

int cmd_error(const struct ds_error *err)
{
    bool color = term_use_color(stderr);

    fprintf(stderr, "%serror:%s %s\n", color ? TERM_RED TERM_BOLD : "", color ? TERM_RESET : "",
            err && err->msg ? err->msg : "unknown error");
    if (err && err->hint)
        fprintf(stderr, "hint: %s\n", err->hint);
    return err && err->code == DS_EINTR ? EXIT_INTERRUPTED : EXIT_ERROR;
}

static void print_usage(FILE *out, const char *name, const struct command *cmd)
{
    struct buf b = BUF_INIT;

    buf_addf(&b, "devstack %s", name);
    if (cmd->run)
        opt_print_usage(out, b.buf, cmd->opts);
    else
        fprintf(out, "usage: %s COMMAND [OPTIONS]\n", b.buf);
    buf_release(&b);
}

int cmd_usage_error(const struct cmd_context *ctx, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    fprintf(stderr, "error: %s\n", b.buf);
    print_usage(stderr, ctx->name, ctx->cmd);
    fprintf(stderr, "see 'devstack help %s'\n", ctx->name);
    buf_release(&b);
    return EXIT_USAGE;
}

static void list_commands(FILE *out, const struct command *table)
{
    fputs("\nCommands:\n", out);
    for (const struct command *c = table; c->name; c++)
        if (!(c->needs & HIDDEN_COMMAND))
            fprintf(out, "  %-12s %s\n", c->name, c->help);
}

static void print_main_help(FILE *out)
{
    opt_print_help(out, "devstack", NULL, global_options);
    list_commands(out, commands);
    fputs("\nRun 'devstack help COMMAND' for a command's options.\n", out);
}

static void print_help(FILE *out, const char *name, const struct command *cmd)
{
    struct buf b = BUF_INIT;

    buf_addf(&b, "devstack %s", name);
    if (cmd->run) {
        opt_print_help(out, b.buf, cmd->help, cmd->opts);
    } else {
        fprintf(out, "usage: %s COMMAND [OPTIONS]\n\n%s\n", b.buf, cmd->help);
    }
    if (cmd->sub)
        list_commands(out, cmd->sub);
    if (cmd->sub == db_commands)
        fprintf(out, "\nThe project: alembic.ini here (or -c FILE, $ALEMBIC_CONFIG, the compose "
                     "project's app service);\nthe database: $DATABASE_URL, the compose project's "
                     "db service, or sqlalchemy.url.\n");
    if (cmd->sub)
        fprintf(out, "See 'devstack %s COMMAND --help'.\n", name);
    buf_release(&b);
}

static const struct command *find(const struct command *table, const char *name)
{
    for (const struct command *c = table; c && c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

static int unknown(const char *group, const char *name)
{
    if (group)
        fprintf(stderr, "error: unknown %s command '%s'\nsee 'devstack %s --help'\n", group, name,
                group);
    else
        fprintf(stderr, "error: unknown command '%s'\nsee 'devstack help'\n", name);
    return EXIT_USAGE;
}

static int cmd_help(struct cmd_context *ctx)
{
    const struct command *table = commands, *cmd = NULL;
    struct buf name = BUF_INIT;
    int status = EXIT_OK;

    (void)ctx;
    if (!help_topic.n) {
        print_main_help(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < help_topic.n; i++) {
        cmd = find(table, help_topic.v[i]);
        if (!cmd) {
            status = unknown(name.len ? name.buf : NULL, help_topic.v[i]);
            goto done;
        }
        buf_addf(&name, "%s%s", name.len ? " " : "", cmd->name);
        table = cmd->sub;
        if (!table && i + 1 < help_topic.n) {
            status = unknown(name.buf, help_topic.v[i + 1]);
            goto done;
        }
    }
    print_help(stdout, name.buf, cmd);

done:
    buf_release(&name);
    return status;
}

/* ---- what a command needs ------------------------------------------------------------- */

struct engine *cmd_engine(struct cmd_context *ctx)
{
    struct strvec warnings = STRVEC_INIT;

    if (ctx->engine && !ctx->engine_error.code)
        return ctx->engine;
    if (ctx->engine_error.code)
        return NULL;
    if (stack_engine_open(&ctx->engine, &warnings, &ctx->engine_error) < 0 &&
        !ctx->engine_error.code)
        ctx->engine_error.code = DS_ERR;
    for (size_t i = 0; i < warnings.n; i++)
        fprintf(stderr, "warning: %s\n", warnings.v[i]);
    strvec_clear(&warnings);
    return ctx->engine_error.code ? NULL : ctx->engine;
}

/* The SERVICE arguments of a command's table: what the project must have. */
static void named_services(const struct opt_spec *opts, struct strvec *out)
{
    for (const struct opt_spec *o = opts; o && o->type; o++) {
        if (!o->name || strcmp(o->name, "SERVICE"))
            continue;
        if (o->type == OPT_ARGS)
            strvec_copy(out, o->value);
        else if (o->type == OPT_ARG && *(const char **)o->value)
            strvec_push(out, *(const char **)o->value);
    }
}

static int load_project(struct cmd_context *ctx, struct ds_error *err)
{
    unsigned needs = ctx->cmd->needs;
    struct strvec services = STRVEC_INIT;
    struct compose_options o = {
            .files = &globals.files,
            .project_name = globals.project_name,
            .project_directory = globals.project_directory,
            .env_files = &globals.env_files,
            .profiles = &globals.profiles,
            .services = &services,
            .no_interpolate = cmd_no_interpolate,
    };
    char *created = NULL;
    int rc;

    if ((needs & SEED_DOTENV) && (rc = workspace_seed_dotenv(&o, &created, err)) < 0)
        return rc;
    if (created)
        fprintf(stderr, "created %s from .env.example (edit it, not the example)\n", created);
    free(created);
    /* inside the app's container the compose file is not ours to read */
    if (!(needs & NEED_PROJECT) && workspace_inside_app())
        return 0;
    named_services(ctx->cmd->opts, &services);
    if (cmd_config_variables)
        rc = compose_locate(&ctx->project, &o, err);
    else
        rc = compose_load(&ctx->project, &o, err);
    strvec_clear(&services);
    if (ctx->project)
        for (size_t i = 0; i < ctx->project->warnings.n; i++)
            fprintf(stderr, "warning: %s\n", ctx->project->warnings.v[i]);
    if (rc < 0) {
        compose_project_free(ctx->project);
        ctx->project = NULL;
        /* a plain Alembic project has no compose file, unless one was named */
        if (!(needs & NEED_PROJECT) && rc == DS_ENOTFOUND && !globals.files.n &&
            !(needs & KEEP_LOAD_ERROR)) {
            ds_error_release(err);
            return 0;
        }
    }
    return rc;
}

static int open_workspace(struct cmd_context *ctx, struct ds_error *err)
{
    static struct workspace ws;
    struct workspace_options o = {cmd_alembic_config, cmd_alembic_section};
    unsigned needs = ctx->cmd->needs, flags = 0;
    int rc;

    if (needs & NEED_INI)
        flags |= WORKSPACE_NEED_INI;
    if (needs & NEED_DB_URL)
        flags |= WORKSPACE_NEED_URL;
    rc = workspace_open(&ws, ctx->project, &o, flags, err);
    if (rc < 0) {
        workspace_release(&ws);
        return rc;
    }
    ctx->ws = &ws;
    return 0;
}

static void lock_waiting(const struct stack_lock_holder *h, void *ud)
{
    const struct cmd_context *ctx = ud;
    struct buf who = BUF_INIT;

    stack_lock_holder_describe(&who, h);
    fprintf(stderr, "waiting for %s to finish with project '%s'\n", who.buf, ctx->project->name);
    buf_release(&who);
}

/*
 * NEED_LOCK: hold the project's lock (one per engine and project name).
 * Without a compose project (a plain Alembic one, inside the app's
 * container) there is nothing of the engine's to keep apart. A lock that
 * cannot be made is a warning: it guards the command, it does not enable it.
 */
static int lock_project(struct cmd_context *ctx, const volatile sig_atomic_t *cancel,
                        struct ds_error *err)
{
    struct buf command = BUF_INIT;
    char *endpoint = NULL;
    struct stack_lock_options o = {
            .no_wait = cmd_no_lock_wait,
            .waiting = lock_waiting,
            .ud = ctx,
            .cancel = cancel,
    };
    int rc;

    if (!ctx->project)
        return 0;
    endpoint = stack_engine_endpoint();
    buf_addf(&command, "devstack %s", ctx->name);
    o.endpoint = endpoint;
    o.project = ctx->project->name;
    o.command = command.buf;
    rc = stack_lock_acquire(&project_lock, &o, err);
    if (rc == DS_ECONFLICT) {
        ds_error_hint(err, "wait until it is done, or run this without --no-lock-wait to wait "
                           "for it");
    } else if (rc < 0 && rc != DS_EINTR) {
        fprintf(stderr, "warning: going on without the project's lock: %s\n", err->msg);
        ds_error_release(err);
        rc = 0;
    }
    free(endpoint);
    buf_release(&command);
    return rc;
}

void cmd_unlock(void)
{
    stack_lock_release(&project_lock);
}

static void migrations_waiting(const struct stack_lock_holder *h, void *ud)
{
    const char *dir = ud;
    struct buf who = BUF_INIT;

    stack_lock_holder_describe(&who, h);
    fprintf(stderr, "waiting for %s to finish with the migrations in '%s'\n", who.buf, dir);
    buf_release(&who);
}

int cmd_lock_migrations(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct buf what = BUF_INIT;
    char *dir;
    struct stack_lock_options o = {
            .no_wait = cmd_no_lock_wait,
            .waiting = migrations_waiting,
            .cancel = &sig_interrupted,
    };
    int rc;

    if (migrations_lock.fd >= 0 || !(ctx->cmd->needs & LOCK_MIGRATIONS) || !ctx->ws ||
        !ctx->ws->ini_path)
        return EXIT_OK;
    dir = path_dirname(ctx->ws->ini_path);
    o.ud = dir;
    buf_addf(&what, "the Alembic directory '%s'", dir);
    rc = stack_lock_acquire_dir(&migrations_lock, dir, what.buf, &o, &err);
    if (rc == DS_ECONFLICT) {
        ds_error_hint(&err, "wait until it is done, or run this without --no-lock-wait to wait "
                            "for it");
    } else if (rc < 0 && rc != DS_EINTR) {
        /* as the project's: it guards the command, it does not enable it */
        fprintf(stderr, "warning: going on without the migrations' lock: %s\n", err.msg);
        rc = 0;
    }
    if (rc < 0)
        rc = cmd_error(&err);
    ds_error_release(&err);
    buf_release(&what);
    free(dir);
    return rc;
}

int cmd_lock(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    int rc = 0;

    if (project_lock.fd < 0 && (ctx->cmd->needs & LOCK_ITSELF))
        rc = lock_project(ctx, &sig_interrupted, &err);
    if (rc < 0)
        rc = cmd_error(&err);
    ds_error_release(&err);
    return rc < 0 ? EXIT_ERROR : rc;
}

int cmd_relock(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    int rc;

    if (project_lock.fd >= 0 || !(ctx->cmd->needs & NEED_LOCK))
        return 0;
    /* after a first Ctrl-C: the second one stops the wait */
    rc = lock_project(ctx, &sig_forced, &err);
    ds_error_release(&err);
    return rc;
}

/*
 * Another checkout's containers under this project name: a command that
 * changes the project stops (unless --take-over), one that only shows it
 * says whose they are. Once here, for every command.
 */
static int check_owner(struct cmd_context *ctx, struct ds_error *err)
{
    bool changes = ctx->cmd->needs & CHANGES_PROJECT;
    char *dir = NULL;
    int rc;

    rc = stack_check_owner(ctx->engine, ctx->project, !changes || cmd_take_over, &dir, err);
    if (rc == 0 && dir && changes)
        fprintf(stderr, "warning: taking project '%s' over from '%s'\n", ctx->project->name, dir);
    else if (rc == 0 && dir)
        fprintf(stderr, "note: the containers of project '%s' were made in '%s', not in '%s'\n",
                ctx->project->name, dir, ctx->project->working_dir);
    free(dir);
    return rc;
}

/*
 * Establish what the command's table entry says it needs. With
 * KEEP_LOAD_ERROR the first failure to load is kept in ctx->project_error
 * and the command runs with what there is.
 */
static int prepare(struct cmd_context *ctx)
{
    unsigned needs = ctx->cmd->needs;
    struct ds_error err = DS_ERROR_INIT;
    int rc = 0;

    if ((needs & NEED_ENGINE) && !cmd_engine(ctx))
        return cmd_error(&ctx->engine_error);
    if (needs & (NEED_PROJECT | WANT_PROJECT))
        rc = load_project(ctx, &err);
    if (rc < 0 && (needs & KEEP_LOAD_ERROR)) {
        ctx->project_error = err;
        memset(&err, 0, sizeof(err));
        rc = 0;
    }
    if (rc == 0 && (needs & (CHANGES_PROJECT | SHOWS_PROJECT)) && ctx->project)
        rc = check_owner(ctx, &err);
    if (rc == 0 && (needs & (NEED_WORKSPACE | NEED_INI | NEED_DB_URL)))
        rc = open_workspace(ctx, &err);
    if (rc < 0 && (needs & KEEP_LOAD_ERROR)) {
        if (!ctx->project_error.code) {
            ctx->project_error = err;
            memset(&err, 0, sizeof(err));
        }
        rc = 0;
    }
    if (rc == 0 && (needs & NEED_LOCK))
        rc = lock_project(ctx, &sig_interrupted, &err);
    if (rc < 0)
        rc = cmd_error(&err);
    ds_error_release(&err);
    return rc < 0 ? EXIT_ERROR : rc;
}

/*
 * Run argv[0] of `table` (argv from that name on). `group` names the level
 * ("db", "db snapshot"), NULL at the top.
 */
static int dispatch(const struct command *table, const char *group, struct cmd_context *ctx,
                    int argc, char **argv)
{
    const struct command *cmd = find(table, argv[0]);
    struct ds_error err = DS_ERROR_INIT;
    struct buf name = BUF_INIT;
    int rc;

    if (!cmd)
        return unknown(group, argv[0]);
    buf_addf(&name, "%s%s%s", group ? group : "", group ? " " : "", cmd->name);
    ctx->cmd = cmd;
    ctx->name = name.buf;

    if (cmd->sub && argc > 1 && find(cmd->sub, argv[1])) {
        rc = dispatch(cmd->sub, name.buf, ctx, argc - 1, argv + 1);
        goto done;
    }
    if (!cmd->run) {
        bool help = argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
                                 !strcmp(argv[1], "help"));

        if (argc > 1 && !help) {
            rc = unknown(name.buf, argv[1]);
        } else {
            print_help(help ? stdout : stderr, name.buf, cmd);
            rc = help ? EXIT_OK : EXIT_USAGE;
        }
        goto done;
    }

    rc = opt_parse(cmd->opts, argc - 1, argv + 1, cmd->parse, NULL, &err);
    if (rc == OPT_HELP) {
        print_help(stdout, name.buf, cmd);
        rc = EXIT_OK;
        goto done;
    }
    if (rc == OPT_USAGE_ERROR) {
        rc = cmd_usage_error(ctx, "%s", err.msg);
        goto done;
    }
    rc = prepare(ctx);
    if (rc == EXIT_OK)
        rc = cmd->run(ctx);

done:
    /* the context outlives this level's name only as far as its commands ran */
    ctx->name = NULL;
    buf_release(&name);
    ds_error_release(&err);
    return rc;
}

int main(int argc, char **argv)
{
    struct cmd_context ctx = {.globals = &globals};
    struct ds_error err = DS_ERROR_INIT;
    int consumed = 0, rc;

    rc = opt_parse(global_options, argc - 1, argv + 1, OPT_PARSE_STOP_AT_ARG, &consumed, &err);
    if (rc == OPT_USAGE_ERROR) {
        fprintf(stderr, "error: %s\n", err.msg);
        opt_print_usage(stderr, "devstack", global_options);
        fputs("see 'devstack help'\n", stderr);
        rc = EXIT_USAGE;
        goto done;
    }
    if (rc == OPT_HELP) {
        print_main_help(stdout);
        rc = EXIT_OK;
        goto done;
    }
    if (show_version) {
        printf("devstack version %s\n", DEVSTACK_VERSION);
        rc = EXIT_OK;
        goto done;
    }
    argc -= consumed + 1;
    argv += consumed + 1;
    if (argc == 0) {
        print_main_help(stderr);
        rc = EXIT_USAGE;
        goto done;
    }
    ctx.line_argc = argc;
    ctx.line_argv = argv;
    rc = dispatch(commands, NULL, &ctx, argc, argv);

done:
    stack_lock_release(&migrations_lock);
    stack_lock_release(&project_lock);
    if (ctx.ws)
        workspace_release(ctx.ws);
    compose_project_free(ctx.project);
    stack_engine_close(ctx.engine);
    ds_error_release(&ctx.engine_error);
    ds_error_release(&ctx.project_error);
    strvec_clear(&globals.files);
    strvec_clear(&globals.env_files);
    strvec_clear(&globals.profiles);
    strvec_clear(&help_topic);
    ds_error_release(&err);
    return rc;
}
