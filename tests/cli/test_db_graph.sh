#!/usr/bin/env bash
# `devstack db history --graph` on the Alembic fixture projects
# (tests/fixtures/alembic/*): the drawing, exactly; the database unreachable
# (a note on stderr, the graph drawn without (current), exit 0); colors only
# on a terminal; the options it refuses. No engine, no database.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/tap.sh"
FIX=$ROOT/tests/fixtures/alembic
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_db_graph.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# a port nothing listens on: the database does not answer
NOWHERE=mysql+pymysql://app:app@127.0.0.1:9/app

# graph FIXTURE ARGS...: sets rc, out (stdout) and err (stderr)
graph() {
    local fixture=$1
    shift
    out=$(cd "$FIX/$fixture" && DATABASE_URL=$NOWHERE timeout 60 "$DEVSTACK" db history --graph "$@" 2>"$TMP/err")
    rc=$?
    err=$(<"$TMP/err")
}

graph branches
check "a branch point, two branches and their merge: drawn as git log --graph draws them" \
    '[ $rc -eq 0 ] && [ "$out" = "* 992f21aab4f4 (head) add discontinued flag to product
*   dc79fdf05540 merge stock and pricing
|\\
* | 072e7c60bfae create stock table
* | f64b216239f6 create warehouse table
| * 61d2182bbe11 create price history table
|/
* 416a5a9e9dbf add sku to product
* 01ce480160c1 create product table" ]'
check "the database unreachable: a note on stderr, no (current), exit 0" \
    '[[ $err == "note: the database'"'"'s revisions are not marked: cannot connect to "* ]] && [[ $out != *"(current)"* ]]'

graph multihead
check "three heads on one revision: the lanes join one column a row" \
    '[ $rc -eq 0 ] && [ "$out" = "* acfe1087d196 (head) index audit log by actor
* 03f0e4334164 create audit log table
| * 72385a94e039 (head) create webhook table
| | * 050da09679ae (head) create notification table
|/ /
|/
* 889fc649335d add event payload
* 9ae58a1ce3de create event table" ]'

graph depends
check "depends_on: a note naming the revision, branch labels in parentheses" \
    '[ $rc -eq 0 ] && [[ $out == *"* 8a474d1799f3 (head) add country to report row (depends on: 6a10614aa390)"* ]] && [[ $out == *"* c5c828371fc7 (reporting, analytics) create report table (depends on: da33e3c20ea7)"* ]]'
check "... every revision once" "[ \$(printf '%s\n' \"\$out\" | grep -c '^\* ') -eq $(ls "$FIX/depends/migrations/versions/"*.py | wc -l) ]"

graph linear
check "no color when stdout is not a terminal" '[ $rc -eq 0 ] && [[ $out != *$'"'"'\033'"'"'* ]]'
if command -v script >/dev/null; then
    out=$(cd "$FIX/linear" && DATABASE_URL=$NOWHERE script -qec "$DEVSTACK db history --graph" /dev/null 2>&1 </dev/null)
    check "on a terminal: the heads in color" '[[ $out == *$'"'"'\033[33m(head)\033[m'"'"'* ]]'
    out=$(cd "$FIX/linear" && NO_COLOR=1 DATABASE_URL=$NOWHERE script -qec "$DEVSTACK db history --graph" /dev/null 2>&1 </dev/null)
    check "NO_COLOR: none" '[[ $out != *$'"'"'\033['"'"'* ]]'
else
    not_ok "util-linux script is installed (for the terminal checks)" "script: not found"
fi

graph branches -r base:heads
check "--graph with -r: a usage error" '[ $rc -eq 2 ] && [[ $err == *"--graph draws every revision"* ]]'
graph branches -v
check "--graph with -v: a usage error" '[ $rc -eq 2 ]'
out=$("$DEVSTACK" db history --help 2>&1)
check "db history --help lists --graph" '[[ $out == *--graph* ]]'

tap_done
