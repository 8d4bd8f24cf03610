# What the integration tests share about the engine. Sourced.
# A test that runs the registry-free test image makes sure of it first:
#     test_image_ensure "$SOCK" || tap_bail "...: $TEST_IMAGE_ERROR"
# (tests/lib/test_image.sh, sourced here).

# shellcheck source=tests/lib/test_image.sh
. "$(dirname "${BASH_SOURCE[0]}")/test_image.sh"
SOCK=/var/run/docker.sock
[[ ${DOCKER_HOST:-} == unix://* ]] && SOCK=${DOCKER_HOST#unix://}
IMAGE=$TEST_IMAGE

# on_podman: true when the engine is Podman (its /_ping says Server: Libpod/...). Asked
# once; the reply is read whole first (grep -q on a pipe from curl could end first and, under
# pipefail, make curl's SIGPIPE the answer).
on_podman() {
    local head
    if [ -z "${ON_PODMAN:-}" ]; then
        head=$(curl -fsS -D - -o /dev/null --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null)
        ON_PODMAN=no
        grep -qi '^server: libpod/' <<<"$head" && ON_PODMAN=yes
    fi
    [ "$ON_PODMAN" = yes ]
}

# api_minor: the minor part of the engine's API version (41 for Engine 20.10, 45 for 26.1)
api_minor() {
    local v
    v=$(curl -fsS -D - -o /dev/null --unix-socket "$SOCK" http://localhost/_ping |
        sed -n 's/^[Aa]pi-[Vv]ersion: 1\.\([0-9]*\).*/\1/p')
    echo "${v:-41}"
}

# api PATH: GET an Engine API path (v1.41), the body on stdout
api() { curl -fsS --unix-socket "$SOCK" "http://localhost/v1.41$1"; }

# past_events SINCE UNTIL FILTERS: the engine's events from SINCE to UNTIL (unix seconds)
# matching FILTERS (the API's JSON), one JSON object a line. Docker waits for an UNTIL still to
# come. Podman reads its whole events file for each query and ends the query when UNTIL comes,
# read or not: with a file of a few MB that is a cut list, often an empty one. So on Podman
# stream=false reads to the end (the events so far) and the UNTIL is applied here.
past_events() {
    local q
    q=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$3")
    if on_podman; then
        api "/events?since=$1&stream=false&filters=$q" |
            python3 -c 'import json,sys
for l in sys.stdin:
    if l.strip() and json.loads(l)["time"] <= int(sys.argv[1]):
        sys.stdout.write(l)' "$2"
    else
        api "/events?since=$1&until=$2&filters=$q"
    fi
}

# ds DIR ARGS...: devstack in a project directory; sets rc and out (stdout and stderr)
ds() {
    local dir=$1
    shift
    out=$(cd "$dir" && "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}

# remove_projects PREFIX: remove what every compose project whose name starts
# with PREFIX left on the engine: containers (with their anonymous volumes),
# networks, volumes and labelled images; what is gone already is fine
remove_projects() {
    local prefix=$1 q id name
    q=$(python3 -c 'import json,urllib.parse; print(urllib.parse.quote(json.dumps({"label":["com.docker.compose.project"]})))')
    for id in $(api "/containers/json?all=1&filters=$q" | python3 -c "import json,sys; [print(c['Id']) for c in json.load(sys.stdin) if c['Labels'].get('com.docker.compose.project','').startswith('$prefix')]"); do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/containers/$id?force=1&v=1" >/dev/null
    done
    for name in $(api "/networks?filters=$q" | python3 -c "import json,sys; [print(n['Name']) for n in json.load(sys.stdin) if n['Labels'].get('com.docker.compose.project','').startswith('$prefix')]"); do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/networks/$name" >/dev/null
    done
    for name in $(api "/volumes?filters=$q" | python3 -c "import json,sys; [print(v['Name']) for v in (json.load(sys.stdin)['Volumes'] or []) if v['Labels'].get('com.docker.compose.project','').startswith('$prefix')]"); do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/volumes/$name" >/dev/null
    done
    for id in $(api "/images/json?filters=$q" | python3 -c "import json,sys; [print(i['Id']) for i in json.load(sys.stdin) if (i.get('Labels') or {}).get('com.docker.compose.project','').startswith('$prefix')]"); do
        curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost/images/$id?force=1" >/dev/null 2>&1
    done
}
