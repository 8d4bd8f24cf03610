/* Asking before something is destroyed. */
#ifndef DEVSTACK_CONFIRM_H
#define DEVSTACK_CONFIRM_H

#include <stdbool.h>

#include "util/error.h"

/*
 * Ask `question` on the terminal and read the answer. With `word` (e.g.
 * "yes"), only that exact word goes on; without it, "y" or "yes" does.
 * `assume_yes` (--yes) goes on without asking. Without a terminal on stdin
 * and stderr there is no one to ask: refuse, with a hint naming `yes_option`.
 * Returns 0 to go on; DS_EPERM (refused, err says so) otherwise.
 */
int confirm(const char *question, const char *word, bool assume_yes, const char *yes_option,
            struct ds_error *err);

#endif
