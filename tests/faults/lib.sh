# tests/faults/lib.sh - helpers shared by the fault injection tests (sourced
# after tests/synackd/lib.sh).
SYNACKCTL="$SYNACK_BUILD_ROOT/app/synackctl/synackctl"
P='198.18.0.0/16, 2001:db8:1::/48'

# integrity DIR : PRAGMA integrity_check of DIR/synack.db ("ok" when sound)
integrity() { sqlite3 "$1/synack.db" 'PRAGMA integrity_check' 2>&1 | head -n3 | tr '\n' ' ' | sed 's/ $//'; }
# records the database holds: hourly (services) + ftp_data (FTP data)
db_records() {
	db_sql "$1" "select (select coalesce(sum(packets),0) from hourly) +
		(select coalesce(sum(packets),0) from ftp_data)"
}
# records the hourly logs of DIR hold (synackctl cat must succeed)
log_records() {
	local n
	n=$("$SYNACKCTL" --data-dir "$1" cat --no-header 2>"$1.cat.err" | wc -l) || return 1
	[ "${PIPESTATUS[0]}" = 0 ] || true
	echo "$n"
}
# services of DIR missing from, or with fewer packets than, those of CLEAN
services_short_of() { # DIR CLEAN
	sqlite3 "$1/synack.db" "attach '$2/synack.db' as c;
		select count(*) from c.services cs left join main.services s using(addr, port)
		where s.packets is null or s.packets < cs.packets"
}
# services of DIR not in CLEAN
services_extra() { # DIR CLEAN
	sqlite3 "$1/synack.db" "attach '$2/synack.db' as c;
		select count(*) from main.services s left join c.services cs using(addr, port)
		where cs.packets is null"
}
# vdev_conf NAME RING LCORES [EXTRA LINES] : tests/synackd/lib.sh's
# net_pcap_conf with the worker (lcore 1) and the writer (lcore 2) placed by
# LCORES (an EAL --lcores mapping), a 200 ms flush and bursts of 32.
vdev_conf() {
	net_pcap_conf "$1" "$2" "[eal]
lcores = $3
[writer]
flush_interval = 200ms
[tuning]
burst_size = 32
${4:-}"
}
# wait_frames LOG MIN SECONDS : until the stats line shows MIN frames
wait_frames() {
	local i f
	for i in $(seq 1 $(($3 * 10))); do
		f=$(stat_of "$1" frames)
		[ -n "$f" ] && [ "$f" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# check_accounting NAME : from the last stats line and the database,
# synack = records + ring_drops and every record is in the database
check_accounting() {
	local log=$T/$1.log s r d st
	s=$(stat_of "$log" synack); r=$(stat_of "$log" records)
	d=$(stat_of "$log" ring_drops); st=$(stat_of "$log" stored)
	[ "${s:-0}" -gt 0 ] && pass "$1: $s SYN+ACKs" || fail "$1: no SYN+ACK"
	expect_eq "$1 synack = records + ring_drops" "$s" "$((r + d))"
	expect_eq "$1 records stored" "$st" "$r"
	expect_eq "$1 db_dropped" "$(stat_of "$log" db_dropped)" 0
	expect_eq "$1 db_pending" "$(stat_of "$log" db_pending)" 0
	expect_eq "$1 database rows = records" "$(db_records "$T/data-$1")" "$r"
	expect_eq "$1 integrity" "$(integrity "$T/data-$1")" ok
	echo "$1: synack=$s records=$r ring_drops=$d"
}
