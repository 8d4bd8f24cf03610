#!/usr/bin/env bash
# `devstack config --format json` beside `docker compose config --format json`
# (Compose v2, the reference), field by field, on every project of
# tests/corpus/compose and tests/corpus/awesome-compose: the same files, the
# same clean environment. tests/lib/compose_parity.py normalizes what only
# printing makes different (Compose's $$, its null command, empty mappings,
# a trailing slash on a mount path) and compares the rest. A project directory
# may hold `files` and `args` as in tests/cli/test_corpus.sh.
#
# A difference is allowed only when it is named below: ON_PURPOSE for what
# devstack does differently by design, NOT_YET for keys devstack does not act
# on yet (each entry a key; remove it when the key lands, and the test then
# holds devstack to Compose on it). Everything else fails. The agreement
# figures (fields compared and equal, per project) close the output.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_compose_parity.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

. "$ROOT/tests/lib/tap.sh"

# Differences devstack makes on purpose (rules by these names in compose_parity.py).
ON_PURPOSE=(
    "published ports bound to 127.0.0.1"
    "the hash of a service with env_file"
    "gw_priority and ipam.options, which Compose 2.26 drops"
)

# Keys devstack does not act on yet: a difference under one of them is counted,
# shown and allowed. Empty this list as the keys land.
NOT_YET=()

if ! docker compose version 2>/dev/null | grep -q 'version v\?2\.'; then
    if [ "${CI:-}" = true ]; then
        tap_bail "docker compose v2 is installed (as root: scripts/setup.sh --deps-only installs it)"
    fi
    echo "1..0 # SKIP docker compose v2 is not installed (as root: scripts/setup.sh --deps-only installs it)"
    exit 0
fi

args=()
for name in "${ON_PURPOSE[@]}"; do args+=(--on-purpose "$name"); done
for key in "${NOT_YET[@]}"; do args+=(--not-yet "$key"); done

SUMMARY=()
total_fields=0 total_equal=0 total_purpose=0 total_yet=0 total_differ=0
total_hashes=0 total_hequal=0 total_vars=0 total_vequal=0

# config DIR OUT TOOL... -- ARGS...: TOOL's `config ARGS` of the project in DIR
# into $TMP/OUT (stderr $TMP/OUT.err, exit code $TMP/OUT.rc), with the
# project's files and args. Compose takes a second a call (it asks the
# engine), so its calls run side by side.
config() {
    local dir=$1 out=$2 tool=() opts=()
    shift 2
    while [ "$1" != -- ]; do tool+=("$1"); shift; done
    shift
    if [ -f "$dir/files" ]; then
        while read -r f; do [ -n "$f" ] && opts+=(-f "$f"); done <"$dir/files"
    fi
    if [ -f "$dir/args" ]; then
        while read -r a; do [ -n "$a" ] && opts+=("$a"); done <"$dir/args"
    fi
    (cd "$dir" && env -i HOME=/home/dev PATH="$PATH" "${tool[@]}" "${opts[@]}" config "$@" \
        >"$TMP/$out" 2>"$TMP/$out.err" </dev/null)
    echo $? >"$TMP/$out.rc"
}

for dir in "$ROOT"/tests/corpus/compose/*/ "$ROOT"/tests/corpus/awesome-compose/*/; do
    dir=${dir%/}
    name=${dir#"$ROOT"/tests/corpus/}
    config "$dir" dc.json docker compose -- --format json &
    config "$dir" dc.hash docker compose -- --hash '*' &
    config "$dir" dc.vars docker compose -- --variables &
    config "$dir" ds.json "$DEVSTACK" -- --format json
    config "$dir" ds.hash "$DEVSTACK" -- --hash '*'
    config "$dir" ds.vars "$DEVSTACK" -- --variables
    wait
    ds_rc=$(<"$TMP/ds.json.rc") dc_rc=$(<"$TMP/dc.json.rc")
    if [ $ds_rc -ne 0 ] && [ $dc_rc -ne 0 ]; then
        ok "$name: both refuse it"
        SUMMARY+=("$(printf '%-46s %s' "$name" "refused by both")")
        continue
    fi
    if [ $ds_rc -ne 0 ] || [ $dc_rc -ne 0 ]; then
        not_ok "$name: both load it" "devstack exit $ds_rc: $(<"$TMP/ds.json.err")
compose exit $dc_rc: $(<"$TMP/dc.json.err")"
        SUMMARY+=("$(printf '%-46s %s' "$name" "devstack exit $ds_rc, compose exit $dc_rc")")
        total_differ=$((total_differ + 1))
        continue
    fi
    # where hashes differ: which services have env_file (Compose's model as written)
    echo '{}' >"$TMP/dc.raw"
    cmp -s "$TMP/ds.hash" "$TMP/dc.hash" || config "$dir" dc.raw docker compose -- --no-interpolate --format json
    report=$(python3 "$ROOT/tests/lib/compose_parity.py" "${args[@]}" \
        --hashes "$TMP/ds.hash" "$TMP/dc.hash" "$TMP/dc.raw" \
        --variables "$TMP/ds.vars" "$TMP/dc.vars" "$TMP/ds.json" "$TMP/dc.json")
    prc=$?
    last=$(tail -n 1 <<<"$report")
    read -r _ fields _ equal _ purpose _ yet _ differ _ hashes _ hequal _ vars _ vequal <<<"$last"
    if [ $prc -eq 0 ]; then
        ok "$name: devstack and compose agree ($equal of $fields fields, $hequal of $hashes hashes, $vequal of $vars variables equal; $purpose on purpose, $yet not yet supported)"
    elif [ $prc -eq 1 ]; then
        not_ok "$name: devstack and compose agree ($differ differ)" \
            "$(grep -v '^fields ' <<<"$report" | grep -v '^on purpose\|^not yet' | head -n 30)"
    else
        not_ok "$name: the comparison runs" "$report"
        continue
    fi
    # the allowed differences are shown too, so the lists above are easy to empty
    grep '^on purpose\|^not yet' <<<"$report" | sed 's/^/# /'
    SUMMARY+=("$(printf '%-46s %6d %6d %6d %6d %6d %6d %6d %6d %6d' "$name" "$fields" "$equal" "$purpose" \
        "$yet" "$differ" "$hashes" "$hequal" "$vars" "$vequal")")
    total_fields=$((total_fields + fields)) total_equal=$((total_equal + equal))
    total_purpose=$((total_purpose + purpose)) total_yet=$((total_yet + yet))
    total_differ=$((total_differ + differ))
    total_hashes=$((total_hashes + hashes)) total_hequal=$((total_hequal + hequal))
    total_vars=$((total_vars + vars)) total_vequal=$((total_vequal + vequal))
done

echo "# agreement with $(docker compose version 2>/dev/null)"
echo "# $(printf '%-46s %6s %6s %6s %6s %6s %6s %6s %6s %6s' project fields equal purpose notyet differ \
    hashes equal vars equal)"
for line in "${SUMMARY[@]}"; do echo "# $line"; done
echo "# $(printf '%-46s %6d %6d %6d %6d %6d %6d %6d %6d %6d' total "$total_fields" "$total_equal" \
    "$total_purpose" "$total_yet" "$total_differ" "$total_hashes" "$total_hequal" "$total_vars" "$total_vequal")"
pct=$(awk -v e="$total_equal" -v f="$total_fields" 'BEGIN { printf "%.1f", f ? 100 * e / f : 0 }')
echo "# fields: $total_equal of $total_fields equal ($pct%); $total_purpose differ on purpose," \
    "$total_yet under keys not yet supported, $total_differ otherwise"
echo "# config --hash: $total_hequal of $total_hashes equal (services whose fields all agree)"
echo "# config --variables: $total_vequal of $total_vars rows equal"

tap_done
