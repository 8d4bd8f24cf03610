#!/usr/bin/env bash
# Anonymous volumes across a recreate, against the real engine: a file's
# `- /data` and an image's VOLUME (an image built FROM the busybox test image
# with a VOLUME line) keep their data through an env change and through
# --force-recreate, the new container mounting the old volumes (none leaked);
# `up -V` gives new empty ones and leaves the old ones, named in a warning,
# as Compose v2 leaves them. Where `docker compose` (v2) is installed the same
# steps run through it, and both must agree. Every project is named
# dsrec<pid>-<x>; the EXIT trap removes them, and the volumes -V left.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dsrec$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_recreate.XXXXXX")
LEFT=() # volumes -V leaves behind: this test's to remove

cleanup() {
    remove_projects "$RUN"
    for v in "${LEFT[@]}"; do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/volumes/$v" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# mounts CONTAINER: "target=volume-name" per volume mount, sorted
mounts() {
    api "/containers/$1/json" |
        python3 -c 'import json,sys; print(" ".join(sorted(m["Destination"]+"="+m.get("Name","") for m in json.load(sys.stdin)["Mounts"] if m["Type"]=="volume")))'
}
volume_exists() { api "/volumes/$1" >/dev/null 2>&1; }
names_of() { # "t=a t=b": "a b"
    local m
    for m in $1; do printf '%s ' "${m#*=}"; done
}

# lifecycle PROJECT SINCE: the container events of PROJECT since SINCE (unix time) as "action name"
# lines, exec and attach left out, a temporary name's id prefix written as ID_
lifecycle() {
    past_events "$2" "$(($(date +%s) + 1))" "{\"type\":[\"container\"],\"label\":[\"com.docker.compose.project=$1\"]}" | python3 -c '
import json, re, sys
for line in sys.stdin:
    e = json.loads(line)
    if e["Action"].split(":")[0] in ("exec_create", "exec_start", "exec_die", "attach", "resize"):
        continue
    print(e["Action"], re.sub(r"^[0-9a-f]{12}_", "ID_", e["Actor"]["Attributes"]["name"]))' |
        # the engine's own events of a stop: kill, die, stop (20.10) or kill, stop, die (26.1);
        # Podman's: die, then cleanup, and init before start; it names a removal remove, and
        # reports a stop only now and then (after the die), so on Podman a stop is left out
        sed -e "${podman_stop:-}" -e '/^stop /{N;s/^\(stop [^\n]*\)\n\(die .*\)$/\2\n\1/}' \
            -e '/^cleanup /d' -e '/^init /d' -e 's/^remove /destroy /'
}
podman_stop=
on_podman && podman_stop='/^stop /d'
container_id() { api "/containers/$1/json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])'; }
running() { api "/containers/$1/json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["State"]["Running"])'; }
project_names() { # PROJECT: the names of its containers, sorted
    local q
    q=$(python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps({"label":["com.docker.compose.project="+sys.argv[1]]})))' "$1")
    api "/containers/json?all=1&filters=$q" | python3 -c 'import json,sys; print(" ".join(sorted(c["Names"][0].lstrip("/") for c in json.load(sys.stdin))))'
}

A=$TMP/$RUN-a
mkdir -p "$A"
printf 'FROM %s\nVOLUME /vol\n' "$IMAGE" >"$A/Dockerfile"
cat >"$A/compose.yaml" <<EOF
services:
  s:
    build: .
    init: true
    command: [sleep, '600']
    environment:
      X: \${X:-1}
    volumes: [/data]
EOF

ds "$A" up -d --progress plain
check "up -d builds the image with a VOLUME and starts the service" '[ $rc -eq 0 ]'
C=$RUN-a-s-1
ds "$A" exec -T s sh -c 'echo kept >/data/f && echo kept >/vol/f'
check "a file is written into the file's anonymous volume and the image's" '[ $rc -eq 0 ]'
first=$(mounts "$C")
check "the container has two anonymous volumes, at /data and /vol" \
    '[[ $first == "/data="?* && $first == *" /vol="?* ]]'

X=2 ds "$A" up -d --progress plain
upout=$out
check "an env change recreates the container" '[ $rc -eq 0 ] && [[ $out == *"Recreating: configuration changed"* ]]'
ds "$A" exec -T s cat /data/f /vol/f
check "both files survive the env change" '[ $rc -eq 0 ] && [ "$out" = "kept
kept" ]'
check "the new container mounts the old volumes: none left behind" '[ "$(mounts "$C")" = "$first" ]'
out=$upout
check "no warning about a volume left behind" '[[ $out != *"no longer mounted"* ]]'

X=2 ds "$A" up -d --force-recreate --progress plain
check "up --force-recreate recreates" '[ $rc -eq 0 ] && [[ $out == *"Recreating: --force-recreate"* ]]'
ds "$A" exec -T s cat /data/f /vol/f
check "both files survive --force-recreate" '[ $rc -eq 0 ] && [ "$out" = "kept
kept" ]'
check "still the same two volumes" '[ "$(mounts "$C")" = "$first" ]'

X=2 ds "$A" up -d --force-recreate -V --progress plain
upout=$out
check "up --force-recreate -V succeeds" '[ $rc -eq 0 ]'
for v in $(names_of "$first"); do LEFT+=("$v"); done
ds "$A" exec -T s sh -c 'ls -A /data /vol'
check "-V gives new, empty volumes" '[ $rc -eq 0 ] && [ "$out" = "/data:

/vol:" ]'
renewed=$(mounts "$C")
check "-V mounts other volumes at both paths" \
    '[[ $renewed == "/data="?* && $renewed == *" /vol="?* ]] && [ "$(names_of "$renewed")" != "$(names_of "$first")" ]'
kept=0
for v in $(names_of "$first"); do volume_exists "$v" && [[ $upout == *"kept as '$v'"* ]] && kept=$((kept + 1)); done
out=$upout
check "-V leaves the old volumes on the engine, as Compose does, and names each in a warning" '[ $kept -eq 2 ]'

# --no-recreate and a config change: nothing is recreated, the files stay
ds "$A" exec -T s sh -c 'echo again >/data/f'
X=3 ds "$A" up -d --no-recreate --progress plain
check "--no-recreate leaves the container alone" '[ $rc -eq 0 ] && [[ $out != *Recreating* ]]'

# down -v removes the anonymous volumes a recreate handed over by name (the engine's rm -v keeps those)
X=4 ds "$A" up -d --progress plain
check "another env change carries the renewed volumes" '[ $rc -eq 0 ] && [ "$(mounts "$C")" = "$renewed" ]'
ds "$A" down -v --progress plain
gone=0
for v in $(names_of "$renewed"); do volume_exists "$v" || gone=$((gone + 1)); done
check "down -v removes them" '[ $rc -eq 0 ] && [ $gone -eq 2 ]'


# ---- the order of a recreate: the new container beside the old one first, as Compose does
R=$TMP/$RUN-r
PR=$RUN-r
mkdir -p "$R"
cat >"$R/compose.yaml" <<EOF
services:
  s:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    environment:
      X: \${X:-1}
    security_opt: ["\${SECOPT:-no-new-privileges:false}"]
    volumes: [/data]
EOF
ds "$R" up -d --progress quiet
ds "$R" exec -T s sh -c 'echo kept >/data/f'
sleep 1.1 # events are timed to the second: none of the first up's after t0
t0=$(date +%s)
X=2 ds "$R" up -d --progress quiet
ds_order=$(lifecycle "$PR" "$t0")
stop_events="kill $PR-s-1
die $PR-s-1
stop $PR-s-1"
on_podman && stop_events="die $PR-s-1" # Podman reports no kill, and a stop only now and then
check "a recreate creates the new container as <id>_<name>, then stops and removes the old one, renames and starts the new" \
    '[ "$ds_order" = "create ID_$PR-s-1
$stop_events
destroy $PR-s-1
rename $PR-s-1
start $PR-s-1" ]'
old=$(container_id "$PR-s-1")
X=3 SECOPT=bogus ds "$R" up -d --progress quiet
check "a new container the engine refuses to create fails the up, naming the service" \
    '[ $rc -ne 0 ] && [[ $out == *"security-opt"* ]] && [[ $out == *"s"* ]]'
check "... and leaves the old container running as it was, nothing else beside it" \
    '[ "$(container_id "$PR-s-1")" = "$old" ] && [ "$(running "$PR-s-1")" = True ] && [ "$(project_names "$PR")" = "$PR-s-1" ]'
# an up killed after the new container was created: the temporary one is in the way
curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/json' -X POST \
    -d "{\"Image\":\"$IMAGE\",\"Cmd\":[\"true\"],\"Labels\":{\"com.docker.compose.project\":\"$PR\",\"com.docker.compose.service\":\"s\",\"com.docker.compose.container-number\":\"1\",\"com.docker.compose.oneoff\":\"False\"}}" \
    "http://localhost/v1.41/containers/create?name=${old:0:12}_$PR-s-1" >/dev/null
X=4 ds "$R" up -d --progress quiet
ds "$R" exec -T s cat /data/f
check "a temporary container an interrupted recreate left is replaced; the data carried over" \
    '[ $rc -eq 0 ] && [ "$out" = kept ] && [ "$(project_names "$PR")" = "$PR-s-1" ]'
# an up killed after the old container was removed: only the temporary one is left
cur=$(container_id "$PR-s-1")
curl -fsS --unix-socket "$SOCK" -X POST "http://localhost/v1.41/containers/$cur/rename?name=${cur:0:12}_$PR-s-1"
X=4 ds "$R" up -d --progress plain
upout=$out
ds "$R" exec -T s cat /data/f
check "a container left under its temporary name is recreated under its own, the data carried over" \
    '[ "$out" = kept ] && [[ $upout == *"Recreating: an interrupted recreate left it under a temporary name"* ]] && [ "$(project_names "$PR")" = "$PR-s-1" ]'
ds "$R" down -v --progress quiet

# ---- Compose v2 side by side, on the image devstack built
if docker compose version 2>/dev/null | grep -q 'version v\?2'; then
    B=$TMP/$RUN-b
    mkdir -p "$B"
    cat >"$B/compose.yaml" <<EOF
services:
  s:
    image: $RUN-a-s
    init: true
    command: [sleep, '600']
    environment:
      X: \${X:-1}
    volumes: [/data]
EOF
    # shellcheck disable=SC2034  # rc and out are read by check
    dc() { out=$(cd "$B" && docker compose "$@" </dev/null 2>&1); rc=$?; }
    dc up -d
    dc exec -T s sh -c 'echo kept >/data/f && echo kept >/vol/f'
    cfirst=$(mounts "$RUN-b-s-1")
    sleep 1.1
    t0=$(date +%s)
    X=2 dc up -d
    c_order=$(lifecycle "$RUN-b" "$t0")
    if [ "${c_order//$RUN-b/P}" = "${ds_order//$RUN-r/P}" ]; then
        ok "compose: recreates in the same order"
    else
        not_ok "compose: recreates in the same order" \
            "$(printf 'Compose:\n%s\ndevstack:\n%s' "${c_order//$RUN-b/P}" "${ds_order//$RUN-r/P}")"
    fi
    dc exec -T s cat /data/f /vol/f
    check "compose: both files survive the env change too" '[ $rc -eq 0 ] && [ "$out" = "kept
kept" ] && [ "$(mounts "$RUN-b-s-1")" = "$cfirst" ]'
    X=2 dc up -d --force-recreate
    dc exec -T s cat /data/f /vol/f
    check "compose: and --force-recreate" '[ $rc -eq 0 ] && [ "$out" = "kept
kept" ] && [ "$(mounts "$RUN-b-s-1")" = "$cfirst" ]'
    X=2 dc up -d --force-recreate -V
    for v in $(names_of "$cfirst"); do LEFT+=("$v"); done
    dc exec -T s sh -c 'ls -A /data /vol'
    ckept=0
    for v in $(names_of "$cfirst"); do volume_exists "$v" && ckept=$((ckept + 1)); done
    check "compose: -V gives empty volumes and leaves the old ones too" '[ "$out" = "/data:

/vol:" ] && [ $ckept -eq 2 ]'
    # the other way round: devstack recreating what Compose made carries its volumes too
    dc exec -T s sh -c 'echo kept >/data/f'
    cnow=$(mounts "$RUN-b-s-1")
    X=5 ds "$B" up -d --progress plain
    check "devstack recreates Compose's container after an env change" '[ $rc -eq 0 ] && [[ $out == *Recreating* ]]'
    ds "$B" exec -T s cat /data/f
    check "and the new container has Compose's volumes and the file" \
        '[ "$out" = kept ] && [ "$(mounts "$RUN-b-s-1")" = "$cnow" ]'
    ds "$B" down -v --progress plain
    gone=0
    for v in $(names_of "$cnow"); do volume_exists "$v" || gone=$((gone + 1)); done
    check "devstack down -v removes them too" '[ $rc -eq 0 ] && [ $gone -eq 2 ]'
elif [ "${CI:-}" = true ]; then
    not_ok "compose: side by side: docker compose v2 is installed" \
        "setup installs it (scripts/setup.sh --deps-only, as root); nothing may skip in CI"
else
    ok "compose: side by side # SKIP docker compose v2 is not installed (scripts/setup.sh --deps-only installs it)"
fi

# ---- clear (last: it removes the image) lists and removes them too (the engine keeps them when it removes the container)
ds "$A" up -d --progress quiet
X=9 ds "$A" up -d --progress quiet
handed=$(mounts "$C")
ds "$A" clear --yes
listed=0 gone=0
for v in $(names_of "$handed"); do
    [[ $out == *"$v"* ]] && listed=$((listed + 1))
    volume_exists "$v" || gone=$((gone + 1))
done
check "clear lists the anonymous volumes a recreate handed over, and removes them" \
    '[ $rc -eq 0 ] && [ $listed -eq 2 ] && [ $gone -eq 2 ]'

tap_done
