#!/usr/bin/env bash
# The dev container's labels: a project whose .devcontainer/devcontainer.json
# (JSON with comments) names one of its compose files and a service gets,
# on that service's container, the labels the devcontainers CLI finds a dev
# container by (devcontainer.local_folder, devcontainer.config_file), so that
# `devcontainer exec --workspace-folder .` runs in what `devstack up` made.
# Projects are named tmisc-dc<pid>-<x>; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=tmisc-dc$$
# the CLI compares the labels with the absolute path it resolves: no symlink in it
TMP=$(cd "$(mktemp -d "${TMPDIR:-/tmp}/test_devcontainer.XXXXXX")" && pwd -P)

has() { [[ $out == *"$1"* ]]; }
label() { api "/containers/$1/json" | python3 -c "import json,sys; print((json.load(sys.stdin)['Config']['Labels'] or {}).get('$2', '-'))"; }
cid() { api "/containers/$1/json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])'; }

cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

P=$TMP/$RUN-a
mkdir -p "$P/.devcontainer" "$P/compose"
cat >"$P/compose/compose.yaml" <<YAML
name: $RUN-a
services:
  app:
    image: $IMAGE
    command: [sleep, '600']
    init: true
  side:
    image: $IMAGE
    command: [sleep, '600']
    init: true
YAML

# ---- without a devcontainer.json: no labels
ds "$P" up -d
check "without a devcontainer.json: up succeeds" '[ $rc -eq 0 ]'
check "... and no container carries the dev container labels" \
    "[ \"\$(label $RUN-a-app-1 devcontainer.local_folder)\" = - ] && [ \"\$(label $RUN-a-side-1 devcontainer.config_file)\" = - ]"
BEFORE_SIDE=$(cid "$RUN-a-side-1")

# ---- the devcontainer.json appears
cat >"$P/.devcontainer/devcontainer.json" <<'JSONC'
// The app service as a dev container.
{
  "name": "app /* not a comment */",
  /* relative to this folder, as the devcontainers CLI reads it */
  "dockerComposeFile": [
    "../compose/compose.yaml",
  ],
  "service": "app", // the one to attach to
  "workspaceFolder": "/",
}
JSONC
ds "$P" up -d
check "a devcontainer.json naming the service: up recreates that service's container" \
    "[ \$rc -eq 0 ] && has 'Recreating: configuration changed' && [ \"\$(cid $RUN-a-side-1)\" = $BEFORE_SIDE ]"
check "... which carries devcontainer.local_folder, the workspace folder" \
    "[ \"\$(label $RUN-a-app-1 devcontainer.local_folder)\" = '$P' ]"
check "... and devcontainer.config_file, the devcontainer.json" \
    "[ \"\$(label $RUN-a-app-1 devcontainer.config_file)\" = '$P/.devcontainer/devcontainer.json' ]"
check "... the other service's container does not" \
    "[ \"\$(label $RUN-a-side-1 devcontainer.local_folder)\" = - ]"
APP=$(cid "$RUN-a-app-1")
ds "$P" up -d
check "up again: nothing is recreated" "[ \$rc -eq 0 ] && ! has Recreating && [ \"\$(cid $RUN-a-app-1)\" = $APP ]"

# ---- the devcontainers CLI finds it
if ! command -v devcontainer >/dev/null; then
    not_ok "the devcontainers CLI is installed (scripts/setup.sh installs it)" "devcontainer: not found"
else
    out=$(cd "$P" && timeout 120 devcontainer exec --workspace-folder . echo ok 2>"$TMP/dc.err")
    rc=$?
    check "devcontainer exec --workspace-folder . runs in devstack's container" \
        '[ $rc -eq 0 ] && [ "$(printf "%s" "$out" | tail -n 1)" = ok ]'
    out=$(cd "$P" && timeout 120 devcontainer exec --workspace-folder . cat /etc/hostname 2>>"$TMP/dc.err")
    check "... the container of the app service" "[ \"\$out\" = \"\$(api /containers/$RUN-a-app-1/json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"Config\"][\"Hostname\"])')\" ]"
fi

# ---- a devcontainer.json that cannot be parsed: a warning, up goes on
printf '{\n  "dockerComposeFile": "../compose/compose.yaml",\n  /* never closed\n' \
    >"$P/.devcontainer/devcontainer.json"
ds "$P" up -d
check "a devcontainer.json that cannot be parsed: a warning naming it and the line, up succeeds" \
    "[ \$rc -eq 0 ] && has \"warning: cannot parse '$P/.devcontainer/devcontainer.json': line 3: a comment that is never closed\""

# ---- .devcontainer.json beside the compose file; another project's is not ours
Q=$TMP/$RUN-b
mkdir -p "$Q"
printf 'name: %s\nservices:\n  web:\n    image: %s\n    command: [sleep, "600"]\n    init: true\n' "$RUN-b" "$IMAGE" >"$Q/compose.yaml"
printf '{"dockerComposeFile": "compose.yaml", "service": "web"}\n' >"$Q/.devcontainer.json"
ds "$Q" up -d
check ".devcontainer.json in the workspace folder: its labels" \
    "[ \$rc -eq 0 ] && [ \"\$(label $RUN-b-web-1 devcontainer.local_folder)\" = '$Q' ] && [ \"\$(label $RUN-b-web-1 devcontainer.config_file)\" = '$Q/.devcontainer.json' ]"
printf '{"dockerComposeFile": "other.yaml", "service": "web"}\n' >"$Q/.devcontainer.json"
ds "$Q" up -d
check "a devcontainer.json naming another compose file: no labels" \
    "[ \$rc -eq 0 ] && [ \"\$(label $RUN-b-web-1 devcontainer.local_folder)\" = - ]"

tap_done
