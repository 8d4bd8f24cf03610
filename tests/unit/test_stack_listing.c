/*
 * What ps, ls, up and logs make of the containers the engine lists: ports
 * in words, the table `up` ends with, the projects on the engine, the
 * running container of a service, the log sources and their prefix width.
 */
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "lib/testlib.h"
#include "stack/display.h"
#include "stack/logs.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

/* "project/service/number/state[/oneoff]" per container, ';' between them. */
static void make_list(struct stack_container_list *l, const char *spec)
{
    struct strvec items = STRVEC_INIT;

    memset(l, 0, sizeof(*l));
    strvec_split(&items, spec, ';');
    l->items = xcalloc(items.n + 1, sizeof(*l->items));
    for (size_t i = 0; i < items.n; i++) {
        struct stack_container *c = &l->items[l->n++];
        struct strvec f = STRVEC_INIT;

        strvec_split(&f, items.v[i], '/');
        c->project = xstrdup(f.v[0]);
        c->service = xstrdup(f.v[1]);
        c->number = (int)strtol(f.v[2], NULL, 10);
        c->state = xstrdup(f.v[3]);
        c->status = xstrdup(!strcmp(f.v[3], "running") ? "Up 2 minutes (healthy)" : "Exited (0)");
        c->oneoff = f.n > 4;
        c->id = xstrdup(items.v[i]);
        c->name = xstrdup(items.v[i]);
        c->image = xstrdup("img");
        kvlist_set(&c->labels, LABEL_CONFIG_FILES, "/p/compose.yaml");
        strvec_clear(&f);
    }
    strvec_clear(&items);
}

static struct compose_project *load(const char *yaml)
{
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;

    if (compose_load_text(&p, yaml, strlen(yaml), "/p/compose.yaml", &o, &err) < 0)
        fail_msg("cannot load: %s", err.msg);
    return p;
}

static void test_ports_text(void **state)
{
    static const struct {
        struct engine_published_port ports[3];
        size_t n;
        const char *want;
    } cases[] = {
            {{{0}}, 0, ""},
            {{{80, (char *)"tcp", (char *)"127.0.0.1", 8000}}, 1, "127.0.0.1:8000->80/tcp"},
            {{{443, (char *)"tcp", (char *)"0.0.0.0", 8443},
              {443, (char *)"tcp", (char *)"::", 8443}},
             2,
             "0.0.0.0:8443->443/tcp"},
            {{{53, (char *)"udp", (char *)"::1", 5353}, {80, NULL, NULL, 81}},
             2,
             "[::1]:5353->53/udp, :81->80/tcp"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;

        buf_adds(&b, "x");
        buf_reset(&b);
        stack_ports_text(&b, cases[i].ports, cases[i].n);
        if (strcmp(b.buf, cases[i].want))
            fail_msg("case %zu: '%s', want '%s'", i, b.buf, cases[i].want);
        buf_release(&b);
    }
}

static void test_service_rows(void **state)
{
    struct compose_project *p =
            load("services:\n  db: {image: x}\n  web: {image: x}\n  tools: {image: x, profiles: "
                 "[debug]}\n  worker: {image: x}\n");
    struct stack_container_list l;
    struct stack_service_rows rows = {0};

    (void)state;
    /* web's second container is shown only when there is no first; one-offs never */
    make_list(&l, "p/web/2/exited;p/db/1/running;p/web/1/running;p/worker/1/running/oneoff");
    stack_service_rows(p, &l, &rows);
    assert_int_equal(rows.n, 3); /* tools is not enabled */
    assert_string_equal(rows.items[0].service, "db");
    assert_string_equal(rows.items[0].state.buf, "running (healthy)");
    assert_string_equal(rows.items[1].service, "web");
    assert_string_equal(rows.items[1].state.buf, "running (healthy)");
    assert_string_equal(rows.items[2].service, "worker");
    assert_string_equal(rows.items[2].state.buf, "-");
    stack_service_rows_release(&rows);
    stack_container_list_release(&l);
    compose_project_free(p);
}

static void test_project_rows(void **state)
{
    static const struct {
        const char *list;
        bool all;
        const char *want; /* "name status" per project, ';' between */
    } cases[] = {
            {"", false, ""},
            {"b/web/1/running;a/db/1/exited;b/db/1/exited;b/web/2/running", false,
             "b exited(1), running(2)"},
            {"b/web/1/running;a/db/1/exited;b/db/1/exited", true,
             "a exited(1);b exited(1), running(1)"},
            {"c/run/1/exited/oneoff", true, "c exited(1)"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct stack_container_list l;
        struct stack_project_rows rows = {0};
        struct buf got = BUF_INIT;

        make_list(&l, cases[i].list);
        stack_project_rows(&l, cases[i].all, &rows);
        for (size_t k = 0; k < rows.n; k++) {
            buf_addf(&got, "%s%s %s", k ? ";" : "", rows.items[k].name, rows.items[k].status);
            if (strcmp(rows.items[k].config_files, "/p/compose.yaml"))
                fail_msg("case %zu: files '%s'", i, rows.items[k].config_files);
        }
        if (strcmp(got.buf, cases[i].want))
            fail_msg("case %zu: '%s', want '%s'", i, got.buf, cases[i].want);
        buf_release(&got);
        stack_project_rows_release(&rows);
        stack_container_list_release(&l);
    }
}

static void test_find_running(void **state)
{
    static const struct {
        const char *service;
        int index;
        const char *want; /* the container, or part of the error */
    } cases[] = {
            {"web", 1, "p/web/1/running"},
            {"web", 2, "has no running container number 2"},
            {"web", 3, "has no running container number 3"},
            {"db", 1, "service 'db' has no running container; start it with 'devstack up'"},
            {"run", 1, "service 'run' has no running container"},
    };
    struct stack_container_list l;

    (void)state;
    make_list(&l, "p/web/1/running;p/web/2/exited;p/db/1/exited;p/run/1/running/oneoff");
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        const struct stack_container *c =
                stack_find_running(&l, cases[i].service, cases[i].index, &err);

        if (c ? strcmp(c->name, cases[i].want) : !err.msg || !strstr(err.msg, cases[i].want))
            fail_msg("case %zu: %s", i, c ? c->name : err.msg);
        ds_error_release(&err);
    }
    stack_container_list_release(&l);
}

static void test_log_sources(void **state)
{
    struct compose_project *p = load("services:\n  db: {image: x}\n  web: {image: x, tty: true}\n"
                                     "  a-long-service-name: {image: x, profiles: [off]}\n");
    static const struct {
        const char *services; /* named, ',' between */
        unsigned flags;
        const char *want; /* the sources' names, ',' between */
        size_t width;
    } cases[] = {
            {"", 0, "p/db/1/running,p/web/1/running,p/a-long-service-name/1/exited", 19},
            {"", STACK_LOGS_ENABLED, "p/db/1/running,p/web/1/running", 3},
            {"web", 0, "p/web/1/running", 3},
            {"a-long-service-name", STACK_LOGS_ENABLED, "", 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct stack_container_list l;
        struct stack_log_sources src;
        struct strvec named = STRVEC_INIT;
        struct buf got = BUF_INIT;

        make_list(&l, "p/db/1/running;p/web/1/running;p/a-long-service-name/1/exited;"
                      "p/db/2/running/oneoff");
        if (*cases[i].services)
            strvec_split(&named, cases[i].services, ',');
        stack_log_sources(p, &l, &named, cases[i].flags, &src);
        for (size_t k = 0; k < src.n; k++)
            buf_addf(&got, "%s%s", k ? "," : "", src.items[k].name);
        if (strcmp(got.buf, cases[i].want) || src.width != cases[i].width)
            fail_msg("case %zu: '%s' width %zu", i, got.buf, src.width);
        for (size_t k = 0; k < src.n; k++)
            if (src.items[k].tty != !strcmp(src.items[k].service, "web"))
                fail_msg("case %zu: %s tty %d", i, src.items[k].service, src.items[k].tty);
        buf_release(&got);
        strvec_clear(&named);
        stack_log_sources_release(&src);
        stack_container_list_release(&l);
    }
    compose_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ports_text),   cmocka_unit_test(test_service_rows),
            cmocka_unit_test(test_project_rows), cmocka_unit_test(test_find_running),
            cmocka_unit_test(test_log_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
