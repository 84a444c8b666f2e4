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
cleanup_dir() { rm -rf "$T"; }
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

# vdev_conf NAME RING [EXTRA LINES] : $T/NAME.conf, a net_pcap port reading
# $T/mix.pcap forever (infinite_rx), one worker on lcore 1 (on the second
# CPU when there is one), the writer on lcore 2, data in $T/data-NAME,
# internal 198.18.0.0/16 and 2001:db8:1::/48; EXTRA LINES go at the end.
vdev_conf() {
	cat >"$T/$1.conf" <<EOC
[eal]
lcores = 0@0,1@$((1 % $(nproc))),2@0
hugepages = no
pci = no
memory_mb = 768
file_prefix = synackd-test-$$-$1
vdev = net_pcap0,rx_pcap=$T/mix.pcap,infinite_rx=1
[ports]
port = net_pcap0
[lcores]
rx = 0,0,1
writer_lcore = 2
[classify]
internal = 198.18.0.0/16, 2001:db8:1::/48
[writer]
data_dir = $T/data-$1
[tuning]
stats_interval = 500ms
ring_size = $2
${3:-}
EOC
}
