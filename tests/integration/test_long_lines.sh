#!/usr/bin/env bash
# Output without newlines, against the real engine: a container (and a build
# step) writing 64 MiB on one line. `logs`, a foreground `up`, build output
# and the log tail shown on failure hand it on in pieces of 1 MiB (the line
# cap) with every byte, and devstack's peak memory stays far below the line.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
[ -x /usr/bin/time ] || tap_bail "GNU time is installed (/usr/bin/time; scripts/setup.sh installs it)"
RUN=dsll$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_long_lines.XXXXXX")
P=$TMP/$RUN
MIB=1048576
LINE=$((64 * MIB))
# devstack holds about 12 MB here; before the cap it held the whole line (140 MB)
RSS_MAX_KB=$((40 * 1024))

cleanup() {
    remove_projects "$RUN"
    curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$RUN-built?force=1" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT

mkdir -p "$P/ctx"
cat >"$P/compose.yaml" <<YAML
services:
  long:
    image: $IMAGE
    command: [sh, -c, 'echo first; head -c $LINE /dev/zero | tr "\\\\0" x; echo; echo after']
  fail:
    image: $IMAGE
    command: [sh, -c, 'head -c $LINE /dev/zero | tr "\\\\0" z >&2; exit 3']
    profiles: [tail]
  waiter:
    image: $IMAGE
    command: ["true"]
    depends_on:
      fail: {condition: service_completed_successfully}
    profiles: [tail]
  built:
    build: ./ctx
    image: $RUN-built
    profiles: [build]
YAML
cat >"$P/ctx/Dockerfile" <<DOCKERFILE
FROM $IMAGE
RUN head -c $LINE /dev/zero | tr '\\0' y; echo; echo built-after
DOCKERFILE

# measure ARGS...: devstack in the project; its output in $TMP/out, rc, and rss (peak, kB)
measure() {
    (cd "$P" && /usr/bin/time -o "$TMP/rss" -f '%M' "$DEVSTACK" "$@" </dev/null >"$TMP/out" 2>&1)
    rc=$?
    rss=$(tail -n 1 "$TMP/rss")
    out="exit $rc, peak ${rss} kB; $(wc -lc <"$TMP/out") lines/bytes; head: $(head -c 300 "$TMP/out")"
}
# count CHAR [PATTERN]: how often CHAR is in the output (in the lines that match PATTERN)
count() { grep -E "${2:-.}" "$TMP/out" | tr -cd "$1" | wc -c; }
longest() { awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$TMP/out"; }

ds "$P" up -d --progress quiet long
[ "$rc" -eq 0 ] || tap_bail "up -d of the writing container"
for _ in $(seq 1 100); do
    api "/containers/$RUN-long-1/json" | grep -q '"Status":"exited"' && break
    sleep 0.3
done

measure logs --no-log-prefix long
check "logs: exits 0" '[ "$rc" -eq 0 ]'
check "logs: every byte of the 64 MiB line is there" '[ "$(count x)" -eq "$LINE" ]'
check "logs: the line is split into 64 lines of the 1 MiB cap, between its neighbours" \
    '[ "$(wc -l <"$TMP/out")" -eq 66 ] && [ "$(head -n 1 "$TMP/out")" = first ] &&
     [ "$(tail -n 1 "$TMP/out")" = after ] && [ "$(longest)" -eq "$MIB" ]'
check "logs: peak RSS stays under $((RSS_MAX_KB / 1024)) MB" '[ "$rss" -lt "$RSS_MAX_KB" ]'

measure up long
check "foreground up: exits 0 when the container ends" '[ "$rc" -eq 0 ]'
if on_podman; then
    differs attach-long-line "foreground up: every byte, split at the cap, with the prefix"
else
    check "foreground up: every byte, split at the cap, with the prefix" \
        '[ "$(count x "^long *\| x+$")" -eq "$LINE" ] && [ "$(grep -c "^long *| x" "$TMP/out")" -eq 64 ] &&
         grep -q "^long *| after$" "$TMP/out"'
fi
check "foreground up: peak RSS stays under $((RSS_MAX_KB / 1024)) MB" '[ "$rss" -lt "$RSS_MAX_KB" ]'

measure --profile tail up -d waiter
check "failed dependency: the error names it" \
    '[ "$rc" -ne 0 ] && grep -q "service .fail. didn.t complete successfully: exit 3" "$TMP/out"'
if on_podman; then
    check "failed dependency: no more than 1 kB of the long line" '[ "$(count z)" -le 1024 ]'
    differs tail-long-line "failed dependency: the log tail shows the end of the long line, cut"
else
    check "failed dependency: the log tail shows the end of the long line, cut, no longer than 1 kB" \
        'grep -q "^    | \.\.\.zzzz" "$TMP/out" && [ "$(count z)" -le 1024 ]'
fi
check "failed dependency: peak RSS stays under $((RSS_MAX_KB / 1024)) MB" '[ "$rss" -lt "$RSS_MAX_KB" ]'

# the classic builder sends a step's output whole: devstack splits it
DOCKER_BUILDKIT=0 measure --profile build build --progress plain built
check "build: exits 0" '[ "$rc" -eq 0 ]'
check "build: the step's 64 MiB line is shown whole, split at the cap" \
    '[ "$(count y "^built +\| y+$")" -eq "$LINE" ] && [ "$(grep -c "^built *| y" "$TMP/out")" -eq 64 ] &&
     grep -q "^built *| built-after$" "$TMP/out"'
check "build: peak RSS stays under $((RSS_MAX_KB / 1024)) MB" '[ "$rss" -lt "$RSS_MAX_KB" ]'

# BuildKit clips a step's output itself (its log limits): what it sends is
# shown, and its note, with the step's last line
DOCKER_BUILDKIT=1 measure --profile build build --no-cache --progress plain built
check "BuildKit build: exits 0" '[ "$rc" -eq 0 ]'
if on_podman; then
    differs no-buildkit "BuildKit build: the engine's clipping note is shown, and the step's last line"
else
    check "BuildKit build: the engine's clipping note is shown, and the step's last line" \
        'grep -q "output clipped" "$TMP/out" && grep -q "built-after" "$TMP/out"'
fi
check "BuildKit build: no line is longer than the 1 MiB cap" '[ "$(longest)" -le "$((MIB + 64))" ]'
check "BuildKit build: peak RSS stays under $((RSS_MAX_KB / 1024)) MB" '[ "$rss" -lt "$RSS_MAX_KB" ]'

tap_done
