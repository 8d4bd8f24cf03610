/*
 * devstack: one binary for a Docker Compose dev stack with MySQL and Alembic.
 * This file holds the command table and the global options; each command
 * lives in its own cmd_<name>.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "devstack.h"
#include "util/buf.h"
#include "util/term.h"
#include "util/banned.h"

#ifndef DEVSTACK_VERSION
#define DEVSTACK_VERSION "0.0.0"
#endif

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    unsigned needs;
    const char *help;
};

static const struct command commands[] = {
        {"build", cmd_build, 0, "Build the images of services that have a build section"},
        {"clear", cmd_clear, 0, "Remove everything the project created (--all: the whole engine)"},
        {"config", cmd_config, 0, "Show the resolved compose model (interpolated and merged)"},
        {"db", cmd_db, 0, "Database state and Alembic migrations: current, history, upgrade, ..."},
        {"doctor", cmd_doctor, 0, "Check the engine and the machine, and explain what is wrong"},
        {"down", cmd_down, 0, "Stop and remove the project's containers and networks"},
        {"exec", cmd_exec, 0, "Run a command in a service's running container"},
        {"help", cmd_help, 0, "Show help for devstack or one of its commands"},
        {"logs", cmd_logs, 0, "Show (and follow) the output of services"},
        {"ls", cmd_ls, 0, "List the compose projects on this engine"},
        {"migrate", cmd_migrate, 0,
         "Generate a revision from the models and upgrade (--bootstrap)"},
        {"ps", cmd_ps, 0, "List the project's containers"},
        {"pull", cmd_pull, 0, "Pull the images of services"},
        {"reset", cmd_reset, 0,
         "Start the database and migrations afresh, after a snapshot (--keep-data: migrations)"},
        {"restart", cmd_restart, 0, "Restart services"},
        {"shell", cmd_shell, 0, "Open a shell in a service's container (backend by default)"},
        {"start", cmd_start, 0, "Start existing containers of services"},
        {"stop", cmd_stop, 0, "Stop services"},
        {"up", cmd_up, 0, "Create and start the stack, waiting on dependencies"},
        {"version", cmd_version, 0, "Show devstack's version, the engine and the API version"},
};

struct devstack ds = {
        .files = STRVEC_INIT,
        .env_files = STRVEC_INIT,
        .profiles = STRVEC_INIT,
};

static bool show_version, show_help;

static const struct opt_spec global_opts[] = {
        {OPT_LIST, "file", 'f', &ds.files, "FILE", "compose file (repeatable)"},
        {OPT_STRING, "project-name", 'p', &ds.project_name, "NAME", "project name"},
        {OPT_LIST, "env-file", 0, &ds.env_files, "FILE", "environment file (repeatable)"},
        {OPT_STRING, "project-directory", 0, &ds.project_directory, "DIR",
         "project directory (default: the first compose file's)"},
        {OPT_LIST, "profile", 0, &ds.profiles, "PROFILE", "enable a profile (repeatable)"},
        {OPT_BOOL, "version", 0, &show_version, NULL, "show the version and exit"},
        {0},
};

const char *devstack_version_string(void)
{
    return DEVSTACK_VERSION;
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void print_main_help(FILE *out)
{
    opt_print_help(out, "devstack", NULL, global_opts);
    fputs("\nCommands:\n", out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
    fputs("\nRun 'devstack help COMMAND' for a command's options.\n", out);
}

int cmd_error(const struct ds_error *err)
{
    bool color = term_use_color(stderr);

    fprintf(stderr, "%serror:%s %s\n", color ? TERM_RED TERM_BOLD : "", color ? TERM_RESET : "",
            err && err->msg ? err->msg : "unknown error");
    if (err && err->hint)
        fprintf(stderr, "hint: %s\n", err->hint);
    return err && err->code == DS_EINTR ? EXIT_INTERRUPTED : EXIT_ERROR;
}

int cmd_usage_error(const char *command, const struct opt_spec *specs, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    struct buf name = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    fprintf(stderr, "error: %s\n", b.buf);
    buf_addf(&name, "devstack %s", command);
    opt_print_usage(stderr, name.buf, specs);
    fprintf(stderr, "see 'devstack help %s'\n", command);
    buf_release(&b);
    buf_release(&name);
    return EXIT_USAGE;
}

bool cmd_parse(const char *command, const struct opt_spec *specs, int argc, char **argv,
               unsigned flags, int *consumed, int *status)
{
    struct ds_error err = DS_ERROR_INIT;
    const struct command *cmd = find_command(command);
    struct buf name = BUF_INIT;
    int rc;

    /* argv[0] is the command's own name */
    rc = opt_parse(specs, argc - 1, argv + 1, flags, consumed, &err);
    if (rc == OPT_HELP) {
        buf_addf(&name, "devstack %s", command);
        opt_print_help(stdout, name.buf, cmd ? cmd->help : NULL, specs);
        buf_release(&name);
        *status = EXIT_OK;
        return false;
    }
    if (rc == OPT_USAGE_ERROR) {
        *status = cmd_usage_error(command, specs, "%s", err.msg);
        ds_error_release(&err);
        return false;
    }
    if (consumed)
        (*consumed)++; /* count argv[0] */
    return true;
}

int cmd_load_project(struct compose_project **out, bool no_interpolate,
                     const struct strvec *services, struct ds_error *err)
{
    struct compose_options o = {
            .files = &ds.files,
            .project_name = ds.project_name,
            .project_directory = ds.project_directory,
            .env_files = &ds.env_files,
            .profiles = &ds.profiles,
            .services = services,
            .no_interpolate = no_interpolate,
    };
    int rc = compose_load(out, &o, err);

    if (*out)
        for (size_t i = 0; i < (*out)->warnings.n; i++)
            fprintf(stderr, "warning: %s\n", (*out)->warnings.v[i]);
    return rc;
}

int cmd_connect_engine(struct ds_error *err)
{
    struct engine_endpoint ep;
    int rc;

    if (ds.engine)
        return 0;
    rc = engine_endpoint_resolve(&ep, NULL, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < ep.warnings.n; i++)
        fprintf(stderr, "warning: %s\n", ep.warnings.v[i]);
    rc = engine_new(&ds.engine, &ep, err);
    engine_endpoint_release(&ep);
    if (rc < 0)
        return rc;
    return engine_connect(ds.engine, err);
}

int cmd_help(int argc, char **argv)
{
    static const char *topic;
    static const struct opt_spec opts[] = {
            {OPT_ARG, "COMMAND", 0, &topic, NULL, "the command to explain"},
            {0},
    };
    const struct command *cmd;
    char *help_argv[] = {NULL, "--help", NULL};
    int status;

    if (!cmd_parse("help", opts, argc, argv, 0, NULL, &status))
        return status;
    if (!topic) {
        print_main_help(stdout);
        return EXIT_OK;
    }
    cmd = find_command(topic);
    if (!cmd) {
        fprintf(stderr, "error: unknown command '%s'\nsee 'devstack help'\n", topic);
        return EXIT_USAGE;
    }
    help_argv[0] = (char *)cmd->name;
    return cmd->fn(2, help_argv);
}

int main(int argc, char **argv)
{
    struct ds_error err = DS_ERROR_INIT;
    const struct command *cmd;
    int consumed = 0, rc;

    rc = opt_parse(global_opts, argc - 1, argv + 1, OPT_PARSE_STOP_AT_ARG, &consumed, &err);
    if (rc == OPT_HELP)
        show_help = true;
    if (rc == OPT_USAGE_ERROR) {
        fprintf(stderr, "error: %s\n", err.msg);
        opt_print_usage(stderr, "devstack", global_opts);
        fputs("see 'devstack help'\n", stderr);
        rc = EXIT_USAGE;
        goto done;
    }
    if (show_version) {
        printf("devstack version %s\n", DEVSTACK_VERSION);
        rc = EXIT_OK;
        goto done;
    }
    argc -= consumed + 1;
    argv += consumed + 1;
    if (show_help || argc == 0) {
        print_main_help(show_help ? stdout : stderr);
        rc = show_help ? EXIT_OK : EXIT_USAGE;
        goto done;
    }

    cmd = find_command(argv[0]);
    if (!cmd) {
        fprintf(stderr, "error: unknown command '%s'\nsee 'devstack help'\n", argv[0]);
        rc = EXIT_USAGE;
        goto done;
    }
    if ((cmd->needs & NEED_ENGINE) && cmd_connect_engine(&err) < 0) {
        rc = cmd_error(&err);
        goto done;
    }
    rc = cmd->fn(argc, argv);

done:
    engine_free(ds.engine);
    strvec_clear(&ds.files);
    strvec_clear(&ds.env_files);
    strvec_clear(&ds.profiles);
    ds_error_release(&err);
    return rc;
}
