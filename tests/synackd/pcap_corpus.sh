#!/bin/bash
# synackd --pcap on every corpus file (every link type in it): the number of
# SYN+ACKs equals the manifest's independent count (tshark, default rule:
# SYN and ACK set, RST and FIN clear), all of them stored; damaged files
# exit 2 with the file named and keep what was read; an unsupported link
# type exits 2 naming it.  Tunnelled SYN+ACKs (GRE, VXLAN, 6in4) are not
# decapsulated by the classifier: those files must give 0.
. "$(dirname "$0")/lib.sh"
M="$CORPUS/MANIFEST.tsv"
[ -f "$M" ] || { echo "no corpus at $CORPUS"; exit 77; }
n=0
while IFS=$'\t' read -r file cat fmt lt size pk tsh strict rest; do
	[ "$file" = file ] && continue
	tunnels=$(awk -F'\t' -v f="$file" '$1==f{print $26}' "$M")
	damaged=$(awk -F'\t' -v f="$file" '$1==f{print $28}' "$M")
	n=$((n + 1))
	d=$T/c$n
	"$SYNACKD" --pcap "$CORPUS/$file" --internal '0.0.0.0/0, ::/0' --peers any --data-dir "$d" \
		--summary-json >"$T/c$n.json" 2>"$T/c$n.err"
	rc=$?
	if [ "$lt" = FDDI ] || [ "$lt" = "10" ]; then
		expect_eq "$file exit (unsupported link type)" $rc 2
		grep -q "$file: unsupported link type 10 (FDDI)" "$T/c$n.err" && pass "$file: message" ||
			fail "$file: message: $(cat "$T/c$n.err")"
		continue
	fi
	want=$strict
	case "$tunnels$file" in *gre*|*vxlan*|*6in4*) want=0 ;; esac
	if [ "$damaged" = yes ]; then
		expect_eq "$file exit (damaged)" $rc 2
		grep -q "$file" "$T/c$n.err" && pass "$file: error names the file" ||
			fail "$file: error does not name the file: $(cat "$T/c$n.err")"
	else
		expect_eq "$file exit" $rc 0
		expect_eq "$file frames" "$(json "$T/c$n.json" 'd["frames"]')" "$pk"
	fi
	expect_eq "$file synack" "$(json "$T/c$n.json" 'd["synack"]')" "$want"
	expect_eq "$file stored" "$(json "$T/c$n.json" 'd["writer"]["stored"]')" "$want"
	if [ "$want" -gt 0 ]; then
		h=$(db_sql "$d" 'select coalesce(sum(packets),0) from hourly')
		f=$(db_sql "$d" 'select coalesce(sum(packets),0) from ftp_data')
		expect_eq "$file db hourly + ftp_data" $((h + f)) "$want"
	fi
done <"$M"
[ $n -gt 40 ] && pass "$n corpus files" || fail "only $n corpus files"
finish
