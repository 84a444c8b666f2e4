#!/bin/sh
# synackctl events on a hand-written DATA/events.jsonl: filters, formats,
# baseline, a damaged line, errors.
set -eu
B="${SYNACK_BUILD_ROOT:?}"
CTL="$B/app/synackctl/synackctl"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

D="$T/data"
mkdir -p "$D"
# no events yet: header only, success
"$CTL" --data-dir "$D" events >"$T/out" || fail "empty: exit $?"
[ "$(wc -l <"$T/out")" = 1 ] || fail "empty: header only"
[ "$("$CTL" --data-dir "$D" events --format json)" = "[]" ] || fail "empty json"

cat >"$D/events.jsonl" <<'X'
{"time":"2019-01-01T00:00:00Z","type":"new_host","addr":"10.0.0.1","port":22,"first_seen":"2019-01-01T00:00:00Z","last_seen":"2019-01-01T00:00:00Z","details":{"peer":"198.51.100.7"},"baseline":true}
{"time":"2019-01-01T00:00:00Z","type":"new_service","addr":"10.0.0.1","port":22,"first_seen":"2019-01-01T00:00:00Z","last_seen":"2019-01-01T00:00:00Z","details":{"peer":"198.51.100.7"},"baseline":true}
{"time":"2019-01-16T00:00:00Z","type":"new_service","addr":"10.0.0.1","port":80,"first_seen":"2019-01-16T00:00:00Z","last_seen":"2019-01-16T00:00:00Z","details":{"peer":"198.51.100.7"},"baseline":false}
{"time":"2019-01-16T00:00:00Z","type":"gone_service","addr":"10.0.0.1","port":22,"first_seen":"2019-01-01T00:00:00Z","last_seen":"2019-01-02T00:00:00Z","details":{"absent_days":14,"gone_days":7},"baseline":false}
{"time":"2019-01-17T00:00:00Z","type":"returning_service","addr":"10.0.0.1","port":22,"first_seen":"2019-01-01T00:00:00Z","last_seen":"2019-01-17T00:00:00Z","details":{"peer":"198.51.100.7","previous_last_seen":"2019-01-02T00:00:00Z","absent_days":15,"return_days":7},"baseline":false}
X
"$CTL" --data-dir "$D" events >"$T/out"
[ "$(wc -l <"$T/out")" = 6 ] || fail "text rows"
grep -Eq '^2019-01-17T00:00:00Z +returning_service +10\.0\.0\.1 +22 .*previous_last_seen=2019-01-02T00:00:00Z absent_days=15' "$T/out" ||
	fail "returning row"
grep -q 'peer=198.51.100.7 (baseline)' "$T/out" || fail "baseline mark"
n=$("$CTL" --data-dir "$D" events --no-baseline | wc -l)
[ "$n" = 4 ] || fail "--no-baseline: $n"
n=$("$CTL" --data-dir "$D" events --type new_service,gone_service | wc -l)
[ "$n" = 4 ] || fail "--type: $n"
n=$("$CTL" --data-dir "$D" events --since 2019-01-16 | wc -l)
[ "$n" = 4 ] || fail "--since day: $n"
n=$("$CTL" --data-dir "$D" events --since 2019-01-16T00:00:01Z | wc -l)
[ "$n" = 2 ] || fail "--since time: $n"
n=$("$CTL" --data-dir "$D" events --since @1547683200 | wc -l) # 2019-01-17T00:00:00Z
[ "$n" = 2 ] || fail "--since @seconds: $n"
n=$("$CTL" --data-dir "$D" events --since 1d | wc -l)
[ "$n" = 1 ] || fail "--since 1d (all events are old): $n"
"$CTL" --data-dir "$D" events --format json --type returning_service >"$T/json"
python3 - "$T/json" <<'X' || fail "json"
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 1 and a[0]["type"] == "returning_service" and a[0]["details"]["absent_days"] == 15
X
"$CTL" --data-dir "$D" --json events | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 5' ||
	fail "--json"

# a damaged line is reported with its number; the others still show
printf '{"time":"2019-01-18T00:00:00Z","type":"new_host","addr":"10.0.0.9","po' >>"$D/events.jsonl"
set +e
"$CTL" --data-dir "$D" events >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "damaged line: exit $rc"
grep -q 'events.jsonl:6: .*(cut-off last line)' "$T/err" || fail "damaged line message: $(cat "$T/err")"
[ "$(wc -l <"$T/out")" = 6 ] || fail "damaged line: other rows"

expect_usage() {
	set +e
	"$CTL" --data-dir "$D" events "$@" >/dev/null 2>&1
	rc=$?
	set -e
	[ "$rc" = 64 ] || fail "events $*: exit $rc, want 64"
}
expect_usage --type bogus
expect_usage --since yesterday
expect_usage --since 2025-02-30
expect_usage --since 2025-3-4
expect_usage --since 1547683200
expect_usage --format csv
expect_usage extra
set +e
"$CTL" --data-dir "$T/none" events >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fail "missing data dir: exit $rc"
echo "events_cli: ok"
