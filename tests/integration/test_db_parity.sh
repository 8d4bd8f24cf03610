#!/usr/bin/env bash
# `devstack db current|heads|history|check` side by side with real Alembic
# (Debian's python3-alembic 1.8.1, `/usr/bin/python3 -m alembic`) on the projects
# in tests/fixtures/alembic and a private MariaDB (tests/lib/mariadb.sh).
#
# Both tools run in the same project directory against the same database, and
# their stdout must be equal (Alembic's INFO lines go to stderr and are not
# compared). Order-insensitive only where Alembic's own order comes from a
# Python set, which changes from run to run (hash randomization):
#   - the lines of `current` and the entries of `current -v`, with several rows
#     in alembic_version (sorted before comparing);
#   - the items of "Branches into:" and "Branch names:" in -v output, and of a
#     branch label list "(a, b)" after a revision id (sorted within the list).
# Exit status: Alembic exits 255 on a CommandError ("FAILED: ..." on stdout),
# devstack must then exit 1 (its message goes to stderr); an argparse error (2)
# must be a usage error (2) in devstack too. Where Alembic 1.8.1 itself crashes
# (a traceback: an assertion in its topological sort) there is no output to
# match, and devstack must merely not crash.
# `db check` has no Alembic 1.8 counterpart: its expected status comes from
# Alembic's own test before autogenerate ("Target database is not up to
# date."): the revisions in alembic_version equal get_revisions("heads"), the
# heads with depends_on resolved (what `heads --resolve-dependencies` prints).
#
# Database states are set with Alembic itself (upgrade, stamp); outside CI a
# missing MariaDB or Alembic is a skip with the reason, in CI a failure.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"
FIX=$ROOT/tests/fixtures/alembic
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_db_parity.XXXXXX")
# No __pycache__ in the fixtures; UTF-8 messages print as UTF-8 in both tools.
export PYTHONDONTWRITEBYTECODE=1 LC_ALL=C.UTF-8
unset ALEMBIC_CONFIG

cleanup() {
    [ -n "${ALEMBIC_PID:-}" ] && kill "$ALEMBIC_PID" 2>/dev/null
    declare -F mariadb_stop >/dev/null && mariadb_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

# skip WHAT WHY: a test that cannot run here; in CI nothing may skip
skip() {
    if [ "${CI:-}" = true ]; then
        not_ok "$1" "cannot run in CI: $2"
    else
        n=$((n + 1))
        echo "skip $n - $1 ($2)"
    fi
}

PROJECTS=(linear branches depends annotated multihead versionlocs)

# ---- the fixtures themselves (no tool needed) -----------------------------------
for p in "${PROJECTS[@]}"; do
    d=$FIX/$p
    problems=""
    for f in alembic.ini migrations/env.py migrations/script.py.mako; do
        [ -f "$d/$f" ] || problems+="missing $f; "
    done
    count=0
    while IFS= read -r f; do
        count=$((count + 1))
        rev=$(sed -nE "s/^revision(: str)? = ['\"]([0-9a-f]{12})['\"]$/\2/p" "$f")
        [[ $(basename "$f") == *"$rev"_* && -n $rev ]] || problems+="$(basename "$f"): revision '$rev' is not in the file name; "
    done < <(find "$d" -path '*/versions/*.py' | sort)
    [ "$count" -ge 5 ] || problems+="only $count revisions; "
    if [ -z "$problems" ]; then
        ok "fixture $p: alembic.ini, env.py, script.py.mako and $count revisions named by their ids"
    else
        not_ok "fixture $p is complete" "$problems"
    fi
done

# ---- what the rest needs ------------------------------------------------------
why=""
if ! [ -x "$PY" ] || ! "$PY" -c 'import alembic, pymysql, sqlalchemy' 2>/dev/null; then
    why="$PY with alembic, pymysql and sqlalchemy is missing (apt-get install python3-alembic python3-pymysql)"
elif ! [ -f "$ROOT/tests/lib/mariadb.sh" ]; then
    why="tests/lib/mariadb.sh is missing"
elif ! command -v mariadbd >/dev/null && ! [ -x /usr/sbin/mariadbd ]; then
    why="mariadbd is missing (apt-get install mariadb-server)"
elif ! "$DEVSTACK" db current --help >/dev/null 2>&1; then
    why="$DEVSTACK has no 'db current'"
fi
if [ -n "$why" ]; then
    skip "devstack db against Alembic on MariaDB" "$why"
    tap_done
    exit
fi

# shellcheck source=tests/lib/mariadb.sh
. "$ROOT/tests/lib/mariadb.sh"
if ! mariadb_start >"$TMP/mariadb.log" 2>&1; then
    not_ok "a private MariaDB starts" "$(tail -n 20 "$TMP/mariadb.log")"
    tap_done
    exit
fi
# The app user's password holds '@', ':' and '/' (percent-encoded in the URL).
export DATABASE_URL=$MARIADB_URL

# reset_db: drop every table, alembic_version included (an empty database)
reset_db() {
    local tables
    tables=$(mariadb_sql "SELECT GROUP_CONCAT(CONCAT('\`', table_name, '\`')) FROM information_schema.tables
        WHERE table_schema = DATABASE()") || return 1
    [ -z "$tables" ] || [ "$tables" = NULL ] ||
        mariadb_sql "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE $tables"
}

# Real Alembic, imported once: 300 runs of `python3 -m alembic` would spend
# minutes importing it. The server runs each request as `python3 -m alembic
# ARG...` does (alembic.config.main, SystemExit as the exit status), with its
# stdout and stderr in files. A request is a line of tab-terminated fields:
# DIR OUT ERR DATABASE_URL ARG...; the answer, the exit status on a line.
# ARG `--uptodate` prints whether the database is at the heads, Alembic's own
# test before autogenerate ("Target database is not up to date.").
cat >"$TMP/alembic_server.py" <<'EOF'
import os
import sys
import traceback

from alembic.config import Config, main
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory


def uptodate(ini):
    config = Config(ini)
    script = ScriptDirectory.from_config(config)
    result = []

    def check(rev, context):
        result.append(set(script.get_revisions(rev)) == set(script.get_revisions("heads")))
        return []

    with EnvironmentContext(config, script, fn=check, dont_mutate=True):
        script.run_env()
    print("up to date" if result[0] else "not up to date")


reply = os.fdopen(os.dup(1), "w")
for line in sys.stdin:
    cwd, out, err, url, *argv = line.rstrip("\n").split("\t")[:-1]
    os.chdir(cwd)
    os.environ["DATABASE_URL"] = url
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    for fd, path in ((1, out), (2, err)):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(f, fd)
        os.close(f)
    try:
        if argv[0] == "--uptodate":
            uptodate(argv[1])
        else:
            main(argv=argv, prog="alembic")
        code = 0
    except SystemExit as e:
        code = (e.code if isinstance(e.code, int) else 0 if e.code is None else 1) & 0xFF
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    reply.write("%d\n" % code)
    reply.flush()
EOF
coproc ALEMBIC { exec "$PY" "$TMP/alembic_server.py" 2>"$TMP/alembic_server.err"; }

# alembic_in DIR ARG...: real Alembic in DIR; stdout and stderr in $TMP/a.out,
# $TMP/a.err, the exit status in a_rc
alembic_in() {
    local dir=$1
    shift
    printf '%s\t' "$dir" "$TMP/a.out" "$TMP/a.err" "$DATABASE_URL" "$@" >&"${ALEMBIC[1]}"
    printf '\n' >&"${ALEMBIC[1]}"
    read -r a_rc <&"${ALEMBIC[0]}" || { a_rc=99 && echo "the Alembic server died" >"$TMP/a.err"; }
}

# devstack_in DIR ARG...: devstack db ARG... in DIR, into $TMP/d.out, d.err, d_rc
devstack_in() {
    local dir=$1
    shift
    (
        cd "$dir" || exit 99
        [ -n "$DATABASE_URL" ] || unset DATABASE_URL
        exec "$DEVSTACK" db "$@" >"$TMP/d.out" 2>"$TMP/d.err" </dev/null
    )
    d_rc=$?
}

# normalize MODE <IN >OUT: sort what Alembic takes from a set (see the top).
# MODE lines: sort all lines (`current`); blocks: sort the "Rev: " entries and
# keep what precedes them (`current -v`); exact: nothing more.
normalize() {
    perl -e '
        my $mode = shift;
        local $/;
        my $text = <STDIN>;
        $text =~ s/^(Branches into|Branch names): (.*)$/"$1: " . join(", ", sort split(m{, }, $2))/gme;
        $text =~ s/\(([\w-]+(?:, [\w-]+)+)\)(?! ->)/"(" . join(", ", sort split(m{, }, $1)) . ")"/ge;
        if ($mode eq "lines") {
            $text = join("", sort split(/^/m, $text));
        } elsif ($mode eq "blocks") {
            my @parts = split(/(?=^Rev: )/m, $text);
            my $head = (@parts && $parts[0] !~ /^Rev: /) ? shift(@parts) : "";
            $text = $head . join("", sort @parts);
        }
        print $text;
    ' "$1"
}

# verdict WHAT MODE: compare the last runs of both tools (files in $TMP)
verdict() {
    local what=$1 mode=$2 failed_msg missing token
    if [ "$a_rc" -eq 0 ]; then
        normalize "$mode" <"$TMP/a.out" >"$TMP/a.norm"
        normalize "$mode" <"$TMP/d.out" >"$TMP/d.norm"
        if [ "$d_rc" -eq 0 ] && cmp -s "$TMP/a.norm" "$TMP/d.norm"; then
            ok "$what"
        else
            not_ok "$what" "$(
                echo "devstack exit $d_rc; diff alembic devstack:"
                diff -u --label alembic --label devstack "$TMP/a.norm" "$TMP/d.norm"
                [ -s "$TMP/d.err" ] && echo "devstack stderr: $(head -c 400 "$TMP/d.err")"
            )"
        fi
    elif [ "$a_rc" -eq 255 ]; then
        # devstack words its errors its own way, but names the same subject:
        # the first thing Alembic quotes ('7698', 'head') is in its message too
        failed_msg=$(sed -n 's/^FAILED: //p' "$TMP/a.out" | head -n 1)
        token=$(grep -oE "'[^' ]+'" <<<"$failed_msg" | head -n 1 | tr -d "'")
        missing=""
        [ -n "$token" ] && ! grep -qF -- "$token" "$TMP/d.err" && missing=" '$token'"
        if [ "$d_rc" -eq 1 ] && [ -s "$TMP/d.err" ] && [ -z "$missing" ]; then
            ok "$what: fails as Alembic does (alembic: ${failed_msg:0:80}; devstack: $(head -n 1 "$TMP/d.err" | cut -c1-100))"
        else
            not_ok "$what: fails as Alembic does${missing:+, naming$missing}" "$(
                echo "alembic: exit 255: $failed_msg"
                echo "devstack: exit $d_rc; stdout:"
                head -n 10 "$TMP/d.out"
                echo "stderr: $(head -c 400 "$TMP/d.err")"
            )"
        fi
    elif [ "$a_rc" -eq 2 ]; then
        if [ "$d_rc" -eq 2 ]; then
            ok "$what: a usage error, as in Alembic"
        else
            not_ok "$what: a usage error, as in Alembic" "devstack exit $d_rc: $(head -c 400 "$TMP/d.err")"
        fi
    elif grep -q '^Traceback' "$TMP/a.err"; then
        if [ "$d_rc" -eq 0 ] || [ "$d_rc" -eq 1 ]; then
            ok "$what: Alembic 1.8.1 itself crashes ($(tail -n 1 "$TMP/a.err")); devstack does not (exit $d_rc)"
        else
            not_ok "$what: devstack does not crash where Alembic 1.8.1 does" "devstack exit $d_rc: $(head -c 400 "$TMP/d.err")"
        fi
    else
        not_ok "$what: Alembic runs" "alembic exit $a_rc: $(tail -n 5 "$TMP/a.err")"
    fi
}

# same [MODE] ARGS...: `alembic ARGS` and `devstack db ARGS` in the project $P
same() {
    local mode=exact
    case $1 in lines | blocks) mode=$1 && shift ;; esac
    alembic_in "$P" "$@"
    devstack_in "$P" "$@"
    verdict "$NAME${STATE:+ [$STATE]}: db $*" "$mode"
}

# state LABEL ALEMBIC-ARGS...: bring the database there with Alembic (the
# label alone when no command is given)
state() {
    STATE=$1
    shift
    [ $# -eq 0 ] && return 0
    alembic_in "$P" "$@"
    [ "$a_rc" -eq 0 ] || not_ok "$NAME: alembic $* (to reach state '$STATE')" "$(tail -n 15 "$TMP/a.err")"
}

# db_check: devstack db check's status against Alembic's "up to date"
db_check() {
    local verdict_alembic expected
    alembic_in "$P" --uptodate alembic.ini
    verdict_alembic=$(cat "$TMP/a.out")
    [ "$a_rc" -eq 0 ] || verdict_alembic="an error: $(tail -n 1 "$TMP/a.err")"
    [ "$verdict_alembic" = "up to date" ] && expected=0 || expected=1
    devstack_in "$P" check
    if [ "$d_rc" -eq "$expected" ] && { [ "$expected" -eq 0 ] || [ -s "$TMP/d.err" ]; }; then
        ok "$NAME [$STATE]: db check exits $expected (Alembic: $verdict_alembic)"
    else
        not_ok "$NAME [$STATE]: db check exits $expected (Alembic: $verdict_alembic)" \
            "devstack exit $d_rc; stdout: $(head -c 300 "$TMP/d.out"); stderr: $(head -c 300 "$TMP/d.err")"
    fi
}

# per_state [history-ranges...]: what depends on the database, in this state
per_state() {
    same lines current
    same blocks current -v
    same history -i
    same history -r current:head
    same history -i -r current:heads
    local r
    for r in "$@"; do
        same history "-r$r" # attached, as argparse needs for "-1:current"
    done
    db_check
}

# static: what the scripts alone decide (no database involved)
static() {
    STATE=""
    same heads
    same heads -v
    same heads --resolve-dependencies
    same history
    same history -v
}

# ---- 1. linear ----------------------------------------------------------------
NAME=linear P=$FIX/linear
reset_db
static
same history -r base:head
same history -r base:heads
same history -r 367a:ff98          # partial ids at both ends
same history -r 7698b:7698e        # two ids that share the prefix 7698
same history -r 7698:head          # that prefix alone is ambiguous
same history -r-2:head             # relative: two below head, to head
same history -r-3:
same history -r:+2
same history -r base:+1
same history -r head:head
same history -r base:base
same history -r 367a838afd15:367a838afd15
same history -r ff98:367a          # not ancestor to descendant
same history -r nope:head
same history -r :-2
same history -v -r 7698b:7698e
same history -r head               # no colon
same heads -v --resolve-dependencies

state "empty database"
per_state base:current
state "stamped at base" stamp base
per_state base:current
state "at 7698e1c04f2b (middle)" upgrade 7698e
per_state base:current current: -1:current
same history -i -v
state "at head" upgrade head
per_state base:current current:
same history -i -v

# -c FILE from elsewhere, absolute and relative
STATE="at head, -c from another directory"
alembic_in "$TMP" -c "$P/alembic.ini" current -v
devstack_in "$TMP" current -v -c "$P/alembic.ini"
verdict "$NAME [$STATE]: db current -v -c $P/alembic.ini" exact
alembic_in "$FIX" -c linear/alembic.ini history -v -r-1:
devstack_in "$FIX" history -v -r-1: -c linear/alembic.ini
verdict "$NAME [$STATE]: db history -v -r-1: -c linear/alembic.ini (from tests/fixtures/alembic)" exact

# the URL that current -v shows, with a query string
STATE="at head, URL with ?charset=utf8mb4"
DATABASE_URL="$DATABASE_URL?charset=utf8mb4" same current -v

# no DATABASE_URL: sqlalchemy.url of alembic.ini, where a '%' is written '%%'
STATE="at head, the URL from alembic.ini"
mkdir -p "$TMP/fromini"
sed -e "s|^script_location = .*|script_location = $P/migrations|" \
    -e "s|^sqlalchemy.url = .*|sqlalchemy.url = ${DATABASE_URL//%/%%}|" "$P/alembic.ini" >"$TMP/fromini/alembic.ini"
P=$TMP/fromini DATABASE_URL="" same current -v
P=$TMP/fromini DATABASE_URL="" same history -i
P=$FIX/linear

state "stamped with a revision that no file has"
mariadb_sql "DELETE FROM alembic_version; INSERT INTO alembic_version VALUES ('0badc0ffee00')"
same current
same current -v
same history -i
db_check

# ---- 2. branches and a merge --------------------------------------------------
NAME=branches P=$FIX/branches
reset_db
static
same history -r base:heads
same history -r 416a:dc79          # branch point to merge: both branches
same history -r f64b:heads
same history -r 61d2:992f
same history -r-3:head             # a relative walk across the merge
same history -r-1:head
same history -v -r 416a:dc79

state "empty database"
per_state current:heads
state "at the branch point 416a5a9e9dbf" upgrade 416a5a9e9dbf
per_state current:heads
state "at one branch's head 072e7c60bfae" upgrade 072e7c60bfae
per_state current:heads
same history -i -v
state "at both branch heads" upgrade 61d2182bbe11
per_state current:heads
same history -i -v
state "two rows, one an ancestor of the other"
mariadb_sql "INSERT INTO alembic_version VALUES ('416a5a9e9dbf')"
same lines current
same blocks current -v
same history -i
db_check
mariadb_sql "DELETE FROM alembic_version WHERE version_num = '416a5a9e9dbf'"
state "at the merge dc79fdf05540" upgrade dc79fdf05540
per_state current:heads
state "at head" upgrade head
per_state current:heads

# ---- 3. depends_on and branch labels ------------------------------------------
NAME=depends P=$FIX/depends
reset_db
static
same heads -v --resolve-dependencies
same history -r base:heads
same history -r schema@base:schema@head
same history -r :schema@head
same history -r reporting@base:heads
same history -r schema@head:       # not along one branch
same history -r c5c8:8a47
same history -r 779b:da33

state "empty database"
per_state current:heads
state "schema at da33e3c20ea7" upgrade da33e3c20ea7
per_state current:heads
state "reporting base c5c828371fc7 (and its dependency)" upgrade c5c828371fc7
per_state current:heads
same history -i -v
state "schema@head and reporting base" upgrade schema@head
per_state current:heads
state "at heads" upgrade heads
per_state current:heads
same history -i -v

# ---- 4. the type-annotated template -------------------------------------------
NAME=annotated P=$FIX/annotated
reset_db
static
same history -r base:heads
same history -r 70261d483c00:8524
same history -r b68f:head
same history -v -r b68f:8524

state "empty database"
per_state
state "stamped at base" stamp base
per_state
state "at 7a84e9447366 (one branch)" upgrade 7a84e9447366
per_state current:heads
state "at both branches" upgrade 0f7ac9cbb205
per_state current:heads
same history -i -v
state "at head" upgrade head
per_state current:heads

# ---- 5. three heads, never merged ---------------------------------------------
NAME=multihead P=$FIX/multihead
reset_db
static
same history -r base:heads
same history -r base:head          # several heads: an error
same history -r 889f:heads
same history -r 03f0:acfe
same history -r-1:heads

state "empty database"
per_state base:heads
state "at the branch point 889fc649335d" upgrade 889fc649335d
per_state current:heads
state "at one head 72385a94e039" upgrade 72385a94e039
per_state current:heads
state "at two heads" upgrade acfe1087d196
per_state current:heads
same history -i -v
state "at all three heads" upgrade heads
per_state current:heads
same history -i -v

# ---- 6. version_locations -----------------------------------------------------
NAME=versionlocs P=$FIX/versionlocs
reset_db
static
same history -r base:heads
same history -r billing@base:billing@head
same history -r billing@-1:billing@head
same history -v -r a92a:ac91

state "empty database"
per_state current:heads
state "core at d8368389050c" upgrade d8368389050c
per_state current:heads
state "billing at head" upgrade billing@head
per_state current:heads
same history -i -v
state "at heads" upgrade heads
per_state current:heads

# ---- 7. env.py's version_table and version_table_schema ----------------------
# a copy of linear whose env.py keeps the rows in `app`.`dev_versions`
NAME=version_table P=$TMP/version_table
cp -rL "$FIX/linear" "$P"
sed -i "s/context.configure(/context.configure(version_table='dev_versions', version_table_schema='$MARIADB_DATABASE', /" \
    "$P/migrations/env.py"
reset_db
state "empty database"
per_state
db_check
state "at head" upgrade head
per_state
db_check
tables=$(mariadb_sql "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables
    WHERE table_schema = DATABASE() AND table_name LIKE '%version%'")
check "Alembic keeps the rows in dev_versions, and there is no alembic_version" '[ "$tables" = dev_versions ]'

reset_db
STATE=""
# shellcheck disable=SC2016 # check evaluates it
check "nothing written into the fixtures (no __pycache__)" \
    '[ -z "$(find "$FIX" -name __pycache__)" ]'

tap_done
