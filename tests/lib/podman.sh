# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Podman 4.3's Docker-compatible API beside the machine's engine, for the
# Podman tier of the tests. Sourced:
#
#     . "$ROOT/tests/lib/podman.sh"
#     podman_start || tap_cannot_run "Podman runs: $PODMAN_ERROR"
#     trap podman_stop EXIT
#
#   podman_start  Podman's service answers at PODMAN_SOCK afterwards: the one
#                 already there, or one started by scripts/setup.sh --podman
#   podman_stop   stops it if podman_start started it; leaves it otherwise
#
# Its containers share the machine's network namespace; its images, volumes
# and networks are its own.

PODMAN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PODMAN_SOCK=${DEVSTACK_PODMAN_DIR:-/run/devstack-podman}/podman.sock
PODMAN_HOST=unix://$PODMAN_SOCK
PODMAN_STARTED=0
PODMAN_ERROR=

_podman_answers() {
    curl -fsS --max-time 2 --unix-socket "$PODMAN_SOCK" http://localhost/_ping >/dev/null 2>&1
}

podman_start() {
    local out
    PODMAN_ERROR=
    if _podman_answers; then
        echo "# Podman already answers at $PODMAN_HOST: used, left running"
        return 0
    fi
    if ! out=$(bash "$PODMAN_ROOT/scripts/setup.sh" --podman </dev/null 2>&1); then
        PODMAN_ERROR="scripts/setup.sh --podman failed: $(printf '%s' "$out" | tail -n 5)"
        return 1
    fi
    PODMAN_STARTED=1
    echo "# started Podman at $PODMAN_HOST (stopped at the end)"
}

podman_stop() {
    [ "$PODMAN_STARTED" = 1 ] || return 0
    PODMAN_STARTED=0
    bash "$PODMAN_ROOT/scripts/setup.sh" --stop-podman </dev/null 2>&1 | sed 's/^/# /'
}
