#!/bin/bash
# Signals on a live run (net_pcap infinite_rx=1, so frames never stop):
#  - SIGTERM in the middle loses nothing received: SYN+ACKs matched =
#    records stored + counted ring drops; with a big ring, drops = 0.
#  - SIGHUP reloads prefixes/exclusions atomically; a broken file keeps the
#    old policy and says why.
#  - DPDK telemetry answers /synack/stats.
. "$(dirname "$0")/lib.sh"
"$GENCAP" -o "$T/mix.pcap" --seed 3 --frames 4096 --background 30 >/dev/null 2>&1
term_check() { # name ring expect-zero-drops
	net_pcap_conf "$1" "$2"
	start_daemon "$1"
	stop_daemon "$1"
	local s r d st
	s=$(stat_of "$T/$1.log" synack); r=$(stat_of "$T/$1.log" records)
	d=$(stat_of "$T/$1.log" ring_drops); st=$(stat_of "$T/$1.log" stored)
	[ "$s" -gt 0 ] && pass "$1: $s SYN+ACKs" || fail "$1: no SYN+ACK"
	expect_eq "$1 synack = records + drops" "$s" "$((r + d))"
	expect_eq "$1 records stored" "$st" "$r"
	[ "$3" = yes ] && expect_eq "$1 drops with a big ring" "$d" 0
	h=$(db_sql "$T/data-$1" 'select coalesce(sum(packets),0) from hourly')
	f=$(db_sql "$T/data-$1" 'select coalesce(sum(packets),0) from ftp_data')
	expect_eq "$1 database rows = records" $((h + f)) "$r"
}
term_check bigring 4194304 yes
term_check smallring 128 no

# SIGHUP: exclude all internal IPv4 hosts -> the IPv4 match counter stops
net_pcap_conf hup 65536
start_daemon hup
if command -v dpdk-telemetry.py >/dev/null; then
	echo /synack/stats | timeout 10 dpdk-telemetry.py -f "synackd-test-$$-hup" >"$T/tel.out" 2>&1
	grep -q '"/synack/stats": {"frames": [1-9]' "$T/tel.out" && pass "telemetry /synack/stats" ||
		fail "telemetry: $(cat "$T/tel.out")"
	for c in /synack/ports /synack/workers /synack/writer; do
		echo $c | timeout 10 dpdk-telemetry.py -f "synackd-test-$$-hup" >"$T/tel.out" 2>&1
		grep -q "\"$c\": {" "$T/tel.out" && pass "telemetry $c" || fail "telemetry $c: $(cat "$T/tel.out")"
	done
fi
sed -i 's|^internal = .*|&\nexclude = 198.18.0.0/16|' "$T/hup.conf"
kill -HUP $PID
for i in $(seq 1 50); do grep -q "reload: prefixes" "$T/hup.log" && break; sleep 0.1; done
grep -q "reload: prefixes and exclusions from $T/hup.conf are in use" "$T/hup.log" && pass "reload logged" ||
	fail "reload not logged"
sleep 1.2
a=$(stat_of "$T/hup.log" ipv4); x=$(stat_of "$T/hup.log" excluded); v6a=$(stat_of "$T/hup.log" ipv6)
sleep 1.2
b=$(stat_of "$T/hup.log" ipv4); y=$(stat_of "$T/hup.log" excluded); v6b=$(stat_of "$T/hup.log" ipv6)
expect_eq "after reload no new IPv4 matches" "$b" "$a"
[ "$y" -gt "$x" ] && pass "after reload excluded grows ($x -> $y)" || fail "excluded did not grow: $x -> $y"
[ "$v6b" -gt "$v6a" ] && pass "IPv6 still matched" || fail "IPv6 stopped: $v6a -> $v6b"
# new FTP rules reach the writer
printf '[ftp]\nftp_passive_timeout = 5m\nftp_service_ports = 3389, 4444\n' >>"$T/hup.conf"
kill -HUP $PID
for i in $(seq 1 50); do grep -q "reload: FTP rules updated" "$T/hup.log" && break; sleep 0.1; done
grep -q "reload: FTP rules updated" "$T/hup.log" && pass "FTP rules reloaded" ||
	fail "FTP reload: $(grep reload "$T/hup.log")"
# a broken file keeps the old policy
sed -i "s|^internal = .*|&\nexclude = 198.18.0.0/99|" "$T/hup.conf"
kill -HUP $PID
for i in $(seq 1 50); do grep -q "reload failed" "$T/hup.log" && break; sleep 0.1; done
grep -q "reload failed, old settings kept: $T/hup.conf:.*198.18.0.0/99" "$T/hup.log" &&
	pass "broken reload refused with the reason" || fail "broken reload: $(grep reload "$T/hup.log")"
sleep 1.2
c=$(stat_of "$T/hup.log" ipv4)
expect_eq "old policy still in force" "$c" "$a"
stop_daemon hup
finish
