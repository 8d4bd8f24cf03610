#!/usr/bin/env bash
# Before the integration tests: an engine must answer, and the registry-free
# test image's root filesystem must exist (the tests import it themselves).
# Never skips: without an engine the integration tier fails, in CI and out.
set -euo pipefail
cd "$(dirname "$0")/../.."

sock=/var/run/docker.sock
case "${DOCKER_HOST:-}" in
unix://*) sock=${DOCKER_HOST#unix://} ;;
"") ;;
*) sock= ;;
esac
if [ -n "$sock" ] && ! curl -fsS --max-time 5 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then
    echo "error: no Docker Engine answers at unix://$sock; the integration tests need one" >&2
    echo "hint: run 'make setup' (as root it installs and starts one), or set DOCKER_HOST" >&2
    exit 1
fi

# A busybox root filesystem: about 2 MB, imported in well under a second.
out=build/test-images/busybox-rootfs.tar
if [ ! -s "$out" ]; then
    busybox=$(command -v busybox || true)
    [ -x /bin/busybox ] && busybox=/bin/busybox
    if [ -z "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
        echo "error: busybox (static) is needed to make the test image" >&2
        echo "hint: apt-get install busybox-static, or run 'make setup'" >&2
        exit 1
    fi
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/data"
    cp "$busybox" "$root/bin/busybox"
    for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    mkdir -p "$(dirname "$out")"
    tar -C "$root" -cf "$out.tmp" .
    mv "$out.tmp" "$out"
    echo "prepare: made $out"
fi

# The image itself, for the shell tests (the C test imports its own copy too).
if [ -n "$sock" ] && ! curl -fsS --unix-socket "$sock" http://localhost/images/devstack-test/busybox:latest/json >/dev/null 2>&1; then
    curl -fsS --unix-socket "$sock" -X POST -H 'Content-Type: application/x-tar' --data-binary @"$out" \
        'http://localhost/images/create?fromSrc=-&repo=devstack-test/busybox%3Alatest' >/dev/null
    echo "prepare: imported devstack-test/busybox:latest"
fi
