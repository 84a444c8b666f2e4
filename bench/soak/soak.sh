#!/bin/bash
# bench/soak/soak.sh - bounded soak run of synackd (not part of the tests).
#
#   bench/soak/soak.sh BUILD_DIR [SECONDS] [OUT_DIR]
#
# synackd on a net_pcap port reading a synack-gencap capture forever
# (infinite_rx=1, which holds the whole file in mbufs) at full speed for SECONDS (default 600).  Every 10 s the
# resident memory (VmRSS from /proc/PID/status) and the stats line are
# sampled into OUT_DIR/samples.tsv.  At the end: SIGTERM, and the checks
# that the run was sound: RSS flat after warm-up, SYN+ACKs matched =
# records + ring_drops, no ring drop, the database holds every record and
# passes integrity_check, the logs decode.
set -u
B=${1:?usage: soak.sh BUILD_DIR [SECONDS] [OUT_DIR]}
SECS=${2:-600}
OUT=${3:-$(mktemp -d /tmp/synack-soak.XXXXXX)}
B=$(cd "$B" && pwd)
mkdir -p "$OUT"
NCPU=$(nproc)
"$B/tests/tools/synack-gencap" -o "$OUT/mix.pcap" --seed 9 --frames 16384 --background 30 \
	--ftp-sessions 8 >/dev/null 2>&1
cat >"$OUT/soak.conf" <<EOC
[eal]
lcores = 0@0,1@$((1 % NCPU)),2@0
hugepages = no
pci = no
memory_mb = 1024
file_prefix = synack-soak-$$
vdev = net_pcap0,rx_pcap=$OUT/mix.pcap,infinite_rx=1
[ports]
port = net_pcap0
[lcores]
rx = 0,0,1
writer_lcore = 2
[classify]
internal = 198.18.0.0/16, 2001:db8:1::/48
[writer]
data_dir = $OUT/data
[tuning]
stats_interval = 10s
mbuf_pool_size = 32768
EOC
"$B/app/synackd/synackd" -c "$OUT/soak.conf" >/dev/null 2>"$OUT/synackd.log" &
PID=$!
trap 'kill -KILL $PID 2>/dev/null' EXIT
printf 't_s\trss_kb\tframes\tsynack\trecords\tring_drops\tstored\n' >"$OUT/samples.tsv"
field() { grep 'synackd: stats ' "$OUT/synackd.log" | tail -n1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt "$SECS" ]; do
	sleep 10
	kill -0 $PID 2>/dev/null || { echo "synackd died" >&2; exit 1; }
	rss=$(awk '/^VmRSS/ {print $2}' /proc/$PID/status)
	printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\n' $(($(date +%s) - start)) "$rss" "$(field frames)" \
		"$(field synack)" "$(field records)" "$(field ring_drops)" "$(field stored)" \
		>>"$OUT/samples.tsv"
done
kill -TERM $PID
timeout 60 tail --pid=$PID -f /dev/null 2>/dev/null
wait $PID
rc=$?
trap - EXIT
s=$(field synack) r=$(field records) d=$(field ring_drops) f=$(field frames)
db=$(sqlite3 "$OUT/data/synack.db" 'select (select coalesce(sum(packets),0) from hourly) +
	(select coalesce(sum(packets),0) from ftp_data)')
ic=$(sqlite3 "$OUT/data/synack.db" 'PRAGMA integrity_check')
"$B/app/synackctl/synackctl" --data-dir "$OUT/data" cat --no-header 2>/dev/null | wc -l >"$OUT/logged"
# RSS: the first sample after 60 s against the maximum after it
python3 - "$OUT/samples.tsv" <<'PY' >"$OUT/rss.txt"
import sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n')[1:] if l]
late = [int(r[1]) for r in rows if int(r[0]) >= 60] or [int(r[1]) for r in rows]
print("rss_kb first=%d warm=%d max=%d last=%d growth_after_warmup_kb=%d" %
      (int(rows[0][1]), late[0], max(late), late[-1], max(late) - late[0]))
PY
echo "exit=$rc seconds=$SECS frames=$f synack=$s records=$r ring_drops=$d db_records=$db logged=$(cat "$OUT/logged") integrity=$ic"
cat "$OUT/rss.txt"
echo "samples: $OUT/samples.tsv"
[ "$rc" = 0 ] && [ "$s" = $((r + d)) ] && [ "$d" = 0 ] && [ "$db" = "$r" ] && [ "$ic" = ok ]
