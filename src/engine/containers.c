/* Containers: the create body, lifecycle calls, inspect, list and logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

void engine_container_config_init(struct engine_container_config *c)
{
    memset(c, 0, sizeof(*c));
    strvec_init(&c->env);
    strvec_init(&c->cmd);
    strvec_init(&c->entrypoint);
    strvec_init(&c->cap_add);
    strvec_init(&c->cap_drop);
    strvec_init(&c->extra_hosts);
    strvec_init(&c->dns);
    strvec_init(&c->security_opt);
    strvec_init(&c->healthcheck.test);
    strvec_init(&c->links);
    strvec_init(&c->volumes_from);
    strvec_init(&c->group_add);
    strvec_init(&c->dns_search);
    strvec_init(&c->dns_options);
    strvec_init(&c->resources.device_cgroup_rules);
    c->resources.memory_swappiness = -1;
    c->stop_timeout = -1;
    c->init = -1;
    c->attach_stdout = true;
    c->attach_stderr = true;
}

static void resources_release(struct engine_resources *r)
{
    free(r->cpuset_cpus);
    free(r->cgroup_parent);
    for (size_t i = 0; i < r->n_ulimits; i++)
        free(r->ulimits[i].name);
    free(r->ulimits);
    for (size_t i = 0; i < r->n_devices; i++) {
        free(r->devices[i].path_on_host);
        free(r->devices[i].path_in_container);
        free(r->devices[i].permissions);
    }
    free(r->devices);
    for (size_t i = 0; i < r->n_device_requests; i++) {
        free(r->device_requests[i].driver);
        strvec_clear(&r->device_requests[i].device_ids);
        strvec_clear(&r->device_requests[i].capabilities);
        kvlist_clear(&r->device_requests[i].options);
    }
    free(r->device_requests);
    for (size_t l = 0; l < 5; l++) {
        for (size_t i = 0; i < r->n_blkio[l]; i++)
            free(r->blkio[l][i].path);
        free(r->blkio[l]);
    }
    strvec_clear(&r->device_cgroup_rules);
}

void engine_container_config_release(struct engine_container_config *c)
{
    free(c->name);
    free(c->image);
    free(c->platform);
    free(c->hostname);
    free(c->domainname);
    free(c->user);
    free(c->working_dir);
    free(c->stop_signal);
    free(c->restart_policy);
    free(c->network_mode);
    strvec_clear(&c->env);
    strvec_clear(&c->cmd);
    strvec_clear(&c->entrypoint);
    strvec_clear(&c->cap_add);
    strvec_clear(&c->cap_drop);
    strvec_clear(&c->extra_hosts);
    strvec_clear(&c->dns);
    strvec_clear(&c->security_opt);
    strvec_clear(&c->healthcheck.test);
    kvlist_clear(&c->labels);
    for (size_t i = 0; i < c->n_networks; i++) {
        free(c->networks[i].network);
        free(c->networks[i].ipv4_address);
        free(c->networks[i].ipv6_address);
        free(c->networks[i].mac_address);
        strvec_clear(&c->networks[i].aliases);
        strvec_clear(&c->networks[i].links);
        strvec_clear(&c->networks[i].link_local_ips);
        kvlist_clear(&c->networks[i].driver_opts);
    }
    free(c->networks);
    for (size_t i = 0; i < c->n_ports; i++) {
        free(c->ports[i].protocol);
        free(c->ports[i].host_ip);
        free(c->ports[i].host_port);
    }
    free(c->ports);
    for (size_t i = 0; i < c->n_mounts; i++) {
        free(c->mounts[i].source);
        free(c->mounts[i].target);
        free(c->mounts[i].bind_propagation);
        free(c->mounts[i].bind_selinux);
        free(c->mounts[i].subpath);
    }
    free(c->mounts);
    free(c->ipc_mode);
    free(c->pid_mode);
    free(c->uts_mode);
    free(c->userns_mode);
    free(c->cgroupns_mode);
    free(c->runtime);
    free(c->isolation);
    free(c->mac_address);
    kvlist_clear(&c->tmpfs);
    strvec_clear(&c->links);
    strvec_clear(&c->volumes_from);
    strvec_clear(&c->group_add);
    strvec_clear(&c->dns_search);
    strvec_clear(&c->dns_options);
    kvlist_clear(&c->sysctls);
    kvlist_clear(&c->storage_opt);
    kvlist_clear(&c->annotations);
    free(c->log_driver);
    kvlist_clear(&c->log_options);
    resources_release(&c->resources);
    engine_container_config_init(c);
}

struct engine_port *engine_container_config_add_port(struct engine_container_config *c)
{
    c->ports = xrealloc(c->ports, (c->n_ports + 1) * sizeof(*c->ports));
    memset(&c->ports[c->n_ports], 0, sizeof(*c->ports));
    return &c->ports[c->n_ports++];
}

struct engine_mount *engine_container_config_add_mount(struct engine_container_config *c)
{
    c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
    memset(&c->mounts[c->n_mounts], 0, sizeof(*c->mounts));
    return &c->mounts[c->n_mounts++];
}

struct engine_network_attachment *
engine_container_config_add_network(struct engine_container_config *c, const char *network)
{
    struct engine_network_attachment *a;

    c->networks = xrealloc(c->networks, (c->n_networks + 1) * sizeof(*c->networks));
    a = &c->networks[c->n_networks++];
    memset(a, 0, sizeof(*a));
    a->network = xstrdup(network);
    strvec_init(&a->aliases);
    strvec_init(&a->links);
    strvec_init(&a->link_local_ips);
    a->driver_opts = (struct kvlist)KVLIST_INIT;
    return a;
}

static const char *port_protocol(const struct engine_port *p)
{
    return p->protocol && *p->protocol ? p->protocol : "tcp";
}

static void add_ports(cJSON *config, cJSON *host, const struct engine_container_config *c)
{
    cJSON *exposed = NULL, *bindings = NULL;
    char key[32];

    for (size_t i = 0; i < c->n_ports; i++) {
        const struct engine_port *p = &c->ports[i];
        cJSON *list, *binding;

        snprintf(key, sizeof(key), "%u/%s", (unsigned)p->target, port_protocol(p));
        if (!exposed)
            exposed = cJSON_AddObjectToObject(config, "ExposedPorts");
        if (!cJSON_GetObjectItemCaseSensitive(exposed, key))
            cJSON_AddItemToObject(exposed, key, cJSON_CreateObject());
        if (!p->publish)
            continue;
        if (!bindings)
            bindings = cJSON_AddObjectToObject(host, "PortBindings");
        list = cJSON_GetObjectItemCaseSensitive(bindings, key);
        if (!list)
            list = cJSON_AddArrayToObject(bindings, key);
        binding = cJSON_CreateObject();
        cJSON_AddStringToObject(binding, "HostIp", p->host_ip ? p->host_ip : "");
        cJSON_AddStringToObject(binding, "HostPort", p->host_port ? p->host_port : "");
        cJSON_AddItemToArray(list, binding);
    }
}

static void add_mounts(cJSON *host, const struct engine_container_config *c)
{
    cJSON *binds = NULL, *mounts = NULL;

    for (size_t i = 0; i < c->n_mounts; i++) {
        const struct engine_mount *m = &c->mounts[i];
        cJSON *o;

        /* Binds cannot say how mounts below the source are taken */
        if (m->type == ENGINE_MOUNT_BIND && m->bind_create_host_path &&
            m->bind_recursive == ENGINE_BIND_RECURSIVE) {
            struct buf b = BUF_INIT;
            const char *sep = ":";

            buf_addf(&b, "%s:%s", m->source ? m->source : "", m->target);
            if (m->read_only) {
                buf_addf(&b, "%sro", sep);
                sep = ",";
            }
            if (m->bind_selinux) {
                buf_addf(&b, "%s%s", sep, m->bind_selinux);
                sep = ",";
            }
            if (m->bind_propagation)
                buf_addf(&b, "%s%s", sep, m->bind_propagation);
            if (!binds)
                binds = cJSON_AddArrayToObject(host, "Binds");
            cJSON_AddItemToArray(binds, cJSON_CreateString(b.buf));
            buf_release(&b);
            continue;
        }
        if (!mounts)
            mounts = cJSON_AddArrayToObject(host, "Mounts");
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Type",
                                m->type == ENGINE_MOUNT_BIND     ? "bind"
                                : m->type == ENGINE_MOUNT_VOLUME ? "volume"
                                : m->type == ENGINE_MOUNT_IMAGE  ? "image"
                                                                 : "tmpfs");
        if (m->source)
            cJSON_AddStringToObject(o, "Source", m->source);
        cJSON_AddStringToObject(o, "Target", m->target);
        if (m->read_only)
            cJSON_AddBoolToObject(o, "ReadOnly", 1);
        if (m->type == ENGINE_MOUNT_BIND &&
            (m->bind_propagation || m->bind_recursive != ENGINE_BIND_RECURSIVE)) {
            cJSON *bo = cJSON_AddObjectToObject(o, "BindOptions");

            if (m->bind_propagation)
                cJSON_AddStringToObject(bo, "Propagation", m->bind_propagation);
            if (m->bind_create_host_path)
                cJSON_AddBoolToObject(bo, "CreateMountpoint", 1);
            if (m->bind_recursive != ENGINE_BIND_RECURSIVE)
                cJSON_AddBoolToObject(
                        bo,
                        m->bind_recursive == ENGINE_BIND_NON_RECURSIVE ? "NonRecursive"
                        : m->bind_recursive == ENGINE_BIND_WRITABLE    ? "ReadOnlyNonRecursive"
                                                                       : "ReadOnlyForceRecursive",
                        1);
        }
        if (m->type == ENGINE_MOUNT_VOLUME && (m->volume_nocopy || m->subpath)) {
            cJSON *vo = cJSON_AddObjectToObject(o, "VolumeOptions");
            if (m->volume_nocopy)
                cJSON_AddBoolToObject(vo, "NoCopy", 1);
            if (m->subpath)
                cJSON_AddStringToObject(vo, "Subpath", m->subpath);
        }
        if (m->type == ENGINE_MOUNT_IMAGE && m->subpath)
            cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "ImageOptions"), "Subpath",
                                    m->subpath);
        if (m->type == ENGINE_MOUNT_TMPFS && (m->tmpfs_size || m->tmpfs_mode)) {
            cJSON *to = cJSON_AddObjectToObject(o, "TmpfsOptions");
            if (m->tmpfs_size)
                cJSON_AddNumberToObject(to, "SizeBytes", (double)m->tmpfs_size);
            if (m->tmpfs_mode)
                cJSON_AddNumberToObject(to, "Mode", m->tmpfs_mode);
        }
        cJSON_AddItemToArray(mounts, o);
    }
}

static void add_int(cJSON *obj, const char *key, int64_t v)
{
    if (v)
        cJSON_AddNumberToObject(obj, key, (double)v);
}

static void add_str(cJSON *obj, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(obj, key, v);
}

static void add_list(cJSON *obj, const char *key, const struct strvec *sv)
{
    if (sv->n)
        json_add_strvec(obj, key, sv);
}

static void add_map(cJSON *obj, const char *key, const struct kvlist *l)
{
    if (l->n)
        cJSON_AddItemToObject(obj, key, json_from_kvlist(l, false));
}

static void add_resources(cJSON *host, const struct engine_resources *r)
{
    static const char *const blkio[] = {"BlkioWeightDevice", "BlkioDeviceReadBps",
                                        "BlkioDeviceReadIOps", "BlkioDeviceWriteBps",
                                        "BlkioDeviceWriteIOps"};

    add_int(host, "Memory", r->memory);
    add_int(host, "MemorySwap", r->memory_swap);
    add_int(host, "MemoryReservation", r->memory_reservation);
    if (r->memory_swappiness >= 0)
        cJSON_AddNumberToObject(host, "MemorySwappiness", (double)r->memory_swappiness);
    add_int(host, "NanoCpus", r->nano_cpus);
    add_int(host, "CpuShares", r->cpu_shares);
    add_int(host, "CpuPeriod", r->cpu_period);
    add_int(host, "CpuQuota", r->cpu_quota);
    add_int(host, "CpuRealtimePeriod", r->cpu_rt_period);
    add_int(host, "CpuRealtimeRuntime", r->cpu_rt_runtime);
    add_int(host, "CpuCount", r->cpu_count);
    add_int(host, "CpuPercent", r->cpu_percent);
    add_int(host, "PidsLimit", r->pids_limit);
    add_int(host, "BlkioWeight", r->blkio_weight);
    add_str(host, "CpusetCpus", r->cpuset_cpus);
    add_str(host, "CgroupParent", r->cgroup_parent);
    if (r->oom_kill_disable)
        cJSON_AddBoolToObject(host, "OomKillDisable", 1);
    add_list(host, "DeviceCgroupRules", &r->device_cgroup_rules);
    if (r->n_ulimits) {
        cJSON *arr = cJSON_AddArrayToObject(host, "Ulimits");

        for (size_t i = 0; i < r->n_ulimits; i++) {
            cJSON *u = cJSON_CreateObject();

            cJSON_AddStringToObject(u, "Name", r->ulimits[i].name);
            cJSON_AddNumberToObject(u, "Soft", (double)r->ulimits[i].soft);
            cJSON_AddNumberToObject(u, "Hard", (double)r->ulimits[i].hard);
            cJSON_AddItemToArray(arr, u);
        }
    }
    if (r->n_devices) {
        cJSON *arr = cJSON_AddArrayToObject(host, "Devices");

        for (size_t i = 0; i < r->n_devices; i++) {
            cJSON *d = cJSON_CreateObject();

            cJSON_AddStringToObject(d, "PathOnHost", r->devices[i].path_on_host);
            cJSON_AddStringToObject(d, "PathInContainer", r->devices[i].path_in_container);
            cJSON_AddStringToObject(d, "CgroupPermissions", r->devices[i].permissions);
            cJSON_AddItemToArray(arr, d);
        }
    }
    if (r->n_device_requests) {
        cJSON *arr = cJSON_AddArrayToObject(host, "DeviceRequests");

        for (size_t i = 0; i < r->n_device_requests; i++) {
            const struct engine_device_request *q = &r->device_requests[i];
            cJSON *d = cJSON_CreateObject(), *caps = cJSON_AddArrayToObject(d, "Capabilities");
            cJSON *set = cJSON_CreateArray(); /* one set, all of which the device must have */

            cJSON_AddStringToObject(d, "Driver", q->driver ? q->driver : "");
            cJSON_AddNumberToObject(d, "Count", (double)q->count);
            json_add_strvec(d, "DeviceIDs", &q->device_ids);
            for (size_t k = 0; k < q->capabilities.n; k++)
                cJSON_AddItemToArray(set, cJSON_CreateString(q->capabilities.v[k]));
            cJSON_AddItemToArray(caps, set);
            cJSON_AddItemToObject(d, "Options", json_from_kvlist(&q->options, false));
            cJSON_AddItemToArray(arr, d);
        }
    }
    for (size_t l = 0; l < 5; l++) {
        cJSON *arr;

        if (!r->n_blkio[l])
            continue;
        arr = cJSON_AddArrayToObject(host, blkio[l]);
        for (size_t i = 0; i < r->n_blkio[l]; i++) {
            cJSON *d = cJSON_CreateObject();

            cJSON_AddStringToObject(d, "Path", r->blkio[l][i].path);
            cJSON_AddNumberToObject(d, l == 0 ? "Weight" : "Rate", (double)r->blkio[l][i].value);
            cJSON_AddItemToArray(arr, d);
        }
    }
}

/* The HostConfig fields of the namespace, runtime, logging and resource keys. */
static void add_host_more(cJSON *root, cJSON *host, const struct engine_container_config *c,
                          int api_version)
{
    add_str(host, "IpcMode", c->ipc_mode);
    add_str(host, "PidMode", c->pid_mode);
    add_str(host, "UTSMode", c->uts_mode);
    add_str(host, "UsernsMode", c->userns_mode);
    add_str(host, "CgroupnsMode", c->cgroupns_mode);
    add_str(host, "Runtime", c->runtime);
    add_str(host, "Isolation", c->isolation);
    add_map(host, "Tmpfs", &c->tmpfs);
    add_list(host, "Links", &c->links);
    add_list(host, "VolumesFrom", &c->volumes_from);
    add_list(host, "GroupAdd", &c->group_add);
    add_list(host, "DnsSearch", &c->dns_search);
    add_list(host, "DnsOptions", &c->dns_options);
    add_map(host, "Sysctls", &c->sysctls);
    add_map(host, "StorageOpt", &c->storage_opt);
    if (api_version >= ENGINE_API_ANNOTATIONS)
        add_map(host, "Annotations", &c->annotations);
    if (c->log_driver || c->log_options.n) {
        cJSON *lc = cJSON_AddObjectToObject(host, "LogConfig");

        cJSON_AddStringToObject(lc, "Type", c->log_driver ? c->log_driver : "");
        cJSON_AddItemToObject(lc, "Config", json_from_kvlist(&c->log_options, false));
    }
    add_int(host, "OomScoreAdj", c->oom_score_adj);
    add_resources(host, &c->resources);
    /* from 1.44 the address belongs to the first network's endpoint */
    if (api_version < 1044 || !c->n_networks) {
        const char *mac = c->mac_address;

        if (!mac && c->n_networks)
            mac = c->networks[0].mac_address;
        if (mac)
            cJSON_AddStringToObject(root, "MacAddress", mac);
    }
}

cJSON *engine_endpoint_json(const struct engine_network_attachment *a, const char *mac,
                            int api_version)
{
    cJSON *ep = cJSON_CreateObject();

    if (a->aliases.n)
        json_add_strvec(ep, "Aliases", &a->aliases);
    if (a->links.n)
        json_add_strvec(ep, "Links", &a->links);
    if (a->ipv4_address || a->ipv6_address || a->link_local_ips.n) {
        cJSON *ipam = cJSON_AddObjectToObject(ep, "IPAMConfig");

        if (a->ipv4_address)
            cJSON_AddStringToObject(ipam, "IPv4Address", a->ipv4_address);
        if (a->ipv6_address)
            cJSON_AddStringToObject(ipam, "IPv6Address", a->ipv6_address);
        if (a->link_local_ips.n)
            json_add_strvec(ipam, "LinkLocalIPs", &a->link_local_ips);
    }
    if (a->driver_opts.n)
        cJSON_AddItemToObject(ep, "DriverOpts", json_from_kvlist(&a->driver_opts, false));
    if (mac && api_version >= ENGINE_API_ENDPOINT_MAC)
        cJSON_AddStringToObject(ep, "MacAddress", mac);
    if (a->gw_priority && api_version >= ENGINE_API_GW_PRIORITY)
        cJSON_AddNumberToObject(ep, "GwPriority", a->gw_priority);
    return ep;
}

cJSON *engine_container_config_json(const struct engine_container_config *c, int api_version)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *host;

    if (c->hostname)
        cJSON_AddStringToObject(root, "Hostname", c->hostname);
    if (c->domainname)
        cJSON_AddStringToObject(root, "Domainname", c->domainname);
    if (c->user)
        cJSON_AddStringToObject(root, "User", c->user);
    cJSON_AddBoolToObject(root, "AttachStdin", c->attach_stdin);
    cJSON_AddBoolToObject(root, "AttachStdout", c->attach_stdout);
    cJSON_AddBoolToObject(root, "AttachStderr", c->attach_stderr);
    cJSON_AddBoolToObject(root, "Tty", c->tty);
    cJSON_AddBoolToObject(root, "OpenStdin", c->open_stdin);
    cJSON_AddBoolToObject(root, "StdinOnce", c->stdin_once);
    if (c->env.n)
        json_add_strvec(root, "Env", &c->env);
    if (c->cmd_set)
        json_add_strvec(root, "Cmd", &c->cmd);
    if (c->entrypoint_set) {
        if (c->entrypoint.n) {
            json_add_strvec(root, "Entrypoint", &c->entrypoint);
        } else {
            /* [""] is how the engine is told "no entrypoint"; [] means "the image's" */
            cJSON *arr = cJSON_AddArrayToObject(root, "Entrypoint");
            cJSON_AddItemToArray(arr, cJSON_CreateString(""));
        }
    }
    cJSON_AddStringToObject(root, "Image", c->image ? c->image : "");
    if (c->working_dir)
        cJSON_AddStringToObject(root, "WorkingDir", c->working_dir);
    cJSON_AddItemToObject(root, "Labels", json_from_kvlist(&c->labels, false));
    if (c->stop_signal)
        cJSON_AddStringToObject(root, "StopSignal", c->stop_signal);
    if (c->stop_timeout >= 0)
        cJSON_AddNumberToObject(root, "StopTimeout", c->stop_timeout);
    if (c->healthcheck_set) {
        const struct engine_healthcheck *h = &c->healthcheck;
        cJSON *hc = cJSON_AddObjectToObject(root, "Healthcheck");

        json_add_strvec(hc, "Test", &h->test);
        if (h->interval_ns)
            cJSON_AddNumberToObject(hc, "Interval", (double)h->interval_ns);
        if (h->timeout_ns)
            cJSON_AddNumberToObject(hc, "Timeout", (double)h->timeout_ns);
        if (h->retries)
            cJSON_AddNumberToObject(hc, "Retries", h->retries);
        if (h->start_period_ns)
            cJSON_AddNumberToObject(hc, "StartPeriod", (double)h->start_period_ns);
        if (h->start_interval_ns && api_version >= ENGINE_API_START_INTERVAL)
            cJSON_AddNumberToObject(hc, "StartInterval", (double)h->start_interval_ns);
    }

    host = cJSON_AddObjectToObject(root, "HostConfig");
    add_ports(root, host, c);
    add_mounts(host, c);
    if (c->network_mode)
        cJSON_AddStringToObject(host, "NetworkMode", c->network_mode);
    if (c->restart_policy) {
        cJSON *rp = cJSON_AddObjectToObject(host, "RestartPolicy");
        cJSON_AddStringToObject(rp, "Name", c->restart_policy);
        if (!strcmp(c->restart_policy, "on-failure") && c->restart_max_retries > 0)
            cJSON_AddNumberToObject(rp, "MaximumRetryCount", c->restart_max_retries);
    }
    if (c->auto_remove)
        cJSON_AddBoolToObject(host, "AutoRemove", 1);
    if (c->init >= 0)
        cJSON_AddBoolToObject(host, "Init", c->init);
    if (c->privileged)
        cJSON_AddBoolToObject(host, "Privileged", 1);
    if (c->read_only_rootfs)
        cJSON_AddBoolToObject(host, "ReadonlyRootfs", 1);
    if (c->cap_add.n)
        json_add_strvec(host, "CapAdd", &c->cap_add);
    if (c->cap_drop.n)
        json_add_strvec(host, "CapDrop", &c->cap_drop);
    if (c->extra_hosts.n)
        json_add_strvec(host, "ExtraHosts", &c->extra_hosts);
    if (c->dns.n)
        json_add_strvec(host, "Dns", &c->dns);
    if (c->security_opt.n)
        json_add_strvec(host, "SecurityOpt", &c->security_opt);
    if (c->shm_size)
        cJSON_AddNumberToObject(host, "ShmSize", (double)c->shm_size);
    add_host_more(root, host, c, api_version);

    if (c->n_networks) {
        cJSON *nc = cJSON_AddObjectToObject(root, "NetworkingConfig");
        cJSON *eps = cJSON_AddObjectToObject(nc, "EndpointsConfig");
        size_t n = api_version >= 1044 ? c->n_networks : 1;

        for (size_t i = 0; i < n; i++) {
            const struct engine_network_attachment *a = &c->networks[i];
            const char *mac = a->mac_address ? a->mac_address : i == 0 ? c->mac_address : NULL;

            cJSON_AddItemToObject(eps, a->network, engine_endpoint_json(a, mac, api_version));
        }
    }
    return root;
}

int engine_container_config_min_api(const struct engine_container_config *c, int api,
                                    const char **field, const char **at)
{
    *field = *at = NULL;
    for (size_t i = 0; i < c->n_mounts; i++) {
        const struct engine_mount *m = &c->mounts[i];
        int need = 0;

        if (m->type == ENGINE_MOUNT_IMAGE) {
            need = ENGINE_API_IMAGE_MOUNT;
            *field = "a mount of type image";
        } else if (m->type == ENGINE_MOUNT_VOLUME && m->subpath) {
            need = ENGINE_API_VOLUME_SUBPATH;
            *field = "VolumeOptions.Subpath";
        } else if (m->type == ENGINE_MOUNT_BIND &&
                   (m->bind_recursive == ENGINE_BIND_WRITABLE ||
                    m->bind_recursive == ENGINE_BIND_FORCE_READONLY)) {
            need = ENGINE_API_BIND_RO_RECURSIVE;
            *field = m->bind_recursive == ENGINE_BIND_WRITABLE
                             ? "BindOptions.ReadOnlyNonRecursive"
                             : "BindOptions.ReadOnlyForceRecursive";
        }
        if (api < need) {
            *at = m->target;
            return need;
        }
    }
    if (c->annotations.n && api < ENGINE_API_ANNOTATIONS) {
        *field = "HostConfig.Annotations";
        return ENGINE_API_ANNOTATIONS;
    }
    if (c->healthcheck_set && c->healthcheck.start_interval_ns && api < ENGINE_API_START_INTERVAL) {
        *field = "Healthcheck.StartInterval";
        return ENGINE_API_START_INTERVAL;
    }
    *field = NULL;
    return 0;
}

/* A create field the engine in use is too old for: it would drop it without a word. */
static int check_create_fields(const struct engine_container_config *c, int api,
                               struct ds_error *err)
{
    const char *field, *at, *release;
    int need = engine_container_config_min_api(c, api, &field, &at);
    char have[16], want[16];

    if (!need)
        return 0;
    /* past what devstack speaks, the engine's own version is not the reason */
    engine_api_version_format(api, have, sizeof(have));
    engine_api_version_format(need, want, sizeof(want));
    release = engine_api_docker_release(need);
    return ds_error_set(err, DS_EUNSUPPORTED,
                        "%s%s%s needs Engine API %s (Docker Engine %s or newer); %s %s", field,
                        at ? " at " : "", at ? at : "", want, release ? release : want,
                        need > ENGINE_API_MAX && api >= ENGINE_API_MAX ? "devstack speaks at most"
                                                                       : "this engine speaks",
                        have);
}

/* A network's endpoint settings the engine is too old for. */
static int check_endpoints(const struct engine_container_config *c, int api, struct ds_error *err)
{
    for (size_t i = 0; i < c->n_networks; i++) {
        const struct engine_network_attachment *a = &c->networks[i];
        /* before 1.44 the container has one MAC address: its first network's */
        int need = a->gw_priority            ? ENGINE_API_GW_PRIORITY
                   : i > 0 && a->mac_address ? ENGINE_API_ENDPOINT_MAC
                                             : 0;
        const char *release = engine_api_docker_release(need);
        char have[16], want[16];

        if (api >= need)
            continue;
        engine_api_version_format(api, have, sizeof(have));
        engine_api_version_format(need, want, sizeof(want));
        ds_error_set(err, DS_EUNSUPPORTED,
                     "%s on network '%s' needs Engine API %s (Docker Engine %s or newer); %s %s",
                     need == ENGINE_API_GW_PRIORITY ? "gw_priority" : "a mac_address", a->network,
                     want, release ? release : want,
                     need > ENGINE_API_MAX && api >= ENGINE_API_MAX ? "devstack speaks at most"
                                                                    : "this engine speaks",
                     have);
        if (need == ENGINE_API_GW_PRIORITY)
            ds_error_hint(err, "leave gw_priority out");
        else
            ds_error_hint(err, "upgrade the engine, or give the MAC address on the service's "
                               "first network (the one of highest priority)");
        return DS_EUNSUPPORTED;
    }
    return 0;
}

/* What the engine in use is too old for is refused: it would drop it without a word. */
static int check_api_version(const struct engine_container_config *c, int api, struct ds_error *err)
{
    int rc = check_create_fields(c, api, err);

    return rc < 0 ? rc : check_endpoints(c, api, err);
}

int engine_container_config_check(const struct engine_container_config *c, int api_version,
                                  struct ds_error *err)
{
    return check_api_version(c, api_version, err);
}

/*
 * Podman 4.3 splits each word of a CMD healthcheck at its spaces again
 * (["CMD", "sh", "-c", "exit 1"] runs `sh -c exit 1`, which passes). Such a
 * test goes as CMD-SHELL, each word quoted for the container's shell, which
 * Podman leaves whole; one without spaces in its words goes as it is.
 */
static void podman_healthcheck_words(cJSON *body)
{
    cJSON *hc = cJSON_GetObjectItemCaseSensitive(body, "Healthcheck");
    cJSON *test = cJSON_GetObjectItemCaseSensitive(hc, "Test");
    const cJSON *first = cJSON_GetArrayItem(test, 0);
    struct buf line = BUF_INIT;
    bool spaced = false;

    if (!cJSON_IsArray(test) || !cJSON_IsString(first) || strcmp(first->valuestring, "CMD") != 0)
        return;
    for (const cJSON *word = first->next; word; word = word->next) {
        const char *w = cJSON_IsString(word) ? word->valuestring : "";

        spaced = spaced || strpbrk(w, " \t\n") != NULL;
        buf_adds(&line, line.len ? " '" : "'");
        for (; *w; w++) {
            if (*w == '\'')
                buf_adds(&line, "'\\''");
            else
                buf_addch(&line, *w);
        }
        buf_addch(&line, '\'');
    }
    if (spaced) {
        cJSON *shell = cJSON_CreateArray();

        cJSON_AddItemToArray(shell, cJSON_CreateString("CMD-SHELL"));
        cJSON_AddItemToArray(shell, cJSON_CreateString(line.buf));
        cJSON_ReplaceItemInObjectCaseSensitive(hc, "Test", shell);
    }
    buf_release(&line);
}

int engine_container_create(struct engine *e, const struct engine_container_config *c,
                            char **id_out, struct strvec *warnings, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *body = NULL, *answer = NULL;
    const cJSON *w, *item;
    int api, rc;

    *id_out = NULL;
    if (!engine_api_version(e) && (rc = engine_connect(e, err)) < 0)
        return rc;
    api = engine_api_version(e);
    rc = check_api_version(c, api, err);
    if (rc < 0)
        goto done;
    buf_adds(&path, "/containers/create");
    if (c->name)
        engine_query_add(&path, "name", c->name);
    if (c->platform)
        engine_query_add(&path, "platform", c->platform);
    body = engine_container_config_json(c, api);
    /*
     * Podman refuses HostConfig.Links ("link is not supported"); on its networks a link
     * lives in the endpoint, where the body has it too, as Compose sends it.
     */
    if (engine_is_podman(e) && c->n_networks)
        cJSON_DeleteItemFromObjectCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(body, "HostConfig"), "Links");
    if (engine_is_podman(e))
        podman_healthcheck_words(body);
    rc = engine_call_json(e, "POST", path.buf, body, &answer, NULL, err);
    if (rc < 0)
        goto done;
    if (!json_str(answer, "Id")) {
        rc = ds_error_set(err, DS_EPROTO, "the engine created a container but sent no id");
        goto done;
    }
    *id_out = json_strdup(answer, "Id");
    w = cJSON_GetObjectItemCaseSensitive(answer, "Warnings");
    if (warnings && cJSON_IsArray(w)) {
        cJSON_ArrayForEach(item, w)
        {
            if (cJSON_IsString(item) && *item->valuestring)
                strvec_push(warnings, item->valuestring);
        }
    }
    /* Engines before 1.44 take one network at create time; attach the rest now. */
    for (size_t i = 1; api < 1044 && i < c->n_networks; i++) {
        rc = engine_network_connect(e, *id_out, &c->networks[i], api, err);
        if (rc < 0) {
            ds_error_wrap(err, "connecting to network '%s'", c->networks[i].network);
            goto done;
        }
    }

done:
    cJSON_Delete(body);
    cJSON_Delete(answer);
    buf_release(&path);
    return rc;
}

void engine_container_summary_from_json(const cJSON *o, struct engine_container_summary *s)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(o, "Names");
    const cJSON *ports, *port;
    const cJSON *first = cJSON_IsArray(names) ? cJSON_GetArrayItem(names, 0) : NULL;

    memset(s, 0, sizeof(*s));
    s->id = json_strdup(o, "Id");
    if (cJSON_IsString(first))
        s->name = xstrdup(first->valuestring + (first->valuestring[0] == '/'));
    s->image = json_strdup(o, "Image");
    s->image_id = json_strdup(o, "ImageID");
    s->state = json_strdup(o, "State");
    s->status = json_strdup(o, "Status");
    s->created = json_int(o, "Created", 0);
    json_labels(cJSON_GetObjectItemCaseSensitive(o, "Labels"), &s->labels);
    ports = cJSON_GetObjectItemCaseSensitive(o, "Ports");
    if (cJSON_IsArray(ports)) {
        s->ports = xcalloc((size_t)cJSON_GetArraySize(ports) + 1, sizeof(*s->ports));
        cJSON_ArrayForEach(port, ports)
        {
            struct engine_published_port *p;

            if (json_int(port, "PublicPort", 0) <= 0)
                continue; /* exposed, not published */
            p = &s->ports[s->n_ports++];
            p->target = (uint16_t)json_int(port, "PrivatePort", 0);
            p->host_port = (uint16_t)json_int(port, "PublicPort", 0);
            p->protocol = json_strdup(port, "Type");
            p->host_ip = json_strdup(port, "IP");
        }
    }
}

/*
 * Docker's Status ends in the health, "Up 3 minutes (healthy)"; Podman 4.3's
 * never does. For a running container of Podman's, it is read (inspect) and
 * added as Docker words it.
 */
static void podman_status_health(struct engine *e, struct engine_container_summary *s)
{
    struct engine_container_info info;
    struct ds_error err = DS_ERROR_INIT;

    if (!s->state || strcmp(s->state, "running") != 0 || !s->status || strchr(s->status, '('))
        return;
    if (engine_container_inspect(e, s->id, &info, &err) < 0) {
        ds_error_release(&err); /* gone meanwhile: its status stays as listed */
        return;
    }
    if (info.health) {
        struct buf b = BUF_INIT;

        buf_addf(&b, "%s (%s%s)", s->status,
                 strcmp(info.health, "starting") ? "" : "health: ", info.health);
        free(s->status);
        s->status = buf_detach(&b, NULL);
    }
    engine_container_info_release(&info);
}

int engine_container_list(struct engine *e, const struct strvec *label_filters, bool all,
                          struct engine_container_list *out, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *doc = NULL;
    const cJSON *items, *item;
    int rc;

    /*
     * Without all, Docker lists the containers that run, paused and restarting ones
     * included; Podman leaves the paused out. From Podman, all of them, sifted here.
     */
    bool sift = !all && engine_is_podman(e);

    memset(out, 0, sizeof(*out));
    buf_adds(&path, "/containers/json");
    if (all || sift)
        engine_query_add(&path, "all", "1");
    engine_query_label_filters(&path, label_filters, false);
    rc = engine_get_list(e, path.buf, NULL, "containers", &doc, &items, err);
    buf_release(&path);
    if (rc < 0)
        return rc;
    out->items = xcalloc((size_t)cJSON_GetArraySize(items) + 1, sizeof(*out->items));
    cJSON_ArrayForEach(item, items)
    {
        const char *state = json_str(item, "State");

        if (sift && !(state && (!strcmp(state, "running") || !strcmp(state, "paused") ||
                                !strcmp(state, "restarting"))))
            continue;
        engine_container_summary_from_json(item, &out->items[out->n]);
        if (engine_is_podman(e))
            podman_status_health(e, &out->items[out->n]);
        out->n++;
    }
    cJSON_Delete(doc);
    return 0;
}

void engine_container_summary_release(struct engine_container_summary *s)
{
    free(s->id);
    free(s->name);
    free(s->image);
    free(s->image_id);
    free(s->state);
    free(s->status);
    kvlist_clear(&s->labels);
    for (size_t k = 0; k < s->n_ports; k++) {
        free(s->ports[k].protocol);
        free(s->ports[k].host_ip);
    }
    free(s->ports);
    memset(s, 0, sizeof(*s));
}

void engine_container_list_release(struct engine_container_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        engine_container_summary_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static void parse_ports(const cJSON *ports, struct engine_container_info *info)
{
    const cJSON *entry, *binding;

    if (!cJSON_IsObject(ports))
        return;
    cJSON_ArrayForEach(entry, ports)
    {
        unsigned target = 0;
        char proto[16] = "tcp";

        if (!entry->string || sscanf(entry->string, "%u/%15s", &target, proto) < 1)
            continue;
        if (!cJSON_IsArray(entry))
            continue;
        cJSON_ArrayForEach(binding, entry)
        {
            struct engine_published_port *p;
            int64_t hp = 0;
            const char *hps = json_str(binding, "HostPort");

            if (hps)
                hp = strtol(hps, NULL, 10);
            info->ports = xrealloc(info->ports, (info->n_ports + 1) * sizeof(*info->ports));
            p = &info->ports[info->n_ports++];
            p->target = (uint16_t)target;
            p->protocol = xstrdup(proto);
            p->host_ip = json_strdup(binding, "HostIp");
            p->host_port = (uint16_t)hp;
        }
    }
}

void engine_container_info_from_json(cJSON *doc, struct engine_container_info *out)
{
    const cJSON *state, *health, *config, *log, *entry, *nets;
    const char *name;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->networks);
    out->raw = doc;
    out->id = json_strdup(doc, "Id");
    name = json_str(doc, "Name");
    out->name = name ? xstrdup(name + (name[0] == '/')) : NULL;
    out->image_id = json_strdup(doc, "Image");
    out->created = json_strdup(doc, "Created");

    state = json_obj(doc, "State");
    out->status = json_strdup(state, "Status");
    out->running = json_bool(state, "Running");
    out->restarting = json_bool(state, "Restarting");
    out->oom_killed = json_bool(state, "OOMKilled");
    out->pid = (int)json_int(state, "Pid", 0);
    out->exit_code = (int)json_int(state, "ExitCode", 0);
    out->error = json_strdup(state, "Error");
    out->started_at = json_strdup(state, "StartedAt");
    out->finished_at = json_strdup(state, "FinishedAt");
    health = json_obj(state, "Health");
    if (health) {
        out->health = json_strdup(health, "Status");
        out->health_failing_streak = (int)json_int(health, "FailingStreak", 0);
        log = cJSON_GetObjectItemCaseSensitive(health, "Log");
        if (cJSON_IsArray(log)) {
            out->health_log =
                    xcalloc((size_t)cJSON_GetArraySize(log) + 1, sizeof(*out->health_log));
            cJSON_ArrayForEach(entry, log)
            {
                struct engine_health_log *h = &out->health_log[out->n_health_log++];
                h->start = json_strdup(entry, "Start");
                h->end = json_strdup(entry, "End");
                h->output = json_strdup(entry, "Output");
                h->exit_code = (int)json_int(entry, "ExitCode", 0);
            }
        }
    }
    /* Podman reports "" for no healthcheck */
    if (out->health && !*out->health) {
        free(out->health);
        out->health = NULL;
    }

    config = json_obj(doc, "Config");
    out->tty = json_bool(config, "Tty");
    out->image = json_strdup(config, "Image");
    json_labels(cJSON_GetObjectItemCaseSensitive(config, "Labels"), &out->labels);

    parse_ports(cJSON_GetObjectItemCaseSensitive(json_obj(doc, "NetworkSettings"), "Ports"), out);
    nets = json_obj(json_obj(doc, "NetworkSettings"), "Networks");
    if (nets) {
        cJSON_ArrayForEach(entry, nets)
        {
            if (entry->string)
                strvec_push(&out->networks, entry->string);
        }
    }
}

int engine_container_inspect(struct engine *e, const char *id_or_name,
                             struct engine_container_info *out, struct ds_error *err)
{
    cJSON *doc = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->networks);
    rc = engine_get_object(e, "containers", id_or_name, "json", &doc, err);
    if (rc < 0)
        return rc;
    engine_container_info_from_json(doc, out);
    return 0;
}

void engine_container_info_release(struct engine_container_info *i)
{
    free(i->id);
    free(i->name);
    free(i->image_id);
    free(i->image);
    free(i->created);
    free(i->status);
    free(i->error);
    free(i->started_at);
    free(i->finished_at);
    free(i->health);
    for (size_t k = 0; k < i->n_health_log; k++) {
        free(i->health_log[k].start);
        free(i->health_log[k].end);
        free(i->health_log[k].output);
    }
    free(i->health_log);
    for (size_t k = 0; k < i->n_ports; k++) {
        free(i->ports[k].protocol);
        free(i->ports[k].host_ip);
    }
    free(i->ports);
    kvlist_clear(&i->labels);
    strvec_clear(&i->networks);
    cJSON_Delete(i->raw);
    memset(i, 0, sizeof(*i));
}

/* POST /containers/{id}/{verb}[?key=value] with no body and no answer. */
static int container_post(struct engine *e, const char *id, const char *verb, const char *key,
                          const char *value, long *status, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    int rc;

    engine_path_object(&path, "containers", id, verb);
    if (key)
        engine_query_add(&path, key, value);
    rc = engine_call_json(e, "POST", path.buf, NULL, NULL, status, err);
    buf_release(&path);
    return rc;
}

int engine_container_start(struct engine *e, const char *id, struct ds_error *err)
{
    return container_post(e, id, "start", NULL, NULL, NULL, err);
}

int engine_container_healthcheck_run(struct engine *e, const char *id, struct ds_error *err)
{
    /* Podman 4's and 5's libpod API both take 4.0.0, its oldest */
    struct buf path = BUF_INIT;
    struct engine_request req = {.method = "GET", .unversioned = true};
    struct engine_response resp = {.body = BUF_INIT};
    int rc;

    if (!engine_is_podman(e))
        return ds_error_set(err, DS_EUNSUPPORTED, "only Podman runs a healthcheck when asked");
    buf_adds(&path, "/v4.0.0/libpod");
    engine_path_object(&path, "containers", id, "healthcheck");
    req.path = path.buf;
    rc = engine_do(e, &req, &resp, err);
    engine_response_release(&resp);
    buf_release(&path);
    return rc;
}

int engine_container_put_archive(struct engine *e, const char *id, const char *dir, const void *tar,
                                 size_t len, bool copy_uidgid, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    struct engine_request req = {
            .method = "PUT", .content_type = "application/x-tar", .body = tar, .body_len = len};
    struct engine_response resp = {.body = BUF_INIT};
    int rc;

    engine_path_object(&path, "containers", id, "archive");
    engine_query_add(&path, "path", dir);
    if (copy_uidgid)
        engine_query_add(&path, "copyUIDGID", "true");
    req.path = path.buf;
    rc = engine_do(e, &req, &resp, err);
    engine_response_release(&resp);
    buf_release(&path);
    return rc;
}

int engine_container_stop(struct engine *e, const char *id, int timeout, struct ds_error *err)
{
    char t[16];

    snprintf(t, sizeof(t), "%d", timeout);
    return container_post(e, id, "stop", timeout >= 0 ? "t" : NULL, t, NULL, err);
}

int engine_container_restart(struct engine *e, const char *id, int timeout, struct ds_error *err)
{
    char t[16];

    snprintf(t, sizeof(t), "%d", timeout);
    return container_post(e, id, "restart", timeout >= 0 ? "t" : NULL, t, NULL, err);
}

int engine_container_kill(struct engine *e, const char *id, const char *signal,
                          struct ds_error *err)
{
    return container_post(e, id, "kill", signal ? "signal" : NULL, signal, NULL, err);
}

int engine_container_rename(struct engine *e, const char *id, const char *name,
                            struct ds_error *err)
{
    return container_post(e, id, "rename", "name", name, NULL, err);
}

int engine_container_remove(struct engine *e, const char *id, bool force, bool volumes,
                            struct ds_error *err)
{
    struct buf path = BUF_INIT;
    int rc;

    engine_path_object(&path, "containers", id, NULL);
    if (force)
        engine_query_add(&path, "force", "1");
    if (volumes)
        engine_query_add(&path, "v", "1");
    rc = engine_call_json(e, "DELETE", path.buf, NULL, NULL, NULL, err);
    buf_release(&path);
    return rc;
}

int engine_container_wait(struct engine *e, const char *id, const char *condition, int *exit_code,
                          struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *doc = NULL;
    const char *msg;
    int rc;

    engine_path_object(&path, "containers", id, "wait");
    if (condition)
        engine_query_add(&path, "condition", condition);
    rc = engine_call_json(e, "POST", path.buf, NULL, &doc, NULL, err);
    buf_release(&path);
    if (rc < 0)
        return rc;
    msg = json_str(json_obj(doc, "Error"), "Message");
    if (msg && *msg) {
        rc = ds_error_set(err, DS_EENGINE, "waiting for container '%s': %s", id, msg);
    } else if (exit_code) {
        *exit_code = (int)json_int(doc, "StatusCode", -1);
    }
    cJSON_Delete(doc);
    return rc;
}

int engine_container_resize(struct engine *e, const char *id, int height, int width,
                            struct ds_error *err)
{
    return engine_tty_resize(e, "containers", id, height, width, err);
}

struct output_stream {
    bool raw;
    struct engine_demux demux;
    engine_output_fn out;
    void *ud;
};

static int output_write(const char *data, size_t len, void *ud, struct ds_error *err)
{
    struct output_stream *s = ud;

    if (s->raw)
        return s->out ? s->out(1, data, len, s->ud) : 0;
    return engine_demux_feed(&s->demux, data, len, s->out, s->ud, err);
}

int engine_stream_output(struct engine *e, const char *method, const char *path, const char *body,
                         bool raw, engine_output_fn out, void *ud, struct ds_error *err)
{
    struct output_stream s = {.raw = raw, .out = out, .ud = ud};
    struct engine_request req = {
            .method = method, .path = path, .on_data = output_write, .data_ud = &s};
    struct engine_response resp;
    int rc;

    engine_demux_init(&s.demux);
    if (body) {
        req.body = body;
        req.body_len = strlen(body);
        req.content_type = "application/json";
    }
    rc = engine_do(e, &req, &resp, err);
    if (rc == 0 && !raw && !engine_demux_at_boundary(&s.demux))
        rc = ds_error_set(err, DS_EPROTO, "the output stream ended in the middle of a frame");
    engine_response_release(&resp);
    return rc;
}

int engine_container_logs(struct engine *e, const char *id, const struct engine_logs_opts *o,
                          engine_output_fn out, void *ud, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    char num[32];
    int rc;

    engine_path_object(&path, "containers", id, "logs");
    engine_query_add(&path, "stdout", o->no_stdout ? "0" : "1");
    engine_query_add(&path, "stderr", o->no_stderr ? "0" : "1");
    if (o->follow)
        engine_query_add(&path, "follow", "1");
    if (o->timestamps)
        engine_query_add(&path, "timestamps", "1");
    if (o->tail)
        engine_query_add(&path, "tail", o->tail);
    if (o->since) {
        if (o->since_ns)
            snprintf(num, sizeof(num), "%lld.%09lld", (long long)o->since, (long long)o->since_ns);
        else
            snprintf(num, sizeof(num), "%lld", (long long)o->since);
        engine_query_add(&path, "since", num);
    }
    if (o->until) {
        snprintf(num, sizeof(num), "%lld", (long long)o->until);
        engine_query_add(&path, "until", num);
    }
    rc = engine_stream_output(e, "GET", path.buf, NULL, o->tty, out, ud, err);
    buf_release(&path);
    return rc;
}

int engine_container_pause(struct engine *e, const char *id, struct ds_error *err)
{
    return container_post(e, id, "pause", NULL, NULL, NULL, err);
}

int engine_container_unpause(struct engine *e, const char *id, struct ds_error *err)
{
    return container_post(e, id, "unpause", NULL, NULL, NULL, err);
}

/* A JSON array of strings into `out`; anything else in it reads as "". */
static void string_array(const cJSON *a, struct strvec *out)
{
    const cJSON *item;

    cJSON_ArrayForEach(item, a) strvec_push(out, cJSON_IsString(item) ? item->valuestring : "");
}

int engine_container_top(struct engine *e, const char *id, struct engine_top *out,
                         struct ds_error *err)
{
    cJSON *doc = NULL;
    const cJSON *procs, *row;
    int rc;

    memset(out, 0, sizeof(*out));
    strvec_init(&out->titles);
    rc = engine_get_object(e, "containers", id, "top", &doc, err);
    if (rc < 0)
        return rc;
    string_array(cJSON_GetObjectItemCaseSensitive(doc, "Titles"), &out->titles);
    procs = cJSON_GetObjectItemCaseSensitive(doc, "Processes");
    out->rows = xcalloc((size_t)cJSON_GetArraySize(procs) + 1, sizeof(*out->rows));
    cJSON_ArrayForEach(row, procs)
    {
        strvec_init(&out->rows[out->n]);
        string_array(row, &out->rows[out->n++]);
    }
    cJSON_Delete(doc);
    return 0;
}

void engine_top_release(struct engine_top *t)
{
    strvec_clear(&t->titles);
    for (size_t i = 0; i < t->n; i++)
        strvec_clear(&t->rows[i]);
    free(t->rows);
    memset(t, 0, sizeof(*t));
}

static void archive_path(struct buf *path, const char *id, const char *in_container)
{
    engine_path_object(path, "containers", id, "archive");
    engine_query_add(path, "path", in_container);
}

int engine_container_put_archive_stream(struct engine *e, const char *id, const char *dir,
                                        engine_read_fn body, void *body_ud, bool copy_uidgid,
                                        struct ds_error *err)
{
    struct buf path = BUF_INIT;
    struct engine_request req = {.method = "PUT",
                                 .content_type = "application/x-tar",
                                 .read_body = body,
                                 .read_ud = body_ud};
    struct engine_response resp = {.body = BUF_INIT};
    int rc;

    archive_path(&path, id, dir);
    if (copy_uidgid)
        engine_query_add(&path, "copyUIDGID", "true");
    req.path = path.buf;
    rc = engine_do(e, &req, &resp, err);
    engine_response_release(&resp);
    buf_release(&path);
    return rc;
}

/* The stat header: base64 of {"name","size","mode","mtime","linkTarget"}. */
static int parse_path_stat(const char *b64, struct engine_path_stat *out, struct ds_error *err)
{
    size_t len = strlen(b64), pad = 0;
    unsigned char *raw;
    cJSON *doc;
    int n;

    if (!len || len % 4 || len > (1u << 20))
        return ds_error_set(err, DS_EPROTO, "the engine's path stat is not base64");
    for (size_t i = len; i > 0 && b64[i - 1] == '=' && pad < 2; i--)
        pad++;
    raw = xmalloc(len / 4 * 3 + 1);
    n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    if (n < (int)pad) {
        free(raw);
        return ds_error_set(err, DS_EPROTO, "the engine's path stat is not base64");
    }
    doc = json_parse((const char *)raw, (size_t)n - pad);
    free(raw);
    if (!doc)
        return ds_error_set(err, DS_EPROTO, "the engine's path stat is not JSON");
    out->name = json_strdup(doc, "name");
    out->size = json_int(doc, "size", 0);
    out->mode = (uint32_t)json_int(doc, "mode", 0);
    out->link_target = json_strdup(doc, "linkTarget");
    cJSON_Delete(doc);
    return 0;
}

int engine_container_stat_path(struct engine *e, const char *id, const char *in_container,
                               struct engine_path_stat *out, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    struct engine_request req = {.method = "HEAD"};
    struct engine_response resp = {.body = BUF_INIT};
    int rc;

    memset(out, 0, sizeof(*out));
    archive_path(&path, id, in_container);
    req.path = path.buf;
    rc = engine_do(e, &req, &resp, err);
    if (rc == 0 && !resp.path_stat)
        rc = ds_error_set(err, DS_EPROTO, "the engine sent no stat of '%s'", in_container);
    if (rc == 0)
        rc = parse_path_stat(resp.path_stat, out, err);
    engine_response_release(&resp);
    buf_release(&path);
    return rc;
}

void engine_path_stat_release(struct engine_path_stat *s)
{
    free(s->name);
    free(s->link_target);
    memset(s, 0, sizeof(*s));
}

int engine_container_get_archive(struct engine *e, const char *id, const char *in_container,
                                 engine_output_fn out, void *ud, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    int rc;

    archive_path(&path, id, in_container);
    rc = engine_stream_output(e, "GET", path.buf, NULL, true, out, ud, err);
    buf_release(&path);
    return rc;
}

static uint64_t json_u64(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

int engine_container_stats(struct engine *e, const char *id, struct engine_stats *out,
                           struct ds_error *err)
{
    struct buf path = BUF_INIT;
    const cJSON *cpu, *pre, *mem, *mstats, *item, *blk;
    cJSON *doc = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    engine_path_object(&path, "containers", id, "stats");
    engine_query_add(&path, "stream", "false");
    rc = engine_call_json(e, "GET", path.buf, NULL, &doc, NULL, err);
    buf_release(&path);
    if (rc < 0)
        return rc;
    cpu = json_obj(doc, "cpu_stats");
    pre = json_obj(doc, "precpu_stats");
    out->cpu_total = json_u64(json_obj(cpu, "cpu_usage"), "total_usage");
    out->system_cpu = json_u64(cpu, "system_cpu_usage");
    out->precpu_total = json_u64(json_obj(pre, "cpu_usage"), "total_usage");
    out->presystem_cpu = json_u64(pre, "system_cpu_usage");
    out->online_cpus = (uint32_t)json_u64(cpu, "online_cpus");
    if (!out->online_cpus)
        out->online_cpus = (uint32_t)cJSON_GetArraySize(
                cJSON_GetObjectItemCaseSensitive(json_obj(cpu, "cpu_usage"), "percpu_usage"));
    mem = json_obj(doc, "memory_stats");
    mstats = json_obj(mem, "stats");
    out->mem_usage = json_u64(mem, "usage");
    out->mem_limit = json_u64(mem, "limit");
    if (cJSON_GetObjectItemCaseSensitive(mstats, "total_inactive_file")) {
        out->mem_inactive_file = json_u64(mstats, "total_inactive_file");
        out->has_inactive_file = true;
    } else if (cJSON_GetObjectItemCaseSensitive(mstats, "inactive_file")) {
        out->mem_inactive_file = json_u64(mstats, "inactive_file");
        out->has_inactive_file = true;
    }
    cJSON_ArrayForEach(item, json_obj(doc, "networks"))
    {
        out->net_rx += json_u64(item, "rx_bytes");
        out->net_tx += json_u64(item, "tx_bytes");
    }
    blk = cJSON_GetObjectItemCaseSensitive(json_obj(doc, "blkio_stats"),
                                           "io_service_bytes_recursive");
    cJSON_ArrayForEach(item, blk)
    {
        const char *op = json_str(item, "op");

        if (op && (*op == 'r' || *op == 'R'))
            out->blk_read += json_u64(item, "value");
        else if (op && (*op == 'w' || *op == 'W'))
            out->blk_write += json_u64(item, "value");
    }
    out->pids = json_u64(json_obj(doc, "pids_stats"), "current");
    cJSON_Delete(doc);
    return 0;
}
