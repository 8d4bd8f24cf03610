/*
 * The Engine API client against the real engine that `make setup` started,
 * with a registry-free busybox image imported here. Every object carries the
 * label devstack.test=<pid> and the project label of a per-run project, and
 * the last test checks that nothing of the run is left.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "engine/engine.h"
#include "util/alloc.h"
#include "util/strutil.h"
#include "util/banned.h"

#define IMAGE "devstack-test/busybox:latest"

struct run {
    struct engine *e;
    char project[64], label[64], project_label[96];
    char network[96], backend[96], volume[96], built_image[96];
    char *short_id, *long_id; /* containers A and B */
    struct strvec filters;    /* label filters that select this run's objects */
};

static struct run R;

struct output {
    struct buf out, err;
};

static int capture(int stream, const char *data, size_t len, void *ud)
{
    struct output *o = ud;

    buf_add(stream == 2 ? &o->err : &o->out, data, len);
    return 0;
}

static void output_release(struct output *o)
{
    buf_release(&o->out);
    buf_release(&o->err);
}

static void check(int rc, struct ds_error *err, const char *what)
{
    if (rc < 0)
        fail_msg("%s: %s", what, err->msg ? err->msg : "(no message)");
}

/* Import the test rootfs as repo:tag. */
static int import_rootfs(const char *repo, const char *tag, struct ds_error *err)
{
    FILE *f = fopen("build/test-images/busybox-rootfs.tar", "rb");
    int rc;

    if (!f)
        return ds_error_set(err, DS_ENOTFOUND,
                            "cannot open build/test-images/busybox-rootfs.tar: "
                            "run tests/integration/prepare.sh");
    rc = engine_image_import(R.e, repo, tag, test_file_read, f, NULL, NULL, err);
    fclose(f);
    return rc;
}

/* The shared test image, imported once per engine. */
static int ensure_image(void)
{
    struct ds_error err = DS_ERROR_INIT;
    struct engine_image_info info;
    int rc = engine_image_inspect(R.e, IMAGE, &info, &err);

    if (rc == 0)
        engine_image_info_release(&info);
    else if (rc == DS_ENOTFOUND)
        rc = import_rootfs("devstack-test/busybox", "latest", &err);
    if (rc < 0)
        fprintf(stderr, "test image: %s\n", err.msg);
    ds_error_release(&err);
    return rc;
}

static int group_setup(void **state)
{
    struct engine_endpoint ep;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    if (engine_endpoint_resolve(&ep, NULL, &err) < 0 || engine_new(&R.e, &ep, &err) < 0 ||
        engine_connect(R.e, &err) < 0) {
        fprintf(stderr, "no engine: %s\n", err.msg);
        return -1;
    }
    engine_endpoint_release(&ep);
    snprintf(R.project, sizeof(R.project), "dstest%s", test_run_id());
    snprintf(R.label, sizeof(R.label), "devstack.test=%s", test_run_id());
    snprintf(R.project_label, sizeof(R.project_label), "com.docker.compose.project=%s", R.project);
    snprintf(R.network, sizeof(R.network), "%s_default", R.project);
    snprintf(R.backend, sizeof(R.backend), "%s_backend", R.project);
    snprintf(R.volume, sizeof(R.volume), "%s_data", R.project);
    snprintf(R.built_image, sizeof(R.built_image), "devstack-test/built-%s:latest", R.project);
    strvec_init(&R.filters);
    strvec_push(&R.filters, R.label);
    strvec_push(&R.filters, R.project_label);
    return ensure_image();
}

static int group_teardown(void **state)
{
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    engine_set_cancel_flag(R.e, NULL);
    /* best effort, for runs that failed half-way */
    if (R.short_id)
        engine_container_remove(R.e, R.short_id, true, true, &err);
    if (R.long_id)
        engine_container_remove(R.e, R.long_id, true, true, &err);
    engine_network_remove(R.e, R.network, &err);
    engine_network_remove(R.e, R.backend, &err);
    engine_volume_remove(R.e, R.volume, true, &err);
    engine_image_remove(R.e, R.built_image, true, NULL, &err);
    ds_error_release(&err);
    free(R.short_id);
    free(R.long_id);
    strvec_clear(&R.filters);
    engine_free(R.e);
    return 0;
}

static void labels_for_run(struct kvlist *labels, const char *service)
{
    kvlist_set(labels, "devstack.test", test_run_id());
    kvlist_set(labels, "com.docker.compose.project", R.project);
    if (service)
        kvlist_set(labels, "com.docker.compose.service", service);
}

static void test_system(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct engine_version v;
    struct engine_info info;
    struct engine_ping ping;

    (void)state;
    assert_true(engine_api_version(R.e) >= ENGINE_API_MIN);
    assert_true(engine_api_version(R.e) <= ENGINE_API_MAX);
    check(engine_ping(R.e, &ping, &err), &err, "ping");
    assert_non_null(ping.api_version);
    engine_ping_release(&ping);
    check(engine_version(R.e, &v, &err), &err, "version");
    assert_non_null(v.version);
    assert_non_null(v.api_version);
    engine_version_release(&v);
    check(engine_info(R.e, &info, &err), &err, "info");
    assert_non_null(info.storage_driver);
    assert_non_null(info.docker_root_dir);
    assert_true(info.ncpu >= 1);
    engine_info_release(&info);
}

static void test_network_and_volume(void **state)
{
    struct engine_network_config nc = {.name = R.network};
    struct engine_volume_config vc = {.name = R.volume};
    struct engine_network_info ni;
    struct engine_volume_info vi;
    struct engine_network_list nl;
    struct engine_volume_list vl;
    struct ds_error err = DS_ERROR_INIT;
    char *id = NULL;

    (void)state;
    labels_for_run(&nc.labels, NULL);
    kvlist_set(&nc.labels, "com.docker.compose.network", "default");
    check(engine_network_create(R.e, &nc, &id, &err), &err, "network create");
    assert_non_null(id);
    check(engine_network_inspect(R.e, R.network, &ni, &err), &err, "network inspect");
    assert_string_equal(ni.id, id);
    assert_string_equal(ni.driver, "bridge");
    assert_string_equal(kvlist_get(&ni.labels, "com.docker.compose.network"), "default");
    engine_network_info_release(&ni);
    nc.name = R.backend;
    kvlist_set(&nc.labels, "com.docker.compose.network", "backend");
    check(engine_network_create(R.e, &nc, NULL, &err), &err, "network create backend");
    nc.name = R.network;
    kvlist_set(&nc.labels, "com.docker.compose.network", "default");
    check(engine_network_list(R.e, &R.filters, &nl, &err), &err, "network list");
    assert_int_equal(nl.n, 2);
    engine_network_list_release(&nl);
    /* a second network of the same name is a conflict, not a duplicate */
    assert_int_equal(engine_network_create(R.e, &nc, NULL, &err), DS_ECONFLICT);
    ds_error_release(&err);
    kvlist_clear(&nc.labels);
    free(id);

    labels_for_run(&vc.labels, NULL);
    kvlist_set(&vc.labels, "com.docker.compose.volume", "data");
    check(engine_volume_create(R.e, &vc, NULL, &err), &err, "volume create");
    check(engine_volume_inspect(R.e, R.volume, &vi, &err), &err, "volume inspect");
    assert_string_equal(vi.name, R.volume);
    assert_string_equal(vi.driver, "local");
    assert_string_equal(kvlist_get(&vi.labels, "com.docker.compose.volume"), "data");
    engine_volume_info_release(&vi);
    check(engine_volume_list(R.e, &R.filters, &vl, &err), &err, "volume list");
    assert_int_equal(vl.n, 1);
    assert_string_equal(vl.items[0].name, R.volume);
    engine_volume_list_release(&vl);
    kvlist_clear(&vc.labels);
}

/* A container on the run's network with the run's volume at /data. */
static void base_config(struct engine_container_config *c, const char *service)
{
    struct engine_mount *m;
    struct engine_network_attachment *a;

    engine_container_config_init(c);
    c->image = xstrdup(IMAGE);
    labels_for_run(&c->labels, service);
    c->network_mode = xstrdup(R.network);
    a = engine_container_config_add_network(c, R.network);
    strvec_push(&a->aliases, service);
    m = engine_container_config_add_mount(c);
    m->type = ENGINE_MOUNT_VOLUME;
    m->source = xstrdup(R.volume);
    m->target = xstrdup("/data");
}

static void test_container_output_and_exit(void **state)
{
    struct engine_container_config c;
    struct engine_container_info info;
    struct engine_logs_opts lo = {0};
    struct output o = {BUF_INIT, BUF_INIT};
    struct ds_error err = DS_ERROR_INIT;
    char name[128];
    int code = -1;

    (void)state;
    base_config(&c, "oneshot");
    snprintf(name, sizeof(name), "%s-oneshot-1", R.project);
    c.name = xstrdup(name);
    c.cmd_set = true;
    strvec_push(&c.cmd, "sh");
    strvec_push(&c.cmd, "-c");
    strvec_push(&c.cmd, "echo out-line; echo err-line >&2; echo \"$GREETING\" > /data/f; exit 3");
    strvec_push(&c.env, "GREETING=payload from the volume");
    check(engine_container_create(R.e, &c, &R.short_id, NULL, &err), &err, "create");

    /* the same name again: a conflict the caller can name */
    {
        char *dup = NULL;
        assert_int_equal(engine_container_create(R.e, &c, &dup, NULL, &err), DS_ECONFLICT);
        assert_non_null(strstr(err.msg, name));
        ds_error_release(&err);
        assert_null(dup);
    }
    engine_container_config_release(&c);

    check(engine_container_start(R.e, R.short_id, &err), &err, "start");
    check(engine_container_wait(R.e, R.short_id, "not-running", &code, &err), &err, "wait");
    assert_int_equal(code, 3);

    check(engine_container_logs(R.e, R.short_id, &lo, capture, &o, &err), &err, "logs");
    assert_string_equal(o.out.buf, "out-line\n");
    assert_string_equal(o.err.buf, "err-line\n");
    output_release(&o);

    lo.no_stderr = true;
    check(engine_container_logs(R.e, R.short_id, &lo, capture, &o, &err), &err, "logs stdout");
    assert_string_equal(o.out.buf, "out-line\n");
    assert_int_equal(o.err.len, 0);
    output_release(&o);

    check(engine_container_inspect(R.e, name, &info, &err), &err, "inspect");
    assert_string_equal(info.id, R.short_id);
    assert_string_equal(info.name, name);
    assert_string_equal(info.status, "exited");
    assert_int_equal(info.exit_code, 3);
    assert_false(info.running);
    assert_string_equal(kvlist_get(&info.labels, "com.docker.compose.service"), "oneshot");
    engine_container_info_release(&info);
}

static void test_tty_logs_are_raw(void **state)
{
    struct engine_container_config c;
    struct engine_logs_opts lo = {.tty = true};
    struct output o = {BUF_INIT, BUF_INIT};
    struct ds_error err = DS_ERROR_INIT;
    char *id = NULL;
    int code = -1;

    (void)state;
    engine_container_config_init(&c);
    c.image = xstrdup(IMAGE);
    labels_for_run(&c.labels, "tty");
    c.tty = true;
    c.cmd_set = true;
    strvec_push(&c.cmd, "sh");
    strvec_push(&c.cmd, "-c");
    strvec_push(&c.cmd, "echo tty-out; echo tty-err >&2");
    check(engine_container_create(R.e, &c, &id, NULL, &err), &err, "create tty");
    engine_container_config_release(&c);
    check(engine_container_start(R.e, id, &err), &err, "start tty");
    check(engine_container_wait(R.e, id, NULL, &code, &err), &err, "wait tty");
    assert_int_equal(code, 0);
    check(engine_container_logs(R.e, id, &lo, capture, &o, &err), &err, "logs tty");
    /* one raw stream: a TTY turns \n into \r\n and has no stderr of its own */
    assert_string_equal(o.out.buf, "tty-out\r\ntty-err\r\n");
    assert_int_equal(o.err.len, 0);
    output_release(&o);
    check(engine_container_remove(R.e, id, false, false, &err), &err, "remove tty");
    free(id);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int run_exec(const char *container, const char *const *cmd, struct output *o, int *exit_code)
{
    struct engine_exec_config ec = {.cmd = STRVEC_INIT, .env = STRVEC_INIT};
    struct engine_exec_info info;
    struct ds_error err = DS_ERROR_INIT;
    char *id = NULL;

    strvec_pushv(&ec.cmd, cmd);
    strvec_push(&ec.env, "FROM_EXEC=1");
    check(engine_exec_create(R.e, container, &ec, &id, &err), &err, "exec create");
    check(engine_exec_start(R.e, id, false, false, capture, o, &err), &err, "exec start");
    check(engine_exec_inspect(R.e, id, &info, &err), &err, "exec inspect");
    assert_false(info.running);
    assert_non_null(strstr(info.container_id, container));
    *exit_code = info.exit_code;
    engine_exec_info_release(&info);
    strvec_clear(&ec.cmd);
    strvec_clear(&ec.env);
    free(id);
    return 0;
}

struct tty_exec {
    char *id;
    struct output o;
    int rc;
};

static void *tty_exec_thread(void *arg)
{
    struct tty_exec *t = arg;
    struct ds_error err = DS_ERROR_INIT;

    t->rc = engine_exec_start(R.e, t->id, true, false, capture, &t->o, &err);
    ds_error_release(&err);
    return NULL;
}

static void test_running_container_exec_ports_health(void **state)
{
    struct engine_container_config c;
    struct engine_container_info info;
    struct ds_error err = DS_ERROR_INIT;
    struct engine_port *p;
    struct output o = {BUF_INIT, BUF_INIT};
    int code = -1, tries;

    (void)state;
    base_config(&c, "web");
    c.cmd_set = true;
    strvec_push(&c.cmd, "sleep");
    strvec_push(&c.cmd, "300");
    c.stop_timeout = 1;
    c.init = 1;
    p = engine_container_config_add_port(&c);
    p->target = 8080;
    p->publish = true;
    p->host_ip = xstrdup("127.0.0.1");
    c.healthcheck_set = true;
    strvec_push(&c.healthcheck.test, "CMD-SHELL");
    strvec_push(&c.healthcheck.test, "test -f /data/f");
    c.healthcheck.interval_ns = 500000000LL;
    c.healthcheck.retries = 3;
    /* a second network: engines before API 1.44 take it after create */
    strvec_push(&engine_container_config_add_network(&c, R.backend)->aliases, "api");
    check(engine_container_create(R.e, &c, &R.long_id, NULL, &err), &err, "create web");
    engine_container_config_release(&c);
    check(engine_container_start(R.e, R.long_id, &err), &err, "start web");

    /*
     * the healthcheck as sent is the one the engine runs; Podman without systemd
     * runs it only when asked, Docker never takes the asking
     */
    if (!engine_is_podman(R.e)) {
        assert_int_equal(engine_container_healthcheck_run(R.e, R.long_id, &err), DS_EUNSUPPORTED);
        ds_error_release(&err);
    }
    for (tries = 0; tries < 100; tries++) {
        if (engine_is_podman(R.e))
            check(engine_container_healthcheck_run(R.e, R.long_id, &err), &err, "healthcheck");
        check(engine_container_inspect(R.e, R.long_id, &info, &err), &err, "inspect web");
        if (info.health && !strcmp(info.health, "healthy"))
            break;
        engine_container_info_release(&info);
        sleep_ms(200);
    }
    if (tries == 100)
        fail_msg("the container never turned healthy");
    assert_true(info.running);
    assert_int_equal(info.n_ports, 1);
    assert_int_equal(info.ports[0].target, 8080);
    assert_string_equal(info.ports[0].host_ip, "127.0.0.1");
    assert_true(info.ports[0].host_port > 0);
    assert_int_equal(info.networks.n, 2);
    assert_true(strvec_contains(&info.networks, R.network));
    assert_true(strvec_contains(&info.networks, R.backend));
    engine_container_info_release(&info);

    /*
     * the aliases resolve on each network: "web" on the default one, "api" on backend.
     * Podman's DNS answers each network's names from that network's server alone, and
     * the container asks the first in resolv.conf (tests/engines/podman.txt): there each
     * alias is asked of its own network's server.
     */
    run_exec(R.long_id,
             (const char *const[]){"sh", "-c",
                                   engine_is_podman(R.e)
                                           ? "for ns in $(sed -n 's/^nameserver //p' "
                                             "/etc/resolv.conf); do nslookup web $ns; done "
                                             "| grep -q 'Name:.*web' && for ns in $(sed -n "
                                             "'s/^nameserver //p' /etc/resolv.conf); do "
                                             "nslookup api $ns; done | grep -q 'Name:.*api'"
                                           : "nslookup web >/dev/null && nslookup api >/dev/null",
                                   NULL},
             &o, &code);
    assert_int_equal(code, 0);
    output_release(&o);

    /* exec: both streams apart, the volume's content, the exit code */
    run_exec(R.long_id,
             (const char *const[]){"sh", "-c", "cat /data/f; echo \"oops $FROM_EXEC\" >&2; exit 7",
                                   NULL},
             &o, &code);
    assert_string_equal(o.out.buf, "payload from the volume\n");
    assert_string_equal(o.err.buf, "oops 1\n");
    assert_int_equal(code, 7);
    output_release(&o);

    run_exec(R.long_id, (const char *const[]){"true", NULL}, &o, &code);
    assert_int_equal(code, 0);
    output_release(&o);

    run_exec(R.long_id, (const char *const[]){"sh", "-c", "no-such-command", NULL}, &o, &code);
    assert_int_equal(code, 127);
    assert_non_null(strstr(o.err.buf, "not found"));
    output_release(&o);

    /* a TTY exec, resized while it runs */
    {
        struct engine_exec_config ec = {.cmd = STRVEC_INIT, .env = STRVEC_INIT, .tty = true};
        struct engine_exec_info ei = {0};
        struct tty_exec t = {NULL, {BUF_INIT, BUF_INIT}, 0};
        pthread_t th;

        strvec_pushv(&ec.cmd, (const char *const[]){"sh", "-c", "sleep 1; stty size", NULL});
        check(engine_exec_create(R.e, R.long_id, &ec, &t.id, &err), &err, "tty exec create");
        strvec_clear(&ec.cmd);
        /* a second client: the first one's handle is busy streaming */
        {
            struct engine *e2;
            struct engine_endpoint ep;

            check(engine_endpoint_resolve(&ep, NULL, &err), &err, "resolve");
            check(engine_new(&e2, &ep, &err), &err, "new");
            engine_endpoint_release(&ep);
            assert_int_equal(pthread_create(&th, NULL, tty_exec_thread, &t), 0);
            for (tries = 0; tries < 50; tries++) {
                check(engine_exec_inspect(e2, t.id, &ei, &err), &err, "tty exec inspect");
                if (ei.running)
                    break;
                engine_exec_info_release(&ei);
                sleep_ms(20);
            }
            engine_exec_info_release(&ei);
            check(engine_exec_resize(e2, t.id, 40, 100, &err), &err, "resize");
            pthread_join(th, NULL);
            engine_free(e2);
        }
        assert_int_equal(t.rc, 0);
        assert_non_null(strstr(t.o.out.buf, "40 100"));
        output_release(&t.o);
        free(t.id);
    }
}

static void test_lifecycle(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct engine_container_info info;
    int code = -1;

    (void)state;
    assert_non_null(R.long_id);
    /* starting a running container and stopping a stopped one are not errors */
    check(engine_container_start(R.e, R.long_id, &err), &err, "start running");
    check(engine_container_stop(R.e, R.long_id, 1, &err), &err, "stop");
    check(engine_container_inspect(R.e, R.long_id, &info, &err), &err, "inspect stopped");
    assert_false(info.running);
    assert_string_equal(info.status, "exited");
    engine_container_info_release(&info);
    check(engine_container_stop(R.e, R.long_id, 1, &err), &err, "stop stopped");
    check(engine_container_start(R.e, R.long_id, &err), &err, "start again");
    check(engine_container_restart(R.e, R.long_id, 1, &err), &err, "restart");
    check(engine_container_kill(R.e, R.long_id, "SIGKILL", &err), &err, "kill");
    check(engine_container_wait(R.e, R.long_id, "not-running", &code, &err), &err, "wait");
    assert_int_equal(code, 137);
    check(engine_container_start(R.e, R.long_id, &err), &err, "start for cancel test");
}

static volatile sig_atomic_t cancel_flag;

static void *cancel_later(void *arg)
{
    (void)arg;
    sleep_ms(300);
    cancel_flag = 1;
    return NULL;
}

static void test_follow_is_cancellable(void **state)
{
    struct engine_logs_opts lo = {.follow = true, .tail = "0"};
    struct output o = {BUF_INIT, BUF_INIT};
    struct ds_error err = DS_ERROR_INIT;
    pthread_t th;
    time_t start = time(NULL);

    (void)state;
    assert_non_null(R.long_id);
    cancel_flag = 0;
    engine_set_cancel_flag(R.e, &cancel_flag);
    assert_int_equal(pthread_create(&th, NULL, cancel_later, NULL), 0);
    assert_int_equal(engine_container_logs(R.e, R.long_id, &lo, capture, &o, &err), DS_EINTR);
    pthread_join(th, NULL);
    assert_true(time(NULL) - start < 10);
    engine_set_cancel_flag(R.e, NULL);
    ds_error_release(&err);
    output_release(&o);
}

static void test_errors(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct engine_container_info info;
    struct engine_endpoint ep = {0};
    struct engine *bad = NULL;

    (void)state;
    assert_int_equal(engine_container_inspect(R.e, "devstack-no-such-container", &info, &err),
                     DS_ENOTFOUND);
    assert_non_null(strcasestr(err.msg, "no such container"));
    ds_error_release(&err);

    assert_int_equal(engine_container_start(R.e, "devstack-no-such-container", &err), DS_ENOTFOUND);
    ds_error_release(&err);

    /* a network with a container on it cannot go */
    assert_true(engine_network_remove(R.e, R.network, &err) < 0);
    assert_non_null(err.msg);
    ds_error_release(&err);

    /* a socket that is not there */
    ep.host = xstrdup("unix:///nonexistent/devstack/docker.sock");
    ep.socket_path = xstrdup("/nonexistent/devstack/docker.sock");
    ep.base_url = xstrdup("http://localhost");
    ep.source = xstrdup("test");
    strvec_init(&ep.tried);
    check(engine_new(&bad, &ep, &err), &err, "new");
    assert_int_equal(engine_connect(bad, &err), DS_EUNREACHABLE);
    assert_non_null(strstr(err.msg, "unix:///nonexistent/devstack/docker.sock"));
    assert_non_null(strstr(err.msg, "no such socket"));
    assert_non_null(strstr(err.hint, "DOCKER_HOST"));
    ds_error_release(&err);
    engine_free(bad);
    engine_endpoint_release(&ep);
}

struct build_log {
    struct buf text;
    int lines;
};

static int on_build(const struct engine_progress *p, void *ud)
{
    struct build_log *log = ud;

    log->lines++;
    if (p->stream)
        buf_adds(&log->text, p->stream);
    return 0;
}

static int build_from(const char *dir, const char *dockerfile, struct build_log *log, char **id,
                      struct ds_error *err)
{
    struct engine_build_opts o = {.tags = STRVEC_INIT, .dockerfile = dockerfile};
    struct buf tar = BUF_INIT;
    FILE *f;
    int rc;

    buf_addf(&tar, "%s.tar", dir);
    test_tar_dir(dir, tar.buf);
    f = fopen(tar.buf, "rb");
    assert_non_null(f);
    strvec_push(&o.tags, R.built_image);
    kvlist_set(&o.build_args, "GREETING", "hello from a build arg");
    kvlist_set(&o.labels, "devstack.test", test_run_id());
    kvlist_set(&o.labels, "com.docker.compose.project", R.project);
    rc = engine_image_build(R.e, &o, test_file_read, f, on_build, log, id, err);
    fclose(f);
    unlink(tar.buf);
    buf_release(&tar);
    strvec_clear(&o.tags);
    kvlist_clear(&o.build_args);
    kvlist_clear(&o.labels);
    return rc;
}

static void test_build(void **state)
{
    char *dir = test_mkdtemp();
    struct build_log log = {BUF_INIT, 0};
    struct ds_error err = DS_ERROR_INIT;
    struct engine_image_info img;
    struct engine_image_list list;
    struct engine_container_config c;
    struct output o = {BUF_INIT, BUF_INIT};
    char *id = NULL, *cid = NULL;
    int code = -1;

    (void)state;
    test_write_file(dir, "Dockerfile",
                    "FROM " IMAGE "\nARG GREETING=none\nRUN echo \"$GREETING\" > /greeting\n");
    test_write_file(dir, "Dockerfile.fail", "FROM " IMAGE "\nRUN echo about to fail; exit 3\n");
    check(build_from(dir, NULL, &log, &id, &err), &err, "build");
    assert_non_null(id);
    assert_true(!strncmp(id, "sha256:", 7));
    /* Docker's builder says "Step 1/5 : FROM", Podman's "STEP 1/5: FROM" */
    if (!strstr(log.text.buf, "Step 1/5 : FROM " IMAGE) &&
        !strstr(log.text.buf, "STEP 1/5: FROM " IMAGE))
        fail_msg("build output lacks the first step:\n%s", log.text.buf);
    assert_true(log.lines >= 5);

    check(engine_image_inspect(R.e, R.built_image, &img, &err), &err, "image inspect");
    assert_string_equal(img.id, id);
    assert_string_equal(kvlist_get(&img.labels, "devstack.test"), test_run_id());
    engine_image_info_release(&img);
    check(engine_image_list(R.e, &R.filters, false, &list, &err), &err, "image list");
    assert_int_equal(list.n, 1);
    assert_string_equal(list.items[0].id, id);
    engine_image_list_release(&list);

    /* the build arg reached the RUN step */
    engine_container_config_init(&c);
    c.image = xstrdup(R.built_image);
    labels_for_run(&c.labels, "built");
    c.cmd_set = true;
    strvec_pushv(&c.cmd, (const char *const[]){"cat", "/greeting", NULL});
    check(engine_container_create(R.e, &c, &cid, NULL, &err), &err, "create from build");
    engine_container_config_release(&c);
    check(engine_container_start(R.e, cid, &err), &err, "start from build");
    check(engine_container_wait(R.e, cid, NULL, &code, &err), &err, "wait from build");
    assert_int_equal(code, 0);
    check(engine_container_logs(R.e, cid, &(struct engine_logs_opts){0}, capture, &o, &err), &err,
          "logs from build");
    assert_string_equal(o.out.buf, "hello from a build arg\n");
    output_release(&o);
    check(engine_container_remove(R.e, cid, false, false, &err), &err, "remove");
    free(cid);
    free(id);
    id = NULL;

    /* a failing RUN fails the build and names the step */
    buf_reset(&log.text);
    assert_int_equal(build_from(dir, "Dockerfile.fail", &log, &id, &err), DS_EENGINE);
    assert_null(id);
    if (!strstr(err.msg, "build failed at 'Step 2/4 : RUN echo about to fail; exit 3'") &&
        !strstr(err.msg, "build failed at 'STEP 2/4: RUN echo about to fail; exit 3'"))
        fail_msg("the error does not name the failed step: %s", err.msg);
    /* Docker: "returned a non-zero code: 3"; Podman: "exit status 3" */
    if (!strstr(err.msg, "returned a non-zero code: 3") && !strstr(err.msg, "exit status 3"))
        fail_msg("the error does not give the exit code: %s", err.msg);
    assert_non_null(strstr(log.text.buf, "about to fail"));
    ds_error_release(&err);
    buf_release(&log.text);
    test_rmtree(dir);
    free(dir);
}

static void test_pull_missing_image(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    int rc;

    (void)state;
    rc = engine_image_pull(R.e, "devstack-test/does-not-exist:1.0", NULL, NULL, NULL, NULL, &err);
    assert_true(rc < 0);
    assert_true(!strncmp(err.msg, "pulling 'devstack-test/does-not-exist:1.0': ", 44));
    ds_error_release(&err);
}

static void test_import(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct engine_image_info info;
    size_t deleted = 0;

    (void)state;
    check(import_rootfs("devstack-test/import", R.project, &err), &err, "import");
    {
        struct buf ref = BUF_INIT;

        buf_addf(&ref, "devstack-test/import:%s", R.project);
        check(engine_image_inspect(R.e, ref.buf, &info, &err), &err, "inspect import");
        assert_int_equal(info.repo_tags.n, 1);
        /* Podman qualifies names: docker.io/devstack-test/import:... */
        assert_true(str_ends_with(info.repo_tags.v[0], ref.buf));
        assert_true(info.size > 1000000); /* busybox is about 2 MB */
        engine_image_info_release(&info);
        check(engine_image_remove(R.e, ref.buf, false, &deleted, &err), &err, "remove import");
        assert_true(deleted >= 1);
        assert_int_equal(engine_image_inspect(R.e, ref.buf, &info, &err), DS_ENOTFOUND);
        ds_error_release(&err);
        buf_release(&ref);
    }
}

static void test_cleanup_leaves_nothing(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct engine_container_list cl;
    struct engine_network_list nl;
    struct engine_volume_list vl;
    struct engine_image_list il;
    size_t deleted = 0;

    (void)state;
    check(engine_container_list(R.e, &R.filters, true, &cl, &err), &err, "list");
    assert_int_equal(cl.n, 2); /* oneshot and web */
    for (size_t i = 0; i < cl.n; i++)
        check(engine_container_remove(R.e, cl.items[i].id, true, true, &err), &err, "remove");
    engine_container_list_release(&cl);
    /* removing what is gone is "not found" */
    assert_int_equal(engine_container_remove(R.e, R.short_id, true, true, &err), DS_ENOTFOUND);
    ds_error_release(&err);
    free(R.short_id);
    free(R.long_id);
    R.short_id = R.long_id = NULL;

    check(engine_network_remove(R.e, R.network, &err), &err, "network remove");
    check(engine_network_remove(R.e, R.backend, &err), &err, "network remove backend");
    check(engine_volume_remove(R.e, R.volume, false, &err), &err, "volume remove");
    check(engine_image_remove(R.e, R.built_image, false, &deleted, &err), &err, "image remove");
    assert_true(deleted >= 1);

    check(engine_container_list(R.e, &R.filters, true, &cl, &err), &err, "list after");
    assert_int_equal(cl.n, 0);
    engine_container_list_release(&cl);
    check(engine_network_list(R.e, &R.filters, &nl, &err), &err, "networks after");
    assert_int_equal(nl.n, 0);
    engine_network_list_release(&nl);
    check(engine_volume_list(R.e, &R.filters, &vl, &err), &err, "volumes after");
    assert_int_equal(vl.n, 0);
    engine_volume_list_release(&vl);
    check(engine_image_list(R.e, &R.filters, false, &il, &err), &err, "images after");
    assert_int_equal(il.n, 0);
    engine_image_list_release(&il);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_system),
            cmocka_unit_test(test_network_and_volume),
            cmocka_unit_test(test_container_output_and_exit),
            cmocka_unit_test(test_tty_logs_are_raw),
            cmocka_unit_test(test_running_container_exec_ports_health),
            cmocka_unit_test(test_lifecycle),
            cmocka_unit_test(test_follow_is_cancellable),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_build),
            cmocka_unit_test(test_pull_missing_image),
            cmocka_unit_test(test_import),
            cmocka_unit_test(test_cleanup_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
