#!/bin/sh
# test_unit.sh - systemd-analyze verify on config/synackd.service, with the
# @BINDIR@/@SBINDIR@/... paths pointing at the built programs, plus checks
# of the settings the appliance relies on.  Skips (77) without
# systemd-analyze.
# Usage: test_unit.sh UNIT SYNACKD SYNACKCTL SYNACK_SETUP SYSUSERS
set -u
UNIT=$1 SYNACKD=$2 SYNACKCTL=$3 SETUP=$4 SYSUSERS=$5
command -v systemd-analyze >/dev/null 2>&1 || { echo "skip: no systemd-analyze"; exit 77; }
T=$(mktemp -d /tmp/test_unit.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

mkdir -p "$T/bin" "$T/sbin" "$T/etc/synack" "$T/doc"
for p in "$SYNACKD" "$SYNACKCTL" "$SETUP"; do
	ln -s "$(realpath "$p")" "$T/$( [ "$p" = "$SETUP" ] && echo sbin || echo bin)/$(basename "$p")"
done
sed -e "s|@BINDIR@|$T/bin|g" -e "s|@SBINDIR@|$T/sbin|g" -e "s|@SYSCONFDIR@|$T/etc|g" \
	-e "s|@DOCDIR@|$T/doc|g" "$UNIT" >"$T/synackd.service"
grep -q '@[A-Z]*@' "$T/synackd.service" && bad "unsubstituted @TOKEN@ left" || ok "all tokens substituted"

# verify: syntax, unknown settings, missing executables.  Its complaints
# about the environment (no systemd running, other units) are not ours.
SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$T/synackd.service" >"$T/out" 2>&1
rc=$?
grep -i 'synackd.service' "$T/out" >"$T/ours" || true
if [ -s "$T/ours" ]; then
	bad "systemd-analyze verify complains about the unit (exit $rc):"
	cat "$T/ours"
else
	ok "systemd-analyze verify (exit $rc, nothing about synackd.service)"
fi
cat "$T/out"

# A broken copy must be caught (the test really checks something).
sed "s|^ExecStart=.*|ExecStart=$T/bin/no-such-synackd -c x|" "$T/synackd.service" >"$T/broken.service"
SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$T/broken.service" >"$T/out2" 2>&1
grep -q 'no-such-synackd' "$T/out2" && ok "verify catches a missing ExecStart" ||
	{ bad "verify did not catch a missing ExecStart"; cat "$T/out2"; }

# settings the appliance relies on
# the ports are bound before any network configuration starts (networkd,
# ifupdown and NetworkManager all start after network-pre.target)
grep -qx 'Before=network-pre.target' "$UNIT" && grep -qx 'Wants=network-pre.target' "$UNIT" &&
	ok "Before= and Wants=network-pre.target" || bad "not ordered before network-pre.target"
grep -q '^After=.*network-pre.target' "$UNIT" && bad "After=network-pre.target races the network tools" ||
	ok "not after network-pre.target"
for want in 'Restart=on-failure' 'RestartPreventExitStatus=1' 'StartLimitBurst=5' 'RuntimeDirectory=synack' \
	'LimitMEMLOCK=infinity' 'ProtectSystem=full' 'ProtectHome=yes' \
	'PrivateTmp=yes' 'NoNewPrivileges=yes' 'WantedBy=multi-user.target'; do
	grep -qx "$want" "$UNIT" && ok "$want" || bad "missing $want"
done
grep -q "^ExecStartPre=+@SBINDIR@/synack-setup -c @SYSCONFDIR@/synack/synackd.conf bind\$" "$UNIT" &&
	ok "ExecStartPre binds (failure fails the start)" || bad "ExecStartPre bind"
grep -q "^ExecStartPre=+@SBINDIR@/synack-setup -c @SYSCONFDIR@/synack/synackd.conf hugepages\$" "$UNIT" &&
	ok "ExecStartPre hugepages" || bad "ExecStartPre hugepages"
grep -q "^ExecStart=@BINDIR@/synackd -c @SYSCONFDIR@/synack/synackd.conf\$" "$UNIT" &&
	ok "ExecStart" || bad "ExecStart"
grep -q '^PrivateDevices=yes' "$UNIT" && bad "PrivateDevices breaks vfio" || ok "no PrivateDevices"
# systemd would give a StateDirectory back to root at every start, taking it
# from the user synackd becomes
grep -q '^StateDirectory=' "$UNIT" && bad "StateDirectory= fights [security] user" ||
	ok "no StateDirectory="

# the sysusers file declares the user (and its group)
if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers --dry-run "$(realpath "$SYSUSERS")" >"$T/sys.out" 2>&1
	rc=$?
	[ $rc = 0 ] && ok "systemd-sysusers --dry-run accepts it" || { bad "systemd-sysusers (exit $rc)"; cat "$T/sys.out"; }
	cat "$T/sys.out"
fi
grep -Eq '^u[[:space:]]+synack[[:space:]]' "$SYSUSERS" && ok "user and group synack declared" ||
	bad "no synack user"
exit $fail
