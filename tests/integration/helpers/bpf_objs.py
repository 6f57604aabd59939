#!/usr/bin/env python3
"""The BPF objects a process holds, from /proc/PID/fd and fdinfo (bpftool
here may lack the `pids` feature), and a few map edits by map id.

usage:
  bpf_objs.py links PID [TYPE]      ids of the BPF links PID holds (of TYPE,
                                    e.g. raw_tracepoint), one per line
  bpf_objs.py map PID NAME          id of the map NAME that PID holds
  bpf_objs.py put ID KEY VALUE SIZE map ID: KEY (u32) -> VALUE (SIZE bytes,
                                    little-endian)
  bpf_objs.py has ID KEY            exit 0 when map ID has KEY (u32)
  bpf_objs.py untag PINDIR TGID     delete TGID from PINDIR/tagged and clear
                                    its bit in PINDIR/tagged_bits (a read,
                                    modify, write: the test's own tags only)
"""
import json
import os
import subprocess
import sys


def fdinfo(pid):
    """(target, {field: value}) of every fd of pid"""
    base = "/proc/%s/fd" % pid
    for fd in os.listdir(base):
        try:
            target = os.readlink(os.path.join(base, fd))
            with open("/proc/%s/fdinfo/%s" % (pid, fd)) as f:
                fields = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        except OSError:
            continue
        yield target, fields


def hexbytes(value, size):
    return ["0x%02x" % b for b in value.to_bytes(size, "little")]


def bpftool(*args, check=True):
    r = subprocess.run(["bpftool", "-j"] + list(args), capture_output=True, text=True)
    if check and r.returncode:
        sys.exit("bpftool %s: %s" % (" ".join(args), r.stderr.strip()))
    return r


def main(argv):
    cmd = argv[1]
    if cmd == "links":
        for target, f in fdinfo(argv[2]):
            if target == "anon_inode:bpf_link" and (len(argv) < 4 or f.get("link_type") == argv[3]):
                print(f["link_id"])
    elif cmd == "map":
        for target, f in fdinfo(argv[2]):
            if target == "anon_inode:bpf-map" and "map_id" in f:
                info = json.loads(bpftool("map", "show", "id", f["map_id"]).stdout)
                if info.get("name") == argv[3]:
                    print(f["map_id"])
                    return 0
        return 1
    elif cmd == "put":
        bpftool("map", "update", "id", argv[2], "key", *hexbytes(int(argv[3]), 4),
                "value", *hexbytes(int(argv[4]), int(argv[5])))
    elif cmd == "has":
        return 0 if bpftool("map", "lookup", "id", argv[2], "key", *hexbytes(int(argv[3]), 4),
                            check=False).returncode == 0 else 1
    elif cmd == "untag":
        pin, tgid = argv[2], int(argv[3])
        bpftool("map", "delete", "pinned", pin + "/tagged", "key", *hexbytes(tgid, 4))
        word = hexbytes(tgid >> 6, 4)
        got = json.loads(bpftool("map", "lookup", "pinned", pin + "/tagged_bits", "key", *word).stdout)
        bits = int.from_bytes(bytes(int(b, 16) for b in got["value"]), "little")
        bits &= ~(1 << (tgid & 63))
        bpftool("map", "update", "pinned", pin + "/tagged_bits", "key", *word,
                "value", *hexbytes(bits, 8))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
