#!/usr/bin/env bash
# The bundled stack end to end, on the real engine, as a user meets it: a copy
# of the repository (so the test may edit the app and never touches the
# working tree) brought up by `devstack up -d --wait`, then checked through
# its published ports: FastAPI through nginx, /health reaching MySQL,
# phpMyAdmin on its port and under /phpmyadmin/ with a real login, the first
# start's init.sql, a live reload of an edited file, the logs nginx writes,
# and `down -v` leaving nothing. Then the same checkout as a dev container,
# driven by the official devcontainers CLI.
#
# The images are the ones `scripts/setup.sh` chose (compose/.env of this
# repository): official where a registry answers, stand-ins otherwise.
# The project is named dse2e<pid> and uses free ports, so a stack the
# developer runs is not disturbed. TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/e2e.sh"
RUN=dse2e$$
DC_RUN=dse2edc$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_stack.XXXXXX")
WS=$TMP/ws
LIMIT=600 # seconds any one command may take before it counts as hung

# pma_login BASE USER PASSWORD: logs in to phpMyAdmin at BASE (a fresh cookie
# jar); leaves the answer to the form in posted and the page after it in out
pma_login() {
    local base=$1 jar=$TMP/jar.$RANDOM page token session
    page=$(curl -sS --max-time 20 -c "$jar" -b "$jar" "$base")
    token=$(grep -o 'name="token" value="[^"]*"' <<<"$page" | head -n 1 | sed 's/.*value="//; s/"$//')
    session=$(grep -o 'name="set_session" value="[^"]*"' <<<"$page" | head -n 1 | sed 's/.*value="//; s/"$//')
    posted=$(curl -sS --max-time 20 -c "$jar" -b "$jar" \
        --data-urlencode "pma_username=$2" --data-urlencode "pma_password=$3" --data-urlencode "server=1" \
        --data-urlencode "token=$token" --data-urlencode "set_session=$session" "${base}index.php?route=/")
    out=$(curl -sS --max-time 20 -L -c "$jar" -b "$jar" "${base}index.php?route=/")
    rc=$?
}
remove_images() { # the images built for a project, by devstack (-) and docker-compose 1.29 (_)
    local p
    for p in "$@"; do
        for image in "$p-db" "$p-backend" "${p}_db" "${p}_backend"; do
            curl -sS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$image?force=1" >/dev/null 2>&1
        done
    done
}
cleanup() {
    [ -d "$WS" ] && (cd "$WS" && "$DEVSTACK" down -v --progress quiet >/dev/null 2>&1)
    [ -d "$WS" ] && (cd "$WS" && COMPOSE_PROJECT_NAME=$DC_RUN "$DEVSTACK" down -v --progress quiet >/dev/null 2>&1)
    remove_images "$RUN" "$DC_RUN"
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- the copy, its settings
if [ ! -f "$ROOT/compose/.env" ]; then
    echo "not ok 1 - compose/.env exists: run 'scripts/setup.sh' (make setup) first, it chooses the stack's images"
    exit 1
fi
copy_repository "$WS"
API_PORT=$(free_port) PMA_PORT=$(free_port) DB_PORT=$(free_port)
sed -e "s/^COMPOSE_PROJECT_NAME=.*/COMPOSE_PROJECT_NAME=$RUN/" -e "s/^API_PORT=.*/API_PORT=$API_PORT/" \
    -e "s/^PHPMYADMIN_PORT=.*/PHPMYADMIN_PORT=$PMA_PORT/" -e "s/^MYSQL_PORT=.*/MYSQL_PORT=$DB_PORT/" \
    "$ROOT/compose/.env" >"$WS/compose/.env"
chmod 600 "$WS/compose/.env"
APP_USER=$(env_value MYSQL_USER) APP_PASSWORD=$(env_value MYSQL_PASSWORD) APP_DB=$(env_value MYSQL_DATABASE)
echo "# images: $(grep '_IMAGE=' "$WS/compose/.env" | tr '\n' ' ')"

# ---- up
start=$(date +%s%N)
ds up -d --wait --progress plain
elapsed=$((($(date +%s%N) - start) / 1000000))
echo "# devstack up -d --wait: $elapsed ms; $(grep -o "Container $RUN-db-1  Healthy  [0-9.]*s" <<<"$out" | head -n 1)"
check "devstack up -d --wait brings the four services up" '[ $rc -eq 0 ]'
check "... and ends with the URLs on 127.0.0.1 and every service healthy" \
    '[[ $out == *"http://127.0.0.1:$API_PORT/"* && $out == *"http://127.0.0.1:$PMA_PORT/"* && $out == *"mysql://127.0.0.1:$DB_PORT"* ]] &&
     [ "$(grep -cE "^(db|backend|nginx|phpmyadmin) +running \(healthy\)" <<<"$out")" -eq 4 ]'
check "... after saying when the app user could query the database" \
    '[[ $out == *"db: ready: '"'"'$APP_DB'"'"' answers queries as '"'"'$APP_USER'"'"', "*" s after up started"* ]]'
ports=$(published_ports "$RUN")
check "every published port is bound to 127.0.0.1 only" \
    '[ "$ports" = "$(printf "127.0.0.1:%s\n" $API_PORT $PMA_PORT $DB_PORT | sort | tr "\n" " " | sed "s/ $//")" ]'

# ---- the API through nginx
http "http://127.0.0.1:$API_PORT/"
check "GET / through nginx answers from FastAPI" '[ "$code" = 200 ] && [ "$out" = "{\"message\":\"Hello from FastAPI\"}" ]'
http "http://127.0.0.1:$API_PORT/health"
check "/health: the database is reachable from the app" '[ "$code" = 200 ] && [[ $out == *"\"database\":\"reachable\""* ]]'
http "http://127.0.0.1:$API_PORT/docs"
check "/docs: FastAPI's API documentation" '[ "$code" = 200 ] && [[ $out == *swagger* ]]'
http "http://127.0.0.1:$API_PORT/" -H "X-Forwarded-For: 203.0.113.9"
check "nginx writes its access log into nginx/log/ of the checkout" \
    'sleep 1; grep -q "GET /health" "$WS/nginx/log/access.log"'

# ---- phpMyAdmin
for base in "http://127.0.0.1:$PMA_PORT/" "http://127.0.0.1:$API_PORT/phpmyadmin/"; do
    http "$base"
    check "$base serves phpMyAdmin's login page" '[ "$code" = 200 ] && [[ $out == *"<title>phpMyAdmin</title>"* && $out == *login_form* ]]'
    pma_login "$base" "$APP_USER" "$APP_PASSWORD"
    check "... and the app user logs in and sees its databases ($APP_DB and ${APP_DB}_test)" \
        '[[ $out != *login_form* && $out == *"db=$APP_DB\""* && $out == *"${APP_DB}_test"* ]]'
done
pma_login "http://127.0.0.1:$PMA_PORT/" "$APP_USER" "not-the-password"
check "a wrong password is refused, with the server's reason" '[[ $out == *login_form* && $posted == *"Access denied"* ]]'
http "http://127.0.0.1:$API_PORT/phpmyadmin"
check "/phpmyadmin redirects to /phpmyadmin/ on the published port" \
    '[ "$code" = 301 ] && curl -sSI "http://127.0.0.1:$API_PORT/phpmyadmin" | grep -qi "^location: /phpmyadmin/"'

# ---- MySQL
greeting=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$DB_PORT; head -c 24 <&3" 2>/dev/null | tr -c '[:print:]' ' ')
check "MySQL answers on its published port" '[[ $greeting == *[0-9].[0-9]* ]]'
sql() { ds exec -T -e "MYSQL_PWD=$APP_PASSWORD" db mysql --protocol=TCP -h 127.0.0.1 -u "$APP_USER" -N -e "$1"; }
sql "SELECT @@character_set_server, @@collation_server"
check "the server speaks utf8mb4 with the 0900 (or MariaDB's uca1400) accent-insensitive collation" \
    '[ $rc -eq 0 ] && [[ $out == utf8mb4*utf8mb4_0900_ai_ci* || $out == utf8mb4*utf8mb4_uca1400_ai_ci* ]]'
sql "CREATE TABLE ${APP_DB}_test.probe (id INT); INSERT INTO ${APP_DB}_test.probe VALUES (7); SELECT id FROM ${APP_DB}_test.probe; DROP TABLE ${APP_DB}_test.probe"
check "init.sql made ${APP_DB}_test and gave it to the app user" '[ $rc -eq 0 ] && [ "$out" = 7 ]'

# ---- the backend container
ds exec -T backend devstack --version
check "devstack is on PATH inside the backend container" '[ $rc -eq 0 ] && [[ $out == "devstack version "* ]]'
ds exec -T backend python3 -c 'from sqlalchemy import text; from app.core.database import engine; import app.features; from app.core.database import Base; print(engine.connect().execute(text("SELECT DATABASE()")).scalar(), sorted(Base.metadata.tables))'
check "the app's sync engine reaches the database from DATABASE_URL; the features' models are registered" \
    '[ $rc -eq 0 ] && [ "$out" = "$APP_DB ['"'"'notes'"'"']" ]'
ds ps --format json
check "the backend is healthy (ps)" \
    '[ "$(python3 -c "import json, sys; print([c[\"Health\"] for c in json.loads(sys.argv[1]) if c[\"Service\"] == \"backend\"][0])" "$out")" = healthy ]'

# ---- migrations: bootstrapped by the entrypoint, read natively from the host
ds exec -T backend devstack db current
rev=$(grep -oE '^[0-9a-f]{12} \(head\)$' <<<"$out" | cut -c1-12)
check "devstack exec backend devstack db current prints the bootstrapped revision (head)" '[ $rc -eq 0 ] && [ -n "$rev" ]'
check "... generated by the entrypoint's migrate --bootstrap into devcontainer/migrations/ of the checkout" \
    '[ -f "$WS/devcontainer/alembic.ini" ] && ls "$WS/devcontainer/migrations/versions/${rev}_"*initial*.py >/dev/null 2>&1 &&
     grep -q "^from app.core.database import Base" "$WS/devcontainer/migrations/env.py"'
ds db current
check "devstack db current on the host reads the same revision natively (db service's published port)" \
    '[ $rc -eq 0 ] && [ "$out" = "$rev (head)" ]'
ds db check
check "db check on the host: at head, exit 0" '[ $rc -eq 0 ] && [[ $out == *"up to date"* ]]'
ds exec -T backend python3 -c 'from sqlalchemy import text; from app.core.database import engine; print(sorted(r[0] for r in engine.connect().execute(text("SHOW TABLES"))))'
check "the initial revision created the models' tables" '[ $rc -eq 0 ] && [ "$out" = "['"'"'alembic_version'"'"', '"'"'notes'"'"']" ]'
sed -i 's/^    title = .*$/&\n    priority = Column(Integer, nullable=False, server_default="0")/' \
    "$WS/devcontainer/app/features/notes/models.py"
ds migrate -m "add priority"
check "devstack migrate -m on the host runs in the backend: the new column generated and applied" \
    '[ $rc -eq 0 ] && [[ $out == *"op.add_column('"'"'notes'"'"'"* && $out == *"database upgraded to "* ]]'
ds db history
check "db history shows both revisions, newest first" \
    '[ $rc -eq 0 ] && [ "$(wc -l <<<"$out")" -eq 2 ] && [[ "$(tail -n 1 <<<"$out")" == "<base> -> $rev, initial" ]] &&
     [[ "$(head -n 1 <<<"$out")" == "$rev -> "*" (head), add priority" ]]'
ds restart backend
ds exec -T backend devstack migrate --bootstrap
check "migrate --bootstrap again (as on every start): nothing to do" '[ $rc -eq 0 ] && [[ $out == *"nothing to do"* ]]'

# ---- live reload
sed -i 's/Hello from FastAPI/Hello from the edited app/' "$WS/devcontainer/app/main.py"
for _ in $(seq 1 100); do
    http "http://127.0.0.1:$API_PORT/"
    [[ $out == *edited* ]] && break
    sleep 0.2
done
check "an edit of app/main.py on the host changes the answer (uvicorn --reload)" '[[ $out == *"Hello from the edited app"* ]]'

# ---- a second up changes nothing
ds up -d --progress plain
check "a second up leaves the running stack alone" \
    '[ $rc -eq 0 ] && ! grep -qE "Recreat|Creat|Start" <<<"$out" && [[ $out == *"http://127.0.0.1:$API_PORT/"* ]]'

# ---- snapshots and reset: the ritual, with a safety net
sql "INSERT INTO $APP_DB.notes (title, body) VALUES ('héllo 😀 ünïcode', 'ça'), ('second', '');
     CREATE TABLE $APP_DB.extra (id INT AUTO_INCREMENT PRIMARY KEY, b BLOB, n INT NULL, t VARCHAR(40) CHARACTER SET utf8mb4);
     CREATE TABLE $APP_DB.extra_log (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(40));
     CREATE TRIGGER $APP_DB.extra_ins AFTER INSERT ON $APP_DB.extra FOR EACH ROW INSERT INTO $APP_DB.extra_log (msg) VALUES (CONCAT('row ', NEW.id));
     INSERT INTO $APP_DB.extra (b, n, t) VALUES (UNHEX('00FF7F80275C0A0D'), NULL, 'ça va ✓'), ('', 3, NULL), (NULL, NULL, '')"
check "rows written: utf8mb4 text, binary blobs, NULLs, and a trigger that fired" \
    '[ $rc -eq 0 ] && sql "SELECT COUNT(*) FROM $APP_DB.extra_log" && [ "$out" = 3 ]'
checksums() { sql "CHECKSUM TABLE $APP_DB.notes, $APP_DB.extra, $APP_DB.extra_log, $APP_DB.alembic_version EXTENDED"; }
checksums
BEFORE_RESET=$out
rev_before=$(ds db current && echo "$out")
ds reset
check "reset without --yes and without a terminal lists what goes and refuses" \
    '[ $rc -ne 0 ] && [[ $out == *"DELETE the database'"'"'s data: volume '"'"'${RUN}_db-data'"'"'"* ]] &&
     [[ $out == *"move $WS/devcontainer/alembic.ini and $WS/devcontainer/migrations/ to "* ]] && [[ $out == *--yes* ]]'
checksums
check "... and changes nothing" '[ "$out" = "$BEFORE_RESET" ]'

ds stop db
ds reset --yes
check "reset with the database down refuses: no snapshot can be taken" \
    '[ $rc -ne 0 ] && [[ $out == *"cannot keep a snapshot of the database, so nothing was deleted"* ]] && [[ $out == *--no-snapshot* ]]'
ds start db
ds db wait --timeout 120s
checksums
check "... and the data is still there" '[ "$out" = "$BEFORE_RESET" ]'

ds reset --yes
check "reset --yes: snapshot first, then the data and the migrations go, and the stack comes up again" \
    '[ $rc -eq 0 ] && [[ $out == *"snapshot: $WS/compose/.devstack/snapshots/$RUN."*".before-reset.sql.gz"* ]] &&
     [[ $out == *"deleted volume ${RUN}_db-data"* ]] && [[ $out == *"reset done"* ]] &&
     [[ $out == *"bring it back with: devstack db snapshot restore $RUN."* ]]'
SNAP=$(grep -o "devstack db snapshot restore .*" <<<"$out" | awk '{print $5}')
sql "SELECT COUNT(*) FROM $APP_DB.notes; SHOW TABLES FROM $APP_DB LIKE 'extra%'"
check "the database is fresh: the models' tables, empty; the other tables gone" '[ $rc -eq 0 ] && [ "$out" = 0 ]'
ds db current
rev_after=$out
check "migrations were bootstrapped again: one new initial revision, at head" \
    '[[ $rev_after == *"(head)" ]] && [ "$rev_after" != "$rev_before" ] &&
     [ "$(ls "$WS/devcontainer/migrations/versions/"*.py | wc -l)" -eq 1 ]'
check "the old alembic.ini and migrations/ were moved aside, not deleted" \
    'ls "$WS"/compose/.devstack/reset-*/alembic.ini >/dev/null && [ "$(ls "$WS"/compose/.devstack/reset-*/migrations/versions/*.py | wc -l)" -eq 2 ]'
ds db snapshots
check "db snapshots lists the reset's snapshot with its revision" \
    '[ $rc -eq 0 ] && [[ $out == *"${SNAP%.sql.gz}"* ]] && [[ $out == *"before-reset"* ]]'
ds db snapshot restore "$SNAP" --yes
checksums
if [ "$out" = "$BEFORE_RESET" ]; then
    ok "db snapshot restore brings back every row byte-identical (CHECKSUM TABLE of 4 tables)"
else
    not_ok "db snapshot restore brings back every row byte-identical (CHECKSUM TABLE of 4 tables)" \
        "$(diff <(echo "$BEFORE_RESET") <(echo "$out"))"
fi
sql "INSERT INTO $APP_DB.extra (t) VALUES ('after'); SELECT COUNT(*) FROM $APP_DB.extra_log"
check "... and the trigger is back and fires" '[ "$out" = 4 ]'
check "... and the revision files the reset moved aside are back: the database and the files agree" \
    '[ "$(ls "$WS/devcontainer/migrations/versions/"*.py | wc -l)" -eq 2 ] && ls "$WS"/compose/.devstack/restore-*/migrations/versions/*.py >/dev/null'
ds up -d --wait
check "the next up comes up: Alembic finds the database's revision" '[ $rc -eq 0 ]'
ds db current
check "... and db current is the revision from before the reset" '[ $rc -eq 0 ] && [ "$out" = "$rev_before" ]'

ds reset --yes --keep-data
check "reset --keep-data: a snapshot, then a new initial revision stamped on the kept data" \
    '[ $rc -eq 0 ] && [[ $out == *".before-reset.sql.gz"* ]] && [[ $out == *"database stamped with head "* ]] && [[ $out != *"deleted volume"* ]]'
sql "SELECT COUNT(*) FROM $APP_DB.notes"
check "... the rows are still there" '[ "$out" = 2 ]'
NEW_INITIAL=$(ls "$WS/devcontainer/migrations/versions/"*.py 2>/dev/null)
check "... and the new initial revision creates the whole schema (notes with its priority column)" \
    '[ "$(echo "$NEW_INITIAL" | wc -l)" -eq 1 ] && grep -q "op.create_table(.notes" $NEW_INITIAL && grep -q "priority" $NEW_INITIAL'
ds db check
check "... at which the database is stamped: db check says up to date" '[ $rc -eq 0 ]'

# ---- the mysql client in the db container
out=$(cd "$WS" && echo "SELECT CONCAT('sum=', 40 + 2)" | timeout 60 "$DEVSTACK" db shell 2>&1)
rc=$?
check "db shell runs the server's client as the app user in the app database" \
    '[ $rc -eq 0 ] && [[ $out == *"sum=42"* ]]'
(cd "$WS" && echo "SELECT SLEEP(5)" | timeout 60 "$DEVSTACK" db shell >/dev/null 2>&1) &
shell_pid=$!
for _ in $(seq 100); do # until the client runs (slow under valgrind)
    # a row's columns joined: Podman runs ps in the container for these ps_args and gives each line whole
    out=$(api "/containers/$RUN-db-1/top?ps_args=-eo%20pid,args" | python3 -c 'import json, sys; print("\n".join(" ".join(p) for p in json.load(sys.stdin)["Processes"]))')
    [[ $out == *"--user=$APP_USER"* ]] && break
    sleep 0.2
done
wait $shell_pid
check "the password never appears in the db container's process list" \
    '[[ $out == *"--user=$APP_USER --database=$APP_DB"* ]] && [[ $out != *"$APP_PASSWORD"* ]]'
out=$(cd "$WS" && echo "SELECT CURRENT_USER()" | timeout 60 "$DEVSTACK" db shell --root 2>&1)
check "db shell --root connects as root" '[[ $out == *"root@"* ]]'

# ---- clear: what docker_clear.sh did, scoped to the project, after a snapshot
# the images' names as the file gives them (Podman names an image without a registry localhost/NAME)
image_ids() { api "/images/json" | python3 -c 'import json, re, sys; print(" ".join(sorted(re.sub(r"^(localhost|docker\.io/library|docker\.io)/", "", t) for i in json.load(sys.stdin) for t in (i.get("RepoTags") or []))))'; }
images_before=$(image_ids)
ds clear --dry-run
check "clear --dry-run lists the project's containers, volumes and built images, and changes nothing" \
    '[ $rc -eq 0 ] && [[ $out == *"dry run: nothing will be changed"* && $out == *"$RUN-db-1"* && $out == *"${RUN}_db-data"* && $out == *"$RUN-backend:latest"* ]] &&
     [ "$(label_count containers $RUN)" -eq 4 ] && [ "$images_before" = "$(image_ids)" ]'
ds clear --yes
check "clear --yes snapshots the database first, then removes everything of the project" \
    '[ $rc -eq 0 ] && [[ $out == *"snapshot: $WS/compose/.devstack/snapshots/$RUN."*".before-clear.sql.gz"* ]] &&
     [ "$(label_count containers $RUN)" -eq 0 ] && [ "$(label_count networks $RUN)" -eq 0 ] && [ "$(label_count volumes $RUN)" -eq 0 ]'
images_after=$(image_ids)
check "... the images built for it go; the stand-in and pulled images stay" \
    '[[ " $images_after " != *" $RUN-backend:latest "* && " $images_after " != *" $RUN-db:latest "* ]] &&
     [[ " $images_after " == *" $(env_value NGINX_IMAGE) "* && " $images_after " == *" $(env_value MYSQL_IMAGE) "* ]]'

# ---- down -v
ds down -v
check "down -v: no container, network or volume of the project is left" \
    '[ $rc -eq 0 ] && [ "$(label_count containers $RUN)" -eq 0 ] && [ "$(label_count networks $RUN)" -eq 0 ] && [ "$(label_count volumes $RUN)" -eq 0 ]'

# ---- the dev container (the official devcontainers CLI, through docker-compose)
if ! command -v devcontainer >/dev/null; then
    not_ok "the devcontainers CLI is installed (scripts/setup.sh installs it)" "devcontainer: not found"
    tap_done
    exit
fi
sed -i "s/^COMPOSE_PROJECT_NAME=.*/COMPOSE_PROJECT_NAME=$DC_RUN/" "$WS/compose/.env"
out=$(cd "$WS" && timeout $LIMIT devcontainer read-configuration --workspace-folder . 2>/dev/null)
rc=$?
check "devcontainer read-configuration finds .devcontainer.json without flags" \
    '[ $rc -eq 0 ] && [[ $out == *"\"service\":\"backend\""* && $out == *"compose/docker-compose.yml"* ]]'
# The devcontainers CLI brings the stack up with `docker compose up`, which waits for the
# db's service_healthy: Podman without systemd runs no healthcheck, so there it never returns
if on_podman; then
    differs devcontainer-up "devcontainer up brings the stack up with Compose, and the container it starts serves devstack"
else
    out=$(cd "$WS" && timeout $LIMIT devcontainer up --workspace-folder . 2>"$TMP/dc.log")
    rc=$?
    err=$(tail -n 20 "$TMP/dc.log")
    check "devcontainer up succeeds, with the project name of compose/.env" \
        '[ $rc -eq 0 ] && [[ $out == *"\"outcome\":\"success\""* && $out == *"\"composeProjectName\":\"$DC_RUN\""* ]]'
    err=
    out=$(cd "$WS" && timeout 60 devcontainer exec --workspace-folder . devstack db current 2>&1)
    rc=$?
    check "devcontainer exec --workspace-folder . devstack db current prints the revision" \
        '[ $rc -eq 0 ] && [[ $out =~ ^[0-9a-f]{12}\ \(head\)$ ]]'
    out=$(cd "$WS" && timeout 60 devcontainer exec --workspace-folder . python3 -c 'import os; from sqlalchemy import text; from app.core.database import engine; print(os.getcwd(), engine.connect().execute(text("SELECT 1")).scalar())' 2>&1)
    rc=$?
    check "... in the workspace folder, with the database reachable" '[ $rc -eq 0 ] && [[ $out == *"/workspace/devcontainer 1"* ]]'
    ds ps --format json
    check "devstack sees the containers the devcontainers CLI started (same project, same labels)" \
        '[ "$(python3 -c "import json, sys; print(len(json.loads(sys.argv[1])))" "$out")" -eq 4 ]'
fi
ds down -v
check "devstack down -v removes them" \
    '[ $rc -eq 0 ] && [ "$(label_count containers $DC_RUN)" -eq 0 ] && [ "$(label_count volumes $DC_RUN)" -eq 0 ]'

tap_done
