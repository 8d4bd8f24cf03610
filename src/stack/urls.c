/* Where a service's published ports are reached from this machine, as URLs (the table of `up`). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "stack/display.h"
#include "util/alloc.h"
#include "util/banned.h"

static const struct {
    uint16_t port;
    const char *scheme;
} schemes[] = {
        {3306, "mysql"}, {33060, "mysql"},   {5432, "postgresql"},
        {6379, "redis"}, {27017, "mongodb"}, {11211, "memcached"},
        {5672, "amqp"},  {443, "https"},     {8443, "https"},
};

const char *stack_url_scheme(uint16_t target)
{
    for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
        if (schemes[i].port == target)
            return schemes[i].scheme;
    return "http";
}

void stack_url_host(struct buf *out, const char *host_ip)
{
    struct in_addr v4;
    struct in6_addr v6;

    /* bound to every interface: this machine reaches it on loopback */
    if (!host_ip || !*host_ip ||
        (inet_pton(AF_INET, host_ip, &v4) == 1 && v4.s_addr == htonl(INADDR_ANY)) ||
        (inet_pton(AF_INET6, host_ip, &v6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&v6)))
        buf_adds(out, "127.0.0.1");
    else if (strchr(host_ip, ':'))
        buf_addf(out, "[%s]", host_ip);
    else
        buf_adds(out, host_ip);
}

struct url {
    uint16_t target, host_port;
    char *text;
};

static int cmp_url(const void *a, const void *b)
{
    const struct url *x = a, *y = b;

    if (x->target != y->target)
        return x->target < y->target ? -1 : 1;
    if (x->host_port != y->host_port)
        return x->host_port < y->host_port ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* The label's URLs, split at white space; false when it has none. */
static bool label_urls(struct strvec *out, const char *label)
{
    static const char space[] = " \t\r\n";
    bool any = false;

    while (label && *(label += strspn(label, space))) {
        size_t len = strcspn(label, space);

        strvec_push_nodup(out, xstrndup(label, len));
        label += len;
        any = true;
    }
    return any;
}

void stack_service_urls(struct strvec *out, const char *label,
                        const struct engine_published_port *ports, size_t n)
{
    struct url *urls;
    size_t k = 0;

    if (label_urls(out, label))
        return;
    urls = xcalloc(n + 1, sizeof(*urls));
    for (size_t i = 0; i < n; i++) {
        const struct engine_published_port *p = &ports[i];
        const char *scheme = stack_url_scheme(p->target);
        struct buf b = BUF_INIT;

        if ((p->protocol && strcmp(p->protocol, "tcp")) || !p->host_port)
            continue;
        buf_addf(&b, "%s://", scheme);
        stack_url_host(&b, p->host_ip);
        buf_addf(&b, ":%u", p->host_port);
        if (!strcmp(scheme, "http") || !strcmp(scheme, "https"))
            buf_addch(&b, '/');
        urls[k].target = p->target;
        urls[k].host_port = p->host_port;
        urls[k++].text = buf_detach(&b, NULL);
    }
    /* the engine's order is a map's: sort, so the table reads the same every time */
    qsort(urls, k, sizeof(*urls), cmp_url);
    for (size_t i = 0; i < k; i++) {
        /* 0.0.0.0 and :: for the same port are one URL */
        if (strvec_contains(out, urls[i].text))
            free(urls[i].text);
        else
            strvec_push_nodup(out, urls[i].text);
    }
    free(urls);
}

/* The container a service's row shows: its first (Compose's container number). */
static const struct stack_container *first_container(const struct stack_container_list *l,
                                                     const char *service)
{
    const struct stack_container *first = NULL;

    for (size_t i = 0; i < l->n; i++)
        if (!l->items[i].oneoff && !strcmp(l->items[i].service, service) &&
            (!first || l->items[i].number < first->number))
            first = &l->items[i];
    return first;
}

void stack_service_rows(const struct compose_project *p, const struct stack_container_list *l,
                        struct stack_service_rows *out)
{
    out->items = xcalloc(p->n_services + 1, sizeof(*out->items));
    out->n = 0;
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];
        struct stack_service_row *r = &out->items[out->n];
        const struct stack_container *c;

        if (!s->enabled)
            continue;
        r->service = s->name;
        buf_init(&r->state, 0);
        strvec_init(&r->urls);
        out->n++;
        c = first_container(l, s->name);
        if (!c) {
            buf_adds(&r->state, "-");
            continue;
        }
        stack_status_summary(&r->state, c->state, c->status);
        stack_service_urls(&r->urls, kvlist_get(&s->labels, LABEL_DEVSTACK_URL), c->ports,
                           c->n_ports);
    }
}

void stack_service_rows_release(struct stack_service_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        buf_release(&r->items[i].state);
        strvec_clear(&r->items[i].urls);
    }
    free(r->items);
    memset(r, 0, sizeof(*r));
}
