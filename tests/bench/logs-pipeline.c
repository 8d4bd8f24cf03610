/*
 * Benchmark driver (built by tests/bench/logs.sh): the path a log line takes
 * inside devstack, without the engine: an 8-byte-framed stream of stdout and
 * stderr, fed in 32 KiB reads through the demultiplexer, split into lines,
 * prefixed with the service, written to stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "stack/logs.h"
#include "stack/stack.h"
#include "util/banned.h"

struct sink {
    struct stack_lines lines;
    struct buf out;
};

static void on_line(int stream, const char *line, size_t len, void *ud)
{
    struct sink *s = ud;

    (void)stream;
    stack_log_format(&s->out, "backend", 10, NULL, true, line, len);
    if (s->out.len > 65536) {
        fwrite(s->out.buf, 1, s->out.len, stdout);
        buf_reset(&s->out);
    }
}

static int on_output(int stream, const char *data, size_t len, void *ud)
{
    struct sink *s = ud;

    stack_lines_feed(&s->lines, stream, data, len, on_line, s);
    return 0;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 200, total = mb << 20, pos = 0;
    char *stream = malloc(total + 4096), line[101];
    struct sink s = {.out = BUF_INIT};
    struct engine_demux d;
    struct ds_error err = DS_ERROR_INIT;
    struct timespec a, b;
    int n = 0;

    memset(line, 'x', 99);
    line[99] = '\n';
    /* frames of 4 KiB, alternating streams, as the engine sends them */
    while (pos + 8 + 4000 <= total) {
        unsigned char h[8] = {(unsigned char)(1 + n++ % 2), 0, 0, 0, 0, 0, 4000 >> 8, 4000 & 255};

        memcpy(stream + pos, h, 8);
        pos += 8;
        for (int k = 0; k < 40; k++, pos += 100)
            memcpy(stream + pos, line, 100);
    }
    stack_lines_init(&s.lines);
    engine_demux_init(&d);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t off = 0; off < pos; off += 32768)
        engine_demux_feed(&d, stream + off, pos - off < 32768 ? pos - off : 32768, on_output, &s,
                          &err);
    fwrite(s.out.buf, 1, s.out.len, stdout);
    fflush(stdout);
    clock_gettime(CLOCK_MONOTONIC, &b);
    fprintf(stderr, "%.0f MB/s (%zu MB in %.3f s)\n",
            (double)pos / 1048576 / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9),
            pos >> 20, (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
    stack_lines_release(&s.lines);
    buf_release(&s.out);
    free(stream);
    return 0;
}
