#!/bin/bash
# The writer slower than the worker: a 64-record ring, the writer lcore on
# the same CPU as the worker (it runs only when the scheduler gives it a
# slice) and the database write-locked by another process for 3 s (each
# commit attempt waits busy_timeout).  Expected: drops are counted exactly
# (SYN+ACKs matched = records + ring_drops, every record in the database),
# the worker keeps receiving while the writer is held up, nothing stalls and
# SIGTERM still stops the daemon in order.
. "$(dirname "$0")/../synackd/lib.sh"
. "$(dirname "$0")/lib.sh"
"$GENCAP" -o "$T/mix.pcap" --seed 3 --frames 4096 --background 30 >/dev/null 2>&1
cpu=$(($(nproc) > 1 ? 1 : 0))
vdev_conf tiny 64 "0@0,1@$cpu,2@$cpu"
"$SYNACKD" -c "$T/tiny.conf" >/dev/null 2>"$T/tiny.log" &
PID=$!
wait_frames "$T/tiny.log" 100000 60 || fail "tiny: no traffic seen"
# hold the write lock for 3 s
{ echo 'BEGIN IMMEDIATE;'; sleep 3; echo 'COMMIT;'; } | sqlite3 "$T/data-tiny/synack.db" &
LOCK=$!
sleep 0.5
f0=$(stat_of "$T/tiny.log" frames)
sleep 2
f1=$(stat_of "$T/tiny.log" frames)
[ "$f1" -gt "$f0" ] && pass "worker receives while the writer is held up ($f0 -> $f1)" ||
	fail "frames stalled while the database was locked: $f0 -> $f1"
wait $LOCK
sleep 1
stop_daemon tiny
check_accounting tiny
d=$(stat_of "$T/tiny.log" ring_drops)
[ "$d" -gt 0 ] && pass "a 64-record ring behind a slow writer overflows ($d drops)" ||
	echo "note: no ring drop this time (the writer kept up)"
finish
