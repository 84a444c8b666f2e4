#!/bin/sh
# test_install.sh - `meson install` into a DESTDIR, twice: the first makes
# synackd.conf from the installed example; the second, after the operator
# edited it, keeps the edited file and only renews synackd.conf.example.
# Usage: test_install.sh BUILD_ROOT
set -u
B=$1
T=$(mktemp -d /tmp/test_install.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

meson install -C "$B" --no-rebuild --destdir "$T/root" >"$T/out1" 2>&1 || { bad "meson install"; cat "$T/out1"; exit 1; }
conf=$(find "$T/root" -path '*/synack/synackd.conf' | head -n1)
[ -n "$conf" ] && ok "synackd.conf made at first install ($conf)" || { bad "no synackd.conf"; exit 1; }
cmp -s "$conf" "$conf.example" && ok "it is the example" || bad "synackd.conf differs from the example"
echo "# edited by the operator" >>"$conf"
meson install -C "$B" --no-rebuild --destdir "$T/root" >"$T/out2" 2>&1 || { bad "second meson install"; cat "$T/out2"; }
[ "$(tail -n1 "$conf")" = "# edited by the operator" ] && ok "an upgrade keeps the edited synackd.conf" ||
	bad "the upgrade replaced synackd.conf"
[ -f "$conf.example" ] && ok "synackd.conf.example installed" || bad "no synackd.conf.example"
exit $fail
