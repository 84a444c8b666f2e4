#!/bin/bash
# synackd on net_pcap vdevs (config file written here, --no-huge, --no-pci,
# unique --file-prefix): one queue stores exactly the generator's answers;
# two queues (two rx_pcap files, two workers) store the same as --pcap on
# both files; configuration errors stop it before any port starts; a
# net_ring port starts and stops.
. "$(dirname "$0")/lib.sh"
P='198.18.0.0/16, 2001:db8:1::/48'
EX=198.18.200.0/22
NCPU=$(nproc)
lc() { # lcores for main + N workers + writer mapped onto the CPUs we have
	local n=$1 s="0@0" i
	for i in $(seq 1 $((n + 1))); do s="$s,$i@$((i % NCPU))"; done
	echo "$s"
}
conf() { # name vdevargs nqueues
	local name=$1 vdev=$2 nq=$3 q
	{
		echo "[eal]"
		echo "lcores = $(lc $nq)"
		echo "hugepages = no"
		echo "pci = no"
		echo "memory_mb = 256"
		echo "file_prefix = synackd-test-$$-$name"
		echo "vdev = $vdev"
		echo "[ports]"
		echo "port = net_pcap0 queues=$nq"
		echo "[lcores]"
		for q in $(seq 0 $((nq - 1))); do echo "rx = 0,$q,$((q + 1))"; done
		echo "writer_lcore = $((nq + 1))"
		echo "[classify]"
		echo "internal = $P"
		echo "exclude = $EX"
		echo "[writer]"
		echo "data_dir = $T/data-$name"
		echo "[tuning]"
		echo "stats_interval = 1s"
		echo "exit_on_idle = 2s"
		echo "ring_size = 16384"
		echo "rx_descriptors = 512"
	} >"$T/$name.conf"
}

"$GENCAP" -o "$T/a.pcap" --seed 11 --synacks 1500 --exclude $EX --scan=30 >/dev/null 2>&1
"$GENCAP" -o "$T/b.pcap" --seed 12 --synacks 1000 --exclude $EX >/dev/null 2>&1

# one queue
conf one "net_pcap0,rx_pcap=$T/a.pcap" 1
# bursts of 512 frames: results are counted 255 frames at a time
timeout 60 "$SYNACKD" -c "$T/one.conf" --set burst_size=512 --summary-json >"$T/one.json" 2>"$T/one.log"
expect_eq "one queue exit" $? 0
A=$T/a.answers
for k in not_ip not_tcp malformed not_synack wrong_direction excluded match; do
	expect_eq "one queue result $k" "$(json "$T/one.json" "d['counters']['results']['$k']")" \
		"$(answer default.external.$k "$A")"
done
expect_eq "one queue frames" "$(stat_of "$T/one.log" frames)" "$(answer frames "$A")"
expect_eq "one queue port rx" "$(stat_of "$T/one.log" rx)" "$(answer frames "$A")"
expect_eq "one queue synack" "$(stat_of "$T/one.log" synack)" "$(answer default.external.match "$A")"
expect_eq "one queue ipv6" "$(stat_of "$T/one.log" ipv6)" "$(answer default.external.match.ipv6 "$A")"
expect_eq "one queue excluded" "$(stat_of "$T/one.log" excluded)" "$(answer default.external.excluded "$A")"
expect_eq "one queue stored" "$(stat_of "$T/one.log" stored)" "$(answer default.external.match "$A")"
expect_eq "one queue ring_drops" "$(stat_of "$T/one.log" ring_drops)" 0
h=$(db_sql "$T/data-one" 'select coalesce(sum(packets),0) from hourly')
f=$(db_sql "$T/data-one" 'select coalesce(sum(packets),0) from ftp_data')
expect_eq "one queue database rows" $((h + f)) "$(answer default.external.match "$A")"

# jumbo frames: net_pcap hands each over in chained mbufs (2 KB buffers), which
# must go back to the pool whole; 3000 frames of 9000 bytes need 15000 mbufs,
# more than the pool has, so any segment not freed shows as missing frames
"$GENCAP" -o "$T/j.pcap" --seed 13 --frames 3000 --frame-size 9000 --exclude $EX >/dev/null 2>&1
conf jumbo "net_pcap0,rx_pcap=$T/j.pcap" 1
timeout 60 "$SYNACKD" -c "$T/jumbo.conf" >/dev/null 2>"$T/jumbo.log"
expect_eq "jumbo exit" $? 0
J=$T/j.answers
expect_eq "jumbo frames" "$(stat_of "$T/jumbo.log" frames)" "$(answer frames "$J")"
expect_eq "jumbo nombuf" "$(stat_of "$T/jumbo.log" nombuf)" 0
expect_eq "jumbo stored" "$(stat_of "$T/jumbo.log" stored)" "$(answer default.external.match "$J")"

# two queues, two workers vs --pcap on the same two files
conf two "net_pcap0,rx_pcap=$T/a.pcap,rx_pcap=$T/b.pcap" 2
timeout 60 "$SYNACKD" -c "$T/two.conf" >"$T/two.out" 2>"$T/two.log"
expect_eq "two queues exit" $? 0
grep -q "no RSS on this device" "$T/two.log" && pass "no-RSS fallback logged" || fail "no RSS message"
"$SYNACKD" --pcap "$T/a.pcap" "$T/b.pcap" --internal "$P" --exclude $EX --data-dir "$T/data-ref" \
	--summary-json >"$T/ref.json" 2>/dev/null
expect_eq "two queues synack" "$(stat_of "$T/two.log" synack)" "$(json "$T/ref.json" 'd["synack"]')"
expect_eq "two queues stored" "$(stat_of "$T/two.log" stored)" "$(json "$T/ref.json" 'd["writer"]["stored"]')"
q="select addr, port, packets from services order by addr, port"
expect_eq "two queues services = --pcap services" "$(db_sql "$T/data-two" "$q" | md5sum)" \
	"$(db_sql "$T/data-ref" "$q" | md5sum)"

# corpus files (Ethernet ones; net_pcap hands frames over as they are) through
# a net_pcap port: the SYN+ACKs stored equal the manifest's tshark count
M="$CORPUS/MANIFEST.tsv"
if [ -f "$M" ]; then
	n=0
	while IFS=$'\t' read -r file cat fmt lt size pk tsh strict rest; do
		[ "$lt" = EN10MB ] || continue
		[ "$(awk -F'\t' -v f="$file" '$1==f{print $28}' "$M")" = no ] || continue
		n=$((n + 1))
		want=$strict
		case "$file" in *gre*|*vxlan*|*6in4*) want=0 ;; esac
		conf c$n "net_pcap0,rx_pcap=$CORPUS/$file" 1
		sed -i 's|^internal = .*|internal = 0.0.0.0/0, ::/0\npeers = any|; s|^exclude = .*||; s|^exit_on_idle = .*|exit_on_idle = 1s|' "$T/c$n.conf"
		timeout 60 "$SYNACKD" -c "$T/c$n.conf" >/dev/null 2>"$T/c$n.log"
		expect_eq "vdev $file exit" $? 0
		expect_eq "vdev $file frames" "$(stat_of "$T/c$n.log" frames)" "$pk"
		expect_eq "vdev $file synack" "$(stat_of "$T/c$n.log" synack)" "$want"
		expect_eq "vdev $file stored" "$(stat_of "$T/c$n.log" stored)" "$want"
	done <"$M"
	[ $n -gt 20 ] && pass "$n corpus files through net_pcap" || fail "only $n corpus files"
else
	echo "no corpus at $CORPUS: corpus part skipped"
fi

# configuration errors: named, exit 1, before EAL (no EAL lines)
printf 'port = net_pcap0\nrx = 0,0,1\nrx = 0,0,2\ninternal = %s\n' "$P" >"$T/bad1.conf"
"$SYNACKD" -c "$T/bad1.conf" >/dev/null 2>"$T/bad1.err"
expect_eq "queue served twice exit" $? 1
expect_eq "queue served twice message" "$(cat "$T/bad1.err")" \
	"synackd: $T/bad1.conf:3: rx: port 0 queue 0 is already served by lcore 1 (line 2)"
printf 'port = net_pcap0\nwriter_lcore = 1\nrx = 0,0,1\ninternal = %s\n' "$P" >"$T/bad2.conf"
"$SYNACKD" -c "$T/bad2.conf" >/dev/null 2>"$T/bad2.err"
expect_eq "writer = worker exit" $? 1
grep -q "bad2.conf:3: rx: lcore 1 is the writer lcore" "$T/bad2.err" && pass "writer = worker message" ||
	fail "writer = worker: $(cat "$T/bad2.err")"
# a device with fewer queues than configured: found at port setup, exit 3
conf few "net_pcap0,rx_pcap=$T/a.pcap" 2
timeout 30 "$SYNACKD" -c "$T/few.conf" >/dev/null 2>"$T/few.err"
expect_eq "too many queues for net_pcap exit" $? 3
grep -q "has at most 1 RX queues, 2 configured (net_pcap: one queue per rx_pcap=" "$T/few.err" &&
	pass "net_pcap queue limit message" || fail "queue limit: $(tail -3 "$T/few.err")"
# ... and every port is checked before the first starts: a second port
# that lacks the queues leaves the first unstarted, and nothing else is
# stopped or closed
conf second "net_pcap0,rx_pcap=$T/a.pcap" 1
printf '[eal]\nvdev = net_pcap1,rx_pcap=%s\n[ports]\nport = net_pcap1 queues=2\n[lcores]\nrx = 1,0,1\nrx = 1,1,1\n' \
	"$T/a.pcap" >>"$T/second.conf"
timeout 30 "$SYNACKD" -c "$T/second.conf" >/dev/null 2>"$T/second.err"
expect_eq "second port lacks queues exit" $? 3
grep -q "second.conf:.*: port net_pcap1 (net_pcap) has at most 1 RX queues, 2 configured" \
	"$T/second.err" && pass "second port queue limit message" ||
	fail "second port: $(tail -3 "$T/second.err")"
if grep -q -e "started" -e "Invalid port_id" -e "already stopped" "$T/second.err"; then
	fail "a port was started or stopped before every port was checked: $(cat "$T/second.err")"
else
	pass "no port started before every port was checked"
fi
# net_ring: no frame ever arrives (nothing in this process fills the ring);
# the port starts without a TX queue and exit_on_idle stops the run cleanly
conf ring net_ring0 1
sed -i 's/^port = net_pcap0 queues=1$/port = net_ring0/' "$T/ring.conf"
timeout 30 "$SYNACKD" -c "$T/ring.conf" >/dev/null 2>"$T/ring.err"
expect_eq "net_ring exit" $? 0
grep -q "port 0 net_ring0 (net_ring): 1 RX queue" "$T/ring.err" && pass "net_ring port started" ||
	fail "net_ring: $(tail -3 "$T/ring.err")"
expect_eq "net_ring frames" "$(stat_of "$T/ring.err" frames)" 0
finish
