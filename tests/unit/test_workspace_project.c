/* Where a compose project's database and Alembic service are, seen from the host. */
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "lib/testlib.h"
#include "stack/dbinfo.h"
#include "util/buf.h"
#include "util/banned.h"

static void test_dbinfo(void **state)
{
    static const struct {
        const char *what;
        const char *yaml;
        const char *db;     /* the database service, or NULL */
        const char *url;    /* rendered with the password, or NULL */
        const char *no_url; /* part of why there is none */
        const char *app;    /* the Alembic service, or NULL */
        const char *app_dir;
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
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *env[] = {NULL};
        struct compose_options o = {.environ = env, .project_directory = "/p"};
        struct compose_project *p = NULL;
        struct ds_error err = DS_ERROR_INIT;
        struct stack_db_info info;
        struct buf url = BUF_INIT;
        const char *yaml = cases[i].yaml;

        if (compose_load_text(&p, yaml, strlen(yaml), "/p/compose.yaml", &o, &err) < 0)
            fail_msg("%s: cannot load: %s", cases[i].what, err.msg);
        stack_db_info(&info, p);
        if (info.have_url)
            db_url_render(&url, &info.url, false);

        if (cases[i].db) {
            if (!info.db || strcmp(info.db->name, cases[i].db) != 0)
                fail_msg("%s: db service %s, want %s", cases[i].what,
                         info.db ? info.db->name : "(none)", cases[i].db);
        } else if (info.db) {
            fail_msg("%s: db service %s, want none", cases[i].what, info.db->name);
        }
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
        stack_db_info_release(&info);
        compose_project_free(p);
        ds_error_release(&err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dbinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
