#!/usr/bin/env bash
# Build the registry-free stand-in images the bundled stack and the tests use.
#
#   scripts/standin-images.sh [--force] [--no-cache] [--only NAME]... [--list] [--stack ENV_FILE] [-h|--help]
#
# No container registry is reachable on the machines devstack is built on, so
# every image is made from Debian packages: a minbase debootstrap imported as
# devstack/debian:bookworm, and Dockerfiles in scripts/standin/<name>/ built
# FROM it. Only the Engine API is used (curl over the socket, never the docker
# CLI) so that a remote engine or Podman's Docker-compatible API works too.
# Images live as long as the engine's store: each is built once and skipped
# afterwards unless --force is given.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STANDIN_DIR=$ROOT/scripts/standin
STATE_DIR=${DEVSTACK_STATE_DIR:-/var/lib/devstack}
CACHE_DIR=$STATE_DIR/standin
DEFAULT_SOCKET=/var/run/docker.sock
MIRROR=${DEVSTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEVSTACK_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
# The newest API version this script was written against; the engine's own
# version is used when it is older (Engine API version negotiation).
CLIENT_API=1.41
LABEL=devstack.standin
PROG=${0##*/}

# name | image | description. The first one is the base of all the others and
# is made by debootstrap, not by a Dockerfile.
IMAGES=(
    "debian|devstack/debian:bookworm|Debian 12 minbase root file system made by debootstrap (devstack stand-in for debian:bookworm)"
    "mariadb|devstack/mariadb:10.11|Debian's MariaDB 10.11 with the mysql/mariadb images' entrypoint contract (devstack stand-in for mysql:8.0)"
    "nginx|devstack/nginx:bookworm|Debian's nginx laid out like the official nginx image (devstack stand-in for nginx)"
    "phpmyadmin|devstack/phpmyadmin:bookworm|Debian's phpMyAdmin on Apache + mod_php with the official image's PMA_* environment (devstack stand-in for phpmyadmin)"
    "postgres|devstack/postgres:15|Debian's PostgreSQL 15 with the official postgres image's entrypoint contract (devstack stand-in for postgres)"
    "adminer|devstack/adminer:bookworm|Debian's Adminer 4.8 (MySQL/MariaDB and PostgreSQL) on PHP's built-in server, like the official adminer image (devstack stand-in for adminer)"
    "python|devstack/python:3.11-fastapi|Debian's Python 3.11 with FastAPI, uvicorn, SQLAlchemy, Alembic, PyMySQL, psycopg2, asyncpg and a C toolchain (devstack stand-in for python:3.11)"
)

usage() {
    cat <<EOF
Usage: $PROG [--force] [--no-cache] [--only NAME]... [--list] [--stack ENV_FILE] [-h|--help]

Build the stand-in images devstack's stack and tests use, without a registry:
$(for entry in "${IMAGES[@]}"; do IFS='|' read -r n i _ <<<"$entry"; printf '  %-11s %s\n' "$n" "$i"; done)

An image that already exists in the engine is skipped. The Debian base is made
with debootstrap (needs root); the others are built FROM it via the Engine API.

  --force        rebuild the selected images even if they exist (images built
                 FROM a rebuilt base keep the old one until they are rebuilt too)
  --no-cache     do not reuse the engine's build cache (fresh apt packages)
  --only NAME    build only NAME (repeatable; a name above or the image name);
                 the Debian base is still built first if it is missing
  --list         print the image names and whether each exists, then exit
  --stack ENV_FILE
                 choose the bundled stack's images instead: for each of
                 MYSQL_IMAGE, POSTGRES_IMAGE, PYTHON_IMAGE, NGINX_IMAGE,
                 PHPMYADMIN_IMAGE and ADMINER_IMAGE in
                 ENV_FILE (made from the .env.example beside it if missing,
                 with this checkout's own COMPOSE_PROJECT_NAME if the example
                 leaves it empty),
                 keep the image when the engine has it or can pull it, else
                 build its stand-in and write the stand-in's name into ENV_FILE
  -h, --help     show this help

An image whose scripts/standin/<name> files changed since it was built is
rebuilt (the digest of the files is a label of the image).

Environment:
  DOCKER_HOST                      engine endpoint, unix:///PATH or tcp://HOST:PORT
                                   (default unix://$DEFAULT_SOCKET)
  DEVSTACK_STATE_DIR               the debootstrap download cache lives in
                                   \$DEVSTACK_STATE_DIR/standin (default /var/lib/devstack)
  DEVSTACK_DEBIAN_MIRROR           default $MIRROR
  DEVSTACK_DEBIAN_SECURITY_MIRROR  default $SECURITY_MIRROR
EOF
}

say() { printf '%s: %s\n' "$PROG" "$*"; }
err() { printf '%s: error: %s\n' "$PROG" "$*" >&2; }
die() {
    err "$*"
    exit 1
}
usage_error() {
    err "$*"
    usage >&2
    exit 2
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

need_cmd() {
    command -v "$1" >/dev/null 2>&1 && return 0
    [ "$(id -u)" -eq 0 ] || die "'$1' is missing; install it as root: apt-get install -y $2"
    say "installing $2 (for '$1')"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" </dev/null >/dev/null ||
        { apt-get update </dev/null >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" </dev/null >/dev/null; } ||
        die "cannot install $2"
}

# ---- Engine API --------------------------------------------------------------

CURL_TARGET=()  # curl arguments that reach the engine
BASE_URL=""     # http://localhost/v1.NN (or the tcp host)
ENDPOINT=""

resolve_endpoint() {
    local host=${DOCKER_HOST:-unix://$DEFAULT_SOCKET} base
    case $host in
    unix://*)
        CURL_TARGET=(--unix-socket "${host#unix://}")
        base=http://localhost ;;
    tcp://*)
        CURL_TARGET=()
        base=http://${host#tcp://}
        base=${base%/} ;;
    *)
        die "DOCKER_HOST='$host' is not supported here: use unix:///PATH or tcp://HOST:PORT" ;;
    esac
    ENDPOINT=$host
    local hint="hint: start the engine ('make setup' as root), or point DOCKER_HOST at a running engine"
    if [[ $host == unix://* ]] && [ ! -S "${host#unix://}" ]; then
        die "cannot connect to the Docker Engine at '$ENDPOINT': no such socket"$'\n'"$hint"
    fi

    local headers version
    headers=$(curl -sS --max-time 10 -D - -o /dev/null "${CURL_TARGET[@]}" "$base/_ping" 2>&1) ||
        die "cannot connect to the Docker Engine at '$ENDPOINT': ${headers##*curl: }"$'\n'"$hint"
    version=$(tr -d '\r' <<<"$headers" | awk -F': *' 'tolower($1) == "api-version" { print $2 }')
    [[ $version =~ ^1\.[0-9]+$ ]] || die "the engine at '$ENDPOINT' sent no usable API-Version header"
    if [ "${version#1.}" -lt "${CLIENT_API#1.}" ]; then
        BASE_URL=$base/v$version
    else
        BASE_URL=$base/v$CLIENT_API
    fi
}

# api METHOD PATH [curl args...]: the body on stdout; fails on HTTP >= 400.
api() {
    local method=$1 path=$2
    shift 2
    curl -sS --fail-with-body -X "$method" "${CURL_TARGET[@]}" "$@" "$BASE_URL$path"
}

image_exists() { api GET "/images/$1/json" -o /dev/null 2>/dev/null; }

# image_infos IMAGE...: INFO[IMAGE] is "SIZE<TAB>CONTEXT-LABEL" for each image
# the engine has, and unset for one it has not. A body is parsed only after a
# 2xx status: the engine's answer to a missing image is a 404 with
# {"message": "No such image: ..."}. One Python reads them all (it is slow to
# start on small machines).
declare -A INFO=()
image_infos() {
    local dir i=0 image size context names=("$@")
    dir=$(mktemp -d "${TMPDIR:-/tmp}/standin-info.XXXXXX")
    for image in "$@"; do
        unset "INFO[$image]"
        api GET "/images/$image/json" -o "$dir/$i" 2>/dev/null || rm -f "$dir/$i"
        i=$((i + 1))
    done
    while IFS=$'\t' read -r i size context; do
        INFO[${names[i]}]=$size$'\t'$context
    done < <(python3 -c '
import json, os, sys
label, directory, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    path = os.path.join(directory, str(i))
    if os.path.exists(path):
        with open(path) as f:
            image = json.load(f)
        labels = (image.get("Config") or {}).get("Labels") or {}
        print("%d\t%.0f MB\t%s" % (i, image["Size"] / 1e6, labels.get(label + ".context", "")))' "$LABEL" "$dir" "$#")
    rm -rf "$dir"
}

# image_info IMAGE: "SIZE<TAB>CONTEXT-LABEL" of an image; fails quietly if it is absent.
image_info() {
    image_infos "$1"
    [ -n "${INFO[$1]:-}" ] || return 1
    printf '%s\n' "${INFO[$1]}"
}

image_size() { image_info "$1" | cut -f1; }

urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# Reads an engine JSON stream (build or import) on stdin. Shows each message
# prefixed with the image name as it arrives, and exits 1 if the stream
# carries an error: the HTTP status is 200 before the work starts, so a failure
# only ever shows up inside the stream.
STREAM_PY='
import json, re, sys
name = sys.argv[1]
tail, failed, dec, buf = [], None, json.JSONDecoder(), ""
ansi = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # the builder colours RUN stderr
def show(text):
    for line in text.rstrip("\n").split("\n"):
        line = ansi.sub("", line).rstrip("\r")
        if not line.strip():
            continue
        tail.append(line); del tail[:-25]
        print("[%s] %s" % (name, line), flush=True)
for chunk in iter(lambda: sys.stdin.readline(), ""):
    buf += chunk
    while True:
        buf = buf.lstrip()
        if not buf:
            break
        try:
            msg, end = dec.raw_decode(buf)
        except ValueError:
            break
        buf = buf[end:]
        if not isinstance(msg, dict):
            continue
        if "errorDetail" in msg or "error" in msg:
            failed = (msg.get("errorDetail") or {}).get("message") or msg.get("error")
        elif "message" in msg and len(msg) == 1:
            failed = msg["message"]  # a non-200 answer body
        elif msg.get("stream"):
            show(msg["stream"])
        elif msg.get("status") and "progressDetail" not in msg:
            show(msg["status"] + (" " + msg["id"] if msg.get("id") else ""))
if buf.strip():
    failed = failed or "unparsable answer from the engine: " + buf.strip()[:300]
if failed:
    sys.stderr.write("%s: engine reported: %s\n" % (name, failed.strip()))
    sys.stderr.write("%s: last lines:\n" % name)
    for line in tail[-15:]:
        sys.stderr.write("  | %s\n" % line)
    sys.exit(1)
'

# post_stream NAME PATH: POST stdin (a tar) to PATH and follow the JSON stream;
# fails if the stream carries an error or the status is not 2xx (whatever the
# body of an error status says, it is shown, never taken for progress).
post_stream() {
    local name=$1 path=$2
    # -T - streams the tar in chunks instead of reading it all into memory;
    # an empty Expect header avoids a round trip some engines answer slowly.
    curl -sS -N --fail-with-body -X POST "${CURL_TARGET[@]}" -T - -H 'Content-Type: application/x-tar' -H 'Expect:' \
        "$BASE_URL$path" | python3 -c "$STREAM_PY" "$name"
}

# ---- the Debian base ------------------------------------------------------------

WORK=""
# Unmounts whatever debootstrap left mounted under $1 (it mounts /proc and
# /sys in the target, and a failed run may leave them), deepest first, so that
# removing the tree can never reach the host's /proc, /sys or /dev.
unmount_under() {
    local dir=$1 mnt
    [ -d "$dir" ] || return 0
    awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
}
CURRENT=""
cleanup() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -n "$CURRENT" ]; then
        err "building $CURRENT failed (exit $status)"
    fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        unmount_under "$WORK"
        if awk -v d="$WORK/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
            err "something is still mounted under $WORK; not removing it"
        else
            rm -rf --one-file-system "$WORK"
        fi
    fi
}
trap cleanup EXIT

# The package set debootstrap downloads, cached so that a rebuild (--force, or
# after the image was removed) needs no network for the base.
debootstrap_tarball() {
    local tarball
    tarball=$CACHE_DIR/debootstrap-$SUITE-minbase-$(dpkg --print-architecture).tgz
    if [ -s "$tarball" ]; then
        say "debian: using cached packages $tarball" >&2
    else
        say "debian: downloading the $SUITE minbase packages from $MIRROR" >&2
        mkdir -p "$CACHE_DIR"
        rm -rf --one-file-system "$WORK/download"
        if ! debootstrap --variant=minbase --make-tarball="$WORK/packages.tgz" \
            "$SUITE" "$WORK/download" "$MIRROR" >"$WORK/download.log" 2>&1; then
            tail -n 30 "$WORK/download.log" >&2
            die "debootstrap --make-tarball failed (is $MIRROR reachable?)"
        fi
        unmount_under "$WORK/download"
        rm -rf --one-file-system "$WORK/download"
        mv "$WORK/packages.tgz" "$tarball"
    fi
    echo "$tarball"
}

# Tweaks the official debian images carry: no service starts during package
# installs (there is no init), no package caches or translations kept in
# layers, and the updates and security suites enabled.
configure_rootfs() {
    local r=$1
    cat >"$r/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# Containers have no init system: never start services from package scripts.
exit 101
EOF
    chmod 755 "$r/usr/sbin/policy-rc.d"
    cat >"$r/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$r/etc/apt/apt.conf.d/docker-no-languages"
    echo 'Acquire::GzipIndexes "true";' >"$r/etc/apt/apt.conf.d/docker-gzip-indexes"
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
    rm -f "$r/etc/apt/sources.list"
    cat >"$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # The engine provides these at run time; the host's copies must not leak in.
    rm -f "$r/etc/resolv.conf" "$r/etc/hostname"
    : >"$r/etc/resolv.conf"
    rm -rf "${r:?}"/var/lib/apt/lists/* "${r:?}"/var/cache/apt/* "${r:?}"/var/cache/debconf/*-old \
        "${r:?}"/var/log/* "${r:?}"/tmp/* "${r:?}"/root/.bash_history
    mkdir -p "$r/var/lib/apt/lists/partial" "$r/var/cache/apt/archives/partial"
    # The engine mounts its own /dev; nodes in the layer would only get in the
    # way of engines that cannot mknod (rootless Podman).
    find "$r/dev" -mindepth 1 -delete
}

build_debian() {
    local image=$1 description=$2
    [ "$(id -u)" -eq 0 ] || die "building $image needs root (debootstrap must chroot and create device files); run: sudo $0 --only debian"
    need_cmd debootstrap debootstrap
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/standin-debian.XXXXXX")

    local tarball
    tarball=$(debootstrap_tarball)
    say "debian: debootstrap --variant=minbase $SUITE (from the cached packages)"
    if ! debootstrap --variant=minbase --unpack-tarball="$tarball" "$SUITE" "$WORK/root" "$MIRROR" \
        >"$WORK/debootstrap.log" 2>&1; then
        tail -n 30 "$WORK/debootstrap.log" >&2
        [ -f "$WORK/root/debootstrap/debootstrap.log" ] && tail -n 30 "$WORK/root/debootstrap/debootstrap.log" >&2
        die "debootstrap failed (a corrupt cache? remove $tarball and run again)"
    fi
    unmount_under "$WORK/root"
    configure_rootfs "$WORK/root"

    local path="/images/create?fromSrc=-&repo=${image%:*}&tag=${image##*:}" change
    for change in "LABEL $LABEL=1" "LABEL org.opencontainers.image.description=\"$description\"" \
        'CMD ["bash"]'; do
        path+="&changes=$(urlencode "$change")"
    done
    say "debian: importing $(du -sm "$WORK/root" | cut -f1) MB as $image"
    tar --numeric-owner --xattrs -C "$WORK/root" -c . | post_stream debian "$path"
    unmount_under "$WORK"
    rm -rf --one-file-system "$WORK"
    WORK=""
}

# ---- Dockerfile images ------------------------------------------------------------

# A digest of the build context, stored as a label so that a skipped image can
# be reported as older than the files it was built from.
context_digest() {
    (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

build_dockerfile() {
    local name=$1 image=$2 description=$3 dir=$STANDIN_DIR/$1 labels
    [ -f "$dir/Dockerfile" ] || die "$dir/Dockerfile is missing"
    labels=$(python3 -c 'import json, sys; print(json.dumps({sys.argv[1]: "1", sys.argv[1] + ".context": sys.argv[2],
        "org.opencontainers.image.description": sys.argv[3]}))' "$LABEL" "$(context_digest "$dir")" "$description")
    # rm/forcerm: no intermediate containers are left behind, even on failure.
    tar -C "$dir" -c . |
        post_stream "$name" "/build?t=$(urlencode "$image")&labels=$(urlencode "$labels")&rm=1&forcerm=1&pull=0&nocache=$nocache"
}

# ---- the bundled stack's images (--stack) ----------------------------------------

# The stack's image variables and the stand-in of each.
STACK_IMAGES=(
    "MYSQL_IMAGE|mariadb"
    "POSTGRES_IMAGE|postgres"
    "PYTHON_IMAGE|python"
    "NGINX_IMAGE|nginx"
    "PHPMYADMIN_IMAGE|phpmyadmin"
    "ADMINER_IMAGE|adminer"
)

# env_get FILE KEY: the value of KEY in a .env file (the last assignment;
# quotes taken off), or nothing.
env_get() {
    [ -f "$1" ] || return 0
    sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1 | sed -e 's/[[:space:]]*$//' \
        -e "s/^\"\(.*\)\"\$/\1/" -e "s/^'\(.*\)'\$/\1/"
}

# env_set FILE KEY VALUE: replace KEY's assignment (or append one), keeping
# the file's mode, by writing a new file and renaming it into place.
env_set() {
    python3 - "$@" <<'PY'
import os, re, sys, tempfile
path, key, value = sys.argv[1:4]
with open(path, encoding="utf-8") as f:
    lines = f.read().splitlines(keepends=True)
pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
done = False
for i, line in enumerate(lines):
    if pattern.match(line):
        lines[i] = "%s=%s\n" % (key, value)
        done = True
if not done:
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.append("%s=%s\n" % (key, value))
mode = os.stat(path).st_mode & 0o7777
fd, tmp = tempfile.mkstemp(prefix=".env.", dir=os.path.dirname(os.path.abspath(path)))
with os.fdopen(fd, "w", encoding="utf-8") as f:
    f.writelines(lines)
os.chmod(tmp, mode)
os.replace(tmp, path)
PY
}

# standin_image NAME: the stand-in image called NAME in IMAGES.
standin_image() {
    local entry n i
    for entry in "${IMAGES[@]}"; do
        IFS='|' read -r n i _ <<<"$entry"
        [ "$n" = "$1" ] && { echo "$i"; return 0; }
    done
    return 1
}

# pull_image REF: pulls REF; on failure prints the engine's reason and fails.
pull_image() {
    local ref=$1 name tag out
    name=$ref tag=""
    # a tag is after the last ':' unless that ':' is part of a registry's port
    if [[ ${ref##*/} == *:* ]] && [[ $ref != *@* ]]; then
        name=${ref%:*} tag=${ref##*:}
    fi
    # --fail-with-body: an error status fails the pull even if its body is
    # not the {"message": ...} the stream reader recognises
    out=$(curl -sS -N --fail-with-body -X POST "${CURL_TARGET[@]}" \
        "$BASE_URL/images/create?fromImage=$(urlencode "$name")${tag:+&tag=$(urlencode "$tag")}" 2>&1 |
        python3 -c "$STREAM_PY" "$ref" 2>&1) && return 0
    sed -n 's/^.*engine reported: //p' <<<"$out" | head -n 1 | grep . || tail -n 1 <<<"$out"
    return 1
}

# choose_stack_images ENV_FILE: sets `selected` to the stand-ins to build and
# STACK_WRITES to the KEY=IMAGE assignments to write once they are built.
STACK_WRITES=()
choose_stack_images() {
    local env_file=$1 example entry key name standin value reason default
    example=$(dirname "$env_file")/.env.example
    if [ ! -f "$env_file" ]; then
        [ -f "$example" ] || die "$env_file does not exist and there is no $example to make it from"
        # as devstack's first up makes it: mode 600, this checkout's own project name
        bash "$(dirname "${BASH_SOURCE[0]}")/seed-env.sh" "$env_file" || die "cannot create $env_file"
    fi
    for entry in "${STACK_IMAGES[@]}"; do
        IFS='|' read -r key name <<<"$entry"
        standin=$(standin_image "$name")
        value=$(env_get "$env_file" "$key")
        default=$(env_get "$example" "$key")
        value=${value:-$default}
        if [ -z "$value" ]; then
            die "$key is set neither in $env_file nor in $example"
        elif [ "$value" = "$standin" ]; then
            say "$key=$value: the stand-in (built if missing or changed)"
            selected+=("$name")
        elif image_exists "$value"; then
            say "$key=$value: present in the engine"
        elif reason=$(pull_image "$value"); then
            say "$key=$value: pulled"
        else
            say "$key=$value: not in the engine and cannot be pulled ($reason): using the stand-in $standin"
            selected+=("$name")
            STACK_WRITES+=("$key=$standin")
        fi
    done
}

# ---- main ------------------------------------------------------------------------

force=0 list=0 nocache=0 only=() stack_env=""
while [ $# -gt 0 ]; do
    case $1 in
    --force) force=1 ;;
    --no-cache) nocache=1 ;;
    --only)
        [ $# -ge 2 ] || usage_error "--only needs a NAME"
        only+=("$2")
        shift ;;
    --only=*) only+=("${1#--only=}") ;;
    --list) list=1 ;;
    --stack)
        [ $# -ge 2 ] || usage_error "--stack needs an ENV_FILE"
        stack_env=$2
        shift ;;
    --stack=*) stack_env=${1#--stack=} ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option '$1'" ;;
    esac
    shift
done

known() {
    local want=$1 entry n i
    for entry in "${IMAGES[@]}"; do
        IFS='|' read -r n i _ <<<"$entry"
        [ "$want" = "$n" ] || [ "$want" = "$i" ] && { echo "$n"; return 0; }
    done
    return 1
}
selected=()
for want in "${only[@]}"; do
    n=$(known "$want") || usage_error "unknown image '$want' (one of: $(for e in "${IMAGES[@]}"; do printf '%s ' "${e%%|*}"; done))"
    selected+=("$n")
done

need_cmd curl curl
need_cmd python3 python3
resolve_endpoint

# every image's name, for image_infos
all=()
for entry in "${IMAGES[@]}"; do
    IFS='|' read -r _ image _ <<<"$entry"
    all+=("$image")
done

if [ "$list" -eq 1 ]; then
    image_infos "${all[@]}"
    for entry in "${IMAGES[@]}"; do
        IFS='|' read -r n image _ <<<"$entry"
        if [ -n "${INFO[$image]:-}" ]; then state="present (${INFO[$image]%%$'\t'*})"; else state=missing; fi
        printf '%-11s %-32s %s\n' "$n" "$image" "$state"
    done
    exit 0
fi

# Two runs at once (tests in parallel) would build the same images twice.
lock_dir=$STATE_DIR
if ! mkdir -p "$lock_dir" 2>/dev/null || [ ! -w "$lock_dir" ]; then
    lock_dir=${TMPDIR:-/tmp}
fi
exec 9>"$lock_dir/standin-$(id -u).lock"
if ! flock -n 9; then
    say "another $PROG is running; waiting for it"
    flock 9
fi

say "engine $ENDPOINT (API ${BASE_URL##*/v})"
total_start=$(now)
if [ -n "$stack_env" ]; then
    [ ${#selected[@]} -eq 0 ] || usage_error "--stack chooses the images itself: no --only with it"
    choose_stack_images "$stack_env"
    if [ ${#selected[@]} -eq 0 ]; then
        say "done: the stack needs no stand-in"
        exit 0
    fi
fi
built=0 skipped=0
image_infos "${all[@]}"
for entry in "${IMAGES[@]}"; do
    IFS='|' read -r name image description <<<"$entry"
    wanted=1
    if [ ${#selected[@]} -gt 0 ]; then
        wanted=0
        for n in "${selected[@]}"; do [ "$n" = "$name" ] && wanted=1; done
    fi
    start=$(now)
    if [ "$wanted" -eq 0 ]; then
        # Everything else is built FROM the base: build it if it is missing.
        if [ "$name" != debian ] || image_exists "$image"; then continue; fi
    elif [ "$force" -eq 0 ] && [ -n "${INFO[$image]:-}" ]; then
        info=${INFO[$image]}
        if [ "$name" = debian ] || [ "${info#*$'\t'}" = "$(context_digest "$STANDIN_DIR/$name")" ]; then
            say "skipped $image (exists, ${info%%$'\t'*}) in $(since "$start")"
            skipped=$((skipped + 1))
            continue
        fi
        say "scripts/standin/$name changed since $image was built: rebuilding it"
    fi
    say "building $image"
    CURRENT=$image
    if [ "$name" = debian ]; then
        build_debian "$image" "$description"
    else
        build_dockerfile "$name" "$image" "$description"
    fi
    CURRENT=""
    image_exists "$image" || die "the engine reported success but has no image $image"
    say "built $image ($(image_size "$image")) in $(since "$start")"
    built=$((built + 1))
done
for assignment in "${STACK_WRITES[@]}"; do
    env_set "$stack_env" "${assignment%%=*}" "${assignment#*=}"
    say "wrote $assignment into $stack_env"
done
say "done: $built built, $skipped skipped in $(since "$total_start")"
