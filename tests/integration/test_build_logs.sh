#!/usr/bin/env bash
# `devstack build` and `devstack logs` against the real engine: the context as
# a tar honouring .dockerignore, build args and targets, a failing step named,
# logs of several services and both streams, following restarts.
# The builds are the classic builder's (DOCKER_BUILDKIT=0), whose output this
# checks; test_buildkit.sh checks BuildKit's.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail
export DOCKER_BUILDKIT=0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dsbl$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_build_logs.XXXXXX")

ds() {
    out=$(cd "$P" && "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}
# run IMAGE CMD...: the output of a throwaway container
run_in() {
    local image=$1 id
    shift
    id=$(curl -fsS --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
        -d "$(python3 -c 'import json,sys; print(json.dumps({"Image": sys.argv[1], "Cmd": sys.argv[2:]}))' "$image" "$@")" \
        http://localhost/v1.41/containers/create | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')
    curl -fsS --unix-socket "$SOCK" -X POST "http://localhost/v1.41/containers/$id/start" >/dev/null
    curl -fsS --unix-socket "$SOCK" -X POST "http://localhost/v1.41/containers/$id/wait" >/dev/null
    api "/containers/$id/logs?stdout=1&stderr=1" | tr -c '[:print:]\n' ' '
    curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/containers/$id?force=1" >/dev/null
}
cleanup() {
    (cd "$P" && "$DEVSTACK" down --rmi local --progress quiet >/dev/null 2>&1)
    for img in $RUN-app $RUN-app-dev $RUN-broken $RUN-isolated; do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$img?force=1" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

P=$TMP/$RUN
mkdir -p "$P/app/secrets" "$P/app/logs" "$P/app/src/deep" "$P/broken" "$P/isolated"
cat >"$P/compose.yaml" <<YAML
services:
  app:
    build:
      context: ./app
      target: prod
      args:
        VERSION: "1.0"
  appdev:
    image: $RUN-app-dev
    build:
      context: ./app
      target: dev
  broken:
    build: ./broken
    profiles: [broken]
  isolated:
    build:
      context: ./isolated
      network: none
    profiles: [isolated]
  talker:
    image: $IMAGE
    init: true
    command: [sh, -c, 'echo out line one; echo err line one >&2; sleep 0.3; echo out line two; exec sleep 600']
  quiet:
    image: $IMAGE
    init: true
    command: [sh, -c, 'echo quiet says hi; exec sleep 600']
YAML
cat >"$P/app/Dockerfile" <<DOCKERFILE
FROM $IMAGE AS base
ARG VERSION=none
COPY . /ctx/
RUN echo "version \$VERSION" > /version && find /ctx | sort > /manifest
FROM base AS dev
RUN echo dev > /stage
FROM base AS prod
RUN echo prod > /stage
DOCKERFILE
printf 'hello\n' >"$P/app/src/main.py"
printf 'deep\n' >"$P/app/src/deep/module.py"
printf 'scratch\n' >"$P/app/src/deep/scratch.tmp"
printf 'log\n' >"$P/app/logs/app.log"
printf 'private\n' >"$P/app/secrets/private.key"
printf 'public\n' >"$P/app/secrets/public.pem"
cat >"$P/app/.dockerignore" <<'IGNORE'
# logs and secrets stay home; the public key may go
logs/
secrets/
!secrets/public.pem
**/*.tmp
Dockerfile
IGNORE
printf 'FROM %s\nRUN echo "about to fail" && exit 7\n' "$IMAGE" >"$P/broken/Dockerfile"
printf 'FROM %s\nRUN cat /proc/net/dev > /interfaces\n' "$IMAGE" >"$P/isolated/Dockerfile"

# ---- build
ds build --progress plain app
# the builder's own words: Docker's "Step 1/4 : FROM", Podman's (Buildah's) "STEP 1/4: FROM"
check "build succeeds and streams the build's output, prefixed by the service" \
    '[ $rc -eq 0 ] && [[ ($out == *"app  | Step 1/"* || $out == *"app  | [1/3] STEP 1/"*) && $out == *"Image $RUN-app  Built"* ]]'
manifest=$(run_in "$RUN-app" cat /manifest)
check ".dockerignore: ignored files are not in the image" \
    '[[ $manifest != *app.log* && $manifest != *private.key* && $manifest != *scratch.tmp* ]]'
check ".dockerignore: the ! exception and the other files are" \
    '[[ $manifest == *secrets/public.pem* && $manifest == *src/deep/module.py* && $manifest == *src/main.py* ]]'
# The build ran, so the Dockerfile was sent; the engine then drops what
# .dockerignore names from what COPY sees, as it does for the docker CLI.
check "the Dockerfile is sent though .dockerignore names it; COPY leaves it out, as with Docker" \
    '[[ -n $manifest && $manifest != */ctx/Dockerfile* && $manifest == */ctx/.dockerignore* ]]'
check "the build arg from the file reached the build" '[[ "$(run_in "$RUN-app" cat /version)" == *"version 1.0"* ]]'
check "target: prod built the prod stage" '[[ "$(run_in "$RUN-app" cat /stage)" == *prod* ]]'
labels=$(api "/images/$RUN-app/json" | python3 -c 'import json,sys; l=json.load(sys.stdin)["Config"]["Labels"]; print(l.get("com.docker.compose.project"), l.get("com.docker.compose.service"))')
check "the image is tagged <project>-<service> and labelled with the project" '[ "$labels" = "$RUN app" ]'

ds build --progress plain --build-arg VERSION=2.5 app
check "--build-arg overrides the file's" '[ $rc -eq 0 ] && [[ "$(run_in "$RUN-app" cat /version)" == *"version 2.5"* ]]'
ds build --progress plain appdev
check "a service with image: is tagged with it; target: dev" \
    '[ $rc -eq 0 ] && [[ "$(run_in "$RUN-app-dev" cat /stage)" == *dev* ]]'
ds build --progress plain app
check "a rebuild without changes uses the engine's cache" '[ $rc -eq 0 ] && [[ $out == *"Using cache"* ]]'

ds --profile isolated build --progress plain isolated
ifaces=$(run_in "$RUN-isolated" cat /interfaces)
if on_podman; then
    differs build-network-none "build.network: none runs the steps without a network (only lo)"
else
    check "build.network: none runs the steps without a network (only lo)" \
        '[ $rc -eq 0 ] && [[ $ifaces == *"lo:"* && $ifaces != *"eth0"* ]]'
fi

ds --profile broken build --progress plain broken
check "a failing RUN fails the build and names the step" \
    '[ $rc -eq 1 ] && [[ ($out == *"build failed at '"'"'Step 2/"*" : RUN echo \"about to fail\" && exit 7'"'"'"* && $out == *"non-zero code: 7"*) ||
                         ($out == *"build failed at '"'"'STEP 2/"*": RUN echo \"about to fail\" && exit 7'"'"'"* && $out == *"exit status 7"*) ]]'
check "... with the step's output shown" '[[ $out == *"broken  | about to fail"* ]]'

sed -i 's|    build: ./broken|    build: ./missing|' "$P/compose.yaml"
ds --profile broken build --progress plain broken
check "a context that does not exist is a clear error" \
    '[ $rc -eq 1 ] && [[ $out == *"the build context '"'"'$P/missing'"'"' does not exist"* ]]'
sed -i 's|    build: ./missing|    build:\n      context: ./broken\n      dockerfile: ../app/Dockerfile|' "$P/compose.yaml"
ds --profile broken build --progress plain broken
manifest=$(run_in "$RUN-broken" cat /manifest)
check "a Dockerfile outside the context is sent with it, as Compose does: the context is broken's" \
    '[ $rc -eq 0 ] && [[ $manifest == *"/ctx/Dockerfile"* && $manifest != *"/ctx/.dockerfile"* && $manifest != *"/ctx/src"* ]]'

# ---- logs
ds up -d --progress quiet talker quiet
for _ in $(seq 1 25); do
    ds logs talker
    [[ $out == *"out line two"* ]] && break
    sleep 0.2
done
ds logs --no-color
check "logs: every service, prefixed and aligned" \
    '[ $rc -eq 0 ] && [[ $out == *"talker | out line one"* && $out == *"quiet  | quiet says hi"* ]]'
check "logs: stdout and stderr both shown" '[[ $out == *"talker | err line one"* ]]'
ds logs talker
check "logs SERVICE: only that service" '[[ $out == *"out line one"* && $out != *"quiet says hi"* ]]'
ds logs --no-log-prefix quiet
check "--no-log-prefix" '[ "$out" = "quiet says hi" ]'
ds logs -n 1 talker
check "-n 1: the last line" '[ "$out" = "talker | out line two" ]'
ds logs -t quiet
check "-t: timestamps" '[[ $out =~ ^"quiet | "20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T.*"quiet says hi"$ ]]'
ds logs --since 2099-01-01T00:00:00Z
check "--since in the future: nothing" '[ $rc -eq 0 ] && [ -z "$out" ]'
ds logs --since yesterday
check "an unreadable --since is a usage error" '[ $rc -eq 2 ] && [[ $out == *"cannot read the time"* ]]'
ds logs nope
check "an unknown service is an error" '[ $rc -eq 1 ] && [[ $out == *"no such service: '"'"'nope'"'"'"* ]]'

(cd "$P" && exec "$DEVSTACK" logs -f --no-color >"$TMP/follow.out" 2>&1) &
pid=$!
sleep 1.5
(cd "$P" && "$DEVSTACK" restart --progress quiet quiet >/dev/null 2>&1)
for _ in $(seq 1 50); do
    [ "$(grep -c "quiet says hi" "$TMP/follow.out")" -ge 2 ] && break
    sleep 0.2
done
n_before=$(grep -c "talker | out line one" "$TMP/follow.out")
(cd "$P" && "$DEVSTACK" up -d --force-recreate --progress quiet talker >/dev/null 2>&1)
for _ in $(seq 1 50); do
    [ "$(grep -c "talker | out line two" "$TMP/follow.out")" -gt "$n_before" ] && break
    sleep 0.2
done
kill -INT $pid
wait $pid
rc=$?
out=$(<"$TMP/follow.out")
check "logs -f sees a restarted container's new output" '[ "$(grep -c "quiet  | quiet says hi" <<<"$out")" -ge 2 ]'
check "logs -f follows a recreated container (a new container id)" \
    '[ "$(grep -c "talker | out line two" <<<"$out")" -gt "$n_before" ]'
check "Ctrl-C ends logs -f cleanly (exit 0, no error)" '[ $rc -eq 0 ] && [[ $out != *error* ]]'

tap_done
