#!/usr/bin/env bash
# The Makefile's stack targets with hostile values: `make db-migrate msg=...`
# and every other target that takes a value (rev=, file=, name=, s=) or a
# switch (yes=, root=, keep_data=, all=, dry_run=) runs a stub devstack
# (DS=) that records its argv; the argv must hold the value exactly, as one
# argument, and nothing in a value may run (backticks, $(...), make's own
# $(shell ...), quotes, newlines, a leading '-'). TAP-style output.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_make.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"

command -v make >/dev/null || tap_cannot_run "make is installed"

# the stub: each call appends its arguments, '|'-terminated, and a newline, to $STUB_ARGV
STUB=$TMP/stub-devstack
cat >"$STUB" <<'EOF'
#!/bin/sh
{ printf '%s|' "$@"; printf '\n'; } >>"$STUB_ARGV"
EOF
chmod +x "$STUB"
export STUB_ARGV=$TMP/argv
MARK=$TMP/ran
# a value that runs anything leaves $MARK behind
HOSTILE=(
    'add `touch '"$MARK"'` col'
    '$(touch '"$MARK"')'
    '$$(touch '"$MARK"')'
    '$(shell touch '"$MARK"')'
    '${shell touch '"$MARK"'}'
    '"; touch '"$MARK"'; echo "'
    "'; touch $MARK; echo '"
    "it's \"quoted\""
    $'two\nlines'
    '-rf'
    '--help'
    '-m'
    'a  b   c  '
    '*'
    '$HOME'
    '# not a comment'
    'back\slash\'
    '; | & > < ( )'
    '%'
)

# mk TARGET... [VAR=VALUE...]: make with the stub, one job at a time; rc, out, and
# argv (what the stub got, one line per call)
mk() {
    rm -f "$STUB_ARGV"
    out=$(make -s -j1 --no-print-directory -C "$ROOT" "$@" DS="$STUB" 2>&1 </dev/null)
    rc=$?
    argv=
    [ -f "$STUB_ARGV" ] && argv=$(<"$STUB_ARGV")
}
# expect WHAT ARG...: the stub was called once, with exactly these arguments
expect() {
    local what=$1 want
    shift
    want=$(printf '%s|' "$@")
    if [ "$rc" -eq 0 ] && [ "$argv" = "$want" ] && [ ! -e "$MARK" ]; then
        ok "$what"
    else
        not_ok "$what" "exit $rc; argv '$argv', want '$want'; ran: $([ -e "$MARK" ] && echo yes || echo no); output: $out"
    fi
    rm -f "$MARK"
}

# every target that takes a value, with the argv before the value; one make
# runs them all with the same value in each variable
CASES=(
    "db-migrate|migrate -m"
    "db-upgrade|db upgrade --"
    "db-downgrade|db downgrade --"
    "db-stamp|db stamp --"
    "db-sql|db sql --"
    "db-dump|db dump --"
    "db-restore|db restore --"
    "db-snapshot|db snapshot --"
    "logs|logs -f --"
    "shell|shell --"
)
targets=()
for c in "${CASES[@]}"; do targets+=("${c%%|*}"); done
bad=0 detail=
for v in "${HOSTILE[@]}"; do
    mk "${targets[@]}" "msg=$v" "rev=$v" "file=$v" "name=$v" "s=$v"
    want=
    for c in "${CASES[@]}"; do
        read -ra before <<<"${c#*|}"
        want+=$(printf '%s|' "${before[@]}" "$v")$'\n'
    done
    if [ "$rc" -ne 0 ] || [ "$argv" != "${want%$'\n'}" ] || [ -e "$MARK" ]; then
        bad=$((bad + 1))
        detail+="$(printf %q "$v"): exit $rc$([ -e "$MARK" ] && echo ', and it RAN'), argv:"$'\n'"$argv"$'\n'"want:"$'\n'"$want"
    fi
    rm -f "$MARK"
done
if [ "$bad" -eq 0 ]; then
    ok "${#HOSTILE[@]} hostile values in msg=, rev=, file=, name=, s=: each of ${targets[*]} gets the value as exactly one argument, nothing runs"
else
    not_ok "${#HOSTILE[@]} hostile values in msg=, rev=, file=, name=, s=: each target gets the value as exactly one argument, nothing runs ($bad failed)" "$detail"
fi

# a value from the environment keeps leading blanks (on make's command line, make itself strips them)
rm -f "$STUB_ARGV"
out=$(cd "$ROOT" && name='  lead' make -s -j1 --no-print-directory db-snapshot DS="$STUB" 2>&1)
rc=$?
argv=$(<"$STUB_ARGV")
expect "name= from the environment: exact, leading blanks kept" db snapshot -- '  lead'

# defaults and missing values
mk db-upgrade
expect "db-upgrade without rev= upgrades to head" db upgrade -- head
mk db-downgrade
expect "db-downgrade without rev= goes down one" db downgrade -- -1
mk db-sql
expect "db-sql without rev= is head" db sql -- head
mk db-migrate
expect "db-migrate without msg= passes no -m" migrate
mk db-dump
expect "db-dump without file= names no file" db dump
mk db-snapshot
expect "db-snapshot without name= names none" db snapshot
mk logs
expect "logs without s= follows every service" logs -f
mk db-stamp
check "db-stamp without rev= is a usage error and runs nothing" '[ $rc -eq 2 ] && [ -z "$argv" ] && [[ $out == *"usage: make db-stamp rev=REVISION"* ]]'
mk db-restore
check "db-restore without file= is a usage error and runs nothing" '[ $rc -eq 2 ] && [ -z "$argv" ] && [[ $out == *"usage: make db-restore file=DUMP"* ]]'

# switches: any value turns them on, and none of it is run or passed on
sw="\$(shell touch $MARK)"
mk db-restore file=d.sql "yes=$sw"
expect "yes= with a hostile value: --yes, nothing run" db restore --yes -- d.sql
mk db-shell "root=$sw"
expect "root= with a hostile value: --root" db shell --root
mk reset "keep_data=$sw" "yes=\`touch $MARK\`"
expect "reset keep_data= yes=: --keep-data --yes" reset --keep-data --yes
mk clear "all=$sw" "dry_run=$sw" yes=1
expect "clear all= dry_run= yes=: --all --dry-run --yes" clear --all --dry-run --yes
mk ps "msg=$sw" "rev=$sw" "file=$sw" "name=$sw" "s=$sw"
expect "values a target does not use are not expanded either (make exports none of them)" ps

# install/uninstall: DESTDIR and PREFIX as one word each
mk install DESTDIR="$TMP/dest dir" PREFIX='/a b;touch '"$MARK"
check "make install with DESTDIR and PREFIX holding blanks and ';' installs there and runs nothing" \
    '[ $rc -eq 0 ] && [ -x "$TMP/dest dir/a b;touch $MARK/bin/devstack" ] && [ ! -e "$MARK" ]'
mk uninstall DESTDIR="$TMP/dest dir" PREFIX='/a b;touch '"$MARK"
check "make uninstall removes it again, and runs nothing" \
    '[ $rc -eq 0 ] && [ ! -e "$TMP/dest dir/a b;touch $MARK/bin/devstack" ] && [ ! -e "$MARK" ]'

tap_done
