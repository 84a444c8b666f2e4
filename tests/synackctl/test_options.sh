#!/bin/sh
# synackctl's option handling: messages name the subcommand, global options
# are accepted after the subcommand, --json on a command without JSON output
# is refused.
set -eu
B="${SYNACK_BUILD_ROOT:?}"
CTL="$B/app/synackctl/synackctl"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect STATUS PATTERN command...: exit status and a message on stderr
expect() {
	want=$1 pat=$2
	shift 2
	set +e
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = "$want" ] || fail "$*: exit $rc, want $want ($(cat "$T/err"))"
	grep -q -- "$pat" "$T/err" || fail "$*: message '$(cat "$T/err")' lacks '$pat'"
}

# unknown options: the same prefix as every other message of the command
for c in cat services rebuild report compare events status; do
	expect 64 "^synackctl $c: unrecognized option '--bogus'" "$CTL" "$c" --bogus
done
expect 64 "^synackctl services: bad --format" "$CTL" services --format xml
expect 64 "^synackctl status: bad --timeout 'x'" "$CTL" status --timeout x

# global options after the subcommand: two events written here, read from
# the directory named after the subcommand
D="$T/data"
mkdir -p "$D"
cat >"$D/events.jsonl" <<'X'
{"time":"2019-01-01T00:00:00Z","type":"new_host","addr":"10.0.0.1","port":22,"baseline":false}
{"time":"2019-01-02T00:00:00Z","type":"new_service","addr":"10.0.0.1","port":80,"baseline":false}
X
n=$("$CTL" events --data-dir "$D" | sed 1d | wc -l)
[ "$n" = 2 ] || fail "events --data-dir DIR: $n rows, want 2"
n=$("$CTL" events --data-dir="$D" --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] || fail "events --data-dir=DIR: $n events, want 2"
n=$("$CTL" events --json --data-dir "$D" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] || fail "events --json after the subcommand: $n events, want 2"
# the last --data-dir wins, before or after the subcommand
expect 1 "$T/elsewhere/synack.db" "$CTL" --data-dir "$D" services --data-dir "$T/elsewhere"
expect 1 "$T/elsewhere/logs" "$CTL" rebuild --data-dir "$T/elsewhere"
expect 64 "^synackctl cat: option '--data-dir' requires an argument" "$CTL" cat --data-dir
# after "--" nothing is a global option
expect 1 "synackctl cat: --data-dir: No such file" "$CTL" cat --data-dir "$D" -- --data-dir

# --json where there is no JSON output: refused, not ignored
expect 64 "^synackctl cat: --json: this command has no JSON output" "$CTL" --json cat --data-dir "$D"
expect 64 "^synackctl cat: --json" "$CTL" cat --json --data-dir "$D"
expect 64 "^synackctl rebuild: --json" "$CTL" --json rebuild --data-dir "$D"
[ ! -e "$D/synack.db" ] || fail "rebuild --json wrote a database"
echo "synackctl_options: ok"
