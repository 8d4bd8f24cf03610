#!/bin/bash
# Entrypoint of devstack's PostgreSQL 15 stand-in for postgres:NN. It follows
# the official postgres image's contract so compose files written for it work
# unchanged:
#
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust),
#   POSTGRES_USER (default postgres: the superuser), POSTGRES_DB (default the
#   user's name), POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR,
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), each also as *_FILE;
#   PGDATA (default /var/lib/postgresql/data);
#   /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz|bz2|xz|zst in sorted order;
#   `postgres -c name=value ...` (or just `-c ...`) as the command.
#
# The first start (no PG_VERSION in PGDATA) runs initdb and then a temporary
# server with listen_addresses='' (Unix socket only), so that nothing can
# connect over TCP until the database, the users and the init scripts are in
# place; only then the real server starts. Later starts skip all of that.
set -Eeo pipefail
shopt -s nullglob

log() { printf '%s [entrypoint] %s\n' "$(date '+%F %T.%3N %Z')" "$*"; }
error() {
    printf '%s [entrypoint] error: %s\n' "$(date '+%F %T.%3N %Z')" "$*" >&2
    exit 1
}

# file_env NAME [DEFAULT]: NAME from NAME or from the file NAME_FILE names.
file_env() {
    local var=$1 file_var="${1}_FILE" def=${2:-} value
    if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
        error "both $var and $file_var are set (but are exclusive)"
    fi
    value=$def
    if [ -n "${!var:-}" ]; then
        value=${!var}
    elif [ -n "${!file_var:-}" ]; then
        value=$(<"${!file_var}") || error "cannot read $file_var=${!file_var}"
    fi
    export "$var=$value"
    unset "$file_var"
}

# The arguments after "postgres", for the temporary server too (a
# -c config_file=... must hold for it as well).
wants_help() {
    local arg
    for arg; do
        case $arg in
        '-?' | --help | --describe-config | -V | --version) return 0 ;;
        esac
    done
    return 1
}

setup_env() {
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    file_env POSTGRES_INITDB_ARGS
    : "${POSTGRES_HOST_AUTH_METHOD:=}"
    DATABASE_ALREADY_EXISTS=""
    if [ -s "$PGDATA/PG_VERSION" ]; then
        DATABASE_ALREADY_EXISTS=true
    fi
}

verify_minimum_env() {
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        error "Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, \"-e POSTGRES_PASSWORD=password\" on \"docker run\".

       You may also use \"POSTGRES_HOST_AUTH_METHOD=trust\" to allow all
       connections without a password. This is *not* recommended."
    fi
    if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
        log "warning: POSTGRES_HOST_AUTH_METHOD=trust: every connection is accepted without a password"
    fi
}

# As root: the directories the server needs, owned by postgres.
create_db_directories() {
    mkdir -p "$PGDATA"
    chmod 00700 "$PGDATA" || :
    mkdir -p /var/run/postgresql || :
    chmod 03775 /var/run/postgresql || :
    if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
        mkdir -p "$POSTGRES_INITDB_WALDIR"
        if [ "$(id -u)" = 0 ]; then
            find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres '{}' +
        fi
        chmod 700 "$POSTGRES_INITDB_WALDIR"
    fi
    if [ "$(id -u)" = 0 ]; then
        find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
        find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
    fi
}

init_database_dir() {
    local args=()
    if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
        args+=(--waldir "$POSTGRES_INITDB_WALDIR")
    fi
    # POSTGRES_INITDB_ARGS is split on blanks, as the official image does.
    # shellcheck disable=SC2206
    args+=($POSTGRES_INITDB_ARGS)
    # The password through a pipe: never in argv.
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${args[@]}"
}

# Connections from outside the container need the password (or trust).
setup_hba_conf() {
    local method=$POSTGRES_HOST_AUTH_METHOD
    if [ -z "$method" ]; then
        method=$(postgres -C password_encryption "$@" 2>/dev/null || echo scram-sha-256)
    fi
    {
        printf '\n'
        if [ "$method" = trust ]; then
            printf '# warning trust is enabled for all connections\n'
        fi
        printf 'host all all all %s\n' "$method"
    } >>"$PGDATA/pg_hba.conf"
}

temp_server_start() {
    if [ "$1" = postgres ]; then
        shift
    fi
    # listen_addresses='': the Unix socket only.
    set -- "$@" -c listen_addresses= -p "${PGPORT:-5432}"
    PGUSER=${PGUSER:-$POSTGRES_USER} pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

temp_server_stop() {
    PGUSER=${PGUSER:-postgres} pg_ctl -D "$PGDATA" -m fast -w stop
}

# process_sql [psql options...]: SQL from stdin against the temporary server.
# Sourced init scripts may use it (the official image provides it).
docker_process_sql() {
    local query_runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    if [ -n "$POSTGRES_DB" ]; then
        query_runner+=(--dbname "$POSTGRES_DB")
    fi
    PGHOST='' PGHOSTADDR='' "${query_runner[@]}" "$@"
}

setup_db() {
    local exists
    exists=$(POSTGRES_DB=postgres docker_process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<-'EOSQL'
		SELECT 1 FROM pg_database WHERE datname = :'db' ;
	EOSQL
    )
    if [ -z "$exists" ]; then
        POSTGRES_DB=postgres docker_process_sql --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
        log "created database $POSTGRES_DB"
    fi
}

process_init_files() {
    local f
    for f; do
        case $f in
        *.sh)
            # executable: run; otherwise sourced, so it sees the functions above
            if [ -x "$f" ]; then
                log "running $f"
                "$f"
            else
                log "sourcing $f"
                # shellcheck disable=SC1090
                . "$f"
            fi
            ;;
        *.sql) log "running $f"; docker_process_sql -f "$f" ;;
        *.sql.gz) log "running $f"; gunzip -c "$f" | docker_process_sql ;;
        *.sql.bz2) log "running $f"; bunzip2 -c "$f" | docker_process_sql ;;
        *.sql.xz) log "running $f"; xzcat "$f" | docker_process_sql ;;
        *.sql.zst) log "running $f"; zstd -dc "$f" | docker_process_sql ;;
        *) log "ignoring $f" ;;
        esac
        printf '\n'
    done
}

main() {
    # `docker run postgres -c name=value`: the options are the server's
    if [ "${1:0:1}" = - ]; then
        set -- postgres "$@"
    fi
    if [ "$1" != postgres ] || wants_help "$@"; then
        exec "$@"
    fi

    setup_env
    create_db_directories
    if [ "$(id -u)" = 0 ]; then
        # the rest as postgres, this script again
        exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
    fi

    if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
        verify_minimum_env
        ls /docker-entrypoint-initdb.d/ >/dev/null
        init_database_dir
        setup_hba_conf "$@"
        export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
        temp_server_start "$@"
        setup_db
        process_init_files /docker-entrypoint-initdb.d/*
        temp_server_stop
        unset PGPASSWORD
        log "PostgreSQL init process complete; ready for start up."
    else
        log "PostgreSQL Database directory appears to contain a database; Skipping initialization"
    fi
    exec "$@"
}

main "$@"
