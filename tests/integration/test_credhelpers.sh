#!/usr/bin/env bash
# Credential helpers (credHelpers, credsStore in config.json) for the pulls of
# `devstack pull`, against the real engine. The helper is a script this test
# writes on PATH: it logs its argv and stdin and answers with JSON. The
# registry is a listener on 127.0.0.1 that answers 401 with a Basic challenge
# and records the Authorization header of every request: what the ENGINE sent,
# from the X-Registry-Auth devstack gave it. Projects are named tmisc-ch<pid>-<x>.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
RUN=tmisc-ch$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_credhelpers.XXXXXX")

has() { [[ $out == *"$1"* ]]; }

REG_PID=
cleanup() {
    [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null
    remove_projects "$RUN"
    [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

export DOCKER_CONFIG=$TMP/docker-config
mkdir -p "$DOCKER_CONFIG" "$TMP/bin"
export PATH=$TMP/bin:$PATH

# ---- the helpers: one with credentials, one with none, one that fails
cat >"$TMP/bin/docker-credential-tmisc" <<HELPER
#!/bin/sh
url=\$(cat)
printf '%s|%s\n' "\$*" "\$url" >>"$TMP/helper.log"
printf '{"ServerURL":"%s","Username":"tmuser","Secret":"TmSecret42"}\n' "\$url"
HELPER
cat >"$TMP/bin/docker-credential-tmisc-none" <<HELPER
#!/bin/sh
url=\$(cat)
printf '%s|%s\n' "\$*" "\$url" >>"$TMP/helper.log"
echo "credentials not found in native keychain"
exit 1
HELPER
cat >"$TMP/bin/docker-credential-tmisc-broken" <<HELPER
#!/bin/sh
cat >/dev/null
echo "keychain locked: TmLeak77" >&2
exit 3
HELPER
chmod +x "$TMP/bin"/docker-credential-*

# ---- the registry: 401 with a Basic challenge, every Authorization header logged
cat >"$TMP/registry.py" <<'PY'
import http.server, sys
log, portfile = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.path, self.headers.get("Authorization", "-")))
        body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self.send_response(401)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("WWW-Authenticate", 'Basic realm="tmisc"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_HEAD = do_GET
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write("%d\n" % srv.server_address[1])
srv.serve_forever()
PY
python3 "$TMP/registry.py" "$TMP/requests.log" "$TMP/port" 2>"$TMP/registry.err" &
REG_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || tap_bail "the test registry listens on 127.0.0.1: $(cat "$TMP/registry.err")"
PORT=$(cat "$TMP/port")
REG=127.0.0.1:$PORT

mkdir -p "$TMP/$RUN-p"
printf 'services:\n  app:\n    image: %s/tmisc/app:1.0\n' "$REG" >"$TMP/$RUN-p/compose.yaml"
P=$TMP/$RUN-p
# the Basic credentials the registry saw, decoded; "-" for a request without any
# (Podman answers a Basic challenge of an anonymous pull with an empty user and password,
# ":", where Docker sends nothing: no credentials either way)
seen() { awk '{print $2, $3}' "$TMP/requests.log" 2>/dev/null | while read -r kind cred; do
    if [ "$kind" = Basic ] && [ "$cred" = Og== ]; then echo -
    elif [ "$kind" = Basic ]; then printf '%s\n' "$cred" | base64 -d; echo; else echo "$kind"; fi
done; }
reset_logs() { rm -f "$TMP/requests.log" "$TMP/helper.log"; }

# ---- credHelpers for the registry
printf '{"auths":{"%s":{"auth":"%s"}},"credHelpers":{"%s":"tmisc"}}\n' "$REG" \
    "$(printf 'fromauths:nope' | base64)" "$REG" >"$DOCKER_CONFIG/config.json"
reset_logs
ds "$P" pull --progress plain
if [ ! -s "$TMP/requests.log" ] && has "connection refused"; then
    tap_bail "the engine reaches this host's 127.0.0.1 (rootless or remote engine?): $out"
fi
check "credHelpers: the helper is run with 'get' and the registry host on stdin" \
    "[ \"\$(cat $TMP/helper.log)\" = 'get|$REG' ]"
check "... the engine sends the helper's user and secret to the registry" \
    "seen | grep -x >/dev/null 'tmuser:TmSecret42'"
check "... and not the auths entry, which the helper overrides" "! seen | grep fromauths >/dev/null"
check "... the pull fails as the registry refuses, and no secret is shown" \
    "[ \$rc -eq 1 ] && has 'not authorized' && ! has TmSecret42"

# ---- credsStore for every registry
printf '{"credsStore":"tmisc"}\n' >"$DOCKER_CONFIG/config.json"
reset_logs
ds "$P" pull --progress plain
check "credsStore: the store's helper is asked, and its credentials reach the registry" \
    "[ \"\$(cat $TMP/helper.log)\" = 'get|$REG' ] && seen | grep -x >/dev/null 'tmuser:TmSecret42'"

# ---- a helper that has no credentials: anonymous, as the docker CLI
printf '{"credsStore":"tmisc","credHelpers":{"%s":"tmisc-none"}}\n' "$REG" >"$DOCKER_CONFIG/config.json"
reset_logs
ds "$P" pull --progress plain
check "a helper without credentials: credHelpers wins over credsStore, and it is asked" \
    "[ \"\$(cat $TMP/helper.log)\" = 'get|$REG' ]"
check "... the pull is attempted anonymously: the registry sees no credentials" \
    "[ -s $TMP/requests.log ] && ! seen | grep -vx -- - >/dev/null"
check "... without a warning" "[ \$rc -eq 1 ] && has 'not authorized' && ! has 'warning:'"

# ---- a helper that fails: anonymous, with a warning that shows nothing it printed
printf '{"credHelpers":{"%s":"tmisc-broken"}}\n' "$REG" >"$DOCKER_CONFIG/config.json"
reset_logs
ds "$P" pull --progress plain
check "a helper that fails: a warning naming it, then an anonymous pull" \
    "has \"warning: the credential helper 'docker-credential-tmisc-broken' failed for '$REG' (exit status 3\" && [ -s $TMP/requests.log ] && ! seen | grep -vx -- - >/dev/null"
check "... its output is not shown" "! has TmLeak77"

# ---- a helper that is not installed: a clear error, no pull
printf '{"credHelpers":{"%s":"tmisc-absent"}}\n' "$REG" >"$DOCKER_CONFIG/config.json"
reset_logs
ds "$P" pull --progress plain
check "a helper that is not installed: an error naming the program and config.json, no pull" \
    "[ \$rc -eq 1 ] && has \"cannot find the credential helper 'docker-credential-tmisc-absent' for '$REG' (credHelpers in '$DOCKER_CONFIG/config.json')\" && [ ! -s $TMP/requests.log ]"
check "... with a hint" "has 'hint: ' && has \"install 'docker-credential-tmisc-absent'\""

# ---- up pulls with the same credentials
printf '{"credsStore":"tmisc"}\n' >"$DOCKER_CONFIG/config.json"
reset_logs
ds "$P" up -d --progress plain
check "up: its pull carries the helper's credentials too" \
    "[ \$rc -ne 0 ] && seen | grep -x >/dev/null 'tmuser:TmSecret42' && ! has TmSecret42"

tap_done
