/*
 * A workspace's project: where its database and Alembic service are (seen
 * from the host), which database URL a command uses and why, where Alembic
 * runs, and the database's own client.
 */
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "lib/testlib.h"
#include "workspace/workspace.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/banned.h"

/* The project a YAML text makes in /p; fails the test when it does not load. */
static struct compose_project *load(const char *what, const char *yaml)
{
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;

    if (compose_load_text(&p, yaml, strlen(yaml), "/p/compose.yaml", &o, &err) < 0)
        fail_msg("%s: cannot load: %s", what, err.msg);
    return p;
}

static void test_services(void **state)
{
    static const struct {
        const char *what;
        const char *yaml;
        const char *db;     /* the database service, or NULL */
        const char *url;    /* rendered with the password, or NULL */
        const char *no_url; /* part of why there is none */
        const char *app;    /* the Alembic service, or NULL */
        const char *app_dir;
        enum db_engine engine; /* the server the database service runs */
    } cases[] = {
            {"the bundled stack's shape",
             "services:\n"
             "  db:\n"
             "    image: mysql:8.0\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_USER: app, MYSQL_PASSWORD: pw, "
             "MYSQL_ROOT_PASSWORD: root}\n"
             "    ports: ['127.0.0.1:3307:3306']\n"
             "  backend:\n"
             "    image: python\n"
             "    environment: {DATABASE_URL: 'mysql+pymysql://app:pw@db:3306/app'}\n"
             "    volumes: ['..:/workspace']\n"
             "    working_dir: /workspace/devcontainer\n",
             "db", "mysql+pymysql://app:pw@127.0.0.1:3307/app", NULL, "backend", "/devcontainer"},
            {"MariaDB's variables, published on every interface, found by env not name",
             "services:\n"
             "  database:\n"
             "    image: mariadb\n"
             "    environment: {MARIADB_DATABASE: shop, MARIADB_ROOT_PASSWORD: r}\n"
             "    ports: ['3306:3306']\n",
             "database", "mysql+pymysql://root:r@127.0.0.1:3306/shop", NULL, NULL, NULL},
            {"MYSQL_* wins over MARIADB_*",
             "services:\n"
             "  db:\n"
             "    image: mariadb\n"
             "    environment: {MYSQL_DATABASE: a, MARIADB_DATABASE: b, MYSQL_USER: u, "
             "MYSQL_PASSWORD: p}\n"
             "    ports: ['127.0.0.2:4000:3306']\n",
             "db", "mysql+pymysql://u:p@127.0.0.2:4000/a", NULL, NULL, NULL},
            {"not published",
             "services:\n"
             "  db:\n"
             "    image: mysql\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: r}\n",
             "db", NULL, "does not publish port 3306", NULL, NULL},
            {"an ephemeral port",
             "services:\n"
             "  db:\n"
             "    image: mysql\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: r}\n"
             "    ports: ['3306']\n",
             "db", NULL, "not one fixed port", NULL, NULL},
            {"no database service at all",
             "services:\n"
             "  web:\n"
             "    image: nginx\n",
             NULL, NULL, NULL, NULL, NULL},
            {"the app mounted at / of the container, working_dir deeper",
             "services:\n"
             "  api:\n"
             "    image: python\n"
             "    environment: [DATABASE_URL=mysql://x@db/y]\n"
             "    volumes: ['./src:/']\n"
             "    working_dir: /app\n",
             NULL, NULL, NULL, "api", "/p/src/app"},
            {"the deepest mount holding working_dir wins; a prefix that is not a folder does not",
             "services:\n"
             "  backend:\n"
             "    image: python\n"
             "    environment: {DATABASE_URL: 'mysql://x@db/y'}\n"
             "    volumes: ['.:/work', './app:/work/app', './other:/work/ap']\n"
             "    working_dir: /work/app/sub\n",
             NULL, NULL, NULL, "backend", "/p/app/sub"},
            {"working_dir outside every bind mount: no host directory",
             "services:\n"
             "  backend:\n"
             "    image: python\n"
             "    environment: {DATABASE_URL: 'mysql://x@db/y'}\n"
             "    volumes: ['data:/data']\n"
             "    working_dir: /srv\n"
             "volumes:\n"
             "  data: {}\n",
             NULL, NULL, NULL, "backend", NULL},
            {"PostgreSQL: the official image's variables",
             "services:\n"
             "  db:\n"
             "    image: postgres:15\n"
             "    environment: {POSTGRES_DB: app, POSTGRES_USER: app, POSTGRES_PASSWORD: pw}\n"
             "    ports: ['127.0.0.1:5433:5432']\n",
             "db", "postgresql+psycopg2://app:pw@127.0.0.1:5433/app", NULL, NULL, NULL,
             DB_POSTGRES},
            {"PostgreSQL: the Alembic guide's file (a config file, data bind-mounted)",
             "services:\n"
             "  db:\n"
             "    image: postgres:14\n"
             "    command: -c 'config_file=/etc/postgresql/postgresql.conf'\n"
             "    volumes:\n"
             "      - ./postgresql/db:/var/lib/postgresql/data\n"
             "      - ./postgresql/postgresql.conf:/etc/postgresql/postgresql.conf\n"
             "    environment:\n"
             "      - POSTGRES_USER=postgres\n"
             "      - POSTGRES_PASSWORD=1234\n"
             "      - POSTGRES_DB=postgres_db\n"
             "    ports:\n"
             "      - 5432:5432\n",
             "db", "postgresql+psycopg2://postgres:1234@127.0.0.1:5432/postgres_db", NULL, NULL,
             NULL, DB_POSTGRES},
            {"PostgreSQL on another port in its container: the port published from it",
             "services:\n"
             "  db:\n"
             "    image: postgres:15\n"
             "    command: postgres -c port=5433\n"
             "    environment: {POSTGRES_DB: app, POSTGRES_USER: app, POSTGRES_PASSWORD: pw}\n"
             "    ports: ['127.0.0.1:15432:5432', '127.0.0.1:15433:5433']\n",
             "db", "postgresql+psycopg2://app:pw@127.0.0.1:15433/app", NULL, NULL, NULL,
             DB_POSTGRES},
            {"MySQL on another port in its container, not published",
             "services:\n"
             "  db:\n"
             "    image: mysql:8.0\n"
             "    command: --port=3307\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: r}\n"
             "    ports: ['3306:3306']\n",
             "db", NULL, "does not publish port 3307", NULL, NULL},
            {"PostgreSQL: only a password, so the image's user and database, postgres",
             "services:\n"
             "  store:\n"
             "    image: registry.local/pg\n"
             "    environment: {POSTGRES_PASSWORD: s3cret}\n"
             "    ports: ['5432:5432']\n",
             "store", "postgresql+psycopg2://postgres:s3cret@127.0.0.1:5432/postgres", NULL, NULL,
             NULL, DB_POSTGRES},
            {"PostgreSQL: the database defaults to the user's name",
             "services:\n"
             "  db:\n"
             "    image: postgres\n"
             "    environment: [POSTGRES_USER=alembic, POSTGRES_PASSWORD=x]\n"
             "    ports: ['[::1]:6000:5432']\n",
             "db", "postgresql+psycopg2://alembic:x@[::1]:6000/alembic", NULL, NULL, NULL,
             DB_POSTGRES},
            {"PostgreSQL: a postgres image without variables (trust), no password",
             "services:\n"
             "  pg:\n"
             "    image: docker.io/library/postgres:16-alpine\n"
             "    environment: {POSTGRES_HOST_AUTH_METHOD: trust}\n"
             "    ports: ['0.0.0.0:5432:5432']\n",
             "pg", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", NULL, NULL, NULL,
             DB_POSTGRES},
            {"PostgreSQL: an image named after it by a registry with a port, and postgis",
             "services:\n"
             "  gis:\n"
             "    image: localhost:5000/postgis/postgis:15-3.4\n"
             "    ports: ['127.0.0.1:5432:5432']\n",
             "gis", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", NULL, NULL, NULL,
             DB_POSTGRES},
            {"an image whose name only starts like postgres is no database",
             "services:\n"
             "  tools:\n"
             "    image: bitnami/postgresql:15\n"
             "  client:\n"
             "    image: mypostgres\n",
             NULL, NULL, NULL, NULL, NULL},
            {"PostgreSQL: not published",
             "services:\n"
             "  db:\n"
             "    image: postgres\n"
             "    environment: {POSTGRES_PASSWORD: x}\n"
             "    ports: ['127.0.0.1:3306:3306']\n",
             "db", NULL, "service 'db' does not publish port 5432 to the host", NULL, NULL,
             DB_POSTGRES},
            {"PostgreSQL: an ephemeral port",
             "services:\n"
             "  db:\n"
             "    image: postgres\n"
             "    environment: {POSTGRES_PASSWORD: x}\n"
             "    ports: ['127.0.0.1::5432']\n",
             "db", NULL, "publishes port 5432 on an ephemeral port, not one fixed port", NULL, NULL,
             DB_POSTGRES},
            {"both kinds of variables in a postgres image: PostgreSQL",
             "services:\n"
             "  db:\n"
             "    image: postgres:14\n"
             "    environment: {MYSQL_DATABASE: legacy, MYSQL_ROOT_PASSWORD: r, POSTGRES_DB: app, "
             "POSTGRES_PASSWORD: pw}\n"
             "    ports: ['5432:5432', '3306:3306']\n",
             "db", "postgresql+psycopg2://postgres:pw@127.0.0.1:5432/app", NULL, NULL, NULL,
             DB_POSTGRES},
            {"both kinds of variables in a mysql image: MySQL, as before",
             "services:\n"
             "  db:\n"
             "    image: mysql:8.0\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: r, POSTGRES_PASSWORD: "
             "pw}\n"
             "    ports: ['3306:3306']\n",
             "db", "mysql+pymysql://root:r@127.0.0.1:3306/app", NULL, NULL, NULL, DB_MYSQL},
            {"both kinds in an unknown image: the published port decides",
             "services:\n"
             "  db:\n"
             "    image: registry.local/db\n"
             "    environment: {MYSQL_DATABASE: a, MYSQL_ROOT_PASSWORD: r, POSTGRES_DB: b, "
             "POSTGRES_PASSWORD: pw}\n"
             "    ports: ['5432:5432']\n",
             "db", "postgresql+psycopg2://postgres:pw@127.0.0.1:5432/b", NULL, NULL, NULL,
             DB_POSTGRES},
            {"both kinds in an unknown image publishing both ports: MySQL, as before",
             "services:\n"
             "  db:\n"
             "    image: registry.local/db\n"
             "    environment: {MYSQL_DATABASE: a, MYSQL_ROOT_PASSWORD: r, POSTGRES_PASSWORD: pw}\n"
             "    ports: ['5432:5432', '3306:3306']\n",
             "db", "mysql+pymysql://root:r@127.0.0.1:3306/a", NULL, NULL, NULL, DB_MYSQL},
            {"an app reading POSTGRES_* before the postgres image: the image wins",
             "services:\n"
             "  api:\n"
             "    image: python\n"
             "    environment: {POSTGRES_PASSWORD: pw, POSTGRES_DB: app}\n"
             "  database:\n"
             "    image: postgres\n"
             "    environment: {POSTGRES_PASSWORD: pw, POSTGRES_DB: app}\n"
             "    ports: ['5432:5432']\n",
             "database", "postgresql+psycopg2://postgres:pw@127.0.0.1:5432/app", NULL, NULL, NULL,
             DB_POSTGRES},
            {"POSTGRES_* on the app (DATABASE_URL) and a custom image: not the app",
             "services:\n"
             "  api:\n"
             "    image: python\n"
             "    environment: {POSTGRES_PASSWORD: pw, DATABASE_URL: 'postgresql://x@y/z'}\n"
             "  pg:\n"
             "    image: registry.local/pg\n"
             "    environment: {POSTGRES_PASSWORD: pw}\n"
             "    ports: ['5432:5432']\n",
             "pg", "postgresql+psycopg2://postgres:pw@127.0.0.1:5432/postgres", NULL, "api", NULL,
             DB_POSTGRES},
            {"only an app with POSTGRES_* and DATABASE_URL: no database service",
             "services:\n"
             "  api:\n"
             "    image: python\n"
             "    environment: {POSTGRES_PASSWORD: pw, DATABASE_URL: 'postgresql://x@y/z'}\n",
             NULL, NULL, NULL, "api", NULL},
            {"a PostgreSQL service named db wins over a MySQL one before it",
             "services:\n"
             "  mysql:\n"
             "    image: mysql\n"
             "    environment: {MYSQL_DATABASE: a, MYSQL_ROOT_PASSWORD: r}\n"
             "    ports: ['3306:3306']\n"
             "  db:\n"
             "    image: postgres\n"
             "    environment: {POSTGRES_PASSWORD: pw}\n"
             "    ports: ['5432:5432']\n",
             "db", "postgresql+psycopg2://postgres:pw@127.0.0.1:5432/postgres", NULL, NULL, NULL,
             DB_POSTGRES},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *env[] = {NULL};
        struct compose_options o = {.environ = env, .project_directory = "/p"};
        struct compose_project *p = NULL;
        struct ds_error err = DS_ERROR_INIT;
        struct workspace_services info;
        struct buf url = BUF_INIT;
        const char *yaml = cases[i].yaml;

        if (compose_load_text(&p, yaml, strlen(yaml), "/p/compose.yaml", &o, &err) < 0)
            fail_msg("%s: cannot load: %s", cases[i].what, err.msg);
        workspace_services(&info, p);
        if (info.have_url)
            db_url_render(&url, &info.url, false);

        if (cases[i].db) {
            if (!info.db || strcmp(info.db->name, cases[i].db) != 0)
                fail_msg("%s: db service %s, want %s", cases[i].what,
                         info.db ? info.db->name : "(none)", cases[i].db);
        } else if (info.db) {
            fail_msg("%s: db service %s, want none", cases[i].what, info.db->name);
        }
        if (info.db && info.engine != cases[i].engine)
            fail_msg("%s: engine %d, want %d", cases[i].what, info.engine, cases[i].engine);
        if (info.have_url && info.url.engine != cases[i].engine)
            fail_msg("%s: the URL's engine %d, want %d", cases[i].what, info.url.engine,
                     cases[i].engine);
        if (cases[i].url ? !info.have_url || strcmp(url.buf, cases[i].url) != 0 : info.have_url)
            fail_msg("%s: url '%s', want '%s'", cases[i].what, info.have_url ? url.buf : "(none)",
                     cases[i].url ? cases[i].url : "(none)");
        if (cases[i].no_url && (!info.no_url || !strstr(info.no_url, cases[i].no_url)))
            fail_msg("%s: why no url '%s', want '%s'", cases[i].what,
                     info.no_url ? info.no_url : "(none)", cases[i].no_url);
        if (cases[i].app ? !info.app || strcmp(info.app->name, cases[i].app) != 0 : !!info.app)
            fail_msg("%s: app service %s, want %s", cases[i].what,
                     info.app ? info.app->name : "(none)", cases[i].app ? cases[i].app : "(none)");
        if (cases[i].app_dir ? !info.app_dir || strcmp(info.app_dir, cases[i].app_dir) != 0
                             : !!info.app_dir)
            fail_msg("%s: app dir %s, want %s", cases[i].what,
                     info.app_dir ? info.app_dir : "(none)",
                     cases[i].app_dir ? cases[i].app_dir : "(none)");

        buf_release(&url);
        workspace_services_release(&info);
        compose_project_free(p);
        ds_error_release(&err);
    }
}

#define STACK_DB                                                                                   \
    "  db:\n"                                                                                      \
    "    image: mysql:8.0\n"                                                                       \
    "    environment: {MYSQL_DATABASE: app, MYSQL_USER: app, MYSQL_PASSWORD: pw, "                 \
    "MYSQL_ROOT_PASSWORD: root}\n"                                                                 \
    "    ports: ['127.0.0.1:3307:3306']\n"
#define STACK_APP                                                                                  \
    "  backend:\n"                                                                                 \
    "    image: python\n"                                                                          \
    "    environment: {DATABASE_URL: 'mysql+pymysql://app:pw@db:3306/app'}\n"                      \
    "    volumes: ['..:/workspace']\n"                                                             \
    "    working_dir: /workspace/devcontainer\n"

/* Which URL a command uses, and why: the environment, the stack's database, alembic.ini. */
static void test_choose_url(void **state)
{
    static const struct {
        const char *what;
        const char *yaml; /* NULL: no compose project */
        const char *env;  /* $DATABASE_URL */
        const char *ini;  /* alembic.ini's sqlalchemy.url (the file is /p/alembic.ini) */
        enum workspace_url_source source;
        const char *url;    /* rendered with the password */
        const char *origin; /* where it came from */
        const char *why;    /* part of why there is none, or of the error */
        int rc;
        enum db_engine engine; /* the URL's, when there is one */
    } cases[] = {
            {"DATABASE_URL wins over the stack and the ini", "services:\n" STACK_DB,
             "mysql+pymysql://u:p@h:3999/d", "mysql://x@ini/x", WORKSPACE_URL_ENV,
             "mysql+pymysql://u:p@h:3999/d", "DATABASE_URL", NULL, 0},
            {"an empty DATABASE_URL is unset", "services:\n" STACK_DB, "", NULL,
             WORKSPACE_URL_SERVICE, "mysql+pymysql://app:pw@127.0.0.1:3307/app", "db", NULL, 0},
            {"the stack's database through its published port", "services:\n" STACK_DB STACK_APP,
             NULL, "mysql://x@ini/x", WORKSPACE_URL_SERVICE,
             "mysql+pymysql://app:pw@127.0.0.1:3307/app", "db", NULL, 0},
            {"a database the host cannot reach falls back to the ini",
             "services:\n  db:\n    image: mysql\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: r}\n",
             NULL, "mysql+pymysql://root:r@127.0.0.1/app", WORKSPACE_URL_INI,
             "mysql+pymysql://root:r@127.0.0.1/app", "/p/alembic.ini", NULL, 0},
            {"no compose project: the ini", NULL, NULL, "mariadb+mariadbconnector://a:b@c/d",
             WORKSPACE_URL_INI, "mariadb+mariadbconnector://a:b@c/d", "/p/alembic.ini", NULL, 0},
            {"nothing: say why, naming the service that cannot be reached",
             "services:\n  db:\n    image: mysql\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: r}\n",
             NULL, NULL, WORKSPACE_URL_NONE, NULL, NULL, "service 'db' does not publish port 3306",
             0},
            {"nothing: a project without a database, an ini without a URL",
             "services:\n  web: {image: nginx}\n", NULL, NULL, WORKSPACE_URL_NONE, NULL, NULL,
             "the compose project has no MySQL, MariaDB or PostgreSQL service and '/p/alembic.ini' "
             "has no "
             "sqlalchemy.url",
             0},
            {"a DATABASE_URL that does not parse is an error naming it", NULL, "mysql://u@h:port/d",
             NULL, WORKSPACE_URL_NONE, NULL, NULL, "DATABASE_URL: ", DS_EINVAL},
            {"an ini URL that does not parse names the file and line", NULL, NULL,
             "mysql://u@h:99999/d", WORKSPACE_URL_NONE, NULL, NULL,
             "/p/alembic.ini:7: sqlalchemy.url", DS_EINVAL},
            {"a PostgreSQL service's URL stays PostgreSQL's",
             "services:\n  db:\n    image: postgres:15\n"
             "    environment: {POSTGRES_PASSWORD: pw}\n    ports: ['127.0.0.1:5433:5432']\n",
             NULL, "mysql://x@ini/x", WORKSPACE_URL_SERVICE,
             "postgresql+psycopg2://postgres:pw@127.0.0.1:5433/postgres", "db", NULL, 0,
             DB_POSTGRES},
            {"a PostgreSQL DATABASE_URL over a MySQL stack", "services:\n" STACK_DB,
             "postgresql://u:p@h/d", NULL, WORKSPACE_URL_ENV, "postgresql://u:p@h/d",
             "DATABASE_URL", NULL, 0, DB_POSTGRES},
            {"a PostgreSQL service the host cannot reach says which port",
             "services:\n  db:\n    image: postgres:15\n"
             "    environment: {POSTGRES_PASSWORD: pw}\n",
             NULL, NULL, WORKSPACE_URL_NONE, NULL, NULL, "service 'db' does not publish port 5432",
             0},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct compose_project *p = cases[i].yaml ? load(cases[i].what, cases[i].yaml) : NULL;
        struct workspace_services svc = {0};
        struct workspace_url_inputs in = {.env = cases[i].env, .project = p, .services = &svc};
        struct workspace_url u;
        struct ds_error err = DS_ERROR_INIT;
        struct buf url = BUF_INIT;
        int rc;

        if (p)
            workspace_services(&svc, p);
        in.ini_path = "/p/alembic.ini";
        in.ini_url = cases[i].ini;
        in.ini_url_line = 7;
        rc = workspace_choose_url(&u, &in, &err);
        if (rc == 0 && u.source != WORKSPACE_URL_NONE)
            db_url_render(&url, &u.url, false);
        if (rc != cases[i].rc) {
            print_error("%s: rc %d, want %d (%s)\n", cases[i].what, rc, cases[i].rc,
                        err.msg ? err.msg : "");
            bad++;
        } else if (rc < 0) {
            if (!err.msg || !strstr(err.msg, cases[i].why)) {
                print_error("%s: error '%s' lacks '%s'\n", cases[i].what, err.msg, cases[i].why);
                bad++;
            }
        } else if (u.source != cases[i].source || (cases[i].url && strcmp(url.buf, cases[i].url)) ||
                   (cases[i].origin && (!u.origin || strcmp(u.origin, cases[i].origin))) ||
                   (cases[i].why && (!u.why_none || !strstr(u.why_none, cases[i].why)))) {
            print_error("%s: source %d url '%s' from %s, why '%s'\n", cases[i].what, u.source,
                        url.buf, u.origin ? u.origin : "-", u.why_none ? u.why_none : "-");
            bad++;
        }
        if (rc == 0 && u.source != WORKSPACE_URL_NONE && u.url.engine != cases[i].engine) {
            print_error("%s: engine %d, want %d\n", cases[i].what, u.url.engine, cases[i].engine);
            bad++;
        }
        if (rc == 0 && u.source != WORKSPACE_URL_NONE && u.why_none) {
            print_error("%s: a URL and a reason for none\n", cases[i].what);
            bad++;
        }
        if (rc == 0)
            workspace_url_release(&u);
        buf_release(&url);
        ds_error_release(&err);
        workspace_services_release(&svc);
        compose_project_free(p);
    }
    if (bad)
        fail_msg("%d of %zu cases wrong", bad, ARRAY_SIZE(cases));
}

/* Alembic runs in the app's container on the host of a compose project whose app works there. */
static void test_alembic_service(void **state)
{
    static const struct {
        const char *what;
        const char *yaml;
        const char *ini;
        bool inside_app, force_local;
        const char *service; /* NULL: here */
    } cases[] = {
            {"the bundled stack, from the host", "services:\n" STACK_DB STACK_APP,
             "/devcontainer/alembic.ini", false, false, "backend"},
            {"inside the app's container: here", "services:\n" STACK_DB STACK_APP,
             "/devcontainer/alembic.ini", true, false, NULL},
            {"DEVSTACK_LOCAL: here", "services:\n" STACK_DB STACK_APP, "/devcontainer/alembic.ini",
             false, true, NULL},
            {"an alembic.ini elsewhere than the app's directory: here",
             "services:\n" STACK_DB STACK_APP, "/elsewhere/alembic.ini", false, false, NULL},
            {"no app service: here", "services:\n" STACK_DB, "/p/alembic.ini", false, false, NULL},
            {"no compose project: here", NULL, "/p/alembic.ini", false, false, NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct compose_project *p = cases[i].yaml ? load(cases[i].what, cases[i].yaml) : NULL;
        struct workspace ws = {.project = p,
                               .inside_app = cases[i].inside_app,
                               .force_local = cases[i].force_local};
        const char *got;

        if (p)
            workspace_services(&ws.services, p);
        ws.ini_path = (char *)cases[i].ini;
        got = workspace_alembic_service(&ws);
        if (cases[i].service ? !got || strcmp(got, cases[i].service) : got != NULL)
            fail_msg("%s: %s, want %s", cases[i].what, got ? got : "here",
                     cases[i].service ? cases[i].service : "here");
        workspace_services_release(&ws.services);
        compose_project_free(p);
    }
}

/*
 * The database's own client: which, as whom, the password never on the command
 * line, and no value ever taken for an option (a database named "-e").
 */
static void test_db_client(void **state)
{
#define DB_WITH(user, database)                                                                    \
    "services:\n  db:\n    image: mysql:8.0\n    environment:\n"                                   \
    "      MYSQL_DATABASE: '" database "'\n      MYSQL_USER: '" user "'\n"                         \
    "      MYSQL_PASSWORD: pw\n      MYSQL_ROOT_PASSWORD: root\n    ports: ['3306:3306']\n"
#define PG_WITH(user, database)                                                                    \
    "services:\n  db:\n    image: postgres:15\n    environment:\n"                                 \
    "      POSTGRES_DB: '" database "'\n      POSTGRES_USER: '" user "'\n"                         \
    "      POSTGRES_PASSWORD: pw\n    ports: ['5432:5432']\n"
    static const struct {
        const char *what;
        const char *yaml;
        bool root;
        const char *cmd, *env; /* argv joined with '|' */
    } cases[] = {
            {"the app user on the app database", "services:\n" STACK_DB, false,
             "mysql|--user=app|--database=app", "MYSQL_PWD=pw"},
            {"root", "services:\n" STACK_DB, true, "mysql|--user=root|--database=app",
             "MYSQL_PWD=root"},
            {"MariaDB's variables: its client",
             "services:\n  db:\n    image: registry.local/db\n"
             "    environment: {MARIADB_DATABASE: shop, MARIADB_USER: s, MARIADB_PASSWORD: x, "
             "MARIADB_ROOT_PASSWORD: r}\n    ports: ['3306:3306']\n",
             false, "mariadb|--user=s|--database=shop", "MYSQL_PWD=x"},
            {"a mariadb image with MySQL's variables",
             "services:\n  db:\n    image: mariadb:11\n"
             "    environment: {MYSQL_DATABASE: a, MYSQL_ROOT_PASSWORD: r}\n"
             "    ports: ['3306:3306']\n",
             true, "mariadb|--user=root|--database=a", "MYSQL_PWD=r"},
            {"not published: no user, no database, no password",
             "services:\n  db:\n    image: mysql\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: r}\n",
             false, "mysql", ""},
            {"a database named -e stays the database", DB_WITH("app", "-e"), false,
             "mysql|--user=app|--database=-e", "MYSQL_PWD=pw"},
            {"a database that looks like an option with a value", DB_WITH("app", "--execute=x"),
             false, "mysql|--user=app|--database=--execute=x", "MYSQL_PWD=pw"},
            {"a user named like an option", DB_WITH("-e", "app"), false,
             "mysql|--user=-e|--database=app", "MYSQL_PWD=pw"},
            {"spaces and quotes stay in one argument", DB_WITH("a b", "x \"y\" `z`"), false,
             "mysql|--user=a b|--database=x \"y\" `z`", "MYSQL_PWD=pw"},
            {"root on a database named -e", DB_WITH("app", "-e"), true,
             "mysql|--user=root|--database=-e", "MYSQL_PWD=root"},
            {"psql as the app user, who is the image's superuser", PG_WITH("app", "shop"), false,
             "psql|--username=app|--dbname=shop|--set=ON_ERROR_STOP=1", "PGPASSWORD=pw"},
            {"psql --root: the same superuser", PG_WITH("app", "shop"), true,
             "psql|--username=app|--dbname=shop|--set=ON_ERROR_STOP=1", "PGPASSWORD=pw"},
            {"psql with the image's defaults, no port published, no password",
             "services:\n  db:\n    image: postgres\n"
             "    environment: {POSTGRES_HOST_AUTH_METHOD: trust}\n",
             false, "psql|--username=postgres|--dbname=postgres|--set=ON_ERROR_STOP=1", ""},
            {"psql on a database named -c stays the database", PG_WITH("-c", "-c"), false,
             "psql|--username=-c|--dbname=-c|--set=ON_ERROR_STOP=1", "PGPASSWORD=pw"},
            {"a database name psql would read as connection parameters is quoted",
             PG_WITH("app", "host=evil port=1"), false,
             "psql|--username=app|--dbname=dbname='host=evil port=1'|--set=ON_ERROR_STOP=1",
             "PGPASSWORD=pw"},
            {"... and its quotes and backslashes escaped", PG_WITH("app", "a=''b\\c''"), false,
             "psql|--username=app|--dbname=dbname='a=\\'b\\\\c\\''|--set=ON_ERROR_STOP=1",
             "PGPASSWORD=pw"},
            {"psql on a server on another port: its socket's",
             "services:\n  db:\n    image: postgres:15\n    command: [postgres, -p, '5433']\n"
             "    environment: {POSTGRES_PASSWORD: pw}\n",
             false, "psql|--port=5433|--username=postgres|--dbname=postgres|--set=ON_ERROR_STOP=1",
             "PGPASSWORD=pw"},
            {"a database named like a URI", PG_WITH("app", "postgresql://h/x"), false,
             "psql|--username=app|--dbname=dbname='postgresql://h/x'|--set=ON_ERROR_STOP=1",
             "PGPASSWORD=pw"},
    };
#undef DB_WITH
#undef PG_WITH

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct compose_project *p = load(cases[i].what, cases[i].yaml);
        struct workspace ws = {.project = p};
        struct strvec cmd = STRVEC_INIT, env = STRVEC_INIT;
        struct buf c = BUF_INIT, e = BUF_INIT;

        workspace_services(&ws.services, p);
        workspace_db_client(&ws, cases[i].root, &cmd, &env);
        for (size_t k = 0; k < cmd.n; k++)
            buf_addf(&c, "%s%s", k ? "|" : "", cmd.v[k]);
        for (size_t k = 0; k < env.n; k++)
            buf_addf(&e, "%s%s", k ? "|" : "", env.v[k]);
        if (strcmp(c.buf, cases[i].cmd) || strcmp(e.buf, cases[i].env))
            fail_msg("%s: '%s' with '%s', want '%s' with '%s'", cases[i].what, c.buf, e.buf,
                     cases[i].cmd, cases[i].env);
        buf_release(&c);
        buf_release(&e);
        strvec_clear(&cmd);
        strvec_clear(&env);
        workspace_services_release(&ws.services);
        compose_project_free(p);
    }
}

/* Where a database service's server listens in its container. */
static void test_db_server_port(void **state)
{
    static const struct {
        const char *what;
        const char *service; /* the service's keys, below "  db:\n" */
        enum db_engine engine;
        unsigned port;
    } cases[] = {
            {"postgres: the default", "    image: postgres\n", DB_POSTGRES, 5432},
            {"mysql: the default", "    image: mysql\n", DB_MYSQL, 3306},
            {"postgres -p N", "    command: [postgres, -p, '5433']\n", DB_POSTGRES, 5433},
            {"postgres -pN", "    command: [postgres, -p5434]\n", DB_POSTGRES, 5434},
            {"postgres -c port=N", "    command: postgres -c port=5435\n", DB_POSTGRES, 5435},
            {"postgres -cport=N", "    command: [postgres, -cport=5436]\n", DB_POSTGRES, 5436},
            {"postgres --port=N", "    command: [postgres, --port=5437]\n", DB_POSTGRES, 5437},
            {"another -c setting is not the port",
             "    command: -c 'config_file=/etc/postgresql/postgresql.conf' -c max_connections=9\n",
             DB_POSTGRES, 5432},
            {"-c's value is not read as an option", "    command: [-c, -p, -c, port=6000]\n",
             DB_POSTGRES, 6000},
            {"the last one wins, as the server reads them",
             "    command: [postgres, -p, '5433', -c, port=5438]\n", DB_POSTGRES, 5438},
            {"PGPORT, which the image's entrypoint hands on", "    environment: {PGPORT: '5439'}\n",
             DB_POSTGRES, 5439},
            {"the command wins over PGPORT",
             "    environment: {PGPORT: '5439'}\n    command: [postgres, -p, '5440']\n",
             DB_POSTGRES, 5440},
            {"not a port: the default", "    command: [postgres, -p, '99999', -c, port=x]\n",
             DB_POSTGRES, 5432},
            {"a dangling -p: the default", "    command: [postgres, -p]\n", DB_POSTGRES, 5432},
            {"mysqld --port=N", "    command: [mysqld, --port=3307]\n", DB_MYSQL, 3307},
            {"mysqld --port N", "    command: [--port, '3308']\n", DB_MYSQL, 3308},
            {"mysqld -P N", "    command: [-P, '3309']\n", DB_MYSQL, 3309},
            {"mysqld -PN", "    command: [-P3310]\n", DB_MYSQL, 3310},
            {"MYSQL_TCP_PORT", "    environment: {MYSQL_TCP_PORT: '3311'}\n", DB_MYSQL, 3311},
            {"postgres's -p means nothing to mysqld", "    command: [-p, '5433']\n", DB_MYSQL,
             3306},
            {"mysqld's -P means nothing to postgres", "    command: [-P, '3307']\n", DB_POSTGRES,
             5432},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf yaml = BUF_INIT;
        struct compose_project *p;
        unsigned port;

        buf_addf(&yaml, "services:\n  db:\n%s%s",
                 strstr(cases[i].service, "image:") ? "" : "    image: x\n", cases[i].service);
        p = load(cases[i].what, yaml.buf);
        port = workspace_db_server_port(compose_find_service(p, "db"), cases[i].engine);
        if (port != cases[i].port)
            fail_msg("%s: %u, want %u", cases[i].what, port, cases[i].port);
        compose_project_free(p);
        buf_release(&yaml);
    }
}

/*
 * MYSQL_*_FILE pointing at a secret (or a bind-mounted file): the value is
 * read from the secret's source on the host, trailing newlines dropped as
 * the image drops them; what cannot be read is said without the value.
 */
static void test_secret_variables(void **state)
{
    static const struct {
        const char *what, *yaml, *url, *no_url, *root_pw;
        const char *pg_pw; /* POSTGRES_PASSWORD as read */
    } cases[] = {
            {"a file secret as the root password",
             "services:\n"
             "  db:\n"
             "    image: mysql\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD_FILE: "
             "/run/secrets/db-password}\n"
             "    ports: ['3307:3306']\n"
             "    secrets: [db-password]\n"
             "secrets:\n"
             "  db-password: {file: ./db/password.txt}\n",
             "mysql+pymysql://root:fr0m-file@127.0.0.1:3307/app", NULL, "fr0m-file"},
            {"the app user's password from an environment secret, a relative target",
             "services:\n"
             "  db:\n"
             "    image: mariadb\n"
             "    environment:\n"
             "      MARIADB_DATABASE: app\n"
             "      MARIADB_USER: app\n"
             "      MARIADB_PASSWORD_FILE: /run/secrets/app-pw\n"
             "      MARIADB_ROOT_PASSWORD_FILE: /run/secrets/db-password\n"
             "    ports: ['3307:3306']\n"
             "    secrets: [{source: pw, target: app-pw}, db-password]\n"
             "secrets:\n"
             "  pw: {environment: APP_PW}\n"
             "  db-password: {file: ./db/password.txt}\n",
             "mysql+pymysql://app:fr0m-env@127.0.0.1:3307/app", NULL, "fr0m-file"},
            {"a bind-mounted file",
             "services:\n"
             "  db:\n"
             "    image: mysql\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD_FILE: /etc/pw/root}\n"
             "    ports: ['3307:3306']\n"
             "    volumes: ['./db:/etc/pw:ro']\n",
             "mysql+pymysql://root:fr0m-bind@127.0.0.1:3307/app", NULL, "fr0m-bind"},
            {"the secret's file is missing",
             "services:\n"
             "  db:\n"
             "    image: mysql\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD_FILE: "
             "/run/secrets/pw}\n"
             "    ports: ['3307:3306']\n"
             "    secrets: [pw]\n"
             "secrets:\n"
             "  pw: {file: ./nope.txt}\n",
             NULL, "compose.yaml:8:3: secrets.pw.file: cannot use", NULL},
            {"a path that is no secret of the service",
             "services:\n"
             "  db:\n"
             "    image: mysql\n"
             "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD_FILE: /run/secrets/x}\n"
             "    ports: ['3307:3306']\n",
             NULL, "'/run/secrets/x' is not a secret, config or bind mount of the service", NULL},
            {"PostgreSQL: every POSTGRES_*_FILE, from a secret and a bind mount",
             "services:\n"
             "  db:\n"
             "    image: postgres:15\n"
             "    environment:\n"
             "      POSTGRES_PASSWORD_FILE: /run/secrets/db-password\n"
             "      POSTGRES_USER_FILE: /run/secrets/user\n"
             "      POSTGRES_DB_FILE: /etc/pw/root\n"
             "    ports: ['5433:5432']\n"
             "    volumes: ['./db:/etc/pw:ro']\n"
             "    secrets: [db-password, {source: pw, target: user}]\n"
             "secrets:\n"
             "  pw: {environment: APP_PW}\n"
             "  db-password: {file: ./db/password.txt}\n",
             "postgresql+psycopg2://fr0m-env:fr0m-file@127.0.0.1:5433/fr0m-bind", NULL, NULL,
             "fr0m-file"},
            {"PostgreSQL: the value wins over its _FILE; the database defaults to the user's",
             "services:\n"
             "  db:\n"
             "    image: postgres:15\n"
             "    environment:\n"
             "      POSTGRES_PASSWORD: plain\n"
             "      POSTGRES_PASSWORD_FILE: /run/secrets/nope\n"
             "      POSTGRES_USER_FILE: /run/secrets/user\n"
             "    ports: ['5433:5432']\n"
             "    secrets: [{source: pw, target: user}]\n"
             "secrets:\n"
             "  pw: {environment: APP_PW}\n",
             "postgresql+psycopg2://fr0m-env:plain@127.0.0.1:5433/fr0m-env", NULL, NULL, "plain"},
            {"PostgreSQL: a missing secret file is said, not guessed around",
             "services:\n"
             "  db:\n"
             "    image: postgres:15\n"
             "    environment: {POSTGRES_PASSWORD_FILE: /run/secrets/pw}\n"
             "    ports: ['5433:5432']\n"
             "    secrets: [pw]\n"
             "secrets:\n"
             "  pw: {file: ./nope.txt}\n",
             NULL, "compose.yaml:8:3: secrets.pw.file: cannot use", NULL, NULL},
    };
    char *dir = test_mkdtemp();
    struct buf path = BUF_INIT;

    (void)state;
    test_write_file(dir, "db/password.txt", "fr0m-file\n\n");
    test_write_file(dir, "db/root", "fr0m-bind\n");
    buf_addf(&path, "%s/compose.yaml", dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *env[] = {"APP_PW=fr0m-env", NULL};
        struct compose_options o = {.environ = env, .project_directory = dir};
        struct compose_project *p = NULL;
        struct ds_error err = DS_ERROR_INIT;
        struct workspace_services info;
        struct buf url = BUF_INIT;
        const char *want_url = cases[i].url, *root, *pg;

        if (compose_load_text(&p, cases[i].yaml, strlen(cases[i].yaml), path.buf, &o, &err) < 0)
            fail_msg("%s: cannot load: %s", cases[i].what, err.msg);
        workspace_services(&info, p);
        if (info.have_url)
            db_url_render(&url, &info.url, false);
        if (want_url ? !info.have_url || strcmp(url.buf, want_url) : info.have_url) {
            fail_msg("%s: url '%s', want '%s'", cases[i].what, info.have_url ? url.buf : "(none)",
                     want_url ? want_url : "(none)");
        }
        if (cases[i].no_url &&
            (!info.no_url || !strstr(info.no_url, cases[i].no_url) || strstr(info.no_url, "fr0m")))
            fail_msg("%s: why no url '%s', want '%s'", cases[i].what,
                     info.no_url ? info.no_url : "(none)", cases[i].no_url);
        root = kvlist_get(&info.db_env, "MYSQL_ROOT_PASSWORD");
        if (!root)
            root = kvlist_get(&info.db_env, "MARIADB_ROOT_PASSWORD");
        pg = kvlist_get(&info.db_env, "POSTGRES_PASSWORD");
        if (cases[i].pg_pw && (!pg || strcmp(pg, cases[i].pg_pw)))
            fail_msg("%s: POSTGRES_PASSWORD '%s', want '%s'", cases[i].what, pg ? pg : "(none)",
                     cases[i].pg_pw);
        if (cases[i].root_pw && (!root || strcmp(root, cases[i].root_pw)))
            fail_msg("%s: root password '%s', want '%s'", cases[i].what, root ? root : "(none)",
                     cases[i].root_pw);
        buf_release(&url);
        workspace_services_release(&info);
        compose_project_free(p);
        ds_error_release(&err);
    }
    buf_release(&path);
    test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_services),         cmocka_unit_test(test_choose_url),
            cmocka_unit_test(test_alembic_service),  cmocka_unit_test(test_db_client),
            cmocka_unit_test(test_secret_variables), cmocka_unit_test(test_db_server_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
