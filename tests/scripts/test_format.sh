#!/bin/sh
# test_format.sh - every C source and header of the tree is formatted as the
# root .clang-format says (clang-format 14, Debian 12's).  Lists each file
# that is not, with the first lines clang-format would change.
set -eu
root=$1
cd "$root"
command -v clang-format >/dev/null || { echo "clang-format not installed"; exit 77; }
files=$(find app lib tests bench -name '*.[ch]' | sort)
[ -n "$files" ] || { echo "no C files found under $root"; exit 1; }
bad=0
n=0
for f in $files; do
	n=$((n + 1))
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f"
		clang-format "$f" | diff -u "$f" - | sed -n '3,12p'
		bad=$((bad + 1))
	fi
done
echo "$n files checked, $bad not formatted (fix: clang-format -i FILE)"
[ "$bad" -eq 0 ]
