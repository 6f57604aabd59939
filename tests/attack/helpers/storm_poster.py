#!/usr/bin/env python3
"""An agent's alert storm: N POSTs to 127.0.0.1:PORT, each naming another
host (h0.PREFIX, h1.PREFIX, ...), so that each would be an alert of its
own; 100 per keep-alive HTTP/1.1 connection (the collector reads the first
64 KiB of each connection).

usage: storm_poster.py PORT N PREFIX
"""
import http.client
import sys


def main():
    port, n, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    c = None
    for i in range(n):
        if i % 100 == 0:
            if c:
                c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.putrequest("POST", "/api/posts", skip_host=True)
        c.putheader("Host", "h%d.%s" % (i, prefix))
        c.putheader("Content-Length", "2")
        c.endheaders(b"hi")
        c.getresponse().read()
    c.close()


if __name__ == "__main__":
    main()
