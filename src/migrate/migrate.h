/*
 * Alembic's migration scripts, read natively: alembic.ini, the revision files
 * under the version locations, and the revision graph they form. Nothing here
 * runs Python; what it prints matches what Alembic 1.8 prints for the same
 * project, byte for byte where Alembic's own order is deterministic.
 */
#ifndef DEVSTACK_MIGRATE_H
#define DEVSTACK_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/strmap.h"
#include "util/strvec.h"

/* ---- alembic.ini (src/migrate/ini.c) ---------------------------------- */

/* One section of alembic.ini ([alembic] by default, as `alembic -n NAME`). */
struct alembic_ini {
    char *path;                      /* as given to alembic_ini_load() */
    char *here;                      /* its directory, absolute: %(here)s */
    char *script_location;           /* absolute */
    unsigned script_location_line;   /* 0 when unset */
    struct strvec version_locations; /* absolute; <script_location>/versions when unset */
    bool recursive_version_locations;
    char *url;         /* sqlalchemy.url, interpolated; NULL when unset or empty */
    unsigned url_line; /* its line, 0 when unset */
};

/*
 * Read `section` (NULL: "alembic") of the ini file at `path` the way Python's
 * configparser does for Alembic: `key = value` and `key: value`, continuation
 * lines, # and ; comments, %(name)s from the section, [DEFAULT] and `here`,
 * %% for a percent sign. Errors name path:line.
 */
int alembic_ini_load(struct alembic_ini *ini, const char *path, const char *section,
                     struct ds_error *err);
void alembic_ini_release(struct alembic_ini *ini);

/* ---- env.py (src/migrate/envpy.c) -------------------------------------- */

/* Where env.py tells Alembic to keep the applied revisions. */
struct alembic_version_table {
    char *name;         /* version_table=; "alembic_version" when not given */
    char *schema;       /* version_table_schema=; NULL: the connection's default */
    unsigned name_line; /* where each was given; 0 when not */
    unsigned schema_line;
};

/*
 * Read env.py's `version_table=` and `version_table_schema=` keyword
 * arguments (of context.configure()) without running it. Only str literals
 * (or None) can be read: an expression is an error naming path:line, as is a
 * value given twice differently (offline and online). Python's tokens, so a
 * comment or a string mentioning them does not count.
 */
int alembic_env_version_table(struct alembic_version_table *out, const char *path, const char *text,
                              size_t len, struct ds_error *err);
void alembic_version_table_release(struct alembic_version_table *vt);

/* ---- revision files (src/migrate/revfile.c) ---------------------------- */

struct revision {
    char *id;                    /* `revision` */
    struct strvec down;          /* `down_revision`: empty for a base, 2+ for a merge */
    struct strvec branch_labels; /* `branch_labels` */
    struct strvec depends_on;    /* `depends_on`, as written (ids or branch labels) */
    char *longdoc;               /* the module docstring, stripped; "" when none */
    char *doc;                   /* its first paragraph (split at "\n\n"): the message */
    char *create_date;           /* the "Create Date: " line of the docstring, or NULL */
    char *path;                  /* the file, as alembic names it (version location + name) */

    /* ---- filled by revmap_build() (src/migrate/revmap.c) ---- */
    unsigned index;         /* position in load order */
    struct revision **deps; /* depends_on resolved to revisions */
    size_t ndeps;
    struct revision **norm_deps; /* deps no ancestor (by down_revision) depends on too */
    size_t nnorm_deps;
    struct revision **nextrev; /* children through down_revision, in load order */
    size_t nnextrev;
    struct revision **all_nextrev; /* children through down_revision or depends_on */
    size_t nall_nextrev;
    struct revision **parents; /* down resolved to revisions: down.n of them */
    struct strvec labels;      /* branch_labels with those Alembic spreads to this
                                  revision along its branch: what it prints */
    /* revmap_release() and revision_free() free the fields above */
};

/* Free one revision and everything it owns (revfile.c). */
void revision_free(struct revision *rev);

/*
 * Parse one revision file: the module docstring and the top-level assignments
 * `revision`, `down_revision`, `branch_labels`, `depends_on`, classic
 * (`revision = 'x'`) or annotated (`revision: str = 'x'`,
 * `down_revision: Union[str, None] = None`). Values: a string, None, or a
 * tuple/list of strings. Anything it cannot understand is an error naming
 * path:line, never a silent skip. *out is NULL (and DS_OK returned) when the
 * file is not a revision file at all (no `revision` assignment), as Alembic
 * skips such files.
 */
int revision_parse(struct revision **out, const char *path, const char *text, size_t len,
                   struct ds_error *err);

/* ---- the revision map (revmap.c, resolve.c, walk.c) --------------------- */

struct revmap {
    struct revision **revs; /* in load order: what alembic's revision map iterates */
    size_t n;
    size_t alloc;
    struct revision **heads; /* no child through down_revision, in load order */
    size_t nheads;
    struct revision **bases; /* down_revision None, in load order */
    size_t nbases;
    bool built;
    struct strmap ids;    /* id -> position of its first revision, kept by revmap_add() */
    struct strmap labels; /* branch label -> position of its first revision; when built */
};

#define REVMAP_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, NULL, 0, NULL, 0, false, STRMAP_INIT, STRMAP_INIT                              \
    }

/*
 * Load every revision file (*.py, not __pycache__) of the version locations
 * in directory order, as Alembic does (os.listdir order), then build the map.
 * versions.c.
 */
int revmap_load(struct revmap *map, const struct alembic_ini *ini, struct ds_error *err);

/* Take ownership of rev (load order = call order). */
void revmap_add(struct revmap *map, struct revision *rev);

/*
 * Link down revisions and dependencies, find heads and bases. Errors: a
 * duplicate revision id, a down_revision or depends_on naming nothing, a
 * cycle; each names the files involved.
 */
int revmap_build(struct revmap *map, struct ds_error *err);
void revmap_release(struct revmap *map);

/* Look up a full revision id; NULL when absent. */
struct revision *revmap_get(const struct revmap *map, const char *id);

/*
 * Resolve what the user typed, as Alembic does: a full id, a unique prefix,
 * "head" (error when several), "heads", "base", a branch label, "label@head",
 * "label@base", "rev@head", "head-1", relative "-1"/"+2" (from `current`, the
 * database's versions), "rev+1". The revisions are appended to out; DS_OK with
 * none for "base".
 */
int revmap_resolve(const struct revmap *map, const char *spec, const struct strvec *current,
                   struct revision ***out, size_t *n, struct ds_error *err);

/*
 * The revisions `alembic history -r LOWER:UPPER` shows, newest first, both
 * ends included (Alembic's walk_revisions). Each end is a spec as typed
 * ("base" and "heads" for open ends) or, when its versions are non-NULL, the
 * database's versions in its place (the "current" keyword). *out is the
 * caller's to free (not the revisions).
 */
int revmap_walk(const struct revmap *map, const char *lower, const struct strvec *lower_versions,
                const char *upper, const struct strvec *upper_versions, struct revision ***out,
                size_t *n, struct ds_error *err);

/*
 * What `alembic current` shows for the database's versions: the revisions
 * they name and their ancestors, without those that have a descendant among
 * them (Alembic's get_all_current), in load order where Alembic has a set.
 * *out is the caller's to free (not the revisions).
 */
int revmap_current(const struct revmap *map, const struct strvec *versions, struct revision ***out,
                   size_t *n, struct ds_error *err);

/* ---- what `alembic ...` prints (format.c) -------------------------------- */

/* `alembic current [-v]` for the database's versions (stdout only). */
int alembic_format_current(struct buf *out, const struct revmap *map, const struct strvec *versions,
                           bool verbose, struct ds_error *err);
/* `alembic heads [-v] [--resolve-dependencies]`. */
int alembic_format_heads(struct buf *out, const struct revmap *map, bool verbose,
                         bool resolve_dependencies, struct ds_error *err);
/*
 * `alembic history [-r RANGE] [-v] [-i]`: `current` non-NULL marks the
 * database's versions with "(current)" as -i does. RANGE as Alembic takes it:
 * "A:B", "A:", ":B", with "current" allowed for either end.
 */
int alembic_format_history(struct buf *out, const struct revmap *map, const char *range,
                           bool verbose, const struct strvec *current, struct ds_error *err);
/*
 * The same with the database's versions apart from the marking: `versions`
 * (NULL: unknown) stand for a "current" end of RANGE, and indicate_current
 * marks them "(current)" as -i does. `alembic history -r current:` without -i
 * reads the database but marks nothing.
 */
int alembic_format_history_db(struct buf *out, const struct revmap *map, const char *range,
                              bool verbose, const struct strvec *versions, bool indicate_current,
                              struct ds_error *err);

/*
 * `devstack db history --graph`: every revision, newest first, one line each
 * ("* <rev> (<branch labels>) (head) (current) <message> (depends on: <revs>)")
 * beside lanes drawn as `git log --graph` draws them: "|" a lane, "|/" lanes
 * joining at a branch point, "|\\" a merge's extra down revisions, "/" and
 * "\\" lanes moving. depends_on is the note at the end of the line, not a
 * lane. `current` (NULL: unknown) are the database's versions; `color`
 * highlights them and the heads with ANSI colors.
 */
int alembic_format_graph(struct buf *out, const struct revmap *map, const struct strvec *current,
                         bool color, struct ds_error *err);

#endif
