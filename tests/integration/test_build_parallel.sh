#!/usr/bin/env bash
# Several services built at once, on the real engine, as a user checks it:
# two independent builds that each sleep run side by side (their steps
# interleave, and the pair takes clearly less than one after the other with
# --parallel 1); a service whose Dockerfile FROMs another service's image is
# built after it and sees its file; a failing build in a pair exits 1 naming
# the service and cancels the other; plain output holds both services' steps
# with #N ids unique across builds; a terminal shows one panel whose clock
# moves while a step runs; the classic builder prefixes its lines with the
# service; `docker compose build` of the same file names the same images.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=tparbuild$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_build_parallel.XXXXXX")
P=$TMP/$RUN          # two independent builds
D=$TMP/${RUN}d       # a build FROM another service's image
F=$TMP/${RUN}f       # a failing build beside a slow one

cleanup() {
    remove_projects "$RUN"
    for img in "$RUN-a" "$RUN-b" "${RUN}d-base" "${RUN}d-app" "${RUN}d-late" "${RUN}f-slow" "${RUN}f-bad" "${RUN}i-a" "${RUN}i-b"; do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$img?force=1" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

now() { date +%s.%N; }
# seconds between two `now`s, one decimal
took() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }
less() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$1" "$2"; }
# line LINE-REGEX: the number of the first line of $out that matches
line() { grep -nE -m1 "$1" <<<"$out" | cut -d: -f1; }
# how many RUN steps of a and b had begun when the first of them ended (plain $out)
runs_begun() {
    awk -v step="${RUNS:-2/2}" '$0 ~ "^#[0-9]+ \\[[ab] " step "\\] RUN" { if (!run[$1]) heads++; run[$1] = 1 }
         /^#[0-9]+ DONE/ { if (run[$1] && !first) first = heads }
         END { print first + 0 }' <<<"$out"
}

mkdir -p "$P/a" "$P/b" "$D/base" "$D/app" "$D/late" "$F/slow" "$F/bad"
# BUST changes what the RUN steps are, so every build runs them (the base stays cached)
for s in a b; do
    printf 'FROM %s\nARG BUST=0\nRUN sleep 2 && echo "%s $BUST" > /%s.txt\n' "$IMAGE" "$s" "$s" >"$P/$s/Dockerfile"
done
printf 'name: %s\nservices:\n  a:\n    build: ./a\n    command: ["true"]\n  b:\n    build: ./b\n    command: ["true"]\n' \
    "$RUN" >"$P/compose.yaml"

printf 'FROM %s\nRUN echo "made by base" > /base.txt\n' "$IMAGE" >"$D/base/Dockerfile"
printf 'FROM %s-base\nRUN cat /base.txt > /seen.txt\n' "${RUN}d" >"$D/app/Dockerfile"
printf 'FROM %s\nRUN echo "late %s"\n' "$IMAGE" "$RUN" >"$D/late/Dockerfile"
# app first in the file and no depends_on: only its Dockerfile says it needs base's image;
# late depends_on app, the order Compose builds in
printf 'name: %sd\nservices:\n  late:\n    build: ./late\n    depends_on: [app]\n  app:\n    build: ./app\n  base:\n    build: ./base\n' \
    "$RUN" >"$D/compose.yaml"

printf 'FROM %s\nRUN sleep 8 && echo slow > /slow.txt\n' "$IMAGE" >"$F/slow/Dockerfile"
printf 'FROM %s\nRUN sleep 1 && echo "bad is failing" && exit 3\n' "$IMAGE" >"$F/bad/Dockerfile"
printf 'name: %sf\nservices:\n  slow:\n    build: ./slow\n  bad:\n    build: ./bad\n' "$RUN" >"$F/compose.yaml"

# ---- two builds at once -----------------------------------------------------
ds "$P" build --progress plain --build-arg BUST=warm-$RUN
check "two services build (the base image warm in the cache)" '[ $rc -eq 0 ]'

t0=$(now)
ds "$P" build --progress plain --parallel 1 --build-arg BUST=one-$RUN
t1=$(now)
one=$(took "$t0" "$t1")
check "--parallel 1: one after another, the first RUN done before the second begins" \
    '[ $rc -eq 0 ] && [ "$(runs_begun)" -eq 1 ]'

t0=$(now)
ds "$P" build --progress plain --build-arg BUST=two-$RUN
t1=$(now)
two=$(took "$t0" "$t1")
check "at once: both RUN steps begin before either ends, with buildx's '#N ...' between them" \
    '[ $rc -eq 0 ] && [ "$(runs_begun)" -eq 2 ] && grep -qE "^#[0-9]+ \.\.\.$" <<<"$out"'
check "... and the pair takes clearly less than one after the other (${two}s at once, ${one}s with --parallel 1)" \
    'less "$two" "$(python3 -c "print($one - 1.5)")"'
check "plain output: both services' steps, [a 2/2] and [b 2/2]" \
    'grep -qE "^#[0-9]+ \[a 2/2\] RUN sleep 2" <<<"$out" && grep -qE "^#[0-9]+ \[b 2/2\] RUN sleep 2" <<<"$out"'
check "... #N unique across both builds: a's RUN and b's RUN numbered apart, no name under two numbers" \
    'na=$(grep -oE "^#[0-9]+ \[a 2/2\] RUN" <<<"$out" | sort -u) && nb=$(grep -oE "^#[0-9]+ \[b 2/2\] RUN" <<<"$out" | sort -u) && [ "${na%% *}" != "${nb%% *}" ] && [ -z "$(grep -E "^#[0-9]+ \[" <<<"$out" | sort -u | cut -d" " -f2- | sort | uniq -d)" ]'
check "... both images made, each with its own file" \
    '[ "$(docker run --rm "$RUN-a" cat /a.txt)" = "a two-$RUN" ] && [ "$(docker run --rm "$RUN-b" cat /b.txt)" = "b two-$RUN" ]'

COMPOSE_PARALLEL_LIMIT=x ds "$P" build --progress plain
check "COMPOSE_PARALLEL_LIMIT that is not a number: an error, as Compose says it" \
    '[ $rc -eq 1 ] && grep -qF "COMPOSE_PARALLEL_LIMIT must be an integer (found: \"x\")" <<<"$out"'
out=$(cd "$P" && COMPOSE_PARALLEL_LIMIT=1 "$DEVSTACK" build --progress plain --build-arg BUST=env-$RUN </dev/null 2>&1)
rc=$?
check "COMPOSE_PARALLEL_LIMIT=1: one build at a time" '[ $rc -eq 0 ] && [ "$(runs_begun)" -eq 1 ]'

# ---- the terminal: one panel, a clock that moves -------------------------------
out=$(cd "$P" && script -qfec "$DEVSTACK build --progress tty --build-arg BUST=tty-$RUN" /dev/null </dev/null 2>&1)
rc=$?
check "a terminal: one panel for both, FINISHED once" \
    '[ $rc -eq 0 ] && [ "$(grep -cE "\[\+\] Building [0-9.]+s \([0-9]+/[0-9]+\) FINISHED" <<<"$out")" -eq 1 ]'
check "... whose last drawing holds both RUN steps" \
    'fin=$(sed -n "/FINISHED/,\$p" <<<"$out") && grep -qF "=> [a 2/2] RUN sleep 2" <<<"$fin" && grep -qF "=> [b 2/2] RUN sleep 2" <<<"$fin"'
ticks=$(grep -oE "\[\+\] Building [0-9]+\.[0-9]s" <<<"$out" | sort -u | wc -l)
check "... and a clock that moves while the steps sleep, not only when a message comes ($ticks times)" \
    '[ "$ticks" -ge 15 ]'

# ---- a build FROM another service's image ----------------------------------
ds "$D" build --progress plain
check "a Dockerfile FROM another service's image: built after it, without depends_on" \
    '[ $rc -eq 0 ] && [ "$(docker run --rm "${RUN}d-app" cat /seen.txt)" = "made by base" ]'
check "... base built before app's first step" \
    'b=$(line "Image ${RUN}d-base +Built") && a=$(line "^#[0-9]+ \[app ") && [ -n "$b" ] && [ -n "$a" ] && [ "$b" -lt "$a" ]'
check "... and a service that depends_on app built after app, as Compose orders it" \
    'b=$(line "Image ${RUN}d-app +Built") && a=$(line "^#[0-9]+ \[late ") && [ -n "$b" ] && [ -n "$a" ] && [ "$b" -lt "$a" ]'
check "... the image step they share named after app when app reports it, as buildx names it" \
    'grep -qE "^#[0-9]+ naming to docker.io/library/${RUN}d-app" <<<"$out" && [ "$(grep -E "^#[0-9]+ \[(app|base)\] exporting to image" <<<"$out" | tail -n1 | grep -c "\[app\]")" -eq 1 ]'

# ---- one build fails ----------------------------------------------------------
t0=$(now)
ds "$F" build --progress plain
t1=$(now)
check "a failing build in a pair: exit 1, the error names the service" \
    "[ \$rc -eq 1 ] && grep -q \"^error: service 'bad': build failed at '\\[bad 2/2\\] RUN sleep 1\" <<<\"\$out\""
check "... its output shown" 'grep -qE "^#[0-9]+ [0-9.]+ bad is failing$" <<<"$out"'
check "... the other build cancelled, as Compose does: no image, and no 8 s wait ($(took "$t0" "$t1")s)" \
    '! docker image inspect "${RUN}f-slow" >/dev/null 2>&1 && less "$(took "$t0" "$t1")" 7'
check "... its running step marked CANCELED, as buildx marks it" \
    'sid=$(grep -oE "^#[0-9]+ \[slow 2/2\] RUN" <<<"$out" | head -n1 | cut -d" " -f1) && [ -n "$sid" ] && grep -qx "$sid CANCELED" <<<"$out"'
check "... and the slow one is not what is reported" "! grep -q \"^error: service 'slow'\" <<<\"\$out\""

# ---- Ctrl-C ------------------------------------------------------------------
for s in a b; do printf 'FROM %s\nRUN sleep 9 && echo %s-%s-int\n' "$IMAGE" "$RUN" "$s" >"$F/$s.Dockerfile"; done
printf 'name: %si\nservices:\n  a:\n    build: {context: ., dockerfile: a.Dockerfile}\n  b:\n    build: {context: ., dockerfile: b.Dockerfile}\n' \
    "$RUN" >"$F/int.yaml"
(cd "$F" && exec "$DEVSTACK" -f int.yaml build --progress plain) >"$TMP/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    [ "$(grep -cE "^#[0-9]+ \[[ab] 2/2\] RUN sleep 9" "$TMP/int.out")" -ge 2 ] && break
    sleep 0.1
done
kill -INT "$pid"
t0=$(now)
wait "$pid"
rc=$?
t1=$(now)
out=$(cat "$TMP/int.out")
check "Ctrl-C while two builds run: both end at once, exit 130 ($(took "$t0" "$t1")s)" \
    '[ $rc -eq 130 ] && less "$(took "$t0" "$t1")" 3 && [ "$(grep -cE "^#[0-9]+ CANCELED$" <<<"$out")" -eq 2 ] && grep -q "^error: interrupted" <<<"$out"'

# ---- the classic builder ------------------------------------------------------
out=$(cd "$P" && DOCKER_BUILDKIT=0 "$DEVSTACK" build --progress plain --build-arg BUST=classic-$RUN </dev/null 2>&1)
rc=$?
check "DOCKER_BUILDKIT=0: both built, each line prefixed with its service" \
    '[ $rc -eq 0 ] && grep -q "^a  | Step 1/" <<<"$out" && grep -q "^b  | Step 1/" <<<"$out"'

# ---- up --build builds the same way ---------------------------------------------
for s in a b; do echo "RUN sleep 2 # $RUN up" >>"$P/$s/Dockerfile"; done
ds "$P" up --build --no-start --progress plain
check "up --build: both images built at once, then the containers created" \
    '[ $rc -eq 0 ] && [ "$(RUNS="3/3" runs_begun)" -eq 2 ] && [ "$(docker inspect --format "{{.State.Status}}" "$RUN-a-1" "$RUN-b-1" 2>&1 | sort -u)" = created ]'
ds "$P" down

# ---- docker compose build of the same file ---------------------------------
if ! docker compose version >/dev/null 2>&1; then
    tap_cannot_run "docker compose (v2) is installed"
fi
curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$RUN-a?force=1" >/dev/null 2>&1
curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$RUN-b?force=1" >/dev/null 2>&1
out=$(cd "$P" && docker compose build </dev/null 2>&1)
rc=$?
check "docker compose build of the same file makes the same image names, $RUN-a and $RUN-b" \
    '[ $rc -eq 0 ] && docker image inspect "$RUN-a" "$RUN-b" >/dev/null 2>&1 && [ "$(docker run --rm "$RUN-a" cat /a.txt)" = "a 0" ] && [ "$(docker run --rm "$RUN-b" cat /b.txt)" = "b 0" ]'

tap_done
