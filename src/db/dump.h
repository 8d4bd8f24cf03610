/*
 * Logical dumps of the application database, and loading them back.
 *
 *     db_dump_file()  the database as SQL (schema, rows, triggers, routines,
 *                     views) in one consistent snapshot, into a file that
 *                     appears under its name only once it is whole
 *     db_restore()    execute a dump, ours or mysqldump's, statement by
 *                     statement into the connection's database
 *
 * On PostgreSQL both run the server's own tools (dump_pg.c): pg_dump's
 * plain format is the dump, and psql loads it (ours or pg_dump's) into a
 * new database that then takes the old one's place.
 *
 * Both stream: rows are read as the server sends them and written as they
 * come, and a dump is read back in chunks, so memory stays flat whatever
 * the size of the database.
 */
#ifndef DEVSTACK_DB_DUMP_H
#define DEVSTACK_DB_DUMP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "util/buf.h"
#include "util/error.h"

/*
 * How PostgreSQL's own tools (pg_dump, psql) run: in the database's
 * container (an exec) or on this host. run() starts argv with env added
 * (PGPASSWORD and the other PG* variables: never on the command line),
 * its stdin read from in_fd (-1: none), and hands its standard output to
 * out as it comes (a non-zero return stops it); its standard error is
 * kept in errout. Returns the exit code, or a negative code with err set
 * (DS_ENOTFOUND: no such program; DS_EINTR when *cancel became non-zero).
 */
struct db_pg_tools {
    int (*run)(void *ud, const struct strvec *argv, const struct strvec *env, int in_fd,
               int (*out)(const char *data, size_t len, void *out_ud), void *out_ud,
               struct buf *errout, const volatile sig_atomic_t *cancel, struct ds_error *err);
    void *ud;
    /* the tools run beside the server (its container): they use its socket, not the URL's host */
    bool beside_server;
    unsigned port;     /* beside_server: the port its socket is named by; 0: the default */
    const char *where; /* "in service 'db'", "on this host": for messages */
};

struct db_dump_options {
    const char *revision;                /* the Alembic revision, for the header; may be NULL */
    bool replace;                        /* the file may exist and is replaced */
    int gzip_level;                      /* for .gz names; 0: 6 */
    const volatile sig_atomic_t *cancel; /* non-zero: stop (DS_EINTR), removing the partial file */
    const struct db_pg_tools *pg;        /* PostgreSQL: how pg_dump runs; NULL: it cannot */
};

struct db_dump_stats {
    size_t tables, views, triggers, routines, sequences;
    size_t events_skipped; /* events are not dumped: how many were left out */
    uint64_t rows;
    uint64_t sql_bytes;  /* the SQL text */
    uint64_t file_bytes; /* what was written (compressed for .gz) */
};

/*
 * Dump the connection's current database to `path` (PostgreSQL: pg_dump's
 * plain format, run through o->pg, between a devstack header and final
 * line), gzip-compressed when
 * the name ends in ".gz"; "-" writes to standard output. The dump is
 * written to a hidden temporary file beside `path` (db_dump_partial_name(),
 * locked while it is written) and renamed when complete and synced, so a
 * file under the final name is always whole. Any failure (disk full, server
 * gone, cancel) removes the partial file. An existing `path` is an error
 * unless o->replace.
 */
int db_dump_file(struct db_conn *conn, const char *path, const struct db_dump_options *o,
                 struct db_dump_stats *stats, struct ds_error *err);

/*
 * The temporary name db_dump_file() writes `path` under for process `pid`:
 * ".NAME.partial-PID.locked", a file its writer holds a flock on until it
 * has its final name. Caller frees.
 */
char *db_dump_partial_name(const char *path, long pid);
#define DB_DUMP_LOCKED_SUFFIX ".locked"

/* What a dump holds, as a listing says it: "12 tables, 3456 rows, 2 triggers, 1 view". */
void db_dump_describe(struct buf *out, const struct db_dump_stats *s);

/*
 * A statement as SHOW CREATE gives it with its DEFINER=`user`@`host`
 * clause left out, so that the object belongs to whoever restores it.
 * Appended to out.
 */
void db_strip_definer(struct buf *out, const char *sql, size_t len);

struct db_restore_options {
    const char *name;                    /* the file's name, for messages */
    const volatile sig_atomic_t *cancel; /* non-zero: stop between statements (DS_EINTR) */
    const struct db_pg_tools *pg;        /* PostgreSQL: how psql runs; NULL: it cannot */
};

struct db_restore_stats {
    uint64_t statements;
    uint64_t bytes; /* of SQL read (after decompression) */
    bool ours;      /* the dump was made by devstack (and had its final line) */
};

/*
 * Execute the SQL dump read from `fd` (plain or gzip: detected) in the
 * connection's current database. A dump that switches databases (USE,
 * CREATE or DROP DATABASE) is refused before anything runs from that
 * statement on; a devstack dump without its final line is incomplete and
 * reported so. Errors name the line of the statement that failed.
 */
int db_restore(struct db_conn *conn, int fd, const struct db_restore_options *o,
               struct db_restore_stats *stats, struct ds_error *err);

/*
 * Does db_restore() replace the database itself? PostgreSQL's does: the dump
 * loads into a new database (psql, one transaction, stopping at the first
 * error), and only once it has loaded are the other sessions of the old one
 * ended (from the maintenance database) and the new one renamed in its place,
 * so a load that fails leaves the database as it was. MySQL's loads into the
 * current database, which db_recreate() empties first.
 */
bool db_restore_replaces(const struct db_conn *conn);

/*
 * What restores of `database` that were killed left beside it (PostgreSQL;
 * nothing on MySQL, whose restores load in place): databases with a partial
 * load ("<db>_restore_PID") and the data a restore swapped out before it
 * could drop it ("<db>_replaced_PID"). Appended in name order.
 */
int db_restore_leftovers(struct db_conn *conn, const char *database, struct strvec *partial,
                         struct strvec *replaced, struct ds_error *err);

/* What a dump read to its end says of itself. */
struct db_dump_check {
    enum db_engine engine; /* whose dump: DB_POSTGRES for pg_dump's plain format */
    bool ours;             /* made by devstack (and whole: its final line is there) */
    char *revision;        /* the Alembic revision its header names; NULL: none, or not ours */
    uint64_t statements;
    uint64_t bytes; /* of SQL */
};

/*
 * Read the dump on `fd` to its end without running anything, so that a
 * restore knows the file is good before it drops the database: the file is
 * readable to the end, a gzip stream is whole, a devstack dump has its final
 * line, and no statement switches databases (PostgreSQL: pg_dump's own final
 * line is there, and no \connect or CREATE DATABASE). The file offset is left at the
 * end (the caller rewinds).
 */
int db_restore_check(int fd, const char *name, struct db_dump_check *out, struct ds_error *err);
void db_dump_check_release(struct db_dump_check *c);

/*
 * Drop the connection's current database and create it again, empty, with
 * its character set and collation, and select it.
 */
int db_recreate(struct db_conn *conn, struct ds_error *err);

/* What the current database holds: base tables, views, and rows (an estimate for InnoDB). */
struct db_census {
    size_t tables, views, routines;
    uint64_t rows_estimate;
    uint64_t bytes; /* data and indexes */
};
int db_census(struct db_conn *conn, struct db_census *out, struct ds_error *err);

#endif
