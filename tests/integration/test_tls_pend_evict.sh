#!/bin/bash
# A TLS record written with no socket write inside the call waits in the
# kernel (tls_pend) under its thread, its count in the thread's tls_calls
# entry, an LRU map.  When an agent's threads evict that entry, the records
# it counted must not be orphaned silently (fail closed): they are found at
# the thread's next TLS call or its exit and counted as dropped.  The
# collector runs with a tls_calls map of 8 entries (--max-tls-calls, a
# hidden test option); a python agent (ssl.MemoryBIO: SSL_write_ex writes to
# memory) has N threads each write a POST into the memory BIO, wait until
# all have, and exit without a socket write: all N records are lost, and
# status drops.data counts at least N (before, only the ~8 whose entries
# survived were counted).
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "needs openssl"
N=48
tls_server evict.example.net
start_collector --max-tls-calls 8

cat >"$T/evict.py" <<'PYEOF'
import sys, threading
sys.path.insert(0, sys.argv[3]); sys.dont_write_bytecode = True
import membio   # helpers/membio.py: the handshake over memory BIOs
port, n = int(sys.argv[1]), int(sys.argv[2])
sock, obj, out = membio.connect(port, "evict.example.net")
lock, all_wrote = threading.Lock(), threading.Barrier(n)

def post(i):   # SSL_write_ex into memory: no socket syscall inside the call
    with lock:
        obj.write(b"POST /evict%d HTTP/1.1\r\nHost: evict.example.net\r\n"
                  b"Content-Length: 2\r\n\r\nhi" % i)
    all_wrote.wait()   # every thread's record waits before any thread exits

ts = [threading.Thread(target=post, args=(i,)) for i in range(n)]
for t in ts:
    t.start()
for t in ts:
    t.join()
sock.close()
PYEOF

drops_data() {
	am status --json --socket "$SOCK" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["drops"].get("data", 0))'
}

launch evict "$PY" "$T/evict.py" "$TPORT" "$N" "$HELPERS" || fail "the client failed"
sentinel
# the drops are counted by the kernel at each thread's exit, before the
# client's exit and the sentinel; the collector reads them when asked
n=$(drops_data)
[ "$n" -ge "$N" ] || fail "$N records lost with their threads, status counts $n data drops"
wait_event 10 type=drop
stop_collector
expect_none type=http path=/evict0
pass "$N threads exited with their TLS records waiting, their tls_calls entries evicted (map of 8): status drops.data $n"
