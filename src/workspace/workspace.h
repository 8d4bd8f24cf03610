/*
 * A workspace: a compose project together with its database and its
 * Alembic migrations. The commands that touch the database ask it which
 * database they use and why, where alembic.ini is, and whether Alembic runs
 * here or in the app service's container; the plans built on it (bootstrap,
 * snapshots and restores, reset, the diagnosis) have headers of their own
 * in this folder.
 *
 * The decisions are plain functions over plain data (workspace_services(),
 * workspace_choose_url(), ...), so that tests can put every case in a table;
 * workspace_open() gathers their inputs from the files and the environment.
 */
#ifndef DEVSTACK_WORKSPACE_H
#define DEVSTACK_WORKSPACE_H

#include <signal.h>
#include <stdbool.h>

#include "compose/compose.h"
#include "db/db.h"
#include "migrate/migrate.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"

struct engine;

/* ---- the project's database and Alembic services -------------------------------- */

/*
 * Where a compose project keeps its database and its Alembic scripts: the
 * service that runs MySQL or MariaDB (found by the image contract's
 * MYSQL_DATABASE / MARIADB_DATABASE or root password, `db` first) or
 * PostgreSQL (a postgres image, or POSTGRES_DB / POSTGRES_USER /
 * POSTGRES_PASSWORD), how the host reaches it (its published port 3306 or
 * 5432), and the service that runs Alembic (DATABASE_URL in its
 * environment, `backend` first) with its working directory on the host
 * through a bind mount.
 */
struct workspace_services {
    const struct compose_service *db; /* NULL: no database service */
    enum db_engine engine;            /* the server db runs */
    unsigned db_port;                 /* where it listens in its container: 3306, 5432, ... */
    struct db_url url;                /* from the host; valid when have_url */
    bool have_url;
    char *no_url;                      /* why there is no URL from the host, or NULL */
    const struct compose_service *app; /* runs Alembic; NULL: none */
    char *app_dir;                     /* its working_dir on the host, or NULL */
    /*
     * The database service's MYSQL_* and MARIADB_* values (POSTGRES_USER,
     * POSTGRES_PASSWORD, POSTGRES_DB for PostgreSQL); a *_FILE one
     * (MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password) is read from the
     * secret's source on the host, as the image reads it in the container.
     */
    struct kvlist db_env;
};

/*
 * The port a database service's server listens on in its container: its
 * command's (postgres -p N, -c port=N; mysqld --port=N, -P N), else its
 * environment's (PGPORT, MYSQL_TCP_PORT), else 5432 or 3306.
 */
unsigned workspace_db_server_port(const struct compose_service *s, enum db_engine engine);

/* Fill *out from the model (pointers into p); a project without a database is fine. */
void workspace_services(struct workspace_services *out, const struct compose_project *p);
void workspace_services_release(struct workspace_services *s);

/* ---- which database ---------------------------------------------------------- */

enum workspace_url_source {
    WORKSPACE_URL_NONE,
    WORKSPACE_URL_ENV,     /* $DATABASE_URL */
    WORKSPACE_URL_SERVICE, /* the compose project's database service, through its port */
    WORKSPACE_URL_INI,     /* sqlalchemy.url in alembic.ini */
};

/* What the choice of a database URL looks at. */
struct workspace_url_inputs {
    const char *env;                           /* $DATABASE_URL; NULL or "": unset */
    const struct compose_project *project;     /* NULL: none read */
    const struct workspace_services *services; /* with a project */
    const char *ini_path;                      /* alembic.ini, when loaded; else NULL */
    const char *ini_url;                       /* its sqlalchemy.url, or NULL */
    unsigned ini_url_line;
};

struct workspace_url {
    enum workspace_url_source source;
    struct db_url url; /* unless NONE */
    char *origin;      /* "DATABASE_URL", the service's name, or alembic.ini's path */
    char *why_none;    /* NONE: why there is no URL, for the error */
};

/*
 * The URL a command uses: $DATABASE_URL when set, else the compose
 * project's database service as the host reaches it, else alembic.ini's
 * sqlalchemy.url; else none, and why. A URL that does not parse is an
 * error naming where it came from.
 */
int workspace_choose_url(struct workspace_url *out, const struct workspace_url_inputs *in,
                         struct ds_error *err);
void workspace_url_release(struct workspace_url *u);

/*
 * Commands that act on the stack's data (reset, clear) snapshot and change
 * the stack's database, whatever $DATABASE_URL says: which URL they use.
 */
enum workspace_stack_db {
    WORKSPACE_STACK_DB_CHOSEN,  /* the chosen URL is the stack's database (or there is none) */
    WORKSPACE_STACK_DB_SERVICE, /* use the database service's URL instead (the user said so) */
    WORKSPACE_STACK_DB_REFUSED, /* $DATABASE_URL names another server or database */
};

/*
 * Pure. The same server is the same host (localhost, 127.0.0.1 and ::1 are
 * one), port and database.
 */
enum workspace_stack_db workspace_stack_db(const struct workspace_url *chosen,
                                           const struct workspace_services *svc, bool other_ok);

/* ---- the workspace ------------------------------------------------------------ */

struct workspace {
    const struct compose_project *project; /* borrowed; NULL: a plain Alembic project */
    bool inside_app;                       /* $DEVSTACK_DEVCONTAINER: this is the app's container */
    bool force_local;                      /* $DEVSTACK_LOCAL: Alembic runs here even on the host */
    struct workspace_services services;    /* with a project */

    char *ini_path; /* alembic.ini, absolute; it may not exist yet (bootstrap) */
    bool ini_exists, ini_loaded;
    struct alembic_ini ini; /* when ini_loaded */

    struct workspace_url url;
    /* borrowed, may be NULL: to run PostgreSQL's tools in the database's container (pgtools.c) */
    struct engine *engine;
};

struct workspace_options {
    const char *alembic_config;  /* -c FILE; else $ALEMBIC_CONFIG, ./alembic.ini, the app's */
    const char *alembic_section; /* -n SECTION; NULL: alembic */
};

/* workspace_open() and workspace_require() flags */
#define WORKSPACE_NEED_INI 0x1u /* alembic.ini must exist and load */
#define WORKSPACE_NEED_URL 0x2u /* a database URL must be known */

/* Is this devstack running in the app's container ($DEVSTACK_DEVCONTAINER)? */
bool workspace_inside_app(void);

/*
 * Find alembic.ini (-c, $ALEMBIC_CONFIG, the current directory, the app
 * service's working directory) and load it when it exists, and choose the
 * database URL. `project` (may be NULL) is borrowed for the workspace's life.
 */
int workspace_open(struct workspace *ws, const struct compose_project *project,
                   const struct workspace_options *o, unsigned flags, struct ds_error *err);
void workspace_release(struct workspace *ws);
/* Fail, saying what to do, unless the workspace has what `flags` asks for. */
int workspace_require(const struct workspace *ws, unsigned flags, struct ds_error *err);

/*
 * For a command that acts on the stack's data (`what`: "reset", "clear"):
 * make the workspace's URL the stack's database. When $DATABASE_URL names
 * another one, refuse (DS_EINVAL, naming both and what to do) unless
 * other_ok, which switches to the database service's URL.
 */
int workspace_use_stack_db(struct workspace *ws, const char *what, bool other_ok,
                           struct ds_error *err);

/* "database 'app' on 127.0.0.1:3306 (service 'db')": what the workspace's URL names. */
void workspace_describe_db(const struct workspace *ws, struct buf *out);

/*
 * A project that ships .env.example and git-ignores .env: its first `up`
 * makes the .env from the example (mode 600, never over an existing one),
 * before the project is loaded so that interpolation sees it; an empty
 * COMPOSE_PROJECT_NAME in the example gets workspace_checkout_name(). *created
 * (caller frees) names it as the user would write it; NULL when nothing was
 * made. With --env-file (o->env_files not empty) the .env is not read, so
 * nothing is made.
 */
int workspace_seed_dotenv(const struct compose_options *o, char **created, struct ds_error *err);
/*
 * This checkout's own project name, which the first `up` (and `make setup`)
 * write into a .env whose example leaves COMPOSE_PROJECT_NAME empty: the name
 * of the checkout's directory (`top`: the git top-level, else the project
 * directory) made a project name, a dash, and the first six hex digits of
 * SHA-256 over the project directory's real path (`dir`), so that two
 * clones never share containers by accident ("devstack-3f09a1"). Pure.
 * Caller frees.
 */
char *workspace_checkout_name(const char *top, const char *dir);
/*
 * `text`, a .env, with its empty COMPOSE_PROJECT_NAME assignment given
 * `name`; NULL when it has no empty one, or has one with a value (which is
 * the user's choice). Pure. Caller frees.
 */
char *workspace_dotenv_set_name(const char *text, const char *name);

/* ---- the database --------------------------------------------------------------- */

/* How long a command waits for a connection before saying why not (timeout_ms 0). */
#define WORKSPACE_CONNECT_TIMEOUT_MS 5000u

/* Connect with the workspace's URL; on failure the hint says where the URL came from. */
int workspace_connect(const struct workspace *ws, struct db_conn **out, unsigned timeout_ms,
                      enum db_reason *why, struct ds_error *err);
/*
 * Connect for a long job (a dump, a restore): a quick probe that says why
 * the server cannot be reached, then a connection that waits as long as a
 * big statement takes.
 */
int workspace_connect_for_work(const struct workspace *ws, struct db_conn **out,
                               struct ds_error *err);
/*
 * Wait until the workspace's database takes queries as its URL's user
 * (db_wait(): every 100 ms, until timeout_ms).
 */
int workspace_wait(const struct workspace *ws, unsigned timeout_ms, volatile sig_atomic_t *cancel,
                   struct db_wait_result *res, struct ds_error *err);
/* The URL as Alembic shows its engine's, the password masked ("XXXXX"). */
void workspace_url_shown(const struct workspace *ws, struct buf *out);
/* The database's alembic_version rows. */
int workspace_versions(const struct workspace *ws, struct strvec *versions, bool *table_exists,
                       struct ds_error *err);
/*
 * The same on an open connection, from the table env.py names
 * (version_table, version_table_schema; Alembic's defaults when there is no
 * env.py). An env.py whose values devstack cannot read is an error.
 */
int workspace_alembic_versions(const struct workspace *ws, struct db_conn *conn,
                               struct strvec *versions, bool *table_exists, struct ds_error *err);
/* That table: env.py's version_table and version_table_schema, or Alembic's defaults. */
int workspace_version_table(const struct workspace *ws, struct alembic_version_table *vt,
                            struct ds_error *err);
/* The revision files of the workspace's alembic.ini. */
int workspace_revmap(const struct workspace *ws, struct revmap *map, struct ds_error *err);

/*
 * The database server's own client, to run in its service's container: the
 * client the image has (mariadb for MariaDB images, mysql otherwise, psql
 * for PostgreSQL), as the app user on the app database (`root`: as root,
 * PostgreSQL's superuser POSTGRES_USER), each value glued to its option
 * (--user=, --database=; --username=, --dbname=) so that none can be read as
 * an option, the password in env (MYSQL_PWD, PGPASSWORD), never on the
 * command line. psql stops at the first error of a script, as mysql does.
 */
void workspace_db_client(const struct workspace *ws, bool root, struct strvec *cmd,
                         struct strvec *env);

/* What workspace_wait_db() waited for. */
struct workspace_ready {
    const char *service; /* NULL: nothing to wait for */
    const char *database, *user;
    char names[2][256]; /* where database and user are kept */
    unsigned elapsed_ms;
};

/*
 * After the stack's containers started: wait until the app user can query
 * the app database over the published port, when project `p` has a
 * database service among `services` (empty: all; with `no_deps` only a
 * named one counts). A failure names the service and its log.
 */
int workspace_wait_db(const struct compose_project *p, const struct strvec *services, bool no_deps,
                      unsigned timeout_ms, volatile sig_atomic_t *cancel,
                      struct workspace_ready *out, struct ds_error *err);

/* ---- Alembic ---------------------------------------------------------------------- */

/*
 * Where Alembic runs: NULL here; else the name of the app service in whose
 * container the command runs again (on the host of a compose project whose
 * app service works in alembic.ini's directory).
 */
const char *workspace_alembic_service(const struct workspace *ws);

/*
 * The command line that runs devstack `argv` again in the app's container,
 * and the environment that tells that devstack it is the app.
 */
void workspace_app_command(int argc, char **argv, struct strvec *cmd, struct strvec *env);

/*
 * Run Alembic (DEVSTACK_ALEMBIC, else `alembic`, else `python3 -m alembic`)
 * with `-c INI` and args, in alembic.ini's directory, with DATABASE_URL set
 * to the workspace's URL (never on the command line). Returns Alembic's
 * exit status or a negative code; out and errout capture when non-NULL.
 */
int workspace_alembic(const struct workspace *ws, const struct strvec *args, struct buf *out,
                      struct buf *errout, struct ds_error *err);

/*
 * The heads an up-to-date database is at: Alembic's get_revisions("heads"),
 * where a head that another branch depends on does not count.
 */
int workspace_heads(const struct revmap *map, struct strvec *ids, struct ds_error *err);
/* Are the database's versions exactly those heads? */
bool workspace_at_heads(const struct revmap *map, const struct strvec *versions);
/* Does env.py give autogenerate a target (a top-level target_metadata that is not None)? */
bool workspace_env_has_metadata(const struct workspace *ws);

/* ---- what a command tells the user on the way ---------------------------------------- */

enum workspace_note_kind {
    WORKSPACE_NOTE,    /* what was done: "created alembic.ini" */
    WORKSPACE_WARNING, /* worth a look */
    WORKSPACE_OP,      /* an operation of a generated revision */
    WORKSPACE_DROP,    /* ... one that drops something */
};

/* Called as things happen, so that what devstack says and what Alembic prints stay in order. */
struct workspace_notes {
    void (*fn)(enum workspace_note_kind kind, const char *text, void *ud);
    void *ud;
};

void workspace_note(const struct workspace_notes *n, enum workspace_note_kind kind, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

#endif
