#!/usr/bin/env bash
# Benchmark (not a test): `devstack db current` against `alembic current`.
#
#   tests/bench/db-current.sh [RUNS [SERVERS]]
#       RUNS     timed runs per tool (default 10)
#       SERVERS  "mariadb postgres" (default), or one of them
#
# Generates an Alembic project with 200 linear revisions (each creates a table;
# the env.py of tests/fixtures/alembic) in a temporary directory, and for each
# server starts a private one (tests/lib/mariadb.sh, tests/lib/pg.sh),
# upgrades it to head with Alembic, then times both tools on the same project
# and database in the same run: with
# hyperfine when it is installed (apt-get install hyperfine), else a loop with
# `date +%s%N`. Both must print the same revision. Exits non-zero only when
# something breaks, never because of the figures.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
RUNS=${1:-10}
SERVERS=${2:-mariadb postgres}
REVISIONS=200
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1

die() { echo "db-current.sh: $*" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, not '$RUNS'"
for server in $SERVERS; do
    case $server in
    mariadb) module=pymysql package=python3-pymysql ;;
    postgres) module=psycopg2 package=python3-psycopg2 ;;
    *) die "SERVERS: '$server' is neither mariadb nor postgres" ;;
    esac
    "$PY" -c "import alembic, $module" 2>/dev/null ||
        die "$PY cannot import alembic and $module (apt-get install python3-alembic $package)"
done
"$DEVSTACK" db current --help >/dev/null 2>&1 || die "$DEVSTACK has no 'db current' (make)"

work=$(mktemp -d "${TMPDIR:-/tmp}/db-current.XXXXXX")
# shellcheck source=tests/lib/mariadb.sh
. "$ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/pg.sh
. "$ROOT/tests/lib/pg.sh"
cleanup() {
    mariadb_stop
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT

# ---- the project: 200 revisions in a line, Alembic 1.8's classic template
proj=$work/project
mkdir -p "$proj/migrations/versions"
cp "$ROOT/tests/fixtures/alembic/linear/alembic.ini" "$proj/"
cp "$ROOT/tests/fixtures/alembic/linear/migrations/env.py" \
    "$ROOT/tests/fixtures/alembic/linear/migrations/script.py.mako" "$proj/migrations/"
"$PY" - "$proj/migrations/versions" "$REVISIONS" <<'EOF'
import datetime
import random
import sys

versions, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(200)
ids, seen = [], set()
while len(ids) < count:
    rev = "%012x" % rng.getrandbits(48)
    if rev not in seen:
        seen.add(rev)
        ids.append(rev)
date = datetime.datetime(2023, 1, 2, 9, 0, 0, 123456)
down = None
for i, rev in enumerate(ids, 1):
    date += datetime.timedelta(hours=rng.randint(1, 90), seconds=rng.randint(0, 3599))
    message = "create table t%03d" % i
    with open("%s/%s_create_table_t%03d.py" % (versions, rev, i), "w") as f:
        f.write(f'''"""{message}

Revision ID: {rev}
Revises: {down or ""}
Create Date: {date}

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "t{i:03d}",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("t{i:03d}")
''')
    down = rev
EOF

# ---- for each server: the database at head, then the timings
bench_server() {
local server=$1
echo "== $server"
case $server in
mariadb)
    mariadb_start >"$work/mariadb.log" 2>&1 || { cat "$work/mariadb.log" >&2; die "MariaDB did not start"; }
    export DATABASE_URL=$MARIADB_URL ;;
postgres)
    pg_start >"$work/pg.log" 2>&1 || { cat "$work/pg.log" >&2; die "PostgreSQL did not start"; }
    export DATABASE_URL=$PG_URL ;;
esac
cd "$proj"
t0=$(date +%s%N)
"$PY" -m alembic upgrade head >"$work/upgrade.log" 2>&1 || { tail -n 20 "$work/upgrade.log" >&2; die "alembic upgrade head failed"; }
echo "project: $REVISIONS linear revisions; alembic upgrade head took $((($(date +%s%N) - t0) / 1000000)) ms"

alembic_out=$("$PY" -m alembic current 2>/dev/null) || die "alembic current failed"
devstack_out=$("$DEVSTACK" db current 2>"$work/devstack.err") || { cat "$work/devstack.err" >&2; die "devstack db current failed"; }
[ "$alembic_out" = "$devstack_out" ] ||
    die "the tools disagree: alembic prints '$alembic_out', devstack '$devstack_out'"
echo "both print: $devstack_out"
echo

# The client floor: the server's own command-line client, connecting as the
# same user over TCP and reading the same table (a new connection each run,
# as each tool makes). The password through the environment.
sql="SELECT version_num FROM alembic_version"
case $server in
mariadb)
    export MYSQL_PWD=$MARIADB_PASSWORD
    floor_name="mariadb -e (client floor)"
    floor_cmd="mariadb --protocol=TCP -h $MARIADB_HOST -P $MARIADB_PORT -u $MARIADB_USER -D $MARIADB_DATABASE -N -e '$sql'" ;;
postgres)
    # the server's own psql binary: Debian's /usr/bin/psql is a Perl wrapper
    # that picks a version, and its start alone costs more than a connection
    export PGPASSWORD=$PG_PASSWORD
    floor_name="psql -c (client floor)"
    floor_cmd="$(_pg_bindir)/psql -X -q -At -h $PG_HOST -p $PG_PORT -U $PG_USER -d $PG_DATABASE -c '$sql'" ;;
esac
ds_cmd="$DEVSTACK db current"
al_cmd="$PY -m alembic current"
if command -v hyperfine >/dev/null; then
    # -N: no shell in between (hyperfine splits the words, quotes kept together)
    hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$work/times.json" \
        --command-name "devstack db current" "$ds_cmd" \
        --command-name "alembic current" "$al_cmd" \
        --command-name "$floor_name" "$floor_cmd" >"$work/hyperfine.log" 2>&1 ||
        { cat "$work/hyperfine.log" >&2; die "hyperfine failed"; }
    "$PY" - "$work/times.json" "$RUNS" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
ds, al, floor = results
print("hyperfine, %s runs each (after 2 warm-up runs)        mean        min" % sys.argv[2])
for r in results:
    print("  %-42s %8.1f ms %8.1f ms" % (r["command"], r["mean"] * 1000, r["min"] * 1000))
print("  alembic / devstack: %.1fx (mean), %.1fx (min)" % (al["mean"] / ds["mean"], al["min"] / ds["min"]))
print("  devstack - client floor: %+.1f ms (mean), %+.1f ms (min)"
      % ((ds["mean"] - floor["mean"]) * 1000, (ds["min"] - floor["min"]) * 1000))
EOF
else
    echo "(hyperfine is not installed: a loop with date +%s%N)"
    # time_runs CMD: RUNS timings in us, one a line, after one warm-up run
    time_runs() {
        local t
        eval "$1" >/dev/null 2>&1 || die "$1 failed"
        for _ in $(seq "$RUNS"); do
            t=$(date +%s%N)
            eval "$1" >/dev/null 2>&1 || die "$1 failed"
            echo "$((($(date +%s%N) - t) / 1000))"
        done
    }
    stats() { awk '{ s += $1; if (NR == 1 || $1 < m) m = $1 } END { printf "%.1f %.1f", s / NR / 1000, m / 1000 }'; }
    read -r ds_mean ds_min <<<"$(time_runs "$ds_cmd" | stats)"
    read -r al_mean al_min <<<"$(time_runs "$al_cmd" | stats)"
    read -r fl_mean fl_min <<<"$(time_runs "$floor_cmd" | stats)"
    printf '%s runs each (after 1 warm-up run)                mean        min\n' "$RUNS"
    printf '  %-42s %8.1f ms %8.1f ms\n' "devstack db current" "$ds_mean" "$ds_min" "alembic current" "$al_mean" "$al_min" \
        "$floor_name" "$fl_mean" "$fl_min"
    awk -v a="$al_mean" -v d="$ds_mean" -v am="$al_min" -v dm="$ds_min" -v f="$fl_mean" -v fm="$fl_min" \
        'BEGIN { printf "  alembic / devstack: %.1fx (mean), %.1fx (min)\n  devstack - client floor: %+.1f ms (mean), %+.1f ms (min)\n", a / d, am / dm, d - f, dm - fm }'
fi
case $server in
mariadb) mariadb_stop ;;
postgres) pg_stop ;;
esac
echo
}

for server in $SERVERS; do
    bench_server "$server"
done
