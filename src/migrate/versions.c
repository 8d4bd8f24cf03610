/*
 * The version locations: finding their revision files as Alembic's
 * ScriptDirectory._load_revisions() does (directory order, or a sorted
 * walk with recursive_version_locations), reading each into the map.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrate/internal.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/path.h"
#include "util/strvec.h"
#include "util/strmap.h"
#include "util/banned.h"

#define REVFILE_MAX_SIZE (16u << 20)
#define LOAD_THREADS_MAX 7  /* besides the calling thread */
#define BATCH_DIRFDS_MAX 64 /* directories kept open; the files of others are read by path */

struct loader {
    struct revmap *map;
    struct strvec seen;    /* real paths loaded so far */
    struct strmap seen_at; /* ... indexed */
    struct ds_error *err;
};

/* _only_source_rev_file, (?!\.\#|__init__)(.*\.py)$, as re.match() applies it */
static bool is_script_name(const char *name)
{
    size_t n = strlen(name);

    if (!strncmp(name, ".#", 2) || !strncmp(name, "__init__", 8) || strchr(name, '\n'))
        return false;
    return n >= 3 && !strcmp(name + n - 3, ".py");
}

/* _legacy_rev, ([a-f0-9]+)\.py$: the revision id of an Alembic 0.1 file is its name */
static bool is_legacy_name(const char *name)
{
    size_t n = strspn(name, "0123456789abcdef");

    return n && !strcmp(name + n, ".py");
}

/* One file to read: name in one of the batch's directories, then what came of it. */
struct script {
    size_t dir;
    char *name;
    struct revision *rev;
    int rc;
    struct ds_error err;
};

struct batch {
    struct script *v;
    size_t n, alloc;
    size_t next;        /* the next unclaimed script; workers take it atomically */
    struct strvec dirs; /* the directories, as the paths of their scripts start */
    int *dirfds;        /* ... open, to read relative to them; -1: by path */
    size_t dirfds_alloc;
};

#define BATCH_INIT                                                                                 \
    {                                                                                              \
        NULL, 0, 0, 0, STRVEC_INIT, NULL, 0                                                        \
    }

static void batch_add(struct batch *b, const char *dir, const char *name)
{
    if (!b->dirs.n || strcmp(b->dirs.v[b->dirs.n - 1], dir)) {
        b->dirfds = xgrow(b->dirfds, &b->dirfds_alloc, b->dirs.n + 1, sizeof(*b->dirfds));
        b->dirfds[b->dirs.n] =
                b->dirs.n < BATCH_DIRFDS_MAX ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        strvec_push(&b->dirs, dir);
    }
    b->v = xgrow(b->v, &b->alloc, b->n + 1, sizeof(*b->v));
    b->v[b->n++] = (struct script){b->dirs.n - 1, xstrdup(name), NULL, DS_OK, DS_ERROR_INIT};
}

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].name);
        revision_free(b->v[i].rev);
        ds_error_release(&b->v[i].err);
    }
    for (size_t i = 0; i < b->dirs.n; i++)
        if (b->dirfds[i] >= 0)
            close(b->dirfds[i]);
    free(b->v);
    free(b->dirfds);
    strvec_clear(&b->dirs);
    *b = (struct batch)BATCH_INIT;
}

/*
 * Script._from_filename() for a script of the batch: a file without
 * `revision` is an error unless its name is a legacy revision id. text is
 * the caller's buffer, reused from file to file.
 */
static void load_script(const struct batch *b, struct script *s, struct buf *text)
{
    char *path = path_join(b->dirs.v[s->dir], s->name);
    int dirfd = b->dirfds[s->dir];
    struct revfile_names names;
    int rc;

    buf_reset(text);
    if (dirfd >= 0)
        rc = source_readat(text, dirfd, s->name, path, REVFILE_MAX_SIZE, &s->err);
    else
        rc = source_read(text, path, REVFILE_MAX_SIZE, &s->err);
    if (rc < 0)
        goto done;
    rc = revfile_parse(&s->rev, &names, path, text->buf, text->len, &s->err);
    if (rc < 0)
        goto done;
    if (!names.revision) {
        if (!is_legacy_name(s->name)) {
            rc = source_fail(&s->err, DS_EINVAL, path, 0,
                             "cannot determine the revision id: no 'revision' "
                             "assignment");
            ds_error_hint(&s->err, "Alembic requires every .py file in a version location to "
                                   "be a revision script");
            goto done;
        }
        s->rev->id = xstrndup(s->name, strlen(s->name) - 3);
    }
    if (!names.down_revision)
        /* Script.__init__ reads module.down_revision without a default */
        rc = source_fail(&s->err, DS_EINVAL, path, names.revision_line,
                         "no 'down_revision' assignment");

done:
    if (rc < 0) {
        revision_free(s->rev);
        s->rev = NULL;
    }
    s->rc = rc;
    free(path);
}

#define BATCH_CHUNK 32 /* scripts a worker claims at a time */

static void *load_worker(void *arg)
{
    struct batch *b = arg;
    struct buf text = BUF_INIT;

    for (;;) {
        size_t at = __atomic_fetch_add(&b->next, BATCH_CHUNK, __ATOMIC_RELAXED);

        if (at >= b->n)
            break;
        for (size_t i = at; i < b->n && i < at + BATCH_CHUNK; i++)
            load_script(b, &b->v[i], &text);
    }
    buf_release(&text);
    return NULL;
}

/*
 * Read and parse the batch on up to one thread per processor (reading
 * thousands of small files is mostly system calls), then add the revisions
 * in the batch's order. The error is the first in that order, as
 * loading them one by one would report it.
 */
static int load_batch(struct loader *ld, struct batch *b)
{
    pthread_t threads[LOAD_THREADS_MAX];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t want = b->n / (4 * BATCH_CHUNK), started = 0;

    if (cpus > 0 && want > (size_t)cpus - 1)
        want = (size_t)cpus - 1;
    if (want > LOAD_THREADS_MAX)
        want = LOAD_THREADS_MAX;
    while (started < want && !pthread_create(&threads[started], NULL, load_worker, b))
        started++;
    load_worker(b);
    while (started)
        pthread_join(threads[--started], NULL);
    for (size_t i = 0; i < b->n; i++) {
        struct script *s = &b->v[i];

        if (s->rc < 0) {
            ds_error_release(ld->err);
            *ld->err = s->err;
            s->err = (struct ds_error)DS_ERROR_INIT;
            return s->rc;
        }
        revmap_add(ld->map, s->rev);
        s->rev = NULL;
    }
    return DS_OK;
}

/* The first time a real path (taken) comes up: ScriptDirectory._load_revisions()'s `dupes`. */
static bool seen_first(struct loader *ld, char *real, char **real_out)
{
    if (strmap_get(&ld->seen_at, real, NULL)) {
        free(real);
        return false;
    }
    strvec_push(&ld->seen, real);
    strmap_add(&ld->seen_at, ld->seen.v[ld->seen.n - 1], ld->seen.n - 1, NULL);
    if (real_out)
        *real_out = real;
    else
        free(real);
    return true;
}

/* The same for a path not resolved yet. */
static bool first_sight(struct loader *ld, const char *path, char **real_out)
{
    char *real = realpath(path, NULL);

    if (!real)
        real = xstrdup(path);
    return seen_first(ld, real, real_out);
}

/* Alembic 1.8: os.listdir() order, which is readdir()'s. */
static int load_dir(struct loader *ld, const char *dir, bool must_exist)
{
    struct strvec names = STRVEC_INIT;
    struct batch batch = BATCH_INIT;
    struct dirent *e;
    DIR *d = opendir(dir);
    char *real_dir = NULL;
    int rc = DS_OK;

    if (!d) {
        if (!must_exist && errno == ENOENT)
            return DS_OK;
        return ds_error_errno(ld->err, errno, "cannot list the version location '%s'", dir);
    }
    /*
     * The real path of an entry that is not a symbolic link is the
     * directory's real path and its name: one realpath() for the directory,
     * not one (a readlink() per component) for each of thousands of files.
     */
    real_dir = realpath(dir, NULL);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            /* 'r': its real path is real_dir/name; '?': ask realpath() */
            strvec_pushf(&names, "%c%s",
                         real_dir && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN ? 'r' : '?',
                         e->d_name);
    closedir(d);
    for (size_t i = 0; i < names.n; i++) {
        const char *name = names.v[i] + 1;
        bool first;

        if (names.v[i][0] == 'r') {
            first = seen_first(ld, path_join(real_dir, name), NULL);
        } else {
            char *path = path_join(dir, name);

            first = first_sight(ld, path, NULL);
            free(path);
        }
        if (first && is_script_name(name))
            batch_add(&batch, dir, name);
    }
    rc = load_batch(ld, &batch);
    batch_clear(&batch);
    strvec_clear(&names);
    free(real_dir);
    return rc;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * recursive_version_locations (Alembic 1.10 and later, Script._list_py_dir):
 * os.walk() top-down, each directory's files in sorted order and then its
 * subdirectories in sorted order, __pycache__ left out, symbolic links to
 * directories not followed, unreadable directories silently skipped; the
 * scripts, named by their real paths, are added to batch.
 */
static void walk_dir(struct loader *ld, struct batch *batch, const char *dir, unsigned depth)
{
    struct strvec files = STRVEC_INIT, dirs = STRVEC_INIT;
    size_t n = strlen(dir);
    struct dirent *e;
    DIR *d;

    if ((n >= 11 && !strcmp(dir + n - 11, "__pycache__")) || depth > 64)
        return;
    d = opendir(dir);
    if (!d)
        return;
    while ((e = readdir(d))) {
        char *path;
        struct stat st;

        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        path = path_join(dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (lstat(path, &st) == 0 && !S_ISLNK(st.st_mode))
                strvec_push(&dirs, e->d_name);
        } else {
            strvec_push(&files, e->d_name);
        }
        free(path);
    }
    closedir(d);
    qsort(files.v, files.n, sizeof(*files.v), compare_names);
    qsort(dirs.v, dirs.n, sizeof(*dirs.v), compare_names);
    for (size_t i = 0; i < files.n; i++) {
        char *path = path_join(dir, files.v[i]), *real = NULL;

        if (first_sight(ld, path, &real)) {
            char *slash = strrchr(real, '/');

            if (is_script_name(slash + 1)) {
                char *rdir = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));

                batch_add(batch, rdir, slash + 1);
                free(rdir);
            }
            free(real);
        }
        free(path);
    }
    for (size_t i = 0; i < dirs.n; i++) {
        char *path = path_join(dir, dirs.v[i]);

        walk_dir(ld, batch, path, depth + 1);
        free(path);
    }
    strvec_clear(&files);
    strvec_clear(&dirs);
}

int revmap_load(struct revmap *map, const struct alembic_ini *ini, struct ds_error *err)
{
    struct loader ld = {map, STRVEC_INIT, STRMAP_INIT, err};
    struct buf def = BUF_INIT;
    bool defaulted;
    int rc = DS_OK;

    /* ScriptDirectory.__init__ */
    if (access(ini->script_location, F_OK) < 0) {
        if (ini->script_location_line)
            rc = ds_error_set(err, DS_ENOTFOUND, "%s:%u: script location '%s' does not exist",
                              ini->path, ini->script_location_line, ini->script_location);
        else
            rc = ds_error_set(err, DS_ENOTFOUND, "script location '%s' does not exist",
                              ini->script_location);
        ds_error_hint(err, "create it with 'alembic init', or fix 'script_location'");
        goto done;
    }
    /*
     * Alembic skips a version location that does not exist, except the
     * default <script_location>/versions, which it lists regardless.
     */
    buf_adds(&def, ini->script_location);
    if (!def.len || def.buf[def.len - 1] != '/')
        buf_addch(&def, '/');
    buf_adds(&def, "versions");
    defaulted = ini->version_locations.n == 1 && !strcmp(ini->version_locations.v[0], def.buf);
    for (size_t i = 0; i < ini->version_locations.n && rc == DS_OK; i++) {
        const char *loc = ini->version_locations.v[i];

        if (ini->recursive_version_locations) {
            struct batch batch = BATCH_INIT;

            walk_dir(&ld, &batch, loc, 0);
            rc = load_batch(&ld, &batch);
            batch_clear(&batch);
        } else {
            rc = load_dir(&ld, loc, defaulted);
        }
    }
    if (rc == DS_OK)
        rc = revmap_build(map, err);

done:
    strmap_release(&ld.seen_at);
    strvec_clear(&ld.seen);
    buf_release(&def);
    return rc;
}
