#!/bin/bash
# HTTP/2 header blocks that are long or split are judged, never dropped:
# real clients (a python client that writes its own frames, curl --http2)
# POST to an unlisted host over TLS (a local node HTTP/2 server) with
#   - :method after a 3000-byte :path, the whole request in one SSL_write;
#   - a block of ~24 KB over HEADERS + CONTINUATION (python and curl);
#   - a block larger than the kernel captures of one write, :method last:
#     the http event says method null and the request is judged as a write;
#   - on the wire (cleartext, captured by the cgroup skb hook): an HTTP/1.1
#     POST whose 3000-byte request line and headers go in one write (one
#     loopback packet), then the same head in two writes (two packets; the
#     first ends 10 bytes into the headers).
# Each alerts outbound_post, and the http event shows method and path.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v openssl >/dev/null || skip "needs openssl"
command -v node >/dev/null || skip "needs node (the HTTP/2 server)"
NAMES="forum.corp.example allowed.example"
local_names $NAMES

bg node "$HELPERS/h2_server.js" "$T/port" "$T/h2.log" "$T/cert.pem" "$T/key.pem" \
	>"$T/server.out" 2>&1
wait_file "$T/port" 10
H2=$(cat "$T/port")
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port.plain" --log "$T/plain.log" \
	>"$T/server.plain.out" 2>&1
wait_file "$T/port.plain" 10
PLAIN=$(cat "$T/port.plain")
cat >"$T/policy.yaml" <<Y
allow:
  - host: allowed.example
Y
start_collector --config "$T/policy.yaml"

agent() { local name=$1; shift; in_ns "$AGENTMON" launch --socket "$SOCK" --agent "$name" -- "$@"; }
long() { "$PY" -c "import sys; print(sys.argv[1] * int(sys.argv[2]))" "$1" "$2"; }
P3K=$(long 'abcdefghij' 300)                 # 3000 bytes of path
BIG=$(long 'x-big-value-' 1700)             # 20400 bytes: needs a CONTINUATION
HUGE=$(long '0123456789' 4000)              # 40000 bytes: more than any capture
H2C=("$PY" "$HELPERS/h2_client.py" forum.corp.example "$H2" --ca "$T/cert.pem")

agent py-late "${H2C[@]}" --method-last --path "/api/late/$P3K" >/dev/null ||
	fail "python h2 POST (method after a long path) failed"
agent py-cont "${H2C[@]}" --method-last --path "/api/cont/$P3K" --header "x-big=$BIG" \
	>/dev/null || fail "python h2 POST (HEADERS + CONTINUATION) failed"
agent curl-cont curl -sS -o /dev/null --max-time 10 --cacert "$T/cert.pem" --http2 \
	-d 'from curl' -H "x-big: $BIG" "https://forum.corp.example:$H2/api/curl/$P3K" ||
	fail "curl --http2 POST with a large header failed"
agent py-huge "${H2C[@]}" --method-last --path "/api/huge/$HUGE" >/dev/null ||
	fail "python h2 POST (huge block) failed"

# cleartext: the head in one write of 3.2 KB, and over two writes (two packets)
WIRE="import socket, sys, time
s = socket.create_connection(('forum.corp.example', $PLAIN))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
head = ('POST /api/%s/$P3K HTTP/1.1\r\nHost: forum.corp.example\r\n'
        'X-Pad: %s\r\nContent-Length: 2\r\n\r\n' % (sys.argv[1], 'p' * 100)).encode() + b'ok'
if sys.argv[1] == 'wire2':
    cut = head.index(b'\\r\\n') + 10            # the request line whole in the first
    s.sendall(head[:cut]); time.sleep(0.2); s.sendall(head[cut:])
else:
    s.sendall(head)
s.recv(1000)"
agent py-wire "$PY" -c "$WIRE" wire >/dev/null || fail "cleartext POST failed"
agent py-wire2 "$PY" -c "$WIRE" wire2 >/dev/null || fail "cleartext POST in two writes failed"

for a in py-late:late py-cont:cont curl-cont:curl py-wire:wire py-wire2:wire2; do
	wait_event 5 type=alert rule=outbound_post agent="${a%%:*}" method=POST \
		host=forum.corp.example path~"^/api/${a#*:}/abcdefghij"
	wait_event 5 type=http agent="${a%%:*}" method=POST path~"^/api/${a#*:}/abc"
done
for a in py-late py-cont curl-cont; do wait_event 5 type=http agent=$a version=2; done
# the whole block was not captured: method unknown, judged as a write
wait_event 5 type=http agent=py-huge version=2 method!? host=forum.corp.example
wait_event 5 type=alert rule=outbound_post agent=py-huge host=forum.corp.example
wait_event 5 type=http agent=py-wire tls=false version=1.1
wait_event 5 type=http agent=py-wire2 tls=false version=1.1
[ "$(grep -c '"method":"POST"' "$T/h2.log")" -ge 3 ] ||
	fail "the server did not get the POSTs: $(head -c 300 "$T/h2.log")"
stop_collector
pass "HTTP/2 POSTs with :method after a 3000-byte :path and over CONTINUATION (python, curl) alert with method and path; a block past the capture alerts as method unknown; 3 KB cleartext heads (one packet, two packets) alert with method and path"
