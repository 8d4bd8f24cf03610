/* One-off containers: `run`. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "stack/internal.h"
#include "stack/run.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/banned.h"

void stack_run_slug(char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char bytes[32];

    do {
        if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
            /* no entropy from OpenSSL: the slug only has to be unlikely to repeat */
            for (size_t i = 0; i < sizeof(bytes); i++)
                bytes[i] = (unsigned char)(random() & 0xff);
        }
        for (size_t i = 0; i < sizeof(bytes); i++) {
            out[2 * i] = hex[bytes[i] >> 4];
            out[2 * i + 1] = hex[bytes[i] & 0xf];
        }
        out[64] = '\0';
        /* as Docker's ids: a short id that reads as a number ("1234e5...") is drawn again */
    } while (strspn(out, "0123456789e") >= 12);
}

/* ---- the service as the command line changes it ---------------------------------- */

/* What the changed copy of the service owns; the rest is borrowed from the project. */
struct run_service {
    struct compose_service s;
    struct compose_deploy deploy;
    struct kvlist env, labels;
    struct strvec cap_add, cap_drop, cmd, entrypoint;
    struct compose_port *ports;
    size_t n_ports;
    struct compose_mount *mounts;
    size_t n_mounts; /* the -v ones, after the service's (borrowed) */
    char *name;
};

static void run_service_release(struct run_service *rs)
{
    kvlist_clear(&rs->env);
    kvlist_clear(&rs->labels);
    strvec_clear(&rs->cap_add);
    strvec_clear(&rs->cap_drop);
    strvec_clear(&rs->cmd);
    strvec_clear(&rs->entrypoint);
    for (size_t i = 0; i < rs->n_ports; i++)
        compose_port_release(&rs->ports[i]);
    free(rs->ports);
    for (size_t i = rs->s.n_volumes - rs->n_mounts; i < rs->s.n_volumes; i++) {
        free(rs->mounts[i].source);
        free(rs->mounts[i].target);
    }
    free(rs->mounts);
    free(rs->name);
}

/* -v [SOURCE:]TARGET[:ro|rw]: a path (bind), a volume the files declare, or anonymous. */
static int parse_volume(const struct compose_project *p, const char *spec, struct compose_mount *m,
                        struct ds_error *err)
{
    struct strvec parts = STRVEC_INIT;
    int rc = 0;

    memset(m, 0, sizeof(*m));
    strvec_split(&parts, spec, ':');
    if (parts.n == 3 && strcmp(parts.v[2], "ro") && strcmp(parts.v[2], "rw"))
        rc = ds_error_set(err, DS_EINVAL, "invalid volume '%s': the mode must be ro or rw", spec);
    else if (parts.n < 1 || parts.n > 3 || !*parts.v[0] || (parts.n > 1 && !*parts.v[1]))
        rc = ds_error_set(err, DS_EINVAL, "invalid volume '%s': expected [SOURCE:]TARGET[:ro|rw]",
                          spec);
    if (rc < 0)
        goto done;
    m->type = COMPOSE_MOUNT_VOLUME;
    if (parts.n == 1) {
        m->target = xstrdup(parts.v[0]);
        goto done;
    }
    m->target = xstrdup(parts.v[1]);
    m->read_only = parts.n == 3 && !strcmp(parts.v[2], "ro");
    if (parts.v[0][0] == '/' || parts.v[0][0] == '.' || parts.v[0][0] == '~') {
        struct buf path = BUF_INIT;

        m->type = COMPOSE_MOUNT_BIND;
        m->create_host_path = true;
        /* relative to the project directory, as a path in the files is */
        if (parts.v[0][0] == '~' && getenv("HOME"))
            buf_addf(&path, "%s%s", getenv("HOME"), parts.v[0] + 1);
        else if (parts.v[0][0] == '.')
            buf_addf(&path, "%s/%s", p->working_dir, parts.v[0]);
        else
            buf_adds(&path, parts.v[0]);
        m->source = buf_detach(&path, NULL);
    } else if (compose_find_volume(p, parts.v[0])) {
        m->source = xstrdup(parts.v[0]);
    } else {
        rc = ds_error_set(err, DS_EINVAL,
                          "invalid volume '%s': '%s' is neither a path nor a volume the files "
                          "declare",
                          spec, parts.v[0]);
        ds_error_hint(err, "declare it under the top-level 'volumes:', or give a path ('./%s')",
                      parts.v[0]);
        free(m->target);
        m->target = NULL;
    }

done:
    strvec_clear(&parts);
    return rc;
}

/*
 * Compose's applyRunOptions: the service's caps without those the command
 * line takes away (--cap-drop from cap_add, --cap-add from cap_drop), then
 * the command line's own.
 */
static void merge_caps(struct strvec *out, const struct strvec *own, const struct strvec *added,
                       const struct strvec *taken)
{
    for (size_t i = 0; i < own->n; i++)
        if (!taken || !strvec_contains(taken, own->v[i]))
            strvec_push(out, own->v[i]);
    for (size_t i = 0; added && i < added->n; i++)
        if (!strvec_contains(out, added->v[i]))
            strvec_push(out, added->v[i]);
}

static int run_service_init(struct run_service *rs, const struct compose_project *p,
                            const struct compose_service *s, const struct stack_run *r,
                            const char *slug, struct ds_error *err)
{
    struct buf name = BUF_INIT;
    int rc = 0;

    memset(rs, 0, sizeof(*rs));
    rs->s = *s;
    kvlist_copy(&rs->env, &s->environment);
    for (size_t i = 0; r->env && i < r->env->n; i++)
        kvlist_set(&rs->env, r->env->items[i].key, r->env->items[i].value);
    rs->s.environment = rs->env;
    kvlist_copy(&rs->labels, &s->labels);
    for (size_t i = 0; r->labels && i < r->labels->n; i++)
        kvlist_set(&rs->labels, r->labels->items[i].key, r->labels->items[i].value);
    rs->s.labels = rs->labels;

    merge_caps(&rs->cap_add, &s->cap_add, r->cap_add, r->cap_drop);
    merge_caps(&rs->cap_drop, &s->cap_drop, r->cap_drop, r->cap_add);
    rs->s.cap_add = rs->cap_add;
    rs->s.cap_drop = rs->cap_drop;

    if (r->cmd && r->cmd->n) {
        strvec_copy(&rs->cmd, r->cmd);
        rs->s.command = rs->cmd;
        rs->s.command_set = true;
    }
    if (r->entrypoint) {
        strvec_copy(&rs->entrypoint, r->entrypoint);
        rs->s.entrypoint = rs->entrypoint;
        rs->s.entrypoint_set = true;
        if (!r->cmd || !r->cmd->n) {
            /* a new entrypoint does not take the service's command, as in Compose */
            rs->s.command = rs->cmd;
            rs->s.command_set = true;
        }
    }
    if (r->user)
        rs->s.user = (char *)r->user;
    if (r->working_dir)
        rs->s.working_dir = (char *)r->working_dir;

    if (!r->service_ports) {
        for (size_t i = 0; rc == 0 && r->publish && i < r->publish->n; i++) {
            rc = compose_parse_port(r->publish->v[i], &rs->ports, &rs->n_ports, err);
            if (rc < 0)
                ds_error_wrap(err, "--publish '%s'", r->publish->v[i]);
        }
        rs->s.ports = rs->ports;
        rs->s.n_ports = rs->n_ports;
    }
    if (rc == 0 && r->volumes && r->volumes->n) {
        size_t own = s->n_volumes;

        rs->mounts = xcalloc(own + r->volumes->n + 1, sizeof(*rs->mounts));
        if (own)
            memcpy(rs->mounts, s->volumes, own * sizeof(*rs->mounts));
        rs->s.volumes = rs->mounts;
        rs->s.n_volumes = own;
        for (size_t i = 0; rc == 0 && i < r->volumes->n; i++) {
            rc = parse_volume(p, r->volumes->v[i], &rs->mounts[own + i], err);
            if (rc == 0) {
                rs->s.n_volumes++;
                rs->n_mounts++;
            }
        }
    }

    /* a one-off container is never restarted */
    rs->s.restart = NULL;
    if (s->deploy) {
        rs->deploy = *s->deploy;
        rs->deploy.restart_condition = NULL;
        rs->deploy.restart_max_attempts = -1;
        rs->s.deploy = &rs->deploy;
    }
    rs->s.tty = r->tty;
    rs->s.stdin_open = r->interactive;
    if (r->name)
        buf_adds(&name, r->name);
    else
        buf_addf(&name, "%s-%s-run-%.12s", p->name, s->name, slug);
    rs->name = buf_detach(&name, NULL);
    rs->s.container_name = rs->name;
    return rc;
}

/* ---- dependencies ------------------------------------------------------------------- */

/* Wait on the run service's own depends_on conditions: `up` waited only among the dependencies. */
static int wait_dependencies(struct engine *e, const struct compose_project *p,
                             const struct compose_service *s, const struct stack_apply_options *ao,
                             struct ds_error *err)
{
    struct stack_container_list l = {0};
    int rc = 0;
    bool listed = false;

    for (size_t d = 0; rc == 0 && d < s->n_depends_on; d++) {
        const struct compose_dependency *dep = &s->depends_on[d];
        const struct stack_container *c = NULL;
        double since;

        if (!strcmp(dep->condition, "service_started"))
            continue;
        if (!listed) {
            rc = stack_list_containers(e, p->name, STACK_LIST_ALL, &l, err);
            if (rc < 0)
                break;
            listed = true;
        }
        for (size_t i = 0; i < l.n && !c; i++)
            if (!strcmp(l.items[i].service, dep->service) && l.items[i].number == 1)
                c = &l.items[i];
        if (!c) {
            if (!dep->required)
                continue;
            rc = ds_error_set(err, DS_ENOTFOUND, "service '%s': dependency '%s' has no container",
                              s->name, dep->service);
            break;
        }
        stack_emit(ao, EV_WAITING, s->name, c->name, dep->condition, 0);
        since = clock_seconds();
        rc = stack_wait_condition(e, c->id, c->name, dep->service, dep->condition, ao->cancel, err);
        if (rc == 0 && !strcmp(dep->condition, "service_healthy"))
            stack_emit(ao, EV_HEALTHY, dep->service, c->name, NULL, since);
        else if (rc == 0)
            stack_emit(ao, EV_EXITED, dep->service, c->name, "0", since);
        if (rc < 0 && rc != DS_EINTR && !dep->required) {
            stack_emit(ao, EV_WARNING, s->name, dep->service, err->msg, 0);
            ds_error_release(err);
            rc = 0;
        }
    }
    stack_container_list_release(&l);
    return rc;
}

/* ---- references to other services' containers ------------------------------------- */

static int lookup_first(const char *service, const char **id, const char **name, void *ud)
{
    const struct stack_container_list *l = ud;

    for (size_t i = 0; i < l->n; i++) {
        if (!strcmp(l->items[i].service, service) && l->items[i].number == 1) {
            *id = l->items[i].id;
            *name = l->items[i].name;
            return 1;
        }
    }
    return 0;
}

static int lookup_all(const char *service, struct strvec *names, void *ud, struct ds_error *err)
{
    const struct stack_container_list *l = ud;

    (void)err;
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].service, service))
            strvec_push(names, l->items[i].name);
    return 0;
}

/* ---- creating ---------------------------------------------------------------------- */

/* Compose's aliases for a one-off: its own name; the service's too only with --use-aliases. */
static void set_aliases(struct engine_container_config *c, const char *name, bool use_aliases)
{
    for (size_t i = 0; i < c->n_networks; i++) {
        struct strvec *aliases = &c->networks[i].aliases;

        if (!use_aliases) {
            strvec_clear(aliases);
            strvec_push(aliases, name);
        } else if (!strvec_contains(aliases, name)) {
            strvec_push(aliases, name);
        }
    }
}

/* The image's id, for the labels and the hash. */
struct image_query {
    struct engine *e;
    const char *ref;
    char *id;
    int rc;
    struct ds_error err;
};

static void *inspect_image(void *arg)
{
    struct image_query *q = arg;
    struct engine_image_info info;

    q->rc = engine_image_inspect(q->e, q->ref, &info, &q->err);
    if (q->rc == 0) {
        q->id = xstrdup(info.id);
        engine_image_info_release(&info);
    }
    return NULL;
}

/*
 * The image's id and the project's containers (which references name): two
 * questions that do not depend on each other, asked at once, the image on a
 * connection of its own. Without a thread, one after the other.
 */
static int ask_image_and_containers(struct engine *e, const struct compose_project *p,
                                    const char *ref, char **image_id,
                                    struct stack_container_list *l, struct ds_error *err)
{
    struct image_query q = {.ref = ref, .err = DS_ERROR_INIT};
    struct engine *clone = NULL;
    pthread_t thread;
    bool threaded = false;
    int rc;

    if (engine_clone(&clone, e, &q.err) == 0) {
        q.e = clone;
        threaded = pthread_create(&thread, NULL, inspect_image, &q) == 0;
    }
    ds_error_release(&q.err);
    if (!threaded) {
        q.e = e;
        inspect_image(&q);
    }
    rc = stack_list_containers(e, p->name, STACK_LIST_ALL, l, err);
    if (threaded)
        pthread_join(thread, NULL);
    engine_free(clone);
    if (rc == 0 && q.rc < 0) {
        /* the error is the image's: the caller's err takes it over */
        ds_error_release(err);
        *err = q.err;
        memset(&q.err, 0, sizeof(q.err));
        ds_error_wrap(err, "image '%s'", ref);
        rc = q.rc;
    }
    ds_error_release(&q.err);
    *image_id = q.id;
    return rc;
}

static int create(struct engine *e, const struct compose_project *p, const struct stack_run *r,
                  const struct compose_service *s, const struct stack_options *opts,
                  const struct stack_apply_options *ao, char **id, char **name,
                  struct ds_error *err)
{
    struct run_service rs;
    struct engine_container_config c;
    struct stack_container_list l = {0};
    struct strvec warnings = STRVEC_INIT;
    char slug[65], *ref = stack_image_ref(p, s), *image_id = NULL;
    int rc;

    engine_container_config_init(&c);
    stack_run_slug(slug);
    rc = run_service_init(&rs, p, s, r, slug, err);
    if (rc < 0)
        goto done;
    rc = ask_image_and_containers(e, p, ref, &image_id, &l, err);
    if (rc < 0) {
        ds_error_wrap(err, "service '%s'", s->name);
        goto done;
    }

    engine_container_config_release(&c);
    stack_container_config(p, &rs.s, 1, image_id, opts, &c);
    kvlist_set(&c.labels, LABEL_ONEOFF, "True");
    kvlist_set(&c.labels, LABEL_SLUG, slug);
    /* the command line's labels win over Compose's, as in Compose */
    for (size_t i = 0; r->labels && i < r->labels->n; i++)
        kvlist_set(&c.labels, r->labels->items[i].key, r->labels->items[i].value);
    set_aliases(&c, rs.name, r->use_aliases);
    c.attach_stdin = r->interactive && !r->detach;
    c.attach_stdout = c.attach_stderr = true;
    c.stdin_once = c.attach_stdin && c.open_stdin;
    c.auto_remove = r->auto_remove;

    {
        const struct stack_lookup lookup = {lookup_first, lookup_all, &l};

        rc = stack_resolve_references(p, &rs.s, 1, &c, &lookup, err);
    }
    if (rc < 0)
        goto done;
    rc = engine_container_create(e, &c, id, &warnings, err);
    for (size_t i = 0; i < warnings.n; i++)
        stack_emit(ao, EV_WARNING, s->name, rs.name, warnings.v[i], 0);
    if (rc < 0) {
        stack_explain_engine_error(e, s->name, rs.name, p->name, err);
        goto done;
    }
    strvec_clear(&warnings);
    rc = stack_copy_file_refs(e, p, &rs.s, *id, &warnings, err);
    for (size_t i = 0; i < warnings.n; i++)
        stack_emit(ao, EV_WARNING, s->name, rs.name, warnings.v[i], 0);
    if (rc < 0) {
        engine_container_remove(e, *id, true, true, NULL);
        free(*id);
        *id = NULL;
        goto done;
    }
    *name = xstrdup(rs.name);

done:
    strvec_clear(&warnings);
    stack_container_list_release(&l);
    engine_container_config_release(&c);
    run_service_release(&rs);
    free(image_id);
    free(ref);
    return rc;
}

int stack_run_create(struct engine *e, const struct compose_project *p, const struct stack_run *r,
                     const struct stack_options *opts, const struct stack_apply_options *ao,
                     struct strvec *orphans, char **id, char **name, struct ds_error *err)
{
    const struct compose_service *s = compose_find_service(p, r->service);
    struct strvec services = STRVEC_INIT;
    struct stack_options up = *opts;
    int rc;

    *id = *name = NULL;
    if (!s)
        return ds_error_set(err, DS_ENOTFOUND, "no such service: '%s'", r->service);
    rc = compose_check_file_refs(p, s, err);
    if (rc == 0)
        rc = stack_check_engine_api(s, engine_api_version(e), err);
    if (rc == 0) {
        /* a bad -v or -p is refused before anything is started */
        struct run_service rs;
        char slug[65] = {0};

        rc = run_service_init(&rs, p, s, r, slug, err);
        run_service_release(&rs);
    }
    if (rc < 0)
        return rc;
    /* the dependencies, the image, the networks and volumes: what `up SERVICE` makes first */
    strvec_push(&services, s->name);
    up.services = &services;
    up.no_deps = r->no_deps;
    up.run_service = s->name;
    rc = stack_up(e, p, &up, ao, orphans, err);
    strvec_clear(&services);
    if (rc == 0 && !r->no_deps)
        rc = wait_dependencies(e, p, s, ao, err);
    if (rc == 0)
        rc = create(e, p, r, s, opts, ao, id, name, err);
    return rc;
}

/* ---- running ------------------------------------------------------------------------ */

struct attached {
    struct engine *e;
    const char *id;
    const struct stack_run_io *io;
    struct engine_wait *wait; /* asked before the start */
};

static void resize(void *ud)
{
    struct attached *a = ud;
    struct ds_error err = DS_ERROR_INIT;
    int height = 0, width = 0;

    if (!a->io->size || a->io->size(a->io->ud, &height, &width) < 0 || height <= 0 || width <= 0)
        return;
    /* a resize that fails (it just ended) changes nothing worth telling */
    engine_container_resize(a->e, a->id, height, width, &err);
    ds_error_release(&err);
}

static int forward(int stream, const char *data, size_t len, void *ud)
{
    struct attached *a = ud;

    return a->io->out ? a->io->out(stream, data, len, a->io->ud) : 0;
}

/* Pass the signals caught on to the container's process, which decides what they mean. */
static void pass_signals(void *ud)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {{SIGINT, "SIGINT"},   {SIGTERM, "SIGTERM"}, {SIGHUP, "SIGHUP"},
                 {SIGQUIT, "SIGQUIT"}, {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}};
    struct attached *a = ud;
    int sig;

    while ((sig = a->io->next_signal(a->io->ud)) > 0) {
        struct ds_error err = DS_ERROR_INIT;
        char number[16];
        const char *name = NULL;

        for (size_t i = 0; i < sizeof(names) / sizeof(*names) && !name; i++)
            if (names[i].sig == sig)
                name = names[i].name;
        if (!name) {
            snprintf(number, sizeof(number), "%d", sig);
            name = number;
        }
        /* not running (yet, or any more): the signal is moot, as with the docker CLI */
        engine_container_kill(a->e, a->id, name, &err);
        ds_error_release(&err);
    }
}

/*
 * Attached: the terminal goes raw, the exit is waited for, then the container
 * starts; nothing it writes is missed, and its exit code cannot be: with
 * AutoRemove a wait asked after the exit could find no container.
 */
static int start_attached(void *ud, struct ds_error *err)
{
    struct attached *a = ud;
    int rc;

    if (a->io->ready && (rc = a->io->ready(a->io->ud, err)) < 0)
        return rc;
    rc = engine_container_wait_begin(a->e, a->id, "next-exit", &a->wait, err);
    if (rc == 0)
        rc = engine_container_start(a->e, a->id, err);
    return rc;
}

int stack_run_attach(struct engine *e, const char *id, const struct stack_run_io *io,
                     int *exit_code, struct ds_error *err)
{
    struct attached at = {.e = e, .id = id, .io = io};
    struct engine_attach a = {
            .tty = io->tty,
            .in_fd = io->in_fd,
            .out = forward,
            .ud = &at,
            .winch = io->tty ? io->winch : NULL,
            .on_winch = io->tty ? resize : NULL,
            .cancel = io->cancel,
            .on_attached = start_attached,
            .notice = io->next_signal ? io->notice : NULL,
            .on_notice = io->next_signal ? pass_signals : NULL,
    };
    volatile sig_atomic_t *old = engine_set_cancel_flag(e, NULL);
    int rc;

    *exit_code = -1;
    rc = engine_container_attach(e, id, NULL, &a, err);
    if (rc == 0 && at.wait)
        rc = engine_container_wait_end(at.wait, io->cancel, exit_code, err);
    if (rc == DS_EINTR) {
        struct ds_error serr = DS_ERROR_INIT;

        /* Ctrl-C: the container stops, as with Compose (its stop signal, then SIGKILL) */
        engine_container_stop(e, id, -1, &serr);
        ds_error_release(&serr);
    }
    engine_wait_free(at.wait);
    engine_set_cancel_flag(e, old);
    return rc;
}

int stack_run_start(struct engine *e, const char *id, struct ds_error *err)
{
    return engine_container_start(e, id, err);
}

int stack_run_remove(struct engine *e, const char *id, struct ds_error *err)
{
    int rc = engine_container_remove(e, id, true, true, err);

    if (rc == DS_ENOTFOUND) { /* gone already: what was wanted */
        ds_error_release(err);
        rc = 0;
    }
    return rc;
}
