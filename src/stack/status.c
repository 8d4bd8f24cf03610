/* What `ps` and `up` show of a container's state, from the engine's State and Status words. */
#include <stdlib.h>
#include <string.h>

#include "stack/display.h"
#include "util/alloc.h"
#include "util/strutil.h"
#include "util/banned.h"

void stack_status_split(const char *status, struct buf *uptime, struct buf *health)
{
    const char *open, *rest;

    status = status ? status : "";
    open = strrchr(status, '(');
    /* "Exited (1) ..." holds an exit code and "Up 5 minutes (Paused)" the state, not health */
    if (open && str_ends_with(status, ")") && !str_starts_with(status, "Exited") &&
        strcmp(open, "(Paused)")) {
        buf_add(health, open + 1, strlen(open + 1) - 1);
        if (str_starts_with(health->buf, "health: "))
            buf_consume(health, 8); /* "(health: starting)" */
        buf_add(uptime, status, (size_t)(open - status));
    } else {
        buf_adds(uptime, status);
    }
    buf_rtrim(uptime);
    if (str_skip_prefix(uptime->buf, "Up ", &rest)) {
        char *copy = xstrdup(rest);
        buf_reset(uptime);
        buf_adds(uptime, copy);
        free(copy);
    } else {
        buf_reset(uptime);
    }
}

int stack_status_exit_code(const char *status)
{
    int code = 0;
    const char *open;

    if (status && str_starts_with(status, "Exited (") && (open = strchr(status, '(')))
        str_to_int(strndupa(open + 1, strcspn(open + 1, ")")), -1000, 1000, &code);
    return code;
}

void stack_status_state(struct buf *out, const char *state, const char *status)
{
    buf_adds(out, state ? state : "");
    if (state && !strcmp(state, "exited"))
        buf_addf(out, " (%d)", stack_status_exit_code(status));
}

void stack_status_summary(struct buf *out, const char *state, const char *status)
{
    struct buf uptime = BUF_INIT, health = BUF_INIT;

    stack_status_state(out, state, status);
    stack_status_split(status, &uptime, &health);
    if (health.len)
        buf_addf(out, " (%s)", health.buf);
    buf_release(&uptime);
    buf_release(&health);
}

void stack_ports_text(struct buf *out, const struct engine_published_port *ports, size_t n)
{
    size_t start = out->len;

    for (size_t i = 0; i < n; i++) {
        const struct engine_published_port *p = &ports[i];
        bool v6 = p->host_ip && strchr(p->host_ip, ':');

        /* the same port published on 0.0.0.0 and :: once is enough */
        if (v6 && n > 1 && i > 0 && ports[i - 1].target == p->target &&
            ports[i - 1].host_port == p->host_port)
            continue;
        buf_addf(out, "%s%s%s%s:%u->%u/%s", out->len > start ? ", " : "", v6 ? "[" : "",
                 p->host_ip ? p->host_ip : "", v6 ? "]" : "", p->host_port, p->target,
                 p->protocol ? p->protocol : "tcp");
    }
}
