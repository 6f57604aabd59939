#!/usr/bin/env python3
"""Webhook receiver for the detection tests: accepts POSTs on 127.0.0.1,
checks X-Agentmon-Signature (sha256=HMAC of the body with the secret) and
logs one JSON line per delivery: alert id header, signature_ok, the body.

usage: webhook_receiver.py --port P --secret-file F --log F
Fixed port (given), so a test can stop it and start it again on the same URL.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        want = "sha256=" + hmac.new(self.server.secret, body, hashlib.sha256).hexdigest()
        got = self.headers.get("X-Agentmon-Signature", "")
        rec = {"id": self.headers.get("X-Agentmon-Alert-Id"),
               "t_ns": time.time_ns(),
               "signature_ok": hmac.compare_digest(want, got),
               "body": json.loads(body or b"null")}
        with open(self.server.log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    with open(a.secret_file, "rb") as f:
        srv.secret = f.read().rstrip(b"\n")
    srv.log = a.log
    srv.serve_forever()


if __name__ == "__main__":
    main()
