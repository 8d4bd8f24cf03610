#!/usr/bin/env bash
# A compose project whose database is PostgreSQL (the registry-free stand-in
# for the official image, devstack/postgres:15) against the real engine:
# devstack finds the service by its POSTGRES_* variables (the password a
# file secret, POSTGRES_PASSWORD_FILE) and port 5432, and then
#   - `up --wait` returns only once the app user can query the app database
#     over the published port (a query from the host right after it), where
#     `docker compose up --wait` returns while the image is still in its init
#     phase (an initdb.d script makes that phase last 3 s);
#   - `db wait` started during the init phase (the temporary server does not
#     listen on TCP: docker-proxy takes the connection and drops it) waits it
#     out;
#   - `db current` reads the discovered URL's alembic_version as Alembic does;
#   - `db shell` runs psql as the app user (and --root), a script on stdin
#     stops at its first error, and the password is in the exec's
#     environment (PGPASSWORD), never in its argv (the engine's exec inspect
#     and /proc of the psql process);
#   - `doctor` reaches the database, sees the revision at head, and tables
#     without alembic_version;
#   - `restart db` returns once the server takes queries again;
#   - a postgres image without any POSTGRES_* variable (trust) is found, as
#     its superuser postgres on the database postgres;
#   - a service with no published 5432 (or an ephemeral one) is a clear error.
# Projects are named tpgws-*<pid>; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/pg.sh"
PG_IMAGE=${PG_IMAGE:-devstack/postgres:15}
FIX=$ROOT/tests/fixtures/alembic
PY=/usr/bin/python3
RUN=tpgws-$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_pg_stack.XXXXXX")
LIMIT=300 # seconds any one command may take before it counts as hung
export PYTHONDONTWRITEBYTECODE=1 LC_ALL=C.UTF-8
unset DATABASE_URL ALEMBIC_CONFIG

# dx DIR ARGS... <input: devstack in DIR; sets rc, out (stdout) and err (stderr)
dx() {
    local dir=$1
    shift
    out=$(cd "$dir" && timeout $LIMIT "$DEVSTACK" "$@" 2>"$TMP/stderr")
    rc=$?
    err=$(<"$TMP/stderr")
    printf '%s\n' "$out" "$err" >>"$TMP/all-output"
}
# hostq SQL: a query from the host over the published port as the app user; sets rc and out
hostq() {
    out=$(PGPASSWORD=$PW PGCONNECT_TIMEOUT=2 timeout 20 "$BIN/psql" -X -At -h 127.0.0.1 \
        -p "$PORT" -U app -d shop -c "$1" 2>&1 </dev/null)
    rc=$?
}
cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

docker image inspect "$PG_IMAGE" >/dev/null 2>&1 ||
    tap_cannot_run "the image $PG_IMAGE is on the engine (scripts/standin/postgres)"
BIN=$(_pg_bindir 2>/dev/null) || tap_cannot_run "postgresql-15 is installed (its psql on the host)"
"$PY" -c 'import alembic, psycopg2, sqlalchemy' 2>/dev/null ||
    tap_cannot_run "$PY has alembic, psycopg2 and sqlalchemy (python3-alembic python3-psycopg2)"

PW='s3cret:pg@/x'
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# project DIR PORT: a PostgreSQL project whose image's init phase lasts 3 s more
project() {
    mkdir -p "$1/initdb"
    printf '%s\n' "$PW" >"$1/db-password.txt"
    cat >"$1/initdb/10-slow.sh" <<'SH'
echo "tpgws: init script running"
sleep 3
SH
    cat >"$1/compose.yaml" <<YAML
services:
  db:
    image: $PG_IMAGE
    environment:
      POSTGRES_USER: app
      POSTGRES_DB: shop
      POSTGRES_PASSWORD_FILE: /run/secrets/db-password
    secrets: [db-password]
    volumes: ['./initdb:/docker-entrypoint-initdb.d:ro']
    ports: ['127.0.0.1:$2:5432']
secrets:
  db-password:
    file: ./db-password.txt
YAML
}

# ---- up --wait: ready means the app user can query ---------------------------------------

A=$TMP/$RUN-a
PORT=$(free_port)
project "$A" "$PORT"
dx "$A" up --wait --progress plain </dev/null
up_rc=$rc up_out="$out$err"
hostq "SELECT current_user || '@' || current_database()"
if [ $up_rc -eq 0 ] && [ $rc -eq 0 ] && [ "$out" = app@shop ]; then
    ok "up --wait returns once the app user can query 'shop' from the host (a query right after it)"
else
    not_ok "up --wait returns once the app user can query 'shop' from the host (a query right after it)" \
        "up: exit $up_rc: $up_out; the query: exit $rc: $out"
fi
check "up says the database is ready, as whom and on which database" \
    '[[ $up_out == *"db: ready: '"'shop'"' answers queries as '"'app'"'"* ]]'
logs=$(docker logs "$RUN-a-db-1" 2>&1)
check "the server went through its init phase first (the initdb.d script ran)" \
    '[[ $logs == *"tpgws: init script running"* ]]'

# ---- db current through the discovered URL -----------------------------------------------

cp -rL "$FIX/linear/." "$A/"
URL="postgresql+psycopg2://app:$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PW")@127.0.0.1:$PORT/shop"
(cd "$A" && DATABASE_URL=$URL "$PY" -m alembic upgrade head >"$TMP/alembic.log" 2>&1) ||
    not_ok "alembic upgrade head on the stack's database" "$(tail -n 20 "$TMP/alembic.log")"
want=$(cd "$A" && DATABASE_URL=$URL "$PY" -m alembic current 2>/dev/null)
dx "$A" db current </dev/null
check "db current (no DATABASE_URL: the service's URL) prints what alembic current prints" \
    '[ $rc -eq 0 ] && [ -n "$want" ] && [ "$out" = "$want" ]'
want=$(cd "$A" && DATABASE_URL=$URL "$PY" -m alembic current -v 2>/dev/null)
dx "$A" db current -v </dev/null
check "db current -v prints what alembic current -v prints (the URL, its password masked)" \
    '[ $rc -eq 0 ] && [ "$out" = "$want" ] && [[ $out == *"@127.0.0.1:$PORT/shop"* ]]'

# ---- db shell --------------------------------------------------------------------------

dx "$A" db shell <<<"SELECT 'who=' || current_user || '@' || current_database();"
check "db shell reads a script on stdin as the app user in the app database" \
    '[ $rc -eq 0 ] && [[ $out == *"who=app@shop"* ]]'
dx "$A" db shell --root <<<"SELECT 'super=' || rolsuper::text FROM pg_roles WHERE rolname = current_user;"
check "db shell --root is the image's superuser (POSTGRES_USER)" \
    '[ $rc -eq 0 ] && [[ $out == *"super=true"* ]]'
dx "$A" db shell <<<"SELECT 1/0; SELECT 'after-' || 'error';"
check "a script stops at its first error with a non-zero status, as with mysql" \
    '[ $rc -ne 0 ] && [[ $out$err == *"division by zero"* ]] && [[ $out != *"after-error"* ]]'
dx "$A" db shell <<<"SELECT count(*) || ' tables' FROM pg_tables WHERE schemaname = 'public';"
check "db shell sees the tables Alembic made" '[ $rc -eq 0 ] && [[ $out == *"4 tables"* ]]'

# The password in the exec: look while psql runs (pg_sleep), from the engine and from /proc.
# Each exec of the container is inspected once: the engine keeps those that ended in its
# list (Podman all of them, the health checks' included), and each look adds one.
exec_ids() {
    api "/containers/$1/json" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).get("ExecIDs") or []))'
}
cid=$(docker inspect -f '{{.Id}}' "$RUN-a-db-1")
seen=" $(exec_ids "$cid") "
(cd "$A" && timeout 60 "$DEVSTACK" db shell <<<"SELECT pg_sleep(4);" >"$TMP/sleep.out" 2>&1) &
shell_pid=$!
argv='' environ='' found=''
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
    for x in $(exec_ids "$cid"); do
        [[ $seen == *" $x "* ]] && continue
        seen+="$x "
        a=$(api "/exec/$x/json" 2>/dev/null | python3 -c 'import json,sys; p=json.load(sys.stdin)["ProcessConfig"]; print(" ".join([p["entrypoint"]] + p["arguments"]))' 2>/dev/null)
        [[ $a == psql* ]] && argv=$a
    done
    # a running psql's argv and environment, read together (one that just ended has neither)
    [ -n "$found" ] || docker exec "$cid" sh -c 'for d in /proc/[0-9]*; do
        [ "$(cat $d/comm 2>/dev/null)" = psql ] || continue
        c=$(tr "\0" " " <$d/cmdline 2>/dev/null) && e=$(tr "\0" "\n" <$d/environ 2>/dev/null) &&
            [ -n "$c" ] && printf "%s\n%s\n" "$c" "$e" && exit 0
    done' >"$TMP/proc" 2>/dev/null
    if [ -z "$found" ] && [ -s "$TMP/proc" ]; then
        found=$(head -n 1 "$TMP/proc")
        environ=$(tail -n +2 "$TMP/proc")
    fi
    [ -n "$found" ] && [ -n "$argv" ] && break
    sleep 0.2
done
wait $shell_pid
check "the engine shows the exec's argv: psql as app on shop, no password in it" \
    '[[ $argv == "psql --username=app --dbname=shop"* ]] && [[ $argv != *"$PW"* ]] && [[ $argv != *s3cret* ]]'
check "psql's own /proc cmdline has no password" \
    '[[ $found == *"psql --username=app --dbname=shop"* ]] && [[ $found != *s3cret* ]]'
check "the password reached psql through its environment (PGPASSWORD)" \
    'grep -qxF "PGPASSWORD=$PW" <<<"$environ"'

# ---- doctor ------------------------------------------------------------------------------

head=$(cd "$A" && "$PY" -m alembic heads 2>/dev/null | cut -d' ' -f1)
dx "$A" doctor </dev/null
check "doctor reaches the database by the service's URL and sees the revision at head" \
    '[ $rc -eq 0 ] && grep -Eq "ok +database +'"'shop'"' reachable \(URL from db\)" <<<"$out" &&
     grep -Eq "ok +revision +at head ${head:-?}\$" <<<"$out"'
hostq "DROP TABLE alembic_version"
dx "$A" doctor </dev/null
check "doctor counts PostgreSQL's tables: 3 tables but no alembic_version (stamp a baseline)" \
    '[ $rc -eq 1 ] && grep -Eq "FAIL +alembic_version +3 tables but no alembic_version table" <<<"$out" &&
     [[ $out == *"devstack db stamp REV"* ]]'

# ---- restart waits as up does ----------------------------------------------------------

dx "$A" restart --progress plain db </dev/null
restart_rc=$rc restart_out="$out$err"
hostq "SELECT current_user || '@' || current_database()"
check "restart db returns once the app user can query again (a query right after it)" \
    '[ $restart_rc -eq 0 ] && [[ $restart_out == *"db: ready"* ]] && [ $rc -eq 0 ] && [ "$out" = app@shop ]'

# ---- db wait in the init phase, after Compose's own up --wait -------------------------------

B=$TMP/$RUN-b
PORT=$(free_port)
project "$B" "$PORT"
(cd "$B" && timeout $LIMIT docker compose up -d --wait >"$TMP/compose.log" 2>&1)
compose_rc=$?
hostq "SELECT 1"
check "docker compose up --wait returns while the app user cannot query yet (its init phase)" \
    '[ $compose_rc -eq 0 ] && [ $rc -ne 0 ]'
# docker-proxy answers on the published port though nothing listens behind it
accepted=$(python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
print("accepted")' "$PORT" 2>&1)
dx "$B" db wait --timeout 120s </dev/null
wait_rc=$rc wait_out="$out$err"
hostq "SELECT current_user || '@' || current_database()"
check "db wait during the init phase waits it out, and the app user can query right after" \
    '[ $wait_rc -eq 0 ] && [[ $wait_out =~ "database '"'shop'"' ready after "[0-9.]+" s ("[0-9]+" attempts)" ]] &&
     [ $rc -eq 0 ] && [ "$out" = app@shop ]'
check "(the published port accepted a connection while the init server did not listen on TCP)" \
    '[ "$accepted" = accepted ] || [[ $accepted == *"refused"* ]]'
attempts=$(grep -Eo '\(([0-9]+) attempts\)' <<<"$wait_out" | tr -dc 0-9)
check "db wait polled several times (every 100 ms) before the server took queries" \
    '[ "${attempts:-0}" -ge 5 ]'
dx "$B" up --wait --progress plain </dev/null
check "devstack up --wait on the containers Compose made: the database ready" \
    '[ $rc -eq 0 ] && [[ $out$err == *"db: ready"* ]]'

# ---- a postgres image with no POSTGRES_* at all: its superuser and database ------------------

D=$TMP/$RUN-d
PORT_D=$(free_port)
mkdir -p "$D"
cat >"$D/compose.yaml" <<YAML
services:
  store:
    image: $PG_IMAGE
    environment: {POSTGRES_HOST_AUTH_METHOD: trust}
    ports: ['127.0.0.1:$PORT_D:5432']
YAML
dx "$D" up --wait --progress plain </dev/null
check "a postgres image without POSTGRES_* is the database: ready as 'postgres' on 'postgres'" \
    '[ $rc -eq 0 ] && [[ $out$err == *"store: ready: '"'postgres'"' answers queries as '"'postgres'"'"* ]]'
dx "$D" db shell <<<"SELECT 'who=' || current_user || '@' || current_database();"
check "db shell there: psql as postgres on postgres" \
    '[ $rc -eq 0 ] && [[ $out == *"who=postgres@postgres"* ]]'

# ---- errors: no published port ------------------------------------------------------------

C=$TMP/$RUN-c
mkdir -p "$C"
cat >"$C/compose.yaml" <<YAML
services:
  db:
    image: $PG_IMAGE
    environment: {POSTGRES_PASSWORD: pw}
YAML
dx "$C" db wait --timeout 1s </dev/null
check "db wait on a service that publishes no 5432: a clear error" \
    '[ $rc -eq 1 ] && [[ $err == *"service '"'db'"' does not publish port 5432 to the host"* ]] &&
     [[ $err == *DATABASE_URL=* ]]'
sed -i 's/^    environment:.*/&\n    ports: ["127.0.0.1::5432"]/' "$C/compose.yaml"
dx "$C" db wait --timeout 1s </dev/null
check "db wait on an ephemeral port: a clear error" \
    '[ $rc -eq 1 ] && [[ $err == *"publishes port 5432 on '"'127.0.0.1::5432'"'"* || $err == *"publishes port 5432 on an ephemeral port, not one fixed port"* ]]'

check "no password in anything devstack printed" '! grep -qF -e "$PW" -e s3cret "$TMP/all-output"'

tap_done
