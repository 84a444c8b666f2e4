#!/bin/bash
# synackd --pcap with bad input: damaged (cut) files keep what was read and
# exit 2 naming the file; missing, non-capture and unsupported link type
# files exit 2 naming them; usage errors exit 1 before EAL starts.
. "$(dirname "$0")/lib.sh"
P='198.18.0.0/16, 2001:db8:1::/48'

"$GENCAP" -o "$T/full.pcap" --seed 5 --synacks 2000 >/dev/null 2>&1
size=$(stat -c %s "$T/full.pcap")
head -c $((size / 2 + 7)) "$T/full.pcap" >"$T/cut.pcap"
"$SYNACKD" --pcap "$T/cut.pcap" --internal "$P" --data-dir "$T/d1" --summary-json >"$T/cut.json" 2>"$T/cut.err"
expect_eq "cut file exit" $? 2
grep -q "$T/cut.pcap" "$T/cut.err" && pass "cut: error names the file" || fail "cut: $(cat "$T/cut.err")"
s=$(json "$T/cut.json" 'd["synack"]')
st=$(json "$T/cut.json" 'd["writer"]["stored"]')
all=$(answer default.external.match "$T/full.answers")
[ "$s" -gt 0 ] && [ "$s" -lt "$all" ] && pass "cut: $s of $all SYN+ACKs read" || fail "cut: synack $s of $all"
expect_eq "cut: everything read is stored" "$st" "$s"
expect_eq "cut: status in JSON" "$(json "$T/cut.json" 'd["status"]')" 2
h=$(db_sql "$T/d1" 'select coalesce(sum(packets),0) from hourly')
f=$(db_sql "$T/d1" 'select coalesce(sum(packets),0) from ftp_data')
expect_eq "cut: rows in the database" $((h + f)) "$s"

# good file + damaged file: the good one is complete, exit still 2
"$SYNACKD" --pcap "$T/full.pcap" "$T/cut.pcap" --internal "$P" --data-dir "$T/d2" --summary-json \
	>"$T/two.json" 2>"$T/two.err"
expect_eq "good+cut exit" $? 2
expect_eq "good+cut synack" "$(json "$T/two.json" 'd["synack"]')" $((all + s))

"$SYNACKD" --pcap "$T/nonexistent.pcap" --internal "$P" --data-dir "$T/d3" >/dev/null 2>"$T/miss.err"
expect_eq "missing file exit" $? 2
grep -q "nonexistent.pcap" "$T/miss.err" && pass "missing: named" || fail "missing: $(cat "$T/miss.err")"

echo "this is not a capture file at all, just text" >"$T/text.pcap"
"$SYNACKD" --pcap "$T/text.pcap" --internal "$P" --data-dir "$T/d4" >/dev/null 2>"$T/text.err"
expect_eq "not a capture exit" $? 2
grep -q "text.pcap" "$T/text.err" && pass "not a capture: named" || fail "not a capture: $(cat "$T/text.err")"

mkdir -p "$T/adir"
"$SYNACKD" --pcap "$T/adir" --internal "$P" --data-dir "$T/d4b" >/dev/null 2>"$T/dir.err"
expect_eq "directory as capture exit" $? 2
grep -q "adir: a directory, not a capture file" "$T/dir.err" && pass "directory named" ||
	fail "directory: $(cat "$T/dir.err")"

# the data directory: made with its missing parents; a file in its place,
# or one this user cannot write, stops the run before any frame is read
"$SYNACKD" --pcap "$T/full.pcap" --internal "$P" --data-dir "$T/new/a/b" >/dev/null 2>"$T/dd1.err"
expect_eq "data dir with missing parents exit" $? 0
expect_eq "data dir with missing parents made" "$(db_sql "$T/new/a/b" 'select count(*) > 0 from hourly')" 1
"$SYNACKD" --pcap "$T/full.pcap" --internal "$P" --data-dir "$T/full.pcap" >/dev/null 2>"$T/dd2.err"
expect_eq "data dir is a file exit" $? 3
grep -q "data directory $T/full.pcap: exists and is not a directory" "$T/dd2.err" &&
	pass "data dir is a file: said" || fail "data dir is a file: $(cat "$T/dd2.err")"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -p "$T/rootonly" && chmod 755 "$T/rootonly" && chmod o+rx "$T"
	runuser -u nobody -- "$SYNACKD" --pcap "$T/full.pcap" --internal "$P" --data-dir "$T/rootonly" \
		>/dev/null 2>"$T/dd3.err"
	expect_eq "data dir not writable exit" $? 3
	grep -q "data directory $T/rootonly: not writable by uid $(id -u nobody) (owner uid 0, mode 0755)" \
		"$T/dd3.err" && pass "data dir not writable: said" || fail "not writable: $(cat "$T/dd3.err")"
fi

# pcap with link type 147 (USER0): a clear error naming it
python3 - "$T/user0.pcap" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 147))
    f.write(struct.pack("<IIII", 1, 0, 4, 4) + b"abcd")
PY
"$SYNACKD" --pcap "$T/user0.pcap" --internal "$P" --data-dir "$T/d5" >/dev/null 2>"$T/lt.err"
expect_eq "link type 147 exit" $? 2
grep -q "user0.pcap: unsupported link type 147" "$T/lt.err" && pass "link type named" ||
	fail "link type: $(cat "$T/lt.err")"

# usage errors: exit 1, nothing started
"$SYNACKD" --pcap "$T/full.pcap" --data-dir "$T/d6" >/dev/null 2>"$T/u1.err"
expect_eq "no --internal exit" $? 1
"$SYNACKD" --pcap "$T/full.pcap" --internal 10.0.0.0/33 --data-dir "$T/d6" >/dev/null 2>"$T/u2.err"
expect_eq "bad prefix exit" $? 1
grep -q "10.0.0.0/33" "$T/u2.err" && pass "bad prefix named" || fail "bad prefix: $(cat "$T/u2.err")"
"$SYNACKD" --pcap >/dev/null 2>&1
expect_eq "no files exit" $? 1
"$SYNACKD" >/dev/null 2>&1
expect_eq "no config exit" $? 1
"$SYNACKD" --pcap "$T/full.pcap" --internal "$P" --set ring_sise=4 >/dev/null 2>"$T/u3.err"
expect_eq "bad --set exit" $? 1
grep -q "did you mean 'ring_size'" "$T/u3.err" && pass "--set suggestion" || fail "--set: $(cat "$T/u3.err")"

# valid settings that can never match: warned about, the run goes on
"$SYNACKD" --pcap "$T/full.pcap" --internal "$P" --exclude 10.0.0.0/8 --data-dir "$T/d8" \
	>/dev/null 2>"$T/w1.err"
expect_eq "exclude outside internal exit" $? 0
grep -q "warning: .*exclude: 10.0.0.0/8 lies outside every internal prefix" "$T/w1.err" &&
	pass "exclude outside internal: warned" || fail "exclude outside: $(cat "$T/w1.err")"
"$SYNACKD" --pcap "$T/full.pcap" --internal "$P" --set timezone=Asia/Tokio --data-dir "$T/d9" \
	>/dev/null 2>"$T/tz.err"
expect_eq "unknown time zone exit" $? 1
grep -q "unknown time zone 'Asia/Tokio'" "$T/tz.err" && pass "unknown time zone named" ||
	fail "time zone: $(cat "$T/tz.err")"
[ ! -e "$T/d9/synack.db" ] && pass "unknown time zone: no database made" || fail "database made"

# options of the other mode: usage errors, not silently ignored
"$SYNACKD" --pcap "$T/full.pcap" --internal "$P" --file-prefix x >/dev/null 2>"$T/u4.err"
expect_eq "--file-prefix with --pcap exit" $? 1
grep -q "\-\-file-prefix is for live ports" "$T/u4.err" && pass "--file-prefix with --pcap said" ||
	fail "--file-prefix: $(cat "$T/u4.err")"
printf 'port = net_pcap0\ninternal = %s\n' "$P" >"$T/live.conf"
"$SYNACKD" -c "$T/live.conf" --workers 2 >/dev/null 2>"$T/u5.err"
expect_eq "--workers with -c exit" $? 1
grep -q "\-\-workers is for --pcap" "$T/u5.err" && pass "--workers with -c said" ||
	fail "--workers: $(cat "$T/u5.err")"

# --progress on a non-tty: progress lines on stderr, summary on stdout
"$SYNACKD" --pcap "$T/full.pcap" --internal "$P" --data-dir "$T/d7" --progress >"$T/p.out" 2>"$T/p.err"
expect_eq "progress exit" $? 0
grep -q "100.0%" "$T/p.err" && pass "progress shown" || fail "progress: $(cat "$T/p.err")"
grep -q "^records_stored" "$T/p.out" && pass "summary on stdout" || fail "summary: $(cat "$T/p.out")"
# a relative --data-dir on the command line is taken from the current directory
(cd "$T" && "$SYNACKD" --pcap full.pcap --internal "$P" --data-dir rel-data >/dev/null 2>"$T/rel.err")
expect_eq "relative --data-dir exit" $? 0
expect_eq "relative --data-dir: rows stored there" \
	"$(db_sql "$T/rel-data" 'select coalesce(sum(packets),0) from hourly')" "$all"
finish
