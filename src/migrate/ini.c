/*
 * alembic.ini, read the way Alembic 1.8 reads it: Python's
 * configparser.ConfigParser (Lib/configparser.py, 3.11) with its defaults
 * (strict, '=' and ':' as delimiters, full-line '#' and ';' comments only,
 * empty lines kept inside values, BasicInterpolation), and `here` handed to
 * the parser as a default (alembic/config.py, Config.file_config).
 *
 * As in Alembic, only the options Alembic reads are interpolated, so a bad
 * '%' in an option nobody reads is no error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate/internal.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/kvlist.h"
#include "util/banned.h"

#define INI_MAX_SIZE (16u << 20)
#define INI_DEFAULT  "DEFAULT"
/* configparser's MAX_INTERPOLATION_DEPTH */
#define INI_MAX_DEPTH 10
#define INI_SHOWN_MAX 60

struct ini_section {
    char *name;
    unsigned line;      /* of the header; 0 for the defaults */
    struct kvlist opts; /* keys lowercased, values joined and stripped, not interpolated */
    unsigned *lines;    /* lines[i]: where opts.items[i] was set; 0 for `here` */
    size_t lines_alloc;
};

struct ini_file {
    const char *path;
    struct ini_section defaults;
    bool here_preset; /* defaults still hold the `here` Alembic passes, not the file's */
    struct ini_section **sections;
    size_t nsections, alloc;
};

/* Where the reader is: configparser's cursect / optname / indent_level. */
struct ini_reader {
    struct ini_file *f;
    struct ini_section *cur; /* NULL before the first header */
    bool pending;            /* an option is open and may take continuation lines */
    char *key;
    unsigned key_line;
    struct buf value;
    size_t indent_level;
    struct ds_error *err;
};

/* ---- paths: os.path.abspath ------------------------------------------- */

/* posixpath.normpath(), in place: "." and ".." resolved without the file system. */
static void path_normalize(struct buf *b)
{
    struct strvec comps = STRVEC_INIT, keep = STRVEC_INIT;
    size_t slashes = 0;

    while (slashes < b->len && b->buf[slashes] == '/')
        slashes++;
    if (slashes > 2)
        slashes = 1; /* POSIX keeps exactly two leading slashes, and only two */
    strvec_split(&comps, b->buf, '/');
    for (size_t i = 0; i < comps.n; i++) {
        const char *c = comps.v[i];

        if (!strcmp(c, "."))
            continue;
        if (strcmp(c, "..") || (!slashes && !keep.n) ||
            (keep.n && !strcmp(keep.v[keep.n - 1], ".."))) {
            strvec_push(&keep, c);
        } else if (keep.n) {
            free(keep.v[--keep.n]);
            keep.v[keep.n] = NULL;
        }
    }
    buf_reset(b);
    for (size_t i = 0; i < slashes; i++)
        buf_addch(b, '/');
    for (size_t i = 0; i < keep.n; i++)
        buf_addf(b, "%s%s", i ? "/" : "", keep.v[i]);
    if (!b->len)
        buf_addch(b, '.');
    strvec_clear(&comps);
    strvec_clear(&keep);
}

/* os.path.abspath(p): relative paths are taken from the process's working directory. */
static int path_absolute(char **out, const char *p, struct ds_error *err)
{
    struct buf b = BUF_INIT;

    if (p[0] != '/') {
        char *cwd = getcwd(NULL, 0);

        if (!cwd)
            return ds_error_errno(err, errno, "cannot find the current directory");
        buf_adds(&b, cwd);
        buf_addch(&b, '/');
        free(cwd);
    }
    buf_adds(&b, p);
    path_normalize(&b);
    *out = buf_detach(&b, NULL);
    return DS_OK;
}

/* ---- reading the file ---------------------------------------------------- */

/* "path:line: message", DS_EINVAL */
#define ini_fail(r, line, ...) source_fail((r)->err, DS_EINVAL, (r)->f->path, (line), __VA_ARGS__)

/* Append s for a message: control bytes as \xNN, cut after a while. */
static void add_shown(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (i == INI_SHOWN_MAX) {
            buf_adds(b, "...");
            break;
        }
        if (c < 0x20 || c == 0x7f)
            buf_addf(b, "\\x%02x", c);
        else
            buf_addch(b, (char)c);
    }
}

static void section_set(struct ini_section *s, const char *key, const char *value, unsigned line)
{
    struct kv *kv;

    kvlist_set(&s->opts, key, value);
    kv = kvlist_find(&s->opts, key);
    s->lines = xgrow(s->lines, &s->lines_alloc, s->opts.n, sizeof(*s->lines));
    s->lines[kv - s->opts.items] = line;
}

static unsigned section_line_of(const struct ini_section *s, const char *key)
{
    struct kv *kv = kvlist_find(&s->opts, key);

    return kv ? s->lines[kv - s->opts.items] : 0;
}

static void section_free(struct ini_section *s)
{
    if (!s)
        return;
    free(s->name);
    kvlist_clear(&s->opts);
    free(s->lines);
    free(s);
}

static struct ini_section *file_section(const struct ini_file *f, const char *name)
{
    for (size_t i = 0; i < f->nsections; i++)
        if (!strcmp(f->sections[i]->name, name))
            return f->sections[i];
    return NULL;
}

static void file_release(struct ini_file *f)
{
    for (size_t i = 0; i < f->nsections; i++)
        section_free(f->sections[i]);
    free(f->sections);
    free(f->defaults.name);
    kvlist_clear(&f->defaults.opts);
    free(f->defaults.lines);
}

/* The open option gets its value: the lines joined with "\n", then rstrip(). */
static void reader_commit(struct ini_reader *r)
{
    const char *s = r->value.buf, *e = r->value.buf + r->value.len;
    size_t k;

    if (!r->pending)
        return;
    while ((k = py_space_before(s, e)))
        e -= k;
    buf_setlen(&r->value, (size_t)(e - s));
    section_set(r->cur, r->key, r->value.buf, r->key_line);
    free(r->key);
    r->key = NULL;
    r->pending = false;
    buf_reset(&r->value);
}

static int reader_header(struct ini_reader *r, const char *name, size_t n, unsigned line)
{
    struct ini_file *f = r->f;
    struct ini_section *s;
    char *sname = xstrndup(name, n);

    reader_commit(r);
    if (file_section(f, sname)) {
        /* strict: each section once per file ([DEFAULT] may come back) */
        ini_fail(r, line, "section '%s' already exists", sname);
        free(sname);
        return DS_EINVAL;
    }
    if (!strcmp(sname, INI_DEFAULT)) {
        r->cur = &f->defaults;
        free(sname);
        return DS_OK;
    }
    s = xcalloc(1, sizeof(*s));
    s->name = sname;
    s->line = line;
    f->sections = xgrow(f->sections, &f->alloc, f->nsections + 1, sizeof(*f->sections));
    f->sections[f->nsections++] = s;
    r->cur = s;
    return DS_OK;
}

static int reader_option(struct ini_reader *r, const char *s, const char *e, unsigned line)
{
    const char *d = s, *ke, *vs;
    struct buf key = BUF_INIT;
    size_t k;
    bool dup;

    /* (?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$: the first delimiter wins */
    while (d < e && *d != '=' && *d != ':')
        d++;
    if (d == e) {
        struct buf shown = BUF_INIT;

        add_shown(&shown, s, (size_t)(e - s));
        ini_fail(r, line, "cannot parse '%s': expected 'key = value'", shown.buf);
        buf_release(&shown);
        return DS_EINVAL;
    }
    for (ke = d; (k = py_space_before(s, ke));)
        ke -= k;
    if (ke == s)
        return ini_fail(r, line, "an option without a name");
    for (vs = d + 1; (k = py_space_at(vs, e));)
        vs += k;
    for (const char *p = s; p < ke; p++)
        buf_addch(&key, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p);

    reader_commit(r);
    dup = kvlist_find(&r->cur->opts, key.buf) != NULL;
    if (dup && r->cur == &r->f->defaults && r->f->here_preset && !strcmp(key.buf, "here")) {
        /* the file's own `here` replaces the one Alembic passes */
        r->f->here_preset = false;
        dup = false;
    }
    if (dup) {
        ini_fail(r, line, "option '%s' in section '%s' already exists", key.buf, r->cur->name);
        buf_release(&key);
        return DS_EINVAL;
    }
    r->key = buf_detach(&key, NULL);
    r->key_line = line;
    r->pending = true;
    buf_add(&r->value, vs, (size_t)(e - vs));
    return DS_OK;
}

/* One line, without its newline: configparser's RawConfigParser._read() loop body. */
static int reader_line(struct ini_reader *r, const char *ls, const char *le, unsigned line)
{
    const char *s = ls, *e = le;
    size_t indent = 0, k;

    py_strip(&s, &e);
    if (s < e && (*s == '#' || *s == ';'))
        return DS_OK; /* a comment, even inside a value, adds nothing to it */
    if (s == e) {
        if (r->pending)
            buf_addch(&r->value, '\n'); /* an empty line stays inside the value */
        return DS_OK;
    }
    /* the indentation in characters, as configparser counts it */
    for (const char *p = ls; (k = py_space_at(p, le)); p += k)
        indent++;
    if (r->pending && indent > r->indent_level) {
        buf_addch(&r->value, '\n');
        buf_add(&r->value, s, (size_t)(e - s));
        return DS_OK;
    }
    r->indent_level = indent;
    if (*s == '[') {
        const char *close = e;

        /* \[(.+)\] matched from the start: the header ends at the last ']' */
        while (close > s && close[-1] != ']')
            close--;
        if (close - s >= 3)
            return reader_header(r, s + 1, (size_t)(close - 1 - (s + 1)), line);
    }
    if (!r->cur)
        return ini_fail(r, line, "no section header before this line");
    return reader_option(r, s, e, line);
}

static int file_parse(struct ini_file *f, const char *text, size_t len, struct ds_error *err)
{
    struct ini_reader r = {f, NULL, false, NULL, 0, BUF_INIT, 0, err};
    const char *p = text, *end = text + len;
    unsigned line = 0;
    int rc = DS_OK;

    while (p < end) {
        const char *nl = p;

        while (nl < end && *nl != '\n' && *nl != '\r')
            nl++;
        line++;
        if (memchr(p, '\0', (size_t)(nl - p))) {
            rc = ini_fail(&r, line, "a null byte");
            goto done;
        }
        rc = reader_line(&r, p, nl, line);
        if (rc < 0)
            goto done;
        /* universal newlines: "\r\n", "\r" and "\n" end a line */
        if (nl < end && *nl == '\r' && nl + 1 < end && nl[1] == '\n')
            nl++;
        p = nl + 1;
    }
    reader_commit(&r);

done:
    free(r.key);
    buf_release(&r.value);
    return rc;
}

/* ---- BasicInterpolation ---------------------------------------------------- */

struct ini_get {
    const struct ini_file *f;
    const struct ini_section *s;
    const char *option; /* what is being read, for messages */
    unsigned line;
    struct ds_error *err;
};

static const char *get_raw(const struct ini_file *f, const struct ini_section *s, const char *key,
                           unsigned *line)
{
    struct kv *kv = kvlist_find(&s->opts, key);

    if (kv) {
        *line = section_line_of(s, key);
        return kv->value;
    }
    kv = kvlist_find(&f->defaults.opts, key);
    if (kv) {
        *line = section_line_of(&f->defaults, key);
        return kv->value;
    }
    return NULL;
}

/* "path:line: message" about the option being read, DS_EINVAL */
#define get_fail(g, ...) source_fail((g)->err, DS_EINVAL, (g)->f->path, (g)->line, __VA_ARGS__)

/* BasicInterpolation._interpolate_some(): same steps, same depth limit. */
static int interpolate(const struct ini_get *g, struct buf *out, const char *rest, int depth)
{
    if (depth > INI_MAX_DEPTH)
        return get_fail(g,
                        "the value of '%s' is nested too deeply (more than %d levels of %%(name)s)",
                        g->option, INI_MAX_DEPTH);
    while (*rest) {
        const char *pct = strchr(rest, '%'), *close;
        struct buf name = BUF_INIT;
        const char *v;
        unsigned vline;
        int rc;

        if (!pct) {
            buf_adds(out, rest);
            return DS_OK;
        }
        buf_add(out, rest, (size_t)(pct - rest));
        rest = pct;
        if (rest[1] == '%') {
            buf_addch(out, '%');
            rest += 2;
            continue;
        }
        if (rest[1] != '(') {
            struct buf shown = BUF_INIT;

            add_shown(&shown, rest, strlen(rest));
            get_fail(g,
                     "bad '%%' in the value of '%s': '%%' must be followed by '%%' or '(', found "
                     "'%s'",
                     g->option, shown.buf);
            buf_release(&shown);
            return DS_EINVAL;
        }
        close = strchr(rest + 2, ')');
        if (!close || close == rest + 2 || close[1] != 's') {
            struct buf shown = BUF_INIT;

            add_shown(&shown, rest, strlen(rest));
            get_fail(g, "bad reference in the value of '%s': '%s'", g->option, shown.buf);
            buf_release(&shown);
            return DS_EINVAL;
        }
        for (const char *p = rest + 2; p < close; p++)
            buf_addch(&name, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p);
        rest = close + 2;
        v = get_raw(g->f, g->s, name.buf, &vline);
        if (!v) {
            struct buf shown = BUF_INIT;

            add_shown(&shown, name.buf, name.len);
            get_fail(g,
                     "the value of '%s' refers to '%%(%s)s', which is not set in '[%s]' or '[%s]'",
                     g->option, shown.buf, g->s->name, INI_DEFAULT);
            buf_release(&shown);
            buf_release(&name);
            return DS_EINVAL;
        }
        buf_release(&name);
        if (!strchr(v, '%')) {
            buf_adds(out, v);
            continue;
        }
        rc = interpolate(g, out, v, depth + 1);
        if (rc < 0)
            return rc;
    }
    return DS_OK;
}

/*
 * Config.get_main_option(): the option from the section or [DEFAULT],
 * interpolated. *out is NULL (and *line 0) when neither has it.
 */
static int ini_get(char **out, unsigned *line, const struct ini_file *f,
                   const struct ini_section *s, const char *option, struct ds_error *err)
{
    struct ini_get g = {f, s, option, 0, err};
    struct buf b = BUF_INIT;
    const char *raw = get_raw(f, s, option, &g.line);
    int rc;

    *out = NULL;
    *line = 0;
    if (!raw)
        return DS_OK;
    rc = interpolate(&g, &b, raw, 1);
    if (rc < 0) {
        buf_release(&b);
        return rc;
    }
    *out = buf_detach(&b, NULL);
    *line = g.line;
    return DS_OK;
}

/* ---- the [alembic] section ------------------------------------------------ */

/*
 * util.coerce_resource_to_filename(): a relative name with a colon is a
 * package resource ("myapp:migrations"), which only a Python process can
 * locate.
 */
static int check_not_resource(const char *path, unsigned line, const char *option,
                              const char *value, struct ds_error *err)
{
    if (value[0] == '/' || !strchr(value, ':'))
        return DS_OK;
    ds_error_set(err, DS_EUNSUPPORTED,
                 "%s:%u: '%s' names a package resource ('%s'), which devstack cannot locate", path,
                 line, option, value);
    ds_error_hint(err, "give a directory instead, e.g. '%%(here)s/migrations'");
    return DS_EUNSUPPORTED;
}

/*
 * ScriptDirectory.from_config(): version_locations split by
 * version_path_separator, each made absolute (_version_locations).
 */
static int load_version_locations(struct alembic_ini *ini, const struct ini_file *f,
                                  const struct ini_section *s, struct ds_error *err)
{
    struct strvec pieces = STRVEC_INIT;
    char *locs = NULL, *sep = NULL;
    unsigned line, sep_line;
    int rc;

    rc = ini_get(&locs, &line, f, s, "version_locations", err);
    if (rc < 0 || !locs || !*locs)
        goto done;
    rc = ini_get(&sep, &sep_line, f, s, "version_path_separator", err);
    if (rc < 0)
        goto done;
    if (!sep) {
        /* the legacy split, re.split(", *| +"), which keeps empty pieces */
        const char *p = locs;

        for (;;) {
            size_t n = strcspn(p, ", ");

            strvec_push_nodup(&pieces, xstrndup(p, n));
            p += n;
            if (!*p)
                break;
            if (*p == ',') {
                p++;
                while (*p == ' ')
                    p++;
            } else {
                while (*p == ' ')
                    p++;
            }
        }
    } else {
        char c = 0;

        if (!strcmp(sep, "space"))
            c = ' ';
        else if (!strcmp(sep, "os") || !strcmp(sep, ":"))
            c = ':';
        else if (!strcmp(sep, ";"))
            c = ';';
        else if (!strcmp(sep, "newline"))
            c = '\n'; /* Alembic 1.10 and later */
        if (!c) {
            rc = ds_error_set(err, DS_EINVAL,
                              "%s:%u: '%s' is not a valid value for 'version_path_separator'; "
                              "expected 'space', 'newline', 'os', ':' or ';'",
                              f->path, sep_line, sep);
            goto done;
        }
        strvec_split(&pieces, locs, c);
        if (c == '\n') {
            /* 1.10 strips these pieces; the other separators keep them as they are */
            for (size_t i = 0; i < pieces.n; i++) {
                const char *ps = pieces.v[i], *pe = ps + strlen(ps);
                char *t;

                py_strip(&ps, &pe);
                t = xstrndup(ps, (size_t)(pe - ps));
                free(pieces.v[i]);
                pieces.v[i] = t;
            }
        }
    }
    for (size_t i = 0; i < pieces.n; i++) {
        char *abs;

        rc = check_not_resource(f->path, line, "version_locations", pieces.v[i], err);
        if (rc < 0)
            goto done;
        rc = path_absolute(&abs, pieces.v[i], err);
        if (rc < 0)
            goto done;
        strvec_push_nodup(&ini->version_locations, abs);
    }

done:
    strvec_clear(&pieces);
    free(locs);
    free(sep);
    return rc;
}

int alembic_ini_load(struct alembic_ini *ini, const char *path, const char *section,
                     struct ds_error *err)
{
    struct ini_file f = {path, {NULL, 0, KVLIST_INIT, NULL, 0}, true, NULL, 0, 0};
    struct buf text = BUF_INIT;
    const struct ini_section *s;
    char *dir = NULL, *loc = NULL, *rvl = NULL;
    unsigned line;
    const char *slash;
    int rc;

    memset(ini, 0, sizeof(*ini));
    strvec_init(&ini->version_locations);
    if (!section)
        section = "alembic";

    rc = source_read(&text, path, INI_MAX_SIZE, err);
    if (rc < 0)
        goto done;

    ini->path = xstrdup(path);
    /* here = os.path.abspath(os.path.dirname(path)) */
    slash = strrchr(path, '/');
    dir = slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup("");
    rc = path_absolute(&ini->here, dir, err);
    if (rc < 0)
        goto done;
    f.defaults.name = xstrdup(INI_DEFAULT);
    section_set(&f.defaults, "here", ini->here, 0);

    rc = file_parse(&f, text.buf, text.len, err);
    if (rc < 0)
        goto done;

    s = strcmp(section, INI_DEFAULT) ? file_section(&f, section) : NULL;
    if (!s) {
        rc = ds_error_set(err, DS_EINVAL, "%s: no section '[%s]'", path, section);
        goto done;
    }

    rc = ini_get(&loc, &ini->script_location_line, &f, s, "script_location", err);
    if (rc < 0)
        goto done;
    if (!loc) {
        rc = ds_error_set(err, DS_EINVAL, "%s:%u: no 'script_location' in section '[%s]'", path,
                          s->line, section);
        goto done;
    }
    if (!*loc) {
        rc = ds_error_set(err, DS_EINVAL, "%s:%u: 'script_location' is empty", path,
                          ini->script_location_line);
        goto done;
    }
    rc = check_not_resource(path, ini->script_location_line, "script_location", loc, err);
    if (rc < 0)
        goto done;
    /*
     * Alembic keeps a relative script_location relative and hands it to
     * os.path calls, so it is taken from the working directory of the
     * `alembic` process, not from the ini file's directory (that is what
     * %(here)s is for). We resolve it against ours once, here.
     */
    rc = path_absolute(&ini->script_location, loc, err);
    if (rc < 0)
        goto done;

    rc = load_version_locations(ini, &f, s, err);
    if (rc < 0)
        goto done;
    if (!ini->version_locations.n) {
        struct buf v = BUF_INIT;
        char *abs;

        buf_addf(&v, "%s/versions", ini->script_location);
        rc = path_absolute(&abs, v.buf, err);
        buf_release(&v);
        if (rc < 0)
            goto done;
        strvec_push_nodup(&ini->version_locations, abs);
    }

    /* Alembic 1.10 and later: exactly "true" (1.8 ignores the option) */
    rc = ini_get(&rvl, &line, &f, s, "recursive_version_locations", err);
    if (rc < 0)
        goto done;
    ini->recursive_version_locations = rvl && !strcmp(rvl, "true");

    rc = ini_get(&ini->url, &ini->url_line, &f, s, "sqlalchemy.url", err);
    if (rc < 0)
        goto done;
    if (ini->url && !*ini->url) {
        free(ini->url);
        ini->url = NULL;
    }

done:
    if (rc < 0)
        alembic_ini_release(ini);
    file_release(&f);
    buf_release(&text);
    free(dir);
    free(loc);
    free(rvl);
    return rc;
}

void alembic_ini_release(struct alembic_ini *ini)
{
    if (!ini)
        return;
    free(ini->path);
    free(ini->here);
    free(ini->script_location);
    strvec_clear(&ini->version_locations);
    free(ini->url);
    memset(ini, 0, sizeof(*ini));
    strvec_init(&ini->version_locations);
}
