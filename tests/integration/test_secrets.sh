#!/usr/bin/env bash
# Secrets and configs on the real engine, as Compose v2 gives them:
#   - a MariaDB service (the stand-in for mysql:8.0) with
#     MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password from a file secret
#     (0600 on the host, so only root can read it) starts, and accepts that
#     password and no other; devstack's own db wait, up --wait and db current
#     read the password from the secret and never print it;
#   - in a busybox service: a file secret is a read-only bind mount with the
#     host file's mode; an `environment:` secret and `environment:`/`content:`
#     configs are files with the uid, gid and mode given (0444 root:root when
#     not given), checked with stat inside the container;
#   - changing a secret's mode recreates the container, a changed file's
#     content does not (as with Compose) but shows through the mount;
#   - an external secret, a missing file, an unset variable are refused
#     before anything is created.
# Where `docker compose` (v2) is installed the busybox project runs through
# it too and must show the same files with the same owners and modes.
# Projects are named dssec<pid>-<x>; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dssec$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_secrets.XXXXXX")
MARIADB=devstack/mariadb:10.11
DB_PASSWORD='S3cret-from-a-file'

cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

# files CONTAINER: "path mode uid:gid content" for each file the project puts in
files() {
    docker_exec "$1" sh -c 'for f in /run/secrets/pw /run/secrets/token /etc/abs-token /inline /etc/app/env.conf; do
        printf "%s %s %s\n" "$f" "$(stat -c "%a %u:%g" "$f" 2>&1)" "$(tr -d "\n" <"$f" 2>&1)"; done'
}
# docker_exec CONTAINER CMD...: run CMD in the container through the Engine API, output on stdout
docker_exec() {
    local c=$1 id body
    shift
    body=$(python3 -c 'import json,sys; print(json.dumps({"AttachStdout":True,"AttachStderr":True,"Tty":True,"Cmd":sys.argv[1:]}))' "$@")
    id=$(curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/json' -d "$body" \
        "http://localhost/v1.41/containers/$c/exec" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])') || return 1
    curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/json' -d '{"Detach":false,"Tty":true}' \
        "http://localhost/v1.41/exec/$id/start" | tr -d '\r'
}
# mounts CONTAINER: "type source target rw" per mount of inspect, sorted
mounts() {
    api "/containers/$1/json" | python3 -c '
import json, sys
for m in sorted(json.load(sys.stdin)["Mounts"], key=lambda m: m["Destination"]):
    print(m["Type"], m["Source"], m["Destination"], "rw" if m["RW"] else "ro")'
}
container_id() { api "/containers/$1/json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])'; }

# ---- files, modes, owners: busybox ----------------------------------------------

B=$TMP/$RUN-b
mkdir -p "$B"
printf 'pw-from-file\n' >"$B/pw.txt"
chmod 0640 "$B/pw.txt"
printf 'TOKEN=t0ken-from-env\n' >"$B/.env"
cat >"$B/compose.yaml" <<'EOF'
services:
  app:
    image: devstack-test/busybox:latest
    command: [sleep, "600"]
    init: true
    secrets:
      - pw
      - source: tok
        target: token
        uid: "1000"
        gid: "1001"
        mode: 0400
      - source: tok
        target: /etc/abs-token
    configs:
      - inline
      - source: cfgenv
        target: /etc/app/env.conf
        mode: 0600
secrets:
  pw:
    file: ./pw.txt
  tok:
    environment: TOKEN
configs:
  inline:
    content: |
      port=${PORT:-8080}
  cfgenv:
    environment: TOKEN
EOF
WANT="/run/secrets/pw 640 0:0 pw-from-file
/run/secrets/token 400 1000:1001 t0ken-from-env
/etc/abs-token 444 0:0 t0ken-from-env
/inline 444 0:0 port=8080
/etc/app/env.conf 600 0:0 t0ken-from-env"
# Podman's archive API makes every file it is given root's
on_podman && WANT=${WANT//1000:1001/0:0}

ds "$B" -p "$RUN-b" up -d --progress plain
up_out=$out
check "up -d with file, environment and content secrets and configs" '[ $rc -eq 0 ]'
C=$RUN-b-app-1
out=$(files "$C")
check "in the container: each file with its mode and content (stat)" '[ "$out" = "$WANT" ]'
if on_podman; then
    differs secret-owner "in the container: the token secret is owned by the uid:gid the file gives"
    check "up warns that Podman makes the secret tok root's, naming it" \
        '[[ $up_out == *"secret '"'"'tok'"'"' at /run/secrets/token is root'"'"'s (0:0), not 1000:1001: Podman keeps no owner"* ]]'
fi
m=$(mounts "$C")
check "a file secret is a read-only bind mount of the host file; the others are not mounts" \
    '[ "$m" = "bind $B/pw.txt /run/secrets/pw ro" ]'
out=$(docker_exec "$C" sh -c 'echo x >/run/secrets/pw 2>&1; echo rc=$?')
check "the mounted secret cannot be written from inside" '[[ $out == *"Read-only file system"* ]]'

id1=$(container_id "$C")
printf 'new-content\n' >"$B/pw.txt"
ds "$B" -p "$RUN-b" up -d --progress plain
id2=$(container_id "$C")
check "a changed secret file does not recreate the container (as Compose)" '[ $rc -eq 0 ] && [ "$id1" = "$id2" ]'
out=$(docker_exec "$C" cat /run/secrets/pw)
check "... and the mount shows the new content" '[ "$out" = new-content ]'
sed -i 's/mode: 0400/mode: 0440/' "$B/compose.yaml"
ds "$B" -p "$RUN-b" up -d --progress plain
id3=$(container_id "$C")
got=$(docker_exec "$C" stat -c '%a %u:%g' /run/secrets/token)
want_got="440 1000:1001"
on_podman && want_got="440 0:0"
check "a changed mode recreates the container with the new mode" \
    '[ $rc -eq 0 ] && [ "$id3" != "$id2" ] && [ "$got" = "$want_got" ]'
sed -i 's/mode: 0440/mode: 0400/' "$B/compose.yaml"
printf 'pw-from-file\n' >"$B/pw.txt"

# ---- refused before anything is made ------------------------------------------------

R=$TMP/$RUN-r
mkdir -p "$R"
cat >"$R/compose.yaml" <<'EOF'
services:
  app:
    image: devstack-test/busybox:latest
    command: [sleep, "600"]
    secrets: ["${WHICH}"]
secrets:
  ext:
    external: true
  missing:
    file: ./nope.txt
  unset:
    environment: DSSEC_NOT_SET
EOF
for which in ext missing unset; do
    out=$(cd "$R" && env WHICH=$which "$DEVSTACK" -p "$RUN-r" up -d --progress plain </dev/null 2>&1)
    rc=$?
    case $which in
    ext) want="compose.yaml:7:3: secrets.ext: external secrets exist only in swarm mode" ;;
    missing) want="compose.yaml:9:3: secrets.missing.file: cannot use '$R/nope.txt'" ;;
    unset) want="compose.yaml:11:3: secrets.unset.environment: the variable 'DSSEC_NOT_SET' is not set" ;;
    esac
    made=$(api "/containers/json?all=1" | grep -c "$RUN-r-" || true)
    check "up refuses a secret that is $which, with file:line:col, creating nothing" \
        '[ $rc -eq 1 ] && [[ $out == *"$want"* ]] && [ "$made" -eq 0 ]'
done

# ---- MariaDB with MYSQL_ROOT_PASSWORD_FILE ---------------------------------------------

# the stand-in reads *_FILE as root, as the official image does (rebuilt when its files changed)
if ! "$ROOT/scripts/standin-images.sh" --only mariadb >"$TMP/standin.log" 2>&1; then
    not_ok "the MariaDB stand-in $MARIADB is built" "$(tail -n 20 "$TMP/standin.log")"
    tap_done
    exit
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
D=$TMP/$RUN-d
mkdir -p "$D/alembic/versions"
printf '%s\n' "$DB_PASSWORD" >"$D/db-password.txt"
chmod 0600 "$D/db-password.txt"
printf '[alembic]\nscript_location = alembic\n' >"$D/alembic.ini"
cat >"$D/compose.yaml" <<EOF
services:
  db:
    image: $MARIADB
    environment:
      MYSQL_ROOT_PASSWORD_FILE: /run/secrets/db-password
      MYSQL_DATABASE: app
    ports: ["127.0.0.1:$PORT:3306"]
    secrets:
      - db-password
secrets:
  db-password:
    file: ./db-password.txt
EOF
ds "$D" -p "$RUN-d" up -d --wait --progress plain
check "MariaDB with MYSQL_ROOT_PASSWORD_FILE from a 0600 file secret comes up (up --wait)" \
    '[ $rc -eq 0 ] && [[ $out == *"ready"* ]]'
check "... and up never prints the password" '[[ $out != *"$DB_PASSWORD"* ]]'
DC=$RUN-d-db-1
out=$(docker_exec "$DC" mariadb -uroot -p"$DB_PASSWORD" -h127.0.0.1 -N -B -e 'SELECT CURRENT_USER()')
check "the server accepts the secret's password for root" '[[ $out == "root@%"* ]]'
out=$(docker_exec "$DC" mariadb -uroot -pnot-the-password -h127.0.0.1 -N -B -e 'SELECT 1')
check "... and refuses another one" '[[ $out == *"Access denied"* ]]'
out=$(docker_exec "$DC" stat -c '%a %u' /run/secrets/db-password)
check "the secret file in the container keeps the host file's mode (0600 root)" '[ "$out" = "600 0" ]'
ds "$D" -p "$RUN-d" db wait
check "devstack db wait reads the password from the secret" '[ $rc -eq 0 ] && [[ $out != *"$DB_PASSWORD"* ]]'
ds "$D" -p "$RUN-d" db current
check "devstack db current connects with it" '[ $rc -eq 0 ] && [[ $out != *"$DB_PASSWORD"* ]]'
printf 'wrong\n' >"$D/db-password.txt"
ds "$D" -p "$RUN-d" db current
check "... a different secret is refused by the server, and not printed" \
    '[ $rc -ne 0 ] && [[ $out == *"access denied"* && $out != *wrong* ]]'
printf '%s\n' "$DB_PASSWORD" >"$D/db-password.txt"

# ---- the same through Compose -------------------------------------------------------------

if docker compose version 2>/dev/null | grep -q 'version v\?2'; then
    (cd "$B" && docker compose -p "$RUN-c" up -d </dev/null >"$TMP/compose.log" 2>&1)
    rc=$?
    check "docker compose up -d on the same busybox project" '[ $rc -eq 0 ]'
    out=$(files "$RUN-c-app-1")
    check "Compose gives the same files, modes, owners and contents" '[ "$out" = "$WANT" ]'
    m_c=$(mounts "$RUN-c-app-1")
    check "... and the same read-only bind mount" '[ "$m_c" = "bind $B/pw.txt /run/secrets/pw ro" ]'
    # the MariaDB project, on the same port once devstack's is down
    ds "$D" -p "$RUN-d" down -v -t 0
    (cd "$D" && docker compose -p "$RUN-e" up -d </dev/null >"$TMP/compose.log" 2>&1)
    rc=$?
    out=""
    for _ in $(seq 90); do
        out=$(docker_exec "$RUN-e-db-1" mariadb -uroot -p"$DB_PASSWORD" -h127.0.0.1 -N -B -e 'SELECT CURRENT_USER()' 2>&1)
        [[ $out == "root@%"* ]] && break
        sleep 1
    done
    check "through Compose the MariaDB service accepts the secret's password too" '[ $rc -eq 0 ] && [[ $out == "root@%"* ]]'
    out=$(docker_exec "$RUN-e-db-1" stat -c '%a %u' /run/secrets/db-password)
    check "... with the same mode on the secret file" '[ "$out" = "600 0" ]'
elif [ "${CI:-}" = true ]; then
    not_ok "compose: side by side: docker compose v2 is installed" \
        "setup installs it (scripts/setup.sh --deps-only, as root); nothing may skip in CI"
else
    ok "compose: side by side # SKIP docker compose v2 is not installed (scripts/setup.sh --deps-only installs it)"
fi

tap_done
