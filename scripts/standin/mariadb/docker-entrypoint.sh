#!/bin/bash
# Entrypoint of devstack's MariaDB stand-in for mysql:8.0. It follows the
# official mysql and mariadb images' contract so compose files written for
# them work unchanged:
#
#   MYSQL_ROOT_PASSWORD | MYSQL_ALLOW_EMPTY_PASSWORD | MYSQL_RANDOM_ROOT_PASSWORD
#   MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD, MYSQL_ROOT_HOST (default %),
#   MYSQL_ONETIME_PASSWORD, MYSQL_INITDB_SKIP_TZINFO
#   each also as MARIADB_* (which wins) and as *_FILE (read from a file);
#   /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz|bz2|xz|zst in sorted order.
#
# The first start (no database in the data directory) initializes it with a
# temporary server that has networking off, so that nothing can connect over
# TCP until the users and init scripts are in place; only then the real server
# starts. Later starts skip all of that.
set -eo pipefail
shopt -s nullglob

log() { printf '%s [Note] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
warn() { printf '%s [Warning] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; }
error() {
    printf '%s [ERROR] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2
    exit 1
}

# file_env NAME: NAME is MARIADB_NAME, MARIADB_NAME_FILE, MYSQL_NAME or
# MYSQL_NAME_FILE, the first one set; exported under both prefixes so that
# init scripts may use either.
file_env() {
    local name=$1 var value="" found=0
    for var in "MARIADB_$name" "MYSQL_$name"; do
        local file_var="${var}_FILE"
        if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
            error "both $var and $file_var are set (but are exclusive)"
        fi
        if [ -n "${!var:-}" ]; then
            value=${!var} found=1
        elif [ -n "${!file_var:-}" ]; then
            value=$(<"${!file_var}") || error "cannot read $file_var=${!file_var}"
            found=1
        fi
        if [ "$found" -eq 1 ]; then break; fi
    done
    export "MARIADB_$name=$value" "MYSQL_$name=$value"
    unset "MARIADB_${name}_FILE" "MYSQL_${name}_FILE"
}

wants_help() {
    local arg
    for arg; do
        case $arg in
        -'?' | --help | --print-defaults | -V | --version) return 0 ;;
        esac
    done
    return 1
}

# Options that only MySQL 8 knows (compose files for mysql:8.0 often pass
# --default-authentication-plugin=mysql_native_password, which is MariaDB's
# default anyway) would make mariadbd refuse to start; "--loose-" makes
# MariaDB warn about them instead.
MYSQL_ONLY_OPTIONS='default[-_]authentication[-_]plugin|authentication[-_]policy|mysqlx[-_a-z]*|skip[-_]mysqlx|mysql[-_]native[-_]password|binlog[-_]expire[-_]logs[-_]seconds|innodb[-_]dedicated[-_]server'
ARGS=()
loosen_mysql_options() {
    local arg
    ARGS=()
    for arg; do
        if [[ $arg =~ ^--($MYSQL_ONLY_OPTIONS)(=.*)?$ ]]; then
            log "'$arg' is a MySQL-only option: passing it to MariaDB as '--loose-${arg#--}' (ignored)"
            arg=--loose-${arg#--}
        fi
        ARGS+=("$arg")
    done
}

# server_option NAME: the value the server would use for NAME, from the
# variables table of --verbose --help (saved by check_config); indented lines
# are wrapped help text, where an option name may also come first.
server_option() {
    awk -v n="$1" '$1 == n && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }' <<<"$SERVER_HELP"
}

# An option file for the client, so that the password never appears in argv.
client_passfile() {
    if [ "${1:-}" != --no-root-password ] && [ -n "$MYSQL_ROOT_PASSWORD" ]; then
        local pw=${MYSQL_ROOT_PASSWORD//\\/\\\\}
        printf '[client]\npassword="%s"\n' "${pw//\"/\\\"}"
    fi
}

# docker_process_sql [--no-root-password] [mariadb options...]: runs SQL from
# stdin against the temporary server. Sourced init scripts may use it (the
# official images provide a function of this name).
docker_process_sql() {
    local passfile_arg=""
    if [ "${1:-}" = --no-root-password ]; then
        passfile_arg=$1
        shift
    fi
    if [ -n "$MYSQL_DATABASE" ]; then
        set -- --database="$MYSQL_DATABASE" "$@"
    fi
    mariadb --defaults-extra-file=<(client_passfile "$passfile_arg") \
        --protocol=socket --socket="$SOCKET" -uroot -hlocalhost --comments "$@"
}

# Escapes a string for a '...' literal (NO_BACKSLASH_ESCAPES is cleared).
sql_escape() {
    local s=${1//\\/\\\\}
    printf '%s' "${s//\'/\\\'}"
}

SERVER_HELP=""
check_config() {
    local errors
    errors=$(mktemp)
    if ! SERVER_HELP=$("$@" --verbose --help 2>"$errors"); then
        error "$1 failed while checking its configuration (a MySQL-only option in /etc/mysql/conf.d or in the command?):"$'\n'"$(cat "$errors")"
    fi
    rm -f "$errors"
}

verify_env() {
    if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "$MYSQL_ALLOW_EMPTY_PASSWORD" ] && [ -z "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
        error "Database is uninitialized and password option is not specified
    You need to specify one of the following as an environment variable:
    - MYSQL_ROOT_PASSWORD (or MARIADB_ROOT_PASSWORD)
    - MYSQL_ALLOW_EMPTY_PASSWORD (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD)
    - MYSQL_RANDOM_ROOT_PASSWORD (or MARIADB_RANDOM_ROOT_PASSWORD)"
    fi
    if [ "$MYSQL_USER" = root ]; then
        error "MYSQL_USER=\"root\": MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user
    Remove MYSQL_USER=\"root\" and use one of the following to control the root user password:
    - MYSQL_ROOT_PASSWORD
    - MYSQL_ALLOW_EMPTY_PASSWORD
    - MYSQL_RANDOM_ROOT_PASSWORD"
    fi
    if [ -n "$MYSQL_USER" ] && [ -z "$MYSQL_PASSWORD" ]; then
        warn "MYSQL_USER specified, but missing MYSQL_PASSWORD; MYSQL_USER will not be created"
    elif [ -z "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
        warn "MYSQL_PASSWORD specified, but missing MYSQL_USER; MYSQL_PASSWORD will be ignored"
    fi
}

TEMP_PID=""
start_temp_server() {
    log "Starting temporary server (--skip-networking: socket $SOCKET only, no TCP)"
    # Binary logging, buffer pool dumps and wsrep are pointless for a server
    # that lives a few seconds.
    "$@" --skip-networking --socket="$SOCKET" --default-time-zone=SYSTEM --skip-log-bin \
        --expire-logs-days=0 --loose-innodb-buffer-pool-load-at-startup=0 \
        --loose-innodb-buffer-pool-dump-at-shutdown=0 --loose-wsrep-on=OFF &
    TEMP_PID=$!
    local i
    for i in $(seq 300); do
        if echo 'SELECT 1' | docker_process_sql --no-root-password --database=mysql >/dev/null 2>&1; then
            local networking
            networking=$(echo 'SELECT @@skip_networking' | docker_process_sql --no-root-password -N --database=mysql)
            [ "$networking" = 1 ] || error "the temporary server has networking on (skip_networking=$networking)"
            log "Temporary server started (pid $TEMP_PID, skip_networking=ON: not listening on TCP)"
            return 0
        fi
        kill -0 "$TEMP_PID" 2>/dev/null || error "the temporary server exited during start-up (see its messages above)"
        [ "$i" -eq 1 ] || sleep 0.1
    done
    error "the temporary server did not accept connections on $SOCKET within 30 s"
}

stop_temp_server() {
    log "Stopping temporary server"
    kill "$TEMP_PID"
    wait "$TEMP_PID" || error "the temporary server did not stop cleanly (exit $?)"
    TEMP_PID=""
    log "Temporary server stopped"
}

setup_db() {
    local root_pw_sql="" root_host_sql="" database_sql="" user_sql=""
    if [ -n "$MYSQL_RANDOM_ROOT_PASSWORD" ] && [ -z "$MYSQL_ROOT_PASSWORD" ]; then
        MYSQL_ROOT_PASSWORD=$(LC_ALL=C tr -dc 'A-Za-z0-9@%^*()_+=,.<>?{}[]-' </dev/urandom | head -c 32) || true
        export MYSQL_ROOT_PASSWORD MARIADB_ROOT_PASSWORD=$MYSQL_ROOT_PASSWORD
        log "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
    fi
    local root_pw root_host
    root_pw=$(sql_escape "$MYSQL_ROOT_PASSWORD")
    root_host=$(sql_escape "${MYSQL_ROOT_HOST:-%}")
    if [ -n "$MYSQL_ROOT_PASSWORD" ]; then
        root_pw_sql="ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';"
    fi
    if [ "${MYSQL_ROOT_HOST:-%}" != localhost ]; then
        root_host_sql="CREATE USER 'root'@'$root_host' IDENTIFIED BY '$root_pw';
GRANT ALL ON *.* TO 'root'@'$root_host' WITH GRANT OPTION;
GRANT PROXY ON ''@'%' TO 'root'@'$root_host' WITH GRANT OPTION;"
    fi
    if [ -n "$MYSQL_DATABASE" ]; then
        log "Creating database $MYSQL_DATABASE"
        database_sql="CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE//\`/\`\`}\`;"
    fi
    if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
        log "Creating user $MYSQL_USER"
        local user pw
        user=$(sql_escape "$MYSQL_USER")
        pw=$(sql_escape "$MYSQL_PASSWORD")
        user_sql="CREATE USER '$user'@'%' IDENTIFIED BY '$pw';"
        if [ -n "$MYSQL_DATABASE" ]; then
            log "Giving user $MYSQL_USER access to schema $MYSQL_DATABASE"
            # "_" is a wildcard in a GRANT's database name: escape it, as the
            # official image does, so app_db does not also match appXdb.
            local db=${MYSQL_DATABASE//\`/\`\`}
            user_sql+=$'\n'"GRANT ALL ON \`${db//_/\\_}\`.* TO '$user'@'%';"
        fi
    fi
    # The database, if any, does not exist yet: --database=mysql.
    docker_process_sql --no-root-password --database=mysql <<EOSQL
SET @@SESSION.SQL_LOG_BIN=0;
SET @@SESSION.SQL_MODE=REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');
DROP USER IF EXISTS root@'127.0.0.1', root@'::1';
EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\'', @@hostname, '\'');
DROP USER IF EXISTS ''@'localhost', ''@'%';
$root_pw_sql
$root_host_sql
$database_sql
$user_sql
FLUSH PRIVILEGES;
EOSQL
}

load_tzinfo() {
    if [ -n "$MYSQL_INITDB_SKIP_TZINFO" ]; then
        return 0
    fi
    log "Loading time zone data into the mysql schema"
    # --skip-write-binlog: the statements must not reach a binary log.
    mariadb-tzinfo-to-sql --skip-write-binlog /usr/share/zoneinfo 2>/dev/null |
        docker_process_sql --no-root-password --database=mysql
}

process_init_files() {
    local f
    echo
    for f; do
        case $f in
        *.sh)
            if [ -x "$f" ]; then
                log "$0: running $f"
                "$f"
            else
                log "$0: sourcing $f"
                # shellcheck disable=SC1090
                . "$f"
            fi ;;
        *.sql) log "$0: running $f"; docker_process_sql <"$f"; echo ;;
        *.sql.gz) log "$0: running $f"; gunzip -c "$f" | docker_process_sql; echo ;;
        *.sql.bz2) log "$0: running $f"; bunzip2 -c "$f" | docker_process_sql; echo ;;
        *.sql.xz) log "$0: running $f"; xzcat "$f" | docker_process_sql; echo ;;
        *.sql.zst) log "$0: running $f"; zstd -dc "$f" | docker_process_sql; echo ;;
        *) log "$0: ignoring $f" ;;
        esac
    done
}

init_database() {
    verify_env
    log "Initializing database files in $DATADIR"
    mkdir -p "$DATADIR"
    # auth-root-authentication-method=normal: root logs in with a password
    # (Debian's default, unix_socket, would not let a client in the network in).
    mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
        --skip-test-db --skip-log-bin --default-time-zone=SYSTEM --old-mode=UTF8_IS_UTF8MB3 \
        "${@:2}" >/dev/null || error "mariadb-install-db failed"
    log "Database files initialized"

    start_temp_server "$@"
    load_tzinfo
    setup_db
    process_init_files /docker-entrypoint-initdb.d/*
    if [ -n "$MYSQL_ONETIME_PASSWORD" ] && [ -n "$MYSQL_ROOT_PASSWORD" ]; then
        echo "ALTER USER 'root'@'$(sql_escape "${MYSQL_ROOT_HOST:-%}")' PASSWORD EXPIRE;" | docker_process_sql --database=mysql
    fi
    stop_temp_server
    echo
    log "MariaDB init process done. Ready for start up."
    echo
}

main() {
    # Options alone (compose "command: --character-set-server=utf8mb4") are
    # options of the server; mysql:8.0 files may also name it mysqld.
    if [ "${1:0:1}" = - ]; then
        set -- mariadbd "$@"
    elif [ "${1:-}" = mysqld ]; then
        set -- mariadbd "${@:2}"
    fi
    if [ "$1" != mariadbd ] || wants_help "$@"; then
        exec "$@"
    fi
    log "Entrypoint script for MariaDB Server $(mariadbd --version | awk '{ print $3 }') (devstack stand-in for mysql:8.0) started."
    loosen_mysql_options "$@"
    set -- "${ARGS[@]}"
    check_config "$@"
    DATADIR=$(server_option datadir)
    DATADIR=${DATADIR%/}
    SOCKET=$(server_option socket)
    [[ $DATADIR == /?* && $SOCKET == /?* ]] || error "cannot tell the server's datadir ('$DATADIR') and socket ('$SOCKET')"

    # *_FILE is read before the switch to mysql, as the official images do:
    # a secret (/run/secrets/...) may be readable by root only. The values
    # reach the second pass through the environment.
    local name
    for name in ROOT_PASSWORD ALLOW_EMPTY_PASSWORD RANDOM_ROOT_PASSWORD DATABASE USER PASSWORD \
        ROOT_HOST ONETIME_PASSWORD INITDB_SKIP_TZINFO; do
        file_env "$name"
    done

    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
        # A bind-mounted or older data directory may belong to someone else.
        find "$DATADIR" "$(dirname "$SOCKET")" \! -user mysql -exec chown mysql:mysql '{}' +
        log "Switching to dedicated user 'mysql'"
        HOME=$(getent passwd mysql | cut -d: -f6)
        export HOME
        exec setpriv --reuid=mysql --regid=mysql --init-groups -- "${BASH_SOURCE[0]}" "$@"
    fi

    # The official mariadb image's spelling of the empty-password switch.
    if [ -n "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ] && [ -z "$MYSQL_ALLOW_EMPTY_PASSWORD" ]; then
        export MYSQL_ALLOW_EMPTY_PASSWORD=$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD
    fi

    if [ -d "$DATADIR/mysql" ]; then
        log "Database directory $DATADIR already contains a database: skipping initialization"
    else
        init_database "$@"
    fi
    exec "$@"
}

main "$@"
