/*
 * Unit tests for src/db/sqlsplit.c: SQL dumps split into statements as the
 * mysql client splits them.
 *
 * Each table row is an input and the exact statements it gives, each as
 * "<first line>:<text>" (a NUL byte shown as "{NUL}"), then the exact error
 * if one is expected. Every row runs fed whole, cut in two at every
 * position, and a byte at a time; each way must give the same result.
 * Mismatches are printed with the row's name and the test fails once at the
 * end.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "db/sqlsplit.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

/* A string literal as the input: its bytes and its length, NULs included. */
#define IN(s) s, sizeof(s) - 1

#define RS '\x1e' /* between statements in a rendered result */

static const char mysqldump_header[] =
        "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n"
        "--\n"
        "-- Host: 127.0.0.1    Database: app\n"
        "-- ------------------------------------------------------\n"
        "-- Server version\t8.0.36\n"
        "\n"
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
        "/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;\n"
        "/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;\n"
        "/*!50503 SET NAMES utf8mb4 */;\n"
        "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n"
        "/*!40103 SET TIME_ZONE='+00:00' */;\n"
        "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n"
        "/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n"
        "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n"
        "/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;\n"
        "\n";

static const char mysqldump_table[] =
        "--\n"
        "-- Table structure for table `t`\n"
        "--\n"
        "\n"
        "DROP TABLE IF EXISTS `t`;\n"
        "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
        "/*!50503 SET character_set_client = utf8mb4 */;\n"
        "CREATE TABLE `t` (\n"
        "  `id` int NOT NULL AUTO_INCREMENT,\n"
        "  `name` varchar(64) NOT NULL DEFAULT '' COMMENT 'who; or what',\n"
        "  PRIMARY KEY (`id`)\n"
        ") ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;\n"
        "/*!40101 SET character_set_client = @saved_cs_client */;\n"
        "\n"
        "LOCK TABLES `t` WRITE;\n"
        "/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n"
        "INSERT INTO `t` VALUES (1,'it\\'s; a \\\"test\\\"'),(2,'C:\\\\dir\\\\'),(3,'a;b'';c'),"
        "(4,0x3B273B),(5,_binary '\\0;\\Z');\n"
        "/*!40000 ALTER TABLE `t` ENABLE KEYS */;\n"
        "UNLOCK TABLES;\n"
        "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n"
        "\n"
        "-- Dump completed on 2024-05-01 12:00:00\n";

static const char mysqldump_trigger[] =
        "/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;\n"
        "/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION' */ ;\n"
        "DELIMITER ;;\n"
        "/*!50003 CREATE*/ /*!50017 DEFINER=`app`@`%`*/ /*!50003 TRIGGER `t_bi` BEFORE INSERT ON "
        "`t` FOR EACH ROW BEGIN\n"
        "  SET NEW.name = CONCAT(NEW.name, ';');\n"
        "  SET NEW.id = NEW.id + 1; END */;;\n"
        "DELIMITER ;\n"
        "/*!50003 SET sql_mode              = @saved_sql_mode */ ;\n";

static const char mysqldump_routine[] = "/*!50003 DROP PROCEDURE IF EXISTS `p` */;\n"
                                        "DELIMITER ;;\n"
                                        "CREATE DEFINER=`app`@`%` PROCEDURE `p`()\n"
                                        "BEGIN\n"
                                        "SELECT 1;\n"
                                        "END ;;\n"
                                        "DELIMITER ;\n";

static const char procedure_dollars[] = "DELIMITER $$\n"
                                        "CREATE PROCEDURE `p`(IN n INT)\n"
                                        "BEGIN\n"
                                        "  -- count down; it's no delimiter\n"
                                        "  WHILE n > 0 DO SET n = n - 1; END WHILE;\n"
                                        "  SELECT 'done$$' AS `$$`; # $$\n"
                                        "END$$\n"
                                        "DELIMITER ;\n"
                                        "CALL p(3);\n";

static const struct split_case {
    const char *what;
    const char *in;
    size_t len;
    size_t max;           /* max_statement; 0: none */
    const char *want[16]; /* "<line>:<statement>" */
    const char *error;    /* the whole message, DS_EINVAL; NULL: none */
} cases[] = {
        /* the basics */
        {"empty input", IN(""), 0, {NULL}, NULL},
        {"only whitespace and comments", IN(" \n-- a;\n# b;\n/* c; */\n\t\r\n"), 0, {NULL}, NULL},
        {"one statement", IN("SELECT 1;"), 0, {"1:SELECT 1"}, NULL},
        {"several on one line",
         IN("SELECT 1;SELECT 2; SELECT 3 ;"),
         0,
         {"1:SELECT 1", "1:SELECT 2", "1:SELECT 3"},
         NULL},
        {"whitespace around a statement is trimmed; its line is that of its first byte",
         IN("\n\n  /* c */\n  SELECT\n  1 ;\n\t SELECT 2\t;"),
         0,
         {"4:SELECT\n  1", "6:SELECT 2"},
         NULL},
        {"empty statements are skipped", IN(";;\n ; ;\nSELECT 1;;"), 0, {"3:SELECT 1"}, NULL},
        {"the last statement needs no delimiter",
         IN("SELECT 1;\n  SELECT 2  \n"),
         0,
         {"1:SELECT 1", "2:SELECT 2"},
         NULL},
        {"a comment after the last statement is no statement",
         IN("SELECT 1;\n-- end\n"),
         0,
         {"1:SELECT 1"},
         NULL},
        {"USE is a statement like any other",
         IN("USE `app`;\nSELECT 1;"),
         0,
         {"1:USE `app`", "2:SELECT 1"},
         NULL},

        /* what mysqldump writes */
        {"a mysqldump header",
         IN(mysqldump_header),
         0,
         {"7:/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */",
          "8:/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */",
          "9:/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */",
          "10:/*!50503 SET NAMES utf8mb4 */", "11:/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */",
          "12:/*!40103 SET TIME_ZONE='+00:00' */",
          "13:/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */",
          "14:/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */",
          "15:/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */",
          "16:/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */"},
         NULL},
        {"a mysqldump table with an extended INSERT",
         IN(mysqldump_table),
         0,
         {"5:DROP TABLE IF EXISTS `t`",
          "6:/*!40101 SET @saved_cs_client     = @@character_set_client */",
          "7:/*!50503 SET character_set_client = utf8mb4 */",
          "8:CREATE TABLE `t` (\n"
          "  `id` int NOT NULL AUTO_INCREMENT,\n"
          "  `name` varchar(64) NOT NULL DEFAULT '' COMMENT 'who; or what',\n"
          "  PRIMARY KEY (`id`)\n"
          ") ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci",
          "13:/*!40101 SET character_set_client = @saved_cs_client */", "15:LOCK TABLES `t` WRITE",
          "16:/*!40000 ALTER TABLE `t` DISABLE KEYS */",
          "17:INSERT INTO `t` VALUES (1,'it\\'s; a \\\"test\\\"'),(2,'C:\\\\dir\\\\'),"
          "(3,'a;b'';c'),(4,0x3B273B),(5,_binary '\\0;\\Z')",
          "18:/*!40000 ALTER TABLE `t` ENABLE KEYS */", "19:UNLOCK TABLES",
          "20:/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */"},
         NULL},
        {"a mysqldump trigger between DELIMITER ;; and DELIMITER ;",
         IN(mysqldump_trigger),
         0,
         {"1:/*!50003 SET @saved_sql_mode       = @@sql_mode */",
          "2:/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION' */",
          "4:/*!50003 CREATE*/ /*!50017 DEFINER=`app`@`%`*/ /*!50003 TRIGGER `t_bi` BEFORE "
          "INSERT ON `t` FOR EACH ROW BEGIN\n"
          "  SET NEW.name = CONCAT(NEW.name, ';');\n"
          "  SET NEW.id = NEW.id + 1; END */",
          "8:/*!50003 SET sql_mode              = @saved_sql_mode */"},
         NULL},
        {"a mysqldump routine",
         IN(mysqldump_routine),
         0,
         {"1:/*!50003 DROP PROCEDURE IF EXISTS `p` */",
          "3:CREATE DEFINER=`app`@`%` PROCEDURE `p`()\nBEGIN\nSELECT 1;\nEND"},
         NULL},
        {"a procedure between DELIMITER $$ and DELIMITER ;",
         IN(procedure_dollars),
         0,
         {"2:CREATE PROCEDURE `p`(IN n INT)\n"
          "BEGIN\n"
          "  -- count down; it's no delimiter\n"
          "  WHILE n > 0 DO SET n = n - 1; END WHILE;\n"
          "  SELECT 'done$$' AS `$$`; # $$\n"
          "END",
          "9:CALL p(3)"},
         NULL},
        {"MariaDB's executable comments are statement text",
         IN("/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n\n"
            "/*!40101 SET NAMES utf8mb4 */;\n"
            "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;\n"),
         0,
         {"1:/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n\n"
          "/*!40101 SET NAMES utf8mb4 */",
          "5:/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */"},
         NULL},

        /* quotes */
        {"doubled quote characters",
         IN("SELECT 'it''s;', \"say \"\"hi;\"\"\", `we``ird;`;"),
         0,
         {"1:SELECT 'it''s;', \"say \"\"hi;\"\"\", `we``ird;`"},
         NULL},
        {"backslash escapes in '...' and \"...\"",
         IN("SELECT 'it\\'s;', \"a\\\";b\", 'c:\\\\';SELECT 2;"),
         0,
         {"1:SELECT 'it\\'s;', \"a\\\";b\", 'c:\\\\'", "1:SELECT 2"},
         NULL},
        {"no backslash escapes in `...`",
         IN("SELECT 1 AS `a\\`, ';';"),
         0,
         {"1:SELECT 1 AS `a\\`, ';'"},
         NULL},
        {"comment openers inside quotes",
         IN("SELECT '-- ;', \"# ;\", '/* ;', `*/;`;"),
         0,
         {"1:SELECT '-- ;', \"# ;\", '/* ;', `*/;`"},
         NULL},
        {"a newline inside a string counts as a line",
         IN("SELECT 'a\nb;\nc';\nSELECT 2;"),
         0,
         {"1:SELECT 'a\nb;\nc'", "4:SELECT 2"},
         NULL},
        {"an escaped newline counts as a line",
         IN("SELECT 'a\\\nb';\nSELECT 2;"),
         0,
         {"1:SELECT 'a\\\nb'", "3:SELECT 2"},
         NULL},
        {"NUL bytes are kept",
         IN("INSERT INTO t VALUES ('a\0b;c', x'00');\nSELECT 1\0;"),
         0,
         {"1:INSERT INTO t VALUES ('a{NUL}b;c', x'00')", "2:SELECT 1{NUL}"},
         NULL},
        {"UTF-8 is kept",
         IN("INSERT INTO `tëst` VALUES ('日本語;', 'ü');\n"),
         0,
         {"1:INSERT INTO `tëst` VALUES ('日本語;', 'ü')"},
         NULL},

        /* comments */
        {"comments between statements",
         IN("SELECT 1; -- one;\nSELECT 2; # two;\n"
            "SELECT 3; /* three; */ SELECT 4;"),
         0,
         {"1:SELECT 1", "2:SELECT 2", "3:SELECT 3", "3:SELECT 4"},
         NULL},
        {"comments inside a statement are kept",
         IN("SELECT 1, -- one;\n 2, # two;\n 3 /* three; */;"),
         0,
         {"1:SELECT 1, -- one;\n 2, # two;\n 3 /* three; */"},
         NULL},
        {"quotes inside comments open nothing",
         IN("-- it's\nSELECT 1; # \"a\n/* `b */ SELECT 2;"),
         0,
         {"2:SELECT 1", "3:SELECT 2"},
         NULL},
        {"-- without whitespace after it is two minus signs",
         IN("SELECT 1--1;\nSELECT 2 --1;\n--1;"),
         0,
         {"1:SELECT 1--1", "2:SELECT 2 --1", "3:--1"},
         NULL},
        {"-- before a tab, a CR or the end of the input is a comment",
         IN("SELECT 1 --\tx;\n;SELECT 2 --\r\n;SELECT 3 --"),
         0,
         {"1:SELECT 1 --\tx;", "2:SELECT 2 --", "3:SELECT 3 --"},
         NULL},
        {"a line comment may end the input", IN("SELECT 1 # end;"), 0, {"1:SELECT 1 # end;"}, NULL},
        {"comments do not nest", IN("/* a /* b; */ SELECT 1;"), 0, {"1:SELECT 1"}, NULL},
        {"/*/ opens a comment and does not close it",
         IN("/*/ SELECT 1; */ SELECT 2;"),
         0,
         {"1:SELECT 2"},
         NULL},
        {"an empty comment", IN("/**/SELECT 1;"), 0, {"1:SELECT 1"}, NULL},
        {"optimizer hints are kept",
         IN("SELECT /*+ MAX_EXECUTION_TIME(1000) */ 1;"),
         0,
         {"1:SELECT /*+ MAX_EXECUTION_TIME(1000) */ 1"},
         NULL},
        {"quotes count inside an executable comment",
         IN("/*!40101 SET @a='x;y' */;"),
         0,
         {"1:/*!40101 SET @a='x;y' */"},
         NULL},
        {"as in the mysql client, the delimiter ends a statement inside an executable comment",
         IN("/*!50003 SELECT 1; */;"),
         0,
         {"1:/*!50003 SELECT 1", "1:*/"},
         NULL},

        /* DELIMITER */
        {"DELIMITER in lower case, after a statement on the same line",
         IN("SELECT 1; delimiter //\nSELECT 2; SELECT 3//\ndelimiter ;\nSELECT 4;"),
         0,
         {"1:SELECT 1", "2:SELECT 2; SELECT 3", "4:SELECT 4"},
         NULL},
        {"DELIMITER lines ending in CRLF",
         IN("DELIMITER ;;\r\nSELECT 1;;\r\nDELIMITER ;\r\nSELECT 2;\r\n"),
         0,
         {"2:SELECT 1", "4:SELECT 2"},
         NULL},
        {"DELIMITER after comments",
         IN("-- switch\n/* now */ DELIMITER $$\nSELECT 1$$\n"),
         0,
         {"3:SELECT 1"},
         NULL},
        {"DELIMITER and a tab; the words after the delimiter are ignored",
         IN("DELIMITER\t// ignored\nSELECT 1//"),
         0,
         {"2:SELECT 1"},
         NULL},
        {"DELIMITER inside a statement is text",
         IN("SELECT 1\nDELIMITER ;;\nSELECT 2;"),
         0,
         {"1:SELECT 1\nDELIMITER", "3:SELECT 2"},
         NULL},
        {"words that begin with delimiter",
         IN("DELIMITERS;\ndelimiter_x ;"),
         0,
         {"1:DELIMITERS", "2:delimiter_x"},
         NULL},
        {"DELIMITER at the end of the input",
         IN("SELECT 1;\nDELIMITER //"),
         0,
         {"1:SELECT 1"},
         NULL},
        {"part of the delimiter at the end of the input is text",
         IN("DELIMITER ;;\nSELECT 1;;SELECT 2;\n;"),
         0,
         {"2:SELECT 1", "2:SELECT 2;\n;"},
         NULL},
        {"a delimiter is case-sensitive",
         IN("DELIMITER GO\nSELECT 1 GO\nSELECT 'GO' go GO"),
         0,
         {"2:SELECT 1", "3:SELECT 'GO' go"},
         NULL},

        /* line ends and byte order marks */
        {"CRLF line ends",
         IN("SELECT 1;\r\nSELECT\r\n  2;\r\n\r\nSELECT 3\r\n"),
         0,
         {"1:SELECT 1", "2:SELECT\r\n  2", "5:SELECT 3"},
         NULL},
        {"a byte order mark at the start is skipped",
         IN("\xef\xbb\xbf-- c\nSELECT 1;"),
         0,
         {"2:SELECT 1"},
         NULL},
        {"only a byte order mark", IN("\xef\xbb\xbf"), 0, {NULL}, NULL},
        {"a second byte order mark is text",
         IN("\xef\xbb\xbf\xef\xbb\xbfSELECT 1;"),
         0,
         {"1:\xef\xbb\xbfSELECT 1"},
         NULL},
        {"part of a byte order mark is text",
         IN("\xef\xbbSELECT 1;"),
         0,
         {"1:\xef\xbbSELECT 1"},
         NULL},

        /* errors */
        {"an unterminated '...'",
         IN("SELECT 1;\nSELECT 'abc;\n"),
         0,
         {"1:SELECT 1"},
         "line 2: unterminated string started here"},
        {"an unterminated \"...\"",
         IN("SELECT\n1,\n\"abc;"),
         0,
         {NULL},
         "line 3: unterminated string started here"},
        {"an unterminated `...`",
         IN("SELECT `a;"),
         0,
         {NULL},
         "line 1: unterminated quoted identifier started here"},
        {"a string that ends in a backslash",
         IN("SELECT 'abc\\"),
         0,
         {NULL},
         "line 1: unterminated string started here"},
        {"an unterminated comment",
         IN("SELECT 1;\n\n/* abc;\n"),
         0,
         {"1:SELECT 1"},
         "line 3: unterminated comment started here"},
        {"an unterminated comment inside a statement",
         IN("SELECT 1 /* x"),
         0,
         {NULL},
         "line 1: unterminated comment started here"},
        {"DELIMITER without a delimiter",
         IN("DELIMITER\nSELECT 1;"),
         0,
         {NULL},
         "line 1: 'DELIMITER' must be followed by a delimiter"},
        {"DELIMITER and only whitespace",
         IN("SELECT 1;\nDELIMITER   \r\n"),
         0,
         {"1:SELECT 1"},
         "line 2: 'DELIMITER' must be followed by a delimiter"},
        {"a delimiter with a backslash",
         IN("SELECT 1;\n\ndelimiter \\\\\n"),
         0,
         {"1:SELECT 1"},
         "line 3: a delimiter cannot contain a backslash"},
        {"a delimiter too long",
         IN("DELIMITER 12345678901234567\n"),
         0,
         {NULL},
         "line 1: the delimiter is longer than 16 bytes"},

        /* max_statement */
        {"a statement as long as max_statement",
         IN("SELECT 1;\nSELECT 2"),
         8,
         {"1:SELECT 1", "2:SELECT 2"},
         NULL},
        {"a statement a byte longer than max_statement",
         IN("SELECT 1;\nSELECT 22;"),
         8,
         {"1:SELECT 1"},
         "line 2: the statement starting here is longer than 8 bytes"},
        {"a statement without delimiter longer than max_statement",
         IN("SELECT 1;\nSELECT 22"),
         8,
         {"1:SELECT 1"},
         "line 2: the statement starting here is longer than 8 bytes"},
        {"whitespace before the delimiter counts",
         IN("SELECT 1 ;"),
         8,
         {NULL},
         "line 1: the statement starting here is longer than 8 bytes"},
        {"comments before a statement do not count",
         IN("/* longer than the limit; */\n-- this one too\nSELECT 1;"),
         8,
         {"3:SELECT 1"},
         NULL},
        {"a runaway quote stops at max_statement",
         IN("SELECT 1;\nINSERT INTO t VALUES ('oops);\nINSERT INTO t VALUES (2);\n"),
         32,
         {"1:SELECT 1"},
         "line 2: the statement starting here is longer than 32 bytes"},
        {"a DELIMITER line longer than max_statement",
         IN("\nDELIMITER ;;      x\n"),
         16,
         {NULL},
         "line 2: the statement starting here is longer than 16 bytes"},
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Render each statement as "<line>:<text>" and an RS, and flag what a statement must never be. */
static int collect(const char *stmt, size_t len, unsigned long line, void *ud, struct ds_error *err)
{
    struct buf *out = ud;

    (void)err;
    if (!len || stmt[len] != '\0' || is_space(stmt[0]) || is_space(stmt[len - 1]) || !line)
        buf_adds(out, "{BAD}");
    buf_addf(out, "%lu:", line);
    for (size_t i = 0; i < len; i++) {
        if (stmt[i])
            buf_addch(out, stmt[i]);
        else
            buf_adds(out, "{NUL}");
    }
    buf_addch(out, RS);
    return 0;
}

static void add_error(struct buf *out, int rc, const struct ds_error *err)
{
    if (rc == DS_EINVAL && err->code == DS_EINVAL)
        buf_addf(out, "error: %s", err->msg ? err->msg : "(no message)");
    else
        buf_addf(out, "error %d (err.code %d): %s", rc, err->code, err->msg ? err->msg : "");
}

static void expected(struct buf *out, const struct split_case *c)
{
    for (size_t i = 0; i < ARRAY_SIZE(c->want) && c->want[i]; i++) {
        buf_adds(out, c->want[i]);
        buf_addch(out, RS);
    }
    if (c->error)
        buf_addf(out, "error: %s", c->error);
}

/* Feed the first `first` bytes at once, then the rest `step` bytes at a time (0: at once). */
static void run(struct buf *out, const struct split_case *c, size_t first, size_t step)
{
    struct sqlsplit s;
    struct ds_error err = DS_ERROR_INIT;
    size_t off = 0;
    int rc;

    sqlsplit_init(&s, c->max);
    rc = sqlsplit_feed(&s, c->in, first, collect, out, &err);
    off = first;
    while (!rc && off < c->len) {
        size_t n = step && c->len - off > step ? step : c->len - off;

        rc = sqlsplit_feed(&s, c->in + off, n, collect, out, &err);
        off += n;
    }
    if (!rc)
        rc = sqlsplit_finish(&s, collect, out, &err);
    if (rc)
        add_error(out, rc, &err);
    ds_error_release(&err);
    sqlsplit_release(&s);
}

/* For messages: control bytes as escapes. */
static void print_shown(const char *label, const char *s)
{
    printf("#   %s: ", label);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == RS)
            printf(" | ");
        else if (c == '\n')
            printf("\\n");
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('\n');
}

static void test_split_cases(void **state)
{
    int failures = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct split_case *c = &cases[i];
        struct buf want = BUF_INIT, got = BUF_INIT;
        const char *how = NULL;

        expected(&want, c);
        run(&got, c, c->len, 0);
        if (strcmp(got.buf, want.buf))
            how = "fed whole";
        for (size_t k = 0; !how && k <= c->len; k++) {
            buf_reset(&got);
            run(&got, c, k, 0);
            if (strcmp(got.buf, want.buf))
                how = "cut in two";
        }
        if (!how) {
            buf_reset(&got);
            run(&got, c, 0, 1);
            if (strcmp(got.buf, want.buf))
                how = "fed a byte at a time";
        }
        if (how) {
            printf("# %s (%s):\n", c->what, how);
            print_shown("got ", got.buf);
            print_shown("want", want.buf);
            failures++;
        }
        buf_release(&want);
        buf_release(&got);
    }
    if (failures)
        fail_msg("%d of %zu cases failed", failures, ARRAY_SIZE(cases));
}

struct counter {
    size_t n, stop_at;
    size_t bytes;
    unsigned long last_line;
};

static int count(const char *stmt, size_t len, unsigned long line, void *ud, struct ds_error *err)
{
    struct counter *c = ud;

    (void)stmt;
    c->n++;
    c->bytes += len;
    c->last_line = line;
    if (c->stop_at && c->n == c->stop_at)
        return ds_error_set(err, DS_ECONFLICT, "stopped at statement %zu", c->n);
    return 0;
}

/* What the callback returns stops the split and comes back from feed() and finish(). */
static void test_split_stop(void **state)
{
    struct sqlsplit s;
    struct ds_error err = DS_ERROR_INIT;
    struct counter c = {0, 2, 0, 0};

    (void)state;
    sqlsplit_init(&s, 0);
    assert_int_equal(sqlsplit_feed(&s, IN("SELECT 1; SELECT 2; SELECT 3;"), count, &c, &err),
                     DS_ECONFLICT);
    assert_int_equal(c.n, 2);
    assert_string_equal(err.msg, "stopped at statement 2");
    sqlsplit_release(&s);
    ds_error_release(&err);

    c = (struct counter){0, 1, 0, 0};
    sqlsplit_init(&s, 0);
    assert_int_equal(sqlsplit_feed(&s, IN("SELECT 1"), count, &c, &err), 0);
    assert_int_equal(sqlsplit_finish(&s, count, &c, &err), DS_ECONFLICT);
    assert_int_equal(c.n, 1);
    sqlsplit_release(&s);
    ds_error_release(&err);

    /* released without a feed */
    sqlsplit_init(&s, 0);
    sqlsplit_release(&s);
}

/*
 * A dump of many statements and one of 3 MiB, fed in gzread()'s 64 KiB and in
 * odd chunks: the buffer holds a statement and a chunk, not the dump.
 */
static void test_split_large(void **state)
{
    static const size_t chunks[] = {65536, 4093};
    struct buf dump = BUF_INIT;
    size_t big = 3u << 20;

    (void)state;
    buf_adds(&dump, mysqldump_header);
    for (int i = 0; i < 20000; i++)
        buf_addf(&dump, "INSERT INTO `t` VALUES (%d,'row; \\'%d\\'');\n", i, i);
    buf_adds(&dump, "INSERT INTO `t` VALUES (0,'");
    for (size_t i = 0; i < big; i++)
        buf_addch(&dump, "ab;'\\"[i % 3]);
    buf_adds(&dump, "');\n-- end\n");

    for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
        struct sqlsplit s;
        struct ds_error err = DS_ERROR_INIT;
        struct counter c = {0, 0, 0, 0};
        size_t peak = 0;

        sqlsplit_init(&s, 4u << 20);
        for (size_t off = 0; off < dump.len; off += chunks[i]) {
            size_t n = dump.len - off < chunks[i] ? dump.len - off : chunks[i];

            assert_int_equal(sqlsplit_feed(&s, dump.buf + off, n, count, &c, &err), 0);
            /* before the big statement only a chunk and a piece of a statement are held */
            if (c.n < 10 + 20000 && s.in.alloc > peak)
                peak = s.in.alloc;
        }
        assert_int_equal(sqlsplit_finish(&s, count, &c, &err), 0);
        assert_int_equal(c.n, 10 + 20000 + 1);
        assert_int_equal(c.last_line, 18 + 20000);
        assert_true(peak <= 4 * 65536);
        sqlsplit_release(&s);
        ds_error_release(&err);
    }

    /* a limit that the big statement breaks */
    {
        struct sqlsplit s;
        struct ds_error err = DS_ERROR_INIT;
        struct counter c = {0, 0, 0, 0};

        sqlsplit_init(&s, 1u << 20);
        assert_int_equal(sqlsplit_feed(&s, dump.buf, dump.len, count, &c, &err), DS_EINVAL);
        assert_string_equal(err.msg,
                            "line 20018: the statement starting here is longer than 1048576 bytes");
        assert_int_equal(c.n, 10 + 20000);
        sqlsplit_release(&s);
        ds_error_release(&err);
    }
    buf_release(&dump);
}

/* The guard against dumps that leave the application database, read as the server reads them. */
static void test_switches_database(void **state)
{
    static const struct {
        const char *stmt;
        bool switches;
    } stmts[] = {
            {"USE mysql", true},
            {"use `other`", true},
            {"DROP DATABASE other", true},
            {"drop schema if exists other", true},
            {"CREATE DATABASE other", true},
            {"CREATE OR REPLACE DATABASE other", true},
            {"ALTER DATABASE other CHARACTER SET utf8mb4", true},
            {"RENAME DATABASE a TO b", true},
            {"DROP /*x*/ DATABASE other", true},
            {"DROP/**/DATABASE other", true},
            {"DROP -- a comment\nDATABASE other", true},
            {"DROP # a comment\n DATABASE other", true},
            {"/* leading */ USE mysql", true},
            {"/*!40000 DROP DATABASE other */", true},
            {"/*!DROP DATABASE other*/", true},
            {"/*M!100100 CREATE OR REPLACE DATABASE other */", true},
            {"CREATE /*!32312 OR REPLACE*/ DATABASE other", true},
            {"DROP /*!50000 DATABASE */ other", true},
            {"(USE mysql)", true},
            {"CREATE TABLE t (x INT)", false},
            {"DROP TABLE IF EXISTS `database`", false},
            {"CREATE TABLE `database` (x INT)", false},
            {"INSERT INTO t VALUES ('USE mysql')", false},
            {"DROP TABLE databases", false},
            {"CREATE OR REPLACE VIEW v AS SELECT 1", false},
            {"CREATE DEFINER=`x`@`%` PROCEDURE p() SELECT 1", false},
            {"USER_FUNC()", false},
            {"/*!40101 SET NAMES utf8mb4 */", false},
            {"-- USE mysql\nSELECT 1", false},
            {"/* DROP DATABASE x */ SELECT 1", false},
            {"DROPDATABASE x", false},
            {"", false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(stmts); i++) {
        bool got = sqlsplit_switches_database(stmts[i].stmt, strlen(stmts[i].stmt));

        if (got != stmts[i].switches)
            fail_msg("case %zu '%s': switches %d, want %d", i, stmts[i].stmt, got,
                     stmts[i].switches);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_split_cases),
            cmocka_unit_test(test_split_stop),
            cmocka_unit_test(test_split_large),
            cmocka_unit_test(test_switches_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
