/*
 * Whose checkout a project's containers belong to. Two clones of one
 * repository under one project name share containers and volumes: the
 * second one's `up` would re-point the first one's containers at its own
 * files. Every container carries the directory it was made from (Compose's
 * working_dir label); a command that changes the project stops when they
 * name another directory, as DDEV stops a project started from another
 * approot, unless the user takes them over.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

const struct stack_container *stack_foreign_container(const struct stack_container *cs, size_t n,
                                                      const char *working_dir,
                                                      stack_same_dir_fn same_dir)
{
    for (size_t i = 0; i < n; i++) {
        const char *dir = kvlist_get(&cs[i].labels, LABEL_WORKING_DIR);

        /* no label: made by hand or by a tool that does not say; not another checkout's */
        if (!dir || !*dir || !strcmp(dir, working_dir))
            continue;
        if (!same_dir || !same_dir(dir, working_dir))
            return &cs[i];
    }
    return NULL;
}

int stack_owner_error(const char *project, const char *working_dir, const struct stack_container *c,
                      bool owner_exists, struct ds_error *err)
{
    const char *dir = kvlist_get(&c->labels, LABEL_WORKING_DIR);
    const char *files = kvlist_get(&c->labels, LABEL_CONFIG_FILES);
    struct buf from = BUF_INIT;

    if (!owner_exists)
        buf_adds(&from, ", which no longer exists");
    else if (files && *files)
        buf_addf(&from, " with '%s'", files);
    ds_error_set(err, DS_ECONFLICT,
                 "project '%s' belongs to another checkout: its container %s (%s) was made in "
                 "'%s'%s, not in '%s'",
                 project, c->name, c->state, dir, from.buf, working_dir);
    ds_error_hint(err,
                  "run devstack in '%s', or give this checkout a project name of its own (-p "
                  "NAME, or COMPOSE_PROJECT_NAME in its .env); --take-over acts on them anyway "
                  "(up recreates them from this checkout's files; volumes and their data stay)",
                  dir);
    buf_release(&from);
    return DS_ECONFLICT;
}

/* The same directory by its device and inode (a symlink or bind of it too), else by name. */
static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;

    if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return !strcmp(a, b);
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int stack_check_owner(struct engine *e, const struct compose_project *p, bool take_over,
                      char **foreign_dir, struct ds_error *err)
{
    struct stack_container_list l = {0};
    const struct stack_container *c;
    struct stat st;
    int rc;

    if (foreign_dir)
        *foreign_dir = NULL;
    rc = stack_list_containers(e, p->name, STACK_LIST_ALL | STACK_LIST_ONEOFF, &l, err);
    if (rc < 0)
        return ds_error_wrap(err, "looking at project '%s''s containers", p->name);
    c = stack_foreign_container(l.items, l.n, p->working_dir, same_dir);
    if (c && foreign_dir)
        *foreign_dir = xstrdup(kvlist_get(&c->labels, LABEL_WORKING_DIR));
    if (c && !take_over) {
        const char *dir = kvlist_get(&c->labels, LABEL_WORKING_DIR);

        rc = stack_owner_error(p->name, p->working_dir, c, stat(dir, &st) == 0, err);
    }
    stack_container_list_release(&l);
    return rc;
}
