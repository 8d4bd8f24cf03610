#!/usr/bin/env bash
# `devstack run` against the real engine, with the registry-free busybox
# image, beside Docker Compose v2 on the same project: exit codes, --rm
# (container and anonymous volumes, also after a failing command), -d,
# --name, -e, -l, -u, -w, -v, --entrypoint, -p / -P / no ports, --no-deps,
# the dependencies started and waited on, Compose's labels both ways, down,
# stdin through -T, a TTY, and a bad service name.
# The project is named trun<pid>; the EXIT trap removes it.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
docker compose version >/dev/null 2>&1 || tap_bail "docker compose (v2) is needed to compare with"
RUN=trun$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_run.XXXXXX")
# host ports of our own (a fixed port could be taken by another test)
PORT1=$((20000 + $$ % 20000))
PORT2=$((PORT1 + 1))
LIMIT=120 # seconds any one devstack may take (valgrind included) before it counts as hung

# dx ARGS... <input: devstack in the project directory; sets rc, out (stdout) and err (stderr)
dx() {
    out=$(cd "$P" && timeout $LIMIT "$DEVSTACK" "$@" 2>"$TMP/stderr")
    rc=$?
    err=$(<"$TMP/stderr")
    printf '%s\n' "$err" >>"$TMP/all-stderr"
}
# dc ARGS...: docker compose on the same project; sets rc and out
dc() {
    out=$(cd "$P" && timeout $LIMIT docker compose -p "$RUN" "$@" </dev/null 2>&1)
    rc=$?
}
# the containers of the project with label K=V (all states), one id a line
with_label() { docker ps -aq --filter "label=com.docker.compose.project=$RUN" --filter "label=$1"; }
label_of() { docker inspect "$1" --format "{{index .Config.Labels \"$2\"}}"; }
# gone_soon K=V: no container with that label, allowing the engine (which
# --rm leaves the removal to, as AutoRemove) a moment to remove it
gone_soon() {
    for _ in $(seq 1 50); do
        [ -z "$(with_label "$1")" ] && return 0
        sleep 0.2
    done
    return 1
}

cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

P=$TMP/$RUN
mkdir -p "$P/data"
echo from-host >"$P/data/file"
cat >"$P/compose.yaml" <<YAML
services:
  db:
    image: $IMAGE
    init: true
    command: [sleep, '3600']
    healthcheck:
      test: [CMD, 'true']
      interval: 1s
  app:
    image: $IMAGE
    init: true
    command: [echo, from-service-command]
    restart: always
    environment:
      FROM_SERVICE: service-value
    ports: ['$PORT1:80']
    volumes: [/svc-anon]
    networks:
      default:
        aliases: [app-alias]
    depends_on:
      db:
        condition: service_healthy
YAML

# ---- exit codes, the command, the service's configuration
dx run --rm -T app sh -c 'exit 3' </dev/null
check "run ... sh -c 'exit 3' exits 3" '[ $rc -eq 3 ]'
check "... after starting its dependency, which it waited for to be healthy" \
    '[[ "$(docker inspect $RUN-db-1 --format "{{.State.Health.Status}}")" == healthy ]]'
dx run --rm -T app </dev/null
check "no command: the service's own" '[ $rc -eq 0 ] && [ "$out" = from-service-command ]'
dx run --rm -T app sh -c 'echo to-out; echo to-err >&2; echo "$FROM_SERVICE"' </dev/null
check "stdout and stderr apart, the service's environment" \
    '[ $rc -eq 0 ] && [ "$out" = "to-out
service-value" ] && [ "$(tail -n1 <<<"$err")" = to-err ]'
dx run --rm -T app no-such-executable </dev/null
# Podman starts the service's init (catatonit), which then cannot exec it, and says so
check "a missing executable: a non-zero exit code and the engine's message" \
    '[ $rc -ne 0 ] && { [[ "$out$err" == *"no-such-executable"* ]] || { on_podman && [[ "$out$err" == *"failed to exec pid1: No such file or directory"* ]]; }; }'
check "--rm: none of the runs left a container" 'gone_soon com.docker.compose.oneoff=True'

# ---- --rm removes the container and its anonymous volumes, also after a failure
(cd "$P" && timeout $LIMIT "$DEVSTACK" run --rm -T -l trun.mark=vol -v /cli-anon app sh -c 'sleep 3; exit 4' </dev/null >/dev/null 2>&1
    echo $? >"$TMP/rc-vol") &
bg=$!
id=
for _ in $(seq 1 100); do
    id=$(with_label trun.mark=vol)
    [ -n "$id" ] && break
    sleep 0.2
done
vols=$(docker inspect "$id" --format '{{range .Mounts}}{{.Name}} {{end}}' 2>/dev/null)
autoremove=$(docker inspect "$id" --format '{{.HostConfig.AutoRemove}}' 2>/dev/null)
wait $bg
check "--rm after 'exit 4': exit code 4" '[ "$(cat $TMP/rc-vol)" = 4 ]'
check "... the container had two anonymous volumes (the service's and -v's)" '[ $(wc -w <<<"$vols") -eq 2 ]'
check "... and AutoRemove, as Compose's run --rm: the engine removes it when it exits" '[ "$autoremove" = true ]'
gone_soon trun.mark=vol
left=
for v in $vols; do docker volume inspect "$v" >/dev/null 2>&1 && left="$left $v"; done
check "... and the container and both volumes are gone" '[ -z "$(with_label trun.mark=vol)" ] && [ -z "$left" ]'

# ---- -d, --name, labels as Compose puts them, the options
dx run -d --name "$RUN-named" -l trun.mark=detached app sleep 300 </dev/null
id=$out
check "-d returns at once and prints the container's id" \
    '[ $rc -eq 0 ] && [[ $id =~ ^[0-9a-f]{64}$ ]] && [ "$(docker inspect $id --format {{.State.Running}})" = true ]'
check "--name names it" '[ "$(docker inspect $id --format {{.Name}})" = "/$RUN-named" ]'
dx run -d --rm -l trun.mark=drm app sleep 1 </dev/null
for _ in $(seq 1 50); do
    [ -z "$(with_label trun.mark=drm)" ] && break
    sleep 0.2
done
check "-d --rm: the engine removes it once it exits" '[ $rc -eq 0 ] && [ -z "$(with_label trun.mark=drm)" ]'
dx run -d app sleep 300 </dev/null
id2=$out
name2=$(docker inspect "$id2" --format '{{.Name}}')
slug=$(label_of "$id2" com.docker.compose.slug)
check "the default name is <project>-<service>-run-<first 12 of the slug>" \
    '[[ $slug =~ ^[0-9a-f]{64}$ ]] && [ "$name2" = "/$RUN-app-run-${slug:0:12}" ]'
check "labels: oneoff True, project, service, number 1, working_dir, config_files" \
    '[ "$(label_of $id2 com.docker.compose.oneoff)" = True ] && [ "$(label_of $id2 com.docker.compose.project)" = $RUN ] &&
     [ "$(label_of $id2 com.docker.compose.service)" = app ] && [ "$(label_of $id2 com.docker.compose.container-number)" = 1 ] &&
     [ "$(label_of $id2 com.docker.compose.project.working_dir)" = "$P" ] &&
     [ "$(label_of $id2 com.docker.compose.project.config_files)" = "$P/compose.yaml" ] &&
     [ "$(label_of $id trun.mark)" = detached ]'
check "no restart policy, no published ports, aliases: only its name" \
    '[ "$(docker inspect $id2 --format "{{.HostConfig.RestartPolicy.Name}}")" != always ] &&
     [ "$(docker inspect $id2 --format "{{len .HostConfig.PortBindings}}")" = 0 ] &&
     [[ "$(docker inspect $id2 --format "{{json .NetworkSettings.Networks}}")" != *app-alias* ]]'
dc ps -a --format '{{.Name}} {{.Service}}'
check "docker compose ps -a lists devstack's one-off containers" \
    '[ $rc -eq 0 ] && [[ $out == *"$RUN-named app"* && $out == *"${name2#/} app"* ]]'
dc run -d --no-deps app sleep 300
cid=$(tail -n1 <<<"$out")
dx ps -a </dev/null
check "devstack ps -a lists Compose's 'docker compose run -d' container" \
    '[ $rc -eq 0 ] && [[ $out == *"$(docker inspect $cid --format {{.Name}} | cut -c2-)"* ]]'
dx ps </dev/null
check "... and ps without -a does not (as Compose)" '[[ $out != *"-run-"* ]]'

FROM_HERE=local-value dx run --rm -T -e ONE=1 -e 'TWO=a b' -e FROM_HERE -e FROM_SERVICE=over \
    -u 65534 -w /tmp app sh -c 'echo "$ONE|$TWO|$FROM_HERE|$FROM_SERVICE|$(id -u)|$(pwd)"' </dev/null
check "-e KEY=VALUE, -e KEY (ours), -e over the service's, -u, -w" \
    '[ $rc -eq 0 ] && [ "$out" = "1|a b|local-value|over|65534|/tmp" ]'
dx run --rm -T -v ./data:/host-data:ro app sh -c 'cat /host-data/file; touch /host-data/x 2>/dev/null || echo read-only' </dev/null
check "-v ./data:/host-data:ro mounts the project's directory read-only" \
    '[ $rc -eq 0 ] && [ "$out" = "from-host
read-only" ]'
dx run --rm -T --entrypoint 'printf "%s|"' app 'a b' c </dev/null
check "--entrypoint (split into words, no shell) with the command as its arguments" \
    '[ $rc -eq 0 ] && [ "$out" = "a b|c|" ]'
dx run --rm -T --entrypoint 'echo entry' app </dev/null
check "--entrypoint without a command: not the service's command" '[ "$out" = entry ]'
dx run --rm -T --cap-drop NET_RAW app sh -c 'grep CapBnd /proc/self/status' </dev/null
check "--cap-drop NET_RAW takes the capability away (bit 13)" \
    '[ $rc -eq 0 ] && [ $(( 0x${out##*:[[:space:]]} >> 13 & 1 )) -eq 0 ]'

# ---- ports
dx run -d -p "$PORT2:81" app sleep 300 </dev/null
check "-p $PORT2:81 publishes that port, on 127.0.0.1" \
    '[ "$(docker inspect $out --format "{{json .NetworkSettings.Ports}}")" = "{\"81/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$PORT2\"}]}" ]'
dx run -d -P --use-aliases app sleep 300 </dev/null
check "-P publishes the service's ports" \
    '[[ "$(docker inspect $out --format "{{json .NetworkSettings.Ports}}")" == *"\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$PORT1\"}]"* ]]'
check "--use-aliases: the service's aliases too" \
    '[[ "$(docker inspect $out --format "{{json .NetworkSettings.Networks}}")" == *app-alias* ]]'
dx run --rm -T -P -p "$PORT2:81" app true </dev/null
check "-P with -p: a usage error" '[ $rc -eq 2 ] && [[ $err == *"incompatible"* ]]'

# ---- stdin, a TTY
out=$(cd "$P" && echo hi | timeout $LIMIT "$DEVSTACK" run -T --rm app cat 2>/dev/null)
check "echo hi | run -T --rm app cat: stdin goes through" '[ "$out" = hi ]'
if command -v script >/dev/null; then
    out=$(cd "$P" && timeout $LIMIT script -qec "stty -g >$TMP/before; $DEVSTACK run --rm app sh -c 'tty; exit 6'; echo rc=\$?; stty -g >$TMP/after" /dev/null </dev/null 2>&1)
    check "on a terminal: a TTY, the exit code, the terminal restored" \
        '[[ $out == *"/dev/pts/"* && $out == *"rc=6"* ]] && [ "$(cat $TMP/before)" = "$(cat $TMP/after)" ]'
else
    not_ok "util-linux 'script' is needed for the TTY test"
fi

# ---- Ctrl-C goes to the container (here: its init, which passes it on to sleep); --rm removes it still
(cd "$P" && exec "$DEVSTACK" run --rm -T -l trun.mark=int app sleep 300 </dev/null >/dev/null 2>&1) &
bg=$!
id=
for _ in $(seq 1 150); do
    id=$(docker ps -q --filter "label=trun.mark=int")
    [ -n "$id" ] && break
    sleep 0.2
done
kill -INT $bg
wait $bg
rc=$?
check "SIGINT during a run: sleep ends by it (exit 130), and the container (--rm) is gone" \
    '[ -n "$id" ] && [ $rc -eq 130 ] && gone_soon trun.mark=int'

dx stop -t 0 </dev/null
check "stop leaves one-off containers running, as Compose" \
    '[ $rc -eq 0 ] && [ "$(docker inspect $RUN-named --format {{.State.Running}})" = true ] &&
     [ "$(docker inspect $RUN-db-1 --format {{.State.Running}})" = false ]'

# ---- dependencies
# none_exist VOLUME...: true when the engine has none of them
none_exist() {
    local v
    for v; do docker volume inspect "$v" >/dev/null 2>&1 && return 1; done
    return 0
}
anon=$(docker ps -aq --filter label=com.docker.compose.project=$RUN |
    xargs -r docker inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}')
dx down -v -t 0 </dev/null
check "down removes one-off containers too (Compose only with --remove-orphans); -v their anonymous volumes" \
    '[ $rc -eq 0 ] && [ -z "$(docker ps -aq --filter label=com.docker.compose.project=$RUN)" ] &&
     [ -n "$anon" ] && none_exist $anon'
dx run --rm -T --no-deps app true </dev/null
check "--no-deps: the dependency is not started" \
    '[ $rc -eq 0 ] && ! docker inspect $RUN-db-1 >/dev/null 2>&1'

# ---- errors
dx run --rm -T no-such-service true </dev/null
check "an unknown service: exit 1, named" \
    '[ $rc -eq 1 ] && [[ $err == *"no-such-service"* ]]'
dx run --rm -T -l novalue app true </dev/null
check "a label without '=': a usage error" '[ $rc -eq 2 ] && [[ $err == *"KEY=VALUE"* ]]'
dx run --rm -T -v undeclared:/x app true </dev/null
check "-v with an undeclared volume: exit 1 and what to do, before any dependency starts" \
    '[ $rc -eq 1 ] && [[ $err == *"declare"* ]] && ! docker inspect $RUN-db-1 >/dev/null 2>&1'
dx run --rm -T -p 99999 app true </dev/null
check "-p with a bad port: exit 1, named" '[ $rc -eq 1 ] && [[ $err == *"99999"* ]]'

out=$(grep -E '==[0-9]+==|runtime error|LeakSanitizer' "$TMP/all-stderr" | head -n 20)
check "no sanitizer or valgrind report in any run" '[ -z "$out" ]'

tap_done
