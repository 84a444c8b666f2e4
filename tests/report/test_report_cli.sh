#!/bin/bash
# synackctl report end to end: a synack-gencap capture through synackd --pcap,
# the report's totals against the generator's answers file, day figures
# against the hourly table (UTC and America/New_York days), every format,
# an empty database and the errors (missing database, bad dates, zones).
set -u
: "${SYNACK_BUILD_ROOT:?run through meson test}"
CTL=$SYNACK_BUILD_ROOT/app/synackctl/synackctl
SYNACKD=$SYNACK_BUILD_ROOT/app/synackd/synackd
GENCAP=$SYNACK_BUILD_ROOT/tests/tools/synack-gencap
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # synackd: DPDK's exit-time allocations

T=$(mktemp -d /tmp/synack-report-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
expect_eq() { if [ "$2" = "$3" ]; then echo "ok: $1 = $3"; else fail "$1: got '$2', want '$3'"; fi; }
expect_in() { if grep -q -- "$2" "$3"; then echo "ok: $1"; else fail "$1: no '$2' in $3: $(head -c 300 "$3")"; fi; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
sql() { sqlite3 "$T/d/synack.db" "$1"; }
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed: skipped"; exit 77; }

# 2025-03-07 is a Friday: three days, a weekend among them
"$GENCAP" -o "$T/g.pcap" --seed 11 --start 2025-03-07T00:00:00Z --duration 3d --diurnal 0.5 \
	--synacks 3000 --hosts 50 --ftp-sessions 4 --scan=100 >/dev/null 2>"$T/gencap.err" ||
	{ cat "$T/gencap.err" >&2; exit 1; }
"$SYNACKD" --pcap "$T/g.pcap" --internal '198.18.0.0/16, 2001:db8:1::/48' --data-dir "$T/d" \
	>/dev/null 2>"$T/synackd.err" || { cat "$T/synackd.err" >&2; exit 1; }
ANS=$T/g.answers

# --- JSON against the answers ------------------------------------------------
"$CTL" --data-dir "$T/d" report --format json --top 1000 --many-ports 3 >"$T/r.json" ||
	fail "report --format json"
python3 - "$T/r.json" "$ANS" <<'EOF' || fail "json against the answers"
import json, sys, collections
r = json.load(open(sys.argv[1]))
svc = [l.split("=", 1)[1].split() for l in open(sys.argv[2]) if l.startswith("service=")]
svc = [s for s in svc if s[4] == "service"]  # FTP data never become services
hosts = collections.defaultdict(set)
port_hosts = collections.defaultdict(set)
for addr, port, packets, peers, kind in svc:
    hosts[addr].add(int(port))
    port_hosts[int(port)].add(addr)
bad = []
def eq(what, got, want):
    if got != want:
        bad.append("%s: got %r, want %r" % (what, got, want))
    else:
        print("ok: %s = %r" % (what, want))
t = r["totals"]
eq("packets", t["packets"], sum(int(s[2]) for s in svc))
eq("hosts", t["hosts"], len(hosts))
eq("services", t["services"], len(svc))
eq("ports", t["ports"], len(port_hosts))
eq("new hosts", t["new_hosts"], len(hosts))
eq("daily packets sum", sum(d["packets"] for d in r["daily"]), t["packets"])
eq("days", [d["date"] for d in r["daily"]], ["2025-03-07", "2025-03-08", "2025-03-09"])
eq("weekend", [d["weekend"] for d in r["daily"]], [False, True, True])
eq("weekday", [d["weekday"] for d in r["daily"]], ["Fri", "Sat", "Sun"])
eq("cumulative", r["daily"][-1]["cumulative_hosts"], len(hosts))
hist = collections.Counter(len(p) for p in hosts.values())
eq("table 3", [(x["ports"], x["hosts"]) for x in r["ports_per_host"]], sorted(hist.items()))
eq("table 1 hosts", {x["port"]: x["hosts"] for x in r["ports_by_hosts"]},
   {p: len(a) for p, a in port_hosts.items()})
eq("table 1 order", [x["hosts"] for x in r["ports_by_hosts"]],
   sorted((len(a) for a in port_hosts.values()), reverse=True))
eq("table 2 order", [x["externals"] for x in r["ports_by_externals"]],
   sorted((x["externals"] for x in r["ports_by_externals"]), reverse=True))
many = sorted(a for a, p in hosts.items() if len(p) > 3)
eq("many ports", sorted(x["addr"] for x in r["many_ports_hosts"]), many)
eq("every day + others", t["hosts_every_day"] + sum(x["hosts"] for x in r["days_detected"]), len(hosts))
import socket
try:
    name = socket.getservbyport(443, "tcp")  # /etc/services (netbase)
except OSError:
    name = None
for x in r["ports_by_hosts"]:
    if x["port"] == 443:
        eq("service name of 443", x["service"], name)
s = r["summary"][0]
v = sorted(d["packets"] for d in r["daily"])
eq("summary packets", (s["total"], s["min"], s["max"], s["median"]), (t["packets"], v[0], v[-1], v[1]))
for d in r["daily"]:
    tot = sum(x["share"] for x in d["top_sources"])
    if tot > 1.0000001 or d["top_sources"] != sorted(d["top_sources"], key=lambda x: -x["packets"]):
        bad.append("top sources of %s" % d["date"])
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
EOF

# --- days against the hourly table: UTC, then a zone whose days start at 05:00Z
day_sql() { # FROM_EPOCH TO_EPOCH -> packets hosts externals
	sql "select coalesce(sum(packets),0), count(distinct saddr), count(distinct daddr) from hourly
	     where hour >= $1 and hour < $2" | tr '|' ' '
}
"$CTL" --data-dir "$T/d" report --format json --from 2025-03-08 --to 2025-03-08 >"$T/one.json"
expect_eq "utc 03-08" "$(json "$T/one.json" '"%d %d %d" % (d["daily"][0]["packets"], d["daily"][0]["hosts"], d["daily"][0]["externals"])')" \
	"$(day_sql 1741392000 1741478400)"
expect_eq "utc 03-08 source" "$(json "$T/one.json" 'd["source"]')" daily
"$CTL" --data-dir "$T/d" report --format json --tz America/New_York >"$T/ny.json"
# the capture ends at 2025-03-10T00:00Z, 19:00 on 03-09 in New York
expect_eq "new york days" "$(json "$T/ny.json" '" ".join(x["date"] for x in d["daily"])')" \
	"2025-03-06 2025-03-07 2025-03-08 2025-03-09"
expect_eq "new york source" "$(json "$T/ny.json" 'd["source"]')" hourly
expect_eq "new york total" "$(json "$T/ny.json" 'd["totals"]["packets"]')" "$(sql 'select sum(packets) from hourly')"
# 2025-03-07 in New York (EST, UTC-5): 05:00Z .. 05:00Z next day
expect_eq "new york 03-07" "$(json "$T/ny.json" '"%d %d %d" % (d["daily"][1]["packets"], d["daily"][1]["hosts"], d["daily"][1]["externals"])')" \
	"$(day_sql 1741323600 1741410000)"
# 2025-03-09 in New York has 23 hours (DST from 07:00Z): 05:00Z .. 04:00Z next day
expect_eq "new york 03-09 (23 h)" "$(json "$T/ny.json" '"%d %d %d" % (d["daily"][3]["packets"], d["daily"][3]["hosts"], d["daily"][3]["externals"])')" \
	"$(day_sql 1741496400 1741579200)"
"$CTL" --data-dir "$T/d" report --format json --tz America/New_York --from 2025-03-07 --to 2025-03-07 >"$T/ny1.json"
expect_eq "new york 03-07 alone" "$(json "$T/ny1.json" 'd["daily"][0]["packets"]')" \
	"$(json "$T/ny.json" 'd["daily"][1]["packets"]')"
expect_eq "new york 03-07 cumulative" "$(json "$T/ny1.json" 'd["daily"][0]["cumulative_hosts"]')" \
	"$(sql 'select count(*) from hosts where first_seen < 1741410000')"

# --- formats -----------------------------------------------------------------
"$CTL" --data-dir "$T/d" report >"$T/r.txt" || fail "text"
expect_in "text header" "synack report 2025-03-07 .. 2025-03-09: 3 days, time zone UTC" "$T/r.txt"
expect_in "text table 1" "Top ports by internal hosts (Table 1)" "$T/r.txt"
expect_in "text weekend" "2025-03-08 Sat\*" "$T/r.txt"
if getent services 443/tcp >/dev/null; then # netbase's /etc/services
	expect_in "text https" " https " "$T/r.txt"
fi
"$CTL" --data-dir "$T/d" report --format csv -o "$T/r.csv" || fail "csv"
for s in report summary days days_detected ports_by_hosts ports_by_externals ports_per_host \
	top_sources many_ports_hosts; do
	expect_in "csv section $s" "^# $s\$" "$T/r.csv"
done
expect_eq "csv day rows" "$(sed -n '/^# days$/,/^$/p' "$T/r.csv" | grep -c '^2025-')" 3
python3 - "$T/r.csv" <<'EOF' || fail "csv sections are rectangular"
import csv, sys
sec, width = None, None
for row in csv.reader(open(sys.argv[1])):
    if not row:
        sec = None; continue
    if row[0].startswith("# "):
        sec, width = row[0], None; continue
    if width is None:
        width = len(row)
    elif len(row) != width:
        sys.exit("%s: row %r" % (sec, row))
EOF
"$CTL" --data-dir "$T/d" report --format html -o "$T/r.html" || fail "html"
expect_eq "html svg charts" "$(grep -c '<svg ' "$T/r.html")" 5
expect_eq "html no script" "$(grep -c '<script' "$T/r.html")" 0
[ ! -e "$T/r.html.tmp" ] || fail "html temporary file left"
"$CTL" --json --data-dir "$T/d" report >"$T/g.json" && json "$T/g.json" 'd["days"]' >/dev/null ||
	fail "--json is --format json"

# --- empty database ------------------------------------------------------------
mkdir -p "$T/e"
sql .schema | grep -v sqlite_stat | sqlite3 "$T/e/synack.db"
sqlite3 "$T/e/synack.db" "ATTACH '$T/d/synack.db' AS s; INSERT INTO meta SELECT * FROM s.meta"
"$CTL" --data-dir "$T/e" report >"$T/e.txt" || fail "empty text"
expect_in "empty text" "no data" "$T/e.txt"
"$CTL" --data-dir "$T/e" report --format json >"$T/e.json" || fail "empty json"
expect_eq "empty json days" "$(json "$T/e.json" 'd["days"]')" 0
"$CTL" --data-dir "$T/e" report --format html >"$T/e.html" || fail "empty html"
expect_in "empty html" "no data" "$T/e.html"
"$CTL" --data-dir "$T/e" report --format csv --from 2025-01-01 --to 2025-01-02 >"$T/e.csv" ||
	fail "empty csv with dates"
expect_eq "empty csv day rows" "$(sed -n '/^# days$/,/^$/p' "$T/e.csv" | grep -c '^2025-')" 2

# --- errors ----------------------------------------------------------------------
err() { # name want-status want-text command...
	local name=$1 st=$2 text=$3; shift 3
	"$@" >"$T/out" 2>"$T/err"
	expect_eq "$name status" "$?" "$st"
	expect_in "$name message" "$text" "$T/err"
}
err "missing database" 1 "no database at $T/none/synack.db" "$CTL" --data-dir "$T/none" report
err "bad --from" 64 "bad --from date '2025-02-30'" "$CTL" --data-dir "$T/d" report --from 2025-02-30
err "bad --to" 64 "bad --to date 'today'" "$CTL" --data-dir "$T/d" report --to today
err "from after to" 64 "is after --to" "$CTL" --data-dir "$T/d" report --from 2025-03-09 --to 2025-03-08
err "bad zone" 1 "unknown time zone 'Nowhere/City'" "$CTL" --data-dir "$T/d" report --tz Nowhere/City
err "bad format" 64 "bad --format 'xml'" "$CTL" --data-dir "$T/d" report --format xml
err "bad top" 64 "bad --top" "$CTL" --data-dir "$T/d" report --top -1
err "unwritable output" 1 "cannot write" "$CTL" --data-dir "$T/d" report -o "$T/none/x.html"
echo "not a database" >"$T/bad.db" && mkdir -p "$T/bad" && mv "$T/bad.db" "$T/bad/synack.db"
err "not a database" 1 "not a synack database" "$CTL" --data-dir "$T/bad" report

if [ "$FAILS" -ne 0 ]; then echo "$FAILS failure(s)" >&2; exit 1; fi
exit 0
