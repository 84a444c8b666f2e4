#!/bin/bash
# run-month.sh - the synthetic month at a scale (default 1.0) through the
# whole product: synack-campus writes one capture per day, synackd --pcap
# ingests them, synackctl report summarizes the month; tcpdump with the
# paper's filter over the same files is the baseline.  Prints a Markdown
# block for doc/benchmarks.md and checks the database against the answers.
#
# usage: bench/campus/run-month.sh [-s SCALE] [-b BUILD_DIR] [-w WORK_DIR] [-g ARGS] [-k]
#   -g  more synack-campus options, e.g. '--burst 4'
#   -k  keep the captures and the data directory afterwards
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SCALE=1.0
BUILD="$SRC/build-campus"
WORK=/tmp/synack-campus-month
KEEP=0
GEN_ARGS=""
while getopts "s:b:w:g:k" opt; do
	case $opt in
	s) SCALE=$OPTARG ;;
	b) BUILD=$(cd "$OPTARG" && pwd) ;;
	w) WORK=$OPTARG ;;
	g) GEN_ARGS=$OPTARG ;;
	k) KEEP=1 ;;
	*) sed -n '2,12p' "$0"; exit 64 ;;
	esac
done
GEN="$BUILD/bench/campus/synack-campus"
SYNACKD="$BUILD/app/synackd/synackd"
CTL="$BUILD/app/synackctl/synackctl"
for p in "$GEN" "$SYNACKD" "$CTL"; do
	[ -x "$p" ] || { echo "missing $p (ninja -C $BUILD)" >&2; exit 1; }
done
rm -rf "$WORK"
mkdir -p "$WORK/cap"
WORK=$(cd "$WORK" && pwd)
[ $KEEP = 1 ] || trap 'rm -rf "$WORK"' EXIT

# seconds of wall time of a command, its output to a file
timed() { # OUT cmd...
	local out=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@" >"$out" 2>&1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
# user+sys CPU seconds of a command (GNU time is not needed: bash's times)
fmt() { printf '%.2f' "$1"; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "disk before: $(df -h "$WORK" | tail -1)" >&2
# shellcheck disable=SC2086
gen_s=$(timed "$WORK/gen.out" "$GEN" --scale "$SCALE" $GEN_ARGS --daily "$WORK/cap/day" \
	-a "$WORK/answers.json" -q)
files=("$WORK"/cap/day-*.pcap)
cap_bytes=$(cat "${files[@]}" | wc -c)
read -r synacks written frames < <(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(t["packets"], t["packets"] + t["ftp_active"] + t["ftp_passive"], 0)' "$WORK/answers.json")
frames=$(for f in "${files[@]}"; do capinfos -c -M "$f" 2>/dev/null |
	sed -n 's/^Number of packets: *//p'; done | awk '{ s += $1 } END { print s + 0 }')
echo "generated ${#files[@]} files, $frames frames, $written SYN+ACKs in ${gen_s}s" >&2

# Baseline: tcpdump with the paper's filter over the same files (page cache
# warmed by a first pass).
cat "${files[@]}" >/dev/null
base_s=$(timed "$WORK/tcpdump.out" bash -c 'for f in "$@"; do
	tcpdump -r "$f" -w /dev/null "tcp[tcpflags] & 255 == 18" || exit 1; done' _ "${files[@]}")

internal=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["internal"])' \
	"$WORK/answers.json")
ingest_s=$(timed "$WORK/synackd.out" "$SYNACKD" --pcap "${files[@]}" --internal "$internal" \
	--data-dir "$WORK/data")
db_bytes=$(du -cb "$WORK"/data/synack.db* | tail -1 | cut -f1)
log_bytes=$(du -sb "$WORK/data/logs" | cut -f1)
report_s=$(timed "$WORK/report.err" "$CTL" --data-dir "$WORK/data" report --format json \
	-o "$WORK/report.json")
report_text_s=$(timed "$WORK/report.txt" "$CTL" --data-dir "$WORK/data" report)
report_top_s=$(timed "$WORK/report.err2" "$CTL" --data-dir "$WORK/data" report --format json \
	--top 300 -o "$WORK/report-all.json")
"$CTL" --data-dir "$WORK/data" services --format csv >"$WORK/services.csv"
check=ok
python3 "$SRC/tests/campus/compare.py" "$WORK/answers.json" "$WORK/data/synack.db" \
	"$WORK/services.csv" "$WORK/report-all.json" >"$WORK/compare.out" || check=FAILED
tail -1 "$WORK/compare.out" >&2

mpps() { echo "$frames / $1 / 1000000" | bc -l; }
cat <<MD
Command: \`bench/campus/run-month.sh -s $SCALE${GEN_ARGS:+ -g '$GEN_ARGS'}\` ($(date -u +%Y-%m-%d), load average at the start: $load0, at the end: $(cut -d' ' -f1-3 /proc/loadavg))
Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores

| step | result |
|---|---|
| capture: ${#files[@]} daily pcap files | $frames frames, $written internal-to-external SYN+ACKs ($synacks counted, the rest FTP data), $((cap_bytes / 1000000)) MB |
| synack-campus (write the month) | $(fmt "$gen_s") s |
| baseline: tcpdump -r FILE -w /dev/null 'tcp[tcpflags] & 255 == 18', all files | $(fmt "$base_s") s ($(fmt "$(mpps "$base_s")") Mframes/s) |
| synackd --pcap, all files (ingest) | $(fmt "$ingest_s") s ($(fmt "$(mpps "$ingest_s")") Mframes/s), $(fmt "$(echo "$ingest_s / $base_s" | bc -l)") x the baseline's time |
| database (synack.db and WAL) | $((db_bytes / 1000000)) MB; rows: $(for t in hourly daily_peers daily_service_peers service_peers; do printf '%s %s ' "$t" "$(sqlite3 "$WORK/data/synack.db" "SELECT count(*) FROM $t")"; done) |
| hourly logs | $((log_bytes / 1000000)) MB, $(fmt "$(echo "$log_bytes / $written" | bc -l)") bytes per SYN+ACK |
| synackctl report --format json (whole month) | $(fmt "$report_s") s |
| synackctl report (text) | $(fmt "$report_text_s") s |
| synackctl report --format json --top 300 | $(fmt "$report_top_s") s |
| database and report against the answers (tests/campus/compare.py) | $check |
MD
