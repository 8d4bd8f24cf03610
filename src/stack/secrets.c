/*
 * Secrets and configs that are not files (`environment:`, a config's
 * `content:`) go into the container as Compose puts them there: after it is
 * created and before it starts, each as a one-file archive extracted at "/",
 * owned by uid:gid (root when unset) with the mode given (0444 when unset).
 * File ones are bind mounts (stack_container_config()).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stack/internal.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/tar.h"
#include "util/banned.h"

static int copy_one(struct engine *e, const struct compose_project *p,
                    const struct compose_service *s, const struct compose_file_ref *r,
                    bool is_secret, const char *id, struct strvec *warnings, struct ds_error *err)
{
    const struct compose_file_object *o =
            is_secret ? compose_find_secret(p, r->source) : compose_find_config(p, r->source);
    const char *what = is_secret ? "secret" : "config";
    const char *value;
    struct buf tar = BUF_INIT;
    char *path = NULL;
    int uid = 0, gid = 0, rc;

    if (!o || o->file)
        return 0;
    value = compose_file_object_value(p, o);
    if (!value)
        return ds_error_set(err, DS_EINVAL,
                            "service '%s': %s '%s' needs the variable '%s', which is not set",
                            s->name, what, o->key, o->environment);
    /* Compose writes no file for an empty config */
    if (!is_secret && !*value)
        return 0;
    if (r->uid)
        str_to_int(r->uid, 0, 0x7fffffff, &uid);
    if (r->gid)
        str_to_int(r->gid, 0, 0x7fffffff, &gid);
    path = compose_file_ref_path(r, is_secret);
    if (tar_one_file(&tar, path, value, strlen(value), r->mode >= 0 ? (unsigned)r->mode : 0444,
                     (unsigned)uid, (unsigned)gid, (long long)time(NULL)) < 0) {
        rc = ds_error_set(err, DS_EINVAL, "service '%s': %s '%s': the path '%s' is too long",
                          s->name, what, o->key, path);
        goto done;
    }
    /* Podman 4's archive API makes every file root's: say so where the file asks otherwise */
    if ((uid || gid) && engine_is_podman(e))
        strvec_pushf(warnings,
                     "%s '%s' at %s is root's (0:0), not %d:%d: Podman keeps no owner of "
                     "what is copied into a container",
                     what, o->key, path, uid, gid);
    rc = engine_container_put_archive(e, id, "/", tar.buf, tar.len, r->uid || r->gid, err);
    if (rc < 0)
        ds_error_wrap(err, "service '%s': copying %s '%s' to %s", s->name, what, o->key, path);

done:
    free(path);
    buf_release(&tar);
    return rc;
}

int stack_copy_file_refs(struct engine *e, const struct compose_project *p,
                         const struct compose_service *s, const char *id, struct strvec *warnings,
                         struct ds_error *err)
{
    for (size_t i = 0; i < s->n_secrets; i++)
        if (copy_one(e, p, s, &s->secrets[i], true, id, warnings, err) < 0)
            return err->code ? err->code : DS_ERR;
    for (size_t i = 0; i < s->n_configs; i++)
        if (copy_one(e, p, s, &s->configs[i], false, id, warnings, err) < 0)
            return err->code ? err->code : DS_ERR;
    return 0;
}
