/*
 * A database's data volume holds one engine's files: stack_data_dir_database()
 * knows the data directories of the mysql/mariadb and postgres images,
 * stack_volume_database() which database a project's volume (by its engine
 * name) is for, and stack_data_volume_conflict() refuses a selected service
 * that mounts a volume or bind directory at one database's data directory
 * when the evidence (`held`) says it holds the other's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/stack.h"
#include "util/strvec.h"
#include "util/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char project_yaml[] =
        "name: p\n"
        "services:\n"
        "  db:\n"
        "    image: mariadb\n"
        "    volumes: [db-data:/var/lib/mysql]\n"
        "  pg:\n"
        "    image: postgres\n"
        "    volumes: ['pg-data:/var/lib/postgresql/data/']\n"
        "  pg18:\n"
        "    image: postgres:18\n"
        "    volumes: [pg18:/var/lib/postgresql]\n"
        "  renamed:\n"
        "    image: mariadb\n"
        "    volumes: [shared:/var/lib/mysql]\n"
        "  bind:\n"
        "    image: mariadb\n"
        "    volumes: [./pgdata:/var/lib/mysql]\n"
        "  pgbind:\n"
        "    image: postgres\n"
        "    volumes: [/srv/my:/var/lib/postgresql/data]\n"
        "  app:\n"
        "    image: busybox\n"
        "    volumes: [db-data:/data, pg-data:/var/lib/mysqlx]\n"
        "  sub:\n"
        "    image: mariadb\n"
        "    volumes:\n"
        "      - {type: volume, source: sub, target: /var/lib/mysql, volume: {subpath: x}}\n"
        "  anon:\n"
        "    image: mariadb\n"
        "    volumes: [/var/lib/mysql]\n"
        "  tmp:\n"
        "    image: mariadb\n"
        "    volumes: [{type: tmpfs, target: /var/lib/mysql}]\n"
        "volumes:\n"
        "  db-data:\n"
        "  pg-data:\n"
        "  pg18:\n"
        "  shared: {name: legacy-db}\n"
        "  sub:\n";

static void test_data_dir(void **state)
{
    static const struct {
        const char *target, *database; /* NULL: no database's */
    } cases[] = {
            {"/var/lib/mysql", "mysql"},
            {"/var/lib/mysql/", "mysql"},
            {"/var/lib/mysql//", "mysql"},
            {"/var/lib/postgresql/data", "postgresql"},
            {"/var/lib/postgresql/data/", "postgresql"},
            {"/var/lib/postgresql", "postgresql"},
            {"/var/lib/postgresql/", "postgresql"},
            {"/var/lib/mysqlx", NULL},
            {"/var/lib/mysq", NULL},
            {"/var/lib/mysql/data", NULL},
            {"/var/lib/postgresql/data/pgdata", NULL},
            {"/var/lib/postgresql/dat", NULL},
            {"/var/lib/postgres", NULL},
            {"var/lib/mysql", NULL},
            {"/VAR/LIB/MYSQL", NULL},
            {"/data", NULL},
            {"/", NULL},
            {"", NULL},
            {NULL, NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *got = stack_data_dir_database(cases[i].target);

        if (cases[i].database ? !got || strcmp(got, cases[i].database) : got != NULL)
            fail_msg("\"%s\": got %s, expected %s", cases[i].target ? cases[i].target : "(null)",
                     got ? got : "(null)", cases[i].database ? cases[i].database : "(null)");
    }
}

static void test_volume_database(void **state)
{
    static const struct {
        const char *volume, *database; /* the engine's name; NULL: no database's */
    } cases[] = {
            {"p_db-data", "mysql"},      /* also at /data in app: the data directory counts */
            {"p_pg-data", "postgresql"}, /* also at /var/lib/mysqlx in app */
            {"p_pg18", "postgresql"},    {"legacy-db", "mysql"}, /* `name:` is the engine's name */
            {"p_shared", NULL},          {"shared", NULL},
            {"db-data", NULL},   /* the file's key is not the engine's name */
            {"/p/pgdata", NULL}, /* a bind directory is not a volume */
            {"./pgdata", NULL},          {"p_sub", NULL}, /* only a subpath of it is mounted */
            {"p_nothing", NULL},         {"", NULL},
    };
    struct compose_project *p = test_load_compose(project_yaml);

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *got = stack_volume_database(p, cases[i].volume);

        if (cases[i].database ? !got || strcmp(got, cases[i].database) : got != NULL)
            fail_msg("volume \"%s\": got %s, expected %s", cases[i].volume, got ? got : "(null)",
                     cases[i].database ? cases[i].database : "(null)");
    }
    compose_project_free(p);
}

#define PG_LABEL "its label dev.devstack.database=postgresql"
#define MY_LABEL "its label dev.devstack.database=mysql"

struct conflict_case {
    const char *name;
    const char *services[4]; /* the selected services; NULL ends */
    struct {
        const char *volume, *database, *how;
    } held[3];              /* volume NULL ends */
    const char *message[4]; /* all in the error's message; none: no conflict (0) */
};

static const struct conflict_case conflict_cases[] = {
        {"a volume PostgreSQL's label claims, now MySQL's data directory",
         {"db", NULL},
         {{"p_db-data", "postgresql", PG_LABEL}},
         {"service 'db': volume 'p_db-data' holds PostgreSQL's data (" PG_LABEL
          "), and 'db' now mounts it at /var/lib/mysql for MySQL, which cannot start on it"}},
        {"the other way: MySQL's volume at PostgreSQL's data directory",
         {"pg", NULL},
         {{"p_pg-data", "mysql", "/var/lib/mysql in container p-pg-1"}},
         {"service 'pg': volume 'p_pg-data' holds MySQL's data (/var/lib/mysql in container "
          "p-pg-1)",
          "for PostgreSQL, which cannot start on it", "/var/lib/postgresql/data"}},
        {"postgres 18's parent directory is PostgreSQL's too",
         {"pg18", NULL},
         {{"p_pg18", "mysql", MY_LABEL}},
         {"volume 'p_pg18' holds MySQL's data", "at /var/lib/postgresql for PostgreSQL"}},
        {"the same database: no conflict",
         {"db", NULL},
         {{"p_db-data", "mysql", MY_LABEL}},
         {NULL}},
        {"the same database, PostgreSQL",
         {"pg", "pg18", NULL},
         {{"p_pg-data", "postgresql", PG_LABEL}, {"p_pg18", "postgresql", PG_LABEL}},
         {NULL}},
        {"another volume held by the other database: no conflict",
         {"db", NULL},
         {{"p_pg-data", "postgresql", PG_LABEL}, {"p_other", "postgresql", PG_LABEL}},
         {NULL}},
        {"the service that mounts it is not selected: no conflict",
         {"pg", "pg18", NULL},
         {{"p_db-data", "postgresql", PG_LABEL}},
         {NULL}},
        {"nothing selected: no conflict", {NULL}, {{"p_db-data", "postgresql", PG_LABEL}}, {NULL}},
        {"a selected name that is no service is passed over",
         {"nosuch", "db", NULL},
         {{"p_db-data", "postgresql", PG_LABEL}},
         {"service 'db': volume 'p_db-data'"}},
        {"nothing held: no conflict", {"db", "pg", "bind", NULL}, {{NULL}}, {NULL}},
        {"mounted at a directory that is no data directory: no conflict",
         {"app", NULL},
         {{"p_db-data", "postgresql", PG_LABEL}, {"p_pg-data", "mysql", MY_LABEL}},
         {NULL}},
        {"one service among several conflicts: that one is named",
         {"app", "pg", "db", NULL},
         {{"p_db-data", "postgresql", PG_LABEL}},
         {"service 'db': volume 'p_db-data' holds PostgreSQL's data"}},
        {"a volume with `name:` is known by the engine's name",
         {"renamed", NULL},
         {{"legacy-db", "postgresql", PG_LABEL}},
         {"service 'renamed': volume 'legacy-db' holds PostgreSQL's data",
          "'renamed' now mounts it at /var/lib/mysql for MySQL"}},
        {"... and not by the project-prefixed one",
         {"renamed", NULL},
         {{"p_shared", "postgresql", PG_LABEL}, {"shared", "postgresql", PG_LABEL}},
         {NULL}},
        {"a bind directory PostgreSQL initialized, now MySQL's data directory",
         {"bind", NULL},
         {{"/p/pgdata", "postgresql", "its PG_VERSION file"}},
         {"service 'bind': directory '/p/pgdata' holds PostgreSQL's data (its PG_VERSION file), "
          "and 'bind' now mounts it at /var/lib/mysql for MySQL, which cannot start on it"}},
        {"a bind directory MySQL initialized, now PostgreSQL's",
         {"pgbind", NULL},
         {{"/srv/my", "mysql", "its mysql/ and InnoDB files"}},
         {"directory '/srv/my' holds MySQL's data (its mysql/ and InnoDB files)",
          "for PostgreSQL"}},
        {"a bind directory held by the same database: no conflict",
         {"bind", "pgbind", NULL},
         {{"/p/pgdata", "mysql", "its mysql/ and InnoDB files"},
          {"/srv/my", "postgresql", "its PG_VERSION file"}},
         {NULL}},
        {"a subpath of the volume: not its data directory, no conflict",
         {"sub", NULL},
         {{"p_sub", "postgresql", PG_LABEL}},
         {NULL}},
        {"an anonymous volume or a tmpfs: nothing held, no conflict",
         {"anon", "tmp", NULL},
         {{"p_db-data", "postgresql", PG_LABEL}},
         {NULL}},
        {"the first held entry that conflicts is named",
         {"db", NULL},
         {{"p_db-data", "mysql", MY_LABEL},
          {"p_db-data", "postgresql", "/var/lib/postgresql/data in container p-db-1"}},
         {"(/var/lib/postgresql/data in container p-db-1)"}},
};

static void test_conflict(void **state)
{
    struct compose_project *p = test_load_compose(project_yaml);

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(conflict_cases); i++) {
        const struct conflict_case *c = &conflict_cases[i];
        struct stack_data_held held[ARRAY_SIZE(c->held)];
        struct strvec services = STRVEC_INIT;
        struct ds_error err = DS_ERROR_INIT;
        size_t n_held = 0;
        int rc;

        for (size_t k = 0; c->services[k]; k++)
            strvec_push(&services, c->services[k]);
        for (; n_held < ARRAY_SIZE(c->held) && c->held[n_held].volume; n_held++)
            held[n_held] = (struct stack_data_held){
                    c->held[n_held].volume, c->held[n_held].database, (char *)c->held[n_held].how};
        rc = stack_data_volume_conflict(p, &services, held, n_held, &err);
        if (!c->message[0]) {
            if (rc != 0 || err.msg)
                fail_msg("%s: rc %d: %s", c->name, rc, err.msg ? err.msg : "");
        } else {
            if (rc != DS_ECONFLICT || err.code != DS_ECONFLICT || !err.msg)
                fail_msg("%s: rc %d, code %d, expected DS_ECONFLICT", c->name, rc, err.code);
            for (size_t k = 0; k < ARRAY_SIZE(c->message) && c->message[k]; k++)
                if (!strstr(err.msg, c->message[k]))
                    fail_msg("%s:\n  got      %s\n  expected \"%s\" in it", c->name, err.msg,
                             c->message[k]);
            if (!err.hint || !strstr(err.hint, "'devstack reset --no-snapshot'") ||
                !strstr(err.hint, "nothing was changed"))
                fail_msg("%s: hint \"%s\"", c->name, err.hint ? err.hint : "(none)");
        }
        ds_error_release(&err);
        strvec_clear(&services);
    }
    compose_project_free(p);
}

/* The hint names what to keep and what starting over gives, by the databases' names. */
static void test_hint(void **state)
{
    struct compose_project *p = test_load_compose(project_yaml);
    struct stack_data_held held = {"p_db-data", "postgresql", (char *)PG_LABEL};
    struct strvec services = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    strvec_push(&services, "db");
    assert_int_equal(stack_data_volume_conflict(p, &services, &held, 1, &err), DS_ECONFLICT);
    assert_non_null(err.hint);
    assert_non_null(strstr(err.hint, "To keep PostgreSQL, put the file back as it was"));
    assert_non_null(strstr(err.hint, "To start 'db' over, empty, on MySQL: 'devstack reset "
                                     "--no-snapshot' deletes the data"));
    assert_non_null(strstr(err.hint, "'devstack db snapshot'"));
    /* the message is one line, lowercase, without a full stop */
    assert_null(strchr(err.msg, '\n'));
    assert_true(err.msg[0] == 's' && err.msg[strlen(err.msg) - 1] != '.');
    ds_error_release(&err);
    strvec_clear(&services);
    compose_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_data_dir),
            cmocka_unit_test(test_volume_database),
            cmocka_unit_test(test_conflict),
            cmocka_unit_test(test_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
