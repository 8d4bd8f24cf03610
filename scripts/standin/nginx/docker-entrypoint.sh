#!/bin/bash
# Entrypoint of devstack's nginx stand-in, with the official nginx image's
# hooks: before nginx starts, /docker-entrypoint.d/*.envsh are sourced and
# *.sh are run (executable ones only, in version order), so that templates in
# /etc/nginx/templates and users' own scripts work the same way.
# NGINX_ENTRYPOINT_QUIET_LOGS=1 silences this script.
set -eo pipefail

entrypoint_log() {
    if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
        echo "$@"
    fi
}

if [ "${1:-}" = nginx ] || [ "${1:-}" = nginx-debug ]; then
    # Debian has no separate debug build; nginx-debug means nginx.
    if [ "$1" = nginx-debug ]; then
        set -- nginx "${@:2}"
    fi
    if find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | grep -q .; then
        entrypoint_log "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
        entrypoint_log "$0: Looking for shell scripts in /docker-entrypoint.d/"
        while read -r f; do
            case $f in
            *.envsh)
                if [ -x "$f" ]; then
                    entrypoint_log "$0: Sourcing $f"
                    # shellcheck disable=SC1090
                    . "$f"
                else
                    entrypoint_log "$0: Ignoring $f, not executable"
                fi ;;
            *.sh)
                if [ -x "$f" ]; then
                    entrypoint_log "$0: Launching $f"
                    "$f"
                else
                    entrypoint_log "$0: Ignoring $f, not executable"
                fi ;;
            *) entrypoint_log "$0: Ignoring $f" ;;
            esac
        done < <(find /docker-entrypoint.d/ -follow -type f -print | sort -V)
        entrypoint_log "$0: Configuration complete; ready for start up"
    else
        entrypoint_log "$0: No files found in /docker-entrypoint.d/, skipping configuration"
    fi
fi

exec "$@"
