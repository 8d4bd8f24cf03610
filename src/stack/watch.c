/*
 * develop.watch: rules and their matchers, batches of changes, and what
 * each action does to a service's containers. Compose's order within a
 * batch: a rebuild (which supersedes the rest for that service), then the
 * sync, then the restart, then the rule's command.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack/exec.h"
#include "stack/watch.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fswatch.h"
#include "util/path.h"
#include "util/rootfs.h"
#include "util/tar.h"
#include "util/banned.h"

struct watch {
    const struct compose_project *p;
    struct watch_rule *rules;
    size_t n_rules;
    struct strvec warnings; /* said once watching starts */
};

/* ---- which paths count ------------------------------------------------------------- */

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len >= n && !memcmp(s + len - n, suffix, n);
}

/* A name an editor or tool makes for a moment (Compose's EphemeralPathMatcher). */
static bool ephemeral_name(const char *name, size_t len)
{
    static const char *const suffixes[] = {"___jb_old___", "___jb_tmp___", "~", "-go-tmp-umask"};
    static const char *const swap[] = {".swp", ".swx", ".swo", ".swn", ".kate-swp"};

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (has_suffix(name, len, suffixes[i]))
            return true;
    if (len == 4 && !memcmp(name, "4913", 4)) /* vim's probe for a writable directory */
        return true;
    if (len >= 2 && name[0] == '.' && name[1] == '#') /* emacs lock */
        return true;
    if (len >= 2 && name[0] == '#' && name[len - 1] == '#') /* emacs autosave */
        return true;
    if (len > 1 && name[0] == '.') {
        for (size_t i = 0; i < sizeof(swap) / sizeof(swap[0]); i++)
            if (len > strlen(swap[i]) + 1 && has_suffix(name, len, swap[i]))
                return true;
    }
    return false;
}

bool watch_is_ephemeral(const char *path)
{
    /* a pattern matches a path or one of its parents: look at every component */
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");

        if (len && (ephemeral_name(p, len) || (len == 5 && !memcmp(p, ".idea", 5) && p[len])))
            return true;
        p += len;
        while (*p == '/')
            p++;
    }
    return false;
}

bool watch_rule_match(const struct watch_rule *r, const char *host, char **container)
{
    const char *root = r->w->path, *rel;
    size_t n = strlen(root);

    if (container)
        *container = NULL;
    if (!path_within(host, root, false))
        return false;
    while (n > 1 && root[n - 1] == '/')
        n--;
    rel = host + n;
    while (*rel == '/')
        rel++;
    if (*rel && r->include && !ignore_excludes(r->include, rel))
        return false;
    if (*rel && r->ignore && ignore_excludes(r->ignore, rel))
        return false;
    if (r->dockerignore && r->context && path_within(host, r->context, true)) {
        const char *crel = host + strlen(r->context);

        while (*crel == '/')
            crel++;
        if (ignore_excludes(r->dockerignore, crel))
            return false;
    }
    if (watch_is_ephemeral(*rel ? rel : path_basename(host)))
        return false;
    if (container && r->w->target) {
        struct buf b = BUF_INIT;

        buf_adds(&b, r->w->target);
        while (b.len > 1 && b.buf[b.len - 1] == '/')
            buf_setlen(&b, b.len - 1);
        if (*rel)
            buf_addf(&b, "%s%s", b.len && b.buf[b.len - 1] == '/' ? "" : "/", rel);
        *container = buf_detach(&b, NULL);
    }
    return true;
}

/* Patterns as one .dockerignore text: the same syntax, the same matcher. */
static int parse_patterns(struct ignore **out, const struct strvec *patterns, const char *what,
                          struct ds_error *err)
{
    struct buf text = BUF_INIT;
    int rc;

    *out = NULL;
    if (!patterns->n)
        return 0;
    for (size_t i = 0; i < patterns->n; i++)
        buf_addf(&text, "%s\n", patterns->v[i]);
    rc = ignore_parse(out, text.buf, text.len, what, err);
    buf_release(&text);
    return rc;
}

int watch_rule_init(struct watch_rule *r, const struct compose_service *s,
                    const struct compose_watch *w, struct ds_error *err)
{
    int rc;

    memset(r, 0, sizeof(*r));
    r->service = s;
    r->w = w;
    rc = parse_patterns(&r->ignore, &w->ignore, "ignore", err);
    if (rc == 0)
        rc = parse_patterns(&r->include, &w->include, "include", err);
    if (rc == 0 && s->build && s->build->context && path_is_dir(s->build->context)) {
        r->context = xstrdup(s->build->context);
        rc = ignore_load(&r->dockerignore, r->context, err);
    }
    if (rc < 0) {
        ds_error_wrap(err, "service '%s': develop.watch rule for '%s'", s->name, w->path);
        watch_rule_release(r);
    }
    return rc;
}

void watch_rule_release(struct watch_rule *r)
{
    ignore_free(r->ignore);
    ignore_free(r->include);
    ignore_free(r->dockerignore);
    free(r->context);
    memset(r, 0, sizeof(*r));
}

/* ---- batches ------------------------------------------------------------------------ */

void watch_batch_init(struct watch_batch *b)
{
    strvec_init(&b->paths);
    b->first_ms = b->last_ms = 0;
}

void watch_batch_release(struct watch_batch *b)
{
    strvec_clear(&b->paths);
}

void watch_batch_add(struct watch_batch *b, const char *path, uint64_t now_ms)
{
    /* a path seen again goes to the end: the batch is in order of each path's last change */
    for (size_t i = 0; i < b->paths.n; i++) {
        if (strcmp(b->paths.v[i], path))
            continue;
        char *keep = b->paths.v[i];

        memmove(&b->paths.v[i], &b->paths.v[i + 1], (b->paths.n - i - 1) * sizeof(char *));
        b->paths.v[b->paths.n - 1] = keep;
        b->last_ms = now_ms;
        return;
    }
    if (!b->paths.n)
        b->first_ms = now_ms;
    b->last_ms = now_ms;
    strvec_push(&b->paths, path);
}

long watch_batch_due_in(const struct watch_batch *b, uint64_t now_ms, unsigned quiet_ms,
                        unsigned max_ms)
{
    uint64_t due;

    if (!b->paths.n)
        return -1;
    due = b->last_ms + quiet_ms;
    if (b->first_ms + max_ms < due)
        due = b->first_ms + max_ms;
    return now_ms >= due ? 0 : (long)(due - now_ms);
}

void watch_batch_take(struct watch_batch *b, struct strvec *out)
{
    for (size_t i = 0; i < b->paths.n; i++)
        strvec_push_nodup(out, b->paths.v[i]);
    free(b->paths.v);
    strvec_init(&b->paths);
}

/* ---- the rules of a project ---------------------------------------------------------- */

void watch_free(struct watch *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_rules; i++)
        watch_rule_release(&w->rules[i]);
    free(w->rules);
    strvec_clear(&w->warnings);
    free(w);
}

static bool is_sync(const char *action)
{
    return !strcmp(action, "sync") || !strcmp(action, "sync+restart") ||
           !strcmp(action, "sync+exec");
}

/* The bind mount of s whose host path holds `path`, or NULL (Compose: HasPrefix). */
static const struct compose_mount *bind_mounted(const struct compose_service *s, const char *path)
{
    for (size_t i = 0; i < s->n_volumes; i++) {
        const struct compose_mount *m = &s->volumes[i];

        if (m->type == COMPOSE_MOUNT_BIND && m->source &&
            !strncmp(path, m->source, strlen(m->source)))
            return m;
    }
    return NULL;
}

static int check_rule(const struct compose_service *s, const struct compose_watch *r,
                      struct ds_error *err)
{
    struct stat st;

    if (!strcmp(r->action, "rebuild") && !s->build) {
        ds_error_set(err, DS_EINVAL,
                     "service '%s' has a develop.watch rule with action rebuild but no build "
                     "section",
                     s->name);
        ds_error_hint(err, "add build: to the service, or use action sync or restart");
        return DS_EINVAL;
    }
    if (!strcmp(r->action, "sync+exec") && !r->exec.command.n) {
        ds_error_set(err, DS_EINVAL,
                     "service '%s' has a develop.watch rule with action sync+exec but no "
                     "exec.command",
                     s->name);
        return DS_EINVAL;
    }
    if (is_sync(r->action) && !r->target) {
        ds_error_set(err, DS_EINVAL,
                     "service '%s': the develop.watch rule for '%s' (action %s) has no target",
                     s->name, r->path, r->action);
        ds_error_hint(err, "add target: the path in the container the files go to");
        return DS_EINVAL;
    }
    if (stat(r->path, &st) < 0) {
        ds_error_errno(err, errno, "service '%s': cannot watch '%s'", s->name, r->path);
        ds_error_hint(err, "create it, or correct the path of the develop.watch rule (relative "
                           "paths start at the project directory)");
        return DS_EINVAL;
    }
    return 0;
}

int watch_new(struct watch **out, const struct compose_project *p, const struct strvec *services,
              struct ds_error *err)
{
    struct watch *w = xcalloc(1, sizeof(*w));
    size_t alloc = 0;
    int rc = 0;

    *out = NULL;
    w->p = p;
    strvec_init(&w->warnings);
    for (size_t i = 0; services && i < services->n; i++) {
        const struct compose_service *s = compose_find_service(p, services->v[i]);

        if (s && !s->ext->n_watch) {
            rc = ds_error_set(err, DS_EINVAL, "service '%s' has no develop.watch rules",
                              services->v[i]);
            ds_error_hint(err,
                          "add a develop: watch: section to service '%s' in %s, or leave it "
                          "out of the command",
                          services->v[i], p->file_names.n ? p->file_names.v[0] : "the file");
            goto done;
        }
    }
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];

        if (services && services->n ? !strvec_contains(services, s->name) : !s->enabled)
            continue;
        for (size_t k = 0; k < s->ext->n_watch; k++) {
            const struct compose_watch *cw = &s->ext->watch[k];

            rc = check_rule(s, cw, err);
            if (rc < 0)
                goto done;
            if (is_sync(cw->action) && bind_mounted(s, cw->path)) {
                strvec_pushf(&w->warnings,
                             "path '%s' also declared by a bind mount volume, this path won't be "
                             "monitored!",
                             cw->path);
                continue;
            }
            w->rules = xgrow(w->rules, &alloc, w->n_rules + 1, sizeof(*w->rules));
            rc = watch_rule_init(&w->rules[w->n_rules], s, cw, err);
            if (rc < 0)
                goto done;
            w->n_rules++;
        }
    }
    if (!w->n_rules && !w->warnings.n) {
        rc = ds_error_set(err, DS_EINVAL,
                          "none of the selected services is configured for watch, consider "
                          "setting a 'develop' section");
        goto done;
    }
    *out = w;
    w = NULL;
done:
    watch_free(w);
    return rc;
}

/* ---- acting on a batch ------------------------------------------------------------------ */

/* The running containers of a service, as a sync found them. */
struct cached {
    const struct compose_service *service;
    struct strvec ids, names;
    int *procs; /* /proc/<pid> of each one's first process (rootfs.h); -1: the archive API */
};

struct run_ctx {
    struct watch *w;
    struct engine *e;
    const struct watch_options *o;
    /*
     * The running containers of each service a sync went to: a save in a
     * loop of edits need not list the project's containers again. A
     * service's are dropped when a rebuild recreates them and when a sync
     * to them fails.
     */
    struct cached *cache;
    size_t n_cache, cache_alloc;
};

static void cached_release(struct cached *c)
{
    for (size_t i = 0; i < c->ids.n; i++)
        if (c->procs[i] >= 0)
            close(c->procs[i]);
    free(c->procs);
    strvec_clear(&c->ids);
    strvec_clear(&c->names);
}

static struct cached *find_cached(struct run_ctx *r, const struct compose_service *s)
{
    for (size_t i = 0; i < r->n_cache; i++)
        if (r->cache[i].service == s)
            return &r->cache[i];
    return NULL;
}

/* Forget the containers of s (NULL: of every service). */
static void forget_containers(struct run_ctx *r, const struct compose_service *s)
{
    size_t k = 0;

    for (size_t i = 0; i < r->n_cache; i++) {
        if (!s || r->cache[i].service == s)
            cached_release(&r->cache[i]);
        else
            r->cache[k++] = r->cache[i];
    }
    r->n_cache = k;
    if (!k) {
        free(r->cache);
        r->cache = NULL;
        r->cache_alloc = 0;
    }
}

static void say(const struct run_ctx *r, bool is_error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void say(const struct run_ctx *r, bool is_error, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    if (r->o->log)
        r->o->log(b.buf, is_error, r->o->ud);
    buf_release(&b);
}

/* ---- the sync set ------------------------------------------------------------------------ */

void watch_sync_set_init(struct watch_sync_set *s)
{
    memset(s, 0, sizeof(*s));
    strvec_init(&s->gone);
}

void watch_sync_set_release(struct watch_sync_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].host);
        free(s->v[i].name);
        free(s->v[i].link);
    }
    free(s->v);
    strvec_clear(&s->gone);
    watch_sync_set_init(s);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int watch_sync_set_add(struct watch_sync_set *s, const struct watch_rule *r, const char *host,
                       const char *name, struct ds_error *err)
{
    struct watch_sync_entry *e;
    struct stat st;
    char *link = NULL;
    int rc = 0;

    if (lstat(host, &st) < 0) {
        if (errno != ENOENT)
            return ds_error_errno(err, errno, "cannot read '%s'", host);
        if (!strvec_contains(&s->gone, name))
            strvec_push(&s->gone, name);
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        link = xcalloc(1, (size_t)st.st_size + 2);
        if (readlink(host, link, (size_t)st.st_size + 1) < 0) {
            free(link);
            return 0; /* gone since: its removal comes in the next batch */
        }
    } else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        return 0;
    }
    s->v = xgrow(s->v, &s->alloc, s->n + 1, sizeof(*s->v));
    e = &s->v[s->n++];
    e->host = xstrdup(host);
    e->name = xstrdup(name);
    e->link = link;
    e->st = st;
    if (S_ISDIR(st.st_mode)) {
        struct strvec names = STRVEC_INIT;
        struct dirent *de;
        DIR *dp = opendir(host);

        while (dp && (de = readdir(dp)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                strvec_push(&names, de->d_name);
        if (dp)
            closedir(dp);
        qsort(names.v, names.n, sizeof(*names.v), cmp_names);
        for (size_t i = 0; rc == 0 && i < names.n; i++) {
            char *child = path_join(host, names.v[i]), *cname = NULL;

            if (watch_rule_match(r, child, &cname) && cname)
                rc = watch_sync_set_add(s, r, child, cname, err);
            free(child);
            free(cname);
        }
        strvec_clear(&names);
    }
    return rc;
}

struct tar_stream *watch_sync_set_tar(const struct watch_sync_set *s)
{
    struct tar_stream *t;

    if (!s->n)
        return NULL;
    t = tar_stream_new();
    for (size_t i = 0; i < s->n; i++) {
        const struct watch_sync_entry *e = &s->v[i];

        /* "/" itself (a rule whose target is the root) has no entry: it is there */
        tar_stream_add_host(t, e->name, e->host, &e->st, e->link);
    }
    return t;
}

int watch_sync_set_put(const struct watch_sync_set *s, int root, struct ds_error *err)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < s->gone.n; i++)
        rc = rootfs_remove(root, s->gone.v[i], err);
    for (size_t i = 0; rc == 0 && i < s->n; i++)
        rc = rootfs_put(root, s->v[i].name, s->v[i].host, &s->v[i].st, s->v[i].link, err);
    return rc;
}

/* ---- acting on a batch, continued ------------------------------------------------------------ */

static int collect_stderr(int stream, const char *data, size_t len, void *ud)
{
    if (stream == 2)
        buf_add(ud, data, len);
    return 0;
}

/* `rm -rf` the paths in the container, as an argv list (Compose does the same). */
static int remove_in(struct engine *e, const char *id, const struct strvec *paths,
                     struct ds_error *err)
{
    struct engine_exec_config cfg = {.cmd = STRVEC_INIT, .env = STRVEC_INIT};
    struct engine_exec_info info = {0};
    struct buf out = BUF_INIT;
    char *exec_id = NULL;
    int rc;

    strvec_push(&cfg.cmd, "rm");
    strvec_push(&cfg.cmd, "-rf");
    strvec_push(&cfg.cmd, "--");
    for (size_t i = 0; i < paths->n; i++)
        strvec_push(&cfg.cmd, paths->v[i]);
    rc = engine_exec_create(e, id, &cfg, &exec_id, err);
    if (rc == 0)
        rc = engine_exec_start(e, exec_id, false, false, collect_stderr, &out, err);
    if (rc == 0)
        rc = engine_exec_inspect(e, exec_id, &info, err);
    if (rc == 0 && info.exit_code != 0) {
        buf_rtrim(&out);
        rc = ds_error_set(err, DS_ERR, "rm -rf exited with %d%s%s", info.exit_code,
                          out.len ? ": " : "", out.buf);
    }
    engine_exec_info_release(&info);
    free(exec_id);
    buf_release(&out);
    strvec_clear(&cfg.cmd);
    return rc;
}

/* The running containers of service s (not one-off ones). */
static int running(struct run_ctx *r, const struct compose_service *s,
                   struct stack_container_list *l, struct ds_error *err)
{
    int rc = stack_list_containers(r->e, r->w->p->name, 0, l, err);
    size_t k = 0;

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i].service, s->name) || l->items[i].oneoff) {
            stack_container_release(&l->items[i]);
            continue;
        }
        l->items[k++] = l->items[i];
    }
    l->n = k;
    if (!k) {
        ds_error_set(err, DS_ENOTFOUND, "service '%s' has no running container", s->name);
        ds_error_hint(err, "start it with 'devstack up %s'", s->name);
        return DS_ENOTFOUND;
    }
    return 0;
}

/*
 * The running containers of s, and for each the process whose root a sync
 * can write to: looked up when they are not cached.
 */
static struct cached *cache_containers(struct run_ctx *r, const struct compose_service *s,
                                       struct ds_error *err)
{
    struct stack_container_list l = {0};
    struct cached *c = find_cached(r, s);

    if (c)
        return c;
    if (running(r, s, &l, err) < 0)
        return NULL;
    r->cache = xgrow(r->cache, &r->cache_alloc, r->n_cache + 1, sizeof(*r->cache));
    c = &r->cache[r->n_cache++];
    c->service = s;
    strvec_init(&c->ids);
    strvec_init(&c->names);
    c->procs = xcalloc(l.n, sizeof(*c->procs));
    for (size_t i = 0; i < l.n; i++) {
        struct engine_container_info info = {0};
        struct ds_error ignored = DS_ERROR_INIT;

        c->procs[i] = -1;
        strvec_push(&c->ids, l.items[i].id);
        strvec_push(&c->names, l.items[i].name);
        /* where its root cannot be reached from here, the archive API does it */
        if (!r->o->archive_only &&
            engine_container_inspect(r->e, l.items[i].id, &info, &ignored) == 0 && info.running)
            rootfs_open_process(&c->procs[i], info.pid, l.items[i].id, &ignored);
        engine_container_info_release(&info);
        ds_error_release(&ignored);
    }
    stack_container_list_release(&l);
    return c;
}

/* The set into cached container i: straight into its root, else through the archive API. */
static int sync_container(struct run_ctx *r, struct cached *c, size_t i,
                          const struct watch_sync_set *set, struct tar_stream **tar,
                          struct ds_error *err)
{
    const char *id = c->ids.v[i], *name = c->names.v[i];
    int rc = 0;

    if (c->procs[i] >= 0) {
        int root = rootfs_proc_root(c->procs[i]);

        if (root < 0)
            return ds_error_set(err, DS_ENOTFOUND, "%s has stopped or restarted", name);
        rc = watch_sync_set_put(set, root, err);
        close(root);
        if (rc == 0)
            return 0;
        /* refused there (a security module, say): the engine may do it, from now on */
        ds_error_release(err);
        close(c->procs[i]);
        c->procs[i] = -1;
    }
    if (set->gone.n && (rc = remove_in(r->e, id, &set->gone, err)) < 0)
        return ds_error_wrap(err, "deleting paths in %s", name);
    if (!set->n)
        return 0;
    if (*tar)
        tar_stream_rewind(*tar);
    else
        *tar = watch_sync_set_tar(set);
    rc = engine_container_put_archive_stream(r->e, id, "/", tar_stream_read, *tar, true, err);
    if (rc < 0 && tar_stream_error(*tar)->msg) {
        /* the archive failed, not the engine: say what of it */
        ds_error_release(err);
        rc = ds_error_set(err, tar_stream_error(*tar)->code, "%s", tar_stream_error(*tar)->msg);
    }
    return rc < 0 ? ds_error_wrap(err, "copying files to %s", name) : 0;
}

/*
 * Sync host paths (with their rules) into every running container of s:
 * what exists is put there, what is gone is removed.
 */
static int sync_paths(struct run_ctx *r, const struct compose_service *s,
                      const struct strvec *hosts, const struct strvec *names,
                      const struct watch_rule *const *rules, struct ds_error *err)
{
    struct watch_sync_set set;
    struct tar_stream *tar = NULL;
    bool was_cached = find_cached(r, s) != NULL;
    struct cached *c;
    int rc = 0;

    watch_sync_set_init(&set);
    for (size_t i = 0; rc == 0 && i < hosts->n; i++) {
        bool covered = false;

        /* below another path of the batch that is a directory: its walk has it */
        for (size_t j = 0; j < hosts->n && !covered; j++)
            covered = j != i && path_within(hosts->v[i], hosts->v[j], true) &&
                      path_is_dir(hosts->v[j]);
        if (!covered)
            rc = watch_sync_set_add(&set, rules[i], hosts->v[i], names->v[i], err);
    }
    if (rc < 0 || (!set.n && !set.gone.n))
        goto done;
again:
    c = cache_containers(r, s, err);
    rc = c ? 0 : err->code;
    for (size_t i = 0; rc == 0 && i < c->ids.n; i++)
        rc = sync_container(r, c, i, &set, &tar, err);
    if (rc < 0 && rc != DS_EINTR) {
        forget_containers(r, s);
        if (was_cached) {
            /* recreated or stopped since: look again, once */
            was_cached = false;
            ds_error_release(err);
            rc = 0;
            goto again;
        }
    }
done:
    tar_stream_free(tar);
    watch_sync_set_release(&set);
    return rc;
}

static int print_exec_output(int stream, const char *data, size_t len, void *ud)
{
    (void)ud;
    fwrite(data, 1, len, stream == 2 ? stderr : stdout);
    fflush(stream == 2 ? stderr : stdout);
    return 0;
}

/* Run a sync+exec rule's command in each running container of s, as `exec` would. */
static int exec_rule(struct run_ctx *r, const struct compose_service *s,
                     const struct compose_watch *cw, struct ds_error *err)
{
    struct stack_container_list l = {0};
    struct strvec env = STRVEC_INIT;
    int rc = running(r, s, &l, err);

    for (size_t i = 0; i < cw->exec.environment.n; i++) {
        const struct kv *kv = &cw->exec.environment.items[i];

        strvec_pushf(&env, "%s=%s", kv->key, kv->value ? kv->value : "");
    }
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        struct stack_exec x = {
                .service = s->name,
                .index = l.items[i].number,
                .cmd = &cw->exec.command,
                .env = &env,
                .user = cw->exec.user,
                .working_dir = cw->exec.working_dir,
                .privileged = cw->exec.privileged,
                .in_fd = -1,
                .out = print_exec_output,
                .cancel = r->o->cancel,
        };
        struct stack_exec_result res = {0};

        rc = stack_exec_run(r->e, r->w->p, &x, &res, err);
        if (rc == 0 && res.exit_code != 0)
            rc = ds_error_set(err, DS_ERR, "'%s' in %s: exit code %d", cw->exec.command.v[0],
                              l.items[i].name, res.exit_code);
    }
    strvec_clear(&env);
    stack_container_list_release(&l);
    return rc;
}

/* Build the image again and recreate the service's containers from it (not its dependencies). */
static int rebuild(struct run_ctx *r, const struct compose_service *s, struct ds_error *err)
{
    struct strvec only = STRVEC_INIT;
    struct stack_options so = r->o->so ? *r->o->so : (struct stack_options){0};
    int rc;

    say(r, false, "Rebuilding service \"%s\" after changes were detected...", s->name);
    /* as `build` builds it: a terminal's panel keeps its clock moving */
    strvec_push(&only, s->name);
    rc = stack_build_run(r->e, r->w->p, &only, &so, r->o->ao, NULL, err);
    strvec_clear(&only);
    if (rc < 0) {
        say(r, true, "Build failed. Error: %s", err->msg);
        return rc;
    }
    say(r, false, "service \"%s\" successfully built", s->name);
    strvec_push(&only, s->name);
    so.services = &only;
    so.no_deps = true;
    so.force_recreate = true;
    so.no_recreate = false;
    so.build = false;
    so.no_build = true;
    so.no_start = false;
    so.remove_orphans = false;
    rc = stack_up(r->e, r->w->p, &so, r->o->ao, NULL, err);
    if (rc < 0)
        say(r, true, "Failed to recreate service after update. Error: %s", err->msg);
    strvec_clear(&only);
    return rc;
}

/* What one batch asks of service s. */
static int handle_service(struct run_ctx *r, const struct compose_service *s,
                          const struct strvec *paths, struct ds_error *err)
{
    struct strvec hosts = STRVEC_INIT, names = STRVEC_INIT, only = STRVEC_INIT;
    const struct watch_rule **rules = NULL, **execs = NULL;
    size_t alloc = 0, exec_alloc = 0, n_execs = 0;
    bool do_rebuild = false, do_restart = false, locked = false;
    int rc = 0;

    for (size_t i = 0; i < paths->n; i++) {
        for (size_t k = 0; k < r->w->n_rules; k++) {
            const struct watch_rule *rule = &r->w->rules[k];
            const char *action = rule->w->action;
            char *name = NULL;

            if (rule->service != s || !watch_rule_match(rule, paths->v[i], &name))
                continue;
            if (!strcmp(action, "rebuild"))
                do_rebuild = true;
            if (!strcmp(action, "restart") || !strcmp(action, "sync+restart"))
                do_restart = true;
            if (!strcmp(action, "sync+exec")) {
                bool seen = false;

                for (size_t j = 0; j < n_execs; j++)
                    seen = seen || execs[j] == rule;
                if (!seen) {
                    execs = xgrow(execs, &exec_alloc, n_execs + 1, sizeof(*execs));
                    execs[n_execs++] = rule;
                }
            }
            if (is_sync(action) && name) {
                rules = xgrow(rules, &alloc, hosts.n + 1, sizeof(*rules));
                rules[hosts.n] = rule;
                strvec_push(&hosts, paths->v[i]);
                strvec_push_nodup(&names, name);
                name = NULL;
            }
            free(name);
        }
    }
    if ((do_rebuild || do_restart) && r->o->lock && (rc = r->o->lock(true, r->o->ud)) < 0) {
        ds_error_set(err, rc, "cannot take the project's lock");
        goto done;
    }
    locked = (do_rebuild || do_restart) && r->o->lock;
    if (do_rebuild) {
        forget_containers(r, s);
        rc = rebuild(r, s, err);
        goto done;
    }
    if (hosts.n) {
        /* Compose 2.26's two wordings: the count only past ten paths */
        if (hosts.n <= 10)
            say(r, false, "Syncing \"%s\" after changes were detected", s->name);
        else
            say(r, false, "Syncing service \"%s\" after %zu changes were detected", s->name,
                hosts.n);
        rc = sync_paths(r, s, &hosts, &names, rules, err);
        if (rc < 0)
            goto done;
    }
    if (do_restart) {
        strvec_push(&only, s->name);
        rc = stack_restart(r->e, r->w->p, &only, -1, r->o->ao, err);
        if (rc < 0)
            goto done;
        say(r, false, "service \"%s\" restarted", s->name);
    }
    for (size_t i = 0; rc == 0 && i < n_execs; i++)
        rc = exec_rule(r, s, execs[i]->w, err);
done:
    if (locked)
        r->o->lock(false, r->o->ud);
    free(rules);
    free(execs);
    strvec_clear(&hosts);
    strvec_clear(&names);
    strvec_clear(&only);
    return rc;
}

static void handle_batch(struct run_ctx *r, const struct strvec *paths)
{
    for (size_t k = 0; k < r->w->n_rules; k++) {
        const struct compose_service *s = r->w->rules[k].service;
        struct ds_error err = DS_ERROR_INIT;
        bool first = true;

        /* each service once, at its first rule */
        for (size_t j = 0; j < k && first; j++)
            first = r->w->rules[j].service != s;
        if (!first)
            continue;
        if (handle_service(r, s, paths, &err) < 0 && !(r->o->cancel && *r->o->cancel))
            say(r, true, "Error handling changed files for service %s: %s", s->name, err.msg);
        ds_error_release(&err);
    }
}

static int initial_sync(struct run_ctx *r, struct ds_error *err)
{
    for (size_t k = 0; k < r->w->n_rules; k++) {
        const struct watch_rule *rule = &r->w->rules[k];
        struct strvec hosts = STRVEC_INIT, names = STRVEC_INIT;
        const struct watch_rule *rules[1] = {rule};
        int rc;

        if (rule->w->initial_sync != 1 || !is_sync(rule->w->action))
            continue;
        strvec_push(&hosts, rule->w->path);
        strvec_push(&names, rule->w->target);
        rc = sync_paths(r, rule->service, &hosts, &names, rules, err);
        strvec_clear(&hosts);
        strvec_clear(&names);
        if (rc == DS_ENOTFOUND) {
            /* nothing runs yet (watch --no-up): as in Compose, nothing to copy into */
            say(r, true, "initial sync of '%s': %s", rule->w->path, err->msg);
            ds_error_release(err);
            continue;
        }
        if (rc < 0)
            return ds_error_wrap(err, "initial sync of '%s' for service '%s'", rule->w->path,
                                 rule->service->name);
    }
    return 0;
}

int watch_run(struct watch *w, struct engine *e, const struct watch_options *o,
              struct ds_error *err)
{
    struct run_ctx r = {.w = w, .e = e, .o = o};
    struct fswatch *fw = NULL;
    struct watch_batch batch;
    struct strvec changed = STRVEC_INIT;
    volatile sig_atomic_t *old_cancel = engine_set_cancel_flag(e, o->cancel);
    int rc;

    watch_batch_init(&batch);
    for (size_t i = 0; i < w->warnings.n; i++)
        say(&r, true, "%s", w->warnings.v[i]);
    rc = fswatch_new(&fw, err);
    for (size_t i = 0; rc == 0 && i < w->n_rules; i++)
        rc = fswatch_add(fw, w->rules[i].w->path, err);
    if (rc == 0)
        rc = initial_sync(&r, err);
    if (rc < 0)
        goto done;
    say(&r, false, "Watch enabled");
    while (!(o->cancel && *o->cancel)) {
        long due = watch_batch_due_in(&batch, clock_ms(), WATCH_QUIET_MS, WATCH_BATCH_MAX_MS);
        struct pollfd pfd = {.fd = fswatch_fd(fw), .events = POLLIN};
        int n;

        if (due != 0) {
            /* never block long: a signal that came just before poll() is seen soon */
            n = poll(&pfd, 1, due < 0 || due > 250 ? 250 : (int)due);
            if (n < 0 && errno != EINTR) {
                rc = ds_error_errno(err, errno, "cannot wait for file changes");
                break;
            }
            if (n > 0) {
                uint64_t now = clock_ms();

                rc = fswatch_read(fw, &changed, err);
                if (rc == DS_EINTR) {
                    rc = 0;
                    continue;
                }
                if (rc < 0)
                    break;
                for (size_t i = 0; i < changed.n; i++)
                    watch_batch_add(&batch, changed.v[i], now);
                strvec_clear(&changed);
            }
            continue;
        }
        watch_batch_take(&batch, &changed);
        handle_batch(&r, &changed);
        strvec_clear(&changed);
    }
done:
    engine_set_cancel_flag(e, old_cancel);
    forget_containers(&r, NULL);
    fswatch_free(fw);
    watch_batch_release(&batch);
    strvec_clear(&changed);
    return rc;
}
