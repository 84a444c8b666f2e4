#!/bin/bash
# vs-testpmd.sh - one synackd worker lcore end to end (classify, ring,
# writer, SQLite, logs) against dpdk-testpmd --forward-mode=rxonly on the
# same net_pcap infinite_rx=1 vdev and the same 4,096-frame 64-byte mix.
# Runs them alternately ROUNDS times for SECONDS each and prints the rates
# and the ratio synackd/testpmd (median of rounds).  On a shared machine the
# polling thread does not always have its CPU: the share it had (CPU time of
# the thread "rte-worker-1" over the measured seconds, from
# /proc/PID/task/TID/schedstat) is printed too, and the rate divided by it
# (frames per CPU-second) gives a second ratio that load disturbs less.
#
#   bench/synackd/vs-testpmd.sh [SECONDS=10] [ROUNDS=3]
#   env: BUILD (default build-synackd beside this source tree), CAPTURE (reuse a file),
#        COMPARE (another build directory, e.g. of an older commit: its synackd
#        runs in the same rounds, right after BUILD's, and gets its own ratio),
#        INTERNAL (internal prefixes; default 198.18.0.0/16, 2001:db8:1::/48),
#        COMPARE_INTERNAL (the COMPARE run's; e.g. 203.0.113.0/24, which no frame
#        of the mix matches, measures the cost of the records)
set -eu
SECS=${1:-10}
ROUNDS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$SRC/build-synackd}
SYNACKD=$BUILD/app/synackd/synackd
GENCAP=$BUILD/tests/tools/synack-gencap
W=$(mktemp -d /tmp/synackd-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
NCPU=$(nproc)
FWD=$((NCPU > 1 ? 1 : 0))

CAP=${CAPTURE:-$W/mix64.pcap}
if [ ! -f "$CAP" ]; then
	# ~3 % matched SYN+ACKs, ~8 % SYN+ACKs of any direction (IPv4/IPv6, 20 % of internal hosts behind VLAN tags), 64-byte
	# frames where the headers fit (IPv6 TCP needs 74+)
	"$GENCAP" -o "$CAP" --seed 9 --frames 4096 --frame-size 64 --background 30 \
		--vlan-share 0.2 >/dev/null
fi
A=${CAP%.*}.answers
[ -f "$A" ] && echo "capture: $CAP: $(sed -n 's/^frames=//p' "$A") frames, $(sed -n 's/^synack.default=//p' "$A") SYN+ACKs ($(sed -n 's/^synack.default.ipv6=//p' "$A") IPv6, $(sed -n 's/^synack.default.vlan=//p' "$A") VLAN), $(sed -n 's/^default.external.match=//p' "$A") matched"

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# thread_cpu_share PID: fraction of one CPU that PID's polling thread got
# between 2 s after start and 1 s before the end (written to $W/share)
thread_cpu_share() {
	local pid=$1 tid="" t cpu0 cpu1 t0 t1
	sleep 2
	for t in /proc/"$pid"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = rte-worker-1 ] && tid=${t##*/}
	done
	[ -n "$tid" ] || { echo 0 >"$W/share"; return; }
	read -r cpu0 _ <"/proc/$pid/task/$tid/schedstat"; t0=$(date +%s%N)
	sleep $((SECS - 3))
	read -r cpu1 _ <"/proc/$pid/task/$tid/schedstat"; t1=$(date +%s%N)
	awk -v c=$((cpu1 - cpu0)) -v t=$((t1 - t0)) 'BEGIN{printf "%.3f\n", c/t}' >"$W/share"
}

testpmd_rate() {
	# testpmd prints Rx-pps every second; skip the first two samples (warm-up)
	(sleep "$SECS"; echo) | timeout $((SECS + 30)) dpdk-testpmd --no-huge -m 512 --no-pci --no-shconf \
		--file-prefix "bench-tp-$$" --vdev="net_pcap0,rx_pcap=$CAP,infinite_rx=1" -l 0-$FWD -- \
		--no-mlockall --total-num-mbufs=16384 --forward-mode=rxonly -a --stats-period 1 \
		>"$W/tp.log" 2>&1 &
	local pid
	sleep 0.5
	pid=$(pgrep -n -x dpdk-testpmd || true)
	[ -n "$pid" ] && thread_cpu_share "$pid"
	wait
	sed -n 's/.*Rx-pps: *\([0-9]*\).*/\1/p' "$W/tp.log" | tail -n +3 | median
}

synackd_rate() {
	rm -rf "$W/data"
	cat >"$W/bench.conf" <<EOC
[eal]
lcores = 0@0,1@$FWD,2@0
hugepages = no
pci = no
memory_mb = 1024
file_prefix = bench-sd-$$
vdev = net_pcap0,rx_pcap=$CAP,infinite_rx=1
[ports]
port = net_pcap0
[lcores]
rx = 0,0,1
writer_lcore = 2
[classify]
internal = ${INTERNAL:-198.18.0.0/16, 2001:db8:1::/48}
[writer]
data_dir = $W/data
[tuning]
stats_interval = 1s
ring_size = 1048576
burst_size = 64
rx_descriptors = 1024
EOC
	"$SYNACKD" -c "$W/bench.conf" 2>"$W/sd.log" >/dev/null &
	local pid=$!
	thread_cpu_share $pid
	sleep 1
	kill -TERM $pid
	wait $pid || true
	# frames per 1 s stats interval; skip the first two (warm-up) and the final line
	grep 'synackd: stats ' "$W/sd.log" | head -n -1 | sed -n 's/.* frames=\([0-9]*\) .*/\1/p' |
		awk 'NR>1{print $1-p} {p=$1}' | tail -n +3 | median
	grep 'synackd: stats ' "$W/sd.log" | tail -n1 >"$W/last"
}

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1); DPDK $(pkg-config --modversion libdpdk)"
: >"$W/tp"; : >"$W/sd"
per_cpu() { awk -v r="$1" -v s="$2" 'BEGIN{printf "%d", (s > 0) ? r / s : 0}'; }
: >"$W/tpc"; : >"$W/sdc"
for r in $(seq 1 "$ROUNDS"); do
	t=$(testpmd_rate); ts=$(cat "$W/share"); s=$(synackd_rate); ss=$(cat "$W/share")
	tc=$(per_cpu "$t" "$ts"); sc=$(per_cpu "$s" "$ss")
	echo "round $r: testpmd rxonly ${t} pps (CPU share $ts, ${tc} per CPU-s)," \
		"synackd ${s} pps (CPU share $ss, ${sc} per CPU-s)," \
		"ratio $(awk -v a="$s" -v b="$t" 'BEGIN{printf "%.3f", a/b}')," \
		"per CPU-s $(awk -v a="$sc" -v b="$tc" 'BEGIN{printf "%.3f", b ? a/b : 0}')"
	echo "$t" >>"$W/tp"; echo "$s" >>"$W/sd"; echo "$tc" >>"$W/tpc"; echo "$sc" >>"$W/sdc"
	echo "  synackd final: $(cut -c1-200 "$W/last")"
	if [ -n "${COMPARE:-}" ]; then
		s=$(INTERNAL=${COMPARE_INTERNAL:-${INTERNAL:-}} SYNACKD=$COMPARE/app/synackd/synackd synackd_rate)
		echo "  COMPARE synackd ${s} pps, ratio $(awk -v a="$s" -v b="$t" 'BEGIN{printf "%.3f", a/b}')"
		echo "$s" >>"$W/cmp"
	fi
done
T=$(median <"$W/tp"); S=$(median <"$W/sd"); TC=$(median <"$W/tpc"); SC=$(median <"$W/sdc")
printf 'median: testpmd %.2f Mpps, synackd %.2f Mpps, ratio %.3f (goal >= 0.9 and >= 29.76 Mpps)\n' \
	"$(awk -v x="$T" 'BEGIN{print x/1e6}')" "$(awk -v x="$S" 'BEGIN{print x/1e6}')" \
	"$(awk -v a="$S" -v b="$T" 'BEGIN{print a/b}')"
[ -n "${COMPARE:-}" ] && printf 'median COMPARE (%s): synackd %.2f Mpps, ratio %.3f\n' "$COMPARE" \
	"$(awk -v x="$(median <"$W/cmp")" 'BEGIN{print x/1e6}')" \
	"$(awk -v a="$(median <"$W/cmp")" -v b="$T" 'BEGIN{print a/b}')"
printf 'median per CPU-second: testpmd %.2f Mpps, synackd %.2f Mpps, ratio %.3f\n' \
	"$(awk -v x="$TC" 'BEGIN{print x/1e6}')" "$(awk -v x="$SC" 'BEGIN{print x/1e6}')" \
	"$(awk -v a="$SC" -v b="$TC" 'BEGIN{print b ? a/b : 0}')"
