/*
 * Secrets and configs: the top-level `secrets:` and `configs:` (where the
 * content comes from: `file`, `environment`, and for configs `content`) and
 * a service's use of them (short `- name` or long `source`, `target`, `uid`,
 * `gid`, `mode`), read as Compose v2 reads them outside swarm mode: a file
 * becomes a read-only bind mount, the others are copied into the container
 * before it starts (src/stack/).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compose/internal.h"
#include "util/alloc.h"
#include "util/path.h"
#include "util/strutil.h"
#include "util/banned.h"

/* A secret or a config file is small; a larger one is a mistake. */
#define FILE_OBJECT_MAX (1u << 20)

#define SECRETS_DIR "/run/secrets"

static struct compose_pos pos_of(const struct ynode *n)
{
    struct compose_pos p = {n->file, n->line, n->col};
    return p;
}

/* ---- freeing ------------------------------------------------------------------ */

static void object_release(struct compose_file_object *o)
{
    free(o->key);
    free(o->name);
    free(o->file);
    free(o->environment);
    free(o->content);
    free(o->driver);
    free(o->template_driver);
    kvlist_clear(&o->labels);
    kvlist_clear(&o->driver_opts);
    memset(o, 0, sizeof(*o));
}

static void ref_release(struct compose_file_ref *r)
{
    free(r->source);
    free(r->target);
    free(r->uid);
    free(r->gid);
    memset(r, 0, sizeof(*r));
}

void compose_file_objects_release(struct compose_project *p)
{
    for (size_t i = 0; i < p->n_secrets; i++)
        object_release(&p->secrets[i]);
    for (size_t i = 0; i < p->n_configs; i++)
        object_release(&p->configs[i]);
    free(p->secrets);
    free(p->configs);
    p->secrets = p->configs = NULL;
    p->n_secrets = p->n_configs = 0;
}

void compose_file_ref_list_free(struct compose_file_ref *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ref_release(&list[i]);
    free(list);
}

void compose_file_refs_release(struct compose_service *s)
{
    for (size_t i = 0; i < s->n_secrets; i++)
        ref_release(&s->secrets[i]);
    for (size_t i = 0; i < s->n_configs; i++)
        ref_release(&s->configs[i]);
    free(s->secrets);
    free(s->configs);
    s->secrets = s->configs = NULL;
    s->n_secrets = s->n_configs = 0;
}

/* ---- the top level ------------------------------------------------------------ */

static bool valid_key(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *k))
            return false;
    return true;
}

static int load_external(struct loader *ld, const struct ynode *v, struct compose_file_object *o)
{
    int flag = -1;

    if (ytree_is_null(v))
        return 0;
    if (v->kind == YNODE_MAP) { /* the old `external: {name: x}` */
        o->external = true;
        for (size_t i = 0; i < v->n; i++)
            if (strcmp(v->keys[i]->text, "name"))
                return load_fail(ld, v->keys[i], "unknown key '%s' (only 'name')",
                                 v->keys[i]->text);
        return load_string(ld, ytree_get(v, "name"), &o->name);
    }
    if (load_bool(ld, v, &flag) < 0)
        return DS_EINVAL;
    o->external = flag == 1;
    return 0;
}

static int load_object(struct loader *ld, const struct ynode *def, bool is_secret,
                       struct compose_file_object *o)
{
    int rc = 0;

    if (def->kind != YNODE_MAP)
        return load_fail(ld, def, "must be a mapping (file:, environment:%s or external:)",
                         is_secret ? "" : ", content:");
    for (size_t k = 0; k < def->n && rc == 0; k++) {
        const char *key = def->keys[k]->text;
        const struct ynode *v = def->items[k];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "name")) {
            rc = load_string(ld, v, &o->name);
        } else if (!strcmp(key, "file")) {
            rc = load_string(ld, v, &o->file);
            if (rc == 0 && o->file) {
                char *abs = load_abs_path(ld, o->file);

                free(o->file);
                o->file = abs;
            }
        } else if (!strcmp(key, "environment")) {
            rc = load_string(ld, v, &o->environment);
        } else if (!strcmp(key, "content") && !is_secret) {
            rc = load_string(ld, v, &o->content);
        } else if (!strcmp(key, "content")) {
            rc = load_fail(ld, def->keys[k],
                           "a secret cannot have 'content' (only configs can); use 'file' or "
                           "'environment'");
        } else if (!strcmp(key, "external")) {
            rc = load_external(ld, v, o);
        } else if (!strcmp(key, "labels")) {
            rc = load_kv(ld, v, '=', &o->labels);
            if (rc == 0 && o->labels.n)
                load_warn(ld, v, "labels of a %s are for swarm mode only, ignored",
                          is_secret ? "secret" : "config");
        } else if (!strcmp(key, "driver") && is_secret) {
            rc = load_string(ld, v, &o->driver);
        } else if (!strcmp(key, "driver_opts") && is_secret) {
            rc = load_kv(ld, v, '=', &o->driver_opts);
            if (rc == 0 && o->driver_opts.n)
                load_warn(ld, v, "driver_opts are for swarm mode only, ignored");
        } else if (!strcmp(key, "template_driver")) {
            rc = load_string(ld, v, &o->template_driver);
        } else if (!str_starts_with(key, "x-")) {
            rc = load_fail(ld, def->keys[k],
                           "unknown key (a %s takes name, file, environment%s, external, labels%s "
                           "and template_driver)",
                           is_secret ? "secret" : "config", is_secret ? "" : ", content",
                           is_secret ? ", driver, driver_opts" : "");
        }
        load_path_pop(ld, saved);
    }
    return rc;
}

int load_file_objects(struct loader *ld, const char *section, const struct ynode *n,
                      struct compose_project *part)
{
    bool is_secret = !strcmp(section, "secrets");
    struct compose_file_object **list = is_secret ? &part->secrets : &part->configs;
    size_t *count = is_secret ? &part->n_secrets : &part->n_configs;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return load_fail(ld, n, "must be a mapping of %s names", is_secret ? "secret" : "config");
    for (size_t i = 0; i < n->n; i++) {
        struct compose_file_object o = {0};
        const char *key = n->keys[i]->text;
        size_t saved = load_path_key(ld, key);
        int rc = 0;

        o.key = xstrdup(key);
        o.pos = pos_of(n->keys[i]);
        if (!valid_key(key))
            rc = load_fail(ld, n->keys[i], "invalid %s name (use letters, digits, '.', '_', '-')",
                           is_secret ? "secret" : "config");
        if (rc == 0)
            rc = load_object(ld, n->items[i], is_secret, &o);
        load_path_pop(ld, saved);
        if (rc < 0) {
            object_release(&o);
            return rc;
        }
        *list = xrealloc(*list, (*count + 1) * sizeof(**list));
        (*list)[(*count)++] = o;
    }
    return 0;
}

/* ---- a service's references --------------------------------------------------- */

/*
 * A mode as Compose reads it: a YAML number (0440 and 0o440 octal, 0x120
 * hex, else decimal); a quoted or interpolated string is decimal, as
 * Compose casts it ("0440" is 440, which a warning says).
 */
static int load_mode(struct loader *ld, const struct ynode *n, int *out)
{
    const char *s;
    int64_t v = 0;
    int base = 10;

    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SCALAR)
        return load_fail(ld, n, "must be a number like 0440, not %s",
                         n->kind == YNODE_SEQ ? "a list" : "a mapping");
    s = n->text;
    if (n->plain && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
        s += 2, base = 8;
    } else if (n->plain && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2, base = 16;
    } else if (n->plain && s[0] == '0' && s[1]) {
        s += 1, base = 8;
    }
    if (!*s)
        return load_fail(ld, n, "invalid mode \"%s\" (write it like 0440)", n->text);
    for (const char *c = s; *c; c++) {
        int d = str_hex_value(*c);

        if (d < 0 || d >= base)
            return load_fail(ld, n, "invalid mode \"%s\" (write it like 0440)", n->text);
        v = v * base + d;
        if (v > 07777)
            return load_fail(ld, n, "invalid mode \"%s\": more than 07777 (write it like 0440)",
                             n->text);
    }
    if (!n->plain && n->text[0] == '0' && n->text[1])
        load_warn(ld, n,
                  "the quoted mode \"%s\" is the decimal number %lld (0%llo), as Compose reads "
                  "it; write %s without quotes for an octal mode",
                  n->text, (long long)v, (unsigned long long)v, n->text);
    *out = (int)v;
    return 0;
}

/* uid and gid: strings in Compose's schema, of digits for the archive that carries them. */
static int load_id(struct loader *ld, const struct ynode *n, char **out)
{
    int64_t id;

    if (ytree_is_null(n))
        return 0;
    if (n->kind == YNODE_SCALAR && n->plain)
        return load_fail(ld, n, "must be a string: quote it (\"%s\"), as Compose requires",
                         n->text);
    if (load_string(ld, n, out) < 0)
        return DS_EINVAL;
    if (str_to_int64(*out, 0, 0x7fffffff, &id) < 0)
        return load_fail(ld, n, "must be a numeric id like \"1000\", not \"%s\"", *out);
    return 0;
}

static int load_ref_long(struct loader *ld, const struct ynode *n, struct compose_file_ref *r)
{
    int rc = 0;

    for (size_t i = 0; i < n->n && rc == 0; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];
        size_t saved = load_path_key(ld, key);

        if (!strcmp(key, "source"))
            rc = load_string(ld, v, &r->source);
        else if (!strcmp(key, "target"))
            rc = load_string(ld, v, &r->target);
        else if (!strcmp(key, "uid"))
            rc = load_id(ld, v, &r->uid);
        else if (!strcmp(key, "gid"))
            rc = load_id(ld, v, &r->gid);
        else if (!strcmp(key, "mode"))
            rc = load_mode(ld, v, &r->mode);
        else if (!str_starts_with(key, "x-"))
            rc = load_fail(ld, n->keys[i], "unknown key (source, target, uid, gid or mode)");
        load_path_pop(ld, saved);
    }
    if (rc == 0 && (!r->source || !*r->source))
        rc = load_fail(ld, n, "needs a source: the name of a top-level one");
    if (rc == 0 && r->target && !*r->target)
        rc = load_fail(ld, ytree_get(n, "target"), "an empty target; leave it out instead");
    return rc;
}

/* Compose keeps one entry per target: a later one replaces an earlier one in its place. */
static const char *ref_key(const struct compose_file_ref *r, bool is_secret, struct buf *b)
{
    buf_reset(b);
    if (r->target)
        buf_adds(b, r->target);
    else
        buf_addf(b, "%s/%s", is_secret ? SECRETS_DIR : "", r->source);
    return b->buf;
}

static void add_ref(struct compose_file_ref **list, size_t *n, struct compose_file_ref *r,
                    bool is_secret)
{
    struct buf a = BUF_INIT, b = BUF_INIT;
    struct compose_file_ref *slot = NULL;

    ref_key(r, is_secret, &a);
    for (size_t i = 0; i < *n && !slot; i++)
        if (!strcmp(ref_key(&(*list)[i], is_secret, &b), a.buf))
            slot = &(*list)[i];
    if (slot) {
        ref_release(slot);
    } else {
        *list = xrealloc(*list, (*n + 1) * sizeof(**list));
        slot = &(*list)[(*n)++];
    }
    *slot = *r;
    memset(r, 0, sizeof(*r));
    buf_release(&a);
    buf_release(&b);
}

/* With default_target, a secret without target: gets Compose's /run/secrets/<name>. */
static int load_refs(struct loader *ld, const struct ynode *n, bool is_secret, bool default_target,
                     struct compose_file_ref **list, size_t *count)
{
    if (ytree_is_null(n))
        return 0;
    if (n->kind != YNODE_SEQ)
        return load_fail(ld, n, "must be a list of %s names or mappings",
                         is_secret ? "secret" : "config");
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *item = n->items[i];
        struct compose_file_ref r = {.mode = -1};
        size_t saved = load_path_index(ld, i);
        int rc = 0;

        r.pos = pos_of(item);
        if (item->kind == YNODE_SCALAR && *item->text && !ytree_is_null(item))
            r.source = xstrdup(item->text);
        else if (item->kind == YNODE_MAP)
            rc = load_ref_long(ld, item, &r);
        else
            rc = load_fail(ld, item, "must be a name or a mapping with source:");
        /* Compose's default: the secret's name under /run/secrets */
        if (rc == 0 && is_secret && default_target && !r.target) {
            struct buf t = BUF_INIT;

            buf_addf(&t, SECRETS_DIR "/%s", r.source);
            r.target = buf_detach(&t, NULL);
        }
        load_path_pop(ld, saved);
        if (rc < 0) {
            ref_release(&r);
            return rc;
        }
        add_ref(list, count, &r, is_secret);
    }
    return 0;
}

int load_service_secrets(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    return load_refs(ld, n, true, true, &s->secrets, &s->n_secrets);
}

int load_service_configs(struct loader *ld, const struct ynode *n, struct compose_service *s)
{
    return load_refs(ld, n, false, false, &s->configs, &s->n_configs);
}

int load_build_secrets(struct loader *ld, const struct ynode *n, struct compose_build *b)
{
    /* Compose leaves a build secret's target unset: BuildKit's id is then the name */
    return load_refs(ld, n, true, false, &b->secrets, &b->n_secrets);
}

/* ---- after the merge ------------------------------------------------------------ */

static const struct compose_file_object *find(const struct compose_file_object *v, size_t n,
                                              const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].key, key))
            return &v[i];
    return NULL;
}

const struct compose_file_object *compose_find_secret(const struct compose_project *p,
                                                      const char *key)
{
    return find(p->secrets, p->n_secrets, key);
}

const struct compose_file_object *compose_find_config(const struct compose_project *p,
                                                      const char *key)
{
    return find(p->configs, p->n_configs, key);
}

static int finish_objects(struct compose_project *p, struct compose_file_object *v, size_t n,
                          bool is_secret, struct ds_error *err)
{
    const char *what = is_secret ? "secrets" : "configs";

    for (size_t i = 0; i < n; i++) {
        struct compose_file_object *o = &v[i];
        int sources = !!o->file + !!o->environment + !!o->content;

        if (sources > 1)
            return compose_fail_at(err, o->pos, "%s.%s: file, environment%s are mutually exclusive",
                                   what, o->key, is_secret ? "" : " and content");
        if (!sources && !o->external && !o->driver)
            return compose_fail_at(
                    err, o->pos,
                    "%s.%s: says nowhere what it holds; set one of file, environment%s", what,
                    o->key, is_secret ? "" : " or content");
        if (o->name)
            continue;
        if (o->external) {
            o->name = xstrdup(o->key);
        } else {
            struct buf b = BUF_INIT;

            buf_addf(&b, "%s_%s", p->name, o->key);
            o->name = buf_detach(&b, NULL);
        }
    }
    return 0;
}

static int check_refs(struct compose_project *p, const struct compose_service *s, bool is_secret,
                      struct ds_error *err)
{
    const struct compose_file_ref *refs = is_secret ? s->secrets : s->configs;
    size_t n = is_secret ? s->n_secrets : s->n_configs;
    const char *what = is_secret ? "secret" : "config";

    for (size_t i = 0; i < n; i++) {
        const struct compose_file_ref *r = &refs[i];
        const struct compose_file_object *o =
                is_secret ? compose_find_secret(p, r->source) : compose_find_config(p, r->source);
        struct buf b = BUF_INIT;

        if (!o)
            return compose_fail_at(
                    err, r->pos,
                    "services.%s.%ss: service '%s' refers to undefined %s '%s'; declare it "
                    "under the top-level '%ss:'",
                    s->name, what, s->name, what, r->source, what);
        if (!o->file || (!r->uid && !r->gid && r->mode < 0))
            continue;
        /* a bind mount shows the host file as it is, as with Compose */
        buf_addf(&b,
                 "%s:%d:%d: services.%s.%ss: uid, gid and mode do not apply to %s '%s': a file is "
                 "mounted as it is on the host (set its owner and mode there), ignored",
                 r->pos.file, r->pos.line, r->pos.col, s->name, what, what, o->key);
        strvec_push_nodup(&p->warnings, buf_detach(&b, NULL));
    }
    return 0;
}

static int check_build_refs(const struct compose_project *p, const struct compose_service *s,
                            struct ds_error *err)
{
    for (size_t i = 0; s->build && i < s->build->n_secrets; i++) {
        const struct compose_file_ref *r = &s->build->secrets[i];

        if (!compose_find_secret(p, r->source))
            return compose_fail_at(err, r->pos,
                                   "services.%s.build.secrets: service '%s' refers to undefined "
                                   "build secret '%s'; declare it under the top-level 'secrets:'",
                                   s->name, s->name, r->source);
    }
    return 0;
}

int compose_finish_file_objects(struct compose_project *p, struct ds_error *err)
{
    int rc = finish_objects(p, p->secrets, p->n_secrets, true, err);

    if (rc == 0)
        rc = finish_objects(p, p->configs, p->n_configs, false, err);
    for (size_t i = 0; rc == 0 && i < p->n_services; i++) {
        rc = check_refs(p, &p->services[i], true, err);
        if (rc == 0)
            rc = check_refs(p, &p->services[i], false, err);
        if (rc == 0)
            rc = check_build_refs(p, &p->services[i], err);
    }
    return rc;
}

/* ---- using them ---------------------------------------------------------------- */

char *compose_file_ref_path(const struct compose_file_ref *r, bool is_secret)
{
    struct buf b = BUF_INIT;
    const char *t = r->target ? r->target : r->source;

    if (t[0] == '/')
        buf_adds(&b, t);
    else
        buf_addf(&b, "%s/%s", is_secret ? SECRETS_DIR : "", t);
    return buf_detach(&b, NULL);
}

const char *compose_file_object_value(const struct compose_project *p,
                                      const struct compose_file_object *o)
{
    if (o->content)
        return o->content;
    if (o->environment)
        return kvlist_get(&p->environment, o->environment);
    return NULL;
}

static int check_one(const struct compose_project *p, const struct compose_service *s,
                     const struct compose_file_ref *r, bool is_secret, struct ds_error *err)
{
    const struct compose_file_object *o =
            is_secret ? compose_find_secret(p, r->source) : compose_find_config(p, r->source);
    const char *what = is_secret ? "secret" : "config";
    struct stat st;

    if (!o) /* compose_load() refused it already */
        return compose_fail_at(err, r->pos, "services.%s: undefined %s '%s'", s->name, what,
                               r->source);
    if (o->external)
        return compose_fail_at(
                err, o->pos,
                "%ss.%s: external %ss exist only in swarm mode; service '%s' cannot use it "
                "on a single engine",
                what, o->key, what, s->name);
    if (o->driver || o->template_driver)
        return compose_fail_at(
                err, o->pos,
                "%ss.%s: '%s' is for swarm mode only, as Compose says; remove it and use "
                "file or environment",
                what, o->key, o->driver ? "driver" : "template_driver");
    if (o->file) {
        if (stat(o->file, &st) < 0)
            return compose_fail_at(err, o->pos, "%ss.%s.file: cannot use '%s': %s", what, o->key,
                                   o->file, strerror(errno));
        return 0;
    }
    if (o->environment && !kvlist_get(&p->environment, o->environment))
        return compose_fail_at(
                err, o->pos,
                "%ss.%s.environment: the variable '%s' is not set; service '%s' needs it "
                "(set it in the shell or in .env)",
                what, o->key, o->environment, s->name);
    if (s->read_only == 1)
        return compose_fail_at(
                err, r->pos,
                "services.%s.%ss: cannot copy %s '%s' into a read_only service; only a "
                "'file:' one can be mounted there",
                s->name, what, what, o->key);
    return 0;
}

int compose_check_file_refs(const struct compose_project *p, const struct compose_service *s,
                            struct ds_error *err)
{
    for (size_t i = 0; i < s->n_secrets; i++)
        if (check_one(p, s, &s->secrets[i], true, err) < 0)
            return DS_EINVAL;
    for (size_t i = 0; i < s->n_configs; i++)
        if (check_one(p, s, &s->configs[i], false, err) < 0)
            return DS_EINVAL;
    return 0;
}

int compose_read_file_ref(char **out, const struct compose_project *p,
                          const struct compose_service *s, const char *path, struct ds_error *err)
{
    *out = NULL;
    for (int pass = 0; pass < 2; pass++) {
        bool is_secret = pass == 0;
        const struct compose_file_ref *refs = is_secret ? s->secrets : s->configs;
        size_t n = is_secret ? s->n_secrets : s->n_configs;

        /* the last one wins, as the last mount at a path does */
        for (size_t i = n; i-- > 0;) {
            char *at = compose_file_ref_path(&refs[i], is_secret);
            const struct compose_file_object *o = is_secret
                                                          ? compose_find_secret(p, refs[i].source)
                                                          : compose_find_config(p, refs[i].source);
            bool here = !strcmp(at, path);
            struct buf b = BUF_INIT;
            const char *value;
            int rc;

            free(at);
            if (!here || !o)
                continue;
            if (check_one(p, s, &refs[i], is_secret, err) < 0)
                return DS_EINVAL;
            if (!o->file) {
                value = compose_file_object_value(p, o);
                *out = xstrdup(value ? value : "");
                return 0;
            }
            rc = buf_read_file(&b, o->file, FILE_OBJECT_MAX);
            if (rc < 0) {
                buf_release(&b);
                return compose_fail_at(err, o->pos, "%s.%s.file: cannot read '%s': %s",
                                       is_secret ? "secrets" : "configs", o->key, o->file,
                                       rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
            }
            *out = buf_detach(&b, NULL);
            return 0;
        }
    }
    return DS_ENOTFOUND;
}
