/*
 * What is wrong, and the fix: the checks behind `devstack doctor` (the
 * engine, then the migration state) and the hints of failing db commands.
 */
#ifndef DEVSTACK_WORKSPACE_DIAGNOSE_H
#define DEVSTACK_WORKSPACE_DIAGNOSE_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/system.h"
#include "workspace/workspace.h"

enum workspace_verdict { WORKSPACE_OK, WORKSPACE_WARN, WORKSPACE_FAIL };

struct workspace_finding {
    enum workspace_verdict verdict;
    char *what;   /* "engine", "database", "revision", "heads", ... */
    char *detail; /* what was found */
    char *fix;    /* what to do, or NULL */
};

struct workspace_findings {
    struct workspace_finding *items;
    size_t n, alloc;
};

void workspace_findings_add(struct workspace_findings *f, enum workspace_verdict v,
                            const char *what, const char *fix, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
void workspace_findings_release(struct workspace_findings *f);

/* What the engine checks look at: gathered by workspace_check_engine(). */
struct workspace_engine_state {
    const struct ds_error *unreachable; /* why the engine could not be reached, or NULL */
    const struct stack_engine_facts *facts;
    const struct ds_error *info_failed; /* why GET /info failed, or NULL */
    const char *machine;                /* this machine's architecture (uname -m), or NULL */
    bool disk_known;                    /* the engine's data root could be looked at */
    uint64_t disk_free, disk_total;     /* bytes, when known */
};

/* Less free space than this in the engine's data root is trouble for image builds. */
#define WORKSPACE_DISK_LOW (5ULL << 30)

/*
 * The engine's findings: reachable, API version, storage driver, free disk,
 * architecture. Pure: from what the state holds.
 */
void workspace_engine_findings(const struct workspace_engine_state *s,
                               struct workspace_findings *out);
/*
 * Look at the engine (e NULL: it could not be reached, `unreachable` says
 * why) and this machine, and append the engine's findings.
 */
void workspace_check_engine(struct engine *e, const struct ds_error *unreachable,
                            struct workspace_findings *out);

/*
 * Is there anything to say about the migration state: an alembic.ini, a
 * database URL or a database service?
 */
bool workspace_has_migrations(const struct workspace *ws);
/* Everything `doctor` says about the workspace's migration state. */
void workspace_diagnose(const struct workspace *ws, struct workspace_findings *out);

/*
 * For a database stamped with `rev` that no file has: the git command that
 * would bring the file back ("git -C TOP checkout C -- PATH"), appended to
 * `out`; nothing outside a repository or when git does not know it.
 */
void workspace_find_lost_revision(const struct workspace *ws, const char *rev, struct strvec *out);

#endif
