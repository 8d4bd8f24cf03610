/*
 * A build context as a tar stream. tar_stream_open() walks the tree once and
 * keeps only the list of entries (path, type, mode, size, mtime, link
 * target); tar_stream_read() then produces the archive one entry at a time,
 * opening each file when its turn comes and reading it straight into the
 * caller's buffer, so memory does not grow with the size of the files.
 *
 * Format: POSIX ustar, with a pax extended header ('x') before an entry whose
 * path does not fit ustar's 100-byte name and 155-byte prefix, whose link
 * target is longer than 100 bytes, or whose size or mtime does not fit 11
 * octal digits. Owner root:root (uid/gid 0), as `docker build` sends it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/path.h"
#include "util/tar.h"
#include "util/banned.h"

#define BLOCK        512
#define NAME_SIZE    100
#define PREFIX_SIZE  155
#define OCTAL11_MAX  077777777777ULL /* 8 GiB - 1 */
#define TRAILER_SIZE (2 * BLOCK)

struct tar_entry {
    char *path;   /* relative, '/'-separated, no trailing '/' */
    char *target; /* symlinks */
    char *data;   /* a regular file given in memory (tar_stream_add_file); NULL: on disk */
    char *host;   /* a file named by its own path (tar_stream_add_host); NULL: below dir */
    unsigned long long size;
    long long mtime;
    unsigned mode;     /* permission bits, set-id and sticky */
    unsigned uid, gid; /* with owner: sent instead of root:root */
    bool owner;
    char type; /* '0', '2' or '5' */
};

enum phase {
    PHASE_NEXT,   /* start the next entry, or the trailer */
    PHASE_HEADER, /* copy out `hdr` */
    PHASE_DATA,   /* copy the open file */
    PHASE_ZEROS,  /* padding or the trailer, then `after_zeros` */
    PHASE_DONE,
    PHASE_ERROR,
};

struct tar_stream {
    char *dir;
    int dirfd;
    struct tar_entry *v;
    size_t n, alloc;
    unsigned long long file_bytes;

    /* reading */
    enum phase phase, after_zeros;
    size_t next; /* index of the entry to start */
    struct buf hdr;
    size_t hdr_off;
    int fd;
    struct tar_entry *cur;
    unsigned long long left; /* file bytes still to send */
    size_t zeros;
    struct ds_error err;

    /* walking */
    const struct ignore *ig;
    struct strvec always;
};

static void entry_release(struct tar_entry *e)
{
    free(e->path);
    free(e->target);
    free(e->data);
    free(e->host);
}

void tar_stream_free(struct tar_stream *t)
{
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    if (t->dirfd >= 0)
        close(t->dirfd);
    for (size_t i = 0; i < t->n; i++)
        entry_release(&t->v[i]);
    free(t->v);
    free(t->dir);
    buf_release(&t->hdr);
    strvec_clear(&t->always);
    ds_error_release(&t->err);
    free(t);
}

/* ---- walking ------------------------------------------------------------ */

/* Is `rel` one of the paths to send whatever the rules say, or inside one? */
static bool always_covers(const struct tar_stream *t, const char *rel, size_t len)
{
    for (size_t i = 0; i < t->always.n; i++) {
        const char *a = t->always.v[i];
        size_t n = strlen(a);

        if (len >= n && !memcmp(rel, a, n) && (len == n || rel[n] == '/'))
            return true;
    }
    return false;
}

/* Is one of those paths below directory `rel`? */
static bool always_below(const struct tar_stream *t, const char *rel, size_t len)
{
    for (size_t i = 0; i < t->always.n; i++) {
        const char *a = t->always.v[i];

        if (strlen(a) > len && !memcmp(a, rel, len) && a[len] == '/')
            return true;
    }
    return false;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory `dfd`, sorted; the caller frees them. */
static int read_names(struct tar_stream *t, int dfd, const char *rel, struct strvec *names,
                      struct ds_error *err)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    int e;

    if (!d) {
        e = errno;
        if (fd >= 0)
            close(fd);
        return ds_error_errno(err, e, "cannot read directory '%s/%s'", t->dir, rel);
    }
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de)
            break;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        strvec_push(names, de->d_name);
    }
    e = errno;
    closedir(d);
    if (e)
        return ds_error_errno(err, e, "cannot read directory '%s/%s'", t->dir, rel);
    qsort(names->v, names->n, sizeof(*names->v), cmp_names);
    return 0;
}

static char *read_link(int dfd, const char *name, size_t hint)
{
    size_t size = hint + 1 > 64 ? hint + 1 : 64;

    for (;;) {
        char *s = xmalloc(size);
        ssize_t n = readlinkat(dfd, name, s, size);

        if (n < 0) {
            free(s);
            return NULL;
        }
        if ((size_t)n < size) {
            s[n] = '\0';
            return s;
        }
        free(s);
        size *= 2;
    }
}

static struct tar_entry *add_entry(struct tar_stream *t, const char *rel, const struct stat *st)
{
    struct tar_entry *e;

    t->v = xgrow(t->v, &t->alloc, t->n + 1, sizeof(*t->v));
    e = &t->v[t->n++];
    memset(e, 0, sizeof(*e));
    e->path = xstrdup(rel);
    e->mode = (unsigned)st->st_mode & 07777;
    e->mtime = (long long)st->st_mtime;
    e->uid = (unsigned)st->st_uid;
    e->gid = (unsigned)st->st_gid;
    return e;
}

static int walk(struct tar_stream *t, int dfd, struct buf *rel, struct ds_error *err);

static int visit(struct tar_stream *t, int dfd, const char *name, struct buf *rel,
                 struct ds_error *err)
{
    struct tar_entry *e;
    struct stat st;
    bool excluded;
    size_t idx;
    int fd, rc;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0; /* removed since readdir(): as if it never was */
        return ds_error_errno(err, errno, "cannot stat '%s/%s'", t->dir, rel->buf);
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
        return 0; /* sockets, fifos, devices: nothing a build can use */
    excluded = t->ig && !always_covers(t, rel->buf, rel->len) && ignore_excludes(t->ig, rel->buf);
    if (excluded && !S_ISDIR(st.st_mode))
        return 0;
    /* an excluded directory is walked only when something below may come back */
    if (excluded && !ignore_may_include_below(t->ig, rel->buf) &&
        !always_below(t, rel->buf, rel->len))
        return 0;

    idx = t->n;
    e = add_entry(t, rel->buf, &st);
    if (S_ISREG(st.st_mode)) {
        e->type = '0';
        e->size = (unsigned long long)st.st_size;
        t->file_bytes += e->size;
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        e->type = '2';
        e->target = read_link(dfd, name, (size_t)st.st_size);
        if (!e->target)
            return ds_error_errno(err, errno, "cannot read link '%s/%s'", t->dir, rel->buf);
        return 0;
    }
    e->type = '5';
    fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ds_error_errno(err, errno, "cannot open directory '%s/%s'", t->dir, rel->buf);
    rc = walk(t, fd, rel, err);
    close(fd);
    if (rc == 0 && excluded && t->n == idx + 1) {
        /* nothing below came back: the directory stays out too */
        entry_release(&t->v[--t->n]);
    }
    return rc;
}

static int walk(struct tar_stream *t, int dfd, struct buf *rel, struct ds_error *err)
{
    struct strvec names = STRVEC_INIT;
    size_t base = rel->len;
    int rc;

    rc = read_names(t, dfd, rel->buf, &names, err);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        if (base)
            buf_addch(rel, '/');
        buf_adds(rel, names.v[i]);
        rc = visit(t, dfd, names.v[i], rel, err);
        buf_setlen(rel, base);
    }
    strvec_clear(&names);
    return rc;
}

/* `always` as the walk spells paths: cleaned, relative, no trailing '/' */
static void add_always(struct strvec *sv, const char *path)
{
    struct strvec parts = STRVEC_INIT;
    struct buf b = BUF_INIT;

    strvec_split(&parts, path, '/');
    for (size_t i = 0; i < parts.n; i++) {
        if (!strcmp(parts.v[i], "."))
            continue;
        if (b.len)
            buf_addch(&b, '/');
        buf_adds(&b, parts.v[i]);
    }
    if (b.len)
        strvec_push(sv, b.buf);
    buf_release(&b);
    strvec_clear(&parts);
}

int tar_stream_open(struct tar_stream **out, const char *dir, const struct ignore *ig,
                    const char *const *always, struct ds_error *err)
{
    struct tar_stream *t = xcalloc(1, sizeof(*t));
    struct buf rel = BUF_INIT;
    int rc = 0;

    *out = NULL;
    t->fd = -1;
    t->hdr = (struct buf)BUF_INIT;
    t->always = (struct strvec)STRVEC_INIT;
    t->err = (struct ds_error)DS_ERROR_INIT;
    t->dir = xstrdup(dir);
    t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t->dirfd < 0) {
        rc = ds_error_errno(err, errno, "cannot open context directory '%s'", dir);
        goto done;
    }
    for (size_t i = 0; always && always[i]; i++)
        add_always(&t->always, always[i]);
    t->ig = ig;
    rc = walk(t, t->dirfd, &rel, err);
    t->ig = NULL; /* the caller may free the rules once we return */
    if (rc < 0)
        goto done;
    *out = t;
    t = NULL;
done:
    tar_stream_free(t);
    buf_release(&rel);
    return rc;
}

struct tar_stream *tar_stream_new(void)
{
    struct tar_stream *t = xcalloc(1, sizeof(*t));

    t->fd = -1;
    t->dirfd = -1;
    t->hdr = (struct buf)BUF_INIT;
    t->always = (struct strvec)STRVEC_INIT;
    t->err = (struct ds_error)DS_ERROR_INIT;
    return t;
}

int tar_stream_add_host(struct tar_stream *t, const char *name, const char *host,
                        const struct stat *st, const char *link)
{
    struct tar_entry *e;
    char type;

    while (*name == '/')
        name++;
    if (S_ISREG(st->st_mode))
        type = '0';
    else if (S_ISDIR(st->st_mode))
        type = '5';
    else if (S_ISLNK(st->st_mode) && link)
        type = '2';
    else
        return -1;
    if (!*name || t->next)
        return -1;
    e = add_entry(t, name, st);
    e->type = type;
    e->host = xstrdup(host);
    e->uid = (unsigned)st->st_uid;
    e->gid = (unsigned)st->st_gid;
    e->owner = true;
    if (type == '2')
        e->target = xstrdup(link);
    if (type == '0') {
        e->size = (unsigned long long)st->st_size;
        t->file_bytes += e->size;
    }
    return 0;
}

void tar_stream_rewind(struct tar_stream *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->phase = PHASE_NEXT;
    t->next = 0;
    t->cur = NULL;
    t->left = 0;
    t->zeros = 0;
    buf_reset(&t->hdr);
    t->hdr_off = 0;
    ds_error_release(&t->err);
}

int tar_stream_add_file(struct tar_stream *t, const char *name, const void *data, size_t len,
                        unsigned mode, long long mtime)
{
    struct tar_entry *e;
    struct stat st;
    size_t at = t->n;

    if (!*name || *name == '/' || len > OCTAL11_MAX || t->next)
        return -1;
    for (size_t i = 0; i < t->n && at == t->n; i++)
        if (!strcmp(t->v[i].path, name))
            at = i;
    if (at < t->n) {
        /* the walked entry of that path goes; the rest keep their order */
        if (t->v[at].type == '0')
            t->file_bytes -= t->v[at].size;
        entry_release(&t->v[at]);
        memmove(&t->v[at], &t->v[at + 1], (t->n - at - 1) * sizeof(*t->v));
        t->n--;
    }
    memset(&st, 0, sizeof(st));
    st.st_mode = (mode_t)(mode & 07777);
    st.st_mtime = (time_t)mtime;
    e = add_entry(t, name, &st);
    e->type = '0';
    e->size = len;
    e->data = xmalloc(len + 1);
    memcpy(e->data, data, len);
    t->file_bytes += len;
    return 0;
}

size_t tar_stream_entries(const struct tar_stream *t)
{
    return t->n;
}

unsigned long long tar_stream_file_bytes(const struct tar_stream *t)
{
    return t->file_bytes;
}

const struct ds_error *tar_stream_error(const struct tar_stream *t)
{
    return &t->err;
}

/* ---- headers ------------------------------------------------------------ */

/* `width - 1` octal digits and a NUL; all zeros when v does not fit. */
static void put_octal(char *field, size_t width, unsigned long long v)
{
    unsigned long long x = v;

    for (size_t i = width - 1; i-- > 0;) {
        field[i] = (char)('0' + (x & 7));
        x >>= 3;
    }
    field[width - 1] = '\0';
    if (x)
        memset(field, '0', width - 1);
}

static void put_string(char *field, size_t width, const char *s, size_t len)
{
    memcpy(field, s, len < width ? len : width);
}

static size_t decimal_digits(size_t n)
{
    size_t d = 1;

    while (n >= 10)
        n /= 10, d++;
    return d;
}

/* A pax record: "<length> <key>=<value>\n", the length counting itself. */
static void pax_record(struct buf *b, const char *key, const char *value, size_t vlen)
{
    size_t rest = 1 + strlen(key) + 1 + vlen + 1, d = 1;

    while (decimal_digits(rest + d) > d)
        d++;
    buf_addf(b, "%zu %s=", rest + d, key);
    buf_add(b, value, vlen);
    buf_addch(b, '\n');
}

/*
 * Where to cut `name` into ustar's prefix and name: 0 when it fits the name
 * field alone, the index of the '/' that separates them, or -1 when no cut
 * works. A directory's trailing '/' stays in the name part.
 */
static long ustar_cut(const char *name, size_t len)
{
    if (len <= NAME_SIZE)
        return 0;
    for (size_t i = len - 2 < PREFIX_SIZE ? len - 2 : PREFIX_SIZE; i > 0; i--) {
        if (name[i] == '/')
            return len - i - 1 <= NAME_SIZE ? (long)i : -1;
    }
    return -1;
}

static void finish_block(char *h)
{
    unsigned sum = 0;

    memset(h + 148, ' ', 8);
    for (size_t i = 0; i < BLOCK; i++)
        sum += (unsigned char)h[i];
    put_octal(h + 148, 7, sum); /* six digits, NUL, and the space already there */
}

static void fill_block(char *h, const char *name, size_t name_len, const char *prefix,
                       size_t prefix_len, unsigned mode, unsigned long long size,
                       unsigned long long mtime, char type, const char *link)
{
    memset(h, 0, BLOCK);
    put_string(h, NAME_SIZE, name, name_len);
    put_octal(h + 100, 8, mode);
    put_octal(h + 108, 8, 0);
    put_octal(h + 116, 8, 0);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, mtime);
    h[156] = type;
    if (link)
        put_string(h + 157, 100, link, strlen(link));
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    put_octal(h + 329, 8, 0);
    put_octal(h + 337, 8, 0);
    put_string(h + 345, PREFIX_SIZE, prefix, prefix_len);
    finish_block(h);
}

/* The header block(s) of e into hdr: maybe a pax header and its records, then ustar. */
static void entry_header(struct buf *hdr, const struct tar_entry *e)
{
    struct buf name = BUF_INIT, pax = BUF_INIT;
    unsigned long long size = e->type == '0' ? e->size : 0;
    unsigned long long mtime = e->mtime < 0 ? 0 : (unsigned long long)e->mtime;
    long cut;
    char *h;

    buf_adds(&name, e->path);
    if (e->type == '5')
        buf_addch(&name, '/');
    cut = ustar_cut(name.buf, name.len);
    if (cut < 0)
        pax_record(&pax, "path", name.buf, name.len);
    if (e->target && strlen(e->target) > NAME_SIZE)
        pax_record(&pax, "linkpath", e->target, strlen(e->target));
    if (size > OCTAL11_MAX) {
        char num[32];
        int n = snprintf(num, sizeof(num), "%llu", size);
        pax_record(&pax, "size", num, (size_t)n);
    }
    if (e->mtime < 0 || mtime > OCTAL11_MAX) {
        char num[32];
        int n = snprintf(num, sizeof(num), "%lld", e->mtime);
        pax_record(&pax, "mtime", num, (size_t)n);
    }

    if (pax.len) {
        struct buf pname = BUF_INIT;
        size_t padded = (pax.len + BLOCK - 1) / BLOCK * BLOCK;

        buf_addf(&pname, "PaxHeaders.0/%s", path_basename(e->path));
        buf_grow(hdr, BLOCK + padded);
        h = hdr->buf + hdr->len;
        fill_block(h, pname.buf, pname.len, "", 0, 0644, pax.len, mtime, 'x', NULL);
        memcpy(h + BLOCK, pax.buf, pax.len);
        memset(h + BLOCK + pax.len, 0, padded - pax.len);
        buf_setlen(hdr, hdr->len + BLOCK + padded);
        buf_release(&pname);
    }
    buf_grow(hdr, BLOCK);
    h = hdr->buf + hdr->len;
    /* what does not fit is zero (numbers) or cut short (the name, when pax holds it) */
    if (cut > 0)
        fill_block(h, name.buf + cut + 1, name.len - (size_t)cut - 1, name.buf, (size_t)cut,
                   e->mode, size, mtime, e->type, e->target);
    else
        fill_block(h, name.buf, name.len, "", 0, e->mode, size, mtime, e->type, e->target);
    if (e->owner) {
        /* by number, as `docker cp` keeps it: the names would be looked up in the container */
        put_octal(h + 108, 8, e->uid);
        put_octal(h + 116, 8, e->gid);
        memset(h + 265, 0, 64);
        finish_block(h);
    }
    buf_setlen(hdr, hdr->len + BLOCK);
    buf_release(&name);
    buf_release(&pax);
}

static void build_header(struct tar_stream *t, const struct tar_entry *e)
{
    buf_reset(&t->hdr);
    t->hdr_off = 0;
    entry_header(&t->hdr, e);
}

void tar_stream_keep_owners(struct tar_stream *t)
{
    for (size_t i = 0; i < t->n; i++)
        t->v[i].owner = true;
}

int tar_one_file(struct buf *out, const char *name, const void *data, size_t len, unsigned mode,
                 unsigned uid, unsigned gid, long long mtime)
{
    size_t name_len, padded = (len + BLOCK - 1) / BLOCK * BLOCK;
    long cut;
    char *h;

    while (*name == '/')
        name++;
    name_len = strlen(name);
    cut = ustar_cut(name, name_len);
    if (!name_len || cut < 0 || len > OCTAL11_MAX || mtime < 0)
        return -1;
    buf_grow(out, BLOCK + padded + TRAILER_SIZE);
    h = out->buf + out->len;
    if (cut > 0)
        fill_block(h, name + cut + 1, name_len - (size_t)cut - 1, name, (size_t)cut, mode, len,
                   (unsigned long long)mtime, '0', NULL);
    else
        fill_block(h, name, name_len, "", 0, mode, len, (unsigned long long)mtime, '0', NULL);
    /* the owner asked for, by number: the names would be looked up in the container */
    put_octal(h + 108, 8, uid);
    put_octal(h + 116, 8, gid);
    memset(h + 265, 0, 64);
    finish_block(h);
    buf_setlen(out, out->len + BLOCK);
    buf_add(out, data, len);
    buf_grow(out, padded - len + TRAILER_SIZE);
    memset(out->buf + out->len, 0, padded - len + TRAILER_SIZE);
    buf_setlen(out, out->len + padded - len + TRAILER_SIZE);
    return 0;
}

int tar_one_dir(struct buf *out, const char *name, unsigned mode, unsigned uid, unsigned gid,
                long long mtime)
{
    size_t name_len;
    long cut;
    char *h;

    while (*name == '/')
        name++;
    name_len = strlen(name);
    cut = ustar_cut(name, name_len);
    if (!name_len || cut < 0 || mtime < 0)
        return -1;
    buf_grow(out, BLOCK + TRAILER_SIZE);
    h = out->buf + out->len;
    if (cut > 0)
        fill_block(h, name + cut + 1, name_len - (size_t)cut - 1, name, (size_t)cut, mode, 0,
                   (unsigned long long)mtime, '5', NULL);
    else
        fill_block(h, name, name_len, "", 0, mode, 0, (unsigned long long)mtime, '5', NULL);
    put_octal(h + 108, 8, uid);
    put_octal(h + 116, 8, gid);
    memset(h + 265, 0, 64);
    finish_block(h);
    memset(h + BLOCK, 0, TRAILER_SIZE);
    buf_setlen(out, out->len + BLOCK + TRAILER_SIZE);
    return 0;
}

/* ---- reading ------------------------------------------------------------ */

static int fail(struct tar_stream *t)
{
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
    t->phase = PHASE_ERROR;
    return -1;
}

/*
 * Open a file below the context root without following a symlink in its
 * last component; a path longer than PATH_MAX is walked a directory at a time.
 */
static int open_below(int root, const char *rel)
{
    const int flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
    int dfd = root, fd;
    const char *slash;

    if (strlen(rel) < PATH_MAX)
        return openat(root, rel, flags);
    while ((slash = strchr(rel, '/'))) {
        char *part = xstrndup(rel, (size_t)(slash - rel));

        fd = openat(dfd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        free(part);
        if (dfd != root)
            close(dfd);
        if (fd < 0)
            return -1;
        dfd = fd;
        rel = slash + 1;
    }
    fd = openat(dfd, rel, flags);
    if (dfd != root) {
        int e = errno;
        close(dfd);
        errno = e;
    }
    return fd;
}

/*
 * A file named by its path (tar_stream_add_host) is looked at again when its
 * turn comes: size, mode, mtime and owner as they are then. 1 when it is gone
 * or no longer a regular file: left out (its change will be seen again).
 */
static int open_host(struct tar_stream *t, struct tar_entry *e)
{
    struct stat st;

    t->fd = open(e->host, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (t->fd < 0 && (errno == ENOENT || errno == ELOOP || errno == ENOTDIR))
        return 1;
    if (t->fd < 0) {
        ds_error_errno(&t->err, errno, "cannot open '%s'", e->host);
        return fail(t);
    }
    if (fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(t->fd);
        t->fd = -1;
        return 1;
    }
    t->file_bytes = t->file_bytes - e->size + (unsigned long long)st.st_size;
    e->size = (unsigned long long)st.st_size;
    e->mode = (unsigned)st.st_mode & 07777;
    e->mtime = (long long)st.st_mtime;
    e->uid = (unsigned)st.st_uid;
    e->gid = (unsigned)st.st_gid;
    t->left = e->size;
    return 0;
}

/* 0 when the entry has begun, 1 when it is left out, -1 on an error. */
static int start_entry(struct tar_stream *t, struct tar_entry *e)
{
    t->cur = e;
    if (e->host && e->type == '0') {
        int rc = open_host(t, e);

        if (rc != 0)
            return rc;
        build_header(t, e);
        t->phase = PHASE_HEADER;
        return 0;
    }
    if (e->data) {
        /* in memory: the header, the content and its padding go out as one piece */
        size_t pad = (size_t)((BLOCK - e->size % BLOCK) % BLOCK);

        build_header(t, e);
        buf_add(&t->hdr, e->data, (size_t)e->size);
        buf_grow(&t->hdr, pad);
        memset(t->hdr.buf + t->hdr.len, 0, pad);
        buf_setlen(&t->hdr, t->hdr.len + pad);
        t->phase = PHASE_HEADER;
        return 0;
    }
    if (e->type == '0') {
        struct stat st;

        t->fd = open_below(t->dirfd, e->path);
        if (t->fd < 0) {
            ds_error_errno(&t->err, errno, "cannot open '%s/%s'", t->dir, e->path);
            return fail(t);
        }
        if (fstat(t->fd, &st) < 0) {
            ds_error_errno(&t->err, errno, "cannot stat '%s/%s'", t->dir, e->path);
            return fail(t);
        }
        if (!S_ISREG(st.st_mode)) {
            ds_error_set(&t->err, DS_EIO, "'%s/%s' is no longer a regular file", t->dir, e->path);
            return fail(t);
        }
        if ((unsigned long long)st.st_size != e->size) {
            ds_error_set(&t->err, DS_EIO,
                         "'%s/%s' changed size while the context was sent: %llu bytes, now %lld",
                         t->dir, e->path, e->size, (long long)st.st_size);
            return fail(t);
        }
        t->left = e->size;
    }
    build_header(t, e);
    t->phase = PHASE_HEADER;
    return 0;
}

static void start_zeros(struct tar_stream *t, size_t n, enum phase then)
{
    t->zeros = n;
    t->after_zeros = then;
    t->phase = n ? PHASE_ZEROS : then;
}

/* Copy file data straight into the caller's buffer. */
static ssize_t read_data(struct tar_stream *t, char *buf, size_t size)
{
    size_t want = t->left < size ? (size_t)t->left : size;
    ssize_t n;

    do {
        n = read(t->fd, buf, want);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        ds_error_errno(&t->err, errno, "cannot read '%s/%s'", t->dir, t->cur->path);
        return fail(t);
    }
    if (n == 0 && t->cur->host) {
        /* truncated while read: zeros for the rest, the change that did it comes next */
        unsigned long long rest = t->left;

        close(t->fd);
        t->fd = -1;
        t->left = 0;
        start_zeros(t, (size_t)(rest + (BLOCK - t->cur->size % BLOCK) % BLOCK), PHASE_NEXT);
        return 0;
    }
    if (n == 0) {
        ds_error_set(&t->err, DS_EIO,
                     "'%s/%s' shrank while the context was sent: %llu bytes expected, "
                     "%llu read",
                     t->dir, t->cur->path, t->cur->size, t->cur->size - t->left);
        return fail(t);
    }
    t->left -= (unsigned long long)n;
    if (t->left == 0) {
        close(t->fd);
        t->fd = -1;
        start_zeros(t, (size_t)((BLOCK - t->cur->size % BLOCK) % BLOCK), PHASE_NEXT);
    }
    return n;
}

ssize_t tar_stream_read(char *buf, size_t size, void *stream)
{
    struct tar_stream *t = stream;
    size_t done = 0;

    while (done < size) {
        size_t n;
        ssize_t got;

        switch (t->phase) {
        case PHASE_NEXT:
            if (t->next == t->n)
                start_zeros(t, TRAILER_SIZE, PHASE_DONE);
            else if (start_entry(t, &t->v[t->next++]) < 0)
                goto out; /* 1: left out, on to the next */
            break;
        case PHASE_HEADER:
            n = t->hdr.len - t->hdr_off;
            if (n > size - done)
                n = size - done;
            memcpy(buf + done, t->hdr.buf + t->hdr_off, n);
            done += n;
            t->hdr_off += n;
            if (t->hdr_off < t->hdr.len)
                break;
            t->phase = t->fd >= 0 ? PHASE_DATA : PHASE_NEXT;
            if (t->fd >= 0 && !t->left) {
                close(t->fd); /* an empty file */
                t->fd = -1;
                t->phase = PHASE_NEXT;
            }
            break;
        case PHASE_DATA:
            got = read_data(t, buf + done, size - done);
            if (got < 0)
                goto out;
            done += (size_t)got;
            break;
        case PHASE_ZEROS:
            n = t->zeros < size - done ? t->zeros : size - done;
            memset(buf + done, 0, n);
            done += n;
            t->zeros -= n;
            if (!t->zeros)
                t->phase = t->after_zeros;
            break;
        case PHASE_DONE:
        case PHASE_ERROR:
            goto out;
        }
    }
out:
    /* data before an error goes out now; the error comes with the next call */
    if (done)
        return (ssize_t)done;
    return t->phase == PHASE_ERROR ? -1 : 0;
}
