#!/usr/bin/env bash
# Run test programs and sum their results.
#
#   tests/run-tests.sh --tier NAME [--valgrind] PROGRAM...
#
# A PROGRAM is a cmocka binary (its "[  PASSED  ] N" and "[  FAILED  ] N"
# lines are counted) or a .sh script that prints TAP-style "ok" / "not ok"
# lines. A program that exits non-zero fails the tier even if every counted
# test passed (a crash, a sanitizer report, a leak under valgrind).
set -u

tier=tests
use_valgrind=0
while [ $# -gt 0 ]; do
    case "$1" in
    --tier) tier=$2; shift 2 ;;
    --valgrind) use_valgrind=1; shift ;;
    *) break ;;
    esac
done

passed=0 failed=0 skipped=0 differ=0 programs=0 broken=()
log_dir=${TEST_LOG_DIR:-build/test-logs/$tier}
mkdir -p "$log_dir"

for prog in "$@"; do
    [ -e "$prog" ] || continue
    programs=$((programs + 1))
    name=$(basename "$prog")
    log="$log_dir/$name.log"
    start=$(date +%s%N)
    if [[ $prog == *.sh ]]; then
        bash "$prog" >"$log" 2>&1
        rc=$?
        p=$(grep -cE '^ok ' "$log")
        f=$(grep -cE '^not ok ' "$log")
        s=$(grep -cE '^skip ' "$log")
        d=$(grep -cE '^differs ' "$log")
        skipped=$((skipped + s))
        differ=$((differ + d))
    else
        if [ $use_valgrind = 1 ]; then
            CMOCKA_MESSAGE_OUTPUT=stdout valgrind -q --error-exitcode=99 --leak-check=full \
                --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
                --track-origins=yes "$prog" >"$log" 2>&1
        else
            CMOCKA_MESSAGE_OUTPUT=stdout "$prog" >"$log" 2>&1
        fi
        rc=$?
        s=0 d=0
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    fi
    p=${p:-0} f=${f:-0}
    ms=$((($(date +%s%N) - start) / 1000000))
    secs=$((ms / 1000)).$((ms % 1000 / 100))
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then
        broken+=("$name")
        printf '  FAIL  %-28s %3d passed, %d failed, exit %d (%ss)\n' "$name" "$p" "$f" "$rc" "$secs"
        # what failed, with the output a failed check shows under it ("#   " lines), so
        # that a run whose logs are gone (CI) still tells why
        awk '/^not ok / { diag = 1; print; next }
             diag && /^#   / { print; next }
             { diag = 0 }
             /^\[  (FAILED|ERROR) +\]|ERROR: |error:|==[0-9]+==|runtime error/' "$log" |
            head -n 60 | sed 's/^/        /'
        echo "        (full log: $log)"
    else
        printf '  ok    %-28s %3d passed%s%s (%ss)\n' "$name" "$p" \
            "$([ "$s" -gt 0 ] && echo ", $s SKIPPED")" \
            "$([ "$d" -gt 0 ] && echo ", $d differ on this engine")" "$secs"
    fi
done

echo "$tier: $passed passed, $failed failed, $skipped skipped,$([ $differ -gt 0 ] && echo " $differ differ on this engine (listed in tests/engines/),") in $programs programs"
if [ $programs -eq 0 ]; then
    echo "$tier: no test programs found" >&2
    exit 1
fi
if [ "${CI:-}" = true ] && [ $skipped -gt 0 ]; then
    echo "$tier: $skipped tests skipped; nothing may skip in CI" >&2
    exit 1
fi
[ ${#broken[@]} -eq 0 ]
