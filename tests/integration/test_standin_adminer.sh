#!/usr/bin/env bash
# The Adminer stand-in (scripts/standin/adminer) under devstack up, as the
# official adminer image is used: port 8080, ADMINER_DEFAULT_SERVER filled
# into the login form, ADMINER_DESIGN's stylesheet; a login over HTTP (a
# cookie jar, as a browser keeps it) reaches the PostgreSQL stand-in and the
# MariaDB one by their service names and lists a table made there; a wrong
# password is refused.
# Projects are named tadminer<pid>; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
for image in devstack/adminer:bookworm devstack/postgres:15 devstack/mariadb:10.11; do
    api "/images/$image/json" >/dev/null 2>&1 || tap_cannot_run "the stand-in $image is built (scripts/standin-images.sh)"
done
RUN=tadminer$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_standin_adminer.XXXXXX")
cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$TMP/compose.yaml" <<EOF
services:
  pg:
    image: devstack/postgres:15
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: pg-pw
      POSTGRES_DB: appdb
  maria:
    image: devstack/mariadb:10.11
    environment:
      MYSQL_ROOT_PASSWORD: root-pw
      MYSQL_DATABASE: appdb
      MYSQL_USER: app
      MYSQL_PASSWORD: my-pw
  adminer:
    image: devstack/adminer:bookworm
    environment:
      ADMINER_DEFAULT_SERVER: pg
      ADMINER_DESIGN: nette
    ports:
      - "$PORT:8080"
EOF
out=$(cd "$TMP" && COMPOSE_PROJECT_NAME=$RUN "$DEVSTACK" up -d 2>&1 </dev/null)
rc=$?
check "devstack up starts Adminer beside PostgreSQL and MariaDB" '[ "$rc" -eq 0 ]'
URL=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$URL/" 2>/dev/null && break
    sleep 0.1
done
out=$(curl -fsS "$URL/" 2>&1)
check "the login form has ADMINER_DEFAULT_SERVER as its server, and ADMINER_DESIGN's stylesheet" \
    'grep -q "name=\"auth\[server\]\" value=\"pg\"" <<<"$out" && grep -q "designs/nette/adminer.css" <<<"$out"'

# run_in CONTAINER ARGS...: run ARGS in the container through the Engine API; its exit code
run_in() {
    local c=$1 body id
    shift
    body=$(python3 -c 'import json,sys; print(json.dumps({"AttachStdout":True,"AttachStderr":True,"Cmd":sys.argv[1:]}))' "$@")
    id=$(curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/json' -d "$body" \
        "http://localhost/v1.41/containers/$c/exec" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])') || return 1
    curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/json' -d '{"Detach":false,"Tty":true}' \
        "http://localhost/v1.41/exec/$id/start" >/dev/null || return 1
    return "$(api "/exec/$id/json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ExitCode"])')"
}
# login DRIVER SERVER USER PASSWORD DB: the page after the login (a fresh cookie jar per driver)
login() {
    local jar=$TMP/jar.$1
    rm -f "$jar"
    curl -fsS -c "$jar" -b "$jar" -o /dev/null "$URL/" || return 1
    curl -sS -c "$jar" -b "$jar" -L --data-urlencode "auth[driver]=$1" --data-urlencode "auth[server]=$2" \
        --data-urlencode "auth[username]=$3" --data-urlencode "auth[password]=$4" \
        --data-urlencode "auth[db]=$5" "$URL/"
}

for _ in $(seq 1 300); do
    run_in "$RUN-pg-1" psql -h 127.0.0.1 -U app -d appdb -c "CREATE TABLE IF NOT EXISTS pg_widgets (id int)" && break
    sleep 0.2
done
login pgsql pg app pg-pw appdb >/dev/null 2>&1
out=$(curl -fsS -c "$TMP/jar.pgsql" -b "$TMP/jar.pgsql" "$URL/?pgsql=pg&username=app&db=appdb&ns=public" 2>&1)
check "a login to PostgreSQL by service name lists the table made there" 'grep -q "pg_widgets" <<<"$out"'
out=$(login pgsql pg app wrong appdb 2>&1)
check "a wrong PostgreSQL password is refused" 'grep -q "password authentication failed" <<<"$out"'

for _ in $(seq 1 300); do
    run_in "$RUN-maria-1" mariadb -h 127.0.0.1 -u app -pmy-pw appdb -e "CREATE TABLE IF NOT EXISTS maria_widgets (id int)" && break
    sleep 0.2
done
login server maria app my-pw appdb >/dev/null 2>&1
out=$(curl -fsS -c "$TMP/jar.server" -b "$TMP/jar.server" "$URL/?server=maria&username=app&db=appdb" 2>&1)
check "a login to MariaDB by service name lists the table made there" 'grep -q "maria_widgets" <<<"$out"'

tap_done
