#!/bin/bash
# synackctl report --format html drawn by headless Chromium: the DOM has the
# five SVG charts with their bars, and the screenshot shows them (enough
# non-white pixels, both bar colours).  Exit 77 (skipped) without chromium.
set -u
: "${SYNACK_BUILD_ROOT:?run through meson test}"
CTL=$SYNACK_BUILD_ROOT/app/synackctl/synackctl
SYNACKD=$SYNACK_BUILD_ROOT/app/synackd/synackd
GENCAP=$SYNACK_BUILD_ROOT/tests/tools/synack-gencap
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "chromium not installed (apt-get install chromium): skipped"; exit 77; }

T=$(mktemp -d /tmp/synack-report-html.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
expect_eq() { if [ "$2" = "$3" ]; then echo "ok: $1 = $3"; else fail "$1: got '$2', want '$3'"; fi; }

# nine days from a Monday: two weekend days in the bars
"$GENCAP" -o "$T/g.pcap" --seed 12 --start 2025-03-03T00:00:00Z --duration 9d --diurnal 0.6 \
	--synacks 4000 --hosts 40 --scan=50 >/dev/null 2>&1 || { echo "gencap failed" >&2; exit 1; }
"$SYNACKD" --pcap "$T/g.pcap" --internal '198.18.0.0/16, 2001:db8:1::/48' --data-dir "$T/d" \
	>/dev/null 2>"$T/synackd.err" || { cat "$T/synackd.err" >&2; exit 1; }
"$CTL" --data-dir "$T/d" report --format html -o "$T/report.html" || { echo "report failed" >&2; exit 1; }
DAYS=$("$CTL" --data-dir "$T/d" report --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["days"])')

chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" "$@" 2>>"$T/chromium.err"
}

# the DOM as Chromium parsed it
chrome --dump-dom "file://$T/report.html" >"$T/dom.html" || fail "chromium --dump-dom"
python3 - "$T/dom.html" "$DAYS" <<'EOF' || fail "DOM charts"
import re, sys
dom, days = open(sys.argv[1]).read(), int(sys.argv[2])
figs = re.findall(r'<figure class="chart" id="(fig\d)">(.*?)</figure>', dom, re.S)
ids = [f[0] for f in figs]
bad = []
if ids != ["fig1", "fig2", "fig3", "fig4", "fig5"]:
    bad.append("charts: %r" % ids)
for fid, body in figs:
    if "<svg" not in body:
        bad.append("%s: no svg" % fid)
    bars = re.findall(r'<rect class="bar( alt)?" x="[\d.]+" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"><title>', body)
    want = days - 1 if fid == "fig3" else days
    if len(bars) != want:
        bad.append("%s: %d bars, want %d" % (fid, len(bars), want))
    if fid in ("fig1", "fig2", "fig5"):
        if not any(float(b[3]) > 1 for b in bars):
            bad.append("%s: all bars flat" % fid)
        if sum(1 for b in bars if b[0]) != 2:
            bad.append("%s: want 2 weekend bars" % fid)
    print("ok: %s: %d bars" % (fid, len(bars)))
if bad:
    sys.exit("\n".join(bad))
EOF

# the screenshot: decode the PNG (zlib, no PIL) and look at the pixels
chrome --screenshot="$T/shot.png" --window-size=1200,2000 "file://$T/report.html" >/dev/null ||
	fail "chromium --screenshot"
python3 - "$T/shot.png" <<'EOF' || fail "screenshot"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "want 8-bit RGB(A)"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, rows, i = bytearray(stride), [], 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
nonwhite = blue = orange = 0
for line in rows:
    for x in range(0, stride, bpp):
        r, g, b = line[x], line[x + 1], line[x + 2]
        if r < 240 or g < 240 or b < 240: nonwhite += 1
        if abs(r - 0x3b) < 12 and abs(g - 0x6f) < 12 and abs(b - 0xb6) < 12: blue += 1
        if abs(r - 0xe8) < 12 and abs(g - 0x91) < 12 and abs(b - 0x3a) < 12: orange += 1
total = w * h
print("ok: %dx%d screenshot: %.1f %% non-white, %d weekday-bar pixels, %d weekend-bar pixels"
      % (w, h, 100.0 * nonwhite / total, blue, orange))
assert nonwhite > total * 0.03, "nearly blank"
assert blue > 5000, "no weekday bars drawn"
assert orange > 1000, "no weekend bars drawn"
EOF

if [ "$FAILS" -ne 0 ]; then
	cp "$T/report.html" "$T/shot.png" /tmp/ 2>/dev/null && echo "kept /tmp/report.html, /tmp/shot.png" >&2
	echo "$FAILS failure(s)" >&2
	exit 1
fi
exit 0
