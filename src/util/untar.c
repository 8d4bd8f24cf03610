/* A streaming tar extractor: ustar, pax and GNU long names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/untar.h"
#include "util/banned.h"

#define BLOCK    512
#define META_MAX (1u << 20) /* of a pax header or a long name */

enum phase { HEADER, DATA, PADDING, END };

struct untar {
    char *root;
    bool keep_owner;
    enum phase phase;
    char header[BLOCK];
    size_t header_len;
    int zero_blocks;
    /* the entry being read */
    char type;
    unsigned long long left, padding;
    int fd;
    struct buf meta; /* the data of a pax 'x' header or a GNU 'L'/'K' entry */
    char *pax_path, *pax_link, *long_name, *long_link;
    char *path; /* where the current file goes */
    unsigned mode;
    long long mtime;
    unsigned uid, gid;
    /* directories get their mtimes last: what is made inside changes them */
    struct strvec dirs;
    struct buf dir_times; /* long long per entry of dirs */
};

struct untar *untar_new(const char *root, bool keep_owner)
{
    struct untar *u = xcalloc(1, sizeof(*u));

    u->root = xstrdup(root);
    u->keep_owner = keep_owner;
    u->fd = -1;
    buf_init_capped(&u->meta, META_MAX);
    strvec_init(&u->dirs);
    buf_init(&u->dir_times, 0);
    return u;
}

static unsigned long long octal(const char *p, size_t n)
{
    unsigned long long v = 0;

    /* base-256 (GNU) for large numbers */
    if (n && ((unsigned char)p[0] & 0x80)) {
        for (size_t i = 1; i < n; i++)
            v = (v << 8) | (unsigned char)p[i];
        return v;
    }
    while (n && (*p == ' ' || *p == '\0')) {
        p++;
        n--;
    }
    while (n && *p >= '0' && *p <= '7') {
        v = v * 8 + (unsigned)(*p - '0');
        p++;
        n--;
    }
    return v;
}

/* The archive's name with its first component replaced by root; NULL when it climbs out. */
static char *target_of(const struct untar *u, const char *name)
{
    const char *rest;
    struct buf b = BUF_INIT;

    if (*name == '/')
        return NULL;
    for (const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);

        if (len == 2 && !strncmp(p, "..", 2))
            return NULL;
        p += len + (slash ? 1 : 0);
    }
    rest = strchr(name, '/');
    buf_adds(&b, u->root);
    while (rest && *rest == '/')
        rest++;
    if (rest && *rest) {
        buf_addf(&b, "/%s", rest);
        while (b.len > 1 && b.buf[b.len - 1] == '/')
            buf_setlen(&b, b.len - 1);
    }
    return buf_detach(&b, NULL);
}

/* pax records: "LEN key=value\n" */
static void parse_pax(struct untar *u)
{
    const char *p = u->meta.buf, *end = u->meta.buf + u->meta.len;

    while (p < end) {
        char *after = NULL;
        unsigned long len = strtoul(p, &after, 10);
        const char *space = after, *eq;

        if (!len || (size_t)(end - p) < len || *space != ' ')
            return;
        eq = memchr(space, '=', (size_t)(p + len - space));
        if (eq) {
            size_t klen = (size_t)(eq - space - 1);
            char *value = xstrndup(eq + 1, (size_t)(p + len - eq - 2));

            if (klen == 4 && !strncmp(space + 1, "path", 4)) {
                free(u->pax_path);
                u->pax_path = value;
            } else if (klen == 8 && !strncmp(space + 1, "linkpath", 8)) {
                free(u->pax_link);
                u->pax_link = value;
            } else {
                free(value);
            }
        }
        p += len;
    }
}

static void clear_names(struct untar *u)
{
    free(u->pax_path);
    free(u->pax_link);
    free(u->long_name);
    free(u->long_link);
    free(u->path);
    u->pax_path = u->pax_link = u->long_name = u->long_link = u->path = NULL;
}

static void set_meta(const struct untar *u, const char *path, bool is_link)
{
    /* not root: what is made stays ours, as docker cp makes it for a user */
    if (u->keep_owner && lchown(path, u->uid, u->gid) < 0)
        errno = 0;
    if (!is_link) {
        struct timeval tv[2] = {{(time_t)u->mtime, 0}, {(time_t)u->mtime, 0}};

        chmod(path, u->mode & 07777);
        utimes(path, tv);
    }
}

static int start_entry(struct untar *u, struct ds_error *err)
{
    const char *h = u->header;
    char name[257], linked[101];
    char *target = NULL;
    int rc = 0;

    u->type = h[156] ? h[156] : '0';
    u->left = octal(h + 124, 12);
    u->padding = (BLOCK - u->left % BLOCK) % BLOCK;
    u->mode = (unsigned)octal(h + 100, 8);
    u->uid = (unsigned)octal(h + 108, 8);
    u->gid = (unsigned)octal(h + 116, 8);
    u->mtime = (long long)octal(h + 136, 12);

    if (u->type == 'x' || u->type == 'g' || u->type == 'L' || u->type == 'K') {
        buf_reset(&u->meta);
        if (u->left > META_MAX)
            return ds_error_set(err, DS_EPROTO, "a tar header of %llu bytes is too long", u->left);
        return 0;
    }
    /* ustar: prefix "/" name */
    if (!memcmp(h + 257, "ustar", 5) && h[345])
        snprintf(name, sizeof(name), "%.155s/%.100s", h + 345, h);
    else
        snprintf(name, sizeof(name), "%.100s", h);
    snprintf(linked, sizeof(linked), "%.100s", h + 157);

    target = target_of(u, u->pax_path ? u->pax_path : u->long_name ? u->long_name : name);
    if (!target) {
        rc = ds_error_set(err, DS_EPROTO, "the archive has an entry outside its directory: '%s'",
                          u->pax_path ? u->pax_path : name);
        goto done;
    }
    switch (u->type) {
    case '5':
        if (mkdir(target, 0700) < 0 && errno != EEXIST) {
            rc = ds_error_errno(err, errno, "cannot make directory '%s'", target);
            break;
        }
        set_meta(u, target, false);
        strvec_push(&u->dirs, target);
        buf_add(&u->dir_times, &u->mtime, sizeof(u->mtime));
        break;
    case '2': {
        const char *to = u->pax_link ? u->pax_link : u->long_link ? u->long_link : linked;

        unlink(target);
        if (symlink(to, target) < 0)
            rc = ds_error_errno(err, errno, "cannot make symlink '%s'", target);
        else
            set_meta(u, target, true);
        break;
    }
    case '1': {
        char *from = target_of(u, u->pax_link ? u->pax_link : u->long_link ? u->long_link : linked);

        unlink(target);
        if (!from || link(from, target) < 0)
            rc = ds_error_errno(err, from ? errno : EINVAL, "cannot make hard link '%s'", target);
        free(from);
        break;
    }
    case '0':
    case '7':
        unlink(target);
        u->fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (u->fd < 0)
            rc = ds_error_errno(err, errno, "cannot write '%s'", target);
        u->path = target;
        target = NULL;
        return rc;
    default: /* devices, fifos: not for a copy */
        break;
    }

done:
    free(target);
    clear_names(u);
    return rc;
}

static int end_entry(struct untar *u, struct ds_error *err)
{
    int rc = 0;

    if (u->type == 'x') {
        parse_pax(u);
    } else if (u->type == 'L' || u->type == 'K') {
        char **slot = u->type == 'L' ? &u->long_name : &u->long_link;

        free(*slot);
        *slot = xstrndup(u->meta.buf, strnlen(u->meta.buf, u->meta.len));
    } else if (u->fd >= 0) {
        if (close(u->fd) < 0)
            rc = ds_error_errno(err, errno, "cannot write '%s'", u->path);
        u->fd = -1;
        set_meta(u, u->path, false);
        clear_names(u);
    }
    return rc;
}

static bool all_zero(const char *block)
{
    for (size_t i = 0; i < BLOCK; i++)
        if (block[i])
            return false;
    return true;
}

int untar_feed(struct untar *u, const char *data, size_t len, struct ds_error *err)
{
    int rc = 0;

    while (len && rc == 0) {
        size_t n;

        switch (u->phase) {
        case END:
            return 0; /* what follows the end blocks is padding */
        case HEADER:
            n = BLOCK - u->header_len < len ? BLOCK - u->header_len : len;
            memcpy(u->header + u->header_len, data, n);
            u->header_len += n;
            data += n;
            len -= n;
            if (u->header_len < BLOCK)
                break;
            u->header_len = 0;
            if (all_zero(u->header)) {
                if (++u->zero_blocks == 2)
                    u->phase = END;
                break;
            }
            u->zero_blocks = 0;
            rc = start_entry(u, err);
            if (rc == 0)
                u->phase = u->left ? DATA : u->padding ? PADDING : HEADER;
            if (rc == 0 && !u->left)
                rc = end_entry(u, err);
            break;
        case DATA:
            n = u->left < len ? (size_t)u->left : len;
            if (u->fd >= 0) {
                for (size_t off = 0; off < n;) {
                    ssize_t w = write(u->fd, data + off, n - off);

                    if (w < 0 && errno == EINTR)
                        continue;
                    if (w < 0) {
                        rc = ds_error_errno(err, errno, "cannot write '%s'", u->path);
                        break;
                    }
                    off += (size_t)w;
                }
            } else if (u->type == 'x' || u->type == 'L' || u->type == 'K') {
                buf_add(&u->meta, data, n);
            }
            data += n;
            len -= n;
            u->left -= n;
            if (rc == 0 && !u->left) {
                rc = end_entry(u, err);
                u->phase = u->padding ? PADDING : HEADER;
            }
            break;
        case PADDING:
            n = u->padding < len ? (size_t)u->padding : len;
            data += n;
            len -= n;
            u->padding -= n;
            if (!u->padding)
                u->phase = HEADER;
            break;
        }
    }
    return rc;
}

int untar_finish(struct untar *u, struct ds_error *err)
{
    if (u->phase != END && (u->phase != HEADER || u->header_len))
        return ds_error_set(err, DS_EPROTO, "the archive ended in the middle of an entry");
    for (size_t i = u->dirs.n; i > 0; i--) {
        long long t;
        struct timeval tv[2];

        memcpy(&t, u->dir_times.buf + (i - 1) * sizeof(t), sizeof(t));
        tv[0] = tv[1] = (struct timeval){(time_t)t, 0};
        utimes(u->dirs.v[i - 1], tv);
    }
    return 0;
}

void untar_free(struct untar *u)
{
    if (!u)
        return;
    if (u->fd >= 0)
        close(u->fd);
    clear_names(u);
    free(u->root);
    buf_release(&u->meta);
    buf_release(&u->dir_times);
    strvec_clear(&u->dirs);
    free(u);
}
