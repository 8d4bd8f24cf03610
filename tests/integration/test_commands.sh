#!/usr/bin/env bash
# Compose's per-container commands against the real engine with the
# registry-free busybox image: kill, rm, pause/unpause, port, wait, create,
# images, top, cp, events, stats, attach; where the output is deterministic
# it is compared with `docker compose` on the same project.
# The projects are named tcmds<pid>...; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
docker compose version >/dev/null 2>&1 || tap_cannot_run "docker compose (v2) is installed"
RUN=tcmds$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_commands.XXXXXX")
LIMIT=120 # seconds any one devstack may take before it counts as hung

# dx ARGS... <input: devstack in the project directory; sets rc, out (stdout) and err (stderr)
dx() {
    out=$(cd "$P" && timeout $LIMIT "$DEVSTACK" "$@" 2>"$TMP/stderr")
    rc=$?
    err=$(<"$TMP/stderr")
}
# dc ARGS...: docker compose in the project directory; sets rc, out and err
dc() {
    out=$(cd "$P" && timeout $LIMIT docker compose "$@" 2>"$TMP/stderr")
    rc=$?
    err=$(<"$TMP/stderr")
}
# state NAME: the container's State.Status, or "gone"
state() {
    local s
    s=$(docker inspect -f '{{.State.Status}}' "$1" 2>/dev/null) && echo "$s" || echo gone
}
exit_code() { docker inspect -f '{{.State.ExitCode}}' "$1" 2>/dev/null; }
# top_shape: top's output without the columns that change between two calls (C, TIME)
top_shape() { awk '{ if (NF >= 8 && $1 != "UID") { $4 = "C"; $7 = "TIME" } print }'; }
# anon_volume NAME: the anonymous volume mounted at /anon
anon_volume() { docker inspect -f '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' "$1"; }

cleanup() {
    remove_projects "$RUN"
    for v in ${LEFT_VOLUME:-} ${DOWN_VOLUME:-}; do docker volume rm -f "$v" >/dev/null 2>&1; done
    rm -rf "$TMP"
}
trap cleanup EXIT

P=$TMP/$RUN
mkdir -p "$P"
cat >"$P/compose.yaml" <<YAML
services:
  app:
    image: $IMAGE
    init: true
    command: [sleep, '3600']
    ports: ['127.0.0.1::80', '127.0.0.1::81/udp']
    volumes: ['/anon']
  once:
    image: $IMAGE
    command: [sh, -c, 'sleep 2; exit 3']
YAML
C=$RUN-app-1
O=$RUN-once-1

# ---- kill
dx up -d --progress quiet
check "the project comes up" '[ $rc -eq 0 ] && [ "$(state $C)" = running ]'
dx kill app
check "kill: the container dies of SIGKILL (exit code 137), and says so" \
    '[ $rc -eq 0 ] && [ "$(state $C)" = exited ] && [ "$(exit_code $C)" = 137 ] && [[ $err == *"$C"*Killed* ]]'
dx kill app
check "kill: with nothing running, Compose's message and success" \
    '[ $rc -eq 0 ] && [[ $err == *"No container to kill"* ]]'
dx up -d --progress quiet app
dx kill -s TERM app
sleep 1
check "kill -s TERM: the container ends on SIGTERM (143)" \
    '[ $rc -eq 0 ] && [ "$(state $C)" = exited ] && [ "$(exit_code $C)" = 143 ]'
dx kill nosuch
check "kill of a service the file does not have: an error naming it" \
    '[ $rc -ne 0 ] && [[ $err == *nosuch* ]]'

# ---- rm
dx up -d --progress quiet app
sleep 3 # once has exited (3)
dx rm </dev/null
check "rm without -f and no terminal: refuses, lists what would go, removes nothing" \
    '[ $rc -ne 0 ] && [[ $err == *"Going to remove $O"* ]] && [[ $err == *"-f"* ]] && [ "$(state $O)" = exited ]'
dx rm -f
check "rm -f: removes the stopped container only, and lists it on stdout" \
    '[ $rc -eq 0 ] && [ "$out" = "Going to remove $O" ] && [ "$(state $O)" = gone ] && [ "$(state $C)" = running ]'
dx rm -f
check "rm -f with no stopped container: Compose's message" \
    '[ $rc -eq 0 ] && [[ $err == *"No stopped containers"* ]] && [ "$(state $C)" = running ]'
LEFT_VOLUME=$(anon_volume $C)
dx rm -f -s app
check "rm -s: stops the running container first, then removes it" \
    '[ $rc -eq 0 ] && [ "$(state $C)" = gone ]'
check "rm without -v keeps the anonymous volume" 'docker volume inspect "$LEFT_VOLUME" >/dev/null 2>&1'
docker volume rm -f "$LEFT_VOLUME" >/dev/null
dx up -d --progress quiet app
VOL=$(anon_volume $C)
dx rm -f -s -v app
check "rm -v: the container's anonymous volume goes with it" \
    '[ $rc -eq 0 ] && [ -n "$VOL" ] && ! docker volume inspect "$VOL" >/dev/null 2>&1'

# ---- pause / unpause
dx up -d --progress quiet app
dx pause app
check "pause: the container is paused" '[ $rc -eq 0 ] && [ "$(state $C)" = paused ] && [[ $err == *Paused* ]]'
dc ps --format '{{.State}}' app
if on_podman; then
    differs compose-ps-paused "docker compose ps agrees: paused"
else
    check "docker compose ps agrees: paused" '[ "$out" = paused ]'
fi
dx ps --format json app
check "ps: paused" '[ $rc -eq 0 ] && [ "$(python3 -c "import json,sys; print(json.load(sys.stdin)[0][\"State\"])" <<<"$out")" = paused ]'
dx pause app
check "pause of a paused container: the engine's error, non-zero" '[ $rc -ne 0 ] && [[ $err == *paused* ]]'
dx unpause
check "unpause: running again" '[ $rc -eq 0 ] && [ "$(state $C)" = running ] && [[ $err == *Unpaused* ]]'

# ---- port
dx port app 80
ds_out=$out ds_rc=$rc TCP_PORT=$out
dc port app 80
check "port: HOST:PORT as docker compose prints it" \
    '[ $ds_rc -eq 0 ] && [[ $ds_out == 127.0.0.1:[0-9]* ]] && [ "$ds_out" = "$out" ]'
dx port --protocol udp app 81
ds_out=$out
dc port --protocol udp app 81
check "port --protocol udp: the same as docker compose" '[[ $ds_out == 127.0.0.1:[0-9]* ]] && [ "$ds_out" = "$out" ]'
dx port --index 1 app 80
check "port --index 1: the first container" '[ $rc -eq 0 ] && [ "$out" = "$TCP_PORT" ]'
dx port --index 2 app 80
check "port --index 2 of a service with one container: an error" '[ $rc -ne 0 ] && [[ $err == *"number 2"* ]]'
dx port app 81
check "port of a port not published over tcp: an error naming what is" \
    '[ $rc -ne 0 ] && [[ $err == *"no port 81/tcp for container $C"*"80/tcp"*"81/udp"* ]]'
dx port once 80
check "port of a service without a running container: an error" \
    '[ $rc -ne 0 ] && [[ $err == *"service '"'"'once'"'"' is not running"* ]]'
dx port app http
check "port with a PRIVATE_PORT that is not a number: a usage error" '[ $rc -eq 2 ]'

# ---- create
dx rm -f -s -v
dx create --progress quiet
check "create: the containers exist, in state created, none running" \
    '[ $rc -eq 0 ] && [ "$(state $C)" = created ] && [ "$(state $O)" = created ]'
dc ps -a --format '{{.Name}} {{.State}}'
check "docker compose ps -a agrees: created" \
    '[ "$out" = "$C created
$O created" ]'
APP1=$(docker inspect -f '{{.Id}}' $C)
dx create --progress quiet --scale app=2 app
check "create --scale app=2: a second container, created; the first is left as it was" \
    '[ $rc -eq 0 ] && [ "$(state $RUN-app-2)" = created ] && [ "$(docker inspect -f "{{.Id}}" $C)" = "$APP1" ]'
dx create --scale nosuch=2
check "create --scale of a service the file does not have: a usage error" '[ $rc -eq 2 ] && [[ $err == *nosuch* ]]'
dx create --build --no-build
check "create --build --no-build: a usage error" '[ $rc -eq 2 ]'
dx rm -f -v

# ---- images, top: the same output as docker compose
dx up -d --progress quiet
dx images
ds_out=$out
dc images
check "images: the service's image and tag, as docker compose prints them" \
    '[[ $ds_out == *"$C"*devstack-test/busybox*latest* ]] && [ "$ds_out" = "$out" ]'
dx images --format json
ds_out=$out
dc images --format json
check "images --format json: docker compose's document" '[ "$ds_out" = "$out" ]'
dx images -q
ds_out=$out
dc images -q
check "images -q: each image id once, as docker compose" '[ "$ds_out" = "$out" ] && [ $(wc -l <<<"$out") -eq 1 ]'
dx top app
ds_out=$out
dc top app
# the engine's columns: Docker's ps -ef (UID ... CMD), Podman's own (PID USER COMMAND)
check "top: the container's processes (sleep 3600) in docker compose's table" \
    '[ "$(sed -n 1p <<<"$ds_out")" = "$C" ] && [[ $(sed -n 2p <<<"$ds_out") == "UID "*PID*CMD || $(sed -n 2p <<<"$ds_out") == "PID "*USER*COMMAND ]] && [[ $ds_out == *"   sleep 3600 "* ]] && [ "$(top_shape <<<"$ds_out")" = "$(top_shape <<<"$out")" ]'
# `once` ends after 2 s: wait for it, so that neither tool meets it exiting between its list and its top
for _ in $(seq 1 50); do [ "$(state $O)" = exited ] && break; sleep 0.2; done
dx top
ds_out=$out
dc top
check "top of every service: the same as docker compose (but for the CPU and TIME it took)" \
    '[ "$(top_shape <<<"$ds_out")" = "$(top_shape <<<"$out")" ]'

# ---- cp
L=$TMP/local
mkdir -p "$L/dir/sub" "$L/back"
printf 'hello\n' >"$L/file.txt"
chmod 640 "$L/file.txt"
chown 1234:2345 "$L/file.txt"
printf 'a\n' >"$L/dir/a"
printf 'b\n' >"$L/dir/sub/b"
chmod 750 "$L/dir/sub"
dx cp "$L/file.txt" app:/tmp/
check "cp SRC SERVICE:DIR/: the file lands in the directory with its content and mode, owned by root" \
    '[ $rc -eq 0 ] && [ "$(docker exec $C cat /tmp/file.txt)" = hello ] && [ "$(docker exec $C stat -c "%a %u:%g" /tmp/file.txt)" = "640 0:0" ]'
dx cp -a "$L/file.txt" app:/tmp/kept.txt
if on_podman; then
    check "cp -a on Podman: copied, with a warning that the owners cannot be kept" \
        '[ $rc -eq 0 ] && [ "$(docker exec $C cat /tmp/kept.txt)" = hello ] && [[ $err == *"-a cannot keep owners on Podman"* ]]'
    differs cp-owners "cp -a SRC SERVICE:NEWNAME: a new name, the owner kept"
else
    check "cp -a SRC SERVICE:NEWNAME: a new name, the owner kept" \
        '[ $rc -eq 0 ] && [ "$(docker exec $C stat -c "%a %u:%g" /tmp/kept.txt)" = "640 1234:2345" ] && [ -z "$err" ]'
fi
dx cp "$L/dir" app:/tmp/
check "cp DIR SERVICE:DIR: the tree, modes kept" \
    '[ $rc -eq 0 ] && [ "$(docker exec $C cat /tmp/dir/sub/b)" = b ] && [ "$(docker exec $C stat -c %a /tmp/dir/sub)" = 750 ]'
dx cp "$L/dir" app:/tmp/renamed
check "cp DIR SERVICE:NEW: the tree under the new name" '[ $rc -eq 0 ] && [ "$(docker exec $C cat /tmp/renamed/a)" = a ]'
cp -a "$L/dir" "$L/owned"
chown -R 1234:2345 "$L/owned"
chown 4321:5432 "$L/owned/sub/b"
dx cp -a "$L/owned" app:/tmp/owned-ds
docker cp -a "$L/owned" "$C:/tmp/owned-docker"
owners() { docker exec $C sh -c "cd /tmp/$1 && find . | sort | xargs stat -c '%n %u:%g %a'"; }
if on_podman; then
    check "cp -a DIR SERVICE:NEW on Podman: the tree as docker cp -a makes it there" \
        '[ $rc -eq 0 ] && [ "$(owners owned-ds)" = "$(owners owned-docker)" ]'
    differs cp-owners "cp -a DIR SERVICE:NEW: every entry keeps its owner, as docker cp -a"
else
    check "cp -a DIR SERVICE:NEW: every entry keeps its owner, as docker cp -a" \
        '[ $rc -eq 0 ] && [[ "$(owners owned-ds)" == *"./sub/b 4321:5432 "* ]] && [[ "$(owners owned-ds)" == *"./a 1234:2345 "* ]] && [ "$(owners owned-ds)" = "$(owners owned-docker)" ]'
fi
docker exec $C sh -c 'printf "from the container\n" >/tmp/out.txt; chmod 604 /tmp/out.txt; chown 55:66 /tmp/out.txt'
dx cp app:/tmp/out.txt "$L/back/"
check "cp SERVICE:SRC DIR: content and mode; the owner is ours" \
    '[ $rc -eq 0 ] && [ "$(cat "$L/back/out.txt")" = "from the container" ] && [ "$(stat -c "%a %u" "$L/back/out.txt")" = "604 $(id -u)" ]'
dx cp -a app:/tmp/out.txt "$L/back/owned.txt"
if on_podman; then
    differs cp-owners "cp -a SERVICE:SRC NEWNAME: the container's owner kept"
else
    check "cp -a SERVICE:SRC NEWNAME: the container's owner kept" \
        '[ $rc -eq 0 ] && [ "$(stat -c "%u:%g" "$L/back/owned.txt")" = "55:66" ]'
fi
dx cp app:/tmp/dir "$L/back/tree"
check "cp SERVICE:DIR NEW: the tree" '[ $rc -eq 0 ] && [ "$(cat "$L/back/tree/sub/b")" = b ] && [ "$(stat -c %a "$L/back/tree/sub")" = 750 ]'
(cd "$P" && timeout $LIMIT "$DEVSTACK" cp app:/tmp/dir - >"$TMP/dir.tar" 2>"$TMP/stderr")
rc=$? out=$(tar -tf "$TMP/dir.tar" 2>&1 | sort | tr '\n' ' ') err=$(<"$TMP/stderr")
# the engine's tar: Docker names directories with a trailing /, Podman without
check "cp SERVICE:DIR -: a tar on stdout" \
    '[ $rc -eq 0 ] && { [ "$out" = "dir/ dir/a dir/sub/ dir/sub/b " ] || { on_podman && [ "$out" = "dir dir/a dir/sub dir/sub/b " ]; }; }'
docker exec $C mkdir /tmp/fromtar
dx cp - app:/tmp/fromtar <"$TMP/dir.tar"
check "cp - SERVICE:DIR: the tar from stdin extracted there" '[ $rc -eq 0 ] && [ "$(docker exec $C cat /tmp/fromtar/dir/a)" = a ]'
dx cp app:/no/such/file "$L/back/"
check "cp of a path the container lacks: an error naming it" '[ $rc -ne 0 ] && [[ $err == *"/no/such/file"* ]]'
dx cp "$L/no-such-file" app:/tmp/
check "cp of a local path that does not exist: an error naming it" '[ $rc -ne 0 ] && [[ $err == *no-such-file* ]]'
dx cp "$L/file.txt" nosuch:/tmp/
check "cp to a service the file does not have: an error" '[ $rc -ne 0 ] && [[ $err == *nosuch* ]]'
dx cp "$L/file.txt" "$L/back/"
check "cp between two local paths: a usage error" '[ $rc -eq 2 ]'

# ---- events
(cd "$P" && exec timeout $LIMIT "$DEVSTACK" events --json >"$TMP/events.json" 2>"$TMP/events.err") &
EV_JSON=$!
(cd "$P" && exec timeout $LIMIT "$DEVSTACK" events app >"$TMP/events.txt" 2>&1) &
EV_TEXT=$!
sleep 2
dx restart app
sleep 2
kill -TERM $EV_JSON $EV_TEXT
wait $EV_JSON
ev_rc=$?
wait $EV_TEXT
out=$(<"$TMP/events.json") err=$(<"$TMP/events.err") rc=$ev_rc
# the engine's events: Podman reports the stop as the process's death (die), no stop
stop_start="start stop"
on_podman && stop_start="die start"
check "events --json: restarting app shows its stop and start as Compose's JSON objects; SIGTERM (as Ctrl-C) ends it with 0" \
    '[ $rc -eq 0 ] && python3 -c "
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want = sys.argv[3].split()
ok = [e for e in evs if e[\"action\"] in want and e[\"service\"] == \"app\" and e[\"type\"] == \"container\"
      and e[\"attributes\"][\"name\"] == sys.argv[2] and sorted(e) == [\"action\", \"attributes\", \"id\", \"service\", \"time\", \"type\"]]
sys.exit(0 if sorted(set(e[\"action\"] for e in ok)) == want else 1)" "$TMP/events.json" "$C" "$stop_start"'
out=$(<"$TMP/events.txt")
check "events: Compose's line, time to the microsecond, action, id and attributes" \
    '[[ $out =~ [0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\.[0-9]{6}\ container\ start\ [0-9a-f]{64}\ \(.*name=$C ]]'

# ---- stats
dx stats --no-stream
check "stats --no-stream: docker stats' header and a row for the running container, with figures" \
    '[ $rc -eq 0 ] && [ "$(sed -n 1p <<<"$out")" = "CONTAINER ID   NAME                CPU %     MEM USAGE / LIMIT   MEM %     NET I/O         BLOCK I/O       PIDS" ] || [[ $(sed -n 1p <<<"$out") == "CONTAINER ID   NAME "*"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"NET I/O"*"BLOCK I/O"*PIDS ]]'
row=$(grep " $C " <<<"$out")
check "stats: the row's figures (percentages, usage / limit, I/O pairs, PIDs 2)" \
    '[[ $row =~ ^[0-9a-f]{12}\ +$C\ +[0-9.]+%\ +[0-9.]+[KMG]?i?B\ /\ [0-9.]+[KMGT]?i?B\ +[0-9.]+%\ +[0-9.]+k?M?G?B\ /\ [0-9.]+k?M?G?B\ +[0-9.]+k?M?G?B\ /\ [0-9.]+k?M?G?B\ +2$ ]]'
dx stats --no-stream --all --format json
check "stats --all --format json: a JSON line per container, stopped ones included" \
    '[ $rc -eq 0 ] && python3 -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
names = sorted(r[\"Name\"] for r in rows)
keys = sorted(rows[0])
sys.exit(0 if names == sorted([sys.argv[1], sys.argv[2]]) and keys == [\"BlockIO\", \"CPUPerc\", \"Container\", \"ID\", \"MemPerc\", \"MemUsage\", \"Name\", \"NetIO\", \"PIDs\"] else 1)" "$C" "$O" <<<"$out"'

out=$(cd "$P" && timeout -s INT 6 script -qec "$DEVSTACK stats app" /dev/null 2>&1)
rc=$?
draws=$(grep -o $'\033\[2J\033\[H' <<<"$out" | wc -l)
check "stats on a terminal: the table drawn again in place, sample after sample, until Ctrl-C ($draws draws)" \
    '[ $draws -ge 2 ] && [ "$(grep -c "CONTAINER ID " <<<"$out")" = "$draws" ] && [ "$(grep -c " $C " <<<"$out")" = "$draws" ]'
(cd "$P" && exec timeout $LIMIT "$DEVSTACK" stats app >"$TMP/stats.out" 2>&1) &
STATS=$!
sleep 5
pkill -INT -P $STATS -x devstack
wait $STATS
rc=$? out=$(<"$TMP/stats.out")
check "stats streaming to a pipe: a table per sample, no screen control, exit 0 on SIGINT" \
    '[ $rc -eq 0 ] && [ "$(grep -c "^CONTAINER ID " <<<"$out")" -ge 2 ] && [[ $out != *$'"'"'\033'"'"'* ]]'

# ---- attach (a project of its own: a service that reads stdin)
P_MAIN=$P
P=$TMP/${RUN}att
mkdir -p "$P"
cat >"$P/compose.yaml" <<YAML
services:
  cat:
    image: $IMAGE
    stdin_open: true
    command: [sh, -c, 'cat; exit 4']
  shell:
    image: $IMAGE
    stdin_open: true
    tty: true
    command: [sh]
  trap:
    image: $IMAGE
    command: [sh, -c, 'trap "echo got-int; exit 5" INT; while :; do sleep 0.2; done']
YAML
A=${RUN}att-cat-1
dx up -d --progress quiet
out=$( (printf 'hello\nworld\n'; sleep 2) | (cd "$P" && timeout $LIMIT "$DEVSTACK" attach cat 2>"$TMP/stderr"))
rc=$? err=$(<"$TMP/stderr")
if on_podman; then
    # Podman closes the container's stdin when the client's ends: cat ends (`exit 4`), and the
    # attach ends with the stream, at times before the container's exit code is there
    check "attach without a TTY on Podman: piped stdin reaches the container, its output comes back" \
        '[ "$out" = "hello
world" ] && { [ $rc -eq 4 ] || [ $rc -eq 0 ]; }'
    differs attach-stdin-eof "attach without a TTY: the container runs on after the client's stdin ends"
    dx up -d --progress quiet
else
    check "attach without a TTY: piped stdin reaches the container, its output comes back" \
        '[ $rc -eq 0 ] && [ "$out" = "hello
world" ] && [ "$(state $A)" = running ]'
fi
(cd "$P" && exec timeout $LIMIT "$DEVSTACK" attach --no-stdin cat >"$TMP/attach.out" 2>&1) &
AT=$!
sleep 2
docker kill "$A" >/dev/null
wait $AT
rc=$? out=$(<"$TMP/attach.out")
check "attach --no-stdin: returns with the container's exit code when it stops (137 for SIGKILL)" '[ $rc -eq 137 ]'
dx attach cat </dev/null
check "attach to a service without a running container: an error" '[ $rc -ne 0 ] && [[ $err == *"not running"* ]]'
if on_podman; then
    differs attach-detach-keys "attach with a TTY: keys reach the shell, its answer comes back, ctrl-p ctrl-q detach"
else
    out=$( (sleep 1; printf 'echo hi-$((40+2))\r'; sleep 1; printf '\020\021'; sleep 1) |
        (cd "$P" && timeout $LIMIT script -qec "$DEVSTACK attach shell" /dev/null 2>&1))
    rc=$?
    check "attach with a TTY: keys reach the shell, its answer comes back, ctrl-p ctrl-q detach" \
        '[ $rc -eq 0 ] && [[ $out == *hi-42* ]] && [ "$(state ${RUN}att-shell-1)" = running ]'
fi
# attach_int ARGS...: `devstack attach ARGS` in the background, SIGINT to it after 2 s; rc and out
attach_int() {
    (cd "$P" && exec timeout $LIMIT "$DEVSTACK" attach "$@" >"$TMP/attach.out" 2>&1) &
    local pid=$!
    sleep 2
    pkill -INT -P $pid -x devstack
    wait $pid
    rc=$? out=$(<"$TMP/attach.out")
}
T=${RUN}att-trap-1
attach_int --no-stdin trap
# (Podman says exited a moment after the attach has the exit code)
for _ in $(seq 20); do [ "$(state $T)" = exited ] && break; sleep 0.1; done
check "attach (--sig-proxy by default), no TTY: SIGINT goes to the container's process, its exit code is ours" \
    '[ $rc -eq 5 ] && [[ $out == *got-int* ]] && [ "$(state $T)" = exited ]'
# the docker CLI, whose attach Compose calls, does the same
dx up -d --progress quiet trap
(exec timeout $LIMIT docker attach --no-stdin "$T" >"$TMP/docker-attach.out" 2>&1) &
DA=$!
sleep 2
kill -INT $DA
wait $DA
rc=$?
check "... as docker attach does" '[ $rc -eq 5 ] && [[ "$(<"$TMP/docker-attach.out")" == *got-int* ]]'
dx up -d --progress quiet trap
attach_int --no-stdin --sig-proxy=false trap
check "attach --sig-proxy=false: SIGINT only detaches (130), the container runs on" \
    '[ $rc -eq 130 ] && [[ $out != *got-int* ]] && [ "$(state $T)" = running ]'
P=$P_MAIN

# ---- wait
dx up -d --progress quiet once
dx wait once
check "wait: the exit code of the container, and Compose's line" \
    '[ $rc -eq 3 ] && [[ $out == "container \""*"\" exited with status code 3" ]]'
dx wait once
check "wait with no running container: an error" '[ $rc -ne 0 ] && [[ $err == *"no running containers"* ]]'
dx up -d --progress quiet once
DOWN_VOLUME=$(anon_volume $C) # down without -v leaves it, as Compose does
dx wait --down-project once
check "wait --down-project: the exit code, then the project is down" \
    '[ $rc -eq 3 ] && [ "$(state $C)" = gone ] && [ "$(state $O)" = gone ]'

tap_done
