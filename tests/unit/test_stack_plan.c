/*
 * stack_plan(), without an engine: a model (from YAML), an observed state made
 * up here, options, and the exact actions expected, as lines of
 * "layer kind service target (reason)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

static const char project_yaml[] = "name: shop\n"
                                   "services:\n"
                                   "  db:\n"
                                   "    image: mariadb:10.11\n"
                                   "    environment: {MYSQL_DATABASE: app}\n"
                                   "    volumes: [data:/var/lib/mysql]\n"
                                   "    ports: [\"3306:3306\"]\n"
                                   "    healthcheck: {test: [CMD, healthcheck.sh]}\n"
                                   "  api:\n"
                                   "    build: ./api\n"
                                   "    depends_on:\n"
                                   "      db: {condition: service_healthy, restart: true}\n"
                                   "  worker:\n"
                                   "    image: worker:1\n"
                                   "    ports: [\"127.0.0.1::9104\"]\n"
                                   "    depends_on: [db]\n"
                                   "  web:\n"
                                   "    image: nginx:1.25\n"
                                   "    depends_on: [api]\n"
                                   "  debug:\n"
                                   "    image: busybox\n"
                                   "    profiles: [debug]\n"
                                   "volumes:\n"
                                   "  data:\n"
                                   "  cache:\n";

/* What the engine holds, in shorthand. */
/* FOREIGN_CHOSEN_PORT: an ephemeral port kept as the port chosen (Podman), not as "" (Docker) */
enum hash_kind {
    NONE,
    CURRENT,
    STALE,
    FOREIGN_SAME,
    FOREIGN_OTHER_ENV,
    FOREIGN_ALL_IFACES,
    FOREIGN_CHOSEN_PORT
};

struct fake_container {
    const char *service;
    const char *state;
    enum hash_kind hash;
    int number;
    bool oneoff;
    const char *working_dir; /* its working_dir label; NULL: none */
    const char *name;        /* NULL: the name it should have */
};

struct plan_case {
    const char *name;
    struct fake_container containers[8];
    bool no_network, no_volume, no_images, old_image_id;
    struct stack_options opts;
    const char *services[4];
    const char *profiles[2];
    const char *expect; /* one action per line */
    const char *orphans;
    int rc;
};

static struct compose_project *load(const char *const *profiles)
{
    struct strvec prof = STRVEC_INIT;
    char *env[] = {NULL};
    struct compose_options o = {.environ = env, .profiles = &prof, .project_directory = "/p"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;

    for (size_t i = 0; profiles && profiles[i]; i++)
        strvec_push(&prof, profiles[i]);
    if (compose_load_text(&p, project_yaml, strlen(project_yaml), "/p/compose.yaml", &o, &err) < 0)
        fail_msg("cannot load the test project: %s", err.msg);
    strvec_clear(&prof);
    return p;
}

static void add_foreign_view(const struct compose_project *p, const struct compose_service *s,
                             struct stack_container *c, enum hash_kind kind)
{
    c->inspected = true;
    for (size_t i = 0; i < s->environment.n; i++)
        strvec_pushf(&c->env, "%s=%s", s->environment.items[i].key,
                     kind == FOREIGN_OTHER_ENV ? "other" : s->environment.items[i].value);
    strvec_push(&c->env, "PATH=/usr/bin"); /* the image's own variables do not matter */
    for (size_t i = 0; i < s->n_ports; i++)
        strvec_pushf(&c->port_specs, "%s:%s:%u/%s",
                     kind == FOREIGN_ALL_IFACES ? "0.0.0.0" : "127.0.0.1",
                     kind == FOREIGN_CHOSEN_PORT && !*s->ports[i].published ? "40123"
                                                                            : s->ports[i].published,
                     s->ports[i].target, s->ports[i].protocol);
    for (size_t i = 0; i < s->n_volumes; i++)
        strvec_push(&c->mount_targets, s->volumes[i].target);
    (void)p;
}

static void build_observed(const struct compose_project *p, const struct plan_case *pc,
                           struct stack_observed *o)
{
    memset(o, 0, sizeof(*o));
    o->containers = xcalloc(9, sizeof(*o->containers));
    for (size_t i = 0; i < 8 && pc->containers[i].service; i++) {
        const struct fake_container *f = &pc->containers[i];
        const struct compose_service *s = compose_find_service(p, f->service);
        struct stack_container *c = &o->containers[o->n_containers++];
        char id[32];

        snprintf(id, sizeof(id), "id-%s-%d", f->service, f->number ? f->number : 1);
        c->id = xstrdup(id);
        c->service = xstrdup(f->service);
        c->number = f->number ? f->number : 1;
        if (f->name)
            c->name = xstrdup(f->name);
        else
            c->name = s ? stack_container_name(p, s, c->number) : xstrdup(id);
        c->state = xstrdup(f->state ? f->state : "running");
        c->status = xstrdup("");
        c->oneoff = f->oneoff;
        if (f->working_dir)
            kvlist_set(&c->labels, LABEL_WORKING_DIR, f->working_dir);
        c->image_id = xstrdup(pc->old_image_id ? "sha256:old" : "sha256:img");
        if (f->hash == CURRENT && s)
            c->hash = stack_config_hash(p, s, "sha256:img", &pc->opts);
        else if (f->hash == STALE)
            c->hash = xstrdup("0000");
        else if (f->hash >= FOREIGN_SAME && s)
            add_foreign_view(p, s, c, f->hash);
    }
    if (!pc->no_network) {
        o->networks = xcalloc(1, sizeof(*o->networks));
        o->networks[0].name = xstrdup("shop_default");
        o->n_networks = 1;
    }
    if (!pc->no_volume) {
        o->volumes = xcalloc(1, sizeof(*o->volumes));
        o->volumes[0].name = xstrdup("shop_data");
        o->n_volumes = 1;
    }
    o->images = xcalloc(p->n_services + 1, sizeof(*o->images));
    for (size_t i = 0; i < p->n_services; i++) {
        o->images[i].service = xstrdup(p->services[i].name);
        o->images[i].ref = stack_image_ref(p, &p->services[i]);
        o->images[i].id = pc->no_images ? NULL : xstrdup("sha256:img");
    }
    o->n_images = p->n_services;
}

static void describe_plan(const struct stack_plan *plan, struct buf *out)
{
    for (size_t i = 0; i < plan->n; i++) {
        const struct stack_action *a = &plan->actions[i];

        buf_addf(out, "%d %s %s %s", a->layer, stack_action_name(a->kind),
                 a->service ? a->service : "-", a->target);
        if (a->reason)
            buf_addf(out, " (%s)", a->reason);
        buf_addch(out, '\n');
    }
}

#define ALL_RUNNING                                                                                \
    {                                                                                              \
        {"db", NULL, CURRENT, 0, false}, {"api", NULL, CURRENT, 0, false},                         \
                {"worker", NULL, CURRENT, 0, false},                                               \
        {                                                                                          \
            "web", NULL, CURRENT, 0, false                                                         \
        }                                                                                          \
    }

static const struct plan_case cases[] = {
        {"a fresh project: images, network, volume, then containers in layers",
         {{0}},
         true,
         true,
         true,
         false,
         {0},
         {0},
         {0},
         "-1 pull db mariadb:10.11\n"
         "-1 build api shop-api\n"
         "-1 pull worker worker:1\n"
         "-1 pull web nginx:1.25\n"
         "-1 create network - shop_default\n"
         "-1 create volume - shop_data\n"
         "0 create db shop-db-1\n"
         "1 create api shop-api-1\n"
         "1 create worker shop-worker-1\n"
         "2 create web shop-web-1\n",
         "",
         0},
        {"fresh, images present: only creates",
         {{0}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "0 create db shop-db-1\n"
         "1 create api shop-api-1\n"
         "1 create worker shop-worker-1\n"
         "2 create web shop-web-1\n",
         "",
         0},
        {"unchanged and running: nothing at all",
         ALL_RUNNING,
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "",
         0},
        {"the second pass of up plans no images",
         {{0}},
         false,
         false,
         true,
         false,
         {.images_resolved = true},
         {0},
         {0},
         "0 create db shop-db-1\n"
         "1 create api shop-api-1\n"
         "1 create worker shop-worker-1\n"
         "2 create web shop-web-1\n",
         "",
         0},
        {"a changed service is recreated; restart: true dependents restart",
         {{"db", NULL, STALE, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "0 recreate db shop-db-1 (configuration changed)\n"
         "1 restart api shop-api-1 (a dependency was recreated)\n",
         "",
         0},
        {"a new image id is named as the reason",
         {{"db", NULL, STALE, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         true,
         {0},
         {0},
         {0},
         "0 recreate db shop-db-1 (image changed)\n"
         "1 restart api shop-api-1 (a dependency was recreated)\n",
         "",
         0},
        {"a stopped container is started",
         {{"db", "exited", CURRENT, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", "created", CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "0 start db shop-db-1\n"
         "1 start worker shop-worker-1\n",
         "",
         0},
        {"a removed service leaves an orphan, warned about",
         {{"db", NULL, CURRENT, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false},
          {"oldcache", NULL, STALE, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "id-oldcache-1",
         0},
        {"--remove-orphans removes it",
         {{"db", NULL, CURRENT, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false},
          {"oldcache", NULL, STALE, 0, false}},
         false,
         false,
         false,
         false,
         {.remove_orphans = true},
         {0},
         {0},
         "-1 remove orphan - id-oldcache-1\n",
         "id-oldcache-1",
         0},
        {"one-off containers are not their service's; a gone service's are orphans, as in Compose",
         {{"db", NULL, CURRENT, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false},
          {"db", "exited", STALE, 2, true},
          {"gone", "exited", NONE, 1, true}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "id-gone-1",
         0},
        {"run: the service's image and network, its dependencies' containers, not its own",
         {{0}},
         true,
         true,
         true,
         false,
         {.run_service = "api"},
         {"api"},
         {0},
         "-1 build api shop-api\n"
         "-1 pull db mariadb:10.11\n"
         "-1 create network - shop_default\n"
         "-1 create volume - shop_data\n"
         "0 create db shop-db-1\n",
         "",
         0},
        {"a missing network is created, nothing else",
         ALL_RUNNING,
         true,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "-1 create network - shop_default\n",
         "",
         0},
        {"a container an interrupted recreate left under its temporary name is recreated",
         {{"db", NULL, CURRENT, 0, false, NULL, "0123456789ab_shop-db-1"},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "0 recreate db shop-db-1 (an interrupted recreate left it under a temporary name)\n"
         "1 restart api shop-api-1 (a dependency was recreated)\n",
         "",
         0},
        {"beside a temporary one, the container with its own name is the one that counts",
         {{"db", NULL, STALE, 0, false, NULL, "0123456789ab_shop-db-1"},
          {"db", NULL, CURRENT, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "",
         0},
        {"a name that only looks like a temporary one is left alone",
         {{"db", NULL, CURRENT, 0, false, NULL, "0123456789_shop-db-1"},
          {"api", NULL, CURRENT, 0, false, NULL, "0123456789abc_shop-api-1"},
          {"worker", NULL, CURRENT, 0, false, NULL, "0123456789ab_shop-worker-2"},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "",
         0},
        {"--force-recreate recreates every service",
         ALL_RUNNING,
         false,
         false,
         false,
         false,
         {.force_recreate = true},
         {0},
         {0},
         "0 recreate db shop-db-1 (--force-recreate)\n"
         "1 recreate api shop-api-1 (--force-recreate)\n"
         "1 recreate worker shop-worker-1 (--force-recreate)\n"
         "2 recreate web shop-web-1 (--force-recreate)\n",
         "",
         0},
        {"--take-over recreates the containers another checkout made, unchanged or not",
         {{"db", NULL, CURRENT, 0, false, "/elsewhere"},
          {"api", NULL, CURRENT, 0, false, "/p"},
          {"worker", NULL, STALE, 0, false, "/elsewhere"},
          {"web", NULL, CURRENT, 0, false, NULL}},
         false,
         false,
         false,
         false,
         {.take_over = true},
         {0},
         {0},
         "0 recreate db shop-db-1 (taken over from another checkout)\n"
         "1 recreate worker shop-worker-1 (taken over from another checkout)\n"
         "1 restart api shop-api-1 (a dependency was recreated)\n",
         "",
         0},
        {"without --take-over the plan leaves the directory alone (the check is before it)",
         {{"db", NULL, CURRENT, 0, false, "/elsewhere"},
          {"api", NULL, CURRENT, 0, false, "/p"},
          {"worker", NULL, CURRENT, 0, false, "/elsewhere"},
          {"web", NULL, CURRENT, 0, false, NULL}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "",
         0},
        {"--no-recreate keeps a changed container, but starts it when stopped",
         {{"db", "exited", STALE, 0, false},
          {"api", NULL, STALE, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {.no_recreate = true},
         {0},
         {0},
         "0 start db shop-db-1\n",
         "",
         0},
        {"naming a service brings its dependencies",
         {{0}},
         false,
         false,
         false,
         false,
         {0},
         {"web"},
         {0},
         "0 create db shop-db-1\n"
         "1 create api shop-api-1\n"
         "2 create web shop-web-1\n",
         "",
         0},
        {"--no-deps: only the named service",
         {{0}},
         false,
         false,
         false,
         false,
         {.no_deps = true},
         {"web"},
         {0},
         "2 create web shop-web-1\n",
         "",
         0},
        {"a service behind a disabled profile is left alone",
         ALL_RUNNING,
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "",
         0},
        {"an enabled profile brings its service",
         ALL_RUNNING,
         false,
         false,
         false,
         false,
         {0},
         {0},
         {"debug"},
         "0 create debug shop-debug-1\n",
         "",
         0},
        {"a container made by Compose with the same configuration is adopted",
         {{"db", NULL, FOREIGN_SAME, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "",
         0},
        {"... also when Compose published its ports on every interface",
         {{"db", NULL, FOREIGN_ALL_IFACES, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "",
         0},
        {"... also when the engine kept the port it chose for an ephemeral one (Podman)",
         {{"db", NULL, CURRENT, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, FOREIGN_CHOSEN_PORT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "",
         0},
        {"... and when it kept \"\" for it (Docker)",
         {{"db", NULL, CURRENT, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, FOREIGN_SAME, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "",
         "",
         0},
        {"... but recreated when what it runs differs",
         {{"db", NULL, FOREIGN_OTHER_ENV, 0, false},
          {"api", NULL, CURRENT, 0, false},
          {"worker", NULL, CURRENT, 0, false},
          {"web", NULL, CURRENT, 0, false}},
         false,
         false,
         false,
         false,
         {0},
         {0},
         {0},
         "0 recreate db shop-db-1 (environment changed)\n"
         "1 restart api shop-api-1 (a dependency was recreated)\n",
         "",
         0},
        {"--pull always pulls what is present",
         ALL_RUNNING,
         false,
         false,
         false,
         false,
         {.pull = PULL_ALWAYS},
         {0},
         {0},
         "-1 pull db mariadb:10.11\n"
         "-1 pull worker worker:1\n"
         "-1 pull web nginx:1.25\n"
         "0 recreate db shop-db-1 (its image is being pulled or built)\n"
         "1 recreate worker shop-worker-1 (its image is being pulled or built)\n"
         "2 recreate web shop-web-1 (its image is being pulled or built)\n"
         "1 restart api shop-api-1 (a dependency was recreated)\n",
         "",
         0},
        {"--build builds what has a build section",
         ALL_RUNNING,
         false,
         false,
         false,
         false,
         {.build = true},
         {0},
         {0},
         "-1 build api shop-api\n"
         "1 recreate api shop-api-1 (its image is being pulled or built)\n",
         "",
         0},
        {"--pull never with an image missing is an error",
         {{0}},
         false,
         false,
         true,
         false,
         {.pull = PULL_NEVER, .no_build = false},
         {"db"},
         {0},
         "",
         "",
         DS_ENOTFOUND},
        {"--no-build with a missing built image is an error",
         {{0}},
         false,
         false,
         true,
         false,
         {.no_build = true},
         {"api"},
         {0},
         "",
         "",
         DS_ENOTFOUND},
        {"an unknown service is an error",
         {{0}},
         false,
         false,
         false,
         false,
         {0},
         {"nope"},
         {0},
         "",
         "",
         DS_ENOTFOUND},
};

static void test_plan_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct plan_case *pc = &cases[i];
        struct compose_project *p = load(pc->profiles);
        struct stack_observed o;
        struct stack_plan plan;
        struct strvec services = STRVEC_INIT;
        struct stack_options opts = pc->opts;
        struct ds_error err = DS_ERROR_INIT;
        struct buf got = BUF_INIT, orphans = BUF_INIT;
        int rc;

        for (size_t k = 0; k < 4 && pc->services[k]; k++)
            strvec_push(&services, pc->services[k]);
        opts.services = &services;
        build_observed(p, pc, &o);
        rc = stack_plan(p, &o, &opts, &plan, &err);
        if (rc != pc->rc)
            fail_msg("case '%s': rc %d (%s), expected %d", pc->name, rc, err.msg ? err.msg : "",
                     pc->rc);
        if (rc == 0) {
            describe_plan(&plan, &got);
            for (size_t k = 0; k < plan.orphans.n; k++)
                buf_addf(&orphans, "%s%s", k ? "," : "", plan.orphans.v[k]);
            if (strcmp(got.buf, pc->expect))
                fail_msg("case '%s':\n--- expected\n%s--- got\n%s", pc->name, pc->expect, got.buf);
            if (strcmp(orphans.buf, pc->orphans))
                fail_msg("case '%s': orphans '%s', expected '%s'", pc->name, orphans.buf,
                         pc->orphans);
            stack_plan_release(&plan);
        }
        buf_release(&got);
        buf_release(&orphans);
        strvec_clear(&services);
        stack_observed_release(&o);
        compose_project_free(p);
        ds_error_release(&err);
    }
}

/*
 * watch's up (build_develop): the services with develop: and build: are
 * built though their image is there, as Compose 2.26 sets their pull_policy
 * to build; one with build: alone, or develop: alone, is not.
 */
static void test_build_develop(void **state)
{
    static const char yaml[] = "name: dev\n"
                               "services:\n"
                               "  app:\n"
                               "    build: ./app\n"
                               "    develop: {watch: [{path: ./app, action: rebuild}]}\n"
                               "  lib:\n"
                               "    build: ./lib\n"
                               "  web:\n"
                               "    image: nginx:1.25\n"
                               "    develop: {watch: [{path: ./web, action: restart}]}\n";
    static const struct {
        bool build_develop;
        const char *expect;
    } dev_cases[] = {
            {false, ""},
            {true, "-1 build app dev-app\n"},
    };
    struct compose_project *p = test_load_compose(yaml);
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(dev_cases); i++) {
        struct stack_options opts = {.build_develop = dev_cases[i].build_develop};
        struct stack_observed o = {0};
        struct stack_plan plan;
        struct ds_error err = DS_ERROR_INIT;
        struct buf got = BUF_INIT;

        o.images = xcalloc(p->n_services, sizeof(*o.images));
        for (size_t k = 0; k < p->n_services; k++) {
            o.images[k].service = xstrdup(p->services[k].name);
            o.images[k].ref = stack_image_ref(p, &p->services[k]);
            o.images[k].id = xstrdup("sha256:img");
        }
        o.n_images = p->n_services;
        assert_int_equal(stack_plan(p, &o, &opts, &plan, &err), 0);
        for (size_t k = 0; k < plan.n; k++)
            if (plan.actions[k].kind == ACT_BUILD || plan.actions[k].kind == ACT_PULL)
                buf_addf(&got, "%d %s %s %s\n", plan.actions[k].layer,
                         stack_action_name(plan.actions[k].kind), plan.actions[k].service,
                         plan.actions[k].target);
        if (strcmp(got.buf, dev_cases[i].expect))
            fail_msg("build_develop %d: images '%s', want '%s'", dev_cases[i].build_develop,
                     got.buf, dev_cases[i].expect);
        stack_plan_release(&plan);
        stack_observed_release(&o);
        buf_release(&got);
    }
    compose_project_free(p);
}

/* The plan is a function of its input: the same input twice, the same plan. */
static void test_plan_is_pure(void **state)
{
    struct compose_project *p = load(NULL);
    struct stack_observed o;
    struct stack_plan a, b;
    struct stack_options opts = {0};
    struct ds_error err = DS_ERROR_INIT;
    struct buf da = BUF_INIT, db = BUF_INIT;

    (void)state;
    build_observed(p, &cases[0], &o);
    assert_int_equal(stack_plan(p, &o, &opts, &a, &err), 0);
    assert_int_equal(stack_plan(p, &o, &opts, &b, &err), 0);
    describe_plan(&a, &da);
    describe_plan(&b, &db);
    assert_string_equal(da.buf, db.buf);
    stack_plan_release(&a);
    stack_plan_release(&b);
    stack_observed_release(&o);
    compose_project_free(p);
    buf_release(&da);
    buf_release(&db);
}

/* The hash moves with what the container runs, and with nothing else. */
static void test_config_hash(void **state)
{
    struct compose_project *p = load(NULL);
    struct compose_service *db = compose_find_service(p, "db");
    struct stack_options loopback = {0}, all = {.bind_all = true};
    char *h1 = stack_config_hash(p, db, "sha256:img", &loopback);
    char *h2 = stack_config_hash(p, db, "sha256:img", &loopback);
    char *h3 = stack_config_hash(p, db, "sha256:other", &loopback);
    char *h4 = stack_config_hash(p, db, "sha256:img", &all);
    char *h5;

    (void)state;
    assert_int_equal(strlen(h1), 64);
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, h3);
    assert_string_not_equal(h1, h4);
    kvlist_set(&db->environment, "MYSQL_DATABASE", "other");
    h5 = stack_config_hash(p, db, "sha256:img", &loopback);
    assert_string_not_equal(h1, h5);
    free(h1);
    free(h2);
    free(h3);
    free(h4);
    free(h5);
    compose_project_free(p);
}

/* What a service becomes as an engine container: names, labels, ports on 127.0.0.1. */
static void test_container_config(void **state)
{
    struct compose_project *p = load(NULL);
    struct compose_service *db = compose_find_service(p, "db");
    struct engine_container_config c;
    struct stack_options opts = {0};

    (void)state;
    stack_container_config(p, db, 1, "sha256:img", &opts, &c);
    assert_string_equal(c.name, "shop-db-1");
    assert_string_equal(c.image, "mariadb:10.11");
    assert_string_equal(kvlist_get(&c.labels, LABEL_PROJECT), "shop");
    assert_string_equal(kvlist_get(&c.labels, LABEL_SERVICE), "db");
    assert_string_equal(kvlist_get(&c.labels, LABEL_NUMBER), "1");
    assert_string_equal(kvlist_get(&c.labels, LABEL_ONEOFF), "False");
    assert_string_equal(kvlist_get(&c.labels, LABEL_WORKING_DIR), "/p");
    assert_string_equal(kvlist_get(&c.labels, LABEL_CONFIG_FILES), "/p/compose.yaml");
    assert_non_null(kvlist_get(&c.labels, LABEL_DEVSTACK_HASH));
    assert_string_equal(c.env.v[0], "MYSQL_DATABASE=app");
    assert_int_equal(c.n_ports, 1);
    assert_string_equal(c.ports[0].host_ip, "127.0.0.1"); /* not on the network by default */
    assert_string_equal(c.ports[0].host_port, "3306");
    assert_int_equal(c.n_mounts, 1);
    assert_string_equal(c.mounts[0].source, "shop_data");
    assert_int_equal(c.n_networks, 1);
    assert_string_equal(c.networks[0].network, "shop_default");
    assert_string_equal(c.networks[0].aliases.v[0], "db");
    assert_true(c.healthcheck_set);
    engine_container_config_release(&c);

    opts.bind_all = true;
    stack_container_config(p, db, 1, "sha256:img", &opts, &c);
    assert_null(c.ports[0].host_ip); /* DEVSTACK_BIND_ALL: the engine's default */
    engine_container_config_release(&c);

    stack_container_config(p, compose_find_service(p, "api"), 1, NULL, &opts, &c);
    assert_string_equal(c.image, "shop-api"); /* a built image is named <project>-<service> */
    assert_string_equal(kvlist_get(&c.labels, LABEL_DEPENDS_ON), "db:service_healthy:true");
    engine_container_config_release(&c);
    compose_project_free(p);
}

/* Secrets and configs in the create body and the hash, table-driven over edits of one file. */
static void test_secrets(void **state)
{
    static const char base[] = "name: shop\n"
                               "services:\n"
                               "  db:\n"
                               "    image: mariadb:10.11\n"
                               "    volumes: ['./conf:/etc/conf']\n"
                               "    secrets: [pw, {source: tok, target: tok, mode: 0400}]\n"
                               "    configs: [cnf, {source: cnf, target: /etc/conf}, inline]\n"
                               "secrets:\n"
                               "  pw: {file: ./pw.txt}\n"
                               "  tok: {environment: TOK}\n"
                               "configs:\n"
                               "  cnf: {file: ./my.cnf}\n"
                               "  inline: {content: x}\n";
    /* each edit of `base`, and whether the hash must change */
    static const struct {
        const char *from, *to;
        bool changes;
    } edits[] = {
            {"mode: 0400", "mode: 0440", true},
            {"target: tok,", "target: tok2,", true},
            {"file: ./pw.txt", "file: ./other.txt", true},
            {"environment: TOK", "environment: TOK2", true},
            {"content: x", "content: y", true},
            {"mode: 0400", "mode: 256", false}, /* the same mode written in decimal */
    };
    char *env[] = {"TOK=a", "TOK2=b", NULL};
    struct compose_options o = {.environ = env, .project_directory = "/p"};
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct engine_container_config c;
    char *h0;

    (void)state;
    if (compose_load_text(&p, base, strlen(base), "/p/compose.yaml", &o, &err) < 0)
        fail_msg("cannot load: %s", err.msg);
    /* file ones are read-only binds; a volume at the same target wins; the others are not mounts */
    stack_container_config(p, compose_find_service(p, "db"), 1, "sha256:img", NULL, &c);
    assert_int_equal(c.n_mounts, 3);
    assert_string_equal(c.mounts[0].target, "/etc/conf");
    assert_string_equal(c.mounts[0].source, "/p/conf");
    assert_string_equal(c.mounts[1].source, "/p/pw.txt");
    assert_string_equal(c.mounts[1].target, "/run/secrets/pw");
    assert_true(c.mounts[1].read_only);
    assert_int_equal(c.mounts[1].type, ENGINE_MOUNT_BIND);
    assert_false(c.mounts[1].bind_create_host_path);
    assert_string_equal(c.mounts[2].source, "/p/my.cnf");
    assert_string_equal(c.mounts[2].target, "/cnf");
    assert_true(c.mounts[2].read_only);
    engine_container_config_release(&c);
    h0 = stack_config_hash(p, compose_find_service(p, "db"), "sha256:img", NULL);
    compose_project_free(p);

    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        struct buf text = BUF_INIT;
        const char *at = strstr(base, edits[i].from);
        char *h;

        assert_non_null(at);
        buf_add(&text, base, (size_t)(at - base));
        buf_adds(&text, edits[i].to);
        buf_adds(&text, at + strlen(edits[i].from));
        if (compose_load_text(&p, text.buf, text.len, "/p/compose.yaml", &o, &err) < 0)
            fail_msg("%s -> %s: cannot load: %s", edits[i].from, edits[i].to, err.msg);
        h = stack_config_hash(p, compose_find_service(p, "db"), "sha256:img", NULL);
        if (edits[i].changes == !strcmp(h, h0))
            fail_msg("%s -> %s: the hash %s", edits[i].from, edits[i].to,
                     edits[i].changes ? "stays" : "changes");
        free(h);
        buf_release(&text);
        compose_project_free(p);
    }
    free(h0);
}

/* stack_volume_drift: what the file asks of an existing volume, against what the engine made. */
static void test_volume_drift(void **state)
{
    static const struct {
        const char *volume;                    /* the file's `data:` volume, YAML */
        const char *driver, *options, *labels; /* observed; "k=v,k=v" */
        const char *why;                       /* NULL: it matches */
    } rows[] = {
            {"{}", "local", "", "com.docker.compose.project=shop", NULL},
            {"{}", NULL, "", "", NULL},
            {"{driver: local}", "local", "", "", NULL},
            {"{labels: {tier: one}}", "local", "", "tier=one,com.docker.compose.volume=data", NULL},
            {"{labels: {tier: two}}", "local", "", "tier=one", "labels.tier"},
            {"{}", "local", "", "tier=one", "labels.tier"},
            {"{labels: [a=1, b=2]}", "local", "", "", "labels.a, labels.b"},
            {"{driver: other}", "local", "", "", "driver local, not other"},
            {"{driver_opts: {type: tmpfs, device: tmpfs, o: size=2m}}", "local",
             "type=tmpfs,device=tmpfs,o=size=1m", "", "driver_opts.o"},
            {"{driver_opts: {type: tmpfs, device: tmpfs}}", "local", "", "",
             "driver_opts.device, driver_opts.type"},
            {"{driver_opts: {o: 'password=new'}, labels: {x: y}}", "local", "o=password=old", "",
             "driver_opts.o, labels.x"},
            {"{external: true}", "other", "o=1", "x=y", NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct buf yaml = BUF_INIT;
        struct compose_project *p;
        struct stack_observed o = {0};
        struct stack_object vol = {0};
        struct strvec names = STRVEC_INIT, why = STRVEC_INIT, pairs = STRVEC_INIT;
        size_t n;

        buf_addf(&yaml,
                 "name: shop\nservices:\n  db:\n    image: busybox\n    volumes: [data:/d]\n"
                 "volumes:\n  data: %s\n",
                 rows[i].volume);
        p = test_load_compose(yaml.buf);
        vol.name = xstrdup("shop_data");
        vol.driver = rows[i].driver ? xstrdup(rows[i].driver) : NULL;
        for (int side = 0; side < 2; side++) {
            struct kvlist *l = side ? &vol.labels : &vol.options;

            strvec_clear(&pairs);
            strvec_split(&pairs, side ? rows[i].labels : rows[i].options, ',');
            for (size_t k = 0; k < pairs.n; k++) {
                char *eq = strchr(pairs.v[k], '=');

                *eq = '\0';
                kvlist_set(l, pairs.v[k], eq + 1);
            }
        }
        o.volumes = &vol;
        o.n_volumes = 1;
        n = stack_volume_drift(p, &o, &names, &why);
        if (!rows[i].why) {
            if (n)
                fail_msg("row %zu: drift '%s' where none was expected", i, why.v[0]);
        } else {
            if (n != 1)
                fail_msg("row %zu: no drift, expected '%s'", i, rows[i].why);
            assert_string_equal(names.v[0], "shop_data");
            assert_string_equal(why.v[0], rows[i].why);
            assert_null(strstr(why.v[0], "password"));
        }
        free(vol.name);
        free(vol.driver);
        kvlist_clear(&vol.labels);
        kvlist_clear(&vol.options);
        strvec_clear(&names);
        strvec_clear(&why);
        strvec_clear(&pairs);
        compose_project_free(p);
        buf_release(&yaml);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plan_table),       cmocka_unit_test(test_build_develop),
            cmocka_unit_test(test_plan_is_pure),     cmocka_unit_test(test_config_hash),
            cmocka_unit_test(test_container_config), cmocka_unit_test(test_secrets),
            cmocka_unit_test(test_volume_drift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
