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

/* ---- what the engine holds -------------------------------------------------- */

struct stack_container {
    char *id, *name, *service;
    int number;
    char *state;  /* created, running, exited, ... */
    char *status; /* "Up 3 minutes (healthy)" */
    char *image_id;
    char *hash; /* devstack's config hash; NULL: created by another tool */
    bool oneoff;
    struct kvlist labels;
    /* for containers another tool made: what `up` can compare (from inspect) */
    bool inspected;
    struct strvec env, cmd;
    struct strvec port_specs;    /* "127.0.0.1:8080:80/tcp" per binding, sorted */
    struct strvec mount_targets; /* sorted */
};

struct stack_object { /* a network or a volume */
    char *name;
    struct kvlist labels;
};

struct stack_image {
    char *service;
    char *ref; /* what the service runs: image:, or <project>-<service> for builds */
    char *id;  /* NULL: not in the engine */
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
    bool build, no_build;
    enum stack_pull pull;
    /* images were pulled and built already: plan no image actions (the second pass of `up`) */
    bool images_resolved;
    bool bind_all; /* publish ports without a host IP on every interface, not 127.0.0.1 */
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

/* ---- applying ---------------------------------------------------------------- */

enum stack_event_kind {
    EV_PULLING,
    EV_PULLED,
    EV_BUILDING,
    EV_BUILT,
    EV_BUILD_OUTPUT, /* detail: a line of build output */
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
    EV_WARNING,
    EV_ERROR,
};

struct stack_event {
    enum stack_event_kind kind;
    const char *service; /* may be NULL (networks, volumes) */
    const char *object;  /* container, network, volume or image name */
    const char *detail;
    double elapsed; /* seconds since the step began */
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
 * The whole of `up`: observe, plan, pull and build what is missing, look at
 * the images again, plan the containers with their image ids known, apply.
 * `orphans` (may be NULL) receives the names of orphan containers left.
 */
int stack_up(struct engine *e, const struct compose_project *p, const struct stack_options *opts,
             const struct stack_apply_options *ao, struct strvec *orphans, struct ds_error *err);

/* ---- stopping and removing ---------------------------------------------------- */

/* Stop the project's containers of `services` (all when empty) in reverse start order. */
int stack_stop(struct engine *e, const struct compose_project *p, const struct stack_observed *o,
               const struct strvec *services, int timeout, const struct stack_apply_options *ao,
               struct ds_error *err);
/* Start existing containers in start order, waiting on depends_on conditions. */
int stack_start(struct engine *e, const struct compose_project *p, const struct stack_observed *o,
                const struct strvec *services, const struct stack_apply_options *ao,
                struct ds_error *err);

struct stack_down_options {
    bool volumes; /* -v */
    int rmi;      /* 0: none, 1: local (built for the project), 2: all */
    bool remove_orphans;
    int timeout; /* -1: the service's own */
};

int stack_down(struct engine *e, const struct compose_project *p, const struct stack_observed *o,
               const struct stack_down_options *d, const struct stack_apply_options *ao,
               struct ds_error *err);

/* ---- following logs ---------------------------------------------------------- */

struct stack_log_source {
    const char *service, *container; /* container: id or name */
    const char *name;                /* shown */
    bool tty;                        /* its output is raw, not framed */
};

/* One complete line (without its newline) of a container's stdout (1) or stderr (2). */
typedef void (*stack_log_line_fn)(const struct stack_log_source *src, int stream, const char *line,
                                  size_t len, void *ud);

struct stack_logs_options {
    bool follow, timestamps;
    const char *tail; /* NULL: all */
    int64_t since, until;
    /*
     * With follow: also follow containers of this project that start later
     * (recreated, started, scaled), found through the engine's events.
     * Only their services in `services` when that is not empty.
     */
    const char *watch_project;
    const struct strvec *services;
    volatile sig_atomic_t *cancel;
};

/*
 * Read the logs of several containers at once, one thread each, and hand
 * whole lines to `fn` in arrival order (calls never overlap). Lines split
 * across frames or reads are put together. Returns when every stream ended
 * (with `follow`: when the containers stop; with `watch_project`: only on
 * cancel) or on cancel (DS_EINTR).
 */
int stack_logs(struct engine *e, const struct stack_log_source *sources, size_t n,
               const struct stack_logs_options *o, stack_log_line_fn fn, void *ud,
               struct ds_error *err);

/* Splitting a byte stream into lines, per stream, whatever the pieces it arrives in. */
struct stack_lines {
    struct buf partial[3];
};
typedef void (*stack_line_fn)(int stream, const char *line, size_t len, void *ud);
void stack_lines_init(struct stack_lines *l);
void stack_lines_release(struct stack_lines *l);
void stack_lines_feed(struct stack_lines *l, int stream, const char *data, size_t len,
                      stack_line_fn fn, void *ud);
/* Hand on what is left without a final newline. */
void stack_lines_flush(struct stack_lines *l, stack_line_fn fn, void *ud);

/*
 * A log line as shown: "service  | line", the service padded to `width`,
 * in `color` (an escape sequence, or NULL) when given; without a prefix just
 * the line. Appended to out, with its newline.
 */
void stack_log_format(struct buf *out, const char *service, size_t width, const char *color,
                      bool prefix, const char *line, size_t len);

/* ---- what ps and up show of a container ------------------------------------------- */

/*
 * From the engine's Status ("Up 3 minutes (healthy)", "Up 2 seconds (health:
 * starting)"): the uptime ("3 minutes"; empty when not up) and the health
 * ("healthy", "starting"; empty without a healthcheck), appended.
 */
void stack_status_split(const char *status, struct buf *uptime, struct buf *health);
/* The exit code in "Exited (3) 5 seconds ago"; 0 when there is none. */
int stack_status_exit_code(const char *status);
/* ps's STATE: the engine's State ("running"), with the exit code when exited ("exited (3)"). */
void stack_status_state(struct buf *out, const char *state, const char *status);
/* STATE and HEALTH in one: "running (healthy)", "exited (3)", "created". */
void stack_status_summary(struct buf *out, const char *state, const char *status);

/* The scheme a client speaks to a container port: "mysql" for 3306, ...; "http" when unknown. */
const char *stack_url_scheme(uint16_t target);
/* A published port's host address as a URL host: 127.0.0.1 for 0.0.0.0, :: or none; [v6]. */
void stack_url_host(struct buf *out, const char *host_ip);
/*
 * Append the URLs a service is reached at: the words of its dev.devstack.url
 * label (`label`, may be NULL) as given when it has any; else one per
 * published TCP port, "scheme://host:port" (with a trailing "/" for http and
 * https), in port order, each once (0.0.0.0 and :: give the same URL).
 */
void stack_service_urls(struct strvec *out, const char *label,
                        const struct engine_published_port *ports, size_t n);

/* ---- pulling images ------------------------------------------------------------ */

struct buf;

/* Where a layer of an image being pulled is, from the engine's progress lines. */
enum stack_layer_state {
    LAYER_WAITING,     /* "Pulling fs layer", "Waiting" */
    LAYER_DOWNLOADING, /* "Downloading", "Retrying in N seconds" */
    LAYER_VERIFYING,   /* "Verifying Checksum" */
    LAYER_DOWNLOADED,  /* "Download complete" */
    LAYER_EXTRACTING,  /* "Extracting" */
    LAYER_DONE,        /* "Pull complete" */
    LAYER_EXISTS,      /* "Already exists": nothing to fetch */
};

struct stack_pull_layer {
    char *id;
    enum stack_layer_state state;
    int64_t size; /* compressed bytes; -1 until the engine says */
    int64_t downloaded, extracted;
    bool retrying; /* the last download attempt failed; the engine tries again */
};

enum stack_pull_outcome {
    PULL_OUTCOME_PENDING,
    PULL_OUTCOME_PULLED,     /* "Status: Downloaded newer image for ..." (or a clean end) */
    PULL_OUTCOME_UP_TO_DATE, /* "Status: Image is up to date for ..." */
    PULL_OUTCOME_FAILED,
};

/* One image's pull as its progress lines tell it. Pure: fed lines, no I/O. */
struct stack_pull_state {
    struct stack_pull_layer *layers;
    size_t n_layers, alloc;
    enum stack_pull_outcome outcome;
    char *error;  /* PULL_OUTCOME_FAILED: why, as the engine said it */
    char *digest; /* "sha256:...", once the engine named it */
};

/* What a pull has done so far, summed over its layers. */
struct stack_pull_totals {
    int64_t total;      /* compressed bytes of the layers whose size is known */
    int64_t downloaded; /* of those */
    int64_t extracted;
    int64_t done;        /* downloaded + extracted: the work is done at 2 * total */
    size_t layers;       /* every layer the engine named, "Already exists" included */
    size_t layers_done;  /* pulled or already there */
    size_t layers_sized; /* whose size is known */
    size_t layers_exist; /* "Already exists" */
    const char *phase;   /* "Waiting", "Downloading", "Verifying", "Extracting", "Retrying"... */
};

void stack_pull_state_init(struct stack_pull_state *s);
void stack_pull_state_release(struct stack_pull_state *s);
/* Take one progress line of the image's pull stream. */
void stack_pull_state_feed(struct stack_pull_state *s, const struct engine_progress *p);
/* The pull failed outside the stream (an HTTP error, a lost connection). */
void stack_pull_state_fail(struct stack_pull_state *s, const char *why);
void stack_pull_state_totals(const struct stack_pull_state *s, struct stack_pull_totals *out);
/*
 * Append "[=======>      ]  45.2MB/120.0MB  Downloading" (a bar `width`
 * characters wide, bytes of the current phase), or only the phase while no
 * layer size is known.
 */
void stack_pull_state_describe(const struct stack_pull_state *s, int width, struct buf *out);

/* Why a pull failed, from the engine's message. */
enum stack_pull_failure {
    PULL_FAILURE_OTHER,
    PULL_FAILURE_UNREACHABLE, /* DNS, dial, TLS or timeout errors: no registry answered */
    PULL_FAILURE_NOT_FOUND,   /* no such repository, tag or manifest */
    PULL_FAILURE_AUTH,        /* the registry wants (other) credentials */
};
enum stack_pull_failure stack_pull_classify(const char *message);
/* "registry unreachable", "image not found", "not authorized"; NULL for OTHER. */
const char *stack_pull_failure_name(enum stack_pull_failure f);
/* What to do about it (static text); NULL for OTHER. */
const char *stack_pull_failure_hint(enum stack_pull_failure f);

/* One image to pull, for every service that runs it. */
struct stack_pull_job {
    char *ref, *platform; /* platform: NULL for the engine's own */
    struct strvec services;
    bool optional; /* each of its services can build it: a failure is only a warning */
    /* filled in by stack_pull_images() */
    bool started, finished;
    double started_at, elapsed; /* seconds */
    struct stack_pull_state state;
    enum stack_pull_failure failure;
    struct ds_error err; /* when it failed: the engine's reason, with a hint */
    char *warning;       /* e.g. the credentials could not be used */
};

/* A service `devstack pull` leaves alone, and why ("pull_policy is never"). */
struct stack_pull_skip {
    char *service, *image; /* image: NULL when it has none */
    char *reason;
};

struct stack_pull_list {
    struct stack_pull_job *jobs;
    size_t n;
    struct stack_pull_skip *skipped;
    size_t n_skipped;
};

/*
 * The images `devstack pull` fetches for `services` (empty: every enabled
 * service), as Compose chooses them: services without image: are skipped
 * (build only), so are pull_policy never and build, and missing /
 * if_not_present when the engine has the image (`e` may be NULL: then
 * nothing counts as present). A service that also builds pulls, but its
 * failure is only a warning. One job per image and platform.
 */
int stack_pull_select(struct engine *e, const struct compose_project *p,
                      const struct strvec *services, struct stack_pull_list *out,
                      struct ds_error *err);
void stack_pull_list_release(struct stack_pull_list *l);
void stack_pull_job_init(struct stack_pull_job *j, const char *ref, const char *platform);
void stack_pull_job_release(struct stack_pull_job *j);

/*
 * Called when a pull starts, after each of its progress lines, and when it
 * ends. Calls never overlap, and no job changes during one: the callback may
 * look at all of them.
 */
typedef void (*stack_pull_update_fn)(const struct stack_pull_job *jobs, size_t n, size_t index,
                                     void *ud);

struct stack_pull_options {
    int parallel;                         /* pulls at once; 0: 4 */
    const struct engine_resolve_env *env; /* where config.json is; NULL: the process's */
    volatile sig_atomic_t *cancel;
    stack_pull_update_fn on_update;
    void *ud;
};

/*
 * Pull the jobs, each with its registry's credentials, `parallel` at once,
 * one engine client per thread. Returns 0 when every job that is not
 * optional was pulled; else the first failure in job order (err: "service
 * 'db': cannot pull 'x': registry unreachable: ...", with a hint), or
 * DS_EINTR. Each job tells its own outcome.
 */
int stack_pull_images(struct engine *e, struct stack_pull_job *jobs, size_t n,
                      const struct stack_pull_options *o, struct ds_error *err);

#endif
