/* Request bodies the client sends, and answers it parses, against fixture JSON. */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

static void add_port(struct engine_container_config *c, uint16_t target, const char *proto,
                     bool publish, const char *ip, const char *port)
{
    struct engine_port *p = engine_container_config_add_port(c);

    p->target = target;
    p->protocol = proto ? xstrdup(proto) : NULL;
    p->publish = publish;
    p->host_ip = ip ? xstrdup(ip) : NULL;
    p->host_port = port ? xstrdup(port) : NULL;
}

static struct engine_mount *add_mount(struct engine_container_config *c,
                                      enum engine_mount_type type, const char *source,
                                      const char *target)
{
    struct engine_mount *m = engine_container_config_add_mount(c);

    m->type = type;
    m->source = source ? xstrdup(source) : NULL;
    m->target = xstrdup(target);
    return m;
}

/* The container a compose file's MySQL service turns into. */
static void db_service(struct engine_container_config *c)
{
    struct engine_network_attachment *a;
    struct engine_mount *m;

    engine_container_config_init(c);
    c->name = xstrdup("proj-db-1");
    c->image = xstrdup("proj-db");
    c->hostname = xstrdup("db");
    c->user = xstrdup("mysql");
    c->working_dir = xstrdup("/var/lib/mysql");
    c->tty = true;
    c->open_stdin = true;
    strvec_push(&c->env, "MYSQL_DATABASE=app");
    strvec_push(&c->env, "MYSQL_USER=app");
    strvec_push(&c->env, "TZ=UTC");
    c->cmd_set = true;
    strvec_push(&c->cmd, "mysqld");
    strvec_push(&c->cmd, "--character-set-server=utf8mb4");
    c->entrypoint_set = true;
    strvec_push(&c->entrypoint, "docker-entrypoint.sh");
    kvlist_set(&c->labels, "com.docker.compose.project", "proj");
    kvlist_set(&c->labels, "com.docker.compose.service", "db");
    kvlist_set(&c->labels, "com.docker.compose.container-number", "1");
    kvlist_set(&c->labels, "com.docker.compose.oneoff", "False");
    c->stop_signal = xstrdup("SIGTERM");
    c->stop_timeout = 20;
    c->healthcheck_set = true;
    strvec_push(&c->healthcheck.test, "CMD-SHELL");
    strvec_push(&c->healthcheck.test, "mysqladmin ping -h 127.0.0.1");
    c->healthcheck.interval_ns = 5000000000LL;
    c->healthcheck.timeout_ns = 3000000000LL;
    c->healthcheck.retries = 10;
    c->healthcheck.start_period_ns = 30000000000LL;
    c->healthcheck.start_interval_ns = 1000000000LL;

    add_port(c, 3306, NULL, true, "127.0.0.1", "3306");
    add_port(c, 33060, "tcp", false, NULL, NULL);
    add_port(c, 8125, "udp", true, "127.0.0.1", NULL);
    add_port(c, 8125, "udp", true, "::1", "8125");

    m = add_mount(c, ENGINE_MOUNT_VOLUME, "proj_db-data", "/var/lib/mysql");
    m->volume_nocopy = true;
    m = add_mount(c, ENGINE_MOUNT_BIND, "/src/proj/mysql/init.sql",
                  "/docker-entrypoint-initdb.d/init.sql");
    m->bind_create_host_path = true;
    m->read_only = true;
    m->bind_selinux = xstrdup("z");
    m = add_mount(c, ENGINE_MOUNT_BIND, "/src/proj/mysql/conf.d", "/etc/mysql/conf.d");
    m->read_only = true;
    m->bind_propagation = xstrdup("rprivate");
    m = add_mount(c, ENGINE_MOUNT_TMPFS, NULL, "/tmp");
    m->tmpfs_size = 64 << 20;
    m->tmpfs_mode = 01777;
    add_mount(c, ENGINE_MOUNT_VOLUME, NULL, "/cache");

    c->network_mode = xstrdup("proj_default");
    a = engine_container_config_add_network(c, "proj_default");
    strvec_push(&a->aliases, "db");
    a = engine_container_config_add_network(c, "proj_backend");
    strvec_push(&a->aliases, "db");
    strvec_push(&a->aliases, "mysql");
    a->ipv4_address = xstrdup("172.28.0.10");

    c->restart_policy = xstrdup("unless-stopped");
    c->init = 1;
    strvec_push(&c->cap_add, "SYS_NICE");
    strvec_push(&c->extra_hosts, "host.docker.internal:host-gateway");
}

static void no_entrypoint(struct engine_container_config *c)
{
    engine_container_config_init(c);
    c->image = xstrdup("alpine");
    c->cmd_set = true;
    c->entrypoint_set = true;
    c->attach_stdin = true;
    c->open_stdin = true;
    c->stdin_once = true;
    kvlist_set(&c->labels, "empty", NULL);
    c->healthcheck_set = true;
    strvec_push(&c->healthcheck.test, "NONE");
    c->restart_policy = xstrdup("on-failure");
    c->restart_max_retries = 5;
    c->init = 0;
    c->privileged = true;
    c->read_only_rootfs = true;
    c->shm_size = 256 << 20;
}

static void minimal(struct engine_container_config *c)
{
    engine_container_config_init(c);
    c->image = xstrdup("busybox:latest");
}

/* A document is one JSON value and nothing after it, as the engine sends it. */
static void test_json_parse_whole(void **state)
{
    static const struct {
        const char *text;
        size_t len; /* 0: strlen(text) */
        bool ok;
    } cases[] = {
            {"true", 0, true},
            {" {\"a\": 1}\r\n", 0, true},
            {"[1, 2]\n\n", 0, true},
            {"{} trailing", 2, true}, /* only len bytes are the document */
            {"true garbage", 0, false},
            {"{}{}", 0, false},
            {"[1],", 0, false},
            {"{\"a\": 1}\nnull", 0, false},
            {"\"s\"x", 0, false},
            {"", 0, false},
            {"  ", 0, false},
            {"nul", 0, false},
            {"{\"a\": ", 0, false},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        cJSON *doc = json_parse(cases[i].text, len);

        if (!!doc != cases[i].ok) {
            print_error("'%s' (%zu bytes): %s, expected %s\n", cases[i].text, len,
                        doc ? "parsed" : "refused", cases[i].ok ? "parsed" : "refused");
            bad++;
        }
        cJSON_Delete(doc);
    }
    assert_int_equal(bad, 0);
}

/* Numbers from the engine: out of range or infinite, the fallback, never an undefined cast. */
static void test_json_int_range(void **state)
{
    static const struct {
        const char *json;
        int64_t expect;
    } cases[] = {
            {"{\"n\": 42}", 42},
            {"{\"n\": -42.9}", -42},
            {"{\"n\": 9007199254740992}", 9007199254740992LL},
            {"{\"n\": -9223372036854775808}", INT64_MIN},
            {"{\"n\": 9223372036854775808}", -7},
            {"{\"n\": 1e19}", -7},
            {"{\"n\": -1e19}", -7},
            {"{\"n\": 1e400}", -7},
            {"{\"n\": -1e400}", -7},
            {"{\"n\": \"5\"}", -7},
            {"{}", -7},
    };
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cJSON *doc = cJSON_Parse(cases[i].json);
        int64_t got;

        assert_non_null(doc);
        got = json_int(doc, "n", -7);
        if (got != cases[i].expect) {
            print_error("%s: %lld, expected %lld\n", cases[i].json, (long long)got,
                        (long long)cases[i].expect);
            bad++;
        }
        cJSON_Delete(doc);
    }
    assert_int_equal(bad, 0);
}

static void test_create_bodies(void **state)
{
    static const struct {
        const char *name;
        void (*build)(struct engine_container_config *);
        int api;
        const char *fixture;
    } cases[] = {
            {"minimal", minimal, 1041, "fixtures/engine/create-minimal.json"},
            {"db service, API 1.41", db_service, 1041, "fixtures/engine/create-db-1.41.json"},
            {"db service, API 1.44", db_service, 1044, "fixtures/engine/create-db-1.44.json"},
            {"db service, API 1.47", db_service, 1047, "fixtures/engine/create-db-1.44.json"},
            {"no entrypoint", no_entrypoint, 1041, "fixtures/engine/create-no-entrypoint.json"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct engine_container_config c;
        cJSON *expected = test_load_json(cases[i].fixture);
        cJSON *actual;

        cases[i].build(&c);
        actual = engine_container_config_json(&c, cases[i].api);
        test_assert_json_equal(expected, actual, cases[i].name);
        cJSON_Delete(expected);
        cJSON_Delete(actual);
        engine_container_config_release(&c);
    }
}

static void test_exec_bodies(void **state)
{
    static const struct {
        const char *name;
        bool tty, stdin_, privileged;
        const char *user, *dir, *env;
        int rows, cols, api;
        const char *expected;
    } cases[] = {
            {"plain, stdin", false, true, false, NULL, NULL, NULL, 0, 0, 1041,
             "{\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":false,"
             "\"Cmd\":[\"sh\",\"-c\",\"echo $HOME\"]}"},
            {"user, dir, env, privileged", false, false, true, "app", "/srv", "A=1", 0, 0, 1041,
             "{\"AttachStdin\":false,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":false,"
             "\"Privileged\":true,\"User\":\"app\",\"WorkingDir\":\"/srv\",\"Env\":[\"A=1\"],"
             "\"Cmd\":[\"sh\",\"-c\",\"echo $HOME\"]}"},
            {"tty on 1.41: no ConsoleSize, a resize follows", true, true, false, NULL, NULL, NULL,
             40, 100, 1041,
             "{\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":true,"
             "\"Cmd\":[\"sh\",\"-c\",\"echo $HOME\"]}"},
            {"tty on 1.42: ConsoleSize [rows, cols]", true, true, false, NULL, NULL, NULL, 40, 100,
             1042,
             "{\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":true,"
             "\"Cmd\":[\"sh\",\"-c\",\"echo $HOME\"],\"ConsoleSize\":[40,100]}"},
            {"tty of unknown size: no ConsoleSize", true, true, false, NULL, NULL, NULL, 0, 0, 1047,
             "{\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":true,"
             "\"Cmd\":[\"sh\",\"-c\",\"echo $HOME\"]}"},
            {"no tty: a size is not sent", false, true, false, NULL, NULL, NULL, 40, 100, 1047,
             "{\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":false,"
             "\"Cmd\":[\"sh\",\"-c\",\"echo $HOME\"]}"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct engine_exec_config c = {.tty = cases[i].tty,
                                       .attach_stdin = cases[i].stdin_,
                                       .privileged = cases[i].privileged,
                                       .user = cases[i].user,
                                       .working_dir = cases[i].dir,
                                       .console_height = cases[i].rows,
                                       .console_width = cases[i].cols};
        cJSON *expected = cJSON_Parse(cases[i].expected);
        cJSON *actual;

        assert_non_null(expected);
        strvec_init(&c.cmd);
        strvec_init(&c.env);
        strvec_push(&c.cmd, "sh");
        strvec_push(&c.cmd, "-c");
        strvec_push(&c.cmd, "echo $HOME");
        if (cases[i].env)
            strvec_push(&c.env, cases[i].env);
        actual = engine_exec_config_json(&c, cases[i].api);
        test_assert_json_equal(expected, actual, cases[i].name);
        cJSON_Delete(expected);
        cJSON_Delete(actual);
        strvec_clear(&c.cmd);
        strvec_clear(&c.env);
    }
}

static void test_config_release_resets(void **state)
{
    struct engine_container_config c;

    (void)state;
    db_service(&c);
    engine_container_config_release(&c);
    assert_null(c.image);
    assert_int_equal(c.n_ports, 0);
    assert_int_equal(c.n_mounts, 0);
    assert_int_equal(c.n_networks, 0);
    assert_int_equal(c.env.n, 0);
    assert_int_equal(c.stop_timeout, -1);
    assert_int_equal(c.init, -1);
    /* reusable after release */
    minimal(&c);
    engine_container_config_release(&c);
}

static void test_parse_inspect_running(void **state)
{
    struct engine_container_info info;
    bool saw_80 = false, saw_81 = false;

    (void)state;
    engine_container_info_from_json(test_load_json("fixtures/engine/inspect-running-healthy.json"),
                                    &info);
    assert_string_equal(info.name, "fx-web-1");
    assert_int_equal(strlen(info.id), 64);
    assert_string_equal(info.status, "running");
    assert_true(info.running);
    assert_int_equal(info.exit_code, 0);
    assert_true(info.pid > 0);
    assert_string_equal(info.health, "healthy");
    assert_int_equal(info.n_health_log, 2);
    assert_int_equal(info.health_log[1].exit_code, 0);
    assert_false(info.tty);
    assert_string_equal(info.image, "dstest-busybox");
    assert_true(!strncmp(info.image_id, "sha256:", 7));
    assert_string_equal(kvlist_get(&info.labels, "com.docker.compose.service"), "web");
    assert_string_equal(kvlist_get(&info.labels, "com.docker.compose.project"), "fx");
    assert_int_equal(info.n_ports, 2);
    for (size_t i = 0; i < info.n_ports; i++) {
        const struct engine_published_port *p = &info.ports[i];

        assert_string_equal(p->host_ip, "127.0.0.1");
        if (p->target == 80) {
            assert_string_equal(p->protocol, "tcp");
            assert_int_equal(p->host_port, 18080);
            saw_80 = true;
        } else if (p->target == 81) {
            assert_string_equal(p->protocol, "udp");
            assert_true(p->host_port >= 1024);
            saw_81 = true;
        }
    }
    assert_true(saw_80 && saw_81);
    assert_int_equal(info.networks.n, 1);
    assert_string_equal(info.networks.v[0], "fx_default");
    /* fields not parsed stay reachable */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(info.raw, "HostConfig"));
    engine_container_info_release(&info);
}

static void test_parse_inspect_exited(void **state)
{
    struct engine_container_info info;

    (void)state;
    engine_container_info_from_json(test_load_json("fixtures/engine/inspect-exited.json"), &info);
    assert_string_equal(info.name, "fx-exited");
    assert_string_equal(info.status, "exited");
    assert_false(info.running);
    assert_int_equal(info.exit_code, 3);
    assert_null(info.health);
    assert_int_equal(info.n_ports, 0);
    engine_container_info_release(&info);
}

static void test_parse_list_network_volume_image(void **state)
{
    cJSON *doc;
    const cJSON *item;
    struct engine_container_summary s;
    struct engine_network_info n;
    struct engine_volume_info v;
    struct engine_image_info img;

    (void)state;
    doc = test_load_json("fixtures/engine/list.json");
    assert_int_equal(cJSON_GetArraySize(doc), 1);
    item = cJSON_GetArrayItem(doc, 0);
    engine_container_summary_from_json(item, &s);
    assert_string_equal(s.name, "fx-web-1");
    assert_string_equal(s.state, "running");
    assert_string_equal(s.image, "dstest-busybox");
    assert_true(s.created > 1700000000);
    assert_string_equal(kvlist_get(&s.labels, "com.docker.compose.project"), "fx");
    /* published ports only: 127.0.0.1:18080->80/tcp and 127.0.0.1:32768->81/udp */
    assert_int_equal(s.n_ports, 2);
    for (size_t i = 0; i < s.n_ports; i++) {
        assert_string_equal(s.ports[i].host_ip, "127.0.0.1");
        if (s.ports[i].target == 80) {
            assert_int_equal(s.ports[i].host_port, 18080);
            assert_string_equal(s.ports[i].protocol, "tcp");
        } else {
            assert_int_equal(s.ports[i].target, 81);
            assert_string_equal(s.ports[i].protocol, "udp");
        }
    }
    engine_container_summary_release(&s);
    cJSON_Delete(doc);

    doc = test_load_json("fixtures/engine/network.json");
    engine_network_info_from_json(doc, &n);
    assert_string_equal(n.name, "fx_default");
    assert_string_equal(n.driver, "bridge");
    assert_string_equal(kvlist_get(&n.labels, "com.docker.compose.project"), "fx");
    assert_int_equal(n.containers.n, 1);
    engine_network_info_release(&n);
    cJSON_Delete(doc);

    doc = test_load_json("fixtures/engine/volume.json");
    engine_volume_info_from_json(doc, &v);
    assert_string_equal(v.name, "fx_data");
    assert_string_equal(v.driver, "local");
    assert_string_equal(v.mountpoint, "/var/lib/docker/volumes/fx_data/_data");
    assert_string_equal(kvlist_get(&v.labels, "com.docker.compose.project"), "fx");
    engine_volume_info_release(&v);
    cJSON_Delete(doc);

    doc = test_load_json("fixtures/engine/image.json");
    engine_image_info_from_json(doc, &img);
    assert_true(!strncmp(img.id, "sha256:", 7));
    assert_int_equal(img.repo_tags.n, 1);
    assert_string_equal(img.repo_tags.v[0], "dstest-busybox:latest");
    assert_true(img.size > 1000000);
    assert_string_equal(img.architecture, "amd64");
    engine_image_info_release(&img);
    cJSON_Delete(doc);
}

static void test_label_filter_query(void **state)
{
    struct strvec labels = STRVEC_INIT;
    struct buf path = BUF_INIT;

    (void)state;
    buf_adds(&path, "/containers/json?all=1");
    engine_query_label_filters(&path, &labels, false);
    assert_string_equal(path.buf, "/containers/json?all=1"); /* no filter, no parameter */

    strvec_push(&labels, "com.docker.compose.project=my app");
    strvec_push(&labels, "com.docker.compose.oneoff=False");
    engine_query_label_filters(&path, &labels, false);
    assert_string_equal(path.buf,
                        "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22com.docker.compose."
                        "project%3Dmy%20app%22%2C%22com.docker.compose.oneoff%3DFalse%22%5D%7D");

    buf_reset(&path);
    buf_adds(&path, "/images/json");
    engine_query_label_filters(&path, NULL, true);
    assert_string_equal(path.buf, "/images/json?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D");

    buf_reset(&path);
    engine_path_object(&path, "containers", "a/b c", "json");
    assert_string_equal(path.buf, "/containers/a%2Fb%20c/json");
    buf_reset(&path);
    engine_path_object(&path, "volumes", "proj_data", NULL);
    assert_string_equal(path.buf, "/volumes/proj_data");
    strvec_clear(&labels);
    buf_release(&path);
}

/* ---- error answers --------------------------------------------------------- */

static void test_error_from_answer(void **state)
{
    static const struct {
        const char *what;
        long status;
        const char *body;
        int code;
        const char *msg; /* NULL: the 512 bytes of x that long_text gives */
    } cases[] = {
            /* Docker: {"message": ...} */
            {"docker 400", 400, "{\"message\":\"invalid reference format\"}\n", DS_EINVAL,
             "invalid reference format"},
            {"docker 404", 404, "{\"message\":\"No such container: proj-web-1\"}\n", DS_ENOTFOUND,
             "No such container: proj-web-1"},
            {"docker 409", 409,
             "{\"message\":\"Conflict. The container name \\\"/proj-web-1\\\" is already in use "
             "by container \\\"6a3b\\\".\"}",
             DS_ECONFLICT,
             "Conflict. The container name \"/proj-web-1\" is already in use by container "
             "\"6a3b\"."},
            {"docker 500, a port taken", 500,
             "{\"message\":\"driver failed programming external connectivity on endpoint web: "
             "Bind for 0.0.0.0:8080 failed: port is already allocated\"}",
             DS_EENGINE,
             "driver failed programming external connectivity on endpoint web: Bind for "
             "0.0.0.0:8080 failed: port is already allocated"},
            {"docker 401", 401, "{\"message\":\"unauthorized\"}", DS_EPERM, "unauthorized"},
            {"docker 403", 403, "{\"message\":\"forbidden\"}", DS_EPERM, "forbidden"},
            /* Podman: {"cause": ..., "message": ..., "response": N} */
            {"podman 400", 400,
             "{\"cause\":\"invalid argument\",\"message\":\"invalid config provided: bad "
             "port\",\"response\":400}",
             DS_EINVAL, "invalid config provided: bad port"},
            {"podman 404", 404,
             "{\"cause\":\"no such container\",\"message\":\"no container with name or ID "
             "\\\"x\\\" found: no such container\",\"response\":404}",
             DS_ENOTFOUND, "no container with name or ID \"x\" found: no such container"},
            {"podman 409", 409,
             "{\"cause\":\"network already exists\",\"message\":\"network name proj_default "
             "already used: network already exists\",\"response\":409}",
             DS_ECONFLICT, "network name proj_default already used: network already exists"},
            /* Podman before 4.4: a conflict as 500 */
            {"podman 500, a name in use", 500,
             "{\"cause\":\"that name is already in use\",\"message\":\"creating container "
             "storage: the container name \\\"proj-db-1\\\" is already in use by 6a3b: that "
             "name is already in use\",\"response\":500}",
             DS_ECONFLICT,
             "creating container storage: the container name \"proj-db-1\" is already in use "
             "by 6a3b: that name is already in use"},
            {"podman 500, a network that exists", 500,
             "{\"cause\":\"network already exists\",\"message\":\"network name proj_default "
             "already used: network already exists\",\"response\":500}",
             DS_ECONFLICT, "network name proj_default already used: network already exists"},
            {"podman 500, a volume that exists", 500,
             "{\"cause\":\"volume already exists\",\"message\":\"volume with name data already "
             "exists: volume already exists\",\"response\":500}",
             DS_ECONFLICT, "volume with name data already exists: volume already exists"},
            {"podman 500, another error", 500,
             "{\"cause\":\"no such file or directory\",\"message\":\"crun: executable file "
             "`nope` not found in $PATH\",\"response\":500}",
             DS_EENGINE, "crun: executable file `nope` not found in $PATH"},
            /* bodies that are not JSON: their text, trimmed and cut */
            {"text 502", 502, "Bad Gateway\r\n", DS_EENGINE, "Bad Gateway"},
            {"text 404", 404, "page not found\n", DS_ENOTFOUND, "page not found"},
            {"text 500, the words of a conflict", 500, "name already in use\n", DS_EENGINE,
             "name already in use"},
            {"long text 500", 500, NULL, DS_EENGINE, NULL},
            {"JSON without a message", 500, "{\"error\":\"x\"}", DS_EENGINE, "{\"error\":\"x\"}"},
            /* nothing to say: the status */
            {"empty 500", 500, "", DS_EENGINE, "the engine answered HTTP 500"},
            {"empty 404", 404, "", DS_ENOTFOUND, "the engine answered HTTP 404"},
            {"empty message 409", 409, "{\"message\":\"\"}", DS_ECONFLICT,
             "the engine answered HTTP 409"},
            {"blank 400", 400, " \n", DS_EINVAL, "the engine answered HTTP 400"},
            /* not an error, but not what was asked for either */
            {"301", 301, "<a href=\"/v1.41/x\">Moved Permanently</a>.\n", DS_EPROTO,
             "unexpected answer from the engine: HTTP 301"},
            {"204", 204, "", DS_EPROTO, "unexpected answer from the engine: HTTP 204"},
            {"201 with a message", 201, "{\"message\":\"odd\"}", DS_EPROTO, "odd"},
    };
    char long_text[600], expected_long[513];
    int bad = 0;

    (void)state;
    memset(long_text, 'x', sizeof(long_text));
    memset(expected_long, 'x', 512);
    expected_long[512] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        const char *body = cases[i].body ? cases[i].body : long_text;
        size_t len = cases[i].body ? strlen(cases[i].body) : sizeof(long_text);
        const char *msg = cases[i].msg ? cases[i].msg : expected_long;
        int rc = engine_error_from_answer(&err, cases[i].status, body, len);

        if (rc != cases[i].code || err.code != cases[i].code || !err.msg ||
            strcmp(err.msg, msg) != 0) {
            print_error("case %zu (%s): rc %d code %d \"%s\", expected %d \"%s\"\n", i,
                        cases[i].what, rc, err.code, err.msg ? err.msg : "(none)", cases[i].code,
                        msg);
            bad++;
        }
        /* the code does not depend on having somewhere to put the message */
        if (engine_error_from_answer(NULL, cases[i].status, body, len) != cases[i].code) {
            print_error("case %zu (%s): without err, another code\n", i, cases[i].what);
            bad++;
        }
        ds_error_release(&err);
    }
    if (bad)
        fail_msg("%d error answer cases failed", bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_parse_whole),
            cmocka_unit_test(test_json_int_range),
            cmocka_unit_test(test_create_bodies),
            cmocka_unit_test(test_exec_bodies),
            cmocka_unit_test(test_config_release_resets),
            cmocka_unit_test(test_parse_inspect_running),
            cmocka_unit_test(test_parse_inspect_exited),
            cmocka_unit_test(test_parse_list_network_volume_image),
            cmocka_unit_test(test_label_filter_query),
            cmocka_unit_test(test_error_from_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
