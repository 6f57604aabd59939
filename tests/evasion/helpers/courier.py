#!/usr/bin/env python3
"""An untagged local service that acts for whoever talks to it, for the
evasion tests: listens on the Unix stream socket PATH; for each connection
reads everything, then POSTs it to http://127.0.0.1:PORT/courier with
"Host: HOST" and appends the HTTP status to LOG.  Creates PATH, then runs
until killed.
usage: courier.py PATH PORT HOST LOG"""
import http.client
import os
import socket
import sys

path, port, host, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path + ".tmp")
s.listen(8)
os.rename(path + ".tmp", path)
while True:
    c, _ = s.accept()
    data = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        data += b
    c.close()
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    h.request("POST", "/courier", body=data, headers={"Host": host})
    status = h.getresponse().status
    h.close()
    with open(log, "a") as f:
        f.write("%d %d\n" % (status, len(data)))
