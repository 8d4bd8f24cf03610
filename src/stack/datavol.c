/*
 * A database's data volume holds one engine's files. `up` refuses to start a
 * service on a volume (or bind directory) that holds another engine's: a
 * compose file switched from MySQL to PostgreSQL keeps the volume's name, and
 * PostgreSQL's entrypoint would stop at a directory that is not empty, while
 * MySQL's would initialize a data directory among PostgreSQL's files.
 *
 * What a volume holds is known from the label devstack gives the volumes it
 * creates for a data directory, else from the service's containers that
 * mount it now (a volume Compose made), else from its files, seen through a
 * container that is never started; what a bind directory holds, from its
 * files (through such a container when devstack may not read them).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

static const struct {
    const char *dir, *database;
} data_dirs[] = {
        {"/var/lib/mysql", "mysql"}, /* the mysql and mariadb images */
        {"/var/lib/postgresql/data", "postgresql"},
        {"/var/lib/postgresql", "postgresql"}, /* postgres 18 declares the parent as the volume */
};

const char *stack_data_dir_database(const char *target)
{
    size_t n = target ? strlen(target) : 0;

    while (n > 1 && target[n - 1] == '/')
        n--;
    for (size_t i = 0; i < ARRAY_SIZE(data_dirs); i++)
        if (n == strlen(data_dirs[i].dir) && !strncmp(target, data_dirs[i].dir, n))
            return data_dirs[i].database;
    return NULL;
}

static const char *database_title(const char *database)
{
    return !strcmp(database, "mysql")        ? "MySQL"
           : !strcmp(database, "postgresql") ? "PostgreSQL"
                                             : database;
}

const char *stack_volume_database(const struct compose_project *p, const char *name)
{
    for (size_t i = 0; i < p->n_services; i++) {
        const struct compose_service *s = &p->services[i];

        for (size_t k = 0; k < s->n_volumes; k++) {
            const struct compose_mount *m = &s->volumes[k];
            const struct compose_volume *v;
            const char *database;

            if (m->type != COMPOSE_MOUNT_VOLUME || !m->source || m->subpath ||
                !(database = stack_data_dir_database(m->target)))
                continue;
            v = compose_find_volume(p, m->source);
            if (!strcmp(v ? v->name : m->source, name))
                return database;
        }
    }
    return NULL;
}

int stack_data_volume_conflict(const struct compose_project *p, const struct strvec *services,
                               const struct stack_data_held *held, size_t n_held,
                               struct ds_error *err)
{
    for (size_t i = 0; i < services->n; i++) {
        const struct compose_service *s = compose_find_service(p, services->v[i]);

        for (size_t k = 0; s && k < s->n_volumes; k++) {
            const struct compose_mount *m = &s->volumes[k];
            const struct compose_volume *v;
            const char *database = stack_data_dir_database(m->target), *name;

            if (!database || !m->source || m->subpath ||
                (m->type != COMPOSE_MOUNT_VOLUME && m->type != COMPOSE_MOUNT_BIND))
                continue;
            v = m->type == COMPOSE_MOUNT_VOLUME ? compose_find_volume(p, m->source) : NULL;
            name = v ? v->name : m->source;
            for (size_t h = 0; h < n_held; h++) {
                if (strcmp(held[h].volume, name) || !strcmp(held[h].database, database))
                    continue;
                ds_error_set(err, DS_ECONFLICT,
                             "service '%s': %s '%s' holds %s's data (%s), and '%s' now mounts it "
                             "at %s for %s, which cannot start on it",
                             s->name, m->type == COMPOSE_MOUNT_VOLUME ? "volume" : "directory",
                             name, database_title(held[h].database), held[h].how, s->name,
                             m->target, database_title(database));
                ds_error_hint(err,
                              "nothing was changed. To keep %s, put the file back as it was (the "
                              "bundled stack: DB_ENGINE in compose/.env). To start '%s' over, "
                              "empty, on %s: 'devstack reset --no-snapshot' deletes the data "
                              "after listing it; take a snapshot of the old database first with "
                              "the file as it was ('devstack db snapshot')",
                              database_title(held[h].database), s->name, database_title(database));
                return DS_ECONFLICT;
            }
        }
    }
    return 0;
}

/* ---- what the volumes hold, as the engine and the files tell ---------------------------- */

struct held_list {
    struct stack_data_held *items;
    size_t n, alloc;
};

static void held_add(struct held_list *l, const char *volume, const char *database, char *how)
{
    l->items = xgrow(l->items, &l->alloc, l->n + 1, sizeof(*l->items));
    l->items[l->n++] = (struct stack_data_held){xstrdup(volume), database, how};
}

static bool is_file(const char *dir, const char *name, bool want_dir)
{
    struct buf path = BUF_INIT;
    struct stat st;
    bool ok;

    buf_addf(&path, "%s/%s", dir, name);
    ok = !stat(path.buf, &st) && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
    buf_release(&path);
    return ok;
}

/* A bind directory's files: PostgreSQL's PG_VERSION, MySQL's mysql/ schema directory. */
static void held_by_files(struct held_list *l, const char *dir)
{
    if (is_file(dir, "PG_VERSION", false))
        held_add(l, dir, "postgresql", xstrdup("its PG_VERSION file"));
    else if (is_file(dir, "mysql", true) &&
             (is_file(dir, "ibdata1", false) || is_file(dir, "mysql.ibd", false) ||
              is_file(dir, "aria_log_control", false)))
        held_add(l, dir, "mysql", xstrdup("its mysql/ and InnoDB files"));
}

static bool observed_volume_exists(const struct stack_observed *o, const char *name)
{
    for (size_t i = 0; i < o->n_volumes; i++)
        if (!strcmp(o->volumes[i].name, name))
            return true;
    return false;
}

/* The volumes and bind directories a container mounts at a data directory. */
static int held_by_container(struct held_list *l, struct engine *e, const struct stack_container *c,
                             struct ds_error *err)
{
    struct engine_container_info info;
    struct stack_mount_points mounts;

    if (engine_container_inspect(e, c->id, &info, err) < 0) {
        if (err->code != DS_ENOTFOUND)
            return err->code;
        ds_error_release(err); /* gone meanwhile */
        return 0;
    }
    stack_mount_points_from_json(cJSON_GetObjectItemCaseSensitive(info.raw, "Mounts"), &mounts);
    for (size_t i = 0; i < mounts.n; i++) {
        const struct stack_mount_point *m = &mounts.items[i];
        const char *database = stack_data_dir_database(m->destination);
        struct buf how = BUF_INIT;

        if (!database || !(m->name || (!strcmp(m->type, "bind") && m->source)))
            continue;
        buf_addf(&how, "%s in container %s", m->destination, c->name);
        held_add(l, m->name ? m->name : m->source, database, buf_detach(&how, NULL));
    }
    stack_mount_points_release(&mounts);
    engine_container_info_release(&info);
    return 0;
}

static bool held_known(const struct held_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].volume, name))
            return true;
    return false;
}

/* The first image of the project's services the engine has, the service's own first. */
static const char *peek_image(const struct stack_observed *o, const char *service)
{
    const struct stack_image *own = stack_observed_image(o, service);

    if (own && own->id)
        return own->id;
    for (size_t i = 0; i < o->n_images; i++)
        if (o->images[i].id)
            return o->images[i].id;
    return NULL;
}

#define PEEK_DIR "/devstack-peek"

/* Is `name` below PEEK_DIR in container `id` a directory (want_dir) or another file? */
static int peek_stat(struct engine *e, const char *id, const char *name, bool want_dir, bool *found,
                     struct ds_error *err)
{
    struct engine_path_stat st;
    struct buf path = BUF_INIT;
    int rc;

    buf_addf(&path, "%s/%s", PEEK_DIR, name);
    rc = engine_container_stat_path(e, id, path.buf, &st, err);
    buf_release(&path);
    *found = false;
    if (rc == DS_ENOTFOUND) {
        ds_error_release(err);
        return 0;
    }
    if (rc < 0)
        return rc;
    *found = !(st.mode & ENGINE_MODE_SYMLINK) && !!(st.mode & ENGINE_MODE_DIR) == want_dir;
    engine_path_stat_release(&st);
    return 0;
}

/*
 * What a volume, or a directory devstack may not read (the images' data
 * directories are their server user's, mode 0700), holds when no container
 * mounts it now: seen through a container that is created and never
 * started, whose mounts the engine's archive endpoint mounts to answer a
 * HEAD of a path. Any image will do, as nothing in it runs.
 */
static int held_by_peek(struct held_list *l, struct engine *e, const char *image,
                        enum engine_mount_type type, const char *source, struct ds_error *err)
{
    static const char *const innodb[] = {"ibdata1", "mysql.ibd", "aria_log_control"};
    struct engine_container_config c;
    struct engine_mount *m;
    char *id = NULL;
    bool found = false;
    int rc;

    engine_container_config_init(&c);
    c.image = xstrdup(image);
    c.network_mode = xstrdup("none");
    kvlist_set(&c.labels, "dev.devstack.peek", "data-directory");
    m = engine_container_config_add_mount(&c);
    m->type = type;
    m->source = xstrdup(source);
    m->target = xstrdup(PEEK_DIR);
    m->read_only = true;
    rc = engine_container_create(e, &c, &id, NULL, err);
    engine_container_config_release(&c);
    if (rc < 0)
        return ds_error_wrap(err, "looking at what %s '%s' holds",
                             type == ENGINE_MOUNT_VOLUME ? "volume" : "directory", source);
    rc = peek_stat(e, id, "PG_VERSION", false, &found, err);
    if (rc == 0 && found) {
        held_add(l, source, "postgresql", xstrdup("its PG_VERSION file"));
    } else if (rc == 0 && (rc = peek_stat(e, id, "mysql", true, &found, err)) == 0 && found) {
        found = false;
        for (size_t i = 0; rc == 0 && !found && i < ARRAY_SIZE(innodb); i++)
            rc = peek_stat(e, id, innodb[i], false, &found, err);
        if (rc == 0 && found)
            held_add(l, source, "mysql", xstrdup("its mysql/ and InnoDB files"));
    }
    /*
     * With its anonymous volumes: the engine made one for each VOLUME of the
     * image (mysql's /var/lib/mysql), and nothing else would ever remove
     * them. The volume or directory looked at is named, and stays.
     */
    if (rc < 0) {
        struct ds_error ignored = DS_ERROR_INIT;

        engine_container_remove(e, id, true, true, &ignored); /* the first error is the one */
        ds_error_release(&ignored);
    } else {
        rc = engine_container_remove(e, id, true, true, err);
    }
    free(id);
    return rc;
}

/* A directory with something in it that devstack may not look into. */
static bool unreadable_nonempty(const char *dir)
{
    struct stat st;

    /* a data directory has subdirectories: more links than its "." and its parent's entry */
    return !stat(dir, &st) && S_ISDIR(st.st_mode) && st.st_nlink > 2 && access(dir, R_OK | X_OK);
}

int stack_check_data_volumes(struct engine *e, const struct compose_project *p,
                             const struct stack_observed *o, const struct strvec *services,
                             struct ds_error *err)
{
    struct held_list held = {0};
    int rc = 0;

    for (size_t i = 0; i < o->n_volumes; i++) {
        const char *database = kvlist_get(&o->volumes[i].labels, LABEL_DEVSTACK_DATABASE);
        struct buf how = BUF_INIT;

        if (!database || !*database)
            continue;
        buf_addf(&how, "its label %s=%s", LABEL_DEVSTACK_DATABASE, database);
        held_add(&held, o->volumes[i].name, database, buf_detach(&how, NULL));
    }
    for (size_t i = 0; rc == 0 && i < services->n; i++) {
        const struct compose_service *s = compose_find_service(p, services->v[i]);
        bool data = false;

        for (size_t k = 0; s && k < s->n_volumes; k++)
            data |= (s->volumes[k].type == COMPOSE_MOUNT_VOLUME ||
                     s->volumes[k].type == COMPOSE_MOUNT_BIND) &&
                    s->volumes[k].source && !s->volumes[k].subpath &&
                    stack_data_dir_database(s->volumes[k].target);
        if (!data)
            continue;
        /* first what the service's containers mount now, then what the files say */
        for (size_t k = 0; rc == 0 && k < o->n_containers; k++)
            if (!o->containers[k].oneoff && !strcmp(o->containers[k].service, s->name))
                rc = held_by_container(&held, e, &o->containers[k], err);
        for (size_t k = 0; rc == 0 && k < s->n_volumes; k++) {
            const struct compose_mount *m = &s->volumes[k];
            const struct compose_volume *v;
            const char *image = peek_image(o, s->name);

            if (!m->source || m->subpath || !stack_data_dir_database(m->target))
                continue;
            if (m->type == COMPOSE_MOUNT_BIND && !held_known(&held, m->source)) {
                if (!unreadable_nonempty(m->source))
                    held_by_files(&held, m->source);
                else if (image)
                    rc = held_by_peek(&held, e, image, ENGINE_MOUNT_BIND, m->source, err);
            } else if (m->type == COMPOSE_MOUNT_VOLUME && (v = compose_find_volume(p, m->source)) &&
                       !held_known(&held, v->name) && observed_volume_exists(o, v->name) && image) {
                rc = held_by_peek(&held, e, image, ENGINE_MOUNT_VOLUME, v->name, err);
            }
        }
    }
    if (rc == 0)
        rc = stack_data_volume_conflict(p, services, held.items, held.n, err);
    for (size_t i = 0; i < held.n; i++) {
        free((char *)held.items[i].volume);
        free(held.items[i].how);
    }
    free(held.items);
    return rc;
}
