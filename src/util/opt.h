/*
 * Command-line options, declared once per command in a table that both parses
 * argv and prints the usage and --help text:
 *
 *     static const struct opt_spec opts[] = {
 *         {OPT_BOOL, "detach", 'd', &detach, NULL, "run in the background"},
 *         {OPT_STRING, "timeout", 't', &timeout, "SECONDS", "shutdown timeout"},
 *         {OPT_ARGS, "SERVICE", 0, &services, NULL, "services to start"},
 *         {0}
 *     };
 *
 * Long options take "--name value" or "--name=value"; short ones "-n value",
 * "-nvalue", and bundled booleans ("-dq"). "--" ends the options. -h and
 * --help are understood by every table. A negative number ("-1") is a
 * positional argument, as with argparse, unless a short option is a digit.
 * Values are checked as they are parsed: a choice must be one of its list,
 * a duration must read as one, so that a bad value is a usage error before
 * the command does anything.
 */
#ifndef DEVSTACK_OPT_H
#define DEVSTACK_OPT_H

#include <stdio.h>

#include "util/error.h"

enum opt_type {
    OPT_END = 0,
    OPT_BOOL,     /* bool * */
    OPT_STRING,   /* const char ** pointing into argv; the last one given wins */
    OPT_LIST,     /* struct strvec *; repeatable */
    OPT_INT,      /* int *, non-negative */
    OPT_CHOICE,   /* const char ** pointing into argv, one of `choices` ("a|b|c") */
    OPT_DURATION, /* int64_t * nanoseconds, Go's syntax ("90s", "1m30s"), at most OPT_DURATION_MAX;
                     left alone unless given */
    OPT_ARG,      /* a positional argument: const char ** */
    OPT_ARGS,     /* the remaining positional arguments: struct strvec * */
};

/* The longest OPT_DURATION: a day, which any wait or timeout fits in (as milliseconds too). */
#define OPT_DURATION_MAX (24LL * 3600 * 1000000000)

/* opt_spec.flags */
#define OPT_REQUIRED 0x1u /* a positional that must be given */
#define OPT_HIDDEN   0x2u /* parsed, not shown in --help */

struct opt_spec {
    enum opt_type type;
    const char *name; /* long name, or the positional's display name */
    char short_name;
    void *value;
    const char *arg_name; /* "FILE" in "--file FILE" */
    const char *help;
    unsigned flags;
    const char *choices; /* OPT_CHOICE, OPT_ARG: the values it takes, "a|b|c" */
};

/*
 * opt_parse() flags. OPT_PARSE_STOP_AT_ARG: options end at the first
 * positional argument; what follows goes verbatim to the table's
 * positionals (a table without any leaves it to the caller).
 */
#define OPT_PARSE_STOP_AT_ARG 0x1u

enum opt_result {
    OPT_OK = 0,
    OPT_HELP = 1,         /* -h/--help was given */
    OPT_USAGE_ERROR = -2, /* err says what */
};

/*
 * Parse argv[0..argc) (argv[0] is an argument, not the program name). With
 * OPT_PARSE_STOP_AT_ARG, *consumed is how many elements were options; the
 * rest start at the first positional. Otherwise all of argv is consumed.
 */
int opt_parse(const struct opt_spec *specs, int argc, char **argv, unsigned flags, int *consumed,
              struct ds_error *err);

/* "usage: devstack up [-d] [--timeout SECONDS] [SERVICE...]" */
void opt_print_usage(FILE *out, const char *command, const struct opt_spec *specs);
/* The usage line, the summary and one line per option. */
void opt_print_help(FILE *out, const char *command, const char *summary,
                    const struct opt_spec *specs);

#endif
