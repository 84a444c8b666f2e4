#!/bin/bash
# synackd --pcap on synack-gencap captures: every format and link type,
# every rule; counts equal the generator's answers file.
. "$(dirname "$0")/lib.sh"

run() { # name answers-prefix capture [synackd options...]
	local name=$1 pre=$2 cap=$3; shift 3
	local ans=${cap%.*}.answers d=$T/data-$name
	"$SYNACKD" --pcap "$cap" --data-dir "$d" --summary-json "$@" >"$T/$name.json" 2>"$T/$name.err"
	local rc=$?
	expect_eq "$name exit" "$rc" 0
	[ $rc -eq 0 ] || { cat "$T/$name.err" >&2; return; }
	expect_eq "$name frames" "$(json "$T/$name.json" 'd["frames"]')" "$(answer frames "$ans")"
	for k in match match.ipv4 match.ipv6 excluded wrong_direction not_synack not_tcp not_ip; do
		case $k in
		match) got=$(json "$T/$name.json" 'd["synack"]') ;;
		match.ipv4) got=$(json "$T/$name.json" 'd["ipv4"]') ;;
		match.ipv6) got=$(json "$T/$name.json" 'd["ipv6"]') ;;
		*) got=$(json "$T/$name.json" "d['counters']['results']['$k']") ;;
		esac
		expect_eq "$name $k" "$got" "$(answer "$pre.$k" "$ans")"
	done
	# synackd counts flag values modulo 0x100 (256 counters); fold the answers
	local want_flags got_flags
	want_flags=$(python3 -c '
import sys, collections
c = collections.Counter()
for l in open(sys.argv[1]):
    if l.startswith(sys.argv[2]):
        k, v = l.strip()[len(sys.argv[2]):].split("=")
        c[int(k, 16) & 0xff] += int(v)
print(" ".join("0x%03x=%d" % (k, c[k]) for k in sorted(c)))' "$ans" "$pre.match.flags.")
	got_flags=$(json "$T/$name.json" "'\\n'.join('%s=%d' % kv for kv in sorted(d['counters']['flags'].items()))")
	expect_eq "$name flags" "$(echo $got_flags)" "$(echo $want_flags)"
	local m; m=$(answer "$pre.match" "$ans")
	expect_eq "$name records" "$(json "$T/$name.json" 'd["writer"]["records"]')" "$m"
	expect_eq "$name logged" "$(json "$T/$name.json" 'd["writer"]["logged"]')" "$m"
	expect_eq "$name stored" "$(json "$T/$name.json" 'd["writer"]["stored"]')" "$m"
	expect_eq "$name ring_drops" "$(json "$T/$name.json" 'd["ring_drops"]')" 0
}

EXCL=198.18.200.0/22
i=0
for fmt in pcap pcap-ns pcapng; do
	lts="ethernet raw sll sll2 null loop ipv4 ipv6" # every link type in pcap, a few in the others
	[ $fmt = pcap ] || lts="ethernet sll2 ipv6"
	for lt in $lts; do
		i=$((i + 1))
		cap=$T/g-$fmt-$lt.$([ $fmt = pcapng ] && echo pcapng || echo pcap)
		int='198.18.0.0/16, 2001:db8:1::/48' ex=$EXCL
		[ $lt = ipv6 ] && int=2001:db8:1::/48 ex=2001:db8:1:f000::/52
		"$GENCAP" -o "$cap" --seed $i --synacks 300 --format $fmt --linktype $lt \
			--internal "$int" --exclude $ex --scan=20 >/dev/null 2>"$T/gencap.err" ||
			{ fail "gencap $fmt $lt: $(cat "$T/gencap.err")"; continue; }
		run "$fmt-$lt" default.external "$cap" --internal "$int" --exclude $ex
	done
done

# rules: strict and peers any, plus FTP marking and the services table
cap=$T/rules.pcap
"$GENCAP" -o "$cap" --seed 77 --synacks 1000 --exclude $EXCL --ftp-sessions 6 --scan=40 2>/dev/null
P='198.18.0.0/16, 2001:db8:1::/48'
run default "default.external" "$cap" --internal "$P" --exclude $EXCL --sensor-id 77
expect_eq "sensor id in the database" "$(db_sql "$T/data-default" "select value from meta where key = 'sensor_id'")" 77
run strict "strict.external" "$cap" --internal "$P" --exclude $EXCL --strict
run any "default.any" "$cap" --internal "$P" --exclude $EXCL --peers any
run strictany "strict.any" "$cap" --internal "$P" --exclude $EXCL --strict --peers any
ans=$T/rules.answers
expect_eq "ftp active" "$(json "$T/default.json" 'd["writer"]["ftp_active"]')" "$(answer ftp.active "$ans")"
expect_eq "ftp passive" "$(json "$T/default.json" 'd["writer"]["ftp_passive"]')" "$(answer ftp.passive "$ans")"
expect_eq "hourly packets (non-FTP)" "$(db_sql "$T/data-default" 'select sum(packets) from hourly')" \
	"$(answer_services "$ans" | cut -d' ' -f2)"
expect_eq "services (count packets)" "$(db_services "$T/data-default")" "$(answer_services "$ans")"

# several workers, files shared round-robin: same totals as one worker
"$GENCAP" -o "$T/w2.pcap" --seed 78 --synacks 500 2>/dev/null
"$SYNACKD" --pcap "$cap" "$T/w2.pcap" "$cap" --internal "$P" --workers 2 --data-dir "$T/dw2" \
	--summary-json >"$T/w2.json" 2>"$T/w2.err" || fail "two workers: $(cat "$T/w2.err")"
"$SYNACKD" --pcap "$cap" "$T/w2.pcap" "$cap" --internal "$P" --workers 1 --data-dir "$T/dw1" \
	--summary-json >"$T/w1.json" 2>"$T/w1.err" || fail "one worker: $(cat "$T/w1.err")"
expect_eq "2 workers synack" "$(json "$T/w2.json" 'd["synack"]')" "$(json "$T/w1.json" 'd["synack"]')"
expect_eq "2 workers stored" "$(json "$T/w2.json" 'd["writer"]["stored"]')" "$(json "$T/w1.json" 'd["writer"]["stored"]')"
expect_eq "2 workers workers" "$(json "$T/w2.json" 'd["workers"]')" 2
grep -q "warning: $cap and $cap are the same file: it is read twice" "$T/w1.err" &&
	pass "a capture named twice: warned" || fail "named twice: $(cat "$T/w1.err")"

# standard input (a pipe, read in 4 MiB chunks, so batches meet refills):
# the same answers as for a file
big=$T/stdin.pcap
"$GENCAP" -o "$big" --seed 79 --frames 60000 --frame-size 128 2>/dev/null
expect_eq "stdin capture spans chunks" "$(($(stat -c %s "$big") > 2 * 4194304))" 1
cat "$big" | "$SYNACKD" --pcap - --internal "$P" --data-dir "$T/dstdin" --summary-json \
	>"$T/stdin.json" 2>"$T/stdin.err" || fail "stdin: $(cat "$T/stdin.err")"
expect_eq "stdin frames" "$(json "$T/stdin.json" 'd["frames"]')" "$(answer frames "${big%.*}.answers")"
expect_eq "stdin synack" "$(json "$T/stdin.json" 'd["synack"]')" \
	"$(answer default.external.match "${big%.*}.answers")"
expect_eq "stdin not_synack" "$(json "$T/stdin.json" "d['counters']['results']['not_synack']")" \
	"$(answer default.external.not_synack "${big%.*}.answers")"
# a pipe cannot be read in byte ranges: with --workers 2 one worker reads it
# whole (the first look at it must not eat its start)
cat "$big" | "$SYNACKD" --pcap - --workers 2 --internal "$P" --data-dir "$T/dstdin2" --summary-json \
	>"$T/stdin2.json" 2>"$T/stdin2.err" || fail "stdin, 2 workers: $(cat "$T/stdin2.err")"
expect_eq "stdin 2 workers frames" "$(json "$T/stdin2.json" 'd["frames"]')" "$(answer frames "${big%.*}.answers")"
expect_eq "stdin 2 workers synack" "$(json "$T/stdin2.json" 'd["synack"]')" \
	"$(answer default.external.match "${big%.*}.answers")"
grep -q "one worker reads it whole" "$T/stdin2.err" && pass "stdin, 2 workers: said" ||
	fail "stdin, 2 workers: $(cat "$T/stdin2.err")"

# text summary
"$SYNACKD" --pcap "$cap" --internal "$P" --exclude $EXCL --data-dir "$T/dtext" >"$T/text.out" 2>&1
grep -q "^synack  *$(answer default.external.match "$ans") " "$T/text.out" \
	&& pass "text summary" || fail "text summary: $(cat "$T/text.out")"
finish
