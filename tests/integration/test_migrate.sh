#!/bin/bash
# devstack migrate and the db commands that run Alembic, on a plain Alembic
# project (no compose file) against a private MariaDB: bootstrap from nothing
# and again, migrate (operations shown, drops flagged, empty revisions taken
# back, refusal when behind), db wait, upgrade/downgrade/stamp/sql/merge, and
# every trouble `doctor` recognises, each reproduced and detected.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/mariadb.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_migrate.XXXXXX")
P=$TMP/project
cleanup() {
    mariadb_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

have_alembic() { /usr/bin/python3 -c 'import alembic, pymysql' 2>/dev/null; }
{ command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; } && have_alembic ||
    tap_cannot_run "mariadb-server and python3-alembic are installed"
mariadb_start || tap_bail "a private MariaDB starts"
export DATABASE_URL=$MARIADB_URL

# ds ARGS: devstack in the project, no compose file around it
ds() {
    out=$(cd "$P" && timeout 300 "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}
sql() { mariadb_sql "$1" 2>&1; }
revision_files() { find "$P/migrations/versions" -name '*.py' 2>/dev/null | wc -l; }

# The team's app shape: app/core/database.py with Base, app/features/<x>/models.py,
# app/features/__init__.py importing them; the repository's env.py template.
mkdir -p "$P/app/core" "$P/app/features/notes" "$P/templates"
touch "$P/app/__init__.py" "$P/app/core/__init__.py" "$P/app/features/notes/__init__.py"
cat >"$P/app/core/database.py" <<'PY'
from sqlalchemy.orm import declarative_base

Base = declarative_base()
PY
echo 'from app.features.notes import models  # noqa: F401' >"$P/app/features/__init__.py"
cp "$ROOT/devcontainer/app/features/notes/models.py" "$P/app/features/notes/models.py"
cp "$ROOT/devcontainer/templates/env.py" "$P/templates/env.py"
MODELS=$P/app/features/notes/models.py

# ---- usage
mkdir -p "$P"
ds db
check "db without a command: its commands listed, exit 2" '[ $rc -eq 2 ] && [[ $out == *"current"*"migrate"* || $out == *"Commands:"* ]]'
ds db frobnicate
check "an unknown db command: exit 2" '[ $rc -eq 2 ] && [[ $out == *"unknown db command '"'"'frobnicate'"'"'"* ]]'
ds db history --help
check "db history --help: its options" '[ $rc -eq 0 ] && [[ $out == *"--rev-range"* && $out == *"--indicate-current"* ]]'
ds db current
check "db current with no alembic.ini: what is missing and the fix" \
    '[ $rc -eq 1 ] && [[ $out == *"no alembic.ini at '"'"'$P/alembic.ini'"'"'"* && $out == *"devstack migrate --bootstrap"* ]]'
ds db wait --timeout soon
check "db wait with a bad --timeout: a usage error" '[ $rc -eq 2 ] && [[ $out == *"invalid --timeout"* ]]'
port=$(_mariadb_free_port)
out=$(cd "$P" && DATABASE_URL="mysql+pymysql://app:x@127.0.0.1:$port/app" timeout 60 "$DEVSTACK" db wait --timeout 1s 2>&1)
rc=$?
check "db wait on a closed port: times out after 1 s with the last reason" '[ $rc -eq 1 ] && [[ $out == *"refused"* ]]'
out=$(cd "$P" && DATABASE_URL="mysql+pymysql://app:wrong@127.0.0.1:$MARIADB_PORT/app" timeout 60 "$DEVSTACK" db wait --timeout 60s 2>&1)
rc=$?
check "db wait with a wrong password fails at once (no 60 s wait), the password never shown" \
    '[ $rc -eq 1 ] && [[ $out == *"denied"* && $out != *wrong* ]]'

# ---- db wait
ds db wait --timeout 10s
check "db wait: ready at once with DATABASE_URL" '[ $rc -eq 0 ] && [[ $out == "database '"'"'app'"'"' ready after "* ]]'

# ---- bootstrap from nothing
ds migrate --bootstrap
boot=$out
check "migrate --bootstrap creates alembic.ini and migrations/ (env.py from templates/env.py)" \
    '[ $rc -eq 0 ] && [ -f "$P/alembic.ini" ] && cmp -s "$P/templates/env.py" "$P/migrations/env.py"'
check "... alembic.ini points at %(here)s/migrations and holds no URL (no password in a file)" \
    'grep -qx "script_location = %(here)s/migrations" "$P/alembic.ini" && grep -qx "sqlalchemy.url = " "$P/alembic.ini" &&
     ! grep -q "$MARIADB_PORT" "$P/alembic.ini"'
first=$(ls "$P/migrations/versions/" | grep -oE '^[0-9a-f]{12}' | head -n 1)
out=$boot
check "... generates the first revision, 'initial', showing its operations" \
    '[ "$(revision_files)" -eq 1 ] && [[ $out == *"generated "*"_initial.py ($first)"* && $out == *"op.create_table('"'"'notes'"'"'"* ]]'
check "... and upgrades to head" '[[ $out == *"database upgraded to head $first"* ]]'
out=$(sql 'SELECT version_num FROM alembic_version')
check "alembic_version holds the first revision; the notes table exists" \
    '[ "$out" = "$first" ] && [ "$(sql "SHOW TABLES LIKE '"'"'notes'"'"'")" = notes ]'
ds db current
check "db current: the revision, as Alembic prints it" '[ $rc -eq 0 ] && [ "$out" = "$first (head)" ]'
before=$(cd "$P" && find . -type f | sort | xargs md5sum)
ds migrate --bootstrap
check "a second bootstrap has nothing to do and changes no file" \
    '[ $rc -eq 0 ] && [[ $out == *"database at head $first: nothing to do"* ]] &&
     [ "$(cd "$P" && find . -type f | sort | xargs md5sum)" = "$before" ]'

# ---- migrate
sed -i 's/^    title = .*$/&\n    priority = Column(Integer, nullable=False, server_default="0")/' "$MODELS"
ds migrate -m "add priority"
second=$(cd "$P" && "$DEVSTACK" db heads 2>/dev/null | cut -c1-12)
check "migrate -m: autogenerates the new column, shows it, upgrades" \
    '[ $rc -eq 0 ] && [[ $out == *"op.add_column('"'"'notes'"'"', sa.Column('"'"'priority'"'"'"* && $out == *"database upgraded to $second"* ]] &&
     [ "$second" != "$first" ] && [ "$(sql "SELECT version_num FROM alembic_version")" = "$second" ]'
ds migrate -m "nothing new"
check "migrate with no model change removes the empty revision and says so" \
    '[ $rc -eq 0 ] && [[ $out == *"no changes"* ]] && [ "$(revision_files)" -eq 2 ]'
sed -i '/priority = Column/d' "$MODELS"
ds migrate -m "drop priority"
check "a drop is flagged with '!' and a warning to review it" \
    '[ $rc -eq 0 ] && [[ $out == *"  ! op.drop_column('"'"'notes'"'"', '"'"'priority'"'"')"* && $out == *"warning: 1 drop above"* ]]'
third=$(cd "$P" && "$DEVSTACK" db heads 2>/dev/null | cut -c1-12)

# ---- the Alembic verbs
ds db downgrade -1
check "db downgrade -1 (a relative revision, not an option)" \
    '[ $rc -eq 0 ] && [ "$(sql "SELECT version_num FROM alembic_version")" = "$second" ]'
ds migrate -m "while behind"
check "migrate refuses when the database is behind, with Alembic's words and the fix" \
    '[ $rc -eq 1 ] && [[ $out == *"not at head $third (Alembic: Target database is not up to date)"* && $out == *"devstack db upgrade"* ]] &&
     [ "$(revision_files)" -eq 3 ]'
ds db check
check "db check when behind: exit 1 with why" '[ $rc -eq 1 ] && [[ $out == *"not up to date: at $second; head $third"* ]]'
ds db upgrade
check "db upgrade: to head" '[ $rc -eq 0 ] && [ "$(sql "SELECT version_num FROM alembic_version")" = "$third" ]'
ds db check
check "db check at head: exit 0" '[ $rc -eq 0 ] && [[ $out == *"up to date: at head $third"* ]]'
ds db sql "$first:$second"
check "db sql A:B prints the upgrade's SQL without running it" \
    '[ $rc -eq 0 ] && [[ $out == *"ALTER TABLE notes ADD COLUMN priority"* ]] && [ "$(sql "SELECT version_num FROM alembic_version")" = "$third" ]'
ds db stamp "$first"
check "db stamp REV records it without migrating" \
    '[ $rc -eq 0 ] && [ "$(sql "SELECT version_num FROM alembic_version")" = "$first" ]'
ds db stamp head
ds db upgrade nonexistent
check "a failing Alembic command passes its exit code on" '[ $rc -ne 0 ] && [[ $out == *"nonexistent"* ]]'

# ---- doctor: each trouble reproduced and detected
ds doctor
check "doctor on a healthy project: the database section says ok" \
    '[[ $out == *"Database"* && $out == *"at head $third"* && $out == *"target_metadata"* ]]'

# a revision that no file has, after a branch switch: git knows where the file is
(cd "$P" && git init -q && git add -A && git -c user.email=t@t -c user.name=t commit -qm base)
gone=$(ls "$P/migrations/versions/" | grep "^$third")
(cd "$P" && git rm -q "migrations/versions/$gone" && git -c user.email=t@t -c user.name=t commit -qm "drop it")
ds db current
check "db current at a revision no file has: Alembic's error, and the git command that restores it" \
    '[ $rc -eq 1 ] && [[ $out == *"Can'"'"'t locate revision identified by '"'"'$third'"'"'"* && $out == *"git -C $P checkout "*"^ -- migrations/versions/$gone"* ]]'
ds doctor
check "doctor: FAIL revision, with restore, stamp and reset offered" \
    '[ $rc -eq 1 ] && [[ $out == *"FAIL  revision"*"no revision file has"* && $out == *"restore its file: git -C $P checkout"* && $out == *"devstack db stamp --purge $second"* && $out == *"devstack reset"* ]]'
ds migrate -m x
check "migrate refuses, naming the missing revision" '[ $rc -eq 1 ] && [[ $out == *"'"'"'$third'"'"', which no revision file has"* ]]'
(cd "$P" && git checkout -q HEAD^ -- "migrations/versions/$gone")

# behind
ds db stamp "$first"
ds doctor
check "doctor: the database behind head" '[[ $out == *"warn  revision"*"behind: at $first, head $third"* && $out == *"devstack db upgrade"* ]]'
ds db upgrade

# several heads
cat >"$P/migrations/versions/ffff00000001_side.py" <<PY
"""side branch

Revision ID: ffff00000001
Revises: $second
Create Date: 2026-11-22 10:00:00
"""
revision = 'ffff00000001'
down_revision = '$second'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
PY
ds doctor
check "doctor: two heads, merge offered" '[[ $out == *"warn  heads"*"2 heads"* && $out == *"devstack db merge"* ]]'
ds db check
check "db check with two heads: exit 1, merge offered" '[ $rc -eq 1 ] && [[ $out == *"db merge"* ]]'
ds db merge -m "join heads"
check "db merge -m: one head again" '[ $rc -eq 0 ] && [ "$(cd "$P" && "$DEVSTACK" db heads | wc -l)" -eq 1 ]'
ds db upgrade
check "... and upgrade applies both branches" '[ $rc -eq 0 ] && [ "$(sql "SELECT COUNT(*) FROM alembic_version")" = 1 ]'
head=$(cd "$P" && "$DEVSTACK" db heads | cut -c1-12)

# tables but no alembic_version
sql 'DROP TABLE alembic_version' >/dev/null
ds doctor
check "doctor: tables without alembic_version, stamping a baseline offered" \
    '[[ $out == *"FAIL  alembic_version"*"no alembic_version table"* && $out == *"devstack db stamp REV"* ]]'
ds migrate --bootstrap
check "bootstrap refuses instead of failing on 'Table already exists'" \
    '[ $rc -eq 1 ] && [[ $out == *"has 1 table but no revision applied"* && $out == *"db stamp"* ]]'
ds db stamp head

# env.py without target_metadata
cp "$P/migrations/env.py" "$TMP/env.py"
sed -i 's/^target_metadata = .*/target_metadata = None/' "$P/migrations/env.py"
ds doctor
check "doctor: env.py with target_metadata = None (autogenerate finds nothing)" \
    '[[ $out == *"warn  env.py"*"target_metadata = None"* && $out == *"import every models module"* ]]'
cp "$TMP/env.py" "$P/migrations/env.py"

# no URL anywhere
out=$(cd "$P" && env -u DATABASE_URL "$DEVSTACK" doctor 2>&1)
check "doctor: alembic.ini without a URL and no DATABASE_URL" \
    '[[ $out == *"has no sqlalchemy.url and DATABASE_URL is not set"* && $out == *"FAIL  database"* ]]'
out=$(cd "$P" && env -u DATABASE_URL "$DEVSTACK" db current 2>&1)
rc=$?
check "db current without a URL: a clear error, exit 1" '[ $rc -eq 1 ] && [[ $out == *"no database URL"* && $out == *"hint: set DATABASE_URL="* ]]'

# the database unreachable: the readiness reason
port=$(_mariadb_free_port)
out=$(cd "$P" && DATABASE_URL="mysql+pymysql://app:x@127.0.0.1:$port/app" "$DEVSTACK" doctor 2>&1)
check "doctor: the database unreachable, with the reason (refused)" '[[ $out == *"FAIL  database"*"unreachable (refused)"* ]]'
out=$(cd "$P" && DATABASE_URL="mysql+pymysql://app:wrong@127.0.0.1:$MARIADB_PORT/app" "$DEVSTACK" doctor 2>&1)
check "... and a wrong password (auth denied), never printing it" \
    '[[ $out == *"unreachable (auth denied)"* && $out != *":wrong@"* ]]'

# ---- a bootstrap when only the migrations folder is missing, with Alembic's generic env.py
rm -rf "$P/migrations" "$P/templates"
sql 'DROP TABLE notes' >/dev/null
sql 'DROP TABLE alembic_version' >/dev/null
ds migrate --bootstrap
check "bootstrap with alembic.ini but no migrations/: generic env.py taught DATABASE_URL" \
    '[ $rc -eq 0 ] && grep -q "os.environ\[\"DATABASE_URL\"\]" "$P/migrations/env.py" && [[ $out == *"generic env.py"* ]] &&
     [ "$(revision_files)" -eq 1 ]'
check "... with an empty initial revision and a warning that autogenerate needs target_metadata" \
    '[[ $out == *"warning: env.py sets no target_metadata"* ]] && [ "$(sql "SELECT COUNT(*) FROM alembic_version")" = 1 ]'
ds migrate -m "more"
check "migrate with that env.py: a clear error instead of an Alembic failure" \
    '[ $rc -eq 1 ] && [[ $out == *"sets no target_metadata"* && $out == *"hint: set target_metadata = Base.metadata"* ]]'

# ---- two at once: the app container's entrypoint and the dev container's postStartCommand
# both bootstrap; `make db-migrate` in two terminals. They take turns on alembic.ini's directory.
T=$TMP/twin
mkdir -p "$T/templates"
cp -r "$P/app" "$T/app"
cp "$ROOT/devcontainer/templates/env.py" "$T/templates/env.py"
sql 'DROP TABLE alembic_version' >/dev/null
tds() { # devstack in the twin project
    out=$(cd "$T" && timeout 300 "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}
hold() { # hold SECONDS: another process holds the twin's directory (flock(1)); its pid in holder
    flock "$T" sleep "$1" &
    holder=$!
    for _ in $(seq 50); do grep -q "FLOCK .*WRITE $holder " /proc/locks && break; sleep 0.1; done
}
hold 4
tds migrate --bootstrap --no-lock-wait
check "migrate --no-lock-wait while another holds the directory: exit 1 at once, naming it" \
    '[ $rc -eq 1 ] && [[ $out == *"the Alembic directory '"'$T'"' is busy: '"'flock $T sleep 4'"' (pid $holder, since "*") is changing it"* ]] &&
     [ ! -e "$T/alembic.ini" ]'
wait "$holder"
pids=()
for i in 1 2 3; do
    (cd "$T" && timeout 300 "$DEVSTACK" migrate --bootstrap </dev/null >"$TMP/boot$i.out" 2>&1) &
    pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
out=$(cat "$TMP"/boot[123].out)
check "three bootstraps at once all succeed, those after the first waiting for it" \
    '[ $rc -eq 0 ] && [ "$(grep -c "^waiting for '"'devstack migrate'"' (pid [0-9]*, since [0-9:]*) to finish with the migrations in '"'$T'"'\$" <<<"$out")" -ge 1 ]'
head=$(cd "$T" && "$DEVSTACK" db heads 2>/dev/null | cut -c1-12)
check "... one revision generated, the others found it done: one head, the database at it" \
    '[ "$(find "$T/migrations/versions" -name "*.py" | wc -l)" = 1 ] && [ "$(grep -c "^generated " <<<"$out")" = 1 ] &&
     [ "$(grep -c "nothing to do" <<<"$out")" = 2 ] && [ "$(sql "SELECT version_num FROM alembic_version")" = "$head" ]'
hold 3
tds db stamp base --no-lock-wait
check "db stamp --no-lock-wait while another holds the directory: exit 1, nothing stamped" \
    '[ $rc -eq 1 ] && [[ $out == *"is busy: '"'flock $T sleep 3'"'"* ]] && [ "$(sql "SELECT version_num FROM alembic_version")" = "$head" ]'
tds db stamp base
check "db stamp without it: waits for the holder, then stamps" \
    '[ $rc -eq 0 ] && [[ $out == *"waiting for '"'flock $T sleep 3'"' (pid $holder, since "*") to finish with the migrations in '"'$T'"'"* ]] &&
     [ "$(sql "SELECT COUNT(*) FROM alembic_version")" = 0 ]'
wait "$holder"

tap_done
