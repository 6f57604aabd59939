#!/bin/bash
# The kernel's record buffers under concurrent packet and syscall load
# (issue 11): a softirq's cgroup skb program can interrupt a syscall-exit
# program that is building a record on the same CPU.  Tagged processes send
# large requests on loopback (each byte of a request names its pid) while
# other tagged processes open paths naming their pid, and an untagged one
# opens too.  Every record the collector got decodes (status: 0 undecodable,
# no such drop event), and every open and data record in the trace carries
# only its own process's bytes.
. "$(dirname "$0")/lib.sh"

load=$(ev_build scratch_load "$AT_HELPERS/scratch_load.c") || fail "cannot build scratch_load.c"
bg "$load" sink "$T/port"
wait_file "$T/port" 10
PORT=$(cat "$T/port")
SECS=${SCRATCH_SECS:-5}
mkdir -p "$T/o"

# alerts and drops printed (the rest is counted and recorded): the check reads the trace
start_collector --record "$T/traces" --print alerts
pids=()
for i in 1 2; do
	launch sender "$load" send "$PORT" "$SECS" 65536 &
	pids+=($!)
	launch opener "$load" open "$T/o" "$SECS" &
	pids+=($!)
done
"$load" open "$T/o" "$SECS" &
pids+=($!)
for p in "${pids[@]}"; do
	wait "$p" || fail "a load process failed (pid $p, exit $?; its stderr is above)"
done
am status --json --socket "$SOCK" >"$T/status.json" || fail "status failed"
bad=$("$PY" -c 'import json, sys
def find(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "undecodable_records":
                return v
            r = find(v)
            if r is not None:
                return r
print(find(json.load(open(sys.argv[1]))))' "$T/status.json")
[ "$bad" = 0 ] || fail "status counts $bad undecodable records (want 0): $(cat "$T/status.json")"
# records lost to busy scratch buffers are shown on their own, within the drops
"$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
busy = s["degraded"]["scratch_busy"]
assert isinstance(busy, int) and 0 <= busy <= s["drops"]["total"], (busy, s["drops"])' \
	"$T/status.json" || fail "status degraded.scratch_busy missing or over the drops: $(cat "$T/status.json")"
am status --socket "$SOCK" | grep -q "records lost (scratch buffers busy)" ||
	fail "status text lacks the records lost to busy scratch buffers"
am status --socket "$SOCK" | grep -q "secrets: .* bytes masked" ||
	fail "status text lacks the scrubber's figures"
stop_collector TERM 15000 # drains what the kernel delivered
expect_none type=drop reason~undecodable
grep -q undecodable "$OUT" && fail "an undecodable record: $(grep undecodable "$OUT" | head -3)"

files=("$T"/traces/agentmon-*.amtrace)
[ -f "${files[0]}" ] || fail "no trace file"
# every kernel record in the traces: its bytes against its header's pid
"$PY" - "$T/o" "$PORT" "${files[@]}" >"$T/check.out" <<'P' || fail "records inconsistent with their header: $(head -c 3000 "$T/check.out")"
import re, struct, sys, zlib
odir, port = sys.argv[1].encode(), int(sys.argv[2])
n_open = n_data = bad = 0
head_re = re.compile(rb"POST /s/(\d+)/\d+ HTTP/1\.1\r\nHost: h(\d+)\r\nContent-Length: \d+\r\n\r\n")

def problem(what, pid, data):
    global bad
    bad += 1
    if bad <= 10:
        print(what, "pid", pid, data[:200])

def check_open(pid, rec):
    global n_open
    plen = struct.unpack_from("<H", rec, 72)[0]
    path = rec[80:80 + plen].rstrip(b"\0")
    if pid in loaders and (re.search(rb"[^\x21-\x7e]", path) or b"[" in path or b"POST" in path):
        problem("open path of another record", pid, path)
    if not path.startswith(odir + b"/"):
        return
    n_open += 1
    if path.count(b"/") != odir.count(b"/") + 1 or \
            not re.fullmatch(rb"%d-\d+" % pid, path[len(odir) + 1:]):
        problem("open path", pid, path)

def check_data(pid, rec):
    global n_data
    dport, cap, source = struct.unpack_from("<H", rec, 108)[0], \
        struct.unpack_from("<H", rec, 114)[0], rec[117]
    if source != 1 or dport != port:
        if pid in senders:
            problem("a sender's data record to another place", pid, rec[56:120])
        return
    if not cap:
        return
    n_data += 1
    p = rec[120:120 + cap]
    m = head_re.match(p)
    if m:
        if int(m.group(1)) != pid or int(m.group(2)) != pid:
            problem("head", pid, p)
        p = p[m.end():]
    if p.startswith(b"POST") or re.search(rb"[^0-9\[\]]", p) or \
            any(int(x) != pid for x in re.findall(rb"\[(\d+)\]", p)):
        problem("body", pid, p)

def records():
    return [r for path in sys.argv[3:] for r in file_records(path)]

def file_records(path):
    b = open(path, "rb").read()
    off = struct.unpack_from("<I", b, 12)[0]
    while off + 16 <= len(b):
        _, stored, raw, _ = struct.unpack_from("<4sIII", b, off)
        blk = zlib.decompress(b[off + 16:off + 16 + stored])
        off += 16 + stored
        e = 0
        while e + 8 <= len(blk):
            ln, kind = struct.unpack_from("<IH", blk, e)
            rec = blk[e + 8:e + 8 + ln]
            e += 8 + ((ln + 7) & ~7)
            if kind == 1 and len(rec) >= 56:
                yield struct.unpack_from("<I", rec, 8)[0], struct.unpack_from("<H", rec, 32)[0], rec

all_records = records()
# the senders: the pids their request heads name
senders = {int(m.group(1)) for _, typ, rec in all_records if typ == 11
           for m in [head_re.search(rec[120:])] if m}
openers = {pid for pid, typ, rec in all_records if typ == 4 and odir + b"/" in rec[80:]}
loaders = senders | openers
for pid, typ, rec in all_records:
    if typ == 4:
        check_open(pid, rec)
    elif typ == 11:
        check_data(pid, rec)
print(n_open, n_data, bad, len(senders))
sys.exit(1 if bad else 0)
P
read -r n_open n_data _ n_senders <"$T/check.out"
[ "$n_senders" -eq 2 ] || fail "the trace names $n_senders senders, want 2"
[ "$n_open" -ge 1000 ] || fail "only $n_open open records of the load in the trace"
[ "$n_data" -ge 100 ] || fail "only $n_data data records of the load in the trace"
pass "0 undecodable records; $n_open open and $n_data data records of the load each hold only their process's bytes"
