/* What the files of src/migrate share and nothing else sees. */
#ifndef DEVSTACK_MIGRATE_INTERNAL_H
#define DEVSTACK_MIGRATE_INTERNAL_H

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* ---- the files read (source.c) ------------------------------------------ */

/* Read the file at path into out: "cannot read 'path'" errors, over max bytes one too. */
int source_read(struct buf *out, const char *path, size_t max, struct ds_error *err);

/* Set "path:line: message" (line 0: "path: message") as the error; returns code. */
int source_fail(struct ds_error *err, int code, const char *path, unsigned line, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

/* ---- Python's whitespace (pyspace.c) ------------------------------------ */

/*
 * Python's notion of whitespace over UTF-8 (pyspace.c), for reading what
 * configparser and Alembic's script parsing read: the length of the
 * whitespace character at p, or ending at end (str.isspace(): ASCII
 * \t\n\v\f\r, \x1c-\x1f, space, and the Unicode spaces), or 0.
 */
size_t py_space_at(const char *p, const char *end);
size_t py_space_before(const char *start, const char *end);
/* str.strip(): narrow [*s, *e) */
void py_strip(const char **s, const char **e);

#endif
