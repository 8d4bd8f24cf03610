/*
 * Unit tests for src/db/pgscan.c: pg_dump's plain format read line by line,
 * as a restore checks a dump before it touches the database: what it holds,
 * whether it is whole (pg_dump's final comment, no COPY block left open), and
 * whether it leaves the database it loads into. Every row runs fed whole, cut
 * in two at every position, and a byte at a time; each way must give the
 * same result.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "db/internal.h"
#include "db/pgscan.h"
#include "util/banned.h"

#define HEAD                                                                                       \
    "--\n-- PostgreSQL database dump\n--\n\n\\restrict AbC123\n\n"                                 \
    "SET client_encoding = 'UTF8';\n"                                                              \
    "SELECT pg_catalog.set_config('search_path', '', false);\n"
#define TAIL "\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict AbC123\n\n"

struct want {
    unsigned tables, views, routines, triggers, sequences, copies, rows;
    bool complete, in_copy;
    unsigned long switch_line;
};

static const struct {
    const char *name;
    const char *in;
    struct want want;
} cases[] = {
        {"empty", "", {0}},
        {"header and final comment", HEAD TAIL, {.complete = true}},
        {"cut before the final comment",
         HEAD "CREATE TABLE public.t (\n    id integer\n);\n",
         {.tables = 1}},
        {"objects counted",
         HEAD "CREATE TYPE public.mood AS ENUM (\n    'sad',\n    'ok'\n);\n"
              "CREATE FUNCTION public.f() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$\n"
              "BEGIN\nCREATE TABLE inside_a_body (x int);\nRETURN NEW;\nEND $$;\n"
              "CREATE PROCEDURE public.p()\n    LANGUAGE sql\n    AS $$ SELECT 1 $$;\n"
              "CREATE TABLE public.t (\n    id integer NOT NULL\n);\n"
              "CREATE UNLOGGED TABLE public.u (x int);\n"
              "CREATE SEQUENCE public.t_id_seq\n    AS integer\n    START WITH 1;\n"
              "CREATE VIEW public.v AS\n SELECT t.id\n   FROM public.t;\n"
              "CREATE MATERIALIZED VIEW public.mv AS\n SELECT 1\n  WITH NO DATA;\n"
              "CREATE TRIGGER trg BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION "
              "public.f();\n"
              "CREATE CONSTRAINT TRIGGER c AFTER INSERT ON public.t DEFERRABLE FOR EACH ROW "
              "EXECUTE FUNCTION public.f();\n" TAIL,
         /* a body's line that starts like a statement counts: the scan does not parse SQL */
         {.tables = 3, .views = 2, .routines = 2, .triggers = 2, .sequences = 1, .complete = true}},
        {"COPY rows are counted, never read as SQL",
         HEAD "COPY public.t (id, s) FROM stdin;\n1\tCREATE DATABASE x;\n"
              "2\t\\\\connect other\n3\t-- PostgreSQL database dump complete\n"
              "4\t\\N\n\\.\n"
              "COPY public.\"odd \"\" name\" (k) FROM stdin;\n\\.\n" TAIL,
         {.copies = 2, .rows = 4, .complete = true}},
        {"cut inside a COPY block",
         HEAD "COPY public.t (id) FROM stdin;\n1\n2\n-- PostgreSQL database dump complete\n",
         {.copies = 1, .rows = 3, .in_copy = true}},
        {"a COPY with a long column list",
         HEAD "COPY public.wide "
              "(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, "
              "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, "
              "c) FROM stdin;\n1\t2\t3\n\\.\n" TAIL,
         {.copies = 1, .rows = 1, .complete = true}},
        {"CRLF line ends",
         "--\r\n-- PostgreSQL database dump\r\n--\r\n"
         "COPY t (x) FROM stdin;\r\n1\r\n\\.\r\n"
         "-- PostgreSQL database dump complete\r\n",
         {.copies = 1, .rows = 1, .complete = true}},
        {"pg_dump --create",
         HEAD "CREATE DATABASE app WITH TEMPLATE = template0;\n"
              "\\connect app\n" TAIL,
         {.complete = true, .switch_line = 9}},
        {"\\connect alone",
         HEAD "\\connect -reuse-previous=on \"dbname='other'\"\n" TAIL,
         {.complete = true, .switch_line = 9}},
        {"\\c", HEAD "\\c other\n" TAIL, {.complete = true, .switch_line = 9}},
        {"DROP DATABASE", HEAD "DROP DATABASE app;\n" TAIL, {.complete = true, .switch_line = 9}},
        {"a comment that names them",
         HEAD "-- CREATE DATABASE x; \\connect y\n" TAIL,
         {.complete = true}},
        {"no final newline", HEAD "-- PostgreSQL database dump complete", {.complete = true}},
};

static void scan(struct pgscan *s, const char *in, size_t len, size_t cut, bool bytewise)
{
    pgscan_init(s);
    if (bytewise) {
        for (size_t i = 0; i < len; i++)
            pgscan_feed(s, in + i, 1);
    } else {
        pgscan_feed(s, in, cut);
        pgscan_feed(s, in + cut, len - cut);
    }
    pgscan_finish(s);
}

static bool same(const struct pgscan *s, const struct want *w)
{
    return s->tables == w->tables && s->views == w->views && s->routines == w->routines &&
           s->triggers == w->triggers && s->sequences == w->sequences && s->copies == w->copies &&
           s->rows == w->rows && s->complete == w->complete && s->in_copy == w->in_copy &&
           s->switch_line == w->switch_line;
}

static void print(const char *name, const char *how, const struct pgscan *s)
{
    fprintf(stderr,
            "%s (%s): tables %llu views %llu routines %llu triggers %llu sequences %llu copies "
            "%llu rows %llu complete %d in_copy %d switch_line %lu\n",
            name, how, (unsigned long long)s->tables, (unsigned long long)s->views,
            (unsigned long long)s->routines, (unsigned long long)s->triggers,
            (unsigned long long)s->sequences, (unsigned long long)s->copies,
            (unsigned long long)s->rows, s->complete, s->in_copy, s->switch_line);
}

static void test_scan(void **state)
{
    int failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *in = cases[i].in;
        size_t len = strlen(in);
        struct pgscan s;

        for (size_t cut = 0; cut <= len; cut++) {
            scan(&s, in, len, cut, false);
            if (!same(&s, &cases[i].want)) {
                char how[32];

                snprintf(how, sizeof(how), "cut at %zu", cut);
                print(cases[i].name, how, &s);
                failures++;
                break;
            }
        }
        scan(&s, in, len, 0, true);
        if (!same(&s, &cases[i].want)) {
            print(cases[i].name, "a byte at a time", &s);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The line that leaves the database is named as it is written. */
static void test_switch_text(void **state)
{
    static const char in[] = HEAD "\\connect app\n" TAIL;
    struct pgscan s;

    (void)state;
    scan(&s, in, strlen(in), 10, false);
    assert_string_equal(s.switch_text, "\\connect app");
}

static void test_is_pg_dump(void **state)
{
    static const struct {
        const char *in;
        bool want;
    } rows[] = {
            {HEAD, true},
            {"-- devstack db dump\n-- database: \"app\"\n\n--\n-- PostgreSQL database dump\n--\n",
             true},
            {"-- PostgreSQL database dump\n", true},
            {"-- devstack db dump\nSET NAMES utf8mb4;\n", false},
            {"-- MySQL dump 10.13\n-- PostgreSQL database dump is not this\n", false},
            {"", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (pgscan_is_pg_dump(rows[i].in, strlen(rows[i].in)) != rows[i].want)
            fail_msg("row %zu: '%s' should%s be pg_dump's", i, rows[i].in,
                     rows[i].want ? "" : " not");
}

/* Where a restore loads before the swap: beside the database, within 63 bytes, whole characters. */
static void test_side_name(void **state)
{
    static const struct {
        const char *base, *suffix, *want;
    } rows[] = {
            {"app", "_restore_42", "app_restore_42"},
            {"", "_x", "_x"},
            /* 60 bytes + 11: cut to 52 */
            {"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffff", "_restore_42",
             "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeff_restore_42"},
            /* "é" is 2 bytes: one fits whole at bytes 51-52 */
            {"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee\xc3\xa9\xc3\xa9\xc3\xa9",
             "_restore_42",
             "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee\xc3\xa9_restore_42"},
            /* ... and the cut at 52 would split the one at bytes 52-53 */
            {"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeex\xc3\xa9\xc3\xa9", "_restore_42",
             "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeex_restore_42"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *got = db_pg_side_name(rows[i].base, rows[i].suffix);

        assert_true(strlen(got) <= 63);
        if (strcmp(got, rows[i].want))
            fail_msg("row %zu: got '%s', want '%s'", i, got, rows[i].want);
        free(got);
    }
}

/* The databases a killed restore leaves are recognised by name, and only those. */
static void test_is_side_name(void **state)
{
    static const struct {
        const char *base, *candidate;
        bool side, replaced;
    } rows[] = {
            {"app", "app_restore_123", true, false},
            {"app", "app_replaced_9", true, true},
            {"app", "app_restore_", false, false},
            {"app", "app_restore_12x", false, false},
            {"app", "app2_restore_123", false, false},
            {"app", "ap_restore_123", false, false},
            {"app", "app_other_123", false, false},
            {"app", "app", false, false},
            {"app_restore_1", "app_restore_1_replaced_2", true, true},
            {"my_app", "my_app_replaced_4242", true, true},
            /* a long name is cut as db_pg_side_name() cuts it */
            {"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffff",
             "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeff_restore_42", true, false},
            {"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffff",
             "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffff_restore_42", false, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        bool replaced = false,
             side = db_pg_is_side_name(rows[i].base, rows[i].candidate, &replaced);

        if (side != rows[i].side || (side && replaced != rows[i].replaced))
            fail_msg("row %zu (%s, %s): got %d/%d, want %d/%d", i, rows[i].base, rows[i].candidate,
                     side, replaced, rows[i].side, rows[i].replaced);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_scan),         cmocka_unit_test(test_switch_text),
            cmocka_unit_test(test_is_pg_dump),   cmocka_unit_test(test_side_name),
            cmocka_unit_test(test_is_side_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
