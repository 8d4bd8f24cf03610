/* The database and Alembic services of a compose project, seen from the host, and its client. */
#include <stdlib.h>
#include <string.h>

#include "workspace/workspace.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/banned.h"

#define MYSQL_PORT 3306

/* The official mysql and mariadb images' variables, in the order they win. */
static const char *env_first(const struct compose_service *s, const char *mysql,
                             const char *mariadb)
{
    const char *v = kvlist_get(&s->environment, mariadb);
    const char *w = kvlist_get(&s->environment, mysql);

    return w && *w ? w : v && *v ? v : NULL;
}

static bool is_db_service(const struct compose_service *s)
{
    return env_first(s, "MYSQL_DATABASE", "MARIADB_DATABASE") ||
           env_first(s, "MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD");
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

static void url_from_db(struct workspace_services *info, const struct compose_service *s)
{
    const char *user = env_first(s, "MYSQL_USER", "MARIADB_USER");
    const char *password = user ? env_first(s, "MYSQL_PASSWORD", "MARIADB_PASSWORD")
                                : env_first(s, "MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD");
    const char *database = env_first(s, "MYSQL_DATABASE", "MARIADB_DATABASE");
    const struct compose_port *port = NULL;
    int published = 0;
    struct buf why = BUF_INIT;

    for (size_t i = 0; i < s->n_ports && !port; i++)
        if (s->ports[i].target == MYSQL_PORT &&
            strcmp(s->ports[i].protocol ? s->ports[i].protocol : "tcp", "tcp") == 0)
            port = &s->ports[i];
    if (!port) {
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
        url_from_db(info, info->db);
    info->app = find_app(p);
    if (info->app && info->app->working_dir)
        info->app_dir = host_path(info->app, info->app->working_dir);
}

void workspace_services_release(struct workspace_services *info)
{
    db_url_release(&info->url);
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
        password = kvlist_get(&svc->db->environment, "MARIADB_ROOT_PASSWORD");
        if (!password)
            password = kvlist_get(&svc->db->environment, "MYSQL_ROOT_PASSWORD");
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
