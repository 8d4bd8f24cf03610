/*
 * STOPGAP until services.c finds PostgreSQL services itself: the smallest
 * lookup the PostgreSQL dumps, snapshots, reset and clear need to find a
 * compose project's PostgreSQL service. Once services.c sets services->db
 * for PostgreSQL, this never runs and goes (with its two calls in open.c).
 */
#include <stdlib.h>
#include <string.h>

#include "workspace/internal.h"
#include "util/alloc.h"
#include "util/strutil.h"
#include "util/banned.h"

#define POSTGRES_PORT 5432

static bool is_postgres(const struct compose_service *s)
{
    const char *image = s->image ? strrchr(s->image, '/') : NULL;

    image = image ? image + 1 : s->image;
    return (image && !strncmp(image, "postgres", 8) && strchr(":@", image[8])) ||
           kvlist_get(&s->environment, "POSTGRES_PASSWORD") ||
           kvlist_get(&s->environment, "POSTGRES_DB") ||
           kvlist_get(&s->environment, "POSTGRES_USER");
}

void workspace_pg_service_fallback(struct workspace_services *svc, const struct compose_project *p)
{
    const struct compose_service *s = NULL;
    const struct compose_port *port = NULL;
    const char *user, *password, *database;
    int published = 0;

    if (svc->db || !p)
        return;
    for (size_t i = 0; i < p->n_services && !s; i++)
        if (p->services[i].enabled && is_postgres(&p->services[i]) &&
            !kvlist_get(&p->services[i].environment, "DATABASE_URL"))
            s = &p->services[i];
    if (!s)
        return;
    svc->db = s;
    user = kvlist_get(&s->environment, "POSTGRES_USER");
    user = user && *user ? user : "postgres";
    password = kvlist_get(&s->environment, "POSTGRES_PASSWORD");
    database = kvlist_get(&s->environment, "POSTGRES_DB");
    database = database && *database ? database : user;
    for (size_t i = 0; i < s->n_ports && !port; i++)
        if (s->ports[i].target == POSTGRES_PORT)
            port = &s->ports[i];
    if (!port || !port->published || str_to_int(port->published, 1, 65535, &published) < 0) {
        free(svc->no_url);
        svc->no_url = xstrdup("the PostgreSQL service publishes no fixed port 5432");
        return;
    }
    svc->url.engine = DB_POSTGRES;
    svc->url.scheme = xstrdup("postgresql+psycopg2");
    svc->url.user = xstrdup(user);
    svc->url.password = password ? xstrdup(password) : NULL;
    svc->url.host = xstrdup(port->host_ip && *port->host_ip && strcmp(port->host_ip, "0.0.0.0")
                                    ? port->host_ip
                                    : "127.0.0.1");
    svc->url.port = (unsigned)published;
    svc->url.port_given = true;
    svc->url.database = xstrdup(database);
    svc->have_url = true;
}
