#!/bin/bash
# A TLS record written with no socket write inside the call (node and Bun
# fill a memory BIO; libuv writes it to the socket after, on the same thread)
# waits in the kernel (tls_pend) for its thread's next socket write.  A thread
# that exits first never makes one: its records are lost, and that must be
# said (fail closed), not left to age out of an LRU map.  A python agent
# (ssl.MemoryBIO: SSL_write_ex writes to memory) does the TLS handshake on
# its main thread, then:
#  (a) a thread writes a POST into the memory BIO and sends its bytes on the
#      socket itself: the record met its socket, an http event, nothing lost;
#  (b) a thread writes a POST into the memory BIO and exits without a socket
#      write: a drop event (lost >= 1), and the status counts a data drop.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "needs openssl"
tls_server pend.example.net
start_collector

cat >"$T/pend.py" <<'PYEOF'
import sys, threading
sys.path.insert(0, sys.argv[4]); sys.dont_write_bytecode = True
import membio   # helpers/membio.py: the handshake over memory BIOs
port, path, send_it = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "send"
sock, obj, out = membio.connect(port, "pend.example.net")

def post():   # SSL_write_ex into memory: no socket syscall inside the call
    obj.write(b"POST %s HTTP/1.1\r\nHost: pend.example.net\r\nContent-Length: 2\r\n"
              b"Connection: close\r\n\r\nhi" % path.encode())
    if send_it:
        sock.sendall(out.read())   # this thread's socket write: the record goes out

t = threading.Thread(target=post)
t.start()
t.join()
if send_it:
    sock.recv(65536)
sock.close()
PYEOF

drops_data() {
	am status --json --socket "$SOCK" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["drops"].get("data", 0))'
}

# (a) the record meets its socket on the same thread
launch pend "$PY" "$T/pend.py" "$TPORT" /sent send "$HELPERS" || fail "the sending client failed"
wait_event 10 type=http agent=pend method=POST path=/sent
sentinel
expect_none type=drop
[ "$(drops_data)" = 0 ] || fail "a record that met its socket counted as dropped ($(drops_data))"

# (b) the thread exits with the record waiting
launch pend "$PY" "$T/pend.py" "$TPORT" /gone keep "$HELPERS" || fail "the exiting client failed"
wait_event 10 type=drop
sentinel
lost=$(jq sum lost type=drop)
[ "$lost" -ge 1 ] || fail "a drop event that lost nothing"
n=$(drops_data)
[ "$n" -ge 1 ] || fail "status counts no data drop ($n)"
stop_collector
expect_none type=http path=/gone
pass "a thread that exited with its TLS record waiting: drop event (lost $lost), status drops.data $n; one that wrote it: http event, no drop"
