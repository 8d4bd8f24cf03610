#!/usr/bin/env bash
# `devstack run` and what it passes on, beside Docker Compose v2 on the same
# project: without a TTY the signals devstack gets (a terminal's Ctrl-C goes
# to the whole process group) are the container's process's to act on, a
# second Ctrl-C too, and its exit code is devstack's; --rm still removes.
# With a TTY, Ctrl-C is a byte for the container's terminal.
# -i=false / --interactive=false: no stdin for the container, and devstack
# leaves its own alone.
# Compose is run as its plugin binary: through `docker compose`, a docker CLI
# of 28.x tells the plugin to cancel on SIGINT, which Compose 2.26.1 takes
# for the end (exit 130, the container left running), not Compose's own way.
# The project is named trunfastsig<pid>; the EXIT trap removes it.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
COMPOSE=$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}' 2>/dev/null)
[ -x "$COMPOSE" ] || tap_bail "docker compose (v2) is needed to compare with"
command -v setsid >/dev/null || tap_bail "util-linux 'setsid' is needed to send signals as a terminal does"
RUN=trunfastsig$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_run_signals.XXXXXX")
LIMIT=120 # seconds any one run may take before it counts as hung

cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

P=$TMP/$RUN
mkdir -p "$P"
cat >"$P/compose.yaml" <<YAML
services:
  app:
    image: $IMAGE
YAML

# the one-off containers of the project (all states), one id a line
oneoffs() {
    docker ps -aq --filter "label=com.docker.compose.project=$RUN" --filter label=com.docker.compose.oneoff=True
}
# gone: no one-off container left, allowing the engine a moment to remove one
gone() {
    for _ in $(seq 1 50); do
        [ -z "$(oneoffs)" ] && return 0
        sleep 0.2
    done
    return 1
}

# signalled TAG SIGNALS -- ARGS...: run ARGS in the project directory in a
# process group of its own (as a shell runs a foreground job); once its output
# says "ready", send each of SIGNALS to the group, each after the line "got N"
# for the signals before it shows; sets rc and out (stdout), err (stderr)
signalled() {
    local tag=$1 signals=$2 pid watchdog sent=0 sig
    shift 3
    # not under timeout(1), which would pass each signal on once more
    (cd "$P" && exec setsid "$@" </dev/null >"$TMP/$tag.out" 2>"$TMP/$tag.err") &
    pid=$!
    (sleep $LIMIT && kill -KILL -- -"$pid") >/dev/null 2>&1 &
    watchdog=$!
    for sig in $signals; do
        for _ in $(seq 1 300); do
            if [ $sent -eq 0 ]; then
                grep -q ready "$TMP/$tag.out" 2>/dev/null && break
            else
                grep -q "got $sent" "$TMP/$tag.out" 2>/dev/null && break
            fi
            sleep 0.1
        done
        # the group setsid made, which the run is in
        kill -s "$sig" -- -"$pid" 2>/dev/null
        sent=$((sent + 1))
    done
    wait "$pid"
    rc=$?
    kill "$watchdog" 2>/dev/null
    out=$(<"$TMP/$tag.out")
    err=$(<"$TMP/$tag.err")
}

# a shell that counts the signals it is sent, prints "got N", and ends with
# 3 + N once it has had `2` of them ($1)
counter() {
    echo "n=0; trap 'n=\$((n+1)); echo got \$n; [ \$n -ge $1 ] && exit \$((3+n))' INT TERM; echo ready; while :; do sleep 0.2; done"
}

# ---- Ctrl-C (SIGINT to the process group): the container's process gets it
signalled ds-int INT -- "$DEVSTACK" -p "$RUN" run --rm -T app sh -c "$(counter 1)"
check "run -T: Ctrl-C goes to the container, whose exit code (4) is devstack's" \
    '[ $rc -eq 4 ] && [ "$out" = "ready
got 1" ]'
check "... and --rm removed the container" 'gone'
ds_rc=$rc ds_out=$out
signalled dc-int INT -- "$COMPOSE" -p "$RUN" run --rm -T app sh -c "$(counter 1)"
if on_podman; then
    check "... Compose's run on Podman shows the same output" '[ "$out" = "$ds_out" ] && gone'
    differs compose-run-code "... as Compose does (its exit code the same)"
else
    check "... as Compose does (its exit code and output the same)" \
        '[ $rc -eq $ds_rc ] && [ "$out" = "$ds_out" ] && gone'
fi

# ---- SIGTERM too
signalled ds-term TERM -- "$DEVSTACK" -p "$RUN" run --rm -T app sh -c "$(counter 1)"
check "run -T: SIGTERM goes to the container too (exit 4)" '[ $rc -eq 4 ] && [[ $out == *"got 1" ]] && gone'

# ---- a second Ctrl-C: passed on as well, devstack still waits for the exit
signalled ds-int2 "INT INT" -- "$DEVSTACK" -p "$RUN" run --rm -T app sh -c "$(counter 2)"
check "a second Ctrl-C goes to the container as well; its exit code (5) is devstack's" \
    '[ $rc -eq 5 ] && [ "$out" = "ready
got 1
got 2" ] && gone'
ds_rc=$rc ds_out=$out
signalled dc-int2 "INT INT" -- "$COMPOSE" -p "$RUN" run --rm -T app sh -c "$(counter 2)"
if on_podman; then
    check "... Compose's run on Podman shows the same output" '[ "$out" = "$ds_out" ] && gone'
    differs compose-run-code "... as Compose does (its exit code the same)"
else
    check "... as Compose does" '[ $rc -eq $ds_rc ] && [ "$out" = "$ds_out" ] && gone'
fi

# ---- with a TTY, Ctrl-C is a byte for the container's terminal, whose line discipline makes it SIGINT
if command -v script >/dev/null; then
    cat >"$TMP/tty-run.sh" <<EOF
#!/bin/sh
cd "$P" && "$DEVSTACK" -p "$RUN" run --rm app sh -c "\$TTY_CMD"
echo "rc=\$?"
EOF
    chmod +x "$TMP/tty-run.sh"
    mkfifo "$TMP/tty-in"
    (TTY_CMD=$(counter 1) timeout $LIMIT script -qec "$TMP/tty-run.sh" /dev/null <"$TMP/tty-in" >"$TMP/tty.out" 2>&1) &
    bg=$!
    exec 7>"$TMP/tty-in"
    for _ in $(seq 1 300); do
        grep -q ready "$TMP/tty.out" && break
        sleep 0.1
    done
    printf '\003' >&7
    wait $bg
    exec 7>&-
    out=$(tr -d '\r' <"$TMP/tty.out")
    check "on a terminal: the Ctrl-C byte reaches the container's terminal (SIGINT there, exit 4)" \
        '[[ $out == *"got 1"* && $out == *"rc=4"* ]] && gone'
else
    not_ok "util-linux 'script' is needed for the TTY test"
fi

# ---- -i=false: no stdin for the container, ours left unread
printf 'line1\nline2\n' >"$TMP/input"
out=$(cd "$P" && { timeout $LIMIT "$DEVSTACK" -p "$RUN" run --rm -T app cat; echo "rc=$?"; cat; } <"$TMP/input" 2>/dev/null)
check "without -i=false: the container's cat reads devstack's stdin (to its end)" \
    '[ "$out" = "line1
line2
rc=0" ]'
for flag in -i=false --interactive=false -i=0; do
    out=$(cd "$P" && { timeout $LIMIT "$DEVSTACK" -p "$RUN" run --rm -T "$flag" app cat; echo "rc=$?"; cat; } <"$TMP/input" 2>/dev/null)
    check "run $flag: the container reads nothing, devstack's stdin is left for the next reader" \
        '[ "$out" = "rc=0
line1
line2" ]'
done
out=$(cd "$P" && { timeout $LIMIT "$COMPOSE" -p "$RUN" run --rm -T -i=false app cat; echo "rc=$?"; cat; } <"$TMP/input" 2>/dev/null)
check "... as Compose's run -i=false" '[ "$out" = "rc=0
line1
line2" ]'

out=$(cd "$P" && timeout $LIMIT "$DEVSTACK" -p "$RUN" run -d -i=false app sleep 300 </dev/null 2>/dev/null)
ds_open=$(docker inspect "$out" --format '{{.Config.OpenStdin}} {{.Config.AttachStdin}}' 2>&1)
out=$(cd "$P" && timeout $LIMIT "$COMPOSE" -p "$RUN" run -d -i=false app sleep 300 </dev/null 2>/dev/null | tail -n1)
dc_open=$(docker inspect "$out" --format '{{.Config.OpenStdin}} {{.Config.AttachStdin}}' 2>&1)
out=$(cd "$P" && timeout $LIMIT "$DEVSTACK" -p "$RUN" run -d app sleep 300 </dev/null 2>/dev/null)
ds_default=$(docker inspect "$out" --format '{{.Config.OpenStdin}}' 2>&1)
check "run -d -i=false: the container's stdin is not open (as Compose's), it is by default" \
    '[ "$ds_open" = "false false" ] && [ "$dc_open" = "$ds_open" ] && [ "$ds_default" = true ]'

out=$(cd "$P" && timeout $LIMIT "$DEVSTACK" -p "$RUN" run --rm -T -i=maybe app true </dev/null 2>&1)
rc=$?
check "-i=maybe: a usage error that says what it takes" \
    '[ $rc -eq 2 ] && [[ $out == *"-i"*"true or false"*maybe* ]]'

tap_done
