/*
 * The files src/migrate reads (alembic.ini, the revision files): read whole
 * with a size cap, and errors that name path:line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

#include "migrate/internal.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/banned.h"

int source_read(struct buf *out, const char *path, size_t max, struct ds_error *err)
{
    return source_readat(out, AT_FDCWD, path, path, max, err);
}

int source_readat(struct buf *out, int dirfd, const char *name, const char *path, size_t max,
                  struct ds_error *err)
{
    int rc = buf_read_fileat(out, dirfd, name, max);

    if (rc == -EFBIG)
        return ds_error_set(err, DS_EINVAL, "cannot read '%s': larger than %zu MiB", path,
                            max >> 20);
    if (rc < 0)
        return ds_error_errno(err, -rc, "cannot read '%s'", path);
    return DS_OK;
}

int source_fail(struct ds_error *err, int code, const char *path, unsigned line, const char *fmt,
                ...)
{
    struct buf msg = BUF_INIT;
    va_list ap;

    if (line)
        buf_addf(&msg, "%s:%u: ", path, line);
    else
        buf_addf(&msg, "%s: ", path);
    va_start(ap, fmt);
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    ds_error_set(err, code, "%s", msg.buf);
    buf_release(&msg);
    return code;
}
