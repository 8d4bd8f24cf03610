#!/usr/bin/env bash
# `devstack clear` against the real engine, with the registry-free busybox
# image (tests/integration/prepare.sh): a project's containers, networks,
# volumes and built images go, another project's stay; --dry-run and a
# refused confirmation change nothing; --all is only ever listed here, never
# run. Every project is named dsclr<pid>-<x>; the EXIT trap removes them all.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dsclr$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_clear.XXXXXX")

# ds DIR ARGS...: as tests/lib/engine.sh's, keeping every output for the sanitizer check at the end
ds() {
    local dir=$1
    shift
    out=$(cd "$dir" && "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
    printf '%s\n' "$out" >>"$TMP/outputs"
}

# What the engine holds, one sorted line per object with its id: ours (named
# after this run), the test image and the stack's stand-in images. Objects of
# tests running at the same time come and go, so they are left out.
listing() {
    {
        api "/containers/json?all=1" |
            python3 -c 'import json,sys; [print("container", c["Id"], c["Names"][0]) for c in json.load(sys.stdin)]'
        api "/networks" | python3 -c 'import json,sys; [print("network", n["Id"], n["Name"]) for n in json.load(sys.stdin)]'
        api "/volumes" |
            python3 -c 'import json,sys; [print("volume", v["Name"], v["CreatedAt"]) for v in (json.load(sys.stdin)["Volumes"] or [])]'
        api "/images/json" |
            python3 -c 'import json,sys; [print("image", i["Id"], " ".join(sorted(i["RepoTags"] or [])), (i.get("Labels") or {}).get("com.docker.compose.project", "")) for i in json.load(sys.stdin)]'
    } | grep -E "$RUN|devstack-test/busybox|devstack/" | sort
}
# kind project: the ids of a project's objects (by label), sorted
ids_of() {
    local q
    q=$(python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps({"label":["com.docker.compose.project="+sys.argv[1]]})))' "$2")
    case $1 in
    containers) api "/containers/json?all=1&filters=$q" | python3 -c 'import json,sys; [print(c["Id"]) for c in json.load(sys.stdin)]' ;;
    networks) api "/networks?filters=$q" | python3 -c 'import json,sys; [print(n["Id"]) for n in json.load(sys.stdin)]' ;;
    volumes) api "/volumes?filters=$q" | python3 -c 'import json,sys; [print(v["Name"]) for v in (json.load(sys.stdin)["Volumes"] or [])]' ;;
    images) api "/images/json?filters=$q" | python3 -c 'import json,sys; [print(i["Id"]) for i in json.load(sys.stdin)]' ;;
    esac | sort
}
image_id() { api "/images/$1/json" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])' 2>/dev/null; }

cleanup() {
    remove_projects "$RUN"
    for img in $RUN-a-app $RUN-b-app $RUN-c-app; do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$img?force=1" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# project NAME [EXTRA]: a project with a long-running service built FROM the
# test image, a named volume and a network; EXTRA goes into the service
project() {
    local dir=$TMP/$RUN-$1
    mkdir -p "$dir/app"
    printf 'FROM %s\nRUN echo %s > /marker\n' "$IMAGE" "$RUN-$1" >"$dir/app/Dockerfile"
    cat >"$dir/compose.yaml" <<YAML
services:
  app:
    build: ./app
    init: true
    command: [sleep, '600']
    volumes: [data:/data]
    networks: [back]
${2:-}
volumes:
  data:
networks:
  back:
YAML
    echo "$dir"
}

A=$(project a)
B=$(project b)
# a database service (by the image contract's MYSQL_DATABASE): its volume would go
C=$(project c "    environment: {MYSQL_DATABASE: app, MYSQL_ROOT_PASSWORD: root}")
EMPTY=$TMP/empty
mkdir -p "$EMPTY"

# ---- two projects up
ds "$A" up -d --progress plain
check "project A is up" '[ $rc -eq 0 ] && [ -n "$(ids_of containers $RUN-a)" ]'
ds "$B" up -d --progress plain
check "project B is up" '[ $rc -eq 0 ] && [ -n "$(ids_of containers $RUN-b)" ]'
# a one-off container of A, stopped, as `docker compose run` leaves them
curl -fsS --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
    -d "{\"Image\": \"$IMAGE\", \"Cmd\": [\"true\"], \"Labels\": {\"com.docker.compose.project\": \"$RUN-a\", \"com.docker.compose.service\": \"app\", \"com.docker.compose.oneoff\": \"True\"}}" \
    "http://localhost/v1.41/containers/create?name=$RUN-a-app-run-1" >/dev/null
A_IMAGE=$(image_id $RUN-a-app)
B_IDS="$(ids_of containers $RUN-b) $(ids_of networks $RUN-b) $(ids_of volumes $RUN-b) $(image_id $RUN-b-app)"
BUSYBOX=$(image_id $IMAGE)
check "A has 2 containers, a network, a volume and a built image" \
    '[ $(ids_of containers $RUN-a | wc -l) -eq 2 ] && [ $(ids_of networks $RUN-a | wc -l) -eq 1 ] && [ $(ids_of volumes $RUN-a | wc -l) -eq 1 ] && [ -n "$A_IMAGE" ]'

# ---- a dry run
before=$(listing)
ds "$A" clear --dry-run
after=$(listing)
check "clear --dry-run exits 0" '[ $rc -eq 0 ]'
check "... says that nothing will be changed" '[[ $out == *"dry run: nothing will be changed"* ]]'
check "... lists A's containers, network, volume and image" \
    '[[ $out == *"$RUN-a-app-1"* && $out == *"$RUN-a-app-run-1"* && $out == *"$RUN-a_back"* && $out == *"$RUN-a_data"* && $out == *"$RUN-a-app:latest"* ]]'
check "... with counts and a total size" '[[ $out == *"total: 2 containers, 1 network, 1 volume, 1 image"*"B"* ]]'
check "... and nothing of B or the test image" '[[ $out != *"$RUN-b"* && $out != *"$IMAGE"* ]]'
check "... changes nothing on the engine" '[ "$before" = "$after" ]'

# ---- no terminal, no --yes: refused
ds "$A" clear
after=$(listing)
check "clear without --yes and without a terminal is refused" '[ $rc -ne 0 ] && [[ $out == *"--yes"* ]]'
check "... and changes nothing" '[ "$before" = "$after" ]'

# ---- a database whose snapshot fails: nothing goes
ds "$C" up -d --progress plain
check "project C (with a database service) is up" '[ $rc -eq 0 ]'
c_before=$(listing)
ds "$C" clear --yes
check "clear --yes of a project whose database snapshot fails stops with an error" \
    '[ $rc -eq 1 ] && [[ $out == *"cannot keep a snapshot of the database, so nothing was deleted"* && $out == *--no-snapshot* ]]'
check "... before removing anything" '[ "$c_before" = "$(listing)" ]'
ds "$C" clear --yes --no-snapshot
check "clear --yes --no-snapshot of it clears it" \
    '[ $rc -eq 0 ] && [ -z "$(ids_of containers $RUN-c)$(ids_of volumes $RUN-c)" ]'

# ---- the real thing
ds "$A" clear --yes --no-snapshot
check "clear --yes --no-snapshot of A exits 0" '[ $rc -eq 0 ]'
check "... reports each removal and a summary" \
    '[[ $out == *"removed container $RUN-a-app-1"* && $out == *"removed volume $RUN-a_data"* && $out == *"removed 2 containers, 1 network, 1 volume, 1 image"*"reclaimed"* ]]'
check "A's containers (the one-off too), network and volume are gone" \
    '[ -z "$(ids_of containers $RUN-a)$(ids_of networks $RUN-a)$(ids_of volumes $RUN-a)" ]'
check "A's built image is gone" '[ -z "$(image_id $RUN-a-app)" ] && [ -z "$(ids_of images $RUN-a)" ]'
check "B's container, network, volume and image are all there with the same ids" \
    '[ "$B_IDS" = "$(ids_of containers $RUN-b) $(ids_of networks $RUN-b) $(ids_of volumes $RUN-b) $(image_id $RUN-b-app)" ]'
check "the test image is still there" '[ -n "$BUSYBOX" ] && [ "$(image_id $IMAGE)" = "$BUSYBOX" ]'
ds "$A" clear --yes
check "clearing A again: nothing to remove, exit 0" '[ $rc -eq 0 ] && [[ $out == *"nothing to remove"* ]]'

# ---- without a compose file, -p is enough
ds "$EMPTY" -p $RUN-b clear --dry-run
check "-p without a compose file lists the project by its label" \
    '[ $rc -eq 0 ] && [[ $out == *"$RUN-b-app-1"* && $out == *"$RUN-b_data"* && $out == *"going by the label"* ]]'

# ---- --all: only refused and listed, never run
before=$(listing)
ds "$EMPTY" clear --all
check "clear --all without --yes and without a terminal is refused, naming --yes" \
    '[ $rc -ne 0 ] && [[ $out == *"--yes"* ]]'
check "... and changes nothing" '[ "$before" = "$(listing)" ]'
ds "$EMPTY" clear --all --dry-run
check "clear --all --dry-run lists the engine's objects with counts" \
    '[ $rc -eq 0 ] && [[ $out == *"dry run: nothing will be changed"* && $out == *"everything on this engine"* && $out == *"$RUN-b-app-1"* && $out == *"$IMAGE"* && $out == *"total: "*" container"*" image"* ]]'
check "... and leaves out the predefined networks" \
    '! grep -qE "^  (bridge|host|none)( |$)" <<<"$out"'
check "... and changes nothing" '[ "$before" = "$(listing)" ]'

# ---- usage
ds "$A" clear --bogus
check "an unknown option exits 2" '[ $rc -eq 2 ]'

# ---- B, without --no-snapshot: no database, so no snapshot is attempted
ds "$B" clear --yes
check "clear --yes of B (no database service) needs no snapshot and clears it" \
    '[ $rc -eq 0 ] && [[ $out != *"snapshot"* ]] && [ -z "$(ids_of containers $RUN-b)$(ids_of volumes $RUN-b)$(image_id $RUN-b-app)" ]'

check "no run reported a memory error, a leak or undefined behaviour" \
    '! grep -qE "Sanitizer|runtime error" "$TMP/outputs"'

tap_done
