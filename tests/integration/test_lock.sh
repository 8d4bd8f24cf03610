#!/usr/bin/env bash
# One command at a time per project: two `up`s (and `up` and `down`, `reset`
# and `up`) on one project, on the real engine with the registry-free busybox
# image. The second waits and says for whom, or with --no-lock-wait fails at
# once; a holder killed with SIGKILL lets go; what only reads never waits;
# reset's own `up` runs under reset's lock. Projects are named
# dsrace<pid>-<x>; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
# shellcheck disable=SC2016,SC2034 # check() evaluates its conditions later
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dsrace$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_lock.XXXXXX")
BG=()

cleanup() {
    local pid
    for pid in "${BG[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    wait 2>/dev/null
    remove_projects "$RUN"
    rm -f "$LOCKS/$RUN"-*.lock
    rm -rf "$TMP"
}
trap cleanup EXIT

# where devstack keeps this user's lock files (src/stack/lock.h)
uid=$(id -u)
if [ "$uid" = 0 ]; then
    LOCKS=/run/devstack
elif [ -d "/run/user/$uid" ] && [ -O "/run/user/$uid" ]; then
    LOCKS=/run/user/$uid/devstack
else
    LOCKS=/tmp/devstack-$uid
fi

count_label() { # kind project: how many containers/networks carry the project label
    local q
    q=$(python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps({"label":["com.docker.compose.project="+sys.argv[1]]})))' "$2")
    case $1 in
    containers) api "/containers/json?all=1&filters=$q" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' ;;
    networks) api "/networks?filters=$q" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' ;;
    esac
}

# held PROJECT [COMMAND]: wait (up to 30 s) until the lock of PROJECT names its holder
# (its file is PROJECT-<hash>.lock; the directory holds every project's ever locked)
held() {
    local f
    for _ in $(seq 300); do
        for f in "$LOCKS/$1"-*.lock; do
            grep -qsx "project=$1" "$f" && { [ -z "${2:-}" ] || grep -qsx "command=$2" "$f"; } &&
                return 0
        done
        sleep 0.1
    done
    return 1
}

# start NAME DIR ARGS...: devstack in the background, output in $TMP/NAME.out, its pid in $TMP/NAME.pid
start() {
    local name=$1 dir=$2
    shift 2
    (cd "$dir" && exec "$DEVSTACK" "$@" </dev/null >"$TMP/$name.out" 2>&1) &
    echo $! >"$TMP/$name.pid"
    BG+=($!)
}
# finish NAME: wait for it; sets rc and out
finish() {
    wait "$(cat "$TMP/$1.pid")"
    rc=$?
    out=$(cat "$TMP/$1.out")
}

project() { # name yaml: a project directory named <run>-<name>
    mkdir -p "$TMP/$RUN-$1"
    printf '%s\n' "$2" >"$TMP/$RUN-$1/compose.yaml"
    echo "$TMP/$RUN-$1"
}

# slow becomes healthy after $SLOW (2) s and web waits for it: an `up` holds the lock that long
YAML="
services:
  slow:
    image: $IMAGE
    init: true
    command: [sh, -c, 'sleep \${SLOW:-2}; touch /tmp/ready; exec sleep 600']
    healthcheck:
      test: [CMD, test, -f, /tmp/ready]
      interval: 300ms
      retries: 60
  web:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    depends_on:
      slow: {condition: service_healthy}
  worker:
    image: $IMAGE
    init: true
    command: [sleep, '600']"
A=$(project a "$YAML")
PA=$RUN-a
# an engine conflict shows as "HTTP 409" or "Conflict" (a bare 409 could be part of a pid)
NO_RACE='[[ $out != *"HTTP 409"* && $out != *onflict* && $out != *ambiguous* && $out != *error* ]]'

# ---- two ups at once -------------------------------------------------------------------
start up1 "$A" up -d --progress plain
held "$PA" "devstack up" || not_ok "the first up holds the lock" "no lock file in $LOCKS names $PA"
start up2 "$A" up -d --progress plain
finish up1
check "the first of two concurrent 'up -d' succeeds" "[ \$rc -eq 0 ] && $NO_RACE"
pid1=$(cat "$TMP/up1.pid")
finish up2
WANT="^waiting for 'devstack up' \\(pid $pid1, since [0-2][0-9]:[0-5][0-9]:[0-5][0-9]\\) to finish with project '$PA'\$"
check "the second succeeds too, after saying whom it waited for" \
    "[ \$rc -eq 0 ] && $NO_RACE"' && grep -qE "$WANT" <<<"$out"'
check "one set of containers and one network came of it" \
    '[ "$(count_label containers "$PA")" = 3 ] && [ "$(count_label networks "$PA")" = 1 ]'
left=$(find "$LOCKS" -maxdepth 1 -name "$PA-*.lock" | wc -l)
check "the lock file goes with the last holder: none is left for the project" '[ "$left" = 0 ]'

ds "$A" down --progress quiet
for i in 1 2 3; do
    start r1 "$A" up -d --progress plain
    start r2 "$A" up -d --progress plain
    finish r1
    o1=$out r1=$rc
    finish r2
    o2=$out r2=$rc
    out="$o1
$o2" rc=$((r1 + r2))
    check "race $i: two 'up -d' started together both succeed, one of them after waiting" \
        "[ \$rc -eq 0 ] && $NO_RACE"' && [ "$(grep -c "^waiting for '"'devstack up'"'" <<<"$out")" = 1 ]'
    check "race $i: one set of containers, one network" \
        '[ "$(count_label containers "$PA")" = 3 ] && [ "$(count_label networks "$PA")" = 1 ]'
    ds "$A" down --progress quiet
done

# ---- --no-lock-wait, readers, other projects, other checkouts ---------------------------
# slow recreated, healthy after 15 s: what follows runs while this up holds the lock
SLOW=15 start up3 "$A" up -d --progress plain
held "$PA" "devstack up" || not_ok "up holds the lock" "no lock file in $LOCKS names $PA"
pid3=$(cat "$TMP/up3.pid")
t0=$(date +%s%N)
ds "$A" up -d --no-lock-wait
ms=$((($(date +%s%N) - t0) / 1000000))
check "up --no-lock-wait while another up runs: exit 1 at once (${ms} ms), naming the holder" \
    '[ $rc -eq 1 ] && [ $ms -lt 5000 ] && [[ $out == *"error: project '"'$PA'"' is busy: '"'devstack up'"' (pid $pid3, since "*") is changing it"* ]] && [[ $out == *"hint: "*"without --no-lock-wait"* ]]'
ds "$A" down --no-lock-wait
check "down --no-lock-wait too" '[ $rc -eq 1 ] && [[ $out == *"is busy: '"'devstack up'"' (pid $pid3"* ]]'
ds "$A" stop --no-lock-wait
check "stop --no-lock-wait too" '[ $rc -eq 1 ] && [[ $out == *"is busy"* ]]'
for changer in pause unpause; do
    ds "$A" $changer --no-lock-wait
    check "$changer --no-lock-wait too" '[ $rc -eq 1 ] && [[ $out == *"is busy"* ]]'
done
ds "$A" kill --no-lock-wait
check "kill takes no --no-lock-wait: it never waits, it is the way to stop what a stuck command started (usage error)" '[ $rc -eq 2 ]'
ds "$A" clear --yes --no-snapshot --no-lock-wait
check "clear --no-lock-wait too, before removing anything" \
    '[ $rc -eq 1 ] && [[ $out == *"is busy"* ]] && [ "$(count_label containers "$PA")" -ge 1 ]'
ds "$A" clear --dry-run
check "clear --dry-run lists at once: it changes nothing, so it does not wait" \
    '[ $rc -eq 0 ] && [[ $out == *"dry run: nothing will be changed"* ]] && [[ $out != *waiting* ]] && kill -0 $pid3 2>/dev/null'
for reader in ps "ps -a" config "logs --tail 1" "db snapshots"; do
    # shellcheck disable=SC2086
    ds "$A" $reader
    check "'$reader' while up runs does not wait for it" \
        '[ $rc -eq 0 ] && [[ $out != *waiting* ]] && kill -0 $pid3 2>/dev/null'
done
B=$(project b "
services:
  one:
    image: $IMAGE
    init: true
    command: [sleep, '600']")
ds "$B" up -d --no-lock-wait --progress quiet
check "another project is not held up by it" '[ $rc -eq 0 ] && [[ $out != *busy* ]]'
mkdir -p "$TMP/clone/$RUN-a"
cp "$A/compose.yaml" "$TMP/clone/$RUN-a/"
ds "$TMP/clone/$RUN-a" up -d --no-lock-wait --take-over
check "a second checkout with the same project name (taking over) shares the lock" \
    '[ $rc -eq 1 ] && [[ $out == *"project '"'$PA'"' is busy: '"'devstack up'"' (pid $pid3"* ]]'
ds "$A" up --help
check "--no-lock-wait is in up's help" '[ $rc -eq 0 ] && [[ $out == *"--no-lock-wait"* ]]'
ds "$A" ps --no-lock-wait
check "ps takes no --no-lock-wait: it never waits (usage error)" '[ $rc -eq 2 ]'
finish up3
check "the up that held the lock was not disturbed" "[ \$rc -eq 0 ] && $NO_RACE"

# ---- up and down -----------------------------------------------------------------------
ds "$A" down --progress quiet
start up4 "$A" up -d --progress plain
held "$PA" "devstack up" || not_ok "up holds the lock" "no lock file in $LOCKS names $PA"
ds "$A" down --progress plain
check "down during up waits for it, then removes everything" \
    '[ $rc -eq 0 ] && [[ $out == *"waiting for '"'devstack up'"'"* ]] && [[ $out != *onflict* ]]'
finish up4
check "... and the up it waited for had finished cleanly" "[ \$rc -eq 0 ] && $NO_RACE"
check "nothing of the project is left" \
    '[ "$(count_label containers "$PA")" = 0 ] && [ "$(count_label networks "$PA")" = 0 ]'

# ---- a foreground up, following the output ---------------------------------------------
start att "$A" up --progress plain
for _ in $(seq 300); do grep -q "^Attaching to" "$TMP/att.out" && break; sleep 0.1; done
ds "$A" restart --no-lock-wait --progress quiet worker
check "a foreground up following the output holds no lock: restart elsewhere goes ahead" \
    '[ $rc -eq 0 ] && [[ $out != *busy* ]] && kill -0 "$(cat "$TMP/att.pid")"'
kill -INT "$(cat "$TMP/att.pid")"
finish att
check "... and its Ctrl-C still stops the stack (exit 130)" \
    '[ $rc -eq 130 ] && [[ $out == *"Gracefully stopping"* ]] && [[ $out != *onflict* ]]'
ds "$A" down --progress quiet

# ---- a holder killed with SIGKILL ------------------------------------------------------
start up5 "$A" up -d --progress plain
held "$PA" "devstack up" || not_ok "up holds the lock" "no lock file in $LOCKS names $PA"
# once its network exists: a network create in flight would finish after the next up looked
for _ in $(seq 300); do grep -q "Network ${PA}_default  Created" "$TMP/up5.out" && break; sleep 0.1; done
kill -KILL "$(cat "$TMP/up5.pid")"
finish up5
sleep 1 # what the engine was doing for it (a container create) finishes
t0=$(date +%s%N)
ds "$A" up -d --no-lock-wait --progress plain
ms=$((($(date +%s%N) - t0) / 1000000))
check "an up killed with SIGKILL lets go of the lock: the next one goes ahead at once and repairs" \
    '[ $rc -eq 0 ] && [[ $out != *busy* && $out != *waiting* ]] && [ "$(count_label containers "$PA")" = 3 ]'

# ---- reset: its own up runs under its lock ---------------------------------------------
MYSQL_IMAGE=$(sed -n 's/^MYSQL_IMAGE=//p' "$ROOT/compose/.env" 2>/dev/null | tail -n 1)
MYSQL_IMAGE=${MYSQL_IMAGE:-devstack/mariadb:10.11}
if api "/images/$MYSQL_IMAGE/json" >/dev/null 2>&1; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    D=$(project db "
services:
  db:
    image: $MYSQL_IMAGE
    environment:
      MYSQL_ROOT_PASSWORD: root-pw
      MYSQL_DATABASE: shop
      MYSQL_USER: shop
      MYSQL_PASSWORD: shop-pw
    ports: ['$PORT:3306']
    volumes: [data:/var/lib/mysql]
    healthcheck:
      test: [CMD-SHELL, \"MYSQL_PWD=shop-pw mysql --protocol=TCP -h 127.0.0.1 -ushop -D shop -N -e 'SELECT 1'\"]
      interval: 1s
      retries: 120
volumes:
  data: {}")
    PD=$RUN-db
    out=$(cd "$D" && timeout 300 "$DEVSTACK" up -d --wait --progress quiet </dev/null 2>&1)
    rc=$?
    check "a MySQL project ($MYSQL_IMAGE) comes up" '[ $rc -eq 0 ]'
    start reset "$D" reset --yes
    held "$PD" "devstack reset" || not_ok "reset holds the lock" "no lock file in $LOCKS names $PD"
    ds "$D" up -d --no-lock-wait
    check "up --no-lock-wait during reset names reset" \
        '[ $rc -eq 1 ] && [[ $out == *"is busy: '"'devstack reset'"' (pid $(cat "$TMP/reset.pid")"* ]]'
    for _ in $(seq 3000); do kill -0 "$(cat "$TMP/reset.pid")" 2>/dev/null || break; sleep 0.1; done
    finish reset
    check "reset brings the stack up again under its own lock: no deadlock, no wait" \
        '[ $rc -eq 0 ] && [[ $out == *"reset done"* ]] && [[ $out != *waiting* ]]'
    ds "$D" down -v --progress quiet
else
    not_ok "reset's own up runs under its lock" "the engine has no $MYSQL_IMAGE (scripts/standin-images.sh makes it)"
fi

tap_done
