/*
 * The variables a project's files use, with their default and alternative
 * values and whether they are required, as `docker compose config
 * --variables` lists them.
 */
#ifndef DEVSTACK_COMPOSE_VARIABLES_H
#define DEVSTACK_COMPOSE_VARIABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "compose/compose.h"
#include "util/error.h"

struct compose_variable {
    char *name;
    char *default_value;   /* "" when none: ${X:-d}, ${X-d} */
    char *alternate_value; /* "" when none: ${X:+a}, ${X+a} */
    bool required;         /* ${X:?msg}, ${X?msg} */
};

struct compose_variables {
    struct compose_variable *v;
    size_t n;
};
#define COMPOSE_VARIABLES_INIT                                                                     \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Add the variables one text uses (a later use of a name replaces the earlier). */
void compose_variables_scan(struct compose_variables *vars, const char *text);
/* Every variable the project's files use, read again as written, sorted by name. */
int compose_variables_collect(struct compose_variables *out, const struct compose_project *p,
                              struct ds_error *err);
void compose_variables_release(struct compose_variables *vars);

#endif
