#!/bin/bash
# Live capture: two network namespaces joined by a veth pair (addresses from
# 198.18.0.0/15 and 2001:db8::/32 only).  A TCP server in the "internal"
# namespace answers N IPv4 and N IPv6 connections from the "external" one;
# synackd runs in the external namespace on its veth, once through
# net_af_packet (iface=, as the user nobody once started) and once through
# net_pcap (rx_iface=), and each run must store exactly its 2N SYN+ACKs.  Skips (77) without root or
# `ip netns`.  Every wait is bounded; namespaces are removed by a trap.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "not root: skipped"; exit 77; }
command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || { echo "no ip netns: skipped"; exit 77; }
N=${LIVE_CONNECTIONS:-20}
NSI=synt-int-$$ NSE=synt-ext-$$ VI=syi$$ VE=sye$$
SRV= PID=
teardown() {
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	[ -n "$SRV" ] && kill -KILL "$SRV" 2>/dev/null
	ip netns del $NSI 2>/dev/null
	ip netns del $NSE 2>/dev/null
	rm -rf "$T"
}
trap teardown EXIT
ip netns add $NSI && ip netns add $NSE || { echo "cannot create namespaces: skipped"; exit 77; }
ip link add $VI type veth peer name $VE || { echo "no veth: skipped"; exit 77; }
ip link set $VI netns $NSI
ip link set $VE netns $NSE
ip -n $NSI addr add 198.18.0.1/24 dev $VI
ip -n $NSE addr add 198.18.0.2/24 dev $VE
ip -n $NSI addr add 2001:db8::1/64 dev $VI nodad
ip -n $NSE addr add 2001:db8::2/64 dev $VE nodad
for ns in $NSI $NSE; do ip -n $ns link set lo up; done
ip -n $NSI link set $VI up
ip -n $NSE link set $VE up
# no offloads: af_packet sees frames as they are on the wire
ip netns exec $NSE ethtool -K $VE gro off gso off tso off >/dev/null 2>&1 || true

# server: accept and close, bounded in time
ip netns exec $NSI python3 - "$N" >"$T/server.log" 2>&1 <<'PY' &
import socket, sys, select, time
n = int(sys.argv[1])
socks = []
for fam, addr in ((socket.AF_INET, "198.18.0.1"), (socket.AF_INET6, "2001:db8::1")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 8080)); s.listen(64); socks.append(s)
done, end = 0, time.time() + 90
while done < 4 * n and time.time() < end:
    r, _, _ = select.select(socks, [], [], 1)
    for s in r:
        c, _ = s.accept(); c.close(); done += 1
print("accepted", done)
PY
SRV=$!

# live_run NAME VDEV PORT [EXTRA LINES]: synackd on the veth through VDEV,
# 2N connections, then every count checked against them
live_run() {
	# [tuning] is the last section synackd_conf opens
	synackd_conf "$1" "$2" "$3" "198.18.0.1/32, 2001:db8::1/128" "rx_descriptors = 512
[eal]
memory_mb = 256
${4:-}"
	ip netns exec $NSE "$SYNACKD" -c "$T/$1.conf" >/dev/null 2>"$T/$1.log" &
	PID=$!
	for i in $(seq 1 100); do grep -q "synackd: stats" "$T/$1.log" && break; sleep 0.1; done
	grep -q "synackd: stats" "$T/$1.log" || fail "$1: synackd did not start: $(tail -5 "$T/$1.log")"

	# client: N connections per family, each bounded by a timeout
	ip netns exec $NSE python3 - "$N" >"$T/client-$1.log" 2>&1 <<'PY'
import socket, sys
n, ok = int(sys.argv[1]), 0
for fam, addr in ((socket.AF_INET, "198.18.0.1"), (socket.AF_INET6, "2001:db8::1")):
    for i in range(n):
        s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(3)
        try:
            s.connect((addr, 8080)); ok += 1
        finally:
            s.close()
print("connected", ok)
PY
	expect_eq "$1: client connections" "$(cat "$T/client-$1.log")" "connected $((2 * N))"
	# wait until the stats line shows them all, bounded
	for i in $(seq 1 50); do [ "$(stat_of "$T/$1.log" synack)" = $((2 * N)) ] && break; sleep 0.2; done
	stop_daemon "$1"
	expect_eq "$1: SYN+ACKs seen" "$(stat_of "$T/$1.log" synack)" $((2 * N))
	expect_eq "$1: IPv4" "$(stat_of "$T/$1.log" ipv4)" $N
	expect_eq "$1: IPv6" "$(stat_of "$T/$1.log" ipv6)" $N
	expect_eq "$1: stored" "$(stat_of "$T/$1.log" stored)" $((2 * N))
	expect_eq "$1: services" \
		"$(db_sql "$T/data-$1" 'select addr, port from services order by addr' | tr '\n' ' ')" \
		"198.18.0.1|8080 2001:db8::1|8080 "
	expect_eq "$1: hourly packets" "$(db_sql "$T/data-$1" 'select sum(packets) from hourly')" \
		$((2 * N))
}

# af_packet runs as the user nobody once started ([security] user): the
# socket and its ring, opened as root, keep working
chmod 755 "$T"
live_run af_packet "net_af_packet0,iface=$VE" net_af_packet0 "[security]
user = nobody"
grep -q "now user nobody" "$T/af_packet.log" && pass "af_packet: ran as nobody" ||
	fail "af_packet: not as nobody: $(grep -i capab "$T/af_packet.log")"
live_run pcap_iface "net_pcap0,rx_iface=$VE" net_pcap0
timeout 100 tail --pid=$SRV -f /dev/null
SRV=
finish
