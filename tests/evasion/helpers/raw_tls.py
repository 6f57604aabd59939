#!/usr/bin/env python3
"""What a TLS stack agentmon has no uprobe for (Go, rustls, NSS...) puts on
the wire, written by hand for the evasion tests: a ClientHello naming SNI
(none when SNI is "-"), then BYTES of TLS application-data records, on a new
TCP connection to ADDR:PORT; waits a moment as a client waiting for its
answer, then closes.
usage: raw_tls.py ADDR PORT SNI BYTES"""
import socket
import struct
import sys
import time

addr, port, sni, total = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = socket.create_connection((addr, port))
if sni != "-":
    host = sni.encode()
    ext = struct.pack("!HHHBH", 0, len(host) + 5, len(host) + 3, 0, len(host)) + host
    body = b"\x03\x03" + b"\x07" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    s.sendall(b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs)
while total > 0:
    n = min(total, 8192)
    s.sendall(b"\x17\x03\x03" + struct.pack("!H", n) + b"\xaa" * n)
    total -= n
time.sleep(0.3)
s.close()
