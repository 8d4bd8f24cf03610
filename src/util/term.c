#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/term.h"
#include "util/banned.h"

bool term_use_color(FILE *f)
{
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");

    if (no_color && *no_color)
        return false;
    if (term && !strcmp(term, "dumb"))
        return false;
    return isatty(fileno(f)) == 1;
}
