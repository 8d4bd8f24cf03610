/* What the terminal can show. */
#ifndef DEVSTACK_TERM_H
#define DEVSTACK_TERM_H

#include <stdbool.h>
#include <stdio.h>

/* Colour on `f`: a terminal, NO_COLOR unset or empty, TERM not "dumb". */
bool term_use_color(FILE *f);

#define TERM_RED    "\033[31m"
#define TERM_GREEN  "\033[32m"
#define TERM_YELLOW "\033[33m"
#define TERM_BLUE   "\033[34m"
#define TERM_BOLD   "\033[1m"
#define TERM_RESET  "\033[0m"

#endif
