#!/usr/bin/env python3
"""Untagged sink for the evasion tests: a TCP listener (accepts, reads until
EOF) and a UDP socket (reads and drops) on ADDR, on free ports.  Writes
"TCPPORT UDPPORT" to PORT_FILE (atomically) when ready; runs until killed.
usage: sink.py ADDR PORT_FILE"""
import os
import socket
import sys
import threading

addr, port_file = sys.argv[1:3]


def drain(c):
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()


def serve_tcp(s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=drain, args=(c,), daemon=True).start()


def serve_udp(u):
    while True:
        u.recv(65536)


t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((addr, 0))
t.listen(64)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((addr, 0))
threading.Thread(target=serve_tcp, args=(t,), daemon=True).start()
with open(port_file + ".tmp", "w") as f:
    f.write("%d %d\n" % (t.getsockname()[1], u.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
serve_udp(u)
