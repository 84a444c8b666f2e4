#!/bin/sh
# synackd --pcap on a generated month of SYN+ACKs: gone_service and
# returning_service are those of record time (each service gone at its
# deadline, before its return; a gap of days gives the deadlines in
# between), the same for the file read at full speed and for the same
# records from a slow pipe.
set -eu
B="${SYNACK_BUILD_ROOT:?}"
SYNACKD="$B/app/synackd/synackd"
CTL="$B/app/synackctl/synackctl"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The capture and, from the same list of records, the expected events:
# per service, for each gap between two records, gone_service at the first
# minute at or after last + 7 days (when a record of that minute or later
# came), returning_service when the gap is 7 days or more; gone_service
# after the last record when the last record of the capture is past it.
python3 - "$T/month.pcap" "$T/want" <<'X'
import calendar, socket, struct, sys
DAY, GONE = 86400, 7 * 86400
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def frame(src, dst, sport, dport):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, 1, 2, 5 << 4, 0x12, 65535, 0, 0)
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    c = csum(s + d + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00' + ip + tcp
jan1 = calendar.timegm((2025, 1, 1, 0, 0, 0))
recs = []  # (time, addr, port), in time order
for d in range(1, 31):
    noon = jan1 + (d - 1) * DAY + 12 * 3600
    if d <= 5 or d >= 20: recs.append((noon, '10.0.0.1', 22))
    recs.append((noon, '10.0.0.2', 80))
    if d in (1, 25): recs.append((noon, '10.0.0.3', 443))
    if d == 1: recs.append((noon + 3630, '10.0.0.4', 25))
recs.append((jan1 + 49 * DAY + 12 * 3600, '10.0.0.2', 80))  # 19 days without a record
with open(sys.argv[1], 'wb') as out:
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, (t, a, p) in enumerate(recs):
        f = frame(a, '192.0.2.%d' % (i % 250 + 1), p, 40000)
        out.write(struct.pack('<IIII', t, 0, len(f), len(f)) + f)
up = lambda t: (t + 59) // 60 * 60
end, last, want = recs[-1][0], {}, []
for i, (t, a, p) in enumerate(recs):
    prev = last.get((a, p))
    if prev is not None and up(prev + GONE) <= t:
        want.append((up(prev + GONE), 0, prev, socket.inet_aton(a), 'gone_service', a, p))
    if prev is not None and t - prev >= 7 * DAY:
        want.append((t, 1, i, b'', 'returning_service', a, p))
    last[(a, p)] = t
for (a, p), t in last.items():
    if up(t + GONE) <= end:
        want.append((up(t + GONE), 0, t, socket.inet_aton(a), 'gone_service', a, p))
iso = lambda t: '%04d-%02d-%02dT%02d:%02d:%02dZ' % __import__('time').gmtime(t)[:6]
with open(sys.argv[2], 'w') as f:
    for w in sorted(want):
        f.write('%s %s %s %d\n' % (iso(w[0]), w[4], w[5], w[6]))
X
[ "$(grep -c . "$T/want")" = 9 ] || fail "expected events: $(cat "$T/want")"
grep -q '^2025-01-12T12:00:00Z gone_service 10.0.0.1 22$' "$T/want" || fail "model: $(cat "$T/want")"

got() { # data-dir -> the gone and returning events, one a line
	"$CTL" --data-dir "$1" events --format json --type gone_service,returning_service |
		python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(e["time"], e["type"], e["addr"], e["port"])'
}
"$SYNACKD" --pcap "$T/month.pcap" --internal 10.0.0.0/8 --set learning_days=0 \
	--data-dir "$T/file" >/dev/null 2>"$T/err" || fail "synackd: $(cat "$T/err")"
got "$T/file" >"$T/got.file"
diff -u "$T/want" "$T/got.file" >&2 || fail "file: events differ"

# the same records, one every 20 ms, through a pipe
python3 -c '
import struct, sys, time
b = open(sys.argv[1], "rb").read()
out = sys.stdout.buffer
out.write(b[:24]); out.flush()
i = 24
while i < len(b):
    n = struct.unpack("<I", b[i + 8:i + 12])[0]
    out.write(b[i:i + 16 + n]); out.flush()
    i += 16 + n
    time.sleep(0.02)' "$T/month.pcap" |
	"$SYNACKD" --pcap - --internal 10.0.0.0/8 --set learning_days=0 \
		--data-dir "$T/pipe" >/dev/null 2>"$T/err" || fail "synackd, pipe: $(cat "$T/err")"
got "$T/pipe" >"$T/got.pipe"
diff -u "$T/want" "$T/got.pipe" >&2 || fail "pipe: events differ"
echo "pcap_gone: ok"
