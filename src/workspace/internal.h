/* Shared by the files of src/workspace/ only; the module's API is its other headers. */
#ifndef DEVSTACK_WORKSPACE_INTERNAL_H
#define DEVSTACK_WORKSPACE_INTERNAL_H

#include <stdbool.h>

#include "workspace/workspace.h"

/*
 * Does env.py give autogenerate a target: a top-level `target_metadata = X`
 * (*found) with X None (*none)? -1 when env.py cannot be read.
 */
int workspace_env_metadata(const char *env_py, bool *found, bool *none);

#endif
