#!/usr/bin/env bash
# An engine reached over ssh, for real: a private sshd on 127.0.0.1
# (tests/lib/sshd.sh, a key the test makes) whose `docker system dial-stdio`
# reaches the engine the tests use. DOCKER_HOST=ssh://USER@127.0.0.1:PORT and
# a docker context with that endpoint; devstack runs `ssh` (the real one,
# through a wrapper that adds the test's ssh config and counts the runs).
# Checked: version and doctor say the engine is remote and how it is reached;
# up, ps, exec with stdin through the hijacked connection, logs --follow,
# run and down work; a relative bind gets one warning and an absolute one
# none; a command starts one ssh, however many requests it makes, and leaves
# no ssh and no socket behind; an sshd that refuses the connection or the
# key gives an error with ssh's own message and the command to try by hand.
# The project is named dsssh<pid>; the EXIT trap removes it.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/sshd.sh"
command -v docker >/dev/null || tap_cannot_run "the docker CLI is installed (docker system dial-stdio)"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dsssh$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_ssh.XXXXXX")
LIMIT=120

cleanup() {
    remove_projects "$RUN"
    sshd_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

sshd_start "$TMP/sshd" || tap_bail "a private sshd starts on 127.0.0.1: $SSHD_ERROR"
# the listening socket devstack makes for ssh goes under XDG_RUNTIME_DIR: a private one
mkdir -p "$TMP/run" && chmod 700 "$TMP/run"
export XDG_RUNTIME_DIR=$TMP/run
P=$TMP/project
mkdir -p "$P/code"
echo hello >"$P/code/hello.txt"
cat >"$P/compose.yaml" <<EOF
name: $RUN
services:
  app:
    image: $IMAGE
    command: ["sh", "-c", "i=0; while true; do i=\$\$((i+1)); echo tick \$\$i; sleep 0.2; done"]
    volumes:
      - ./code:/code
      - /etc/hostname:/host-hostname:ro
  worker:
    image: $IMAGE
    command: ["sleep", "3600"]
    volumes:
      - type: bind
        source: ./code
        target: /work
EOF

# dx ARGS...: devstack over ssh in the project; sets rc, out (stdout), err (stderr), and
# runs (the ssh processes it started)
dx() {
    : >"$SSHD_LOG"
    out=$(cd "$P" && PATH=$SSHD_BIN:$PATH DOCKER_HOST=$SSHD_URL timeout $LIMIT "$DEVSTACK" "$@" \
        2>"$TMP/stderr")
    rc=$?
    err=$(<"$TMP/stderr")
    runs=$(wc -l <"$SSHD_LOG")
}
# no ssh of the test's sshd port still running (a devstack that ended took its ssh along)
no_ssh_left() { ! pgrep -f -- "-p $SSHD_PORT -- 127.0.0.1 docker system dial-stdio" >/dev/null; }

# ---- version and doctor ------------------------------------------------------------------
dx version
check "version over ssh names the engine" '[ $rc -eq 0 ] && [[ $out == *"engine:       "*"Engine "* ]]'
check "... says it is reached over ssh, on another machine, and how" \
    '[[ $out == *"reached by:   ssh, a remote engine"*"ssh -o ConnectTimeout=30 -T -l $(id -un) -p $SSHD_PORT -- 127.0.0.1 docker system dial-stdio"* ]]'
check "... with one ssh" '[ "$runs" = 1 ] && [[ $(cat "$SSHD_LOG") == *"-- 127.0.0.1 docker system dial-stdio" ]]'
dx version --format json
check "version --format json says Transport ssh and Remote true" \
    '[ $rc -eq 0 ] && python3 -c "import json,sys; c=json.loads(sys.argv[1])[\"Client\"]; assert c[\"Transport\"]==\"ssh\" and c[\"Remote\"] is True" "$out"'
dx doctor
check "doctor says the engine is remote, over ssh" \
    '[[ $out == *"engine location"*"remote, ssh: ssh -o ConnectTimeout=30"* ]]'
check "... and does not measure this machine's disk for it" \
    '[[ $out == *"cannot look at"*"(a remote or rootless engine)"* ]]'

# ---- up, ps ------------------------------------------------------------------------------
dx up -d
check "up -d over ssh starts the services" \
    '[ $rc -eq 0 ] && [ "$(docker ps -q --filter label=com.docker.compose.project=$RUN | wc -l)" = 2 ]'
check "... with one warning for each relative bind, naming file:line:col and watch" \
    '[ "$(grep -c "mounts that path on the engine'"'"'s machine" <<<"$err")" = 2 ] &&
     [[ $err == *"$P/code"*"compose.yaml:7:9"*"devstack watch"* ]] && [[ $err == *"compose.yaml:13:9"* ]]'
check "... and none for an absolute bind" '[[ $err != *"/etc/hostname"* ]]'
up_runs=$runs
dx up -d
check "a second up changes nothing" '[ $rc -eq 0 ] && [[ $err != *Recreat* ]]'
echo "# ssh processes: first up $up_runs, no-op up $runs"
check "... over one ssh for all of its requests" '[ "$runs" = 1 ]'
dx ps
check "ps over ssh lists both services, with one ssh" \
    '[ $rc -eq 0 ] && [[ $out == *app* ]] && [[ $out == *worker* ]] && [ "$runs" = 1 ]'
check "no ssh is left running after the commands" 'no_ssh_left'
check "no socket directory is left behind" '[ -z "$(ls -A "$TMP/run")" ]'

# ---- exec: the hijacked connection, both ways, stdin's end -------------------------------
head -c 3000000 /dev/urandom >"$TMP/in.bin"
out=$(cd "$P" && PATH=$SSHD_BIN:$PATH DOCKER_HOST=$SSHD_URL timeout $LIMIT "$DEVSTACK" exec -T app \
    sh -c 'cat /code/hello.txt >&2; md5sum' <"$TMP/in.bin" 2>"$TMP/stderr")
rc=$?
check "exec over ssh: 3 MB of stdin reach the command and its end ends it" \
    '[ $rc -eq 0 ] && [ "${out%% *}" = "$(md5sum <"$TMP/in.bin" | cut -d" " -f1)" ]'
check "... stderr comes apart, and the bind shows the engine's machine's files" \
    '[ "$(cat "$TMP/stderr")" = hello ]'
dx exec -T app sh -c 'exit 7'
check "exec's exit status comes back over ssh" '[ $rc -eq 7 ]'

# ---- logs --follow: a stream that stays open ---------------------------------------------
# Followed into a file, in the background: once the first line is there (the ssh
# login may take long on a loaded machine), the next ones must reach the file
# while the command runs, as they come (one every 0.2 s: 5 within 10 s); then
# SIGTERM ends the follow.
ticks() { grep -o 'tick [0-9]*' "$TMP/follow.out" | sed -n "$1" | cut -d' ' -f2; }
(cd "$P" && PATH=$SSHD_BIN:$PATH DOCKER_HOST=$SSHD_URL exec "$DEVSTACK" logs -f --no-color app \
    >"$TMP/follow.out" 2>&1) &
follow_pid=$!
base='' last='' deadline=$((SECONDS + LIMIT))
while [ $SECONDS -lt $deadline ] && kill -0 $follow_pid 2>/dev/null; do
    last=$(ticks '$p')
    if [ -z "$base" ] && [ -n "$last" ]; then
        base=$last deadline=$((SECONDS + 10))
    fi
    [ -n "$base" ] && [ $((last - base)) -ge 5 ] && break
    sleep 0.1
done
kill -0 $follow_pid 2>/dev/null && running=yes || running=no
kill -TERM $follow_pid 2>/dev/null
wait $follow_pid
out=$(tail -n 5 "$TMP/follow.out")
check "logs -f over ssh streams new lines as they come: in the file while it runs" \
    '[ -n "$base" ] && [ $((last - base)) -ge 5 ] && [ $running = yes ] && [ "$(ticks 1p)" = 1 ]'
sleep 0.3
check "... and a follow ended by a signal leaves no ssh running" 'no_ssh_left'

# ---- run ---------------------------------------------------------------------------------
dx run --rm -T worker sh -c 'ls /work; echo ran'
check "run --rm over ssh" '[ $rc -eq 0 ] && [[ $out == *hello.txt*ran* ]]'

# ---- a docker context with an ssh endpoint -----------------------------------------------
export DOCKER_CONFIG=$TMP/docker-config
docker context create "sshctx$$" --docker "host=$SSHD_URL" >/dev/null 2>&1
: >"$SSHD_LOG"
out=$(cd "$P" && env -u DOCKER_HOST PATH="$SSHD_BIN:$PATH" DOCKER_CONTEXT="sshctx$$" timeout $LIMIT \
    "$DEVSTACK" ps 2>&1)
rc=$?
check "a docker context with an ssh endpoint is reached over ssh" \
    '[ $rc -eq 0 ] && [[ $out == *app* ]] && [ "$(wc -l <"$SSHD_LOG")" = 1 ]'
out=$(env -u DOCKER_HOST PATH="$SSHD_BIN:$PATH" DOCKER_CONTEXT="sshctx$$" "$DEVSTACK" version 2>&1)
check "... and version names the context" \
    '[[ $out == *"docker context '"'sshctx$$'"'"* ]] && [[ $out == *"reached by:   ssh"* ]]'
unset DOCKER_CONFIG

# ---- down --------------------------------------------------------------------------------
dx down
check "down over ssh removes the containers and the network" \
    '[ $rc -eq 0 ] && [ -z "$(docker ps -aq --filter label=com.docker.compose.project=$RUN)" ] &&
     [ -z "$(docker network ls -q --filter label=com.docker.compose.project=$RUN)" ]'

# ---- failures: what ssh said, and what to run by hand ------------------------------------
closed=$(_sshd_free_port)
out=$(cd "$P" && PATH=$SSHD_BIN:$PATH DOCKER_HOST=ssh://$(id -un)@127.0.0.1:$closed timeout $LIMIT \
    "$DEVSTACK" ps 2>&1)
rc=$?
want_error="cannot reach the Docker Engine at 'ssh://$(id -un)@127.0.0.1:$closed': ssh exited with status 255: ssh: connect to host 127.0.0.1 port $closed: Connection refused"
want_hint="devstack runs 'ssh -o ConnectTimeout=30 -T -l $(id -un) -p $closed -- 127.0.0.1 docker system dial-stdio'"
check "a refused connection fails with ssh's message" '[ $rc -ne 0 ] && [[ $out == *"$want_error"* ]]'
check "... and names the command to try by hand" '[[ $out == *"$want_hint"* ]]'
out=$(cd "$P" && PATH=$SSHD_BIN:$PATH DOCKER_HOST=ssh://nobody@127.0.0.1:$SSHD_PORT timeout $LIMIT \
    "$DEVSTACK" ps 2>&1)
rc=$?
check "a key the server refuses fails with ssh's message" \
    '[ $rc -ne 0 ] && [[ $out == *"Permission denied (publickey)"* ]]'
out=$(cd "$P" && PATH=/nonexistent DOCKER_HOST=$SSHD_URL "$DEVSTACK" ps 2>&1)
rc=$?
want_error="cannot run 'ssh'"
check "no ssh on PATH says so" '[ $rc -ne 0 ] && [[ $out == *"$want_error"* ]]'
out=$(cd "$P" && DOCKER_HOST="ssh://u:pw@127.0.0.1" "$DEVSTACK" ps 2>&1)
rc=$?
check "a password in the address is refused, and not printed" \
    '[ $rc -ne 0 ] && [[ $out == *"may not hold a password"* ]] && [[ $out != *pw@* ]]'
check "no ssh is left running after the failures" 'no_ssh_left'

tap_done
