/* The database and Alembic services of a compose project, seen from the host, and its client. */
#include <stdlib.h>
#include <string.h>

#include "workspace/workspace.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/banned.h"

#define MYSQL_PORT 3306

/* The official mysql and mariadb images' variables, in the order they win. */
static const char *env_first(const struct kvlist *env, const char *mysql, const char *mariadb)
{
    const char *v = kvlist_get(env, mariadb);
    const char *w = kvlist_get(env, mysql);

    return w && *w ? w : v && *v ? v : NULL;
}

static bool is_db_service(const struct compose_service *s)
{
    return env_first(&s->environment, "MYSQL_DATABASE", "MARIADB_DATABASE") ||
           env_first(&s->environment, "MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD") ||
           env_first(&s->environment, "MYSQL_DATABASE_FILE", "MARIADB_DATABASE_FILE") ||
           env_first(&s->environment, "MYSQL_ROOT_PASSWORD_FILE", "MARIADB_ROOT_PASSWORD_FILE");
}

static const struct compose_service *find_db(const struct compose_project *p)
{
    const struct compose_service *s = compose_find_service(p, "db");

    if (s && s->enabled && is_db_service(s))
        return s;
    for (size_t i = 0; i < p->n_services; i++)
        if (p->services[i].enabled && is_db_service(&p->services[i]))
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

/* The database service's MYSQL_* and MARIADB_* values, *_FILE ones read. */
static void resolve_db_env(struct workspace_services *info, const struct compose_project *p,
                           const struct compose_service *s, struct buf *why)
{
    static const char *const prefixes[] = {"MYSQL_", "MARIADB_"};
    static const char *const names[] = {"ROOT_PASSWORD", "PASSWORD", "USER", "DATABASE"};

    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
        for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
            struct buf var = BUF_INIT, file_var = BUF_INIT;
            const char *v, *path;
            char *value = NULL;

            buf_addf(&var, "%s%s", prefixes[i], names[k]);
            buf_addf(&file_var, "%s_FILE", var.buf);
            v = kvlist_get(&s->environment, var.buf);
            path = kvlist_get(&s->environment, file_var.buf);
            if (v && *v)
                kvlist_set(&info->db_env, var.buf, v);
            else if (path && *path && !why->len &&
                     read_variable_file(&value, p, s, file_var.buf, path, why) == 0)
                kvlist_set(&info->db_env, var.buf, value);
            free(value);
            buf_release(&var);
            buf_release(&file_var);
        }
    }
}

static void url_from_db(struct workspace_services *info, const struct compose_project *p,
                        const struct compose_service *s)
{
    const struct kvlist *env = &info->db_env;
    const char *user, *password, *database;
    const struct compose_port *port = NULL;
    int published = 0;
    struct buf why = BUF_INIT;

    resolve_db_env(info, p, s, &why);
    user = env_first(env, "MYSQL_USER", "MARIADB_USER");
    password = user ? env_first(env, "MYSQL_PASSWORD", "MARIADB_PASSWORD")
                    : env_first(env, "MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD");
    database = env_first(env, "MYSQL_DATABASE", "MARIADB_DATABASE");
    for (size_t i = 0; i < s->n_ports && !port; i++)
        if (s->ports[i].target == MYSQL_PORT &&
            strcmp(s->ports[i].protocol ? s->ports[i].protocol : "tcp", "tcp") == 0)
            port = &s->ports[i];
    if (why.len) {
        /* a *_FILE that cannot be read: said above */
    } else if (!port) {
        buf_addf(&why, "service '%s' does not publish port %d to the host", s->name, MYSQL_PORT);
    } else if (!port->published || str_to_int(port->published, 1, 65535, &published) < 0) {
        buf_addf(&why, "service '%s' publishes port %d on %s%s%s, not one fixed port", s->name,
                 MYSQL_PORT, port->published && *port->published ? "'" : "",
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

    info->url.scheme = xstrdup("mysql+pymysql");
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
    if (info->db)
        url_from_db(info, p, info->db);
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

void workspace_db_client(const struct workspace *ws, bool root, struct strvec *cmd,
                         struct strvec *env)
{
    const struct workspace_services *svc = &ws->services;
    const char *password = NULL;

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
