/*
 * devstack stats: the resource use of the services' containers in docker
 * stats' table (or JSON lines), once (--no-stream) or redrawn until Ctrl-C.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "devstack.h"
#include "signals.h"
#include "stack/control.h"
#include "table.h"
#include "util/buf.h"
#include "util/size.h"
#include "util/clock.h"
#include "util/banned.h"

/* How often the table is drawn again at most. */
#define SAMPLE_INTERVAL_MS 1000

static bool no_stream, all, no_trunc;
static const char *format;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_stats_options[] = {
        {OPT_BOOL, "no-stream", 0, &no_stream, NULL, "one sample, then exit"},
        {OPT_BOOL, "all", 'a', &all, NULL, "stopped containers too"},
        {OPT_CHOICE, "format", 0, &format, "FORMAT", "table (default) or json", 0, "table|json"},
        {OPT_BOOL, "no-trunc", 0, &no_trunc, NULL, "full container ids"},
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

/* The cells of a row, as docker stats formats them. */
struct cells {
    char id[65], cpu[32], mem_perc[32], pids[32];
    struct buf mem, net, blk;
};

static void pair(struct buf *b, uint64_t a, uint64_t c, enum size_style style)
{
    buf_reset(b);
    size_format(b, a, style);
    buf_adds(b, " / ");
    size_format(b, c, style);
}

static void cells_of(const struct stack_stats_row *r, struct cells *c)
{
    snprintf(c->id, sizeof(c->id), "%.*s", no_trunc ? 64 : 12, r->id);
    snprintf(c->cpu, sizeof(c->cpu), "%.2f%%", r->cpu_percent);
    snprintf(c->mem_perc, sizeof(c->mem_perc), "%.2f%%", r->mem_percent);
    snprintf(c->pids, sizeof(c->pids), "%llu", (unsigned long long)r->pids);
    pair(&c->mem, r->mem_usage, r->mem_limit, SIZE_DOCKER_BINARY);
    pair(&c->net, r->net_rx, r->net_tx, SIZE_DOCKER);
    pair(&c->blk, r->blk_read, r->blk_write, SIZE_DOCKER);
}

static void print_stats(const struct stack_stats *s)
{
    struct cells c = {.mem = BUF_INIT, .net = BUF_INIT, .blk = BUF_INIT};
    struct table t = TABLE_INIT;
    bool json = format && !strcmp(format, "json");

    if (!json)
        table_add(&t,
                  (const char *const[]){"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT",
                                        "MEM %", "NET I/O", "BLOCK I/O", "PIDS"},
                  8, false);
    for (size_t i = 0; i < s->n; i++) {
        cells_of(&s->items[i], &c);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            char *text;

            /* docker's field names, sorted as it prints them */
            cJSON_AddStringToObject(o, "BlockIO", c.blk.buf);
            cJSON_AddStringToObject(o, "CPUPerc", c.cpu);
            cJSON_AddStringToObject(o, "Container", c.id);
            cJSON_AddStringToObject(o, "ID", c.id);
            cJSON_AddStringToObject(o, "MemPerc", c.mem_perc);
            cJSON_AddStringToObject(o, "MemUsage", c.mem.buf);
            cJSON_AddStringToObject(o, "Name", s->items[i].name);
            cJSON_AddStringToObject(o, "NetIO", c.net.buf);
            cJSON_AddStringToObject(o, "PIDs", c.pids);
            text = cJSON_PrintUnformatted(o);
            printf("%s\n", text);
            cJSON_free(text);
            cJSON_Delete(o);
            continue;
        }
        table_add(&t,
                  (const char *const[]){c.id, s->items[i].name, c.cpu, c.mem.buf, c.mem_perc,
                                        c.net.buf, c.blk.buf, c.pids},
                  8, false);
    }
    if (!json)
        table_print(stdout, &t, 10, 3);
    fflush(stdout);
    table_release(&t);
    buf_release(&c.mem);
    buf_release(&c.net);
    buf_release(&c.blk);
}

int cmd_stats(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    bool tty = isatty(STDOUT_FILENO);
    volatile sig_atomic_t *old;
    int rc = 0, status = EXIT_OK;

    signals_catch();
    old = engine_set_cancel_flag(ctx->engine, &sig_interrupted);
    do {
        struct stack_stats s;
        uint64_t started = clock_ms();

        rc = stack_stats(ctx->engine, ctx->project, &services, all, &s, &err);
        if (rc < 0)
            break;
        /* on a terminal the table is drawn again in place, as docker stats does */
        if (!no_stream && tty)
            fputs("\033[2J\033[H", stdout);
        print_stats(&s);
        stack_stats_release(&s);
        /*
         * A sample of running containers takes the engine about a second;
         * with none running it takes nothing: a sample a second either way.
         */
        while (!no_stream && !sig_interrupted && clock_ms() - started < SAMPLE_INTERVAL_MS)
            clock_sleep_ms(50);
    } while (!no_stream && !sig_interrupted);
    engine_set_cancel_flag(ctx->engine, old);
    if (rc < 0 && rc != DS_EINTR)
        status = cmd_error(&err);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
