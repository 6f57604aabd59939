#!/usr/bin/env python3
"""Local test web server for the detection tests: HTTP/1.1 over TLS (or
cleartext with --plain), answers every method with 200 and a short body,
and logs each request as one JSON line (method, path, host, bytes) so a test
can check what the server really received.

usage: https_server.py --port-file F --log F [--cert C --key K] [--plain]
Binds 127.0.0.1 on a free port and writes the port to --port-file.
"""
import argparse
import json

import testserver


class Handler(testserver.Handler):
    def _any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with open(self.server.log_path, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "host": self.headers.get("Host"),
                                "bytes": len(body)}) + "\n")
        out = b'{"ok":true}\n'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plain", action="store_true")
    a = ap.parse_args()
    testserver.serve(Handler, a.port_file, None if a.plain else a.cert, a.key,
                     log_path=a.log)


if __name__ == "__main__":
    main()
