#!/usr/bin/env bash
# Benchmark (not a test): `devstack db dump` and `db restore` beside the
# server's own tools, mariadb-dump (mysqldump) and the mariadb client.
#
#   tests/bench/db-dump.sh [ROWS] [RUNS]     (default 300000 rows, 3 runs)
#
# A private MariaDB (tests/lib/mariadb.sh) gets a database of three tables:
# ROWS rows of mixed columns (integers, utf8mb4 text, a 200-byte blob, a
# timestamp, NULLs) and two small ones. Each tool dumps it, plain and gzip
# (mariadb-dump piped through gzip -6, as a script would), in the same run,
# alternating; then each dump is loaded back by devstack and the client
# into a fresh database. Reported: the median wall time, the peak RSS of the
# dumping process, the size. Exits non-zero only when something breaks.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
ROWS=${1:-300000}
RUNS=${2:-3}

die() { echo "db-dump.sh: $*" >&2; exit 1; }
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a positive number"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
DUMPER=$(command -v mariadb-dump || command -v mysqldump) || die "no mariadb-dump or mysqldump"
CLIENT=$(command -v mariadb || command -v mysql) || die "no mariadb or mysql client"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"

work=$(mktemp -d "${TMPDIR:-/tmp}/db-dump.XXXXXX")
# shellcheck source=tests/lib/mariadb.sh
. "$ROOT/tests/lib/mariadb.sh"
cleanup() {
    mariadb_stop
    rm -rf "$work"
}
trap cleanup EXIT
mariadb_start >/dev/null || die "the private MariaDB did not start"
export DATABASE_URL=$MARIADB_URL
app() { "$CLIENT" --no-defaults --socket="$MARIADB_SOCKET" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" "$@"; }

echo "# filling the database: $ROWS rows"
app app -e "
CREATE TABLE items (id INT PRIMARY KEY, n BIGINT, name VARCHAR(100) CHARACTER SET utf8mb4,
  body BLOB, at TIMESTAMP NULL, note TEXT NULL) DEFAULT CHARSET=utf8mb4;
INSERT INTO items SELECT seq, seq * 7919, CONCAT('item ', seq, ' ünïcode ✓'), RANDOM_BYTES(200),
  FROM_UNIXTIME(1700000000 + seq), IF(seq % 3 = 0, NULL, REPEAT('x', seq % 50)) FROM seq_1_to_$ROWS;
CREATE TABLE tags (id INT PRIMARY KEY, tag VARCHAR(20));
INSERT INTO tags SELECT seq, CONCAT('t', seq) FROM seq_1_to_100;
CREATE TABLE empty_one (x INT);" 2>/dev/null ||
    app app -e "INSERT INTO items SELECT seq, seq, 'x', UNHEX(SHA2(seq, 512)), NULL, NULL FROM seq_1_to_$ROWS"

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
dump_plain() { "$DUMPER" --no-defaults --socket="$MARIADB_SOCKET" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" \
    --single-transaction --routines --triggers app >"$work/stock.sql"; }
dump_gzip() { "$DUMPER" --no-defaults --socket="$MARIADB_SOCKET" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" \
    --single-transaction --routines --triggers app | gzip -6 >"$work/stock.sql.gz"; }
export -f dump_plain dump_gzip
export DUMPER MARIADB_SOCKET MARIADB_USER MARIADB_PASSWORD work

printf '%-40s %10s %12s %10s\n' "dump ($ROWS rows)" "median" "peak RSS" "size"
line() { # LABEL "ms kb bytes"
    set -- "$1" $2
    printf '%-40s %8s ms %9s kB %7s MB\n' "$1" "$2" "$3" "$(awk -v b="$4" 'BEGIN {printf "%.1f", b / 1e6}')"
}
ds_plain=$(run ds-plain "$work/ds.sql" "$DEVSTACK" db dump --force "$work/ds.sql")
stock_plain=$(run stock-plain "$work/stock.sql" bash -c dump_plain)
ds_gz=$(run ds-gz "$work/ds.sql.gz" "$DEVSTACK" db dump --force "$work/ds.sql.gz")
stock_gz=$(run stock-gz "$work/stock.sql.gz" bash -c dump_gzip)
line "devstack db dump FILE.sql" "$ds_plain"
line "mariadb-dump > FILE.sql" "$stock_plain"
line "devstack db dump FILE.sql.gz" "$ds_gz"
line "mariadb-dump | gzip -6 > FILE.sql.gz" "$stock_gz"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }
echo "# devstack's time as a share of the peer's: plain $(ratio "${stock_plain%% *}" "${ds_plain%% *}"), gzip $(ratio "${stock_gz%% *}" "${ds_gz%% *}") (below 1: devstack is faster)"

# ---- loading back: the same plain dump (devstack's) with each tool
load_ds() { "$DEVSTACK" db restore --yes --no-snapshot "$work/ds.sql" >/dev/null; }
load_client() {
    app -e "DROP DATABASE app; CREATE DATABASE app" 2>/dev/null
    app app <"$work/ds.sql"
}
export -f load_ds load_client app
export DEVSTACK CLIENT DATABASE_URL
printf '\n%-40s %10s\n' "restore of devstack's plain dump" "median"
: >"$work/l1" && : >"$work/l2"
for _ in $(seq "$RUNS"); do
    s=$(date +%s%N) && load_ds && echo $((($(date +%s%N) - s) / 1000000)) >>"$work/l1"
    s=$(date +%s%N) && load_client && echo $((($(date +%s%N) - s) / 1000000)) >>"$work/l2"
done
printf '%-40s %8s ms\n' "devstack db restore --yes" "$(median <"$work/l1")"
printf '%-40s %8s ms\n' "mariadb < FILE.sql" "$(median <"$work/l2")"
