#!/usr/bin/env bash
# Benchmark (not a test): `devstack db dump` and `db restore` on PostgreSQL
# beside the server's own tools, pg_dump and psql, in one run.
#
#   tests/bench/db-dump-pg.sh [ROWS] [RUNS]     (default 300000 rows, 3 runs)
#
# A private PostgreSQL 15 (tests/lib/pg.sh) gets a database of three tables:
# ROWS rows of mixed columns (bigint, text with non-ASCII, a 200-byte bytea,
# timestamptz, jsonb, an array, NULLs) and two small ones. devstack (which
# runs this host's pg_dump and psql, DATABASE_URL pointing at the server)
# and pg_dump dump it, plain and gzip (pg_dump piped through gzip -6, as a
# script would), alternating; then devstack's plain dump is loaded back by
# `devstack db restore` (check, new database, load, swap, drop the old one)
# and by what replaces a database by hand: DROP DATABASE, CREATE DATABASE,
# `psql --single-transaction` (all timed: dropping the loaded data costs a
# checkpoint either way). Reported: the median wall time, the peak RSS of the
# timed process, the size, and devstack's time as a share of the peer's.
# With the devstack/postgres:15 image on the engine, a second part does the
# same in a compose project (tbench-pgdump): devstack runs pg_dump and psql
# in the db container through the Engine API, beside `docker exec` of the
# same pg_dump and psql. Exits non-zero only when something breaks.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
ROWS=${1:-300000}
RUNS=${2:-3}

die() { echo "db-dump-pg.sh: $*" >&2; exit 1; }
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a positive number"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
command -v pg_dump >/dev/null && command -v psql >/dev/null || die "no pg_dump or psql"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"

work=$(mktemp -d "${TMPDIR:-/tmp}/db-dump-pg.XXXXXX")
chmod 755 "$work"
# shellcheck source=tests/lib/pg.sh
. "$ROOT/tests/lib/pg.sh"
cleanup() {
    pg_stop
    [ -f "$work/proj/compose.yaml" ] && (cd "$work/proj" && docker compose -p tbench-pgdump down -v \
        >/dev/null 2>&1)
    rm -rf "$work"
}
trap cleanup EXIT
pg_start >/dev/null 2>&1 || die "the private PostgreSQL did not start"
_pg_psql "ALTER ROLE \"$PG_USER\" CREATEDB" postgres >/dev/null
export DATABASE_URL=$PG_URL PGPASSWORD=$PG_PASSWORD PGHOST=$PG_HOST PGPORT=$PG_PORT PGUSER=$PG_USER
app() { psql -X -q -v ON_ERROR_STOP=1 -d "${1:-$PG_DATABASE}" "${@:2}"; }

echo "# filling the database: $ROWS rows"
app "$PG_DATABASE" -c "
CREATE TABLE items (id int PRIMARY KEY, n bigint, name text, body bytea, at timestamptz,
  note text, doc jsonb, tags int[]);
INSERT INTO items SELECT g, g::bigint * 7919, 'item ' || g || ' ünïcode ✓',
  decode(repeat(md5(g::text), 7) || substr(md5(g::text), 1, 16), 'hex'),
  to_timestamp(1700000000 + g), CASE WHEN g % 3 = 0 THEN NULL ELSE repeat('x', g % 50) END,
  jsonb_build_object('g', g, 's', 'v' || g), ARRAY[g, g + 1]
  FROM generate_series(1, $ROWS) g;
CREATE TABLE tags (id int PRIMARY KEY, tag text);
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 100) g;
CREATE TABLE empty_one (x int);
ANALYZE items, tags;"

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# run NAME OUTFILE CMD...: time it RUNS times; prints "median_ms peak_kb size"
run() {
    local name=$1 outfile=$2 i start
    shift 2
    : >"$work/$name.ms"
    : >"$work/$name.kb"
    for i in $(seq "$RUNS"); do
        rm -f "$outfile"
        start=$(date +%s%N)
        /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1 || die "$name failed"
        echo $((($(date +%s%N) - start) / 1000000)) >>"$work/$name.ms"
        tail -n 1 "$work/rss" >>"$work/$name.kb"
    done
    echo "$(median <"$work/$name.ms") $(sort -n "$work/$name.kb" | tail -n 1) $(stat -c %s "$outfile")"
}
dump_plain() { pg_dump --no-owner --no-privileges "$PG_DATABASE" >"$work/stock.sql"; }
dump_gzip() { pg_dump --no-owner --no-privileges "$PG_DATABASE" | gzip -6 >"$work/stock.sql.gz"; }
export -f dump_plain dump_gzip
export PG_DATABASE work

printf '%-44s %10s %12s %10s\n' "dump ($ROWS rows)" "median" "peak RSS" "size"
line() { # LABEL "ms kb bytes"
    set -- "$1" $2
    printf '%-44s %8s ms %9s kB %7s MB\n' "$1" "$2" "$3" "$(awk -v b="$4" 'BEGIN {printf "%.1f", b / 1e6}')"
}
ds_plain=$(run ds-plain "$work/ds.sql" "$DEVSTACK" db dump --force "$work/ds.sql")
stock_plain=$(run stock-plain "$work/stock.sql" bash -c dump_plain)
ds_gz=$(run ds-gz "$work/ds.sql.gz" "$DEVSTACK" db dump --force "$work/ds.sql.gz")
stock_gz=$(run stock-gz "$work/stock.sql.gz" bash -c dump_gzip)
line "devstack db dump FILE.sql" "$ds_plain"
line "pg_dump > FILE.sql" "$stock_plain"
line "devstack db dump FILE.sql.gz" "$ds_gz"
line "pg_dump | gzip -6 > FILE.sql.gz" "$stock_gz"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }
echo "# devstack's time as a share of the peer's: plain $(ratio "${stock_plain%% *}" "${ds_plain%% *}"), gzip $(ratio "${stock_gz%% *}" "${ds_gz%% *}") (below 1: devstack is faster)"

# ---- loading back: the same plain dump (devstack's) with each tool
load_ds() { "$DEVSTACK" db restore --yes --no-snapshot "$work/ds.sql" >/dev/null 2>&1; }
fresh() { app postgres -c "DROP DATABASE IF EXISTS bench_psql" -c "CREATE DATABASE bench_psql" 2>/dev/null; }
load_psql() { app bench_psql --single-transaction -o /dev/null <"$work/ds.sql"; }
printf '\n%-44s %10s\n' "restore of devstack's plain dump" "median"
: >"$work/l1" && : >"$work/l2"
for _ in $(seq "$RUNS"); do
    s=$(date +%s%N) && load_ds && echo $((($(date +%s%N) - s) / 1000000)) >>"$work/l1"
    s=$(date +%s%N) && fresh && load_psql && echo $((($(date +%s%N) - s) / 1000000)) >>"$work/l2"
done
l1=$(median <"$work/l1")
l2=$(median <"$work/l2")
printf '%-44s %8s ms\n' "devstack db restore --yes --no-snapshot" "$l1"
printf '%-44s %8s ms\n' "DROP, CREATE DATABASE; psql -1 < FILE.sql" "$l2"
echo "# devstack's time as a share of psql's: $(ratio "$l2" "$l1") (it also reads the dump once to check it first)"

# ---- in a compose project: through the engine, beside docker exec
docker image inspect devstack/postgres:15 >/dev/null 2>&1 || {
    echo "# no devstack/postgres:15 image: the container part is left out"
    exit 0
}
unset DATABASE_URL PGHOST PGPORT PGUSER PGPASSWORD
mkdir -p "$work/proj"
port=$(_pg_free_port)
cat >"$work/proj/compose.yaml" <<YAML
services:
  db:
    image: devstack/postgres:15
    environment: {POSTGRES_USER: app, POSTGRES_PASSWORD: pw, POSTGRES_DB: app}
    ports: ["127.0.0.1:$port:5432"]
YAML
pds() { (cd "$work/proj" && "$DEVSTACK" -p tbench-pgdump "$@"); }
pds up -d --wait >/dev/null 2>&1 && pds db wait --timeout 120s >/dev/null 2>&1 || die "the project did not come up"
cid=$(docker ps -q --filter label=com.docker.compose.project=tbench-pgdump --filter label=com.docker.compose.service=db)
# the same data: devstack's plain dump of the private server
pds db restore --yes --no-snapshot "$work/ds.sql" >/dev/null 2>&1 || die "loading the project's database failed"
cdump_plain() { docker exec -e PGPASSWORD=pw "$cid" pg_dump --no-owner --no-privileges -U app app >"$work/cstock.sql"; }
cds_plain() { (cd "$work/proj" && "$DEVSTACK" -p tbench-pgdump db dump --force "$work/cds.sql"); }
export -f cdump_plain cds_plain
export cid DEVSTACK
printf '\n%-44s %10s %12s %10s\n' "dump in the db container ($ROWS rows)" "median" "peak RSS" "size"
c_ds=$(run c-ds "$work/cds.sql" bash -c cds_plain)
c_stock=$(run c-stock "$work/cstock.sql" bash -c cdump_plain)
line "devstack db dump FILE.sql (exec)" "$c_ds"
line "docker exec pg_dump > FILE.sql" "$c_stock"
echo "# devstack's time as a share of docker exec's: $(ratio "${c_stock%% *}" "${c_ds%% *}")"
cload_ds() { (cd "$work/proj" && "$DEVSTACK" -p tbench-pgdump db restore --yes --no-snapshot "$work/cds.sql" >/dev/null 2>&1); }
cfresh() { docker exec "$cid" psql -q -U app -d postgres -c "DROP DATABASE IF EXISTS bench_psql" -c "CREATE DATABASE bench_psql" >/dev/null 2>&1; }
cload_psql() { docker exec -i -e PGPASSWORD=pw "$cid" psql -X -q -v ON_ERROR_STOP=1 --single-transaction -o /dev/null -U app -d bench_psql <"$work/cds.sql"; }
: >"$work/c1" && : >"$work/c2"
for _ in $(seq "$RUNS"); do
    s=$(date +%s%N) && cload_ds && echo $((($(date +%s%N) - s) / 1000000)) >>"$work/c1"
    s=$(date +%s%N) && cfresh && cload_psql && echo $((($(date +%s%N) - s) / 1000000)) >>"$work/c2"
done
c1=$(median <"$work/c1")
c2=$(median <"$work/c2")
printf '%-44s %8s ms\n' "devstack db restore --yes --no-snapshot (exec)" "$c1"
printf '%-44s %8s ms\n' "DROP, CREATE; docker exec -i psql -1" "$c2"
echo "# devstack's time as a share of docker exec's: $(ratio "$c2" "$c1")"
