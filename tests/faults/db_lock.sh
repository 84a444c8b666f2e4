#!/bin/bash
# An operator's sqlite3 shell on the live database:
#  - a long read transaction (BEGIN; SELECT ...; held 3 s): WAL readers do
#    not block the writer; commits go on while it is held;
#  - a write lock (BEGIN IMMEDIATE held 3 s): commits are deferred, the
#    records stay in memory (bounded by max_pending, doc/schema.md) and are
#    all committed once the lock is gone.
# With a big ring nothing is dropped: the database ends with exactly the
# records the writer was given, and passes integrity_check.
. "$(dirname "$0")/../synackd/lib.sh"
. "$(dirname "$0")/lib.sh"
"$GENCAP" -o "$T/mix.pcap" --seed 4 --frames 4096 --background 30 >/dev/null 2>&1
cpu=$(($(nproc) > 1 ? 1 : 0))
vdev_conf lock 4194304 "0@0,1@$cpu,2@0" "[control]
control_socket = $T/lock.sock"
"$SYNACKD" -c "$T/lock.conf" >/dev/null 2>"$T/lock.log" &
PID=$!
wait_frames "$T/lock.log" 100000 60 || fail "lock: no traffic seen"
db=$T/data-lock/synack.db

# held read transaction: the row count still grows
{ echo '.timeout 5000'; echo 'BEGIN; SELECT count(*) FROM hourly;'; sleep 3; echo 'COMMIT;'; } |
	sqlite3 "$db" >/dev/null &
R=$!
sleep 0.5
a=$(db_records "$T/data-lock")
sleep 2
b=$(db_records "$T/data-lock")
[ "$b" -gt "$a" ] && pass "commits go on under a read transaction ($a -> $b)" ||
	fail "commits stopped under a read transaction: $a -> $b"
wait $R

# held write lock: nothing is committed meanwhile, all of it afterwards
# (.timeout: the shell waits for a commit of the writer in progress instead
# of failing; "locked" is printed once the lock is held.)
{ echo '.timeout 5000'; echo 'BEGIN IMMEDIATE;'; echo '.print locked'; sleep 3; echo 'COMMIT;'; } |
	sqlite3 "$db" >"$T/locked" &
W=$!
for i in $(seq 1 50); do grep -q locked "$T/locked" 2>/dev/null && break; sleep 0.1; done
grep -q locked "$T/locked" || fail "the operator's shell did not get the write lock in 5 s"
sleep 0.2
a=$(db_records "$T/data-lock")
r0=$(stat_of "$T/lock.log" records)
sleep 2
b=$(db_records "$T/data-lock")
r1=$(stat_of "$T/lock.log" records)
expect_eq "no commit while the write lock is held" "$b" "$a"
# a flush asked for meanwhile is not reported as done
"$SYNACKCTL" --socket "$T/lock.sock" flush >"$T/flush.out" 2>&1
expect_eq "flush under the write lock exit" $? 1
grep -q "flush deferred: .*locked.*committed once the database is free" "$T/flush.out" &&
	pass "flush under the write lock: deferred, said" || fail "flush: $(cat "$T/flush.out")"
expect_eq "flush under the write lock commits nothing" "$(db_records "$T/data-lock")" "$a"
[ "$r1" -gt "$r0" ] && pass "the writer keeps taking records meanwhile ($r0 -> $r1)" ||
	fail "the writer stopped taking records: $r0 -> $r1"
wait $W
sleep 1.5
c=$(db_records "$T/data-lock")
[ "$c" -ge "$r1" ] && pass "deferred records committed after the lock ($c >= $r1)" ||
	fail "deferred records not committed within 1.5 s: $c < $r1"
stop_daemon lock
check_accounting lock
expect_eq "lock: no ring drop" "$(stat_of "$T/lock.log" ring_drops)" 0
finish
