#!/usr/bin/env bash
# Benchmark (not a test): a one-off container from start to exit.
#
#   tests/bench/run.sh [RUNS]     (default 7)
#
# On one project (a service with a dependency that is up and healthy),
# alternating, RUNS times each:
#   devstack run --rm -T app echo hi
#   docker compose run --rm -T app echo hi
# and, for the engine's own share, `docker run --rm busybox echo hi`, on the
# default bridge and on the project's network (a user-defined network costs
# the engine more to start a container on: its DNS, its rules); prints the
# median wall time of each, the ratios (devstack / Compose; the target is 0.5
# or less), what each adds to the engine's floor, and the load average. Each
# side first runs once, untimed, so that neither pays for bringing the
# dependency up. Needs the docker CLI with Compose v2 and
# devstack-test/busybox:latest (tests/lib/test_image.sh).
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
# on a shared machine the fastest run says most about what each one costs itself
least() { sort -n | head -n 1; }

ds=("$DEVSTACK" -p "$PROJECT" run --rm -T app echo hi)
dc=(docker compose -p "$PROJECT" run --rm -T app echo hi)
# warm-up: the dependency is created and started by whichever comes first; Compose
# recreates a container devstack made (it cannot read devstack's hash), so it goes first
ms "${dc[@]}" >/dev/null
ms "${ds[@]}" >/dev/null
ms "${dc[@]}" >/dev/null
dr=(docker run --rm devstack-test/busybox:latest echo hi)
dn=(docker run --rm --network "${PROJECT}_default" devstack-test/busybox:latest echo hi)
: >"$work/ds" && : >"$work/dc" && : >"$work/dr" && : >"$work/dn"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq 1 "$RUNS"); do
    ms "${ds[@]}" >>"$work/ds"
    ms "${dc[@]}" >>"$work/dc"
    ms "${dr[@]}" >>"$work/dr"
    ms "${dn[@]}" >>"$work/dn"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
d=$(median <"$work/ds")
c=$(median <"$work/dc")
r=$(median <"$work/dr")
n=$(median <"$work/dn")
ratio() { echo "$1 / $2" | bc -l; }
printf '%-56s %8s %8s\n' "run --rm app echo hi ($RUNS runs each, ms)" "median" "least"
printf '%-56s %8d %8d\n' "devstack run --rm -T app echo hi" "$d" "$(least <"$work/ds")"
printf '%-56s %8d %8d\n' "docker compose run --rm -T app echo hi" "$c" "$(least <"$work/dc")"
printf '%-56s %8d %8d\n' "docker run --rm busybox echo hi (floor, bridge)" "$r" "$(least <"$work/dr")"
printf '%-56s %8d %8d\n' "docker run --rm --network <project> ... (floor, project)" "$n" \
    "$(least <"$work/dn")"
printf 'ratio devstack / compose: %.2f (medians), %.2f (least)\n' "$(ratio "$d" "$c")" \
    "$(ratio "$(least <"$work/ds")" "$(least <"$work/dc")")"
printf 'ratio devstack / docker run --rm (bridge): %.2f, (project network): %.2f\n' \
    "$(ratio "$d" "$r")" "$(ratio "$d" "$n")"
printf 'ratio compose / docker run --rm (project network): %.2f\n' "$(ratio "$c" "$n")"
printf 'over the project-network floor: devstack %+d ms, compose %+d ms\n' $((d - n)) $((c - n))
printf 'load average (1, 5, 15 min): %s before, %s after\n' "$load_before" "$load_after"
