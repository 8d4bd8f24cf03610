/* The database and Alembic services of a compose project, seen from the host, and its client. */
#include <stdlib.h>
#include <string.h>

#include "workspace/workspace.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/banned.h"

#define MYSQL_PORT    3306
#define POSTGRES_PORT 5432

/* The official mysql and mariadb images' variables, in the order they win. */
static const char *env_first(const struct kvlist *env, const char *mysql, const char *mariadb)
{
    const char *v = kvlist_get(env, mariadb);
    const char *w = kvlist_get(env, mysql);

    return w && *w ? w : v && *v ? v : NULL;
}

static bool is_mysql_service(const struct compose_service *s)
{
    return env_first(&s->environment, "MYSQL_DATABASE", "MARIADB_DATABASE") ||
           env_first(&s->environment, "MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD") ||
           env_first(&s->environment, "MYSQL_DATABASE_FILE", "MARIADB_DATABASE_FILE") ||
           env_first(&s->environment, "MYSQL_ROOT_PASSWORD_FILE", "MARIADB_ROOT_PASSWORD_FILE");
}

/* The official postgres image's variables that make its database and superuser. */
static const char *const postgres_names[] = {"PASSWORD", "USER", "DB"};

static bool has_postgres_env(const struct compose_service *s)
{
    for (size_t i = 0; i < ARRAY_SIZE(postgres_names); i++) {
        struct buf var = BUF_INIT;
        const char *v, *file;

        buf_addf(&var, "POSTGRES_%s", postgres_names[i]);
        v = kvlist_get(&s->environment, var.buf);
        buf_adds(&var, "_FILE");
        file = kvlist_get(&s->environment, var.buf);
        buf_release(&var);
        if ((v && *v) || (file && *file))
            return true;
    }
    return false;
}

/*
 * An image of the postgres contract, by its repository's last part
 * ("postgres:15", "docker.io/library/postgres", "devstack/postgres",
 * "postgis/postgis"): it runs without any POSTGRES_* variable when
 * POSTGRES_HOST_AUTH_METHOD lets everyone in.
 */
static bool is_postgres_image(const char *image)
{
    const char *name, *end;
    size_t len;

    if (!image)
        return false;
    name = strrchr(image, '/');
    name = name ? name + 1 : image;
    end = name + strcspn(name, ":@");
    len = (size_t)(end - name);
    return (len == 8 && !strncmp(name, "postgres", 8)) ||
           (len == 7 && !strncmp(name, "postgis", 7));
}

static bool publishes(const struct compose_service *s, unsigned target)
{
    for (size_t i = 0; i < s->n_ports; i++)
        if (s->ports[i].target == target)
            return true;
    return false;
}

/*
 * Which server a service runs, when it runs one. MySQL's variables or a
 * postgres image say so on their own; POSTGRES_* variables alone only make
 * a candidate (an app may read them too), see find_db(). A service with both
 * kinds of variables runs PostgreSQL when its image or its port says so.
 */
enum db_evidence { DB_NONE, DB_BY_VARIABLES, DB_BY_CONTRACT };

static enum db_evidence db_kind(const struct compose_service *s, enum db_engine *engine)
{
    bool mysql = is_mysql_service(s), pg_image = is_postgres_image(s->image);
    bool pg_env = has_postgres_env(s);

    if (mysql &&
        (pg_image || (pg_env && publishes(s, POSTGRES_PORT) && !publishes(s, MYSQL_PORT)))) {
        *engine = DB_POSTGRES;
        return DB_BY_CONTRACT;
    }
    if (mysql) {
        *engine = DB_MYSQL;
        return DB_BY_CONTRACT;
    }
    if (pg_image || pg_env) {
        *engine = DB_POSTGRES;
        return pg_image ? DB_BY_CONTRACT : DB_BY_VARIABLES;
    }
    return DB_NONE;
}

/* A port number, else 0. */
static unsigned port_number(const char *text)
{
    int n;

    return text && str_to_int(text, 1, 65535, &n) == 0 ? (unsigned)n : 0;
}

/*
 * The port the server listens on in its container: what the service's
 * command says (postgres -p N, -c port=N, --port=N; mysqld --port=N, -P N,
 * the last one winning, as the servers read them), else its environment
 * (PGPORT, which the postgres image's entrypoint hands on to the server;
 * MYSQL_TCP_PORT), else the images' default.
 */
unsigned workspace_db_server_port(const struct compose_service *s, enum db_engine engine)
{
    bool pg = engine == DB_POSTGRES;
    const char *env = kvlist_get(&s->environment, pg ? "PGPORT" : "MYSQL_TCP_PORT");
    unsigned port = port_number(env), n;

    for (size_t i = 0; i < s->command.n; i++) {
        const char *a = s->command.v[i], *next = i + 1 < s->command.n ? s->command.v[i + 1] : NULL;

        n = 0;
        if (pg && (!strcmp(a, "-p") || !strcmp(a, "-c")) && next) {
            n = !strcmp(a, "-p")                 ? port_number(next)
                : str_starts_with(next, "port=") ? port_number(next + 5)
                                                 : 0;
            i++;
        } else if (pg && str_starts_with(a, "-cport=")) {
            n = port_number(a + 7);
        } else if (pg && str_starts_with(a, "-p")) {
            n = port_number(a + 2);
        } else if (str_starts_with(a, "--port=")) {
            n = port_number(a + 7);
        } else if (!pg && (!strcmp(a, "--port") || !strcmp(a, "-P")) && next) {
            n = port_number(next);
            i++;
        } else if (!pg && str_starts_with(a, "-P")) {
            n = port_number(a + 2);
        }
        if (n)
            port = n;
    }
    return port ? port : pg ? POSTGRES_PORT : MYSQL_PORT;
}

/*
 * The database service: `db` when it is one; else the first whose image
 * contract says so; else the first with POSTGRES_* variables that is not
 * the app (DATABASE_URL).
 */
static const struct compose_service *find_db(const struct compose_project *p)
{
    const struct compose_service *s = compose_find_service(p, "db");
    enum db_engine engine;

    if (s && s->enabled && db_kind(s, &engine) != DB_NONE)
        return s;
    for (size_t i = 0; i < p->n_services; i++)
        if (p->services[i].enabled && db_kind(&p->services[i], &engine) == DB_BY_CONTRACT)
            return &p->services[i];
    for (size_t i = 0; i < p->n_services; i++)
        if (p->services[i].enabled && db_kind(&p->services[i], &engine) == DB_BY_VARIABLES &&
            !kvlist_get(&p->services[i].environment, "DATABASE_URL"))
            return &p->services[i];
    return NULL;
}

static const struct compose_service *find_app(const struct compose_project *p)
{
    const struct compose_service *s = compose_find_service(p, "backend");

    if (s && s->enabled && kvlist_get(&s->environment, "DATABASE_URL"))
        return s;
    for (size_t i = 0; i < p->n_services; i++)
        if (p->services[i].enabled && kvlist_get(&p->services[i].environment, "DATABASE_URL"))
            return &p->services[i];
    return NULL;
}

/* A container path under a bind mount's target, mapped to the host. */
static char *host_path(const struct compose_service *s, const char *path)
{
    const struct compose_mount *best = NULL;
    size_t best_len = 0;
    struct buf b = BUF_INIT;
    const char *rest;

    for (size_t i = 0; i < s->n_volumes; i++) {
        const struct compose_mount *m = &s->volumes[i];
        size_t len = strlen(m->target);

        if (m->type != COMPOSE_MOUNT_BIND || !m->source)
            continue;
        while (len > 1 && m->target[len - 1] == '/')
            len--;
        if (strncmp(path, m->target, len) != 0)
            continue;
        if (path[len] && path[len] != '/' && len > 1)
            continue;
        if (len >= best_len) {
            best = m;
            best_len = len;
        }
    }
    if (!best)
        return NULL;
    buf_adds(&b, best->source);
    while (b.len > 1 && b.buf[b.len - 1] == '/')
        buf_setlen(&b, b.len - 1);
    /* a mount at "/" leaves the whole path; else what follows the target */
    rest = best_len == 1 ? path : path + best_len;
    if (*rest && strcmp(rest, "/") != 0) {
        if (!strcmp(b.buf, "/"))
            buf_reset(&b);
        buf_adds(&b, rest);
    }
    return buf_detach(&b, NULL);
}

/*
 * What a *_FILE variable names, as the image reads it: a secret or config
 * of the service (from its file or variable on the host) or a file under a
 * bind mount; trailing newlines dropped, as "$(<file)" drops them. Never
 * shown: a failure says where, not what.
 */
static int read_variable_file(char **out, const struct compose_project *p,
                              const struct compose_service *s, const char *var, const char *path,
                              struct buf *why)
{
    struct ds_error err = DS_ERROR_INIT;
    struct buf text = BUF_INIT;
    char *host = NULL;
    int rc = compose_read_file_ref(out, p, s, path, &err);

    if (rc == DS_ENOTFOUND && (host = host_path(s, path)) != NULL) {
        rc = buf_read_file(&text, host, 1u << 20);
        if (rc < 0)
            ds_error_set(&err, DS_EIO, "cannot read '%s' (%s)", host, strerror(-rc));
        else
            *out = buf_detach(&text, NULL);
    } else if (rc == DS_ENOTFOUND) {
        ds_error_set(&err, DS_ENOTFOUND,
                     "'%s' is not a secret, config or bind mount of the service, so devstack "
                     "cannot read it from the host",
                     path);
    }
    if (rc < 0)
        buf_addf(why, "service '%s': %s=%s: %s", s->name, var, path, err.msg);
    else
        for (size_t n = strlen(*out); n && (*out)[n - 1] == '\n'; n--)
            (*out)[n - 1] = '\0';
    ds_error_release(&err);
    buf_release(&text);
    free(host);
    return rc < 0 ? rc : 0;
}

/* Record VAR's value, or read the file VAR_FILE names; after a failure, nothing. */
static void resolve_variable(struct workspace_services *info, const struct compose_project *p,
                             const struct compose_service *s, const char *var, struct buf *why)
{
    struct buf file_var = BUF_INIT;
    const char *v, *path;
    char *value = NULL;

    buf_addf(&file_var, "%s_FILE", var);
    v = kvlist_get(&s->environment, var);
    path = kvlist_get(&s->environment, file_var.buf);
    if (v && *v)
        kvlist_set(&info->db_env, var, v);
    else if (path && *path && !why->len &&
             read_variable_file(&value, p, s, file_var.buf, path, why) == 0)
        kvlist_set(&info->db_env, var, value);
    free(value);
    buf_release(&file_var);
}

/* The database service's MYSQL_* and MARIADB_* (or POSTGRES_*) values, *_FILE ones read. */
static void resolve_db_env(struct workspace_services *info, const struct compose_project *p,
                           const struct compose_service *s, struct buf *why)
{
    static const char *const prefixes[] = {"MYSQL_", "MARIADB_"};
    static const char *const names[] = {"ROOT_PASSWORD", "PASSWORD", "USER", "DATABASE"};
    struct buf var = BUF_INIT;

    if (info->engine == DB_POSTGRES) {
        for (size_t k = 0; k < ARRAY_SIZE(postgres_names); k++) {
            buf_reset(&var);
            buf_addf(&var, "POSTGRES_%s", postgres_names[k]);
            resolve_variable(info, p, s, var.buf, why);
        }
    } else {
        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
            for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
                buf_reset(&var);
                buf_addf(&var, "%s%s", prefixes[i], names[k]);
                resolve_variable(info, p, s, var.buf, why);
            }
        }
    }
    buf_release(&var);
}

/*
 * As the postgres image makes them: the superuser POSTGRES_USER (postgres),
 * with POSTGRES_PASSWORD, owns the database POSTGRES_DB (the user's name).
 */
static const char *postgres_user(const struct kvlist *db_env)
{
    const char *user = kvlist_get(db_env, "POSTGRES_USER");

    return user && *user ? user : "postgres";
}

static const char *postgres_database(const struct kvlist *db_env)
{
    const char *database = kvlist_get(db_env, "POSTGRES_DB");

    return database && *database ? database : postgres_user(db_env);
}

static void url_from_db(struct workspace_services *info, const struct compose_project *p,
                        const struct compose_service *s)
{
    const struct kvlist *env = &info->db_env;
    bool pg = info->engine == DB_POSTGRES;
    unsigned target = info->db_port;
    const char *user, *password, *database;
    const struct compose_port *port = NULL;
    int published = 0;
    struct buf why = BUF_INIT;

    resolve_db_env(info, p, s, &why);
    if (pg) {
        user = postgres_user(env);
        password = kvlist_get(&info->db_env, "POSTGRES_PASSWORD");
        database = postgres_database(env);
    } else {
        user = env_first(env, "MYSQL_USER", "MARIADB_USER");
        password = user ? env_first(env, "MYSQL_PASSWORD", "MARIADB_PASSWORD")
                        : env_first(env, "MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD");
        database = env_first(env, "MYSQL_DATABASE", "MARIADB_DATABASE");
    }
    for (size_t i = 0; i < s->n_ports && !port; i++)
        if (s->ports[i].target == target &&
            strcmp(s->ports[i].protocol ? s->ports[i].protocol : "tcp", "tcp") == 0)
            port = &s->ports[i];
    if (why.len) {
        /* a *_FILE that cannot be read: said above */
    } else if (!port) {
        buf_addf(&why, "service '%s' does not publish port %u to the host", s->name, target);
    } else if (!port->published || str_to_int(port->published, 1, 65535, &published) < 0) {
        buf_addf(&why, "service '%s' publishes port %u on %s%s%s, not one fixed port", s->name,
                 target, port->published && *port->published ? "'" : "",
                 port->published && *port->published ? port->published : "an ephemeral port",
                 port->published && *port->published ? "'" : "");
    } else if (!database) {
        buf_addf(&why, "service '%s' names no database (MYSQL_DATABASE)", s->name);
    }
    if (why.len) {
        info->no_url = buf_detach(&why, NULL);
        return;
    }
    buf_release(&why);

    info->url.engine = info->engine;
    info->url.scheme = xstrdup(pg ? "postgresql+psycopg2" : "mysql+pymysql");
    info->url.user = xstrdup(user ? user : "root");
    info->url.password = password ? xstrdup(password) : NULL;
    /* published on every interface, or on one: loopback reaches the first */
    info->url.host =
            xstrdup(!port->host_ip || !*port->host_ip || strcmp(port->host_ip, "0.0.0.0") == 0 ||
                                    strcmp(port->host_ip, "::") == 0
                            ? "127.0.0.1"
                            : port->host_ip);
    info->url.port = (unsigned)published;
    info->url.port_given = true;
    info->url.database = xstrdup(database);
    info->have_url = true;
}

void workspace_services(struct workspace_services *info, const struct compose_project *p)
{
    memset(info, 0, sizeof(*info));
    info->db = find_db(p);
    if (info->db) {
        db_kind(info->db, &info->engine);
        info->db_port = workspace_db_server_port(info->db, info->engine);
        url_from_db(info, p, info->db);
    }
    info->app = find_app(p);
    if (info->app && info->app->working_dir)
        info->app_dir = host_path(info->app, info->app->working_dir);
}

void workspace_services_release(struct workspace_services *info)
{
    db_url_release(&info->url);
    kvlist_clear(&info->db_env);
    free(info->no_url);
    free(info->app_dir);
    memset(info, 0, sizeof(*info));
}

/* mariadb's images name the client mariadb (11 has no mysql); MySQL's, mysql. */
static const char *client_of(const struct compose_service *db)
{
    for (size_t i = 0; i < db->environment.n; i++)
        if (!strncmp(db->environment.items[i].key, "MARIADB_", 8))
            return "mariadb";
    if (db->image && strstr(db->image, "mariadb"))
        return "mariadb";
    return "mysql";
}

/*
 * psql reads a --dbname with '=' in it, or that starts like a URI, as
 * connection parameters: such a name goes in quoted as the dbname of one.
 */
static void push_pg_dbname(struct strvec *cmd, const char *database)
{
    struct buf b = BUF_INIT;

    if (!strchr(database, '=') && !str_starts_with(database, "postgresql://") &&
        !str_starts_with(database, "postgres://")) {
        strvec_pushf(cmd, "--dbname=%s", database);
        return;
    }
    buf_adds(&b, "--dbname=dbname='");
    for (const char *c = database; *c; c++) {
        if (*c == '\\' || *c == '\'')
            buf_addch(&b, '\\');
        buf_addch(&b, *c);
    }
    buf_addch(&b, '\'');
    strvec_push(cmd, b.buf);
    buf_release(&b);
}

/*
 * The official image has one role, the superuser, which is the app's too:
 * --root and the app user are the same on it. Its names do not depend on a
 * published port, so psql works where the host cannot reach the server.
 */
static void postgres_client(const struct workspace_services *svc, struct strvec *cmd,
                            struct strvec *env)
{
    const char *password = kvlist_get(&svc->db_env, "POSTGRES_PASSWORD");

    strvec_push(cmd, "psql");
    /* its socket is named by the port: .s.PGSQL.<port> */
    if (svc->db_port != POSTGRES_PORT)
        strvec_pushf(cmd, "--port=%u", svc->db_port);
    strvec_pushf(cmd, "--username=%s", postgres_user(&svc->db_env));
    push_pg_dbname(cmd, postgres_database(&svc->db_env));
    /* a script piped in stops at its first error, with status 3, as mysql's does with 1 */
    strvec_push(cmd, "--set=ON_ERROR_STOP=1");
    if (password)
        strvec_pushf(env, "PGPASSWORD=%s", password);
}

void workspace_db_client(const struct workspace *ws, bool root, struct strvec *cmd,
                         struct strvec *env)
{
    const struct workspace_services *svc = &ws->services;
    const char *password = NULL;

    if (svc->engine == DB_POSTGRES) {
        postgres_client(svc, cmd, env);
        return;
    }
    strvec_push(cmd, client_of(svc->db));
    if (root) {
        password = kvlist_get(&svc->db_env, "MARIADB_ROOT_PASSWORD");
        if (!password)
            password = kvlist_get(&svc->db_env, "MYSQL_ROOT_PASSWORD");
        strvec_push(cmd, "--user=root");
    } else if (svc->have_url) {
        password = svc->url.password;
        strvec_pushf(cmd, "--user=%s", svc->url.user ? svc->url.user : "");
    }
    /*
     * Each value glued to its option: a database named "-e" (or a user
     * "--execute=...") stays a value and never becomes an option of the client.
     */
    if (svc->have_url && svc->url.database)
        strvec_pushf(cmd, "--database=%s", svc->url.database);
    /* in the exec's environment, never in its argv: ps shows argv to everyone */
    if (password)
        strvec_pushf(env, "MYSQL_PWD=%s", password);
}
