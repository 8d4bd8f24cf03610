# A private MariaDB server for the tests (Debian's mariadb-server), on
# 127.0.0.1 and a free port, with its datadir, socket and logs under one
# directory. Sourced by shell tests:
#
#     . "$ROOT/tests/lib/mariadb.sh"
#     trap mariadb_stop EXIT
#     mariadb_start || exit 1          # or: mariadb_start --delay 3
#     ... "$MARIADB_URL" ...
#     mariadb_restart                  # same datadir and port
#     mariadb_restart --tls            # ... now with TLS (a private CA)
#
# or run by programs (tests/integration/test_db_conn.c), one command a call:
#
#     bash tests/lib/mariadb.sh start DIR [--delay SECS] [--tls]   # then read DIR/env
#     bash tests/lib/mariadb.sh restart DIR [--delay SECS] [--tls]
#     bash tests/lib/mariadb.sh sql DIR 'CREATE TABLE ...'
#     bash tests/lib/mariadb.sh stop DIR [--keep]
#
# mariadb_start exports (and writes to $MARIADB_DIR/env as KEY=VALUE lines):
# MARIADB_DIR, MARIADB_HOST, MARIADB_PORT, MARIADB_SOCKET, MARIADB_DATABASE,
# MARIADB_USER, MARIADB_PASSWORD, MARIADB_ROOT_PASSWORD, MARIADB_PID and
# MARIADB_URL / MARIADB_SOCKET_URL (SQLAlchemy URLs of the app user, the
# password percent-encoded). The app user's password holds '@', ':' and '/'
# on purpose. With --delay the server process starts that many seconds after
# mariadb_start returns (the datadir is ready before), for "the database
# comes up late"; without it, mariadb_start returns once the server answers.
# With --tls the server offers TLS with a certificate for 127.0.0.1 (and no
# other name) from a CA of its own, MARIADB_TLS_CA (openssl makes both).
#
# Never --skip-grant-tables: the tests need real authentication.

MARIADB_DATABASE=${MARIADB_DATABASE:-app}
MARIADB_USER=${MARIADB_USER:-app}
MARIADB_PASSWORD=${MARIADB_PASSWORD:-s3cr@t:pw/x}
MARIADB_ROOT_PASSWORD=${MARIADB_ROOT_PASSWORD:-r00t-pw}
MARIADB_START_WAIT=${MARIADB_START_WAIT:-60} # seconds for the server to answer

_mariadb_log() { echo "mariadb.sh: $*" >&2; }

_mariadb_bin() {
    local name=$1 d
    command -v "$name" 2>/dev/null && return 0
    for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
        [ -x "$d/$name" ] && { echo "$d/$name"; return 0; }
    done
    return 1
}

# A TCP port nothing listens on now (not 3306, 8000 or 8080: the stack's).
_mariadb_free_port() {
    local py port
    for py in /usr/bin/python3 python3; do
        if port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null); then
            echo "$port"
            return 0
        fi
    done
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
    done
    return 1
}

# percent-encode for the user-info part of a URL
_mariadb_urlencode() {
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

_mariadb_write_env() {
    local user password
    user=$(_mariadb_urlencode "$MARIADB_USER")
    password=$(_mariadb_urlencode "$MARIADB_PASSWORD")
    MARIADB_HOST=127.0.0.1
    MARIADB_URL="mysql+pymysql://$user:$password@$MARIADB_HOST:$MARIADB_PORT/$MARIADB_DATABASE"
    MARIADB_SOCKET_URL="mysql+pymysql://$user:$password@localhost/$MARIADB_DATABASE?unix_socket=$MARIADB_SOCKET"
    export MARIADB_DIR MARIADB_HOST MARIADB_PORT MARIADB_SOCKET MARIADB_DATABASE MARIADB_USER \
        MARIADB_PASSWORD MARIADB_ROOT_PASSWORD MARIADB_PID MARIADB_URL MARIADB_SOCKET_URL \
        MARIADB_TLS_CA
    {
        echo "MARIADB_DIR=$MARIADB_DIR"
        echo "MARIADB_HOST=$MARIADB_HOST"
        echo "MARIADB_PORT=$MARIADB_PORT"
        echo "MARIADB_SOCKET=$MARIADB_SOCKET"
        echo "MARIADB_DATABASE=$MARIADB_DATABASE"
        echo "MARIADB_USER=$MARIADB_USER"
        echo "MARIADB_PASSWORD=$MARIADB_PASSWORD"
        echo "MARIADB_ROOT_PASSWORD=$MARIADB_ROOT_PASSWORD"
        echo "MARIADB_PID=$MARIADB_PID"
        echo "MARIADB_URL=$MARIADB_URL"
        echo "MARIADB_SOCKET_URL=$MARIADB_SOCKET_URL"
        echo "MARIADB_TLS_CA=${MARIADB_TLS_CA:-}"
    } >"$MARIADB_DIR/env.tmp" && mv "$MARIADB_DIR/env.tmp" "$MARIADB_DIR/env"
}

# Read DIR/env back (for the run-by-program commands).
_mariadb_read_env() {
    local dir=$1 key value
    [ -f "$dir/env" ] || { _mariadb_log "no server state in '$dir'"; return 1; }
    while IFS='=' read -r key value; do
        case $key in MARIADB_*) printf -v "$key" '%s' "$value" ;; esac
    done <"$dir/env"
}

_mariadb_alive() {
    local state
    [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
    [ "$state" != Z ]
}

# A CA and a server certificate for 127.0.0.1 under $MARIADB_DIR/tls (once).
_mariadb_make_tls() {
    local d=$MARIADB_DIR/tls
    [ -s "$d/server.pem" ] || if ! {
        mkdir -p "$d" &&
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=devstack test CA" \
                -keyout "$d/ca.key" -out "$d/ca.pem" >"$d/openssl.log" 2>&1 &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
                -keyout "$d/server.key" -out "$d/server.csr" >>"$d/openssl.log" 2>&1 &&
            printf 'subjectAltName=IP:127.0.0.1\n' >"$d/ext" &&
            openssl x509 -req -days 2 -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
                -CAcreateserial -extfile "$d/ext" -out "$d/server.pem" >>"$d/openssl.log" 2>&1
    }; then
        _mariadb_log "cannot make TLS certificates (is openssl installed?):"
        cat "$d/openssl.log" >&2
        return 1
    fi
    MARIADB_TLS_CA=$d/ca.pem
}

# Launch mariadbd on the datadir, after DELAY seconds, in a session of its
# own (so that stopping it also ends a pending `sleep`). Sets MARIADB_PID.
# TLS=1: with the certificates of _mariadb_make_tls.
_mariadb_launch() {
    local delay=$1 tls=$2 mariadbd
    mariadbd=$(_mariadb_bin mariadbd) || mariadbd=$(_mariadb_bin mysqld) || {
        _mariadb_log "mariadbd not found; install mariadb-server"
        return 1
    }
    rm -f "$MARIADB_SOCKET" "$MARIADB_DIR/mysqld.pid"
    local args=(--no-defaults --user="$(id -un)" --datadir="$MARIADB_DIR/data"
        --socket="$MARIADB_SOCKET" --pid-file="$MARIADB_DIR/mysqld.pid" --port="$MARIADB_PORT"
        --bind-address=127.0.0.1 --skip-name-resolve --log-error="$MARIADB_DIR/error.log"
        --tmpdir="$MARIADB_DIR/tmp" --innodb-buffer-pool-size=16M --innodb-log-file-size=8M
        --innodb-flush-log-at-trx-commit=0 --skip-log-bin --performance-schema=OFF
        --max-connections=200)
    MARIADB_TLS_CA=
    if [ "$tls" = 1 ]; then
        _mariadb_make_tls || return 1
        args+=(--ssl-ca="$MARIADB_TLS_CA" --ssl-cert="$MARIADB_DIR/tls/server.pem"
            --ssl-key="$MARIADB_DIR/tls/server.key")
    fi
    # the launcher's pid stays the server's: bash execs mariadbd after the sleep
    # shellcheck disable=SC2016 # expanded by the inner bash
    setsid bash -c 'sleep "$1"; shift; exec "$@"' _ "$delay" "$mariadbd" "${args[@]}" \
        </dev/null >>"$MARIADB_DIR/server.log" 2>&1 &
    MARIADB_PID=$!
}

# Wait until root can ping through the socket and the app user can log in over TCP.
_mariadb_wait_ready() {
    local admin client i
    admin=$(_mariadb_bin mariadb-admin) || admin=$(_mariadb_bin mysqladmin) || {
        _mariadb_log "mariadb-admin not found; install mariadb-client"
        return 1
    }
    client=$(_mariadb_bin mariadb) || client=$(_mariadb_bin mysql)
    for ((i = 0; i < MARIADB_START_WAIT * 20; i++)); do
        if ! _mariadb_alive "$MARIADB_PID"; then
            _mariadb_log "mariadbd exited; its log:"
            tail -n 30 "$MARIADB_DIR/error.log" "$MARIADB_DIR/server.log" >&2 2>/dev/null
            return 1
        fi
        if "$admin" --no-defaults --socket="$MARIADB_SOCKET" -uroot -p"$MARIADB_ROOT_PASSWORD" \
            ping >/dev/null 2>&1 &&
            "$client" --no-defaults --protocol=tcp -h127.0.0.1 -P"$MARIADB_PORT" \
                -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" "$MARIADB_DATABASE" -e 'SELECT 1' \
                >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.05
    done
    _mariadb_log "mariadbd did not answer within ${MARIADB_START_WAIT}s; its log:"
    tail -n 30 "$MARIADB_DIR/error.log" >&2 2>/dev/null
    return 1
}

# options of mariadb_start and mariadb_restart: sets delay and tls
_mariadb_options() {
    delay=0 tls=0
    while [ $# -gt 0 ]; do
        case $1 in
        --delay) delay=${2:?--delay needs a number of seconds}; shift 2 ;;
        --tls) tls=1; shift ;;
        *) _mariadb_log "unknown option '$1'"; return 2 ;;
        esac
    done
}

# mariadb_start [--delay SECS] [--tls]: a fresh datadir in $MARIADB_DIR (made when unset).
mariadb_start() {
    local delay tls install
    _mariadb_options "$@" || return 2
    install=$(_mariadb_bin mariadb-install-db) || install=$(_mariadb_bin mysql_install_db) || {
        _mariadb_log "mariadb-install-db not found; install mariadb-server (apt-get install mariadb-server)"
        return 1
    }
    if [ -z "${MARIADB_DIR:-}" ]; then
        MARIADB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/devstack-mariadb.XXXXXX") || return 1
    fi
    MARIADB_SOCKET=$MARIADB_DIR/mysqld.sock
    if [ ${#MARIADB_SOCKET} -gt 100 ]; then # sun_path holds 108 bytes
        _mariadb_log "socket path too long: $MARIADB_SOCKET (set TMPDIR to a shorter directory)"
        return 1
    fi
    mkdir -p "$MARIADB_DIR/tmp" || return 1
    MARIADB_PORT=$(_mariadb_free_port) || { _mariadb_log "no free port"; return 1; }

    # The grant tables are skipped while bootstrapping; FLUSH PRIVILEGES loads them.
    cat >"$MARIADB_DIR/init.sql" <<EOF
FLUSH PRIVILEGES;
CREATE DATABASE \`$MARIADB_DATABASE\`;
CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '${MARIADB_PASSWORD//\'/\'\'}';
GRANT ALL ON \`$MARIADB_DATABASE\`.* TO '$MARIADB_USER'@'%';
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD//\'/\'\'}';
EOF
    # Once more after a failure, in a new data directory: with the test tiers of three
    # engines starting at once, one bootstrap in CI failed in 2 s, which no run alone did
    # (the first error lines are logged either way, the help text mariadb-install-db
    # prints after them left out)
    local try
    for try in 1 2; do
        rm -rf "$MARIADB_DIR/data"
        "$install" --no-defaults --user="$(id -un)" --datadir="$MARIADB_DIR/data" \
            --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
            --innodb-log-file-size=8M --extra-file="$MARIADB_DIR/init.sql" \
            >"$MARIADB_DIR/install.log" 2>&1 && break
        _mariadb_log "mariadb-install-db failed (attempt $try of 2):"
        if grep -qiE 'error|fail|denied|cannot|can.t' "$MARIADB_DIR/install.log"; then
            grep -iE 'error|fail|denied|cannot|can.t' "$MARIADB_DIR/install.log" | head -n 10 >&2
        else
            head -n 20 "$MARIADB_DIR/install.log" >&2
        fi
        [ "$try" = 2 ] && return 1
        sleep 1
    done
    _mariadb_launch "$delay" "$tls" || return 1
    _mariadb_write_env
    [ "$delay" != 0 ] || _mariadb_wait_ready
}

# mariadb_stop [--keep]: stop the server (a no-op when none runs) and remove
# $MARIADB_DIR unless --keep. Safe in an EXIT trap, and twice.
mariadb_stop() {
    local keep=0 i
    [ "${1:-}" = --keep ] && keep=1
    if [ -n "${MARIADB_PID:-}" ]; then
        kill -TERM -- "-$MARIADB_PID" 2>/dev/null || kill -TERM "$MARIADB_PID" 2>/dev/null
        for ((i = 0; i < 600; i++)); do
            _mariadb_alive "$MARIADB_PID" || break
            sleep 0.05
        done
        if _mariadb_alive "$MARIADB_PID"; then
            _mariadb_log "mariadbd ($MARIADB_PID) did not stop; killing it"
            kill -KILL -- "-$MARIADB_PID" 2>/dev/null || kill -KILL "$MARIADB_PID" 2>/dev/null
        fi
        wait "$MARIADB_PID" 2>/dev/null # reaps it when it is our child
        MARIADB_PID=
    fi
    if [ $keep = 0 ] && [ -n "${MARIADB_DIR:-}" ] && [ -d "$MARIADB_DIR" ]; then
        rm -rf "$MARIADB_DIR"
        MARIADB_DIR=
    fi
    return 0
}

# mariadb_restart [--delay SECS] [--tls]: stop, then start again on the same
# datadir and port (TLS only when asked for again).
mariadb_restart() {
    local delay tls
    _mariadb_options "$@" || return 2
    mariadb_stop --keep
    _mariadb_launch "$delay" "$tls" || return 1
    _mariadb_write_env
    [ "$delay" != 0 ] || _mariadb_wait_ready
}

# mariadb_sql SQL: run statements as root through the socket, in the app database.
mariadb_sql() {
    local client
    client=$(_mariadb_bin mariadb) || client=$(_mariadb_bin mysql) || return 1
    "$client" --no-defaults --socket="$MARIADB_SOCKET" -uroot -p"$MARIADB_ROOT_PASSWORD" \
        --batch --skip-column-names "$MARIADB_DATABASE" -e "$1"
}

# Run as a program: one command on the server whose state is in DIR.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    cmd=${1:-}
    MARIADB_DIR=${2:-}
    if [ -z "$cmd" ] || [ -z "$MARIADB_DIR" ]; then
        echo "usage: $0 start|restart|stop|sql DIR [--delay SECS | --keep | SQL]" >&2
        exit 2
    fi
    shift 2
    case $cmd in
    start) mkdir -p "$MARIADB_DIR" && mariadb_start "$@" ;;
    restart) _mariadb_read_env "$MARIADB_DIR" && mariadb_restart "$@" ;;
    stop) if [ -f "$MARIADB_DIR/env" ]; then _mariadb_read_env "$MARIADB_DIR"; fi && mariadb_stop "$@" ;;
    sql) _mariadb_read_env "$MARIADB_DIR" && mariadb_sql "$1" ;;
    *) echo "$0: unknown command '$cmd'" >&2; exit 2 ;;
    esac
fi
