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
