#!/usr/bin/env bash
# The bundled stack on PostgreSQL (DB_ENGINE=postgres in compose/.env), end to
# end on the real engine, in a copy of the repository: `devstack up -d --wait`
# brings up PostgreSQL, the backend on psycopg2 and asyncpg, nginx and Adminer;
# the API, Adminer (on its port and under /adminer/, with a real login), the
# bootstrapped migrations, `migrate` with a new model, `db current`, `reset`
# and the snapshot it took, `db shell`, and an engine switch of the running
# stack refused with its data untouched.
#
# The images are the ones `scripts/setup.sh` chose (compose/.env of this
# repository). The project is named dse2epg<pid> and uses free ports.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/engine.sh"
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/e2e.sh"
RUN=dse2epg$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_stack_postgres.XXXXXX")
WS=$TMP/ws
LIMIT=600 # seconds any one command may take before it counts as hung

# adminer_login BASE PASSWORD: logs in to Adminer at BASE as the app user (a
# fresh cookie jar); the page it lands on in out
adminer_login() {
    local jar=$TMP/jar.$RANDOM
    curl -sS --max-time 20 -c "$jar" -b "$jar" -o /dev/null "$1?pgsql=db"
    out=$(curl -sS --max-time 20 -L -c "$jar" -b "$jar" --data-urlencode "auth[driver]=pgsql" \
        --data-urlencode "auth[server]=db" --data-urlencode "auth[username]=$APP_USER" \
        --data-urlencode "auth[password]=$2" --data-urlencode "auth[db]=$APP_DB" "$1?pgsql=db")
    rc=$?
    [ "$2" = "$APP_PASSWORD" ] || return 0
    out=$(curl -sS --max-time 20 -c "$jar" -b "$jar" "$1?pgsql=db&username=$APP_USER&db=$APP_DB&ns=public")
}
cleanup() {
    [ -d "$WS" ] && (cd "$WS" && "$DEVSTACK" down -v --remove-orphans --progress quiet >/dev/null 2>&1)
    curl -sS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$RUN-backend?force=1" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- the copy, its settings
if [ ! -f "$ROOT/compose/.env" ]; then
    echo "not ok 1 - compose/.env exists: run 'scripts/setup.sh' (make setup) first, it chooses the stack's images"
    exit 1
fi
copy_repository "$WS"
API_PORT=$(free_port) ADMINER_PORT=$(free_port) DB_PORT=$(free_port)
{
    grep -vE '^(COMPOSE_PROJECT_NAME|DB_ENGINE|API_PORT|ADMINER_PORT|POSTGRES_PORT|POSTGRES_(DB|USER|PASSWORD|DATA))=' \
        "$ROOT/compose/.env"
    printf 'COMPOSE_PROJECT_NAME=%s\nDB_ENGINE=postgres\nAPI_PORT=%s\nADMINER_PORT=%s\nPOSTGRES_PORT=%s\n' \
        "$RUN" "$API_PORT" "$ADMINER_PORT" "$DB_PORT"
    printf 'POSTGRES_DB=shop\nPOSTGRES_USER=shopper\nPOSTGRES_PASSWORD=pg-e2e-pass.1\n'
} >"$WS/compose/.env"
chmod 600 "$WS/compose/.env"
APP_USER=shopper APP_PASSWORD=pg-e2e-pass.1 APP_DB=shop
echo "# images: $(grep -E '^(POSTGRES|PYTHON|NGINX|ADMINER)_IMAGE=' "$WS/compose/.env" | tr '\n' ' ')"
sql() { ds exec -T -e "PGPASSWORD=$APP_PASSWORD" db psql -h 127.0.0.1 -U "$APP_USER" -d "$APP_DB" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

# ---- up
ds up -d --wait --progress plain
check "devstack up -d --wait brings the stack up on PostgreSQL" '[ $rc -eq 0 ]'
check "... its four services: db, backend, nginx and Adminer, none of them phpMyAdmin" \
    '[ "$(grep -cE "^(db|backend|nginx|adminer) +running" <<<"$out")" -eq 4 ] && [[ $out != *phpmyadmin* ]]'
check "... with the URLs: the API, Adminer on its port and under /adminer/, PostgreSQL's published port" \
    '[[ $out == *"http://127.0.0.1:$API_PORT/docs"* && $out == *"http://127.0.0.1:$ADMINER_PORT/?pgsql=db"* &&
        $out == *"http://127.0.0.1:$API_PORT/adminer/?pgsql=db"* && $out == *"postgresql://127.0.0.1:$DB_PORT"* ]]'
check "... after saying when the app user could query the database" \
    '[[ $out == *"db: ready: '"'"'$APP_DB'"'"' answers queries as '"'"'$APP_USER'"'"'"* ]]'
check "... and the password never shows" '[[ $out != *"$APP_PASSWORD"* ]]'
ports=$(published_ports "$RUN")
check "every published port is bound to 127.0.0.1 only" \
    '[ "$ports" = "$(printf "127.0.0.1:%s\n" $API_PORT $ADMINER_PORT $DB_PORT | sort | tr "\n" " " | sed "s/ $//")" ]'

# ---- the API and the backend's drivers
http "http://127.0.0.1:$API_PORT/health"
check "/health through nginx: the app reaches PostgreSQL (asyncpg)" '[ "$code" = 200 ] && [[ $out == *"\"database\":\"reachable\""* ]]'
ds exec -T backend python3 -c 'from sqlalchemy import text; from app.core.database import engine, async_engine; print(engine.url.drivername, async_engine.url.drivername, engine.connect().execute(text("SELECT current_database()")).scalar())'
check "the backend's URLs are postgresql+psycopg2 and postgresql+asyncpg, for the app database" \
    '[ $rc -eq 0 ] && [ "$out" = "postgresql+psycopg2 postgresql+asyncpg $APP_DB" ]'

# ---- Adminer
for base in "http://127.0.0.1:$ADMINER_PORT/" "http://127.0.0.1:$API_PORT/adminer/"; do
    http "$base?pgsql=db"
    check "$base serves Adminer's login page" '[ "$code" = 200 ] && [[ $out == *"<title>Login - "*"Adminer"* ]]'
    adminer_login "$base" "$APP_PASSWORD"
    check "... the app user logs in and sees the tables of $APP_DB" \
        '[[ $out == *">notes<"* && $out == *">alembic_version<"* && $out != *"class='"'"'error'"'"'"* ]]'
done
adminer_login "http://127.0.0.1:$API_PORT/adminer/" not-the-password
check "a wrong password is refused, with PostgreSQL's reason" '[[ $out == *"password authentication failed"* ]]'

# ---- migrations: bootstrapped by the entrypoint, read natively from the host
ds db current
rev=$(grep -oE '^[0-9a-f]{12} \(head\)$' <<<"$out" | cut -c1-12)
check "db current on the host reads the bootstrapped revision from PostgreSQL" \
    '[ $rc -eq 0 ] && [ -n "$rev" ] && ls "$WS/devcontainer/migrations/versions/${rev}_"*initial*.py >/dev/null 2>&1'
sql "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"
check "the initial revision created the models' tables" '[ $rc -eq 0 ] && [ "$out" = "alembic_version notes" ]'
sed -i 's/^    title = .*$/&\n    priority = Column(Integer, nullable=False, server_default="0")/' \
    "$WS/devcontainer/app/features/notes/models.py"
ds migrate -m "add priority"
check "devstack migrate -m with a new column: generated on PostgreSQL and applied" \
    '[ $rc -eq 0 ] && [[ $out == *"op.add_column('"'"'notes'"'"'"* && $out == *"Context impl PostgresqlImpl"* && $out == *"database upgraded to "* ]]'
ds db history
check "db history shows both revisions, newest first" \
    '[ $rc -eq 0 ] && [ "$(wc -l <<<"$out")" -eq 2 ] && [[ "$(tail -n 1 <<<"$out")" == "<base> -> $rev, initial" ]] &&
     [[ "$(head -n 1 <<<"$out")" == "$rev -> "*" (head), add priority" ]]'
rev_before=$(ds db current && echo "$out")
ds db check
check "db check: at head" '[ $rc -eq 0 ] && [[ $out == *"up to date"* ]]'

# ---- data, reset, the snapshot back
sql "INSERT INTO notes (title, body, priority) VALUES ('héllo 😀 ünïcode', 'ça', 2), ('second', '', 0);
     CREATE TABLE extra (id serial PRIMARY KEY, b bytea, j jsonb, a int[], t timestamptz, n numeric(30,10));
     INSERT INTO extra (b, j, a, t, n) VALUES ('\\x00ff7f80275c0a0d', '{\"k\": [1, \"ü\"]}', '{1,NULL,3}',
       '2026-12-03 01:02:03.456789+05', 12345678901234567890.0123456789), (NULL, NULL, NULL, NULL, NULL)"
check "rows written: text, bytea, jsonb, arrays, timestamptz, numeric, NULLs" '[ $rc -eq 0 ]'
checksum() { sql "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (SELECT n::text AS x FROM notes n UNION ALL SELECT e::text FROM extra e UNION ALL SELECT v::text FROM alembic_version v UNION ALL SELECT last_value::text FROM extra_id_seq) s"; }
checksum
BEFORE=$out
ds reset --yes
check "reset --yes: a snapshot first, then the volume goes and the stack comes up again" \
    '[ $rc -eq 0 ] && [[ $out == *"snapshot: $WS/compose/.devstack/snapshots/$RUN."*".before-reset.sql.gz"* ]] &&
     [[ $out == *"deleted volume ${RUN}_db-data"* ]] && [[ $out == *"reset done"* ]]'
SNAP=$(grep -o "devstack db snapshot restore .*" <<<"$out" | awk '{print $5}')
sql "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'; SELECT count(*) FROM notes"
check "... the database is fresh: the models' tables, empty" '[ $rc -eq 0 ] && [ "$out" = "$(printf "alembic_version notes\n0")" ]'
ds db current
check "... with one new initial revision, at head" \
    '[[ $out == *"(head)" ]] && [ "$out" != "$rev_before" ] && [ "$(ls "$WS/devcontainer/migrations/versions/"*.py | wc -l)" -eq 1 ]'
ds db snapshot restore "$SNAP" --yes
check "db snapshot restore of the reset's snapshot succeeds" '[ $rc -eq 0 ] && [[ $out == *"restored '"'$APP_DB'"'"* ]]'
checksum
check "... every row is back byte-identical, the sequence's position too" '[ "$out" = "$BEFORE" ]'
ds db current
check "... and db current is the revision from before the reset, its files back" \
    '[ "$out" = "$rev_before" ] && [ "$(ls "$WS/devcontainer/migrations/versions/"*.py | wc -l)" -eq 2 ]'

# ---- psql in the db container
out=$(cd "$WS" && echo "SELECT 'sum=' || (40 + 2)" | timeout 60 "$DEVSTACK" db shell 2>&1)
rc=$?
check "db shell runs psql as the app user in the app database" '[ $rc -eq 0 ] && [[ $out == *"sum=42"* ]]'

# ---- the other engine on this stack's volume
sed -i 's/^DB_ENGINE=.*/DB_ENGINE=mysql/' "$WS/compose/.env"
printf 'MYSQL_PORT=%s\nPHPMYADMIN_PORT=%s\n' "$(free_port)" "$(free_port)" >>"$WS/compose/.env"
ds up -d
check "switching the running stack to MySQL is refused: the volume holds PostgreSQL's data" \
    '[ $rc -ne 0 ] && [[ $out == *"volume '"'${RUN}_db-data'"' holds PostgreSQL'"'"'s data"* ]] &&
     [[ $out == *"devstack reset --no-snapshot"* ]] && [[ $out == *DB_ENGINE* ]]'
sed -i 's/^DB_ENGINE=.*/DB_ENGINE=postgres/' "$WS/compose/.env"
checksum
check "... nothing was changed: PostgreSQL still runs with every row" '[ $rc -eq 0 ] && [ "$out" = "$BEFORE" ]'

# ---- down -v
ds down -v
check "down -v: no container, network or volume of the project is left" \
    '[ $rc -eq 0 ] && [ "$(label_count containers $RUN)" -eq 0 ] && [ "$(label_count networks $RUN)" -eq 0 ] && [ "$(label_count volumes $RUN)" -eq 0 ]'

tap_done
