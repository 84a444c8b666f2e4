#!/bin/bash
# kill -9 of `synackd --pcap` at random moments, then a rerun over the same
# capture on the same data directory (half of the kills early, while the
# capture is being read and logged, half anywhere in the run):
#  - after each kill the database passes PRAGMA integrity_check and the
#    hourly logs decode (synackctl cat exits 0; a cut tail is normal);
#  - the rerun exits 0 and its inventory is a superset of a clean single
#    run (every service present, packets at least as many);
#  - `synackctl rebuild` from the logs gives a database holding exactly the
#    records the logs hold, and the same services as the clean run.
# The number of runs and every wait are bounded.
. "$(dirname "$0")/../synackd/lib.sh"
. "$(dirname "$0")/lib.sh"
RUNS=${SYNACK_KILL_RUNS:-8}
CAP=$T/kill.pcap
"$GENCAP" -o "$CAP" --seed 11 --synacks 40000 --background 1 --frame-size 60 --duration 3h \
	--ftp-sessions 4 >/dev/null 2>&1 || { fail "gencap"; finish; }

start=$(date +%s%N)
"$SYNACKD" --pcap "$CAP" --internal "$P" --data-dir "$T/clean" --summary-json \
	>"$T/clean.json" 2>"$T/clean.err" || { fail "clean run: $(cat "$T/clean.err")"; finish; }
clean_ms=$((($(date +%s%N) - start) / 1000000))
want=$(answer default.external.match "${CAP%.pcap}.answers")
expect_eq "clean run stored" "$(json "$T/clean.json" 'd["writer"]["stored"]')" "$want"
expect_eq "clean run database records" "$(db_records "$T/clean")" "$want"
echo "clean run: $clean_ms ms"

for i in $(seq 1 "$RUNS"); do
	d=$T/k$i
	# odd runs: early, while the capture is still being read and logged;
	# even runs: anywhere in the run, mostly during database commits
	span=$((i % 2 ? clean_ms / 5 : clean_ms))
	delay_ms=$((20 + RANDOM % (span > 100 ? span : 100)))
	"$SYNACKD" --pcap "$CAP" --internal "$P" --data-dir "$d" >/dev/null 2>"$d.err" &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	rc=$?
	echo "run $i: killed after $delay_ms ms (exit $rc)"
	if [ -f "$d/synack.db" ]; then
		expect_eq "run $i integrity after kill" "$(integrity "$d")" ok
		got=$(db_records "$d" 2>/dev/null)
		got=${got:-0} # killed before the schema was committed: no table yet
		[ "$got" -le "$want" ] && pass "run $i: $got records committed before the kill" ||
			fail "run $i: $got records committed, more than the capture holds ($want)"
	fi
	if [ -d "$d/logs" ]; then
		"$SYNACKCTL" --data-dir "$d" cat --no-header >"$d.csv" 2>"$d.cat.err"
		expect_eq "run $i logs readable after kill" $? 0
		nlog=$(wc -l <"$d.csv")
		[ "$nlog" -le "$want" ] && pass "run $i: $nlog records in the logs" ||
			fail "run $i: $nlog records in the logs, more than $want"
	fi
	# rerun over the same capture on the same data directory
	"$SYNACKD" --pcap "$CAP" --internal "$P" --data-dir "$d" --summary-json >"$d.json" 2>>"$d.err"
	expect_eq "run $i rerun exit" $? 0
	expect_eq "run $i rerun stored" "$(json "$d.json" 'd["writer"]["stored"]')" "$want"
	expect_eq "run $i integrity after rerun" "$(integrity "$d")" ok
	expect_eq "run $i services short of the clean run" "$(services_short_of "$d" "$T/clean")" 0
	expect_eq "run $i services not in the clean run" "$(services_extra "$d" "$T/clean")" 0
	# rebuild from the logs: the database then holds what the logs hold
	nlog=$("$SYNACKCTL" --data-dir "$d" cat --no-header 2>/dev/null | wc -l)
	"$SYNACKCTL" --data-dir "$d" rebuild >"$d.rebuild" 2>&1
	expect_eq "run $i rebuild exit" $? 0
	expect_eq "run $i rebuilt records = log records" "$(db_records "$d")" "$nlog"
	[ "$nlog" -ge "$want" ] && pass "run $i: logs hold at least one full pass" ||
		fail "run $i: logs hold $nlog records, fewer than one pass ($want)"
	expect_eq "run $i rebuilt services short of clean" "$(services_short_of "$d" "$T/clean")" 0
	expect_eq "run $i rebuilt services not in clean" "$(services_extra "$d" "$T/clean")" 0
	rm -rf "$d"
done
finish
