# What the e2e tests of the bundled stack share. Sourced after engine.sh and
# tap.sh, with WS (the copy of the repository), TMP and LIMIT set.

# ds ARGS...: devstack in the copy; sets rc and out (stdout and stderr)
ds() {
    out=$(cd "$WS" && timeout "$LIMIT" "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}
# http URL [curl args...]: sets rc (curl's), code (HTTP status) and out (body)
http() {
    local url=$1
    shift
    out=$(curl -sS --max-time 20 -o "$TMP/body" -w '%{http_code}' "$@" "$url" 2>&1)
    rc=$?
    code=$out
    out=$(cat "$TMP/body" 2>/dev/null)
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# env_value KEY: its value in the copy's compose/.env
env_value() { sed -n "s/^$1=//p" "$WS/compose/.env" | tail -n 1; }
# label_count KIND PROJECT: the containers/networks/volumes with the project's label
label_count() {
    api "/$1$([ "$1" = containers ] && echo '/json?all=1&' || echo '?')filters=$(python3 -c 'import json, sys, urllib.parse; print(urllib.parse.quote(json.dumps({"label": ["com.docker.compose.project=" + sys.argv[1]]})))' "$2")" |
        python3 -c 'import json, sys; d = json.load(sys.stdin); d = d.get("Volumes") or [] if isinstance(d, dict) else d; print(len(d))'
}
# published_ports PROJECT: "IP:PORT" of every port its running containers publish, sorted
published_ports() {
    api "/containers/json?filters=$(python3 -c 'import json, sys, urllib.parse; print(urllib.parse.quote(json.dumps({"label": ["com.docker.compose.project=" + sys.argv[1]]})))' "$1")" |
        python3 -c 'import json, sys; print(" ".join(sorted("%s:%s" % (p.get("IP"), p.get("PublicPort")) for c in json.load(sys.stdin) for p in c["Ports"] if p.get("PublicPort"))))'
}
# copy_repository DIR: the repository's files (tracked and untracked, not ignored) into DIR
copy_repository() {
    mkdir -p "$1"
    (cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$1" -xf -
}
