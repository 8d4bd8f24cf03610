#!/usr/bin/env bash
# The resource, namespace, device, logging, deploy and hook keys of a service,
# against the real engine: one project uses them all, and each must reach its
# container as the engine reports it (inspect: HostConfig, Config). Hooks are
# checked by the files they write; attach: false by what a foreground `up`
# attaches to; an engine-version limit (volume subpath) by the message naming
# the version needed (tests/integration/test_engine26.sh has the others). Where `docker compose` (v2) is
# installed, the same file runs through it and the inspected fields of both
# must agree; a difference is reported by field name. Every project is named
# dskeys<pid>-<x>; the EXIT trap removes them. TAP-style output for
# tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dskeys$$
API_MINOR=$(api_minor)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_service_keys.XXXXXX")

cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

API=$(curl -fsS --unix-socket "$SOCK" http://localhost/version |
    python3 -c 'import json,sys; v=json.load(sys.stdin)["ApiVersion"].split("."); print(int(v[0])*1000+int(v[1]))')

# inspect CONTAINER EXPR: a Python expression over the inspect document `d`, printed as JSON
inspect() {
    api "/containers/$1/json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1]), sort_keys=True))' "$2"
}
id_of() { inspect "$1" 'd["Id"]' | tr -d '"'; }

A=$TMP/a
mkdir -p "$A/hostdir"
cat >"$A/compose.yaml" <<YAML
services:
  base:
    image: $IMAGE
    command: [sleep, "300"]
    stop_grace_period: 1s
    ipc: shareable
    volumes: [shared:/shared]
  main:
    image: $IMAGE
    command: [sleep, "300"]
    stop_grace_period: 1s
    network_mode: service:base
    ipc: service:base
    depends_on:
      other: {condition: service_started, restart: true}
    volumes_from: ["base:ro"]
    tmpfs: ["/run/t1", "/run/t2:size=1m,mode=1777"]
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 512
    devices: ["/dev/null:/dev/xnull:rw"]
    cgroup: private
    mem_limit: 64m
    memswap_limit: 128m
    mem_reservation: 32m
    mem_swappiness: 10
    cpus: 0.5
    cpu_shares: 512
    cpuset: "0"
    pids_limit: 100
    oom_score_adj: 100
    group_add: ["42", "100"]
    dns_search: [example.com]
    dns_opt: [use-vc]
    logging: {driver: json-file, options: {max-size: 10m, max-file: "3"}}
    labels: {own: "1"}
    label_file: ./main.labels
    env_file: [{path: ./raw.env, format: raw}]
    post_start:
      - command: [sh, -c, "echo started \$\$HOOK > /hostdir/post_start"]
        environment: {HOOK: env}
    pre_stop:
      - command: [sh, -c, "echo stopping > /hostdir/pre_stop"]
    volumes: [./hostdir:/hostdir]
    attach: false
  side:
    image: $IMAGE
    command: [sleep, "300"]
    stop_grace_period: 1s
    links: ["other:db"]
    sysctls: {net.core.somaxconn: "1024"}
    mac_address: "02:42:ac:11:65:43"
    pid: host
    userns_mode: host
    cpu_period: 100000
    cpu_quota: 50000
    oom_kill_disable: true
    deploy:
      replicas: 2
      resources:
        limits: {memory: 48m, pids: 50}
      restart_policy: {condition: on-failure, max_attempts: 3}
  other:
    image: $IMAGE
    command: [sleep, "300"]
    stop_grace_period: 1s
    environment: {GENERATION: "\${GENERATION:-1}"}
volumes:
  shared: {}
YAML
printf 'from_file=1\nown=overridden\n' >"$A/main.labels"
printf 'RAW="kept" $HOME ${X}\n' >"$A/raw.env"

P=$RUN-a
ds "$A" -p "$P" up -d
check "up: the project starts" '[ $rc -eq 0 ]'
BASE=$(id_of "$P-base-1")
MAIN=$P-main-1 SIDE=$P-side-1

# expect CONTAINER EXPR JSON: the inspected value equals JSON
expect() {
    local got
    got=$(inspect "$1" "$2" 2>&1)
    if [ "$got" = "$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True))' "$3")" ]; then
        ok "$1: $2"
    else
        not_ok "$1: $2" "expected $3"$'\n'"got      $got"
    fi
}
H='d["HostConfig"]'
expect "$MAIN" "$H[\"NetworkMode\"]" "\"container:$BASE\""
expect "$MAIN" "$H[\"IpcMode\"]" "\"container:$BASE\""
expect "$MAIN" "$H[\"VolumesFrom\"]" "[\"$BASE:ro\"]"
expect "$MAIN" "$H[\"Tmpfs\"]" '{"/run/t1": "", "/run/t2": "size=1m,mode=1777"}'
expect "$MAIN" "sorted($H[\"Ulimits\"], key=lambda u: u[\"Name\"])" \
    '[{"Name": "nofile", "Soft": 1024, "Hard": 2048}, {"Name": "nproc", "Soft": 512, "Hard": 512}]'
expect "$MAIN" "$H[\"Devices\"]" '[{"PathOnHost": "/dev/null", "PathInContainer": "/dev/xnull", "CgroupPermissions": "rw"}]'
expect "$MAIN" "$H[\"CgroupnsMode\"]" '"private"'
expect "$MAIN" "[$H[k] for k in (\"Memory\", \"MemorySwap\", \"MemoryReservation\", \"MemorySwappiness\")]" \
    '[67108864, 134217728, 33554432, 10]'
expect "$MAIN" "[$H[k] for k in (\"NanoCpus\", \"CpuShares\", \"CpusetCpus\", \"PidsLimit\", \"OomScoreAdj\")]" \
    '[500000000, 512, "0", 100, 100]'
expect "$MAIN" "[$H[\"GroupAdd\"], $H[\"DnsSearch\"], $H[\"DnsOptions\"]]" '[["42", "100"], ["example.com"], ["use-vc"]]'
expect "$MAIN" "$H[\"LogConfig\"]" '{"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}'
expect "$MAIN" "[d[\"Config\"][\"Labels\"].get(k) for k in (\"from_file\", \"own\")]" '["1", "1"]'
expect "$MAIN" "[e for e in d[\"Config\"][\"Env\"] if e.startswith(\"RAW=\")]" '["RAW=\"kept\" $HOME ${X}"]'
check "post_start: the hook ran in the container, with its environment" \
    '[ "$(cat "$A/hostdir/post_start" 2>&1)" = "started env" ]'
rm -f "$A/hostdir/post_start"
GENERATION=2 ds "$A" -p "$P" up -d
check "post_start: restarting main for its recreated dependency (restart: true) ran the hook again" \
    '[ $rc -eq 0 ] && [[ $out == *"$P-main-1  Stopping: a dependency was recreated"* ]] &&
     [ "$(cat "$A/hostdir/post_start" 2>&1)" = "started env" ]'

expect "$SIDE" 'sorted(list(d["NetworkSettings"]["Networks"].values())[0]["Links"])' \
    "[\"$P-other-1:db\", \"$P-other-1:$P-other-1\", \"$P-other-1:other-1\"]"
expect "$SIDE" "$H[\"Sysctls\"]" '{"net.core.somaxconn": "1024"}'
if [ "$API" -lt 1044 ]; then
    expect "$SIDE" 'd["Config"]["MacAddress"]' '"02:42:ac:11:65:43"'
else
    expect "$SIDE" 'list(d["NetworkSettings"]["Networks"].values())[0]["MacAddress"]' '"02:42:ac:11:65:43"'
fi
expect "$SIDE" "[$H[\"PidMode\"], $H[\"UsernsMode\"], $H[\"CpuPeriod\"], $H[\"CpuQuota\"], $H[\"OomKillDisable\"]]" \
    '["host", "host", 100000, 50000, true]'
expect "$SIDE" "[$H[\"Memory\"], $H[\"PidsLimit\"], $H[\"RestartPolicy\"]]" \
    '[50331648, 50, {"Name": "on-failure", "MaximumRetryCount": 3}]'
expect "$P-side-2" 'd["State"]["Running"]' 'true'

# attach: false keeps main out of a foreground up's output
out=$(cd "$A" && timeout --foreground -s INT 15 "$DEVSTACK" -p "$P" up 2>&1 </dev/null)
attached=$(printf '%s\n' "$out" | grep -m1 '^Attaching to')
check "attach: false: a foreground up attaches to the others, not to main" \
    '[[ $attached == *"$P-base-1"* && $attached == *"$P-side-1"* && $attached != *"$P-main-1"* ]]'
check "pre_stop: stopping the foreground up ran the hook before stopping the container" \
    '[ "$(cat "$A/hostdir/pre_stop" 2>&1)" = stopping ]'
rm -f "$A/hostdir/pre_stop"
ds "$A" -p "$P" up -d
ds "$A" -p "$P" down
check "pre_stop: down ran the hook before stopping the container" \
    '[ $rc -eq 0 ] && [ "$(cat "$A/hostdir/pre_stop" 2>&1)" = stopping ]'

# ---- requests the engine cannot start here (no GPU): created, not started
G=$TMP/g
mkdir -p "$G"
cat >"$G/compose.yaml" <<YAML
services:
  gpu:
    image: $IMAGE
    command: [sleep, "300"]
    stop_grace_period: 1s
    gpus: all
    deploy:
      resources:
        reservations:
          devices: [{driver: nvidia, count: 1, capabilities: [gpu, compute]}]
    blkio_config:
      weight: 300
YAML
ds "$G" -p "$RUN-g" up --no-start
check "gpus, deploy devices: the container is created" '[ $rc -eq 0 ]'
expect "$RUN-g-gpu-1" "sorted([(r[\"Driver\"], r[\"Count\"], r[\"Capabilities\"]) for r in $H[\"DeviceRequests\"]])" \
    '[["", -1, [["gpu"]]], ["nvidia", 1, [["gpu", "compute"]]]]'
# an engine without the io controller drops the weight, and says so
if [[ $out == *"Block I/O weight"*"discarded"* ]]; then
    ok "blkio_config: the engine's warning that it discards the weight is shown"
else
    expect "$RUN-g-gpu-1" "$H[\"BlkioWeight\"]" '300'
fi

# ---- a bind with create_host_path: false and a missing host path is an error
B=$TMP/b
mkdir -p "$B"
cat >"$B/compose.yaml" <<YAML
services:
  s:
    image: $IMAGE
    volumes:
      - {type: bind, source: ./missing, target: /m, bind: {create_host_path: false}}
YAML
ds "$B" -p "$RUN-b" up -d
check "create_host_path: false: a missing host path fails, named, and is not created" \
    '[ $rc -ne 0 ] && [[ $out == *"$B/missing"* ]] && [ ! -e "$B/missing" ]'

# ---- volume subpath: API 1.45; older engines are told so
S=$TMP/s
mkdir -p "$S"
cat >"$S/compose.yaml" <<YAML
services:
  s:
    image: $IMAGE
    command: [sleep, "300"]
    stop_grace_period: 1s
    volumes:
      - {type: volume, source: data, target: /data, volume: {subpath: sub}}
volumes:
  data: {}
YAML
ds "$S" -p "$RUN-s" up -d
if [ "$API" -lt 1045 ]; then
    check "volume subpath on an engine before API 1.45: refused, naming the version needed" \
        '[ $rc -ne 0 ] && [[ $out == *"services.s.volumes[0].volume.subpath needs Docker Engine 26.0 or newer (Engine API 1.45)"* ]]'
else
    expect "$RUN-s-s-1" '[m["VolumeOptions"]["Subpath"] for m in d["HostConfig"]["Mounts"]]' '["sub"]'
fi

# ---- the same file through Compose v2: the inspected fields must agree
if docker compose version 2>/dev/null | grep -q 'version v\?2'; then
    C=$TMP/c
    mkdir -p "$C/hostdir"
    cp "$A/main.labels" "$C/"
    # Compose 2.26 has no env_file format: raw; the rest is the same file
    sed -e "/env_file: \[{path: .\/raw.env, format: raw}\]/d" "$A/compose.yaml" >"$C/compose.yaml"
    D=$TMP/d
    mkdir -p "$D/hostdir"
    cp "$C/compose.yaml" "$C/main.labels" "$D/"
    ds "$D" -p "$RUN-d" up -d
    out_ds=$out rc_ds=$rc
    out=$(cd "$C" && docker compose -p "$RUN-c" up -d 2>&1 </dev/null)
    rc=$?
    if [ $rc -eq 0 ] && [ $rc_ds -eq 0 ]; then
        ok "compose: the same file starts under docker compose and devstack"
    else
        not_ok "compose: the same file starts under docker compose and devstack" \
            "compose: exit $rc"$'\n'"$out"$'\n'"devstack: exit $rc_ds"$'\n'"$out_ds"
    fi
    # fields PROJECT SERVICE: the compared fields, container ids and names made neutral
    fields() {
        local project=$1 service=$2 ids
        ids=$(for s in base other side main; do printf '%s=%s ' "$(id_of "$project-$s-1")" "$s"; done)
        api "/containers/$project-$service-1/json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
project, ids = sys.argv[1], dict(p.split("=") for p in sys.argv[2].split())
h = d["HostConfig"]
names = ["NetworkMode", "IpcMode", "PidMode", "UsernsMode", "CgroupnsMode", "VolumesFrom", "Links",
         "Tmpfs", "Ulimits", "Devices", "DeviceRequests", "Memory", "MemorySwap", "MemoryReservation",
         "MemorySwappiness", "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota", "CpusetCpus",
         "PidsLimit", "OomKillDisable", "OomScoreAdj", "GroupAdd", "DnsSearch", "DnsOptions",
         "LogConfig", "Sysctls", "RestartPolicy", "Runtime", "Annotations", "BlkioWeight"]
links = [sorted(n.get("Links") or []) for n in d["NetworkSettings"]["Networks"].values()]
def neutral(v):
    t = json.dumps(v, sort_keys=True)
    for i, s in ids.items():
        t = t.replace(i, "<" + s + ">")
    return t.replace(project, "<project>")
for n in names:
    v = h.get(n)
    if n == "Ulimits" and v:
        v = sorted(v, key=lambda u: u["Name"])
    if n == "Links" and v:
        v = sorted(v)
    print(n, neutral(v if v not in ([], {}) else None))
print("EndpointLinks", neutral(links))
print("Labels", neutral({k: v for k, v in d["Config"]["Labels"].items()
                         if not k.startswith(("com.docker.", "dev.devstack."))}))
print("MacAddress", neutral(d["Config"].get("MacAddress")))' "$project" "$ids"
    }
    for s in main side; do
        delta=$(diff <(fields "$RUN-d" $s) <(fields "$RUN-c" $s))
        diffs=$(printf '%s\n' "$delta" | grep '^[<>]' | awk '{print $2}' | sort -u | tr '\n' ' ')
        # Compose drops the mode of volumes_from service:X (and so a read-only request);
        # devstack keeps it
        known=""
        [ $s = main ] && known="VolumesFrom "
        # From API 1.44 a container's MAC address is its first network endpoint's:
        # Compose 2.26 still sends the service's mac_address as Config.MacAddress, which
        # such an engine drops; devstack puts it on the endpoint, and the container has it
        [ $s = side ] && [ "$API_MINOR" -ge 44 ] && known="MacAddress "
        what="compose: $s's inspected HostConfig fields agree with Compose's (apart from: ${known:-none})"
        if [ "$diffs" = "$known" ]; then
            ok "$what"
        else
            not_ok "$what" "differing fields: $diffs"$'\n'"(< devstack, > compose)"$'\n'"$delta"
        fi
    done
    (cd "$C" && docker compose -p "$RUN-c" down -t 1 >/dev/null 2>&1)
    ds "$D" -p "$RUN-d" down
elif [ "${CI:-}" = true ]; then
    not_ok "compose: side by side: docker compose v2 is installed" \
        "setup installs it (scripts/setup.sh --deps-only, as root); nothing may skip in CI"
else
    ok "compose: side by side # SKIP docker compose v2 is not installed (scripts/setup.sh --deps-only installs it)"
fi

tap_done
