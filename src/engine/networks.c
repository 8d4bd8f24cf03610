/* Networks: create, inspect, list, remove, connect. */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

int engine_network_create(struct engine *e, const struct engine_network_config *c, char **id_out,
                          struct ds_error *err)
{
    cJSON *body = NULL, *answer = NULL;
    int api, rc;

    if (id_out)
        *id_out = NULL;
    if (!engine_api_version(e) && (rc = engine_connect(e, err)) < 0)
        return rc;
    api = engine_api_version(e);
    if (c->disable_ipv4 && api < 1048) {
        ds_error_set(err, DS_EUNSUPPORTED,
                     "enable_ipv4: false needs Engine API 1.48 (Docker Engine 28.0 or newer); "
                     "this engine speaks %d.%d",
                     api / 1000, api % 1000);
        ds_error_hint(err, "upgrade the engine, or leave enable_ipv4 out");
        return DS_EUNSUPPORTED;
    }
    body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "Name", c->name);
    cJSON_AddStringToObject(body, "Driver", c->driver ? c->driver : "bridge");
    cJSON_AddBoolToObject(body, "CheckDuplicate", 1);
    if (c->internal)
        cJSON_AddBoolToObject(body, "Internal", 1);
    if (c->attachable)
        cJSON_AddBoolToObject(body, "Attachable", 1);
    if (c->enable_ipv6)
        cJSON_AddBoolToObject(body, "EnableIPv6", 1);
    if (c->disable_ipv4)
        cJSON_AddBoolToObject(body, "EnableIPv4", 0);
    if (c->options && c->options->n)
        cJSON_AddItemToObject(body, "Options", json_from_kvlist(c->options, false));
    if (c->ipam_driver || c->n_pools || (c->ipam_options && c->ipam_options->n)) {
        cJSON *ipam = cJSON_AddObjectToObject(body, "IPAM");
        cJSON *pools = cJSON_AddArrayToObject(ipam, "Config");

        cJSON_AddStringToObject(ipam, "Driver", c->ipam_driver ? c->ipam_driver : "default");
        if (c->ipam_options && c->ipam_options->n)
            cJSON_AddItemToObject(ipam, "Options", json_from_kvlist(c->ipam_options, false));
        for (size_t i = 0; i < c->n_pools; i++) {
            const struct engine_ipam_pool *p = &c->pools[i];
            cJSON *pool = cJSON_CreateObject();

            if (p->subnet)
                cJSON_AddStringToObject(pool, "Subnet", p->subnet);
            if (p->ip_range)
                cJSON_AddStringToObject(pool, "IPRange", p->ip_range);
            if (p->gateway)
                cJSON_AddStringToObject(pool, "Gateway", p->gateway);
            if (p->aux_addresses && p->aux_addresses->n)
                cJSON_AddItemToObject(pool, "AuxiliaryAddresses",
                                      json_from_kvlist(p->aux_addresses, false));
            cJSON_AddItemToArray(pools, pool);
        }
    }
    cJSON_AddItemToObject(body, "Labels", json_from_kvlist(&c->labels, false));
    rc = engine_call_json(e, "POST", "/networks/create", body, &answer, NULL, err);
    if (rc == 0 && id_out)
        *id_out = json_strdup(answer, "Id");
    cJSON_Delete(body);
    cJSON_Delete(answer);
    return rc;
}

void engine_network_info_from_json(const cJSON *doc, struct engine_network_info *out)
{
    const cJSON *containers = json_obj(doc, "Containers"), *c;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->containers);
    out->id = json_strdup(doc, "Id");
    out->name = json_strdup(doc, "Name");
    out->driver = json_strdup(doc, "Driver");
    out->scope = json_strdup(doc, "Scope");
    out->internal = json_bool(doc, "Internal");
    json_labels(cJSON_GetObjectItemCaseSensitive(doc, "Labels"), &out->labels);
    if (containers) {
        cJSON_ArrayForEach(c, containers)
        {
            if (c->string)
                strvec_push(&out->containers, c->string);
        }
    }
}

int engine_network_inspect(struct engine *e, const char *name, struct engine_network_info *out,
                           struct ds_error *err)
{
    cJSON *doc = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->containers);
    rc = engine_get_object(e, "networks", name, NULL, &doc, err);
    if (rc < 0)
        return rc;
    engine_network_info_from_json(doc, out);
    cJSON_Delete(doc);
    return 0;
}

void engine_network_info_release(struct engine_network_info *n)
{
    free(n->id);
    free(n->name);
    free(n->driver);
    free(n->scope);
    kvlist_clear(&n->labels);
    strvec_clear(&n->containers);
    memset(n, 0, sizeof(*n));
}

int engine_network_list(struct engine *e, const struct strvec *label_filters,
                        struct engine_network_list *out, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *doc = NULL;
    const cJSON *items, *item;
    int rc;

    memset(out, 0, sizeof(*out));
    buf_adds(&path, "/networks");
    engine_query_label_filters(&path, label_filters, false);
    rc = engine_get_list(e, path.buf, NULL, "networks", &doc, &items, err);
    buf_release(&path);
    if (rc < 0)
        return rc;
    out->items = xcalloc((size_t)cJSON_GetArraySize(items) + 1, sizeof(*out->items));
    cJSON_ArrayForEach(item, items) engine_network_info_from_json(item, &out->items[out->n++]);
    cJSON_Delete(doc);
    return 0;
}

void engine_network_list_release(struct engine_network_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        engine_network_info_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

int engine_network_remove(struct engine *e, const char *name, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    int rc;

    engine_path_object(&path, "networks", name, NULL);
    rc = engine_call_json(e, "DELETE", path.buf, NULL, NULL, NULL, err);
    buf_release(&path);
    return rc;
}

int engine_network_connect(struct engine *e, const char *container,
                           const struct engine_network_attachment *a, int api_version,
                           struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *body = cJSON_CreateObject();
    int rc;

    cJSON_AddStringToObject(body, "Container", container);
    cJSON_AddItemToObject(body, "EndpointConfig",
                          engine_endpoint_json(a, a->mac_address, api_version));
    engine_path_object(&path, "networks", a->network, "connect");
    rc = engine_call_json(e, "POST", path.buf, body, NULL, NULL, err);
    cJSON_Delete(body);
    buf_release(&path);
    return rc;
}

int engine_network_disconnect(struct engine *e, const char *network, const char *container,
                              bool force, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *body = cJSON_CreateObject();
    int rc;

    cJSON_AddStringToObject(body, "Container", container);
    if (force)
        cJSON_AddBoolToObject(body, "Force", 1);
    engine_path_object(&path, "networks", network, "disconnect");
    rc = engine_call_json(e, "POST", path.buf, body, NULL, NULL, err);
    cJSON_Delete(body);
    buf_release(&path);
    return rc;
}
