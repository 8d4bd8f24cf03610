#!/usr/bin/env bash
# devstack reset of a project whose database keeps its data in a bind-mounted
# directory (the old "mysql/data" layout) and that has no Alembic service:
# the directory is emptied (not removed), the server initializes a fresh
# database in it, the snapshot brings every row back; Ctrl-C during the
# snapshot, while the stack stops and while it comes up again stops there
# and `up` repairs it; with the database down reset refuses, and
# --no-snapshot goes on. Then clear, interrupted while it snapshots a named
# volume's database. The stack's MySQL image
# (compose/.env), a project of its own on free ports.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
RUN=dsreset$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_reset.XXXXXX")
P=$TMP/$RUN

ds() {
    out=$(cd "$P" && timeout 300 "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}
cleanup() {
    (cd "$P" && "$DEVSTACK" down -v --progress quiet >/dev/null 2>&1)
    [ -d "$P"v ] && (cd "$P"v && "$DEVSTACK" down -v --progress quiet >/dev/null 2>&1)
    rm -rf "$TMP"
}
trap cleanup EXIT

IMAGE=$(sed -n 's/^MYSQL_IMAGE=//p' "$ROOT/compose/.env" 2>/dev/null | tail -n 1)
if [ -z "$IMAGE" ]; then
    echo "not ok 1 - compose/.env names MYSQL_IMAGE: run 'scripts/setup.sh' (make setup) first"
    echo "1..1"
    exit 1
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$P/data"
cat >"$P/compose.yaml" <<EOF
services:
  db:
    image: $IMAGE
    environment:
      MYSQL_ROOT_PASSWORD: root-pw
      MYSQL_DATABASE: shop
      MYSQL_USER: shop
      MYSQL_PASSWORD: shop-pw
    ports: ["$PORT:3306"]
    volumes: [./data:/var/lib/mysql]
    healthcheck:
      test: [CMD-SHELL, "MYSQL_PWD=shop-pw mysql --protocol=TCP -h 127.0.0.1 -ushop -D shop -N -e 'SELECT 1'"]
      interval: 1s
      retries: 120
EOF
sql() { ds exec -T -e MYSQL_PWD=shop-pw db mysql --default-character-set=utf8mb4 -ushop -N shop -e "$1"; }

ds up -d --wait --progress plain
check "a database with a bind-mounted data directory comes up" '[ $rc -eq 0 ] && [ -d "$P/data/shop" ]'
sql "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50) CHARACTER SET utf8mb4, img BLOB, note TEXT NULL);
     INSERT INTO items VALUES (1, 'ünï 😀', UNHEX('00FF10'), NULL), (2, '', '', 'x');
     CHECKSUM TABLE items EXTENDED"
BEFORE=$out
check "rows written" '[ $rc -eq 0 ] && [[ $BEFORE == *items* ]]'
owner=$(stat -c %u:%g "$P/data")

ds reset --yes
check "reset --yes: a snapshot, the data directory's contents deleted, the stack up again" \
    '[ $rc -eq 0 ] && [[ $out == *"DELETE the database'"'"'s data: everything in '"'"'$P/data'"'"'"* ]] &&
     [[ $out == *"snapshot: $P/.devstack/snapshots/$RUN."*"before-reset.sql.gz"* ]] &&
     [[ $out == *"deleted the contents of $P/data"* ]] && [[ $out == *"reset done"* ]]'
check "... with nothing about migrations (the project has no Alembic service)" \
    '[[ $out != *alembic.ini* ]]'
check "... the directory itself is kept, with its owner" \
    '[ -d "$P/data" ] && [ "$(stat -c %u:%g "$P/data")" = "$owner" ]'
sql "SHOW TABLES"
check "the database is fresh: the server initialized it again, without the table" '[ $rc -eq 0 ] && [ -z "$out" ]'

ds db snapshot restore --latest --yes
sql "CHECKSUM TABLE items EXTENDED"
check "db snapshot restore --latest brings every row back byte-identical" '[ "$out" = "$BEFORE" ]'

# Ctrl-C while the snapshot is being written: nothing deleted, no snapshot under a final name
sql "CREATE TABLE big (id INT PRIMARY KEY, pad BLOB); INSERT INTO big SELECT seq, RANDOM_BYTES(1000) FROM seq_1_to_100000"
snaps_before=$(ls "$P/.devstack/snapshots")
(cd "$P" && exec "$DEVSTACK" reset --yes >"$TMP/int.out" 2>&1 </dev/null) &
pid=$!
for _ in $(seq 200); do
    ls -a "$P/.devstack/snapshots" | grep -q partial && break
    sleep 0.05
done
kill -INT $pid
wait $pid
rc=$? out=$(cat "$TMP/int.out")
check "Ctrl-C during reset's snapshot stops it (exit 130) before anything is deleted" \
    '[ $rc -eq 130 ] && [[ $out == *"interrupted while taking the snapshot: nothing was deleted"* ]] && sql "SELECT COUNT(*) FROM big" && [ "$out" = 100000 ]'
check "... and leaves no snapshot, whole or partial, behind" \
    '[ "$(ls "$P/.devstack/snapshots")" = "$snaps_before" ] && ! ls -a "$P/.devstack/snapshots" | grep -q partial'

# Ctrl-C at the next steps: while the stack stops (after the snapshot), while it comes up again
# interrupt_at PATTERN ARGS...: reset ARGS in the background, Ctrl-C once its output has PATTERN
interrupt_at() {
    local pattern=$1 pid
    shift
    (cd "$P" && exec "$DEVSTACK" reset "$@" >"$TMP/int.out" 2>&1 </dev/null) &
    pid=$!
    for _ in $(seq 600); do
        grep -q "$pattern" "$TMP/int.out" && break
        sleep 0.05
    done
    kill -INT $pid
    wait $pid
    rc=$? out=$(cat "$TMP/int.out")
}
interrupt_at "Stopping" --yes
check "Ctrl-C while reset stops the stack (after its snapshot): exit 130, no data deleted, and it says so" \
    '[ $rc -eq 130 ] && [[ $out == *"snapshot: "* ]] && [[ $out == *"no data was deleted; '"'devstack up'"' brings it back"* ]] && [[ $out != *"deleted the contents"* ]]'
ds up -d --wait
sql "SELECT COUNT(*) FROM big"
check "... and 'devstack up' brings it back with every row" '[ $rc -eq 0 ] && [ "$out" = 100000 ]'
interrupt_at "Started" --yes --no-snapshot
check "Ctrl-C while reset brings the stack up again: exit 130, saying the data is gone and what to run" \
    '[ $rc -eq 130 ] && [[ $out == *"deleted the contents of"* ]] && [[ $out == *"run '"'devstack up'"'"* ]]'
ds up -d --wait
sql "SHOW TABLES"
check "... and 'devstack up' finishes it: a fresh database" '[ $rc -eq 0 ] && [ -z "$out" ]'

ds stop db
ds reset --yes
check "reset with the database down refuses: the snapshot cannot be taken" \
    '[ $rc -ne 0 ] && [[ $out == *"cannot keep a snapshot"* ]] && [[ $out == *"nothing was deleted"* ]] && [ -d "$P/data/shop" ]'
ds reset --yes --no-snapshot
check "reset --yes --no-snapshot with the database down goes on" \
    '[ $rc -eq 0 ] && [[ $out != *"snapshot:"* ]] && [[ $out == *"reset done"* ]]'
sql "SHOW TABLES"
check "... and the database is fresh" '[ $rc -eq 0 ] && [ -z "$out" ]'
ds reset --yes --bogus
check "an unknown option exits 2" '[ $rc -eq 2 ]'

# ---- clear: Ctrl-C while its snapshot is written deletes nothing and leaves no partial file
P2=$TMP/${RUN}v
mkdir -p "$P2"
sed -e 's|volumes: \[./data:/var/lib/mysql\]|volumes: [data:/var/lib/mysql]|' "$P/compose.yaml" >"$P2/compose.yaml"
PORT2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i -e "s|\"$PORT:3306\"|\"$PORT2:3306\"|" "$P2/compose.yaml"
printf 'volumes:\n  data: {}\n' >>"$P2/compose.yaml"
ds2() {
    out=$(cd "$P2" && timeout 300 "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}
ds2 up -d --wait
ds2 exec -T -e MYSQL_PWD=shop-pw db mysql -ushop -N shop -e "CREATE TABLE big (id INT PRIMARY KEY, pad BLOB); INSERT INTO big SELECT seq, RANDOM_BYTES(1000) FROM seq_1_to_100000"
check "a project with its data in a named volume, 100,000 rows" '[ $rc -eq 0 ]'
(cd "$P2" && exec "$DEVSTACK" clear --yes >"$TMP/clr.out" 2>&1 </dev/null) &
pid=$!
for _ in $(seq 400); do
    ls -a "$P2/.devstack/snapshots" 2>/dev/null | grep -q partial && break
    sleep 0.05
done
kill -INT $pid
wait $pid
rc=$? out=$(cat "$TMP/clr.out")
check "Ctrl-C during clear's snapshot: exit 130, nothing removed, and it says so" \
    '[ $rc -eq 130 ] && [[ $out == *"interrupted while taking the snapshot: nothing was deleted"* ]] && [[ $out != *Removed* ]]'
check "... and no snapshot, whole or partial, is left" \
    '! ls -a "$P2/.devstack/snapshots" 2>/dev/null | grep -q "partial\|sql.gz"'
ds2 exec -T -e MYSQL_PWD=shop-pw db mysql -ushop -N shop -e "SELECT COUNT(*) FROM big"
check "... and the database is untouched" '[ "$out" = 100000 ]'
(cd "$P2" && "$DEVSTACK" down -v --progress quiet >/dev/null 2>&1)

tap_done
