#!/usr/bin/env bash
# Compose's flags of the other commands, against the real engine with the
# registry-free busybox image: start --wait, restart --no-deps (and restart
# taking along what depends on the service with restart: true), ps --status,
# ps --filter status=, ps --orphans=false, logs --index, pull --include-deps
# and --ignore-buildable, ls --filter name=; where Compose 2.26 has the flag,
# its answer on the same project is the reference. Projects are named
# tflagsc<pid>-<x>; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
docker compose version >/dev/null 2>&1 || tap_bail "docker compose (v2) is installed, to compare with"
RUN=tflagsc$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_cmd_flags.XXXXXX")
LIMIT=120

cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

# dx ARGS...: devstack in $P; sets rc, out (stdout) and err (stderr)
dx() {
    out=$(cd "$P" && timeout $LIMIT "$DEVSTACK" -p "$PROJECT" "$@" </dev/null 2>"$TMP/stderr")
    rc=$?
    err=$(<"$TMP/stderr")
}
# dc ARGS...: docker compose on the same project; sets crc and cout (stdout)
dc() {
    # with -p alone Compose does not read the file (and ps --orphans=false then shows orphans)
    cout=$(cd "$P" && timeout $LIMIT docker compose -p "$PROJECT" -f compose.yaml "$@" </dev/null 2>/dev/null)
    crc=$?
    cout=${cout//$'\e[2K'/} # the line clearing Compose writes before a log line
}
# inspect SERVICE NUMBER FIELD: a field of the container's inspect (python expression on c)
inspect() {
    api "/containers/json?all=1" | python3 -c "import json,sys,urllib.request
for c in json.load(sys.stdin):
    l = c['Labels']
    if l.get('com.docker.compose.project') == '$PROJECT' and l.get('com.docker.compose.service') == '$1' \
            and l.get('com.docker.compose.container-number') == '$2':
        print(c['Id'])" | while read -r id; do
        api "/containers/$id/json" | python3 -c "import json,sys; c=json.load(sys.stdin); print($3)"
    done
}
started() { inspect follower 1 "c['State']['StartedAt']"; }
sorted_lines() { printf '%s\n' "$1" | sed '/^$/d' | sort | tr '\n' ' '; }

P=$TMP/main
PROJECT=$RUN-main
mkdir -p "$P"
cat >"$P/compose.yaml" <<YAML
services:
  web:
    image: $IMAGE
    init: true
    command: [sh, -c, 'rm -f /tmp/ready; sleep 3; touch /tmp/ready; sleep 3600']
    healthcheck:
      test: [CMD, test, -f, /tmp/ready]
      interval: 1s
      retries: 30
  job:
    image: $IMAGE
    command: [sh, -c, 'echo job-done; exit 4']
  base:
    image: $IMAGE
    init: true
    command: [sleep, '3600']
  follower:
    image: $IMAGE
    init: true
    command: [sleep, '3600']
    depends_on:
      base: {condition: service_started, restart: true}
  multi:
    image: $IMAGE
    init: true
    scale: 2
    command: [sh, -c, 'echo "i am \$\$(hostname)"; sleep 3600']
YAML

dx up -d --progress quiet
check "the project comes up" '[ $rc -eq 0 ]'
for _ in $(seq 100); do [ "$(inspect job 1 "c['State']['Status']")" = exited ] && break; sleep 0.1; done

# ---- start --wait -------------------------------------------------------------------------
dx stop web --progress quiet
dx start --wait --wait-timeout 60 web --progress quiet
health=$(inspect web 1 "c['State']['Health']['Status']")
check "start --wait returns once the healthcheck passes (healthy, not starting)" \
    '[ $rc -eq 0 ] && [ "$health" = healthy ]'
dx stop web --progress quiet
dx start --wait --wait-timeout 1 web --progress quiet
check "start --wait --wait-timeout 1: gives up, non-zero, saying so" \
    '[ $rc -ne 0 ] && [[ $err == *"within 1 s"* ]]'

# ---- restart, with and without --no-deps -------------------------------------------------------
before=$(started)
dx restart --no-deps base --progress quiet
check "restart --no-deps base: follower (restart: true on base) keeps running as it was" \
    '[ $rc -eq 0 ] && [ "$(started)" = "$before" ]'
dx restart base --progress quiet
check "restart base: follower, which depends on it with restart: true, restarts too, as Compose" \
    '[ $rc -eq 0 ] && [ "$(started)" != "$before" ]'

# ---- ps --status, --filter, --orphans --------------------------------------------------------------
dx ps --status exited --services
dc ps --status exited --services
check "ps --status exited: only the exited service, as docker compose ($cout)" \
    '[ $rc -eq 0 ] && [ "$out" = job ] && [ "$cout" = job ]'
dx ps --filter status=running --services
dc ps --filter status=running --services
check "ps --filter status=running: the running ones, not job, as docker compose" \
    '[ $rc -eq 0 ] && [ "$(sorted_lines "$out")" = "$(sorted_lines "$cout")" ] &&
     [[ " $(sorted_lines "$out")" == *" web "* ]] && [[ $out != *job* ]]'
dx ps --status running --status exited -q
check "ps --status repeated: either state" '[ $rc -eq 0 ] && [ "$(printf "%s\n" "$out" | wc -l)" -eq 6 ]'
dx ps --filter foo=bar
check "ps --filter foo=bar: Compose's 'unknown filter', a usage error" \
    '[ $rc -eq 2 ] && [[ $err == *"unknown filter foo"* ]]'
dx ps --filter status
check "ps --filter without =: Compose's message" \
    '[ $rc -eq 2 ] && [[ $err == *"arguments to --filter should be in form KEY=VAL"* ]]'
dx ps --status sleeping
check "ps --status with a state the engine has not: a usage error listing them" \
    '[ $rc -eq 2 ] && [[ $err == *"sleeping"*"exited"* ]]'

# follower leaves the file: its container is an orphan
sed -i '/^  follower:/,/restart: true}/d' "$P/compose.yaml"
dx ps --services
dc ps --services
check "ps: an orphan's service is listed by default, as docker compose" \
    '[ $rc -eq 0 ] && [[ $out == *follower* ]] && [[ $cout == *follower* ]]'
dx ps --orphans=false --services
dc ps --orphans=false --services
check "ps --orphans=false: not the orphan, the rest as docker compose" \
    '[ $rc -eq 0 ] && [[ $out != *follower* ]] && [ "$(sorted_lines "$out")" = "$(sorted_lines "$cout")" ]'

# ---- logs --index ------------------------------------------------------------------------------
second=$(inspect multi 2 "c['Config']['Hostname']")
dx logs --index 2 --no-log-prefix multi
dc logs --index 2 --no-log-prefix multi
check "logs --index 2 multi: only container #2's line, as docker compose" \
    '[ $rc -eq 0 ] && [ -n "$second" ] && [ "$out" = "i am $second" ] && [ "$cout" = "$out" ]'
dx logs --index 2
check "logs --index without one service: Compose's usage error" \
    '[ $rc -eq 2 ] && [[ $err == *"--index requires one service to be selected"* ]]'
dx logs --index 3 multi
check "logs --index of a container the service has not: an error naming it" \
    '[ $rc -ne 0 ] && [[ $err == *"multi"*"#3"* ]]'

# ---- ls --filter --------------------------------------------------------------------------------------
dx ls --filter "name=^$RUN-main\$" -q
dc ls --filter "name=^$RUN-main\$" -q
check "ls --filter name=: that project alone, as docker compose" \
    '[ $rc -eq 0 ] && [ "$out" = "$RUN-main" ] && [ "$cout" = "$out" ]'
dx ls --filter "name=$RUN-nothing-like-it" -q
check "ls --filter matching nothing: no project" '[ $rc -eq 0 ] && [ -z "$out" ]'
dx ls --filter foo=bar
check "ls --filter with another key: a usage error as Compose's" \
    '[ $rc -eq 2 ] && [[ $err == *"invalid filter '"'"'foo'"'"'"* ]]'
dx down -t 1 --progress quiet

# ---- pull --include-deps, --ignore-buildable ----------------------------------------------------
P=$TMP/pull
PROJECT=$RUN-pull
mkdir -p "$P"
printf 'FROM %s\n' "$IMAGE" >"$P/Dockerfile"
cat >"$P/compose.yaml" <<YAML
services:
  top:
    image: $IMAGE
    pull_policy: missing
    depends_on: [bottom]
  bottom:
    image: $IMAGE
    pull_policy: missing
  built:
    image: $IMAGE
    build: .
YAML
dx pull top --progress plain
check "pull top: top alone (present, skipped), not its dependency, as Compose" \
    '[ $rc -eq 0 ] && [[ $err == *"top"*"Skipped"* ]] && [[ $err != *bottom* ]]'
dx pull --include-deps top --progress plain
check "pull --include-deps top: its dependency too" \
    '[ $rc -eq 0 ] && [[ $err == *"top"*"Skipped"* ]] && [[ $err == *"bottom"*"Skipped"* ]]'
dx pull --ignore-buildable built --progress plain
check "pull --ignore-buildable built: skipped as buildable, no pull tried" \
    '[ $rc -eq 0 ] && [[ $err == *"built"*"Skipped"*"can be built"* ]] && [[ $err != *Pulling* ]] && [[ $err != *warning* ]]'
dx pull built --progress plain --parallel 1
check "pull built without --ignore-buildable: the pull is tried" \
    '[[ $err == *"$IMAGE"* ]] && [[ $err != *"can be built"* ]]'

tap_done
