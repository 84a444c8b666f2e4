#!/bin/bash
# synackd --pcap --workers N on ONE file: the file is read in N byte ranges by
# N workers.  Every frame is read exactly once (counts equal the generator's
# answers and the one-worker run), the logs hold the same records, damage is
# reported once with the same counts as one worker, and files that cannot be
# split (pcapng) are read whole by one worker.
. "$(dirname "$0")/lib.sh"
SYNACKCTL="$SYNACK_BUILD_ROOT/app/synackctl/synackctl"
INT='198.18.0.0/16, 2001:db8:1::/48'

run() { # name capture workers -> $T/name.json, $T/name.csv, exit status in $T/name.rc
	local name=$1 cap=$2 n=$3
	"$SYNACKD" --pcap "$cap" --internal "$INT" --workers "$n" --set ftp=no \
		--data-dir "$T/d-$name" --summary-json >"$T/$name.json" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
	"$SYNACKCTL" cat --no-header --fields time,saddr,sport,daddr,dport,flags "$T/d-$name/logs" |
		sort >"$T/$name.csv"
}

# counters that must not depend on how the file was split
counts() { json "$1" '" ".join(str(x) for x in [d["frames"], d["synack"], d["ipv4"], d["ipv6"], d["writer"]["records"], d["writer"]["logged"], d["writer"]["stored"]] + [d["counters"]["results"][k] for k in sorted(d["counters"]["results"])])'; }

# Frames of many sizes, so that part boundaries fall inside records.
cap=$T/mix.pcap
"$GENCAP" -o "$cap" --seed 7 --synacks 3000 --background 10 >/dev/null
ans=${cap%.*}.answers
run one "$cap" 1
expect_eq "one worker exit" "$(cat "$T/one.rc")" 0
expect_eq "one worker frames" "$(json "$T/one.json" 'd["frames"]')" "$(answer frames "$ans")"
expect_eq "one worker matches" "$(json "$T/one.json" 'd["synack"]')" "$(answer default.external.match "$ans")"
expect_eq "one worker log lines" "$(wc -l <"$T/one.csv")" "$(answer default.external.match "$ans")"
for n in 2 3 7; do
	run w$n "$cap" $n
	expect_eq "$n workers exit" "$(cat "$T/w$n.rc")" 0
	expect_eq "$n workers: workers" "$(json "$T/w$n.json" 'd["workers"]')" $n
	expect_eq "$n workers counts" "$(counts "$T/w$n.json")" "$(counts "$T/one.json")"
	if cmp -s "$T/one.csv" "$T/w$n.csv"; then
		pass "$n workers: the logs hold the same records"
	else
		fail "$n workers: the logs differ from one worker's"
	fi
	# every worker read something: the file really was split
	expect_eq "$n workers all read frames" \
		"$(json "$T/w$n.json" 'sum(1 for f in d["worker_frames"] if f > 0)')" $n
done

# A cut file (the last record loses its tail) and a damaged record header in
# the middle: the error is reported once, every frame before the damage is
# read, the same as with one worker.
size=$(stat -c %s "$cap")
head -c $((size - 7)) "$cap" >"$T/cut.pcap"
python3 - "$cap" "$T/bad.pcap" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
off, n = 24, 0
while off + 16 <= len(b) and off < len(b) * 2 // 3:
    caplen = struct.unpack_from('<I', b, off + 8)[0]
    off += 16 + caplen
    n += 1
struct.pack_into('<I', b, off + 8, 0x7fffffff)   # damaged caplen two thirds in
open(sys.argv[2], 'wb').write(b)
EOF
for bad in cut bad; do
	run $bad-1 "$T/$bad.pcap" 1
	expect_eq "$bad one worker exit" "$(cat "$T/$bad-1.rc")" 2
	for n in 2 4; do
		run $bad-$n "$T/$bad.pcap" $n
		expect_eq "$bad $n workers exit" "$(cat "$T/$bad-$n.rc")" 2
		expect_eq "$bad $n workers counts" "$(counts "$T/$bad-$n.json")" "$(counts "$T/$bad-1.json")"
		expect_eq "$bad $n workers errors reported" "$(grep -c 'offset' "$T/$bad-$n.err")" \
			"$(grep -c 'offset' "$T/$bad-1.err")"
		cmp -s "$T/$bad-1.csv" "$T/$bad-$n.csv" && pass "$bad $n workers: same records" ||
			fail "$bad $n workers: records differ from one worker's"
	done
done
expect_eq "cut file frames" "$(json "$T/cut-1.json" 'd["frames"]')" $(($(answer frames "$ans") - 1))

# pcapng is not split: one worker reads it whole, the others read nothing.
ng=$T/mix.pcapng
"$GENCAP" -o "$ng" --seed 8 --synacks 1000 --format pcapng >/dev/null
run ng1 "$ng" 1
run ng3 "$ng" 3
expect_eq "pcapng 3 workers exit" "$(cat "$T/ng3.rc")" 0
expect_eq "pcapng 3 workers frames" "$(json "$T/ng3.json" 'd["frames"]')" "$(answer frames "${ng%.*}.answers")"
expect_eq "pcapng 3 workers counts" "$(counts "$T/ng3.json")" "$(counts "$T/ng1.json")"
expect_eq "pcapng 3 workers: one read it" "$(json "$T/ng3.json" 'sum(1 for f in d["worker_frames"] if f > 0)')" 1
finish
