#!/usr/bin/env bash
# A database's data volume holds one engine's files, against the real engine:
# a compose file switched from PostgreSQL (devstack/postgres:15) to MariaDB
# (devstack/mariadb:10.11) that keeps the volume's name makes `up` refuse,
# naming the volume, both databases, how it knows and the way out, and
# changing nothing (the old server keeps running on its data). It knows
#   - from the label dev.devstack.database devstack puts on the volumes it
#     makes for a data directory (also once the stack is down);
#   - from the containers of the project (a volume `docker compose` made has
#     no such label);
#   - for a bind-mounted directory, from the files in it (PG_VERSION).
# `reset --yes --no-snapshot` with the switched file starts over on a fresh
# volume, labelled for MariaDB; the same database again is never refused.
# Projects are named tdatavol<pid>-<x>; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
# shellcheck disable=SC2016,SC2034  # check() evaluates its conditions, single-quoted
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
PG_IMAGE=devstack/postgres:15
MY_IMAGE=devstack/mariadb:10.11
RUN=tdatavol$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_data_volumes.XXXXXX")
LIMIT=120 # seconds any one command may take before it counts as hung
LABEL=dev.devstack.database

test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
for image in "$PG_IMAGE" "$MY_IMAGE"; do
    docker image inspect "$image" >/dev/null 2>&1 ||
        tap_bail "the image $image is on the engine: scripts/standin-images.sh builds it"
done
docker compose version >/dev/null 2>&1 || tap_bail "docker compose (v2) is installed"

cleanup() {
    local d
    for d in "$TMP"/*/; do
        [ -f "$d/compose.yaml" ] &&
            (cd "$d" && timeout $LIMIT "$DEVSTACK" down -v --progress quiet >/dev/null 2>&1)
    done
    remove_projects "$RUN"
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
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# postgres DIR SOURCE / mariadb DIR SOURCE: DIR/compose.yaml, project tdatavol<pid>-<DIR's
# name>, its service db keeping its data in SOURCE (the volume `data` or a directory), its
# port a free one of the project's
port() { [ -f "$1/port" ] || free_port >"$1/port"; cat "$1/port"; }
postgres() {
    mkdir -p "$1"
    cat >"$1/compose.yaml" <<EOF
name: $RUN-$(basename "$1")
services:
  db:
    image: $PG_IMAGE
    environment: {POSTGRES_USER: app, POSTGRES_PASSWORD: app-pw, POSTGRES_DB: shop}
    ports: ['127.0.0.1:$(port "$1"):5432']
    volumes: ['$2:/var/lib/postgresql/data']
    healthcheck:
      test: [CMD-SHELL, pg_isready -U app -d shop -h 127.0.0.1]
      interval: 1s
      retries: 60
volumes:
  data:
EOF
}
mariadb() {
    mkdir -p "$1"
    cat >"$1/compose.yaml" <<EOF
name: $RUN-$(basename "$1")
services:
  db:
    image: $MY_IMAGE
    environment: {MYSQL_ROOT_PASSWORD: root-pw, MYSQL_DATABASE: shop, MYSQL_USER: app, MYSQL_PASSWORD: app-pw}
    ports: ['127.0.0.1:$(port "$1"):3306']
    volumes: ['$2:/var/lib/mysql']
    healthcheck:
      test: [CMD-SHELL, "MYSQL_PWD=app-pw mysql --protocol=TCP -h 127.0.0.1 -uapp -D shop -N -e 'SELECT 1'"]
      interval: 1s
      retries: 120
volumes:
  data:
EOF
}
volume_label() { docker volume inspect -f "{{index .Labels \"$LABEL\"}}" "$1" 2>/dev/null; }
# in_volume VOLUME FILE: FILE's contents in the volume (a throwaway container reads it)
in_volume() { timeout 30 docker run --rm -v "$1:/v:ro" "$TEST_IMAGE" cat "/v/$2" 2>/dev/null; }
# pg_files VOLUME: the volume holds PostgreSQL's files and nothing of MariaDB's (no mysql/)
pg_files() {
    [ "$(in_volume "$1" PG_VERSION)" = 15 ] &&
        timeout 30 docker run --rm -v "$1:/v:ro" "$TEST_IMAGE" test ! -e /v/mysql
}
container_id() { docker inspect -f '{{.Id}}' "$1" 2>/dev/null; }
running() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
# the volumes no container mounts, one a line (a container that was removed without -v leaves its anonymous ones)
dangling() { docker volume ls -q --filter dangling=true | sort; }
# new_dangling BEFORE: those of them that were not in BEFORE
new_dangling() { comm -13 <(printf '%s\n' "$1" | sed '/^$/d') <(dangling); }
# psql_in CONTAINER SQL: as the app user, inside the container; sets rc and out
psql_in() {
    out=$(timeout 30 docker exec "$1" psql -X -At -U app -d shop -c "$2" 2>&1)
    rc=$?
}
# refused TEXT...: up's last run failed with the conflict's message and hint, each TEXT in it
refused() {
    local t
    [ "$rc" -ne 0 ] || return 1
    [[ $err == *"holds PostgreSQL's data"*"for MySQL, which cannot start on it"* ]] || return 1
    [[ $err == *"'devstack reset --no-snapshot'"* ]] || return 1
    for t in "$@"; do [[ $err == *"$t"* ]] || return 1; done
}

# ---- a. PostgreSQL on a named volume: the volume says whose data it holds ------------------

A=$TMP/a PA=$RUN-a
postgres "$A" data
dx "$A" up -d --wait --progress plain
psql_in "$PA-db-1" "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('precious')"
check "a. up --wait: PostgreSQL on the volume data, answering" \
    '[ $rc -eq 0 ] && running "$PA-db-1" && [[ $out == *INSERT* ]]'
check "... the volume it made is labelled $LABEL=postgresql" \
    '[ "$(volume_label "${PA}_data")" = postgresql ]'
pg_id=$(container_id "$PA-db-1")
dx "$A" up -d --progress plain
check "... the same file again: up is not refused, and the label is no drift" \
    '[ $rc -eq 0 ] && [ "$(container_id "$PA-db-1")" = "$pg_id" ] && [[ $err != *"does not match"* ]]'

# ---- b. the file switched to MariaDB on the same volume: refused, nothing changed ----------

mariadb "$A" data
dx "$A" up -d --progress plain
check "b. up with the file switched to MariaDB on the volume: refused, naming the volume, PostgreSQL, MySQL and the way out" \
    'refused "volume '"'${PA}_data'"'" "service '"'db'"'" "at /var/lib/mysql"'
check "... PostgreSQL's container untouched, still running" \
    '[ "$(container_id "$PA-db-1")" = "$pg_id" ] && running "$PA-db-1"'
psql_in "$PA-db-1" "SELECT v FROM kept"
check "... still answering, with its data" '[ $rc -eq 0 ] && [ "$out" = precious ]'
check "... the volume kept as it was: its label, PostgreSQL's files, no mysql/" \
    '[ "$(volume_label "${PA}_data")" = postgresql ] && pg_files "${PA}_data"'

# ---- c. down (the volume kept), then the switched file: the label tells -------------------

postgres "$A" data
dx "$A" down --progress plain
down_rc=$rc
mariadb "$A" data
dx "$A" up -d --progress plain
check "c. after down, up with the switched file: still refused, by the volume's label" \
    '[ $down_rc -eq 0 ] && refused "volume '"'${PA}_data'"'" "(its label $LABEL=postgresql)"'
check "... no container made, PostgreSQL's files still in the volume" \
    '[ -z "$(container_id "$PA-db-1")" ] && pg_files "${PA}_data"'

# ---- d. a volume docker compose made (no label): the project's container tells -------------

D=$TMP/d PD=$RUN-d
postgres "$D" data
if on_podman; then
    # Compose's --wait waits for a healthcheck that Podman without systemd never runs;
    # devstack runs it (test_up_flags.sh): here the server's files tell when it is up
    differs compose-wait "d. docker compose up --wait returns once PostgreSQL is healthy"
    (cd "$D" && timeout $LIMIT docker compose up -d >"$TMP/compose.out" 2>&1)
    compose_rc=$?
    for _ in $(seq 60); do
        psql_in "$PD-db-1" "SELECT 1"
        [ "$rc" -eq 0 ] && break
        sleep 0.5
    done
else
    (cd "$D" && timeout $LIMIT docker compose up -d --wait >"$TMP/compose.out" 2>&1)
    compose_rc=$?
fi
out=$(<"$TMP/compose.out") rc=$compose_rc err=
check "d. docker compose up: PostgreSQL on a volume without devstack's label" \
    '[ $compose_rc -eq 0 ] && running "$PD-db-1" && [ "$(in_volume "${PD}_data" PG_VERSION)" = 15 ] && [ -z "$(volume_label "${PD}_data")" ]'
compose_id=$(container_id "$PD-db-1")
mariadb "$D" data
dx "$D" up -d --progress plain
check "... devstack up with the switched file: refused, by the container that mounts it" \
    'refused "volume '"'${PD}_data'"'" "(/var/lib/postgresql/data in container $PD-db-1)"'
check "... Compose's container untouched and answering" \
    '[ "$(container_id "$PD-db-1")" = "$compose_id" ] && running "$PD-db-1" && psql_in "$PD-db-1" "SELECT 1" && [ "$out" = 1 ] && pg_files "${PD}_data"'

# ---- d2. that volume after docker compose down: no label, no container; its files tell --------

(cd "$D" && postgres "$D" data && timeout $LIMIT docker compose down >/dev/null 2>&1)
mariadb "$D" data
before=$(dangling)
dx "$D" up -d --progress plain
check "d2. after docker compose down, devstack up with the switched file: refused, by the volume's files" \
    'refused "volume '"'${PD}_data'"' holds PostgreSQL'"'"'s data (its PG_VERSION file)" && [ -z "$(container_id "$PD-db-1")" ] && pg_files "${PD}_data"'
check "... the container it looked through is gone, with the anonymous volume the engine made for its image's VOLUME" \
    '[ -z "$(docker ps -aq --filter label=dev.devstack.peek)" ] && [ -z "$(new_dangling "$before")" ] && docker volume inspect "${PD}_data" >/dev/null'
postgres "$D" data
dx "$D" up -d --wait --progress plain
check "... and the PostgreSQL file on it is not refused" '[ $rc -eq 0 ] && running "$PD-db-1"'
dx "$D" down --progress quiet

# ---- e. a bind-mounted directory PostgreSQL initialized: its files tell --------------------

E=$TMP/e
postgres "$E" ./pgdata
dx "$E" up -d --wait --progress plain
up_rc=$rc
dx "$E" down --progress plain
files=$(ls -A "$E/pgdata" 2>/dev/null)
check "e. PostgreSQL initialized the bind directory ./pgdata, then down" \
    '[ $up_rc -eq 0 ] && [ $rc -eq 0 ] && [ -f "$E/pgdata/PG_VERSION" ]'
mariadb "$E" ./pgdata
dx "$E" up -d --progress plain
check "... up with MariaDB on the directory: refused, naming the directory and its PG_VERSION" \
    'refused "directory '"'$E/pgdata'"' holds PostgreSQL'"'"'s data (its PG_VERSION file)"'
check "... the directory's files untouched: PG_VERSION there, no mysql/ made" \
    '[ -f "$E/pgdata/PG_VERSION" ] && [ ! -e "$E/pgdata/mysql" ] && [ "$(ls -A "$E/pgdata")" = "$files" ] && [ -z "$(container_id "$RUN-e-db-1")" ]'

# ---- e2. the same as a user who may not read the directory (the image made it its own, 0700) ----

DOCKER_GID=$(stat -c %g "$SOCK")
chmod 755 "$TMP" "$E"
before=$(dangling)
out=$(cd "$E" && timeout $LIMIT setpriv --reuid=65534 --regid="$DOCKER_GID" --clear-groups \
    env HOME=/tmp "$DEVSTACK" up -d --progress plain </dev/null 2>&1)
rc=$? err=$out
check "e2. a user who cannot read ./pgdata: still refused, devstack looks through the engine" \
    '! ls "$E/pgdata" >/dev/null 2>&1 || [ "$(stat -c %a "$E/pgdata")" = 700 ] &&
     refused "directory '"'$E/pgdata'"' holds PostgreSQL'"'"'s data (its PG_VERSION file)" &&
     [ ! -e "$E/pgdata/mysql" ] && [ -z "$(container_id "$RUN-e-db-1")" ]'
check "... nothing left of the look: no container, no volume" \
    '[ -z "$(docker ps -aq --filter label=dev.devstack.peek)" ] && [ -z "$(new_dangling "$before")" ]'

# ---- f. reset --no-snapshot with the switched file starts MariaDB over -----------------------

dx "$A" reset --yes --no-snapshot
check "f. reset --yes --no-snapshot with the MariaDB file: done" \
    '[ $rc -eq 0 ] && [[ "$out$err" == *"reset done"* ]]'
my_id=$(container_id "$PA-db-1")
out=$(timeout 30 docker exec "$PA-db-1" sh -c "MYSQL_PWD=app-pw mysql -uapp -N shop -e 'SELECT VERSION()'" 2>&1)
check "... MariaDB up on a fresh volume, labelled $LABEL=mysql" \
    'running "$PA-db-1" && [[ $out == *MariaDB* ]] && [ -z "$(in_volume "${PA}_data" PG_VERSION)" ] && [ "$(volume_label "${PA}_data")" = mysql ]'

# ---- g. the same database again: never refused ------------------------------------------------

dx "$A" up -d --progress plain
check "g. up again with the MariaDB file: not refused, the container kept" \
    '[ $rc -eq 0 ] && [ "$(container_id "$PA-db-1")" = "$my_id" ] && running "$PA-db-1" && [[ $err != *"cannot start on it"* ]]'

tap_done
