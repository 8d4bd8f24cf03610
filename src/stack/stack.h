/*
 * Bringing a compose project to the state its files describe.
 *
 *     observe (engine) ──▶ plan (pure) ──▶ apply (engine) ──▶ events
 *
 * stack_observe() reads what the engine holds for the project (by label);
 * stack_plan() decides, without talking to the engine, what to create,
 * recreate, start or remove; stack_apply() does it, in dependency order and
 * in parallel where the dependencies allow, waiting on depends_on
 * conditions, and reports each step through a callback. Names and labels
 * are Docker Compose's, so either tool manages what the other created.
 */
#ifndef DEVSTACK_STACK_H
#define DEVSTACK_STACK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/kvlist.h"
#include "util/strvec.h"

/* Compose's labels, and devstack's own. */
#define LABEL_PROJECT       "com.docker.compose.project"
#define LABEL_SERVICE       "com.docker.compose.service"
#define LABEL_NUMBER        "com.docker.compose.container-number"
#define LABEL_ONEOFF        "com.docker.compose.oneoff"
#define LABEL_WORKING_DIR   "com.docker.compose.project.working_dir"
#define LABEL_CONFIG_FILES  "com.docker.compose.project.config_files"
#define LABEL_CONFIG_HASH   "com.docker.compose.config-hash"
#define LABEL_DEPENDS_ON    "com.docker.compose.depends_on"
#define LABEL_VERSION       "com.docker.compose.version"
#define LABEL_NETWORK       "com.docker.compose.network"
#define LABEL_VOLUME        "com.docker.compose.volume"
#define LABEL_IMAGE         "com.docker.compose.image"
#define LABEL_DEVSTACK_HASH "dev.devstack.config-hash"
#define LABEL_DEVSTACK_URL  "dev.devstack.url" /* a service's URLs for `up`, space-separated */
/* a volume devstack made for a database's data directory: whose files it holds (mysql, postgresql)
 */
#define LABEL_DEVSTACK_DATABASE "dev.devstack.database"
/* the devcontainers CLI's, on the dev container: how `devcontainer exec` finds it */
#define LABEL_DEVCONTAINER_FOLDER "devcontainer.local_folder"
#define LABEL_DEVCONTAINER_CONFIG "devcontainer.config_file"

/* ---- what the engine holds -------------------------------------------------- */

struct stack_container {
    char *id, *name, *service;
    char *project; /* its project label */
    int number;
    char *state;  /* created, running, exited, ... */
    char *status; /* "Up 3 minutes (healthy)" */
    char *image, *image_id;
    char *hash; /* devstack's config hash; NULL: created by another tool */
    bool oneoff;
    struct kvlist labels;
    struct engine_published_port *ports; /* the published ones */
    size_t n_ports;
    /* for containers another tool made: what `up` can compare (from inspect) */
    bool inspected;
    struct strvec env, cmd;
    struct strvec port_specs;    /* "127.0.0.1:8080:80/tcp" per binding, sorted */
    struct strvec mount_targets; /* sorted */
};

/* Containers as the engine lists them (no inspect: fields up to `ports` are set). */
struct stack_container_list {
    struct stack_container *items;
    size_t n;
};

/* stack_list_containers() flags */
#define STACK_LIST_ALL    0x1u /* stopped ones too, not only those running */
#define STACK_LIST_ONEOFF 0x2u /* one-off containers too */

/*
 * The containers of compose project `project` (NULL: of every compose
 * project on the engine, found by the project label), in the engine's order.
 */
int stack_list_containers(struct engine *e, const char *project, unsigned flags,
                          struct stack_container_list *out, struct ds_error *err);
void stack_container_list_release(struct stack_container_list *l);
void stack_container_release(struct stack_container *c);
/*
 * The running container number `index` of `service` in `l`, or NULL; when
 * there is none, err says so and how to start it.
 */
const struct stack_container *stack_find_running(const struct stack_container_list *l,
                                                 const char *service, int index,
                                                 struct ds_error *err);

struct stack_object { /* a network or a volume */
    char *name;
    struct kvlist labels;
    char *driver;          /* volumes */
    struct kvlist options; /* volumes: the driver's options */
};

struct stack_image {
    char *service;
    char *ref;      /* what the service runs: image:, or <project>-<service> for builds */
    char *id;       /* NULL: not in the engine */
    int64_t tagged; /* unix seconds: when it was last tagged or pulled, else made; 0: unknown */
};

struct stack_observed {
    struct stack_container *containers;
    size_t n_containers;
    struct stack_object *networks;
    size_t n_networks;
    struct stack_object *volumes;
    size_t n_volumes;
    struct stack_image *images;
    size_t n_images;
};

/*
 * Read the project's containers, networks and volumes (by the project
 * label) and the images its services use. Containers another tool created
 * are inspected so that drift can be told from adoption.
 */
int stack_observe(struct engine *e, const struct compose_project *p, struct stack_observed *out,
                  struct ds_error *err);
void stack_observed_release(struct stack_observed *o);
const struct stack_image *stack_observed_image(const struct stack_observed *o, const char *service);

/* ---- the plan ------------------------------------------------------------------ */

enum stack_action_kind {
    ACT_CREATE_NETWORK,
    ACT_CREATE_VOLUME,
    ACT_PULL,
    ACT_BUILD,
    ACT_CREATE,   /* a container that does not exist */
    ACT_RECREATE, /* its configuration changed: remove and create */
    ACT_START,    /* it exists, up to date, not running */
    ACT_RESTART,  /* a dependency was recreated and depends_on says restart: true */
    ACT_REMOVE_ORPHAN,
    ACT_SCALE_DOWN, /* a container numbered above the service's scale */
};

struct stack_action {
    enum stack_action_kind kind;
    char *service;   /* NULL for networks, volumes and orphans */
    char *target;    /* network or volume name, image ref, or container name */
    char *container; /* the existing container's id, when there is one */
    int number;
    int layer;        /* start order: actions of layer k wait for layers before k */
    char *reason;     /* why: "configuration changed", "image changed", ... */
    bool after_image; /* decided before the service's image was pulled or built */
};

struct stack_plan {
    struct stack_action *actions;
    size_t n;
    struct strvec orphans;  /* container names whose service is gone */
    struct strvec services; /* the services `up` acts on, in start order */
};

enum stack_pull { PULL_POLICY_DEFAULT, PULL_ALWAYS, PULL_MISSING, PULL_NEVER };

struct stack_options {
    const struct strvec *services; /* empty: every enabled service */
    bool force_recreate, no_recreate, no_deps, no_start, remove_orphans;
    bool renew_anon_volumes; /* -V: recreated containers get new anonymous volumes */
    bool recreate_volumes;   /* -y: volumes the file no longer matches are made afresh */
    bool recreate_deps;      /* recreate the dependencies of the named services too */
    bool take_over;          /* recreate containers another checkout (working_dir label) made */
    bool build, no_build;
    /*
     * Build the services that have both develop: and build: every time (as
     * pull_policy: build would), whether their image is there or not: what
     * `watch` does before it watches, so that what runs is what the files say.
     */
    bool build_develop;
    enum stack_pull pull;
    /* images were pulled and built already: plan no image actions (the second pass of `up`) */
    bool images_resolved;
    bool bind_all; /* publish ports without a host IP on every interface, not 127.0.0.1 */
    /*
     * `run`: the service of the one-off container. Its image, networks and
     * volumes are planned as for `up`, its own containers are not (its
     * dependencies are, unless no_deps).
     */
    const char *run_service;
    /* for builds: --no-cache, --pull, --build-arg K=V (over the file's args) */
    bool build_no_cache, build_pull;
    const struct kvlist *build_args;
};

/*
 * The actions that bring the engine from `o` to `p`. Pure: same input, same
 * plan, no I/O. Images first (pull, build), then networks and volumes, then
 * containers in dependency layers. An unchanged project gives no actions.
 */
int stack_plan(const struct compose_project *p, const struct stack_observed *o,
               const struct stack_options *opts, struct stack_plan *out, struct ds_error *err);
void stack_plan_release(struct stack_plan *plan);
/*
 * The file's volumes that exist (in `o`) but were made otherwise: another
 * driver, other driver_opts, other labels. Their engine names go to
 * `names`, and to `why` what differs, by key only (an option's value may be
 * a password). Pure. Returns how many.
 */
size_t stack_volume_drift(const struct compose_project *p, const struct stack_observed *o,
                          struct strvec *names, struct strvec *why);
const char *stack_action_name(enum stack_action_kind k);

/* ---- translating a service ---------------------------------------------------- */

/* The container name of a service: container_name, or <project>-<service>-<n>. Caller frees. */
char *stack_container_name(const struct compose_project *p, const struct compose_service *s,
                           int number);
/* The image a service runs: its image:, or <project>-<service> when it is only built. */
char *stack_image_ref(const struct compose_project *p, const struct compose_service *s);
/*
 * devstack's config hash of a service: SHA-256 over a canonical form of its
 * resolved model, what devstack derives from it, and the image id.
 */
char *stack_config_hash(const struct compose_project *p, const struct compose_service *s,
                        const char *image_id, const struct stack_options *opts);
/* The engine's container configuration for a service (labels included). */
void stack_container_config(const struct compose_project *p, const struct compose_service *s,
                            int number, const char *image_id, const struct stack_options *opts,
                            struct engine_container_config *out);
/*
 * The container of another service that a reference in the file means: its
 * id and name (borrowed), or 0 without setting them when it has none.
 */
typedef int (*stack_container_lookup_fn)(const char *service, const char **id, const char **name,
                                         void *ud);
/*
 * The names of every container of another service (one-off ones left out),
 * in the engine's order (newest first), appended to `names`; negative with
 * err set when they cannot be listed.
 */
typedef int (*stack_container_names_fn)(const char *service, struct strvec *names, void *ud,
                                        struct ds_error *err);
/* How stack_resolve_references() finds the containers a file's references mean. */
struct stack_lookup {
    stack_container_lookup_fn first; /* container 1: namespaces, volumes_from */
    stack_container_names_fn all;    /* every container: links */
    void *ud;
};
/*
 * Replace what stack_container_config() put in `c` as the file wrote it by
 * containers, as Compose does: network_mode, ipc and pid "service:X" become
 * "container:<id of X>", volumes_from X[:mode] "<id of X>[:mode]" and
 * "container:N[:mode]" "N[:mode]"; links X[:alias], for each container C of
 * X, "C:alias" plus Compose's "C:X-<number>" and "C:<project>-X-<number>"
 * (`number` is the linking container's, as in Compose). A service without a
 * container is DS_ENOTFOUND naming it.
 */
int stack_resolve_references(const struct compose_project *p, const struct compose_service *s,
                             int number, struct engine_container_config *c,
                             const struct stack_lookup *lookup, struct ds_error *err);

/* ---- anonymous volumes across a recreate ------------------------------------- */

/* A mount of an existing container, as inspect reports it (Mounts). */
struct stack_mount_point {
    char *type;        /* "volume", "bind", "tmpfs", ... */
    char *name;        /* a volume's name; NULL for the other types */
    char *source;      /* a bind's host path (or the volume's directory) */
    char *destination; /* the path in the container */
    bool rw;
};

struct stack_mount_points {
    struct stack_mount_point *items;
    size_t n;
};

/* Inspect's Mounts array (borrowed; NULL or not an array: none); entries without a destination are
 * skipped. */
void stack_mount_points_from_json(const cJSON *mounts, struct stack_mount_points *out);
/*
 * The mounts a container was created with (inspect's HostConfig.Mounts,
 * borrowed): a volume's Source is its name, and only the volumes given by
 * name are there, those the engine keeps when the container goes.
 */
void stack_mount_points_from_config_json(const cJSON *mounts, struct stack_mount_points *out);
void stack_mount_points_release(struct stack_mount_points *m);

/*
 * Carry the old container's volumes into the configuration `c` (from
 * stack_container_config()) of the container that replaces it, as Compose v2
 * does on recreate, unless `renew` (up -V): a file's anonymous volume (`-
 * /data`) takes the old container's mount at its target, and so does a VOLUME
 * path of the image (`image_volumes`) where the file mounts nothing. The old
 * mount keeps its kind, source and read-only flag; tmpfs mounts are never
 * carried. Pure. `left` (may be NULL) receives "NAME TARGET" for each of the
 * old container's anonymous volumes (engine-made 64-hex names) that the new
 * container does not mount: they outlive the old container, as with Compose.
 */
void stack_inherit_mounts(struct engine_container_config *c, const struct stack_mount_points *old,
                          const struct strvec *image_volumes, bool renew, struct strvec *left);

/*
 * The anonymous volumes among a container's mounts: volumes with an
 * engine-made name (64 hex digits) that no volume of `p` (may be NULL) is
 * named. Once a recreate has mounted them by name the engine no longer removes
 * them with the container (`rm -v`), so `down -v` removes these itself. Pure.
 */
void stack_anonymous_volumes(const struct stack_mount_points *mounts,
                             const struct compose_project *p, struct strvec *out);

/* ---- whose checkout the containers are -------------------------------------- */

typedef bool (*stack_same_dir_fn)(const char *a, const char *b);

/*
 * The first of the containers `cs` made in a directory other than
 * `working_dir` (Compose's working_dir label; `same_dir`, may be NULL, tells
 * two spellings of one directory apart from two directories), or NULL when
 * every one is this checkout's or does not say. Pure.
 */
const struct stack_container *stack_foreign_container(const struct stack_container *cs, size_t n,
                                                      const char *working_dir,
                                                      stack_same_dir_fn same_dir);
/* The refusal for container `c` of another checkout: what, where, and the ways out. */
int stack_owner_error(const char *project, const char *working_dir, const struct stack_container *c,
                      bool owner_exists, struct ds_error *err);
/*
 * Refuse (DS_ECONFLICT) when project `p`'s containers on the engine were
 * made in another directory, unless `take_over`. *foreign_dir (may be NULL;
 * caller frees) receives that directory, NULL when there is none.
 */
int stack_check_owner(struct engine *e, const struct compose_project *p, bool take_over,
                      char **foreign_dir, struct ds_error *err);

/* ---- applying ---------------------------------------------------------------- */

enum stack_event_kind {
    EV_PULLING,
    EV_PULLED,
    EV_BUILDING,
    EV_BUILT,
    EV_BUILD_OUTPUT, /* detail: a line of build output, or of a post_start/pre_stop hook */
    EV_BUILD_TRACE,  /* BuildKit's progress: `build` is the whole, detail its new plain lines */
    EV_BUILD_FAILED, /* a BuildKit build failed: detail is the failed step and its output */
    EV_BUILD_TICK,   /* builds run on: `build` is their view, for a display's clock */
    EV_NETWORK_CREATED,
    EV_VOLUME_CREATED,
    EV_CREATING,
    EV_RECREATING,
    EV_CREATED,
    EV_STARTING,
    EV_STARTED,
    EV_RUNNING, /* already running, nothing to do */
    EV_WAITING, /* for a dependency */
    EV_HEALTHY,
    EV_EXITED, /* a one-shot finished (detail: the exit code) */
    EV_STOPPING,
    EV_STOPPED,
    EV_REMOVING,
    EV_REMOVED,
    EV_KILLING,
    EV_KILLED,
    EV_PAUSED,
    EV_UNPAUSED,
    EV_WARNING,
    EV_ERROR,
};

struct buildkit_view;

struct stack_event {
    enum stack_event_kind kind;
    const char *service; /* may be NULL (networks, volumes) */
    const char *object;  /* container, network, volume or image name */
    const char *detail;
    double elapsed;                    /* seconds since the step began */
    const struct buildkit_view *build; /* EV_BUILD_TRACE, EV_BUILD_FAILED, EV_BUILT */
};

typedef void (*stack_event_fn)(const struct stack_event *ev, void *ud);

struct stack_apply_options {
    int parallel;     /* at most this many engine operations at once; 0: 4 */
    bool wait;        /* --wait: return when every service is running or healthy */
    int wait_timeout; /* seconds; 0: none */
    int stop_timeout; /* -t for recreate/restart; -1: the service's own */
    volatile sig_atomic_t *cancel;
    stack_event_fn on_event;
    void *ud;
};

/*
 * Carry out `plan`. A failure names the service and why; a container that
 * exits or turns unhealthy while something waits on it stops the wait at
 * once, and its last log lines and health log are in err (as a hint).
 */
int stack_apply(struct engine *e, const struct compose_project *p, const struct stack_observed *o,
                const struct stack_plan *plan, const struct stack_options *opts,
                const struct stack_apply_options *ao, struct ds_error *err);

/*
 * Build a service's image from its `build:` section: the context streamed as
 * a tar (honouring .dockerignore), tagged as Compose tags it, labelled with
 * the project. Output lines arrive as EV_BUILD_OUTPUT events.
 */
int stack_build(struct engine *e, const struct compose_project *p, const struct compose_service *s,
                const struct stack_options *opts, const struct stack_apply_options *ao,
                struct ds_error *err);

/*
 * Can devstack's builder (BuildKit or the classic builder, through the
 * Engine API's /build) build the service as its build section asks?
 * DS_EUNSUPPORTED, naming file:line:col and the key, for a key that needs
 * more of BuildKit than a session serving secrets and ssh (privileged,
 * cache_to, additional_contexts, entitlements), several platforms, or
 * secrets and ssh with DOCKER_BUILDKIT=0; DS_EINVAL for a build secret or
 * SSH agent that is not there (a file, a variable, a socket).
 */
int stack_build_check(const struct compose_project *p, const struct compose_service *s,
                      struct ds_error *err);
/* Does a build go to BuildKit (DOCKER_BUILDKIT, else the engine's API version)? */
bool stack_build_uses_buildkit(struct engine *e);

/*
 * Build the images of `services` (empty: every enabled service) that have
 * a build section, as stack_build_run() does; a named service without one
 * is a warning (EV_WARNING). *built (may be NULL) counts the images built.
 */
int stack_build_services(struct engine *e, const struct compose_project *p,
                         const struct strvec *services, const struct stack_options *opts,
                         const struct stack_apply_options *ao, size_t *built, struct ds_error *err);
/*
 * Build the services `names` at once, as Compose does: each build waits for
 * those it depends on (depends_on, through services not built too) and for
 * any whose image its Dockerfile reads (FROM, COPY --from=); at most
 * ao->parallel at a time (0: COMPOSE_PARALLEL_LIMIT, else no limit). The
 * first failure cancels the builds running beside it, starts no other, and
 * is the error returned. BuildKit's progress of them all is one view;
 * EV_BUILD_TICK comes every 100 ms while they run.
 */
int stack_build_run(struct engine *e, const struct compose_project *p, const struct strvec *names,
                    const struct stack_options *opts, const struct stack_apply_options *ao,
                    size_t *built, struct ds_error *err);

/*
 * Refuse a key of service s that an engine speaking API `api` would drop
 * without a word (annotations, healthcheck.start_interval, volume subpath,
 * image mounts, read-only bind recursion): DS_EUNSUPPORTED with the
 * file:line:col of the key, the service, and the Docker Engine it needs.
 */
int stack_check_engine_api(const struct compose_service *s, int api, struct ds_error *err);

/* ---- data volumes (datavol.c) ---------------------------------------------------- */

/* The database whose files a container keeps at `target` (mysql, postgresql), or NULL. */
const char *stack_data_dir_database(const char *target);
/* The database whose data directory a service of p mounts the volume `name` (the engine's) at. */
const char *stack_volume_database(const struct compose_project *p, const char *name);

/* What a volume (its engine name) or a bind directory holds, and how that is known. */
struct stack_data_held {
    const char *volume;
    const char *database; /* mysql, postgresql */
    char *how;            /* "its label ...", "/var/lib/mysql in container x" */
};

/*
 * Pure: DS_ECONFLICT, saying which and what to do, when one of `services`
 * mounts a volume or bind directory at one database's data directory that
 * `held` says holds another's.
 */
int stack_data_volume_conflict(const struct compose_project *p, const struct strvec *services,
                               const struct stack_data_held *held, size_t n_held,
                               struct ds_error *err);
/*
 * The same, from the volumes' labels, the services' containers (inspected)
 * and the files in their bind directories.
 */
int stack_check_data_volumes(struct engine *e, const struct compose_project *p,
                             const struct stack_observed *o, const struct strvec *services,
                             struct ds_error *err);

/*
 * The whole of `up`: observe, plan, pull and build what is missing, look at
 * the images again, plan the containers with their image ids known, apply.
 * `orphans` (may be NULL) receives the names of orphan containers left.
 */
int stack_up(struct engine *e, const struct compose_project *p, const struct stack_options *opts,
             const struct stack_apply_options *ao, struct strvec *orphans, struct ds_error *err);

/* ---- stopping and removing ---------------------------------------------------- */

/*
 * The lifecycle of existing containers. Each observes the project first;
 * `services` empty (or NULL) means all of them. ao->cancel also cuts short
 * what the engine is doing (DS_EINTR).
 */

/* Stop the project's containers of `services` in reverse start order. */
int stack_stop(struct engine *e, const struct compose_project *p, const struct strvec *services,
               int timeout, const struct stack_apply_options *ao, struct ds_error *err);
/* Start existing containers in start order, waiting on depends_on conditions. */
int stack_start(struct engine *e, const struct compose_project *p, const struct strvec *services,
                const struct stack_apply_options *ao, struct ds_error *err);
/* Stop, then start again. */
int stack_restart(struct engine *e, const struct compose_project *p, const struct strvec *services,
                  int timeout, const struct stack_apply_options *ao, struct ds_error *err);
/*
 * Add to `services` the services whose depends_on names one of them with
 * `restart: true`, and theirs in turn: what Compose's `restart` also
 * restarts unless --no-deps.
 */
void stack_restart_dependents(const struct compose_project *p, struct strvec *services);
/*
 * After an interrupted `up`: stop every container of the project
 * gracefully; when *forced becomes set meanwhile (a second Ctrl-C), kill
 * those that are left (EV_KILLED each). What to stop is listed before
 * *forced can cut an answer short.
 */
int stack_stop_or_kill(struct engine *e, const struct compose_project *p, int timeout,
                       const struct stack_apply_options *ao, volatile sig_atomic_t *forced,
                       struct ds_error *err);

struct stack_down_options {
    bool volumes; /* -v */
    int rmi;      /* 0: none, 1: local (built for the project), 2: all */
    bool remove_orphans;
    int timeout; /* -1: the service's own */
};

/*
 * Remove a volume by its engine name, not by force: 1 when removed, 0 when
 * it was gone already.
 */
int stack_remove_volume(struct engine *e, const char *name, struct ds_error *err);
/*
 * Who made volume `name`: 1 with its compose project and volume labels
 * (caller frees; NULL when it has none), 0 when there is no such volume.
 */
int stack_volume_owner(struct engine *e, const char *name, char **project, char **key,
                       struct ds_error *err);

/* Stop and remove the project's containers and networks (and volumes, images). */
int stack_down(struct engine *e, const struct compose_project *p,
               const struct stack_down_options *d, const struct stack_apply_options *ao,
               struct ds_error *err);

#endif
