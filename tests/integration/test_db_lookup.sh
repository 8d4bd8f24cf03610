#!/usr/bin/env bash
# The database's host name through a real resolver: a private dnsmasq on a
# loopback address of its own, which `devstack db current` reaches through an
# /etc/resolv.conf of the test's (bind-mounted in a mount namespace of its
# own, unshare), against a private MariaDB (tests/lib/mariadb.sh) and a
# private PostgreSQL (tests/lib/pg.sh), the URL naming the host dbhost.test.
#
# A container's DNS server can fail to answer for a moment: Podman's
# aardvark-dns drops queries while it reloads for each container that joins
# the network, and the backend's entrypoint connects just then. The resolver
# says "temporary failure" (EAI_AGAIN); devstack asks again for up to 5 s.
# Checked, on each database:
#   - the first query goes to a listener that takes it and never answers (a
#     lookup that fails for now); dnsmasq starts only after it: the command
#     succeeds and prints the revision;
#   - a resolver that never answers: an error that says the name lookup
#     failed for now, with the client library's own message;
#   - a name the resolver says does not exist: an error at once, not a
#     retry, saying the host is unreachable.
# TAP-style output for tests/run-tests.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"
FIX=$ROOT/tests/fixtures/alembic/linear
REV=$(basename "$(find "$FIX/migrations/versions" -name '*.py' | sort | head -n 1)")
REV=${REV%%_*}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_db_lookup.XXXXXX")
# The resolver's address: one of 127/8 that nothing else here uses; a second
# one where nothing listens.
NS=127.53.$(($$ % 250 + 1)).1
DEAD=127.53.$(($$ % 250 + 1)).2
unset ALEMBIC_CONFIG
export LC_ALL=C.UTF-8

cleanup() {
    [ -n "${DNS_PID:-}" ] && kill "$DNS_PID" 2>/dev/null
    declare -F mariadb_stop >/dev/null && mariadb_stop
    declare -F pg_stop >/dev/null && pg_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || tap_cannot_run "the test runs as root (unshare --mount, port 53)"
command -v dnsmasq >/dev/null || tap_cannot_run "dnsmasq is installed (apt-get install dnsmasq-base)"
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] ||
    tap_cannot_run "mariadbd is installed (apt-get install mariadb-server)"
unshare --mount true 2>/dev/null || tap_cannot_run "unshare --mount works here"

# shellcheck source=tests/lib/mariadb.sh
. "$ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/pg.sh
. "$ROOT/tests/lib/pg.sh"
mariadb_start >"$TMP/mariadb.log" 2>&1 || tap_bail "a private MariaDB starts: $(tail -n 5 "$TMP/mariadb.log")"
pg_start >"$TMP/pg.log" 2>&1 || tap_bail "a private PostgreSQL starts: $(tail -n 5 "$TMP/pg.log")"
mariadb_sql "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
    INSERT INTO alembic_version VALUES ('$REV')" || tap_bail "alembic_version is made in MariaDB"
_pg_psql "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
    ALTER TABLE alembic_version OWNER TO \"$PG_USER\";
    INSERT INTO alembic_version VALUES ('$REV')" >/dev/null || tap_bail "alembic_version is made in PostgreSQL"

printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$NS" >"$TMP/resolv.conf"
printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$DEAD" >"$TMP/resolv-dead.conf"

# with_resolver CONF CMD...: CMD with CONF as its /etc/resolv.conf
with_resolver() {
    local conf=$1
    shift
    unshare --mount -- sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh "$conf" "$@"
}

# current URL CONF: `devstack db current` in the fixture, through CONF; sets rc, out
current() {
    out=$(cd "$FIX" && DATABASE_URL=$1 with_resolver "$2" "$DEVSTACK" db current 2>&1)
    rc=$?
}

# dns_start [knows]: dnsmasq on $NS; with "knows", dbhost.test is 127.0.0.1 and
# other names in .test do not exist; without, it refuses every query (the
# resolver says "temporary failure"). It logs the queries it gets.
dns_start() {
    local names=()
    [ "${1:-}" = knows ] && names=(--local=/test/ --address=/dbhost.test/127.0.0.1)
    : >"$TMP/dnsmasq.log"
    dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$NS" --port=53 "${names[@]}" --log-queries \
        --log-facility="$TMP/dnsmasq.log" --pid-file= &
    DNS_PID=$!
    # it answers once it has its socket
    for _ in $(seq 100); do
        ss -Hlun "src $NS:53" | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

dns_stop() {
    kill "$DNS_PID" 2>/dev/null
    wait "$DNS_PID" 2>/dev/null
    DNS_PID=
}

# lookups: how many times the resolver was asked for dbhost.test's address
lookups() {
    grep -c 'query\[A\] dbhost\.test ' "$TMP/dnsmasq.log"
}

# shellcheck disable=SC2034 # rc, out and asked are read by check (eval)
# late URL SECONDS: `db current` while the resolver refuses; once it was
# asked twice and SECONDS have passed, it knows the name. Sets rc, out and
# asked (the lookups before it knew).
late() {
    local url=$1 until=$((SECONDS + $2)) pid
    dns_start || return 1
    (cd "$FIX" && DATABASE_URL=$url with_resolver "$TMP/resolv.conf" "$DEVSTACK" db current \
        >"$TMP/out" 2>&1) &
    pid=$!
    while kill -0 "$pid" 2>/dev/null && { [ "$(lookups)" -lt 2 ] || [ $SECONDS -lt $until ]; }; do
        sleep 0.05
    done
    asked=$(lookups)
    dns_stop
    dns_start knows
    wait "$pid"
    rc=$?
    out=$(cat "$TMP/out")
    dns_stop
}

for db in mysql postgresql; do
    # shellcheck disable=SC2034 # again and gone are read by check (eval)
    if [ $db = mysql ]; then
        url=${MARIADB_URL/@127.0.0.1:/@dbhost.test:}
        nohost=${MARIADB_URL/@127.0.0.1:/@nohost.test:}
        again="the name lookup failed for now (Unknown server host 'dbhost.test' (-3))"
        gone="unreachable (Unknown server host 'nohost.test' (-2))"
        # Connector/C asks again by itself for about 9 s; devstack's own try comes after
        refuse=12
    else
        url=${PG_URL/@127.0.0.1:/@dbhost.test:}
        nohost=${PG_URL/@127.0.0.1:/@nohost.test:}
        again='the name lookup failed for now (could not translate host name "dbhost.test" to address: Temporary failure in name resolution'
        gone='unreachable (could not translate host name "nohost.test" to address: Name or service not known'
        # libpq asks once: the second lookup is devstack's
        refuse=0
    fi
    [ "$url" != "${url/dbhost.test/}" ] || tap_bail "$db: the URL names 127.0.0.1: $url"
    # what it prints by address
    want=$(cd "$FIX" && DATABASE_URL=${url/@dbhost.test:/@127.0.0.1:} "$DEVSTACK" db current 2>&1) ||
        tap_bail "$db: db current by address: $want"
    [[ $want == "$REV"* ]] || tap_bail "$db: db current by address prints $REV: $want"

    late "$url" "$refuse"
    check "$db: a lookup that failed for now is asked again: db current prints the revision" \
        '[ "$asked" -ge 2 ] && [ $rc = 0 ] && [ "$out" = "$want" ]'

    current "$url" "$TMP/resolv-dead.conf"
    check "$db: a resolver that never answers: the error says the name lookup failed for now" \
        '[ $rc = 1 ] && [[ $out == *"error: cannot connect to '"'"'app'"'"'@'"'"'dbhost.test:"*"$again"* ]]'

    dns_start knows || tap_bail "dnsmasq answers on $NS: $(cat "$TMP/dnsmasq.log")"
    current "$nohost" "$TMP/resolv.conf"
    check "$db: a name that does not exist: unreachable, with the client's message" \
        '[ $rc = 1 ] && [[ $out == *"$gone"* ]] && [[ $out != *"for now"* ]]'
    current "$url" "$TMP/resolv.conf"
    check "$db: the resolver answers: db current prints the revision" \
        '[ $rc = 0 ] && [ "$out" = "$want" ]'
    dns_stop
done

tap_done
