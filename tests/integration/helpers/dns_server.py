#!/usr/bin/env python3
"""Tiny DNS responder for the detection tests: answers A queries for names
under the given zone with one address (TTL 60), NXDOMAIN otherwise.
usage: dns_server.py ADDR ZONE ANSWER READY_FILE   (binds ADDR:53/udp)
"""
import os
import socket
import struct
import sys

addr, zone, answer, ready = sys.argv[1:5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
with open(ready + ".tmp", "w") as f:
    f.write("ready\n")
os.rename(ready + ".tmp", ready)
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    tid, flags, qd = struct.unpack("!HHH", q[:6])
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
        i += 1 + q[i]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0] if i + 3 <= len(q) else 0
    question = q[12:i + 5]
    name = ".".join(labels).lower()
    ok = name == zone or name.endswith("." + zone)
    an = b""
    if ok and qtype == 1:
        an = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(answer)
    rcode = 0 if ok else 3
    hdr = struct.pack("!HHHHHH", tid, 0x8180 | rcode, 1, 1 if an else 0, 0, 0)
    s.sendto(hdr + question + an, peer)
