#include <stdbool.h>
#include <string.h>

#include "reference.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/banned.h"

static bool is_positional(const struct opt_spec *o)
{
    return o->type == OPT_ARG || o->type == OPT_ARGS;
}

static bool takes_value(const struct opt_spec *o)
{
    return o->type != OPT_BOOL && !is_positional(o);
}

static bool is_option(const struct opt_spec *o)
{
    return !is_positional(o) && !(o->flags & OPT_HIDDEN);
}

static bool has_options(const struct opt_spec *specs)
{
    for (const struct opt_spec *o = specs; o && o->type; o++)
        if (is_option(o))
            return true;
    return false;
}

static const struct command *find_command(const struct command *table, const char *name)
{
    for (const struct command *c = table; c && c->name; c++)
        if (!(c->needs & HIDDEN_COMMAND) && !strcmp(c->name, name))
            return c;
    return NULL;
}

/* ---- completion -------------------------------------------------------------------- */

void completion_add(struct completion *out, const char *word, const char *help)
{
    if (!str_starts_with(word, out->typed))
        return;
    strvec_push(&out->words, word);
    strvec_push(&out->help, help ? help : "");
}

void completion_release(struct completion *c)
{
    strvec_clear(&c->words);
    strvec_clear(&c->help);
}

static void add_choices(struct completion *out, const char *choices)
{
    struct strvec values = STRVEC_INIT;

    strvec_split(&values, choices, '|');
    for (size_t i = 0; i < values.n; i++)
        completion_add(out, values.v[i], NULL);
    strvec_clear(&values);
}

static void add_commands(struct completion *out, const struct command *table)
{
    for (const struct command *c = table; c && c->name; c++)
        if (!(c->needs & HIDDEN_COMMAND))
            completion_add(out, c->name, c->help);
}

static void add_options(struct completion *out, const struct opt_spec *specs)
{
    struct buf word = BUF_INIT;

    for (const struct opt_spec *o = specs; o && o->type; o++) {
        if (!is_option(o))
            continue;
        if (o->name) {
            buf_reset(&word);
            buf_addf(&word, "--%s", o->name);
            completion_add(out, word.buf, o->help);
        }
        if (o->short_name) {
            buf_reset(&word);
            buf_addf(&word, "-%c", o->short_name);
            completion_add(out, word.buf, o->help);
        }
    }
    completion_add(out, "--help", "show this help");
    buf_release(&word);
}

/* What a value or a positional named `name` ("FILE", "SERVICE") is completed with. */
static enum complete_more complete_by_name(const char *name)
{
    if (!name)
        return COMPLETE_NOTHING;
    if (!strcmp(name, "SERVICE"))
        return COMPLETE_SERVICES;
    if (!strcmp(name, "DIR"))
        return COMPLETE_DIRS;
    if (str_ends_with(name, "FILE") || str_ends_with(name, "PATH"))
        return COMPLETE_FILES;
    return COMPLETE_NOTHING;
}

static void complete_value(struct completion *out, const struct opt_spec *o)
{
    if (o->choices)
        add_choices(out, o->choices);
    else
        out->more =
                complete_by_name(o->type == OPT_ARG || o->type == OPT_ARGS ? o->name : o->arg_name);
}

/* The positional spec that the n-th positional argument (from 0) fills, if any. */
static const struct opt_spec *nth_positional(const struct opt_spec *specs, size_t n)
{
    size_t i = 0;

    for (const struct opt_spec *o = specs; o && o->type; o++) {
        if (o->type == OPT_ARGS)
            return o;
        if (o->type == OPT_ARG && i++ == n)
            return o;
    }
    return NULL;
}

/*
 * The option a word names ("--name", "--name=value", "-x", "-xVALUE", "-dx")
 * when its value is the next word; NULL otherwise.
 */
static const struct opt_spec *option_wanting_value(const struct opt_spec *specs, const char *word)
{
    if (word[1] == '-') {
        const char *name = word + 2;
        size_t len = strlen(name);

        if (strchr(name, '='))
            return NULL;
        for (const struct opt_spec *o = specs; o && o->type; o++)
            if (!is_positional(o) && o->name && strlen(o->name) == len && !strcmp(o->name, name))
                return takes_value(o) ? o : NULL;
        return NULL;
    }
    for (const char *p = word + 1; *p; p++) {
        const struct opt_spec *o = NULL;

        for (const struct opt_spec *s = specs; s && s->type && !o; s++)
            if (!is_positional(s) && s->short_name == *p)
                o = s;
        if (!o)
            return NULL;
        if (takes_value(o))
            return p[1] ? NULL : o;
    }
    return NULL;
}

static const struct opt_spec *find_long(const struct opt_spec *specs, const char *name, size_t len)
{
    for (const struct opt_spec *o = specs; o && o->type; o++)
        if (!is_positional(o) && o->name && strlen(o->name) == len && !strncmp(o->name, name, len))
            return o;
    return NULL;
}

/* Where the words before the cursor leave the command line. */
struct walk {
    const struct command *cmd;      /* the command typed, NULL before one */
    const struct command *table;    /* its sub-commands */
    const struct opt_spec *specs;   /* the options now: the global ones before a command */
    const struct opt_spec *pending; /* the last word was this option; its value comes next */
    bool pending_long;              /* ... as --name: bash may split "--name=" off as "=" */
    bool options_done;              /* after "--", or a STOP_AT_ARG command's first argument */
    bool lost;                      /* a word that is no command: nothing to offer */
    size_t positionals;
    /* `help db snapshot`: the table the next word of help's COMMAND is in */
    bool in_help;
    const struct command *help_table;
};

static void enter(struct walk *w, const struct command *c)
{
    w->cmd = c;
    w->table = c->sub;
    w->specs = c->opts;
    w->positionals = 0;
    w->options_done = false;
}

static void walk_word(struct walk *w, const struct reference *ref, const char *word, int i,
                      struct completion *out)
{
    const struct command *c;

    if (w->pending) {
        if (w->pending_long && !strcmp(word, "="))
            w->pending_long = false;
        else
            w->pending = NULL;
        return;
    }
    if (!w->options_done && !strcmp(word, "--")) {
        w->options_done = true;
        return;
    }
    if (!w->options_done && word[0] == '-' && word[1]) {
        w->pending = option_wanting_value(w->specs, word);
        w->pending_long = word[1] == '-';
        return;
    }
    if (!w->cmd) {
        if (!(c = find_command(ref->commands, word))) {
            w->lost = true;
            return;
        }
        out->globals_end = i;
        enter(w, c);
        w->in_help = !strcmp(c->name, "help");
        w->help_table = ref->commands;
        return;
    }
    if (w->table && w->positionals == 0 && (c = find_command(w->table, word))) {
        enter(w, c);
        return;
    }
    if (!w->cmd->run) {
        w->lost = true;
        return;
    }
    if (w->in_help) {
        c = find_command(w->help_table, word);
        w->help_table = c ? c->sub : NULL;
    }
    w->positionals++;
    if (w->cmd->parse & OPT_PARSE_STOP_AT_ARG)
        w->options_done = true;
}

void reference_complete(struct completion *out, const struct reference *ref, int argc, char **argv)
{
    struct walk w = {.specs = ref->global_options};
    const char *cur = argc > 0 ? argv[argc - 1] : "";

    for (int i = 0; i + 1 < argc && !w.lost; i++)
        walk_word(&w, ref, argv[i], i, out);
    if (!w.cmd)
        out->globals_end = argc > 0 ? argc - 1 : 0;
    out->typed = cur;
    out->insert = cur;
    out->insert_len = 0;
    if (w.lost)
        return;

    if (w.pending) {
        if (w.pending_long && !strcmp(cur, "=")) {
            out->typed = "";
            out->insert_len = 1;
        }
        complete_value(out, w.pending);
        return;
    }
    if (!w.options_done && cur[0] == '-') {
        const char *eq = cur[1] == '-' ? strchr(cur, '=') : NULL;

        if (eq) {
            const struct opt_spec *o = find_long(w.specs, cur + 2, (size_t)(eq - cur - 2));

            /* the candidates are whole words, "--pull=always", as zsh replaces the word */
            if (o && takes_value(o)) {
                out->insert_len = (size_t)(eq - cur) + 1;
                out->typed = eq + 1;
                complete_value(out, o);
            }
            return;
        }
        add_options(out, w.specs);
        return;
    }
    if (!w.cmd) {
        add_commands(out, ref->commands);
        return;
    }
    if (w.table && w.positionals == 0)
        add_commands(out, w.table);
    if (w.in_help) {
        add_commands(out, w.help_table);
        return;
    }
    if (w.cmd->run) {
        const struct opt_spec *o = nth_positional(w.cmd->opts, w.positionals);

        if (o)
            complete_value(out, o);
    }
}

/* ---- devstack(1) -------------------------------------------------------------------- */

/*
 * The variables devstack reads (tests/cli/test_reference.sh checks the
 * sources' getenv() calls against this list).
 */
static const struct {
    const char *name, *help;
} environment[] = {
        {"DOCKER_HOST", "the engine's address: unix:///path/docker.sock or tcp://host[:port]"},
        {"DOCKER_CONTEXT", "the docker CLI context whose endpoint to use (else currentContext in "
                           "config.json)"},
        {"DOCKER_CONFIG", "the docker CLI's configuration directory (default ~/.docker): "
                          "contexts, registry credentials"},
        {"DOCKER_TLS_VERIFY", "set: TLS to a tcp:// engine, its certificate verified"},
        {"DOCKER_TLS", "set: TLS to a tcp:// engine without verifying it (a warning says so)"},
        {"DOCKER_CERT_PATH", "ca.pem, cert.pem and key.pem for TLS (default $DOCKER_CONFIG)"},
        {"DOCKER_BUILDKIT", "0: build with the engine's classic builder; 1: with BuildKit (default "
                            "where the engine has it)"},
        {"COMPOSE_FILE", "the compose files when no -f is given"},
        {"COMPOSE_PROJECT_NAME", "the project name when no -p is given (also read from .env)"},
        {"COMPOSE_PROFILES", "profiles to enable when no --profile is given, comma-separated"},
        {"COMPOSE_PARALLEL_LIMIT", "at most this many builds at once when no --parallel is given "
                                   "(0 or less: no limit)"},
        {"DATABASE_URL", "the database of the db commands, as an SQLAlchemy URL"},
        {"ALEMBIC_CONFIG", "alembic.ini to use when no -c is given"},
        {"DEVSTACK_ALEMBIC",
         "the Alembic command to run (default alembic, else python3 -m alembic)"},
        {"DEVSTACK_BIND_ALL", "1: publish ports without a host IP on every interface, not on "
                              "127.0.0.1"},
        {"DEVSTACK_DEVCONTAINER", "set in the app's container: devstack runs there as the app"},
        {"DEVSTACK_LOCAL", "1: run Alembic here, not in the app service's container"},
        {"DEVSTACK_WATCH_ARCHIVE", "1: watch copies files through the engine's archive API, "
                                   "never straight into the container's root"},
        {"DEVSTACK_ENV_TEMPLATE", "the env.py that migrate --bootstrap installs"},
        {"SSH_AUTH_SOCK", "the SSH agent a build's ssh: default forwards"},
        {"NO_COLOR", "set: no color in the output"},
        {"TMPDIR", "where temporary files go (default /tmp)"},
        {"XDG_RUNTIME_DIR", "where the engine's socket and the project locks are looked for"},
};

/* s as roff text: backslashes and minus signs escaped, a leading dot or quote guarded */
static void roff(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", out);
    for (const char *p = s; *p; p++) {
        if (*p == '\\')
            fputs("\\e", out);
        else if (*p == '-')
            fputs("\\-", out);
        else
            fputc(*p, out);
    }
}

static void roff_font(FILE *out, const char *font, const char *s)
{
    fprintf(out, "\\f%s", font);
    roff(out, s);
    fputs("\\fR", out);
}

/* "-d, --detach", "--pull always|missing|never", "--timeout SECONDS" */
static void man_option_line(FILE *out, const struct opt_spec *o)
{
    if (o->short_name)
        fprintf(out, "\\fB\\-%c\\fR%s", o->short_name, o->name ? ", " : "");
    if (o->name) {
        fputs("\\fB\\-\\-", out);
        roff(out, o->name);
        fputs("\\fR", out);
    }
    if (o->type == OPT_CHOICE && o->choices) {
        struct strvec values = STRVEC_INIT;

        strvec_split(&values, o->choices, '|');
        for (size_t i = 0; i < values.n; i++) {
            fputs(i ? "|" : " ", out);
            roff_font(out, "B", values.v[i]);
        }
        strvec_clear(&values);
    } else if (takes_value(o)) {
        fputc(' ', out);
        roff_font(out, "I", o->arg_name ? o->arg_name : "VALUE");
    }
    fputc('\n', out);
}

static void man_options(FILE *out, const struct opt_spec *specs)
{
    for (const struct opt_spec *o = specs; o && o->type; o++) {
        if (o->flags & OPT_HIDDEN)
            continue;
        fputs(".TP\n", out);
        if (is_positional(o)) {
            roff_font(out, "I", o->name);
            fputs(o->type == OPT_ARGS ? "...\n" : "\n", out);
        } else {
            man_option_line(out, o);
        }
        roff(out, o->help && *o->help ? o->help : "(no description)");
        fputc('\n', out);
    }
}

/* "devstack db snapshot restore [OPTIONS] NAME" */
static void man_synopsis(FILE *out, const char *path, const struct command *c)
{
    fputs(".B devstack ", out);
    roff(out, path);
    fputc('\n', out);
    if (!c->run) {
        fputs("\\fICOMMAND\\fR\n", out);
        return;
    }
    if (has_options(c->opts))
        fputs("[\\fIOPTIONS\\fR]\n", out);
    for (const struct opt_spec *o = c->opts; o && o->type; o++) {
        bool required = o->flags & OPT_REQUIRED;

        if (!is_positional(o) || (o->flags & OPT_HIDDEN))
            continue;
        fputs(required ? "" : "[", out);
        roff_font(out, "I", o->name);
        fprintf(out, "%s%s\n", o->type == OPT_ARGS ? "..." : "", required ? "" : "]");
    }
    if (c->sub) {
        fputs(".br\n.B devstack ", out);
        roff(out, path);
        fputs("\n\\fICOMMAND\\fR\n", out);
    }
}

static void man_commands(FILE *out, const struct command *table, const char *group)
{
    struct buf path = BUF_INIT;

    for (const struct command *c = table; c && c->name; c++) {
        if (c->needs & HIDDEN_COMMAND)
            continue;
        buf_reset(&path);
        buf_addf(&path, "%s%s%s", group ? group : "", group ? " " : "", c->name);
        fprintf(out, ".SS \"devstack %s\"\n", path.buf);
        man_synopsis(out, path.buf, c);
        fputs(".PP\n", out);
        roff(out, c->help ? c->help : "");
        fputc('\n', out);
        man_options(out, c->opts);
        if (c->sub) {
            fputs(".PP\nIts commands:\n", out);
            for (const struct command *s = c->sub; s->name; s++) {
                if (s->needs & HIDDEN_COMMAND)
                    continue;
                fputs(".TP\n", out);
                roff_font(out, "B", s->name);
                fputc('\n', out);
                roff(out, s->help ? s->help : "");
                fputc('\n', out);
            }
        }
        if (c->sub)
            man_commands(out, c->sub, path.buf);
    }
    buf_release(&path);
}

void reference_man(FILE *out, const struct reference *ref, const char *version, const char *date)
{
    fprintf(out, ".\\\" devstack(1), made by 'devstack __man' from devstack's command tables\n");
    fprintf(out, ".TH DEVSTACK 1 \"%s\" \"devstack %s\" \"User Commands\"\n", date, version);
    fputs(".SH NAME\n"
          "devstack \\- a Docker Compose dev stack with MySQL and Alembic, in one binary\n"
          ".SH SYNOPSIS\n"
          ".B devstack\n"
          "[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n"
          ".br\n"
          ".B devstack\n"
          "\\fB\\-\\-version\\fR | \\fB\\-h\\fR | \\fBhelp\\fR [\\fICOMMAND\\fR...]\n"
          ".SH DESCRIPTION\n"
          "devstack runs a compose project on the Docker Engine, which it talks to over the "
          "Engine API, with the flags and output of Docker Compose v2: it reads the same "
          "compose files, names and labels what it creates the same way, and waits until a "
          "MySQL, MariaDB or PostgreSQL service really accepts the application's user.\n"
          "It also manages the database: Alembic's migration state read natively, migrations, "
          "dumps, restores and snapshots.\n"
          ".PP\n"
          "The global options come before the command; a command's options after its name.\n"
          "\\fBdevstack help\\fR \\fICOMMAND\\fR (or \\fICOMMAND\\fR \\fB\\-\\-help\\fR) prints "
          "a command's options, and \\fBdevstack completion\\fR \\fBbash\\fR|\\fBzsh\\fR a "
          "script that completes them in the shell.\n"
          ".SH GLOBAL OPTIONS\n",
          out);
    man_options(out, ref->global_options);
    fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\n"
          "show the help: devstack's, or after a command, the command's\n"
          ".SH COMMANDS\n",
          out);
    man_commands(out, ref->commands, NULL);

    fputs(".SH ENVIRONMENT\n", out);
    for (size_t i = 0; i < sizeof(environment) / sizeof(environment[0]); i++) {
        fprintf(out, ".TP\n.B %s\n", environment[i].name);
        roff(out, environment[i].help);
        fputc('\n', out);
    }
    fputs(".PP\nThe compose file's variables come from the environment and the project's "
          "\\fI.env\\fR, the environment first.\n"
          ".SH FILES\n"
          ".TP\n.I compose.yaml\n"
          "The compose file, found as Compose finds it (compose.yaml, compose.yml, "
          "docker\\-compose.yml, docker\\-compose.yaml, with an override file beside it) in the "
          "current directory, its \\fIcompose/\\fR folder, or a parent directory.\n"
          ".TP\n.I .env\n"
          "The project's variables; \\fBup\\fR makes it from \\fI.env.example\\fR when it is "
          "missing.\n"
          ".TP\n.I alembic.ini\n"
          "The Alembic project of the db commands (or \\fB\\-c\\fR \\fIFILE\\fR).\n"
          ".TP\n.I .devstack/snapshots/\n"
          "The database snapshots, at the top of the git repository.\n"
          ".TP\n.I ~/.docker/config.json\n"
          "The docker CLI's current context and registry credentials.\n"
          ".TP\n.I /run/devstack/\n"
          "The projects' locks (root; a user's are in \\fI/run/user/UID/devstack/\\fR or "
          "\\fI/tmp/devstack\\-UID/\\fR).\n",
          out);
    fprintf(out,
            ".SH EXIT STATUS\n"
            ".TP\n.B %d\nsuccess\n"
            ".TP\n.B %d\nan error, or a check that failed (\\fBdb check\\fR, \\fBdoctor\\fR)\n"
            ".TP\n.B %d\na usage error: an unknown command or option, a bad value\n"
            ".TP\n.B %d\ninterrupted (Ctrl\\-C)\n"
            ".PP\n\\fBexec\\fR exits with the command's own status.\n",
            EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED);
    fputs(".SH SEE ALSO\n"
          ".BR docker (1),\n"
          ".BR docker\\-compose (1),\n"
          ".BR alembic (1),\n"
          ".BR mysql (1)\n",
          out);
}

/* ---- the list the README's check reads --------------------------------------------- */

static void list_commands(FILE *out, const struct command *table, const char *group)
{
    struct buf path = BUF_INIT;

    for (const struct command *c = table; c && c->name; c++) {
        if (c->needs & HIDDEN_COMMAND)
            continue;
        buf_reset(&path);
        buf_addf(&path, "%s%s%s", group ? group : "", group ? " " : "", c->name);
        fputs(path.buf, out);
        for (const struct opt_spec *o = c->opts; o && o->type; o++) {
            if (!is_option(o))
                continue;
            fputc('\t', out);
            if (o->name)
                fprintf(out, "--%s%s", o->name, o->short_name ? "," : "");
            if (o->short_name)
                fprintf(out, "-%c", o->short_name);
        }
        fputc('\n', out);
        list_commands(out, c->sub, path.buf);
    }
    buf_release(&path);
}

void reference_list(FILE *out, const struct reference *ref)
{
    list_commands(out, ref->commands, NULL);
}
