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
};

struct compose_mount {
    enum compose_mount_type type;
    char *source; /* bind: absolute host path; volume: the key in `volumes:`; NULL: anonymous */
    char *target;
    bool read_only;
    bool create_host_path; /* bind from the short syntax: a missing host path is created */
    char *propagation, *selinux, *consistency;
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
};

struct compose_build {
    char *context;      /* absolute */
    char *dockerfile;   /* as written, relative to the context; NULL: Dockerfile */
    struct kvlist args; /* a NULL value: take it from the environment at build time */
    char *target;
    struct kvlist labels;
    struct strvec cache_from;
    char *network;
    bool no_cache, pull;
};

struct compose_service_network {
    char *name; /* the key in the top-level `networks:` ("default" included) */
    struct strvec aliases;
    char *ipv4_address, *ipv6_address;
    int priority; /* 0: unset */
};

struct compose_env_file {
    char *path; /* absolute */
    bool required;
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
    struct compose_dependency *depends_on;
    size_t n_depends_on;
    struct compose_healthcheck *healthcheck; /* NULL: the image's */
    char *restart;
    char *container_name, *hostname, *domainname, *working_dir, *user;
    int tty, stdin_open, init, privileged, read_only; /* -1: unset */
    struct kvlist labels;
    struct compose_service_network *networks; /* empty and !network_mode: "default" */
    size_t n_networks;
    char *network_mode;
    struct strvec extra_hosts; /* "host:ip" */
    struct strvec dns, cap_add, cap_drop, security_opt;
    struct strvec profiles;
    int64_t stop_grace_period; /* ns; -1: unset */
    char *stop_signal;
    char *pull_policy; /* always, never, missing, build */
    char *platform;
    int64_t shm_size; /* bytes, 0: unset */
    int scale;        /* -1: unset */
    bool enabled;     /* selected by profiles (and the command line) */
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

struct compose_network {
    char *key;
    char *name; /* <project>_<key>, or `name:` */
    bool external;
    char *driver;
    struct kvlist driver_opts;
    struct kvlist labels;
    bool internal, attachable, enable_ipv6;
    struct compose_pos pos;
};

struct compose_project {
    char *name;
    char *working_dir;          /* absolute */
    struct strvec config_files; /* absolute */
    struct strvec file_names;   /* the same files as messages name them */
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
    struct strvec profiles; /* enabled */
    struct strvec warnings; /* "file:line:col: path: what" */
    cJSON *extensions;      /* the top-level x-* keys and their values (owned); NULL: none */
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

/* Load one file's text as the whole project (for tests and fuzzing); `path` names it. */
int compose_load_text(struct compose_project **out, const char *text, size_t len, const char *path,
                      const struct compose_options *o, struct ds_error *err);

struct compose_service *compose_find_service(const struct compose_project *p, const char *name);
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
struct compose_volume *compose_find_volume(const struct compose_project *p, const char *key);
struct compose_network *compose_find_network(const struct compose_project *p, const char *key);

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
