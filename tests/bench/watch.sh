#!/usr/bin/env bash
# Benchmark (not a test): develop.watch latency, from a save on the host to
# the file in the container.
#
#   tests/bench/watch.sh [EDITS]     (default 20)
#
# One project, one service with a sync rule (./src -> /app), watched in turn
# by `devstack watch --no-up` and `docker compose watch --no-up`. For each
# edit a new file is saved (even edits: a plain write; odd ones: written
# aside and renamed over, as editors save) and the engine's archive API
# (HEAD /containers/{id}/archive?path=..., over one kept-open connection) is
# polled until the file is there. Prints the median and worst latency of
# each tool and the ratio of the medians. Compose waits for 500 ms of quiet
# before it syncs; devstack for 20 ms. Needs devstack-test/busybox:latest
# (tests/integration/prepare.sh) and the docker CLI with Compose v2.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
EDITS=${1:-20}
SOCK=${DOCKER_HOST:-}
SOCK=${SOCK#unix://}
[ -S "$SOCK" ] || SOCK=/var/run/docker.sock
PROJECT=twatchbench$$

work=$(mktemp -d)
wpid=
cleanup() {
    [ -n "$wpid" ] && kill -KILL "$wpid" 2>/dev/null
    (cd "$work" && "$DEVSTACK" -p $PROJECT down --rmi local >/dev/null 2>&1) || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/src"
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

# measure TAG: EDITS saves, one latency in ms per line on stdout
measure() {
    python3 - "$SOCK" "$cid" "$work/src" "$1" "$EDITS" <<'PY'
import http.client, os, socket, sys, time
sock, cid, src, tag, edits = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
class Conn(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sock)
c = Conn("localhost")
for i in range(edits):
    name = f"{tag}-{i}.txt"
    t0 = time.perf_counter()
    if i % 2:
        with open(os.path.join(src, "." + name + ".tmp"), "w") as f:
            f.write("x" * 100)
        os.rename(os.path.join(src, "." + name + ".tmp"), os.path.join(src, name))
    else:
        with open(os.path.join(src, name), "w") as f:
            f.write("x" * 100)
    while True:
        c.request("HEAD", f"/containers/{cid}/archive?path=/app/{name}")
        r = c.getresponse()
        r.read()
        if r.status == 200:
            break
        if time.perf_counter() - t0 > 15:
            sys.exit(f"{tag}: {name} never reached the container")
    print(round((time.perf_counter() - t0) * 1000, 1), flush=True)
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
stats() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%s %s", a[int((NR+1)/2)], a[NR]}'; }

run devstack "$DEVSTACK" -p $PROJECT watch --no-up
run compose docker compose -p $PROJECT watch --no-up
read -r ds_med ds_max <<<"$(stats "$work/devstack.ms")"
read -r dc_med dc_max <<<"$(stats "$work/compose.ms")"
printf '%-26s %10s %10s\n' "save -> in container" "median ms" "worst ms"
printf '%-26s %10s %10s\n' "devstack watch" "$ds_med" "$ds_max"
printf '%-26s %10s %10s\n' "docker compose watch" "$dc_med" "$dc_max"
printf 'ratio (compose / devstack, medians): %.1fx  (%d edits each)\n' \
    "$(echo "$dc_med / $ds_med" | bc -l)" "$EDITS"
# the engine's archive API is most of the rest, and it slows down with the machine's load
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
