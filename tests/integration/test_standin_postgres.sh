#!/usr/bin/env bash
# The PostgreSQL stand-in (scripts/standin/postgres) keeps the official
# postgres image's contract, on the real engine under devstack up:
#   - the seed-style project: `image: postgres:14` with
#     `command: -c 'config_file=/etc/postgresql/postgresql.conf'`, data
#     bind-mounted from ${PWD}/postgresql/db, POSTGRES_USER/PASSWORD/DB;
#     the server reads that config file, the data directory on the host is
#     the postgres user's (uid 999), a second start keeps the data and skips
#     the initialization; the container's command is Compose's own; its
#     alembic.ini's postgresql://localhost:PORT/db?user=&password= URL
#     serves devstack's db current as it serves Alembic's;
#   - /docker-entrypoint-initdb.d: .sql, .sql.gz, an executable .sh and a
#     sourced one, in order; while they run nothing answers over TCP and
#     devstack up -d waits, returning once the app user can query;
#   - POSTGRES_PASSWORD_FILE from a compose secret: that password logs in,
#     another is refused; without any password the container stops with the
#     official image's message.
# The host's psql/pg_isready (postgresql-client) talk to the published port.
# Projects are named tpgstandin<pid>-<x>; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
STANDIN=devstack/postgres:15
command -v psql >/dev/null && command -v pg_isready >/dev/null || tap_cannot_run "postgresql-client is installed"
api "/images/$STANDIN/json" >/dev/null 2>&1 || tap_cannot_run "the stand-in $STANDIN is built (scripts/standin-images.sh --only postgres)"
RUN=tpgstandin$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_standin_postgres.XXXXXX")
# The seed file names postgres:14; on a machine without it, the stand-in is tagged so for the test.
SEED_IMAGE=postgres:14
TAGGED=0

cleanup() {
    remove_projects "$RUN"
    if [ "$TAGGED" -eq 1 ]; then
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$SEED_IMAGE?noprune=1" >/dev/null 2>&1
    fi
    # the data directories belong to uid 999 now
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# q PORT USER PASSWORD DB SQL: one value from the server, errors on stderr
q() { PGPASSWORD=$3 PGCONNECT_TIMEOUT=5 psql -X -h 127.0.0.1 -p "$1" -U "$2" -d "$4" -Atqc "$5"; }
inspect() { api "/containers/$1/json" | python3 -c "import json,sys; c=json.load(sys.stdin); print($2)"; }
logs() { curl -fsS --unix-socket "$SOCK" "http://localhost/v1.41/containers/$1/logs?stdout=1&stderr=1" | tr -d '\000-\010'; }
# wait_log CONTAINER TEXT SECONDS: until the container's log holds TEXT
wait_log() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        logs "$1" 2>/dev/null | grep -qF -- "$2" && return 0
        sleep 0.1
    done
    return 1
}
# wait_sql PORT USER PASSWORD DB SECONDS: until a query goes through
wait_sql() {
    local i
    for ((i = 0; i < $5 * 10; i++)); do
        q "$1" "$2" "$3" "$4" 'SELECT 1' >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

if ! api "/images/$SEED_IMAGE/json" >/dev/null 2>&1; then
    curl -fsS --unix-socket "$SOCK" -X POST "http://localhost/v1.41/images/$STANDIN/tag?repo=postgres&tag=14" >/dev/null ||
        tap_bail "cannot tag $STANDIN as $SEED_IMAGE"
    TAGGED=1
fi

# ---- the seed-style project ----------------------------------------------------------

S=$TMP/seed
PORT=$(free_port)
mkdir -p "$S/postgresql"
cat >"$S/postgresql/postgresql.conf" <<'EOF'
listen_addresses = '*'
max_connections = 37
shared_buffers = 16MB
EOF
cat >"$S/docker-compose.yml" <<EOF
services:
  postgres:
    image: $SEED_IMAGE
    command: -c 'config_file=/etc/postgresql/postgresql.conf'
    volumes:
      - \${PWD}/postgresql/db:/var/lib/postgresql/data
      - ./postgresql/postgresql.conf:/etc/postgresql/postgresql.conf
    environment:
      POSTGRES_USER: postgres
      POSTGRES_PASSWORD: "1234"
      POSTGRES_DB: postgres_db
    ports:
      - "$PORT:5432"
EOF
C=$RUN-seed-postgres-1
out=$(cd "$S" && PWD=$S COMPOSE_PROJECT_NAME=$RUN-seed "$DEVSTACK" up -d 2>&1 </dev/null)
rc=$?
check "devstack up starts the seed-style postgres:14 project" '[ "$rc" -eq 0 ]'
wait_sql "$PORT" postgres 1234 postgres_db 60
out=$(q "$PORT" postgres 1234 postgres_db "SELECT current_database() || ' ' || current_user" 2>&1)
check "POSTGRES_USER/POSTGRES_PASSWORD log in to POSTGRES_DB over the published port" '[ "$out" = "postgres_db postgres" ]'
out=$(q "$PORT" postgres 1234 postgres_db "SELECT current_setting('max_connections') || ' ' || current_setting('config_file')" 2>&1)
check "the server reads the config file given by -c config_file" \
    '[ "$out" = "37 /etc/postgresql/postgresql.conf" ]'
out=$(stat -c '%u %a' "$S/postgresql/db" 2>&1; test -s "$S/postgresql/db/PG_VERSION" && cat "$S/postgresql/db/PG_VERSION")
check "the data directory on the host is initialized and owned by the postgres user (999, 0700)" \
    '[ "$out" = "$(printf "999 700\n15")" ]'
out=$(inspect "$C" 'json.dumps(c["Config"]["Cmd"]), c["HostConfig"]["PortBindings"]["5432/tcp"][0]["HostIp"]' 2>&1)
check "the command is split as the shell would, and the port is published on 127.0.0.1" \
    '[ "$out" = "[\"-c\", \"config_file=/etc/postgresql/postgresql.conf\"] 127.0.0.1" ]'
if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
    out=$(cd "$S" && PWD=$S docker compose -p "$RUN-peer" create >/dev/null 2>&1 &&
        inspect "$RUN-peer-postgres-1" 'json.dumps(c["Config"]["Cmd"])')
    check "docker compose gives the container the same command" \
        '[ "$out" = "[\"-c\", \"config_file=/etc/postgresql/postgresql.conf\"]" ]'
    (cd "$S" && PWD=$S docker compose -p "$RUN-peer" rm -f >/dev/null 2>&1)
else
    not_ok "docker compose is installed (scripts/setup.sh installs it)" "docker compose version failed"
fi

q "$PORT" postgres 1234 postgres_db "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')" >/dev/null 2>&1
out=$(cd "$S" && PWD=$S COMPOSE_PROJECT_NAME=$RUN-seed "$DEVSTACK" down 2>&1 </dev/null &&
    PWD=$S COMPOSE_PROJECT_NAME=$RUN-seed "$DEVSTACK" up -d 2>&1 </dev/null)
rc=$?
wait_sql "$PORT" postgres 1234 postgres_db 60
out=$(q "$PORT" postgres 1234 postgres_db "SELECT v FROM kept" 2>&1)
check "down and up again: the data in the bind mount is kept" '[ "$out" = "still here" ]'
out=$(logs "$C" 2>&1)
check "the second start skips the initialization" \
    'grep -q "appears to contain a database; Skipping initialization" <<<"$out" && ! grep -q "init process complete" <<<"$out"'

# The guide's alembic.ini: user and password as query parameters of the URL.
# devstack's own db current reads it as Alembic (with psycopg2) does.
cp -rL "$ROOT/tests/fixtures/alembic/linear/." "$S/"
sed -i "s|^sqlalchemy.url = .*|sqlalchemy.url = postgresql://localhost:$PORT/postgres_db?user=postgres\&password=1234|" \
    "$S/alembic.ini"
# shellcheck disable=SC2030,SC2031 # each a subshell of its own
alembic_current() { (cd "$S" && unset DATABASE_URL && PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m alembic "$@" 2>/dev/null); }
# shellcheck disable=SC2030,SC2031
ds_current() { (cd "$S" && unset DATABASE_URL && "$DEVSTACK" db current 2>&1 </dev/null); }
out=$(ds_current)
rc=$?
want=$(alembic_current current)
arc=$?
check "db current with the guide's alembic.ini URL: no revision yet, as Alembic says" \
    '[ "$rc" -eq 0 ] && [ "$arc" -eq 0 ] && [ -z "$out" ] && [ "$out" = "$want" ]'
alembic_current upgrade head >/dev/null
out=$(ds_current)
want=$(alembic_current current)
check "... and the head after alembic upgrade head, as Alembic says, the password not shown" \
    '[ -n "$want" ] && [ "$out" = "$want" ] && ! grep -q 1234 <<<"$out"'

# ---- init scripts, and no TCP while they run ----------------------------------------

I=$TMP/init
PORT=$(free_port)
mkdir -p "$I/initdb" "$I/flag"
printf 'CREATE TABLE steps (n int, what text);\nINSERT INTO steps VALUES (1, %s);\n' "'sql'" >"$I/initdb/01-schema.sql"
printf 'INSERT INTO steps VALUES (2, %s);\n' "'gz'" | gzip >"$I/initdb/02-data.sql.gz"
# it waits until the test has tried TCP (and created /flag/go), at most a minute
cat >"$I/initdb/03-run.sh" <<'EOF'
#!/bin/bash
set -e
echo "init script: waiting"
for _ in $(seq 1 600); do
    [ -e /flag/go ] && break
    sleep 0.1
done
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "INSERT INTO steps VALUES (3, 'executable sh as ' || current_user)"
EOF
chmod 755 "$I/initdb/03-run.sh"
# not executable: sourced, so the entrypoint's docker_process_sql is there
printf '%s\n' "echo \"INSERT INTO steps VALUES (4, 'sourced sh')\" | docker_process_sql" >"$I/initdb/04-sourced.sh"
chmod 644 "$I/initdb/04-sourced.sh"
cat >"$I/compose.yaml" <<EOF
services:
  db:
    image: $STANDIN
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: "p@ss word"
      POSTGRES_DB: appdb
    volumes:
      - ./initdb:/docker-entrypoint-initdb.d:ro
      - ./flag:/flag:ro
    ports:
      - "127.0.0.1:$PORT:5432"
EOF
C=$RUN-init-db-1
# up -d returns once the app user can query: it is still waiting while the scripts run
(cd "$I" && COMPOSE_PROJECT_NAME=$RUN-init exec "$DEVSTACK" up -d >"$TMP/up.out" 2>&1 </dev/null) &
UP=$!
if wait_log "$C" "init script: waiting" 60; then
    pg_isready -q -h 127.0.0.1 -p "$PORT" -t 1
    rc=$?
    out=$(logs "$C" | tail -n 5)
    check "while the init scripts run, the server does not answer over TCP (pg_isready rc $rc)" \
        '[ "$rc" -ne 0 ] && ! grep -q "init process complete" <<<"$out"'
    check "... and devstack up -d is still waiting for the database" 'kill -0 "$UP" 2>/dev/null'
else
    out=$(logs "$C" 2>&1 | tail -n 20)
    not_ok "the executable init script runs"
fi
touch "$I/flag/go"
wait "$UP"
rc=$?
out=$(cat "$TMP/up.out"; q "$PORT" app 'p@ss word' appdb "SELECT 'queried'" 2>&1)
check "once they ran, devstack up -d returns and the app user can query at once" \
    '[ "$rc" -eq 0 ] && [ "$(tail -n 1 <<<"$out")" = queried ]'
out=$(q "$PORT" app 'p@ss word' appdb "SELECT string_agg(n || ':' || what, ',' ORDER BY n) FROM steps" 2>&1)
check "the .sql, .sql.gz, executable .sh and sourced .sh run in order, against POSTGRES_DB" \
    '[ "$out" = "1:sql,2:gz,3:executable sh as app,4:sourced sh" ]'
out=$(q "$PORT" app 'p@ss word' postgres "SELECT rolsuper FROM pg_roles WHERE rolname = current_user" 2>&1)
check "POSTGRES_USER is the superuser" '[ "$out" = t ]'

# ---- POSTGRES_PASSWORD_FILE, and no password at all ----------------------------------

F=$TMP/file
PORT=$(free_port)
mkdir -p "$F"
printf 'from-a-secret\n' >"$F/pw.txt"
cat >"$F/compose.yaml" <<EOF
services:
  db:
    image: $STANDIN
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/pw
    secrets: [pw]
    ports:
      - "127.0.0.1:$PORT:5432"
  nopw:
    image: $STANDIN
secrets:
  pw:
    file: ./pw.txt
EOF
out=$(cd "$F" && COMPOSE_PROJECT_NAME=$RUN-file "$DEVSTACK" up -d db 2>&1 </dev/null)
rc=$?
wait_sql "$PORT" postgres from-a-secret postgres 60
out=$(q "$PORT" postgres from-a-secret postgres "SELECT current_user" 2>&1)
check "POSTGRES_PASSWORD_FILE: the secret's password logs in as postgres, into database postgres" '[ "$out" = postgres ]'
out=$(q "$PORT" postgres wrong postgres "SELECT 1" 2>&1)
check "another password is refused" 'grep -q "password authentication failed" <<<"$out"'
out=$(cd "$F" && COMPOSE_PROJECT_NAME=$RUN-file "$DEVSTACK" up -d nopw 2>&1 </dev/null)
C=$RUN-file-nopw-1
for _ in $(seq 1 100); do
    [ "$(inspect "$C" 'c["State"]["Status"]' 2>/dev/null)" = exited ] && break
    sleep 0.1
done
out=$(inspect "$C" 'c["State"]["Status"], c["State"]["ExitCode"]' 2>&1; logs "$C" 2>&1)
check "without POSTGRES_PASSWORD the container stops with the official image's message" \
    'grep -q "^exited 1" <<<"$out" && grep -q "You must specify POSTGRES_PASSWORD to a non-empty value" <<<"$out"'

tap_done
