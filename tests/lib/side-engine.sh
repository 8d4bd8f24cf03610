# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# The engines the tests run beside the machine's, each started by
# scripts/setup.sh and stopped again by whoever started it. Sourced:
#
#     . "$ROOT/tests/lib/side-engine.sh"
#     side_engine engine26
#     side_engine_start || tap_cannot_run "Docker Engine 26.1 runs: $SIDE_ERROR"
#     trap side_engine_stop EXIT
#
#   side_engine KIND    chooses the engine: SIDE_WHAT, SIDE_SOCK, SIDE_HOST and
#                       SIDE_NETNS describe it afterwards
#   side_engine_start   it answers at SIDE_SOCK afterwards: the one already
#                       there, or one started by scripts/setup.sh --KIND
#                       (SIDE_STARTED=1 then)
#   side_engine_stop    stops it if side_engine_start started it
#   side_docker ARGS... the docker CLI against it
#
# KIND is one of:
#   engine26  Docker Engine 26.1 (API 1.45)
#   podman    Podman 4.3's Docker-compatible API service
# Each runs in a network namespace of its own, where its bridges and published
# ports live (nsenter --net=/var/run/netns/$SIDE_NETNS ...), and has an image
# store of its own.

SIDE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$SIDE_ROOT/scripts/side-engines.sh"
SIDE_KIND=
SIDE_WHAT=
SIDE_SOCK=
SIDE_HOST=
SIDE_NETNS=
SIDE_STARTED=0
SIDE_ERROR=

side_engine() {
    SIDE_KIND=$1
    SIDE_STARTED=0
    case $1 in
    engine26)
        SIDE_WHAT="Engine 26.1"
        SIDE_SOCK=$ENGINE26_SOCK
        SIDE_NETNS=$ENGINE26_NETNS
        ;;
    podman)
        SIDE_WHAT=Podman
        SIDE_SOCK=$PODMAN_SOCK
        SIDE_NETNS=$PODMAN_NETNS
        ;;
    *)
        echo "side_engine: unknown engine '$1' (engine26 or podman)" >&2
        return 2
        ;;
    esac
    SIDE_HOST=unix://$SIDE_SOCK
}

_side_engine_answers() {
    curl -fsS --max-time 2 --unix-socket "$SIDE_SOCK" http://localhost/_ping >/dev/null 2>&1
}

side_engine_start() {
    local out
    SIDE_ERROR=
    if _side_engine_answers; then
        echo "# $SIDE_WHAT already answers at $SIDE_HOST: used, left running"
        return 0
    fi
    if ! out=$(bash "$SIDE_ROOT/scripts/setup.sh" "--$SIDE_KIND" </dev/null 2>&1); then
        SIDE_ERROR="scripts/setup.sh --$SIDE_KIND failed: $(printf '%s' "$out" | tail -n 5)"
        return 1
    fi
    SIDE_STARTED=1
    echo "# started $SIDE_WHAT at $SIDE_HOST (stopped at the end)"
}

side_engine_stop() {
    [ "$SIDE_STARTED" = 1 ] || return 0
    SIDE_STARTED=0
    bash "$SIDE_ROOT/scripts/setup.sh" "--stop-$SIDE_KIND" </dev/null 2>&1 | sed 's/^/# /'
}

side_docker() { DOCKER_HOST=$SIDE_HOST docker "$@"; }
