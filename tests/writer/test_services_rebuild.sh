#!/bin/sh
# synackctl services (csv header, order, formats, filters, errors) and
# synackctl rebuild (rebuilt inventory equals the live one, .old kept).
set -eu
B="${SYNACK_BUILD_ROOT:?}"
CTL="$B/app/synackctl/synackctl"
GEN="$B/tests/writer/synack-writer-gen"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

D="$T/data"
mkdir -p "$D"
"$GEN" "$D" 20000 >"$T/gen.out"
grep -q 'ftp_active=[1-9]' "$T/gen.out" || fail "no active FTP records generated"
grep -q 'ftp_passive=[1-9]' "$T/gen.out" || fail "no passive FTP records generated"

"$CTL" --data-dir "$D" services --format csv >"$T/live.csv"
head -n1 "$T/live.csv" | grep -qx 'addr,port,first_seen,last_seen,packets,peers,days_seen,service' ||
	fail "csv header: $(head -n1 "$T/live.csv")"
grep -q '^10\.0\.0\.2,22,.*,ssh$' "$T/live.csv" || fail "csv service name"
# numeric order: 10.0.0.2 before 10.0.0.10 before 10.0.0.100, v4 before v6, ports ascending
cut -d, -f1 "$T/live.csv" | sed 1d | uniq >"$T/addrs"
printf '10.0.0.2\n10.0.0.10\n10.0.0.21\n10.0.0.100\n2001:db8:1::1\n' >"$T/want_addrs"
diff "$T/want_addrs" "$T/addrs" >&2 || fail "address order"
grep '^10.0.0.2,' "$T/live.csv" | cut -d, -f2 | sort -n -c || fail "port order"
# FTP data ports never appear; the FTP control port does
grep -q ',4[0-9][0-9][0-9][0-9],' "$T/live.csv" && fail "active FTP data port listed"
grep -q '^10.0.0.99,' "$T/live.csv" && fail "FTP client listed"
grep -q '^10.0.0.21,21,' "$T/live.csv" || fail "FTP control port missing"
grep -Eq '^10\.0\.0\.2,22,20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z,' "$T/live.csv" ||
	fail "ISO times"

# table and json
"$CTL" --data-dir "$D" services >"$T/table"
head -n1 "$T/table" | grep -q 'ADDR.*PORT.*SERVICE.*FIRST_SEEN.*LAST_SEEN.*PACKETS.*PEERS.*DAYS' ||
	fail "table header"
grep -Eq '^10\.0\.0\.2 +22 +ssh ' "$T/table" || fail "table row with service name"
[ "$(wc -l <"$T/table")" = "$(wc -l <"$T/live.csv")" ] || fail "table rows"
"$CTL" --data-dir "$D" services --format json >"$T/json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert a and "addr" in a[0] and "days_seen" in a[0]' "$T/json" ||
	fail "json"
"$CTL" --data-dir "$D" --json services | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "--json"

# filters
"$CTL" --data-dir "$D" services --format csv --port 22,443 | sed 1d | cut -d, -f2 | sort -u | tr '\n' ' ' |
	grep -qx '22 443 ' || fail "--port"
"$CTL" --data-dir "$D" services --format csv --addr 10.0.0.0/29 | sed 1d | cut -d, -f1 | sort -u |
	grep -qx '10.0.0.2' || fail "--addr"
"$CTL" --data-dir "$D" services --format csv --addr 2001:db8::/32 | sed 1d | cut -d, -f1 | sort -u |
	grep -qx '2001:db8:1::1' || fail "--addr v6"
n=$("$CTL" --data-dir "$D" services --format csv --new-since 2100-01-01 | wc -l)
[ "$n" = 1 ] || fail "--new-since future"
n=$("$CTL" --data-dir "$D" services --format csv --new-since @0 | wc -l)
[ "$n" = "$(wc -l <"$T/live.csv")" ] || fail "--new-since @0"

# errors
set +e
"$CTL" --data-dir "$T/nowhere" services >/dev/null 2>"$T/err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "missing db exit $rc"
grep -q "$T/nowhere/synack.db" "$T/err" || fail "missing db message: $(cat "$T/err")"
set +e
"$CTL" --data-dir "$D" services --format xml >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 64 ] || fail "bad format exit $rc"
for t in 2025-02-30 2025-02-31 2025-3-4 1741046400; do
	set +e
	"$CTL" --data-dir "$D" services --new-since $t >/dev/null 2>&1; rc=$?
	set -e
	[ "$rc" = 64 ] || fail "--new-since $t exit $rc"
done

# rebuild equals live
cp "$D/synack.db" "$T/live.db"
"$CTL" --data-dir "$D" rebuild 2>"$T/rebuild.err" || fail "rebuild: $(cat "$T/rebuild.err")"
[ -f "$D/synack.db.old" ] || fail "no synack.db.old"
[ ! -e "$D/synack.db.rebuild" ] || fail "leftover .rebuild"
[ ! -e "$D/synack.db.rebuild-wal" ] && [ ! -e "$D/synack.db.rebuild-shm" ] || fail "leftover .rebuild-wal or -shm"
cmp -s "$D/synack.db.old" "$T/live.db" || fail ".old is not the previous database"
"$CTL" --data-dir "$D" services --format csv >"$T/rebuilt.csv"
diff "$T/live.csv" "$T/rebuilt.csv" >&2 || fail "rebuilt inventory differs"
if command -v sqlite3 >/dev/null; then
	[ "$(sqlite3 "$D/synack.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
	for t in hourly service_peers daily_services daily_peers hosts ftp_data; do
		a=$(sqlite3 "$D/synack.db" "ATTACH '$T/live.db' AS l; SELECT count(*) FROM (SELECT * FROM main.$t EXCEPT SELECT * FROM l.$t)")
		b=$(sqlite3 "$D/synack.db" "ATTACH '$T/live.db' AS l; SELECT count(*) FROM (SELECT * FROM l.$t EXCEPT SELECT * FROM main.$t)")
		[ "$a$b" = 00 ] || fail "table $t differs after rebuild ($a extra, $b missing)"
	done
fi
# an unknown zone is refused before anything is written; a known one is stored
cp "$D/synack.db" "$T/before.db"
set +e
"$CTL" --data-dir "$D" rebuild --timezone Bogus/Zone >/dev/null 2>"$T/err"; rc=$?
set -e
[ "$rc" = 64 ] || fail "rebuild --timezone Bogus/Zone exit $rc"
grep -q "^synackctl rebuild: --timezone: unknown time zone 'Bogus/Zone'" "$T/err" ||
	fail "bad zone message: $(cat "$T/err")"
cmp -s "$D/synack.db" "$T/before.db" || fail "rebuild with a bad zone changed synack.db"
"$CTL" --data-dir "$D" rebuild --timezone Europe/Berlin 2>"$T/err" || fail "rebuild Europe/Berlin: $(cat "$T/err")"
python3 -c 'import sqlite3,sys; v=sqlite3.connect(sys.argv[1]).execute("SELECT value FROM meta WHERE key=\"timezone\"").fetchone(); assert v and v[0]=="Europe/Berlin", v' "$D/synack.db" ||
	fail "meta.timezone after rebuild --timezone Europe/Berlin"
# rebuild with no logs directory: clear error
set +e
"$CTL" --data-dir "$T/nowhere" rebuild >/dev/null 2>"$T/err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "rebuild without logs exit $rc"
grep -q "$T/nowhere/logs" "$T/err" || fail "rebuild without logs message"
echo "ok"
