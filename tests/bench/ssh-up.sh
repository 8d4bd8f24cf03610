#!/usr/bin/env bash
# Benchmark (not a test): devstack beside Compose v2 (`docker compose`) on an
# engine reached over ssh, DOCKER_HOST=ssh://USER@127.0.0.1:PORT through a
# private sshd (tests/lib/sshd.sh). Both run the same `ssh` from PATH, which
# counts its runs. A 4-service project (the test image, one bind each), one
# project per tool, up once; then, with hyperfine, each command in turn:
#   - `up -d` on the running project (a no-op)
#   - `ps`
# and the same over the engine's local socket, for what ssh costs. Prints the
# means, the ratios and how many ssh processes one command of each started.
#
#   tests/bench/ssh-up.sh [RUNS]     (default 10)
#
# Needs root (sshd), openssh-server, hyperfine, Compose v2 as a docker CLI
# plugin and devstack-test/busybox:latest (tests/lib/test_image.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
RUNS=${1:-10}
. "$ROOT/tests/lib/sshd.sh"
. "$ROOT/tests/lib/test_image.sh"
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 1; }
docker compose version >/dev/null 2>&1 || { echo "Compose v2 is not installed (scripts/setup.sh)" >&2; exit 1; }
test_image_ensure >/dev/null || { echo "$TEST_IMAGE_ERROR" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
    (cd "$work" && "$DEVSTACK" -p benchsshds down >/dev/null 2>&1 || true
        docker compose -p benchsshdc down >/dev/null 2>&1 || true)
    sshd_stop
    rm -rf "$work"
}
trap cleanup EXIT
sshd_start "$work/sshd" || { echo "sshd: $SSHD_ERROR" >&2; exit 1; }
mkdir -p "$work/code"
{
    echo "services:"
    for s in api worker web jobs; do
        echo "  $s:"
        echo "    image: $TEST_IMAGE"
        echo "    init: true"
        echo "    command: [\"sleep\", \"3600\"]"
        echo "    volumes: [\"./code:/code\"]"
    done
} >"$work/compose.yaml"
cd "$work"

export PATH=$SSHD_BIN:$PATH
DS="$DEVSTACK -p benchsshds"
DC="docker compose -p benchsshdc"
DOCKER_HOST=$SSHD_URL $DS up -d --progress quiet >/dev/null 2>&1
DOCKER_HOST=$SSHD_URL $DC up -d >/dev/null 2>&1

# runs COMMAND: the ssh processes one run of COMMAND over ssh starts
runs() {
    : >"$SSHD_LOG"
    DOCKER_HOST=$SSHD_URL sh -c "$1" >/dev/null 2>&1
    wc -l <"$SSHD_LOG"
}
echo "ssh processes per command: devstack up $(runs "$DS up -d --progress quiet"), ps $(runs "$DS ps");" \
    "docker compose up $(runs "$DC up -d"), ps $(runs "$DC ps")"

export DOCKER_HOST=$SSHD_URL
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$work/ssh.json" \
    -n "devstack up (ssh)" "$DS up -d --progress quiet" -n "compose up (ssh)" "$DC up -d" \
    -n "devstack ps (ssh)" "$DS ps" -n "compose ps (ssh)" "$DC ps" >/dev/null
unset DOCKER_HOST
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$work/local.json" \
    -n "devstack up (socket)" "$DS up -d --progress quiet" -n "compose up (socket)" "$DC up -d" \
    -n "devstack ps (socket)" "$DS ps" -n "compose ps (socket)" "$DC ps" >/dev/null

python3 - "$work/ssh.json" "$work/local.json" <<'PY'
import json, sys
r = {}
for f in sys.argv[1:]:
    for x in json.load(open(f))["results"]:
        r[x["command"]] = (x["mean"] * 1000, x["stddev"] * 1000)
print(f"{'operation (mean)':28} {'devstack':>12} {'docker compose':>16} {'ratio':>7}")
for op, via in [("up", "ssh"), ("ps", "ssh"), ("up", "socket"), ("ps", "socket")]:
    d = r[f"devstack {op} ({via})"]
    c = r[f"compose {op} ({via})"]
    label = f"{'up -d, nothing to do' if op == 'up' else 'ps'} ({via})"
    print(f"{label:28} {d[0]:8.1f} ms {c[0]:12.1f} ms {c[0] / d[0]:6.2f}x")
PY
echo "runs: $RUNS per command (hyperfine, 1 warm-up), one command after the other"
