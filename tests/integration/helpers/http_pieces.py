#!/usr/bin/env python3
"""A client that sends bytes in the pieces it is given, one write (one TLS
record) each, with TCP_NODELAY and a pause between them so that each piece
is its own TCP segment too.  Pieces are Python string escapes ("\\r\\n",
"\\x00"); "@N*C" is the byte C repeated N times.

usage: http_pieces.py [--tls SERVER_NAME] [--conns N] PORT PIECE...
--tls: TLS to 127.0.0.1:PORT with that server name (SNI), not verified.
--conns: the same pieces over N connections, one after the other.
"""
import argparse
import socket
import ssl
import time


def piece(text):
    if text.startswith("@") and "*" in text:
        n, c = text[1:].split("*", 1)
        return c.encode() * int(n)
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def one(a, pieces):
    s = socket.create_connection(("127.0.0.1", a.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname=a.tls)
    for i, p in enumerate(pieces):
        if i:
            time.sleep(0.05)
        s.sendall(p)
    time.sleep(0.05)
    s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tls")
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("port", type=int)
    ap.add_argument("pieces", nargs="+")
    a = ap.parse_args()
    pieces = [piece(p) for p in a.pieces]
    for _ in range(a.conns):
        one(a, pieces)


if __name__ == "__main__":
    main()
