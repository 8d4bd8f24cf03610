#!/usr/bin/env bash
# Top-level networks as Compose v2 creates them, against the real engine:
# driver_opts, enable_ipv6 and ipam (driver, a pool with subnet, ip_range,
# gateway and aux_addresses) reach the network the engine reports, and a
# service's ipv4_address on it is the container's address. The same file runs
# through `docker compose` under another project name and both networks must
# agree field by field (CI installs Compose v2; missing there, the test
# fails). Projects are named dsnet<pid>-<x>; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dsnet$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_networks.XXXXXX")

cleanup() {
    (cd "$TMP/c" 2>/dev/null && docker compose -p "$RUN-c" down -t 0 >/dev/null 2>&1)
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

# network NAME: what a user compares, as JSON (driver, options, IPv6, IPAM)
network() {
    api "/networks/$1" | python3 -c '
import json, sys
n = json.load(sys.stdin)
o = {k: v for k, v in (n.get("Options") or {}).items()}
print(json.dumps({"Driver": n["Driver"], "Options": o, "EnableIPv6": n["EnableIPv6"],
                  "IPAM": {"Driver": n["IPAM"]["Driver"], "Config": n["IPAM"]["Config"]}}, sort_keys=True))'
}
address() { # CONTAINER NETWORK
    api "/containers/$1/json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["NetworkSettings"]["Networks"][sys.argv[1]]["IPAddress"])' "$2"
}

# file NET SUBNET-PREFIX BRIDGE: a project with one network and one service on a fixed address
file() {
    cat <<EOF2
services:
  s:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    networks:
      $1:
        ipv4_address: $2.10
networks:
  $1:
    driver: bridge
    driver_opts:
      com.docker.network.bridge.name: $3
      com.docker.network.driver.mtu: "1400"
    enable_ipv6: false
    ipam:
      driver: default
      config:
        - subnet: $2.0/24
          ip_range: $2.0/25
          gateway: $2.1
          aux_addresses:
            reserved: $2.5
EOF2
}

mkdir -p "$TMP/a"
file n 172.29.91 dsnet$$a >"$TMP/a/compose.yaml"
ds "$TMP/a" -p "$RUN-a" up -d --progress quiet
check "up -d creates a network with an IPAM pool and a service on a fixed address" '[ $rc -eq 0 ]'
got=$(network "$RUN-a_n")
if on_podman; then
    # what devstack sends is Compose's (below); Podman keeps less of it than Docker
    check "the pool reached the engine: subnet and gateway" \
        '[[ $got == *"\"Subnet\": \"172.29.91.0/24\""* && $got == *"\"Gateway\": \"172.29.91.1\""* ]]'
    differs ipam-inspect "the pool reached the engine: ip_range, aux_addresses; the driver's options (bridge name, MTU)"
else
    check "the pool reached the engine: subnet, ip_range, gateway, aux_addresses" \
        '[[ $got == *"\"Subnet\": \"172.29.91.0/24\""* && $got == *"\"IPRange\": \"172.29.91.0/25\""* && $got == *"\"Gateway\": \"172.29.91.1\""* && $got == *"\"reserved\": \"172.29.91.5\""* ]]'
    check "so did the driver's options (bridge name, MTU)" \
        '[[ $got == *"\"com.docker.network.bridge.name\": \"dsnet'$$'a\""* && $got == *"\"com.docker.network.driver.mtu\": \"1400\""* ]]'
fi
check "the service has the address the file gives it" '[ "$(address "$RUN-a-s-1" "$RUN-a_n")" = 172.29.91.10 ]'

ds "$TMP/a" -p "$RUN-a" down --progress quiet
check "down removes the network" '[ $rc -eq 0 ] && ! api "/networks/$RUN-a_n" >/dev/null 2>&1'

if docker compose version 2>/dev/null | grep -q 'version v\?2'; then
    mkdir -p "$TMP/c" "$TMP/d"
    file n 172.29.92 dsnet$$c >"$TMP/c/compose.yaml"
    file n 172.29.93 dsnet$$d >"$TMP/d/compose.yaml"
    out=$(cd "$TMP/c" && docker compose -p "$RUN-c" up -d 2>&1 </dev/null)
    ds "$TMP/d" -p "$RUN-d" up -d --progress quiet
    cnet=$(network "$RUN-c_n" | sed 's/172\.29\.92\./X./g; s/dsnet'$$'c/B/')
    dnet=$(network "$RUN-d_n" | sed 's/172\.29\.93\./X./g; s/dsnet'$$'d/B/')
    check "compose: the network devstack creates equals Compose's (driver, options, IPv6, IPAM)" \
        '[ -n "$cnet" ] && [ "$cnet" = "$dnet" ]'
    check "compose: and the service's address too" \
        '[ "$(address "$RUN-c-s-1" "$RUN-c_n")" = 172.29.92.10 ] && [ "$(address "$RUN-d-s-1" "$RUN-d_n")" = 172.29.93.10 ]'
elif [ "${CI:-}" = true ]; then
    not_ok "compose: side by side" "docker compose v2 is missing (as root: scripts/setup.sh --deps-only installs it)"
else
    ok "compose: side by side # SKIP docker compose v2 is not installed (scripts/setup.sh --deps-only)"
fi

tap_done
