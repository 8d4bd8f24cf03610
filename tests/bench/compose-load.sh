#!/usr/bin/env bash
# Benchmark (not a test): load a generated 300-service compose file.
#
#   tests/bench/compose-load.sh [SERVICES]
#
# Prints wall time (median of 20 runs of `devstack config -q`, process start
# included), peak memory (maximum resident set, from GNU time), the same for
# Debian's docker-compose 1.29 and for Compose v2 (docker compose) when they
# are installed, the ratios, and whether valgrind finds any error or leak in
# one load.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=${DEVSTACK:-$ROOT/build/devstack}
N=${1:-300}
RUNS=${RUNS:-20}
work=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT

# A file with the shapes real projects have: builds, ports, volumes, env,
# healthchecks, depends_on chains, anchors, interpolation.
{
    echo 'x-common: &common'
    echo '  restart: unless-stopped'
    echo '  environment: &env'
    echo '    TZ: UTC'
    echo '    LOG_LEVEL: ${LOG_LEVEL:-info}'
    echo 'services:'
    for i in $(seq 1 "$N"); do
        echo "  svc$i:"
        echo "    <<: *common"
        if [ $((i % 3)) -eq 0 ]; then
            echo "    build:"
            echo "      context: ./svc$i"
            echo "      args: {VERSION: \"\${VERSION:-1.$i}\"}"
        else
            echo "    image: registry.example.com/team/svc$i:\${TAG:-latest}"
        fi
        echo "    ports: [\"127.0.0.1:$((10000 + i)):8080\", \"$((20000 + i))\"]"
        echo "    volumes: [\"./data/svc$i:/data\", \"vol$((i % 10)):/cache:ro\"]"
        echo "    environment:"
        echo "      <<: *env"
        echo "      SERVICE_NAME: svc$i"
        echo "      DATABASE_URL: mysql+pymysql://app:\${DB_PASSWORD:-pw}@db$((i % 5)):3306/app"
        echo "    healthcheck:"
        echo "      test: [\"CMD-SHELL\", \"curl -fsS http://localhost:8080/health || exit 1\"]"
        echo "      interval: 10s"
        echo "      timeout: 2s"
        echo "      retries: 5"
        if [ "$i" -gt 1 ]; then
            echo "    depends_on:"
            echo "      svc$((i - 1)): {condition: service_started}"
            [ "$i" -gt 10 ] && echo "      svc$((i / 2)): {condition: service_healthy}"
        fi
        echo "    labels: [\"com.example.index=$i\", \"com.example.group=g$((i % 7))\"]"
    done
    echo 'volumes:'
    for v in $(seq 0 9); do echo "  vol$v:"; done
} >"$work/compose.yaml"
for i in $(seq 3 3 "$N"); do mkdir -p "$work/svc$i"; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# median wall microseconds of a command over RUNS runs: hyperfine when there
# is one (no shell between it and the command), else a loop of date calls
time_runs() {
    if command -v hyperfine >/dev/null; then
        hyperfine -N -w 3 -r "$RUNS" --export-json "$work/h.json" "$*" >/dev/null 2>&1
        python3 -c "import json; print(int(json.load(open('$work/h.json'))['results'][0]['median'] * 1e6))"
        return
    fi
    for _ in $(seq 1 "$RUNS"); do
        s=$(date +%s%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s%N)
        echo $(((e - s) / 1000))
    done | median
}

peak_kb() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }

ms() { echo "scale=1; $1 / 1000" | bc; }
mb() { echo "scale=1; $1 / 1024" | bc; }

cd "$work"
echo "compose file: $N services, $(wc -l <compose.yaml) lines, $(wc -c <compose.yaml) bytes"
"$DEVSTACK" config -q # must load
base_us=$(time_runs "$DEVSTACK" --version)
base_kb=$(peak_kb "$DEVSTACK" --version)
ds_us=$(time_runs "$DEVSTACK" config -q)
ds_kb=$(peak_kb "$DEVSTACK" config -q)
json_us=$(time_runs "$DEVSTACK" config --format json)
echo "devstack --version (process start): $(ms "$base_us") ms, peak RSS $(mb "$base_kb") MB"
echo "devstack config -q:                 $(ms "$ds_us") ms median of $RUNS, peak RSS $(mb "$ds_kb") MB"
echo "devstack config --format json:      $(ms "$json_us") ms median of $RUNS"
if command -v valgrind >/dev/null; then
    valgrind --tool=massif --pages-as-heap=no --massif-out-file="$work/massif" \
        "$DEVSTACK" config -q >/dev/null 2>&1
    heap=$(grep -o 'mem_heap_B=[0-9]*' "$work/massif" | cut -d= -f2 | sort -n | tail -n 1)
    echo "devstack config -q heap peak:       $(echo "scale=2; $heap / 1048576" | bc) MB (massif)"
fi

if command -v docker-compose >/dev/null; then
    dc_us=$(RUNS=5 time_runs docker-compose config -q)
    dc_kb=$(peak_kb docker-compose config -q)
    echo "docker-compose 1.29 config -q:      $(ms "$dc_us") ms median of 5, peak RSS $(mb "$dc_kb") MB"
    echo "ratio: devstack $(echo "scale=1; $dc_us / $ds_us" | bc)x faster, $(echo "scale=1; $dc_kb / $ds_kb" | bc)x less memory"
fi

# Compose v2 walks a long depends_on chain for a very long time (a 300-service
# chain did not load in 10 minutes here): one run first, within a limit. It
# ignores SIGTERM meanwhile, hence KILL (timeout signals the process group).
V2_LIMIT=${V2_LIMIT:-60}
if docker compose version 2>/dev/null | grep -q 'version v\?2'; then
    if timeout -s KILL "$V2_LIMIT" docker compose config -q >/dev/null 2>&1; then
        dc2_us=$(RUNS=5 time_runs docker compose config -q)
        dc2_kb=$(peak_kb docker compose config -q)
        echo "docker compose v2 config -q:        $(ms "$dc2_us") ms median of 5, peak RSS $(mb "$dc2_kb") MB"
        echo "ratio: devstack $(echo "scale=1; $dc2_us / $ds_us" | bc)x faster, $(echo "scale=1; $dc2_kb / $ds_kb" | bc)x less memory"
    else
        echo "docker compose v2 config -q:        did not finish in ${V2_LIMIT} s (stopped; V2_LIMIT=seconds)"
    fi
fi

if command -v valgrind >/dev/null; then
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$DEVSTACK" config --format json >/dev/null 2>"$work/vg.log"; then
        echo "valgrind: no errors, no leaks"
    else
        echo "valgrind: FAILED"
        cat "$work/vg.log"
        exit 1
    fi
fi
