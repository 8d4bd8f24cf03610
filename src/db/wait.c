/*
 * Waiting until the application database is ready: the app user logs in over
 * the URL's transport and `SELECT 1` runs in the app database (see
 * REFERENCE.md, "MySQL readiness").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/duration.h"
#include "util/banned.h"

#define POLL_MS            100  /* from the start of one attempt to the next */
#define CONNECT_TIMEOUT_MS 1000 /* each attempt's connect (and read) timeout */
#define SLICE_MS           10   /* how often a sleep looks at the cancel flag */
/*
 * Over a Unix socket the images' temporary init servers answer before they
 * have created the app user and database: "access denied" and "unknown
 * database" mean "not yet" for this long.
 */
#define SOCKET_GRACE_MS 2000

/*
 * Whether the URL reaches the server over its Unix socket: MySQL's
 * unix_socket; for PostgreSQL a host that is a directory, or none (libpq's
 * default socket). The postgres image's init server listens on the socket
 * only, as the mysql image's does.
 */
static bool over_socket(const struct db_url *url)
{
    struct db_target t;

    if (url->engine == DB_MYSQL)
        return url->unix_socket != NULL;
    if (db_url_target(url, &t, NULL) < 0)
        return false;
    return t.unix_socket || !t.host || !*t.host;
}

static bool cancelled(const volatile sig_atomic_t *cancel)
{
    return cancel && *cancel;
}

/* Sleep until the monotonic time `until` (ms); false when cancelled meanwhile. */
static bool sleep_until(uint64_t until, const volatile sig_atomic_t *cancel)
{
    for (;;) {
        uint64_t now = clock_ms();
        uint64_t ms;
        struct timespec ts;

        if (cancelled(cancel))
            return false;
        if (now >= until)
            return true;
        ms = until - now < SLICE_MS ? until - now : SLICE_MS;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)ms * 1000000L;
        nanosleep(&ts, NULL); /* EINTR: a signal may have set the flag, look again */
    }
}

/* One attempt: connect as the app user, then SELECT 1. */
static enum db_reason attempt(const struct db_url *url, struct ds_error *err)
{
    struct db_conn *conn = NULL;
    struct strvec rows = STRVEC_INIT;
    enum db_reason why = DB_OTHER;

    if (db_connect(&conn, url, CONNECT_TIMEOUT_MS, &why, err) < 0)
        return why;
    why = DB_OK;
    if (db_query_column(conn, "SELECT 1", &rows, err) < 0)
        why = DB_QUERY;
    strvec_clear(&rows);
    db_close(conn);
    return why;
}

/* Hand the attempt's error to the caller's err. */
static int take_error(struct ds_error *err, struct ds_error *from)
{
    int code = from->code ? from->code : DS_ERR;

    if (err) {
        ds_error_release(err);
        *err = *from;
    } else {
        ds_error_release(from);
    }
    from->code = 0;
    from->msg = NULL;
    from->hint = NULL;
    return code;
}

int db_wait(const struct db_url *url, unsigned timeout_ms, const volatile sig_atomic_t *cancel,
            struct db_wait_result *res, struct ds_error *err)
{
    struct ds_error last = DS_ERROR_INIT;
    uint64_t start = clock_ms(), deadline = start + timeout_ms;
    char took[32];
    int rc;

    memset(res, 0, sizeof(*res));
    for (;;) {
        uint64_t begun = clock_ms(), next;

        if (cancelled(cancel))
            break;
        res->attempts++;
        ds_error_release(&last);
        res->last = attempt(url, &last);
        res->elapsed_ms = (unsigned)(clock_ms() - start);
        free(res->last_message);
        res->last_message = last.msg ? xstrdup(last.msg) : NULL;
        if (res->last == DB_OK) {
            rc = DS_OK;
            goto done;
        }
        if (cancelled(cancel))
            break;
        /* over TCP the answer comes from the real server: waiting will not help */
        if (!db_reason_transient(res->last) &&
            !(over_socket(url) && begun - start < SOCKET_GRACE_MS)) {
            rc = take_error(err, &last);
            goto done;
        }
        if (clock_ms() >= deadline) {
            duration_format((int64_t)timeout_ms * 1000000, took, sizeof(took));
            take_error(err, &last);
            ds_error_wrap(err, "the database was not ready within %s (%u attempt%s)", took,
                          res->attempts, res->attempts == 1 ? "" : "s");
            if (err)
                err->code = DS_ETIMEDOUT;
            rc = DS_ETIMEDOUT;
            goto done;
        }
        next = begun + POLL_MS;
        if (!sleep_until(next < deadline ? next : deadline, cancel))
            break;
    }
    res->elapsed_ms = (unsigned)(clock_ms() - start);
    rc = ds_error_set(err, DS_EINTR, "waiting for the database: interrupted");

done:
    ds_error_release(&last);
    return rc;
}

void db_wait_result_release(struct db_wait_result *res)
{
    free(res->last_message);
    memset(res, 0, sizeof(*res));
}
