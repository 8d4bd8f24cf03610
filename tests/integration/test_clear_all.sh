#!/bin/bash
# devstack clear --all for real, on an engine of its own: a private dockerd
# (its own data root, exec root and socket, in a network namespace of its own
# so that its bridges never meet the machine's; no iptables) that holds two projects, a container no project made, extra images and an
# unused volume and network. --all refuses without a terminal and --yes and
# on a terminal unless the word typed is exactly "yes"; --dry-run lists
# everything with counts; --all --yes leaves the private engine empty but
# for its predefined networks, and the machine's engine is untouched.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"

RUN=dsclrall$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_clear_all.XXXXXX")
PRIV=$TMP/d.sock
MAIN_SOCK=$SOCK

cleanup() {
    if [ -f "$TMP/d.pid" ]; then
        kill "$(cat "$TMP/d.pid")" 2>/dev/null
        for _ in $(seq 100); do [ -e "$TMP/d.pid" ] || break; sleep 0.1; done
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] && command -v dockerd >/dev/null && unshare --net true 2>/dev/null ||
    tap_cannot_run "root, dockerd and network namespaces, for an engine of the test's own"
# never --bridge none on the machine's network: dockerd then deletes docker0
unshare --net dockerd --data-root "$TMP/root" --exec-root "$TMP/exec" --host "unix://$PRIV" \
    --pidfile "$TMP/d.pid" --iptables=false --ip-masq=false >"$TMP/dockerd.log" 2>&1 &
for _ in $(seq 200); do
    curl -fsS --unix-socket "$PRIV" http://localhost/_ping >/dev/null 2>&1 && break
    sleep 0.1
done
if ! curl -fsS --unix-socket "$PRIV" http://localhost/_ping >/dev/null 2>&1; then
    echo "not ok 1 - a private dockerd starts"
    tail -5 "$TMP/dockerd.log" | sed 's/^/#   /'
    echo "1..1"
    exit 1
fi

# papi METHOD PATH [curl args]: the private engine's API
papi() {
    local method=$1 path=$2
    shift 2
    curl -fsS --unix-socket "$PRIV" -X "$method" "$@" "http://localhost/v1.41$path"
}
# everything the private engine holds, one sorted line per object
listing() {
    {
        papi GET "/containers/json?all=1" | python3 -c 'import json,sys; [print("container", c["Names"][0]) for c in json.load(sys.stdin)]'
        papi GET "/images/json" | python3 -c 'import json,sys; [print("image", t) for i in json.load(sys.stdin) for t in (i.get("RepoTags") or [i["Id"]])]'
        papi GET "/volumes" | python3 -c 'import json,sys; [print("volume", v["Name"]) for v in (json.load(sys.stdin)["Volumes"] or [])]'
        papi GET "/networks" | python3 -c 'import json,sys; [print("network", n["Name"]) for n in json.load(sys.stdin)]'
    } | sort
}
# the machine's engine: the images every test relies on (others come and go with tests)
main_listing() {
    SOCK=$MAIN_SOCK api "/images/json" |
        python3 -c 'import json,sys; [print(i["Id"], t) for i in json.load(sys.stdin) for t in (i.get("RepoTags") or []) if t.startswith(("devstack/", "devstack-test/"))]' | sort
}
# pds DIR ARGS: devstack against the private engine
pds() {
    local dir=$1
    shift
    out=$(cd "$dir" && DOCKER_HOST=unix://$PRIV timeout 120 "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}

# the test image, imported into the private engine (the machine's is not asked)
test_image_ensure "$PRIV" || tap_bail "the test image $TEST_IMAGE is in the private engine: $TEST_IMAGE_ERROR"
papi POST "/images/devstack-test/busybox:latest/tag?repo=extra/tag&tag=1" >/dev/null
for p in a b; do
    mkdir -p "$TMP/$RUN-$p"
    cat >"$TMP/$RUN-$p/compose.yaml" <<EOF
services:
  app:
    image: $IMAGE
    command: [sleep, "600"]
    volumes: [data:/data]
    networks: [back]
volumes:
  data:
networks:
  back:
EOF
    pds "$TMP/$RUN-$p" up -d --progress plain
done
papi POST "/containers/create?name=$RUN-loose" -H 'Content-Type: application/json' \
    -d "{\"Image\": \"$IMAGE\", \"Cmd\": [\"sleep\", \"600\"]}" >/dev/null
papi POST "/volumes/create" -H 'Content-Type: application/json' -d "{\"Name\": \"$RUN-unused\"}" >/dev/null
papi POST "/networks/create" -H 'Content-Type: application/json' -d "{\"Name\": \"$RUN-unused\"}" >/dev/null
before=$(listing)
main_before=$(main_listing)
check "the private engine holds two projects, a loose container, an image with two tags, an unused volume and network" \
    '[ "$(grep -c "^container" <<<"$before")" -eq 3 ] && [ "$(grep -c "^image" <<<"$before")" -eq 2 ] &&
     [ "$(grep -c "^volume" <<<"$before")" -eq 3 ] && grep -q "network $RUN-unused" <<<"$before"'

pds "$TMP" clear --all
check "clear --all without --yes and without a terminal refuses, naming --yes" \
    '[ $rc -ne 0 ] && [[ $out == *"no terminal to ask on"* && $out == *--yes* ]] && [ "$(listing)" = "$before" ]'

pds "$TMP" clear --all --dry-run
check "clear --all --dry-run lists every object with counts, and changes nothing" \
    '[ $rc -eq 0 ] && [[ $out == *"dry run: nothing will be changed"* && $out == *"everything on this engine"* ]] &&
     [[ $out == *"/$RUN-loose"* || $out == *"$RUN-loose"* ]] && [[ $out == *"extra/tag:1"* ]] && [[ $out == *"$RUN-unused"* ]] &&
     [[ $out == *"total: 3 containers, 3 networks, 3 volumes, 1 image"* ]] && [ "$(listing)" = "$before" ]'
check "... and leaves the predefined networks out" '[[ $out != *"  bridge"* && $out != *"  host"* && $out != *"  none"* ]]'

if command -v script >/dev/null; then
    out=$(cd "$TMP" && printf 'y\n' | DOCKER_HOST=unix://$PRIV script -qec "$DEVSTACK clear --all" /dev/null 2>&1)
    check "on a terminal, 'y' is not enough: --all needs the word 'yes' typed" \
        '[[ $out == *"Type '"'"'yes'"'"' to go on"* && $out == *"not confirmed: nothing was changed"* ]] && [ "$(listing)" = "$before" ]'
    out=$(cd "$TMP" && printf 'yes\n' | DOCKER_HOST=unix://$PRIV script -qec "$DEVSTACK clear --all --no-snapshot" /dev/null 2>&1)
    after=$(listing)
    check "typing 'yes' removes everything on the engine" \
        '[[ $out == *"removed 3 containers, 3 networks, 3 volumes, 1 image"* ]] && [ "$after" = "$(printf "network bridge\nnetwork host\nnetwork none")" ]'
else
    not_ok "on a terminal, --all needs the word 'yes' typed" "script (util-linux) is missing"
fi

# again from scratch, this time with --yes
papi POST /images/load --data-binary @"$TMP/image.tar" -H 'Content-Type: application/x-tar' >/dev/null
pds "$TMP/$RUN-a" up -d --progress plain
pds "$TMP" clear --all --yes --no-snapshot
check "clear --all --yes (no terminal) removes everything too" \
    '[ $rc -eq 0 ] && [ "$(listing)" = "$(printf "network bridge\nnetwork host\nnetwork none")" ]'
pds "$TMP" clear --all --yes
check "on an empty engine there is nothing to remove" '[ $rc -eq 0 ] && [[ $out == *"nothing to remove"* ]]'
check "the machine's engine was not touched: its devstack/* and test images are all there" \
    '[ -n "$main_before" ] && [ "$(main_listing)" = "$main_before" ]'

tap_done
