#!/usr/bin/env bash
# Benchmark (not a test): how long the bundled stack takes to come up.
#
#   tests/bench/stack-up.sh [RUNS]          images present (default 3 runs)
#   tests/bench/stack-up.sh --fresh         also `make up` from a fresh clone with
#                                           no image at all: removes the stand-in and
#                                           project images first (minutes; the
#                                           debootstrap download cache is kept unless
#                                           DEVSTACK_BENCH_NO_CACHE=1)
#
# Each run: `down -v`, then `up -d --wait` from nothing (the images exist), the
# time until the db service is healthy (the app user can query the app
# database), and a second `up` that has nothing to do. Beside it, Debian's
# docker-compose 1.29 on the same files: `up -d`, then polling until every
# service is healthy (it has no --wait). A copy of the repository under its
# own project name and free ports, so a running stack is not disturbed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
FRESH=0
[ "${1:-}" = --fresh ] && { FRESH=1; shift; }
RUNS=${1:-3}
P=dsbench$$
work=$(mktemp -d)
WS=$work/ws
cleanup() {
    (cd "$WS" && "$DEVSTACK" down -v --rmi local --progress quiet >/dev/null 2>&1) || true
    (cd "$WS/compose" && docker-compose -p "$P" down -v --rmi local >/dev/null 2>&1) || true
    rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

[ -f "$ROOT/compose/.env" ] || { echo "run scripts/setup.sh (or make up) first: compose/.env chooses the images" >&2; exit 1; }
mkdir -p "$WS"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$WS" -xf -
API_PORT=$(free_port) PMA_PORT=$(free_port) DB_PORT=$(free_port)
# make_env SRC: the copy's compose/.env from SRC, with its own project name and ports
make_env() {
    sed -e "s/^COMPOSE_PROJECT_NAME=.*/COMPOSE_PROJECT_NAME=$P/" -e "s/^API_PORT=.*/API_PORT=$API_PORT/" \
        -e "s/^PHPMYADMIN_PORT=.*/PHPMYADMIN_PORT=$PMA_PORT/" -e "s/^MYSQL_PORT=.*/MYSQL_PORT=$DB_PORT/" \
        "$1" >"$WS/compose/.env"
    chmod 600 "$WS/compose/.env"
}

if [ "$FRESH" -eq 1 ]; then
    echo "== make up from a fresh clone, no image present"
    for image in devstack/mariadb:10.11 devstack/python:3.11-fastapi devstack/nginx:bookworm \
        devstack/phpmyadmin:bookworm devstack/debian:bookworm; do
        docker rmi -f "$image" >/dev/null 2>&1 || true
    done
    docker builder prune -af >/dev/null 2>&1 || true
    cache=${DEVSTACK_STATE_DIR:-/var/lib/devstack}/standin
    if [ "${DEVSTACK_BENCH_NO_CACHE:-0}" = 1 ] && [ -d "$cache" ]; then
        mv "$cache" "$cache.bench-aside"
        trap 'mv "$cache.bench-aside" "$cache" 2>/dev/null; cleanup' EXIT
    fi
    # the example's images (official ones): make up finds it cannot pull them
    make_env "$WS/compose/.env.example"
    t0=$(now)
    (cd "$WS" && make up) >"$work/fresh.log" 2>&1 || { tail -n 40 "$work/fresh.log"; exit 1; }
    echo "make up, fresh (packages present; stand-ins, devstack and project images built): $(ms "$t0" "$(now)") ms"
    grep -E "^standin-images.sh: (built|done)|Image .* Built|-db-1  Healthy" "$work/fresh.log" | sed 's/^/  /'
    cp "$WS/compose/.env" "$work/env"
    make_env "$work/env"
else
    make_env "$ROOT/compose/.env"
fi
echo "images: $(grep '_IMAGE=' "$WS/compose/.env" | tr '\n' ' ')"
# The project's own images, built once before the timed runs, for both tools.
(cd "$WS" && "$DEVSTACK" build --progress quiet)
(cd "$WS/compose" && docker-compose -p "$P" build -q >/dev/null 2>&1)

# up_timed LOG: devstack up -d --wait with every output line time-stamped
up_timed() {
    local start=$1
    (cd "$WS" && "$DEVSTACK" up -d --wait --progress plain 2>&1) | while IFS= read -r line; do
        echo "$(($(now) - start)) $line"
    done >"$2"
}

ds_up=() ds_db=() ds_noop=() dc_up=() dc_db=()
for i in $(seq 1 "$RUNS"); do
    (cd "$WS" && "$DEVSTACK" down -v --progress quiet)
    t0=$(now)
    up_timed "$t0" "$work/up.log"
    ds_up+=("$(($(tail -n 1 "$work/up.log" | cut -d' ' -f1) / 1000000))")
    ds_db+=("$(($(grep -m1 -- "-db-1  Healthy" "$work/up.log" | cut -d' ' -f1) / 1000000))")
    t0=$(now)
    (cd "$WS" && "$DEVSTACK" up -d --progress quiet)
    ds_noop+=("$(ms "$t0" "$(now)")")
    (cd "$WS" && "$DEVSTACK" down -v --progress quiet)

    # docker-compose 1.29: up -d, then poll until all four are healthy
    t0=$(now)
    (cd "$WS/compose" && docker-compose -p "$P" up -d >/dev/null 2>&1)
    db_ms=""
    while :; do
        states=$(docker ps --filter "label=com.docker.compose.project=$P" --format '{{.Names}} {{.Status}}')
        if [ -z "$db_ms" ] && grep -q "_db_1 .*(healthy)" <<<"$states"; then db_ms=$(ms "$t0" "$(now)"); fi
        [ "$(grep -c "(healthy)" <<<"$states")" -eq 4 ] && break
        sleep 0.1
    done
    dc_up+=("$(ms "$t0" "$(now)")")
    dc_db+=("$db_ms")
    (cd "$WS/compose" && docker-compose -p "$P" down -v >/dev/null 2>&1)
done

m() { printf '%s\n' "$@" | median; }
printf '\nmedian of %d runs, images present              devstack   docker-compose 1.29\n' "$RUNS"
printf 'up from nothing until all 4 are healthy      %7d ms   %7d ms   (%.2fx)\n' "$(m "${ds_up[@]}")" "$(m "${dc_up[@]}")" \
    "$(echo "$(m "${dc_up[@]}") / $(m "${ds_up[@]}")" | bc -l)"
printf 'up until the db is ready (app user queries)  %7d ms   %7d ms\n' "$(m "${ds_db[@]}")" "$(m "${dc_db[@]}")"
printf 'second up, nothing to do                     %7d ms\n' "$(m "${ds_noop[@]}")"
