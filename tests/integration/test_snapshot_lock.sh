#!/bin/bash
# Partial snapshot files across PID namespaces: the host and the dev
# container share .devstack/snapshots, and a PID from one side says nothing
# on the other. A dump's writer holds a flock on its partial file; a listing
# removes a partial file only when it can take that lock. Tried with a
# helper holding the lock (flock(1)) and with a real `devstack db snapshot`,
# each in a PID namespace of its own whose PIDs are dead here, against a
# private MariaDB (no engine).
# shellcheck disable=SC2016,SC2034 # check() evaluates its conditions later
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/mariadb.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_snapshot_lock.XXXXXX")
HELPERS=()
cleanup() {
    local pid
    for pid in "${HELPERS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    for pid in "${HELPERS[@]}"; do wait "$pid" 2>/dev/null; done
    mariadb_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

# another PID namespace: as root, or in a user namespace of our own
# (--kill-child: killing unshare ends everything in the namespace)
if unshare --pid --fork --mount-proc true 2>/dev/null; then
    NS=(unshare --pid --fork --mount-proc --kill-child)
elif unshare --user --map-root-user --pid --fork --mount-proc true 2>/dev/null; then
    NS=(unshare --user --map-root-user --pid --fork --mount-proc --kill-child)
else
    tap_cannot_run "unshare can make a PID namespace (root, or user namespaces)"
fi
command -v flock >/dev/null || tap_cannot_run "flock (util-linux) is installed"

P=$TMP/p
SNAPS=$P/.devstack/snapshots
mkdir -p "$SNAPS"
git init -q "$P"

# ds ARGS: devstack in the project (no compose file: snapshots in $P/.devstack)
ds() {
    out=$(cd "$P" && timeout 300 "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}
# dead_pid: a PID no process has here (below pid_max, so another namespace may have it)
dead_pid() {
    local pid
    for pid in $(seq 32000 -7 300); do
        kill -0 "$pid" 2>/dev/null || [ -d "/proc/$pid" ] || {
            echo "$pid"
            return
        }
    done
}
# hold FILE: flock FILE in another PID namespace until killed; the helper's pid in $HOLDER
hold() {
    "${NS[@]}" flock "$1" sleep 300 &
    HOLDER=$!
    HELPERS+=("$HOLDER")
    for _ in $(seq 100); do
        flock -n "$1" true 2>/dev/null || return 0
        sleep 0.05
    done
    return 1
}
release() {
    kill -KILL "$HOLDER" 2>/dev/null
    wait "$HOLDER" 2>/dev/null
}

DEAD=$(dead_pid)

# ---- partial files held by a helper in another PID namespace ---------------------------
NEW=".p.20261202T010000Z.none.sql.gz.partial-$DEAD.locked"
printf 'half a dump' >"$SNAPS/$NEW"
hold "$SNAPS/$NEW" || not_ok "a helper in another PID namespace holds the lock of $NEW"
ds db snapshot ls
check "a partial file locked from another PID namespace (its PID $DEAD dead here) survives 'db snapshot ls'" \
    '[ $rc -eq 0 ] && [ -e "$SNAPS/$NEW" ] && [[ $out != *removed* ]]'
ds db snapshots
check "... and 'db snapshots'" '[ $rc -eq 0 ] && [ -e "$SNAPS/$NEW" ] && [[ $out != *removed* ]]'
release
ds db snapshot ls
check "once its lock is let go, the next listing removes it and says so" \
    '[ $rc -eq 0 ] && [ ! -e "$SNAPS/$NEW" ] && [[ $out == *"removed '"'$NEW'"', left by a dump that did not finish"* ]]'

# an earlier version's partial file: no lock, a PID from who knows which namespace
OLD=".p.20261202T020000Z.none.sql.gz.partial-$DEAD"
printf 'half a dump' >"$SNAPS/$OLD"
ds db snapshots
check "an earlier version's fresh partial file (PID $DEAD dead here) is kept: its writer may live elsewhere" \
    '[ $rc -eq 0 ] && [ -e "$SNAPS/$OLD" ] && [[ $out != *removed* ]]'
hold "$SNAPS/$OLD" || not_ok "a helper holds the lock of $OLD"
touch -d '2 hours ago' "$SNAPS/$OLD"
ds db snapshots
check "... so is an hour-old one that something holds locked" \
    '[ $rc -eq 0 ] && [ -e "$SNAPS/$OLD" ]'
release
ds db snapshots
check "... an hour-old one nobody holds, of a PID gone here, is removed and reported" \
    '[ $rc -eq 0 ] && [ ! -e "$SNAPS/$OLD" ] && [[ $out == *"removed '"'$OLD'"'"* ]]'

# ---- a real dump written from another PID namespace -------------------------------------
if ! { command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; }; then
    not_ok "a dump written in another PID namespace" "mariadb-server is not installed (scripts/setup.sh)"
    tap_done
    exit
fi
mariadb_start || tap_bail "a private MariaDB starts"
export DATABASE_URL=$MARIADB_URL
CLIENT=$(command -v mariadb || command -v mysql)
root_sql() {
    "$CLIENT" --no-defaults --socket="$MARIADB_SOCKET" -uroot -p"$MARIADB_ROOT_PASSWORD" \
        --batch --skip-column-names app -e "$1"
}
root_sql "CREATE TABLE big (id INT PRIMARY KEY, pad VARBINARY(200)) ENGINE=InnoDB;
          INSERT INTO big SELECT seq, RANDOM_BYTES(200) FROM seq_1_to_300000" 2>/dev/null ||
    root_sql "INSERT INTO big SELECT seq, UNHEX(SHA2(seq, 512)) FROM seq_1_to_300000"
check "a 300,000-row table to dump" '[ "$(root_sql "SELECT COUNT(*) FROM big")" = 300000 ]'

# snapshot LABEL: `devstack db snapshot LABEL` in another PID namespace, as PID $DEAD
# there; waits until its partial file has 64 kB; its pid here in $WRITER
snapshot_elsewhere() {
    "${NS[@]}" bash -c 'echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid 2>/dev/null
        cd "$2" && "$3" db snapshot "$4"; exit $?' _ "$DEAD" "$P" "$DEVSTACK" "$1" \
        >"$TMP/$1.out" 2>&1 &
    WRITER=$!
    HELPERS+=("$WRITER")
    for _ in $(seq 400); do
        for f in "$SNAPS"/.*"$1.sql.gz.partial-"*; do
            PARTIAL=${f##*/}
            [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -gt 65536 ] && return 0
        done
        sleep 0.025
    done
    return 1
}

snapshot_elsewhere inns || not_ok "a dump in another PID namespace writes its partial file"
ds db snapshots
listed=$out
check "while it is written, a listing here leaves its partial file ('$PARTIAL') alone" \
    '[ -e "$SNAPS/$PARTIAL" ] && [[ $listed != *removed* ]]'
wait "$WRITER"
rc=$? out=$(cat "$TMP/inns.out")
check "... and the dump ends whole under its final name" \
    '[ $rc -eq 0 ] && ls "$SNAPS"/*.inns.sql.gz >/dev/null 2>&1 && gzip -t "$SNAPS"/*.inns.sql.gz && [ -z "$(ls -A "$SNAPS" | grep partial)" ]'
case $PARTIAL in
*".partial-$DEAD.locked") ok "its PID there ($DEAD) was dead here: what the old listing took for a dead dump" ;;
*) not_ok "its PID there ($DEAD) was dead here" "partial file: $PARTIAL" ;;
esac

snapshot_elsewhere killed || not_ok "a second dump in another PID namespace writes its partial file"
kill -KILL "$WRITER" 2>/dev/null
wait "$WRITER" 2>/dev/null
for _ in $(seq 100); do
    flock -n "$SNAPS/$PARTIAL" true 2>/dev/null && break
    sleep 0.05
done
ds db snapshots
check "a dump killed with SIGKILL in another PID namespace: the next listing here removes its partial file" \
    '[ $rc -eq 0 ] && [ ! -e "$SNAPS/$PARTIAL" ] && [[ $out == *"removed '"'$PARTIAL'"'"* ]] && ! ls "$SNAPS"/*killed* >/dev/null 2>&1'

tap_done
