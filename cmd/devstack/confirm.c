/* Asking before something is destroyed: on a terminal only, or --yes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "confirm.h"
#include "util/banned.h"

int confirm(const char *question, const char *word, bool assume_yes, const char *yes_option,
            struct ds_error *err)
{
    char line[64];
    size_t len;

    if (assume_yes)
        return 0;
    if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
        ds_error_set(err, DS_EPERM,
                     "refusing to go on without confirmation: no terminal to ask on");
        ds_error_hint(err, "run it on a terminal, or pass %s to confirm", yes_option);
        return DS_EPERM;
    }
    if (word)
        fprintf(stderr, "%s Type '%s' to go on: ", question, word);
    else
        fprintf(stderr, "%s [y/N] ", question);
    fflush(stderr);
    if (!fgets(line, sizeof(line), stdin)) {
        fputc('\n', stderr);
        return ds_error_set(err, DS_EPERM, "not confirmed: nothing was changed");
    }
    len = strcspn(line, "\r\n");
    line[len] = '\0';
    if (word ? !strcmp(line, word) : (!strcmp(line, "y") || !strcmp(line, "yes")))
        return 0;
    return ds_error_set(err, DS_EPERM, "not confirmed: nothing was changed");
}
