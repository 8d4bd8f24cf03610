#!/usr/bin/env bash
# A named volume the file no longer matches (its labels, driver_opts or
# driver changed since it was made), against the real engine: `up` keeps it
# and its data, as Compose 2.26 does, and says so; `up -y` (and `create -y`)
# makes it afresh after removing the containers that mount it, naming what
# differs by key only (a driver option may hold a password); a volume that
# still matches is left alone by -y; one a container of another project
# mounts is refused, its data kept. Projects are named tdrift<pid>-<x>; the
# EXIT trap removes them. TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
docker compose version >/dev/null 2>&1 || tap_bail "docker compose (v2) is installed, to compare with"
RUN=tdrift$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_volume_drift.XXXXXX")
LIMIT=120 # seconds any one command may take before it counts as hung

cleanup() {
    docker rm -f "$RUN-other" >/dev/null 2>&1
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

# dx DIR ARGS...: devstack in DIR; sets rc, out (stdout) and err (stderr)
dx() {
    local dir=$1
    shift
    out=$(cd "$dir" && timeout $LIMIT "$DEVSTACK" "$@" </dev/null 2>"$TMP/stderr")
    rc=$?
    err=$(<"$TMP/stderr")
}
# write DIR VOLUME-YAML: the project's compose.yaml, its `data` volume as given
write() {
    mkdir -p "$1"
    cat >"$1/compose.yaml" <<EOF
services:
  app:
    image: $TEST_IMAGE
    init: true
    command: [sleep, '600']
    volumes: [data:/data]
volumes:
  data: $2
EOF
}
content() { docker exec "$1" cat /data/f 2>/dev/null; }
container_id() { docker inspect -f '{{.Id}}' "$1" 2>/dev/null; }
volume_label() { docker volume inspect -f "{{index .Labels \"$2\"}}" "$1" 2>/dev/null; }

A=$TMP/a PA=$RUN-a
write "$A" "{labels: {tier: one}}"
dx "$A" -p "$PA" up -d --progress plain
docker exec "$PA-app-1" sh -c 'echo precious >/data/f'
check "up makes the volume with the file's labels" \
    '[ $rc -eq 0 ] && [ "$(volume_label "${PA}_data" tier)" = one ] && [ "$(content "$PA-app-1")" = precious ]'

write "$A" "{labels: {tier: two}}"
id1=$(container_id "$PA-app-1")
dx "$A" -p "$PA" up -d --progress plain
check "a changed label: up keeps the volume and its data, and says what differs and what -y would do" \
    '[ $rc -eq 0 ] && [ "$(content "$PA-app-1")" = precious ] && [ "$(volume_label "${PA}_data" tier)" = one ] && [[ $err == *"${PA}_data"*"does not match the file (labels.tier)"*"kept as it is"*"up -y"* ]]'
(cd "$A" && timeout $LIMIT docker compose -p "$PA" up -d >/dev/null 2>&1)
check "docker compose up keeps it too (Compose 2.26 has no -y)" \
    '[ "$(content "$PA-app-1")" = precious ] && [ "$(volume_label "${PA}_data" tier)" = one ]'

dx "$A" -p "$PA" up -d -y --progress plain
check "up -y: the volume made afresh with the new label, its data gone, the container recreated and running" \
    '[ $rc -eq 0 ] && [ "$(volume_label "${PA}_data" tier)" = two ] && [ -z "$(content "$PA-app-1")" ] && [ "$(container_id "$PA-app-1")" != "$id1" ] && [ "$(docker inspect -f {{.State.Running}} "$PA-app-1")" = true ]'
check "... after naming it, what differs and that its data is lost" \
    '[[ $err == *"${PA}_data"*"does not match the file (labels.tier): made afresh (-y), its data is lost"* ]] && [[ $err == *"Volume ${PA}_data  Removed"* ]] && [[ $err == *"Volume ${PA}_data  Created"* ]]'

docker exec "$PA-app-1" sh -c 'echo again >/data/f'
dx "$A" -p "$PA" up -d -y --progress plain
check "up -y when the volume matches: nothing removed, the data kept" \
    '[ $rc -eq 0 ] && [ "$(content "$PA-app-1")" = again ] && [[ $err != *"does not match"* ]] && [[ $err != *Removed* ]]'

# driver_opts: a tmpfs volume whose size option changed; the value may be a secret, only the key is named
# (Podman's local driver takes size= as a quota, which this file system cannot give: uid= there;
# it keeps the uid as an option of its own too, UID, which is named as well)
B=$TMP/b PB=$RUN-b V1=size=1m V2=size=2m
on_podman && V1=uid=1 V2=uid=2
write "$B" "{driver_opts: {type: tmpfs, device: tmpfs, o: '$V1'}}"
dx "$B" -p "$PB" up -d --progress plain
docker exec "$PB-app-1" sh -c 'echo kept >/data/f'
write "$B" "{driver_opts: {type: tmpfs, device: tmpfs, o: '$V2'}}"
dx "$B" -p "$PB" up -d --progress plain
check "a changed driver option: kept, named by its key, its value not printed" \
    '[ $rc -eq 0 ] && [ "$(content "$PB-app-1")" = kept ] && [[ $err == *"driver_opts.o)"* ]] && [[ $err != *$V2* ]] && [[ $err != *$V1* ]]'
dx "$B" -p "$PB" create -y --progress plain
check "create -y makes it afresh with the new option" \
    '[ $rc -eq 0 ] && [ "$(docker volume inspect -f "{{.Options.o}}" "${PB}_data")" = $V2 ] && [ "$(docker inspect -f {{.State.Status}} "$PB-app-1")" = created ]'

# a container outside the project holds the volume: -y refuses, the data stays
C=$TMP/c PC=$RUN-c
write "$C" "{labels: {tier: one}}"
dx "$C" -p "$PC" up -d --progress plain
docker exec "$PC-app-1" sh -c 'echo held >/data/f'
docker run -d --name "$RUN-other" -v "${PC}_data:/data" "$TEST_IMAGE" sleep 600 >/dev/null
write "$C" "{labels: {tier: two}}"
dx "$C" -p "$PC" up -d -y --progress plain
check "up -y on a volume another project's container mounts: exit 1, naming it and the way out, the data kept" \
    '[ $rc -eq 1 ] && [[ $err == *"volume '"'${PC}_data'"' is in use by a container of another project"* ]] && [[ $err == *"volume=${PC}_data"* ]] && [ "$(docker exec "$RUN-other" cat /data/f)" = held ]'

dx "$A" up --help
check "-y/--yes is in up's help" '[ $rc -eq 0 ] && [[ $out == *"-y, --yes"* ]]'

tap_done
