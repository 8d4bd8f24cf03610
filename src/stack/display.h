/*
 * What ps, ls and up show: a container's state, health, uptime, ports and
 * URLs, the table of services `up` ends with, the projects on the engine.
 * Pure: from what stack_list_containers() read.
 */
#ifndef DEVSTACK_STACK_DISPLAY_H
#define DEVSTACK_STACK_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "stack/stack.h"
#include "util/buf.h"
#include "util/strvec.h"

/*
 * From the engine's Status ("Up 3 minutes (healthy)", "Up 2 seconds (health:
 * starting)"): the uptime ("3 minutes"; empty when not up) and the health
 * ("healthy", "starting"; empty without a healthcheck), appended.
 */
void stack_status_split(const char *status, struct buf *uptime, struct buf *health);
/* The exit code in "Exited (3) 5 seconds ago"; 0 when there is none. */
int stack_status_exit_code(const char *status);
/* ps's STATE: the engine's State ("running"), with the exit code when exited ("exited (3)"). */
void stack_status_state(struct buf *out, const char *state, const char *status);
/* STATE and HEALTH in one: "running (healthy)", "exited (3)", "created". */
void stack_status_summary(struct buf *out, const char *state, const char *status);

/*
 * ps's PORTS: "127.0.0.1:8080->80/tcp, [::]:8443->443/tcp"; a port published
 * on 0.0.0.0 and :: alike is shown once. Appended to out.
 */
void stack_ports_text(struct buf *out, const struct engine_published_port *ports, size_t n);

/* The scheme a client speaks to a container port: "mysql" for 3306, ...; "http" when unknown. */
const char *stack_url_scheme(uint16_t target);
/* A published port's host address as a URL host: 127.0.0.1 for 0.0.0.0, :: or none; [v6]. */
void stack_url_host(struct buf *out, const char *host_ip);
/*
 * Append the URLs a service is reached at: the words of its dev.devstack.url
 * label (`label`, may be NULL) as given when it has any; else one per
 * published TCP port, "scheme://host:port" (with a trailing "/" for http and
 * https), in port order, each once (0.0.0.0 and :: give the same URL).
 */
void stack_service_urls(struct strvec *out, const char *label,
                        const struct engine_published_port *ports, size_t n);

/* A row of the table `up` ends with: an enabled service, its state, where it is reached. */
struct stack_service_row {
    const char *service; /* borrowed from the project */
    struct buf state;    /* "running (healthy)"; "-" without a container */
    struct strvec urls;
};

struct stack_service_rows {
    struct stack_service_row *items;
    size_t n;
};

/*
 * A row per enabled service of `p`, in the file's order, from its first
 * container (by container number) in `l`.
 */
void stack_service_rows(const struct compose_project *p, const struct stack_container_list *l,
                        struct stack_service_rows *out);
void stack_service_rows_release(struct stack_service_rows *r);

/* A row of `ls`: a compose project on the engine. */
struct stack_project_row {
    char *name;
    char *status;       /* its containers' states with counts: "exited(1), running(2)" */
    char *config_files; /* from the label of its first container */
    size_t running;
};

struct stack_project_rows {
    struct stack_project_row *items;
    size_t n;
};

/*
 * The projects of the containers in `l` (stack_list_containers() of every
 * project, one-offs and stopped ones included), sorted by name; without
 * `all`, only those with a running container.
 */
void stack_project_rows(const struct stack_container_list *l, bool all,
                        struct stack_project_rows *out);
void stack_project_rows_release(struct stack_project_rows *r);

#endif
