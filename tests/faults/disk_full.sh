#!/bin/bash
# A full data directory, end to end: synackd on a net_pcap port with its
# data directory on a small tmpfs mounted by this test in its own mount
# namespace (unshare -m; skipped without the privilege).
#  - guard: min_free_mb above the free space -> an ALERT line, disk_low in
#    the stats, the hourly logs pause (records counted in log_paused), the
#    database and every counter go on; once space returns the logs resume.
#  - hard ENOSPC with the guard off (min_free_mb = 0) and the filesystem
#    filled to the last block: no crash, log write errors counted, the
#    daemon keeps counting frames; afterwards the logs decode and the
#    database passes integrity_check.
# Both: SYN+ACKs matched = records + ring_drops.
if [ "${1:-}" != inside ]; then
	unshare -m --propagation private true 2>/dev/null || { echo "no mount namespace"; exit 77; }
	exec unshare -m --propagation private bash "$0" inside
fi
. "$(dirname "$0")/../synackd/lib.sh"
. "$(dirname "$0")/lib.sh"
"$GENCAP" -o "$T/mix.pcap" --seed 5 --frames 4096 --background 30 >/dev/null 2>&1
PID=
M=$T/mnt
mkdir -p "$M"
teardown() {
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	umount "$M" 2>/dev/null
	rm -rf "$T"
}
trap teardown EXIT
cpu=$(($(nproc) > 1 ? 1 : 0))
stats_json() { "$SYNACKCTL" --socket "$T/$1.sock" --json stats 2>/dev/null; }
jget() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print($1)"; }

# ---- guard: 48 MiB filesystem, threshold 32 MiB, 24 MiB filler
mount -t tmpfs -o size=48m tmpfs "$M" || { echo "cannot mount tmpfs"; exit 77; }
head -c $((24 << 20)) /dev/zero >"$M/filler"
vdev_conf guard 4194304 "0@0,1@$cpu,2@0" "[control]
control_socket = $T/guard.sock
[retention]
min_free_mb = 32"
sed -i "s|^data_dir = .*|data_dir = $M/guard|" "$T/guard.conf"
"$SYNACKD" -c "$T/guard.conf" >/dev/null 2>"$T/guard.log" &
PID=$!
wait_frames "$T/guard.log" 100000 60 || fail "guard: no traffic seen"
for i in $(seq 1 100); do grep -q 'ALERT: free space' "$T/guard.log" && break; sleep 0.1; done
grep -q "ALERT: free space on $M/guard is .* below 32 MiB" "$T/guard.log" &&
	pass "guard: alert logged" || fail "guard: no alert: $(grep -i alert "$T/guard.log")"
s=$(stats_json guard)
expect_eq "guard: disk_low in stats" "$(echo "$s" | jget 'd["writer"]["disk_low"]')" True
p0=$(echo "$s" | jget 'd["writer"]["log_paused"]')
f0=$(echo "$s" | jget 'd["totals"]["frames"]')
sleep 1
s=$(stats_json guard)
p1=$(echo "$s" | jget 'd["writer"]["log_paused"]')
f1=$(echo "$s" | jget 'd["totals"]["frames"]')
[ "$p1" -gt "$p0" ] && pass "guard: records counted as not archived ($p0 -> $p1)" ||
	fail "guard: log_paused does not grow: $p0 -> $p1"
[ "$f1" -gt "$f0" ] && pass "guard: capture goes on" || fail "guard: frames stalled: $f0 -> $f1"
rm -f "$M/filler"
for i in $(seq 1 100); do grep -q 'hourly logs resume' "$T/guard.log" && break; sleep 0.1; done
grep -q "free space on $M/guard is back to .*hourly logs resume" "$T/guard.log" &&
	pass "guard: recovery logged" || fail "guard: no recovery line"
l0=$(stats_json guard | jget 'd["writer"]["logged"]')
sleep 1
s=$(stats_json guard)
l1=$(echo "$s" | jget 'd["writer"]["logged"]')
expect_eq "guard: disk_low cleared" "$(echo "$s" | jget 'd["writer"]["disk_low"]')" False
[ "$l1" -gt "$l0" ] && pass "guard: logging resumed ($l0 -> $l1)" || fail "guard: logs still paused"
stop_daemon guard
ln -s "$M/guard" "$T/data-guard"
check_accounting guard
r=$(stat_of "$T/guard.log" records)
nlog=$("$SYNACKCTL" --data-dir "$M/guard" cat --no-header 2>"$T/guard.cat" | wc -l)
expect_eq "guard: logs decode" "$(grep -c 'cut\|error' "$T/guard.cat")" 0
paused=$(grep 'records were not archived' "$T/guard.log" | sed 's/.*(\([0-9]*\) records.*/\1/')
[ $((nlog + paused)) -ge "$r" ] && pass "guard: logs + not archived cover the records ($nlog + $paused >= $r)" ||
	fail "guard: logs $nlog + paused $paused < records $r"
umount "$M"

# ---- hard ENOSPC, guard off: fill the filesystem to the last block
mount -t tmpfs -o size=24m tmpfs "$M"
vdev_conf full 4194304 "0@0,1@$cpu,2@0" "[control]
control_socket = $T/full.sock
[retention]
min_free_mb = 0"
sed -i "s|^data_dir = .*|data_dir = $M/full|" "$T/full.conf"
"$SYNACKD" -c "$T/full.conf" >/dev/null 2>"$T/full.log" &
PID=$!
wait_frames "$T/full.log" 100000 60 || fail "full: no traffic seen"
head -c $((32 << 20)) /dev/zero >"$M/filler" 2>/dev/null
expect_eq "full: filesystem is full" "$(df --output=avail "$M" | tail -n1 | tr -d ' ')" 0
f0=$(stat_of "$T/full.log" frames)
e=0
for i in $(seq 1 60); do
	e=$(stats_json full | jget 'd["writer"]["log_errors"] + d["writer"]["db_errors"]')
	[ "${e:-0}" -gt 0 ] && break
	sleep 0.1
done
[ "${e:-0}" -gt 0 ] && pass "full: write errors counted ($e)" || fail "full: no write error counted"
sleep 1
f1=$(stat_of "$T/full.log" frames)
[ "$f1" -gt "$f0" ] && pass "full: capture goes on ($f0 -> $f1)" || fail "full: frames stalled"
kill -0 $PID 2>/dev/null && pass "full: daemon alive on a full disk" || fail "full: daemon died"
rm -f "$M/filler"
sleep 1
kill -TERM $PID
wait_pid $PID 30 || { fail "full: did not stop in 30 s"; kill -KILL $PID; }
wait $PID
rc=$?
PID=
[ $rc -eq 0 ] || [ $rc -eq 3 ] && pass "full: exit status $rc (no crash)" || fail "full: exit status $rc"
s=$(stat_of "$T/full.log" synack); r=$(stat_of "$T/full.log" records); d=$(stat_of "$T/full.log" ring_drops)
expect_eq "full: synack = records + ring_drops" "$s" "$((r + d))"
"$SYNACKCTL" --data-dir "$M/full" cat --no-header >/dev/null 2>"$T/full.cat"
expect_eq "full: logs decode (a cut is reported, exit 0)" $? 0
expect_eq "full: integrity" "$(integrity "$M/full")" ok
n=$(db_records "$M/full")
[ "$n" -le "$r" ] && pass "full: database holds $n of $r records" || fail "full: database $n > records $r"
echo "full: records=$r logged=$(stat_of "$T/full.log" logged) writer_errors=$(stat_of "$T/full.log" writer_errors) database=$n"
finish
