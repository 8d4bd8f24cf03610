#!/usr/bin/env bash
# A service's network keys and a network's IPAM options on the real engine, as
# a user checks them with `docker inspect` and inside the container: the
# link-local IP, the driver options and the MAC address of the endpoint, the
# fixed addresses on the first network (the one of highest priority, given at
# create) and on another one (connected after create before Engine API
# 1.44), the IPAM options of the network. What the engine in use is too old
# for is refused by name before anything of the project is made. Links to
# a scaled service name every container of it, as `docker compose up` makes
# them (Compose v2 side by side; missing in CI, the test fails). Projects
# are named nwk<pid>-<x>; the EXIT trap removes them. TAP-style output for
# tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=nwk$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_network_keys.XXXXXX")
MAC=02:aa:bb:cc:dd:01

cleanup() {
    for p in c k; do
        (cd "$TMP/$p" 2>/dev/null && docker compose -p "$RUN-$p" down -t 0 >/dev/null 2>&1)
    done
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

# API version of the engine as a number: 1041 for 1.41
API=$(api /version | python3 -c 'import json,sys; a=json.load(sys.stdin)["ApiVersion"].split("."); print(int(a[0])*1000+int(a[1]))')

# inspect CONTAINER PYTHON-EXPRESSION: a field of the container's inspect, as JSON (c: the document)
inspect() {
    api "/containers/$1/json" 2>/dev/null |
        python3 -c 'import json,sys; c=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1]), sort_keys=True))' "$2" 2>/dev/null
}
endpoint() { # CONTAINER NETWORK FIELD
    inspect "$1" "c['NetworkSettings']['Networks']['$2'].get('$3')"
}

mkdir -p "$TMP/a"
cat >"$TMP/a/compose.yaml" <<EOF
services:
  s:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    networks:
      back:
        aliases: [bb]
        ipv4_address: 172.29.85.20
        link_local_ips: [169.254.85.20]
      front:
        priority: 10
        ipv4_address: 172.29.84.10
        link_local_ips: [169.254.84.10]
        mac_address: $MAC
        driver_opts:
          com.example.endpoint: "yes"
networks:
  front:
    ipam:
      config:
        - subnet: 172.29.84.0/24
      options:
        com.example.pool: front
  back:
    ipam:
      config:
        - subnet: 172.29.85.0/24
EOF
ds "$TMP/a" -p "$RUN-a" up -d --progress quiet
check "up -d creates a service with every key of its networks" '[ $rc -eq 0 ]'
C=$RUN-a-s-1
check "the network of highest priority is the one the container is created on" \
    '[ "$(inspect "$C" "c[\"HostConfig\"][\"NetworkMode\"]")" = "\"$RUN-a_front\"" ]'
check "its endpoint has the link-local IP and the fixed address" \
    '[ "$(endpoint "$C" "$RUN-a_front" IPAMConfig)" = "{\"IPv4Address\": \"172.29.84.10\", \"LinkLocalIPs\": [\"169.254.84.10\"]}" ]'
check "its endpoint has the driver options" \
    '[ "$(endpoint "$C" "$RUN-a_front" DriverOpts)" = "{\"com.example.endpoint\": \"yes\"}" ]'
check "its endpoint has the MAC address" '[ "$(endpoint "$C" "$RUN-a_front" MacAddress)" = "\"$MAC\"" ]'
addr=$(docker exec "$C" ip addr 2>&1)
check "inside, one interface has the MAC address, the address and the link-local IP" \
    'python3 - "$addr" <<"PY"
import re, sys
for block in re.split(r"\n(?=\d+: )", sys.argv[1]):
    if "'$MAC'" in block and "172.29.84.10/24" in block and "169.254.84.10/16" in block:
        sys.exit(0)
sys.exit(1)
PY'
check "the other network's endpoint has its fixed address, link-local IP and alias" \
    '[ "$(endpoint "$C" "$RUN-a_back" IPAMConfig)" = "{\"IPv4Address\": \"172.29.85.20\", \"LinkLocalIPs\": [\"169.254.85.20\"]}" ] && [[ $(endpoint "$C" "$RUN-a_back" Aliases) == *"\"bb\""* ]]'
check "the network was created with the IPAM options" \
    '[ "$(api "/networks/$RUN-a_front" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)[\"IPAM\"][\"Options\"]))")" = "{\"com.example.pool\": \"front\"}" ]'
ds "$TMP/a" -p "$RUN-a" down -t 0 --progress quiet

# keys this engine is too old for: refused by name before anything is made (networks included)
mkdir -p "$TMP/m" "$TMP/g" "$TMP/4"
cat >"$TMP/m/compose.yaml" <<EOF
services:
  s:
    image: $IMAGE
    command: [sleep, '600']
    networks:
      front: {priority: 10}
      back: {mac_address: $MAC}
networks: {front: {}, back: {}}
EOF
cat >"$TMP/g/compose.yaml" <<EOF
services:
  s:
    image: $IMAGE
    command: [sleep, '600']
    networks:
      default: {gw_priority: 3}
EOF
cat >"$TMP/4/compose.yaml" <<EOF
services:
  s:
    image: $IMAGE
    command: [sleep, '600']
networks:
  default: {enable_ipv4: false}
EOF
ds "$TMP/m" -p "$RUN-m" up -d --progress quiet
if [ "$API" -lt 1044 ]; then
    check "API $API: a MAC address on a network other than the first is refused with the version it needs" \
        '[ $rc -eq 1 ] && [[ $out == *"service '"'"'s'"'"'"* && $out == *"mac_address on network '"'"'$RUN-m_back'"'"' needs Engine API 1.44 (Docker Engine 25.0 or newer); this engine speaks 1.${API#10}"* ]] && ! api "/containers/$RUN-m-s-1/json" >/dev/null 2>&1 && ! api "/networks/$RUN-m_front" >/dev/null 2>&1'
else
    check "API $API: a MAC address on a network other than the first reaches its endpoint" \
        '[ $rc -eq 0 ] && [ "$(endpoint "$RUN-m-s-1" "$RUN-m_back" MacAddress)" = "\"$MAC\"" ]'
fi
ds "$TMP/g" -p "$RUN-g" up -d --progress quiet
if [ "$API" -lt 1048 ]; then
    check "API $API: gw_priority is refused with the version it needs" \
        '[ $rc -eq 1 ] && [[ $out == *"gw_priority on network '"'"'$RUN-g_default'"'"' needs Engine API 1.48 (Docker Engine 28.0 or newer)"* ]] && ! api "/containers/$RUN-g-s-1/json" >/dev/null 2>&1 && ! api "/networks/$RUN-g_default" >/dev/null 2>&1'
else
    check "API $API: gw_priority reaches the endpoint" \
        '[ $rc -eq 0 ] && [ "$(endpoint "$RUN-g-s-1" "$RUN-g_default" GwPriority)" = 3 ]'
fi
ds "$TMP/4" -p "$RUN-4" up -d --progress quiet
if [ "$API" -lt 1048 ]; then
    check "API $API: enable_ipv4: false is refused with the version it needs" \
        '[ $rc -eq 1 ] && [[ $out == *"network '"'"'$RUN-4_default'"'"': enable_ipv4: false needs Engine API 1.48"* ]] && ! api "/networks/$RUN-4_default" >/dev/null 2>&1'
else
    check "API $API: enable_ipv4: false reaches the network" \
        '[ $rc -eq 0 ] && [ "$(api "/networks/$RUN-4_default" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"EnableIPv4\"])")" = False ]'
fi

# links to a scaled service, beside Compose: every container, the same aliases, the same order
links_file() {
    cat <<EOF
services:
  db:
    image: $IMAGE
    command: [sleep, '600']
    init: true
    scale: 2
  web:
    image: $IMAGE
    command: [sleep, '600']
    init: true
    scale: 2
    links: ["db:database", db]
EOF
}
# links PROJECT NUMBER: web NUMBER's links on the default network, the project's name made P,
# sorted (both list db's containers as the engine does, newest first: containers created
# side by side come in either order)
links() {
    endpoint "$1-web-$2" "$1_default" Links | sed "s/$1-/P-/g" |
        python3 -c 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin))))' 2>/dev/null
}
mkdir -p "$TMP/k"
links_file >"$TMP/k/compose.yaml"
ds "$TMP/k" -p "$RUN-k" up -d --progress quiet
check "up -d starts a service linking to a service of two containers" '[ $rc -eq 0 ]'
check "web 1 links every container of db, under the alias and Compose's names for web 1" \
    '[ "$(links "$RUN-k" 1)" = "[\"P-db-1:P-db-1\", \"P-db-1:P-db-1\", \"P-db-1:database\", \"P-db-1:db\", \"P-db-1:db-1\", \"P-db-1:db-1\", \"P-db-2:P-db-1\", \"P-db-2:P-db-1\", \"P-db-2:database\", \"P-db-2:db\", \"P-db-2:db-1\", \"P-db-2:db-1\"]" ]'
out=$(docker exec "$RUN-k-web-2" ping -c 1 -W 2 database 2>&1)
rc=$?
check "inside web 2 the link's alias answers" '[ $rc -eq 0 ]'

if docker compose version 2>/dev/null | grep -q 'version v\?2'; then
    mkdir -p "$TMP/c"
    links_file >"$TMP/c/compose.yaml"
    out=$(cd "$TMP/c" && docker compose -p "$RUN-c" up -d 2>&1 </dev/null)
    check "compose: up -d starts the same project" '[ $? -eq 0 ]'
    for number in 1 2; do
        dl=$(links "$RUN-k" $number) cl=$(links "$RUN-c" $number)
        if [ -n "$cl" ] && [ "$dl" = "$cl" ]; then
            ok "compose: web $number has the links Compose gives it"
        else
            not_ok "compose: web $number has the links Compose gives it" "devstack $dl
compose  $cl"
        fi
    done
    check "compose: HostConfig.Links are alike (the engine keeps them on the network)" \
        '[ "$(inspect "$RUN-k-web-1" "c[\"HostConfig\"][\"Links\"]")" = "$(inspect "$RUN-c-web-1" "c[\"HostConfig\"][\"Links\"]")" ]'
elif [ "${CI:-}" = true ]; then
    not_ok "compose: side by side" "docker compose v2 is missing (as root: scripts/setup.sh --deps-only installs it)"
else
    ok "compose: side by side # SKIP docker compose v2 is not installed (scripts/setup.sh --deps-only)"
fi

tap_done
