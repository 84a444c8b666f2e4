#!/bin/bash
# A worker on a saturated queue (net_pcap infinite_rx=1: every rx_burst is
# full) with rare matches sends its pending records after at most 1024
# bursts, not only once a burst's worth has gathered.  The capture holds one
# matching SYN+ACK in 4,096 frames; with bursts of 512 frames that is one
# match per 8 bursts, so a worker waiting for 512 records would hand them
# over 512 at a time and the writer's record count would always be a
# multiple of 512; with the bound it grows by about 128 at a time.
. "$(dirname "$0")/lib.sh"
"$GENCAP" -o "$T/mix.pcap" --seed 1 --frames 4096 --background 4000 >/dev/null 2>&1
expect_eq "matches in the capture" "$(answer default.external.match "$T/mix.answers")" 1

# the last stats_interval wins over net_pcap_conf's
net_pcap_conf hold 65536 "burst_size = 512
stats_interval = 100ms"
start_daemon hold
for i in $(seq 1 300); do
	[ "$(grep -c 'synackd: stats ' "$T/hold.log")" -ge 30 ] && break
	sleep 0.1
done
stop_daemon hold
# every stats line but the last (which follows the final send at stop)
grep 'synackd: stats ' "$T/hold.log" | head -n -1 | tr ' ' '\n' | sed -n 's/^records=//p' >"$T/records"
n=$(grep -cv '^0$' "$T/records")
odd=$(awk '$1 % 512 != 0' "$T/records" | wc -l)
[ "$n" -ge 3 ] && pass "$n samples with records" || fail "only $n samples with records: $(tail -n 3 "$T/hold.log")"
[ "$odd" -ge 1 ] && pass "$odd of them not a multiple of 512" ||
	fail "records only in steps of 512: $(tr '\n' ' ' <"$T/records")"
expect_eq "matched = stored at the end" "$(stat_of "$T/hold.log" stored)" "$(stat_of "$T/hold.log" synack)"
finish
