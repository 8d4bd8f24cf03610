#!/usr/bin/env bash
# The flags of a foreground `up` that decide how it ends and what it shows,
# against the real engine with the registry-free busybox image:
# --abort-on-container-exit, --abort-on-container-failure, --exit-code-from
# (exit codes compared with `docker compose` on the same files, where Compose
# 2.26 has the flag), --attach/--no-attach, --no-log-prefix, --timestamps,
# and the ones that shape the containers: --scale, -V, --always-recreate-deps;
# the combinations Compose refuses are usage errors. Projects are named
# tflags<pid>-<x>; the EXIT trap removes them and the volumes -V left.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
docker compose version >/dev/null 2>&1 || tap_bail "docker compose (v2) is installed, to compare with"
RUN=tflags$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_up_flags.XXXXXX")
LIMIT=120 # seconds any one command may take before it counts as hung
LEFT=()   # anonymous volumes -V leaves behind

cleanup() {
    remove_projects "$RUN"
    for v in "${LEFT[@]}"; do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/volumes/$v" >/dev/null 2>&1
    done
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
# dc DIR ARGS...: docker compose in DIR; sets crc and cout (both streams)
dc() {
    local dir=$1
    shift
    cout=$(cd "$dir" && timeout $LIMIT docker compose "$@" </dev/null 2>&1)
    crc=$?
}
# project X YAML: a project directory $TMP/X with that compose.yaml; prints its path
project() {
    mkdir -p "$TMP/$1"
    printf '%s\n' "$2" >"$TMP/$1/compose.yaml"
    echo "$TMP/$1"
}
# state PROJECT SERVICE: the engine's State of its first container ("exited", ...)
state() {
    api "/containers/json?all=1" | python3 -c "import json,sys
for c in json.load(sys.stdin):
    l = c['Labels']
    if l.get('com.docker.compose.project') == '$1' and l.get('com.docker.compose.service') == '$2':
        print(c['State']); break"
}
# ids PROJECT SERVICE: its containers' ids, sorted
ids() {
    api "/containers/json?all=1" | python3 -c "import json,sys
print(' '.join(sorted(c['Id'] for c in json.load(sys.stdin)
    if c['Labels'].get('com.docker.compose.project') == '$1'
    and c['Labels'].get('com.docker.compose.service') == '$2')))"
}
count() { local x; x=$(ids "$1" "$2"); set -- $x; echo $#; }

# ---- --abort-on-container-exit, --exit-code-from: as Compose --------------------------
ABORT=$(project abort "services:
  quick:
    image: $IMAGE
    command: [sh, -c, 'echo quick-says; sleep 1; exit 3']
  slow:
    image: $IMAGE
    init: true
    command: [sh, -c, 'echo slow-says; sleep 60']")

dx "$ABORT" -p "$RUN-a" up --abort-on-container-exit --progress quiet
dc "$ABORT" -p "$RUN-ac" up --abort-on-container-exit
check "--abort-on-container-exit: the first exit's code (3), as docker compose ($crc)" \
    '[ $rc -eq 3 ] && [ $crc -eq 3 ]'
check "--abort-on-container-exit: the other container is stopped, and it says why" \
    '[ "$(state "$RUN-a" slow)" = exited ] && [[ $err == *"Aborting on container exit..."* ]] &&
     [[ $out == *"quick exited with code 3"* ]]'
dx "$ABORT" -p "$RUN-a" down -t 1
dc "$ABORT" -p "$RUN-ac" down -t 1

dx "$ABORT" -p "$RUN-a" up --exit-code-from slow --progress quiet
dc "$ABORT" -p "$RUN-ac" up --exit-code-from slow
# Compose reads the code from the container list, which newer engines (26.1) update a
# moment after the stop: there it says 0. devstack asks the engine's wait, which has the code.
echo "# docker compose --exit-code-from slow: $crc"
if on_podman; then
    # Podman's init (catatonit) does not end the service on the stop signal: it is killed
    differs init-stop-signal "--exit-code-from slow: slow's code once stopped (143)"
    # (Compose reads the code from the container list, which has it or not yet: 137 or 0)
    check "--exit-code-from slow on Podman: the code of the killed container (137)" \
        '[ $rc -eq 137 ] && [ "$(state "$RUN-a" slow)" = exited ]'
else
    check "--exit-code-from slow: slow's code once stopped (143), as docker compose on Engine 20.10" \
        '[ $rc -eq 143 ] && [ "$(state "$RUN-a" slow)" = exited ] &&
         { [ $crc -eq 143 ] || [ "$(api_minor)" -ge 44 ]; }'
fi
dx "$ABORT" -p "$RUN-a" down -t 1
dc "$ABORT" -p "$RUN-ac" down -t 1

dx "$ABORT" -p "$RUN-a" up --exit-code-from quick --progress quiet
check "--exit-code-from quick: quick's own code" '[ $rc -eq 3 ]'
dx "$ABORT" -p "$RUN-a" down -t 1

# Compose 2.26 has no --abort-on-container-failure (later ones do): devstack follows those
FAIL=$(project fail "services:
  done:
    image: $IMAGE
    command: [sh, -c, 'echo done-says; exit 0']
  fails:
    image: $IMAGE
    command: [sh, -c, 'sleep 2; echo fails-says; exit 5']
  slow:
    image: $IMAGE
    init: true
    command: [sh, -c, 'sleep 60']")
dx "$FAIL" -p "$RUN-f" up --abort-on-container-failure --progress quiet
check "--abort-on-container-failure: an exit 0 goes by, the failure's code (5) ends it" \
    '[ $rc -eq 5 ] && [[ $out == *"done exited with code 0"* ]] &&
     [[ $out == *"fails | fails-says"* ]] && [ "$(state "$RUN-f" slow)" = exited ]'
dx "$FAIL" -p "$RUN-f" down -t 1

# ---- what is shown ----------------------------------------------------------------------
dx "$ABORT" -p "$RUN-a" up --attach quick --abort-on-container-exit --progress quiet
check "--attach quick: only quick's lines, and its exit ends it" \
    '[ $rc -eq 3 ] && [[ $out == *"quick | quick-says"* ]] && [[ $out != *slow-says* ]] &&
     [[ $out == "Attaching to $RUN-a-quick-1"* ]]'
dx "$ABORT" -p "$RUN-a" down -t 1

dx "$ABORT" -p "$RUN-a" up --no-attach slow --abort-on-container-exit --no-log-prefix --progress quiet
check "--no-attach slow --no-log-prefix: quick's line bare, nothing of slow" \
    '[ $rc -eq 3 ] && printf "%s\n" "$out" | grep -qx quick-says && [[ $out != *slow-says* ]]'
dx "$ABORT" -p "$RUN-a" down -t 1

dx "$ABORT" -p "$RUN-a" up --timestamps --abort-on-container-exit --progress quiet
check "--timestamps: each line after the prefix starts with an RFC 3339 time" \
    'printf "%s\n" "$out" | grep -Eq "^quick +\| [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z quick-says$" &&
     printf "%s\n" "$out" | grep -Eq "^slow +\| [0-9]{4}-[0-9-]+T[0-9:.]+Z slow-says$"'
dx "$ABORT" -p "$RUN-a" down -t 1

# ---- combinations Compose refuses ------------------------------------------------------
dx "$ABORT" -p "$RUN-a" up -d --abort-on-container-exit
dc "$ABORT" -p "$RUN-ac" up -d --abort-on-container-exit
check "-d with --abort-on-container-exit: a usage error before anything runs, as Compose refuses it" \
    '[ $rc -eq 2 ] && [ $crc -ne 0 ] && [[ $err == *"--detach cannot be combined with --abort-on-container-exit"* ]] &&
     [ -z "$(ids "$RUN-a" slow)" ]'
dx "$ABORT" -p "$RUN-a" up --abort-on-container-exit --abort-on-container-failure
check "--abort-on-container-exit with --abort-on-container-failure: a usage error" \
    '[ $rc -eq 2 ] && [[ $err == *"cannot be combined"* ]]'
dx "$ABORT" -p "$RUN-a" up --exit-code-from nope
dc "$ABORT" -p "$RUN-ac" up --exit-code-from nope
check "--exit-code-from an unknown service: a usage error naming it, as Compose refuses it" \
    '[ $rc -eq 2 ] && [ $crc -ne 0 ] && [[ $err == *"nope"* ]]'
dx "$ABORT" -p "$RUN-a" up --attach nope
check "--attach an unknown service: Compose's error" \
    '[ $rc -eq 2 ] && [[ $err == *"cannot attach to services not included in up: nope"* ]]'
dx "$ABORT" -p "$RUN-a" up -d --scale quick
check "--scale without =NUM: a usage error naming it" '[ $rc -eq 2 ] && [[ $err == *"SERVICE=NUM"* ]]'

# ---- --scale ------------------------------------------------------------------------------
SCALE=$(project scale "services:
  web:
    image: $IMAGE
    init: true
    command: [sleep, '3600']")
dx "$SCALE" -p "$RUN-s" up -d --progress quiet
first=$(ids "$RUN-s" web)
dx "$SCALE" -p "$RUN-s" up -d --scale web=3 --progress quiet
check "--scale web=3: three containers, the first one kept" \
    '[ $rc -eq 0 ] && [ "$(count "$RUN-s" web)" = 3 ] && [[ " $(ids "$RUN-s" web) " == *" $first "* ]]'
dx "$SCALE" -p "$RUN-s" up -d --progress quiet
check "up without --scale: back to the file's one, still the first container" \
    '[ $rc -eq 0 ] && [ "$(ids "$RUN-s" web)" = "$first" ]'
dc "$SCALE" -p "$RUN-sc" up -d --scale web=3
check "docker compose --scale web=3 gives as many" '[ $crc -eq 0 ] && [ "$(count "$RUN-sc" web)" = 3 ]'
dc "$SCALE" -p "$RUN-sc" down -t 1

# ---- -V --------------------------------------------------------------------------------------
ANON=$(project anon "services:
  box:
    image: $IMAGE
    init: true
    command: [sleep, '3600']
    volumes: [/data]")
anon_volume() {
    api "/containers/$(ids "$RUN-v" box)/json" |
        python3 -c 'import json,sys; print(" ".join(m["Name"] for m in json.load(sys.stdin)["Mounts"] if m["Type"]=="volume"))'
}
dx "$ANON" -p "$RUN-v" up -d --progress quiet
dx "$ANON" -p "$RUN-v" exec -T box sh -c 'echo kept > /data/file'
dx "$ANON" -p "$RUN-v" up -d --force-recreate --progress quiet
dx "$ANON" -p "$RUN-v" exec -T box cat /data/file
check "a recreate without -V carries the anonymous volume's data" '[ $rc -eq 0 ] && [ "$out" = kept ]'
LEFT+=($(anon_volume))
dx "$ANON" -p "$RUN-v" up -d --force-recreate -V --progress quiet
LEFT+=($(anon_volume))
dx "$ANON" -p "$RUN-v" exec -T box sh -c 'cat /data/file 2>/dev/null || echo gone'
check "-V: a fresh anonymous volume, the file written before is gone" '[ "$out" = gone ]'
dx "$ANON" -p "$RUN-v" up -d --no-recreate -V
check "-V with --no-recreate: Compose's usage error" '[ $rc -eq 2 ] && [[ $err == *"incompatible"* ]]'
dx "$ANON" -p "$RUN-v" down -t 1 -v

# ---- --always-recreate-deps ----------------------------------------------------------------
DEPS=$(project deps "services:
  db:
    image: $IMAGE
    init: true
    command: [sleep, '3600']
  app:
    image: $IMAGE
    init: true
    command: [sleep, '3600']
    depends_on: [db]")
dx "$DEPS" -p "$RUN-d" up -d --progress quiet
db=$(ids "$RUN-d" db) app=$(ids "$RUN-d" app)
dx "$DEPS" -p "$RUN-d" up -d app --progress quiet
check "up app: its unchanged dependency stays as it is" '[ $rc -eq 0 ] && [ "$(ids "$RUN-d" db)" = "$db" ]'
dx "$DEPS" -p "$RUN-d" up -d --always-recreate-deps app --progress quiet
check "up --always-recreate-deps app: db is made anew, app (unchanged, named) is not" \
    '[ $rc -eq 0 ] && [ -n "$(ids "$RUN-d" db)" ] && [ "$(ids "$RUN-d" db)" != "$db" ] && [ "$(ids "$RUN-d" app)" = "$app" ]'
dx "$DEPS" -p "$RUN-d" up -d --always-recreate-deps --no-recreate app
check "--always-recreate-deps with --no-recreate: a usage error" \
    '[ $rc -eq 2 ] && [[ $err == *"--always-recreate-deps and --no-recreate are incompatible"* ]]'

tap_done
