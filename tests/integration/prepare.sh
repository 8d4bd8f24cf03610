#!/usr/bin/env bash
# Before the integration tests: an engine must answer, and the registry-free
# test image must be there (tests/lib/test_image.sh; the C tests import its
# root file system themselves, the shell tests make sure of the image too).
# Never skips: without an engine the integration tier fails, in CI and out.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/test_image.sh

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

# The root file system always: the C tests import it whether or not the engine
# has the image. The image itself over a unix socket (the shell tests use it).
ready=1
test_rootfs_ensure || ready=0
if [ "$ready" -eq 1 ] && [ -n "$sock" ]; then
    test_image_ensure "$sock" || ready=0
fi
if [ "$ready" -eq 0 ]; then
    echo "error: the test image $TEST_IMAGE: $TEST_IMAGE_ERROR" >&2
    exit 1
fi
