/*
 * What `alembic current`, `heads` and `history` print (Alembic 1.8's
 * Script.cmd_format, _head_only and log_entry in alembic/script/base.py, and
 * alembic/command.py), one line or entry per revision, each followed by the
 * newline Alembic's print_stdout adds.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/internal.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"
#include "util/banned.h"

/* _head_only's switches */
enum {
    SHOW_BRANCHES = 1 << 0, /* " (label)" */
    SHOW_DOC = 1 << 1,      /* ", message" */
    SHOW_PARENTS = 1 << 2,  /* "down -> " */
    SHOW_TREE = 1 << 3,     /* " (branchpoint)", " (mergepoint)" */
};

static bool is_head(const struct revision *r)
{
    return !r->nnextrev;
}

static bool is_real_head(const struct revision *r)
{
    return !r->nall_nextrev;
}

static bool is_branch_point(const struct revision *r)
{
    return r->nnextrev > 1;
}

static bool is_merge_point(const struct revision *r)
{
    return r->down.n > 1;
}

/* util.format_as_comma */
static void add_comma(struct buf *b, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_addf(b, "%s%s", i ? ", " : "", v[i]);
}

/* _format_down_revision */
static void add_down(struct buf *b, const struct revision *r)
{
    if (!r->down.n)
        buf_adds(b, "<base>");
    else
        add_comma(b, r->down.v, r->down.n);
}

/* Script.doc: the docstring up to its first "\n\n" */
static void add_doc(struct buf *b, const struct revision *r)
{
    const char *longdoc = r->longdoc ? r->longdoc : "", *end;

    if (r->doc) {
        buf_adds(b, r->doc);
        return;
    }
    end = strstr(longdoc, "\n\n");
    buf_add(b, longdoc, end ? (size_t)(end - longdoc) : strlen(longdoc));
}

/* The length of a line break at s as str.splitlines() sees one, or 0. */
static size_t line_break(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    if (u[0] == '\r')
        return u[1] == '\n' ? 2 : 1;
    if (u[0] == '\n' || u[0] == '\v' || u[0] == '\f' || (u[0] >= 0x1c && u[0] <= 0x1e))
        return 1;
    if (u[0] == 0xc2 && u[1] == 0x85)
        return 2;
    if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9))
        return 3;
    return 0;
}

/* "\n".join("    %s" % para for para in longdoc.splitlines()) */
static void add_indented(struct buf *b, const char *text)
{
    const char *line = text, *p = text;

    while (*line) {
        size_t brk = 0;

        for (p = line; *p && !(brk = line_break(p)); p++)
            ;
        if (line != text)
            buf_addch(b, '\n');
        buf_adds(b, "    ");
        buf_add(b, line, (size_t)(p - line));
        line = p + brk;
    }
}

/* Script._head_only */
static void add_head_only(struct buf *b, const struct revision *r, unsigned show, bool current)
{
    if (show & SHOW_PARENTS) {
        add_down(b, r);
        if (r->depends_on.n) {
            buf_adds(b, " (");
            add_comma(b, r->depends_on.v, r->depends_on.n);
            buf_addch(b, ')');
        }
        buf_adds(b, " -> ");
    }
    buf_adds(b, r->id);
    if ((show & SHOW_BRANCHES) && r->labels.n) {
        /* Alembic's branch_labels is a set: load order of the labels here */
        buf_adds(b, " (");
        add_comma(b, r->labels.v, r->labels.n);
        buf_addch(b, ')');
    }
    if (is_real_head(r))
        buf_adds(b, " (head)");
    if (is_head(r) && !is_real_head(r))
        buf_adds(b, " (effective head)");
    if (current)
        buf_adds(b, " (current)");
    if ((show & SHOW_TREE) && is_branch_point(r))
        buf_adds(b, " (branchpoint)");
    if ((show & SHOW_TREE) && is_merge_point(r))
        buf_adds(b, " (mergepoint)");
    if (show & SHOW_DOC) {
        buf_adds(b, ", ");
        add_doc(b, r);
    }
}

/* Script.log_entry */
static void add_log_entry(struct buf *b, const struct revision *r, bool current)
{
    buf_addf(b, "Rev: %s%s%s%s%s\n", r->id, is_head(r) ? " (head)" : "",
             is_branch_point(r) ? " (branchpoint)" : "", is_merge_point(r) ? " (mergepoint)" : "",
             current ? " (current)" : "");
    buf_adds(b, is_merge_point(r) ? "Merges: " : "Parent: ");
    add_down(b, r);
    buf_addch(b, '\n');
    if (r->depends_on.n) {
        buf_adds(b, "Also depends on: ");
        add_comma(b, r->depends_on.v, r->depends_on.n);
        buf_addch(b, '\n');
    }
    if (is_branch_point(r)) {
        /* Alembic's nextrev is a frozenset: load order of the children here */
        buf_adds(b, "Branches into: ");
        for (size_t i = 0; i < r->nnextrev; i++)
            buf_addf(b, "%s%s", i ? ", " : "", r->nextrev[i]->id);
        buf_addch(b, '\n');
    }
    if (r->labels.n) {
        buf_adds(b, "Branch names: ");
        add_comma(b, r->labels.v, r->labels.n);
        buf_addch(b, '\n');
    }
    buf_addf(b, "Path: %s\n", r->path ? r->path : "");
    buf_addch(b, '\n');
    add_indented(b, r->longdoc ? r->longdoc : "");
    buf_addch(b, '\n');
}

/* Script.cmd_format, and print_stdout's newline */
static void add_entry(struct buf *b, const struct revision *r, bool verbose, unsigned show,
                      bool current)
{
    if (verbose)
        add_log_entry(b, r, current);
    else
        add_head_only(b, r, show, current);
    buf_addch(b, '\n');
}

int alembic_format_current(struct buf *out, const struct revmap *map, const struct strvec *versions,
                           bool verbose, struct ds_error *err)
{
    static const struct strvec none = STRVEC_INIT;
    struct revision **revs = NULL;
    size_t n = 0;
    int rc;

    if ((rc = revmap_check_built(map, err)) < 0)
        return rc;
    /* Alembic's get_all_current returns a set: load order here */
    rc = revmap_current(map, versions ? versions : &none, &revs, &n, err);
    for (size_t i = 0; rc == DS_OK && i < n; i++)
        add_entry(out, revs[i], verbose, SHOW_TREE, false);
    free(revs);
    return rc;
}

int alembic_format_heads(struct buf *out, const struct revmap *map, bool verbose,
                         bool resolve_dependencies, struct ds_error *err)
{
    int rc;

    if ((rc = revmap_check_built(map, err)) < 0)
        return rc;
    /* get_revisions("heads") is the real heads; get_heads() the effective ones */
    for (size_t i = 0; i < map->n; i++) {
        const struct revision *r = map->revs[i];

        if (resolve_dependencies ? is_real_head(r) : is_head(r))
            add_entry(out, r, verbose, SHOW_BRANCHES, false);
    }
    return DS_OK;
}

int alembic_format_history_db(struct buf *out, const struct revmap *map, const char *range,
                              bool verbose, const struct strvec *versions, bool indicate_current,
                              struct ds_error *err)
{
    const struct strvec *lower_versions = NULL, *upper_versions = NULL;
    char *lower = NULL, *upper = NULL;
    const char *lo = "base", *up = "heads";
    struct revision **revs = NULL;
    size_t n = 0;
    int rc;

    if ((rc = revmap_check_built(map, err)) < 0)
        return rc;
    if (range) {
        const char *s = range, *e = range + strlen(range), *colon;

        /* str.strip(), then exactly one ":" */
        while (s < e && strchr(" \t\n\r\v\f", *s))
            s++;
        while (e > s && strchr(" \t\n\r\v\f", e[-1]))
            e--;
        colon = memchr(s, ':', (size_t)(e - s));
        if (!colon || memchr(colon + 1, ':', (size_t)(e - colon - 1)))
            return ds_error_set(err, DS_EINVAL,
                                "History range requires [start]:[end], [start]:, or :[end]");
        if (colon > s)
            lo = lower = xstrndup(s, (size_t)(colon - s));
        if (e > colon + 1)
            up = upper = xstrndup(colon + 1, (size_t)(e - colon - 1));
    }
    if (!strcmp(lo, "current") || !strcmp(up, "current")) {
        if (!versions) {
            rc = ds_error_set(err, DS_EINVAL,
                              "history range '%s' needs the database's current revisions", range);
            goto done;
        }
        /* Alembic puts the versions in place of the end (head first); none falls back */
        if (!strcmp(up, "current")) {
            upper_versions = versions->n ? versions : NULL;
            up = versions->n ? NULL : "heads";
        } else {
            lower_versions = versions->n ? versions : NULL;
            lo = versions->n ? NULL : "base";
        }
    }
    rc = revmap_walk(map, lo, lower_versions, up, upper_versions, &revs, &n, err);
    for (size_t i = 0; rc == DS_OK && i < n; i++) {
        bool current = indicate_current && versions && strvec_contains(versions, revs[i]->id);

        add_entry(out, revs[i], verbose, SHOW_BRANCHES | SHOW_DOC | SHOW_PARENTS | SHOW_TREE,
                  current);
    }

done:
    free(revs);
    free(lower);
    free(upper);
    return rc;
}

int alembic_format_history(struct buf *out, const struct revmap *map, const char *range,
                           bool verbose, const struct strvec *current, struct ds_error *err)
{
    return alembic_format_history_db(out, map, range, verbose, current, current != NULL, err);
}
