/*
 * What the commands of cmd/devstack share: the command table's entry, the
 * context main() makes for a command, the option tables main() parses for
 * it, and the few output helpers more than one command prints with.
 */
#ifndef DEVSTACK_CMD_H
#define DEVSTACK_CMD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "util/opt.h"
#include "util/strvec.h"

/* Exit codes. */
#define EXIT_OK          0
#define EXIT_ERROR       1
#define EXIT_USAGE       2
#define EXIT_INTERRUPTED 130

/*
 * What main() establishes before a command runs (struct command.needs),
 * after its options parsed and unless it was asked for its help.
 */
#define NEED_ENGINE     0x001u /* ctx->engine: connected, the API version negotiated */
#define NEED_PROJECT    0x002u /* ctx->project: loaded, the SERVICE arguments checked, enabled */
#define WANT_PROJECT    0x004u /* ctx->project when there is a compose file (not in the app) */
#define KEEP_LOAD_ERROR 0x008u /* WANT_PROJECT: a project that fails to load is the command's */
#define NEED_WORKSPACE  0x010u /* ctx->ws: alembic.ini and the database URL, and why */
#define NEED_INI        0x020u /* NEED_WORKSPACE, and alembic.ini exists */
#define NEED_DB_URL     0x040u /* NEED_WORKSPACE, and a database URL is known */
#define SEED_DOTENV     0x080u /* before the project loads: .env from .env.example */
/*
 * The project's lock (src/stack/lock.h), held until devstack exits: for the
 * commands that change its containers, networks, volumes or database. Taken
 * here once, so that what a command runs inside itself (reset's `up`) runs
 * under it. Their option tables carry CMD_LOCK_OPTION.
 */
#define NEED_LOCK 0x100u
/* the project's containers must be this checkout's (their working_dir label), or --take-over */
#define CHANGES_PROJECT 0x200u
#define SHOWS_PROJECT   0x400u /* another checkout's containers are only noted */
#define LOCK_ITSELF     0x800u /* NEED_LOCK, taken by the command with cmd_lock() where it needs it */
/* for the shell's completion and the build (__complete, __man): in no help, completion or page */
#define HIDDEN_COMMAND 0x1000u
/*
 * Changes the Alembic scripts or the database's revision: where Alembic runs
 * here (not through the app's container), the command holds the lock of
 * alembic.ini's directory while it does (cmd_lock_migrations()), so that
 * the app container's entrypoint and the dev container's postStartCommand,
 * both bootstrapping, or two `migrate`s, do not interleave.
 */
#define LOCK_MIGRATIONS 0x2000u

struct engine;
struct compose_project;
struct workspace;
struct cmd_context;

struct command {
    const char *name;
    int (*run)(struct cmd_context *ctx); /* NULL: a group that only has sub-commands */
    const struct opt_spec *opts;
    unsigned needs;
    const char *help;
    const struct command *sub; /* sub-commands (db current, ...), ended by {NULL} */
    unsigned parse;            /* opt_parse() flags: OPT_PARSE_STOP_AT_ARG */
};

/* The global options. */
struct globals {
    struct strvec files;      /* -f/--file, repeatable */
    const char *project_name; /* -p/--project-name */
    struct strvec env_files;  /* --env-file, repeatable */
    const char *project_directory;
    struct strvec profiles; /* --profile, repeatable */
};

struct cmd_context {
    const struct command *cmd;
    const char *name; /* "db snapshot restore": for messages */
    const struct globals *globals;
    /* the command line from the top command's name on: to run it again elsewhere */
    int line_argc;
    char **line_argv;
    struct engine *engine;           /* NEED_ENGINE, or cmd_engine() */
    struct ds_error engine_error;    /* why cmd_engine() could not connect */
    struct compose_project *project; /* NEED_PROJECT, WANT_PROJECT */
    struct ds_error project_error;   /* KEEP_LOAD_ERROR: why it did not load */
    struct workspace *ws;            /* NEED_WORKSPACE */
};

/*
 * The engine, connecting on first use, for commands that need it only
 * sometimes (a db verb that runs in the app's container, doctor, version).
 * NULL when it cannot be reached: ctx->engine_error says why; ctx->engine
 * may still be set then, to name the endpoint.
 */
struct engine *cmd_engine(struct cmd_context *ctx);

/*
 * Let go of the project's lock before devstack ends (a foreground `up`
 * following the output, which must not hold up a `restart` in another
 * terminal), and take it again (that `up` stopping the stack on Ctrl-C;
 * a second Ctrl-C stops the wait). cmd_relock() returns 0 or a DS_E* code.
 */
void cmd_unlock(void);
int cmd_relock(struct cmd_context *ctx);

/*
 * LOCK_ITSELF: take the project's lock now (clear: not for a dry run, which
 * changes nothing and need not wait for an `up`). Returns an exit code,
 * having printed the error.
 */
int cmd_lock(struct cmd_context *ctx);
/*
 * LOCK_MIGRATIONS: take the lock of the workspace's Alembic directory, held
 * until devstack exits; waits for its holder, saying whom it waits for,
 * unless --no-lock-wait. Returns an exit code, having printed the error.
 */
int cmd_lock_migrations(struct cmd_context *ctx);

/* Print err ("error: ..." and "hint: ...") and return the exit code it calls for. */
int cmd_error(const struct ds_error *err);
/* A usage error of the running command: print it with its usage line, return EXIT_USAGE. */
int cmd_usage_error(const struct cmd_context *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* --scale SERVICE=NUM of up and create into the project's model; EXIT_USAGE (said) on a bad one. */
int cmd_apply_scales(struct cmd_context *ctx, const struct strvec *list);
/* up's and create's warning about orphan containers (none: nothing). */
void cmd_warn_orphans(const struct strvec *orphans);

/* ---- option storage shared by several tables ------------------------------------------ */

/* -c FILE and -n SECTION of the Alembic commands, read by main() to open the workspace. */
extern const char *cmd_alembic_config, *cmd_alembic_section;
#define CMD_ALEMBIC_OPTIONS                                                                        \
    {                                                                                              \
            OPT_STRING,          "config", 'c',                                                    \
            &cmd_alembic_config, "FILE",   "alembic.ini to use (default: found)"},                 \
    {                                                                                              \
        OPT_STRING, "name", 'n', &cmd_alembic_section, "SECTION",                                  \
                "the ini section (default: alembic)"                                               \
    }
/*
 * --no-lock-wait: fail at once when another command holds the project's lock.
 * Not --no-wait: beside `up --wait` (wait until healthy, as in Compose) it
 * would read as that option's opposite.
 */
extern bool cmd_no_lock_wait;
#define CMD_LOCK_OPTION                                                                            \
    {                                                                                              \
        OPT_BOOL, "no-lock-wait", 0, &cmd_no_lock_wait, NULL,                                      \
                "fail at once when another devstack command is changing the project"               \
    }
/* --take-over, of the commands that change the project (CHANGES_PROJECT). */
extern bool cmd_take_over;
#define CMD_TAKE_OVER_OPTION                                                                       \
    {                                                                                              \
        OPT_BOOL, "take-over", 0, &cmd_take_over, NULL,                                            \
                "act on containers another checkout of the project made"                           \
    }
/* config --no-interpolate: main() loads the project without interpolating. */
extern bool cmd_no_interpolate;
/*
 * config --variables: main() only finds the files (compose_locate()), read as written: Compose
 * lists the variables of files that would not load, one required being unset.
 */
extern bool cmd_config_variables;

/* ---- the commands: run functions and option tables ----------------------------------- */

#define COMMAND(name)                                                                              \
    int cmd_##name(struct cmd_context *ctx);                                                       \
    extern const struct opt_spec cmd_##name##_options[]

COMMAND(attach);
COMMAND(build);
COMMAND(clear);
COMMAND(completion);
COMMAND(config);
COMMAND(cp);
COMMAND(create);
COMMAND(doctor);
COMMAND(down);
COMMAND(events);
COMMAND(exec);
COMMAND(images);
COMMAND(kill);
COMMAND(logs);
COMMAND(ls);
COMMAND(migrate);
COMMAND(pause);
COMMAND(port);
COMMAND(ps);
COMMAND(pull);
COMMAND(reset);
COMMAND(restart);
COMMAND(run);
COMMAND(rm);
COMMAND(shell);
COMMAND(start);
COMMAND(stats);
COMMAND(stop);
COMMAND(top);
COMMAND(unpause);
COMMAND(up);
COMMAND(version);
COMMAND(watch);
COMMAND(wait);
/* db */
COMMAND(db_current);
COMMAND(db_heads);
COMMAND(db_history);
COMMAND(db_check);
COMMAND(db_wait);
COMMAND(db_upgrade);
COMMAND(db_downgrade);
COMMAND(db_stamp);
COMMAND(db_sql);
COMMAND(db_revision);
COMMAND(db_merge);
COMMAND(db_dump);
COMMAND(db_restore);
COMMAND(db_snapshot);
COMMAND(db_snapshot_restore);
COMMAND(db_snapshot_rm);
COMMAND(db_snapshots);
COMMAND(db_shell);

#undef COMMAND

/* The hidden commands that read the command tables, which main() hands them (reference.h). */
struct reference;
int cmd_complete(struct cmd_context *ctx, const struct reference *ref);
int cmd_man(struct cmd_context *ctx, const struct reference *ref);
int cmd_commands(struct cmd_context *ctx, const struct reference *ref);
extern const struct opt_spec cmd_complete_options[], cmd_man_options[], cmd_commands_options[];

/* ---- output shared by commands ---------------------------------------------------------- */

/* The color of a service's log prefix: the same for a name every time. */
const char *cmd_service_color(const char *service);
/* DEVSTACK_BIND_ALL=1: publish ports without a host IP on every interface. */
bool cmd_bind_all(void);
/*
 * Run cmd in the service's running container as `devstack exec` does (a
 * TTY when ours is one), with env ("KEY=VALUE") added. Returns its exit code.
 */
int cmd_exec_in(struct cmd_context *ctx, const char *service, const struct strvec *cmd,
                const struct strvec *env);
/*
 * The local terminal of exec and attach (cmd_exec.c): raw mode (as a
 * stack_exec.ready hook; restored at exit too), back to how it was (safe in
 * a signal handler), and its size (0, or -1 when it has none).
 */
int term_make_raw(void *ud, struct ds_error *err);
void term_restore(void);
int term_size(void *ud, int *height, int *width);
/*
 * Run this command line again in `service`'s container, as the app there
 * (workspace_alembic_service() says when). Returns its exit code.
 */
int cmd_rerun_in(struct cmd_context *ctx, const char *service);
/*
 * After containers started: wait until the project's database (if it has
 * one among `named`, all when empty; with `no_deps` only when named) takes
 * queries, and say how long it took from `started_ms` (clock_ms()).
 */
int cmd_wait_db(struct cmd_context *ctx, const struct strvec *named, bool no_deps,
                uint64_t started_ms, struct ds_error *err);
/*
 * Watch `named` services (empty: every one with develop.watch rules) with
 * engine e until *cancel is set (`watch`, and `up --watch` beside its logs).
 */
int cmd_watch_loop(struct cmd_context *ctx, struct engine *e, const struct strvec *named,
                   bool quiet_build, volatile sig_atomic_t *cancel, struct ds_error *err);
/*
 * up --watch: check the rules before anything starts (cmd_watch_check()),
 * then watch in a thread of its own beside the logs until cmd_watch_stop(),
 * which says why watching ended if it failed.
 */
struct cmd_watcher;
int cmd_watch_check(struct cmd_context *ctx, const struct strvec *named, struct ds_error *err);
int cmd_watch_start(struct cmd_watcher **out, struct cmd_context *ctx, const struct strvec *named,
                    struct ds_error *err);
void cmd_watch_stop(struct cmd_watcher *cw);
/* The table `up` ends with: each enabled service, its state and URLs. */
int cmd_show_services(struct cmd_context *ctx, struct ds_error *err);

#endif
