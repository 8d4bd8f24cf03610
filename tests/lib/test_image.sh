# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# The registry-free test image, devstack-test/busybox:latest, for every test
# that runs containers or needs an image the engine has. Sourced:
#
#     . "$ROOT/tests/lib/test_image.sh"
#     test_image_ensure || tap_bail "the test image $TEST_IMAGE: $TEST_IMAGE_ERROR"
#
#   test_image_ensure [SOCKET]  the engine at SOCKET (default: DOCKER_HOST's
#                               unix socket, else /var/run/docker.sock) has
#                               TEST_IMAGE afterwards: imported from TEST_ROOTFS
#                               when it is missing
#   test_rootfs_ensure          TEST_ROOTFS exists afterwards: a root file
#                               system made from Debian's busybox-static (about
#                               2 MB; the C tests import it themselves)
#
# Both return 1 with the reason and what to do in TEST_IMAGE_ERROR, and say
# what they made or imported on stdout as "# ..." lines (TAP comments). A test
# never relies on another test or tier having imported the image before it.

TEST_IMAGE=devstack-test/busybox:latest
TEST_ROOTFS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/test-images/busybox-rootfs.tar
TEST_IMAGE_ERROR=

test_rootfs_ensure() {
    TEST_IMAGE_ERROR=
    [ -s "$TEST_ROOTFS" ] && return 0
    local busybox root applet
    busybox=$(command -v busybox || true)
    [ -x /bin/busybox ] && busybox=/bin/busybox
    if [ -z "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
        TEST_IMAGE_ERROR="busybox (static) is needed to make it: apt-get install busybox-static (scripts/setup.sh installs it)"
        return 1
    fi
    root=$(mktemp -d "${TMPDIR:-/tmp}/test-rootfs.XXXXXX") || {
        TEST_IMAGE_ERROR="cannot make a temporary directory"
        return 1
    }
    mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/data"
    cp "$busybox" "$root/bin/busybox"
    for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    # written aside and renamed: a test running at the same time never reads half a file
    if ! mkdir -p "$(dirname "$TEST_ROOTFS")" || ! tar -C "$root" -cf "$TEST_ROOTFS.tmp.$$" . ||
        ! mv "$TEST_ROOTFS.tmp.$$" "$TEST_ROOTFS"; then
        rm -rf "$root" "$TEST_ROOTFS.tmp.$$"
        TEST_IMAGE_ERROR="cannot write $TEST_ROOTFS"
        return 1
    fi
    rm -rf "$root"
    echo "# made $TEST_ROOTFS from $busybox"
}

# _test_image_present SOCKET: 0 if the engine has the image, 1 if it answers
# that it has not, 2 if it does not answer
_test_image_present() {
    local code
    code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --unix-socket "$1" \
        "http://localhost/v1.41/images/$TEST_IMAGE/json" 2>/dev/null) || return 2
    case $code in
    200) return 0 ;;
    404) return 1 ;;
    *) return 2 ;;
    esac
}

test_image_ensure() {
    local sock=${1:-} lock fd rc=0 out
    if [ -z "$sock" ]; then
        case ${DOCKER_HOST:-} in
        "") sock=/var/run/docker.sock ;;
        unix://*) sock=${DOCKER_HOST#unix://} ;;
        *)
            TEST_IMAGE_ERROR="DOCKER_HOST=$DOCKER_HOST: the tests reach the engine through a unix socket only"
            return 1 ;;
        esac
    fi
    TEST_IMAGE_ERROR=
    _test_image_present "$sock" && return 0
    if [ $? -eq 2 ]; then
        TEST_IMAGE_ERROR="no Docker Engine answers at unix://$sock (scripts/setup.sh starts one as root, or set DOCKER_HOST)"
        return 1
    fi
    test_rootfs_ensure || return 1
    # One import at a time per user: two at once would leave an untagged copy.
    lock=${TMPDIR:-/tmp}/devstack-test-image-$(id -u).lock
    if : >>"$lock" 2>/dev/null && exec {fd}<"$lock"; then
        flock "$fd"
    else
        fd=
    fi
    if ! _test_image_present "$sock"; then
        out=$(curl -sS --fail-with-body --max-time 120 --unix-socket "$sock" -X POST \
            -H 'Content-Type: application/x-tar' --data-binary @"$TEST_ROOTFS" \
            'http://localhost/v1.41/images/create?fromSrc=-&repo=devstack-test/busybox&tag=latest' 2>&1) || rc=1
        # a failed import can still answer 200, with the error in the stream
        if [ "$rc" -ne 0 ] || ! _test_image_present "$sock"; then
            TEST_IMAGE_ERROR="importing $TEST_ROOTFS into the engine at unix://$sock failed: $(printf '%s' "$out" | tail -c 300)"
            rc=1
        else
            echo "# imported $TEST_IMAGE into the engine at unix://$sock"
        fi
    fi
    [ -z "$fd" ] || exec {fd}<&-
    return "$rc"
}
