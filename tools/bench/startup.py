#!/usr/bin/env python3
"""Start-up time of the collector for `make bench` (not a test).

  startup.py AGENTMON DIR RUNS

RUNS times: exec `AGENTMON run --format json --no-record --socket DIR/s.sock`,
wait for the socket to exist, then at once `AGENTMON launch --agent startup
-- /bin/true` (it waits until the collector serves it), and time from the
exec of the collector to: the socket, "collector ready" on its stderr, and
the first event line on its stdout (polled every millisecond).  Prints one
line per run: "socket_ms ready_ms first_event_ms".  Each collector is
stopped (SIGTERM) and its uprobe teardown waited for before the next.
"""
import os
import signal
import subprocess
import sys
import time


def teardown_over(sock):
    """no process is left with SOCK in its command line"""
    me = str(os.getpid())
    needle = sock.encode()
    for p in os.listdir("/proc"):
        if not p.isdigit() or p == me:
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if needle in f.read():
                    return False
        except OSError:
            pass
    return True


def one(agentmon, d, i):
    sock = os.path.join(d, "s.sock")
    out = os.path.join(d, "out%d" % i)
    err = os.path.join(d, "err%d" % i)
    with open(out, "wb") as fo, open(err, "wb") as fe:
        t0 = time.monotonic()
        col = subprocess.Popen([agentmon, "run", "--format", "json", "--no-record",
                                "--socket", sock], stdout=fo, stderr=fe)
    t_sock = t_ready = t_first = None
    launch = None
    try:
        deadline = t0 + 30
        while time.monotonic() < deadline and None in (t_sock, t_ready, t_first):
            now = time.monotonic()
            if t_sock is None and os.path.exists(sock):
                t_sock = now
                launch = subprocess.Popen([agentmon, "launch", "--socket", sock,
                                           "--agent", "startup", "--", "/bin/true"])
            if t_ready is None and b"collector ready" in open(err, "rb").read():
                t_ready = now
            if t_first is None and os.path.getsize(out) > 0:
                t_first = now
            if col.poll() is not None:
                break
            time.sleep(0.001)
        if launch:
            launch.wait(timeout=30)
    finally:
        col.send_signal(signal.SIGTERM)
        col.wait()
        for _ in range(200):
            if teardown_over(sock):
                break
            time.sleep(0.05)
    if None in (t_sock, t_ready, t_first):
        sys.exit("startup: run %d: the collector did not start or no event came: %s"
                 % (i, open(err).read()[-300:]))
    print("%.1f %.1f %.1f" % tuple((t - t0) * 1e3 for t in (t_sock, t_ready, t_first)))


def main():
    agentmon, d, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(d, exist_ok=True)
    for i in range(runs):
        one(agentmon, d, i)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
