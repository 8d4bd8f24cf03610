#!/usr/bin/env bash
# Benchmark (not a test): loading inputs with many entries, where a linear
# lookup per entry makes loading quadratic. Generates
#   a mapping with N keys (an x- extension), `environment:` with N entries,
#   a .env with N keys, N services, a depends_on chain of N/2 services,
#   N/2 Alembic revisions in a line,
# and times `devstack config -q` on each (`db history` and `db heads` on the
# revisions), RUNS times (default 3), the median wall time and CPU time
# (user + system). DEVSTACK_OLD=path adds a column for another build (say
# main's) to compare with.
#     tests/bench/load-scale.sh [N]        (default 40000)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
OLD=${DEVSTACK_OLD:+$(realpath "$DEVSTACK_OLD")}
N=${1:-40000}
RUNS=${RUNS:-3}
[ -x /usr/bin/time ] || { echo "load-scale.sh: needs GNU time (/usr/bin/time)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" "$N" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
half = n // 2
def w(rel, text):
    path = os.path.join(work, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
w('mapping/compose.yaml', 'services:\n  s:\n    image: x\nx-big:\n' + ''.join(f'  key{i}: {i}\n' for i in range(n)))
w('environment/compose.yaml', 'services:\n  s:\n    image: x\n    environment:\n' + ''.join(f'      VAR_{i}: v{i}\n' for i in range(n)))
w('dotenv/compose.yaml', 'services:\n  s:\n    image: x\n    environment:\n      A: ${VAR_1}\n')
w('dotenv/.env', ''.join(f'VAR_{i}=v{i}\n' for i in range(n)))
w('services/compose.yaml', 'services:\n' + ''.join(f'  s{i}:\n    image: x\n' for i in range(n)))
w('chain/compose.yaml', 'services:\n' + ''.join(f'  s{i}:\n    image: x\n' + (f'    depends_on: [s{i + 1}]\n' if i + 1 < half else '') for i in range(half)))
w('revisions/alembic.ini', '[alembic]\nscript_location = %(here)s/migrations\n')
for i in range(half):
    down = f'"{i - 1:012x}"' if i else 'None'
    w(f'revisions/migrations/versions/{i:012x}_r.py',
      f'"""r{i}\n\nRevision ID: {i:012x}\nRevises: \nCreate Date: 2026-01-01 00:00:00\n\n"""\n'
      f'revision = "{i:012x}"\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\n'
      'def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n')
PY

# measure DIR BIN ARGS...: "wall cpu" (seconds) of the median run by wall time
measure() {
    local dir=$1 bin=$2
    shift 2
    for _ in $(seq 1 "$RUNS"); do
        (cd "$work/$dir" && /usr/bin/time -f '%e %U %S' -o "$work/t" "$bin" "$@" >/dev/null 2>&1) ||
            { echo "load-scale.sh: $bin $* failed in $dir" >&2; exit 1; }
        awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/t"
    done | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}
row() {
    local what=$1 dir=$2
    shift 2
    read -r w c < <(measure "$dir" "$DEVSTACK" "$@")
    if [ -n "$OLD" ]; then
        read -r ow oc < <(measure "$dir" "$OLD" "$@")
        printf '%-36s %8.2f s %8.2f s   %8.2f s %8.2f s\n' "$what" "$ow" "$oc" "$w" "$c"
    else
        printf '%-36s %8.2f s %8.2f s\n' "$what" "$w" "$c"
    fi
}
if [ -n "$OLD" ]; then
    printf '%-36s %21s   %21s\n' "N=$N (median of $RUNS)" "old: wall      cpu" "new: wall      cpu"
else
    printf '%-36s %21s\n' "N=$N (median of $RUNS)" "wall      cpu"
fi
row "a mapping of N keys" mapping config -q
row "environment: of N entries" environment config -q
row ".env of N keys" dotenv config -q
row "N services" services config -q
row "depends_on chain of N/2 services" chain config -q
row "db history, N/2 revisions" revisions db history
row "db heads, N/2 revisions" revisions db heads
