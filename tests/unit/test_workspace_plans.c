/*
 * The plans of a workspace, before anything is touched: when a snapshot is
 * needed (clear, restore, reset), what a reset deletes and keeps, the
 * bootstrap's steps, when migrate refuses, what a generated revision does.
 */
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "lib/testlib.h"
#include "stack/clear.h"
#include "util/alloc.h"
#include "util/strvec.h"
#include "workspace/bootstrap.h"
#include "workspace/reset.h"
#include "workspace/snapshot.h"
#include "util/banned.h"

/* A workspace over the project a YAML text makes in /p; fails the test when it does not load. */
static void open_yaml(struct workspace *ws, const char *what, const char *yaml)
{
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;

    memset(ws, 0, sizeof(*ws));
    if (compose_load_text(&p, yaml, strlen(yaml), "/p/compose.yaml", &o, &err) < 0)
        fail_msg("%s: cannot load: %s", what, err.msg);
    ws->project = p;
    workspace_services(&ws->services, p);
}

static void close_yaml(struct workspace *ws)
{
    workspace_services_release(&ws->services);
    compose_project_free((struct compose_project *)ws->project);
}

/* ---- clear: when the database's data goes with the list ----------------------------- */

#define DB_ENV "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: r}\n"

static void test_clear_at_risk(void **state)
{
    static const struct {
        const char *what;
        const char *yaml;
        const char *containers; /* "service" of project p going, comma-separated; or "" */
        const char *volumes;    /* volume names going, comma-separated; or "" */
        bool at_risk;
    } cases[] = {
            {"no database service", "services:\n  web:\n    image: nginx\n", "web", "", false},
            {"its named volume goes",
             "services:\n  db:\n    image: mysql\n" DB_ENV "    volumes: [data:/var/lib/mysql]\n"
             "volumes:\n  data:\n",
             "", "p_data", true},
            {"its named volume stays (another project's list)",
             "services:\n  db:\n    image: mysql\n" DB_ENV "    volumes: [data:/var/lib/mysql]\n"
             "volumes:\n  data:\n",
             "db", "", false},
            {"a volume with name: goes",
             "services:\n  db:\n    image: mysql\n" DB_ENV "    volumes: [data:/var/lib/mysql]\n"
             "volumes:\n  data:\n    name: shared-mysql\n",
             "", "shared-mysql", true},
            {"no mount: the image's anonymous volume goes with the container",
             "services:\n  db:\n    image: mysql\n" DB_ENV, "db", "", true},
            {"no mount and the container stays", "services:\n  db:\n    image: mysql\n" DB_ENV,
             "web", "", false},
            {"an explicit anonymous volume goes with the container",
             "services:\n  db:\n    image: mysql\n" DB_ENV
             "    volumes: ['./init:/docker-entrypoint-initdb.d', /var/lib/mysql]\n",
             "db", "", true},
            {"a bind mount keeps the data",
             "services:\n  db:\n    image: mysql\n" DB_ENV
             "    volumes: ['./mysql:/var/lib/mysql']\n",
             "db", "", false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct workspace ws;
        const struct compose_project *p;
        struct stack_clear_list l = {0};
        struct strvec names = STRVEC_INIT;
        const struct compose_service *db;

        open_yaml(&ws, cases[i].what, cases[i].yaml);
        p = ws.project;
        strvec_split(&names, cases[i].containers, ',');
        for (size_t k = 0; k < names.n; k++) {
            struct stack_clear_item *it;

            if (!*names.v[k])
                continue;
            it = stack_clear_add(&l, CLEAR_CONTAINER, names.v[k], names.v[k], -1);
            it->project = xstrdup(p->name);
            it->service = xstrdup(names.v[k]);
        }
        strvec_clear(&names);
        strvec_split(&names, cases[i].volumes, ',');
        for (size_t k = 0; k < names.n; k++)
            if (*names.v[k])
                stack_clear_add(&l, CLEAR_VOLUME, names.v[k], NULL, -1);
        strvec_clear(&names);
        db = workspace_clear_at_risk(&ws, &l);
        if ((db != NULL) != cases[i].at_risk)
            fail_msg("%s: got %s, want %s", cases[i].what, db ? db->name : "none",
                     cases[i].at_risk ? "at risk" : "none");
        stack_clear_list_release(&l);
        close_yaml(&ws);
    }
}

/* ---- restore: what it replaces, and when a snapshot is kept first ------------------- */

static void test_restore_plan(void **state)
{
    static const struct {
        const char *what;
        const char *path;
        struct db_census census;
        bool no_snapshot;
        const char *source;
        bool from_stdin, replaces, snapshot;
    } cases[] = {
            {"an empty database: loaded into, nothing to keep",
             "d.sql",
             {0},
             false,
             "d.sql",
             false,
             false,
             false},
            {"tables: dropped, a snapshot first",
             "d.sql.gz",
             {.tables = 3, .rows_estimate = 10},
             false,
             "d.sql.gz",
             false,
             true,
             true},
            {"only a view counts too", "d.sql", {.views = 1}, false, "d.sql", false, true, true},
            {"only a routine counts too",
             "d.sql",
             {.routines = 1},
             false,
             "d.sql",
             false,
             true,
             true},
            {"--no-snapshot: dropped without one",
             "d.sql",
             {.tables = 1},
             true,
             "d.sql",
             false,
             true,
             false},
            {"standard input", "-", {.tables = 1}, false, "standard input", true, true, true},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct workspace_restore_plan p;

        workspace_restore_plan(&p, cases[i].path, &cases[i].census, cases[i].no_snapshot);
        if (strcmp(p.source, cases[i].source) || p.from_stdin != cases[i].from_stdin ||
            p.replaces != cases[i].replaces || p.snapshot != cases[i].snapshot ||
            p.before.tables != cases[i].census.tables)
            fail_msg("%s: source '%s' stdin %d replaces %d snapshot %d", cases[i].what, p.source,
                     p.from_stdin, p.replaces, p.snapshot);
    }
}

/* ---- restore: the database and the revision files agree afterwards ------------------- */

static void test_restore_files(void **state)
{
    static const struct {
        const char *what;
        struct workspace_revision_files in;
        const char *bring_back; /* or NULL */
        bool refused;
    } cases[] = {
            {"the dump names no revision", {NULL, true, false, NULL}, NULL, false},
            {"the files here have it", {"abc", true, true, "/p/.devstack/reset-1"}, NULL, false},
            {"reset moved the files that have it: they come back",
             {"abc", true, false, "/p/.devstack/reset-1"},
             "/p/.devstack/reset-1",
             false},
            {"no alembic.ini now, the moved one has it",
             {"abc", false, false, "/p/.devstack/reset-1"},
             "/p/.devstack/reset-1",
             false},
            {"neither has it: refused", {"abc+def", true, false, NULL}, NULL, true},
            {"no Alembic here at all: nothing to disagree with",
             {"abc", false, false, NULL},
             NULL,
             false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        const char *back = "unset";
        int rc = workspace_restore_files(&cases[i].in, &back, &err);

        if ((rc < 0) != cases[i].refused)
            fail_msg("%s: rc %d (%s)", cases[i].what, rc, err.msg ? err.msg : "");
        if (!cases[i].refused && (back ? !cases[i].bring_back || strcmp(back, cases[i].bring_back)
                                       : cases[i].bring_back != NULL))
            fail_msg("%s: bring back '%s'", cases[i].what, back ? back : "(none)");
        if (cases[i].refused && (!strstr(err.msg, cases[i].in.revision) || !err.hint))
            fail_msg("%s: the refusal names no revision or has no hint: %s", cases[i].what,
                     err.msg);
        ds_error_release(&err);
    }
}

/* ---- reset: what it deletes and keeps ---------------------------------------------------- */

#define RESET_DB(volumes)                                                                          \
    "services:\n"                                                                                  \
    "  db:\n"                                                                                      \
    "    image: mysql:8.0\n"                                                                       \
    "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: r}\n"                             \
    "    ports: ['127.0.0.1:3306:3306']\n" volumes "  backend:\n"                                  \
    "    image: python\n"                                                                          \
    "    environment: {DATABASE_URL: 'mysql://root:r@db/app'}\n"

static void test_reset_plan(void **state)
{
    static const struct {
        const char *what;
        const char *yaml;
        struct workspace_reset_inputs in;
        bool has_ini;
        /* expected */
        int rc;
        bool snapshot;
        const char *volume, *bind_dir;
        bool move_alembic;
        const char *kept_why;
        const char *app;
    } cases[] = {
            {"the bundled stack: its named volume goes, the files move aside",
             RESET_DB("    volumes: ['db-data:/var/lib/mysql']\n") "volumes:\n  db-data: {}\n",
             {.ini_exists = true, .scripts_exist = true, .containers = 4, .aside = "/p/.ds/r"},
             true,
             0,
             true,
             "p_db-data",
             NULL,
             true,
             NULL,
             "backend"},
            {"a named volume with name: is deleted by that name",
             RESET_DB("    volumes: ['db-data:/var/lib/mysql/']\n") "volumes:\n  db-data: {name: "
                                                                    "shop-mysql}\n",
             {.ini_exists = true, .aside = "/p/.ds/r"},
             true,
             0,
             true,
             "shop-mysql",
             NULL,
             true,
             NULL,
             "backend"},
            {"a bind-mounted data directory is emptied",
             RESET_DB("    volumes: ['./mysql/data:/var/lib/mysql']\n"),
             {.aside = "/p/.ds/r",
              .bind_real = "/p/mysql/data",
              .project_dir = "/p",
              .snapshot_dir = "/p/.devstack/snapshots"},
             true,
             0,
             true,
             NULL,
             "/p/mysql/data",
             false,
             NULL,
             "backend"},
            {"no mount: the image's anonymous volume goes with the container",
             RESET_DB(""),
             {.no_snapshot = true, .aside = "/p/.ds/r"},
             true,
             0,
             false,
             NULL,
             NULL,
             false,
             NULL,
             "backend"},
            {"a volume on another path is not the data",
             RESET_DB("    volumes: ['conf:/etc/mysql/conf.d']\n") "volumes:\n  conf: {}\n",
             {.aside = "/p/.ds/r"},
             true,
             0,
             true,
             NULL,
             NULL,
             false,
             NULL,
             "backend"},
            {"git tracks the migrations: they stay, and why",
             RESET_DB("    volumes: ['db-data:/var/lib/mysql']\n") "volumes:\n  db-data: {}\n",
             {.ini_exists = true, .scripts_exist = true, .git_tracks = true, .aside = "/p/.ds/r"},
             true,
             0,
             true,
             "p_db-data",
             NULL,
             false,
             "git tracks them",
             "backend"},
            {"keep_data: the same plan, the data stays",
             RESET_DB("    volumes: ['db-data:/var/lib/mysql']\n") "volumes:\n  db-data: {}\n",
             {.ini_exists = true, .keep_data = true, .aside = "/p/.ds/r"},
             true,
             0,
             true,
             "p_db-data",
             NULL,
             true,
             NULL,
             "backend"},
            {"no database service: nothing to reset",
             "services:\n  web: {image: nginx}\n",
             {.aside = "/p/.ds/r"},
             true,
             DS_ENOTFOUND,
             false,
             NULL,
             NULL,
             false,
             NULL,
             NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct workspace ws;
        struct workspace_reset_plan plan;
        struct ds_error err = DS_ERROR_INIT;
        int rc;

        open_yaml(&ws, cases[i].what, cases[i].yaml);
        ws.ini_path = cases[i].has_ini ? (char *)"/p/app/alembic.ini" : NULL;
        rc = workspace_reset_plan(&plan, &ws, &cases[i].in, &err);
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", cases[i].what, rc, cases[i].rc,
                     err.msg ? err.msg : "");
        if (rc < 0) {
            if (!err.msg || !strstr(err.msg, "has no database service") || !err.hint)
                fail_msg("%s: error '%s'", cases[i].what, err.msg ? err.msg : "");
        } else {
            if (plan.snapshot != cases[i].snapshot || plan.keep_data != cases[i].in.keep_data ||
                plan.containers != cases[i].in.containers)
                fail_msg("%s: snapshot %d keep_data %d containers %zu", cases[i].what,
                         plan.snapshot, plan.keep_data, plan.containers);
            if (cases[i].volume ? !plan.volume || strcmp(plan.volume, cases[i].volume)
                                : plan.volume != NULL)
                fail_msg("%s: volume %s, want %s", cases[i].what,
                         plan.volume ? plan.volume : "none",
                         cases[i].volume ? cases[i].volume : "none");
            if (cases[i].bind_dir ? !plan.bind_dir || strcmp(plan.bind_dir, cases[i].bind_dir)
                                  : plan.bind_dir != NULL)
                fail_msg("%s: bind dir %s, want %s", cases[i].what,
                         plan.bind_dir ? plan.bind_dir : "none",
                         cases[i].bind_dir ? cases[i].bind_dir : "none");
            if (plan.move_alembic != cases[i].move_alembic ||
                (cases[i].kept_why ? !plan.kept_why || !strstr(plan.kept_why, cases[i].kept_why)
                                   : plan.kept_why != NULL))
                fail_msg("%s: move %d, kept because %s", cases[i].what, plan.move_alembic,
                         plan.kept_why ? plan.kept_why : "-");
            if (strcmp(plan.ini, "/p/app/alembic.ini") ||
                strcmp(plan.scripts, "/p/app/migrations") || strcmp(plan.aside, "/p/.ds/r") ||
                !plan.db || strcmp(plan.db->name, "db") || !plan.app ||
                strcmp(plan.app->name, cases[i].app))
                fail_msg("%s: ini %s scripts %s aside %s", cases[i].what, plan.ini, plan.scripts,
                         plan.aside);
        }
        workspace_reset_plan_release(&plan);
        ds_error_release(&err);
        close_yaml(&ws);
    }
}

/* ---- reset: data that is not the project's to delete ------------------------------------- */

#define BIND_DB RESET_DB("    volumes: ['${DATA:-./mysql/data}:/var/lib/mysql']\n")
#define VOL_DB(decl)                                                                               \
    RESET_DB("    volumes: ['db-data:/var/lib/mysql']\n") "volumes:\n  db-data: " decl "\n"

static void test_reset_refusals(void **state)
{
    static const struct {
        const char *what;
        const char *yaml;
        struct workspace_reset_inputs in;
        const char *refused; /* in the message; NULL: allowed */
    } cases[] = {
            {"an external volume",
             VOL_DB("{external: true, name: team-shared-data}"),
             {0},
             "volume 'team-shared-data' is external"},
            {"an external volume with --keep-data: nothing is deleted",
             VOL_DB("{external: true, name: team-shared-data}"),
             {.keep_data = true},
             NULL},
            {"a volume another project made",
             VOL_DB("{name: shared}"),
             {.volume_exists = true, .volume_project = "other", .volume_key = "db-data"},
             "volume 'shared' was made by project 'other'"},
            {"a volume no compose project made",
             VOL_DB("{name: handmade}"),
             {.volume_exists = true},
             "volume 'handmade' was made by something else"},
            {"the project's other volume under this name",
             VOL_DB("{name: x}"),
             {.volume_exists = true, .volume_project = "p", .volume_key = "logs"},
             "is the project's volume 'logs'"},
            {"the project's own volume",
             VOL_DB("{}"),
             {.volume_exists = true, .volume_project = "p", .volume_key = "db-data"},
             NULL},
            {"a volume not made yet", VOL_DB("{}"), {.volume_exists = false}, NULL},
            {"DATA=.. : the repository root",
             BIND_DB,
             {.bind_real = "/src/repo",
              .project_dir = "/src/repo/compose",
              .git_top = "/src/repo",
              .snapshot_dir = "/src/repo/compose/.devstack/snapshots"},
             "not a directory inside the project"},
            {"the project directory itself",
             BIND_DB,
             {.bind_real = "/p", .project_dir = "/p", .snapshot_dir = "/p/.devstack/snapshots"},
             "not a directory inside the project"},
            {"the compose directory inside the git work tree",
             BIND_DB,
             {.bind_real = "/src/repo/compose",
              .project_dir = "/src/repo/compose",
              .git_top = "/src/repo",
              .snapshot_dir = "/src/repo/.devstack/snapshots"},
             "holds the project's compose files"},
            {"/", BIND_DB, {.bind_real = "/", .project_dir = "/p"}, "not a directory inside"},
            {"the home directory above the project",
             BIND_DB,
             {.bind_real = "/home/u", .project_dir = "/home/u/p", .git_top = "/home/u/p"},
             "not a directory inside"},
            {"a sibling with a shared prefix",
             BIND_DB,
             {.bind_real = "/p2/data", .project_dir = "/p"},
             "not a directory inside"},
            {"a directory holding a .git",
             BIND_DB,
             {.bind_real = "/p/vendor/lib", .bind_holds_git = true, .project_dir = "/p"},
             "holds a git repository"},
            {"an ancestor of the snapshots",
             BIND_DB,
             {.bind_real = "/p/compose",
              .project_dir = "/p",
              .git_top = "/p",
              .snapshot_dir = "/p/compose/.devstack/snapshots"},
             "holds the database snapshots"},
            {"inside the git work tree, outside the compose directory",
             BIND_DB,
             {.bind_real = "/src/repo/mysql/data",
              .project_dir = "/src/repo/compose",
              .git_top = "/src/repo",
              .snapshot_dir = "/src/repo/compose/.devstack/snapshots"},
             NULL},
            {"--keep-data deletes nothing: any directory will do",
             BIND_DB,
             {.keep_data = true, .bind_real = "/", .project_dir = "/p"},
             NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct workspace ws;
        struct workspace_reset_plan plan;
        struct ds_error err = DS_ERROR_INIT;
        int rc;

        open_yaml(&ws, cases[i].what, cases[i].yaml);
        rc = workspace_reset_plan(&plan, &ws, &cases[i].in, &err);
        if (cases[i].refused) {
            if (rc != DS_EPERM || !strstr(err.msg, cases[i].refused) || !err.hint)
                fail_msg("%s: rc %d, '%s', want a refusal with '%s' and a hint", cases[i].what, rc,
                         err.msg ? err.msg : "", cases[i].refused);
        } else if (rc != 0) {
            fail_msg("%s: refused: %s", cases[i].what, err.msg);
        }
        workspace_reset_plan_release(&plan);
        ds_error_release(&err);
        close_yaml(&ws);
    }
}

/* ---- which database reset and clear act on --------------------------------------------------- */

static void test_stack_db(void **state)
{
    static const struct {
        const char *what;
        enum workspace_url_source source;
        const char *env_host;
        unsigned env_port;
        const char *env_db;
        bool service_url, other_ok;
        enum workspace_stack_db want;
    } cases[] = {
            {"the service's URL", WORKSPACE_URL_SERVICE, "127.0.0.1", 3306, "app", true, false,
             WORKSPACE_STACK_DB_CHOSEN},
            {"DATABASE_URL names the same server", WORKSPACE_URL_ENV, "127.0.0.1", 3306, "app",
             true, false, WORKSPACE_STACK_DB_CHOSEN},
            {"... as localhost", WORKSPACE_URL_ENV, "localhost", 3306, "app", true, false,
             WORKSPACE_STACK_DB_CHOSEN},
            {"DATABASE_URL names another host", WORKSPACE_URL_ENV, "db.example.com", 3306, "app",
             true, false, WORKSPACE_STACK_DB_REFUSED},
            {"... another port", WORKSPACE_URL_ENV, "127.0.0.1", 3307, "app", true, false,
             WORKSPACE_STACK_DB_REFUSED},
            {"... another database", WORKSPACE_URL_ENV, "127.0.0.1", 3306, "prod", true, false,
             WORKSPACE_STACK_DB_REFUSED},
            {"... and the user chose the stack's", WORKSPACE_URL_ENV, "db.example.com", 3306, "app",
             true, true, WORKSPACE_STACK_DB_SERVICE},
            {"the stack's database publishes no port", WORKSPACE_URL_ENV, "127.0.0.1", 3306, "app",
             false, false, WORKSPACE_STACK_DB_REFUSED},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct compose_service db = {.name = (char *)"db"};
        struct workspace_services svc = {.db = &db, .have_url = cases[i].service_url};
        struct workspace_url chosen = {.source = cases[i].source};
        enum workspace_stack_db got;

        svc.url.host = (char *)"127.0.0.1";
        svc.url.port = 3306;
        svc.url.database = (char *)"app";
        chosen.url.host = (char *)cases[i].env_host;
        chosen.url.port = cases[i].env_port;
        chosen.url.database = (char *)cases[i].env_db;
        got = workspace_stack_db(&chosen, &svc, cases[i].other_ok);
        if (got != cases[i].want)
            fail_msg("%s: %d, want %d", cases[i].what, got, cases[i].want);
    }
    assert_int_equal(
            workspace_stack_db(&(struct workspace_url){.source = WORKSPACE_URL_ENV}, NULL, false),
            WORKSPACE_STACK_DB_CHOSEN);
}

/* ---- bootstrap and migrate ---------------------------------------------------------------- */

static void steps_text(struct buf *out, const int *steps, size_t n, const char *const *names)
{
    for (size_t i = 0; i < n; i++)
        buf_addf(out, "%s%s", i ? " " : "", names[steps[i]]);
}

static void test_setup_plan(void **state)
{
    static const char *const names[] = {
            [WORKSPACE_INIT] = "init",           [WORKSPACE_INIT_ASIDE] = "init-aside",
            [WORKSPACE_INI_SETTINGS] = "ini",    [WORKSPACE_ENV_TEMPLATE] = "template",
            [WORKSPACE_ENV_PATCH] = "patch-env", [WORKSPACE_VERSIONS] = "versions",
    };
    static const struct {
        struct workspace_setup_state st;
        const char *want;
    } cases[] = {
            {{.have_template = true}, "init ini template"},
            {{.have_template = false}, "init ini patch-env"},
            {{.ini_exists = true, .have_template = true}, "init template"},
            {{.scripts_exist = true, .versions_exist = true}, "init-aside ini"},
            {{.scripts_exist = true}, "init-aside ini versions"},
            {{.ini_exists = true, .scripts_exist = true}, "versions"},
            {{.ini_exists = true, .scripts_exist = true, .versions_exist = true}, ""},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        enum workspace_setup_step steps[WORKSPACE_SETUP_MAX];
        int as_int[WORKSPACE_SETUP_MAX];
        struct buf got = BUF_INIT;
        size_t n = workspace_setup_plan(&cases[i].st, steps);

        for (size_t k = 0; k < n; k++)
            as_int[k] = (int)steps[k];
        steps_text(&got, as_int, n, names);
        if (strcmp(got.buf, cases[i].want))
            fail_msg("case %zu: '%s', want '%s'", i, got.buf, cases[i].want);
        buf_release(&got);
    }
}

static void test_bootstrap_plan(void **state)
{
    static const char *const names[] = {
            [WORKSPACE_GENERATE] = "generate",
            [WORKSPACE_GENERATE_EMPTY] = "generate-empty",
            [WORKSPACE_STAMP] = "stamp",
            [WORKSPACE_UPGRADE] = "upgrade",
    };
    static const struct {
        const char *what;
        struct workspace_db_state st;
        const char *want; /* the steps, or part of the error */
        int rc;
    } cases[] = {
            {"a fresh project: the first revision from the models, then upgrade",
             {.env_has_metadata = true, .at_heads = true},
             "generate upgrade",
             0},
            {"no target_metadata: an empty first revision",
             {.env_has_metadata = false, .at_heads = true},
             "generate-empty upgrade",
             0},
            {"--adopt: generated as if empty, then stamped",
             {.env_has_metadata = true, .adopt = true, .user_tables = 4, .at_heads = true},
             "generate stamp",
             0},
            {"at head: nothing to do",
             {.revisions = 3, .heads = 1, .head = "c", .versions = 1, .at_heads = true},
             "",
             0},
            {"behind: upgrade",
             {.revisions = 3, .heads = 1, .head = "c", .versions = 1},
             "upgrade",
             0},
            {"never upgraded: upgrade", {.revisions = 3, .heads = 1, .head = "c"}, "upgrade", 0},
            {"--adopt with revisions and no version: stamp",
             {.revisions = 2, .heads = 1, .adopt = true},
             "stamp",
             0},
            {"--adopt over a stamped database: upgrade",
             {.revisions = 2, .heads = 1, .versions = 1, .adopt = true},
             "upgrade",
             0},
            {"a version no file has",
             {.revisions = 2, .heads = 1, .versions = 1, .unknown = "f00"},
             "the database is at 'f00', which no revision file has",
             DS_ENOTFOUND},
            {"tables but no version: upgrade would fail",
             {.revisions = 2, .heads = 1, .user_tables = 3},
             "the database has 3 tables but no revision applied",
             DS_ECONFLICT},
            {"several heads",
             {.revisions = 4, .heads = 2, .versions = 1},
             "the scripts have 2 heads",
             DS_ECONFLICT},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        enum workspace_db_step steps[WORKSPACE_DB_STEPS_MAX];
        int as_int[WORKSPACE_DB_STEPS_MAX];
        struct ds_error err = DS_ERROR_INIT;
        struct buf got = BUF_INIT;
        size_t n = 99;
        int rc = workspace_bootstrap_plan(&cases[i].st, steps, &n, &err);

        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d", cases[i].what, rc, cases[i].rc);
        if (rc < 0) {
            if (!err.msg || !strstr(err.msg, cases[i].want) || !err.hint)
                fail_msg("%s: error '%s' lacks '%s' or a hint", cases[i].what,
                         err.msg ? err.msg : "", cases[i].want);
        } else {
            for (size_t k = 0; k < n; k++)
                as_int[k] = (int)steps[k];
            steps_text(&got, as_int, n, names);
            if (strcmp(got.buf, cases[i].want))
                fail_msg("%s: '%s', want '%s'", cases[i].what, got.buf, cases[i].want);
        }
        buf_release(&got);
        ds_error_release(&err);
    }
}

static void test_migrate_check(void **state)
{
    static const struct {
        const char *what;
        struct workspace_db_state st;
        const char *err; /* NULL: may generate */
        int rc;
    } cases[] = {
            {"at head with a target",
             {.revisions = 2,
              .heads = 1,
              .versions = 1,
              .at_heads = true,
              .env_has_metadata = true},
             NULL,
             0},
            {"an empty history with a target: the first revision",
             {.at_heads = true, .env_has_metadata = true},
             NULL,
             0},
            {"behind",
             {.revisions = 2, .heads = 1, .head = "b2", .versions = 1, .env_has_metadata = true},
             "the database is not at head b2",
             DS_ECONFLICT},
            {"several heads",
             {.revisions = 3,
              .heads = 2,
              .versions = 2,
              .at_heads = true,
              .env_has_metadata = true},
             "the scripts have 2 heads",
             DS_ECONFLICT},
            {"a version no file has",
             {.revisions = 1, .heads = 1, .versions = 1, .unknown = "x1"},
             "the database is at 'x1'",
             DS_ENOTFOUND},
            {"no target_metadata",
             {.revisions = 1, .heads = 1, .versions = 1, .at_heads = true},
             "'/p/migrations/env.py' sets no target_metadata",
             DS_EINVAL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        int rc = workspace_migrate_check(&cases[i].st, "/p/migrations/env.py", &err);

        if (rc != cases[i].rc || (cases[i].err && (!err.msg || !strstr(err.msg, cases[i].err))))
            fail_msg("%s: rc %d '%s'", cases[i].what, rc, err.msg ? err.msg : "");
        if (rc < 0 && !err.hint)
            fail_msg("%s: no hint", cases[i].what);
        ds_error_release(&err);
    }
}

/* ---- a generated revision's operations --------------------------------------------------- */

static void test_revision_ops(void **state)
{
    static const struct {
        const char *what;
        const char *text;
        size_t ops, drops;
        const char *lines; /* "!" before a drop, "|" between lines */
    } cases[] = {
            {"an empty revision",
             "def upgrade() -> None:\n    # ### commands auto generated by Alembic ###\n    pass\n"
             "    # ### end Alembic commands ###\n\n\ndef downgrade() -> None:\n    pass\n",
             0, 0, ""},
            {"a table created, a column dropped",
             "\"\"\"notes\"\"\"\nfrom alembic import op\n\n\ndef upgrade() -> None:\n"
             "    op.create_table('note',\n        sa.Column('id', sa.Integer()),\n"
             "    )\n    op.drop_column('user', 'age')\n\n\ndef downgrade() -> None:\n"
             "    op.drop_table('note')\n",
             2, 1,
             "op.create_table('note',|    sa.Column('id', sa.Integer()),|)|!op.drop_column('user', "
             "'age')"},
            {"no downgrade: to the end of the file",
             "def upgrade():\n    op.drop_index('ix')\n    op.drop_table('t')\n", 2, 2,
             "!op.drop_index('ix')|!op.drop_table('t')"},
            {"no upgrade at all", "print('hello')\n", 0, 0, ""},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct workspace_ops ops;
        struct buf got = BUF_INIT;

        workspace_revision_ops(cases[i].text, &ops);
        for (size_t k = 0; k < ops.n; k++)
            buf_addf(&got, "%s%s%s", k ? "|" : "", ops.items[k].drop ? "!" : "", ops.items[k].text);
        if (ops.ops != cases[i].ops || ops.drops != cases[i].drops ||
            strcmp(got.buf, cases[i].lines))
            fail_msg("%s: %zu ops, %zu drops: '%s'", cases[i].what, ops.ops, ops.drops, got.buf);
        buf_release(&got);
        workspace_ops_release(&ops);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_clear_at_risk), cmocka_unit_test(test_restore_plan),
            cmocka_unit_test(test_restore_files), cmocka_unit_test(test_reset_refusals),
            cmocka_unit_test(test_stack_db),      cmocka_unit_test(test_reset_plan),
            cmocka_unit_test(test_setup_plan),    cmocka_unit_test(test_bootstrap_plan),
            cmocka_unit_test(test_migrate_check), cmocka_unit_test(test_revision_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
