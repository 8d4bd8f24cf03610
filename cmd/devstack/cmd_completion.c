/*
 * devstack completion bash|zsh: the shell's completion script, and the hidden
 * commands that read the command tables (reference.h): __complete, which
 * the script calls on every Tab, __man (devstack(1), made by the build) and
 * __commands (what tests/cli/test_reference.sh checks README.md against).
 *
 * The scripts hold no command or option of their own: they ask the binary,
 * so what a table gains is completed at once, as docker's cobra-made
 * scripts do with `docker __complete`.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "compose/compose.h"
#include "devstack.h"
#include "reference.h"
#include "util/banned.h"

#ifndef DEVSTACK_VERSION
#define DEVSTACK_VERSION "0.0.0"
#endif

static const char *shell;

const struct opt_spec cmd_completion_options[] = {
        {OPT_ARG, "SHELL", 0, &shell, NULL, "the shell: bash or zsh", OPT_REQUIRED, "bash|zsh"},
        {0},
};

/*
 * Each line of `devstack __complete -- WORD...` is a candidate (a tab, then
 * its description), the last one what else to complete: ":files", ":dirs"
 * or ":none".
 */
static const char bash_script[] =
        "# bash completion for devstack: 'devstack completion bash'. The commands,\n"
        "# options and services come from 'devstack __complete' on each Tab.\n"
        "_devstack()\n"
        "{\n"
        "    local cur=${COMP_WORDS[COMP_CWORD]} prog=${COMP_WORDS[0]/#\\~/$HOME} line more=\n"
        "    local -a out\n"
        "    COMPREPLY=()\n"
        "    mapfile -t out < <(\"$prog\" __complete -- \"${COMP_WORDS[@]:1:COMP_CWORD}\" "
        "2>/dev/null)\n"
        "    for line in \"${out[@]}\"; do\n"
        "        case $line in\n"
        "        :*) more=$line ;;\n"
        "        *) COMPREPLY+=(\"${line%%$'\\t'*}\") ;;\n"
        "        esac\n"
        "    done\n"
        "    case $more in\n"
        "    :files | :dirs)\n"
        "        compopt -o filenames 2>/dev/null\n"
        "        if [[ $cur == = ]]; then\n"
        "            # --file=<Tab>: bash's word is the '=', which the names must keep\n"
        "            mapfile -t COMPREPLY < <(compgen \"-${more:1:1}\" -- '')\n"
        "            COMPREPLY=(\"${COMPREPLY[@]/#/=}\")\n"
        "        else\n"
        "            mapfile -t -O \"${#COMPREPLY[@]}\" COMPREPLY < <(compgen \"-${more:1:1}\" -- "
        "\"$cur\")\n"
        "        fi\n"
        "        ;;\n"
        "    esac\n"
        "    return 0\n"
        "}\n"
        "complete -F _devstack devstack\n";

static const char zsh_script[] =
        "#compdef devstack\n"
        "# zsh completion for devstack: 'devstack completion zsh'. The commands,\n"
        "# options and services come from 'devstack __complete' on each Tab.\n"
        "_devstack() {\n"
        "    local prog=${words[1]/#\\~/$HOME} line word desc more= ret=1\n"
        "    local -a out described\n"
        "    out=(\"${(@f)$(\"$prog\" __complete -- \"${(@)words[2,CURRENT-1]}\" \"$PREFIX\" "
        "2>/dev/null)}\")\n"
        "    for line in \"${out[@]}\"; do\n"
        "        case $line in\n"
        "        (:*) more=$line ;;\n"
        "        ('') ;;\n"
        "        (*)\n"
        "            word=${line%%$'\\t'*}\n"
        "            desc=${line#*$'\\t'}\n"
        "            [[ $desc == \"$line\" ]] && desc=\n"
        "            described+=(\"${word//:/\\\\:}${desc:+:$desc}\")\n"
        "            ;;\n"
        "        esac\n"
        "    done\n"
        "    (( ${#described} )) && _describe -t devstack devstack described && ret=0\n"
        "    [[ $more == :(files|dirs) && $PREFIX == -*=* ]] && compset -P '*='\n"
        "    case $more in\n"
        "    (:files) _files && ret=0 ;;\n"
        "    (:dirs) _files -/ && ret=0 ;;\n"
        "    esac\n"
        "    return ret\n"
        "}\n"
        "\n"
        "if [ \"$funcstack[1]\" = _devstack ]; then\n"
        "    _devstack \"$@\"\n"
        "else\n"
        "    compdef _devstack devstack\n"
        "fi\n";

int cmd_completion(struct cmd_context *ctx)
{
    (void)ctx;
    fputs(!strcmp(shell, "zsh") ? zsh_script : bash_script, stdout);
    return EXIT_OK;
}

/* ---- __complete ----------------------------------------------------------------------- */

static struct strvec complete_words = STRVEC_INIT;

const struct opt_spec cmd_complete_options[] = {
        {OPT_ARGS, "WORD", 0, &complete_words, NULL,
         "the words after 'devstack', the last one the one being completed"},
        {0},
};

/*
 * The services of the project the global options among the words name, read
 * as `config` reads it; none when it does not load (a completion says nothing).
 */
static void add_services(struct completion *c, const struct reference *ref, struct strvec *words,
                         const struct globals *globals)
{
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *project = NULL;
    struct compose_options o = {0};
    int consumed = 0;

    /* into the globals, which the options below are read from */
    if (c->globals_end > 0 && opt_parse(ref->global_options, c->globals_end, words->v,
                                        OPT_PARSE_STOP_AT_ARG, &consumed, &err) < 0) {
        ds_error_release(&err);
        return;
    }
    o.files = &globals->files;
    o.project_name = globals->project_name;
    o.project_directory = globals->project_directory;
    o.env_files = &globals->env_files;
    o.profiles = &globals->profiles;
    if (compose_load(&project, &o, &err) == 0)
        for (size_t i = 0; i < project->n_services; i++)
            completion_add(c, project->services[i].name, NULL);
    compose_project_free(project);
    ds_error_release(&err);
}

int cmd_complete(struct cmd_context *ctx, const struct reference *ref)
{
    static const char *const more[] = {
            [COMPLETE_NOTHING] = ":none",
            [COMPLETE_FILES] = ":files",
            [COMPLETE_DIRS] = ":dirs",
            [COMPLETE_SERVICES] = ":none",
    };
    struct completion c = COMPLETION_INIT;

    if (!complete_words.n)
        strvec_push(&complete_words, "");
    reference_complete(&c, ref, (int)complete_words.n, complete_words.v);
    if (c.more == COMPLETE_SERVICES)
        add_services(&c, ref, &complete_words, ctx->globals);
    for (size_t i = 0; i < c.words.n; i++)
        printf("%.*s%s\t%s\n", (int)c.insert_len, c.insert, c.words.v[i], c.help.v[i]);
    printf("%s\n", more[c.more]);
    completion_release(&c);
    strvec_clear(&complete_words);
    return EXIT_OK;
}

/* ---- __man, __commands ---------------------------------------------------------------- */

static const char *man_date;

const struct opt_spec cmd_man_options[] = {
        {OPT_STRING, "date", 0, &man_date, "DATE", "the page's date (default: today)"},
        {0},
};

int cmd_man(struct cmd_context *ctx, const struct reference *ref)
{
    char today[16] = "";

    (void)ctx;
    if (!man_date) {
        time_t now = time(NULL);
        struct tm tm;

        if (gmtime_r(&now, &tm))
            strftime(today, sizeof(today), "%Y-%m-%d", &tm);
        man_date = today;
    }
    reference_man(stdout, ref, DEVSTACK_VERSION, man_date);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

const struct opt_spec cmd_commands_options[] = {
        {0},
};

int cmd_commands(struct cmd_context *ctx, const struct reference *ref)
{
    (void)ctx;
    reference_list(stdout, ref);
    return EXIT_OK;
}
