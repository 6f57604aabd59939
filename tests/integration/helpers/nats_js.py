#!/usr/bin/env python3
"""nats_js.py - the test's own JetStream client (the NATS text protocol over
a socket, TLS when the server asks for it), to create the stream the
collector publishes to and to read back what it holds.

  nats_js.py [conn options] create STREAM SUBJECT...   create a file stream
                                                        (duplicate window 2 min)
  nats_js.py [conn options] dump STREAM                 every message, one JSON
                                                        line: {"seq","subject","id","body"}
  nats_js.py [conn options] count STREAM                messages in the stream

conn options: --url nats://127.0.0.1:PORT --user U --password P
              --ca CA.pem --cert CERT.pem --key KEY.pem
Exits 1 with the server's error on stderr.
"""
import argparse
import base64
import json
import socket
import ssl
import sys


class Nats:
    def __init__(self, a):
        host, port = a.url.split("://", 1)[1].rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.buf = b""
        info = json.loads(self.line()[5:])
        if info.get("tls_required"):
            ctx = ssl.create_default_context(cafile=a.ca)
            ctx.check_hostname = False
            if a.cert:
                ctx.load_cert_chain(a.cert, a.key)
            self.sock = ctx.wrap_socket(self.sock, server_hostname=host)
        conn = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                "protocol": 1, "name": "agentmon-test"}
        if a.user:
            conn.update(user=a.user, **{"pass": a.password})
        self.send(b"CONNECT " + json.dumps(conn).encode() + b"\r\nPING\r\n")
        self.expect_pong()
        self.send(b"SUB _INBOX.t.* 1\r\n")

    def send(self, data):
        self.sock.sendall(data)

    def fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise SystemExit("nats_js: connection closed")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln.decode()

    def take(self, n):
        while len(self.buf) < n + 2:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def expect_pong(self):
        while True:
            ln = self.line()
            if ln.startswith("-ERR"):
                raise SystemExit("nats_js: " + ln)
            if ln == "PONG":
                return

    def reply(self):
        """the next MSG/HMSG: (reply token, payload)"""
        while True:
            ln = self.line()
            w = ln.split()
            if not w:
                continue
            if w[0] == "PING":
                self.send(b"PONG\r\n")
            elif w[0] == "-ERR":
                raise SystemExit("nats_js: " + ln)
            elif w[0] == "MSG":
                return w[1].rsplit(".", 1)[1], self.take(int(w[-1]))
            elif w[0] == "HMSG":
                data = self.take(int(w[-1]))
                return w[1].rsplit(".", 1)[1], data[int(w[-2]):]

    def request(self, subject, payload, token="0"):
        body = json.dumps(payload).encode()
        self.send(b"PUB %s _INBOX.t.%s %d\r\n%s\r\n" % (subject.encode(), token.encode(),
                                                      len(body), body))

    def call(self, subject, payload):
        self.request(subject, payload)
        _, data = self.reply()
        r = json.loads(data) if data else {}
        if "error" in r:
            raise SystemExit("nats_js: %s: %s" % (subject, r["error"]))
        return r


def msg_id(hdrs):
    for ln in base64.b64decode(hdrs).decode().split("\r\n")[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == "nats-msg-id":
            return v.strip()
    return None


def dump(n, stream):
    info = n.call("$JS.API.STREAM.INFO." + stream, {})
    first, last = info["state"]["first_seq"], info["state"]["last_seq"]
    seqs = list(range(first, last + 1)) if info["state"]["messages"] else []
    for at in range(0, len(seqs), 256):
        batch = seqs[at:at + 256]
        for s in batch:
            n.request("$JS.API.STREAM.MSG.GET." + stream, {"seq": s}, str(s))
        got = {}
        while len(got) < len(batch):
            tok, data = n.reply()
            got[int(tok)] = json.loads(data)
        for s in batch:
            m = got[s].get("message")
            if not m:
                continue
            print(json.dumps({"seq": s, "subject": m["subject"],
                              "id": msg_id(m["hdrs"]) if m.get("hdrs") else None,
                              "body": base64.b64decode(m.get("data", "")).decode()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--ca")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("cmd", choices=["create", "dump", "count"])
    p.add_argument("stream")
    p.add_argument("subjects", nargs="*")
    a = p.parse_args()
    n = Nats(a)
    if a.cmd == "create":
        n.call("$JS.API.STREAM.CREATE." + a.stream,
               {"name": a.stream, "subjects": a.subjects, "storage": "file",
                "duplicate_window": 120 * 10**9})
    elif a.cmd == "count":
        print(n.call("$JS.API.STREAM.INFO." + a.stream, {})["state"]["messages"])
    else:
        dump(n, a.stream)


if __name__ == "__main__":
    sys.exit(main())
