/*
 * The version locations: finding their revision files as Alembic's
 * ScriptDirectory._load_revisions() does (directory order, or a sorted
 * walk with recursive_version_locations), reading each into the map.
 */
#include <dirent.h>
#include <errno.h>
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

/*
 * Script._from_filename() for dir/name: not a script name is skipped; a file
 * without `revision` is an error unless its name is a legacy revision id.
 */
static int load_script(struct loader *ld, const char *dir, const char *name)
{
    struct buf text = BUF_INIT;
    struct revision *rev = NULL;
    char *path = path_join(dir, name);
    struct revfile_names names;
    int rc = DS_OK;

    if (!is_script_name(name))
        goto done;
    rc = source_read(&text, path, REVFILE_MAX_SIZE, ld->err);
    if (rc < 0)
        goto done;
    rc = revfile_parse(&rev, &names, path, text.buf, text.len, ld->err);
    if (rc < 0)
        goto done;
    if (!names.revision) {
        if (!is_legacy_name(name)) {
            rc = source_fail(ld->err, DS_EINVAL, path, 0,
                             "cannot determine the revision id: no 'revision' "
                             "assignment");
            ds_error_hint(ld->err, "Alembic requires every .py file in a version location to "
                                   "be a revision script");
            goto done;
        }
        rev->id = xstrndup(name, strlen(name) - 3);
    }
    if (!names.down_revision) {
        /* Script.__init__ reads module.down_revision without a default */
        rc = source_fail(ld->err, DS_EINVAL, path, names.revision_line,
                         "no 'down_revision' assignment");
        goto done;
    }
    revmap_add(ld->map, rev);
    rev = NULL;

done:
    revision_free(rev);
    buf_release(&text);
    free(path);
    return rc;
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
    for (size_t i = 0; i < names.n && rc == DS_OK; i++) {
        const char *name = names.v[i] + 1;
        bool first;

        if (names.v[i][0] == 'r') {
            first = seen_first(ld, path_join(real_dir, name), NULL);
        } else {
            char *path = path_join(dir, name);

            first = first_sight(ld, path, NULL);
            free(path);
        }
        if (first)
            rc = load_script(ld, dir, name);
    }
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
 * scripts are named by their real paths.
 */
static int walk_dir(struct loader *ld, const char *dir, unsigned depth)
{
    struct strvec files = STRVEC_INIT, dirs = STRVEC_INIT;
    size_t n = strlen(dir);
    struct dirent *e;
    DIR *d;
    int rc = DS_OK;

    if ((n >= 11 && !strcmp(dir + n - 11, "__pycache__")) || depth > 64)
        return DS_OK;
    d = opendir(dir);
    if (!d)
        return DS_OK;
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
    for (size_t i = 0; i < files.n && rc == DS_OK; i++) {
        char *path = path_join(dir, files.v[i]), *real = NULL;

        if (first_sight(ld, path, &real)) {
            char *slash = strrchr(real, '/');
            char *rdir = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));

            rc = load_script(ld, rdir, slash + 1);
            free(rdir);
            free(real);
        }
        free(path);
    }
    for (size_t i = 0; i < dirs.n && rc == DS_OK; i++) {
        char *path = path_join(dir, dirs.v[i]);

        rc = walk_dir(ld, path, depth + 1);
        free(path);
    }
    strvec_clear(&files);
    strvec_clear(&dirs);
    return rc;
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

        if (ini->recursive_version_locations)
            rc = walk_dir(&ld, loc, 0);
        else
            rc = load_dir(&ld, loc, defaulted);
    }
    if (rc == DS_OK)
        rc = revmap_build(map, err);

done:
    strmap_release(&ld.seen_at);
    strvec_clear(&ld.seen);
    buf_release(&def);
    return rc;
}
