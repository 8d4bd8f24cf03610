/*
 * Compose files: find them, read .env, interpolate, merge several files,
 * validate, and hand back a typed model of the project. Errors and warnings
 * name file:line:col and the key path:
 *
 *     compose.yaml:12:9: services.db.ports[1]: invalid port "80:abc"
 *
 * The model owns all its strings; compose_project_free() releases it.
 */
#ifndef DEVSTACK_COMPOSE_H
#define DEVSTACK_COMPOSE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/error.h"
#include "util/kvlist.h"
#include "util/strmap.h"
#include "util/strvec.h"

/* Where a value was written. `file` points into compose_project.file_names. */
struct compose_pos {
    const char *file;
    int line, col;
};

struct compose_port {
    char *host_ip;   /* NULL: all interfaces */
    char *published; /* NULL: not published; "8080", "8000-8010" (a range), "" (ephemeral) */
    uint16_t target;
    char *protocol; /* "tcp", "udp", "sctp" */
    char *mode;     /* "ingress" or "host" */
    char *name, *app_protocol;
};

enum compose_mount_type {
    COMPOSE_MOUNT_VOLUME,
    COMPOSE_MOUNT_BIND,
    COMPOSE_MOUNT_TMPFS,
    COMPOSE_MOUNT_IMAGE, /* source: an image reference */
};

struct compose_mount {
    enum compose_mount_type type;
    char *subpath; /* volume, image: a path inside the source to mount instead */
    char *source;  /* bind: absolute host path; volume: the key in `volumes:`; NULL: anonymous */
    char *target;
    bool read_only;
    bool create_host_path; /* bind from the short syntax: a missing host path is created */
    bool relative;         /* bind: the file gave the source relative to the project */
    bool bind_given;       /* the long syntax has `bind:` (config shows it, empty or not) */
    char *propagation, *selinux, *consistency;
    char *recursive; /* bind: enabled, disabled, writable, readonly; NULL: unset (enabled) */
    bool nocopy;
    int64_t tmpfs_size;  /* bytes, 0: unset */
    uint32_t tmpfs_mode; /* 0: unset */
    struct compose_pos pos;
};

struct compose_dependency {
    char *service;
    char *condition; /* service_started, service_healthy, service_completed_successfully */
    bool restart;
    bool required;
    struct compose_pos pos;
};

struct compose_healthcheck {
    struct strvec test; /* {"CMD", ...}, {"CMD-SHELL", "..."}, {"NONE"}; empty: the image's */
    bool disable;
    int64_t interval, timeout, start_period, start_interval; /* ns; -1: unset */
    int retries;                                             /* -1: unset */
    struct compose_pos start_interval_pos;                   /* the key, when set */
};

struct compose_service_network {
    char *name; /* the key in the top-level `networks:` ("default" included) */
    struct strvec aliases;
    char *ipv4_address, *ipv6_address;
    struct strvec link_local_ips;
    char *mac_address;         /* the endpoint's (Engine API 1.44; before, the container's) */
    struct kvlist driver_opts; /* the endpoint's, for the network driver */
    int priority;              /* 0: unset; the highest is the container's first network */
    int gw_priority;           /* 0: unset; the highest gives the default route (API 1.48) */
    bool mapping;              /* written as a mapping: `config` shows {} rather than null */
};

struct compose_env_file {
    char *path; /* absolute */
    bool required;
    bool raw; /* format: raw: KEY=value lines taken verbatim, no quoting or interpolation */
};

struct compose_ulimit {
    char *name;
    int64_t soft, hard;
    bool single; /* written as one number: soft and hard alike */
};

struct compose_device {
    char *source, *target, *permissions;
};

/* A GPU or other device asked of a driver (gpus:, deploy.resources.reservations.devices). */
struct compose_device_request {
    char *driver;
    int64_t count; /* -1: all; 0: unset */
    struct strvec device_ids, capabilities;
    struct kvlist options;
};

struct compose_blkio_device {
    char *path;
    int64_t value; /* a weight, bytes or operations per second */
};

struct compose_blkio {
    int64_t weight; /* 0: unset */
    struct compose_blkio_device *lists[5];
    size_t n[5];
};
/* The lists of compose_blkio, in the order of blkio_lists[] in service.c. */
enum {
    BLKIO_WEIGHT_DEVICE,
    BLKIO_READ_BPS,
    BLKIO_READ_IOPS,
    BLKIO_WRITE_BPS,
    BLKIO_WRITE_IOPS,
};

struct compose_resource {
    double cpus;    /* 0: unset */
    int64_t memory; /* bytes; 0: unset */
    int64_t pids;   /* 0: unset */
    struct compose_device_request *devices;
    size_t n_devices;
};

struct compose_deploy {
    int replicas;                                   /* -1: unset */
    struct compose_resource *limits, *reservations; /* NULL: unset */
    char *restart_condition;                        /* none, on-failure, any; NULL: unset */
    int64_t restart_max_attempts;                   /* -1: unset */
    int64_t restart_delay, restart_window;          /* ns; -1: unset */
};

struct compose_logging {
    char *driver; /* NULL: the engine's default */
    struct kvlist options;
};

/* A post_start or pre_stop command, run in the container as `docker exec` would. */
struct compose_hook {
    struct strvec command;
    char *user, *working_dir;
    bool privileged;
    struct kvlist environment;
};

/* A rule of develop.watch: what `watch` does when a file under `path` changes. */
struct compose_watch {
    char *path;               /* absolute */
    char *action;             /* sync, rebuild, restart, sync+restart or sync+exec */
    char *target;             /* where in the container; NULL: unset */
    struct compose_hook exec; /* sync+exec's command; command.n == 0: unset */
    struct strvec ignore, include;
    int initial_sync; /* -1: unset */
};

/*
 * A service's use of a top-level secret or config (`secrets:` / `configs:`
 * of the service, short or long syntax).
 */
struct compose_file_ref {
    char *source;    /* the key in the top-level secrets: or configs: */
    char *target;    /* as written; a secret's default is /run/secrets/<source>, a config's NULL */
    char *uid, *gid; /* NULL: unset (root) */
    int mode;        /* -1: unset (0444) */
    struct compose_pos pos;
};

/*
 * The keys few services set, out of line so that a project of many services
 * that set none of them stays small and quick to load. A service that sets
 * none shares compose_service_ext_none; the loader gives it its own with
 * compose_service_ext_mut() on the first such key.
 */
struct compose_service_ext {
    /* namespaces and runtime: "host", "private", "container:X", "service:X", ... */
    char *ipc, *pid, *uts, *userns_mode, *cgroup, *cgroup_parent, *runtime, *isolation;
    char *mac_address;
    struct strvec tmpfs; /* "/path" or "/path:options" */
    struct strvec links, external_links, volumes_from;
    struct strvec group_add, dns_search, dns_opt, device_cgroup_rules;
    struct kvlist sysctls, storage_opt, annotations;
    struct strvec label_files; /* absolute; their labels are in `labels` under the file's own */
    struct compose_ulimit *ulimits;
    size_t n_ulimits;
    struct compose_device *devices;
    size_t n_devices;
    struct compose_device_request *gpus;
    size_t n_gpus;
    struct compose_blkio *blkio; /* NULL: unset */
    struct compose_hook *post_start, *pre_stop;
    size_t n_post_start, n_pre_stop;
    bool develop; /* develop: is there (used by `watch`, not by up) */
    struct compose_watch *watch;
    size_t n_watch;
    /* resources; 0: unset, as Compose leaves a zero out */
    int64_t mem_limit, memswap_limit, mem_reservation,
            mem_swappiness; /* bytes, -1 swap: unlimited */
    int64_t cpu_shares, cpu_quota, cpu_period, cpu_rt_period, cpu_rt_runtime, cpu_count;
    int64_t pids_limit, oom_score_adj;
    double cpus, cpu_percent;
    char *cpuset;
    int oom_kill_disable; /* -1: unset */
};

/* A key of `build:` that only BuildKit can act on, where it was written. */
enum compose_build_buildkit_key {
    BUILD_KEY_PRIVILEGED,
    BUILD_KEY_CACHE_TO,
    BUILD_KEY_ADDITIONAL_CONTEXTS,
    BUILD_KEY_SECRETS,
    BUILD_KEY_SSH,
    BUILD_KEY_ENTITLEMENTS,
    BUILD_KEY_COUNT,
};

struct compose_build {
    char *context;           /* absolute */
    char *dockerfile;        /* as written, relative to the context; NULL: Dockerfile */
    char *dockerfile_inline; /* the Dockerfile itself; NULL: none (exclusive with dockerfile) */
    struct kvlist args;      /* a NULL value: take it from the environment at build time */
    char *target;
    struct kvlist labels;
    struct strvec cache_from, cache_to;
    char *network;
    bool no_cache, pull, privileged;
    int64_t shm_size;          /* bytes, 0: unset */
    struct strvec extra_hosts; /* "host:ip", as the Engine API takes them */
    char *isolation;
    struct strvec tags;      /* more names for the image */
    struct strvec platforms; /* "linux/amd64", ... */
    struct compose_ulimit *ulimits;
    size_t n_ulimits;
    struct kvlist additional_contexts; /* name -> absolute path, URL, docker-image://, service: */
    struct compose_file_ref *secrets;  /* top-level secrets given to RUN --mount=type=secret */
    size_t n_secrets;
    struct kvlist ssh;          /* id -> path; a NULL path: the SSH agent (`default`) */
    struct strvec entitlements; /* network.host, security.insecure */
    /* where each key of enum compose_build_buildkit_key was written; line 0: not set */
    struct compose_pos buildkit_pos[BUILD_KEY_COUNT];
    struct compose_pos platforms_pos;
};

struct compose_service {
    char *name;
    struct compose_pos pos;
    char *image;
    struct compose_build *build; /* NULL: no build */
    struct strvec command;
    bool command_set;
    struct strvec entrypoint;
    bool entrypoint_set;
    struct kvlist environment; /* resolved: env_file values, then `environment` on top */
    struct compose_env_file *env_files;
    size_t n_env_files;
    struct compose_port *ports;
    size_t n_ports;
    struct strvec expose;
    struct compose_mount *volumes;
    size_t n_volumes;
    struct compose_file_ref *secrets, *configs;
    size_t n_secrets, n_configs;
    struct compose_dependency *depends_on;
    size_t n_depends_on;
    struct compose_healthcheck *healthcheck; /* NULL: the image's */
    char *restart;
    char *container_name, *hostname, *domainname, *working_dir, *user;
    int tty, stdin_open, init, privileged, read_only; /* -1: unset */
    struct kvlist labels;
    /* empty and !network_mode: "default"; highest priority first, then by name */
    struct compose_service_network *networks;
    size_t n_networks;
    char *network_mode;
    struct strvec extra_hosts; /* "host:ip" */
    struct strvec dns, cap_add, cap_drop, security_opt;
    struct strvec profiles;
    int64_t stop_grace_period; /* ns; -1: unset */
    char *stop_signal;
    char *pull_policy;     /* always, never, missing, build, daily, weekly, every_<duration> */
    int64_t pull_interval; /* ns: daily, weekly and every_<d> pull an image older than this */
    char *platform;
    int64_t shm_size;                /* bytes, 0: unset */
    int scale;                       /* -1: unset */
    struct compose_deploy *deploy;   /* NULL: unset */
    struct compose_logging *logging; /* NULL: the engine's default */
    /* the keys few services set; never NULL (see struct compose_service_ext) */
    const struct compose_service_ext *ext;
    int attach;   /* -1: unset; 0: its output is not shown by a foreground up */
    bool enabled; /* selected by profiles (and the command line) */
};

struct compose_volume {
    char *key;  /* the name in the file */
    char *name; /* the engine's name: <project>_<key>, or `name:` */
    bool external;
    char *driver;
    struct kvlist driver_opts;
    struct kvlist labels;
    struct compose_pos pos;
};

/* One `ipam.config` entry of a network. */
struct compose_ipam_pool {
    char *subnet, *ip_range, *gateway;
    struct kvlist aux_addresses;
};

struct compose_network {
    char *key;
    char *name; /* <project>_<key>, or `name:` */
    bool external;
    char *driver;
    struct kvlist driver_opts;
    struct kvlist labels;
    bool internal, attachable;
    int enable_ipv4, enable_ipv6; /* -1: unset; enable_ipv4: false needs API 1.48 */
    char *ipam_driver;
    struct kvlist ipam_options; /* the IPAM driver's */
    struct compose_ipam_pool *ipam_config;
    size_t n_ipam_config;
    struct compose_pos pos;
};

/* A top-level secret or config: where its content comes from. */
struct compose_file_object {
    char *key;                         /* the name in the file */
    char *name;                        /* <project>_<key>, or `name:` (external: the key) */
    char *file;                        /* absolute; bind-mounted read-only */
    char *environment;                 /* a variable of the project's environment, copied in */
    char *content;                     /* configs only: the content itself, copied in */
    bool external;                     /* swarm only: refused by up */
    char *driver, *template_driver;    /* swarm only: refused by up, as Compose does */
    struct kvlist labels, driver_opts; /* swarm only: shown, not used */
    struct compose_pos pos;            /* the key */
};

/*
 * A service that a devcontainer.json makes the dev container: its file names
 * one of the project's files in dockerComposeFile, and the service.
 */
struct compose_devcontainer {
    char *service;
    char *local_folder; /* the workspace folder: where .devcontainer(.json) is, absolute */
    char *config_file;  /* the devcontainer.json, absolute */
};

struct compose_project {
    char *name;
    char *working_dir;          /* absolute */
    struct strvec config_files; /* absolute */
    struct strvec file_names;   /* the same files as messages name them, then the included
                                   and extended ones */
    struct strvec env_files;    /* the .env / --env-file files read, absolute */
    struct kvlist environment;  /* what interpolation saw: the process environment over .env */
    struct compose_service *services;
    size_t n_services;
    size_t alloc_services;
    struct strmap *service_index; /* name -> position in services, kept by compose_add_service() */
    struct compose_volume *volumes;
    size_t n_volumes;
    struct compose_network *networks;
    size_t n_networks;
    struct compose_file_object *secrets, *configs;
    size_t n_secrets, n_configs;
    struct strvec profiles; /* enabled */
    struct strvec warnings; /* "file:line:col: path: what" */
    cJSON *extensions;      /* the top-level x-* keys and their values (owned); NULL: none */
    struct compose_devcontainer *devcontainer; /* NULL: none names this project */
};

struct compose_options {
    const struct strvec *files;     /* -f; empty: COMPOSE_FILE, then discovery */
    const char *project_name;       /* -p */
    const char *project_directory;  /* --project-directory */
    const struct strvec *env_files; /* --env-file; empty: <project dir>/.env when present */
    const struct strvec *profiles;  /* --profile; empty: COMPOSE_PROFILES */
    const struct strvec *services;  /* named on the command line: enabled whatever their profiles */
    const char *working_directory;  /* where discovery starts; NULL: the current directory */
    bool no_interpolate;
    /* The process environment (NULL: environ). */
    char *const *environ;
};

/*
 * Find, read, merge and check the project's files. On failure *out may
 * still be set: a project whose warnings may explain the error, good for
 * nothing else; the caller frees it in both cases.
 */
int compose_load(struct compose_project **out, const struct compose_options *o,
                 struct ds_error *err);
void compose_project_free(struct compose_project *p);
/*
 * The directory compose_load() takes as the project's, found the same way
 * (--project-directory, else the first compose file's), without reading
 * any file: for what must happen before loading. Caller frees *out.
 */
int compose_project_dir(char **out, const struct compose_options *o, struct ds_error *err);

/*
 * The project's files, directory and environment, found as compose_load()
 * finds them, without reading the files (no services): for what reads the
 * files as written. Release with compose_project_free().
 */
int compose_locate(struct compose_project **out, const struct compose_options *o,
                   struct ds_error *err);

/*
 * Set p->devcontainer from the first .devcontainer/devcontainer.json or
 * .devcontainer.json in the project directory or a parent that names one of
 * the project's files and services (compose_load() calls it). One that
 * cannot be read or parsed is a warning, never an error.
 */
void compose_find_devcontainer(struct compose_project *p);
/*
 * Read one devcontainer.json (JSON with comments): *out (caller frees with
 * compose_devcontainer_free) is set when its dockerComposeFile, relative to
 * its folder, names one of p's files and its `service` one of p's services.
 */
int compose_devcontainer_read(struct compose_devcontainer **out, const struct compose_project *p,
                              const char *config_file, const char *local_folder,
                              struct ds_error *err);
void compose_devcontainer_free(struct compose_devcontainer *d);

/* Load one file's text as the whole project (for tests and fuzzing); `path` names it. */
int compose_load_text(struct compose_project **out, const char *text, size_t len, const char *path,
                      const struct compose_options *o, struct ds_error *err);

extern const struct compose_service_ext compose_service_ext_none;
/* The service's own compose_service_ext, made on first use, to write to. */
struct compose_service_ext *compose_service_ext_mut(struct compose_service *s);

struct compose_service *compose_find_service(const struct compose_project *p, const char *name);

/*
 * Parse a short port spec ("127.0.0.1:8080:80/udp", a range gives several)
 * and append the ports to *ports (grown; n counts them).
 */
int compose_parse_port(const char *spec, struct compose_port **ports, size_t *n,
                       struct ds_error *err);
void compose_port_release(struct compose_port *p);
/*
 * Does the project have every service in `names` (NULL: none)? Else
 * DS_ENOTFOUND naming the first unknown one, the project's services in the hint.
 */
int compose_check_services(const struct compose_project *p, const struct strvec *names,
                           struct ds_error *err);
/* Every profile a service of the project names, sorted, each once (appended to out). */
void compose_profiles(const struct compose_project *p, struct strvec *out);
/* Enable exactly the services in `names` and what they depend on; disable the others. */
void compose_select_services(struct compose_project *p, const struct strvec *names);
/* How many containers the service runs: scale, else deploy.replicas, else 1. */
int compose_service_scale(const struct compose_service *s);
struct compose_volume *compose_find_volume(const struct compose_project *p, const char *key);
struct compose_network *compose_find_network(const struct compose_project *p, const char *key);

/* ---- secrets and configs --------------------------------------------------- */

const struct compose_file_object *compose_find_secret(const struct compose_project *p,
                                                      const char *key);
const struct compose_file_object *compose_find_config(const struct compose_project *p,
                                                      const char *key);
/*
 * Where a secret (is_secret) or a config appears in the container:
 * /run/secrets/<target or source> for secrets, /<target or source> for
 * configs, an absolute target as it is. Caller frees.
 */
char *compose_file_ref_path(const struct compose_file_ref *r, bool is_secret);
/*
 * Can the service's secrets and configs be given to its container on a
 * single engine? Refuses (file:line:col, what to do) what Compose refuses
 * when it creates the container: external ones, driver and template_driver;
 * and what would fail later: a missing file, an unset variable, an
 * environment or content one in a read_only service.
 */
int compose_check_file_refs(const struct compose_project *p, const struct compose_service *s,
                            struct ds_error *err);
/*
 * The content of an `environment:` or `content:` secret or config
 * (borrowed; NULL for a file or an unset variable).
 */
const char *compose_file_object_value(const struct compose_project *p,
                                      const struct compose_file_object *o);
/*
 * The content the service's container sees at `path` when a secret or a
 * config of the service is there: read from the host file or taken from
 * the environment, as the container gets it. DS_ENOTFOUND when none is
 * there (err untouched); caller frees *out.
 */
int compose_read_file_ref(char **out, const struct compose_project *p,
                          const struct compose_service *s, const char *path, struct ds_error *err);

/* ---- names ---------------------------------------------------------------- */

/* Lowercase, keep [a-z0-9_-], drop leading '_' and '-'. Caller frees; "" when nothing is left. */
char *compose_normalize_project_name(const char *s);
/* Is s already a valid project name? */
bool compose_valid_project_name(const char *s);

/* ---- dependency graph ------------------------------------------------------- */

/*
 * The enabled services in start order: layer 0 depends on nothing, layer k
 * only on layers before it. layers[i] is a strvec of service names. A cycle
 * is DS_EINVAL naming it: "dependency cycle: a -> b -> a".
 */
struct compose_layers {
    struct strvec *layers;
    size_t n;
};
int compose_layers(const struct compose_project *p, struct compose_layers *out,
                   struct ds_error *err);
void compose_layers_release(struct compose_layers *l);

/* ---- output ------------------------------------------------------------------ */

/* The resolved model in the shape of `docker compose config --format json`. Caller frees. */
cJSON *compose_to_json(const struct compose_project *p);
/* One service as `config` shows it: the canonical form of what it asks for. Caller frees. */
cJSON *compose_service_to_json(const struct compose_service *s);
/* The document as JSON text indented by two spaces (caller frees). */
char *compose_json_text(const cJSON *doc);
/* The same document as YAML text (caller frees). */
char *compose_json_to_yaml(const cJSON *doc);

#endif
