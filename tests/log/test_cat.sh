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

# format 2 files written by the first format 2 writer (committed): read back
# to the same records, and the writer of today writes the very same bytes
# (its speed-ups must not change the coding)
v2="${SYNACK_SOURCE_ROOT:-.}/tests/log/data/v2/logs"
if [ -d "$v2" ]; then
	"$ctl" cat --fields $all "$v2" > "$tmp/out.csv" 2> "$tmp/err"
	rc=$?
	[ $rc = 0 ] && cmp -s "$tmp/out.csv" "$tmp/expect.csv" && [ ! -s "$tmp/err" ] &&
		ok "format 2 files" || { bad "format 2 files (rc $rc)"; diff "$tmp/out.csv" "$tmp/expect.csv" | head -5; }
	diff -r "$v2" "$tmp/data/logs" > /dev/null && ok "same bytes as the committed format 2 files" ||
		bad "the writer's bytes differ from tests/log/data/v2"
else
	bad "missing $v2"
fi

# every file is a valid zstd stream (the zstd tool skips the headers)
if command -v zstd > /dev/null; then
	zstd -q -t $(find "$tmp/data/logs" -name '*.zst') && ok "zstd -t" || bad "zstd -t"
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
"$ctl" cat --fields $all --from 1709247600 --to 1709253000 "$tmp/data" > "$tmp/out.csv" &&
	cmp -s "$tmp/out.csv" "$tmp/want" && ok "from/to Unix" || bad "from/to Unix"
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
"$ctl" cat --from 2024-13-01 "$tmp/data" > /dev/null 2>&1; [ $? = 64 ] && ok "bad time" || bad "bad time"
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
