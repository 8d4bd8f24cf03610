/* devstack events: the project's container events as they happen, in Compose's lines or JSON. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "devstack.h"
#include "signals.h"
#include "stack/control.h"
#include "util/buf.h"
#include "util/banned.h"

static bool json;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_events_options[] = {
        {OPT_BOOL, "json", 0, &json, NULL, "one JSON object per event"},
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

/* Go's RFC3339Nano: local time, trailing zeros of the fraction dropped, "Z" for UTC. */
static void rfc3339_nano(struct buf *out, int64_t ns)
{
    time_t secs = (time_t)(ns / 1000000000);
    long frac = (long)(ns % 1000000000);
    struct tm tm;
    char date[32], digits[16];
    size_t n;

    localtime_r(&secs, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    buf_adds(out, date);
    if (frac) {
        snprintf(digits, sizeof(digits), "%09ld", frac);
        for (n = strlen(digits); n && digits[n - 1] == '0'; n--)
            ;
        buf_addf(out, ".%.*s", (int)n, digits);
    }
    if (!tm.tm_gmtoff)
        buf_addch(out, 'Z');
    else
        buf_addf(out, "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
                 (tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff) / 3600,
                 (tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff) % 3600 / 60);
}

static int print_event(const struct stack_container_event *ev, void *ud)
{
    struct buf b = BUF_INIT;

    (void)ud;
    if (json) {
        cJSON *o = cJSON_CreateObject(), *attrs;
        char *text;

        /* encoding/json's order: the keys sorted */
        cJSON_AddStringToObject(o, "action", ev->action);
        attrs = cJSON_AddObjectToObject(o, "attributes");
        for (size_t i = 0; i < ev->attributes.n; i++)
            cJSON_AddStringToObject(attrs, ev->attributes.items[i].key,
                                    ev->attributes.items[i].value ? ev->attributes.items[i].value
                                                                  : "");
        cJSON_AddStringToObject(o, "id", ev->id);
        cJSON_AddStringToObject(o, "service", ev->service);
        rfc3339_nano(&b, ev->time_ns);
        cJSON_AddStringToObject(o, "time", b.buf);
        cJSON_AddStringToObject(o, "type", "container");
        text = cJSON_PrintUnformatted(o);
        printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    } else {
        time_t secs = (time_t)(ev->time_ns / 1000000000);
        struct tm tm;
        char date[32];

        localtime_r(&secs, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        printf("%s.%06ld container %s %s (", date, (long)(ev->time_ns % 1000000000 / 1000),
               ev->action, ev->id);
        for (size_t i = 0; i < ev->attributes.n; i++)
            printf("%s%s=%s", i ? ", " : "", ev->attributes.items[i].key,
                   ev->attributes.items[i].value ? ev->attributes.items[i].value : "");
        /* Compose's event text ends with a newline, and Println adds one */
        printf(")\n\n");
    }
    buf_release(&b);
    return fflush(stdout) == 0 ? 0 : DS_EIO;
}

int cmd_events(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    volatile sig_atomic_t *old;
    int rc, status = EXIT_OK;

    signals_catch();
    old = engine_set_cancel_flag(ctx->engine, &sig_interrupted);
    rc = stack_events(ctx->engine, ctx->project, &services, print_event, NULL, &err);
    engine_set_cancel_flag(ctx->engine, old);
    if (rc == DS_EINTR)
        status = EXIT_OK; /* Ctrl-C is how it ends */
    else if (rc == DS_EIO)
        status = EXIT_ERROR;
    else if (rc < 0)
        status = cmd_error(&err);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
