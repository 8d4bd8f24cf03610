#!/usr/bin/env bash
# `devstack reset` never deletes what is not the project's, on the real
# engine: an external volume, a volume another project made, a bind
# directory that is the repository root (MYSQL_DATA=..), the home directory
# or the project directory itself are refused before anything is touched;
# a DATABASE_URL in the shell that names another server is refused (the
# snapshot would be of the wrong database); the printed plan names the
# database it snapshots; Ctrl-C while the stack stops deletes nothing.
# Projects are named dsrst<pid>-<x>; the EXIT trap removes them.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dsrst$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_reset_safety.XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SHARED=$RUN-team-shared-data
FOREIGN=$RUN-foreign

cleanup() {
    remove_projects "$RUN"
    for v in "$SHARED" "$FOREIGN"; do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/volumes/$v?force=1" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
unset DATABASE_URL

volume_exists() { api "/volumes/$1" >/dev/null 2>&1; }
make_volume() { # make_volume NAME [PROJECT]
    local labels='{}'
    [ -n "${2:-}" ] && labels="{\"com.docker.compose.project\": \"$2\", \"com.docker.compose.volume\": \"db-data\"}"
    curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/json' -X POST \
        -d "{\"Name\": \"$1\", \"Labels\": $labels}" http://localhost/volumes/create >/dev/null
}

# project X VOLUMES-BLOCK [TOP-LEVEL]: a repository $TMP/X (git, a file worth keeping) with its
# compose file in $TMP/X/compose; the database service runs the test image
project() {
    local dir=$TMP/$1
    mkdir -p "$dir/compose" "$dir/mysql/data"
    git -C "$dir" init -q 2>/dev/null
    echo precious >"$dir/README"
    echo row >"$dir/mysql/data/ibdata1"
    cat >"$dir/compose/compose.yaml" <<YAML
name: $RUN-$1
services:
  db:
    image: $IMAGE
    command: ["sh", "-c", "trap '' TERM; sleep 600 & wait"]
    environment: {MYSQL_DATABASE: app, MYSQL_USER: app, MYSQL_PASSWORD: pw, MYSQL_ROOT_PASSWORD: r}
    ports: ["127.0.0.1:$PORT:3306"]
${2:-}
${3:-}
YAML
}

# ---- volumes that are not the project's ------------------------------------------
make_volume "$SHARED"
project ext "    volumes: [db-data:/var/lib/mysql]" "volumes: {db-data: {external: true, name: $SHARED}}"
ds "$TMP/ext/compose" reset --yes --no-snapshot
check "reset refuses an external volume, saying whose it is not" \
    '[ $rc -ne 0 ] && [[ $out == *"volume '"'$SHARED'"' is external: its data is not project"* ]]'
check "... and says how to remove it by hand if that is meant" '[[ $out == *"docker volume rm $SHARED"* ]]'
check "... and the volume is still there" 'volume_exists "$SHARED"'

make_volume "$FOREIGN" "$RUN-other"
project foreign "    volumes: [db-data:/var/lib/mysql]" "volumes: {db-data: {name: $FOREIGN}}"
ds "$TMP/foreign/compose" reset --yes --no-snapshot
check "reset refuses a volume another project made" \
    '[ $rc -ne 0 ] && [[ $out == *"volume '"'$FOREIGN'"' was made by project '"'$RUN-other'"'"* ]] && volume_exists "$FOREIGN"'

# ---- bind directories that are not the data's to empty -----------------------------
project bind "    volumes: ['\${MYSQL_DATA:-../mysql/data}:/var/lib/mysql']"
for bad in .. . '~'; do
    case $bad in
    '~') home=$TMP/home && mkdir -p "$home" && echo mine >"$home/file" ;;
    *) home=$HOME ;;
    esac
    out=$(cd "$TMP/bind/compose" && HOME=$home MYSQL_DATA=$bad "$DEVSTACK" reset --yes --no-snapshot </dev/null 2>&1)
    rc=$?
    want="refusing to empty '/"
    check "MYSQL_DATA=$bad: reset refuses to empty it, naming the resolved path" \
        '[ $rc -ne 0 ] && [[ $out == *"$want"* ]] && [[ $out == *"mounts it at /var/lib/mysql"* ]]'
done
check "... and nothing was deleted: the repository, its .git and the home directory are whole" \
    '[ -f "$TMP/bind/README" ] && [ -d "$TMP/bind/.git" ] && [ -f "$TMP/bind/mysql/data/ibdata1" ] && [ -f "$TMP/home/file" ]'
ds "$TMP/bind/compose" reset --no-snapshot
want="DELETE the database's data: everything in '$TMP/bind/mysql/data'"
check "the right directory is accepted: the plan lists it (and no terminal to confirm)" \
    '[ $rc -ne 0 ] && [[ $out == *"$want"* ]] && [ -f "$TMP/bind/mysql/data/ibdata1" ]'

# ---- a DATABASE_URL in the shell --------------------------------------------------------
project url "    volumes: [db-data:/var/lib/mysql]" "volumes: {db-data: {}}"
out=$(cd "$TMP/url/compose" && DATABASE_URL=mysql://u:secret@10.0.0.9:3306/prod "$DEVSTACK" reset --yes --keep-data </dev/null 2>&1)
rc=$?
check "reset refuses when DATABASE_URL names another server, naming both" \
    '[ $rc -ne 0 ] && [[ $out == *"DATABASE_URL names database '"'prod'"' on 10.0.0.9:3306, but reset acts on the stack'"'"'s database: database '"'app'"' on 127.0.0.1:$PORT"* ]] && [[ $out == *"--stack-db"* ]]'
check "... and never prints the password" '[[ $out != *secret* ]]'
out=$(cd "$TMP/url/compose" && DATABASE_URL=mysql://app:pw@localhost:$PORT/app "$DEVSTACK" reset </dev/null 2>&1)
rc=$?
check "a DATABASE_URL naming the stack's own database is fine; the plan names what it snapshots" \
    '[[ $out == *"first, a snapshot of database '"'app'"' on localhost:$PORT (from DATABASE_URL)"* ]]'
ds "$TMP/url/compose" reset
check "without DATABASE_URL the plan names the service's database" \
    '[[ $out == *"first, a snapshot of database '"'app'"' on 127.0.0.1:$PORT (service '"'db'"')"* ]]'

# ---- Ctrl-C while the stack stops: nothing deleted -----------------------------------------
ds "$TMP/url/compose" up --no-start db
curl -sS --unix-socket "$SOCK" -X POST "http://localhost/containers/$RUN-url-db-1/start"
VOL=$RUN-url_db-data
check "the project is up, its volume made" '[ $rc -eq 0 ] && volume_exists "$VOL" && api "/containers/$RUN-url-db-1/json" | grep -q "\"Running\":true"'
(cd "$TMP/url/compose" && exec "$DEVSTACK" reset --yes --no-snapshot </dev/null >"$TMP/int.out" 2>&1) &
pid=$!
for _ in $(seq 100); do grep -q "Stopping" "$TMP/int.out" 2>/dev/null && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
rc=$? out=$(cat "$TMP/int.out")
check "Ctrl-C while reset stops the stack (the db ignores SIGTERM): exit 130, no data deleted" \
    '[ $rc -eq 130 ] && [[ $out == *"interrupted"* ]] && [[ $out == *"no data was deleted"* ]] && [[ $out != *"deleted volume"* ]]'
check "... and the volume is still there" 'volume_exists "$VOL"'

tap_done
