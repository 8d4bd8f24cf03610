/*
 * The command reference (cmd/devstack/reference.c) over a small command
 * tree of its own: what the shell's completion offers after each command
 * line, the lines of devstack(1) made from the tables, and the list the
 * README's check reads. Table-driven: every row runs, each mismatch is
 * printed, the test fails once at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/devstack/reference.h"
#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

static bool f_bool;
static const char *f_string;
static struct strvec f_list = STRVEC_INIT;

static int run_nothing(struct cmd_context *ctx)
{
    (void)ctx;
    return 0;
}

static const struct opt_spec global_opts[] = {
        {OPT_LIST, "file", 'f', &f_list, "FILE", "compose file"},
        {OPT_STRING, "project-name", 'p', &f_string, "NAME", "project name"},
        {OPT_STRING, "project-directory", 0, &f_string, "DIR", "project directory"},
        {OPT_BOOL, "version", 0, &f_bool, NULL, "show the version"},
        {0},
};

static const struct opt_spec up_opts[] = {
        {OPT_BOOL, "detach", 'd', &f_bool, NULL, "run in the background"},
        {OPT_CHOICE, "pull", 0, &f_string, "POLICY", "pull images", 0, "always|missing|never"},
        {OPT_INT, "timeout", 't', &f_string, "SECONDS", "stop timeout"},
        {OPT_BOOL, "secret", 0, &f_bool, NULL, "not shown", OPT_HIDDEN},
        {OPT_ARGS, "SERVICE", 0, &f_list, NULL, "services to start"},
        {0},
};

static const struct opt_spec down_opts[] = {
        {OPT_BOOL, "volumes", 'v', &f_bool, NULL, "remove volumes"},
        {0},
};

static const struct opt_spec exec_opts[] = {
        {OPT_STRING, "user", 'u', &f_string, "USER", "run as this user"},
        {OPT_ARG, "SERVICE", 0, &f_string, NULL, "the service", OPT_REQUIRED},
        {OPT_ARGS, "COMMAND", 0, &f_list, NULL, "the command", OPT_REQUIRED},
        {0},
};

static const struct opt_spec shell_opts[] = {
        {OPT_ARG, "SHELL", 0, &f_string, NULL, "the shell", OPT_REQUIRED, "bash|zsh"},
        {0},
};

static const struct opt_spec help_opts[] = {
        {OPT_ARGS, "COMMAND", 0, &f_list, NULL, "the command"},
        {0},
};

static const struct opt_spec dump_opts[] = {
        {OPT_STRING, "config", 'c', &f_string, "FILE", "alembic.ini to use"},
        {OPT_ARG, "FILE", 0, &f_string, NULL, "the dump"},
        {0},
};

static const struct opt_spec snapshot_opts[] = {
        {OPT_ARG, "NAME", 0, &f_string, NULL, "a label"},
        {0},
};

static const struct opt_spec restore_opts[] = {
        {OPT_BOOL, "latest", 0, &f_bool, NULL, "the newest snapshot"},
        {OPT_ARG, "NAME", 0, &f_string, NULL, "the snapshot"},
        {0},
};

static const struct command snapshot_cmds[] = {
        {"restore", run_nothing, restore_opts, 0, "Restore a snapshot"},
        {"rm", run_nothing, snapshot_opts, 0, "Remove a snapshot"},
        {NULL},
};

static const struct command db_cmds[] = {
        {"dump", run_nothing, dump_opts, 0, "Write a dump"},
        {"snapshot", run_nothing, snapshot_opts, 0, "Keep a snapshot", snapshot_cmds},
        {NULL},
};

static const struct command commands[] = {
        {"__complete", run_nothing, help_opts, HIDDEN_COMMAND, "Complete"},
        {"completion", run_nothing, shell_opts, 0, "Print a completion script"},
        {"db", NULL, NULL, 0, "Database commands", db_cmds},
        {"down", run_nothing, down_opts, 0, "Stop the stack"},
        {"exec", run_nothing, exec_opts, 0, "Run a command", NULL, OPT_PARSE_STOP_AT_ARG},
        {"help", run_nothing, help_opts, 0, "Show help"},
        {"up", run_nothing, up_opts, 0, "Start the stack"},
        {NULL},
};

static const struct reference ref = {commands, global_opts};

#define MAX_WORDS 8

static void test_complete(void **state)
{
    static const struct {
        const char *argv[MAX_WORDS];
        const char *words; /* the candidates, space-separated */
        enum complete_more more;
        const char *insert;
        int globals_end; /* -1: not checked */
    } cases[] = {
            {{""}, "completion db down exec help up", COMPLETE_NOTHING, "", 0},
            {{"d"}, "db down", COMPLETE_NOTHING, "", 0},
            {{"__"}, "", COMPLETE_NOTHING, "", -1},
            {{"-"},
             "--file -f --project-name -p --project-directory --version --help",
             COMPLETE_NOTHING,
             "",
             -1},
            {{"-f", ""}, "", COMPLETE_FILES, "", -1},
            {{"--project-directory", ""}, "", COMPLETE_DIRS, "", -1},
            {{"-p", "x", "-f", "a.yml", "u"}, "up", COMPLETE_NOTHING, "", 4},
            {{"--version", "--", "d"}, "db down", COMPLETE_NOTHING, "", -1},
            /* groups, at every level */
            {{"db", ""}, "dump snapshot", COMPLETE_NOTHING, "", -1},
            {{"db", "s"}, "snapshot", COMPLETE_NOTHING, "", -1},
            {{"db", "snapshot", ""}, "restore rm", COMPLETE_NOTHING, "", -1},
            {{"db", "snapshot", "restore", "--"}, "--latest --help", COMPLETE_NOTHING, "", -1},
            {{"db", "snapshot", "mine", ""}, "", COMPLETE_NOTHING, "", -1},
            {{"db", "bogus", ""}, "", COMPLETE_NOTHING, "", -1},
            {{"bogus", ""}, "", COMPLETE_NOTHING, "", -1},
            /* options of the command typed, hidden ones left out */
            {{"up", "-"}, "--detach -d --pull --timeout -t --help", COMPLETE_NOTHING, "", -1},
            {{"up", "--p"}, "--pull", COMPLETE_NOTHING, "", -1},
            {{"down", "--"}, "--volumes --help", COMPLETE_NOTHING, "", -1},
            /* values: choices, wherever bash or zsh put the '=' */
            {{"up", "--pull", ""}, "always missing never", COMPLETE_NOTHING, "", -1},
            {{"up", "--pull", "m"}, "missing", COMPLETE_NOTHING, "", -1},
            {{"up", "--pull", "=", "n"}, "never", COMPLETE_NOTHING, "", -1},
            {{"up", "--pull", "="}, "always missing never", COMPLETE_NOTHING, "=", -1},
            {{"up", "--pull=a"}, "always", COMPLETE_NOTHING, "--pull=", -1},
            {{"up", "--timeout", ""}, "", COMPLETE_NOTHING, "", -1},
            {{"up", "-dt", ""}, "", COMPLETE_NOTHING, "", -1},
            /* positionals: services, files, choices */
            {{"up", ""}, "", COMPLETE_SERVICES, "", 0},
            {{"-f", "x.yml", "up", "-d", "--pull", "never", "w"}, "", COMPLETE_SERVICES, "", 2},
            {{"up", "--", "-x"}, "", COMPLETE_SERVICES, "", -1},
            {{"db", "dump", ""}, "", COMPLETE_FILES, "", -1},
            {{"db", "dump", "-c", ""}, "", COMPLETE_FILES, "", -1},
            {{"completion", ""}, "bash zsh", COMPLETE_NOTHING, "", -1},
            {{"completion", "z"}, "zsh", COMPLETE_NOTHING, "", -1},
            {{"completion", "zsh", ""}, "", COMPLETE_NOTHING, "", -1},
            /* exec: options end at the service; the rest is the command's */
            {{"exec", ""}, "", COMPLETE_SERVICES, "", -1},
            {{"exec", "-u", "root", "w"}, "", COMPLETE_SERVICES, "", -1},
            {{"exec", "web", "-"}, "", COMPLETE_NOTHING, "", -1},
            /* help COMMAND: the commands, at the level its words reach */
            {{"help", ""}, "completion db down exec help up", COMPLETE_NOTHING, "", -1},
            {{"help", "db", ""}, "dump snapshot", COMPLETE_NOTHING, "", -1},
            {{"help", "db", "snapshot", "r"}, "restore rm", COMPLETE_NOTHING, "", -1},
            {{"help", "up", ""}, "", COMPLETE_NOTHING, "", -1},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct completion c = COMPLETION_INIT;
        struct buf words = BUF_INIT, insert = BUF_INIT;
        char *argv[MAX_WORDS + 1] = {NULL};
        int argc = 0;

        while (argc < MAX_WORDS && cases[i].argv[argc]) {
            argv[argc] = (char *)cases[i].argv[argc];
            argc++;
        }
        reference_complete(&c, &ref, argc, argv);
        for (size_t k = 0; k < c.words.n; k++)
            buf_addf(&words, "%s%s", k ? " " : "", c.words.v[k]);
        buf_add(&insert, c.insert, c.insert_len);
        if (strcmp(words.buf, cases[i].words) != 0 || c.more != cases[i].more ||
            strcmp(insert.buf, cases[i].insert) != 0 ||
            (cases[i].globals_end >= 0 && c.globals_end != cases[i].globals_end) ||
            c.help.n != c.words.n) {
            print_error("case %zu: words '%s' (want '%s'), more %d (want %d), insert '%s' (want "
                        "'%s'), globals_end %d\n",
                        i, words.buf, cases[i].words, (int)c.more, (int)cases[i].more, insert.buf,
                        cases[i].insert, c.globals_end);
            bad++;
        }
        buf_release(&words);
        buf_release(&insert);
        completion_release(&c);
    }
    if (bad)
        fail_msg("%d completion cases failed", bad);
}

/* The descriptions are the tables' help texts. */
static void test_complete_help(void **state)
{
    struct completion c = COMPLETION_INIT;
    char *argv[] = {(char *)"up", (char *)"--d"};

    (void)state;
    reference_complete(&c, &ref, 2, argv);
    assert_int_equal(c.words.n, 1);
    assert_string_equal(c.words.v[0], "--detach");
    assert_string_equal(c.help.v[0], "run in the background");
    completion_release(&c);
}

static char *capture(void (*write)(FILE *out))
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    write(out);
    assert_int_equal(fclose(out), 0);
    return text;
}

static void write_man(FILE *out)
{
    reference_man(out, &ref, "1.2.3", "2026-01-02");
}

static void write_list(FILE *out)
{
    reference_list(out, &ref);
}

static void test_man(void **state)
{
    static const char *const present[] = {
            ".TH DEVSTACK 1 \"2026-01-02\" \"devstack 1.2.3\" \"User Commands\"\n",
            "\n.SH NAME\ndevstack \\- ",
            "\n.SH GLOBAL OPTIONS\n.TP\n\\fB\\-f\\fR, \\fB\\-\\-file\\fR \\fIFILE\\fR\n"
            "compose file\n",
            "\n.TP\n\\fB\\-\\-project\\-directory\\fR \\fIDIR\\fR\n",
            "\n.SS \"devstack up\"\n.B devstack up\n[\\fIOPTIONS\\fR]\n[\\fISERVICE\\fR...]\n"
            ".PP\nStart the stack\n",
            "\n.TP\n\\fB\\-\\-pull\\fR \\fBalways\\fR|\\fBmissing\\fR|\\fBnever\\fR\npull images\n",
            "\n.TP\n\\fB\\-t\\fR, \\fB\\-\\-timeout\\fR \\fISECONDS\\fR\nstop timeout\n",
            "\n.TP\n\\fISERVICE\\fR...\nservices to start\n",
            "\n.SS \"devstack db\"\n.B devstack db\n\\fICOMMAND\\fR\n",
            "\n.SS \"devstack db snapshot\"\n",
            "\n.SS \"devstack db snapshot restore\"\n.B devstack db snapshot restore\n"
            "[\\fIOPTIONS\\fR]\n[\\fINAME\\fR]\n",
            "\n.SS \"devstack exec\"\n.B devstack exec\n[\\fIOPTIONS\\fR]\n\\fISERVICE\\fR\n"
            "\\fICOMMAND\\fR...\n",
            "\n.SH ENVIRONMENT\n.TP\n.B DOCKER_HOST\n",
            "\n.SH EXIT STATUS\n.TP\n.B 0\n",
            "\n.TP\n.B 2\n",
            "\n.TP\n.B 130\n",
            "\n.SH SEE ALSO\n",
    };
    static const char *const absent[] = {"__complete", "secret", "not shown", "\n\n"};
    char *text = capture(write_man);
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(present); i++)
        if (!strstr(text, present[i])) {
            print_error("the page lacks:\n%s\n", present[i]);
            bad++;
        }
    for (size_t i = 0; i < ARRAY_SIZE(absent); i++)
        if (strstr(text, absent[i])) {
            print_error("the page has '%s'\n", absent[i]);
            bad++;
        }
    /* every line of text outside a macro is safe from roff: no leading dot or quote */
    for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
        if (*line == '\'' || (*line == '.' && line[1] == ' ')) {
            print_error("a line roff would read as a request: %.40s\n", line);
            bad++;
        }
        if (!strchr(line, '\n'))
            break;
    }
    if (bad) {
        print_error("%s", text);
        fail_msg("%d man page checks failed", bad);
    }
    free(text);
}

static void test_list(void **state)
{
    char *text = capture(write_list);

    (void)state;
    assert_string_equal(text, "completion\n"
                              "db\n"
                              "db dump\t--config,-c\n"
                              "db snapshot\n"
                              "db snapshot restore\t--latest\n"
                              "db snapshot rm\n"
                              "down\t--volumes,-v\n"
                              "exec\t--user,-u\n"
                              "help\n"
                              "up\t--detach,-d\t--pull\t--timeout,-t\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_complete),
            cmocka_unit_test(test_complete_help),
            cmocka_unit_test(test_man),
            cmocka_unit_test(test_list),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
