# tests/synackd/lib.sh - helpers for synackd integration tests (sourced).
set -u
: "${SYNACK_BUILD_ROOT:?run through meson test}"
: "${SYNACK_SOURCE_ROOT:?run through meson test}"
SYNACKD="$SYNACK_BUILD_ROOT/app/synackd/synackd"
GENCAP="$SYNACK_BUILD_ROOT/tests/tools/synack-gencap"
CORPUS="${SYNACK_CORPUS:-$SYNACK_SOURCE_ROOT/../shared/corpus}"
# DPDK's own allocations at exit (EAL, mempools) trip LeakSanitizer; leaks of
# our code are checked by the unit tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

T=$(mktemp -d /tmp/synackd-test.XXXXXX)
FAILS=0
PID= # a daemon started by start_daemon, killed at exit if still running
cleanup_dir() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup_dir EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
expect_eq() { # what got want
	if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi
}
finish() {
	if [ "$FAILS" -ne 0 ]; then echo "$FAILS failure(s)" >&2; exit 1; fi
	exit 0
}
# answer KEY FILE
answer() { sed -n "s/^$1=//p" "$2" | head -n1; }
# json FILE EXPR  (python expression on d)
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# db_sql DIR SQL
db_sql() { sqlite3 "$1/synack.db" "$2"; }
# last stats line of a synackd log: field value
stat_of() { grep 'synackd: stats ' "$1" | tail -n1 | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }
# Sum of the answers' service packets (kind service) and count.
answer_services() { grep '^service=' "$1" | awk '$5=="service"{n++; p+=$3} END{print n+0, p+0}'; }
db_services() { db_sql "$1" "select count(*) || ' ' || coalesce(sum(packets),0) from services"; }

# synackd_conf NAME VDEV PORT INTERNAL [EXTRA LINES] : $T/NAME.conf, the
# port PORT of the vdev VDEV, one worker on lcore 1 (on the second CPU when
# there is one), the writer on lcore 2, data in $T/data-NAME, the given
# internal prefixes, stats every 500 ms; EXTRA LINES go at the end (a key
# set again there wins, sections may be opened again).
synackd_conf() {
	cat >"$T/$1.conf" <<EOC
[eal]
lcores = 0@0,1@$((1 % $(nproc))),2@0
hugepages = no
pci = no
memory_mb = 768
file_prefix = synackd-test-$$-$1
vdev = $2
[ports]
port = $3
[lcores]
rx = 0,0,1
writer_lcore = 2
[classify]
internal = $4
[writer]
data_dir = $T/data-$1
[tuning]
stats_interval = 500ms
${5:-}
EOC
}

# net_pcap_conf NAME RING [EXTRA LINES] : synackd_conf with a net_pcap port
# reading $T/mix.pcap forever (infinite_rx), internal 198.18.0.0/16 and
# 2001:db8:1::/48, a ring of RING records.
net_pcap_conf() {
	synackd_conf "$1" "net_pcap0,rx_pcap=$T/mix.pcap,infinite_rx=1" net_pcap0 \
		"198.18.0.0/16, 2001:db8:1::/48" "ring_size = $2
${3:-}"
}

# start_daemon NAME : synackd -c $T/NAME.conf in the background (PID), its
# log in $T/NAME.log; waits up to 30 s until the stats count 100,000 frames.
start_daemon() {
	"$SYNACKD" -c "$T/$1.conf" >/dev/null 2>"$T/$1.log" &
	PID=$!
	local i f
	for i in $(seq 1 300); do
		f=$(stat_of "$T/$1.log" frames)
		[ -n "$f" ] && [ "$f" -ge 100000 ] && return 0
		sleep 0.1
	done
	fail "$1: no traffic seen in 30 s: $(tail -n 3 "$T/$1.log")"
	return 1
}

# wait_pid PID SECONDS : wait for a background process to end, bounded
wait_pid() {
	local i
	for i in $(seq 1 $(($2 * 20))); do
		grep -qs '^State:[[:space:]]*[^Z]' "/proc/$1/status" || return 0
		sleep 0.05
	done
	return 1
}

# stop_daemon NAME : SIGTERM to PID, at most 30 s to stop, exit status 0.
stop_daemon() {
	kill -TERM "$PID"
	wait_pid "$PID" 30 || { fail "$1: did not stop in 30 s"; kill -KILL "$PID"; }
	wait "$PID"
	expect_eq "$1: exit after SIGTERM" $? 0
	PID=
}
