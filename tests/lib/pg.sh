# A private PostgreSQL 15 cluster for the tests (Debian's postgresql-15), on
# 127.0.0.1 and a free port, its data, Unix socket and log under one
# directory. Sourced by shell tests:
#
#     . "$ROOT/tests/lib/pg.sh"
#     trap pg_stop EXIT
#     pg_start || exit 1               # PG_DIR: a new temporary directory
#     ... "$PG_URL" ...
#
# or run by programs (tests/integration/test_db_pg.c), one command a call:
#
#     bash tests/lib/pg.sh start DIR     # then read DIR/env
#     bash tests/lib/pg.sh sql DIR 'CREATE TABLE ...'   # as the superuser, in the app database
#     bash tests/lib/pg.sh stop DIR [--keep]
#
# pg_start exports (and writes to $PG_DIR/env as KEY=VALUE lines): PG_DIR,
# PG_HOST, PG_PORT, PG_SOCKET_DIR, PG_DATABASE, PG_USER, PG_PASSWORD and
# PG_URL / PG_SOCKET_URL (SQLAlchemy URLs of the app user, the password
# percent-encoded; the socket one names the directory as ?host=). The app
# user's password holds '@', ':' and '/' on purpose; it authenticates with
# scram-sha-256 over TCP and the socket alike, only the superuser (postgres)
# is trusted on the socket.
#
# The server refuses to run as root: as root every PostgreSQL program runs as
# the postgres system user (runuser), which owns the directory. No stdin is
# read, so CI runs it as is.

PG_DATABASE=${PG_DATABASE:-app}
PG_USER=${PG_USER:-app}
PG_PASSWORD=${PG_PASSWORD:-s3cr@t:pw/x}
PG_START_WAIT=${PG_START_WAIT:-60} # seconds for the server to answer

_pg_log() { echo "pg.sh: $*" >&2; }

_pg_bindir() {
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    _pg_log "initdb not found; install postgresql-15"
    return 1
}

# run a PostgreSQL program as the postgres user when we are root
_pg_run() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@" </dev/null
    else
        "$@" </dev/null
    fi
}

_pg_free_port() {
    local port
    if port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null); then
        echo "$port"
        return 0
    fi
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
    done
    return 1
}

_pg_urlencode() {
    local s=$1 out='' c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case $c in
        [A-Za-z0-9._~-]) out+=$c ;;
        *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}

_pg_write_env() {
    local user password
    user=$(_pg_urlencode "$PG_USER")
    password=$(_pg_urlencode "$PG_PASSWORD")
    PG_HOST=127.0.0.1
    PG_URL="postgresql+psycopg2://$user:$password@$PG_HOST:$PG_PORT/$PG_DATABASE"
    PG_SOCKET_URL="postgresql+psycopg2://$user:$password@/$PG_DATABASE?host=$PG_SOCKET_DIR&port=$PG_PORT"
    export PG_DIR PG_HOST PG_PORT PG_SOCKET_DIR PG_DATABASE PG_USER PG_PASSWORD PG_URL PG_SOCKET_URL
    {
        echo "PG_DIR=$PG_DIR"
        echo "PG_HOST=$PG_HOST"
        echo "PG_PORT=$PG_PORT"
        echo "PG_SOCKET_DIR=$PG_SOCKET_DIR"
        echo "PG_DATABASE=$PG_DATABASE"
        echo "PG_USER=$PG_USER"
        echo "PG_PASSWORD=$PG_PASSWORD"
        echo "PG_URL=$PG_URL"
        echo "PG_SOCKET_URL=$PG_SOCKET_URL"
    } >"$PG_DIR/env.tmp" && mv "$PG_DIR/env.tmp" "$PG_DIR/env"
}

_pg_read_env() {
    local dir=$1 key value
    [ -f "$dir/env" ] || { _pg_log "no server state in '$dir'"; return 1; }
    while IFS='=' read -r key value; do
        case $key in PG_*) printf -v "$key" '%s' "$value" ;; esac
    done <"$dir/env"
}

# psql as the superuser over the socket, in DB (default: the app database)
_pg_psql() {
    local sql=$1 db=${2:-$PG_DATABASE} bin
    bin=$(_pg_bindir) || return 1
    _pg_run "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres \
        -d "$db" -c "$sql"
}

# pg_start [DIR]: a cluster in DIR (default: a new temporary directory), started.
pg_start() {
    local bin
    bin=$(_pg_bindir) || return 1
    PG_DIR=${1:-$(mktemp -d "${TMPDIR:-/tmp}/devstack-pg.XXXXXX")} || return 1
    mkdir -p "$PG_DIR" || return 1
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || { _pg_log "no postgres system user; install postgresql-15"; return 1; }
        chown postgres: "$PG_DIR" || return 1
        _pg_run test -w "$PG_DIR" || {
            _pg_log "the postgres user cannot reach '$PG_DIR' (a parent is closed to it): set TMPDIR to a directory it can"
            return 1
        }
    fi
    PG_SOCKET_DIR=$PG_DIR
    PG_PORT=$(_pg_free_port) || { _pg_log "no free port"; return 1; }
    _pg_run "$bin/initdb" -D "$PG_DIR/data" -U postgres --no-locale -E UTF8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 || {
        _pg_log "initdb failed:"
        cat "$PG_DIR/initdb.log" >&2
        return 1
    }
    # the superuser is trusted on the socket only; everyone else gives a password
    printf '%s\n' 'local all postgres trust' 'local all all scram-sha-256' \
        'host all all 127.0.0.1/32 scram-sha-256' >"$PG_DIR/pg_hba.conf" &&
        _pg_run cp "$PG_DIR/pg_hba.conf" "$PG_DIR/data/pg_hba.conf" &&
        printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\n" \
            "$PG_PORT" "$PG_SOCKET_DIR" >"$PG_DIR/extra.conf" &&
        _pg_run sh -c 'cat "$1" >>"$2"' sh "$PG_DIR/extra.conf" "$PG_DIR/data/postgresql.conf" || return 1
    _pg_run "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t "$PG_START_WAIT" start \
        >"$PG_DIR/pg_ctl.log" 2>&1 || {
        _pg_log "pg_ctl start failed:"
        cat "$PG_DIR/pg_ctl.log" "$PG_DIR/server.log" >&2 2>/dev/null
        return 1
    }
    _pg_write_env || return 1
    local pw=${PG_PASSWORD//\'/\'\'}
    _pg_psql "CREATE ROLE \"$PG_USER\" LOGIN PASSWORD '$pw'" postgres &&
        _pg_psql "CREATE DATABASE \"$PG_DATABASE\" OWNER \"$PG_USER\"" postgres
}

# pg_stop [--keep]: stop the server; remove its directory unless --keep.
pg_stop() {
    local bin
    [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
    bin=$(_pg_bindir) || return 1
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
        _pg_run "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [ "${1:-}" = --keep ] || rm -rf -- "$PG_DIR"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    cmd=${1:-}
    dir=${2:-}
    [ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg.sh start|sql|stop DIR [ARG]" >&2; exit 2; }
    case $cmd in
    start) pg_start "$dir" ;;
    sql) _pg_read_env "$dir" && _pg_psql "${3:?sql needs a statement}" ;;
    stop) _pg_read_env "$dir" && pg_stop --keep ;;
    *) echo "pg.sh: unknown command '$cmd'" >&2; exit 2 ;;
    esac
fi
