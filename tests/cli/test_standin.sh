#!/usr/bin/env bash
# Tests of the stand-in images made by scripts/standin-images.sh, against the
# real engine: each image is run the way the bundled stack runs it and checked
# for the official image's behaviour the stack relies on. Missing images are
# built first (a few minutes on a fresh machine).
#
# Only the Engine API is used (curl), as devstack does. Everything this test
# creates carries the label devstack.standin.test=<run id> and is removed on
# exit; nothing else in the engine is touched.
# Prints TAP-style "ok N - ..." / "not ok N - ..." lines; exits 1 if any failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILDER=$ROOT/scripts/standin-images.sh
MARIADB=devstack/mariadb:10.11
NGINX=devstack/nginx:bookworm
PMA=devstack/phpmyadmin:bookworm
PYTHON=devstack/python:3.11-fastapi
IMAGES=(devstack/debian:bookworm "$MARIADB" "$NGINX" "$PMA" "$PYTHON")
RUN_ID=standin-test-$$-$RANDOM
READY_TIMEOUT=120

TMP=""
CONTAINERS=() NETWORKS=()
db="" bad="" pma="" ng="" nglogs="" py=""  # container ids, set by create

. "$ROOT/tests/lib/tap.sh"
# A test that cannot run here is reported as skipped, never as passed; in CI nothing may skip.
skip() {
    if [ "${CI:-}" = true ]; then
        not_ok "$1" "cannot run in CI: $2"
    else
        n=$((n + 1))
        echo "skip $n - $1 ($2)"
    fi
}
# COMMAND; check DESCRIPTION [DIAGNOSTIC]: pass if COMMAND succeeded.
check() {
    local status=$?
    if [ "$status" -eq 0 ]; then ok "$1"; else not_ok "$1" "${2:-}"; fi
}
finish() {
    tap_done
    exit
}

# ---- Engine API ------------------------------------------------------------------

ENDPOINT=${DOCKER_HOST:-unix:///var/run/docker.sock}
CURL_TARGET=() BASE=""
case $ENDPOINT in
unix://*) CURL_TARGET=(--unix-socket "${ENDPOINT#unix://}") BASE=http://localhost ;;
tcp://*) BASE=http://${ENDPOINT#tcp://} ;;
esac

# api METHOD PATH [BODY|@FILE [CONTENT-TYPE]]: the answer's body on stdout;
# fails unless the status is 2xx or 304 (already started/stopped).
api() {
    local method=$1 path=$2 body=${3:-} type=${4:-application/json} out code
    local args=(-sS --max-time 90 -X "$method" "${CURL_TARGET[@]}" -o "$TMP/body" -w '%{http_code}')
    [ -n "$body" ] && args+=(-H "Content-Type: $type" --data-binary "$body")
    code=$(curl "${args[@]}" "$BASE$API$path" 2>"$TMP/curl.err") || {
        cat "$TMP/curl.err" >&2
        return 1
    }
    out=$(cat "$TMP/body")
    printf '%s' "$out"
    [[ $code == 2?? || $code == 304 ]] || {
        echo "HTTP $code from $method $path: $out" >&2
        return 1
    }
}

# jget EXPR: a Python expression over the JSON document "j" on stdin.
jget() { python3 -c 'import json, sys; j = json.load(sys.stdin); v = eval(sys.argv[1]); print(v if v is not None else "")' "$1"; }

# Turns attach/logs/exec output without a TTY (8-byte frame headers) into text.
demux() {
    python3 -c '
import sys
data, out, i = sys.stdin.buffer.read(), bytearray(), 0
while i + 8 <= len(data) and data[i] in (0, 1, 2) and data[i + 1:i + 4] == b"\0\0\0":
    size = int.from_bytes(data[i + 4:i + 8], "big")
    out += data[i + 8:i + 8 + size]
    i += 8 + size
out += data[i:]
sys.stdout.buffer.write(bytes(out))'
}

# dexec CONTAINER CMD...: runs CMD in the container; its output on stdout,
# its exit code as the status.
dexec() {
    local cid=$1 body exec_id code
    shift
    body=$(python3 -c 'import json, sys; print(json.dumps({"Cmd": sys.argv[1:], "AttachStdout": True, "AttachStderr": True}))' "$@")
    exec_id=$(api POST "/containers/$cid/exec" "$body" | jget 'j["Id"]') || return 125
    curl -sS --max-time 90 -X POST "${CURL_TARGET[@]}" -H 'Content-Type: application/json' \
        --data-binary '{"Detach":false,"Tty":false}' "$BASE$API/exec/$exec_id/start" | demux
    code=$(api GET "/exec/$exec_id/json" | jget 'j["ExitCode"]') || return 125
    return "${code:-125}"
}

logs() { curl -sS --max-time 30 "${CURL_TARGET[@]}" "$BASE$API/containers/$1/logs?stdout=1&stderr=1" | demux; }

# create VAR NAME BODY-JSON: creates a container, remembers it for clean-up
# and sets VAR to its id (not in a $(...) subshell, which would forget it).
create() {
    local id
    id=$(api POST "/containers/create?name=$RUN_ID-$2" "$3" | jget 'j["Id"]')
    [ -n "$id" ] || return 1
    CONTAINERS+=("$id")
    printf -v "$1" '%s' "$id"
}

# upload CONTAINER DIR: copies DIR's contents to / in the (created) container,
# which works against any engine, unlike a bind mount of a local directory.
upload() { tar -C "$2" -c . >"$TMP/upload.tar" && api PUT "/containers/$1/archive?path=/" "@$TMP/upload.tar" application/x-tar >/dev/null; }

host_port() { api GET "/containers/$1/json" | jget "j['NetworkSettings']['Ports']['$2/tcp'][0]['HostPort']"; }

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local id
    # Also whatever carries this run's label, should a create have been lost.
    if [ -n "${API:-}" ]; then
        local labelled=()
        read -ra labelled < <(api GET "/containers/json?all=1&filters=$(python3 -c 'import json, sys, urllib.parse
print(urllib.parse.quote(json.dumps({"label": ["devstack.standin.test=" + sys.argv[1]]})))' "$RUN_ID")" 2>/dev/null |
            jget '" ".join(c["Id"] for c in j)' 2>/dev/null)
        CONTAINERS+=("${labelled[@]}")
    fi
    for id in $(printf '%s\n' "${CONTAINERS[@]}" | sort -u); do
        api DELETE "/containers/$id?force=1&v=1" >/dev/null 2>&1 || echo "# cleanup: could not remove container $id" >&2
    done
    for id in "${NETWORKS[@]}"; do
        api DELETE "/networks/$id" >/dev/null 2>&1 || echo "# cleanup: could not remove network $id" >&2
    done
    [ -z "${FAKE_PID:-}" ] || kill "$FAKE_PID" 2>/dev/null
    [ -z "$TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_standin.XXXXXX")

# ---- the builder against a fake engine: error answers are checked, never parsed as success

# An engine that has only devstack/debian:bookworm, answers 404 (with the
# engine's {"message": ...} body) for any other image and 500 with a plain-text
# body to every POST.
cat >"$TMP/fake_engine.py" <<'PY'
import http.server, json, socketserver, sys
sock, have = sys.argv[1], set(sys.argv[2:])
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def answer(self, code, body, ctype="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/_ping":
            return self.answer(200, "OK", "text/plain")
        name = path.split("/images/", 1)[-1][:-len("/json")]
        if name in have:
            return self.answer(200, json.dumps({"Id": "sha256:0", "Size": 5e6, "Config": {"Labels": {}}}))
        self.answer(404, json.dumps({"message": "No such image: " + name}))
    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        else:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer(500, "the fake engine refuses every build\n", "text/plain")
class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
Server(sock, Handler).serve_forever()
PY
python3 "$TMP/fake_engine.py" "$TMP/fake.sock" devstack/debian:bookworm 2>"$TMP/fake.log" &
FAKE_PID=$!
for _ in $(seq 50); do [ -S "$TMP/fake.sock" ] && break; sleep 0.1; done
# fake BUILDER-ARGS...: the builder against the fake engine (its own lock directory); sets out and rc
fake() {
    out=$(DOCKER_HOST=unix://$TMP/fake.sock DEVSTACK_STATE_DIR=$TMP/state bash "$BUILDER" "$@" </dev/null 2>&1)
    rc=$?
}
fake --list
[ "$rc" -eq 0 ] && grep -q '^debian .*present (5 MB)' <<<"$out" && grep -q '^mariadb .*missing' <<<"$out" && [[ $out != *Traceback* ]]
check "fake engine: --list says present and missing, no traceback" "exit $rc: $out"
fake --only mariadb
[ "$rc" -ne 0 ] && [[ $out == *"building devstack/mariadb:10.11"* && $out != *Traceback* && $out != *KeyError* ]]
check "fake engine: an image the engine lacks (404) is a quiet no: it is built, no traceback" "exit $rc: $out"
[[ $out == *"returned error: 500"* && $out == *"the fake engine refuses every build"* &&
    $out == *"building devstack/mariadb:10.11 failed"* && $out != *"built devstack/mariadb"* ]]
check "fake engine: a build answered 500 fails, with the status and the engine's words" "exit $rc: $out"
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
FAKE_PID=""

# ---- engine and images ---------------------------------------------------------------

version=$(curl -sS --max-time 5 -D - -o /dev/null "${CURL_TARGET[@]}" "$BASE/_ping" 2>/dev/null |
    tr -d '\r' | awk -F': *' 'tolower($1) == "api-version" { print $2 }')
if [ -z "$version" ]; then
    skip "stand-in images" "no engine answers at $ENDPOINT"
    finish
fi
# The engine's version if it is older than the one this test was written for.
if [ "${version#1.}" -lt 41 ]; then API=/v$version; else API=/v1.41; fi

missing=()
for image in "${IMAGES[@]}"; do
    api GET "/images/$image/json" >/dev/null 2>&1 || missing+=("$image")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] && [[ " ${missing[*]} " == *" devstack/debian:bookworm "* ]]; then
        skip "stand-in images" "missing (${missing[*]}) and building the base needs root"
        finish
    fi
    echo "# building missing images: ${missing[*]}"
    out=$(bash "$BUILDER" 2>&1)
    check "scripts/standin-images.sh builds the missing images" "$out"
    printf '%s\n' "$out" | grep -E '^standin-images.sh: (built|skipped|done)' | sed 's/^/# /'
fi
for image in "${IMAGES[@]}"; do
    labels=$(api GET "/images/$image/json" | jget 'j["Config"]["Labels"]')
    [[ $labels == *"'devstack.standin': '1'"* && $labels == *"org.opencontainers.image.description"* ]]
    check "$image exists with the devstack.standin=1 and description labels" "labels: $labels"
done

net=$(api POST /networks/create "{\"Name\":\"$RUN_ID\",\"CheckDuplicate\":true,\"Labels\":{\"devstack.standin.test\":\"$RUN_ID\"}}" | jget 'j["Id"]')
[ -n "$net" ] && NETWORKS+=("$net")

LABELS="{\"devstack.standin.test\":\"$RUN_ID\"}"

# ---- mariadb --------------------------------------------------------------------------

mkdir -p "$TMP/db/docker-entrypoint-initdb.d" "$TMP/db/etc/mysql/conf.d"
cat >"$TMP/db/docker-entrypoint-initdb.d/01-table.sql" <<'EOF'
CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20));
INSERT INTO t VALUES (1, 'one');
EOF
# Runs while the temporary server is up: records whether TCP gets in.
cat >"$TMP/db/docker-entrypoint-initdb.d/02-probe.sh" <<'EOF'
#!/bin/bash
if out=$(mysql --protocol=tcp -h 127.0.0.1 -P 3306 -uroot -p"$MYSQL_ROOT_PASSWORD" -e 'SELECT 1' 2>&1); then
    echo "PROBE: a TCP connection succeeded during init"
else
    echo "PROBE: TCP refused during init: $out"
fi
EOF
chmod 755 "$TMP/db/docker-entrypoint-initdb.d/02-probe.sh"
echo "CREATE TABLE g (x INT); INSERT INTO g VALUES (7);" | gzip >"$TMP/db/docker-entrypoint-initdb.d/03-more.sql.gz"
# Debian's own defaults say utf8mb4_general_ci: this file must win over them.
printf '[mysqld]\ncollation-server = utf8mb4_unicode_ci\n' >"$TMP/db/etc/mysql/conf.d/zz-test.cnf"

create db db "{
  \"Image\": \"$MARIADB\",
  \"Cmd\": [\"--character-set-server=utf8mb4\", \"--max-connections=42\"],
  \"Env\": [\"MYSQL_ROOT_PASSWORD=rootpw\", \"MYSQL_DATABASE=app\", \"MYSQL_USER=app\", \"MYSQL_PASSWORD=secret\"],
  \"Labels\": $LABELS,
  \"HostConfig\": {\"NetworkMode\": \"$RUN_ID\"},
  \"NetworkingConfig\": {\"EndpointsConfig\": {\"$RUN_ID\": {\"Aliases\": [\"db\"]}}}
}" && upload "$db" "$TMP/db" && api POST "/containers/$db/start" >/dev/null
check "mariadb: container with MYSQL_* env, init scripts and a conf.d file starts"

# wait_db CONTAINER: until the app user can query the app database over TCP.
wait_db() {
    local start=$SECONDS
    while [ $((SECONDS - start)) -lt "$READY_TIMEOUT" ]; do
        dexec "$1" mysql -h 127.0.0.1 -uapp -psecret -e 'SELECT 1' app >/dev/null 2>&1 && return 0
        [ "$(api GET "/containers/$1/json" | jget 'j["State"]["Running"]')" = True ] || return 1
        sleep 0.5
    done
    return 1
}
t0=$SECONDS
wait_db "$db"
check "mariadb: the app user gets in over TCP (ready after $((SECONDS - t0)) s)" "$(logs "$db" | tail -n 30)"
db_logs=$(logs "$db")

q() { dexec "$db" mysql -h 127.0.0.1 -uapp -psecret -N -B -e "$1" app; }
out=$(q 'SELECT id, name FROM t')
[ "$out" = $'1\tone' ]; check "mariadb: the init .sql ran (app user reads table t)" "got: $out"
out=$(q 'SELECT x FROM g')
[ "$out" = 7 ]; check "mariadb: the init .sql.gz ran" "got: $out"
out=$(q 'SELECT @@character_set_server')
[ "$out" = utf8mb4 ]; check "mariadb: --character-set-server=utf8mb4 as the command reaches the server" "got: $out"
out=$(q 'SELECT @@max_connections')
[ "$out" = 42 ]; check "mariadb: options as the command are passed to mariadbd (max_connections=42)" "got: $out"
out=$(q 'SELECT @@collation_server')
[ "$out" = utf8mb4_unicode_ci ]; check "mariadb: /etc/mysql/conf.d/*.cnf is read and wins over Debian's defaults" "got: $out"
out=$(q "SHOW GRANTS")
# shellcheck disable=SC2016  # backquotes of SQL identifiers
[[ $out == *'ON `app`.* TO `app`@`%`'* ]]; check "mariadb: the app user has grants on the app database" "got: $out"
out=$(dexec "$db" mysql -h 127.0.0.1 -uroot -prootpw -N -B -e 'SELECT CURRENT_USER()' 2>&1)
[ "$out" = root@% ]; check "mariadb: root logs in over TCP with MYSQL_ROOT_PASSWORD" "got: $out"
dexec "$db" sh -c 'command -v mysql && command -v mysqladmin && mysqladmin -h 127.0.0.1 -uapp -psecret ping' >/dev/null
check "mariadb: the mysql and mysqladmin commands exist and work"

grep -q 'Starting temporary server (--skip-networking' <<<"$db_logs" &&
    grep -q 'Temporary server started (pid [0-9]*, skip_networking=ON' <<<"$db_logs"
check "mariadb: init used a temporary server with networking off (log says so)" "$(grep Entrypoint <<<"$db_logs")"
grep -q "port: 0 " <<<"$db_logs"
check "mariadb: the temporary server reported port 0 (no TCP listener)" "$(grep -E 'Version:' <<<"$db_logs")"
grep -q 'PROBE: TCP refused during init' <<<"$db_logs" && ! grep -q 'PROBE: a TCP connection succeeded' <<<"$db_logs"
check "mariadb: a TCP connection during init is refused" "$(grep -A1 PROBE <<<"$db_logs")"
# shellcheck disable=SC2016  # expanded in the container
dexec "$db" sh -c 'test "$(stat -c %U /var/lib/mysql/ibdata1)" = mysql' >/dev/null &&
    [ "$(api GET "/containers/$db/top" | jget '[p[0] for p in j["Processes"] if "mariadbd" in p[-1]][0]')" != root ]
check "mariadb: the server runs as the mysql user"

api POST "/containers/$db/restart?t=20" >/dev/null
check "mariadb: restart of the same container (same volume)"
wait_db "$db"
check "mariadb: ready again after the restart" "$(logs "$db" | tail -n 20)"
db_logs=$(logs "$db")
[ "$(grep -c 'Initializing database files' <<<"$db_logs")" -eq 1 ] &&
    grep -q 'already contains a database: skipping initialization' <<<"$db_logs"
check "mariadb: the restart did not re-run init (log says data exists)" "$(grep Entrypoint <<<"$db_logs")"
out=$(q 'SELECT COUNT(*) FROM t')
[ "$out" = 1 ]; check "mariadb: after the restart table t still has 1 row" "got: $out"

# Without any root password option the first start must refuse, as upstream does.
create bad nopw "{\"Image\": \"$MARIADB\", \"Env\": [\"MYSQL_DATABASE=app\"], \"Labels\": $LABELS}" &&
    api POST "/containers/$bad/start" >/dev/null &&
    code=$(api POST "/containers/$bad/wait" | jget 'j["StatusCode"]') &&
    [ "$code" = 1 ] && logs "$bad" | grep -q 'password option is not specified'
check "mariadb: no root password option: exits 1 with the official message" "exit ${code:-?}: $(logs "$bad" | tail -n 5)"

# ---- phpmyadmin ----------------------------------------------------------------------

create pma pma "{
  \"Image\": \"$PMA\",
  \"Env\": [\"PMA_HOST=db\", \"PMA_ABSOLUTE_URI=http://localhost/phpmyadmin/\"],
  \"Labels\": $LABELS,
  \"ExposedPorts\": {\"80/tcp\": {}},
  \"HostConfig\": {\"NetworkMode\": \"$RUN_ID\", \"PortBindings\": {\"80/tcp\": [{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"\"}]}},
  \"NetworkingConfig\": {\"EndpointsConfig\": {\"$RUN_ID\": {\"Aliases\": [\"pma\"]}}}
}" && api POST "/containers/$pma/start" >/dev/null
check "phpmyadmin: container with PMA_HOST=db on the stack's network starts"
pma_url=http://127.0.0.1:$(host_port "$pma" 80)

# wait_http URL: until URL answers 200 (10 s at most).
wait_http() {
    local _
    for _ in $(seq 40); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1")" = 200 ] && return 0
        sleep 0.25
    done
    return 1
}

# What a page is, when it is not the one expected.
page_summary() { grep -o '<title>[^<]*\|class="alert[^"]*"[^>]*>[^<]*' "$1" | head -n 8; }

# pma_login BASE JAR: GET the login page, POST the form as the app user with
# its token and session cookie, follow the redirect; the page lands in
# $TMP/pma-home.html. Fails if a step does not answer 200.
pma_login() {
    local base=$1 jar=$2 token session code
    code=$(curl -s --max-time 30 -c "$jar" -b "$jar" -o "$TMP/pma-login.html" -w '%{http_code}' "$base/") || return 1
    [ "$code" = 200 ] || return 1
    token=$(grep -o 'name="token" value="[^"]*"' "$TMP/pma-login.html" | head -n 1 | sed 's/.*value="//; s/"$//')
    session=$(grep -o 'name="set_session" value="[^"]*"' "$TMP/pma-login.html" | head -n 1 | sed 's/.*value="//; s/"$//')
    [ -n "$token" ] || return 1
    code=$(curl -s --max-time 30 -L -c "$jar" -b "$jar" -o "$TMP/pma-home.html" -w '%{http_code}' \
        --data-urlencode route=/ --data-urlencode "token=$token" --data-urlencode "set_session=$session" \
        --data-urlencode pma_username=app --data-urlencode pma_password=secret --data-urlencode server=1 \
        "$base/index.php?route=/") || return 1
    [ "$code" = 200 ]
}

wait_http "$pma_url/"
check "phpmyadmin: GET / answers 200" "$(logs "$pma" | tail -n 20)"
curl -s --max-time 30 "$pma_url/" >"$TMP/pma-index.html"
grep -q 'name="pma_username"' "$TMP/pma-index.html" && grep -q 'name="pma_password"' "$TMP/pma-index.html"
check "phpmyadmin: GET / is the login form (cookie authentication)" "$(head -c 2000 "$TMP/pma-index.html")"
pma_login "$pma_url" "$TMP/jar-direct"
check "phpmyadmin: logging in as the app user answers 200" "$(logs "$pma" | tail -n 20)"
grep -q 'Server version:' "$TMP/pma-home.html" && grep -q 'app@' "$TMP/pma-home.html" &&
    ! grep -q 'name="pma_username"' "$TMP/pma-home.html"
check "phpmyadmin: after login the home page shows the server and user app (no login form)" \
    "$(page_summary "$TMP/pma-home.html")"
code=$(curl -s --max-time 30 -b "$TMP/jar-direct" -c "$TMP/jar-direct" -o "$TMP/pma-dbs.html" -w '%{http_code}' \
    "$pma_url/index.php?route=/server/databases")
grep -q 'data-filter-row="APP"' "$TMP/pma-dbs.html"
check "phpmyadmin: the databases page lists the app database" "HTTP $code: $(page_summary "$TMP/pma-dbs.html")"
dexec "$pma" sh -c 'ls /sessions | grep -q ^sess_' >/dev/null
check "phpmyadmin: sessions are stored in /sessions"

# ---- nginx --------------------------------------------------------------------------

# The stack's use: the default page on 80, and phpMyAdmin behind a sub-path.
mkdir -p "$TMP/ng/etc/nginx/conf.d"
cat >"$TMP/ng/etc/nginx/conf.d/proxy.conf" <<'EOF'
server {
    listen 8080;
    location /phpmyadmin/ {
        proxy_pass http://pma/;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
EOF
create ng nginx "{
  \"Image\": \"$NGINX\",
  \"Labels\": $LABELS,
  \"ExposedPorts\": {\"80/tcp\": {}, \"8080/tcp\": {}},
  \"HostConfig\": {\"NetworkMode\": \"$RUN_ID\", \"PortBindings\": {
    \"80/tcp\": [{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"\"}],
    \"8080/tcp\": [{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"\"}]}}
}" && upload "$ng" "$TMP/ng" && api POST "/containers/$ng/start" >/dev/null
check "nginx: container with an extra conf.d file starts"
ng_url=http://127.0.0.1:$(host_port "$ng" 80)
proxy_url=http://127.0.0.1:$(host_port "$ng" 8080)/phpmyadmin
wait_http "$ng_url/" && curl -s --max-time 10 "$ng_url/" | grep -q '<title>Welcome to nginx!</title>'
check "nginx: serves its default page on port 80" "$(logs "$ng" | tail -n 20)"
out=$(dexec "$ng" nginx -t 2>&1)
check "nginx: nginx -t passes" "$out"
logs "$ng" | grep -q '"GET / HTTP/1.1" 200'
check "nginx: the access log goes to the container's output"
# An empty directory mounted over /var/log/nginx (a bind mount in a compose
# file; tmpfs here, which needs no path on the engine's host) gets real files.
create nglogs nginx-logs "{
  \"Image\": \"$NGINX\",
  \"Labels\": $LABELS,
  \"HostConfig\": {\"Tmpfs\": {\"/var/log/nginx\": \"\"}}
}" && api POST "/containers/$nglogs/start" >/dev/null &&
    for _ in $(seq 40); do dexec "$nglogs" nginx -t >/dev/null 2>&1 && break; sleep 0.25; done
# shellcheck disable=SC2016  # expanded in the container
out=$(dexec "$nglogs" bash -c 'exec 3<>/dev/tcp/127.0.0.1/80 && printf "GET /logtest HTTP/1.0\r\n\r\n" >&3 && cat <&3 >/dev/null;
    sleep 0.2; test -f /var/log/nginx/access.log && ! test -L /var/log/nginx/access.log && cat /var/log/nginx/access.log' 2>&1)
[[ $out == *'"GET /logtest HTTP/1.0" 404'* ]]
check "nginx: with a directory mounted over /var/log/nginx it writes access.log there" "$out"

pma_login "$proxy_url" "$TMP/jar-proxy" && grep -q 'Server version:' "$TMP/pma-home.html"
check "phpmyadmin: login works behind nginx at /phpmyadmin/ (PMA_ABSOLUTE_URI)" "$(logs "$ng" | tail -n 10)"
grep -q 'path=/phpmyadmin/' "$TMP/jar-proxy" 2>/dev/null || grep -q $'\t/phpmyadmin/\t' "$TMP/jar-proxy"
check "phpmyadmin: behind the proxy its cookies are scoped to /phpmyadmin/" "$(cat "$TMP/jar-proxy")"

# ---- python -----------------------------------------------------------------------------

create py python "{\"Image\": \"$PYTHON\", \"Cmd\": [\"sleep\", \"600\"], \"Labels\": $LABELS,
  \"HostConfig\": {\"NetworkMode\": \"$RUN_ID\"}}" &&
    api POST "/containers/$py/start" >/dev/null
check "python: container starts"
out=$(dexec "$py" python3 -c 'import fastapi, uvicorn, sqlalchemy, alembic, pymysql, aiomysql' 2>&1)
check "python: fastapi, uvicorn, sqlalchemy, alembic, pymysql, aiomysql import" "$out"
out=$(dexec "$py" uvicorn --version 2>&1)
check "python: uvicorn --version works ($out)" "$out"
out=$(dexec "$py" cc --version 2>&1)
check "python: cc --version works" "$out"
out=$(dexec "$py" pkg-config --exists --print-errors libcurl libcjson yaml-0.1 mysqlclient libpq 2>&1)
check "python: pkg-config finds libcurl libcjson yaml-0.1 mysqlclient libpq" "$out"
# The dev container's use: the app reaches the database by its service name.
out=$(dexec "$py" python3 -c '
import pymysql
c = pymysql.connect(host="db", user="app", password="secret", database="app")
with c.cursor() as cur:
    cur.execute("SELECT name FROM t")
    print(cur.fetchone()[0])' 2>&1)
[ "$out" = one ]; check "python: PyMySQL reads the mariadb container's table (host db)" "got: $out"

finish
