/* Exec: run a command in a running container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/alloc.h"
#include "util/banned.h"

cJSON *engine_exec_config_json(const struct engine_exec_config *c, int api_version)
{
    cJSON *body = cJSON_CreateObject();

    cJSON_AddBoolToObject(body, "AttachStdin", c->attach_stdin);
    cJSON_AddBoolToObject(body, "AttachStdout", 1);
    cJSON_AddBoolToObject(body, "AttachStderr", 1);
    cJSON_AddBoolToObject(body, "Tty", c->tty);
    if (c->privileged)
        cJSON_AddBoolToObject(body, "Privileged", 1);
    if (c->user)
        cJSON_AddStringToObject(body, "User", c->user);
    if (c->working_dir)
        cJSON_AddStringToObject(body, "WorkingDir", c->working_dir);
    if (c->env.n)
        json_add_strvec(body, "Env", &c->env);
    json_add_strvec(body, "Cmd", &c->cmd);
    /* sized at creation, the command never sees a 0x0 terminal; older engines
       only take the resize that follows the start */
    if (c->tty && c->console_height > 0 && c->console_width > 0 && api_version >= 1042) {
        cJSON *size = cJSON_AddArrayToObject(body, "ConsoleSize");

        cJSON_AddItemToArray(size, cJSON_CreateNumber(c->console_height));
        cJSON_AddItemToArray(size, cJSON_CreateNumber(c->console_width));
    }
    return body;
}

int engine_exec_create(struct engine *e, const char *container, const struct engine_exec_config *c,
                       char **id_out, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *body = engine_exec_config_json(c, engine_api_version(e)), *answer = NULL;
    int rc;

    *id_out = NULL;
    engine_path_object(&path, "containers", container, "exec");
    rc = engine_call_json(e, "POST", path.buf, body, &answer, NULL, err);
    if (rc == 0) {
        *id_out = json_strdup(answer, "Id");
        if (!*id_out)
            rc = ds_error_set(err, DS_EPROTO, "the engine created an exec but sent no id");
    }
    cJSON_Delete(body);
    cJSON_Delete(answer);
    buf_release(&path);
    return rc;
}

int engine_exec_start(struct engine *e, const char *exec_id, bool tty, bool detach,
                      engine_output_fn out, void *ud, struct ds_error *err)
{
    struct buf path = BUF_INIT;
    cJSON *body = cJSON_CreateObject();
    char *text;
    int rc;

    cJSON_AddBoolToObject(body, "Detach", detach);
    cJSON_AddBoolToObject(body, "Tty", tty);
    text = cJSON_PrintUnformatted(body);
    engine_path_object(&path, "exec", exec_id, "start");
    if (detach)
        rc = engine_call_json(e, "POST", path.buf, body, NULL, NULL, err);
    else
        rc = engine_stream_output(e, "POST", path.buf, text, tty, out, ud, err);
    cJSON_free(text);
    cJSON_Delete(body);
    buf_release(&path);
    return rc;
}

int engine_tty_resize(struct engine *e, const char *kind, const char *id, int height, int width,
                      struct ds_error *err)
{
    struct buf path = BUF_INIT;
    char num[16];
    int rc;

    engine_path_object(&path, kind, id, "resize");
    snprintf(num, sizeof(num), "%d", height);
    engine_query_add(&path, "h", num);
    snprintf(num, sizeof(num), "%d", width);
    engine_query_add(&path, "w", num);
    rc = engine_call_json(e, "POST", path.buf, NULL, NULL, NULL, err);
    buf_release(&path);
    return rc;
}

int engine_exec_resize(struct engine *e, const char *exec_id, int height, int width,
                       struct ds_error *err)
{
    return engine_tty_resize(e, "exec", exec_id, height, width, err);
}

int engine_exec_inspect(struct engine *e, const char *exec_id, struct engine_exec_info *out,
                        struct ds_error *err)
{
    cJSON *doc = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = engine_get_object(e, "exec", exec_id, "json", &doc, err);
    if (rc < 0)
        return rc;
    out->running = json_bool(doc, "Running");
    out->exit_code = (int)json_int(doc, "ExitCode", -1);
    out->pid = (int)json_int(doc, "Pid", 0);
    out->container_id = json_strdup(doc, "ContainerID");
    cJSON_Delete(doc);
    return 0;
}

void engine_exec_info_release(struct engine_exec_info *i)
{
    free(i->container_id);
    memset(i, 0, sizeof(*i));
}
