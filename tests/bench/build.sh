#!/usr/bin/env bash
# Benchmark (not a test): building the bundled backend (devcontainer/Dockerfile,
# which compiles devstack inside) with devstack (BuildKit through the Engine
# API) and with `docker compose build` (buildx), side by side on one engine.
#
#   tests/bench/build.sh
#
# Three cases, each run alternately by the two tools, medians and the ratio:
#   cold       --no-cache (COLD_RUNS, default 1: one takes minutes; 0 skips it), the image
#              removed first. The engine's build cache is not pruned (that is
#              engine-wide); --no-cache makes every step run again.
#   no-op      a rebuild with nothing changed (RUNS, default 5)
#   reqs       a rebuild after a change to devcontainer/requirements.txt
#              (RUNS_REQS, default 3): a line only this run of this tool adds,
#              so neither tool finds the other's result in the cache
# The project is a copy of what the Dockerfile needs, named tbuildkit-bench
# (image tbuildkit-bench-backend, removed at the end); PYTHON_IMAGE as in
# compose/.env (the stand-in base, so nothing comes from PyPI).
#
# Then two services built at once (project $PAIR_PROJECT, default
# tparbuild-bench, on the registry-free test image), each a RUN of 2 s:
#   pair-cold  --no-cache, both images removed first (PAIR_RUNS, default 5)
#   pair-noop  a rebuild of both with nothing changed (PAIR_RUNS)
# CASES (default "backend pair") chooses which of the two sets run. The load
# average is printed before and after: the machine's load weighs on the figures.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
COLD_RUNS=${COLD_RUNS:-1}
RUNS=${RUNS:-5}
RUNS_REQS=${RUNS_REQS:-3}
PROJECT=tbuildkit-bench
CASES=${CASES:-backend pair}
PAIR_RUNS=${PAIR_RUNS:-5}
PAIR_PROJECT=${PAIR_PROJECT:-tparbuild-bench}
IMAGE=$PROJECT-backend
PYTHON_IMAGE=$(sed -n 's/^PYTHON_IMAGE=//p' "$ROOT/compose/.env" 2>/dev/null | tail -n 1)
PYTHON_IMAGE=${PYTHON_IMAGE:-devstack/python:3.11-fastapi}
docker compose version >/dev/null 2>&1 || { echo "docker compose (v2) is not installed" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
    docker image rm -f "$IMAGE" "$PAIR_PROJECT-a" "$PAIR_PROJECT-b" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/devcontainer"
cp -r "$ROOT/Makefile" "$ROOT/VERSION" "$ROOT/cmd" "$ROOT/src" "$ROOT/.dockerignore" "$work/"
cp "$ROOT"/devcontainer/{Dockerfile,requirements.txt,requirements-missing.py,docker-entrypoint.sh} \
    "$work/devcontainer/"
cat >"$work/compose.yaml" <<YAML
name: $PROJECT
services:
  backend:
    build:
      context: .
      dockerfile: devcontainer/Dockerfile
      args:
        PYTHON_IMAGE: $PYTHON_IMAGE
YAML

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# seconds TOOL ARGS...: wall seconds of one build; a failed build stops the benchmark
# (DIR: the project directory, default the backend's; SERVICES: what to build)
seconds() {
    local tool=$1 t0 t1 dir=${DIR:-$work}
    shift
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    if [ "$tool" = devstack ]; then
        (cd "$dir" && "$DEVSTACK" build --progress quiet "$@" ${SERVICES-backend}) >"$work/out" 2>&1
    else
        (cd "$dir" && docker compose --progress quiet build "$@" ${SERVICES-backend}) >"$work/out" 2>&1
    fi || { echo "$tool build failed:" >&2; tail -n 30 "$work/out" >&2; exit 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
report() {
    local what=$1 ds=$2 dc=$3 n=$4
    printf '%-9s devstack %7.2fs   docker compose %7.2fs   (median of %d)   compose/devstack %.2f\n' \
        "$what" "$ds" "$dc" "$n" "$(echo "scale=4; $dc / $ds" | bc)"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
if [[ " $CASES " == *" backend "* ]]; then
    # warm the base image layers and the first build of each, so that no-op means no-op
    seconds devstack >/dev/null
    seconds compose >/dev/null

    : >"$work/cold.ds"
    : >"$work/cold.dc"
    for _ in $(seq 1 "$COLD_RUNS"); do
        docker image rm -f "$IMAGE" >/dev/null 2>&1 || true
        seconds devstack --no-cache >>"$work/cold.ds"
        docker image rm -f "$IMAGE" >/dev/null 2>&1 || true
        seconds compose --no-cache >>"$work/cold.dc"
    done

    : >"$work/noop.ds"
    : >"$work/noop.dc"
    seconds devstack >/dev/null
    for _ in $(seq 1 "$RUNS"); do
        seconds devstack >>"$work/noop.ds"
        seconds compose >>"$work/noop.dc"
    done

    : >"$work/reqs.ds"
    : >"$work/reqs.dc"
    for i in $(seq 1 "$RUNS_REQS"); do
        echo "# bench $$ devstack $i" >>"$work/devcontainer/requirements.txt"
        seconds devstack >>"$work/reqs.ds"
        echo "# bench $$ compose $i" >>"$work/devcontainer/requirements.txt"
        seconds compose >>"$work/reqs.dc"
    done

fi

if [[ " $CASES " == *" pair "* ]]; then
    . "$ROOT/tests/lib/test_image.sh"
    test_image_ensure /var/run/docker.sock || { echo "$TEST_IMAGE_ERROR" >&2; exit 1; }
    pair=$work/$PAIR_PROJECT
    mkdir -p "$pair/a" "$pair/b"
    for s in a b; do
        printf 'FROM %s\nRUN sleep 2 && echo %s > /%s.txt\n' "$TEST_IMAGE" "$s" "$s" >"$pair/$s/Dockerfile"
    done
    printf 'name: %s\nservices:\n  a:\n    build: ./a\n  b:\n    build: ./b\n' "$PAIR_PROJECT" \
        >"$pair/compose.yaml"
    for f in pcold.ds pcold.dc pnoop.ds pnoop.dc; do : >"$work/$f"; done
    DIR=$pair SERVICES= seconds devstack >/dev/null
    for _ in $(seq 1 "$PAIR_RUNS"); do
        docker image rm -f "$PAIR_PROJECT-a" "$PAIR_PROJECT-b" >/dev/null 2>&1 || true
        DIR=$pair SERVICES= seconds devstack --no-cache >>"$work/pcold.ds"
        docker image rm -f "$PAIR_PROJECT-a" "$PAIR_PROJECT-b" >/dev/null 2>&1 || true
        DIR=$pair SERVICES= seconds compose --no-cache >>"$work/pcold.dc"
    done
    DIR=$pair SERVICES= seconds devstack >/dev/null
    for _ in $(seq 1 "$PAIR_RUNS"); do
        DIR=$pair SERVICES= seconds devstack >>"$work/pnoop.ds"
        DIR=$pair SERVICES= seconds compose >>"$work/pnoop.dc"
    done
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ " $CASES " == *" backend "* ]]; then
    echo "building the bundled backend ($PYTHON_IMAGE), engine $(docker version --format '{{.Server.Version}}')"
    if [ "$COLD_RUNS" -gt 0 ]; then
        report cold "$(median <"$work/cold.ds")" "$(median <"$work/cold.dc")" "$COLD_RUNS"
    fi
    report no-op "$(median <"$work/noop.ds")" "$(median <"$work/noop.dc")" "$RUNS"
    report reqs "$(median <"$work/reqs.ds")" "$(median <"$work/reqs.dc")" "$RUNS_REQS"
fi
if [[ " $CASES " == *" pair "* ]]; then
    echo "two services at once, each a RUN of 2 s ($TEST_IMAGE)"
    report pair-cold "$(median <"$work/pcold.ds")" "$(median <"$work/pcold.dc")" "$PAIR_RUNS"
    report pair-noop "$(median <"$work/pnoop.ds")" "$(median <"$work/pnoop.dc")" "$PAIR_RUNS"
fi
