#!/bin/bash
# test_gencap.sh - captures made by synack-gencap, classified by
# synack-classify: every count equals the generator's answers file (derived
# by the generator from what it generated, not by running the classifier).
# Checked for the default and strict rules, peers external and any, per
# result, IPv4/IPv6, VLAN, per flag value, excluded, and for several formats
# and link types.  Also: same seed gives the same bytes, standard input
# works, a cut file reports damage, tshark agrees on one file.
set -u

build=${SYNACK_BUILD_ROOT:-$(dirname "$0")/../../build}
gencap=$build/tests/tools/synack-gencap
classify=$build/tests/tools/synack-classify
for p in "$gencap" "$classify"; do
	[ -x "$p" ] || { echo "FAIL: $p missing"; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() {
	echo "FAIL: $*"
	fail=$((fail + 1))
}
ans() { sed -n "s/^$1=//p" "$2"; }

# compare NAME ANSWERS CAPTURE: classifier counts == answers, 4 policies
compare() {
	local name=$1 answers=$2 cap=$3
	local internal exclude
	internal=$(ans internal "$answers")
	exclude=$(ans exclude "$answers")
	local xopt=()
	[ -n "$exclude" ] && xopt=(--exclude "$exclude")
	local rule peers
	for rule in default strict; do
		for peers in external any; do
			local ropt=()
			[ $rule = strict ] && ropt=(--strict)
			"$classify" --internal "$internal" "${xopt[@]}" "${ropt[@]}" --peers $peers "$cap" \
				>"$tmp/out" 2>"$tmp/err" || bad "$name $rule/$peers: exit status $?: $(cat "$tmp/err")"
			local got want
			for k in frames first_time_ns last_time_ns; do
				got=$(ans $k "$tmp/out")
				want=$(ans $k "$answers")
				[ "$got" = "$want" ] || bad "$name: $k $got, answers $want"
			done
			local k
			for k in not_ip not_tcp malformed not_synack wrong_direction excluded match \
				match.ipv4 match.ipv6 match.vlan; do
				got=$(ans "${k//./\\.}" "$tmp/out")
				want=$(ans "$rule\\.$peers\\.${k//./\\.}" "$answers")
				[ "$got" = "$want" ] || bad "$name $rule/$peers $k: classifier $got, answers $want"
			done
			# per flag value
			diff <(sed -n 's/^match\.flags\.//p' "$tmp/out" | sort) \
				<(sed -n "s/^$rule\\.$peers\\.match\\.flags\\.//p" "$answers" | sort) >/dev/null ||
				bad "$name $rule/$peers: per-flag matches differ"
			# all SYN+ACKs under the rule (any direction)
			got=$(ans synack "$tmp/out")
			want=$(ans "synack\\.$rule" "$answers")
			[ "$got" = "$want" ] || bad "$name $rule synack: classifier $got, answers $want"
			for k in ipv4 ipv6 vlan; do
				got=$(ans "synack\\.$k" "$tmp/out")
				want=$(ans "synack\\.$rule\\.$k" "$answers")
				[ "$got" = "$want" ] || bad "$name $rule synack.$k: classifier $got, answers $want"
			done
		done
	done
	echo "ok: $name ($(ans frames "$answers") frames, $(ans default.external.match "$answers") matches," \
		"$(ans default.external.excluded "$answers") excluded, $(ans synack.default "$answers") SYN+ACKs)"
}

run() {
	local name=$1
	shift
	"$gencap" -o "$tmp/$name.pcap" "$@" 2>"$tmp/gen.err" || {
		bad "$name: synack-gencap failed: $(cat "$tmp/gen.err")"
		return
	}
	compare "$name" "$tmp/$name.answers" "$tmp/$name.pcap"
}

run basic --seed 1 --synacks 500
run ns --seed 2 --synacks 300 --format pcap-ns
run ng --seed 3 --synacks 300 --format pcapng --vlan-share 0.5 --ipv6-share 0.5
run excl --seed 4 --synacks 800 --exclude '198.18.128.0/17, 2001:db8:1:8000::/49' --ftp-sessions 6 --scan=100
run ecn --seed 5 --synacks 400 --ecn-share 0.3 --odd-share 0.3
run sll --seed 6 --synacks 200 --linktype sll --format pcapng
run sll2 --seed 7 --synacks 200 --linktype sll2
run raw --seed 8 --synacks 200 --linktype raw --ipv6-share 0.5
run null --seed 9 --synacks 200 --linktype null
run loop --seed 10 --synacks 200 --linktype loop
run ipv4 --seed 11 --synacks 200 --linktype ipv4
run ipv6 --seed 12 --synacks 200 --linktype ipv6
run snap --seed 13 --synacks 300 --snaplen 60 --frames 5000
run small --seed 14 --frames 4096 --frame-size 64 --background 30
run many --seed 15 --synacks 300 --internal '198.18.0.0/24, 198.18.7.0/24, 2001:db8:1:1::/64' \
	--external '198.19.0.0/16, 198.18.1.0/24, 2001:db8:2::/48' --hosts 200 --peers 50

# the shipped demo capture still agrees with its answers
src=${SYNACK_SOURCE_ROOT:-$(dirname "$0")/../..}
if [ -f "$src/config/demo.pcap" ]; then
	compare demo "$src/config/demo.answers" "$src/config/demo.pcap"
	sz=$(stat -c %s "$src/config/demo.pcap")
	[ "$sz" -ge 1000000 ] && [ "$sz" -le 3000000 ] || bad "demo.pcap is $sz bytes (want 1-3 MB)"
else
	bad "config/demo.pcap missing"
fi

# the time span: --start and --duration
a=$tmp/excl.answers
"$gencap" -o "$tmp/span.pcap" --seed 3 --synacks 200 --format pcap-ns --start 2025-06-01T12:00:00Z \
	--duration 90m 2>/dev/null
first=$(ans first_time_ns "$tmp/span.answers")
last=$(ans last_time_ns "$tmp/span.answers")
s0=$(( $(date -u -d 2025-06-01T12:00:00Z +%s) * 1000000000 ))
[ "$first" -ge "$s0" ] && [ "$last" -lt $((s0 + 5400000000000)) ] &&
	[ "$last" -gt $((s0 + 5300000000000)) ] || bad "span: first $first last $last, start $s0 + 90 min"
"$classify" "$tmp/span.pcap" >"$tmp/span.out" 2>/dev/null
[ "$(ans first_time_ns "$tmp/span.out")" = "$first" ] || bad "span: first time differs"
[ "$(ans last_time_ns "$tmp/span.out")" = "$last" ] || bad "span: last time differs"

# exactly --frames frames
[ "$(ans frames "$tmp/snap.answers")" = 5000 ] || bad "--frames 5000 gave $(ans frames "$tmp/snap.answers")"

# same seed, same bytes; other seed, other bytes
"$gencap" -o "$tmp/again.pcap" --seed 1 --synacks 500 2>/dev/null
cmp -s "$tmp/again.pcap" "$tmp/basic.pcap" || bad "same seed gave a different capture"
diff -q <(grep -v "^#" "$tmp/again.answers") <(grep -v "^#" "$tmp/basic.answers") >/dev/null || bad "same seed gave different answers"
cmp -s "$tmp/ns.pcap" "$tmp/basic.pcap" && bad "different seeds gave the same capture"

# answers internally consistent: per-result counts sum to frames
for a in "$tmp"/*.answers; do
	fr=$(ans frames "$a")
	for rp in default.external default.any strict.external strict.any; do
		sum=0
		for r in not_ip not_tcp malformed not_synack wrong_direction excluded match; do
			sum=$((sum + $(ans "${rp//./\\.}\\.$r" "$a")))
		done
		[ "$sum" = "$fr" ] || bad "$(basename "$a") $rp: results sum to $sum, frames $fr"
	done
done

# the generated mix contains what it should
a=$tmp/excl.answers
for k in default.external.excluded default.external.wrong_direction default.any.match ftp.active \
	ftp.passive ftp.control scan.synacks default.external.match.ipv6 default.external.match.vlan \
	synack.default.flags.0x052 default.external.not_ip default.external.not_tcp; do
	v=$(ans "${k//./\\.}" "$a")
	[ "${v:-0}" -gt 0 ] || bad "excl: $k is ${v:-missing}, expected > 0"
done
[ "$(ans ftp.sessions.active "$a")" = 3 ] || bad "ftp.sessions.active $(ans ftp.sessions.active "$a"), want 3"
[ "$(ans ftp.sessions.passive "$a")" = 3 ] || bad "ftp.sessions.passive $(ans ftp.sessions.passive "$a"), want 3"
# services lines: as many as the count, packets sum to the matches
ns=$(grep -c '^service=' "$a")
[ "$ns" = "$(ans services "$a")" ] || bad "services=$(ans services "$a") but $ns service lines"
pk=$(sed -n 's/^service=//p' "$a" | awk '{ s += $3 } END { print s + 0 }')
[ "$pk" = "$(ans default.external.match "$a")" ] || bad "service packets sum $pk != matches"

# the strict rule is tcpdump's tcp[13] == 18; default counts ECN
[ "$(ans strict.external.match.flags.0x052 "$tmp/ecn.answers")" = "" ] || bad "strict matched 0x052"

# standard input
"$classify" - <"$tmp/ng.pcap" >"$tmp/stdin.out" 2>&1 || bad "stdin: exit status $?"
[ "$(ans match "$tmp/stdin.out")" = "$(ans default.external.match "$tmp/ng.answers")" ] ||
	bad "stdin: match $(ans match "$tmp/stdin.out")"

# a cut file: damage reported, frames before it counted
size=$(stat -c %s "$tmp/basic.pcap")
head -c $((size / 2 + 3)) "$tmp/basic.pcap" >"$tmp/cut.pcap"
"$classify" "$tmp/cut.pcap" >"$tmp/cut.out" 2>"$tmp/cut.err"
[ $? -eq 1 ] || bad "cut file: exit status not 1"
grep -q "cut.pcap: truncated at offset" "$tmp/cut.err" || bad "cut file: message: $(cat "$tmp/cut.err")"
cf=$(ans frames "$tmp/cut.out")
tf=$(tshark -r "$tmp/cut.pcap" 2>/dev/null | wc -l)
if command -v tshark >/dev/null; then
	[ "$cf" = "$tf" ] || bad "cut file: classifier read $cf frames, tshark $tf"
fi

# independent check with tshark on one capture (default and strict rules, all addresses)
if command -v tshark >/dev/null; then
	f=$tmp/excl.pcap
	t=$(tshark -r "$f" -Y 'tcp.flags.syn==1 && tcp.flags.ack==1 && tcp.flags.reset==0 && tcp.flags.fin==0' 2>/dev/null | wc -l)
	[ "$t" = "$(ans synack.default "$tmp/excl.answers")" ] || bad "tshark counts $t SYN+ACKs, answers $(ans synack.default "$tmp/excl.answers")"
	t=$(tshark -r "$f" -Y 'tcp.flags.syn==1 && tcp.flags.ack==1 && tcp.flags.reset==0 && tcp.flags.fin==0 && tcp.flags.push==0 && tcp.flags.urg==0 && tcp.flags.ece==0 && tcp.flags.cwr==0' 2>/dev/null | wc -l)
	[ "$t" = "$(ans synack.strict "$tmp/excl.answers")" ] || bad "tshark strict $t, answers $(ans synack.strict "$tmp/excl.answers")"
	t=$(tshark -r "$tmp/ng.pcap" 2>/dev/null | wc -l)
	[ "$t" = "$(ans frames "$tmp/ng.answers")" ] || bad "tshark reads $t frames of the pcapng, answers $(ans frames "$tmp/ng.answers")"
fi

# usage errors
"$gencap" --bogus >/dev/null 2>&1 && bad "gencap accepted --bogus"
"$gencap" -o "$tmp/x.pcap" --linktype fddi >/dev/null 2>&1 && bad "gencap accepted --linktype fddi"
"$gencap" --help | grep -q -- '--ftp-sessions' || bad "gencap --help lacks --ftp-sessions"

echo "failures: $fail"
[ $fail -eq 0 ]
