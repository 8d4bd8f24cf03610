#!/usr/bin/env bash
# Benchmark (not a test), in two parts:
#  1. devstack's own log path (demultiplex, split lines, prefix, write) on a
#     200 MB framed stream held in memory: what devstack can do when the
#     engine is not the limit (tests/bench/logs-pipeline.c);
#  2. a container's output of SIZE_MB megabytes (default 50) read with
#     `devstack logs` and with `docker logs`, both to /dev/null, alternating:
#     here the engine's json-file driver is the limit for both, and the
#     engine's own rate (the raw endpoint read by curl) is shown as the ceiling.
# The container writes 100-byte lines to stdout and stderr.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
SIZE_MB=${1:-50}
RUNS=${RUNS:-3}
work=$(mktemp -d)
trap '(cd "$work" && "$DEVSTACK" down --progress quiet >/dev/null 2>&1); rm -rf "$work"' EXIT
make -C "$ROOT" -s build/libdevstack.a
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" -o "$work/pipeline" "$ROOT/tests/bench/logs-pipeline.c" \
    "$ROOT/build/libdevstack.a" $(pkg-config --libs libcurl libcjson yaml-0.1 libcrypto) -lhttp_parser -lpthread
for _ in 1 2 3; do "$work/pipeline" 200 >/dev/null; done 2>&1 | sed 's/^/devstack log path, in memory: /'

cat >"$work/compose.yaml" <<YAML
name: benchlogs
services:
  writer:
    image: devstack-test/busybox:latest
    init: true
    command: [sh, -c, 'yes $(printf "%099d" 0) | head -c $((SIZE_MB / 2 * 1048576)); yes $(printf "%099d" 1) | head -c $((SIZE_MB / 2 * 1048576)) >&2; exec sleep 3600']
YAML
cd "$work"
"$DEVSTACK" up -d --progress quiet
# wait until it has written everything: `head -c` may cut the last line, so
# the size to wait for is "no longer growing", not an exact byte count
prev=-1
for _ in $(seq 1 600); do
    n=$(docker logs benchlogs-writer-1 2>&1 | wc -c)
    [ "$n" -gt 0 ] && [ "$n" -eq "$prev" ] && break
    prev=$n
    sleep 2
done
bytes=$("$DEVSTACK" logs --no-log-prefix writer 2>&1 | wc -c)
echo "log size: $((bytes / 1048576)) MB"

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
sock=/var/run/docker.sock
[[ ${DOCKER_HOST:-} == unix://* ]] && sock=${DOCKER_HOST#unix://}
raw() { curl -s --unix-socket "$sock" -o /dev/null "http://localhost/containers/benchlogs-writer-1/logs?stdout=1&stderr=1"; }
ds=() dc=() dr=()
for _ in $(seq 1 "$RUNS"); do
    ds+=("$(ms "$DEVSTACK" logs writer)")
    dc+=("$(ms docker logs benchlogs-writer-1)")
    dr+=("$(ms raw)")
done
d=$(printf '%s\n' "${ds[@]}" | median)
c=$(printf '%s\n' "${dc[@]}" | median)
r=$(printf '%s\n' "${dr[@]}" | median)
printf 'the engine alone (curl of /logs):  %5d ms  %6.0f MB/s  (the ceiling for any client)\n' "$r" "$(echo "$bytes / 1048576 / ($r / 1000)" | bc -l)"
printf 'devstack logs (with prefixes):     %5d ms  %6.0f MB/s\n' "$d" "$(echo "$bytes / 1048576 / ($d / 1000)" | bc -l)"
printf 'docker logs:                       %5d ms  %6.0f MB/s\n' "$c" "$(echo "$bytes / 1048576 / ($c / 1000)" | bc -l)"
printf 'ratio: devstack %.2fx the speed of docker logs (median of %d runs each)\n' "$(echo "$c / $d" | bc -l)" "$RUNS"
