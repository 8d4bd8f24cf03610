/* Opening a workspace: alembic.ini, the database URL and why, connections, readiness. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "workspace/workspace.h"
#include "workspace/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/path.h"
#include "util/strutil.h"
#include "util/banned.h"

/* A first connection says quickly why the server cannot be reached ... */
#define PROBE_TIMEOUT_MS 5000u
/* ... the one that dumps or loads waits as long as a big statement takes */
#define WORK_TIMEOUT_MS (3600u * 1000)

static bool env_true(const char *name)
{
    const char *v = getenv(name);

    return v && *v && strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
}

bool workspace_inside_app(void)
{
    return env_true("DEVSTACK_DEVCONTAINER");
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void url_copy(struct db_url *dst, const struct db_url *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->scheme = dup_or_null(src->scheme);
    dst->user = dup_or_null(src->user);
    dst->password = dup_or_null(src->password);
    dst->host = dup_or_null(src->host);
    dst->engine = src->engine;
    dst->port = src->port;
    dst->port_given = src->port_given;
    dst->database = dup_or_null(src->database);
    dst->unix_socket = dup_or_null(src->unix_socket);
    kvlist_copy(&dst->query, &src->query);
}

int workspace_choose_url(struct workspace_url *out, const struct workspace_url_inputs *in,
                         struct ds_error *err)
{
    const struct workspace_services *svc = in->project ? in->services : NULL;
    struct buf why = BUF_INIT;

    memset(out, 0, sizeof(*out));
    if (in->env && *in->env) {
        if (db_url_parse(&out->url, in->env, err) < 0)
            return ds_error_wrap(err, "DATABASE_URL");
        out->source = WORKSPACE_URL_ENV;
        out->origin = xstrdup("DATABASE_URL");
        return 0;
    }
    if (svc && svc->have_url) {
        url_copy(&out->url, &svc->url);
        out->source = WORKSPACE_URL_SERVICE;
        out->origin = xstrdup(svc->db->name);
        return 0;
    }
    if (in->ini_path && in->ini_url) {
        if (db_url_parse(&out->url, in->ini_url, err) < 0)
            return ds_error_wrap(err, "%s:%u: sqlalchemy.url", in->ini_path, in->ini_url_line);
        out->source = WORKSPACE_URL_INI;
        out->origin = xstrdup(in->ini_path);
        return 0;
    }

    buf_adds(&why, "no database URL: DATABASE_URL is not set");
    if (svc && svc->no_url)
        buf_addf(&why, ", %s", svc->no_url);
    else if (svc && !svc->db)
        buf_adds(&why, ", the compose project has no MySQL or MariaDB service");
    if (in->ini_path)
        buf_addf(&why, " and '%s' has no sqlalchemy.url", in->ini_path);
    out->source = WORKSPACE_URL_NONE;
    out->why_none = buf_detach(&why, NULL);
    return 0;
}

static bool loopback(const char *host)
{
    return !host || !*host || !strcmp(host, "localhost") || !strcmp(host, "127.0.0.1") ||
           !strcmp(host, "::1");
}

static bool same_text(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

static bool same_server(const struct db_url *a, const struct db_url *b)
{
    bool hosts = loopback(a->host) && loopback(b->host) ? true : same_text(a->host, b->host);

    return hosts && a->port == b->port && same_text(a->unix_socket, b->unix_socket) &&
           same_text(a->database, b->database);
}

enum workspace_stack_db workspace_stack_db(const struct workspace_url *chosen,
                                           const struct workspace_services *svc, bool other_ok)
{
    if (chosen->source != WORKSPACE_URL_ENV || !svc || !svc->db)
        return WORKSPACE_STACK_DB_CHOSEN;
    if (svc->have_url && same_server(&chosen->url, &svc->url))
        return WORKSPACE_STACK_DB_CHOSEN;
    return other_ok ? WORKSPACE_STACK_DB_SERVICE : WORKSPACE_STACK_DB_REFUSED;
}

static void describe_url(const struct db_url *u, struct buf *out)
{
    buf_addf(out, "database '%s' on ", u->database ? u->database : "");
    if (u->unix_socket)
        buf_addf(out, "socket %s", u->unix_socket);
    else
        buf_addf(out, "%s:%u", u->host ? u->host : "localhost", u->port);
}

void workspace_describe_db(const struct workspace *ws, struct buf *out)
{
    if (ws->url.source == WORKSPACE_URL_NONE) {
        buf_adds(out, "no database");
        return;
    }
    describe_url(&ws->url.url, out);
    if (ws->url.source == WORKSPACE_URL_SERVICE)
        buf_addf(out, " (service '%s')", ws->url.origin);
    else
        buf_addf(out, " (from %s)", ws->url.origin);
}

int workspace_use_stack_db(struct workspace *ws, const char *what, bool other_ok,
                           struct ds_error *err)
{
    const struct workspace_services *svc = &ws->services;
    struct buf env = BUF_INIT, stack = BUF_INIT;

    switch (workspace_stack_db(&ws->url, ws->project ? svc : NULL, other_ok)) {
    case WORKSPACE_STACK_DB_CHOSEN:
        return 0;
    case WORKSPACE_STACK_DB_SERVICE:
        workspace_url_release(&ws->url);
        if (svc->have_url) {
            url_copy(&ws->url.url, &svc->url);
            ws->url.source = WORKSPACE_URL_SERVICE;
            ws->url.origin = xstrdup(svc->db->name);
        } else {
            ws->url.source = WORKSPACE_URL_NONE;
            ws->url.why_none = xstrdup(svc->no_url ? svc->no_url : "no database URL");
        }
        return 0;
    case WORKSPACE_STACK_DB_REFUSED:
        break;
    }
    describe_url(&ws->url.url, &env);
    if (svc->have_url)
        describe_url(&svc->url, &stack);
    else
        buf_addf(&stack, "service '%s', which the host cannot reach (%s)", svc->db->name,
                 svc->no_url ? svc->no_url : "no published port");
    ds_error_set(err, DS_EINVAL, "DATABASE_URL names %s, but %s acts on the stack's database: %s",
                 env.buf, what, stack.buf);
    ds_error_hint(err,
                  "unset DATABASE_URL for this command (env -u DATABASE_URL devstack %s), "
                  "or pass --stack-db to snapshot and change the stack's database",
                  what);
    buf_release(&env);
    buf_release(&stack);
    return DS_EINVAL;
}

void workspace_url_release(struct workspace_url *u)
{
    db_url_release(&u->url);
    free(u->origin);
    free(u->why_none);
    memset(u, 0, sizeof(*u));
}

/* alembic.ini: -c, $ALEMBIC_CONFIG, ./alembic.ini, the app service's directory, ./alembic.ini. */
static char *find_ini(const struct workspace *ws, const char *given)
{
    const char *env = getenv("ALEMBIC_CONFIG");

    if (given)
        return path_absolute(given);
    if (env && *env)
        return path_absolute(env);
    if (path_is_file("alembic.ini"))
        return path_absolute("alembic.ini");
    if (ws->project && ws->services.app_dir)
        return path_join(ws->services.app_dir, "alembic.ini");
    return path_absolute("alembic.ini");
}

int workspace_require(const struct workspace *ws, unsigned flags, struct ds_error *err)
{
    if ((flags & WORKSPACE_NEED_INI) && !ws->ini_loaded) {
        ds_error_set(err, DS_ENOTFOUND, "no alembic.ini at '%s'", ws->ini_path);
        ds_error_hint(err, "create the migration setup with 'devstack migrate --bootstrap', "
                           "or name the file with -c FILE");
        return DS_ENOTFOUND;
    }
    if ((flags & WORKSPACE_NEED_URL) && ws->url.source == WORKSPACE_URL_NONE) {
        ds_error_set(err, DS_EINVAL, "%s", ws->url.why_none ? ws->url.why_none : "no database URL");
        ds_error_hint(err, "set DATABASE_URL=mysql+pymysql://USER:PASSWORD@HOST:PORT/DB, "
                           "or sqlalchemy.url in alembic.ini");
        return DS_EINVAL;
    }
    return 0;
}

int workspace_open(struct workspace *ws, const struct compose_project *project,
                   const struct workspace_options *o, unsigned flags, struct ds_error *err)
{
    struct workspace_url_inputs in = {.env = getenv("DATABASE_URL")};
    int rc;

    memset(ws, 0, sizeof(*ws));
    ws->inside_app = workspace_inside_app();
    ws->force_local = env_true("DEVSTACK_LOCAL");
    /* inside the app's container the compose file is not ours to read */
    ws->project = ws->inside_app ? NULL : project;
    if (ws->project) {
        workspace_services(&ws->services, ws->project);
        workspace_pg_service_fallback(&ws->services, ws->project);
    }

    ws->ini_path = find_ini(ws, o ? o->alembic_config : NULL);
    ws->ini_exists = path_is_file(ws->ini_path);
    if (ws->ini_exists) {
        rc = alembic_ini_load(&ws->ini, ws->ini_path, o ? o->alembic_section : NULL, err);
        if (rc < 0)
            return rc;
        ws->ini_loaded = true;
    }

    in.project = ws->project;
    in.services = &ws->services;
    in.ini_path = ws->ini_loaded ? ws->ini.path : NULL;
    in.ini_url = ws->ini_loaded ? ws->ini.url : NULL;
    in.ini_url_line = ws->ini_loaded ? ws->ini.url_line : 0;
    rc = workspace_choose_url(&ws->url, &in, err);
    if (rc < 0)
        return rc;
    return workspace_require(ws, flags, err);
}

void workspace_release(struct workspace *ws)
{
    workspace_services_release(&ws->services);
    free(ws->ini_path);
    if (ws->ini_loaded)
        alembic_ini_release(&ws->ini);
    workspace_url_release(&ws->url);
    memset(ws, 0, sizeof(*ws));
}

int workspace_connect(const struct workspace *ws, struct db_conn **out, unsigned timeout_ms,
                      enum db_reason *why, struct ds_error *err)
{
    const struct compose_service *db = ws->services.db;
    int rc;

    if (workspace_require(ws, WORKSPACE_NEED_URL, err) < 0)
        return err->code;
    rc = db_connect(out, &ws->url.url, timeout_ms ? timeout_ms : WORKSPACE_CONNECT_TIMEOUT_MS, why,
                    err);
    if (rc < 0 && !err->hint) {
        if (ws->url.source == WORKSPACE_URL_SERVICE)
            ds_error_hint(err, "is the stack up? 'devstack up' starts service '%s'", db->name);
        else
            ds_error_hint(err, "check the URL from %s and that the server runs", ws->url.origin);
    }
    return rc;
}

int workspace_connect_for_work(const struct workspace *ws, struct db_conn **out,
                               struct ds_error *err)
{
    struct db_conn *probe = NULL;
    int rc = workspace_connect(ws, &probe, PROBE_TIMEOUT_MS, NULL, err);

    db_close(probe);
    if (rc < 0)
        return rc;
    return workspace_connect(ws, out, WORK_TIMEOUT_MS, NULL, err);
}

int workspace_wait(const struct workspace *ws, unsigned timeout_ms, volatile sig_atomic_t *cancel,
                   struct db_wait_result *res, struct ds_error *err)
{
    int rc = workspace_require(ws, WORKSPACE_NEED_URL, err);

    if (rc == 0) {
        rc = db_wait(&ws->url.url, timeout_ms, cancel, res, err);
        if (rc < 0 && rc != DS_EINTR && !err->hint)
            ds_error_hint(err, "the URL came from %s", ws->url.origin);
    }
    return rc;
}

void workspace_url_shown(const struct workspace *ws, struct buf *out)
{
    struct db_url shown = ws->url.url;

    if (shown.password)
        shown.password = (char *)"XXXXX";
    db_url_render(out, &shown, false);
}

int workspace_versions(const struct workspace *ws, struct strvec *versions, bool *table_exists,
                       struct ds_error *err)
{
    struct db_conn *conn = NULL;
    int rc = workspace_connect(ws, &conn, 0, NULL, err);

    if (rc < 0)
        return rc;
    rc = db_alembic_versions(conn, versions, table_exists, err);
    db_close(conn);
    return rc;
}

int workspace_revmap(const struct workspace *ws, struct revmap *map, struct ds_error *err)
{
    if (!ws->ini_loaded) {
        ds_error_set(err, DS_ENOTFOUND, "no alembic.ini at '%s'", ws->ini_path);
        ds_error_hint(err, "create the migration setup with 'devstack migrate --bootstrap'");
        return DS_ENOTFOUND;
    }
    return revmap_load(map, &ws->ini, err);
}

int workspace_wait_db(const struct compose_project *p, const struct strvec *services, bool no_deps,
                      unsigned timeout_ms, volatile sig_atomic_t *cancel,
                      struct workspace_ready *out, struct ds_error *err)
{
    struct workspace_services svc;
    struct db_wait_result res = {0};
    bool named = services && services->n;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    workspace_services(&svc, p);
    workspace_pg_service_fallback(&svc, p);
    if (!svc.db || !svc.have_url || (named && no_deps && !strvec_contains(services, svc.db->name)))
        goto done;
    rc = db_wait(&svc.url, timeout_ms, cancel, &res, err);
    if (rc < 0) {
        ds_error_wrap(err, "service '%s'", svc.db->name);
        if (!err->hint)
            ds_error_hint(err, "see its log: devstack logs %s", svc.db->name);
        goto done;
    }
    /* the names point into the project, which outlives the result */
    out->service = svc.db->name;
    /* a secret may hold them: kept here, svc goes */
    snprintf(out->names[0], sizeof(out->names[0]), "%s", svc.url.database ? svc.url.database : "");
    snprintf(out->names[1], sizeof(out->names[1]), "%s", svc.url.user ? svc.url.user : "root");
    out->database = svc.url.database ? out->names[0] : NULL;
    out->user = out->names[1];
    out->elapsed_ms = res.elapsed_ms;

done:
    db_wait_result_release(&res);
    workspace_services_release(&svc);
    return rc;
}

void workspace_note(const struct workspace_notes *n, enum workspace_note_kind kind, const char *fmt,
                    ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    if (!n || !n->fn)
        return;
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    n->fn(kind, b.buf, n->ud);
    buf_release(&b);
}

/* dir/name as the user would write it: relative to the current directory when below it. */
static char *shown_path(const char *dir, const char *name)
{
    char cwd[PATH_MAX];
    const char *rest;
    struct buf b = BUF_INIT;

    buf_addf(&b, "%s/%s", dir, name);
    if (getcwd(cwd, sizeof(cwd)) && str_skip_prefix(b.buf, cwd, &rest) && rest[0] == '/')
        buf_consume(&b, (size_t)(rest + 1 - b.buf));
    return buf_detach(&b, NULL);
}

char *workspace_checkout_name(const char *top, const char *dir)
{
    char *base = compose_normalize_project_name(path_basename(top));
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    struct buf b = BUF_INIT;

    EVP_Digest(dir, strlen(dir), md, &len, EVP_sha256(), NULL);
    buf_addf(&b, "%s-%02x%02x%02x", *base ? base : "stack", md[0], md[1], md[2]);
    free(base);
    return buf_detach(&b, NULL);
}

/* The value of a `[export ]COMPOSE_PROJECT_NAME=...` line, quotes and blanks off; NULL: another
 * line. */
static char *name_assignment(const char *line, size_t len)
{
    const char *p = line, *end = line + len, *rest;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if ((size_t)(end - p) > 7 && !strncmp(p, "export", 6) && (p[6] == ' ' || p[6] == '\t'))
        for (p += 6; p < end && (*p == ' ' || *p == '\t');)
            p++;
    if ((size_t)(end - p) < 20 || strncmp(p, "COMPOSE_PROJECT_NAME", 20))
        return NULL;
    for (rest = p + 20; rest < end && (*rest == ' ' || *rest == '\t');)
        rest++;
    if (rest == end || *rest != '=')
        return NULL;
    for (rest++; rest < end && (*rest == ' ' || *rest == '\t');)
        rest++;
    while (end > rest && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    if (end - rest >= 2 && (*rest == '"' || *rest == '\'') && end[-1] == *rest) {
        rest++;
        end--;
    }
    return xstrndup(rest, (size_t)(end - rest));
}

char *workspace_dotenv_set_name(const char *text, const char *name)
{
    struct buf out = BUF_INIT;
    bool set = false;

    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *value = name_assignment(line, len);

        if (value && *value) { /* a name the user chose */
            free(value);
            buf_release(&out);
            return NULL;
        }
        if (value && !set) {
            buf_addf(&out, "COMPOSE_PROJECT_NAME=%s\n", name);
            set = true;
        } else {
            buf_add(&out, line, len);
            if (nl)
                buf_addch(&out, '\n');
        }
        free(value);
        line += len + (nl ? 1 : 0);
    }
    if (!set) {
        buf_release(&out);
        return NULL;
    }
    return buf_detach(&out, NULL);
}

/* The directory of the checkout `dir` is in: the nearest one above with a .git, else `dir`. */
static char *checkout_top(const char *dir)
{
    char *at = xstrdup(dir);

    for (;;) {
        char *git = path_join(at, ".git"), *up;
        bool found = access(git, F_OK) == 0;

        free(git);
        if (found)
            return at;
        if (!strcmp(at, "/"))
            break;
        up = path_dirname(at);
        free(at);
        at = up;
    }
    free(at);
    return xstrdup(dir);
}

/* The example's text with this checkout's name in it, or NULL to copy the example as it is. */
static char *example_with_name(const char *example, const char *dir)
{
    struct buf text = BUF_INIT;
    char *real = realpath(dir, NULL), *top = NULL, *name = NULL, *out = NULL;

    if (!real || buf_read_file(&text, example, 1u << 20) < 0)
        goto done;
    top = checkout_top(real);
    name = workspace_checkout_name(top, real);
    out = workspace_dotenv_set_name(text.buf, name);

done:
    buf_release(&text);
    free(real);
    free(top);
    free(name);
    return out;
}

int workspace_seed_dotenv(const struct compose_options *o, char **created, struct ds_error *err)
{
    char *dir = NULL, *example = NULL, *dotenv = NULL, *named = NULL;
    struct stat st;
    int rc;

    *created = NULL;
    if (o->env_files && o->env_files->n)
        return 0; /* --env-file: the project's .env would not be read */
    rc = compose_project_dir(&dir, o, err);
    if (rc < 0)
        return rc;
    example = shown_path(dir, ".env.example");
    dotenv = shown_path(dir, ".env");
    if (lstat(example, &st) < 0 && errno == ENOENT)
        goto done;
    if (lstat(dotenv, &st) == 0)
        goto done;
    named = example_with_name(example, dir);
    if (named)
        rc = file_write_new(dotenv, named, strlen(named), 0600, err);
    else
        rc = file_copy_new(example, dotenv, 0600, err);
    if (rc == 1) {
        *created = dotenv;
        dotenv = NULL;
    }

done:
    free(dir);
    free(example);
    free(dotenv);
    free(named);
    return rc < 0 ? rc : 0;
}
