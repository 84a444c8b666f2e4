#!/usr/bin/env python3
# tests/faults/flood.py - floods synackd's control socket for a bounded time:
# many short connections, garbage bytes, over-long lines, NUL bytes, idle
# connections kept open beyond the client limit, and pipelined requests.
# Prints one line: connections made, replies seen, and whether a normal
# 'version' request was answered at the end.
import os, random, socket, sys, time

path, seconds = sys.argv[1], float(sys.argv[2])
rng = random.Random(7)
end = time.monotonic() + seconds
made = replies = 0
idle = []


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(0.5)
    s.connect(path)
    return s


def payload():
    k = rng.randrange(6)
    if k == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 512)))
    if k == 1:
        return b"A" * 70000 + b"\n"  # longer than any request may be
    if k == 2:
        return b"status\x00stats\n"
    if k == 3:
        return b"stats\n" * 50  # pipelined
    if k == 4:
        return b" ".join([b"x"] * 100) + b"\n"  # too many arguments
    return b"\n\r\n\t\n" + b"help\n"


while time.monotonic() < end and made < 3000:
    try:
        s = connect()
        made += 1
    except OSError:
        time.sleep(0.01)
        continue
    if len(idle) < 40 and rng.random() < 0.1:
        idle.append(s)  # held open and silent: beyond max_clients
        continue
    try:
        s.sendall(payload())
        s.shutdown(socket.SHUT_WR)
        data = s.recv(65536)
        replies += data.count(b"\n")
    except OSError:
        pass
    s.close()
for s in idle:
    s.close()
# the server may still count the just-closed idle clients for a moment:
# ask again (at most 20 times in about 2 s) until it answers ok
ok = False
last = b""
for attempt in range(20):
    try:
        s = connect()
        s.settimeout(5)
        s.sendall(b"version\n")
        last = s.recv(4096)
        ok = b'"ok":true' in last
        s.close()
    except OSError as e:
        last = str(e).encode()
    if ok:
        break
    time.sleep(0.1)
print(f"connections={made} replies={replies} idle_held={len(idle)} answered_after={ok} "
      f"attempts={attempt + 1} last={last[:120]!r}")
