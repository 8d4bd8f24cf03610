/*
 * The configuration hash `docker compose config --hash` prints for a service:
 * the SHA-256 of the service as Compose's Go types marshal it to JSON, without
 * build, pull_policy, scale and deploy.replicas (which recreate nothing).
 */
#ifndef DEVSTACK_COMPOSE_HASH_H
#define DEVSTACK_COMPOSE_HASH_H

#include <cjson/cJSON.h>

#include "compose/compose.h"
#include "util/buf.h"

/*
 * Append the text that is hashed: `service` (in the shape of
 * compose_service_to_json(), borrowed) as compact JSON with Go's key order
 * and string escapes.
 */
void compose_hash_text(struct buf *out, const cJSON *service);
/* The hash of one service, as 64 lowercase hex digits and a NUL. */
void compose_hash_service(char out[65], const struct compose_service *service);

#endif
