"""Untagged test listener: TCP on 127.0.0.1 and (if it works) ::1, each on a
free port; accepts, reads until EOF, closes.  Writes "v4PORT v6PORT PID"
(v6PORT 0 when ::1 is unusable) to argv[1] when listening, and a line to
argv[1].accepted after each accept (so that a test knows the accept call
was made).  Ends after argv[2] s."""
import os
import socket
import sys
import threading
import time


def serve(s):
    while True:
        try:
            c, _ = s.accept()
        except OSError:
            return
        with open(sys.argv[1] + ".accepted", "a") as f:
            f.write("%d\n" % s.family)
        try:
            c.settimeout(2)
            while c.recv(4096):
                pass
        except OSError:
            pass
        c.close()


def listen(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 0))
    s.listen(64)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
    return s.getsockname()[1]


v4 = listen(socket.AF_INET, "127.0.0.1")
try:
    v6 = listen(socket.AF_INET6, "::1")
except OSError:
    v6 = 0
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write("%d %d %d\n" % (v4, v6, os.getpid()))
os.rename(tmp, sys.argv[1])
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 60)
