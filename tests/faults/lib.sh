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
# wait_pid PID SECONDS : wait for a background process to end, bounded
wait_pid() {
	timeout "$2" tail --pid="$1" -f /dev/null
}
