#!/usr/bin/env bash
# Benchmark (not a test): develop.watch latency, from a save on the host to
# the file whole in the container.
#
#   tests/bench/watch.sh [EDITS]     (default 20)
#
# One project, one service with a sync rule (./src -> /app), watched in turn
# by `devstack watch --no-up` (as it syncs by default: straight into the
# container's root where it can reach it), by the same with
# DEVSTACK_WATCH_ARCHIVE=1 (through the Engine's archive API, as Compose
# does), and by `docker compose watch --no-up`. For each edit a new file is
# saved (even edits: a plain write; odd ones: written aside and renamed
# over, as editors save). Arrival is taken inside the container by a small
# static program (watch_probe.c) that waits on inotify for the file to be
# closed after writing, or renamed into /app, and prints the time: the
# container shares the host's clock, and no `docker exec` poll (which costs
# more than a sync) is part of the measure. Prints the median, 90th
# percentile and worst latency of each, the ratios of the medians and the
# load average. Compose waits for 500 ms of quiet before it syncs; devstack
# for 20 ms. Needs devstack-test/busybox:latest (tests/integration/prepare.sh),
# a C compiler with a static libc, and the docker CLI with Compose v2.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
EDITS=${1:-20}
PROJECT=twatchfastbench$$

work=$(mktemp -d)
wpid=
probe=
cleanup() {
    [ -n "$wpid" ] && kill -KILL "$wpid" 2>/dev/null || true
    # reaped here, so the shell does not report the job it killed
    if [ -n "$probe" ] && kill -KILL "$probe" 2>/dev/null; then
        wait "$probe" 2>/dev/null || true
    fi
    (cd "$work" && "$DEVSTACK" -p $PROJECT down --rmi local >/dev/null 2>&1) || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/src"
${CC:-cc} -O2 -static -I "$ROOT/src" -o "$work/watch_probe" "$ROOT/tests/bench/watch_probe.c"
printf 'FROM devstack-test/busybox:latest\nCMD ["sleep", "3600"]\n' >"$work/Dockerfile"
cat >"$work/compose.yaml" <<'YAML'
services:
  app:
    build: .
    init: true
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
YAML
cd "$work"
"$DEVSTACK" -p $PROJECT up -d --progress quiet >/dev/null
cid=$(docker inspect -f '{{.Id}}' $PROJECT-app-1)
docker exec "$cid" mkdir -p /app
docker cp -q "$work/watch_probe" "$cid:/watch_probe"
docker exec "$cid" /watch_probe /app >"$work/probe.out" 2>&1 &
probe=$!
for i in $(seq 100); do grep -q ready "$work/probe.out" && break; sleep 0.1; done
grep -q ready "$work/probe.out" || { echo "the probe did not start:" >&2; cat "$work/probe.out" >&2; exit 1; }

# measure TAG: EDITS saves, one latency in ms per line on stdout
measure() {
    python3 - "$work/probe.out" "$work/src" "$1" "$EDITS" <<'PY'
import os, sys, time
probe, src, tag, edits = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
seen = open(probe)
seen.seek(0, os.SEEK_END)
arrived, partial = {}, ""
for i in range(edits):
    name = f"{tag}-{i}.txt"
    t0 = time.time_ns()
    if i % 2:
        with open(os.path.join(src, "." + name + ".tmp"), "w") as f:
            f.write("x" * 100)
        os.rename(os.path.join(src, "." + name + ".tmp"), os.path.join(src, name))
    else:
        with open(os.path.join(src, name), "w") as f:
            f.write("x" * 100)
    while name not in arrived:
        partial += seen.readline()
        if partial.endswith("\n"):
            n, ns = partial.split()
            arrived.setdefault(n, int(ns))
            partial = ""
            continue
        if time.time_ns() - t0 > 15e9:
            sys.exit(f"{tag}: {name} never reached the container")
        time.sleep(0.001)
    print(round((arrived[name] - t0) / 1e6, 1), flush=True)
    time.sleep(0.7)  # past Compose's quiet period: every save is a batch of its own
PY
}
# run TAG CMD...: start the watcher, wait until it watches, measure, stop it
run() {
    local tag=$1 i
    shift
    "$@" >"$work/$tag.out" 2>&1 &
    wpid=$!
    for i in $(seq 300); do grep -q "Watch enabled" "$work/$tag.out" && break; sleep 0.1; done
    grep -q "Watch enabled" "$work/$tag.out" || { echo "$tag did not start:" >&2; cat "$work/$tag.out" >&2; exit 1; }
    measure "$tag" >"$work/$tag.ms"
    kill -INT $wpid
    wait $wpid || true
    wpid=
}
# stats FILE: median, 90th percentile (nearest rank) and worst
stats() {
    sort -n "$1" | awk '{a[NR]=$1} END {p=int(NR*0.9); if (p<NR*0.9) p++; printf "%s %s %s", a[int((NR+1)/2)], a[p], a[NR]}'
}
med() { stats "$work/$1.ms" | cut -d' ' -f1; }

run devstack "$DEVSTACK" -p $PROJECT watch --no-up
run archive env DEVSTACK_WATCH_ARCHIVE=1 "$DEVSTACK" -p $PROJECT watch --no-up
run compose docker compose -p $PROJECT watch --no-up
printf '%-32s %9s %9s %9s\n' "save -> in container (ms)" median p90 worst
# shellcheck disable=SC2046 # three numbers, three columns
row() { printf '%-32s %9s %9s %9s\n' "$1" $(stats "$work/$2.ms"); }
row "devstack watch" devstack
row "devstack watch (archive API)" archive
row "docker compose watch" compose
printf 'ratio of medians: compose / devstack %.1fx, archive API / devstack %.1fx (%d edits each)\n' \
    "$(echo "$(med compose) / $(med devstack)" | bc -l)" \
    "$(echo "$(med archive) / $(med devstack)" | bc -l)" "$EDITS"
# the archive API starts a helper process in the engine per call: it slows most with the load
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
