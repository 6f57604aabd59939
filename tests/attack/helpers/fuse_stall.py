#!/usr/bin/env python3
"""fuse_stall.py - a FUSE file system an agent serves itself, speaking the
kernel's protocol on /dev/fuse directly (no libfuse): it holds, unanswered,
every request a thread of the process --stall-pid sends (the collector: a
loop blocked in open(2) or stat(2) on it is silenced), and answers the
others.  Its root holds two files, each a copy of --source: "agent"
(mode 0755, to exec) and "libstall.so" (to open as a shared object).
Attributes and names are never cached (validity 0): every access by path
asks the server.

  fuse_stall.py --mount DIR --source FILE --stall-pid PID --ready FILE --log FILE

--ready is written once mounted; --log gets one line per request held
("held OPCODE pid TID"), flushed at once.  SIGTERM unmounts (lazily) and
exits; the held requests then fail (the connection is gone).
"""
import argparse
import ctypes
import errno
import os
import signal
import stat
import struct
import sys
import time

LOOKUP, FORGET, GETATTR, OPEN, READ, STATFS, RELEASE = 1, 2, 3, 14, 15, 17, 18
FLUSH, INIT, OPENDIR, READDIR, RELEASEDIR, INTERRUPT = 25, 26, 27, 28, 29, 36
DESTROY, BATCH_FORGET = 38, 42
NO_REPLY = (FORGET, BATCH_FORGET, INTERRUPT)
IN_HDR = struct.Struct("<IIQQIIIHH")   # len opcode unique nodeid uid gid pid extlen pad
OUT_HDR = struct.Struct("<IiQ")        # len error unique
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")

libc = ctypes.CDLL(None, use_errno=True)


def tgid(tid):
    try:
        with open("/proc/%d/status" % tid) as f:
            for line in f:
                if line.startswith("Tgid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


class Server:
    def __init__(self, a):
        self.a = a
        with open(a.source, "rb") as f:
            self.data = f.read()
        now = int(time.time())
        self.nodes = {1: (stat.S_IFDIR | 0o755, 0), 2: (stat.S_IFREG | 0o755, len(self.data)),
                      3: (stat.S_IFREG | 0o644, len(self.data))}
        self.names = {b"agent": 2, b"libstall.so": 3}
        self.now = now
        self.log = open(a.log, "a", buffering=1)
        self.fd = os.open("/dev/fuse", os.O_RDWR)

    def mount(self):
        opts = "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other" % self.fd
        if libc.mount(b"fuse_stall", self.a.mount.encode(), b"fuse.stall", 0, opts.encode()):
            e = ctypes.get_errno()
            sys.exit("mount: %s" % os.strerror(e))

    def attr(self, node):
        mode, size = self.nodes[node]
        t = self.now
        return ATTR.pack(node, size, (size + 511) // 512, t, t, t, 0, 0, 0, mode,
                         2 if stat.S_ISDIR(mode) else 1, 0, 0, 0, 4096, 0)

    def reply(self, unique, err=0, body=b""):
        try:
            os.write(self.fd, OUT_HDR.pack(OUT_HDR.size + len(body), -err, unique) + body)
        except OSError as e:
            if e.errno != errno.ENOENT:  # the request was interrupted
                raise

    def handle(self, op, unique, node, body):
        if op == INIT:
            major, minor, readahead, _flags = struct.unpack_from("<IIII", body)
            out = struct.pack("<IIIIHHIIHHII", 7, 31, readahead, 0, 16, 12, 131072, 1,
                              32, 0, 0, 0) + b"\0" * 24
            return self.reply(unique, 0, out)
        if op == LOOKUP:
            name = body.split(b"\0", 1)[0]
            child = self.names.get(name) if node == 1 else None
            if not child:
                return self.reply(unique, errno.ENOENT)
            return self.reply(unique, 0, struct.pack("<QQQQII", child, 0, 0, 0, 0, 0)
                              + self.attr(child))
        if op == GETATTR and node in self.nodes:
            return self.reply(unique, 0, struct.pack("<QII", 0, 0, 0) + self.attr(node))
        if op in (OPEN, OPENDIR):
            return self.reply(unique, 0, struct.pack("<QII", 0, 0, 0))
        if op == READ:
            _fh, off, size = struct.unpack_from("<QQI", body)
            return self.reply(unique, 0, self.data[off:off + size] if node != 1 else b"")
        if op == READDIR:
            return self.reply(unique, 0, b"")
        if op in (RELEASE, RELEASEDIR, FLUSH):
            return self.reply(unique, 0)
        return self.reply(unique, errno.ENOSYS)

    def serve(self):
        while True:
            try:
                req = os.read(self.fd, (1 << 20) + 65536)
            except OSError as e:
                if e.errno in (errno.EINTR, errno.ENOENT, errno.EAGAIN):
                    continue
                if e.errno == errno.ENODEV:  # unmounted
                    return
                raise
            _len, op, unique, node, _uid, _gid, pid, _x, _p = IN_HDR.unpack_from(req)
            if op == DESTROY:
                return
            if op in NO_REPLY:
                continue
            if pid and tgid(pid) == self.a.stall_pid:
                self.log.write("held %d pid %d\n" % (op, pid))
                continue  # never answered while this server lives
            self.handle(op, unique, node, req[IN_HDR.size:])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mount", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--stall-pid", type=int, required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--log", required=True)
    a = p.parse_args()
    s = Server(a)
    s.mount()

    def stop(*_):
        libc.umount2(a.mount.encode(), 2)  # MNT_DETACH
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    with open(a.ready, "w") as f:
        f.write("%d\n" % os.getpid())
    s.serve()
    stop()


if __name__ == "__main__":
    main()
