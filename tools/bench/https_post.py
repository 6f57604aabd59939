#!/usr/bin/env python3
"""HTTPS POST load for `make bench` (not a test).

  https_post.py posts PORT N        N small POSTs on one keep-alive TLS
                                    connection, after WARM untimed ones
                                    (the handshake, the server's thread,
                                    caches); prints ns per request
  https_post.py latency PORT K LOG  K POSTs, each to its own host name
                                    (b<i>.bench.example, as SNI and Host) on a
                                    new connection, so that each one alerts;
                                    appends "host send_ns" lines to LOG
The server is on 127.0.0.1:PORT with any certificate (not verified).
"""
import gc
import http.client
import socket
import ssl
import sys
import time

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


class Conn(http.client.HTTPSConnection):
    """connects to 127.0.0.1 but names `host` in SNI and Host"""

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = CTX.wrap_socket(sock, server_hostname=self.host)


WARM = 50


def posts(port, n):
    c = Conn("forum.bench.example", port, context=CTX)
    body = b'{"text":"benchmark post"}'
    for _ in range(WARM):
        c.request("POST", "/api/posts", body=body)
        c.getresponse().read()
    gc.collect()
    gc.disable()  # no collection pause inside the timed loop
    t0 = time.perf_counter_ns()
    for _ in range(n):
        c.request("POST", "/api/posts", body=body)
        c.getresponse().read()
    print((time.perf_counter_ns() - t0) // n)


def latency(port, k, log):
    with open(log, "a") as f:
        for i in range(k):
            host = "b%d.bench.example" % i
            c = Conn(host, port, context=CTX)
            c.connect()
            f.write("%s %d\n" % (host, time.time_ns()))
            c.request("POST", "/api/posts", body=b"x")
            c.getresponse().read()
            c.close()
            time.sleep(0.02)


if __name__ == "__main__":
    if sys.argv[1] == "posts":
        posts(int(sys.argv[2]), int(sys.argv[3]))
    else:
        latency(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
