#!/usr/bin/env python3
# h2_client.py - an HTTP/2 client over TLS (ALPN h2) that writes its frames
# itself, so that a test chooses what the header block looks like: the order
# of the pseudo-headers (:method after a long :path), its size, and how it is
# split into HEADERS + CONTINUATION frames.  The whole request (header block
# and body) goes out in ONE write (one SSL_write), the worst case for a
# capture that keeps the first bytes of each write.  HPACK: literals without
# indexing (static-table names), no Huffman, so the bytes are predictable.
# Waits for the response's HEADERS and prints its :status (0 if none came).
#
# usage: h2_client.py HOST PORT --ca CERT [--method M] [--path P]
#        [--method-last] [--header NAME=VALUE]... [--frame-max N] [--body B]
import argparse
import socket
import ssl
import struct
import sys

STATIC = {":authority": 1, ":method": 2, ":path": 4, ":scheme": 6}


def hint(v, prefix, first):
    """an HPACK integer with an n-bit prefix, first byte's high bits in first"""
    m = (1 << prefix) - 1
    if v < m:
        return bytes([first | v])
    out = [first | m]
    v -= m
    while v >= 128:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def literal(name, value):
    v = value.encode()
    if name in STATIC:   # literal without indexing, indexed name
        return hint(STATIC[name], 4, 0) + hint(len(v), 7, 0) + v
    n = name.encode()
    return b"\x00" + hint(len(n), 7, 0) + n + hint(len(v), 7, 0) + v


def frame(ftype, flags, sid, payload):
    n = len(payload)
    return struct.pack(">BHBBI", n >> 16, n & 0xFFFF, ftype, flags, sid) + payload


def read_frame(s):
    hdr = b""
    while len(hdr) < 9:
        b = s.recv(9 - len(hdr))
        if not b:
            return None
        hdr += b
    n = hdr[0] << 16 | hdr[1] << 8 | hdr[2]
    body = b""
    while len(body) < n:
        b = s.recv(n - len(body))
        if not b:
            return None
        body += b
    return hdr[3], hdr[4], struct.unpack(">I", hdr[5:9])[0] & 0x7FFFFFFF, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--method", default="POST")
    ap.add_argument("--path", default="/")
    ap.add_argument("--method-last", action="store_true")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--frame-max", type=int, default=16384)
    ap.add_argument("--body", default="hello")
    a = ap.parse_args()

    fields = [(":path", a.path), (":scheme", "https"), (":authority", a.host)]
    meth = (":method", a.method)
    fields = fields + [meth] if a.method_last else [meth] + fields
    fields += [tuple(h.split("=", 1)) for h in a.header]
    block = b"".join(literal(n, v) for n, v in fields)

    ctx = ssl.create_default_context(cafile=a.ca)
    ctx.set_alpn_protocols(["h2"])
    s = ctx.wrap_socket(socket.create_connection((a.host, a.port), timeout=10),
                        server_hostname=a.host)
    if s.selected_alpn_protocol() != "h2":
        sys.exit("server did not select h2")
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
    req = b""
    chunks = [block[i:i + a.frame_max] for i in range(0, len(block), a.frame_max)]
    for i, c in enumerate(chunks):
        flags = 0x04 if i == len(chunks) - 1 else 0
        req += frame(1 if i == 0 else 9, flags, 1, c)
    req += frame(0, 0x01, 1, a.body.encode())
    s.sendall(req)                      # one SSL_write
    status = 0
    while True:
        try:
            f = read_frame(s)
        except (socket.timeout, ssl.SSLError, OSError):
            f = None
        if f is None:
            break
        ftype, flags, sid, body = f
        if ftype == 4 and not flags & 1:
            s.sendall(frame(4, 1, 0, b""))
        elif ftype == 7 or (ftype == 3 and sid == 1):   # GOAWAY, RST_STREAM
            break
        elif ftype == 1 and sid == 1:
            status = 200 if body[:1] == b"\x88" else -1
            break
    print(status)
    s.close()


if __name__ == "__main__":
    main()
