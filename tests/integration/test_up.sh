#!/usr/bin/env bash
# `devstack up`, `down`, `ps`, `start`, `stop`, `restart`, `ls` against the real
# engine, with the registry-free busybox image (tests/integration/prepare.sh).
# Every project is named dsup<pid>-<x>; the EXIT trap removes them all.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dsup$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_up.XXXXXX")

ids_of() { # project: "service=id" lines, sorted
    api "/containers/json?all=1&filters=$(python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps({"label":["com.docker.compose.project="+sys.argv[1]]})))' "$1")" |
        python3 -c 'import json,sys; [print(c["Labels"]["com.docker.compose.service"]+"="+c["Id"]) for c in sorted(json.load(sys.stdin), key=lambda c: c["Labels"]["com.docker.compose.service"])]'
}
count_label() { # kind project: how many containers/networks/volumes carry the project label
    local q
    q=$(python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps({"label":["com.docker.compose.project="+sys.argv[1]]})))' "$2")
    case $1 in
    containers) api "/containers/json?all=1&filters=$q" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' ;;
    networks) api "/networks?filters=$q" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' ;;
    volumes) api "/volumes?filters=$q" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Volumes"] or []))' ;;
    esac
}
inspect() { api "/containers/$1/json" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

project() { # name yaml: write a project directory named <run>-<name>
    mkdir -p "$TMP/$RUN-$1"
    printf '%s\n' "$2" >"$TMP/$RUN-$1/compose.yaml"
    echo "$TMP/$RUN-$1"
}

PORT=$(free_port)
A=$(project a "
services:
  db:
    image: $IMAGE
    init: true
    command: [sh, -c, 'echo db starting; sleep 1.5; touch /tmp/ready; echo db ready; exec sleep 600']
    healthcheck:
      test: [CMD, test, -f, /tmp/ready]
      interval: 300ms
      retries: 30
    volumes: [data:/data]
    ports: ['$PORT:80']
  api:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    environment:
      GREETING: \${GREETING:-hello}
    depends_on:
      db: {condition: service_healthy}
  worker:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    depends_on: [db]
    ports: ['81']
volumes:
  data:
")

# ---- a fresh up
start=$(date +%s%N)
ds "$A" up -d --progress plain
check "fresh up -d succeeds" '[ $rc -eq 0 ]'
check "it created the network, the volume and three containers" \
    '[[ $out == *"Network $RUN-a_default  Created"* && $out == *"Volume $RUN-a_data  Created"* && $(count_label containers $RUN-a) -eq 3 ]]'
check "containers are named <project>-<service>-1" \
    '[ "$(inspect $RUN-a-db-1 "d[\"Name\"]")" = "/$RUN-a-db-1" ]'
check "they carry Compose's labels" \
    '[ "$(inspect $RUN-a-api-1 "d[\"Config\"][\"Labels\"][\"com.docker.compose.service\"]+\" \"+d[\"Config\"][\"Labels\"][\"com.docker.compose.oneoff\"]+\" \"+d[\"Config\"][\"Labels\"][\"com.docker.compose.depends_on\"]")" = "api False db:service_healthy:false" ]'
check "a port without a host IP is published on 127.0.0.1" \
    '[ "$(inspect $RUN-a-db-1 "d[\"NetworkSettings\"][\"Ports\"][\"80/tcp\"][0][\"HostIp\"]")" = 127.0.0.1 ]'
check "a port without a host port is published on 127.0.0.1, on a port the engine chose" \
    '[[ "$(inspect $RUN-a-worker-1 "d[\"NetworkSettings\"][\"Ports\"][\"81/tcp\"][0][\"HostIp\"]+\" \"+d[\"NetworkSettings\"][\"Ports\"][\"81/tcp\"][0][\"HostPort\"]")" =~ ^127\.0\.0\.1\ [1-9][0-9]*$ ]]'
check "the service name is a network alias" \
    '[[ "$(inspect $RUN-a-db-1 "d[\"NetworkSettings\"][\"Networks\"][\"$RUN-a_default\"][\"Aliases\"]")" == *"db"* ]]'
db_healthy_at=$(api "/containers/$RUN-a-db-1/json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["State"]["Health"]["Log"][0]["End"] if d["State"]["Health"]["Log"] else "")')
api_started=$(inspect $RUN-a-api-1 'd["State"]["StartedAt"]')
worker_started=$(inspect $RUN-a-worker-1 'd["State"]["StartedAt"]')
db_started=$(inspect $RUN-a-db-1 'd["State"]["StartedAt"]')
check "service_healthy held api back until db was healthy (1.5 s after it started)" \
    'python3 -c "import sys; from datetime import datetime as D; p=lambda s: D.fromisoformat(s[:26]); sys.exit(0 if (p(\"$api_started\")-p(\"$db_started\")).total_seconds() > 1.4 else 1)"'
# not a time limit (a loaded machine starts containers slowly): worker, on service_started, was
# running before api, which waited the 1.5 s for db to be healthy
check "service_started let worker go without waiting for db to be healthy" \
    'python3 -c "import sys; from datetime import datetime as D; p=lambda s: D.fromisoformat(s[:26]); sys.exit(0 if p(\"$worker_started\") < p(\"$api_started\") else 1)"'

# ---- nothing changed: nothing done
before=$(ids_of $RUN-a)
t1=$(date +%s)
sleep 1
ds "$A" up -d --progress plain
t2=$(date +%s)
events=$(past_events "$t1" "$((t2 + 1))" "{\"label\":[\"com.docker.compose.project=$RUN-a\"],\"type\":[\"container\",\"network\",\"volume\"]}" |
    python3 -c 'import json,sys; a=[json.loads(l)["Action"] for l in sys.stdin if l.strip()]; print(" ".join(x for x in a if not x.startswith(("exec_", "health_status"))))')
check "a second up succeeds" '[ $rc -eq 0 ]'
check "... keeps the same containers" '[ "$(ids_of $RUN-a)" = "$before" ]'
check "... and writes nothing to the engine (its events, healthchecks aside: '$events')" '[ -z "$events" ]'

# ---- an environment change recreates that service alone
ds "$A" env GREETING=changed "$DEVSTACK" up -d --progress plain 2>/dev/null
out=$(cd "$A" && GREETING=changed "$DEVSTACK" up -d --progress plain 2>&1)
rc=$?
after=$(ids_of $RUN-a)
check "an env change: up succeeds" '[ $rc -eq 0 ]'
check "... recreates api (and says why)" \
    '[ "$(grep ^api= <<<"$after")" != "$(grep ^api= <<<"$before")" ] && [[ $out == *"Recreating: configuration changed"* ]]'
check "... and leaves db and worker alone" \
    '[ "$(grep -v ^api= <<<"$after")" = "$(grep -v ^api= <<<"$before")" ]'
check "... the new container has the new value" \
    '[[ "$(inspect $RUN-a-api-1 "d[\"Config\"][\"Env\"]")" == *"GREETING=changed"* ]]'

# ---- ps, ls, stop, start, restart
ds "$A" ps
check "ps lists name, service, state, health, uptime and ports" \
    '[[ $out == *"NAME"*"SERVICE"*"STATE"*"HEALTH"*"UPTIME"*"PORTS"* && $out == *"$RUN-a-db-1"*"db"*"running"*"healthy"*"127.0.0.1:$PORT->80/tcp"* ]]'
ds "$A" ps --format json
check "ps --format json" \
    '[ $rc -eq 0 ] && [ "$(python3 -c "import json,sys; print(sorted(c[\"Service\"] for c in json.load(sys.stdin)))" <<<"$out")" = "['"'"'api'"'"', '"'"'db'"'"', '"'"'worker'"'"']" ]'
ds "$A" ps --services
check "ps --services" '[ "$out" = $'"'"'api\ndb\nworker'"'"' ]'
ds "$A" ls
check "ls shows the project running" '[[ $out == *"$RUN-a"*"running(3)"*"$A/compose.yaml"* ]]'
ds "$A" stop --progress plain worker
check "stop worker" '[ $rc -eq 0 ] && [ "$(inspect $RUN-a-worker-1 "d[\"State\"][\"Status\"]")" = exited ]'
ds "$A" ps
check "ps leaves out stopped containers" '[[ $out != *"$RUN-a-worker-1"* ]]'
ds "$A" ps -a
check "ps -a shows them" '[[ $out == *"$RUN-a-worker-1"*"exited"* ]]'
ds "$A" start --progress plain
check "start starts what is stopped" '[ $rc -eq 0 ] && [ "$(inspect $RUN-a-worker-1 "d[\"State\"][\"Status\"]")" = running ]'
old_start=$(inspect $RUN-a-db-1 'd["State"]["StartedAt"]')
ds "$A" restart --progress plain db
check "restart db" '[ $rc -eq 0 ] && [ "$(inspect $RUN-a-db-1 "d[\"State\"][\"StartedAt\"]")" != "$old_start" ]'

# ---- interop with Debian's docker-compose 1.29
if command -v docker-compose >/dev/null; then
    out=$(cd "$A" && docker-compose ps 2>&1)
    check "docker-compose 1.29 ps lists devstack's containers" \
        '[[ $out == *"$RUN-a-db-1"* && $out == *"$RUN-a-api-1"* && $out == *"$RUN-a-worker-1"* ]]'
    F=$(project f "
services:
  app:
    image: $IMAGE
    command: [sleep, '600']
    init: true
    environment: {A: '1'}
    ports: ['127.0.0.1::80']
")
    (cd "$F" && docker-compose up -d >/dev/null 2>&1)
    before_f=$(ids_of $RUN-f)
    ds "$F" up -d --progress plain
    check "devstack adopts a project docker-compose started (no recreate)" \
        '[ $rc -eq 0 ] && [ -n "$before_f" ] && [ "$(ids_of $RUN-f)" = "$before_f" ]'
    (cd "$F" && docker-compose down >/dev/null 2>&1)
    check "docker-compose down removes what it made, devstack left nothing else" \
        '[ "$(count_label containers $RUN-f)" -eq 0 ]'
elif [ "${CI:-}" = true ]; then
    not_ok "docker-compose is needed for the interop tests"
fi

# ---- one-shot dependencies: exit 0 lets the dependent start, exit 3 stops up
B=$(project b "
services:
  migrate:
    image: $IMAGE
    command: [sh, -c, 'echo migrating; exit \${CODE:-0}']
  app:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    depends_on:
      migrate: {condition: service_completed_successfully}
")
ds "$B" up -d --progress plain
check "service_completed_successfully with exit 0: app starts" \
    '[ $rc -eq 0 ] && [ "$(inspect $RUN-b-app-1 "d[\"State\"][\"Status\"]")" = running ]'
ds "$B" down --progress plain
out=$(cd "$B" && CODE=3 "$DEVSTACK" up -d --progress plain 2>&1)
rc=$?
check "exit 3: up fails and names the exit code" \
    '[ $rc -eq 1 ] && [[ $out == *"service '"'"'migrate'"'"' didn'"'"'t complete successfully: exit 3"* ]]'
check "... with the container's last log lines" '[[ $out == *"| migrating"* ]]'
check "... and app was never started" \
    '[ "$(inspect $RUN-b-app-1 "d[\"State\"][\"Status\"]" 2>/dev/null || echo absent)" != running ]'

# ---- a crashing dependency fails up fast, with its logs
C=$(project c "
services:
  db:
    image: $IMAGE
    command: [sh, -c, 'echo boom: cannot open the data directory; exit 1']
    healthcheck:
      test: [CMD, 'true']
      interval: 10s
  app:
    image: $IMAGE
    command: [sleep, '600']
    depends_on:
      db: {condition: service_healthy}
")
s=$(date +%s)
ds "$C" up -d --progress plain
took=$(($(date +%s) - s))
check "a dependency that exits fails up ($took s, before its first healthcheck)" \
    '[ $rc -eq 1 ] && [ $took -lt 8 ] && [[ $out == *"$RUN-c-db-1 (service '"'"'db'"'"') exited (1)"* ]]'
check "... showing its last log lines" '[[ $out == *"| boom: cannot open the data directory"* ]]'

# ---- a port taken by another project
D=$(project d "
services:
  web:
    image: $IMAGE
    command: [sleep, '600']
    ports: ['$PORT:80']
")
ds "$D" up -d --progress plain
check "a port in use: the error names the port and the service" \
    '[ $rc -eq 1 ] && [[ $out == *"service '"'"'web'"'"': cannot publish port 127.0.0.1:$PORT: it is already in use"* ]]'

# ---- a container name that another project uses is never taken over
G=$(project g "
services:
  x:
    image: $IMAGE
    command: [sleep, '600']
    container_name: $RUN-shared
")
H=$(project h "
services:
  y:
    image: $IMAGE
    command: [sleep, '600']
    container_name: $RUN-shared
")
ds "$G" up -d --progress plain
gid=$(inspect $RUN-shared 'd["Id"]')
ds "$H" up -d --progress plain
check "a name held by another project: the error names that project" \
    '[ $rc -eq 1 ] && [[ $out == *"the container name '"'"'$RUN-shared'"'"' is taken by a container of project '"'"'$RUN-g'"'"'"* ]]'
check "... and its container is untouched" '[ "$(inspect $RUN-shared "d[\"Id\"]")" = "$gid" ]'

# ---- orphans
sed -i '/^  worker:/,/^    depends_on: \[db\]/d' "$A/compose.yaml"
ds "$A" up -d --progress plain
check "a removed service: up warns about the orphan" \
    '[ $rc -eq 0 ] && [[ $out == *"found orphan containers ($RUN-a-worker-1)"* ]] && [ "$(count_label containers $RUN-a)" -eq 3 ]'
ds "$A" up -d --remove-orphans --progress plain
check "--remove-orphans removes it" \
    '[ $rc -eq 0 ] && [ "$(count_label containers $RUN-a)" -eq 2 ] && [[ $out != *orphan* || $out == *"Removed"* ]]'

# ---- Ctrl-C during up, then up again
E=$(project e "
services:
  db:
    image: $IMAGE
    init: true
    command: [sh, -c, 'sleep 3; touch /tmp/ready; exec sleep 600']
    healthcheck: {test: [CMD, test, -f, /tmp/ready], interval: 300ms, retries: 60}
  app:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    depends_on: {db: {condition: service_healthy}}
")
(cd "$E" && exec "$DEVSTACK" up -d --progress plain >"$TMP/e.out" 2>&1) &
pid=$!
sleep 1.2
kill -INT $pid
wait $pid
rc=$?
out=$(<"$TMP/e.out")
check "SIGINT during up: exit 130" '[ $rc -eq 130 ]'
ds "$E" up -d --progress plain
check "... and the next up converges" \
    '[ $rc -eq 0 ] && [ "$(inspect $RUN-e-app-1 "d[\"State\"][\"Status\"]")" = running ] && [ "$(count_label containers $RUN-e)" -eq 2 ]'

# ---- attached up: logs with a service prefix; Ctrl-C stops gracefully
I=$(project i "
services:
  talker:
    image: $IMAGE
    init: true
    command: [sh, -c, 'echo hello from talker; echo to stderr >&2; exec sleep 600']
")
(cd "$I" && exec "$DEVSTACK" up --progress plain >"$TMP/i.out" 2>&1) &
pid=$!
for _ in $(seq 1 50); do grep -q "to stderr" "$TMP/i.out" 2>/dev/null && break; sleep 0.2; done
kill -INT $pid
wait $pid
rc=$?
out=$(<"$TMP/i.out")
check "attached up prints each service's output with its prefix, both streams" \
    '[[ $out == *"Attaching to $RUN-i-talker-1"* && $out == *"talker | hello from talker"* && $out == *"talker | to stderr"* ]]'
check "Ctrl-C: stops gracefully and exits 130" \
    '[ $rc -eq 130 ] && [[ $out == *"Gracefully stopping... (press Ctrl+C again to force)"* ]] && [ "$(inspect $RUN-i-talker-1 "d[\"State\"][\"Status\"]")" = exited ]'
check "attached up shows the services table before it attaches" \
    '[[ $out == *"SERVICE"*"STATE"*"URL"*"talker"*"running"*"Attaching to"* ]]'

# ---- --wait, optional dependencies, an unhealthy dependency
W=$(project w "
services:
  slow:
    image: $IMAGE
    init: true
    command: [sh, -c, 'sleep 1; touch /tmp/ready; exec sleep 600']
    healthcheck: {test: [CMD, test, -f, /tmp/ready], interval: 300ms, retries: 30}
  once:
    image: $IMAGE
    command: [sh, -c, 'exit 0']
  app:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    depends_on:
      once: {condition: service_completed_successfully}
")
ds "$W" up -d --wait --progress plain
check "--wait returns once every service runs or is healthy, the awaited one-shot done" \
    '[ $rc -eq 0 ] && [ "$(inspect $RUN-w-slow-1 "d[\"State\"][\"Health\"][\"Status\"]")" = healthy ] && [ "$(inspect $RUN-w-app-1 "d[\"State\"][\"Status\"]")" = running ]'
ds "$W" down --progress plain
O=$(project o "
services:
  app:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    depends_on:
      flaky: {condition: service_healthy, required: false}
  flaky:
    image: $IMAGE
    command: [sh, -c, 'exit 2']
    healthcheck: {test: [CMD, 'true'], interval: 10s}
")
ds "$O" up -d --progress plain
check "required: false turns a failed dependency into a warning" \
    '[ $rc -eq 0 ] && [[ $out == *"Warning"*"flaky"*"exited (2)"* ]] && [ "$(inspect $RUN-o-app-1 "d[\"State\"][\"Status\"]")" = running ]'
ds "$O" down --progress plain
U=$(project u "
services:
  db:
    image: $IMAGE
    init: true
    command: [sh, -c, 'echo never ready; exec sleep 600']
    healthcheck: {test: [CMD, sh, -c, 'echo not yet; exit 1'], interval: 300ms, retries: 2}
  app:
    image: $IMAGE
    command: [sleep, '600']
    depends_on: {db: {condition: service_healthy}}
")
ds "$U" up -d --progress plain
check "an unhealthy dependency fails up, with the health log" \
    '[ $rc -eq 1 ] && [[ $out == *"$RUN-u-db-1 (service '"'"'db'"'"') is unhealthy"* && $out == *"health checks:"*"exit 1: not yet"* ]]'

# ---- images: --pull never, a build by up, down --rmi local
P=$(project p "
services:
  x:
    image: devstack-test/not-here:1.0
    command: [true]
")
ds "$P" up -d --pull never --progress plain
check "--pull never and a missing image: the error says so" \
    '[ $rc -eq 1 ] && [[ $out == *"image '"'"'devstack-test/not-here:1.0'"'"' is not in the engine, and the pull policy is never"* ]]'
K=$(project k "
services:
  built:
    build: ./ctx
    init: true
    command: [sh, -c, 'cat /greeting; exec sleep 600']
")
mkdir -p "$K/ctx"
printf 'FROM %s\nARG GREETING=none\nCOPY . /ctx/\nRUN echo \"$GREETING\" > /greeting\n' "$IMAGE" >"$K/ctx/Dockerfile"
printf 'secret\n' >"$K/ctx/secret.key"
printf 'keep\n' >"$K/ctx/keep.txt"
printf '*.key\n' >"$K/ctx/.dockerignore"
sed -i 's|    build: ./ctx|    build:\n      context: ./ctx\n      args: {GREETING: built by up}|' "$K/compose.yaml"
ds "$K" up -d --progress plain
check "up builds a missing image, streaming the context, and starts it" \
    '[ $rc -eq 0 ] && [[ $out == *"Image $RUN-k-built  Built"* ]] && [ "$(inspect $RUN-k-built-1 "d[\"State\"][\"Status\"]")" = running ]'
files=$(curl -fsS --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' -d '{"Cmd":["ls","/ctx"],"AttachStdout":true}' "http://localhost/v1.41/containers/$RUN-k-built-1/exec" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')
files=$(curl -fsS --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' -d '{"Detach":false}' "http://localhost/v1.41/exec/$files/start" | tr -c '[:print:]\n' ' ')
check ".dockerignore kept secret.key out of the image, the rest went in" \
    '[[ $files == *keep.txt* && $files == *Dockerfile* && $files != *secret.key* ]]'
check "the build arg reached the build" \
    '[[ "$(curl -fsS --unix-socket "$SOCK" "http://localhost/v1.41/containers/$RUN-k-built-1/logs?stdout=1" | tr -c "[:print:]\n" " ")" == *"built by up"* ]]'
ds "$K" up -d --progress plain
check "a second up neither rebuilds nor recreates" '[ $rc -eq 0 ] && [[ $out != *Built* && $out != *Recreat* ]]'
ds "$K" down --rmi local --progress plain
check "down --rmi local removes the image built for the project" \
    '[ $rc -eq 0 ] && ! curl -fsS --unix-socket "$SOCK" "http://localhost/v1.41/images/$RUN-k-built/json" >/dev/null 2>&1'

# ---- on a terminal the progress lines are rewritten in place
if command -v script >/dev/null; then
    T=$(project t "
services:
  a:
    image: $IMAGE
    command: [sleep, '600']
    init: true
")
    out=$(cd "$T" && script -qec "$DEVSTACK up -d" /dev/null 2>&1 </dev/null)
    check "on a terminal: lines rewritten in place (cursor up, clear line)" \
        '[[ $out == *$'"'"'\033['"'"'*A* && $out == *$'"'"'\033[2K'"'"'* && $out == *"Container $RUN-t-a-1"* ]]'
    out=$(cd "$T" && NO_COLOR=1 script -qec "$DEVSTACK up -d" /dev/null 2>&1 </dev/null)
    check "NO_COLOR: no colors on a terminal" '[[ $out != *$'"'"'\033[32m'"'"'* ]]'
fi

# ---- attached up: a second Ctrl-C kills
Q=$(project q "
services:
  stubborn:
    image: $IMAGE
    command: [sh, -c, 'trap \"\" TERM; echo started; while :; do sleep 1; done']
    stop_grace_period: 30s
")
(cd "$Q" && exec "$DEVSTACK" up --progress plain >"$TMP/q.out" 2>&1) &
pid=$!
for _ in $(seq 1 50); do grep -q "started" "$TMP/q.out" 2>/dev/null && break; sleep 0.2; done
kill -INT $pid
sleep 1
kill -INT $pid
s=$(date +%s)
wait $pid
rc=$?
out=$(<"$TMP/q.out")
check "a second Ctrl-C kills at once instead of waiting out the 30 s grace period" \
    '[ $rc -eq 130 ] && [ $(($(date +%s) - s)) -lt 10 ] && [[ $out == *"Killed"* ]] && [ "$(inspect $RUN-q-stubborn-1 "d[\"State\"][\"Status\"]")" = exited ]'

# ---- the first up makes .env from .env.example
EPORT=$(free_port)
V=$(project env "
services:
  app:
    image: \${IMG}
    init: true
    command: [sleep, '600']
    environment:
      GREETING: \${GREETING}
    ports: ['\${APP_PORT}:80']
")
printf 'IMG=%s\nAPP_PORT=%s\nGREETING=from the example\n' "$IMAGE" "$EPORT" >"$V/.env.example"
ds "$V" up -d --progress plain
check "no .env but a .env.example: up creates .env and says so" \
    '[ $rc -eq 0 ] && [[ $out == *"created .env from .env.example (edit it, not the example)"* ]]'
check "... with the example's content, mode 600, no temporary file left" \
    'cmp -s "$V/.env" "$V/.env.example" && [ "$(stat -c %a "$V/.env")" = 600 ] && [ "$(ls -A "$V" | tr "\n" " ")" = ".env .env.example compose.yaml " ]'
# (Podman names the image with its registry: docker.io/...)
check "... and its values were used: the image, the published port, the environment" \
    '[[ "$(inspect $RUN-env-app-1 "d[\"Config\"][\"Image\"]")" == ?(docker.io/)"$IMAGE" ]] && [ "$(inspect $RUN-env-app-1 "d[\"NetworkSettings\"][\"Ports\"][\"80/tcp\"][0][\"HostPort\"]")" = "$EPORT" ] && [[ "$(inspect $RUN-env-app-1 "d[\"Config\"][\"Env\"]")" == *"GREETING=from the example"* ]]'
env_stat=$(stat -c '%y %s %a %i' "$V/.env")
ds "$V" up -d --progress plain
check "a second up leaves .env alone (mtime, content, inode) and says nothing of it" \
    '[ $rc -eq 0 ] && [[ $out != *"created"* ]] && [ "$(stat -c "%y %s %a %i" "$V/.env")" = "$env_stat" ] && cmp -s "$V/.env" "$V/.env.example"'
printf 'IMG=%s\nAPP_PORT=%s\nGREETING=mine\n' "$IMAGE" "$EPORT" >"$V/.env"
printf 'IMG=%s\nAPP_PORT=%s\nGREETING=the example changed\n' "$IMAGE" "$EPORT" >"$V/.env.example"
ds "$V" up -d --progress plain
check "an existing .env is never overwritten by the example, and is what up uses" \
    '[ $rc -eq 0 ] && [ "$(sed -n 3p "$V/.env")" = "GREETING=mine" ] && [[ "$(inspect $RUN-env-app-1 "d[\"Config\"][\"Env\"]")" == *"GREETING=mine"* ]]'
ds "$V" down -t 0 --progress plain
mkdir -p "$TMP/$RUN-envsub/compose"
printf 'services:\n  app:\n    image: ${IMG}\n    init: true\n    command: [sleep, "600"]\n' \
    >"$TMP/$RUN-envsub/compose/compose.yaml"
printf 'IMG=%s\n' "$IMAGE" >"$TMP/$RUN-envsub/compose/.env.example"
printf 'IMG=%s\n' "$IMAGE" >"$TMP/$RUN-envsub/other.env"
ds "$TMP/$RUN-envsub" -p $RUN-envsub --env-file other.env up -d --progress plain
check "with --env-file no .env is made" \
    '[ $rc -eq 0 ] && [ ! -e "$TMP/$RUN-envsub/compose/.env" ] && [[ $out != *"created"* ]]'
ds "$TMP/$RUN-envsub" -p $RUN-envsub up -d --progress plain
check "the project found in compose/: its .env is made there, the notice shows the path from here" \
    '[ $rc -eq 0 ] && [[ $out == *"created compose/.env from .env.example (edit it, not the example)"* ]] && [ -f "$TMP/$RUN-envsub/compose/.env" ] && [ ! -e "$TMP/$RUN-envsub/.env" ]'
ds "$TMP/$RUN-envsub" -p $RUN-envsub down -t 0 --progress plain
rm -f "$V/.env"
ds "$V" config --services
check "only up makes it: config does not" '[ $rc -eq 0 ] && [ ! -e "$V/.env" ]'

# ---- up ends with a table of the services, their states and URLs
L=$(project urls "
services:
  web:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    ports: ['127.0.0.1::80']
  db:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    ports: ['127.0.0.1::3306', '127.0.0.1::53/udp']
  admin:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    labels: {dev.devstack.url: 'http://admin.localhost:9999/ https://admin.test/'}
    ports: ['127.0.0.1::80']
  worker:
    image: $IMAGE
    init: true
    command: [sleep, '600']
  later:
    image: $IMAGE
    profiles: [later]
")
out=$(cd "$L" && "$DEVSTACK" up -d --progress plain 2>/dev/null)
rc=$?
web_port=$(inspect $RUN-urls-web-1 'd["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]')
db_port=$(inspect $RUN-urls-db-1 'd["NetworkSettings"]["Ports"]["3306/tcp"][0]["HostPort"]')
check "up -d prints the table on stdout: a header, then one row per enabled service" \
    '[ $rc -eq 0 ] && [[ "$(head -n 1 <<<"$out")" =~ ^SERVICE\ +STATE\ +URL$ ]] && [ "$(grep -cE "^(web|db|admin|worker) " <<<"$out")" -eq 4 ] && [[ $out != *later* ]]'
check "a random host port shows as the engine published it ($web_port)" \
    '[ -n "$web_port" ] && grep -qE "^web +running +http://127\.0\.0\.1:$web_port/$" <<<"$out"'
check "3306 shows as mysql://, udp ports are left out" \
    'grep -qE "^db +running +mysql://127\.0\.0\.1:$db_port$" <<<"$out" && [[ $out != *":53"* ]]'
check "a dev.devstack.url label is shown as given, one URL per line" \
    'grep -qE "^admin +running +http://admin\.localhost:9999/$" <<<"$out" && grep -qE "^ +https://admin\.test/$" <<<"$out" && [[ $out != *"admin "*"127.0.0.1"* ]]'
check "a service without ports shows its state only" 'grep -qE "^worker +running$" <<<"$out"'
check "the URL column is aligned" \
    '[ "$(grep -E "://|URL" <<<"$out" | awk "{ print index(\$0, \$NF) }" | sort -u | wc -l)" -eq 1 ]'
out=$(cd "$L" && "$DEVSTACK" up -d --wait --progress plain 2>/dev/null)
rc=$?
check "with nothing to do (and --wait), up still prints the table" \
    '[ $rc -eq 0 ] && grep -qE "^web +running +http://127\.0\.0\.1:$web_port/$" <<<"$out"'
ds "$L" up -d --progress quiet
check "--progress quiet prints no table" '[ $rc -eq 0 ] && [ -z "$out" ]'
ds "$L" down -t 0 --progress plain
out=$(cd "$L" && "$DEVSTACK" up --no-start --progress plain worker 2>/dev/null)
rc=$?
check "--no-start: the created container's state, '-' for a service without one" \
    '[ $rc -eq 0 ] && grep -qE "^worker +created$" <<<"$out" && grep -qE "^web +-$" <<<"$out"'
ds "$L" down -t 0 --progress plain

# ---- down -v takes everything of the project, nothing of another
ds "$B" up -d --progress plain
ds "$A" down -v --progress plain
check "down -v: no container, network or volume of the project is left" \
    '[ $rc -eq 0 ] && [ "$(count_label containers $RUN-a)" -eq 0 ] && [ "$(count_label networks $RUN-a)" -eq 0 ] && [ "$(count_label volumes $RUN-a)" -eq 0 ]'
check "... and another project is untouched" '[ "$(count_label containers $RUN-b)" -eq 2 ]'
ds "$B" down --progress plain
check "down without -v keeps volumes (none here) and removes containers" '[ $rc -eq 0 ] && [ "$(count_label containers $RUN-b)" -eq 0 ]'

tap_done
