#!/usr/bin/env bash
# Benchmark (not a test): stdin through a hijacked exec connection.
#
#   tests/bench/exec-stdin.sh [MEGABYTES] [RUNS]     (default 200 and 3)
#
# Pipes MEGABYTES of random data (from a file, so both tools read the same
# bytes from the page cache) through
#   devstack exec -T app cat > /dev/null
#   docker exec -i <the same container> cat > /dev/null
# alternating, RUNS times each, and prints the median MB/s of each (1 MB =
# 10^6 bytes), the ratio, and the median CPU time each client used (steadier
# than wall time on a busy machine). The docker side is skipped when the docker CLI
# is missing. Needs devstack-test/busybox:latest (tests/integration/prepare.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
MB=${1:-200}
RUNS=${2:-3}
have_docker=1
command -v docker >/dev/null || have_docker=0

work=$(mktemp -d)
trap '(cd "$work" && "$DEVSTACK" -p benchexec down >/dev/null 2>&1); rm -rf "$work"' EXIT
cat >"$work/compose.yaml" <<'YAML'
services:
  app:
    image: devstack-test/busybox:latest
    init: true
    command: ["sleep", "3600"]
YAML
cd "$work"
"$DEVSTACK" -p benchexec up -d --progress quiet
container=benchexec-app-1
head -c "$((MB * 1000000))" /dev/urandom >"$work/data"

# run command...: "wall_ms cpu_ms" of command < data > /dev/null (cpu: the client's user + sys)
run() {
    local TIMEFORMAT='%R %U %S' t
    t=$({ time "$@" <"$work/data" >/dev/null 2>"$work/stderr"; } 2>&1) ||
        { echo "failed: $* ($(<"$work/stderr"))" >&2; return 1; }
    awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' <<<"$t"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { echo "$MB * 1000 / $1" | bc -l; } # MB/s from ms

run "$DEVSTACK" -p benchexec exec -T app cat >/dev/null # warm-up: the page cache, the engine
: >"$work/ds" && : >"$work/dk"
for _ in $(seq 1 "$RUNS"); do
    run "$DEVSTACK" -p benchexec exec -T app cat >>"$work/ds"
    [ $have_docker = 0 ] || run docker exec -i "$container" cat >>"$work/dk"
done

printf '%-40s %8s %10s %12s\n' "$MB MB through 'cat' (median of $RUNS)" "ms" "MB/s" "client CPU"
ds=$(cut -d' ' -f1 "$work/ds" | median)
printf '%-40s %8d %10.1f %9d ms\n' "devstack exec -T app cat" "$ds" "$(rate "$ds")" \
    "$(cut -d' ' -f2 "$work/ds" | median)"
if [ $have_docker = 1 ]; then
    dk=$(cut -d' ' -f1 "$work/dk" | median)
    printf '%-40s %8d %10.1f %9d ms\n' "docker exec -i $container cat" "$dk" "$(rate "$dk")" \
        "$(cut -d' ' -f2 "$work/dk" | median)"
    printf 'ratio (devstack MB/s / docker MB/s): %.2f\n' "$(echo "$dk / $ds" | bc -l)"
else
    echo "docker CLI not installed: docker side skipped"
fi
