/* GET /version, GET /info, GET /system/df and POST /build/prune. */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

int engine_version(struct engine *e, struct engine_version *out, struct ds_error *err)
{
    cJSON *doc = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = engine_call_json(e, "GET", "/version", NULL, &doc, NULL, err);
    if (rc < 0)
        return rc;
    out->version = json_strdup(doc, "Version");
    out->api_version = json_strdup(doc, "ApiVersion");
    out->min_api_version = json_strdup(doc, "MinAPIVersion");
    out->os = json_strdup(doc, "Os");
    out->arch = json_strdup(doc, "Arch");
    out->kernel_version = json_strdup(doc, "KernelVersion");
    out->git_commit = json_strdup(doc, "GitCommit");
    out->go_version = json_strdup(doc, "GoVersion");
    out->platform = json_strdup(json_obj(doc, "Platform"), "Name");
    /* Podman's Platform is "linux/amd64/debian-12": its first component names it */
    if (out->platform && *out->platform && !strchr(out->platform, '/'))
        out->product = xstrdup(out->platform);
    else
        out->product = json_strdup(
                cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "Components"), 0), "Name");
    cJSON_Delete(doc);
    return 0;
}

void engine_version_release(struct engine_version *v)
{
    free(v->version);
    free(v->api_version);
    free(v->min_api_version);
    free(v->os);
    free(v->arch);
    free(v->kernel_version);
    free(v->git_commit);
    free(v->go_version);
    free(v->platform);
    free(v->product);
    memset(v, 0, sizeof(*v));
}

int engine_info(struct engine *e, struct engine_info *out, struct ds_error *err)
{
    cJSON *doc = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = engine_call_json(e, "GET", "/info", NULL, &doc, NULL, err);
    if (rc < 0)
        return rc;
    out->name = json_strdup(doc, "Name");
    out->server_version = json_strdup(doc, "ServerVersion");
    out->operating_system = json_strdup(doc, "OperatingSystem");
    out->os_type = json_strdup(doc, "OSType");
    out->architecture = json_strdup(doc, "Architecture");
    out->kernel_version = json_strdup(doc, "KernelVersion");
    out->storage_driver = json_strdup(doc, "Driver");
    out->docker_root_dir = json_strdup(doc, "DockerRootDir");
    out->cgroup_driver = json_strdup(doc, "CgroupDriver");
    out->cgroup_version = json_strdup(doc, "CgroupVersion");
    out->ncpu = (int)json_int(doc, "NCPU", 0);
    out->mem_total = json_int(doc, "MemTotal", 0);
    out->containers = (int)json_int(doc, "Containers", 0);
    out->containers_running = (int)json_int(doc, "ContainersRunning", 0);
    out->images = (int)json_int(doc, "Images", 0);
    cJSON_Delete(doc);
    return 0;
}

void engine_info_release(struct engine_info *i)
{
    free(i->name);
    free(i->server_version);
    free(i->operating_system);
    free(i->os_type);
    free(i->architecture);
    free(i->kernel_version);
    free(i->storage_driver);
    free(i->docker_root_dir);
    free(i->cgroup_driver);
    free(i->cgroup_version);
    memset(i, 0, sizeof(*i));
}

static void usage_entries(const cJSON *arr, const char *id_key, struct engine_usage_entry **out,
                          size_t *n)
{
    const cJSON *item;

    *out = xcalloc((size_t)(cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0) + 1, sizeof(**out));
    *n = 0;
    if (!cJSON_IsArray(arr))
        return;
    cJSON_ArrayForEach(item, arr)
    {
        struct engine_usage_entry *u = &(*out)[*n];
        const cJSON *usage = json_obj(item, "UsageData");

        u->id = json_strdup(item, id_key);
        if (!u->id)
            continue;
        if (usage) { /* a volume */
            u->size = json_int(usage, "Size", -1);
            u->in_use = json_int(usage, "RefCount", 0) > 0;
        } else if (cJSON_GetObjectItemCaseSensitive(item, "SizeRw")) {
            u->size = json_int(item, "SizeRw", -1);
        } else {
            u->size = json_int(item, "Size", -1);
            u->in_use = json_bool(item, "InUse");
        }
        (*n)++;
    }
}

int engine_system_df(struct engine *e, struct engine_disk_usage *out, struct ds_error *err)
{
    cJSON *doc = NULL;
    const cJSON *cache;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = engine_call_json(e, "GET", "/system/df", NULL, &doc, NULL, err);
    if (rc < 0)
        return ds_error_wrap(err, "reading the engine's disk usage");
    usage_entries(cJSON_GetObjectItemCaseSensitive(doc, "Containers"), "Id", &out->containers,
                  &out->n_containers);
    usage_entries(cJSON_GetObjectItemCaseSensitive(doc, "Volumes"), "Name", &out->volumes,
                  &out->n_volumes);
    cache = cJSON_GetObjectItemCaseSensitive(doc, "BuildCache");
    out->has_build_cache = cache != NULL; /* null when there is none */
    usage_entries(cache, "ID", &out->build_cache, &out->n_build_cache);
    out->layers_size = json_int(doc, "LayersSize", -1);
    cJSON_Delete(doc);
    return 0;
}

static void usage_entries_free(struct engine_usage_entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].id);
    free(v);
}

void engine_disk_usage_release(struct engine_disk_usage *u)
{
    usage_entries_free(u->containers, u->n_containers);
    usage_entries_free(u->volumes, u->n_volumes);
    usage_entries_free(u->build_cache, u->n_build_cache);
    memset(u, 0, sizeof(*u));
}

int64_t engine_usage_size(const struct engine_usage_entry *v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].id, id))
            return v[i].size;
    return -1;
}

int engine_build_prune(struct engine *e, bool all, int64_t *reclaimed, struct ds_error *err)
{
    cJSON *doc = NULL;
    int rc;

    if (reclaimed)
        *reclaimed = 0;
    rc = engine_call_json(e, "POST", all ? "/build/prune?all=true" : "/build/prune", NULL, &doc,
                          NULL, err);
    if (rc == 0 && reclaimed)
        *reclaimed = json_int(doc, "SpaceReclaimed", 0);
    cJSON_Delete(doc);
    return rc;
}
