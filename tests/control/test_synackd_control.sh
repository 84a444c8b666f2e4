#!/bin/sh
# test_synackd_control.sh - the real synackd's control socket, driven by
# synackctl: a net_pcap vdev port without hugepages (no NIC, no root
# needed beyond what EAL wants), then status, stats, rotate, flush, reload
# (good and broken), stop.  Skips (77) when EAL cannot start here.
# Usage: test_synackd_control.sh SYNACKD SYNACKCTL PCAP
set -u
SYNACKD=$1 CTL=$2 PCAP=$3
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # DPDK's own allocations
T=$(mktemp -d /tmp/test_sdc.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
expect_rc() { if [ "$2" = "$3" ]; then ok "$1 (exit $3)"; else bad "$1: exit $3, want $2"; cat "$T/out" "$T/err"; fi; }
expect_in() { if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: '$3' not in:"; cat "$2"; fi; }

ncpu=$(nproc)
if [ "$ncpu" -ge 3 ]; then lcores="0-2"; else lcores="0@0,1@1,2@0"; fi
write_conf() { # internal-prefixes
	cat >"$T/synackd.conf" <<EOS
[eal]
lcores = $lcores
main_lcore = 0
vdev = net_pcap0,rx_pcap=$PCAP,infinite_rx=0
hugepages = no
pci = no
file_prefix = sdc$$
[ports]
port = net_pcap0
[lcores]
rx = 0,0,1
writer_lcore = 2
[classify]
internal = $1
[writer]
data_dir = $T/data
[tuning]
mbuf_pool_size = 8192
rx_descriptors = 1024
stats_interval = 0
[control]
control_socket = $T/run/synackd.sock
EOS
}
write_conf "198.18.0.0/15, 2001:db8::/32"
sock=$T/run/synackd.sock
"$SYNACKD" -c "$T/synackd.conf" >"$T/d.out" 2>"$T/d.err" &
pid=$!
i=0
while [ ! -S "$sock" ]; do
	i=$((i + 1))
	if ! kill -0 "$pid" 2>/dev/null; then
		if grep -q 'EAL' "$T/d.err"; then
			echo "skip: EAL cannot start here:"; cat "$T/d.err"; pid=; exit 77
		fi
		echo "synackd exited:"; cat "$T/d.err"; pid=; exit 1
	fi
	[ $i -gt 300 ] && { echo "no control socket after 30 s"; cat "$T/d.err"; exit 1; }
	sleep 0.1
done
run() { "$CTL" --socket "$sock" "$@" >"$T/out" 2>"$T/err"; }

run status
expect_rc "status" 0 $?
expect_in "status: port" "$T/out" "net_pcap0"
expect_in "status: writer lcore" "$T/out" "writer"
grep -qE "^data dir +$T/data\$" "$T/out" && ok "status: data dir" || { bad "status: data dir"; cat "$T/out"; }
grep -qE "^capabilities +dropped\$" "$T/out" && ok "status: capabilities dropped" ||
	{ bad "status: capabilities"; cat "$T/out"; }
grep -qE "^user +root\$" "$T/out" && ok "status: user root" || { bad "status: user"; cat "$T/out"; }
run status --json
expect_rc "status --json" 0 $?
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); assert d["ok"] and d["mode"]=="ports" and d["ports"][0]["name"]=="net_pcap0"' "$T/out" &&
	ok "status JSON members" || bad "status JSON members"
run stats --json --watch 0.2 --count 2
expect_rc "stats --watch" 0 $?
[ "$(wc -l <"$T/out")" = 2 ] && ok "two samples" || bad "samples"
python3 -c '
import json,sys
for l in open(sys.argv[1]):
    d=json.loads(l); assert d["ok"]
    for k in ("ports","workers","writer","totals","rates"): assert k in d, k' "$T/out" &&
	ok "stats JSON sections" || bad "stats JSON sections"
run stats
expect_rc "stats" 0 $?
expect_in "stats: workers table" "$T/out" "RING DROPS"
run rotate
expect_rc "rotate" 0 $?
run flush
expect_rc "flush" 0 $?
run reload
expect_rc "reload" 0 $?
write_conf "198.18.0.0/33"
run reload
expect_rc "broken reload" 1 $?
expect_in "broken reload names the file" "$T/err" "$T/synackd.conf:"
expect_in "old config kept" "$T/err" "keeps its previous configuration"
run status
expect_rc "still running after a broken reload" 0 $?
run stop --wait --timeout 20
expect_rc "stop --wait" 0 $?
wait "$pid"
rc=$?
pid=
expect_rc "synackd exit status" 0 $rc
[ ! -e "$sock" ] && ok "socket removed" || bad "socket left"
exit $fail
