/*
 * Keys the engine in use is too old for. An engine ignores a create field
 * newer than its API without a word, so such a key is refused before
 * anything is made, naming where it is written and the engine it needs.
 */
#include <string.h>

#include "stack/internal.h"
#include "util/banned.h"

struct need {
    int api;                /* 0: none */
    struct compose_pos pos; /* where the key is written */
    long volume;            /* the index in volumes:, or -1 */
    const char *key;        /* "volume.subpath", below the volume if it is one */
};

static void need_set(struct need *n, int api, struct compose_pos pos, long volume, const char *key)
{
    /* the one written first is named: the one a reader meets first */
    if (n->api && (pos.line > n->pos.line || (pos.line == n->pos.line && pos.col >= n->pos.col)))
        return;
    n->api = api;
    n->pos = pos;
    n->volume = volume;
    n->key = key;
}

/* The key of s written first among those API `api` lacks. */
static void first_need(const struct compose_service *s, int api, struct need *n)
{
    memset(n, 0, sizeof(*n));
    for (size_t i = 0; i < s->n_volumes; i++) {
        const struct compose_mount *m = &s->volumes[i];

        if (m->type == COMPOSE_MOUNT_IMAGE && api < ENGINE_API_IMAGE_MOUNT)
            need_set(n, ENGINE_API_IMAGE_MOUNT, m->pos, (long)i, "type: image");
        else if (m->type == COMPOSE_MOUNT_VOLUME && m->subpath && api < ENGINE_API_VOLUME_SUBPATH)
            need_set(n, ENGINE_API_VOLUME_SUBPATH, m->pos, (long)i, "volume.subpath");
        else if (m->type == COMPOSE_MOUNT_BIND && m->recursive &&
                 (!strcmp(m->recursive, "writable") || !strcmp(m->recursive, "readonly")) &&
                 api < ENGINE_API_BIND_RO_RECURSIVE)
            need_set(n, ENGINE_API_BIND_RO_RECURSIVE, m->pos, (long)i, "bind.recursive");
    }
    if (s->ext->annotations.n && api < ENGINE_API_ANNOTATIONS)
        need_set(n, ENGINE_API_ANNOTATIONS, s->pos, -1, "annotations");
    if (s->healthcheck && s->healthcheck->start_interval > 0 && api < ENGINE_API_START_INTERVAL)
        need_set(n, ENGINE_API_START_INTERVAL, s->healthcheck->start_interval_pos, -1,
                 "healthcheck.start_interval");
}

int stack_check_engine_api(const struct compose_service *s, int api, struct ds_error *err)
{
    struct need n;
    struct buf b = BUF_INIT;
    const char *release;
    char want[16], have[16];

    first_need(s, api, &n);
    if (!n.api)
        return 0;
    engine_api_version_format(n.api, want, sizeof(want));
    engine_api_version_format(api, have, sizeof(have));
    release = engine_api_docker_release(n.api);
    if (n.pos.file)
        buf_addf(&b, "%s:%d:%d: ", n.pos.file, n.pos.line, n.pos.col);
    buf_addf(&b, "services.%s.", s->name);
    if (n.volume >= 0)
        buf_addf(&b, "volumes[%ld].", n.volume);
    buf_addf(&b, "%s needs Docker Engine %s or newer (Engine API %s); ", n.key,
             release ? release : want, want);
    if (n.api > ENGINE_API_MAX && api >= ENGINE_API_MAX)
        buf_addf(&b, "devstack speaks Engine API %s at most", have);
    else
        buf_addf(&b, "this engine speaks Engine API %s", have);
    ds_error_set(err, DS_EUNSUPPORTED, "%s", b.buf);
    ds_error_hint(err, "%s, or take the key out of service '%s'",
                  n.api > ENGINE_API_MAX && api >= ENGINE_API_MAX
                          ? "devstack cannot do it yet on any engine"
                          : "use a newer engine (DOCKER_HOST)",
                  s->name);
    buf_release(&b);
    return DS_EUNSUPPORTED;
}
