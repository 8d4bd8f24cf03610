#!/usr/bin/env bash
# A test tier against several engines at once.
#
#   tests/engine-matrix.sh ENGINE[,ENGINE...] TIER [PROGRAM...]
#
# ENGINE is one of:
#   machine    the machine's engine (DOCKER_HOST as it is, the machine's
#              network namespace)
#   engine26   Docker Engine 26.1 (API 1.45)
#   podman     Podman 4.3's Docker-compatible API
# The last two run beside the machine's engine, each in a network namespace of
# its own (tests/lib/side-engine.sh; started by scripts/setup.sh when none
# answers, and stopped again at the end). A tier against one of them runs in
# its namespace (nsenter) with DOCKER_HOST at its socket, so devstack, the
# docker CLI, Compose v2 and the tests' own servers and curl all meet its
# published ports there, and never those of another engine's tier.
# TIER is integration or e2e; the programs default to all of the tier's.
#
# With more than one ENGINE the tiers run side by side, each into a file of
# its own; each one's output is printed whole, in the order given, as soon as
# it and those before it have ended. The exit status is 0 only if every tier
# passed.
#
# tests/engines/ENGINE.txt names the programs that do not run against that
# engine, each with the reason (one per line: PROGRAM  REASON), and the checks
# in which it differs (SCRIPT:KEY  REASON, see tests/lib/tap.sh). They are
# listed in the output as not run; none is skipped without a word. The results
# go to build/test-logs/TIER-ENGINE/; the summary line is that of
# tests/run-tests.sh, with the tier named TIER@ENGINE (TIER on the machine's).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
usage() {
    echo "usage: tests/engine-matrix.sh machine|engine26|podman[,...] integration|e2e [PROGRAM...]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
IFS=, read -ra engines <<<"$1"
tier=$2
shift 2
[ ${#engines[@]} -gt 0 ] || usage
for engine in "${engines[@]}"; do
    case $engine in
    machine | engine26 | podman) ;;
    *) usage ;;
    esac
done
case $tier in
integration) programs=(build/tests/integration/test_* tests/integration/test_*.sh) ;;
e2e) programs=(tests/e2e/test_*.sh) ;;
*)
    echo "tests/engine-matrix.sh: unknown tier '$tier' (integration or e2e)" >&2
    exit 2
    ;;
esac
[ $# -gt 0 ] && programs=("$@")
export DEVSTACK=${DEVSTACK:-$ROOT/build/devstack}

. tests/lib/side-engine.sh

# ---- the engines ------------------------------------------------------------------------
# Every side engine is started before any tier runs and stopped after the last,
# so that no tier (nor test_engine26.sh, which also uses Engine 26.1) stops an
# engine another is using.
started=()
stop_started() {
    local kind
    for kind in "${started[@]}"; do
        side_engine "$kind"
        SIDE_STARTED=1
        side_engine_stop
    done
}
trap stop_started EXIT

# prepare ENGINE: ENGINE answers, and has the stand-in images and the test image
prepare() {
    local engine=$1 image copy=()
    if [ "$engine" = machine ]; then
        tests/integration/prepare.sh >/dev/null || {
            echo "$tier: tests/integration/prepare.sh failed against the machine's engine" >&2
            return 1
        }
        return 0
    fi
    side_engine "$engine"
    side_engine_start || {
        echo "$tier@$engine: $SIDE_WHAT does not run: $SIDE_ERROR" >&2
        return 1
    }
    [ "$SIDE_STARTED" = 1 ] && started+=("$engine")
    # The stand-in images the tests run (devstack/mariadb:10.11, devstack/postgres:15, ...):
    # setup builds them on the machine's engine; this engine has a store of its own and no
    # network to build them with, so they are copied over (docker save | docker load), once.
    for image in $(docker images --format '{{.Repository}}:{{.Tag}}' 'devstack/*'); do
        side_docker image inspect "$image" >/dev/null 2>&1 || copy+=("$image")
    done
    if [ ${#copy[@]} -gt 0 ]; then
        echo "# copying ${copy[*]} from the machine's engine to $SIDE_WHAT"
        docker save "${copy[@]}" | side_docker load >/dev/null || {
            echo "$tier@$engine: cannot copy the stand-in images to $SIDE_HOST" >&2
            return 1
        }
    fi
    # The test image, in this engine's own image store (the tests import it when it is
    # missing, but the C tests expect it there first, as prepare.sh does for the machine's).
    DOCKER_HOST=$SIDE_HOST nsenter --net="/var/run/netns/$SIDE_NETNS" tests/integration/prepare.sh >/dev/null || {
        echo "$tier@$engine: tests/integration/prepare.sh failed against $SIDE_HOST" >&2
        return 1
    }
}

# run ENGINE: the tier against ENGINE, as tests/run-tests.sh prints it
run() {
    local engine=$1 prog name reason list=tests/engines/$1.txt todo=()
    for prog in "${programs[@]}"; do
        [ -e "$prog" ] || continue
        # the C tests' binaries, not their objects or dependency files
        [[ $prog == *.sh || ($prog != *.* && -x $prog) ]] || continue
        name=$(basename "$prog")
        reason=$(awk -v n="$name" '$1 == n { $1 = ""; sub(/^ +/, ""); print; exit }' "$list" 2>/dev/null)
        if [ -n "$reason" ]; then
            printf '  not run  %-25s %s\n' "$name" "$reason"
        else
            todo+=("$prog")
        fi
    done
    if [ "$engine" = machine ]; then
        tests/run-tests.sh --tier "$tier" "${todo[@]}"
        return
    fi
    side_engine "$engine"
    DOCKER_HOST=$SIDE_HOST DEVSTACK_TEST_ENGINE=$engine TEST_LOG_DIR=build/test-logs/$tier-$engine \
        nsenter --net="/var/run/netns/$SIDE_NETNS" tests/run-tests.sh --tier "$tier@$engine" "${todo[@]}"
}

for engine in "${engines[@]}"; do
    prepare "$engine" || exit 1
done

if [ ${#engines[@]} -eq 1 ]; then
    run "${engines[0]}"
    exit
fi

outs=build/test-logs/$tier-side-by-side
mkdir -p "$outs"
pids=()
echo "# $tier: on ${engines[*]} side by side (their outputs follow as they end: $outs/)"
for engine in "${engines[@]}"; do
    run "$engine" >"$outs/$engine.out" 2>&1 &
    pids+=($!)
done
status=0
for i in "${!engines[@]}"; do
    wait "${pids[$i]}" || status=1
    cat "$outs/${engines[$i]}.out"
done
exit $status
