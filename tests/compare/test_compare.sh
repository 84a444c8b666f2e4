#!/bin/sh
# synackctl compare end to end: a database built from data/records.txt and
# hand-written scan files (data/), expected results stated below.
set -eu
S="${SYNACK_SOURCE_ROOT:?}/tests/compare/data"
B="${SYNACK_BUILD_ROOT:?}"
CTL="$B/app/synackctl/synackctl"
FIX="$B/tests/compare/synack-compare-fixture"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

D="$T/data"
mkdir -p "$D"
"$FIX" "$D" "$S/records.txt" >/dev/null
cd "$S"

# nmap alone.  10.0.0.2:443 is filtered to nmap (probed, missed); 8443 is
# outside nmap's 1-1000; 10.0.0.3 was not in the scan; 10.0.0.4:21 is
# open|filtered (not open); 10.0.0.4:110 open but never seen passively;
# 2001:db8:0::5 is written non-canonically in the XML.
"$CTL" --data-dir "$D" compare --nmap scan.xml --format csv >"$T/got"
cat >"$T/want" <<'X'
addr,port,status,first_seen,last_seen,packets,scans,service
10.0.0.1,22,both,2019-01-10T08:00:00Z,2019-01-10T08:00:00Z,1,nmap,ssh
10.0.0.1,80,both,2019-01-10T09:00:00Z,2019-01-12T10:00:00Z,2,nmap,http
10.0.0.2,443,passive_only,2019-01-10T08:30:00Z,2019-01-10T08:30:00Z,1,,
10.0.0.2,8443,not_scanned,2019-01-20T08:30:00Z,2019-01-20T08:30:00Z,1,,
10.0.0.3,25,not_scanned,2019-01-11T08:30:00Z,2019-01-11T08:30:00Z,1,,
10.0.0.4,21,passive_only,2019-01-11T12:00:00Z,2019-01-11T12:00:00Z,1,,
10.0.0.4,110,active_only,,,,nmap,pop3
2001:db8::5,80,both,2019-01-15T12:00:00Z,2019-01-15T12:00:00Z,1,nmap,http
X
diff "$T/want" "$T/got" >&2 || fail "nmap csv"

# text: the paper's figures (hosts, ports, services on each side)
"$CTL" --data-dir "$D" compare --nmap scan.xml >"$T/text"
grep -Eq '^hosts +5 +3 +3 +1 +1 +0$' "$T/text" || fail "text hosts line"
grep -Eq '^ports +6 +3 +2 +3 +1 +1$' "$T/text" || fail "text ports line"
grep -Eq '^services +7 +4 +3 +2 +2 +1$' "$T/text" || fail "text services line"
grep -Eq '^80 +2 +2 +2 +both$' "$T/text" || fail "hosts per port"
grep -Eq '^10\.0\.0\.4 +1 +1 +0 +both$' "$T/text" || fail "ports per host"
grep -q 'nmap    scan.xml: 6 hosts (5 up), 1000 ports probed (scaninfo), 4 open' "$T/text" ||
	fail "scan line"

# nmap + masscan, in each of masscan's formats: 8443 and 25 now found by masscan
for m in masscan.txt masscan.json masscan.xml; do
	"$CTL" --data-dir "$D" compare --nmap scan.xml --masscan "$m" --format csv |
		cut -d, -f1-3,7 >"$T/got"
	cat >"$T/want" <<'X'
addr,port,status,scans
10.0.0.1,22,both,nmap
10.0.0.1,80,both,nmap
10.0.0.2,443,passive_only,
10.0.0.2,8443,both,masscan
10.0.0.3,25,both,masscan
10.0.0.4,21,passive_only,
10.0.0.4,110,active_only,nmap
2001:db8::5,80,both,nmap
X
	diff "$T/want" "$T/got" >&2 || fail "nmap + $m"
done

# Nessus (port_range 1-1024, hosts 10.0.0.2 and 10.0.0.7) plus nmap, passive
# days 2019-01-11..2019-01-15 only: 10.0.0.1:22 (seen on the 10th) and
# 10.0.0.2 (10th and 20th) drop out of the passive side.
"$CTL" --data-dir "$D" compare --nessus scan.nessus --nmap scan.xml --from 2019-01-11 \
	--to 2019-01-15 --format csv | cut -d, -f1-4,7,8 >"$T/got"
cat >"$T/want" <<'X'
addr,port,status,first_seen,scans,service
10.0.0.1,22,active_only,,nmap,ssh
10.0.0.1,80,both,2019-01-12,nmap,http
10.0.0.2,443,active_only,,nessus,www
10.0.0.3,25,not_scanned,2019-01-11,,
10.0.0.4,21,passive_only,2019-01-11,,
10.0.0.4,110,active_only,,nmap,pop3
10.0.0.7,3389,active_only,,nessus,msrdp
2001:db8::5,80,both,2019-01-15,nmap,http
X
diff "$T/want" "$T/got" >&2 || fail "nessus + nmap, --from/--to"
# with --from/--to the passive first/last seen are days in every format
"$CTL" --data-dir "$D" compare --nmap scan.xml --from 2019-01-11 --to 2019-01-15 >"$T/text"
grep -Eq '^10\.0\.0\.1 +80 +both +2019-01-12 +2019-01-12 +nmap' "$T/text" || fail "text days"
"$CTL" --data-dir "$D" compare --nmap scan.xml --from 2019-01-11 --to 2019-01-15 --format json |
	python3 -c 'import json,sys; s=[x for x in json.load(sys.stdin)["services"] if x["port"]==80 and x["addr"]=="10.0.0.1"][0]; assert (s["first_seen"], s["last_seen"]) == ("2019-01-12", "2019-01-12"), s' ||
	fail "json days"

# the same service found by two kinds of scan
"$CTL" --data-dir "$D" compare --nessus scan.nessus --masscan masscan.txt --nmap scan.xml \
	--format csv | grep -q '^10.0.0.2,443,both,.*,nessus,www$' || fail "nessus both"

# json
"$CTL" --data-dir "$D" compare --nmap scan.xml --format json >"$T/json"
python3 - "$T/json" <<'X' || fail "json"
import json, sys
j = json.load(open(sys.argv[1]))
s = j["summary"]
assert s["services"] == {"passive": 7, "active": 4, "both": 3, "passive_only": 2,
                         "not_scanned": 2, "active_only": 1}, s["services"]
assert s["hosts"]["both"] == 3 and s["ports"]["not_scanned"] == 1
assert j["scans"][0]["ports_from"] == "scaninfo" and j["scans"][0]["hosts"] == 6
assert len(j["services"]) == 8 and len(j["hosts"]) == 5 and len(j["ports"]) == 7
X
"$CTL" --data-dir "$D" --json compare --masscan masscan.txt | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["scans"][0]["hosts"] is None' ||
	fail "--json, masscan hosts null"

# "N open" counts services (host, port), not lines: Nessus reports several
# plugins on one port, masscan --banners adds banner lines to an open line.
items='10.0.0.2 443 www
10.0.0.2 443 www
10.0.0.2 22 ssh
10.0.0.7 3389 msrdp
10.0.0.7 3389 msrdp'
want_open=$(echo "$items" | cut -d' ' -f1,2 | sort -u | wc -l)
{
	echo '<?xml version="1.0" ?><NessusClientData_v2><Policy><Preferences><ServerPreferences>'
	echo '<preference><name>port_range</name><value>all</value></preference>'
	echo '</ServerPreferences></Preferences></Policy><Report name="t">'
	for h in 10.0.0.2 10.0.0.7; do
		echo "<ReportHost name=\"$h\">"
		echo "$items" | while read -r a p n; do
			if [ "$a" = "$h" ]; then
				echo "<ReportItem port=\"$p\" svc_name=\"$n\" protocol=\"tcp\" pluginID=\"1\"></ReportItem>"
			fi
		done
		echo '</ReportHost>'
	done
	echo '</Report></NessusClientData_v2>'
} >"$T/twice.nessus"
"$CTL" --data-dir "$D" compare --nessus "$T/twice.nessus" >"$T/text"
grep -q "twice.nessus: 2 hosts (2 up), 65535 ports probed (port_range), $want_open open" "$T/text" ||
	fail "nessus: distinct services, all = 1-65535: $(grep twice "$T/text")"
"$CTL" --data-dir "$D" compare --nessus "$T/twice.nessus" --format json |
	python3 -c 'import json,sys; c=json.load(sys.stdin)["scans"][0]; assert (c["open"], c["ports_probed"]) == (int(sys.argv[1]), 65535), c' "$want_open" ||
	fail "json scans[].open"
# port 0 is never probed: nmap's 0-65535 is 65535 ports, like Nessus all
sed 's/services="1-1000"/services="0-65535"/' scan.xml >"$T/all.xml"
"$CTL" --data-dir "$D" compare --nmap "$T/all.xml" | grep -q "all.xml: 6 hosts (5 up), 65535 ports probed (scaninfo)" ||
	fail "nmap 0-65535"
printf 'open tcp 25 10.0.0.3 1\nbanner tcp 25 10.0.0.3 2 smtp 220 mail\nbanner tcp 25 10.0.0.3 2 ssl x\nopen tcp 25 10.0.0.9 1\n' >"$T/banners.txt"
want_open=$(cut -d' ' -f3,4 "$T/banners.txt" | sort -u | wc -l)
"$CTL" --data-dir "$D" compare --masscan "$T/banners.txt" >"$T/text"
grep -q "banners.txt: hosts not listed (all counted as probed), 1 ports probed (reported), $want_open open" "$T/text" ||
	fail "masscan banners: $(grep banners "$T/text")"
grep -Eq '^10\.0\.0\.3 +25 +both .* masscan +smtp$' "$T/text" || fail "masscan banner name"

# a scan file with no host and no port: a warning, and it covers nothing
: >"$T/empty.txt"
printf '#masscan\n# end\n' >"$T/comments.txt"
printf '<?xml version="1.0"?>\n<nmaprun scanner="nmap"></nmaprun>\n' >"$T/empty.xml"
printf '<?xml version="1.0"?>\n<NessusClientData_v2></NessusClientData_v2>\n' >"$T/empty.nessus"
for f in "--masscan $T/empty.txt" "--masscan $T/comments.txt" "--nmap $T/empty.xml" \
	"--nessus $T/empty.nessus"; do
	# shellcheck disable=SC2086
	"$CTL" --data-dir "$D" compare $f --format json >"$T/json" 2>"$T/err" || fail "$f: exit $?"
	grep -q "^synackctl compare: warning: .*${f##*/}: no host and no open port" "$T/err" ||
		fail "$f: no warning ($(cat "$T/err"))"
	python3 - "$T/json" <<'X' || fail "$f: hosts should be not_scanned"
import json, sys
j = json.load(open(sys.argv[1]))
assert all(h["status"] == "not_scanned" for h in j["hosts"]), j["hosts"]
assert len(j["hosts"]) == 5 and j["scans"][0]["ports_probed"] == 0, j
X
done
"$CTL" --data-dir "$D" compare --nmap scan.xml >/dev/null 2>"$T/err"
[ ! -s "$T/err" ] || fail "a warning for a scan with hosts: $(cat "$T/err")"

# errors: exit status and a message naming the file and line
expect_err() { # expected-status pattern command...
	want=$1 pat=$2
	shift 2
	set +e
	"$@" >/dev/null 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = "$want" ] || fail "$*: exit $rc, want $want ($(cat "$T/err"))"
	grep -q -- "$pat" "$T/err" || fail "$*: message '$(cat "$T/err")' lacks '$pat'"
}
printf '<nmaprun>\n<host>\n<address addr="10.0.0.1"/>\n</nmaprun>\n' >"$T/bad.xml"
expect_err 1 "bad.xml:4: end tag </nmaprun> does not match <host>" \
	"$CTL" --data-dir "$D" compare --nmap "$T/bad.xml"
printf 'open tcp 80 10.0.0.1 1\nopen tcp 80 10.0.0.1\n' >"$T/bad.txt"
expect_err 1 "bad.txt:2: expected 'STATUS PROTO PORT ADDRESS TIME'" \
	"$CTL" --data-dir "$D" compare --masscan "$T/bad.txt"
expect_err 1 "scan.xml:.*not a Nessus v2 file" "$CTL" --data-dir "$D" compare --nessus scan.xml
expect_err 1 "nope.xml: No such file" "$CTL" --data-dir "$D" compare --nmap nope.xml
expect_err 1 "no database at" "$CTL" --data-dir "$T/none" compare --nmap scan.xml
expect_err 64 "at least one" "$CTL" --data-dir "$D" compare
expect_err 64 "bad --from" "$CTL" --data-dir "$D" compare --nmap scan.xml --from 2019-1-1
expect_err 64 "bad --to '2019-02-30'" "$CTL" --data-dir "$D" compare --nmap scan.xml --to 2019-02-30
expect_err 64 "is after --to" "$CTL" --data-dir "$D" compare --nmap scan.xml --from 2019-01-12 --to 2019-01-11
expect_err 64 "bad --format" "$CTL" --data-dir "$D" compare --nmap scan.xml --format html
expect_err 64 "unexpected argument" "$CTL" --data-dir "$D" compare --nmap scan.xml extra
"$CTL" compare --help | grep -q 'usage: synackctl' || fail "--help"
echo "compare_cli: ok"
