#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/banned.h"

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *vformat(const char *fmt, va_list ap)
{
    struct buf b = BUF_INIT;

    buf_vaddf(&b, fmt, ap);
    return buf_detach(&b, NULL);
}

int ds_error_set(struct ds_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    char *msg;

    if (!err)
        return code;
    /* format first: the arguments may point into the old message */
    va_start(ap, fmt);
    msg = vformat(fmt, ap);
    va_end(ap);
    ds_error_release(err);
    err->code = code ? code : DS_ERR;
    err->msg = msg;
    return err->code;
}

int ds_error_errno(struct ds_error *err, int errnum, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    if (!err)
        return ds_status_from_errno(errnum);
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    buf_addf(&b, ": %s", strerror(errnum));
    ds_error_release(err);
    err->code = ds_status_from_errno(errnum);
    err->msg = buf_detach(&b, NULL);
    return err->code;
}

int ds_error_wrap(struct ds_error *err, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    if (!err)
        return DS_ERR;
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    if (err->msg) {
        buf_addf(&b, ": %s", err->msg);
        free(err->msg);
    }
    err->msg = buf_detach(&b, NULL);
    if (!err->code)
        err->code = DS_ERR;
    return err->code;
}

void ds_error_hint(struct ds_error *err, const char *fmt, ...)
{
    va_list ap;

    char *hint;

    if (!err)
        return;
    va_start(ap, fmt);
    hint = vformat(fmt, ap);
    va_end(ap);
    free(err->hint);
    err->hint = hint;
}

void ds_error_release(struct ds_error *err)
{
    if (!err)
        return;
    free(err->msg);
    free(err->hint);
    err->code = 0;
    err->msg = NULL;
    err->hint = NULL;
}

int ds_status_from_errno(int errnum)
{
    switch (errnum) {
    case 0:
        return DS_OK;
    case ENOENT:
    case ENOTDIR:
        return DS_ENOTFOUND;
    case EACCES:
    case EPERM:
        return DS_EPERM;
    case EINVAL:
        return DS_EINVAL;
    case EEXIST:
        return DS_ECONFLICT;
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
        return DS_EUNREACHABLE;
    case ETIMEDOUT:
        return DS_ETIMEDOUT;
    case EINTR:
        return DS_EINTR;
    default:
        return DS_EIO;
    }
}
