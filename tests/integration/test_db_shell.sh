#!/usr/bin/env bash
# devstack db shell with names that look like client options: the stack's
# MySQL image (compose/.env) serving a database named "-e" to a user named
# "-A"; the client must open that database as that user (a leading '-' must
# never become an option of mysql/mariadb), as the app user and as root.
# A project of its own on a free port.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"
RUN=dssecdbsh$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_db_shell.XXXXXX")
P=$TMP/$RUN

ds() {
    out=$(cd "$P" && timeout 300 "$DEVSTACK" "$@" 2>&1)
    rc=$?
}
cleanup() {
    (cd "$P" && "$DEVSTACK" down -v --progress quiet >/dev/null 2>&1)
    rm -rf "$TMP"
}
trap cleanup EXIT

IMAGE=$(sed -n 's/^MYSQL_IMAGE=//p' "$ROOT/compose/.env" 2>/dev/null | tail -n 1)
[ -n "$IMAGE" ] || tap_bail "compose/.env names MYSQL_IMAGE: run 'scripts/setup.sh' (make setup) first"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$P"
cat >"$P/compose.yaml" <<EOF
services:
  db:
    image: $IMAGE
    environment:
      MYSQL_ROOT_PASSWORD: root-pw
      MYSQL_DATABASE: "-e"
      MYSQL_USER: "-A"
      MYSQL_PASSWORD: app-pw
    ports: ["127.0.0.1:$PORT:3306"]
EOF

ds up -d --wait --progress plain </dev/null
check "a server whose database is named '-e' and whose app user is '-A' comes up" '[ $rc -eq 0 ]'

ds db shell <<<"SELECT CONCAT('db=', DATABASE(), ' user=', SUBSTRING_INDEX(CURRENT_USER(), '@', 1));"
check "db shell opens the database '-e' as the user '-A' (neither became a client option)" \
    '[ $rc -eq 0 ] && [[ $out == *"db=-e user=-A"* ]]'

ds db shell --root <<<"SELECT CONCAT('db=', DATABASE(), ' user=', CURRENT_USER());"
check "db shell --root opens the database '-e' as root" \
    '[ $rc -eq 0 ] && [[ $out == *"db=-e user=root@"* ]]'

tap_done
