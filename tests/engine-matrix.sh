#!/usr/bin/env bash
# A test tier against another engine than the machine's.
#
#   tests/engine-matrix.sh ENGINE TIER [PROGRAM...]
#
# ENGINE is one of:
#   engine26   Docker Engine 26.1 (API 1.45) beside the machine's engine
#              (scripts/setup.sh --engine26; stopped again at the end when this
#              script started it). Its published ports live in its own network
#              namespace, so the tier runs in that namespace (nsenter), with
#              DOCKER_HOST at its socket: devstack, the docker CLI, Compose v2
#              and the tests' own curl all reach it and its ports alike.
#   podman     Podman 4.3's Docker-compatible API (scripts/setup.sh --podman,
#              stopped again at the end when this script started it), with
#              DOCKER_HOST at its socket. Its containers publish their ports in
#              the machine's network namespace.
# TIER is integration or e2e; the programs default to all of the tier's.
#
# tests/engines/ENGINE.txt names the programs that do not run against that
# engine, each with the reason (one per line: PROGRAM  REASON). They are
# listed in the output as not run; none is skipped without a word. The
# results go to build/test-logs/TIER-ENGINE/, the summary line is that of
# tests/run-tests.sh with the tier named TIER@ENGINE.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
engine=${1:-}
tier=${2:-}
shift 2 2>/dev/null || true
case $engine in
engine26 | podman) ;;
*)
    echo "usage: tests/engine-matrix.sh engine26|podman integration|e2e [PROGRAM...]" >&2
    exit 2
    ;;
esac
case $tier in
integration) programs=(build/tests/integration/test_* tests/integration/test_*.sh) ;;
e2e) programs=(tests/e2e/test_*.sh) ;;
*)
    echo "tests/engine-matrix.sh: unknown tier '$tier' (integration or e2e)" >&2
    exit 2
    ;;
esac
[ $# -gt 0 ] && programs=("$@")
list=tests/engines/$engine.txt

# ---- the engine -------------------------------------------------------------------------
# HOST is its endpoint; IN runs a command where its published ports are.
case $engine in
engine26)
    . tests/lib/engine26.sh
    engine26_start || {
        echo "$tier@$engine: Docker Engine 26.1 does not run: $ENGINE26_ERROR" >&2
        exit 1
    }
    trap engine26_stop EXIT
    HOST=$ENGINE26_HOST
    IN=(nsenter --net=/var/run/netns/engine26)
    ;;
podman)
    . tests/lib/podman.sh
    podman_start || {
        echo "$tier@$engine: Podman does not run: $PODMAN_ERROR" >&2
        exit 1
    }
    trap podman_stop EXIT
    HOST=$PODMAN_HOST
    IN=(env)
    ;;
esac

# ---- what runs, and what does not --------------------------------------------------------
run=()
for prog in "${programs[@]}"; do
    [ -e "$prog" ] || continue
    # the C tests' binaries, not their objects or dependency files
    [[ $prog == *.sh || ($prog != *.* && -x $prog) ]] || continue
    name=$(basename "$prog")
    reason=$(awk -v n="$name" '$1 == n { $1 = ""; sub(/^ +/, ""); print; exit }' "$list" 2>/dev/null)
    if [ -n "$reason" ]; then
        printf '  not run  %-25s %s\n' "$name" "$reason"
    else
        run+=("$prog")
    fi
done

# The stand-in images the tests run (devstack/mariadb:10.11, devstack/postgres:15, ...):
# setup builds them on the machine's engine; this engine has a store of its own and no
# network to build them with, so they are copied over (docker save | docker load), once.
copy=()
for image in $(docker images --format '{{.Repository}}:{{.Tag}}' 'devstack/*'); do
    DOCKER_HOST=$HOST docker image inspect "$image" >/dev/null 2>&1 || copy+=("$image")
done
if [ ${#copy[@]} -gt 0 ]; then
    echo "# copying ${copy[*]} from the machine's engine"
    docker save "${copy[@]}" | DOCKER_HOST=$HOST docker load >/dev/null || {
        echo "$tier@$engine: cannot copy the stand-in images to $HOST" >&2
        exit 1
    }
fi

# The test image, in this engine's own image store (the tests import it when it is missing,
# but the C tests expect it there first, as prepare.sh does for the machine's engine).
DOCKER_HOST=$HOST "${IN[@]}" tests/integration/prepare.sh >/dev/null || {
    echo "$tier@$engine: tests/integration/prepare.sh failed against $HOST" >&2
    exit 1
}
DOCKER_HOST=$HOST DEVSTACK_TEST_ENGINE=$engine TEST_LOG_DIR=build/test-logs/$tier-$engine \
    DEVSTACK=${DEVSTACK:-$ROOT/build/devstack} \
    "${IN[@]}" tests/run-tests.sh --tier "$tier@$engine" "${run[@]}"
