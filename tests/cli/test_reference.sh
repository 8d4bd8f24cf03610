#!/usr/bin/env bash
# The command tables against their documentation: every command's --help
# lists each of its options, and README.md's command reference (the table
# under "## Commands") has a row for every command with each of its options.
#
# The README rule, checkable and kept by whoever adds a command or option:
# a row documents the commands its first cell names in code spans: `devstack
# db snapshot restore NAME` names "db snapshot restore", the longest command
# that the words up to the first option, ARG or [...] start with; a leading
# "devstack " may be left out after the first span (`db heads [-v]`),
# `start\|stop\|restart` names all three, and a group (db) is documented by
# the rows of its commands. Every option of a command (hidden
# ones aside) must appear, as --name or as its short -x, in a row that
# documents the command, or in a paragraph of the section that names the
# command in a code span (`db upgrade`), as the options several commands
# share are documented once. TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
README=${README:-$ROOT/README.md}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_reference.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

. "$ROOT/tests/lib/tap.sh"

"$DEVSTACK" __commands >"$TMP/commands"
rc=$?
[ $rc -eq 0 ] && [ -s "$TMP/commands" ] || tap_bail "devstack __commands lists the commands (exit $rc)"

# ---- --help -----------------------------------------------------------------------------

# (--inner: the README part only, for the runs below that check the check)
missing=
[ "${1:-}" = --inner ] && : >"$TMP/commands.help" || cp "$TMP/commands" "$TMP/commands.help"
while IFS=$'\t' read -r path opts; do
    # shellcheck disable=SC2086 # the path is words
    help=$("$DEVSTACK" $path --help 2>&1)
    [ $? -eq 0 ] || { missing+="devstack $path --help fails"$'\n'; continue; }
    for o in $opts; do
        # "--detach,-d" is shown as "-d, --detach"
        [[ $o == *,* ]] && o="${o#*,}, ${o%%,*}"
        grep -qE -- "^ +$o( |$)" <<<"$help" || missing+="devstack $path --help: no '$o'"$'\n'
    done
done <"$TMP/commands.help"
if [ "${1:-}" != --inner ]; then
    check "--help of each of the $(wc -l <"$TMP/commands") commands lists every option of its table" '[ -z "$missing" ]' || true
    [ -n "$missing" ] && printf '#   %s\n' "$missing"
fi

# ---- README.md ---------------------------------------------------------------------------

# the rows of the command table: "PATH<TAB>ROW" for each command a row names;
# the section's paragraphs in files of their own
awk '
    function flush() { if (para != "") { paras++; printf "%s", para > (dir "/para" paras) } para = "" }
    on && !/^\|/ && !/^$/ { para = para $0 "\n" }
    on && (/^\|/ || /^$/) { flush() }
    /^## Commands/ { on = 1; next }
    /^## / { flush(); on = 0 }
    on && /^\| `devstack / {
        row++
        print > (dir "/row" row)
        cell = $0
        sub(/^\| /, "", cell)
        sub(/ \| .*/, "", cell)
        while (match(cell, /`[^`]+`/)) {
            span = substr(cell, RSTART + 1, RLENGTH - 2)
            cell = substr(cell, RSTART + RLENGTH)
            sub(/^devstack /, "", span)
            n = split(span, w, " ")
            path = ""
            for (i = 1; i <= n && w[i] ~ /^[a-z][a-z0-9-]*(\\\|[a-z][a-z0-9-]*)*$/; i++)
                path = path (path == "" ? "" : " ") w[i]
            if (path == "")
                continue
            # an alternation in the last word names each
            k = split(path, words, " ")
            m = split(words[k], alt, /\\\|/)
            prefix = k > 1 ? substr(path, 1, length(path) - length(words[k])) : ""
            for (j = 1; j <= m; j++)
                print prefix alt[j] "\t" row
        }
    }
' dir="$TMP" "$README" >"$TMP/documented"
check "README.md has a command table under '## Commands'" '[ -s "$TMP/documented" ]'

# a path names the longest command it starts with (`completion bash` is completion's), and
# a row documents the groups above its command too (`db snapshot rm`: db snapshot, db)
cut -f1 "$TMP/commands" >"$TMP/paths"
while IFS=$'\t' read -r path row; do
    while [ -n "$path" ] && ! grep -qxF -- "$path" "$TMP/paths"; do
        [[ $path == *" "* ]] && path=${path% *} || path=
    done
    while [ -n "$path" ]; do
        printf '%s\t%s\n' "$path" "$row"
        [[ $path == *" "* ]] && path=${path% *} || path=
    done
done <"$TMP/documented" >"$TMP/documented.commands"

undocumented= unmentioned=
while IFS=$'\t' read -r path opts; do
    rows=$(awk -F'\t' -v p="$path" '$1 == p { print $2 }' "$TMP/documented.commands" | sort -u)
    if [ -z "$rows" ]; then
        undocumented+="devstack $path"$'\n'
        continue
    fi
    text=$(
        for r in $rows; do cat "$TMP/row$r"; done
        grep -lE -- "\`(devstack )?$path[\` ]" "$TMP"/para* 2>/dev/null | xargs -r cat
    )
    for o in $opts; do
        long=${o%%,*} short=
        [[ $o == *,* ]] && short=${o#*,}
        grep -qE -- "(^|[^a-z0-9-])($long${short:+|$short})([^a-z0-9-]|$)" <<<"$text" ||
            unmentioned+="devstack $path: $long"$'\n'
    done
done <"$TMP/commands"
check "README.md's command reference has a row for every command" '[ -z "$undocumented" ]' || true
[ -n "$undocumented" ] && printf '#   no row: %s\n' "$undocumented"
check "each command's row mentions every option of its table" '[ -z "$unmentioned" ]' || true
[ -n "$unmentioned" ] && printf '#   not in its row: %s\n' "$unmentioned"

# the check itself: a README without a command's row, or without an option, fails it
if [ "${1:-}" != --inner ]; then
    sed '/^| `devstack ls /d' "$README" >"$TMP/README.no-ls"
    out=$(README="$TMP/README.no-ls" bash "${BASH_SOURCE[0]}" --inner 2>&1)
    rc=$?
    check "the check fails for a README without the row of 'ls'" '[ $rc -ne 0 ] && [[ $out == *"no row: devstack ls"* ]]'
    sed 's/--dry-run//g' "$README" >"$TMP/README.no-dry-run"
    out=$(README="$TMP/README.no-dry-run" bash "${BASH_SOURCE[0]}" --inner 2>&1)
    rc=$?
    check "the check fails for a README whose clear row lacks --dry-run" \
        '[ $rc -ne 0 ] && [[ $out == *"devstack clear: --dry-run"* ]]'
fi

tap_done
