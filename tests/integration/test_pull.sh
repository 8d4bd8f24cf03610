#!/usr/bin/env bash
# `devstack pull` (and the pulls of `up`) against the real engine. No public
# registry is reachable here: pulls from one fail, which is what the first
# part tests (the reason, the hint, what is skipped). Pulls that work come
# from a stand-in registry on 127.0.0.1 (tests/fixtures/pull/registry.py),
# open and with basic auth. Every project is named dspull<pid>-<x>; the EXIT
# trap removes what `up` created and the images pulled.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
{ test_rootfs_ensure && test_image_ensure "$SOCK"; } || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dspull$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_pull.XXXXXX")
MISSING=devstack-test/never-published-$$:1.0

has() { [[ $out == *"$1"* ]]; }
lines_with() { printf '%s\n' "$out" | grep -cF -- "$1"; }

REG_PID= OPEN= PRIV=
cleanup() {
    [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null
    remove_projects "$RUN"
    for port in $OPEN $PRIV; do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/127.0.0.1:$port/test/busybox:1.0?force=1" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

project() { # name yaml: write a project directory named <run>-<name>
    mkdir -p "$TMP/$RUN-$1"
    printf '%s\n' "$2" >"$TMP/$RUN-$1/compose.yaml"
    echo "$TMP/$RUN-$1"
}

# no credentials of the user's: an empty config directory
export DOCKER_CONFIG=$TMP/docker-config
mkdir -p "$DOCKER_CONFIG"

# ---- an image no registry can give
A=$(project a "
services:
  app:
    image: $MISSING
")
ds "$A" pull --progress plain
check "an image that cannot be fetched: exit 1" '[ $rc -eq 1 ]'
check "the error names the image and the service" \
    "has \"error: cannot pull '$MISSING' for service 'app': \""
check "... and the reason the engine gave (no registry answers here)" \
    'has "registry unreachable: " || has "image not found: " || has "not authorized: "'
if has "registry unreachable"; then
    check "no registry reachable: the hint names the stand-in images and --pull never" \
        'has "hint: " && has "scripts/standin-images.sh" && has "devstack/mariadb:10.11" && has "--pull never" && has "pull_policy: never"'
else
    ok "# a registry answered on this machine: the stand-in hint does not apply"
fi
check "plain output: one line when the pull starts, one when it ends" \
    '[ "$(lines_with " $MISSING  Pulling")" -eq 1 ] && [ "$(lines_with " $MISSING  Error: ")" -eq 1 ]'

ds "$A" pull --ignore-pull-failures --progress plain
check "--ignore-pull-failures: exit 0 with a warning naming the image" \
    "[ \$rc -eq 0 ] && has \"warning: cannot pull '$MISSING' for service 'app'\" && ! has 'error:'"

ds "$A" pull -q
check "-q: exit 1 and nothing but the error" \
    "[ \$rc -eq 1 ] && [[ \$out == 'error: cannot pull '* ]] && ! has 'Pulling' && [ \$(printf '%s\n' \"\$out\" | grep -cvE '^(error|hint): ') -eq 0 ]"

ds "$A" pull -q --ignore-pull-failures
check "-q --ignore-pull-failures: exit 0 and silent" '[ $rc -eq 0 ] && [ -z "$out" ]'

# ---- what pull leaves alone
B=$(project b "
services:
  api:
    build: ./ctx
  web:
    image: $RUN-web:1
    build: ./ctx
  pinned:
    image: $MISSING
    pull_policy: never
  present:
    image: $IMAGE
    pull_policy: missing
")
mkdir -p "$B/ctx"
printf 'FROM %s\n' "$IMAGE" >"$B/ctx/Dockerfile"
ds "$B" pull api
check "a build-only service is skipped, without an error" \
    '[ $rc -eq 0 ] && has " api  Skipped: no image to pull" && ! has "error"'
ds "$B" pull --progress plain
check "pull_policy never and missing (with the image present) are skipped" \
    'has " pinned" && has "Skipped: pull_policy is never" && has "Skipped: the image is present and pull_policy is missing"'
check "a service that builds its image: a failed pull is only a warning" \
    "[ \$rc -eq 0 ] && has \"warning: cannot pull '$RUN-web:1' for service 'web'\" && has \" $RUN-web:1  Warning: \""
ds "$B" pull nosuch
check "an unknown service is an error" "[ \$rc -eq 1 ] && has \"no such service: 'nosuch'\""
ds "$B" pull --progress bogus
check "an unknown progress mode is a usage error" '[ $rc -eq 2 ]'

# ---- credentials
printf '{"auths":{"https://index.docker.io/v1/":{}},"credsStore":"desktop"}\n' >"$DOCKER_CONFIG/config.json"
ds "$A" pull --progress plain
check "a credsStore whose helper is not installed: an error naming it" \
    "[ \$rc -eq 1 ] && has \"cannot find the credential helper 'docker-credential-desktop' for 'docker.io'\""
printf '{"auths":{"https://index.docker.io/v1/":{"auth":"%s"}}}\n' "$(printf 'tester:VerySecret123' | base64)" >"$DOCKER_CONFIG/config.json"
ds "$A" pull --progress plain
check "with credentials: the pull is made, and no secret is shown" \
    "[ \$rc -eq 1 ] && has \"cannot pull '$MISSING'\" && ! has VerySecret123 && ! has dGVzdGVy"
printf '{"auths": {' >"$DOCKER_CONFIG/config.json"
ds "$A" pull --progress plain
check "a config.json that is not JSON: the error names the file" \
    "[ \$rc -eq 1 ] && has \"$DOCKER_CONFIG/config.json\" && has 'not valid JSON'"
rm -f "$DOCKER_CONFIG/config.json"

# ---- on a terminal
if command -v script >/dev/null; then
    out=$(cd "$A" && script -qec "$DEVSTACK pull" /dev/null 2>&1 </dev/null)
    check "on a terminal: the image's line is rewritten in place and ends in Error" \
        '[[ $out == *$'"'"'\033['"'"'*A* && $out == *$'"'"'\033[2K'"'"'* && $out == *"$MISSING  "*"Error: "* && $out == *$'"'"'\033[31m'"'"'* ]]'
    out=$(cd "$A" && NO_COLOR=1 script -qec "$DEVSTACK pull" /dev/null 2>&1 </dev/null)
    check "NO_COLOR: no colors on a terminal" '[[ $out != *$'"'"'\033[3'"'"'* && $out == *"Error: "* ]]'
fi

# ---- pulls that work, from a stand-in registry on 127.0.0.1 (tests/fixtures/pull/registry.py)
python3 "$ROOT/tests/fixtures/pull/registry.py" "$TEST_ROOTFS" \
    "$TMP/ports" 2>"$TMP/registry.log" &
REG_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/ports" ] && break; sleep 0.1; done
read -r OPEN PRIV <"$TMP/ports"
R=$(project r "
services:
  open:
    image: 127.0.0.1:$OPEN/test/busybox:1.0
  private:
    image: 127.0.0.1:$PRIV/test/busybox:1.0
    command: [sleep, '600']
    init: true
")
ds "$R" pull --progress plain open
if [ $rc -ne 0 ] && has "connection refused"; then
    echo "skip - the engine does not share this host's 127.0.0.1 (rootless or remote): no registry tests"
else
    check "a pull from a registry: exit 0 and Pulled" \
        "[ \$rc -eq 0 ] && has ' 127.0.0.1:$OPEN/test/busybox:1.0  Pulled' && api '/images/127.0.0.1:$OPEN/test/busybox:1.0/json' >/dev/null"
    ds "$R" pull --progress plain open
    check "the same pull again: Up to date" "[ \$rc -eq 0 ] && has ' 127.0.0.1:$OPEN/test/busybox:1.0  Up to date'"
    ds "$R" pull --progress plain private
    check "a registry that wants credentials, none given: not authorized, with the login hint" \
        '[ $rc -eq 1 ] && has "not authorized: " && has "docker login"'
    printf '{"auths":{"http://127.0.0.1:%s":{"auth":"%s"}}}\n' "$PRIV" "$(printf 'tester:VerySecret123' | base64)" \
        >"$DOCKER_CONFIG/config.json"
    ds "$R" pull --progress plain private
    check "the credentials from config.json's auths are sent: Pulled, and no secret is shown" \
        "[ \$rc -eq 0 ] && has ' 127.0.0.1:$PRIV/test/busybox:1.0  Pulled' && ! has VerySecret123 && ! has dGVzdGVy"
    printf '{"auths":{"http://127.0.0.1:%s":{}},"credHelpers":{"127.0.0.1:%s":"secretservice"}}\n' "$PRIV" "$PRIV" \
        >"$DOCKER_CONFIG/config.json"
    ds "$R" pull --progress plain private
    check "a credential helper for the registry that is not installed: an error naming it" \
        '[ $rc -eq 1 ] && has "cannot find the credential helper '"'"'docker-credential-secretservice'"'"'"'
    printf '{"auths":{"127.0.0.1:%s":{"username":"tester","password":"VerySecret123"}}}\n' "$PRIV" \
        >"$DOCKER_CONFIG/config.json"
    curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/127.0.0.1:$PRIV/test/busybox:1.0" >/dev/null
    ds "$R" up -d --progress plain private
    check "up pulls a missing image with the registry's credentials, and starts it" \
        "[ \$rc -eq 0 ] && has ' Image 127.0.0.1:$PRIV/test/busybox:1.0  Pulled' && [ \"\$(api /containers/$RUN-r-private-1/json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"State\"][\"Status\"])')\" = running ] && ! has VerySecret123"
    ds "$R" down -t 0 --progress plain
    rm -f "$DOCKER_CONFIG/config.json"
fi

# ---- up and the pull policy
U=$(project u "
services:
  app:
    image: $IMAGE
    command: [sleep, '600']
    init: true
")
ds "$U" up -d --pull never --progress plain
check "up --pull never with the image present starts it" \
    '[ $rc -eq 0 ] && [ "$(api "/containers/$RUN-u-app-1/json" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"State\"][\"Status\"])")" = running ]'
ds "$U" down -t 0 --progress plain
ds "$A" up -d --pull never --progress plain
check "up --pull never without the image fails clearly" \
    "[ \$rc -eq 1 ] && has \"image '$MISSING' is not in the engine, and the pull policy is never\""
ds "$A" up -d --progress plain
check "up pulls a missing image and fails naming the service, the image and the reason" \
    "[ \$rc -eq 1 ] && has \" Image $MISSING  Pulling\" && has \"error: service 'app': cannot pull '$MISSING': \""
if has "registry unreachable"; then
    check "... with the stand-in hint" 'has "hint: " && has "scripts/standin-images.sh"'
fi
check "... and creates no container" \
    '! api "/containers/$RUN-a-app-1/json" >/dev/null 2>&1'

tap_done
