#include <stdbool.h>
#include <string.h>

#include "util/buf.h"
#include "util/duration.h"
#include "util/opt.h"
#include "util/strutil.h"
#include "util/strvec.h"
#include "util/banned.h"

static bool takes_value(const struct opt_spec *o)
{
    return o->type == OPT_STRING || o->type == OPT_LIST || o->type == OPT_INT ||
           o->type == OPT_CHOICE || o->type == OPT_DURATION;
}

/* A boolean's value as Go's strconv.ParseBool (pflag) reads it: -1 when it is none. */
static int parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
        if (!strcmp(s, yes[i]))
            return 1;
        if (!strcmp(s, no[i]))
            return 0;
    }
    return -1;
}

/* --name=VALUE or -n=VALUE given to a boolean; `shown` is how it was named. */
static int set_bool(const struct opt_spec *o, const char *value, const char *shown,
                    struct ds_error *err)
{
    int b = parse_bool(value);

    if (b < 0)
        return ds_error_set(err, DS_EINVAL, "option '%s' takes true or false, not '%s'", shown,
                            value);
    *(bool *)o->value = b;
    return 0;
}

static bool is_positional(const struct opt_spec *o)
{
    return o->type == OPT_ARG || o->type == OPT_ARGS;
}

static const struct opt_spec *find_long(const struct opt_spec *specs, const char *name, size_t len)
{
    for (const struct opt_spec *o = specs; o->type; o++)
        if (!is_positional(o) && o->name && strlen(o->name) == len && !strncmp(o->name, name, len))
            return o;
    return NULL;
}

/* "-1", "-12": a relative revision or such, not options, unless a short option is a digit. */
static bool is_negative_number(const struct opt_spec *specs, const char *arg)
{
    if (arg[0] != '-' || !arg[1] || strspn(arg + 1, "0123456789") != strlen(arg + 1))
        return false;
    for (const struct opt_spec *o = specs; o->type; o++)
        if (o->short_name >= '0' && o->short_name <= '9')
            return false;
    return true;
}

static const struct opt_spec *find_short(const struct opt_spec *specs, char c)
{
    for (const struct opt_spec *o = specs; o->type; o++)
        if (!is_positional(o) && o->short_name == c)
            return o;
    return NULL;
}

/* Is value one of "a|b|c"? */
static bool is_choice(const char *choices, const char *value)
{
    size_t n = strlen(value);

    for (const char *c = choices; c && *c;) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);

        if (len == n && !strncmp(c, value, n))
            return true;
        c = bar ? bar + 1 : c + len;
    }
    return false;
}

/* "a|b|c" as "a, b or c" */
static void describe_choices(struct buf *out, const char *choices)
{
    const char *c = choices;

    while (*c) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);

        if (c != choices)
            buf_adds(out, bar ? ", " : " or ");
        buf_add(out, c, len);
        c = bar ? bar + 1 : c + len;
    }
}

/* "--format: unknown format 'x' (table or json)"; shown NULL for a positional */
static int unknown_choice(const struct opt_spec *o, const char *what, const char *value,
                          const char *shown, struct ds_error *err)
{
    struct buf b = BUF_INIT;

    if (shown)
        buf_addf(&b, "%s: ", shown);
    buf_adds(&b, "unknown ");
    for (const char *a = what ? what : "value"; *a; a++)
        buf_addch(&b, *a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a);
    buf_addf(&b, " '%s' (", value);
    describe_choices(&b, o->choices);
    buf_addch(&b, ')');
    ds_error_set(err, DS_EINVAL, "%s", b.buf);
    buf_release(&b);
    return DS_EINVAL;
}

static int set_value(const struct opt_spec *o, const char *value, const char *shown,
                     struct ds_error *err)
{
    switch (o->type) {
    case OPT_BOOL:
        *(bool *)o->value = true;
        return 0;
    case OPT_STRING:
        *(const char **)o->value = value;
        return 0;
    case OPT_LIST:
        strvec_push(o->value, value);
        return 0;
    case OPT_INT:
        if (str_to_int(value, 0, 1 << 30, o->value) < 0)
            return ds_error_set(err, DS_EINVAL, "option '%s' expects a number, not '%s'", shown,
                                value);
        return 0;
    case OPT_CHOICE:
        if (!is_choice(o->choices, value))
            return unknown_choice(o, o->arg_name, value, shown, err);
        *(const char **)o->value = value;
        return 0;
    case OPT_DURATION: {
        int64_t ns;

        if (duration_parse(value, &ns) < 0)
            return ds_error_set(err, DS_EINVAL, "invalid %s '%s' (a duration: 90s, 2m, 1h30m)",
                                shown, value);
        if (ns > OPT_DURATION_MAX)
            return ds_error_set(err, DS_EINVAL,
                                "invalid %s '%s': longer than 24h, the most it takes", shown,
                                value);
        *(int64_t *)o->value = ns;
        return 0;
    }
    default:
        return ds_error_set(err, DS_EINVAL, "option '%s' is not an option", shown);
    }
}

static int add_positional(const struct opt_spec *specs, size_t *next_pos, const char *arg,
                          struct ds_error *err)
{
    size_t i = 0;

    for (const struct opt_spec *o = specs; o->type; o++) {
        if (!is_positional(o))
            continue;
        if (o->type == OPT_ARGS) {
            strvec_push(o->value, arg);
            return 0;
        }
        if (i++ == *next_pos) {
            if (o->choices && !is_choice(o->choices, arg))
                return unknown_choice(o, o->name, arg, NULL, err);
            *(const char **)o->value = arg;
            (*next_pos)++;
            return 0;
        }
    }
    return ds_error_set(err, DS_EINVAL, "unexpected argument '%s'", arg);
}

int opt_parse(const struct opt_spec *specs, int argc, char **argv, unsigned flags, int *consumed,
              struct ds_error *err)
{
    size_t next_pos = 0, position = 0;
    bool options_done = false;
    int i;

    for (i = 0; i < argc; i++) {
        const char *arg = argv[i];

        if (options_done || arg[0] != '-' || !arg[1] || is_negative_number(specs, arg)) {
            if (flags & OPT_PARSE_STOP_AT_ARG)
                break;
            if (add_positional(specs, &next_pos, arg, err) < 0)
                return OPT_USAGE_ERROR;
            continue;
        }
        if (!strcmp(arg, "--")) {
            options_done = true;
            if (flags & OPT_PARSE_STOP_AT_ARG) {
                i++;
                break;
            }
            continue;
        }
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
            return OPT_HELP;

        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const struct opt_spec *o = find_long(specs, name, len);
            const char *value = NULL;

            if (!o) {
                ds_error_set(err, DS_EINVAL, "unknown option '--%.*s'", (int)len, name);
                return OPT_USAGE_ERROR;
            }
            if (takes_value(o)) {
                if (eq)
                    value = eq + 1;
                else if (i + 1 < argc)
                    value = argv[++i];
                else {
                    ds_error_set(err, DS_EINVAL, "option '--%s' needs a value", o->name);
                    return OPT_USAGE_ERROR;
                }
            }
            {
                struct buf shown = BUF_INIT;
                int rc;

                buf_addf(&shown, "--%s", o->name);
                /* as Go's flags read them: --orphans=false turns a default on off */
                if (eq && o->type == OPT_BOOL)
                    rc = set_bool(o, eq + 1, shown.buf, err);
                else
                    rc = set_value(o, value, shown.buf, err);
                buf_release(&shown);
                if (rc < 0)
                    return OPT_USAGE_ERROR;
            }
            continue;
        }

        for (const char *p = arg + 1; *p; p++) {
            const struct opt_spec *o = find_short(specs, *p);
            char shown[3] = {'-', *p, '\0'};

            if (!o) {
                ds_error_set(err, DS_EINVAL, "unknown option '-%c'", *p);
                return OPT_USAGE_ERROR;
            }
            if (!takes_value(o) && p[1] == '=') {
                /* "-i=false", as pflag reads a short boolean with a value; it ends the word */
                if (set_bool(o, p + 2, shown, err) < 0)
                    return OPT_USAGE_ERROR;
                break;
            }
            if (!takes_value(o)) {
                set_value(o, NULL, shown, err);
                continue;
            }
            if (p[1]) {
                if (set_value(o, p + 1, shown, err) < 0)
                    return OPT_USAGE_ERROR;
            } else if (i + 1 < argc) {
                if (set_value(o, argv[++i], shown, err) < 0)
                    return OPT_USAGE_ERROR;
            } else {
                ds_error_set(err, DS_EINVAL, "option '-%c' needs a value", *p);
                return OPT_USAGE_ERROR;
            }
            break;
        }
    }

    if (consumed)
        *consumed = i;
    if (flags & OPT_PARSE_STOP_AT_ARG) {
        bool positionals = false;

        for (const struct opt_spec *o = specs; o->type; o++)
            positionals |= is_positional(o);
        if (!positionals)
            return OPT_OK;
        /* the rest is taken verbatim: `exec SERVICE COMMAND -x` keeps the command's -x */
        for (; i < argc; i++)
            if (add_positional(specs, &next_pos, argv[i], err) < 0)
                return OPT_USAGE_ERROR;
    }

    for (const struct opt_spec *o = specs; o->type; o++) {
        if (o->type == OPT_ARG && position++ >= next_pos && (o->flags & OPT_REQUIRED)) {
            ds_error_set(err, DS_EINVAL, "missing argument %s", o->name);
            return OPT_USAGE_ERROR;
        }
        if (o->type == OPT_ARGS && (o->flags & OPT_REQUIRED) &&
            ((struct strvec *)o->value)->n == 0) {
            ds_error_set(err, DS_EINVAL, "missing argument %s", o->name);
            return OPT_USAGE_ERROR;
        }
    }
    return OPT_OK;
}

static void describe(struct buf *b, const struct opt_spec *o)
{
    if (o->short_name && o->name)
        buf_addf(b, "-%c, --%s", o->short_name, o->name);
    else if (o->short_name)
        buf_addf(b, "-%c", o->short_name);
    else
        buf_addf(b, "    --%s", o->name);
    if (takes_value(o))
        buf_addf(b, " %s", o->arg_name ? o->arg_name : "VALUE");
}

void opt_print_usage(FILE *out, const char *command, const struct opt_spec *specs)
{
    struct buf b = BUF_INIT;
    bool any_option = false;

    buf_addf(&b, "usage: %s", command);
    for (const struct opt_spec *o = specs; o && o->type; o++)
        if (!is_positional(o) && !(o->flags & OPT_HIDDEN))
            any_option = true;
    if (any_option)
        buf_adds(&b, " [OPTIONS]");
    for (const struct opt_spec *o = specs; o && o->type; o++) {
        if (!is_positional(o))
            continue;
        if (o->flags & OPT_REQUIRED)
            buf_addf(&b, " %s%s", o->name, o->type == OPT_ARGS ? "..." : "");
        else
            buf_addf(&b, " [%s%s]", o->name, o->type == OPT_ARGS ? "..." : "");
    }
    fprintf(out, "%s\n", b.buf);
    buf_release(&b);
}

void opt_print_help(FILE *out, const char *command, const char *summary,
                    const struct opt_spec *specs)
{
    struct buf b = BUF_INIT;
    bool header = false;

    opt_print_usage(out, command, specs);
    if (summary)
        fprintf(out, "\n%s\n", summary);
    for (const struct opt_spec *o = specs; o && o->type; o++) {
        if (is_positional(o) || (o->flags & OPT_HIDDEN))
            continue;
        if (!header) {
            fputs("\nOptions:\n", out);
            header = true;
        }
        buf_reset(&b);
        describe(&b, o);
        fprintf(out, "  %-28s %s\n", b.buf, o->help ? o->help : "");
    }
    if (!header)
        fputs("\nOptions:\n", out);
    fprintf(out, "  %-28s %s\n", "-h, --help", "show this help");
    buf_release(&b);
}
