#!/usr/bin/env python3
"""Local HTTPS (HTTP/1.1) server whose answers wait for the test: a request
to PATH is logged by writing DIR/got.N (N: 1, 2, ... in arrival order), then
held until DIR/go.N exists, then answered with 200 and DIR/answer (its
Content-Length given) when the path is a model API path, else {"ok":true}.

usage: hold_server.py PORT_FILE DIR CERT KEY
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testserver  # noqa: E402

LOCK = threading.Lock()
SEEN = [0]


class Handler(testserver.Handler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        d = self.server.dir
        with LOCK:
            SEEN[0] += 1
            k = SEEN[0]
        with open(os.path.join(d, "got.%d.tmp" % k), "w") as f:
            f.write(self.path + "\n")
        os.rename(os.path.join(d, "got.%d.tmp" % k), os.path.join(d, "got.%d" % k))
        while not os.path.exists(os.path.join(d, "go.%d" % k)):
            time.sleep(0.02)  # waiting for the test, not a timing assertion
        if self.path.split("?")[0].endswith("/v1/messages"):
            out = open(os.path.join(d, "answer"), "rb").read()
            ctype = "text/event-stream"
        else:
            out, ctype = b'{"ok":true}\n', "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


if __name__ == "__main__":
    port_file, d, cert, key = sys.argv[1:5]
    testserver.serve(Handler, port_file, cert, key, dir=d)
