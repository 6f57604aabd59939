"""mock_world.py - the rest of the internet, on loopback, for mock_api.py --world.

  Resolver(addr, log)   a DNS responder on addr:53/udp answering every A query
                        with addr (AAAA and the rest: no answer), each name
                        logged; run() serves forever
  Certs(cadir)          a test CA (cadir/ca.pem, made when missing) and, per
                        TLS server name, a certificate it signs, made on first
                        use: context(name) is an SSLContext serving that name

Agents started in the namespace with that resolver and the CA trusted
(with_mock.sh --world) reach every host they try, over HTTPS, at the mock,
so that what they send by default is really sent, and seen.
"""
import os
import re
import socket
import ssl
import struct
import subprocess
import threading

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


class Resolver:
    def __init__(self, addr, log):
        self.addr, self.log = addr, log
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 53))

    def answer(self, q):
        if len(q) < 12:
            return None
        tid = struct.unpack("!H", q[:2])[0]
        i, labels = 12, []
        while i < len(q) and q[i] and len(labels) < 64:
            labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
            i += 1 + q[i]
        if i + 5 > len(q):
            return None
        qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
        self.log({"dns": ".".join(labels).lower(), "qtype": qtype})
        an = b""
        if qtype == 1:
            an = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(self.addr)
        hdr = struct.pack("!HHHHHH", tid, 0x8180, 1, 1 if an else 0, 0, 0)
        return hdr + q[12:i + 5] + an

    def run(self):
        while True:
            q, peer = self.sock.recvfrom(512)
            a = self.answer(q)
            if a:
                self.sock.sendto(a, peer)


class Certs:
    def __init__(self, cadir):
        self.dir = cadir
        self.lock = threading.Lock()
        self.ctxs = {}
        self.ca = os.path.join(cadir, "ca.pem")
        self.cakey = os.path.join(cadir, "ca.key")
        if not os.path.exists(self.ca):
            self.openssl("req", "-x509", *EC, "-keyout", self.cakey, "-out", self.ca,
                         "-days", "2", "-subj", "/CN=agentmon test CA",
                         "-addext", "basicConstraints=critical,CA:TRUE",
                         "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    @staticmethod
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def make(self, name):
        base = os.path.join(self.dir, name)
        ext = base + ".ext"
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n" % name)
        self.openssl("req", "-new", *EC, "-keyout", base + ".key", "-out", base + ".csr",
                     "-subj", "/CN=" + name)
        self.openssl("x509", "-req", "-in", base + ".csr", "-CA", self.ca, "-CAkey",
                     self.cakey, "-set_serial", str(int.from_bytes(os.urandom(8), "big")),
                     "-days", "2", "-extfile", ext, "-out", base + ".pem")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(base + ".pem", base + ".key")
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def context(self, name):
        name = (name or "localhost").lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,200}", name):
            name = "localhost"
        with self.lock:
            if name not in self.ctxs:
                self.ctxs[name] = self.make(name)
            return self.ctxs[name]

    def server_context(self):
        """the listening context: picks each connection's certificate by SNI"""
        ctx = self.context("localhost")

        def pick(sock, name, _ctx):
            sock.context = self.context(name)
        ctx.sni_callback = pick
        return ctx
