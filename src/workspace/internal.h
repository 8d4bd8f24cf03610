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

/* The scripts folder: alembic.ini's script_location, else migrations/ beside alembic.ini. */
char *workspace_scripts_dir(const struct workspace *ws);

/*
 * A folder beside the snapshots that does not exist yet, for files moved
 * aside by `what`: .devstack/<what>-<time>[-n]/. Caller frees.
 */
char *workspace_aside_dir(const struct workspace *ws, const char *what);

/* Move each of `paths` that exists into `dir` (made for it), keeping its name. */
int workspace_move_into(const char *dir, const char *const *paths, size_t n, struct ds_error *err);

/*
 * STOPGAP (pgservice.c): when services.c found no database service, a
 * PostgreSQL one (postgres image or POSTGRES_* variables, port 5432).
 */
void workspace_pg_service_fallback(struct workspace_services *svc, const struct compose_project *p);

#endif
