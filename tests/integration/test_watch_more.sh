#!/usr/bin/env bash
# More of `devstack watch` on the real engine: how a sync reaches the
# container (straight into its root by default, no archive call and no
# exec; through the archive API with DEVSTACK_WATCH_ARCHIVE=1, streamed, a
# large file included; both keep the host's owner and mode; saves that
# alternate between two services), the build before watching (services
# with develop: and build: are built even when their image is there, others
# are not, nothing with --no-up; compared with `docker compose watch`), and
# `up --watch` with a rebuild rule (new image, new container with the new
# file, its output in up's stream, syncs going on). Projects
# twatchfast<pid>*; the EXIT trap removes them.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=twatchfast$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_watch_more.XXXXXX")
LIMIT=180
WPID=

cleanup() {
    [ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

# dx ARGS...: devstack in $P; sets rc, out, err
dx() {
    out=$(cd "$P" && timeout $LIMIT "$DEVSTACK" "$@" 2>"$TMP/stderr" </dev/null)
    rc=$?
    err=$(<"$TMP/stderr")
}
# until_true SECONDS CMD...: poll every 50 ms until CMD succeeds; 1 when it never does
until_true() {
    local end=$(($(date +%s) + $1))
    shift
    while [ "$(date +%s)" -le "$end" ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}
content_is() { [ "$(docker exec "$1" cat "$2" 2>/dev/null)" = "$3" ]; }
gone_in() { ! docker exec "$1" test -e "$2"; }
log_has() { grep -q -- "$2" "$1"; }
cid() { docker inspect -f '{{.Id}}' "$1" 2>/dev/null; }
image_of() { docker inspect -f '{{.Image}}' "$1" 2>/dev/null; }
# start_bg OUTFILE CMD...: run CMD in the background in $P; WPID
start_bg() {
    local outfile=$1
    shift
    (cd "$P" && exec "$@" >"$outfile" 2>&1 </dev/null) &
    WPID=$!
}
# stop_bg: SIGINT, then the exit code in rc
stop_bg() {
    kill -INT "$WPID"
    local i
    for i in $(seq 150); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
    wait "$WPID"
    rc=$?
    WPID=
}
# engine_actions SINCE CONTAINER: the actions of its events since SINCE (unix seconds), one a line
engine_actions() {
    docker events --since "$1" --until "$(date +%s)" --filter "container=$2" --format '{{.Action}}'
}

# ---- the project --------------------------------------------------------------------
P=$TMP/$RUN
mkdir -p "$P/src" "$P/other" "$P/side"
cat >"$P/Dockerfile" <<EOF2
FROM $IMAGE
COPY version.txt /version.txt
CMD ["sh", "-c", "echo started \$(cat /version.txt); exec sleep 3600"]
EOF2
printf 'FROM %s\nCOPY o.txt /o.txt\nCMD ["sleep", "3600"]\n' "$IMAGE" >"$P/other/Dockerfile"
echo v1 >"$P/version.txt"
echo o1 >"$P/other/o.txt"
cat >"$P/compose.yaml" <<'YAML'
services:
  app:
    build: .
    init: true
    develop:
      watch:
        - path: ./version.txt
          action: rebuild
        - path: ./src
          action: sync
          target: /app
  other:
    build: ./other
    init: true
  side:
    image: devstack-test/busybox:latest
    init: true
    command: [sleep, "3600"]
    develop:
      watch:
        - path: ./side
          action: sync
          target: /side
YAML
APP=$RUN-app-1
OTHER=$RUN-other-1
SIDE=$RUN-side-1

dx up -d --progress quiet
check "the project is up" '[ $rc -eq 0 ] && content_is $APP /version.txt v1'

# the next `watch` is to build these; the ones with --no-up must not
echo v2 >"$P/version.txt"
echo o2 >"$P/other/o.txt"

# ---- how a sync reaches the container ----------------------------------------------------
start_bg "$TMP/direct.out" "$DEVSTACK" watch --no-up
until_true 60 log_has "$TMP/direct.out" "Watch enabled"
since=$(date +%s)
echo direct >"$P/src/direct.txt"
chown 1234:5678 "$P/src/direct.txt" && chmod 640 "$P/src/direct.txt"
check "a sync puts the file in the container" 'until_true 10 content_is $APP /app/direct.txt direct'
check "with the host's owner and mode, as the archive API's copyUIDGID" \
    '[ "$(docker exec $APP stat -c "%u:%g %a" /app/direct.txt)" = "1234:5678 640" ]'
mkdir -p "$P/src/d/e" && echo deep >"$P/src/d/e/f.txt"
check "a new directory's files too" 'until_true 10 content_is $APP /app/d/e/f.txt deep'
alternate() {
    local i
    for i in 1 2 3; do
        echo "a$i" >"$P/src/alt.txt"
        until_true 10 content_is $APP /app/alt.txt "a$i" || return 1
        echo "s$i" >"$P/side/alt.txt"
        until_true 10 content_is $SIDE /side/alt.txt "s$i" || return 1
    done
}
check "saves that alternate between two services each reach theirs" alternate
rm -r "$P/src/d" "$P/src/direct.txt"
check "what is deleted on the host is deleted in the container" \
    'until_true 10 gone_in $APP /app/d && until_true 10 gone_in $APP /app/direct.txt'
sleep 1
actions=$(engine_actions "$since" "$APP")
out=$actions
check "straight into its root: no archive call and no exec in the engine's events" \
    '! grep -q "extract-to-dir\|exec_create: rm" <<<"$actions"'
stop_bg
check "watch --no-up built nothing and recreated nothing" 'content_is $APP /version.txt v1'

start_bg "$TMP/archive.out" env DEVSTACK_WATCH_ARCHIVE=1 "$DEVSTACK" watch --no-up
until_true 60 log_has "$TMP/archive.out" "Watch enabled"
since=$(date +%s)
echo archived >"$P/src/archived.txt"
chown 1234:5678 "$P/src/archived.txt" && chmod 640 "$P/src/archived.txt"
check "DEVSTACK_WATCH_ARCHIVE=1: a sync puts the file in the container" \
    'until_true 20 content_is $APP /app/archived.txt archived'
if on_podman; then
    check "with the same mode" '[ "$(docker exec $APP stat -c "%a" /app/archived.txt)" = 640 ]'
    differs archive-owner "with the same owner"
else
    check "with the same owner and mode" \
        '[ "$(docker exec $APP stat -c "%u:%g %a" /app/archived.txt)" = "1234:5678 640" ]'
fi
head -c $((24 << 20)) /dev/urandom >"$P/src/big.bin"
want=$(md5sum <"$P/src/big.bin" | cut -d' ' -f1)
big_there() { [ "$(docker exec $APP md5sum /app/big.bin | cut -d' ' -f1)" = "$want" ]; }
check "a 24 MiB file arrives whole through the streamed archive" 'until_true 60 big_there'
rm "$P/src/archived.txt" "$P/src/big.bin"
check "and deletions through exec" 'until_true 20 gone_in $APP /app/archived.txt'
sleep 1
actions=$(engine_actions "$since" "$APP")
out=$actions
if on_podman; then
    differs archive-events "through the archive API: its events say so (extract-to-dir)"
else
    check "through the archive API: its events say so" \
        'grep -q "extract-to-dir" <<<"$actions" && grep -q "exec_create: rm -rf" <<<"$actions"'
fi
stop_bg
check "nothing was reported as an error by either" \
    '! grep -qi "error" "$TMP/direct.out" "$TMP/archive.out"'

# ---- the build before watching ------------------------------------------------------------
old_app_image=$(image_of $APP)
old_other_image=$(image_of $OTHER)
start_bg "$TMP/watch.out" "$DEVSTACK" watch
until_true $LIMIT log_has "$TMP/watch.out" "Watch enabled"
out=$(<"$TMP/watch.out")
check "watch builds the services with develop: and build: first, though their image is there" \
    'content_is $APP /version.txt v2 && [ "$(image_of $APP)" != "$old_app_image" ]'
check "a service without develop: is not rebuilt" \
    'content_is $OTHER /o.txt o1 && [ "$(image_of $OTHER)" = "$old_other_image" ]'
stop_bg
check "Ctrl-C ends it with 130" '[ $rc -eq 130 ]'

# Compose on the same project, with the next version
echo v3 >"$P/version.txt"
echo o3 >"$P/other/o.txt"
start_bg "$TMP/compose.out" docker compose -p "$RUN" watch
# (on Podman Compose's buildx finds no BuildKit and Compose ends)
compose_watching() { log_has "$TMP/compose.out" "Watch enabled" || ! kill -0 "$WPID" 2>/dev/null; }
until_true $LIMIT compose_watching
compose_app=$(docker exec $APP cat /version.txt 2>&1)
compose_other=$(docker exec $OTHER cat /o.txt 2>&1)
stop_bg
out="compose: app $compose_app, other $compose_other"
if on_podman; then
    differs compose-watch-build "docker compose watch does the same: app built (v3), other not (o1)"
else
    check "docker compose watch does the same: app built (v3), other not (o1)" \
        '[ "$compose_app" = v3 ] && [ "$compose_other" = o1 ]'
fi

# ---- up --watch with a rebuild rule ----------------------------------------------------------
start_bg "$TMP/up.out" "$DEVSTACK" up --watch
until_true $LIMIT log_has "$TMP/up.out" "Watch enabled"
old_id=$(cid $APP)
old_image=$(image_of $APP)
echo v4 >"$P/version.txt"
rebuilt() { [ "$(image_of $APP)" != "$old_image" ] && [ "$(cid $APP)" != "$old_id" ] && content_is $APP /version.txt v4; }
check "an edit under a rebuild rule builds a new image and runs a new container with the new file" \
    'until_true 120 rebuilt'
out=$(<"$TMP/up.out")
check "up said it rebuilt, as Compose says it" \
    'log_has "$TMP/up.out" "Rebuilding service \"app\" after changes were detected..."'
check "the new container's output comes through up's log stream" \
    'until_true 20 log_has "$TMP/up.out" "started v4"'
echo after >"$P/src/after.txt"
check "syncs go to the new container" 'until_true 10 content_is $APP /app/after.txt after'
check "up --watch is still running" 'kill -0 $WPID'
stop_bg
check "Ctrl-C ends up --watch with 130" '[ $rc -eq 130 ]'

tap_done
