#!/usr/bin/env bash
# Benchmark (not a test): stream a build context through devstack's tar writer.
#
#   tests/bench/tar-context.sh [FILES] [MEGABYTES]
#
# Makes a tree of FILES files (default 20000) holding about MEGABYTES of data
# (default 200) in nested directories, then times, median of RUNS runs after
# warm-up runs (the page cache cannot be dropped here, so every run reads from
# memory):
#   (a) devstack: a small driver linked against build/libdevstack.a that loops
#       tar_stream_read() into write(1), to /dev/null
#   (b) GNU tar: tar -cf - -C DIR . > /dev/null
# and the same two through a pipe into cat, because GNU tar notices an archive
# that is /dev/null and then does not read the files at all. Prints MB/s of
# file data (1 MB = 10^6 bytes) and the ratios, and the driver's peak RSS.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FILES=${1:-20000}
MB=${2:-200}
RUNS=${RUNS:-10}
work=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT

make -C "$ROOT" -s build/libdevstack.a

# The driver, which also makes the tree (deterministic pseudo-random contents).
cat >"$work/driver.c" <<'EOF'
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/tar.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/*
 * FILES files in 20 x 10 directories, every tenth of those one level deeper:
 * mostly small files, a quarter medium, one in 200 of 1 MiB, like a source
 * tree with some assets; sizes drawn so that the total comes near BYTES.
 */
static int gen(const char *root, long files, long long bytes)
{
    static char data[(1 << 20) + 4096];
    long long big = (long long)(files / 200) << 20, total = 0;
    long long medium = (bytes - big) * 64 / (19 * files); /* mean of a medium file */
    char path[4096];

    if (medium < 16)
        medium = 16;
    for (size_t i = 0; i < sizeof(data) / 8; i++)
        ((uint64_t *)data)[i] = next();
    for (long i = 0; i < files; i++) {
        long top = i % 20, sub = (i / 20) % 10;
        size_t size;
        int fd, n;

        n = snprintf(path, sizeof(path), "%s/top%02ld", root, top);
        mkdir(path, 0755);
        n += snprintf(path + n, sizeof(path) - n, "/sub%02ld", sub);
        mkdir(path, 0755);
        if (sub == 9) {
            n += snprintf(path + n, sizeof(path) - n, "/deeper");
            mkdir(path, 0755);
        }
        snprintf(path + n, sizeof(path) - n, "/file%06ld.dat", i);
        if (i % 200 == 0)
            size = 1 << 20;
        else if (i % 4 == 0)
            size = (size_t)(next() % (uint64_t)(2 * medium));
        else
            size = (size_t)(next() % (uint64_t)(medium / 8));
        if (total + (long long)size > bytes)
            size = (size_t)(bytes - total);
        total += (long long)size;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, data + next() % 4096, size) != (ssize_t)size) {
            perror(path);
            return 1;
        }
        close(fd);
    }
    printf("%lld\n", total);
    return 0;
}

static int stream(const char *dir)
{
    struct ds_error err = DS_ERROR_INIT;
    struct tar_stream *t;
    static char buf[64 * 1024];
    ssize_t n;

    if (tar_stream_open(&t, dir, NULL, NULL, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    while ((n = tar_stream_read(buf, sizeof(buf), t)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0 && errno != EINTR)
                return 1;
            off += w > 0 ? w : 0;
        }
    }
    if (n < 0) {
        fprintf(stderr, "%s\n", tar_stream_error(t)->msg);
        return 1;
    }
    tar_stream_free(t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "gen"))
        return gen(argv[2], atol(argv[3]), atoll(argv[4]));
    if (argc == 3 && !strcmp(argv[1], "tar"))
        return stream(argv[2]);
    fprintf(stderr, "usage: driver gen DIR FILES BYTES | driver tar DIR\n");
    return 2;
}
EOF
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" -o "$work/driver" "$work/driver.c" \
    "$ROOT/build/libdevstack.a" $(pkg-config --libs libcurl libcjson yaml-0.1 libcrypto) -lpthread

tree="$work/tree"
mkdir "$tree"
data_bytes=$("$work/driver" gen "$tree" "$FILES" $((MB * 1000000)))
ndirs=$(find "$tree" -type d | wc -l)
echo "tree: $FILES files in $((ndirs - 1)) directories, $data_bytes bytes of data"

# The archives must agree on what they hold before their speed means anything.
"$work/driver" tar "$tree" >"$work/ours.tar"
tar -cf "$work/gnu.tar" -C "$tree" .
ours_entries=$(tar -tf "$work/ours.tar" | wc -l)
gnu_entries=$(tar -tf "$work/gnu.tar" | grep -vc '^\./$')
[ "$ours_entries" -eq "$gnu_entries" ] || {
    echo "entry counts differ: devstack $ours_entries, GNU tar $gnu_entries"
    exit 1
}
mkdir "$work/x"
tar -xf "$work/ours.tar" -C "$work/x"
diff -r "$tree" "$work/x" >/dev/null || { echo "extracted tree differs"; exit 1; }
echo "archive: $(stat -c %s "$work/ours.tar") bytes (GNU tar: $(stat -c %s "$work/gnu.tar")), $ours_entries entries, extracts to the same tree"
rm -rf "$work/x" "$work/ours.tar" "$work/gnu.tar"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# median wall microseconds of a shell command over RUNS runs (3 warm-up runs):
# hyperfine when there is one, else a loop of date calls
time_runs() {
    if command -v hyperfine >/dev/null; then
        hyperfine -w 3 -r "$RUNS" --export-csv "$work/h.csv" "$1" >/dev/null 2>&1
        awk -F, 'NR == 2 {printf "%d\n", $4 * 1000000}' "$work/h.csv"
        return
    fi
    for _ in 1 2 3; do bash -c "$1"; done
    for _ in $(seq 1 "$RUNS"); do
        s=$(date +%s%N)
        bash -c "$1"
        e=$(date +%s%N)
        echo $(((e - s) / 1000))
    done | median
}

mbps() { echo "scale=0; $data_bytes / $1" | bc; } # bytes per microsecond = MB/s

ours=$(time_runs "'$work/driver' tar '$tree' >/dev/null")
gnu=$(time_runs "tar -cf - -C '$tree' . >/dev/null")
ours_pipe=$(time_runs "'$work/driver' tar '$tree' | cat >/dev/null")
gnu_pipe=$(time_runs "tar -cf - -C '$tree' . | cat >/dev/null")
peak_kb=$(/usr/bin/time -f '%M' "$work/driver" tar "$tree" 2>&1 >/dev/null | tail -n 1)

printf 'devstack tar_stream > /dev/null:     %6d ms  %5d MB/s\n' $((ours / 1000)) "$(mbps "$ours")"
printf 'GNU tar -cf - > /dev/null:           %6d ms  %5d MB/s  (reads no file data: /dev/null)\n' \
    $((gnu / 1000)) "$(mbps "$gnu")"
printf 'devstack tar_stream | cat:           %6d ms  %5d MB/s\n' $((ours_pipe / 1000)) "$(mbps "$ours_pipe")"
printf 'GNU tar -cf - | cat:                 %6d ms  %5d MB/s\n' $((gnu_pipe / 1000)) "$(mbps "$gnu_pipe")"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "ratio (GNU tar time / devstack time): $(ratio "$gnu" "$ours") to /dev/null," \
    "$(ratio "$gnu_pipe" "$ours_pipe") through a pipe (above 1: devstack faster)"
echo "devstack driver peak RSS: $(echo "scale=1; $peak_kb / 1024" | bc) MB (median of $RUNS runs each, warm cache)"
