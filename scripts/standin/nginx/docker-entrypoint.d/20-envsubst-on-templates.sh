#!/bin/bash
# The official image's template step: every *.template under
# /etc/nginx/templates becomes the same relative path without the suffix under
# /etc/nginx/conf.d, with ${VAR} replaced by the environment. Only variables
# that are set are replaced, so nginx's own $host, $uri... survive.
#
#   NGINX_ENVSUBST_TEMPLATE_DIR     default /etc/nginx/templates
#   NGINX_ENVSUBST_TEMPLATE_SUFFIX  default .template
#   NGINX_ENVSUBST_OUTPUT_DIR       default /etc/nginx/conf.d
#   NGINX_ENVSUBST_FILTER           only variables whose name matches this regex
set -eo pipefail

ME=$(basename "$0")

entrypoint_log() {
    if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
        echo "$@"
    fi
}

auto_envsubst() {
    local template_dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
    local suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
    local output_dir=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
    local filter=${NGINX_ENVSUBST_FILTER:-}
    local template defined_envs relative_path output_path name

    [ -d "$template_dir" ] || return 0
    if [ ! -w "$output_dir" ]; then
        entrypoint_log "$ME: ERROR: $template_dir exists, but $output_dir is not writable"
        return 0
    fi
    defined_envs=""
    while read -r name; do
        if [ -z "$filter" ] || [[ $name =~ $filter ]]; then
            defined_envs+="\${$name} "
        fi
    done < <(compgen -e)

    while read -r template; do
        relative_path=${template#"$template_dir/"}
        output_path=$output_dir/${relative_path%"$suffix"}
        mkdir -p "$(dirname "$output_path")"
        entrypoint_log "$ME: Running envsubst on $template to $output_path"
        envsubst "$defined_envs" <"$template" >"$output_path"
    done < <(find "$template_dir" -follow -type f -name "*$suffix" -print)
}

auto_envsubst

exit 0
