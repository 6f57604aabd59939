#!/usr/bin/env python3
"""nats_js.py - the test's own JetStream client (the NATS text protocol over
a socket, TLS when the server asks for it), to create the stream the
collector publishes to and to read back what it holds.

  nats_js.py [conn options] create STREAM SUBJECT...   create a file stream
                                                        (duplicate window 2 min)
  nats_js.py [conn options] dump STREAM                 every message, one JSON
                                                        line: {"seq","subject","id","body"}
  nats_js.py [conn options] count STREAM [FILTER]       messages in the stream (on
                                                        subjects matching FILTER)
  nats_js.py [conn options] ping                        connects, logs in (exit 0)

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
        self.pushed = []
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

    def next_msg(self):
        """the next MSG/HMSG: (sid, subject, reply, header bytes, payload)"""
        while True:
            w = self.line().split()
            if not w:
                continue
            if w[0] == "PING":
                self.send(b"PONG\r\n")
            elif w[0] == "-ERR":
                raise SystemExit("nats_js: " + " ".join(w))
            elif w[0] == "MSG":
                data = self.take(int(w[-1]))
                return w[2], w[1], w[3] if len(w) == 5 else None, b"", data
            elif w[0] == "HMSG":
                data = self.take(int(w[-1]))
                hl = int(w[-2])
                return w[2], w[1], w[3] if len(w) == 6 else None, data[:hl], data[hl:]

    def reply(self):
        """the next answer to a request (sid 1): (token, payload); deliveries kept aside"""
        while True:
            m = self.next_msg()
            if m[0] != "1":
                self.pushed.append(m)
            else:
                return m[1].rsplit(".", 1)[1], m[4]

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


def msg_id(hdr):
    for ln in hdr.decode().split("\r\n")[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == "nats-msg-id":
            return v.strip()
    return None


def dump(n, stream):
    """every message, from a push consumer (no acks) delivering to our inbox (sid 2)"""
    total = n.call("$JS.API.STREAM.INFO." + stream, {})["state"]["messages"]
    if not total:
        return
    n.send(b"SUB _INBOX.push 2\r\n")
    n.call("$JS.API.CONSUMER.CREATE." + stream,
           {"stream_name": stream, "config": {"deliver_policy": "all", "ack_policy": "none",
                                              "deliver_subject": "_INBOX.push",
                                              "replay_policy": "instant"}})
    out = {}
    while len(out) < total:
        sid, subject, reply, hdr, data = n.pushed.pop(0) if n.pushed else n.next_msg()
        if sid != "2" or not reply:
            continue
        # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>
        out[int(reply.split(".")[5])] = (subject, hdr, data)
    for seq in sorted(out):
        subject, hdr, data = out[seq]
        print(json.dumps({"seq": seq, "subject": subject, "id": msg_id(hdr),
                          "body": data.decode()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--ca")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("cmd", choices=["create", "dump", "count", "ping"])
    p.add_argument("stream", nargs="?")
    p.add_argument("subjects", nargs="*")
    a = p.parse_args()
    n = Nats(a)
    if a.cmd == "ping":
        return 0
    if a.cmd == "create":
        n.call("$JS.API.STREAM.CREATE." + a.stream,
               {"name": a.stream, "subjects": a.subjects, "storage": "file",
                "duplicate_window": 120 * 10**9})
    elif a.cmd == "count" and a.subjects:
        st = n.call("$JS.API.STREAM.INFO." + a.stream, {"subjects_filter": a.subjects[0]})
        print(sum(st["state"].get("subjects", {}).values()))
    elif a.cmd == "count":
        print(n.call("$JS.API.STREAM.INFO." + a.stream, {})["state"]["messages"])
    else:
        dump(n, a.stream)


if __name__ == "__main__":
    sys.exit(main())
