#!/usr/bin/env bash
# Replay every fuzz corpus file and crash reproducer through its target
# (built without libFuzzer, by make): tests/fuzz/corpus/<target>/ and
# tests/fuzz/crashes/<target>/. REPLAY_DIR names where the replay-<target>
# programs are.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPLAY_DIR=${REPLAY_DIR:?}
n=0 failed=0
for src in "$ROOT"/tests/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    t=${t#fuzz_}
    out=$("$REPLAY_DIR/replay-$t" "$ROOT/tests/fuzz/corpus/$t" "$ROOT/tests/fuzz/crashes/$t" 2>&1)
    rc=$?
    n=$((n + 1))
    if [ $rc -eq 0 ]; then
        echo "ok $n - $t: $(grep -o '[0-9]* inputs replayed' <<<"$out" | head -n 1) without a fault"
    else
        failed=$((failed + 1))
        echo "not ok $n - $t: replay failed (exit $rc)"
        printf '%s\n' "$out" | tail -n 30 | sed 's/^/#   /'
    fi
done
echo "1..$n"
[ $failed -eq 0 ]
