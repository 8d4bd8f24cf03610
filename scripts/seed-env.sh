#!/usr/bin/env bash
# scripts/seed-env.sh ENV_FILE: make ENV_FILE from the .env.example beside it,
# as devstack's first `up` makes it: mode 600, never over an existing file (a
# symlink counts), and an empty COMPOSE_PROJECT_NAME in the example (the
# bundled stack's leaves it empty) given this checkout's own name, so that two
# clones on one machine never share containers or the database volume:
#
#   the checkout's directory name (the nearest directory up with a .git, else
#   ENV_FILE's), made a Compose project name (lowercase, [a-z0-9_-] kept, no
#   leading '-' or '_'), a dash, and the first six hex digits of SHA-256 over
#   the real path of ENV_FILE's directory: devstack-3f09a1
#
# The same rule as devstack's (workspace_checkout_name in src/workspace/).
# Used by `make compose/.env` (the dev container's initializeCommand) and by
# scripts/standin-images.sh --stack. Says what it made on stdout.
set -euo pipefail

PROG=seed-env.sh
[ $# -eq 1 ] || {
    echo "usage: $PROG ENV_FILE" >&2
    exit 2
}
env_file=$1
dir=$(dirname "$env_file")
example=$dir/.env.example

if [ -e "$env_file" ] || [ -L "$env_file" ]; then
    exit 0
fi
if [ ! -f "$example" ]; then
    echo "$PROG: $env_file does not exist and there is no $example to make it from" >&2
    exit 1
fi

# checkout_name DIR: this checkout's own project name (see above)
checkout_name() {
    local real top base
    real=$(cd "$1" && pwd -P) || return 1
    top=$real
    while [ "$top" != / ] && [ ! -e "$top/.git" ]; do top=$(dirname "$top"); done
    [ -e "$top/.git" ] || top=$real
    base=$(basename "$top" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-' | sed 's/^[-_]*//')
    printf '%s-%s\n' "${base:-stack}" "$(printf '%s' "$real" | sha256sum | cut -c1-6)"
}

name=$(checkout_name "$dir") || {
    echo "$PROG: cannot read the directory $dir" >&2
    exit 1
}
tmp=$(mktemp "$env_file.XXXXXX" 2>/dev/null) || {
    echo "$PROG: cannot create $env_file: $dir is not writable" >&2
    exit 1
}
trap 'rm -f "$tmp"' EXIT
# The first empty assignment gets the name, unless one has a value: the user's choice.
awk -v name="$name" '
    function value(line) {
        if (line !~ /^[ \t]*(export[ \t]+)?COMPOSE_PROJECT_NAME[ \t]*=/) return "-"
        sub(/^[^=]*=[ \t]*/, "", line); sub(/[ \t\r]*$/, "", line)
        if (line ~ /^".*"$/ || line ~ /^\x27.*\x27$/) line = substr(line, 2, length(line) - 2)
        return line
    }
    NR == FNR { v = value($0); if (v != "-" && v != "") chosen = 1; next }
    !chosen && !done && value($0) == "" { print "COMPOSE_PROJECT_NAME=" name; done = 1; next }
    { print }
' "$example" "$example" >"$tmp"
chmod 600 "$tmp"
sync "$tmp" 2>/dev/null || true
# linked into place: never over a file another process made meanwhile
if ! ln "$tmp" "$env_file" 2>/dev/null; then
    [ -e "$env_file" ] && exit 0
    echo "$PROG: cannot create $env_file" >&2
    exit 1
fi
if grep -qxF "COMPOSE_PROJECT_NAME=$name" "$env_file"; then
    echo "$PROG: created $env_file from $example, with COMPOSE_PROJECT_NAME=$name (this checkout's own project name)"
else
    echo "$PROG: created $env_file from $example"
fi
