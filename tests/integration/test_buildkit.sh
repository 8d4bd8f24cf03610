#!/usr/bin/env bash
# BuildKit through the Engine API on the real engine, as a user checks it: a
# multi-stage Dockerfile with a cache mount builds with `devstack build` and
# `up --build`, its image runs and carries Compose's name and labels; the
# cache mount keeps its files from one build to the next; buildx's plain
# lines and terminal panel; a failing RUN shows its output and the error and
# exits non-zero; DOCKER_BUILDKIT=0 takes the classic builder, which refuses
# --mount clearly; `docker compose build` of the same project makes the same
# image name. TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=tbuildkit$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_buildkit.XXXXXX")
P=$TMP/$RUN

cleanup() {
    remove_projects "$RUN"
    for img in "$RUN-app" "$RUN-broken"; do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$img?force=1" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# in_image REF CMD...: what a throwaway container of the image prints
in_image() { docker run --rm "$1" "${@:2}" 2>&1; }
label() { docker image inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null; }

mkdir -p "$P/app" "$P/broken"
echo "hello from $RUN" >"$P/app/hello.txt"
# the cache mount's target is this run's own: cache mounts are shared engine-wide by target
cat >"$P/app/Dockerfile" <<DOCKERFILE
FROM $IMAGE AS base
ARG BUST=1
RUN --mount=type=cache,target=/cache-$RUN echo run >> /cache-$RUN/runs && wc -l < /cache-$RUN/runs > /runs && echo "cache mount holds \$(cat /runs)"
FROM $IMAGE
COPY --from=base /runs /runs
COPY hello.txt /hello.txt
CMD ["cat", "/hello.txt"]
DOCKERFILE
printf 'FROM %s\nRUN echo "about to fail" && echo "on stderr" >&2 && exit 7\n' "$IMAGE" >"$P/broken/Dockerfile"
cat >"$P/compose.yaml" <<YAML
name: $RUN
services:
  app:
    build: ./app
    command: [sh, -c, 'cat /hello.txt; exec sleep 300']
    stop_grace_period: 1s
  broken:
    build: ./broken
    profiles: [broken]
YAML

# ---- devstack build, plain --------------------------------------------------
ds "$P" build --progress plain
check "build: a cache mount and two stages build with BuildKit" '[ $rc -eq 0 ]'
check "plain output as buildx's: a numbered step, named as Compose names it" \
    'grep -qE "^#[0-9]+ \[app base 2/2\] RUN --mount=type=cache" <<<"$out"'
check "... its output with the time since it began" \
    'grep -qE "^#[0-9]+ [0-9]+\.[0-9]{3} cache mount holds 1$" <<<"$out"'
check "... and its end" 'grep -qE "^#[0-9]+ DONE [0-9]+\.[0-9]s$" <<<"$out"'
check "... and no classic builder's lines" '! grep -q "Step 1/" <<<"$out"'
out=$(in_image "$RUN-app")
check "the image $RUN-app runs" '[ "$out" = "hello from $RUN" ]'
check "labels: com.docker.compose.project and .service, as Compose sets them" \
    '[ "$(label "$RUN-app" com.docker.compose.project)" = "$RUN" ] && [ "$(label "$RUN-app" com.docker.compose.service)" = app ]'

ds "$P" build --progress plain
check "a rebuild without changes: every step CACHED" \
    '[ $rc -eq 0 ] && grep -qE "^#[0-9]+ CACHED$" <<<"$out" && ! grep -qE "^#[0-9]+ [0-9.]+ cache mount holds" <<<"$out"'
ds "$P" build --build-arg BUST=2 --progress plain
check "a changed build arg runs the step again, and the cache mount kept its file" \
    '[ $rc -eq 0 ] && grep -qE "cache mount holds 2$" <<<"$out" && [ "$(in_image "$RUN-app" cat /runs)" = 2 ]'

# ---- the terminal panel --------------------------------------------------------
out=$(cd "$P" && script -qfec "$DEVSTACK build --progress tty" /dev/null </dev/null 2>&1)
rc=$?
check "a terminal: buildx's panel, '[+] Building N.Ns (n/n) FINISHED'" \
    '[ $rc -eq 0 ] && grep -qE "\[\+\] Building [0-9]+\.[0-9]s \(([0-9]+)/\1\) FINISHED" <<<"$out"'
check "... a line per step with its time at the right" \
    'grep -qE " => CACHED \[app base 2/2\] RUN --mount.* +[0-9]+\.[0-9]s" <<<"$out"'

# ---- a failing step ------------------------------------------------------------
ds "$P" --profile broken build --progress plain broken
check "a failing RUN fails the build" '[ $rc -eq 1 ]'
check "... the step's output shown as it came, both streams" \
    'grep -qE "^#[0-9]+ [0-9.]+ about to fail$" <<<"$out" && grep -qE "^#[0-9]+ [0-9.]+ on stderr$" <<<"$out"'
check "... the failed step named with its output between dashes, as buildx does" \
    'grep -qF " > [broken 2/2] RUN echo \"about to fail\" && echo \"on stderr\" >&2 && exit 7:" <<<"$out"'
check "... and the error names the step and the exit code" \
    'grep -q "^error: service '"'"'broken'"'"': build failed at '"'"'\[broken 2/2\] RUN echo" <<<"$out" && grep -q "exit code: 7" <<<"$out"'
out=$(cd "$P" && script -qfec "$DEVSTACK --profile broken build --progress tty broken" /dev/null </dev/null 2>&1)
rc=$?
check "a terminal: the failed step marked ERROR in the panel, exit non-zero" \
    '[ $rc -ne 0 ] && grep -qF " => ERROR [broken 2/2] RUN echo" <<<"$out" && grep -q "about to fail" <<<"$out"'

# ---- up --build --------------------------------------------------------------
curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$RUN-app?force=1" >/dev/null 2>&1
ds "$P" up -d --build --progress plain
check "up --build: builds with BuildKit and starts the service" \
    '[ $rc -eq 0 ] && grep -qE "^#[0-9]+ \[app base 2/2\]" <<<"$out" && [ "$(docker inspect --format "{{.State.Running}}" "$RUN-app-1" 2>&1)" = true ]'
check "... the container runs the image built" '[ "$(docker logs "$RUN-app-1" 2>&1)" = "hello from $RUN" ]'
ds "$P" down

# ---- DOCKER_BUILDKIT=0: the classic builder -----------------------------------
out=$(cd "$P" && DOCKER_BUILDKIT=0 "$DEVSTACK" build --progress plain </dev/null 2>&1)
rc=$?
check "DOCKER_BUILDKIT=0: the classic builder (its 'Step 1/' lines)" 'grep -q "app  | Step 1/" <<<"$out"'
check "... which refuses --mount, saying it needs BuildKit and how to get it" \
    '[ $rc -eq 1 ] && grep -q "the --mount option requires BuildKit" <<<"$out" && grep -q "hint: DOCKER_BUILDKIT=0 chose the classic builder: unset it" <<<"$out"'

# ---- docker compose build of the same project ---------------------------------
if ! docker compose version >/dev/null 2>&1; then
    tap_cannot_run "docker compose (v2) is installed"
fi
curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$RUN-app?force=1" >/dev/null 2>&1
out=$(cd "$P" && docker compose build app </dev/null 2>&1)
rc=$?
check "docker compose build of the same project succeeds" '[ $rc -eq 0 ]'
check "... and names the image as devstack does, $RUN-app, with the same labels" \
    '[ "$(in_image "$RUN-app")" = "hello from $RUN" ] && [ "$(label "$RUN-app" com.docker.compose.project)" = "$RUN" ] && [ "$(label "$RUN-app" com.docker.compose.service)" = app ]'
ds "$P" build --progress plain app
check "... and devstack builds over it, using the build cache Compose filled" \
    '[ $rc -eq 0 ] && grep -qE "^#[0-9]+ CACHED$" <<<"$out" && [ "$(in_image "$RUN-app")" = "hello from $RUN" ]'

tap_done
