/*
 * The resource, namespace, device, logging, deploy and hook keys on their way
 * to the engine, without one: the create body (HostConfig as Compose fills
 * it), references to other services resolved to their containers, the
 * config hash, and the plan (pull_policy daily, recreating a container that
 * names a recreated service's container).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/testlib.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

static const char project_yaml[] =
        "name: p\n"
        "services:\n"
        "  base:\n"
        "    image: busybox\n"
        "    pull_policy: daily\n"
        "  main:\n"
        "    image: busybox\n"
        "    network_mode: service:base\n"
        "    ipc: service:base\n"
        "    pid: host\n"
        "    volumes_from: [\"base:ro\", \"container:other-one\"]\n"
        "    tmpfs: [/run, \"/tmp:size=1m\"]\n"
        "    ulimits: {nofile: {soft: 10, hard: 20}, nproc: 5}\n"
        "    sysctls: {net.core.somaxconn: 1024}\n"
        "    devices: [\"/dev/null:/dev/n:rw\"]\n"
        "    cgroup: private\n"
        "    cgroup_parent: /parent\n"
        "    userns_mode: host\n"
        "    uts: host\n"
        "    runtime: runc\n"
        "    mem_limit: 64m\n"
        "    memswap_limit: -1\n"
        "    mem_reservation: 32m\n"
        "    mem_swappiness: 10\n"
        "    cpus: 0.5\n"
        "    cpu_shares: 512\n"
        "    cpu_period: 100000\n"
        "    cpu_quota: 50000\n"
        "    cpuset: \"0\"\n"
        "    pids_limit: 100\n"
        "    oom_kill_disable: true\n"
        "    oom_score_adj: 5\n"
        "    group_add: [\"42\"]\n"
        "    dns_search: [example.com]\n"
        "    dns_opt: [use-vc]\n"
        "    storage_opt: {size: 1G}\n"
        "    annotations: {a: \"1\"}\n"
        "    device_cgroup_rules: [\"c 1:3 mr\"]\n"
        "    logging: {driver: local, options: {max-size: 1m}}\n"
        "    blkio_config:\n"
        "      weight: 300\n"
        "      device_read_bps: [{path: /dev/sda, rate: 1mb}]\n"
        "    gpus: all\n"
        "    deploy:\n"
        "      resources:\n"
        "        limits: {memory: 64m, pids: 100, cpus: 0.5}\n"
        "        reservations:\n"
        "          memory: 32m\n"
        "          devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]\n"
        "      restart_policy: {condition: on-failure, max_attempts: 2}\n"
        "  side:\n"
        "    image: busybox\n"
        "    links: [\"base:db\"]\n"
        "    external_links: [outside, \"far:near\"]\n"
        "    mac_address: \"02:42:ac:11:65:43\"\n"
        "    deploy: {replicas: 2}\n";

static struct compose_project *load(void)
{
    return test_load_compose(project_yaml);
}

/* Every service has container 1, "id-<service>", named "p-<service>-1"; none when ud is set. */
static int lookup(const char *service, const char **id, const char **name, void *ud)
{
    static char ids[4][32], names[4][32];
    static int next;
    int k = next++ % 4;

    if (ud)
        return 0;
    snprintf(ids[k], sizeof(ids[k]), "id-%s", service);
    snprintf(names[k], sizeof(names[k]), "p-%s-1", service);
    *id = ids[k];
    *name = names[k];
    return 1;
}

/* Every service has two containers, listed newest first as the engine lists them; none with ud. */
static int list_names(const char *service, struct strvec *names, void *ud, struct ds_error *err)
{
    (void)err;
    if (ud)
        return 0;
    strvec_pushf(names, "p-%s-2", service);
    strvec_pushf(names, "p-%s-1", service);
    return 0;
}

/* The create body of a service's container `number` for API `api`, references resolved. */
static cJSON *body_of_number(struct compose_project *p, const char *service, int number, int api)
{
    const struct stack_lookup lookups = {lookup, list_names, NULL};
    struct engine_container_config c;
    struct ds_error err = DS_ERROR_INIT;
    cJSON *body;

    stack_container_config(p, compose_find_service(p, service), number, NULL, NULL, &c);
    if (stack_resolve_references(p, compose_find_service(p, service), number, &c, &lookups, &err) <
        0)
        fail_msg("resolving %s: %s", service, err.msg);
    body = engine_container_config_json(&c, api);
    engine_container_config_release(&c);
    return body;
}

/* The same of container 1. Caller frees. */
static cJSON *body_of(struct compose_project *p, const char *service, int api)
{
    return body_of_number(p, service, 1, api);
}

static void expect_member(const cJSON *obj, const char *key, const char *json, const char *what)
{
    cJSON *expected = cJSON_Parse(json);
    const cJSON *actual = cJSON_GetObjectItemCaseSensitive(obj, key);
    struct buf b = BUF_INIT;

    if (!expected)
        fail_msg("bad expected JSON for %s: %s", key, json);
    buf_addf(&b, "%s: %s", what, key);
    test_assert_json_equal(expected, actual, b.buf);
    buf_release(&b);
    cJSON_Delete(expected);
}

static void test_host_config(void **state)
{
    static const struct {
        const char *key, *json;
    } main_host[] = {
            {"NetworkMode", "\"container:id-base\""},
            {"IpcMode", "\"container:id-base\""},
            {"PidMode", "\"host\""},
            {"UTSMode", "\"host\""},
            {"UsernsMode", "\"host\""},
            {"CgroupnsMode", "\"private\""},
            {"CgroupParent", "\"/parent\""},
            {"Runtime", "\"runc\""},
            {"VolumesFrom", "[\"id-base:ro\", \"other-one\"]"},
            {"Tmpfs", "{\"/run\": \"\", \"/tmp\": \"size=1m\"}"},
            {"Ulimits", "[{\"Name\": \"nofile\", \"Soft\": 10, \"Hard\": 20}, {\"Name\": "
                        "\"nproc\", \"Soft\": 5, "
                        "\"Hard\": 5}]"},
            {"Sysctls", "{\"net.core.somaxconn\": \"1024\"}"},
            {"Devices", "[{\"PathOnHost\": \"/dev/null\", \"PathInContainer\": \"/dev/n\", "
                        "\"CgroupPermissions\": \"rw\"}]"},
            {"Memory", "67108864"},
            {"MemorySwap", "-1"},
            {"MemoryReservation", "33554432"},
            {"MemorySwappiness", "10"},
            {"NanoCpus", "500000000"},
            {"CpuShares", "512"},
            {"CpuPeriod", "100000"},
            {"CpuQuota", "50000"},
            {"CpusetCpus", "\"0\""},
            {"PidsLimit", "100"},
            {"OomKillDisable", "true"},
            {"OomScoreAdj", "5"},
            {"GroupAdd", "[\"42\"]"},
            {"DnsSearch", "[\"example.com\"]"},
            {"DnsOptions", "[\"use-vc\"]"},
            {"StorageOpt", "{\"size\": \"1G\"}"},
            {"DeviceCgroupRules", "[\"c 1:3 mr\"]"},
            {"LogConfig", "{\"Type\": \"local\", \"Config\": {\"max-size\": \"1m\"}}"},
            {"BlkioWeight", "300"},
            {"BlkioDeviceReadBps", "[{\"Path\": \"/dev/sda\", \"Rate\": 1048576}]"},
            /* deploy's reservation first, then gpus, which asks for the "gpu" capability */
            {"DeviceRequests",
             "[{\"Driver\": \"nvidia\", \"Count\": 1, \"DeviceIDs\": [], \"Capabilities\": "
             "[[\"gpu\"]], \"Options\": {}}, {\"Driver\": \"\", \"Count\": -1, \"DeviceIDs\": [], "
             "\"Capabilities\": [[\"gpu\"]], \"Options\": {}}]"},
            {"RestartPolicy", "{\"Name\": \"on-failure\", \"MaximumRetryCount\": 2}"},
    };
    struct compose_project *p = load();
    cJSON *body = body_of(p, "main", 1041), *body44 = body_of(p, "main", 1044);
    cJSON *side = body_of(p, "side", 1041), *side44 = body_of(p, "side", 1044);
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(body, "HostConfig");
    const cJSON *eps;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(main_host); i++)
        expect_member(host, main_host[i].key, main_host[i].json, "main, API 1.41");
    /* annotations only where the engine knows them (1.43) */
    assert_null(cJSON_GetObjectItemCaseSensitive(host, "Annotations"));
    expect_member(cJSON_GetObjectItemCaseSensitive(body44, "HostConfig"), "Annotations",
                  "{\"a\": \"1\"}", "main, API 1.44");
    /* network_mode service:X: no network of its own */
    assert_null(cJSON_GetObjectItemCaseSensitive(body, "NetworkingConfig"));

    /*
     * links to a service: each of its containers, as the engine lists them, under the alias and
     * Compose's two other names, which carry the linking container's number
     */
    host = cJSON_GetObjectItemCaseSensitive(side, "HostConfig");
    expect_member(host, "Links",
                  "[\"p-base-2:db\", \"p-base-2:base-1\", \"p-base-2:p-base-1\", "
                  "\"p-base-1:db\", \"p-base-1:base-1\", \"p-base-1:p-base-1\", "
                  "\"outside:outside\", \"far:near\"]",
                  "side");
    eps = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(side, "NetworkingConfig"), "EndpointsConfig");
    expect_member(cJSON_GetObjectItemCaseSensitive(eps, "p_default"), "Links",
                  "[\"p-base-2:db\", \"p-base-2:base-1\", \"p-base-2:p-base-1\", "
                  "\"p-base-1:db\", \"p-base-1:base-1\", \"p-base-1:p-base-1\", "
                  "\"outside:outside\", \"far:near\"]",
                  "side's endpoint");
    {
        cJSON *side2 = body_of_number(p, "side", 2, 1041);

        expect_member(cJSON_GetObjectItemCaseSensitive(side2, "HostConfig"), "Links",
                      "[\"p-base-2:db\", \"p-base-2:base-2\", \"p-base-2:p-base-2\", "
                      "\"p-base-1:db\", \"p-base-1:base-2\", \"p-base-1:p-base-2\", "
                      "\"outside:outside\", \"far:near\"]",
                      "side, container 2");
        cJSON_Delete(side2);
    }
    /* mac_address: the container's before 1.44, the first endpoint's from 1.44 */
    expect_member(side, "MacAddress", "\"02:42:ac:11:65:43\"", "side, API 1.41");
    assert_null(cJSON_GetObjectItemCaseSensitive(side44, "MacAddress"));
    eps = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(side44, "NetworkingConfig"), "EndpointsConfig");
    expect_member(cJSON_GetObjectItemCaseSensitive(eps, "p_default"), "MacAddress",
                  "\"02:42:ac:11:65:43\"", "side, API 1.44");

    cJSON_Delete(body);
    cJSON_Delete(body44);
    cJSON_Delete(side);
    cJSON_Delete(side44);
    compose_project_free(p);
}

/* A referenced service without a container: an error naming both, not a dangling reference. */
static void test_reference_without_container(void **state)
{
    struct compose_project *p = load();
    struct engine_container_config c;
    struct ds_error err = DS_ERROR_INIT;
    int dummy = 1;
    const struct stack_lookup lookups = {lookup, list_names, &dummy};

    (void)state;
    stack_container_config(p, compose_find_service(p, "main"), 1, NULL, NULL, &c);
    assert_int_equal(
            stack_resolve_references(p, compose_find_service(p, "main"), 1, &c, &lookups, &err),
            DS_ENOTFOUND);
    assert_string_equal(err.msg, "service 'main': network_mode shares the network of service "
                                 "'base', which has no container");
    assert_string_equal(err.hint, "start 'base' first (devstack up base)");
    ds_error_release(&err);
    engine_container_config_release(&c);

    /* links: a linked service without a container is named too */
    stack_container_config(p, compose_find_service(p, "side"), 1, NULL, NULL, &c);
    assert_int_equal(
            stack_resolve_references(p, compose_find_service(p, "side"), 1, &c, &lookups, &err),
            DS_ENOTFOUND);
    assert_string_equal(err.msg, "service 'side': links to service 'base', which has no container");
    ds_error_release(&err);
    engine_container_config_release(&c);
    compose_project_free(p);
}

static const char networks_yaml[] =
        "name: p\n"
        "services:\n"
        "  s:\n"
        "    image: busybox\n"
        "    mac_address: 02:42:ac:11:00:0a\n"
        "    networks:\n"
        "      a: {ipv4_address: 10.1.0.5}\n"
        "      front:\n"
        "        priority: 10\n"
        "        ipv6_address: fd00::5\n"
        "        link_local_ips: [169.254.8.8, fe80::8]\n"
        "        driver_opts: {com.example.x: \"1\"}\n"
        "        gw_priority: 7\n"
        "      z: {mac_address: 02:42:ac:11:00:0b, link_local_ips: [169.254.9.9]}\n"
        "networks: {a: {}, front: {}, z: {}}\n";

/*
 * A service's network keys in the create body: the networks by priority (then
 * name), each endpoint with its addresses, link-local IPs and driver options;
 * the MAC address the container's before API 1.44 and the endpoints' from
 * 1.44; gw_priority only from 1.48; before 1.44 only the first network.
 */
static void test_network_endpoints(void **state)
{
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;
    cJSON *b41, *b44, *b48;
    const cJSON *eps;

    (void)state;
    if (compose_load_text(&p, networks_yaml, strlen(networks_yaml), "/p/compose.yaml", &o, &err) <
        0)
        fail_msg("cannot load: %s", err.msg);
    b41 = body_of(p, "s", 1041);
    b44 = body_of(p, "s", 1044);
    b48 = body_of(p, "s", 1048);

    expect_member(cJSON_GetObjectItemCaseSensitive(b41, "HostConfig"), "NetworkMode", "\"p_front\"",
                  "API 1.41: the network of highest priority first");
    expect_member(b41, "MacAddress", "\"02:42:ac:11:00:0a\"", "API 1.41");
    eps = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(b41, "NetworkingConfig"), "EndpointsConfig");
    assert_int_equal(cJSON_GetArraySize(eps), 1);
    expect_member(eps, "p_front",
                  "{\"Aliases\": [\"s\"], \"IPAMConfig\": {\"IPv6Address\": \"fd00::5\", "
                  "\"LinkLocalIPs\": [\"169.254.8.8\", \"fe80::8\"]}, \"DriverOpts\": "
                  "{\"com.example.x\": \"1\"}}",
                  "API 1.41");

    assert_null(cJSON_GetObjectItemCaseSensitive(b44, "MacAddress"));
    eps = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(b44, "NetworkingConfig"), "EndpointsConfig");
    assert_int_equal(cJSON_GetArraySize(eps), 3);
    assert_string_equal(eps->child->string, "p_front");
    assert_string_equal(eps->child->next->string, "p_a");
    expect_member(eps, "p_front",
                  "{\"Aliases\": [\"s\"], \"IPAMConfig\": {\"IPv6Address\": \"fd00::5\", "
                  "\"LinkLocalIPs\": [\"169.254.8.8\", \"fe80::8\"]}, \"DriverOpts\": "
                  "{\"com.example.x\": \"1\"}, \"MacAddress\": \"02:42:ac:11:00:0a\"}",
                  "API 1.44");
    expect_member(eps, "p_a",
                  "{\"Aliases\": [\"s\"], \"IPAMConfig\": {\"IPv4Address\": \"10.1.0.5\"}}",
                  "API 1.44");
    expect_member(eps, "p_z",
                  "{\"Aliases\": [\"s\"], \"IPAMConfig\": {\"LinkLocalIPs\": [\"169.254.9.9\"]}, "
                  "\"MacAddress\": \"02:42:ac:11:00:0b\"}",
                  "API 1.44");

    eps = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(b48, "NetworkingConfig"), "EndpointsConfig");
    expect_member(cJSON_GetObjectItemCaseSensitive(eps, "p_front"), "GwPriority", "7", "API 1.48");

    cJSON_Delete(b41);
    cJSON_Delete(b44);
    cJSON_Delete(b48);
    compose_project_free(p);
}

/* A change of any of these keys changes the hash, so `up` recreates the container. */
static void test_hash_moves(void **state)
{
    static const char *const changes[][2] = {
            {"    cpu_shares: 512\n", "    cpu_shares: 513\n"},
            {"ulimits: {nofile: {soft: 10, hard: 20}", "ulimits: {nofile: {soft: 10, hard: 21}"},
            {"    tmpfs: [/run,", "    tmpfs: [/run2,"},
            {"logging: {driver: local,", "logging: {driver: json-file,"},
            {"driver: nvidia, count: 1,", "driver: nvidia, count: 2,"},
            {"    oom_score_adj: 5\n", "    oom_score_adj: 6\n"},
            {"    oom_kill_disable: true\n", "    oom_kill_disable: false\n"},
            {"    gpus: all\n", ""},
    };
    struct compose_project *p = load();
    char *before = stack_config_hash(p, compose_find_service(p, "main"), "sha256:i", NULL);

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(changes); i++) {
        struct buf text = BUF_INIT;
        const char *at = strstr(project_yaml, changes[i][0]);
        char *env[] = {NULL};
        struct compose_options o = {.environ = env, .project_directory = "/p"};
        struct compose_project *q = NULL;
        struct ds_error err = DS_ERROR_INIT;
        char *after;

        assert_non_null(at);
        buf_add(&text, project_yaml, (size_t)(at - project_yaml));
        buf_adds(&text, changes[i][1]);
        buf_adds(&text, at + strlen(changes[i][0]));
        if (compose_load_text(&q, text.buf, text.len, "/p/compose.yaml", &o, &err) < 0)
            fail_msg("change %zu: %s", i, err.msg);
        after = stack_config_hash(q, compose_find_service(q, "main"), "sha256:i", NULL);
        if (!strcmp(before, after))
            fail_msg("changing '%s' left the hash as it was", changes[i][0]);
        free(after);
        compose_project_free(q);
        buf_release(&text);
    }
    free(before);
    compose_project_free(p);
}

static void observe(const struct compose_project *p, int64_t tagged, struct stack_observed *o)
{
    memset(o, 0, sizeof(*o));
    o->containers = xcalloc(p->n_services + 1, sizeof(*o->containers));
    for (size_t i = 0; i < p->n_services; i++) {
        struct stack_container *c = &o->containers[o->n_containers++];
        char id[32];

        snprintf(id, sizeof(id), "id-%s", p->services[i].name);
        c->id = xstrdup(id);
        c->service = xstrdup(p->services[i].name);
        c->number = 1;
        c->name = stack_container_name(p, &p->services[i], 1);
        c->state = xstrdup("running");
        c->status = xstrdup("");
        c->image_id = xstrdup("sha256:img");
        /* base's container is out of date: it is recreated */
        c->hash = strcmp(c->service, "base")
                          ? stack_config_hash(p, &p->services[i], "sha256:img", NULL)
                          : xstrdup("0000");
    }
    o->networks = xcalloc(1, sizeof(*o->networks));
    o->networks[0].name = xstrdup("p_default");
    o->n_networks = 1;
    o->images = xcalloc(p->n_services + 1, sizeof(*o->images));
    for (size_t i = 0; i < p->n_services; i++) {
        o->images[i].service = xstrdup(p->services[i].name);
        o->images[i].ref = stack_image_ref(p, &p->services[i]);
        o->images[i].id = xstrdup("sha256:img");
        o->images[i].tagged = tagged;
    }
    o->n_images = p->n_services;
}

static char *plan_text(const struct compose_project *p, int64_t tagged)
{
    struct stack_observed o;
    struct stack_plan plan;
    struct stack_options opts = {0};
    struct strvec services = STRVEC_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct buf b = BUF_INIT;

    strvec_push(&services, "base");
    strvec_push(&services, "main");
    opts.services = &services;
    observe(p, tagged, &o);
    if (stack_plan(p, &o, &opts, &plan, &err) < 0)
        fail_msg("plan: %s", err.msg);
    for (size_t i = 0; i < plan.n; i++)
        buf_addf(&b, "%s %s%s%s%s\n", stack_action_name(plan.actions[i].kind),
                 plan.actions[i].service ? plan.actions[i].service : "-",
                 plan.actions[i].reason ? " (" : "",
                 plan.actions[i].reason ? plan.actions[i].reason : "",
                 plan.actions[i].reason ? ")" : "");
    stack_plan_release(&plan);
    stack_observed_release(&o);
    strvec_clear(&services);
    return buf_detach(&b, NULL);
}

/*
 * pull_policy: daily pulls an image last tagged more than a day ago, not a
 * fresher one; main, in base's network and IPC namespace, is recreated with it.
 */
static void test_plan(void **state)
{
    struct compose_project *p = load();
    char *fresh = plan_text(p, (int64_t)time(NULL) - 3600);
    char *stale = plan_text(p, (int64_t)time(NULL) - 2 * 24 * 3600);

    (void)state;
    assert_null(strstr(fresh, "pull base"));
    assert_non_null(strstr(stale, "pull base"));
    assert_non_null(strstr(fresh, "recreate base"));
    assert_non_null(
            strstr(fresh, "recreate main (it shares the container of a service made anew)"));
    free(fresh);
    free(stale);
    compose_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_host_config),
            cmocka_unit_test(test_reference_without_container),
            cmocka_unit_test(test_network_endpoints),
            cmocka_unit_test(test_hash_moves),
            cmocka_unit_test(test_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
