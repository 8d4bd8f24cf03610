#!/usr/bin/env bash
# Shell completion and devstack(1), both made from the command tables: the
# bash script driven as bash drives it (COMP_WORDS, COMP_CWORD, the function,
# COMPREPLY), the zsh script loaded by compinit and run with zsh's
# completion functions stubbed, the man page linted and complete, and
# `make install` putting all of it in place. The expected words come from
# `devstack help`, so that a command added to a table is checked too.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_completion.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
unset COMPOSE_FILE COMPOSE_PROJECT_NAME COMPOSE_PROFILES

. "$ROOT/tests/lib/tap.sh"

# a tool the test needs: its checks fail in CI (setup installs it), are skipped elsewhere
have() {
    command -v "$1" >/dev/null && return 0
    if [ "${CI:-}" = true ]; then
        not_ok "$1 is installed (scripts/setup.sh installs it)" "missing: $1"
    else
        echo "skip - $1 is not installed: its checks did not run (scripts/setup.sh installs it)"
    fi
    return 1
}

# the script calls `devstack` by the name typed, as a user's shell does
mkdir -p "$TMP/bin"
ln -s "$DEVSTACK" "$TMP/bin/devstack"
export PATH="$TMP/bin:$PATH"

# a project to complete services from, and files to complete
mkdir -p "$TMP/proj/sub"
cat >"$TMP/proj/compose.yaml" <<'EOF'
services:
  web:
    image: devstack-test/busybox:latest
  worker:
    image: devstack-test/busybox:latest
  cache:
    image: devstack-test/busybox:latest
    profiles: [extra]
EOF
: >"$TMP/proj/dump.sql"
mkdir -p "$TMP/broken"
printf 'services:\n  web: [\n' >"$TMP/broken/compose.yaml"

# ---- bash --------------------------------------------------------------------------------

"$DEVSTACK" completion bash >"$TMP/devstack.bash"
rc=$? out=$(bash -n "$TMP/devstack.bash" 2>&1)
check "completion bash prints a script that bash -n accepts" '[ $rc -eq 0 ] && [ -z "$out" ] && [ -s "$TMP/devstack.bash" ]'

# shellcheck source=/dev/null
. "$TMP/devstack.bash"
check "the script registers _devstack for devstack" '[[ $(complete -p devstack) == *"-F _devstack devstack"* ]]'

# comp WORD...: complete the last word as bash would; `out` is COMPREPLY sorted, one line
comp() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _devstack devstack "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    rc=$?
    out=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
    out=${out% }
}
# commands HELP_ARGS...: the command names `devstack HELP_ARGS --help` lists, sorted
commands() {
    "$DEVSTACK" "$@" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' | sort | tr '\n' ' ' | sed 's/ $//'
}
# long_options HELP_ARGS...: the long options `devstack HELP_ARGS --help` lists, sorted
long_options() {
    "$DEVSTACK" "$@" --help | grep -oE '^ +(-[a-zA-Z0-9], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | sort | tr '\n' ' ' | sed 's/ $//'
}

want=$(commands | tr ' ' '\n' | grep '^d' | tr '\n' ' ')
comp devstack d
check "devstack d<Tab>: the commands starting with d (db doctor down)" \
    '[ "$out" = "${want% }" ] && [[ " $out " == *" db "* && " $out " == *" doctor "* && " $out " == *" down "* ]]'

comp devstack ''
check "devstack <Tab>: every command of the help, no hidden one" '[ "$out" = "$(commands)" ] && [[ $out != *__* ]]'

comp devstack db ''
check "devstack db <Tab>: db's commands" '[ "$out" = "$(commands db)" ] && [[ " $out " == *" current "* && " $out " == *" snapshot "* ]]'

comp devstack db snapshot ''
check "devstack db snapshot <Tab>: its commands" '[ "$out" = "$(commands db snapshot)" ] && [[ " $out " == *" restore "* && " $out " == *" rm "* ]]'

comp devstack db snapshot restore --
check "devstack db snapshot restore --<Tab>: its options" '[ "$out" = "$(long_options db snapshot restore)" ] && [[ " $out " == *" --latest "* ]]'

comp devstack up --
check "devstack up --<Tab>: every long option of up" \
    '[ "$out" = "$(long_options up)" ] && [[ " $out " == *" --detach "* && " $out " == *" --pull "* && " $out " == *" --help "* ]]'

comp devstack up -
check "devstack up -<Tab>: short options too" '[[ " $out " == *" -d "* && " $out " == *" --detach "* ]]'

comp devstack -
check "devstack -<Tab>: the global options" \
    '[[ " $out " == *" -f "* && " $out " == *" --file "* && " $out " == *" -p "* && " $out " == *" --env-file "* && " $out " == *" --project-directory "* && " $out " == *" --profile "* ]] && [[ " $out " != *" --detach "* ]]'

comp devstack up --pull ''
check "devstack up --pull <Tab>: its choices" '[ "$out" = "always missing never" ]'
comp devstack up --pull = m
check "devstack up --pull=m<Tab> (bash splits at '='): missing" '[ "$out" = "missing" ]'
comp devstack up --pull =
check "devstack up --pull=<Tab>: the choices after the '='" '[ "$out" = "=always =missing =never" ]'
comp devstack ps --format ''
check "devstack ps --format <Tab>: table json" '[ "$out" = "json table" ]'
comp devstack completion ''
check "devstack completion <Tab>: bash zsh" '[ "$out" = "bash zsh" ]'

cd "$TMP/proj" || exit 1
comp devstack logs ''
check "devstack logs <Tab> in a project: its services" '[ "$out" = "cache web worker" ]'
comp devstack logs -f w
check "devstack logs -f w<Tab>: the services starting with w" '[ "$out" = "web worker" ]'
comp devstack exec ''
check "devstack exec <Tab>: the services" '[ "$out" = "cache web worker" ]'
comp devstack exec web ''
check "devstack exec web <Tab>: nothing of devstack's (the command is the container's)" '[ -z "$out" ]'
comp devstack -f ''
check "devstack -f <Tab>: files" '[[ " $out " == *" compose.yaml "* && " $out " == *" dump.sql "* ]]'
comp devstack --env-file =
check "devstack --env-file=<Tab> (bash's word is the '='): files, the '=' kept" '[[ " $out " == *" =compose.yaml "* && " $out " == *" =dump.sql "* ]]'
comp devstack db restore d
check "devstack db restore d<Tab>: files" '[ "$out" = "dump.sql" ]'
comp devstack --project-directory ''
check "devstack --project-directory <Tab>: directories only" '[ "$out" = "sub" ]'
comp devstack __
check "hidden commands are not offered" '[ -z "$out" ]'

cd "$TMP" || exit 1
comp devstack -f proj/compose.yaml logs ''
check "devstack -f FILE logs <Tab>: the services of that file" '[ "$out" = "cache web worker" ]'
comp devstack --project-directory proj -p other ps ''
check "devstack --project-directory DIR ps <Tab>: the services there" '[ "$out" = "cache web worker" ]'

cd "$TMP/broken" || exit 1
comp devstack logs '' 2>"$TMP/err"
err=$(<"$TMP/err")
check "a compose file that does not load: no services, nothing on the terminal" '[ -z "$out" ] && [ -z "$err" ]'
out=$("$DEVSTACK" __complete -- logs '' 2>&1)
check "__complete says nothing of the broken file either" '[ "$out" = ":none" ]'
cd "$TMP" || exit 1

# ---- zsh ---------------------------------------------------------------------------------

if have zsh; then
    mkdir -p "$TMP/zfunc"
    "$DEVSTACK" completion zsh >"$TMP/zfunc/_devstack"
    out=$(zsh -n "$TMP/zfunc/_devstack" 2>&1)
    rc=$?
    check "completion zsh prints a script that zsh -n accepts" '[ $rc -eq 0 ] && [ -z "$out" ]'

    out=$(zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -d "$2/zcompdump"
        print -r -- "$_comps[devstack]"' zsh "$TMP/zfunc" "$TMP" 2>&1)
    check "compinit finds it in fpath: _devstack completes devstack" '[ "$out" = "_devstack" ]'

    # zsh's completion builtins work only in a widget: stub the two the script calls
    # and run it autoloaded, with the words zsh would give it
    zdrive() {
        out=$(cd "$TMP/proj" && zsh -f -c '
            fpath=("$1" $fpath); autoload -U _devstack
            _describe() { print -rl -- "describe:" "${(@P)4}"; }
            _files() { print -r -- "files: $*"; }
            shift; words=("$@"); CURRENT=$#words; PREFIX=$words[CURRENT]
            _devstack' zsh "$TMP/zfunc" "$@" 2>&1)
    }
    zdrive devstack up --d
    check "zsh: up --d<Tab> offers --detach with up's help text" \
        '[[ $out == *"--detach:"* ]] && [[ $out == *"--detach:$("$DEVSTACK" __complete -- up --detach | cut -f2 | head -1)"* ]]'
    zdrive devstack d
    check "zsh: d<Tab> offers db, doctor, down with their descriptions" \
        'grep -q "^db:Database" <<<"$out" && grep -q "^doctor:." <<<"$out" && grep -q "^down:." <<<"$out"'
    zdrive devstack logs ''
    check "zsh: logs <Tab> offers the project's services" 'grep -qx cache <<<"$out" && grep -qx web <<<"$out" && grep -qx worker <<<"$out"'
    zdrive devstack up --pull=n
    check "zsh: up --pull=n<Tab> completes the whole word" 'grep -qx -- "--pull=never" <<<"$out"'
    zdrive devstack -f ''
    check "zsh: -f <Tab> completes files" '[[ $out == *"files: "* ]]'
fi

# ---- devstack(1) --------------------------------------------------------------------------

"$DEVSTACK" __man --date 2026-01-02 >"$TMP/devstack.1"
rc=$?
check "__man writes a page" '[ $rc -eq 0 ] && [[ $(head -2 "$TMP/devstack.1") == *".TH DEVSTACK 1 \"2026-01-02\""* ]]'

if have groff; then
    out=$(groff -man -ww -z "$TMP/devstack.1" 2>&1)
    check "groff -man -ww renders it without a warning" '[ -z "$out" ]'
fi
if have mandoc; then
    out=$(mandoc -Tlint -Wwarning "$TMP/devstack.1" 2>&1)
    rc=$?
    check "mandoc -Tlint finds no warning or error" '[ $rc -eq 0 ] && [ -z "$out" ]'
fi

# every command and each of its options, in the command's own section
missing=
while IFS=$'\t' read -r path opts; do
    section=$(awk -v h=".SS \"devstack $path\"" '$0 == h {on = 1; next} /^\.S[SH] / {on = 0} on' "$TMP/devstack.1" | sed 's/\\-/-/g')
    if [ -z "$section" ]; then
        missing+="no section for 'devstack $path'"$'\n'
        continue
    fi
    for o in $opts; do
        o=${o%%,*}
        grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|$)" <<<"$section" || missing+="devstack $path: no $o"$'\n'
    done
done < <("$DEVSTACK" __commands)
check "the page has a section for every command, with each of its options" '[ -z "$missing" ]' || true
[ -n "$missing" ] && printf '#   %s\n' "$missing"
n_commands=$("$DEVSTACK" __commands | wc -l)
check "__commands lists the commands ($n_commands, db and db snapshot ones included)" \
    '[ "$n_commands" -gt 20 ] && "$DEVSTACK" __commands | grep -q "^db snapshot restore"'

for v in DOCKER_HOST COMPOSE_PROJECT_NAME COMPOSE_FILE DATABASE_URL; do
    grep -qx ".B $v" "$TMP/devstack.1" || missing+="$v "
done
check "ENVIRONMENT names DOCKER_HOST, COMPOSE_PROJECT_NAME, COMPOSE_FILE, DATABASE_URL" '[ -z "$missing" ]'

# every variable the sources read (getenv, the endpoint's and the workspace's lookups,
# the compose environment's), except the generic ones, is in ENVIRONMENT
read_vars=$(grep -rhoE '(getenv|env_get|env_true|kvlist_get)\((env, |&p->environment, )?"[A-Z][A-Z0-9_]*"|str_skip_prefix\(\*e, "[A-Z][A-Z0-9_]*=' \
    "$ROOT/src" "$ROOT/cmd" | grep -oE '"[A-Z][A-Z0-9_]*' | tr -d '"' | sort -u |
    grep -vxE 'PATH|HOME|TERM|COLUMNS')
undocumented=
for v in $read_vars; do
    grep -qx ".B $v" "$TMP/devstack.1" || undocumented+="$v "
done
check "every environment variable devstack reads is in ENVIRONMENT ($(wc -w <<<"$read_vars") found)" \
    '[ -z "$undocumented" ] && [ "$(wc -w <<<"$read_vars")" -gt 10 ]' || true
[ -n "$undocumented" ] && echo "#   not in the page: $undocumented"

for code in 0 1 2 130; do
    grep -qx ".B $code" "$TMP/devstack.1" || missing+="exit $code "
done
check "EXIT STATUS has 0, 1, 2 and 130" '[ -z "$missing" ]'

# ---- make install ------------------------------------------------------------------------

out=$(make -s -C "$ROOT" --no-print-directory install PREFIX="$TMP/inst" 2>&1)
rc=$?
check "make install PREFIX=DIR installs devstack, devstack(1) and both completions" \
    '[ $rc -eq 0 ] && [ -x "$TMP/inst/bin/devstack" ] && [ -s "$TMP/inst/share/man/man1/devstack.1" ] &&
     [ -s "$TMP/inst/share/bash-completion/completions/devstack" ] && [ -s "$TMP/inst/share/zsh/site-functions/_devstack" ]'
check "the installed page is the build's, made from the tables" \
    'grep -q "^\.SS \"devstack db snapshot restore\"" "$TMP/inst/share/man/man1/devstack.1"'
out=$(MANPAGER=cat MANWIDTH=80 man -l "$TMP/inst/share/man/man1/devstack.1" 2>&1)
check "man -l renders the installed page" '[[ $out == *"devstack db snapshot restore"* && $out == *"EXIT STATUS"* ]]'
out=$(make -s -C "$ROOT" --no-print-directory uninstall PREFIX="$TMP/inst" 2>&1)
rc=$?
left=$(find "$TMP/inst" -type f)
check "make uninstall removes all four" '[ $rc -eq 0 ] && [ -z "$left" ]'

tap_done
