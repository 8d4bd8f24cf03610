/* What ps and up show of a container: its state, health, uptime and URLs. */
#ifndef DEVSTACK_STACK_DISPLAY_H
#define DEVSTACK_STACK_DISPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
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

#endif
