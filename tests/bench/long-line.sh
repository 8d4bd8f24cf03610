#!/usr/bin/env bash
# Benchmark (not a test): a container writes SIZE_MB megabytes (default 1024)
# on one line, without a newline; `devstack logs` and `docker compose logs`
# read it to /dev/null, alternating, RUNS times (default 3). Shows each one's
# peak memory (RSS, GNU time) and wall time. devstack hands such a line on in
# pieces of 1 MiB, so its memory does not grow with the line.
#     tests/bench/long-line.sh [SIZE_MB]      (PROJECT=NAME for another project name)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
SIZE_MB=${1:-1024}
RUNS=${RUNS:-3}
PROJECT=${PROJECT:-benchlongline}
[ -x /usr/bin/time ] || { echo "long-line.sh: needs GNU time (/usr/bin/time)" >&2; exit 1; }
docker compose version >/dev/null 2>&1 || { echo "long-line.sh: needs docker compose" >&2; exit 1; }
work=$(mktemp -d)
trap '(cd "$work" && "$DEVSTACK" down --progress quiet >/dev/null 2>&1); rm -rf "$work"' EXIT

cat >"$work/compose.yaml" <<YAML
name: $PROJECT
services:
  writer:
    image: devstack-test/busybox:latest
    command: [sh, -c, 'head -c $((SIZE_MB * 1048576)) /dev/zero | tr "\\\\0" x; echo; echo end']
YAML
cd "$work"
"$DEVSTACK" up -d --progress quiet
for _ in $(seq 1 1200); do
    [ "$(docker inspect -f '{{.State.Status}}' "$PROJECT-writer-1")" = exited ] && break
    sleep 0.5
done
bytes=$("$DEVSTACK" logs --no-log-prefix writer | wc -c)
echo "log: $((bytes / 1048576)) MiB on one line (devstack shows it as $("$DEVSTACK" logs writer | wc -l) lines)"

# measure CMD...: "peak-kB seconds exit-status" of one run, output to /dev/null, its errors kept
measure() {
    /usr/bin/time -f '%M %e %x' -o "$work/t" "$@" >/dev/null 2>"$work/err" || true
    tail -n 1 "$work/t"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ds_rss=() ds_s=() dc_rss=() dc_s=()
# a failed run is shown with its exit status and last error line
failed() { echo "$1 exited with status $2: $(tail -n 1 "$work/err")"; }
for _ in $(seq 1 "$RUNS"); do
    # each run as it ends: docker compose can take many minutes on one long line
    read -r r s x < <(measure "$DEVSTACK" logs writer)
    [ "$x" = 0 ] || failed "devstack logs" "$x"
    echo "run: devstack logs $((r / 1024)) MB, $s s"
    ds_rss+=("$r") ds_s+=("$s")
    read -r r s x < <(measure docker compose logs writer)
    [ "$x" = 0 ] || failed "docker compose logs" "$x"
    echo "run: docker compose logs $((r / 1024)) MB, $s s"
    dc_rss+=("$r") dc_s+=("$s")
done
printf '%-22s %12s %10s   (median of %d runs; the highest RSS)\n' "" "peak RSS" "wall" "$RUNS"
printf '%-22s %9.1f MB %8.2f s\n' "devstack logs" \
    "$(printf '%s\n' "${ds_rss[@]}" | sort -n | tail -1 | awk '{print $1 / 1024}')" \
    "$(printf '%s\n' "${ds_s[@]}" | median)"
printf '%-22s %9.1f MB %8.2f s\n' "docker compose logs" \
    "$(printf '%s\n' "${dc_rss[@]}" | sort -n | tail -1 | awk '{print $1 / 1024}')" \
    "$(printf '%s\n' "${dc_s[@]}" | median)"
