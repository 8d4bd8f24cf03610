#!/usr/bin/env bash
# How compose files are found, read and merged, side by side with Compose v2:
# for each project under tests/corpus/load/, `devstack config --format json`
# and `docker compose config --format json` run on the same files, and the
# fields that finding, merging, !reset/!override, include and extends touch
# must agree: per service image, build context, command, entrypoint,
# environment, env_file values, ports, volumes, networks (and aliases),
# depends_on, user, working_dir, healthcheck test; the top-level volumes and
# networks. A project directory may hold `files` (the -f files, one per
# line), `cwd` (where to stand, relative to it; no -f then) and `error`
# (both must fail, devstack's message holding that text).
#
# Differences on purpose, listed by name (normalized before comparing):
#   unused-resources  Compose's `config` leaves out top-level volumes and
#                     networks no service uses; devstack lists them all.
#   dollar-escaping   Compose's `config` writes a literal $ as $$, so that its
#                     output reads back the same; devstack prints the value.
#   loopback-ports    devstack publishes ports on 127.0.0.1 unless the file
#                     names an address; `config` shows the file's (none), so
#                     both print the same and nothing is normalized.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/tap.sh"

docker compose version >/dev/null 2>&1 || tap_cannot_run "docker compose (Compose v2) is installed"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# facts FILE devstack|compose: the compared fields of a `config --format json` document, as sorted JSON
facts() {
    python3 - "$1" "$2" <<'PY'
import json, sys

doc = json.load(open(sys.argv[1]))


def unescape(v):
    if isinstance(v, dict):
        return {k: unescape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [unescape(x) for x in v]
    return v.replace("$$", "$") if isinstance(v, str) else v


if sys.argv[2] == "compose":  # dollar-escaping
    doc = unescape(doc)


def norm_env(env):
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return {k: (None if v is None else str(v)) for k, v in (env or {}).items()}


def port(p):
    return {"target": int(p["target"]), "published": str(p.get("published") or ""),
            "host_ip": p.get("host_ip") or "", "protocol": p.get("protocol") or "tcp"}


def volume(v):
    return {"type": v.get("type"), "source": v.get("source"), "target": v.get("target"),
            "read_only": bool(v.get("read_only"))}


def networks(n):
    if isinstance(n, list):
        return {k: [] for k in n}
    return {k: sorted((v or {}).get("aliases") or []) for k, v in (n or {}).items()}


def depends(d):
    if isinstance(d, list):
        return {k: {"condition": "service_started", "required": True} for k in d}
    return {k: {"condition": v.get("condition", "service_started"),
                "required": v.get("required", True)} for k, v in (d or {}).items()}


services = {}
used_volumes, used_networks = set(), set()
for name, s in (doc.get("services") or {}).items():
    build = s.get("build")
    services[name] = {
        "image": s.get("image"),
        "build": build.get("context") if isinstance(build, dict) else build,
        "command": s.get("command") or None,
        "entrypoint": s.get("entrypoint") or None,
        "environment": norm_env(s.get("environment")),
        "ports": sorted((port(p) for p in s.get("ports") or []), key=json.dumps),
        "volumes": [volume(v) for v in s.get("volumes") or []],
        "networks": networks(s.get("networks")),
        "depends_on": depends(s.get("depends_on")),
        "user": s.get("user"),
        "working_dir": s.get("working_dir"),
        "healthcheck": (s.get("healthcheck") or {}).get("test"),
    }
    used_volumes.update(v["source"] for v in s.get("volumes") or [] if v.get("type") == "volume")
    used_networks.update(networks(s.get("networks")).keys())
# unused-resources: only what a service uses
top = {
    "volumes": {k: (v or {}).get("name") for k, v in (doc.get("volumes") or {}).items()
                if k in used_volumes},
    "networks": {k: (v or {}).get("name") for k, v in (doc.get("networks") or {}).items()
                 if k in used_networks},
}
print(json.dumps({"services": services, **top}, indent=1, sort_keys=True))
PY
}

# compare NAME DIR ARGS...: both tools on the same arguments, from DIR
compare() {
    local name=$1 dir=$2
    shift 2
    (cd "$dir" && env -i HOME=/home/dev PATH="$PATH" "$DEVSTACK" "$@" config --format json \
        >"$TMP/ds.json" 2>"$TMP/ds.err")
    local ds_rc=$?
    (cd "$dir" && env -i HOME=/home/dev PATH="$PATH" docker compose "$@" config --format json \
        >"$TMP/dc.json" 2>"$TMP/dc.err")
    local dc_rc=$?
    if [ $ds_rc -ne 0 ] || [ $dc_rc -ne 0 ]; then
        not_ok "$name: both load" "devstack exit $ds_rc: $(cat "$TMP/ds.err")
docker compose exit $dc_rc: $(cat "$TMP/dc.err")"
        return
    fi
    facts "$TMP/ds.json" devstack >"$TMP/ds.facts"
    facts "$TMP/dc.json" compose >"$TMP/dc.facts"
    if diff -u "$TMP/dc.facts" "$TMP/ds.facts" >"$TMP/diff"; then
        ok "$name: devstack and docker compose agree"
    else
        not_ok "$name: devstack and docker compose agree" "--- docker compose, +++ devstack
$(cat "$TMP/diff")"
    fi
}

for dir in "$ROOT"/tests/corpus/load/*/; do
    dir=${dir%/}
    name=load/$(basename "$dir")
    args=()
    if [ -f "$dir/files" ]; then
        while read -r f; do [ -n "$f" ] && args+=(-f "$f"); done <"$dir/files"
    fi
    where=$dir
    [ -f "$dir/cwd" ] && where=$dir/$(<"$dir/cwd")
    if [ -f "$dir/error" ]; then
        want=$(<"$dir/error")
        rc=0 dc_rc=0
        err=$(cd "$where" && env -i HOME=/home/dev PATH="$PATH" "$DEVSTACK" "${args[@]}" config -q 2>&1) || rc=$?
        (cd "$where" && env -i HOME=/home/dev PATH="$PATH" docker compose "${args[@]}" config -q \
            >/dev/null 2>&1) || dc_rc=$?
        out=$err
        check "$name: both refuse it, devstack saying where and why" \
            '[ $rc -eq 1 ] && [ $dc_rc -ne 0 ] && [[ $err == *"$want"* ]]'
        continue
    fi
    compare "$name" "$where" "${args[@]}"
done

# the bundled stack: the dev container's two files mean the same under both
compare "bundled stack: compose/ + devcontainer/ files" "$ROOT" \
    --env-file compose/.env.example -f compose/docker-compose.yml -f devcontainer/docker-compose.yml

# devstack says which files it read; a failed load still prints its warnings
out=$(cd "$ROOT/tests/corpus/load/override-file" && "$DEVSTACK" config 2>&1 >/dev/null)
check "config names the files it found and merged" \
    '[[ $out == *"compose files: compose.yaml compose.override.yaml"* ]]'
printf 'services:\n  s:\n    extends: {file: base.yaml, service: b}\n' >"$TMP/compose.yaml"
printf 'services:\n  b:\n    deploy: {placement: {constraints: []}}\n' >"$TMP/base.yaml"
rc=0
out=$(cd "$TMP" && "$DEVSTACK" config -q 2>&1) || rc=$?
check "a failed load prints its warnings before the error" \
    '[ $rc -eq 1 ] && [[ $out == *"warning: base.yaml:3:14: services.s.deploy.placement: a swarm setting, ignored"*"error: compose.yaml:2:3: service '"'"'s'"'"' has neither an image"* ]]'

tap_done
