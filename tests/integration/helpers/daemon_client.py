"""Run inside a launched agent: fork, setsid, fork again (a daemon, reparented
away from its tree), then from the daemon: TCP connect to 127.0.0.1:V4 and
send a few bytes, UDP sendto 127.0.0.1:UDP, TCP connect to [::1]:V6 when V6
is not 0.  Writes "PID PPID_BEFORE PPID_AFTER" to DONE when finished.
usage: daemon_client.py V4 V6 UDP DONE"""
import os
import socket
import sys
import time

v4, v6, udp = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
done = sys.argv[4]

if os.fork() == 0:
    os.setsid()
    mid = os.getpid()
    if os.fork() == 0:
        # the daemon: wait until the middle process is gone
        for _ in range(200):
            if os.getppid() != mid:
                break
            time.sleep(0.01)
        after = os.getppid()
        # blocking sockets (no timeout), so that connect returns 0
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect(("127.0.0.1", v4))
        s.sendall(b"hello over tcp")
        s.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"12345678", ("127.0.0.1", udp))
        u.close()
        if v6:
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.connect(("::1", v6))
            s.close()
        tmp = done + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d %d %d\n" % (os.getpid(), mid, after))
        os.rename(tmp, done)
        os._exit(0)
    os._exit(0)
os.wait()
