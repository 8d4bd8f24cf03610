# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Docker Engine 26.1 (API 1.45) beside the machine's engine, for the tests of
# keys an older engine cannot take. Sourced:
#
#     . "$ROOT/tests/lib/engine26.sh"
#     engine26_start || tap_cannot_run "Docker Engine 26.1 runs: $ENGINE26_ERROR"
#     trap engine26_stop EXIT
#
#   engine26_start  an Engine 26.1 answers at ENGINE26_SOCK afterwards: the one
#                   already there, or one started by scripts/setup.sh --engine26
#   engine26_stop   stops it if engine26_start started it; leaves it otherwise
#   e26 ARGS...     the docker CLI against it
#
# Its published ports and bridges live in its own network namespace
# (nsenter --net=/var/run/netns/engine26 ...), and its images are its own.

ENGINE26_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ENGINE26_SOCK=${DEVSTACK_ENGINE26_DIR:-/run/engine26}/docker.sock
ENGINE26_HOST=unix://$ENGINE26_SOCK
ENGINE26_STARTED=0
ENGINE26_ERROR=

_engine26_answers() {
    curl -fsS --max-time 2 --unix-socket "$ENGINE26_SOCK" http://localhost/_ping >/dev/null 2>&1
}

engine26_start() {
    local out
    ENGINE26_ERROR=
    if _engine26_answers; then
        echo "# Engine 26.1 already answers at $ENGINE26_HOST: used, left running"
        return 0
    fi
    if ! out=$(bash "$ENGINE26_ROOT/scripts/setup.sh" --engine26 </dev/null 2>&1); then
        ENGINE26_ERROR="scripts/setup.sh --engine26 failed: $(printf '%s' "$out" | tail -n 5)"
        return 1
    fi
    ENGINE26_STARTED=1
    echo "# started Engine 26.1 at $ENGINE26_HOST (stopped at the end)"
}

engine26_stop() {
    [ "$ENGINE26_STARTED" = 1 ] || return 0
    ENGINE26_STARTED=0
    bash "$ENGINE26_ROOT/scripts/setup.sh" --stop-engine26 </dev/null 2>&1 | sed 's/^/# /'
}

e26() { DOCKER_HOST=$ENGINE26_HOST docker "$@"; }
