/* What the files of src/migrate share and nothing else sees. */
#ifndef DEVSTACK_MIGRATE_INTERNAL_H
#define DEVSTACK_MIGRATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* ---- the files read (source.c) ------------------------------------------ */

/* Read the file at path into out: "cannot read 'path'" errors, over max bytes one too. */
int source_read(struct buf *out, const char *path, size_t max, struct ds_error *err);
/* The same for name in the directory dirfd; path names the file in errors. */
int source_readat(struct buf *out, int dirfd, const char *name, const char *path, size_t max,
                  struct ds_error *err);

/* Set "path:line: message" (line 0: "path: message") as the error; returns code. */
int source_fail(struct ds_error *err, int code, const char *path, unsigned line, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

/* ---- Python's whitespace (pyspace.c) ------------------------------------ */

/*
 * Python's notion of whitespace over UTF-8, for reading what
 * configparser and Alembic's script parsing read: the length of the
 * whitespace character at p, or ending at end (str.isspace(): ASCII
 * \t\n\v\f\r, \x1c-\x1f, space, and the Unicode spaces), or 0.
 */
size_t py_space_at(const char *p, const char *end);
size_t py_space_before(const char *start, const char *end);
/* str.strip(): narrow [*s, *e) */
void py_strip(const char **s, const char **e);

/* ---- Python's tokens (pytoken.c) ---------------------------------------- */

/* CPython's limit on nested brackets (MAXLEVEL in the tokenizer) */
#define LEX_MAX_NESTING 200

enum tok_type { TOK_NAME, TOK_NUMBER, TOK_STRING, TOK_OP };

/* string prefixes: struct token flags */
#define STR_RAW    1u
#define STR_BYTES  2u
#define STR_FORMAT 4u

struct token {
    enum tok_type type;
    const char *s; /* the text, prefix and quotes included for a string */
    size_t len;
    unsigned line;
    unsigned depth; /* brackets open around the token (a bracket is outside itself) */
    /* strings only */
    unsigned flags;
    const char *body; /* between the quotes, undecoded */
    size_t body_len;
};

/* One logical line: what Python calls a line after joining. */
struct logline {
    struct token *t;
    size_t n, alloc;
    unsigned indent; /* columns, tabs to multiples of 8 */
    bool discard;    /* nobody reads this line: keep only its last token */
};

/* Where the tokenizer is in a file; lexer_init() starts it. */
struct lexer {
    const char *path;
    const char *p, *end; /* NUL-terminated, newlines normalized to \n */
    unsigned line;
    char open[LEX_MAX_NESTING];
    unsigned open_line[LEX_MAX_NESTING];
    unsigned depth;
    bool need_indent;   /* at the start of a logical line */
    bool skip_indented; /* indented lines are of a def or class: not worth keeping */
    struct ds_error *err;
};

/*
 * Start lx on text: src (the caller's, released after lx) receives the text
 * with "\r\n" and "\r" turned into "\n" and a UTF-8 BOM dropped; a NUL byte
 * is an error naming path:line.
 */
int lexer_init(struct lexer *lx, struct buf *src, const char *path, const char *text, size_t len,
               struct ds_error *err);

/*
 * The next logical line into ll: 1, or 0 at the end of the file, or an error.
 * Blank lines and comments make no logical line.
 */
int lex_line(struct lexer *lx, struct logline *ll);

bool tok_is(const struct token *t, enum tok_type type, const char *s);
bool tok_op(const struct token *t, const char *s);

/*
 * Append the value of a str literal (not bytes, not an f-string) to out,
 * escapes decoded as Python decodes them. \N{...} needs Unicode's name
 * table: kept as written when `names_verbatim`, else it is an error, as is a
 * malformed escape.
 */
int string_decode(struct buf *out, const struct token *t, bool names_verbatim, const char *path,
                  struct ds_error *err);

/* ---- revision files (revfile.c) ---------------------------------------- */

struct revision;

/* What a revision file assigns of the names Script.__init__ reads without a default. */
struct revfile_names {
    bool revision;
    bool down_revision;
    unsigned revision_line; /* of `revision`; 0 when not assigned */
};

/*
 * revision_parse() without its verdict: the file's revision, also when it
 * has no `revision` (id NULL then); names says what was assigned.
 */
int revfile_parse(struct revision **out, struct revfile_names *names, const char *path,
                  const char *text, size_t len, struct ds_error *err);

/*
 * Free what revmap_build() filled in (deps, nextrev, parents, labels...) and
 * zero it, leaving what the file said; revision_free() does it too.
 */
void revision_links_release(struct revision *rev);

/* ---- the graph's relations (lineage.c) ---------------------------------- */

struct revmap;
struct strvec;

/* A list of revisions, not owned. */
struct rlist {
    struct revision **v;
    size_t n, alloc;
};

#define RLIST_INIT                                                                                 \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Alembic's "base" where a walk goes below the bases: a mark, never in a map. */
extern struct revision rev_base_mark;
#define REV_BASE (&rev_base_mark)

void rlist_push(struct rlist *l, struct revision *r);
bool rlist_has(const struct rlist *l, const struct revision *r);
void rlist_push_unique(struct rlist *l, struct revision *r);
void rlist_release(struct rlist *l);
/* The same on the bare arrays of struct revision and of the public API. */
void rev_array_push(struct revision ***v, size_t *n, struct revision *r);
bool rev_array_has(struct revision *const *v, size_t n, const struct revision *r);

enum rel {
    REL_DOWN,      /* down_revision */
    REL_ALL_DOWN,  /* down_revision and depends_on */
    REL_NORM_DOWN, /* down_revision and the dependencies no ancestor has */
    REL_NEXT,      /* children through down_revision */
    REL_ALL_NEXT,  /* children through down_revision or depends_on */
};

/* The revisions r relates to as `how` says, into out (emptied first). */
void related(struct rlist *out, const struct revision *r, enum rel how);

/*
 * Alembic's _iterate_related_revisions from each target: visited revisions
 * marked in seen (map->n of them) and appended to order (may be NULL); with
 * check, a target that reaches another target is an error.
 */
int iterate_related(const struct revmap *map, enum rel how, struct revision *const *targets,
                    size_t ntargets, bool check, bool *seen, struct rlist *order,
                    struct ds_error *err);
/* What iterate_related() visits: as marks (map->n, caller frees), or in its order. */
bool *related_marks(const struct revmap *map, enum rel how, struct revision *const *targets,
                    size_t ntargets);
void related_order(const struct revmap *map, enum rel how, struct revision *const *targets,
                   size_t ntargets, struct rlist *order);
/* Is any of `against` above or below target (through down_revision)? None: true. */
bool shares_lineage(const struct revmap *map, struct revision *target,
                    struct revision *const *against, size_t nagainst);

/* Alembic's "Walked too far": a relative revision went past the end (NULL or REV_BASE). */
int walked_too_far(struct ds_error *err);
/* walked_too_far() when an entry of l is NULL or REV_BASE. */
int check_walked(const struct rlist *l, struct ds_error *err);

/* ---- the revision map (revmap.c) ---------------------------------------- */

/* An error unless revmap_build() succeeded since the last revmap_add() (an empty map is fine). */
int revmap_check_built(const struct revmap *map, struct ds_error *err);
/* A key of Alembic's _revision_map: a revision id, else a branch label; NULL when neither. */
struct revision *revmap_lookup_key(const struct revmap *map, const char *key);
/* The error for a dependency cycle that revmap_build() could not see; returns DS_EINVAL. */
int revmap_dependency_cycle(const struct revmap *map, struct ds_error *err);

/* ---- revision identifiers (resolve.c) ----------------------------------- */

/* Where a resolution happens: the error texts depend on it, as in Alembic's commands. */
struct rctx {
    const struct revmap *map;
    struct ds_error *err;
    const char *head_arg; /* walk_revisions' end for the multiple-heads text; NULL: the argument */
};

/* One end of a range: a spec as typed, or the database's versions (a tuple in Alembic). */
struct range_end {
    const char *spec;
    const struct strvec *versions;
};

/* Alembic's get_revision: one revision, or NULL for "base"; several is an error. */
int resolve_revision(struct rctx *c, const char *spec, struct revision **out);
/* Alembic's get_revisions for the end, appended to out (REV_BASE, NULL past the end). */
int resolve_end(struct rctx *c, const struct range_end *e, struct rlist *out);
/* Alembic's _parse_upgrade_target for target, `current` the other end; appended to out. */
int resolve_upgrade_target(struct rctx *c, const struct range_end *current,
                           const struct range_end *target, bool assert_length, struct rlist *out);
/* A "-N" lower end that went past the heads, resolved again against upper. */
int resolve_lower_end(struct rctx *c, const struct range_end *lower, const struct range_end *upper,
                      struct revision **out);

#endif
