#!/usr/bin/env bash
# Tests of scripts/setup.sh that are safe on a machine whose engine is already
# running and must not be disturbed: nothing here starts or stops an engine.
# Prints TAP-style "ok N - ..." / "not ok N - ..." lines; exits 1 if any failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SETUP=$ROOT/scripts/setup.sh

# The tests below that need an engine use DOCKER_HOST's socket, else the
# default one, as setup.sh does.
case ${DOCKER_HOST:-} in
unix://*) SOCKET=${DOCKER_HOST#unix://} ;;
*) unset DOCKER_HOST; SOCKET=/var/run/docker.sock ;;
esac
unset DEVSTACK_STATE_DIR DEVSTACK_ENGINE_WAIT

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_setup.XXXXXX")
SLEEP_PID=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    if [ -n "$SLEEP_PID" ]; then
        kill "$SLEEP_PID" 2>/dev/null
        wait "$SLEEP_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/test_image.sh"
# A test that cannot run here is reported as skipped, never as passed; in CI nothing may skip.
skip() {
    if [ "${CI:-}" = true ]; then
        not_ok "$1" "cannot run in CI: $2"
    else
        n=$((n + 1))
        echo "skip $n - $1 ($2)"
    fi
}
# COMMAND; expect DESCRIPTION: pass if COMMAND (the previous command) succeeded.
expect() {
    local status=$?
    if [ "$status" -eq 0 ]; then
        ok "$1"
    else
        not_ok "$1" "setup.sh output (exit $rc):"$'\n'"$out"
    fi
}

# run [VAR=VALUE...] -- ARGS...: run setup.sh without stdin; sets out, err_out, rc.
run() {
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    out=$(env "${envs[@]}" bash "$SETUP" "$@" </dev/null 2>"$TMP/stderr")
    rc=$?
    err_out=$(<"$TMP/stderr")
    out="$out"$'\n'"$err_out"
}

has() { [[ $out == *"$1"* ]]; }
ping_engine() {
    [ "$(curl -fsS --max-time 5 --unix-socket "$SOCKET" http://localhost/_ping 2>/dev/null)" = OK ]
}

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1
engine_up=0
ping_engine && engine_up=1

# ---- options ----------------------------------------------------------------

run -- --help
[ "$rc" -eq 0 ]; expect "--help exits 0"
has "Usage:"; expect "--help prints usage"

run -- --bogus-option
[ "$rc" -eq 2 ]; expect "unknown option exits 2"
[[ $err_out == *"Usage:"* ]]; expect "unknown option prints usage on stderr"

run -- --deps-only --no-deps
[ "$rc" -eq 2 ]; expect "--deps-only with --no-deps exits 2"

run -- --stack --deps-only
[ "$rc" -eq 2 ]; expect "--stack with --deps-only exits 2"

# ---- packages -----------------------------------------------------------------

run -- --deps-only
first_rc=$rc
if [ "$first_rc" -ne 0 ] && [ "$is_root" -eq 0 ]; then
    skip "--deps-only second run reports all present" "not root and packages are missing"
    [ "$rc" -eq 1 ] && has "packages (" && has "install it all with one command: sudo " && has "setup.sh --deps-only"
    expect "--deps-only as non-root with missing packages exits 1 and names the one command that installs them"
else
    [ "$first_rc" -eq 0 ]; expect "--deps-only first run exits 0"
    run -- --deps-only
    [ "$rc" -eq 0 ]; expect "--deps-only second run exits 0"
    has "packages: all " && has " present, skipped"; expect "--deps-only second run reports packages present and skipped"
    ! has "installing"; expect "--deps-only second run installs nothing"
    ! grep -q "^setup: engine:" <<<"$out" && has "engine: skipped"; expect "--deps-only does not look at the engine"
    grep -q "^setup: compose: Docker Compose 2\.[0-9.]*[^ ]* and buildx present, skipped$" <<<"$out"
    expect "--deps-only second run reports Compose v2 and buildx present"
fi

# ---- Compose v2 and buildx, from Debian 13's packages, where docker finds plugins ----

if [ "$is_root" -eq 1 ]; then
    mkdir -p "$TMP/plugins"
    run DEVSTACK_CLI_PLUGINS="$TMP/plugins" -- --deps-only
    [ "$rc" -eq 0 ] && has "compose: installed Docker Compose 2." && has "and buildx in $TMP/plugins"
    expect "--deps-only installs Compose v2 and buildx when they are missing"
    "$TMP/plugins/docker-compose" version 2>/dev/null | grep -q 'version v\?2\.' &&
        "$TMP/plugins/docker-buildx" version >/dev/null 2>&1 && [ -x "$TMP/plugins/docker-compose" ]
    expect "... and they answer as Compose v2 and buildx"
    start=$(date +%s%N)
    run DEVSTACK_CLI_PLUGINS="$TMP/plugins" -- --deps-only
    ms=$((($(date +%s%N) - start) / 1000000))
    [ "$rc" -eq 0 ] && has "compose: Docker Compose 2." && has "present, skipped" && ! has "fetching" && [ "$ms" -lt 5000 ]
    expect "... and a second run leaves them as they are, quickly ($ms ms)"
    rm -rf "$TMP/plugins"
else
    skip "--deps-only installs Compose v2 and buildx when they are missing" "not root"
fi

# ---- not root: whatever is missing stops setup at once, with one command ---------

# A user other than root (nobody, when these tests run as root) whose PATH has
# a devcontainer that prints no version: the CLI counts as missing.
mkdir -p "$TMP/user/bin"
printf '#!/bin/sh\nexit 127\n' >"$TMP/user/bin/devcontainer"
chmod 755 "$TMP/user/bin/devcontainer" "$TMP/user/bin" "$TMP/user"
chmod 711 "$TMP"
as_user() {
    local start
    start=$(date +%s%N)
    if [ "$is_root" -eq 1 ]; then
        out=$(cd "$ROOT" && setpriv --reuid=65534 --regid=65534 --clear-groups -- \
            env HOME="$TMP/user" PATH="$TMP/user/bin:/usr/bin:/bin:/usr/sbin:/sbin" bash "$SETUP" "$@" </dev/null 2>&1)
    else
        out=$(cd "$ROOT" && env PATH="$TMP/user/bin:/usr/bin:/bin:/usr/sbin:/sbin" bash "$SETUP" "$@" </dev/null 2>&1)
    fi
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
}
as_user
[ "$rc" -eq 1 ] && has "not root, so nothing can be installed" && has "the devcontainers CLI 0.89.0 (npm; found: none)" &&
    grep -qx "setup: error: install it all with one command: sudo scripts/setup.sh" <<<"$out"
expect "not root, the devcontainers CLI missing: exits 1 naming 'sudo scripts/setup.sh'"
! has "packages: all" && ! has "installing" && ! has "engine:" && [ "$ms" -lt 10000 ]
expect "... at once, before any step ($ms ms)"
mkdir -p "$TMP/noplugins"
chmod 755 "$TMP/noplugins"
DEVSTACK_CLI_PLUGINS=$TMP/noplugins as_user --deps-only
[ "$rc" -eq 1 ] && has "Docker Compose v2 and buildx (docker CLI plugins" && has "sudo scripts/setup.sh --deps-only"
expect "not root, Compose v2 missing: --deps-only exits 1 naming it and the command"
as_user --stack
! has "devcontainers CLI"
expect "not root, --stack: the devcontainers CLI (a test tool) is not asked for"

# ---- engine already answering -------------------------------------------------

if [ "$engine_up" -eq 1 ]; then
    mkdir -p "$TMP/state1"
    run DEVSTACK_STATE_DIR="$TMP/state1" -- --no-deps
    [ "$rc" -eq 0 ]; expect "--no-deps with an answering engine exits 0"
    has "already answering at unix://$SOCKET, left alone"; expect "--no-deps with an answering engine says left alone"
    [ ! -e "$TMP/state1/dockerd.pid" ]; expect "--no-deps with an answering engine writes no pid file"
    ! has "installing"; expect "--no-deps with an answering engine installs nothing"
else
    for d in "exits 0" "says left alone" "writes no pid file" "installs nothing"; do
        skip "--no-deps with an answering engine $d" "no engine answers at $SOCKET"
    done
fi

# ---- --stack: what make up needs -------------------------------------------------

if [ "$engine_up" -eq 1 ]; then
    mkdir -p "$TMP/stack"
    # every image is one the engine has: the test image, imported here if missing
    test_image_ensure "$SOCKET" || not_ok "the test image $TEST_IMAGE is in the engine" "$TEST_IMAGE_ERROR"
    printf 'MYSQL_IMAGE=%s\nPYTHON_IMAGE=%s\nNGINX_IMAGE=%s\nPHPMYADMIN_IMAGE=%s\nPOSTGRES_IMAGE=%s\nADMINER_IMAGE=%s\n' \
        "$TEST_IMAGE" "$TEST_IMAGE" "$TEST_IMAGE" "$TEST_IMAGE" "$TEST_IMAGE" "$TEST_IMAGE" >"$TMP/stack/.env"
    run DEVSTACK_ENV_FILE="$TMP/stack/.env" DEVSTACK_STATE_DIR="$TMP/state1" -- --stack
    [ "$rc" -eq 0 ]; expect "--stack with everything present exits 0"
    n_build=$(sed -n '/^BUILD_PACKAGES=(/,/^)/p' "$SETUP" | grep -c '^    [a-z]')
    has "packages: all $n_build present"; expect "--stack checks the build packages only, not the test tools"
    ! has "devcontainers CLI"; expect "--stack leaves the devcontainers CLI (a test tool) alone"
    has "images: choosing the stack's images ($TMP/stack/.env)" && has "done: the stack needs no stand-in"
    expect "--stack chooses the stack's images (DEVSTACK_ENV_FILE)"
    run DEVSTACK_ENV_FILE="$TMP/stack/.env" DEVSTACK_STATE_DIR="$TMP/state1" -- --stack --no-images
    [ "$rc" -eq 0 ] && has "images: skipped" && ! has "choosing"; expect "--no-images leaves the images alone"

    # two clones of one repository: each new .env gets its own project name
    for clone in a b; do
        mkdir -p "$TMP/clones/$clone/devstack/compose"
        mkdir "$TMP/clones/$clone/devstack/.git"
        sed -e "s|^MYSQL_IMAGE=.*|MYSQL_IMAGE=$TEST_IMAGE|" -e "s|^PYTHON_IMAGE=.*|PYTHON_IMAGE=$TEST_IMAGE|" \
            -e "s|^NGINX_IMAGE=.*|NGINX_IMAGE=$TEST_IMAGE|" -e "s|^PHPMYADMIN_IMAGE=.*|PHPMYADMIN_IMAGE=$TEST_IMAGE|" \
            -e "s|^POSTGRES_IMAGE=.*|POSTGRES_IMAGE=$TEST_IMAGE|" -e "s|^ADMINER_IMAGE=.*|ADMINER_IMAGE=$TEST_IMAGE|" \
            "$ROOT/compose/.env.example" >"$TMP/clones/$clone/devstack/compose/.env.example"
        run DEVSTACK_ENV_FILE="$TMP/clones/$clone/devstack/compose/.env" DEVSTACK_STATE_DIR="$TMP/state1" -- --stack
        want=devstack-$(printf '%s' "$(cd "$TMP/clones/$clone/devstack/compose" && pwd -P)" | sha256sum | cut -c1-6)
        [ "$rc" -eq 0 ] && grep -qx "COMPOSE_PROJECT_NAME=$want" "$TMP/clones/$clone/devstack/compose/.env" &&
            has "COMPOSE_PROJECT_NAME=$want (this checkout's own project name)"
        expect "--stack makes clone $clone's .env with its own project name ($want)"
    done
    [ "$(sed -n 's/^COMPOSE_PROJECT_NAME=//p' "$TMP/clones/a/devstack/compose/.env")" != \
        "$(sed -n 's/^COMPOSE_PROJECT_NAME=//p' "$TMP/clones/b/devstack/compose/.env")" ]
    expect "the two clones' project names differ"
else
    for d in "exits 0" "checks the build packages only" "leaves the devcontainers CLI alone" "chooses the images" "--no-images" \
        "makes clone a's .env with its own name" "makes clone b's .env with its own name" "names differ"; do
        skip "--stack $d" "no engine answers at $SOCKET"
    done
fi

# ---- the stack's .env and its project name (scripts/seed-env.sh, no engine) ---------

SEED=$ROOT/scripts/seed-env.sh
seed() { out=$(bash "$SEED" "$1" </dev/null 2>&1); rc=$?; }
mkdir -p "$TMP/seed/one/Dev_Stack/compose" "$TMP/seed/one/Dev_Stack/.git" "$TMP/seed/plain"
cp "$ROOT/compose/.env.example" "$TMP/seed/one/Dev_Stack/compose/.env.example"
seed "$TMP/seed/one/Dev_Stack/compose/.env"
want=dev_stack-$(printf '%s' "$(cd "$TMP/seed/one/Dev_Stack/compose" && pwd -P)" | sha256sum | cut -c1-6)
[ "$rc" -eq 0 ] && [ "$(stat -c %a "$TMP/seed/one/Dev_Stack/compose/.env")" = 600 ] &&
    grep -qx "COMPOSE_PROJECT_NAME=$want" "$TMP/seed/one/Dev_Stack/compose/.env"
expect "seed-env.sh: the repository's directory as a project name and six hex digits of the path, mode 600"
diff <(grep -v '^COMPOSE_PROJECT_NAME=' "$ROOT/compose/.env.example") \
    <(grep -v '^COMPOSE_PROJECT_NAME=' "$TMP/seed/one/Dev_Stack/compose/.env") >/dev/null
expect "seed-env.sh: every other line is the example's"
echo "MYSQL_PASSWORD=mine" >>"$TMP/seed/one/Dev_Stack/compose/.env"
cp "$TMP/seed/one/Dev_Stack/compose/.env" "$TMP/seed/before"
seed "$TMP/seed/one/Dev_Stack/compose/.env"
[ "$rc" -eq 0 ] && [ -z "$out" ] && cmp -s "$TMP/seed/before" "$TMP/seed/one/Dev_Stack/compose/.env"
expect "seed-env.sh: an existing .env is left as it is"
printf 'A=1\nCOMPOSE_PROJECT_NAME=\nCOMPOSE_PROJECT_NAME="chosen"\n' >"$TMP/seed/plain/.env.example"
seed "$TMP/seed/plain/.env"
[ "$rc" -eq 0 ] && cmp -s "$TMP/seed/plain/.env.example" "$TMP/seed/plain/.env" && ! has "COMPOSE_PROJECT_NAME="
expect "seed-env.sh: a name the example chose is kept"
rm "$TMP/seed/plain/.env"
printf 'COMPOSE_PROJECT_NAME=\n' >"$TMP/seed/plain/.env.example"
seed "$TMP/seed/plain/.env"
grep -qx "COMPOSE_PROJECT_NAME=plain-$(printf '%s' "$(cd "$TMP/seed/plain" && pwd -P)" | sha256sum | cut -c1-6)" "$TMP/seed/plain/.env"
expect "seed-env.sh: outside a repository, the directory's own name"
mkdir -p "$TMP/seed/dangling" && cp "$ROOT/compose/.env.example" "$TMP/seed/dangling/.env.example" &&
    ln -s "$TMP/seed/nowhere" "$TMP/seed/dangling/.env"
seed "$TMP/seed/dangling/.env"
[ "$rc" -eq 0 ] && [ -L "$TMP/seed/dangling/.env" ] && [ ! -e "$TMP/seed/nowhere" ]
expect "seed-env.sh: a dangling symlink counts as an existing .env"
seed "$TMP/seed/empty/.env"
[ "$rc" -eq 1 ] && has "$TMP/seed/empty/.env does not exist and there is no $TMP/seed/empty/.env.example"
expect "seed-env.sh: no example: exit 1, naming both"

# ---- --stop-engine without a pid file --------------------------------------------

mkdir -p "$TMP/state2"
run DEVSTACK_STATE_DIR="$TMP/state2" -- --stop-engine
[ "$rc" -eq 0 ]; expect "--stop-engine without a pid file exits 0"
has "nothing stopped"; expect "--stop-engine without a pid file says nothing stopped"
if [ "$engine_up" -eq 1 ]; then
    ping_engine; expect "--stop-engine without a pid file leaves the running engine answering"
else
    skip "--stop-engine without a pid file leaves the running engine answering" "no engine was running"
fi

# ---- --stop-engine with a stale pid file (not dockerd) ----------------------------

mkdir -p "$TMP/state3"
sleep 300 &
SLEEP_PID=$!
echo "$SLEEP_PID" >"$TMP/state3/dockerd.pid"
run DEVSTACK_STATE_DIR="$TMP/state3" -- --stop-engine
[ "$rc" -eq 0 ]; expect "--stop-engine with a pid file of a non-dockerd process exits 0"
has "nothing stopped"; expect "--stop-engine with a pid file of a non-dockerd process says nothing stopped"
kill -0 "$SLEEP_PID"; expect "--stop-engine does not kill a process that is not dockerd"
[ ! -e "$TMP/state3/dockerd.pid" ]; expect "--stop-engine removes the stale pid file"
kill "$SLEEP_PID" 2>/dev/null
wait "$SLEEP_PID" 2>/dev/null
SLEEP_PID=""

# A pid file naming a process that no longer exists.
mkdir -p "$TMP/state4"
bash -c 'exit 0' &
dead_pid=$!
wait "$dead_pid"
echo "$dead_pid" >"$TMP/state4/dockerd.pid"
run DEVSTACK_STATE_DIR="$TMP/state4" -- --stop-engine
[ "$rc" -eq 0 ] && has "nothing stopped" && [ ! -e "$TMP/state4/dockerd.pid" ]; expect "--stop-engine with a pid file of a dead process exits 0 and removes it"
if [ "$engine_up" -eq 1 ]; then
    ping_engine; expect "the running engine still answers after the --stop-engine tests"
else
    skip "the running engine still answers after the --stop-engine tests" "no engine was running"
fi

# ---- Engine 26.1: --engine26 and --stop-engine26 ------------------------------------

run -- --engine26 --no-images
[ "$rc" -eq 2 ] && [[ $err_out == *"--engine26 stands alone"* ]]; expect "--engine26 with another option: usage, exit 2"
run -- --stop-engine26 --stop-engine
[ "$rc" -eq 2 ]; expect "--stop-engine26 with --stop-engine: usage, exit 2"
mkdir -p "$TMP/state6"
run DEVSTACK_STATE_DIR="$TMP/state6" -- --stop-engine26
[ "$rc" -eq 0 ] && has "no Engine 26.1 started by setup is running; nothing stopped"
expect "--stop-engine26 without a pid file exits 0 and says nothing stopped"
sleep 300 &
SLEEP_PID=$!
echo "$SLEEP_PID" >"$TMP/state6/engine26.pid"
run DEVSTACK_STATE_DIR="$TMP/state6" -- --stop-engine26
[ "$rc" -eq 0 ] && has "nothing stopped" && kill -0 "$SLEEP_PID" && [ ! -e "$TMP/state6/engine26.pid" ]
expect "--stop-engine26 with a pid file of a non-dockerd process leaves it running and removes the file"
kill "$SLEEP_PID" 2>/dev/null
wait "$SLEEP_PID" 2>/dev/null
SLEEP_PID=""
# Something already answers at the Engine 26.1's socket: left alone, nothing started.
mkdir -p "$TMP/e26"
printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK' >"$TMP/e26/reply"
socat "UNIX-LISTEN:$TMP/e26/docker.sock,fork" "SYSTEM:cat $TMP/e26/reply" 2>/dev/null &
SLEEP_PID=$!
for _ in $(seq 1 25); do
    curl -fsS --max-time 1 --unix-socket "$TMP/e26/docker.sock" http://localhost/_ping >/dev/null 2>&1 && break
    sleep 0.2
done
if curl -fsS --max-time 1 --unix-socket "$TMP/e26/docker.sock" http://localhost/_ping >/dev/null 2>&1; then
    run DEVSTACK_ENGINE26_DIR="$TMP/e26" DEVSTACK_STATE_DIR="$TMP/state6" -- --engine26
    [ "$rc" -eq 0 ] && has "engine 26.1: already answering at unix://$TMP/e26/docker.sock, left alone" &&
        [ ! -e "$TMP/state6/engine26.pid" ] && [ ! -e "$TMP/e26/dockerd.pid" ]
    expect "--engine26 with an engine answering at its socket leaves it alone and starts none"
else
    not_ok "--engine26 with an engine answering at its socket leaves it alone and starts none" \
        "the stand-in engine (socat) does not answer at $TMP/e26/docker.sock"
fi
kill "$SLEEP_PID" 2>/dev/null
wait "$SLEEP_PID" 2>/dev/null
SLEEP_PID=""

# ---- DOCKER_HOST elsewhere --------------------------------------------------------

mkdir -p "$TMP/state5"
run DOCKER_HOST=unix:///nonexistent/x.sock DEVSTACK_STATE_DIR="$TMP/state5" -- --no-deps
[ "$rc" -eq 1 ]; expect "--no-deps with DOCKER_HOST at a missing socket exits 1"
has "/nonexistent/x.sock"; expect "--no-deps with DOCKER_HOST at a missing socket names the path"
[ ! -e "$TMP/state5/dockerd.pid" ] && ! has "starting"; expect "--no-deps with DOCKER_HOST elsewhere starts no engine"

run DEVSTACK_ENGINE_WAIT=abc -- --no-deps
[ "$rc" -eq 2 ]; expect "a non-numeric DEVSTACK_ENGINE_WAIT exits 2"

echo "1..$n"
if [ "$failed" -ne 0 ]; then
    echo "# $failed of $n failed"
    exit 1
fi
exit 0
