#!/usr/bin/env bash
# Prepare a Debian 12 machine to build, run and test devstack and its stack.
#
#   scripts/setup.sh                 packages, Compose v2 and buildx, the devcontainers CLI,
#                                    the Docker Engine, the stack's images (make test, make setup, CI)
#   scripts/setup.sh --stack         the same for running the stack only (make up):
#                                    no test tools
#   scripts/setup.sh --deps-only     packages (with Compose v2 and buildx) only
#   scripts/setup.sh --no-deps       engine only
#   scripts/setup.sh --stop-engine   stop the engine this script started (if any)
#   scripts/setup.sh --engine26      start a Docker Engine 26.1 beside the machine's
#                                    (the tests of keys that need a newer Engine API)
#   scripts/setup.sh --stop-engine26 stop the Engine 26.1 this script started (if any)
#   scripts/setup.sh --podman        start Podman's Docker-compatible service beside the
#                                    machine's engine (the Podman tier of the tests)
#   scripts/setup.sh --stop-podman   stop the Podman service this script started (if any)
#
# Idempotent: it installs only missing packages, starts dockerd only when no
# engine answers at the default socket, and builds stand-in images only when the
# stack's images cannot be had otherwise. An engine it did not start is never
# touched. Not as root it installs nothing: whatever is missing stops it at
# once, naming the one command that installs it. See usage() for the
# environment variables.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages needed to build devstack and run the stack. Add new ones here.
BUILD_PACKAGES=(
    build-essential
    pkg-config
    libcurl4-openssl-dev
    libcjson-dev
    libyaml-dev
    default-libmysqlclient-dev
    libpq-dev
    libssl-dev
    zlib1g-dev
    libhttp-parser-dev
    protobuf-c-compiler
    libprotobuf-c-dev
    libnghttp2-dev
    curl
    ca-certificates
    python3
    tar
    gzip
)
# ... and to test it.
TEST_PACKAGES=(
    libcmocka-dev
    valgrind
    busybox-static
    clang
    libclang-rt-14-dev
    clang-format
    time
    bc
    docker-compose
    hyperfine
    mariadb-server
    postgresql-15
    openssh-server
    openssl
    python3-alembic
    python3-pymysql
    python3-psycopg2
    python3-sqlalchemy
    git
    iproute2
    socat
    dnsmasq-base
    zsh
    mandoc
    man-db
)
# The official devcontainers CLI (npm), for the dev container's tests; the
# version the tests were written against.
DEVCONTAINER_CLI=@devcontainers/cli@0.89.0

# Compose v2 and buildx, the peers the tests compare devstack with, as docker
# CLI plugins. Debian 12 has neither, so they come from Debian 13's packages
# on the mirror apt already uses, unpacked (not installed: the machine's
# dpkg database and apt lists stay as they are).
PLUGIN_PACKAGES=(docker-compose docker-buildx)
PLUGIN_SUITE=trixie
PLUGINS_DIR=${DEVSTACK_CLI_PLUGINS:-/usr/local/lib/docker/cli-plugins}

# Docker Engine 26.1 (API 1.45), the newer engine the integration tests run
# the keys 20.10 cannot take on: Debian 13's dockerd and containerd, unpacked
# beside the plugins, run in a network namespace of their own (its bridges and
# published ports stay there) with Debian 12's runc (Debian 13's needs a newer
# glibc). Its socket and namespace are in scripts/side-engines.sh.
ENGINE26_PACKAGES=(docker.io containerd)
ENGINE26_BINS=(usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/containerd usr/bin/containerd-shim-runc-v2)

# Podman 4.3 (Debian 12), the third engine the integration tests run on:
# `podman system service` on a socket of its own, with a store, a network
# configuration and a containers.conf of its own (a machine's own Podman,
# if it has one, is left as it is). These machines cannot set the rlimits
# Podman gives containers by default, hence default_ulimits = []. Without
# systemd its events go to a file, which by default it deletes whenever the
# file passes 1 MB (a test run writes several): a query of the events since
# a moment just before would find none, so the file is kept whole. Like
# Engine 26.1 it runs in a network namespace of its own, so that its bridges
# and published ports never meet the machine engine's (the test tiers of the
# three engines run side by side).
#
# Where each of the two lives (socket, network namespace):
. "$ROOT/scripts/side-engines.sh"

DEFAULT_SOCKET=/var/run/docker.sock
STATE_DIR=${DEVSTACK_STATE_DIR:-/var/lib/devstack}
PID_FILE=$STATE_DIR/dockerd.pid
LOG_FILE=$STATE_DIR/dockerd.log
ENGINE_WAIT=${DEVSTACK_ENGINE_WAIT:-60}
STOP_WAIT=20

PROG=${0##*/}
APT_UPDATED=0
PKG_SUMMARY="skipped (--no-deps)"
PLUGINS_SUMMARY="skipped"
ENGINE26_SUMMARY="skipped"
ENGINE_SUMMARY="skipped (--deps-only)"
IMAGES_SUMMARY="skipped"
PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}")

usage() {
    cat <<EOF
Usage: $PROG [--stack | --deps-only | --no-deps | --stop-engine | --engine26 | --stop-engine26
          | --podman | --stop-podman] [--no-images] [-h|--help]

Install the Debian packages devstack needs (only the missing ones), make sure a
Docker Engine answers (starting dockerd only if none does), and make sure the
bundled stack's images can be had: where the official images can be neither
found nor pulled (no registry), build stand-ins from Debian packages and write
their names into compose/.env (scripts/standin-images.sh --stack).

  (no option)     everything, the test tools, Compose v2 and the devcontainers
                  CLI included (CI, make test and its single-tier targets)
  --stack         what running the stack needs (make up): build packages,
                  engine, images; no test tools
  --deps-only     install missing packages (and Compose v2 and buildx) only;
                  do not check the engine
  --no-deps       check (and if needed start) the engine only
  --no-images     leave the stack's images alone
  --stop-engine   stop the dockerd this script started, if it is still running;
                  an engine started any other way is never touched
  --engine26      start a Docker Engine 26.1 (API 1.45) beside the machine's, in
                  a network namespace of its own, socket
                  unix://$ENGINE26_SOCK (fetching it from Debian
                  $PLUGIN_SUITE first if need be); one that answers there is left alone
  --stop-engine26 stop the Engine 26.1 this script started, if it is running
  --podman        start Podman's Docker-compatible API service (podman system
                  service) beside the machine's engine, socket
                  unix://$PODMAN_SOCK, in a network namespace of
                  its own ($PODMAN_NETNS), with a store and settings of its
                  own under $STATE_DIR/podman (installing podman first if
                  need be); one that answers there is left alone
  --stop-podman   stop the Podman service this script started, if it is running
  -h, --help      show this help

As a user other than root nothing can be installed: if anything is missing,
setup says what before any other step and exits 1, naming the one command
that installs it (this script under sudo).

Environment:
  DOCKER_HOST            engine endpoint (unix:///PATH or tcp://HOST:PORT);
                         default unix://$DEFAULT_SOCKET. An engine is only ever
                         started at the default socket.
  DEVSTACK_STATE_DIR     where dockerd.pid and dockerd.log of an engine started
                         by this script live (default /var/lib/devstack)
  DEVSTACK_ENGINE_WAIT   seconds to wait for a started engine to answer (default 60)
  DEVSTACK_ENV_FILE      the stack's settings (default compose/.env)
  DEVSTACK_ENGINE26_DIR  the Engine 26.1's socket, state and log (default
                         $ENGINE26_DIR)
  DEVSTACK_PODMAN_DIR    the Podman service's socket, run state and log
                         (default $PODMAN_DIR)
  DEVSTACK_CLI_PLUGINS   where Compose v2 and buildx go when missing (default
                         /usr/local/lib/docker/cli-plugins, where docker finds
                         them); when set, the plugins there are checked, not
                         the ones docker finds
EOF
}

say() { printf 'setup: %s\n' "$*"; }
err() { printf 'setup: error: %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---- packages ---------------------------------------------------------------

# missing_packages PKG...: those of the packages that are not installed, one a
# line; a single dpkg-query for all of them (each one takes a while to start)
missing_packages() {
    local pkg
    local -A have=()
    while read -r pkg; do
        have[$pkg]=1
    done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null | awk '/ install ok installed$/ { print $1 }')
    for pkg in "$@"; do
        [ -n "${have[$pkg]:-}" ] || echo "$pkg"
    done
}

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if [ "$APT_UPDATED" -eq 0 ]; then
        say "apt: running apt-get update"
        apt-get update </dev/null
        APT_UPDATED=1
    fi
    apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "$@" </dev/null
}

do_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        err "dpkg-query not found: this script supports Debian/Ubuntu only."
        err "install these packages (or their equivalents) by hand: ${PACKAGES[*]}"
        exit 1
    fi

    local missing=() pkg
    mapfile -t missing < <(missing_packages "${PACKAGES[@]}")

    if [ ${#missing[@]} -eq 0 ]; then
        say "packages: all ${#PACKAGES[@]} present, skipped"
        PKG_SUMMARY="all ${#PACKAGES[@]} present"
        return 0
    fi

    if ! is_root; then
        err "packages: ${#missing[@]} of ${#PACKAGES[@]} missing: ${missing[*]}"
        err "install them as root, then run this script again:"
        err "  sudo apt-get install -y --no-install-recommends ${missing[*]}"
        exit 1
    fi

    say "packages: installing ${missing[*]}"
    apt_install "${missing[@]}"
    for pkg in "${missing[@]}"; do
        case $pkg in
        mariadb-server) quiet_service mariadb ;;
        postgresql-15) quiet_service postgresql ;;
        openssh-server) quiet_service ssh ;;
        esac
    done

    local still=()
    mapfile -t still < <(missing_packages "${missing[@]}")
    if [ ${#still[@]} -ne 0 ]; then
        err "packages: still not installed after apt-get: ${still[*]}"
        exit 1
    fi
    say "packages: installed ${#missing[@]} (${missing[*]}); $((${#PACKAGES[@]} - ${#missing[@]})) already present"
    PKG_SUMMARY="installed ${#missing[@]}, $((${#PACKAGES[@]} - ${#missing[@]})) already present"
}

# Some test packages start a server at install that the tests do not use:
#   mariadb-server   on port 3306, which the stack publishes; the tests start
#                    their own servers on free ports
#   postgresql-15    a cluster (15/main) on port 5432, which the stack
#                    publishes; the tests run their own clusters
#   openssh-server   sshd on port 22; the tests of ssh:// engines start their
#                    own on a free loopback port with a key they make
# quiet_service SERVICE: stop it and keep it from starting at boot.
quiet_service() {
    local service=$1
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl disable --now "$service" >/dev/null 2>&1 || true
    else
        service "$service" stop >/dev/null 2>&1 || true
        update-rc.d "$service" disable >/dev/null 2>&1 || true
    fi
    say "packages: stopped the $service service the package started (the tests run their own)"
}

# ---- Compose v2 and buildx (docker CLI plugins) ----------------------------------

# The Compose v2 version the plugins answer with ("2.26.1-4"), or nothing:
# docker's answer, as users run them; the binaries in the plugin directory
# when DEVSTACK_CLI_PLUGINS names it or there is no docker CLI yet (a plugin
# binary answers on its own; the engine's package brings the CLI later).
compose_v2_version() {
    local out=""
    if [ -z "${DEVSTACK_CLI_PLUGINS:-}" ] && command -v docker >/dev/null 2>&1; then
        docker buildx version >/dev/null 2>&1 || return 0
        out=$(docker compose version 2>/dev/null) || return 0
    else
        [ -x "$PLUGINS_DIR/docker-buildx" ] && "$PLUGINS_DIR/docker-buildx" version >/dev/null 2>&1 || return 0
        out=$("$PLUGINS_DIR/docker-compose" version 2>/dev/null) || return 0
    fi
    [[ $out =~ version\ v?(2\.[0-9][^[:space:]]*) ]] && echo "${BASH_REMATCH[1]}"
    return 0
}

# The mirror of the machine's apt sources (deb822 or one-line form).
apt_mirror() {
    local uri=""
    uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -v -- '-security' | head -n 1 | cut -d' ' -f1) || true
    [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null) || true
    printf '%s\n' "$uri"
}

# trixie_fetch WHAT PKG...: download Debian $PLUGIN_SUITE's PKGs from the
# machine's mirror and unpack them under $STATE_DIR/$PLUGIN_SUITE/root, with
# an apt state of its own: the machine's lists and dpkg database stay as they are
trixie_fetch() {
    local what=$1 mirror state=$STATE_DIR/$PLUGIN_SUITE pkg deb
    shift
    mirror=$(apt_mirror)
    if [ -z "$mirror" ]; then
        err "$what: cannot find the Debian mirror in the apt sources, so $* cannot be fetched"
        return 1
    fi
    say "$what: fetching $* from $PLUGIN_SUITE at $mirror"
    mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs" "$state/root"
    printf 'deb %s %s main\n' "$mirror" "$PLUGIN_SUITE" >"$state/sources.list"
    local apt=(apt-get -q -o Dir::Etc::sourcelist="$state/sources.list" -o Dir::Etc::sourceparts=-
        -o Dir::State::lists="$state/lists" -o Dir::Cache="$state/cache" -o APT::Sandbox::User=root)
    if ! "${apt[@]}" update </dev/null >"$state/update.log" 2>&1; then
        err "$what: apt-get update of $PLUGIN_SUITE failed:"
        tail -n 5 "$state/update.log" | sed 's/^/    /' >&2
        return 1
    fi
    for pkg in "$@"; do
        rm -f "$state/debs/${pkg}"_*.deb
    done
    if ! (cd "$state/debs" && "${apt[@]}" download "$@" </dev/null >"$state/download.log" 2>&1); then
        err "$what: downloading $* failed:"
        tail -n 5 "$state/download.log" | sed 's/^/    /' >&2
        return 1
    fi
    for pkg in "$@"; do
        deb=$(ls "$state/debs/${pkg}"_*.deb | tail -n 1)
        dpkg-deb -x "$deb" "$state/root"
    done
}

do_cli_plugins() {
    local have state=$STATE_DIR/$PLUGIN_SUITE pkg
    have=$(compose_v2_version)
    if [ -n "$have" ]; then
        say "compose: Docker Compose $have and buildx present, skipped"
        PLUGINS_SUMMARY="Compose $have present"
        return 0
    fi
    is_root || { err "Compose v2 and buildx are missing and installing them needs root: sudo $ROOT/scripts/setup.sh --deps-only"; exit 1; }
    if ! trixie_fetch compose "${PLUGIN_PACKAGES[@]}"; then
        err "install docker-compose-plugin (Compose v2) and docker-buildx-plugin by hand, then run this again"
        exit 1
    fi
    mkdir -p "$PLUGINS_DIR"
    for pkg in "${PLUGIN_PACKAGES[@]}"; do
        install -m 755 "$state/root/usr/libexec/docker/cli-plugins/$pkg" "$PLUGINS_DIR/$pkg"
    done
    have=$(compose_v2_version)
    if [ -z "$have" ]; then
        err "compose: the plugins are in $PLUGINS_DIR but do not answer as Compose v2 and buildx"
        exit 1
    fi
    say "compose: installed Docker Compose $have and buildx in $PLUGINS_DIR"
    PLUGINS_SUMMARY="Compose $have installed"
}

# ---- Docker Engine 26.1 ---------------------------------------------------------

# True if the Engine 26.1's binaries are unpacked.
engine26_present() {
    local bin
    for bin in "${ENGINE26_BINS[@]}"; do
        [ -x "$STATE_DIR/$PLUGIN_SUITE/root/$bin" ] || return 1
    done
}

# The binaries, fetched once per machine: the test that starts the engine
# then only starts it.
do_engine26_binaries() {
    if engine26_present; then
        say "engine 26.1: binaries present in $STATE_DIR/$PLUGIN_SUITE/root, skipped"
        ENGINE26_SUMMARY="binaries present"
        return 0
    fi
    is_root || { err "Docker Engine 26.1 is missing and fetching it needs root: sudo $ROOT/scripts/setup.sh"; exit 1; }
    trixie_fetch "engine 26.1" "${ENGINE26_PACKAGES[@]}" || exit 1
    if ! engine26_present; then
        err "engine 26.1: ${ENGINE26_PACKAGES[*]} unpacked, but ${ENGINE26_BINS[*]} are not all there"
        exit 1
    fi
    say "engine 26.1: binaries unpacked in $STATE_DIR/$PLUGIN_SUITE/root"
    ENGINE26_SUMMARY="binaries fetched"
}

engine26_answers() {
    curl -fsS --max-time 2 --unix-socket "$ENGINE26_SOCK" http://localhost/_ping >/dev/null 2>&1
}

do_engine26() {
    if engine26_answers; then
        say "engine 26.1: already answering at unix://$ENGINE26_SOCK, left alone"
        return 0
    fi
    is_root || { err "starting Docker Engine 26.1 needs root: sudo $ROOT/scripts/setup.sh --engine26"; exit 1; }
    do_engine26_binaries
    command -v runc >/dev/null 2>&1 || { say "engine 26.1: installing runc"; apt_install runc; }
    local root=$STATE_DIR/$PLUGIN_SUITE/root bin pid i
    mkdir -p "$ENGINE26_DIR/bin" "$ENGINE26_DIR/data" "$ENGINE26_DIR/exec"
    for bin in "${ENGINE26_BINS[@]}"; do
        cp "$root/$bin" "$ENGINE26_DIR/bin/"
    done
    netns_ensure "$ENGINE26_NETNS"
    rm -f "$ENGINE26_DIR/dockerd.pid"
    # nsenter, not `ip netns exec`, which remounts /sys and hides the cgroup
    # mounts dockerd needs; its own containerd comes from bin/ on PATH
    PATH="$ENGINE26_DIR/bin:$PATH" setsid nsenter --net="/var/run/netns/$ENGINE26_NETNS" \
        "$ENGINE26_DIR/bin/dockerd" --data-root "$ENGINE26_DIR/data" --exec-root "$ENGINE26_DIR/exec" \
        --pidfile "$ENGINE26_DIR/dockerd.pid" -H "unix://$ENGINE26_SOCK" \
        --iptables=false --ip6tables=false >"$ENGINE26_DIR/dockerd.log" 2>&1 </dev/null &
    pid=$!
    for ((i = 0; i < ENGINE_WAIT * 5; i++)); do
        engine26_answers && break
        pid_alive "$pid" || break
        sleep 0.2
    done
    if ! engine26_answers; then
        err "engine 26.1: nothing answers at unix://$ENGINE26_SOCK; last lines of $ENGINE26_DIR/dockerd.log:"
        tail -n 20 "$ENGINE26_DIR/dockerd.log" | sed 's/^/    /' >&2
        pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
        exit 1
    fi
    mkdir -p "$STATE_DIR"
    echo "$pid" >"$STATE_DIR/engine26.pid"
    say "engine 26.1: answering at unix://$ENGINE26_SOCK (dockerd pid $pid, stop it with: $PROG --stop-engine26)"
}

do_stop_engine26() {
    stop_side_engine "Engine 26.1" "$STATE_DIR/engine26.pid" "dockerd .*unix://$ENGINE26_SOCK"
}

# The network namespace NAME, made (with its loopback up) unless it is there.
netns_ensure() {
    command -v ip >/dev/null 2>&1 || { say "installing iproute2"; apt_install iproute2; }
    if ! ip netns list | grep -qw "$1"; then
        ip netns add "$1"
        ip -n "$1" link set lo up
    fi
}

# Stops the engine beside the machine's that this script started: WHAT names
# it, FILE holds its pid, PATTERN matches its command line (a pid that was
# reused by another process is not signalled). TERM, then KILL after STOP_WAIT.
stop_side_engine() {
    local what=$1 file=$2 pattern=$3 pid="" i
    [ -f "$file" ] && pid=$(head -n 1 "$file" | tr -d '[:space:]')
    if [ -z "$pid" ] || ! pid_alive "$pid" ||
        ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"; then
        rm -f "$file"
        say "no $what started by setup is running; nothing stopped"
        return 0
    fi
    kill -TERM "$pid"
    for ((i = 0; i < STOP_WAIT * 5; i++)); do
        pid_alive "$pid" || break
        sleep 0.2
    done
    if pid_alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        say "stop: $what (pid $pid) killed after ${STOP_WAIT}s"
    else
        say "stop: $what (pid $pid) stopped"
    fi
    rm -f "$file"
}

# ---- Podman ---------------------------------------------------------------------

podman_answers() {
    curl -fsS --max-time 2 --unix-socket "$PODMAN_SOCK" http://localhost/_ping >/dev/null 2>&1
}

do_podman() {
    local home=$STATE_DIR/podman pid i
    if podman_answers; then
        say "podman: already answering at unix://$PODMAN_SOCK, left alone"
        return 0
    fi
    is_root || { err "starting the Podman service needs root: sudo $ROOT/scripts/setup.sh --podman"; exit 1; }
    # Debian's podman only recommends catatonit, the init it runs for `init: true`, and
    # leaves the network stack to a choice: netavark, with aardvark-dns for service names
    if ! command -v podman >/dev/null 2>&1 || [ ! -x /usr/libexec/podman/catatonit ] ||
        [ ! -x /usr/lib/podman/aardvark-dns ]; then
        say "podman: installing podman, catatonit, netavark and aardvark-dns"
        apt_install podman catatonit netavark aardvark-dns iptables
    fi
    mkdir -p "$PODMAN_DIR" "$home/storage" "$home/networks"
    cat >"$home/containers.conf" <<CONF
# written by scripts/setup.sh --podman
[containers]
default_ulimits = []
[network]
network_config_dir = "$home/networks"
[engine]
events_logfile_max_size = 0
CONF
    # dockerd pulls from registries on loopback over plain HTTP, Podman only from those named
    # insecure: a prefix without its port names every port (the tests' registries use any)
    cat >"$home/registries.conf" <<CONF
# written by scripts/setup.sh --podman
[[registry]]
location = "127.0.0.1"
insecure = true
CONF
    netns_ensure "$PODMAN_NETNS"
    rm -f "$PODMAN_SOCK"
    CONTAINERS_CONF=$home/containers.conf CONTAINERS_REGISTRIES_CONF=$home/registries.conf \
        setsid nsenter --net="/var/run/netns/$PODMAN_NETNS" podman --root "$home/storage" \
        --runroot "$PODMAN_DIR/run" --tmpdir "$PODMAN_DIR/tmp" \
        system service --time=0 "unix://$PODMAN_SOCK" \
        >"$PODMAN_DIR/podman.log" 2>&1 </dev/null &
    pid=$!
    for ((i = 0; i < ENGINE_WAIT * 5; i++)); do
        podman_answers && break
        pid_alive "$pid" || break
        sleep 0.2
    done
    if ! podman_answers; then
        err "podman: nothing answers at unix://$PODMAN_SOCK; last lines of $PODMAN_DIR/podman.log:"
        tail -n 20 "$PODMAN_DIR/podman.log" | sed 's/^/    /' >&2
        pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
        exit 1
    fi
    # the docker group reaches it as it reaches dockerd's socket
    if getent group docker >/dev/null 2>&1; then
        chgrp docker "$PODMAN_SOCK" && chmod 0660 "$PODMAN_SOCK"
    fi
    mkdir -p "$STATE_DIR"
    echo "$pid" >"$STATE_DIR/podman.pid"
    say "podman: $(podman --version) answering at unix://$PODMAN_SOCK (pid $pid, stop it with: $PROG --stop-podman)"
}

do_stop_podman() {
    stop_side_engine "Podman service" "$STATE_DIR/podman.pid" "system service .*unix://$PODMAN_SOCK"
}

# ---- processes ----------------------------------------------------------------

# True if PID exists and is not a zombie (a killed dockerd whose parent has
# gone may linger as a zombie until init reaps it; it is dead for our purpose).
pid_alive() {
    local pid=$1 stat rest
    [ -r "/proc/$pid/stat" ] || return 1
    stat=$(<"/proc/$pid/stat") 2>/dev/null || return 1
    rest=${stat##*) }
    case ${rest%% *} in
    Z | X | x) return 1 ;;
    esac
    return 0
}

# True if PID is a dockerd process.
pid_is_dockerd() {
    local pid=$1 comm="" arg0=""
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || true
    [ "$comm" = dockerd ] && return 0
    arg0=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1) || true
    [ "${arg0##*/}" = dockerd ]
}

# True if the dockerd with PID serves the default socket: it names no host
# (-H/--host) at all, or names the default socket or a systemd socket (fd://).
# A dockerd of its own socket (a test's private engine, a second engine
# beside the machine's) is not the default engine.
pid_serves_default() {
    local arg want=0 hosts=()
    while IFS= read -r -d '' arg; do
        if [ "$want" -eq 1 ]; then
            hosts+=("$arg")
            want=0
            continue
        fi
        case $arg in
        -H | --host) want=1 ;;
        -H=* | --host=*) hosts+=("${arg#*=}") ;;
        esac
    done 2>/dev/null <"/proc/$1/cmdline"
    [ ${#hosts[@]} -eq 0 ] && return 0
    for arg in "${hosts[@]}"; do
        case $arg in
        "unix://$DEFAULT_SOCKET" | unix:///run/docker.sock | fd://*) return 0 ;;
        esac
    done
    return 1
}

# Print the pids of running dockerd processes that serve the default socket,
# one per line.
dockerd_pids() {
    local d pid
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        if [ "$(cat "$d/comm" 2>/dev/null)" = dockerd ] && pid_alive "$pid" && pid_serves_default "$pid"; then
            echo "$pid"
        fi
    done
}

# Print the pid recorded in the pid file if it is valid, else nothing.
read_pid_file() {
    local pid=""
    [ -f "$PID_FILE" ] || return 0
    pid=$(head -n 1 "$PID_FILE" 2>/dev/null | tr -d '[:space:]') || true
    [[ $pid =~ ^[0-9]+$ ]] && echo "$pid"
    return 0
}

# ---- engine -----------------------------------------------------------------

ENDPOINT_KIND=""  # unix | tcp | other
ENDPOINT_PATH=""  # socket path (unix)
ENDPOINT_URL=""   # base URL (tcp)
ENDPOINT=""       # as shown to the user

resolve_endpoint() {
    local host=${DOCKER_HOST:-}
    case $host in
    "")
        ENDPOINT_KIND=unix ENDPOINT_PATH=$DEFAULT_SOCKET ;;
    unix://*)
        ENDPOINT_KIND=unix ENDPOINT_PATH=${host#unix://} ;;
    tcp://*)
        ENDPOINT_KIND=tcp
        local scheme=http
        [ -n "${DOCKER_TLS_VERIFY:-}" ] && scheme=https
        ENDPOINT_URL="$scheme://${host#tcp://}"
        ENDPOINT_URL=${ENDPOINT_URL%/} ;;
    *)
        ENDPOINT_KIND=other ;;
    esac
    if [ "$ENDPOINT_KIND" = unix ]; then
        ENDPOINT="unix://$ENDPOINT_PATH"
    else
        ENDPOINT=$host
    fi
}

is_default_endpoint() {
    [ "$ENDPOINT_KIND" = unix ] || return 1
    case $ENDPOINT_PATH in
    "$DEFAULT_SOCKET" | /run/docker.sock) return 0 ;;
    esac
    return 1
}

# True if the configured endpoint answers GET /_ping with "OK".
engine_answers() {
    local out=""
    case $ENDPOINT_KIND in
    unix)
        out=$(curl -fsS --max-time 5 --unix-socket "$ENDPOINT_PATH" http://localhost/_ping 2>/dev/null) || return 1 ;;
    tcp)
        local tls=()
        if [ -n "${DOCKER_TLS_VERIFY:-}" ]; then
            local certs=${DOCKER_CERT_PATH:-$HOME/.docker}
            tls=(--cacert "$certs/ca.pem" --cert "$certs/cert.pem" --key "$certs/key.pem")
        fi
        out=$(curl -fsS --max-time 5 "${tls[@]}" "$ENDPOINT_URL/_ping" 2>/dev/null) || return 1 ;;
    *)
        return 1 ;;
    esac
    [ "$out" = OK ]
}

dockerd_path() {
    if command -v dockerd >/dev/null 2>&1; then
        command -v dockerd
    elif [ -x /usr/sbin/dockerd ]; then
        echo /usr/sbin/dockerd
    fi
}

show_log_tail() {
    if [ -s "$LOG_FILE" ]; then
        err "last 30 lines of $LOG_FILE:"
        tail -n 30 "$LOG_FILE" | sed 's/^/    /' >&2
    else
        err "$LOG_FILE is empty or missing"
    fi
}

# Poll /_ping every 0.2 s for up to ENGINE_WAIT seconds. If PID is given and
# dies meanwhile, return 2 at once. Return 0 when the engine answers, 1 on timeout.
wait_for_engine() {
    local pid=${1:-} tries=$((ENGINE_WAIT * 5)) i
    for ((i = 0; i < tries; i++)); do
        engine_answers && return 0
        if [ -n "$pid" ] && ! pid_alive "$pid"; then
            engine_answers && return 0
            return 2
        fi
        sleep 0.2
    done
    engine_answers
}

explain_no_engine() {
    err "no Docker Engine answers at $ENDPOINT"
    if [ "$ENDPOINT_KIND" = unix ] && [ -S "$ENDPOINT_PATH" ] && ! [ -w "$ENDPOINT_PATH" ]; then
        err "$ENDPOINT_PATH exists but $(id -un) may not write to it (permission denied)"
    fi
    if ! is_default_endpoint; then
        err "DOCKER_HOST points at $ENDPOINT; this script only starts an engine at the"
        err "default socket unix://$DEFAULT_SOCKET. Start the engine that should serve"
        err "$ENDPOINT yourself, or unset DOCKER_HOST to use the default socket."
    fi
    is_root && return 0
    if [ "$ENDPOINT_KIND" = unix ] && [ -S "$ENDPOINT_PATH" ] && ! [ -w "$ENDPOINT_PATH" ]; then
        err "to fix it: sudo usermod -aG docker $(id -un) (then log in again), or point DOCKER_HOST at an engine $(id -un) may use"
    elif is_default_endpoint; then
        local self=$ROOT/scripts/setup.sh
        [ "$PWD" = "$ROOT" ] && self=scripts/setup.sh
        err "to fix it: sudo $self (installs and starts an engine)"
    fi
}

do_engine() {
    resolve_endpoint

    if ! command -v curl >/dev/null 2>&1; then
        if is_root; then
            say "engine: curl is needed to check the engine; installing curl ca-certificates"
            apt_install curl ca-certificates
        else
            err "curl is needed to check the engine: sudo apt-get install -y curl"
            exit 1
        fi
    fi

    if engine_answers; then
        say "engine: already answering at $ENDPOINT, left alone"
        ENGINE_SUMMARY="already answering at $ENDPOINT (left alone)"
        return 0
    fi

    if [ "$ENDPOINT_KIND" = other ]; then
        err "DOCKER_HOST=$DOCKER_HOST: only unix:// and tcp:// endpoints can be checked"
    fi
    if ! is_default_endpoint || ! is_root; then
        explain_no_engine
        exit 1
    fi

    say "engine: nothing answers at $ENDPOINT"

    # A dockerd we started earlier that is still coming up: wait for it.
    local pid
    pid=$(read_pid_file)
    if [ -n "$pid" ] && pid_alive "$pid" && pid_is_dockerd "$pid"; then
        say "engine: dockerd started earlier by setup (pid $pid) is running; waiting up to ${ENGINE_WAIT}s for it"
        engine_wait_result "$pid" "waited for"
        return 0
    fi

    local dockerd
    dockerd=$(dockerd_path)
    if [ -z "$dockerd" ]; then
        say "engine: dockerd not found; installing docker.io"
        apt_install docker.io
        dockerd=$(dockerd_path)
        if [ -z "$dockerd" ]; then
            err "docker.io is installed but dockerd is still not found"
            exit 1
        fi
        # The package's postinst may have started the engine (systemd or init.d).
        if engine_answers; then
            say "engine: answering at $ENDPOINT after installing docker.io (started by the package), left alone"
            ENGINE_SUMMARY="started by the docker.io package at $ENDPOINT (not managed by setup)"
            return 0
        fi
    else
        say "engine: dockerd present ($dockerd)"
    fi

    # Some other dockerd (systemd, init.d, by hand) is running but not answering
    # yet: do not start a second one, wait for it instead.
    local others
    others=$(dockerd_pids | tr '\n' ' ')
    others=${others% }
    if [ -n "$others" ]; then
        say "engine: dockerd not started by setup is already running (pid $others); waiting up to ${ENGINE_WAIT}s for it to answer"
        if wait_for_engine ""; then
            say "engine: answering at $ENDPOINT, left alone"
            ENGINE_SUMMARY="answering at $ENDPOINT (not started by setup, left alone)"
            return 0
        fi
        err "dockerd (pid $others) is running but nothing answers at $ENDPOINT after ${ENGINE_WAIT}s"
        err "it was not started by this script, so it is left alone; check its logs or stop it"
        exit 1
    fi

    mkdir -p "$STATE_DIR"
    chmod 0755 "$STATE_DIR"
    rm -f "$PID_FILE"
    say "engine: starting $dockerd in the background (log: $LOG_FILE, pid file: $PID_FILE)"
    # setsid: own session, so the engine outlives this script and its terminal.
    # In a non-interactive shell the job is not a group leader, so setsid execs
    # in place and $! is dockerd's pid.
    setsid nohup "$dockerd" >"$LOG_FILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PID_FILE"
    say "engine: dockerd pid $pid; waiting up to ${ENGINE_WAIT}s for $ENDPOINT to answer"
    engine_wait_result "$pid" "started"
}

# Wait for the dockerd with PID and report; exit 1 on failure.
engine_wait_result() {
    local pid=$1 verb=$2 rc=0 start=$SECONDS
    wait_for_engine "$pid" || rc=$?
    case $rc in
    0)
        say "engine: answering at $ENDPOINT after $((SECONDS - start))s (dockerd pid $pid, stop it with: $PROG --stop-engine)"
        ENGINE_SUMMARY="$verb dockerd (pid $pid) at $ENDPOINT"
        ;;
    2)
        err "dockerd (pid $pid) exited before answering at $ENDPOINT"
        show_log_tail
        rm -f "$PID_FILE"
        exit 1
        ;;
    *)
        err "dockerd (pid $pid) did not answer at $ENDPOINT within ${ENGINE_WAIT}s (DEVSTACK_ENGINE_WAIT)"
        show_log_tail
        err "dockerd is still running; stop it with: $PROG --stop-engine"
        exit 1
        ;;
    esac
}

# ---- --stop-engine ------------------------------------------------------------

do_stop_engine() {
    local pid
    pid=$(read_pid_file)

    if [ ! -e "$PID_FILE" ]; then
        say "no engine started by setup is running; nothing stopped (no $PID_FILE)"
        return 0
    fi
    if [ -z "$pid" ]; then
        say "no engine started by setup is running; nothing stopped (removed unreadable pid file $PID_FILE)"
        rm -f "$PID_FILE"
        return 0
    fi
    if ! pid_alive "$pid"; then
        say "no engine started by setup is running; nothing stopped (pid $pid is gone; removed stale $PID_FILE)"
        rm -f "$PID_FILE"
        return 0
    fi
    if ! pid_is_dockerd "$pid"; then
        say "no engine started by setup is running; nothing stopped (pid $pid is not dockerd; removed stale $PID_FILE)"
        rm -f "$PID_FILE"
        return 0
    fi

    say "stop-engine: sending TERM to dockerd (pid $pid)"
    if ! kill -TERM "$pid" 2>/dev/null; then
        pid_alive "$pid" || { rm -f "$PID_FILE"; say "stop-engine: dockerd (pid $pid) already gone"; return 0; }
        err "cannot signal dockerd (pid $pid); are you root?"
        exit 1
    fi

    local i start=$SECONDS
    for ((i = 0; i < STOP_WAIT * 5; i++)); do
        pid_alive "$pid" || break
        sleep 0.2
    done
    if pid_alive "$pid"; then
        say "stop-engine: dockerd (pid $pid) still running after ${STOP_WAIT}s; sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 25; i++)); do
            pid_alive "$pid" || break
            sleep 0.2
        done
        if pid_alive "$pid"; then
            err "dockerd (pid $pid) survived KILL"
            exit 1
        fi
        say "stop-engine: dockerd (pid $pid) killed"
    else
        say "stop-engine: dockerd (pid $pid) stopped after $((SECONDS - start))s"
    fi
    rm -f "$PID_FILE"
    say "stop-engine: removed $PID_FILE"
}

# ---- the stack's images -------------------------------------------------------

do_images() {
    local env_file=${DEVSTACK_ENV_FILE:-$ROOT/compose/.env}
    say "images: choosing the stack's images ($env_file)"
    if ! bash "$ROOT/scripts/standin-images.sh" --stack "$env_file" </dev/null; then
        err "images: scripts/standin-images.sh --stack failed (its output is above)"
        is_root || err "images: stand-ins are built as root: sudo $ROOT/scripts/setup.sh"
        exit 1
    fi
    IMAGES_SUMMARY="chosen (see $env_file)"
}

# ---- test tools from npm ----------------------------------------------------------

# The version of the devcontainers CLI on PATH, or nothing.
devcontainer_cli_version() { devcontainer --version 2>/dev/null || true; }

do_devcontainer_cli() {
    local have
    have=$(devcontainer_cli_version)
    if [ "$have" = "${DEVCONTAINER_CLI##*@}" ]; then
        say "devcontainers CLI: $have present, skipped"
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        is_root || { err "npm is needed for the devcontainers CLI: sudo apt-get install -y nodejs npm"; exit 1; }
        say "devcontainers CLI: npm not found; installing nodejs npm"
        apt_install nodejs npm
    fi
    is_root || { err "installing $DEVCONTAINER_CLI needs root: sudo npm install -g $DEVCONTAINER_CLI"; exit 1; }
    say "devcontainers CLI: installing $DEVCONTAINER_CLI from the npm registry"
    npm install -g --no-audit --no-fund "$DEVCONTAINER_CLI" </dev/null
    say "devcontainers CLI: $(devcontainer --version) installed"
}

# ---- not root -----------------------------------------------------------------------

# As a user other than root setup can install nothing: look for everything the
# mode needs first, and if anything is missing fail at once, before any other
# step, naming the one command that installs it all (this script under sudo).
preflight_not_root() {
    local mode=$1 lacks=() missing=() have self=$ROOT/scripts/setup.sh item
    shift
    [ "$PWD" = "$ROOT" ] && self=scripts/setup.sh
    if [ "$mode" != engine ] && command -v dpkg-query >/dev/null 2>&1; then
        mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
        [ ${#missing[@]} -eq 0 ] || lacks+=("packages (${#missing[@]} of ${#PACKAGES[@]}): ${missing[*]}")
    fi
    if [ "$mode" = all ] || [ "$mode" = deps ]; then
        [ -n "$(compose_v2_version)" ] || lacks+=("Docker Compose v2 and buildx (docker CLI plugins, from Debian $PLUGIN_SUITE)")
    fi
    if [ "$mode" = all ]; then
        engine26_present || lacks+=("Docker Engine 26.1 (Debian $PLUGIN_SUITE's docker.io and containerd, unpacked)")
        have=$(devcontainer_cli_version)
        [ "$have" = "${DEVCONTAINER_CLI##*@}" ] ||
            lacks+=("the devcontainers CLI ${DEVCONTAINER_CLI##*@} (npm; found: ${have:-none})")
    fi
    # An engine is only ever started at the default socket, and only when no
    # socket is there (a socket this user may not use is explained later).
    local no_engine=0
    if [ "$mode" != deps ]; then
        resolve_endpoint
        if is_default_endpoint && [ ! -S "$ENDPOINT_PATH" ]; then
            no_engine=1
            lacks+=("a Docker Engine at $ENDPOINT")
        fi
    fi
    [ ${#lacks[@]} -eq 0 ] && return 0

    err "not root, so nothing can be installed, and this machine lacks:"
    for item in "${lacks[@]}"; do
        err "  - $item"
    done
    err "install it all with one command: sudo $self${*:+ $*}"
    if [ "$no_engine" -eq 1 ] && ! id -nG | tr ' ' '\n' | grep -qx docker; then
        err "then let $(id -un) reach the engine: sudo usermod -aG docker $(id -un) (and log in again)"
    fi
    exit 1
}

# ---- main -----------------------------------------------------------------------

main() {
    local mode=all stop=0 images=1 args=("$@") start
    start=$(date +%s%N)
    while [ $# -gt 0 ]; do
        case $1 in
        -h | --help) usage; exit 0 ;;
        --stack)
            [ "$mode" = all ] || { usage >&2; exit 2; }
            mode=stack ;;
        --deps-only)
            [ "$mode" = all ] || { usage >&2; exit 2; }
            mode=deps ;;
        --no-deps)
            [ "$mode" = all ] || { usage >&2; exit 2; }
            mode=engine ;;
        --no-images) images=0 ;;
        --stop-engine) stop=1 ;;
        --engine26 | --stop-engine26 | --podman | --stop-podman)
            [ "$mode" = all ] || { usage >&2; exit 2; }
            mode=${1#--} ;;
        *)
            printf '%s: unknown option: %s\n' "$PROG" "$1" >&2
            usage >&2
            exit 2 ;;
        esac
        shift
    done

    case $mode in
    engine26 | stop-engine26 | podman | stop-podman)
        if [ "$stop" -eq 1 ] || [ "$images" -eq 0 ]; then
            printf '%s: --%s stands alone\n' "$PROG" "$mode" >&2
            usage >&2
            exit 2
        fi
        case $mode in
        engine26) do_engine26 ;;
        stop-engine26) do_stop_engine26 ;;
        podman) do_podman ;;
        stop-podman) do_stop_podman ;;
        esac
        return 0 ;;
    esac

    if [ "$stop" -eq 1 ]; then
        if [ "$mode" != all ]; then
            printf '%s: --stop-engine cannot be combined with --stack, --deps-only or --no-deps\n' "$PROG" >&2
            usage >&2
            exit 2
        fi
        do_stop_engine
        return 0
    fi

    if ! [[ $ENGINE_WAIT =~ ^[0-9]+$ ]] || [ "$ENGINE_WAIT" -eq 0 ]; then
        printf '%s: DEVSTACK_ENGINE_WAIT must be a positive number of seconds, got %q\n' "$PROG" "$ENGINE_WAIT" >&2
        exit 2
    fi

    [ "$mode" != stack ] || PACKAGES=("${BUILD_PACKAGES[@]}")
    is_root || preflight_not_root "$mode" "${args[@]}"
    [ "$mode" = engine ] || do_packages
    if [ "$mode" = all ] || [ "$mode" = deps ]; then
        do_cli_plugins
    fi
    [ "$mode" != all ] || do_engine26_binaries
    [ "$mode" != all ] || do_devcontainer_cli
    [ "$mode" = deps ] || do_engine
    if [ "$images" -eq 1 ] && { [ "$mode" = all ] || [ "$mode" = stack ]; }; then
        do_images
    fi
    local ms=$((($(date +%s%N) - start) / 1000000))
    say "done in $((ms / 1000)).$((ms % 1000 / 100))s: packages: $PKG_SUMMARY; compose: $PLUGINS_SUMMARY; engine 26.1: $ENGINE26_SUMMARY; engine: $ENGINE_SUMMARY; images: $IMAGES_SUMMARY"
}

main "$@"
