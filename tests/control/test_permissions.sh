#!/bin/sh
# test_permissions.sh - the control socket's peer credential check.
#
# Needs root (to run clients as another uid with setpriv); exits 77 (skip)
# otherwise.  Usage: test_permissions.sh SERVER CLIENT
set -u
SERVER=$1
CLIENT=$2

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	echo "skip: needs root and setpriv"
	exit 77
fi
nobody_uid=$(id -u nobody 2>/dev/null) || { echo "skip: no user nobody"; exit 77; }
nogroup_gid=$(id -g nobody)
# A group nobody is not in: daemon (or any other existing one).
grp=
for g in daemon adm sys bin; do
	if getent group "$g" >/dev/null && ! id -nG nobody | tr ' ' '\n' | grep -qx "$g"; then
		grp=$g
		break
	fi
done
[ -n "$grp" ] || { echo "skip: no suitable group"; exit 77; }
gid=$(getent group "$grp" | cut -d: -f3)

dir=$(mktemp -d /tmp/test_perm.XXXXXX)
chmod 0755 "$dir"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

fail=0
check() { # name expected actual
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1"
		echo "  want: $2"
		echo "  got:  $3"
		fail=1
	fi
}

start() { # mode
	# the previous server's "ready" must not be read: the background job
	# truncates out only once it runs
	rm -f "$dir/out"
	"$SERVER" --socket "$dir/s.sock" --group "$grp" --mode "$1" --run-ms 20000 \
		>"$dir/out" 2>"$dir/err" &
	pid=$!
	i=0
	while ! grep -q ready "$dir/out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "server did not start"; cat "$dir/err"; exit 1; }
		sleep 0.05
	done
}
stop() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
as_nobody() {
	setpriv --reuid="$nobody_uid" --regid="$nogroup_gid" --clear-groups "$@"
}
as_nobody_in_group() {
	setpriv --reuid="$nobody_uid" --regid="$nogroup_gid" --groups="$gid" "$@"
}
as_nobody_primary() {
	setpriv --reuid="$nobody_uid" --regid="$gid" --clear-groups "$@"
}

# Mode 0666: everyone can connect, so the credential check decides.
start 0666
sock="$dir/s.sock"
check "socket group is $grp" "$grp" "$(stat -c %G "$sock")"
check "root allowed" '{"ok":true,"args":["x"]}' "$("$CLIENT" "$sock" "echo x")"
check "nobody denied" '{"ok":false,"error":"permission denied"}' \
	"$(as_nobody "$CLIENT" "$sock" "echo x" 2>/dev/null)"
as_nobody "$CLIENT" "$sock" "echo x" "echo y" >/dev/null 2>&1
check "denied connection is closed" 3 $?
check "nobody with supplementary group allowed" '{"ok":true,"args":["y"]}' \
	"$(as_nobody_in_group "$CLIENT" "$sock" "echo y" 2>&1)"
check "nobody with primary group allowed" '{"ok":true,"args":["z"]}' \
	"$(as_nobody_primary "$CLIENT" "$sock" "echo z" 2>&1)"
check "server still serving" '{"ok":true,"clients":1}' "$("$CLIENT" "$sock" clients)"
stop

# Mode 0660 (the default): the file system already keeps others out.
start 0660
check "socket mode 0660" 660 "$(stat -c %a "$sock")"
out=$(as_nobody "$CLIENT" "$sock" "echo x" 2>&1)
check "nobody cannot connect" 2 $?
case "$out" in
*"Permission denied"*) echo "ok: connect error names the errno" ;;
*) echo "FAIL: connect error: $out"; fail=1 ;;
esac
check "group member allowed" '{"ok":true,"args":["g"]}' \
	"$(as_nobody_in_group "$CLIENT" "$sock" "echo g" 2>&1)"
stop

exit $fail
