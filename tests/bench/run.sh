#!/usr/bin/env bash
# Benchmark (not a test): a one-off container from start to exit.
#
#   tests/bench/run.sh [RUNS]     (default 7)
#
# On one project (a service with a dependency that is up and healthy),
# alternating, RUNS times each:
#   devstack run --rm -T app echo hi
#   docker compose run --rm -T app echo hi
# and, for the engine's own share, `docker run --rm busybox echo hi`; prints
# the median wall time of each and the ratio (devstack / Compose; the target
# is 0.5 or less), and what each adds to the engine's floor. Each side first runs once, untimed, so that
# neither pays for bringing the dependency up. Needs the docker CLI with
# Compose v2 and devstack-test/busybox:latest (tests/lib/test_image.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
RUNS=${1:-7}
PROJECT=trunbench$$
command -v docker >/dev/null && docker compose version >/dev/null 2>&1 ||
    { echo "docker compose (v2) is needed to compare with" >&2; exit 1; }

work=$(mktemp -d)
trap '(cd "$work" && "$DEVSTACK" -p $PROJECT down -t 0 --progress quiet >/dev/null 2>&1); rm -rf "$work"' EXIT
cat >"$work/compose.yaml" <<'YAML'
services:
  db:
    image: devstack-test/busybox:latest
    init: true
    command: ["sleep", "3600"]
  app:
    image: devstack-test/busybox:latest
    depends_on: [db]
YAML
cd "$work"

# ms command...: the wall time of a run, in milliseconds (its output must be "hi")
ms() {
    local start end out
    start=$(date +%s%N)
    out=$("$@" </dev/null 2>"$work/stderr") || { echo "failed: $* ($(<"$work/stderr"))" >&2; return 1; }
    end=$(date +%s%N)
    [ "$out" = hi ] || { echo "unexpected output from $*: $out" >&2; return 1; }
    echo $(((end - start) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ds=("$DEVSTACK" -p "$PROJECT" run --rm -T app echo hi)
dc=(docker compose -p "$PROJECT" run --rm -T app echo hi)
# warm-up: the dependency is created and started by whichever comes first; Compose
# recreates a container devstack made (it cannot read devstack's hash), so it goes first
ms "${dc[@]}" >/dev/null
ms "${ds[@]}" >/dev/null
ms "${dc[@]}" >/dev/null
dr=(docker run --rm devstack-test/busybox:latest echo hi)
: >"$work/ds" && : >"$work/dc" && : >"$work/dr"
for _ in $(seq 1 "$RUNS"); do
    ms "${ds[@]}" >>"$work/ds"
    ms "${dc[@]}" >>"$work/dc"
    ms "${dr[@]}" >>"$work/dr"
done
d=$(median <"$work/ds")
c=$(median <"$work/dc")
r=$(median <"$work/dr")
printf '%-46s %8s\n' "run --rm app echo hi (median of $RUNS)" "ms"
printf '%-46s %8d\n' "devstack run --rm -T app echo hi" "$d"
printf '%-46s %8d\n' "docker compose run --rm -T app echo hi" "$c"
printf '%-46s %8d\n' "docker run --rm busybox echo hi (engine floor)" "$r"
printf 'ratio (devstack / compose): %.2f\n' "$(echo "$d / $c" | bc -l)"
printf 'over the floor: devstack %+d ms, compose %+d ms\n' $((d - r)) $((c - r))
