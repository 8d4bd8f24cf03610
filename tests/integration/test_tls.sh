#!/bin/bash
# TLS to the engine, for real: a private dockerd (its own data root, exec root
# and socket, in a network namespace of its own, as test_clear_all.sh runs
# one) that serves the API with --tlsverify on tcp://127.0.0.1:PORT, with a
# CA, a server certificate for IP 127.0.0.1 and a client certificate that the
# test makes with openssl. devstack runs in the same namespace. Checked:
# DOCKER_TLS_VERIFY with DOCKER_CERT_PATH works and warns of nothing; a wrong
# CA fails naming the certificate problem; a context with SkipTLSVerify and
# DOCKER_TLS=1 keep TLS without verifying, with one warning; plain HTTP
# against the TLS port fails saying so; a plain tcp:// endpoint (the socket,
# forwarded) works and warns once, not once per request.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"
# shellcheck source=tests/lib/test_image.sh
. "$ROOT/tests/lib/test_image.sh"

if [ -z "${DEVSTACK_TLS_TEST_NETNS:-}" ]; then
    [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null && command -v openssl >/dev/null &&
        command -v ip >/dev/null && command -v socat >/dev/null && unshare --net true 2>/dev/null ||
        tap_cannot_run "root, dockerd, openssl, ip, socat and network namespaces, for a TLS engine of the test's own"
    # everything below runs in a network namespace of its own: its 127.0.0.1
    # is the private engine's, and the machine's network is never touched
    exec unshare --net env DEVSTACK_TLS_TEST_NETNS=1 bash "${BASH_SOURCE[0]}" "$@"
fi
ip link set lo up

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_tls.XXXXXX")
PORT=23760
PLAIN_PORT=23750
PRIV=$TMP/d.sock
FWD_PID=

cleanup() {
    [ -n "$FWD_PID" ] && kill "$FWD_PID" 2>/dev/null
    if [ -f "$TMP/d.pid" ]; then
        kill "$(cat "$TMP/d.pid")" 2>/dev/null
        for _ in $(seq 100); do [ -e "$TMP/d.pid" ] || break; sleep 0.1; done
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- certificates: a CA, the server's for IP 127.0.0.1, a client's; and a CA that signed neither
certs() {
    local d=$TMP/pki
    mkdir -p "$d" "$TMP/good" "$TMP/wrong"
    (
        cd "$d" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=devstack-test-ca \
            -keyout ca-key.pem -out ca.pem &&
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=devstack-other-ca \
                -keyout other-key.pem -out other.pem &&
            openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr &&
            printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
                -extfile server.ext -out server.pem &&
            openssl req -newkey rsa:2048 -nodes -subj /CN=devstack-client -keyout key.pem -out client.csr &&
            printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
                -extfile client.ext -out cert.pem
    ) >"$TMP/openssl.log" 2>&1 || return 1
    cp "$d/ca.pem" "$d/cert.pem" "$d/key.pem" "$TMP/good/"
    # the right client certificate, but a CA that did not sign the server's
    cp "$d/other.pem" "$TMP/wrong/ca.pem"
    cp "$d/cert.pem" "$d/key.pem" "$TMP/wrong/"
}
certs || tap_bail "openssl makes a CA, a server and a client certificate: $(tail -3 "$TMP/openssl.log")"

# never --bridge none on the machine's network: here the namespace is the test's own
dockerd --data-root "$TMP/root" --exec-root "$TMP/exec" --pidfile "$TMP/d.pid" \
    --iptables=false --ip-masq=false \
    --tlsverify --tlscacert "$TMP/pki/ca.pem" --tlscert "$TMP/pki/server.pem" --tlskey "$TMP/pki/server-key.pem" \
    -H "unix://$PRIV" -H "tcp://127.0.0.1:$PORT" >"$TMP/dockerd.log" 2>&1 &
for _ in $(seq 200); do
    curl -fsS --unix-socket "$PRIV" http://localhost/_ping >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS --unix-socket "$PRIV" http://localhost/_ping >/dev/null 2>&1 ||
    tap_bail "a private dockerd with --tlsverify starts: $(tail -5 "$TMP/dockerd.log")"
curl -fsS --cacert "$TMP/good/ca.pem" --cert "$TMP/good/cert.pem" --key "$TMP/good/key.pem" \
    "https://127.0.0.1:$PORT/_ping" >/dev/null 2>&1 ||
    tap_bail "the private dockerd answers TLS on 127.0.0.1:$PORT: $(tail -5 "$TMP/dockerd.log")"

# a project for `ps`, which makes several requests
mkdir -p "$TMP/proj"
printf 'name: dssectls\nservices:\n  app:\n    image: %s\n    command: [sleep, "600"]\n' "$TEST_IMAGE" >"$TMP/proj/compose.yaml"

# d ENV... -- ARGS: devstack with exactly this engine environment; out, err, rc
d() {
    local -a envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    out=$(cd "$TMP/proj" && env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_TLS -u DOCKER_TLS_VERIFY \
        -u DOCKER_CERT_PATH HOME="$TMP/home" DOCKER_CONFIG="$TMP/cfg" "${envs[@]}" \
        timeout 60 "$DEVSTACK" "$@" </dev/null 2>"$TMP/err")
    rc=$?
    err=$(cat "$TMP/err")
}
count() { grep -c -- "$1" <<<"$err"; }
TCP=tcp://127.0.0.1:$PORT

d DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/good" -- version
check "DOCKER_TLS_VERIFY=1 with DOCKER_CERT_PATH: devstack version talks to the engine over verified TLS" \
    '[ $rc -eq 0 ] && [[ $out == *"server:"* || $out == *"engine:"* || $out == *"API"* ]] && [[ $out == *"verified"* ]] && [[ $out != *"not verified"* ]]'
check "... and warns of nothing" '[ -z "$err" ]'
d DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/good" -- ps -a
check "... ps (several requests) works over it too" '[ $rc -eq 0 ] && [ -z "$err" ]'

# containers over TLS: create and start (JSON calls), exec (the hijacked connection), logs (a stream)
test_image_ensure "$PRIV" >/dev/null || tap_bail "the test image $TEST_IMAGE is in the private engine: $TEST_IMAGE_ERROR"
d DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/good" -- up -d --progress plain
check "up -d over verified TLS starts a service" '[ $rc -eq 0 ]'
# (no stdin: through TLS libcurl cannot half-close, so the command would never see EOF)
d DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/good" -- exec -T app sh -c 'echo over; echo tls >&2; exit 3'
check "exec over TLS (the hijacked connection): stdout, stderr apart, the exit code" \
    '[ $rc -eq 3 ] && [ "$out" = over ] && [ "$err" = tls ]'
head -c 3000000 /dev/zero | tr '\0' x >"$TMP/stdin"
out=$(cd "$TMP/proj" && DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/good" \
    timeout 60 "$DEVSTACK" exec -T app sh -c 'wc -c; echo end' <"$TMP/stdin" 2>&1)
rc=$?
check "exec over TLS with stdin: 3 MB in, EOF reaches the command, its output comes back" \
    '[ $rc -eq 0 ] && [ "$(echo $out)" = "3000000 end" ]'
d DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/good" -- down -t 0
check "down over TLS removes it" '[ $rc -eq 0 ]'

d DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/wrong" -- version
check "a CA that did not sign the engine's certificate: exit 1, the TLS library's reason and what to check" \
    '[ $rc -eq 1 ] && [[ $err == *"$TCP"*"TLS"*"certificate"* ]] && [[ $err == *"not signed by the CA in '"'"'$TMP/wrong/ca.pem'"'"'"* ]]'

d DOCKER_HOST=tcp://localhost:$PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/good" -- version
check "a certificate for 127.0.0.1 reached as 'localhost': exit 1, the name mismatch named" \
    '[ $rc -eq 1 ] && [[ $err == *"TLS"*"localhost"* ]] && [[ $err == *"does not name this host"* ]]'

mkdir -p "$TMP/cacert-only" && cp "$TMP/good/ca.pem" "$TMP/cacert-only/"
d DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/cacert-only" -- version
check "no client certificate for an engine that requires one: exit 1, a TLS error that says none was sent" \
    '[ $rc -eq 1 ] && [[ $err == *"$TCP"*"TLS"* ]] && [[ $err == *"client certificate (none sent)"* ]]'

mkdir -p "$TMP/noca" && cp "$TMP/good/cert.pem" "$TMP/good/key.pem" "$TMP/noca/"
d DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TMP/noca" -- version
check "DOCKER_TLS_VERIFY with no ca.pem: exit 1 naming the missing file, nothing sent" \
    '[ $rc -eq 1 ] && [[ $err == *"no CA certificate '"'"'$TMP/noca/ca.pem'"'"'"* ]]'

d DOCKER_HOST=$TCP DOCKER_TLS=1 DOCKER_CERT_PATH="$TMP/wrong" -- ps -a
check "DOCKER_TLS=1: TLS without verifying (the wrong CA does not matter), the client certificate still sent" \
    '[ $rc -eq 0 ]'
check "... with one warning that the certificate is not verified" \
    '[ "$(count "without verifying its certificate (DOCKER_TLS is set")" -eq 1 ] && [ "$(grep -c . <<<"$err")" -eq 1 ]'

# a context as `docker context create` stores it: meta.json and its TLS files, by sha256(name)
ctx=dssec-skip
id=$(printf %s "$ctx" | sha256sum | cut -c1-64)
mkdir -p "$TMP/cfg/contexts/meta/$id" "$TMP/cfg/contexts/tls/$id/docker"
printf '{"Name":"%s","Metadata":{},"Endpoints":{"docker":{"Host":"%s","SkipTLSVerify":true}}}' \
    "$ctx" "$TCP" >"$TMP/cfg/contexts/meta/$id/meta.json"
cp "$TMP/wrong/ca.pem" "$TMP/wrong/cert.pem" "$TMP/wrong/key.pem" "$TMP/cfg/contexts/tls/$id/docker/"
d DOCKER_CONTEXT=$ctx -- version
check "a context with SkipTLSVerify and TLS files: TLS kept (not plain http), not verified" \
    '[ $rc -eq 0 ] && [[ $out == *"docker context '"'"'$ctx'"'"' (DOCKER_CONTEXT) (TLS, not verified)"* ]]'
check "... with one warning naming the context" \
    '[ "$(count "without verifying its certificate (docker context '"'"'$ctx'"'"' has SkipTLSVerify)")" -eq 1 ]'

ctx2=dssec-verify
id2=$(printf %s "$ctx2" | sha256sum | cut -c1-64)
mkdir -p "$TMP/cfg/contexts/meta/$id2" "$TMP/cfg/contexts/tls/$id2/docker"
printf '{"Name":"%s","Metadata":{},"Endpoints":{"docker":{"Host":"%s","SkipTLSVerify":false}}}' \
    "$ctx2" "$TCP" >"$TMP/cfg/contexts/meta/$id2/meta.json"
cp "$TMP/good/ca.pem" "$TMP/good/cert.pem" "$TMP/good/key.pem" "$TMP/cfg/contexts/tls/$id2/docker/"
d DOCKER_CONTEXT=$ctx2 -- ps -a
check "a context with TLS files (currentContext-style, verified): works, no warning" '[ $rc -eq 0 ] && [ -z "$err" ]'
cp "$TMP/wrong/ca.pem" "$TMP/cfg/contexts/tls/$id2/docker/ca.pem"
d DOCKER_CONTEXT=$ctx2 -- version
check "... the same context with a wrong ca.pem: exit 1 on the certificate" \
    '[ $rc -eq 1 ] && [[ $err == *"TLS"*"certificate"* ]]'

d DOCKER_HOST=$TCP -- version
check "plain HTTP against the TLS port: exit 1, saying the engine speaks TLS and how to turn it on" \
    '[ $rc -eq 1 ] && [[ $err == *"it speaks TLS (https) and devstack connected without TLS"* ]] && [[ $err == *"DOCKER_TLS_VERIFY=1"* ]]'

# a plain tcp:// engine: the private socket, forwarded to a TCP port
socat "TCP-LISTEN:$PLAIN_PORT,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$PRIV" 2>/dev/null &
FWD_PID=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PLAIN_PORT/_ping" >/dev/null 2>&1 && break; sleep 0.1; done
if curl -fsS "http://127.0.0.1:$PLAIN_PORT/_ping" >/dev/null 2>&1; then
    d DOCKER_HOST=tcp://127.0.0.1:$PLAIN_PORT -- ps -a
    check "a plain tcp:// engine works, with one warning (not one per request) that it is not encrypted" \
        '[ $rc -eq 0 ] && [ "$(count "is not encrypted")" -eq 1 ] && [[ $err == *"tcp://127.0.0.1:$PLAIN_PORT"* ]]'
else
    not_ok "a plain tcp:// forwarder to the private engine (socat) starts" "socat: $(command -v socat || echo missing)"
fi

tap_done
