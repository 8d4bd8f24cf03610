#!/usr/bin/env bash
# The keys of a service's build section on the real engine, checked as a user
# would: every tag of build.tags names the image, a dockerfile_inline build
# makes its image (and its Dockerfile stays out of what COPY sees), RUN steps
# see build.extra_hosts in /etc/hosts, a /dev/shm of build.shm_size and the
# build.ulimits (written into the image while it builds, read back with a
# container of it), build.platforms of one platform; and the keys that need
# more of BuildKit than a session for secrets and ssh (privileged, cache_to,
# additional_contexts, entitlements, several platforms) refused by build and up with their
# file:line:col, nothing built or created, while config still shows them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=bk$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_build_keys.XXXXXX")
P=$TMP/$RUN

cleanup() {
    remove_projects "$RUN"
    for tag in "$RUN/app:1.0" "$RUN/app:latest" "$RUN/plain:x"; do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$tag?force=1" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# image_id REF: the image's id, empty when the engine has none
image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null; }
# in_image REF CMD...: what a throwaway container of the image prints
in_image() { docker run --rm "$1" "${@:2}" 2>&1; }

mkdir -p "$P/plain"
printf 'secret.txt\n' >"$P/.dockerignore"
echo data >"$P/data.txt"
echo hidden >"$P/secret.txt"
cat >"$P/plain/Dockerfile" <<DOCKERFILE
FROM $IMAGE
RUN cat /etc/hosts > /hosts.txt
DOCKERFILE
cat >"$P/compose.yaml" <<YAML
name: $RUN
services:
  app:
    build:
      context: .
      dockerfile_inline: |
        FROM $IMAGE
        COPY . /ctx
        RUN cat /etc/hosts > /hosts.txt && df -k /dev/shm > /shm.txt && ulimit -Sn > /nofile.txt && ulimit -Hn >> /nofile.txt
        RUN ls -a /ctx > /ctx.txt
      extra_hosts:
        - "mirror.internal:10.11.12.13"
        - "v6.internal=::5"
      shm_size: 96m
      ulimits:
        nofile: {soft: 1234, hard: 2345}
      tags: ["$RUN/app:1.0", "$RUN/app:latest"]
      isolation: default
    command: [sleep, "300"]
    stop_grace_period: 1s
  plain:
    platform: linux/amd64
    build:
      context: ./plain
      platforms: [linux/amd64]
      extra_hosts: {db.internal: 10.0.0.7}
      tags: ["$RUN/plain:x"]
YAML

ds "$P" build
check "build: the services with every classic-builder key build" '[ $rc -eq 0 ]'

id=$(image_id "$RUN-app")
check "dockerfile_inline: the image $RUN-app was made" '[ -n "$id" ]'
check "tags: $RUN/app:1.0 and $RUN/app:latest name the same image" \
    '[ -n "$id" ] && [ "$(image_id "$RUN/app:1.0")" = "$id" ] && [ "$(image_id "$RUN/app:latest")" = "$id" ]'

out=$(in_image "$RUN-app" cat /hosts.txt)
check "extra_hosts: RUN steps see both hosts (list, both separators) in /etc/hosts" \
    'grep -qP "^10\.11\.12\.13\s+mirror\.internal$" <<<"$out" && grep -qP "^::5\s+v6\.internal$" <<<"$out"'
out=$(in_image "$RUN-app" cat /shm.txt)
check "shm_size: RUN steps have a /dev/shm of 96m (98304 KiB)" \
    'awk '\''$NF == "/dev/shm" { found = $2 } END { exit found == 98304 ? 0 : 1 }'\'' <<<"$out"'
out=$(in_image "$RUN-app" cat /nofile.txt)
check "ulimits: RUN steps have nofile soft 1234, hard 2345" '[ "$out" = "$(printf "1234\n2345")" ]'
out=$(in_image "$RUN-app" cat /ctx.txt)
check "dockerfile_inline: COPY sees the context without the inline Dockerfile, .dockerignore kept" \
    'grep -qx data.txt <<<"$out" && ! grep -q "^\.dockerfile" <<<"$out" && ! grep -qx secret.txt <<<"$out"'

pid=$(image_id "$RUN-plain")
check "platforms: one platform (the service's) builds; tagged as build.tags says" \
    '[ -n "$pid" ] && [ "$(image_id "$RUN/plain:x")" = "$pid" ] && [ "$(docker image inspect --format "{{.Os}}/{{.Architecture}}" "$pid")" = linux/amd64 ]'
out=$(in_image "$RUN-plain" cat /hosts.txt)
check "extra_hosts as a mapping reaches RUN steps" 'grep -qP "^10\.0\.0\.7\s+db\.internal$" <<<"$out"'

# up of a service whose image is not there builds it, with the same keys
curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$RUN-app?force=1" >/dev/null 2>&1
ds "$P" up -d app
check "up: a service without its image builds it and starts" \
    '[ $rc -eq 0 ] && [ -n "$(image_id "$RUN-app")" ] && [ "$(docker inspect --format "{{.State.Running}}" "$RUN-app-1")" = true ]'
out=$(docker exec "$RUN-app-1" cat /nofile.txt 2>&1)
check "up: its image was built with the ulimits" '[ "$out" = "$(printf "1234\n2345")" ]'
ds "$P" down

# ---- keys that need BuildKit: refused at their position, nothing built or created
cat >"$P/refused.yaml" <<YAML
name: $RUN-refused
services:
  privileged:
    build:
      context: ./plain
      privileged: true
  cache-to:
    build:
      context: ./plain
      cache_to: ["type=local,dest=$TMP/cache"]
  contexts:
    build:
      context: ./plain
      additional_contexts: {base: "docker-image://$IMAGE"}
  entitlements:
    build:
      context: ./plain
      entitlements: [network.host]
  platforms:
    build:
      context: ./plain
      platforms: [linux/amd64, linux/arm64]
YAML
# service key line:col
for want in "privileged privileged 6:7" "cache-to cache_to 10:7" "contexts additional_contexts 14:7" \
    "entitlements entitlements 18:7" "platforms platforms 22:7"; do
    read -r svc key pos <<<"$want"
    ds "$P" -f refused.yaml build "$svc"
    check "build: $key is refused at refused.yaml:$pos, naming the key and what to do" \
        '[ $rc -ne 0 ] && [[ $out == *"refused.yaml:$pos: services.$svc.build.$key: "* ]] && [[ $out == *"docker compose build $svc"* ]] && [ -z "$(image_id "$RUN-refused-$svc")" ]'
done
ds "$P" -f refused.yaml up -d contexts
check "up: a service with additional_contexts is refused before anything is created" \
    '[ $rc -ne 0 ] && [[ $out == *"refused.yaml:14:7: services.contexts.build.additional_contexts: "* ]] && [ -z "$(docker ps -aq --filter label=com.docker.compose.project=$RUN-refused)" ] && [ -z "$(docker network ls -q --filter label=com.docker.compose.project=$RUN-refused)" ]'
ds "$P" -f refused.yaml build
check "build of them all: refused before any is built" \
    '[ $rc -ne 0 ] && [[ $out == *"services.privileged.build.privileged"* ]] && [ -z "$(image_id "$RUN-refused-privileged")" ]'
ds "$P" -f refused.yaml config --format json
check "config: shows the refused keys as Compose does" \
    '[ $rc -eq 0 ] && [[ $out == *"\"privileged\": true"* ]] && [[ $out == *"\"cache_to\""* ]] && [[ $out == *"\"entitlements\""* ]] && [[ $out == *"\"additional_contexts\""* ]]'

# ---- bad input
printf 'services:\n  x:\n    build:\n      dockerfile: Dockerfile\n      dockerfile_inline: FROM scratch\n' >"$P/both.yaml"
ds "$P" -f both.yaml build
check "dockerfile and dockerfile_inline together: an error at its position" \
    '[ $rc -ne 0 ] && [[ $out == *"both.yaml:5:7: services.x.build.dockerfile_inline: dockerfile and dockerfile_inline are mutually exclusive"* ]]'

tap_done
