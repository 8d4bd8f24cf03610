#!/usr/bin/env bash
# The devstack command line: global options, the command table, usage errors,
# `version` and `doctor` against the real engine and against broken endpoints.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_CONFIG

. "$ROOT/tests/lib/tap.sh"
# run [VAR=VALUE...] -- ARGS...: sets rc, out, err
run() {
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    out=$(env "${envs[@]}" "$DEVSTACK" "$@" </dev/null 2>"$TMP/err")
    rc=$?
    err=$(<"$TMP/err")
}

run -- --version
check "--version prints the version" '[ $rc -eq 0 ] && [ "$out" = "devstack version $(cat "$ROOT/VERSION")" ]'

run --
check "no command: usage on stderr, exit 2" '[ $rc -eq 2 ] && [[ $err == *"usage: devstack"* ]]'

run -- -h
check "-h lists every command" \
    '[ $rc -eq 0 ] && [[ $out == *"doctor "* && $out == *"help "* && $out == *"version "* ]]'
check "-h lists the global options" \
    '[[ $out == *"-f, --file FILE"* && $out == *"-p, --project-name NAME"* && $out == *"--env-file FILE"* && $out == *"--project-directory DIR"* && $out == *"--profile PROFILE"* ]]'

run -- bogus
check "unknown command: exit 2, named" '[ $rc -eq 2 ] && [[ $err == *"unknown command '"'"'bogus'"'"'"* ]]'

run -- --bogus version
check "unknown global option: exit 2" '[ $rc -eq 2 ] && [[ $err == *"unknown option '"'"'--bogus'"'"'"* ]]'

run -- -f
check "global option without its value: exit 2" '[ $rc -eq 2 ] && [[ $err == *"needs a value"* ]]'

run -- -f a.yml -f b.yml -p demo --env-file x.env --profile dev --project-directory . version --short
check "global options before the command are accepted" '[ $rc -eq 0 ] && [ -n "$out" ]'

run -- version --bogus
check "unknown command option: exit 2 with the command's usage" \
    '[ $rc -eq 2 ] && [[ $err == *"usage: devstack version"* && $err == *"devstack help version"* ]]'

run -- version --format yaml
check "bad option value: exit 2" '[ $rc -eq 2 ] && [[ $err == *"unknown format"* ]]'

run -- help version
check "help COMMAND shows the command's options" '[ $rc -eq 0 ] && [[ $out == *"--format FORMAT"* ]]'

run -- version --help
check "COMMAND --help is the same" '[ $rc -eq 0 ] && [[ $out == *"--format FORMAT"* ]]'

run -- help nope
check "help for an unknown command: exit 2" '[ $rc -eq 2 ] && [[ $err == *"unknown command"* ]]'

run -- help
check "help alone lists the commands" '[ $rc -eq 0 ] && [[ $out == *"Commands:"* ]]'

# ---- version against the real engine
run -- version
check "version: exit 0" '[ $rc -eq 0 ]'
check "version names the endpoint and why" \
    '[[ $out == *"endpoint:     unix:///var/run/docker.sock (the default socket)"* ]]'
api=$(sed -n 's/^api version:  \([0-9.]*\).*/\1/p' <<<"$out")
check "version shows a negotiated API version of 1.41 or newer" \
    '[ -n "$api" ] && [ "${api%%.*}" -eq 1 ] && [ "${api#*.}" -ge 41 ]'
check "version shows the engine's version" '[[ $out == *"engine:       "*"linux/"* ]]'

run -- version --format json
check "version --format json is JSON with the negotiated version" \
    '[ $rc -eq 0 ] && python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"NegotiatedAPIVersion\"] == \"$api\"; assert d[\"Client\"][\"Endpoint\"]" <<<"$out"'

run DOCKER_HOST=unix:///var/run/docker.sock -- version
check "DOCKER_HOST is the reason when set" '[ $rc -eq 0 ] && [[ $out == *"(DOCKER_HOST)"* ]]'

# ---- broken endpoints
run DOCKER_HOST=unix:///nonexistent/devstack.sock -- version
check "missing socket: exit 1, the path, what to do" \
    '[ $rc -eq 1 ] && [[ $err == *"unix:///nonexistent/devstack.sock"*"no such socket"* && $err == *"hint:"*"DOCKER_HOST"* ]]'

run DOCKER_HOST=tcp://127.0.0.1:1 -- version
check "refused tcp: exit 1, connection refused" '[ $rc -eq 1 ] && [[ $err == *"tcp://127.0.0.1:1"*"connection refused"* ]]'

run DOCKER_HOST=ssh://user@nohost.invalid -- version
check "ssh:// to a host that does not resolve: exit 1, ssh's message, the command to try" \
    '[ $rc -eq 1 ] && [[ $err == *"ssh exited with status 255"*"nohost.invalid"* && $err == *"hint: devstack runs '"'"'ssh "*"-l user -- nohost.invalid docker system dial-stdio"* ]]'
run DOCKER_HOST=npipe:////./pipe/docker_engine -- version
check "npipe:// is explained as unsupported" '[ $rc -eq 1 ] && [[ $err == *"not supported"* && $err == *"hint:"* ]]'

run DOCKER_HOST=docker.sock -- version
check "a malformed DOCKER_HOST is named" '[ $rc -eq 1 ] && [[ $err == *"invalid engine address '"'"'docker.sock'"'"'"* ]]'

# ---- contexts
digest=$(printf '%s' devctx | sha256sum | cut -d" " -f1)
mkdir -p "$TMP/home/.docker/contexts/meta/$digest"
printf '{"Name":"devctx","Endpoints":{"docker":{"Host":"unix:///var/run/docker.sock"}}}' \
    >"$TMP/home/.docker/contexts/meta/$digest/meta.json"
printf '{"currentContext":"devctx"}' >"$TMP/home/.docker/config.json"
run HOME="$TMP/home" -- version
check "currentContext in ~/.docker/config.json is followed" \
    '[ $rc -eq 0 ] && [[ $out == *"docker context '"'"'devctx'"'"' (currentContext in config.json)"* ]]'
run HOME="$TMP/home" DOCKER_CONTEXT=missing -- version
check "an unknown DOCKER_CONTEXT is an error naming it" '[ $rc -eq 1 ] && [[ $err == *"docker context '"'"'missing'"'"'"* ]]'
run HOME="$TMP/home" DOCKER_CONTEXT=default -- version
check "DOCKER_CONTEXT=default means the default socket" '[ $rc -eq 0 ] && [[ $out == *"(the default socket)"* ]]'

# ---- permission denied: the socket is root:docker 0660
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$DEVSTACK" version 2>"$TMP/err" </dev/null)
    rc=$?
    err=$(<"$TMP/err")
    check "permission denied on the socket says so and suggests the docker group" \
        '[ $rc -eq 1 ] && [[ $err == *"permission denied"* && $err == *"docker"*"group"* ]]'
    check "an unreadable ~/.docker/config.json is a warning, not the end" \
        '[[ $err == *"warning: cannot read '"'"'/root/.docker/config.json'"'"'"* ]]'
else
    if [ "${CI:-}" = true ]; then not_ok "permission test needs root and setpriv"; else
        n=$((n + 1))
        echo "skip $n - permission denied test (needs root and setpriv)"
    fi
fi

# ---- doctor
run -- doctor
check "doctor: exit 0 on a healthy engine" '[ $rc -eq 0 ]'
check "doctor checks engine, API version, storage driver, free disk, architecture" \
    '[[ $out == *"ok    engine"* && $out == *"API version"* && $out == *"storage driver"* && $out == *"free disk"*"free of"* && $out == *"architecture"* ]]'
run DOCKER_HOST=unix:///nonexistent/devstack.sock -- doctor
check "doctor on a missing engine: exit 1, FAIL and the fix" \
    '[ $rc -eq 1 ] && [[ $out == *"FAIL  engine"* && $out == *"fix: "* ]]'

tap_done
