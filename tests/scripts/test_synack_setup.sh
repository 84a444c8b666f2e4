#!/bin/sh
# test_synack_setup.sh - scripts/synack-setup against a fake sysfs tree and
# fake dpdk-devbind.py / dpdk-hugepages.py / ip / modprobe that log their
# arguments: the exact actions, the refusals, the remembered drivers.
# Usage: test_synack_setup.sh [SCRIPT]
set -u
SRC=${SYNACK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SETUP=${1:-$SRC/scripts/synack-setup}
T=$(mktemp -d /tmp/test_setup.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

SYS=$T/sys
LOG=$T/log
FAKE=$T/fake
mkdir -p "$FAKE" "$T/bin"

# --- fakes ---
cat >"$T/bin/devbind" <<'EOS'
#!/bin/sh
echo "devbind $*" >>"$LOG"
case $1 in
--status-dev) echo "fake devbind status"; exit 0 ;;
-b)
	drv=$2 pci=$3 d=$SYS/bus/pci/devices/$3
	mkdir -p "$SYS/bus/pci/drivers/$drv"
	rm -f "$d/driver"
	ln -s "../../../../bus/pci/drivers/$drv" "$d/driver"
	if [ "$drv" = vfio-pci ]; then
		mkdir -p "$FAKE/stash/$pci"
		[ -d "$d/net" ] && mv "$d/net"/* "$FAKE/stash/$pci/" 2>/dev/null
	else
		[ -d "$FAKE/stash/$pci" ] && mv "$FAKE/stash/$pci"/* "$d/net/" 2>/dev/null
	fi
	[ -e "$FAKE/devbind_fails" ] && rm -f "$d/driver"
	exit 0 ;;
-u) rm -f "$SYS/bus/pci/devices/$2/driver"; exit 0 ;;
esac
exit 1
EOS
cat >"$T/bin/ip" <<'EOS'
#!/bin/sh
echo "ip $*" >>"$LOG"
case "$*" in
"-o -4 route show default") cat "$FAKE/route4" 2>/dev/null ;;
"-o -6 route show default") cat "$FAKE/route6" 2>/dev/null ;;
"-o addr show dev "*" scope global") cat "$FAKE/addr.$5" 2>/dev/null ;;
esac
exit 0
EOS
cat >"$T/bin/modprobe" <<'EOS'
#!/bin/sh
echo "modprobe $*" >>"$LOG"
EOS
cat >"$T/bin/hugepages" <<'EOS'
#!/bin/sh
echo "hugepages $*" >>"$LOG"
EOS
chmod +x "$T/bin/"*

export SYSFS_ROOT=$SYS DEVBIND=$T/bin/devbind HUGEPAGES=$T/bin/hugepages IP=$T/bin/ip
export MODPROBE=$T/bin/modprobe SYNACK_SETUP_STATE=$T/state LOG SYS FAKE
export SYNACK_SETUP_OLD_STATE=$T/old/setup
export SYNACK_CONFIG=$T/none.conf MOUNTS=$T/mounts
echo "sysfs /sys sysfs rw 0 0" >"$T/mounts"

# --- fake sysfs: an X520 (two functions, ixgbe, eth1/eth2) and a device
# without a driver ---
mk_dev() { # pci driver iface
	d=$SYS/bus/pci/devices/$1
	mkdir -p "$d/net"
	if [ "$2" != none ]; then
		mkdir -p "$SYS/bus/pci/drivers/$2"
		ln -s "../../../../bus/pci/drivers/$2" "$d/driver"
	fi
	if [ -n "$3" ]; then
		mkdir -p "$d/net/$3" "$SYS/class/net/$3"
		ln -s "../../../bus/pci/devices/$1" "$SYS/class/net/$3/device"
	fi
}
reset() {
	rm -rf "$SYS" "$T/state" "$FAKE" "$LOG"
	mkdir -p "$FAKE" "$SYS/kernel/iommu_groups/0" "$SYS/kernel/iommu_groups/1"
	mk_dev 0000:03:00.0 ixgbe eth1
	mk_dev 0000:03:00.1 ixgbe eth2
	mk_dev 0000:05:00.0 none ""
	: >"$LOG"
}
drv() { basename "$(readlink "$SYS/bus/pci/devices/$1/driver" 2>/dev/null || echo none)"; }
actions() { grep -v -e ' route show default' -e ' addr show dev ' "$LOG"; }
expect() { # name want-file got-file
	if diff -u "$2" "$3" >"$T/diff"; then ok "$1"; else bad "$1"; cat "$T/diff"; fi
}
expect_rc() { if [ "$2" = "$3" ]; then ok "$1 (exit $3)"; else bad "$1: exit $3, want $2"; cat "$T/out" "$T/err"; fi; }
expect_in() { if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: '$3' not in:"; cat "$2"; fi; }
setup() { "$SETUP" "$@" >"$T/out" 2>"$T/err"; }

cat >"$T/synackd.conf" <<'EOS'
# synackd configuration
[eal]
lcores = 0-3
allow = 0000:03:00.0            # first port
allow=0000:03:00.1
pci = yes
hugepages = yes
memory_mb = 512
[ports]
port = 0000:03:00.0 queues=2
port = 03:00.1
EOS

# 1. dry run: every action printed, nothing done
reset
setup --dry-run bind eth1
expect_rc "dry-run bind" 0 $?
cat >"$T/want" <<EOS
would run: $T/bin/modprobe vfio-pci
would run: $T/bin/ip link set dev eth1 down
would remember: 0000:03:00.0 driver=ixgbe in $T/state/0000:03:00.0
would run: $T/bin/devbind -b vfio-pci 0000:03:00.0
EOS
expect "dry-run prints the actions" "$T/want" "$T/out"
actions >"$T/got"; : >"$T/want"
expect "dry-run does nothing" "$T/want" "$T/got"
[ ! -e "$T/state" ] && [ "$(drv 0000:03:00.0)" = ixgbe ] && ok "dry-run: no state, driver kept" || bad "dry-run changed something"

# 2. bind the devices of the configuration
reset
setup -c "$T/synackd.conf" bind
expect_rc "bind from config" 0 $?
cat >"$T/want" <<EOS
modprobe vfio-pci
ip link set dev eth1 down
devbind -b vfio-pci 0000:03:00.0
ip link set dev eth2 down
devbind -b vfio-pci 0000:03:00.1
EOS
actions >"$T/got"
expect "bind actions in order" "$T/want" "$T/got"
[ "$(drv 0000:03:00.0)" = vfio-pci ] && [ "$(drv 0000:03:00.1)" = vfio-pci ] && ok "both on vfio-pci" || bad "not bound"
[ "$(cat "$T/state/0000:03:00.0")" = driver=ixgbe ] && [ "$(cat "$T/state/0000:03:00.1")" = driver=ixgbe ] &&
	ok "kernel driver remembered" || bad "state files"
expect_in "bind reports" "$T/out" "0000:03:00.0 bound to vfio-pci (was ixgbe)"
grep -q 'route show default' "$LOG" && grep -q 'addr show dev eth1 scope global' "$LOG" &&
	ok "route and address checked" || bad "checks not run"

# 3. binding again is a no-op (restart of the service)
: >"$LOG"
setup -c "$T/synackd.conf" bind
expect_rc "bind again" 0 $?
expect_in "already bound" "$T/out" "0000:03:00.0 is already bound to vfio-pci"
actions >"$T/got"; : >"$T/want"
expect "no actions when already bound" "$T/want" "$T/got"

# 4. status shows devices, drivers and remembered drivers
setup -c "$T/synackd.conf" status
expect_rc "status" 0 $?
expect_in "status table" "$T/out" "0000:03:00.0   vfio-pci   -            ixgbe        yes"
expect_in "status iommu" "$T/out" "iommu: 2 groups"
expect_in "status runs devbind" "$T/out" "fake devbind status"

# 5. unbind: back to ixgbe, state forgotten, interfaces back
: >"$LOG"
setup unbind
expect_rc "unbind all" 0 $?
cat >"$T/want" <<EOS
modprobe ixgbe
devbind -b ixgbe 0000:03:00.0
modprobe ixgbe
devbind -b ixgbe 0000:03:00.1
EOS
actions >"$T/got"
expect "unbind actions" "$T/want" "$T/got"
[ "$(drv 0000:03:00.0)" = ixgbe ] && [ "$(drv 0000:03:00.1)" = ixgbe ] && ok "back on ixgbe" || bad "drivers not restored"
[ -z "$(ls "$T/state")" ] && ok "state forgotten" || bad "state left"
[ -d "$SYS/bus/pci/devices/0000:03:00.0/net/eth1" ] && ok "eth1 back" || bad "eth1 missing"
setup unbind
expect_rc "unbind with nothing bound" 0 $?
expect_in "nothing to unbind" "$T/out" "nothing to unbind"

# 6. unbind a device not bound by this script
setup unbind 0000:03:00.0
expect_rc "unbind unknown" 1 $?
expect_in "unbind says why" "$T/err" "no remembered driver for 0000:03:00.0"
setup unbind eth1
expect_rc "unbind takes PCI only" 1 $?

# 6b. the state of an earlier version (in the data directory) moves out
# when it is root's; a driver name that is not a plain module name is not used
reset
mkdir -p "$T/old/setup"
echo driver=ixgbe >"$T/old/setup/0000:03:00.0"
echo 'driver=../../../devices/x' >"$T/old/setup/0000:03:00.1"
setup -c "$T/synackd.conf" status
expect_rc "status with old state" 0 $?
if [ "$(id -u)" = 0 ]; then
	expect_in "old state moved" "$T/out" "moved $T/old/setup to $T/state"
	[ ! -e "$T/old/setup" ] && [ "$(cat "$T/state/0000:03:00.0")" = driver=ixgbe ] &&
		ok "old state in the new place" || bad "old state not moved"
	expect_in "moved state used" "$T/out" "0000:03:00.0   ixgbe      eth1         ixgbe"
	setup unbind 0000:03:00.1
	expect_rc "unbind with a bad remembered name" 1 $?
	expect_in "bad name not used" "$T/err" "no remembered driver for 0000:03:00.1"
else
	expect_in "old state of another user not used" "$T/err" "is not root's: not used"
fi
rm -rf "$T/old"

# 7. refusal: the default route
reset
echo "default via 192.0.2.1 dev eth1 proto static" >"$FAKE/route4"
setup bind eth1
expect_rc "refuse default route" 1 $?
expect_in "default route message" "$T/err" "refusing to bind eth1 (0000:03:00.0): it carries the default route"
actions >"$T/got"; : >"$T/want"
expect "nothing done when refused" "$T/want" "$T/got"
[ ! -e "$T/state/0000:03:00.0" ] && ok "nothing remembered" || bad "state written on refusal"
echo "default via fe80::1 dev eth10 proto ra" >"$FAKE/route4"
setup --dry-run bind eth1
expect_rc "eth10's route is not eth1's" 0 $?
rm -f "$FAKE/route4"
echo "default via 2001:db8::1 dev eth1 metric 1024" >"$FAKE/route6"
setup bind eth1
expect_rc "refuse IPv6 default route" 1 $?
rm -f "$FAKE/route6"

# 8. refusal: an address; --force overrides
echo "3: eth2    inet 192.0.2.7/24 brd 192.0.2.255 scope global eth2" >"$FAKE/addr.eth2"
setup bind 0000:03:00.0 eth2
expect_rc "refuse address" 1 $?
expect_in "address message" "$T/err" "refusing to bind eth2 (0000:03:00.1): it has the address(es) 192.0.2.7/24"
[ "$(drv 0000:03:00.0)" = ixgbe ] && ok "checks come before any binding" || bad "bound 03:00.0 before refusing"
setup --force bind eth2
expect_rc "--force" 0 $?
expect_in "--force warns" "$T/err" "binding eth2 (0000:03:00.1) although it has the address(es) 192.0.2.7/24 (--force)"
[ "$(drv 0000:03:00.1)" = vfio-pci ] && ok "forced bind done" || bad "forced bind"

# 9. no IOMMU: refused unless --noiommu
reset
rmdir "$SYS/kernel/iommu_groups/0" "$SYS/kernel/iommu_groups/1"
mkdir -p "$SYS/module/vfio/parameters"
echo N >"$SYS/module/vfio/parameters/enable_unsafe_noiommu_mode"
setup bind 03:00.1
expect_rc "no IOMMU refused" 1 $?
expect_in "no IOMMU message" "$T/err" "no IOMMU: enable VT-d in the BIOS and boot with intel_iommu=on iommu=pt"
setup --noiommu bind 03:00.1
expect_rc "--noiommu" 0 $?
cat >"$T/want" <<EOS
modprobe vfio enable_unsafe_noiommu_mode=1
modprobe vfio-pci
ip link set dev eth2 down
devbind -b vfio-pci 0000:03:00.1
EOS
actions >"$T/got"
expect "--noiommu actions" "$T/want" "$T/got"
[ "$(cat "$SYS/module/vfio/parameters/enable_unsafe_noiommu_mode")" = Y ] && ok "noiommu mode set" || bad "noiommu param"

# 10. a device without a kernel driver comes back to no driver
reset
setup bind 0000:05:00.0
expect_rc "bind driverless" 0 $?
[ "$(cat "$T/state/0000:05:00.0")" = driver=none ] && ok "remembered none" || bad "state for driverless"
: >"$LOG"
setup unbind 0000:05:00.0
expect_rc "unbind driverless" 0 $?
echo "devbind -u 0000:05:00.0" >"$T/want"
actions >"$T/got"
expect "unbind to no driver" "$T/want" "$T/got"

# 11. a bind that does not take is an error
reset
touch "$FAKE/devbind_fails"
setup bind eth1
expect_rc "failed bind" 1 $?
expect_in "failed bind message" "$T/err" "0000:03:00.0 is on driver 'none' after binding, not vfio-pci"
rm -f "$FAKE/devbind_fails"

# 12. unknown names
setup bind eth9
expect_rc "unknown interface" 1 $?
expect_in "unknown interface message" "$T/err" "eth9 is neither a PCI address nor a network interface"
setup bind 0000:09:00.0
expect_rc "unknown PCI" 1 $?
expect_in "unknown PCI message" "$T/err" "no PCI device 0000:09:00.0"
setup bind
expect_rc "nothing to bind" 1 $?
expect_in "nothing to bind message" "$T/err" "no devices given and none in"
setup -c "$T/missing.conf" bind
expect_rc "missing config" 1 $?
setup frobnicate
expect_rc "unknown command" 64 $?
setup --bogus status
expect_rc "unknown option" 64 $?
# arguments are quoted for an eval: a newline in one is refused before
# anything runs (it would end the quoting and run the rest as a command)
setup -n bind "$(printf 'x\ntouch %s/ran' "$T")"
expect_rc "argument with a newline" 64 $?
[ -e "$T/ran" ] && bad "the text after a newline ran" || ok "the text after a newline did not run"
setup -n bind "it's"
expect_rc "argument with a quote: an unknown device" 1 $?
grep -q "it's is neither a PCI address" "$T/err" && ok "quote kept in the argument" || bad "quote: $(cat "$T/err")"
setup -p 4M -n status
expect_rc "bad page size" 64 $?
setup -n hugepages 1G 2G
expect_rc "hugepages with two sizes" 64 $?

# 13. hugepages
: >"$LOG"
setup hugepages 2G
expect_rc "hugepages 2G" 0 $?
setup -p 1G hugepages 3000M
expect_rc "hugepages 1G pages" 0 $?
setup -c "$T/synackd.conf" hugepages
expect_rc "hugepages from config" 0 $?
setup hugepages
expect_rc "hugepages default" 0 $?
cat >"$T/want" <<EOS
hugepages -p 2M --setup 2G
hugepages -p 1G --setup 3G
hugepages -p 2M --setup 512M
hugepages -p 2M --setup 1G
EOS
actions >"$T/got"
expect "hugepages actions" "$T/want" "$T/got"
setup hugepages lots
expect_rc "bad size" 64 $?
setup -p 4K hugepages 1G
expect_rc "bad page size" 64 $?
sed 's/^hugepages = yes/hugepages = no   # tests/' "$T/synackd.conf" >"$T/nohuge.conf"
: >"$LOG"
setup -c "$T/nohuge.conf" hugepages
expect_rc "hugepages = no" 0 $?
[ ! -s "$LOG" ] && ok "no hugepages when the config says no" || bad "hugepages set up anyway"
setup --dry-run hugepages 1G
expect_in "hugepages dry-run" "$T/out" "would run: $T/bin/hugepages -p 2M --setup 1G"

# enough reserved (2 x 1G pages from the kernel command line) and mounted:
# nothing to do; not mounted, too few, or --force: set up
mkdir -p "$SYS/kernel/mm/hugepages/hugepages-1048576kB" "$SYS/kernel/mm/hugepages/hugepages-2048kB"
echo 2 >"$SYS/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
echo 0 >"$SYS/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
: >"$LOG"
setup hugepages 2G
expect_rc "reserved but not mounted" 0 $?
echo "hugetlbfs /dev/hugepages hugetlbfs rw,pagesize=1024M 0 0" >>"$T/mounts"
setup hugepages 2G
expect_rc "reserved and mounted" 0 $?
expect_in "nothing to do" "$T/out" "hugepages: 2048M reserved and mounted, 2048M needed: nothing to do"
setup -c "$T/synackd.conf" hugepages
expect_rc "config needs less" 0 $?
echo 100 >"$SYS/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
setup hugepages 3G
expect_rc "too few" 0 $?
setup --force hugepages 1G
expect_rc "--force" 0 $?
cat >"$T/want" <<EOS
hugepages -p 2M --setup 2G
hugepages -p 2M --setup 3G
hugepages -p 2M --setup 1G
EOS
actions >"$T/got"
expect "hugepages only when needed" "$T/want" "$T/got"

exit $fail
