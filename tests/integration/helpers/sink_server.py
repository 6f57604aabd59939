#!/usr/bin/env python3
"""A local sink for the judging tests: accepts TCP connections on
127.0.0.1 (TLS with --cert/--key, any server name), reads until the client
closes, answers nothing.

usage: sink_server.py --port-file F [--cert C --key K]
"""
import argparse
import os
import socketserver
import ssl


class Sink(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while self.request.recv(65536):
                pass
        except (OSError, ssl.SSLError):
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    socketserver.ThreadingTCPServer.daemon_threads = True
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Sink)
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
