#!/usr/bin/env bash
# `devstack watch` and `up --watch` on the real engine with real file edits,
# on a small built project (the registry-free busybox image): sync of a new,
# a changed and a deleted file, the rule's ignore: and the context's
# .dockerignore, sync+restart (StartedAt changes), sync+exec (the command
# runs after the sync), rebuild (a new image, a new container), initial_sync,
# errors, and Ctrl-C. Where Compose 2.26 can do the same (sync, sync+restart,
# SIGINT's exit code, the bundled file's develop sections) `docker compose`
# does it too and the results are compared. Projects twatch<pid>*; the EXIT
# trap removes them.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=twatch$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_watch.XXXXXX")
LIMIT=120
WPID=

cleanup() {
    [ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

# dx DIR ARGS...: devstack in DIR; sets rc, out, err
dx() {
    local dir=$1
    shift
    out=$(cd "$dir" && timeout $LIMIT "$DEVSTACK" "$@" 2>"$TMP/stderr" </dev/null)
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
in_c() { docker exec "$CTR" "$@"; }
has() { docker exec "$CTR" test -e "$1"; }
content_is() { [ "$(docker exec "$CTR" cat "$1" 2>/dev/null)" = "$2" ]; }
started_at() { docker inspect -f '{{.State.StartedAt}}' "$CTR"; }
started_changed() { [ "$(started_at)" != "$1" ]; }
log_has() { grep -q -- "$2" "$1"; }
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
    for i in $(seq 100); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
    wait "$WPID"
    rc=$?
    WPID=
}

# ---- the project --------------------------------------------------------------------
P=$TMP/$RUN
mkdir -p "$P/src/sub" "$P/conf" "$P/hook" "$P/init/deep"
cat >"$P/Dockerfile" <<EOF2
FROM $IMAGE
COPY version.txt /version.txt
CMD ["sleep", "3600"]
EOF2
echo v1 >"$P/version.txt"
printf 'src/secret*\n' >"$P/.dockerignore"
echo keep >"$P/src/sub/old.txt"
echo conf1 >"$P/conf/app.conf"
echo seeded >"$P/init/deep/seed.txt"
echo hook0 >"$P/hook/h.txt"
cat >"$P/compose.yaml" <<'YAML'
services:
  app:
    build: .
    init: true
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: ["*.log"]
        - path: ./conf
          action: sync+restart
          target: /etc/app
        - path: ./hook
          action: sync+exec
          target: /hook
          exec:
            command: [sh, -c, "cat /hook/h.txt > /tmp/exec-ran"]
        - path: ./init
          action: sync
          target: /init
          initial_sync: true
        - path: ./version.txt
          action: rebuild
  plain:
    image: devstack-test/busybox:latest
    init: true
    command: [sleep, "3600"]
YAML
CTR=$RUN-app-1

# ---- errors, before anything runs ----------------------------------------------------
dx "$P" watch --no-up plain
check "a service without develop.watch is refused, by name" \
    '[ $rc -ne 0 ] && [[ $err == *"plain"* ]] && [[ $err == *"develop"* ]]'
mkdir -p "$TMP/missing"
printf 'services:\n  a:\n    image: %s\n    develop:\n      watch:\n        - {path: ./nope, action: sync, target: /x}\n' \
    "$TEST_IMAGE" >"$TMP/missing/compose.yaml"
dx "$TMP/missing" -p "${RUN}m" watch --no-up
check "a rule whose path does not exist is refused, naming the path" \
    '[ $rc -ne 0 ] && [[ $err == *"/nope"* ]]'
printf 'services:\n  a:\n    image: %s\n' "$TEST_IMAGE" >"$TMP/missing/compose.yaml"
dx "$TMP/missing" -p "${RUN}m" watch --no-up
check "a project without any rule is refused as Compose refuses it" \
    '[ $rc -ne 0 ] && [[ $err == *"none of the selected services is configured for watch"* ]]'

# ---- watch (with its up) ---------------------------------------------------------------
start_bg "$TMP/watch.out" "$DEVSTACK" watch
until_true 90 log_has "$TMP/watch.out" "Watch enabled"
check "watch brings the project up and says 'Watch enabled'" 'log_has "$TMP/watch.out" "Watch enabled"'
check "initial_sync copied the rule's tree before watching" 'content_is /init/deep/seed.txt seeded'
check "without initial_sync nothing is copied at start" '! has /app/sub/old.txt'

echo new >"$P/src/new.txt"
check "a new file is synced to the target" 'until_true 10 content_is /app/new.txt new'
echo changed >"$P/src/new.txt"
check "a changed file is synced" 'until_true 10 content_is /app/new.txt changed'
printf 'renamed\n' >"$P/src/.tmp-save" && mv "$P/src/.tmp-save" "$P/src/saved.txt"
check "a file saved by write and rename is synced" 'until_true 10 content_is /app/saved.txt renamed'
mkdir -p "$P/src/a/b" && echo deep >"$P/src/a/b/c.txt"
check "a new directory is watched and its files synced" 'until_true 10 content_is /app/a/b/c.txt deep'
echo later >"$P/src/a/b/d.txt"
check "a file in that new directory is synced later too" 'until_true 10 content_is /app/a/b/d.txt later'
rm "$P/src/new.txt"
check "a deleted file is deleted in the container" 'until_true 10 bash -c "! docker exec $CTR test -e /app/new.txt"'
rm -r "$P/src/a"
check "a deleted directory is deleted in the container" 'until_true 10 bash -c "! docker exec $CTR test -e /app/a"'

echo noise >"$P/src/debug.log"
echo secret >"$P/src/secret.txt"
echo x >"$P/src/.edit.txt.swp"
echo sentinel >"$P/src/sentinel.txt"
until_true 10 content_is /app/sentinel.txt sentinel
check "a file the rule's ignore: matches is not synced" '! has /app/debug.log'
check "a file the context's .dockerignore excludes is not synced" '! has /app/secret.txt'
check "an editor's swap file is not synced" '! has /app/.edit.txt.swp'

dx "$P" restart --no-lock-wait plain
check "while watching, the project's lock is free for a restart elsewhere" '[ $rc -eq 0 ]'

before=$(started_at)
echo conf2 >"$P/conf/app.conf"
check "sync+restart restarts the container (StartedAt changes)" 'until_true 20 started_changed "$before"'
check "sync+restart synced the file first" 'until_true 10 content_is /etc/app/app.conf conf2'

echo hook1 >"$P/hook/h.txt"
check "sync+exec runs the command after the sync" 'until_true 10 content_is /tmp/exec-ran hook1'

old_image=$(docker inspect -f '{{.Image}}' "$CTR")
old_id=$(docker inspect -f '{{.Id}}' "$CTR")
echo v2 >"$P/version.txt"
new_image() { [ "$(docker inspect -f '{{.Image}}' "$CTR" 2>/dev/null)" != "$old_image" ] && content_is /version.txt v2; }
check "rebuild builds a new image and recreates the container from it" 'until_true 90 new_image'
check "rebuild made a new container" '[ "$(docker inspect -f "{{.Id}}" "$CTR")" != "$old_id" ]'
check "watch said what it did as Compose says it" \
    'log_has "$TMP/watch.out" "Syncing \"app\" after changes were detected" && log_has "$TMP/watch.out" "Rebuilding service \"app\" after changes were detected..."'
echo after >"$P/src/after.txt"
check "watching goes on after a rebuild" 'until_true 10 content_is /app/after.txt after'
old_id=$(docker inspect -f '{{.Id}}' "$CTR")
dx "$P" up -d --force-recreate --no-deps --progress quiet app
echo recreated >"$P/src/recreated.txt"
check "a container recreated behind watch's back gets the next sync" \
    '[ "$(docker inspect -f "{{.Id}}" "$CTR")" != "$old_id" ] && until_true 10 content_is /app/recreated.txt recreated'

stop_bg
check "Ctrl-C stops watch with exit 130, as Compose" '[ $rc -eq 130 ]'
out=$(<"$TMP/watch.out")
check "no error was reported while watching" '! grep -qi "error" "$TMP/watch.out"'

# ---- Compose on the same project: the same tree in the container --------------------
tree() { docker exec "$CTR" find /app -type f -exec sh -c 'printf "%s " "$1"; cat "$1"' _ {} \; | sort; }
edits() {
    echo one >"$P/src/one.txt"
    mkdir -p "$P/src/d" && echo two >"$P/src/d/two.txt"
    sleep 1
    echo one2 >"$P/src/one.txt"
    rm -f "$P/src/saved.txt"
    echo x >"$P/src/x.log"
    sleep 1
    echo fin >"$P/src/fin.txt"
}
reset_app() {
    docker exec "$CTR" rm -rf /app
    rm -rf "$P/src"/*
    mkdir -p "$P/src" && echo base >"$P/src/saved.txt"
    docker exec "$CTR" mkdir -p /app
    printf 'base\n' | docker exec -i "$CTR" sh -c 'cat > /app/saved.txt'
}
# Compose 2.26 knows neither initial_sync nor sync+exec's place in this file: its own copy
sed -e '/initial_sync/d' "$P/compose.yaml" >"$TMP/compose-v2.yaml"
reset_app
start_bg "$TMP/compose.out" docker compose -p "$RUN" -f "$TMP/compose-v2.yaml" --project-directory "$P" watch --no-up
until_true 30 log_has "$TMP/compose.out" "Watch enabled"
edits
until_true 15 content_is /app/fin.txt fin
sleep 1
compose_tree=$(tree)
stop_bg
compose_rc=$rc
reset_app
start_bg "$TMP/watch2.out" "$DEVSTACK" watch --no-up
until_true 30 log_has "$TMP/watch2.out" "Watch enabled"
edits
until_true 15 content_is /app/fin.txt fin
sleep 1
devstack_tree=$(tree)
stop_bg
out="compose: $compose_tree"$'\n'"devstack: $devstack_tree"
if on_podman; then
    differs compose-watch-sync "the same edits leave the same files in the container as docker compose watch"
else
    check "the same edits leave the same files in the container as docker compose watch" \
        '[ -n "$devstack_tree" ] && [ "$compose_tree" = "$devstack_tree" ]'
fi
check "devstack watch exits on SIGINT with Compose's code ($compose_rc)" '[ $rc -eq "$compose_rc" ]'

# ---- up --watch ---------------------------------------------------------------------------
start_bg "$TMP/up.out" "$DEVSTACK" up --watch
until_true 60 log_has "$TMP/up.out" "Watch enabled"
check "up --watch attaches and watches" 'log_has "$TMP/up.out" "Attaching to" && log_has "$TMP/up.out" "Watch enabled"'
echo up >"$P/src/up.txt"
check "up --watch syncs" 'until_true 10 content_is /app/up.txt up'
stop_bg
check "Ctrl-C ends up --watch with 130 and stops the containers, as Compose" \
    '[ $rc -eq 130 ] && [ "$(docker inspect -f "{{.State.Running}}" "$CTR")" = false ]'
dx "$P" up -d --watch
check "up --watch with --detach is a usage error" '[ $rc -eq 2 ]'

start_bg "$TMP/stopped.out" "$DEVSTACK" watch --no-up
until_true 30 log_has "$TMP/stopped.out" "Watch enabled"
check "watch --no-up with nothing running still watches, saying the initial sync had nowhere to go" \
    'log_has "$TMP/stopped.out" "Watch enabled" && log_has "$TMP/stopped.out" "has no running container"'
stop_bg

# ---- the bundled stack's rules, as Compose reads them ----------------------------------------
bundled() {
    (cd "$ROOT/compose" && "$@" config --format json) |
        python3 -c 'import json,sys; d=json.load(sys.stdin)["services"]; print(json.dumps({s: d[s].get("develop") for s in ("backend","nginx")}, sort_keys=True))'
}
ds_dev=$(bundled "$DEVSTACK")
dc_dev=$(bundled docker compose)
out="devstack: $ds_dev"$'\n'"compose: $dc_dev"
want_backend="\"action\": \"rebuild\", \"exec\": {\"command\": null}, \"path\": \"$ROOT/devcontainer/requirements.txt\""
want_nginx="\"action\": \"restart\", \"exec\": {\"command\": null}, \"path\": \"$ROOT/nginx/nginx.conf\""
check "the bundled file's develop sections: rebuild on requirements.txt, restart on nginx.conf, as Compose reads them" \
    '[ "$ds_dev" = "$dc_dev" ] && [[ $ds_dev == *"$want_backend"* ]] && [[ $ds_dev == *"$want_nginx"* ]]'

tap_done
