#!/usr/bin/env bash
# `devstack db current|heads|history|check` on PostgreSQL side by side with
# real Alembic (Debian's python3-alembic with psycopg2, `/usr/bin/python3 -m
# alembic`) on projects of tests/fixtures/alembic and a private PostgreSQL 15
# (tests/lib/pg.sh); DATABASE_URL points both at it (the fixtures' env.py
# reads it). Both run in the same project directory against the same
# database, and their stdout must be equal; with several rows in
# alembic_version the lines of `current` are sorted first (Alembic's order
# comes from a Python set). `db check` has no Alembic 1.8 counterpart: it
# must pass exactly when the database is at the heads.
#
# States: no alembic_version table, every head applied (Alembic's upgrade),
# and for the branches project the two parents of its merge stamped (two
# rows); and a copy of linear whose env.py gives version_table and
# version_table_schema (and one devstack cannot read). Outside CI a missing
# PostgreSQL or psycopg2 is a skip; in CI a failure. TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"
# shellcheck source=tests/lib/pg.sh
. "$ROOT/tests/lib/pg.sh"
FIX=$ROOT/tests/fixtures/alembic
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_db_pg_parity.XXXXXX")
export PYTHONDONTWRITEBYTECODE=1 LC_ALL=C.UTF-8
unset ALEMBIC_CONFIG

cleanup() {
    pg_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

"$PY" -c 'import alembic, psycopg2, sqlalchemy' 2>/dev/null ||
    tap_cannot_run "$PY has alembic, psycopg2 and sqlalchemy (python3-alembic python3-psycopg2)"
_pg_bindir >/dev/null 2>&1 || tap_cannot_run "postgresql-15 is installed"
pg_start >"$TMP/pg.log" 2>&1 || tap_bail "a private PostgreSQL starts: $(tail -n 20 "$TMP/pg.log")"
# The app user's password holds '@', ':' and '/' (percent-encoded in the URL).
export DATABASE_URL=$PG_URL

# drop everything the app user made: an empty database
reset_db() {
    _pg_psql "DROP OWNED BY \"$PG_USER\"" >/dev/null
}

# dir PROJECT: a fixture's directory, or PROJECT itself when it is a path
dir() { if [[ $1 == /* ]]; then echo "$1"; else echo "$FIX/$1"; fi; }

# compare PROJECT STATE ARG...: devstack db ARG... and alembic ARG... print the same
compare() {
    local project=$1 state=$2 sort_lines=cat
    shift 2
    [ "$1" = current ] && sort_lines=sort
    (cd "$(dir "$project")" && "$DEVSTACK" db "$@" </dev/null 2>"$TMP/d.err" | $sort_lines >"$TMP/d.out")
    (cd "$(dir "$project")" && "$PY" -m alembic "$@" </dev/null 2>"$TMP/a.err" | $sort_lines >"$TMP/a.out")
    if cmp -s "$TMP/d.out" "$TMP/a.out" && [ -s "$TMP/a.out" -o "$1" = current ]; then
        ok "$project, $state: db $* prints what alembic $* prints"
    else
        not_ok "$project, $state: db $* prints what alembic $* prints" \
            "$(diff "$TMP/a.out" "$TMP/d.out"; cat "$TMP/d.err" "$TMP/a.err")"
    fi
}

# check_status PROJECT STATE WANT: devstack db check exits WANT
check_status() {
    local project=$1 state=$2 want=$3 rc
    (cd "$(dir "$project")" && "$DEVSTACK" db check </dev/null >"$TMP/c.out" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ]; then
        ok "$project, $state: db check exits $want"
    else
        not_ok "$project, $state: db check exits $want" "exit $rc: $(cat "$TMP/c.out")"
    fi
    if grep -qF -e "$PG_PASSWORD" -e "s3cr%40t" "$TMP/c.out" "$TMP/d.out" "$TMP/d.err"; then
        not_ok "$project, $state: no password in devstack's output" "$(cat "$TMP/c.out" "$TMP/d.err")"
    fi
}

alembic() {
    (cd "$(dir "$1")" && shift && "$PY" -m alembic "$@" </dev/null >"$TMP/up.log" 2>&1) ||
        not_ok "alembic $* in $1" "$(tail -n 20 "$TMP/up.log")"
}

all_views() {
    local project=$1 state=$2
    compare "$project" "$state" current
    compare "$project" "$state" current -v
    compare "$project" "$state" heads
    compare "$project" "$state" history
}

for project in linear branches multihead; do
    reset_db
    all_views "$project" "no alembic_version"
    check_status "$project" "no alembic_version" 1
    alembic "$project" upgrade heads
    all_views "$project" "at the heads"
    check_status "$project" "at the heads" 0
done

reset_db
alembic branches stamp 072e7c60bfae 61d2182bbe11
all_views branches "two branch tips stamped"
check_status branches "two branch tips stamped" 1

# env.py's version_table and version_table_schema: the rows are read from
# meta.dev_versions, where Alembic keeps them; public has no alembic_version
VT=$TMP/version-table
cp -rL "$FIX/linear" "$VT"
sed -i 's/context.configure(/context.configure(version_table="dev_versions", version_table_schema="meta", /' \
    "$VT/migrations/env.py"
reset_db
_pg_psql "DROP SCHEMA IF EXISTS meta CASCADE; CREATE SCHEMA meta AUTHORIZATION \"$PG_USER\"" >/dev/null
all_views "$VT" "version_table meta.dev_versions, none yet"
alembic "$VT" upgrade heads
out=$(_pg_psql "COPY (SELECT (SELECT count(*) FROM meta.dev_versions) || ' ' ||
    (to_regclass('public.alembic_version') IS NULL)) TO STDOUT" 2>&1)
check "alembic keeps its rows in meta.dev_versions (and there is no public.alembic_version)" \
    '[ "$out" = "1 true" ]'
all_views "$VT" "version_table meta.dev_versions, at the head"
check_status "$VT" "version_table meta.dev_versions, at the head" 0
out=$(cd "$VT" && "$DEVSTACK" doctor </dev/null 2>&1)
check "doctor reads meta.dev_versions too: the database is at the head" 'grep -Eq "^ *ok +revision +at head" <<<"$out"'

# databases a killed restore left beside the app's: doctor names them, drops nothing
_pg_psql "CREATE DATABASE ${PG_DATABASE}_replaced_4242" postgres >/dev/null
_pg_psql "CREATE DATABASE ${PG_DATABASE}_restore_4243" postgres >/dev/null
out=$(cd "$FIX/linear" && "$DEVSTACK" doctor </dev/null 2>&1)
left=$(_pg_psql "COPY (SELECT count(*) FROM pg_database WHERE datname LIKE '${PG_DATABASE}\_re%') TO STDOUT" postgres)
check "doctor names the databases a killed restore left, and leaves them" \
    'grep -Eq "warn +restore +a restore was killed before it finished: .${PG_DATABASE}_replaced_4242. \(the data a restore replaced\), .${PG_DATABASE}_restore_4243. \(a partial load\)" <<<"$out" && [ "$left" = 2 ]'
_pg_psql "DROP DATABASE ${PG_DATABASE}_replaced_4242" postgres >/dev/null
_pg_psql "DROP DATABASE ${PG_DATABASE}_restore_4243" postgres >/dev/null

# one devstack cannot read without running env.py: said, with the line
sed -i 's/version_table_schema="meta"/version_table_schema=SCHEMA/' "$VT/migrations/env.py"
out=$(cd "$VT" && "$DEVSTACK" db current </dev/null 2>&1)
rc=$?
line=$(grep -n 'version_table_schema=SCHEMA' "$VT/migrations/env.py" | head -n 1 | cut -d: -f1)
check "a version_table_schema devstack cannot read is an error naming env.py:$line" \
    '[ "$rc" -ne 0 ] && grep -qF "env.py:$line: version_table_schema= is not a string literal" <<<"$out"'

tap_done
