#!/usr/bin/env bash
# `devstack db history --graph` against a private MariaDB (tests/lib/mariadb.sh):
# the database's revisions marked (current) on their lines, two of them at
# once on two branches; a database without alembic_version marks nothing and
# says nothing; one that stops answering leaves a note and the same graph.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/mariadb.sh"
FIX=$ROOT/tests/fixtures/alembic/branches
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_db_graph.XXXXXX")
cleanup() {
    mariadb_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

{ command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; } ||
    tap_cannot_run "mariadb-server is installed"
mariadb_start || tap_bail "a private MariaDB starts"
export DATABASE_URL=$MARIADB_URL

graph() {
    out=$(cd "$FIX" && timeout 60 "$DEVSTACK" db history --graph 2>"$TMP/err")
    rc=$?
    err=$(<"$TMP/err")
}

graph
check "no alembic_version table: the graph, nothing marked, no note" \
    '[ $rc -eq 0 ] && [[ $out == "* 992f21aab4f4 (head) add discontinued flag to product"* ]] && [[ $out != *"(current)"* ]] && [ -z "$err" ]'
PLAIN=$out

mariadb_sql "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, PRIMARY KEY (version_num));
INSERT INTO alembic_version VALUES ('072e7c60bfae'), ('61d2182bbe11');"
graph
check "the database on both branches: both lines marked (current), the rest as without" \
    '[ $rc -eq 0 ] && [ -z "$err" ] && [ "$out" = "* 992f21aab4f4 (head) add discontinued flag to product
*   dc79fdf05540 merge stock and pricing
|\\
* | 072e7c60bfae (current) create stock table
* | f64b216239f6 create warehouse table
| * 61d2182bbe11 (current) create price history table
|/
* 416a5a9e9dbf add sku to product
* 01ce480160c1 create product table" ]'

mariadb_sql "DELETE FROM alembic_version; INSERT INTO alembic_version VALUES ('992f21aab4f4');"
graph
check "at the head: the head line marked" \
    '[ $rc -eq 0 ] && [[ $out == "* 992f21aab4f4 (head) (current) add discontinued flag to product"* ]] && [ "$(grep -c "(current)" <<<"$out")" -eq 1 ]'

mariadb_stop
graph
check "the database gone: a note on stderr, the same graph unmarked, exit 0" \
    '[ $rc -eq 0 ] && [[ $err == *"revisions are not marked"* ]] && [ "$out" = "$PLAIN" ]'

tap_done
