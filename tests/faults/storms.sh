#!/bin/bash
# SIGHUP storms and a flooded control socket while frames flow.
# synackd reads one capture once through a net_pcap port (exit_on_idle);
# a quiet run gives the reference counters.  A second run gets hundreds of
# SIGHUPs (each a full reload of the unchanged configuration, policy swap
# and deferred free) and, at the same time, its control socket is flooded
# with connections, garbage, over-long lines and idle clients.  Expected:
# no crash, a clean exit, every counter equal to the quiet run's, the
# socket still answering, every record in the database.
. "$(dirname "$0")/../synackd/lib.sh"
. "$(dirname "$0")/lib.sh"
"$GENCAP" -o "$T/mix.pcap" --seed 8 --frames 500000 --background 30 --frame-size 60 \
	>/dev/null 2>&1
cpu=$(($(nproc) > 1 ? 1 : 0))
once_conf() { # NAME
	vdev_conf "$1" 1048576 "0@0,1@$cpu,2@0" "exit_on_idle = 1s
[control]
control_socket = $T/$1.sock"
	# four ports reading the same capture once each, all served by lcore 1
	sed -i -e 's/,infinite_rx=1$//' \
		-e 's|^vdev = net_pcap0,\(.*\)|&\nvdev = net_pcap1,\1\nvdev = net_pcap2,\1\nvdev = net_pcap3,\1|' \
		-e 's|^port = net_pcap0|&\nport = net_pcap1\nport = net_pcap2\nport = net_pcap3|' \
		-e 's|^rx = 0,0,1|&\nrx = 1,0,1\nrx = 2,0,1\nrx = 3,0,1|' "$T/$1.conf"
}
KEYS="frames synack ipv4 ipv6 excluded ring_drops records stored"

once_conf quiet
"$SYNACKD" -c "$T/quiet.conf" >/dev/null 2>"$T/quiet.log" &
PID=$!
wait_pid $PID 120 || { fail "quiet run did not end"; kill -KILL $PID; }
wait $PID
expect_eq "quiet run exit" $? 0
PID=
expect_eq "quiet run frames" "$(stat_of "$T/quiet.log" frames)" $((4 * $(answer frames "$T/mix.answers")))

once_conf storm
"$SYNACKD" -c "$T/storm.conf" >/dev/null 2>"$T/storm.log" &
PID=$!
for i in $(seq 1 100); do [ -S "$T/storm.sock" ] && break; sleep 0.05; done
python3 "$(dirname "$0")/flood.py" "$T/storm.sock" 4 >"$T/flood.out" 2>&1 &
FLOOD=$!
sent=0
while [ $sent -lt 400 ] && kill -HUP $PID 2>/dev/null; do
	sent=$((sent + 1))
	sleep 0.005
done
during=$(stat_of "$T/storm.log" frames)
wait $FLOOD
echo "SIGHUPs sent while running: $sent; flood: $(cat "$T/flood.out")"
[ $sent -ge 50 ] && pass "storm: $sent SIGHUPs" || fail "storm: only $sent SIGHUPs before the run ended"
echo "frames counted when the last SIGHUP went out: ${during:-0} of $(stat_of "$T/quiet.log" frames)"
grep -q 'answered_after=True' "$T/flood.out" && pass "socket answers after the flood" ||
	fail "socket did not answer after the flood: $(cat "$T/flood.out")"
reloads=$(grep -c 'reload: prefixes and exclusions .* are in use' "$T/storm.log")
[ "$reloads" -ge 1 ] && pass "storm: $reloads reloads done" || fail "storm: no reload logged"
wait_pid $PID 120 || { fail "storm run did not end"; kill -KILL $PID; }
wait $PID
expect_eq "storm run exit" $? 0
PID=
for k in $KEYS; do
	expect_eq "storm $k = quiet run" "$(stat_of "$T/storm.log" "$k")" "$(stat_of "$T/quiet.log" "$k")"
done
expect_eq "storm database rows = quiet run" "$(db_records "$T/data-storm")" "$(db_records "$T/data-quiet")"

# the same storm on a port that never runs dry (infinite_rx): frames keep
# flowing through it, and the accounting holds at the end
"$GENCAP" -o "$T/mix.pcap" --seed 9 --frames 4096 --background 30 >/dev/null 2>&1
vdev_conf flow 4194304 "0@0,1@$cpu,2@0" "[control]
control_socket = $T/flow.sock"
"$SYNACKD" -c "$T/flow.conf" >/dev/null 2>"$T/flow.log" &
PID=$!
wait_frames "$T/flow.log" 100000 60 || fail "flow: no traffic seen"
python3 "$(dirname "$0")/flood.py" "$T/flow.sock" 3 >"$T/flood2.out" 2>&1 &
FLOOD=$!
f0=$(stat_of "$T/flow.log" frames)
for i in $(seq 1 300); do kill -HUP $PID; sleep 0.005; done
sleep 0.6
f1=$(stat_of "$T/flow.log" frames)
wait $FLOOD
[ "$f1" -gt "$f0" ] && pass "flow: frames flowed during 300 SIGHUPs ($f0 -> $f1)" ||
	fail "flow: frames stalled during the storm: $f0 -> $f1"
grep -q 'answered_after=True' "$T/flood2.out" && pass "flow: socket answers after the flood" ||
	fail "flow: socket did not answer: $(cat "$T/flood2.out")"
kill -0 $PID && pass "flow: alive after the storm" || fail "flow: died in the storm"
stop_daemon flow
check_accounting flow
grep -q 'leaked' "$T/storm.log" "$T/flow.log" && echo "note: $(grep -c leaked "$T/storm.log") old policies leaked (a worker was not quiescent within 2 s)"
finish
