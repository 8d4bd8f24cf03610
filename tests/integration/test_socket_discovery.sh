#!/usr/bin/env bash
# Which default socket a user without access to the system engine's socket
# gets, for real: a user who is not root and not in the docker group (nobody,
# through setpriv), a rootless engine's socket at $XDG_RUNTIME_DIR/docker.sock
# that only that user may open (the engine the tests use, forwarded to it by
# socat), and the system socket /var/run/docker.sock beside it. Checked:
# devstack picks the socket it may use, says which, and reaches the engine
# through it (version, up, ps, down); without it the error is the system
# socket's permission denied with the hint for the docker group; with both
# usable the system socket comes first, as the docker CLI has it.
# The project is named dssock<pid>; the EXIT trap removes it.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && command -v socat >/dev/null ||
    tap_cannot_run "root, setpriv and socat, to act as a user without the system engine"
[ "$SOCK" = /var/run/docker.sock ] ||
    tap_cannot_run "the engine under test at /var/run/docker.sock (it is $SOCK), the first default socket"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dssock$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_socket_discovery.XXXXXX")
chmod 755 "$TMP"
FWD_PID=
cleanup() {
    [ -n "$FWD_PID" ] && kill "$FWD_PID" 2>/dev/null
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

USER_ID=$(id -u nobody) GROUP_ID=$(id -g nobody)
XDG=$TMP/xdg
mkdir -p "$XDG" "$TMP/p" && chown "$USER_ID:$GROUP_ID" "$XDG" "$TMP/p" && chmod 700 "$XDG"
cat >"$TMP/p/compose.yaml" <<EOF
name: $RUN
services:
  app:
    image: $IMAGE
    command: ["sleep", "3600"]
EOF
chmod 644 "$TMP/p/compose.yaml"

# as_user ARGS...: devstack as nobody in the project, HOME and XDG_RUNTIME_DIR its own
as_user() {
    out=$(cd "$TMP/p" && env -i PATH=/usr/bin:/bin HOME="$TMP/p" XDG_RUNTIME_DIR="$XDG" \
        setpriv --reuid="$USER_ID" --regid="$GROUP_ID" --clear-groups "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}

check "the test user may not open the system engine's socket" \
    '! setpriv --reuid="$USER_ID" --regid="$GROUP_ID" --clear-groups test -w /var/run/docker.sock'
as_user version
check "without a socket of its own: the system socket's permission denied, with the hint" \
    '[ $rc -ne 0 ] && [[ $out == *"unix:///var/run/docker.sock"*"permission denied"* ]] &&
     [[ $out == *"docker'"'"' group"* ]]'

# the engine, on a socket in the user's runtime directory that only the user may open
socat "UNIX-LISTEN:$XDG/docker.sock,fork,user=$USER_ID,group=$GROUP_ID,mode=600" \
    UNIX-CONNECT:/var/run/docker.sock 2>/dev/null &
FWD_PID=$!
for _ in $(seq 50); do [ -S "$XDG/docker.sock" ] && break; sleep 0.1; done
as_user version
check "a user's own socket in XDG_RUNTIME_DIR is chosen over the system one it may not open" \
    '[ $rc -eq 0 ] && [[ $out == *"endpoint:     unix://$XDG/docker.sock (the first default socket this user may use)"* ]]'
check "... and the engine answers through it" '[[ $out == *"engine:       "*"Engine "* ]]'
as_user up -d
check "up as that user" '[ $rc -eq 0 ] && [ "$(docker ps -q --filter label=com.docker.compose.project=$RUN | wc -l)" = 1 ]'
as_user ps
check "ps as that user" '[ $rc -eq 0 ] && [[ $out == *"$RUN-app-1"*running* ]]'
as_user down
check "down as that user" '[ $rc -eq 0 ] && [ -z "$(docker ps -aq --filter label=com.docker.compose.project=$RUN)" ]'
out=$(cd "$TMP/p" && env -i PATH=/usr/bin:/bin HOME=/root XDG_RUNTIME_DIR="$XDG" "$DEVSTACK" version 2>&1)
check "for a user who may open both, the system socket comes first, as the docker CLI has it" \
    '[[ $out == *"endpoint:     unix:///var/run/docker.sock (the default socket)"* ]]'

tap_done
