#!/bin/sh
# The whole pipeline on the shipped demo capture: synackd --pcap, then
# synackctl services must list exactly the answers file's non-FTP services
# (address, port, packets, peers) and ftp_data its active/passive counts.
set -eu
B="${SYNACK_BUILD_ROOT:?}"
S="${SYNACK_SOURCE_ROOT:?}"
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$B/app/synackd/synackd" ] || { echo "no synackd: skipped"; exit 77; }
A="$S/config/demo.answers"
internal=$(sed -n 's/^internal=//p' "$A")
mkdir -p "$D/data"
"$B/app/synackd/synackd" --pcap "$S/config/demo.pcap" --internal "$internal" --data-dir "$D/data" \
	>"$D/synackd.out" 2>&1 || fail "synackd: $(tail -5 "$D/synackd.out")"
grep '^service=' "$A" | sed 's/^service=//' | awk '$5 == "service" { print $1 "," $2 "," $3 "," $4 }' |
	sort >"$D/want"
# First (before root reads it), a user who may read the data directory but not
# write it (the synack group's members) lists the services: the database keeps
# its -wal and -shm when synackd closes it.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod -R a+rX "$D"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$B/app/synackctl/synackctl" --data-dir "$D/data" services --format csv 2>"$D/ro.err" |
		sed 1d | awk -F, '{ print $1 "," $2 "," $5 "," $6 }' | sort >"$D/got-ro" || true
	diff "$D/want" "$D/got-ro" >&2 || fail "services as a read-only user: $(cat "$D/ro.err")"
fi
"$B/app/synackctl/synackctl" --data-dir "$D/data" services --format csv | sed 1d |
	awk -F, '{ print $1 "," $2 "," $5 "," $6 }' | sort >"$D/got"
[ "$(wc -l <"$D/got")" = "$(sed -n 's/^services.non_ftp=//p' "$A")" ] || fail "number of services"
diff "$D/want" "$D/got" >&2 || fail "services differ from the answers"
if command -v sqlite3 >/dev/null; then
	[ "$(sqlite3 "$D/data/synack.db" "SELECT sum(packets) FROM ftp_data WHERE mode = 'active'")" = \
		"$(sed -n 's/^ftp.active=//p' "$A")" ] || fail "active FTP count"
	[ "$(sqlite3 "$D/data/synack.db" "SELECT sum(packets) FROM ftp_data WHERE mode = 'passive'")" = \
		"$(sed -n 's/^ftp.passive=//p' "$A")" ] || fail "passive FTP count"
fi
echo ok
