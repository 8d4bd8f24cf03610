/* GET /version and GET /info. */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
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
