/*
 * A SQL dump, fed in chunks of any size, split into statements as the mysql
 * command-line client splits its input, for `devstack db restore`: one
 * statement per mysql_real_query().
 */
#ifndef DEVSTACK_DB_SQLSPLIT_H
#define DEVSTACK_DB_SQLSPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* The longest delimiter `DELIMITER xx` may set (the mysql client's is 15 bytes). */
#define SQLSPLIT_DELIMITER_MAX 16

/*
 * A complete statement: `len` bytes (NULs included, trimmed of surrounding
 * whitespace, without its delimiter) followed by a NUL, valid only during the
 * call; `line` is the 1-based line of the input it starts on. Return 0 to go
 * on, or a negative DS_E* code with err filled to stop.
 */
typedef int (*sqlsplit_fn)(const char *stmt, size_t len, unsigned long line, void *ud,
                           struct ds_error *err);

/* The members are private to sqlsplit.c. */
struct sqlsplit {
    struct buf in;      /* the statement so far, then input not yet scanned */
    size_t head, pos;   /* where the statement starts in `in`; how far it is scanned */
    size_t max;         /* of a statement; 0: no limit */
    unsigned long line; /* at `pos` */
    unsigned long stmt_line, open_line;
    char delim[SQLSPLIT_DELIMITER_MAX + 1];
    size_t delim_len;
    unsigned char state;
    char quote;
    bool bom_checked;
    bool content; /* the statement has more than whitespace and comments */
};

/*
 * Refuse (with DS_EINVAL) a statement longer than max_statement bytes from its
 * first to its delimiter; 0: no limit.
 */
void sqlsplit_init(struct sqlsplit *s, size_t max_statement);
void sqlsplit_release(struct sqlsplit *s);

/*
 * Call fn for each statement that `data` completes. Returns 0, what fn
 * returned, or DS_EINVAL (a statement too long, a bad DELIMITER line); after
 * an error only sqlsplit_release() may follow.
 */
int sqlsplit_feed(struct sqlsplit *s, const char *data, size_t len, sqlsplit_fn fn, void *ud,
                  struct ds_error *err);
/*
 * The input has ended: call fn for a last statement that has no delimiter.
 * DS_EINVAL when the input ends inside a string or a comment.
 */
int sqlsplit_finish(struct sqlsplit *s, sqlsplit_fn fn, void *ud, struct ds_error *err);

/*
 * Does the statement (one sqlsplit gave) switch or replace databases: USE,
 * CREATE [OR REPLACE], DROP, ALTER or RENAME of a DATABASE or SCHEMA? Read as
 * the server reads it: comments between the words do not hide them, and
 * the text of executable comments counts.
 */
bool sqlsplit_switches_database(const char *stmt, size_t len);

#endif
