/*
 * The Docker Engine API client: one libcurl handle per client, the API
 * version negotiated from /_ping, and typed functions that return parsed
 * results. Works with Docker (API 1.41 and newer) and Podman's compatible
 * service.
 *
 * Every function returns 0 or a negative DS_E* code with `err` filled; the
 * engine's own `message` is kept in err->msg. Strings in result structs are
 * owned by the struct and freed by its *_release() function.
 */
#ifndef DEVSTACK_ENGINE_H
#define DEVSTACK_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/kvlist.h"
#include "util/strvec.h"

/* API versions as major * 1000 + minor: 1.41 is 1041. */
#define ENGINE_API_MIN 1041 /* Docker 20.10, Podman 4 */
#define ENGINE_API_MAX 1047 /* the newest whose shapes this client knows */

/*
 * The first API version that takes a create field; an older engine ignores
 * it without a word, so a container that asks for one is refused there.
 */
#define ENGINE_API_ANNOTATIONS       1043 /* HostConfig.Annotations */
#define ENGINE_API_START_INTERVAL    1044 /* Healthcheck.StartInterval */
#define ENGINE_API_BIND_RO_RECURSIVE 1044 /* BindOptions.ReadOnly{Non,Force}Recursive */
#define ENGINE_API_VOLUME_SUBPATH    1045 /* VolumeOptions.Subpath */
#define ENGINE_API_IMAGE_MOUNT       1048 /* Mounts of type "image" */
#define ENGINE_API_ENDPOINT_MAC      1044 /* EndpointSettings.MacAddress */
#define ENGINE_API_GW_PRIORITY       1048 /* EndpointSettings.GwPriority */
/* Docker Engine 23.0: its built-in Dockerfile frontend has COPY --link, heredocs */
#define ENGINE_API_DOCKERFILE_1_4 1042

/* The first Docker Engine release that speaks API `version` ("26.0"), or NULL. */
const char *engine_api_docker_release(int version);

/* ---- endpoint ----------------------------------------------------------- */

struct engine_endpoint {
    char *host;        /* as configured: "unix:///var/run/docker.sock", "tcp://h:2376" */
    char *socket_path; /* unix sockets only */
    char *base_url;    /* "http://localhost" for sockets, "http(s)://h:p" for tcp */
    bool tls;
    bool tls_verify; /* check the engine's certificate (against tls_ca, else the system's CAs) */
    char *tls_ca, *tls_cert, *tls_key;    /* paths; NULL when not used */
    char *ssh_user, *ssh_host, *ssh_port; /* ssh://: `ssh` dials the engine (user, port: NULL) */
    bool remote;  /* not on this machine (ssh, tcp but loopback): binds name its disk, not ours */
    char *source; /* why this endpoint was chosen, for `devstack version` */
    struct strvec tried;    /* default sockets looked for, when none was found */
    struct strvec warnings; /* things the caller should tell the user, e.g. an unreadable config */
};

/* Where the resolver reads its inputs; tests point these at fixtures. */
struct engine_resolve_env {
    const char *(*getenv)(const char *name); /* NULL: getenv(3) */
    const char *root;                        /* prefix for the default socket paths; NULL: "/" */
};

/*
 * Choose the endpoint, first match wins: DOCKER_HOST (with DOCKER_TLS_VERIFY,
 * DOCKER_TLS and DOCKER_CERT_PATH), then DOCKER_CONTEXT or currentContext from
 * $DOCKER_CONFIG/config.json (default ~/.docker) with the context's TLS files
 * and SkipTLSVerify, then tcp://localhost:2376 when DOCKER_TLS_VERIFY or
 * DOCKER_TLS is set, then the first default socket that exists. When no
 * socket exists, the result is the first default with `tried` listing all of
 * them, so a later failure can say so. TLS without verification and plain
 * TCP add a warning to ep->warnings.
 */
int engine_endpoint_resolve(struct engine_endpoint *out, const struct engine_resolve_env *env,
                            struct ds_error *err);
void engine_endpoint_release(struct engine_endpoint *ep);
/* How the endpoint is reached: "unix socket", "tcp", "tcp + TLS", "ssh". */
const char *engine_endpoint_transport(const struct engine_endpoint *ep);
/*
 * The command that reaches an ssh:// endpoint's engine, as the docker CLI
 * runs it: ssh -o ConnectTimeout=30 -T [-l user] [-p port] -- host docker
 * system dial-stdio. The user's ssh config applies to the rest.
 */
void engine_endpoint_ssh_argv(const struct engine_endpoint *ep, struct strvec *argv);

/* ---- versions ----------------------------------------------------------- */

/* "1.41" -> 1041. Returns -1 for anything else. */
int engine_api_version_parse(const char *s, int *out);
/* 1041 -> "1.41" into out (at least 16 bytes). */
void engine_api_version_format(int version, char *out, size_t size);
/*
 * The version to speak: min(server, ENGINE_API_MAX). A server older than
 * ENGINE_API_MIN is an error; a missing or unparsable header means
 * ENGINE_API_MIN.
 */
int engine_api_negotiate(const char *server_header, int *out, struct ds_error *err);

/* ---- client ------------------------------------------------------------- */

struct engine;

/* Create a client for `ep` (copied). No I/O happens until the first request. */
int engine_new(struct engine **out, const struct engine_endpoint *ep, struct ds_error *err);
void engine_free(struct engine *e);
/*
 * A second client for the same engine and API version, without a ping: for
 * threads, which must not share a client.
 */
int engine_clone(struct engine **out, const struct engine *e, struct ds_error *err);
/* Ping and negotiate the API version. Needed before any versioned call. */
int engine_connect(struct engine *e, struct ds_error *err);
const struct engine_endpoint *engine_get_endpoint(const struct engine *e);
/* The negotiated version (0 before engine_connect) and what the server offered. */
int engine_api_version(const struct engine *e);
int engine_server_api_version(const struct engine *e);
/*
 * Does each new connection cost a login (ssh://, one ssh each)? Then what
 * would ask a second connection only to save a few milliseconds asks this
 * one instead.
 */
bool engine_connection_costly(const struct engine *e);
/* The builder /_ping named (Builder-Version): 1 classic, 2 BuildKit, 0 when it named none. */
int engine_builder_version(const struct engine *e);
/*
 * Is the engine Podman (/_ping's Server is Libpod/...)? For what Podman does
 * not do at all, never for what an API version decides.
 */
bool engine_is_podman(const struct engine *e);
/*
 * A flag (set by a signal handler) that aborts any transfer in progress with
 * DS_EINTR. NULL to stop watching. Returns the flag watched before, so that
 * a caller can put it back.
 */
volatile sig_atomic_t *engine_set_cancel_flag(struct engine *e, volatile sig_atomic_t *flag);

/* ---- system ------------------------------------------------------------- */

struct engine_ping {
    char *api_version; /* the API-Version header */
    char *os_type;
    char *server;
    char *builder_version; /* Builder-Version: "1" classic, "2" BuildKit; NULL when not sent */
};
int engine_ping(struct engine *e, struct engine_ping *out, struct ds_error *err);
void engine_ping_release(struct engine_ping *p);

struct engine_version {
    char *version, *api_version, *min_api_version;
    char *os, *arch, *kernel_version, *git_commit, *go_version;
    char *platform; /* Platform.Name: "Docker Engine - Community", "linux/amd64/debian-12" */
    char *product;  /* the Platform's name, else the first component's: "Engine", "Podman Engine" */
};
int engine_version(struct engine *e, struct engine_version *out, struct ds_error *err);
void engine_version_release(struct engine_version *v);

struct engine_info {
    char *name, *server_version, *operating_system, *os_type, *architecture, *kernel_version;
    char *storage_driver, *docker_root_dir, *cgroup_driver, *cgroup_version;
    int ncpu;
    int64_t mem_total;
    int containers, containers_running, images;
};
int engine_info(struct engine *e, struct engine_info *out, struct ds_error *err);
void engine_info_release(struct engine_info *i);

/* One object of GET /system/df: its size on disk. */
struct engine_usage_entry {
    char *id;     /* container id, volume name, build cache record id */
    int64_t size; /* bytes; -1: the engine did not compute it */
    bool in_use;  /* volumes: RefCount > 0; build cache: InUse */
};

/* GET /system/df: what takes disk space. */
struct engine_disk_usage {
    struct engine_usage_entry *containers; /* SizeRw: the writable layer */
    size_t n_containers;
    struct engine_usage_entry *volumes; /* UsageData.Size */
    size_t n_volumes;
    struct engine_usage_entry *build_cache;
    size_t n_build_cache;
    bool has_build_cache; /* the answer had BuildCache, even null (Podman's may not) */
    int64_t layers_size;
};
int engine_system_df(struct engine *e, struct engine_disk_usage *out, struct ds_error *err);
void engine_disk_usage_release(struct engine_disk_usage *u);
/* The size of the entry `id` in v[0..n), -1 when it is not there. */
int64_t engine_usage_size(const struct engine_usage_entry *v, size_t n, const char *id);

/*
 * POST /build/prune: the dangling build cache, or with `all` every record
 * not in use. *reclaimed (may be NULL) is SpaceReclaimed.
 */
int engine_build_prune(struct engine *e, bool all, int64_t *reclaimed, struct ds_error *err);

/* ---- streams ------------------------------------------------------------ */

/* Output of a container or exec: stream is 1 (stdout) or 2 (stderr); 1 for TTYs. */
typedef int (*engine_output_fn)(int stream, const char *data, size_t len, void *ud);

/* The 8-byte framed stdout/stderr stream of non-TTY attach, logs and exec. */
struct engine_demux {
    unsigned char header[8];
    size_t header_len;  /* bytes of the current header seen so far */
    uint32_t remaining; /* payload bytes left in the current frame */
    int stream;
};
void engine_demux_init(struct engine_demux *d);
/*
 * Feed any slice of the stream; frames split across calls in any way are put
 * together. Payload goes to `out` as it arrives (a frame may be delivered in
 * pieces). Returns 0, out's non-zero result, or DS_EPROTO for a bad header.
 */
int engine_demux_feed(struct engine_demux *d, const char *data, size_t len, engine_output_fn out,
                      void *ud, struct ds_error *err);
/* True between frames: a stream that ends otherwise was cut short. */
bool engine_demux_at_boundary(const struct engine_demux *d);

/* One line of a pull, build, push or import progress stream. */
struct engine_progress {
    const char *id;         /* layer or image id */
    const char *status;     /* "Downloading", "Pull complete", ... */
    const char *progress;   /* the engine's own progress bar text */
    const char *stream;     /* build output */
    const char *error;      /* errorDetail.message or error: the operation failed */
    int64_t current, total; /* progressDetail; -1 when absent */
    const cJSON *aux;       /* borrowed: build's {"ID": ...} and the like */
};
/* Borrowed pointers, valid during the call. Non-zero return aborts the stream. */
typedef int (*engine_progress_fn)(const struct engine_progress *p, void *ud);
/* Fill `out` from one parsed JSON line (borrowed pointers into `line`). */
void engine_progress_parse(const cJSON *line, struct engine_progress *out);

/* Splits a byte stream into JSON lines. */
struct engine_jsonlines {
    struct buf line; /* capped at the longest line taken */
};
typedef int (*engine_json_fn)(const cJSON *obj, void *ud);
/* A line longer than max_line bytes (0: 4 MiB) is a protocol error. */
void engine_jsonlines_init(struct engine_jsonlines *jl, size_t max_line);
void engine_jsonlines_release(struct engine_jsonlines *jl);
int engine_jsonlines_feed(struct engine_jsonlines *jl, const char *data, size_t len,
                          engine_json_fn fn, void *ud, struct ds_error *err);
/* Parse a last line that lacked its newline. */
int engine_jsonlines_finish(struct engine_jsonlines *jl, engine_json_fn fn, void *ud,
                            struct ds_error *err);

/* Supplies request bodies that are streamed (build contexts, imports, stdin). */
typedef ssize_t (*engine_read_fn)(char *buf, size_t size, void *ud); /* 0 at end, <0 error */

/* ---- containers --------------------------------------------------------- */

struct engine_port {
    uint16_t target; /* container port */
    char *protocol;  /* "tcp" (NULL means tcp), "udp", "sctp" */
    bool publish;    /* false: only exposed */
    char *host_ip;   /* NULL or "": all interfaces, as the engine decides */
    char *host_port; /* NULL or "": an ephemeral port */
};

enum engine_mount_type {
    ENGINE_MOUNT_BIND,
    ENGINE_MOUNT_VOLUME,
    ENGINE_MOUNT_TMPFS,
    ENGINE_MOUNT_IMAGE
};

struct engine_mount {
    enum engine_mount_type type;
    char *source; /* host path, volume name; NULL for anonymous volumes and tmpfs */
    char *target;
    bool read_only;
    /* bind: create a missing host directory, as the short syntax does (sent as Binds) */
    bool bind_create_host_path;
    char *bind_propagation; /* "rprivate", ...; NULL: the default */
    char *bind_selinux;     /* "z" or "Z"; NULL: none */
    /* bind: how mounts below the source are taken (API 1.44 for the read-only ones) */
    enum engine_bind_recursive {
        ENGINE_BIND_RECURSIVE,      /* the default: all of them */
        ENGINE_BIND_NON_RECURSIVE,  /* none of them */
        ENGINE_BIND_WRITABLE,       /* all of them, left writable under a read-only bind */
        ENGINE_BIND_FORCE_READONLY, /* all of them read-only, or an error where that fails */
    } bind_recursive;
    bool volume_nocopy;
    char *subpath;       /* volume, image: mount this path of the source (API 1.45, image 1.48) */
    int64_t tmpfs_size;  /* bytes; 0: unlimited */
    uint32_t tmpfs_mode; /* 0: the default */
};

/* A container's endpoint on a network (EndpointSettings). */
struct engine_network_attachment {
    char *network;
    struct strvec aliases;
    struct strvec links; /* "container:alias": legacy links, kept per network by the engine */
    char *ipv4_address, *ipv6_address;
    struct strvec link_local_ips;
    char *mac_address;         /* API 1.44; before, only the first network's, as the container's */
    struct kvlist driver_opts; /* for the network's driver */
    int gw_priority;           /* 0: unset; API 1.48 */
};

struct engine_ulimit {
    char *name;
    int64_t soft, hard;
};

struct engine_device {
    char *path_on_host, *path_in_container, *permissions;
};

struct engine_device_request {
    char *driver;
    int64_t count; /* -1: all */
    struct strvec device_ids, capabilities;
    struct kvlist options;
};

struct engine_blkio_device {
    char *path;
    int64_t value; /* Weight or Rate */
};

/* HostConfig's resources; zeros are left out of the body. */
struct engine_resources {
    int64_t memory, memory_swap, memory_reservation, nano_cpus;
    int64_t memory_swappiness; /* -1: the engine's default */
    int64_t cpu_shares, cpu_period, cpu_quota, cpu_rt_period, cpu_rt_runtime, cpu_count;
    int64_t cpu_percent, pids_limit, blkio_weight;
    char *cpuset_cpus, *cgroup_parent;
    bool oom_kill_disable;
    struct engine_ulimit *ulimits;
    size_t n_ulimits;
    struct engine_device *devices;
    size_t n_devices;
    struct engine_device_request *device_requests;
    size_t n_device_requests;
    struct engine_blkio_device *blkio[5]; /* BlkioWeightDevice, then read bps, read iops,
                                             write bps, write iops */
    size_t n_blkio[5];
    struct strvec device_cgroup_rules;
};

struct engine_healthcheck {
    struct strvec test; /* {"CMD", ...}, {"CMD-SHELL", "..."} or {"NONE"}; empty: the image's */
    int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns; /* 0: default */
    int retries;                                                         /* 0: default */
};

struct engine_container_config {
    char *name; /* NULL: the engine picks one */
    char *image;
    char *platform;
    char *hostname, *domainname, *user, *working_dir;
    struct strvec env; /* "KEY=value" */
    struct strvec cmd;
    bool cmd_set; /* false: the image's CMD */
    struct strvec entrypoint;
    bool entrypoint_set; /* true with an empty vector: no entrypoint at all */
    struct kvlist labels;
    bool tty, open_stdin, stdin_once, attach_stdin, attach_stdout, attach_stderr;
    char *stop_signal;
    int stop_timeout; /* seconds; -1: the engine's default */
    int init;         /* -1: the engine's default, 0: off, 1: on */
    bool privileged, read_only_rootfs;
    struct strvec cap_add, cap_drop, extra_hosts, dns, security_opt;
    char *restart_policy; /* "no", "always", "on-failure", "unless-stopped"; NULL: no */
    bool auto_remove;     /* HostConfig.AutoRemove: the engine removes it (and its anonymous
                             volumes) once it exits, as `docker run --rm` */
    int restart_max_retries;
    int64_t shm_size;   /* bytes; 0: the default */
    char *network_mode; /* "bridge", "host", "none", "container:ID" or a network name */
    struct engine_network_attachment *networks;
    size_t n_networks;
    struct engine_port *ports;
    size_t n_ports;
    struct engine_mount *mounts;
    size_t n_mounts;
    struct engine_healthcheck healthcheck;
    bool healthcheck_set;
    /* namespaces and runtime: "host", "container:ID", ...; NULL: the engine's default */
    char *ipc_mode, *pid_mode, *uts_mode, *userns_mode, *cgroupns_mode, *runtime, *isolation;
    /* the container's; from API 1.44 the first network's endpoint's, unless that has its own */
    char *mac_address;
    struct kvlist tmpfs; /* path -> options ("" for none) */
    struct strvec links, volumes_from, group_add, dns_search, dns_options;
    struct kvlist sysctls, storage_opt, annotations;
    char *log_driver; /* NULL: the engine's default */
    struct kvlist log_options;
    int oom_score_adj;
    struct engine_resources resources;
};

void engine_container_config_init(struct engine_container_config *c);
void engine_container_config_release(struct engine_container_config *c);
struct engine_port *engine_container_config_add_port(struct engine_container_config *c);
struct engine_mount *engine_container_config_add_mount(struct engine_container_config *c);
struct engine_network_attachment *
engine_container_config_add_network(struct engine_container_config *c, const char *network);

/*
 * The JSON body of POST /containers/create for API `api_version`; the caller
 * owns the result. Before 1.44 only the first network is in the body (the
 * engine takes one); engine_container_create() connects the others.
 */
cJSON *engine_container_config_json(const struct engine_container_config *c, int api_version);

/*
 * The API version the first create field of c that API `api` lacks needs
 * (see ENGINE_API_ANNOTATIONS and below), 0 if there is none; *field names it
 * as the API does, *at is the target of its mount (NULL if not a mount's).
 */
int engine_container_config_min_api(const struct engine_container_config *c, int api,
                                    const char **field, const char **at);

/*
 * What in `c` an engine speaking `api_version` lacks, refused by name
 * (DS_EUNSUPPORTED) as engine_container_create() refuses it before it asks
 * the engine: the fields above, a MAC address on a later network, gw_priority.
 */
int engine_container_config_check(const struct engine_container_config *c, int api_version,
                                  struct ds_error *err);

/*
 * Create; *id_out (caller frees) is the new container's id. Warnings go to
 * `warnings`. A field the engine's API version lacks is refused (DS_EUNSUPPORTED).
 */
int engine_container_create(struct engine *e, const struct engine_container_config *c,
                            char **id_out, struct strvec *warnings, struct ds_error *err);

struct engine_published_port {
    uint16_t target;
    char *protocol;
    char *host_ip;
    uint16_t host_port;
};

struct engine_container_summary {
    char *id, *name; /* name without the leading '/' */
    char *image, *image_id, *state, *status;
    int64_t created;
    struct kvlist labels;
    struct engine_published_port *ports; /* published ones only */
    size_t n_ports;
};

struct engine_container_list {
    struct engine_container_summary *items;
    size_t n;
};

/*
 * List containers whose labels match every filter ("key" or "key=value").
 * `all` includes stopped ones.
 */
int engine_container_list(struct engine *e, const struct strvec *label_filters, bool all,
                          struct engine_container_list *out, struct ds_error *err);
void engine_container_list_release(struct engine_container_list *l);
void engine_container_summary_release(struct engine_container_summary *s);

struct engine_health_log {
    char *start, *end, *output;
    int exit_code;
};

struct engine_container_info {
    char *id, *name, *image_id, *image, *created;
    /* State */
    char *status; /* created, running, paused, restarting, removing, exited, dead */
    bool running, restarting, oom_killed;
    int pid, exit_code;
    char *error, *started_at, *finished_at;
    char *health; /* starting, healthy, unhealthy; NULL: no healthcheck */
    int health_failing_streak;
    struct engine_health_log *health_log;
    size_t n_health_log;
    /* Config */
    bool tty;
    struct kvlist labels;
    /* NetworkSettings.Ports: what is published where */
    struct engine_published_port *ports;
    size_t n_ports;
    struct strvec networks;
    cJSON *raw; /* owned: the whole inspect document, for fields not parsed here */
};

int engine_container_inspect(struct engine *e, const char *id_or_name,
                             struct engine_container_info *out, struct ds_error *err);
void engine_container_info_release(struct engine_container_info *i);

/* Start; a container that is already running is not an error. */
int engine_container_start(struct engine *e, const char *id, struct ds_error *err);
/*
 * Run the container's healthcheck once, now, as `podman healthcheck run`
 * does; its result lands in the container's health state. Podman only (GET
 * /libpod/containers/{id}/healthcheck): Podman schedules healthchecks with
 * systemd timers, and where there is no systemd nothing else runs them.
 */
int engine_container_healthcheck_run(struct engine *e, const char *id, struct ds_error *err);
/*
 * Extract the tar archive `tar` (len bytes) into the container below the
 * directory `dir` (PUT /containers/{id}/archive). With copy_uidgid the
 * archive's owners are kept; else what it makes belongs to root.
 */
int engine_container_put_archive(struct engine *e, const char *id, const char *dir, const void *tar,
                                 size_t len, bool copy_uidgid, struct ds_error *err);
/* PUT /containers/{id}/archive with the tar read from `body` (streamed). */
int engine_container_put_archive_stream(struct engine *e, const char *id, const char *dir,
                                        engine_read_fn body, void *body_ud, bool copy_uidgid,
                                        struct ds_error *err);
/* What HEAD /containers/{id}/archive says of a path in the container. */
struct engine_path_stat {
    char *name; /* its base name */
    int64_t size;
    uint32_t mode;     /* Go's os.FileMode: permission bits, 1u << 31 for a directory, ... */
    char *link_target; /* a symlink's target, resolved; "" for others */
};
#define ENGINE_MODE_DIR     (1u << 31)
#define ENGINE_MODE_SYMLINK (1u << 27)
/* DS_ENOTFOUND when the container has no such path. */
int engine_container_stat_path(struct engine *e, const char *id, const char *path,
                               struct engine_path_stat *out, struct ds_error *err);
void engine_path_stat_release(struct engine_path_stat *s);
/* GET /containers/{id}/archive: a tar of `path`, its bytes to `out` (stream 1) as they come. */
int engine_container_get_archive(struct engine *e, const char *id, const char *path,
                                 engine_output_fn out, void *ud, struct ds_error *err);
/* Stop, waiting `timeout` seconds (-1: the container's own) before SIGKILL; stopped is fine. */
int engine_container_stop(struct engine *e, const char *id, int timeout, struct ds_error *err);
int engine_container_restart(struct engine *e, const char *id, int timeout, struct ds_error *err);
int engine_container_kill(struct engine *e, const char *id, const char *signal,
                          struct ds_error *err);
int engine_container_remove(struct engine *e, const char *id, bool force, bool volumes,
                            struct ds_error *err);
/* Block until the condition ("not-running", "next-exit", "removed") holds. */
int engine_container_wait(struct engine *e, const char *id, const char *condition, int *exit_code,
                          struct ds_error *err);
int engine_container_rename(struct engine *e, const char *id, const char *name,
                            struct ds_error *err);
/* Resize the container's TTY (POST /containers/{id}/resize). */
int engine_container_resize(struct engine *e, const char *id, int height, int width,
                            struct ds_error *err);

/* One sample of a container's resource use (GET /containers/{id}/stats?stream=false). */
struct engine_stats {
    uint64_t cpu_total, system_cpu;       /* cpu_stats: ns used, by it and by the host */
    uint64_t precpu_total, presystem_cpu; /* the same a moment before (precpu_stats) */
    uint32_t online_cpus;                 /* online_cpus, else the length of percpu_usage */
    uint64_t mem_usage, mem_limit;
    uint64_t mem_inactive_file; /* total_inactive_file (cgroup v1), else inactive_file */
    bool has_inactive_file;
    uint64_t net_rx, net_tx;      /* summed over its networks */
    uint64_t blk_read, blk_write; /* io_service_bytes_recursive, summed */
    uint64_t pids;
};
/* The engine takes two samples about a second apart for this: it takes that long. */
int engine_container_stats(struct engine *e, const char *id, struct engine_stats *out,
                           struct ds_error *err);

/* Freeze and thaw every process of a running container (the cgroup freezer). */
int engine_container_pause(struct engine *e, const char *id, struct ds_error *err);
int engine_container_unpause(struct engine *e, const char *id, struct ds_error *err);

/* The processes of a running container, as ps inside it lists them. */
struct engine_top {
    struct strvec titles; /* "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD" */
    struct strvec *rows;  /* one per process, as many fields as titles */
    size_t n;
};
/* GET /containers/{id}/top (ps's default columns). */
int engine_container_top(struct engine *e, const char *id, struct engine_top *out,
                         struct ds_error *err);
void engine_top_release(struct engine_top *t);

struct engine_logs_opts {
    bool follow, timestamps;
    bool no_stdout, no_stderr;
    const char *tail;     /* "all" or a number; NULL: all */
    int64_t since, until; /* unix seconds; 0: unbounded */
    int64_t since_ns;     /* with since: the nanoseconds of that second */
    bool tty;             /* the container has a TTY: the stream is raw, not framed */
};
int engine_container_logs(struct engine *e, const char *id, const struct engine_logs_opts *o,
                          engine_output_fn out, void *ud, struct ds_error *err);

/* ---- exec --------------------------------------------------------------- */

struct engine_exec_config {
    struct strvec cmd;
    struct strvec env;
    const char *user, *working_dir;
    bool tty, attach_stdin, privileged;
    /* the TTY's size from the start (API 1.42 and later); 0: the engine's default */
    int console_height, console_width;
};

/* The JSON body of POST /containers/{id}/exec for API `api_version`; the caller frees it. */
cJSON *engine_exec_config_json(const struct engine_exec_config *c, int api_version);
int engine_exec_create(struct engine *e, const char *container, const struct engine_exec_config *c,
                       char **id_out, struct ds_error *err);
/*
 * Start the exec and stream its output to `out` until it ends (demultiplexed
 * unless `tty`). With `detach`, return once it started.
 */
int engine_exec_start(struct engine *e, const char *exec_id, bool tty, bool detach,
                      engine_output_fn out, void *ud, struct ds_error *err);
int engine_exec_resize(struct engine *e, const char *exec_id, int height, int width,
                       struct ds_error *err);

/* What engine_exec_start_attached() connects to the exec. Borrowed for the call. */
struct engine_attach {
    bool tty;                      /* the exec has a TTY: its output is raw, not framed */
    int in_fd;                     /* forwarded to the exec's stdin until EOF; -1: none */
    engine_output_fn out;          /* output: stream 1 or 2 (1 for TTYs); non-zero stops */
    void *ud;                      /* for out and on_winch */
    volatile sig_atomic_t *winch;  /* set (by a SIGWINCH handler): cleared, then on_winch */
    void (*on_winch)(void *ud);    /* also called once as soon as the exec has started */
    volatile sig_atomic_t *cancel; /* set: stop and return DS_EINTR; NULL: never */
    /*
     * Container attach: called once the stream is connected, before any
     * output is read, to start the container (nothing it writes is lost).
     * A negative return ends the attach with that code. NULL: nothing.
     */
    int (*on_attached)(void *ud, struct ds_error *err);
    /* set (a signal to pass on, by its handler): on_notice is called, then it is cleared */
    volatile sig_atomic_t *notice;
    void (*on_notice)(void *ud);
};

/*
 * Start the exec and connect it both ways until its output ends, as
 * `docker exec -i` does: the start request's connection is upgraded to a raw
 * stream that carries in_fd's bytes to the exec and its output back (framed
 * unless `tty`). At EOF of in_fd the exec's stdin is closed and its output is
 * read to the end. A new connection is made for this; `e` stays usable (for
 * resizes from on_winch). An error the engine answers the start with (no
 * such exec, container not running, a missing executable on some engines)
 * carries its message.
 */
int engine_exec_start_attached(struct engine *e, const char *exec_id, const struct engine_attach *a,
                               struct ds_error *err);

/*
 * Attach to container `id` (POST /containers/{id}/attach, upgraded) as
 * engine_exec_start_attached() does for an exec: in_fd's bytes to its stdin
 * (stdin=0 when in_fd is -1), its output to a->out (framed unless a->tty)
 * until it ends, or the engine sees `detach_keys` (NULL: its default,
 * ctrl-p,ctrl-q) on stdin and lets go. a->on_attached runs once the stream
 * is connected: the place to start a container created but not started.
 */
int engine_container_attach(struct engine *e, const char *id, const char *detach_keys,
                            const struct engine_attach *a, struct ds_error *err);

/*
 * A wait asked before the container starts, as the docker CLI does, so that
 * neither a quick exit nor the engine's removal (AutoRemove) can come before
 * it: POST /containers/{id}/wait?condition=... on a connection of its own.
 * engine_container_wait_begin() returns once the engine has registered it
 * (answered its head); engine_container_wait_end() blocks until the answer's
 * body gives the exit code, or `cancel` (may be NULL) is set (DS_EINTR).
 * *w (engine_wait_free()) is the caller's either way.
 */
struct engine_wait;
int engine_container_wait_begin(struct engine *e, const char *id, const char *condition,
                                struct engine_wait **w, struct ds_error *err);
int engine_container_wait_end(struct engine_wait *w, volatile sig_atomic_t *cancel, int *exit_code,
                              struct ds_error *err);
void engine_wait_free(struct engine_wait *w);

struct engine_exec_info {
    bool running;
    int exit_code;
    int pid;
    char *container_id;
};
int engine_exec_inspect(struct engine *e, const char *exec_id, struct engine_exec_info *out,
                        struct ds_error *err);
void engine_exec_info_release(struct engine_exec_info *i);

/* ---- events -------------------------------------------------------------- */

/*
 * Follow the engine's event stream (GET /events) from `since` (unix seconds;
 * 0: now), passing each event object to `fn` (borrowed) until `fn` returns
 * non-zero or the cancel flag is set (DS_EINTR). `filters` is the JSON of
 * the filters parameter, e.g. {"type":["container"],"label":["x=y"]}, or NULL.
 */
int engine_events(struct engine *e, int64_t since, const cJSON *filters, engine_json_fn fn,
                  void *ud, struct ds_error *err);

/* ---- images ------------------------------------------------------------- */

struct engine_image_info {
    char *id, *created, *os, *architecture;
    char *last_tag_time; /* Metadata.LastTagTime (inspect only): when it was last tagged or pulled
                          */
    struct strvec repo_tags;
    struct kvlist labels;
    struct strvec volumes; /* Config.Volumes (inspect only): the image's VOLUME paths */
    int64_t size;
};
int engine_image_inspect(struct engine *e, const char *name, struct engine_image_info *out,
                         struct ds_error *err);
void engine_image_info_release(struct engine_image_info *i);

struct engine_image_list {
    struct engine_image_info *items;
    size_t n;
};
int engine_image_list(struct engine *e, const struct strvec *label_filters, bool dangling_only,
                      struct engine_image_list *out, struct ds_error *err);
void engine_image_list_release(struct engine_image_list *l);

/* Remove; *deleted counts the layers and tags the engine removed. */
int engine_image_remove(struct engine *e, const char *name, bool force, size_t *deleted,
                        struct ds_error *err);

/*
 * Pull `ref` ("mysql:8.0", "registry/x@sha256:..."), passing every progress
 * line to `fn`. `auth` is the base64 X-Registry-Auth value or NULL. An error
 * inside the stream fails the pull with its message.
 */
int engine_image_pull(struct engine *e, const char *ref, const char *platform, const char *auth,
                      engine_progress_fn fn, void *ud, struct ds_error *err);

struct engine_build_opts {
    bool buildkit; /* version=2: BuildKit, its progress as moby.buildkit.trace lines */
    struct strvec tags;
    const char *dockerfile; /* relative to the context; NULL: "Dockerfile" */
    const char *target;
    const char *platform;
    struct kvlist build_args;
    struct kvlist labels;
    const struct strvec *cache_from; /* images to use as cache sources; may be NULL */
    const char *network;             /* network mode of RUN steps; NULL: the default */
    bool no_cache, pull;
    /* what the containers of RUN steps get */
    const struct strvec *extra_hosts; /* "host:ip"; may be NULL */
    int64_t shm_size;                 /* bytes; 0: the engine's default */
    const char *isolation;            /* NULL: the default */
    const struct engine_ulimit *ulimits;
    size_t n_ulimits;
    const char *session; /* a BuildKit session's id (engine_session_start); NULL: none */
};
/*
 * Build from a tar stream of the context read from `body`. Output lines go to
 * `fn`; *id_out (caller frees, may be NULL) is the image built.
 */
int engine_image_build(struct engine *e, const struct engine_build_opts *o, engine_read_fn body,
                       void *body_ud, engine_progress_fn fn, void *ud, char **id_out,
                       struct ds_error *err);
/* Import a root filesystem tar as image repo:tag (no registry needed). */
int engine_image_import(struct engine *e, const char *repo, const char *tag, engine_read_fn body,
                        void *body_ud, engine_progress_fn fn, void *ud, struct ds_error *err);

/*
 * The registry of an image reference as the docker CLI finds it: the first
 * path component when it has a '.' or ':' or is "localhost" ("ghcr.io",
 * "localhost:5000"), else "docker.io" ("mysql:8.0", "my-registry/x").
 * "index.docker.io" is "docker.io". Caller frees.
 */
char *engine_registry_of(const char *image_ref);

/*
 * The X-Registry-Auth value for pulling `image_ref`, from $DOCKER_CONFIG/config.json
 * (default ~/.docker) as the docker CLI reads it: the registry's credHelpers
 * entry wins, else credsStore, else its `auths` entry. A helper is run as
 * `docker-credential-NAME get` with the server URL on stdin; its
 * {ServerURL, Username, Secret} answer gives the credentials (Username
 * "<token>": Secret is an identity token). The header is base64url of
 * {"username","password","serveraddress"[,"identitytoken"]}; *header_out
 * (caller frees; it holds a secret) is NULL when there are none.
 * A helper that has no credentials means none; one that fails, or an
 * unreadable config.json, means none with *warning_out (caller frees, may be
 * NULL) saying so. A helper that is not installed, a config.json that is not
 * JSON, or an `auth` that is not base64 of "user:password" is an error.
 * Secrets never appear in messages.
 */
int engine_registry_auth(char **header_out, char **warning_out, const char *image_ref,
                         const struct engine_resolve_env *env, struct ds_error *err);

/* Where the credentials for a registry come from in config.json. */
enum engine_cred_source {
    ENGINE_CRED_NONE,
    ENGINE_CRED_HELPER, /* credHelpers names a helper for the registry */
    ENGINE_CRED_STORE,  /* credsStore names the helper for every registry */
    ENGINE_CRED_AUTHS,  /* the registry's `auths` entry */
};

/*
 * Which of config.json's (borrowed, a parsed object) sources holds the
 * credentials of `registry` (as engine_registry_of gives it); *name_out is the
 * helper's name (borrowed from `config`) or NULL. Keys match by host: Docker
 * Hub answers to "https://index.docker.io/v1/", "docker.io", "index.docker.io"
 * and "registry-1.docker.io", the exact key first.
 */
enum engine_cred_source engine_credential_source(const char **name_out, const cJSON *config,
                                                 const char *registry);

/* The server URL a registry's credentials are stored under: Docker Hub's v1 URL, else the host. */
const char *engine_registry_server_url(const char *registry);

/* ---- networks ----------------------------------------------------------- */

/* An IPAM address pool of a network. */
struct engine_ipam_pool {
    const char *subnet, *ip_range, *gateway; /* NULL: the engine chooses */
    const struct kvlist *aux_addresses;      /* NULL: none */
};

struct engine_network_config {
    const char *name, *driver; /* driver NULL: bridge */
    struct kvlist labels;
    const struct kvlist *options; /* the driver's (driver_opts); NULL: none */
    bool internal, attachable, enable_ipv6;
    bool disable_ipv4;                 /* EnableIPv4: false (API 1.48) */
    const char *ipam_driver;           /* NULL: default */
    const struct kvlist *ipam_options; /* the IPAM driver's; NULL: none */
    const struct engine_ipam_pool *pools;
    size_t n_pools;
};

struct engine_network_info {
    char *id, *name, *driver, *scope;
    bool internal;
    struct kvlist labels;
    struct strvec containers; /* ids of attached containers */
};

int engine_network_create(struct engine *e, const struct engine_network_config *c, char **id_out,
                          struct ds_error *err);
int engine_network_inspect(struct engine *e, const char *name, struct engine_network_info *out,
                           struct ds_error *err);
void engine_network_info_release(struct engine_network_info *n);

struct engine_network_list {
    struct engine_network_info *items;
    size_t n;
};
int engine_network_list(struct engine *e, const struct strvec *label_filters,
                        struct engine_network_list *out, struct ds_error *err);
void engine_network_list_release(struct engine_network_list *l);
int engine_network_remove(struct engine *e, const char *name, struct ds_error *err);
/* Connect a container to a.network with the endpoint settings of `a`. */
int engine_network_connect(struct engine *e, const char *container,
                           const struct engine_network_attachment *a, int api_version,
                           struct ds_error *err);
int engine_network_disconnect(struct engine *e, const char *network, const char *container,
                              bool force, struct ds_error *err);

/* ---- volumes ------------------------------------------------------------ */

struct engine_volume_config {
    const char *name, *driver;
    struct kvlist labels, driver_opts;
};

struct engine_volume_info {
    char *name, *driver, *mountpoint, *scope, *created_at;
    struct kvlist labels;
    struct kvlist options; /* the driver's options it was created with */
};

int engine_volume_create(struct engine *e, const struct engine_volume_config *c,
                         struct engine_volume_info *out, struct ds_error *err);
int engine_volume_inspect(struct engine *e, const char *name, struct engine_volume_info *out,
                          struct ds_error *err);
void engine_volume_info_release(struct engine_volume_info *v);

struct engine_volume_list {
    struct engine_volume_info *items;
    size_t n;
};
int engine_volume_list(struct engine *e, const struct strvec *label_filters,
                       struct engine_volume_list *out, struct ds_error *err);
void engine_volume_list_release(struct engine_volume_list *l);
int engine_volume_remove(struct engine *e, const char *name, bool force, struct ds_error *err);

#endif
