#!/bin/bash
# Symbolic links planted in the data directory are never followed: for
# each of synack.db, its -wal file, alerts.db, events.jsonl and the hourly
# log file a link to a file outside the data directory makes synackd --pcap refuse
# (exit 3, an error naming the file) or skip it, and the target is neither
# created nor written.  A data directory that is itself a link (the
# operator's choice) keeps working.  A directory planted where a closed hour
# is sealed makes the seal fail: counted (seal_failures), the hour kept.
. "$(dirname "$0")/../synackd/lib.sh"
. "$(dirname "$0")/lib.sh"
"$GENCAP" -o "$T/s.pcap" --seed 6 --synacks 300 --duration 10m >/dev/null 2>&1
want=$(answer default.external.match "$T/s.answers")

plant() { # NAME PATH-IN-DATA-DIR
	local d=$T/data-$1 v=$T/victim-$1
	mkdir -p "$(dirname "$d/$2")"
	printf 'precious\n' >"$v"
	ln -s "$v" "$d/$2"
	"$SYNACKD" --pcap "$T/s.pcap" --internal "$P" --data-dir "$d" >"$T/$1.out" 2>"$T/$1.err"
	local rc=$?
	expect_eq "$1: link target untouched" "$(head -c 40 "$v" | tr "\n" " ")" "precious "
	if [ "${3:-}" = may-unlink ]; then
		# SQLite unlinks the link and creates its own file, which stays
		# (the store keeps -wal and -shm): it must be a new file, not the target
		if [ -e "$d/$2" ] && [ ! -L "$d/$2" ]; then
			[ "$(stat -c %i "$d/$2")" != "$(stat -c %i "$v")" ] &&
				pass "$1: a new file in place of the link" || fail "$1: the target was moved in"
		fi
	else
		[ -L "$d/$2" ] && pass "$1: the link is left alone" || fail "$1: the link was replaced"
	fi
	echo "$1: exit $rc: $(grep -v '^EAL\|^TELEMETRY' "$T/$1.err" | tail -n1)"
	rm -f "$v"
	ln -sf "$T/absent-$1" "$d/$2.dangling" 2>/dev/null
}
plant db synack.db
plant alertsdb alerts.db
plant events events.jsonl
# SQLite opens its -wal file with O_NOFOLLOW and may unlink the link itself
# and create its own
plant wal synack.db-wal may-unlink
plant log logs/2025/01/06/synack-20250106-00.zst

# a directory planted where the sealer writes its temporary file: the hour is
# left as written (complete), the failure is counted in the writer's stats
SYNACKCTL="$SYNACK_BUILD_ROOT/app/synackctl/synackctl"
"$GENCAP" -o "$T/h.pcap" --seed 7 --synacks 300 --duration 3h >/dev/null 2>&1
d=$T/data-seal
mkdir -p "$d/logs/2025/01/06/synack-20250106-00.zst.seal"
"$SYNACKD" --pcap "$T/h.pcap" --internal "$P" --data-dir "$d" --summary-json >"$T/seal.json" 2>"$T/seal.err"
expect_eq "seal: exit" $? 0
expect_eq "seal: seal_failures" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["writer"]["seal_failures"])' "$T/seal.json")" 1
expect_eq "seal: records in the logs" "$("$SYNACKCTL" cat "$d"/logs/2025/01/06/*.zst | sed 1d | wc -l)" \
	"$(answer default.external.match "$T/h.answers")"

# dangling links: nothing may be created at the target
for name in synack.db alerts.db events.jsonl; do
	d=$T/data-dangling-${name%%.*}
	mkdir -p "$d"
	ln -s "$T/created-${name%%.*}" "$d/$name"
	"$SYNACKD" --pcap "$T/s.pcap" --internal "$P" --data-dir "$d" >/dev/null 2>"$T/dangling.err"
	[ -e "$T/created-${name%%.*}" ] && fail "dangling $name: the target was created" ||
		pass "dangling $name: no file created through the link"
done

# the data directory itself may be a link
mkdir -p "$T/real"
ln -s "$T/real" "$T/linked"
"$SYNACKD" --pcap "$T/s.pcap" --internal "$P" --data-dir "$T/linked" --summary-json \
	>"$T/linked.json" 2>"$T/linked.err"
expect_eq "linked data dir: exit" $? 0
expect_eq "linked data dir: database records" "$(db_records "$T/real")" "$want"
finish
