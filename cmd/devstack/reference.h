/*
 * The command reference, made from the command tables and their option
 * tables when it is asked for: the answers of the shell's completion
 * (`devstack __complete`), the roff of devstack(1) (`devstack __man`) and
 * the list the README's check reads (`devstack __commands`). A command or an
 * option added to a table is in all three without another edit.
 *
 * Nothing here reads files, the engine or the environment: the caller adds
 * what needs the project (its services).
 */
#ifndef DEVSTACK_REFERENCE_H
#define DEVSTACK_REFERENCE_H

#include <stdio.h>

#include "devstack.h"
#include "util/strvec.h"

struct reference {
    const struct command *commands; /* the top level, ended by {NULL} */
    const struct opt_spec *global_options;
};

/* What the shell completes besides the words. */
enum complete_more {
    COMPLETE_NOTHING = 0,
    COMPLETE_FILES,
    COMPLETE_DIRS,
    COMPLETE_SERVICES, /* the project's services, which the caller reads */
};

struct completion {
    struct strvec words; /* the candidates, each starting with `typed` */
    struct strvec help;  /* a description for each word, "" when there is none */
    enum complete_more more;
    /* the text being completed: the word, or the value after "--name=" */
    const char *typed;
    /* what goes before each candidate: "--name=" of "--name=va", "=" of bash's "=", or "" */
    const char *insert;
    size_t insert_len;
    /* argv[0..globals_end) are the global options before the command */
    int globals_end;
};
#define COMPLETION_INIT                                                                            \
    {                                                                                              \
        STRVEC_INIT, STRVEC_INIT, COMPLETE_NOTHING, "", "", 0, 0                                   \
    }

/*
 * Complete argv[argc - 1], the word under the cursor ("" for a new one),
 * after argv[0..argc - 1), the words after the program's name. The strings
 * of `out` point into argv and the tables. bash hands "--name=value" over as
 * "--name", "=", "value": it is understood too.
 */
void reference_complete(struct completion *out, const struct reference *ref, int argc, char **argv);
/* Add a candidate that starts with out->typed (a service name), with its description. */
void completion_add(struct completion *out, const char *word, const char *help);
void completion_release(struct completion *c);

/* devstack(1) in roff (man(7) macros); `date` as in .TH ("2026-12-02"). */
void reference_man(FILE *out, const struct reference *ref, const char *version, const char *date);

/*
 * One line per command: its path and its options, tab-separated, each as
 * its long and short names ("db snapshot restore\t--latest\t--yes,-y"),
 * hidden ones left out.
 */
void reference_list(FILE *out, const struct reference *ref);

#endif
