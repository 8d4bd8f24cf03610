/*
 * pg_dump's plain format, fed in chunks of any size, read line by line
 * without being run: what it holds (tables, rows of its COPY blocks, views,
 * routines, triggers, sequences), whether it is whole (pg_dump's last
 * comment, "-- PostgreSQL database dump complete"), and whether it leaves
 * the database it is loaded into (\connect, CREATE or DROP DATABASE, which
 * `pg_dump --create` writes). The rows of a COPY block are counted, never
 * taken for SQL, whatever they hold.
 */
#ifndef DEVSTACK_DB_PGSCAN_H
#define DEVSTACK_DB_PGSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a scan keeps of each line: its start and its end. */
#define PGSCAN_HEAD 96
#define PGSCAN_TAIL 16

struct pgscan {
    /* what the dump holds so far */
    uint64_t tables, views, routines, triggers, sequences;
    uint64_t copies, rows; /* COPY blocks, and the rows in them */
    uint64_t statements;   /* lines outside COPY data that end a statement (';'), and COPYs */
    bool complete;         /* pg_dump's final comment was seen */
    bool in_copy;          /* inside a COPY block's data (a dump cut there is incomplete) */
    /* the first line that leaves the database ("\connect x", "CREATE DATABASE ..."); 0: none */
    unsigned long switch_line;
    char switch_text[PGSCAN_HEAD + 1];

    /* private: the line being read */
    unsigned long line;
    char head[PGSCAN_HEAD + 1], tail[PGSCAN_TAIL];
    size_t head_len, line_len;
};

void pgscan_init(struct pgscan *s);
void pgscan_feed(struct pgscan *s, const char *data, size_t len);
/* The last line, when the input does not end with a newline. */
void pgscan_finish(struct pgscan *s);

/* Does this text (the start of a dump) look like pg_dump's plain format? */
bool pgscan_is_pg_dump(const char *start, size_t len);

#endif
