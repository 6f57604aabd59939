#!/usr/bin/env python3
"""launch_flood.py SOCKET PREFIX N: N short-lived processes, each asking the
collector to tag it as a new agent (PREFIX-1 .. PREFIX-N), one after the
other, the way `agentmon launch --agent NAME` does (a "launch NAME" line on
the control socket, the peer's pid tagged), then exiting at once.  Prints
how many the collector accepted; exits 1 if one was refused."""
import os
import socket
import sys


def child(path, name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b"launch " + name.encode() + b"\n")
    reply = s.makefile("rb").readline().decode(errors="replace").strip()
    return 0 if reply == "ok %d" % os.getpid() else 1


def main():
    path, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ok = 0
    for i in range(1, n + 1):
        pid = os.fork()
        if not pid:
            try:
                os._exit(child(path, "%s-%d" % (prefix, i)))
            except Exception:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        ok += os.waitstatus_to_exitcode(status) == 0
    print(ok)
    sys.exit(0 if ok == n else 1)


if __name__ == "__main__":
    main()
