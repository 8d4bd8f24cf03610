#!/usr/bin/env bash
# How the bundled stack's images are chosen (scripts/standin-images.sh
# --stack, run by scripts/setup.sh and make up), against the real engine: an
# image the engine has is kept, one a registry gives is pulled and kept (no
# stand-in is built), one that cannot be had is replaced by its stand-in in
# the env file, and the env file is made from .env.example when missing. The
# registry is the stand-in of tests/fixtures/pull/registry.py on 127.0.0.1.
# The stand-in images themselves exist already (setup built them); nothing
# here builds one. TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
{ test_rootfs_ensure && test_image_ensure "$SOCK"; } || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_stack_images.XXXXXX")
CHOOSE=$ROOT/scripts/standin-images.sh
MISSING=devstack-test/never-published-$$:1

REG_PID= OPEN=
cleanup() {
    [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null
    [ -n "$OPEN" ] && curl -sS --unix-socket "$SOCK" -X DELETE \
        "http://localhost/images/127.0.0.1:$OPEN/test/busybox:1.0?force=1" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT

# choose DIR: runs the choice for DIR/.env; sets rc and out
choose() {
    out=$(bash "$CHOOSE" --stack "$1/.env" </dev/null 2>&1)
    rc=$?
}
value() { sed -n "s/^$2=//p" "$1/.env"; }
has() { [[ $out == *"$1"* ]]; }

for image in devstack/mariadb:10.11 devstack/python:3.11-fastapi devstack/nginx:bookworm devstack/phpmyadmin:bookworm; do
    if ! api "/images/$image/json" >/dev/null 2>&1; then
        echo "not ok 1 - the stand-in $image exists: run scripts/setup.sh (it builds them) first"
        exit 1
    fi
done

python3 "$ROOT/tests/fixtures/pull/registry.py" "$TEST_ROOTFS" \
    "$TMP/ports" 2>"$TMP/registry.log" &
REG_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/ports" ] && break; sleep 0.1; done
read -r OPEN _ <"$TMP/ports"

# ---- one of each case
A=$TMP/a
mkdir -p "$A"
cat >"$A/.env.example" <<EOF
# the example, with comments that must survive
COMPOSE_PROJECT_NAME=example
MYSQL_IMAGE=mysql:8.0
PYTHON_IMAGE=python:3.12-slim
NGINX_IMAGE=nginx:1.27
PHPMYADMIN_IMAGE=phpmyadmin:5.2
POSTGRES_IMAGE=devstack-test/busybox:latest
ADMINER_IMAGE=devstack-test/busybox:latest
EOF
cat >"$A/.env" <<EOF
# my settings
COMPOSE_PROJECT_NAME=mine
MYSQL_IMAGE=devstack-test/busybox:latest
PYTHON_IMAGE="127.0.0.1:$OPEN/test/busybox:1.0"
NGINX_IMAGE=$MISSING
PHPMYADMIN_IMAGE=devstack/phpmyadmin:bookworm
MYSQL_PASSWORD=s3cret
EOF
chmod 640 "$A/.env"
choose "$A"
check "the choice succeeds" '[ $rc -eq 0 ]'
check "an image the engine has is kept" \
    'has "MYSQL_IMAGE=devstack-test/busybox:latest: present in the engine" && [ "$(value "$A" MYSQL_IMAGE)" = devstack-test/busybox:latest ]'
check "an image a registry gives is pulled and kept" \
    'has "PYTHON_IMAGE=127.0.0.1:$OPEN/test/busybox:1.0: pulled" && api "/images/127.0.0.1:$OPEN/test/busybox:1.0/json" >/dev/null &&
     [ "$(value "$A" PYTHON_IMAGE)" = "\"127.0.0.1:$OPEN/test/busybox:1.0\"" ]'
check "an image that cannot be had: the reason, and its stand-in written into the file" \
    'has "NGINX_IMAGE=$MISSING: not in the engine and cannot be pulled (" && has "using the stand-in devstack/nginx:bookworm" &&
     has "wrote NGINX_IMAGE=devstack/nginx:bookworm into $A/.env" && [ "$(value "$A" NGINX_IMAGE)" = devstack/nginx:bookworm ]'
check "a stand-in already chosen stays" '[ "$(value "$A" PHPMYADMIN_IMAGE)" = devstack/phpmyadmin:bookworm ]'
check "no stand-in is built when they exist" 'has "done: 0 built, "'
check "the rest of the file is kept as it was, and its mode" \
    '[ "$(grep -c "" "$A/.env")" -eq 7 ] && head -n 2 "$A/.env" | grep -q "^COMPOSE_PROJECT_NAME=mine" &&
     grep -qx "MYSQL_PASSWORD=s3cret" "$A/.env" && [ "$(stat -c %a "$A/.env")" = 640 ]'
check "the password in the file is never printed" '! has s3cret'
cp "$A/.env" "$TMP/before"
choose "$A"
check "a second run keeps everything and writes nothing" \
    '[ $rc -eq 0 ] && ! has "wrote " && cmp -s "$A/.env" "$TMP/before"'

# ---- no env file yet: made from the example, then the stand-ins written in
B=$TMP/b
mkdir -p "$B"
sed -e "s|^MYSQL_IMAGE=.*|MYSQL_IMAGE=$MISSING|" -e "s|^PYTHON_IMAGE=.*|PYTHON_IMAGE=devstack-test/busybox:latest|" \
    -e "s|^NGINX_IMAGE=.*|NGINX_IMAGE=devstack-test/busybox:latest|" \
    -e "s|^PHPMYADMIN_IMAGE=.*|PHPMYADMIN_IMAGE=devstack-test/busybox:latest|" "$A/.env.example" >"$B/.env.example"
choose "$B"
check "a missing env file is made from .env.example, mode 600" \
    '[ $rc -eq 0 ] && has "created $B/.env from $B/.env.example" && [ "$(stat -c %a "$B/.env")" = 600 ]'
check "... and the stand-in for what cannot be had is written into it, not into the example" \
    '[ "$(value "$B" MYSQL_IMAGE)" = devstack/mariadb:10.11 ] && grep -q "^MYSQL_IMAGE=$MISSING" "$B/.env.example"'

# ---- errors
C=$TMP/c
mkdir -p "$C"
choose "$C"
check "no env file and no example: a clear error" '[ $rc -eq 1 ] && has "$C/.env does not exist and there is no $C/.env.example"'
out=$(DOCKER_HOST=unix:///nonexistent.sock bash "$CHOOSE" --stack "$A/.env" </dev/null 2>&1)
rc=$?
check "no engine: a clear error with a hint" '[ $rc -eq 1 ] && has "cannot connect to the Docker Engine" && has "hint: "'
out=$(bash "$CHOOSE" --stack "$A/.env" --only mariadb </dev/null 2>&1)
rc=$?
check "--stack with --only is a usage error" '[ $rc -eq 2 ]'

tap_done
