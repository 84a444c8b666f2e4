#!/bin/bash
# vs-tcpdump.sh - synackd --pcap against tcpdump -r (and argus -r if
# installed) on a capture of 20 M 64-byte frames read from page cache, all
# with the paper's filter.  Prints seconds, frames per second and the ratio
# to tcpdump.  synackd runs three ways: complete (logs + SQLite), logs only
# (--set write_db=no) and classify only (no logs, no database).
#
#   bench/synackd/vs-tcpdump.sh [FRAMES=20000000] [ROUNDS=3]
#   env: BUILD, CAPTURE (reuse a file), WORKERS (synackd --workers, default 1)
set -eu
FRAMES=${1:-20000000}
ROUNDS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$SRC/build-synackd}
SYNACKD=$BUILD/app/synackd/synackd
GENCAP=$BUILD/tests/tools/synack-gencap
W=$(mktemp -d /tmp/synackd-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
CAP=${CAPTURE:-$W/big.pcap}
if [ ! -f "$CAP" ]; then
	"$GENCAP" -o "$CAP" --seed 4 --frames "$FRAMES" --frame-size 64 --background 30 --duration 1h >/dev/null
fi
N=$(capinfos -c -M "$CAP" 2>/dev/null | sed -n 's/^Number of packets: *//p' || true)
[ -n "$N" ] || N=$FRAMES
INTERNAL4=198.18.0.0/16
FILTER="tcp[tcpflags] & 255 == 18 and src net $INTERNAL4"
cat "$CAP" >/dev/null # page cache
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "capture: $CAP, $N frames, $(stat -c %s "$CAP") bytes"

secs() { # command... -> elapsed seconds (CPU seconds, user+sys, of all threads in $W/cpu)
	/usr/bin/time -o "$W/time" -f '%e %U %S' "$@" >/dev/null 2>&1 || true
	read -r e u s <"$W/time"
	awk -v u="$u" -v s="$s" 'BEGIN{printf "%.3f ", u+s}' >>"$W/cpu.$CUR"
	printf '%s' "$e"
}
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A T
names="tcpdump"
command -v argus >/dev/null && names="$names argus"
names="$names synackd synackd-logs-only synackd-classify-only"
for r in $(seq 1 "$ROUNDS"); do
	CUR=tcpdump; T[tcpdump]+="$(secs tcpdump -r "$CAP" -w "$W/td.pcap" "$FILTER") "
	CUR=argus; command -v argus >/dev/null && T[argus]+="$(secs argus -r "$CAP" -w "$W/ar.out" - "$FILTER") "
	rm -rf "$W/d"
	CUR=synackd; T[synackd]+="$(secs "$SYNACKD" --pcap "$CAP" --internal "$INTERNAL4" --strict --workers "${WORKERS:-1}" --data-dir "$W/d") "
	rm -rf "$W/d"
	CUR=synackd-logs-only; T[synackd-logs-only]+="$(secs "$SYNACKD" --pcap "$CAP" --internal "$INTERNAL4" --strict --workers "${WORKERS:-1}" --data-dir "$W/d" --set write_db=no) "
	rm -rf "$W/d"
	CUR=synackd-classify-only; T[synackd-classify-only]+="$(secs "$SYNACKD" --pcap "$CAP" --internal "$INTERNAL4" --strict --workers "${WORKERS:-1}" --data-dir "$W/d" --set write_db=no --set write_logs=no) "
done
command -v argus >/dev/null || echo "argus: not installed (apt-cache policy argus-server), skipped"
td=$(echo ${T[tcpdump]} | tr ' ' '\n' | median)
tdc=$(tr ' ' '\n' <"$W/cpu.tcpdump" | grep . | median)
echo "wall clock (median of $ROUNDS) and CPU time (user+sys, all threads; the fairer number on a loaded machine)"
printf '%-24s %8s %11s %8s %8s %11s %8s\n' tool wall-s frames/s ratio cpu-s frames/cpu-s ratio
for n in $names; do
	m=$(echo ${T[$n]} | tr ' ' '\n' | median)
	c=$(tr ' ' '\n' <"$W/cpu.$n" | grep . | median)
	printf '%-24s %8.3f %11.0f %7.2fx %8.3f %11.0f %7.2fx\n' "$n" "$m" \
		"$(awk -v n="$N" -v s="$m" 'BEGIN{print n/s}')" "$(awk -v a="$td" -v b="$m" 'BEGIN{print a/b}')" \
		"$c" "$(awk -v n="$N" -v s="$c" 'BEGIN{print n/s}')" "$(awk -v a="$tdc" -v b="$c" 'BEGIN{print a/b}')"
done
# Each round runs tcpdump and synackd back to back, so their ratio within a
# round drifts less with the machine's load than the ratio of the medians.
per_round=$(paste <(echo ${T[tcpdump]} | tr ' ' '\n') <(echo ${T[synackd]} | tr ' ' '\n') |
	awk '$2 > 0 {printf "%.2f\n", $1 / $2}')
echo "synackd (complete) vs tcpdump, per round: $(echo $per_round), median $(echo "$per_round" | median)x"
"$SYNACKD" --pcap "$CAP" --internal "$INTERNAL4" --strict --data-dir "$W/d2" --set write_db=no --set write_logs=no | sed -n 's/^synack  */synackd strict SYN+ACKs: /p'
echo "tcpdump packets written: $(tcpdump -r "$W/td.pcap" 2>/dev/null | wc -l)"
