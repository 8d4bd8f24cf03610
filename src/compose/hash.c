/*
 * A service's configuration hash as `docker compose config --hash` prints it
 * (docker/compose pkg/compose/hash.go, ServiceHash): the SHA-256 of the
 * service marshalled by Go's encoding/json, without build, pull_policy,
 * scale and deploy.replicas. That text is the service as `config --format
 * json` shows it, written compactly with Go's key order (a struct's fields
 * in declaration order, a map's keys sorted) and Go's string escapes. The
 * field orders below are those of compose-go v2.4.8's types, which the
 * Compose 2.26 of Debian 13 is built with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "compose/hash.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

#define ORDER(...) ((const char *const[]){__VA_ARGS__, NULL})
#define SORTED     NULL

/*
 * Where in a service an object sits ("ports[]", "depends_on.*", ...) and how
 * Go orders its keys: fields in this order, or (SORTED) a map's keys sorted.
 * An object found nowhere here keeps the order `config` printed it in.
 */
static const struct go_shape {
    const char *where;
    const char *const *fields;
} shapes[] = {
        {"", ORDER("profiles", "annotations", "attach", "build", "develop", "blkio_config",
                   "cap_add", "cap_drop", "cgroup_parent", "cgroup", "cpu_count", "cpu_percent",
                   "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpus", "cpuset",
                   "cpu_shares", "command", "configs", "container_name", "credential_spec",
                   "depends_on", "deploy", "device_cgroup_rules", "devices", "dns", "dns_opt",
                   "dns_search", "dockerfile", "domainname", "entrypoint", "environment",
                   "env_file", "expose", "extends", "external_links", "extra_hosts", "group_add",
                   "gpus", "hostname", "healthcheck", "image", "init", "ipc", "isolation", "labels",
                   "label_file", "links", "logging", "log_driver", "log_opt", "mem_limit",
                   "mem_reservation", "memswap_limit", "mem_swappiness", "mac_address", "net",
                   "network_mode", "networks", "oom_kill_disable", "oom_score_adj", "pid",
                   "pids_limit", "platform", "ports", "privileged", "pull_policy", "read_only",
                   "restart", "runtime", "scale", "secrets", "security_opt", "shm_size",
                   "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "sysctls",
                   "tmpfs", "tty", "ulimits", "user", "userns_mode", "uts", "volume_driver",
                   "volumes", "volumes_from", "working_dir", "post_start", "pre_stop")},
        {"annotations", SORTED},
        {"labels", SORTED},
        {"environment", SORTED},
        {"sysctls", SORTED},
        {"storage_opt", SORTED},
        {"log_opt", SORTED},
        {"depends_on", SORTED},
        {"depends_on.*", ORDER("condition", "restart", "required")},
        {"networks", SORTED},
        {"networks.*", ORDER("priority", "gw_priority", "aliases", "ipv4_address", "ipv6_address",
                             "link_local_ips", "mac_address", "driver_opts")},
        {"networks.*.driver_opts", SORTED},
        {"ports[]",
         ORDER("name", "mode", "host_ip", "target", "published", "protocol", "app_protocol")},
        {"volumes[]",
         ORDER("type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs")},
        {"volumes[].bind", ORDER("selinux", "propagation", "create_host_path", "recursive")},
        {"volumes[].volume", ORDER("nocopy", "subpath")},
        {"volumes[].tmpfs", ORDER("size", "mode")},
        {"healthcheck", ORDER("test", "timeout", "interval", "retries", "start_period",
                              "start_interval", "disable")},
        {"env_file[]", ORDER("path", "required", "format")},
        {"extends", ORDER("file", "service")},
        {"secrets[]", ORDER("source", "target", "uid", "gid", "mode")},
        {"configs[]", ORDER("source", "target", "uid", "gid", "mode")},
        {"devices[]", ORDER("source", "target", "permissions")},
        {"credential_spec", ORDER("config", "file", "registry")},
        {"logging", ORDER("driver", "options")},
        {"logging.options", SORTED},
        {"ulimits", SORTED},
        {"ulimits.*", ORDER("single", "soft", "hard")},
        {"gpus[]", ORDER("capabilities", "driver", "count", "device_ids", "options")},
        {"gpus[].options", SORTED},
        {"deploy", ORDER("mode", "replicas", "labels", "update_config", "rollback_config",
                         "resources", "restart_policy", "placement", "endpoint_mode")},
        {"deploy.labels", SORTED},
        {"deploy.update_config",
         ORDER("parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order")},
        {"deploy.rollback_config",
         ORDER("parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order")},
        {"deploy.resources", ORDER("limits", "reservations")},
        {"deploy.resources.limits",
         ORDER("cpus", "memory", "pids", "devices", "generic_resources")},
        {"deploy.resources.reservations",
         ORDER("cpus", "memory", "pids", "devices", "generic_resources")},
        {"deploy.resources.limits.devices[]",
         ORDER("capabilities", "driver", "count", "device_ids", "options")},
        {"deploy.resources.reservations.devices[]",
         ORDER("capabilities", "driver", "count", "device_ids", "options")},
        {"deploy.restart_policy", ORDER("condition", "delay", "max_attempts", "window")},
        {"deploy.placement", ORDER("constraints", "preferences", "max_replicas_per_node")},
        {"blkio_config", ORDER("weight", "weight_device", "device_read_bps", "device_read_iops",
                               "device_write_bps", "device_write_iops")},
        {"post_start[]", ORDER("command", "user", "privileged", "working_dir", "environment")},
        {"pre_stop[]", ORDER("command", "user", "privileged", "working_dir", "environment")},
        {"develop", ORDER("watch")},
        {"develop.watch[]",
         ORDER("path", "action", "target", "exec", "ignore", "include", "initial_sync")},
        {"develop.watch[].exec",
         ORDER("command", "user", "privileged", "working_dir", "environment")},
        {"develop.watch[].exec.environment", SORTED},
        {"post_start[].environment", SORTED},
        {"pre_stop[].environment", SORTED},
};

static const struct go_shape *shape_of(const char *where, bool *found)
{
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        if (!strcmp(shapes[i].where, where)) {
            *found = true;
            return &shapes[i];
        }
    }
    *found = false;
    return NULL;
}

/* A string as Go's encoding/json writes it (HTML characters escaped, as json.Marshal does). */
static void go_string(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;

    buf_addch(out, '"');
    for (; *p; p++) {
        unsigned char c = *p;

        switch (c) {
        case '"':
            buf_adds(out, "\\\"");
            continue;
        case '\\':
            buf_adds(out, "\\\\");
            continue;
        case '\n':
            buf_adds(out, "\\n");
            continue;
        case '\r':
            buf_adds(out, "\\r");
            continue;
        case '\t':
            buf_adds(out, "\\t");
            continue;
        case '\b':
            buf_adds(out, "\\b");
            continue;
        case '\f':
            buf_adds(out, "\\f");
            continue;
        case '<':
        case '>':
        case '&':
            break;
        default:
            /* U+2028 and U+2029, which JavaScript reads as line ends */
            if (c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
                buf_adds(out, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
                p += 2;
                continue;
            }
            if (c >= 0x20) {
                buf_addch(out, (char)c);
                continue;
            }
        }
        buf_adds(out, "\\u00");
        buf_addch(out, hex[c >> 4]);
        buf_addch(out, hex[c & 15]);
    }
    buf_addch(out, '"');
}

/* Numbers: integers as integers; a fraction as the shortest text a float32 reads back from. */
static void go_number(struct buf *out, double v)
{
    char text[64];

    if (v == (double)(long long)v && v > -1e18 && v < 1e18) {
        buf_addf(out, "%lld", (long long)v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(text, sizeof(text), "%.*g", prec, v);
        if (strtof(text, NULL) == (float)v)
            break;
    }
    buf_adds(out, text);
}

static void go_value(struct buf *out, const cJSON *v, const char *where);

static int compare_names(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static void go_member(struct buf *out, const cJSON *item, const char *where, bool map, bool *first)
{
    struct buf inner = BUF_INIT;

    if (!*first)
        buf_addch(out, ',');
    *first = false;
    go_string(out, item->string);
    buf_addch(out, ':');
    if (map)
        buf_addf(&inner, "%s%s*", where, *where ? "." : "");
    else
        buf_addf(&inner, "%s%s%s", where, *where ? "." : "", item->string);
    go_value(out, item, inner.buf);
    buf_release(&inner);
}

static void go_object(struct buf *out, const cJSON *obj, const char *where)
{
    bool found, first = true;
    const struct go_shape *shape = shape_of(where, &found);
    const cJSON *item;

    buf_addch(out, '{');
    if (found && !shape->fields) {
        size_t n = (size_t)cJSON_GetArraySize(obj), i = 0;
        const cJSON **items = xcalloc(n ? n : 1, sizeof(*items));

        cJSON_ArrayForEach(item, obj) items[i++] = item;
        qsort(items, n, sizeof(*items), compare_names);
        for (i = 0; i < n; i++)
            go_member(out, items[i], where, true, &first);
        free(items);
    } else if (found) {
        for (const char *const *f = shape->fields; *f; f++) {
            item = cJSON_GetObjectItemCaseSensitive(obj, *f);
            if (item)
                go_member(out, item, where, false, &first);
        }
        /* what Go's type does not know is not hashed by Compose either; keep it visible */
        cJSON_ArrayForEach(item, obj)
        {
            bool known = false;

            for (const char *const *f = shape->fields; *f && !known; f++)
                known = !strcmp(*f, item->string);
            if (!known)
                go_member(out, item, where, false, &first);
        }
    } else {
        cJSON_ArrayForEach(item, obj) go_member(out, item, where, false, &first);
    }
    buf_addch(out, '}');
}

static void go_value(struct buf *out, const cJSON *v, const char *where)
{
    const cJSON *item;
    bool first = true;

    if (cJSON_IsString(v)) {
        go_string(out, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        go_number(out, v->valuedouble);
    } else if (cJSON_IsTrue(v)) {
        buf_adds(out, "true");
    } else if (cJSON_IsFalse(v)) {
        buf_adds(out, "false");
    } else if (cJSON_IsArray(v)) {
        struct buf inner = BUF_INIT;

        buf_addf(&inner, "%s[]", where);
        buf_addch(out, '[');
        cJSON_ArrayForEach(item, v)
        {
            if (!first)
                buf_addch(out, ',');
            first = false;
            go_value(out, item, inner.buf);
        }
        buf_addch(out, ']');
        buf_release(&inner);
    } else if (cJSON_IsObject(v)) {
        go_object(out, v, where);
    } else {
        buf_adds(out, "null");
    }
}

void compose_hash_text(struct buf *out, const cJSON *service)
{
    cJSON *s = cJSON_Duplicate(service, true);
    cJSON *deploy;

    /* what Compose leaves out of the hash: changing these recreates nothing */
    cJSON_DeleteItemFromObjectCaseSensitive(s, "build");
    cJSON_DeleteItemFromObjectCaseSensitive(s, "pull_policy");
    cJSON_DeleteItemFromObjectCaseSensitive(s, "scale");
    deploy = cJSON_GetObjectItemCaseSensitive(s, "deploy");
    if (deploy)
        cJSON_DeleteItemFromObjectCaseSensitive(deploy, "replicas");
    /* command and entrypoint have no omitempty in Go: unset, they are null */
    if (!cJSON_HasObjectItem(s, "command"))
        cJSON_AddNullToObject(s, "command");
    if (!cJSON_HasObjectItem(s, "entrypoint"))
        cJSON_AddNullToObject(s, "entrypoint");
    go_value(out, s, "");
    cJSON_Delete(s);
}

void compose_hash_service(char out[65], const struct compose_service *service)
{
    static const char hex[] = "0123456789abcdef";
    cJSON *json = compose_service_to_json(service);
    struct buf text = BUF_INIT;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    compose_hash_text(&text, json);
    EVP_Digest(text.buf, text.len, md, &len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < len && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    buf_release(&text);
    cJSON_Delete(json);
}
