#!/usr/bin/env bash
# Realistic compose projects through `devstack config --format json`, compared
# with the expected output checked in beside them (tests/corpus/compose/*/).
# A project directory may hold `files` (the -f files, one per line; default
# compose.yaml) and `args` (global options, one per line). Paths under the
# project directory show as <dir>. UPDATE=1 rewrites the expected files: review
# the diff before committing it.
#
# Then every real-world file of tests/corpus/awesome-compose must load.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/tap.sh"

for dir in "$ROOT"/tests/corpus/compose/*/; do
    dir=${dir%/}
    name=$(basename "$dir")
    args=()
    if [ -f "$dir/files" ]; then
        while read -r f; do [ -n "$f" ] && args+=(-f "$f"); done <"$dir/files"
    fi
    if [ -f "$dir/args" ]; then
        while read -r a; do [ -n "$a" ] && args+=("$a"); done <"$dir/args"
    fi
    # a clean environment: what the output shows comes from the files alone
    actual=$(cd "$dir" && env -i HOME=/home/dev PATH="$PATH" "$DEVSTACK" "${args[@]}" \
        config --format json 2>"$dir/.stderr" | sed "s|$dir|<dir>|g; s|$(dirname "$dir")|<corpus>|g")
    rc=$?
    stderr=$(<"$dir/.stderr")
    rm -f "$dir/.stderr"
    if [ "${UPDATE:-}" = 1 ] && [ $rc -eq 0 ]; then
        printf '%s\n' "$actual" >"$dir/expected.json"
    fi
    if [ $rc -ne 0 ]; then
        not_ok "corpus $name loads" "$stderr"
    elif [ ! -f "$dir/expected.json" ]; then
        not_ok "corpus $name has expected.json (run with UPDATE=1, then review)"
    elif ! diff_out=$(diff -u "$dir/expected.json" <(printf '%s\n' "$actual")); then
        not_ok "corpus $name matches expected.json" "$diff_out"
    else
        ok "corpus $name matches expected.json"
    fi
done

# The YAML form says the same as the JSON form.
dir=$ROOT/tests/corpus/compose/fastapi-mysql
if (cd "$dir" && env -i HOME=/home/dev "$DEVSTACK" config --format yaml >/tmp/corpus.$$.yaml 2>/dev/null) &&
    python3 - "$dir/expected.json" /tmp/corpus.$$.yaml "$dir" "$(dirname "$dir")" <<'PY'
import json, sys
try:
    import yaml
except ImportError:
    sys.exit(0)  # PyYAML absent: the JSON comparisons above still stand
want = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().replace(sys.argv[3], "<dir>").replace(sys.argv[4], "<corpus>")
got = yaml.safe_load(text)
sys.exit(0 if got == want else 1)
PY
then
    ok "config --format yaml holds the same document as --format json"
else
    not_ok "config --format yaml holds the same document as --format json"
fi
rm -f /tmp/corpus.$$.yaml

# the copies in the repository (tests/corpus/awesome-compose/README.md)
for f in "$ROOT"/tests/corpus/awesome-compose/*/compose.y*ml; do
    d=$(dirname "$f")
    out=$(cd "$d" && env -i HOME=/home/dev PATH="$PATH" "$DEVSTACK" config --format json 2>&1 >/dev/null)
    if [ $? -eq 0 ]; then
        ok "awesome-compose $(basename "$d") loads"
    else
        not_ok "awesome-compose $(basename "$d") loads" "$out"
    fi
done

tap_done
