#!/usr/bin/env python3
"""An agent that wants the control socket to itself: opens N connections to
the collector's socket and holds them for SECS seconds.  MODE idle sends
nothing (never a request line); MODE tail asks each for a tail stream and
never reads it.  OUT gets "open K" once they are open (K connections the
collector did not refuse at once), then "closed C" each time the
collector closes more of them (EOF, or its "error ..." line).
usage: ctl_hold.py SOCK MODE N OUT SECS"""
import os
import select
import socket
import sys
import time

path, mode, n, out, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])


def say(line):
    with open(out + ".tmp", "w") as f:
        f.write(line + "\n")
    os.replace(out + ".tmp", out)


socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    if mode == "tail":
        s.sendall(b"tail\n")
    socks.append(s)
time.sleep(0.3)
# a connection refused at once has its "error" line waiting, then EOF
refused = [s for s in socks if select.select([s], [], [], 0)[0] and
           s.recv(256, socket.MSG_PEEK).startswith(b"error too many")]
say("open %d" % (n - len(refused)))
if mode == "tail":
    time.sleep(secs)  # streams it never reads
    sys.exit(0)
live = [s for s in socks if s not in refused]
closed = 0
end = time.time() + secs
while time.time() < end and live:
    r, _, _ = select.select(live, [], [], 0.1)
    for s in r:
        data = s.recv(65536)
        if not data or data.startswith(b"error"):
            live.remove(s)
            closed += 1
    if r:
        say("open %d closed %d" % (n - len(refused), closed))
say("open %d closed %d done" % (n - len(refused), closed))
time.sleep(max(0, end - time.time()))
