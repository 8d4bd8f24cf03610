# What the integration tests share about the engine. Sourced.
# The registry-free test image comes from tests/integration/prepare.sh.

SOCK=/var/run/docker.sock
[[ ${DOCKER_HOST:-} == unix://* ]] && SOCK=${DOCKER_HOST#unix://}
IMAGE=devstack-test/busybox:latest

# api PATH: GET an Engine API path (v1.41), the body on stdout
api() { curl -fsS --unix-socket "$SOCK" "http://localhost/v1.41$1"; }

# ds DIR ARGS...: devstack in a project directory; sets rc and out (stdout and stderr)
ds() {
    local dir=$1
    shift
    out=$(cd "$dir" && "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}
