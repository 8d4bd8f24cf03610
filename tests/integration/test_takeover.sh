#!/usr/bin/env bash
# Two checkouts of one project under one name, against the real engine: the
# second one's commands that change the project (up, down, start, stop,
# restart) stop and name the directory that owns the containers, which stay
# untouched; ps and logs work and say whose they are; the same directory by
# another path is not another checkout; --take-over recreates them from the
# second checkout's files, the named volume's data kept. A project whose
# .env.example leaves COMPOSE_PROJECT_NAME empty gets each clone's own name
# on its first up, the one scripts/seed-env.sh gives. Every project is named
# dsrec<pid>-...; the EXIT trap removes them.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
test_image_ensure "$SOCK" || tap_bail "the test image $TEST_IMAGE is in the engine: $TEST_IMAGE_ERROR"
RUN=dsrec$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_takeover.XXXXXX")
NAME=$RUN-own

cleanup() {
    remove_projects "$RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

# container_field EXPR: of the project's one container (python over inspect's JSON, as d)
container_field() {
    api "/containers/$NAME-s-1/json" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

for clone in first second; do
    mkdir -p "$TMP/$clone/app"
    echo "$clone" >"$TMP/$clone/app/which"
    cat >"$TMP/$clone/app/compose.yaml" <<EOF
name: $NAME
services:
  s:
    image: $IMAGE
    init: true
    command: [sh, -c, 'cat /src/which; exec sleep 600']
    volumes: [./:/src:ro, data:/data]
volumes:
  data:
EOF
done
A=$TMP/first/app B=$TMP/second/app
ln -s "$A" "$TMP/first-link"

ds "$A" up -d --progress quiet
check "the first checkout's up -d succeeds" '[ $rc -eq 0 ]'
ds "$A" exec -T s sh -c 'echo precious >/data/f'
# shellcheck disable=SC2034  # read by the checks
id=$(container_field 'd["Id"]')

ds "$B" up -d --progress quiet
check "the second checkout's up refuses" '[ $rc -eq 1 ]'
check "and says which directory owns the containers, and the ways out" \
    '[[ $out == *"error: project '"'$NAME'"' belongs to another checkout"* && $out == *"was made in '"'$A'"'"* && $out == *"not in '"'$B'"'"* && $out == *"--take-over"* && $out == *COMPOSE_PROJECT_NAME* ]]'
check "the first checkout's container is untouched: same id, running, its directory" \
    '[ "$(container_field "d[\"Id\"]")" = "$id" ] && [ "$(container_field "d[\"State\"][\"Running\"]")" = True ] && [ "$(container_field "d[\"Config\"][\"Labels\"][\"com.docker.compose.project.working_dir\"]")" = "$A" ]'

for cmd in down stop start restart "up -d --force-recreate"; do
    # shellcheck disable=SC2086  # the command and its options, as words
    ds "$B" $cmd
    check "'$cmd' in the second checkout refuses" \
        '[ $rc -eq 1 ] && [[ $out == *"belongs to another checkout"* ]] && [ "$(container_field "d[\"Id\"]")" = "$id" ] && [ "$(container_field "d[\"State\"][\"Running\"]")" = True ]'
done

ds "$B" ps
check "ps in the second checkout works and notes whose they are" \
    '[ $rc -eq 0 ] && [[ $out == *"$NAME-s-1"* && $out == *"note: the containers of project '"'$NAME'"' were made in '"'$A'"'"* ]]'
ds "$B" logs
check "logs in the second checkout works and notes it too" \
    '[ $rc -eq 0 ] && [[ $out == *first* && $out == *"note:"* ]]'
ds "$A" ps
check "ps in the first checkout has no note" '[ $rc -eq 0 ] && [[ $out != *note:* ]]'

ds "$TMP" -f "$TMP/first-link/compose.yaml" restart --progress plain
check "the first checkout by another path (a symlink) is the same checkout: restart works" \
    '[ $rc -eq 0 ] && [[ $out != *"another checkout"* ]] && [ "$(container_field "d[\"Id\"]")" = "$id" ]'

ds "$B" up -d --take-over --progress plain
check "up --take-over in the second checkout recreates the container, with a warning" \
    '[ $rc -eq 0 ] && [[ $out == *"warning: taking project '"'$NAME'"' over from '"'$A'"'"* && $out == *"Recreating: taken over from another checkout"* ]]'
check "the container is now the second checkout's" \
    '[ "$(container_field "d[\"Config\"][\"Labels\"][\"com.docker.compose.project.working_dir\"]")" = "$B" ]'
ds "$B" exec -T s cat /src/which /data/f
check "it runs the second checkout's files, with the named volume's data kept" \
    '[ $rc -eq 0 ] && [ "$out" = "second
precious" ]'

ds "$A" up -d --progress quiet
check "now the first checkout is the one refused" '[ $rc -eq 1 ] && [[ $out == *"was made in '"'$B'"'"* ]]'
ds "$A" down --take-over --progress quiet
check "down --take-over in the first checkout removes them" \
    '[ $rc -eq 0 ] && ! api "/containers/$NAME-s-1/json" >/dev/null 2>&1'

# ---- a project whose .env.example leaves COMPOSE_PROJECT_NAME empty, as the bundled stack's does:
# each clone's first up names it after itself, as scripts/seed-env.sh (make setup) does
for clone in one two; do
    mkdir -p "$TMP/clones/$clone/$RUN-repo/.git" "$TMP/clones/$clone/$RUN-repo/compose"
    printf '# the project\nCOMPOSE_PROJECT_NAME=\nGREETING=hi\n' >"$TMP/clones/$clone/$RUN-repo/compose/.env.example"
    cat >"$TMP/clones/$clone/$RUN-repo/compose/compose.yaml" <<EOF
services:
  s:
    image: $IMAGE
    init: true
    command: [sleep, '600']
EOF
done
C1=$TMP/clones/one/$RUN-repo/compose C2=$TMP/clones/two/$RUN-repo/compose
bash "$ROOT/scripts/seed-env.sh" "$C1/.env" >/dev/null && mv "$C1/.env" "$TMP/seeded-by-script"
ds "$C1" up -d --progress quiet
# shellcheck disable=SC2034  # read by the checks
name1=$(sed -n 's/^COMPOSE_PROJECT_NAME=//p' "$C1/.env" 2>/dev/null)
check "the first up makes .env with the clone's own name: the repository's directory, six hex digits" \
    '[ $rc -eq 0 ] && [ "$name1" = "$RUN-repo-$(printf "%s" "$(cd "$C1" && pwd -P)" | sha256sum | cut -c1-6)" ] && [[ $out == *"created .env from .env.example"* ]]'
check "the name devstack writes is the one scripts/seed-env.sh writes" \
    '[ "$(sed -n "s/^COMPOSE_PROJECT_NAME=//p" "$TMP/seeded-by-script")" = "$name1" ]'
ds "$C2" up -d --progress quiet
# shellcheck disable=SC2034  # read by the checks
name2=$(sed -n 's/^COMPOSE_PROJECT_NAME=//p' "$C2/.env" 2>/dev/null)
check "the second clone's up gets another name and its own container, no refusal" \
    '[ $rc -eq 0 ] && [ -n "$name2" ] && [ "$name2" != "$name1" ] && api "/containers/$name1-s-1/json" >/dev/null && api "/containers/$name2-s-1/json" >/dev/null'

# ---- Alembic run from the host in the app's container: that container must be this checkout's
for clone in first second; do
    mkdir -p "$TMP/$clone/alembic/migrations/versions"
    printf '[alembic]\nscript_location = %%(here)s/migrations\n' >"$TMP/$clone/alembic/alembic.ini"
    cat >"$TMP/$clone/alembic/compose.yaml" <<EOF
name: $RUN-alembic
services:
  app:
    image: $IMAGE
    init: true
    command: [sleep, '600']
    working_dir: /code
    environment: {DATABASE_URL: 'mysql://u:p@db/app'}
    volumes: [./:/code]
EOF
done
ds "$TMP/first/alembic" up -d --progress quiet
ds "$TMP/second/alembic" db upgrade head
check "db upgrade in the second checkout refuses to run Alembic in the first one's app container" \
    '[ $rc -ne 0 ] && [[ $out == *"belongs to another checkout"* ]] && [[ $out == *"would run that checkout"* ]]'
ds "$TMP/first/alembic" db upgrade head
check "... while in the first checkout it goes to the app container (which has no devstack here)" \
    '[[ $out != *"belongs to another checkout"* ]]'

tap_done
