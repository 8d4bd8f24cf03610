#!/usr/bin/env bash
# build.secrets and build.ssh on the real engine, through the BuildKit
# session devstack serves, checked as a user would and against
# `docker compose build` on the same file: RUN --mount=type=secret sees the
# value of a file: secret and of an environment: one under its target name
# (compared by checksum, never printed), also after a RUN step long enough
# for the engine's session health checks; the value is neither in devstack's
# output nor left in the image; RUN --mount=type=ssh reaches the agent of
# SSH_AUTH_SOCK and one named by id=PATH (a real ssh-add -l inside the build
# lists the test key), and a key file, loaded into an ssh-agent devstack
# starts for the build and stops after it; what is missing (a secret file, a variable, the
# agent) and DOCKER_BUILDKIT=0 stop before the build with file:line:col; a
# secret the Dockerfile needs and the file does not give fails the build.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
for tool in ssh-agent ssh-add ssh-keygen ldd sha256sum; do
    command -v "$tool" >/dev/null || tap_cannot_run "$tool is installed (openssh-client)"
done
docker compose version >/dev/null 2>&1 || tap_cannot_run "docker compose (v2) is installed"
RUN=tsession-bs$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_build_session.XXXXXX")
P=$TMP/p
AGENT_PID=

cleanup() {
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null; }
in_image() { docker run --rm "$1" "${@:2}" 2>&1; }
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

mkdir -p "$P/sshadd"
FILE_VALUE="file-secret-$RANDOM$RANDOM$RANDOM"
ENV_VALUE="env-secret-$RANDOM$RANDOM$RANDOM"
printf '%s' "$FILE_VALUE" >"$P/token.txt"
export TSESSION_ENV_SECRET=$ENV_VALUE

# ssh-add and what it links, for a RUN step of the busybox image to run
cp /usr/bin/ssh-add "$P/sshadd/"
for lib in $(ldd /usr/bin/ssh-add | grep -o '/[^ ]*'); do cp -L "$lib" "$P/sshadd/"; done
LOADER=$(basename "$(ldd /usr/bin/ssh-add | grep -o '/[^ ]*ld-linux[^ ]*')")

# The engine checks the session's health every few seconds and drops it after
# two failures: a session that does not answer them is gone before the step
# after `sleep 12` asks for its secret (tried: "no active session").
# BuildKit's cache keys leave secrets out: a first step of this run's own keeps
# what follows from an earlier build's cache (and docker compose builds with --no-cache)
cat >"$P/secrets.Dockerfile" <<DOCKERFILE
FROM $IMAGE
RUN echo $RUN > /run.txt
RUN --mount=type=secret,id=token sha256sum /run/secrets/token | cut -d' ' -f1 > /token.sha
RUN sleep 12
RUN --mount=type=secret,id=renamed sha256sum /run/secrets/renamed | cut -d' ' -f1 > /renamed.sha
DOCKERFILE
cat >"$P/ssh.Dockerfile" <<DOCKERFILE
FROM $IMAGE
RUN echo $RUN > /run.txt
RUN --mount=type=bind,source=sshadd,target=/sshadd --mount=type=ssh \\
    /sshadd/$LOADER --library-path /sshadd /sshadd/ssh-add -l > /default.txt 2>&1; true
RUN --mount=type=bind,source=sshadd,target=/sshadd --mount=type=ssh,id=work \\
    /sshadd/$LOADER --library-path /sshadd /sshadd/ssh-add -l > /work.txt 2>&1; true
DOCKERFILE
cat >"$P/key.Dockerfile" <<DOCKERFILE
FROM $IMAGE
RUN echo $RUN > /run.txt
RUN --mount=type=bind,source=sshadd,target=/sshadd --mount=type=ssh,id=key \\
    /sshadd/$LOADER --library-path /sshadd /sshadd/ssh-add -l > /key.txt 2>&1; true
DOCKERFILE
printf 'FROM %s\nRUN --mount=type=secret,id=other,required=true true\n' "$IMAGE" >"$P/other.Dockerfile"

ssh-keygen -q -t ed25519 -N '' -C "$RUN-key" -f "$TMP/key" || tap_bail "ssh-keygen made a key"
eval "$(ssh-agent -s -a "$TMP/agent.sock")" >/dev/null || tap_bail "ssh-agent started"
AGENT_PID=$SSH_AGENT_PID
ssh-add -q "$TMP/key" 2>/dev/null || tap_bail "ssh-add added the key"
KEYS=$(ssh-add -l)

cat >"$P/compose.yaml" <<YAML
services:
  secrets:
    build:
      context: .
      dockerfile: secrets.Dockerfile
      secrets:
        - token
        - source: from_env
          target: renamed
  ssh:
    build:
      context: .
      dockerfile: ssh.Dockerfile
      ssh: [default, "work=$TMP/agent.sock"]
  sshkey:
    build:
      context: .
      dockerfile: key.Dockerfile
      ssh: ["key=$TMP/key"]
  other:
    build:
      context: .
      dockerfile: other.Dockerfile
      secrets: [token]
secrets:
  token:
    file: ./token.txt
  from_env:
    environment: TSESSION_ENV_SECRET
YAML

# ---- secrets
ds "$P" -p "$RUN-ds" build secrets
check "build: a service with build.secrets builds" '[ $rc -eq 0 ] && [ -n "$(image_id "$RUN-ds-secrets")" ]'
check "build: neither secret's value is in devstack's output" \
    '[[ $out != *"$FILE_VALUE"* ]] && [[ $out != *"$ENV_VALUE"* ]]'
check "secrets: RUN --mount=type=secret,id=token read the file: secret's value" \
    '[ "$(in_image "$RUN-ds-secrets" cat /token.sha)" = "$(sha "$FILE_VALUE")" ]'
check "secrets: the environment: secret, under its target 'renamed', after a 12 s step (health checks)" \
    '[ "$(in_image "$RUN-ds-secrets" cat /renamed.sha)" = "$(sha "$ENV_VALUE")" ]'
check "secrets: nothing of them is left in the image's /run/secrets" \
    '[ -z "$(in_image "$RUN-ds-secrets" sh -c "ls -A /run/secrets 2>/dev/null")" ]'

out=$(cd "$P" && docker compose -p "$RUN-dc" build --no-cache secrets 2>&1)
rc=$?
check "docker compose build of the same file: the same checksums as devstack's" \
    '[ $rc -eq 0 ] && [ "$(in_image "$RUN-dc-secrets" cat /token.sha)" = "$(in_image "$RUN-ds-secrets" cat /token.sha)" ] && [ "$(in_image "$RUN-dc-secrets" cat /renamed.sha)" = "$(in_image "$RUN-ds-secrets" cat /renamed.sha)" ]'

ds "$P" -p "$RUN-ds" build other
check "a secret the Dockerfile requires and build.secrets does not give: the build fails, naming it" \
    '[ $rc -ne 0 ] && [[ $out == *other* ]] && [[ $out == *"not found"* ]] && [ -z "$(image_id "$RUN-ds-other")" ]'

# ---- ssh
ds "$P" -p "$RUN-ds" build ssh
check "build: a service with build.ssh builds" '[ $rc -eq 0 ] && [ -n "$(image_id "$RUN-ds-ssh")" ]'
check "ssh: ssh-add -l in a RUN step lists the key of SSH_AUTH_SOCK's agent (default)" \
    '[ "$(in_image "$RUN-ds-ssh" cat /default.txt)" = "$KEYS" ]'
check "ssh: and of the agent named by work=PATH (id=work)" \
    '[ "$(in_image "$RUN-ds-ssh" cat /work.txt)" = "$KEYS" ]'
out=$(cd "$P" && docker compose -p "$RUN-dc" build --no-cache ssh 2>&1)
rc=$?
check "docker compose build of the same file: the same keys listed" \
    '[ $rc -eq 0 ] && [ "$(in_image "$RUN-dc-ssh" cat /default.txt)" = "$(in_image "$RUN-ds-ssh" cat /default.txt)" ] && [ "$(in_image "$RUN-dc-ssh" cat /work.txt)" = "$KEYS" ]'

# a key file: devstack's own ssh-agent, gone after the build (TMPDIR is where its socket lives)
mkdir -p "$TMP/dstmp"
out=$(cd "$P" && env -u SSH_AUTH_SOCK TMPDIR="$TMP/dstmp" "$DEVSTACK" -p "$RUN-ds" build sshkey </dev/null 2>&1)
rc=$?
check "ssh: key=FILE builds without SSH_AUTH_SOCK; ssh-add -l in the build lists that key" \
    '[ $rc -eq 0 ] && [ "$(in_image "$RUN-ds-sshkey" cat /key.txt)" = "$KEYS" ]'
check "ssh: the ssh-agent devstack started for the key is stopped and its socket removed" \
    '[ -z "$(ls -A "$TMP/dstmp")" ] && ! pgrep -f "ssh-agent -s -a $TMP/dstmp" >/dev/null'
out=$(cd "$P" && env -u SSH_AUTH_SOCK docker compose -p "$RUN-dc" build --no-cache sshkey 2>&1)
rc=$?
# buildx's agent in memory lists the key without its comment: the fingerprints are compared
check "docker compose build of the key file: the same key (fingerprint) listed" \
    '[ $rc -eq 0 ] && [ "$(in_image "$RUN-dc-sshkey" cat /key.txt | cut -d" " -f2)" = "$(in_image "$RUN-ds-sshkey" cat /key.txt | cut -d" " -f2)" ] && [ -n "$(in_image "$RUN-dc-sshkey" cat /key.txt | grep -o "SHA256:[^ ]*")" ]'
cp "$TMP/key" "$TMP/open-key"
chmod 644 "$TMP/open-key"
sed "s|key=$TMP/key|key=$TMP/open-key|" "$P/compose.yaml" >"$P/open.yaml"
out=$(cd "$P" && TMPDIR="$TMP/dstmp" "$DEVSTACK" -p "$RUN-ds" -f open.yaml build sshkey </dev/null 2>&1)
rc=$?
check "ssh: a key ssh-add refuses (mode 0644): an error with ssh-add's reason, its agent stopped" \
    '[ $rc -ne 0 ] && [[ $out == *"open.yaml:"*": services.sshkey.build.ssh: '\''key'\'': ssh-add cannot load '\''$TMP/open-key'\'': Permissions 0644"*"are too open"* ]] && [ -z "$(ls -A "$TMP/dstmp")" ]'

# ---- what is missing stops before anything is built
cat >"$P/missing.yaml" <<YAML
services:
  file:
    build:
      context: .
      dockerfile: secrets.Dockerfile
      secrets: [gone]
  var:
    build:
      context: .
      dockerfile: secrets.Dockerfile
      secrets: [unset]
  agent:
    build:
      context: .
      dockerfile: ssh.Dockerfile
      ssh: [default]
secrets:
  gone:
    file: ./no-such-file.txt
  unset:
    environment: TSESSION_NOT_SET
YAML
ds "$P" -p "$RUN-ds" -f missing.yaml build file
check "a missing secret file: an error at missing.yaml:6:17, nothing built" \
    '[ $rc -ne 0 ] && [[ $out == *"missing.yaml:6:17: services.file.build.secrets: secret '\''gone'\'': cannot read '\''$P/no-such-file.txt'\'': No such file or directory"* ]] && [ -z "$(image_id "$RUN-ds-file")" ]'
ds "$P" -p "$RUN-ds" -f missing.yaml build var
check "an unset variable: an error naming it at missing.yaml:11:17" \
    '[ $rc -ne 0 ] && [[ $out == *"missing.yaml:11:17: services.var.build.secrets: secret '\''unset'\'' takes the variable '\''TSESSION_NOT_SET'\'', which is not set"* ]]'
out=$(cd "$P" && env -u SSH_AUTH_SOCK "$DEVSTACK" -p "$RUN-ds" -f missing.yaml build agent </dev/null 2>&1)
rc=$?
check "no SSH agent: an error at missing.yaml:16:7 saying how to start one" \
    '[ $rc -ne 0 ] && [[ $out == *"missing.yaml:16:7: services.agent.build.ssh: '\''default'\'' forwards the SSH agent, and SSH_AUTH_SOCK is not set"* ]] && [[ $out == *ssh-agent* ]]'
ds "$P" -p "$RUN-ds" -f missing.yaml up -d file
check "up: a missing secret file is refused while planning, before anything is created" \
    '[ $rc -ne 0 ] && [[ $out == *"services.file.build.secrets"* ]] && [ -z "$(docker network ls -q --filter label=com.docker.compose.project=$RUN-ds)" ]'
out=$(cd "$P" && DOCKER_BUILDKIT=0 "$DEVSTACK" -p "$RUN-ds" build secrets </dev/null 2>&1)
rc=$?
check "DOCKER_BUILDKIT=0: secrets refused, the classic builder has no session" \
    '[ $rc -ne 0 ] && [[ $out == *"compose.yaml:6:7: services.secrets.build.secrets: the classic builder doesn'\''t support secrets"* ]] && [[ $out == *DOCKER_BUILDKIT* ]]'

tap_done
