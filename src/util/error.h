/*
 * The error chain. Functions in src/ return 0 or a negative DS_E* code and
 * fill a struct ds_error; callers add context on the way up:
 *
 *     if (engine_container_start(e, id, err) < 0)
 *         return ds_error_wrap(err, "starting service '%s'", name);
 *
 * gives "starting service 'db': <what the engine said>". Only cmd/ prints it.
 */
#ifndef DEVSTACK_ERROR_H
#define DEVSTACK_ERROR_H

enum ds_status {
    DS_OK = 0,
    DS_ERR = -1,          /* anything not named below */
    DS_EINVAL = -2,       /* bad input: a file, an argument, a value */
    DS_ENOTFOUND = -3,    /* no such container, image, file, revision */
    DS_ECONFLICT = -4,    /* name in use, port allocated */
    DS_EUNREACHABLE = -5, /* nothing answers at the endpoint */
    DS_EPERM = -6,        /* permission denied */
    DS_EPROTO = -7,       /* the peer said something we cannot understand */
    DS_ETIMEDOUT = -8,
    DS_EINTR = -9, /* interrupted by the user */
    DS_EUNSUPPORTED = -10,
    DS_EIO = -11,
    DS_EENGINE = -12, /* the engine answered with an error of its own */
};

struct ds_error {
    int code;
    char *msg;  /* lowercase, no full stop; NULL when no error */
    char *hint; /* what to do about it, or NULL */
};

#define DS_ERROR_INIT                                                                              \
    {                                                                                              \
        0, NULL, NULL                                                                              \
    }

/* Replace any earlier error; returns `code` so callers can `return ds_error_set(...)`. */
int ds_error_set(struct ds_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* As ds_error_set, with ": strerror(errnum)" appended. */
int ds_error_errno(struct ds_error *err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prefix the message with context: "<context>: <message>". Returns err->code. */
int ds_error_wrap(struct ds_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Attach (or replace) the advice on what to do. */
void ds_error_hint(struct ds_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void ds_error_release(struct ds_error *err);

/* Map an errno value to a DS_E* code. */
int ds_status_from_errno(int errnum);

#endif
