/* What the commands of cmd/devstack share: the command functions, global options, output. */
#ifndef DEVSTACK_CMD_H
#define DEVSTACK_CMD_H

#include "engine/engine.h"
#include "util/error.h"
#include "util/opt.h"
#include "util/strvec.h"

/* Exit codes. */
#define EXIT_OK          0
#define EXIT_ERROR       1
#define EXIT_USAGE       2
#define EXIT_INTERRUPTED 130

/* Preconditions main() establishes before a command runs. */
#define NEED_ENGINE 0x1u /* ds.engine is connected and its API version negotiated */

/* The global options, and what main() set up for the command. */
struct devstack {
    struct strvec files;      /* -f/--file, repeatable */
    const char *project_name; /* -p/--project-name */
    struct strvec env_files;  /* --env-file, repeatable */
    const char *project_directory;
    struct strvec profiles; /* --profile, repeatable */
    struct engine *engine;  /* with NEED_ENGINE */
};

extern struct devstack ds;

/* Each command gets argv[0] == its own name. */
int cmd_build(int argc, char **argv);
int cmd_clear(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_shell(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* The color of a service's log prefix: the same for a name every time. */
const char *cmd_service_color(const char *service);
/* DEVSTACK_BIND_ALL=1: publish ports without a host IP on every interface. */
bool cmd_bind_all(void);

/*
 * Parse a command's options (argv[0] is the command). Returns true to go on;
 * false when the command must return *status at once: EXIT_OK after --help,
 * EXIT_USAGE after a usage error (both already printed).
 */
bool cmd_parse(const char *command, const struct opt_spec *specs, int argc, char **argv,
               unsigned flags, int *consumed, int *status);
/* Print err ("error: ..." and "hint: ...") and return the exit code it calls for. */
int cmd_error(const struct ds_error *err);
/* A usage error of a command: print it with the command's usage line, return EXIT_USAGE. */
int cmd_usage_error(const char *command, const struct opt_spec *specs, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
struct compose_project;
/*
 * Load the project the global options name (-f, -p, --env-file,
 * --project-directory, --profile), printing its warnings to stderr.
 * `services` named on the command line are enabled whatever their profiles.
 */
int cmd_load_project(struct compose_project **out, bool no_interpolate,
                     const struct strvec *services, struct ds_error *err);
/*
 * Run cmd in the service's running container as `devstack exec` does (a TTY
 * when ours is one), with env ("KEY=VALUE") added. Returns the exit code.
 */
int cmd_exec_service(const char *service, const struct strvec *cmd, const struct strvec *env);
/* Resolve the endpoint and connect; the engine is kept in ds.engine. */
int cmd_connect_engine(struct ds_error *err);

const char *devstack_version_string(void);

#endif
