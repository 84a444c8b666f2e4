#!/bin/bash
# test_corpus.sh - synack-classify over every capture in $SYNACK_CORPUS,
# compared with tshark and tcpdump counts computed here, at run time.
#
# Policy: internal '0.0.0.0/0, ::/0', peers any: every SYN+ACK the classifier
# can see is a match.  Rules:
#   default  (flags & 0x17) == 0x12   tshark: syn && ack && !rst && !fin
#   strict   tcp[13] == 0x12          tshark: default && !psh && !urg && !ece && !cwr
# The classifier does not decapsulate tunnels (GRE, VXLAN, 6in4/proto 41) and
# does not look into ICMP error payloads, so the tshark filter drops those
# packets.  Per file: total, IPv4, IPv6, VLAN-tagged, ECE (ECN) matches, both
# rules, against tshark; IPv4 with at most one VLAN tag against tcpdump's
# 'tcp[13] & 0x17 == 0x12 or (vlan and tcp[13] & 0x17 == 0x12)' where tcpdump
# can filter the file.  Unsupported link types must give a clear error naming
# the type; damaged files (tshark says so) must report the damage, naming the
# file, and still count what precedes it.
#
# Expected differences (file name pattern -> reason) are listed below.
set -u

corpus=${SYNACK_CORPUS:-}
build=${SYNACK_BUILD_ROOT:-$(dirname "$0")/../../build}
classify=$build/tests/tools/synack-classify

if [ -z "$corpus" ] || [ ! -d "$corpus" ]; then
	echo "SKIP: no corpus (SYNACK_CORPUS='$corpus')"
	exit 77
fi
if ! command -v tshark >/dev/null; then
	echo "SKIP: tshark not installed"
	exit 77
fi
[ -x "$classify" ] || { echo "FAIL: $classify missing"; exit 1; }
have_tcpdump=0
command -v tcpdump >/dev/null && have_tcpdump=1

# Files whose count is expected to differ from tshark's, with the reason.
declare -A expected_diff=(
	[zeek__dns-inverse-query.pcap]="FDDI link type: not supported by the classifier (clear error expected), tshark dissects it"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tshark_default='tcp.flags.syn==1 && tcp.flags.ack==1 && tcp.flags.reset==0 && tcp.flags.fin==0 && !gre && !vxlan && !(ip.proto==41) && !icmp && !icmpv6'

fail=0
files=0
checked=0
printf '%-66s %-9s %-9s %s\n' "file" "default" "strict" "notes"

while IFS= read -r -d '' f; do
	rel=${f#"$corpus"/}
	base=$(basename "$f")
	files=$((files + 1))
	notes=""

	# --- reference: one tshark pass, fields per matching packet
	tshark -r "$f" -Y "$tshark_default" -T fields -e tcp.flags -e ip.src -e ipv6.src \
		-e vlan.id -E occurrence=a -E separator=/t >"$tmp/ts" 2>"$tmp/ts.err"
	ts_damaged=0
	if grep -qiE "damaged|corrupt|cut short|truncated" "$tmp/ts.err"; then
		ts_damaged=1
	fi
	# default strict ipv4 ipv6 vlan ece ipv4_max1tag
	read -r t_def t_str t_v4 t_v6 t_vlan t_ece t_v4bpf < <(awk -F'\t' '
		function hex(s,   i, c, v) { v = 0; s = tolower(s); sub(/^0x/, "", s)
			for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
			return v }
		{ fl = hex($1); d++
		  b = fl % 256
		  if (b == 18) s++
		  v4 = ($2 != ""); if (v4) a++; else if ($3 != "") b6++
		  nv = ($4 == "") ? 0 : split($4, x, ",")
		  if (nv > 0) vl++
		  if (int(b / 64) % 2 == 1) e++
		  if (v4 && nv <= 1) bpf++ }
		END { printf "%d %d %d %d %d %d %d\n", d, s, a, b6, vl, e, bpf }' "$tmp/ts")

	# --- the classifier, both rules
	"$classify" -i '0.0.0.0/0, ::/0' -p any "$f" >"$tmp/cd" 2>"$tmp/cd.err"
	rc_def=$?
	"$classify" -i '0.0.0.0/0, ::/0' -p any --strict "$f" >"$tmp/cs" 2>"$tmp/cs.err"
	key() { sed -n "s/^$1=//p" "$2"; }
	c_def=$(key match "$tmp/cd")
	c_str=$(key match "$tmp/cs")
	c_v4=$(key 'match\.ipv4' "$tmp/cd")
	c_v6=$(key 'match\.ipv6' "$tmp/cd")
	c_vlan=$(key 'match\.vlan' "$tmp/cd")
	c_v4bpf=$(key 'match\.ipv4\.max1tag' "$tmp/cd")
	c_ece=$(awk -F= '/^match\.flags\.0x/ { v = substr($1, 15); x = 0
		for (i = 1; i <= length(v); i++) x = x * 16 + index("0123456789abcdef", substr(v, i, 1)) - 1
		if (int(x / 64) % 2 == 1) e += $2 } END { print e + 0 }' "$tmp/cd")

	bad() {
		echo "FAIL: $rel: $*"
		fail=$((fail + 1))
	}

	# unsupported link type: the message names it and the file
	if grep -q "unsupported link type" "$tmp/cd.err"; then
		[ $rc_def -ne 0 ] || bad "unsupported link type but exit status 0"
		grep -q "$rel\|$base" "$tmp/cd.err" || bad "unsupported link type message does not name the file"
		grep -qE "unsupported link type [A-Z0-9_]+ \([0-9]+\)" "$tmp/cd.err" ||
			bad "unsupported link type message does not name the type: $(cat "$tmp/cd.err")"
		notes="unsupported: $(sed -n 's/.*unsupported link type \([^:]*\):.*/\1/p' "$tmp/cd.err" | head -1)"
		if [ -z "${expected_diff[$base]:-}" ]; then
			bad "unsupported link type, not listed as expected: $(cat "$tmp/cd.err")"
		fi
	fi

	# damaged files: tshark and the classifier agree that they are
	if [ $ts_damaged -eq 1 ]; then
		notes="$notes damaged"
		[ $rc_def -ne 0 ] || bad "tshark reports damage, synack-classify exit status 0"
		grep -q "$base" "$tmp/cd.err" || bad "damage message does not name the file"
		grep -qE "truncated|damaged|invalid" "$tmp/cd.err" || bad "no damage message: $(cat "$tmp/cd.err")"
	elif [ "$(key damaged "$tmp/cd")" != 0 ]; then
		bad "synack-classify reports damage tshark does not see: $(cat "$tmp/cd.err")"
	fi

	if [ -n "${expected_diff[$base]:-}" ]; then
		notes="$notes expected-different (${expected_diff[$base]}): classifier $c_def, tshark $t_def"
	else
		checked=$((checked + 1))
		[ "$c_def" = "$t_def" ] || bad "default rule: classifier $c_def, tshark $t_def"
		[ "$c_str" = "$t_str" ] || bad "strict rule: classifier $c_str, tshark $t_str"
		[ "$c_v4" = "$t_v4" ] || bad "IPv4: classifier $c_v4, tshark $t_v4"
		[ "$c_v6" = "$t_v6" ] || bad "IPv6: classifier $c_v6, tshark $t_v6"
		[ "$c_vlan" = "$t_vlan" ] || bad "VLAN-tagged: classifier $c_vlan, tshark $t_vlan"
		[ "$c_ece" = "$t_ece" ] || bad "ECE (ECN): classifier $c_ece, tshark $t_ece"
		[ "$t_v4" -gt 0 ] && notes="$notes v4=$t_v4"
		[ "$t_v6" -gt 0 ] && notes="$notes v6=$t_v6"
		[ "$t_vlan" -gt 0 ] && notes="$notes vlan=$t_vlan"
		[ "$t_ece" -gt 0 ] && notes="$notes ece=$t_ece"
	fi

	# tcpdump where its BPF can filter the file
	if [ $have_tcpdump -eq 1 ] && [ -z "${expected_diff[$base]:-}" ]; then
		lt=$(tcpdump -nr "$f" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([A-Z0-9_]*\).*/\1/p' | head -1)
		if [ "$lt" = "EN10MB" ]; then
			filt='tcp[13] & 0x17 == 0x12 or (vlan and tcp[13] & 0x17 == 0x12)'
		else
			filt='tcp[13] & 0x17 == 0x12'
		fi
		tcpdump -nr "$f" "$filt" >"$tmp/td" 2>"$tmp/td.err"
		if grep -qE "not implemented|snapshot length .* different|syntax error|not supported" "$tmp/td.err"; then
			notes="$notes tcpdump:n/a"
		else
			td=$(wc -l <"$tmp/td")
			if [ "$td" = "$c_v4bpf" ]; then
				notes="$notes tcpdump=$td"
			else
				bad "tcpdump '$filt' counts $td, classifier (IPv4, <= 1 tag) $c_v4bpf"
			fi
		fi
	fi
	printf '%-66s %-9s %-9s %s\n' "$rel" "$c_def/$t_def" "$c_str/$t_str" "$notes"
done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 | sort -z)

echo "files: $files, compared with tshark: $checked, failures: $fail"
if [ "$files" -eq 0 ]; then
	echo "SKIP: no capture files in $corpus"
	exit 77
fi
[ $fail -eq 0 ]
