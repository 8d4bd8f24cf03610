#!/usr/bin/env bash
# Benchmark (not a test): devstack beside Debian's docker-compose 1.29 on the
# same 4-service project, a MariaDB database with a healthcheck and three
# services that wait for it, runs alternating between the tools:
#   - cold `up -d` (images present, no containers), until every service runs
#   - `up -d` on a running project (a no-op)
#   - `ps`
#   - `down`
# Prints the median of each and the ratio.
#
#   tests/bench/up.sh [COLD_RUNS] [FAST_RUNS]     (default 5 and 20)
#
# Needs the stand-in image devstack/mariadb:10.11 (scripts/standin-images.sh)
# and devstack-test/busybox:latest (tests/integration/prepare.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
COLD=${1:-5}
FAST=${2:-20}
command -v docker-compose >/dev/null || { echo "docker-compose is not installed" >&2; exit 1; }

work=$(mktemp -d)
trap '(cd "$work" && "$DEVSTACK" -p benchds down -v >/dev/null 2>&1; docker-compose -p benchdc down -v >/dev/null 2>&1); rm -rf "$work"' EXIT
cat >"$work/docker-compose.yml" <<'YAML'
version: "2.4"
services:
  db:
    image: devstack/mariadb:10.11
    environment:
      MYSQL_ROOT_PASSWORD: root
      MYSQL_DATABASE: app
      MYSQL_USER: app
      MYSQL_PASSWORD: app
    healthcheck:
      test: ["CMD", "mysql", "-h", "127.0.0.1", "-uapp", "-papp", "-e", "SELECT 1", "app"]
      interval: 1s
      timeout: 5s
      retries: 60
  api:
    image: devstack-test/busybox:latest
    init: true
    command: ["sleep", "3600"]
    depends_on:
      db: {condition: service_healthy}
  worker:
    image: devstack-test/busybox:latest
    init: true
    command: ["sleep", "3600"]
    depends_on:
      db: {condition: service_healthy}
  web:
    image: devstack-test/busybox:latest
    init: true
    command: ["sleep", "3600"]
    depends_on:
      db: {condition: service_healthy}
YAML
cd "$work"

ms_of() { # command...: wall milliseconds, output discarded
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
    e=$(date +%s%N)
    echo $(((e - s) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

DS=("$DEVSTACK" -p benchds)
DC=(docker-compose -p benchdc)
declare -A results

for i in $(seq 1 "$COLD"); do
    for tool in ds dc; do
        if [ $tool = ds ]; then cmd=("${DS[@]}"); up=(up -d --progress quiet); else cmd=("${DC[@]}"); up=(up -d); fi
        results[$tool.cold]+="$(ms_of "${cmd[@]}" "${up[@]}") "
        for _ in $(seq 1 $((FAST / COLD))); do
            results[$tool.noop]+="$(ms_of "${cmd[@]}" "${up[@]}") "
            results[$tool.ps]+="$(ms_of "${cmd[@]}" ps) "
        done
        results[$tool.down]+="$(ms_of "${cmd[@]}" down -v) "
    done
done

printf '%-28s %10s %16s %8s\n' "operation (median)" devstack "docker-compose" ratio
for op in noop ps cold down; do
    ds=$(tr ' ' '\n' <<<"${results[ds.$op]}" | grep . | median)
    dc=$(tr ' ' '\n' <<<"${results[dc.$op]}" | grep . | median)
    case $op in
    noop) label="up -d, nothing to do" ;;
    ps) label="ps" ;;
    cold) label="up -d from nothing" ;;
    down) label="down -v" ;;
    esac
    printf '%-28s %7d ms %13d ms %7.1fx\n' "$label" "$ds" "$dc" "$(echo "$dc / $ds" | bc -l)"
done
echo "runs: $COLD cold up and down, $FAST no-op up and ps, per tool, alternating"
