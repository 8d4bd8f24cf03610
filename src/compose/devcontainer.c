/*
 * The dev container of a project: a devcontainer.json (or .devcontainer.json)
 * in the project directory or above it whose dockerComposeFile names one of
 * the project's files and whose `service` is one of its services. Its
 * container then carries the labels by which the devcontainers CLI finds a
 * dev container (devcontainers/cli src/spec-node/utils.ts,
 * findContainerAndIdLabels): the workspace folder and the config file, as
 * absolute paths.
 */
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "compose/internal.h"
#include "util/alloc.h"
#include "util/jsonc.h"
#include "util/path.h"
#include "util/banned.h"

/* devcontainer.json is a small file; a larger one is not one */
#define DEVCONTAINER_MAX (1u << 20)

void compose_devcontainer_free(struct compose_devcontainer *d)
{
    if (!d)
        return;
    free(d->service);
    free(d->local_folder);
    free(d->config_file);
    free(d);
}

/* Does `file` (relative to `dir`) resolve to one of the project's files? */
static bool names_project_file(const struct compose_project *p, const char *dir, const char *file)
{
    char *joined = path_join(dir, file), *resolved = path_resolve(joined);
    bool yes = false;

    for (size_t i = 0; i < p->config_files.n && !yes; i++) {
        char *mine = path_resolve(p->config_files.v[i]);

        yes = !strcmp(mine, resolved);
        free(mine);
    }
    free(resolved);
    free(joined);
    return yes;
}

int compose_devcontainer_read(struct compose_devcontainer **out, const struct compose_project *p,
                              const char *config_file, const char *local_folder,
                              struct ds_error *err)
{
    struct buf text = BUF_INIT, json = BUF_INIT;
    char *dir = path_dirname(config_file);
    cJSON *doc = NULL;
    const cJSON *files, *service, *item;
    bool ours = false;
    int rc;

    *out = NULL;
    rc = buf_read_file(&text, config_file, DEVCONTAINER_MAX);
    if (rc < 0) {
        rc = ds_error_errno(err, -rc, "cannot read '%s'", config_file);
        goto done;
    }
    rc = jsonc_to_json(&json, text.buf, text.len, err);
    if (rc < 0) {
        ds_error_wrap(err, "cannot parse '%s'", config_file);
        goto done;
    }
    doc = cJSON_ParseWithLength(json.buf, json.len);
    if (!cJSON_IsObject(doc)) {
        rc = ds_error_set(err, DS_EINVAL, "cannot parse '%s': not a JSON object", config_file);
        goto done;
    }
    files = cJSON_GetObjectItemCaseSensitive(doc, "dockerComposeFile");
    service = cJSON_GetObjectItemCaseSensitive(doc, "service");
    if (!cJSON_IsString(service) || !compose_find_service(p, service->valuestring))
        goto done;
    if (cJSON_IsString(files)) {
        ours = names_project_file(p, dir, files->valuestring);
    } else {
        cJSON_ArrayForEach(item, files)
        {
            if (cJSON_IsString(item) && names_project_file(p, dir, item->valuestring))
                ours = true;
        }
    }
    if (ours) {
        *out = xcalloc(1, sizeof(**out));
        (*out)->service = xstrdup(service->valuestring);
        (*out)->local_folder = xstrdup(local_folder);
        (*out)->config_file = xstrdup(config_file);
    }

done:
    cJSON_Delete(doc);
    buf_release(&json);
    buf_release(&text);
    free(dir);
    return rc;
}

void compose_find_devcontainer(struct compose_project *p)
{
    /* the devcontainers CLI's order (getWellKnownDevContainerPaths) */
    static const char *const names[] = {".devcontainer/devcontainer.json", ".devcontainer.json"};
    char *dir = path_normalize(p->working_dir);

    for (;;) {
        char *parent;

        for (size_t i = 0; i < ARRAY_SIZE(names) && !p->devcontainer; i++) {
            struct ds_error err = DS_ERROR_INIT;
            char *file = path_join(dir, names[i]);

            if (path_is_file(file) &&
                compose_devcontainer_read(&p->devcontainer, p, file, dir, &err) < 0)
                strvec_pushf(&p->warnings,
                             "%s; its dev container is not labelled for the "
                             "devcontainers CLI",
                             err.msg);
            ds_error_release(&err);
            free(file);
        }
        parent = path_dirname(dir);
        if (p->devcontainer || !strcmp(parent, dir)) {
            free(parent);
            break;
        }
        free(dir);
        dir = parent;
    }
    free(dir);
}
