/* What an error answer of the engine means: an HTTP status and a body to a ds_error. */
#include <string.h>

#include "engine/internal.h"
#include "engine/json.h"
#include "util/banned.h"

/* The most of a body that is not JSON that goes into a message. */
#define TEXT_MAX 512

static int code_of_status(long status)
{
    switch (status) {
    case 400:
        return DS_EINVAL;
    case 401:
    case 403:
        return DS_EPERM;
    case 404:
        return DS_ENOTFOUND;
    case 409:
        return DS_ECONFLICT;
    default:
        /* below 400 it is no error, only not what the request can take */
        return status < 400 ? DS_EPROTO : DS_EENGINE;
    }
}

/* Podman before 4.4 answers some name conflicts with 500. */
static bool means_conflict(const char *msg)
{
    return strstr(msg, "already in use") || strstr(msg, "already exists") ||
           strstr(msg, "already used");
}

int engine_error_from_answer(struct ds_error *err, long status, const char *body, size_t len)
{
    cJSON *doc = len ? json_parse(body, len) : NULL;
    const char *msg = json_str(doc, "message");
    struct buf text = BUF_INIT;
    int code = code_of_status(status);

    if (code == DS_EENGINE && msg && means_conflict(msg))
        code = DS_ECONFLICT;
    if (msg) {
        buf_adds(&text, msg);
    } else if (status >= 400) {
        buf_add(&text, body, len > TEXT_MAX ? TEXT_MAX : len);
        buf_rtrim(&text);
    }
    if (!text.len && status < 400)
        buf_addf(&text, "unexpected answer from the engine: HTTP %ld", status);
    else if (!text.len)
        buf_addf(&text, "the engine answered HTTP %ld", status);
    ds_error_set(err, code, "%s", text.buf);
    buf_release(&text);
    cJSON_Delete(doc);
    return code;
}
