#!/bin/bash
# devstack db dump / restore / snapshot against a private MariaDB: round trips
# that keep every row byte-identical (utf8mb4 text, every byte value in blobs,
# NULLs, floats, bits, JSON, timestamps, generated columns, a trigger,
# routines, views of views, a sequence, odd table names), dumps that load
# with the stock client and stock dumps that load with devstack, streaming
# with flat memory, and what must never happen: a file under the final name
# that is not whole (SIGKILL, Ctrl-C, disk full), a database replaced
# without being asked, a dump that switches databases.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK=$(realpath "${DEVSTACK:-$ROOT/build/devstack}")
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/mariadb.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_dump.XXXXXX")
cleanup() {
    mariadb_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || tap_cannot_run "mariadb-server is installed"
mariadb_start || tap_bail "a private MariaDB starts"
export DATABASE_URL=$MARIADB_URL
CLIENT=$(command -v mariadb || command -v mysql)
DUMPER=$(command -v mariadb-dump || command -v mysqldump)

# ds ARGS: devstack in $TMP (no compose file, no git: snapshots in $TMP/.devstack)
ds() {
    out=$(cd "$TMP" && timeout 300 "$DEVSTACK" "$@" </dev/null 2>&1)
    rc=$?
}
# as the app user, in utf8mb4, the way an application writes
app_sql() {
    "$CLIENT" --no-defaults --default-character-set=utf8mb4 --socket="$MARIADB_SOCKET" \
        -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" --batch --skip-column-names "${2:-app}" -e "$1"
}
root_sql() {
    "$CLIENT" --no-defaults --default-character-set=utf8mb4 --socket="$MARIADB_SOCKET" \
        -uroot -p"$MARIADB_ROOT_PASSWORD" --batch --skip-column-names "${2:-app}" -e "$1"
}
reset_db() { root_sql "DROP DATABASE IF EXISTS app; CREATE DATABASE app" ""; }

TABLES='t, `odd ``name`` here`, child, empty_one, log'
# What must survive: every row's checksum, every definition, what the objects do
state() {
    root_sql "CHECKSUM TABLE $TABLES EXTENDED"
    for tbl in t '`odd ``name`` here`' child empty_one log; do
        root_sql "SHOW CREATE TABLE $tbl" | sed 's/ AUTO_INCREMENT=[0-9]*//'
    done
    root_sql "SELECT COUNT(*), SUM(tw) FROM v_outer"
    root_sql "SELECT twice(21)"
    root_sql "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='app'"
    root_sql "SELECT ROUTINE_NAME, ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='app' ORDER BY 1"
    root_sql "SELECT HEX(b), LENGTH(b) FROM t ORDER BY id"
}

seed() {
    # the app user creates everything, as the application's migrations would
    app_sql "
CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, s VARCHAR(100) CHARACTER SET utf8mb4,
  b BLOB, n INT NULL, f FLOAT, d DOUBLE, ts TIMESTAMP NULL, bits BIT(5), j JSON,
  g INT AS (id * 2) VIRTUAL, dt DATETIME(6), dec1 DECIMAL(20,6), e ENUM('a','b'),
  lat VARCHAR(10) CHARACTER SET latin1, big BIGINT UNSIGNED) DEFAULT CHARSET=utf8mb4;
CREATE TABLE log (id INT AUTO_INCREMENT PRIMARY KEY, msg TEXT);
CREATE TABLE \`odd \`\`name\`\` here\` (k VARCHAR(10) PRIMARY KEY, v TEXT) DEFAULT CHARSET=utf8mb4;
CREATE TABLE empty_one (x INT);
CREATE TABLE child (id INT PRIMARY KEY, t_id INT, FOREIGN KEY (t_id) REFERENCES t(id));
CREATE SEQUENCE seq START WITH 100;
INSERT INTO t (s, b, n, f, d, ts, bits, j, dt, dec1, e, lat, big) VALUES
  ('héllo 😀 ''q'' \\\\ ; -- x /* y */ DELIMITER ;;', UNHEX('00FF0A0D275C22'), NULL, 3.14159,
   2.718281828459045, '2024-01-02 03:04:05', b'10101', '{\"a\": [1, \"ü\"]}',
   '2024-01-02 03:04:05.123456', 12345678901234.123456, 'b', 'café', 18446744073709551615),
  (NULL, '', 5, -0.5, 1e300, NULL, b'00000', NULL, NULL, -0.000001, NULL, NULL, 0),
  ('中文 العربية ✓', NULL, NULL, NULL, NULL, '2038-01-19 03:14:07', NULL, '[]', NULL, NULL, 'a', '', NULL);
INSERT INTO \`odd \`\`name\`\` here\` VALUES ('a;b', 'multi
line'), ('tab	x', NULL);
INSERT INTO child VALUES (1, 1), (2, 3);
SELECT NEXTVAL(seq); SELECT NEXTVAL(seq);
" >/dev/null
    # every byte value, twice, in one blob
    app_sql "INSERT INTO t (s, b) VALUES ('all bytes', UNHEX(CONCAT($(
        for i in $(seq 0 255); do printf "'%02X'," "$i"; done
    )'')))"
    app_sql "UPDATE t SET b = CONCAT(b, b) WHERE s = 'all bytes'"
    "$CLIENT" --no-defaults --default-character-set=utf8mb4 --socket="$MARIADB_SOCKET" \
        -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" app <<'SQL'
DELIMITER ;;
CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW BEGIN INSERT INTO log (msg) VALUES (CONCAT('ins ', NEW.id)); END;;
CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC BEGIN RETURN x * 2; END;;
CREATE PROCEDURE count_t() BEGIN SELECT COUNT(*) FROM t; END;;
DELIMITER ;
INSERT INTO t (s) VALUES ('made after the trigger');
CREATE VIEW v_inner AS SELECT id, s, twice(id) AS tw FROM t;
CREATE VIEW v_outer AS SELECT * FROM v_inner;
SQL
}

seed
ORIGINAL=$(state)
check "the seed holds 5 rows in t and one trigger-written log row" \
    '[ "$(root_sql "SELECT COUNT(*) FROM t")" = 5 ] && [ "$(root_sql "SELECT COUNT(*) FROM log")" = 1 ]'

# ---- dump ------------------------------------------------------------------------
ds db dump app.sql.gz
check "db dump FILE.gz exits 0 and says what it wrote: tables, rows, size" \
    '[ $rc -eq 0 ] && [[ $out == *"dumped '"'app'"' to app.sql.gz"* ]] && [[ $out == *"5 tables, 10 rows"* ]] && [[ $out == *"2 views, 1 trigger, 2 routines, 1 sequence"* ]]'
check "the .gz file is gzip and its SQL starts with devstack's header" \
    'gzip -t "$TMP/app.sql.gz" && [ "$(zcat "$TMP/app.sql.gz" | head -1)" = "-- devstack db dump" ]'
check "the dump ends with its final line" \
    'zcat "$TMP/app.sql.gz" | tail -1 | grep -aq "^-- devstack db dump complete: 5 tables, 10 rows$"'
check "the dump holds no DEFINER clause and no password" \
    '! zcat "$TMP/app.sql.gz" | grep -aq -e DEFINER= -e "$MARIADB_PASSWORD"'
check "the dump file is private to its owner (0600)" '[ "$(stat -c %a "$TMP/app.sql.gz")" = 600 ]'

ds db dump app.sql.gz
check "db dump onto an existing file refuses and names --force" \
    '[ $rc -ne 0 ] && [[ $out == *"'"'app.sql.gz'"' exists"* ]] && [[ $out == *--force* ]]'
ds db dump --force plain.sql
check "db dump FILE.sql writes plain SQL" '[ $rc -eq 0 ] && head -1 "$TMP/plain.sql" | grep -aq "^-- devstack db dump$"'
out=$(cd "$TMP" && "$DEVSTACK" db dump - 2>"$TMP/stderr" >"$TMP/stdout.sql")
rc=$?
check "db dump - writes the SQL to stdout and the summary to stderr" \
    '[ $rc -eq 0 ] && grep -aq "^INSERT INTO \`t\`" "$TMP/stdout.sql" && grep -q "dumped .* to standard output" "$TMP/stderr"'
check "the dumps of the same state are the same but for the time they were taken" \
    'diff <(zcat "$TMP/app.sql.gz" | grep -av "^-- taken:") <(grep -av "^-- taken:" "$TMP/plain.sql") >/dev/null'

# ---- restore: the round trip ---------------------------------------------------
reset_db
check "after dropping the database it is empty" '[ -z "$(root_sql "SHOW TABLES")" ]'
ds db restore app.sql.gz --yes
check "db restore --yes into the empty database exits 0 and counts what it loaded" \
    '[ $rc -eq 0 ] && [[ $out == *"restored '"'app'"' from app.sql.gz: 5 tables, 2 views"* ]]'
RESTORED=$(state)
if [ "$RESTORED" = "$ORIGINAL" ]; then
    ok "round trip: every table's checksum, definition, view, routine, trigger and the sequence are identical"
else
    not_ok "round trip: every table's checksum, definition, view, routine, trigger and the sequence are identical" \
        "$(diff <(echo "$ORIGINAL") <(echo "$RESTORED"))"
fi
check "the sequence goes on after the values it had handed out" \
    '[ "$(root_sql "SELECT NEXTVAL(seq)")" -gt 101 ]'
app_sql "INSERT INTO t (s) VALUES ('after restore')"
check "the restored trigger fires on new rows (and did not fire while loading)" \
    '[ "$(root_sql "SELECT COUNT(*) FROM log")" = 2 ]'
check "the restored procedure runs" '[ "$(root_sql "CALL count_t()")" = 6 ]'

# ---- confirmation -------------------------------------------------------------
BEFORE=$(root_sql "CHECKSUM TABLE t")
ds db restore app.sql.gz
check "db restore over a database with tables, without --yes and without a terminal, refuses" \
    '[ $rc -ne 0 ] && [[ $out == *"drops database '"'app'"' (5 tables"* ]] && [[ $out == *"--yes"* ]]'
check "... and changes nothing" '[ "$(root_sql "CHECKSUM TABLE t")" = "$BEFORE" ]'
ds db restore app.sql.gz --yes
check "db restore --yes over a database with tables keeps a snapshot of it first" \
    '[ $rc -eq 0 ] && [[ $out == *"snapshot: "*".devstack/snapshots/app."*".none.before-restore.sql.gz"* ]] && [[ $out == *"what it held before:"* ]]'
check "... and the database is the dump's again (the row added since is gone)" \
    '[ "$(state)" = "$ORIGINAL" ]'
ds db snapshot restore before-restore --yes
check "db snapshot restore LABEL brings back what the database held before" \
    '[ $rc -eq 0 ] && [ "$(root_sql "SELECT COUNT(*) FROM t")" = 6 ]'

# ---- the stock tools agree ------------------------------------------------------
reset_db
"$CLIENT" --no-defaults --socket="$MARIADB_SOCKET" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" app \
    <"$TMP/plain.sql" >"$TMP/client.out" 2>&1
rc=$? out=$(cat "$TMP/client.out")
check "devstack's dump loads with the stock mariadb client" '[ $rc -eq 0 ]'
check "... with the same result as devstack's restore" '[ "$(state)" = "$ORIGINAL" ]'

"$DUMPER" --no-defaults --socket="$MARIADB_SOCKET" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" \
    --single-transaction --routines --triggers app >"$TMP/stock.sql" 2>"$TMP/stock.err"
rc=$? out=$(cat "$TMP/stock.err")
check "mariadb-dump dumps the same database" '[ $rc -eq 0 ]'
reset_db
ds db restore stock.sql --yes
check "a mariadb-dump file (DELIMITER ;;, /*!50003 */ comments, LOCK TABLES) restores with devstack" \
    '[ $rc -eq 0 ]'
RESTORED=$(state)
if [ "$RESTORED" = "$ORIGINAL" ]; then
    ok "... to the identical state"
else
    not_ok "... to the identical state" "$(diff <(echo "$ORIGINAL") <(echo "$RESTORED"))"
fi

# ---- bad dumps: each is read to its end first, and the database is left as it was ----
GOOD=$(state)
zcat "$TMP/app.sql.gz" | head -n 40 >"$TMP/cut.sql"
ds db restore cut.sql --yes --no-snapshot
check "a devstack dump without its final line is reported as cut short" \
    '[ $rc -ne 0 ] && [[ $out == *"'"'cut.sql'"' is incomplete"* ]] && [[ $out == *"nothing was changed"* ]]'
check "... before the database is dropped: it is as it was" '[ "$(state)" = "$GOOD" ]'
ds_stdin() { # ds_stdin FILE ARGS: devstack with FILE on standard input
    local f=$1
    shift
    out=$(cd "$TMP" && timeout 300 "$DEVSTACK" "$@" <"$f" 2>&1)
    rc=$?
}
ds_stdin "$TMP/cut.sql" db restore - --yes --no-snapshot
check "the same dump on standard input is refused too" \
    '[ $rc -ne 0 ] && [[ $out == *"'"'standard input'"' is incomplete"* ]] && [ "$(state)" = "$GOOD" ]'
head -c 1500 "$TMP/app.sql.gz" >"$TMP/cut.sql.gz"
ds db restore cut.sql.gz --yes --no-snapshot
check "a gzip file cut short is reported so" '[ $rc -ne 0 ] && [[ $out == *"cut short"* ]]'
check "... and the database is as it was" '[ "$(state)" = "$GOOD" ]'
{ zcat "$TMP/app.sql.gz"; printf 'garbage after the stream'; } | gzip -c | head -c -12 >"$TMP/trail.sql.gz"
ds db restore trail.sql.gz --yes --no-snapshot
check "a gzip stream without its trailer (CRC and length) is cut short" \
    '[ $rc -ne 0 ] && [[ $out == *"cut short"* ]] && [ "$(state)" = "$GOOD" ]'
printf 'CREATE TABLE ok1 (x INT);\nUSE mysql;\nDROP TABLE user;\n' >"$TMP/switch.sql"
ds db restore switch.sql --yes --no-snapshot
check "a dump that switches databases is refused at that statement, with its line" \
    '[ $rc -ne 0 ] && [[ $out == *"switch.sql:2: the dump switches databases ('"'USE mysql'"')"* ]]'
check "... and the mysql database is untouched" '[ "$(root_sql "SELECT COUNT(*) FROM user" mysql)" -ge 1 ]'
check "... and neither is the application database: nothing of the dump ran" \
    '[ "$(state)" = "$GOOD" ] && [ -z "$(root_sql "SHOW TABLES LIKE '"'ok1'"'")" ]'
root_sql "CREATE DATABASE IF NOT EXISTS other; CREATE TABLE IF NOT EXISTS other.keep (x INT)" ""
k=0
for trick in 'DROP /*x*/ DATABASE other' 'DROP/**/DATABASE other' 'DROP -- hidden\nDATABASE other' \
    '/*!40000 DROP DATABASE other */' 'CREATE /*!32312 OR REPLACE*/ DATABASE other' \
    '/*M!100100 CREATE OR REPLACE DATABASE other */' 'DROP # hidden\n SCHEMA other'; do
    k=$((k + 1))
    printf 'CREATE TABLE trick%s (x INT);\n%b;\n' "$k" "$trick" >"$TMP/trick$k.sql"
    ds db restore "trick$k.sql" --yes --no-snapshot
    check "a comment does not hide a database switch: $(printf '%b' "$trick" | tr '\n' ' ')" \
        '[ $rc -ne 0 ] && [[ $out == *"trick$k.sql:2: the dump switches databases"* ]] && [ "$(root_sql "SHOW TABLES" other)" = keep ] && [ "$(state)" = "$GOOD" ]'
done
printf 'CREATE TABLE ok2 (x INT);\nINSERT INTO nope VALUES (1);\n' >"$TMP/bad.sql"
ds db restore bad.sql --yes --no-snapshot
check "a failing statement is named with file:line and the server's message" \
    '[ $rc -ne 0 ] && [[ $out == *"bad.sql:2: Table '"'app.nope'"' doesn'"'"'t exist (error 1146)"* ]]'
ds db restore missing.sql --yes
check "a missing file is an error before anything is touched" \
    '[ $rc -ne 0 ] && [[ $out == *"cannot read '"'missing.sql'"'"* ]] && [ "$(root_sql "SHOW TABLES LIKE '"'ok2'"'")" = ok2 ]'

# ---- snapshots --------------------------------------------------------------------
reset_db
seed
app_sql "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('3f2a1b9c0d4e')"
ds db snapshot nightly
SNAP=$(cd "$TMP/.devstack/snapshots" && ls app.*.3f2a1b9c0d4e.nightly.sql.gz 2>/dev/null)
check "db snapshot NAME writes project.time.revision.NAME.sql.gz under .devstack/snapshots" \
    '[ $rc -eq 0 ] && [ -n "$SNAP" ] && [[ $out == *"restore it with: devstack db snapshot restore $SNAP"* ]]'
check ".devstack gets a .gitignore that ignores everything in it" \
    '[ "$(tail -1 "$TMP/.devstack/.gitignore")" = "*" ]'
ds db snapshots
check "db snapshots lists name, date, size and revision" \
    '[ $rc -eq 0 ] && [[ $out == *NAME*TAKEN*SIZE*REVISION* ]] && [[ $out == *"${SNAP%.sql.gz}"*" kB  3f2a1b9c0d4e"* ]]'
ds db snapshot 'bad name!'
check "a snapshot name with other characters is refused" \
    '[ $rc -ne 0 ] && [[ $out == *"letters, digits"* ]]'
ds db snapshot rm nightly
check "db snapshot rm wants the full name, not a label" \
    '[ $rc -ne 0 ] && [[ $out == *"did you mean"* ]] && [ -f "$TMP/.devstack/snapshots/$SNAP" ]'
ds db snapshot restore --latest --yes --no-snapshot
check "db snapshot restore --latest loads the newest" \
    '[ $rc -eq 0 ] && [[ $out == *"$SNAP"* ]] && [ "$(root_sql "SELECT version_num FROM alembic_version")" = 3f2a1b9c0d4e ]'
ds db snapshot rm "${SNAP%.sql.gz}"
check "db snapshot rm NAME removes it" '[ $rc -eq 0 ] && [ ! -e "$TMP/.devstack/snapshots/$SNAP" ]'

# ---- big: streaming, interrupts, disk full --------------------------------------------
/usr/bin/time -f %M -o "$TMP/rss.small" "$DEVSTACK" db dump "$TMP/small.sql" >/dev/null 2>&1
root_sql "CREATE TABLE big (id INT PRIMARY KEY, pad VARBINARY(200)) ENGINE=InnoDB"
root_sql "INSERT INTO big SELECT seq, RANDOM_BYTES(200) FROM seq_1_to_200000" 2>/dev/null ||
    root_sql "INSERT INTO big SELECT seq, UNHEX(SHA2(seq, 512)) FROM seq_1_to_200000"
check "a 200,000-row table of random bytes is there" '[ "$(root_sql "SELECT COUNT(*) FROM big")" = 200000 ]'

root_sql "CREATE DATABASE small_only" "" && root_sql "CREATE TABLE small_only.x (a INT)" ""
DATABASE_URL=${MARIADB_URL%/app}/small_only /usr/bin/time -f %M -o "$TMP/rss.small" \
    "$DEVSTACK" db dump "$TMP/small.sql" >/dev/null 2>&1
/usr/bin/time -f %M -o "$TMP/rss.big" "$DEVSTACK" db dump "$TMP/big.sql" >"$TMP/big.out" 2>&1
rc=$? out=$(cat "$TMP/big.out")
SMALL_KB=$(tail -1 "$TMP/rss.small") BIG_KB=$(tail -1 "$TMP/rss.big")
BIG_MB=$(($(stat -c %s "$TMP/big.sql" 2>/dev/null || echo 0) / 1000000))
check "memory stays flat: a ${BIG_MB} MB dump peaks within 8 MB of a 3 kB one's RSS (${SMALL_KB} kB vs ${BIG_KB} kB)" \
    '[ $rc -eq 0 ] && [ "$BIG_MB" -ge 40 ] && [ $((BIG_KB - SMALL_KB)) -lt 8192 ]'
rm -f "$TMP/big.sql"

(cd "$TMP" && exec "$DEVSTACK" db snapshot killed >/dev/null 2>&1) &
pid=$!
for _ in $(seq 100); do
    ls "$TMP"/.devstack/snapshots/.*.partial-* >/dev/null 2>&1 && [ "$(du -k "$TMP"/.devstack/snapshots/.*.partial-* | cut -f1 | head -1)" -gt 64 ] && break
    sleep 0.05
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
check "a snapshot killed with SIGKILL mid-dump leaves no file under a final name" \
    '! ls "$TMP"/.devstack/snapshots/*killed* >/dev/null 2>&1 && ls -a "$TMP"/.devstack/snapshots | grep -q "killed.sql.gz.partial-$pid"'
ds db snapshots
check "the next listing removes the dead dump's partial file and says so" \
    '[ $rc -eq 0 ] && [[ $out == *"removed "*"killed.sql.gz.partial-$pid"*"did not finish"* ]] && ! ls -a "$TMP"/.devstack/snapshots | grep -q partial'

(cd "$TMP" && exec "$DEVSTACK" db dump interrupted.sql.gz >"$TMP/int.out" 2>&1) &
pid=$!
for _ in $(seq 100); do
    ls "$TMP"/.interrupted.sql.gz.partial-* >/dev/null 2>&1 && break
    sleep 0.05
done
sleep 0.2
kill -INT $pid
wait $pid
rc=$? out=$(cat "$TMP/int.out")
check "Ctrl-C during a dump exits 130 and leaves neither the file nor a partial one" \
    '[ $rc -eq 130 ] && [ ! -e "$TMP/interrupted.sql.gz" ] && ! ls -a "$TMP" | grep -q "interrupted.sql.gz.partial"'

if [ "$(id -u)" = 0 ] && unshare --mount true 2>/dev/null; then
    mkdir -p "$TMP/full"
    out=$(unshare --mount --propagation private bash -c '
        mount -t tmpfs -o size=256k tmpfs "$1" || exit 99
        cd "$1" && "$2" db dump big.sql 2>&1; echo "rc=$?"; ls -A "$1" | wc -l
    ' _ "$TMP/full" "$DEVSTACK")
    check "disk full: the dump fails saying so, and the partial file is removed" \
        '[[ $out == *"writing '"'big.sql'"': No space left on device"* ]] && [[ $out == *"the partial dump was removed"* ]] && [[ $out == *"rc=1"* ]] && [ "$(echo "$out" | tail -1)" = 0 ]'
else
    not_ok "disk full: the dump fails saying so, and the partial file is removed" \
        "needs root and mount namespaces (unshare --mount) for a small tmpfs"
fi

ds db bogus
check "an unknown db verb exits 2" '[ $rc -eq 2 ]'
ds db dump --bogus
check "an unknown option of db dump exits 2" '[ $rc -eq 2 ]'

tap_done
