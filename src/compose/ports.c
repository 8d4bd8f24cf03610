/* Port specs: "80", "8080:80", "127.0.0.1:3306:3306", "[::1]::80/udp", "8000-8002:8000-8002". */
#include <stdlib.h>
#include <string.h>

#include "compose/internal.h"
#include "util/alloc.h"
#include "util/strutil.h"
#include "util/banned.h"

void compose_port_release(struct compose_port *p)
{
    free(p->host_ip);
    free(p->published);
    free(p->protocol);
    free(p->mode);
    free(p->name);
    free(p->app_protocol);
    memset(p, 0, sizeof(*p));
}

/* "8000" or "8000-8002" into [lo, hi]; `allow_zero` for published ports. */
static int parse_range(const char *s, size_t len, int *lo, int *hi)
{
    char buf[16];
    const char *dash;

    if (!len || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    dash = strchr(buf, '-');
    if (dash) {
        buf[dash - buf] = '\0';
        if (str_to_int(buf, 1, 65535, lo) < 0 || str_to_int(dash + 1, 1, 65535, hi) < 0 ||
            *hi < *lo || buf[0] == '-')
            return -1;
        return 0;
    }
    if (str_to_int(buf, 1, 65535, lo) < 0 || buf[0] == '-')
        return -1;
    *hi = *lo;
    return 0;
}

static void add_port(struct compose_port **ports, size_t *n, const char *ip, const char *published,
                     int target, const char *proto)
{
    struct compose_port *p;

    *ports = xrealloc(*ports, (*n + 1) * sizeof(**ports));
    p = &(*ports)[(*n)++];
    memset(p, 0, sizeof(*p));
    p->host_ip = ip ? xstrdup(ip) : NULL;
    p->published = published ? xstrdup(published) : NULL;
    p->target = (uint16_t)target;
    p->protocol = xstrdup(proto);
    p->mode = xstrdup("ingress");
}

int compose_parse_port(const char *spec, struct compose_port **ports, size_t *n,
                       struct ds_error *err)
{
    struct buf ip = BUF_INIT, pub = BUF_INIT, proto = BUF_INIT;
    const char *rest = spec, *slash, *colon;
    int t_lo, t_hi, p_lo = 0, p_hi = 0, rc = 0;
    size_t start = *n;
    bool has_pub = false;

    slash = strrchr(spec, '/');
    if (slash) {
        buf_adds(&proto, slash + 1);
        if (strcmp(proto.buf, "tcp") && strcmp(proto.buf, "udp") && strcmp(proto.buf, "sctp")) {
            rc = ds_error_set(err, DS_EINVAL, "invalid port \"%s\": unknown protocol '%s'", spec,
                              proto.buf);
            goto done;
        }
    } else {
        buf_adds(&proto, "tcp");
    }

    /* host IP: "[v6]:" or the part before the second-to-last colon */
    if (rest[0] == '[') {
        const char *close = strchr(rest, ']');

        if (!close || close[1] != ':') {
            rc = ds_error_set(err, DS_EINVAL, "invalid port \"%s\": bad IPv6 address", spec);
            goto done;
        }
        buf_add(&ip, rest + 1, (size_t)(close - rest - 1));
        rest = close + 2;
        colon = strchr(rest, ':');
        if (!colon) {
            rc = ds_error_set(err, DS_EINVAL,
                              "invalid port \"%s\": expected [IP]:HOST_PORT:CONTAINER_PORT", spec);
            goto done;
        }
        buf_add(&pub, rest, (size_t)(colon - rest));
        has_pub = true;
        rest = colon + 1;
    } else {
        const char *end = slash ? slash : rest + strlen(rest);
        const char *c1 = memchr(rest, ':', (size_t)(end - rest));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;

        if (c2 && memchr(c2 + 1, ':', (size_t)(end - c2 - 1))) {
            rc = ds_error_set(err, DS_EINVAL,
                              "invalid port \"%s\": too many ':' (write IPv6 addresses as [::1])",
                              spec);
            goto done;
        }
        if (c2) {
            buf_add(&ip, rest, (size_t)(c1 - rest));
            buf_add(&pub, c1 + 1, (size_t)(c2 - c1 - 1));
            has_pub = true;
            rest = c2 + 1;
        } else if (c1) {
            buf_add(&pub, rest, (size_t)(c1 - rest));
            has_pub = true;
            rest = c1 + 1;
        }
    }

    if (parse_range(rest, slash ? (size_t)(slash - rest) : strlen(rest), &t_lo, &t_hi) < 0) {
        rc = ds_error_set(err, DS_EINVAL, "invalid port \"%s\": bad container port", spec);
        goto done;
    }
    if (has_pub && pub.len && parse_range(pub.buf, pub.len, &p_lo, &p_hi) < 0) {
        rc = ds_error_set(err, DS_EINVAL, "invalid port \"%s\": bad host port '%s'", spec, pub.buf);
        goto done;
    }
    if (ip.len && has_pub && !pub.len)
        p_lo = p_hi = 0; /* "127.0.0.1::80": an ephemeral port on that address */

    if (t_lo == t_hi) {
        add_port(ports, n, ip.len ? ip.buf : NULL, has_pub ? pub.buf : NULL, t_lo, proto.buf);
    } else if (!has_pub || !pub.len) {
        for (int t = t_lo; t <= t_hi; t++)
            add_port(ports, n, ip.len ? ip.buf : NULL, has_pub ? "" : NULL, t, proto.buf);
    } else if (p_hi - p_lo == t_hi - t_lo) {
        for (int i = 0; i <= t_hi - t_lo; i++) {
            struct buf one = BUF_INIT;

            buf_addf(&one, "%d", p_lo + i);
            add_port(ports, n, ip.len ? ip.buf : NULL, one.buf, t_lo + i, proto.buf);
            buf_release(&one);
        }
    } else {
        rc = ds_error_set(err, DS_EINVAL,
                          "invalid port \"%s\": the host range and the container range differ in "
                          "size",
                          spec);
    }

done:
    if (rc < 0) {
        while (*n > start)
            compose_port_release(&(*ports)[--*n]);
    }
    buf_release(&ip);
    buf_release(&pub);
    buf_release(&proto);
    return rc;
}
