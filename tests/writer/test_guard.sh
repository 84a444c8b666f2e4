#!/bin/bash
# Disk guard on a 24 MiB tmpfs that this test mounts in a private mount
# namespace (gone with the test), and retention in a temporary folder.
set -u
prog="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/retention"
"$prog" retention "$tmp/retention" 2>&1 || status=1

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	echo "disk guard: needs root and unshare to mount a tmpfs; skipped"
	exit "${status:-77}"
fi
mkdir -p "$tmp/small"
unshare -m sh -c "mount -t tmpfs -o size=24m tmpfs '$tmp/small' && exec '$prog' guard '$tmp/small'" ||
	status=1
exit "${status:-0}"
