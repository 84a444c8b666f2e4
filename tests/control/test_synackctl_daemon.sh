#!/bin/sh
# test_synackctl_daemon.sh - synackctl status/stats/rotate/flush/reload/stop
# against app/synackd/control_commands.c linked into a fake synackd.
# Usage: test_synackctl_daemon.sh SYNACKCTL FAKE_SYNACKD
set -u
CTL=$1
FAKE=$2
dir=$(mktemp -d /tmp/test_ctl.XXXXXX)
sock=$dir/run/synackd.sock
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
expect_rc() { # name want got
	if [ "$2" = "$3" ]; then ok "$1 (exit $3)"; else bad "$1: exit $3, want $2"; cat "$dir/err" "$dir/out" 2>/dev/null | head -20; fi
}
expect_in() { # name file text
	if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: '$3' not in $2:"; head -20 "$2"; fi
}
start() {
	"$FAKE" --socket "$sock" --reload-error-file "$dir/broken" --run-ms 30000 "$@" \
		>"$dir/fake.out" 2>"$dir/fake.err" &
	pid=$!
	i=0
	while ! grep -q ready "$dir/fake.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "fake synackd did not start"; cat "$dir/fake.err"; exit 1; }
		sleep 0.05
	done
}
run() { "$CTL" --socket "$sock" "$@" >"$dir/out" 2>"$dir/err"; }
json_ok() { # file: every line is JSON with "ok":true
	command -v python3 >/dev/null || return 0
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no output"
for l in lines:
    assert json.loads(l)["ok"] is True
print(len(lines))' "$1"
}

start

run status
expect_rc "status" 0 $?
expect_in "status shows uptime" "$dir/out" "uptime       1d 02:03:"
expect_in "status shows the ports table" "$dir/out" "0000:01:00.0  net_ixgbe  up"
expect_in "status shows lcores" "$dir/out" "writer"
expect_in "status shows the current log" "$dir/out" "current log  /var/lib/synack/logs/"

run status --json
expect_rc "status --json" 0 $?
[ "$(json_ok "$dir/out")" = 1 ] && ok "status --json is one JSON line" || bad "status --json not JSON"
"$CTL" --json --socket "$sock" status >"$dir/out" 2>"$dir/err"
expect_rc "global --json" 0 $?
[ "$(json_ok "$dir/out")" = 1 ] && ok "global --json is JSON" || bad "global --json not JSON"

run stats
expect_rc "stats" 0 $?
expect_in "stats totals" "$dir/out" "totals:"
expect_in "stats rates" "$dir/out" "frames per s"
grep -Eq "^  WORKER +LCORE +FRAMES +BYTES +SYNACK" "$dir/out" && ok "stats workers flattened" || { bad "stats workers flattened"; cat "$dir/out"; }
expect_in "stats per-port table" "$dir/out" "IPACKETS"
expect_in "stats per-queue table" "$dir/out" "port 1 queues:"

run stats --json --watch 0.2 --count 3
expect_rc "stats --watch --count --json" 0 $?
[ "$(json_ok "$dir/out")" = 3 ] && ok "three samples" || bad "not three JSON samples"
t0=$(date +%s%N)
run stats --watch 0.3 --count 2
expect_rc "stats --watch human" 0 $?
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -ge 250 ] && ok "watch waits between samples" || bad "watch did not wait"
[ "$(grep -c '^--- ' "$dir/out")" = 2 ] && ok "two timestamped samples" || bad "samples in watch output"

run rotate
expect_rc "rotate" 0 $?
expect_in "rotate message" "$dir/out" "log rotated"
run flush
expect_rc "flush" 0 $?
expect_in "flush message" "$dir/out" "flushed"
run stats --json
grep -q '"rotations":1,"flushes":1' "$dir/out" && ok "rotate and flush reached the daemon" || bad "rotate/flush not counted"

run reload
expect_rc "reload" 0 $?
expect_in "reload message" "$dir/out" "configuration reloaded"
echo "/etc/synack/synackd.conf:12: internal: bad prefix '10.0.0.0/33'" >"$dir/broken"
run reload
expect_rc "broken reload" 1 $?
expect_in "reload says why" "$dir/err" "reload: /etc/synack/synackd.conf:12: internal: bad prefix '10.0.0.0/33'"
expect_in "reload says the old config stays" "$dir/err" "keeps its previous configuration"
run reload --json
expect_rc "broken reload --json" 1 $?
expect_in "reload --json prints the reply" "$dir/out" '{"ok":false,"error":"/etc/synack/synackd.conf:12:'
rm -f "$dir/broken"

run stats --bogus
expect_rc "unknown option" 64 $?
run stats extra
expect_rc "extra argument" 64 $?
run stats --watch 0
expect_rc "bad --watch" 64 $?
run status --help
expect_rc "--help" 0 $?
expect_in "--help text" "$dir/out" "usage: synackctl"

# socket from the environment; --socket wins over it
SYNACK_SOCKET=$sock "$CTL" status >"$dir/out" 2>"$dir/err"
expect_rc "SYNACK_SOCKET" 0 $?
SYNACK_SOCKET=$sock "$CTL" --socket "$dir/nope.sock" status >"$dir/out" 2>"$dir/err"
expect_rc "--socket over SYNACK_SOCKET" 2 $?

# unreachable: missing socket, stale socket
"$CTL" --socket "$dir/nope.sock" stats >"$dir/out" 2>"$dir/err"
expect_rc "missing socket" 2 $?
expect_in "names the path and the errno text" "$dir/err" "$dir/nope.sock: No such file or directory"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$dir/stale.sock" 2>/dev/null
if [ -S "$dir/stale.sock" ]; then
	"$CTL" --socket "$dir/stale.sock" status >"$dir/out" 2>"$dir/err"
	expect_rc "stale socket" 2 $?
	expect_in "stale: connection refused" "$dir/err" "Connection refused"
fi

# stop --wait: the daemon goes away and removes its socket
run stop --wait --timeout 5
expect_rc "stop --wait" 0 $?
expect_in "stop message" "$dir/out" "synackd stopped"
wait "$pid" 2>/dev/null
pid=
[ ! -e "$sock" ] && ok "socket removed" || bad "socket left behind"

# a slow daemon: the client's timeout fires (exit 2)
start --slow-ms 3000
run rotate --timeout 1
expect_rc "reply timeout" 2 $?
expect_in "timeout message" "$dir/err" "no reply from synackd at $sock within 1 s"
kill "$pid"; wait "$pid" 2>/dev/null; pid=

exit $fail
