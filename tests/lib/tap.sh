# TAP output for the shell tests, as tests/run-tests.sh reads it. Sourced.
# A test runs what it checks so that `rc`, `out` and (when kept apart) `err`
# hold the exit code and output; a failed check shows them.

n=0 failed=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}

# not_ok WHAT [DETAIL]: DETAIL if given, else the last command's rc, out, err
not_ok() {
    n=$((n + 1)) failed=$((failed + 1))
    echo "not ok $n - $1"
    if [ $# -ge 2 ]; then
        printf '%s\n' "$2"
    else
        printf '%s\n' "exit ${rc:-?}; output:" "${out:-}"
        [ -n "${err:-}" ] && printf '%s\n' "stderr:" "$err"
    fi | tail -n 40 | sed 's/^/#   /'
    return 0
}

# check WHAT CONDITION...: ok when the condition (shell text, evaluated) holds
check() {
    local what=$1
    shift
    if eval "$@"; then ok "$what"; else not_ok "$what"; fi
}

# differs KEY WHAT: on the engine under test (DEVSTACK_TEST_ENGINE, set by
# tests/engine-matrix.sh) WHAT is not so, for the reason tests/engines/ENGINE.txt
# gives under SCRIPT:KEY. Counted apart, as a difference, never as passed; a
# difference the list does not name fails.
differs() {
    local engine=${DEVSTACK_TEST_ENGINE:-} key reason list
    key=$(basename "$0"):$1
    list=$(dirname "${BASH_SOURCE[0]}")/../engines/$engine.txt
    reason=$(awk -v k="$key" '$1 == k { $1 = ""; sub(/^ +/, ""); print; exit }' "$list" 2>/dev/null)
    if [ -z "$engine" ] || [ -z "$reason" ]; then
        not_ok "$2" "a difference ($key) that tests/engines/${engine:-ENGINE}.txt does not name"
        return 0
    fi
    n=$((n + 1))
    echo "differs $n - $2 # ${engine}: $reason"
}

# the plan line; the status says whether everything passed
tap_done() {
    echo "1..$n"
    [ "$failed" -eq 0 ]
}

# tap_cannot_run WHAT: end a script whose prerequisite WHAT ("mariadb-server
# is installed") does not hold: a failure in CI, where setup provides it, a
# skip elsewhere
tap_cannot_run() {
    if [ "${CI:-}" = true ]; then
        echo "not ok 1 - $1"
        echo "1..1"
        exit 1
    fi
    echo "1..0 # SKIP not so: $1 (scripts/setup.sh)"
    exit 0
}

# tap_bail WHAT: end the script at once on a failed first step
tap_bail() {
    echo "not ok 1 - $1"
    echo "1..1"
    exit 1
}
