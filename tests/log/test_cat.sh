#!/bin/bash
# test_cat.sh SYNACKCTL LOG_GEN - synackctl cat against the records that
# synack-log-gen wrote (all fields, defaults, filters, cut files, errors).
set -u
ctl=$1
gen=$2
tmp=$(mktemp -d /tmp/synack-cat-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

all=time,date,hour,saddr,sport,daddr,dport,flags,ftp,worker,vlan
mkdir "$tmp/data"
"$gen" "$tmp/data" > "$tmp/expect.csv" || { echo "generator failed"; exit 1; }
[ "$(wc -l < "$tmp/expect.csv")" = 3001 ] || bad "generator wrote $(wc -l < "$tmp/expect.csv") lines"

# every field, directory walk
"$ctl" cat --fields $all "$tmp/data/logs" > "$tmp/out.csv" 2> "$tmp/err"
rc=$?
[ $rc = 0 ] && cmp -s "$tmp/out.csv" "$tmp/expect.csv" && ok "all fields" ||
	{ bad "all fields (rc $rc)"; diff "$tmp/out.csv" "$tmp/expect.csv" | head; }
[ -s "$tmp/err" ] && bad "stderr not empty: $(cat "$tmp/err")"

# format 1 files (committed, written by the same generator before format 2)
# read back to the same records
v1="${SYNACK_SOURCE_ROOT:-.}/tests/log/data/v1/logs"
if [ -d "$v1" ]; then
	"$ctl" cat --fields $all "$v1" > "$tmp/out.csv" 2> "$tmp/err"
	rc=$?
	[ $rc = 0 ] && cmp -s "$tmp/out.csv" "$tmp/expect.csv" && [ ! -s "$tmp/err" ] &&
		ok "format 1 files" || { bad "format 1 files (rc $rc)"; diff "$tmp/out.csv" "$tmp/expect.csv" | head -5; }
else
	bad "missing $v1"
fi

# same_but_version DIR1 DIR2: the same files, byte for byte, except that
# the version field of every session header (the 2 bytes after "SYNACK") is
# 2 in DIR1 and 3 in DIR2: format 3 without column blocks is format 2
same_but_version() {
	local f g n sessions diffs off val1 val2
	[ "$(cd "$1" && find . -type f | sort)" = "$(cd "$2" && find . -type f | sort)" ] || return 1
	for f in $(cd "$1" && find . -type f); do
		g="$2/$f"
		[ "$(stat -c %s "$1/$f")" = "$(stat -c %s "$g")" ] || return 1
		sessions=$(LC_ALL=C grep -obUa SYNACK "$1/$f" | wc -l)
		diffs=0
		while read -r off val1 val2; do
			# cmp -l: 1-based offset, octal values; the version's low byte
			# is 6 bytes after the start of "SYNACK" (0-based offset off-1)
			n=$(dd if="$1/$f" bs=1 skip=$((off - 7)) count=6 2> /dev/null)
			[ "$n" = SYNACK ] && [ "$val1" = 2 ] && [ "$val2" = 3 ] || return 1
			diffs=$((diffs + 1))
		done < <(cmp -l "$1/$f" "$g")
		[ "$diffs" = "$sessions" ] || return 1
	done
}

# format 2 files written by the first format 2 writer (committed): read back
# to the same records, and the writer of today writes the very same bytes
# but for the version (its speed-ups must not change the coding)
v2="${SYNACK_SOURCE_ROOT:-.}/tests/log/data/v2/logs"
if [ -d "$v2" ]; then
	"$ctl" cat --fields $all "$v2" > "$tmp/out.csv" 2> "$tmp/err"
	rc=$?
	[ $rc = 0 ] && cmp -s "$tmp/out.csv" "$tmp/expect.csv" && [ ! -s "$tmp/err" ] &&
		ok "format 2 files" || { bad "format 2 files (rc $rc)"; diff "$tmp/out.csv" "$tmp/expect.csv" | head -5; }
	same_but_version "$v2" "$tmp/data/logs" && ok "same bytes as the committed format 2 files" ||
		bad "the writer's bytes differ from tests/log/data/v2"
else
	bad "missing $v2"
fi

# a storm: a full block before the flush interval makes the writer switch
# to column blocks until the next flush; the records read back all the same
mkdir "$tmp/storm"
"$gen" "$tmp/storm" storm > "$tmp/storm.csv" || { echo "generator failed"; exit 1; }
[ "$(wc -l < "$tmp/storm.csv")" = 30401 ] || bad "storm generator wrote $(wc -l < "$tmp/storm.csv") lines"
"$ctl" cat --fields $all "$tmp/storm/logs" > "$tmp/out.csv" 2> "$tmp/err"
rc=$?
[ $rc = 0 ] && cmp -s "$tmp/out.csv" "$tmp/storm.csv" && [ ! -s "$tmp/err" ] &&
	ok "storm: column blocks" || { bad "storm (rc $rc)"; diff "$tmp/out.csv" "$tmp/storm.csv" | head -5; }
# one zstd frame of the session, and one more in each column block: 30,000
# records in half a second, 4,096 range coded first, make at least 6
sf=$(find "$tmp/storm/logs" -name '*.zst')
frames=$(LC_ALL=C grep -obUaP '\x28\xb5\x2f\xfd' $sf | wc -l)
[ "$frames" -ge 7 ] && ok "storm file holds column blocks ($((frames - 1)))" ||
	bad "storm file: $frames zstd frames"

# every file is a valid zstd stream (the zstd tool skips the headers)
if command -v zstd > /dev/null; then
	zstd -q -t $(find "$tmp/data/logs" "$tmp/storm/logs" -name '*.zst') && ok "zstd -t" ||
		bad "zstd -t"
	[ "$(zstd -q -d -c $(find "$v1" -name '*.zst') | wc -c)" -gt 0 ] && ok "zstd -d format 1" ||
		bad "zstd -d format 1"
fi

# default fields: the paper's six; --data-dir default location
cut -d, -f2-7 "$tmp/expect.csv" > "$tmp/six.csv"
"$ctl" --data-dir "$tmp/data" cat > "$tmp/out.csv" && cmp -s "$tmp/out.csv" "$tmp/six.csv" &&
	ok "default fields" || bad "default fields"
head -1 "$tmp/out.csv" | grep -qx 'date,hour,saddr,sport,daddr,dport' || bad "default header"

# files given one by one, no header
files=$(find "$tmp/data/logs" -name '*.zst' | sort)
[ "$(echo "$files" | wc -l)" = 3 ] || bad "expected 3 hourly files: $files"
echo "$files" | grep -q 'logs/2024/02/29/synack-20240229-22.zst' || bad "file name"
echo "$files" | grep -q 'logs/2024/03/01/synack-20240301-00.zst' || bad "file name (day)"
"$ctl" cat --no-header --fields $all $files > "$tmp/out.csv" &&
	tail -n +2 "$tmp/expect.csv" | cmp -s - "$tmp/out.csv" && ok "files, --no-header" ||
	bad "files, --no-header"

# --from / --to (inclusive / exclusive), in each syntax
awk -F, 'NR==1 || $1 >= "2024-02-29T23:00" && $1 < "2024-03-01T00:30"' "$tmp/expect.csv" > "$tmp/want"
"$ctl" cat --fields $all --from 2024-02-29T23:00 --to 2024-03-01T00:30:00 "$tmp/data" > "$tmp/out.csv" &&
	cmp -s "$tmp/out.csv" "$tmp/want" && ok "from/to ISO" || bad "from/to ISO"
"$ctl" cat --fields $all --from @1709247600 --to @1709253000 "$tmp/data" > "$tmp/out.csv" &&
	cmp -s "$tmp/out.csv" "$tmp/want" && ok "from/to @Unix" || bad "from/to @Unix"
# a bare number is refused (a date without dashes?); the message names the @ form
"$ctl" cat --from 1709247600 "$tmp/data" > /dev/null 2> "$tmp/err"
[ $? = 64 ] && grep -q "@1709247600" "$tmp/err" && ok "bare seconds refused" ||
	bad "bare seconds ($(cat "$tmp/err"))"
# times past 2554 (beyond 64-bit nanoseconds) mean "the end", never a wrap
"$ctl" cat --fields $all --to 2600-01-01 "$tmp/data" > "$tmp/out.csv" &&
	cmp -s "$tmp/out.csv" "$tmp/expect.csv" && ok "to 2600: every record" || bad "to 2600"
[ "$("$ctl" cat --from 2600-01-01 "$tmp/data" | wc -l)" = 1 ] && ok "from 2600: none" ||
	bad "from 2600"
# an age: every record is older than a week, so header only
[ "$("$ctl" cat --from 7d "$tmp/data" | wc -l)" = 1 ] && ok "from age" || bad "from age"
awk -F, 'NR==1 || $1 >= "2024-03-01"' "$tmp/expect.csv" > "$tmp/want"
"$ctl" cat --fields $all --from 2024-03-01 "$tmp/data" > "$tmp/out.csv" &&
	cmp -s "$tmp/out.csv" "$tmp/want" && ok "from date" || bad "from date"

# --addr: saddr or daddr in the prefixes
awk -F, 'NR==1 || $4 ~ /^10\.2\./ || $6 ~ /^2a00::6$/' "$tmp/expect.csv" > "$tmp/want"
"$ctl" cat --fields $all --addr "10.2.0.0/16, 2a00::6/128" "$tmp/data" > "$tmp/out.csv" 2>"$tmp/err"
if [ $? = 0 ] && cmp -s "$tmp/out.csv" "$tmp/want"; then ok "--addr"; else
	bad "--addr ($(cat "$tmp/err"))"; diff "$tmp/out.csv" "$tmp/want" | head -5; fi

# unknown field: error listing the valid ones
"$ctl" cat --fields date,bogus "$tmp/data" > /dev/null 2> "$tmp/err"
rc=$?
[ $rc = 64 ] && grep -q "bogus" "$tmp/err" && grep -q "$all" "$tmp/err" && ok "unknown field" ||
	bad "unknown field (rc $rc: $(cat "$tmp/err"))"
for t in 2024-13-01 2023-02-29 2024-02-30 2024-3-1; do
	"$ctl" cat --from $t "$tmp/data" > /dev/null 2>&1; [ $? = 64 ] && ok "bad time $t" || bad "bad time $t"
done
"$ctl" cat --help | grep -q -- "--fields" && ok "--help" || bad "--help"

# a cut file: complete records printed, warning naming the file, exit 0
last=$(echo "$files" | tail -1)
size=$(stat -c %s "$last")
cp "$last" "$tmp/cut.zst"
truncate -s $((size - 7)) "$tmp/cut.zst"
"$ctl" cat --fields $all --no-header "$tmp/cut.zst" > "$tmp/out.csv" 2> "$tmp/err"
rc=$?
[ $rc = 0 ] && grep -q "warning: $tmp/cut.zst" "$tmp/err" && ok "cut file warns, exit 0" ||
	bad "cut file (rc $rc: $(cat "$tmp/err"))"
n=$(wc -l < "$tmp/out.csv")
"$ctl" cat --fields $all --no-header "$last" | head -n "$n" | cmp -s - "$tmp/out.csv" &&
	ok "cut file prints a prefix ($n records)" || bad "cut file prefix"

# not a log / missing: exit 1, other files still printed
echo "not a log" > "$tmp/junk.zst"
"$ctl" cat --no-header "$tmp/junk.zst" "$last" > "$tmp/out.csv" 2> "$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "not a synack log" "$tmp/err" && [ -s "$tmp/out.csv" ] && ok "junk file" ||
	bad "junk file (rc $rc)"
"$ctl" cat "$tmp/missing" > /dev/null 2>&1; [ $? = 1 ] && ok "missing file" || bad "missing file"

exit $fail
